/* test_llvm_math.c: the accuracy of the math builtins of the LLVM targets
 * (the IR math library ir/mathlib.c, targets/llvm/math.c, llvm.c) against the host's libm (docs/language.md §7).
 *
 * How it works: one IR module holds a device function per builtin and float
 * width (`exp_f32(x) -> exp(x)`, `pow_f64(x, y)`, and for f16 `exp_f16(x: f32)
 * -> f32(exp(f16(x)))`); llvm_jit_new compiles it for the host with the same
 * lowering and optimisation pipeline as NVPTX and AMDGPU, so the code under
 * test is the code the GPUs run (only instruction selection differs, and
 * math.c uses IEEE operations only: fma, rint, bit manipulation).
 *
 * Each function is evaluated on deterministic stratified inputs (an even grid
 * over its range) plus random ones (seed printed; set CLAW_TEST_SEED to
 * reproduce), and compared with the x86 `long double` libm (64-bit
 * significand, so the reference is ~2^-11 ulp accurate even for f64).
 * The error is in ulps of the exact reference in the function's own format.
 *
 * Bounds asserted (docs/llvm-targets.md, "Math accuracy"): the project's
 * documented bound for each function, which is at least as tight as the
 * Vulkan bound for the GLSL.std.450 counterpart (Vulkan 1.3 §"Precision and
 * Operation of SPIR-V Instructions"): exp/exp2 3 + 2|x| ulp; log/log2 3 ulp
 * outside [0.5, 2] and 2^-21 absolute inside; sin/cos 2^-11 absolute on
 * [-pi, pi]; pow inherited from exp2(y log2 x); sqrt inherited from
 * 1/inversesqrt (we are correctly rounded); inversesqrt 2 ulp; floor, ceil,
 * trunc, round (half away from zero) and fma exact. */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ir/ir.h"
#include "targets/target.h"

static const SrcLoc L = {1, 1, 1};
static LlvmJit *jit;
static uint64_t seed;
static bool fma_free; /* jit has the fma-free library (llvm_jit_new_fma_free) */

/* ---- the module under test ------------------------------------------------ */

static const IrOp unary_ops[] = {IR_SQRT, IR_RSQRT, IR_EXP,   IR_EXP2,  IR_LOG,  IR_LOG2, IR_SIN,
                                 IR_COS,  IR_TAN,   IR_TANH,  IR_FLOOR, IR_CEIL, IR_ROUND, IR_TRUNC};
#define NUNARY ((int)(sizeof unary_ops / sizeof unary_ops[0]))

/* name_fBITS(args) -> op(args); f16 takes and returns f32 around the op */
static void
build_func(IrModule *m, IrOp op, int nargs, int bits)
{
    IrType *t = ir_type_float(m, (uint32_t)bits);
    IrType *io = bits == 16 ? ir_type_float(m, 32) : t;
    IrParam ps[3] = {{"a", io, L}, {"b", io, L}, {"c", io, L}};
    char name[32];
    snprintf(name, sizeof name, "%s_f%d", ir_op_name(op), bits);
    IrFunc *f = ir_func_new(m, name, false, io, nargs, ps, L);
    IrBuilder b = {.m = m, .f = f, .r = &f->body, .loc = L};
    IrInst *args[3];
    for (int i = 0; i < nargs; i++)
        args[i] = bits == 16 ? ir_cast(&b, f->param_values[i], t) : f->param_values[i];
    IrInst *r = ir_emit(&b, op, t, nargs, args);
    if (bits == 16)
        r = ir_cast(&b, r, io);
    ir_emit(&b, IR_RETURN, ir_type_void(m), 1, &r);
}

static IrModule *build_module(void);

static void
setup_seed(void)
{
    const char *s = getenv("CLAW_TEST_SEED");
    seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
    printf("test_llvm_math: random seed %" PRIu64 " (CLAW_TEST_SEED)\n", seed);
    fflush(stdout);
}

/* The module under test on the host JIT: the LLVM targets' library, or
 * (fma_free) the fma-free one that SPIR-V runs */
static void
setup_jit_with(bool without_fma)
{
    setup_seed();
    IrModule *m = build_module();
    char *err = NULL;
    jit = without_fma ? llvm_jit_new_fma_free(m, &err) : llvm_jit_new(m, &err);
    if (!jit) {
        fprintf(stderr, "test_llvm_math: the JIT failed: %s\n", err ? err : "?");
        abort();
    }
    ir_module_free(m);
    fma_free = without_fma;
    if (without_fma) {
        printf("test_llvm_math: the fma-free library (IR_PF_FMA_TWICE)\n");
        fflush(stdout);
    }
}

static void
setup_jit(void)
{
    setup_jit_with(false);
}

static void
setup_jit_fma_free(void)
{
    setup_jit_with(true);
}

static IrModule *
build_module(void)
{
    IrModule *m = ir_module_new("math.claw");
    static const int widths[] = {16, 32, 64};
    for (int w = 0; w < 3; w++) {
        for (int i = 0; i < NUNARY; i++)
            build_func(m, unary_ops[i], 1, widths[w]);
        build_func(m, IR_POW, 2, widths[w]);
        build_func(m, IR_FMA, 3, widths[w]);
    }
    return m;
}

static void
teardown_jit(void)
{
    llvm_jit_free(jit);
    jit = NULL;
}

/* a JIT'd function and its arity */
typedef struct Fn {
    LlvmJitFn p;
    int nargs;
} Fn;

static Fn
func(IrOp op, int bits)
{
    char name[32];
    snprintf(name, sizeof name, "%s_f%d", ir_op_name(op), bits);
    Fn f = {llvm_jit_func(jit, name), op == IR_FMA ? 3 : op == IR_POW ? 2 : 1};
    ck_assert_msg(f.p != NULL, "no JIT function %s", name);
    return f;
}

/* ---- formats, reference and error -------------------------------------------- */

typedef struct Fmt {
    int bits, prec, emin;  /* significand bits (with the hidden one), least normal exponent */
    long double max;       /* largest finite value */
} Fmt;

static const Fmt F16 = {16, 11, -14, 65504.0L};
static const Fmt F32 = {32, 24, -126, 3.40282346638528859812e+38L};
static const Fmt F64 = {64, 53, -1022, 1.79769313486231570815e+308L};

/* one ulp of the format at the magnitude of r */
static long double
ulp_at(const Fmt *f, long double r)
{
    int e = f->emin;
    if (r != 0) {
        frexpl(fabsl(r), &e);
        e = e - 1 < f->emin ? f->emin : e - 1;
    }
    return ldexpl(1.0L, e - f->prec + 1);
}

/* the value an f16 bit pattern encodes */
static float
f16_value(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    float v = e == 0 ? ldexpf((float)m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexpf((float)(m | 0x400), e - 25);
    return h & 0x8000 ? -v : v;
}

static uint64_t
rnd64(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double
rnd_unit(uint64_t *s)
{
    return (double)(rnd64(s) >> 11) * 0x1p-53;
}

/* a finite value of the format with uniformly random bits (sign cleared when positive) */
static double
rnd_bits(uint64_t *s, const Fmt *f, bool positive)
{
    for (;;) {
        uint64_t r = rnd64(s);
        double v;
        if (f->bits == 16) {
            v = f16_value((uint16_t)r);
        } else if (f->bits == 32) {
            uint32_t u = (uint32_t)r;
            float x;
            memcpy(&x, &u, 4);
            v = x;
        } else {
            memcpy(&v, &r, 8);
        }
        if (isfinite(v))
            return positive ? fabs(v) : v;
    }
}

/* x rounded to the format (f16 through f32 then f16 bits is not needed: inputs
 * are generated in f32 and snapped to f16 by clearing low significand bits) */
static double
to_fmt(const Fmt *f, double x)
{
    if (f->bits == 64)
        return x;
    if (f->bits == 32)
        return (float)x;
    if (x == 0 || !isfinite(x))
        return x;
    int e;
    frexp(x, &e);
    int q = (e - 1 < f->emin ? f->emin : e - 1) - f->prec + 1;
    double v = ldexp(nearbyint(ldexp(x, -q)), q);
    return fabs(v) > (double)f->max ? copysign(INFINITY, x) : v;
}

/* fn(a[, b[, c]]) in f64 for f64, else in f32 (f16 functions take f32) */
static double
call(const Fmt *f, Fn fn, double a, double b, double c)
{
    if (f->bits == 64) {
        switch (fn.nargs) {
        case 1: return ((double (*)(double))fn.p)(a);
        case 2: return ((double (*)(double, double))fn.p)(a, b);
        default: return ((double (*)(double, double, double))fn.p)(a, b, c);
        }
    }
    float x = (float)a, y = (float)b, z = (float)c;
    switch (fn.nargs) {
    case 1: return ((float (*)(float))fn.p)(x);
    case 2: return ((float (*)(float, float))fn.p)(x, y);
    default: return ((float (*)(float, float, float))fn.p)(x, y, z);
    }
}

/* Largest error seen over a set of inputs, in ulps and absolute, with the
 * largest ratio error / bound, and the input where that happened. */
typedef struct Stat {
    double max_ulp, max_abs, worst_ratio, wx, wy, wgot;
    long double wref;
    long n;
} Stat;

/* The bound at one input: u0 + u1 * |arg| ulps where u0 > 0, abs absolute
 * where abs > 0 (where both are set, meeting either one suffices). */
typedef struct Bound {
    double u0, u1, abs;
} Bound;

static void
record(Stat *st, const Fmt *f, double x, double y, double got, long double ref, Bound bd, double arg)
{
    st->n++;
    if (isnan(ref) || (fabsl(ref) > f->max + ulp_at(f, f->max) / 2)) {
        /* NaN, or beyond the largest finite value: the result must be NaN / inf */
        bool ok = isnan(ref) ? isnan(got) : isinf(got) && signbit(got) == signbit((double)ref);
        if (!ok && st->worst_ratio < INFINITY) {
            st->worst_ratio = INFINITY, st->wx = x, st->wy = y, st->wgot = got, st->wref = ref;
        }
        return;
    }
    long double e = isnan(got) ? INFINITY : fabsl((long double)got - ref);
    double ulps = (double)(e / ulp_at(f, ref));
    if (ulps > st->max_ulp)
        st->max_ulp = ulps;
    if ((double)e > st->max_abs)
        st->max_abs = (double)e;
    double ratio = bd.u0 > 0 ? ulps / (bd.u0 + bd.u1 * fabs(arg)) : INFINITY;
    if (bd.abs > 0 && (double)e / bd.abs < ratio)
        ratio = (double)e / bd.abs;
    if (ratio > st->worst_ratio)
        st->worst_ratio = ratio, st->wx = x, st->wy = y, st->wgot = got, st->wref = ref;
}

static void
report(const char *what, const Fmt *f, const Stat *st)
{
    printf("  %-22s f%-2d n=%-8ld max %8.3f ulp  max abs %.3g  worst/bound %.3f\n", what, f->bits, st->n,
           st->max_ulp, st->max_abs, st->worst_ratio);
    ck_assert_msg(st->worst_ratio <= 1.0,
                  "%s f%d exceeds its bound (ratio %g): at x=%.17g y=%.17g got %.17g, libm %.20Lg",
                  what, f->bits, st->worst_ratio, st->wx, st->wy, st->wgot, st->wref);
}

/* ---- inputs ------------------------------------------------------------------------- */

enum { N_GRID = 100000, N_RANDOM = 200000 };

typedef long double (*Ref1)(long double);

static long double
ref_rsqrt(long double x)
{
    return 1.0L / sqrtl(x);
}

/* one unary function over [lo, hi]: an even grid and uniform random inputs;
 * log_scale draws random inputs as random bit patterns of the right sign */
static Stat
measure1(IrOp op, const Fmt *f, Ref1 ref, double lo, double hi, bool bits_random, Bound bd)
{
    Fn fn = func(op, f->bits);
    Stat st = {0};
    uint64_t s = seed ^ ((uint64_t)op << 32) ^ (uint64_t)f->bits ^ (uint64_t)(lo * 1e3);
    for (int i = 0; i < N_GRID + N_RANDOM; i++) {
        double x;
        if (i < N_GRID)
            x = lo + (hi - lo) * ((double)i / (N_GRID - 1));
        else if (bits_random)
            x = rnd_bits(&s, f, lo >= 0);
        else
            x = lo + (hi - lo) * rnd_unit(&s);
        x = to_fmt(f, x);
        if (x < lo || x > hi)
            continue;
        record(&st, f, x, 0, call(f, fn, x, 0, 0), ref(x), bd, x);
    }
    return st;
}

/* every f16 input in [lo, hi] */
static Stat
measure_f16(IrOp op, Ref1 ref, double lo, double hi, Bound bd)
{
    Fn fn = func(op, 16);
    Stat st = {0};
    for (uint32_t h = 0; h < 0x10000; h++) {
        double x = f16_value((uint16_t)h);
        if (!(x >= lo && x <= hi))
            continue;
        record(&st, &F16, x, 0, call(&F16, fn, x, 0, 0), ref(x), bd, x);
    }
    return st;
}

/* ---- transcendental functions ------------------------------------------------------------ */

typedef struct Case {
    const char *what;
    IrOp op;
    Ref1 ref;
    double lo, hi;     /* for f32; scaled per format by the tests below */
    bool bits_random;
    Bound b32, b64, b16;
} Case;

/* GLSL.std.450 exp, exp2: 3 + 2|x| ulp (f32), 1 + 2|x| ulp (f16); Vulkan
 * defines no f64 bound. Documented and tested: 1.5 ulp (f32, f64) and 1 ulp
 * (f16, every input) over the whole range, subnormal results included. */
START_TEST(test_exp)
{
    const Case cs[] = {
        {"exp", IR_EXP, expl, -104, 89, false, {1.5, 0, 0}, {1.5, 0, 0}, {1, 0, 0}},
        {"exp2", IR_EXP2, exp2l, -150, 129, false, {1.5, 0, 0}, {1.5, 0, 0}, {1, 0, 0}},
    };
    for (int i = 0; i < 2; i++) {
        const Case *c = &cs[i];
        char what[32];
        Stat s = measure1(c->op, &F32, c->ref, c->lo, c->hi, false, c->b32);
        report(c->what, &F32, &s);
        double k = c->op == IR_EXP ? 8.0 : 7.2; /* f64 ranges are ~8x the f32 ones */
        s = measure1(c->op, &F64, c->ref, c->lo * k, c->hi * k, false, c->b64);
        report(c->what, &F64, &s);
        s = measure_f16(c->op, c->ref, -INFINITY, INFINITY, c->b16);
        report(c->what, &F16, &s);
        snprintf(what, sizeof what, "%s |x|<=1", c->what);
        s = measure1(c->op, &F32, c->ref, -1, 1, false, c->b32);
        report(what, &F32, &s);
        s = measure1(c->op, &F64, c->ref, -1, 1, false, c->b64);
        report(what, &F64, &s);
    }
}
END_TEST

/* GLSL.std.450 log, log2: 3 ulp outside [0.5, 2], 2^-21 absolute inside
 * (f16: 2^-7). Documented and tested: CUDA's 1 ulp (+ 0.5 from the exact
 * result) everywhere (f32, f64), near 1 too where the result is tiny, and
 * 2^-21 absolute inside [0.5, 2]; f16 1 ulp on every input. */
START_TEST(test_log)
{
    const Case cs[] = {
        {"log", IR_LOG, logl, 0, 0, true, {1.5, 0, 0}, {1.5, 0, 0x1p-21}, {1, 0, 0}},
        {"log2", IR_LOG2, log2l, 0, 0, true, {1.5, 0, 0}, {1.5, 0, 0x1p-21}, {1, 0, 0}},
    };
    const Fmt *fs[2] = {&F32, &F64};
    for (int i = 0; i < 2; i++) {
        const Case *c = &cs[i];
        Bound in_abs = {0, 0, c->b64.abs}, in_ulp = {c->b64.u0, 0, 0};
        char what[32];
        for (int k = 0; k < 2; k++) {
            const Fmt *f = fs[k];
            snprintf(what, sizeof what, "%s x<0.5", c->what);
            Stat s = measure1(c->op, f, c->ref, 0, 0.5, true, c->b32);
            report(what, f, &s);
            snprintf(what, sizeof what, "%s x>2", c->what);
            s = measure1(c->op, f, c->ref, 2, (double)f->max, true, c->b32);
            report(what, f, &s);
            snprintf(what, sizeof what, "%s [0.5,2]", c->what);
            s = measure1(c->op, f, c->ref, 0.5, 2, false, in_ulp);
            report(what, f, &s);
            snprintf(what, sizeof what, "%s near 1", c->what);
            s = measure1(c->op, f, c->ref, 1 - 0x1p-10, 1 + 0x1p-10, false, in_ulp);
            report(what, f, &s);
        }
        snprintf(what, sizeof what, "%s [0.5,2] abs", c->what);
        Stat s = measure1(c->op, &F32, c->ref, 0.5, 2, false, in_abs);
        report(what, &F32, &s);
        s = measure_f16(c->op, c->ref, 0, INFINITY, c->b16);
        report(c->what, &F16, &s);
    }
}
END_TEST

/* GLSL.std.450 sin, cos: 2^-11 absolute on [-pi, pi] (f16: 2^-7); tan is
 * inherited from sin/cos. Documented and tested: sin, cos 2 ulp and tan 4
 * ulp on [-pi, pi] (f16: 1 ulp), and absolute 2^-22 (f32) / 2^-50 (f64) on
 * the wide range that the argument reduction keeps accurate, |x| <= 1e5
 * (f32) / 1e9 (f64); docs/language.md §7 only asks for [-pi, pi]. f32
 * also over its whole range, 2^16 to FLT_MAX log-spaced (the Payne-Hanek
 * path), at CUDA's bounds: sin, cos 2 ulp, tan 4 ulp. */
START_TEST(test_trig)
{
    const double pi = 3.14159265358979311600;
    const Case cs[] = {
        {"sin", IR_SIN, sinl, -pi, pi, false, {2, 0, 0}, {2, 0, 0}, {1, 0, 0}},
        {"cos", IR_COS, cosl, -pi, pi, false, {2, 0, 0}, {2, 0, 0}, {1, 0, 0}},
        {"tan", IR_TAN, tanl, -pi, pi, false, {4, 0, 0}, {1.5, 0, 0}, {1, 0, 0}},
    };
    for (int i = 0; i < 3; i++) {
        const Case *c = &cs[i];
        char what[32];
        Stat s = measure1(c->op, &F32, c->ref, c->lo, c->hi, false, c->b32);
        report(c->what, &F32, &s);
        s = measure1(c->op, &F64, c->ref, c->lo, c->hi, false, c->b64);
        report(c->what, &F64, &s);
        s = measure_f16(c->op, c->ref, c->lo, c->hi, c->b16);
        report(c->what, &F16, &s);
        if (c->op == IR_TAN) {
            s = measure1(c->op, &F32, c->ref, 0x1p16, 3.4028234663852886e38, true, c->b32);
            report("tan huge", &F32, &s);
            /* f64 inputs whose reduction once lost digits: x = -pi (the
             * small parts of pi/2 summed first), large k (k p2 inexact) */
            static const double hard[] = {-3.14159265358979311600, -58022107.705839388,
                                          917999179.99179983, 109976945.48472905};
            Fn tan64 = func(IR_TAN, 64);
            for (size_t h = 0; h < sizeof hard / sizeof hard[0]; h++) {
                Stat hs = {0};
                record(&hs, &F64, hard[h], 0, call(&F64, tan64, hard[h], 0, 0), tanl(hard[h]),
                       c->b64, hard[h]);
                report("tan hard case", &F64, &hs);
            }
            /* f64 up to 1e9, where k p2 is no longer exact (k > 2^20) */
            s = measure1(c->op, &F64, c->ref, -1e9, 1e9, false, c->b64);
            report("tan wide", &F64, &s);
            s = measure1(c->op, &F64, c->ref, 1, 1e9, true, c->b64);
            report("tan wide bits", &F64, &s);
            continue;
        }
        snprintf(what, sizeof what, "%s [-pi,pi] abs", c->what);
        Bound glsl = {0, 0, 0x1p-11};
        s = measure1(c->op, &F32, c->ref, c->lo, c->hi, false, glsl);
        report(what, &F32, &s);
        snprintf(what, sizeof what, "%s wide abs", c->what);
        Bound wide32 = {0, 0, 0x1p-22}, wide64 = {0, 0, 0x1p-50};
        s = measure1(c->op, &F32, c->ref, -1e5, 1e5, false, wide32);
        report(what, &F32, &s);
        s = measure1(c->op, &F64, c->ref, -1e9, 1e9, false, wide64);
        report(what, &F64, &s);
        snprintf(what, sizeof what, "%s huge", c->what);
        s = measure1(c->op, &F32, c->ref, 0x1p16, 3.4028234663852886e38, true, c->b32);
        report(what, &F32, &s);
        s = measure1(c->op, &F32, c->ref, -3.4028234663852886e38, -0x1p16, true, c->b32);
        report(what, &F32, &s);
    }
}
END_TEST

/* f64 sin, cos and tan over the whole finite range against CUDA's 2 ulp (+
 * 0.5 from the exact result): the Payne-Hanek branch from 2^30 up
 * (ir/mathlib.c) and the Cody-Waite path below it, on
 *   - log-uniform magnitudes from 2^30 to DBL_MAX and random bit patterns
 *     of that range, both signs;
 *   - the doubles closest to a multiple of pi/2: the 40 closest at or
 *     above 2^30 (x mod pi/2 down to 2^-60.9, at 6381956970095103 2^797 =
 *     0x1.6ac5b262ca1ffp+849) and the closest below (x = 45.55: 2^-60.5),
 *     found by the continued fractions of pi 2^(51-e) for every binade e,
 *     each with its 4 neighbours on either side, negated too;
 *   - m 2^e for every e up to 1023 and a few significands m (powers of two,
 *     pi/2's, all ones), and the edges 2^30 -+ 1 ulp and DBL_MAX. */
static const double trig_hard[] = {
    0x1.6ac5b262ca1ffp+849, 0x1.6ac5b262ca1ffp+850, 0x1.504cac51f1eafp+131, 0x1.6ac5b262ca1ffp+851,
    0x1.e009c53148be1p+991, 0x1.4c96c11134d36p+577, 0x1.cfe482285f8edp+860, 0x1.db41f3cb71d7bp+680,
    0x1.e7e44a78ac18cp+197, 0x1.c45cd11154dfdp+295, 0x1.504cac51f1eafp+132, 0x1.83009e2e9e2ebp+614,
    0x1.b2196364d750bp+253, 0x1.6ac5b262ca1ffp+852, 0x1.e009c53148be1p+992, 0x1.69eab0985179bp+246,
    0x1.4c96c11134d36p+578, 0x1.782b7a20df6d4p+67,  0x1.66bd5424e5655p+90,  0x1.4117573397d42p+939,
    0x1.cfe482285f8edp+861, 0x1.61a3db8c8d129p+1021, 0x1.db41f3cb71d7bp+681, 0x1.8b28676cdcc5bp+555,
    0x1.e7e44a78ac18cp+198, 0x1.c45cd11154dfdp+296, 0x1.504cac51f1eafp+133, 0x1.83009e2e9e2ebp+615,
    0x1.b2196364d750bp+254, 0x1.6ac5b262ca1ffp+853, 0x1.5ad5a62cb1cc9p+143, 0x1.dfa8d18f2b3eep+689,
    0x1.e009c53148be1p+993, 0x1.0539b48d14c55p+182, 0x1.b88cbb4e32576p+487, 0x1.e3ca9b6c655cbp+408,
    0x1.6e8d778c94d66p+794, 0x1.69eab0985179bp+247, 0x1.e1987122b7e06p+951, 0x1.4c96c11134d36p+579,
    /* below 2^30: Cody-Waite's hardest (x mod pi/2 = 2^-60.5, 2^-59.5, 2^-59, 2^-58) */
    45.553093477052002, 91.106186954104004, 14461176.67027838, 28922353.340556759,
};

START_TEST(test_trig_huge)
{
    static const struct {
        const char *what;
        IrOp op;
        Ref1 ref;
    } cs[] = {{"sin", IR_SIN, sinl}, {"cos", IR_COS, cosl}, {"tan", IR_TAN, tanl}};
    const Bound cuda = {2.5, 0, 0};
    for (int i = 0; i < 3; i++) {
        Fn fn = func(cs[i].op, 64);
        Stat sw = {0}, sh = {0}, sp = {0};
        uint64_t s = seed ^ 0x7419ull ^ ((uint64_t)cs[i].op << 48);
        for (int j = 0; j < 1 << 15; j++) {
            /* odd j: log-uniform; even j: a random encoding with an
             * exponent field of 1053 (2^30) to 2046 (the largest) */
            double x = ldexp(1.0 + rnd_unit(&s), 30 + (int)(rnd_unit(&s) * 994));
            if (!(j & 1)) {
                uint64_t u = (rnd64(&s) & ((1ull << 52) - 1)) | ((1053 + rnd64(&s) % 994) << 52);
                memcpy(&x, &u, 8);
            }
            if (j & 2)
                x = -x;
            record(&sw, &F64, x, 0, call(&F64, fn, x, 0, 0), cs[i].ref(x), cuda, x);
        }
        for (size_t h = 0; h < sizeof trig_hard / sizeof trig_hard[0]; h++) {
            for (int sg = 0; sg < 2; sg++) {
                double x = sg ? -trig_hard[h] : trig_hard[h], lo = x, hi = x;
                record(&sh, &F64, x, 0, call(&F64, fn, x, 0, 0), cs[i].ref(x), cuda, x);
                for (int n = 0; n < 4; n++) {
                    lo = nextafter(lo, -INFINITY), hi = nextafter(hi, INFINITY);
                    record(&sh, &F64, lo, 0, call(&F64, fn, lo, 0, 0), cs[i].ref(lo), cuda, lo);
                    record(&sh, &F64, hi, 0, call(&F64, fn, hi, 0, 0), cs[i].ref(hi), cuda, hi);
                }
            }
        }
        static const double ms[] = {1.0, 0x1.921fb54442d18p0, 0x1.fffffffffffffp0, 0x1.8p0};
        for (int e = 0; e <= 1023; e++) {
            for (size_t m = 0; m < sizeof ms / sizeof ms[0]; m++) {
                double x = ldexp(ms[m], e);
                if (!isfinite(x))
                    continue;
                record(&sp, &F64, x, 0, call(&F64, fn, x, 0, 0), cs[i].ref(x), cuda, x);
                record(&sp, &F64, -x, 0, call(&F64, fn, -x, 0, 0), cs[i].ref(-x), cuda, -x);
            }
        }
        static const double edges[] = {0x1p30, 0x1.fffffffffffffp29, 0x1.0000000000001p30, 1.79769313486231570815e+308};
        for (size_t m = 0; m < sizeof edges / sizeof edges[0]; m++)
            record(&sp, &F64, edges[m], 0, call(&F64, fn, edges[m], 0, 0), cs[i].ref(edges[m]), cuda, edges[m]);
        char what[40];
        snprintf(what, sizeof what, "%s |x|>=2^30", cs[i].what);
        report(what, &F64, &sw);
        snprintf(what, sizeof what, "%s near k pi/2", cs[i].what);
        report(what, &F64, &sh);
        snprintf(what, sizeof what, "%s m 2^e", cs[i].what);
        report(what, &F64, &sp);
        ck_assert(isnan(call(&F64, fn, INFINITY, 0, 0)) && isnan(call(&F64, fn, -INFINITY, 0, 0)));
        ck_assert(isnan(call(&F64, fn, NAN, 0, 0)));
    }
}
END_TEST

/* GLSL.std.450 tanh is inherited from (e^x - e^-x) / (e^x + e^-x).
 * Documented and tested: f32 CUDA's 2 ulp (+ 0.5), tiny inputs included;
 * f64 2 ulp (CUDA: 1, a gap in docs/language.md §7); f16 1 ulp. */
START_TEST(test_tanh)
{
    Stat s = measure1(IR_TANH, &F32, tanhl, -12, 12, false, (Bound){2.5, 0, 0});
    report("tanh", &F32, &s);
    s = measure1(IR_TANH, &F32, tanhl, 0, 1, true, (Bound){2.5, 0, 0});
    report("tanh small", &F32, &s);
    s = measure1(IR_TANH, &F64, tanhl, -25, 25, false, (Bound){1.5, 0, 0});
    report("tanh", &F64, &s);
    s = measure1(IR_TANH, &F64, tanhl, 0, 1, true, (Bound){1.5, 0, 0});
    report("tanh small", &F64, &s);
    s = measure_f16(IR_TANH, tanhl, -INFINITY, INFINITY, (Bound){1, 0, 0});
    report("tanh", &F16, &s);
}
END_TEST

/* GLSL.std.450 pow is inherited from exp2(y log2 x). Documented and tested:
 * f32 (computed in f64) and f16 1 ulp; f64 CUDA's 2 ulp + 0.5 (log2 in
 * double-double, ir/mathlib.c), here on the common range and over
 * the whole range in test_pow_full_range. */
START_TEST(test_pow)
{
    const Fmt *fs[3] = {&F16, &F32, &F64};
    for (int k = 0; k < 3; k++) {
        const Fmt *f = fs[k];
        Fn fn = func(IR_POW, f->bits);
        Bound bd = f->bits == 64 ? (Bound){2.5, 0, 0} : (Bound){1, 0, 0};
        Stat st = {0};
        uint64_t s = seed ^ 0x706f77u ^ (uint64_t)f->bits;
        double xmax = f->bits == 16 ? 8 : 100, ymax = f->bits == 16 ? 4 : f->bits == 32 ? 16 : 120;
        for (int i = 0; i < N_GRID + N_RANDOM; i++) {
            double x = to_fmt(f, xmax * rnd_unit(&s)), y = to_fmt(f, ymax * (2 * rnd_unit(&s) - 1));
            if (i % 4 == 0) /* negative x with integer y: C's signs */
                x = -x, y = nearbyint(y);
            long double r = powl(x, y);
            double t = y * log2(fabs(x));
            record(&st, f, x, y, call(f, fn, x, y, 0), r, bd, t);
        }
        report("pow", f, &st);
    }
}
END_TEST

/* a positive value of magnitude 2^[lo, hi) with a random significand */
static double
rnd_log(uint64_t *s, int lo, int hi)
{
    return ldexp(1.0 + rnd_unit(s), lo + (int)(rnd_unit(s) * (hi - lo)));
}

/* pow over the whole range, asserted at CUDA's bound + 0.5 (f64 2.5 ulp,
 * f32 our 1 ulp; CUDA's powf is 4): random bit patterns of x and y (mostly
 * 0, inf and NaN results, which must match C), a log-uniform sweep of both,
 * and results chosen across the whole format, |t| = |y log2 x| up to 1080:
 * x of random bits, x near 1 (so huge y), results near overflow and in the
 * subnormals, and negative x with integer y. */
START_TEST(test_pow_full_range)
{
    const Fmt *fs[2] = {&F32, &F64};
    for (int k = 0; k < 2; k++) {
        const Fmt *f = fs[k];
        bool f64 = f->bits == 64;
        Fn fn = func(IR_POW, f->bits);
        Stat st = {0};
        uint64_t s = seed ^ 0x706f7746u ^ (uint64_t)f->bits;
        int emin = f64 ? -1074 : -149, emax = f64 ? 1024 : 128;
        for (int i = 0; i < 6 << 14; i++) {
            double x, y = 0, t = 0;
            switch (i % 6) {
            case 0: x = rnd_bits(&s, f, false), y = rnd_bits(&s, f, false); break;
            case 1: x = rnd_log(&s, emin, emax), y = rnd_log(&s, -60, 60) * (i & 64 ? -1 : 1); break;
            case 2: x = rnd_bits(&s, f, true), t = (emin - 6) + (emax - emin + 12) * rnd_unit(&s); break;
            case 3: /* x = 1 +- 2^-[1, prec] (times a random significand) */
                x = 1 + (i & 64 ? -0.5 : 1) * rnd_log(&s, -f->prec, 0) * 0.5;
                t = (emin - 6) + (emax - emin + 12) * rnd_unit(&s);
                break;
            case 4: /* results near overflow or in the subnormals */
                x = rnd_log(&s, -64, 64);
                t = i & 64 ? emax - 1 + 1.01 * rnd_unit(&s) : emin - 2 + (f64 ? 56 : 27) * rnd_unit(&s);
                break;
            default: /* negative x with an integer y (C's sign) */
                x = i & 64 ? 1 + rnd_log(&s, -30, -1) : rnd_log(&s, -8, 8);
                t = (emin - 6) + (emax - emin + 12) * rnd_unit(&s);
                break;
            }
            x = to_fmt(f, x);
            if (t != 0) {
                if (x == 1 || x == 0 || !isfinite(x))
                    continue;
                y = t / log2(x);
                if (i % 6 == 5)
                    x = -x, y = nearbyint(y);
            }
            y = to_fmt(f, y);
            long double r = powl(x, y);
            record(&st, f, x, y, call(f, fn, x, y, 0), r, (Bound){f64 ? 2.5 : 1, 0, 0}, 0);
        }
        printf("  full range pow    f%d max %.3f ulp (CUDA %d), worst at x=%a y=%a\n", f->bits, st.max_ulp,
               f64 ? 2 : 4, st.wx, st.wy);
        report("pow full range", f, &st);
    }
}
END_TEST

/* ---- exact functions ------------------------------------------------------------------------ */

/* results that must equal the reference bit for bit (NaN: any NaN) */
static void
check_exact(const char *what, const Fmt *f, double x, double y, double z, double got, double ref)
{
    bool ok = isnan(ref) ? isnan(got) : memcmp(&got, &ref, sizeof got) == 0;
    ck_assert_msg(ok, "%s f%d(%.17g, %.17g, %.17g) = %.17g, libm %.17g", what, f->bits, x, y, z, got, ref);
}

/* sqrt is correctly rounded (stronger than GLSL's, inherited from
 * 1/inversesqrt); rsqrt (f32: the hardware unit, here modelled correctly
 * rounded, test_rsqrt_unit for its worst case; f64: 1 / sqrt and a Newton
 * step) within GLSL's inversesqrt bound of 2 ulp */
START_TEST(test_sqrt)
{
    const Fmt *fs[3] = {&F16, &F32, &F64};
    for (int k = 0; k < 3; k++) {
        const Fmt *f = fs[k];
        Fn fn = func(IR_SQRT, f->bits);
        uint64_t s = seed ^ 0x7371u ^ (uint64_t)f->bits;
        for (int i = 0; i < N_RANDOM; i++) {
            double x = rnd_bits(&s, f, i % 8 != 0);
            /* f16: rounding the f64 root again is innocuous (53 >= 2 * 11 + 2) */
            double ref = f->bits == 32 ? sqrtf((float)x) : to_fmt(f, sqrt(x));
            check_exact("sqrt", f, x, 0, 0, call(f, fn, x, 0, 0), ref);
        }
        Stat st = measure1(IR_RSQRT, f, ref_rsqrt, 0, (double)f->max, true, (Bound){2, 0, 0});
        report("rsqrt", f, &st);
    }
    printf("  sqrt: correctly rounded on %d inputs per format\n", N_RANDOM);
}
END_TEST

/* floor, ceil, trunc, round (half away from zero, as C round) are exact */
START_TEST(test_rounding)
{
    const IrOp ops[4] = {IR_FLOOR, IR_CEIL, IR_ROUND, IR_TRUNC};
    double (*refs[4])(double) = {floor, ceil, round, trunc};
    const Fmt *fs[3] = {&F16, &F32, &F64};
    for (int k = 0; k < 3; k++) {
        const Fmt *f = fs[k];
        uint64_t s = seed ^ 0x726eu ^ (uint64_t)f->bits;
        for (int o = 0; o < 4; o++) {
            Fn fn = func(ops[o], f->bits);
            for (int i = 0; i < N_RANDOM; i++) {
                double x;
                if (i % 3 == 0) /* halves and their neighbours: k + 0.5 +- one ulp */
                    x = to_fmt(f, floor(200 * (2 * rnd_unit(&s) - 1)) + 0.5 + (i % 9 == 0 ? ulp_at(f, 200) : 0));
                else if (i % 3 == 1)
                    x = to_fmt(f, 1e4 * (2 * rnd_unit(&s) - 1));
                else
                    x = rnd_bits(&s, f, false);
                check_exact(ir_op_name(ops[o]), f, x, 0, 0, call(f, fn, x, 0, 0), refs[o](x));
            }
            const double special[] = {0.5, -0.5, 1.5, -2.5, -0.0, 0.0, 0.49999997, INFINITY, -INFINITY, NAN};
            for (int i = 0; i < 10; i++) {
                double x = to_fmt(f, special[i]);
                check_exact(ir_op_name(ops[o]), f, x, 0, 0, call(f, fn, x, 0, 0), refs[o](x));
            }
        }
    }
    printf("  floor ceil round trunc: exact on %d inputs per format\n", N_RANDOM + 10);
}
END_TEST

/* f16 fma(a, b, c) rounded once: a b is exact in f64, the sum is rounded
 * to odd there (TwoSum's error says which way it was inexact), and that
 * rounds to f16 as the exact value would (53 >= 2 * 11 + 2) */
static double
fma_f16_once(double a, double b, double c)
{
    double p = a * b, s = p + c, bv = s - p;
    double e = (p - (s - bv)) + (c - bv);
    uint64_t u;
    memcpy(&u, &s, sizeof u);
    if (e != 0 && isfinite(s) && !(u & 1))
        u += (e > 0) == (s > 0) ? 1 : (uint64_t)-1;
    memcpy(&s, &u, sizeof s);
    return to_fmt(&F16, s);
}

/* fma rounds once, in every format and both configurations. The host's
 * f16 fma is the library's emulation (IR_PF_FMA_F16: LLVM's own on x86 is
 * an f32 fma rounded to f16, twice); the GPUs' is their f16 fma
 * instruction, which lit ir-backend/fma-f16.clawir checks. */
START_TEST(test_fma)
{
    const Fmt *fs[3] = {&F16, &F32, &F64};
    for (int k = 0; k < 3; k++) {
        const Fmt *f = fs[k];
        Fn fn = func(IR_FMA, f->bits);
        uint64_t s = seed ^ 0x666du ^ (uint64_t)f->bits;
        for (int i = 0; i < N_RANDOM; i++) {
            double a, b, c;
            if (i % 2) {
                a = to_fmt(f, 2 * rnd_unit(&s) - 1), b = to_fmt(f, 2 * rnd_unit(&s) - 1);
                c = to_fmt(f, -a * b * (1 + 0x1p-8 * rnd_unit(&s))); /* cancellation */
            } else {
                a = rnd_bits(&s, f, false), b = rnd_bits(&s, f, false), c = rnd_bits(&s, f, false);
            }
            double got = call(f, fn, a, b, c);
            if (f->bits == 16) {
                double r = fma_f16_once(a, b, c);
                if (isfinite(r))
                    check_exact("fma", f, a, b, c, got, r);
            } else {
                check_exact("fma", f, a, b, c, got, f->bits == 32 ? fmaf((float)a, (float)b, (float)c) : fma(a, b, c));
            }
        }
    }
    printf("  fma: single rounding on %d inputs per format\n", N_RANDOM);
}
END_TEST

/* fma on the hard cases, where rounding twice gives another result: a b
 * an odd integer of prec + 1 bits times a power of two (exactly halfway
 * between two neighbours of the format) and c a tiny nudge either way, so
 * that the exact a b + c lies just off the tie. Rounding a b (or a b + c
 * in a wider format) first lands on the tie, whose ties-to-even answer is
 * the wrong neighbour half of the time; the single rounding never is.
 * The test counts how often the double rounding it guards against would
 * have been wrong, so it cannot pass vacuously. */
START_TEST(test_fma_hard)
{
    const Fmt *fs[3] = {&F16, &F32, &F64};
    for (int k = 0; k < 3; k++) {
        const Fmt *f = fs[k];
        Fn fn = func(IR_FMA, f->bits);
        uint64_t s = seed ^ 0xfa4du ^ (uint64_t)f->bits;
        int hb = (f->prec + 2) / 2, n_wrong = 0, n = 20000; /* a: hb + 1 bits, b: the rest */
        for (int i = 0; i < n; i++) {
            uint64_t A, B;
            do {
                A = (1ull << hb) | (rnd64(&s) & ((1ull << hb) - 1)) | 1;
                B = (1ull << (f->prec - hb)) | (rnd64(&s) & ((1ull << (f->prec - hb)) - 1)) | 1;
            } while (((A * B) >> f->prec) != 1); /* a product of exactly prec + 1 bits */
            /* f16, every other case: p in [2^5, 2^8) and c = +-2^-24 (f16's
             * least subnormal), past f32's 24 bits below p, so that an f32
             * fma rounded to f16 (LLVM's f16 fma on x86) lands on the tie */
            bool deep = f->bits == 16 && (i & 1);
            int ea = deep ? 3 : (int)(rnd64(&s) % 7) - 3, eb = deep ? 2 : (int)(rnd64(&s) % 7) - 3;
            double a = ldexp((double)A, ea - hb), b = ldexp((double)B, eb - (f->prec - hb));
            if (rnd64(&s) & 1)
                a = -a;
            double p = a * b; /* exact in f64 for f16 and f32; f64 rounds it */
            int ep;
            frexp(p, &ep);
            /* far below p's last bit but representable (f16: above its
             * least subnormal 2^-24) */
            double c = ldexp(rnd64(&s) & 1 ? 1.0 : -1.0,
                             deep ? -24 : ep - f->prec - (f->bits == 16 ? 8 : 20));
            double ref, twice;
            if (f->bits == 64) {
                ref = fma(a, b, c);
                twice = a * b + c;
            } else {
                ref = to_fmt(f, p + c); /* p + c exact in f64 here */
                /* the product rounded first; f16 deep: the f32 sum rounded */
                twice = deep ? to_fmt(f, (float)(p + c)) : to_fmt(f, to_fmt(f, p) + c);
            }
            n_wrong += memcmp(&ref, &twice, sizeof ref) != 0;
            check_exact("fma (hard)", f, a, b, c, call(f, fn, a, b, c), ref);
        }
        ck_assert_msg(n_wrong > n / 4, "f%d: only %d of %d hard fma cases round twice wrongly",
                      f->bits, n_wrong, n);
        printf("  fma f%d: %d hard cases (%d where rounding twice is wrong)\n", f->bits, n,
               n_wrong);
    }
}
END_TEST

/* special values of docs/language.md §7 and docs/llvm-targets.md */
START_TEST(test_special)
{
    const Fmt *fs[2] = {&F32, &F64};
    for (int k = 0; k < 2; k++) {
        const Fmt *f = fs[k];
        int b = f->bits;
        ck_assert(isinf(call(f, func(IR_EXP2, b), 2000, 0, 0)));
        ck_assert(call(f, func(IR_EXP2, b), -2000, 0, 0) == 0);
        ck_assert(call(f, func(IR_EXP, b), -INFINITY, 0, 0) == 0);
        ck_assert(isnan(call(f, func(IR_EXP, b), NAN, 0, 0)));
        ck_assert(call(f, func(IR_LOG, b), 0, 0, 0) == -INFINITY);
        ck_assert(isnan(call(f, func(IR_LOG2, b), -1, 0, 0)));
        ck_assert(call(f, func(IR_LOG2, b), INFINITY, 0, 0) == INFINITY);
        ck_assert(call(f, func(IR_LOG2, b), 1, 0, 0) == 0);
        ck_assert(isnan(call(f, func(IR_SQRT, b), -1, 0, 0)));
        ck_assert(call(f, func(IR_RSQRT, b), 0, 0, 0) == INFINITY);
        ck_assert(call(f, func(IR_RSQRT, b), INFINITY, 0, 0) == 0);
        ck_assert(isnan(call(f, func(IR_RSQRT, b), -4, 0, 0)));
        if (b == 64)
            ck_assert(call(f, func(IR_RSQRT, b), 0x1p-1000, 0, 0) == 0x1p500);
        ck_assert(isnan(call(f, func(IR_SIN, b), NAN, 0, 0)));
        ck_assert(call(f, func(IR_TANH, b), 100, 0, 0) == 1);
        ck_assert(call(f, func(IR_TANH, b), -INFINITY, 0, 0) == -1);
        ck_assert(call(f, func(IR_POW, b), NAN, 0, 0) == 1);
        ck_assert(call(f, func(IR_POW, b), 1, NAN, 0) == 1);
        ck_assert(call(f, func(IR_POW, b), -2, 3, 0) == -8);
        ck_assert(isnan(call(f, func(IR_POW, b), -2, 0.5, 0)));
        ck_assert(call(f, func(IR_POW, b), 0, 2, 0) == 0);
        ck_assert(call(f, func(IR_EXP2, b), 10, 0, 0) == 1024);
    }
}
END_TEST

/* pow on every pair of special and boundary values against C's pow and
 * powf (C11 F.10.4.4): zeros of either sign, +-1, +-inf, NaN, integers odd
 * and even, halves, the smallest subnormal, the largest finite value, values
 * next to 1 and huge integer exponents. Results that are 0, inf, NaN or +-1
 * must match bit for bit (NaN: any NaN; the sign of zero counts), the rest
 * within 1 ulp. */
START_TEST(test_pow_special)
{
    static const double v[] = {0.0, 1.0, 0.5, 2.0, 3.0, 1.5, 0.25, 1023.0, 0x1p53, 0x1p60,
                               0x1p-1074, 1.79769313486231570815e+308, 1 + 0x1p-23, 1 - 0x1p-24,
                               1 + 0x1p-52, INFINITY, NAN};
    const Fmt *fs[2] = {&F32, &F64};
    int nv = (int)(sizeof v / sizeof v[0]), n = 0;
    for (int k = 0; k < 2; k++) {
        const Fmt *f = fs[k];
        Fn fn = func(IR_POW, f->bits);
        for (int i = 0; i < 2 * nv; i++) {
            for (int j = 0; j < 2 * nv; j++) {
                double x = to_fmt(f, i < nv ? v[i] : -v[i - nv]), y = to_fmt(f, j < nv ? v[j] : -v[j - nv]);
                double got = call(f, fn, x, y, 0);
                double ref = f->bits == 32 ? powf((float)x, (float)y) : pow(x, y);
                n++;
                if (ref == 0 || isinf(ref) || isnan(ref) || fabs(ref) == 1) {
                    check_exact("pow", f, x, y, 0, got, ref);
                    continue;
                }
                ck_assert_msg(fabs(got - ref) <= (double)ulp_at(f, ref), "pow f%d(%a, %a) = %a, libm %a", f->bits,
                              x, y, got, ref);
            }
        }
    }
    printf("  pow: C's special values on %d pairs\n", n);
}
END_TEST

/* ---- the whole range against the CUDA Math API's bounds ------------------------------------ */

/* Every function over its whole domain (random bit patterns, so tiny, huge
 * and subnormal inputs in the proportion of their encodings, plus a
 * log-uniform sweep of magnitudes and the range that matters) against the
 * CUDA Math API's maximum ulp error, plus 0.5 (CUDA counts from the rounded
 * result, this test from the exact one). `cuda` is CUDA's bound; `tested`
 * what is asserted: CUDA's + 0.5 where clawc meets it, else the measured
 * gap's documented bound (docs/language.md §7 lists both). */
typedef struct Full {
    const char *what;
    IrOp op;
    Ref1 ref;
    double lo, hi; /* domain: sampled as random bits within it */
    double cuda32, tested32, cuda64, tested64;
} Full;

static Stat
measure_full(const Full *c, const Fmt *f, double hi)
{
    Fn fn = func(c->op, f->bits);
    Stat st = {0};
    uint64_t s = seed ^ ((uint64_t)c->op << 40) ^ (uint64_t)f->bits;
    double tested = f->bits == 32 ? c->tested32 : c->tested64;
    for (int i = 0; i < 1 << 15; i++) {
        double x;
        switch (i % 3) {
        case 0: x = rnd_bits(&s, f, c->lo >= 0); break;
        case 1: /* log-uniform magnitude over the whole format */
            x = ldexp(1.0 + rnd_unit(&s), (int)(rnd_unit(&s) * (f->bits == 32 ? 280 : 2100)) -
                                               (f->bits == 32 ? 150 : 1075));
            if (c->lo < 0 && (i & 8))
                x = -x;
            break;
        default: x = c->lo + (fmin(hi, c->hi) - c->lo) * rnd_unit(&s); break;
        }
        x = to_fmt(f, x);
        if (!(x >= c->lo && x <= c->hi) || fabs(x) > hi)
            continue;
        record(&st, f, x, 0, call(f, fn, x, 0, 0), c->ref(x), (Bound){tested, 0, 0}, x);
    }
    return st;
}

START_TEST(test_cuda_full_range)
{
    static const Full cases[] = {
        {"rsqrt", IR_RSQRT, ref_rsqrt, 0, INFINITY, 2, 2.5, 1, 1.5},
        {"exp", IR_EXP, expl, -800, 800, 2, 2.5, 1, 1.5},
        {"exp2", IR_EXP2, exp2l, -1100, 1100, 2, 2.5, 1, 1.5},
        {"log", IR_LOG, logl, 0, INFINITY, 1, 1.5, 1, 1.5},
        {"log2", IR_LOG2, log2l, 0, INFINITY, 1, 1.5, 1, 1.5},
        {"sin", IR_SIN, sinl, -INFINITY, INFINITY, 2, 2.5, 2, 2.5},
        {"cos", IR_COS, cosl, -INFINITY, INFINITY, 2, 2.5, 2, 2.5},
        {"tan", IR_TAN, tanl, -INFINITY, INFINITY, 4, 4.5, 2, 2.5},
        {"tanh", IR_TANH, tanhl, -INFINITY, INFINITY, 2, 2.5, 1, 1.5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const Full *c = &cases[i];
        Stat st = measure_full(c, &F32, INFINITY);
        printf("  full range %-6s f32 max %.3f ulp (CUDA %g)\n", c->what, st.max_ulp, c->cuda32);
        report(c->what, &F32, &st);
        st = measure_full(c, &F64, INFINITY);
        printf("  full range %-6s f64 max %.3f ulp (CUDA %g)\n", c->what, st.max_ulp, c->cuda64);
        report(c->what, &F64, &st);
    }
}
END_TEST

/* f32 exp and exp2 run on the GPUs' hardware 2^f unit (ex2.approx.ftz.f32,
 * v_exp_f32; targets/llvm/math.c), which the host models (jit.c): in the
 * tests above correctly rounded, here also at the PTX ISA's documented worst
 * case, 2 ulp from the correctly rounded result, in either direction.
 * Asserted: with the unit correctly rounded, 1.5 ulp (the range reduction
 * and a subnormal result's rounding cost under one ulp); at the unit's worst
 * case, GLSL.std.450's 3 + 2|x| ulp, the bound docs/language.md §7 promises,
 * over the whole range (measured: 2.77 ulp, and up to 3 just below 1, where
 * the unit's 2 ulps above 1 are 4 of the exact result's). */
START_TEST(test_exp_unit)
{
    static const struct {
        const char *what;
        IrOp op;
        Ref1 ref;
        double lo, hi;
    } cs[] = {{"exp", IR_EXP, expl, -104, 89}, {"exp2", IR_EXP2, exp2l, -150, 129}};
    static const int models[] = {0, -2, 2};
    for (int m = 0; m < 3; m++) {
        llvm_jit_set_exp2_unit(models[m]);
        for (int i = 0; i < 2; i++) {
            char what[48];
            Bound bd = {models[m] ? 3.0 : 1.5, models[m] ? 2.0 : 0, 0};
            snprintf(what, sizeof what, "%s, unit %+d ulp", cs[i].what, models[m]);
            Stat s = measure1(cs[i].op, &F32, cs[i].ref, cs[i].lo, cs[i].hi, false, bd);
            report(what, &F32, &s);
            snprintf(what, sizeof what, "%s |x|<=1, unit %+d ulp", cs[i].what, models[m]);
            s = measure1(cs[i].op, &F32, cs[i].ref, -1, 1, false, bd);
            report(what, &F32, &s);
            Full full = {cs[i].what, cs[i].op, cs[i].ref, -INFINITY, INFINITY, 2, bd.u0, 1, 1.5};
            s = measure_full(&full, &F32, INFINITY);
            snprintf(what, sizeof what, "%s full, unit %+d ulp", cs[i].what, models[m]);
            report(what, &F32, &s);
            /* f16 rounds the f32 result once: the unit's error stays far
             * below half an f16 ulp, so every f16 input keeps 1 ulp */
            snprintf(what, sizeof what, "%s, unit %+d ulp", cs[i].what, models[m]);
            s = measure_f16(cs[i].op, cs[i].ref, -INFINITY, INFINITY, (Bound){1, 0, 0});
            report(what, &F16, &s);
        }
    }
    llvm_jit_set_exp2_unit(0);
}
END_TEST

/* f32 rsqrt runs on the GPUs' hardware 1/sqrt unit (rsqrt.approx.ftz.f32,
 * v_rsq_f32; targets/llvm/math.c build_rsqrt_unit), which the host models
 * (jit.c): correctly rounded in the tests above, here also at the
 * documented worst cases, either side: AMD's 1 ulp and the PTX ISA's
 * relative 2^-22.9, which is at most 2^1.1 = 2.14 ulp of the exact result
 * (modelled as 2.14 ulp everywhere). The model flushes subnormal inputs, as
 * the units do, so math.c's scaling of them is what passes or fails here.
 * Asserted over the whole range (random bit patterns, a log-uniform sweep
 * from the subnormals up, the subnormals densely): the unit's own error
 * and nothing more (the scaling is exact), so within CUDA's rsqrtf bound,
 * 2 ulp from the correctly rounded result (2.5 from the exact one); C's
 * special values bit for bit; f16 (every input) 1 ulp. */
START_TEST(test_rsqrt_unit)
{
    static const double models[] = {0, -1, 1, -2.1435469250725863, 2.1435469250725863};
    Fn fn = func(IR_RSQRT, 32);
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        double k = models[m];
        llvm_jit_set_rsqrt_unit(k);
        /* 0.5 is the correctly rounded unit's (the model rounds its long
         * double twice: a hair more) */
        Bound bd = {(fabs(k) > 0.5 ? fabs(k) : 0.5) * (1 + 0x1p-20), 0, 0};
        ck_assert(bd.u0 < 2.5);
        char what[48];
        snprintf(what, sizeof what, "rsqrt, unit %+.2f ulp", k);
        Stat s = measure1(IR_RSQRT, &F32, ref_rsqrt, 0, (double)F32.max, true, bd);
        report(what, &F32, &s);
        snprintf(what, sizeof what, "rsqrt subn, unit %+.2f ulp", k);
        s = measure1(IR_RSQRT, &F32, ref_rsqrt, 0, 0x1p-126, false, bd);
        report(what, &F32, &s);
        Full full = {"rsqrt", IR_RSQRT, ref_rsqrt, 0, INFINITY, 2, bd.u0, 1, 1.5};
        s = measure_full(&full, &F32, INFINITY);
        printf("  full range rsqrt  f32 unit %+.2f ulp: max %.3f ulp (CUDA 2, 2.5 from exact)\n", k,
               s.max_ulp);
        snprintf(what, sizeof what, "rsqrt full, unit %+.2f ulp", k);
        report(what, &F32, &s);
        /* C: rsqrt(+-0) = +-inf, rsqrt(x < 0) = NaN, rsqrt(+inf) = +0 */
        static const double neg[] = {-1.0,      -0x1p-126, -0x1p-149, -3.4028234663852886e38,
                                     -INFINITY, NAN};
        check_exact("rsqrt", &F32, 0.0, 0, 0, call(&F32, fn, 0.0, 0, 0), INFINITY);
        check_exact("rsqrt", &F32, -0.0, 0, 0, call(&F32, fn, -0.0, 0, 0), -INFINITY);
        check_exact("rsqrt", &F32, INFINITY, 0, 0, call(&F32, fn, INFINITY, 0, 0), 0.0);
        for (size_t i = 0; i < sizeof neg / sizeof neg[0]; i++)
            check_exact("rsqrt", &F32, neg[i], 0, 0, call(&F32, fn, neg[i], 0, 0), NAN);
        if (k == 0) { /* powers of 4 are exact, subnormal ones included */
            static const double p4[][2] = {{0x1p-148, 0x1p74},
                                           {0x1p-130, 0x1p65},
                                           {0x1p-126, 0x1p63},
                                           {4, 0.5},
                                           {0x1p126, 0x1p-63}};
            for (size_t i = 0; i < sizeof p4 / sizeof p4[0]; i++)
                check_exact("rsqrt", &F32, p4[i][0], 0, 0, call(&F32, fn, p4[i][0], 0, 0),
                            p4[i][1]);
        }
        snprintf(what, sizeof what, "rsqrt, unit %+.2f ulp", k);
        s = measure_f16(IR_RSQRT, ref_rsqrt, 0, INFINITY, (Bound){1, 0, 0});
        report(what, &F16, &s);
    }
    llvm_jit_set_rsqrt_unit(0);
}
END_TEST

/* f32 log2 on AMDGPU is v_log_f32 (targets/llvm/math.c build_log2_unit;
 * NVPTX keeps math.c's own log2, which the tests above measure): here on a
 * second JIT with AMDGPU's units (llvm_jit_new_amdgpu_units), the unit
 * modelled correctly rounded, at AMD's documented 1 ulp (OpenCL's meaning:
 * from the exact result) and at 1.5 (1 ulp from the correctly rounded
 * result), either side. The model flushes subnormal inputs, so math.c's
 * scaling (x 2^24, then 24 subtracted) is what is tested. Asserted: the
 * unit's own error, or 0.75 ulp where the unit is correctly rounded (the
 * subtraction of 24 rounds again for subnormal x), so CUDA's log2f bound,
 * 1 ulp (1.5 from the exact result), holds in both readings of AMD's (in
 * the second without margin): over the whole range, near 1, the
 * subnormals densely; C's special values bit for bit; f16 (every input) 1
 * ulp. */
START_TEST(test_log2_unit)
{
    IrModule *m = ir_module_new("log2.claw");
    build_func(m, IR_LOG2, 1, 16);
    build_func(m, IR_LOG2, 1, 32);
    char *err = NULL;
    LlvmJit *amd = llvm_jit_new_amdgpu_units(m, &err);
    ck_assert_msg(amd != NULL, "llvm_jit_new_amdgpu_units: %s", err ? err : "?");
    ir_module_free(m);
    LlvmJit *nvptx = jit;
    jit = amd;
    Fn fn = func(IR_LOG2, 32);
    static const double models[] = {0, -1, 1, -1.5, 1.5};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        double k = models[i];
        llvm_jit_set_log2_unit(k);
        Bound bd = {(fabs(k) > 0.75 ? fabs(k) : 0.75) * (1 + 0x1p-20), 0, 0};
        ck_assert(bd.u0 <= 1.5 * (1 + 0x1p-20));
        static const struct {
            const char *what;
            double lo, hi;
            bool bits;
        } rs[] = {{"x<0.5", 0, 0.5, true},
                  {"x>2", 2, 3.4028234663852886e38, true},
                  {"[0.5,2]", 0.5, 2, false},
                  {"near 1", 1 - 0x1p-10, 1 + 0x1p-10, false},
                  {"subn", 0, 0x1p-126, false}};
        char what[48];
        for (size_t r = 0; r < sizeof rs / sizeof rs[0]; r++) {
            snprintf(what, sizeof what, "log2 %s, unit %+.1f", rs[r].what, k);
            Stat s = measure1(IR_LOG2, &F32, log2l, rs[r].lo, rs[r].hi, rs[r].bits, bd);
            report(what, &F32, &s);
        }
        Full full = {"log2", IR_LOG2, log2l, 0, INFINITY, 1, bd.u0, 1, 1.5};
        Stat s = measure_full(&full, &F32, INFINITY);
        printf("  full range log2   f32 unit %+.1f ulp: max %.3f ulp (CUDA 1, 1.5 from exact)\n", k,
               s.max_ulp);
        snprintf(what, sizeof what, "log2 full, unit %+.1f", k);
        report(what, &F32, &s);
        /* C: log2(+-0) = -inf, log2(x < 0) = NaN, log2(+inf) = +inf, log2(1) = 0 */
        static const double sp[][2] = {{0.0, -INFINITY}, {-0.0, -INFINITY}, {INFINITY, INFINITY},
                                       {1.0, 0.0},       {-1.0, NAN},       {-0x1p-149, NAN},
                                       {-INFINITY, NAN}, {NAN, NAN}};
        for (size_t j = 0; j < sizeof sp / sizeof sp[0]; j++)
            check_exact("log2", &F32, sp[j][0], 0, 0, call(&F32, fn, sp[j][0], 0, 0), sp[j][1]);
        if (k == 0) { /* powers of 2 are exact, subnormal ones included */
            static const double p2[] = {0x1p-149, 0x1p-130, 0x1p-126, 0.5, 0x1p100};
            for (size_t j = 0; j < sizeof p2 / sizeof p2[0]; j++)
                check_exact("log2", &F32, p2[j], 0, 0, call(&F32, fn, p2[j], 0, 0), log2(p2[j]));
        }
        snprintf(what, sizeof what, "log2, unit %+.1f", k);
        s = measure_f16(IR_LOG2, log2l, 0, INFINITY, (Bound){1, 0, 0});
        report(what, &F16, &s);
    }
    llvm_jit_set_log2_unit(0);
    jit = nvptx;
    llvm_jit_free(amd);
}
END_TEST

static Suite *
math_suite(void)
{
    Suite *s = suite_create("llvm_math");
    TCase *tc = tcase_create("accuracy");
    tcase_add_unchecked_fixture(tc, setup_jit, teardown_jit);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_special);
    tcase_add_test(tc, test_pow_special);
    tcase_add_test(tc, test_sqrt);
    tcase_add_test(tc, test_rounding);
    tcase_add_test(tc, test_fma);
    tcase_add_test(tc, test_exp);
    tcase_add_test(tc, test_log);
    tcase_add_test(tc, test_trig);
    tcase_add_test(tc, test_trig_huge);
    tcase_add_test(tc, test_tanh);
    tcase_add_test(tc, test_pow);
    tcase_add_test(tc, test_pow_full_range);
    tcase_add_test(tc, test_cuda_full_range);
    tcase_add_test(tc, test_exp_unit);
    tcase_add_test(tc, test_rsqrt_unit);
    tcase_add_test(tc, test_log2_unit);
    tcase_add_test(tc, test_fma_hard);
    suite_add_tcase(s, tc);
    /* the same library without fma (IR_PF_FMA_TWICE), as SPIR-V runs it,
     * to the same bounds; the unit tests are NVPTX's and AMDGPU's only */
    TCase *ff = tcase_create("fma_free");
    tcase_add_unchecked_fixture(ff, setup_jit_fma_free, teardown_jit);
    tcase_set_timeout(ff, 120);
    tcase_add_test(ff, test_special);
    tcase_add_test(ff, test_pow_special);
    tcase_add_test(ff, test_sqrt);
    tcase_add_test(ff, test_rounding);
    tcase_add_test(ff, test_fma);
    tcase_add_test(ff, test_fma_hard);
    tcase_add_test(ff, test_exp);
    tcase_add_test(ff, test_log);
    tcase_add_test(ff, test_trig);
    tcase_add_test(ff, test_trig_huge);
    tcase_add_test(ff, test_tanh);
    tcase_add_test(ff, test_pow);
    tcase_add_test(ff, test_pow_full_range);
    tcase_add_test(ff, test_cuda_full_range);
    suite_add_tcase(s, ff);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(math_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
