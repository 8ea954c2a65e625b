/* math.c: the accurate math builtins of docs/language.md §7 for both LLVM targets.
 *
 * sqrt is llvm.sqrt (correctly rounded on NVPTX and AMDGPU unless fast-math
 * flags say otherwise, which we never set); f32 rsqrt is the target's
 * hardware 1/sqrt (build_rsqrt_unit), f64 rsqrt 1 / sqrt plus one Newton
 * step on the fma residual. Every other
 * function (exp exp2 log log2 sin cos tan tanh pow) is built here once per
 * module and type as a small internal alwaysinline LLVM function made only
 * of IEEE operations (fma, rint, bit manipulation), so both backends compile
 * the same well-understood code instead of approximate instructions or
 * libcalls that do not exist on a GPU. f16 computes in f32 and rounds once.
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
 *            + R)) with R the atanh series tail (as the SPIR-V backend),
 *            e ln2 in head and tail; log2 carries a head/tail pair.
 *   sin/cos/tan: k = rint(x 2/pi), r = x - k pi/2 with pi/2 in three (f32)
 *            or four (f64) parts (Cody-Waite with fma), then the sin and cos
 *            Taylor polynomials on [-pi/4, pi/4] picked by k mod 4.
 *   tanh(x): its odd Taylor series for |x| < 0.55, 1 - 2 / (exp(2|x|) + 1)
 *            above, sign restored by copysign.
 *   pow(x,y): f64: 2^(y log2|x|) with log2|x| in double-double (an atanh
 *            series), the product exact by fma and 2^t taking t's tail
 *            (log2_dd, exp2_dd: 0.54 ulp over the whole range); f32:
 *            exp2(y log2|x|) of the f64 helpers, rounded once. C's special
 *            values (pow_specials). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "llvm_internal.h"

/* Builder state for one helper function of one float type. */
typedef struct Mb {
    Lw *w;
    LLVMBuilderRef b;
    LLVMTypeRef ft, it; /* float type and the integer type of its width */
    int bits;           /* 32 or 64 */
} Mb;

static LLVMValueRef
k(Mb *mb, double v)
{
    return LLVMConstReal(mb->ft, mb->bits == 32 ? (double)(float)v : v);
}

static LLVMValueRef
ki(Mb *mb, long long v)
{
    return LLVMConstInt(mb->it, (unsigned long long)v, 1);
}

static LLVMValueRef
intr(Mb *mb, const char *name, LLVMValueRef *args, int n)
{
    LLVMTypeRef t = LLVMTypeOf(args[0]);
    return llvm_call_intrinsic(mb->w, name, &t, 1, args, n);
}

static LLVMValueRef
fma3(Mb *mb, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c)
{
    LLVMValueRef args[3] = {a, b, c};
    return intr(mb, "llvm.fma", args, 3);
}

static LLVMValueRef
m_add(Mb *mb, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFAdd(mb->b, a, b, "");
}

static LLVMValueRef
m_sub(Mb *mb, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFSub(mb->b, a, b, "");
}

static LLVMValueRef
m_mul(Mb *mb, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFMul(mb->b, a, b, "");
}

static LLVMValueRef
m_div(Mb *mb, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFDiv(mb->b, a, b, "");
}

static LLVMValueRef
fcmp(Mb *mb, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFCmp(mb->b, p, a, b, "");
}

static LLVMValueRef
sel(Mb *mb, LLVMValueRef c, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildSelect(mb->b, c, a, b, "");
}

static LLVMValueRef
rint1(Mb *mb, LLVMValueRef x)
{
    return intr(mb, "llvm.rint", &x, 1);
}

/* float -> integer of the same width, saturating (never poison) */
static LLVMValueRef
to_int(Mb *mb, LLVMValueRef x)
{
    LLVMTypeRef ovl[2] = {mb->it, mb->ft};
    return llvm_call_intrinsic(mb->w, "llvm.fptosi.sat", ovl, 2, &x, 1);
}

/* float -> integer for an x already rounded and clamped into range: a
 * plain conversion (NaN gives poison, which only a select arm that NaN
 * does not take may use) */
static LLVMValueRef
exact_int(Mb *mb, LLVMValueRef x)
{
    return LLVMBuildFPToSI(mb->b, x, mb->it, "");
}

/* Horner with fma: c[0] x^(n-1) + ... + c[n-1] */
static LLVMValueRef
horner(Mb *mb, LLVMValueRef x, const double *c, int n)
{
    LLVMValueRef p = k(mb, c[0]);
    for (int i = 1; i < n; i++)
        p = fma3(mb, p, x, k(mb, c[i]));
    return p;
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
static LLVMValueRef
scale(Mb *mb, LLVMValueRef p, LLVMValueRef n)
{
    LLVMValueRef n1 = LLVMBuildAShr(mb->b, n, ki(mb, 1), "");
    LLVMValueRef n2 = LLVMBuildSub(mb->b, n, n1, "");
    LLVMValueRef s1 = LLVMBuildShl(mb->b, LLVMBuildAdd(mb->b, n1, ki(mb, exp_bias(mb)), ""), ki(mb, mant_bits(mb)), "");
    LLVMValueRef s2 = LLVMBuildShl(mb->b, LLVMBuildAdd(mb->b, n2, ki(mb, exp_bias(mb)), ""), ki(mb, mant_bits(mb)), "");
    p = m_mul(mb, p, LLVMBuildBitCast(mb->b, s1, mb->ft, ""));
    return m_mul(mb, p, LLVMBuildBitCast(mb->b, s2, mb->ft, ""));
}

/* e^r for |r| <= ln2/2 + a little: Taylor series to degree 7 (f32) or 13 (f64) */
static LLVMValueRef
exp_poly(Mb *mb, LLVMValueRef r)
{
    double c[16];
    int deg = mb->bits == 32 ? 7 : 13;
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

static LLVMValueRef
clamp_abs(Mb *mb, LLVMValueRef x, double lim)
{
    x = sel(mb, fcmp(mb, LLVMRealOGT, x, k(mb, lim)), k(mb, lim), x);
    return sel(mb, fcmp(mb, LLVMRealOLT, x, k(mb, -lim)), k(mb, -lim), x);
}

static LLVMValueRef
nan_through(Mb *mb, LLVMValueRef x, LLVMValueRef r)
{
    return sel(mb, fcmp(mb, LLVMRealUNO, x, x), x, r);
}

static LLVMValueRef
fminmax(Mb *mb, const char *name, LLVMValueRef a, double v)
{
    LLVMValueRef args[2] = {a, k(mb, v)};
    return intr(mb, name, args, 2);
}

/* f32 e^x (base_e) or 2^x on the target's hardware 2^f (LlvmHooks.exp2_unit),
 * as CUDA's expf: u = x log2 e = n + f with n an integer in [-126, 127] and
 * the result 2^f 2^n, where 2^n is a normal float and the product rounds
 * once (subnormal results included).
 *   - z = (u + 126) / 253 clamped to [0, 1] (NaN gives 0), so that
 *     t = 253 z + 1.5 2^23 + 1 is 1.5 2^23 + 127 + n with n = u rounded to
 *     an integer (z's rounding moves the ties of u at most 2^-16, and f
 *     below absorbs any n near u) and clamped to [-126, 127];
 *   - n = t - (1.5 2^23 + 127), exact; the bits of t shifted left by 23 are
 *     those of 2^n (the low bits of t hold n + 127, the biased exponent);
 *   - f = u - n: x (log2 e)_hi - n by one fma plus x (log2 e)_lo by another
 *     (for 2^x, x - n, exact). Unclamped, |f| <= 1/2 + 2^-16; clamped, f is as
 *     large as the input needs and the unit gives 0 or inf, so huge inputs,
 *     infinities and NaN need no test. 2^f is normal unless the whole result
 *     is below 2^-150 (then 0), so the unit's flush of subnormals never shows.
 * Error: the unit's plus f's rounding (times ln 2, < 0.36 ulp) plus the final
 * rounding; tests/unit/test_llvm_math.c measures it with the unit modelled
 * at its documented worst case. */
static LLVMValueRef
build_exp_unit(Mb *mb, LLVMValueRef x, bool base_e)
{
    const double magic = 0x1.8p23;
    double scale = base_e ? M_LOG2E / 253 : 1.0 / 253;
    LLVMValueRef z = fma3(mb, x, k(mb, scale), k(mb, 126.0 / 253));
    z = mb->w->h->saturate ? mb->w->h->saturate(mb->w, z)
                           : fminmax(mb, "llvm.minnum", fminmax(mb, "llvm.maxnum", z, 0), 1);
    LLVMValueRef t = fma3(mb, z, k(mb, 253), k(mb, magic + 1));
    LLVMValueRef n = m_sub(mb, t, k(mb, magic + 127));
    LLVMValueRef f;
    if (base_e) {
        float hi = (float)M_LOG2E;
        float lo = (float)(1.44269504088896340735992468100189214L - (long double)hi);
        f = fma3(mb, x, k(mb, hi), LLVMBuildFNeg(mb->b, n, ""));
        f = fma3(mb, x, k(mb, lo), f);
    } else {
        f = m_sub(mb, x, n);
    }
    LLVMValueRef y = mb->w->h->exp2_unit(mb->w, f);
    LLVMValueRef e = LLVMBuildShl(mb->b, LLVMBuildBitCast(mb->b, t, mb->it, ""), ki(mb, 23), "");
    return m_mul(mb, y, LLVMBuildBitCast(mb->b, e, mb->ft, ""));
}

static LLVMValueRef
build_exp2(Mb *mb, LLVMValueRef x)
{
    if (mb->bits == 32 && mb->w->h->exp2_unit)
        return build_exp_unit(mb, x, false);
    LLVMValueRef xc = clamp_abs(mb, x, mb->bits == 32 ? 150 : 1100);
    LLVMValueRef n = rint1(mb, xc);
    LLVMValueRef r = m_mul(mb, m_sub(mb, xc, n), k(mb, M_LN2));
    return nan_through(mb, x, scale(mb, exp_poly(mb, r), exact_int(mb, n)));
}

/* e^x by the polynomial, on every target (tanh's, whose bound the
 * hardware unit's error would exceed) */
static LLVMValueRef
exp_soft(Mb *mb, LLVMValueRef x)
{
    LLVMValueRef xc = clamp_abs(mb, x, mb->bits == 32 ? 104 : 746);
    LLVMValueRef n = rint1(mb, m_mul(mb, xc, k(mb, M_LOG2E)));
    long double ln2 = 0.693147180559945309417232121458176568L;
    double hi = mb->bits == 32 ? (double)(float)ln2 : (double)ln2;
    double lo = (double)(ln2 - hi);
    LLVMValueRef nn = LLVMBuildFNeg(mb->b, n, "");
    LLVMValueRef r = fma3(mb, nn, k(mb, hi), xc);
    r = fma3(mb, nn, k(mb, lo), r);
    return nan_through(mb, x, scale(mb, exp_poly(mb, r), exact_int(mb, n)));
}

static LLVMValueRef
build_exp(Mb *mb, LLVMValueRef x)
{
    if (mb->bits == 32 && mb->w->h->exp2_unit)
        return build_exp_unit(mb, x, true);
    return exp_soft(mb, x);
}

/* v with its low `zero_bits` significand bits (of 53) cleared: a short head
 * whose products with small integers are exact */
static double
head_of(long double v, int zero_bits)
{
    double d = (double)v;
    return ldexp(trunc(ldexp(d, 52 - ilogb(d) - zero_bits)), ilogb(d) - 52 + zero_bits);
}

static const long double LN2L = 0.693147180559945309417232121458176568L;

/* x = m 2^e for a positive finite x, m in [sqrt(1/2), sqrt(2)) and e an
 * integer (as a float); subnormal x are scaled by 2^(mant_bits + 2) first */
static void
log_split(Mb *mb, LLVMValueRef x, LLVMValueRef *m_out, LLVMValueRef *e_out)
{
    int mbits = mant_bits(mb), bias = exp_bias(mb), up = mbits + 2;
    LLVMValueRef sub = fcmp(mb, LLVMRealOLT, x, k(mb, ldexp(1.0, 1 - bias)));
    LLVMValueRef xs = sel(mb, sub, m_mul(mb, x, k(mb, ldexp(1.0, up))), x);
    LLVMValueRef ib = LLVMBuildBitCast(mb->b, xs, mb->it, "");
    LLVMValueRef e = LLVMBuildAnd(mb->b, LLVMBuildLShr(mb->b, ib, ki(mb, mbits), ""), ki(mb, 2 * bias + 1), "");
    e = LLVMBuildSub(mb->b, e, sel(mb, sub, ki(mb, bias + up), ki(mb, bias)), "");
    LLVMValueRef mi = LLVMBuildOr(mb->b, LLVMBuildAnd(mb->b, ib, ki(mb, (1ll << mbits) - 1), ""),
                                  ki(mb, (long long)bias << mbits), "");
    LLVMValueRef m = LLVMBuildBitCast(mb->b, mi, mb->ft, "");
    LLVMValueRef big = fcmp(mb, LLVMRealOGT, m, k(mb, M_SQRT2));
    *m_out = sel(mb, big, m_mul(mb, m, k(mb, 0.5)), m);
    e = LLVMBuildAdd(mb->b, e, LLVMBuildZExt(mb->b, big, mb->it, ""), "");
    *e_out = LLVMBuildSIToFP(mb->b, e, mb->ft, "");
}

/* f32 log2(x) on the target's hardware unit (LlvmHooks.log2_unit, AMDGPU
 * v_log_f32 only): subnormal x (the unit flushes them) times 2^24 and 24
 * subtracted after (that subtraction rounds at most half an ulp of a result
 * whose ulp is twice the unit's: within the unit's bound for any bound of 1
 * ulp or more); zeros and negatives may take that path, -inf and NaN stay.
 * The result is otherwise the unit's own: AMD documents 1 ulp, CUDA's
 * log2f bound (test_log2_unit in tests/unit/test_llvm_math.c). */
static LLVMValueRef
build_log2_unit(Mb *mb, LLVMValueRef x)
{
    LLVMValueRef tiny = fcmp(mb, LLVMRealOLT, x, k(mb, 0x1p-126));
    LLVMValueRef xs = sel(mb, tiny, m_mul(mb, x, k(mb, 0x1p24)), x);
    LLVMValueRef r = mb->w->h->log2_unit(mb->w, xs);
    return sel(mb, tiny, m_sub(mb, r, k(mb, 24)), r);
}

/* ln(x) or log2(x), as targets/spirv/spirv_math.c (fdlibm's shape): x = m
 * 2^e with m in [sqrt(1/2), sqrt(2)) (subnormals scaled first), f = m - 1
 * (exact), s = f / (2 + f), ln(1+f) = f - (hfsq - s (hfsq + R)) with hfsq =
 * f^2 / 2 and R the atanh series tail, so the rounding errors fall on the
 * small terms; e ln2 (or e) is added with its error kept. */
static LLVMValueRef
build_log(Mb *mb, LLVMValueRef x, bool base2)
{
    bool f32 = mb->bits == 32;
    LLVMValueRef m, ef;
    log_split(mb, x, &m, &ef);
    LLVMValueRef f = m_sub(mb, m, k(mb, 1)); /* exact (Sterbenz) */
    LLVMValueRef sv = m_div(mb, f, m_add(mb, k(mb, 2), f));
    LLVMValueRef z = m_mul(mb, sv, sv);
    /* R = sum_{k>=1} 2 z^k / (2k + 1), |s| <= 0.1716 */
    int nt = f32 ? 5 : 12;
    double c[12];
    for (int i = nt; i >= 1; i--)
        c[nt - i] = 2.0 / (2 * i + 1);
    LLVMValueRef rr = m_mul(mb, z, horner(mb, z, c, nt));
    LLVMValueRef hfsq = m_mul(mb, k(mb, 0.5), m_mul(mb, f, f));
    LLVMValueRef sr = m_mul(mb, sv, m_add(mb, hfsq, rr));
    LLVMValueRef r;
    if (!base2) {
        /* ln2 = hi + lo, e hi exact for every exponent of the format */
        double hi = head_of(LN2L, f32 ? 53 - 16 : 53 - 32), lo = (double)(LN2L - hi);
        LLVMValueRef t = m_sub(mb, hfsq, m_add(mb, sr, m_mul(mb, ef, k(mb, lo))));
        r = m_add(mb, m_mul(mb, ef, k(mb, hi)), m_sub(mb, f, t));
    } else {
        /* ln(1+f) = hi + lo, hi = f - hfsq cut to 12 (f32) or 21 bits (f64);
         * 1/ln2 = ih + il with ih of 12 or 32 bits: hi ih is exact */
        LLVMValueRef hi = m_sub(mb, f, hfsq);
        long long keep = f32 ? (long long)0xfffff000 : (long long)0xffffffff00000000ull;
        hi = LLVMBuildBitCast(mb->b, LLVMBuildAnd(mb->b, LLVMBuildBitCast(mb->b, hi, mb->it, ""), ki(mb, keep), ""),
                              mb->ft, "");
        LLVMValueRef lo = m_add(mb, m_sub(mb, m_sub(mb, f, hi), hfsq), sr);
        long double inv = 1.442695040888963407359924681001892137L;
        double ih = head_of(inv, f32 ? 53 - 12 : 21), il = (double)(inv - ih);
        LLVMValueRef vh = m_mul(mb, hi, k(mb, ih));
        LLVMValueRef vl = m_add(mb, m_mul(mb, m_add(mb, lo, hi), k(mb, il)), m_mul(mb, lo, k(mb, ih)));
        /* e + vh with its rounding error moved into vl */
        LLVMValueRef w = m_add(mb, ef, vh);
        vl = m_add(mb, vl, m_add(mb, m_sub(mb, ef, w), vh));
        r = m_add(mb, w, vl);
    }
    LLVMValueRef inf = k(mb, INFINITY);
    r = sel(mb, fcmp(mb, LLVMRealOEQ, x, inf), inf, r);
    r = sel(mb, fcmp(mb, LLVMRealOEQ, x, k(mb, 0)), k(mb, -INFINITY), r);
    return sel(mb, fcmp(mb, LLVMRealULT, x, k(mb, 0)), k(mb, NAN), r);
}

/* Cody-Waite: k = rint(x 2/pi), r = x - k pi/2 with pi/2 in three (f32) or
 * four (f64) parts; exact enough for |x| < 2^16 (f32) and 10^9 (f64) */
static void
reduce_cody_waite(Mb *mb, LLVMValueRef x, LLVMValueRef *r_out, LLVMValueRef *q_out)
{
    LLVMValueRef kk = rint1(mb, m_mul(mb, x, k(mb, M_2_PI)));
    LLVMValueRef nk = LLVMBuildFNeg(mb->b, kk, "");
    LLVMValueRef r;
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
    *q_out = to_int(mb, kk);
}

/* Bits of 2/pi (bit i of the fraction weighs 2^-i), after 32 zero bits so
 * that a window may start before the binary point: fraction bit i is bit
 * i + 31 of the table, counting from 0 at the most significant bit of
 * word 0. Computed with integer arithmetic from
 * Machin's formula when this code was written (fdlibm's table agrees). */
static const uint32_t TWO_OVER_PI[9] = {0x00000000, 0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0,
                                        0xdb629599, 0x3c439041, 0xfe5163ab, 0xdebbc561};

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
reduce_payne_hanek_f32(Mb *mb, LLVMValueRef x, LLVMValueRef *r, LLVMValueRef *q)
{
    LLVMBuilderRef b = mb->b;
    LLVMContextRef ctx = mb->w->ctx;
    LLVMTypeRef i32 = LLVMInt32TypeInContext(ctx), i64 = LLVMInt64TypeInContext(ctx);
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(ctx);
    LLVMValueRef tab = mb->w->math_table;
    if (!tab) {
        LLVMTypeRef at = LLVMArrayType2(i32, 9);
        LLVMValueRef vals[9];
        for (int i = 0; i < 9; i++)
            vals[i] = LLVMConstInt(i32, TWO_OVER_PI[i], 0);
        tab = LLVMAddGlobalInAddressSpace(mb->w->mod, at, "__claw_two_over_pi", mb->w->h->global_as);
        LLVMSetInitializer(tab, LLVMConstArray2(i32, vals, 9));
        LLVMSetGlobalConstant(tab, 1);
        LLVMSetLinkage(tab, LLVMInternalLinkage);
        LLVMSetAlignment(tab, 4);
        mb->w->math_table = tab;
    }
    LLVMValueRef bits = LLVMBuildBitCast(b, x, i32, "");
    LLVMValueRef ab = LLVMBuildAnd(b, bits, LLVMConstInt(i32, 0x7fffffff, 0), "");
    LLVMValueRef e = LLVMBuildLShr(b, ab, LLVMConstInt(i32, 23, 0), "");
    LLVMValueRef m = LLVMBuildOr(b, LLVMBuildAnd(b, ab, LLVMConstInt(i32, 0x7fffff, 0), ""),
                                 LLVMConstInt(i32, 0x800000, 0), "");
    /* E = e - 150; the window starts at fraction bit E - 1, which is bit
     * E + 30 of the table counted from 0 at the top of word 0 */
    LLVMValueRef t0 = LLVMBuildSub(b, e, LLVMConstInt(i32, 150 - 30, 0), "");
    LLVMValueRef wi = LLVMBuildLShr(b, t0, LLVMConstInt(i32, 5, 0), "");
    LLVMValueRef sh = LLVMBuildAnd(b, t0, LLVMConstInt(i32, 31, 0), "");
    LLVMValueRef word[4];
    for (int j = 0; j < 4; j++) {
        LLVMValueRef idx[2] = {LLVMConstInt(i32, 0, 0), LLVMBuildAdd(b, wi, LLVMConstInt(i32, (unsigned)j, 0), "")};
        LLVMValueRef p = LLVMBuildInBoundsGEP2(b, LLVMGlobalGetValueType(tab), tab, idx, 2, "");
        LLVMValueRef v = LLVMBuildLoad2(b, i32, p, "");
        LLVMSetAlignment(v, 4);
        word[j] = LLVMBuildZExt(b, v, i64, "");
    }
    /* w_j = 32 bits of the window: (word_j:word_j+1) << sh, top half */
    LLVMValueRef rs = LLVMBuildZExt(b, LLVMBuildSub(b, LLVMConstInt(i32, 32, 0), sh, ""), i64, "");
    LLVMValueRef m64 = LLVMBuildZExt(b, m, i64, ""), p3[3];
    for (int j = 0; j < 3; j++) {
        LLVMValueRef pair = LLVMBuildOr(b, LLVMBuildShl(b, word[j], LLVMConstInt(i64, 32, 0), ""), word[j + 1], "");
        LLVMValueRef w = LLVMBuildAnd(b, LLVMBuildLShr(b, pair, rs, ""), LLVMConstInt(i64, 0xffffffff, 0), "");
        p3[j] = LLVMBuildMul(b, m64, w, ""); /* < 2^56 */
    }
    /* P = p0 2^64 + p1 2^32 + p2: lo = P mod 2^64, hi = P >> 64 */
    LLVMValueRef lo = LLVMBuildAdd(b, p3[2], LLVMBuildShl(b, p3[1], LLVMConstInt(i64, 32, 0), ""), "");
    LLVMValueRef carry = LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntULT, lo, p3[2], ""), i64, "");
    LLVMValueRef hi = LLVMBuildAdd(b, LLVMBuildAdd(b, p3[0], LLVMBuildLShr(b, p3[1], LLVMConstInt(i64, 32, 0), ""), ""),
                                   carry, "");
    LLVMValueRef quad = LLVMBuildTrunc(b, LLVMBuildLShr(b, hi, LLVMConstInt(i64, 30, 0), ""), i32, "");
    LLVMValueRef frac = LLVMBuildOr(b, LLVMBuildShl(b, hi, LLVMConstInt(i64, 34, 0), ""),
                                    LLVMBuildLShr(b, lo, LLVMConstInt(i64, 30, 0), ""), "");
    /* a fraction of 1/2 or more belongs to the next quadrant: read it signed */
    LLVMValueRef up = LLVMBuildICmp(b, LLVMIntSLT, frac, LLVMConstInt(i64, 0, 0), "");
    quad = LLVMBuildAdd(b, quad, LLVMBuildZExt(b, up, i32, ""), "");
    LLVMValueRef rf = LLVMBuildFMul(b, LLVMBuildSIToFP(b, frac, f64, ""),
                                    LLVMConstReal(f64, 1.57079632679489661923 * 0x1p-64), "");
    LLVMValueRef rr = LLVMBuildFPTrunc(b, rf, mb->ft, "");
    /* sin and tan are odd, cos even: x < 0 negates r and the quadrant */
    LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, bits, LLVMConstInt(i32, 0, 0), "");
    *r = sel(mb, neg, LLVMBuildFNeg(b, rr, ""), rr);
    *q = LLVMBuildSelect(b, neg, LLVMBuildNeg(b, quad, ""), quad, "");
}

/* which: 0 sin, 1 cos, 2 tan */
/* The Taylor coefficients of tan x (sign +1) or tanh x (sign -1) = sum a_n
 * x^(2n+1), from tan' = 1 + tan^2 and tanh' = 1 - tanh^2: a_0 = 1, (2n+1)
 * a_n = sign sum_{i+j=n-1} a_i a_j; c[0..n-1] = a_n .. a_1 for Horner in
 * x^2 */
static void
odd_series_coeffs(double *c, int n, int sign)
{
    long double a[48] = {1};
    for (int k = 1; k <= n; k++) {
        long double sum = 0;
        for (int i = 0; i <= k - 1; i++)
            sum += a[i] * a[k - 1 - i];
        a[k] = sign * sum / (2 * k + 1);
    }
    for (int k = 1; k <= n; k++)
        c[n - k] = (double)a[k];
}

/* a + b = s + *err exactly (Knuth's TwoSum, any magnitudes) */
static LLVMValueRef
two_sum(Mb *mb, LLVMValueRef a, LLVMValueRef b, LLVMValueRef *err)
{
    LLVMValueRef s = m_add(mb, a, b);
    LLVMValueRef bv = m_sub(mb, s, a);
    *err = m_add(mb, m_sub(mb, a, m_sub(mb, s, bv)), m_sub(mb, b, bv));
    return s;
}

/* f64 tan x (sin / cos rounds three times and the reduction's last steps
 * twice more: 2.8 ulp against CUDA's 2). x - k pi/2 = rh + rl exactly
 * enough: x - k p1 is exact (p1: the 33-bit head of pi/2), k p2 is a
 * pair by TwoProd and its sum with x - k p1 a pair by TwoSum, and the two
 * smallest parts join the tail, which no cancellation can reach
 * (|x - k pi/2| stays far above k p3 for every double x).
 * tan(rh + rl) = rh + (rh z T(z) + rl (1 + tan^2)), z = rh^2, with T
 * tan's Taylor series (terms shrink by
 * (2r/pi)^2 <= 1/4 on [-pi/4, pi/4]: 28 leave less than 2^-57), so the
 * result rounds once; for odd k it is -1 / tan, the quotient of 1 by the
 * head/tail pair of tan refined by one fma residual step. b0: k is odd. */
static LLVMValueRef
tan_f64(Mb *mb, LLVMValueRef x, LLVMValueRef b0)
{
    LLVMValueRef kk = rint1(mb, m_mul(mb, x, k(mb, M_2_PI)));
    LLVMValueRef nk = LLVMBuildFNeg(mb->b, kk, "");
    LLVMValueRef r1 = fma3(mb, nk, k(mb, 1.57079632673412561417e+00), x);
    LLVMValueRef p2 = k(mb, 6.07710050630396597660e-11);
    LLVMValueRef kp2 = m_mul(mb, nk, p2);
    LLVMValueRef kp2_lo = fma3(mb, nk, p2, LLVMBuildFNeg(mb->b, kp2, "")); /* TwoProd */
    LLVMValueRef e2, r2 = two_sum(mb, r1, kp2, &e2);
    LLVMValueRef c = fma3(mb, nk, k(mb, 2.02226624871116645580e-21),
                          fma3(mb, nk, k(mb, 8.47842766036889956997e-32), m_add(mb, e2, kp2_lo)));
    LLVMValueRef rl, rh = two_sum(mb, r2, c, &rl);
    LLVMValueRef z = m_mul(mb, rh, rh);
    double tc[32];
    odd_series_coeffs(tc, 28, 1);
    LLVMValueRef m = m_mul(mb, rh, z);
    LLVMValueRef p = horner(mb, z, tc, 28);
    LLVMValueRef ta = fma3(mb, m, p, rh);
    LLVMValueRef corr = m_mul(mb, rl, fma3(mb, ta, ta, k(mb, 1)));
    LLVMValueRef w = fma3(mb, m, p, corr);
    LLVMValueRef th = m_add(mb, rh, w);
    LLVMValueRef tl = m_sub(mb, w, m_sub(mb, th, rh)); /* |w| < |rh|: Fast2Sum */
    /* 1 / (th + tl): q = 1/th, e = 1 - q th - q tl, q + q e */
    LLVMValueRef q = m_div(mb, k(mb, 1), th);
    LLVMValueRef nq = LLVMBuildFNeg(mb->b, q, "");
    LLVMValueRef e = fma3(mb, nq, tl, fma3(mb, nq, th, k(mb, 1)));
    LLVMValueRef cot = fma3(mb, q, e, q);
    /* where the step is not a number (th 0 or inf, x inf or NaN) q stays */
    cot = sel(mb, fcmp(mb, LLVMRealUNO, cot, cot), q, cot);
    return sel(mb, b0, LLVMBuildFNeg(mb->b, cot, ""), th);
}

static LLVMValueRef
build_trig(Mb *mb, LLVMValueRef x, int which)
{
    LLVMValueRef r, q;
    if (mb->bits == 32) {
        /* |x| >= 2^16 (finite) takes the Payne-Hanek branch; inf and NaN
         * stay on the fast path, which makes them NaN */
        LLVMValueRef ax = intr(mb, "llvm.fabs", &x, 1);
        LLVMValueRef big = LLVMBuildAnd(mb->b, fcmp(mb, LLVMRealOGE, ax, k(mb, 0x1p16)),
                                        fcmp(mb, LLVMRealOLT, ax, k(mb, INFINITY)), "");
        LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(mb->b));
        LLVMContextRef ctx = mb->w->ctx;
        LLVMBasicBlockRef bb_small = LLVMAppendBasicBlockInContext(ctx, fn, "trig.small");
        LLVMBasicBlockRef bb_big = LLVMAppendBasicBlockInContext(ctx, fn, "trig.big");
        LLVMBasicBlockRef bb_join = LLVMAppendBasicBlockInContext(ctx, fn, "trig.join");
        LLVMBuildCondBr(mb->b, big, bb_big, bb_small);
        LLVMPositionBuilderAtEnd(mb->b, bb_small);
        LLVMValueRef r_s, q_s, r_b, q_b;
        reduce_cody_waite(mb, x, &r_s, &q_s);
        LLVMBuildBr(mb->b, bb_join);
        LLVMPositionBuilderAtEnd(mb->b, bb_big);
        reduce_payne_hanek_f32(mb, x, &r_b, &q_b);
        LLVMBasicBlockRef bb_big_end = LLVMGetInsertBlock(mb->b);
        LLVMBuildBr(mb->b, bb_join);
        LLVMPositionBuilderAtEnd(mb->b, bb_join);
        r = LLVMBuildPhi(mb->b, mb->ft, "");
        q = LLVMBuildPhi(mb->b, mb->it, "");
        LLVMValueRef rv[2] = {r_s, r_b}, qv[2] = {q_s, q_b};
        LLVMBasicBlockRef from[2] = {bb_small, bb_big_end};
        LLVMAddIncoming(r, rv, from, 2);
        LLVMAddIncoming(q, qv, from, 2);
    } else {
        reduce_cody_waite(mb, x, &r, &q);
    }
    LLVMValueRef z = m_mul(mb, r, r);
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
    LLVMValueRef b0 = LLVMBuildICmp(mb->b, LLVMIntNE, LLVMBuildAnd(mb->b, q, ki(mb, 1), ""), ki(mb, 0), "");
    LLVMValueRef b1 = LLVMBuildICmp(mb->b, LLVMIntNE, LLVMBuildAnd(mb->b, q, ki(mb, 2), ""), ki(mb, 0), "");
    if (which == 2 && mb->bits == 64)
        return tan_f64(mb, x, b0);
    LLVMValueRef sr = fma3(mb, m_mul(mb, r, z), horner(mb, z, sc, ns), r);
    LLVMValueRef cr = fma3(mb, z, horner(mb, z, cc, nc), k(mb, 1));
    if (which == 2)
        return sel(mb, b0, LLVMBuildFNeg(mb->b, m_div(mb, cr, sr), ""), m_div(mb, sr, cr));
    LLVMValueRef v, neg;
    if (which == 0) {
        v = sel(mb, b0, cr, sr);
        neg = b1;
    } else {
        v = sel(mb, b0, sr, cr);
        neg = LLVMBuildXor(mb->b, b0, b1, "");
    }
    return sel(mb, neg, LLVMBuildFNeg(mb->b, v, ""), v);
}

static LLVMValueRef helper_fn(Lw *w, IrOp op, int bits);

static LLVMValueRef
call_helper(Mb *mb, IrOp op, LLVMValueRef x)
{
    LLVMValueRef fn = helper_fn(mb->w, op, mb->bits);
    return LLVMBuildCall2(mb->b, LLVMGlobalGetValueType(fn), fn, &x, 1, "");
}

static LLVMValueRef
build_tanh(Mb *mb, LLVMValueRef x)
{
    LLVMValueRef a = intr(mb, "llvm.fabs", &x, 1);
    LLVMValueRef a2 = m_mul(mb, a, k(mb, 2));
    /* |x| < cut: tanh x = x + x z P(z), z = x^2, by its Taylor series, so
     * tiny x give x and the error stays near half an ulp (CUDA's bound is
     * 2 ulp f32, 1 ulp f64). Terms shrink by (2x/pi)^2: below 0.55 (f32)
     * by 0.123, 10 terms leave less than 2^-27; below 0.9 (f64) by 0.33,
     * 38 terms leave less than 2^-58. Above, 1 - 2/(e^2x + 1) passes on
     * exp's error times 2 e^2x / ((e^2x + 1)^2 tanh x): 0.75 at 0.55 but
     * 0.34 at 0.9, which keeps f64 within CUDA's 1 ulp. */
    double c[40];
    int nt = mb->bits == 32 ? 10 : 38;
    double cut = mb->bits == 32 ? 0.55 : 0.9;
    odd_series_coeffs(c, nt, -1);
    LLVMValueRef z = m_mul(mb, a, a);
    LLVMValueRef ts = fma3(mb, m_mul(mb, a, z), horner(mb, z, c, nt), a);
    LLVMValueRef e = exp_soft(mb, a2);
    LLVMValueRef tb = m_sub(mb, k(mb, 1), m_div(mb, k(mb, 2), m_add(mb, e, k(mb, 1))));
    LLVMValueRef t = sel(mb, fcmp(mb, LLVMRealOLT, a, k(mb, cut)), ts, tb);
    LLVMValueRef args[2] = {t, x};
    return intr(mb, "llvm.copysign", args, 2);
}

/* ---- f64 pow in double-double ---------------------------------------------

 * A double-double (Dd) is an unevaluated sum hi + lo with |lo| at most a few
 * ulps of hi: ~106 bits. The operations below (Dekker's, with fma for the
 * exact product) lose at most a few units of 2^-104 relative. */
typedef struct Dd {
    LLVMValueRef hi, lo;
} Dd;

/* a double-double constant: v = hi + lo with hi = RN(v) (lo exact to 2^-106) */
static Dd
dd_const(Mb *mb, double hi, double lo)
{
    return (Dd){k(mb, hi), k(mb, lo)};
}

/* p/q for small integers: hi = RN(p/q), lo = (p - hi q)/q with p - hi q
 * exact by fma */
static Dd
dd_ratio(Mb *mb, double p, double q)
{
    double hi = p / q;
    return dd_const(mb, hi, fma(-hi, q, p) / q);
}

/* a b exactly (TwoProd by fma) */
static Dd
dd_prod(Mb *mb, LLVMValueRef a, LLVMValueRef b)
{
    LLVMValueRef hi = m_mul(mb, a, b);
    return (Dd){hi, fma3(mb, a, b, LLVMBuildFNeg(mb->b, hi, ""))};
}

static Dd
dd_mul(Mb *mb, Dd a, Dd b)
{
    Dd p = dd_prod(mb, a.hi, b.hi);
    p.lo = fma3(mb, a.hi, b.lo, fma3(mb, a.lo, b.hi, p.lo));
    return p;
}

static Dd
dd_mul_d(Mb *mb, Dd a, LLVMValueRef b)
{
    Dd p = dd_prod(mb, a.hi, b);
    p.lo = fma3(mb, a.lo, b, p.lo);
    return p;
}

/* a + b for |a.hi| >= |b.hi| or a.hi = 0 (Fast2Sum on the heads) */
static Dd
dd_add_fast(Mb *mb, Dd a, Dd b)
{
    LLVMValueRef s = m_add(mb, a.hi, b.hi);
    LLVMValueRef e = m_add(mb, m_sub(mb, a.hi, s), b.hi);
    return (Dd){s, m_add(mb, e, m_add(mb, a.lo, b.lo))};
}

/* a + b exactly for any doubles (Knuth's TwoSum) */
static Dd
dd_sum(Mb *mb, LLVMValueRef a, LLVMValueRef b)
{
    LLVMValueRef s = m_add(mb, a, b);
    LLVMValueRef bb = m_sub(mb, s, a);
    LLVMValueRef e = m_add(mb, m_sub(mb, a, m_sub(mb, s, bb)), m_sub(mb, b, bb));
    return (Dd){s, e};
}

/* hi + lo renormalised: |lo| <= ulp(hi) / 2 */
static Dd
dd_norm(Mb *mb, Dd a)
{
    LLVMValueRef s = m_add(mb, a.hi, a.lo);
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
log2_dd(Mb *mb, LLVMValueRef x)
{
    LLVMValueRef m, ef;
    log_split(mb, x, &m, &ef);
    LLVMValueRef f = m_sub(mb, m, k(mb, 1)); /* exact (Sterbenz) */
    /* d = 2 + f exactly (Fast2Sum), s = f / d in double-double */
    LLVMValueRef dh = m_add(mb, k(mb, 2), f);
    LLVMValueRef dl = m_add(mb, m_sub(mb, k(mb, 2), dh), f);
    LLVMValueRef inv = m_div(mb, k(mb, 1), dh);
    LLVMValueRef sh = m_mul(mb, f, inv);
    LLVMValueRef res = fma3(mb, LLVMBuildFNeg(mb->b, sh, ""), dh, f);
    res = fma3(mb, LLVMBuildFNeg(mb->b, sh, ""), dl, res);
    Dd s = {sh, m_mul(mb, res, inv)};
    Dd z = dd_prod(mb, sh, sh);
    z.lo = fma3(mb, m_mul(mb, sh, k(mb, 2)), s.lo, z.lo);
    double c[11];
    for (int i = 0; i < 11; i++) /* 2/27, 2/25, ..., 2/7 */
        c[i] = 2.0 / (27 - 2 * i);
    LLVMValueRef a = horner(mb, z.hi, c, 11);
    Dd t = dd_add_fast(mb, dd_ratio(mb, 2, 5), dd_mul_d(mb, z, a));
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
static LLVMValueRef
exp2_dd(Mb *mb, Dd t)
{
    LLVMValueRef th = clamp_abs(mb, t.hi, 1100);
    LLVMValueRef huge = fcmp(mb, LLVMRealOGT, intr(mb, "llvm.fabs", &t.hi, 1), k(mb, 1100));
    LLVMValueRef tl = sel(mb, huge, k(mb, 0), t.lo);
    LLVMValueRef n = rint1(mb, th);
    Dd f = dd_sum(mb, m_sub(mb, th, n), tl); /* th - n exact */
    /* ln2 = 0x1.62e42fefa39efp-1 + 0x1.abc9e3b39803fp-56 (error 2^-110) */
    double l2h = 0x1.62e42fefa39efp-1, l2l = 0x1.abc9e3b39803fp-56;
    Dd r = dd_prod(mb, f.hi, k(mb, l2h));
    r.lo = m_add(mb, r.lo, fma3(mb, f.hi, k(mb, l2l), m_mul(mb, f.lo, k(mb, l2h))));
    /* P(r) = 1/3! + r/4! + ... + r^11/14! */
    double c[12], fac = 1;
    for (int i = 1; i <= 14; i++)
        fac *= i;
    for (int i = 0; i < 12; i++) { /* c[i] = 1/(14 - i)! */
        c[i] = 1.0 / fac;
        fac /= 14 - i;
    }
    LLVMValueRef r2 = m_mul(mb, r.hi, r.hi);
    LLVMValueRef cube = m_mul(mb, m_mul(mb, r2, r.hi), horner(mb, r.hi, c, 12));
    Dd h = dd_prod(mb, m_mul(mb, r.hi, k(mb, 0.5)), r.hi); /* r^2/2 */
    Dd s1 = dd_add_fast(mb, (Dd){k(mb, 1), k(mb, 0)}, (Dd){r.hi, k(mb, 0)});
    Dd s2 = dd_add_fast(mb, (Dd){s1.hi, k(mb, 0)}, (Dd){h.hi, k(mb, 0)});
    /* e^(r_hi + r_lo) = e^r_hi (1 + r_lo): r_lo (1 + r_hi) to first order */
    LLVMValueRef rl = fma3(mb, r.lo, r.hi, r.lo);
    LLVMValueRef tail = m_add(mb, m_add(mb, s1.lo, s2.lo), m_add(mb, h.lo, m_add(mb, cube, rl)));
    /* A subnormal result p 2^n would round twice (p to 53 bits, then to the
     * subnormal grid): there C = 2^(-1022 - n) > p instead, so C + p lies in
     * [C, 2C), whose grid is the subnormals' in p's scale; (C + p) - C is
     * exact, and so is its product by 2^n. C = 0 for normal results. */
    LLVMValueRef ni = exact_int(mb, n);
    LLVMValueRef ck = LLVMBuildSub(mb->b, ki(mb, -1022), ni, "");
    ck = sel(mb, LLVMBuildICmp(mb->b, LLVMIntSLT, ck, ki(mb, -1), ""), ki(mb, -1), ck);
    LLVMValueRef cb = LLVMBuildShl(mb->b, LLVMBuildAdd(mb->b, ck, ki(mb, 1023), ""), ki(mb, 52), "");
    LLVMValueRef cv = LLVMBuildBitCast(mb->b, cb, mb->ft, "");
    cv = sel(mb, fcmp(mb, LLVMRealOLT, s2.hi, cv), cv, k(mb, 0));
    Dd q = dd_add_fast(mb, (Dd){cv, k(mb, 0)}, (Dd){s2.hi, tail});
    LLVMValueRef p = m_sub(mb, m_add(mb, q.hi, q.lo), cv);
    return nan_through(mb, t.hi, scale(mb, p, ni));
}

/* C's pow around r = |x|^y (computed for |x| whatever the sign of x):
 * pow(+-1, y) has magnitude 1 (so pow(-1, +-inf) = 1); a negative x with an
 * odd integer y negates (-0 and -inf included); x < 0 finite with y not an
 * integer is NaN (pow(-inf, 0.5) is +inf); pow(x, 0) = pow(1, y) = 1, NaN
 * included. */
static LLVMValueRef
pow_specials(Mb *mb, LLVMValueRef x, LLVMValueRef y, LLVMValueRef ax, LLVMValueRef r)
{
    r = sel(mb, fcmp(mb, LLVMRealOEQ, ax, k(mb, 1)), k(mb, 1), r);
    LLVMValueRef yint = fcmp(mb, LLVMRealOEQ, intr(mb, "llvm.trunc", &y, 1), y);
    LLVMValueRef yh = m_mul(mb, y, k(mb, 0.5));
    LLVMValueRef yodd = LLVMBuildAnd(mb->b, yint, fcmp(mb, LLVMRealUNE, intr(mb, "llvm.trunc", &yh, 1), yh), "");
    LLVMValueRef xbits = LLVMBuildBitCast(mb->b, x, mb->it, "");
    LLVMValueRef xneg = LLVMBuildICmp(mb->b, LLVMIntSLT, xbits, ki(mb, 0), ""); /* -0 too */
    r = sel(mb, LLVMBuildAnd(mb->b, xneg, yodd, ""), LLVMBuildFNeg(mb->b, r, ""), r);
    LLVMValueRef negfin = LLVMBuildAnd(mb->b, fcmp(mb, LLVMRealOLT, x, k(mb, 0)),
                                       fcmp(mb, LLVMRealOGT, x, k(mb, -INFINITY)), "");
    r = sel(mb, LLVMBuildAnd(mb->b, negfin, LLVMBuildNot(mb->b, yint, ""), ""), k(mb, NAN), r);
    LLVMValueRef one = LLVMBuildOr(mb->b, fcmp(mb, LLVMRealOEQ, y, k(mb, 0)), fcmp(mb, LLVMRealOEQ, x, k(mb, 1)), "");
    return sel(mb, one, k(mb, 1), r);
}

/* f64: |x|^y = 2^(y log2|x|) with log2|x| in double-double (log2_dd), the
 * product y log2|x| exact to 2^-100 (TwoProd) and 2^t taking t's tail
 * (exp2_dd): the error stays near 0.5 ulp however large |t| is. log2 of 0
 * and inf are -inf and inf (tail 0), so 0^y and inf^y come out of the same
 * path. */
static LLVMValueRef
build_pow(Mb *mb, LLVMValueRef x, LLVMValueRef y)
{
    LLVMValueRef ax = intr(mb, "llvm.fabs", &x, 1);
    Dd l = log2_dd(mb, ax);
    LLVMValueRef zero = fcmp(mb, LLVMRealOEQ, ax, k(mb, 0));
    LLVMValueRef inf = fcmp(mb, LLVMRealOEQ, ax, k(mb, INFINITY));
    LLVMValueRef nan = fcmp(mb, LLVMRealUNO, ax, ax);
    l.hi = sel(mb, zero, k(mb, -INFINITY), sel(mb, inf, ax, sel(mb, nan, ax, l.hi)));
    l.lo = sel(mb, LLVMBuildOr(mb->b, LLVMBuildOr(mb->b, zero, inf, ""), nan, ""), k(mb, 0), l.lo);
    Dd t = dd_prod(mb, y, l.hi);
    t.lo = fma3(mb, y, l.lo, t.lo);
    return pow_specials(mb, x, y, ax, exp2_dd(mb, t));
}

/* f32: exp2(y log2|x|) in f64 with the f64 log2 and exp2 helpers, rounded
 * to f32 once: their error grows with |t| = |y log2 x| (3 + 5|t| f64 ulps,
 * |t| <= 150 where an f32 result is finite and not 0) but stays below
 * 2^-18 f32 ulp, so the cheaper composition is as good as the f64 pow here. */
static LLVMValueRef
build_pow_f32(Mb *mb, LLVMValueRef x, LLVMValueRef y)
{
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(mb->w->ctx);
    Mb m64 = {.w = mb->w, .b = mb->b, .ft = f64, .it = LLVMInt64TypeInContext(mb->w->ctx), .bits = 64};
    LLVMValueRef xd = LLVMBuildFPExt(mb->b, x, f64, ""), yd = LLVMBuildFPExt(mb->b, y, f64, "");
    LLVMValueRef ax = intr(&m64, "llvm.fabs", &xd, 1);
    LLVMValueRef r = call_helper(&m64, IR_EXP2, m_mul(&m64, yd, call_helper(&m64, IR_LOG2, ax)));
    return LLVMBuildFPTrunc(mb->b, pow_specials(&m64, xd, yd, ax, r), mb->ft, "");
}

static int
helper_slot(IrOp op, int bits)
{
    return (int)(op - IR_SQRT) * 2 + (bits == 64);
}

/* The helper function for op on f32/f64, built on first use. */
static LLVMValueRef
helper_fn(Lw *w, IrOp op, int bits)
{
    int slot = helper_slot(op, bits);
    if (w->math[slot])
        return w->math[slot];
    Mb mb = {.w = w, .bits = bits};
    mb.ft = bits == 32 ? LLVMFloatTypeInContext(w->ctx) : LLVMDoubleTypeInContext(w->ctx);
    mb.it = LLVMIntTypeInContext(w->ctx, (unsigned)bits);
    int nargs = op == IR_POW ? 2 : 1;
    LLVMTypeRef pt[2] = {mb.ft, mb.ft};
    char name[64];
    snprintf(name, sizeof name, "__claw_%s_f%d", ir_op_name(op), bits);
    LLVMValueRef fn = LLVMAddFunction(w->mod, name, LLVMFunctionType(mb.ft, pt, (unsigned)nargs, 0));
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    static const char *const attrs[] = {"alwaysinline", "nounwind"};
    for (int i = 0; i < 2; i++) {
        unsigned kind = LLVMGetEnumAttributeKindForName(attrs[i], strlen(attrs[i]));
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(w->ctx, kind, 0));
    }
    w->math[slot] = fn;
    LLVMBuilderRef saved = w->b;
    mb.b = w->b = LLVMCreateBuilderInContext(w->ctx);
    LLVMPositionBuilderAtEnd(mb.b, LLVMAppendBasicBlockInContext(w->ctx, fn, "entry"));
    LLVMValueRef x = LLVMGetParam(fn, 0), r = NULL;
    switch (op) {
    case IR_EXP: r = build_exp(&mb, x); break;
    case IR_EXP2: r = build_exp2(&mb, x); break;
    case IR_LOG: r = build_log(&mb, x, false); break;
    case IR_LOG2:
        r = bits == 32 && w->h->log2_unit ? build_log2_unit(&mb, x) : build_log(&mb, x, true);
        break;
    case IR_SIN: r = build_trig(&mb, x, 0); break;
    case IR_COS: r = build_trig(&mb, x, 1); break;
    case IR_TAN: r = build_trig(&mb, x, 2); break;
    case IR_TANH: r = build_tanh(&mb, x); break;
    case IR_POW:
        r = bits == 64 ? build_pow(&mb, x, LLVMGetParam(fn, 1))
                       : build_pow_f32(&mb, x, LLVMGetParam(fn, 1));
        break;
    case IR_CONST: case IR_ZERO: case IR_UNDEF: case IR_PARAM: case IR_ADD: case IR_SUB:
    case IR_MUL: case IR_DIV: case IR_REM: case IR_AND: case IR_OR: case IR_XOR: case IR_SHL:
    case IR_SHR: case IR_NEG: case IR_NOT: case IR_EQ: case IR_NE: case IR_LT: case IR_LE:
    case IR_GT: case IR_GE: case IR_CAST: case IR_BITCAST: case IR_SELECT: case IR_LOCAL: case IR_SHARED:
    case IR_LOAD: case IR_STORE: case IR_ELEM_PTR: case IR_FIELD_PTR: case IR_PTR_ADD:
    case IR_EXTRACT: case IR_INSERT: case IR_COMPOSITE: case IR_CALL: case IR_THREAD_ID:
    case IR_BLOCK_ID: case IR_BLOCK_DIM: case IR_GRID_DIM: case IR_GLOBAL_ID: case IR_BARRIER:
    case IR_SQRT: case IR_RSQRT: case IR_FLOOR: case IR_CEIL: case IR_ROUND: case IR_TRUNC:
    case IR_ABS: case IR_MIN: case IR_MAX: case IR_CLAMP: case IR_FMA: case IR_ATOMIC_ADD:
    case IR_ATOMIC_SUB: case IR_ATOMIC_MIN: case IR_ATOMIC_MAX: case IR_ATOMIC_AND:
    case IR_ATOMIC_OR: case IR_ATOMIC_XOR: case IR_ATOMIC_XCHG: case IR_ATOMIC_CAS:
    case IR_LANE_ID: case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID: case IR_NUM_SUBGROUPS:
    case IR_SHUFFLE: case IR_SHUFFLE_XOR:
    case IR_SUBGROUP_SUM: case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX:
    case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL: case IR_IF: case IR_LOOP:
    case IR_BREAK: case IR_CONTINUE: case IR_RETURN: IR_MATRIX_OP_CASES: case IR_MMA_FRAG: case IR_MAT_SG_SIZE: case IR_NUM_OPS: ICE("no math helper for %s", ir_op_name(op));
    }
    LLVMBuildRet(mb.b, r);
    LLVMDisposeBuilder(mb.b);
    w->b = saved;
    return fn;
}

/* f32 1/sqrt(x) on the target's hardware unit (LlvmHooks.rsqrt_unit), as
 * CUDA's rsqrtf and HIP's: subnormal x (the units flush them) times 2^24
 * first and the result times 2^12 after, both exact (a normal x' = x 2^24
 * >= 2^-125 gives at most 2^62.5); every other x goes to the unit as it
 * is, which gives C's special values (+-0 -> +-inf, x < 0 -> NaN, +inf ->
 * 0) on its own, so zeros and negatives may take the scaled path. The
 * result is the unit's alone: within 2.14 ulp of the exact result at the
 * PTX ISA's documented worst case (relative 2^-22.9), 1 at AMD's, inside
 * CUDA's 2 ulp (2.5 from the exact result), so no refinement follows;
 * tests/unit/test_llvm_math.c (test_rsqrt_unit) measures it with the unit
 * modelled at both. The scaling is two selects of a product, which ptxas
 * makes predicated multiplies (its own non-.ftz rsqrt's three extra
 * instructions). */
static LLVMValueRef
build_rsqrt_unit(Lw *w, LLVMValueRef x)
{
    LLVMTypeRef ft = LLVMTypeOf(x);
    Mb mb = {.w = w, .b = w->b, .ft = ft, .it = LLVMInt32TypeInContext(w->ctx), .bits = 32};
    LLVMValueRef tiny = fcmp(&mb, LLVMRealOLT, x, k(&mb, 0x1p-126));
    LLVMValueRef xs = sel(&mb, tiny, m_mul(&mb, x, k(&mb, 0x1p24)), x);
    LLVMValueRef r = w->h->rsqrt_unit(w, xs);
    return sel(&mb, tiny, m_mul(&mb, r, k(&mb, 0x1p12)), r);
}

LLVMValueRef
llvm_math(Lw *w, IrOp op, IrType *t, LLVMValueRef x, LLVMValueRef y)
{
    if (t->bits == 16) {
        /* f16: compute in f32 and round once */
        LLVMTypeRef f32 = LLVMFloatTypeInContext(w->ctx);
        if (op == IR_RSQRT && w->h->rsqrt_unit &&
            LLVMGetTypeKind(LLVMTypeOf(x)) == LLVMHalfTypeKind) {
            /* an f16 is never an f32 subnormal: the unit needs no scaling */
            LLVMValueRef r = w->h->rsqrt_unit(w, LLVMBuildFPExt(w->b, x, f32, ""));
            return LLVMBuildFPTrunc(w->b, r, LLVMTypeOf(x), "");
        }
        if (op == IR_LOG2 && w->h->log2_unit &&
            LLVMGetTypeKind(LLVMTypeOf(x)) == LLVMHalfTypeKind) {
            LLVMValueRef r = w->h->log2_unit(w, LLVMBuildFPExt(w->b, x, f32, ""));
            return LLVMBuildFPTrunc(w->b, r, LLVMTypeOf(x), "");
        }
        IrType *t32 = ir_type_float(w->m, 32);
        LLVMValueRef r = llvm_math(w, op, t32, LLVMBuildFPExt(w->b, x, f32, ""),
                                   y ? LLVMBuildFPExt(w->b, y, f32, "") : NULL);
        return LLVMBuildFPTrunc(w->b, r, LLVMTypeOf(x), "");
    }
    LLVMTypeRef ty = LLVMTypeOf(x);
    if (op == IR_RSQRT && t->bits == 32 && w->h->rsqrt_unit)
        return build_rsqrt_unit(w, x);
    if (op == IR_SQRT || op == IR_RSQRT) {
        LLVMValueRef s = llvm_call_intrinsic(w, "llvm.sqrt", &ty, 1, &x, 1);
        if (op == IR_SQRT)
            return s;
        LLVMValueRef r = LLVMBuildFDiv(w->b, LLVMConstReal(ty, 1.0), s, "");
        if (t->bits != 64)
            return r;
        /* f64: 1 / sqrt rounds twice (1.45 ulp; CUDA's rsqrt is 1 ulp), so
         * one Newton step on the exact residual e = 1 - x r^2 (r^2 = p + pl
         * by fma, x p + 1 by fma): r + r e / 2. x beyond 2^+-512 is scaled
         * by 2^-+600 first (r^2 must neither underflow nor overflow) and r
         * by 2^-+300 after; where the step is not a number (x 0, inf,
         * negative or NaN) r stays. */
        Mb mb = {.w = w, .b = w->b, .ft = ty, .it = LLVMInt64TypeInContext(w->ctx), .bits = 64};
        LLVMValueRef big = fcmp(&mb, LLVMRealOGT, x, k(&mb, 0x1p512));
        LLVMValueRef tiny = fcmp(&mb, LLVMRealOLT, x, k(&mb, 0x1p-512));
        LLVMValueRef pre = sel(&mb, big, k(&mb, 0x1p-600), sel(&mb, tiny, k(&mb, 0x1p600), k(&mb, 1)));
        LLVMValueRef post = sel(&mb, big, k(&mb, 0x1p-300), sel(&mb, tiny, k(&mb, 0x1p300), k(&mb, 1)));
        x = m_mul(&mb, x, pre);
        r = LLVMBuildFDiv(w->b, LLVMConstReal(ty, 1.0), llvm_call_intrinsic(w, "llvm.sqrt", &ty, 1, &x, 1), "");
        LLVMValueRef p = m_mul(&mb, r, r);
        LLVMValueRef pl = fma3(&mb, r, r, LLVMBuildFNeg(w->b, p, ""));
        LLVMValueRef nx = LLVMBuildFNeg(w->b, x, "");
        LLVMValueRef e = fma3(&mb, nx, pl, fma3(&mb, nx, p, k(&mb, 1)));
        LLVMValueRef rc = fma3(&mb, m_mul(&mb, r, k(&mb, 0.5)), e, r);
        return m_mul(&mb, sel(&mb, fcmp(&mb, LLVMRealUNO, rc, rc), r, rc), post);
    }
    LLVMValueRef fn = helper_fn(w, op, (int)t->bits);
    LLVMValueRef args[2] = {x, y};
    return LLVMBuildCall2(w->b, LLVMGlobalGetValueType(fn), fn, args, op == IR_POW ? 2u : 1u, "");
}
