/* launch_cost.c: the host time libclawrt adds to a kernel launch
 * (docs/benchmarks.md "Launch cost").
 *
 * Against the stand-in CUDA and HIP drivers of tests/e2e/fake/ (whose launch
 * of a "nop" kernel returns at once), it times, per launch:
 *   - the bare driver call (cuLaunchKernel with a prebuilt kernelParams
 *     array, hipModuleLaunchKernel with a prebuilt kernarg buffer), resolved
 *     with dlsym from the same library the runtime loaded;
 *   - claw_launch of the same kernel with 2, 8 and 32 pointer arguments;
 * with 16 and with 10,000 live buffers, so the table shows both the
 * runtime's own overhead (the difference) and that it does not grow with
 * the number of buffers (pointer arguments are checked by binary search).
 *
 *   LD_LIBRARY_PATH=build/tests/e2e/fake build/scripts/bench/claw_launch_cost [--iters N]
 *
 * Prints a Markdown table; exit 1 on a runtime error, 77 without the fakes. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claw/claw.h"
#include "claw/fatbin.h"

enum { MAXARGS = 32 };

static const int arg_counts[] = {2, 8, 32};
static claw_fb_param params[MAXARGS];
static claw_fb_kernel kernels[3];

#define CHECK(call)                                                                                \
    do {                                                                                           \
        claw_status s_ = (call);                                                                   \
        if (s_ != CLAW_SUCCESS) {                                                                  \
            fprintf(stderr, "%s: %s\n", #call, claw_last_error());                                 \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *
make_fatbin(size_t *size)
{
    static char names[MAXARGS][8];
    for (int i = 0; i < MAXARGS; i++) {
        snprintf(names[i], sizeof names[i], "p%d", i);
        params[i] = (claw_fb_param){names[i], CLAW_FB_PARAM_POINTER, 8, 8};
    }
    static const char *knames[3] = {"nop2", "nop8", "nop32"};
    for (int i = 0; i < 3; i++)
        kernels[i] = (claw_fb_kernel){knames[i], (uint32_t)arg_counts[i], params, {0, 0, 0}, 0};
    static const char ptx[] = ".version 8.0\n.target sm_80\n.entry nop2\n.entry nop8\n"
                              ".entry nop32\n";
    static const char obj[] = "\x7f"
                              "ELF nop2 nop8 nop32";
    claw_fb_image images[] = {
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, strlen(ptx), 3, kernels},
        {"amdgcn-amd-amdhsa", "gfx942", CLAW_FB_IMG_OBJECT, obj, sizeof obj, 3, kernels},
    };
    void *out;
    char err[256];
    if (claw_fb_write(images, 2, &out, size, err, sizeof err) != 0) {
        fprintf(stderr, "claw_fb_write: %s\n", err);
        exit(1);
    }
    return out;
}

typedef int (*CuLaunch)(void *, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                        unsigned, void *, void **, void **);
typedef int (*CuLoad)(void **, const void *, unsigned, int *, void **);
typedef int (*CuGet)(void **, void *, const char *);
typedef int (*HipLoad)(void **, const void *);

/* Nanoseconds per bare driver launch of kernel ki with nargs pointers. */
static double
bare(claw_backend be, int ki, int nargs, int iters, const uint64_t *addrs)
{
    void *lib = dlopen(be == CLAW_BACKEND_CUDA ? "libcuda.so.1" : "libamdhip64.so",
                       RTLD_NOW | RTLD_NOLOAD);
    if (!lib) {
        fprintf(stderr, "the runtime has not loaded the fake driver\n");
        exit(1);
    }
    void *mod = NULL, *fn = NULL;
    uint32_t grid = 1, block = 64;
    double t0, t1;
    if (be == CLAW_BACKEND_CUDA) {
        CuLoad load = (CuLoad)dlsym(lib, "cuModuleLoadDataEx");
        CuGet get = (CuGet)dlsym(lib, "cuModuleGetFunction");
        CuLaunch launch = (CuLaunch)dlsym(lib, "cuLaunchKernel");
        load(&mod, ".version 8.0\n.entry nop2\n.entry nop8\n.entry nop32\n", 0, NULL, NULL);
        get(&fn, mod, kernels[ki].name);
        void *kp[MAXARGS];
        for (int i = 0; i < nargs; i++)
            kp[i] = (void *)&addrs[i];
        t0 = now();
        for (int i = 0; i < iters; i++)
            if (launch(fn, grid, 1, 1, block, 1, 1, 0, NULL, kp, NULL) != 0)
                exit(1);
        t1 = now();
    } else {
        HipLoad load = (HipLoad)dlsym(lib, "hipModuleLoadData");
        CuGet get = (CuGet)dlsym(lib, "hipModuleGetFunction");
        CuLaunch launch = (CuLaunch)dlsym(lib, "hipModuleLaunchKernel");
        load(&mod, "\x7f"
                   "ELF nop2 nop8 nop32");
        get(&fn, mod, kernels[ki].name);
        size_t size = (size_t)nargs * 8;
        void *extra[5] = {(void *)1, (void *)addrs, (void *)2, &size, (void *)3};
        t0 = now();
        for (int i = 0; i < iters; i++)
            if (launch(fn, grid, 1, 1, block, 1, 1, 0, NULL, NULL, extra) != 0)
                exit(1);
        t1 = now();
    }
    dlclose(lib);
    return (t1 - t0) * 1e9 / iters;
}

static double
runtime(claw_kernel *k, int nargs, int iters, const uint64_t *addrs)
{
    const void *args[MAXARGS];
    for (int i = 0; i < nargs; i++)
        args[i] = &addrs[i];
    uint32_t grid[3] = {1, 1, 1}, block[3] = {64, 1, 1};
    double t0 = now();
    for (int i = 0; i < iters; i++)
        CHECK(claw_launch(k, grid, block, args, (size_t)nargs));
    return (now() - t0) * 1e9 / iters;
}

int
main(int argc, char **argv)
{
    int iters = 200000;
    if (argc == 3 && strcmp(argv[1], "--iters") == 0)
        iters = atoi(argv[2]);
    if (iters <= 0) {
        fprintf(stderr, "usage: %s [--iters N]\n", argv[0]);
        return 2;
    }
    unsetenv("CLAW_DEVICE");
    int count = 0;
    if (claw_device_count(&count) != CLAW_SUCCESS || count < 2) {
        printf("skipped: the fake CUDA and HIP drivers are not on LD_LIBRARY_PATH\n");
        return 77;
    }
    size_t size;
    void *fb = make_fatbin(&size);
    printf("| driver | live buffers | arguments | bare driver call (ns) | claw_launch (ns) | "
           "runtime overhead (ns) |\n|---|---|---|---|---|---|\n");
    for (int d = 0; d < 2; d++) {
        claw_device *dev;
        CHECK(claw_device_get(d, &dev));
        claw_device_props p;
        CHECK(claw_device_props_get(dev, &p));
        claw_module *m;
        CHECK(claw_module_load(dev, fb, size, &m));
        static const int live[2] = {16, 10000};
        for (int li = 0; li < 2; li++) {
            claw_buffer **bufs = calloc((size_t)live[li], sizeof *bufs);
            uint64_t addrs[MAXARGS];
            for (int i = 0; i < live[li]; i++)
                CHECK(claw_alloc(dev, 256, &bufs[i]));
            for (int i = 0; i < MAXARGS; i++) /* spread over the live buffers */
                addrs[i] = claw_buffer_address(bufs[(size_t)i * 7919 % (size_t)live[li]]) + 16;
            for (int ki = 0; ki < 3; ki++) {
                claw_kernel *k;
                CHECK(claw_kernel_get(m, kernels[ki].name, &k));
                int n = arg_counts[ki];
                runtime(k, n, iters / 10, addrs); /* warm-up */
                double b = bare(p.backend, ki, n, iters, addrs);
                double r = runtime(k, n, iters, addrs);
                printf("| fake %s | %d | %d | %.1f | %.1f | %.1f |\n",
                       p.backend == CLAW_BACKEND_CUDA ? "CUDA" : "HIP", live[li], n, b, r, r - b);
            }
            for (int i = 0; i < live[li]; i++)
                claw_free(bufs[i]);
            free(bufs);
        }
        claw_module_unload(m);
    }
    free(fb);
    claw_shutdown();
    return 0;
}
