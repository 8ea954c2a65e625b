/* gen.c: random valid Claw programs with defined behaviour only (gen.h says
 * which rules keep them defined).
 *
 * How it works: a recursive generator with a scope of typed variables. An
 * expression of a wanted type is a literal, a variable, an operator on
 * smaller expressions of that type, a cast from another type, a comparison
 * turned into an integer, a builtin (min, max, clamp, select), an array
 * element or a call of an earlier helper; depth and size are bounded.
 * Statements declare, assign, branch and loop; every loop's trip count is
 * bounded and multiplied into a per-function iteration budget. A checksum
 * variable `h` folds values in as the function runs, so that intermediate
 * results matter, and the function returns it. The program text goes into a
 * growable string; all randomness comes from one xorshift state. */
#include "gen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text and randomness ------------------------------------------------------ */

typedef struct Str {
    char *s;
    size_t len, cap;
} Str;

static void
str_printf(Str *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            abort();
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        b->s = realloc(b->s, cap);
        if (!b->s)
            abort();
        b->cap = cap;
    }
}

typedef struct Rng {
    uint64_t s;
} Rng;

static uint64_t
rnd(Rng *r)
{
    /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}

static int
below(Rng *r, int n)
{
    return (int)(rnd(r) % (uint64_t)n);
}

static bool
chance(Rng *r, int percent)
{
    return below(r, 100) < percent;
}

/* ---- types ------------------------------------------------------------------ */

typedef enum Ty { T_I8, T_I16, T_I32, T_I64, T_U8, T_U16, T_U32, T_U64, T_BOOL, NTY } Ty;

static const char *const ty_name[NTY] = {"i8",  "i16", "i32", "i64", "u8",
                                         "u16", "u32", "u64", "bool"};
static const int ty_bits[NTY] = {8, 16, 32, 64, 8, 16, 32, 64, 1};

static bool
is_signed(Ty t)
{
    return t <= T_I64;
}

static Ty
random_int_type(Rng *r)
{
    /* 32 and 64 bits most often: they are what kernels use */
    static const Ty pick[] = {T_I32, T_U32, T_I64, T_U64, T_I32, T_U32,
                              T_I64, T_U64, T_I8,  T_U8,  T_I16, T_U16};
    return pick[below(r, (int)(sizeof pick / sizeof pick[0]))];
}

/* ---- the generator's state --------------------------------------------------------- */

enum { MAX_VARS = 96, MAX_HELPERS = 4, MAX_PARAMS = 4, ARR_LEN = 8 };

typedef struct Var {
    char name[16];
    Ty ty;
    bool mut;   /* var: may be assigned */
    bool array; /* [ty; ARR_LEN] */
} Var;

typedef struct Helper {
    char name[8];
    Ty ret;
    int nparams;
    Ty params[MAX_PARAMS];
    int iters; /* the most loop iterations one call runs */
} Helper;

typedef struct Gen {
    Rng r;
    Str *out;
    Var vars[MAX_VARS];
    int nvars;
    int nextname;
    Helper helpers[MAX_HELPERS];
    int nhelpers;  /* helpers callable now (those defined before) */
    int iter_mult; /* iterations of the loops around the current point */
    int iter_used; /* the function's iterations so far (worst case) */
    int loop_depth;
    int stmt_budget; /* statements left in this function */
} Gen;

static void gen_expr(Gen *g, Ty t, int depth);

static void
indent(Gen *g, int level)
{
    for (int i = 0; i < level; i++)
        str_printf(g->out, "    ");
}

/* A literal of t, often a boundary value. Negative values are written as
 * `(0 - N)` or `(-N)` with a suffix, MIN as `(-MAX - 1)`: a literal is
 * checked against its type with its sign (docs/language.md, "Literals"). */
static void
gen_literal(Gen *g, Ty t)
{
    if (t == T_BOOL) {
        str_printf(g->out, chance(&g->r, 50) ? "true" : "false");
        return;
    }
    int bits = ty_bits[t];
    uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    uint64_t v;
    switch (below(&g->r, 8)) {
    case 0: v = 0; break;
    case 1: v = 1; break;
    case 2: v = mask; break;                       /* -1 or MAX unsigned */
    case 3: v = mask >> 1; break;                  /* signed MAX */
    case 4: v = (mask >> 1) + 1; break;            /* signed MIN */
    case 5: v = (uint64_t)below(&g->r, 64); break; /* a small shift count */
    default: v = rnd(&g->r) & mask; break;
    }
    const char *suf = ty_name[t];
    if (!is_signed(t)) {
        str_printf(g->out, "%" PRIu64 "%s", v, suf);
        return;
    }
    uint64_t sign = 1ULL << (bits - 1);
    if (!(v & sign)) {
        str_printf(g->out, "%" PRIu64 "%s", v, suf);
    } else {
        uint64_t mag = ((~v) & mask) + 1; /* magnitude of the negative value */
        if (mag == sign)
            str_printf(g->out, "(-%" PRIu64 "%s - 1%s)", sign - 1, suf, suf);
        else
            str_printf(g->out, "(-%" PRIu64 "%s)", mag, suf);
    }
}

/* A variable of type t (scalar, or an array element when elem), or -1. */
static int
pick_var(Gen *g, Ty t, bool array, bool need_mut)
{
    int cand[MAX_VARS], n = 0;
    for (int i = 0; i < g->nvars; i++)
        if (g->vars[i].ty == t && g->vars[i].array == array && (!need_mut || g->vars[i].mut))
            cand[n++] = i;
    return n ? cand[below(&g->r, n)] : -1;
}

/* An index expression that is in bounds: `(e as u32) & 7` or `% 8`. */
static void
gen_index(Gen *g, int depth)
{
    if (chance(&g->r, 25)) {
        str_printf(g->out, "%d", below(&g->r, ARR_LEN));
        return;
    }
    Ty it = random_int_type(&g->r);
    str_printf(g->out, "((");
    gen_expr(g, it, depth + 1);
    if (chance(&g->r, 50))
        str_printf(g->out, ") as u32 & %uu32)", ARR_LEN - 1);
    else
        str_printf(g->out, ") as u32 %% %uu32)", ARR_LEN);
}

static void
gen_binary(Gen *g, Ty t, int depth)
{
    static const char *const ops[] = {"+", "-", "*", "&", "|", "^", "/", "%", "<<", ">>"};
    int op = below(&g->r, 10);
    if (t == T_BOOL) {
        static const char *const bops[] = {"&&", "||", "&", "|", "^", "==", "!="};
        str_printf(g->out, "(");
        gen_expr(g, T_BOOL, depth + 1);
        str_printf(g->out, " %s ", bops[below(&g->r, 7)]);
        gen_expr(g, T_BOOL, depth + 1);
        str_printf(g->out, ")");
        return;
    }
    str_printf(g->out, "(");
    gen_expr(g, t, depth + 1);
    str_printf(g->out, " %s ", ops[op]);
    if (op == 6 || op == 7) {
        /* a divisor that is never 0; -1 on its own now and then, for MIN / -1 */
        if (is_signed(t) && chance(&g->r, 15)) {
            str_printf(g->out, "(-1%s)", ty_name[t]);
        } else if (chance(&g->r, 30)) {
            uint64_t v = (rnd(&g->r) % 200) + 1;
            str_printf(g->out, "%" PRIu64 "%s", ty_bits[t] == 8 && v > 127 ? v - 100 : v,
                       ty_name[t]);
        } else {
            str_printf(g->out, "(");
            gen_expr(g, t, depth + 1);
            str_printf(g->out, " | 1%s)", ty_name[t]);
        }
    } else if (op >= 8) {
        /* shift amounts of any integer type and any value */
        gen_expr(g, chance(&g->r, 50) ? t : random_int_type(&g->r), depth + 1);
    } else {
        gen_expr(g, t, depth + 1);
    }
    str_printf(g->out, ")");
}

static void
gen_compare(Gen *g, int depth)
{
    static const char *const ops[] = {"<", "<=", ">", ">=", "==", "!="};
    Ty u = random_int_type(&g->r);
    str_printf(g->out, "(");
    gen_expr(g, u, depth + 1);
    str_printf(g->out, " %s ", ops[below(&g->r, 6)]);
    gen_expr(g, u, depth + 1);
    str_printf(g->out, ")");
}

static void
gen_call(Gen *g, const Helper *h, int depth)
{
    str_printf(g->out, "%s(", h->name);
    for (int i = 0; i < h->nparams; i++) {
        if (i)
            str_printf(g->out, ", ");
        gen_expr(g, h->params[i], depth + 1);
    }
    str_printf(g->out, ")");
}

/* An expression of type t. */
static void
gen_expr(Gen *g, Ty t, int depth)
{
    if (depth >= 4 || chance(&g->r, depth * 12)) {
        /* mostly variables, so that most values are only known at run time */
        int v = chance(&g->r, 80) ? pick_var(g, t, false, false) : -1;
        if (v >= 0) {
            str_printf(g->out, "%s", g->vars[v].name);
        } else if (t != T_BOOL && g->nvars && chance(&g->r, 70)) {
            const Var *o = &g->vars[below(&g->r, g->nvars)];
            if (o->array)
                str_printf(g->out, "(%s[%d] as %s)", o->name, below(&g->r, ARR_LEN), ty_name[t]);
            else
                str_printf(g->out, "(%s as %s)", o->name, ty_name[t]);
        } else {
            gen_literal(g, t);
        }
        return;
    }
    int k = below(&g->r, 100);
    if (t == T_BOOL) {
        if (k < 45)
            gen_compare(g, depth);
        else if (k < 75)
            gen_binary(g, t, depth);
        else if (k < 85) {
            str_printf(g->out, "!");
            gen_expr(g, T_BOOL, depth + 1);
        } else {
            int v = pick_var(g, t, false, false);
            if (v >= 0)
                str_printf(g->out, "%s", g->vars[v].name);
            else
                gen_literal(g, t);
        }
        return;
    }
    if (k < 40) {
        gen_binary(g, t, depth);
    } else if (k < 50) {
        /* a cast from another type: truncates, sign- or zero-extends */
        Ty u = chance(&g->r, 15) ? T_BOOL : random_int_type(&g->r);
        str_printf(g->out, "(");
        gen_expr(g, u, depth + 1);
        str_printf(g->out, " as %s)", ty_name[t]);
    } else if (k < 57) {
        if (is_signed(t)) {
            str_printf(g->out, "(-");
            gen_expr(g, t, depth + 1);
            str_printf(g->out, ")");
        } else {
            str_printf(g->out, "(~");
            gen_expr(g, t, depth + 1);
            str_printf(g->out, ")");
        }
    } else if (k < 62) {
        str_printf(g->out, "(~");
        gen_expr(g, t, depth + 1);
        str_printf(g->out, ")");
    } else if (k < 70) {
        str_printf(g->out, "%s(", chance(&g->r, 50) ? "min" : "max");
        gen_expr(g, t, depth + 1);
        str_printf(g->out, ", ");
        gen_expr(g, t, depth + 1);
        str_printf(g->out, ")");
    } else if (k < 74) {
        /* clamp with lo <= hi: both are literals ordered here */
        int64_t a = below(&g->r, 100), b = below(&g->r, 100);
        if (a > b) {
            int64_t c = a;
            a = b;
            b = c;
        }
        str_printf(g->out, "clamp(");
        gen_expr(g, t, depth + 1);
        str_printf(g->out, ", %" PRId64 "%s, %" PRId64 "%s)", a, ty_name[t], b, ty_name[t]);
    } else if (k < 80) {
        str_printf(g->out, "select(");
        gen_expr(g, T_BOOL, depth + 1);
        str_printf(g->out, ", ");
        gen_expr(g, t, depth + 1);
        str_printf(g->out, ", ");
        gen_expr(g, t, depth + 1);
        str_printf(g->out, ")");
    } else if (k < 84 && is_signed(t)) {
        /* abs of a value shifted right once: never MIN */
        str_printf(g->out, "abs((");
        gen_expr(g, t, depth + 1);
        str_printf(g->out, ") >> 1u32)");
    } else if (k < 90) {
        int v = pick_var(g, t, true, false);
        if (v >= 0) {
            str_printf(g->out, "%s[", g->vars[v].name);
            gen_index(g, depth);
            str_printf(g->out, "]");
        } else {
            gen_literal(g, t);
        }
    } else if (k < 96) {
        int cand[MAX_HELPERS], n = 0;
        for (int i = 0; i < g->nhelpers; i++)
            if (g->helpers[i].ret == t &&
                g->iter_used + g->iter_mult * (g->helpers[i].iters + 1) <= GEN_MAX_ITERS)
                cand[n++] = i;
        if (n) {
            const Helper *h = &g->helpers[cand[below(&g->r, n)]];
            g->iter_used += g->iter_mult * (h->iters + 1);
            gen_call(g, h, depth);
        } else {
            gen_binary(g, t, depth);
        }
    } else {
        /* a comparison as 0 or 1 */
        str_printf(g->out, "(");
        gen_compare(g, depth);
        str_printf(g->out, " as %s)", ty_name[t]);
    }
}

/* ---- statements --------------------------------------------------------------- */

static Var *
new_var(Gen *g, Ty t, bool mut, bool array)
{
    if (g->nvars == MAX_VARS)
        return NULL;
    Var *v = &g->vars[g->nvars++];
    snprintf(v->name, sizeof v->name, "v%d", g->nextname++);
    v->ty = t;
    v->mut = mut;
    v->array = array;
    return v;
}

/* h = h * K + (e as u64): folds a value into the checksum */
static void
gen_fold(Gen *g, int level)
{
    indent(g, level);
    Ty t = random_int_type(&g->r);
    str_printf(g->out, "h = (h ^ (h >> 29u32)) * 0x9E3779B97F4A7C15u64 + (");
    gen_expr(g, t, 1);
    str_printf(g->out, " as u64);\n");
}

static void gen_block(Gen *g, int level, int maxstmts);

static void
gen_stmt(Gen *g, int level)
{
    g->stmt_budget--;
    int k = below(&g->r, 100);
    bool nest = level < 5 && g->stmt_budget > 3;
    if (k < 22) {
        Ty t = chance(&g->r, 10) ? T_BOOL : random_int_type(&g->r);
        bool mut = chance(&g->r, 60);
        indent(g, level);
        str_printf(g->out, "%s ", mut ? "var" : "let");
        Str *save = g->out;
        Str tmp = {0};
        g->out = &tmp;
        gen_expr(g, t, 0); /* the initializer cannot see the new variable */
        g->out = save;
        Var *v = new_var(g, t, mut, false);
        if (!v) {
            str_printf(g->out, "unused%d: %s = %s;\n", g->nextname++, ty_name[t], tmp.s);
        } else {
            str_printf(g->out, "%s: %s = %s;\n", v->name, ty_name[t], tmp.s);
        }
        free(tmp.s);
    } else if (k < 27) {
        Ty t = random_int_type(&g->r);
        indent(g, level);
        Str *save = g->out;
        Str tmp = {0};
        g->out = &tmp;
        if (chance(&g->r, 50)) {
            str_printf(g->out, "[");
            gen_expr(g, t, 1);
            str_printf(g->out, "; %d]", ARR_LEN);
        } else {
            str_printf(g->out, "[");
            for (int i = 0; i < ARR_LEN; i++) {
                if (i)
                    str_printf(g->out, ", ");
                gen_expr(g, t, 2);
            }
            str_printf(g->out, "]");
        }
        g->out = save;
        Var *v = new_var(g, t, true, true);
        if (v)
            str_printf(g->out, "var %s: [%s; %d] = %s;\n", v->name, ty_name[t], ARR_LEN, tmp.s);
        else
            str_printf(g->out, "var unused%d: [%s; %d] = %s;\n", g->nextname++, ty_name[t], ARR_LEN,
                       tmp.s);
        free(tmp.s);
    } else if (k < 50) {
        /* assignment, plain or compound, to a scalar or an array element */
        bool arr = chance(&g->r, 30);
        Ty t = random_int_type(&g->r);
        int v = pick_var(g, t, arr, true);
        if (v < 0) {
            gen_fold(g, level);
            return;
        }
        indent(g, level);
        str_printf(g->out, "%s", g->vars[v].name);
        if (arr) {
            str_printf(g->out, "[");
            gen_index(g, 1);
            str_printf(g->out, "]");
        }
        static const char *const aops[] = {
            "=", "+=", "-=", "*=", "&=", "|=", "^=", "<<=", ">>=", "/="};
        int op = below(&g->r, 10);
        str_printf(g->out, " %s ", aops[op]);
        if (op == 9) {
            str_printf(g->out, "(");
            gen_expr(g, t, 1);
            str_printf(g->out, " | 1%s)", ty_name[t]);
        } else {
            gen_expr(g, op >= 7 && chance(&g->r, 50) ? random_int_type(&g->r) : t, 1);
        }
        str_printf(g->out, ";\n");
    } else if (k < 62) {
        gen_fold(g, level);
    } else if (k < 75 && nest) {
        indent(g, level);
        str_printf(g->out, "if ");
        gen_expr(g, T_BOOL, 1);
        str_printf(g->out, " {\n");
        gen_block(g, level + 1, 4);
        indent(g, level);
        if (chance(&g->r, 50)) {
            str_printf(g->out, "} else {\n");
            gen_block(g, level + 1, 4);
            indent(g, level);
        }
        str_printf(g->out, "}\n");
    } else if (k < 90 && nest && g->loop_depth < 3) {
        /* a loop of at most `trips` iterations, if the budget allows */
        int trips = 1 + below(&g->r, 12);
        if (g->iter_used + g->iter_mult * trips > GEN_MAX_ITERS) {
            gen_fold(g, level);
            return;
        }
        g->iter_used += g->iter_mult * trips;
        int saved_mult = g->iter_mult;
        g->iter_mult *= trips;
        g->loop_depth++;
        int saved_vars = g->nvars;
        indent(g, level);
        int form = below(&g->r, 3);
        Ty t = random_int_type(&g->r);
        if (form == 0) {
            /* constant bounds, maybe a step and an unroll */
            Var *lv = new_var(g, t, false, false);
            const char *name = lv ? lv->name : "unusedi";
            int lo = below(&g->r, 5), step = 1 + below(&g->r, 3);
            if (chance(&g->r, 20))
                str_printf(g->out, "@unroll ");
            else if (chance(&g->r, 10))
                str_printf(g->out, "@unroll(%d) ", 1 + below(&g->r, 4));
            str_printf(g->out, "for %s in %d%s..%d%s", name, lo, ty_name[t], lo + trips * step,
                       ty_name[t]);
            if (step > 1)
                str_printf(g->out, " step %d%s", step, ty_name[t]);
            str_printf(g->out, " {\n");
        } else if (form == 1) {
            /* a bound computed at run time, reduced below `trips` + 1 */
            Ty u = chance(&g->r, 50) ? T_U32 : T_U64;
            Str *save = g->out;
            Str tmp = {0};
            g->out = &tmp;
            gen_expr(g, u, 2); /* before the loop variable is in scope */
            g->out = save;
            Var *lv = new_var(g, u, false, false);
            str_printf(g->out, "for %s in 0%s..((%s) %% %d%s) {\n", lv ? lv->name : "unusedi",
                       ty_name[u], tmp.s, trips + 1, ty_name[u]);
            free(tmp.s);
        } else {
            /* while on a counter that only the loop's first statement writes */
            char cname[16];
            snprintf(cname, sizeof cname, "w%d", g->nextname++);
            str_printf(g->out, "var %s: u32 = 0u32;\n", cname);
            indent(g, level);
            str_printf(g->out, "while %s < %du32 {\n", cname, trips);
            indent(g, level + 1);
            str_printf(g->out, "%s += 1u32;\n", cname);
        }
        gen_block(g, level + 1, 4);
        if (chance(&g->r, 25)) {
            indent(g, level + 1);
            str_printf(g->out, "if ");
            gen_expr(g, T_BOOL, 2);
            str_printf(g->out, " { %s; }\n", chance(&g->r, 50) ? "break" : "continue");
        }
        indent(g, level);
        str_printf(g->out, "}\n");
        g->nvars = saved_vars;
        g->loop_depth--;
        g->iter_mult = saved_mult;
    } else if (k < 95 && nest) {
        indent(g, level);
        str_printf(g->out, "{\n");
        gen_block(g, level + 1, 3);
        indent(g, level);
        str_printf(g->out, "}\n");
    } else {
        gen_fold(g, level);
    }
}

/* A block's statements; variables declared in it go out of scope after. */
static void
gen_block(Gen *g, int level, int maxstmts)
{
    int saved = g->nvars;
    int n = 1 + below(&g->r, maxstmts);
    for (int i = 0; i < n && g->stmt_budget > 0; i++)
        gen_stmt(g, level);
    g->nvars = saved;
}

/* fn NAME(params) -> ret { var h: u64 = ...; body; return h as ret; } */
static void
gen_function(Gen *g, const char *name, Ty ret, int nparams, const Ty *params,
             const char *const *pnames, int *iters)
{
    g->nvars = 0;
    g->iter_mult = 1;
    g->iter_used = 0;
    g->loop_depth = 0;
    g->stmt_budget = 10 + below(&g->r, 30);
    str_printf(g->out, "fn %s(", name);
    for (int i = 0; i < nparams; i++) {
        str_printf(g->out, "%s%s: %s", i ? ", " : "", pnames[i], ty_name[params[i]]);
        Var *v = &g->vars[g->nvars++];
        snprintf(v->name, sizeof v->name, "%s", pnames[i]);
        v->ty = params[i];
        v->mut = false;
        v->array = false;
    }
    str_printf(g->out, ") -> %s {\n    var h: u64 = 0x%" PRIx64 "u64;\n", ty_name[ret], rnd(&g->r));
    Var *h = &g->vars[g->nvars++];
    snprintf(h->name, sizeof h->name, "h");
    h->ty = T_U64;
    h->mut = true;
    h->array = false;
    while (g->stmt_budget > 0)
        gen_stmt(g, 1);
    for (int i = 0; i < g->nvars && i < 24; i++) {
        if (g->vars[i].array) {
            str_printf(g->out, "    h = h * 31u64 + (%s[%d] as u64);\n", g->vars[i].name,
                       below(&g->r, ARR_LEN));
        } else if (g->vars[i].name[0] != 'h') {
            str_printf(g->out, "    h = h * 31u64 + (%s as u64);\n", g->vars[i].name);
        }
    }
    if (ret == T_BOOL)
        str_printf(g->out, "    return (h & 1u64) == 1u64;\n}\n\n");
    else
        str_printf(g->out, "    return h as %s;\n}\n\n", ty_name[ret]);
    *iters = g->iter_used;
}

GenProgram
gen_program(uint64_t seed)
{
    Gen g = {.r = {seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL}};
    if (g.r.s == 0)
        g.r.s = 1;
    Str funcs = {0};
    g.out = &funcs;
    str_printf(&funcs, "// generated by claw_gen, seed %" PRIu64 "\n\n", seed);
    static const char *const pn[MAX_PARAMS] = {"p0", "p1", "p2", "p3"};
    int nh = below(&g.r, MAX_HELPERS + 1);
    for (int i = 0; i < nh; i++) {
        Helper *h = &g.helpers[i];
        snprintf(h->name, sizeof h->name, "g%d", i);
        h->ret = chance(&g.r, 10) ? T_BOOL : random_int_type(&g.r);
        h->nparams = 1 + below(&g.r, MAX_PARAMS);
        for (int j = 0; j < h->nparams; j++)
            h->params[j] = chance(&g.r, 10) ? T_BOOL : random_int_type(&g.r);
        g.nhelpers = i; /* a helper calls only earlier ones: no recursion */
        gen_function(&g, h->name, h->ret, h->nparams, h->params, pn, &h->iters);
    }
    g.nhelpers = nh;
    static const Ty fparams[4] = {T_U32, T_I32, T_U64, T_I64};
    static const char *const fpn[4] = {"a", "b", "c", "d"};
    int fiters;
    gen_function(&g, "f", T_U64, 4, fparams, fpn, &fiters);

    Str kernel = {0};
    str_printf(&kernel, "@workgroup(64)\n"
                        "kernel k(n: u32, args: *const u64, out: *u64) {\n"
                        "    let i = global_id.x;\n"
                        "    if i < n {\n"
                        "        out[i] = f(args[4u32 * i] as u32, args[4u32 * i + 1u32] as i32,\n"
                        "                   args[4u32 * i + 2u32], args[4u32 * i + 3u32] as i64);\n"
                        "    }\n"
                        "}\n");
    return (GenProgram){funcs.s, kernel.s};
}

void
gen_program_free(GenProgram *p)
{
    free(p->funcs);
    free(p->kernel);
    p->funcs = p->kernel = NULL;
}
