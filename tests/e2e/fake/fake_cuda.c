/* fake_cuda.c: a stand-in libcuda.so.1 for testing runtime/cuda.c on
 * machines without an NVIDIA GPU (tests/e2e/e2e_fake_drivers.c).
 *
 * It implements the driver entry points cuda.def names, plus the context
 * calls a test needs to play an application that uses CUDA itself
 * (cuCtxCreate_v2, cuCtxDestroy_v2, cuCtxGetCurrent, cuCtxSetCurrent), with
 * host memory, and is as strict as the real driver where a lenient fake
 * would hide a runtime bug:
 *   - nothing but cuDriverGetVersion works before cuInit;
 *   - each thread has its own stack of current contexts; a call that needs
 *     a context fails with CUDA_ERROR_INVALID_CONTEXT without one, and
 *     modules and functions only work in the context that loaded them;
 *   - one "sm_90" device whose primary context is created by the first
 *     cuDevicePrimaryCtxRetain and destroyed, with its memory and modules,
 *     when the last retain is released;
 *   - a fault is sticky: launching "trap", or a saxpy whose pointers leave
 *     live allocations, makes every later call in that context fail
 *     (CUDA_ERROR_LAUNCH_FAILED, CUDA_ERROR_ILLEGAL_ADDRESS) until the
 *     context is destroyed;
 *   - copies must stay inside live allocations (CUDA_ERROR_INVALID_VALUE);
 *   - the driver claims CUDA 12.4 (FAKE_CUDA_DRIVER_VERSION=<1000 * major +
 *     10 * minor> to claim another) and its JIT refuses PTX whose .version
 *     is newer than that CUDA's (CUDA_ERROR_UNSUPPORTED_PTX_VERSION), as
 *     well as NUL-less text, text without .version, and text containing
 *     "syntax error" (CUDA_ERROR_INVALID_PTX), each with a JIT error log.
 * Kernels are found by ".entry <name>". Launching "saxpy" computes it on
 * the host from kernelParams, so the test sees exactly what the runtime
 * passed; "checked_saxpy" does the same with -fsanitize=bounds's hidden
 * arguments (tests/e2e/e2e_fake_bounds.c). */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;

enum {
    OK = 0,
    INVALID_VALUE = 1,
    OUT_OF_MEMORY = 2,
    NOT_INITIALIZED = 3,
    INVALID_DEVICE = 101,
    INVALID_IMAGE = 200,
    INVALID_CONTEXT = 201,
    INVALID_PTX = 218,
    UNSUPPORTED_PTX_VERSION = 222,
    INVALID_HANDLE = 400,
    NOT_FOUND = 500,
    NOT_READY = 600,
    ILLEGAL_ADDRESS = 700,
    LAUNCH_FAILED = 719,
};

enum { CTX_MAGIC = 0x43545821, MOD_MAGIC = 0x4d4f4421, FN_MAGIC = 0x464e4321, MAX_CTX = 8 };

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
    struct Ctx *ctx;
    char *text;
    Func *funcs;
    struct Module *next;
} Module;

typedef struct Ctx {
    uint32_t magic;
    bool alive;
    CUresult fault; /* sticky: every later call in this context returns it */
    Alloc *allocs;
    Module *modules;
} Ctx;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool initialised;
static Ctx primary;
static int primary_refs;
static Ctx user_ctx[MAX_CTX]; /* cuCtxCreate_v2; static so none leaks */

static _Thread_local Ctx *stack[16];
static _Thread_local int depth;

static void
destroy_ctx(Ctx *c)
{
    while (c->allocs) {
        Alloc *a = c->allocs;
        c->allocs = a->next;
        free(a->p);
        free(a);
    }
    while (c->modules) {
        Module *m = c->modules;
        c->modules = m->next;
        while (m->funcs) {
            Func *f = m->funcs;
            m->funcs = f->next;
            free(f);
        }
        free(m->text);
        free(m);
    }
    c->alive = false;
    c->fault = OK;
}

static bool
ctx_ok(const Ctx *c)
{
    return c && c->magic == CTX_MAGIC && c->alive;
}

/* The context this thread's call runs in: the top of its stack, live and
 * without a sticky fault. */
static CUresult
current(Ctx **out)
{
    if (!initialised)
        return NOT_INITIALIZED;
    if (depth == 0 || !ctx_ok(stack[depth - 1]))
        return INVALID_CONTEXT;
    *out = stack[depth - 1];
    return (*out)->fault;
}

static Alloc *
find_alloc(Ctx *c, uint64_t addr, size_t bytes)
{
    for (Alloc *a = c->allocs; a; a = a->next) {
        uint64_t base = (uint64_t)(uintptr_t)a->p;
        if (addr >= base && addr - base <= a->size && bytes <= a->size - (addr - base))
            return a;
    }
    return NULL;
}

static int
driver_version(void)
{
    const char *v = getenv("FAKE_CUDA_DRIVER_VERSION");
    return v && *v ? atoi(v) : 12040;
}

CUresult
cuDriverGetVersion(int *v)
{
    if (!v)
        return INVALID_VALUE;
    *v = driver_version();
    return OK;
}

CUresult
cuInit(unsigned flags)
{
    if (flags != 0)
        return INVALID_VALUE;
    initialised = true;
    return OK;
}

CUresult
cuGetErrorName(CUresult e, const char **s)
{
    switch (e) {
    case OK: *s = "CUDA_SUCCESS"; return OK;
    case INVALID_VALUE: *s = "CUDA_ERROR_INVALID_VALUE"; return OK;
    case OUT_OF_MEMORY: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return OK;
    case NOT_INITIALIZED: *s = "CUDA_ERROR_NOT_INITIALIZED"; return OK;
    case INVALID_DEVICE: *s = "CUDA_ERROR_INVALID_DEVICE"; return OK;
    case INVALID_IMAGE: *s = "CUDA_ERROR_INVALID_IMAGE"; return OK;
    case INVALID_CONTEXT: *s = "CUDA_ERROR_INVALID_CONTEXT"; return OK;
    case INVALID_PTX: *s = "CUDA_ERROR_INVALID_PTX"; return OK;
    case UNSUPPORTED_PTX_VERSION: *s = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"; return OK;
    case INVALID_HANDLE: *s = "CUDA_ERROR_INVALID_HANDLE"; return OK;
    case NOT_FOUND: *s = "CUDA_ERROR_NOT_FOUND"; return OK;
    case NOT_READY: *s = "CUDA_ERROR_NOT_READY"; return OK;
    case ILLEGAL_ADDRESS: *s = "CUDA_ERROR_ILLEGAL_ADDRESS"; return OK;
    case LAUNCH_FAILED: *s = "CUDA_ERROR_LAUNCH_FAILED"; return OK;
    }
    return INVALID_VALUE;
}

CUresult
cuDeviceGetCount(int *n)
{
    if (!initialised)
        return NOT_INITIALIZED;
    *n = 1;
    return OK;
}

CUresult
cuDeviceGet(int *d, int ordinal)
{
    if (!initialised)
        return NOT_INITIALIZED;
    *d = ordinal;
    return ordinal == 0 ? OK : INVALID_DEVICE;
}

CUresult
cuDeviceGetName(char *name, int len, int dev)
{
    if (!initialised)
        return NOT_INITIALIZED;
    if (dev != 0)
        return INVALID_DEVICE;
    snprintf(name, (size_t)len, "Fake CUDA GPU");
    return OK;
}

CUresult
cuDeviceGetAttribute(int *v, int attr, int dev)
{
    if (!initialised)
        return NOT_INITIALIZED;
    if (dev != 0)
        return INVALID_DEVICE;
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
    default: return INVALID_VALUE;
    }
    return OK;
}

CUresult
cuDeviceTotalMem_v2(size_t *bytes, int dev)
{
    if (!initialised)
        return NOT_INITIALIZED;
    if (dev != 0)
        return INVALID_DEVICE;
    *bytes = (size_t)1 << 30;
    return OK;
}

CUresult
cuDevicePrimaryCtxRetain(void **ctx, int dev)
{
    if (!initialised)
        return NOT_INITIALIZED;
    if (dev != 0)
        return INVALID_DEVICE;
    pthread_mutex_lock(&lock);
    if (primary_refs++ == 0) {
        primary.magic = CTX_MAGIC;
        primary.alive = true;
        primary.fault = OK;
    }
    pthread_mutex_unlock(&lock);
    *ctx = &primary;
    return OK;
}

CUresult
cuDevicePrimaryCtxRelease_v2(int dev)
{
    if (!initialised)
        return NOT_INITIALIZED;
    if (dev != 0)
        return INVALID_DEVICE;
    pthread_mutex_lock(&lock);
    CUresult r = primary_refs > 0 ? OK : INVALID_CONTEXT;
    if (primary_refs > 0 && --primary_refs == 0)
        destroy_ctx(&primary);
    pthread_mutex_unlock(&lock);
    return r;
}

CUresult
cuCtxCreate_v2(void **out, unsigned flags, int dev)
{
    if (!initialised)
        return NOT_INITIALIZED;
    if (dev != 0)
        return INVALID_DEVICE;
    if (depth == (int)(sizeof stack / sizeof stack[0]))
        return OUT_OF_MEMORY;
    pthread_mutex_lock(&lock);
    Ctx *c = NULL;
    for (int i = 0; i < MAX_CTX && !c; i++)
        if (!user_ctx[i].alive)
            c = &user_ctx[i];
    if (c) {
        c->magic = CTX_MAGIC;
        c->alive = true;
        c->fault = OK;
    }
    pthread_mutex_unlock(&lock);
    if (!c)
        return OUT_OF_MEMORY;
    stack[depth++] = c; /* a new context is pushed, as the real driver does */
    *out = c;
    return OK;
}

CUresult
cuCtxDestroy_v2(void *ctx)
{
    Ctx *c = ctx;
    if (!ctx_ok(c) || c == &primary)
        return INVALID_CONTEXT;
    if (depth > 0 && stack[depth - 1] == c)
        depth--;
    pthread_mutex_lock(&lock);
    destroy_ctx(c);
    pthread_mutex_unlock(&lock);
    return OK;
}

CUresult
cuCtxGetCurrent(void **out)
{
    if (!initialised)
        return NOT_INITIALIZED;
    *out = depth > 0 ? stack[depth - 1] : NULL;
    return OK;
}

CUresult
cuCtxSetCurrent(void *ctx)
{
    if (!initialised)
        return NOT_INITIALIZED;
    if (!ctx) {
        if (depth > 0)
            depth--;
        return OK;
    }
    if (!ctx_ok(ctx))
        return INVALID_CONTEXT;
    if (depth == 0)
        depth = 1;
    stack[depth - 1] = ctx;
    return OK;
}

CUresult
cuCtxPushCurrent_v2(void *ctx)
{
    if (!initialised)
        return NOT_INITIALIZED;
    if (!ctx_ok(ctx))
        return INVALID_CONTEXT;
    if (depth == (int)(sizeof stack / sizeof stack[0]))
        return OUT_OF_MEMORY;
    stack[depth++] = ctx;
    return OK;
}

CUresult
cuCtxPopCurrent_v2(void **out)
{
    if (!initialised)
        return NOT_INITIALIZED;
    if (depth == 0)
        return INVALID_CONTEXT;
    Ctx *c = stack[--depth];
    if (out)
        *out = c;
    return OK;
}

CUresult
cuCtxSynchronize(void)
{
    Ctx *c;
    return current(&c);
}

/* The PTX ISA version (10 * major + minor) a CUDA driver version reads. */
static int
max_ptx(int driver)
{
    int major = driver / 1000, minor = driver % 1000 / 10;
    if (major >= 13)
        return 90 + minor;
    if (major == 12)
        return minor <= 5 ? 80 + minor : minor == 6 ? 85 : 79 + minor;
    return major == 11 ? 70 + minor : 60;
}

static void
jit_log(char *log, size_t loglen, const char *msg)
{
    if (log && loglen)
        snprintf(log, loglen, "ptxas application ptx input, line 1; fatal   : %s", msg);
}

/* What the last successful cuModuleLoadDataEx got: 1 PTX, 2 a cubin. Not a
 * CUDA function: tests find it with dlsym to see which image the runtime
 * chose. */
static int last_image_kind;

int
fake_cuda_last_image_kind(void)
{
    return last_image_kind;
}

static uint64_t
le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* A cubin (ELF, e_machine 190 EM_CUDA): the module is made of an ".entry
 * NAME" line per NUL-terminated identifier in the file (its symbol names),
 * so cuModuleGetFunction and cuLaunchKernel treat it like PTX. The file
 * ends with its section headers (e_shoff + e_shnum * e_shentsize). */
static CUresult
load_cubin(char **out, const unsigned char *elf)
{
    if (elf[4] != 2 || le(elf + 18, 2) != 190)
        return 200;
    uint64_t size = le(elf + 0x28, 8) + le(elf + 0x3c, 2) * le(elf + 0x3a, 2);
    if (size < 64 || size > (1u << 26))
        return 200;
    char *text = calloc(1, size * 2 + 1);
    if (!text)
        return 2;
    size_t at = 0;
    for (uint64_t i = 64; i < size;) {
        uint64_t j = i;
        while (j < size && (elf[j] == '_' || (elf[j] >= 'a' && elf[j] <= 'z') ||
                            (elf[j] >= 'A' && elf[j] <= 'Z') || (elf[j] >= '0' && elf[j] <= '9')))
            j++;
        if (j > i && j < size && elf[j] == '\0' && (elf[i - 1] == '\0' || elf[i - 1] == '.'))
            at += (size_t)sprintf(text + at, ".entry %.*s\n", (int)(j - i), (const char *)elf + i);
        i = j + 1;
    }
    *out = text;
    return 0;
}

/* A module of this context over its (malloc'd, owned) text: PTX, or the
 * .entry list load_cubin made of a cubin's symbols. */
static CUresult
add_module(Ctx *c, char *text, void **mod)
{
    Module *m = calloc(1, sizeof *m);
    if (!m || !text) {
        free(m);
        free(text);
        return OUT_OF_MEMORY;
    }
    m->text = text;
    m->magic = MOD_MAGIC;
    m->ctx = c;
    pthread_mutex_lock(&lock);
    m->next = c->modules;
    c->modules = m;
    pthread_mutex_unlock(&lock);
    *mod = m;
    return OK;
}

CUresult
cuModuleLoadDataEx(void **mod, const void *image, unsigned n, int *opts, void **vals)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (image && memcmp(image, "\177ELF", 4) == 0) {
        char *entries = NULL;
        if ((r = load_cubin(&entries, image)) != OK)
            return r;
        last_image_kind = 2;
        return add_module(c, entries, mod);
    }
    char *log = NULL;
    size_t loglen = 0;
    for (unsigned i = 0; i < n; i++) {
        if (opts[i] == 5)
            log = vals[i];
        if (opts[i] == 6)
            loglen = (size_t)(uintptr_t)vals[i];
    }
    const char *text = image;
    /* The real JIT reads up to the NUL: the fake insists on finding one
     * within a sane length instead of reading past the image. */
    if (!text || !memchr(text, '\0', (size_t)64 << 20))
        return INVALID_IMAGE;
    const char *v = strstr(text, ".version");
    if (!v)
        return INVALID_IMAGE;
    int major = 0, minor = 0;
    if (sscanf(v, ".version %d.%d", &major, &minor) != 2) {
        jit_log(log, loglen, "syntax error in .version");
        return INVALID_PTX;
    }
    int max = max_ptx(driver_version());
    if (major * 10 + minor > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "Unsupported .version %d.%d; current version is '%d.%d'", major,
                 minor, max / 10, max % 10);
        jit_log(log, loglen, msg);
        return UNSUPPORTED_PTX_VERSION;
    }
    if (strstr(text, "syntax error")) {
        jit_log(log, loglen, "syntax error");
        return INVALID_PTX;
    }
    last_image_kind = 1;
    return add_module(c, strdup(text), mod);
}

CUresult
cuModuleUnload(void *mod)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    Module *m = mod;
    if (!m || m->magic != MOD_MAGIC || m->ctx != c)
        return INVALID_HANDLE;
    pthread_mutex_lock(&lock);
    for (Module **pp = &c->modules; *pp; pp = &(*pp)->next)
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    pthread_mutex_unlock(&lock);
    while (m->funcs) {
        Func *f = m->funcs;
        m->funcs = f->next;
        free(f);
    }
    m->magic = 0;
    free(m->text);
    free(m);
    return OK;
}

CUresult
cuModuleGetFunction(void **out, void *mod, const char *name)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    Module *m = mod;
    if (!m || m->magic != MOD_MAGIC || m->ctx != c)
        return INVALID_HANDLE;
    size_t len = strlen(name);
    if (len >= sizeof((Func *)0)->name)
        return NOT_FOUND;
    for (const char *at = strstr(m->text, ".entry "); at; at = strstr(at + 1, ".entry ")) {
        const char *p = at + 7;
        if (strncmp(p, name, len) == 0 && strchr("( \t\r\n", p[len]) && p[len]) {
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
    }
    return NOT_FOUND;
}

CUresult
cuMemAlloc_v2(uint64_t *p, size_t bytes)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (bytes == 0)
        return INVALID_VALUE;
    Alloc *a = calloc(1, sizeof *a);
    if (!a || !(a->p = calloc(1, bytes))) {
        free(a);
        return OUT_OF_MEMORY;
    }
    a->size = bytes;
    pthread_mutex_lock(&lock);
    a->next = c->allocs;
    c->allocs = a;
    pthread_mutex_unlock(&lock);
    *p = (uint64_t)(uintptr_t)a->p;
    return OK;
}

CUresult
cuMemFree_v2(uint64_t p)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    pthread_mutex_lock(&lock);
    for (Alloc **pp = &c->allocs; *pp; pp = &(*pp)->next)
        if ((uint64_t)(uintptr_t)(*pp)->p == p) {
            Alloc *a = *pp;
            *pp = a->next;
            pthread_mutex_unlock(&lock);
            free(a->p);
            free(a);
            return OK;
        }
    pthread_mutex_unlock(&lock);
    return INVALID_VALUE;
}

CUresult
cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!find_alloc(c, dst, bytes))
        return INVALID_VALUE;
    memcpy((void *)(uintptr_t)dst, src, bytes);
    return OK;
}

CUresult
cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t bytes)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!find_alloc(c, src, bytes))
        return INVALID_VALUE;
    memcpy(dst, (const void *)(uintptr_t)src, bytes);
    return OK;
}


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

static bool fake_stream_ok(const Ctx *c, void *s);

CUresult
cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
               unsigned bz, unsigned shared, void *stream, void **params, void **extra)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    Func *f = fn;
    if (!f || f->magic != FN_MAGIC || f->mod->ctx != c)
        return INVALID_HANDLE;
    if (!gx || !gy || !gz || !bx || !by || !bz || (uint64_t)bx * by * bz > 1024 || bz > 64 ||
        gy > 65535 || gz > 65535 || gx > 2147483647u)
        return INVALID_VALUE;
    if (strcmp(f->name, "trap") == 0) {
        c->fault = LAUNCH_FAILED; /* reported by this context's next call, and every one after */
        return OK;
    }
    if (!fake_stream_ok(c, stream))
        return INVALID_HANDLE;
    if (strncmp(f->name, "nop", 3) == 0) /* scripts/bench/launch_cost.c: nop2, nop8, nop32 */
        return extra ? INVALID_VALUE : OK;
    if (strcmp(f->name, "checked_saxpy") == 0 && params && !extra) {
        uint64_t rec;
        memcpy(&rec, params[6], 8);
        if (!find_alloc(c, rec, 56)) {
            c->fault = ILLEGAL_ADDRESS;
            return OK;
        }
        checked_saxpy(*(const uint32_t *)params[0], *(const float *)params[1],
                      *(const uint64_t *)params[2], *(const uint64_t *)params[3],
                      *(const uint64_t *)params[4], *(const uint64_t *)params[5],
                      (uint32_t *)(uintptr_t)rec, (uint64_t)gx * bx, bx);
        return OK;
    }
    if (strcmp(f->name, "saxpy") != 0 || extra || !params)
        return INVALID_VALUE;
    uint32_t n = *(const uint32_t *)params[0];
    float a = *(const float *)params[1];
    uint64_t xa = *(const uint64_t *)params[2], ya = *(const uint64_t *)params[3];
    uint64_t threads = (uint64_t)gx * bx, count = n < threads ? n : threads;
    if (count && (!find_alloc(c, xa, count * 4) || !find_alloc(c, ya, count * 4))) {
        c->fault = ILLEGAL_ADDRESS;
        return OK;
    }
    float *x = (float *)(uintptr_t)xa, *y = (float *)(uintptr_t)ya;
    for (uint64_t i = 0; i < count; i++)
        y[i] = a * x[i] + y[i];
    return OK;
}

/* ---- v0.2: streams, events, asynchronous copies ----------------------------
 * Work runs at once (the fake has no queue), so what these check is that the
 * runtime passes live handles in the current context: a stream or event is a
 * FakeObj of the context that created it, refused elsewhere and once
 * destroyed (CUDA_ERROR_INVALID_HANDLE); like every call they need a current
 * context and report its sticky fault, and copies and fills stay inside live
 * allocations. An event records the host's monotonic clock, so
 * cuEventElapsedTime times the (host-computed) work between two records. */
#include <time.h>

enum { FAKE_STREAM = 0x5354, FAKE_EVENT = 0x4556 };

typedef struct FakeObj {
    int magic;
    Ctx *ctx;
    double ms; /* events: when recorded; < 0 before */
} FakeObj;

static bool
fake_stream_ok(const Ctx *c, void *s)
{
    return !s || (((FakeObj *)s)->magic == FAKE_STREAM && ((FakeObj *)s)->ctx == c);
}

static bool
fake_event_ok(const Ctx *c, void *e)
{
    return e && ((FakeObj *)e)->magic == FAKE_EVENT && ((FakeObj *)e)->ctx == c;
}

static CUresult
fake_new(void **out, int magic, unsigned flags)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!out || flags != 0)
        return INVALID_VALUE;
    FakeObj *o = calloc(1, sizeof *o);
    if (!o)
        return OUT_OF_MEMORY;
    o->magic = magic;
    o->ctx = c;
    o->ms = -1.0;
    *out = o;
    return OK;
}

static CUresult
fake_delete(void *o, int magic)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!o || ((FakeObj *)o)->magic != magic || ((FakeObj *)o)->ctx != c)
        return INVALID_HANDLE;
    ((FakeObj *)o)->magic = 0;
    free(o);
    return OK;
}

CUresult
cuStreamCreate(void **s, unsigned flags)
{
    return fake_new(s, FAKE_STREAM, flags);
}

CUresult
cuStreamDestroy_v2(void *s)
{
    return fake_delete(s, FAKE_STREAM);
}

CUresult
cuStreamSynchronize(void *s)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    return fake_stream_ok(c, s) ? OK : INVALID_HANDLE;
}

CUresult
cuStreamWaitEvent(void *s, void *e, unsigned flags)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!fake_stream_ok(c, s) || !fake_event_ok(c, e))
        return INVALID_HANDLE;
    return flags == 0 ? OK : INVALID_VALUE;
}

CUresult
cuMemcpyHtoDAsync_v2(uint64_t dst, const void *src, size_t bytes, void *s)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!fake_stream_ok(c, s))
        return INVALID_HANDLE;
    if (!find_alloc(c, dst, bytes))
        return INVALID_VALUE;
    memcpy((void *)(uintptr_t)dst, src, bytes);
    return OK;
}

CUresult
cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t bytes, void *s)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!fake_stream_ok(c, s))
        return INVALID_HANDLE;
    if (!find_alloc(c, src, bytes))
        return INVALID_VALUE;
    memcpy(dst, (const void *)(uintptr_t)src, bytes);
    return OK;
}

CUresult
cuMemcpyDtoDAsync_v2(uint64_t dst, uint64_t src, size_t bytes, void *s)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!fake_stream_ok(c, s))
        return INVALID_HANDLE;
    if (!find_alloc(c, dst, bytes) || !find_alloc(c, src, bytes))
        return INVALID_VALUE;
    memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
    return OK;
}

CUresult
cuMemsetD32Async(uint64_t dst, unsigned value, size_t n, void *s)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!fake_stream_ok(c, s))
        return INVALID_HANDLE;
    if (dst % 4 || n > SIZE_MAX / 4 || !find_alloc(c, dst, n * 4))
        return INVALID_VALUE;
    uint32_t *p = (uint32_t *)(uintptr_t)dst;
    for (size_t i = 0; i < n; i++)
        p[i] = value;
    return OK;
}

CUresult
cuEventCreate(void **e, unsigned flags)
{
    return fake_new(e, FAKE_EVENT, flags);
}

CUresult
cuEventDestroy_v2(void *e)
{
    return fake_delete(e, FAKE_EVENT);
}

CUresult
cuEventRecord(void *e, void *s)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!fake_event_ok(c, e) || !fake_stream_ok(c, s))
        return INVALID_HANDLE;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ((FakeObj *)e)->ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
    return OK;
}

CUresult
cuEventSynchronize(void *e)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    return fake_event_ok(c, e) ? OK : INVALID_HANDLE;
}

CUresult
cuEventElapsedTime(float *ms, void *a, void *b)
{
    Ctx *c;
    CUresult r = current(&c);
    if (r != OK)
        return r;
    if (!fake_event_ok(c, a) || !fake_event_ok(c, b))
        return INVALID_HANDLE;
    FakeObj *x = a, *y = b;
    if (x->ms < 0 || y->ms < 0)
        return NOT_READY;
    if (!ms)
        return INVALID_VALUE;
    *ms = (float)(y->ms - x->ms);
    return OK;
}
