/* fake_hip.c: a stand-in libamdhip64 for testing runtime/hip.c without an
 * AMD GPU (tests/e2e/e2e_fake_drivers.c).
 *
 * Two devices backed by host memory, "gfx942:sramecc+:xnack-" and
 * "gfx90a:sramecc+:xnack-", as strict as real HIP where a lenient fake
 * would hide a runtime bug:
 *   - hipRuntimeGetVersion and hipDriverGetVersion report HIP_VERSION
 *     (10000000 * major + 100000 * minor + patch) of HIP 6.2, or
 *     FAKE_HIP_VERSION, or the FAKE_HIP_DEFAULT_VERSION it was built with;
 *     a version below 5.0 numbers the device attributes as HIP 4.x did;
 *   - each thread has its own current device (hipSetDevice, hipGetDevice),
 *     which allocations, module loads and launches use: a kernel launched
 *     while another device is current fails (hipErrorInvalidDeviceFunction);
 *   - hipModuleLoadData reads the code object as the HIP loader does: an
 *     AMDGPU HSA ELF64 whose code-object version (EI_ABIVERSION: 2 = v4,
 *     3 = v5; v5 needs HIP 5.1) the claimed HIP reads, and whose e_flags
 *     processor, xnack and sramecc settings, and amdhsa.target string where
 *     present, fit the current device (else hipErrorNoBinaryForGpu); its
 *     size comes from the section header table, as for any ELF;
 *   - kernels are the symbols "<name>.kd"; launches check grid x block
 *     against 2^32 per dimension (hipErrorInvalidConfiguration) and copies
 *     stay inside live allocations (hipErrorInvalidValue);
 *   - launching "trap" is a device fault: HIP 5 and 6 abort the process
 *     from the runtime's queue callback, so below 7.0 the fake aborts as
 *     well; from 7.0 the fault is sticky, returned by every later call.
 * Launching "saxpy" computes it on the host from the packed kernarg buffer
 * (HIP_LAUNCH_PARAM_BUFFER_POINTER), checking that the runtime passed the
 * 24-byte C layout {u32 n; f32 a; u64 x; u64 y} and no kernelParams. The
 * gcnArchName sits at an offset of the properties struct the runtime does
 * not know, as it does in real HIP. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_HIP_DEFAULT_VERSION
#define FAKE_HIP_DEFAULT_VERSION 60241134 /* HIP 6.2.41134 */
#endif

typedef int hipError_t;

enum {
    OK = 0,
    INVALID_VALUE = 1,
    OUT_OF_MEMORY = 2,
    INVALID_CONFIGURATION = 9,
    INVALID_DEVICE_FUNCTION = 98,
    INVALID_DEVICE = 101,
    INVALID_IMAGE = 200,
    NO_BINARY_FOR_GPU = 209,
    INVALID_HANDLE = 400,
    NOT_FOUND = 500,
    NOT_READY = 600,
    ILLEGAL_ADDRESS = 700,
    LAUNCH_FAILURE = 719,
};

enum { MOD_MAGIC = 0x484d4f44, FN_MAGIC = 0x48464e43, NDEV = 2 };

static const struct {
    const char *target_id; /* gcnArchName */
    const char *processor;
    unsigned mach; /* EF_AMDGPU_MACH */
} devices[NDEV] = {
    {"gfx942:sramecc+:xnack-", "gfx942", 0x4c},
    {"gfx90a:sramecc+:xnack-", "gfx90a", 0x3f},
};

typedef struct Alloc {
    unsigned char *p;
    size_t size;
    struct Alloc *next;
} Alloc;

typedef struct Func {
    uint32_t magic;
    struct Module *mod;
    char name[128];
    struct Func *next;
} Func;

typedef struct Module {
    uint32_t magic;
    int device;
    Func *funcs;
    size_t size;
    unsigned char bytes[];
} Module;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Alloc *allocs;
static hipError_t fault; /* sticky, process-wide, as in HIP 7 */
static _Thread_local int current_device;

static int
version(void)
{
    const char *v = getenv("FAKE_HIP_VERSION");
    return v && *v ? atoi(v) : FAKE_HIP_DEFAULT_VERSION;
}

/* 100 * major + minor of the claimed version. */
static int
version_mm(void)
{
    int v = version();
    return v >= 10000000 ? v / 10000000 * 100 + v / 100000 % 100 : v;
}

static Alloc *
find_alloc(const void *p, size_t bytes)
{
    uintptr_t addr = (uintptr_t)p;
    for (Alloc *a = allocs; a; a = a->next) {
        uintptr_t base = (uintptr_t)a->p;
        if (addr >= base && addr - base <= a->size && bytes <= a->size - (addr - base))
            return a;
    }
    return NULL;
}

hipError_t
hipRuntimeGetVersion(int *v)
{
    if (!v)
        return INVALID_VALUE;
    *v = version();
    return OK;
}

hipError_t
hipDriverGetVersion(int *v)
{
    if (!v)
        return INVALID_VALUE;
    *v = version();
    return OK;
}

hipError_t
hipInit(unsigned flags)
{
    return flags == 0 ? OK : INVALID_VALUE;
}

const char *
hipGetErrorName(hipError_t e)
{
    switch (e) {
    case OK: return "hipSuccess";
    case INVALID_VALUE: return "hipErrorInvalidValue";
    case OUT_OF_MEMORY: return "hipErrorOutOfMemory";
    case INVALID_CONFIGURATION: return "hipErrorInvalidConfiguration";
    case INVALID_DEVICE_FUNCTION: return "hipErrorInvalidDeviceFunction";
    case INVALID_DEVICE: return "hipErrorInvalidDevice";
    case INVALID_IMAGE: return "hipErrorInvalidImage";
    case NO_BINARY_FOR_GPU: return "hipErrorNoBinaryForGpu";
    case INVALID_HANDLE: return "hipErrorInvalidHandle";
    case NOT_FOUND: return "hipErrorNotFound";
    case NOT_READY: return "hipErrorNotReady";
    case ILLEGAL_ADDRESS: return "hipErrorIllegalAddress";
    case LAUNCH_FAILURE: return "hipErrorLaunchFailure";
    }
    return "hipErrorUnknown";
}

hipError_t
hipGetDeviceCount(int *n)
{
    if (fault)
        return fault;
    *n = NDEV;
    return OK;
}

hipError_t
hipSetDevice(int d)
{
    if (fault)
        return fault;
    if (d < 0 || d >= NDEV)
        return INVALID_DEVICE;
    current_device = d;
    return OK;
}

hipError_t
hipGetDevice(int *d)
{
    if (fault)
        return fault;
    if (!d)
        return INVALID_VALUE;
    *d = current_device;
    return OK;
}

hipError_t
hipDeviceGetName(char *name, int len, int d)
{
    if (d < 0 || d >= NDEV)
        return INVALID_DEVICE;
    snprintf(name, (size_t)len, "Fake AMD GPU %d", d);
    return OK;
}

hipError_t
hipDeviceGetAttribute(int *v, int attr, int d)
{
    if (fault)
        return fault;
    if (d < 0 || d >= NDEV)
        return INVALID_DEVICE;
    /* HIP 5.0 renumbered hipDeviceAttribute_t; before it, MaxThreadsPerBlock
     * was 0, MaxBlockDim 1..3, MaxGridDim 4..6, MaxSharedMemoryPerBlock 7 and
     * WarpSize 9 (and 26, 29, 56, 74, 87 meant other attributes). */
    bool old = version_mm() < 500;
    int block = old ? 1 : 26, grid = old ? 4 : 29, threads = old ? 0 : 56, shared = old ? 7 : 74,
        warp = old ? 9 : 87;
    if (attr >= block && attr < block + 3)
        *v = 1024;
    else if (attr >= grid && attr < grid + 3)
        *v = 2147483647;
    else if (attr == threads)
        *v = 1024;
    else if (attr == shared)
        *v = 65536;
    else if (attr == warp)
        *v = 64;
    else
        return INVALID_VALUE;
    return OK;
}

hipError_t
hipDeviceTotalMem(size_t *bytes, int d)
{
    if (d < 0 || d >= NDEV)
        return INVALID_DEVICE;
    *bytes = (size_t)1 << 30;
    return OK;
}

hipError_t
hipGetDevicePropertiesR0600(void *props, int d)
{
    if (d < 0 || d >= NDEV)
        return INVALID_DEVICE;
    memset(props, 0, 1472);
    snprintf(props, 256, "Fake AMD GPU %d", d);
    strcpy((char *)props + 1160, devices[d].target_id);
    return OK;
}

hipError_t
hipDeviceSynchronize(void)
{
    return fault;
}

static uint16_t
rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
rd32(const unsigned char *p)
{
    return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t
rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

hipError_t
hipModuleLoadData(void **mod, const void *image)
{
    if (fault)
        return fault;
    const unsigned char *e = image;
    /* ELF64 little-endian, OS ABI AMDGPU_HSA (64), machine EM_AMDGPU (224). */
    if (!e ||
        memcmp(e,
               "\x7f"
               "ELF",
               4) != 0 ||
        e[4] != 2 || e[5] != 1 || e[7] != 64 || rd16(e + 18) != 224)
        return INVALID_IMAGE;
    int cov = e[8] == 2 ? 4 : e[8] == 3 ? 5 : 0;
    if (cov == 0 || (cov == 5 && version_mm() < 501))
        return INVALID_IMAGE;
    uint64_t shoff = rd64(e + 40), size = shoff + (uint64_t)rd16(e + 58) * rd16(e + 60);
    if (shoff < 64 || size > ((uint64_t)64 << 20))
        return INVALID_IMAGE;
    int d = current_device;
    uint32_t flags = rd32(e + 48);
    unsigned xnack = flags & 0x300, sramecc = flags & 0xc00;
    /* The devices are xnack- and sramecc+: "any" (0x100, 0x400) fits, as do
     * "off" xnack (0x200) and "on" sramecc (0xc00). */
    if ((flags & 0xff) != devices[d].mach || (xnack != 0x100 && xnack != 0x200) ||
        (sramecc != 0x400 && sramecc != 0xc00))
        return NO_BINARY_FOR_GPU;
    static const char target[] = "amdgcn-amd-amdhsa--";
    const unsigned char *t = memmem(e, size, target, sizeof target - 1);
    if (t) {
        const char *proc = (const char *)t + sizeof target - 1;
        size_t n = strlen(devices[d].processor);
        /* The string ends the processor name with a NUL, a ':' feature list, or
         * (in the msgpack metadata note, which has no NULs) the next item. */
        if ((size_t)(e + size - t) < sizeof target + n || strncmp(proc, devices[d].processor, n) ||
            (proc[n] >= '0' && proc[n] <= '9') || (proc[n] >= 'a' && proc[n] <= 'z'))
            return NO_BINARY_FOR_GPU;
    }
    Module *m = malloc(sizeof *m + size);
    if (!m)
        return OUT_OF_MEMORY;
    m->magic = MOD_MAGIC;
    m->device = d;
    m->funcs = NULL;
    m->size = size;
    memcpy(m->bytes, e, size);
    *mod = m;
    return OK;
}

hipError_t
hipModuleUnload(void *mod)
{
    Module *m = mod;
    if (!m || m->magic != MOD_MAGIC)
        return INVALID_HANDLE;
    while (m->funcs) {
        Func *f = m->funcs;
        m->funcs = f->next;
        free(f);
    }
    m->magic = 0;
    free(m);
    return fault; /* freed even then, so a test's leak check stays clean */
}

hipError_t
hipModuleGetFunction(void **out, void *mod, const char *name)
{
    if (fault)
        return fault;
    Module *m = mod;
    if (!m || m->magic != MOD_MAGIC)
        return INVALID_HANDLE;
    char sym[140];
    size_t len = strlen(name);
    if (len >= sizeof((Func *)0)->name)
        return NOT_FOUND;
    sym[0] = '\0';
    memcpy(sym + 1, name, len);
    memcpy(sym + 1 + len, ".kd", 4); /* "\0<name>.kd\0" in the string table */
    if (!memmem(m->bytes, m->size, sym, len + 5))
        return NOT_FOUND;
    Func *f = calloc(1, sizeof *f);
    if (!f)
        return OUT_OF_MEMORY;
    f->magic = FN_MAGIC;
    f->mod = m;
    memcpy(f->name, name, len + 1);
    f->next = m->funcs;
    m->funcs = f;
    *out = f;
    return OK;
}

hipError_t
hipMalloc(void **p, size_t bytes)
{
    if (fault)
        return fault;
    if (!p || bytes == 0)
        return INVALID_VALUE;
    Alloc *a = calloc(1, sizeof *a);
    if (!a || !(a->p = calloc(1, bytes))) {
        free(a);
        return OUT_OF_MEMORY;
    }
    a->size = bytes;
    pthread_mutex_lock(&lock);
    a->next = allocs;
    allocs = a;
    pthread_mutex_unlock(&lock);
    *p = a->p;
    return OK;
}

hipError_t
hipFree(void *p)
{
    pthread_mutex_lock(&lock);
    for (Alloc **pp = &allocs; *pp; pp = &(*pp)->next)
        if ((*pp)->p == p) {
            Alloc *a = *pp;
            *pp = a->next;
            pthread_mutex_unlock(&lock);
            free(a->p);
            free(a);
            return fault;
        }
    pthread_mutex_unlock(&lock);
    return INVALID_VALUE;
}

hipError_t
hipMemcpyHtoD(void *dst, const void *src, size_t bytes)
{
    if (fault)
        return fault;
    if (!find_alloc(dst, bytes))
        return INVALID_VALUE;
    memcpy(dst, src, bytes);
    return OK;
}

hipError_t
hipMemcpyDtoH(void *dst, void *src, size_t bytes)
{
    if (fault)
        return fault;
    if (!find_alloc(src, bytes))
        return INVALID_VALUE;
    memcpy(dst, src, bytes);
    return OK;
}

/* A kernel fault: HIP before 7.0 aborts the process from its queue
 * callback; HIP 7 keeps the error and returns it from every later call. */
static void
device_fault(hipError_t e)
{
    if (version_mm() < 700) {
        fprintf(stderr,
                "fake HIP %d.%d: Memory access fault by GPU: aborting, as HIP before 7.0 does\n",
                version_mm() / 100, version_mm() % 100);
        abort();
    }
    fault = e;
}

static bool fake_stream_ok(void *s);

/* "checked_saxpy": saxpy as clawc -fsanitize=bounds compiles it
 * (docs/debugging.md), with the hidden arguments after the four of saxpy:
 * the extents of x and y and the record. Each thread's accesses (x load,
 * site 0; y load, site 1; y store, site 2) pass when they lie inside
 * [pointer, pointer + extent); the first that does not fills the record
 * (state 2, site, address, range, block, thread) and is skipped, so what the
 * runtime reports is computed from exactly the extents it passed. */
static void
checked_saxpy(uint32_t n, float a, uint64_t xa, uint64_t ya, uint64_t ext_x, uint64_t ext_y,
              uint32_t *rec, uint64_t threads, unsigned bx)
{
    uint64_t count = n < threads ? n : threads;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t at = 4 * i;
        const uint64_t base[3] = {xa, ya, ya}, ext[3] = {ext_x, ext_y, ext_y};
        bool ok[3];
        for (int s = 0; s < 3; s++) {
            ok[s] = at + 4 <= ext[s];
            if (!ok[s] && rec[0] == 0) {
                uint64_t v[3] = {base[s] + at, base[s], base[s] + ext[s]};
                rec[0] = 2;
                rec[1] = (uint32_t)s;
                for (int j = 0; j < 3; j++) {
                    rec[2 + 2 * j] = (uint32_t)v[j];
                    rec[3 + 2 * j] = (uint32_t)(v[j] >> 32);
                }
                rec[8] = (uint32_t)(i / bx);
                rec[9] = rec[10] = 0;
                rec[11] = (uint32_t)(i % bx);
                rec[12] = rec[13] = 0;
            }
        }
        float x = ok[0] ? ((float *)(uintptr_t)xa)[i] : 0.0f;
        float y = ok[1] ? ((float *)(uintptr_t)ya)[i] : 0.0f;
        if (ok[2])
            ((float *)(uintptr_t)ya)[i] = a * x + y;
    }
}


hipError_t
hipModuleLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                      unsigned bz, unsigned shared, void *stream, void **params, void **extra)
{
    if (fault)
        return fault;
    Func *f = fn;
    if (!f || f->magic != FN_MAGIC)
        return INVALID_HANDLE;
    if (f->mod->device != current_device)
        return INVALID_DEVICE_FUNCTION;
    if (!gx || !gy || !gz || !bx || !by || !bz || (uint64_t)bx * by * bz > 1024 ||
        (uint64_t)gx * bx > UINT32_MAX || (uint64_t)gy * by > UINT32_MAX ||
        (uint64_t)gz * bz > UINT32_MAX)
        return INVALID_CONFIGURATION;
    if (strcmp(f->name, "trap") == 0) {
        device_fault(LAUNCH_FAILURE);
        return OK;
    }
    if (!fake_stream_ok(stream))
        return INVALID_HANDLE;
    if (strncmp(f->name, "nop", 3) == 0) /* scripts/bench/launch_cost.c: nop2, nop8, nop32 */
        return params ? INVALID_VALUE : OK;
    if (strcmp(f->name, "checked_saxpy") == 0 && !params && extra && extra[0] == (void *)0x01 &&
        extra[2] == (void *)0x02 && extra[4] == (void *)0x03 && *(const size_t *)extra[3] == 48) {
        const unsigned char *ka = extra[1];
        uint32_t n;
        float a;
        uint64_t v[5];
        memcpy(&n, ka, 4);
        memcpy(&a, ka + 4, 4);
        memcpy(v, ka + 8, sizeof v);
        if (!find_alloc((void *)(uintptr_t)v[4], 56)) {
            device_fault(ILLEGAL_ADDRESS);
            return OK;
        }
        checked_saxpy(n, a, v[0], v[1], v[2], v[3], (uint32_t *)(uintptr_t)v[4], (uint64_t)gx * bx,
                      bx);
        return OK;
    }
    if (strcmp(f->name, "saxpy") != 0 || params || !extra)
        return INVALID_VALUE;
    if (extra[0] != (void *)0x01 || extra[2] != (void *)0x02 || extra[4] != (void *)0x03)
        return INVALID_VALUE;
    const unsigned char *kernarg = extra[1];
    if (*(const size_t *)extra[3] != 24)
        return INVALID_VALUE;
    uint32_t n;
    float a;
    uint64_t xa, ya;
    memcpy(&n, kernarg, 4);
    memcpy(&a, kernarg + 4, 4);
    memcpy(&xa, kernarg + 8, 8);
    memcpy(&ya, kernarg + 16, 8);
    float *x = (float *)(uintptr_t)xa, *y = (float *)(uintptr_t)ya;
    uint64_t count = n < (uint64_t)gx * bx ? n : (uint64_t)gx * bx;
    if (count && (!find_alloc(x, count * 4) || !find_alloc(y, count * 4))) {
        device_fault(ILLEGAL_ADDRESS);
        return OK;
    }
    for (uint64_t i = 0; i < count; i++)
        y[i] = a * x[i] + y[i];
    return OK;
}

/* ---- v0.2: streams, events, asynchronous copies ----------------------------
 * As in fake_cuda.c: work runs at once; streams and events are FakeObjs of
 * the device that was current when they were made, refused on any other
 * current device and once destroyed (hipErrorInvalidHandle); every call
 * reports the sticky fault first, and copies and fills stay inside live
 * allocations. Events record the host's monotonic clock. */
#include <time.h>

enum { FAKE_STREAM = 0x5354, FAKE_EVENT = 0x4556 };

typedef struct FakeObj {
    int magic;
    int device;
    double ms; /* events: when recorded; < 0 before */
} FakeObj;

static bool
fake_stream_ok(void *s)
{
    return !s || (((FakeObj *)s)->magic == FAKE_STREAM && ((FakeObj *)s)->device == current_device);
}

static bool
fake_event_ok(void *e)
{
    return e && ((FakeObj *)e)->magic == FAKE_EVENT && ((FakeObj *)e)->device == current_device;
}

static hipError_t
fake_new(void **out, int magic)
{
    if (fault)
        return fault;
    if (!out)
        return INVALID_VALUE;
    FakeObj *o = calloc(1, sizeof *o);
    if (!o)
        return OUT_OF_MEMORY;
    o->magic = magic;
    o->device = current_device;
    o->ms = -1.0;
    *out = o;
    return OK;
}

static hipError_t
fake_delete(void *o, int magic)
{
    if (fault)
        return fault;
    if (!o || ((FakeObj *)o)->magic != magic || ((FakeObj *)o)->device != current_device)
        return INVALID_HANDLE;
    ((FakeObj *)o)->magic = 0;
    free(o);
    return OK;
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
    if (fault)
        return fault;
    return fake_stream_ok(s) ? OK : INVALID_HANDLE;
}

hipError_t
hipStreamWaitEvent(void *s, void *e, unsigned flags)
{
    if (fault)
        return fault;
    if (!fake_stream_ok(s) || !fake_event_ok(e))
        return INVALID_HANDLE;
    return flags == 0 ? OK : INVALID_VALUE;
}

hipError_t
hipMemcpyHtoDAsync(void *dst, void *src, size_t bytes, void *s)
{
    if (fault)
        return fault;
    if (!fake_stream_ok(s))
        return INVALID_HANDLE;
    if (!find_alloc(dst, bytes))
        return INVALID_VALUE;
    memcpy(dst, src, bytes);
    return OK;
}

hipError_t
hipMemcpyDtoHAsync(void *dst, void *src, size_t bytes, void *s)
{
    if (fault)
        return fault;
    if (!fake_stream_ok(s))
        return INVALID_HANDLE;
    if (!find_alloc(src, bytes))
        return INVALID_VALUE;
    memcpy(dst, src, bytes);
    return OK;
}

hipError_t
hipMemcpyDtoDAsync(void *dst, void *src, size_t bytes, void *s)
{
    if (fault)
        return fault;
    if (!fake_stream_ok(s))
        return INVALID_HANDLE;
    if (!find_alloc(dst, bytes) || !find_alloc(src, bytes))
        return INVALID_VALUE;
    memmove(dst, src, bytes);
    return OK;
}

hipError_t
hipMemsetD32Async(void *dst, int value, size_t n, void *s)
{
    if (fault)
        return fault;
    if (!fake_stream_ok(s))
        return INVALID_HANDLE;
    if ((uintptr_t)dst % 4 || n > SIZE_MAX / 4 || !find_alloc(dst, n * 4))
        return INVALID_VALUE;
    uint32_t *p = dst;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint32_t)value;
    return OK;
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
    if (fault)
        return fault;
    if (!fake_event_ok(e) || !fake_stream_ok(s))
        return INVALID_HANDLE;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ((FakeObj *)e)->ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
    return OK;
}

hipError_t
hipEventSynchronize(void *e)
{
    if (fault)
        return fault;
    return fake_event_ok(e) ? OK : INVALID_HANDLE;
}

hipError_t
hipEventElapsedTime(float *ms, void *a, void *b)
{
    if (fault)
        return fault;
    if (!fake_event_ok(a) || !fake_event_ok(b))
        return INVALID_HANDLE;
    FakeObj *x = a, *y = b;
    if (x->ms < 0 || y->ms < 0)
        return NOT_READY;
    if (!ms)
        return INVALID_VALUE;
    *ms = (float)(y->ms - x->ms);
    return OK;
}
