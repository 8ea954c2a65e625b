/* ir.c: modules, functions, shared variables, the instruction builder and
 * the kernel metadata computed from the IR (docs/language.md §8).
 *
 * Everything lives in the module's arena and dies with ir_module_free.
 * Region arrays grow in that arena too. ir_region_append is given only the
 * region and the instruction, so every instruction is allocated behind a
 * small hidden header that remembers its arena; instructions therefore must
 * come from ir_new_inst (the header also carries a tag that catches any that
 * did not). Instruction ids are numbered per function in creation order,
 * PARAMs first, which is the order the printer shows. */
#include "ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[IR_NUM_OPS] = {
#define X(name, str, nops, flags, tclass) str,
#include "ops.def"
#undef X
};

static const int op_flags[IR_NUM_OPS] = {
#define X(name, str, nops, flags, tclass) flags,
#include "ops.def"
#undef X
};

static const int op_nops[IR_NUM_OPS] = {
#define X(name, str, nops, flags, tclass) nops,
#include "ops.def"
#undef X
};

static const IrTypeClass op_tclass[IR_NUM_OPS] = {
#define X(name, str, nops, flags, tclass) tclass,
#include "ops.def"
#undef X
};

const char *
ir_op_name(IrOp op)
{
    if ((unsigned)op >= IR_NUM_OPS)
        return "<bad op>";
    return op_names[op];
}

int
ir_op_flags(IrOp op)
{
    if ((unsigned)op >= IR_NUM_OPS)
        return 0;
    return op_flags[op];
}

int
ir_op_nops(IrOp op)
{
    if ((unsigned)op >= IR_NUM_OPS)
        return 0;
    return op_nops[op];
}

IrTypeClass
ir_op_type_class(IrOp op)
{
    if ((unsigned)op >= IR_NUM_OPS)
        return IRC_NONE;
    return op_tclass[op];
}

/* ---- integer constant arithmetic (pass.c's folder and sema's) ----------- */

int64_t
ir_sext(uint64_t v, uint32_t bits)
{
    uint64_t sign = UINT64_C(1) << (bits - 1);
    if (bits < 64)
        v &= (UINT64_C(1) << bits) - 1;
    return (int64_t)((v ^ sign) - sign);
}

bool
ir_fold_int(IrOp op, const IrType *t, uint64_t x, uint64_t y, uint64_t *out)
{
    uint32_t w = t->bits;
    uint64_t mask = w == 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
    int64_t sx = ir_sext(x, w), sy = ir_sext(y, w);
    int64_t smin = ir_sext((uint64_t)1 << (w - 1), w);
    bool s = t->is_signed;
    uint64_t r = 0;
    switch (op) {
    case IR_ADD: r = x + y; break;
    case IR_SUB: r = x - y; break;
    case IR_MUL: r = x * y; break;
    case IR_DIV:
        if (y == 0)
            return false;
        /* ops.def: MIN / -1 == MIN (wraps; never traps). */
        if (s)
            r = sx == smin && sy == -1 ? x : (uint64_t)(sx / sy);
        else
            r = x / y;
        break;
    case IR_REM:
        if (y == 0)
            return false;
        if (s)
            r = sy == -1 ? 0 : (uint64_t)(sx % sy); /* MIN % -1 == 0 */
        else
            r = x % y;
        break;
    case IR_AND: r = x & y; break;
    case IR_OR: r = x | y; break;
    case IR_XOR: r = x ^ y; break;
    case IR_SHL: r = x << (y & (w - 1)); break; /* amount modulo the width */
    case IR_SHR: {
        unsigned k = (unsigned)(y & (w - 1));
        /* Arithmetic shift written without shifting a negative number. */
        r = s && sx < 0 ? ~(~(uint64_t)sx >> k) : x >> k;
        break;
    }
    case IR_EQ: r = x == y; break;
    case IR_NE: r = x != y; break;
    case IR_LT: r = s ? sx < sy : x < y; break;
    case IR_LE: r = s ? sx <= sy : x <= y; break;
    case IR_GT: r = s ? sx > sy : x > y; break;
    case IR_GE: r = s ? sx >= sy : x >= y; break;
    case IR_CONST: case IR_ZERO: case IR_UNDEF: case IR_PARAM: case IR_NEG: case IR_NOT:
    case IR_CAST: case IR_BITCAST: case IR_SELECT: case IR_LOCAL: case IR_SHARED: case IR_LOAD: case IR_STORE:
    case IR_ELEM_PTR: case IR_FIELD_PTR: case IR_PTR_ADD: case IR_EXTRACT: case IR_INSERT:
    case IR_COMPOSITE: case IR_CALL: case IR_THREAD_ID: case IR_BLOCK_ID: case IR_BLOCK_DIM:
    case IR_GRID_DIM: case IR_GLOBAL_ID: case IR_BARRIER: case IR_SQRT: case IR_RSQRT: case IR_EXP:
    case IR_EXP2: case IR_LOG: case IR_LOG2: case IR_SIN: case IR_COS: case IR_TAN: case IR_TANH:
    case IR_POW: case IR_FLOOR: case IR_CEIL: case IR_ROUND: case IR_TRUNC: case IR_RINT: case IR_TWO_OVER_PI: case IR_FTOI: case IR_CLZ: case IR_ABS:
    case IR_MIN: case IR_MAX: case IR_CLAMP: case IR_FMA: case IR_ATOMIC_ADD: case IR_ATOMIC_SUB:
    case IR_ATOMIC_MIN: case IR_ATOMIC_MAX: case IR_ATOMIC_AND: case IR_ATOMIC_OR:
    case IR_ATOMIC_XOR: case IR_ATOMIC_XCHG: case IR_ATOMIC_CAS: case IR_LANE_ID:
    case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID: case IR_NUM_SUBGROUPS: case IR_SHUFFLE:
    case IR_SHUFFLE_XOR: case IR_SUBGROUP_SUM:
    case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX:
    case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL: case IR_IF: case IR_LOOP: case IR_BREAK:
    case IR_CONTINUE: case IR_RETURN: IR_MATRIX_OP_CASES: case IR_MMA_FRAG: case IR_MAT_SG_SIZE: case IR_NUM_OPS:
        return false;
    }
    *out = r & mask; /* comparisons give 0 or 1, which the mask keeps */
    return true;
}

/* ---- module ------------------------------------------------------------ */

IrModule *
ir_module_new(const char *source_name)
{
    Arena *a = arena_new();
    IrModule *m = arena_alloc(a, sizeof *m);
    m->arena = a;
    m->source_name = arena_strdup(a, source_name ? source_name : "");
    return m;
}

void
ir_module_free(IrModule *m)
{
    if (m)
        arena_free(m->arena); /* the module itself lives in its arena */
}

IrFunc *
ir_func_new(IrModule *m, const char *name, bool is_kernel, IrType *ret, int nparams,
            const IrParam *params, SrcLoc loc)
{
    if (nparams < 0)
        ICE("function with %d parameters", nparams);
    IrFunc *f = arena_alloc(m->arena, sizeof *f);
    f->name = arena_strdup(m->arena, name ? name : "");
    f->is_kernel = is_kernel;
    f->ret = ret ? ret : ir_type_void(m);
    f->nparams = nparams;
    f->params = arena_alloc(m->arena, sizeof *f->params * (size_t)(nparams ? nparams : 1));
    f->param_values = arena_alloc(m->arena, sizeof *f->param_values * (size_t)(nparams ? nparams : 1));
    f->loc = loc;
    f->index = m->funcs.len;
    ptrvec_push(m->arena, &m->funcs, f);

    IrBuilder b = {.m = m, .f = f, .loc = loc};
    for (int i = 0; i < nparams; i++) {
        f->params[i] = params[i];
        f->params[i].name = arena_strdup(m->arena, params[i].name ? params[i].name : "");
        b.loc = params[i].loc;
        IrInst *p = ir_new_inst(&b, IR_PARAM, params[i].type, 0, NULL);
        p->imm.index = i;
        f->param_values[i] = p;
    }
    return f;
}

IrShared *
ir_shared_new(IrModule *m, const char *name, IrType *type, SrcLoc loc)
{
    IrShared *s = arena_alloc(m->arena, sizeof *s);
    s->name = arena_strdup(m->arena, name ? name : "");
    s->type = type;
    s->loc = loc;
    s->index = m->shared.len;
    ptrvec_push(m->arena, &m->shared, s);
    return s;
}

/* ---- instructions ------------------------------------------------------ */

enum { INST_TAG = 0x436c6177 }; /* "Claw" */

/* The hidden header in front of every instruction (see the file comment). */
typedef struct InstBox {
    Arena *arena;
    uint32_t tag;
    _Alignas(16) IrInst inst;
} InstBox;

IrInst *
ir_new_inst(IrBuilder *b, IrOp op, IrType *type, int nops, IrInst *const *ops)
{
    if ((unsigned)op >= IR_NUM_OPS || nops < 0)
        ICE("bad instruction (op %d, %d operands)", (int)op, nops);
    InstBox *box = arena_alloc(b->m->arena, sizeof *box);
    box->arena = b->m->arena;
    box->tag = INST_TAG;
    IrInst *in = &box->inst;
    in->op = op;
    in->type = type ? type : ir_type_void(b->m);
    in->loc = b->loc;
    in->nops = nops;
    if (nops) {
        in->ops = arena_alloc(b->m->arena, sizeof *in->ops * (size_t)nops);
        for (int i = 0; i < nops; i++)
            in->ops[i] = ops[i];
    }
    if (b->f)
        in->id = b->f->next_id++;
    return in;
}

void
ir_region_append(IrRegion *r, IrInst *inst)
{
    InstBox *box = (InstBox *)((char *)inst - offsetof(InstBox, inst));
    if (box->tag != INST_TAG)
        ICE("instruction not made by ir_new_inst");
    if (r->len == r->cap) {
        int cap = r->cap ? r->cap * 2 : 8;
        IrInst **d = arena_alloc(box->arena, sizeof *d * (size_t)cap);
        if (r->len)
            memcpy(d, r->insts, sizeof *d * (size_t)r->len);
        r->insts = d;
        r->cap = cap;
    }
    r->insts[r->len++] = inst;
}

bool
ir_region_terminated(const IrRegion *r)
{
    return r->len > 0 && r->insts[r->len - 1] &&
           (ir_op_flags(r->insts[r->len - 1]->op) & IRF_TERM);
}

IrInst *
ir_emit(IrBuilder *b, IrOp op, IrType *type, int nops, IrInst *const *ops)
{
    if (!b->r)
        ICE("emitting %s with no current region", ir_op_name(op));
    IrInst *in = ir_new_inst(b, op, type, nops, ops);
    ir_region_append(b->r, in);
    return in;
}

IrInst *
ir_const_int(IrBuilder *b, IrType *t, uint64_t v)
{
    if (!t || (t->kind != IRT_INT && t->kind != IRT_BOOL))
        ICE("integer constant of a non-integer type");
    if (t->bits < 64)
        v &= ((uint64_t)1 << t->bits) - 1;
    IrInst *in = ir_emit(b, IR_CONST, t, 0, NULL);
    in->imm.i = v;
    return in;
}

/* Rounds v to the nearest value with `prec` significant bits, spacing fixed
 * at 2^qmin below the normal range, ties to even (IEEE 754 §4.3.1); `ovf`
 * is the magnitude halfway past the largest finite value, from which on the
 * result is infinite. */
static double
round_to_prec(double v, int prec, int qmin, double ovf)
{
    if (v != v || v == 0)
        return v;
    double a = v < 0 ? -v : v;
    if (a >= ovf)
        return v < 0 ? -1.0 / 0.0 : 1.0 / 0.0;
    int e;
    frexp(a, &e); /* a = f * 2^e, f in [0.5, 1) */
    int q = e - prec < qmin ? qmin : e - prec;
    double scaled = ldexp(v, -q);
    return ldexp(nearbyint(scaled), q);
}

double
ir_round_float(const IrType *t, double v)
{
    if (!ir_type_is_float(t))
        ICE("rounding to a non-float type");
    if (t->is_bf16) /* 8 significant bits, f32's exponent range */
        return round_to_prec(v, 8, -133, ldexp(2.0 - ldexp(1.0, -8), 127));
    if (t->bits == 16) /* 11 significant bits; below 2^-14 the spacing is 2^-24 */
        return round_to_prec(v, 11, -24, 65520.0);
    if (t->bits == 32)
        return (double)(float)v;
    return v;
}

uint16_t
ir_bf16_bits(double v)
{
    float f = (float)ir_round_float(&(IrType){.kind = IRT_FLOAT, .bits = 16, .is_bf16 = true}, v);
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if (f != f)
        return 0x7fc0; /* the quiet NaN */
    return (uint16_t)(u >> 16); /* exact: f has at most 8 significant bits */
}

IrInst *
ir_const_float(IrBuilder *b, IrType *t, double v)
{
    if (!ir_type_is_float(t))
        ICE("float constant of a non-float type");
    /* ir.h: f16/bf16/f32 constants are exactly representable in their type. */
    v = ir_round_float(t, v);
    IrInst *in = ir_emit(b, IR_CONST, t, 0, NULL);
    in->imm.f = v;
    return in;
}

static bool
is_compare(IrOp op)
{
    return op == IR_EQ || op == IR_NE || op == IR_LT || op == IR_LE || op == IR_GT ||
           op == IR_GE;
}

IrInst *
ir_binop(IrBuilder *b, IrOp op, IrInst *x, IrInst *y)
{
    IrInst *ops[2] = {x, y};
    return ir_emit(b, op, is_compare(op) ? ir_type_bool(b->m) : x->type, 2, ops);
}

IrInst *
ir_unop(IrBuilder *b, IrOp op, IrInst *x)
{
    return ir_emit(b, op, x->type, 1, &x);
}

IrInst *
ir_select(IrBuilder *b, IrInst *c, IrInst *x, IrInst *y)
{
    IrInst *ops[3] = {c, x, y};
    return ir_emit(b, IR_SELECT, x->type, 3, ops);
}

IrInst *
ir_cast(IrBuilder *b, IrInst *x, IrType *to)
{
    return ir_emit(b, IR_CAST, to, 1, &x);
}

IrInst *
ir_local(IrBuilder *b, IrType *t, const char *name)
{
    if (!b->f)
        ICE("local outside a function");
    IrInst *in = ir_new_inst(b, IR_LOCAL, ir_type_ptr(b->m, t, IR_SPACE_PRIVATE, false), 0, NULL);
    in->name = name ? arena_strdup(b->m->arena, name) : NULL;
    ptrvec_push(b->m->arena, &b->f->locals, in);
    return in;
}

static IrType *
pointee(IrInst *ptr, const char *what)
{
    if (!ptr || !ptr->type || ptr->type->kind != IRT_PTR)
        ICE("%s through a non-pointer", what);
    return ptr->type->elem;
}

IrInst *
ir_load(IrBuilder *b, IrInst *ptr)
{
    return ir_emit(b, IR_LOAD, pointee(ptr, "load"), 1, &ptr);
}

void
ir_store(IrBuilder *b, IrInst *ptr, IrInst *v)
{
    IrInst *ops[2] = {ptr, v};
    ir_emit(b, IR_STORE, ir_type_void(b->m), 2, ops);
}

IrInst *
ir_elem_ptr(IrBuilder *b, IrInst *ptr, IrInst *index)
{
    IrType *arr = pointee(ptr, "elem_ptr");
    if (arr->kind != IRT_ARRAY && arr->kind != IRT_VEC)
        ICE("elem_ptr into a non-array");
    IrInst *ops[2] = {ptr, index};
    IrType *t = ir_type_ptr(b->m, arr->elem, ptr->type->space, ptr->type->is_const);
    return ir_emit(b, IR_ELEM_PTR, t, 2, ops);
}

IrInst *
ir_field_ptr(IrBuilder *b, IrInst *ptr, int field)
{
    IrType *st = pointee(ptr, "field_ptr");
    if (st->kind != IRT_STRUCT || field < 0 || field >= st->nfields || !st->fields[field].type)
        ICE("field_ptr to a missing field %d", field);
    IrType *t = ir_type_ptr(b->m, st->fields[field].type, ptr->type->space, ptr->type->is_const);
    IrInst *in = ir_emit(b, IR_FIELD_PTR, t, 1, &ptr);
    in->imm.index = field;
    return in;
}

IrInst *
ir_call(IrBuilder *b, IrFunc *callee, int nargs, IrInst *const *args)
{
    IrInst *in = ir_emit(b, IR_CALL, callee->ret, nargs, args);
    in->imm.callee = callee;
    return in;
}

IrInst *
ir_if(IrBuilder *b, IrInst *cond)
{
    return ir_emit(b, IR_IF, ir_type_void(b->m), 1, &cond);
}

IrInst *
ir_loop(IrBuilder *b)
{
    return ir_emit(b, IR_LOOP, ir_type_void(b->m), 0, NULL);
}

/* ---- kernel metadata ----------------------------------------------------- */

/* What a walk over the call graph collects: the functions reached (each
 * visited once, so even a recursive module, which the verifier rejects,
 * terminates) and the shared variables they name. */
typedef struct Reach {
    IrModule *m;
    bool *funcs;  /* by IrFunc.index */
    bool *shared; /* by IrShared.index */
} Reach;

static void reach_func(Reach *r, IrFunc *f);

static void
reach_region(Reach *r, const IrRegion *reg)
{
    for (int i = 0; i < reg->len; i++) {
        IrInst *in = reg->insts[i];
        if (!in)
            continue;
        if (in->op == IR_SHARED && in->imm.shared) {
            int k = in->imm.shared->index;
            if (k >= 0 && k < r->m->shared.len)
                r->shared[k] = true;
        } else if (in->op == IR_CALL && in->imm.callee) {
            reach_func(r, in->imm.callee);
        } else if (in->op == IR_IF) {
            reach_region(r, &in->then_r);
            reach_region(r, &in->else_r);
        } else if (in->op == IR_LOOP) {
            reach_region(r, &in->body_r);
            reach_region(r, &in->cont_r);
        }
    }
}

static void
reach_func(Reach *r, IrFunc *f)
{
    if (f->index < 0 || f->index >= r->m->funcs.len || r->funcs[f->index])
        return;
    r->funcs[f->index] = true;
    reach_region(r, &f->body);
}

static Reach
reach_from(IrModule *m, IrFunc *f)
{
    Reach r = {.m = m};
    r.funcs = calloc((size_t)m->funcs.len + 1, sizeof *r.funcs);
    r.shared = calloc((size_t)m->shared.len + 1, sizeof *r.shared);
    if (!r.funcs || !r.shared)
        ICE("out of memory");
    reach_func(&r, f);
    return r;
}

static void
reach_free(Reach *r)
{
    free(r->funcs);
    free(r->shared);
}

uint64_t
ir_kernel_shared_bytes(IrModule *m, IrFunc *kernel)
{
    Reach r = reach_from(m, kernel);
    uint64_t total = 0;
    /* Module order, so every target lays shared memory out the same way. */
    for (int i = 0; i < m->shared.len; i++) {
        if (!r.shared[i])
            continue;
        IrShared *s = m->shared.data[i];
        uint64_t a = s->type && s->type->align ? s->type->align : 1;
        uint64_t size = s->type ? s->type->size : 0;
        total = (total + a - 1) / a * a;
        total = total > UINT64_MAX - size ? UINT64_MAX : total + size;
    }
    reach_free(&r);
    return total;
}

bool
ir_func_uses_shared(IrModule *m, IrFunc *f, IrShared *s)
{
    if (!s || s->index < 0 || s->index >= m->shared.len)
        return false;
    Reach r = reach_from(m, f);
    bool used = r.shared[s->index];
    reach_free(&r);
    return used;
}

IrParamKind
ir_param_kind(const IrType *t)
{
    if (t && t->kind == IRT_PTR)
        return IR_PARAM_POINTER;
    if (ir_type_is_aggregate(t) || ir_type_is_vec(t))
        return IR_PARAM_STRUCT; /* vectors too: a blob of their size and alignment */
    return IR_PARAM_SCALAR;
}
