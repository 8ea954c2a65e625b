/* core.c: libclawrt's public API (claw/claw.h, reference in docs/runtime.md).
 *
 * The core owns every handle and checks every argument before a backend
 * sees it, so the backends (cuda.c, hip.c, vulkan.c: tables of hooks, see
 * rt.h) only deal with valid values. The device list is built on first use:
 * each backend is asked, in the order CUDA, HIP, Vulkan, to dlopen its
 * library and count its devices; a backend whose library is missing simply
 * has none. CLAW_DEVICE=<backend>:<index> moves one device to index 0.
 *
 * Errors: each call returns a claw_status and leaves a one-line message in
 * a thread-local buffer (claw_last_error). Nothing here exits or aborts;
 * the one way a libclawrt program dies on a GPU error is HIP before 7.0,
 * which aborts the process itself on a kernel fault (docs/runtime.md,
 * "Backends: CUDA / HIP versions, faults, interop"). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

static _Thread_local char rt_last_error[2048];

static const RtBackend *const rt_backends[] = {&rt_cuda_backend, &rt_hip_backend,
                                               &rt_vulkan_backend};
enum { RT_NBACKENDS = sizeof rt_backends / sizeof rt_backends[0] };

/* The device list, built once under rt_list_lock. */
static pthread_mutex_t rt_list_lock = PTHREAD_MUTEX_INITIALIZER;
static bool rt_listed;
static claw_device **rt_devices;
static int rt_ndevices;
static claw_status rt_list_status; /* CLAW_DEVICE problems are reported on every call */
static char rt_list_error[2048];
/* Why each backend that has no devices has none (its init message: library
 * missing, driver too old, ...), for the messages that say a device is not
 * there. */
static char rt_list_notes[1024];
/* Modules, so claw_shutdown can free what the program left loaded. */
static claw_module **rt_modules;
static size_t rt_nmodules, rt_cap_modules;

claw_status
rt_error(claw_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rt_last_error, sizeof rt_last_error, fmt, ap);
    va_end(ap);
    return s;
}

const char *
claw_last_error(void)
{
    return rt_last_error;
}

const char *
claw_status_string(claw_status s)
{
    switch (s) {
    case CLAW_SUCCESS: return "CLAW_SUCCESS";
    case CLAW_ERROR_INVALID_ARGUMENT: return "CLAW_ERROR_INVALID_ARGUMENT";
    case CLAW_ERROR_OUT_OF_MEMORY: return "CLAW_ERROR_OUT_OF_MEMORY";
    case CLAW_ERROR_NO_DEVICE: return "CLAW_ERROR_NO_DEVICE";
    case CLAW_ERROR_IO: return "CLAW_ERROR_IO";
    case CLAW_ERROR_INVALID_FATBIN: return "CLAW_ERROR_INVALID_FATBIN";
    case CLAW_ERROR_NO_IMAGE: return "CLAW_ERROR_NO_IMAGE";
    case CLAW_ERROR_MODULE_LOAD: return "CLAW_ERROR_MODULE_LOAD";
    case CLAW_ERROR_KERNEL_NOT_FOUND: return "CLAW_ERROR_KERNEL_NOT_FOUND";
    case CLAW_ERROR_ARGUMENTS: return "CLAW_ERROR_ARGUMENTS";
    case CLAW_ERROR_LAUNCH_CONFIG: return "CLAW_ERROR_LAUNCH_CONFIG";
    case CLAW_ERROR_OUT_OF_BOUNDS: return "CLAW_ERROR_OUT_OF_BOUNDS";
    case CLAW_ERROR_DEVICE: return "CLAW_ERROR_DEVICE";
    case CLAW_ERROR_LAUNCH_FAILED: return "CLAW_ERROR_LAUNCH_FAILED";
    }
    return "CLAW_ERROR_UNKNOWN";
}

/* ---- handle checks ------------------------------------------------------ */

static bool
device_ok(const claw_device *d)
{
    return d && d->magic == RT_MAGIC_DEVICE;
}

static claw_status
bad_handle(const char *fn, const char *what)
{
    return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "%s: %s is null or not a live handle", fn, what);
}

/* ---- the device list ---------------------------------------------------- */

/* Applies CLAW_DEVICE ("vulkan:0", "cuda:1", "hip"), moving that device to
 * index 0; a value that names no device is an error on every device call. */
static void
apply_claw_device(void)
{
    const char *sel = getenv("CLAW_DEVICE");
    if (!sel || !*sel)
        return;
    size_t plen = strcspn(sel, ":");
    long index = 0;
    if (sel[plen] == ':') {
        char *end;
        errno = 0;
        index = strtol(sel + plen + 1, &end, 10);
        if (errno || end == sel + plen + 1 || *end || index < 0) {
            rt_list_status = CLAW_ERROR_NO_DEVICE;
            snprintf(rt_list_error, sizeof rt_list_error,
                     "CLAW_DEVICE='%s': expected <backend>:<index>, e.g. vulkan:0", sel);
            return;
        }
    }
    for (int i = 0; i < rt_ndevices; i++) {
        claw_device *d = rt_devices[i];
        if (strlen(d->be->name) == plen && strncmp(d->be->name, sel, plen) == 0 &&
            d->native_index == index) {
            memmove(&rt_devices[1], &rt_devices[0], (size_t)i * sizeof *rt_devices);
            rt_devices[0] = d;
            return;
        }
    }
    rt_list_status = CLAW_ERROR_NO_DEVICE;
    int n = snprintf(rt_list_error, sizeof rt_list_error,
                     "CLAW_DEVICE='%s' names no device; found:", sel);
    size_t at = n > 0 ? (size_t)n : 0;
    for (int i = 0; i < rt_ndevices && at < sizeof rt_list_error; i++) {
        n = snprintf(rt_list_error + at, sizeof rt_list_error - at, " %s:%d",
                     rt_devices[i]->be->name, rt_devices[i]->native_index);
        at += n > 0 ? (size_t)n : 0;
    }
    if (rt_ndevices == 0 && at < sizeof rt_list_error)
        snprintf(rt_list_error + at, sizeof rt_list_error - at,
                 " nothing (no libcuda.so.1, libamdhip64.so or usable libvulkan.so.1 devices)");
    at = strlen(rt_list_error);
    if (rt_list_notes[0] && at < sizeof rt_list_error)
        snprintf(rt_list_error + at, sizeof rt_list_error - at, " [%s]", rt_list_notes);
}

/* Adds the message of a backend's failed init to rt_list_notes. */
static void
note_backend(const char *msg)
{
    size_t at = strlen(rt_list_notes);
    if (at + 4 > sizeof rt_list_notes)
        return;
    if (at) {
        memcpy(rt_list_notes + at, "; ", 2);
        at += 2;
    }
    size_t n = strnlen(msg, sizeof rt_list_notes - at - 1);
    memcpy(rt_list_notes + at, msg, n);
    rt_list_notes[at + n] = '\0';
}

static claw_status
list_devices(void)
{
    pthread_mutex_lock(&rt_list_lock);
    if (!rt_listed) {
        rt_listed = true;
        rt_list_status = CLAW_SUCCESS;
        rt_list_notes[0] = '\0';
        for (int b = 0; b < RT_NBACKENDS; b++) {
            int count = 0;
            if (rt_backends[b]->init(&count) != CLAW_SUCCESS) {
                note_backend(rt_last_error);
                continue;
            }
            if (count <= 0)
                continue;
            claw_device **nd = realloc(rt_devices, (size_t)(rt_ndevices + count) * sizeof *nd);
            if (!nd)
                break;
            rt_devices = nd;
            for (int i = 0; i < count; i++) {
                claw_device *d = calloc(1, sizeof *d);
                if (!d)
                    break;
                d->magic = RT_MAGIC_DEVICE;
                d->be = rt_backends[b];
                d->native_index = i;
                pthread_mutex_init(&d->lock, NULL);
                rt_devices[rt_ndevices++] = d;
            }
        }
        apply_claw_device();
    }
    claw_status s = rt_list_status;
    if (s != CLAW_SUCCESS)
        rt_error(s, "%s", rt_list_error);
    pthread_mutex_unlock(&rt_list_lock);
    return s;
}

claw_status
claw_device_count(int *count)
{
    if (!count)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_device_count: count is null");
    *count = 0;
    claw_status s = list_devices();
    if (s == CLAW_SUCCESS)
        *count = rt_ndevices;
    return s;
}

claw_status
claw_device_get(int index, claw_device **out)
{
    if (!out)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_device_get: out is null");
    *out = NULL;
    claw_status s = list_devices();
    if (s != CLAW_SUCCESS)
        return s;
    if (index < 0 || index >= rt_ndevices)
        return rt_error(CLAW_ERROR_NO_DEVICE,
                        "claw_device_get: no device %d (%d device%s found)%s%s%s", index,
                        rt_ndevices, rt_ndevices == 1 ? "" : "s", rt_list_notes[0] ? " [" : "",
                        rt_list_notes, rt_list_notes[0] ? "]" : "");
    claw_device *d = rt_devices[index];
    pthread_mutex_lock(&d->lock);
    if (!d->opened) {
        s = d->be->device_open(d);
        d->opened = s == CLAW_SUCCESS;
        if (d->opened)
            for (int i = 0; i < 3; i++) {
                d->props.max_grid[i] = d->limits.max_grid[i];
                d->props.max_block[i] = d->limits.max_block[i];
            }
    }
    pthread_mutex_unlock(&d->lock);
    if (s == CLAW_SUCCESS)
        *out = d;
    return s;
}

claw_status
claw_device_props_get(claw_device *dev, claw_device_props *out)
{
    if (!device_ok(dev))
        return bad_handle("claw_device_props_get", "device");
    if (!out)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_device_props_get: out is null");
    *out = dev->props;
    return CLAW_SUCCESS;
}

claw_status
claw_synchronize(claw_device *dev)
{
    if (!device_ok(dev))
        return bad_handle("claw_synchronize", "device");
    pthread_mutex_lock(&dev->lock);
    claw_status s = rt_bounds_collect(dev, dev->be->synchronize(dev));
    pthread_mutex_unlock(&dev->lock);
    return s;
}

/* ---- modules and kernels ------------------------------------------------ */

static void
forget_module(claw_module *m)
{
    pthread_mutex_lock(&rt_list_lock);
    for (size_t i = 0; i < rt_nmodules; i++)
        if (rt_modules[i] == m) {
            rt_modules[i] = rt_modules[--rt_nmodules];
            break;
        }
    pthread_mutex_unlock(&rt_list_lock);
}

static bool
remember_module(claw_module *m)
{
    bool ok = true;
    pthread_mutex_lock(&rt_list_lock);
    if (rt_nmodules == rt_cap_modules) {
        size_t cap = rt_cap_modules ? rt_cap_modules * 2 : 8;
        claw_module **nm = realloc(rt_modules, cap * sizeof *nm);
        if (nm) {
            rt_modules = nm;
            rt_cap_modules = cap;
        } else {
            ok = false;
        }
    }
    if (ok)
        rt_modules[rt_nmodules++] = m;
    pthread_mutex_unlock(&rt_list_lock);
    return ok;
}

void
rt_free_kernel(claw_device *dev, claw_kernel *k, bool native)
{
    if (!k)
        return;
    if (native)
        dev->be->kernel_release(k);
    rt_bounds_kernel_free(dev, k, native);
    k->magic = 0;
    free(k->offsets);
    free(k->cache_lo);
    free(k->cache_hi);
    free(k);
}

static void
free_module(claw_module *m, bool native)
{
    rt_free_variants(m, native);
    if (m->kernels)
        for (uint32_t i = 0; i < m->image->nkernels; i++)
            rt_free_kernel(m->dev, m->kernels[i], native);
    if (native && m->native)
        m->dev->be->module_unload(m);
    free(m->kernels);
    if (!m->parent) {
        claw_fb_free(m->fb);
        free(m->bytes);
    }
    m->magic = 0;
    free(m);
}

/* CLAW_LOG=1: every image of the fat binary and why it was chosen or passed
 * over, on stderr (docs/runtime.md "Logging"). */
static void
log_choice(const claw_device *dev, const claw_fb_file *f, int chosen)
{
    const char *log = getenv("CLAW_LOG");
    if (!log || strcmp(log, "1") != 0)
        return;
    fprintf(stderr, "[claw] module load on %s:%d (%s, %s): %zu image%s\n", dev->be->name,
            dev->native_index, dev->props.name, dev->props.arch, f->nimages,
            f->nimages == 1 ? "" : "s");
    if (dev->features_note)
        fprintf(stderr, "[claw]   device %s\n", dev->features_note);
    for (size_t i = 0; i < f->nimages; i++) {
        char why[256];
        rt_explain_image_for(f, i, chosen, dev->props.backend, dev->props.arch, dev->rt_features,
                             why, sizeof why);
        fprintf(stderr, "[claw]   image %zu: %s %s: %s\n", i, f->images[i].triple,
                f->images[i].arch, why);
    }
    if (chosen < 0)
        fprintf(stderr, "[claw]   no image chosen\n");
}

claw_status
claw_module_load(claw_device *dev, const void *fatbin, size_t size, claw_module **out)
{
    if (out)
        *out = NULL;
    if (!device_ok(dev))
        return bad_handle("claw_module_load", "device");
    if (!out || !fatbin)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_module_load: %s is null",
                        out ? "fatbin" : "out");
    if (size == 0)
        return rt_error(CLAW_ERROR_INVALID_FATBIN, "claw_module_load: the fat binary is empty");
    claw_module *m = calloc(1, sizeof *m);
    if (!m || !(m->bytes = malloc(size))) {
        free(m);
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_module_load: no memory for %zu bytes",
                        size);
    }
    m->magic = RT_MAGIC_MODULE;
    m->dev = dev;
    memcpy(m->bytes, fatbin, size);
    char err[1024];
    if (claw_fb_read(m->bytes, size, &m->fb, err, sizeof err) != 0) {
        free_module(m, false);
        return rt_error(CLAW_ERROR_INVALID_FATBIN, "claw_module_load: %s", err);
    }
    int idx = rt_choose_image_for(m->fb, dev->props.backend, dev->props.arch, dev->rt_features,
                                  err, sizeof err);
    log_choice(dev, m->fb, idx);
    if (idx < 0) {
        free_module(m, false);
        return rt_error(CLAW_ERROR_NO_IMAGE, "claw_module_load: %s (device: %s)", err,
                        dev->props.name);
    }
    m->image = &m->fb->images[idx];
    if (m->image->nkernels && !(m->kernels = calloc(m->image->nkernels, sizeof *m->kernels))) {
        free_module(m, false);
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_module_load: out of memory");
    }
    pthread_mutex_lock(&dev->lock);
    claw_status s = dev->be->module_load(dev, m);
    pthread_mutex_unlock(&dev->lock);
    if (s != CLAW_SUCCESS) {
        free_module(m, false);
        return s;
    }
    if (!remember_module(m)) {
        free_module(m, true);
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_module_load: out of memory");
    }
    *out = m;
    return CLAW_SUCCESS;
}

claw_status
claw_module_load_file(claw_device *dev, const char *path, claw_module **out)
{
    if (out)
        *out = NULL;
    if (!device_ok(dev))
        return bad_handle("claw_module_load_file", "device");
    if (!path || !out)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_module_load_file: %s is null",
                        path ? "out" : "path");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return rt_error(CLAW_ERROR_IO, "cannot open fat binary '%s': %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "no memory to read '%s'", path);
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0)
            break;
    }
    bool failed = ferror(fp);
    fclose(fp);
    if (failed) {
        free(buf);
        return rt_error(CLAW_ERROR_IO, "error reading fat binary '%s'", path);
    }
    claw_status s = len ? claw_module_load(dev, buf, len, out)
                        : rt_error(CLAW_ERROR_INVALID_FATBIN, "fat binary '%s' is empty", path);
    free(buf);
    if (s != CLAW_SUCCESS && s != CLAW_ERROR_INVALID_FATBIN && s != CLAW_ERROR_NO_IMAGE)
        return s;
    if (s != CLAW_SUCCESS) {
        char msg[sizeof rt_last_error];
        snprintf(msg, sizeof msg, "%s", rt_last_error);
        return rt_error(s, "%s: %s", path, msg);
    }
    return s;
}

void
claw_module_unload(claw_module *m)
{
    if (!m || m->magic != RT_MAGIC_MODULE)
        return;
    claw_device *dev = m->dev;
    forget_module(m);
    pthread_mutex_lock(&dev->lock);
    dev->be->synchronize(dev);
    free_module(m, true);
    pthread_mutex_unlock(&dev->lock);
}

claw_status
claw_kernel_get(claw_module *m, const char *name, claw_kernel **out)
{
    if (out)
        *out = NULL;
    if (!m || m->magic != RT_MAGIC_MODULE)
        return bad_handle("claw_kernel_get", "module");
    if (!name || !out)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_kernel_get: %s is null",
                        name ? "out" : "name");
    /* A tuned kernel runs from its variant's image (variant.c). */
    int base = (int)(m->image - m->fb->images);
    int vi = rt_choose_variant(m->fb, base, name, m->dev->props.arch);
    if (vi != base) {
        pthread_mutex_lock(&m->dev->lock);
        claw_status vs = rt_variant_module(m, vi, &m);
        pthread_mutex_unlock(&m->dev->lock);
        if (vs != CLAW_SUCCESS)
            return vs;
    }
    const claw_fb_image *img = m->image;
    for (uint32_t i = 0; i < img->nkernels; i++) {
        const claw_fb_kernel *meta = &img->kernels[i];
        if (strcmp(meta->name, name) != 0)
            continue;
        claw_device *dev = m->dev;
        pthread_mutex_lock(&dev->lock);
        claw_status s = CLAW_SUCCESS;
        if (!m->kernels[i]) {
            claw_kernel *k = calloc(1, sizeof *k);
            /* A checked kernel also takes a hidden extent per pointer and its record. */
            size_t nabi = (size_t)meta->nparams * 2 + 2;
            if (k) {
                k->offsets = calloc(nabi, sizeof *k->offsets);
                k->cache_lo = calloc(nabi, sizeof *k->cache_lo);
                k->cache_hi = calloc(nabi, sizeof *k->cache_hi);
                k->cache_gen = UINT64_MAX;
            }
            if (!k || !k->offsets || !k->cache_lo || !k->cache_hi) {
                if (k) {
                    free(k->offsets);
                    free(k->cache_lo);
                    free(k->cache_hi);
                    free(k);
                }
                s = rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_kernel_get: out of memory");
            } else {
                k->magic = RT_MAGIC_KERNEL;
                k->mod = m;
                s = rt_bounds_kernel_init(k, meta, &m->fb->entries[img - m->fb->images]);
                if (s == CLAW_SUCCESS && !rt_layout_params(k->meta, k->offsets, &k->packed_size))
                    s = rt_error(CLAW_ERROR_INVALID_FATBIN, "kernel '%s': parameters too large",
                                 name);
                if (s == CLAW_SUCCESS)
                    s = dev->be->kernel_get(k);
                if (s == CLAW_SUCCESS) {
                    m->kernels[i] = k;
                } else {
                    free(k->abi_params);
                    free(k->offsets);
                    free(k->cache_lo);
                    free(k->cache_hi);
                    free(k);
                }
            }
        }
        pthread_mutex_unlock(&dev->lock);
        if (s == CLAW_SUCCESS)
            *out = m->kernels[i];
        return s;
    }
    char names[512];
    size_t at = 0;
    names[0] = '\0';
    for (uint32_t i = 0; i < img->nkernels && at < sizeof names; i++) {
        int n =
            snprintf(names + at, sizeof names - at, "%s%s", i ? ", " : "", img->kernels[i].name);
        at += n > 0 ? (size_t)n : 0;
    }
    return rt_error(CLAW_ERROR_KERNEL_NOT_FOUND,
                    "no kernel '%s' in the module's %s %s image (kernels: %s)", name, img->triple,
                    img->arch, img->nkernels ? names : "none");
}

/* ---- buffers ------------------------------------------------------------ */

static bool
buffer_ok(const claw_buffer *b)
{
    return b && b->magic == RT_MAGIC_BUFFER;
}

/* ---- the address index (RtBufIndex, rt.h) --------------------------------
 * Insert and remove are O(n) moves, paid once per buffer; the check each
 * pointer argument of each launch needs is O(log n). */

/* The number of buffers whose start is <= addr. */
static size_t
index_upper(const RtBufIndex *ix, uint64_t addr)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->start[mid] <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void
index_fix_maxend(RtBufIndex *ix, size_t from)
{
    for (size_t i = from; i < ix->n; i++) {
        uint64_t end = ix->start[i] + ix->buf[i]->size;
        ix->maxend[i] = i > 0 && ix->maxend[i - 1] > end ? ix->maxend[i - 1] : end;
    }
}

static bool
index_insert(RtBufIndex *ix, claw_buffer *b)
{
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 64;
        uint64_t *st = realloc(ix->start, cap * sizeof *st);
        if (st)
            ix->start = st;
        uint64_t *me = st ? realloc(ix->maxend, cap * sizeof *me) : NULL;
        if (me)
            ix->maxend = me;
        claw_buffer **bf = me ? realloc(ix->buf, cap * sizeof *bf) : NULL;
        if (!bf)
            return false;
        ix->buf = bf;
        ix->cap = cap;
    }
    size_t at = index_upper(ix, b->address);
    memmove(ix->start + at + 1, ix->start + at, (ix->n - at) * sizeof *ix->start);
    memmove(ix->buf + at + 1, ix->buf + at, (ix->n - at) * sizeof *ix->buf);
    ix->start[at] = b->address;
    ix->buf[at] = b;
    ix->n++;
    index_fix_maxend(ix, at);
    return true;
}

static void
index_remove(RtBufIndex *ix, claw_buffer *b)
{
    for (size_t at = index_upper(ix, b->address); at-- > 0 && ix->start[at] == b->address;) {
        if (ix->buf[at] != b)
            continue;
        memmove(ix->start + at, ix->start + at + 1, (ix->n - at - 1) * sizeof *ix->start);
        memmove(ix->buf + at, ix->buf + at + 1, (ix->n - at - 1) * sizeof *ix->buf);
        ix->n--;
        index_fix_maxend(ix, at);
        return;
    }
}

static void
index_free(RtBufIndex *ix)
{
    free(ix->start);
    free(ix->maxend);
    free(ix->buf);
    memset(ix, 0, sizeof *ix);
}

/* Whether pointer argument i of k, addr, is null or lies in (or just past)
 * a live buffer of dev: k's cache first (rt.h), then the index, where among
 * the buffers starting at or below addr the furthest end must reach it. */
static bool
kernel_address_ok(claw_kernel *k, claw_device *dev, size_t i, uint64_t addr)
{
    if (addr == 0)
        return true;
    if (k->cache_gen != dev->buf_gen) {
        memset(k->cache_lo, 0xff, k->meta->nparams * sizeof *k->cache_lo);
        memset(k->cache_hi, 0, k->meta->nparams * sizeof *k->cache_hi);
        k->cache_gen = dev->buf_gen;
    }
    if (addr >= k->cache_lo[i] && addr <= k->cache_hi[i])
        return true;
    const RtBufIndex *ix = &dev->index;
    size_t n = index_upper(ix, addr);
    if (n == 0 || ix->maxend[n - 1] < addr)
        return false;
    /* Remember the buffer just below addr when it holds addr (the usual
     * case); an address only an overlapping wrap holds is not cached. */
    if (ix->start[n - 1] + ix->buf[n - 1]->size >= addr) {
        k->cache_lo[i] = ix->start[n - 1];
        k->cache_hi[i] = ix->start[n - 1] + ix->buf[n - 1]->size;
    }
    return true;
}

/* Registers a new buffer of dev (dev->lock held). */
static claw_status
add_buffer_locked(claw_device *dev, claw_buffer *b, const char *fn)
{
    if (!index_insert(&dev->index, b))
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    b->next = dev->buffers;
    dev->buffers = b;
    return CLAW_SUCCESS;
}

claw_status
claw_alloc(claw_device *dev, size_t bytes, claw_buffer **out)
{
    if (out)
        *out = NULL;
    if (!device_ok(dev))
        return bad_handle("claw_alloc", "device");
    if (!out)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_alloc: out is null");
    if (bytes == 0)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_alloc: zero bytes requested");
    if (bytes > dev->props.global_mem_bytes)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY,
                        "claw_alloc: %zu bytes is more than the device's %llu bytes", bytes,
                        (unsigned long long)dev->props.global_mem_bytes);
    claw_buffer *b = calloc(1, sizeof *b);
    if (!b)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_alloc: out of host memory");
    b->magic = RT_MAGIC_BUFFER;
    b->dev = dev;
    b->size = bytes;
    pthread_mutex_lock(&dev->lock);
    claw_status s = dev->be->alloc(dev, b);
    if (s == CLAW_SUCCESS && (s = add_buffer_locked(dev, b, "claw_alloc")) != CLAW_SUCCESS)
        dev->be->free(b);
    pthread_mutex_unlock(&dev->lock);
    if (s != CLAW_SUCCESS) {
        free(b);
        return s;
    }
    *out = b;
    return CLAW_SUCCESS;
}

/* Called with dev->lock held. */
static void
free_buffer_locked(claw_buffer *b)
{
    claw_device *dev = b->dev;
    for (claw_buffer **pp = &dev->buffers; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    index_remove(&dev->index, b);
    dev->buf_gen++;
    if (!b->wrapped)
        dev->be->free(b);
    b->magic = 0;
    free(b);
}

void
claw_free(claw_buffer *b)
{
    if (!buffer_ok(b))
        return;
    claw_device *dev = b->dev;
    pthread_mutex_lock(&dev->lock);
    /* A launch in flight may still use the buffer. */
    dev->be->synchronize(dev);
    free_buffer_locked(b);
    pthread_mutex_unlock(&dev->lock);
}

uint64_t
claw_buffer_address(claw_buffer *b)
{
    if (!buffer_ok(b)) {
        bad_handle("claw_buffer_address", "buffer");
        return 0;
    }
    return b->address;
}

claw_status
claw_buffer_wrap(claw_device *dev, uint64_t address, size_t bytes, claw_buffer **out)
{
    if (out)
        *out = NULL;
    if (!device_ok(dev))
        return bad_handle("claw_buffer_wrap", "device");
    if (!out)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_buffer_wrap: out is null");
    if (!dev->be->wrap)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT,
                        "claw_buffer_wrap: %s devices cannot wrap memory that another library "
                        "owns (a Vulkan buffer has no address to adopt); use claw_alloc",
                        dev->be->name);
    if (address == 0 || bytes == 0)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_buffer_wrap: %s is zero",
                        address ? "bytes" : "the address");
    if (bytes > UINT64_MAX - address)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT,
                        "claw_buffer_wrap: 0x%llx + %zu bytes runs past the address space",
                        (unsigned long long)address, bytes);
    claw_buffer *b = calloc(1, sizeof *b);
    if (!b)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_buffer_wrap: out of host memory");
    b->magic = RT_MAGIC_BUFFER;
    b->dev = dev;
    b->size = bytes;
    b->address = address;
    b->wrapped = true;
    pthread_mutex_lock(&dev->lock);
    claw_status s = dev->be->wrap(dev, b);
    if (s == CLAW_SUCCESS)
        s = add_buffer_locked(dev, b, "claw_buffer_wrap");
    pthread_mutex_unlock(&dev->lock);
    if (s != CLAW_SUCCESS) {
        free(b);
        return s;
    }
    *out = b;
    return CLAW_SUCCESS;
}

claw_status
rt_check_range(const char *fn, claw_buffer *b, size_t offset, const void *p, size_t bytes)
{
    if (!buffer_ok(b))
        return bad_handle(fn, "buffer");
    if (!p && bytes > 0)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "%s: host pointer is null", fn);
    if (offset > b->size || bytes > b->size - offset)
        return rt_error(CLAW_ERROR_OUT_OF_BOUNDS,
                        "%s: bytes [%zu, %zu + %zu) run past the end of a %zu-byte buffer", fn,
                        offset, offset, bytes, b->size);
    return CLAW_SUCCESS;
}

claw_status
claw_write(claw_buffer *b, size_t offset, const void *src, size_t bytes)
{
    claw_status s = rt_check_range("claw_write", b, offset, src, bytes);
    if (s != CLAW_SUCCESS || bytes == 0)
        return s;
    pthread_mutex_lock(&b->dev->lock);
    s = b->dev->be->write(b, offset, src, bytes);
    pthread_mutex_unlock(&b->dev->lock);
    return s;
}

claw_status
claw_read(claw_buffer *b, size_t offset, void *dst, size_t bytes)
{
    claw_status s = rt_check_range("claw_read", b, offset, dst, bytes);
    if (s != CLAW_SUCCESS || bytes == 0)
        return s;
    pthread_mutex_lock(&b->dev->lock);
    s = rt_bounds_collect(b->dev, b->dev->be->read(b, offset, dst, bytes));
    pthread_mutex_unlock(&b->dev->lock);
    return s;
}

/* ---- launches ----------------------------------------------------------- */

/* A pointer argument must be null (docs/runtime.md: a kernel may compare
 * it, never dereference it) or point into (or just past) a live buffer of
 * the launch's device (kernel_address_ok): anything else would hand the
 * driver a wild address, which on a CPU device such as lavapipe crashes the
 * host process. */
claw_status
rt_launch(const char *fn, claw_stream *st, claw_kernel *k, const uint32_t grid[3],
          const uint32_t block[3], const void *const *args, const size_t *sizes, size_t nargs)
{
    if (!k || k->magic != RT_MAGIC_KERNEL)
        return bad_handle(fn, "kernel");
    const claw_fb_kernel *meta = k->meta;
    claw_device *dev = k->mod->dev;
    if (st && (st->magic != RT_MAGIC_STREAM))
        return bad_handle(fn, "stream");
    if (st && st->dev != dev)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT,
                        "%s: the stream belongs to %s:%d and kernel '%s' to %s:%d", fn,
                        st->dev->be->name, st->dev->native_index, meta->name, dev->be->name,
                        dev->native_index);
    if (!grid || !block)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "%s: %s is null", fn, grid ? "block" : "grid");
    if (nargs != k->nuser)
        return rt_error(CLAW_ERROR_ARGUMENTS, "kernel '%s' takes %u argument%s, not %zu",
                        meta->name, k->nuser, k->nuser == 1 ? "" : "s", nargs);
    if (nargs > 0 && !args)
        return rt_error(CLAW_ERROR_ARGUMENTS, "kernel '%s': args is null", meta->name);
    for (size_t i = 0; i < nargs; i++) {
        const claw_fb_param *p = &meta->params[i];
        if (!args[i])
            return rt_error(CLAW_ERROR_ARGUMENTS, "kernel '%s': argument %zu ('%s') is null",
                            meta->name, i, p->name);
        if (sizes && sizes[i] != p->size)
            return rt_error(CLAW_ERROR_ARGUMENTS,
                            "kernel '%s': argument %zu ('%s') is %zu bytes; the parameter is %u",
                            meta->name, i, p->name, sizes[i], p->size);
    }
    claw_status s = rt_check_launch_config(meta, &dev->props, &dev->limits, grid, block);
    if (s != CLAW_SUCCESS)
        return s;

    unsigned char small[256];
    unsigned char *packed = k->packed_size <= sizeof small ? small : malloc(k->packed_size);
    if (!packed)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "%s: out of memory", fn);
    memset(packed, 0, k->packed_size);
    for (size_t i = 0; i < nargs; i++)
        memcpy(packed + k->offsets[i], args[i], meta->params[i].size);

    pthread_mutex_lock(&dev->lock);
    for (size_t i = 0; i < nargs && s == CLAW_SUCCESS; i++) {
        if (meta->params[i].kind != CLAW_FB_PARAM_POINTER)
            continue;
        uint64_t addr;
        memcpy(&addr, packed + k->offsets[i], sizeof addr);
        if (!kernel_address_ok(k, dev, i, addr))
            s = rt_error(CLAW_ERROR_ARGUMENTS,
                         "kernel '%s': pointer argument %zu ('%s') = 0x%llx is not inside a live "
                         "buffer of this device (use claw_buffer_address)",
                         meta->name, i, meta->params[i].name, (unsigned long long)addr);
    }
    if (s == CLAW_SUCCESS && st && st->magic != RT_MAGIC_STREAM)
        s = bad_handle(fn, "stream"); /* destroyed by another thread meanwhile */
    /* A checked kernel's hidden arguments (bounds.c); drivers that take one
     * pointer per parameter get them all, pointing into the packed block. */
    const void *small_args[32];
    const void **all = NULL;
    if (s == CLAW_SUCCESS && meta->nparams > nargs) {
        s = rt_bounds_fill(k, packed);
        all = meta->nparams <= 32 ? small_args : malloc(meta->nparams * sizeof *all);
        if (s == CLAW_SUCCESS && !all)
            s = rt_error(CLAW_ERROR_OUT_OF_MEMORY, "%s: out of memory", fn);
        for (uint32_t i = 0; s == CLAW_SUCCESS && i < meta->nparams; i++)
            all[i] = packed + k->offsets[i];
    }
    const void *const *pass = all ? (const void *const *)all : args;
    if (s == CLAW_SUCCESS)
        s = st ? dev->be->launch_on(st, k, grid, block, packed, pass)
               : dev->be->launch(k, grid, block, packed, pass);
    if (all && all != small_args)
        free(all);
    pthread_mutex_unlock(&dev->lock);
    if (packed != small)
        free(packed);
    return s;
}

claw_status
claw_launch(claw_kernel *k, const uint32_t grid[3], const uint32_t block[3],
            const void *const *args, size_t nargs)
{
    return rt_launch("claw_launch", NULL, k, grid, block, args, NULL, nargs);
}

claw_status
claw_launch_sized(claw_kernel *k, const uint32_t grid[3], const uint32_t block[3],
                  const void *const *args, const size_t *sizes, size_t nargs)
{
    if (!sizes && nargs > 0)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_launch_sized: sizes is null");
    return rt_launch("claw_launch_sized", NULL, k, grid, block, args, sizes, nargs);
}

claw_status
claw_launch_sized_on(claw_stream *s, claw_kernel *k, const uint32_t grid[3],
                     const uint32_t block[3], const void *const *args, const size_t *sizes,
                     size_t nargs)
{
    if (!sizes && nargs > 0)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_launch_sized_on: sizes is null");
    return rt_launch("claw_launch_sized_on", s, k, grid, block, args, sizes, nargs);
}

/* ---- shutdown ----------------------------------------------------------- */

void
claw_shutdown(void)
{
    pthread_mutex_lock(&rt_list_lock);
    for (size_t i = 0; i < rt_nmodules; i++) {
        claw_module *m = rt_modules[i];
        m->dev->be->synchronize(m->dev);
        free_module(m, true);
    }
    free(rt_modules);
    rt_modules = NULL;
    rt_nmodules = rt_cap_modules = 0;
    for (int i = 0; i < rt_ndevices; i++) {
        claw_device *d = rt_devices[i];
        if (d->opened) {
            d->be->synchronize(d);
            while (d->buffers)
                free_buffer_locked(d->buffers);
            rt_free_streams_events(d);
            d->be->device_close(d);
        }
        index_free(&d->index);
        pthread_mutex_destroy(&d->lock);
        d->magic = 0;
        free(d);
    }
    free(rt_devices);
    rt_devices = NULL;
    rt_ndevices = 0;
    for (int b = 0; b < RT_NBACKENDS; b++)
        rt_backends[b]->shutdown();
    rt_listed = false;
    pthread_mutex_unlock(&rt_list_lock);
}
