/* e2e_fake_streams.c: the v0.2 calls (docs/runtime.md "Streams and events",
 * "Interop", "Grids") through runtime/cuda.c and runtime/hip.c against the
 * stand-in drivers of tests/e2e/fake/, which compute saxpy on the host from
 * exactly the bytes and handles the runtime passes them:
 *   - ordering across streams: launch on A, event, B waits, copy at offsets
 *     on B, read on B;
 *   - claw_fill_on, claw_write_on/claw_read_on at offsets, default stream;
 *   - event timing of a launch (positive, bounded);
 *   - a 1-D grid of 70,000 blocks, every element checked;
 *   - claw_buffer_wrap of memory the runtime did not allocate (the fakes'
 *     device memory is host memory), and claw_free leaving it alone;
 *   - claw_device_native, claw_module_image, device properties;
 *   - bad arguments: null handles, an event of the other device, a stream
 *     destroyed with work queued. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/claw.h"
#include "fake_fatbin.h"

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

#define OK(call) EXPECT((call) == CLAW_SUCCESS, "%s", #call)

#define EXPECT_REFUSED(call, want, text)                                                           \
    do {                                                                                           \
        claw_status got_ = (call);                                                                 \
        EXPECT(got_ == (want) && strstr(claw_last_error(), (text)) != NULL,                        \
               "%s gave %s, expected %s with \"%s\"", #call, claw_status_string(got_),             \
               claw_status_string(want), (text));                                                  \
    } while (0)

static uint32_t rng_state = 12345;

static uint32_t
rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static claw_status
saxpy_on(claw_stream *s, claw_kernel *k, uint32_t blocks, uint32_t threads, uint32_t n, float a,
         uint64_t x, uint64_t y)
{
    const void *args[] = {&n, &a, &x, &y};
    uint32_t grid[3] = {blocks, 1, 1}, block[3] = {threads, 1, 1};
    return claw_launch_on(s, k, grid, block, args, 4);
}

/* Device memory that another library allocated: the fakes, like the real
 * drivers, only accept pointers into their own allocations, so the "foreign"
 * buffer comes from the driver itself (cuMemAlloc_v2 in the device's
 * context, hipMalloc on its device); the fakes' device memory is host
 * memory, so the test reads and writes it directly. */
typedef int (*CuAlloc)(uint64_t *, size_t);
typedef int (*CuFree)(uint64_t);
typedef int (*CuPush)(void *);
typedef int (*CuPop)(void **);
typedef int (*HipAlloc)(void **, size_t);
typedef int (*HipFree)(void *);

static void *
driver_sym(bool cuda, const char *name)
{
    void *lib = dlopen(cuda ? "libcuda.so.1" : "libamdhip64.so.6", RTLD_NOW | RTLD_NOLOAD);
    void *f = lib ? dlsym(lib, name) : NULL;
    if (!f) {
        fprintf(stderr, "the fake driver has no %s\n", name);
        exit(1);
    }
    return f;
}

static float *
foreign_alloc(claw_device *dev, bool cuda, size_t bytes)
{
    if (cuda) {
        void *ctx = NULL, *popped;
        uint64_t p = 0;
        if (claw_device_native(dev, &ctx) != CLAW_SUCCESS ||
            ((CuPush)driver_sym(true, "cuCtxPushCurrent_v2"))(ctx) != 0)
            return NULL;
        int r = ((CuAlloc)driver_sym(true, "cuMemAlloc_v2"))(&p, bytes);
        ((CuPop)driver_sym(true, "cuCtxPopCurrent_v2"))(&popped);
        return r == 0 ? (float *)(uintptr_t)p : NULL;
    }
    void *p = NULL;
    return ((HipAlloc)driver_sym(false, "hipMalloc"))(&p, bytes) == 0 ? p : NULL;
}

static void
foreign_free(claw_device *dev, bool cuda, float *p)
{
    if (cuda) {
        void *ctx = NULL, *popped;
        if (claw_device_native(dev, &ctx) != CLAW_SUCCESS ||
            ((CuPush)driver_sym(true, "cuCtxPushCurrent_v2"))(ctx) != 0)
            return;
        ((CuFree)driver_sym(true, "cuMemFree_v2"))((uint64_t)(uintptr_t)p);
        ((CuPop)driver_sym(true, "cuCtxPopCurrent_v2"))(&popped);
        return;
    }
    ((HipFree)driver_sym(false, "hipFree"))(p);
}

static void
run_device(claw_device *dev, claw_device *other, const char *name)
{
    printf("%s\n", name);
    size_t size;
    void *fb = fake_fatbin(&size);
    claw_module *m;
    OK(claw_module_load(dev, fb, size, &m));
    free(fb);
    if (!m)
        return;
    claw_kernel *k;
    OK(claw_kernel_get(m, "saxpy", &k));
    claw_device_props p;
    OK(claw_device_props_get(dev, &p));
    EXPECT(p.max_grid[0] >= 0x7fffffffu && p.max_grid[1] >= 65535 && p.max_grid[2] >= 65535,
           "%s max_grid (%u, %u, %u)", name, p.max_grid[0], p.max_grid[1], p.max_grid[2]);
    EXPECT(p.max_block[0] == 1024, "%s max_block.x %u", name, p.max_block[0]);
    EXPECT(p.features & CLAW_FEATURE_F64 && p.features & CLAW_FEATURE_F16 &&
               p.features & CLAW_FEATURE_ATOMIC64 && p.features & CLAW_FEATURE_ATOMIC_FLOAT,
           "%s features 0x%llx", name, (unsigned long long)p.features);
    EXPECT(p.matrix_units != 0, "%s (%s) has matrix units", name, p.arch);
    char triple[64], arch[16];
    OK(claw_module_image(m, triple, sizeof triple, arch, sizeof arch));
    EXPECT(strcmp(arch, p.backend == CLAW_BACKEND_CUDA ? "sm_80" : "gfx942") == 0, "%s chose %s %s",
           name, triple, arch);
    void *native = (void *)1;
    OK(claw_device_native(dev, &native));
    if (p.backend == CLAW_BACKEND_CUDA)
        EXPECT(native != NULL, "a CUcontext");
    else
        EXPECT(native == NULL, "hipDevice_t 0 as a pointer-sized value");

    /* Ordering and copies at offsets. */
    enum { N = 2000, OFF = 100, COUNT = 500, DOFF = 40 };
    float x[N], y[N], r[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)(rng() % 1000);
        y[i] = (float)(rng() % 1000);
    }
    claw_buffer *bx, *by, *bz;
    OK(claw_alloc(dev, sizeof x, &bx));
    OK(claw_alloc(dev, sizeof y, &by));
    OK(claw_alloc(dev, sizeof y, &bz));
    claw_stream *sa, *sb;
    claw_event *e0, *e1;
    OK(claw_stream_create(dev, &sa));
    OK(claw_stream_create(dev, &sb));
    OK(claw_event_create(dev, &e0));
    OK(claw_event_create(dev, &e1));
    OK(claw_write_on(sa, bx, 0, x, sizeof x));
    OK(claw_write_on(sa, by, 0, y, sizeof y));
    OK(claw_fill_on(sb, bz, 0, sizeof y, 0xffffffffu));
    OK(claw_event_record(e0, sa));
    OK(saxpy_on(sa, k, (N + 255) / 256, 256, N, 2.0f, claw_buffer_address(bx),
                claw_buffer_address(by)));
    OK(claw_event_record(e1, sa));
    OK(claw_stream_wait(sb, e1));
    OK(claw_copy_on(sb, bz, DOFF * 4, by, OFF * 4, COUNT * 4));
    OK(claw_read_on(sb, bz, 0, r, sizeof r));
    OK(claw_stream_synchronize(sb));
    int bad = 0;
    for (int i = 0; i < N; i++) {
        uint32_t bits;
        memcpy(&bits, &r[i], 4);
        if (i >= DOFF && i < DOFF + COUNT)
            bad += r[i] != 2.0f * x[i - DOFF + OFF] + y[i - DOFF + OFF];
        else
            bad += bits != 0xffffffffu;
    }
    EXPECT(bad == 0, "%s: %d elements wrong after launch (A) -> event -> copy (B)", name, bad);
    double ms = -1;
    OK(claw_event_elapsed(e0, e1, &ms));
    EXPECT(ms > 0.0 && ms < 10000.0, "%s: elapsed %.6f ms", name, ms);

    /* Fill and read at offsets on the default stream. */
    OK(claw_fill_on(NULL, bx, 8, 16, 0x01020304u));
    uint32_t w[8] = {0};
    OK(claw_read_on(NULL, bx, 4, w, sizeof w));
    OK(claw_synchronize(dev));
    uint32_t x1;
    memcpy(&x1, &x[1], 4);
    EXPECT(w[0] == x1 && w[1] == 0x01020304u && w[4] == 0x01020304u && w[5] != 0x01020304u,
           "%s: fill at offset 8", name);

    /* 70,000 blocks of one thread. */
    enum { BIG = 70000 };
    float *gx = malloc(BIG * 4), *gy = malloc(BIG * 4);
    claw_buffer *gbx, *gby;
    OK(claw_alloc(dev, BIG * 4, &gbx));
    OK(claw_alloc(dev, BIG * 4, &gby));
    for (int i = 0; i < BIG; i++)
        gx[i] = (float)(i % 977);
    OK(claw_write_on(sa, gbx, 0, gx, BIG * 4));
    OK(claw_fill_on(sa, gby, 0, BIG * 4, 0x3f800000u)); /* 1.0f */
    OK(saxpy_on(sa, k, BIG, 1, BIG, 3.0f, claw_buffer_address(gbx), claw_buffer_address(gby)));
    OK(claw_read_on(sa, gby, 0, gy, BIG * 4));
    OK(claw_stream_synchronize(sa));
    bad = 0;
    for (int i = 0; i < BIG; i++)
        bad += gy[i] != 3.0f * (float)(i % 977) + 1.0f;
    EXPECT(bad == 0, "%s: %d of %d elements of a 70,000-block grid wrong", name, bad, BIG);
    claw_free(gbx);
    claw_free(gby);

    /* Wrapping memory the runtime did not allocate. */
    bool cuda = p.backend == CLAW_BACKEND_CUDA;
    float *foreign = foreign_alloc(dev, cuda, N * 4);
    EXPECT(foreign != NULL, "%s: device memory from the driver itself", name);
    if (!foreign)
        return;
    for (int i = 0; i < N; i++)
        foreign[i] = 1.0f;
    claw_buffer *wb;
    OK(claw_buffer_wrap(dev, (uint64_t)(uintptr_t)foreign, N * 4, &wb));
    EXPECT(claw_buffer_address(wb) == (uint64_t)(uintptr_t)foreign, "wrapped address");
    OK(saxpy_on(NULL, k, (N + 255) / 256, 256, N, 2.0f, claw_buffer_address(bx),
                claw_buffer_address(wb) + 0));
    OK(claw_synchronize(dev));
    bad = 0;
    for (int i = 0; i < N; i++)
        if (i < 2 || i >= 6) /* 2..5 hold the fill pattern above */
            bad += foreign[i] != 2.0f * x[i] + 1.0f;
    EXPECT(bad == 0, "%s: %d elements wrong in a wrapped buffer", name, bad);
    /* A pointer into a wrapped buffer is accepted; one past everything is not. */
    EXPECT_REFUSED(saxpy_on(NULL, k, 1, 1, 1, 1.0f, claw_buffer_address(bx),
                            (uint64_t)(uintptr_t)foreign + N * 4 + 64),
                   CLAW_ERROR_ARGUMENTS, "not inside a live buffer");
    claw_free(wb);
    foreign[0] = 5.0f; /* still ours: claw_free forgot it without freeing */
    foreign_free(dev, cuda, foreign);
    EXPECT_REFUSED(claw_buffer_wrap(dev, 0, 16, &wb), CLAW_ERROR_INVALID_ARGUMENT, "zero");
    EXPECT_REFUSED(claw_buffer_wrap(dev, 4096, 0, &wb), CLAW_ERROR_INVALID_ARGUMENT, "zero");
    EXPECT_REFUSED(claw_buffer_wrap(dev, UINT64_MAX - 8, 64, &wb), CLAW_ERROR_INVALID_ARGUMENT,
                   "address space");

    /* Another device's event or stream. */
    claw_event *oe;
    claw_stream *os;
    OK(claw_event_create(other, &oe));
    OK(claw_stream_create(other, &os));
    EXPECT_REFUSED(claw_stream_wait(sa, oe), CLAW_ERROR_INVALID_ARGUMENT, "belongs to");
    EXPECT_REFUSED(claw_event_record(oe, sa), CLAW_ERROR_INVALID_ARGUMENT, "belongs to");
    EXPECT_REFUSED(claw_event_elapsed(e0, oe, &ms), CLAW_ERROR_INVALID_ARGUMENT, "belongs to");
    EXPECT_REFUSED(claw_write_on(os, bx, 0, x, 4), CLAW_ERROR_INVALID_ARGUMENT, "belongs to");
    EXPECT_REFUSED(claw_copy_on(os, bx, 0, by, 0, 4), CLAW_ERROR_INVALID_ARGUMENT, "belongs to");
    EXPECT_REFUSED(saxpy_on(os, k, 1, 1, 1, 1.0f, claw_buffer_address(bx), claw_buffer_address(by)),
                   CLAW_ERROR_INVALID_ARGUMENT, "belongs to");
    claw_event_destroy(oe);
    claw_stream_destroy(os);

    /* A stream destroyed with work queued; then its handle is refused. */
    claw_stream *sc;
    OK(claw_stream_create(dev, &sc));
    OK(claw_write_on(sc, by, 0, y, sizeof y));
    OK(saxpy_on(sc, k, (N + 255) / 256, 256, N, 1.0f, claw_buffer_address(bx),
                claw_buffer_address(by)));
    claw_stream_destroy(sc);
    EXPECT_REFUSED(claw_stream_synchronize(sc), CLAW_ERROR_INVALID_ARGUMENT, "not a live handle");
    EXPECT_REFUSED(claw_read_on(sc, by, 0, r, 4), CLAW_ERROR_INVALID_ARGUMENT, "not a live handle");
    EXPECT_REFUSED(claw_stream_wait(sc, e0), CLAW_ERROR_INVALID_ARGUMENT, "not a live handle");
    EXPECT_REFUSED(claw_stream_create(dev, NULL), CLAW_ERROR_INVALID_ARGUMENT, "out is null");
    EXPECT_REFUSED(claw_event_elapsed(e0, NULL, &ms), CLAW_ERROR_INVALID_ARGUMENT, "end");

    claw_event_destroy(e0);
    claw_event_destroy(e1);
    claw_stream_destroy(sa);
    claw_stream_destroy(sb);
    claw_free(bx);
    claw_free(by);
    claw_free(bz);
    free(gx);
    free(gy);
    claw_module_unload(m);
}

int
main(void)
{
    unsetenv("CLAW_DEVICE");
    int count = 0;
    EXPECT(claw_device_count(&count) == CLAW_SUCCESS && count >= 2,
           "expected the two fake GPUs, got %d", count);
    claw_device *cuda = NULL, *hip = NULL;
    OK(claw_device_get(0, &cuda));
    OK(claw_device_get(1, &hip));
    if (!cuda || !hip)
        return 1;
    run_device(cuda, hip, "fake CUDA");
    run_device(hip, cuda, "fake HIP");
    claw_shutdown();
    if (failures) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("streams, events, copies, fills, wrapping and big grids passed on the fake drivers\n");
    return 0;
}
