/* softmax host program: row-wise softmax of a 200 x 1002 float matrix.
 *
 * 1002 is not a multiple of 4: the even rows start 16-byte aligned and take
 * the kernel's vec4 path plus a two-element scalar tail, the odd rows the
 * scalar path.
 *
 * One block per row: the kernel finds the row's maximum, sums the
 * exponentials and writes the normalised values, with block-wide
 * reductions in shared memory (softmax.claw).
 *
 * Tolerance: relative 3e-5 per element. exp on the device meets the Vulkan
 * bound of 3 + 2|x| ulp (docs/language.md §7); with inputs in [-8, 8), x - max
 * lies in [-16, 0], so each exponential is within 35 ulp (4.2e-6 relative).
 * The result divides one exponential by a sum of them, each as accurate,
 * plus about a dozen float additions of rounding: under 1e-5 in all. The
 * 3x margin keeps the check meaningful: a wrong max, a missing term or a
 * race changes values by far more. The reference is computed in double.
 *
 *   sample_softmax [SEED]      (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "softmax.claw.h"

#include "../common/sample.h"

enum { ROWS = 200, COLS = 1002, BLOCK = 256 };

static const double REL_TOL = 3e-5;

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("softmax", &dev, &props);
    if (rc != 0)
        return rc;

    const size_t n = (size_t)ROWS * COLS;
    float *x = sample_alloc(n * sizeof *x);
    float *y = sample_alloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++)
        x[i] = sample_rng_f32(&rng, -8.0f, 8.0f);

    claw_module *mod;
    claw_kernel *softmax;
    SAMPLE_CHECK(softmax_module_load(dev, &mod));
    SAMPLE_CHECK(softmax_get(mod, &softmax));

    claw_buffer *dx, *dy;
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof(float), &dx));
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof(float), &dy));
    SAMPLE_CHECK(claw_write(dx, 0, x, n * sizeof(float)));

    const uint32_t block[3] = {BLOCK, 1, 1}; /* softmax is @workgroup(256) */
    const uint32_t grid[3] = {ROWS, 1, 1};   /* block b handles row b */
    SampleTimer timer = sample_timer_start(dev);
    SAMPLE_CHECK(softmax_launch(softmax, grid, block, ROWS, COLS, dx, dy));
    sample_timer_stop(&timer, "softmax");
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_read(dy, 0, y, n * sizeof(float)));

    double *want = sample_alloc(n * sizeof *want);
    double *tol = sample_alloc(n * sizeof *tol);
    for (size_t r = 0; r < ROWS; r++) {
        const float *row = &x[r * COLS];
        double max = row[0];
        for (size_t j = 1; j < COLS; j++)
            max = fmax(max, row[j]);
        double sum = 0.0;
        for (size_t j = 0; j < COLS; j++)
            sum += exp(row[j] - max);
        for (size_t j = 0; j < COLS; j++) {
            want[r * COLS + j] = exp(row[j] - max) / sum;
            tol[r * COLS + j] = REL_TOL * want[r * COLS + j];
        }
    }
    size_t bad = sample_compare_f32("softmax", y, want, tol, n);
    rc = sample_finish("softmax", bad, n, &props);

    claw_free(dx);
    claw_free(dy);
    claw_module_unload(mod);
    free(x);
    free(y);
    free(want);
    free(tol);
    return rc;
}
