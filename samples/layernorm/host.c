/* layernorm host program: layer normalisation of a 200 x 1002 float matrix.
 *
 * 1002 is not a multiple of 4: the even rows start 16-byte aligned and take
 * the kernel's vec4 path plus a two-element scalar tail, the odd rows the
 * scalar path.
 *
 * One block per row computes the row's mean and variance with block-wide
 * sums, then writes (x - mean) / sqrt(var + eps) * gamma + beta. Each row
 * gets its own random offset, so a kernel that mishandled the mean would
 * show.
 *
 * Tolerance: 1e-4 * max(1, |expected|), i.e. 1e-4 absolute for outputs of
 * order 1 (layernorm.claw's header). The device's sums are reassociated
 * (about a dozen float additions deep) and rsqrt is within 2 ulp, which
 * with these inputs (|x| < 6, unit-order spread) puts the error near 1e-5;
 * the allowance is ten times that, still far below what a wrong mean,
 * variance or column would give. The reference is computed in double.
 *
 *   sample_layernorm [SEED]      (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "layernorm.claw.h"

#include "../common/sample.h"

enum { ROWS = 200, COLS = 1002, BLOCK = 256 };

static const float EPS = 1e-5f;
static const double TOL = 1e-4;

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("layernorm", &dev, &props);
    if (rc != 0)
        return rc;

    const size_t n = (size_t)ROWS * COLS;
    float *x = sample_alloc(n * sizeof *x);
    float *y = sample_alloc(n * sizeof *y);
    float gamma[COLS], beta[COLS];
    for (size_t r = 0; r < ROWS; r++) {
        float offset = sample_rng_f32(&rng, -5.0f, 5.0f);
        for (size_t j = 0; j < COLS; j++)
            x[r * COLS + j] = offset + sample_rng_f32(&rng, -1.0f, 1.0f);
    }
    for (size_t j = 0; j < COLS; j++) {
        gamma[j] = sample_rng_f32(&rng, 0.5f, 1.5f);
        beta[j] = sample_rng_f32(&rng, -0.5f, 0.5f);
    }

    claw_module *mod;
    claw_kernel *layernorm;
    SAMPLE_CHECK(layernorm_module_load(dev, &mod));
    SAMPLE_CHECK(layernorm_get(mod, &layernorm));

    claw_buffer *dx, *dgamma, *dbeta, *dy;
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof(float), &dx));
    SAMPLE_CHECK(claw_alloc(dev, sizeof gamma, &dgamma));
    SAMPLE_CHECK(claw_alloc(dev, sizeof beta, &dbeta));
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof(float), &dy));
    SAMPLE_CHECK(claw_write(dx, 0, x, n * sizeof(float)));
    SAMPLE_CHECK(claw_write(dgamma, 0, gamma, sizeof gamma));
    SAMPLE_CHECK(claw_write(dbeta, 0, beta, sizeof beta));

    const uint32_t block[3] = {BLOCK, 1, 1}; /* layernorm is @workgroup(256) */
    const uint32_t grid[3] = {ROWS, 1, 1};   /* block b handles row b */
    SampleTimer timer = sample_timer_start(dev);
    SAMPLE_CHECK(layernorm_launch(layernorm, grid, block, ROWS, COLS, EPS, dx, dgamma, dbeta, dy));
    sample_timer_stop(&timer, "layernorm");
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_read(dy, 0, y, n * sizeof(float)));

    double *want = sample_alloc(n * sizeof *want);
    double *tol = sample_alloc(n * sizeof *tol);
    for (size_t r = 0; r < ROWS; r++) {
        const float *row = &x[r * COLS];
        double mean = 0.0, var = 0.0;
        for (size_t j = 0; j < COLS; j++)
            mean += row[j];
        mean /= COLS;
        for (size_t j = 0; j < COLS; j++)
            var += (row[j] - mean) * (row[j] - mean);
        var /= COLS; /* biased, as the kernel (and PyTorch) computes it */
        double inv_std = 1.0 / sqrt(var + EPS);
        for (size_t j = 0; j < COLS; j++) {
            double v = (row[j] - mean) * inv_std * gamma[j] + beta[j];
            want[r * COLS + j] = v;
            tol[r * COLS + j] = TOL * fmax(1.0, fabs(v));
        }
    }
    size_t bad = sample_compare_f32("layernorm", y, want, tol, n);
    rc = sample_finish("layernorm", bad, n, &props);

    claw_free(dx);
    claw_free(dgamma);
    claw_free(dbeta);
    claw_free(dy);
    claw_module_unload(mod);
    free(x);
    free(y);
    free(want);
    free(tol);
    return rc;
}
