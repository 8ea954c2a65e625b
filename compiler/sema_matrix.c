/* sema_matrix.c: the rules of matrix tiles (LANGUAGE.md §14, docs/language.md
 * "Matrix operations"): the types mat_a / mat_b / mat_acc, where they may
 * live, the matrix_* builtins, accumulator arithmetic, and the check that
 * every matrix operation is reached by the whole subgroup.
 *
 * Uniformity is what sema can see: a value varies between the lanes of a
 * subgroup when it is computed from thread_id, global_id, lane_id() or a
 * shuffle, or read from a variable that was given such a value or assigned
 * under a varying condition. A matrix operation under a varying `if`,
 * `while` or `for`, or after a `return`, `break` or `continue` taken under
 * one, is an error that points at the condition. Values sema cannot see
 * through (memory, function results from uniform arguments, parameters)
 * count as uniform: the rule itself (§14) still binds the program. */
#include "sema_impl.h"

#include <string.h>

/* ---- types ------------------------------------------------------------------- */

static IrMatRole
role_of(const char *name)
{
    return strcmp(name, "mat_a") == 0 ? IR_MAT_A : strcmp(name, "mat_b") == 0 ? IR_MAT_B : IR_MAT_ACC;
}

bool
sema_is_matrix_name(const char *name)
{
    return strcmp(name, "mat_a") == 0 || strcmp(name, "mat_b") == 0 || strcmp(name, "mat_acc") == 0;
}

/* The element types a role takes: f16 or bf16 for A and B, f32 for the
 * accumulator (§14). */
static bool
elem_ok(IrMatRole role, const IrType *t)
{
    if (!t || t->kind != IRT_FLOAT)
        return false;
    return role == IR_MAT_ACC ? t->bits == 32 && !t->is_bf16 : t->bits == 16;
}

static const char *
elem_list(IrMatRole role)
{
    return role == IR_MAT_ACC ? "f32" : "f16 or bf16";
}

IrType *
sema_matrix_type(Sema *s, Node *ty)
{
    const char *name = ty->u.ty.name;
    IrMatRole role = role_of(name);
    if (!ty->u.ty.generic) {
        diag_error(ty->loc, "'%s' needs its element type and shape: %s<%s, 16, 16>", name, name,
                   role == IR_MAT_ACC ? "f32" : "f16");
        return NULL;
    }
    if (!ty->u.ty.elem)
        return NULL; /* the parser reported it */
    IrType *elem = sema_resolve_type(s, ty->u.ty.elem);
    bool ok = elem != NULL;
    if (elem && !elem_ok(role, elem)) {
        diag_error(ty->u.ty.elem->loc, "'%s' elements must be %s, not '%s'", name,
                   elem_list(role), sema_type_name(s, elem));
        ok = false;
    }
    uint64_t dims[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        Node *d = ty->u.ty.dims[i];
        IrType *dt = sema_expr(s, d, ir_type_int(s->m, 32, false));
        if (!dt) {
            ok = false;
            continue;
        }
        if (!ir_type_is_int(dt) || !d->cval.type) {
            diag_error(d->loc, "matrix %s must be an integer constant", i ? "columns" : "rows");
            ok = false;
            continue;
        }
        dims[i] = d->cval.i;
    }
    if (ok && (dims[0] != 16 || dims[1] != 16)) {
        Node *bad = dims[0] != 16 ? ty->u.ty.dims[0] : ty->u.ty.dims[1];
        diag_error(bad->loc, "matrix tiles are 16 x 16, not %llu x %llu",
                   (unsigned long long)dims[0], (unsigned long long)dims[1]);
        ok = false;
    }
    return ok ? ir_type_matrix(s->m, role, elem, 16, 16) : NULL;
}

bool
sema_matrix_refused(Sema *s, IrType *t, SrcLoc loc, const char *where)
{
    if (!ir_type_has_matrix(t))
        return false;
    diag_error(loc, "'%s' cannot be %s: matrices live in let, var and private arrays, and "
                    "pass to and from device functions",
               sema_type_name(s, t), where);
    return true;
}

/* ---- uniformity ----------------------------------------------------------------- */

static bool
varying_builtin(Builtin b)
{
    switch (b) {
    case BI_THREAD_ID: case BI_GLOBAL_ID: case BI_LANE_ID: case BI_SHUFFLE: case BI_SHUFFLE_XOR:
        return true;
    default:
        return false;
    }
}

bool
sema_varying(const Node *e)
{
    if (!e)
        return false;
    switch (e->kind) {
    case ND_NAME:
        if (e->u.name.sym == SYM_VAR)
            return e->u.name.ref.var->u.var.varying;
        if (e->u.name.sym == SYM_BUILTIN_VAR)
            return varying_builtin(e->u.name.ref.builtin);
        return false;
    case ND_UNARY: return sema_varying(e->u.bin.lhs);
    case ND_BINARY: return sema_varying(e->u.bin.lhs) || sema_varying(e->u.bin.rhs);
    case ND_CAST: return sema_varying(e->u.cast.lhs);
    case ND_CALL: {
        const Node *c = e->u.call.callee;
        if (c->kind == ND_NAME && c->u.name.sym == SYM_BUILTIN_FN &&
            varying_builtin(c->u.name.ref.builtin))
            return true;
        for (int i = 0; i < e->u.call.nargs; i++)
            if (sema_varying(e->u.call.args[i]))
                return true;
        return false;
    }
    case ND_INDEX: return sema_varying(e->u.index.base) || sema_varying(e->u.index.index);
    case ND_FIELD: return sema_varying(e->u.field.base);
    case ND_STRUCT_LIT:
        for (int i = 0; i < e->u.slit.nfields; i++)
            if (sema_varying(e->u.slit.fvals[i]))
                return true;
        return false;
    case ND_ARRAY_LIT:
    case ND_ARRAY_REPEAT:
        for (int i = 0; i < e->u.alit.nelems; i++)
            if (sema_varying(e->u.alit.elems[i]))
                return true;
        return false;
    default:
        return false;
    }
}

void
sema_mark_assigned(Sema *s, Node *place, Node *value)
{
    Node *p = place;
    while (p && (p->kind == ND_INDEX || p->kind == ND_FIELD))
        p = p->kind == ND_INDEX ? p->u.index.base : p->u.field.base;
    if (!p || p->kind != ND_NAME || p->u.name.sym != SYM_VAR)
        return;
    if (sema_divergence(s) || sema_varying(value) ||
        (place != p && sema_varying(place)))
        p->u.name.ref.var->u.var.varying = true;
}

const Node *
sema_divergence(Sema *s)
{
    return s->div_cond ? s->div_cond : s->loop_div ? s->loop_div : s->fn_div;
}

/* §14: every matrix operation is executed by the whole subgroup. */
static void
require_uniform(Sema *s, Node *call, const char *name)
{
    const Node *why = sema_divergence(s);
    if (!why)
        return;
    diag_error(call->loc, "'%s' must be executed by all threads of the subgroup, but it is in "
                          "control flow that differs between them",
               name);
    if (why->kind == ND_RETURN || why->kind == ND_BREAK || why->kind == ND_CONTINUE)
        diag_note(why->loc, "some threads may have left here, under a condition that depends on "
                            "the thread");
    else
        diag_note(why->loc, "this condition depends on the thread (thread_id, global_id, lane_id "
                            "or a value computed from them)");
}

/* ---- builtins -------------------------------------------------------------------- */

static bool
is_matrix(const IrType *t, IrMatRole role)
{
    return t && t->kind == IRT_MATRIX && t->mat_role == role;
}

/* The element type of a source or destination: a global pointer's pointee
 * or a shared array's element (§14); NULL after a diagnostic. */
static IrType *
tile_memory(Sema *s, Node *arg, const char *name, bool store)
{
    IrType *t = sema_expr(s, arg, NULL);
    if (!t)
        return NULL;
    if (t->kind == IRT_PTR) {
        if (store && t->is_const) {
            diag_error(arg->loc, "'%s' cannot write through '%s'", name, sema_type_name(s, t));
            return NULL;
        }
        return t->elem;
    }
    bool shared = arg->kind == ND_NAME && arg->u.name.sym == SYM_VAR &&
                  arg->u.name.ref.var->u.var.vkind == VAR_SHARED;
    if (t->kind == IRT_ARRAY && shared)
        return t->elem;
    diag_error(arg->loc, "'%s' needs a global pointer or a shared array, found '%s'%s", name,
               sema_type_name(s, t),
               t->kind == IRT_ARRAY ? " (a private array)" : "");
    return NULL;
}

static bool
offset_stride(Sema *s, Node **args)
{
    IrType *u32 = ir_type_int(s->m, 32, false);
    bool a = sema_expr_as(s, args[0], u32);
    bool b = sema_expr_as(s, args[1], u32);
    return a && b;
}

static IrType *
context_matrix(Sema *s, Node *e, const char *name, IrType *want)
{
    if (want && want->kind == IRT_MATRIX)
        return want;
    if (want)
        diag_error(e->loc, "'%s' gives a matrix, but a value of type '%s' is expected here", name,
                   sema_type_name(s, want));
    else
        diag_error(e->loc, "the matrix type of '%s' comes from its context: give the variable a "
                           "type (let m: mat_a<f16, 16, 16> = ...) or pass it where a matrix "
                           "parameter is expected",
                   name);
    return NULL;
}

/* Whether e is a call whose matrix type comes from its context. */
static bool
contextual(const Node *e)
{
    if (e->kind != ND_CALL || e->u.call.callee->kind != ND_NAME)
        return false;
    const char *n = e->u.call.callee->u.name.name;
    return strcmp(n, "matrix_load") == 0 || strcmp(n, "matrix_load_t") == 0 ||
           strcmp(n, "matrix_fill") == 0;
}

IrType *
sema_matrix_call(Sema *s, Node *e, Builtin bi, const char *name, IrType *want)
{
    Node **args = e->u.call.args;
    require_uniform(s, e->u.call.callee, name);
    switch (bi) {
    case BI_MATRIX_LOAD:
    case BI_MATRIX_LOAD_T: {
        IrType *mt = context_matrix(s, e, name, want);
        IrType *el = tile_memory(s, args[0], name, false);
        bool ok = offset_stride(s, args + 1) && mt && el;
        if (ok && el != mt->elem) {
            diag_error(args[0]->loc, "'%s' of a '%s' needs %s data, found '%s'", name,
                       sema_type_name(s, mt), sema_type_name(s, mt->elem), sema_type_name(s, el));
            ok = false;
        }
        return ok ? mt : NULL;
    }
    case BI_MATRIX_FILL: {
        IrType *mt = context_matrix(s, e, name, want);
        if (!mt) {
            sema_expr(s, args[0], NULL);
            return NULL;
        }
        return sema_expr_as(s, args[0], mt->elem) ? mt : NULL;
    }
    case BI_MATRIX_MMA: {
        /* a matrix_load or matrix_fill as a or b takes its type from the
         * other operand: check that one first */
        IrType *at, *bt;
        if (contextual(args[0]) && !contextual(args[1])) {
            bt = sema_expr(s, args[1], NULL);
            at = sema_expr(s, args[0], is_matrix(bt, IR_MAT_B)
                                           ? ir_type_matrix(s->m, IR_MAT_A, bt->elem, 16, 16)
                                           : NULL);
        } else {
            at = sema_expr(s, args[0], NULL);
            bt = sema_expr(s, args[1], is_matrix(at, IR_MAT_A)
                                           ? ir_type_matrix(s->m, IR_MAT_B, at->elem, 16, 16)
                                           : NULL);
        }
        IrType *acc = ir_type_matrix(s->m, IR_MAT_ACC, ir_type_float(s->m, 32), 16, 16);
        bool ok = sema_expr_as(s, args[2], acc) && at && bt;
        if (at && !is_matrix(at, IR_MAT_A)) {
            diag_error(args[0]->loc, "first argument of '%s' must be a mat_a, found '%s'", name,
                       sema_type_name(s, at));
            ok = false;
        }
        if (bt && !is_matrix(bt, IR_MAT_B)) {
            diag_error(args[1]->loc, "second argument of '%s' must be a mat_b, found '%s'", name,
                       sema_type_name(s, bt));
            ok = false;
        }
        if (ok && at->elem != bt->elem) {
            diag_error(args[1]->loc, "'%s' multiplies elements of one type: '%s' and '%s'", name,
                       sema_type_name(s, at), sema_type_name(s, bt));
            ok = false;
        }
        return ok ? acc : NULL;
    }
    case BI_MATRIX_STORE:
    case BI_MATRIX_STORE_T: {
        IrType *el = tile_memory(s, args[0], name, true);
        bool ok = offset_stride(s, args + 1);
        IrType *mt = sema_expr(s, args[3], NULL);
        if (mt && mt->kind != IRT_MATRIX) {
            diag_error(args[3]->loc, "'%s' stores a matrix, found '%s'", name,
                       sema_type_name(s, mt));
            return NULL;
        }
        if (!ok || !el || !mt)
            return NULL;
        /* §14: an accumulator may be rounded to f16 or bf16 on the way
         * out (to nearest even) */
        bool fits = el == mt->elem ||
                    (mt->mat_role == IR_MAT_ACC && ir_type_is_float(el) && el->bits == 16);
        if (!fits) {
            diag_error(args[0]->loc, "'%s' of a '%s' needs %s data, found '%s'", name,
                       sema_type_name(s, mt),
                       mt->mat_role == IR_MAT_ACC ? "f32, f16 or bf16" : sema_type_name(s, mt->elem),
                       sema_type_name(s, el));
            return NULL;
        }
        return ir_type_void(s->m);
    }
    default:
        UNREACHABLE();
    }
}

/* ---- operators --------------------------------------------------------------------- */

IrType *
sema_matrix_binop(Sema *s, int op, IrType *lt, IrType *rt, SrcLoc loc)
{
    const char *os = sema_binop_str(op);
    IrType *m = lt->kind == IRT_MATRIX ? lt : rt;
    if (m->mat_role != IR_MAT_ACC) {
        diag_error(loc, "cannot apply '%s' to '%s': only accumulators (mat_acc) take + - and * "
                        "by an f32",
                   os, sema_type_name(s, m));
        return NULL;
    }
    if (op == BIN_ADD || op == BIN_SUB) {
        if (lt == rt)
            return lt;
        diag_error(loc, "mismatched types '%s' and '%s' in '%s'", sema_type_name(s, lt),
                   sema_type_name(s, rt), os);
        return NULL;
    }
    if (op == BIN_MUL) {
        IrType *other = m == lt ? rt : lt;
        if (other->kind == IRT_FLOAT && other->bits == 32)
            return m;
        diag_error(loc, "a '%s' is multiplied by an f32 scalar, not by '%s'%s",
                   sema_type_name(s, m), sema_type_name(s, other),
                   other->kind == IRT_MATRIX ? " (use matrix_mma for products of matrices)" : "");
        return NULL;
    }
    diag_error(loc, "cannot apply '%s' to '%s': accumulators take +, - and * by an f32", os,
               sema_type_name(s, m));
    return NULL;
}
