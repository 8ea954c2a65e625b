/* e2e test of the v0.2 subgroup builtins (subgroup_ops.claw) on device 0
 * against a C reference: shuffle_up, shuffle_down, broadcast, shuffle with
 * a lane past the subgroup size, subgroup_prefix_sum (f32, u32, i32),
 * subgroup_any, subgroup_all, and the f16 and bf16 shuffles. 1-D blocks of random
 * size (seed printed; CLAW_SEED replays), so that the last subgroup of a
 * block is usually partial: subgroups are cut from the linear thread index
 * (docs/language.md §13) and a partial one has fewer lanes, past which
 * shuffle_down gives the thread's own value. broadcast and shuffle of a
 * lane that no thread occupies are unspecified and not checked. Inputs:
 * floats that are multiples of 1/256 below 16 in magnitude, so every
 * prefix sum is exact in any order and compared bit for bit.
 * Exit 0: all matched; 1: a mismatch or runtime failure; 77: no device. */
#include <claw/claw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"
#include "subgroup_ops.claw.h"

static uint64_t rng_state;

static uint32_t
rng_below(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)((rng_state >> 33) % n);
}

static int failures, checks;

static void
expect(const char *what, uint32_t block, uint32_t d, uint32_t lane, uint32_t i, uint32_t want,
       uint32_t got)
{
    checks++;
    if (want == got)
        return;
    if (failures++ < 16)
        printf("%s: block %u d %u lane %u, thread %u: got 0x%x, expected 0x%x\n", what, block, d,
               lane, i, got, want);
}

static uint32_t
fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static void
run(claw_device *dev, claw_kernel *k, uint32_t sg, uint32_t block, uint32_t nblocks, uint32_t d,
    uint32_t lane)
{
    uint32_t n = block * nblocks;
    float *xf = malloc(n * sizeof *xf), *of = calloc((size_t)n * 5, sizeof *of);
    int32_t *xi = malloc(n * sizeof *xi);
    uint32_t *xu = malloc(n * sizeof *xu), *ou = calloc((size_t)n * 8, sizeof *ou);
    uint16_t *xh = malloc(n * sizeof *xh), *oh = calloc((size_t)n * 6, sizeof *oh);
    for (uint32_t i = 0; i < n; i++) {
        xf[i] = ((float)rng_below(8192) - 4096.0f) / 256.0f;
        xi[i] = (int32_t)(rng_below(1u << 31) * 2u - (1u << 30)); /* wraps in the sums */
        xu[i] = rng_below(16);
        /* finite halves: any sign and fraction, exponent below 31 */
        xh[i] = (uint16_t)((rng_below(2) << 15) | (rng_below(31) << 10) | rng_below(1024));
    }
    claw_buffer *bxf = e2e_upload(dev, xf, n * 4), *bxi = e2e_upload(dev, xi, n * 4);
    claw_buffer *bxu = e2e_upload(dev, xu, n * 4), *bxh = e2e_upload(dev, xh, n * 2);
    claw_buffer *bof = e2e_upload(dev, of, (size_t)n * 20),
                *bou = e2e_upload(dev, ou, (size_t)n * 32);
    claw_buffer *boh = e2e_upload(dev, oh, (size_t)n * 12);
    const uint32_t grid[3] = {nblocks, 1, 1}, blk[3] = {block, 1, 1};
    E2E_CHECK(sg_ops_launch(k, grid, blk, bxf, bxi, bxu, bxh, d, lane, bof, bou, boh));
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(bof, 0, of, (size_t)n * 20));
    E2E_CHECK(claw_read(bou, 0, ou, (size_t)n * 32));
    E2E_CHECK(claw_read(boh, 0, oh, (size_t)n * 12));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = i % block, l = t % sg, base = i - l;
        uint32_t count = block - (t - l) < sg ? block - (t - l) : sg; /* lanes of this subgroup */
        bool up = d <= l, down = d < count - l;
        uint32_t bl = lane % sg, sl = (l + lane) % sg;
        expect("shuffle_up f32", block, d, lane, i, fbits(xf[up ? i - d : i]), fbits(of[5 * i]));
        expect("shuffle_down f32", block, d, lane, i, fbits(xf[down ? i + d : i]),
               fbits(of[5 * i + 1]));
        if (bl < count)
            expect("broadcast f32", block, d, lane, i, fbits(xf[base + bl]), fbits(of[5 * i + 2]));
        if (sl < count)
            expect("shuffle f32 (lane mod size)", block, d, lane, i, fbits(xf[base + sl]),
                   fbits(of[5 * i + 4]));
        float pf = 0.0f;
        uint32_t pu = 0, pi = 0;
        bool any3 = false, any100 = false, all15 = true, all16 = true;
        for (uint32_t m = 0; m < count; m++) {
            uint32_t v = xu[base + m];
            if (m < l) {
                pf += xf[base + m];
                pu += v;
                pi += (uint32_t)xi[base + m];
            }
            any3 |= v == 3;
            any100 |= v > 100;
            all15 &= v < 15;
            all16 &= v < 16;
        }
        expect("subgroup_prefix_sum f32", block, d, lane, i, fbits(pf), fbits(of[5 * i + 3]));
        expect("shuffle_up u32", block, d, lane, i, xu[up ? i - d : i], ou[8 * i]);
        expect("shuffle_down u32", block, d, lane, i, xu[down ? i + d : i], ou[8 * i + 1]);
        if (bl < count)
            expect("broadcast u32", block, d, lane, i, xu[base + bl], ou[8 * i + 2]);
        expect("subgroup_prefix_sum u32", block, d, lane, i, pu, ou[8 * i + 3]);
        expect("subgroup_prefix_sum i32", block, d, lane, i, pi, ou[8 * i + 4]);
        expect("shuffle_down i32 by 1", block, d, lane, i, (uint32_t)xi[1 < count - l ? i + 1 : i],
               ou[8 * i + 5]);
        expect("subgroup_any", block, d, lane, i, (any3 ? 1u : 0u) + (any100 ? 2u : 0u),
               ou[8 * i + 6]);
        expect("subgroup_all", block, d, lane, i, (all15 ? 1u : 0u) + (all16 ? 2u : 0u),
               ou[8 * i + 7]);
        expect("shuffle_up f16", block, d, lane, i, xh[up ? i - d : i], oh[6 * i]);
        expect("shuffle_down f16", block, d, lane, i, xh[down ? i + d : i], oh[6 * i + 1]);
        if (bl < count)
            expect("broadcast f16", block, d, lane, i, xh[base + bl], oh[6 * i + 2]);
        if ((l ^ 1) < count)
            expect("shuffle_xor f16", block, d, lane, i, xh[base + (l ^ 1)], oh[6 * i + 3]);
        expect("shuffle_up bf16", block, d, lane, i, fbits(xf[up ? i - d : i]) >> 16, oh[6 * i + 4]);
        if (bl < count)
            expect("broadcast bf16", block, d, lane, i, fbits(xf[base + bl]) >> 16, oh[6 * i + 5]);
    }
    claw_free(bxf);
    claw_free(bxi);
    claw_free(bxu);
    claw_free(bxh);
    claw_free(bof);
    claw_free(bou);
    claw_free(boh);
    free(xf);
    free(xi);
    free(xu);
    free(xh);
    free(of);
    free(ou);
    free(oh);
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
    claw_device_props props;
    E2E_CHECK(claw_device_props_get(dev, &props));
    uint32_t sg = props.subgroup_size;
    printf("device: %s, subgroup size %u\n", props.name, sg);
    if (sg == 0 || (sg & (sg - 1))) {
        printf("subgroup_ops: FAILED: the device reports subgroup size %u\n", sg);
        return 1;
    }
    claw_module *mod;
    E2E_CHECK(subgroup_ops_module_load(dev, &mod));
    claw_kernel *k;
    E2E_CHECK(sg_ops_get(mod, &k));
    /* whole subgroups with the edge distances, then random shapes */
    run(dev, k, sg, 4 * sg, 2, 0, 0);
    run(dev, k, sg, 4 * sg, 2, sg, sg + 1);
    run(dev, k, sg, 4 * sg, 1, sg - 1, 3 * sg - 1);
    for (int r = 0; r < 10; r++) {
        uint32_t block = 1 + rng_below(256);
        if (block % sg == 0)
            block++;
        run(dev, k, sg, block, 1 + rng_below(3), rng_below(sg + 3), rng_below(3 * sg));
    }
    claw_module_unload(mod);
    claw_shutdown();
    if (failures) {
        printf("subgroup_ops: FAILED: %d of %d checks differ (seed %llu)\n", failures, checks,
               (unsigned long long)seed);
        return 1;
    }
    printf("subgroup_ops: all %d checks match the C reference\n", checks);
    return 0;
}
