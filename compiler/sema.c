/* sema.c: semantic analysis of a parsed module (docs/language.md §2-§9):
 * scopes and names, written types, module declarations, statements, and
 * the recursion check. Expressions are in sema_expr.c.
 *
 * sema_check runs in passes over the module:
 *   1. collect every declaration (and C imports, through cimport.c) into
 *      the module scope, creating an empty IrType for each Claw struct, so
 *      that declarations may come in any order (§3);
 *   2. lay out structs and evaluate constants on demand, depth first: a
 *      struct's fields are resolved when first needed by value, a constant's
 *      value when first used (array sizes, other constants); a struct met
 *      again while being laid out contains itself, a constant met again
 *      depends on itself; -D NAME=VALUE replaces a constant's value;
 *   3. resolve function signatures and check @workgroup sizes;
 *   4. check every body, recording calls between device functions;
 *   5. report each call cycle (recursion is an error, §3).
 *
 * Decisions where the spec is silent are listed in docs/language.md. */
#include "cuda_names.h"
#include "sema_impl.h"

#include <inttypes.h>
#include <limits.h>
#include <string.h>

/* ---- scopes ------------------------------------------------------------- */

const BuiltinInfo builtin_info[BI_NUM] = {
#define BI(name, str, kind, nargs, args, result, op, flags) {str, kind, nargs, args, result, op, flags},
#include "builtins.def"
#undef BI
};

enum { MODULE_BUCKETS = 512 };

static unsigned
hash_name(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static Scope *
scope_new(Sema *s, Scope *parent, int nbuckets)
{
    Scope *sc = arena_alloc(s->a, sizeof *sc);
    sc->parent = parent;
    if (nbuckets) {
        sc->nbuckets = nbuckets;
        sc->buckets = arena_alloc(s->a, sizeof(ScopeEntry *) * (size_t)nbuckets);
    }
    return sc;
}

static ScopeEntry **
scope_head(Scope *sc, const char *name)
{
    return sc->nbuckets ? &sc->buckets[hash_name(name) % (unsigned)sc->nbuckets] : &sc->head;
}

static ScopeEntry *
scope_find(Scope *sc, const char *name)
{
    for (ScopeEntry *e = *scope_head(sc, name); e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

/* Binds a name in one scope; a second binding of a name in the same scope
 * is an error (§4: redeclaring a name in the same block). */
static void
scope_add(Sema *s, Scope *sc, const char *name, SymKind kind, Node *var, Decl *decl, SrcLoc loc)
{
    if (!name)
        return;
    ScopeEntry *old = scope_find(sc, name);
    if (old) {
        if (sc == s->globals) {
            diag_error(loc, "redefinition of '%s'", name);
            diag_note(old->loc, "previous definition of '%s' is here", name);
        } else {
            diag_error(loc, "redeclaration of '%s' in the same block", name);
            diag_note(old->loc, "previous declaration of '%s' is here", name);
        }
        return;
    }
    ScopeEntry *e = arena_alloc(s->a, sizeof *e);
    e->name = name;
    e->kind = kind;
    e->var = var;
    e->decl = decl;
    e->loc = loc;
    ScopeEntry **head = scope_head(sc, name);
    e->next = *head;
    *head = e;
}

Sym
sema_lookup(Sema *s, const char *name)
{
    Sym sym = {SYM_NONE, NULL, NULL, BI_NUM, {0, 0, 0}};
    for (Scope *sc = s->scope; sc; sc = sc->parent) {
        ScopeEntry *e = scope_find(sc, name);
        if (e) {
            sym.kind = e->kind;
            sym.var = e->var;
            sym.decl = e->decl;
            sym.loc = e->loc;
            return sym;
        }
    }
    /* builtins sit outside the module scope: declarations may shadow them */
    for (int i = 0; i < BI_NUM; i++) {
        if (strcmp(builtin_info[i].name, name) == 0) {
            sym.kind = builtin_info[i].kind == BK_VAR ? SYM_BUILTIN_VAR : SYM_BUILTIN_FN;
            sym.builtin = (Builtin)i;
            return sym;
        }
    }
    return sym;
}

static bool
in_vec(const PtrVec *v, const void *p)
{
    for (int i = 0; i < v->len; i++)
        if (v->data[i] == p)
            return true;
    return false;
}

bool
sema_is_param(Sema *s, const Node *var)
{
    if (!s->fn)
        return false;
    for (int i = 0; i < s->fn->u.fn.nparams; i++)
        if (s->fn->u.fn.params[i] == var)
            return true;
    return false;
}

bool
sema_is_loop_var(Sema *s, const Node *var)
{
    return in_vec(&s->loop_vars, var);
}

void
sema_add_edge(Sema *s, Decl *callee, SrcLoc loc)
{
    if (!s->fn)
        return;
    CallEdge *e = arena_alloc(s->a, sizeof *e);
    e->caller = s->fn;
    e->callee = callee;
    e->loc = loc;
    ptrvec_push(s->a, &s->edges, e);
}

bool
sema_unmappable_use(Sema *s, Decl *d, SrcLoc use)
{
    (void)s;
    const char *why = d->unmappable;
    if (!why && d->kind == DECL_STRUCT && d->u.strct.type)
        why = d->u.strct.type->unmappable;
    if (!why)
        return false;
    diag_error(use, "cannot use '%s' (declared at %s): %s", d->name,
               d->import_origin ? d->import_origin : "an imported header", why);
    return true;
}

/* ---- types as written ----------------------------------------------------- */

static IrType *
scalar_type(Sema *s, const char *name)
{
    static const struct {
        const char *name;
        IrTypeKind kind;
        uint32_t bits;
        bool is_signed;
    } scalars[] = {
        {"bool", IRT_BOOL, 1, false}, {"i8", IRT_INT, 8, true},     {"i16", IRT_INT, 16, true},
        {"i32", IRT_INT, 32, true},   {"i64", IRT_INT, 64, true},   {"u8", IRT_INT, 8, false},
        {"u16", IRT_INT, 16, false},  {"u32", IRT_INT, 32, false},  {"u64", IRT_INT, 64, false},
        {"f16", IRT_FLOAT, 16, false}, {"f32", IRT_FLOAT, 32, false}, {"f64", IRT_FLOAT, 64, false},
        {"bf16", IRT_FLOAT, 16, true}, /* is_signed marks bfloat16 here */
    };
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        if (strcmp(scalars[i].name, name) != 0)
            continue;
        if (scalars[i].kind == IRT_BOOL)
            return ir_type_bool(s->m);
        if (scalars[i].kind == IRT_INT)
            return ir_type_int(s->m, scalars[i].bits, scalars[i].is_signed);
        return scalars[i].is_signed ? ir_type_bf16(s->m) : ir_type_float(s->m, scalars[i].bits);
    }
    return NULL;
}

/* Arrays larger than this many bytes are refused: sizes stay far from
 * overflow in every later computation. */
static const uint64_t max_array_bytes = UINT64_C(1) << 32;

/* Resolves a TYPE_* node. Behind a pointer a struct need not be laid out
 * yet (struct Node { next: *Node } is fine); anywhere else it must be. */
static IrType *
resolve(Sema *s, Node *ty, bool behind_ptr)
{
    switch (ty->kind) {
    case ND_TYPE_NAME: {
        if (sema_is_matrix_name(ty->u.ty.name))
            return sema_matrix_type(s, ty);
        IrType *t = scalar_type(s, ty->u.ty.name);
        if (t)
            return t;
        ScopeEntry *e = scope_find(s->globals, ty->u.ty.name);
        if (!e) {
            const char *name = ty->u.ty.name;
            if (!cuda_reserved_reported(name)) {
                diag_error(ty->loc, "unknown type '%s'", name);
                cuda_note_spelling(ty->loc, name, strlen(name));
            }
            return NULL;
        }
        if (e->kind != SYM_STRUCT) {
            diag_error(ty->loc, "'%s' is not a type", ty->u.ty.name);
            return NULL;
        }
        if (behind_ptr)
            return sema_unmappable_use(s, e->decl, ty->loc) ? NULL : e->decl->u.strct.type;
        return sema_struct_ready(s, e->decl, ty->loc);
    }
    case ND_TYPE_PTR: {
        IrType *elem = resolve(s, ty->u.ty.elem, true);
        if (!elem)
            return NULL;
        if (elem->kind == IRT_ARRAY) {
            diag_error(ty->loc, "pointers to arrays are not supported; point to the element "
                                "type instead");
            return NULL;
        }
        if (sema_matrix_refused(s, elem, ty->loc, "in memory behind a pointer") ||
            !sema_bool_vec_ok(s, elem, ty->u.ty.elem->loc, "behind a pointer"))
            return NULL;
        return ir_type_ptr(s->m, elem, IR_SPACE_GLOBAL, ty->u.ty.is_const);
    }
    case ND_TYPE_VEC: {
        IrType *elem = resolve(s, ty->u.ty.elem, false);
        if (!elem)
            return NULL;
        if (elem->kind != IRT_BOOL && !ir_type_is_numeric(elem)) {
            diag_error(ty->u.ty.elem->loc,
                       "vector elements must be bool, an integer or a float type, found '%s'",
                       sema_type_name(s, elem));
            return NULL;
        }
        return ir_type_vec(s->m, elem, (uint32_t)ty->u.ty.vec_n);
    }
    case ND_TYPE_ARRAY: {
        IrType *elem = resolve(s, ty->u.ty.elem, false);
        Node *c = ty->u.ty.count_expr;
        IrType *ct = sema_expr(s, c, ir_type_int(s->m, 32, false));
        if (!elem || !ct)
            return NULL;
        if (!sema_bool_vec_ok(s, elem, ty->u.ty.elem->loc, "in an array"))
            return NULL;
        if (!ir_type_is_int(ct) || !c->cval.type) {
            diag_error(c->loc, "array size must be an integer constant expression");
            return NULL;
        }
        bool neg = ct->is_signed && (c->cval.i >> (ct->bits - 1)) != 0;
        if (c->cval.i == 0 || neg) {
            diag_error(c->loc, "array size must be greater than 0");
            return NULL;
        }
        if (elem->size && c->cval.i > max_array_bytes / elem->size) {
            diag_error(c->loc, "array of %llu '%s' elements is too large",
                       (unsigned long long)c->cval.i, sema_type_name(s, elem));
            return NULL;
        }
        return ir_type_array(s->m, elem, c->cval.i);
    }
    default:
        diag_error(ty->loc, "expected a type");
        return NULL;
    }
}

bool
sema_bool_vec_ok(Sema *s, IrType *t, SrcLoc loc, const char *where)
{
    if (!ir_type_is_vec(t) || t->elem->kind != IRT_BOOL)
        return true;
    diag_error(loc,
               "'%s' cannot be %s: bool vectors are values only, never in memory, structs or "
               "parameters (convert with 'select' to an integer vector)",
               sema_type_name(s, t), where);
    return false;
}

IrType *
sema_resolve_type(Sema *s, Node *ty)
{
    return resolve(s, ty, false);
}

/* ---- structs and constants, on demand -------------------------------------- */

IrType *
sema_struct_ready(Sema *s, Decl *d, SrcLoc use)
{
    if (sema_unmappable_use(s, d, use))
        return NULL;
    IrType *t = d->u.strct.type;
    if (!t || in_vec(&s->failed, d))
        return NULL;
    if (t->complete)
        return t;
    if (!d->u.strct.fields) /* an imported struct that cimport left incomplete */
        return NULL;
    if (in_vec(&s->structs_busy, d)) {
        diag_error(use, "struct '%s' contains itself; use a pointer to refer to it", d->name);
        return NULL;
    }
    ptrvec_push(s->a, &s->structs_busy, d);
    int n = d->u.strct.nfields;
    const char **names = arena_alloc(s->a, sizeof(char *) * (size_t)(n + 1));
    IrType **types = arena_alloc(s->a, sizeof(IrType *) * (size_t)(n + 1));
    bool ok = true;
    if (n == 0) {
        diag_error(d->loc, "struct '%s' has no fields", d->name);
        ok = false;
    }
    for (int i = 0; i < n; i++) {
        FieldDecl *f = &d->u.strct.fields[i];
        names[i] = f->name;
        types[i] = resolve(s, f->ty, false);
        if (!types[i] || sema_matrix_refused(s, types[i], f->loc, "a struct field") ||
            !sema_bool_vec_ok(s, types[i], f->ty->loc, "a struct field"))
            ok = false;
        for (int j = 0; j < i; j++) {
            if (strcmp(names[j], f->name) == 0) {
                diag_error(f->loc, "duplicate field '%s' in struct '%s'", f->name, d->name);
                ok = false;
            }
        }
    }
    s->structs_busy.len--;
    if (!ok) {
        ptrvec_push(s->a, &s->failed, d);
        return NULL;
    }
    ir_type_struct_set_fields(s->m, t, n, names, types);
    return t;
}

static Define *
find_define(Sema *s, const char *name)
{
    for (int i = 0; i < s->opt->ndefines; i++)
        if (strcmp(s->opt->defines[i].name, name) == 0)
            return &s->opt->defines[i];
    return NULL;
}

/* -D NAME=VALUE: the value is parsed as an expression and checked against
 * the constant's type, so untyped literals adapt to it (-D SCALE=2 makes an
 * f32 2.0 for `const SCALE: f32`). */
static void
apply_define(Sema *s, Decl *d, Define *def)
{
    def->used = true;
    Node *v = parse_expr_text(s->a, arena_printf(s->a, "-D %s", def->name), def->value);
    if (!v)
        return;
    IrType *t = d->u.cnst.type;
    if (!sema_expr_as(s, v, t)) {
        diag_note(d->loc, "in the value given with -D %s for constant '%s' of type '%s'",
                  def->name, d->name, sema_type_name(s, t));
        return;
    }
    if (!v->cval.type) {
        diag_error(v->loc, "-D %s=%s: the value is not a constant expression", def->name,
                   def->value);
        return;
    }
    d->u.cnst.val = v->cval;
    d->u.cnst.overridden = true;
}

bool
sema_const_ready(Sema *s, Decl *d, SrcLoc use)
{
    if (sema_unmappable_use(s, d, use))
        return false;
    if (d->u.cnst.type)
        return true;
    if (in_vec(&s->failed, d) || !d->u.cnst.value)
        return false;
    if (in_vec(&s->consts_busy, d)) {
        diag_error(use, "constant '%s' is defined in terms of itself", d->name);
        ptrvec_push(s->a, &s->failed, d);
        return false;
    }
    /* a constant sees only module names, whoever asks for its value */
    Scope *saved_scope = s->scope;
    Decl *saved_fn = s->fn;
    s->scope = s->globals;
    s->fn = NULL;
    ptrvec_push(s->a, &s->consts_busy, d);

    bool ok = true;
    IrType *t = NULL;
    if (d->u.cnst.ty) {
        t = sema_resolve_type(s, d->u.cnst.ty);
        ok = t != NULL;
    }
    Node *v = d->u.cnst.value;
    if (t)
        ok = sema_expr_as(s, v, t);
    else
        sema_expr(s, v, NULL);
    if (ok && !t)
        t = v->type;
    ok = ok && t;
    if (ok && !(ir_type_is_numeric(t) || t->kind == IRT_BOOL)) {
        diag_error(d->u.cnst.ty ? d->u.cnst.ty->loc : v->loc,
                   "constant '%s' must have type bool, an integer or a float type, not '%s'",
                   d->name, sema_type_name(s, t));
        ok = false;
    }
    if (ok && !v->cval.type && !in_vec(&s->failed, d)) {
        diag_error(v->loc, "initializer of constant '%s' is not a constant expression", d->name);
        ok = false;
    }
    s->consts_busy.len--;
    if (ok) {
        d->u.cnst.type = t;
        d->u.cnst.val = v->cval;
        Define *def = find_define(s, d->name);
        if (def)
            apply_define(s, d, def);
    } else if (!in_vec(&s->failed, d)) {
        ptrvec_push(s->a, &s->failed, d);
    }
    s->scope = saved_scope;
    s->fn = saved_fn;
    return ok;
}

/* ---- statements ------------------------------------------------------------ */

static void check_stmt(Sema *s, Node *st);

static void
check_stmts(Sema *s, Node *block)
{
    for (int i = 0; i < block->u.block.nstmts; i++)
        check_stmt(s, block->u.block.stmts[i]);
}

static void
check_block(Sema *s, Node *block)
{
    if (!block)
        return;
    if (block->kind != ND_BLOCK) {
        check_stmt(s, block);
        return;
    }
    Scope *saved = s->scope;
    s->scope = scope_new(s, saved, 0);
    check_stmts(s, block);
    s->scope = saved;
}

/* §4: conditions must be bool; there is no truthiness. */
static void
check_cond(Sema *s, Node *cond)
{
    IrType *b = ir_type_bool(s->m);
    IrType *t = sema_expr(s, cond, b);
    if (t && t != b)
        diag_error(cond->loc, "condition must be 'bool', found '%s'%s", sema_type_name(s, t),
                   ir_type_is_numeric(t) ? " (compare with 0 instead)" : "");
}

static void
check_var_decl(Sema *s, Node *st)
{
    const char *name = st->u.var.name;
    Node *init = st->u.var.init;
    IrType *t = NULL;
    bool ty_failed = false;
    if (st->u.var.ty) {
        t = sema_resolve_type(s, st->u.var.ty);
        ty_failed = t == NULL;
    }
    switch (st->u.var.vkind) {
    case VAR_SHARED:
        /* §6: one instance per block, no initializer, size known at compile time */
        if (!st->u.var.ty)
            diag_error(st->loc, "shared variable '%s' needs a type", name);
        else if (t && (sema_matrix_refused(s, t, st->u.var.ty->loc, "in shared memory") ||
                       !sema_bool_vec_ok(s, t, st->u.var.ty->loc, "in shared memory")))
            t = NULL;
        if (init) {
            diag_error(init->loc, "shared variable '%s' cannot have an initializer", name);
            sema_expr(s, init, t);
            init = NULL;
        }
        break;
    case VAR_LET:
        if (!init)
            diag_error(st->loc, "'let' binding '%s' needs an initializer", name);
        break;
    case VAR_VAR:
        if (!init && !st->u.var.ty) {
            diag_error(st->loc, "variable '%s' needs a type or an initializer", name);
        } else if (!init && t && !ir_type_is_aggregate(t)) {
            diag_error(st->loc,
                       "variable '%s' of type '%s' needs an initializer (only arrays and "
                       "structs may omit it)",
                       name, sema_type_name(s, t));
        }
        break;
    }
    if (init) {
        if (t) {
            sema_expr_as(s, init, t);
        } else {
            IrType *it = sema_expr(s, init, NULL);
            if (it && it->kind == IRT_VOID)
                diag_error(init->loc, "'%s' cannot be initialized with a call that returns "
                                      "nothing",
                           name);
            else if (!ty_failed)
                t = it;
        }
    }
    st->u.var.decl_type = t;
    st->u.var.varying = init && sema_varying(init);
    /* declared after its initializer: `let x = x + 1;` reads an outer x */
    scope_add(s, s->scope, name, SYM_VAR, st, NULL, st->loc);
}

static void
check_assign(Sema *s, Node *st)
{
    Node *lhs = st->u.assign.lhs, *rhs = st->u.assign.rhs;
    int op = st->u.assign.op;
    IrType *lt = sema_expr(s, lhs, NULL);
    if (lt)
        sema_check_place(s, lhs, NULL);
    if (op == BIN_NONE) {
        if (lt)
            sema_expr_as(s, rhs, lt);
        else
            sema_expr(s, rhs, NULL);
        sema_mark_assigned(s, lhs, rhs);
        return;
    }
    bool own_type = op == BIN_SHL || op == BIN_SHR || (lt && lt->kind == IRT_PTR) ||
                    (lt && lt->kind == IRT_MATRIX);
    IrType *rt = sema_expr(s, rhs, own_type ? NULL : ir_type_scalar_of(lt));
    IrType *res = sema_binop_type(s, op, lt, rt, st->loc);
    if (res && lt && res != lt) /* a scalar place op= a vector */
        diag_error(st->loc, "'%s=' would store a '%s' into '%s'", sema_binop_str(op),
                   sema_type_name(s, res), sema_type_name(s, lt));
    sema_mark_assigned(s, lhs, rhs);
}

static bool
const_positive(const Node *e, uint64_t *out)
{
    const ConstVal *c = &e->cval;
    if (!c->type || !ir_type_is_int(c->type) || c->i == 0)
        return false;
    if (c->type->is_signed && (c->i >> (c->type->bits - 1)) != 0)
        return false;
    *out = c->i;
    return true;
}

static void
check_for(Sema *s, Node *st)
{
    Node *lo = st->u.loop.lo, *hi = st->u.loop.hi, *step = st->u.loop.step;
    /* i has the type of lo and hi (§4); an untyped bound takes the other's */
    if (sema_untyped(lo) && !sema_untyped(hi)) {
        IrType *ht = sema_expr(s, hi, NULL);
        sema_expr(s, lo, ht);
    } else {
        IrType *lt = sema_expr(s, lo, NULL);
        sema_expr(s, hi, lt);
    }
    IrType *t = lo->type;
    if (t && hi->type) {
        if (!ir_type_is_int(t)) {
            diag_error(lo->loc, "for loop bounds must be integers, found '%s'",
                       sema_type_name(s, t));
            t = NULL;
        } else if (hi->type != t) {
            diag_error(hi->loc, "mismatched types '%s' and '%s' in for loop range",
                       sema_type_name(s, t), sema_type_name(s, hi->type));
            t = NULL;
        }
    } else {
        t = NULL;
    }
    uint64_t v;
    if (step) {
        if (t ? sema_expr_as(s, step, t) : (sema_expr(s, step, NULL), false)) {
            if (step->cval.type && !const_positive(step, &v))
                diag_error(step->loc, "for loop step must be positive");
        }
    }
    st->u.loop.unroll = IR_UNROLL_NONE;
    if (st->u.loop.has_unroll) {
        Node *u = st->u.loop.unroll_expr;
        if (u) {
            IrType *ut = sema_expr(s, u, ir_type_int(s->m, 32, false));
            if (ut && !const_positive(u, &v))
                diag_error(u->loc, "@unroll factor must be a positive integer constant");
            else if (ut)
                st->u.loop.unroll = v > INT_MAX ? INT_MAX : (int)v;
        } else if (!lo->cval.type || !hi->cval.type || (step && !step->cval.type)) {
            if (lo->type && hi->type)
                diag_error(st->loc, "@unroll needs a constant trip count (constant bounds and "
                                    "step); use @unroll(N) to unroll by a factor");
        } else {
            st->u.loop.unroll = IR_UNROLL_FULL;
        }
    }
    Node *iv = st->u.loop.loop_var;
    Scope *saved = s->scope;
    s->scope = scope_new(s, saved, 0);
    if (iv) {
        iv->u.var.decl_type = t;
        ptrvec_push(s->a, &s->loop_vars, iv);
        scope_add(s, s->scope, iv->u.var.name, SYM_VAR, iv, NULL, iv->loc);
    }
    const Node *saved_div = s->div_cond, *saved_loop = s->loop_div;
    bool varying = sema_varying(lo) || sema_varying(hi) || sema_varying(step);
    if (!saved_div && varying)
        s->div_cond = sema_varying(lo) ? lo : sema_varying(hi) ? hi : step;
    if (iv)
        iv->u.var.varying = varying;
    s->loop_depth++;
    check_block(s, st->u.loop.body);
    s->loop_depth--;
    s->div_cond = saved_div;
    s->loop_div = saved_loop;
    s->scope = saved;
}

static void
check_return(Sema *s, Node *st)
{
    Decl *f = s->fn;
    Node *v = st->u.ret.value;
    if (f->kind == DECL_KERNEL) {
        if (v) {
            diag_error(v->loc, "kernel '%s' cannot return a value", f->name);
            sema_expr(s, v, NULL);
        }
        return;
    }
    IrType *rt = f->u.fn.ret;
    if (!rt) { /* the return type itself was wrong */
        if (v)
            sema_expr(s, v, NULL);
        return;
    }
    if (rt->kind == IRT_VOID) {
        if (v) {
            IrType *vt = sema_expr(s, v, NULL);
            if (vt && vt->kind != IRT_VOID)
                diag_error(v->loc, "function '%s' has no return type but returns a value",
                           f->name);
        }
        return;
    }
    if (!v) {
        diag_error(st->loc, "function '%s' must return a value of type '%s'", f->name,
                   sema_type_name(s, rt));
        return;
    }
    sema_expr_as(s, v, rt);
}

static void
check_stmt(Sema *s, Node *st)
{
    switch (st->kind) {
    case ND_VAR_DECL:
        check_var_decl(s, st);
        break;
    case ND_ASSIGN:
        check_assign(s, st);
        break;
    case ND_IF: {
        check_cond(s, st->u.if_.cond);
        const Node *saved = s->div_cond;
        if (!saved && sema_varying(st->u.if_.cond))
            s->div_cond = st->u.if_.cond;
        check_block(s, st->u.if_.then_b);
        check_block(s, st->u.if_.else_b);
        s->div_cond = saved;
        break;
    }
    case ND_WHILE: {
        st->u.loop.unroll = IR_UNROLL_NONE;
        if (st->u.loop.has_unroll)
            diag_error(st->loc, "@unroll applies only to for loops");
        check_cond(s, st->u.loop.cond);
        const Node *saved = s->div_cond, *saved_loop = s->loop_div;
        if (!saved && sema_varying(st->u.loop.cond))
            s->div_cond = st->u.loop.cond;
        s->loop_depth++;
        check_block(s, st->u.loop.body);
        s->loop_depth--;
        s->div_cond = saved;
        s->loop_div = saved_loop;
        break;
    }
    case ND_FOR:
        check_for(s, st);
        break;
    case ND_BREAK:
    case ND_CONTINUE:
        if (s->loop_depth == 0)
            diag_error(st->loc, "'%s' outside of a loop",
                       st->kind == ND_BREAK ? "break" : "continue");
        else if (s->div_cond && !s->loop_div)
            s->loop_div = st; /* the rest of the loop runs without some lanes */
        break;
    case ND_RETURN:
        check_return(s, st);
        if (sema_divergence(s) && !s->fn_div)
            s->fn_div = st;
        break;
    case ND_BLOCK:
        check_block(s, st);
        break;
    case ND_EXPR_STMT: {
        Node *x = st->u.expr.expr;
        /* a failed expression was diagnosed already */
        if (sema_expr(s, x, NULL) && x->kind != ND_CALL)
            diag_error(x->loc, "only calls can be used as statements; this expression has no "
                               "effect");
        break;
    }
    default:
        diag_error(st->loc, "expected a statement");
        break;
    }
}

/* Whether every path through st ends in a return (§3). Loops may run zero
 * times, so they never count. */
static bool
always_returns(const Node *st)
{
    if (!st)
        return false;
    switch (st->kind) {
    case ND_RETURN:
        return true;
    case ND_BLOCK:
        for (int i = 0; i < st->u.block.nstmts; i++)
            if (always_returns(st->u.block.stmts[i]))
                return true;
        return false;
    case ND_IF:
        return always_returns(st->u.if_.then_b) && always_returns(st->u.if_.else_b);
    default:
        return false;
    }
}

/* ---- functions and kernels ---------------------------------------------------- */

static void
check_signature(Sema *s, Decl *d)
{
    bool kernel = d->kind == DECL_KERNEL;
    for (int i = 0; i < d->u.fn.nparams; i++) {
        Node *p = d->u.fn.params[i];
        IrType *t = p->u.var.ty ? sema_resolve_type(s, p->u.var.ty) : NULL;
        if (t && t->kind == IRT_ARRAY) {
            diag_error(p->loc, "parameter '%s' cannot be an array; pass a pointer to its "
                               "elements or wrap it in a struct",
                       p->u.var.name);
            t = NULL;
        }
        if (kernel && t && sema_matrix_refused(s, t, p->loc, "a kernel parameter"))
            t = NULL;
        if (t && !sema_bool_vec_ok(s, t, p->u.var.ty->loc, "a parameter"))
            t = NULL;
        /* §3: kernel parameters are scalars, pointers or structs by value */
        p->u.var.decl_type = t;
    }
    d->u.fn.ret = ir_type_void(s->m);
    if (d->u.fn.ret_ty) {
        if (kernel) {
            diag_error(d->u.fn.ret_ty->loc, "kernel '%s' cannot have a return type", d->name);
        } else {
            IrType *t = sema_resolve_type(s, d->u.fn.ret_ty);
            if (t && t->kind == IRT_ARRAY) {
                diag_error(d->u.fn.ret_ty->loc, "function '%s' cannot return an array", d->name);
                t = NULL;
            }
            d->u.fn.ret = t;
        }
    }
    if (d->u.fn.has_wg && !kernel)
        diag_error(d->u.fn.wg_loc, "@workgroup applies only to kernels");
    for (int i = 0; i < d->u.fn.nwg && i < 3; i++) {
        Node *w = d->u.fn.wg[i];
        uint64_t v;
        IrType *t = sema_expr(s, w, ir_type_int(s->m, 32, false));
        if (t && (!const_positive(w, &v) || v > UINT32_MAX))
            diag_error(w->loc, "workgroup size must be a positive integer constant that fits "
                               "in u32");
    }
}

/* ---- unroll budget ----------------------------------------------------------------- */

/* Nested @unroll loops multiply: three loops of 100 iterations are a
 * million copies of the body, which no backend compiles in reasonable time.
 * Each loop nest may unroll to at most SEMA_UNROLL_BUDGET AST nodes (an
 * expression operator, a name, a literal or a statement each count one, as
 * a proxy for IR instructions). Decisions are made inner loops first, since
 * the innermost loop is the one unrolling pays off most for: a loop whose
 * unrolled body would exceed the budget is unrolled by the largest power of
 * two that fits, or not at all, with a warning at the loop
 * (docs/language.md "@unroll"). */
enum { SEMA_UNROLL_BUDGET = 16384 };

static uint64_t stmt_size(Sema *s, Node *st);

static uint64_t
expr_size(const Node *e)
{
    if (!e)
        return 0;
    uint64_t n = 1;
    switch (e->kind) {
    case ND_UNARY: return n + expr_size(e->u.bin.lhs);
    case ND_BINARY: return n + expr_size(e->u.bin.lhs) + expr_size(e->u.bin.rhs);
    case ND_CAST: return n + expr_size(e->u.cast.lhs);
    case ND_CALL:
    case ND_VEC_CTOR:
        for (int i = 0; i < e->u.call.nargs; i++)
            n += expr_size(e->u.call.args[i]);
        return n;
    case ND_INDEX: return n + expr_size(e->u.index.base) + expr_size(e->u.index.index);
    case ND_FIELD: return n + expr_size(e->u.field.base);
    case ND_STRUCT_LIT:
        for (int i = 0; i < e->u.slit.nfields; i++)
            n += expr_size(e->u.slit.fvals[i]);
        return n;
    case ND_ARRAY_LIT:
    case ND_ARRAY_REPEAT:
        for (int i = 0; i < e->u.alit.nelems; i++)
            n += expr_size(e->u.alit.elems[i]);
        return n;
    default: return n;
    }
}

/* The trip count of a for loop with constant bounds and step. */
static uint64_t
const_trip_count(const Node *st)
{
    const ConstVal *lo = &st->u.loop.lo->cval, *hi = &st->u.loop.hi->cval;
    uint64_t step = st->u.loop.step ? st->u.loop.step->cval.i : 1;
    uint32_t bits = lo->type->bits;
    /* flipping the sign bit orders signed values as unsigned ones */
    uint64_t flip = lo->type->is_signed ? UINT64_C(1) << (bits - 1) : 0;
    uint64_t l = lo->i ^ flip, h = hi->i ^ flip;
    if (bits < 64) {
        l &= (UINT64_C(1) << bits) - 1;
        h &= (UINT64_C(1) << bits) - 1;
    }
    if (h <= l || step == 0)
        return 0;
    uint64_t d = h - l;
    return d / step + (d % step != 0);
}

static uint64_t
loop_size(Sema *s, Node *st)
{
    uint64_t body = stmt_size(s, st->u.loop.body);
    uint64_t head = 1 + expr_size(st->u.loop.cond) + expr_size(st->u.loop.lo) +
                    expr_size(st->u.loop.hi) + expr_size(st->u.loop.step);
    int u = st->u.loop.unroll;
    if (st->kind != ND_FOR || u == IR_UNROLL_NONE)
        return head + body;
    uint64_t f = u == IR_UNROLL_FULL ? const_trip_count(st) : (uint64_t)u;
    if (f <= 1 || body == 0 || f <= SEMA_UNROLL_BUDGET / body)
        return head + (f ? f : 1) * body;
    uint64_t fit = 1;
    while (fit * 2 < f && fit * 2 * body <= SEMA_UNROLL_BUDGET)
        fit *= 2;
    if (fit >= 2) {
        diag_warning(st->loc,
                     "@unroll by %" PRIu64 " exceeds the unroll budget (%d nodes per loop nest, "
                     "the body has %" PRIu64 "); unrolling by %" PRIu64 " instead",
                     f, SEMA_UNROLL_BUDGET, body, fit);
        st->u.loop.unroll = (int)fit;
    } else {
        diag_warning(st->loc,
                     "@unroll by %" PRIu64 " exceeds the unroll budget (%d nodes per loop nest, "
                     "the body has %" PRIu64 "); not unrolling this loop",
                     f, SEMA_UNROLL_BUDGET, body);
        st->u.loop.unroll = IR_UNROLL_NONE;
    }
    return head + fit * body;
}

/* The size of a statement with its @unroll loops unrolled, adjusting the
 * factors of loops past the budget on the way. */
static uint64_t
stmt_size(Sema *s, Node *st)
{
    if (!st)
        return 0;
    switch (st->kind) {
    case ND_BLOCK: {
        uint64_t n = 0;
        for (int i = 0; i < st->u.block.nstmts; i++)
            n += stmt_size(s, st->u.block.stmts[i]);
        return n;
    }
    case ND_VAR_DECL: return 1 + expr_size(st->u.var.init);
    case ND_ASSIGN: return 1 + expr_size(st->u.assign.lhs) + expr_size(st->u.assign.rhs);
    case ND_IF: {
        /* else-if chains are walked in a loop: they may be long */
        uint64_t n = 0;
        for (; st && st->kind == ND_IF; st = st->u.if_.else_b)
            n += 1 + expr_size(st->u.if_.cond) + stmt_size(s, st->u.if_.then_b);
        return n + stmt_size(s, st);
    }
    case ND_WHILE:
    case ND_FOR: return loop_size(s, st);
    case ND_RETURN: return 1 + expr_size(st->u.ret.value);
    case ND_EXPR_STMT: return 1 + expr_size(st->u.expr.expr);
    default: return 1;
    }
}

static void
check_body(Sema *s, Decl *d)
{
    if (!d->u.fn.body)
        return;
    s->fn = d;
    s->loop_depth = 0;
    s->div_cond = s->loop_div = s->fn_div = NULL;
    /* parameters and the outermost block share one scope, so a body
     * declaration cannot silently hide a parameter */
    s->scope = scope_new(s, s->globals, 0);
    for (int i = 0; i < d->u.fn.nparams; i++) {
        Node *p = d->u.fn.params[i];
        scope_add(s, s->scope, p->u.var.name, SYM_VAR, p, NULL, p->loc);
    }
    if (d->u.fn.body->kind == ND_BLOCK)
        check_stmts(s, d->u.fn.body);
    else
        check_stmt(s, d->u.fn.body);
    IrType *rt = d->u.fn.ret;
    if (d->kind == DECL_FN && rt && rt->kind != IRT_VOID && !always_returns(d->u.fn.body))
        diag_error(d->loc, "missing return in function '%s' (it returns '%s' on every path)",
                   d->name, sema_type_name(s, rt));
    stmt_size(s, d->u.fn.body);
    s->scope = s->globals;
    s->fn = NULL;
}

/* ---- recursion (§3) --------------------------------------------------------------- */

/* Depth-first search over the call graph with an explicit stack (a long
 * call chain cannot overflow the compiler's own stack). A call that reaches
 * a function still on the stack closes a cycle, reported at that call. */
static void
check_recursion(Sema *s)
{
    PtrVec fns = {0};
    for (int i = 0; i < s->mod->ndecls; i++)
        if (s->mod->decls[i]->kind == DECL_FN)
            ptrvec_push(s->a, &fns, s->mod->decls[i]);
    int n = fns.len;
    if (n == 0 || s->edges.len == 0)
        return;
    /* per function: its outgoing edges, contiguous */
    int *first = arena_alloc(s->a, sizeof(int) * (size_t)(n + 1));
    CallEdge **out = arena_alloc(s->a, sizeof(CallEdge *) * (size_t)s->edges.len);
    int *src = arena_alloc(s->a, sizeof(int) * (size_t)s->edges.len);
    int *dst = arena_alloc(s->a, sizeof(int) * (size_t)s->edges.len);
    for (int e = 0; e < s->edges.len; e++) {
        CallEdge *ce = s->edges.data[e];
        src[e] = dst[e] = -1;
        for (int i = 0; i < n; i++) {
            if (fns.data[i] == ce->caller)
                src[e] = i;
            if (fns.data[i] == ce->callee)
                dst[e] = i;
        }
    }
    int k = 0;
    for (int i = 0; i < n; i++) {
        first[i] = k;
        for (int e = 0; e < s->edges.len; e++)
            if (src[e] == i && dst[e] >= 0)
                out[k++] = s->edges.data[e];
    }
    first[n] = k;
    int *callee_of = arena_alloc(s->a, sizeof(int) * (size_t)(k + 1));
    for (int j = 0; j < k; j++)
        for (int i = 0; i < n; i++)
            if (fns.data[i] == out[j]->callee)
                callee_of[j] = i;

    enum { WHITE, GRAY, BLACK };
    int *state = arena_alloc(s->a, sizeof(int) * (size_t)n);
    int *next = arena_alloc(s->a, sizeof(int) * (size_t)n);
    int *stack = arena_alloc(s->a, sizeof(int) * (size_t)n);
    for (int root = 0; root < n; root++) {
        if (state[root] != WHITE)
            continue;
        int sp = 0;
        stack[sp++] = root;
        state[root] = GRAY;
        next[root] = first[root];
        while (sp > 0) {
            int u = stack[sp - 1];
            if (next[u] == first[u + 1]) {
                state[u] = BLACK;
                sp--;
                continue;
            }
            int j = next[u]++;
            int v = callee_of[j];
            bool dup = false; /* report one cycle per caller/callee pair */
            for (int q = first[u]; q < j; q++)
                if (callee_of[q] == v)
                    dup = true;
            if (state[v] == GRAY && !dup) {
                Decl *dv = fns.data[v];
                if (u == v) {
                    diag_error(out[j]->loc, "recursion is not allowed: '%s' calls itself",
                               dv->name);
                } else {
                    Buf path = {0};
                    int at = sp - 1;
                    while (stack[at] != v)
                        at--;
                    for (int q = at; q < sp; q++)
                        buf_printf(&path, "%s -> ", ((Decl *)fns.data[stack[q]])->name);
                    buf_printf(&path, "%s", dv->name);
                    buf_append(&path, "", 1);
                    diag_error(out[j]->loc, "recursion is not allowed: %s", (char *)path.data);
                    buf_free(&path);
                }
            } else if (state[v] == WHITE) {
                state[v] = GRAY;
                next[v] = first[v];
                stack[sp++] = v;
            }
        }
    }
}

/* ---- the module ----------------------------------------------------------------- */

static void
declare_global(Sema *s, Decl *d)
{
    SymKind kind = SYM_NONE;
    switch (d->kind) {
    case DECL_CONST: kind = SYM_CONST; break;
    case DECL_STRUCT: kind = SYM_STRUCT; break;
    case DECL_FN:
    case DECL_KERNEL: kind = SYM_FUNC; break;
    case DECL_IMPORT: return;
    }
    scope_add(s, s->globals, d->name, kind, NULL, d, d->loc);
}

static void
collect(Sema *s)
{
    Module *mod = s->mod;
    for (int i = 0; i < mod->ndecls; i++) {
        Decl *d = mod->decls[i];
        if (d->kind == DECL_IMPORT) {
            PtrVec got = {0};
            cimport_header(s->a, s->m, mod->path, d->u.import.path, d->loc, s->opt, &got);
            for (int j = 0; j < got.len; j++)
                declare_global(s, got.data[j]);
            continue;
        }
        if (d->kind == DECL_STRUCT && d->u.strct.fields && !d->u.strct.type)
            d->u.strct.type = ir_type_struct(s->m, d->name, d->loc);
        declare_global(s, d);
    }
}

static void
warn_unused_defines(Sema *s)
{
    for (int i = 0; i < s->opt->ndefines; i++) {
        Define *def = &s->opt->defines[i];
        if (def->used)
            continue;
        SrcLoc none = {0, 0, 0};
        ScopeEntry *e = scope_find(s->globals, def->name);
        if (e && e->kind == SYM_CONST && e->decl->import_origin)
            diag_warning(none, "-D %s: constants imported from C headers cannot be overridden",
                         def->name);
        else
            diag_warning(none, "-D %s: no constant named '%s' in %s", def->name, def->name,
                         s->mod->path);
    }
}

bool
sema_check(Arena *a, Module *mod, IrModule *m, const SemaOptions *opt)
{
    static const SemaOptions no_options;
    Sema sema = {0};
    Sema *s = &sema;
    s->a = a;
    s->m = m;
    s->mod = mod;
    s->opt = opt ? opt : &no_options;
    s->globals = scope_new(s, NULL, MODULE_BUCKETS);
    s->scope = s->globals;
    int errors_before = diag_error_count();

    collect(s);
    for (int i = 0; i < mod->ndecls; i++) {
        Decl *d = mod->decls[i];
        if (d->kind == DECL_STRUCT)
            sema_struct_ready(s, d, d->loc);
        else if (d->kind == DECL_CONST)
            sema_const_ready(s, d, d->loc);
    }
    for (int i = 0; i < mod->ndecls; i++)
        if (mod->decls[i]->kind == DECL_FN || mod->decls[i]->kind == DECL_KERNEL)
            check_signature(s, mod->decls[i]);
    for (int i = 0; i < mod->ndecls; i++)
        if (mod->decls[i]->kind == DECL_FN || mod->decls[i]->kind == DECL_KERNEL)
            check_body(s, mod->decls[i]);
    check_recursion(s);
    warn_unused_defines(s);
    return diag_error_count() == errors_before;
}
