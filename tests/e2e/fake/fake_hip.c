/* fake_hip.c: a stand-in libamdhip64.so for testing runtime/hip.c without
 * an AMD GPU (tests/e2e/e2e_fake_drivers.c).
 *
 * One "gfx942:sramecc+:xnack-" device backed by host memory. Code objects
 * must start with the ELF magic (else hipErrorInvalidImage); kernels are
 * found by name anywhere in the image bytes. Launching "saxpy" computes it
 * on the host from the packed kernarg buffer
 * (HIP_LAUNCH_PARAM_BUFFER_POINTER), checking that the runtime passed the
 * 24-byte C layout {u32 n; f32 a; u64 x; u64 y} and no kernelParams. The
 * gcnArchName sits at an offset of the properties struct the runtime does
 * not know, as it does in real HIP. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int hipError_t;

typedef struct FakeModule {
    unsigned char *bytes;
    size_t size;
} FakeModule;

hipError_t
hipInit(unsigned flags)
{
    return 0;
}

const char *
hipGetErrorName(hipError_t e)
{
    switch (e) {
    case 0: return "hipSuccess";
    case 1: return "hipErrorInvalidValue";
    case 200: return "hipErrorInvalidImage";
    case 500: return "hipErrorNotFound";
    }
    return "hipErrorUnknown";
}

hipError_t
hipGetDeviceCount(int *n)
{
    *n = 1;
    return 0;
}

hipError_t
hipSetDevice(int d)
{
    return d == 0 ? 0 : 101;
}

hipError_t
hipDeviceGetName(char *name, int len, int d)
{
    snprintf(name, (size_t)len, "Fake AMD GPU");
    return 0;
}

hipError_t
hipDeviceGetAttribute(int *v, int attr, int d)
{
    switch (attr) {
    case 26:
    case 27:
    case 28: *v = 1024; break; /* max block dims */
    case 29:
    case 30:
    case 31: *v = 2147483647; break;
    case 56: *v = 1024; break;  /* max threads per block */
    case 74: *v = 65536; break; /* shared memory per block */
    case 87: *v = 64; break;    /* wavefront size */
    default: return 1;
    }
    return 0;
}

hipError_t
hipDeviceTotalMem(size_t *bytes, int d)
{
    *bytes = (size_t)1 << 30;
    return 0;
}

hipError_t
hipGetDevicePropertiesR0600(void *props, int d)
{
    memset(props, 0, 1472);
    strcpy(props, "Fake AMD GPU");
    strcpy((char *)props + 1160, "gfx942:sramecc+:xnack-");
    return 0;
}

hipError_t
hipDeviceSynchronize(void)
{
    return 0;
}

hipError_t
hipModuleLoadData(void **mod, const void *image)
{
    if (memcmp(image,
               "\x7f"
               "ELF",
               4) != 0)
        return 200;
    FakeModule *m = malloc(sizeof *m);
    /* The fake code object is "\x7fELF" + kernel names + NUL. */
    m->size = 4 + strlen((const char *)image + 4);
    m->bytes = malloc(m->size);
    memcpy(m->bytes, image, m->size);
    *mod = m;
    return 0;
}

hipError_t
hipModuleUnload(void *mod)
{
    FakeModule *m = mod;
    free(m->bytes);
    free(m);
    return 0;
}

hipError_t
hipModuleGetFunction(void **f, void *mod, const char *name)
{
    FakeModule *m = mod;
    void *at = memmem(m->bytes, m->size, name, strlen(name));
    if (!at)
        return 500;
    *f = at;
    return 0;
}

hipError_t
hipMalloc(void **p, size_t bytes)
{
    *p = calloc(1, bytes);
    return *p ? 0 : 2;
}

hipError_t
hipFree(void *p)
{
    free(p);
    return 0;
}

hipError_t
hipMemcpyHtoD(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return 0;
}

hipError_t
hipMemcpyDtoH(void *dst, void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return 0;
}

hipError_t
hipModuleLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                      unsigned bz, unsigned shared, void *stream, void **params, void **extra)
{
    if (strncmp(f, "nop", 3) == 0) /* scripts/bench/launch_cost.c */
        return params ? 1 : 0;
    if (strncmp(f, "saxpy", 5) != 0 || params || !extra)
        return 1;
    if (extra[0] != (void *)0x01 || extra[2] != (void *)0x02 || extra[4] != (void *)0x03)
        return 1;
    const unsigned char *kernarg = extra[1];
    if (*(const size_t *)extra[3] != 24)
        return 1;
    uint32_t n;
    float a;
    uint64_t xa, ya;
    memcpy(&n, kernarg, 4);
    memcpy(&a, kernarg + 4, 4);
    memcpy(&xa, kernarg + 8, 8);
    memcpy(&ya, kernarg + 16, 8);
    float *x = (float *)(uintptr_t)xa, *y = (float *)(uintptr_t)ya;
    for (uint64_t i = 0; i < n && i < (uint64_t)gx * bx; i++)
        y[i] = a * x[i] + y[i];
    return 0;
}

/* ---- v0.2: streams, events, asynchronous copies ----------------------------
 * As in fake_cuda.c: work runs at once; streams and events are FakeObjs whose
 * magic the calls check (hipErrorInvalidHandle, 400, otherwise); events
 * record the host's monotonic clock. */
#include <time.h>

enum { FAKE_STREAM = 0x5354, FAKE_EVENT = 0x4556, HIP_INVALID_HANDLE = 400 };

typedef struct FakeObj {
    int magic;
    double ms;
} FakeObj;

static int
fake_stream_ok(void *s)
{
    return !s || ((FakeObj *)s)->magic == FAKE_STREAM;
}

static int
fake_event_ok(void *e)
{
    return e && ((FakeObj *)e)->magic == FAKE_EVENT;
}

static hipError_t
fake_new(void **out, int magic)
{
    FakeObj *o = calloc(1, sizeof *o);
    if (!o)
        return 2;
    o->magic = magic;
    o->ms = -1.0;
    *out = o;
    return 0;
}

static hipError_t
fake_delete(void *o, int magic)
{
    if (!o || ((FakeObj *)o)->magic != magic)
        return HIP_INVALID_HANDLE;
    ((FakeObj *)o)->magic = 0;
    free(o);
    return 0;
}

hipError_t
hipStreamCreate(void **s)
{
    return fake_new(s, FAKE_STREAM);
}

hipError_t
hipStreamDestroy(void *s)
{
    return fake_delete(s, FAKE_STREAM);
}

hipError_t
hipStreamSynchronize(void *s)
{
    return fake_stream_ok(s) ? 0 : HIP_INVALID_HANDLE;
}

hipError_t
hipStreamWaitEvent(void *s, void *e, unsigned flags)
{
    return fake_stream_ok(s) && fake_event_ok(e) && flags == 0 ? 0 : HIP_INVALID_HANDLE;
}

hipError_t
hipMemcpyHtoDAsync(void *dst, void *src, size_t bytes, void *s)
{
    if (!fake_stream_ok(s))
        return HIP_INVALID_HANDLE;
    memcpy(dst, src, bytes);
    return 0;
}

hipError_t
hipMemcpyDtoHAsync(void *dst, void *src, size_t bytes, void *s)
{
    if (!fake_stream_ok(s))
        return HIP_INVALID_HANDLE;
    memcpy(dst, src, bytes);
    return 0;
}

hipError_t
hipMemcpyDtoDAsync(void *dst, void *src, size_t bytes, void *s)
{
    if (!fake_stream_ok(s))
        return HIP_INVALID_HANDLE;
    memmove(dst, src, bytes);
    return 0;
}

hipError_t
hipMemsetD32Async(void *dst, int value, size_t n, void *s)
{
    if (!fake_stream_ok(s))
        return HIP_INVALID_HANDLE;
    if ((uintptr_t)dst % 4)
        return 1;
    uint32_t *p = dst;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint32_t)value;
    return 0;
}

hipError_t
hipEventCreate(void **e)
{
    return fake_new(e, FAKE_EVENT);
}

hipError_t
hipEventDestroy(void *e)
{
    return fake_delete(e, FAKE_EVENT);
}

hipError_t
hipEventRecord(void *e, void *s)
{
    if (!fake_event_ok(e) || !fake_stream_ok(s))
        return HIP_INVALID_HANDLE;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ((FakeObj *)e)->ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
    return 0;
}

hipError_t
hipEventSynchronize(void *e)
{
    return fake_event_ok(e) ? 0 : HIP_INVALID_HANDLE;
}

hipError_t
hipEventElapsedTime(float *ms, void *a, void *b)
{
    if (!fake_event_ok(a) || !fake_event_ok(b))
        return HIP_INVALID_HANDLE;
    FakeObj *x = a, *y = b;
    if (x->ms < 0 || y->ms < 0)
        return 600; /* hipErrorNotReady */
    *ms = (float)(y->ms - x->ms);
    return 0;
}
