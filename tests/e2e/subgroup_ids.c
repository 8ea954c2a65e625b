/* e2e test of subgroup_id() and num_subgroups() (subgroup_ids.claw) on
 * device 0 against a C reference: for every thread, with t its linear
 * index in the block and S the device's subgroup size (which subgroup_size()
 * must return), subgroup_id == t / S, num_subgroups == ceil(threads / S)
 * and lane_id == t % S (the subgroups cover the linear index in order,
 * docs/language.md). Block shapes are drawn at random (seed printed;
 * CLAW_SEED replays): 1-D blocks of any size, most of them ending in a
 * partial subgroup, and 2-D/3-D blocks whose x size is a multiple of S (the
 * shapes for which Vulkan drivers cut subgroups from the linear index;
 * lavapipe splits every row otherwise, docs/spirv.md), plus the kernels with
 * a fixed @workgroup(30) and @workgroup(64, 3).
 * Exit 0: all matched; 1: a mismatch or runtime failure; 77: no device. */
#include <claw/claw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "e2e_util.h"
#include "subgroup_ids.claw.h"

static uint64_t rng_state;

static uint32_t
rng_below(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)((rng_state >> 33) % n);
}

static int failures, checks;

static void
expect(const char *what, const uint32_t *grid, const uint32_t *block, uint32_t i, uint32_t want,
       uint32_t got)
{
    checks++;
    if (want == got)
        return;
    if (failures++ < 12)
        printf("%s: grid %ux%ux%u block %ux%ux%u, thread %u: got %u, expected %u\n", what, grid[0],
               grid[1], grid[2], block[0], block[1], block[2], i, got, want);
}

typedef claw_status (*Launch)(claw_kernel *, const uint32_t[3], const uint32_t[3], claw_buffer *);

/* Launches k with the shape and checks every thread. */
static void
check(claw_device *dev, claw_kernel *k, Launch launch, const uint32_t grid[3],
      const uint32_t block[3], uint32_t sg)
{
    uint32_t threads = block[0] * block[1] * block[2];
    uint32_t n = threads * grid[0] * grid[1] * grid[2];
    uint32_t *out = malloc((size_t)n * 16);
    for (uint32_t i = 0; i < 4 * n; i++)
        out[i] = 0xdeadbeefu;
    claw_buffer *d = e2e_upload(dev, out, (size_t)n * 16);
    E2E_CHECK(launch(k, grid, block, d));
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(d, 0, out, (size_t)n * 16));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = i % threads;
        expect("subgroup_id", grid, block, i, t / sg, out[4 * i]);
        expect("num_subgroups", grid, block, i, (threads + sg - 1) / sg, out[4 * i + 1]);
        expect("lane_id", grid, block, i, t % sg, out[4 * i + 2]);
        expect("subgroup_size", grid, block, i, sg, out[4 * i + 3]);
    }
    claw_free(d);
    free(out);
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
    if (sg == 0) {
        printf("subgroup_ids: FAILED: the device reports subgroup size 0\n");
        return 1;
    }
    claw_module *mod;
    E2E_CHECK(subgroup_ids_module_load(dev, &mod));
    claw_kernel *k, *kf, *kf2;
    E2E_CHECK(ids_get(mod, &k));
    E2E_CHECK(ids_fixed_get(mod, &kf));
    E2E_CHECK(ids_fixed_2d_get(mod, &kf2));

    /* whole subgroups, one thread, then random shapes of up to 256 threads */
    const uint32_t g1[3] = {2, 1, 1}, g2[3] = {2, 2, 1};
    const uint32_t whole[3] = {4 * sg, 1, 1}, one[3] = {1, 1, 1};
    check(dev, k, ids_launch, g1, whole, sg);
    check(dev, k, ids_launch, g1, one, sg);
    for (int r = 0; r < 12; r++) {
        uint32_t block[3] = {1 + rng_below(256), 1, 1};
        if (r % 3 && sg <= 64) {
            block[0] = sg * (1 + rng_below(sg >= 32 ? 2 : 4));
            block[1] = 1 + rng_below(4);
            if (r % 3 == 2)
                block[2] = 1 + rng_below(3);
        }
        check(dev, k, ids_launch, r % 2 ? g2 : g1, block, sg);
    }
    const uint32_t fixed[3] = {30, 1, 1}, fixed2[3] = {64, 3, 1};
    check(dev, kf, ids_fixed_launch, g2, fixed, sg);
    check(dev, kf2, ids_fixed_2d_launch, g1, fixed2, sg);

    claw_module_unload(mod);
    claw_shutdown();
    if (failures) {
        printf("subgroup_ids: FAILED: %d of %d checks differ (seed %llu)\n", failures, checks,
               (unsigned long long)seed);
        return 1;
    }
    printf("subgroup_ids: all %d checks match the C reference\n", checks);
    return 0;
}
