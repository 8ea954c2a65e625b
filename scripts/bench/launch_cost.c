/* launch_cost.c: the host time libclawrt adds to a kernel launch
 * (docs/benchmarks.md "Launch cost").
 *
 * Against the stand-in CUDA and HIP drivers of tests/e2e/fake/ (whose launch
 * of a "nop" kernel returns at once), it times, per launch:
 *   - the bare driver call (cuLaunchKernel with a prebuilt kernelParams
 *     array, hipModuleLaunchKernel with a prebuilt kernarg buffer), resolved
 *     with dlsym from the same library the runtime loaded;
 *   - claw_launch of the same kernel with 2, 8 and 32 pointer arguments;
 * (this thread's CPU time, see now()) with 16 and with 10,000 live buffers,
 * so the table shows both the
 * runtime's own overhead (the difference) and that it does not grow with
 * the number of buffers (pointer arguments are checked by binary search).
 *
 *   LD_LIBRARY_PATH=build/tests/e2e/fake build/scripts/bench/claw_launch_cost [--iters N]
 *
 * With --vulkan (CLAW_DEVICE=vulkan:0: lavapipe here) it compares claw_launch
 * of the kernels of launch_cost.claw (2, 8 and 32 pointer parameters,
 * embedded) with recording the same dispatch by hand on the runtime's own
 * VkDevice (claw_device_native) and queue family 0: allocate a command
 * buffer, the same two barriers, bind, push constants, dispatch, a fence,
 * submit, and retire finished ones, as runtime/vulkan.c does. By hand the
 * 32-argument kernel pushes the address of one argument buffer made once;
 * the runtime allocates one per launch.
 *
 * Prints a Markdown table; exit 1 on a runtime error, 77 without a device. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include "claw/claw.h"
#include "claw/fatbin.h"
#include "launch_cost.claw.h"

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

/* Host time per launch is this thread's CPU time, which a busy shared
 * machine does not inflate: recording and submitting a launch never
 * waits, and lavapipe runs the dispatches in threads of its own, so its
 * kernel time is not counted either (the final waits block, costing none). */

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The fake drivers' fat binary; also fills kernels[] and params[]. */
/* The smallest code object the fake HIP loads (as in tests/e2e/fake_fatbin.h):
 * an ELF64 header for gfx942, code object v5, whose section header entries
 * cover the "\0<kernel>.kd\0" names the fake looks for. */
static void
code_object(unsigned char obj[256])
{
    memset(obj, 0, 256);
    memcpy(obj,
           "\x7f"
           "ELF\x02\x01\x01\x40\x03",
           9);
    obj[18] = 224;  /* e_machine: EM_AMDGPU */
    obj[40] = 64;   /* e_shoff */
    obj[48] = 0x4c; /* e_flags: gfx942 */
    obj[49] = 0x05; /* xnack any, sramecc any */
    obj[58] = 64;   /* e_shentsize */
    obj[60] = 3;    /* e_shnum: 64 + 3 * 64 = 256 bytes */
    memcpy(obj + 64, "\0nop2.kd\0nop8.kd\0nop32.kd", 26);
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
        kernels[i] = (claw_fb_kernel){knames[i], (uint32_t)arg_counts[i], params, {0, 0, 0}, 0, 0};
    static const char ptx[] = ".version 8.0\n.target sm_80\n.entry nop2\n.entry nop8\n"
                              ".entry nop32\n";
    unsigned char obj[256];
    code_object(obj);
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
bare(claw_device *dev, claw_backend be, int ki, int nargs, int iters, const uint64_t *addrs)
{
    void *lib = dlopen(be == CLAW_BACKEND_CUDA ? "libcuda.so.1" : "libamdhip64.so.6",
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
        /* the device's context, current for these calls as for the runtime's */
        int (*push)(void *) = (int (*)(void *))dlsym(lib, "cuCtxPushCurrent_v2");
        int (*pop)(void **) = (int (*)(void **))dlsym(lib, "cuCtxPopCurrent_v2");
        void *ctx = NULL, *popped;
        CHECK(claw_device_native(dev, &ctx));
        if (push(ctx) != 0)
            exit(1);
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
        pop(&popped);
    } else {
        HipLoad load = (HipLoad)dlsym(lib, "hipModuleLoadData");
        CuGet get = (CuGet)dlsym(lib, "hipModuleGetFunction");
        CuLaunch launch = (CuLaunch)dlsym(lib, "hipModuleLaunchKernel");
        unsigned char obj[256];
        code_object(obj);
        load(&mod, obj);
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

/* ---- Vulkan: the same dispatch recorded by hand ------------------------------ */

#define VK_FNS(X)                                                                                  \
    X(vkGetDeviceQueue)                                                                            \
    X(vkCreateShaderModule)                                                                        \
    X(vkCreatePipelineLayout) X(vkCreateComputePipelines) X(vkCreateCommandPool)                   \
        X(vkAllocateCommandBuffers) X(vkFreeCommandBuffers) X(vkBeginCommandBuffer)                \
            X(vkEndCommandBuffer) X(vkCmdBindPipeline) X(vkCmdPushConstants) X(vkCmdDispatch)      \
                X(vkCmdPipelineBarrier) X(vkQueueSubmit) X(vkCreateFence) X(vkDestroyFence)        \
                    X(vkGetFenceStatus) X(vkWaitForFences) X(vkDestroyPipeline)                    \
                        X(vkDestroyPipelineLayout) X(vkDestroyShaderModule)                        \
                            X(vkDestroyCommandPool)

static struct {
#define X(name) PFN_##name name;
    VK_FNS(X)
#undef X
} vkf;

typedef struct Hand {
    VkDevice dev;
    VkQueue queue;
    VkCommandPool pool;
    VkShaderModule shader;
    VkPipelineLayout layout;
    VkPipeline pipe[3];
    VkCommandBuffer *cmd;
    VkFence *fence;
    size_t n, done;
} Hand;

static void
vk_check(VkResult r, const char *what)
{
    if (r != VK_SUCCESS) {
        fprintf(stderr, "%s failed: %d\n", what, (int)r);
        exit(1);
    }
}

static void
hand_open(Hand *h, VkDevice dev, int iters)
{
    void *lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!lib) {
        fprintf(stderr, "libvulkan.so.1 is not loaded\n");
        exit(1);
    }
#define X(name)                                                                                    \
    if (!(vkf.name = (PFN_##name)dlsym(lib, #name))) {                                             \
        fprintf(stderr, "libvulkan.so.1 lacks %s\n", #name);                                       \
        exit(1);                                                                                   \
    }
    VK_FNS(X)
#undef X
    memset(h, 0, sizeof *h);
    h->dev = dev;
    vkf.vkGetDeviceQueue(dev, 0, 0, &h->queue);
    claw_fb_file *f;
    char err[256];
    if (claw_fb_read(launch_cost_clawfb, sizeof launch_cost_clawfb, &f, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    const claw_fb_image *img = &f->images[0];
    VkShaderModuleCreateInfo si = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                   .codeSize = img->size,
                                   .pCode = (const uint32_t *)img->data};
    vk_check(vkf.vkCreateShaderModule(dev, &si, NULL, &h->shader), "vkCreateShaderModule");
    claw_fb_free(f);
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, 128};
    VkPipelineLayoutCreateInfo li = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                     .pushConstantRangeCount = 1,
                                     .pPushConstantRanges = &range};
    vk_check(vkf.vkCreatePipelineLayout(dev, &li, NULL, &h->layout), "vkCreatePipelineLayout");
    uint32_t block[3] = {64, 1, 1};
    VkSpecializationMapEntry map[3] = {{0, 0, 4}, {1, 4, 4}, {2, 8, 4}};
    VkSpecializationInfo spec = {3, map, sizeof block, block};
    for (int i = 0; i < 3; i++) {
        VkComputePipelineCreateInfo ci = {
            .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
            .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                      .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                      .module = h->shader,
                      .pName = kernels[i].name,
                      .pSpecializationInfo = &spec},
            .layout = h->layout};
        vk_check(vkf.vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &ci, NULL, &h->pipe[i]),
                 "vkCreateComputePipelines");
    }
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT};
    vk_check(vkf.vkCreateCommandPool(dev, &pci, NULL, &h->pool), "vkCreateCommandPool");
    h->cmd = calloc((size_t)iters, sizeof *h->cmd);
    h->fence = calloc((size_t)iters, sizeof *h->fence);
}

static void
hand_retire(Hand *h, bool wait)
{
    while (h->done < h->n) {
        if (wait)
            vkf.vkWaitForFences(h->dev, 1, &h->fence[h->done], VK_TRUE, UINT64_MAX);
        else if (vkf.vkGetFenceStatus(h->dev, h->fence[h->done]) != VK_SUCCESS)
            break;
        vkf.vkFreeCommandBuffers(h->dev, h->pool, 1, &h->cmd[h->done]);
        vkf.vkDestroyFence(h->dev, h->fence[h->done], NULL);
        h->done++;
    }
}

/* One launch of kernel ki by hand: what vk_launch_on records. */
static void
hand_launch(Hand *h, int ki, const void *push, uint32_t push_size)
{
    hand_retire(h, false);
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = h->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkCommandBuffer cmd;
    vk_check(vkf.vkAllocateCommandBuffers(h->dev, &ai, &cmd), "vkAllocateCommandBuffers");
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    vkf.vkBeginCommandBuffer(cmd, &bi);
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT |
                                           VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                           VK_ACCESS_TRANSFER_READ_BIT |
                                           VK_ACCESS_TRANSFER_WRITE_BIT};
    vkf.vkCmdPipelineBarrier(cmd,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT |
                                 VK_PIPELINE_STAGE_HOST_BIT,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                             0, 1, &mb, 0, NULL, 0, NULL);
    vkf.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, h->pipe[ki]);
    vkf.vkCmdPushConstants(cmd, h->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size, push);
    uint32_t lb[4] = {0, 1, 1, 1};
    vkf.vkCmdPushConstants(cmd, h->layout, VK_SHADER_STAGE_COMPUTE_BIT, 112, sizeof lb, lb);
    vkf.vkCmdDispatch(cmd, 1, 1, 1);
    VkMemoryBarrier hb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask =
                              VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkf.vkCmdPipelineBarrier(cmd,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                             VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &hb, 0, NULL, 0, NULL);
    vkf.vkEndCommandBuffer(cmd);
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    vk_check(vkf.vkCreateFence(h->dev, &fci, NULL, &fence), "vkCreateFence");
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    vk_check(vkf.vkQueueSubmit(h->queue, 1, &si, fence), "vkQueueSubmit");
    h->cmd[h->n] = cmd;
    h->fence[h->n] = fence;
    h->n++;
}

static void
hand_close(Hand *h)
{
    hand_retire(h, true);
    for (int i = 0; i < 3; i++)
        vkf.vkDestroyPipeline(h->dev, h->pipe[i], NULL);
    vkf.vkDestroyPipelineLayout(h->dev, h->layout, NULL);
    vkf.vkDestroyShaderModule(h->dev, h->shader, NULL);
    vkf.vkDestroyCommandPool(h->dev, h->pool, NULL);
    free(h->cmd);
    free(h->fence);
}

static int
run_vulkan(int iters)
{
    int count = 0;
    claw_device *dev;
    if (claw_device_count(&count) != CLAW_SUCCESS || count < 1 ||
        claw_device_get(0, &dev) != CLAW_SUCCESS) {
        printf("skipped: no device (%s)\n", claw_last_error());
        return 77;
    }
    claw_device_props p;
    CHECK(claw_device_props_get(dev, &p));
    if (p.backend != CLAW_BACKEND_VULKAN) {
        printf("skipped: device 0 is not a Vulkan device (set CLAW_DEVICE=vulkan:0)\n");
        return 77;
    }
    free(make_fatbin(&(size_t){0})); /* fills kernels[] with the names */
    claw_module *m;
    CHECK(launch_cost_module_load(dev, &m));
    void *native;
    CHECK(claw_device_native(dev, &native));
    claw_buffer *bufs[MAXARGS + 1];
    uint64_t addrs[MAXARGS];
    for (int i = 0; i <= MAXARGS; i++)
        CHECK(claw_alloc(dev, 256, &bufs[i]));
    for (int i = 0; i < MAXARGS; i++)
        addrs[i] = claw_buffer_address(bufs[i]);
    uint64_t argbuf = claw_buffer_address(bufs[MAXARGS]);
    printf("| device | arguments | by hand (us) | claw_launch (us) | runtime overhead (us) |\n"
           "|---|---|---|---|---|\n");
    for (int ki = 0; ki < 3; ki++) {
        int n = arg_counts[ki];
        claw_kernel *k;
        CHECK(claw_kernel_get(m, kernels[ki].name, &k));
        runtime(k, n, iters / 10 + 1, addrs); /* warm-up: the pipeline */
        CHECK(claw_synchronize(dev));
        double t0 = now();
        runtime(k, n, iters, addrs);
        CHECK(claw_synchronize(dev));
        double r = (now() - t0) * 1e6 / iters;
        Hand h;
        hand_open(&h, (VkDevice)native, iters);
        bool direct = n * 8 <= 104; /* RT_PUSH_ARGS_LIMIT */
        t0 = now();
        for (int i = 0; i < iters; i++)
            hand_launch(&h, ki, direct ? (const void *)addrs : (const void *)&argbuf,
                        direct ? (uint32_t)n * 8 : 8);
        hand_retire(&h, true);
        double b = (now() - t0) * 1e6 / iters;
        hand_close(&h);
        printf("| %s | %d | %.2f | %.2f | %.2f |\n", p.name, n, b, r, r - b);
    }
    for (int i = 0; i <= MAXARGS; i++)
        claw_free(bufs[i]);
    claw_module_unload(m);
    claw_shutdown();
    return 0;
}

int
main(int argc, char **argv)
{
    int iters = 200000;
    bool vulkan = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--vulkan") == 0) {
            vulkan = true;
        } else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            iters = atoi(argv[++i]);
        } else {
            iters = 0;
            break;
        }
    }
    if (iters <= 0) {
        fprintf(stderr, "usage: %s [--vulkan] [--iters N]\n", argv[0]);
        return 2;
    }
    if (vulkan)
        return run_vulkan(iters > 20000 ? 20000 : iters);
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
                bare(dev, p.backend, ki, n, iters / 10, addrs);
                double b = bare(dev, p.backend, ki, n, iters, addrs);
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
