/* fuzz_launch.c: libFuzzer target for libclawrt's module loading and launch
 * checks (runtime/core.c, runtime/check.c and the CUDA and HIP backends)
 * over the stand-in drivers of tests/e2e/fake, so no GPU is needed.
 *
 * Each input is decoded into: kernel metadata (1 to 3 kernels, 0 to 24
 * parameters of any kind, size and alignment, a @workgroup, static shared
 * memory), a fat binary holding a PTX image (for the fake CUDA device) and an
 * AMDGPU "code object" (for the fake HIP device) written by claw_fb_write,
 * then a sequence of calls: claw_module_load on one of the devices,
 * claw_kernel_get (sometimes for a name that is not there), and up to four
 * claw_launch / claw_launch_sized calls with a grid, a block, an argument
 * count, argument values (pointer arguments sometimes inside a live buffer,
 * sometimes anywhere), null arguments and claimed sizes all taken from the
 * bytes, followed by claw_synchronize. Every call must return a status (and
 * a message when it is not CLAW_SUCCESS): a crash, a sanitizer report or a
 * success with a configuration the checks should have refused is a finding.
 *
 * The runtime finds libcuda.so.1 and libamdhip64.so with dlopen, so the
 * fakes' folder must be on LD_LIBRARY_PATH before the process starts:
 * LLVMFuzzerInitialize re-executes the fuzzer once with it set. Vulkan is
 * kept out (VK_DRIVER_FILES names no driver): lavapipe is not what this
 * target tests, and its start-up cost would dominate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claw/claw.h"
#include "claw/fatbin.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- reading the input ------------------------------------------------------ */

typedef struct Bytes {
    const uint8_t *p;
    size_t n;
} Bytes;

static uint32_t
take(Bytes *b, int nbytes)
{
    uint32_t v = 0;
    for (int i = 0; i < nbytes; i++) {
        v = v << 8 | (b->n ? *b->p : 0);
        if (b->n) {
            b->p++;
            b->n--;
        }
    }
    return v;
}

/* A u32 that is small most of the time and sometimes anything. */
static uint32_t
take_dim(Bytes *b)
{
    uint32_t sel = take(b, 1);
    if (sel < 200)
        return sel % 17;
    if (sel < 250)
        return take(b, 2);
    return take(b, 4);
}

/* ---- the devices --------------------------------------------------------------- */

enum { MAX_DEVS = 4, BUF_BYTES = 4096, ARG_BYTES = 1 << 16, MAX_PARAMS = 24 };

static claw_device *devs[MAX_DEVS];
static claw_buffer *bufs[MAX_DEVS];
static int ndevs;
static unsigned char argmem[MAX_PARAMS][ARG_BYTES]; /* argument values */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (!getenv("CLAW_FUZZ_LAUNCH_ENV")) {
        const char *old = getenv("LD_LIBRARY_PATH");
        size_t n = strlen(CLAW_FAKE_DRIVER_DIR) + (old ? strlen(old) : 0) + 2;
        char *path = malloc(n);
        snprintf(path, n, "%s%s%s", CLAW_FAKE_DRIVER_DIR, old ? ":" : "", old ? old : "");
        setenv("LD_LIBRARY_PATH", path, 1);
        setenv("VK_DRIVER_FILES", "/nonexistent/claw-fuzz-no-vulkan.json", 1);
        setenv("VK_ICD_FILENAMES", "/nonexistent/claw-fuzz-no-vulkan.json", 1);
        setenv("CLAW_FUZZ_LAUNCH_ENV", "1", 1);
        unsetenv("CLAW_DEVICE");
        execv("/proc/self/exe", *argv);
        perror("fuzz_launch: re-executing with LD_LIBRARY_PATH");
        exit(1);
    }
    int count = 0;
    if (claw_device_count(&count) != CLAW_SUCCESS || count < 2) {
        fprintf(stderr, "fuzz_launch: expected the fake CUDA and HIP devices (from %s): %s\n",
                CLAW_FAKE_DRIVER_DIR, claw_last_error());
        exit(1);
    }
    for (int i = 0; i < count && ndevs < MAX_DEVS; i++) {
        if (claw_device_get(i, &devs[ndevs]) != CLAW_SUCCESS ||
            claw_alloc(devs[ndevs], BUF_BYTES, &bufs[ndevs]) != CLAW_SUCCESS) {
            fprintf(stderr, "fuzz_launch: device %d: %s\n", i, claw_last_error());
            exit(1);
        }
        ndevs++;
    }
    return 0;
}

/* ---- one input --------------------------------------------------------------- */

static void
expect_message(claw_status s, const char *call)
{
    if (s != CLAW_SUCCESS && !claw_last_error()[0]) {
        fprintf(stderr, "fuzz_launch: %s failed (%s) without a message\n", call,
                claw_status_string(s));
        abort();
    }
}

static const char *const kernel_names[] = {"k0", "k1", "k2", "missing"};
static const char *const param_names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Bytes in = {data, size};
    claw_fb_param params[3][MAX_PARAMS];
    claw_fb_kernel kernels[3];
    uint32_t nkernels = 1 + take(&in, 1) % 3;
    for (uint32_t k = 0; k < nkernels; k++) {
        uint32_t np = take(&in, 1) % (MAX_PARAMS + 1);
        for (uint32_t j = 0; j < np; j++) {
            uint32_t kind = take(&in, 1) % 3;
            uint32_t sz, al;
            if (kind == CLAW_FB_PARAM_POINTER) {
                sz = al = 8;
            } else {
                al = 1u << (take(&in, 1) % 5);
                sz = al * (1 + take(&in, 1) % (take(&in, 1) < 250 ? 4 : 2048));
                if (sz > ARG_BYTES)
                    sz = ARG_BYTES / al * al;
            }
            params[k][j] = (claw_fb_param){param_names[j % 8], (claw_fb_param_kind)kind, sz, al};
        }
        uint32_t wg = take(&in, 1);
        kernels[k] = (claw_fb_kernel){
            .name = kernel_names[k],
            .nparams = np,
            .params = params[k],
            .workgroup = {wg < 200 ? 0 : 1 + wg % 64, wg < 200 ? 0 : take_dim(&in),
                          wg < 200 ? 0 : take_dim(&in)},
            .shared_bytes = take(&in, 1) < 240 ? 0 : take(&in, 4),
        };
    }
    /* Images the fakes accept: PTX text with an .entry per kernel, and an
     * ELF-looking blob naming the kernels (tests/e2e/fake). */
    char ptx[256], obj[64];
    snprintf(ptx, sizeof ptx, ".version 8.0\n.target sm_80\n.entry k0\n.entry k1\n.entry k2\n");
    memcpy(obj,
           "\x7f"
           "ELF k0 k1 k2",
           13);
    claw_fb_image images[2] = {
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, strlen(ptx) + 1, nkernels, kernels},
        {"amdgcn-amd-amdhsa", "gfx90a", CLAW_FB_IMG_OBJECT, obj, 13, nkernels, kernels},
    };
    void *fb = NULL;
    size_t fb_size = 0;
    char err[256];
    if (claw_fb_write(images, 2, &fb, &fb_size, err, sizeof err) != 0)
        return 0; /* metadata the writer refuses never reaches a device */

    claw_device *dev = devs[take(&in, 1) % ndevs];
    int di = 0;
    while (devs[di] != dev)
        di++;
    claw_module *mod = NULL;
    claw_status s = claw_module_load(dev, fb, fb_size, &mod);
    expect_message(s, "claw_module_load");
    if (s == CLAW_SUCCESS) {
        int nlaunches = 1 + take(&in, 1) % 4;
        for (int l = 0; l < nlaunches; l++) {
            uint32_t ki = take(&in, 1) % 4;
            claw_kernel *k = NULL;
            s = claw_kernel_get(mod, kernel_names[ki], &k);
            expect_message(s, "claw_kernel_get");
            if (s != CLAW_SUCCESS)
                continue;
            if (ki >= nkernels) {
                fprintf(stderr, "fuzz_launch: claw_kernel_get found '%s', which is not there\n",
                        kernel_names[ki]);
                abort();
            }
            const claw_fb_kernel *meta = &kernels[ki];
            uint32_t grid[3], block[3];
            for (int d = 0; d < 3; d++) {
                grid[d] = take_dim(&in);
                block[d] = take_dim(&in);
            }
            size_t nargs = meta->nparams;
            if (take(&in, 1) >= 240)
                nargs = take(&in, 1) % (MAX_PARAMS + 1);
            const void *args[MAX_PARAMS] = {0};
            size_t sizes[MAX_PARAMS] = {0};
            for (size_t i = 0; i < nargs; i++) {
                uint32_t how = take(&in, 1);
                uint32_t psize = i < meta->nparams ? meta->params[i].size : 8;
                memset(argmem[i], 0, psize < 64 ? 64 : psize);
                if (i < meta->nparams && meta->params[i].kind == CLAW_FB_PARAM_POINTER &&
                    how < 200) {
                    uint64_t addr = claw_buffer_address(bufs[di]) + take(&in, 2) % (BUF_BYTES + 8);
                    memcpy(argmem[i], &addr, 8);
                } else {
                    for (uint32_t j = 0; j < psize && j < 16; j++)
                        argmem[i][j] = (unsigned char)take(&in, 1);
                }
                args[i] = how >= 250 ? NULL : argmem[i];
                sizes[i] = take(&in, 1) < 240 ? psize : take(&in, 2);
            }
            uint32_t call = take(&in, 1);
            if (call < 120)
                s = claw_launch(k, grid, block, call < 4 ? NULL : args, nargs);
            else
                s = claw_launch_sized(k, grid, block, args, call < 124 ? NULL : sizes, nargs);
            expect_message(s, "claw_launch");
            /* CLAW_ERROR_DEVICE here is the fake driver refusing a kernel it
             * cannot run: the runtime's own checks had passed */
            if (s == CLAW_SUCCESS || s == CLAW_ERROR_DEVICE) {
                for (int d = 0; d < 3; d++) {
                    if (grid[d] == 0 || block[d] == 0) {
                        fprintf(stderr, "fuzz_launch: a launch with a zero grid or block "
                                        "dimension passed the checks\n");
                        abort();
                    }
                }
                if (nargs != meta->nparams) {
                    fprintf(stderr,
                            "fuzz_launch: a launch with %zu arguments for %u "
                            "parameters passed the checks\n",
                            nargs, meta->nparams);
                    abort();
                }
            }
        }
        expect_message(claw_synchronize(dev), "claw_synchronize");
        claw_module_unload(mod);
    }
    free(fb);
    return 0;
}
