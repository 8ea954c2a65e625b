/* bounds.c: the runtime side of `clawc -fsanitize=bounds` (docs/debugging.md).
 *
 * A checked kernel (its metadata line says "bounds") takes hidden arguments
 * after its own: one u64 extent per pointer parameter (the bytes from the
 * pointer to the end of the live buffer it points into; 0 for null) and
 * the device address of the kernel's record, a 64-byte device buffer that
 * the first failing access of a launch fills in. The core lays the
 * parameters out with the hidden ones appended (k->abi), fills them at each
 * launch (rt_bounds_fill) and, after each call that waits for launches,
 * reads every record of the device (rt_bounds_collect): a filled record
 * becomes CLAW_ERROR_OUT_OF_BOUNDS with a GCC-style message, and is
 * cleared. The record's words are never trusted: a site id outside the
 * table or a state other than 0, 1 or 2 is reported as such, never
 * followed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

/* Words of the record (docs/debugging.md "The record"). */
enum {
    REC_STATE = 0,
    REC_SITE = 1,
    REC_ADDR = 2,
    REC_LO = 4,
    REC_HI = 6,
    REC_BLOCK = 8,
    REC_THREAD = 11,
    REC_WORDS = 14,
    REC_BYTES = 128, /* the record, then 64 bytes where suppressed stores go */
};

claw_status
rt_bounds_kernel_init(claw_kernel *k, const claw_fb_kernel *meta, const claw_fb_entry *ex)
{
    k->nuser = meta->nparams;
    k->meta = meta;
    if (!meta->bounds_checked)
        return CLAW_SUCCESS;
    if (!ex || !ex->bounds)
        return rt_error(CLAW_ERROR_INVALID_FATBIN,
                        "kernel '%s' was compiled with -fsanitize=bounds but its image has no "
                        "access-site table ('claw.bounds'): the fat binary was altered",
                        meta->name);
    uint32_t np = 0;
    for (uint32_t i = 0; i < meta->nparams; i++)
        np += meta->params[i].kind == CLAW_FB_PARAM_POINTER;
    uint32_t n = meta->nparams + np + 1;
    claw_fb_param *ps = calloc(n, sizeof *ps);
    if (!ps)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_kernel_get: out of memory");
    memcpy(ps, meta->params, meta->nparams * sizeof *ps);
    for (uint32_t i = meta->nparams; i < n; i++)
        ps[i] = (claw_fb_param){i + 1 < n ? "claw_extent" : "claw_bounds_record",
                                i + 1 < n ? CLAW_FB_PARAM_SCALAR : CLAW_FB_PARAM_POINTER, 8, 8};
    k->abi = *meta;
    k->abi.nparams = n;
    k->abi.params = ps;
    k->abi_params = ps;
    k->meta = &k->abi;
    k->sites = ex->bounds;
    return CLAW_SUCCESS;
}

/* Reads or writes the record without waiting for the device where the
 * backend can (Vulkan's mapped memory), else through its read/write. */
static claw_status
record_io(claw_kernel *k, void *host, bool write)
{
    const RtBackend *be = k->mod->dev->be;
    if (be->record_io)
        return be->record_io(k->bounds, host, REC_BYTES, write);
    return write ? be->write(k->bounds, 0, host, REC_BYTES)
                 : be->read(k->bounds, 0, host, REC_BYTES);
}

static void
unlink_kernel(claw_device *dev, claw_kernel *k)
{
    for (claw_kernel **p = &dev->bounds_kernels; *p; p = &(*p)->bounds_next)
        if (*p == k) {
            *p = k->bounds_next;
            break;
        }
}

void
rt_bounds_kernel_free(claw_device *dev, claw_kernel *k, bool native)
{
    if (k->bounds) {
        unlink_kernel(dev, k);
        if (native)
            dev->be->free(k->bounds);
        free(k->bounds);
        k->bounds = NULL;
    }
    free(k->abi_params);
    k->abi_params = NULL;
}

/* The bytes from addr to the end of the live buffer holding it (the one
 * reaching furthest when wrapped buffers overlap); 0 for null. */
static uint64_t
extent_of(claw_device *dev, uint64_t addr)
{
    if (addr == 0)
        return 0;
    uint64_t best = 0;
    const RtBufIndex *ix = &dev->index;
    for (size_t i = 0; i < ix->n && ix->start[i] <= addr; i++) {
        uint64_t end = ix->start[i] + ix->buf[i]->size;
        if (end >= addr && end - addr > best)
            best = end - addr;
    }
    return best;
}

claw_status
rt_bounds_fill(claw_kernel *k, unsigned char *packed)
{
    claw_device *dev = k->mod->dev;
    if (!k->bounds) {
        claw_buffer *b = calloc(1, sizeof *b);
        if (!b)
            return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "kernel '%s': out of memory", k->meta->name);
        b->magic = 0; /* internal: never a handle the caller can pass */
        b->dev = dev;
        b->size = REC_BYTES;
        claw_status s = dev->be->alloc(dev, b);
        if (s != CLAW_SUCCESS) {
            free(b);
            return s;
        }
        k->bounds = b;
        uint32_t zero[REC_BYTES / 4] = {0};
        if ((s = record_io(k, zero, true)) != CLAW_SUCCESS) {
            dev->be->free(b);
            free(b);
            k->bounds = NULL;
            return s;
        }
        k->bounds_next = dev->bounds_kernels;
        dev->bounds_kernels = k;
    }
    uint32_t h = k->nuser;
    for (uint32_t i = 0; i < k->nuser; i++) {
        if (k->meta->params[i].kind != CLAW_FB_PARAM_POINTER)
            continue;
        uint64_t addr, ext;
        memcpy(&addr, packed + k->offsets[i], sizeof addr);
        ext = extent_of(dev, addr);
        memcpy(packed + k->offsets[h++], &ext, sizeof ext);
    }
    memcpy(packed + k->offsets[h], &k->bounds->address, sizeof k->bounds->address);
    return CLAW_SUCCESS;
}

/* Site `id` of the table (docs/debugging.md): its fields, false when the
 * table has no such line. */
typedef struct Site {
    unsigned long long line, col, bytes, align;
    char access[8], space[8], func[128], param[128];
} Site;

static bool
find_site(const char *table, uint32_t id, Site *s, char *file, size_t filelen)
{
    if (!table || strncmp(table, "file ", 5) != 0)
        return false;
    const char *nl = strchr(table, '\n');
    if (!nl)
        return false;
    size_t n = (size_t)(nl - table - 5);
    snprintf(file, filelen, "%.*s", (int)(n < filelen ? n : filelen - 1), table + 5);
    for (const char *p = nl + 1; *p;) {
        const char *e = strchr(p, '\n');
        if (!e)
            return false;
        char buf[400];
        size_t len = (size_t)(e - p);
        unsigned long long sid;
        if (len < sizeof buf) {
            memcpy(buf, p, len);
            buf[len] = '\0';
            if (sscanf(buf, "site %llu %llu %llu %7s %7s %llu %llu %127s %127s", &sid, &s->line,
                       &s->col, s->access, s->space, &s->bytes, &s->align, s->func,
                       s->param) == 9 &&
                sid == id)
                return true;
        }
        p = e + 1;
    }
    return false;
}

static uint64_t
u64_at(const uint32_t *w, int at)
{
    return (uint64_t)w[at] | (uint64_t)w[at + 1] << 32;
}

/* No driver hands out memory in the first 4 KiB: an access there went
 * through a null pointer plus an offset. */
enum { ZERO_PAGE = 4096 };

/* The message of one filled record. */
static claw_status
report(claw_kernel *k, const uint32_t *w)
{
    const char *kname = k->meta->name;
    char file[512];
    Site s;
    if (!find_site(k->sites, w[REC_SITE], &s, file, sizeof file))
        return rt_error(CLAW_ERROR_OUT_OF_BOUNDS,
                        "kernel '%s': a bad memory access was recorded at site %u, which its "
                        "access-site table does not list",
                        kname, w[REC_SITE]);
    uint64_t addr = u64_at(w, REC_ADDR), lo = u64_at(w, REC_LO), hi = u64_at(w, REC_HI);
    char what[512];
    char in_fn[192] = "";
    if (strcmp(s.func, kname) != 0)
        snprintf(in_fn, sizeof in_fn, " (in function '%s')", s.func);
    if (strcmp(s.space, "global") != 0) {
        snprintf(what, sizeof what,
                 "index %" PRId64 " is outside the %s array of %" PRIu64 " elements", (int64_t)addr,
                 s.space, hi);
    } else if (addr == 0) {
        snprintf(what, sizeof what, "the pointer is null");
    } else if (addr < ZERO_PAGE || (lo == 0 && hi == 0)) {
        /* p[i] through a null p: every thread but the one with i == 0
         * touches a small address, and which thread's report wins is a
         * race, so all of them say null. */
        snprintf(what, sizeof what, "the pointer is null (address 0x%" PRIx64 " is %" PRIu64
                 " bytes past null)", addr, addr);
    } else if (s.align > 1 && addr % s.align != 0) {
        snprintf(what, sizeof what, "address 0x%" PRIx64 " is not a multiple of %llu", addr,
                 s.align);
    } else if (lo > hi) {
        snprintf(what, sizeof what,
                 "address 0x%" PRIx64 " is inside no pointer argument's buffer (the pointer's "
                 "origin is not known: it lies in none of the launch's %s)",
                 addr, "pointer arguments");
    } else {
        char param[160] = "its pointer";
        if (strcmp(s.param, "-") != 0)
            snprintf(param, sizeof param, "parameter '%s'", s.param);
        snprintf(what, sizeof what,
                 "byte offset %" PRId64 " from %s (address 0x%" PRIx64 "), whose buffer "
                 "extends %" PRIu64 " bytes past it",
                 (int64_t)(addr - lo), param, addr, hi - lo);
    }
    return rt_error(CLAW_ERROR_OUT_OF_BOUNDS,
                    "%s:%llu:%llu: error: out-of-bounds %s of %llu bytes in kernel '%s'%s: %s; "
                    "block (%u, %u, %u), thread (%u, %u, %u)",
                    file, s.line, s.col, s.access, s.bytes, kname, in_fn, what, w[REC_BLOCK],
                    w[REC_BLOCK + 1], w[REC_BLOCK + 2], w[REC_THREAD], w[REC_THREAD + 1],
                    w[REC_THREAD + 2]);
}

claw_status
rt_bounds_collect(claw_device *dev, claw_status s)
{
    if (s != CLAW_SUCCESS)
        return s;
    for (claw_kernel *k = dev->bounds_kernels; k; k = k->bounds_next) {
        uint32_t w[REC_BYTES / 4];
        claw_status r = record_io(k, w, false);
        if (r != CLAW_SUCCESS)
            return r;
        if (w[REC_STATE] == 0 || w[REC_STATE] == 1)
            continue; /* clean, or a report still being written */
        claw_status out = w[REC_STATE] == 2
                              ? report(k, w)
                              : rt_error(CLAW_ERROR_OUT_OF_BOUNDS,
                                         "kernel '%s': its bounds record holds state %u",
                                         k->meta->name, w[REC_STATE]);
        uint32_t zero[REC_BYTES / 4] = {0};
        if ((r = record_io(k, zero, true)) != CLAW_SUCCESS)
            return r;
        return out;
    }
    return CLAW_SUCCESS;
}
