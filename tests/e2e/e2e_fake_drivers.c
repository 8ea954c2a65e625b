/* e2e_fake_drivers.c: drives the CUDA and HIP backends (runtime/cuda.c,
 * runtime/hip.c) end to end against stand-in driver libraries
 * (tests/e2e/fake/), so their device listing, image choice, module loading,
 * argument passing, error reporting and CLAW_DEVICE selection are tested on
 * machines with neither GPU. ctest runs it with LD_LIBRARY_PATH pointing at
 * the fakes and the path of a fat binary that clawc compiled from
 * samples/saxpy for sm_80, sm_90, gfx942 and gfx90a; the fakes compute
 * saxpy on the host from exactly the argument bytes the runtime handed them
 * (CUDA kernelParams, HIP kernarg buffer).
 *
 * The fakes are as strict as the real drivers (see their file comments), so
 * this also checks what only shows on real hardware: that every runtime
 * call leaves the application's own current CUDA context and HIP device as
 * they were, that the HIP library is found newest version first and an old
 * HIP is refused, that PTX too new for the driver and code objects for
 * another ISA are refused with messages that say what to do, that a CUDA
 * fault is sticky, and that HIP's grid limit is checked before launch. */
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

/* Expects status s with every string of the NULL-terminated list in the message. */
static void
expect_error(int line, claw_status got, claw_status want, const char *const *parts)
{
    int ok = got == want;
    for (size_t i = 0; ok && parts[i]; i++)
        ok = strstr(claw_last_error(), parts[i]) != NULL;
    if (!ok) {
        fprintf(stderr, "%s:%d: FAIL: got %s, expected %s with", __FILE__, line,
                claw_status_string(got), claw_status_string(want));
        for (size_t i = 0; parts[i]; i++)
            fprintf(stderr, " '%s'", parts[i]);
        fprintf(stderr, " [last error: %s]\n", claw_last_error());
        failures++;
    }
}
#define EXPECT_ERROR(call, want, ...)                                                              \
    expect_error(__LINE__, (call), (want), (const char *const[]){__VA_ARGS__, NULL})

/* ---- the application's own CUDA and HIP state --------------------------- */

/* The test plays an application that uses CUDA and HIP itself: it opens the
 * same driver libraries as the runtime (dlopen returns the loaded copy) and
 * checks after each runtime call that its context and device are as it set
 * them. */
static struct {
    int (*init)(unsigned flags);
    int (*ctx_create)(void **ctx, unsigned flags, int dev);
    int (*ctx_destroy)(void *ctx);
    int (*ctx_get)(void **ctx);
    int (*ctx_pop)(void **ctx);
    int (*hip_get)(int *dev);
    int (*hip_set)(int dev);
} app;
static void *want_ctx;
static int want_dev;

static void
same_state(int line, const char *what)
{
    void *ctx = (void *)&app;
    app.ctx_get(&ctx);
    int dev = -1;
    if (app.hip_get(&dev) != 0) /* after a HIP 7 fault every HIP call fails */
        dev = want_dev;
    if (ctx != want_ctx || dev != want_dev) {
        fprintf(stderr,
                "%s:%d: FAIL: %s left CUDA context %p (expected %p) and HIP device %d (expected "
                "%d) current\n",
                __FILE__, line, what, ctx, want_ctx, dev, want_dev);
        failures++;
    }
}
#define SAME(what) same_state(__LINE__, what)

static void
open_app_libraries(void)
{
    void *cu = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    void *hip = dlopen("libamdhip64.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!cu || !hip) {
        fprintf(stderr, "cannot open the fake drivers: %s\n", dlerror());
        exit(1);
    }
    *(void **)&app.init = dlsym(cu, "cuInit");
    *(void **)&app.ctx_create = dlsym(cu, "cuCtxCreate_v2");
    *(void **)&app.ctx_destroy = dlsym(cu, "cuCtxDestroy_v2");
    *(void **)&app.ctx_get = dlsym(cu, "cuCtxGetCurrent");
    *(void **)&app.ctx_pop = dlsym(cu, "cuCtxPopCurrent_v2");
    *(void **)&app.hip_get = dlsym(hip, "hipGetDevice");
    *(void **)&app.hip_set = dlsym(hip, "hipSetDevice");
    if (!app.init || !app.ctx_create || !app.ctx_destroy || !app.ctx_get || !app.ctx_pop ||
        !app.hip_get || !app.hip_set) {
        fprintf(stderr, "the fake drivers lack the application's entry points\n");
        exit(1);
    }
}

/* ---- images --------------------------------------------------------------- */

static const claw_fb_param saxpy_params[] = {{"n", CLAW_FB_PARAM_SCALAR, 4, 4},
                                             {"a", CLAW_FB_PARAM_SCALAR, 4, 4},
                                             {"x", CLAW_FB_PARAM_POINTER, 8, 8},
                                             {"y", CLAW_FB_PARAM_POINTER, 8, 8}};
static const claw_fb_kernel kernels[] = {{"saxpy", 4, saxpy_params, {0, 0, 0}, 0, 0},
                                         {"trap", 0, NULL, {0, 0, 0}, 0, 0}};

/* EF_AMDGPU_MACH of gfx942 and gfx90a; xnack "any" 0x100, sramecc "any" 0x400. */
enum {
    MACH_GFX942 = 0x4c,
    MACH_GFX90A = 0x3f,
    XNACK_ANY = 0x100,
    XNACK_ON = 0x300,
    SRAMECC_ANY = 0x400
};

/* A minimal AMDGPU code object: an ELF64 header (OS ABI AMDGPU_HSA, machine
 * EM_AMDGPU, EI_ABIVERSION abi: 3 = code object v5) with e_flags, then a
 * string table naming each kernel's descriptor "<name>.kd" and the
 * amdhsa.target string; the (empty) section header table marks its end. */
static unsigned char *
code_object(unsigned flags, unsigned abi, const char *processor, const char *const *names,
            size_t *size)
{
    unsigned char strtab[256];
    size_t n = 0;
    strtab[n++] = '\0';
    for (size_t i = 0; names[i]; i++)
        n += (size_t)snprintf((char *)strtab + n, sizeof strtab - n, "%s.kd", names[i]) + 1;
    int len = snprintf((char *)strtab + n, sizeof strtab - n, "amdgcn-amd-amdhsa--%s", processor);
    n += (size_t)len + 1;
    *size = 64 + n;
    unsigned char *e = calloc(1, *size);
    static const unsigned char magic[4] = {0x7f, 'E', 'L', 'F'};
    memcpy(e, magic, 4);
    e[4] = 2;  /* ELFCLASS64 */
    e[5] = 1;  /* little-endian */
    e[6] = 1;  /* EV_CURRENT */
    e[7] = 64; /* ELFOSABI_AMDGPU_HSA */
    e[8] = (unsigned char)abi;
    e[16] = 3;   /* ET_DYN */
    e[18] = 224; /* EM_AMDGPU */
    e[20] = 1;
    uint64_t shoff = *size;
    memcpy(e + 40, &shoff, 8);
    memcpy(e + 48, &flags, 4);
    e[52] = 64; /* e_ehsize */
    e[58] = 64; /* e_shentsize; e_shnum 0 */
    memcpy(e + 64, strtab, n);
    return e;
}

static void *
fatbin_of(const claw_fb_image *images, uint32_t n, size_t *size)
{
    void *out;
    char err[256];
    if (claw_fb_write(images, n, &out, size, err, sizeof err) != 0) {
        fprintf(stderr, "claw_fb_write: %s\n", err);
        exit(1);
    }
    return out;
}

/* A fat binary of one PTX image and one gfx942 code object. */
static void *
fatbin_ptx_amd(const char *ptx, unsigned flags, unsigned abi, const char *processor, size_t *size)
{
    static const char *const names[] = {"saxpy", "trap", NULL};
    size_t co_size;
    unsigned char *co = code_object(flags, abi, processor, names, &co_size);
    claw_fb_image images[] = {
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, strlen(ptx), 2, kernels},
        {"amdgcn-amd-amdhsa", "gfx942", CLAW_FB_IMG_OBJECT, co, co_size, 2, kernels},
    };
    void *fb = fatbin_of(images, 2, size);
    free(co);
    return fb;
}

static void *
read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* ---- runs ------------------------------------------------------------------ */

/* Runs saxpy on dev, checking the application's state after every runtime
 * call, and compares with C; returns the mismatches. */
static int
saxpy_on(claw_device *dev, claw_module *m)
{
    claw_kernel *k;
    EXPECT(claw_kernel_get(m, "saxpy", &k) == CLAW_SUCCESS, "kernel saxpy");
    SAME("claw_kernel_get");
    enum { N = 1000 };
    float x[N], y[N], r[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)i;
        y[i] = 1.0f;
    }
    claw_buffer *bx, *by;
    EXPECT(claw_alloc(dev, sizeof x, &bx) == CLAW_SUCCESS, "alloc");
    SAME("claw_alloc");
    EXPECT(claw_alloc(dev, sizeof y, &by) == CLAW_SUCCESS, "alloc");
    EXPECT(claw_write(bx, 0, x, sizeof x) == CLAW_SUCCESS, "write");
    SAME("claw_write");
    EXPECT(claw_write(by, 0, y, sizeof y) == CLAW_SUCCESS, "write");
    uint32_t n = N;
    float a = 3.0f;
    uint64_t xa = claw_buffer_address(bx), ya = claw_buffer_address(by);
    const void *args[] = {&n, &a, &xa, &ya};
    uint32_t grid[3] = {4, 1, 1}, block[3] = {256, 1, 1};
    EXPECT(claw_launch(k, grid, block, args, 4) == CLAW_SUCCESS, "launch");
    SAME("claw_launch");
    EXPECT(claw_synchronize(dev) == CLAW_SUCCESS, "synchronize");
    SAME("claw_synchronize");
    EXPECT(claw_read(by, 0, r, sizeof r) == CLAW_SUCCESS, "read");
    SAME("claw_read");
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += r[i] != 3.0f * (float)i + 1.0f;
    claw_free(bx);
    SAME("claw_free");
    claw_free(by);
    return bad;
}

/* Loads fb on dev, runs saxpy and unloads, checking the state throughout. */
static void
load_and_run(claw_device *dev, const void *fb, size_t size, const char *what)
{
    claw_module *m = NULL;
    EXPECT(claw_module_load(dev, fb, size, &m) == CLAW_SUCCESS, "%s: load", what);
    SAME("claw_module_load");
    if (!m)
        return;
    EXPECT(saxpy_on(dev, m) == 0, "%s: saxpy mismatches", what);
    claw_module_unload(m);
    SAME("claw_module_unload");
}

static claw_device *
device(int index)
{
    claw_device *d = NULL;
    EXPECT(claw_device_get(index, &d) == CLAW_SUCCESS, "device %d", index);
    SAME("claw_device_get");
    if (!d)
        exit(1);
    return d;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: e2e_fake_drivers SAXPY_GPU.clawfb\n");
        return 2;
    }
    static const char good_ptx[] = "//\n// hand-written\n//\n\n.version 7.8\n.target sm_80\n"
                                   ".address_size 64\n.visible .entry saxpy(\n)\n.entry trap\n";
    static const char bad_ptx[] = ".version 7.8\n.target sm_80\nsyntax error\n";
    static const char new_ptx[] = ".version 8.5\n.target sm_80\n.entry saxpy(\n)\n";
    static const char newest_ptx[] = ".version 9.5\n.target sm_80\n.entry saxpy(\n)\n";
    size_t size, bad_size, new_size, newest_size, real_size;
    unsigned gfx942 = MACH_GFX942 | XNACK_ANY | SRAMECC_ANY;
    void *fb = fatbin_ptx_amd(good_ptx, gfx942, 3, "gfx942", &size);
    void *bad_fb = fatbin_ptx_amd(bad_ptx, gfx942, 3, "gfx942", &bad_size);
    void *new_fb = fatbin_ptx_amd(new_ptx, gfx942, 3, "gfx942", &new_size);
    void *newest_fb = fatbin_ptx_amd(newest_ptx, gfx942, 3, "gfx942", &newest_size);
    void *real_fb = read_file(argv[1], &real_size);

    unsetenv("CLAW_DEVICE");
    unsetenv("FAKE_CUDA_DRIVER_VERSION");
    unsetenv("FAKE_HIP_VERSION");
    open_app_libraries();

    /* The application has its own CUDA context current and HIP device 1. */
    EXPECT(app.init(0) == 0 && app.ctx_create(&want_ctx, 0, 0) == 0, "cuInit, cuCtxCreate");
    want_dev = 1;
    EXPECT(app.hip_set(want_dev) == 0, "hipSetDevice");

    int count = 0;
    EXPECT(claw_device_count(&count) == CLAW_SUCCESS && count >= 3,
           "expected the fake CUDA GPU and two fake AMD GPUs, got %d", count);
    SAME("claw_device_count");
    claw_device *cuda = device(0), *hip = device(1), *hip1 = device(2);
    claw_device_props p;

    /* CUDA first in the list, arch from the compute capability. */
    claw_device_props_get(cuda, &p);
    EXPECT(p.backend == CLAW_BACKEND_CUDA && strcmp(p.arch, "sm_90") == 0, "CUDA device: %s",
           p.arch);
    EXPECT(p.max_threads_per_block == 1024 && p.subgroup_size == 32, "CUDA limits");
    /* sm_80 PTX is chosen for the sm_90 GPU and JIT-compiled. */
    load_and_run(cuda, fb, size, "CUDA");
    /* The JIT's error log reaches claw_last_error. */
    claw_module *m;
    EXPECT_ERROR(claw_module_load(cuda, bad_fb, bad_size, &m), CLAW_ERROR_MODULE_LOAD,
                 "CUDA_ERROR_INVALID_PTX", "fatal   : syntax error");
    SAME("a failed claw_module_load");
    /* PTX ISA 8.5 needs CUDA 12.5; the fake driver is CUDA 12.4. */
    EXPECT_ERROR(claw_module_load(cuda, new_fb, new_size, &m), CLAW_ERROR_MODULE_LOAD,
                 "PTX ISA 8.5", "CUDA 12.5 or newer", "CUDA 12.4", "upgrade the NVIDIA driver");
    /* clawc's own PTX (ISA 7.8, sm_90 chosen) runs as well. */
    load_and_run(cuda, real_fb, real_size, "CUDA, clawc's PTX");

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

    /* HIP: gfx942 from gcnArchName, arguments as one kernarg buffer. The
     * application's device is 1 while the runtime uses device 0. */
    claw_device_props_get(hip, &p);
    EXPECT(p.backend == CLAW_BACKEND_HIP && strcmp(p.arch, "gfx942") == 0, "HIP device: %s",
           p.arch);
    EXPECT(p.subgroup_size == 64 && p.max_threads_per_block == 1024 &&
               p.shared_mem_per_block == 65536,
           "HIP attributes (HIP 5+ numbering)");
    load_and_run(hip, fb, size, "HIP gfx942");
    load_and_run(hip, real_fb, real_size, "HIP gfx942, clawc's code object");
    claw_device_props_get(hip1, &p);
    EXPECT(strcmp(p.arch, "gfx90a") == 0, "HIP device 1: %s", p.arch);
    want_dev = 0;
    EXPECT(app.hip_set(want_dev) == 0, "hipSetDevice");
    load_and_run(hip1, real_fb, real_size, "HIP gfx90a, clawc's code object");
    /* No gfx90a image in the hand-made fat binary. */
    EXPECT_ERROR(claw_module_load(hip1, fb, size, &m), CLAW_ERROR_NO_IMAGE, "gfx90a");

    /* Code objects the HIP loader refuses, each labelled gfx942. */
    size_t s2;
    void *v3 = fatbin_ptx_amd(good_ptx, gfx942, 1, "gfx942", &s2);
    EXPECT_ERROR(claw_module_load(hip, v3, s2, &m), CLAW_ERROR_MODULE_LOAD, "hipErrorInvalidImage",
                 "gfx942");
    free(v3);
    void *isa = fatbin_ptx_amd(good_ptx, MACH_GFX90A | XNACK_ANY | SRAMECC_ANY, 3, "gfx90a", &s2);
    EXPECT_ERROR(claw_module_load(hip, isa, s2, &m), CLAW_ERROR_MODULE_LOAD,
                 "hipErrorNoBinaryForGpu");
    free(isa);
    void *xnack = fatbin_ptx_amd(good_ptx, MACH_GFX942 | XNACK_ON | SRAMECC_ANY, 3, "gfx942", &s2);
    EXPECT_ERROR(claw_module_load(hip, xnack, s2, &m), CLAW_ERROR_MODULE_LOAD,
                 "hipErrorNoBinaryForGpu");
    free(xnack);
    SAME("refused HIP module loads");

    /* HIP counts threads in 32 bits per dimension: 2^24 blocks of 256 are refused
     * before the driver sees them; 2^24 - 1 blocks are fine. */
    EXPECT(claw_module_load(hip, fb, size, &m) == CLAW_SUCCESS, "HIP load");
    claw_kernel *k = NULL;
    claw_kernel_get(m, "saxpy", &k);
    claw_buffer *b = NULL;
    EXPECT(claw_alloc(hip, 64, &b) == CLAW_SUCCESS, "alloc");
    uint32_t n0 = 0;
    float a0 = 1.0f;
    uint64_t ba = claw_buffer_address(b);
    const void *args[] = {&n0, &a0, &ba, &ba};
    uint32_t big[3] = {1u << 24, 1, 1}, fits[3] = {(1u << 24) - 1, 1, 1}, blk[3] = {256, 1, 1};
    EXPECT_ERROR(claw_launch(k, big, blk, args, 4), CLAW_ERROR_LAUNCH_CONFIG, "grid.x = 16777216",
                 "2^32 - 1");
    EXPECT(claw_launch(k, fits, blk, args, 4) == CLAW_SUCCESS, "grid x block = 2^32 - 256");
    SAME("claw_launch on HIP");
    claw_free(b);
    claw_module_unload(m);

    /* A fat binary with only SPIR-V says why a CUDA device cannot run it. */
    claw_fb_image spv = {"spirv64-unknown-vulkan1.2",
                         "vulkan1.2",
                         CLAW_FB_IMG_SPIRV,
                         "\x03\x02\x23\x07",
                         4,
                         1,
                         kernels};
    size_t ssize;
    void *sfb = fatbin_of(&spv, 1, &ssize);
    EXPECT_ERROR(claw_module_load(cuda, sfb, ssize, &m), CLAW_ERROR_NO_IMAGE,
                 "CLAW_DEVICE=vulkan:0");
    EXPECT(claw_module_load(hip, sfb, ssize, &m) == CLAW_ERROR_NO_IMAGE, "SPIR-V only on HIP");
    free(sfb);

    /* A CUDA fault is sticky: after "trap", every call on the device fails as
     * a launch failure, until the context is destroyed (claw_shutdown
     * releases the primary context, the next claw_device_get makes a new
     * one). The application has no context current here. */
    void *popped;
    app.ctx_pop(&popped);
    want_ctx = NULL;
    EXPECT(claw_module_load(cuda, fb, size, &m) == CLAW_SUCCESS, "CUDA load");
    claw_kernel *trap = NULL;
    EXPECT(claw_kernel_get(m, "trap", &trap) == CLAW_SUCCESS, "kernel trap");
    EXPECT(claw_alloc(cuda, 64, &b) == CLAW_SUCCESS, "alloc");
    uint32_t one[3] = {1, 1, 1};
    EXPECT(claw_launch(trap, one, one, NULL, 0) == CLAW_SUCCESS, "trap launch is asynchronous");
    EXPECT_ERROR(claw_synchronize(cuda), CLAW_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED",
                 "cuCtxSynchronize");
    char host[64];
    EXPECT_ERROR(claw_read(b, 0, host, sizeof host), CLAW_ERROR_LAUNCH_FAILED,
                 "CUDA_ERROR_LAUNCH_FAILED", "cuMemcpyDtoH");
    EXPECT_ERROR(claw_write(b, 0, host, sizeof host), CLAW_ERROR_LAUNCH_FAILED,
                 "CUDA_ERROR_LAUNCH_FAILED");
    claw_buffer *b2;
    EXPECT_ERROR(claw_alloc(cuda, 64, &b2), CLAW_ERROR_LAUNCH_FAILED, "cuMemAlloc");
    EXPECT_ERROR(claw_launch(trap, one, one, NULL, 0), CLAW_ERROR_LAUNCH_FAILED, "cuLaunchKernel");
    claw_module *m2;
    EXPECT_ERROR(claw_module_load(cuda, fb, size, &m2), CLAW_ERROR_LAUNCH_FAILED,
                 "cuModuleLoadDataEx");
    EXPECT_ERROR(claw_synchronize(cuda), CLAW_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED");
    SAME("calls after a CUDA fault");
    claw_shutdown();
    SAME("claw_shutdown");
    /* A saxpy whose n runs past its buffers faults with an illegal address. */
    cuda = device(0);
    EXPECT(claw_module_load(cuda, fb, size, &m) == CLAW_SUCCESS, "CUDA load after the fault");
    k = NULL;
    claw_kernel_get(m, "saxpy", &k);
    EXPECT(claw_alloc(cuda, 64, &b) == CLAW_SUCCESS, "alloc after the fault");
    uint32_t n_big = 1000;
    ba = claw_buffer_address(b);
    EXPECT(claw_launch(k, (uint32_t[3]){4, 1, 1}, blk, args, 4) == CLAW_SUCCESS, "n = 0 launch");
    EXPECT(claw_synchronize(cuda) == CLAW_SUCCESS, "the context is new after claw_shutdown");
    args[0] = &n_big;
    EXPECT(claw_launch(k, (uint32_t[3]){4, 1, 1}, blk, args, 4) == CLAW_SUCCESS, "OOB launch");
    EXPECT_ERROR(claw_synchronize(cuda), CLAW_ERROR_LAUNCH_FAILED, "CUDA_ERROR_ILLEGAL_ADDRESS");
    claw_shutdown();
    SAME("claw_shutdown after a fault");

    /* A driver too old for clawc's PTX (ISA 7.8, CUDA 11.8) says to upgrade. */
    setenv("FAKE_CUDA_DRIVER_VERSION", "11040", 1);
    cuda = device(0);
    EXPECT_ERROR(claw_module_load(cuda, real_fb, real_size, &m), CLAW_ERROR_MODULE_LOAD,
                 "PTX ISA 7.8", "CUDA 11.8 or newer", "CUDA 11.4", "upgrade the NVIDIA driver");
    claw_shutdown();
    /* A driver newer than the runtime's table leaves the check to the JIT,
     * whose CUDA_ERROR_UNSUPPORTED_PTX_VERSION also says to upgrade. */
    setenv("FAKE_CUDA_DRIVER_VERSION", "13010", 1);
    cuda = device(0);
    EXPECT_ERROR(claw_module_load(cuda, newest_fb, newest_size, &m), CLAW_ERROR_MODULE_LOAD,
                 "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "upgrade the NVIDIA driver",
                 "Unsupported .version 9.5");
    claw_shutdown();
    unsetenv("FAKE_CUDA_DRIVER_VERSION");

    /* CLAW_DEVICE moves a device to index 0. */
    setenv("CLAW_DEVICE", "hip:0", 1);
    claw_device *first = device(0);
    claw_device_props_get(first, &p);
    EXPECT(p.backend == CLAW_BACKEND_HIP, "CLAW_DEVICE=hip:0 puts HIP first");
    claw_device_props_get(device(1), &p);
    EXPECT(p.backend == CLAW_BACKEND_CUDA, "CUDA follows");
    claw_shutdown();
    setenv("CLAW_DEVICE", "cuda:1", 1);
    EXPECT_ERROR(claw_device_count(&count), CLAW_ERROR_NO_DEVICE, "cuda:1", "cuda:0");
    claw_shutdown();

    /* HIP older than 5.1 is refused with the version found and what to
     * install, in both encodings of HIP_VERSION; the message reaches the
     * CLAW_DEVICE error. (The unversioned libamdhip64.so beside the fake is a
     * HIP 4.5: that it was never used shows the versioned names come first.) */
    setenv("CLAW_DEVICE", "hip:0", 1);
    static const struct {
        const char *version, *found;
    } old[] = {{"50000000", "HIP 5.0"}, {"40500000", "HIP 4.5"}, {"402", "HIP 4.2"}};
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
        setenv("FAKE_HIP_VERSION", old[i].version, 1);
        EXPECT_ERROR(claw_device_count(&count), CLAW_ERROR_NO_DEVICE, "hip:0", old[i].found,
                     "libamdhip64.so.6", "install ROCm 5.1 or newer");
        claw_shutdown();
    }
    unsetenv("CLAW_DEVICE");

    /* HIP 7 reports a device fault instead of aborting (HIP 5 and 6 abort,
     * and so does the fake below 7.0); the fault stays, process-wide, so this
     * comes last. */
    setenv("FAKE_HIP_VERSION", "70000000", 1);
    hip = device(1);
    EXPECT(claw_module_load(hip, fb, size, &m) == CLAW_SUCCESS, "HIP 7 load");
    trap = NULL;
    EXPECT(claw_kernel_get(m, "trap", &trap) == CLAW_SUCCESS, "kernel trap on HIP");
    EXPECT(claw_alloc(hip, 64, &b) == CLAW_SUCCESS, "alloc");
    EXPECT(claw_launch(trap, one, one, NULL, 0) == CLAW_SUCCESS, "HIP trap launch");
    EXPECT_ERROR(claw_synchronize(hip), CLAW_ERROR_LAUNCH_FAILED, "hipErrorLaunchFailure");
    EXPECT_ERROR(claw_read(b, 0, host, sizeof host), CLAW_ERROR_LAUNCH_FAILED,
                 "hipErrorLaunchFailure");
    SAME("calls after a HIP fault");
    claw_shutdown();
    unsetenv("FAKE_HIP_VERSION");
    app.ctx_destroy(popped);

    free(fb);
    free(bad_fb);
    free(new_fb);
    free(newest_fb);
    free(real_fb);
    if (failures) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("CUDA and HIP backends passed against the fake drivers\n");
    return 0;
}
