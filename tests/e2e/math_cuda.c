/* math_cuda.c: the f32 math builtins (tests/e2e/math_accuracy.claw's kernel)
 * on a device through libclawrt, over their WHOLE input range, against the
 * maximum ulp errors of the CUDA Math API (docs/language.md §7's table):
 *
 *   sqrt 0.5 (correctly rounded)  rsqrt 2   exp exp2 2   log log2 1
 *   sin cos 2   tan 4   tanh 2   pow 4
 *
 * Errors are in ulps of the exact result (host long double libm) in f32,
 * subnormal results measured in the subnormal ulp 2^-149. The bounds are
 * CUDA's plus 0.5 ulp: CUDA counts from the correctly rounded result, this
 * test from the exact one.
 *
 * Inputs per function (2^16 in all): random bit patterns over every finite
 * f32 of the function's domain (so tiny, huge and subnormal inputs come in
 * the proportion of their encodings), a log-uniform sweep of the magnitudes
 * that matter (for exp: the whole non-overflowing range; for sin/cos/tan: 1
 * to 2^128), known hard cases (sin(8e25), pow(4.5e22, 1.7)) and special
 * values (±0, ±inf, NaN), which must give C's result exactly where that is
 * inf, NaN or zero. pow takes random positive x with y chosen so that
 * |y log2 x| covers [0, 150] (normal and subnormal results), and random
 * pairs of both.
 *
 *   math_cuda <fatbin>
 *
 * Runs on the runtime's device 0 (CLAW_DEVICE, vulkan:0 under ctest); exits
 * 77 without one. Seed from the clock or CLAW_SEED (printed). Prints the
 * worst ulp error per function and where. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/claw.h"
#include "e2e_util.h"

enum { N = 1 << 16 };

/* the kernel's op numbers (math_accuracy.claw) */
enum Op { SQRT, RSQRT, EXP, EXP2, LOG, LOG2, SIN, COS, TAN, TANH, POW };

static const struct {
    enum Op op;
    const char *name;
    double bound; /* CUDA's maximum ulp error */
} fns[] = {
    {SQRT, "sqrt", 0}, {RSQRT, "rsqrt", 2}, {EXP, "exp", 2}, {EXP2, "exp2", 2},
    {LOG, "log", 1},   {LOG2, "log2", 1},   {SIN, "sin", 2}, {COS, "cos", 2},
    {TAN, "tan", 4},   {TANH, "tanh", 2},   {POW, "pow", 4},
};

static uint64_t rng;

static uint32_t
rnd32(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 32);
}

static double
unif(double lo, double hi)
{
    return lo + (hi - lo) * (rnd32() / 4294967296.0);
}

static float
from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* a random finite f32 of either sign, uniform over the encodings */
static float
any_finite(void)
{
    for (;;) {
        float f = from_bits(rnd32());
        if (isfinite(f))
            return f;
    }
}

static const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 0x1p-149f, -0x1p-149f,
                                 FLT_MIN, FLT_MAX, -FLT_MAX, 1.0f, -1.0f};
enum { NSPEC = sizeof specials / sizeof specials[0] };

static void
inputs(enum Op op, float *x, float *y)
{
    for (int i = 0; i < N; i++) {
        float a = any_finite(), b = 0;
        int part = i % 4;
        switch (op) {
        case SQRT: case RSQRT: case LOG: case LOG2:
            a = fabsf(a);
            if (part == 1)
                a = (float)exp2(unif(-149, 128));
            break;
        case EXP:
            if (part != 0)
                a = (float)unif(-104, 89);
            break;
        case EXP2:
            if (part != 0)
                a = (float)unif(-150, 128);
            break;
        case SIN: case COS: case TAN:
            if (part == 1)
                a = (float)((i & 8 ? -1 : 1) * exp2(unif(0, 128)));
            else if (part == 2)
                a = (float)unif(-100, 100);
            break;
        case TANH:
            if (part == 1)
                a = (float)((i & 8 ? -1 : 1) * exp2(unif(-149, 4)));
            else if (part == 2)
                a = (float)unif(-10, 10);
            break;
        case POW:
            if (part == 0) {
                a = fabsf(a);
                b = any_finite();
            } else {
                /* x anywhere in the positive range, y for |t| = |y log2 x| <= 150 */
                a = (float)exp2(unif(-149, 128));
                double t = unif(-150, 150) * (part == 3 ? 1 : 0.1);
                double l = log2(a);
                b = (float)(fabs(l) > 1e-3 ? t / l : unif(-100, 100));
            }
            break;
        default: break;
        }
        x[i] = a;
        y[i] = b;
    }
    /* hard cases, then the specials at the end */
    x[0] = 8e25f;
    x[1] = 4.5e22f, y[1] = 1.7f;
    x[2] = 0x1.921fb6p+0f; /* f32 nearest pi/2 */
    x[3] = 0x1.2d97c8p+3f; /* near 3 pi */
    x[4] = 1e-8f;
    if (op == POW)
        x[0] = 200, y[0] = 3;
    for (int j = 0; j < NSPEC; j++) {
        x[N - NSPEC + j] = specials[j];
        y[N - NSPEC + j] = op == POW ? 2.5f : 0;
    }
}

static long double
exact(enum Op op, float xf, float yf)
{
    long double x = xf, y = yf;
    switch (op) {
    case SQRT: return sqrtl(x);
    case RSQRT: return 1 / sqrtl(x);
    case EXP: return expl(x);
    case EXP2: return exp2l(x);
    case LOG: return logl(x);
    case LOG2: return log2l(x);
    case SIN: return sinl(x);
    case COS: return cosl(x);
    case TAN: return tanl(x);
    case TANH: return tanhl(x);
    case POW: return powl(x, y);
    }
    return NAN;
}

/* ulps between got and the exact r (INFINITY for a wrong inf/NaN/zero) */
static double
ulp_err(long double r, float got)
{
    if (isnan(r))
        return isnan(got) ? 0 : INFINITY;
    if (fabsl(r) > FLT_MAX) {
        /* beyond the largest f32 by more than half an ulp: must be inf */
        if (fabsl(r) >= 0x1.ffffffp127L)
            return isinf(got) && !signbit(got) == !signbit((double)r) ? 0 : INFINITY;
        if (isinf(got))
            return 0.5; /* a rounding of r either way */
    }
    if (isinf(got) || isnan(got))
        return INFINITY;
    if (r == 0)
        return got == 0 ? 0 : fabsl((long double)got) / 0x1p-149L;
    return (double)(fabsl((long double)got - r) / e2e_ulp(r, FLT_MIN_EXP - 1, FLT_MANT_DIG));
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: math_cuda <fatbin>\n");
        return 2;
    }
    unsigned seed = (unsigned)e2e_seed_env();
    rng = seed;
    printf("seed %u (set CLAW_SEED=%u to replay)\n", seed, seed);
    claw_device *dev = e2e_open_device();
    if (!dev)
        return E2E_SKIP;
    claw_module *mod;
    E2E_CHECK(claw_module_load_file(dev, argv[1], &mod));
    claw_kernel *k;
    E2E_CHECK(claw_kernel_get(mod, "math_f32", &k));
    float *x = calloc(N, sizeof *x), *y = calloc(N, sizeof *y), *o = calloc(N, sizeof *o);
    claw_buffer *bx, *by, *bo;
    E2E_CHECK(claw_alloc(dev, N * sizeof *x, &bx));
    E2E_CHECK(claw_alloc(dev, N * sizeof *y, &by));
    E2E_CHECK(claw_alloc(dev, N * sizeof *o, &bo));
    uint64_t ax = claw_buffer_address(bx), ay = claw_buffer_address(by), ao = claw_buffer_address(bo);
    int failed = 0;
    for (size_t f = 0; f < sizeof fns / sizeof fns[0]; f++) {
        uint32_t op = fns[f].op;
        inputs((enum Op)op, x, y);
        E2E_CHECK(claw_write(bx, 0, x, N * sizeof *x));
        E2E_CHECK(claw_write(by, 0, y, N * sizeof *y));
        uint32_t n = N, grid[3] = {N / 256, 1, 1}, block[3] = {256, 1, 1};
        /* z is unused by these ops: pass y's buffer */
        E2E_CHECK(claw_launch(k, grid, block, (const void *[]){&n, &op, &ax, &ay, &ay, &ao}, 6));
        E2E_CHECK(claw_synchronize(dev));
        E2E_CHECK(claw_read(bo, 0, o, N * sizeof *o));
        double worst = 0, lim = fns[f].bound + 0.5;
        int wi = 0, bad = 0;
        for (int i = 0; i < N; i++) {
            double e = ulp_err(exact((enum Op)op, x[i], y[i]), o[i]);
            if (isnan(e))
                e = INFINITY;
            if (e > lim && bad++ < 3)
                printf("  %s(%.9g, %.9g) = %.9g, exact %.9Lg: %.3g ulp\n", fns[f].name, x[i], y[i],
                       o[i], exact((enum Op)op, x[i], y[i]), e);
            if (e > worst)
                worst = e, wi = i;
        }
        printf("%-6s worst %.3f ulp (CUDA %g)%s  at x=%.9g y=%.9g\n", fns[f].name, worst,
               fns[f].bound, bad ? "  FAIL" : "", x[wi], y[wi]);
        failed += bad > 0;
    }
    claw_free(bx);
    claw_free(by);
    claw_free(bo);
    free(x);
    free(y);
    free(o);
    claw_module_unload(mod);
    claw_shutdown();
    if (failed) {
        printf("FAILED: %d functions exceed CUDA's bound\n", failed);
        return 1;
    }
    printf("all functions within CUDA's bounds over the whole range\n");
    return 0;
}
