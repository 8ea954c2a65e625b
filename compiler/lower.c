/* lower.c: checked AST -> Claw IR (docs/architecture.md "The IR").
 *
 * Relies only on what sema recorded on the tree (front.h): expression types
 * and folded constants, resolved names, field indices, declared types, unroll
 * requests and struct-literal declarations. It never diagnoses: after a clean
 * sema_check every input lowers, and anything else is an internal error.
 *
 * How the language maps onto the structured IR:
 *   - every let/var (and the loop variable of a for) gets a LOCAL slot, read
 *     with LOAD and written with STORE; LLVM's mem2reg and the Vulkan drivers
 *     turn the slots into registers. Parameters are immutable (§5) and are
 *     read as PARAM values directly.
 *   - each `shared` declaration becomes one module IrShared ("name.N"),
 *     reached through a SHARED address (§6).
 *   - places (§4) lower to a pointer: a slot, a shared variable, PTR_ADD on a
 *     global pointer, then FIELD_PTR / ELEM_PTR chains. A field or element of
 *     a value that is not a place is an EXTRACT, or for a dynamic array index
 *     a spill of the array to a temporary slot.
 *   - `while c { b }` is LOOP { if !c { break } b }; a for loop keeps its
 *     variable in a slot, tests i < hi once before the loop and, in the
 *     continuing region, leaves unless i < max(hi, s) - s before stepping,
 *     so that a range ending at the type's maximum still terminates.
 *   - `&&` and `||` short-circuit (§5) through a bool slot and an IF.
 * Every instruction carries the location of the AST node it came from. */
#include "front.h"

#include <string.h>

typedef struct Lower {
    Arena *a;
    IrModule *m;
    IrBuilder b;
    int nshared; /* suffix for unique shared names */
} Lower;

static IrInst *lower_expr(Lower *L, Node *e);
static IrInst *lower_place(Lower *L, Node *e);
static void lower_stmt(Lower *L, Node *s);

/* ---- helpers ------------------------------------------------------------ */

static void
at(Lower *L, const Node *n)
{
    L->b.loc = n->loc;
}

static IrInst *
emit0(Lower *L, IrOp op, IrType *t)
{
    return ir_emit(&L->b, op, t, 0, NULL);
}

static IrInst *
emit1(Lower *L, IrOp op, IrType *t, IrInst *x)
{
    IrInst *ops[1] = {x};
    return ir_emit(&L->b, op, t, 1, ops);
}

static IrInst *
emit2(Lower *L, IrOp op, IrType *t, IrInst *x, IrInst *y)
{
    IrInst *ops[2] = {x, y};
    return ir_emit(&L->b, op, t, 2, ops);
}

static bool
terminated(Lower *L)
{
    return ir_region_terminated(L->b.r);
}

static IrType *
type_of(const Node *e)
{
    if (!e->type)
        ICE("expression at %u:%u has no type after sema", e->loc.line, e->loc.col);
    return e->type;
}

/* A scalar constant of type t from a folded value. */
static IrInst *
lower_const(Lower *L, IrType *t, const ConstVal *cv)
{
    if (ir_type_is_float(t))
        return ir_const_float(&L->b, t, cv->f);
    return ir_const_int(&L->b, t, cv->i);
}

/* ---- vectors (docs/language.md §11) ---------------------------------------
 * The IR keeps vectors whole where their width matters: loads and stores
 * (one wide access), calls, returns and aggregates. Component-wise operators,
 * casts and builtins are lowered here to one scalar op per component on
 * EXTRACTed components and put back together with COMPOSITE (docs/ir.md
 * "Vectors"): GPUs execute them one component per instruction anyway, and
 * every scalar rule (division guards, shift masks, math polyfills) then
 * applies unchanged. */

/* Component i of x; a scalar stands for every component. */
static IrInst *
comp(Lower *L, IrInst *x, int i)
{
    if (!ir_type_is_vec(x->type))
        return x;
    IrInst *c = emit1(L, IR_EXTRACT, x->type->elem, x);
    c->imm.index = i;
    return c;
}

static IrInst *
compose(Lower *L, IrType *t, IrInst **cs)
{
    return ir_emit(&L->b, IR_COMPOSITE, t, (int)t->count, cs);
}

/* v[idx] for a dynamic index, as a chain of selects: bool vectors have no
 * addressable components (docs/ir.md "Vectors"). */
static IrInst *
select_comp(Lower *L, IrInst *v, IrInst *idx)
{
    IrInst *r = comp(L, v, (int)v->type->count - 1);
    for (int i = (int)v->type->count - 2; i >= 0; i--) {
        IrInst *is_i = ir_binop(&L->b, IR_EQ, idx, ir_const_int(&L->b, idx->type, (uint64_t)i));
        IrInst *ops[3] = {is_i, comp(L, v, i), r};
        r = ir_emit(&L->b, IR_SELECT, v->type->elem, 3, ops);
    }
    return r;
}

static bool
is_bool_vec(const IrType *t)
{
    return t && t->kind == IRT_VEC && t->elem->kind == IRT_BOOL;
}

/* Converts x to type `to` unless it already has it (vectors component-wise). */
static IrInst *
convert(Lower *L, IrInst *x, IrType *to)
{
    if (x->type == to)
        return x;
    if (ir_type_is_vec(to) && ir_type_is_vec(x->type)) {
        IrInst *cs[4];
        for (int i = 0; i < (int)to->count; i++)
            cs[i] = ir_cast(&L->b, comp(L, x, i), to->elem);
        return compose(L, to, cs);
    }
    return ir_cast(&L->b, x, to);
}

/* Lowers e for a destination of type `want`. Sema accepts a *T where a
 * *const T is expected (docs/language.md §2, the one implicit conversion) without
 * changing the expression's type; the IR is strict, so the CAST is made
 * explicit here for every store, argument, return and aggregate element. */
static IrInst *
lower_as(Lower *L, Node *e, IrType *want)
{
    return convert(L, lower_expr(L, e), want);
}

/* v of integer type t, sign- or zero-extended to 64 bits by t's signedness. */
static uint64_t
extend64(uint64_t v, const IrType *t)
{
    if (t->is_signed && t->bits < 64 && ((v >> (t->bits - 1)) & 1))
        v |= ~(uint64_t)0 << t->bits;
    return v;
}

/* A pointer offset in elements: any integer type (§5), sign- or zero-extended
 * by its own signedness to the i64 that PTR_ADD takes. */
static IrInst *
ptr_index(Lower *L, IrInst *idx)
{
    if (idx->type->bits == 64)
        return idx;
    return ir_cast(&L->b, idx, ir_type_int(L->m, 64, true));
}

/* The index operand of p[i]; a constant index becomes an i64 constant
 * directly instead of a constant and a CAST. */
static IrInst *
lower_ptr_index(Lower *L, Node *idx)
{
    if (idx->cval.type && idx->cval.type->kind == IRT_INT) {
        at(L, idx);
        return ir_const_int(&L->b, ir_type_int(L->m, 64, true),
                            extend64(idx->cval.i, idx->cval.type));
    }
    return ptr_index(L, lower_expr(L, idx));
}

/* An array index: widened to 32 bits at least (so no target needs 8- or
 * 16-bit integer support just to index), keeping its signedness. */
static IrInst *
array_index(Lower *L, IrInst *idx)
{
    if (idx->type->bits >= 32)
        return idx;
    return ir_cast(&L->b, idx, ir_type_int(L->m, 32, idx->type->is_signed));
}

/* A fresh private slot (LOCAL instructions live in IrFunc.locals only). */
static IrInst *
new_slot(Lower *L, IrType *t, const char *name)
{
    return ir_local(&L->b, t, name);
}

/* Builds an IF in the current region and returns it; the caller lowers the
 * branches by pointing L->b.r at then_r / else_r and restoring it. */
static IrInst *
begin_if(Lower *L, IrInst *cond)
{
    return ir_if(&L->b, cond);
}

/* ---- places ------------------------------------------------------------- */

static bool
is_param(const Node *var)
{
    return var->kind == ND_PARAM || (var->u.var.lower_slot && var->u.var.vkind != VAR_SHARED &&
                                     ((IrInst *)var->u.var.lower_slot)->op == IR_PARAM);
}

/* Whether e denotes memory that lower_place can address without a copy. */
static bool
is_place(const Node *e)
{
    switch (e->kind) {
    case ND_NAME: return e->u.name.sym == SYM_VAR && !is_param(e->u.name.ref.var);
    case ND_INDEX:
        return (e->u.index.base->type && e->u.index.base->type->kind == IRT_PTR) ||
               (!is_bool_vec(e->u.index.base->type) && is_place(e->u.index.base));
    case ND_FIELD:
        return e->u.field.base->type &&
               (e->u.field.base->type->kind == IRT_STRUCT ||
                (e->u.field.base->type->kind == IRT_VEC && e->u.field.nswz == 1 &&
                 !is_bool_vec(e->u.field.base->type))) &&
               is_place(e->u.field.base);
    default: return false;
    }
}

/* The address of a variable: its slot, or its shared variable. */
static IrInst *
var_address(Lower *L, Node *var)
{
    if (!var->u.var.lower_slot)
        ICE("variable '%s' used before it was lowered", var->u.var.name);
    if (var->u.var.vkind == VAR_SHARED) {
        IrShared *sh = var->u.var.lower_slot;
        IrInst *p = emit0(L, IR_SHARED, ir_type_ptr(L->m, sh->type, IR_SPACE_SHARED, false));
        p->imm.shared = sh;
        return p;
    }
    return var->u.var.lower_slot;
}

/* Stores a value in a temporary slot so that it can be addressed (a dynamic
 * index into an array value that is not a place). */
static IrInst *
spill(Lower *L, IrInst *v)
{
    IrInst *slot = new_slot(L, v->type, NULL);
    ir_store(&L->b, slot, v);
    return slot;
}

/* Returns a pointer to the place e. Non-places are spilled, so this also
 * serves the dynamic index of an rvalue array. */
static IrInst *
lower_place(Lower *L, Node *e)
{
    switch (e->kind) {
    case ND_NAME:
        if (e->u.name.sym == SYM_VAR && !is_param(e->u.name.ref.var)) {
            at(L, e);
            return var_address(L, e->u.name.ref.var);
        }
        break;
    case ND_INDEX: {
        Node *base = e->u.index.base;
        if (type_of(base)->kind == IRT_PTR) {
            IrInst *p = lower_expr(L, base);
            IrInst *i = lower_ptr_index(L, e->u.index.index);
            at(L, e);
            return emit2(L, IR_PTR_ADD, p->type, p, i);
        }
        IrInst *p = lower_place(L, base);
        IrInst *i = lower_expr(L, e->u.index.index);
        at(L, e);
        return ir_elem_ptr(&L->b, p, array_index(L, i));
    }
    case ND_FIELD:
        if (type_of(e->u.field.base)->kind == IRT_STRUCT) {
            IrInst *p = lower_place(L, e->u.field.base);
            at(L, e);
            return ir_field_ptr(&L->b, p, e->u.field.field_index);
        }
        if (is_place(e)) { /* one component of a vector in memory: a scalar access */
            IrInst *p = lower_place(L, e->u.field.base);
            at(L, e);
            return ir_elem_ptr(&L->b, p,
                               ir_const_int(&L->b, ir_type_int(L->m, 32, false),
                                            (uint64_t)e->u.field.swz[0]));
        }
        break;
    default: break;
    }
    IrInst *v = lower_expr(L, e);
    at(L, e);
    return spill(L, v);
}

/* ---- expressions ---------------------------------------------------------- */

/* x op y for already lowered operands: shift amounts take the left type
 * (§5, ops.def), pointer +/- integer moves by elements. */
static IrInst *
arith(Lower *L, int op, IrInst *x, IrInst *y)
{
    if (ir_type_is_vec(x->type) || ir_type_is_vec(y->type)) {
        IrType *vt = ir_type_is_vec(x->type) ? x->type : y->type;
        IrInst *cs[4];
        for (int i = 0; i < (int)vt->count; i++)
            cs[i] = arith(L, op, comp(L, x, i), comp(L, y, i));
        return compose(L, ir_type_vec(L->m, cs[0]->type, (uint32_t)vt->count), cs);
    }
    if (x->type->kind == IRT_PTR && (op == BIN_ADD || op == BIN_SUB) && y->type->kind == IRT_INT) {
        IrInst *i = ptr_index(L, y);
        if (op == BIN_SUB)
            i = ir_unop(&L->b, IR_NEG, i);
        return emit2(L, IR_PTR_ADD, x->type, x, i);
    }
    if (y->type->kind == IRT_PTR && op == BIN_ADD && x->type->kind == IRT_INT)
        return emit2(L, IR_PTR_ADD, y->type, y, ptr_index(L, x));
    if (op == BIN_SHL || op == BIN_SHR)
        y = convert(L, y, x->type);
    /* *T == *const T (sema allows it): compare both as *const T */
    if (x->type->kind == IRT_PTR && y->type->kind == IRT_PTR && x->type != y->type) {
        if (x->type->is_const)
            y = convert(L, y, x->type);
        else
            x = convert(L, x, y->type);
    }
    return ir_binop(&L->b, sema_binop_ir((BinOp)op), x, y);
}

/* a && b, a || b: b runs only when needed; the result goes through a slot
 * because a value made inside an IF cannot be used after it. A chain of one
 * operator, a && b && c (the tree ((a && b) && c)), is walked along its left
 * spine without recursion and shares one slot: one IF per operand, one
 * after the other, never nested, so the IR stays flat and linear in the
 * chain's length. */
/* Whether evaluating e can be neither observed nor harmful when its value
 * is not needed: names of locals, parameters and constants, and
 * comparisons, bitwise and +,-,* operators over them (no memory, no calls,
 * no division), at most `budget` levels deep. */
static bool
is_cheap_pure(const Node *e, int budget)
{
    if (e->cval.type)
        return true;
    if (budget == 0)
        return false;
    switch (e->kind) {
    case ND_NAME: return e->u.name.sym == SYM_VAR || e->u.name.sym == SYM_CONST;
    case ND_UNARY: return is_cheap_pure(e->u.bin.lhs, budget - 1);
    case ND_BINARY:
        switch (e->u.bin.op) {
        case BIN_DIV:
        case BIN_REM:
        case BIN_LAND:
        case BIN_LOR: return false;
        default:
            return is_cheap_pure(e->u.bin.lhs, budget - 1) && is_cheap_pure(e->u.bin.rhs, budget - 1);
        }
    default: return false;
    }
}

static IrInst *
lower_logical(Lower *L, Node *e)
{
    int op = e->u.bin.op;
    PtrVec spine = {0};
    Node *n = e;
    while (n->kind == ND_BINARY && n->u.bin.op == op && !n->cval.type) {
        ptrvec_push(L->a, &spine, n);
        n = n->u.bin.lhs;
    }
    IrInst *cur = lower_expr(L, n);
    IrInst *slot = NULL;
    for (int i = spine.len - 1; i >= 0; i--) {
        Node *k = spine.data[i];
        at(L, k);
        if (is_cheap_pure(k->u.bin.rhs, 3)) {
            /* nothing to skip: `b && c` is `b & c` without a branch */
            IrInst *r = lower_expr(L, k->u.bin.rhs);
            at(L, k);
            cur = ir_binop(&L->b, op == BIN_LAND ? IR_AND : IR_OR, cur, r);
            continue;
        }
        if (!slot)
            slot = new_slot(L, ir_type_bool(L->m), NULL);
        ir_store(&L->b, slot, cur);
        IrInst *iff = begin_if(L, cur);
        IrRegion *saved = L->b.r;
        L->b.r = op == BIN_LAND ? &iff->then_r : &iff->else_r;
        IrInst *r = lower_expr(L, k->u.bin.rhs);
        at(L, k);
        ir_store(&L->b, slot, r);
        L->b.r = saved;
        cur = ir_load(&L->b, slot);
    }
    return cur;
}

static IrInst *
lower_call(Lower *L, Node *e)
{
    Node *callee = e->u.call.callee;
    int n = e->u.call.nargs;
    IrInst **args = arena_alloc(L->a, sizeof *args * (size_t)(n + 1));
    if (callee->kind != ND_NAME)
        ICE("call of a non-name at %u:%u", e->loc.line, e->loc.col);
    if (callee->u.name.sym == SYM_FUNC) {
        IrFunc *f = callee->u.name.ref.decl->u.fn.ir;
        if (!f || f->nparams != n)
            ICE("call of '%s', which was not lowered", callee->u.name.name);
        for (int i = 0; i < n; i++)
            args[i] = lower_as(L, e->u.call.args[i], f->params[i].type);
        at(L, e);
        return ir_call(&L->b, f, n, args);
    }
    if (callee->u.name.sym != SYM_BUILTIN_FN)
        ICE("call of '%s', which is not a function", callee->u.name.name);
    Builtin bi = callee->u.name.ref.builtin;
    const BuiltinInfo *info = &builtin_info[bi];
    /* An atomic's first argument is a place (§7): operate on its address. */
    for (int i = 0; i < n; i++)
        args[i] = (i == 0 && info->args == BA_PLACE) ? lower_place(L, e->u.call.args[0])
                                                     : lower_expr(L, e->u.call.args[i]);
    at(L, e);
    IrType *t = info->result == BR_VOID ? ir_type_void(L->m) : type_of(e);
    switch (info->args) {
    case BA_REDUCE:
    case BA_BOOLVEC: {
        /* ((x op y) op z) op w */
        IrInst *r = comp(L, args[0], 0);
        for (int i = 1; i < (int)args[0]->type->count; i++)
            r = ir_binop(&L->b, info->op, r, comp(L, args[0], i));
        return r;
    }
    case BA_DOT: {
        /* x0 * y0, then one fused multiply-add per further component */
        IrInst *r = ir_binop(&L->b, IR_MUL, comp(L, args[0], 0), comp(L, args[1], 0));
        for (int i = 1; i < (int)args[0]->type->count; i++) {
            IrInst *ops[3] = {comp(L, args[0], i), comp(L, args[1], i), r};
            r = ir_emit(&L->b, info->op, t, 3, ops);
        }
        return r;
    }
    default: break;
    }
    if (ir_type_is_vec(t) && (info->flags & BIF_VEC)) {
        /* component-wise; scalar arguments (a select's bool condition, min's
         * bound) stand for every component */
        IrInst *cs[4], *ops[4];
        for (int k = 0; k < (int)t->count; k++) {
            for (int i = 0; i < n; i++)
                ops[i] = comp(L, args[i], k);
            cs[k] = ir_emit(&L->b, info->op, t->elem, n, ops);
        }
        return compose(L, t, cs);
    }
    return ir_emit(&L->b, info->op, t, n, args);
}

/* The fields of a struct literal in declaration order; the values are
 * evaluated in source order, as written. */
static IrInst *
lower_struct_lit(Lower *L, Node *e)
{
    IrType *t = type_of(e);
    int n = e->u.slit.nfields;
    IrInst **written = arena_alloc(L->a, sizeof *written * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        written[i] = lower_expr(L, e->u.slit.fvals[i]);
    IrInst **ops = arena_alloc(L->a, sizeof *ops * (size_t)(t->nfields + 1));
    for (int k = 0; k < t->nfields; k++) {
        for (int i = 0; i < n; i++)
            if (strcmp(e->u.slit.fnames[i], t->fields[k].name) == 0)
                ops[k] = convert(L, written[i], t->fields[k].type);
        if (!ops[k])
            ICE("struct literal of %s lacks field %s", t->name, t->fields[k].name);
    }
    at(L, e);
    return ir_emit(&L->b, IR_COMPOSITE, t, t->nfields, ops);
}

/* A constant whose bits are all zero (and is not -0.0): `[0.0; N]` becomes
 * one ZERO instead of N operands. */
static bool
is_zero_const(const Node *e)
{
    if (!e->cval.type)
        return false;
    if (ir_type_is_float(e->cval.type))
        return e->cval.f == 0.0 && !__builtin_signbit(e->cval.f);
    return e->cval.i == 0;
}

static IrInst *
lower_repeat(Lower *L, Node *e)
{
    IrType *t = type_of(e);
    Node *elem = e->u.alit.elems[0];
    if (is_zero_const(elem)) {
        at(L, e);
        return emit0(L, IR_ZERO, t);
    }
    IrInst *v = lower_expr(L, elem);
    uint64_t n = t->count;
    IrInst **ops = arena_alloc(L->a, sizeof *ops * (size_t)(n + 1));
    for (uint64_t i = 0; i < n; i++)
        ops[i] = v;
    at(L, e);
    return ir_emit(&L->b, IR_COMPOSITE, t, (int)n, ops);
}

static IrInst *
lower_name(Lower *L, Node *e)
{
    switch (e->u.name.sym) {
    case SYM_VAR: {
        Node *var = e->u.name.ref.var;
        if (is_param(var))
            return var->u.var.lower_slot;
        IrInst *p = var_address(L, var);
        return ir_load(&L->b, p);
    }
    case SYM_CONST: {
        Decl *d = e->u.name.ref.decl;
        return lower_const(L, d->u.cnst.type ? d->u.cnst.type : type_of(e), &d->u.cnst.val);
    }
    default: ICE("name '%s' is not a value", e->u.name.name);
    }
}

static IrInst *
lower_index(Lower *L, Node *e)
{
    Node *base = e->u.index.base;
    if (is_place(e))
        return ir_load(&L->b, lower_place(L, e));
    if (is_bool_vec(type_of(base)) && !e->u.index.index->cval.type) {
        IrInst *v = lower_expr(L, base);
        IrInst *i = lower_expr(L, e->u.index.index);
        at(L, e);
        return select_comp(L, v, i);
    }
    /* An element of an array value: EXTRACT when the index is constant. */
    Node *idx = e->u.index.index;
    if (idx->cval.type) {
        IrInst *agg = lower_expr(L, base);
        at(L, e);
        IrInst *x = emit1(L, IR_EXTRACT, type_of(e), agg);
        x->imm.index = (int)idx->cval.i;
        return x;
    }
    /* A dynamic index: address the value through lower_place, which
     * spills the outermost value that is not a place once (not each
     * aggregate level on the way). */
    return ir_load(&L->b, lower_place(L, e));
}

static IrInst *
lower_field(Lower *L, Node *e)
{
    Node *base = e->u.field.base;
    if (base->kind == ND_NAME && base->u.name.sym == SYM_BUILTIN_VAR) {
        IrInst *v =
            emit0(L, builtin_info[base->u.name.ref.builtin].op, ir_type_int(L->m, 32, false));
        v->imm.dim = e->u.field.field_index;
        return v;
    }
    if (is_place(e))
        return ir_load(&L->b, lower_place(L, e));
    IrInst *agg = lower_expr(L, base);
    at(L, e);
    if (agg->type->kind == IRT_VEC && e->u.field.nswz > 1) {
        IrInst *cs[4];
        for (int i = 0; i < e->u.field.nswz; i++)
            cs[i] = comp(L, agg, e->u.field.swz[i]);
        return compose(L, type_of(e), cs);
    }
    IrInst *x = emit1(L, IR_EXTRACT, type_of(e), agg);
    x->imm.index = e->u.field.field_index;
    return x;
}

/* vecN<T>(...): the components of the arguments in order, or one scalar
 * in every component. */
static IrInst *
lower_vec_ctor(Lower *L, Node *e)
{
    IrType *t = type_of(e);
    IrInst *cs[4];
    int n = 0;
    for (int i = 0; i < e->u.call.nargs; i++) {
        IrInst *a = lower_expr(L, e->u.call.args[i]);
        at(L, e);
        if (!ir_type_is_vec(a->type)) {
            cs[n++] = a;
            continue;
        }
        for (int k = 0; k < (int)a->type->count; k++)
            cs[n++] = comp(L, a, k);
    }
    for (; n < (int)t->count; n++) /* a splat */
        cs[n] = cs[0];
    return compose(L, t, cs);
}

static IrInst *
lower_expr(Lower *L, Node *e)
{
    at(L, e);
    if (e->cval.type && ir_type_is_scalar(e->cval.type) && e->cval.type->kind != IRT_PTR)
        return lower_const(L, e->type ? e->type : e->cval.type, &e->cval);
    switch (e->kind) {
    case ND_INT_LIT:
    case ND_FLOAT_LIT:
    case ND_BOOL_LIT: ICE("literal at %u:%u was not folded by sema", e->loc.line, e->loc.col);
    case ND_NULL_LIT: return ir_emit(&L->b, IR_ZERO, type_of(e), 0, NULL); /* address 0 */
    case ND_NAME: return lower_name(L, e);
    case ND_UNARY: {
        IrInst *x = lower_expr(L, e->u.bin.lhs);
        at(L, e);
        IrOp op = e->u.bin.op == UN_NEG ? IR_NEG : IR_NOT;
        if (ir_type_is_vec(x->type)) {
            IrInst *cs[4];
            for (int i = 0; i < (int)x->type->count; i++)
                cs[i] = ir_unop(&L->b, op, comp(L, x, i));
            return compose(L, x->type, cs);
        }
        return ir_unop(&L->b, op, x);
    }
    case ND_BINARY: {
        if (e->u.bin.op == BIN_LAND || e->u.bin.op == BIN_LOR)
            return lower_logical(L, e);
        IrInst *x = lower_expr(L, e->u.bin.lhs);
        IrInst *y = lower_expr(L, e->u.bin.rhs);
        at(L, e);
        return arith(L, e->u.bin.op, x, y);
    }
    case ND_CAST: {
        IrInst *x = lower_expr(L, e->u.cast.lhs);
        at(L, e);
        return convert(L, x, type_of(e));
    }
    case ND_CALL: return lower_call(L, e);
    case ND_INDEX: return lower_index(L, e);
    case ND_FIELD: return lower_field(L, e);
    case ND_STRUCT_LIT: return lower_struct_lit(L, e);
    case ND_ARRAY_LIT: {
        int n = e->u.alit.nelems;
        IrInst **ops = arena_alloc(L->a, sizeof *ops * (size_t)(n + 1));
        for (int i = 0; i < n; i++)
            ops[i] = lower_as(L, e->u.alit.elems[i], type_of(e)->elem);
        at(L, e);
        return ir_emit(&L->b, IR_COMPOSITE, type_of(e), n, ops);
    }
    case ND_ARRAY_REPEAT: return lower_repeat(L, e);
    case ND_VEC_CTOR: return lower_vec_ctor(L, e);
    default: ICE("node kind %d is not an expression", (int)e->kind);
    }
}

/* ---- statements ----------------------------------------------------------- */

/* Lowers the statements of a block into the current region, stopping after
 * a terminator (code after `break;` or `return;` is unreachable). */
static void
lower_block(Lower *L, Node *blk)
{
    if (blk->kind != ND_BLOCK) {
        lower_stmt(L, blk);
        return;
    }
    for (int i = 0; i < blk->u.block.nstmts && !terminated(L); i++)
        lower_stmt(L, blk->u.block.stmts[i]);
}

/* Lowers stmt into region r and comes back to the current region. */
static void
lower_into(Lower *L, IrRegion *r, Node *stmt)
{
    IrRegion *saved = L->b.r;
    L->b.r = r;
    if (stmt)
        lower_block(L, stmt);
    L->b.r = saved;
}

/* Emits `if !cond { break }` at the top of a loop body. */
static void
break_unless(Lower *L, IrInst *cond)
{
    IrInst *iff = begin_if(L, cond);
    IrRegion *saved = L->b.r;
    L->b.r = &iff->else_r;
    emit0(L, IR_BREAK, ir_type_void(L->m));
    L->b.r = saved;
}

/* `var a: [T; N] = [v; N]` with a large N: a loop of stores instead of an
 * N-operand COMPOSITE. */
static void
store_repeat(Lower *L, IrInst *slot, Node *init)
{
    IrType *u32 = ir_type_int(L->m, 32, false);
    IrInst *v = lower_expr(L, init->u.alit.elems[0]);
    at(L, init);
    IrInst *ctr = new_slot(L, u32, NULL);
    ir_store(&L->b, ctr, ir_const_int(&L->b, u32, 0));
    IrInst *n = ir_const_int(&L->b, u32, slot->type->elem->count);
    IrInst *loop = ir_loop(&L->b);
    IrRegion *saved = L->b.r;
    L->b.r = &loop->body_r;
    IrInst *i = ir_load(&L->b, ctr);
    break_unless(L, ir_binop(&L->b, IR_LT, i, n));
    ir_store(&L->b, ir_elem_ptr(&L->b, slot, i), v);
    L->b.r = &loop->cont_r;
    IrInst *i2 = ir_load(&L->b, ctr);
    ir_store(&L->b, ctr, ir_binop(&L->b, IR_ADD, i2, ir_const_int(&L->b, u32, 1)));
    L->b.r = saved;
}

enum { REPEAT_INLINE_MAX = 64 };

/* `var a = [e0, e1, ...]` with many elements: one store per element into
 * the slot. An N-operand COMPOSITE would become N insertvalues in LLVM, each
 * copying the aggregate (quadratic there), and one SPIR-V instruction
 * longer than the 65535 words an instruction may have (SPIR-V 2.17). */
static void
store_elements(Lower *L, IrInst *slot, Node *init)
{
    IrType *u32 = ir_type_int(L->m, 32, false);
    IrType *et = slot->type->elem->elem;
    for (int i = 0; i < init->u.alit.nelems; i++) {
        IrInst *v = lower_as(L, init->u.alit.elems[i], et);
        at(L, init->u.alit.elems[i]);
        ir_store(&L->b, ir_elem_ptr(&L->b, slot, ir_const_int(&L->b, u32, (uint64_t)i)), v);
    }
}

static void
lower_var_decl(Lower *L, Node *s)
{
    IrType *t = s->u.var.decl_type;
    if (!t)
        ICE("variable '%s' has no type after sema", s->u.var.name);
    if (s->u.var.vkind == VAR_SHARED) {
        const char *name = arena_printf(L->a, "%s.%d", s->u.var.name, L->nshared++);
        s->u.var.lower_slot = ir_shared_new(L->m, name, t, s->loc);
        return;
    }
    Node *init = s->u.var.init;
    IrInst *v = NULL;
    bool big_repeat = init && init->kind == ND_ARRAY_REPEAT &&
                      !is_zero_const(init->u.alit.elems[0]) && t->kind == IRT_ARRAY &&
                      t->count > REPEAT_INLINE_MAX;
    bool big_list = init && init->kind == ND_ARRAY_LIT && t->kind == IRT_ARRAY &&
                    init->u.alit.nelems > REPEAT_INLINE_MAX;
    if (init && !big_repeat && !big_list)
        v = lower_as(L, init, t);
    at(L, s);
    IrInst *slot = new_slot(L, t, s->u.var.name);
    if (v)
        ir_store(&L->b, slot, v);
    else if (big_repeat)
        store_repeat(L, slot, init);
    else if (big_list)
        store_elements(L, slot, init);
    s->u.var.lower_slot = slot;
}

/* Whether e is one component (v.y, v[i]) of a bool vector, which has no
 * address of its own: assigned by rebuilding the vector. */
static bool
is_bool_vec_comp(const Node *e)
{
    return (e->kind == ND_FIELD && is_bool_vec(e->u.field.base->type)) ||
           (e->kind == ND_INDEX && is_bool_vec(e->u.index.base->type));
}

static void
assign_bool_vec_comp(Lower *L, Node *s)
{
    Node *lhs = s->u.assign.lhs;
    bool field = lhs->kind == ND_FIELD;
    Node *base = field ? lhs->u.field.base : lhs->u.index.base;
    IrInst *p = lower_place(L, base);
    IrInst *idx = field ? NULL : lower_expr(L, lhs->u.index.index);
    at(L, s);
    IrInst *old = ir_load(&L->b, p);
    IrInst *cur = field ? comp(L, old, lhs->u.field.swz[0]) : select_comp(L, old, idx);
    IrInst *v = lower_expr(L, s->u.assign.rhs);
    at(L, s);
    if (s->u.assign.op != BIN_NONE)
        v = arith(L, s->u.assign.op, cur, v);
    IrInst *cs[4];
    for (int i = 0; i < (int)old->type->count; i++) {
        if (field) {
            cs[i] = i == lhs->u.field.swz[0] ? v : comp(L, old, i);
            continue;
        }
        IrInst *is_i = ir_binop(&L->b, IR_EQ, idx, ir_const_int(&L->b, idx->type, (uint64_t)i));
        IrInst *ops[3] = {is_i, v, comp(L, old, i)};
        cs[i] = ir_emit(&L->b, IR_SELECT, v->type, 3, ops);
    }
    ir_store(&L->b, p, compose(L, old->type, cs));
}

static void
lower_assign(Lower *L, Node *s)
{
    if (is_bool_vec_comp(s->u.assign.lhs)) {
        assign_bool_vec_comp(L, s);
        return;
    }
    IrInst *p = lower_place(L, s->u.assign.lhs);
    if (s->u.assign.op == BIN_NONE) {
        IrInst *v = lower_as(L, s->u.assign.rhs, p->type->elem);
        at(L, s);
        ir_store(&L->b, p, v);
        return;
    }
    /* Compound assignment evaluates its place once. */
    at(L, s);
    IrInst *old = ir_load(&L->b, p);
    IrInst *v = lower_expr(L, s->u.assign.rhs);
    at(L, s);
    ir_store(&L->b, p, arith(L, s->u.assign.op, old, v));
}

/* Else-if chains longer than this are lowered flat (lower_else_if_chain). */
enum { ELSE_IF_FLAT_MIN = 32 };

/* `if c1 {A} else if c2 {B} ... else {Z}` with many arms: nested IFs would
 * nest as deep as the chain is long, past SPIR-V's limit of 1023 nested
 * control-flow constructs (SPIR-V 2.17 Universal Limits) and through every
 * recursive walk of the regions. Instead one bool slot records that an arm
 * was taken, and each later arm is `if !taken { if c { taken = true; B } }`:
 * two levels whatever the length, and c is still evaluated only when no
 * earlier arm ran. */
static void
lower_else_if_chain(Lower *L, Node *s)
{
    IrType *tb = ir_type_bool(L->m);
    at(L, s);
    IrInst *taken = new_slot(L, tb, NULL);
    ir_store(&L->b, taken, ir_const_int(&L->b, tb, 0));
    for (Node *arm = s; arm; arm = arm->kind == ND_IF ? arm->u.if_.else_b : NULL) {
        at(L, arm);
        IrRegion *saved = L->b.r;
        if (arm != s) {
            IrInst *open = begin_if(L, ir_load(&L->b, taken));
            L->b.r = &open->else_r;
        }
        if (arm->kind != ND_IF) { /* the final else block */
            lower_block(L, arm);
            L->b.r = saved;
            break;
        }
        IrInst *c = lower_expr(L, arm->u.if_.cond);
        at(L, arm);
        IrInst *iff = begin_if(L, c);
        L->b.r = &iff->then_r;
        ir_store(&L->b, taken, ir_const_int(&L->b, tb, 1));
        lower_block(L, arm->u.if_.then_b);
        L->b.r = saved;
    }
}

static void
lower_if(Lower *L, Node *s)
{
    int arms = 0;
    for (Node *n = s; n && n->kind == ND_IF && arms < ELSE_IF_FLAT_MIN; n = n->u.if_.else_b)
        arms++;
    if (arms >= ELSE_IF_FLAT_MIN) {
        lower_else_if_chain(L, s);
        return;
    }
    IrInst *c = lower_expr(L, s->u.if_.cond);
    at(L, s);
    IrInst *iff = begin_if(L, c);
    lower_into(L, &iff->then_r, s->u.if_.then_b);
    lower_into(L, &iff->else_r, s->u.if_.else_b);
}

static void
lower_while(Lower *L, Node *s)
{
    at(L, s);
    IrInst *loop = ir_loop(&L->b);
    loop->unroll = s->u.loop.unroll;
    IrRegion *saved = L->b.r;
    L->b.r = &loop->body_r;
    IrInst *c = lower_expr(L, s->u.loop.cond);
    at(L, s);
    break_unless(L, c);
    lower_block(L, s->u.loop.body);
    L->b.r = saved;
}

/* The loop of `for i in lo..hi step s` goes on after i iff i + s < hi
 * mathematically, i.e. iff i < lim with lim = max(hi, s) - s, computed once
 * (for s > 0 it is hi - s when that does not go below the type's minimum).
 * Signed types compare in the unsigned order after flipping the sign bit
 * (x ^ MIN maps MIN..MAX onto 0..2^N-1 in order), so one formula covers
 * both. This gives the same iterations as stepping i += s and stopping when
 * the sum wraps or reaches hi, for every lo, hi and s, without a separate
 * wrap test in each iteration: i += s only runs when i + s < hi. */
static IrInst *
for_limit(Lower *L, IrType *t, IrInst *hi, IrInst *step)
{
    IrType *u = ir_type_int(L->m, t->bits, false);
    IrInst *bias = NULL;
    if (t->is_signed) {
        bias = ir_const_int(&L->b, u, UINT64_C(1) << (t->bits - 1));
        hi = ir_binop(&L->b, IR_XOR, ir_cast(&L->b, hi, u), bias);
        step = ir_cast(&L->b, step, u);
    }
    IrInst *ops[3] = {ir_binop(&L->b, IR_LT, hi, step), ir_const_int(&L->b, u, 0),
                      ir_binop(&L->b, IR_SUB, hi, step)};
    IrInst *lim = ir_emit(&L->b, IR_SELECT, u, 3, ops);
    return bias ? ir_cast(&L->b, ir_binop(&L->b, IR_XOR, lim, bias), t) : lim;
}

/* for i in lo..hi step s (§4): bounds and step evaluated once, before the
 * loop, and i < hi tested once before it; the continuing region steps i and
 * leaves when i >= lim (for_limit), so the loop never wraps.
 * Testing the old i against a loop-invariant limit, rather than the new one
 * against hi plus a wrap test, is one compare per iteration instead of two
 * and a form LLVM's trip-count analysis reads (docs/benchmarks.md). */
static void
lower_for(Lower *L, Node *s)
{
    Node *var = s->u.loop.loop_var;
    IrType *t = var->u.var.decl_type ? var->u.var.decl_type : type_of(s->u.loop.lo);
    IrInst *lo = convert(L, lower_expr(L, s->u.loop.lo), t);
    IrInst *hi = convert(L, lower_expr(L, s->u.loop.hi), t);
    IrInst *step;
    if (s->u.loop.step) {
        step = convert(L, lower_expr(L, s->u.loop.step), t);
    } else {
        at(L, s);
        step = ir_const_int(&L->b, t, 1);
    }
    at(L, s);
    IrInst *slot = new_slot(L, t, var->u.var.name);
    var->u.var.lower_slot = slot;
    ir_store(&L->b, slot, lo);
    IrInst *lim = for_limit(L, t, hi, step);
    IrInst *guard = begin_if(L, ir_binop(&L->b, IR_LT, lo, hi));
    IrRegion *saved = L->b.r;
    L->b.r = &guard->then_r;
    IrInst *loop = ir_loop(&L->b);
    loop->unroll = s->u.loop.unroll;

    L->b.r = &loop->body_r;
    lower_block(L, s->u.loop.body);

    L->b.r = &loop->cont_r;
    at(L, s);
    IrInst *cur = ir_load(&L->b, slot);
    IrInst *last = ir_binop(&L->b, IR_GE, cur, lim);
    ir_store(&L->b, slot, ir_binop(&L->b, IR_ADD, cur, step));
    loop->break_if = last;
    L->b.r = saved;
}

static void
lower_stmt(Lower *L, Node *s)
{
    at(L, s);
    switch (s->kind) {
    case ND_VAR_DECL: lower_var_decl(L, s); break;
    case ND_ASSIGN: lower_assign(L, s); break;
    case ND_IF: lower_if(L, s); break;
    case ND_WHILE: lower_while(L, s); break;
    case ND_FOR: lower_for(L, s); break;
    case ND_BREAK: emit0(L, IR_BREAK, ir_type_void(L->m)); break;
    case ND_CONTINUE: emit0(L, IR_CONTINUE, ir_type_void(L->m)); break;
    case ND_RETURN:
        if (s->u.ret.value) {
            IrInst *v = lower_as(L, s->u.ret.value, L->b.f->ret);
            at(L, s);
            emit1(L, IR_RETURN, ir_type_void(L->m), v);
        } else {
            emit0(L, IR_RETURN, ir_type_void(L->m));
        }
        break;
    case ND_BLOCK: lower_block(L, s); break;
    case ND_EXPR_STMT: lower_expr(L, s->u.expr.expr); break;
    default: ICE("node kind %d is not a statement", (int)s->kind);
    }
}

/* ---- functions and module ---------------------------------------------------- */

static bool
is_function(const Decl *d)
{
    return (d->kind == DECL_FN || d->kind == DECL_KERNEL) && d->u.fn.body;
}

/* Creates the IrFunc (so calls can name a callee declared later). */
static void
declare_function(Lower *L, Decl *d)
{
    int n = d->u.fn.nparams;
    IrParam *ps = arena_alloc(L->a, sizeof *ps * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        Node *p = d->u.fn.params[i];
        if (!p->u.var.decl_type)
            ICE("parameter '%s' has no type after sema", p->u.var.name);
        ps[i] = (IrParam){p->u.var.name, p->u.var.decl_type, p->loc};
    }
    IrType *ret = d->u.fn.ret ? d->u.fn.ret : ir_type_void(L->m);
    IrFunc *f = ir_func_new(L->m, d->name, d->kind == DECL_KERNEL, ret, n, ps, d->loc);
    for (int i = 0; i < n; i++)
        d->u.fn.params[i]->u.var.lower_slot = f->param_values[i];
    if (d->kind == DECL_KERNEL && d->u.fn.has_wg) {
        for (int k = 0; k < 3; k++)
            f->workgroup[k] = 1;
        for (int k = 0; k < d->u.fn.nwg && k < 3; k++)
            f->workgroup[k] = (uint32_t)d->u.fn.wg[k]->cval.i;
    }
    d->u.fn.ir = f;
}

static void
define_function(Lower *L, Decl *d)
{
    IrFunc *f = d->u.fn.ir;
    L->b = (IrBuilder){.m = L->m, .f = f, .r = &f->body, .loc = d->loc};
    lower_block(L, d->u.fn.body);
    if (terminated(L))
        return;
    /* Falling off the end: void functions return; a value function cannot
     * get here at run time (sema checked every path returns), but the
     * region still needs its terminator. */
    L->b.loc = d->u.fn.body->loc;
    if (f->ret->kind == IRT_VOID)
        emit0(L, IR_RETURN, ir_type_void(L->m));
    else
        emit1(L, IR_RETURN, ir_type_void(L->m), emit0(L, IR_UNDEF, f->ret));
}

void
lower_module(Arena *a, Module *mod, IrModule *m)
{
    Lower L = {.a = a, .m = m};
    for (int i = 0; i < mod->ndecls; i++)
        if (is_function(mod->decls[i]))
            declare_function(&L, mod->decls[i]);
    for (int i = 0; i < mod->ndecls; i++)
        if (is_function(mod->decls[i]))
            define_function(&L, mod->decls[i]);
    Buf err = {0};
    if (!ir_verify(m, &err)) {
        buf_append(&err, "", 1);
        ICE("the IR of %s does not verify after lowering:\n%s", mod->path, (char *)err.data);
    }
    buf_free(&err);
}
