/* streams.c: end-to-end test of the v0.2 runtime calls (docs/runtime.md
 * "Streams and events", "Grids", "Interop") on device 0 (lavapipe under
 * ctest; a GPU where CLAW_DEVICE names one):
 *   - device properties: max_grid, max_block, features;
 *   - a 1-D grid of 70,000 blocks (more than lavapipe's 65535 per dispatch),
 *     every global_id, block_id and grid_dim checked;
 *   - ordering across streams: a copy on stream B that waits for an event
 *     recorded after a launch on stream A reads the launch's result;
 *   - claw_write_on / claw_read_on / claw_copy_on at offsets, claw_fill_on;
 *   - event timing of a real launch (positive and bounded);
 *   - a null pointer argument;
 *   - claw_module_image, claw_device_native, claw_buffer_wrap;
 *   - bad arguments of every new call refused with a message, and a stream
 *     destroyed while its work is queued (destroy waits for it).
 * Inputs are random (seed printed; CLAW_SEED replays). With --log-only the
 * test only loads the module (ctest runs that with CLAW_LOG=1 and checks
 * the log). Exit 77 when there is no device. */
#include <claw/claw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"
#include "streams.claw.h"

static int failures;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);                                  \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, " [last error: %s]\n", claw_last_error());                             \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* A call that must fail with status `want` and a message containing `text`. */
#define EXPECT_REFUSED(call, want, text)                                                           \
    do {                                                                                           \
        claw_status got_ = (call);                                                                 \
        EXPECT(got_ == (want) && strstr(claw_last_error(), (text)) != NULL,                        \
               "%s gave %s, expected %s with \"%s\"", #call, claw_status_string(got_),             \
               claw_status_string(want), (text));                                                  \
    } while (0)

static uint64_t rng_state;

static uint32_t
rng(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(rng_state >> 33);
}

static void
test_props(claw_device *dev)
{
    claw_device_props p;
    E2E_CHECK(claw_device_props_get(dev, &p));
    EXPECT(p.max_grid[0] >= 0x7fffffffu && p.max_grid[1] >= 65535 && p.max_grid[2] >= 65535,
           "max_grid (%u, %u, %u) is below (2^31 - 1, 65535, 65535)", p.max_grid[0], p.max_grid[1],
           p.max_grid[2]);
    EXPECT(p.max_block[0] >= 1 && p.max_block[0] <= p.max_threads_per_block,
           "max_block.x = %u, max threads %u", p.max_block[0], p.max_threads_per_block);
    EXPECT((p.features & ~(CLAW_FEATURE_F16 | CLAW_FEATURE_F64 | CLAW_FEATURE_ATOMIC64 |
                           CLAW_FEATURE_ATOMIC_FLOAT)) == 0,
           "unknown feature bits 0x%" PRIx64, p.features);
    if (p.backend == CLAW_BACKEND_VULKAN && strstr(p.name, "llvmpipe"))
        EXPECT(p.features & CLAW_FEATURE_F64 && p.features & CLAW_FEATURE_ATOMIC_FLOAT,
               "lavapipe has f64 and f32 atomic add; features 0x%" PRIx64, p.features);
}

/* 70,000 blocks of 16 threads: more blocks than one Vulkan dispatch of
 * lavapipe takes, so the runtime splits the launch. */
static void
test_big_grid(claw_device *dev, claw_module *m)
{
    enum { BLOCKS = 70000, BS = 16 };
    const uint32_t n = (uint32_t)BLOCKS * BS;
    claw_kernel *k;
    E2E_CHECK(grid_ids_get(m, &k));
    claw_buffer *gid, *bid, *gdim;
    E2E_CHECK(claw_alloc(dev, (size_t)n * 4, &gid));
    E2E_CHECK(claw_alloc(dev, (size_t)n * 4, &bid));
    E2E_CHECK(claw_alloc(dev, (size_t)n * 4, &gdim));
    claw_stream *s;
    E2E_CHECK(claw_stream_create(dev, &s));
    E2E_CHECK(claw_fill_on(s, gid, 0, (size_t)n * 4, 0xffffffffu));
    E2E_CHECK(claw_fill_on(s, bid, 0, (size_t)n * 4, 0xffffffffu));
    E2E_CHECK(claw_fill_on(s, gdim, 0, (size_t)n * 4, 0));
    uint32_t grid[3] = {BLOCKS, 1, 1}, block[3] = {BS, 1, 1};
    E2E_CHECK(grid_ids_launch_on(s, k, grid, block, gid, bid, gdim, n));
    uint32_t *g = malloc((size_t)n * 4), *b = malloc((size_t)n * 4), *d = malloc((size_t)n * 4);
    if (!g || !b || !d)
        exit(1);
    E2E_CHECK(claw_read_on(s, gid, 0, g, (size_t)n * 4));
    E2E_CHECK(claw_read_on(s, bid, 0, b, (size_t)n * 4));
    E2E_CHECK(claw_read_on(s, gdim, 0, d, (size_t)n * 4));
    E2E_CHECK(claw_stream_synchronize(s));
    size_t bad = 0;
    for (uint32_t j = 0; j < n; j++)
        if (g[j] != j || b[j] != j / BS || d[j] != BLOCKS) {
            if (bad++ < 5)
                printf("grid: thread %u: global_id %u, block_id %u, grid_dim %u\n", j, g[j], b[j],
                       d[j]);
        }
    EXPECT(bad == 0, "%zu of %u threads of a %u-block grid saw the wrong ids", bad, n, BLOCKS);
    free(g);
    free(b);
    free(d);
    /* global_id.x is a u32: a grid whose ids would not fit is refused. */
    uint32_t huge[3] = {0x7fffffffu, 1, 1}, wide[3] = {64, 1, 1};
    EXPECT_REFUSED(grid_ids_launch_on(s, k, huge, wide, gid, bid, gdim, n),
                   CLAW_ERROR_LAUNCH_CONFIG, "global_id.x");
    claw_stream_destroy(s);
    claw_free(gid);
    claw_free(bid);
    claw_free(gdim);
}

/* Stream A: write x, x = x * a + b; event. Stream B: wait for the event,
 * copy part of x (at an offset) into y (at another offset), read y. */
static void
test_ordering(claw_device *dev, claw_module *m)
{
    enum { N = 4096, SRC_OFF = 64, DST_OFF = 32, COUNT = 2048 };
    claw_kernel *k;
    E2E_CHECK(affine_get(m, &k));
    float *x = malloc(N * 4), *y = malloc(N * 4);
    if (!x || !y)
        exit(1);
    for (int i = 0; i < N; i++)
        x[i] = (float)(rng() % 1000) / 8.0f;
    float a = (float)(rng() % 7 + 2), bb = (float)(rng() % 5 + 1);
    claw_buffer *bx, *by;
    E2E_CHECK(claw_alloc(dev, N * 4, &bx));
    E2E_CHECK(claw_alloc(dev, N * 4, &by));
    claw_stream *sa, *sb;
    claw_event *e;
    E2E_CHECK(claw_stream_create(dev, &sa));
    E2E_CHECK(claw_stream_create(dev, &sb));
    E2E_CHECK(claw_event_create(dev, &e));
    E2E_CHECK(claw_fill_on(sb, by, 0, N * 4, 0x7fc00001u)); /* a NaN pattern */
    E2E_CHECK(claw_write_on(sa, bx, 0, x, N * 4));
    uint32_t grid[3] = {N / 64, 1, 1}, block[3] = {64, 1, 1};
    E2E_CHECK(affine_launch_on(sa, k, grid, block, bx, N, a, bb));
    E2E_CHECK(claw_event_record(e, sa));
    E2E_CHECK(claw_stream_wait(sb, e));
    E2E_CHECK(claw_copy_on(sb, by, DST_OFF * 4, bx, SRC_OFF * 4, COUNT * 4));
    E2E_CHECK(claw_read_on(sb, by, 0, y, N * 4));
    E2E_CHECK(claw_stream_synchronize(sb));
    size_t bad = 0;
    for (int i = 0; i < N; i++) {
        bool copied = i >= DST_OFF && i < DST_OFF + COUNT;
        uint32_t bits;
        memcpy(&bits, &y[i], 4);
        if (copied ? y[i] != x[i - DST_OFF + SRC_OFF] * a + bb : bits != 0x7fc00001u)
            bad++;
    }
    EXPECT(bad == 0, "%zu of %d elements wrong after launch (A) -> event -> copy (B)", bad, N);

    /* claw_read_on at an offset, into the middle of a host array. */
    memset(y, 0, N * 4);
    E2E_CHECK(claw_read_on(NULL, bx, 100 * 4, y + 10, 50 * 4));
    E2E_CHECK(claw_synchronize(dev));
    bad = 0;
    for (int i = 0; i < N; i++)
        bad += y[i] != (i >= 10 && i < 60 ? x[i - 10 + 100] * a + bb : 0.0f);
    EXPECT(bad == 0, "%zu elements wrong after claw_read_on at an offset", bad);

    /* claw_fill_on at an offset, on the default stream. */
    E2E_CHECK(claw_fill_on(NULL, bx, 12, 40, 0xdeadbeefu));
    uint32_t *u = (uint32_t *)y;
    E2E_CHECK(claw_read(bx, 0, u, N * 4));
    bad = 0;
    for (int i = 0; i < N; i++) {
        float want = x[i] * a + bb;
        uint32_t wbits;
        memcpy(&wbits, &want, 4);
        bad += u[i] != (i >= 3 && i < 13 ? 0xdeadbeefu : wbits);
    }
    EXPECT(bad == 0, "%zu words wrong after claw_fill_on(offset 12, 40 bytes)", bad);

    /* A stream destroyed while its work is queued finishes that work. */
    claw_stream *sc;
    E2E_CHECK(claw_stream_create(dev, &sc));
    E2E_CHECK(claw_write_on(sc, bx, 0, x, N * 4));
    E2E_CHECK(affine_launch_on(sc, k, grid, block, bx, N, a, bb));
    claw_stream_destroy(sc);
    E2E_CHECK(claw_read(bx, 0, y, N * 4));
    bad = 0;
    for (int i = 0; i < N; i++)
        bad += y[i] != x[i] * a + bb;
    EXPECT(bad == 0, "%zu elements wrong: destroying a stream must wait for its work", bad);
    EXPECT_REFUSED(affine_launch_on(sc, k, grid, block, bx, N, a, bb), CLAW_ERROR_INVALID_ARGUMENT,
                   "not a live handle");
    EXPECT_REFUSED(claw_write_on(sc, bx, 0, x, 4), CLAW_ERROR_INVALID_ARGUMENT,
                   "not a live handle");
    EXPECT_REFUSED(claw_stream_synchronize(sc), CLAW_ERROR_INVALID_ARGUMENT, "not a live handle");

    claw_event_destroy(e);
    claw_stream_destroy(sa);
    claw_stream_destroy(sb);
    claw_free(bx);
    claw_free(by);
    free(x);
    free(y);
}

static void
test_timing(claw_device *dev, claw_module *m)
{
    enum { N = 1 << 16 };
    claw_kernel *k;
    E2E_CHECK(busy_get(m, &k));
    claw_buffer *b;
    E2E_CHECK(claw_alloc(dev, N * 4, &b));
    claw_stream *s;
    claw_event *e0, *e1;
    E2E_CHECK(claw_stream_create(dev, &s));
    E2E_CHECK(claw_event_create(dev, &e0));
    E2E_CHECK(claw_event_create(dev, &e1));
    E2E_CHECK(claw_fill_on(s, b, 0, N * 4, rng()));
    E2E_CHECK(claw_event_record(e0, s));
    uint32_t grid[3] = {N / 64, 1, 1}, block[3] = {64, 1, 1};
    E2E_CHECK(busy_launch_on(s, k, grid, block, b, N, 200));
    E2E_CHECK(claw_event_record(e1, s));
    double ms = -1.0;
    E2E_CHECK(claw_event_elapsed(e0, e1, &ms));
    printf("timing: %d threads x 200 steps took %.3f ms of device time\n", N, ms);
    EXPECT(ms > 0.0 && ms < 60000.0, "elapsed %.6f ms is not in (0, 60 s)", ms);
    E2E_CHECK(claw_event_synchronize(e1));

    /* bad arguments */
    claw_event *fresh;
    E2E_CHECK(claw_event_create(dev, &fresh));
    EXPECT_REFUSED(claw_event_elapsed(e0, fresh, &ms), CLAW_ERROR_INVALID_ARGUMENT,
                   "never recorded");
    EXPECT(claw_event_synchronize(fresh) == CLAW_SUCCESS, "an unrecorded event is complete");
    EXPECT(claw_stream_wait(s, fresh) == CLAW_SUCCESS, "waiting for an unrecorded event");
    EXPECT_REFUSED(claw_event_elapsed(e0, e1, NULL), CLAW_ERROR_INVALID_ARGUMENT, "ms is null");
    EXPECT_REFUSED(claw_event_elapsed(NULL, e1, &ms), CLAW_ERROR_INVALID_ARGUMENT, "start");
    EXPECT_REFUSED(claw_event_record(NULL, s), CLAW_ERROR_INVALID_ARGUMENT, "event");
    EXPECT_REFUSED(claw_stream_wait(s, NULL), CLAW_ERROR_INVALID_ARGUMENT, "event");
    EXPECT_REFUSED(claw_event_synchronize(NULL), CLAW_ERROR_INVALID_ARGUMENT, "event");
    EXPECT_REFUSED(claw_event_create(NULL, &fresh), CLAW_ERROR_INVALID_ARGUMENT, "device");
    EXPECT_REFUSED(claw_event_create(dev, NULL), CLAW_ERROR_INVALID_ARGUMENT, "out is null");
    claw_event_destroy(fresh);
    EXPECT_REFUSED(claw_event_record(fresh, s), CLAW_ERROR_INVALID_ARGUMENT, "not a live handle");
    claw_event_destroy(fresh); /* twice: ignored */
    claw_event_destroy(NULL);
    claw_event_destroy(e0);
    claw_event_destroy(e1);
    claw_stream_destroy(s);
    claw_free(b);
}

static void
test_null_pointer(claw_device *dev, claw_module *m)
{
    claw_kernel *k;
    E2E_CHECK(maybe_get(m, &k));
    claw_buffer *out, *in;
    E2E_CHECK(claw_alloc(dev, 4, &out));
    E2E_CHECK(claw_alloc(dev, 4, &in));
    uint32_t one[3] = {1, 1, 1}, v = rng() % 1000, got = 0;
    E2E_CHECK(claw_write(in, 0, &v, 4));
    E2E_CHECK(maybe_launch_addr(k, one, one, 0, claw_buffer_address(out), 0));
    E2E_CHECK(claw_read(out, 0, &got, 4));
    EXPECT(got == 7, "kernel given a null pointer wrote %u, expected 7", got);
    E2E_CHECK(maybe_launch(k, one, one, in, out, 1));
    E2E_CHECK(claw_read(out, 0, &got, 4));
    EXPECT(got == v + 1, "got %u, expected %u", got, v + 1);
    EXPECT_REFUSED(maybe_launch_addr(k, one, one, 16, claw_buffer_address(out), 0),
                   CLAW_ERROR_ARGUMENTS, "not inside a live buffer");
    claw_free(out);
    claw_free(in);
}

static void
test_interop_and_bad_args(claw_device *dev, claw_module *m)
{
    claw_device_props p;
    E2E_CHECK(claw_device_props_get(dev, &p));
    char triple[64], arch[32];
    E2E_CHECK(claw_module_image(m, triple, sizeof triple, arch, sizeof arch));
    printf("image: %s %s\n", triple, arch);
    if (p.backend == CLAW_BACKEND_VULKAN)
        EXPECT(strncmp(triple, "spirv64", 7) == 0 && strncmp(arch, "vulkan1.", 8) == 0,
               "Vulkan chose %s %s", triple, arch);
    EXPECT_REFUSED(claw_module_image(m, triple, 4, arch, sizeof arch), CLAW_ERROR_INVALID_ARGUMENT,
                   "needs");
    EXPECT_REFUSED(claw_module_image(NULL, triple, sizeof triple, arch, sizeof arch),
                   CLAW_ERROR_INVALID_ARGUMENT, "module");
    E2E_CHECK(claw_module_image(m, NULL, 0, arch, sizeof arch));
    void *native = NULL;
    E2E_CHECK(claw_device_native(dev, &native));
    if (p.backend != CLAW_BACKEND_HIP)
        EXPECT(native != NULL, "claw_device_native gave NULL");
    EXPECT_REFUSED(claw_device_native(dev, NULL), CLAW_ERROR_INVALID_ARGUMENT, "handle");
    EXPECT_REFUSED(claw_device_native(NULL, &native), CLAW_ERROR_INVALID_ARGUMENT, "device");

    claw_buffer *w = NULL, *b;
    E2E_CHECK(claw_alloc(dev, 256, &b));
    if (p.backend == CLAW_BACKEND_VULKAN) {
        EXPECT_REFUSED(claw_buffer_wrap(dev, claw_buffer_address(b), 256, &w),
                       CLAW_ERROR_INVALID_ARGUMENT, "cannot wrap");
        EXPECT(w == NULL, "a refused wrap leaves *out NULL");
    }
    EXPECT_REFUSED(claw_buffer_wrap(NULL, 4096, 256, &w), CLAW_ERROR_INVALID_ARGUMENT, "device");

    claw_stream *s;
    EXPECT_REFUSED(claw_stream_create(NULL, &s), CLAW_ERROR_INVALID_ARGUMENT, "device");
    EXPECT_REFUSED(claw_stream_create(dev, NULL), CLAW_ERROR_INVALID_ARGUMENT, "out is null");
    EXPECT_REFUSED(claw_stream_synchronize(NULL), CLAW_ERROR_INVALID_ARGUMENT, "stream");
    claw_stream_destroy(NULL);
    E2E_CHECK(claw_stream_create(dev, &s));
    char host[64] = {0};
    EXPECT_REFUSED(claw_write_on(s, NULL, 0, host, 4), CLAW_ERROR_INVALID_ARGUMENT, "buffer");
    EXPECT_REFUSED(claw_write_on(s, b, 0, NULL, 4), CLAW_ERROR_INVALID_ARGUMENT, "host pointer");
    EXPECT_REFUSED(claw_write_on(s, b, 250, host, 8), CLAW_ERROR_OUT_OF_BOUNDS, "past the end");
    EXPECT_REFUSED(claw_read_on(s, b, 0, NULL, 4), CLAW_ERROR_INVALID_ARGUMENT, "host pointer");
    EXPECT_REFUSED(claw_read_on(s, b, 256, host, 1), CLAW_ERROR_OUT_OF_BOUNDS, "past the end");
    EXPECT_REFUSED(claw_copy_on(s, b, 0, NULL, 0, 4), CLAW_ERROR_INVALID_ARGUMENT, "buffer");
    EXPECT_REFUSED(claw_copy_on(s, b, 0, b, 200, 64), CLAW_ERROR_OUT_OF_BOUNDS, "past the end");
    EXPECT_REFUSED(claw_copy_on(s, b, 0, b, 16, 64), CLAW_ERROR_INVALID_ARGUMENT, "overlap");
    EXPECT_REFUSED(claw_fill_on(s, b, 2, 8, 0), CLAW_ERROR_INVALID_ARGUMENT, "multiples of 4");
    EXPECT_REFUSED(claw_fill_on(s, b, 0, 6, 0), CLAW_ERROR_INVALID_ARGUMENT, "multiples of 4");
    EXPECT_REFUSED(claw_fill_on(s, b, 0, 260, 0), CLAW_ERROR_OUT_OF_BOUNDS, "past the end");
    EXPECT(claw_copy_on(s, b, 128, b, 0, 128) == CLAW_SUCCESS, "adjacent halves do not overlap");
    EXPECT(claw_write_on(s, b, 0, host, 0) == CLAW_SUCCESS, "zero bytes is nothing to do");
    claw_kernel *k;
    E2E_CHECK(maybe_get(m, &k));
    uint32_t one[3] = {1, 1, 1};
    EXPECT_REFUSED(claw_launch_on(s, NULL, one, one, NULL, 0), CLAW_ERROR_INVALID_ARGUMENT,
                   "kernel");
    EXPECT_REFUSED(claw_launch_on(s, k, one, one, NULL, 3), CLAW_ERROR_ARGUMENTS, "args is null");
    EXPECT_REFUSED(claw_launch_on((claw_stream *)b, k, one, one, NULL, 3),
                   CLAW_ERROR_INVALID_ARGUMENT, "stream");
    E2E_CHECK(claw_stream_synchronize(s));
    claw_stream_destroy(s);
    claw_stream_destroy(s); /* twice: ignored */
    EXPECT_REFUSED(claw_fill_on(s, b, 0, 4, 0), CLAW_ERROR_INVALID_ARGUMENT, "not a live handle");
    claw_free(b);
}

int
main(int argc, char **argv)
{
    claw_device *dev = e2e_open_device();
    if (!dev)
        return E2E_SKIP;
    claw_module *m;
    E2E_CHECK(streams_module_load(dev, &m));
    if (argc > 1 && strcmp(argv[1], "--log-only") == 0) {
        claw_module_unload(m);
        return 0;
    }
    uint64_t seed = e2e_seed_env();
    printf("seed: %" PRIu64 " (CLAW_SEED=%" PRIu64 " replays)\n", seed, seed);
    rng_state = seed;
    test_props(dev);
    test_big_grid(dev, m);
    test_ordering(dev, m);
    test_timing(dev, m);
    test_null_pointer(dev, m);
    test_interop_and_bad_args(dev, m);
    claw_module_unload(m);
    claw_shutdown();
    if (failures) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("streams, events, copies, fills and a 70,000-block grid: all checks passed\n");
    return 0;
}
