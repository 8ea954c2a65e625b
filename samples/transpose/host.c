/* transpose host program: transposes a 300 x 500 float matrix.
 *
 * A 2-D launch: one block of 32 x 8 threads per 32 x 32 tile. The sizes
 * are not multiples of 32, so the edge tiles are partial. The kernel only
 * moves values, so the check is bit for bit.
 *
 *   sample_transpose [SEED]      (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "transpose.claw.h"

#include "../common/sample.h"

enum { ROWS = 300, COLS = 500, TILE = 32 };

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("transpose", &dev, &props);
    if (rc != 0)
        return rc;

    const size_t n = (size_t)ROWS * COLS;
    float *src = sample_alloc(n * sizeof *src);
    float *dst = sample_alloc(n * sizeof *dst);
    for (size_t i = 0; i < n; i++)
        src[i] = sample_rng_f32(&rng, -1000.0f, 1000.0f);

    claw_module *mod;
    claw_kernel *transpose;
    SAMPLE_CHECK(transpose_module_load(dev, &mod));
    SAMPLE_CHECK(transpose_get(mod, &transpose));

    claw_buffer *dsrc, *ddst;
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof(float), &dsrc));
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof(float), &ddst));
    SAMPLE_CHECK(claw_write(dsrc, 0, src, n * sizeof(float)));

    /* x runs along src's columns, y along its rows; each 32 x 8 block moves
     * a 32 x 32 tile, 4 rows per thread. */
    const uint32_t block[3] = {32, 8, 1}; /* transpose is @workgroup(32, 8) */
    const uint32_t grid[3] = {(COLS + TILE - 1) / TILE, (ROWS + TILE - 1) / TILE, 1};
    SampleTimer timer = sample_timer_start(dev);
    SAMPLE_CHECK(transpose_launch(transpose, grid, block, ROWS, COLS, dsrc, ddst));
    sample_timer_stop(&timer, "transpose");
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_read(ddst, 0, dst, n * sizeof(float)));

    /* dst is COLS x ROWS: dst[j][r] = src[r][j]. */
    double *want = sample_alloc(n * sizeof *want);
    for (size_t r = 0; r < ROWS; r++)
        for (size_t j = 0; j < COLS; j++)
            want[j * ROWS + r] = src[r * COLS + j];
    size_t bad = sample_compare_f32("transpose", dst, want, NULL, n);
    rc = sample_finish("transpose", bad, n, &props);

    claw_free(dsrc);
    claw_free(ddst);
    claw_module_unload(mod);
    free(src);
    free(dst);
    free(want);
    return rc;
}
