/* mathlib.c: the math library of the polyfill (IR_PF_MATH, ir.h): the
 * accurate math builtins of docs/language.md §7 written once, as IR, for
 * every target.
 *
 * Each call site of exp exp2 log log2 sin cos tan tanh pow rsqrt that the
 * target does not do itself becomes a CALL of a helper function built once
 * per module and type (`__claw_sin_f64`, ...) made only of plain IR ops:
 * fma, + - * /, RINT, comparisons, selects, bitcasts, integer ops, an IF
 * for the cold Payne-Hanek branch of the trig functions (IrInst.unlikely)
 * and TWO_OVER_PI words (the table ir_two_over_pi). Every float op of a
 * helper is `exact` (IrInst.exact): the error-free steps (TwoSum, TwoProd,
 * the exact splits) must be done as written, never contracted. f16
 * computes in f32 and rounds once. sqrt is every target's own (correctly
 * rounded); which other (op, width) a target keeps is in its flags:
 *   IR_PF_UNIT_EXP2_F32   f32 exp and exp2 stay ops: the target lowers them
 *                         on its hardware 2^f unit (targets/llvm/math.c);
 *   IR_PF_UNIT_RSQRT_F32  f32 and f16 rsqrt stay (the 1/sqrt unit);
 *   IR_PF_UNIT_LOG2_F32   f32 and f16 log2 stay (AMDGPU's v_log_f32);
 *   IR_PF_UNIT_RSQRT_F64  f64 rsqrt stays (SPIR-V's GLSL InverseSqrt).
 * The library relies on fma rounding once (TwoProd, the Cody-Waite steps,
 * Horner), which the LLVM targets' llvm.fma does, unless the flags say
 * IR_PF_FMA_TWICE (SPIR-V: GLSL Fma may round twice). That configuration
 * (Mb.twice) never relies on it: the building blocks mla, two_prod and
 * residual choose a product and a sum, Dekker's product of Veltkamp halves
 * and the exact-product residual; constants are split so that their
 * products with the reduction integer are exact (ln2 in a 16- or 32-bit
 * head, pi/2 in 33 + 33 + 33 + 53 bits); and where fma-free arithmetic (or
 * f32 helpers free of 64-bit types) needs another method, the differing
 * step is its own function: exp2_taylor, reduce_trig32 (f32, every
 * |x| >= 1/2, 32-bit integers), reduce_cw64 and reduce_ph64 (f64 below and
 * above 2^20), sincos_pair_f64 and tanh_big64. It also rewrites the
 * language's fma into its single-rounding emulation (build_fma64,
 * build_fma_odd). Its bounds: docs/spirv.md "Math accuracy".
 *
 * Methods (bounds measured against the host libm: docs/llvm-targets.md):
 *   exp2(x): n = rint(x), f = x - n (exact), e^(f ln2) by a Taylor
 *            polynomial in Horner form with fma, times 2^n built from
 *            exponent bits in two halves (so 2^n never overflows early and
 *            subnormal results round once).
 *   exp(x):  n = rint(x log2 e), r = x - n ln2 with ln2 split in two (fma),
 *            then as exp2.
 *   log(x):  x = m 2^e with m in [sqrt(1/2), sqrt(2)) (subnormals scaled
 *            first), f = m - 1, s = f/(2+f), ln(1+f) = f - (f^2/2 - s (f^2/2
 *            + R)) with R the atanh series tail (fdlibm's shape), e ln2 in
 *            head and tail; log2 carries a head/tail pair.
 *   sin/cos/tan: k = rint(x 2/pi), r = x - k pi/2 with pi/2 in three (f32)
 *            or four (f64) parts (Cody-Waite with fma) below 2^16 (f32) or
 *            2^30 (f64), Payne-Hanek from the table of 2/pi above (a cold
 *            branch), then the sin and cos Taylor polynomials on [-pi/4,
 *            pi/4] picked by k mod 4 (f64 tan: its own series on a
 *            head/tail r).
 *   tanh(x): its odd Taylor series for |x| < 0.55 (f32) or 0.9 (f64),
 *            1 - 2 / (exp(2|x|) + 1) above, x's sign restored by its bit.
 *   pow(x,y): f64: 2^(y log2|x|) with log2|x| in double-double (an atanh
 *            series), the product exact by fma and 2^t taking t's tail
 *            (log2_dd, exp2_dd: 0.54 ulp over the whole range); f32:
 *            exp2(y log2|x|) of the f64 helpers, rounded once. C's special
 *            values (pow_specials).
 *   rsqrt(x): f64 1 / sqrt plus one Newton step on the fma residual; f32
 *            without a unit 1 / sqrt. */
#include <math.h>
#include <stdio.h>

#include "ir.h"

/* Bits of 2/pi (bit i of the fraction weighs 2^-i), after 32 zero bits so
 * that a window may start before the binary point: fraction bit i is bit
 * i + 31 of the table, counting from 0 at the most significant bit of
 * word 0. 1184 fraction bits: enough for the f64 window (192 bits from bit
 * E - 1, E <= 971) of the largest double. Computed with exact integers by
 * this Python (pi from Machin's formula with 64 guard bits; the result
 * agrees with mpmath's 2/pi at 1400 bits):
 *   def atan_inv(n, one):  # atan(1/n) * one
 *       s, t, k, sg = 0, one // n, 1, 1
 *       while t:
 *           s += sg * (t // k); t //= n * n; k += 2; sg = -sg
 *       return s
 *   P = 1184 + 64 + 8; one = 1 << P
 *   pi = 16 * atan_inv(5, one) - 4 * atan_inv(239, one)
 *   f = ((2 << (2 * P)) // pi) >> (P - 1184)
 *   words = [0] + [(f >> (1184 - 32 * (i + 1))) & 0xffffffff for i in range(37)] */
const uint32_t ir_two_over_pi[IR_TWO_OVER_PI_WORDS] = {
    0x00000000, 0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0, 0xdb629599, 0x3c439041, 0xfe5163ab,
    0xdebbc561, 0xb7246e3a, 0x424dd2e0, 0x06492eea, 0x09d1921c, 0xfe1deb1c, 0xb129a73e, 0xe88235f5,
    0x2ebb4484, 0xe99c7026, 0xb45f7e41, 0x3991d639, 0x835339f4, 0x9c845f8b, 0xbdf9283b, 0x1ff897ff,
    0xde05980f, 0xef2f118b, 0x5a0a6d1f, 0x6d367ecf, 0x27cb09b7, 0x4f463f66, 0x9e5fea2d, 0x7527bac7,
    0xebe5f17b, 0x3d0739f7, 0x8a5292ea, 0x6bfb5fb1, 0x1f8d5d08, 0x56033046,
};

enum { ML_OPS = IR_POW - IR_SQRT + 1 };

/* The helpers of one module, made on first use: [op - IR_SQRT][f64]. */
typedef struct Ml {
    IrModule *m;
    unsigned flags;
    IrFunc *helper[ML_OPS][2];
    IrFunc *fma_fn[2]; /* IR_PF_FMA_TWICE: [0] the f64 round-to-odd sum, [1] the f64 fma */
} Ml;

/* Builder state for one helper function of one float type. */
typedef struct Mb {
    Ml *ml;
    IrBuilder b;
    IrType *ft;      /* the float type */
    IrType *it, *ut; /* signed and unsigned integers of its width */
    int bits;        /* 32 or 64 */
    bool twice;      /* IR_PF_FMA_TWICE: no single-rounding fma (the fma-free config) */
} Mb;

static IrFunc *helper_fn(Ml *ml, IrOp op, int bits);

/* ---- building blocks ------------------------------------------------------- */

static IrInst *
k(Mb *mb, double v)
{
    return ir_const_float(&mb->b, mb->ft, v);
}

static IrInst *
ki(Mb *mb, int64_t v)
{
    return ir_const_int(&mb->b, mb->it, (uint64_t)v);
}

static IrInst *
ku(Mb *mb, uint64_t v)
{
    return ir_const_int(&mb->b, mb->ut, v);
}

static IrInst *
bin(Mb *mb, IrOp op, IrInst *a, IrInst *b)
{
    return ir_binop(&mb->b, op, a, b);
}

static IrInst *
un(Mb *mb, IrOp op, IrInst *a)
{
    return ir_unop(&mb->b, op, a);
}

static IrInst *
m_add(Mb *mb, IrInst *a, IrInst *b)
{
    return bin(mb, IR_ADD, a, b);
}

static IrInst *
m_sub(Mb *mb, IrInst *a, IrInst *b)
{
    return bin(mb, IR_SUB, a, b);
}

static IrInst *
m_mul(Mb *mb, IrInst *a, IrInst *b)
{
    return bin(mb, IR_MUL, a, b);
}

static IrInst *
m_div(Mb *mb, IrInst *a, IrInst *b)
{
    return bin(mb, IR_DIV, a, b);
}

static IrInst *
fneg(Mb *mb, IrInst *a)
{
    return un(mb, IR_NEG, a);
}

/* a b + c rounded once: only where the target's fma does so */
static IrInst *
fma3(Mb *mb, IrInst *a, IrInst *b, IrInst *c)
{
    if (mb->twice)
        ICE("single-rounding fma in the fma-free math library");
    IrInst *ops[3] = {a, b, c};
    return ir_emit(&mb->b, IR_FMA, a->type, 3, ops);
}

/* a b + c where one rounding or two are both good enough (polynomials,
 * small corrections): fma, or without one a product and a sum */
static IrInst *
mla(Mb *mb, IrInst *a, IrInst *b, IrInst *c)
{
    if (mb->twice)
        return m_add(mb, m_mul(mb, a, b), c);
    return fma3(mb, a, b, c);
}

static IrInst *
sel(Mb *mb, IrInst *c, IrInst *a, IrInst *b)
{
    return ir_select(&mb->b, c, a, b);
}

static IrInst *
bitcast(Mb *mb, IrInst *x, IrType *to)
{
    return ir_emit(&mb->b, IR_BITCAST, to, 1, &x);
}

static IrInst *
cast(Mb *mb, IrInst *x, IrType *to)
{
    return ir_cast(&mb->b, x, to);
}

static IrInst *
rint1(Mb *mb, IrInst *x)
{
    return un(mb, IR_RINT, x);
}

/* whether x is NaN (NE is unordered) */
static IrInst *
is_nan(Mb *mb, IrInst *x)
{
    return bin(mb, IR_NE, x, x);
}

/* float -> integer for an x already rounded and clamped into range (NaN
 * gives a value that only a select arm NaN does not take may use) */
static IrInst *
exact_int(Mb *mb, IrInst *x)
{
    return ir_emit(&mb->b, IR_FTOI, mb->it, 1, &x);
}

static IrType *
i32_type(Mb *mb)
{
    return ir_type_int(mb->b.m, 32, true);
}

/* Horner: c[0] x^(n-1) + ... + c[n-1] (fma, or mul + add: mla) */
static IrInst *
horner(Mb *mb, IrInst *x, const double *c, int n)
{
    IrInst *p = k(mb, c[0]);
    for (int i = 1; i < n; i++)
        p = mla(mb, p, x, k(mb, c[i]));
    return p;
}

/* v with its low `zero_bits` significand bits (of 53) cleared: a short head
 * whose products with small integers are exact */
static double
head_of(long double v, int zero_bits)
{
    double d = (double)v;
    return ldexp(trunc(ldexp(d, 52 - ilogb(d) - zero_bits)), ilogb(d) - 52 + zero_bits);
}

/* Veltkamp: a = *hi + *lo, each with at most 26 (f64) or 12 (f32)
 * significant bits (no overflow for |a| below 2^996 or 2^115) */
static void
split(Mb *mb, IrInst *a, IrInst **hi, IrInst **lo)
{
    IrInst *c = m_mul(mb, a, k(mb, mb->bits == 32 ? 4097.0 : 134217729.0)); /* 2^s + 1 */
    *hi = m_sub(mb, c, m_sub(mb, c, a));
    *lo = m_sub(mb, a, *hi);
}

/* TwoProd: a b = p + *lo exactly (no overflow or underflow on the way).
 * With a single-rounding fma, *lo = fma(a, b, -p); without, Dekker's
 * product of the Veltkamp halves, with a constant b split on the host and
 * a square split once. */
static IrInst *
two_prod(Mb *mb, IrInst *a, IrInst *b, IrInst **lo)
{
    IrInst *p = m_mul(mb, a, b);
    if (!mb->twice) {
        *lo = fma3(mb, a, b, fneg(mb, p));
        return p;
    }
    IrInst *ah, *al, *bh, *bl;
    split(mb, a, &ah, &al);
    if (a == b) {
        IrInst *t = m_add(mb, m_sub(mb, m_mul(mb, ah, ah), p), m_mul(mb, m_add(mb, ah, ah), al));
        *lo = m_add(mb, t, m_mul(mb, al, al));
        return p;
    }
    if (b->op == IR_CONST) {
        double h = head_of(b->imm.f, mb->bits == 32 ? 53 - 12 : 26);
        bh = k(mb, h);
        bl = k(mb, b->imm.f - h);
    } else {
        split(mb, b, &bh, &bl);
    }
    IrInst *t = m_add(mb, m_sub(mb, m_mul(mb, ah, bh), p), m_mul(mb, ah, bl));
    *lo = m_add(mb, m_add(mb, t, m_mul(mb, al, bh)), m_mul(mb, al, bl));
    return p;
}

/* c - a b with one rounding where a b is within a few ulps of c (a
 * Newton or division residual): fma, or c minus the exact product */
static IrInst *
residual(Mb *mb, IrInst *a, IrInst *b, IrInst *c)
{
    if (!mb->twice)
        return fma3(mb, fneg(mb, a), b, c);
    IrInst *pl, *ph = two_prod(mb, a, b, &pl);
    return m_sub(mb, m_sub(mb, c, ph), pl);
}

static int
mant_bits(Mb *mb)
{
    return mb->bits == 32 ? 23 : 52;
}

static int
exp_bias(Mb *mb)
{
    return mb->bits == 32 ? 127 : 1023;
}

/* p * 2^n for an integer n with |n| <= 2 * (bias - 1), one final rounding */
static IrInst *
scale(Mb *mb, IrInst *p, IrInst *n)
{
    IrInst *n1 = bin(mb, IR_SHR, n, ki(mb, 1));
    IrInst *n2 = bin(mb, IR_SUB, n, n1);
    IrInst *s1 = bin(mb, IR_SHL, bin(mb, IR_ADD, n1, ki(mb, exp_bias(mb))), ki(mb, mant_bits(mb)));
    IrInst *s2 = bin(mb, IR_SHL, bin(mb, IR_ADD, n2, ki(mb, exp_bias(mb))), ki(mb, mant_bits(mb)));
    p = m_mul(mb, p, bitcast(mb, s1, mb->ft));
    return m_mul(mb, p, bitcast(mb, s2, mb->ft));
}

/* The Taylor degree of e^r for |r| <= ln2/2 + a little: 13 (f64) or 7
 * (f32; 8 without fma, whose Horner rounds twice per step) */
static int
exp_degree(Mb *mb)
{
    return mb->bits == 64 ? 13 : mb->twice ? 8 : 7;
}

/* e^r for |r| <= ln2/2 + a little: Taylor series to exp_degree */
static IrInst *
exp_poly(Mb *mb, IrInst *r)
{
    double c[16];
    int deg = exp_degree(mb);
    double f = 1;
    for (int i = 1; i <= deg; i++)
        f *= i;
    for (int i = 0; i <= deg; i++) { /* c[i] = 1/(deg-i)! */
        c[i] = 1.0 / f;
        if (deg - i > 0)
            f /= deg - i;
    }
    return horner(mb, r, c, deg + 1);
}

/* x clamped to [-lim, lim]; NaN stays NaN, or becomes 0 in the fma-free
 * config (SPIR-V's: its float -> integer conversion of NaN is undefined;
 * the callers pass NaN through themselves) */
static IrInst *
clamp_abs(Mb *mb, IrInst *x, double lim)
{
    x = sel(mb, bin(mb, IR_GT, x, k(mb, lim)), k(mb, lim), x);
    x = sel(mb, bin(mb, IR_LT, x, k(mb, -lim)), k(mb, -lim), x);
    return mb->twice ? sel(mb, is_nan(mb, x), k(mb, 0), x) : x;
}

static IrInst *
nan_through(Mb *mb, IrInst *x, IrInst *r)
{
    return sel(mb, is_nan(mb, x), x, r);
}

/* ---- exp, exp2 ---------------------------------------------------------------- */

static const long double LN2L = 0.693147180559945309417232121458176568L;

/* 2^f for |f| <= 1/2 without fma (whose Horner would make the rounded f
 * ln2 of e^(f ln2) cost more): the Taylor polynomial of 2^f itself,
 * coefficients ln2^k / k! */
static IrInst *
exp2_taylor(Mb *mb, IrInst *f)
{
    int deg = exp_degree(mb);
    double c[16];
    long double t = 1;
    for (int i = 0; i <= deg; i++) {
        c[deg - i] = (double)t;
        t = t * LN2L / (i + 1);
    }
    return horner(mb, f, c, deg + 1);
}

static IrInst *
build_exp2(Mb *mb, IrInst *x)
{
    IrInst *xc = clamp_abs(mb, x, mb->bits == 32 ? 150 : 1100);
    IrInst *n = rint1(mb, xc);
    IrInst *f = m_sub(mb, xc, n); /* exact */
    IrInst *r = mb->twice ? f : m_mul(mb, f, k(mb, M_LN2));
    IrInst *ni = exact_int(mb, n);
    IrInst *p = mb->twice ? exp2_taylor(mb, f) : exp_poly(mb, r);
    return nan_through(mb, x, scale(mb, p, ni));
}

/* e^x by the polynomial (also tanh's, whose bound a hardware 2^f unit's
 * error would exceed) */
static IrInst *
build_exp(Mb *mb, IrInst *x)
{
    IrInst *xc = clamp_abs(mb, x, mb->bits == 32 ? 104 : 746);
    IrInst *n = rint1(mb, m_mul(mb, xc, k(mb, M_LOG2E)));
    /* ln2 = hi + lo: with fma, hi is ln2 rounded (n hi + x rounds once);
     * without, hi is short enough (16 bits f32, 32 bits f64) that n hi is
     * exact for every n here, and x - n hi is exact (Sterbenz) */
    double hi = mb->twice        ? head_of(LN2L, mb->bits == 32 ? 53 - 16 : 53 - 32)
                : mb->bits == 32 ? (double)(float)LN2L
                                 : (double)LN2L;
    double lo = (double)(LN2L - hi);
    IrInst *r;
    if (mb->twice) {
        r = m_sub(mb, m_sub(mb, xc, m_mul(mb, n, k(mb, hi))), m_mul(mb, n, k(mb, lo)));
    } else {
        IrInst *nn = fneg(mb, n);
        r = fma3(mb, nn, k(mb, hi), xc);
        r = fma3(mb, nn, k(mb, lo), r);
    }
    return nan_through(mb, x, scale(mb, exp_poly(mb, r), exact_int(mb, n)));
}

/* ---- log, log2 ---------------------------------------------------------------- */

/* x = m 2^e for a positive finite x, m in [sqrt(1/2), sqrt(2)) and e an
 * integer (as a float); subnormal x are scaled by 2^(mant_bits + 2) first */
static void
log_split(Mb *mb, IrInst *x, IrInst **m_out, IrInst **e_out)
{
    int mbits = mant_bits(mb), bias = exp_bias(mb), up = mbits + 2;
    IrInst *sub = bin(mb, IR_LT, x, k(mb, ldexp(1.0, 1 - bias)));
    IrInst *xs = sel(mb, sub, m_mul(mb, x, k(mb, ldexp(1.0, up))), x);
    IrInst *ib = bitcast(mb, xs, mb->ut);
    IrInst *e = bin(mb, IR_AND, bin(mb, IR_SHR, ib, ku(mb, (uint64_t)mbits)),
                    ku(mb, 2 * (uint64_t)bias + 1));
    e = bin(mb, IR_SUB, cast(mb, e, mb->it), sel(mb, sub, ki(mb, bias + up), ki(mb, bias)));
    IrInst *mi = bin(mb, IR_OR, bin(mb, IR_AND, ib, ku(mb, ((uint64_t)1 << mbits) - 1)),
                     ku(mb, (uint64_t)bias << mbits));
    IrInst *m = bitcast(mb, mi, mb->ft);
    IrInst *big = bin(mb, IR_GT, m, k(mb, M_SQRT2));
    *m_out = sel(mb, big, m_mul(mb, m, k(mb, 0.5)), m);
    e = bin(mb, IR_ADD, e, cast(mb, big, mb->it));
    *e_out = cast(mb, e, mb->ft);
}

/* ln(x) or log2(x), fdlibm's shape: x = m 2^e with m in [sqrt(1/2),
 * sqrt(2)) (subnormals scaled first), f = m - 1 (exact), s = f / (2 + f),
 * ln(1+f) = f - (hfsq - s (hfsq + R)) with hfsq = f^2 / 2 and R the atanh
 * series tail, so the rounding errors fall on the small terms; e ln2 (or
 * e) is added with its error kept. */
static IrInst *
build_log(Mb *mb, IrInst *x, bool base2)
{
    bool f32 = mb->bits == 32;
    IrInst *m, *ef;
    log_split(mb, x, &m, &ef);
    IrInst *f = m_sub(mb, m, k(mb, 1)); /* exact (Sterbenz) */
    IrInst *sv = m_div(mb, f, m_add(mb, k(mb, 2), f));
    IrInst *z = m_mul(mb, sv, sv);
    /* R = sum_{k>=1} 2 z^k / (2k + 1), |s| <= 0.1716 */
    int nt = f32 ? 5 : 12;
    double c[12];
    for (int i = nt; i >= 1; i--)
        c[nt - i] = 2.0 / (2 * i + 1);
    IrInst *rr = m_mul(mb, z, horner(mb, z, c, nt));
    IrInst *hfsq = m_mul(mb, k(mb, 0.5), m_mul(mb, f, f));
    IrInst *sr = m_mul(mb, sv, m_add(mb, hfsq, rr));
    IrInst *r;
    if (!base2) {
        /* ln2 = hi + lo, e hi exact for every exponent of the format */
        double hi = head_of(LN2L, f32 ? 53 - 16 : 53 - 32), lo = (double)(LN2L - hi);
        IrInst *t = m_sub(mb, hfsq, m_add(mb, sr, m_mul(mb, ef, k(mb, lo))));
        r = m_add(mb, m_mul(mb, ef, k(mb, hi)), m_sub(mb, f, t));
    } else {
        /* ln(1+f) = hi + lo, hi = f - hfsq cut to 12 (f32) or 21 bits (f64);
         * 1/ln2 = ih + il with ih of 12 or 32 bits: hi ih is exact */
        IrInst *hi = m_sub(mb, f, hfsq);
        uint64_t keep = f32 ? 0xfffff000u : 0xffffffff00000000ull;
        hi = bitcast(mb, bin(mb, IR_AND, bitcast(mb, hi, mb->ut), ku(mb, keep)), mb->ft);
        IrInst *lo = m_add(mb, m_sub(mb, m_sub(mb, f, hi), hfsq), sr);
        long double inv = 1.442695040888963407359924681001892137L;
        double ih = head_of(inv, f32 ? 53 - 12 : 21), il = (double)(inv - ih);
        IrInst *vh = m_mul(mb, hi, k(mb, ih));
        IrInst *vl = m_add(mb, m_mul(mb, m_add(mb, lo, hi), k(mb, il)), m_mul(mb, lo, k(mb, ih)));
        /* e + vh with its rounding error moved into vl */
        IrInst *w = m_add(mb, ef, vh);
        vl = m_add(mb, vl, m_add(mb, m_sub(mb, ef, w), vh));
        r = m_add(mb, w, vl);
    }
    IrInst *inf = k(mb, INFINITY);
    r = sel(mb, bin(mb, IR_EQ, x, inf), inf, r);
    r = sel(mb, bin(mb, IR_EQ, x, k(mb, 0)), k(mb, -INFINITY), r);
    /* x < 0 or NaN (unordered less-than) */
    return sel(mb, un(mb, IR_NOT, bin(mb, IR_GE, x, k(mb, 0))), k(mb, NAN), r);
}

/* ---- sin, cos, tan ------------------------------------------------------------ */

/* Cody-Waite: k = rint(x 2/pi), r = x - k pi/2 with pi/2 in three (f32) or
 * four (f64) parts; exact enough for |x| < 2^16 (f32) and 2^30 (f64;
 * TRIG_BIG_F64), above which build_trig takes the Payne-Hanek branch.
 * f64: x - k p1 is exact (a multiple of 2^-30 below 2^23), x - k p1 - k p2
 * rounds once and is exact below 2^-12 (a multiple of 2^-65), minus k p3
 * rounds once and is exact below 2^-43 (a multiple of 2^-96), and the
 * parts miss pi/2 by 2^-160, k of them by 2^-130: so r has one rounding's
 * error where it is small (the closest a double below 2^30 comes to a
 * multiple of pi/2 is 2^-60.5, at x = 45.553093477052002) and a few
 * where it is not. */
#define TRIG_BIG_F64 0x1p30
static void
reduce_cody_waite(Mb *mb, IrInst *x, IrInst **r_out, IrInst **q_out)
{
    IrInst *kk = rint1(mb, m_mul(mb, x, k(mb, M_2_PI)));
    IrInst *nk = fneg(mb, kk);
    IrInst *r;
    if (mb->bits == 32) {
        long double pio2 = 1.570796326794896619231321691639751442L;
        float p1 = (float)pio2;
        float p2 = (float)(pio2 - p1);
        float p3 = (float)(pio2 - p1 - p2);
        r = fma3(mb, nk, k(mb, p1), x);
        r = fma3(mb, nk, k(mb, p2), r);
        r = fma3(mb, nk, k(mb, p3), r);
    } else {
        /* pi/2 as four doubles of 33 + 33 + 33 + 53 bits */
        r = fma3(mb, nk, k(mb, 1.57079632673412561417e+00), x);
        r = fma3(mb, nk, k(mb, 6.07710050630396597660e-11), r);
        r = fma3(mb, nk, k(mb, 2.02226624871116645580e-21), r);
        r = fma3(mb, nk, k(mb, 8.47842766036889956997e-32), r);
    }
    *r_out = r;
    /* |k| < 2^30 and finite (build_trig sends inf, NaN and larger x
     * elsewhere): its low bits are the quadrant */
    *q_out = ir_emit(&mb->b, IR_FTOI, i32_type(mb), 1, &kk);
}

/* word i + j of the table, as u64 */
static IrInst *
table_word(Mb *mb, IrInst *i, int j)
{
    IrType *u32 = ir_type_int(mb->b.m, 32, false);
    IrInst *idx = bin(mb, IR_ADD, i, ir_const_int(&mb->b, u32, (uint64_t)j));
    IrInst *w = ir_emit(&mb->b, IR_TWO_OVER_PI, u32, 1, &idx);
    return cast(mb, w, ir_type_int(mb->b.m, 64, false));
}

/* Payne-Hanek reduction of a finite f32 x with |x| >= 2^16, where the
 * three-part pi/2 of the Cody-Waite path runs out of bits: |x| = m 2^E
 * (m the 24-bit significand), and the 96 bits of 2/pi that can reach the
 * binary point of m 2^E (2/pi), from bit E - 1 on (earlier bits only add
 * multiples of 4, i.e. whole turns), multiplied by m exactly in 64-bit
 * pieces. Bits 95-94 of the 120-bit product are the quadrant, bits 93-30 the
 * fraction, rounded to the nearest quadrant (a signed fraction), times pi/2
 * in f64. Later bits of 2/pi change the fraction by less than 2^-70, far
 * below the closest any f32 comes to a multiple of pi/2. Sets *r and the
 * quadrant *q (i32, mod 4) of x. */
static void
reduce_payne_hanek_f32(Mb *mb, IrInst *x, IrInst **r, IrInst **q)
{
    IrBuilder *b = &mb->b;
    IrType *u32 = ir_type_int(b->m, 32, false), *u64 = ir_type_int(b->m, 64, false);
    IrType *i32 = i32_type(mb), *i64 = ir_type_int(b->m, 64, true), *f64 = ir_type_float(b->m, 64);
#define U32(v) ir_const_int(b, u32, (v))
#define U64(v) ir_const_int(b, u64, (v))
    IrInst *bits = bitcast(mb, x, u32);
    IrInst *ab = bin(mb, IR_AND, bits, U32(0x7fffffff));
    IrInst *e = bin(mb, IR_SHR, ab, U32(23));
    IrInst *m = bin(mb, IR_OR, bin(mb, IR_AND, ab, U32(0x7fffff)), U32(0x800000));
    /* E = e - 150; the window starts at fraction bit E - 1, which is bit
     * E + 30 of the table counted from 0 at the top of word 0 */
    IrInst *t0 = bin(mb, IR_SUB, e, U32(150 - 30));
    /* wi <= 4 here; the mask (a no-op) shows the target that wi + j stays
     * in the table (ops.def: two_over_pi), so its own guard folds away */
    IrInst *wi = bin(mb, IR_AND, bin(mb, IR_SHR, t0, U32(5)), U32(31));
    IrInst *sh = bin(mb, IR_AND, t0, U32(31));
    IrInst *word[4];
    for (int j = 0; j < 4; j++)
        word[j] = table_word(mb, wi, j);
    /* w_j = 32 bits of the window: (word_j:word_j+1) << sh, top half */
    IrInst *rs = cast(mb, bin(mb, IR_SUB, U32(32), sh), u64);
    IrInst *m64 = cast(mb, m, u64), *p3[3];
    for (int j = 0; j < 3; j++) {
        IrInst *pair = bin(mb, IR_OR, bin(mb, IR_SHL, word[j], U64(32)), word[j + 1]);
        IrInst *w = bin(mb, IR_AND, bin(mb, IR_SHR, pair, rs), U64(0xffffffff));
        p3[j] = bin(mb, IR_MUL, m64, w); /* < 2^56 */
    }
    /* P = p0 2^64 + p1 2^32 + p2: lo = P mod 2^64, hi = P >> 64 */
    IrInst *lo = bin(mb, IR_ADD, p3[2], bin(mb, IR_SHL, p3[1], U64(32)));
    IrInst *carry = cast(mb, bin(mb, IR_LT, lo, p3[2]), u64);
    IrInst *hi = bin(mb, IR_ADD, bin(mb, IR_ADD, p3[0], bin(mb, IR_SHR, p3[1], U64(32))), carry);
    IrInst *quad = cast(mb, cast(mb, bin(mb, IR_SHR, hi, U64(30)), u32), i32);
    IrInst *frac =
        cast(mb, bin(mb, IR_OR, bin(mb, IR_SHL, hi, U64(34)), bin(mb, IR_SHR, lo, U64(30))), i64);
    /* a fraction of 1/2 or more belongs to the next quadrant: read it signed */
    IrInst *up = bin(mb, IR_LT, frac, ir_const_int(b, i64, 0));
    quad = bin(mb, IR_ADD, quad, cast(mb, up, i32));
    IrInst *rf = bin(mb, IR_MUL, cast(mb, frac, f64),
                     ir_const_float(b, f64, 1.57079632679489661923 * 0x1p-64));
    IrInst *rr = cast(mb, rf, mb->ft);
    /* sin and tan are odd, cos even: x < 0 negates r and the quadrant */
    IrInst *neg = bin(mb, IR_LT, cast(mb, bits, i32), ir_const_int(b, i32, 0));
    *r = sel(mb, neg, fneg(mb, rr), rr);
    *q = sel(mb, neg, un(mb, IR_NEG, quad), quad);
#undef U32
#undef U64
}

/* Payne-Hanek reduction of a finite f64 x with |x| >= 2^30 (TRIG_BIG_F64),
 * as the f32 one with a wider window: |x| = m 2^E (m the 53-bit
 * significand, E = e - 1075), and the 192 bits of 2/pi from fraction bit
 * E - 1 on (earlier bits only add whole turns) times m, exactly, in 32-bit
 * limbs with 64-bit products (the low 192 bits of the 245-bit product; the
 * rest are multiples of 4 quadrants). Bits 191-190 are the quadrant, bits
 * 189-0 the fraction, rounded to the nearest quadrant (a signed fraction
 * of at most 1/2). Later bits of 2/pi move the fraction by less than
 * 2^55 2^-190 = 2^-135; the closest a double comes to a multiple of pi/2
 * is 2^-60.9 (x = 6381956970095103 2^797; found by the continued fraction
 * of pi 2^(51-e) for every binade e), so the reduced argument keeps 75
 * correct bits. Its magnitude (one's complement when negative: 2^-190
 * off) is normalised by its leading zeros, its top 128 bits made a
 * head/tail pair of doubles (exact but for the last of them), scaled by
 * 2^-(64 + lz) and multiplied by pi/2 in double-double. Sets *r + *rl
 * (|*rl| <= ulp(*r) / 2, |*r| <= pi/4) and the quadrant *q (i32, mod 4). */
static void
reduce_payne_hanek_f64(Mb *mb, IrInst *x, IrInst **r, IrInst **rl, IrInst **q)
{
    IrBuilder *b = &mb->b;
    IrType *u32 = ir_type_int(b->m, 32, false), *u64 = mb->ut, *i64 = mb->it, *i32 = i32_type(mb);
#define U64(v) ir_const_int(b, u64, (v))
    IrInst *bits = bitcast(mb, x, u64);
    IrInst *e = bin(mb, IR_SHR, bin(mb, IR_SHL, bits, U64(1)), U64(53));
    IrInst *m = bin(mb, IR_OR, bin(mb, IR_AND, bits, U64((1ull << 52) - 1)), U64(1ull << 52));
    /* the window starts at fraction bit E - 1: table bit E + 30 = e - 1045
     * (>= 8 for |x| >= 2^30, <= 1001, so words up to 31 + 6 are read) */
    IrInst *t0 = cast(mb, bin(mb, IR_SUB, e, U64(1045)), u32);
    /* wi <= 31 (above); the mask, a no-op, shows the target so */
    IrInst *wi = bin(mb, IR_AND, bin(mb, IR_SHR, t0, ir_const_int(b, u32, 5)),
                     ir_const_int(b, u32, 31));
    IrInst *rs = cast(
        mb,
        bin(mb, IR_SUB, ir_const_int(b, u32, 32), bin(mb, IR_AND, t0, ir_const_int(b, u32, 31))),
        u64);
    IrInst *mask = U64(0xffffffff), *word[7], *v[6];
    for (int j = 0; j < 7; j++)
        word[j] = table_word(mb, wi, j);
    for (int j = 0; j < 6; j++) { /* v[c]: window limb c from the least significant */
        IrInst *pair = bin(mb, IR_OR, bin(mb, IR_SHL, word[j], U64(32)), word[j + 1]);
        v[5 - j] = bin(mb, IR_AND, bin(mb, IR_SHR, pair, rs), mask);
    }
    /* R = m V mod 2^192 in six 32-bit limbs: m = mh 2^32 + ml, each limb
     * product plus the limb and the carry below 2^64 */
    IrInst *ml = bin(mb, IR_AND, m, mask), *mh = bin(mb, IR_SHR, m, U64(32));
    IrInst *lim[6], *carry = U64(0);
    for (int c = 0; c < 6; c++) {
        IrInst *t = bin(mb, IR_ADD, bin(mb, IR_MUL, ml, v[c]), carry);
        lim[c] = bin(mb, IR_AND, t, mask);
        carry = bin(mb, IR_SHR, t, U64(32));
    }
    carry = U64(0);
    for (int c = 0; c < 5; c++) {
        IrInst *t = bin(mb, IR_ADD, bin(mb, IR_ADD, bin(mb, IR_MUL, mh, v[c]), lim[c + 1]), carry);
        lim[c + 1] = bin(mb, IR_AND, t, mask);
        carry = bin(mb, IR_SHR, t, U64(32));
    }
    IrInst *w[3]; /* the 192 bits as three 64-bit words, w[0] on top */
    for (int i = 0; i < 3; i++)
        w[i] = bin(mb, IR_OR, bin(mb, IR_SHL, lim[5 - 2 * i], U64(32)), lim[4 - 2 * i]);
    IrInst *quad = bin(mb, IR_SHR, w[0], U64(62));
    /* the fraction: the 192 bits shifted left by 2, read signed */
    IrInst *f[3];
    for (int i = 0; i < 3; i++) {
        f[i] = bin(mb, IR_SHL, w[i], U64(2));
        if (i < 2)
            f[i] = bin(mb, IR_OR, f[i], bin(mb, IR_SHR, w[i + 1], U64(62)));
    }
    IrInst *sgn =
        cast(mb, bin(mb, IR_SHR, cast(mb, f[0], i64), ki(mb, 63)), u64); /* 0 or all ones */
    quad = bin(mb, IR_SUB, quad, sgn);
    for (int i = 0; i < 3; i++)
        f[i] = bin(mb, IR_XOR, f[i], sgn);
    /* f[0] >= 2^2 (the fraction is at least 2^-61.5): lz in [1, 61]; the
     * mask keeps the shifts defined whatever the bits */
    IrType *f64 = mb->ft;
    IrInst *lz = bin(mb, IR_AND, un(mb, IR_CLZ, f[0]), U64(63));
    IrInst *rz = bin(mb, IR_SUB, U64(63), lz);
    IrInst *hi = bin(mb, IR_OR, bin(mb, IR_SHL, f[0], lz),
                     bin(mb, IR_SHR, bin(mb, IR_SHR, f[1], U64(1)), rz));
    IrInst *lo = bin(mb, IR_OR, bin(mb, IR_SHL, f[1], lz),
                     bin(mb, IR_SHR, bin(mb, IR_SHR, f[2], U64(1)), rz));
    /* |fraction| = (hi + lo 2^-64) 2^-(64 + lz), hi >= 2^63: hi's top 53
     * bits and its low 11 are exact doubles, lo rounds (2^-117 relative) */
    IrInst *hd = cast(mb, bin(mb, IR_AND, hi, U64(~0x7ffull)), f64);
    IrInst *md = cast(mb, bin(mb, IR_AND, hi, U64(0x7ff)), f64);
    IrInst *tl = fma3(mb, cast(mb, lo, f64), k(mb, 0x1p-64), md);
    IrInst *s = m_add(mb, hd, tl);
    IrInst *se = m_sub(mb, tl, m_sub(mb, s, hd)); /* Fast2Sum */
    IrInst *scb = bin(mb, IR_SHL, bin(mb, IR_SUB, U64(1023 - 64), lz), U64(52));
    IrInst *sc = bitcast(mb, scb, f64);
    s = m_mul(mb, s, sc);
    se = m_mul(mb, se, sc);
    /* times pi/2 = 0x1.921fb54442d18p0 + 0x1.1a62633145c07p-54 (2^-160) */
    double p1 = 0x1.921fb54442d18p0, p2 = 0x1.1a62633145c07p-54;
    IrInst *ph = m_mul(mb, s, k(mb, p1));
    IrInst *pl = fma3(mb, s, k(mb, p1), fneg(mb, ph));
    pl = m_add(mb, pl, fma3(mb, s, k(mb, p2), m_mul(mb, se, k(mb, p1))));
    IrInst *rh = m_add(mb, ph, pl);
    IrInst *rt = m_sub(mb, pl, m_sub(mb, rh, ph));
    /* the fraction's sign, then x's (sin and tan odd, cos even: x < 0
     * negates r and the quadrant) */
    IrInst *xneg = bin(mb, IR_LT, cast(mb, bits, i64), ki(mb, 0));
    IrInst *flip = bin(mb, IR_XOR, bin(mb, IR_NE, sgn, U64(0)), xneg);
    *r = sel(mb, flip, fneg(mb, rh), rh);
    *rl = sel(mb, flip, fneg(mb, rt), rt);
    IrInst *q32 = cast(mb, cast(mb, quad, u32), i32);
    *q = sel(mb, xneg, un(mb, IR_NEG, q32), q32);
#undef U64
}

/* The Taylor coefficients of tan x (sign +1) or tanh x (sign -1) = sum a_n
 * x^(2n+1), from tan' = 1 + tan^2 and tanh' = 1 - tanh^2: a_0 = 1, (2n+1)
 * a_n = sign sum_{i+j=n-1} a_i a_j; c[0..n-1] = a_n .. a_1 for Horner in
 * x^2 */
static void
odd_series_coeffs(double *c, int n, int sign)
{
    long double a[48] = {1};
    for (int j = 1; j <= n; j++) {
        long double sum = 0;
        for (int i = 0; i <= j - 1; i++)
            sum += a[i] * a[j - 1 - i];
        a[j] = sign * sum / (2 * j + 1);
    }
    for (int j = 1; j <= n; j++)
        c[n - j] = (double)a[j];
}

/* a + b = s + *err exactly (Knuth's TwoSum, any magnitudes) */
static IrInst *
two_sum(Mb *mb, IrInst *a, IrInst *b, IrInst **err)
{
    IrInst *s = m_add(mb, a, b);
    IrInst *bv = m_sub(mb, s, a);
    *err = m_add(mb, m_sub(mb, a, m_sub(mb, s, bv)), m_sub(mb, b, bv));
    return s;
}

/* ---- the fma-free reductions (IR_PF_FMA_TWICE) ------------------------------ */

/* a b = hi 2^32 + *lo for 32-bit unsigned a and b, from 16-bit halves (so
 * that the f32 helpers need no 64-bit integers); returns hi */
static IrInst *
umul_wide(Mb *mb, IrInst *a, IrInst *b, IrInst **lo)
{
    IrBuilder *bd = &mb->b;
    IrType *u32 = ir_type_int(bd->m, 32, false);
#define U32(v) ir_const_int(bd, u32, (v))
    IrInst *mask = U32(0xffff), *s16 = U32(16);
    IrInst *ah = bin(mb, IR_SHR, a, s16), *al = bin(mb, IR_AND, a, mask);
    IrInst *bh = bin(mb, IR_SHR, b, s16), *bl = bin(mb, IR_AND, b, mask);
    IrInst *ll = bin(mb, IR_MUL, al, bl), *lh = bin(mb, IR_MUL, al, bh);
    IrInst *hl = bin(mb, IR_MUL, ah, bl), *hh = bin(mb, IR_MUL, ah, bh);
    IrInst *mid = bin(mb, IR_ADD, lh, hl);
    IrInst *cm = sel(mb, bin(mb, IR_LT, mid, lh), U32(0x10000), U32(0));
    IrInst *l = bin(mb, IR_ADD, ll, bin(mb, IR_SHL, mid, s16));
    IrInst *c0 = sel(mb, bin(mb, IR_LT, l, ll), U32(1), U32(0));
    *lo = l;
    return bin(mb, IR_ADD, bin(mb, IR_ADD, hh, bin(mb, IR_SHR, mid, s16)), bin(mb, IR_ADD, cm, c0));
#undef U32
}

/* f32 x = r + q pi/2 (q mod 4) for every finite x, in 32-bit integers and
 * f32 only (the fma-free config's f32 trig needs no 64-bit type; it
 * takes this path for every |x| >= 1/2, there being no exact short
 * Cody-Waite split of pi/2 in f32 worth a branch): |x| = M 2^E, the 96
 * bits of 2/pi from fraction bit E - 1 on (ir_two_over_pi; earlier ones
 * only add whole turns) times the 24-bit M exactly; bits 95-94 of the
 * product are the quadrant, bits 93-30 the fraction, read signed (rounded
 * to the nearest quadrant), normalised to 32 bits and multiplied by pi/2
 * as a Dekker product, so r is within about 0.5 ulp. |x| < 1/2 is its own
 * r. The table words are picked by selects on the word index (0 to 4). */
static void
reduce_trig32(Mb *mb, IrInst *x, IrInst **r_out, IrInst **q_out)
{
    IrBuilder *bd = &mb->b;
    IrType *u32 = ir_type_int(bd->m, 32, false), *i32 = i32_type(mb);
#define U32(v) ir_const_int(bd, u32, (v))
    IrInst *zero = U32(0), *one = U32(1);
    IrInst *bits = bitcast(mb, x, u32);
    IrInst *ab = bin(mb, IR_AND, bits, U32(0x7fffffff));
    IrInst *e = bin(mb, IR_SHR, ab, U32(23));
    IrInst *mant = bin(mb, IR_OR, bin(mb, IR_AND, ab, U32(0x7fffff)), U32(0x800000));
    /* the window starts at table bit e - 120 (e >= 126 where it is used) */
    IrInst *t0 = bin(mb, IR_SUB, e, U32(120));
    IrInst *wi = bin(mb, IR_SHR, t0, U32(5));
    IrInst *sh = bin(mb, IR_AND, t0, U32(31));
    IrInst *w[4];
    for (int j = 0; j < 4; j++) {
        w[j] = U32(ir_two_over_pi[j]);
        for (int c = 1; c <= 4; c++)
            w[j] = sel(mb, bin(mb, IR_EQ, wi, U32((uint64_t)c)), U32(ir_two_over_pi[c + j]), w[j]);
    }
    /* window word j: (w_j : w_j+1) << sh, top half (no shift by 32) */
    IrInst *rsh = bin(mb, IR_SUB, U32(31), sh), *win[3];
    for (int j = 0; j < 3; j++)
        win[j] = bin(mb, IR_OR, bin(mb, IR_SHL, w[j], sh),
                     bin(mb, IR_SHR, bin(mb, IR_SHR, w[j + 1], one), rsh));
    IrInst *l0, *l1, *l2;
    (void)umul_wide(mb, mant, win[0], &l0); /* only its low word reaches bit 95 */
    IrInst *h1 = umul_wide(mb, mant, win[1], &l1);
    IrInst *h2 = umul_wide(mb, mant, win[2], &l2);
    /* product words: p1 = bits 64-95, p2 = bits 32-63, l2 = bits 0-31 */
    IrInst *p2 = bin(mb, IR_ADD, l1, h2);
    IrInst *c2 = sel(mb, bin(mb, IR_LT, p2, l1), one, zero);
    IrInst *p1 = bin(mb, IR_ADD, bin(mb, IR_ADD, l0, h1), c2);
    IrInst *quad = bin(mb, IR_SHR, p1, U32(30));
    IrInst *fh = bin(mb, IR_OR, bin(mb, IR_SHL, p1, U32(2)), bin(mb, IR_SHR, p2, U32(30)));
    IrInst *fl = bin(mb, IR_OR, bin(mb, IR_SHL, p2, U32(2)), bin(mb, IR_SHR, l2, U32(30)));
    /* a fraction of 1/2 or more belongs to the next quadrant: negate it */
    IrInst *up = bin(mb, IR_LT, cast(mb, fh, i32), ir_const_int(bd, i32, 0));
    quad = bin(mb, IR_ADD, quad, sel(mb, up, one, zero));
    IrInst *nfl = bin(mb, IR_SUB, zero, fl);
    IrInst *nfh = bin(mb, IR_ADD, un(mb, IR_NOT, fh), sel(mb, bin(mb, IR_EQ, fl, zero), one, zero));
    IrInst *ah = sel(mb, up, nfh, fh), *al = sel(mb, up, nfl, fl);
    /* normalise |fraction| (2^-64 units) to a 32-bit head with its top bit set */
    IrInst *hz = bin(mb, IR_EQ, ah, zero);
    IrInst *sc = sel(mb, hz, U32(32), zero);
    ah = sel(mb, hz, al, ah);
    al = sel(mb, hz, zero, al);
    /* ah = 0 only for a zero fraction (then r is 0 below); the mask keeps
     * the shifts in range whatever the bits */
    IrInst *s = bin(mb, IR_AND, un(mb, IR_CLZ, ah), U32(31));
    IrInst *nh = bin(mb, IR_OR, bin(mb, IR_SHL, ah, s),
                     bin(mb, IR_SHR, bin(mb, IR_SHR, al, one), bin(mb, IR_SUB, U32(31), s)));
    /* nh = a 2^8 + b with a, b exact in f32; v = vh + vl exactly */
    IrInst *a = cast(mb, bin(mb, IR_SHR, nh, U32(8)), mb->ft);
    IrInst *bb = cast(mb, bin(mb, IR_AND, nh, U32(0xff)), mb->ft);
    IrInst *vl, *vh = two_sum(mb, m_mul(mb, a, k(mb, 256)), bb, &vl);
    long double pio2 = 1.570796326794896619231321691639751442L;
    float p1f = (float)pio2, p2f = (float)(pio2 - p1f);
    IrInst *pl, *ph = two_prod(mb, vh, k(mb, p1f), &pl);
    IrInst *rr = m_add(
        mb, ph, m_add(mb, pl, m_add(mb, m_mul(mb, vh, k(mb, p2f)), m_mul(mb, vl, k(mb, p1f)))));
    /* times 2^(-32 - s - sc): exponent bits of a normal power of two */
    IrInst *pe = bin(mb, IR_SUB, U32(127 - 32), bin(mb, IR_ADD, s, sc));
    rr = m_mul(mb, rr, bitcast(mb, bin(mb, IR_SHL, pe, U32(23)), mb->ft));
    rr = sel(mb, bin(mb, IR_EQ, ah, zero), k(mb, 0), rr);
    /* the sign: the negated fraction, and x < 0 (sin, tan odd; cos even) */
    IrInst *neg = bin(mb, IR_LT, cast(mb, bits, i32), ir_const_int(bd, i32, 0));
    IrInst *flip = bin(mb, IR_XOR, neg, up);
    rr = sel(mb, flip, fneg(mb, rr), rr);
    IrInst *q = cast(mb, quad, i32);
    q = sel(mb, neg, un(mb, IR_NEG, q), q);
    IrInst *big = bin(mb, IR_GE, e, U32(126));
    *r_out = sel(mb, big, rr, x);
    *q_out = sel(mb, big, q, ir_const_int(bd, i32, 0));
#undef U32
}

/* bits first .. first + n - 1 of pi/2 (bit i weighs 2^-i) as a double
 * (n <= 53), from the 240 bits below */
static double
pio2_part(int first, int n)
{
    static const char hex[] = "1921FB54442D18469898CC51701B839A252049C1114CF98E804177D4C7627";
    uint64_t v = 0;
    for (int i = first; i < first + n; i++) {
        int d = (i + 3) / 4, c = hex[d];
        int dv = c <= '9' ? c - '0' : c - 'A' + 10;
        v = v << 1 | (uint64_t)((dv >> (4 * d - i)) & 1);
    }
    return ldexp((double)v, -(first + n - 1));
}

/* f64 |x| below 2^this takes reduce_cw64 (fma-free config), above reduce_ph64 */
#define TRIG_BIG_F64_TWICE 0x1p20

/* f64 Cody-Waite without fma for |x| < 2^20: k = rint(x 2/pi) < 2^20,
 * pi/2 = p1 + p2 + p3 + p4 in 33 + 33 + 33 + 53 bits, so k p1, k p2, k p3
 * are exact, x - k p1 too (Sterbenz), and two TwoSums keep the rest exact
 * up to the rounding of k p4 (2^-136) and the tail sum: x - k pi/2 = rh +
 * rl to about 2^-100 absolute, while no double comes closer to a multiple
 * of pi/2 than 2^-61 (6381956970095103 2^797: 2^-60.9). */
static void
reduce_cw64(Mb *mb, IrInst *x, IrInst **rh, IrInst **rl, IrInst **q)
{
    IrInst *kk = rint1(mb, m_mul(mb, x, k(mb, M_2_PI)));
    IrInst *r1 = m_sub(mb, x, m_mul(mb, kk, k(mb, pio2_part(0, 33))));
    IrInst *kp2 = m_mul(mb, kk, k(mb, pio2_part(33, 33)));
    IrInst *kp3 = m_mul(mb, kk, k(mb, pio2_part(66, 33)));
    IrInst *e1, *s1 = two_sum(mb, r1, fneg(mb, kp2), &e1);
    IrInst *e2, *s2 = two_sum(mb, s1, fneg(mb, kp3), &e2);
    IrInst *t = m_sub(mb, m_add(mb, e1, e2), m_mul(mb, kk, k(mb, pio2_part(99, 53))));
    *rh = two_sum(mb, s2, t, rl);
    *q = ir_emit(&mb->b, IR_FTOI, i32_type(mb), 1, &kk); /* |k| < 2^20 */
}

/* 64-bit word i of the 2/pi table with 64 leading zero bits (fraction bit
 * j is bit j + 63 from the top of word 0): words of ir_two_over_pi in
 * pairs; the last 32 bits past that table (0xfc7b6bab, computed with it)
 * complete word 19 */
static uint64_t
two_over_pi64(int i)
{
    if (i == 0)
        return 0;
    uint64_t lo = 2 * i < IR_TWO_OVER_PI_WORDS ? ir_two_over_pi[2 * i] : 0xfc7b6babu;
    return (uint64_t)ir_two_over_pi[2 * i - 1] << 32 | lo;
}

/* f64 Payne-Hanek of the fma-free config for |x| >= 2^20 (inf and NaN
 * too: garbage that build_trig turns into NaN), in 64-bit integers: |x| =
 * M 2^E (M the 53-bit significand), and the 192 bits of 2/pi from
 * fraction bit E - 1 on (earlier bits only add whole turns) times M,
 * modulo 2^192, from 32-bit halves (u64 products of 32-bit values are
 * exact). Bits 191-190 are the quadrant, the 190 below the fraction, read
 * signed (rounded to the nearest quadrant; the negation is the one's
 * complement, 2^-192 off). The bits of 2/pi past the window change the
 * fraction by less than M 2^-190 < 2^-137, 2^-75 of the smallest reduced
 * argument of any double; the limbs below bit 32 of the product (2^-160)
 * are left out. The limbs convert exactly to f64 and sum, largest first,
 * by Fast2Sum into fh + fl, times pi/2 as a Dekker product. The four
 * table words are picked by selects on the word index (0 to 16): a
 * dynamically indexed table would be a per-invocation array on SPIR-V. */
static void
reduce_ph64(Mb *mb, IrInst *x, IrInst **rh, IrInst **rl, IrInst **q)
{
    IrBuilder *bd = &mb->b;
    IrType *u64 = mb->ut, *i64 = mb->it, *i32 = i32_type(mb);
#define U64(v) ir_const_int(bd, u64, (v))
    IrInst *zero = U64(0), *mask = U64(0xffffffff), *s32 = U64(32);
    IrInst *bits = bitcast(mb, x, u64);
    IrInst *ab = bin(mb, IR_AND, bits, U64(INT64_MAX));
    IrInst *e = bin(mb, IR_SHR, ab, U64(52));
    IrInst *mant = bin(mb, IR_OR, bin(mb, IR_AND, ab, U64((1ull << 52) - 1)), U64(1ull << 52));
    /* E = e - 1075; the window starts at fraction bit E - 1, table bit E + 62 */
    IrInst *t0 = bin(mb, IR_SUB, e, U64(1075 - 62));
    IrInst *wi = bin(mb, IR_SHR, t0, U64(6));
    IrInst *sh = bin(mb, IR_AND, t0, U64(63));
    IrInst *w[4], *is[17];
    for (int c = 1; c <= 16; c++)
        is[c] = bin(mb, IR_EQ, wi, U64((uint64_t)c));
    for (int j = 0; j < 4; j++) {
        w[j] = U64(two_over_pi64(j));
        for (int c = 1; c <= 16; c++)
            w[j] = sel(mb, is[c], U64(two_over_pi64(c + j)), w[j]);
    }
    /* window word j: (w_j : w_j+1) << sh, top half (no shift by 64); its
     * 32-bit halves u[5] (top) .. u[0] */
    IrInst *rsh = bin(mb, IR_SUB, U64(63), sh), *u[6];
    for (int j = 0; j < 3; j++) {
        IrInst *wj = bin(mb, IR_OR, bin(mb, IR_SHL, w[j], sh),
                         bin(mb, IR_SHR, bin(mb, IR_SHR, w[j + 1], U64(1)), rsh));
        u[5 - 2 * j] = bin(mb, IR_SHR, wj, s32);
        u[4 - 2 * j] = bin(mb, IR_AND, wj, mask);
    }
    /* M (u[5..0]) mod 2^192 in 32-bit limbs: M = mh 2^32 + ml, a_t = ml
     * u_t, b_t = mh u_t; limb t sums lo(a_t), hi(a_t-1), lo(b_t-1),
     * hi(b_t-2) and the carry (below 2^35) */
    IrInst *ml = bin(mb, IR_AND, mant, mask), *mh = bin(mb, IR_SHR, mant, s32);
    IrInst *alo[6], *ahi[6], *blo[5], *bhi[5], *limb[6];
    for (int t = 0; t < 6; t++) {
        IrInst *a = bin(mb, IR_MUL, ml, u[t]);
        alo[t] = bin(mb, IR_AND, a, mask);
        ahi[t] = bin(mb, IR_SHR, a, s32);
        if (t < 5) {
            IrInst *b = bin(mb, IR_MUL, mh, u[t]);
            blo[t] = bin(mb, IR_AND, b, mask);
            bhi[t] = bin(mb, IR_SHR, b, s32);
        }
    }
    IrInst *carry = zero;
    for (int t = 0; t < 6; t++) {
        IrInst *acc = alo[t];
        if (t > 0)
            acc = bin(mb, IR_ADD, bin(mb, IR_ADD, acc, ahi[t - 1]),
                      bin(mb, IR_ADD, blo[t - 1], carry));
        if (t > 1)
            acc = bin(mb, IR_ADD, acc, bhi[t - 2]);
        limb[t] = t > 0 ? bin(mb, IR_AND, acc, mask) : acc;
        carry = bin(mb, IR_SHR, acc, s32);
    }
    IrInst *quad = bin(mb, IR_SHR, limb[5], U64(30));
    IrInst *up = bin(mb, IR_NE, bin(mb, IR_AND, limb[5], U64(1 << 29)), zero);
    IrInst *flipm = sel(mb, up, mask, zero);
    /* the fraction (product << 2) in limbs 5..1, its magnitude, as f64
     * parts limb 2^(32 t - 192), exact */
    IrInst *d[6];
    for (int t = 1; t < 6; t++) {
        IrInst *g = bin(
            mb, IR_AND,
            bin(mb, IR_OR, bin(mb, IR_SHL, limb[t], U64(2)), bin(mb, IR_SHR, limb[t - 1], U64(30))),
            mask);
        g = bin(mb, IR_XOR, g, flipm);
        d[t] = m_mul(mb, cast(mb, g, mb->ft), k(mb, ldexp(1.0, 32 * t - 192)));
    }
    /* each part is below the last nonzero one's unit, so Fast2Sum is exact */
    IrInst *fh = d[5], *fl = k(mb, 0);
    for (int t = 4; t >= 1; t--) {
        IrInst *s = m_add(mb, fh, d[t]);
        fl = m_add(mb, fl, m_sub(mb, d[t], m_sub(mb, s, fh)));
        fh = s;
    }
    IrInst *s = m_add(mb, fh, fl);
    fl = m_sub(mb, fl, m_sub(mb, s, fh));
    fh = s;
    /* (fh + fl) (P1 + P2), pi/2 in two 53-bit parts */
    double p1 = pio2_part(0, 53), p2 = pio2_part(53, 53);
    IrInst *pl, *ph = two_prod(mb, fh, k(mb, p1), &pl);
    IrInst *tl = m_add(mb, pl, m_add(mb, m_mul(mb, fh, k(mb, p2)), m_mul(mb, fl, k(mb, p1))));
    IrInst *h = m_add(mb, ph, tl);
    IrInst *l = m_sub(mb, tl, m_sub(mb, h, ph));
    /* the sign: the negated fraction, and x < 0 (sin, tan odd; cos even) */
    IrInst *neg = bin(mb, IR_LT, cast(mb, bits, i64), ir_const_int(bd, i64, 0));
    IrInst *flip = bin(mb, IR_XOR, neg, up);
    *rh = sel(mb, flip, fneg(mb, h), h);
    *rl = sel(mb, flip, fneg(mb, l), l);
    quad = bin(mb, IR_ADD, quad, sel(mb, up, U64(1), zero));
    IrInst *q32 = cast(mb, quad, i32);
    *q = sel(mb, neg, un(mb, IR_NEG, q32), q32);
#undef U64
}


/* sin (which 0) or cos (1) of x from sr = sin r and cr = cos r, x = r + k
 * pi/2 with b0 = bit 0 and b1 = bit 1 of k: the quadrant picks which of
 * the two and its sign */
static IrInst *
pick_quadrant(Mb *mb, int which, IrInst *b0, IrInst *b1, IrInst *sr, IrInst *cr)
{
    IrInst *v = which == 0 ? sel(mb, b0, cr, sr) : sel(mb, b0, sr, cr);
    IrInst *neg = which == 0 ? b1 : bin(mb, IR_XOR, b0, b1);
    return sel(mb, neg, fneg(mb, v), v);
}
/* f64 sin (which 0) or cos (1) of r = rh + rl on [-pi/4, pi/4] picked by
 * the quadrant bits b0, b1, taking the tail (the fma-free config, whose
 * reductions give the pair):
 *   sin = rh + (rh z S(z) + rl (1 - z/2)), z = rh^2, S the Taylor
 *         coefficients from -1/3! (10 terms);
 *   cos = w + (((1 - w) - z/2) + (z^2 C(z) - rh rl)), w = 1 - z/2 (its
 *         rounding error recovered exactly), C from 1/4! (10 terms).
 * The first terms left out are below 2^-60 relative. */
static IrInst *
sincos_pair_f64(Mb *mb, IrInst *rh, IrInst *rl, IrInst *b0, IrInst *b1, int which)
{
    double sc[10], cc[10];
    long double fct = 1;
    for (int i = 1; i <= 23; i++) {
        fct *= i;
        int kk = i / 2;
        double v = (double)((kk % 2 ? -1.0L : 1.0L) / fct);
        if (i % 2 == 1 && kk >= 1 && kk <= 10)
            sc[10 - kk] = v; /* -1/3!, 1/5!, ... */
        if (i % 2 == 0 && kk >= 2 && kk <= 11)
            cc[11 - kk] = v; /* 1/4!, -1/6!, ... */
    }
    IrInst *one = k(mb, 1), *z = m_mul(mb, rh, rh), *rz = m_mul(mb, rh, z);
    IrInst *hz = m_mul(mb, z, k(mb, 0.5));
    IrInst *sw = m_add(mb, m_mul(mb, rz, horner(mb, z, sc, 10)), m_mul(mb, rl, m_sub(mb, one, hz)));
    IrInst *sr = m_add(mb, rh, sw);
    IrInst *w = m_sub(mb, one, hz);
    IrInst *ct = m_sub(mb, m_mul(mb, m_mul(mb, z, z), horner(mb, z, cc, 10)), m_mul(mb, rh, rl));
    IrInst *cr = m_add(mb, w, m_add(mb, m_sub(mb, m_sub(mb, one, w), hz), ct));
    return pick_quadrant(mb, which, b0, b1, sr, cr);
}

/* f64 Cody-Waite as a head/tail pair for tan, |x| < 2^30: x - k pi/2 =
 * *rh + *rl to about 2^-100 relative. pi/2 = p1 + p2 + p3 + p4 (the four
 * parts of reduce_cody_waite, 2^-160 off), x - k p1 exact, k p2 and k p3
 * pairs by TwoProd, each partial sum a pair by TwoSum, taken in the order
 * that keeps every head exact where x is close to a multiple of pi/2:
 * there r1 - k p2 (a multiple of 2^-65 below 2^-12) and then minus k p3 (a
 * multiple of 2^-96 below 2^-43) are representable, so the heads absorb
 * the products' tails exactly and only k p4 and rounding errors of sums
 * that are themselves exact enter the tail (x = 14461176.67027838, 2^-59
 * from 9205943 pi/2, was 1900 ulp off when k p3 was rounded into the tail
 * first). */
static void
reduce_cody_waite_pair(Mb *mb, IrInst *x, IrInst **rh, IrInst **rl, IrInst **q_out)
{
    IrInst *kk = rint1(mb, m_mul(mb, x, k(mb, M_2_PI)));
    IrInst *nk = fneg(mb, kk);
    IrInst *r1 = fma3(mb, nk, k(mb, 1.57079632673412561417e+00), x);
    IrInst *p2 = k(mb, 6.07710050630396597660e-11), *p3 = k(mb, 2.02226624871116645580e-21);
    IrInst *kp2 = m_mul(mb, nk, p2);
    IrInst *kp2_lo = fma3(mb, nk, p2, fneg(mb, kp2)); /* TwoProd */
    IrInst *kp3 = m_mul(mb, nk, p3);
    IrInst *kp3_lo = fma3(mb, nk, p3, fneg(mb, kp3));
    IrInst *e1, *e2, *e3, *e4;
    IrInst *s = two_sum(mb, r1, kp2, &e1);
    s = two_sum(mb, s, kp2_lo, &e2);
    s = two_sum(mb, s, kp3, &e3);
    s = two_sum(mb, s, kp3_lo, &e4);
    IrInst *c = fma3(mb, nk, k(mb, 8.47842766036889956997e-32),
                     m_add(mb, m_add(mb, e1, e2), m_add(mb, e3, e4)));
    *rh = two_sum(mb, s, c, rl);
    *q_out = ir_emit(&mb->b, IR_FTOI, i32_type(mb), 1, &kk); /* as reduce_cody_waite */
}

/* f64 tan of x = rh + rl + k pi/2 (sin / cos rounds three times and the
 * reduction's last steps twice more: 2.8 ulp against CUDA's 2), the pair
 * from reduce_cody_waite_pair or reduce_payne_hanek_f64.
 * tan(rh + rl) = rh + (rh z T(z) + rl (1 + tan^2)), z = rh^2, with T
 * tan's Taylor series (terms shrink by
 * (2r/pi)^2 <= 1/4 on [-pi/4, pi/4]: 28 leave less than 2^-57), so the
 * result rounds once; for odd k it is -1 / tan, the quotient of 1 by the
 * head/tail pair of tan refined by one fma residual step. b0: k is odd. */
static IrInst *
tan_f64(Mb *mb, IrInst *rh, IrInst *rl, IrInst *b0)
{
    IrInst *z = m_mul(mb, rh, rh);
    double tc[32];
    odd_series_coeffs(tc, 28, 1);
    IrInst *m = m_mul(mb, rh, z);
    IrInst *p = horner(mb, z, tc, 28);
    IrInst *ta = mla(mb, m, p, rh);
    IrInst *corr = m_mul(mb, rl, mla(mb, ta, ta, k(mb, 1)));
    IrInst *w = mla(mb, m, p, corr);
    IrInst *th = m_add(mb, rh, w);
    IrInst *tl = m_sub(mb, w, m_sub(mb, th, rh)); /* |w| < |rh|: Fast2Sum */
    /* 1 / (th + tl): q = 1/th, e = 1 - q th - q tl, q + q e */
    IrInst *q = m_div(mb, k(mb, 1), th);
    IrInst *nq = fneg(mb, q);
    IrInst *e = mla(mb, nq, tl, residual(mb, q, th, k(mb, 1)));
    IrInst *cot = mla(mb, q, e, q);
    /* where the step is not a number (th 0 or inf, x inf or NaN) q stays */
    cot = sel(mb, is_nan(mb, cot), q, cot);
    return sel(mb, b0, fneg(mb, cot), th);
}

/* One arm of the trig reduction's branch: its r, q and (rl_slot not NULL)
 * rl into the slots where the arms meet */
static void
store_reduction(IrBuilder *b, IrInst *r_slot, IrInst *q_slot, IrInst *rl_slot, IrInst *r, IrInst *q,
                IrInst *rl)
{
    ir_store(b, r_slot, r);
    ir_store(b, q_slot, q);
    if (rl_slot)
        ir_store(b, rl_slot, rl);
}

/* which: 0 sin, 1 cos, 2 tan */
static IrInst *
build_trig(Mb *mb, IrInst *x, int which)
{
    /* |x| >= 2^16 (f32) or 2^30 (f64), inf and NaN take the Payne-Hanek
     * branch (there x - x, NaN for inf and NaN, 0 otherwise, is added to
     * r), marked unlikely so that the fast path falls through it. The
     * branches meet through private slots. f64 tan takes the reduced
     * argument as a head/tail pair. */
    /* Without fma (IR_PF_FMA_TWICE): f64 takes the pair everywhere, its
     * Cody-Waite (reduce_cw64, 33-bit parts) ends at 2^20, and f32 reduces
     * every x in 32-bit integers (reduce_trig32), without a branch. */
    bool f64 = mb->bits == 64, pair = f64 && (which == 2 || mb->twice);
    IrBuilder *b = &mb->b;
    IrType *i32 = i32_type(mb);
    IrInst *r, *rl = NULL, *q;
    if (mb->twice && !f64) {
        reduce_trig32(mb, x, &r, &q);
    } else {
        IrInst *ax = un(mb, IR_ABS, x);
        double lim = !f64 ? 0x1p16 : mb->twice ? TRIG_BIG_F64_TWICE : TRIG_BIG_F64;
        IrInst *big = un(mb, IR_NOT, bin(mb, IR_LT, ax, k(mb, lim)));
        IrInst *r_slot = ir_local(b, mb->ft, "r"), *q_slot = ir_local(b, i32, "q");
        IrInst *rl_slot = pair ? ir_local(b, mb->ft, "rl") : NULL;
        IrInst *branch = ir_if(b, big);
        branch->unlikely = true;
        IrRegion *outer = b->r;
        b->r = &branch->then_r;
        if (f64 && mb->twice)
            reduce_ph64(mb, x, &r, &rl, &q);
        else if (f64)
            reduce_payne_hanek_f64(mb, x, &r, &rl, &q);
        else
            reduce_payne_hanek_f32(mb, x, &r, &q);
        store_reduction(b, r_slot, q_slot, rl_slot, m_add(mb, r, m_sub(mb, x, x)), q, rl);
        b->r = &branch->else_r;
        if (pair && mb->twice)
            reduce_cw64(mb, x, &r, &rl, &q);
        else if (pair)
            reduce_cody_waite_pair(mb, x, &r, &rl, &q);
        else
            reduce_cody_waite(mb, x, &r, &q);
        store_reduction(b, r_slot, q_slot, rl_slot, r, q, rl);
        b->r = outer;
        r = ir_load(b, r_slot);
        q = ir_load(b, q_slot);
        if (pair)
            rl = ir_load(b, rl_slot);
    }
    IrInst *z = m_mul(mb, r, r);
    /* sin r = r + r z (S1 + z S2 + ...), cos r = 1 + z (C1 + z C2 + ...) */
    double sc[12], cc[12];
    int ns = mb->bits == 32 ? 5 : 10, nc = mb->bits == 32 ? 6 : 11;
    double f = 1;
    for (int i = 1; i <= 2 * nc + 1; i++) {
        f *= i;
        int kidx = i / 2; /* term index */
        double v = (kidx % 2 ? -1.0 : 1.0) / f;
        if (i % 2 == 1 && kidx >= 1 && kidx <= ns)
            sc[ns - kidx] = v;
        if (i % 2 == 0 && kidx >= 1 && kidx <= nc)
            cc[nc - kidx] = v;
    }
    IrInst *c0 = ir_const_int(b, i32, 0);
    IrInst *b0 = bin(mb, IR_NE, bin(mb, IR_AND, q, ir_const_int(b, i32, 1)), c0);
    IrInst *b1 = bin(mb, IR_NE, bin(mb, IR_AND, q, ir_const_int(b, i32, 2)), c0);
    IrInst *res;
    if (pair && which == 2) {
        res = tan_f64(mb, r, rl, b0);
    } else if (pair) {
        res = sincos_pair_f64(mb, r, rl, b0, b1, which);
    } else {
        /* f64 sin and cos with fma take the head alone: its rounding costs
         * at most half an ulp of r (measured: test_trig_huge) */
        IrInst *sr = mla(mb, m_mul(mb, r, z), horner(mb, z, sc, ns), r);
        IrInst *cr = mla(mb, z, horner(mb, z, cc, nc), k(mb, 1));
        if (which == 2) {
            res = sel(mb, b0, fneg(mb, m_div(mb, cr, sr)), m_div(mb, sr, cr));
        } else {
            res = pick_quadrant(mb, which, b0, b1, sr, cr);
        }
    }
    if (!mb->twice)
        return res;
    /* the fma-free forms add a tail to r: sin(-0) and tan(-0) keep their
     * sign; f32 inf and NaN, which no branch saw, give NaN */
    if (which != 1)
        res = sel(mb, bin(mb, IR_EQ, x, k(mb, 0)), x, res);
    if (!f64)
        res = sel(mb, un(mb, IR_NOT, bin(mb, IR_LT, un(mb, IR_ABS, x), k(mb, INFINITY))),
                  k(mb, NAN), res);
    return res;
}

/* ---- tanh ------------------------------------------------------------------- */

/* f64 tanh a for a >= 0.25 without fma (NaN passes): (e^2a - 1)/(e^2a +
 * 1) with e^2a = 2^n (1 + r + q) kept unrounded, so that the error is the
 * final division's half ulp plus a little (1 - 2/(exp(2a) + 1) passes on
 * exp's error: 1.43 ulp with the fma-free exp, CUDA's bound is 1). a is
 * clamped to 22 (tanh rounds to 1 beyond 19.1); u = 2a, n = rint(u log2 e)
 * in [1, 64], r + rl = u - n ln2 (ln2 in a 32-bit head, so u - n hi is
 * exact by Sterbenz, then TwoSum), q = e^r - 1 - r by Taylor to degree 14
 * (|r| <= 0.35: remainder 2^-63) plus rl (1 + r). With e^r - 1 = r + q =
 * eh + el (Fast2Sum), N = (2^n - 1) + 2^n eh + 2^n el and D likewise with
 * 2^n + 1: a TwoSum of exact terms plus the small one (2^n +- 1 is exact up
 * to n = 52); then t = N_hi / D_hi corrected by the residual N - t D. */
static IrInst *
tanh_big64(Mb *mb, IrInst *a)
{
    IrInst *u = m_mul(mb, sel(mb, bin(mb, IR_GT, a, k(mb, 22)), k(mb, 22), a), k(mb, 2));
    IrInst *n = rint1(mb, m_mul(mb, u, k(mb, M_LOG2E)));
    double hi = head_of(LN2L, 53 - 32), lo = (double)(LN2L - hi);
    IrInst *rl,
        *r = two_sum(mb, m_sub(mb, u, m_mul(mb, n, k(mb, hi))), m_mul(mb, n, k(mb, -lo)), &rl);
    double c[13], fac = 1; /* c[i] = 1/(14 - i)!: q = r^2 (1/2! + r/3! + ...) */
    for (int i = 1; i <= 14; i++)
        fac *= i;
    for (int i = 0; i < 13; i++) {
        c[i] = 1.0 / fac;
        fac /= 14 - i;
    }
    IrInst *q = m_mul(mb, m_mul(mb, r, r), horner(mb, r, c, 13));
    q = m_add(mb, q, m_mul(mb, rl, m_add(mb, r, k(mb, 1))));
    /* n in [0, 64] (a NaN a gives garbage that nan_through drops) */
    IrInst *ni = exact_int(mb, sel(mb, is_nan(mb, n), k(mb, 0), n));
    IrInst *p2 = bitcast(
        mb, bin(mb, IR_SHL, bin(mb, IR_ADD, ni, ki(mb, exp_bias(mb))), ki(mb, mant_bits(mb))),
        mb->ft);
    /* e^r - 1 = eh + el (Fast2Sum: |q| < |r|), times 2^n exactly */
    IrInst *eh = m_add(mb, r, q), *el = m_add(mb, m_sub(mb, r, eh), q);
    IrInst *p2e = m_mul(mb, p2, eh), *p2l = m_mul(mb, p2, el);
    IrInst *ne, *nh = two_sum(mb, m_sub(mb, p2, k(mb, 1)), p2e, &ne);
    IrInst *de, *dh = two_sum(mb, m_add(mb, p2, k(mb, 1)), p2e, &de);
    IrInst *nl = m_add(mb, ne, p2l), *dl = m_add(mb, de, p2l);
    /* one division: th = nh / dh within an ulp or two, which the residual
     * corrects (nh - ph is exact: ph is that close to nh) */
    IrInst *inv = m_div(mb, k(mb, 1), dh);
    IrInst *th = m_mul(mb, nh, inv);
    IrInst *res = m_sub(mb, m_add(mb, residual(mb, th, dh, nh), nl), m_mul(mb, th, dl));
    IrInst *t = m_add(mb, th, m_mul(mb, res, inv));
    /* from a = 17 (n >= 49) on, 2^n +- 1 stops being exact at n = 53;
     * there 1 - 2/(e^2a + 1) = 1 - 2 inv is within 2^-48 of 1, so its
     * rounding errors are far below 1's half ulp */
    IrInst *t1 = m_sub(mb, k(mb, 1), m_add(mb, inv, inv));
    return nan_through(mb, a, sel(mb, bin(mb, IR_GT, a, k(mb, 17)), t1, t));
}

static IrInst *
build_tanh(Mb *mb, IrInst *x)
{
    bool big64 = mb->twice && mb->bits == 64;
    IrInst *a = un(mb, IR_ABS, x);
    IrInst *a2 = big64 ? NULL : m_mul(mb, a, k(mb, 2));
    /* |x| < cut: tanh x = x + x z P(z), z = x^2, by its Taylor series, so
     * tiny x give x and the error stays near half an ulp (CUDA's bound is
     * 2 ulp f32, 1 ulp f64). Terms shrink by (2x/pi)^2: below 0.55 (f32)
     * by 0.123, 10 terms leave less than 2^-27; below 0.9 (f64) by 0.33,
     * 38 terms leave less than 2^-58. Above, 1 - 2/(e^2x + 1) passes on
     * exp's error times 2 e^2x / ((e^2x + 1)^2 tanh x): 0.75 at 0.55 but
     * 0.34 at 0.9, which keeps f64 within CUDA's 1 ulp. */
    /* Without fma, f64 switches at 0.25 (11 terms leave less than 2^-63)
     * to tanh_big64, as accurate as the series and without its growing
     * error near tanh x = 1/2. */
    double c[40];
    int nt = mb->bits == 32 ? 10 : big64 ? 11 : 38;
    double cut = mb->bits == 32 ? 0.55 : big64 ? 0.25 : 0.9;
    odd_series_coeffs(c, nt, -1);
    IrInst *z = m_mul(mb, a, a);
    IrInst *ts = mla(mb, m_mul(mb, a, z), horner(mb, z, c, nt), a);
    IrInst *tb;
    if (big64) {
        tb = tanh_big64(mb, a);
    } else {
        IrInst *e = build_exp(mb, a2);
        tb = m_sub(mb, k(mb, 1), m_div(mb, k(mb, 2), m_add(mb, e, k(mb, 1))));
    }
    IrInst *t = sel(mb, bin(mb, IR_LT, a, k(mb, cut)), ts, tb);
    /* copysign(t, x): t's magnitude bits (t is not negative, or NaN) with x's sign */
    uint64_t sign = (uint64_t)1 << (mb->bits - 1);
    IrInst *mag = bin(mb, IR_AND, bitcast(mb, t, mb->ut), ku(mb, sign - 1));
    IrInst *sx = bin(mb, IR_AND, bitcast(mb, x, mb->ut), ku(mb, sign));
    return bitcast(mb, bin(mb, IR_OR, mag, sx), mb->ft);
}

/* ---- f64 pow in double-double ---------------------------------------------

 * A double-double (Dd) is an unevaluated sum hi + lo with |lo| at most a few
 * ulps of hi: ~106 bits. The operations below (Dekker's, with fma for the
 * exact product) lose at most a few units of 2^-104 relative. */
typedef struct Dd {
    IrInst *hi, *lo;
} Dd;

/* a double-double constant: v = hi + lo with hi = RN(v) (lo exact to 2^-106) */
static Dd
dd_const(Mb *mb, double hi, double lo)
{
    return (Dd){k(mb, hi), k(mb, lo)};
}

/* p/q for small integers: hi = RN(p/q), lo = (p - hi q)/q with p - hi q
 * exact by the host's fma */
static Dd
dd_ratio(Mb *mb, double p, double q)
{
    double hi = p / q;
    return dd_const(mb, hi, fma(-hi, q, p) / q);
}

/* a b exactly (two_prod) */
static Dd
dd_prod(Mb *mb, IrInst *a, IrInst *b)
{
    Dd p;
    p.hi = two_prod(mb, a, b, &p.lo);
    return p;
}

static Dd
dd_mul(Mb *mb, Dd a, Dd b)
{
    Dd p = dd_prod(mb, a.hi, b.hi);
    p.lo = mla(mb, a.hi, b.lo, mla(mb, a.lo, b.hi, p.lo));
    return p;
}

static Dd
dd_mul_d(Mb *mb, Dd a, IrInst *b)
{
    Dd p = dd_prod(mb, a.hi, b);
    p.lo = fma3(mb, a.lo, b, p.lo);
    return p;
}

/* a + b for |a.hi| >= |b.hi| or a.hi = 0 (Fast2Sum on the heads) */
static Dd
dd_add_fast(Mb *mb, Dd a, Dd b)
{
    IrInst *s = m_add(mb, a.hi, b.hi);
    IrInst *e = m_add(mb, m_sub(mb, a.hi, s), b.hi);
    return (Dd){s, m_add(mb, e, m_add(mb, a.lo, b.lo))};
}

/* a + b exactly for any doubles (Knuth's TwoSum) */
static Dd
dd_sum(Mb *mb, IrInst *a, IrInst *b)
{
    IrInst *e;
    IrInst *s = two_sum(mb, a, b, &e);
    return (Dd){s, e};
}

/* hi + lo renormalised: |lo| <= ulp(hi) / 2 */
static Dd
dd_norm(Mb *mb, Dd a)
{
    IrInst *s = m_add(mb, a.hi, a.lo);
    return (Dd){s, m_sub(mb, a.lo, m_sub(mb, s, a.hi))};
}

/* log2 x for a positive finite f64 x as a double-double, relative error
 * below 2^-70: x = m 2^e, m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh s =
 * 2s + s z (2/3 + z (2/5 + z A)) with s = (m - 1)/(m + 1), z = s^2 and
 * A = 2/7 + 2z/9 + ... + 2z^10/27 in plain f64 (|s| <= 0.1716, z <= 2^-5.08:
 * the omitted terms weigh below 2^-76 of ln m, and A's rounding, damped by
 * z^3 / 5, about 2^-70); everything else in double-double: s (its residual
 * m - 1 - s (m + 1) exact by fma), z, the two leading levels of the series,
 * the product by 1/ln2 and the sum with e. */
static Dd
log2_dd(Mb *mb, IrInst *x)
{
    IrInst *m, *ef;
    log_split(mb, x, &m, &ef);
    IrInst *f = m_sub(mb, m, k(mb, 1)); /* exact (Sterbenz) */
    /* d = 2 + f exactly (Fast2Sum), s = f / d in double-double */
    IrInst *dh = m_add(mb, k(mb, 2), f);
    IrInst *dl = m_add(mb, m_sub(mb, k(mb, 2), dh), f);
    IrInst *inv = m_div(mb, k(mb, 1), dh);
    IrInst *sh = m_mul(mb, f, inv);
    IrInst *res = residual(mb, sh, dh, f);
    res = mla(mb, fneg(mb, sh), dl, res);
    Dd s = {sh, m_mul(mb, res, inv)};
    Dd z = dd_prod(mb, sh, sh);
    z.lo = mla(mb, m_mul(mb, sh, k(mb, 2)), s.lo, z.lo);
    double c[11];
    for (int i = 0; i < 11; i++) /* 2/27, 2/25, ..., 2/7 */
        c[i] = 2.0 / (27 - 2 * i);
    IrInst *a = horner(mb, z.hi, c, 11);
    /* z A is below 2^-5.5 of 2/5: without fma its plain product is enough */
    Dd za = mb->twice ? (Dd){m_mul(mb, z.hi, a), k(mb, 0)} : dd_mul_d(mb, z, a);
    Dd t = dd_add_fast(mb, dd_ratio(mb, 2, 5), za);
    t = dd_add_fast(mb, dd_ratio(mb, 2, 3), dd_mul(mb, z, t));
    t = dd_mul(mb, dd_mul(mb, s, z), t);
    Dd ln = dd_add_fast(mb, (Dd){m_mul(mb, s.hi, k(mb, 2)), m_mul(mb, s.lo, k(mb, 2))}, t);
    /* 1/ln2 = 0x1.71547652b82fep0 + 0x1.777d0ffda0d24p-56 (error 2^-110) */
    Dd l = dd_mul(mb, ln, dd_const(mb, 0x1.71547652b82fep0, 0x1.777d0ffda0d24p-56));
    /* |e| >= 1 > |log2 m| unless e = 0 */
    return dd_norm(mb, dd_add_fast(mb, (Dd){ef, k(mb, 0)}, l));
}

/* 2^t for a double-double t: n = rint(t_hi), f = (t_hi - n) + t_lo exactly
 * (TwoSum), r = f ln2 in double-double (|r| <= ln2/2 + 2^-40), e^r = 1 + r +
 * r^2/2 + r^3 P(r) with P the Taylor series to degree 14 (omitted: 2^-63)
 * and the leading sums exact (Fast2Sum), so the result is 0.5 ulp plus a
 * few hundredths; times 2^n in two halves (one rounding into the
 * subnormals, inf above). |t_hi| > 1100 is clamped (t_lo dropped): 0 or
 * inf. NaN passes. */
static IrInst *
exp2_dd(Mb *mb, Dd t)
{
    IrInst *th = clamp_abs(mb, t.hi, 1100);
    IrInst *huge = bin(mb, IR_GT, un(mb, IR_ABS, t.hi), k(mb, 1100));
    IrInst *tl = sel(mb, huge, k(mb, 0), t.lo);
    IrInst *n = rint1(mb, th);
    Dd f = dd_sum(mb, m_sub(mb, th, n), tl); /* th - n exact */
    /* ln2 = 0x1.62e42fefa39efp-1 + 0x1.abc9e3b39803fp-56 (error 2^-110) */
    double l2h = 0x1.62e42fefa39efp-1, l2l = 0x1.abc9e3b39803fp-56;
    Dd r = dd_prod(mb, f.hi, k(mb, l2h));
    r.lo = m_add(mb, r.lo, mla(mb, f.hi, k(mb, l2l), m_mul(mb, f.lo, k(mb, l2h))));
    /* P(r) = 1/3! + r/4! + ... + r^11/14! */
    double c[12], fac = 1;
    for (int i = 1; i <= 14; i++)
        fac *= i;
    for (int i = 0; i < 12; i++) { /* c[i] = 1/(14 - i)! */
        c[i] = 1.0 / fac;
        fac /= 14 - i;
    }
    IrInst *r2 = m_mul(mb, r.hi, r.hi);
    IrInst *cube = m_mul(mb, m_mul(mb, r2, r.hi), horner(mb, r.hi, c, 12));
    Dd h = dd_prod(mb, m_mul(mb, r.hi, k(mb, 0.5)), r.hi); /* r^2/2 */
    Dd s1 = dd_add_fast(mb, (Dd){k(mb, 1), k(mb, 0)}, (Dd){r.hi, k(mb, 0)});
    Dd s2 = dd_add_fast(mb, (Dd){s1.hi, k(mb, 0)}, (Dd){h.hi, k(mb, 0)});
    /* e^(r_hi + r_lo) = e^r_hi (1 + r_lo): r_lo (1 + r_hi) to first order */
    IrInst *rl = mla(mb, r.lo, r.hi, r.lo);
    IrInst *tail = m_add(mb, m_add(mb, s1.lo, s2.lo), m_add(mb, h.lo, m_add(mb, cube, rl)));
    /* A subnormal result p 2^n would round twice (p to 53 bits, then to the
     * subnormal grid): there C = 2^(-1022 - n) > p instead, so C + p lies in
     * [C, 2C), whose grid is the subnormals' in p's scale; (C + p) - C is
     * exact, and so is its product by 2^n. C = 0 for normal results. */
    IrInst *ni = exact_int(mb, n);
    IrInst *ck = bin(mb, IR_SUB, ki(mb, -1022), ni);
    ck = sel(mb, bin(mb, IR_LT, ck, ki(mb, -1)), ki(mb, -1), ck);
    IrInst *cb = bin(mb, IR_SHL, bin(mb, IR_ADD, ck, ki(mb, 1023)), ki(mb, 52));
    IrInst *cv = bitcast(mb, cb, mb->ft);
    cv = sel(mb, bin(mb, IR_LT, s2.hi, cv), cv, k(mb, 0));
    Dd q = dd_add_fast(mb, (Dd){cv, k(mb, 0)}, (Dd){s2.hi, tail});
    IrInst *p = m_sub(mb, m_add(mb, q.hi, q.lo), cv);
    return nan_through(mb, t.hi, scale(mb, p, ni));
}

/* C's pow around r = |x|^y (computed for |x| whatever the sign of x):
 * pow(+-1, y) has magnitude 1 (so pow(-1, +-inf) = 1); a negative x with an
 * odd integer y negates (-0 and -inf included); x < 0 finite with y not an
 * integer is NaN (pow(-inf, 0.5) is +inf); pow(x, 0) = pow(1, y) = 1, NaN
 * included. */
static IrInst *
pow_specials(Mb *mb, IrInst *x, IrInst *y, IrInst *ax, IrInst *r)
{
    r = sel(mb, bin(mb, IR_EQ, ax, k(mb, 1)), k(mb, 1), r);
    IrInst *yint = bin(mb, IR_EQ, un(mb, IR_TRUNC, y), y);
    IrInst *yh = m_mul(mb, y, k(mb, 0.5));
    IrInst *yodd = bin(mb, IR_AND, yint, bin(mb, IR_NE, un(mb, IR_TRUNC, yh), yh));
    IrInst *xneg = bin(mb, IR_LT, bitcast(mb, x, mb->it), ki(mb, 0)); /* -0 too */
    r = sel(mb, bin(mb, IR_AND, xneg, yodd), fneg(mb, r), r);
    IrInst *negfin =
        bin(mb, IR_AND, bin(mb, IR_LT, x, k(mb, 0)), bin(mb, IR_GT, x, k(mb, -INFINITY)));
    r = sel(mb, bin(mb, IR_AND, negfin, un(mb, IR_NOT, yint)), k(mb, NAN), r);
    IrInst *one = bin(mb, IR_OR, bin(mb, IR_EQ, y, k(mb, 0)), bin(mb, IR_EQ, x, k(mb, 1)));
    return sel(mb, one, k(mb, 1), r);
}

/* f64: |x|^y = 2^(y log2|x|) with log2|x| in double-double (log2_dd), the
 * product y log2|x| exact to 2^-100 (TwoProd) and 2^t taking t's tail
 * (exp2_dd): the error stays near 0.5 ulp however large |t| is. log2 of 0
 * and inf are -inf and inf (tail 0), so 0^y and inf^y come out of the same
 * path. */
static IrInst *
build_pow(Mb *mb, IrInst *x, IrInst *y)
{
    IrInst *ax = un(mb, IR_ABS, x);
    Dd l = log2_dd(mb, ax);
    IrInst *zero = bin(mb, IR_EQ, ax, k(mb, 0));
    IrInst *inf = bin(mb, IR_EQ, ax, k(mb, INFINITY));
    IrInst *nan = is_nan(mb, ax);
    l.hi = sel(mb, zero, k(mb, -INFINITY), sel(mb, inf, ax, sel(mb, nan, ax, l.hi)));
    l.lo = sel(mb, bin(mb, IR_OR, bin(mb, IR_OR, zero, inf), nan), k(mb, 0), l.lo);
    Dd t = dd_prod(mb, y, l.hi);
    t.lo = mla(mb, y, l.lo, t.lo);
    return pow_specials(mb, x, y, ax, exp2_dd(mb, t));
}

static void mb_init(Mb *mb, Ml *ml, IrFunc *f, int bits);
static void mark_exact(IrRegion *r);

/* f32: exp2(y log2|x|) in f64 with the f64 log2 and exp2 helpers, rounded
 * to f32 once: their error grows with |t| = |y log2 x| (3 + 5|t| f64 ulps,
 * |t| <= 150 where an f32 result is finite and not 0) but stays below
 * 2^-18 f32 ulp, so the cheaper composition is as good as the f64 pow here. */
static IrInst *
build_pow_f32(Mb *mb, IrInst *x, IrInst *y)
{
    Mb m64;
    mb_init(&m64, mb->ml, mb->b.f, 64);
    m64.b = mb->b;
    IrInst *xd = cast(&m64, x, m64.ft), *yd = cast(&m64, y, m64.ft);
    IrInst *ax = un(&m64, IR_ABS, xd);
    IrInst *l2 = ir_call(&m64.b, helper_fn(mb->ml, IR_LOG2, 64), 1, &ax);
    IrInst *t = m_mul(&m64, yd, l2);
    IrInst *r = ir_call(&m64.b, helper_fn(mb->ml, IR_EXP2, 64), 1, &t);
    IrInst *v = cast(&m64, pow_specials(&m64, xd, yd, ax, r), mb->ft);
    mb->b = m64.b;
    return v;
}

/* ---- rsqrt -------------------------------------------------------------------- */

/* f64: 1 / sqrt rounds twice (1.45 ulp; CUDA's rsqrt is 1 ulp), so one
 * Newton step on the exact residual e = 1 - x r^2 (r^2 = p + pl by fma,
 * x p + 1 by fma): r + r e / 2. x beyond 2^+-512 is scaled by 2^-+600 first
 * (r^2 must neither underflow nor overflow) and r by 2^-+300 after; where
 * the step is not a number (x 0, inf, negative or NaN) r stays. f32 (a
 * target without a 1/sqrt unit): 1 / sqrt. */
static IrInst *
build_rsqrt(Mb *mb, IrInst *x)
{
    if (mb->bits == 32)
        return m_div(mb, k(mb, 1), un(mb, IR_SQRT, x));
    IrInst *big = bin(mb, IR_GT, x, k(mb, 0x1p512));
    IrInst *tiny = bin(mb, IR_LT, x, k(mb, 0x1p-512));
    IrInst *pre = sel(mb, big, k(mb, 0x1p-600), sel(mb, tiny, k(mb, 0x1p600), k(mb, 1)));
    IrInst *post = sel(mb, big, k(mb, 0x1p-300), sel(mb, tiny, k(mb, 0x1p300), k(mb, 1)));
    x = m_mul(mb, x, pre);
    IrInst *r = m_div(mb, k(mb, 1), un(mb, IR_SQRT, x));
    IrInst *pl, *p = two_prod(mb, r, r, &pl);
    IrInst *nx = fneg(mb, x);
    IrInst *e0 = mb->twice ? residual(mb, x, p, k(mb, 1)) : fma3(mb, nx, p, k(mb, 1));
    IrInst *e = mla(mb, nx, pl, e0);
    IrInst *rc = mla(mb, m_mul(mb, r, k(mb, 0.5)), e, r);
    return m_mul(mb, sel(mb, is_nan(mb, rc), r, rc), post);
}

/* ---- fma with one rounding, for a target whose fma may round twice ---------- */

/* a + b rounded to odd: the nearest sum, moved one ulp towards the exact
 * sum when it is inexact and its last bit is even (0). A zero nearest sum
 * is exact; an infinite one has a NaN error and stays. */
static IrInst *
add_odd(Mb *mb, IrInst *a, IrInst *b)
{
    IrInst *e, *s = two_sum(mb, a, b, &e);
    IrInst *sb = bitcast(mb, s, mb->it);
    IrInst *even = bin(mb, IR_EQ, bin(mb, IR_AND, sb, ki(mb, 1)), ki(mb, 0));
    /* ordered compares: a NaN e (infinite s) is not inexact */
    IrInst *up = bin(mb, IR_GT, e, k(mb, 0));
    IrInst *inexact = bin(mb, IR_OR, up, bin(mb, IR_LT, e, k(mb, 0)));
    /* away from zero when e has s's sign */
    IrInst *toward0 = bin(mb, IR_XOR, up, bin(mb, IR_GT, s, k(mb, 0)));
    IrInst *step = sel(mb, toward0, ki(mb, -1), ki(mb, 1));
    IrInst *nudged = bitcast(mb, bin(mb, IR_ADD, sb, step), mb->ft);
    return sel(mb, bin(mb, IR_AND, even, inexact), nudged, s);
}

/* __claw_fma_odd_f64(a, b, c): a b + c rounded to odd for f64 operands
 * widened from f16 or f32, whose product is exact; rounding that once more
 * to 11 or 24 bits is the correctly rounded fma (53 >= 2 * 24 + 2) */
static IrInst *
build_fma_odd(Mb *mb, IrInst *a, IrInst *b, IrInst *c)
{
    return add_odd(mb, m_mul(mb, a, b), c);
}

/* __claw_fma_f64(a, b, c): a b = uh + ul exactly (Dekker), then Boldo and
 * Melquiond: (th, tl) = TwoSum(c, uh), RN(th + RO(tl + ul)). The split
 * overflows past 2^996, ul underflows below 2^-969 (a or b zero is fine)
 * and TwoSum overflows near the top; there (NaN and inf fail the ordered
 * compares too) the target's own fma, which rounds once for every finite
 * operand there but the rare underflowing ones. */
static IrInst *
build_fma64(Mb *mb, IrInst *a, IrInst *b, IrInst *c)
{
    IrInst *ul, *uh = two_prod(mb, a, b, &ul);
    IrInst *tl, *th = two_sum(mb, c, uh, &tl);
    IrInst *r = m_add(mb, th, add_odd(mb, tl, ul));
    IrInst *lim = k(mb, 0x1p995), *big = k(mb, 0x1p1020);
    IrInst *au = un(mb, IR_ABS, uh);
    IrInst *ok = bin(mb, IR_LT, un(mb, IR_ABS, a), lim);
    ok = bin(mb, IR_AND, ok, bin(mb, IR_LT, un(mb, IR_ABS, b), lim));
    ok = bin(mb, IR_AND, ok, bin(mb, IR_LT, un(mb, IR_ABS, c), big));
    ok = bin(mb, IR_AND, ok, bin(mb, IR_LT, au, big));
    IrInst *no_uf = bin(mb, IR_OR, bin(mb, IR_GE, au, k(mb, 0x1p-969)),
                        bin(mb, IR_OR, bin(mb, IR_EQ, a, k(mb, 0)), bin(mb, IR_EQ, b, k(mb, 0))));
    ok = bin(mb, IR_AND, ok, no_uf);
    IrInst *ops[3] = {a, b, c};
    IrInst *g = ir_emit(&mb->b, IR_FMA, mb->ft, 3, ops);
    return sel(mb, ok, r, g);
}

/* The f64 fma helper: odd, the round-to-odd sum of build_fma_odd; else
 * the fma of build_fma64. Built on first use. */
static IrFunc *
fma_helper(Ml *ml, bool odd)
{
    IrFunc **slot = &ml->fma_fn[!odd];
    if (*slot)
        return *slot;
    IrModule *m = ml->m;
    IrType *ft = ir_type_float(m, 64);
    IrParam params[3] = {
        {.name = "a", .type = ft}, {.name = "b", .type = ft}, {.name = "c", .type = ft}};
    IrFunc *f = ir_func_new(m, odd ? "__claw_fma_odd_f64" : "__claw_fma_f64", false, ft, 3, params,
                            (SrcLoc){0});
    *slot = f;
    Mb mb;
    mb_init(&mb, ml, f, 64);
    IrInst **p = f->param_values;
    IrInst *r = odd ? build_fma_odd(&mb, p[0], p[1], p[2]) : build_fma64(&mb, p[0], p[1], p[2]);
    ir_emit(&mb.b, IR_RETURN, ir_type_void(m), 1, &r);
    mark_exact(&f->body);
    return f;
}

/* ---- helpers and call sites ------------------------------------------------ */

static void
mb_init(Mb *mb, Ml *ml, IrFunc *f, int bits)
{
    IrModule *m = ml->m;
    *mb = (Mb){.ml = ml,
               .b = {.m = m, .f = f, .r = &f->body},
               .bits = bits,
               .twice = (ml->flags & IR_PF_FMA_TWICE) != 0};
    mb->ft = ir_type_float(m, (uint32_t)bits);
    mb->it = ir_type_int(m, (uint32_t)bits, true);
    mb->ut = ir_type_int(m, (uint32_t)bits, false);
}

/* Marks every float op of r exact (the error-free steps). */
static void
mark_exact(IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        IrInst *in = r->insts[i];
        if (in->type && in->type->kind == IRT_FLOAT)
            in->exact = true;
        mark_exact(&in->then_r);
        mark_exact(&in->else_r);
    }
}

/* The helper function for op on f32/f64, built on first use. */
static IrFunc *
helper_fn(Ml *ml, IrOp op, int bits)
{
    IrFunc **slot = &ml->helper[op - IR_SQRT][bits == 64];
    if (*slot)
        return *slot;
    IrModule *m = ml->m;
    IrType *ft = ir_type_float(m, (uint32_t)bits);
    IrParam params[2] = {{.name = "x", .type = ft}, {.name = "y", .type = ft}};
    char name[64];
    snprintf(name, sizeof name, "__claw_%s_f%d", ir_op_name(op), bits);
    IrFunc *f = ir_func_new(m, name, false, ft, op == IR_POW ? 2 : 1, params, (SrcLoc){0});
    *slot = f;
    Mb mb;
    mb_init(&mb, ml, f, bits);
    IrInst *x = f->param_values[0], *r = NULL;
    /* the math ops of ops.def, SQRT .. POW */
    if (op == IR_EXP)
        r = build_exp(&mb, x);
    else if (op == IR_EXP2)
        r = build_exp2(&mb, x);
    else if (op == IR_LOG || op == IR_LOG2)
        r = build_log(&mb, x, op == IR_LOG2);
    else if (op == IR_SIN || op == IR_COS || op == IR_TAN)
        r = build_trig(&mb, x, op == IR_SIN ? 0 : op == IR_COS ? 1 : 2);
    else if (op == IR_TANH)
        r = build_tanh(&mb, x);
    else if (op == IR_RSQRT)
        r = build_rsqrt(&mb, x);
    else if (op == IR_POW)
        r = bits == 64 ? build_pow(&mb, x, f->param_values[1])
                       : build_pow_f32(&mb, x, f->param_values[1]);
    else
        ICE("no math helper for %s", ir_op_name(op));
    ir_emit(&mb.b, IR_RETURN, ir_type_void(m), 1, &r);
    mark_exact(&f->body);
    return f;
}

/* Whether the library writes op (a math op) on a float of `bits` for these
 * flags (false: the target lowers the op itself). */
static bool
ml_rewrites(unsigned flags, IrOp op, uint32_t bits)
{
    if (op == IR_SQRT)
        return false;
    if (op == IR_EXP || op == IR_EXP2)
        return !(bits == 32 && (flags & IR_PF_UNIT_EXP2_F32));
    if (op == IR_RSQRT)
        return !(bits <= 32 ? flags & IR_PF_UNIT_RSQRT_F32 : flags & IR_PF_UNIT_RSQRT_F64);
    if (op == IR_LOG2)
        return !(bits <= 32 && (flags & IR_PF_UNIT_LOG2_F32));
    return true;
}

static bool
is_math(IrOp op)
{
    return op >= IR_SQRT && op <= IR_POW;
}

/* Rewrites in (a math op, f32 or f64) into a call of its helper, in place. */
static void
to_call(Ml *ml, IrInst *in)
{
    in->imm.callee = helper_fn(ml, in->op, (int)in->type->bits);
    in->op = IR_CALL;
}

static void ml_region(Ml *ml, IrBuilder *b, IrRegion *r);

/* Whether the library rewrites in, an fma: only for a target whose fma
 * may round twice (IR_PF_FMA_TWICE), or whose f16 fma may (IR_PF_FMA_F16) */
static bool
ml_rewrites_fma(unsigned flags, const IrInst *in)
{
    if (in->op != IR_FMA || in->type->kind != IRT_FLOAT)
        return false;
    return (flags & IR_PF_FMA_TWICE) || ((flags & IR_PF_FMA_F16) && in->type->bits == 16);
}

/* in (an fma the library rewrites) as a call of its emulation, in place:
 * f64 __claw_fma_f64; f16 and f32 widened exactly to f64, the
 * round-to-odd sum __claw_fma_odd_f64, rounded once back */
static void
fma_to_call(Ml *ml, IrBuilder *b, IrInst *in)
{
    if (in->type->bits == 64) {
        in->imm.callee = fma_helper(ml, false);
        in->op = IR_CALL;
        return;
    }
    b->loc = in->loc;
    IrType *f64 = ir_type_float(ml->m, 64);
    IrInst *ops[3];
    for (int i = 0; i < 3; i++)
        ops[i] = ir_cast(b, in->ops[i], f64);
    IrInst *v = ir_call(b, fma_helper(ml, true), 3, ops);
    in->op = IR_CAST;
    in->nops = 1;
    in->ops = arena_alloc(ml->m->arena, sizeof *in->ops);
    in->ops[0] = v;
}

/* Appends what in needs, then in itself, to b->r. */
static void
ml_inst(Ml *ml, IrBuilder *b, IrInst *in)
{
    if (in->op == IR_IF) {
        ml_region(ml, b, &in->then_r);
        ml_region(ml, b, &in->else_r);
    } else if (in->op == IR_LOOP) {
        ml_region(ml, b, &in->body_r);
        ml_region(ml, b, &in->cont_r);
    } else if (ml_rewrites_fma(ml->flags, in)) {
        fma_to_call(ml, b, in);
    } else if (is_math(in->op) && ml_rewrites(ml->flags, in->op, in->type->bits)) {
        if (in->type->bits == 16) {
            /* in f32, rounded once */
            b->loc = in->loc;
            IrType *f32 = ir_type_float(ml->m, 32);
            IrInst *ops[2];
            for (int i = 0; i < in->nops; i++)
                ops[i] = ir_cast(b, in->ops[i], f32);
            IrInst *v = ir_emit(b, in->op, f32, in->nops, ops);
            if (ml_rewrites(ml->flags, in->op, 32))
                to_call(ml, v);
            in->op = IR_CAST;
            in->nops = 1;
            in->ops = arena_alloc(ml->m->arena, sizeof *in->ops);
            in->ops[0] = v;
        } else {
            to_call(ml, in);
        }
    }
    ir_region_append(b->r, in);
}

static void
ml_region(Ml *ml, IrBuilder *b, IrRegion *r)
{
    IrRegion out = {0};
    IrRegion *saved = b->r;
    b->r = &out;
    for (int i = 0; i < r->len; i++)
        ml_inst(ml, b, r->insts[i]);
    b->r = saved;
    *r = out;
}

void
ir_polyfill_math(IrModule *m, unsigned flags)
{
    Ml ml = {.m = m, .flags = flags};
    int n = m->funcs.len; /* the helpers, appended, need no rewrite */
    for (int i = 0; i < n; i++) {
        IrFunc *f = m->funcs.data[i];
        IrBuilder b = {.m = m, .f = f};
        ml_region(&ml, &b, &f->body);
    }
}

static bool
region_needs_math(const IrRegion *r, unsigned flags)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        if (is_math(in->op) && in->type->kind == IRT_FLOAT &&
            ml_rewrites(flags, in->op, in->type->is_bf16 ? 32 : in->type->bits))
            return true;
        if (ml_rewrites_fma(flags, in))
            return true;
        if (region_needs_math(&in->then_r, flags) || region_needs_math(&in->else_r, flags) ||
            region_needs_math(&in->body_r, flags) || region_needs_math(&in->cont_r, flags))
            return true;
    }
    return false;
}

bool
ir_math_needed(IrModule *m, unsigned flags)
{
    for (int i = 0; i < m->funcs.len; i++)
        if (region_needs_math(&((IrFunc *)m->funcs.data[i])->body, flags))
            return true;
    return false;
}
