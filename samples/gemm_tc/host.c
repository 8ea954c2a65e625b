/* gemm_tc host program: C = alpha * A * B + beta * C on matrix units, with
 * f16 inputs (gemm_tc.claw) and bf16 inputs (gemm_tc_bf16.claw), f32
 * accumulation and f32 output (docs/samples.md "gemm_tc").
 *
 * The kernel computes a 64 x 128 tile of C per block of four subgroups,
 * so the block is 4 * subgroup_size threads (the device's subgroup size, 8
 * on lavapipe, 32 on NVIDIA) and the grid ceil(n / 128) x ceil(m / 64).
 * Two runs: one whose sizes are not multiples of the tile or the 32-deep K
 * step (edges, beta = 0, where C starts as NaN and must not be read), and
 * one with alpha and beta both used.
 *
 * Inputs, drawn fresh from the seed: f16 values k / 1024 for k in
 * [-1024, 1024], bf16 values k / 128 for k in [-128, 128], exact in their
 * type. Their products are exact in f32 (11-bit significands give 22-bit
 * products, 8-bit ones 16-bit products), so the only error is the f32
 * summation in the device's own order (docs/language.md §14: unspecified;
 * tensor cores do not round each addition as IEEE does): the bound for a
 * sum of K terms (Higham §3.1) is K * 2^-24 * sum |a b|; we allow
 * (K + 2) * 2^-22 * (|alpha| * sum |a b| + |beta c|), four times that plus
 * the two roundings of the epilogue, as tests/e2e/matrix.c does. That is
 * about 2^-8 of the typical |a b| (1/4) for K = 128: a missing or repeated
 * K step, a wrong tile or a lost beta term is far outside it.
 *
 * Requirement: n and k multiples of 4 (the kernel reads 4 halves at a time
 * from 8-byte-aligned rows); gemm_tc_check_sizes says so and stops.
 *
 *   sample_gemm_tc [SEED]      (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "gemm_tc.claw.h"
#include "gemm_tc_bf16.claw.h"

#include "../common/half.h"
#include "../common/sample.h"

#include <string.h>

enum { TILE_M = 64, TILE_N = 128, SUBGROUPS = 4 };

/* bfloat16 bits of x: the high half of its f32 bits (x is exact in bf16
 * here, so no rounding is needed). */
typedef enum { ELEM_F16, ELEM_BF16 } elem_type;

/* A random input element, exact in its type, and its value. */
static uint16_t
random_elem(SampleRng *rng, elem_type t)
{
    if (t == ELEM_BF16)
        return sample_bf16_bits(((double)(sample_rng_u32(rng) % 257) - 128.0) / 128.0);
    return sample_f16_bits(((double)(sample_rng_u32(rng) % 2049) - 1024.0) / 1024.0);
}

static double
elem_value(uint16_t bits, elem_type t)
{
    return t == ELEM_BF16 ? sample_bf16_value(bits) : sample_f16_value(bits);
}

/* The documented requirement, checked before any launch. */
static int
gemm_tc_check_sizes(uint32_t m, uint32_t n, uint32_t k)
{
    if (m == 0 || n == 0 || k == 0 || n % 4 != 0 || k % 4 != 0) {
        fprintf(stderr,
                "gemm_tc: m=%u n=%u k=%u: n and k must be multiples of 4 and all three at least 1 "
                "(the kernel loads four f16 values at a time from rows aligned to 8 bytes)\n",
                m, n, k);
        return 1;
    }
    return 0;
}

static size_t
run_case(claw_device *dev, claw_kernel *kernel, elem_type et, const claw_device_props *props,
         SampleRng *rng, uint32_t m, uint32_t n, uint32_t k, float alpha, float beta)
{
    if (gemm_tc_check_sizes(m, n, k))
        exit(2);
    uint16_t *a = sample_alloc((size_t)m * k * sizeof *a);
    uint16_t *b = sample_alloc((size_t)k * n * sizeof *b);
    float *c0 = sample_alloc((size_t)m * n * sizeof *c0);
    float *c = sample_alloc((size_t)m * n * sizeof *c);
    for (size_t i = 0; i < (size_t)m * k; i++)
        a[i] = random_elem(rng, et);
    for (size_t i = 0; i < (size_t)k * n; i++)
        b[i] = random_elem(rng, et);
    for (size_t i = 0; i < (size_t)m * n; i++)
        c0[i] = beta != 0.0f ? sample_rng_f32(rng, -1.0f, 1.0f) : NAN;

    claw_buffer *da, *db, *dc;
    SAMPLE_CHECK(claw_alloc(dev, (size_t)m * k * sizeof *a, &da));
    SAMPLE_CHECK(claw_alloc(dev, (size_t)k * n * sizeof *b, &db));
    SAMPLE_CHECK(claw_alloc(dev, (size_t)m * n * sizeof *c, &dc));
    SAMPLE_CHECK(claw_write(da, 0, a, (size_t)m * k * sizeof *a));
    SAMPLE_CHECK(claw_write(db, 0, b, (size_t)k * n * sizeof *b));
    SAMPLE_CHECK(claw_write(dc, 0, c0, (size_t)m * n * sizeof *c0));

    const uint32_t block[3] = {SUBGROUPS * props->subgroup_size, 1, 1};
    const uint32_t grid[3] = {(n + TILE_N - 1) / TILE_N, (m + TILE_M - 1) / TILE_M, 1};
    char what[96];
    snprintf(what, sizeof what, "gemm_tc %s %ux%ux%u alpha %g beta %g",
             et == ELEM_BF16 ? "bf16" : "f16", m, n, k, alpha, beta);
    SampleTimer timer = sample_timer_start(dev);
    if (et == ELEM_BF16)
        SAMPLE_CHECK(gemm_tc_bf16_launch(kernel, grid, block, m, n, k, alpha, beta, da, db, dc));
    else
        SAMPLE_CHECK(gemm_tc_launch(kernel, grid, block, m, n, k, alpha, beta, da, db, dc));
    sample_timer_stop(&timer, what);
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_read(dc, 0, c, (size_t)m * n * sizeof *c));

    double *want = sample_alloc((size_t)m * n * sizeof *want);
    double *tol = sample_alloc((size_t)m * n * sizeof *tol);
    double *arow = sample_alloc((size_t)k * sizeof *arow);
    for (size_t r = 0; r < m; r++) {
        for (size_t t = 0; t < k; t++)
            arow[t] = elem_value(a[r * k + t], et);
        for (size_t j = 0; j < n; j++) {
            double sum = 0.0, mag = 0.0;
            for (size_t t = 0; t < k; t++) {
                double p = arow[t] * elem_value(b[t * n + j], et);
                sum += p;
                mag += fabs(p);
            }
            double cin = beta != 0.0f ? (double)c0[r * n + j] : 0.0;
            want[r * n + j] = alpha * sum + beta * cin;
            tol[r * n + j] =
                (k + 2.0) * ldexp(1.0, -22) * (fabs(alpha) * mag + fabs(beta * cin));
        }
    }
    size_t bad = sample_compare_f32(what, c, want, tol, (size_t)m * n);
    claw_free(da);
    claw_free(db);
    claw_free(dc);
    free(a);
    free(b);
    free(c0);
    free(c);
    free(want);
    free(tol);
    free(arow);
    return bad;
}

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("gemm_tc", &dev, &props);
    if (rc != 0)
        return rc;
    printf("matrix units: %s\n", props.matrix_units ? "yes" : "no (the portable fallback)");

    claw_module *mod;
    claw_kernel *gemm;
    SAMPLE_CHECK(gemm_tc_module_load(dev, &mod));
    SAMPLE_CHECK(gemm_tc_get(mod, &gemm));

    /* Edges in every direction (m not a multiple of 64, n not of 128, k not
     * of 32), then alpha and beta over several blocks and K steps. */
    size_t bad = run_case(dev, gemm, ELEM_F16, &props, &rng, 200, 136, 100, 1.0f, 0.0f);
    bad += run_case(dev, gemm, ELEM_F16, &props, &rng, 256, 256, 128, 0.75f, -1.5f);
    size_t total = 200 * 136 + 256 * 256;
    claw_module_unload(mod);
    SAMPLE_CHECK(gemm_tc_bf16_module_load(dev, &mod));
    SAMPLE_CHECK(gemm_tc_bf16_get(mod, &gemm));
    bad += run_case(dev, gemm, ELEM_BF16, &props, &rng, 200, 136, 100, 1.0f, 0.0f);
    bad += run_case(dev, gemm, ELEM_BF16, &props, &rng, 256, 256, 128, 0.75f, -1.5f);
    total += 200 * 136 + 256 * 256;
    claw_module_unload(mod);
    rc = sample_finish("gemm_tc", bad, total, &props);
    return rc;
}
