/* front.h: the clawc frontend: diagnostics, lexer, AST, parser, semantic
 * analysis, C header import and lowering to the Claw IR.
 *
 * Pipeline (one compilation per process, all memory in one Arena):
 *   diag_add_file -> lex_file -> parse_file -> sema_check -> lower_module
 *   -> IrModule (verified) -> targets.
 * Types are the IR's interned IrType (ir/ir.h): the language's types are
 * exactly the IR's global-space types, so sema and lowering share them. */
#ifndef CLAW_FRONT_H
#define CLAW_FRONT_H

#include "../ir/ir.h"

/* ---- the compilation context ---------------------------------------------- */

/* Everything one compilation keeps besides its arenas, made by the driver
 * (compilation.c) and passed down: diagnostics state (diag.c) and the C
 * imports (cimport.c). Nothing of it is process-wide, so compilations can
 * follow one another in a process (a fuzzer, a library user) or run on
 * several threads. */
typedef struct Diag Diag;
typedef struct CImport CImport;
typedef struct Compilation {
    Diag *diag;       /* this thread's diagnostics go here while it lives */
    CImport *imports; /* headers imported: for sema (SemaOptions) and the depfile */
} Compilation;
/* Makes a compilation and makes its Diag current for this thread. */
Compilation *compilation_new(bool werror);
/* Frees it and restores the Diag that was current before. */
void compilation_free(Compilation *c);

/* ---- diag.c ------------------------------------------------------------ */

Diag *diag_new(void);
void diag_free(Diag *d);
/* Makes d the diagnostics state of this thread's compilation (the functions
 * below use it); returns the previous one. Without any, a default one per
 * thread is made on first use. */
Diag *diag_use(Diag *d);

/* Registers a source file's text for carets and returns its file index
 * (>= 1) for SrcLoc.file. text need not be NUL-free; len is its size. */
uint32_t diag_add_file(const char *path, const char *text, size_t len);
const char *diag_file_name(uint32_t file);
/* file:line:col: error: message, then the source line and a caret under col,
 * as GCC and Clang print them, on stderr. Counts errors. */
void diag_error(SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_warning(SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A "note:" attached to the previous error or warning. */
void diag_note(SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int diag_error_count(void);
void diag_set_werror(bool on);          /* -Werror: warnings count as errors */
/* After this many errors, further ones are dropped and one line says so
 * (keeps hostile input from printing unbounded output). */
enum { DIAG_MAX_ERRORS = 100 };

/* ---- lex.c ------------------------------------------------------------- */

typedef enum TokenKind {
#define TK(name, str) TK_##name,
#include "tokens.def"
#undef TK
    TK_NUM_KINDS
} TokenKind;

typedef enum LitSuffix {
    SUF_NONE,
    SUF_I8, SUF_I16, SUF_I32, SUF_I64,
    SUF_U8, SUF_U16, SUF_U32, SUF_U64,
    SUF_F16, SUF_F32, SUF_F64, SUF_BF16, /* float suffixes: >= SUF_F16 */
} LitSuffix;

typedef struct Token {
    TokenKind kind;
    SrcLoc loc;
    const char *text;     /* points into the source; len bytes */
    uint32_t len;
    /* TK_INT: value (no sign; overflow past u64 diagnosed by the lexer, value
     * then 0); TK_FLOAT: value as double (hex floats exact); TK_STRING: the
     * unescaped contents (NUL-terminated, arena). */
    union {               /* one per kind: the token is 16 bytes smaller */
        uint64_t ival;
        double fval;
        const char *str;
    };
    LitSuffix suffix;
} Token;

/* Splits a registered file into tokens, ending with TK_EOF. Bad characters,
 * unterminated comments/strings and malformed literals are diagnosed and
 * skipped, so the parser always gets a well-formed stream. */
Token *lex_file(Arena *a, uint32_t file, const char *text, size_t len, int *ntokens);
enum { LEX_MAX_IDENT = 1024 }; /* longest identifier, in bytes */
const char *lex_token_name(TokenKind k); /* "'+'", "identifier", "end of file" */

/* ---- AST (parse.c builds it, sema.c annotates it) ------------------------- */

typedef struct Node Node;
typedef struct Decl Decl;
typedef struct Scope Scope;

typedef enum NodeKind {
#define ND(name) ND_##name,
#include "nodes.def"
#undef ND
    ND_NUM_KINDS
} NodeKind;

/* Binary and assignment operators. Compound assignment `a op= b` is an
 * ND_ASSIGN with op set; plain `=` has op BIN_NONE. */
typedef enum BinOp {
    BIN_NONE,
    BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_REM,
    BIN_SHL, BIN_SHR, BIN_AND, BIN_XOR, BIN_OR,
    BIN_EQ, BIN_NE, BIN_LT, BIN_LE, BIN_GT, BIN_GE,
    BIN_LAND, BIN_LOR,
} BinOp;

typedef enum UnOp { UN_NEG, UN_NOT, UN_BITNOT } UnOp;

typedef enum VarKind { VAR_LET, VAR_VAR, VAR_SHARED } VarKind;

/* What a name refers to, after sema resolves it. */
typedef enum SymKind {
    SYM_NONE,
    SYM_VAR,      /* let/var/shared local or parameter: ref.var (the ND_VAR_DECL or ND_PARAM node) */
    SYM_CONST,    /* module constant: ref.decl */
    SYM_FUNC,     /* fn or kernel: ref.decl */
    SYM_STRUCT,   /* struct type: ref.decl */
    SYM_BUILTIN_VAR, /* thread_id ...: ref.builtin */
    SYM_BUILTIN_FN,  /* barrier, sqrt ...: ref.builtin */
} SymKind;

/* Builtin functions and variables of docs/language.md §7: builtins.def. */
typedef enum Builtin {
#define BI(name, str, kind, nargs, args, result, op, flags) BI_##name,
#include "builtins.def"
#undef BI
    BI_NUM
} Builtin;

typedef enum BuiltinKind { BK_VAR, BK_FN } BuiltinKind;
typedef enum BuiltinArgs {
    BA_NONE, BA_SAME, BA_SELECT, BA_PLACE, BA_LANE, BA_REDUCE, BA_DOT, BA_BOOLVEC, BA_MATRIX
} BuiltinArgs;
typedef enum BuiltinResult { BR_VOID, BR_U32, BR_ARG, BR_ELEM } BuiltinResult;
enum { BIF_FOLD = 1, BIF_VEC = 2 };

/* One row of builtins.def (the columns are described there). */
typedef struct BuiltinInfo {
    const char *name;
    BuiltinKind kind;
    int nargs;
    BuiltinArgs args;
    BuiltinResult result;
    IrOp op;
    int flags;
} BuiltinInfo;

extern const BuiltinInfo builtin_info[BI_NUM]; /* sema.c, by Builtin */

/* Constant values, as folded by sema. */
typedef struct ConstVal {
    IrType *type;         /* NULL: not constant */
    uint64_t i;           /* ints and bool (bits above width zero) */
    double f;             /* floats */
} ConstVal;

/* Every AST node: kind, loc, type (set by sema for expressions), then the
 * per-kind fields. The comment on each kind names the fields it uses. */
struct Node {
    NodeKind kind;
    uint32_t depth;       /* expressions: height of the tree below (a leaf is 1),
                             bounded by PARSE_MAX_EXPR_DEPTH */
    SrcLoc loc;
    bool untyped;         /* expressions: an untyped literal or built only from
                             them (sema_untyped), set by the parser */
    IrType *type;         /* expressions: checked type (NULL if erroneous) */
    ConstVal cval;        /* expressions: folded value when constant */
    union {
        /* INT_LIT, FLOAT_LIT: tok (value and suffix, in the token array,
         * which lives as long as the tree); BOOL_LIT: bval */
        struct { const Token *tok; bool bval; } lit;
        /* NAME: name; sema sets sym/ref */
        struct {
            const char *name;
            SymKind sym;
            union { Node *var; Decl *decl; Builtin builtin; } ref;
        } name;
        /* UNARY: op, lhs */
        /* BINARY: op, lhs, rhs */
        struct { int op; Node *lhs, *rhs; } bin;
        /* CAST: lhs as target_type (a TYPE_* node) */
        struct { Node *lhs; Node *to; } cast;
        /* CALL: callee (an expression, normally NAME), args;
         * VEC_CTOR: callee is the TYPE_VEC node, args the components */
        struct { Node *callee; Node **args; int nargs; } call;
        /* INDEX: base[index] */
        struct { Node *base, *index; } index;
        /* FIELD: base.name; sema sets field_index (or dim for builtin vars);
         * on a vector, a swizzle: nswz components, swz[i] each 0..3 */
        struct {
            Node *base; const char *name; SrcLoc name_loc; int field_index;
            int nswz; uint8_t swz[4];
        } field;
        /* STRUCT_LIT: name { fnames[i]: fvals[i] }; sema sets decl */
        struct {
            const char *name; Decl *decl;
            const char **fnames; SrcLoc *floc; Node **fvals; int nfields;
        } slit;
        /* ARRAY_LIT: elems; ARRAY_REPEAT: elems[0] repeated count_expr times */
        struct { Node **elems; int nelems; Node *count_expr; uint64_t count; } alit;

        /* Types as written. TYPE_NAME: name (builtin scalar or struct), or
         * a matrix `name<elem, dims[0], dims[1]>` (generic set);
         * TYPE_PTR: elem, is_const; TYPE_ARRAY: elem, count_expr;
         * TYPE_VEC: elem, vec_n (2..4) */
        struct {
            const char *name; Node *elem; bool is_const; Node *count_expr;
            Node *dims[2]; bool generic; int vec_n;
        } ty;

        /* VAR_DECL: let/var/shared name [: ty] [= init]; also used for
         * function parameters (PARAM: name, ty). sema sets decl_type. */
        struct {
            VarKind vkind; const char *name; Node *ty; Node *init; IrType *decl_type;
            bool varying; /* sema: its value may differ between the lanes of a
                             subgroup as far as sema can see (sema_matrix.c) */
            void *lower_slot; /* lowering's storage for it (IrInst * or IrShared *) */
        } var;
        /* ASSIGN: lhs op= rhs */
        struct { BinOp op; Node *lhs, *rhs; } assign;
        /* IF: cond, then_b (BLOCK), else_b (BLOCK, IF or NULL) */
        struct { Node *cond, *then_b, *else_b; } if_;
        /* WHILE: cond, body; FOR: var_name lo..hi [step step] body; the loop
         * variable is `loop_var` (a VAR_DECL made by the parser, vkind LET);
         * unroll: IR_UNROLL_NONE, IR_UNROLL_FULL, or unroll_expr's value */
        struct {
            Node *cond, *body; Node *loop_var; Node *lo, *hi, *step;
            Node *unroll_expr; int unroll; bool has_unroll;
        } loop;
        /* RETURN: value (or NULL) */
        struct { Node *value; } ret;
        /* BLOCK: stmts */
        struct { Node **stmts; int nstmts; } block;
        /* EXPR_STMT: expr */
        struct { Node *expr; } expr;
    } u;
};

typedef enum DeclKind { DECL_CONST, DECL_STRUCT, DECL_FN, DECL_KERNEL, DECL_IMPORT } DeclKind;

typedef struct FieldDecl {
    const char *name;
    Node *ty;
    SrcLoc loc;
} FieldDecl;

/* Module-level declaration. */
struct Decl {
    DeclKind kind;
    SrcLoc loc;
    const char *name;            /* NULL for IMPORT */
    union {
        /* CONST: name [: ty] = value; sema sets type and val (folded) */
        struct { Node *ty; Node *value; IrType *type; ConstVal val; bool overridden; } cnst;
        /* STRUCT: fields; sema sets type (an IrType struct). Imported structs
         * have fields == NULL and type set by cimport. */
        struct { FieldDecl *fields; int nfields; IrType *type; } strct;
        /* FN / KERNEL: params (VAR_DECL nodes, vkind LET), ret_ty (NULL: void),
         * body (BLOCK); workgroup attribute exprs (kernels; count 0..3) */
        struct {
            Node **params; int nparams; Node *ret_ty; Node *body;
            Node *wg[3]; int nwg; bool has_wg; SrcLoc wg_loc;
            IrType *ret; IrFunc *ir;   /* sema / lowering */
        } fn;
        /* IMPORT: path as written */
        struct { const char *path; } import;
    } u;
    const char *import_origin;   /* set for decls that came from a C header:
                                    "file.h:12:3"; NULL for Claw decls */
    const char *unmappable;      /* imported decl that cannot be used: why */
};

typedef struct Module {
    const char *path;            /* the .claw file */
    Decl **decls;
    int ndecls;
} Module;

/* ---- parse.c ----------------------------------------------------------- */

/* Parses a token stream into a Module. Syntax errors are diagnosed with
 * recovery at the next statement or declaration; the result is always a
 * usable (possibly partial) tree. Nesting deeper than PARSE_MAX_NEST levels
 * of parentheses, unary operators, blocks or types, and expression trees
 * deeper than PARSE_MAX_EXPR_DEPTH (long operator chains: `a + a + ...`
 * is a tree as deep as it has operators), are errors, not stack overflows:
 * every later pass may recurse over the tree (docs/clawc.md "Limits"). */
enum { PARSE_MAX_NEST = 256, PARSE_MAX_EXPR_DEPTH = 100000 };
/* Target limits the parser enforces at the source location, rather than
 * letting a backend fail (docs/clawc.md "Limits"): SPIR-V 2.17 allows 255
 * function parameters and 16383 struct members; array literals longer than
 * PARSE_MAX_ARRAY_ELEMS compile superlinearly in LLVM, so larger arrays are
 * initialised with `[v; N]` and stores in a loop. */
enum { PARSE_MAX_PARAMS = 255, PARSE_MAX_FIELDS = 16383, PARSE_MAX_ARRAY_ELEMS = 1024 };
Module *parse_file(Arena *a, const char *path, Token *toks, int ntoks);
/* Parses `text` (a -D value) as one expression; NULL after a diagnostic. */
Node *parse_expr_text(Arena *a, const char *what, const char *text);

/* ---- sema.c ------------------------------------------------------------ */

typedef struct Define {
    const char *name;            /* -D NAME=VALUE */
    const char *value;
    bool used;
} Define;

typedef struct SemaOptions {
    Define *defines;
    int ndefines;
    const char **include_dirs;   /* -I, in order */
    int ninclude_dirs;
    CImport *imports;            /* the compilation's C imports (Compilation.imports) */
} SemaOptions;

/* Resolves names, checks every rule of docs/language.md, folds constants,
 * imports C headers (cimport.c). Types are created in m. Returns false
 * if any error was reported. */
bool sema_check(Arena *a, Module *mod, IrModule *m, const SemaOptions *opt);
/* The IR op of an arithmetic, bitwise, shift or comparison operator (not
 * BIN_NONE, BIN_LAND, BIN_LOR), for sema's folding and for lowering. */
IrOp sema_binop_ir(BinOp op);

/* ---- cimport.c ---------------------------------------------------------- */

/* Imports `path` (as written in `import "path";` at loc) through libclang,
 * searching the importing file's folder, then each include dir, and appends
 * the declarations it maps to *out (DECL_STRUCT with u.strct.type set,
 * DECL_CONST with type and val set). Unmappable ones come back with
 * `unmappable` set. Headers read are added to opt->imports' dependency
 * list. Returns false after diagnosing an error. */
bool cimport_header(Arena *a, IrModule *m, const char *importer, const char *path, SrcLoc loc,
                    const SemaOptions *opt, PtrVec *out_decls);
CImport *cimport_new(void);
void cimport_free(CImport *imp);
/* Every file the imports read (headers and what they include), in order. */
int cimport_ndeps(const CImport *imp);
const char *cimport_dep(const CImport *imp, int i);

/* ---- depfile.c (driver) ---------------------------------------------------- */

/* Writes a make rule `target: source dep...` with a phony rule per dep
 * (as gcc -MD -MP) to path. False when the file cannot be written. */
bool depfile_write(const char *path, const char *target, const char *source,
                   const CImport *imports);

/* ---- irfile.c ----------------------------------------------------------- */

/* Whether path names a Claw IR input (it ends in ".clawir"). */
bool irfile_is_ir(const char *path);
/* Registers the file with diag and reads it (ir/read.c); NULL after
 * diagnosing its first error. The module is verified. */
IrModule *irfile_read(const char *path, const char *text, size_t len);

/* ---- lower.c ------------------------------------------------------------ */

/* Lowers a checked module into m (which sema filled with types). Every
 * kernel, and every fn reachable from a kernel, becomes an IrFunc. */
void lower_module(Arena *a, Module *mod, IrModule *m);

#endif
