/* scan host program: inclusive prefix sum of 60,000 u32 values across blocks.
 *
 * Blocks cannot wait for each other inside one launch (docs/language.md §6), so
 * a scan longer than one block takes three launches (scan.claw's header):
 * scan each block and keep its total, scan the totals, add to each block
 * the total of the blocks before it. Sums wrap modulo 2^32 exactly as C's
 * unsigned arithmetic does, so the check is exact.
 *
 *   sample_scan [SEED]      (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "scan.claw.h"

#include "../common/sample.h"

/* Not a multiple of 256, so the last block is partly empty. The kernels
 * handle up to 256 * 256 = 65536 values. */
enum { N = 60000, BLOCK = 256 };

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("scan", &dev, &props);
    if (rc != 0)
        return rc;

    /* Full 32-bit values: the running sum wraps many times. */
    uint32_t *x = sample_alloc(N * sizeof *x);
    for (size_t i = 0; i < N; i++)
        x[i] = sample_rng_u32(&rng);

    claw_module *mod;
    claw_kernel *scan_blocks, *add_offsets;
    SAMPLE_CHECK(scan_module_load(dev, &mod));
    SAMPLE_CHECK(scan_blocks_get(mod, &scan_blocks));
    SAMPLE_CHECK(add_offsets_get(mod, &add_offsets));

    const uint32_t g = (N + BLOCK - 1) / BLOCK; /* blocks in launches 1 and 3 */
    claw_buffer *dx, *dy, *dsums, *dscanned, *dtotal;
    SAMPLE_CHECK(claw_alloc(dev, N * sizeof(uint32_t), &dx));
    SAMPLE_CHECK(claw_alloc(dev, N * sizeof(uint32_t), &dy));
    SAMPLE_CHECK(claw_alloc(dev, g * sizeof(uint32_t), &dsums));
    SAMPLE_CHECK(claw_alloc(dev, g * sizeof(uint32_t), &dscanned));
    SAMPLE_CHECK(claw_alloc(dev, sizeof(uint32_t), &dtotal));
    SAMPLE_CHECK(claw_write(dx, 0, x, N * sizeof(uint32_t)));

    const uint32_t block[3] = {BLOCK, 1, 1}; /* both kernels are @workgroup(256) */
    const uint32_t grid[3] = {g, 1, 1};
    const uint32_t one_block[3] = {1, 1, 1};
    /* 1. Scan each block of 256 into y; block b's total goes to sums[b]. */
    SampleTimer timer = sample_timer_start(dev);
    SAMPLE_CHECK(scan_blocks_launch(scan_blocks, grid, block, N, dx, dy, dsums));
    /* 2. Scan the g block totals with a single block (its own total is not needed). */
    SAMPLE_CHECK(scan_blocks_launch(scan_blocks, one_block, block, g, dsums, dscanned, dtotal));
    /* 3. Block b adds the total of blocks 0..b-1. */
    SAMPLE_CHECK(add_offsets_launch(add_offsets, grid, block, N, dy, dscanned));
    sample_timer_stop(&timer, "scan");
    SAMPLE_CHECK(claw_synchronize(dev));

    uint32_t *y = sample_alloc(N * sizeof *y);
    SAMPLE_CHECK(claw_read(dy, 0, y, N * sizeof(uint32_t)));

    uint32_t *want = sample_alloc(N * sizeof *want);
    uint32_t running = 0;
    for (size_t i = 0; i < N; i++) {
        running += x[i];
        want[i] = running;
    }
    size_t bad = sample_compare_u32("scan", y, want, N);
    rc = sample_finish("scan", bad, N, &props);

    claw_free(dx);
    claw_free(dy);
    claw_free(dsums);
    claw_free(dscanned);
    claw_free(dtotal);
    claw_module_unload(mod);
    free(x);
    free(y);
    free(want);
    return rc;
}
