/* matmul host program: C = A * B for matrices of about 256 x 256 floats.
 *
 * The kernel computes a 64 x 64 tile of C per block of 16 x 16 threads,
 * so the grid is 2-D: ceil(n / 64) blocks across, ceil(m / 64) down. The
 * sizes here are deliberately not multiples of 64 (or of the 16-deep k
 * step), so the edge handling runs too.
 *
 * Tolerance: each c[r][j] is a sum of k products, which the device adds in
 * its own order and may fuse into fma. The classic bound for such a dot
 * product (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1)
 * is |error| <= k * 2^-24 * sum over t of |a[r][t] * b[t][j]|; we allow
 * k * FLT_EPSILON (= k * 2^-23) times that sum, twice the bound, which is a
 * relative 1e-5 scaled by the reduction length. The reference is computed
 * in double. A wrong element (a missed or repeated term) is off by a whole
 * product, far more.
 *
 *   sample_matmul [SEED]      (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "matmul.claw.h"

#include "../common/sample.h"

#include <float.h>

enum { M = 250, N = 260, K = 270, TILE = 64 };

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("matmul", &dev, &props);
    if (rc != 0)
        return rc;

    float *a = sample_alloc((size_t)M * K * sizeof *a);
    float *b = sample_alloc((size_t)K * N * sizeof *b);
    float *c = sample_alloc((size_t)M * N * sizeof *c);
    for (size_t i = 0; i < (size_t)M * K; i++)
        a[i] = sample_rng_f32(&rng, -1.0f, 1.0f);
    for (size_t i = 0; i < (size_t)K * N; i++)
        b[i] = sample_rng_f32(&rng, -1.0f, 1.0f);

    claw_module *mod;
    claw_kernel *matmul;
    SAMPLE_CHECK(matmul_module_load(dev, &mod));
    SAMPLE_CHECK(matmul_get(mod, &matmul));

    claw_buffer *da, *db, *dc;
    SAMPLE_CHECK(claw_alloc(dev, (size_t)M * K * sizeof(float), &da));
    SAMPLE_CHECK(claw_alloc(dev, (size_t)K * N * sizeof(float), &db));
    SAMPLE_CHECK(claw_alloc(dev, (size_t)M * N * sizeof(float), &dc));
    SAMPLE_CHECK(claw_write(da, 0, a, (size_t)M * K * sizeof(float)));
    SAMPLE_CHECK(claw_write(db, 0, b, (size_t)K * N * sizeof(float)));

    /* block_id.x picks the 64 columns of a tile, block_id.y its 64 rows. */
    const uint32_t block[3] = {16, 16, 1}; /* matmul is @workgroup(16, 16) */
    const uint32_t grid[3] = {(N + TILE - 1) / TILE, (M + TILE - 1) / TILE, 1};
    SampleTimer timer = sample_timer_start(dev);
    SAMPLE_CHECK(matmul_launch(matmul, grid, block, M, N, K, da, db, dc));
    sample_timer_stop(&timer, "matmul");
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_read(dc, 0, c, (size_t)M * N * sizeof(float)));

    double *want = sample_alloc((size_t)M * N * sizeof *want);
    double *tol = sample_alloc((size_t)M * N * sizeof *tol);
    for (size_t r = 0; r < M; r++) {
        for (size_t j = 0; j < N; j++) {
            double sum = 0.0, magnitude = 0.0;
            for (size_t t = 0; t < K; t++) {
                double p = (double)a[r * K + t] * b[t * N + j];
                sum += p;
                magnitude += fabs(p);
            }
            want[r * N + j] = sum;
            tol[r * N + j] = K * FLT_EPSILON * magnitude;
        }
    }
    size_t bad = sample_compare_f32("matmul", c, want, tol, (size_t)M * N);
    rc = sample_finish("matmul", bad, (size_t)M * N, &props);

    claw_free(da);
    claw_free(db);
    claw_free(dc);
    claw_module_unload(mod);
    free(a);
    free(b);
    free(c);
    free(want);
    free(tol);
    return rc;
}
