/* cuda.c: the CUDA backend of libclawrt, over the CUDA driver API.
 *
 * libcuda.so.1 is opened with dlopen the first time devices are listed; the
 * few driver types and entry points used are declared here from the
 * documented API (CUDA Driver API reference), so no CUDA SDK is needed to
 * build. Each device uses its primary context, pushed onto the calling
 * thread's context stack for the length of one backend call and popped
 * again (cu_enter, cu_leave), so whatever context the application itself
 * had current, or none, is current again when a libclawrt call returns; the
 * runtime may be used from several threads. The driver's version is read
 * at start-up: a PTX image whose .version the driver's JIT cannot read is
 * refused with a message that says which driver it needs. PTX images are
 * JIT-compiled by cuModuleLoadDataEx, whose error log ends up in
 * claw_last_error; launches go to the legacy default stream, so they run in
 * order, and claw_synchronize is cuCtxSynchronize. A kernel fault makes the
 * context unusable (every later call fails with the same result), which is
 * reported as CLAW_ERROR_LAUNCH_FAILED wherever it surfaces (docs/runtime.md,
 * "Backends: CUDA / HIP versions, faults, interop"). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

typedef int CUresult;
typedef int CUdevice;
typedef uint64_t CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;

enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    /* CUdevice_attribute */
    CU_ATTR_MAX_THREADS_PER_BLOCK = 1,
    CU_ATTR_MAX_BLOCK_DIM_X = 2, /* Y = 3, Z = 4 */
    CU_ATTR_MAX_GRID_DIM_X = 5,  /* Y = 6, Z = 7 */
    CU_ATTR_MAX_SHARED_MEMORY_PER_BLOCK = 8,
    CU_ATTR_WARP_SIZE = 10,
    CU_ATTR_COMPUTE_CAPABILITY_MAJOR = 75,
    CU_ATTR_COMPUTE_CAPABILITY_MINOR = 76,
    /* CUjit_option */
    CU_JIT_INFO_LOG_BUFFER = 3,
    CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
    CU_JIT_ERROR_LOG_BUFFER = 5,
    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
};

static struct {
    void *lib;
#define CU_FN(name, ret, params) ret(*name) params;
#include "cuda.def"
#undef CU_FN
    bool initialised;
    int count;
    int driver_version; /* cuDriverGetVersion: 1000 * major + 10 * minor */
} cu;

typedef struct CuDev {
    CUdevice device;
    CUcontext ctx;
} CuDev;

static const char *
cu_name(CUresult r)
{
    const char *s = NULL;
    if (cu.cuGetErrorName && cu.cuGetErrorName(r, &s) == CUDA_SUCCESS && s)
        return s;
    return "CUDA_ERROR_UNKNOWN";
}

/* The results that mean a kernel failed on the device. They are sticky: the
 * context is unusable afterwards and every later call in it returns the same
 * result, whichever call that is (CUDA driver API, "Error Handling"). */
static bool
cu_fault(CUresult r)
{
    switch (r) {
    case 214: /* CUDA_ERROR_ECC_UNCORRECTABLE */
    case 700: /* CUDA_ERROR_ILLEGAL_ADDRESS */
    case 702: /* CUDA_ERROR_LAUNCH_TIMEOUT */
    case 710: /* CUDA_ERROR_ASSERT */
    case 714: /* CUDA_ERROR_HARDWARE_STACK_ERROR */
    case 715: /* CUDA_ERROR_ILLEGAL_INSTRUCTION */
    case 716: /* CUDA_ERROR_MISALIGNED_ADDRESS */
    case 717: /* CUDA_ERROR_INVALID_ADDRESS_SPACE */
    case 718: /* CUDA_ERROR_INVALID_PC */
    case 719: /* CUDA_ERROR_LAUNCH_FAILED */ return true;
    }
    return false;
}

/* Reports a failed driver call in the class its result belongs to: s unless
 * the result is out of memory, out of launch resources, or a kernel fault
 * from earlier work, which lands here on whatever call comes next. */
static claw_status
cu_fail(claw_status s, CUresult r, const char *what)
{
    if (r == CUDA_ERROR_OUT_OF_MEMORY)
        s = CLAW_ERROR_OUT_OF_MEMORY;
    if (r == CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES)
        return rt_error(CLAW_ERROR_LAUNCH_CONFIG,
                        "CUDA: %s failed: %s (%d): the kernel needs more registers or shared "
                        "memory than the device has for this block size; launch smaller blocks",
                        what, cu_name(r), r);
    if (cu_fault(r))
        return rt_error(CLAW_ERROR_LAUNCH_FAILED,
                        "CUDA: %s failed: %s (%d): a kernel failed on the device; the device's "
                        "CUDA context is unusable from now on and every later call on this "
                        "device fails the same way (restart the process to use the GPU again)",
                        what, cu_name(r), r);
    return rt_error(s, "CUDA: %s failed: %s (%d)", what, cu_name(r), r);
}

/* The newest PTX ISA version (10 * major + minor) that the JIT of a driver
 * of CUDA version `driver` reads: each CUDA release brought one PTX ISA
 * version (PTX ISA, "Release History"). 0 for a driver newer than the
 * table, whose JIT reads everything the compiler emits. */
static const struct {
    int driver, ptx;
} cu_ptx_versions[] = {
    {10000, 63}, {10010, 64}, {10020, 65}, {11000, 70}, {11010, 71}, {11020, 72},
    {11030, 73}, {11040, 74}, {11050, 75}, {11060, 76}, {11070, 77}, {11080, 78},
    {12000, 80}, {12010, 81}, {12020, 82}, {12030, 83}, {12040, 84}, {12050, 85},
    {12060, 85}, {12070, 86}, {12080, 87}, {12090, 88}, {13000, 90},
};
enum { CU_NPTX_VERSIONS = sizeof cu_ptx_versions / sizeof cu_ptx_versions[0] };

static int
cu_max_ptx(int driver)
{
    if (driver > cu_ptx_versions[CU_NPTX_VERSIONS - 1].driver)
        return 0;
    int ptx = -1; /* older than CUDA 10.0: reads nothing clawc emits */
    for (int i = 0; i < CU_NPTX_VERSIONS && cu_ptx_versions[i].driver <= driver; i++)
        ptx = cu_ptx_versions[i].ptx;
    return ptx;
}

/* The oldest CUDA version whose driver reads PTX ISA `ptx`, or 0 if none
 * in the table does. */
static int
cu_driver_for_ptx(int ptx)
{
    for (int i = 0; i < CU_NPTX_VERSIONS; i++)
        if (cu_ptx_versions[i].ptx >= ptx)
            return cu_ptx_versions[i].driver;
    return 0;
}

/* The PTX ISA version of a PTX text's .version directive (PTX ISA 11.1.1:
 * the first directive of the module, after comments), or -1 without one. */
static int
cu_ptx_version(const char *text, size_t size)
{
    size_t i = 0;
    while (i < size) {
        while (i < size && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
            i++;
        if (size - i > 9 && memcmp(text + i, ".version", 8) == 0 &&
            (text[i + 8] == ' ' || text[i + 8] == '\t')) {
            i += 9;
            while (i < size && (text[i] == ' ' || text[i] == '\t'))
                i++;
            int major = 0, minor = 0, digits = 0;
            while (i < size && text[i] >= '0' && text[i] <= '9' && digits++ < 3)
                major = major * 10 + (text[i++] - '0');
            if (digits == 0 || i >= size || text[i] != '.')
                return -1;
            i++;
            digits = 0;
            while (i < size && text[i] >= '0' && text[i] <= '9' && digits++ < 1)
                minor = minor * 10 + (text[i++] - '0');
            return digits ? major * 10 + minor : -1;
        }
        while (i < size && text[i] != '\n')
            i++;
        i++;
    }
    return -1;
}

/* Forgets the driver state but keeps libcuda.so.1 loaded (cuInit cannot be
 * undone); a later cu_init reuses the handle. */
static void
cu_shutdown(void)
{
    void *lib = cu.lib;
    memset(&cu, 0, sizeof cu);
    cu.lib = lib;
}

static claw_status
cu_init(int *count)
{
    *count = 0;
    if (cu.initialised) {
        *count = cu.count;
        return CLAW_SUCCESS;
    }
    if (!cu.lib)
        cu.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!cu.lib)
        return rt_error(CLAW_ERROR_NO_DEVICE, "CUDA: cannot open libcuda.so.1: %s", dlerror());
#define CU_FN(name, ret, params)                                                                   \
    if (!(*(void **)&cu.name = dlsym(cu.lib, #name))) {                                            \
        cu_shutdown();                                                                             \
        return rt_error(CLAW_ERROR_NO_DEVICE, "CUDA: libcuda.so.1 lacks %s (driver too old)",      \
                        #name);                                                                    \
    }
#include "cuda.def"
#undef CU_FN
    CUresult r = cu.cuInit(0);
    if (r != CUDA_SUCCESS) {
        claw_status s = cu_fail(CLAW_ERROR_NO_DEVICE, r, "cuInit");
        cu_shutdown();
        return s;
    }
    if ((r = cu.cuDriverGetVersion(&cu.driver_version)) != CUDA_SUCCESS) {
        claw_status s = cu_fail(CLAW_ERROR_NO_DEVICE, r, "cuDriverGetVersion");
        cu_shutdown();
        return s;
    }
    int n = 0;
    if ((r = cu.cuDeviceGetCount(&n)) != CUDA_SUCCESS) {
        claw_status s = cu_fail(CLAW_ERROR_NO_DEVICE, r, "cuDeviceGetCount");
        cu_shutdown();
        return s;
    }
    cu.initialised = true;
    cu.count = n;
    *count = n;
    return CLAW_SUCCESS;
}

/* Makes dev's primary context current on this thread for one backend call
 * by pushing it over the caller's; every successful cu_enter is paired with
 * one cu_leave, which pops it and so brings back the caller's own current
 * context (or none). */
static claw_status
cu_enter(claw_device *dev)
{
    CuDev *d = dev->native;
    CUresult r = cu.cuCtxPushCurrent_v2(d->ctx);
    return r == CUDA_SUCCESS ? CLAW_SUCCESS : cu_fail(CLAW_ERROR_DEVICE, r, "cuCtxPushCurrent");
}

/* Pops what cu_enter pushed and passes s through. */
static claw_status
cu_leave(claw_status s)
{
    CUcontext ctx;
    cu.cuCtxPopCurrent_v2(&ctx);
    return s;
}

static void
cu_device_close(claw_device *dev)
{
    CuDev *d = dev->native;
    if (!d)
        return;
    if (d->ctx)
        cu.cuDevicePrimaryCtxRelease_v2(d->device);
    free(d);
    dev->native = NULL;
}

static void cu_features(claw_device *dev, int major, int minor);

static claw_status
cu_device_open(claw_device *dev)
{
    CuDev *d = calloc(1, sizeof *d);
    if (!d)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "CUDA: out of memory");
    dev->native = d;
    CUresult r = cu.cuDeviceGet(&d->device, dev->native_index);
    if (r == CUDA_SUCCESS && (r = cu.cuDevicePrimaryCtxRetain(&d->ctx, d->device)) != CUDA_SUCCESS)
        d->ctx = NULL;
    if (r != CUDA_SUCCESS) {
        cu_device_close(dev);
        return cu_fail(CLAW_ERROR_NO_DEVICE, r, "opening the device");
    }
    claw_device_props *p = &dev->props;
    p->backend = CLAW_BACKEND_CUDA;
    if (cu.cuDeviceGetName(p->name, (int)sizeof p->name, d->device) != CUDA_SUCCESS)
        snprintf(p->name, sizeof p->name, "CUDA device %d", dev->native_index);
    int major = 0, minor = 0, v = 0;
    cu.cuDeviceGetAttribute(&major, CU_ATTR_COMPUTE_CAPABILITY_MAJOR, d->device);
    cu.cuDeviceGetAttribute(&minor, CU_ATTR_COMPUTE_CAPABILITY_MINOR, d->device);
    rt_cuda_arch_name(major, minor, p->arch, sizeof p->arch);
    cu_features(dev, major, minor);
    size_t mem = 0;
    cu.cuDeviceTotalMem_v2(&mem, d->device);
    p->global_mem_bytes = mem;
    if (cu.cuDeviceGetAttribute(&v, CU_ATTR_MAX_THREADS_PER_BLOCK, d->device) == CUDA_SUCCESS)
        p->max_threads_per_block = (uint32_t)v;
    /* Static shared memory is limited to this (48 KiB) without opt-in. */
    if (cu.cuDeviceGetAttribute(&v, CU_ATTR_MAX_SHARED_MEMORY_PER_BLOCK, d->device) == CUDA_SUCCESS)
        p->shared_mem_per_block = (uint32_t)v;
    if (cu.cuDeviceGetAttribute(&v, CU_ATTR_WARP_SIZE, d->device) == CUDA_SUCCESS)
        p->subgroup_size = (uint32_t)v;
    for (int i = 0; i < 3; i++) {
        v = 0;
        cu.cuDeviceGetAttribute(&v, CU_ATTR_MAX_BLOCK_DIM_X + i, d->device);
        dev->limits.max_block[i] = (uint32_t)v;
        v = 0;
        cu.cuDeviceGetAttribute(&v, CU_ATTR_MAX_GRID_DIM_X + i, d->device);
        dev->limits.max_grid[i] = (uint32_t)v;
    }
    return CLAW_SUCCESS;
}

/* Refuses PTX whose ISA version the driver's JIT cannot read, naming the
 * driver it needs, before the JIT gives a terse CUDA_ERROR_UNSUPPORTED_PTX_VERSION. */
static claw_status
cu_check_ptx_version(const claw_fb_image *img)
{
    int ptx = cu_ptx_version(img->data, img->size), max = cu_max_ptx(cu.driver_version);
    if (ptx < 0 || max == 0 || ptx <= max)
        return CLAW_SUCCESS;
    int need = cu_driver_for_ptx(ptx);
    char needs[64] = "a newer NVIDIA driver";
    if (need)
        snprintf(needs, sizeof needs, "an NVIDIA driver for CUDA %d.%d or newer", need / 1000,
                 need % 1000 / 10);
    return rt_error(CLAW_ERROR_MODULE_LOAD,
                    "CUDA: the %s image is PTX ISA %d.%d, which needs %s; the driver on this "
                    "machine is for CUDA %d.%d (cuDriverGetVersion = %d) and reads PTX ISA up "
                    "to %d.%d: upgrade the NVIDIA driver",
                    img->arch, ptx / 10, ptx % 10, needs, cu.driver_version / 1000,
                    cu.driver_version % 1000 / 10, cu.driver_version, max < 0 ? 0 : max / 10,
                    max < 0 ? 0 : max % 10);
}

static claw_status
cu_module_load(claw_device *dev, claw_module *m)
{
    const claw_fb_image *img = m->image;
    claw_status s = img->image_kind == CLAW_FB_IMG_PTX ? cu_check_ptx_version(img) : CLAW_SUCCESS;
    if (s != CLAW_SUCCESS)
        return s;
    /* PTX is text that the driver reads up to its NUL, which the fat binary
     * does not store: load from a NUL-terminated copy. */
    char *copy = malloc(img->size + 1);
    if (!copy)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "CUDA: out of memory");
    if ((s = cu_enter(dev)) != CLAW_SUCCESS) {
        free(copy);
        return s;
    }
    memcpy(copy, img->data, img->size);
    copy[img->size] = '\0';
    char info[4096] = "", errlog[8192] = "";
    int opts[4] = {CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                   CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *vals[4] = {info, (void *)(uintptr_t)sizeof info, errlog,
                     (void *)(uintptr_t)sizeof errlog};
    CUmodule mod;
    CUresult r = cu.cuModuleLoadDataEx(&mod, copy, 4, opts, vals);
    free(copy);
    if (r != CUDA_SUCCESS && cu_fault(r))
        return cu_leave(cu_fail(CLAW_ERROR_MODULE_LOAD, r, "cuModuleLoadDataEx"));
    if (r != CUDA_SUCCESS) {
        errlog[sizeof errlog - 1] = '\0';
        return cu_leave(rt_error(
            CLAW_ERROR_MODULE_LOAD,
            "CUDA: cuModuleLoadDataEx failed for the %s %s image on %s (%s): %s (%d)%s%s%s",
            img->triple, img->arch, dev->props.name, dev->props.arch, cu_name(r), r,
            r == CUDA_ERROR_UNSUPPORTED_PTX_VERSION
                ? ": the driver is too old for this PTX; upgrade the NVIDIA driver"
                : "",
            errlog[0] ? "; JIT log: " : "", errlog));
    }
    m->native = mod;
    return cu_leave(CLAW_SUCCESS);
}

static void
cu_module_unload(claw_module *m)
{
    if (cu_enter(m->dev) == CLAW_SUCCESS) {
        cu.cuModuleUnload(m->native);
        cu_leave(CLAW_SUCCESS);
    }
    m->native = NULL;
}

static claw_status
cu_kernel_get(claw_kernel *k)
{
    claw_status s = cu_enter(k->mod->dev);
    if (s != CLAW_SUCCESS)
        return s;
    CUfunction f;
    CUresult r = cu.cuModuleGetFunction(&f, k->mod->native, k->meta->name);
    if (r != CUDA_SUCCESS && cu_fault(r))
        return cu_leave(cu_fail(CLAW_ERROR_KERNEL_NOT_FOUND, r, "cuModuleGetFunction"));
    if (r != CUDA_SUCCESS)
        return cu_leave(rt_error(CLAW_ERROR_KERNEL_NOT_FOUND,
                                 "CUDA: the PTX has no kernel '%s': %s", k->meta->name,
                                 cu_name(r)));
    k->native = f;
    return cu_leave(CLAW_SUCCESS);
}

static void
cu_kernel_release(claw_kernel *k)
{
    k->native = NULL; /* functions die with their module */
}

static claw_status
cu_alloc(claw_device *dev, claw_buffer *b)
{
    claw_status s = cu_enter(dev);
    if (s != CLAW_SUCCESS)
        return s;
    CUdeviceptr p;
    CUresult r = cu.cuMemAlloc_v2(&p, b->size);
    if (r != CUDA_SUCCESS)
        return cu_leave(cu_fail(CLAW_ERROR_DEVICE, r, "cuMemAlloc"));
    b->address = p;
    return cu_leave(CLAW_SUCCESS);
}

static void
cu_free(claw_buffer *b)
{
    if (cu_enter(b->dev) == CLAW_SUCCESS) {
        cu.cuMemFree_v2(b->address);
        cu_leave(CLAW_SUCCESS);
    }
}

/* A kernel fault from an earlier launch surfaces on copies as well; cu_fail
 * reports it as CLAW_ERROR_LAUNCH_FAILED. */
static claw_status
cu_write(claw_buffer *b, size_t offset, const void *src, size_t bytes)
{
    claw_status s = cu_enter(b->dev);
    if (s != CLAW_SUCCESS)
        return s;
    CUresult r = cu.cuMemcpyHtoD_v2(b->address + offset, src, bytes);
    return cu_leave(r == CUDA_SUCCESS ? CLAW_SUCCESS
                                      : cu_fail(CLAW_ERROR_DEVICE, r, "cuMemcpyHtoD"));
}

static claw_status
cu_read(claw_buffer *b, size_t offset, void *dst, size_t bytes)
{
    claw_status s = cu_enter(b->dev);
    if (s != CLAW_SUCCESS)
        return s;
    CUresult r = cu.cuMemcpyDtoH_v2(dst, b->address + offset, bytes);
    return cu_leave(r == CUDA_SUCCESS ? CLAW_SUCCESS
                                      : cu_fail(CLAW_ERROR_DEVICE, r, "cuMemcpyDtoH"));
}

static claw_status
cu_launch(claw_kernel *k, const uint32_t grid[3], const uint32_t block[3], const void *packed,
          const void *const *args)
{
    /* kernelParams: one pointer per parameter, into the packed copy the
     * core checked, so the driver reads exactly the validated bytes. */
    uint32_t n = k->meta->nparams;
    void *small[32];
    void **params = n <= 32 ? small : malloc(n * sizeof *params);
    if (!params)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "CUDA: out of memory");
    for (uint32_t i = 0; i < n; i++)
        params[i] = (char *)packed + k->offsets[i];
    claw_status s = cu_enter(k->mod->dev);
    if (s != CLAW_SUCCESS) {
        if (params != small)
            free(params);
        return s;
    }
    CUresult r = cu.cuLaunchKernel(k->native, grid[0], grid[1], grid[2], block[0], block[1],
                                   block[2], 0, NULL, params, NULL);
    if (params != small)
        free(params);
    return cu_leave(r == CUDA_SUCCESS ? CLAW_SUCCESS
                                      : cu_fail(CLAW_ERROR_DEVICE, r, "cuLaunchKernel"));
}

static claw_status
cu_synchronize(claw_device *dev)
{
    claw_status s = cu_enter(dev);
    if (s != CLAW_SUCCESS)
        return s;
    CUresult r = cu.cuCtxSynchronize();
    return cu_leave(r == CUDA_SUCCESS ? CLAW_SUCCESS
                                      : cu_fail(CLAW_ERROR_LAUNCH_FAILED, r, "cuCtxSynchronize"));
}

/* ---- v0.2: streams, events, asynchronous copies, interop ------------------
 * A claw stream is a CUstream created blocking (flags 0), so it also orders
 * itself with the legacy default stream that claw_launch uses, as a CUDA
 * programmer expects; the NULL stream is that default stream. */

static CUstream
cu_stream(claw_stream *s)
{
    return s ? s->native : NULL;
}

static claw_status
cu_check(CUresult r, claw_status s, const char *what)
{
    return r == CUDA_SUCCESS ? CLAW_SUCCESS : cu_fail(s, r, what);
}

static claw_status
cu_stream_create(claw_stream *s)
{
    claw_status st = cu_enter(s->dev);
    if (st != CLAW_SUCCESS)
        return st;
    CUstream cs;
    CUresult r = cu.cuStreamCreate(&cs, 0);
    if (r != CUDA_SUCCESS)
        return cu_leave(cu_fail(CLAW_ERROR_DEVICE, r, "cuStreamCreate"));
    s->native = cs;
    return cu_leave(CLAW_SUCCESS);
}

static void
cu_stream_destroy(claw_stream *s)
{
    if (cu_enter(s->dev) == CLAW_SUCCESS) {
        cu.cuStreamDestroy_v2(s->native);
        cu_leave(CLAW_SUCCESS);
    }
}

static claw_status
cu_stream_synchronize(claw_stream *s)
{
    claw_status st = cu_enter(s->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return cu_leave(cu_check(cu.cuStreamSynchronize(s->native), CLAW_ERROR_LAUNCH_FAILED,
                             "work on the stream (cuStreamSynchronize)"));
}

static claw_status
cu_launch_on(claw_stream *s, claw_kernel *k, const uint32_t grid[3], const uint32_t block[3],
             const void *packed, const void *const *args)
{
    uint32_t n = k->meta->nparams;
    void *small[32];
    void **params = n <= 32 ? small : malloc(n * sizeof *params);
    if (!params)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "CUDA: out of memory");
    for (uint32_t i = 0; i < n; i++)
        params[i] = (char *)packed + k->offsets[i];
    claw_status st = cu_enter(k->mod->dev);
    if (st != CLAW_SUCCESS) {
        if (params != small)
            free(params);
        return st;
    }
    CUresult r = cu.cuLaunchKernel(k->native, grid[0], grid[1], grid[2], block[0], block[1],
                                   block[2], 0, cu_stream(s), params, NULL);
    if (params != small)
        free(params);
    return cu_leave(cu_check(r, CLAW_ERROR_DEVICE, "cuLaunchKernel"));
}

static claw_status
cu_write_on(claw_stream *s, claw_buffer *b, size_t offset, const void *src, size_t bytes)
{
    claw_status st = cu_enter(b->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return cu_leave(cu_check(cu.cuMemcpyHtoDAsync_v2(b->address + offset, src, bytes, cu_stream(s)),
                             CLAW_ERROR_DEVICE, "cuMemcpyHtoDAsync"));
}

static claw_status
cu_read_on(claw_stream *s, claw_buffer *b, size_t offset, void *dst, size_t bytes)
{
    claw_status st = cu_enter(b->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return cu_leave(cu_check(cu.cuMemcpyDtoHAsync_v2(dst, b->address + offset, bytes, cu_stream(s)),
                             CLAW_ERROR_DEVICE, "cuMemcpyDtoHAsync"));
}

static claw_status
cu_copy_on(claw_stream *s, claw_buffer *dst, size_t dst_offset, claw_buffer *src, size_t src_offset,
           size_t bytes)
{
    claw_status st = cu_enter(dst->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return cu_leave(
        cu_check(cu.cuMemcpyDtoDAsync_v2(dst->address + dst_offset, src->address + src_offset,
                                         bytes, cu_stream(s)),
                 CLAW_ERROR_DEVICE, "cuMemcpyDtoDAsync"));
}

static claw_status
cu_fill_on(claw_stream *s, claw_buffer *b, size_t offset, size_t bytes, uint32_t value)
{
    claw_status st = cu_enter(b->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return cu_leave(
        cu_check(cu.cuMemsetD32Async(b->address + offset, value, bytes / 4, cu_stream(s)),
                 CLAW_ERROR_DEVICE, "cuMemsetD32Async"));
}

static claw_status
cu_event_create(claw_event *e)
{
    claw_status st = cu_enter(e->dev);
    if (st != CLAW_SUCCESS)
        return st;
    CUevent ev;
    CUresult r = cu.cuEventCreate(&ev, 0); /* CU_EVENT_DEFAULT: timing enabled */
    if (r != CUDA_SUCCESS)
        return cu_leave(cu_fail(CLAW_ERROR_DEVICE, r, "cuEventCreate"));
    e->native = ev;
    return cu_leave(CLAW_SUCCESS);
}

static void
cu_event_destroy(claw_event *e)
{
    if (cu_enter(e->dev) == CLAW_SUCCESS) {
        cu.cuEventDestroy_v2(e->native);
        cu_leave(CLAW_SUCCESS);
    }
}

static claw_status
cu_event_record(claw_event *e, claw_stream *s)
{
    claw_status st = cu_enter(e->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return cu_leave(
        cu_check(cu.cuEventRecord(e->native, cu_stream(s)), CLAW_ERROR_DEVICE, "cuEventRecord"));
}

static claw_status
cu_stream_wait(claw_stream *s, claw_event *e)
{
    claw_status st = cu_enter(e->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return cu_leave(cu_check(cu.cuStreamWaitEvent(cu_stream(s), e->native, 0), CLAW_ERROR_DEVICE,
                             "cuStreamWaitEvent"));
}

static claw_status
cu_event_synchronize(claw_event *e)
{
    claw_status st = cu_enter(e->dev);
    if (st != CLAW_SUCCESS)
        return st;
    return cu_leave(cu_check(cu.cuEventSynchronize(e->native), CLAW_ERROR_LAUNCH_FAILED,
                             "work before the event (cuEventSynchronize)"));
}

static claw_status
cu_event_elapsed(claw_event *start, claw_event *end, double *ms)
{
    claw_status st = cu_event_synchronize(start);
    if (st == CLAW_SUCCESS)
        st = cu_event_synchronize(end);
    if (st != CLAW_SUCCESS)
        return st;
    if ((st = cu_enter(start->dev)) != CLAW_SUCCESS)
        return st;
    float f = 0.0f;
    if ((st = cu_check(cu.cuEventElapsedTime(&f, start->native, end->native), CLAW_ERROR_DEVICE,
                       "cuEventElapsedTime")) == CLAW_SUCCESS)
        *ms = f;
    return cu_leave(st);
}

/* The address is a CUdeviceptr of this context that another library
 * allocated; the runtime keeps no driver object for it. */
static claw_status
cu_wrap(claw_device *dev, claw_buffer *b)
{
    (void)dev;
    b->native = NULL;
    return CLAW_SUCCESS;
}

static void *
cu_native_handle(claw_device *dev)
{
    return ((CuDev *)dev->native)->ctx;
}

/* Optional capabilities by compute capability (CUDA C++ Programming Guide,
 * "Compute Capabilities"): every sm_ the PTX backend targets has f64, 64-bit
 * and f32 atomics; f16 arithmetic from sm_53. */
static void
cu_features(claw_device *dev, int major, int minor)
{
    claw_device_props *p = &dev->props;
    p->features = CLAW_FEATURE_F64 | CLAW_FEATURE_ATOMIC64 | CLAW_FEATURE_ATOMIC_FLOAT;
    if (major * 10 + minor >= 53)
        p->features |= CLAW_FEATURE_F16;
    p->matrix_units = rt_arch_has_matrix_units(CLAW_BACKEND_CUDA, p->arch);
}

const RtBackend rt_cuda_backend = {
    .name = "cuda",
    .kind = CLAW_BACKEND_CUDA,
    .rank_image = rt_rank_cuda_image,
    .init = cu_init,
    .device_open = cu_device_open,
    .device_close = cu_device_close,
    .module_load = cu_module_load,
    .module_unload = cu_module_unload,
    .kernel_get = cu_kernel_get,
    .kernel_release = cu_kernel_release,
    .alloc = cu_alloc,
    .free = cu_free,
    .write = cu_write,
    .read = cu_read,
    .launch = cu_launch,
    .synchronize = cu_synchronize,
    .shutdown = cu_shutdown,
    .stream_create = cu_stream_create,
    .stream_destroy = cu_stream_destroy,
    .stream_synchronize = cu_stream_synchronize,
    .launch_on = cu_launch_on,
    .write_on = cu_write_on,
    .read_on = cu_read_on,
    .copy_on = cu_copy_on,
    .fill_on = cu_fill_on,
    .event_create = cu_event_create,
    .event_destroy = cu_event_destroy,
    .event_record = cu_event_record,
    .stream_wait = cu_stream_wait,
    .event_synchronize = cu_event_synchronize,
    .event_elapsed = cu_event_elapsed,
    .wrap = cu_wrap,
    .native_handle = cu_native_handle,
};
