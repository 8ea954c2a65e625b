/* sema_impl.h: internals shared by the two halves of semantic analysis,
 * sema.c (declarations, types, scopes, statements, call graph) and
 * sema_expr.c (expressions, builtins, constant folding).
 *
 * Only these two files include it; everything else sees sema through
 * sema_check() in front.h and the annotations it leaves on the AST. */
#ifndef CLAW_SEMA_IMPL_H
#define CLAW_SEMA_IMPL_H

#include "front.h"

/* One name bound in a scope. */
typedef struct ScopeEntry {
    const char *name;
    SymKind kind;            /* SYM_VAR, SYM_CONST, SYM_FUNC or SYM_STRUCT */
    Node *var;               /* SYM_VAR */
    Decl *decl;              /* the others */
    SrcLoc loc;              /* where it was declared, for "previous declaration" notes */
    struct ScopeEntry *next;
} ScopeEntry;

/* A lexical scope: the module scope (hashed), a function's parameters and
 * body, a block, a for loop's variable. Builtins live outside all of them,
 * so any declaration may shadow a builtin name. */
struct Scope {
    Scope *parent;
    ScopeEntry *head;        /* local scopes: a short list */
    ScopeEntry **buckets;    /* the module scope: a hash table */
    int nbuckets;
};

/* What a name resolves to. */
typedef struct Sym {
    SymKind kind;            /* SYM_NONE: unknown */
    Node *var;
    Decl *decl;
    Builtin builtin;
    SrcLoc loc;
} Sym;

/* A call from one device function or kernel to a device function, for the
 * recursion check (docs/language.md §3). */
typedef struct CallEdge {
    Decl *caller, *callee;
    SrcLoc loc;
} CallEdge;

typedef struct Sema {
    Arena *a;
    IrModule *m;
    Module *mod;
    const SemaOptions *opt;
    Scope *globals;          /* module scope */
    Scope *scope;            /* innermost scope */
    Decl *fn;                /* function whose body is being checked, or NULL */
    int loop_depth;          /* enclosing while/for loops */
    PtrVec loop_vars;        /* Node *: every for-loop variable (immutable) */
    PtrVec consts_busy;      /* Decl *: constants being evaluated (cycle check) */
    PtrVec structs_busy;     /* Decl *: structs being laid out (containment check) */
    PtrVec failed;           /* Decl *: constants and structs already diagnosed */
    PtrVec edges;            /* CallEdge * */
} Sema;

/* ---- sema.c --------------------------------------------------------------- */

Sym sema_lookup(Sema *s, const char *name);
/* Resolves a written type (TYPE_* node); NULL after a diagnostic. */
IrType *sema_resolve_type(Sema *s, Node *ty);
/* Reports a bool vector type t used `where` ("a struct field"): bool
 * vectors are values only (docs/language.md §11). True when t is fine. */
bool sema_bool_vec_ok(Sema *s, IrType *t, SrcLoc loc, const char *where);
/* Makes sure a module constant has its type and value; false if unusable. */
bool sema_const_ready(Sema *s, Decl *d, SrcLoc use);
/* Makes sure a struct's IrType has its fields; NULL if unusable. */
IrType *sema_struct_ready(Sema *s, Decl *d, SrcLoc use);
/* Reports a use of an imported declaration that could not be mapped (§9);
 * returns true if it was one. */
bool sema_unmappable_use(Sema *s, Decl *d, SrcLoc use);
/* Whether var is one of the parameters of the function being checked. */
bool sema_is_param(Sema *s, const Node *var);
bool sema_is_loop_var(Sema *s, const Node *var);
void sema_add_edge(Sema *s, Decl *callee, SrcLoc loc);

/* ---- sema_expr.c ---------------------------------------------------------- */

/* Checks an expression, with `want` the type its context expects (NULL:
 * none); sets e->type and, for scalar compile-time constants, e->cval.
 * Untyped literals adapt to `want` (docs/language.md §2). Returns e->type. */
IrType *sema_expr(Sema *s, Node *e, IrType *want);
/* sema_expr, then requires the result to be usable as `want`: the same
 * type, or *T where *const T is wanted. Returns false after a diagnostic
 * (none if either type is unknown because of an earlier error). */
bool sema_expr_as(Sema *s, Node *e, IrType *want);
/* Whether `have` can be used where `want` is expected. */
bool sema_assignable(IrType *have, IrType *want);
/* Checks that an assignment target (atomic == NULL) or the first argument
 * of the atomic builtin named `atomic` is a writable place. */
bool sema_check_place(Sema *s, Node *e, const char *atomic);
/* The result type of `lt op rt` (binary or compound assignment operator
 * op), or NULL after a diagnostic at loc. */
IrType *sema_binop_type(Sema *s, int op, IrType *lt, IrType *rt, SrcLoc loc);
/* Whether an expression is an untyped literal (or built only from them),
 * whose type comes from its context. */
bool sema_untyped(const Node *e);
const char *sema_type_name(Sema *s, IrType *t);
const char *sema_binop_str(int op);

#endif
