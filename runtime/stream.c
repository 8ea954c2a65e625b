/* stream.c: libclawrt's streams, events, asynchronous copies and the small
 * interop calls (claw/claw.h, docs/runtime.md "Streams and events").
 *
 * As in core.c, every argument is checked here and the backend hooks (rt.h)
 * see only live handles of one device, called with the device's lock held.
 * A NULL stream is the device's default stream and reaches the hooks as
 * NULL. Stream and event structs stay allocated until claw_shutdown (rt.h):
 * destroy clears the magic and the next create reuses the struct, so using
 * a destroyed handle is refused with a message instead of reading freed
 * memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

static bool
device_ok(const claw_device *d)
{
    return d && d->magic == RT_MAGIC_DEVICE;
}

static bool
stream_ok(const claw_stream *s)
{
    return s && s->magic == RT_MAGIC_STREAM;
}

static bool
event_ok(const claw_event *e)
{
    return e && e->magic == RT_MAGIC_EVENT;
}

static claw_status
bad_handle(const char *fn, const char *what)
{
    return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "%s: %s is null or not a live handle", fn, what);
}

static claw_status
other_device(const char *fn, const char *a, const claw_device *da, const char *b,
             const claw_device *db)
{
    return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "%s: the %s belongs to %s:%d and the %s to %s:%d",
                    fn, a, da->be->name, da->native_index, b, db->be->name, db->native_index);
}

/* An optional stream argument: NULL (the default stream) or a live stream
 * of dev. */
static claw_status
check_stream(const char *fn, const claw_stream *s, const claw_device *dev, const char *what)
{
    if (!s)
        return CLAW_SUCCESS;
    if (!stream_ok(s))
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT,
                        "%s: the stream is not a live handle (destroyed, or never created); "
                        "NULL means the default stream",
                        fn);
    if (s->dev != dev)
        return other_device(fn, "stream", s->dev, what, dev);
    return CLAW_SUCCESS;
}

/* ---- streams -------------------------------------------------------------- */

claw_status
claw_stream_create(claw_device *dev, claw_stream **out)
{
    if (out)
        *out = NULL;
    if (!device_ok(dev))
        return bad_handle("claw_stream_create", "device");
    if (!out)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_stream_create: out is null");
    pthread_mutex_lock(&dev->lock);
    claw_stream *s = dev->streams;
    while (s && s->magic != 0)
        s = s->next;
    if (!s && (s = calloc(1, sizeof *s))) {
        s->dev = dev;
        s->next = dev->streams;
        dev->streams = s;
    }
    claw_status st = s ? dev->be->stream_create(s)
                       : rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_stream_create: out of memory");
    if (st == CLAW_SUCCESS) {
        s->magic = RT_MAGIC_STREAM;
        *out = s;
    }
    pthread_mutex_unlock(&dev->lock);
    return st;
}

void
claw_stream_destroy(claw_stream *s)
{
    if (!stream_ok(s))
        return;
    claw_device *dev = s->dev;
    pthread_mutex_lock(&dev->lock);
    if (s->magic == RT_MAGIC_STREAM) {
        /* The stream's work finishes first; a failure it had is reported by
         * the next claw_synchronize of the device. */
        dev->be->stream_synchronize(s);
        dev->be->stream_destroy(s);
        s->magic = 0;
        s->native = NULL;
    }
    pthread_mutex_unlock(&dev->lock);
}

claw_status
claw_stream_synchronize(claw_stream *s)
{
    if (!stream_ok(s))
        return bad_handle("claw_stream_synchronize", "stream");
    claw_device *dev = s->dev;
    pthread_mutex_lock(&dev->lock);
    claw_status st = s->magic == RT_MAGIC_STREAM
                         ? rt_bounds_collect(dev, dev->be->stream_synchronize(s))
                         : bad_handle("claw_stream_synchronize", "stream");
    pthread_mutex_unlock(&dev->lock);
    return st;
}

claw_status
claw_launch_on(claw_stream *s, claw_kernel *k, const uint32_t grid[3], const uint32_t block[3],
               const void *const *args, size_t nargs)
{
    return rt_launch("claw_launch_on", s, k, grid, block, args, NULL, nargs);
}

/* ---- copies and fills ------------------------------------------------------- */

/* Checks the stream against b's device and runs op under the lock. */
#define WITH_STREAM(fn, s, b, call)                                                                \
    do {                                                                                           \
        claw_status st_ = check_stream(fn, s, (b)->dev, "buffer");                                 \
        if (st_ != CLAW_SUCCESS)                                                                   \
            return st_;                                                                            \
        claw_device *dev_ = (b)->dev;                                                              \
        pthread_mutex_lock(&dev_->lock);                                                           \
        st_ = (s) && (s)->magic != RT_MAGIC_STREAM ? bad_handle(fn, "stream") : (call);            \
        pthread_mutex_unlock(&dev_->lock);                                                         \
        return st_;                                                                                \
    } while (0)

claw_status
claw_write_on(claw_stream *s, claw_buffer *b, size_t offset, const void *src, size_t bytes)
{
    claw_status st = rt_check_range("claw_write_on", b, offset, src, bytes);
    if (st != CLAW_SUCCESS)
        return st;
    if (bytes == 0)
        return check_stream("claw_write_on", s, b->dev, "buffer");
    WITH_STREAM("claw_write_on", s, b, dev_->be->write_on(s, b, offset, src, bytes));
}

claw_status
claw_read_on(claw_stream *s, claw_buffer *b, size_t offset, void *dst, size_t bytes)
{
    claw_status st = rt_check_range("claw_read_on", b, offset, dst, bytes);
    if (st != CLAW_SUCCESS)
        return st;
    if (bytes == 0)
        return check_stream("claw_read_on", s, b->dev, "buffer");
    WITH_STREAM("claw_read_on", s, b, dev_->be->read_on(s, b, offset, dst, bytes));
}

claw_status
claw_copy_on(claw_stream *s, claw_buffer *dst, size_t dst_offset, claw_buffer *src,
             size_t src_offset, size_t bytes)
{
    static const char fn[] = "claw_copy_on";
    claw_status st = rt_check_range(fn, dst, dst_offset, "", bytes);
    if (st == CLAW_SUCCESS)
        st = rt_check_range(fn, src, src_offset, "", bytes);
    if (st != CLAW_SUCCESS)
        return st;
    if (dst->dev != src->dev)
        return other_device(fn, "source buffer", src->dev, "destination buffer", dst->dev);
    /* Vulkan forbids overlapping regions of one copy, CUDA leaves them
     * undefined: refuse rather than copy garbage. */
    if (dst == src && bytes > 0 && dst_offset < src_offset + bytes &&
        src_offset < dst_offset + bytes)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT,
                        "%s: bytes [%zu, +%zu) and [%zu, +%zu) of one buffer overlap", fn,
                        src_offset, bytes, dst_offset, bytes);
    if (bytes == 0)
        return check_stream(fn, s, dst->dev, "buffers");
    WITH_STREAM(fn, s, dst, dev_->be->copy_on(s, dst, dst_offset, src, src_offset, bytes));
}

claw_status
claw_fill_on(claw_stream *s, claw_buffer *b, size_t offset, size_t bytes, uint32_t value)
{
    static const char fn[] = "claw_fill_on";
    claw_status st = rt_check_range(fn, b, offset, "", bytes);
    if (st != CLAW_SUCCESS)
        return st;
    if (offset % 4 != 0 || bytes % 4 != 0)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT,
                        "%s: offset %zu and bytes %zu must be multiples of 4 (the pattern is a "
                        "32-bit value)",
                        fn, offset, bytes);
    if (bytes == 0)
        return check_stream(fn, s, b->dev, "buffer");
    WITH_STREAM(fn, s, b, dev_->be->fill_on(s, b, offset, bytes, value));
}

/* ---- events ----------------------------------------------------------------- */

claw_status
claw_event_create(claw_device *dev, claw_event **out)
{
    if (out)
        *out = NULL;
    if (!device_ok(dev))
        return bad_handle("claw_event_create", "device");
    if (!out)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_event_create: out is null");
    pthread_mutex_lock(&dev->lock);
    claw_event *e = dev->events;
    while (e && e->magic != 0)
        e = e->next;
    if (!e && (e = calloc(1, sizeof *e))) {
        e->dev = dev;
        e->next = dev->events;
        dev->events = e;
    }
    claw_status st = e ? dev->be->event_create(e)
                       : rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_event_create: out of memory");
    if (st == CLAW_SUCCESS) {
        e->recorded = false;
        e->magic = RT_MAGIC_EVENT;
        *out = e;
    }
    pthread_mutex_unlock(&dev->lock);
    return st;
}

void
claw_event_destroy(claw_event *e)
{
    if (!event_ok(e))
        return;
    claw_device *dev = e->dev;
    pthread_mutex_lock(&dev->lock);
    if (e->magic == RT_MAGIC_EVENT) {
        dev->be->event_destroy(e);
        e->magic = 0;
        e->native = NULL;
    }
    pthread_mutex_unlock(&dev->lock);
}

claw_status
claw_event_record(claw_event *e, claw_stream *s)
{
    static const char fn[] = "claw_event_record";
    if (!event_ok(e))
        return bad_handle(fn, "event");
    claw_status st = check_stream(fn, s, e->dev, "event");
    if (st != CLAW_SUCCESS)
        return st;
    claw_device *dev = e->dev;
    pthread_mutex_lock(&dev->lock);
    if (e->magic != RT_MAGIC_EVENT || (s && s->magic != RT_MAGIC_STREAM))
        st = bad_handle(fn, e->magic != RT_MAGIC_EVENT ? "event" : "stream");
    else if ((st = dev->be->event_record(e, s)) == CLAW_SUCCESS)
        e->recorded = true;
    pthread_mutex_unlock(&dev->lock);
    return st;
}

claw_status
claw_stream_wait(claw_stream *s, claw_event *e)
{
    static const char fn[] = "claw_stream_wait";
    if (!event_ok(e))
        return bad_handle(fn, "event");
    claw_status st = check_stream(fn, s, e->dev, "event");
    if (st != CLAW_SUCCESS)
        return st;
    claw_device *dev = e->dev;
    pthread_mutex_lock(&dev->lock);
    if (e->magic != RT_MAGIC_EVENT || (s && s->magic != RT_MAGIC_STREAM))
        st = bad_handle(fn, e->magic != RT_MAGIC_EVENT ? "event" : "stream");
    else if (e->recorded) /* waiting for an event never recorded waits for nothing */
        st = dev->be->stream_wait(s, e);
    pthread_mutex_unlock(&dev->lock);
    return st;
}

claw_status
claw_event_synchronize(claw_event *e)
{
    static const char fn[] = "claw_event_synchronize";
    if (!event_ok(e))
        return bad_handle(fn, "event");
    claw_device *dev = e->dev;
    pthread_mutex_lock(&dev->lock);
    claw_status st = CLAW_SUCCESS;
    if (e->magic != RT_MAGIC_EVENT)
        st = bad_handle(fn, "event");
    else if (e->recorded)
        st = rt_bounds_collect(dev, dev->be->event_synchronize(e));
    pthread_mutex_unlock(&dev->lock);
    return st;
}

claw_status
claw_event_elapsed(claw_event *start, claw_event *end, double *ms)
{
    static const char fn[] = "claw_event_elapsed";
    if (ms)
        *ms = 0.0;
    if (!event_ok(start) || !event_ok(end))
        return bad_handle(fn, event_ok(start) ? "end" : "start");
    if (!ms)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "%s: ms is null", fn);
    if (start->dev != end->dev)
        return other_device(fn, "start event", start->dev, "end event", end->dev);
    claw_device *dev = start->dev;
    pthread_mutex_lock(&dev->lock);
    claw_status st;
    if (start->magic != RT_MAGIC_EVENT || end->magic != RT_MAGIC_EVENT)
        st = bad_handle(fn, start->magic != RT_MAGIC_EVENT ? "start" : "end");
    else if (!start->recorded || !end->recorded)
        st = rt_error(CLAW_ERROR_INVALID_ARGUMENT,
                      "%s: the %s event was never recorded (claw_event_record)", fn,
                      start->recorded ? "end" : "start");
    else
        st = dev->be->event_elapsed(start, end, ms);
    pthread_mutex_unlock(&dev->lock);
    return st;
}

/* ---- interop ------------------------------------------------------------------ */

claw_status
claw_device_native(claw_device *dev, void **handle)
{
    if (handle)
        *handle = NULL;
    if (!device_ok(dev))
        return bad_handle("claw_device_native", "device");
    if (!handle)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_device_native: handle is null");
    pthread_mutex_lock(&dev->lock);
    *handle = dev->be->native_handle(dev);
    pthread_mutex_unlock(&dev->lock);
    return CLAW_SUCCESS;
}

static claw_status
copy_name(const char *fn, const char *what, const char *value, char *out, size_t size)
{
    if (!out && size == 0)
        return CLAW_SUCCESS;
    if (!out)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "%s: %s is null but its size is %zu", fn, what,
                        size);
    size_t n = strlen(value);
    if (n >= size) {
        if (size > 0)
            out[0] = '\0';
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "%s: %s needs %zu bytes for \"%s\", %zu given",
                        fn, what, n + 1, value, size);
    }
    memcpy(out, value, n + 1);
    return CLAW_SUCCESS;
}

claw_status
claw_module_image(claw_module *m, char *triple, size_t triple_size, char *arch, size_t arch_size)
{
    static const char fn[] = "claw_module_image";
    if (!m || m->magic != RT_MAGIC_MODULE)
        return bad_handle(fn, "module");
    claw_status st = copy_name(fn, "triple", m->image->triple, triple, triple_size);
    claw_status sa = copy_name(fn, "arch", m->image->arch, arch, arch_size);
    return st != CLAW_SUCCESS ? st : sa;
}

/* ---- shutdown ------------------------------------------------------------------ */

void
rt_free_streams_events(claw_device *d)
{
    while (d->streams) {
        claw_stream *s = d->streams;
        d->streams = s->next;
        if (s->magic == RT_MAGIC_STREAM)
            d->be->stream_destroy(s);
        s->magic = 0;
        free(s);
    }
    while (d->events) {
        claw_event *e = d->events;
        d->events = e->next;
        if (e->magic == RT_MAGIC_EVENT)
            d->be->event_destroy(e);
        e->magic = 0;
        free(e);
    }
}
