/* throughput.c: run-time throughput of seven sample kernels on one device.
 *
 * The compile-time comparison (compare.py, docs/benchmarks.md) says what
 * clawc emits; this program says how fast it runs. On device 0 (CLAW_DEVICE=
 * cuda:0 or vulkan:0 picks another) it runs saxpy, vecadd, softmax (rows of
 * 4096), transpose and matmul from samples/, and the 16-byte forms of
 * reduction and layernorm on sizes that are not multiples of 4, with the fat binaries that the
 * build embedded in this executable (claw_add_fatbin ... EMBED,
 * scripts/bench/CMakeLists.txt). For each kernel it:
 *
 *   1. launches once and checks the result against a C reference (the whole
 *      output, or sampled rows and entries where a full C reference would
 *      take longer than the GPU run: softmax and matmul), so every number
 *      printed is for code that computed the right answer;
 *   2. launches WARMUP times untimed (module upload, clocks, caches);
 *   3. times ITERS launches with two events around them (device time,
 *      claw_event_elapsed), and divides.
 *
 * Rates: memory-bound kernels report effective bandwidth, the bytes each
 * launch must read plus write at least once (softmax reads its row three
 * times, but counts it once, as is usual), divided by the time; matmul
 * reports 2*m*n*k floating-point operations per second.
 * The matrix-tile samples gemm_tc and attention follow, from
 * throughput_matrix.c (GFLOP/s).
 *
 *   claw_throughput [--small] [--iters N]
 *
 * --small picks sizes for lavapipe (Vulkan on the CPU), a few seconds in all;
 * the default sizes are for a GPU (256 MiB vectors, 2048^3 matmul).
 * Exit status: 0 all checks passed, 1 a mismatch or runtime error, 2 bad
 * command line, 77 no device (ctest's SKIP_RETURN_CODE). */
#include "layernorm.claw.h"
#include "matmul.claw.h"
#include "reduction.claw.h"
#include "saxpy.claw.h"
#include "softmax.claw.h"
#include "transpose.claw.h"
#include "vecadd.claw.h"

/* gemm_tc and attention (matrix tiles): throughput_matrix.c; not in
 * claw_throughput_bounds, since -fsanitize=bounds does not take matrix tiles. */
#ifndef CLAW_THROUGHPUT_NO_MATRIX
#include "throughput_matrix.h"
#endif

#include <float.h>
#include <string.h>

#include "../../samples/common/sample.h"

/* The sizes of one run: the vectors of saxpy and vecadd, the matrices of
 * softmax (rows x SOFTMAX_COLS), transpose (dim x dim) and matmul (dim^3). */
typedef struct bench_sizes {
    uint32_t vec_n;
    uint32_t softmax_rows;
    uint32_t transpose_dim;
    uint32_t matmul_dim;
    int warmup;
    int iters;
} bench_sizes;

enum { SOFTMAX_COLS = 4096, BLOCK_1D = 256, SAXPY_MAX_BLOCKS = 1024 };

/* How many rows of softmax and entries of matmul the check recomputes in C. */
enum { CHECK_ROWS = 16, CHECK_ENTRIES = 256 };

/* A launch with its arguments bound, so the timing loop is the same for all. */
typedef struct bench_launch {
    claw_kernel *kernel;
    uint32_t grid[3];
    uint32_t block[3];
    uint32_t u[3];
    float f;
    claw_buffer *buf[4];
    int kind; /* which generated launch function: the enum below */
} bench_launch;

enum { K_SAXPY, K_VECADD, K_SOFTMAX, K_TRANSPOSE, K_MATMUL };
/* The 16-byte forms of reduction and layernorm, numbered apart from the
 * list above so that kernels added there do not collide. */
enum { K_REDUCTION = 64, K_LAYERNORM };

static claw_status
bench_launch_once(const bench_launch *l)
{
    switch (l->kind) {
    case K_SAXPY:
        return saxpy_launch(l->kernel, l->grid, l->block, l->u[0], l->f, l->buf[0], l->buf[1]);
    case K_VECADD:
        return vecadd_launch(l->kernel, l->grid, l->block, l->u[0], l->buf[0], l->buf[1],
                             l->buf[2]);
    case K_SOFTMAX:
        return softmax_launch(l->kernel, l->grid, l->block, l->u[0], l->u[1], l->buf[0], l->buf[1]);
    case K_TRANSPOSE:
        return transpose_launch(l->kernel, l->grid, l->block, l->u[0], l->u[1], l->buf[0],
                                l->buf[1]);
    case K_REDUCTION:
        return reduce_sum_launch(l->kernel, l->grid, l->block, l->u[0], l->buf[0], l->buf[1]);
    case K_LAYERNORM:
        return layernorm_launch(l->kernel, l->grid, l->block, l->u[0], l->u[1], l->f, l->buf[0],
                                l->buf[1], l->buf[2], l->buf[3]);
    default:
        return matmul_launch(l->kernel, l->grid, l->block, l->u[0], l->u[1], l->u[2], l->buf[0],
                             l->buf[1], l->buf[2]);
    }
}

/* Seconds per launch: WARMUP untimed launches, then ITERS timed ones between
 * two events on the default stream, whose claw_event_elapsed is device time
 * (docs/runtime.md "Streams and events"), so host-side launch cost does not
 * count. */
static double
bench_time(claw_device *dev, const bench_launch *l, const bench_sizes *sz)
{
    claw_event *e0, *e1;
    SAMPLE_CHECK(claw_event_create(dev, &e0));
    SAMPLE_CHECK(claw_event_create(dev, &e1));
    for (int i = 0; i < sz->warmup; i++)
        SAMPLE_CHECK(bench_launch_once(l));
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_event_record(e0, NULL));
    for (int i = 0; i < sz->iters; i++)
        SAMPLE_CHECK(bench_launch_once(l));
    SAMPLE_CHECK(claw_event_record(e1, NULL));
    double ms = 0.0;
    SAMPLE_CHECK(claw_event_elapsed(e0, e1, &ms));
    SAMPLE_CHECK(claw_synchronize(dev));
    claw_event_destroy(e0);
    claw_event_destroy(e1);
    return ms * 1e-3 / sz->iters;
}

static void
bench_row(const char *kernel, const char *size, double seconds, double rate, const char *unit,
          const claw_device_props *props)
{
    printf("| %-9s | %-18s | %12.1f | %10.1f %-7s | %s (%s) |\n", kernel, size, seconds * 1e6, rate,
           unit, props->name, sample_backend_name(props->backend));
    fflush(stdout);
}

static float *
bench_random(SampleRng *rng, size_t n, float lo, float hi)
{
    float *p = sample_alloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = sample_rng_f32(rng, lo, hi);
    return p;
}

/* Reports a mismatch (the first few) and counts it. */
static void
bench_mismatch(const char *kernel, size_t *bad, size_t at, double got, double want)
{
    if (*bad < 5)
        fprintf(stderr, "%s: element %zu: got %.9g, want %.9g\n", kernel, at, got, want);
    (*bad)++;
}

static claw_buffer *
bench_upload(claw_device *dev, const float *host, size_t n)
{
    claw_buffer *b;
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof(float), &b));
    if (host)
        SAMPLE_CHECK(claw_write(b, 0, host, n * sizeof(float)));
    return b;
}

static uint32_t
bench_blocks(uint64_t n, uint32_t per)
{
    return (uint32_t)((n + per - 1) / per);
}

/* saxpy and vecadd: y = a*x + y (3 n floats moved) and c = a + b (3 n). */
static size_t
bench_vectors(claw_device *dev, const claw_device_props *props, SampleRng *rng,
              const bench_sizes *sz)
{
    const uint32_t n = sz->vec_n;
    size_t bad = 0;
    float *x = bench_random(rng, n, -100.0f, 100.0f);
    float *y = bench_random(rng, n, -100.0f, 100.0f);
    float *got = sample_alloc((size_t)n * sizeof *got);
    const float a = sample_rng_f32(rng, -4.0f, 4.0f);
    claw_buffer *dx = bench_upload(dev, x, n), *dy = bench_upload(dev, y, n);
    claw_buffer *dz = bench_upload(dev, NULL, n);
    char size[32];
    snprintf(size, sizeof size, "n=%" PRIu32, n);

    claw_module *mod;
    bench_launch l = {
        .kind = K_SAXPY, .block = {BLOCK_1D, 1, 1}, .u = {n}, .f = a, .buf = {dx, dy}};
    uint32_t blocks = bench_blocks(n, BLOCK_1D);
    l.grid[0] = blocks < SAXPY_MAX_BLOCKS ? blocks : SAXPY_MAX_BLOCKS;
    l.grid[1] = l.grid[2] = 1;
    SAMPLE_CHECK(saxpy_module_load(dev, &mod));
    SAMPLE_CHECK(saxpy_get(mod, &l.kernel));
    SAMPLE_CHECK(bench_launch_once(&l));
    SAMPLE_CHECK(claw_read(dy, 0, got, (size_t)n * sizeof(float)));
    /* One fma or two roundings (docs/language.md §5), as samples/saxpy/host.c. */
    for (size_t i = 0; i < n; i++) {
        double want = (double)a * x[i] + y[i];
        double tol = FLT_EPSILON * (fabs((double)a * x[i]) + fabs(want));
        if (fabs(got[i] - want) > tol)
            bench_mismatch("saxpy", &bad, i, got[i], want);
    }
    /* The timed launches keep updating y in place; its values do not matter. */
    double t = bench_time(dev, &l, sz);
    bench_row("saxpy", size, t, 3.0 * 4.0 * n / t * 1e-9, "GB/s", props);
    claw_module_unload(mod);

    /* vecadd: one thread per four elements (16-byte accesses) */
    bench_launch v = {.kind = K_VECADD,
                      .block = {BLOCK_1D, 1, 1},
                      .u = {n},
                      .grid = {bench_blocks((n + 3) / 4, BLOCK_1D), 1, 1},
                      .buf = {dx, dy, dz}};
    SAMPLE_CHECK(vecadd_module_load(dev, &mod));
    SAMPLE_CHECK(vecadd_get(mod, &v.kernel));
    SAMPLE_CHECK(claw_write(dy, 0, y, (size_t)n * sizeof(float)));
    SAMPLE_CHECK(bench_launch_once(&v));
    SAMPLE_CHECK(claw_read(dz, 0, got, (size_t)n * sizeof(float)));
    for (size_t i = 0; i < n; i++) {
        float want = x[i] + y[i]; /* exact IEEE sum: bit for bit */
        if (got[i] != want)
            bench_mismatch("vecadd", &bad, i, got[i], want);
    }
    t = bench_time(dev, &v, sz);
    bench_row("vecadd", size, t, 3.0 * 4.0 * n / t * 1e-9, "GB/s", props);
    claw_module_unload(mod);

    claw_free(dx);
    claw_free(dy);
    claw_free(dz);
    free(x);
    free(y);
    free(got);
    return bad;
}

/* softmax over rows of 4096: reads and writes rows * 4096 floats. */
static size_t
bench_softmax(claw_device *dev, const claw_device_props *props, SampleRng *rng,
              const bench_sizes *sz)
{
    const uint32_t rows = sz->softmax_rows;
    const size_t n = (size_t)rows * SOFTMAX_COLS;
    size_t bad = 0;
    float *x = bench_random(rng, n, -8.0f, 8.0f);
    float *got = sample_alloc(n * sizeof *got);
    claw_buffer *dx = bench_upload(dev, x, n), *dy = bench_upload(dev, NULL, n);
    claw_module *mod;
    bench_launch l = {.kind = K_SOFTMAX,
                      .grid = {rows, 1, 1},
                      .block = {BLOCK_1D, 1, 1},
                      .u = {rows, SOFTMAX_COLS},
                      .buf = {dx, dy}};
    SAMPLE_CHECK(softmax_module_load(dev, &mod));
    SAMPLE_CHECK(softmax_get(mod, &l.kernel));
    SAMPLE_CHECK(bench_launch_once(&l));
    SAMPLE_CHECK(claw_read(dy, 0, got, n * sizeof(float)));
    /* exp within the Vulkan bound (docs/language.md §7) and a reassociated sum:
     * 1e-4 relative, as samples/softmax/host.c. Rows spread over the matrix. */
    const uint32_t checked = rows < CHECK_ROWS ? rows : CHECK_ROWS;
    for (uint32_t c = 0; c < checked; c++) {
        size_t base = (size_t)c * rows / checked * SOFTMAX_COLS;
        double m = x[base], s = 0.0;
        for (size_t j = 0; j < SOFTMAX_COLS; j++)
            m = fmax(m, x[base + j]);
        for (size_t j = 0; j < SOFTMAX_COLS; j++)
            s += exp(x[base + j] - m);
        for (size_t j = 0; j < SOFTMAX_COLS; j++) {
            double want = exp(x[base + j] - m) / s;
            if (fabs(got[base + j] - want) > 1e-4 * want)
                bench_mismatch("softmax", &bad, base + j, got[base + j], want);
        }
    }
    double t = bench_time(dev, &l, sz);
    char size[32];
    snprintf(size, sizeof size, "%" PRIu32 "x%d", rows, SOFTMAX_COLS);
    bench_row("softmax", size, t, 2.0 * 4.0 * (double)n / t * 1e-9, "GB/s", props);
    claw_module_unload(mod);
    claw_free(dx);
    claw_free(dy);
    free(x);
    free(got);
    return bad;
}

/* reduction and layernorm, the 16-byte forms with a scalar tail: reduce_sum
 * over vec_n + 3 floats (so the tail runs too; reads 4 n bytes), layernorm
 * over softmax_rows x (SOFTMAX_COLS + 2) (even rows take the vec4 path and a
 * two-element tail, odd rows, not 16-byte aligned, the scalar path; reads
 * and writes the matrix once). */
static size_t
bench_wide(claw_device *dev, const claw_device_props *props, SampleRng *rng, const bench_sizes *sz)
{
    size_t bad = 0;
    char size[32];
    claw_module *mod;

    const uint32_t n = sz->vec_n + 3;
    float *x = bench_random(rng, n, -1.0f, 1.0f);
    uint32_t g = bench_blocks(n, BLOCK_1D);
    g = g < SAXPY_MAX_BLOCKS ? g : SAXPY_MAX_BLOCKS;
    float *partials = sample_alloc(g * sizeof *partials);
    claw_buffer *dx = bench_upload(dev, x, n), *dp = bench_upload(dev, NULL, g);
    bench_launch r = {.kind = K_REDUCTION,
                      .grid = {g, 1, 1},
                      .block = {BLOCK_1D, 1, 1},
                      .u = {n},
                      .buf = {dx, dp}};
    SAMPLE_CHECK(reduction_module_load(dev, &mod));
    SAMPLE_CHECK(reduce_sum_get(mod, &r.kernel));
    SAMPLE_CHECK(bench_launch_once(&r));
    SAMPLE_CHECK(claw_read(dp, 0, partials, g * sizeof(float)));
    /* Reassociated float sums: 1e-5 of sum |x|, as samples/reduction/host.c. */
    double got = 0.0, want = 0.0, mag = 0.0;
    for (uint32_t b = 0; b < g; b++)
        got += partials[b];
    for (uint32_t i = 0; i < n; i++) {
        want += x[i];
        mag += fabs(x[i]);
    }
    if (fabs(got - want) > 1e-5 * mag)
        bench_mismatch("reduction", &bad, 0, got, want);
    double t = bench_time(dev, &r, sz);
    snprintf(size, sizeof size, "n=%" PRIu32, n);
    bench_row("reduction", size, t, 4.0 * n / t * 1e-9, "GB/s", props);
    claw_module_unload(mod);
    claw_free(dx);
    claw_free(dp);
    free(x);
    free(partials);

    const uint32_t rows = sz->softmax_rows, cols = SOFTMAX_COLS + 2;
    const size_t m = (size_t)rows * cols;
    const float eps = 1e-5f;
    float *lx = bench_random(rng, m, -2.0f, 2.0f);
    float *gamma = bench_random(rng, cols, 0.5f, 2.0f),
          *beta = bench_random(rng, cols, -1.0f, 1.0f);
    float *ly = sample_alloc(m * sizeof *ly);
    claw_buffer *dlx = bench_upload(dev, lx, m), *dg = bench_upload(dev, gamma, cols);
    claw_buffer *db = bench_upload(dev, beta, cols), *dly = bench_upload(dev, NULL, m);
    bench_launch l = {.kind = K_LAYERNORM,
                      .grid = {rows, 1, 1},
                      .block = {BLOCK_1D, 1, 1},
                      .u = {rows, cols},
                      .f = eps,
                      .buf = {dlx, dg, db, dly}};
    SAMPLE_CHECK(layernorm_module_load(dev, &mod));
    SAMPLE_CHECK(layernorm_get(mod, &l.kernel));
    SAMPLE_CHECK(bench_launch_once(&l));
    SAMPLE_CHECK(claw_read(dly, 0, ly, m * sizeof(float)));
    /* 1e-4 * max(1, |want|), as samples/layernorm/host.c; CHECK_ROWS rows
     * spread over the matrix, both even (vec4) and odd (scalar) ones. */
    const uint32_t checked = rows < CHECK_ROWS ? rows : CHECK_ROWS;
    for (uint32_t c = 0; c < checked; c++) {
        size_t base = ((size_t)c * rows / checked + c % 2) % rows * cols;
        double mean = 0.0, var = 0.0;
        for (size_t j = 0; j < cols; j++)
            mean += lx[base + j];
        mean /= cols;
        for (size_t j = 0; j < cols; j++)
            var += (lx[base + j] - mean) * (lx[base + j] - mean);
        var /= cols;
        for (size_t j = 0; j < cols; j++) {
            double w = (lx[base + j] - mean) / sqrt(var + eps) * gamma[j] + beta[j];
            if (fabs(ly[base + j] - w) > 1e-4 * fmax(1.0, fabs(w)))
                bench_mismatch("layernorm", &bad, base + j, ly[base + j], w);
        }
    }
    t = bench_time(dev, &l, sz);
    snprintf(size, sizeof size, "%" PRIu32 "x%" PRIu32, rows, cols);
    bench_row("layernorm", size, t, 2.0 * 4.0 * (double)m / t * 1e-9, "GB/s", props);
    claw_module_unload(mod);
    claw_free(dlx);
    claw_free(dg);
    claw_free(db);
    claw_free(dly);
    free(lx);
    free(gamma);
    free(beta);
    free(ly);
    return bad;
}

/* transpose of a dim x dim matrix: reads and writes dim^2 floats. */
static size_t
bench_transpose(claw_device *dev, const claw_device_props *props, SampleRng *rng,
                const bench_sizes *sz)
{
    const uint32_t d = sz->transpose_dim;
    const size_t n = (size_t)d * d;
    size_t bad = 0;
    float *src = bench_random(rng, n, -1.0f, 1.0f);
    float *got = sample_alloc(n * sizeof *got);
    claw_buffer *ds = bench_upload(dev, src, n), *dd = bench_upload(dev, NULL, n);
    claw_module *mod;
    bench_launch l = {.kind = K_TRANSPOSE,
                      .grid = {bench_blocks(d, 32), bench_blocks(d, 32), 1},
                      .block = {32, 8, 1},
                      .u = {d, d},
                      .buf = {ds, dd}};
    SAMPLE_CHECK(transpose_module_load(dev, &mod));
    SAMPLE_CHECK(transpose_get(mod, &l.kernel));
    SAMPLE_CHECK(bench_launch_once(&l));
    SAMPLE_CHECK(claw_read(dd, 0, got, n * sizeof(float)));
    for (size_t r = 0; r < d; r++)
        for (size_t c = 0; c < d; c++)
            if (got[c * d + r] != src[r * d + c]) /* data is only moved: exact */
                bench_mismatch("transpose", &bad, c * d + r, got[c * d + r], src[r * d + c]);
    double t = bench_time(dev, &l, sz);
    char size[32];
    snprintf(size, sizeof size, "%" PRIu32 "x%" PRIu32, d, d);
    bench_row("transpose", size, t, 2.0 * 4.0 * (double)n / t * 1e-9, "GB/s", props);
    claw_module_unload(mod);
    claw_free(ds);
    claw_free(dd);
    free(src);
    free(got);
    return bad;
}

/* matmul, square dim^3: 2 dim^3 flops. */
static size_t
bench_matmul(claw_device *dev, const claw_device_props *props, SampleRng *rng,
             const bench_sizes *sz)
{
    const uint32_t d = sz->matmul_dim;
    const size_t n = (size_t)d * d;
    size_t bad = 0;
    float *a = bench_random(rng, n, -1.0f, 1.0f);
    float *b = bench_random(rng, n, -1.0f, 1.0f);
    float *got = sample_alloc(n * sizeof *got);
    claw_buffer *da = bench_upload(dev, a, n), *db = bench_upload(dev, b, n);
    claw_buffer *dc = bench_upload(dev, NULL, n);
    claw_module *mod;
    bench_launch l = {.kind = K_MATMUL,
                      .grid = {bench_blocks(d, 64), bench_blocks(d, 64), 1},
                      .block = {16, 16, 1},
                      .u = {d, d, d},
                      .buf = {da, db, dc}};
    SAMPLE_CHECK(matmul_module_load(dev, &mod));
    SAMPLE_CHECK(matmul_get(mod, &l.kernel));
    SAMPLE_CHECK(bench_launch_once(&l));
    SAMPLE_CHECK(claw_read(dc, 0, got, n * sizeof(float)));
    /* A full C reference of 2048^3 takes seconds: recompute random entries in
     * double, each within the usual k * eps * sum |a b| bound for a
     * reassociated, possibly fused float sum. */
    for (int e = 0; e < CHECK_ENTRIES; e++) {
        size_t r = sample_rng_u32(rng) % d, c = sample_rng_u32(rng) % d;
        double want = 0.0, mag = 0.0;
        for (size_t t = 0; t < d; t++) {
            want += (double)a[r * d + t] * b[t * d + c];
            mag += fabs((double)a[r * d + t] * b[t * d + c]);
        }
        if (fabs(got[r * d + c] - want) > d * FLT_EPSILON * mag)
            bench_mismatch("matmul", &bad, r * d + c, got[r * d + c], want);
    }
    double t = bench_time(dev, &l, sz);
    char size[32];
    snprintf(size, sizeof size, "%" PRIu32 "^3", d);
    bench_row("matmul", size, t, 2.0 * (double)d * d * d / t * 1e-9, "GFLOP/s", props);
    claw_module_unload(mod);
    claw_free(da);
    claw_free(db);
    claw_free(dc);
    free(a);
    free(b);
    free(got);
    return bad;
}

static int
bench_usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--small] [--iters N]   (N from 1 to 10000)\n", argv0);
    return 2;
}

int
main(int argc, char **argv)
{
    /* GPU sizes: 64 Mi floats = 256 MiB per vector and matrix. */
    bench_sizes sz = {.vec_n = 64u << 20,
                      .softmax_rows = 16384,
                      .transpose_dim = 8192,
                      .matmul_dim = 2048,
                      .warmup = 3,
                      .iters = 20};
    int iters = 0;
    bool small = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--small") == 0) {
            small = true;
            sz = (bench_sizes){.vec_n = 1u << 20,
                               .softmax_rows = 64,
                               .transpose_dim = 1024,
                               .matmul_dim = 256,
                               .warmup = 1,
                               .iters = 5};
        } else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            long v = strtol(argv[++i], &end, 10);
            if (errno || *end || v < 1 || v > 10000)
                return bench_usage(argv[0]);
            iters = (int)v;
        } else {
            return bench_usage(argv[0]);
        }
    }
    if (iters)
        sz.iters = iters;

    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("claw_throughput", &dev, &props);
    if (rc != 0)
        return rc;
    /* Fixed seed: the inputs only need to be the same from run to run. */
    SampleRng rng = {20261127u};
    printf("warm-up %d, timed %d launches each\n\n", sz.warmup, sz.iters);
    printf("| kernel    | size               |    us/launch |         rate       | device |\n");
    printf("| --------- | ------------------ | ------------ | ------------------ | ------ |\n");
    size_t bad = bench_vectors(dev, &props, &rng, &sz);
    bad += bench_softmax(dev, &props, &rng, &sz);
    bad += bench_wide(dev, &props, &rng, &sz);
    bad += bench_transpose(dev, &props, &rng, &sz);
    bad += bench_matmul(dev, &props, &rng, &sz);
#ifndef CLAW_THROUGHPUT_NO_MATRIX
    /* The matrix-tile samples (throughput_matrix.c). */
    bad += bench_matrix_samples(dev, &props, &rng, small, sz.warmup, sz.iters);
#else
    (void)small;
#endif
    if (bad) {
        printf("\nclaw_throughput: FAILED: %zu wrong results (the rates above are not valid)\n",
               bad);
        return 1;
    }
    printf("\nclaw_throughput: all results checked against C\n");
    return 0;
}
