/* e2e_fake_drivers.c: drives the CUDA and HIP backends (runtime/cuda.c,
 * runtime/hip.c) end to end against stand-in driver libraries
 * (tests/e2e/fake/), so their device listing, image choice, module loading,
 * argument passing, error reporting and CLAW_DEVICE selection are tested on
 * machines with neither GPU. ctest runs it with LD_LIBRARY_PATH pointing at
 * the fakes; the fakes compute saxpy on the host from exactly the argument
 * bytes the runtime handed them (CUDA kernelParams, HIP kernarg buffer). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const claw_fb_param saxpy_params[] = {{"n", CLAW_FB_PARAM_SCALAR, 4, 4},
                                             {"a", CLAW_FB_PARAM_SCALAR, 4, 4},
                                             {"x", CLAW_FB_PARAM_POINTER, 8, 8},
                                             {"y", CLAW_FB_PARAM_POINTER, 8, 8}};
static const claw_fb_kernel kernels[] = {{"saxpy", 4, saxpy_params, {0, 0, 0}, 0},
                                         {"trap", 0, NULL, {0, 0, 0}, 0}};

static void *
fatbin(const char *ptx, size_t *size)
{
    static const char code_object[] = "\x7f"
                                      "ELF saxpy";
    claw_fb_image images[] = {
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, strlen(ptx), 2, kernels},
        {"amdgcn-amd-amdhsa", "gfx942", CLAW_FB_IMG_OBJECT, code_object, sizeof code_object, 1,
         kernels},
        {"amdgcn-amd-amdhsa", "gfx90a", CLAW_FB_IMG_OBJECT, "junk", 4, 1, kernels},
    };
    void *out;
    char err[256];
    if (claw_fb_write(images, 3, &out, size, err, sizeof err) != 0) {
        fprintf(stderr, "claw_fb_write: %s\n", err);
        exit(1);
    }
    return out;
}

/* Runs saxpy on dev and compares with C; returns the mismatches. */
static int
saxpy_on(claw_device *dev, claw_module *m)
{
    claw_kernel *k;
    EXPECT(claw_kernel_get(m, "saxpy", &k) == CLAW_SUCCESS, "kernel saxpy");
    enum { N = 1000 };
    float x[N], y[N], r[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)i;
        y[i] = 1.0f;
    }
    claw_buffer *bx, *by;
    EXPECT(claw_alloc(dev, sizeof x, &bx) == CLAW_SUCCESS, "alloc");
    EXPECT(claw_alloc(dev, sizeof y, &by) == CLAW_SUCCESS, "alloc");
    claw_write(bx, 0, x, sizeof x);
    claw_write(by, 0, y, sizeof y);
    uint32_t n = N;
    float a = 3.0f;
    uint64_t xa = claw_buffer_address(bx), ya = claw_buffer_address(by);
    const void *args[] = {&n, &a, &xa, &ya};
    uint32_t grid[3] = {4, 1, 1}, block[3] = {256, 1, 1};
    EXPECT(claw_launch(k, grid, block, args, 4) == CLAW_SUCCESS, "launch");
    EXPECT(claw_synchronize(dev) == CLAW_SUCCESS, "synchronize");
    EXPECT(claw_read(by, 0, r, sizeof r) == CLAW_SUCCESS, "read");
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += r[i] != 3.0f * (float)i + 1.0f;
    claw_free(bx);
    claw_free(by);
    return bad;
}

int
main(void)
{
    static const char good_ptx[] = ".version 8.0\n.target sm_80\n.entry saxpy\n.entry trap\n";
    static const char bad_ptx[] = ".version 8.0\n.target sm_80\nsyntax error\n";
    size_t size, bad_size;
    void *fb = fatbin(good_ptx, &size), *bad_fb = fatbin(bad_ptx, &bad_size);

    unsetenv("CLAW_DEVICE");
    int count = 0;
    EXPECT(claw_device_count(&count) == CLAW_SUCCESS && count >= 2,
           "expected the two fake GPUs, got %d", count);
    claw_device *cuda = NULL, *hip = NULL;
    claw_device_props p;
    EXPECT(claw_device_get(0, &cuda) == CLAW_SUCCESS, "device 0");
    EXPECT(claw_device_get(1, &hip) == CLAW_SUCCESS, "device 1");
    if (!cuda || !hip)
        return 1;

    /* CUDA first in the list, arch from the compute capability. */
    claw_device_props_get(cuda, &p);
    EXPECT(p.backend == CLAW_BACKEND_CUDA && strcmp(p.arch, "sm_90") == 0, "CUDA device: %s",
           p.arch);
    EXPECT(p.max_threads_per_block == 1024 && p.subgroup_size == 32, "CUDA limits");
    claw_module *m;
    /* sm_80 PTX is chosen for the sm_90 GPU and JIT-compiled. */
    EXPECT(claw_module_load(cuda, fb, size, &m) == CLAW_SUCCESS, "CUDA load");
    EXPECT(saxpy_on(cuda, m) == 0, "CUDA saxpy mismatches");
    claw_kernel *trap;
    EXPECT(claw_kernel_get(m, "trap", &trap) == CLAW_SUCCESS, "kernel trap");
    uint32_t one[3] = {1, 1, 1};
    EXPECT(claw_launch(trap, one, one, NULL, 0) == CLAW_SUCCESS, "trap launch is asynchronous");
    EXPECT(claw_synchronize(cuda) == CLAW_ERROR_LAUNCH_FAILED &&
               strstr(claw_last_error(), "CUDA_ERROR_LAUNCH_FAILED"),
           "a device fault is reported at synchronize");
    claw_module_unload(m);
    /* The JIT's error log reaches claw_last_error. */
    EXPECT(claw_module_load(cuda, bad_fb, bad_size, &m) == CLAW_ERROR_MODULE_LOAD &&
               strstr(claw_last_error(), "CUDA_ERROR_INVALID_PTX") &&
               strstr(claw_last_error(), "fatal : syntax error"),
           "JIT log in the message");

    /* Cold start (clawc --cubin): an exact-arch cubin is loaded instead of
     * any PTX, wherever it sits; PTX when the cubins are for other arches.
     * The fake says what it was given (fake_cuda_last_image_kind). */
    void *libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    int (*last_kind)(void) =
        libcuda ? (int (*)(void))dlsym(libcuda, "fake_cuda_last_image_kind") : NULL;
    EXPECT(last_kind != NULL, "the fake CUDA driver is the one loaded");
    static const char ptx90[] = ".version 8.0\n.target sm_90\n.entry saxpy\n.entry trap\n";
    static unsigned char cubin[128] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    cubin[18] = 190;  /* EM_CUDA */
    cubin[0x28] = 64; /* section headers at 64: one of 64 bytes, the end of the file */
    cubin[0x3a] = 64;
    cubin[0x3c] = 1;
    memcpy(cubin + 65, "saxpy\0trap", 11);
    claw_fb_image cold[] = {
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, good_ptx, strlen(good_ptx), 2, kernels},
        {"nvptx64-nvidia-cuda", "sm_86", CLAW_FB_IMG_CUBIN, cubin, sizeof cubin, 2, kernels},
        {"nvptx64-nvidia-cuda", "sm_90", CLAW_FB_IMG_PTX, ptx90, strlen(ptx90), 2, kernels},
        {"nvptx64-nvidia-cuda", "sm_90", CLAW_FB_IMG_CUBIN, cubin, sizeof cubin, 2, kernels},
    };
    void *cfb;
    size_t csize;
    char cerr[256];
    EXPECT(claw_fb_write(cold, 4, &cfb, &csize, cerr, sizeof cerr) == 0, "%s", cerr);
    EXPECT(claw_module_load(cuda, cfb, csize, &m) == CLAW_SUCCESS, "CUDA load with cubins");
    EXPECT(last_kind && last_kind() == 2, "the sm_90 cubin is loaded on the sm_90 GPU");
    EXPECT(saxpy_on(cuda, m) == 0, "CUDA saxpy from the cubin mismatches");
    claw_module_unload(m);
    free(cfb);
    EXPECT(claw_fb_write(cold, 3, &cfb, &csize, cerr, sizeof cerr) == 0, "%s", cerr);
    EXPECT(claw_module_load(cuda, cfb, csize, &m) == CLAW_SUCCESS, "CUDA load, sm_86 cubin only");
    EXPECT(last_kind && last_kind() == 1, "PTX, not the sm_86 cubin, on the sm_90 GPU");
    claw_module_unload(m);
    free(cfb);

    /* HIP: gfx942 from gcnArchName, arguments as one kernarg buffer. */
    claw_device_props_get(hip, &p);
    EXPECT(p.backend == CLAW_BACKEND_HIP && strcmp(p.arch, "gfx942") == 0, "HIP device: %s",
           p.arch);
    EXPECT(p.subgroup_size == 64, "HIP wavefront size");
    EXPECT(claw_module_load(hip, fb, size, &m) == CLAW_SUCCESS, "HIP load (gfx942 image)");
    EXPECT(saxpy_on(hip, m) == 0, "HIP saxpy mismatches");
    claw_kernel *k;
    EXPECT(claw_kernel_get(m, "trap", &k) == CLAW_ERROR_KERNEL_NOT_FOUND,
           "trap is not in the code object");
    claw_module_unload(m);

    /* A fat binary with only SPIR-V says why a CUDA device cannot run it. */
    claw_fb_image spv = {"spirv64-unknown-vulkan1.2",
                         "vulkan1.2",
                         CLAW_FB_IMG_SPIRV,
                         "\x03\x02\x23\x07",
                         4,
                         1,
                         kernels};
    void *sfb;
    size_t ssize;
    char err[256];
    claw_fb_write(&spv, 1, &sfb, &ssize, err, sizeof err);
    EXPECT(claw_module_load(cuda, sfb, ssize, &m) == CLAW_ERROR_NO_IMAGE &&
               strstr(claw_last_error(), "CLAW_DEVICE=vulkan:0"),
           "SPIR-V only on CUDA");
    EXPECT(claw_module_load(hip, sfb, ssize, &m) == CLAW_ERROR_NO_IMAGE, "SPIR-V only on HIP");
    free(sfb);

    /* CLAW_DEVICE moves a device to index 0. */
    claw_shutdown();
    setenv("CLAW_DEVICE", "hip:0", 1);
    claw_device *first;
    EXPECT(claw_device_get(0, &first) == CLAW_SUCCESS, "device 0 with CLAW_DEVICE=hip:0");
    claw_device_props_get(first, &p);
    EXPECT(p.backend == CLAW_BACKEND_HIP, "CLAW_DEVICE=hip:0 puts HIP first");
    claw_device_get(1, &first);
    claw_device_props_get(first, &p);
    EXPECT(p.backend == CLAW_BACKEND_CUDA, "CUDA follows");
    claw_shutdown();
    setenv("CLAW_DEVICE", "cuda:1", 1);
    EXPECT(claw_device_count(&count) == CLAW_ERROR_NO_DEVICE && strstr(claw_last_error(), "cuda:0"),
           "CLAW_DEVICE=cuda:1 names no device and the message lists cuda:0");
    claw_shutdown();

    free(fb);
    free(bad_fb);
    if (failures) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("CUDA and HIP backends passed against the fake drivers\n");
    return 0;
}
