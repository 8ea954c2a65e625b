/* saxpy host program: y = a * x + y on the GPU, checked against C.
 *
 * The program README command 1 runs: open the best device (CLAW_DEVICE
 * picks another), load the kernel that the build embedded in this executable
 * (saxpy.claw.h, from `clawc --emit=c-header --embed`), run it, compare.
 * `a * x + y` may be fused into one fma on the device (docs/language.md §5), so
 * each element may differ from the unfused C result by one rounding: the
 * reference is the exact value in double precision and the tolerance one
 * f32 ulp of it.
 *
 *   sample_saxpy [SEED]      (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "saxpy.claw.h"

#include <float.h>
#include <math.h>

#include "../common/sample.h"

enum { N = 1 << 20, BLOCK = 256 /* fixed by @workgroup(256) */, MAX_BLOCKS = 1024 };

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("saxpy", &dev, &props);
    if (rc != 0)
        return rc;

    const float a = sample_rng_f32(&rng, -4.0f, 4.0f);
    float *x = sample_alloc(N * sizeof *x);
    float *y = sample_alloc(N * sizeof *y);
    for (size_t i = 0; i < N; i++) {
        x[i] = sample_rng_f32(&rng, -100.0f, 100.0f);
        y[i] = sample_rng_f32(&rng, -100.0f, 100.0f);
    }

    claw_module *mod;
    claw_kernel *saxpy;
    SAMPLE_CHECK(saxpy_module_load(dev, &mod));
    SAMPLE_CHECK(saxpy_get(mod, &saxpy));

    claw_buffer *dx, *dy;
    SAMPLE_CHECK(claw_alloc(dev, N * sizeof(float), &dx));
    SAMPLE_CHECK(claw_alloc(dev, N * sizeof(float), &dy));
    SAMPLE_CHECK(claw_write(dx, 0, x, N * sizeof(float)));
    SAMPLE_CHECK(claw_write(dy, 0, y, N * sizeof(float)));

    /* A grid-stride loop covers every element whatever the grid: 1024
     * blocks of 256 threads give each thread four elements here. */
    const uint32_t block[3] = {BLOCK, 1, 1};
    const uint32_t blocks = (N + BLOCK - 1) / BLOCK;
    const uint32_t grid[3] = {blocks < MAX_BLOCKS ? blocks : MAX_BLOCKS, 1, 1};
    SampleTimer timer = sample_timer_start(dev);
    SAMPLE_CHECK(saxpy_launch(saxpy, grid, block, N, a, dx, dy));
    sample_timer_stop(&timer, "saxpy");
    SAMPLE_CHECK(claw_synchronize(dev));
    float *got = sample_alloc(N * sizeof *got);
    SAMPLE_CHECK(claw_read(dy, 0, got, N * sizeof(float)));

    double *want = sample_alloc(N * sizeof *want);
    double *tol = sample_alloc(N * sizeof *tol);
    for (size_t i = 0; i < N; i++) {
        want[i] = (double)a * x[i] + y[i];
        /* fused: one rounding of the exact value; unfused: the product's
         * rounding (half an ulp of |a*x|) plus the sum's */
        tol[i] = FLT_EPSILON * (fabs((double)a * x[i]) + fabs(want[i]));
    }
    size_t bad = sample_compare_f32("saxpy", got, want, tol, N);
    rc = sample_finish("saxpy", bad, N, &props);

    claw_free(dx);
    claw_free(dy);
    claw_module_unload(mod);
    free(x);
    free(y);
    free(got);
    free(want);
    free(tol);
    return rc;
}
