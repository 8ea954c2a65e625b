/* math_accuracy.c: runs every f32 math builtin (tests/e2e/math_accuracy.claw)
 * on a device through libclawrt and checks each result against the host's
 * long double libm with the bound that Vulkan requires of the GLSL.std.450
 * counterpart (Vulkan 1.3, "Precision and Operation of SPIR-V
 * Instructions"; docs/language.md §7 makes these the floor on every target):
 *
 *   sqrt      inherited from 1/inversesqrt: 2 + 2.5 ulp
 *   rsqrt     2 ulp                         exp, exp2  3 + 2|x| ulp
 *   log, log2 3 ulp outside [0.5, 2], 2^-21 absolute inside
 *   sin, cos  2^-11 absolute on [-pi, pi]
 *   tan       inherited from sin/cos: 2^-11 (1 + |tan x|) / |cos x| absolute
 *             plus the division's 2.5 ulp, on [-1.5, 1.5]
 *   tanh      4 ulp over the whole range, tiny inputs included (a quarter
 *             of the inputs log-uniform in 1e-30 .. 1, either sign): clawc
 *             builds f32 tanh itself (docs/spirv.md), since a driver's
 *             GLSL Tanh loses everything near 0 (lavapipe's tanh(1e-8) was
 *             2.98e-8); Vulkan's inherited bound is far looser
 *   pow       inherited from exp2(y log2 x): 3 + 2|t| ulp for t = y log2 x,
 *             plus |y| times log2's error, scaled by ln 2
 *   floor ceil round (half away from zero, docs/language.md §7) trunc: exact
 *   exp exp2 log log2 pow also get special inputs at the end of their
 *             arrays (inf, NaN, zeros, overflow, subnormal and underflowing
 *             results, pow's pairs of them): C's result exactly where that
 *             is inf, NaN or zero (with its sign), else within 1 ulp
 *             (subnormal ulps too); clawc builds these five itself on f32
 *             (docs/spirv.md), so they follow C's expf ... powf
 *   fma       a single rounding (docs/language.md §7) or, as Vulkan allows for
 *             GLSL.std.450 Fma ("inherited from OpFMul followed by OpFAdd"),
 *             the product and the sum each rounded; unfused results are
 *             counted and printed (lavapipe does not fuse)
 *
 *   math_accuracy <fatbin>
 *
 * The device is the runtime's device 0 (CLAW_DEVICE, vulkan:0 under ctest);
 * with none the program says so and exits 77 (skipped). Inputs are a grid
 * over each function's range plus random values (seed from the clock or
 * CLAW_SEED, printed). The largest error per function is printed. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/claw.h"
#include "e2e_util.h"

enum { N = 1 << 16 };

enum Op { SQRT, RSQRT, EXP, EXP2, LOG, LOG2, SIN, COS, TAN, TANH, POW, FLOOR, CEIL, ROUND, TRUNC, FMA };

static const struct {
    const char *name;
    double lo, hi; /* x range */
} ops[] = {
    [SQRT] = {"sqrt", 0, 1e30},   [RSQRT] = {"rsqrt", 1e-30, 1e30}, [EXP] = {"exp", -87, 88},
    [EXP2] = {"exp2", -126, 127}, [LOG] = {"log", 1e-30, 1e30},      [LOG2] = {"log2", 1e-30, 1e30},
    [SIN] = {"sin", -M_PI, M_PI}, [COS] = {"cos", -M_PI, M_PI},      [TAN] = {"tan", -1.5, 1.5},
    [TANH] = {"tanh", -10, 10},   [POW] = {"pow", 0.01, 100},        [FLOOR] = {"floor", -1e4, 1e4},
    [CEIL] = {"ceil", -1e4, 1e4}, [ROUND] = {"round", -1e4, 1e4},    [TRUNC] = {"trunc", -1e4, 1e4},
    [FMA] = {"fma", -10, 10},
};

/* special inputs for exp exp2 log log2 (x) and pow (every x with every y) */
static const float special_x[] = {
    INFINITY, -INFINITY, NAN,     0.0f,    -0.0f,    1.0f,    -1.0f,   2.0f,
    0x1p-149f, 0x1p-130f, 0x1p-126f, FLT_MAX, 88.72f,  88.8f,   127.9f,  128.0f,
    200.0f,   -87.5f,    -100.0f, -103.2f, -104.0f,  -126.5f, -140.3f, -149.0f,
    -149.5f,  -150.0f,   -160.0f, 1e30f,   -0.5f,
};
static const float special_y[] = {2,    -2,       3,         -3,   0.5f, 0,
                                  -0.0f, NAN,     INFINITY, -INFINITY, 1000, -1000};
enum {
    NSX = sizeof special_x / sizeof special_x[0],
    NSY = sizeof special_y / sizeof special_y[0],
};

static bool
has_specials(int op)
{
    return op == EXP || op == EXP2 || op == LOG || op == LOG2 || op == POW;
}

/* number of special inputs at the end of op's arrays */
static int
n_special(int op)
{
    return !has_specials(op) ? 0 : op == POW ? NSX * NSY : NSX;
}

static unsigned seed;
static int unfused; /* fma results that were rounded twice */

static double
frand(double lo, double hi)
{
    return lo + (hi - lo) * ((double)rand_r(&seed) / RAND_MAX);
}

/* one f32 ulp at the magnitude of r */
static long double
ulp(long double r)
{
    return e2e_ulp(r, FLT_MIN_EXP - 1, FLT_MANT_DIG);
}

/* inputs: a grid over the range (geometric for ranges over decades) then random */
static void
inputs(enum Op op, float *x, float *y, float *z)
{
    double lo = ops[op].lo, hi = ops[op].hi;
    bool geo = lo > 0 && hi / lo > 1e3;
    for (int i = 0; i < N; i++) {
        double t = i < N / 2 ? (double)i / (N / 2 - 1) : frand(0, 1);
        x[i] = (float)(geo ? lo * pow(hi / lo, t) : lo + (hi - lo) * t);
        y[i] = (float)(op == POW ? frand(-8, 8) : frand(-10, 10));
        z[i] = (float)frand(-100, 100);
        if ((op == ROUND || op == FLOOR) && i % 4 == 0)
            x[i] = (float)(floor(x[i]) + 0.5); /* halves: away from zero */
        if (op == TANH && i % 4 == 1) /* tiny and small inputs, either sign */
            x[i] = (float)((i & 2 ? -1 : 1) * pow(10, frand(-30, 0)));
    }
    for (int j = 0, ns = n_special(op); j < ns; j++) {
        x[N - ns + j] = special_x[op == POW ? j / NSY : j];
        y[N - ns + j] = op == POW ? special_y[j % NSY] : 0;
    }
}

/* a special input's result against C's: 0 when right, else INFINITY */
static double
special_ratio(enum Op op, float x, float y, float got)
{
    long double r;
    float want;
    switch (op) {
    case EXP: r = expl(x), want = expf(x); break;
    case EXP2: r = exp2l(x), want = exp2f(x); break;
    case LOG: r = logl(x), want = logf(x); break;
    case LOG2: r = log2l(x), want = log2f(x); break;
    default: r = powl(x, y), want = powf(x, y); break;
    }
    bool ok;
    if (isnan(want))
        ok = isnan(got);
    else if (isinf(want) || want == 0)
        ok = got == want && signbit(got) == signbit(want);
    else
        ok = fabsl((long double)got - r) <= ulp(r);
    if (!ok && op == POW)
        printf("  pow(%.9g, %.9g): got %.9g, C gives %.9g\n", x, y, got, want);
    else if (!ok)
        printf("  %s(%.9g): got %.9g, C gives %.9g\n", ops[op].name, x, got, want);
    return ok ? 0 : INFINITY;
}

/* the error at one result divided by its bound (> 1 fails) */
static double
ratio(enum Op op, float xf, float yf, float zf, float got)
{
    long double x = xf, y = yf, r, bound;
    switch (op) {
    case SQRT: r = sqrtl(x); bound = 4.5 * ulp(r); break;
    case RSQRT: r = 1 / sqrtl(x); bound = 2 * ulp(r); break;
    case EXP: r = expl(x); bound = (3 + 2 * fabsl(x)) * ulp(r); break;
    case EXP2: r = exp2l(x); bound = (3 + 2 * fabsl(x)) * ulp(r); break;
    case LOG:
    case LOG2:
        r = op == LOG ? logl(x) : log2l(x);
        bound = x >= 0.5 && x <= 2 ? 0x1p-21 : 3 * ulp(r);
        break;
    case SIN: r = sinl(x); bound = 0x1p-11; break;
    case COS: r = cosl(x); bound = 0x1p-11; break;
    case TAN:
        r = tanl(x);
        bound = 0x1p-11 * (1 + fabsl(r)) / fabsl(cosl(x)) + 2.5 * ulp(r);
        break;
    case TANH: r = tanhl(x); bound = 4 * ulp(r); break;
    case POW: {
        r = powl(x, y);
        long double t = y * log2l(x), l2 = log2l(x);
        long double e_log2 = x >= 0.5 && x <= 2 ? 0x1p-21 : 3 * ulp(l2);
        bound = (3 + 2 * fabsl(t)) * ulp(r) + fabsl(y) * e_log2 * 0.6931471805599453L * fabsl(r);
        break;
    }
    case FLOOR: return got == floorf(xf) ? 0 : INFINITY;
    case CEIL: return got == ceilf(xf) ? 0 : INFINITY;
    case ROUND: return got == roundf(xf) ? 0 : INFINITY;
    case TRUNC: return got == truncf(xf) ? 0 : INFINITY;
    case FMA: {
        if (got == fmaf(xf, yf, zf))
            return 0;
        unfused++;
        volatile float prod = xf * yf; /* rounded, never contracted into an fma */
        return got == prod + zf ? 0 : INFINITY;
    }
    default: return INFINITY;
    }
    if (!isfinite(r) || fabsl(r) > 3.4028234663852886e38L)
        return 0; /* out of f32 range: not this test's concern */
    return (double)(fabsl((long double)got - r) / bound);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: math_accuracy <fatbin>\n");
        return 2;
    }
    seed = (unsigned)e2e_seed_env();
    printf("seed %u (set CLAW_SEED=%u to replay)\n", seed, seed);
    claw_device *dev = e2e_open_device();
    if (!dev)
        return E2E_SKIP;
    claw_device_props props;
    E2E_CHECK(claw_device_props_get(dev, &props));
    printf("device: %s (%s)\n", props.name, props.arch);
    claw_module *mod;
    E2E_CHECK(claw_module_load_file(dev, argv[1], &mod));
    claw_kernel *k;
    E2E_CHECK(claw_kernel_get(mod, "math_f32", &k));

    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *z = malloc(N * sizeof *z),
          *o = malloc(N * sizeof *o);
    claw_buffer *bx, *by, *bz, *bo;
    E2E_CHECK(claw_alloc(dev, N * sizeof *x, &bx));
    E2E_CHECK(claw_alloc(dev, N * sizeof *y, &by));
    E2E_CHECK(claw_alloc(dev, N * sizeof *z, &bz));
    E2E_CHECK(claw_alloc(dev, N * sizeof *o, &bo));
    uint64_t ax = claw_buffer_address(bx), ay = claw_buffer_address(by), az = claw_buffer_address(bz),
             ao = claw_buffer_address(bo);
    int failed = 0;
    for (uint32_t op = 0; op < sizeof ops / sizeof ops[0]; op++) {
        inputs((enum Op)op, x, y, z);
        E2E_CHECK(claw_write(bx, 0, x, N * sizeof *x));
        E2E_CHECK(claw_write(by, 0, y, N * sizeof *y));
        E2E_CHECK(claw_write(bz, 0, z, N * sizeof *z));
        uint32_t n = N, grid[3] = {N / 256, 1, 1}, block[3] = {256, 1, 1};
        E2E_CHECK(claw_launch(k, grid, block, (const void *[]){&n, &op, &ax, &ay, &az, &ao}, 6));
        E2E_CHECK(claw_synchronize(dev));
        E2E_CHECK(claw_read(bo, 0, o, N * sizeof *o));
        double worst = 0;
        int wi = 0, bad = 0;
        for (int i = 0; i < N; i++) {
            double q = i >= N - n_special((int)op)
                           ? special_ratio((enum Op)op, x[i], y[i], o[i])
                           : ratio((enum Op)op, x[i], y[i], z[i], o[i]);
            if (isnan(q))
                q = INFINITY;
            bad += q > 1;
            if (q > worst)
                worst = q, wi = i;
        }
        printf("%-6s worst error / bound %.3g%s", ops[op].name, worst, bad ? "  FAIL" : "");
        if (worst > 0)
            printf("  (x=%.9g y=%.9g z=%.9g got %.9g)", x[wi], y[wi], z[wi], o[wi]);
        printf("\n");
        failed += bad > 0;
    }
    if (unfused)
        printf("note: %d of %d fma results were not a single rounding (Vulkan's bound, not "
               "docs/language.md §7's)\n", unfused, (int)N);
    claw_free(bx);
    claw_free(by);
    claw_free(bz);
    claw_free(bo);
    free(x);
    free(y);
    free(z);
    free(o);
    claw_module_unload(mod);
    claw_shutdown();
    if (failed) {
        printf("FAILED: %d functions exceed their bound\n", failed);
        return 1;
    }
    printf("all functions within their Vulkan bounds\n");
    return 0;
}
