/* hip.c: the HIP backend of libclawrt, for AMD GPUs.
 *
 * libamdhip64 is opened with dlopen (libamdhip64.so, then .so.6 and .so.5)
 * the first time devices are listed; the types, attribute numbers and entry
 * points used are declared here from the documented HIP API (HIP 5 and 6
 * agree on them), so no ROCm SDK is needed to build. AMDGPU code objects
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
    /* hipDeviceAttribute_t (HIP >= 5.0 numbering) */
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
} hip;

static const char *
hip_name(hipError_t e)
{
    const char *s = hip.hipGetErrorName ? hip.hipGetErrorName(e) : NULL;
    return s ? s : "hipErrorUnknown";
}

static claw_status
hip_fail(claw_status s, hipError_t e, const char *what)
{
    if (e == hipErrorOutOfMemory)
        s = CLAW_ERROR_OUT_OF_MEMORY;
    return rt_error(s, "HIP: %s failed: %s (%d)", what, hip_name(e), e);
}

/* Forgets the runtime state but keeps libamdhip64 loaded (it cannot be
 * re-initialised safely once unloaded); a later hip_init reuses the handle. */
static void
hip_shutdown(void)
{
    void *lib = hip.lib;
    memset(&hip, 0, sizeof hip);
    hip.lib = lib;
}

static claw_status
hip_init(int *count)
{
    *count = 0;
    if (hip.initialised) {
        *count = hip.count;
        return CLAW_SUCCESS;
    }
    static const char *const names[] = {"libamdhip64.so", "libamdhip64.so.6", "libamdhip64.so.5"};
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !hip.lib; i++)
        hip.lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!hip.lib)
        return rt_error(CLAW_ERROR_NO_DEVICE, "HIP: cannot open libamdhip64.so: %s", dlerror());
#define HIP_FN(name, ret, params)                                                                  \
    if (!(*(void **)&hip.name = dlsym(hip.lib, #name))) {                                          \
        hip_shutdown();                                                                            \
        return rt_error(CLAW_ERROR_NO_DEVICE, "HIP: libamdhip64 lacks %s", #name);                 \
    }
#include "hip.def"
#undef HIP_FN
    /* HIP 6 renamed the current layout's entry point; either has gcnArchName. */
    *(void **)&hip.get_props = dlsym(hip.lib, "hipGetDevicePropertiesR0600");
    if (!hip.get_props)
        *(void **)&hip.get_props = dlsym(hip.lib, "hipGetDeviceProperties");
    hipError_t e = hip.hipInit(0);
    int n = 0;
    if (e == hipSuccess)
        e = hip.hipGetDeviceCount(&n);
    if (e != hipSuccess) {
        claw_status s = hip_fail(CLAW_ERROR_NO_DEVICE, e, "hipInit");
        hip_shutdown();
        return s;
    }
    hip.initialised = true;
    hip.count = n;
    *count = n;
    return CLAW_SUCCESS;
}

static claw_status
set_device(claw_device *dev)
{
    hipError_t e = hip.hipSetDevice(dev->native_index);
    return e == hipSuccess ? CLAW_SUCCESS : hip_fail(CLAW_ERROR_DEVICE, e, "hipSetDevice");
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
    claw_status s = set_device(dev);
    if (s != CLAW_SUCCESS)
        return s;
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
    claw_status s = set_device(dev);
    if (s != CLAW_SUCCESS)
        return s;
    hipModule_t mod;
    hipError_t e = hip.hipModuleLoadData(&mod, m->image->data);
    if (e != hipSuccess)
        return rt_error(CLAW_ERROR_MODULE_LOAD,
                        "HIP: hipModuleLoadData refused the %s image on %s: %s (%d)",
                        m->image->arch, dev->props.name, hip_name(e), e);
    m->native = mod;
    return CLAW_SUCCESS;
}

static void
hip_module_unload(claw_module *m)
{
    if (set_device(m->dev) == CLAW_SUCCESS)
        hip.hipModuleUnload(m->native);
    m->native = NULL;
}

static claw_status
hip_kernel_get(claw_kernel *k)
{
    claw_status s = set_device(k->mod->dev);
    if (s != CLAW_SUCCESS)
        return s;
    hipFunction_t f;
    hipError_t e = hip.hipModuleGetFunction(&f, k->mod->native, k->meta->name);
    if (e != hipSuccess)
        return rt_error(CLAW_ERROR_KERNEL_NOT_FOUND, "HIP: the code object has no kernel '%s': %s",
                        k->meta->name, hip_name(e));
    k->native = f;
    return CLAW_SUCCESS;
}

static void
hip_kernel_release(claw_kernel *k)
{
    k->native = NULL;
}

static claw_status
hip_alloc(claw_device *dev, claw_buffer *b)
{
    claw_status s = set_device(dev);
    if (s != CLAW_SUCCESS)
        return s;
    void *p;
    hipError_t e = hip.hipMalloc(&p, b->size);
    if (e != hipSuccess)
        return hip_fail(CLAW_ERROR_DEVICE, e, "hipMalloc");
    b->native = p;
    b->address = (uint64_t)(uintptr_t)p;
    return CLAW_SUCCESS;
}

static void
hip_free(claw_buffer *b)
{
    if (set_device(b->dev) == CLAW_SUCCESS)
        hip.hipFree(b->native);
}

static claw_status
hip_write(claw_buffer *b, size_t offset, const void *src, size_t bytes)
{
    claw_status s = set_device(b->dev);
    if (s != CLAW_SUCCESS)
        return s;
    hipError_t e = hip.hipMemcpyHtoD((char *)b->native + offset, src, bytes);
    return e == hipSuccess ? CLAW_SUCCESS : hip_fail(CLAW_ERROR_DEVICE, e, "hipMemcpyHtoD");
}

static claw_status
hip_read(claw_buffer *b, size_t offset, void *dst, size_t bytes)
{
    claw_status s = set_device(b->dev);
    if (s != CLAW_SUCCESS)
        return s;
    hipError_t e = hip.hipMemcpyDtoH(dst, (char *)b->native + offset, bytes);
    return e == hipSuccess ? CLAW_SUCCESS : hip_fail(CLAW_ERROR_LAUNCH_FAILED, e, "hipMemcpyDtoH");
}

static claw_status
hip_launch(claw_kernel *k, const uint32_t grid[3], const uint32_t block[3], const void *packed,
           const void *const *args)
{
    claw_status s = set_device(k->mod->dev);
    if (s != CLAW_SUCCESS)
        return s;
    size_t size = k->packed_size;
    void *extra[5] = {HIP_LAUNCH_PARAM_BUFFER_POINTER, (void *)packed, HIP_LAUNCH_PARAM_BUFFER_SIZE,
                      &size, HIP_LAUNCH_PARAM_END};
    hipError_t e =
        hip.hipModuleLaunchKernel(k->native, grid[0], grid[1], grid[2], block[0], block[1],
                                  block[2], 0, NULL, NULL, size ? extra : NULL);
    return e == hipSuccess ? CLAW_SUCCESS : hip_fail(CLAW_ERROR_DEVICE, e, "hipModuleLaunchKernel");
}

static claw_status
hip_synchronize(claw_device *dev)
{
    claw_status s = set_device(dev);
    if (s != CLAW_SUCCESS)
        return s;
    hipError_t e = hip.hipDeviceSynchronize();
    return e == hipSuccess
               ? CLAW_SUCCESS
               : hip_fail(CLAW_ERROR_LAUNCH_FAILED, e, "a kernel (hipDeviceSynchronize)");
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
    claw_status st = set_device(s->dev);
    if (st != CLAW_SUCCESS)
        return st;
    hipStream_t hs;
    hipError_t e = hip.hipStreamCreate(&hs);
    if (e != hipSuccess)
        return hip_fail(CLAW_ERROR_DEVICE, e, "hipStreamCreate");
    s->native = hs;
    return CLAW_SUCCESS;
}

static void
hip_stream_destroy(claw_stream *s)
{
    if (set_device(s->dev) == CLAW_SUCCESS)
        hip.hipStreamDestroy(s->native);
}

static claw_status
hip_stream_synchronize(claw_stream *s)
{
    claw_status st = set_device(s->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_check(hip.hipStreamSynchronize(s->native), CLAW_ERROR_LAUNCH_FAILED,
                     "work on the stream (hipStreamSynchronize)");
}

static claw_status
hip_launch_on(claw_stream *s, claw_kernel *k, const uint32_t grid[3], const uint32_t block[3],
              const void *packed, const void *const *args)
{
    claw_status st = set_device(k->mod->dev);
    if (st != CLAW_SUCCESS)
        return st;
    size_t size = k->packed_size;
    void *extra[5] = {HIP_LAUNCH_PARAM_BUFFER_POINTER, (void *)packed, HIP_LAUNCH_PARAM_BUFFER_SIZE,
                      &size, HIP_LAUNCH_PARAM_END};
    hipError_t e =
        hip.hipModuleLaunchKernel(k->native, grid[0], grid[1], grid[2], block[0], block[1],
                                  block[2], 0, hip_stream(s), NULL, size ? extra : NULL);
    return hip_check(e, CLAW_ERROR_DEVICE, "hipModuleLaunchKernel");
}

static claw_status
hip_write_on(claw_stream *s, claw_buffer *b, size_t offset, const void *src, size_t bytes)
{
    claw_status st = set_device(b->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_check(hip.hipMemcpyHtoDAsync((char *)(uintptr_t)b->address + offset, (void *)src,
                                            bytes, hip_stream(s)),
                     CLAW_ERROR_DEVICE, "hipMemcpyHtoDAsync");
}

static claw_status
hip_read_on(claw_stream *s, claw_buffer *b, size_t offset, void *dst, size_t bytes)
{
    claw_status st = set_device(b->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_check(
        hip.hipMemcpyDtoHAsync(dst, (char *)(uintptr_t)b->address + offset, bytes, hip_stream(s)),
        CLAW_ERROR_DEVICE, "hipMemcpyDtoHAsync");
}

static claw_status
hip_copy_on(claw_stream *s, claw_buffer *dst, size_t dst_offset, claw_buffer *src,
            size_t src_offset, size_t bytes)
{
    claw_status st = set_device(dst->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_check(hip.hipMemcpyDtoDAsync((char *)(uintptr_t)dst->address + dst_offset,
                                            (char *)(uintptr_t)src->address + src_offset, bytes,
                                            hip_stream(s)),
                     CLAW_ERROR_DEVICE, "hipMemcpyDtoDAsync");
}

static claw_status
hip_fill_on(claw_stream *s, claw_buffer *b, size_t offset, size_t bytes, uint32_t value)
{
    claw_status st = set_device(b->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_check(hip.hipMemsetD32Async((char *)(uintptr_t)b->address + offset, (int)value,
                                           bytes / 4, hip_stream(s)),
                     CLAW_ERROR_DEVICE, "hipMemsetD32Async");
}

static claw_status
hip_event_create(claw_event *e)
{
    claw_status st = set_device(e->dev);
    if (st != CLAW_SUCCESS)
        return st;
    hipEvent_t ev;
    hipError_t r = hip.hipEventCreate(&ev);
    if (r != hipSuccess)
        return hip_fail(CLAW_ERROR_DEVICE, r, "hipEventCreate");
    e->native = ev;
    return CLAW_SUCCESS;
}

static void
hip_event_destroy(claw_event *e)
{
    if (set_device(e->dev) == CLAW_SUCCESS)
        hip.hipEventDestroy(e->native);
}

static claw_status
hip_event_record(claw_event *e, claw_stream *s)
{
    claw_status st = set_device(e->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_check(hip.hipEventRecord(e->native, hip_stream(s)), CLAW_ERROR_DEVICE,
                     "hipEventRecord");
}

static claw_status
hip_stream_wait(claw_stream *s, claw_event *e)
{
    claw_status st = set_device(e->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_check(hip.hipStreamWaitEvent(hip_stream(s), e->native, 0), CLAW_ERROR_DEVICE,
                     "hipStreamWaitEvent");
}

static claw_status
hip_event_synchronize(claw_event *e)
{
    claw_status st = set_device(e->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return hip_check(hip.hipEventSynchronize(e->native), CLAW_ERROR_LAUNCH_FAILED,
                     "work before the event (hipEventSynchronize)");
}

static claw_status
hip_event_elapsed(claw_event *start, claw_event *end, double *ms)
{
    claw_status st = hip_event_synchronize(start);
    if (st == CLAW_SUCCESS)
        st = hip_event_synchronize(end);
    if (st != CLAW_SUCCESS)
        return st;
    float f = 0.0f;
    if ((st = hip_check(hip.hipEventElapsedTime(&f, start->native, end->native), CLAW_ERROR_DEVICE,
                        "hipEventElapsedTime")) == CLAW_SUCCESS)
        *ms = f;
    return st;
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
