/* stencil2d host program: one 5-point Jacobi step on a 400 x 300 grid.
 *
 * Shows a struct passed by value: the kernel's Weights parameter is the C
 * struct that stencil2d.claw.h defines, with static assertions that its
 * layout matches the kernel's byte for byte.
 *
 * Tolerance: |error| <= 4 * FLT_EPSILON * (|center * p| + |neighbor| *
 * (|left| + |right| + |up| + |down|)). The device rounds at most five times
 * along the way (three additions of neighbours, a product, a final
 * multiply-add, which may be fused), each off by at most 2^-24 of the
 * magnitudes involved; 4 * FLT_EPSILON = 8 * 2^-24 covers that with room.
 * The reference is computed in double.
 *
 *   sample_stencil2d [SEED]      (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "stencil2d.claw.h"

#include "../common/sample.h"

#include <float.h>

enum { WIDTH = 400, HEIGHT = 300, TILE = 16 };

/* src(x, y) with the coordinates clamped to the grid: a border point uses
 * its own value for a missing neighbour, as the kernel does. */
static double
at(const float *src, long x, long y)
{
    x = x < 0 ? 0 : x >= WIDTH ? WIDTH - 1 : x;
    y = y < 0 ? 0 : y >= HEIGHT ? HEIGHT - 1 : y;
    return src[y * WIDTH + x];
}

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("stencil2d", &dev, &props);
    if (rc != 0)
        return rc;

    const size_t n = (size_t)WIDTH * HEIGHT;
    float *src = sample_alloc(n * sizeof *src);
    float *dst = sample_alloc(n * sizeof *dst);
    for (size_t i = 0; i < n; i++)
        src[i] = sample_rng_f32(&rng, 0.0f, 100.0f);
    /* A diffusion step: the weights sum to 1. */
    const Weights w = {.center = 0.5f, .neighbor = 0.125f};

    claw_module *mod;
    claw_kernel *stencil2d;
    SAMPLE_CHECK(stencil2d_module_load(dev, &mod));
    SAMPLE_CHECK(stencil2d_get(mod, &stencil2d));

    claw_buffer *dsrc, *ddst;
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof(float), &dsrc));
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof(float), &ddst));
    SAMPLE_CHECK(claw_write(dsrc, 0, src, n * sizeof(float)));

    /* One thread per point, 16 x 16 points per block. */
    const uint32_t block[3] = {TILE, TILE, 1}; /* stencil2d is @workgroup(16, 16) */
    const uint32_t grid[3] = {(WIDTH + TILE - 1) / TILE, (HEIGHT + TILE - 1) / TILE, 1};
    SampleTimer timer = sample_timer_start(dev);
    SAMPLE_CHECK(stencil2d_launch(stencil2d, grid, block, WIDTH, HEIGHT, w, dsrc, ddst));
    sample_timer_stop(&timer, "stencil2d");
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_read(ddst, 0, dst, n * sizeof(float)));

    double *want = sample_alloc(n * sizeof *want);
    double *tol = sample_alloc(n * sizeof *tol);
    for (long y = 0; y < HEIGHT; y++) {
        for (long x = 0; x < WIDTH; x++) {
            double p = at(src, x, y);
            double l = at(src, x - 1, y), r = at(src, x + 1, y);
            double u = at(src, x, y - 1), d = at(src, x, y + 1);
            want[y * WIDTH + x] = w.center * p + w.neighbor * (l + r + u + d);
            tol[y * WIDTH + x] =
                4 * FLT_EPSILON *
                (fabs(w.center * p) + fabs(w.neighbor) * (fabs(l) + fabs(r) + fabs(u) + fabs(d)));
        }
    }
    size_t bad = sample_compare_f32("stencil2d", dst, want, tol, n);
    rc = sample_finish("stencil2d", bad, n, &props);

    claw_free(dsrc);
    claw_free(ddst);
    claw_module_unload(mod);
    free(src);
    free(dst);
    free(want);
    free(tol);
    return rc;
}
