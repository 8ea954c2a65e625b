/* e2e_fake_bounds.c: -fsanitize=bounds on the CUDA and HIP backends
 * (runtime/cuda.c, runtime/hip.c, runtime/bounds.c) through the fake
 * drivers (tests/e2e/fake/), which run "checked_saxpy" on the host with the
 * hidden arguments of docs/debugging.md: the extent of each pointer and the
 * record. So this checks that the runtime passes each pointer's exact
 * extent (a whole buffer, a pointer into its middle, null), a record the
 * kernel can write, and turns a filled record into CLAW_ERROR_OUT_OF_BOUNDS
 * with the site's line and column, cleared afterwards; that good threads'
 * results are right; and that the kernel, with the caller's four
 * arguments, runs correctly again after a report. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claw/claw.h"
#include "claw/fatbin.h"

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

static const claw_fb_param params[] = {{"n", CLAW_FB_PARAM_SCALAR, 4, 4},
                                       {"a", CLAW_FB_PARAM_SCALAR, 4, 4},
                                       {"x", CLAW_FB_PARAM_POINTER, 8, 8},
                                       {"y", CLAW_FB_PARAM_POINTER, 8, 8}};
static const claw_fb_kernel kernels[] = {{"checked_saxpy", 4, params, {0, 0, 0}, 0, 1}};
static const char sites[] = "file checked.claw\n"
                            "site 0 7 15 load global 4 4 checked_saxpy x\n"
                            "site 1 7 24 load global 4 4 checked_saxpy y\n"
                            "site 2 7 10 store global 4 4 checked_saxpy y\n";

static void *
fatbin(size_t *size, bool with_sites)
{
    static const char ptx[] = ".version 8.0\n.target sm_80\n.entry checked_saxpy\n";
    /* As tests/e2e/fake_fatbin.h: the smallest gfx942 code object the fake
     * HIP loads, naming "checked_saxpy.kd". */
    unsigned char code_object[128] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 64, 3};
    code_object[18] = 224;
    code_object[40] = 64;
    code_object[48] = 0x4c;
    code_object[49] = 0x05;
    code_object[58] = 64;
    code_object[60] = 1;
    memcpy(code_object + 65, "checked_saxpy.kd", 17);
    claw_fb_image images[] = {
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, strlen(ptx), 1, kernels},
        {"amdgcn-amd-amdhsa", "gfx942", CLAW_FB_IMG_OBJECT, code_object, sizeof code_object, 1,
         kernels},
    };
    claw_fb_entry entries[2] = {{.bounds = with_sites ? sites : NULL},
                                {.bounds = with_sites ? sites : NULL}};
    void *out;
    char err[256];
    if (claw_fb_write_entries(images, entries, 2, &out, size, err, sizeof err) != 0) {
        fprintf(stderr, "claw_fb_write_entries: %s\n", err);
        exit(1);
    }
    return out;
}

enum { N = 200, BLOCK = 32 };

static claw_device *device;

static claw_status
run(claw_kernel *k, uint32_t n, uint64_t px, uint64_t py)
{
    float a = 3.0f;
    const void *args[] = {&n, &a, &px, &py};
    claw_status s = claw_launch(k, (const uint32_t[3]){(N + BLOCK - 1) / BLOCK, 1, 1},
                                (const uint32_t[3]){BLOCK, 1, 1}, args, 4);
    return s != CLAW_SUCCESS ? s : claw_synchronize(device);
}

static void
run_device(claw_device *dev, const char *name)
{
    device = dev;
    size_t size;
    void *fb = fatbin(&size, true);
    claw_module *m = NULL;
    OK(claw_module_load(dev, fb, size, &m));
    free(fb);
    claw_kernel *k = NULL;
    OK(claw_kernel_get(m, "checked_saxpy", &k));
    if (!k)
        return;
    float x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)(rand() % 100);
        y[i] = (float)(rand() % 100);
    }
    /* y holds only ny floats: thread ny is the first to load y out of bounds. */
    uint32_t ny = 50 + (uint32_t)(rand() % 100);
    claw_buffer *bx, *by;
    OK(claw_alloc(dev, sizeof x, &bx));
    OK(claw_alloc(dev, ny * 4, &by));
    OK(claw_write(bx, 0, x, sizeof x));
    OK(claw_write(by, 0, y, ny * 4));
    uint64_t px = claw_buffer_address(bx), py = claw_buffer_address(by);
    claw_status s = run(k, N, px, py);
    char want[256];
    snprintf(want, sizeof want,
             "checked.claw:7:24: error: out-of-bounds load of 4 bytes in kernel 'checked_saxpy': "
             "byte offset %u from parameter 'y' (address 0x%llx), whose buffer extends %u bytes "
             "past it; block (%u, 0, 0), thread (%u, 0, 0)",
             ny * 4, (unsigned long long)(py + ny * 4), ny * 4, ny / BLOCK, ny % BLOCK);
    EXPECT(s == CLAW_ERROR_OUT_OF_BOUNDS && strcmp(claw_last_error(), want) == 0,
           "%s: expected '%s'", name, want);
    float got[N];
    OK(claw_read(by, 0, got, ny * 4));
    for (uint32_t i = 0; i < ny; i++)
        if (got[i] != 3.0f * x[i] + y[i]) {
            EXPECT(0, "%s: y[%u] = %g, expected %g", name, i, got[i], 3.0f * x[i] + y[i]);
            break;
        }
    OK(claw_synchronize(dev)); /* the report was cleared */
    /* A pointer 8 bytes into y: its extent is 8 bytes shorter. */
    s = run(k, N, px, py + 8);
    snprintf(want, sizeof want, "whose buffer extends %u bytes past it", ny * 4 - 8);
    EXPECT(s == CLAW_ERROR_OUT_OF_BOUNDS && strstr(claw_last_error(), want), "%s: expected '%s'",
           name, want);
    /* Null: extent 0, the first thread's x load is reported. */
    s = run(k, N, 0, py);
    EXPECT(s == CLAW_ERROR_OUT_OF_BOUNDS &&
               strstr(claw_last_error(), "checked.claw:7:15: error: out-of-bounds load") &&
               strstr(claw_last_error(), "the pointer is null"),
           "%s: null x not reported", name);
    /* In bounds: success and C's results. */
    OK(claw_write(by, 0, y, ny * 4));
    OK(run(k, ny, px, py));
    OK(claw_read(by, 0, got, ny * 4));
    for (uint32_t i = 0; i < ny; i++)
        if (got[i] != 3.0f * x[i] + y[i]) {
            EXPECT(0, "%s: after the reports y[%u] = %g, expected %g", name, i, got[i],
                   3.0f * x[i] + y[i]);
            break;
        }
    claw_free(bx);
    claw_free(by);
    claw_module_unload(m);

    /* A checked kernel whose image lost its site table is refused. */
    fb = fatbin(&size, false);
    OK(claw_module_load(dev, fb, size, &m));
    free(fb);
    k = NULL;
    EXPECT(claw_kernel_get(m, "checked_saxpy", &k) == CLAW_ERROR_INVALID_FATBIN &&
               strstr(claw_last_error(), "access-site table"),
           "%s: a checked kernel without its site table was not refused", name);
    claw_module_unload(m);
}

int
main(void)
{
    unsetenv("CLAW_DEVICE");
    srand((unsigned)time(NULL));
    claw_device *cuda = NULL, *hip = NULL;
    OK(claw_device_get(0, &cuda));
    OK(claw_device_get(1, &hip));
    if (!cuda || !hip)
        return 1;
    run_device(cuda, "fake CUDA");
    run_device(hip, "fake HIP");
    claw_shutdown();
    if (failures) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("bounds extents and records passed on the fake CUDA and HIP drivers\n");
    return 0;
}
