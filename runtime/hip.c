/* hip.c: the HIP backend of libclawrt, for AMD GPUs.
 *
 * libamdhip64 is opened with dlopen the first time devices are listed, the
 * versioned names newest first (.so.7, .so.6, .so.5) and the unversioned
 * name last, since that may be an old HIP; hipRuntimeGetVersion must then
 * say HIP 5.1 or newer (code object v5, the attribute numbering below), or
 * the backend refuses with a message naming the version found. The types,
 * attribute numbers and entry points used are declared here from the
 * documented HIP API (HIP 5.1 to 7 agree on them), so no ROCm SDK is needed
 * to build. Each backend call makes its device the thread's HIP device and
 * then the caller's device again (hip_enter, hip_leave). AMDGPU code objects
 * are loaded with hipModuleLoadData; arguments travel as one packed kernarg
 * block (HIP_LAUNCH_PARAM_BUFFER_POINTER), which is exactly the C layout the
 * core builds, as the AMDGPU kernel ABI lays explicit arguments out
 * (AMDGPUUsage, "Kernel Argument Metadata"). The device's gfx name comes
 * from hipDeviceProp_t.gcnArchName; since that struct's layout changed
 * between HIP versions, the name is found by searching the filled struct for
 * the "gfx" string rather than by a field offset. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

typedef int hipError_t;
typedef struct ihipModule_t *hipModule_t;
typedef struct ihipModuleSymbol_t *hipFunction_t;
typedef struct ihipStream_t *hipStream_t;
typedef struct ihipEvent_t *hipEvent_t;

enum {
    hipSuccess = 0,
    hipErrorOutOfMemory = 2,
    hipErrorInvalidConfiguration = 9,
    hipErrorLaunchOutOfResources = 701,
    /* hipDeviceAttribute_t as HIP 5.0 renumbered it, unchanged through HIP
     * 7 (hip_runtime_api.h of ROCm 5.0, 5.1, 5.7, 6.0, 6.2 and 7); HIP 4.x
     * had other numbers (MaxThreadsPerBlock 0, MaxBlockDimX 1..3, MaxGridDimX
     * 4..6, MaxSharedMemoryPerBlock 7, WarpSize 9), one reason hip_init
     * refuses HIP older than 5.1 instead of guessing. */
    HIP_ATTR_MAX_BLOCK_DIM_X = 26, /* Y = 27, Z = 28 */
    HIP_ATTR_MAX_GRID_DIM_X = 29,  /* Y = 30, Z = 31 */
    HIP_ATTR_MAX_THREADS_PER_BLOCK = 56,
    HIP_ATTR_MAX_SHARED_MEMORY_PER_BLOCK = 74,
    HIP_ATTR_WARP_SIZE = 87,
};

/* hipModuleLaunchKernel `extra` tags (hip_runtime_api.h). */
#define HIP_LAUNCH_PARAM_BUFFER_POINTER ((void *)0x01)
#define HIP_LAUNCH_PARAM_BUFFER_SIZE    ((void *)0x02)
#define HIP_LAUNCH_PARAM_END            ((void *)0x03)

typedef hipError_t (*HipGetPropsFn)(void *props, int device);

static struct {
    void *lib;
#define HIP_FN(name, ret, params) ret(*name) params;
#include "hip.def"
#undef HIP_FN
    HipGetPropsFn get_props;
    bool initialised;
    int count;
    int version;          /* 100 * major + minor of the HIP runtime */
    const char *lib_name; /* the file name that dlopen found */
} hip;

/* The oldest HIP libclawrt uses: 5.1 loads the code objects clawc emits
 * (code object v5), and has the attribute numbers above. */
enum { HIP_MIN_VERSION = 501 };

static const char *
hip_name(hipError_t e)
{
    const char *s = hip.hipGetErrorName ? hip.hipGetErrorName(e) : NULL;
    return s ? s : "hipErrorUnknown";
}

/* Results that mean a kernel failed on the device. HIP 7 reports them, on
 * every later call too; HIP 5 and 6 abort the process before any call can
 * (docs/runtime.md, "Backends: CUDA / HIP versions, faults, interop"). */
static bool
hip_fault(hipError_t e)
{
    switch (e) {
    case 214: /* hipErrorECCNotCorrectable */
    case 700: /* hipErrorIllegalAddress */
    case 702: /* hipErrorLaunchTimeOut */
    case 710: /* hipErrorAssert */
    case 719: /* hipErrorLaunchFailure */ return true;
    }
    return false;
}

/* Reports a failed HIP call in the class its result belongs to (see
 * cu_fail in cuda.c). */
static claw_status
hip_fail(claw_status s, hipError_t e, const char *what)
{
    if (e == hipErrorOutOfMemory)
        s = CLAW_ERROR_OUT_OF_MEMORY;
    if (e == hipErrorInvalidConfiguration || e == hipErrorLaunchOutOfResources)
        s = CLAW_ERROR_LAUNCH_CONFIG;
    if (hip_fault(e))
        return rt_error(CLAW_ERROR_LAUNCH_FAILED,
                        "HIP: %s failed: %s (%d): a kernel failed on the device; HIP reports "
                        "this on every later call in this process (restart it to use the GPU "
                        "again)",
                        what, hip_name(e), e);
    return rt_error(s, "HIP: %s failed: %s (%d)", what, hip_name(e), e);
}

/* Forgets the runtime state but keeps libamdhip64 loaded (it cannot be
 * re-initialised safely once unloaded); a later hip_init reuses the handle. */
static void
hip_shutdown(void)
{
    void *lib = hip.lib;
    const char *lib_name = hip.lib_name;
    memset(&hip, 0, sizeof hip);
    hip.lib = lib;
    hip.lib_name = lib_name;
}

/* Reads HIP_VERSION as hipRuntimeGetVersion and hipDriverGetVersion report
 * it, 10000000 * major + 100000 * minor + patch (HIP 4.0 and older: 100 *
 * major + minor), as 100 * major + minor; -1 for anything else. */
static int
hip_decode_version(int v)
{
    if (v >= 10000000)
        return v / 10000000 * 100 + v / 100000 % 100;
    if (v >= 100 && v < 10000)
        return v;
    return -1;
}

/* Refuses a HIP runtime older than HIP_MIN_VERSION, or one whose version
 * cannot be read: an unchecked HIP could number its attributes differently
 * and would refuse every code object clawc writes. */
static claw_status
hip_check_version(void)
{
    int rv = 0, dv = 0;
    hipError_t e = hip.hipRuntimeGetVersion(&rv);
    if (e != hipSuccess)
        return rt_error(CLAW_ERROR_NO_DEVICE,
                        "HIP: hipRuntimeGetVersion failed in %s: %s (%d); libclawrt does not "
                        "use a HIP whose version it cannot check",
                        hip.lib_name, hip_name(e), e);
    if (hip.hipDriverGetVersion(&dv) != hipSuccess)
        dv = 0;
    int v = hip_decode_version(rv);
    if (v < HIP_MIN_VERSION) {
        char found[32] = "an unknown version";
        if (v >= 0)
            snprintf(found, sizeof found, "HIP %d.%d", v / 100, v % 100);
        return rt_error(CLAW_ERROR_NO_DEVICE,
                        "HIP: %s is %s (hipRuntimeGetVersion = %d, hipDriverGetVersion = %d); "
                        "libclawrt needs HIP %d.%d or newer, whose loader reads the code object "
                        "v5 that clawc emits: install ROCm %d.%d or newer (ROCm 6 or 7)",
                        hip.lib_name, found, rv, dv, HIP_MIN_VERSION / 100, HIP_MIN_VERSION % 100,
                        HIP_MIN_VERSION / 100, HIP_MIN_VERSION % 100);
    }
    hip.version = v;
    return CLAW_SUCCESS;
}

static claw_status
hip_init(int *count)
{
    *count = 0;
    if (hip.initialised) {
        *count = hip.count;
        return CLAW_SUCCESS;
    }
    /* Newest first; the unversioned name (a development symlink) last. */
    static const char *const names[] = {"libamdhip64.so.7", "libamdhip64.so.6", "libamdhip64.so.5",
                                        "libamdhip64.so"};
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !hip.lib; i++)
        if ((hip.lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL)))
            hip.lib_name = names[i];
    if (!hip.lib)
        return rt_error(CLAW_ERROR_NO_DEVICE,
                        "HIP: cannot open libamdhip64.so.7, .so.6, .so.5 or libamdhip64.so: %s",
                        dlerror());
#define HIP_FN(name, ret, params)                                                                  \
    if (!(*(void **)&hip.name = dlsym(hip.lib, #name))) {                                          \
        hip_shutdown();                                                                            \
        return rt_error(CLAW_ERROR_NO_DEVICE, "HIP: %s lacks %s (HIP too old)", hip.lib_name,      \
                        #name);                                                                    \
    }
#include "hip.def"
#undef HIP_FN
    claw_status s = hip_check_version();
    if (s != CLAW_SUCCESS) {
        hip_shutdown();
        return s;
    }
    /* HIP 6 renamed the current layout's entry point; either has gcnArchName. */
    *(void **)&hip.get_props = dlsym(hip.lib, "hipGetDevicePropertiesR0600");
    if (!hip.get_props)
        *(void **)&hip.get_props = dlsym(hip.lib, "hipGetDeviceProperties");
    hipError_t e = hip.hipInit(0);
    int n = 0;
    if (e == hipSuccess)
        e = hip.hipGetDeviceCount(&n);
    if (e != hipSuccess) {
        s = hip_fail(CLAW_ERROR_NO_DEVICE, e, "hipInit");
        hip_shutdown();
        return s;
    }
    hip.initialised = true;
    hip.count = n;
    *count = n;
    return CLAW_SUCCESS;
}

/* Makes dev the calling thread's HIP device for one backend call; *saved
 * gets the caller's own device, which hip_leave makes current again, so an
 * application using HIP itself finds its device as it left it. */
static claw_status
hip_enter(claw_device *dev, int *saved)
{
    hipError_t e = hip.hipGetDevice(saved);
    if (e != hipSuccess)
        return hip_fail(CLAW_ERROR_DEVICE, e, "hipGetDevice");
    if (*saved == dev->native_index)
        return CLAW_SUCCESS;
    e = hip.hipSetDevice(dev->native_index);
    return e == hipSuccess ? CLAW_SUCCESS : hip_fail(CLAW_ERROR_DEVICE, e, "hipSetDevice");
}

/* Gives the thread back the device hip_enter saved and passes s through. */
static claw_status
hip_leave(claw_device *dev, int saved, claw_status s)
{
    if (saved != dev->native_index)
        hip.hipSetDevice(saved);
    return s;
}

/* Finds "gfx<alnum>..." in a filled hipDeviceProp_t (see the file comment). */
static bool
find_gfx_name(const char *props, size_t size, char *out, size_t outlen)
{
    for (size_t i = 0; i + 4 < size; i++) {
        if (memcmp(props + i, "gfx", 3) != 0 || (i > 0 && props[i - 1] != '\0'))
            continue;
        size_t n = strnlen(props + i, size - i);
        if (n == size - i || n < 4 || n >= outlen)
            continue;
        memcpy(out, props + i, n + 1);
        rt_hip_arch_name(out, out, outlen);
        return true;
    }
    return false;
}

static void hip_features(claw_device *dev);

static claw_status
hip_device_open(claw_device *dev)
{
    /* Every call here names its device, so the thread's device is untouched. */
    int idx = dev->native_index, v = 0;
    claw_device_props *p = &dev->props;
    p->backend = CLAW_BACKEND_HIP;
    if (hip.hipDeviceGetName(p->name, (int)sizeof p->name, idx) != hipSuccess)
        snprintf(p->name, sizeof p->name, "HIP device %d", idx);
    /* Larger than any hipDeviceProp_t so far (about 1.5 KiB). */
    enum { PROPS_BYTES = 16384 };
    char *props = calloc(1, PROPS_BYTES);
    if (!props)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "HIP: out of memory");
    if (!hip.get_props || hip.get_props(props, idx) != hipSuccess ||
        !find_gfx_name(props, PROPS_BYTES, p->arch, sizeof p->arch)) {
        free(props);
        return rt_error(CLAW_ERROR_NO_DEVICE, "HIP: cannot read the gfx architecture of %s",
                        p->name);
    }
    free(props);
    hip_features(dev);
    size_t mem = 0;
    hip.hipDeviceTotalMem(&mem, idx);
    p->global_mem_bytes = mem;
    if (hip.hipDeviceGetAttribute(&v, HIP_ATTR_MAX_THREADS_PER_BLOCK, idx) == hipSuccess && v > 0)
        p->max_threads_per_block = (uint32_t)v;
    if (hip.hipDeviceGetAttribute(&v, HIP_ATTR_MAX_SHARED_MEMORY_PER_BLOCK, idx) == hipSuccess &&
        v > 0)
        p->shared_mem_per_block = (uint32_t)v;
    if (hip.hipDeviceGetAttribute(&v, HIP_ATTR_WARP_SIZE, idx) == hipSuccess && v > 0)
        p->subgroup_size = (uint32_t)v;
    for (int i = 0; i < 3; i++) {
        v = 0;
        hip.hipDeviceGetAttribute(&v, HIP_ATTR_MAX_BLOCK_DIM_X + i, idx);
        dev->limits.max_block[i] = v > 0 ? (uint32_t)v : 1;
        v = 0;
        hip.hipDeviceGetAttribute(&v, HIP_ATTR_MAX_GRID_DIM_X + i, idx);
        dev->limits.max_grid[i] = v > 0 ? (uint32_t)v : 1;
    }
    return CLAW_SUCCESS;
}

static void
hip_device_close(claw_device *dev)
{
    dev->native = NULL;
}

static claw_status
hip_module_load(claw_device *dev, claw_module *m)
{
    int saved;
    claw_status s = hip_enter(dev, &saved);
    if (s != CLAW_SUCCESS)
        return s;
    hipModule_t mod;
    hipError_t e = hip.hipModuleLoadData(&mod, m->image->data);
    if (e != hipSuccess && hip_fault(e))
        return hip_leave(dev, saved, hip_fail(CLAW_ERROR_MODULE_LOAD, e, "hipModuleLoadData"));
    if (e != hipSuccess)
        return hip_leave(dev, saved,
                         rt_error(CLAW_ERROR_MODULE_LOAD,
                                  "HIP: hipModuleLoadData refused the %s image on %s (%s): %s (%d)",
                                  m->image->arch, dev->props.name, dev->props.arch, hip_name(e),
                                  e));
    m->native = mod;
    return hip_leave(dev, saved, CLAW_SUCCESS);
}

static void
hip_module_unload(claw_module *m)
{
    /* Unloaded even when the device cannot be made current (after a HIP 7
     * fault every call fails): the handle names its device. */
    int saved;
    bool entered = hip_enter(m->dev, &saved) == CLAW_SUCCESS;
    hip.hipModuleUnload(m->native);
    if (entered)
        hip_leave(m->dev, saved, CLAW_SUCCESS);
    m->native = NULL;
}

static claw_status
hip_kernel_get(claw_kernel *k)
{
    claw_device *dev = k->mod->dev;
    int saved;
    claw_status s = hip_enter(dev, &saved);
    if (s != CLAW_SUCCESS)
        return s;
    hipFunction_t f;
    hipError_t e = hip.hipModuleGetFunction(&f, k->mod->native, k->meta->name);
    if (e != hipSuccess && hip_fault(e))
        return hip_leave(dev, saved,
                         hip_fail(CLAW_ERROR_KERNEL_NOT_FOUND, e, "hipModuleGetFunction"));
    if (e != hipSuccess)
        return hip_leave(dev, saved,
                         rt_error(CLAW_ERROR_KERNEL_NOT_FOUND,
                                  "HIP: the code object has no kernel '%s': %s", k->meta->name,
                                  hip_name(e)));
    k->native = f;
    return hip_leave(dev, saved, CLAW_SUCCESS);
}

static void
hip_kernel_release(claw_kernel *k)
{
    k->native = NULL;
}

static claw_status
hip_alloc(claw_device *dev, claw_buffer *b)
{
    int saved;
    claw_status s = hip_enter(dev, &saved);
    if (s != CLAW_SUCCESS)
        return s;
    void *p;
    hipError_t e = hip.hipMalloc(&p, b->size);
    if (e != hipSuccess)
        return hip_leave(dev, saved, hip_fail(CLAW_ERROR_DEVICE, e, "hipMalloc"));
    b->native = p;
    b->address = (uint64_t)(uintptr_t)p;
    return hip_leave(dev, saved, CLAW_SUCCESS);
}

static void
hip_free(claw_buffer *b)
{
    int saved; /* freed even when the device cannot be made current, as above */
    bool entered = hip_enter(b->dev, &saved) == CLAW_SUCCESS;
    hip.hipFree(b->native);
    if (entered)
        hip_leave(b->dev, saved, CLAW_SUCCESS);
}

static claw_status
hip_write(claw_buffer *b, size_t offset, const void *src, size_t bytes)
{
    int saved;
    claw_status s = hip_enter(b->dev, &saved);
    if (s != CLAW_SUCCESS)
        return s;
    hipError_t e = hip.hipMemcpyHtoD((char *)b->native + offset, src, bytes);
    return hip_leave(b->dev, saved,
                     e == hipSuccess ? CLAW_SUCCESS
                                     : hip_fail(CLAW_ERROR_DEVICE, e, "hipMemcpyHtoD"));
}

static claw_status
hip_read(claw_buffer *b, size_t offset, void *dst, size_t bytes)
{
    int saved;
    claw_status s = hip_enter(b->dev, &saved);
    if (s != CLAW_SUCCESS)
        return s;
    hipError_t e = hip.hipMemcpyDtoH(dst, (char *)b->native + offset, bytes);
    return hip_leave(b->dev, saved,
                     e == hipSuccess ? CLAW_SUCCESS
                                     : hip_fail(CLAW_ERROR_DEVICE, e, "hipMemcpyDtoH"));
}

static claw_status
hip_launch(claw_kernel *k, const uint32_t grid[3], const uint32_t block[3], const void *packed,
           const void *const *args)
{
    /* HIP dispatches count work-items in 32 bits per dimension (the HSA AQL
     * packet's grid_size), so grid x block must stay below 2^32; HIP itself
     * would only answer hipErrorInvalidConfiguration. */
    for (int i = 0; i < 3; i++)
        if ((uint64_t)grid[i] * block[i] > UINT32_MAX)
            return rt_error(CLAW_ERROR_LAUNCH_CONFIG,
                            "HIP: grid.%c = %u blocks of %u threads is %llu threads; HIP launches "
                            "at most 2^32 - 1 threads per dimension",
                            "xyz"[i], grid[i], block[i], (unsigned long long)grid[i] * block[i]);
    claw_device *dev = k->mod->dev;
    int saved;
    claw_status s = hip_enter(dev, &saved);
    if (s != CLAW_SUCCESS)
        return s;
    size_t size = k->packed_size;
    void *extra[5] = {HIP_LAUNCH_PARAM_BUFFER_POINTER, (void *)packed, HIP_LAUNCH_PARAM_BUFFER_SIZE,
                      &size, HIP_LAUNCH_PARAM_END};
    hipError_t e =
        hip.hipModuleLaunchKernel(k->native, grid[0], grid[1], grid[2], block[0], block[1],
                                  block[2], 0, NULL, NULL, size ? extra : NULL);
    return hip_leave(dev, saved,
                     e == hipSuccess ? CLAW_SUCCESS
                                     : hip_fail(CLAW_ERROR_DEVICE, e, "hipModuleLaunchKernel"));
}

static claw_status
hip_synchronize(claw_device *dev)
{
    int saved;
    claw_status s = hip_enter(dev, &saved);
    if (s != CLAW_SUCCESS)
        return s;
    hipError_t e = hip.hipDeviceSynchronize();
    return hip_leave(dev, saved,
                     e == hipSuccess
                         ? CLAW_SUCCESS
                         : hip_fail(CLAW_ERROR_LAUNCH_FAILED, e, "hipDeviceSynchronize"));
}

/* ---- v0.2: streams, events, asynchronous copies, interop ------------------
 * A claw stream is a hipStream_t from hipStreamCreate (blocking: it also
 * orders itself with the null stream claw_launch uses); NULL is that null
 * stream. */

static hipStream_t
hip_stream(claw_stream *s)
{
    return s ? s->native : NULL;
}

static claw_status
hip_check(hipError_t e, claw_status s, const char *what)
{
    return e == hipSuccess ? CLAW_SUCCESS : hip_fail(s, e, what);
}

static claw_status
hip_stream_create(claw_stream *s)
{
    int saved;
    claw_status st = hip_enter(s->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    hipStream_t hs;
    hipError_t e = hip.hipStreamCreate(&hs);
    if (e != hipSuccess)
        return hip_leave(s->dev, saved, hip_fail(CLAW_ERROR_DEVICE, e, "hipStreamCreate"));
    s->native = hs;
    return hip_leave(s->dev, saved, CLAW_SUCCESS);
}

static void
hip_stream_destroy(claw_stream *s)
{
    int saved;
    if (hip_enter(s->dev, &saved) == CLAW_SUCCESS) {
        hip.hipStreamDestroy(s->native);
        hip_leave(s->dev, saved, CLAW_SUCCESS);
    }
}

static claw_status
hip_stream_synchronize(claw_stream *s)
{
    int saved;
    claw_status st = hip_enter(s->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_leave(s->dev, saved,
                     hip_check(hip.hipStreamSynchronize(s->native), CLAW_ERROR_LAUNCH_FAILED,
                               "work on the stream (hipStreamSynchronize)"));
}

static claw_status
hip_launch_on(claw_stream *s, claw_kernel *k, const uint32_t grid[3], const uint32_t block[3],
              const void *packed, const void *const *args)
{
    int saved;
    claw_status st = hip_enter(k->mod->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    size_t size = k->packed_size;
    void *extra[5] = {HIP_LAUNCH_PARAM_BUFFER_POINTER, (void *)packed, HIP_LAUNCH_PARAM_BUFFER_SIZE,
                      &size, HIP_LAUNCH_PARAM_END};
    hipError_t e =
        hip.hipModuleLaunchKernel(k->native, grid[0], grid[1], grid[2], block[0], block[1],
                                  block[2], 0, hip_stream(s), NULL, size ? extra : NULL);
    return hip_leave(k->mod->dev, saved, hip_check(e, CLAW_ERROR_DEVICE, "hipModuleLaunchKernel"));
}

static claw_status
hip_write_on(claw_stream *s, claw_buffer *b, size_t offset, const void *src, size_t bytes)
{
    int saved;
    claw_status st = hip_enter(b->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_leave(b->dev, saved,
                     hip_check(hip.hipMemcpyHtoDAsync((char *)(uintptr_t)b->address + offset,
                                                      (void *)src, bytes, hip_stream(s)),
                               CLAW_ERROR_DEVICE, "hipMemcpyHtoDAsync"));
}

static claw_status
hip_read_on(claw_stream *s, claw_buffer *b, size_t offset, void *dst, size_t bytes)
{
    int saved;
    claw_status st = hip_enter(b->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_leave(b->dev, saved,
                     hip_check(hip.hipMemcpyDtoHAsync(dst, (char *)(uintptr_t)b->address + offset,
                                                      bytes, hip_stream(s)),
                               CLAW_ERROR_DEVICE, "hipMemcpyDtoHAsync"));
}

static claw_status
hip_copy_on(claw_stream *s, claw_buffer *dst, size_t dst_offset, claw_buffer *src,
            size_t src_offset, size_t bytes)
{
    int saved;
    claw_status st = hip_enter(dst->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_leave(dst->dev, saved,
                     hip_check(hip.hipMemcpyDtoDAsync((char *)(uintptr_t)dst->address + dst_offset,
                                                      (char *)(uintptr_t)src->address + src_offset,
                                                      bytes, hip_stream(s)),
                               CLAW_ERROR_DEVICE, "hipMemcpyDtoDAsync"));
}

static claw_status
hip_fill_on(claw_stream *s, claw_buffer *b, size_t offset, size_t bytes, uint32_t value)
{
    int saved;
    claw_status st = hip_enter(b->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_leave(b->dev, saved,
                     hip_check(hip.hipMemsetD32Async((char *)(uintptr_t)b->address + offset,
                                                     (int)value, bytes / 4, hip_stream(s)),
                               CLAW_ERROR_DEVICE, "hipMemsetD32Async"));
}

static claw_status
hip_event_create(claw_event *e)
{
    int saved;
    claw_status st = hip_enter(e->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    hipEvent_t ev;
    hipError_t r = hip.hipEventCreate(&ev);
    if (r != hipSuccess)
        return hip_leave(e->dev, saved, hip_fail(CLAW_ERROR_DEVICE, r, "hipEventCreate"));
    e->native = ev;
    return hip_leave(e->dev, saved, CLAW_SUCCESS);
}

static void
hip_event_destroy(claw_event *e)
{
    int saved;
    if (hip_enter(e->dev, &saved) == CLAW_SUCCESS) {
        hip.hipEventDestroy(e->native);
        hip_leave(e->dev, saved, CLAW_SUCCESS);
    }
}

static claw_status
hip_event_record(claw_event *e, claw_stream *s)
{
    int saved;
    claw_status st = hip_enter(e->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_leave(e->dev, saved,
                     hip_check(hip.hipEventRecord(e->native, hip_stream(s)), CLAW_ERROR_DEVICE,
                               "hipEventRecord"));
}

static claw_status
hip_stream_wait(claw_stream *s, claw_event *e)
{
    int saved;
    claw_status st = hip_enter(e->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_leave(e->dev, saved,
                     hip_check(hip.hipStreamWaitEvent(hip_stream(s), e->native, 0),
                               CLAW_ERROR_DEVICE, "hipStreamWaitEvent"));
}

static claw_status
hip_event_synchronize(claw_event *e)
{
    int saved;
    claw_status st = hip_enter(e->dev, &saved);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_leave(e->dev, saved,
                     hip_check(hip.hipEventSynchronize(e->native), CLAW_ERROR_LAUNCH_FAILED,
                               "work before the event (hipEventSynchronize)"));
}

static claw_status
hip_event_elapsed(claw_event *start, claw_event *end, double *ms)
{
    claw_status st = hip_event_synchronize(start);
    if (st == CLAW_SUCCESS)
        st = hip_event_synchronize(end);
    if (st != CLAW_SUCCESS)
        return st;
    int saved;
    if ((st = hip_enter(start->dev, &saved)) != CLAW_SUCCESS)
        return st;
    float f = 0.0f;
    if ((st = hip_check(hip.hipEventElapsedTime(&f, start->native, end->native), CLAW_ERROR_DEVICE,
                        "hipEventElapsedTime")) == CLAW_SUCCESS)
        *ms = f;
    return hip_leave(start->dev, saved, st);
}

/* The address is a device pointer another library allocated (hipMalloc);
 * native holds it as the pointer the copies take. */
static claw_status
hip_wrap(claw_device *dev, claw_buffer *b)
{
    (void)dev;
    b->native = (void *)(uintptr_t)b->address;
    return CLAW_SUCCESS;
}

/* hipDevice_t is the device ordinal. */
static void *
hip_native_handle(claw_device *dev)
{
    return (void *)(intptr_t)dev->native_index;
}

/* Every gfx architecture the AMDGPU backend targets (code object v5) has
 * f16, f64 and 64-bit atomics; f32 atomic add is native from gfx90a and a
 * compare-and-swap loop before it, which still gives the right result. */
static void
hip_features(claw_device *dev)
{
    claw_device_props *p = &dev->props;
    p->features =
        CLAW_FEATURE_F16 | CLAW_FEATURE_F64 | CLAW_FEATURE_ATOMIC64 | CLAW_FEATURE_ATOMIC_FLOAT;
    p->matrix_units = rt_arch_has_matrix_units(CLAW_BACKEND_HIP, p->arch);
}

const RtBackend rt_hip_backend = {
    .name = "hip",
    .kind = CLAW_BACKEND_HIP,
    .rank_image = rt_rank_hip_image,
    .init = hip_init,
    .device_open = hip_device_open,
    .device_close = hip_device_close,
    .module_load = hip_module_load,
    .module_unload = hip_module_unload,
    .kernel_get = hip_kernel_get,
    .kernel_release = hip_kernel_release,
    .alloc = hip_alloc,
    .free = hip_free,
    .write = hip_write,
    .read = hip_read,
    .launch = hip_launch,
    .synchronize = hip_synchronize,
    .shutdown = hip_shutdown,
    .stream_create = hip_stream_create,
    .stream_destroy = hip_stream_destroy,
    .stream_synchronize = hip_stream_synchronize,
    .launch_on = hip_launch_on,
    .write_on = hip_write_on,
    .read_on = hip_read_on,
    .copy_on = hip_copy_on,
    .fill_on = hip_fill_on,
    .event_create = hip_event_create,
    .event_destroy = hip_event_destroy,
    .event_record = hip_event_record,
    .stream_wait = hip_stream_wait,
    .event_synchronize = hip_event_synchronize,
    .event_elapsed = hip_event_elapsed,
    .wrap = hip_wrap,
    .native_handle = hip_native_handle,
};
