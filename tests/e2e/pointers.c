/* e2e test of pointer casts and null pointer arguments (pointers.claw) on
 * device 0 against a C reference on random inputs (seed printed; CLAW_SEED
 * replays): a *f32 buffer read as *u32 gives the IEEE bits and as *const u8
 * the bytes; a kernel passed a null pointer (address 0) tests `p == null`
 * and takes its other path, for each combination of null and non-null
 * arguments, through both the typed and the _addr launch functions.
 * Exit 0: all matched; 1: a mismatch or runtime failure; 77: no device. */
#include <claw/claw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"
#include "pointers.claw.h"

static uint64_t rng_state;

static uint32_t
rng32(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(rng_state >> 32);
}

static int failures, checks;

static void
expect(const char *what, uint32_t i, uint32_t want, uint32_t got)
{
    checks++;
    if (want == got)
        return;
    if (failures++ < 12)
        printf("%s: element %u: got 0x%08x, expected 0x%08x\n", what, i, got, want);
}

static uint32_t
fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
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
    claw_module *mod;
    E2E_CHECK(pointers_module_load(dev, &mod));
    claw_kernel *kb, *ka;
    E2E_CHECK(bits_get(mod, &kb));
    E2E_CHECK(axpb_get(mod, &ka));

    uint32_t n = 1000 + rng32() % 3000;
    float *x = malloc(n * 4), *bias = malloc(n * 4), *y = malloc(n * 4);
    uint32_t *out = malloc(n * 4), *bytes = malloc(n * 4);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t u = rng32();
        if (((u >> 23) & 0xff) == 0xff)
            u &= ~(1u << 30); /* finite: the kernel only moves bits, but keep NaN out of y */
        memcpy(&x[i], &u, 4);
        bias[i] = (float)(int32_t)(rng32() % 2001 - 1000) / 8.0f;
    }
    /* small values for axpb so that x * s + b is well away from overflow */
    float *xs = malloc(n * 4);
    for (uint32_t i = 0; i < n; i++)
        xs[i] = (float)(int32_t)(rng32() % 2001 - 1000) / 16.0f;
    float scale = (float)(rng32() % 64 + 1) / 8.0f;

    claw_buffer *bx = e2e_upload(dev, x, n * 4), *bout = e2e_upload(dev, out, n * 4);
    claw_buffer *bbytes = e2e_upload(dev, bytes, n * 4);
    uint32_t grid[3] = {(n + 127) / 128, 1, 1}, block[3] = {128, 1, 1};
    E2E_CHECK(bits_launch(kb, grid, block, n, bx, bout, bbytes));
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(bout, 0, out, n * 4));
    E2E_CHECK(claw_read(bbytes, 0, bytes, n * 4));
    for (uint32_t i = 0; i < n; i++) {
        expect("f32 read as u32", i, fbits(x[i]), out[i]);
        uint8_t b[4];
        memcpy(b, &x[i], 4);
        expect("f32 read as u8 (byte 3)", i, b[3], bytes[i]);
    }

    claw_buffer *bxs = e2e_upload(dev, xs, n * 4), *bbias = e2e_upload(dev, bias, n * 4);
    claw_buffer *bscale = e2e_upload(dev, &scale, 4), *by = e2e_upload(dev, y, n * 4);
    for (int mode = 0; mode < 4; mode++) {
        bool has_bias = mode & 1, has_scale = mode & 2;
        memset(y, 0xff, n * 4);
        E2E_CHECK(claw_write(by, 0, y, n * 4));
        if (mode == 0) /* both null, through the _addr form with literal zeros */
            E2E_CHECK(axpb_launch_addr(ka, grid, block, n, claw_buffer_address(bxs), 0, 0,
                                       claw_buffer_address(by)));
        else /* a NULL claw_buffer is the null pointer in the typed form */
            E2E_CHECK(axpb_launch(ka, grid, block, n, bxs, has_bias ? bbias : NULL,
                                  has_scale ? bscale : NULL, by));
        E2E_CHECK(claw_synchronize(dev));
        E2E_CHECK(claw_read(by, 0, y, n * 4));
        for (uint32_t i = 0; i < n; i++) {
            float v = xs[i] * (has_scale ? scale : 1.0f);
            float want = has_bias ? v + bias[i] : v; /* exact: multiples of 1/128 */
            expect(has_bias ? (has_scale ? "bias, scale" : "bias, null scale")
                            : (has_scale ? "null bias, scale" : "null bias, null scale"),
                   i, fbits(want), fbits(y[i]));
        }
    }
    claw_free(bx);
    claw_free(bout);
    claw_free(bbytes);
    claw_free(bxs);
    claw_free(bbias);
    claw_free(bscale);
    claw_free(by);
    free(x);
    free(xs);
    free(bias);
    free(y);
    free(out);
    free(bytes);
    claw_module_unload(mod);
    claw_shutdown();
    if (failures) {
        printf("pointers: FAILED: %d of %d checks differ (seed %llu)\n", failures, checks,
               (unsigned long long)seed);
        return 1;
    }
    printf("pointers: all %d checks match the C reference\n", checks);
    return 0;
}
