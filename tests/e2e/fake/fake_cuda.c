/* fake_cuda.c: a stand-in libcuda.so.1 for testing runtime/cuda.c on
 * machines without an NVIDIA GPU (tests/e2e/e2e_fake_drivers.c).
 *
 * It implements the driver entry points cuda.def names with host memory: one
 * "sm_90" device; modules are PTX text, which must be NUL-terminated and
 * contain ".version"; text containing "syntax error" is refused with
 * CUDA_ERROR_INVALID_PTX and a JIT error log, as the real JIT does; kernels
 * are found by ".entry <name>". Launching "saxpy" computes it on the host
 * from kernelParams (so the test sees exactly what the runtime passed);
 * launching "trap" makes the next cuCtxSynchronize report
 * CUDA_ERROR_LAUNCH_FAILED. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;

static int ctx_token;
static CUresult pending;

CUresult
cuInit(unsigned flags)
{
    return flags == 0 ? 0 : 1;
}

CUresult
cuGetErrorName(CUresult e, const char **s)
{
    switch (e) {
    case 0: *s = "CUDA_SUCCESS"; return 0;
    case 1: *s = "CUDA_ERROR_INVALID_VALUE"; return 0;
    case 218: *s = "CUDA_ERROR_INVALID_PTX"; return 0;
    case 500: *s = "CUDA_ERROR_NOT_FOUND"; return 0;
    case 719: *s = "CUDA_ERROR_LAUNCH_FAILED"; return 0;
    }
    return 1;
}

CUresult
cuDeviceGetCount(int *n)
{
    *n = 1;
    return 0;
}

CUresult
cuDeviceGet(int *d, int ordinal)
{
    *d = ordinal;
    return ordinal == 0 ? 0 : 101;
}

CUresult
cuDeviceGetName(char *name, int len, int dev)
{
    snprintf(name, (size_t)len, "Fake CUDA GPU");
    return 0;
}

CUresult
cuDeviceGetAttribute(int *v, int attr, int dev)
{
    switch (attr) {
    case 1: *v = 1024; break; /* max threads per block */
    case 2:
    case 3: *v = 1024; break;       /* max block x, y */
    case 4: *v = 64; break;         /* max block z */
    case 5: *v = 2147483647; break; /* max grid x */
    case 6:
    case 7: *v = 65535; break;
    case 8: *v = 49152; break; /* shared memory per block */
    case 10: *v = 32; break;   /* warp size */
    case 75: *v = 9; break;    /* compute capability 9.0 */
    case 76: *v = 0; break;
    default: return 1;
    }
    return 0;
}

CUresult
cuDeviceTotalMem_v2(size_t *bytes, int dev)
{
    *bytes = (size_t)1 << 30;
    return 0;
}

CUresult
cuDevicePrimaryCtxRetain(void **ctx, int dev)
{
    *ctx = &ctx_token;
    return 0;
}

CUresult
cuDevicePrimaryCtxRelease_v2(int dev)
{
    return 0;
}

CUresult
cuCtxSetCurrent(void *ctx)
{
    return ctx == &ctx_token ? 0 : 201;
}

CUresult
cuCtxSynchronize(void)
{
    CUresult e = pending;
    pending = 0;
    return e;
}

CUresult
cuModuleLoadDataEx(void **mod, const void *image, unsigned n, int *opts, void **vals)
{
    const char *text = image;
    char *log = NULL;
    size_t loglen = 0;
    for (unsigned i = 0; i < n; i++) {
        if (opts[i] == 5)
            log = vals[i];
        if (opts[i] == 6)
            loglen = (size_t)(uintptr_t)vals[i];
    }
    if (!strstr(text, ".version"))
        return 200; /* CUDA_ERROR_INVALID_IMAGE */
    if (strstr(text, "syntax error")) {
        if (log && loglen)
            snprintf(log, loglen, "ptxas application ptx input, line 3; fatal : syntax error");
        return 218;
    }
    *mod = strdup(text);
    return 0;
}

CUresult
cuModuleUnload(void *mod)
{
    free(mod);
    return 0;
}

CUresult
cuModuleGetFunction(void **f, void *mod, const char *name)
{
    char pattern[256];
    snprintf(pattern, sizeof pattern, ".entry %s\n", name);
    const char *at = strstr(mod, pattern);
    if (!at)
        return 500;
    *f = (void *)at;
    return 0;
}

CUresult
cuMemAlloc_v2(uint64_t *p, size_t bytes)
{
    void *m = calloc(1, bytes);
    *p = (uint64_t)(uintptr_t)m;
    return m ? 0 : 2;
}

CUresult
cuMemFree_v2(uint64_t p)
{
    free((void *)(uintptr_t)p);
    return 0;
}

CUresult
cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes)
{
    memcpy((void *)(uintptr_t)dst, src, bytes);
    return 0;
}

CUresult
cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t bytes)
{
    memcpy(dst, (const void *)(uintptr_t)src, bytes);
    return 0;
}

CUresult
cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
               unsigned bz, unsigned shared, void *stream, void **params, void **extra)
{
    const char *entry = f;
    if (strncmp(entry, ".entry trap\n", 12) == 0) {
        pending = 719;
        return 0;
    }
    if (strncmp(entry, ".entry nop", 10) == 0) /* scripts/bench/launch_cost.c */
        return extra ? 1 : 0;
    if (strncmp(entry, ".entry saxpy\n", 13) != 0 || extra)
        return 1;
    uint32_t n = *(const uint32_t *)params[0];
    float a = *(const float *)params[1];
    float *x = (float *)(uintptr_t) * (const uint64_t *)params[2];
    float *y = (float *)(uintptr_t) * (const uint64_t *)params[3];
    for (uint64_t i = 0; i < n && i < (uint64_t)gx * bx; i++)
        y[i] = a * x[i] + y[i];
    return 0;
}

/* ---- v0.2: streams, events, asynchronous copies ----------------------------
 * Work runs at once (the fake has no queue), so what these check is that the
 * runtime passes live handles: a stream or event is a FakeObj whose magic
 * the calls test, refusing others with CUDA_ERROR_INVALID_HANDLE (400).
 * An event records the host's monotonic clock, so cuEventElapsedTime times
 * the (host-computed) work between two records. */
#include <time.h>

enum { FAKE_STREAM = 0x5354, FAKE_EVENT = 0x4556, CU_INVALID_HANDLE = 400, CU_NOT_READY = 600 };

typedef struct FakeObj {
    int magic;
    double ms; /* events: when recorded; < 0 before */
} FakeObj;

static int
fake_stream_ok(void *s)
{
    return !s || ((FakeObj *)s)->magic == FAKE_STREAM;
}

CUresult
cuStreamCreate(void **s, unsigned flags)
{
    FakeObj *o = calloc(1, sizeof *o);
    if (!o)
        return 2;
    o->magic = FAKE_STREAM;
    *s = o;
    return flags == 0 ? 0 : 1;
}

CUresult
cuStreamDestroy_v2(void *s)
{
    if (!s || !fake_stream_ok(s))
        return CU_INVALID_HANDLE;
    ((FakeObj *)s)->magic = 0;
    free(s);
    return 0;
}

CUresult
cuStreamSynchronize(void *s)
{
    if (!fake_stream_ok(s))
        return CU_INVALID_HANDLE;
    CUresult e = pending;
    pending = 0;
    return e;
}

CUresult
cuStreamWaitEvent(void *s, void *e, unsigned flags)
{
    if (!fake_stream_ok(s) || !e || ((FakeObj *)e)->magic != FAKE_EVENT || flags)
        return CU_INVALID_HANDLE;
    return 0;
}

CUresult
cuMemcpyHtoDAsync_v2(uint64_t dst, const void *src, size_t bytes, void *s)
{
    if (!fake_stream_ok(s))
        return CU_INVALID_HANDLE;
    memcpy((void *)(uintptr_t)dst, src, bytes);
    return 0;
}

CUresult
cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t bytes, void *s)
{
    if (!fake_stream_ok(s))
        return CU_INVALID_HANDLE;
    memcpy(dst, (const void *)(uintptr_t)src, bytes);
    return 0;
}

CUresult
cuMemcpyDtoDAsync_v2(uint64_t dst, uint64_t src, size_t bytes, void *s)
{
    if (!fake_stream_ok(s))
        return CU_INVALID_HANDLE;
    memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
    return 0;
}

CUresult
cuMemsetD32Async(uint64_t dst, unsigned value, size_t n, void *s)
{
    if (!fake_stream_ok(s) || dst % 4)
        return fake_stream_ok(s) ? 1 : CU_INVALID_HANDLE;
    uint32_t *p = (uint32_t *)(uintptr_t)dst;
    for (size_t i = 0; i < n; i++)
        p[i] = value;
    return 0;
}

CUresult
cuEventCreate(void **e, unsigned flags)
{
    FakeObj *o = calloc(1, sizeof *o);
    if (!o)
        return 2;
    o->magic = FAKE_EVENT;
    o->ms = -1.0;
    *e = o;
    return flags == 0 ? 0 : 1;
}

CUresult
cuEventDestroy_v2(void *e)
{
    if (!e || ((FakeObj *)e)->magic != FAKE_EVENT)
        return CU_INVALID_HANDLE;
    ((FakeObj *)e)->magic = 0;
    free(e);
    return 0;
}

CUresult
cuEventRecord(void *e, void *s)
{
    if (!e || ((FakeObj *)e)->magic != FAKE_EVENT || !fake_stream_ok(s))
        return CU_INVALID_HANDLE;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ((FakeObj *)e)->ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
    return 0;
}

CUresult
cuEventSynchronize(void *e)
{
    if (!e || ((FakeObj *)e)->magic != FAKE_EVENT)
        return CU_INVALID_HANDLE;
    return 0;
}

CUresult
cuEventElapsedTime(float *ms, void *a, void *b)
{
    FakeObj *x = a, *y = b;
    if (!x || !y || x->magic != FAKE_EVENT || y->magic != FAKE_EVENT)
        return CU_INVALID_HANDLE;
    if (x->ms < 0 || y->ms < 0)
        return CU_NOT_READY;
    *ms = (float)(y->ms - x->ms);
    return 0;
}
