/* histogram host program: 256-bin histogram of a million random values.
 *
 * The kernel counts with atomics into shared memory, then into the global
 * histogram; it only adds, so the host zeroes the bins first. Counts are
 * integers, so the check against C is exact.
 *
 *   sample_histogram [SEED]      (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "histogram.claw.h"

#include "../common/sample.h"

enum { N = 1000000, NBINS = 256, BLOCK = 256, MAX_BLOCKS = 256 };

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("histogram", &dev, &props);
    if (rc != 0)
        return rc;

    /* Skewed data, so that some bins are hot and atomics really collide:
     * every other value falls in one of the 16 bins 0..15. */
    uint32_t *x = sample_alloc(N * sizeof *x);
    for (size_t i = 0; i < N; i++) {
        uint32_t v = sample_rng_u32(&rng);
        x[i] = i % 2 == 0 ? v : v % 16;
    }

    claw_module *mod;
    claw_kernel *histogram;
    SAMPLE_CHECK(histogram_module_load(dev, &mod));
    SAMPLE_CHECK(histogram_get(mod, &histogram));

    claw_buffer *dx, *dhist;
    uint32_t hist[NBINS] = {0};
    SAMPLE_CHECK(claw_alloc(dev, N * sizeof(uint32_t), &dx));
    SAMPLE_CHECK(claw_alloc(dev, sizeof hist, &dhist));
    SAMPLE_CHECK(claw_write(dx, 0, x, N * sizeof(uint32_t)));
    SAMPLE_CHECK(claw_write(dhist, 0, hist, sizeof hist)); /* zeroed bins */

    uint32_t g = (N + BLOCK - 1) / BLOCK;
    if (g > MAX_BLOCKS)
        g = MAX_BLOCKS;
    const uint32_t block[3] = {BLOCK, 1, 1}; /* histogram is @workgroup(256) */
    const uint32_t grid[3] = {g, 1, 1};
    SampleTimer timer = sample_timer_start(dev);
    SAMPLE_CHECK(histogram_launch(histogram, grid, block, N, dx, dhist));
    sample_timer_stop(&timer, "histogram");
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_read(dhist, 0, hist, sizeof hist));

    uint32_t want[NBINS] = {0};
    for (size_t i = 0; i < N; i++)
        want[x[i] % NBINS]++;
    size_t bad = sample_compare_u32("histogram", hist, want, NBINS);
    rc = sample_finish("histogram", bad, N, &props);

    claw_free(dx);
    claw_free(dhist);
    claw_module_unload(mod);
    free(x);
    return rc;
}
