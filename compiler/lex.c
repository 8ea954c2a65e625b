/* lex.c: splits a Claw source file into tokens (docs/language.md §1).
 *
 * One pass over the bytes with a cursor that tracks line and byte column.
 * The source is bounded by its length, not by a NUL: NUL bytes are ordinary
 * bad characters. The token array grows by doubling in the arena and always
 * ends with TK_EOF, whose location is just past the last byte.
 *
 * Every problem is diagnosed and skipped so the parser sees a well-formed
 * stream: a run of bad bytes (punctuation Claw does not use, control bytes,
 * non-ASCII outside comments and strings) gets one error at its first byte;
 * an unterminated block comment gets one error at its start and ends the
 * file; a malformed literal still becomes a literal token (value 0).
 *
 * Numbers (§1):
 *   - decimal, 0x hex, 0b binary, with `_` separators anywhere after the
 *     first digit (`1_000`, `0x_ff`, `1_u32`);
 *   - a `.` makes a decimal number a float only when the next byte is not a
 *     second `.` (so `0..6` is 0 .. 6) and not the start of an identifier
 *     (so `1.x` stays a field access, as in Rust); `1.` alone is the float
 *     1.0, as in Rust;
 *   - an exponent `e[+-]digits` makes a float; hex floats need the binary
 *     exponent `p[+-]digits` (`0x1.8p3`);
 *   - suffixes i8..i64, u8..u64, the short forms u (u32) and i (i32), and
 *     f16 f32 f64 bf16; a float suffix on a decimal integer makes it a float
 *     (`1f32`), an integer suffix on a float is an error.
 * Float values come from strtod on a copy with the separators removed;
 * glibc's strtod rounds decimal and hex inputs correctly, so hex floats are
 * exact. */
#include "cuda_names.h"
#include "front.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Lexer {
    Arena *arena;
    uint32_t file;
    const char *src;
    size_t len;
    size_t pos;
    uint32_t line;
    size_t line_start; /* byte offset of the current line */
    Token *toks;
    int ntoks, cap;
} Lexer;

static const char *const token_names[] = {
#define TK(name, str) str,
#include "tokens.def"
#undef TK
};

const char *
lex_token_name(TokenKind k)
{
    if ((unsigned)k >= TK_NUM_KINDS)
        return "token";
    return token_names[k];
}

static const struct {
    const char *word;
    TokenKind kind;
} keywords[] = {
    {"as", TK_AS},         {"break", TK_BREAK},   {"const", TK_CONST},   {"continue", TK_CONTINUE},
    {"else", TK_ELSE},     {"false", TK_FALSE},   {"fn", TK_FN},         {"for", TK_FOR},
    {"if", TK_IF},         {"import", TK_IMPORT}, {"kernel", TK_KERNEL}, {"let", TK_LET},
    {"null", TK_NULL},     {"return", TK_RETURN}, {"shared", TK_SHARED}, {"struct", TK_STRUCT},
    {"true", TK_TRUE},     {"var", TK_VAR},       {"while", TK_WHILE},
    {"vec2", TK_VEC2},     {"vec3", TK_VEC3},     {"vec4", TK_VEC4},     {"mat_a", TK_MAT_A},
    {"mat_b", TK_MAT_B},   {"mat_acc", TK_MAT_ACC},
};
/* `in` and `step` are contextual keywords (docs/language.md, section 1): they
 * lex as identifiers, and the parser reads them as keywords only where a
 * `for` header needs them, so `kernel copy(n: u32, in: *const f32, ...)`
 * compiles as it does in CUDA. */

static const struct {
    const char *text;
    LitSuffix suffix;
} suffixes[] = {
    {"i8", SUF_I8},   {"i16", SUF_I16}, {"i32", SUF_I32}, {"i64", SUF_I64}, {"u8", SUF_U8},
    {"u16", SUF_U16}, {"u32", SUF_U32}, {"u64", SUF_U64}, {"u", SUF_U32},   {"i", SUF_I32},
    {"f16", SUF_F16}, {"f32", SUF_F32}, {"f64", SUF_F64}, {"bf16", SUF_BF16},
};

static bool
is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_ident_char(int c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool
is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Byte at pos + k, or -1 past the end (the source is not NUL-terminated). */
static int
peek(const Lexer *lx, size_t k)
{
    return lx->pos + k < lx->len ? (unsigned char)lx->src[lx->pos + k] : -1;
}

static SrcLoc
loc_at(const Lexer *lx, size_t pos)
{
    return (SrcLoc){lx->file, lx->line, (uint32_t)(pos - lx->line_start + 1)};
}

static void
advance(Lexer *lx)
{
    if (lx->src[lx->pos] == '\n') {
        lx->line++;
        lx->line_start = lx->pos + 1;
    }
    lx->pos++;
}

static Token *
push(Lexer *lx, TokenKind kind, size_t start, SrcLoc loc)
{
    /* The array grows on the heap and is copied into the arena once, at its
     * final size (lex_file): doubling inside the arena would keep every
     * outgrown copy, twice the tokens' size for the whole compilation. */
    if (lx->ntoks == lx->cap) {
        int cap = lx->cap ? lx->cap * 2 : 256;
        Token *t = realloc(lx->toks, sizeof(Token) * (size_t)cap);
        if (!t) {
            fprintf(stderr, "clawc: out of memory\n");
            abort();
        }
        lx->toks = t;
        lx->cap = cap;
    }
    Token *t = &lx->toks[lx->ntoks++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->loc = loc;
    t->text = lx->src + start;
    t->len = (uint32_t)(lx->pos - start);
    return t;
}

/* Skips whitespace and comments. Returns false at an unterminated block
 * comment, after diagnosing it (the rest of the file is comment). */
static bool
skip_space(Lexer *lx)
{
    for (;;) {
        int c = peek(lx, 0);
        if (c >= 0 && is_space(c)) {
            advance(lx);
        } else if (c == '/' && peek(lx, 1) == '/') {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
                lx->pos++;
        } else if (c == '/' && peek(lx, 1) == '*') {
            SrcLoc start = loc_at(lx, lx->pos);
            lx->pos += 2;
            for (;;) {
                if (lx->pos >= lx->len) {
                    diag_error(start, "unterminated block comment");
                    return false;
                }
                if (lx->src[lx->pos] == '*' && peek(lx, 1) == '/') {
                    lx->pos += 2;
                    break;
                }
                advance(lx);
            }
        } else {
            return true;
        }
    }
}

static void
lex_ident(Lexer *lx)
{
    size_t start = lx->pos;
    SrcLoc loc = loc_at(lx, start);
    while (peek(lx, 0) >= 0 && is_ident_char(peek(lx, 0)))
        lx->pos++;
    size_t n = lx->pos - start;
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        /* the first byte first: cheap, and most identifiers are no keyword */
        if (keywords[i].word[0] == lx->src[start] && strlen(keywords[i].word) == n &&
            memcmp(keywords[i].word, lx->src + start, n) == 0) {
            push(lx, keywords[i].kind, start, loc);
            return;
        }
    }
    /* docs/language.md §1: names starting with `__` are reserved. */
    if (n >= 2 && lx->src[start] == '_' && lx->src[start + 1] == '_') {
        diag_error(loc, "identifier '%.*s' is reserved: names starting with '__' are reserved",
                   (int)(n > 64 ? 64 : n), lx->src + start);
        cuda_note_spelling(loc, lx->src + start, n);
    }
    /* Kernel names go into the fat binary, which takes names of at most
     * 1024 bytes (docs/fatbin.md), and every name into PTX, SPIR-V OpName
     * and debug info: one limit for all (docs/clawc.md "Limits"). */
    if (n > LEX_MAX_IDENT)
        diag_error(loc, "identifier '%.32s...' is %zu characters long; at most %d are allowed",
                   lx->src + start, n, LEX_MAX_IDENT);
    push(lx, TK_IDENT, start, loc);
}

static int
digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/* Appends c to the sanitised copy of a float literal (for strtod). */
static void
buf_put(char **buf, size_t *n, size_t *cap, Arena *a, char c)
{
    if (*n + 1 >= *cap) {
        size_t ncap = *cap * 2;
        char *nb = arena_alloc(a, ncap);
        memcpy(nb, *buf, *n);
        *buf = nb;
        *cap = ncap;
    }
    (*buf)[(*n)++] = c;
    (*buf)[*n] = 0;
}

/* Consumes digits of the given base and `_` separators, accumulating the
 * integer value (with overflow detection) and copying digits to buf.
 * Returns the number of digits; stops at a digit not valid in `base` only
 * if it is not a decimal digit (decimal digits in a binary literal are
 * consumed and reported by the caller through *bad). */
static int
scan_digits(Lexer *lx, int base, uint64_t *val, bool *overflow, int *bad, char **buf, size_t *n,
            size_t *cap)
{
    int count = 0;
    for (;;) {
        int c = peek(lx, 0);
        if (c == '_') {
            lx->pos++;
            continue;
        }
        int d = c < 0 ? 99 : digit_value(c);
        if (d >= base && !(base == 2 && d < 10))
            return count;
        if (d >= base && *bad < 0)
            *bad = c;
        if (d < base) {
            if (*val > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
                *overflow = true;
            *val = *val * (uint64_t)base + (uint64_t)d;
        }
        buf_put(buf, n, cap, lx->arena, (char)c);
        lx->pos++;
        count++;
    }
}

/* A C or CUDA literal suffix gets a note naming the Claw form (a literal
 * ported from CUDA: `1.0f`, `16U`). start is where the number begins. */
static void
note_c_suffix(Lexer *lx, size_t start, size_t suf_start, size_t suf_len)
{
    const char *suf = lx->src + suf_start;
    int num = (int)(suf_start - start > 64 ? 64 : suf_start - start);
    SrcLoc loc = loc_at(lx, suf_start);
    if (suf_len == 1 && (suf[0] == 'f' || suf[0] == 'F'))
        diag_note(loc,
                  "Claw has no 'f' suffix: write '%.*s' (an untyped literal takes the type "
                  "its context needs, f32 without one) or '%.*sf32'",
                  num, lx->src + start, num, lx->src + start);
    else if ((suf_len == 1 && suf[0] == 'U') ||
             (suf_len == 2 && (suf[0] == 'u' || suf[0] == 'U') && (suf[1] == 'l' || suf[1] == 'L')))
        diag_note(loc, "write '%.*su' for a u32 or '%.*su64' for a u64", num, lx->src + start, num,
                  lx->src + start);
    else if (suf_len == 3 && (suf[0] == 'u' || suf[0] == 'U') && (suf[1] == 'l' || suf[1] == 'L'))
        diag_note(loc, "write '%.*su64' for a u64", num, lx->src + start);
}

static void
lex_number(Lexer *lx)
{
    size_t start = lx->pos;
    SrcLoc loc = loc_at(lx, start);
    int base = 10;
    if (peek(lx, 0) == '0' && (peek(lx, 1) == 'x' || peek(lx, 1) == 'X')) {
        base = 16;
        lx->pos += 2;
    } else if (peek(lx, 0) == '0' && (peek(lx, 1) == 'b' || peek(lx, 1) == 'B')) {
        base = 2;
        lx->pos += 2;
    }
    size_t cap = 64, n = 0;
    char *buf = arena_alloc(lx->arena, cap);
    if (base == 16) {
        buf_put(&buf, &n, &cap, lx->arena, '0');
        buf_put(&buf, &n, &cap, lx->arena, 'x');
    }
    uint64_t val = 0;
    bool overflow = false, is_float = false, error = false;
    int bad = -1;
    int ndigits = scan_digits(lx, base, &val, &overflow, &bad, &buf, &n, &cap);

    /* Fraction: never when `..` follows, nor `.ident` (field access). */
    int c1 = peek(lx, 1);
    if (peek(lx, 0) == '.' && base != 2 && c1 != '.' &&
        !(base == 10 && c1 >= 0 && is_ident_start(c1))) {
        if (base == 16 && (c1 < 0 || (digit_value(c1) >= 16 && c1 != 'p' && c1 != 'P'))) {
            /* `0x1.` followed by something else: leave the '.' alone. */
        } else {
            lx->pos++;
            is_float = true;
            buf_put(&buf, &n, &cap, lx->arena, '.');
            uint64_t ignore = 0;
            bool ignore_ovf = false;
            ndigits += scan_digits(lx, base, &ignore, &ignore_ovf, &bad, &buf, &n, &cap);
        }
    }
    /* Exponent: e for decimal, p (binary exponent) for hex. */
    int e = peek(lx, 0);
    bool has_exp = (base == 10 && (e == 'e' || e == 'E')) || (base == 16 && (e == 'p' || e == 'P'));
    if (has_exp) {
        int s = peek(lx, 1);
        int d = (s == '+' || s == '-') ? peek(lx, 2) : s;
        if (base == 10 && !(d >= '0' && d <= '9') && !(s == '+' || s == '-')) {
            has_exp = false; /* `1else`-like: leave it to the suffix check */
        } else {
            lx->pos++;
            is_float = true;
            buf_put(&buf, &n, &cap, lx->arena, base == 16 ? 'p' : 'e');
            if (s == '+' || s == '-') {
                buf_put(&buf, &n, &cap, lx->arena, (char)s);
                lx->pos++;
            }
            uint64_t ignore = 0;
            bool ignore_ovf = false;
            int bad_exp = -1;
            if (scan_digits(lx, 10, &ignore, &ignore_ovf, &bad_exp, &buf, &n, &cap) == 0) {
                diag_error(loc_at(lx, lx->pos), "expected at least one digit in exponent");
                error = true;
            }
        }
    }
    if (base == 16 && is_float && !has_exp) {
        diag_error(loc, "hexadecimal float literal needs a binary exponent ('p')");
        error = true;
    }

    /* Suffix: every identifier character right after the number. */
    size_t suf_start = lx->pos;
    while (peek(lx, 0) >= 0 && is_ident_char(peek(lx, 0)))
        lx->pos++;
    size_t suf_len = lx->pos - suf_start;
    LitSuffix suffix = SUF_NONE;
    if (suf_len) {
        bool found = false;
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
            if (strlen(suffixes[i].text) == suf_len &&
                memcmp(suffixes[i].text, lx->src + suf_start, suf_len) == 0) {
                suffix = suffixes[i].suffix;
                found = true;
            }
        }
        if (!found) {
            if (!error) {
                diag_error(loc_at(lx, suf_start), "invalid suffix '%.*s' on %s literal",
                           (int)(suf_len > 64 ? 64 : suf_len), lx->src + suf_start,
                           is_float ? "float" : "integer");
                note_c_suffix(lx, start, suf_start, suf_len);
            }
            error = true;
        } else if (suffix >= SUF_F16) {
            if (base != 10 && !is_float) {
                diag_error(loc_at(lx, suf_start), "float suffix on a %s integer literal",
                           base == 16 ? "hexadecimal" : "binary");
                error = true;
            }
            is_float = true;
        } else if (is_float) {
            diag_error(loc_at(lx, suf_start), "integer suffix '%.*s' on a float literal",
                       (int)suf_len, lx->src + suf_start);
            error = true;
            suffix = SUF_NONE;
        }
    }
    if (ndigits == 0 && !error) {
        diag_error(loc, "%s literal has no digits", base == 16 ? "hexadecimal" : "binary");
        error = true;
    }
    if (bad >= 0 && !error) {
        diag_error(loc, "invalid digit '%c' in binary literal", bad);
        error = true;
    }

    Token *t = push(lx, is_float ? TK_FLOAT : TK_INT, start, loc);
    t->suffix = suffix;
    if (error)
        return;
    if (!is_float) {
        if (overflow)
            diag_error(loc, "integer literal is too large for u64");
        else
            t->ival = val;
        return;
    }
    double v = strtod(buf, NULL);
    if (isinf(v)) {
        diag_error(loc, "float literal is too large for f64");
        v = 0;
    }
    t->fval = v;
}

/* "path" with the escapes \" \\ \n \t; the token's str is the unescaped
 * text. Strings cannot span lines. */
static void
lex_string(Lexer *lx)
{
    size_t start = lx->pos;
    SrcLoc loc = loc_at(lx, start);
    lx->pos++;
    size_t cap = 64, n = 0;
    char *buf = arena_alloc(lx->arena, cap);
    bool ok = true;
    for (;;) {
        int c = peek(lx, 0);
        if (c < 0 || c == '\n') {
            diag_error(loc, "unterminated string literal");
            ok = false;
            break;
        }
        lx->pos++;
        if (c == '"')
            break;
        if (c == '\\') {
            int e = peek(lx, 0);
            if (e == '"' || e == '\\') {
                c = e;
            } else if (e == 'n') {
                c = '\n';
            } else if (e == 't') {
                c = '\t';
            } else {
                if (ok)
                    diag_error(loc_at(lx, lx->pos - 1),
                               "unknown escape sequence in string literal");
                ok = false;
                if (e < 0 || e == '\n')
                    continue;
            }
            lx->pos++;
        } else if (c == 0) {
            if (ok)
                diag_error(loc_at(lx, lx->pos - 1), "string literal contains a NUL byte");
            ok = false;
        }
        buf_put(&buf, &n, &cap, lx->arena, (char)c);
    }
    Token *t = push(lx, TK_STRING, start, loc);
    t->str = buf;
}

/* Punctuation and operators, longest first within each leading byte. */
static const struct {
    const char *text;
    TokenKind kind;
} puncts[] = {
    {"<<=", TK_SHL_EQ},    {">>=", TK_SHR_EQ},  {"..", TK_DOTDOT},  {"->", TK_ARROW},
    {"<<", TK_SHL},        {">>", TK_SHR},      {"&&", TK_ANDAND},  {"||", TK_OROR},
    {"==", TK_EQ},         {"!=", TK_NE},       {"<=", TK_LE},      {">=", TK_GE},
    {"+=", TK_PLUS_EQ},    {"-=", TK_MINUS_EQ}, {"*=", TK_STAR_EQ}, {"/=", TK_SLASH_EQ},
    {"%=", TK_PERCENT_EQ}, {"&=", TK_AMP_EQ},   {"|=", TK_PIPE_EQ}, {"^=", TK_CARET_EQ},
    {"(", TK_LPAREN},      {")", TK_RPAREN},    {"{", TK_LBRACE},   {"}", TK_RBRACE},
    {"[", TK_LBRACKET},    {"]", TK_RBRACKET},  {",", TK_COMMA},    {";", TK_SEMI},
    {":", TK_COLON},       {".", TK_DOT},       {"@", TK_AT},       {"+", TK_PLUS},
    {"-", TK_MINUS},       {"*", TK_STAR},      {"/", TK_SLASH},    {"%", TK_PERCENT},
    {"&", TK_AMP},         {"|", TK_PIPE},      {"^", TK_CARET},    {"~", TK_TILDE},
    {"!", TK_BANG},        {"<", TK_LT},        {">", TK_GT},       {"=", TK_ASSIGN},
};

static bool
lex_punct(Lexer *lx)
{
    for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++) {
        if (puncts[i].text[0] != lx->src[lx->pos])
            continue;
        size_t n = strlen(puncts[i].text);
        if (lx->len - lx->pos >= n && memcmp(lx->src + lx->pos, puncts[i].text, n) == 0) {
            size_t start = lx->pos;
            SrcLoc loc = loc_at(lx, start);
            lx->pos += n;
            push(lx, puncts[i].kind, start, loc);
            return true;
        }
    }
    return false;
}

/* A byte that starts no token. Consecutive bad bytes form one run and get
 * one diagnostic, naming the first. */
static void
lex_bad(Lexer *lx)
{
    SrcLoc loc = loc_at(lx, lx->pos);
    int c = peek(lx, 0);
    if (c >= 0x80)
        diag_error(loc, "unexpected non-ASCII character (byte 0x%02X) outside a comment or string",
                   c);
    else if (c >= 0x21 && c < 0x7F)
        diag_error(loc, "unexpected character '%c'", c);
    else
        diag_error(loc, "unexpected control character (byte 0x%02X)", c);
    for (;;) {
        lx->pos++;
        int d = peek(lx, 0);
        if (d < 0 || is_space(d) || is_ident_char(d) || d == '"' || d == '/')
            return;
        /* Stop at anything the lexer knows how to read. */
        for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++)
            if (puncts[i].text[0] == d)
                return;
    }
}

Token *
lex_file(Arena *a, uint32_t file, const char *text, size_t len, int *ntokens)
{
    Lexer lx = {.arena = a, .file = file, .src = text, .len = len, .line = 1};
    for (;;) {
        if (!skip_space(&lx)) {
            lx.pos = lx.len;
            break;
        }
        if (lx.pos >= lx.len)
            break;
        int c = peek(&lx, 0);
        if (is_ident_start(c))
            lex_ident(&lx);
        else if (c >= '0' && c <= '9')
            lex_number(&lx);
        else if (c == '"')
            lex_string(&lx);
        else if (!lex_punct(&lx))
            lex_bad(&lx);
    }
    /* The EOF location is just past the last byte. */
    push(&lx, TK_EOF, len, loc_at(&lx, len));
    *ntokens = lx.ntoks;
    Token *toks = arena_alloc(a, sizeof(Token) * (size_t)lx.ntoks);
    memcpy(toks, lx.toks, sizeof(Token) * (size_t)lx.ntoks);
    free(lx.toks);
    return toks;
}
