/* e2e test of matrix tiles (matrix.claw, docs/language.md "Matrix
 * operations") on device 0 against a C reference on fresh random inputs
 * (seed printed; CLAW_SEED replays):
 *   - mma_global: D = (C + A B) alpha + C - beta for three tiles per launch,
 *     in all 16 combinations of row- and column-major A, B, C and D, with D
 *     stored both as f32 and rounded to f16;
 *   - mma_shared: A B with A and B staged in shared memory (B transposed
 *     there) and the result stored to shared memory;
 *   - gemm64: a 128 x 128 x 128 GEMM, 64 x 64 per block, four subgroups per
 *     block with four accumulators each;
 *   - mma_bf16, mma_shared_bf16: bf16 tiles, C + A B in the 16 layouts from
 *     global memory stored as f32 and as bf16, and A B through shared
 *     memory stored there as bf16.
 * bf16 inputs are multiples of 1/128 in [-1, 1] (exact in bf16); a bf16
 * result may be off by the f32 bound plus half a bf16 ulp (one rounding to
 * nearest even).
 * A and B hold multiples of 1/1024 in [-1, 1] (exact in f16, and their
 * products exact in f32), so the only error is the f32 summation, in an
 * unspecified order (§14): each result is compared with the exact sum,
 * allowing n * 2^-22 * (sum of |terms|) for n terms, and for the f16 store
 * one f16 ulp more. Each block is one subgroup of the device's size.
 * Exit 0: all matched; 1: a mismatch or runtime failure; 77: no device. */
#include <claw/claw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"
#include "matrix.claw.h"

static uint64_t rng_state;

static uint32_t
rng_below(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)((rng_state >> 33) % n);
}

/* k / 1024 for k in [-1024, 1024]: exact in f16 */
static double
rnd_unit(void)
{
    return ((double)rng_below(2049) - 1024.0) / 1024.0;
}

static uint16_t
to_f16(double x)
{
    _Float16 h = (_Float16)x; /* exact for the values used here, RNE otherwise */
    uint16_t bits;
    memcpy(&bits, &h, 2);
    return bits;
}

static double
from_f16(uint16_t bits)
{
    _Float16 h;
    memcpy(&h, &bits, 2);
    return (double)h;
}

/* k / 128 for k in [-128, 128]: exact in bf16 */
static uint16_t
rnd_bf16(void)
{
    float f = (float)(((double)rng_below(257) - 128.0) / 128.0);
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return (uint16_t)(bits >> 16); /* exact: the low half is zero */
}

static double
from_bf16(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return (double)f;
}

/* The largest error of a bf16 result rounded once from an f32 within
 * `bound` of want: the bound plus half a bf16 ulp. */
static double
bf16_bound(double want, double bound)
{
    double m = fabs(want) + bound;
    int e = m < ldexp(1, -126) ? -126 : ilogb(m);
    return bound + ldexp(1, e - 8);
}

static int failures, checks;

static void
expect(const char *what, int mode, int tile, int r, int c, double want, double bound, double got)
{
    checks++;
    if (fabs(got - want) <= bound)
        return;
    if (failures++ < 12)
        printf("%s mode %d tile %d (%d, %d): got %.9g, expected %.9g (+- %.3g)\n", what, mode,
               tile, r, c, got, want, bound);
}

enum { T = 3 }; /* tiles per launch */

/* Element (r, c) of a 16 x 16 tile at `base` with the given stride,
 * row- or column-major. */
static size_t
at(size_t base, int r, int c, int stride, bool colmajor)
{
    return base + (size_t)(colmajor ? c * stride + r : r * stride + c);
}

static void
test_global(claw_device *dev, claw_kernel *k, uint32_t sg)
{
    uint16_t a[T * 256], b[T * 256], dh[T * 272];
    float c[T * 272], d[T * 272];
    for (int i = 0; i < T * 256; i++) {
        a[i] = to_f16(rnd_unit());
        b[i] = to_f16(rnd_unit());
    }
    for (int i = 0; i < T * 272; i++)
        c[i] = (float)((double)rng_below(1u << 20) / (1u << 19) - 1.0);
    claw_buffer *da = e2e_upload(dev, a, sizeof a), *db = e2e_upload(dev, b, sizeof b);
    claw_buffer *dc = e2e_upload(dev, c, sizeof c);
    claw_buffer *dd = e2e_upload(dev, NULL, sizeof d), *ddh = e2e_upload(dev, NULL, sizeof dh);
    for (int mode = 0; mode < 16; mode++) {
        float alpha = (float)(rng_below(9) + 1) / 4.0f, beta = (float)rng_below(5) / 8.0f;
        const uint32_t grid[3] = {T, 1, 1}, block[3] = {sg, 1, 1};
        E2E_CHECK(mma_global_launch(k, grid, block, da, db, dc, dd, ddh, (uint32_t)mode, alpha,
                                    beta));
        E2E_CHECK(claw_synchronize(dev));
        E2E_CHECK(claw_read(dd, 0, d, sizeof d));
        E2E_CHECK(claw_read(ddh, 0, dh, sizeof dh));
        for (int t = 0; t < T; t++)
            for (int r = 0; r < 16; r++)
                for (int col = 0; col < 16; col++) {
                    double cv = c[at((size_t)t * 272, r, col, 17, mode & 4)];
                    double sum = cv, mag = fabs(cv);
                    for (int kk = 0; kk < 16; kk++) {
                        double p = from_f16(a[at((size_t)t * 256, r, kk, 16, mode & 1)]) *
                                   from_f16(b[at((size_t)t * 256, kk, col, 16, mode & 2)]);
                        sum += p;
                        mag += fabs(p);
                    }
                    double want = sum * alpha + cv - beta;
                    double bound = 17 * ldexp(1, -22) * (mag * alpha + fabs(cv) + beta) + 1e-30;
                    size_t o = at((size_t)t * 272, r, col, 17, mode & 8);
                    expect("f32", mode, t, r, col, want, bound, d[o]);
                    double ulp16 = ldexp(1, (fabs(want) < ldexp(1, -14) ? -14 : ilogb(want)) - 10);
                    expect("f16", mode, t, r, col, want, bound + ulp16, from_f16(dh[o]));
                }
    }
    claw_free(da);
    claw_free(db);
    claw_free(dc);
    claw_free(dd);
    claw_free(ddh);
}

static void
test_shared(claw_device *dev, claw_kernel *k, uint32_t sg)
{
    uint16_t a[T * 256], b[T * 256];
    float d[T * 256];
    for (int i = 0; i < T * 256; i++) {
        a[i] = to_f16(rnd_unit());
        b[i] = to_f16(rnd_unit());
    }
    claw_buffer *da = e2e_upload(dev, a, sizeof a), *db = e2e_upload(dev, b, sizeof b);
    claw_buffer *dd = e2e_upload(dev, NULL, sizeof d);
    const uint32_t grid[3] = {T, 1, 1}, block[3] = {sg, 1, 1};
    E2E_CHECK(mma_shared_launch(k, grid, block, da, db, dd));
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(dd, 0, d, sizeof d));
    for (int t = 0; t < T; t++)
        for (int r = 0; r < 16; r++)
            for (int col = 0; col < 16; col++) {
                double sum = 0, mag = 0;
                for (int kk = 0; kk < 16; kk++) {
                    double p = from_f16(a[t * 256 + r * 16 + kk]) *
                               from_f16(b[t * 256 + kk * 16 + col]);
                    sum += p;
                    mag += fabs(p);
                }
                expect("shared", -1, t, r, col, sum, 16 * ldexp(1, -22) * mag,
                       d[t * 256 + r * 16 + col]);
            }
    claw_free(da);
    claw_free(db);
    claw_free(dd);
}

static void
test_gemm(claw_device *dev, claw_kernel *k, uint32_t sg)
{
    enum { N = 128 };
    uint16_t *a = malloc(sizeof *a * N * N), *b = malloc(sizeof *b * N * N);
    float *c = malloc(sizeof *c * N * N);
    for (int i = 0; i < N * N; i++) {
        a[i] = to_f16(rnd_unit());
        b[i] = to_f16(rnd_unit());
    }
    claw_buffer *da = e2e_upload(dev, a, sizeof *a * N * N);
    claw_buffer *db = e2e_upload(dev, b, sizeof *b * N * N);
    claw_buffer *dc = e2e_upload(dev, NULL, sizeof *c * N * N);
    const uint32_t grid[3] = {N / 64, N / 64, 1}, block[3] = {4 * sg, 1, 1};
    E2E_CHECK(gemm64_launch(k, grid, block, da, db, dc, N));
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(dc, 0, c, sizeof *c * N * N));
    for (int r = 0; r < N; r++)
        for (int col = 0; col < N; col++) {
            double sum = 0, mag = 0;
            for (int kk = 0; kk < N; kk++) {
                double p = from_f16(a[r * N + kk]) * from_f16(b[kk * N + col]);
                sum += p;
                mag += fabs(p);
            }
            expect("gemm64", -1, 0, r, col, sum, N * ldexp(1, -22) * mag, c[r * N + col]);
        }
    claw_free(da);
    claw_free(db);
    claw_free(dc);
    free(a);
    free(b);
    free(c);
}

static void
test_bf16_global(claw_device *dev, claw_kernel *k, uint32_t sg)
{
    uint16_t a[T * 256], b[T * 256], db[T * 272];
    float c[T * 272], d[T * 272];
    for (int i = 0; i < T * 256; i++) {
        a[i] = rnd_bf16();
        b[i] = rnd_bf16();
    }
    for (int i = 0; i < T * 272; i++)
        c[i] = (float)((double)rng_below(1u << 20) / (1u << 19) - 1.0);
    claw_buffer *da = e2e_upload(dev, a, sizeof a), *dbb = e2e_upload(dev, b, sizeof b);
    claw_buffer *dc = e2e_upload(dev, c, sizeof c);
    claw_buffer *dd = e2e_upload(dev, NULL, sizeof d), *ddb = e2e_upload(dev, NULL, sizeof db);
    for (int mode = 0; mode < 16; mode++) {
        const uint32_t grid[3] = {T, 1, 1}, block[3] = {sg, 1, 1};
        E2E_CHECK(mma_bf16_launch(k, grid, block, da, dbb, dc, dd, ddb, (uint32_t)mode));
        E2E_CHECK(claw_synchronize(dev));
        E2E_CHECK(claw_read(dd, 0, d, sizeof d));
        E2E_CHECK(claw_read(ddb, 0, db, sizeof db));
        for (int t = 0; t < T; t++)
            for (int r = 0; r < 16; r++)
                for (int col = 0; col < 16; col++) {
                    double cv = c[at((size_t)t * 272, r, col, 17, mode & 4)];
                    double sum = cv, mag = fabs(cv);
                    for (int kk = 0; kk < 16; kk++) {
                        double p = from_bf16(a[at((size_t)t * 256, r, kk, 16, mode & 1)]) *
                                   from_bf16(b[at((size_t)t * 256, kk, col, 16, mode & 2)]);
                        sum += p;
                        mag += fabs(p);
                    }
                    double bound = 17 * ldexp(1, -22) * mag + 1e-30;
                    size_t o = at((size_t)t * 272, r, col, 17, mode & 8);
                    expect("bf16 f32", mode, t, r, col, sum, bound, d[o]);
                    expect("bf16 store", mode, t, r, col, sum, bf16_bound(sum, bound),
                           from_bf16(db[o]));
                }
    }
    claw_free(da);
    claw_free(dbb);
    claw_free(dc);
    claw_free(dd);
    claw_free(ddb);
}

static void
test_bf16_shared(claw_device *dev, claw_kernel *k, uint32_t sg)
{
    uint16_t a[T * 256], b[T * 256], d[T * 256];
    for (int i = 0; i < T * 256; i++) {
        a[i] = rnd_bf16();
        b[i] = rnd_bf16();
    }
    claw_buffer *da = e2e_upload(dev, a, sizeof a), *db = e2e_upload(dev, b, sizeof b);
    claw_buffer *dd = e2e_upload(dev, NULL, sizeof d);
    const uint32_t grid[3] = {T, 1, 1}, block[3] = {sg, 1, 1};
    E2E_CHECK(mma_shared_bf16_launch(k, grid, block, da, db, dd));
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(dd, 0, d, sizeof d));
    for (int t = 0; t < T; t++)
        for (int r = 0; r < 16; r++)
            for (int col = 0; col < 16; col++) {
                double sum = 0, mag = 0;
                for (int kk = 0; kk < 16; kk++) {
                    double p = from_bf16(a[t * 256 + r * 16 + kk]) *
                               from_bf16(b[t * 256 + kk * 16 + col]);
                    sum += p;
                    mag += fabs(p);
                }
                expect("bf16 shared", -1, t, r, col, sum,
                       bf16_bound(sum, 16 * ldexp(1, -22) * mag), from_bf16(d[t * 256 + r * 16 + col]));
            }
    claw_free(da);
    claw_free(db);
    claw_free(dd);
}

int
main(void)
{
    claw_device *dev = e2e_open_device();
    if (!dev)
        return E2E_SKIP;
    uint64_t seed = e2e_seed_env();
    printf("seed %llu (CLAW_SEED=%llu replays)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    rng_state = seed;
    claw_device_props props;
    E2E_CHECK(claw_device_props_get(dev, &props));
    uint32_t sg = props.subgroup_size;
    printf("device: %s, subgroup size %u, matrix units %s\n", props.name, sg,
           props.matrix_units ? "yes" : "no");
    claw_module *mod;
    E2E_CHECK(matrix_module_load(dev, &mod));
    claw_kernel *kg, *ks, *km, *kb, *kbs;
    E2E_CHECK(mma_global_get(mod, &kg));
    E2E_CHECK(mma_shared_get(mod, &ks));
    E2E_CHECK(gemm64_get(mod, &km));
    E2E_CHECK(mma_bf16_get(mod, &kb));
    E2E_CHECK(mma_shared_bf16_get(mod, &kbs));
    test_global(dev, kg, sg);
    test_shared(dev, ks, sg);
    test_gemm(dev, km, sg);
    test_bf16_global(dev, kb, sg);
    test_bf16_shared(dev, kbs, sg);
    claw_module_unload(mod);
    claw_shutdown();
    if (failures) {
        printf("matrix: FAILED: %d of %d checks differ (seed %llu)\n", failures, checks,
               (unsigned long long)seed);
        return 1;
    }
    printf("matrix: %d checks passed\n", checks);
    return 0;
}
