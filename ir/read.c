/* read.c: reads the textual Claw IR (docs/ir.md) back into a module.
 *
 * `clawc FILE.clawir` compiles what `--emit=claw-ir` wrote, so the reader
 * accepts exactly the printer's language (print.c) and rebuilds the module
 * the printer saw: the same ids, locations, names, layouts and order, which
 * makes print(read(print(m))) == print(m) and the targets' output equal.
 *
 * The input is untrusted. The reader works in passes over one token stream
 * (the lexer is restartable from a saved position):
 *   1. top level: create every struct (by name, in order) and note where
 *      each shared variable and function starts;
 *   2. struct sizes, then fields, then layout checks and a by-value cycle
 *      check (Kahn's algorithm: no recursion);
 *   3. shared variables and function headers, in text order;
 *   4. function bodies: regions are parsed with an explicit stack, values are
 *      looked up in a hash table and must be in scope where used;
 *   5. the call graph (iterative: acyclic, bounded depth), then ir_verify.
 * Nothing recurses on the input except type spelling, which is bounded. The
 * first problem ends the read (longjmp to ir_read, which frees the module's
 * arena, so nothing leaks); its message names the line and column. */
#include "ir.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_NEST = 1024,       /* region nesting: the verifier and targets recurse on it */
    MAX_TYPE_NEST = 256,   /* type nesting, as the front end allows */
    MAX_CALL_DEPTH = 1024, /* call chain length */
    MAX_ID = 1 << 24,      /* value numbers: targets index arrays by id */
};
static const uint64_t max_array_bytes = UINT64_C(1) << 32; /* as sema */

static const int op_nops[IR_NUM_OPS] = {
#define X(name, str, nops, ...) nops,
#include "ops.def"
#undef X
};

/* ---- tokens --------------------------------------------------------------- */

typedef enum TokKind {
    T_EOF,
    T_EOL,
    T_VALUE,  /* %N: num */
    T_GLOBAL, /* @name or @"name": str */
    T_IDENT,  /* [A-Za-z_][A-Za-z0-9_.]*: text */
    T_NUM,    /* [-]digits/letters: an integer or float, read by context */
    T_STRING, /* "...": str */
    T_PUNCT,  /* one of = : , ( ) { } [ ] * ; < > and -> (punct 'A') */
} TokKind;

typedef struct Tok {
    TokKind kind;
    const char *text; /* into the input */
    size_t len;
    uint32_t line, col;
    char punct;
    uint64_t num;    /* T_VALUE */
    const char *str; /* T_GLOBAL, T_STRING: decoded, NUL-terminated (arena) */
} Tok;

/* Where the lexer stands: copying it saves a position to come back to. */
typedef struct Lex {
    const char *p;
    uint32_t line;
    const char *line_start;
    Tok tok; /* the current token (already lexed) */
} Lex;

/* A string-keyed hash table (open addressing, arena memory). */
typedef struct NameMap {
    const char **keys;
    void **vals;
    size_t cap, len;
} NameMap;

/* Values of the function being read, by id. */
typedef struct ValEntry {
    uint32_t id;
    bool used;    /* slot taken */
    bool visible; /* in scope at this point */
    IrInst *in;
} ValEntry;

typedef struct CallSite {
    IrFunc *caller, *callee;
    uint32_t line, col;
} CallSite;

typedef struct InstPos {
    IrFunc *f;
    IrInst *in;
    uint32_t line, col;
} InstPos;

typedef struct FuncStart {
    Lex at; /* at `kernel` or `fn` */
    IrFunc *f;
    Lex body; /* after the header line */
} FuncStart;

typedef struct Reader {
    IrModule *m;
    const char *text, *end;
    uint32_t file;
    Lex lx;
    jmp_buf fail;
    IrReadError err;
    void *ctx;
    NameMap structs, shareds, funcs;
    PtrVec struct_at;   /* Lex *: each struct line, in order */
    PtrVec struct_list; /* IrType *: in the same order */
    PtrVec shared_at;   /* Lex * */
    PtrVec func_at;     /* FuncStart * */
    PtrVec calls;       /* CallSite * */
    PtrVec positions;   /* InstPos *: where each instruction was read */
    /* the function being read */
    IrFunc *f;
    ValEntry *vals;
    size_t vcap, vlen;
    PtrVec scope;    /* IrInst *: values defined, innermost last */
    PtrVec no_value; /* IrInst *: instructions without a printed id */
    uint32_t max_id;
} Reader;

static _Noreturn void fail_at(Reader *r, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static _Noreturn void
fail_at(Reader *r, uint32_t line, uint32_t col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->err(r->ctx, line, col, msg);
    longjmp(r->fail, 1);
}

#define FAIL_TOK(r, t, ...) fail_at((r), (t)->line, (t)->col, __VA_ARGS__)
#define FAIL(r, ...) FAIL_TOK((r), &(r)->lx.tok, __VA_ARGS__)

/* What a token looks like in a message: at most 32 bytes of it. */
static const char *
tok_desc(Reader *r, const Tok *t)
{
    switch (t->kind) {
    case T_EOF: return "end of file";
    case T_EOL: return "end of line";
    default: break;
    }
    Buf b = {0};
    buf_printf(&b, "'");
    size_t n = t->len > 32 ? 32 : t->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->text[i];
        if (c < 0x20 || c >= 0x7f)
            buf_printf(&b, "\\x%02x", c);
        else
            buf_printf(&b, "%c", c);
    }
    buf_printf(&b, "%s'", t->len > n ? "..." : "");
    const char *s = arena_strndup(r->m->arena, (const char *)b.data, b.len);
    buf_free(&b);
    return s;
}

/* ---- lexer ------------------------------------------------------------------ */

static bool
is_alpha(int c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool
is_ident_char(int c)
{
    return is_alpha(c) || is_digit(c) || c == '.';
}

static uint32_t
col_of(const Lex *lx, const char *p)
{
    size_t c = (size_t)(p - lx->line_start) + 1;
    return c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

/* Decodes a "..." string starting at p (at the quote); leaves *pp after it. */
static const char *
lex_string(Reader *r, const char **pp)
{
    const char *p = *pp + 1;
    Buf b = {0};
    for (;;) {
        if (p >= r->end || *p == '\n') {
            buf_free(&b);
            fail_at(r, r->lx.line, col_of(&r->lx, *pp), "unterminated string");
        }
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c == '\\') {
            if (p + 1 < r->end && (p[1] == '"' || p[1] == '\\')) {
                buf_append(&b, p + 1, 1);
                p += 2;
                continue;
            }
            int hi, lo;
            if (p + 3 < r->end && p[1] == 'x' && (hi = ((p[2] >= '0' && p[2] <= '9') ? p[2] - '0'
                                                       : (p[2] | 32) >= 'a' && (p[2] | 32) <= 'f'
                                                           ? (p[2] | 32) - 'a' + 10
                                                           : -1)) >= 0 &&
                (lo = ((p[3] >= '0' && p[3] <= '9') ? p[3] - '0'
                       : (p[3] | 32) >= 'a' && (p[3] | 32) <= 'f' ? (p[3] | 32) - 'a' + 10
                                                                  : -1)) >= 0 &&
                (hi || lo)) {
                unsigned char v = (unsigned char)(hi * 16 + lo);
                buf_append(&b, &v, 1);
                p += 4;
                continue;
            }
            buf_free(&b);
            fail_at(r, r->lx.line, col_of(&r->lx, p),
                    "bad escape in string (expected \\\\, \\\" or \\xHH other than \\x00)");
        }
        if (c < 0x20 && c != '\t') {
            buf_free(&b);
            fail_at(r, r->lx.line, col_of(&r->lx, p), "control character in string");
        }
        buf_append(&b, p, 1);
        p++;
    }
    *pp = p + 1;
    const char *s = arena_strndup(r->m->arena, b.data ? (const char *)b.data : "", b.len);
    buf_free(&b);
    return s;
}

/* Lexes the token at r->lx.p into r->lx.tok. */
static void
next(Reader *r)
{
    Lex *lx = &r->lx;
    const char *p = lx->p;
    while (p < r->end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    Tok *t = &lx->tok;
    *t = (Tok){.text = p, .line = lx->line, .col = col_of(lx, p)};
    if (p >= r->end) {
        t->kind = T_EOF;
        lx->p = p;
        return;
    }
    unsigned char c = (unsigned char)*p;
    const char *start = p;
    if (c == '\n') {
        t->kind = T_EOL;
        t->len = 1;
        lx->p = p + 1;
        lx->line = lx->line == UINT32_MAX ? UINT32_MAX : lx->line + 1;
        lx->line_start = p + 1;
        return;
    }
    if (c == '%') {
        p++;
        if (p >= r->end || !is_digit(*p))
            FAIL_TOK(r, t, "expected a value number after '%%'");
        uint64_t v = 0;
        while (p < r->end && is_digit(*p)) {
            v = v * 10 + (uint64_t)(*p - '0');
            if (v >= MAX_ID)
                FAIL_TOK(r, t, "value number too large (at most %d)", MAX_ID - 1);
            p++;
        }
        if (p < r->end && is_ident_char(*p))
            FAIL_TOK(r, t, "bad value name");
        t->kind = T_VALUE;
        t->num = v;
    } else if (c == '@') {
        p++;
        if (p < r->end && *p == '"') {
            t->str = lex_string(r, &p);
        } else {
            while (p < r->end && is_ident_char(*p))
                p++;
            if (p == start + 1)
                FAIL_TOK(r, t, "expected a name after '@'");
            t->str = arena_strndup(r->m->arena, start + 1, (size_t)(p - start - 1));
        }
        t->kind = T_GLOBAL;
    } else if (c == '"') {
        t->str = lex_string(r, &p);
        t->kind = T_STRING;
    } else if (is_alpha(c)) {
        while (p < r->end && is_ident_char(*p))
            p++;
        t->kind = T_IDENT;
    } else if (is_digit(c) || (c == '-' && p + 1 < r->end && (is_digit(p[1]) || is_alpha(p[1])))) {
        p++;
        while (p < r->end && (is_ident_char(*p) ||
                              ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E'))))
            p++;
        t->kind = T_NUM;
    } else if (c == '-' && p + 1 < r->end && p[1] == '>') {
        t->kind = T_PUNCT;
        t->punct = 'A';
        p += 2;
    } else if (strchr("=:,(){}[]*;<>", c) && c) {
        t->kind = T_PUNCT;
        t->punct = (char)c;
        p++;
    } else if (c >= 0x20 && c < 0x7f) {
        FAIL_TOK(r, t, "unexpected character '%c'", c);
    } else {
        FAIL_TOK(r, t, "unexpected byte 0x%02x", c);
    }
    t->len = (size_t)(p - start);
    lx->p = p;
}

static bool
at_punct(Reader *r, char c)
{
    return r->lx.tok.kind == T_PUNCT && r->lx.tok.punct == c;
}

static bool
at_word(Reader *r, const char *w)
{
    const Tok *t = &r->lx.tok;
    return t->kind == T_IDENT && t->len == strlen(w) && memcmp(t->text, w, t->len) == 0;
}

static void
expect_punct(Reader *r, char c, const char *what)
{
    if (!at_punct(r, c))
        FAIL(r, "expected %s, found %s", what, tok_desc(r, &r->lx.tok));
    next(r);
}

static void
expect_word(Reader *r, const char *w)
{
    if (!at_word(r, w))
        FAIL(r, "expected '%s', found %s", w, tok_desc(r, &r->lx.tok));
    next(r);
}

/* Ends a line: an optional `; line:col` location (then any comment text),
 * then the newline. */
static SrcLoc
end_line(Reader *r)
{
    SrcLoc loc = {0};
    if (at_punct(r, ';')) {
        const char *p = r->lx.p;
        while (p < r->end && (*p == ' ' || *p == '\t'))
            p++;
        uint64_t line = 0, col = 0;
        bool big = false;
        const char *q = p;
        for (; q < r->end && is_digit(*q); q++) {
            line = line * 10 + (uint64_t)(*q - '0');
            big |= line > UINT32_MAX;
        }
        if (q > p && q < r->end && *q == ':' && q + 1 < r->end && is_digit(q[1])) {
            for (q++; q < r->end && is_digit(*q); q++) {
                col = col * 10 + (uint64_t)(*q - '0');
                big |= col > UINT32_MAX;
            }
            if (big || line == 0)
                fail_at(r, r->lx.line, col_of(&r->lx, p),
                        "bad location '%.*s' (line 1 to %u, column 0 to %u)", (int)(q - p), p,
                        UINT32_MAX, UINT32_MAX);
            loc = (SrcLoc){r->file, (uint32_t)line, (uint32_t)col};
        }
        /* the rest of the line is a comment */
        while (q < r->end && *q != '\n')
            q++;
        r->lx.p = q;
        next(r);
    }
    if (r->lx.tok.kind != T_EOL && r->lx.tok.kind != T_EOF)
        FAIL(r, "expected end of line, found %s", tok_desc(r, &r->lx.tok));
    if (r->lx.tok.kind == T_EOL)
        next(r);
    return loc;
}

/* Skips blank lines and lines that are only a `;` comment. */
static void
skip_blank(Reader *r)
{
    for (;;) {
        if (r->lx.tok.kind == T_EOL) {
            next(r);
        } else if (at_punct(r, ';')) {
            const char *q = r->lx.p;
            while (q < r->end && *q != '\n')
                q++;
            r->lx.p = q;
            next(r);
        } else {
            return;
        }
    }
}

/* ---- tables ----------------------------------------------------------------- */

static uint64_t
hash_str(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

static void *
map_get(const NameMap *nm, const char *key)
{
    if (!nm->cap)
        return NULL;
    for (size_t i = hash_str(key) & (nm->cap - 1);; i = (i + 1) & (nm->cap - 1)) {
        if (!nm->keys[i])
            return NULL;
        if (strcmp(nm->keys[i], key) == 0)
            return nm->vals[i];
    }
}

static void
map_put(Reader *r, NameMap *nm, const char *key, void *val)
{
    if ((nm->len + 1) * 2 > nm->cap) {
        NameMap big = {.cap = nm->cap ? nm->cap * 2 : 64};
        big.keys = arena_alloc(r->m->arena, sizeof *big.keys * big.cap);
        big.vals = arena_alloc(r->m->arena, sizeof *big.vals * big.cap);
        for (size_t i = 0; i < nm->cap; i++)
            if (nm->keys[i])
                map_put(r, &big, nm->keys[i], nm->vals[i]);
        *nm = big;
    }
    size_t i = hash_str(key) & (nm->cap - 1);
    while (nm->keys[i])
        i = (i + 1) & (nm->cap - 1);
    nm->keys[i] = key;
    nm->vals[i] = val;
    nm->len++;
}

static ValEntry *
val_slot(Reader *r, uint32_t id)
{
    if (!r->vcap)
        return NULL;
    for (size_t i = (id * UINT64_C(2654435761)) & (r->vcap - 1);; i = (i + 1) & (r->vcap - 1)) {
        if (!r->vals[i].used || r->vals[i].id == id)
            return &r->vals[i];
    }
}

static ValEntry *
val_add(Reader *r, uint32_t id)
{
    if ((r->vlen + 1) * 2 > r->vcap) {
        ValEntry *old = r->vals;
        size_t oldcap = r->vcap;
        r->vcap = oldcap ? oldcap * 2 : 256;
        r->vals = arena_alloc(r->m->arena, sizeof *r->vals * r->vcap);
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].used)
                *val_slot(r, old[i].id) = old[i];
    }
    ValEntry *e = val_slot(r, id);
    e->used = true;
    e->id = id;
    r->vlen++;
    return e;
}

/* ---- numbers and types -------------------------------------------------------- */

/* An unsigned decimal integer token, at most max. */
static uint64_t
parse_uint(Reader *r, uint64_t max, const char *what)
{
    const Tok *t = &r->lx.tok;
    if (t->kind != T_NUM || !is_digit(t->text[0]))
        FAIL(r, "expected %s, found %s", what, tok_desc(r, t));
    uint64_t v = 0;
    for (size_t i = 0; i < t->len; i++) {
        if (!is_digit(t->text[i]))
            FAIL(r, "expected %s, found %s", what, tok_desc(r, t));
        unsigned d = (unsigned)(t->text[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            FAIL(r, "%s is too large (at most %" PRIu64 ")", what, max);
        v = v * 10 + d;
    }
    if (v > max)
        FAIL(r, "%s is too large (at most %" PRIu64 ")", what, max);
    next(r);
    return v;
}

/* A name: a plain identifier or a quoted string. */
static const char *
parse_name(Reader *r, const char *what)
{
    const Tok *t = &r->lx.tok;
    const char *s;
    if (t->kind == T_IDENT)
        s = arena_strndup(r->m->arena, t->text, t->len);
    else if (t->kind == T_STRING)
        s = t->str;
    else
        FAIL(r, "expected %s, found %s", what, tok_desc(r, t));
    next(r);
    return s;
}

static IrType *
scalar_type(IrModule *m, const Tok *t)
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
        if (strlen(scalars[i].name) != t->len || memcmp(scalars[i].name, t->text, t->len) != 0)
            continue;
        if (scalars[i].kind == IRT_BOOL)
            return ir_type_bool(m);
        if (scalars[i].kind == IRT_INT)
            return ir_type_int(m, scalars[i].bits, scalars[i].is_signed);
        return scalars[i].is_signed ? ir_type_bf16(m) : ir_type_float(m, scalars[i].bits);
    }
    return NULL;
}

/* mat_a.f16.16x16, mat_a.bf16.16x16, mat_b.f16.16x16, mat_b.bf16.16x16,
 * mat_acc.f32.16x16 (print.c): the matrix types of the language (LANGUAGE.md §14, docs/matrix.md); any
 * other spelling that starts like one is an error, *bad set. */
static IrType *
matrix_type(IrModule *m, const Tok *t, bool *bad)
{
    static const struct {
        const char *word;
        IrMatRole role;
        uint32_t elem_bits;
        bool bf16;
    } kinds[] = {
        {"mat_a.f16.16x16", IR_MAT_A, 16, false},   {"mat_a.bf16.16x16", IR_MAT_A, 16, true},
        {"mat_b.f16.16x16", IR_MAT_B, 16, false},   {"mat_b.bf16.16x16", IR_MAT_B, 16, true},
        {"mat_acc.f32.16x16", IR_MAT_ACC, 32, false},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strlen(kinds[i].word) == t->len && memcmp(kinds[i].word, t->text, t->len) == 0)
            return ir_type_matrix(m, kinds[i].role,
                                  kinds[i].bf16 ? ir_type_bf16(m)
                                                : ir_type_float(m, kinds[i].elem_bits),
                                  16, 16);
    *bad = (t->len > 6 && memcmp(t->text, "mat_a.", 6) == 0) ||
           (t->len > 6 && memcmp(t->text, "mat_b.", 6) == 0) ||
           (t->len > 8 && memcmp(t->text, "mat_acc.", 8) == 0);
    return NULL;
}

enum { TY_LANGUAGE = 0, TY_ANY_SPACE = 1 }; /* where *shared / *private may appear */

/* type: '*' ['shared'|'private'] ['const'] type | '[' type ';' N ']' | scalar | struct
 * Read without recursion: the prefixes are stacked, then unwound. A pointer
 * into shared or private memory is allowed only as the outermost type of an
 * instruction's result (flags TY_ANY_SPACE); everything that can sit in
 * memory or cross a call is a type of the language. */
static IrType *
parse_type(Reader *r, int flags)
{
    struct {
        char kind; /* '*' or '[' */
        IrSpace space;
        bool is_const;
        Tok at;
    } stack[MAX_TYPE_NEST];
    int n = 0;
    Tok start = r->lx.tok;
    for (;;) {
        if (at_punct(r, '*') || at_punct(r, '[')) {
            if (n == MAX_TYPE_NEST)
                FAIL(r, "type nested more than %d levels deep", MAX_TYPE_NEST);
            stack[n].kind = r->lx.tok.punct;
            stack[n].at = r->lx.tok;
            stack[n].space = IR_SPACE_GLOBAL;
            stack[n].is_const = false;
            next(r);
            if (stack[n].kind == '*') {
                if (at_word(r, "shared") || at_word(r, "private")) {
                    if (!(flags & TY_ANY_SPACE) || n > 0)
                        FAIL(r, "a %.*s pointer can only be the type of an instruction's result",
                             (int)r->lx.tok.len, r->lx.tok.text);
                    stack[n].space = at_word(r, "shared") ? IR_SPACE_SHARED : IR_SPACE_PRIVATE;
                    next(r);
                }
                if (at_word(r, "const")) {
                    stack[n].is_const = true;
                    next(r);
                }
            }
            n++;
            continue;
        }
        break;
    }
    const Tok *t = &r->lx.tok;
    IrType *ty = NULL;
    if (t->kind == T_IDENT)
        ty = scalar_type(r->m, t);
    if (!ty && t->kind == T_IDENT && t->len == 4 && memcmp(t->text, "vec", 3) == 0 &&
        t->text[3] >= '2' && t->text[3] <= '4') {
        /* vecN<scalar> (docs/ir.md "Types") */
        uint32_t n = (uint32_t)(t->text[3] - '0');
        next(r);
        expect_punct(r, '<', "'<' after a vector type");
        IrType *e = r->lx.tok.kind == T_IDENT ? scalar_type(r->m, &r->lx.tok) : NULL;
        if (!e)
            FAIL(r, "expected bool, an integer or a float type as a vector's element, found %s",
                 tok_desc(r, &r->lx.tok));
        next(r);
        if (!at_punct(r, '>'))
            FAIL(r, "expected '>' after a vector's element type, found %s", tok_desc(r, &r->lx.tok));
        ty = ir_type_vec(r->m, e, n);
    }
    if (!ty && t->kind == T_IDENT) {
        bool bad = false;
        ty = matrix_type(r->m, t, &bad);
        if (bad)
            FAIL(r, "unknown matrix type '%.*s' (mat_a.f16.16x16, mat_a.bf16.16x16, "
                    "mat_b.f16.16x16, mat_b.bf16.16x16 or mat_acc.f32.16x16)", (int)t->len, t->text);
    }
    if (!ty && (t->kind == T_IDENT || t->kind == T_STRING)) {
        const char *name =
            t->kind == T_IDENT ? arena_strndup(r->m->arena, t->text, t->len) : t->str;
        if (t->kind == T_IDENT && strcmp(name, "void") == 0)
            FAIL(r, "'void' is not a type of values (a function without a result has no '->')");
        ty = map_get(&r->structs, name);
        if (!ty)
            FAIL(r, "unknown type '%s'", name);
        if (ty->unmappable)
            FAIL(r, "struct '%s' cannot be used: %s", name, ty->unmappable);
    }
    if (!ty)
        FAIL(r, "expected a type, found %s", tok_desc(r, t));
    next(r);
    while (n > 0) {
        n--;
        if (stack[n].kind == '*') {
            ty = ir_type_ptr(r->m, ty, stack[n].space, stack[n].is_const);
            continue;
        }
        expect_punct(r, ';', "';' in an array type");
        Tok count_at = r->lx.tok;
        uint64_t count = parse_uint(r, UINT64_MAX, "an array length");
        if (count == 0)
            FAIL_TOK(r, &count_at, "array length must be greater than 0");
        if (ty->size && count > max_array_bytes / ty->size)
            FAIL_TOK(r, &count_at, "array of %" PRIu64 " elements of %" PRIu64
                     " bytes is too large (at most %" PRIu64 " bytes)",
                     count, ty->size, max_array_bytes);
        expect_punct(r, ']', "']'");
        ty = ir_type_array(r->m, ty, count);
    }
    (void)start;
    return ty;
}

/* ---- top level --------------------------------------------------------------- */

static Lex *
save(Reader *r)
{
    Lex *l = arena_alloc(r->m->arena, sizeof *l);
    *l = r->lx;
    return l;
}

/* Skips the rest of a function from its header, by balancing braces. */
static void
skip_function(Reader *r)
{
    long depth = 0;
    for (;;) {
        if (r->lx.tok.kind == T_EOF)
            FAIL(r, "unexpected end of file inside a function (missing '}')");
        if (at_punct(r, ';')) {
            const char *q = r->lx.p;
            while (q < r->end && *q != '\n')
                q++;
            r->lx.p = q;
        } else if (at_punct(r, '{')) {
            depth++;
        } else if (at_punct(r, '}')) {
            if (--depth == 0) {
                next(r);
                end_line(r);
                return;
            }
        }
        next(r);
    }
}

static void
skip_line(Reader *r)
{
    while (r->lx.tok.kind != T_EOL && r->lx.tok.kind != T_EOF) {
        if (at_punct(r, ';')) {
            const char *q = r->lx.p;
            while (q < r->end && *q != '\n')
                q++;
            r->lx.p = q;
        }
        next(r);
    }
    if (r->lx.tok.kind == T_EOL)
        next(r);
}

/* Pass 1: the header line, then every top-level item. */
static void
scan_top(Reader *r)
{
    static const char header[] = "; claw-ir module ";
    size_t hl = sizeof header - 1;
    if ((size_t)(r->end - r->text) < hl || memcmp(r->text, header, hl) != 0)
        fail_at(r, 1, 1, "expected the header line '; claw-ir module \"NAME\"' of a claw-ir file");
    r->lx.p = r->text + hl;
    next(r);
    if (r->lx.tok.kind != T_STRING)
        FAIL(r, "expected the module's source name in quotes");
    r->m->source_name = r->lx.tok.str;
    next(r);
    end_line(r);
    for (;;) {
        skip_blank(r);
        if (r->lx.tok.kind == T_EOF)
            return;
        if (at_word(r, "struct")) {
            ptrvec_push(r->m->arena, &r->struct_at, save(r));
            next(r);
            Tok at = r->lx.tok;
            const char *name = parse_name(r, "a struct name");
            if (map_get(&r->structs, name))
                FAIL_TOK(r, &at, "struct '%s' is defined twice", name);
            IrType *st = ir_type_struct(r->m, name, (SrcLoc){0});
            map_put(r, &r->structs, st->name, st);
            ptrvec_push(r->m->arena, &r->struct_list, st);
            skip_line(r);
        } else if (at_word(r, "shared")) {
            ptrvec_push(r->m->arena, &r->shared_at, save(r));
            skip_line(r);
        } else if (at_word(r, "kernel") || at_word(r, "fn")) {
            FuncStart *fs = arena_alloc(r->m->arena, sizeof *fs);
            fs->at = r->lx;
            ptrvec_push(r->m->arena, &r->func_at, fs);
            skip_function(r);
        } else {
            FAIL(r, "expected 'struct', 'shared', 'kernel' or 'fn', found %s",
                 tok_desc(r, &r->lx.tok));
        }
    }
}

/* struct NAME { f: T @OFF, ... } size S align A [; loc]
 * struct NAME unmappable "why" size S align A [; loc] */
static void
struct_size(Reader *r, IrType *st, bool *unmappable)
{
    next(r); /* struct */
    next(r); /* name */
    *unmappable = at_word(r, "unmappable");
    if (*unmappable) {
        next(r);
        if (r->lx.tok.kind != T_STRING)
            FAIL(r, "expected the reason in quotes after 'unmappable'");
        st->unmappable = r->lx.tok.str;
        next(r);
    } else {
        expect_punct(r, '{', "'{' or 'unmappable' after the struct name");
        while (!at_punct(r, '}')) {
            if (r->lx.tok.kind == T_EOL || r->lx.tok.kind == T_EOF)
                FAIL(r, "expected '}' to end the struct's fields");
            next(r);
        }
        next(r);
    }
    expect_word(r, "size");
    st->size = parse_uint(r, max_array_bytes, "a struct size");
    expect_word(r, "align");
    Tok at = r->lx.tok;
    uint64_t align = parse_uint(r, 4096, "a struct alignment");
    if (align == 0 || (align & (align - 1)))
        FAIL_TOK(r, &at, "struct alignment %" PRIu64 " is not a power of two", align);
    if (st->size % align)
        FAIL_TOK(r, &at, "struct size %" PRIu64 " is not a multiple of its alignment %" PRIu64,
                 st->size, align);
    st->align = align;
    st->loc = end_line(r);
}

static void
struct_fields(Reader *r, IrType *st)
{
    next(r); /* struct */
    next(r); /* name */
    if (st->unmappable) {
        ir_type_struct_set_layout(r->m, st, 0, NULL, st->size, st->align);
        return;
    }
    expect_punct(r, '{', "'{'");
    PtrVec fields = {0};
    uint64_t end = 0;
    while (!at_punct(r, '}')) {
        if (fields.len)
            expect_punct(r, ',', "',' or '}'");
        Tok at = r->lx.tok;
        IrField *f = arena_alloc(r->m->arena, sizeof *f);
        f->name = parse_name(r, "a field name");
        for (int i = 0; i < fields.len; i++)
            if (strcmp(((IrField *)fields.data[i])->name, f->name) == 0)
                FAIL_TOK(r, &at, "struct '%s' has two fields named '%s'", st->name, f->name);
        expect_punct(r, ':', "':' after the field name");
        f->type = parse_type(r, TY_LANGUAGE);
        Tok off_at = r->lx.tok;
        if (r->lx.tok.kind != T_GLOBAL)
            FAIL(r, "expected the field's offset '@N', found %s", tok_desc(r, &r->lx.tok));
        uint64_t off = 0;
        const char *s = r->lx.tok.str;
        for (; *s; s++) {
            if (!is_digit(*s) || off > max_array_bytes)
                FAIL_TOK(r, &off_at, "bad field offset '@%s'", r->lx.tok.str);
            off = off * 10 + (uint64_t)(*s - '0');
        }
        next(r);
        if (off < end)
            FAIL_TOK(r, &off_at, "field '%s' at offset %" PRIu64 " overlaps the field before it",
                     f->name, off);
        f->offset = off;
        end = off + f->type->size;
        if (end > st->size)
            FAIL_TOK(r, &off_at, "field '%s' ends at byte %" PRIu64 ", past the struct's size %" PRIu64,
                     f->name, end, st->size);
        ptrvec_push(r->m->arena, &fields, f);
    }
    IrField *fs = arena_alloc(r->m->arena, sizeof *fs * (size_t)(fields.len + 1));
    for (int i = 0; i < fields.len; i++)
        fs[i] = *(IrField *)fields.data[i];
    ir_type_struct_set_layout(r->m, st, fields.len, fs, st->size, st->align);
}

/* The struct a field holds by value (through arrays), or NULL. */
static IrType *
by_value_struct(IrType *t)
{
    while (t && t->kind == IRT_ARRAY)
        t = t->elem;
    return t && t->kind == IRT_STRUCT ? t : NULL;
}

/* A struct cannot contain itself by value: Kahn's algorithm over "contains". */
static void
check_struct_cycles(Reader *r)
{
    int n = r->struct_list.len;
    if (n == 0)
        return;
    NameMap index = {0};
    for (int i = 0; i < n; i++)
        map_put(r, &index, ((IrType *)r->struct_list.data[i])->name, (void *)(intptr_t)(i + 1));
    int *pending = arena_alloc(r->m->arena, sizeof(int) * (size_t)n); /* fields not yet done */
    PtrVec *users = arena_alloc(r->m->arena, sizeof(PtrVec) * (size_t)n);
    for (int i = 0; i < n; i++) {
        IrType *st = r->struct_list.data[i];
        for (int k = 0; k < st->nfields; k++) {
            IrType *inner = by_value_struct(st->fields[k].type);
            if (!inner)
                continue;
            int j = (int)(intptr_t)map_get(&index, inner->name) - 1;
            pending[i]++;
            ptrvec_push(r->m->arena, &users[j], (void *)(intptr_t)i);
        }
    }
    int *queue = arena_alloc(r->m->arena, sizeof(int) * (size_t)n);
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (pending[i] == 0)
            queue[tail++] = i;
    while (head < tail) {
        int j = queue[head++];
        for (int u = 0; u < users[j].len; u++) {
            int i = (int)(intptr_t)users[j].data[u];
            if (--pending[i] == 0)
                queue[tail++] = i;
        }
    }
    for (int i = 0; i < n; i++)
        if (pending[i]) {
            Lex *at = r->struct_at.data[i];
            fail_at(r, at->tok.line, at->tok.col, "struct '%s' contains itself by value",
                    ((IrType *)r->struct_list.data[i])->name);
        }
}

/* shared @name : T [; loc] */
static void
parse_shared(Reader *r)
{
    next(r); /* shared */
    Tok at = r->lx.tok;
    if (at.kind != T_GLOBAL)
        FAIL(r, "expected the shared variable's '@name', found %s", tok_desc(r, &at));
    next(r);
    if (map_get(&r->shareds, at.str))
        FAIL_TOK(r, &at, "shared variable '@%s' is defined twice", at.str);
    expect_punct(r, ':', "':' after the shared variable's name");
    IrType *t = parse_type(r, TY_LANGUAGE);
    SrcLoc loc = end_line(r);
    IrShared *s = ir_shared_new(r->m, at.str, t, loc);
    map_put(r, &r->shareds, s->name, s);
}

/* Kernel and kernel parameter names go into the fat binary's metadata,
 * which takes C identifiers (docs/fatbin.md). */
static bool
is_c_ident(const char *s)
{
    if (!is_alpha(*s))
        return false;
    for (s++; *s; s++)
        if (!is_alpha(*s) && !is_digit(*s))
            return false;
    return true;
}

/* (kernel | fn) @name(%0 a: T, ...) [workgroup(x, y, z)] [-> T] { [; loc] */
static void
parse_header(Reader *r, FuncStart *fs)
{
    r->lx = fs->at;
    bool is_kernel = at_word(r, "kernel");
    next(r);
    Tok at = r->lx.tok;
    if (at.kind != T_GLOBAL)
        FAIL(r, "expected the function's '@name', found %s", tok_desc(r, &at));
    next(r);
    if (map_get(&r->funcs, at.str))
        FAIL_TOK(r, &at, "function '@%s' is defined twice", at.str);
    if (is_kernel && !is_c_ident(at.str))
        FAIL_TOK(r, &at, "kernel name '%s' is not an identifier", at.str);
    expect_punct(r, '(', "'(' after the function name");
    PtrVec params = {0};
    while (!at_punct(r, ')')) {
        if (params.len)
            expect_punct(r, ',', "',' or ')'");
        Tok vat = r->lx.tok;
        if (vat.kind != T_VALUE)
            FAIL(r, "expected parameter value %%%d, found %s", params.len, tok_desc(r, &vat));
        if (vat.num != (uint64_t)params.len)
            FAIL_TOK(r, &vat, "parameter %d must be %%%d", params.len, params.len);
        next(r);
        IrParam *p = arena_alloc(r->m->arena, sizeof *p);
        Tok nat = r->lx.tok;
        p->name = at_punct(r, ':') ? "" : parse_name(r, "a parameter name");
        if (is_kernel && !is_c_ident(p->name))
            FAIL_TOK(r, &nat, "kernel parameter %d needs a name that is an identifier", params.len);
        expect_punct(r, ':', "':' after the parameter name");
        Tok tat = r->lx.tok;
        p->type = parse_type(r, TY_LANGUAGE);
        if (p->type->kind == IRT_ARRAY)
            FAIL_TOK(r, &tat, "parameter '%s' cannot be an array", p->name);
        if (params.len == INT_MAX / 2)
            FAIL_TOK(r, &vat, "too many parameters");
        ptrvec_push(r->m->arena, &params, p);
    }
    next(r);
    uint32_t wg[3] = {0, 0, 0};
    if (at_word(r, "workgroup")) {
        if (!is_kernel)
            FAIL(r, "only kernels have a workgroup size");
        next(r);
        expect_punct(r, '(', "'(' after 'workgroup'");
        for (int i = 0; i < 3; i++) {
            if (i)
                expect_punct(r, ',', "',' between the three workgroup sizes");
            Tok wat = r->lx.tok;
            wg[i] = (uint32_t)parse_uint(r, UINT32_MAX, "a workgroup size");
            if (!wg[i])
                FAIL_TOK(r, &wat, "workgroup size must be positive");
        }
        expect_punct(r, ')', "')' after the workgroup sizes");
    }
    IrType *ret = NULL;
    if (at_punct(r, 'A')) {
        if (is_kernel)
            FAIL(r, "kernels return nothing");
        next(r);
        Tok rat = r->lx.tok;
        ret = parse_type(r, TY_LANGUAGE);
        if (ret->kind == IRT_ARRAY)
            FAIL_TOK(r, &rat, "function '@%s' cannot return an array", at.str);
    }
    expect_punct(r, '{', "'{' to open the function body");
    SrcLoc loc = end_line(r);
    IrParam *ps = arena_alloc(r->m->arena, sizeof *ps * (size_t)(params.len + 1));
    for (int i = 0; i < params.len; i++)
        ps[i] = *(IrParam *)params.data[i];
    IrFunc *f = ir_func_new(r->m, at.str, is_kernel, ret, params.len, ps, loc);
    memcpy(f->workgroup, wg, sizeof wg);
    map_put(r, &r->funcs, f->name, f);
    fs->f = f;
    fs->body = r->lx;
}

/* ---- function bodies ------------------------------------------------------------ */

static IrInst *
use_value(Reader *r)
{
    Tok t = r->lx.tok;
    if (t.kind != T_VALUE)
        FAIL(r, "expected a value '%%N', found %s", tok_desc(r, &t));
    ValEntry *e = val_slot(r, (uint32_t)t.num);
    if (!e || !e->used)
        FAIL_TOK(r, &t, "use of undefined value %%%" PRIu64, t.num);
    if (!e->visible)
        FAIL_TOK(r, &t, "value %%%" PRIu64 " is not in scope here (it was defined in a region "
                        "that has ended)", t.num);
    next(r);
    return e->in;
}

static void
define_value(Reader *r, const Tok *at, IrInst *in)
{
    uint32_t id = (uint32_t)at->num;
    ValEntry *e = val_slot(r, id);
    if (e && e->used)
        FAIL_TOK(r, at, "value %%%u is defined twice", id);
    e = val_add(r, id);
    e->in = in;
    e->visible = true;
    in->id = id;
    if (id > r->max_id)
        r->max_id = id;
    ptrvec_push(r->m->arena, &r->scope, in);
}

/* Values defined since scope length `mark` go out of scope. */
static void
close_scope(Reader *r, int mark)
{
    while (r->scope.len > mark) {
        IrInst *in = r->scope.data[--r->scope.len];
        val_slot(r, in->id)->visible = false;
    }
}

static IrOp
find_op(Reader *r, const Tok *t, int *dim)
{
    *dim = -1;
    size_t n = t->len;
    const char *dot = memchr(t->text, '.', n);
    for (int pass = 0; pass < 2; pass++) {
        size_t len = pass == 0 ? n : dot ? (size_t)(dot - t->text) : 0;
        if (!len)
            continue;
        for (int op = 0; op < IR_NUM_OPS; op++) {
            const char *name = ir_op_name((IrOp)op);
            if (strlen(name) != len || memcmp(name, t->text, len) != 0)
                continue;
            bool wants_dim = ir_op_syntax((IrOp)op) == IRS_DIM;
            if (pass == 0 && wants_dim)
                FAIL_TOK(r, t, "'%s' needs a component: %s.x, %s.y or %s.z", name, name, name, name);
            if (pass == 1) {
                if (!wants_dim)
                    FAIL_TOK(r, t, "'%s' takes no component", name);
                if (n - len != 2 || !strchr("xyz", dot[1]) || !dot[1])
                    FAIL_TOK(r, t, "'%s' needs a component: %s.x, %s.y or %s.z", name, name, name,
                             name);
                *dim = dot[1] - 'x';
            }
            return (IrOp)op;
        }
    }
    FAIL_TOK(r, t, "unknown instruction %s", tok_desc(r, t));
}

/* The value of `const V : T`, read once T is known. */
static void
set_const(Reader *r, IrInst *in, const Tok *v)
{
    IrType *t = in->type;
    char buf[80];
    if (v->len >= sizeof buf)
        FAIL_TOK(r, v, "constant %s is too long", tok_desc(r, v));
    memcpy(buf, v->text, v->len);
    buf[v->len] = 0;
    if (t->kind == IRT_BOOL) {
        if (strcmp(buf, "true") && strcmp(buf, "false"))
            FAIL_TOK(r, v, "a bool constant is 'true' or 'false', not %s", tok_desc(r, v));
        in->imm.i = buf[0] == 't';
        return;
    }
    if (t->kind == IRT_INT) {
        bool neg = buf[0] == '-';
        const char *d = buf + neg;
        if (!*d)
            FAIL_TOK(r, v, "bad integer constant %s", tok_desc(r, v));
        uint64_t mag = 0;
        for (; *d; d++) {
            if (!is_digit(*d))
                FAIL_TOK(r, v, "bad integer constant %s (decimal digits expected)", tok_desc(r, v));
            unsigned k = (unsigned)(*d - '0');
            if (mag > (UINT64_MAX - k) / 10)
                FAIL_TOK(r, v, "integer constant %s does not fit in %s", tok_desc(r, v),
                         ir_type_name(r->m, t));
            mag = mag * 10 + k;
        }
        uint64_t lim_pos = t->is_signed ? (UINT64_C(1) << (t->bits - 1)) - 1
                           : t->bits == 64 ? UINT64_MAX
                                           : (UINT64_C(1) << t->bits) - 1;
        uint64_t lim_neg = t->is_signed ? UINT64_C(1) << (t->bits - 1) : 0;
        if ((neg && mag > lim_neg) || (!neg && mag > lim_pos))
            FAIL_TOK(r, v, "integer constant %s does not fit in %s", tok_desc(r, v),
                     ir_type_name(r->m, t));
        uint64_t val = neg ? (uint64_t)0 - mag : mag;
        if (t->bits < 64)
            val &= (UINT64_C(1) << t->bits) - 1;
        in->imm.i = val;
        return;
    }
    if (t->kind != IRT_FLOAT)
        FAIL_TOK(r, v, "constants are scalars of type bool, integer or float, not %s",
                 ir_type_name(r->m, t));
    double f;
    if (strcmp(buf, "nan") == 0 || strcmp(buf, "-nan") == 0) {
        uint64_t bits = UINT64_C(0x7ff8000000000000) | (buf[0] == '-' ? UINT64_C(1) << 63 : 0);
        memcpy(&f, &bits, sizeof f);
    } else if (strcmp(buf, "inf") == 0 || strcmp(buf, "-inf") == 0) {
        f = buf[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    } else {
        /* decimal only: [-]digits[.digits][e[+-]digits] */
        const char *s = buf + (buf[0] == '-');
        bool ok = is_digit(*s);
        while (is_digit(*s))
            s++;
        if (*s == '.') {
            s++;
            while (is_digit(*s))
                s++;
        }
        if (*s == 'e' || *s == 'E') {
            s++;
            if (*s == '+' || *s == '-')
                s++;
            ok &= is_digit(*s);
            while (is_digit(*s))
                s++;
        }
        if (!ok || *s)
            FAIL_TOK(r, v, "bad float constant %s", tok_desc(r, v));
        errno = 0;
        if (t->bits == 64)
            f = strtod(buf, NULL);
        else
            f = (double)strtof(buf, NULL);
        if (errno == ERANGE && isinf(f))
            FAIL_TOK(r, v, "float constant %s is out of range for %s", tok_desc(r, v),
                     ir_type_name(r->m, t));
        if (t->bits == 16 && !t->is_bf16 && fabs(f) >= 65520.0)
            FAIL_TOK(r, v, "float constant %s is out of range for f16", tok_desc(r, v));
        if (t->is_bf16 && isinf(ir_round_float(t, f)))
            FAIL_TOK(r, v, "float constant %s is out of range for bf16", tok_desc(r, v));
    }
    /* rounded to the type as ir_const_float does (f16 and bf16 tie to even) */
    IrBuilder b = {.m = r->m};
    IrRegion scratch = {0};
    b.r = &scratch;
    IrInst *tmp = ir_const_float(&b, t, f);
    in->imm.f = tmp->imm.f;
}

/* nan(0xBITS), after the `nan`: a NaN with the exact bits of the stored
 * double, as the printer writes a NaN other than the default one. */
static double
nan_payload(Reader *r)
{
    expect_punct(r, '(', "'('");
    const Tok *h = &r->lx.tok;
    uint64_t bits = 0;
    bool ok = h->kind == T_NUM && h->len > 2 && h->len <= 18 && h->text[0] == '0' &&
              (h->text[1] == 'x' || h->text[1] == 'X');
    for (size_t i = 2; ok && i < h->len; i++) {
        int c = h->text[i] | 32;
        int d = is_digit(h->text[i]) ? h->text[i] - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        ok = d >= 0;
        bits = bits << 4 | (uint64_t)(d < 0 ? 0 : d);
    }
    double f;
    memcpy(&f, &bits, sizeof f);
    if (!ok || f == f)
        FAIL(r, "expected the bits of a NaN as 0x and up to 16 hex digits");
    next(r);
    expect_punct(r, ')', "')'");
    return f;
}

static void
note_position(Reader *r, IrInst *in, const Tok *at)
{
    InstPos *ip = arena_alloc(r->m->arena, sizeof *ip);
    *ip = (InstPos){r->f, in, at->line, at->col};
    ptrvec_push(r->m->arena, &r->positions, ip);
}

static IrInst *
parse_inst(Reader *r, bool top)
{
    Tok vat = {0};
    Tok line_at = r->lx.tok;
    bool has_value = r->lx.tok.kind == T_VALUE;
    if (has_value) {
        vat = r->lx.tok;
        next(r);
        expect_punct(r, '=', "'=' after the value name");
    }
    Tok opat = r->lx.tok;
    if (opat.kind != T_IDENT)
        FAIL(r, "expected an instruction, found %s", tok_desc(r, &opat));
    int dim;
    IrOp op = find_op(r, &opat, &dim);
    next(r);
    IrSyntax syn = ir_op_syntax(op);
    int flags = ir_op_flags(op);
    if (has_value && !(flags & IRF_VALUE))
        FAIL_TOK(r, &vat, "'%s' does not produce a value", ir_op_name(op));
    if (!has_value && (flags & IRF_VALUE) && op != IR_CALL)
        FAIL_TOK(r, &opat, "'%s' produces a value: write '%%N = %s ... : TYPE'", ir_op_name(op),
                 ir_op_name(op));
    PtrVec ops = {0};
    Tok cval = {0};
    int index = 0;
    IrShared *shared = NULL;
    IrFunc *callee = NULL;
    const char *local_name = NULL;
    bool has_payload = false;
    double payload = 0;
    switch (syn) {
    case IRS_PARAM:
        FAIL_TOK(r, &opat, "parameters are declared in the function's header only");
    case IRS_IF:
    case IRS_LOOP:
        UNREACHABLE();
    case IRS_CONST:
        cval = r->lx.tok;
        if (cval.kind != T_NUM && cval.kind != T_IDENT)
            FAIL(r, "expected a constant, found %s", tok_desc(r, &cval));
        next(r);
        if (cval.kind == T_IDENT && cval.len == 3 && memcmp(cval.text, "nan", 3) == 0 &&
            at_punct(r, '(')) {
            has_payload = true;
            payload = nan_payload(r);
        }
        break;
    case IRS_DIM:
        break;
    case IRS_SHARED: {
        Tok at = r->lx.tok;
        if (at.kind != T_GLOBAL)
            FAIL(r, "expected a shared variable '@name', found %s", tok_desc(r, &at));
        shared = map_get(&r->shareds, at.str);
        if (!shared)
            FAIL_TOK(r, &at, "unknown shared variable '@%s'", at.str);
        next(r);
        break;
    }
    case IRS_CALL: {
        Tok at = r->lx.tok;
        if (at.kind != T_GLOBAL)
            FAIL(r, "expected the callee '@name', found %s", tok_desc(r, &at));
        callee = map_get(&r->funcs, at.str);
        if (!callee)
            FAIL_TOK(r, &at, "call of unknown function '@%s'", at.str);
        if (callee->is_kernel)
            FAIL_TOK(r, &at, "kernel '@%s' cannot be called", at.str);
        next(r);
        CallSite *cs = arena_alloc(r->m->arena, sizeof *cs);
        *cs = (CallSite){r->f, callee, at.line, at.col};
        ptrvec_push(r->m->arena, &r->calls, cs);
        expect_punct(r, '(', "'(' after the callee");
        while (!at_punct(r, ')')) {
            if (ops.len)
                expect_punct(r, ',', "',' or ')'");
            ptrvec_push(r->m->arena, &ops, use_value(r));
        }
        next(r);
        break;
    }
    case IRS_LOCAL:
        if (!top)
            FAIL_TOK(r, &opat, "local slots belong at the top level of a function body");
        if (!at_punct(r, ':'))
            local_name = parse_name(r, "the local's name or ':'");
        break;
    case IRS_INDEX:
    case IRS_PLAIN: {
        int want = op_nops[op];
        if (want < 0) { /* variadic: any number, comma separated */
            if (r->lx.tok.kind == T_VALUE) {
                ptrvec_push(r->m->arena, &ops, use_value(r));
                while (at_punct(r, ',') && syn == IRS_PLAIN) {
                    next(r);
                    ptrvec_push(r->m->arena, &ops, use_value(r));
                }
            }
        }
        for (int i = 0; i < want; i++) {
            if (i)
                expect_punct(r, ',', "',' before the next operand");
            ptrvec_push(r->m->arena, &ops, use_value(r));
        }
        if (op == IR_RETURN && ops.len > 1)
            FAIL_TOK(r, &opat, "'return' takes at most one value");
        if (syn == IRS_INDEX) {
            expect_punct(r, ',', "',' before the index");
            index = (int)parse_uint(r, INT_MAX, "an index");
        }
        break;
    }
    }
    IrType *type = NULL;
    if (has_value) {
        expect_punct(r, ':', "':' and the result type");
        Tok tat = r->lx.tok;
        type = parse_type(r, syn == IRS_LOCAL ? TY_LANGUAGE : TY_ANY_SPACE);
        if (syn == IRS_LOCAL)
            type = ir_type_ptr(r->m, type, IR_SPACE_PRIVATE, false);
        (void)tat;
    } else if (op == IR_CALL && callee->ret->kind != IRT_VOID) {
        FAIL_TOK(r, &opat, "'@%s' returns a value: write '%%N = call ... : TYPE'", callee->name);
    }
    IrBuilder b = {.m = r->m, .f = r->f};
    IrInst *in = ir_new_inst(&b, op, type, ops.len, (IrInst *const *)ops.data);
    switch (syn) {
    case IRS_CONST:
        if (has_payload && type->kind != IRT_FLOAT)
            FAIL_TOK(r, &cval, "a NaN constant needs a float type, not %s",
                     ir_type_name(r->m, type));
        if (has_payload)
            in->imm.f = payload;
        else
            set_const(r, in, &cval);
        break;
    case IRS_DIM: in->imm.dim = dim; break;
    case IRS_SHARED: in->imm.shared = shared; break;
    case IRS_CALL: in->imm.callee = callee; break;
    case IRS_LOCAL: in->name = local_name; break;
    case IRS_INDEX: in->imm.index = index; break;
    case IRS_PLAIN:
    case IRS_PARAM:
    case IRS_IF:
    case IRS_LOOP: break;
    }
    in->loc = end_line(r);
    note_position(r, in, &line_at);
    if (has_value)
        define_value(r, &vat, in);
    else
        ptrvec_push(r->m->arena, &r->no_value, in);
    return in;
}

/* One open region: the IF or LOOP it belongs to and which of its regions. */
typedef struct Frame {
    IrInst *owner;
    char part;       /* 't' then, 'e' else, 'b' body, 'c' continuing */
    IrRegion *region;
    int mark;        /* scope length when the region opened */
} Frame;

/* Pass 4: the instructions of one function, from after its header line to
 * its closing brace, with an explicit stack of open regions. */
static void
parse_body(Reader *r, FuncStart *fs)
{
    IrFunc *f = fs->f;
    r->lx = fs->body;
    r->f = f;
    r->vals = NULL;
    r->vcap = r->vlen = 0;
    r->scope.len = 0;
    r->no_value.len = 0;
    r->max_id = 0;
    for (int i = 0; i < f->nparams; i++) {
        Tok at = {.num = (uint64_t)i};
        define_value(r, &at, f->param_values[i]);
    }
    PtrVec frames = {0};
    IrRegion *cur = &f->body;
    bool seen_inst = false;
    for (;;) {
        skip_blank(r);
        Tok at = r->lx.tok;
        if (at.kind == T_EOF)
            FAIL(r, "unexpected end of file inside function '@%s' (missing '}')", f->name);
        if (at_punct(r, '}')) {
            next(r);
            if (frames.len == 0) {
                end_line(r);
                break;
            }
            Frame *fr = frames.data[frames.len - 1];
            close_scope(r, fr->part == 'c' ? r->scope.len : fr->mark);
            if (fr->part == 't') {
                expect_word(r, "else");
                expect_punct(r, '{', "'{' after 'else'");
                end_line(r);
                fr->part = 'e';
                fr->region = cur = &fr->owner->else_r;
                continue;
            }
            if (fr->part == 'b') {
                expect_word(r, "continuing");
                expect_punct(r, '{', "'{' after 'continuing'");
                end_line(r);
                fr->part = 'c';
                fr->region = cur = &fr->owner->cont_r;
                continue;
            }
            if (fr->part == 'c' && at_word(r, "break_if")) {
                next(r);
                fr->owner->break_if = use_value(r);
            }
            end_line(r);
            close_scope(r, fr->mark);
            frames.len--;
            cur = frames.len ? ((Frame *)frames.data[frames.len - 1])->region : &f->body;
            continue;
        }
        bool top = frames.len == 0;
        if (at_word(r, "if") || at_word(r, "loop")) {
            if (frames.len >= MAX_NEST)
                FAIL(r, "regions nested more than %d levels deep", MAX_NEST);
            bool is_if = at_word(r, "if");
            next(r);
            IrBuilder b = {.m = r->m, .f = f};
            IrInst *in;
            if (is_if) {
                IrInst *c = use_value(r);
                in = ir_new_inst(&b, IR_IF, NULL, 1, &c);
            } else {
                in = ir_new_inst(&b, IR_LOOP, NULL, 0, NULL);
                if (at_word(r, "unroll")) {
                    next(r);
                    expect_punct(r, '(', "'(' after 'unroll'");
                    if (at_word(r, "full")) {
                        next(r);
                        in->unroll = IR_UNROLL_FULL;
                    } else {
                        Tok uat = r->lx.tok;
                        in->unroll = (int)parse_uint(r, INT_MAX, "an unroll factor");
                        if (in->unroll == 0)
                            FAIL_TOK(r, &uat, "unroll factor must be positive");
                    }
                    expect_punct(r, ')', "')'");
                }
            }
            expect_punct(r, '{', "'{'");
            in->loc = end_line(r);
            note_position(r, in, &at);
            ir_region_append(cur, in);
            ptrvec_push(r->m->arena, &r->no_value, in);
            Frame *fr = arena_alloc(r->m->arena, sizeof *fr);
            *fr = (Frame){in, is_if ? 't' : 'b', is_if ? &in->then_r : &in->body_r, r->scope.len};
            ptrvec_push(r->m->arena, &frames, fr);
            cur = fr->region;
            seen_inst = true;
            continue;
        }
        IrInst *in = parse_inst(r, top);
        if (in->op == IR_LOCAL) {
            if (seen_inst)
                FAIL_TOK(r, &at, "local slots come before the function's other instructions");
            ptrvec_push(r->m->arena, &f->locals, in);
        } else {
            ir_region_append(cur, in);
            seen_inst = true;
        }
    }
    /* Ids: the printed ones stay; instructions without one get fresh ids. */
    uint32_t next_id = r->max_id + 1;
    if (next_id < (uint32_t)f->nparams)
        next_id = (uint32_t)f->nparams;
    for (int i = 0; i < r->no_value.len; i++)
        ((IrInst *)r->no_value.data[i])->id = next_id++;
    f->next_id = next_id;
}

/* Pass 5: no recursion (a cycle) and no call chain deeper than the limit,
 * checked without recursing: Kahn's algorithm from the leaves up. */
static void
check_calls(Reader *r)
{
    int n = r->m->funcs.len;
    if (n == 0)
        return;
    int *pending = arena_alloc(r->m->arena, sizeof(int) * (size_t)n); /* distinct callees left */
    int *depth = arena_alloc(r->m->arena, sizeof(int) * (size_t)n);
    PtrVec *callers = arena_alloc(r->m->arena, sizeof(PtrVec) * (size_t)n);
    for (int i = 0; i < r->calls.len; i++) {
        CallSite *c = r->calls.data[i];
        pending[c->caller->index]++;
        ptrvec_push(r->m->arena, &callers[c->callee->index], c);
    }
    int *queue = arena_alloc(r->m->arena, sizeof(int) * (size_t)n);
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (pending[i] == 0)
            queue[tail++] = i;
    while (head < tail) {
        int j = queue[head++];
        for (int k = 0; k < callers[j].len; k++) {
            CallSite *c = callers[j].data[k];
            int i = c->caller->index;
            if (depth[j] + 1 > depth[i])
                depth[i] = depth[j] + 1;
            if (depth[i] > MAX_CALL_DEPTH)
                fail_at(r, c->line, c->col, "call chain longer than %d calls", MAX_CALL_DEPTH);
            if (--pending[i] == 0)
                queue[tail++] = i;
        }
    }
    /* What is left calls into a cycle: walk pending callees from one of
     * them until a function repeats; the call that closes it is reported. */
    int start = -1;
    for (int i = 0; i < n && start < 0; i++)
        if (pending[i])
            start = i;
    if (start < 0)
        return;
    PtrVec *calls_of = arena_alloc(r->m->arena, sizeof(PtrVec) * (size_t)n);
    for (int i = 0; i < r->calls.len; i++) {
        CallSite *c = r->calls.data[i];
        if (pending[c->callee->index])
            ptrvec_push(r->m->arena, &calls_of[c->caller->index], c);
    }
    char *seen = arena_alloc(r->m->arena, (size_t)n);
    for (int at = start;;) {
        seen[at] = 1;
        CallSite *c = calls_of[at].data[0]; /* a pending function has a pending callee */
        at = c->callee->index;
        if (seen[at])
            fail_at(r, c->line, c->col,
                    "recursive call: '@%s' calls '@%s', which leads back to it (GPUs have no "
                    "general call stack)",
                    c->caller->name, c->callee->name);
    }
}

/* Reports each line of the verifier ("claw-ir verify: @f: %N op: message")
 * at the line the instruction was read from, when it names one. */
static void
report_verifier(Reader *r, Buf *verr)
{
    static const char prefix[] = "claw-ir verify: ";
    buf_append(verr, "", 1);
    for (char *line = (char *)verr->data; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char *msg = line;
        if (strncmp(msg, prefix, sizeof prefix - 1) == 0)
            msg += sizeof prefix - 1;
        uint32_t at_line = 0, at_col = 0;
        char *sep = msg[0] == '@' ? strstr(msg, ": %") : NULL;
        if (sep) {
            *sep = 0;
            IrFunc *f = map_get(&r->funcs, msg + 1);
            *sep = ':';
            unsigned long id = strtoul(sep + 3, NULL, 10);
            for (int i = 0; f && i < r->positions.len; i++) {
                InstPos *ip = r->positions.data[i];
                if (ip->f == f && ip->in->id == id) {
                    at_line = ip->line;
                    at_col = ip->col;
                    break;
                }
            }
        }
        char text[600];
        snprintf(text, sizeof text, "invalid IR: %s", msg);
        r->err(r->ctx, at_line, at_col, text);
        line = nl ? nl + 1 : NULL;
    }
}

IrModule *
ir_read(const char *text, size_t len, uint32_t file, IrReadError err, void *ctx)
{
    Reader *r = calloc(1, sizeof *r);
    if (!r) {
        err(ctx, 0, 0, "out of memory");
        return NULL;
    }
    r->m = ir_module_new("");
    r->text = text;
    r->end = text + len;
    r->file = file;
    r->err = err;
    r->ctx = ctx;
    r->lx = (Lex){.p = text, .line = 1, .line_start = text};
    IrModule *volatile m = r->m;
    if (setjmp(r->fail)) {
        ir_module_free(m);
        free(r);
        return NULL;
    }
    scan_top(r);
    bool unmappable;
    for (int i = 0; i < r->struct_list.len; i++) {
        r->lx = *(Lex *)r->struct_at.data[i];
        struct_size(r, r->struct_list.data[i], &unmappable);
    }
    for (int i = 0; i < r->struct_list.len; i++) {
        r->lx = *(Lex *)r->struct_at.data[i];
        struct_fields(r, r->struct_list.data[i]);
    }
    check_struct_cycles(r);
    for (int i = 0; i < r->shared_at.len; i++) {
        r->lx = *(Lex *)r->shared_at.data[i];
        parse_shared(r);
    }
    for (int i = 0; i < r->func_at.len; i++)
        parse_header(r, r->func_at.data[i]);
    for (int i = 0; i < r->func_at.len; i++)
        parse_body(r, r->func_at.data[i]);
    check_calls(r);
    Buf verr = {0};
    if (!ir_verify(m, &verr)) {
        report_verifier(r, &verr);
        buf_free(&verr);
        ir_module_free(m);
        free(r);
        return NULL;
    }
    buf_free(&verr);
    free(r);
    return m;
}
