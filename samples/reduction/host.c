/* reduction host program: the sum of a million floats, entirely on the GPU.
 *
 * reduce_sum leaves one partial sum per block; launching it a second time
 * on those partials, with a single block, finishes the sum on the device
 * (the two-pass pattern of reduction.claw's header). Both the partials and
 * the total are checked against a C reference computed in double.
 * N = 1000003 is not a multiple of 4: the kernel reads 250000 vec4s and
 * then the last 3 elements one at a time; the second pass (1024 partials)
 * is all vec4s.
 *
 * Tolerance: the device adds in a different order than C (a grid-stride
 * loop, a shared-memory tree, subgroup_sum), so results differ by rounding.
 * Each result passes through at most ~30 float additions in a chain (a few
 * per thread, 8 tree levels, then the same again in the second pass), so
 * its error is below 30 * 2^-24 * sum |x| (the classic bound for summation,
 * Higham, "Accuracy and Stability of Numerical Algorithms", §4.2). We allow
 * 1e-5 * sum |x|, about three times that: a real bug (a lost or doubled
 * element) is off by at least one |x[i]|, far more.
 *
 *   sample_reduction [SEED]      (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "reduction.claw.h"

#include "../common/sample.h"

enum { N = 1000003, BLOCK = 256, MAX_BLOCKS = 1024 };

static const double REL_TOL = 1e-5;

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("reduction", &dev, &props);
    if (rc != 0)
        return rc;

    float *x = sample_alloc(N * sizeof *x);
    for (size_t i = 0; i < N; i++)
        x[i] = sample_rng_f32(&rng, -1.0f, 1.0f);

    claw_module *mod;
    claw_kernel *reduce_sum;
    SAMPLE_CHECK(reduction_module_load(dev, &mod));
    SAMPLE_CHECK(reduce_sum_get(mod, &reduce_sum));

    /* Enough blocks to fill a GPU; the grid-stride loop covers the rest. */
    uint32_t g = (N + BLOCK - 1) / BLOCK;
    if (g > MAX_BLOCKS)
        g = MAX_BLOCKS;

    claw_buffer *dx, *dpartials, *dtotal;
    SAMPLE_CHECK(claw_alloc(dev, N * sizeof(float), &dx));
    SAMPLE_CHECK(claw_alloc(dev, g * sizeof(float), &dpartials));
    SAMPLE_CHECK(claw_alloc(dev, sizeof(float), &dtotal));
    SAMPLE_CHECK(claw_write(dx, 0, x, N * sizeof(float)));

    /* Pass 1: g blocks, one partial each. Pass 2: one block sums the g
     * partials. Launches on a device run in order, so pass 2 sees pass 1's
     * results without a wait in between. */
    const uint32_t block[3] = {BLOCK, 1, 1}; /* reduce_sum is @workgroup(256) */
    const uint32_t grid1[3] = {g, 1, 1};
    const uint32_t grid2[3] = {1, 1, 1};
    SampleTimer timer = sample_timer_start(dev);
    SAMPLE_CHECK(reduce_sum_launch(reduce_sum, grid1, block, N, dx, dpartials));
    SAMPLE_CHECK(reduce_sum_launch(reduce_sum, grid2, block, g, dpartials, dtotal));
    sample_timer_stop(&timer, "reduction");
    SAMPLE_CHECK(claw_synchronize(dev));

    float *partials = sample_alloc(g * sizeof *partials);
    float total;
    SAMPLE_CHECK(claw_read(dpartials, 0, partials, g * sizeof(float)));
    SAMPLE_CHECK(claw_read(dtotal, 0, &total, sizeof total));

    /* C reference: x is 16-byte aligned (a runtime buffer), so block b's
     * threads visit the vec4s v with (v / 256) % g == b, i.e. the elements
     * i < 4 * (N / 4) with (i / 4 / 256) % g == b; the last N % 4 elements
     * are added by threads 0..N % 4 - 1, which are in block 0. */
    double *want = sample_alloc((g + 1) * sizeof *want);
    double *tol = sample_alloc((g + 1) * sizeof *tol);
    for (uint32_t b = 0; b <= g; b++)
        want[b] = tol[b] = 0.0;
    for (size_t i = 0; i < N; i++) {
        size_t n4 = 4 * (N / 4);
        size_t b = i < n4 ? i / 4 / BLOCK % g : 0;
        want[b] += x[i];
        tol[b] += fabs(x[i]);
        want[g] += x[i];
        tol[g] += fabs(x[i]);
    }
    for (uint32_t b = 0; b <= g; b++)
        tol[b] *= REL_TOL;

    size_t bad = sample_compare_f32("reduction (partials)", partials, want, tol, g);
    bad += sample_compare_f32("reduction (total)", &total, &want[g], &tol[g], 1);
    printf("sum of %d values: %.7g on the device, %.7g in C\n", N, (double)total, want[g]);
    rc = sample_finish("reduction", bad, N, &props);

    claw_free(dx);
    claw_free(dpartials);
    claw_free(dtotal);
    claw_module_unload(mod);
    free(x);
    free(partials);
    free(want);
    free(tol);
    return rc;
}
