/* verify.c: checks the structural and typing invariants of ir.h and ops.def.
 *
 * A verifier failure is a compiler bug, so this file's job is to describe the
 * bug precisely and never to crash on the broken module it was given. It
 * works per function in two walks:
 *   1. an inventory of every instruction reachable from the body, the PARAMs
 *      and the LOCALs, indexed by id: it catches null instructions, ids out
 *      of range, instructions placed twice (which would make a region graph
 *      cyclic) and duplicate ids. Only a function that passes it is walked
 *      again, so the second walk can index by id and cannot loop;
 *   2. a walk in program order that keeps the set of values in scope (the
 *      dominance rule of ir.h), checks each instruction's operands against
 *      ops.def, and checks terminators, BREAK/CONTINUE placement and that
 *      non-void functions cannot fall off their end.
 * Then the call graph must be acyclic (docs/language.md: no recursion; GPUs have
 * no general call stack). Each problem becomes one line of err. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

typedef struct Verifier {
    IrModule *m;
    Buf *err;
    int nerrs;
    IrFunc *f;
    uint32_t nids;  /* f->next_id */
    IrInst **all;   /* by id: every instruction of f (walk 1) */
    IrInst **scope; /* by id: the instructions usable at this point (walk 2) */
} Verifier;

enum { MAX_ERRORS = 100 }; /* one bug can cascade; the first lines matter */

static void
report(Verifier *v, const IrInst *in, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
report(Verifier *v, const IrInst *in, const char *fmt, ...)
{
    v->nerrs++;
    if (!v->err || v->nerrs > MAX_ERRORS)
        return;
    buf_printf(v->err, "claw-ir verify: ");
    if (v->f)
        buf_printf(v->err, "@%s: ", v->f->name ? v->f->name : "<null>");
    if (in)
        buf_printf(v->err, "%%%u %s: ", in->id, ir_op_name(in->op));
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(v->err, fmt, ap);
    va_end(ap);
    buf_printf(v->err, "\n");
}

static const char *
tname(Verifier *v, const IrType *t)
{
    return ir_type_name(v->m, t);
}

/* ---- walk 1: inventory ---------------------------------------------------- */

static void
take(Verifier *v, IrInst *in, bool *broken)
{
    if (in->id >= v->nids) {
        report(v, in, "id beyond the function's next_id %u", v->nids);
        *broken = true;
    } else if (v->all[in->id] == in) {
        report(v, in, "instruction appears twice in the function");
        *broken = true;
    } else if (v->all[in->id]) {
        report(v, in, "id shared by two instructions");
        *broken = true;
    } else {
        v->all[in->id] = in;
    }
}

static void
inventory_region(Verifier *v, const IrRegion *r, bool *broken)
{
    if (r->len < 0 || (r->len > 0 && !r->insts)) {
        report(v, NULL, "region with a bad length %d", r->len);
        *broken = true;
        return;
    }
    for (int i = 0; i < r->len; i++) {
        IrInst *in = r->insts[i];
        if (!in) {
            report(v, NULL, "null instruction in a region");
            *broken = true;
            continue;
        }
        if ((unsigned)in->op >= IR_NUM_OPS) {
            report(v, NULL, "instruction with bad opcode %d", (int)in->op);
            *broken = true;
            continue;
        }
        bool was_broken = *broken;
        take(v, in, broken);
        if (*broken && !was_broken)
            continue; /* never descend into an instruction seen before */
        if (in->op == IR_IF) {
            inventory_region(v, &in->then_r, broken);
            inventory_region(v, &in->else_r, broken);
        } else if (in->op == IR_LOOP) {
            inventory_region(v, &in->body_r, broken);
            inventory_region(v, &in->cont_r, broken);
        }
    }
}

/* ---- walk 2: typing ------------------------------------------------------- */

static bool
is_type(const IrType *t, IrTypeKind k)
{
    return t && t->kind == k;
}

static bool
is_int_or_bool(const IrType *t)
{
    return is_type(t, IRT_INT) || is_type(t, IRT_BOOL);
}

static bool
is_u32(const IrType *t)
{
    return is_type(t, IRT_INT) && t->bits == 32 && !t->is_signed;
}

/* A pointer that may leave its function: only global ones (ops.def, Memory). */
static bool
is_local_ptr(const IrType *t)
{
    return is_type(t, IRT_PTR) && t->space != IR_SPACE_GLOBAL;
}

/* Operand i exists, all operands have types, and every operand's type equals
 * the result type (the usual arithmetic rule of ops.def). */
static bool
same_as_result(Verifier *v, const IrInst *in)
{
    for (int i = 0; i < in->nops; i++)
        if (in->ops[i]->type != in->type) {
            report(v, in, "operand %d has type %s, expected %s", i, tname(v, in->ops[i]->type),
                   tname(v, in->type));
            return false;
        }
    return true;
}

static void
need(Verifier *v, const IrInst *in, bool ok, const char *what)
{
    if (!ok)
        report(v, in, "%s (result type %s)", what, tname(v, in->type));
}

/* The result type is in the op's type class (the last column of ops.def). */
static void
need_class(Verifier *v, const IrInst *in)
{
    IrTypeClass c = ir_op_type_class(in->op);
    if (!ir_type_in_class(in->type, c))
        report(v, in, "result type %s, expected %s", tname(v, in->type), ir_type_class_name(c));
}

static bool
cast_ok(const IrType *from, const IrType *to)
{
    /* docs/language.md §2: numeric <-> numeric, bool -> int, ptr <-> u64, ptr -> ptr. */
    if (ir_type_is_numeric(from) && ir_type_is_numeric(to))
        return true;
    if (is_type(from, IRT_BOOL) && is_type(to, IRT_INT))
        return true;
    if (is_type(from, IRT_PTR) && (is_type(to, IRT_PTR) || (is_type(to, IRT_INT) && to->bits == 64)))
        return true;
    return is_type(to, IRT_PTR) && is_type(from, IRT_INT) && from->bits == 64;
}

/* The element or field type at index k of an aggregate, or NULL. */
static IrType *
member(const IrType *t, int k)
{
    if (is_type(t, IRT_ARRAY) || is_type(t, IRT_VEC))
        return k >= 0 && (uint64_t)k < t->count ? t->elem : NULL;
    if (is_type(t, IRT_STRUCT) && t->fields)
        return k >= 0 && k < t->nfields ? t->fields[k].type : NULL;
    return NULL;
}

/* Searched by pointer, never dereferenced first: in a broken module the
 * imm union may hold anything. */
static bool
callee_in_module(Verifier *v, const IrFunc *c)
{
    for (int i = 0; c && i < v->m->funcs.len; i++)
        if (v->m->funcs.data[i] == c)
            return c->index == i;
    return false;
}

static bool
shared_in_module(Verifier *v, const IrShared *s)
{
    for (int i = 0; s && i < v->m->shared.len; i++)
        if (v->m->shared.data[i] == s)
            return s->index == i;
    return false;
}

static void
check_atomic(Verifier *v, const IrInst *in)
{
    const IrType *p = in->ops[0]->type, *t = in->type;
    if (!is_type(p, IRT_PTR) || p->space == IR_SPACE_PRIVATE || p->is_const) {
        report(v, in, "needs a writable global or shared pointer, got %s", tname(v, p));
        return;
    }
    if (p->elem != t)
        report(v, in, "pointee %s differs from the result type %s", tname(v, p->elem), tname(v, t));
    need_class(v, in);
    for (int i = 1; i < in->nops; i++)
        if (in->ops[i]->type != t)
            report(v, in, "operand %d has type %s, expected %s", i, tname(v, in->ops[i]->type),
                   tname(v, t));
}

static void
check_types(Verifier *v, const IrInst *in)
{
    IrType *t = in->type;
    IrInst *const *o = in->ops;
    switch (in->op) {
    case IR_CONST:
        if (ir_type_is_float(t))
            break;
        if (!is_int_or_bool(t))
            report(v, in, "constant of non-scalar type %s", tname(v, t));
        else if (t->bits < 64 && in->imm.i >> t->bits)
            report(v, in, "constant has bits beyond its width");
        break;
    case IR_ZERO:
    case IR_UNDEF:
        need(v, in, !is_type(t, IRT_VOID), "value of void type");
        break;
    case IR_PARAM:
    case IR_LOCAL:
        report(v, in, "must not appear in a region");
        break;
    case IR_MAT_LOAD:
    case IR_MAT_STORE: {
        /* LANGUAGE.md §14: a global pointer to the element, or a shared array of it */
        const IrType *p = o[0]->type;
        const IrType *mt = in->op == IR_MAT_LOAD ? t : o[3]->type;
        const IrType *el = !is_type(p, IRT_PTR)                ? NULL
                           : p->space == IR_SPACE_GLOBAL        ? p->elem
                           : p->space == IR_SPACE_SHARED && is_type(p->elem, IRT_ARRAY) ? p->elem->elem
                                                                : NULL;
        if (!is_type(mt, IRT_MATRIX))
            report(v, in, "needs a matrix, got %s", tname(v, mt));
        else if (!el || !ir_type_is_float(el))
            report(v, in, "needs a global pointer or a shared array, got %s", tname(v, p));
        else if (in->op == IR_MAT_LOAD && el != mt->elem)
            report(v, in, "loads %s from %s", tname(v, mt), tname(v, p));
        else if (in->op == IR_MAT_STORE && el != mt->elem && mt->mat_role != IR_MAT_ACC)
            report(v, in, "stores %s into %s", tname(v, mt), tname(v, p));
        if (in->op == IR_MAT_STORE && is_type(p, IRT_PTR) && p->is_const)
            report(v, in, "stores through %s", tname(v, p));
        if (!is_u32(o[1]->type) || !is_u32(o[2]->type))
            report(v, in, "offset and stride must be u32");
        if (in->imm.index != 0 && in->imm.index != 1)
            report(v, in, "layout %d is neither 0 (rows) nor 1 (columns)", in->imm.index);
        break;
    }
    case IR_MAT_FILL:
        if (!is_type(t, IRT_MATRIX) || o[0]->type != t->elem)
            report(v, in, "fills %s with %s", tname(v, t), tname(v, o[0]->type));
        break;
    case IR_MAT_MMA:
        if (!is_type(t, IRT_MATRIX) || t->mat_role != IR_MAT_ACC || o[2]->type != t ||
            !is_type(o[0]->type, IRT_MATRIX) || o[0]->type->mat_role != IR_MAT_A ||
            !is_type(o[1]->type, IRT_MATRIX) || o[1]->type->mat_role != IR_MAT_B ||
            o[0]->type->elem != o[1]->type->elem)
            report(v, in, "multiplies %s by %s into %s", tname(v, o[0]->type),
                   tname(v, o[1]->type), tname(v, o[2]->type));
        break;
    case IR_MAT_SCALE:
    case IR_MAT_ADD:
    case IR_MAT_SUB:
        if (!is_type(t, IRT_MATRIX) || t->mat_role != IR_MAT_ACC || o[0]->type != t)
            report(v, in, "needs an accumulator, got %s", tname(v, o[0]->type));
        else if (in->op == IR_MAT_SCALE ? !is_type(o[1]->type, IRT_FLOAT) || o[1]->type->bits != 32
                                        : o[1]->type != t)
            report(v, in, "second operand has type %s", tname(v, o[1]->type));
        break;
    case IR_MMA_FRAG:
        if (!is_type(t, IRT_ARRAY) || o[2]->type != t || !is_type(o[0]->type, IRT_ARRAY) ||
            !is_type(o[1]->type, IRT_ARRAY))
            report(v, in, "needs fragment arrays");
        if (in->imm.index <= IR_MMA_NONE || in->imm.index >= IR_MMA_NUM)
            report(v, in, "unknown kind %d", in->imm.index);
        break;
    /* operands of the result type, result in the op's class */
    case IR_ADD:
    case IR_SUB:
    case IR_MUL:
    case IR_DIV:
    case IR_REM:
    case IR_NEG:
    case IR_AND:
    case IR_OR:
    case IR_XOR:
    case IR_NOT:
    case IR_SHL:
    case IR_SHR:
    case IR_SQRT:
    case IR_RSQRT:
    case IR_EXP:
    case IR_EXP2:
    case IR_LOG:
    case IR_LOG2:
    case IR_SIN:
    case IR_COS:
    case IR_TAN:
    case IR_TANH:
    case IR_POW:
    case IR_FLOOR:
    case IR_CEIL:
    case IR_ROUND:
    case IR_TRUNC:
    case IR_RINT:
    case IR_FMA:
    case IR_ABS:
    case IR_MIN:
    case IR_MAX:
    case IR_CLAMP:
        if (same_as_result(v, in))
            need_class(v, in);
        break;
    case IR_EQ:
    case IR_NE:
    case IR_LT:
    case IR_LE:
    case IR_GT:
    case IR_GE:
        need(v, in, is_type(t, IRT_BOOL), "comparison must produce bool");
        if (o[0]->type != o[1]->type || !ir_type_is_scalar(o[0]->type))
            report(v, in, "compares %s with %s", tname(v, o[0]->type), tname(v, o[1]->type));
        break;
    case IR_CAST:
        if (!cast_ok(o[0]->type, t))
            report(v, in, "no conversion from %s to %s", tname(v, o[0]->type), tname(v, t));
        break;
    case IR_BITCAST:
        /* an int and a float of one width, either way (f32 <-> u32, bf16 <-> u16) */
        if (!ir_type_is_numeric(o[0]->type) || !ir_type_is_numeric(t) ||
            o[0]->type->bits != t->bits || ir_type_is_float(o[0]->type) == ir_type_is_float(t))
            report(v, in, "no bitcast from %s to %s", tname(v, o[0]->type), tname(v, t));
        break;
    case IR_SELECT:
        if (!is_type(o[0]->type, IRT_BOOL))
            report(v, in, "condition has type %s, expected bool", tname(v, o[0]->type));
        if (o[1]->type != t || o[2]->type != t)
            report(v, in, "selects between %s and %s", tname(v, o[1]->type), tname(v, o[2]->type));
        break;
    case IR_SHARED: {
        IrShared *s = in->imm.shared;
        if (!shared_in_module(v, s))
            report(v, in, "names a shared variable not in the module");
        else if (!is_type(t, IRT_PTR) || t->space != IR_SPACE_SHARED || t->elem != s->type)
            report(v, in, "has type %s, expected *shared %s", tname(v, t), tname(v, s->type));
        break;
    }
    case IR_LOAD:
        if (!is_type(o[0]->type, IRT_PTR))
            report(v, in, "loads through non-pointer %s", tname(v, o[0]->type));
        else if (o[0]->type->elem != t)
            report(v, in, "loads %s through %s", tname(v, t), tname(v, o[0]->type));
        break;
    case IR_STORE:
        if (!is_type(o[0]->type, IRT_PTR))
            report(v, in, "stores through non-pointer %s", tname(v, o[0]->type));
        else if (o[0]->type->is_const)
            report(v, in, "stores through %s (docs/language.md §2: const)", tname(v, o[0]->type));
        else if (o[0]->type->elem != o[1]->type)
            report(v, in, "stores %s through %s", tname(v, o[1]->type), tname(v, o[0]->type));
        if (is_local_ptr(o[1]->type))
            report(v, in, "stores a %s pointer into memory", tname(v, o[1]->type));
        break;
    case IR_ELEM_PTR: {
        const IrType *p = o[0]->type;
        if (!is_type(p, IRT_PTR) || !(is_type(p->elem, IRT_ARRAY) || is_type(p->elem, IRT_VEC)))
            report(v, in, "needs a pointer to an array or vector, got %s", tname(v, p));
        else if (!is_type(t, IRT_PTR) || t->elem != p->elem->elem || t->space != p->space)
            report(v, in, "result %s does not match %s", tname(v, t), tname(v, p));
        if (!is_type(o[1]->type, IRT_INT))
            report(v, in, "index has type %s", tname(v, o[1]->type));
        break;
    }
    case IR_FIELD_PTR: {
        const IrType *p = o[0]->type;
        IrType *ft = is_type(p, IRT_PTR) && is_type(p->elem, IRT_STRUCT) ? member(p->elem, in->imm.index) : NULL;
        if (!ft)
            report(v, in, "no field %d in %s", in->imm.index, tname(v, p));
        else if (!is_type(t, IRT_PTR) || t->elem != ft || t->space != p->space)
            report(v, in, "result %s does not match field type %s", tname(v, t), tname(v, ft));
        break;
    }
    case IR_PTR_ADD:
        if (!is_type(o[0]->type, IRT_PTR) || o[0]->type->space != IR_SPACE_GLOBAL)
            report(v, in, "needs a global pointer, got %s", tname(v, o[0]->type));
        else if (t != o[0]->type)
            report(v, in, "result %s differs from %s", tname(v, t), tname(v, o[0]->type));
        if (!is_type(o[1]->type, IRT_INT))
            report(v, in, "index has type %s", tname(v, o[1]->type));
        break;
    case IR_EXTRACT: {
        IrType *mt = member(o[0]->type, in->imm.index);
        if (!mt)
            report(v, in, "no element %d in %s", in->imm.index, tname(v, o[0]->type));
        else if (mt != t)
            report(v, in, "result %s, element is %s", tname(v, t), tname(v, mt));
        break;
    }
    case IR_INSERT: {
        IrType *mt = member(o[0]->type, in->imm.index);
        if (!mt)
            report(v, in, "no element %d in %s", in->imm.index, tname(v, o[0]->type));
        else if (mt != o[1]->type)
            report(v, in, "inserts %s into element of type %s", tname(v, o[1]->type), tname(v, mt));
        if (t != o[0]->type)
            report(v, in, "result %s differs from %s", tname(v, t), tname(v, o[0]->type));
        break;
    }
    case IR_COMPOSITE: {
        uint64_t n = is_type(t, IRT_ARRAY) || is_type(t, IRT_VEC) ? t->count
                     : is_type(t, IRT_STRUCT)                    ? (uint64_t)t->nfields
                                                                 : 0;
        if (!(ir_type_is_aggregate(t) || is_type(t, IRT_VEC)) || n != (uint64_t)in->nops) {
            report(v, in, "%d elements for %s", in->nops, tname(v, t));
            break;
        }
        for (int i = 0; i < in->nops; i++)
            if (o[i]->type != member(t, i))
                report(v, in, "element %d has type %s, expected %s", i, tname(v, o[i]->type),
                       tname(v, member(t, i)));
        break;
    }
    case IR_CALL: {
        IrFunc *c = in->imm.callee;
        if (!callee_in_module(v, c)) {
            report(v, in, "calls a function not in the module");
            break;
        }
        if (c->is_kernel)
            report(v, in, "calls kernel @%s", c->name);
        if (c->nparams < 0 || (c->nparams && !c->params)) {
            report(v, in, "calls @%s, whose parameter list is malformed", c->name);
            break;
        }
        if (c->ret != t)
            report(v, in, "result %s, @%s returns %s", tname(v, t), c->name, tname(v, c->ret));
        if (in->nops != c->nparams) {
            report(v, in, "%d arguments, @%s takes %d", in->nops, c->name, c->nparams);
            break;
        }
        for (int i = 0; i < in->nops; i++) {
            if (o[i]->type != c->params[i].type)
                report(v, in, "argument %d has type %s, expected %s", i, tname(v, o[i]->type),
                       tname(v, c->params[i].type));
            if (is_local_ptr(o[i]->type))
                report(v, in, "passes a %s pointer to a call", tname(v, o[i]->type));
        }
        break;
    }
    case IR_THREAD_ID:
    case IR_BLOCK_ID:
    case IR_BLOCK_DIM:
    case IR_GRID_DIM:
    case IR_GLOBAL_ID:
        if (in->imm.dim < 0 || in->imm.dim > 2)
            report(v, in, "component %d", in->imm.dim);
        need_class(v, in);
        break;
    case IR_FTOI:
        need_class(v, in);
        if (!in->type->is_signed || !ir_type_is_float(o[0]->type))
            report(v, in, "converts %s to %s, expected a float to a signed integer", tname(v, o[0]->type),
                   tname(v, in->type));
        break;
    case IR_CLZ:
        need_class(v, in);
        if (o[0]->type != in->type || in->type->is_signed || (in->type->bits != 32 && in->type->bits != 64))
            report(v, in, "counts %s into %s, expected u32 or u64 of one type", tname(v, o[0]->type),
                   tname(v, in->type));
        break;
    case IR_TWO_OVER_PI:
        need_class(v, in);
        if (!is_u32(o[0]->type))
            report(v, in, "index has type %s, expected u32", tname(v, o[0]->type));
        break;
    case IR_LANE_ID:
    case IR_SUBGROUP_SIZE:
    case IR_MAT_SG_SIZE:
    case IR_SUBGROUP_ID:
    case IR_NUM_SUBGROUPS:
        need_class(v, in);
        break;
    case IR_ATOMIC_ADD:
    case IR_ATOMIC_SUB:
    case IR_ATOMIC_MIN:
    case IR_ATOMIC_MAX:
    case IR_ATOMIC_AND:
    case IR_ATOMIC_OR:
    case IR_ATOMIC_XOR:
    case IR_ATOMIC_XCHG:
    case IR_ATOMIC_CAS:
        check_atomic(v, in);
        break;
    case IR_SHUFFLE:
    case IR_SHUFFLE_XOR:
    case IR_SHUFFLE_UP:
    case IR_SHUFFLE_DOWN:
    case IR_BROADCAST:
        if (!is_u32(o[1]->type))
            report(v, in, "lane operand has type %s, expected u32", tname(v, o[1]->type));
        /* The value operand follows the subgroup rule below. */
        /* fall through */
    case IR_SUBGROUP_SUM:
    case IR_SUBGROUP_MIN:
    case IR_SUBGROUP_MAX:
    case IR_SUBGROUP_PREFIX_SUM:
    case IR_SUBGROUP_ANY:
    case IR_SUBGROUP_ALL:
        if (o[0]->type != t)
            report(v, in, "operand has type %s, expected %s", tname(v, o[0]->type), tname(v, t));
        need_class(v, in);
        break;
    case IR_IF:
        if (!is_type(o[0]->type, IRT_BOOL))
            report(v, in, "condition has type %s, expected bool", tname(v, o[0]->type));
        break;
    case IR_RETURN: {
        IrType *rt = v->f->ret;
        bool is_void = is_type(rt, IRT_VOID);
        if (is_void && in->nops)
            report(v, in, "returns a value from a void function");
        else if (!is_void && !in->nops)
            report(v, in, "returns no value, expected %s", tname(v, rt));
        else if (in->nops && o[0]->type != rt)
            report(v, in, "returns %s, expected %s", tname(v, o[0]->type), tname(v, rt));
        if (in->nops && is_local_ptr(o[0]->type))
            report(v, in, "returns a %s pointer", tname(v, o[0]->type));
        break;
    }
    case IR_BARRIER:
    case IR_LOOP:
    case IR_BREAK:
    case IR_CONTINUE:
    case IR_NUM_OPS:
        break;
    }
}

/* Whether `op` may be used at this point (the dominance rule of ir.h). */
static bool
visible(Verifier *v, const IrInst *op)
{
    if (op->id < v->nids && v->scope[op->id] == op)
        return true;
    /* SHARED addresses are usable anywhere in their function. */
    return op->op == IR_SHARED && op->id < v->nids && v->all[op->id] == op;
}

/* Checks the operand count and that every operand is a typed value in scope.
 * Returns false when the operands are too broken to look at their types. */
static bool
check_operands(Verifier *v, const IrInst *in)
{
    int want = ir_op_nops(in->op);
    if (want >= 0 && in->nops != want) {
        report(v, in, "%d operands, expected %d", in->nops, want);
        return false;
    }
    if (in->op == IR_RETURN && in->nops > 1) {
        report(v, in, "%d operands, expected 0 or 1", in->nops);
        return false;
    }
    if (in->nops && !in->ops) {
        report(v, in, "operand array missing");
        return false;
    }
    bool ok = true;
    for (int i = 0; i < in->nops; i++) {
        const IrInst *op = in->ops[i];
        if (!op) {
            report(v, in, "operand %d is null", i);
            ok = false;
        } else if (!(ir_op_flags(op->op) & IRF_VALUE) || !op->type || is_type(op->type, IRT_VOID)) {
            report(v, in, "operand %d (%%%u) is not a value", i, op->id);
            ok = false;
        } else if (!visible(v, op)) {
            report(v, in, "operand %d (%%%u) is used where it is not defined (ir.h dominance rule)",
                   i, op->id);
        }
    }
    if (!in->type) {
        report(v, in, "no type");
        return false;
    }
    return ok;
}

typedef enum Ctx { CTX_PLAIN, CTX_LOOP_BODY, CTX_CONTINUING } Ctx;

static void walk_region(Verifier *v, const IrRegion *r, Ctx ctx);

/* Takes a region's values out of scope once control leaves it. */
static void
leave_region(Verifier *v, const IrRegion *r)
{
    for (int i = 0; i < r->len; i++)
        v->scope[r->insts[i]->id] = NULL;
}

static void
walk_inst(Verifier *v, const IrInst *in, Ctx ctx)
{
    int flags = ir_op_flags(in->op);
    if (check_operands(v, in))
        check_types(v, in);
    if ((in->op == IR_BREAK || in->op == IR_CONTINUE) && ctx != CTX_LOOP_BODY)
        report(v, in, ctx == CTX_CONTINUING ? "inside a loop's continuing region"
                                            : "outside a loop");
    if (in->op == IR_IF) {
        walk_region(v, &in->then_r, ctx);
        leave_region(v, &in->then_r);
        walk_region(v, &in->else_r, ctx);
        leave_region(v, &in->else_r);
    } else if (in->op == IR_LOOP) {
        walk_region(v, &in->body_r, CTX_LOOP_BODY);
        leave_region(v, &in->body_r);
        walk_region(v, &in->cont_r, CTX_CONTINUING);
        if (in->break_if) {
            bool found = false;
            for (int i = 0; i < in->cont_r.len; i++)
                found |= in->cont_r.insts[i] == in->break_if;
            if (!found)
                report(v, in, "break_if %%%u is not defined in the continuing region",
                       in->break_if->id);
            else if (!is_type(in->break_if->type, IRT_BOOL))
                report(v, in, "break_if has type %s, expected bool",
                       tname(v, in->break_if->type));
        }
        leave_region(v, &in->cont_r);
        if (in->unroll < IR_UNROLL_FULL)
            report(v, in, "bad unroll request %d", in->unroll);
    } else if (flags & IRF_REGION) {
        report(v, in, "region-owning op not handled");
    }
    if ((flags & IRF_VALUE) && !is_type(in->type, IRT_VOID))
        v->scope[in->id] = (IrInst *)in;
    else if ((flags & IRF_VALUE) && in->op != IR_CALL)
        report(v, in, "value of void type");
}

static void
walk_region(Verifier *v, const IrRegion *r, Ctx ctx)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        if ((ir_op_flags(in->op) & IRF_TERM) && i != r->len - 1)
            report(v, in, "terminator is not the last instruction of its region");
        walk_inst(v, in, ctx);
    }
}

/* ---- falling off the end ---------------------------------------------------- */

static bool
region_breaks(const IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        if (in->op == IR_BREAK)
            return true;
        /* A nested loop's body breaks out of that loop, not this one. */
        if (in->op == IR_IF && (region_breaks(&in->then_r) || region_breaks(&in->else_r)))
            return true;
    }
    return false;
}

/* Whether control never reaches the end of r: every path returns, or enters
 * a loop with no way out. */
static bool
region_returns(const IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        if (in->op == IR_RETURN)
            return true;
        if (in->op == IR_IF && region_returns(&in->then_r) && region_returns(&in->else_r))
            return true;
        if (in->op == IR_LOOP && !in->break_if && !region_breaks(&in->body_r))
            return true;
        if (in->op == IR_BREAK || in->op == IR_CONTINUE)
            return false;
    }
    return false;
}

/* ---- functions and the module ---------------------------------------------- */

static void
verify_func(Verifier *v, IrFunc *f)
{
    v->f = f;
    v->nids = f->next_id;
    v->all = calloc((size_t)v->nids + 1, sizeof *v->all);
    v->scope = calloc((size_t)v->nids + 1, sizeof *v->scope);
    if (!v->all || !v->scope)
        ICE("out of memory");

    bool broken = false;
    if (!f->ret) {
        report(v, NULL, "no return type");
        broken = true;
    } else if (f->is_kernel && !is_type(f->ret, IRT_VOID)) {
        report(v, NULL, "kernel returns %s", tname(v, f->ret));
    }
    if (f->nparams < 0 || (f->nparams && (!f->params || !f->param_values))) {
        report(v, NULL, "bad parameter list");
        broken = true;
    }
    for (int i = 0; !broken && i < f->nparams; i++) {
        IrInst *p = f->param_values[i];
        if (!p || p->op != IR_PARAM || p->imm.index != i || p->type != f->params[i].type ||
            !f->params[i].type) {
            report(v, p, "parameter %d does not match its PARAM instruction", i);
            broken = true;
            continue;
        }
        if (is_local_ptr(p->type))
            report(v, p, "parameter of type %s", tname(v, p->type));
        take(v, p, &broken);
    }
    for (int i = 0; !broken && i < f->locals.len; i++) {
        IrInst *l = f->locals.data[i];
        if (!l || l->op != IR_LOCAL || !is_type(l->type, IRT_PTR) ||
            l->type->space != IR_SPACE_PRIVATE) {
            report(v, l, "locals list holds something other than a private LOCAL");
            broken = true;
            continue;
        }
        take(v, l, &broken);
    }
    if (!broken)
        inventory_region(v, &f->body, &broken);

    if (!broken) {
        for (int i = 0; i < f->nparams; i++)
            v->scope[f->param_values[i]->id] = f->param_values[i];
        for (int i = 0; i < f->locals.len; i++) {
            IrInst *l = f->locals.data[i];
            v->scope[l->id] = l;
        }
        walk_region(v, &f->body, CTX_PLAIN);
        if (f->ret && !is_type(f->ret, IRT_VOID) && !region_returns(&f->body))
            report(v, NULL, "control can reach the end of a function returning %s",
                   tname(v, f->ret));
    }
    free(v->all);
    free(v->scope);
    v->all = v->scope = NULL;
    v->f = NULL;
}

/* Call-graph search for a cycle; state: 0 unseen, 1 on the stack, 2 done. */
static bool find_cycle(Verifier *v, IrFunc *f, unsigned char *state);

static bool
cycle_in_region(Verifier *v, const IrRegion *r, unsigned char *state, IrFunc *caller)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        if (in->op == IR_CALL && callee_in_module(v, in->imm.callee)) {
            if (state[in->imm.callee->index] == 1) {
                report(v, NULL, "@%s calls @%s, which is recursive (no recursion on GPUs)",
                       caller->name, in->imm.callee->name);
                return true;
            }
            if (find_cycle(v, in->imm.callee, state))
                return true;
        } else if (in->op == IR_IF) {
            if (cycle_in_region(v, &in->then_r, state, caller) ||
                cycle_in_region(v, &in->else_r, state, caller))
                return true;
        } else if (in->op == IR_LOOP) {
            if (cycle_in_region(v, &in->body_r, state, caller) ||
                cycle_in_region(v, &in->cont_r, state, caller))
                return true;
        }
    }
    return false;
}

static bool
find_cycle(Verifier *v, IrFunc *f, unsigned char *state)
{
    if (state[f->index] == 2)
        return false;
    state[f->index] = 1;
    bool found = cycle_in_region(v, &f->body, state, f);
    state[f->index] = 2;
    return found;
}

static bool
is_bool_vec(const IrType *t)
{
    return is_type(t, IRT_VEC) && is_type(t->elem, IRT_BOOL);
}

/* Vectors of bool are values (docs/ir.md "Vectors"): only private slots
 * may hold them, never arrays, struct fields, global or shared memory, or
 * kernel parameters. Every type of the module is in its interning table. */
static void
verify_bool_vecs(Verifier *v)
{
    IrModule *m = v->m;
    for (int i = 0; i < m->types.len; i++) {
        const IrType *t = m->types.data[i];
        if (is_type(t, IRT_ARRAY) && is_bool_vec(t->elem))
            report(v, NULL, "array of %s: bool vectors are values only", tname(v, t->elem));
        if (is_type(t, IRT_PTR) && t->space != IR_SPACE_PRIVATE && is_bool_vec(t->elem))
            report(v, NULL, "pointer %s: bool vectors are values only", tname(v, t));
        for (int k = 0; is_type(t, IRT_STRUCT) && t->fields && k < t->nfields; k++)
            if (is_bool_vec(t->fields[k].type))
                report(v, NULL, "struct %s field %s is a bool vector", t->name, t->fields[k].name);
    }
    for (int i = 0; i < m->funcs.len; i++) {
        const IrFunc *f = m->funcs.data[i];
        for (int k = 0; f && f->is_kernel && f->params && k < f->nparams; k++)
            if (is_bool_vec(f->params[k].type))
                report(v, NULL, "kernel @%s parameter %d is a bool vector", f->name, k);
    }
}

bool
ir_verify(IrModule *m, Buf *err)
{
    Verifier v = {.m = m, .err = err};
    bool funcs_ok = true;
    verify_bool_vecs(&v);
    for (int i = 0; i < m->shared.len; i++) {
        IrShared *s = m->shared.data[i];
        if (!s || s->index != i || !s->type || is_type(s->type, IRT_VOID))
            report(&v, NULL, "shared variable %d is malformed", i);
        else if (is_bool_vec(s->type))
            report(&v, NULL, "shared variable @%s is a bool vector", s->name);
    }
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        if (!f || f->index != i) {
            report(&v, NULL, "function %d is missing or misnumbered", i);
            funcs_ok = false;
            continue;
        }
        int before = v.nerrs;
        verify_func(&v, f);
        if (v.nerrs != before)
            funcs_ok = false;
    }
    /* The call graph is only walked over well-formed functions: their
     * regions are known to be finite and their callees real. */
    if (funcs_ok) {
        unsigned char *state = calloc((size_t)m->funcs.len + 1, 1);
        if (!state)
            ICE("out of memory");
        for (int i = 0; i < m->funcs.len; i++)
            if (find_cycle(&v, m->funcs.data[i], state))
                break;
        free(state);
    }
    if (err && v.nerrs > MAX_ERRORS)
        buf_printf(err, "claw-ir verify: %d more problems\n", v.nerrs - MAX_ERRORS);
    return v.nerrs == 0;
}
