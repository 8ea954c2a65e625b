/* parse.c: recursive-descent parser from tokens to the AST (docs/language.md §3-§5).
 *
 * Each parse_* function carries its grammar rule. Binary operators use one
 * precedence table (§5) and one loop per level; comparisons sit on a level
 * of their own and do not chain. The parser only builds the tree: names and
 * types are resolved by sema.
 *
 * Robustness (§10: never crash or hang, report every independent error):
 *   - every loop consumes a token or stops; the statement and declaration
 *     loops force one token of progress if a failed parse consumed none;
 *   - recursion (expressions, unary chains, blocks, types) is bounded by
 *     PARSE_MAX_NEST, reported as an error instead of overflowing the stack;
 *   - the depth of every expression tree is bounded by PARSE_MAX_EXPR_DEPTH
 *     (finish_expr): the loops that build left-associative chains (`a + b
 *     + c`, `x.f[i].g`, `x as T as U`) do not recurse here, but sema,
 *     constant folding and lowering walk the tree recursively;
 *   - a failed parse returns NULL right after its one diagnostic; the
 *     enclosing statement (or declaration) loop then skips to the next `;`
 *     or `}` at the statement's own nesting level, or to the next keyword
 *     that can only start a statement or declaration, so independent errors
 *     are reported without cascades;
 *   - a missing `;` at a line end is reported and assumed, so the next line
 *     still parses;
 *   - after one error at end of file, further end-of-file errors are dropped
 *     (they would all say the same thing).
 *
 * Struct literals (§5): in the header of `if`, `while` and `for` an
 * identifier followed by `{` is a name and the `{` opens the body, as in
 * Rust; inside parentheses, brackets and braces struct literals are allowed
 * again. Empty statements (a stray `;` in a block) are accepted and dropped. */
#include "front.h"

#include <string.h>

typedef struct Parser {
    Arena *a;
    Token *toks;
    int ntoks; /* including the final TK_EOF */
    int pos;
    int depth;         /* current recursion depth, bounded by PARSE_MAX_NEST */
    bool no_struct;    /* in an if/while/for header: `Name {` opens the body */
    bool eof_reported; /* an error at end of file was already reported */
} Parser;

/* Attributes (§1) gathered before a statement or declaration. */
typedef struct Attrs {
    bool has_unroll;
    SrcLoc unroll_loc;
    Node *unroll_expr; /* @unroll(n): n; @unroll: NULL */
    bool has_wg;
    SrcLoc wg_loc;
    Node *wg[3];
    int nwg;
} Attrs;

/* ---- tokens ---------------------------------------------------------------- */

static Token *
cur(Parser *p)
{
    return &p->toks[p->pos];
}

static TokenKind
kind_at(Parser *p, int k)
{
    int i = p->pos + k;
    return i < p->ntoks ? p->toks[i].kind : TK_EOF;
}

static Token *
next(Parser *p)
{
    Token *t = cur(p);
    if (t->kind != TK_EOF)
        p->pos++;
    return t;
}

static bool
accept(Parser *p, TokenKind k)
{
    if (cur(p)->kind != k)
        return false;
    next(p);
    return true;
}

/* How a token is named in "found ..." messages. */
static const char *
describe(Parser *p, const Token *t)
{
    int n = t->len > 40 ? 40 : (int)t->len;
    switch (t->kind) {
    case TK_IDENT: return arena_printf(p->a, "identifier '%.*s'", n, t->text);
    case TK_VEC2: case TK_VEC3: case TK_VEC4: case TK_MAT_A: case TK_MAT_B: case TK_MAT_ACC:
        return arena_printf(p->a, "reserved word '%.*s'", n, t->text);
    case TK_INT:
    case TK_FLOAT: return arena_printf(p->a, "%s '%.*s'", lex_token_name(t->kind), n, t->text);
    default: return lex_token_name(t->kind);
    }
}

/* Whether the lexer skipped bad bytes just before token t: the lexer has
 * reported them already, and a syntax error there would only repeat it.
 * Looks at the bytes between the previous token and t, skipping
 * whitespace and comments. */
static bool
after_bad_bytes(Parser *p, const Token *t)
{
    if (t == p->toks)
        return false;
    const Token *prev = t - 1;
    const char *s = prev->text + prev->len, *end = t->text;
    while (s < end) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f') {
            s++;
        } else if (*s == '/' && s + 1 < end && s[1] == '/') {
            while (s < end && *s != '\n')
                s++;
        } else if (*s == '/' && s + 1 < end && s[1] == '*') {
            for (s += 2; s < end && !(*s == '*' && s + 1 < end && s[1] == '/'); s++)
                ;
            if (s >= end)
                return true; /* unterminated comment: reported by the lexer */
            s += 2;
        } else {
            return true;
        }
    }
    return false;
}

/* Reports an error at token t, once per run at end of file; returns
 * whether it was printed (a note may then follow). */
static bool
error_at(Parser *p, const Token *t, const char *what)
{
    if (after_bad_bytes(p, t))
        return false;
    if (t->kind == TK_EOF) {
        if (p->eof_reported)
            return false;
        p->eof_reported = true;
    }
    diag_error(t->loc, "%s", what);
    return true;
}

static bool
error_expected(Parser *p, const char *what)
{
    Token *t = cur(p);
    return error_at(p, t, arena_printf(p->a, "expected %s, found %s", what, describe(p, t)));
}

static bool
expect(Parser *p, TokenKind k)
{
    if (accept(p, k))
        return true;
    error_expected(p, lex_token_name(k));
    return false;
}

/* Expects the `;` that ends a statement or declaration. A missing one is
 * reported just after the previous token (as GCC and Clang do); when the
 * next token starts a new line the `;` is assumed and parsing goes on. */
static bool
expect_semi(Parser *p)
{
    if (accept(p, TK_SEMI))
        return true;
    Token *t = cur(p);
    if (t->kind == TK_EOF || p->pos == 0) {
        error_expected(p, "';'");
        return false;
    }
    Token *prev = &p->toks[p->pos - 1];
    SrcLoc loc = prev->loc;
    loc.col += prev->len;
    if (!after_bad_bytes(p, t))
        diag_error(loc, "expected ';', found %s", describe(p, t));
    return t->loc.line > prev->loc.line;
}

static bool
enter(Parser *p)
{
    if (p->depth >= PARSE_MAX_NEST) {
        error_at(p, cur(p),
                 arena_printf(p->a,
                              "nesting too deep: more than %d levels of expressions, blocks or types",
                              PARSE_MAX_NEST));
        return false;
    }
    p->depth++;
    return true;
}

static void
leave(Parser *p)
{
    p->depth--;
}

static Node *
new_node(Parser *p, NodeKind kind, SrcLoc loc)
{
    Node *n = arena_alloc(p->a, sizeof *n);
    n->kind = kind;
    n->loc = loc;
    return n;
}

/* Finishes an expression node made from operands a and b (either may be
 * NULL): its depth is one more than the deeper operand's. A tree deeper
 * than PARSE_MAX_EXPR_DEPTH is refused at the node's operator, so no later
 * pass recurses without bound; NULL then. */
static Node *
finish_expr(Node *n, const Node *a, const Node *b)
{
    uint32_t d = a ? a->depth : 0;
    if (b && b->depth > d)
        d = b->depth;
    n->depth = d + 1;
    if (n->depth > PARSE_MAX_EXPR_DEPTH) {
        diag_error(n->loc,
                   "expression nests too deeply: more than %d levels of operators (split it "
                   "into several statements)",
                   PARSE_MAX_EXPR_DEPTH);
        return NULL;
    }
    return n;
}

/* The depth of the deepest of n expressions. */
static const Node *
deepest(Node **list, int n)
{
    const Node *d = NULL;
    for (int i = 0; i < n; i++)
        if (!d || list[i]->depth > d->depth)
            d = list[i];
    return d;
}

static const char *
tok_str(Parser *p, const Token *t)
{
    return arena_strndup(p->a, t->text, t->len);
}

/* ---- error recovery -------------------------------------------------------- */

static bool
starts_decl(TokenKind k)
{
    return k == TK_FN || k == TK_KERNEL || k == TK_STRUCT || k == TK_CONST || k == TK_IMPORT;
}

static bool
starts_stmt(TokenKind k)
{
    return k == TK_LET || k == TK_VAR || k == TK_SHARED || k == TK_IF || k == TK_WHILE ||
           k == TK_FOR || k == TK_RETURN || k == TK_BREAK || k == TK_CONTINUE || k == TK_AT;
}

/* Skips the rest of a broken statement (in_decl: declaration) that began at
 * token `start`. Brackets opened since `start` are counted so that a `;` or
 * `}` inside the broken construct does not end the skip early; the skip ends
 *   - after a `;` outside any bracket, or inside one at the end of a line,
 *   - after a `}` that closes the construct's last open brace (and before a
 *     `;` that follows it),
 *   - before a `}` that closes the enclosing block,
 *   - before a keyword that only starts a statement or declaration. */
static void
sync(Parser *p, int start, bool in_decl)
{
    int braces = 0, parens = 0;
    for (int i = start; i < p->pos; i++) {
        TokenKind k = p->toks[i].kind;
        braces += k == TK_LBRACE;
        parens += k == TK_LPAREN || k == TK_LBRACKET;
        if (k == TK_RBRACE && braces > 0)
            braces--;
        if ((k == TK_RPAREN || k == TK_RBRACKET) && parens > 0)
            parens--;
    }
    for (;;) {
        TokenKind k = cur(p)->kind;
        if (k == TK_EOF)
            return;
        if (braces == 0 && (starts_decl(k) || (in_decl ? k == TK_AT : starts_stmt(k))))
            return;
        /* A `;` inside brackets ends the skip too when it ends its line:
         * the bracket was most likely left open by the error itself. */
        if (k == TK_SEMI && braces == 0 &&
            (parens == 0 ||
             (p->pos + 1 < p->ntoks && p->toks[p->pos + 1].loc.line > cur(p)->loc.line))) {
            next(p);
            return;
        }
        if (k == TK_RBRACE) {
            if (braces == 0) {
                if (!in_decl)
                    return;
                next(p); /* a stray `}` at module level: skip it */
                continue;
            }
            next(p);
            if (--braces == 0 && cur(p)->kind != TK_SEMI)
                return;
            continue;
        }
        if (k == TK_LBRACE)
            braces++;
        else if (k == TK_LPAREN || k == TK_LBRACKET)
            parens++;
        else if ((k == TK_RPAREN || k == TK_RBRACKET) && parens > 0)
            parens--;
        next(p);
    }
}

/* ---- types ----------------------------------------------------------------- */

/* type: IDENT | '*' ['const'] type | '[' type ';' expr ']' | vec_type */
static Node *parse_expr(Parser *p);
static Node *parse_type(Parser *p);

/* Words reserved for v0.2 features this compiler does not have: a use gets
 * one clear error instead of a confusing syntax error. Returns true if t is
 * one (and reports it). */
static bool
reserved_unimplemented(Parser *p, Token *t)
{
    if (t->kind != TK_MAT_A && t->kind != TK_MAT_B && t->kind != TK_MAT_ACC)
        return false;
    error_at(p, t, arena_printf(p->a,
                                "'%.*s' is a reserved word: matrix types are not implemented yet",
                                (int)t->len, t->text));
    return true;
}

/* vec_type: ('vec2' | 'vec3' | 'vec4') '<' type '>' (the current token is the
 * keyword) */
static Node *
parse_vec_type(Parser *p)
{
    Token *t = cur(p);
    next(p);
    if (!accept(p, TK_LT)) {
        error_expected(p, arena_printf(p->a, "'<' and an element type after '%.*s' (like %.*s<f32>)",
                                       (int)t->len, t->text, (int)t->len, t->text));
        return NULL;
    }
    Node *elem = parse_type(p);
    if (!elem)
        return NULL;
    /* `>>`, `>=` and `>>=` after the element type begin with this '>':
     * split the token, as C++ does for templates */
    Token *gt = cur(p);
    if (gt->kind == TK_SHR || gt->kind == TK_GE || gt->kind == TK_SHR_EQ) {
        gt->kind = gt->kind == TK_SHR ? TK_GT : gt->kind == TK_GE ? TK_ASSIGN : TK_GE;
        gt->text++;
        gt->len--;
        gt->loc.col++;
    } else if (!expect(p, TK_GT)) {
        return NULL;
    }
    Node *n = new_node(p, ND_TYPE_VEC, t->loc);
    n->u.ty.elem = elem;
    n->u.ty.vec_n = t->kind == TK_VEC2 ? 2 : t->kind == TK_VEC3 ? 3 : 4;
    return n;
}

static Node *
parse_type(Parser *p)
{
    Token *t = cur(p);
    if (t->kind == TK_VEC2 || t->kind == TK_VEC3 || t->kind == TK_VEC4) {
        if (!enter(p))
            return NULL;
        Node *n = parse_vec_type(p);
        leave(p);
        return n;
    }
    if (reserved_unimplemented(p, t)) {
        next(p);
        return NULL;
    }
    if (t->kind == TK_IDENT) {
        next(p);
        Node *n = new_node(p, ND_TYPE_NAME, t->loc);
        n->u.ty.name = tok_str(p, t);
        return n;
    }
    if (t->kind != TK_STAR && t->kind != TK_LBRACKET) {
        error_expected(p, "type");
        return NULL;
    }
    if (!enter(p))
        return NULL;
    next(p);
    Node *n = NULL;
    if (t->kind == TK_STAR) {
        bool is_const = accept(p, TK_CONST);
        Node *elem = parse_type(p);
        if (elem) {
            n = new_node(p, ND_TYPE_PTR, t->loc);
            n->u.ty.elem = elem;
            n->u.ty.is_const = is_const;
        }
    } else {
        Node *elem = parse_type(p);
        Node *count = NULL;
        if (elem && expect(p, TK_SEMI))
            count = parse_expr(p);
        if (count && expect(p, TK_RBRACKET)) {
            n = new_node(p, ND_TYPE_ARRAY, t->loc);
            n->u.ty.elem = elem;
            n->u.ty.count_expr = count;
        }
    }
    leave(p);
    return n;
}

/* ---- expressions ----------------------------------------------------------- */

/* Parses expr with struct literals allowed or not (saving the caller's
 * setting): parentheses and brackets re-allow them, headers forbid them. */
static Node *
parse_expr_mode(Parser *p, bool no_struct)
{
    bool saved = p->no_struct;
    p->no_struct = no_struct;
    Node *n = parse_expr(p);
    p->no_struct = saved;
    return n;
}

/* args: [expr (',' expr)* [',']] followed by `close`; returns the count or
 * -1 after an error. */
static int
parse_expr_list(Parser *p, TokenKind close, Node ***out)
{
    PtrVec v = {0};
    while (!accept(p, close)) {
        Node *e = parse_expr_mode(p, false);
        if (!e)
            return -1;
        ptrvec_push(p->a, &v, e);
        if (!accept(p, TK_COMMA)) {
            if (!expect(p, close))
                return -1;
            break;
        }
    }
    *out = (Node **)v.data;
    return v.len;
}

/* struct_lit: IDENT '{' [IDENT ':' expr (',' IDENT ':' expr)* [',']] '}' */
/* A field name after '.' or in a struct literal may be a keyword: C headers
 * (docs/language.md §9) have fields named `in`, `step` or `shared`, and in those
 * positions a keyword cannot be meant as one (docs/language.md). */
static bool
is_field_name(TokenKind k)
{
    return k == TK_IDENT || (k >= TK_AS && k <= TK_MAT_ACC);
}

static Node *
parse_struct_lit(Parser *p, Token *name)
{
    Node *n = new_node(p, ND_STRUCT_LIT, name->loc);
    n->u.slit.name = tok_str(p, name);
    next(p); /* '{' */
    PtrVec names = {0}, vals = {0};
    int cap = 0;
    SrcLoc *locs = NULL;
    while (!accept(p, TK_RBRACE)) {
        Token *f = cur(p);
        if (!is_field_name(f->kind)) {
            error_expected(p, "field name");
            return NULL;
        }
        next(p);
        if (!expect(p, TK_COLON))
            return NULL;
        Node *v = parse_expr_mode(p, false);
        if (!v)
            return NULL;
        if (names.len == cap) {
            cap = cap ? cap * 2 : 8;
            SrcLoc *nl = arena_alloc(p->a, sizeof(SrcLoc) * (size_t)cap);
            if (names.len)
                memcpy(nl, locs, sizeof(SrcLoc) * (size_t)names.len);
            locs = nl;
        }
        locs[names.len] = f->loc;
        ptrvec_push(p->a, &names, (void *)tok_str(p, f));
        ptrvec_push(p->a, &vals, v);
        if (!accept(p, TK_COMMA)) {
            if (!expect(p, TK_RBRACE))
                return NULL;
            break;
        }
    }
    n->u.slit.fnames = (const char **)names.data;
    n->u.slit.floc = locs;
    n->u.slit.fvals = (Node **)vals.data;
    n->u.slit.nfields = names.len;
    return finish_expr(n, deepest(n->u.slit.fvals, n->u.slit.nfields), NULL);
}

/* array_lit: '[' [expr (',' expr)* [',']] ']' | '[' expr ';' expr ']' */
static Node *
parse_array_lit(Parser *p)
{
    Token *open = next(p);
    if (accept(p, TK_RBRACKET))
        return finish_expr(new_node(p, ND_ARRAY_LIT, open->loc), NULL, NULL);
    Node *first = parse_expr_mode(p, false);
    if (!first)
        return NULL;
    if (accept(p, TK_SEMI)) {
        Node *count = parse_expr_mode(p, false);
        if (!count || !expect(p, TK_RBRACKET))
            return NULL;
        Node *n = new_node(p, ND_ARRAY_REPEAT, open->loc);
        n->u.alit.elems = arena_alloc(p->a, sizeof(Node *));
        n->u.alit.elems[0] = first;
        n->u.alit.nelems = 1;
        n->u.alit.count_expr = count;
        return finish_expr(n, first, count);
    }
    Node **rest = NULL;
    int nrest = 0;
    if (accept(p, TK_COMMA)) {
        nrest = parse_expr_list(p, TK_RBRACKET, &rest);
        if (nrest < 0)
            return NULL;
    } else if (!expect(p, TK_RBRACKET)) {
        return NULL;
    }
    if (nrest + 1 > PARSE_MAX_ARRAY_ELEMS) {
        diag_error(open->loc,
                   "array literal has %d elements; at most %d are allowed (initialise larger "
                   "arrays with [v; N] and a loop)",
                   nrest + 1, PARSE_MAX_ARRAY_ELEMS);
        return NULL;
    }
    Node *n = new_node(p, ND_ARRAY_LIT, open->loc);
    n->u.alit.elems = arena_alloc(p->a, sizeof(Node *) * (size_t)(nrest + 1));
    n->u.alit.elems[0] = first;
    if (nrest) /* rest is NULL for a one-element literal */
        memcpy(n->u.alit.elems + 1, rest, sizeof(Node *) * (size_t)nrest);
    n->u.alit.nelems = nrest + 1;
    return finish_expr(n, deepest(n->u.alit.elems, n->u.alit.nelems), NULL);
}

/* primary: INT | FLOAT | 'true' | 'false' | 'null' | IDENT | struct_lit
 *        | '(' expr ')' | array_lit */
static Node *
parse_primary(Parser *p)
{
    Token *t = cur(p);
    Node *n;
    switch (t->kind) {
    case TK_INT:
    case TK_FLOAT:
        next(p);
        n = new_node(p, t->kind == TK_INT ? ND_INT_LIT : ND_FLOAT_LIT, t->loc);
        n->u.lit.tok = t;
        n->untyped = t->suffix == SUF_NONE;
        return finish_expr(n, NULL, NULL);
    case TK_NULL:
        /* untyped: it takes the pointer type its context needs (sema) */
        next(p);
        n = new_node(p, ND_NULL_LIT, t->loc);
        n->untyped = true;
        return finish_expr(n, NULL, NULL);
    case TK_TRUE:
    case TK_FALSE:
        next(p);
        n = new_node(p, ND_BOOL_LIT, t->loc);
        n->u.lit.tok = t;
        n->u.lit.bval = t->kind == TK_TRUE;
        return finish_expr(n, NULL, NULL);
    case TK_IDENT:
        if (kind_at(p, 1) == TK_LBRACE && !p->no_struct) {
            next(p);
            return parse_struct_lit(p, t);
        }
        next(p);
        n = new_node(p, ND_NAME, t->loc);
        n->u.name.name = tok_str(p, t);
        return finish_expr(n, NULL, NULL);
    case TK_LPAREN:
        next(p);
        n = parse_expr_mode(p, false);
        if (!n || !expect(p, TK_RPAREN))
            return NULL;
        return n;
    case TK_LBRACKET: return parse_array_lit(p);
    case TK_VEC2:
    case TK_VEC3:
    case TK_VEC4: {
        /* vec_ctor: vec_type '(' args ')' */
        Node *ty = parse_vec_type(p);
        if (!ty || !expect(p, TK_LPAREN))
            return NULL;
        n = new_node(p, ND_VEC_CTOR, t->loc);
        n->u.call.callee = ty;
        n->u.call.nargs = parse_expr_list(p, TK_RPAREN, &n->u.call.args);
        if (n->u.call.nargs < 0)
            return NULL;
        return finish_expr(n, deepest(n->u.call.args, n->u.call.nargs), NULL);
    }
    default:
        if (!reserved_unimplemented(p, t))
            error_expected(p, "expression");
        return NULL;
    }
}

/* postfix: primary ( '(' args ')' | '[' expr ']' | '.' IDENT )* */
static Node *
parse_postfix(Parser *p)
{
    Node *n = parse_primary(p);
    while (n) {
        Token *t = cur(p);
        if (accept(p, TK_LPAREN)) {
            Node *call = new_node(p, ND_CALL, n->loc);
            call->u.call.callee = n;
            call->u.call.nargs = parse_expr_list(p, TK_RPAREN, &call->u.call.args);
            if (call->u.call.nargs < 0)
                return NULL;
            const Node *arg = deepest(call->u.call.args, call->u.call.nargs);
            n = finish_expr(call, n, arg);
        } else if (accept(p, TK_LBRACKET)) {
            Node *idx = new_node(p, ND_INDEX, t->loc);
            idx->u.index.base = n;
            idx->u.index.index = parse_expr_mode(p, false);
            if (!idx->u.index.index || !expect(p, TK_RBRACKET))
                return NULL;
            n = finish_expr(idx, n, idx->u.index.index);
        } else if (accept(p, TK_DOT)) {
            Token *f = cur(p);
            if (!is_field_name(f->kind)) {
                error_expected(p, "field name");
                return NULL;
            }
            next(p);
            Node *fld = new_node(p, ND_FIELD, f->loc);
            fld->u.field.base = n;
            fld->u.field.name = tok_str(p, f);
            fld->u.field.name_loc = f->loc;
            n = finish_expr(fld, n, NULL);
        } else {
            break;
        }
    }
    return n;
}

/* unary: ('-' | '!' | '~') unary | postfix */
static Node *
parse_unary(Parser *p)
{
    Token *t = cur(p);
    int op;
    if (t->kind == TK_MINUS)
        op = UN_NEG;
    else if (t->kind == TK_BANG)
        op = UN_NOT;
    else if (t->kind == TK_TILDE)
        op = UN_BITNOT;
    else
        return parse_postfix(p);
    if (!enter(p))
        return NULL;
    next(p);
    Node *operand = parse_unary(p);
    leave(p);
    if (!operand)
        return NULL;
    Node *n = new_node(p, ND_UNARY, t->loc);
    n->u.bin.op = op;
    n->u.bin.lhs = operand;
    n->untyped = op != UN_NOT && operand->untyped;
    return finish_expr(n, operand, NULL);
}

/* cast: unary ('as' type)* */
static Node *
parse_cast(Parser *p)
{
    Node *n = parse_unary(p);
    while (n && cur(p)->kind == TK_AS) {
        Token *as = next(p);
        Node *to = parse_type(p);
        if (!to)
            return NULL;
        Node *c = new_node(p, ND_CAST, as->loc);
        c->u.cast.lhs = n;
        c->u.cast.to = to;
        n = finish_expr(c, n, NULL);
    }
    return n;
}

/* §5 precedence, lowest level first; all levels are left-associative
 * except comparisons, which do not chain. */
enum {
    PREC_NONE,
    PREC_LOR,
    PREC_LAND,
    PREC_CMP,
    PREC_BITOR,
    PREC_BITXOR,
    PREC_BITAND,
    PREC_SHIFT,
    PREC_ADD,
    PREC_MUL,
};

static const struct {
    unsigned char prec;
    unsigned char op;
} binops[TK_NUM_KINDS] = {
    [TK_OROR] = {PREC_LOR, BIN_LOR},   [TK_ANDAND] = {PREC_LAND, BIN_LAND},
    [TK_EQ] = {PREC_CMP, BIN_EQ},      [TK_NE] = {PREC_CMP, BIN_NE},
    [TK_LT] = {PREC_CMP, BIN_LT},      [TK_LE] = {PREC_CMP, BIN_LE},
    [TK_GT] = {PREC_CMP, BIN_GT},      [TK_GE] = {PREC_CMP, BIN_GE},
    [TK_PIPE] = {PREC_BITOR, BIN_OR},  [TK_CARET] = {PREC_BITXOR, BIN_XOR},
    [TK_AMP] = {PREC_BITAND, BIN_AND}, [TK_SHL] = {PREC_SHIFT, BIN_SHL},
    [TK_SHR] = {PREC_SHIFT, BIN_SHR},  [TK_PLUS] = {PREC_ADD, BIN_ADD},
    [TK_MINUS] = {PREC_ADD, BIN_SUB},  [TK_STAR] = {PREC_MUL, BIN_MUL},
    [TK_SLASH] = {PREC_MUL, BIN_DIV},  [TK_PERCENT] = {PREC_MUL, BIN_REM},
};

/* binary(L): binary(L+1) (op_L binary(L+1))*   for each level L of §5;
 * comparison: bitor [cmp_op bitor]  (a second comparison is an error) */
static Node *
parse_binary(Parser *p, int level)
{
    if (level > PREC_MUL)
        return parse_cast(p);
    Node *lhs = parse_binary(p, level + 1);
    int ncmp = 0;
    while (lhs && binops[cur(p)->kind].prec == level) {
        Token *t = next(p);
        if (level == PREC_CMP && ++ncmp == 2)
            diag_error(t->loc,
                       "comparison operators cannot be chained: use '&&' (as in 'a < b && b < c') "
                       "or parentheses");
        Node *rhs = parse_binary(p, level + 1);
        if (!rhs)
            return NULL;
        Node *n = new_node(p, ND_BINARY, t->loc);
        int op = binops[t->kind].op;
        n->u.bin.op = op;
        n->u.bin.lhs = lhs;
        n->u.bin.rhs = rhs;
        /* sema_untyped: shifts take the left type; comparisons and the
         * logical operators are bool whatever their operands */
        if (op == BIN_SHL || op == BIN_SHR)
            n->untyped = lhs->untyped;
        else
            n->untyped = level != PREC_CMP && level != PREC_LAND && level != PREC_LOR &&
                         lhs->untyped && rhs->untyped;
        if (!finish_expr(n, lhs, rhs))
            return NULL;
        if (level == PREC_CMP && ncmp >= 2) {
            /* After the error the chain stands for a bool of no particular
             * meaning, so sema adds no type error for it: `a == b == c` may
             * have meant `(a == b) == c` or `a == b && b == c`. */
            n = new_node(p, ND_BOOL_LIT, t->loc);
            n->u.lit.bval = false;
            n->depth = 1;
        }
        lhs = n;
    }
    return lhs;
}

/* expr: binary(PREC_LOR) */
static Node *
parse_expr(Parser *p)
{
    if (!enter(p))
        return NULL;
    Node *n = parse_binary(p, PREC_LOR);
    leave(p);
    return n;
}

/* ---- statements ------------------------------------------------------------ */

static Node *parse_stmt(Parser *p);

/* block: '{' stmt* '}' */
static Node *
parse_block(Parser *p)
{
    Token *open = cur(p);
    if (!expect(p, TK_LBRACE))
        return NULL;
    if (!enter(p))
        return NULL;
    bool saved = p->no_struct;
    p->no_struct = false;
    PtrVec stmts = {0};
    for (;;) {
        TokenKind k = cur(p)->kind;
        if (accept(p, TK_RBRACE))
            break;
        if (k == TK_EOF || starts_decl(k)) {
            /* A missing `}`: let the module loop resume at the declaration. */
            if (error_expected(p, "'}'"))
                diag_note(open->loc, "to match this '{'");
            break;
        }
        if (accept(p, TK_SEMI))
            continue;
        int start = p->pos;
        Node *s = parse_stmt(p);
        if (s)
            ptrvec_push(p->a, &stmts, s);
        else
            sync(p, start, false);
        if (p->pos == start)
            next(p);
    }
    p->no_struct = saved;
    leave(p);
    Node *b = new_node(p, ND_BLOCK, open->loc);
    b->u.block.stmts = (Node **)stmts.data;
    b->u.block.nstmts = stmts.len;
    return b;
}

/* attribute: '@' IDENT ['(' expr (',' expr)* [','] ')']
 * Known attributes: @unroll, @unroll(n) (loops), @workgroup(x[, y[, z]])
 * (kernels). Returns false after a syntax error. */
static bool
parse_attr(Parser *p, Attrs *at)
{
    Token *atok = next(p); /* '@' */
    Token *name = cur(p);
    if (name->kind != TK_IDENT) {
        error_expected(p, "attribute name after '@'");
        return false;
    }
    next(p);
    Node **args = NULL;
    int nargs = 0;
    bool parens = accept(p, TK_LPAREN);
    if (parens && (nargs = parse_expr_list(p, TK_RPAREN, &args)) < 0)
        return false;
    bool is_unroll = name->len == 6 && memcmp(name->text, "unroll", 6) == 0;
    bool is_wg = name->len == 9 && memcmp(name->text, "workgroup", 9) == 0;
    if (is_unroll) {
        if (at->has_unroll)
            diag_error(atok->loc, "duplicate @unroll attribute");
        else if (nargs > 1 || (parens && nargs == 0))
            diag_error(atok->loc,
                       "@unroll takes no argument or one unroll factor, as in @unroll(4)");
        at->has_unroll = true;
        at->unroll_loc = atok->loc;
        at->unroll_expr = nargs == 1 ? args[0] : NULL;
    } else if (is_wg) {
        if (at->has_wg)
            diag_error(atok->loc, "duplicate @workgroup attribute");
        else if (nargs < 1 || nargs > 3)
            diag_error(atok->loc, "@workgroup takes 1 to 3 sizes: @workgroup(x[, y[, z]])");
        at->has_wg = true;
        at->wg_loc = atok->loc;
        at->nwg = nargs > 3 ? 3 : nargs;
        for (int i = 0; i < at->nwg; i++)
            at->wg[i] = args[i];
    } else {
        diag_error(name->loc, "unknown attribute '@%.*s' (known: @unroll, @workgroup)",
                   (int)(name->len > 40 ? 40 : name->len), name->text);
    }
    return true;
}

static bool
parse_attrs(Parser *p, Attrs *at)
{
    memset(at, 0, sizeof *at);
    while (cur(p)->kind == TK_AT)
        if (!parse_attr(p, at))
            return false;
    return true;
}

/* var_decl: ('let' | 'var' | 'shared') IDENT [':' type] ['=' expr] ';' */
static Node *
parse_var_decl(Parser *p)
{
    Token *kw = next(p);
    Token *name = cur(p);
    if (name->kind != TK_IDENT) {
        error_expected(p, "variable name");
        return NULL;
    }
    next(p);
    Node *n = new_node(p, ND_VAR_DECL, name->loc);
    n->u.var.vkind = kw->kind == TK_LET ? VAR_LET : kw->kind == TK_VAR ? VAR_VAR : VAR_SHARED;
    n->u.var.name = tok_str(p, name);
    if (accept(p, TK_COLON) && !(n->u.var.ty = parse_type(p)))
        return NULL;
    if (accept(p, TK_ASSIGN) && !(n->u.var.init = parse_expr(p)))
        return NULL;
    return expect_semi(p) ? n : NULL;
}

/* if_stmt: 'if' expr block ['else' (if_stmt | block)]
 * (else-if chains are parsed in a loop, so their length is unbounded) */
static Node *
parse_if(Parser *p)
{
    Node *first = NULL, *last = NULL;
    for (;;) {
        Token *kw = next(p); /* 'if' */
        Node *n = new_node(p, ND_IF, kw->loc);
        if (!(n->u.if_.cond = parse_expr_mode(p, true)))
            return NULL;
        if (!(n->u.if_.then_b = parse_block(p)))
            return NULL;
        if (last)
            last->u.if_.else_b = n;
        else
            first = n;
        last = n;
        if (!accept(p, TK_ELSE))
            return first;
        if (cur(p)->kind != TK_IF)
            break;
    }
    if (cur(p)->kind != TK_LBRACE) {
        error_expected(p, "'{' or 'if' after 'else'");
        return NULL;
    }
    if (!(last->u.if_.else_b = parse_block(p)))
        return NULL;
    return first;
}

/* Applies loop attributes to a WHILE or FOR node. */
static void
set_unroll(Node *loop, const Attrs *at)
{
    if (!at || !at->has_unroll)
        return;
    loop->u.loop.has_unroll = true;
    loop->u.loop.unroll_expr = at->unroll_expr;
    /* @unroll is IR_UNROLL_FULL; for @unroll(n) sema folds unroll_expr,
     * but a plain positive literal is already known here. */
    if (!at->unroll_expr)
        loop->u.loop.unroll = IR_UNROLL_FULL;
    else if (at->unroll_expr->kind == ND_INT_LIT && at->unroll_expr->u.lit.tok->ival > 0 &&
             at->unroll_expr->u.lit.tok->ival <= 0x7fffffff)
        loop->u.loop.unroll = (int)at->unroll_expr->u.lit.tok->ival;
}

/* while_stmt: 'while' expr block */
static Node *
parse_while(Parser *p, const Attrs *at)
{
    Token *kw = next(p);
    Node *n = new_node(p, ND_WHILE, kw->loc);
    set_unroll(n, at);
    if (!(n->u.loop.cond = parse_expr_mode(p, true)))
        return NULL;
    if (!(n->u.loop.body = parse_block(p)))
        return NULL;
    return n;
}

/* Whether t is the identifier word: `in` and `step` are contextual keywords,
 * identifiers everywhere but in a `for` header (docs/language.md, section 1). */
static bool
is_word(const Token *t, const char *word)
{
    return t->kind == TK_IDENT && t->len == strlen(word) && memcmp(t->text, word, t->len) == 0;
}

/* for_stmt: 'for' IDENT 'in' expr '..' expr ['step' expr] block */
static Node *
parse_for(Parser *p, const Attrs *at)
{
    Token *kw = next(p);
    Node *n = new_node(p, ND_FOR, kw->loc);
    set_unroll(n, at);
    Token *name = cur(p);
    if (name->kind != TK_IDENT) {
        error_expected(p, "loop variable name");
        return NULL;
    }
    next(p);
    Node *v = new_node(p, ND_VAR_DECL, name->loc);
    v->u.var.vkind = VAR_LET;
    v->u.var.name = tok_str(p, name);
    n->u.loop.loop_var = v;
    if (!is_word(cur(p), "in")) {
        error_expected(p, "'in'");
        return NULL;
    }
    next(p);
    if (!(n->u.loop.lo = parse_expr_mode(p, true)))
        return NULL;
    if (!expect(p, TK_DOTDOT))
        return NULL;
    if (!(n->u.loop.hi = parse_expr_mode(p, true)))
        return NULL;
    if (is_word(cur(p), "step")) {
        next(p);
        if (!(n->u.loop.step = parse_expr_mode(p, true)))
            return NULL;
    }
    if (!(n->u.loop.body = parse_block(p)))
        return NULL;
    return n;
}

static const struct {
    bool is_assign;
    BinOp op;
} assign_ops[TK_NUM_KINDS] = {
    [TK_ASSIGN] = {true, BIN_NONE},  [TK_PLUS_EQ] = {true, BIN_ADD},
    [TK_MINUS_EQ] = {true, BIN_SUB}, [TK_STAR_EQ] = {true, BIN_MUL},
    [TK_SLASH_EQ] = {true, BIN_DIV}, [TK_PERCENT_EQ] = {true, BIN_REM},
    [TK_AMP_EQ] = {true, BIN_AND},   [TK_PIPE_EQ] = {true, BIN_OR},
    [TK_CARET_EQ] = {true, BIN_XOR}, [TK_SHL_EQ] = {true, BIN_SHL},
    [TK_SHR_EQ] = {true, BIN_SHR},
};

/* stmt: var_decl | if_stmt | attribute* (while_stmt | for_stmt)
 *     | 'break' ';' | 'continue' ';' | 'return' [expr] ';' | block
 *     | expr [assign_op expr] ';' */
static Node *
parse_stmt(Parser *p)
{
    Token *t = cur(p);
    Node *n;
    switch (t->kind) {
    case TK_LET:
    case TK_VAR:
    case TK_SHARED: return parse_var_decl(p);
    case TK_IF: return parse_if(p);
    case TK_WHILE: return parse_while(p, NULL);
    case TK_FOR: return parse_for(p, NULL);
    case TK_AT: {
        Attrs at;
        if (!parse_attrs(p, &at))
            return NULL;
        if (at.has_wg)
            diag_error(at.wg_loc, "@workgroup applies only to kernels");
        TokenKind k = cur(p)->kind;
        if (k == TK_FOR)
            return parse_for(p, &at);
        if (k == TK_WHILE)
            return parse_while(p, &at);
        if (at.has_unroll)
            diag_error(at.unroll_loc, "@unroll must be followed by a 'for' or 'while' loop");
        if (k == TK_RBRACE || k == TK_EOF || starts_decl(k))
            return NULL; /* attributes on nothing: reported above */
        return parse_stmt(p);
    }
    case TK_BREAK:
    case TK_CONTINUE:
        next(p);
        n = new_node(p, t->kind == TK_BREAK ? ND_BREAK : ND_CONTINUE, t->loc);
        return expect_semi(p) ? n : NULL;
    case TK_RETURN:
        next(p);
        n = new_node(p, ND_RETURN, t->loc);
        if (cur(p)->kind != TK_SEMI && !(n->u.ret.value = parse_expr(p)))
            return NULL;
        return expect_semi(p) ? n : NULL;
    case TK_LBRACE: return parse_block(p);
    default: break;
    }
    if (starts_decl(t->kind)) {
        error_expected(p, "statement");
        return NULL;
    }
    Node *lhs = parse_expr(p);
    if (!lhs)
        return NULL;
    Token *op = cur(p);
    if (assign_ops[op->kind].is_assign) {
        next(p);
        n = new_node(p, ND_ASSIGN, op->loc);
        n->u.assign.op = assign_ops[op->kind].op;
        n->u.assign.lhs = lhs;
        if (!(n->u.assign.rhs = parse_expr(p)))
            return NULL;
    } else {
        n = new_node(p, ND_EXPR_STMT, t->loc);
        n->u.expr.expr = lhs;
    }
    return expect_semi(p) ? n : NULL;
}

/* ---- declarations ---------------------------------------------------------- */

static Decl *
new_decl(Parser *p, DeclKind kind, const Token *name)
{
    Decl *d = arena_alloc(p->a, sizeof *d);
    d->kind = kind;
    d->loc = name->loc;
    d->name = kind == DECL_IMPORT ? NULL : tok_str(p, name);
    return d;
}

static bool
expect_ident(Parser *p, const char *what)
{
    if (cur(p)->kind == TK_IDENT)
        return true;
    error_expected(p, what);
    return false;
}

/* import_decl: 'import' STRING ';' */
static Decl *
parse_import(Parser *p)
{
    next(p);
    Token *s = cur(p);
    if (s->kind != TK_STRING) {
        error_expected(p, "header path in quotes");
        return NULL;
    }
    next(p);
    Decl *d = new_decl(p, DECL_IMPORT, s);
    d->u.import.path = s->str;
    return expect_semi(p) ? d : NULL;
}

/* const_decl: 'const' IDENT [':' type] '=' expr ';' */
static Decl *
parse_const(Parser *p)
{
    next(p);
    if (!expect_ident(p, "constant name"))
        return NULL;
    Decl *d = new_decl(p, DECL_CONST, next(p));
    if (accept(p, TK_COLON) && !(d->u.cnst.ty = parse_type(p)))
        return NULL;
    if (!expect(p, TK_ASSIGN) || !(d->u.cnst.value = parse_expr(p)))
        return NULL;
    return expect_semi(p) ? d : NULL;
}

/* struct_decl: 'struct' IDENT '{' [field (',' field)* [',']] '}'
 * field: IDENT ':' type */
static Decl *
parse_struct(Parser *p)
{
    next(p);
    if (!expect_ident(p, "struct name"))
        return NULL;
    Decl *d = new_decl(p, DECL_STRUCT, next(p));
    if (!expect(p, TK_LBRACE))
        return NULL;
    PtrVec fields = {0};
    while (!accept(p, TK_RBRACE)) {
        if (!is_field_name(cur(p)->kind)) {
            error_expected(p, "field name");
            return NULL;
        }
        Token *name = next(p);
        FieldDecl *f = arena_alloc(p->a, sizeof *f);
        f->name = tok_str(p, name);
        f->loc = name->loc;
        if (!expect(p, TK_COLON) || !(f->ty = parse_type(p)))
            return NULL;
        ptrvec_push(p->a, &fields, f);
        if (!accept(p, TK_COMMA)) {
            if (cur(p)->kind != TK_RBRACE) {
                error_expected(p, "',' or '}' after a field");
                return NULL;
            }
        }
    }
    if (fields.len > PARSE_MAX_FIELDS)
        diag_error(d->loc, "struct '%s' has %d fields; at most %d are allowed", d->name,
                   fields.len, PARSE_MAX_FIELDS);
    d->u.strct.nfields = fields.len;
    d->u.strct.fields =
        arena_alloc(p->a, sizeof(FieldDecl) * (size_t)(fields.len ? fields.len : 1));
    for (int i = 0; i < fields.len; i++)
        d->u.strct.fields[i] = *(FieldDecl *)fields.data[i];
    return d;
}

/* fn_decl: 'fn' IDENT '(' params ')' ['->' type] block
 * kernel_decl: 'kernel' IDENT '(' params ')' block
 * params: [param (',' param)* [',']]
 * param: IDENT ':' type */
static Decl *
parse_func(Parser *p, const Attrs *at)
{
    Token *kw = next(p);
    bool is_kernel = kw->kind == TK_KERNEL;
    if (!expect_ident(p, is_kernel ? "kernel name" : "function name"))
        return NULL;
    Decl *d = new_decl(p, is_kernel ? DECL_KERNEL : DECL_FN, next(p));
    if (at->has_wg && !is_kernel)
        diag_error(at->wg_loc, "@workgroup applies only to kernels, not to 'fn' functions");
    if (at->has_wg && is_kernel) {
        d->u.fn.has_wg = true;
        d->u.fn.wg_loc = at->wg_loc;
        d->u.fn.nwg = at->nwg;
        memcpy(d->u.fn.wg, at->wg, sizeof at->wg);
    }
    if (!expect(p, TK_LPAREN))
        return NULL;
    PtrVec params = {0};
    while (!accept(p, TK_RPAREN)) {
        if (!expect_ident(p, "parameter name"))
            return NULL;
        Token *name = next(p);
        Node *prm = new_node(p, ND_PARAM, name->loc);
        prm->u.var.vkind = VAR_LET;
        prm->u.var.name = tok_str(p, name);
        if (!expect(p, TK_COLON) || !(prm->u.var.ty = parse_type(p)))
            return NULL;
        ptrvec_push(p->a, &params, prm);
        if (!accept(p, TK_COMMA) && !expect(p, TK_RPAREN))
            return NULL;
        if (p->toks[p->pos - 1].kind == TK_RPAREN)
            break;
    }
    if (params.len > PARSE_MAX_PARAMS)
        diag_error(d->loc, "'%s' has %d parameters; at most %d are allowed", d->name, params.len,
                   PARSE_MAX_PARAMS);
    d->u.fn.params = (Node **)params.data;
    d->u.fn.nparams = params.len;
    /* A kernel's `-> T` parses too; sema reports it (§3: kernels return nothing). */
    if (accept(p, TK_ARROW) && !(d->u.fn.ret_ty = parse_type(p)))
        return NULL;
    if (!(d->u.fn.body = parse_block(p)))
        return NULL;
    return d;
}

/* decl: import_decl | const_decl | struct_decl
 *     | attribute* (fn_decl | kernel_decl) */
static Decl *
parse_decl(Parser *p)
{
    Attrs at;
    if (!parse_attrs(p, &at))
        return NULL;
    TokenKind k = cur(p)->kind;
    if (at.has_unroll)
        diag_error(at.unroll_loc, "@unroll must be followed by a 'for' or 'while' loop");
    if (at.has_wg && k != TK_FN && k != TK_KERNEL)
        diag_error(at.wg_loc, "@workgroup must be followed by a kernel");
    switch (k) {
    case TK_IMPORT: return parse_import(p);
    case TK_CONST: return parse_const(p);
    case TK_STRUCT: return parse_struct(p);
    case TK_FN:
    case TK_KERNEL: return parse_func(p, &at);
    default:
        error_expected(p, "declaration ('fn', 'kernel', 'struct', 'const' or 'import')");
        return NULL;
    }
}

/* module: decl* EOF */
Module *
parse_file(Arena *a, const char *path, Token *toks, int ntoks)
{
    Parser p = {.a = a, .toks = toks, .ntoks = ntoks};
    Module *m = arena_alloc(a, sizeof *m);
    m->path = path;
    PtrVec decls = {0};
    while (cur(&p)->kind != TK_EOF) {
        int start = p.pos;
        Decl *d = parse_decl(&p);
        if (d)
            ptrvec_push(a, &decls, d);
        else
            sync(&p, start, true);
        if (p.pos == start)
            next(&p);
    }
    m->decls = (Decl **)decls.data;
    m->ndecls = decls.len;
    return m;
}

Node *
parse_expr_text(Arena *a, const char *what, const char *text)
{
    char *copy = arena_strdup(a, text);
    size_t len = strlen(copy);
    uint32_t file = diag_add_file("<command line>", copy, len);
    int errors = diag_error_count();
    int ntoks;
    Token *toks = lex_file(a, file, copy, len, &ntoks);
    Parser p = {.a = a, .toks = toks, .ntoks = ntoks};
    Node *e = parse_expr(&p);
    if (e && cur(&p)->kind != TK_EOF)
        diag_error(cur(&p)->loc, "unexpected %s after the value of %s", describe(&p, cur(&p)),
                   what);
    return diag_error_count() == errors ? e : NULL;
}
