/* spirv_math.c: the math builtins that GLSL.std.450 cannot give with the
 * precision docs/language.md §7 asks for, as internal SPIR-V functions.
 *
 * GLSL.std.450 accepts only 16- and 32-bit floats for exp exp2 log log2 sin
 * cos tan tanh pow, its f32 ones are only as accurate as the driver (lavapipe's
 * Exp/Exp2 exceed Vulkan's 3 + 2|x| ulp now and then), and its Fma may round
 * twice on Vulkan. So:
 *   - f32 exp exp2 log log2 are built here the same way as the f64 ones
 *     below, in f32 arithmetic and i32 exponent bits (no Float64 needed),
 *     with shorter polynomials and constant splits sized for f32. f32 tanh
 *     too: drivers' GLSL Tanh is (e^2x - 1)/(e^2x + 1) or alike, which
 *     loses all precision near 0 (lavapipe: tanh(1e-8) = 2.98e-8). f32 sin
 *     cos tan too, with a Payne-Hanek reduction in 32-bit integers: GLSL
 *     Sin is bounded only on [-pi, pi] (lavapipe: sin(8e25) = -1). f32 pow
 *     is the f64 one (spirv_func.c), which computes y log2|x| in
 *     double-double;
 *   - f64 exp exp2 log log2 sin cos tan tanh pow are built here from plain
 *     f64 arithmetic (OpFMul/OpFAdd/OpFSub/OpFDiv), GLSL RoundEven/FAbs
 *     (which do take f64) and exponent manipulation through OpBitcast on
 *     i64, following the same methods as ir/mathlib.c but without fma
 *     (GLSL Fma is not single-rounding on Vulkan, so exactness never relies
 *     on it: constants that must multiply exactly are split into short parts);
 *   - fma rounds once: f16 and f32 compute a*b (exact in f64) + c in f64
 *     rounded to odd, then convert (round-to-odd at 53 bits followed by one
 *     rounding to 11 or 24 bits is the correctly rounded result); f64 uses
 *     the exact product as a double-double (Veltkamp/Dekker) and Boldo and
 *     Melquiond's round-to-odd sum, with GLSL Fma only outside the range
 *     where the split cannot overflow or underflow.
 * Each helper is one OpFunction of a single block (f64 sin/cos/tan: one
 * selection, see reduce_trig64), built on first use per
 * module (ids handed out in first-use order, so output stays deterministic),
 * named __claw_<fn>_f64 or __claw_<fn>_f32 for the disassembly, and appended to the function
 * section. Every float operation is decorated NoContraction: the error-free
 * transformations (TwoSum, the Veltkamp split) are wrong once a driver fuses
 * a multiply into a later add, and SPIRV-Tools does no float folding on
 * NoContraction results either.
 *
 * Methods (measured bounds: docs/spirv.md "Math accuracy"):
 *   exp2(x): n = rint(x), f = x - n (exact); 2^f by its Taylor polynomial in
 *            f (coefficients ln2^k / k!, so no rounded f ln2), times 2^n made
 *            from exponent bits in two halves (no early overflow; subnormal
 *            results round once).
 *   exp(x):  n = rint(x log2 e), r = x - n ln2 with ln2 in a 32-bit head
 *            (n ln2_hi exact) and a tail, e^r by Taylor, times 2^n.
 *   log(x):  x = m 2^e, m in [sqrt(1/2), sqrt(2)) (subnormals scaled first),
 *            f = m - 1 (exact), s = f / (2 + f), ln(1+f) = f - (f²/2 -
 *            s (f²/2 + R(s²))) with R the atanh series tail, plus e ln2 in
 *            head and tail.
 *   log2(x): the same ln(1+f) split into a 21-bit head and a tail, each
 *            times 1/ln2 in head and tail, then e added with its error kept.
 *   sin/cos/tan: f64: x - k pi/2 as a head/tail pair, Cody-Waite (pi/2 in
 *            33 + 33 + 33 + 53 bits, k p_i exact for |k| < 2^20) below 2^20
 *            and Payne-Hanek in 64-bit integers above (reduce_trig64), then
 *            Taylor polynomials that take the tail, tan with -1/tan refined
 *            by a residual step (build_trig64); f32: Payne-Hanek
 *            (reduce_trig32), then the sin and cos Taylor polynomials on
 *            [-pi/4, pi/4] picked by k mod 4.
 *   tanh(x): its odd Taylor series for |x| < 0.55 (f64: 0.25), above
 *            f32: 1 - 2 / (exp(2|x|) + 1), f64: (e^2x - 1) / (e^2x + 1) with
 *            e^2x = 2^n (1 + expm1(r)) unrounded (tanh_big64); the sign of x
 *            put back.
 *   pow(|x|, y): 2^(y log2|x|) with log2|x| in double-double (an atanh
 *            series, log2_dd), y log2|x| a Dekker product plus y times
 *            log2's tail, and 2^t taking t's tail (exp2_dd); 1 for |x| ==
 *            1; the caller (spirv_func.c) applies C's rules for negative
 *            and zero x. */
#include "spirv_emit.h"

#include <math.h>
#include <stdlib.h>

/* Writer for one helper function's body. */
typedef struct Mw {
    Spv *s;
    SpvWords code;
    uint32_t bits; /* float width: 32 or 64 */
    uint32_t f;    /* the float type */
    uint32_t i;    /* the integer type of that width */
    uint32_t b;    /* bool */
} Mw;

/* the float format of the helper being written */
static int
mant_bits(const Mw *m)
{
    return m->bits == 32 ? 23 : 52;
}

static int
exp_bias(const Mw *m)
{
    return m->bits == 32 ? 127 : 1023;
}

static uint32_t
mop_n(Mw *m, SpvOp op, uint32_t type, const uint32_t *args, int n)
{
    uint32_t id = spv_id(m->s);
    spv_words_push(&m->code, ((uint32_t)(n + 3) << SpvWordCountShift) | (uint32_t)op);
    spv_words_push(&m->code, type);
    spv_words_push(&m->code, id);
    for (int i = 0; i < n; i++)
        spv_words_push(&m->code, args[i]);
    return id;
}

#define MOP(m, op, type, ...)                                                                      \
    mop_n((m), (op), (type), (const uint32_t[]){__VA_ARGS__}, SPV_NARGS(__VA_ARGS__))

static uint32_t
mglsl(Mw *m, uint32_t type, enum GLSLstd450 inst, uint32_t x)
{
    return MOP(m, SpvOpExtInst, type, spv_glsl(m->s), (uint32_t)inst, x);
}

/* float arithmetic, never contracted (see the file comment) */
static uint32_t
farith(Mw *m, SpvOp op, uint32_t a, uint32_t b)
{
    uint32_t id = MOP(m, op, m->f, a, b);
    spv_decorate(m->s, id, SpvDecorationNoContraction, NULL, 0);
    return id;
}

static uint32_t
m_add(Mw *m, uint32_t a, uint32_t b)
{
    return farith(m, SpvOpFAdd, a, b);
}

static uint32_t
m_sub(Mw *m, uint32_t a, uint32_t b)
{
    return farith(m, SpvOpFSub, a, b);
}

static uint32_t
m_mul(Mw *m, uint32_t a, uint32_t b)
{
    return farith(m, SpvOpFMul, a, b);
}

static uint32_t
m_div(Mw *m, uint32_t a, uint32_t b)
{
    return farith(m, SpvOpFDiv, a, b);
}

static uint32_t
kf(Mw *m, double v)
{
    return spv_const_float(m->s, m->bits, v);
}

static uint32_t
ki(Mw *m, int64_t v)
{
    return spv_const_int(m->s, m->bits, (uint64_t)v);
}

static uint32_t
sel(Mw *m, uint32_t c, uint32_t a, uint32_t b)
{
    return MOP(m, SpvOpSelect, m->f, c, a, b);
}

static uint32_t
cmp(Mw *m, SpvOp op, uint32_t a, uint32_t b)
{
    return MOP(m, op, m->b, a, b);
}

static uint32_t
to_bits(Mw *m, uint32_t x)
{
    return MOP(m, SpvOpBitcast, m->i, x);
}

static uint32_t
from_bits(Mw *m, uint32_t x)
{
    return MOP(m, SpvOpBitcast, m->f, x);
}

static uint32_t
iop(Mw *m, SpvOp op, uint32_t a, uint32_t b)
{
    return MOP(m, op, m->i, a, b);
}

/* Horner without fma: c[0] x^(n-1) + ... + c[n-1] */
static uint32_t
horner(Mw *m, uint32_t x, const double *c, int n)
{
    uint32_t p = kf(m, c[0]);
    for (int i = 1; i < n; i++)
        p = m_add(m, m_mul(m, p, x), kf(m, c[i]));
    return p;
}

/* x clamped to [-lim, lim], NaN -> 0 (the caller passes NaN through) */
static uint32_t
clamp_abs(Mw *m, uint32_t x, double lim)
{
    x = sel(m, cmp(m, SpvOpFOrdGreaterThan, x, kf(m, lim)), kf(m, lim), x);
    x = sel(m, cmp(m, SpvOpFOrdLessThan, x, kf(m, -lim)), kf(m, -lim), x);
    return sel(m, MOP(m, SpvOpIsNan, m->b, x), kf(m, 0), x);
}

static uint32_t
nan_through(Mw *m, uint32_t x, uint32_t r)
{
    return sel(m, MOP(m, SpvOpIsNan, m->b, x), x, r);
}

/* v with its low `zero_bits` mantissa bits cleared: a short head whose
 * products with small integers are exact */
static double
head_of(long double v, int zero_bits)
{
    double d = (double)v;
    return ldexp(trunc(ldexp(d, 52 - ilogb(d) - zero_bits)), ilogb(d) - 52 + zero_bits);
}

/* p * 2^n for an integral n with |n| <= 2 * (bias - 1): two exact-exponent
 * factors so that 2^n itself never overflows and the result rounds once */
static uint32_t
scale2(Mw *m, uint32_t p, uint32_t n)
{
    uint32_t n1 = iop(m, SpvOpShiftRightArithmetic, n, ki(m, 1));
    uint32_t n2 = iop(m, SpvOpISub, n, n1);
    uint32_t bias = ki(m, exp_bias(m)), sh = ki(m, mant_bits(m));
    uint32_t s1 = iop(m, SpvOpShiftLeftLogical, iop(m, SpvOpIAdd, n1, bias), sh);
    uint32_t s2 = iop(m, SpvOpShiftLeftLogical, iop(m, SpvOpIAdd, n2, bias), sh);
    return m_mul(m, m_mul(m, p, from_bits(m, s1)), from_bits(m, s2));
}

static uint32_t
to_int(Mw *m, uint32_t x)
{
    return MOP(m, SpvOpConvertFToS, m->i, x);
}

/* Taylor degree of e^r for |r| <= ln2/2 + a little: the remainder is
 * below 2^-57 (f64, degree 13) or 2^-32 (f32, degree 8) */
static int
exp_degree(const Mw *m)
{
    return m->bits == 32 ? 8 : 13;
}

static const long double LN2 = 0.693147180559945309417232121458176568L;

/* n = rint(x), f = x - n exactly; 2^f by Taylor (coefficients ln2^k / k!),
 * times 2^n */
static uint32_t
build_exp2(Mw *m, uint32_t x)
{
    /* beyond +-150 (f32) or +-1100 (f64) the result is inf or 0 either way */
    uint32_t xc = clamp_abs(m, x, m->bits == 32 ? 150 : 1100);
    uint32_t n = mglsl(m, m->f, GLSLstd450RoundEven, xc);
    uint32_t f = m_sub(m, xc, n); /* exact, |f| <= 1/2 */
    int deg = exp_degree(m);
    double c[14];
    long double t = 1;
    for (int k = 0; k <= deg; k++) {
        c[deg - k] = (double)t;
        t = t * LN2 / (k + 1);
    }
    uint32_t p = horner(m, f, c, deg + 1);
    return nan_through(m, x, scale2(m, p, to_int(m, n)));
}

/* e^r for |r| <= ln2/2 + a little: Taylor to exp_degree */
static uint32_t
exp_poly(Mw *m, uint32_t r)
{
    int deg = exp_degree(m);
    double c[14];
    long double t = 1;
    for (int k = 0; k <= deg; k++) {
        c[deg - k] = (double)t;
        t /= k + 1;
    }
    return horner(m, r, c, deg + 1);
}

/* ln2 = hi + lo with hi short enough that e hi is exact for every binary
 * exponent e of the format: |e| <= 1077 needs 11 bits, so a 32-bit head in
 * f64; |e| <= 151 needs 8, so a 16-bit head in f32 */
static void
ln2_split(const Mw *m, double *hi, double *lo)
{
    *hi = head_of(LN2, m->bits == 32 ? 53 - 16 : 53 - 32);
    *lo = (double)(LN2 - *hi);
}

static uint32_t
build_exp(Mw *m, uint32_t x)
{
    /* e^104 overflows f32 and e^-104 < 2^-150 rounds to 0; 746 for f64 */
    uint32_t xc = clamp_abs(m, x, m->bits == 32 ? 104 : 746);
    uint32_t n = mglsl(m, m->f, GLSLstd450RoundEven, m_mul(m, xc, kf(m, 1.4426950408889634)));
    /* n ln2_hi is exact, and so is x - n ln2_hi (the two agree in their
     * leading bits) */
    double hi, lo;
    ln2_split(m, &hi, &lo);
    uint32_t r = m_sub(m, m_sub(m, xc, m_mul(m, n, kf(m, hi))), m_mul(m, n, kf(m, lo)));
    return nan_through(m, x, scale2(m, exp_poly(m, r), to_int(m, n)));
}

/* Shared part of log and log2: e (as f64), f = m - 1 and the terms of
 * ln(1+f) = f - (hfsq - s (hfsq + R)). */
typedef struct LogParts {
    uint32_t ef, f, hfsq, sr; /* sr = s (hfsq + R) */
} LogParts;

/* x = mant 2^e for a positive finite x, mant in [sqrt(1/2), sqrt(2)):
 * returns mant, *ef = e as a float */
static uint32_t
log_reduce(Mw *m, uint32_t x, uint32_t *ef)
{
    /* subnormals are scaled by 2^(mantissa bits + 2) into the normal range */
    int mb = mant_bits(m), bias = exp_bias(m), up = mb + 2;
    uint32_t sub = cmp(m, SpvOpFOrdLessThan, x, kf(m, ldexp(1.0, 1 - bias)));
    uint32_t xs = sel(m, sub, m_mul(m, x, kf(m, ldexp(1.0, up))), x);
    uint32_t ib = to_bits(m, xs);
    uint32_t e = iop(m, SpvOpBitwiseAnd, iop(m, SpvOpShiftRightLogical, ib, ki(m, mb)),
                     ki(m, 2 * bias + 1));
    e = iop(m, SpvOpISub, e, MOP(m, SpvOpSelect, m->i, sub, ki(m, bias + up), ki(m, bias)));
    uint32_t mi = iop(m, SpvOpBitwiseOr, iop(m, SpvOpBitwiseAnd, ib, ki(m, (INT64_C(1) << mb) - 1)),
                      ki(m, (int64_t)bias << mb));
    uint32_t mant = from_bits(m, mi); /* [1, 2) */
    uint32_t big = cmp(m, SpvOpFOrdGreaterThan, mant, kf(m, 1.4142135623730951));
    mant = sel(m, big, m_mul(m, mant, kf(m, 0.5)), mant);
    e = iop(m, SpvOpIAdd, e, MOP(m, SpvOpSelect, m->i, big, ki(m, 1), ki(m, 0)));
    *ef = MOP(m, SpvOpConvertSToF, m->f, e);
    return mant;
}

static LogParts
log_parts(Mw *m, uint32_t x)
{
    LogParts lp;
    uint32_t mant = log_reduce(m, x, &lp.ef);
    lp.f = m_sub(m, mant, kf(m, 1)); /* exact (Sterbenz) */
    uint32_t s = m_div(m, lp.f, m_add(m, kf(m, 2), lp.f));
    uint32_t z = m_mul(m, s, s);
    /* R = sum_{k>=1} 2 z^k / (2k + 1); |s| <= 0.1716, 12 terms (f64) or 5
     * (f32: the first term left out is below 2^-30 relative to f) */
    int nt = m->bits == 32 ? 5 : 12;
    double c[12];
    for (int k = nt; k >= 1; k--)
        c[nt - k] = 2.0 / (2 * k + 1);
    uint32_t rr = m_mul(m, z, horner(m, z, c, nt));
    lp.hfsq = m_mul(m, kf(m, 0.5), m_mul(m, lp.f, lp.f));
    lp.sr = m_mul(m, s, m_add(m, lp.hfsq, rr));
    return lp;
}

/* log's special cases: +inf, 0 -> -inf, negative or NaN -> NaN */
static uint32_t
log_special(Mw *m, uint32_t x, uint32_t r)
{
    r = sel(m, cmp(m, SpvOpFOrdEqual, x, kf(m, INFINITY)), kf(m, INFINITY), r);
    r = sel(m, cmp(m, SpvOpFOrdEqual, x, kf(m, 0)), kf(m, -INFINITY), r);
    return sel(m, cmp(m, SpvOpFUnordLessThan, x, kf(m, 0)), kf(m, NAN), r);
}

static uint32_t
build_log(Mw *m, uint32_t x)
{
    LogParts lp = log_parts(m, x);
    double hi, lo;
    ln2_split(m, &hi, &lo);
    /* e ln2_hi + (f - (hfsq - (s (hfsq + R) + e ln2_lo))) */
    uint32_t t = m_sub(m, lp.hfsq, m_add(m, lp.sr, m_mul(m, lp.ef, kf(m, lo))));
    uint32_t r = m_add(m, m_mul(m, lp.ef, kf(m, hi)), m_sub(m, lp.f, t));
    return log_special(m, x, r);
}

static uint32_t two_sum(Mw *m, uint32_t a, uint32_t b, uint32_t *err);

/* log2(x) = w + vl for a positive finite x: w is log2 rounded, vl the part
 * of the value below w's last bit */
static uint32_t
log2_pair(Mw *m, uint32_t x, uint32_t *vl_out)
{
    LogParts lp = log_parts(m, x);
    /* ln(1+f) = hi + lo with hi = f - hfsq cut to 21 bits (f64) or 12
     * (f32), and 1/ln2 = ih + il with ih of 32 (f64) or 12 bits (f32):
     * hi ih is exact and the rounding of f - hfsq stays in lo */
    bool f32 = m->bits == 32;
    uint32_t hi = m_sub(m, lp.f, lp.hfsq);
    int64_t keep = f32 ? (int64_t)0xfffff000 : (int64_t)0xffffffff00000000ull;
    hi = from_bits(m, iop(m, SpvOpBitwiseAnd, to_bits(m, hi), ki(m, keep)));
    uint32_t lo = m_add(m, m_sub(m, m_sub(m, lp.f, hi), lp.hfsq), lp.sr);
    long double inv = 1.442695040888963407359924681001892137L;
    double ih = head_of(inv, f32 ? 53 - 12 : 21), il = (double)(inv - ih);
    uint32_t vh = m_mul(m, hi, kf(m, ih));
    uint32_t vl = m_add(m, m_mul(m, m_add(m, lo, hi), kf(m, il)), m_mul(m, lo, kf(m, ih)));
    /* e + vh with its rounding error moved into vl */
    uint32_t w = m_add(m, lp.ef, vh);
    vl = m_add(m, vl, m_add(m, m_sub(m, lp.ef, w), vh));
    /* vl is still up to ~2^-7 (ih, il are a 12-bit split): renormalise */
    return two_sum(m, w, vl, vl_out);
}

static uint32_t
build_log2(Mw *m, uint32_t x)
{
    uint32_t vl;
    return log_special(m, x, log2_pair(m, x, &vl));
}

/* bits of pi/2 = 1.921FB544...(hex), weight 2^-i for bit i */
static const char PIO2_HEX[] = "1921FB54442D18469898CC51701B839A252049C1114CF98E804177D4C7627";

static int
pio2_bit(int i)
{
    int d = (i + 3) / 4;
    int c = PIO2_HEX[d];
    int v = c <= '9' ? c - '0' : c - 'A' + 10;
    return (v >> (4 * d - i)) & 1;
}

/* bits first .. first + n - 1 of pi/2 as a double (n <= 53) */
static double
pio2_part(int first, int n)
{
    uint64_t v = 0;
    for (int i = first; i < first + n; i++)
        v = v << 1 | (uint64_t)pio2_bit(i);
    return ldexp((double)v, -(first + n - 1));
}

static uint32_t
isel(Mw *m, uint32_t c, uint32_t a, uint32_t b)
{
    return MOP(m, SpvOpSelect, m->i, c, a, b);
}

/* a b = hi 2^32 + lo for 32-bit unsigned a and b, from 16-bit halves (so
 * that f32 helpers need no Int64); returns hi */
static uint32_t
umul_wide(Mw *m, uint32_t a, uint32_t b, uint32_t *lo)
{
    uint32_t mask = ki(m, 0xffff), s16 = ki(m, 16), one = ki(m, 1), zero = ki(m, 0);
    uint32_t ah = iop(m, SpvOpShiftRightLogical, a, s16), al = iop(m, SpvOpBitwiseAnd, a, mask);
    uint32_t bh = iop(m, SpvOpShiftRightLogical, b, s16), bl = iop(m, SpvOpBitwiseAnd, b, mask);
    uint32_t ll = iop(m, SpvOpIMul, al, bl), lh = iop(m, SpvOpIMul, al, bh);
    uint32_t hl = iop(m, SpvOpIMul, ah, bl), hh = iop(m, SpvOpIMul, ah, bh);
    uint32_t mid = iop(m, SpvOpIAdd, lh, hl);
    uint32_t cm = isel(m, cmp(m, SpvOpULessThan, mid, lh), ki(m, 0x10000), zero);
    uint32_t l = iop(m, SpvOpIAdd, ll, iop(m, SpvOpShiftLeftLogical, mid, s16));
    uint32_t c0 = isel(m, cmp(m, SpvOpULessThan, l, ll), one, zero);
    *lo = l;
    return iop(m, SpvOpIAdd, iop(m, SpvOpIAdd, hh, iop(m, SpvOpShiftRightLogical, mid, s16)),
               iop(m, SpvOpIAdd, cm, c0));
}

/* Bits of 2/pi after 32 zero bits (fraction bit i is bit i + 31 counting
 * from 0 at the top of word 0), as in ir/mathlib.c (ir_two_over_pi) */
static const uint32_t TWO_OVER_PI[9] = {0x00000000, 0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0,
                                        0xdb629599, 0x3c439041, 0xfe5163ab, 0xdebbc561};

static uint32_t two_prod(Mw *m, uint32_t a, uint32_t b, uint32_t *lo);

/* f32 x = r + q pi/2 (q mod 4) for every finite x, in 32-bit integers and
 * f32 (ir/mathlib.c's Payne-Hanek, without i64 or f64): |x| = M 2^E,
 * the 96 bits of 2/pi from fraction bit E - 1 on (earlier ones only add
 * whole turns) times the 24-bit M exactly; bits 95-94 of the product are
 * the quadrant, bits 93-30 the fraction, read signed (rounded to the
 * nearest quadrant), normalised to 32 bits and multiplied by pi/2 as a
 * Dekker product, so r is within about 0.5 ulp. |x| < 1/2 is its own r. */
static void
reduce_trig32(Mw *m, uint32_t x, uint32_t *r_out, uint32_t *q_out)
{
    uint32_t zero = ki(m, 0), one = ki(m, 1);
    uint32_t bits = to_bits(m, x);
    uint32_t ab = iop(m, SpvOpBitwiseAnd, bits, ki(m, 0x7fffffff));
    uint32_t e = iop(m, SpvOpShiftRightLogical, ab, ki(m, 23));
    uint32_t mant = iop(m, SpvOpBitwiseOr, iop(m, SpvOpBitwiseAnd, ab, ki(m, 0x7fffff)), ki(m, 0x800000));
    /* the window starts at table bit e - 120 (e >= 126 on this path) */
    uint32_t t0 = iop(m, SpvOpISub, e, ki(m, 120));
    uint32_t wi = iop(m, SpvOpShiftRightLogical, t0, ki(m, 5));
    uint32_t sh = iop(m, SpvOpBitwiseAnd, t0, ki(m, 31));
    uint32_t w[4];
    for (int j = 0; j < 4; j++) {
        w[j] = ki(m, TWO_OVER_PI[j]);
        for (int c = 1; c <= 4; c++)
            w[j] = isel(m, cmp(m, SpvOpIEqual, wi, ki(m, c)), ki(m, TWO_OVER_PI[c + j]), w[j]);
    }
    /* window word j: (w_j : w_j+1) << sh, top half (no shift by 32) */
    uint32_t rsh = iop(m, SpvOpISub, ki(m, 31), sh), win[3];
    for (int j = 0; j < 3; j++)
        win[j] = iop(m, SpvOpBitwiseOr, iop(m, SpvOpShiftLeftLogical, w[j], sh),
                     iop(m, SpvOpShiftRightLogical, iop(m, SpvOpShiftRightLogical, w[j + 1], one), rsh));
    uint32_t l0, l1, l2;
    (void)umul_wide(m, mant, win[0], &l0); /* only its low word reaches bit 95 */
    uint32_t h1 = umul_wide(m, mant, win[1], &l1);
    uint32_t h2 = umul_wide(m, mant, win[2], &l2);
    /* product words: p1 = bits 64-95, p2 = bits 32-63, l2 = bits 0-31 */
    uint32_t p2 = iop(m, SpvOpIAdd, l1, h2);
    uint32_t c2 = isel(m, cmp(m, SpvOpULessThan, p2, l1), one, zero);
    uint32_t p1 = iop(m, SpvOpIAdd, iop(m, SpvOpIAdd, l0, h1), c2);
    uint32_t quad = iop(m, SpvOpShiftRightLogical, p1, ki(m, 30));
    uint32_t two = ki(m, 2), s30 = ki(m, 30);
    uint32_t fh = iop(m, SpvOpBitwiseOr, iop(m, SpvOpShiftLeftLogical, p1, two),
                      iop(m, SpvOpShiftRightLogical, p2, s30));
    uint32_t fl = iop(m, SpvOpBitwiseOr, iop(m, SpvOpShiftLeftLogical, p2, two),
                      iop(m, SpvOpShiftRightLogical, l2, s30));
    /* a fraction of 1/2 or more belongs to the next quadrant: negate it */
    uint32_t up = cmp(m, SpvOpSLessThan, fh, zero);
    quad = iop(m, SpvOpIAdd, quad, isel(m, up, one, zero));
    uint32_t nfl = iop(m, SpvOpISub, zero, fl);
    uint32_t nfh = iop(m, SpvOpIAdd, MOP(m, SpvOpNot, m->i, fh),
                       isel(m, cmp(m, SpvOpIEqual, fl, zero), one, zero));
    uint32_t ah = isel(m, up, nfh, fh), al = isel(m, up, nfl, fl);
    /* normalise |fraction| (2^-64 units) to a 32-bit head with its top bit set */
    uint32_t hz = cmp(m, SpvOpIEqual, ah, zero);
    uint32_t sc = isel(m, hz, ki(m, 32), zero);
    ah = isel(m, hz, al, ah);
    al = isel(m, hz, zero, al);
    uint32_t s = iop(m, SpvOpISub, ki(m, 31), mglsl(m, m->i, GLSLstd450FindUMsb, ah));
    uint32_t nh = iop(m, SpvOpBitwiseOr, iop(m, SpvOpShiftLeftLogical, ah, s),
                      iop(m, SpvOpShiftRightLogical, iop(m, SpvOpShiftRightLogical, al, one),
                          iop(m, SpvOpISub, ki(m, 31), s)));
    /* nh = a 2^8 + b with a, b exact in f32; v = vh + vl exactly */
    uint32_t a = MOP(m, SpvOpConvertUToF, m->f, iop(m, SpvOpShiftRightLogical, nh, ki(m, 8)));
    uint32_t bb = MOP(m, SpvOpConvertUToF, m->f, iop(m, SpvOpBitwiseAnd, nh, ki(m, 0xff)));
    uint32_t vl, vh = two_sum(m, m_mul(m, a, kf(m, 256)), bb, &vl);
    long double pio2 = 1.570796326794896619231321691639751442L;
    float p1f = (float)pio2, p2f = (float)(pio2 - p1f);
    uint32_t pl, ph = two_prod(m, vh, kf(m, p1f), &pl);
    uint32_t rr = m_add(m, ph, m_add(m, pl, m_add(m, m_mul(m, vh, kf(m, p2f)), m_mul(m, vl, kf(m, p1f)))));
    /* times 2^(-32 - s - sc): exponent bits of a normal power of two */
    uint32_t pe = iop(m, SpvOpISub, ki(m, 127 - 32), iop(m, SpvOpIAdd, s, sc));
    rr = m_mul(m, rr, from_bits(m, iop(m, SpvOpShiftLeftLogical, pe, ki(m, 23))));
    rr = sel(m, cmp(m, SpvOpIEqual, ah, zero), kf(m, 0), rr);
    /* the sign: the negated fraction, and x < 0 (sin, tan odd; cos even) */
    uint32_t neg = cmp(m, SpvOpSLessThan, bits, zero);
    uint32_t flip = MOP(m, SpvOpLogicalNotEqual, m->b, neg, up);
    rr = sel(m, flip, MOP(m, SpvOpFNegate, m->f, rr), rr);
    quad = isel(m, neg, iop(m, SpvOpISub, zero, quad), quad);
    uint32_t big = cmp(m, SpvOpUGreaterThanEqual, e, ki(m, 126));
    *r_out = sel(m, big, rr, x);
    *q_out = isel(m, big, quad, zero);
}

/* 2/pi as 64-bit words for the f64 Payne-Hanek reduction: word 0 is 0 and
 * words 1-19 are floor(2/pi 2^1216), the first 1216 fraction bits (bit i
 * of the fraction weighs 2^-i and is table bit i + 63 counted from 0 at the
 * top of word 0, so that a window may start up to 63 bits before the binary
 * point). Computed for this file with exact integer arithmetic: pi 2^n from
 * Machin's formula pi = 16 atan(1/5) - 4 atan(1/239) (each atan(1/k) summed
 * as a fixed-point series of Python integers), then 2^(2n+1) // (pi 2^n)
 * with n = 1216 + 64 and 1216 + 200 guard bits, which agree; the first
 * words equal TWO_OVER_PI above. */
static const uint64_t TWO_OVER_PI64[20] = {
    0x0000000000000000, 0xa2f9836e4e441529, 0xfc2757d1f534ddc0, 0xdb6295993c439041,
    0xfe5163abdebbc561, 0xb7246e3a424dd2e0, 0x06492eea09d1921c, 0xfe1deb1cb129a73e,
    0xe88235f52ebb4484, 0xe99c7026b45f7e41, 0x3991d639835339f4, 0x9c845f8bbdf9283b,
    0x1ff897ffde05980f, 0xef2f118b5a0a6d1f, 0x6d367ecf27cb09b7, 0x4f463f669e5fea2d,
    0x7527bac7ebe5f17b, 0x3d0739f78a5292ea, 0x6bfb5fb11f8d5d08, 0x56033046fc7b6bab};

/* f64 |x| below 2^this takes reduce_cw64, finite |x| above reduce_ph64 */
enum { TRIG64_FAST_EXP = 20 };

/* f64 Cody-Waite for |x| < 2^20 (and inf/NaN, which give NaN): k =
 * rint(x 2/pi) < 2^20, pi/2 = p1 + p2 + p3 + p4 in 33 + 33 + 33 + 53 bits,
 * so k p1, k p2, k p3 are exact, x - k p1 too (Sterbenz), and two TwoSums
 * keep the rest exact up to the rounding of k p4 (2^-136) and the tail sum:
 * x - k pi/2 = rh + rl to about 2^-100 absolute, while no double comes
 * closer to a multiple of pi/2 than 2^-61 (the worst case over the whole
 * range, 6381956970095103 2^797, gives 2^-60.9). */
static void
reduce_cw64(Mw *m, uint32_t x, uint32_t *rh, uint32_t *rl, uint32_t *q)
{
    uint32_t kk = mglsl(m, m->f, GLSLstd450RoundEven, m_mul(m, x, kf(m, 0.63661977236758134)));
    uint32_t r1 = m_sub(m, x, m_mul(m, kk, kf(m, pio2_part(0, 33))));
    uint32_t kp2 = m_mul(m, kk, kf(m, pio2_part(33, 33)));
    uint32_t kp3 = m_mul(m, kk, kf(m, pio2_part(66, 33)));
    uint32_t e1, s1 = two_sum(m, r1, MOP(m, SpvOpFNegate, m->f, kp2), &e1);
    uint32_t e2, s2 = two_sum(m, s1, MOP(m, SpvOpFNegate, m->f, kp3), &e2);
    uint32_t t = m_sub(m, m_add(m, e1, e2), m_mul(m, kk, kf(m, pio2_part(99, 53))));
    *rh = two_sum(m, s2, t, rl);
    /* inf or NaN x: k is not finite (and r NaN); keep the conversion defined */
    uint32_t fin = cmp(m, SpvOpFOrdLessThan, mglsl(m, m->f, GLSLstd450FAbs, kk),
                       kf(m, ldexp(1.0, TRIG64_FAST_EXP)));
    *q = to_int(m, sel(m, fin, kk, kf(m, 0)));
}

/* f64 Payne-Hanek for finite |x| >= 2^20, in 64-bit integers: |x| = M 2^E
 * (M the 53-bit significand), and the 192 bits of 2/pi from fraction bit
 * E - 1 on (earlier bits only add multiples of 4 to x 2/pi, whole turns)
 * times M, modulo 2^192, from 32-bit halves (u64 products of 32-bit values
 * are exact, and SPIR-V has no 64x64->128 multiply). Bits 191-190 are the
 * quadrant, the 190 below the fraction, read signed (rounded to the
 * nearest quadrant; the negation is the one's complement, 2^-192 off). The
 * bits of 2/pi past the window change the fraction by less than M 2^-190 <
 * 2^-137, 2^-75 of the smallest reduced argument of any double (2^-61.5
 * quadrants); the fraction's 32-bit limbs below bit 32 of the product
 * (2^-160) are left out. The limbs convert exactly to f64 and sum, largest
 * first, by Fast2Sum into fh + fl, times pi/2 as a Dekker product.
 * The four table words are picked by select chains on the word index (0 to
 * 16 for exponents 1043 to 2046): 16 compares and 64 selects on this rare
 * branch only, where a dynamically indexed Function array with a constant
 * initializer would be 4 loads but drivers may copy its 20 words into
 * per-invocation scratch first, and the helper would need a module-level
 * array type of its own. */
static void
reduce_ph64(Mw *m, uint32_t x, uint32_t *rh, uint32_t *rl, uint32_t *q)
{
    uint32_t zero = ki(m, 0), mask = ki(m, 0xffffffff), s32 = ki(m, 32);
    uint32_t bits = to_bits(m, x);
    uint32_t ab = iop(m, SpvOpBitwiseAnd, bits, ki(m, INT64_MAX));
    uint32_t e = iop(m, SpvOpShiftRightLogical, ab, ki(m, 52));
    uint32_t mant =
        iop(m, SpvOpBitwiseOr, iop(m, SpvOpBitwiseAnd, ab, ki(m, (INT64_C(1) << 52) - 1)),
            ki(m, INT64_C(1) << 52));
    /* E = e - 1075; the window starts at fraction bit E - 1, table bit E + 62 */
    uint32_t t0 = iop(m, SpvOpISub, e, ki(m, 1075 - 62));
    uint32_t wi = iop(m, SpvOpShiftRightLogical, t0, ki(m, 6));
    uint32_t sh = iop(m, SpvOpBitwiseAnd, t0, ki(m, 63));
    uint32_t w[4], is[17];
    for (int c = 1; c <= 16; c++)
        is[c] = cmp(m, SpvOpIEqual, wi, ki(m, c));
    for (int j = 0; j < 4; j++) {
        w[j] = ki(m, (int64_t)TWO_OVER_PI64[j]);
        for (int c = 1; c <= 16; c++)
            w[j] = isel(m, is[c], ki(m, (int64_t)TWO_OVER_PI64[c + j]), w[j]);
    }
    /* window word j: (w_j : w_j+1) << sh, top half (no shift by 64); its
     * 32-bit halves u[5] (top) .. u[0] */
    uint32_t rsh = iop(m, SpvOpISub, ki(m, 63), sh), u[6];
    for (int j = 0; j < 3; j++) {
        uint32_t wj = iop(m, SpvOpBitwiseOr, iop(m, SpvOpShiftLeftLogical, w[j], sh),
                          iop(m, SpvOpShiftRightLogical,
                              iop(m, SpvOpShiftRightLogical, w[j + 1], ki(m, 1)), rsh));
        u[5 - 2 * j] = iop(m, SpvOpShiftRightLogical, wj, s32);
        u[4 - 2 * j] = iop(m, SpvOpBitwiseAnd, wj, mask);
    }
    /* M (u[5..0]) mod 2^192 in 32-bit limbs: M = mh 2^32 + ml, a_t = ml
     * u_t, b_t = mh u_t; limb t sums lo(a_t), hi(a_t-1), lo(b_t-1),
     * hi(b_t-2) and the carry (below 2^35) */
    uint32_t ml = iop(m, SpvOpBitwiseAnd, mant, mask),
             mh = iop(m, SpvOpShiftRightLogical, mant, s32);
    uint32_t alo[6], ahi[6], blo[5], bhi[5], limb[6];
    for (int t = 0; t < 6; t++) {
        uint32_t a = iop(m, SpvOpIMul, ml, u[t]);
        alo[t] = iop(m, SpvOpBitwiseAnd, a, mask);
        ahi[t] = iop(m, SpvOpShiftRightLogical, a, s32);
        if (t < 5) {
            uint32_t b = iop(m, SpvOpIMul, mh, u[t]);
            blo[t] = iop(m, SpvOpBitwiseAnd, b, mask);
            bhi[t] = iop(m, SpvOpShiftRightLogical, b, s32);
        }
    }
    uint32_t carry = zero;
    for (int t = 0; t < 6; t++) {
        uint32_t acc = alo[t];
        if (t > 0)
            acc = iop(m, SpvOpIAdd, iop(m, SpvOpIAdd, acc, ahi[t - 1]),
                      iop(m, SpvOpIAdd, blo[t - 1], carry));
        if (t > 1)
            acc = iop(m, SpvOpIAdd, acc, bhi[t - 2]);
        limb[t] = t > 0 ? iop(m, SpvOpBitwiseAnd, acc, mask) : acc;
        carry = iop(m, SpvOpShiftRightLogical, acc, s32);
    }
    uint32_t quad = iop(m, SpvOpShiftRightLogical, limb[5], ki(m, 30));
    uint32_t up = cmp(m, SpvOpINotEqual, iop(m, SpvOpBitwiseAnd, limb[5], ki(m, 1 << 29)), zero);
    uint32_t flipm = isel(m, up, mask, zero);
    /* the fraction (product << 2) in limbs 5..1, its magnitude, as f64
     * parts limb 2^(32 t - 192), exact */
    uint32_t d[6];
    for (int t = 1; t < 6; t++) {
        uint32_t g = iop(m, SpvOpBitwiseAnd,
                         iop(m, SpvOpBitwiseOr, iop(m, SpvOpShiftLeftLogical, limb[t], ki(m, 2)),
                             iop(m, SpvOpShiftRightLogical, limb[t - 1], ki(m, 30))),
                         mask);
        g = iop(m, SpvOpBitwiseXor, g, flipm);
        d[t] = m_mul(m, MOP(m, SpvOpConvertUToF, m->f, g), kf(m, ldexp(1.0, 32 * t - 192)));
    }
    /* each part is below the last nonzero one's unit, so Fast2Sum is exact */
    uint32_t fh = d[5], fl = kf(m, 0);
    for (int t = 4; t >= 1; t--) {
        uint32_t s = m_add(m, fh, d[t]);
        fl = m_add(m, fl, m_sub(m, d[t], m_sub(m, s, fh)));
        fh = s;
    }
    uint32_t s = m_add(m, fh, fl);
    fl = m_sub(m, fl, m_sub(m, s, fh));
    fh = s;
    /* (fh + fl) (P1 + P2), pi/2 in two 53-bit parts */
    double p1 = pio2_part(0, 53), p2 = pio2_part(53, 53);
    uint32_t pl, ph = two_prod(m, fh, kf(m, p1), &pl);
    uint32_t tl = m_add(m, pl, m_add(m, m_mul(m, fh, kf(m, p2)), m_mul(m, fl, kf(m, p1))));
    uint32_t h = m_add(m, ph, tl);
    uint32_t l = m_sub(m, tl, m_sub(m, h, ph));
    /* the sign: the negated fraction, and x < 0 (sin, tan odd; cos even) */
    uint32_t neg = cmp(m, SpvOpSLessThan, bits, zero);
    uint32_t flip = MOP(m, SpvOpLogicalNotEqual, m->b, neg, up);
    *rh = sel(m, flip, MOP(m, SpvOpFNegate, m->f, h), h);
    *rl = sel(m, flip, MOP(m, SpvOpFNegate, m->f, l), l);
    quad = iop(m, SpvOpIAdd, quad, isel(m, up, ki(m, 1), zero));
    *q = isel(m, neg, iop(m, SpvOpISub, zero, quad), quad);
}

/* f64 x = rh + rl + q pi/2 (q mod 4) for every finite x: Cody-Waite below
 * 2^20, Payne-Hanek above, in the two arms of a selection (the helper's
 * only branch), so small arguments never run the integer reduction. */
static void
reduce_trig64(Mw *m, uint32_t x, uint32_t *rh, uint32_t *rl, uint32_t *q)
{
    uint32_t ab = iop(m, SpvOpBitwiseAnd, to_bits(m, x), ki(m, INT64_MAX));
    /* 2^20 <= |x| < inf: one unsigned compare of the bits, offset */
    int64_t lo_bits = (int64_t)(1023 + TRIG64_FAST_EXP) << 52, inf_bits = INT64_C(0x7ff) << 52;
    uint32_t big =
        cmp(m, SpvOpULessThan, iop(m, SpvOpISub, ab, ki(m, lo_bits)), ki(m, inf_bits - lo_bits));
    uint32_t l_fast = spv_id(m->s), l_big = spv_id(m->s), l_join = spv_id(m->s);
    SPV_INST(&m->code, SpvOpSelectionMerge, l_join, SpvSelectionControlMaskNone);
    SPV_INST(&m->code, SpvOpBranchConditional, big, l_big, l_fast);
    uint32_t rh_f, rl_f, q_f, rh_b, rl_b, q_b;
    SPV_INST(&m->code, SpvOpLabel, l_fast);
    reduce_cw64(m, x, &rh_f, &rl_f, &q_f);
    SPV_INST(&m->code, SpvOpBranch, l_join);
    SPV_INST(&m->code, SpvOpLabel, l_big);
    reduce_ph64(m, x, &rh_b, &rl_b, &q_b);
    SPV_INST(&m->code, SpvOpBranch, l_join);
    SPV_INST(&m->code, SpvOpLabel, l_join);
    *rh = MOP(m, SpvOpPhi, m->f, rh_f, l_fast, rh_b, l_big);
    *rl = MOP(m, SpvOpPhi, m->f, rl_f, l_fast, rl_b, l_big);
    *q = MOP(m, SpvOpPhi, m->i, q_f, l_fast, q_b, l_big);
}

/* The Taylor coefficients of tan x (sign +1) or tanh x (sign -1) = sum a_n
 * x^(2n+1), from tan' = 1 + tan^2 and tanh' = 1 - tanh^2: a_0 = 1, (2n+1)
 * a_n = sign sum_{i+j=n-1} a_i a_j; c[0..n-1] = a_n .. a_1 for Horner in
 * x^2 */
static void
odd_series_coeffs(double *c, int n, int sign)
{
    long double a[40] = {1};
    for (int k = 1; k <= n; k++) {
        long double sum = 0;
        for (int i = 0; i <= k - 1; i++)
            sum += a[i] * a[k - 1 - i];
        a[k] = sign * sum / (2 * k + 1);
    }
    for (int k = 1; k <= n; k++)
        c[n - k] = (double)a[k];
}

/* f64 sin, cos, tan (which 0, 1, 2) of r = rh + rl (reduce_trig64) on
 * [-pi/4, pi/4], |rl| <= ulp(rh)/2, each rounded once at the end:
 *   sin = rh + (rh z S(z) + rl (1 - z/2)), z = rh^2, S the Taylor
 *         coefficients from -1/3! (10 terms);
 *   cos = w + (((1 - w) - z/2) + (z^2 C(z) - rh rl)), w = 1 - z/2 (its
 *         rounding error recovered exactly), C from 1/4! (10 terms);
 *   tan = rh + (rh z T(z) + rl (1 + tan^2)), T tan's Taylor series (terms
 *         shrink by (2r/pi)^2 <= 1/4: 28 leave less than 2^-57), as
 *         ir/mathlib.c's tan_f64; for odd q it is -1/tan: q0 = 1/th
 *         refined by one residual step e = (1 - q0 th) - q0 tl with q0 th
 *         a Dekker product, so the quotient is not rounded twice.
 * The first terms left out of S and C are below 2^-60 relative. sin(-0) and
 * tan(-0) are -0; inf and NaN give NaN. */
static uint32_t
build_trig64(Mw *m, uint32_t x, int which)
{
    uint32_t rh, rl, q;
    reduce_trig64(m, x, &rh, &rl, &q);
    uint32_t z = m_mul(m, rh, rh), one = kf(m, 1), res;
    uint32_t zero = ki(m, 0);
    uint32_t b0 = cmp(m, SpvOpINotEqual, iop(m, SpvOpBitwiseAnd, q, ki(m, 1)), zero);
    uint32_t b1 = cmp(m, SpvOpINotEqual, iop(m, SpvOpBitwiseAnd, q, ki(m, 2)), zero);
    uint32_t rz = m_mul(m, rh, z);
    if (which == 2) {
        double tc[28];
        odd_series_coeffs(tc, 28, 1);
        uint32_t p = horner(m, z, tc, 28);
        uint32_t tp = m_mul(m, rz, p);
        uint32_t ta = m_add(m, rh, tp);
        uint32_t w = m_add(m, tp, m_mul(m, rl, m_add(m, one, m_mul(m, ta, ta))));
        uint32_t th = m_add(m, rh, w);
        uint32_t tl = m_sub(m, w, m_sub(m, th, rh)); /* |w| < |rh|: Fast2Sum */
        uint32_t q0 = m_div(m, one, th);
        uint32_t pl, ph = two_prod(m, q0, th, &pl);
        uint32_t e = m_sub(m, m_sub(m, m_sub(m, one, ph), pl), m_mul(m, q0, tl));
        uint32_t cot = m_add(m, q0, m_mul(m, q0, e));
        /* where the step is not a number (th 0 or inf) q0 stays */
        cot = sel(m, MOP(m, SpvOpIsNan, m->b, cot), q0, cot);
        res = sel(m, b0, MOP(m, SpvOpFNegate, m->f, cot), th);
    } else {
        double sc[10], cc[10];
        long double fct = 1;
        for (int i = 1; i <= 23; i++) {
            fct *= i;
            int k = i / 2;
            double v = (double)((k % 2 ? -1.0L : 1.0L) / fct);
            if (i % 2 == 1 && k >= 1 && k <= 10)
                sc[10 - k] = v; /* -1/3!, 1/5!, ... */
            if (i % 2 == 0 && k >= 2 && k <= 11)
                cc[11 - k] = v; /* 1/4!, -1/6!, ... */
        }
        /* sin: rh + (rh z S + rl (1 - z/2)) */
        uint32_t hz = m_mul(m, z, kf(m, 0.5));
        uint32_t sw = m_add(m, m_mul(m, rz, horner(m, z, sc, 10)), m_mul(m, rl, m_sub(m, one, hz)));
        uint32_t sr = m_add(m, rh, sw);
        /* cos: w + (((1 - w) - z/2) + (z^2 C - rh rl)), w = 1 - z/2 */
        uint32_t w = m_sub(m, one, hz);
        uint32_t ct = m_sub(m, m_mul(m, m_mul(m, z, z), horner(m, z, cc, 10)), m_mul(m, rh, rl));
        uint32_t cr = m_add(m, w, m_add(m, m_sub(m, m_sub(m, one, w), hz), ct));
        uint32_t v, neg;
        if (which == 0) {
            v = sel(m, b0, cr, sr);
            neg = b1;
        } else {
            v = sel(m, b0, sr, cr);
            neg = MOP(m, SpvOpLogicalNotEqual, m->b, b0, b1);
        }
        res = sel(m, neg, MOP(m, SpvOpFNegate, m->f, v), v);
    }
    if (which != 1)
        res = sel(m, cmp(m, SpvOpFOrdEqual, x, kf(m, 0)), x, res);
    uint32_t nf =
        MOP(m, SpvOpLogicalOr, m->b, MOP(m, SpvOpIsNan, m->b, x), MOP(m, SpvOpIsInf, m->b, x));
    return sel(m, nf, kf(m, NAN), res);
}

/* which: 0 sin, 1 cos, 2 tan */
static uint32_t
build_trig(Mw *m, uint32_t x, int which)
{
    if (m->bits == 64)
        return build_trig64(m, x, which);
    uint32_t r, q;
    reduce_trig32(m, x, &r, &q);
    uint32_t z = m_mul(m, r, r);
    /* sin r = r + r z (S1 + z S2 + ...), cos r = 1 + z (C1 + z C2 + ...);
     * on |r| <= pi/4 the first terms left out are below 2^-30 relative */
    double sc[5], cc[6];
    int ns = 5, nc = 6;
    long double fct = 1;
    for (int i = 1; i <= 2 * nc + 1; i++) {
        fct *= i;
        int k = i / 2;
        double v = (double)((k % 2 ? -1.0L : 1.0L) / fct);
        if (i % 2 == 1 && k >= 1 && k <= ns)
            sc[ns - k] = v;
        if (i % 2 == 0 && k >= 1 && k <= nc)
            cc[nc - k] = v;
    }
    uint32_t sr = m_add(m, r, m_mul(m, m_mul(m, r, z), horner(m, z, sc, ns)));
    uint32_t cr = m_add(m, kf(m, 1), m_mul(m, z, horner(m, z, cc, nc)));
    uint32_t zero = ki(m, 0);
    uint32_t b0 = cmp(m, SpvOpINotEqual, iop(m, SpvOpBitwiseAnd, q, ki(m, 1)), zero);
    uint32_t b1 = cmp(m, SpvOpINotEqual, iop(m, SpvOpBitwiseAnd, q, ki(m, 2)), zero);
    uint32_t res;
    if (which == 2) {
        res = sel(m, b0, MOP(m, SpvOpFNegate, m->f, m_div(m, cr, sr)), m_div(m, sr, cr));
    } else {
        uint32_t v, neg;
        if (which == 0) {
            v = sel(m, b0, cr, sr);
            neg = b1;
        } else {
            v = sel(m, b0, sr, cr);
            neg = MOP(m, SpvOpLogicalNotEqual, m->b, b0, b1);
        }
        res = sel(m, neg, MOP(m, SpvOpFNegate, m->f, v), v);
    }
    /* inf and NaN: the integer reduction saw exponent 255 */
    uint32_t nf = MOP(m, SpvOpLogicalOr, m->b, MOP(m, SpvOpIsNan, m->b, x), MOP(m, SpvOpIsInf, m->b, x));
    return sel(m, nf, kf(m, NAN), res);
}

/* the helper f (named by its f64 enumerator) of this helper's width */
static uint32_t
call1(Mw *m, SpvMathFn f, uint32_t x)
{
    SpvMathFn g = m->bits == 32 ? spv_math_f32(f) : f;
    return MOP(m, SpvOpFunctionCall, m->f, spv_math_fn(m->s, g), x);
}

/* f64 tanh a for a >= 0.25 (NaN passes): (e^2a - 1)/(e^2a + 1) with
 * e^2a = 2^n (1 + r + q) kept unrounded, so that the error is the final
 * division's half ulp plus a little (1 - 2/(exp(2a) + 1) passed on exp's
 * error: 1.43 ulp, CUDA's bound is 1). a is clamped to 22 (tanh rounds to
 * 1 beyond 19.1); u = 2a, n = rint(u log2 e) in [1, 64], r + rl = u - n ln2
 * (ln2 in a 32-bit head, so u - n hi is exact by Sterbenz, then TwoSum), q
 * = e^r - 1 - r by Taylor to degree 14 (|r| <= 0.35: remainder 2^-63) plus
 * rl (1 + r).
 * With e^r - 1 = r + q = eh + el (Fast2Sum), N = (2^n - 1) + 2^n eh + 2^n
 * el and D likewise with 2^n + 1: a TwoSum of exact terms plus the small
 * one (2^n +- 1 is exact up to n = 52); then t = N_hi / D_hi corrected by
 * the residual N - t D (a Dekker product). */
static uint32_t
tanh_big64(Mw *m, uint32_t a)
{
    uint32_t u =
        m_mul(m, sel(m, cmp(m, SpvOpFOrdGreaterThan, a, kf(m, 22)), kf(m, 22), a), kf(m, 2));
    uint32_t n = mglsl(m, m->f, GLSLstd450RoundEven, m_mul(m, u, kf(m, 1.4426950408889634)));
    double hi, lo;
    ln2_split(m, &hi, &lo);
    uint32_t rl, r = two_sum(m, m_sub(m, u, m_mul(m, n, kf(m, hi))), m_mul(m, n, kf(m, -lo)), &rl);
    double c[13], fac = 1; /* c[i] = 1/(14 - i)!: q = r^2 (1/2! + r/3! + ...) */
    for (int i = 1; i <= 14; i++)
        fac *= i;
    for (int i = 0; i < 13; i++) {
        c[i] = 1.0 / fac;
        fac /= 14 - i;
    }
    uint32_t q = m_mul(m, m_mul(m, r, r), horner(m, r, c, 13));
    q = m_add(m, q, m_mul(m, rl, m_add(m, r, kf(m, 1))));
    uint32_t bias = ki(m, exp_bias(m)), sh = ki(m, mant_bits(m));
    uint32_t p2 =
        from_bits(m, iop(m, SpvOpShiftLeftLogical, iop(m, SpvOpIAdd, to_int(m, n), bias), sh));
    /* e^r - 1 = eh + el (Fast2Sum: |q| < |r|), times 2^n exactly */
    uint32_t eh = m_add(m, r, q), el = m_add(m, m_sub(m, r, eh), q);
    uint32_t p2e = m_mul(m, p2, eh), p2l = m_mul(m, p2, el);
    uint32_t ne, nh = two_sum(m, m_sub(m, p2, kf(m, 1)), p2e, &ne);
    uint32_t de, dh = two_sum(m, m_add(m, p2, kf(m, 1)), p2e, &de);
    uint32_t nl = m_add(m, ne, p2l), dl = m_add(m, de, p2l);
    /* one division: th = nh / dh within an ulp or two, which the residual
     * corrects (nh - ph is exact: ph is that close to nh) */
    uint32_t inv = m_div(m, kf(m, 1), dh);
    uint32_t th = m_mul(m, nh, inv);
    uint32_t pl, ph = two_prod(m, th, dh, &pl);
    uint32_t res = m_sub(m, m_add(m, m_sub(m, m_sub(m, nh, ph), pl), nl), m_mul(m, th, dl));
    uint32_t t = m_add(m, th, m_mul(m, res, inv));
    /* from a = 17 (n >= 49) on, 2^n +- 1 stops being exact at n = 53;
     * there 1 - 2/(e^2a + 1) = 1 - 2 inv is within 2^-48 of 1, so its
     * rounding errors are far below 1's half ulp */
    uint32_t t1 = m_sub(m, kf(m, 1), m_add(m, inv, inv));
    return nan_through(m, a, sel(m, cmp(m, SpvOpFOrdGreaterThan, a, kf(m, 17)), t1, t));
}

static uint32_t
build_tanh(Mw *m, uint32_t x)
{
    uint32_t a = mglsl(m, m->f, GLSLstd450FAbs, x);
    /* |x| < cut: tanh x = x + x z P(z), z = x^2, by its Taylor series: tiny
     * x give x itself, not 1 - 2/(e^2x + 1)'s cancellation, and the error
     * stays near half an ulp. f32: below 0.55 the terms shrink by (2x/pi)^2
     * < 0.123, 10 leave less than 2^-27; above, 1 - 2/(e^2x + 1) with the
     * f32 exp. f64: below 0.25, 11 terms leave less than 2^-63; above,
     * tanh_big64, as accurate as the series and without its growing error
     * near tanh x = 1/2 (0.82 ulp with the cut at 0.55, 0.58 now). */
    bool f32 = m->bits == 32;
    double c[11];
    int nt = f32 ? 10 : 11;
    odd_series_coeffs(c, nt, -1);
    uint32_t z = m_mul(m, a, a);
    uint32_t ts = m_add(m, a, m_mul(m, m_mul(m, a, z), horner(m, z, c, nt)));
    uint32_t tb;
    if (!f32) {
        tb = tanh_big64(m, a);
    } else {
        uint32_t e = call1(m, SPV_MF_EXP, m_mul(m, a, kf(m, 2)));
        tb = m_sub(m, kf(m, 1), m_div(m, kf(m, 2), m_add(m, e, kf(m, 1))));
    }
    uint32_t t = sel(m, cmp(m, SpvOpFOrdLessThan, a, kf(m, f32 ? 0.55 : 0.25)), ts, tb);
    /* copysign(t, x) through the bits */
    int64_t sign = m->bits == 32 ? INT32_MIN : INT64_MIN;
    uint32_t tb_bits = iop(m, SpvOpBitwiseAnd, to_bits(m, t), ki(m, m->bits == 32 ? INT32_MAX : INT64_MAX));
    uint32_t sx = iop(m, SpvOpBitwiseAnd, to_bits(m, x), ki(m, sign));
    return from_bits(m, iop(m, SpvOpBitwiseOr, tb_bits, sx));
}

/* Veltkamp: a = hi + lo, each with at most 26 (f64) or 12 (f32)
 * significant bits */
static void
split(Mw *m, uint32_t a, uint32_t *hi, uint32_t *lo)
{
    uint32_t c = m_mul(m, a, kf(m, m->bits == 32 ? 4097.0 : 134217729.0)); /* 2^s + 1 */
    *hi = m_sub(m, c, m_sub(m, c, a));
    *lo = m_sub(m, a, *hi);
}

/* Dekker: a b = *lo + the returned product exactly (no overflow or
 * underflow on the way) */
static uint32_t
two_prod(Mw *m, uint32_t a, uint32_t b, uint32_t *lo)
{
    uint32_t ah, al, bh, bl;
    split(m, a, &ah, &al);
    split(m, b, &bh, &bl);
    uint32_t p = m_mul(m, a, b);
    *lo = m_add(
        m, m_add(m, m_add(m, m_sub(m, m_mul(m, ah, bh), p), m_mul(m, ah, bl)), m_mul(m, al, bh)),
        m_mul(m, al, bl));
    return p;
}

/* ---- f64 pow in double-double --------------------------------------------
 * ir/mathlib.c's log2_dd and exp2_dd without fma. A double-double
 * (Dd) is the unevaluated sum hi + lo, |lo| at most a few ulps of hi (~106
 * bits); exact products are Dekker's (two_prod), with constants split on
 * the host. Each operation loses at most a few units of 2^-104 relative. */
typedef struct Dd {
    uint32_t hi, lo;
} Dd;

static Dd
dd_const(Mw *m, double hi, double lo)
{
    return (Dd){kf(m, hi), kf(m, lo)};
}

/* p/q for small integers: hi = RN(p/q), lo = (p - hi q)/q (exact on the
 * host's fma) */
static Dd
dd_ratio(Mw *m, double p, double q)
{
    double hi = p / q;
    return dd_const(m, hi, fma(-hi, q, p) / q);
}

static Dd
dd_prod(Mw *m, uint32_t a, uint32_t b)
{
    Dd p;
    p.hi = two_prod(m, a, b, &p.lo);
    return p;
}

/* a b exactly for a constant b: b split on the host into 27 + 26 bits, so
 * only a is split here (Veltkamp: 26 + 26 bits) */
static Dd
dd_prod_k(Mw *m, uint32_t a, double b)
{
    double bh = head_of(b, 26);
    uint32_t kh = kf(m, bh), kl = kf(m, b - bh), ah, al;
    split(m, a, &ah, &al);
    uint32_t p = m_mul(m, a, kf(m, b));
    uint32_t lo = m_add(m, m_sub(m, m_mul(m, ah, kh), p), m_mul(m, ah, kl));
    lo = m_add(m, m_add(m, lo, m_mul(m, al, kh)), m_mul(m, al, kl));
    return (Dd){p, lo};
}

/* a^2 exactly: one split, the cross term (2 ah) al */
static Dd
dd_sq(Mw *m, uint32_t a)
{
    uint32_t ah, al;
    split(m, a, &ah, &al);
    uint32_t p = m_mul(m, a, a);
    uint32_t lo = m_add(m, m_sub(m, m_mul(m, ah, ah), p), m_mul(m, m_add(m, ah, ah), al));
    return (Dd){p, m_add(m, lo, m_mul(m, al, al))};
}

static Dd
dd_mul(Mw *m, Dd a, Dd b)
{
    Dd p = dd_prod(m, a.hi, b.hi);
    p.lo = m_add(m, m_add(m, p.lo, m_mul(m, a.lo, b.hi)), m_mul(m, a.hi, b.lo));
    return p;
}

/* a + b for |a.hi| >= |b.hi| or a.hi = 0 (Fast2Sum on the heads) */
static Dd
dd_add_fast(Mw *m, Dd a, Dd b)
{
    uint32_t s = m_add(m, a.hi, b.hi);
    uint32_t e = m_add(m, m_sub(m, a.hi, s), b.hi);
    return (Dd){s, m_add(m, e, m_add(m, a.lo, b.lo))};
}

/* hi + lo renormalised: |lo| <= ulp(hi) / 2 */
static Dd
dd_norm(Mw *m, Dd a)
{
    uint32_t s = m_add(m, a.hi, a.lo);
    return (Dd){s, m_sub(m, a.lo, m_sub(m, s, a.hi))};
}

/* log2 x for a positive finite f64 x, relative error below 2^-70: x = m
 * 2^e, m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh s = 2s + s z (2/3 + z (2/5
 * + z A)), s = (m - 1)/(m + 1), z = s^2, A = 2/7 + 2z/9 + ... + 2z^10/27 in
 * plain f64 (|s| <= 0.1716: the omitted terms weigh below 2^-76 of ln m,
 * A's rounding, damped by z^3 / 5, about 2^-70); s (its residual m - 1 - s
 * (m + 1) from a Dekker product), z, the two leading levels of the series,
 * the product by 1/ln2 and the sum with e in double-double. */
static Dd
log2_dd(Mw *m, uint32_t x)
{
    uint32_t ef, mant = log_reduce(m, x, &ef);
    uint32_t f = m_sub(m, mant, kf(m, 1)); /* exact (Sterbenz) */
    /* d = 2 + f exactly (Fast2Sum), s = f / d in double-double with one
     * division: sh = f (1/dh) and its residual; f - sh dh is exact (sh dh
     * is within a few ulps of f) */
    uint32_t dh = m_add(m, kf(m, 2), f);
    uint32_t dl = m_add(m, m_sub(m, kf(m, 2), dh), f);
    uint32_t inv = m_div(m, kf(m, 1), dh);
    uint32_t sh = m_mul(m, f, inv);
    Dd p = dd_prod(m, sh, dh);
    uint32_t res = m_sub(m, m_sub(m, m_sub(m, f, p.hi), p.lo), m_mul(m, sh, dl));
    Dd s = {sh, m_mul(m, res, inv)};
    Dd z = dd_sq(m, sh);
    z.lo = m_add(m, z.lo, m_mul(m, m_add(m, sh, sh), s.lo));
    double c[11];
    for (int i = 0; i < 11; i++) /* 2/27, 2/25, ..., 2/7 */
        c[i] = 2.0 / (27 - 2 * i);
    uint32_t a = horner(m, z.hi, c, 11);
    /* z A is below 2^-5.5 of 2/5: its plain product is enough */
    Dd t = dd_add_fast(m, dd_ratio(m, 2, 5), (Dd){m_mul(m, z.hi, a), kf(m, 0)});
    t = dd_add_fast(m, dd_ratio(m, 2, 3), dd_mul(m, z, t));
    t = dd_mul(m, dd_mul(m, s, z), t);
    Dd ln = dd_add_fast(m, (Dd){m_add(m, s.hi, s.hi), m_add(m, s.lo, s.lo)}, t);
    /* 1/ln2 = 0x1.71547652b82fep0 + 0x1.777d0ffda0d24p-56 (error 2^-110) */
    Dd l = dd_prod_k(m, ln.hi, 0x1.71547652b82fep0);
    l.lo = m_add(m, l.lo,
                 m_add(m, m_mul(m, ln.lo, kf(m, 0x1.71547652b82fep0)),
                       m_mul(m, ln.hi, kf(m, 0x1.777d0ffda0d24p-56))));
    /* |e| >= 1 > |log2 m| unless e = 0 */
    return dd_norm(m, dd_add_fast(m, (Dd){ef, kf(m, 0)}, l));
}

/* 2^t for a double-double t: n = rint(t_hi), f = (t_hi - n) + t_lo exactly
 * (TwoSum), r = f ln2 in double-double (|r| <= ln2/2 + 2^-40), e^r = 1 + r
 * + r^2/2 + r^3 P(r) with P the Taylor series to degree 14 (omitted:
 * 2^-63) and the leading sums exact (Fast2Sum), so the result is 0.5 ulp
 * plus a few hundredths; times 2^n in two halves (scale2). |t_hi| > 1100
 * is clamped (t_lo dropped): 0 or inf. NaN passes. */
static uint32_t
exp2_dd(Mw *m, Dd t)
{
    uint32_t th = clamp_abs(m, t.hi, 1100);
    uint32_t huge = cmp(m, SpvOpFOrdGreaterThan, mglsl(m, m->f, GLSLstd450FAbs, t.hi), kf(m, 1100));
    uint32_t n = mglsl(m, m->f, GLSLstd450RoundEven, th);
    Dd f;
    f.hi = two_sum(m, m_sub(m, th, n), sel(m, huge, kf(m, 0), t.lo), &f.lo); /* th - n exact */
    /* ln2 = 0x1.62e42fefa39efp-1 + 0x1.abc9e3b39803fp-56 (error 2^-110) */
    double l2h = 0x1.62e42fefa39efp-1, l2l = 0x1.abc9e3b39803fp-56;
    Dd r = dd_prod_k(m, f.hi, l2h);
    r.lo = m_add(m, r.lo, m_add(m, m_mul(m, f.hi, kf(m, l2l)), m_mul(m, f.lo, kf(m, l2h))));
    double c[12], fac = 1; /* c[i] = 1/(14 - i)!: P(r) = 1/3! + r/4! + ... */
    for (int i = 1; i <= 14; i++)
        fac *= i;
    for (int i = 0; i < 12; i++) {
        c[i] = 1.0 / fac;
        fac /= 14 - i;
    }
    uint32_t cube = m_mul(m, m_mul(m, m_mul(m, r.hi, r.hi), r.hi), horner(m, r.hi, c, 12));
    Dd h = dd_sq(m, r.hi); /* then halved: r^2/2 */
    h = (Dd){m_mul(m, h.hi, kf(m, 0.5)), m_mul(m, h.lo, kf(m, 0.5))};
    Dd s1 = dd_add_fast(m, (Dd){kf(m, 1), kf(m, 0)}, (Dd){r.hi, kf(m, 0)});
    Dd s2 = dd_add_fast(m, (Dd){s1.hi, kf(m, 0)}, (Dd){h.hi, kf(m, 0)});
    /* e^(r_hi + r_lo) = e^r_hi (1 + r_lo): r_lo (1 + r_hi) to first order */
    uint32_t rl = m_add(m, m_mul(m, r.lo, r.hi), r.lo);
    uint32_t tail = m_add(m, m_add(m, s1.lo, s2.lo), m_add(m, h.lo, m_add(m, cube, rl)));
    /* A subnormal result p 2^n would round twice (p to 53 bits, then to the
     * subnormal grid): there C = 2^(-1022 - n) > p instead, so C + p lies in
     * [C, 2C), whose grid is the subnormals' in p's scale; (C + p) - C is
     * exact, and so is its product by 2^n. C = 0 for normal results. */
    uint32_t ni = to_int(m, n);
    uint32_t ck = iop(m, SpvOpISub, ki(m, -1022), ni);
    ck = isel(m, cmp(m, SpvOpSLessThan, ck, ki(m, -1)), ki(m, -1), ck);
    uint32_t cv =
        from_bits(m, iop(m, SpvOpShiftLeftLogical, iop(m, SpvOpIAdd, ck, ki(m, 1023)), ki(m, 52)));
    cv = sel(m, cmp(m, SpvOpFOrdLessThan, s2.hi, cv), cv, kf(m, 0));
    Dd q = dd_add_fast(m, (Dd){cv, kf(m, 0)}, (Dd){s2.hi, tail});
    uint32_t p = m_sub(m, m_add(m, q.hi, q.lo), cv);
    return nan_through(m, t.hi, scale2(m, p, ni));
}

/* |x|^y = 2^(y log2|x|) with log2|x| in double-double (log2_dd), y log2|x|
 * exact to 2^-100 (a Dekker product plus y l_lo) and 2^t taking t's tail
 * (exp2_dd): the error stays near 0.5 ulp however large |t| is. log2 of 0
 * and inf are -inf and inf (tail 0), so 0^y and inf^y come out of the same
 * path; the Veltkamp split of y cannot overflow where |t| <= 1100 (|log2|x||
 * >= 2^-53 for x != 1, so |y| < 2^64 there), and beyond exp2_dd drops the
 * tail. 1^y is 1; the caller (spirv_func.c) applies C's rules for negative
 * and zero x. f32 pow calls this in f64 (spirv_func.c): f32 pairs leave
 * ~2^-27 of log2 near x = 1/sqrt(2), which large |y| turns into 15 ulp. */
static uint32_t
build_pow(Mw *m, uint32_t ax, uint32_t y)
{
    Dd l = log2_dd(m, ax);
    uint32_t zero = cmp(m, SpvOpFOrdEqual, ax, kf(m, 0));
    uint32_t inf = cmp(m, SpvOpFOrdEqual, ax, kf(m, INFINITY));
    uint32_t nan = MOP(m, SpvOpIsNan, m->b, ax);
    l.hi = sel(m, zero, kf(m, -INFINITY), sel(m, inf, ax, sel(m, nan, ax, l.hi)));
    uint32_t odd = MOP(m, SpvOpLogicalOr, m->b, MOP(m, SpvOpLogicalOr, m->b, zero, inf), nan);
    l.lo = sel(m, odd, kf(m, 0), l.lo);
    Dd t = dd_prod(m, y, l.hi);
    t.lo = m_add(m, t.lo, m_mul(m, y, l.lo));
    uint32_t r = exp2_dd(m, t);
    return sel(m, cmp(m, SpvOpFOrdEqual, ax, kf(m, 1)), kf(m, 1), r);
}

/* s = a + b rounded to nearest and its exact error (TwoSum, Knuth) */
static uint32_t
two_sum(Mw *m, uint32_t a, uint32_t b, uint32_t *err)
{
    uint32_t s = m_add(m, a, b);
    uint32_t bb = m_sub(m, s, a);
    *err = m_add(m, m_sub(m, a, m_sub(m, s, bb)), m_sub(m, b, bb));
    return s;
}

/* a + b rounded to odd: the nearest sum, moved one ulp towards the exact sum
 * when it is inexact and its last bit is even (0). A zero nearest sum is
 * exact; an infinite one has a NaN error and stays. */
static uint32_t
add_odd(Mw *m, uint32_t a, uint32_t b)
{
    uint32_t e;
    uint32_t s = two_sum(m, a, b, &e);
    uint32_t sb = to_bits(m, s);
    uint32_t even = cmp(m, SpvOpIEqual, iop(m, SpvOpBitwiseAnd, sb, ki(m, 1)), ki(m, 0));
    uint32_t inexact = cmp(m, SpvOpFOrdNotEqual, e, kf(m, 0));
    uint32_t same = MOP(m, SpvOpLogicalEqual, m->b, cmp(m, SpvOpFOrdGreaterThan, e, kf(m, 0)),
                        cmp(m, SpvOpFOrdGreaterThan, s, kf(m, 0)));
    uint32_t step = MOP(m, SpvOpSelect, m->i, same, ki(m, 1), ki(m, -1));
    uint32_t nudged = from_bits(m, iop(m, SpvOpIAdd, sb, step));
    return sel(m, MOP(m, SpvOpLogicalAnd, m->b, even, inexact), nudged, s);
}

/* round-to-odd a*b + c for an exact a*b (narrow operands widened to f64) */
static uint32_t
build_fma_odd(Mw *m, uint32_t a, uint32_t b, uint32_t c)
{
    return add_odd(m, m_mul(m, a, b), c);
}

static uint32_t
build_fma64(Mw *m, uint32_t a, uint32_t b, uint32_t c)
{
    /* Dekker: a b = uh + ul exactly */
    uint32_t ul, uh = two_prod(m, a, b, &ul);
    /* Boldo-Melquiond: (th, tl) = TwoSum(c, uh); RN(th + RO(tl + ul)) */
    uint32_t tl;
    uint32_t th = two_sum(m, c, uh, &tl);
    uint32_t r = m_add(m, th, add_odd(m, tl, ul));
    /* The split overflows past 2^996, ul underflows below 2^-969 (a or b
     * zero is fine), TwoSum overflows near the top; NaN and inf fail the
     * ordered compares too. There, GLSL Fma. */
    uint32_t lim = kf(m, 0x1p995), big = kf(m, 0x1p1020);
    uint32_t au = mglsl(m, m->f, GLSLstd450FAbs, uh);
    uint32_t ok = cmp(m, SpvOpFOrdLessThan, mglsl(m, m->f, GLSLstd450FAbs, a), lim);
    ok = MOP(m, SpvOpLogicalAnd, m->b, ok,
             cmp(m, SpvOpFOrdLessThan, mglsl(m, m->f, GLSLstd450FAbs, b), lim));
    ok = MOP(m, SpvOpLogicalAnd, m->b, ok,
             cmp(m, SpvOpFOrdLessThan, mglsl(m, m->f, GLSLstd450FAbs, c), big));
    ok = MOP(m, SpvOpLogicalAnd, m->b, ok, cmp(m, SpvOpFOrdLessThan, au, big));
    uint32_t no_uf =
        MOP(m, SpvOpLogicalOr, m->b, cmp(m, SpvOpFOrdGreaterThanEqual, au, kf(m, 0x1p-969)),
            MOP(m, SpvOpLogicalOr, m->b, cmp(m, SpvOpFOrdEqual, a, kf(m, 0)),
                cmp(m, SpvOpFOrdEqual, b, kf(m, 0))));
    ok = MOP(m, SpvOpLogicalAnd, m->b, ok, no_uf);
    uint32_t g = MOP(m, SpvOpExtInst, m->f, spv_glsl(m->s), (uint32_t)GLSLstd450Fma, a, b, c);
    return sel(m, ok, r, g);
}

static const char *const MF_NAMES[SPV_MF_COUNT] = {
    [SPV_MF_EXP] = "__claw_exp_f64", [SPV_MF_EXP2] = "__claw_exp2_f64",
    [SPV_MF_LOG] = "__claw_log_f64", [SPV_MF_LOG2] = "__claw_log2_f64",
    [SPV_MF_SIN] = "__claw_sin_f64", [SPV_MF_COS] = "__claw_cos_f64",
    [SPV_MF_TAN] = "__claw_tan_f64", [SPV_MF_TANH] = "__claw_tanh_f64",
    [SPV_MF_POW] = "__claw_pow_f64", [SPV_MF_FMA_ODD] = "__claw_fma_odd_f64",
    [SPV_MF_FMA] = "__claw_fma_f64",        [SPV_MF_EXP_F32] = "__claw_exp_f32",
    [SPV_MF_EXP2_F32] = "__claw_exp2_f32",  [SPV_MF_LOG_F32] = "__claw_log_f32",
    [SPV_MF_LOG2_F32] = "__claw_log2_f32",
    [SPV_MF_TANH_F32] = "__claw_tanh_f32",  [SPV_MF_SIN_F32] = "__claw_sin_f32",
    [SPV_MF_COS_F32] = "__claw_cos_f32",    [SPV_MF_TAN_F32] = "__claw_tan_f32",
};

uint32_t
spv_math_bits(SpvMathFn which)
{
    return which >= SPV_MF_EXP_F32 ? 32 : 64;
}

SpvMathFn
spv_math_f32(SpvMathFn f64_fn)
{
    switch (f64_fn) {
    case SPV_MF_EXP: return SPV_MF_EXP_F32;
    case SPV_MF_EXP2: return SPV_MF_EXP2_F32;
    case SPV_MF_LOG: return SPV_MF_LOG_F32;
    case SPV_MF_LOG2: return SPV_MF_LOG2_F32;
    case SPV_MF_TANH: return SPV_MF_TANH_F32;
    case SPV_MF_SIN: return SPV_MF_SIN_F32;
    case SPV_MF_COS: return SPV_MF_COS_F32;
    case SPV_MF_TAN: return SPV_MF_TAN_F32;
    default: return SPV_MF_COUNT;
    }
}

uint32_t
spv_math_fn(Spv *s, SpvMathFn which)
{
    if (s->math_fn[which])
        return s->math_fn[which];
    Mw m = {.s = s, .bits = spv_math_bits(which)};
    m.f = spv_type_float(s, m.bits);
    m.i = spv_type_int(s, m.bits);
    m.b = spv_type_bool(s);
    uint32_t id = spv_id(s);
    s->math_fn[which] = id; /* before the body: helpers call each other */
    spv_name(s, id, MF_NAMES[which]);
    int np = 1;
    if (which == SPV_MF_POW)
        np = 2;
    else if (which == SPV_MF_FMA_ODD || which == SPV_MF_FMA)
        np = 3;
    uint32_t pt[3] = {m.f, m.f, m.f}, p[3];
    SpvWords head = {0};
    SPV_INST(&head, SpvOpFunction, m.f, id, SpvFunctionControlMaskNone,
             spv_type_fn(s, m.f, pt, np));
    for (int i = 0; i < np; i++) {
        p[i] = spv_id(s);
        SPV_INST(&head, SpvOpFunctionParameter, m.f, p[i]);
    }
    SPV_INST(&head, SpvOpLabel, spv_id(s));
    uint32_t r;
    switch (which) {
    case SPV_MF_EXP:
    case SPV_MF_EXP_F32: r = build_exp(&m, p[0]); break;
    case SPV_MF_EXP2:
    case SPV_MF_EXP2_F32: r = build_exp2(&m, p[0]); break;
    case SPV_MF_LOG:
    case SPV_MF_LOG_F32: r = build_log(&m, p[0]); break;
    case SPV_MF_LOG2:
    case SPV_MF_LOG2_F32: r = build_log2(&m, p[0]); break;
    case SPV_MF_SIN:
    case SPV_MF_SIN_F32: r = build_trig(&m, p[0], 0); break;
    case SPV_MF_COS:
    case SPV_MF_COS_F32: r = build_trig(&m, p[0], 1); break;
    case SPV_MF_TAN:
    case SPV_MF_TAN_F32: r = build_trig(&m, p[0], 2); break;
    case SPV_MF_TANH:
    case SPV_MF_TANH_F32: r = build_tanh(&m, p[0]); break;
    case SPV_MF_POW: r = build_pow(&m, p[0], p[1]); break;
    case SPV_MF_FMA_ODD: r = build_fma_odd(&m, p[0], p[1], p[2]); break;
    case SPV_MF_FMA: r = build_fma64(&m, p[0], p[1], p[2]); break;
    default: UNREACHABLE();
    }
    SPV_INST(&m.code, SpvOpReturnValue, r);
    SpvWords *out = &s->sec[SEC_FUNCTION];
    spv_words_append(out, &head);
    spv_words_append(out, &m.code);
    spv_inst(out, SpvOpFunctionEnd, NULL, 0);
    spv_words_free(&head);
    spv_words_free(&m.code);
    return id;
}
