/* bench_run.c: clawbench's device, limits, timing and candidates
 * (docs/clawbench.md).
 *
 * host_open picks the device (--device D: an index in the runtime's list,
 * or a CLAW_DEVICE spelling such as vulkan:0) and makes the one stream and
 * two events every measurement uses. bench_measure checks then times one
 * benchmark's kernels; measure_limits times clawbench's own copy and fma
 * kernels the same way. A candidate (--candidate) is a .clawfb file, or a
 * .claw file compiled for the device by the clawc found by find_clawc. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_host.h"

extern char **environ;

static const char *progname = "clawbench";

const char *
backend_name(claw_backend b)
{
    switch (b) {
    case CLAW_BACKEND_CUDA: return "cuda";
    case CLAW_BACKEND_HIP: return "hip";
    case CLAW_BACKEND_VULKAN: return "vulkan";
    }
    return "unknown";
}

/* ---- JSON --------------------------------------------------------------- */

void
json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void
json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

void
json_result(FILE *f, const BenchResult *r)
{
    fprintf(f, "{\"right\": %s, \"error\": ", r->right ? "true" : "false");
    json_str(f, r->right ? NULL : r->why);
    fprintf(f, ", \"max_error\": ");
    json_num(f, r->max_err);
    if (!r->right || r->reps == 0) {
        fprintf(f, ", \"median_ms\": null}");
        return;
    }
    fprintf(f, ", \"median_ms\": ");
    json_num(f, r->median_ms);
    fprintf(f, ", \"q1_ms\": ");
    json_num(f, r->q1_ms);
    fprintf(f, ", \"q3_ms\": ");
    json_num(f, r->q3_ms);
    fprintf(f, ", \"min_ms\": ");
    json_num(f, r->min_ms);
    fprintf(f, ", \"max_ms\": ");
    json_num(f, r->max_ms);
    fprintf(f, ", \"spread\": ");
    json_num(f, (r->q3_ms - r->q1_ms) / r->median_ms);
    fprintf(f, ", \"reps\": %d, \"inner\": %d, \"gbps\": ", r->reps, r->inner);
    json_num(f, r->gbps);
    fprintf(f, ", \"gflops\": ");
    json_num(f, r->gflops);
    fprintf(f, ", \"roofline\": ");
    json_num(f, r->roofline);
    fprintf(f, ", \"bound\": ");
    json_str(f, r->bound);
    fputc('}', f);
}

void
json_device(FILE *f, const BenchHost *h)
{
    fprintf(f, "\"device\": {\"index\": %d, \"name\": ", h->index);
    json_str(f, h->props.name);
    fprintf(f, ", \"backend\": ");
    json_str(f, backend_name(h->props.backend));
    fprintf(f, ", \"arch\": ");
    json_str(f, h->props.arch);
    fputc('}', f);
}

/* ---- the device --------------------------------------------------------- */

/* --device D: "3" (an index in the runtime's list), or "vulkan:0", "cuda",
 * "hip:1" (CLAW_DEVICE's spelling, docs/runtime.md "Devices"). */
static int
select_device(const char *d, int *index)
{
    *index = 0;
    if (!d)
        return 0;
    if (*d && strspn(d, "0123456789") == strlen(d)) {
        if (strlen(d) > 6)
            goto bad;
        *index = atoi(d);
        return 0;
    }
    size_t plen = strcspn(d, ":");
    bool known = (plen == 4 && strncmp(d, "cuda", 4) == 0) ||
                 (plen == 3 && strncmp(d, "hip", 3) == 0) ||
                 (plen == 6 && strncmp(d, "vulkan", 6) == 0);
    if (!known || (d[plen] == ':' && (d[plen + 1] == '\0' ||
                                      strspn(d + plen + 1, "0123456789") != strlen(d + plen + 1))))
        goto bad;
    setenv("CLAW_DEVICE", d, 1);
    return 0;
bad:
    fprintf(stderr,
            "%s: error: --device '%s': expected an index (0, 1, ...) or BACKEND[:INDEX] with "
            "BACKEND cuda, hip or vulkan (e.g. vulkan:0)\n",
            progname, d);
    return 2;
}

static int
runtime_error(const char *what, claw_status s)
{
    fprintf(stderr, "%s: error: %s: %s: %s\n", progname, what, claw_status_string(s),
            claw_last_error());
    return 2;
}

int
host_open(BenchHost *h, const BenchOpts *o)
{
    memset(h, 0, sizeof *h);
    h->o = o;
    int rc = select_device(o->device, &h->index);
    if (rc)
        return rc;
    int count = 0;
    claw_status s = claw_device_count(&count);
    if (s != CLAW_SUCCESS)
        return runtime_error("no device", s);
    if (count == 0) {
        fprintf(stderr, "%s: error: no device: no CUDA, HIP or Vulkan device found (%s)\n",
                progname, claw_last_error());
        return 2;
    }
    if (h->index >= count) {
        fprintf(stderr, "%s: error: no device %d: the runtime lists %d\n", progname, h->index,
                count);
        return 2;
    }
    if ((s = claw_device_get(h->index, &h->dev)) != CLAW_SUCCESS)
        return runtime_error("no device", s);
    if ((s = claw_device_props_get(h->dev, &h->props)) != CLAW_SUCCESS ||
        (s = claw_stream_create(h->dev, &h->stream)) != CLAW_SUCCESS ||
        (s = claw_event_create(h->dev, &h->ev[0])) != CLAW_SUCCESS ||
        (s = claw_event_create(h->dev, &h->ev[1])) != CLAW_SUCCESS)
        return runtime_error("opening the device", s);
    return 0;
}

static claw_module *shipped_modules[64];

void
host_close(BenchHost *h)
{
    for (size_t i = 0; i < sizeof shipped_modules / sizeof *shipped_modules; i++)
        if (shipped_modules[i]) {
            claw_module_unload(shipped_modules[i]);
            shipped_modules[i] = NULL;
        }
    if (h->ev[0])
        claw_event_destroy(h->ev[0]);
    if (h->ev[1])
        claw_event_destroy(h->ev[1]);
    if (h->stream)
        claw_stream_destroy(h->stream);
    claw_shutdown();
}

/* ---- timing ------------------------------------------------------------- */

typedef claw_status (*RunFn)(BenchHost *h, void *ctx);

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
quantile(const double *sorted, int n, double q)
{
    double pos = q * (n - 1);
    int lo = (int)pos;
    int hi = lo + 1 < n ? lo + 1 : lo;
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/* `runs` runs of fn between the two events: the device time in ms. */
static claw_status
timed(BenchHost *h, RunFn fn, void *ctx, int runs, double *ms)
{
    claw_status s = claw_event_record(h->ev[0], h->stream);
    for (int i = 0; i < runs && s == CLAW_SUCCESS; i++)
        s = fn(h, ctx);
    if (s == CLAW_SUCCESS)
        s = claw_event_record(h->ev[1], h->stream);
    if (s == CLAW_SUCCESS)
        s = claw_event_synchronize(h->ev[1]);
    if (s == CLAW_SUCCESS)
        s = claw_event_elapsed(h->ev[0], h->ev[1], ms);
    return s;
}

/* Warm-up, calibration, then `reps` samples; fills r's times. */
static claw_status
time_runs(BenchHost *h, RunFn fn, void *ctx, int reps, BenchResult *r)
{
    const BenchOpts *o = h->o;
    claw_status s = CLAW_SUCCESS;
    for (int i = 0; i < o->warmup && s == CLAW_SUCCESS; i++)
        s = fn(h, ctx);
    if (s == CLAW_SUCCESS)
        s = claw_stream_synchronize(h->stream);
    double one = 0;
    if (s == CLAW_SUCCESS)
        s = timed(h, fn, ctx, 1, &one);
    if (s != CLAW_SUCCESS)
        return s;
    /* Enough runs per sample to reach the target time, so that the
     * timer's resolution and the event overhead do not matter. */
    double want = o->target_ms / (one > 1e-4 ? one : 1e-4);
    int inner = want < 1 ? 1 : want > 10000 ? 10000 : (int)ceil(want);
    double *samples = calloc((size_t)reps, sizeof *samples);
    if (!samples)
        return CLAW_ERROR_OUT_OF_MEMORY;
    for (int i = 0; i < reps && s == CLAW_SUCCESS; i++) {
        double ms;
        s = timed(h, fn, ctx, inner, &ms);
        samples[i] = ms / inner;
        /* A calibration run that came out much too short (a timer's
         * resolution, a machine that was busy before) would make every
         * sample far longer than the target: recalibrate on the first
         * sample and take it again. */
        double per = ms / inner > 1e-4 ? ms / inner : 1e-4;
        int better = o->target_ms / per < 1 ? 1 : (int)ceil(o->target_ms / per);
        if (i == 0 && better < inner / 2) {
            inner = better;
            i--;
        }
    }
    if (s == CLAW_SUCCESS) {
        qsort(samples, (size_t)reps, sizeof *samples, cmp_double);
        r->reps = reps;
        r->inner = inner;
        r->min_ms = samples[0];
        r->max_ms = samples[reps - 1];
        r->median_ms = quantile(samples, reps, 0.5);
        r->q1_ms = quantile(samples, reps, 0.25);
        r->q3_ms = quantile(samples, reps, 0.75);
    }
    free(samples);
    return s;
}

/* ---- benchmarks --------------------------------------------------------- */

typedef struct RunCtx {
    const Bench *b;
    BenchCase *c;
    claw_kernel *const *k;
} RunCtx;

static claw_status
run_bench(BenchHost *h, void *ctx)
{
    RunCtx *x = ctx;
    return x->b->enqueue(x->c, x->k, h->stream);
}

static void
rates(const BenchHost *h, double bytes, double flops, BenchResult *r)
{
    double sec = r->median_ms * 1e-3;
    r->gbps = bytes / sec * 1e-9;
    r->gflops = flops / sec * 1e-9;
    double tmem = h->limits.copy_gbps > 0 ? bytes / (h->limits.copy_gbps * 1e9) : NAN;
    double tflop = h->limits.fma_gflops > 0 ? flops / (h->limits.fma_gflops * 1e9) : NAN;
    r->bound = isnan(tmem) && isnan(tflop) ? NULL : !(tflop > tmem) ? "memory" : "compute";
    r->roofline = fmax(tmem, tflop) / sec;
}

static void
launch_failure(BenchHost *h, BenchResult *r, const char *when, claw_status s)
{
    r->right = false;
    snprintf(r->why, sizeof r->why, "%s: %s: %s", when, claw_status_string(s), claw_last_error());
    /* A failed launch can leave work queued: drain the stream (its own
     * error, if any, is the same failure). */
    (void)claw_stream_synchronize(h->stream);
}

int
bench_measure(BenchHost *h, const Bench *b, BenchCase *c, claw_kernel *const *k, BenchResult *r)
{
    memset(r, 0, sizeof *r);
    claw_status s = bench_reset(c, h->stream);
    if (s == CLAW_SUCCESS)
        s = b->enqueue(c, k, h->stream);
    if (s == CLAW_SUCCESS)
        s = claw_stream_synchronize(h->stream);
    if (s != CLAW_SUCCESS) {
        launch_failure(h, r, "the checked run", s);
        return 0;
    }
    r->right = bench_check(c, h->stream, r->why, sizeof r->why, &r->max_err);
    if (!r->right)
        return 0;
    RunCtx x = {b, c, k};
    s = time_runs(h, run_bench, &x, h->o->reps, r);
    if (s != CLAW_SUCCESS) {
        launch_failure(h, r, "the timed runs", s);
        return 0;
    }
    rates(h, c->bytes, c->flops, r);
    return 0;
}

int
bench_case_open(BenchHost *h, const Bench *b, BenchCase *c)
{
    memset(c, 0, sizeof *c);
    c->dev = h->dev;
    c->props = &h->props;
    c->quick = h->o->quick;
    c->rng.state = h->o->seed;
    char err[512];
    if (!b->setup(c, err, sizeof err)) {
        fprintf(stderr, "%s: error: %s: setting up: %s\n", progname, b->name, err);
        bench_teardown(c);
        return 2;
    }
    return 0;
}

claw_module *
bench_shipped(BenchHost *h, const Bench *b, char *err, size_t errlen)
{
    size_t i = (size_t)(b - bench_table);
    if (i >= sizeof shipped_modules / sizeof *shipped_modules)
        return NULL;
    if (shipped_modules[i])
        return shipped_modules[i];
    const BenchBlob *blob = bench_blob(b->sample);
    if (!blob) {
        snprintf(err, errlen, "no shipped kernels for '%s' in this build", b->sample);
        return NULL;
    }
    claw_status s = claw_module_load(h->dev, blob->data, blob->size, &shipped_modules[i]);
    if (s != CLAW_SUCCESS) {
        snprintf(err, errlen, "loading the shipped %s.claw: %s: %s", b->sample,
                 claw_status_string(s), claw_last_error());
        return NULL;
    }
    return shipped_modules[i];
}

static bool
module_has(claw_module *m, const char *name)
{
    claw_kernel *k;
    return m && claw_kernel_get(m, name, &k) == CLAW_SUCCESS;
}

int
bench_kernels(BenchHost *h, const Bench *b, claw_module *shipped, claw_module *test,
              claw_kernel **k, int *from_test, char *err, size_t errlen)
{
    (void)h;
    *from_test = 0;
    for (int i = 0; i < BENCH_MAX_KERNELS; i++)
        k[i] = NULL;
    for (int i = 0; i < BENCH_MAX_KERNELS && b->kernels[i]; i++) {
        claw_module *m = module_has(test, b->kernels[i]) ? test : shipped;
        claw_status s = claw_kernel_get(m, b->kernels[i], &k[i]);
        if (s != CLAW_SUCCESS) {
            snprintf(err, errlen, "kernel '%s': %s", b->kernels[i], claw_last_error());
            return 2;
        }
        if (m == test)
            (*from_test)++;
    }
    return 0;
}

static const claw_fb_kernel *
fb_kernel(const claw_fb_file *f, const char *name)
{
    for (size_t i = 0; i < f->nimages; i++)
        for (uint32_t k = 0; k < f->images[i].nkernels; k++)
            if (strcmp(f->images[i].kernels[k].name, name) == 0)
                return &f->images[i].kernels[k];
    return NULL;
}

static const char *
kind_name(claw_fb_param_kind k)
{
    return k == CLAW_FB_PARAM_POINTER ? "pointer" : k == CLAW_FB_PARAM_STRUCT ? "struct" : "scalar";
}

static void
describe_params(const claw_fb_kernel *k, char *out, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < k->nparams && at < n; i++) {
        const claw_fb_param *p = &k->params[i];
        int w = snprintf(out + at, n - at, "%s%s: %s %u", i ? ", " : "", p->name,
                         kind_name(p->kind), p->size);
        at += w > 0 ? (size_t)w : 0;
    }
}

bool
bench_signature_ok(const Bench *b, const char *name, const claw_fb_kernel *got, char *why,
                   size_t whylen)
{
    const BenchBlob *blob = bench_blob(b->sample);
    claw_fb_file *f = NULL;
    char err[256];
    if (!blob || claw_fb_read(blob->data, blob->size, &f, err, sizeof err) != 0) {
        snprintf(why, whylen, "the shipped %s.claw is not in this build", b->sample);
        return false;
    }
    const claw_fb_kernel *want = fb_kernel(f, name);
    bool ok = want != NULL && want->nparams == got->nparams;
    for (uint32_t i = 0; ok && i < want->nparams; i++)
        ok = want->params[i].kind == got->params[i].kind &&
             want->params[i].size == got->params[i].size &&
             want->params[i].align == got->params[i].align;
    if (!ok && want) {
        char w[512], g[512];
        describe_params(want, w, sizeof w);
        describe_params(got, g, sizeof g);
        snprintf(why, whylen,
                 "kernel '%s' has another signature than the shipped one: (%s), the benchmark "
                 "passes (%s)",
                 name, g, w);
    } else if (ok && b->fixed_block &&
               memcmp(want->workgroup, got->workgroup, sizeof want->workgroup) != 0) {
        ok = false;
        snprintf(why, whylen,
                 "kernel '%s' has @workgroup(%u, %u, %u); the %s benchmark's launch geometry "
                 "needs the shipped @workgroup(%u, %u, %u)",
                 name, got->workgroup[0], got->workgroup[1], got->workgroup[2], b->name,
                 want->workgroup[0], want->workgroup[1], want->workgroup[2]);
    } else if (!want) {
        snprintf(why, whylen, "the shipped %s.claw has no kernel '%s'", b->sample, name);
    }
    claw_fb_free(f);
    return ok;
}

/* ---- the device's limits ------------------------------------------------ */

typedef struct LimitCtx {
    claw_kernel *k;
    uint32_t grid, n, iters;
    float m, c;
    uint64_t src, dst;
} LimitCtx;

static claw_status
run_copy(BenchHost *h, void *ctx)
{
    LimitCtx *x = ctx;
    static const size_t sz[] = {4, 8, 8};
    const uint32_t grid[3] = {x->grid, 1, 1}, block[3] = {256, 1, 1};
    const void *args[] = {&x->n, &x->src, &x->dst};
    return claw_launch_sized_on(h->stream, x->k, grid, block, args, sz, 3);
}

static claw_status
run_fma(BenchHost *h, void *ctx)
{
    LimitCtx *x = ctx;
    static const size_t sz[] = {4, 4, 4, 8};
    const uint32_t grid[3] = {x->grid, 1, 1}, block[3] = {256, 1, 1};
    const void *args[] = {&x->iters, &x->m, &x->c, &x->dst};
    return claw_launch_sized_on(h->stream, x->k, grid, block, args, sz, 4);
}

/* What thread g of claw_madd writes, unfused (the kernel's may be fused:
 * the check allows for it). */
static float
madd_thread(uint32_t g, uint32_t iters, float m, float c)
{
    float acc[8];
    for (uint32_t j = 0; j < 8; j++)
        acc[j] = (float)((g + j) % 64) * 0.015625f;
    for (uint32_t i = 0; i < iters * 4; i++)
        for (uint32_t j = 0; j < 8; j++)
            acc[j] = acc[j] * m + c;
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* The limits are the fastest of at least 5 samples: what the device can do. */
#define LIMIT_REPS(h) ((h)->o->reps > 5 ? (h)->o->reps : 5)

/* Returns 0, 1 (a limit kernel gave a wrong result) or 2. */
static int
measure_limits(BenchHost *h)
{
    const BenchBlob *blob = bench_blob("limits");
    claw_module *m = NULL;
    claw_status s = blob ? claw_module_load(h->dev, blob->data, blob->size, &m) : CLAW_ERROR_IO;
    if (s != CLAW_SUCCESS)
        return runtime_error("loading clawbench's limit kernels", s);
    int rc = 0;
    LimitCtx copy = {0}, fma = {0};
    claw_buffer *src = NULL, *dst = NULL;
    float *host = NULL;
    BenchResult r;

    /* Copy bandwidth: 2 x 128 MiB (2 x 4 MiB with --quick), well past any
     * cache, with each of the two copy kernels; the faster counts. */
    uint32_t n = h->o->quick ? 1u << 20 : 1u << 25;
    while ((uint64_t)n * 16 > h->props.global_mem_bytes && n > (1u << 16))
        n /= 2;
    host = malloc((size_t)n * 4);
    if (!host || (s = claw_alloc(h->dev, (size_t)n * 4, &src)) != CLAW_SUCCESS ||
        (s = claw_alloc(h->dev, (size_t)n * 4, &dst)) != CLAW_SUCCESS) {
        rc = runtime_error("the copy limit", host ? s : CLAW_ERROR_OUT_OF_MEMORY);
        goto done;
    }
    for (uint32_t i = 0; i < n; i++)
        host[i] = (float)(i % 1000003);
    if ((s = claw_write_on(h->stream, src, 0, host, (size_t)n * 4)) != CLAW_SUCCESS) {
        rc = runtime_error("the copy limit", s);
        goto done;
    }
    copy.n = n;
    copy.src = claw_buffer_address(src);
    copy.dst = claw_buffer_address(dst);
    double best_ms = INFINITY;
    static const char *const copies[] = {"claw_copy", "claw_copy_strided"};
    for (int which = 0; which < 2; which++) {
        /* one element per thread; or a grid-stride loop over 4 blocks per
         * 1024 threads the device can hold in a block */
        copy.grid = which == 0 ? (n + 255) / 256 : 1024;
        memset(&r, 0, sizeof r);
        if ((s = claw_fill_on(h->stream, dst, 0, (size_t)n * 4, 0)) != CLAW_SUCCESS ||
            (s = claw_kernel_get(m, copies[which], &copy.k)) != CLAW_SUCCESS ||
            (s = time_runs(h, run_copy, &copy, LIMIT_REPS(h), &r)) != CLAW_SUCCESS ||
            (s = claw_read_on(h->stream, dst, 0, host, (size_t)n * 4)) != CLAW_SUCCESS ||
            (s = claw_stream_synchronize(h->stream)) != CLAW_SUCCESS) {
            rc = runtime_error("the copy limit", s);
            goto done;
        }
        for (uint32_t i = 0; i < n; i += 97)
            if (host[i] != (float)(i % 1000003)) {
                fprintf(stderr, "%s: error: clawbench's %s kernel is wrong at element %u\n",
                        progname, copies[which], i);
                rc = 1;
                goto done;
            }
        if (r.min_ms < best_ms)
            best_ms = r.min_ms;
    }
    h->limits.copy_gbps = 8.0 * n / (best_ms * 1e-3) * 1e-9;

    /* Multiply-add rate: more blocks until one launch takes 2 ms (or 16384). */
    fma.iters = 256;
    fma.m = 0.999f;
    fma.c = 0.001f;
    fma.grid = h->o->quick ? 16 : 256;
    if ((s = claw_kernel_get(m, "claw_madd", &fma.k)) != CLAW_SUCCESS) {
        rc = runtime_error("the fma limit", s);
        goto done;
    }
    fma.dst = copy.dst; /* n >= 2^16 floats: room for 256 threads x 256 blocks */
    for (;;) {
        double ms = 0;
        if ((s = timed(h, run_fma, &fma, 1, &ms)) != CLAW_SUCCESS) {
            rc = runtime_error("the fma limit", s);
            goto done;
        }
        if (ms >= 2.0 || fma.grid >= 16384 || (uint64_t)fma.grid * 2 * 256 > n)
            break;
        fma.grid *= 2;
    }
    memset(&r, 0, sizeof r);
    if ((s = time_runs(h, run_fma, &fma, LIMIT_REPS(h), &r)) != CLAW_SUCCESS ||
        (s = claw_read_on(h->stream, dst, 0, host, (size_t)fma.grid * 256 * 4)) != CLAW_SUCCESS ||
        (s = claw_stream_synchronize(h->stream)) != CLAW_SUCCESS) {
        rc = runtime_error("the fma limit", s);
        goto done;
    }
    const uint32_t threads = fma.grid * 256, probe[] = {0, 1, 63, 255, threads - 1};
    for (size_t i = 0; i < sizeof probe / sizeof *probe; i++) {
        float want = madd_thread(probe[i], fma.iters, fma.m, fma.c);
        if (!(fabsf(host[probe[i]] - want) <= 1e-4f * fabsf(want))) {
            fprintf(stderr,
                    "%s: error: clawbench's madd kernel is wrong at thread %u: %.9g, "
                    "expected %.9g\n",
                    progname, probe[i], host[probe[i]], want);
            rc = 1;
            goto done;
        }
    }
    h->limits.fma_gflops = 2.0 * 8 * 4 * fma.iters * (double)threads / (r.min_ms * 1e-3) * 1e-9;
done:
    free(host);
    if (src)
        claw_free(src);
    if (dst)
        claw_free(dst);
    claw_module_unload(m);
    return rc;
}

/* ---- candidates --------------------------------------------------------- */

static bool
executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The clawc that compiles .claw candidates: --clawc, $CLAWC, the clawc
 * beside this executable (an install's bin/), the build tree's, else the
 * PATH's. */
static void
find_clawc(const BenchOpts *o, char *out, size_t n)
{
    const char *env = getenv("CLAWC");
    if (o->clawc) {
        snprintf(out, n, "%s", o->clawc);
        return;
    }
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return;
    }
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0 && (size_t)len + sizeof "/clawc" <= n) {
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            memcpy(out, self, strlen(self));
            memcpy(out + strlen(self), "/clawc", sizeof "/clawc");
            if (executable(out))
                return;
        }
    }
#ifdef CLAW_BUILD_CLAWC
    if (executable(CLAW_BUILD_CLAWC)) {
        snprintf(out, n, "%s", CLAW_BUILD_CLAWC);
        return;
    }
#endif
    snprintf(out, n, "clawc");
}

void *
bench_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap)
            break;
        unsigned char *more = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
        if (!more) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = more;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *size = len;
    return buf;
}

/* The clawc --target for this device. */
static void
device_target(const claw_device_props *p, char *out, size_t n)
{
    switch (p->backend) {
    case CLAW_BACKEND_CUDA: snprintf(out, n, "--target=nvptx:%s", p->arch); return;
    case CLAW_BACKEND_HIP:
        snprintf(out, n, "--target=amdgpu:%.*s", (int)strcspn(p->arch, ":"), p->arch);
        return;
    case CLAW_BACKEND_VULKAN: snprintf(out, n, "--target=spirv"); return;
    }
    snprintf(out, n, "--target=spirv");
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The candidate's fat binary: the file itself, or clawc's output for it. */
static void *
candidate_bytes(BenchHost *h, const char *path, size_t *size)
{
    if (!ends_with(path, ".claw")) {
        void *data = bench_read_file(path, size);
        if (!data)
            fprintf(stderr, "%s: error: --candidate %s: cannot read it: %s\n", progname, path,
                    strerror(errno));
        return data;
    }
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "%s: error: --candidate %s: cannot read it: %s\n", progname, path,
                strerror(errno));
        return NULL;
    }
    char clawc[PATH_MAX], target[96], out[PATH_MAX];
    find_clawc(h->o, clawc, sizeof clawc);
    device_target(&h->props, target, sizeof target);
    const char *tmp = getenv("TMPDIR");
    snprintf(out, sizeof out, "%s/clawbench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(out);
    if (fd < 0) {
        fprintf(stderr, "%s: error: a temporary file in %s: %s\n", progname,
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        return NULL;
    }
    close(fd);
    char *args[] = {clawc, target, (char *)path, "-o", out, NULL};
    /* clawc's messages go to standard error, so --json's output stays one object */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    pid_t pid;
    int err = posix_spawnp(&pid, clawc, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    if (err == 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    void *data = NULL;
    if (err != 0) {
        fprintf(stderr,
                "%s: error: cannot run the compiler '%s': %s (give --clawc PATH or set CLAWC)\n",
                progname, clawc, strerror(err));
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr,
                "%s: error: %s %s %s failed (exit status %d): the candidate does not "
                "compile\n",
                progname, clawc, target, path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else if (!(data = bench_read_file(out, size))) {
        fprintf(stderr, "%s: error: reading clawc's output %s: %s\n", progname, out,
                strerror(errno));
    }
    unlink(out);
    return data;
}

typedef struct Candidate {
    const char *path;
    void *bytes;
    size_t size;
    claw_fb_file *fb;
    claw_module *mod;
} Candidate;

static void
candidate_close(Candidate *c)
{
    if (c->mod)
        claw_module_unload(c->mod);
    claw_fb_free(c->fb);
    free(c->bytes);
}

/* Loads the candidate and checks it against benchmark b: it must define at
 * least one of b's kernels, each with the shipped signature. */
static int
candidate_open(BenchHost *h, const Bench *b, const char *path, Candidate *c)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    if (!(c->bytes = candidate_bytes(h, path, &c->size)))
        return 2;
    char err[512];
    if (claw_fb_read(c->bytes, c->size, &c->fb, err, sizeof err) != 0) {
        fprintf(stderr, "%s: error: --candidate %s: %s\n", progname, path, err);
        return 2;
    }
    int found = 0;
    for (int i = 0; i < BENCH_MAX_KERNELS && b->kernels[i]; i++) {
        const claw_fb_kernel *k = fb_kernel(c->fb, b->kernels[i]);
        if (!k)
            continue;
        char why[1280];
        if (!bench_signature_ok(b, b->kernels[i], k, why, sizeof why)) {
            fprintf(stderr, "%s: error: --candidate %s: %s\n", progname, path, why);
            return 2;
        }
        found++;
    }
    if (!found) {
        char names[512] = "";
        size_t at = 0;
        for (size_t i = 0; i < c->fb->nimages; i++)
            for (uint32_t k = 0; k < c->fb->images[i].nkernels && at < sizeof names; k++) {
                const char *nm = c->fb->images[i].kernels[k].name;
                if (strstr(names, nm))
                    continue;
                int w = snprintf(names + at, sizeof names - at, "%s%s", at ? ", " : "", nm);
                at += w > 0 ? (size_t)w : 0;
            }
        fprintf(stderr,
                "%s: error: --candidate %s defines none of the kernels of benchmark %s (%s%s%s); "
                "it defines: %s\n",
                progname, path, b->name, b->kernels[0], b->kernels[1] ? ", " : "",
                b->kernels[1] ? b->kernels[1] : "", at ? names : "nothing");
        return 2;
    }
    claw_status s = claw_module_load(h->dev, c->bytes, c->size, &c->mod);
    if (s != CLAW_SUCCESS) {
        fprintf(stderr, "%s: error: --candidate %s: loading it on %s: %s: %s\n", progname, path,
                h->props.name, claw_status_string(s), claw_last_error());
        return 2;
    }
    return 0;
}

/* ---- running and printing ----------------------------------------------- */

static void
print_result(const char *who, const BenchResult *r)
{
    if (!r->right) {
        printf("  %-10s WRONG: %s\n", who, r->why);
        return;
    }
    double spread = (r->q3_ms - r->q1_ms) / r->median_ms * 100.0;
    char roof[48] = "-";
    if (isfinite(r->roofline))
        snprintf(roof, sizeof roof, "%5.1f%% %s", r->roofline * 100.0, r->bound);
    printf("  %-10s %10.4f ms  +-%4.1f%%  %9.2f GB/s  %9.2f GFLOP/s  roofline %-15s right\n", who,
           r->median_ms, spread / 2, r->gbps, r->gflops, roof);
}

static void
print_header(const BenchHost *h)
{
    const BenchOpts *o = h->o;
    printf("clawbench %s: device %d: %s (%s, %s)\n", CLAW_VERSION, h->index, h->props.name,
           backend_name(h->props.backend), h->props.arch);
    if (o->no_limits)
        printf("limits: not measured (--no-limits): no roofline\n");
    else
        printf("limits: copy %.2f GB/s, fma %.2f GFLOP/s (clawbench's own kernels)\n",
               h->limits.copy_gbps, h->limits.fma_gflops);
    printf("seed %llu; per result the median of %d samples after %d warm-up runs%s\n\n",
           (unsigned long long)o->seed, o->reps, o->warmup,
           o->quick_auto ? " (the --quick sizes on a CPU driver; --full for the large ones)"
           : o->quick    ? " (--quick sizes)"
                         : "");
}

int
run_benchmarks(BenchHost *h)
{
    const BenchOpts *o = h->o;
    int rc = 0;
    const Bench *only = o->name ? bench_find(o->name) : NULL;
    Candidate cand = {0};
    /* The candidate first: a file that is not one is refused at once. */
    if ((o->candidate && (rc = candidate_open(h, only, o->candidate, &cand)) != 0) ||
        (!o->no_limits && (rc = measure_limits(h)) != 0)) {
        candidate_close(&cand);
        return rc;
    }
    int wrong = 0;
    if (o->json) {
        printf("{\"clawbench\": \"%s\", ", CLAW_VERSION);
        json_device(stdout, h);
        if (o->no_limits) {
            printf(", \"limits\": null");
        } else {
            printf(", \"limits\": {\"copy_gbps\": ");
            json_num(stdout, h->limits.copy_gbps);
            printf(", \"fma_gflops\": ");
            json_num(stdout, h->limits.fma_gflops);
            printf("}");
        }
        printf(", \"seed\": %llu, \"reps\": %d, \"warmup\": %d, \"quick\": %s, \"benchmarks\": [",
               (unsigned long long)o->seed, o->reps, o->warmup, o->quick ? "true" : "false");
    } else {
        print_header(h);
    }
    int printed = 0;
    for (size_t i = 0; i < bench_count && rc == 0; i++) {
        const Bench *b = &bench_table[i];
        if (only && b != only)
            continue;
        BenchCase c;
        char err[768];
        if ((rc = bench_case_open(h, b, &c)) != 0)
            break;
        claw_module *shipped = bench_shipped(h, b, err, sizeof err);
        claw_kernel *k[BENCH_MAX_KERNELS], *ck[BENCH_MAX_KERNELS];
        int from = 0;
        BenchResult rs, rcand;
        bool have_cand = cand.mod != NULL;
        if (!shipped || bench_kernels(h, b, shipped, NULL, k, &from, err, sizeof err) ||
            (have_cand && bench_kernels(h, b, shipped, cand.mod, ck, &from, err, sizeof err))) {
            fprintf(stderr, "%s: error: %s: %s\n", progname, b->name, err);
            bench_teardown(&c);
            rc = 2;
            break;
        }
        bench_measure(h, b, &c, k, &rs);
        if (have_cand)
            bench_measure(h, b, &c, ck, &rcand);
        wrong += !rs.right + (have_cand && !rcand.right);
        double speedup =
            have_cand && rs.right && rcand.right ? rs.median_ms / rcand.median_ms : NAN;
        if (o->json) {
            printf("%s\n  {\"name\": ", printed++ ? "," : "");
            json_str(stdout, b->name);
            printf(", \"size\": ");
            json_str(stdout, c.size);
            printf(", \"bytes\": ");
            json_num(stdout, c.bytes);
            printf(", \"flops\": ");
            json_num(stdout, c.flops);
            printf(", \"tolerance\": ");
            json_str(stdout, b->tolerance);
            printf(", \"shipped\": ");
            json_result(stdout, &rs);
            if (have_cand) {
                printf(", \"candidate\": {\"file\": ");
                json_str(stdout, cand.path);
                printf(", \"speedup\": ");
                json_num(stdout, speedup);
                printf(", \"result\": ");
                json_result(stdout, &rcand);
                printf("}");
            }
            printf("}");
        } else {
            printf("%s %s: %.4g MB, %.4g MFLOP per run; tolerance: %s\n", b->name, c.size,
                   c.bytes * 1e-6, c.flops * 1e-6, b->tolerance);
            print_result("shipped", &rs);
            if (have_cand) {
                print_result("candidate", &rcand);
                if (isfinite(speedup))
                    printf("  speedup %.2fx (%s)\n", speedup,
                           speedup >= 1.0 ? "the candidate is faster"
                                          : "the shipped kernel is faster");
                else if (!rcand.right)
                    printf("  the candidate is refused: a wrong result, whatever its speed\n");
            }
        }
        bench_teardown(&c);
    }
    candidate_close(&cand);
    if (rc == 0 && wrong)
        rc = 1;
    if (o->json) {
        printf("\n], \"ok\": %s, \"exit\": %d}\n", rc == 0 ? "true" : "false", rc);
    } else if (rc != 2) {
        printf("\n%s\n", wrong ? "FAILED: a result was wrong" : "all results right");
    }
    return rc;
}
