/* bench_suite.c: clawbench's registered benchmarks, one per sample kernel
 * (docs/clawbench.md "Benchmarks").
 *
 * Each entry of bench_table says which kernels of which sample it runs, and
 * has two functions: setup() chooses the sizes (small ones with --quick),
 * draws the inputs from the seed, allocates the device buffers and computes
 * the C reference in double precision with a per-element tolerance; and
 * enqueue() puts one run on a stream, with the launch geometry the sample's
 * comment documents. The block comes from the kernel's @workgroup
 * (claw_kernel_block_size), so a candidate with another fixed block runs
 * correctly wherever the geometry only depends on the block; the two that
 * tile by a fixed amount (matmul, transpose) are marked fixed_block.
 *
 * `bytes` is the traffic the operation needs at least (every input read
 * once, every output written once); `flops` counts the reference
 * algorithm's floating-point operations (an fma is two, exp one). A kernel
 * that moves more than the minimum therefore scores lower on the roofline. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

uint32_t
bench_rng_u32(BenchRng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

float
bench_rng_f32(BenchRng *r, float lo, float hi)
{
    float unit = (float)(bench_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
    return lo + (hi - lo) * unit;
}

void
bench_block(claw_kernel *k, uint32_t dflt, uint32_t block[3])
{
    if (claw_kernel_block_size(k, block) != CLAW_SUCCESS || block[0] == 0) {
        block[0] = dflt;
        block[1] = block[2] = 1;
    }
}

static uint32_t
ceil_div(uint64_t a, uint32_t b)
{
    return (uint32_t)((a + b - 1) / b);
}

static uint32_t
min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* ---- building a case ---------------------------------------------------- */

static bool
fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s", what);
    return false;
}

static void *
host_alloc(size_t bytes)
{
    return calloc(1, bytes ? bytes : 1);
}

/* Device buffer i of `bytes`; init (owned by c from now on) is what reset
 * writes, or NULL for zeroes. */
static bool
add_buf(BenchCase *c, int i, size_t bytes, void *init, char *err, size_t errlen)
{
    c->init[i] = init;
    c->buf_bytes[i] = bytes;
    claw_status s = claw_alloc(c->dev, bytes, &c->buf[i]);
    if (s != CLAW_SUCCESS) {
        snprintf(err, errlen, "claw_alloc(%zu bytes): %s", bytes, claw_last_error());
        return false;
    }
    return true;
}

static float *
rand_f32(BenchCase *c, size_t n, float lo, float hi)
{
    float *v = host_alloc(n * sizeof *v);
    if (v)
        for (size_t i = 0; i < n; i++)
            v[i] = bench_rng_f32(&c->rng, lo, hi);
    return v;
}

static bool
want_alloc(BenchCase *c, int out, BenchElem elem, size_t count, bool with_tol)
{
    c->out_buf = out;
    c->out_elem = elem;
    c->out_count = count;
    c->want = host_alloc(count * sizeof *c->want);
    c->tol = with_tol ? host_alloc(count * sizeof *c->tol) : NULL;
    return c->want && (!with_tol || c->tol);
}

static uint64_t
addr(BenchCase *c, int i)
{
    return claw_buffer_address(c->buf[i]);
}

/* One launch with the argument values listed; sizes[i] is the C size of
 * argument i, checked by the runtime against the kernel's parameters, so a
 * kernel of another signature is refused rather than fed garbage. */
#define LAUNCH(s, k, grid, block, sizes, ...)                                                      \
    claw_launch_sized_on((s), (k), (grid), (block), (const void *const[]){__VA_ARGS__}, (sizes),   \
                         sizeof((const void *[]){__VA_ARGS__}) / sizeof(void *))

/* ---- saxpy: y = a*x + y ------------------------------------------------- */

static bool
saxpy_setup(BenchCase *c, char *err, size_t errlen)
{
    uint32_t n = c->quick ? 1u << 16 : 1u << 23;
    c->u[0] = n;
    c->f[0] = bench_rng_f32(&c->rng, -4.0f, 4.0f);
    float *x = rand_f32(c, n, -100.0f, 100.0f), *y = rand_f32(c, n, -100.0f, 100.0f);
    if (!x || !y || !want_alloc(c, 1, BENCH_F32, n, true))
        return free(x), free(y), fail(err, errlen, "out of host memory");
    double a = c->f[0];
    for (uint32_t i = 0; i < n; i++) {
        c->want[i] = a * x[i] + y[i];
        /* fused: one rounding; unfused: the product's and the sum's */
        c->tol[i] = FLT_EPSILON * (fabs(a * x[i]) + fabs(c->want[i]));
    }
    snprintf(c->size, sizeof c->size, "n=%u", n);
    c->bytes = 12.0 * n;
    c->flops = 2.0 * n;
    if (!add_buf(c, 0, (size_t)n * 4, x, err, errlen))
        return free(y), false;
    return add_buf(c, 1, (size_t)n * 4, y, err, errlen);
}

static claw_status
saxpy_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 4, 8, 8};
    uint32_t block[3], grid[3] = {0, 1, 1};
    bench_block(k[0], 256, block);
    grid[0] = min_u32(ceil_div(c->u[0], block[0]), 1024); /* grid-stride loop */
    uint64_t x = addr(c, 0), y = addr(c, 1);
    return LAUNCH(s, k[0], grid, block, sz, &c->u[0], &c->f[0], &x, &y);
}

/* ---- vecadd: c = a + b -------------------------------------------------- */

static bool
vecadd_setup(BenchCase *c, char *err, size_t errlen)
{
    uint32_t n = c->quick ? (1u << 16) + 77 : 1u << 23;
    c->u[0] = n;
    float *a = rand_f32(c, n, -100.0f, 100.0f), *b = rand_f32(c, n, -100.0f, 100.0f);
    if (!a || !b || !want_alloc(c, 2, BENCH_F32, n, false))
        return free(a), free(b), fail(err, errlen, "out of host memory");
    for (uint32_t i = 0; i < n; i++)
        c->want[i] = (double)(a[i] + b[i]); /* IEEE sum: bit for bit */
    snprintf(c->size, sizeof c->size, "n=%u", n);
    c->bytes = 12.0 * n;
    c->flops = 1.0 * n;
    if (!add_buf(c, 0, (size_t)n * 4, a, err, errlen))
        return free(b), false;
    return add_buf(c, 1, (size_t)n * 4, b, err, errlen) &&
           add_buf(c, 2, (size_t)n * 4, NULL, err, errlen);
}

static claw_status
vecadd_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 8, 8, 8};
    uint32_t block[3], grid[3] = {0, 1, 1};
    bench_block(k[0], 256, block);
    /* one thread per four elements (samples/vecadd: 16-byte accesses) */
    grid[0] = ceil_div(ceil_div(c->u[0], 4), block[0]);
    uint64_t a = addr(c, 0), b = addr(c, 1), out = addr(c, 2);
    return LAUNCH(s, k[0], grid, block, sz, &c->u[0], &a, &b, &out);
}

/* ---- reduction: the sum of x, in two launches --------------------------- */

static bool
reduction_setup(BenchCase *c, char *err, size_t errlen)
{
    uint32_t n = c->quick ? (1u << 16) + 5 : 1u << 24;
    c->u[0] = n;
    float *x = rand_f32(c, n, -1.0f, 1.0f);
    if (!x || !want_alloc(c, 2, BENCH_F32, 1, true))
        return free(x), fail(err, errlen, "out of host memory");
    double sum = 0.0, mag = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        sum += x[i];
        mag += fabs(x[i]);
    }
    c->want[0] = sum;
    c->tol[0] = 1e-5 * mag; /* reassociated f32 sums */
    snprintf(c->size, sizeof c->size, "n=%u", n);
    c->bytes = 4.0 * n;
    c->flops = 1.0 * n;
    if (!add_buf(c, 0, (size_t)n * 4, x, err, errlen))
        return false;
    /* partials: at most 1024 blocks (enqueue); the total: one value */
    return add_buf(c, 1, 1024 * 4, NULL, err, errlen) && add_buf(c, 2, 4, NULL, err, errlen);
}

static claw_status
reduction_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 8, 8};
    uint32_t block[3], grid[3] = {0, 1, 1};
    bench_block(k[0], 256, block);
    uint32_t g = min_u32(ceil_div(c->u[0], block[0]), 1024);
    grid[0] = g;
    uint64_t x = addr(c, 0), partials = addr(c, 1), total = addr(c, 2);
    claw_status st = LAUNCH(s, k[0], grid, block, sz, &c->u[0], &x, &partials);
    if (st != CLAW_SUCCESS)
        return st;
    grid[0] = 1; /* the partials, into the total */
    return LAUNCH(s, k[0], grid, block, sz, &g, &partials, &total);
}

/* ---- histogram: 256 bins of x % 256 ------------------------------------- */

static bool
histogram_setup(BenchCase *c, char *err, size_t errlen)
{
    uint32_t n = c->quick ? (1u << 16) + 3 : 1u << 24;
    c->u[0] = n;
    uint32_t *x = host_alloc((size_t)n * 4);
    if (!x || !want_alloc(c, 1, BENCH_U32, 256, false))
        return free(x), fail(err, errlen, "out of host memory");
    for (uint32_t i = 0; i < n; i++) {
        /* a skewed distribution, so some bins are hot as in real data */
        uint32_t v = bench_rng_u32(&c->rng);
        x[i] = (v & 0x300) == 0 ? v & 0xffffff0f : v;
        c->want[x[i] % 256] += 1.0;
    }
    snprintf(c->size, sizeof c->size, "n=%u", n);
    c->bytes = 4.0 * n + 1024;
    c->flops = 0;
    return add_buf(c, 0, (size_t)n * 4, x, err, errlen) &&
           add_buf(c, 1, 256 * 4, NULL, err, errlen);
}

static claw_status
histogram_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 8, 8};
    uint32_t block[3], grid[3] = {0, 1, 1};
    bench_block(k[0], 256, block);
    grid[0] = min_u32(ceil_div(c->u[0], block[0]), 256);
    /* the kernel adds to the counters: every run starts from zero */
    claw_status st = claw_fill_on(s, c->buf[1], 0, 256 * 4, 0);
    if (st != CLAW_SUCCESS)
        return st;
    uint64_t x = addr(c, 0), hist = addr(c, 1);
    return LAUNCH(s, k[0], grid, block, sz, &c->u[0], &x, &hist);
}

/* ---- scan: inclusive prefix sum, three launches ------------------------- */

static bool
scan_setup(BenchCase *c, char *err, size_t errlen)
{
    uint32_t n = c->quick ? 30001 : 65536; /* the kernel's limit: 256 * 256 */
    c->u[0] = n;
    uint32_t *x = host_alloc((size_t)n * 4);
    if (!x || !want_alloc(c, 1, BENCH_U32, n, false))
        return free(x), fail(err, errlen, "out of host memory");
    uint32_t run = 0;
    for (uint32_t i = 0; i < n; i++) {
        x[i] = bench_rng_u32(&c->rng); /* the sums wrap, exactly */
        run += x[i];
        c->want[i] = run;
    }
    snprintf(c->size, sizeof c->size, "n=%u", n);
    c->bytes = 8.0 * n;
    c->flops = 0;
    return add_buf(c, 0, (size_t)n * 4, x, err, errlen) &&
           add_buf(c, 1, (size_t)n * 4, NULL, err, errlen) &&
           /* block totals: room for one per element, whatever the block */
           add_buf(c, 2, (size_t)n * 4, NULL, err, errlen) &&
           add_buf(c, 3, (size_t)n * 4, NULL, err, errlen) && add_buf(c, 4, 4, NULL, err, errlen);
}

static claw_status
scan_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 8, 8, 8};
    uint32_t block[3], grid[3] = {0, 1, 1};
    bench_block(k[0], 256, block);
    uint32_t g = ceil_div(c->u[0], block[0]);
    /* The second launch scans the g block totals in one block: a kernel
     * with a block under ceil(sqrt(n)) gives a wrong result, which the
     * check reports. */
    uint64_t x = addr(c, 0), y = addr(c, 1), sums = addr(c, 2), scanned = addr(c, 3),
             one = addr(c, 4);
    grid[0] = g;
    claw_status st = LAUNCH(s, k[0], grid, block, sz, &c->u[0], &x, &y, &sums);
    grid[0] = 1;
    if (st == CLAW_SUCCESS)
        st = LAUNCH(s, k[0], grid, block, sz, &g, &sums, &scanned, &one);
    if (st != CLAW_SUCCESS)
        return st;
    static const size_t sz2[] = {4, 8, 8};
    uint32_t block2[3];
    bench_block(k[1], 256, block2);
    grid[0] = ceil_div(c->u[0], block2[0]);
    return LAUNCH(s, k[1], grid, block2, sz2, &c->u[0], &y, &scanned);
}

/* ---- transpose ---------------------------------------------------------- */

static bool
transpose_setup(BenchCase *c, char *err, size_t errlen)
{
    uint32_t rows = c->quick ? 200 : 4096, cols = c->quick ? 300 : 4096;
    size_t n = (size_t)rows * cols;
    c->u[0] = rows;
    c->u[1] = cols;
    float *src = rand_f32(c, n, -100.0f, 100.0f);
    if (!src || !want_alloc(c, 1, BENCH_F32, n, false))
        return free(src), fail(err, errlen, "out of host memory");
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++)
            c->want[j * rows + r] = src[r * cols + j];
    snprintf(c->size, sizeof c->size, "%ux%u", rows, cols);
    c->bytes = 8.0 * (double)n;
    c->flops = 0;
    return add_buf(c, 0, n * 4, src, err, errlen) && add_buf(c, 1, n * 4, NULL, err, errlen);
}

static claw_status
transpose_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 4, 8, 8};
    uint32_t block[3];
    bench_block(k[0], 256, block);
    const uint32_t grid[3] = {ceil_div(c->u[1], 32), ceil_div(c->u[0], 32), 1}; /* 32x32 tiles */
    uint64_t src = addr(c, 0), dst = addr(c, 1);
    return LAUNCH(s, k[0], grid, block, sz, &c->u[0], &c->u[1], &src, &dst);
}

/* ---- matmul: c = a * b -------------------------------------------------- */

/* want (zeroed, m x n) += a (m x k) * b (k x n) in double, and mag the sum
 * of |a b| per element, for the tolerances. */
static void
gemm_reference(const float *a, const float *b, size_t m, size_t n, size_t k, double *want,
               double *mag)
{
    for (size_t r = 0; r < m; r++)
        for (size_t t = 0; t < k; t++) {
            double av = a[r * k + t];
            const float *brow = &b[t * n];
            double *w = &want[r * n], *g = &mag[r * n];
            for (size_t j = 0; j < n; j++) {
                w[j] += av * brow[j];
                g[j] += fabs(av * brow[j]);
            }
        }
}

static bool
matmul_setup(BenchCase *c, char *err, size_t errlen)
{
    uint32_t m = c->quick ? 130 : 1024, n = c->quick ? 96 : 1024, k = c->quick ? 70 : 1024;
    c->u[0] = m;
    c->u[1] = n;
    c->u[2] = k;
    float *a = rand_f32(c, (size_t)m * k, -1.0f, 1.0f),
          *b = rand_f32(c, (size_t)k * n, -1.0f, 1.0f);
    double *mag = host_alloc((size_t)m * n * sizeof *mag);
    if (!a || !b || !mag || !want_alloc(c, 2, BENCH_F32, (size_t)m * n, true))
        return free(a), free(b), free(mag), fail(err, errlen, "out of host memory");
    gemm_reference(a, b, m, n, k, c->want, mag);
    /* k roundings of reassociated, possibly fused sums */
    for (size_t i = 0; i < (size_t)m * n; i++)
        c->tol[i] = k * FLT_EPSILON * mag[i];
    free(mag);
    snprintf(c->size, sizeof c->size, "%ux%ux%u", m, n, k);
    c->bytes = 4.0 * ((double)m * k + (double)k * n + (double)m * n);
    c->flops = 2.0 * m * n * k;
    if (!add_buf(c, 0, (size_t)m * k * 4, a, err, errlen))
        return free(b), false;
    return add_buf(c, 1, (size_t)k * n * 4, b, err, errlen) &&
           add_buf(c, 2, (size_t)m * n * 4, NULL, err, errlen);
}

static claw_status
matmul_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 4, 4, 8, 8, 8};
    uint32_t block[3];
    bench_block(k[0], 256, block);
    const uint32_t grid[3] = {ceil_div(c->u[1], 64), ceil_div(c->u[0], 64), 1}; /* 64x64 tiles */
    uint64_t a = addr(c, 0), b = addr(c, 1), out = addr(c, 2);
    return LAUNCH(s, k[0], grid, block, sz, &c->u[0], &c->u[1], &c->u[2], &a, &b, &out);
}

/* ---- gemm_tc: c = a * b on matrix tiles, f16 inputs ---------------------- */

/* x, exactly representable in f16 (|x| <= 1, a multiple of 2^-10), as its
 * f16 bits. */
static uint16_t
f16_bits_exact(double x)
{
    if (x == 0)
        return 0;
    uint16_t sign = x < 0 ? 0x8000 : 0;
    int e;
    double m = frexp(fabs(x), &e); /* |x| = m 2^e, m in [0.5, 1) */
    int biased = e - 1 + 15;
    if (biased <= 0) /* subnormal: |x| = mant 2^-24 */
        return (uint16_t)(sign | (uint16_t)(fabs(x) * 16777216.0));
    return (uint16_t)(sign | (uint16_t)(biased << 10) | (uint16_t)((m * 2.0 - 1.0) * 1024.0));
}

static bool
gemm_tc_setup(BenchCase *c, char *err, size_t errlen)
{
    /* n and k multiples of 4 (the sample's rule); m, n not multiples of its
     * 64 x 128 block tile in --quick, so the edges run too */
    uint32_t m = c->quick ? 136 : 1024, n = c->quick ? 200 : 1024, k = c->quick ? 72 : 1024;
    c->u[0] = m;
    c->u[1] = n;
    c->u[2] = k;
    c->f[0] = 1.0f; /* alpha */
    c->f[1] = 0.0f; /* beta: c starts zeroed */
    uint16_t *a = host_alloc((size_t)m * k * 2), *b = host_alloc((size_t)k * n * 2);
    float *av = host_alloc((size_t)m * k * sizeof *av), *bv = host_alloc((size_t)k * n * sizeof *bv);
    double *mag = host_alloc((size_t)m * n * sizeof *mag);
    if (!a || !b || !av || !bv || !mag || !want_alloc(c, 2, BENCH_F32, (size_t)m * n, true))
        return free(a), free(b), free(av), free(bv), free(mag), fail(err, errlen, "out of host memory");
    /* k / 1024 with k in [-1024, 1024]: exact in f16, products exact in f32 */
    for (size_t i = 0; i < (size_t)m * k; i++) {
        av[i] = (float)(((double)(bench_rng_u32(&c->rng) % 2049) - 1024.0) / 1024.0);
        a[i] = f16_bits_exact(av[i]);
    }
    for (size_t i = 0; i < (size_t)k * n; i++) {
        bv[i] = (float)(((double)(bench_rng_u32(&c->rng) % 2049) - 1024.0) / 1024.0);
        b[i] = f16_bits_exact(bv[i]);
    }
    gemm_reference(av, bv, m, n, k, c->want, mag);
    /* f32 accumulation in an unspecified order (docs/language.md §14): the
     * margin of docs/samples.md, (k + 2) 2^-22 times the sum of |a b| */
    for (size_t i = 0; i < (size_t)m * n; i++)
        c->tol[i] = (k + 2) * ldexp(1.0, -22) * mag[i] + 1e-30;
    free(av), free(bv), free(mag);
    snprintf(c->size, sizeof c->size, "%ux%ux%u f16", m, n, k);
    c->bytes = 2.0 * ((double)m * k + (double)k * n) + 4.0 * (double)m * n;
    c->flops = 2.0 * m * n * k;
    if (!add_buf(c, 0, (size_t)m * k * 2, a, err, errlen))
        return free(b), false;
    return add_buf(c, 1, (size_t)k * n * 2, b, err, errlen) &&
           add_buf(c, 2, (size_t)m * n * 4, NULL, err, errlen);
}

static claw_status
gemm_tc_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 4, 4, 4, 4, 8, 8, 8};
    /* four subgroups per block, each a 32 x 64 part of the 64 x 128 tile */
    const uint32_t block[3] = {4 * c->props->subgroup_size, 1, 1};
    const uint32_t grid[3] = {ceil_div(c->u[1], 128), ceil_div(c->u[0], 64), 1};
    uint64_t a = addr(c, 0), b = addr(c, 1), out = addr(c, 2);
    return LAUNCH(s, k[0], grid, block, sz, &c->u[0], &c->u[1], &c->u[2], &c->f[0], &c->f[1], &a, &b,
                  &out);
}

/* ---- softmax and layernorm: one block per row --------------------------- */

static bool
softmax_setup(BenchCase *c, char *err, size_t errlen)
{
    uint32_t rows = c->quick ? 64 : 4096, cols = c->quick ? 300 : 1024;
    size_t n = (size_t)rows * cols;
    c->u[0] = rows;
    c->u[1] = cols;
    float *x = rand_f32(c, n, -8.0f, 8.0f);
    if (!x || !want_alloc(c, 1, BENCH_F32, n, true))
        return free(x), fail(err, errlen, "out of host memory");
    for (size_t r = 0; r < rows; r++) {
        const float *row = &x[r * cols];
        double mx = row[0], sum = 0.0;
        for (size_t j = 0; j < cols; j++)
            mx = fmax(mx, row[j]);
        for (size_t j = 0; j < cols; j++)
            sum += exp(row[j] - mx);
        for (size_t j = 0; j < cols; j++) {
            c->want[r * cols + j] = exp(row[j] - mx) / sum;
            c->tol[r * cols + j] = 3e-5 * c->want[r * cols + j]; /* exp's bound, sums */
        }
    }
    snprintf(c->size, sizeof c->size, "%ux%u", rows, cols);
    c->bytes = 8.0 * (double)n;
    c->flops = 5.0 * (double)n; /* max, subtract, exp, add, scale */
    return add_buf(c, 0, n * 4, x, err, errlen) && add_buf(c, 1, n * 4, NULL, err, errlen);
}

static claw_status
softmax_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 4, 8, 8};
    uint32_t block[3];
    bench_block(k[0], 256, block);
    const uint32_t grid[3] = {c->u[0], 1, 1};
    uint64_t x = addr(c, 0), y = addr(c, 1);
    return LAUNCH(s, k[0], grid, block, sz, &c->u[0], &c->u[1], &x, &y);
}

static bool
layernorm_setup(BenchCase *c, char *err, size_t errlen)
{
    uint32_t rows = c->quick ? 64 : 4096, cols = c->quick ? 300 : 1024;
    size_t n = (size_t)rows * cols;
    c->u[0] = rows;
    c->u[1] = cols;
    c->f[0] = 1e-5f;
    float *x = host_alloc(n * 4), *gamma = rand_f32(c, cols, 0.5f, 1.5f),
          *beta = rand_f32(c, cols, -0.5f, 0.5f);
    if (!x || !gamma || !beta || !want_alloc(c, 3, BENCH_F32, n, true))
        return free(x), free(gamma), free(beta), fail(err, errlen, "out of host memory");
    for (size_t r = 0; r < rows; r++) {
        float offset = bench_rng_f32(&c->rng, -5.0f, 5.0f);
        for (size_t j = 0; j < cols; j++)
            x[r * cols + j] = offset + bench_rng_f32(&c->rng, -1.0f, 1.0f);
    }
    for (size_t r = 0; r < rows; r++) {
        const float *row = &x[r * cols];
        double mean = 0.0, var = 0.0;
        for (size_t j = 0; j < cols; j++)
            mean += row[j];
        mean /= cols;
        for (size_t j = 0; j < cols; j++)
            var += (row[j] - mean) * (row[j] - mean);
        var /= cols;
        double inv = 1.0 / sqrt(var + c->f[0]);
        for (size_t j = 0; j < cols; j++) {
            double v = (row[j] - mean) * inv * gamma[j] + beta[j];
            c->want[r * cols + j] = v;
            c->tol[r * cols + j] = 1e-4 * fmax(1.0, fabs(v)); /* rsqrt, reassociated sums */
        }
    }
    snprintf(c->size, sizeof c->size, "%ux%u", rows, cols);
    c->bytes = 8.0 * (double)n + 8.0 * cols;
    c->flops = 8.0 * (double)n; /* mean 1, variance 3, normalise 4 */
    if (!add_buf(c, 0, n * 4, x, err, errlen))
        return free(gamma), free(beta), false;
    if (!add_buf(c, 1, (size_t)cols * 4, gamma, err, errlen))
        return free(beta), false;
    return add_buf(c, 2, (size_t)cols * 4, beta, err, errlen) &&
           add_buf(c, 3, n * 4, NULL, err, errlen);
}

static claw_status
layernorm_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 4, 4, 8, 8, 8, 8};
    uint32_t block[3];
    bench_block(k[0], 256, block);
    const uint32_t grid[3] = {c->u[0], 1, 1};
    uint64_t x = addr(c, 0), gamma = addr(c, 1), beta = addr(c, 2), y = addr(c, 3);
    return LAUNCH(s, k[0], grid, block, sz, &c->u[0], &c->u[1], &c->f[0], &x, &gamma, &beta, &y);
}

/* ---- stencil2d: one 5-point Jacobi step, edges clamped ------------------ */

static double
at(const float *src, long w, long h, long x, long y)
{
    x = x < 0 ? 0 : x >= w ? w - 1 : x;
    y = y < 0 ? 0 : y >= h ? h - 1 : y;
    return src[y * w + x];
}

static bool
stencil2d_setup(BenchCase *c, char *err, size_t errlen)
{
    uint32_t w = c->quick ? 200 : 4096, h = c->quick ? 150 : 4096;
    size_t n = (size_t)w * h;
    c->u[0] = w;
    c->u[1] = h;
    c->f[0] = 0.5f;   /* center: a diffusion step, the weights sum to 1 */
    c->f[1] = 0.125f; /* neighbour */
    float *src = rand_f32(c, n, 0.0f, 100.0f);
    if (!src || !want_alloc(c, 1, BENCH_F32, n, true))
        return free(src), fail(err, errlen, "out of host memory");
    for (long y = 0; y < (long)h; y++)
        for (long x = 0; x < (long)w; x++) {
            double p = at(src, w, h, x, y), l = at(src, w, h, x - 1, y),
                   r = at(src, w, h, x + 1, y), u = at(src, w, h, x, y - 1),
                   d = at(src, w, h, x, y + 1);
            c->want[y * w + x] = c->f[0] * p + c->f[1] * (l + r + u + d);
            c->tol[y * w + x] = 4 * FLT_EPSILON * (fabs(c->f[0] * p) + c->f[1] * (l + r + u + d));
        }
    snprintf(c->size, sizeof c->size, "%ux%u", w, h);
    c->bytes = 8.0 * (double)n;
    c->flops = 6.0 * (double)n;
    return add_buf(c, 0, n * 4, src, err, errlen) && add_buf(c, 1, n * 4, NULL, err, errlen);
}

static claw_status
stencil2d_enqueue(BenchCase *c, claw_kernel *const *k, claw_stream *s)
{
    static const size_t sz[] = {4, 4, 8, 8, 8};
    uint32_t block[3];
    bench_block(k[0], 256, block);
    const uint32_t grid[3] = {ceil_div(c->u[0], block[0]), ceil_div(c->u[1], block[1]), 1};
    uint64_t src = addr(c, 0), dst = addr(c, 1);
    return LAUNCH(s, k[0], grid, block, sz, &c->u[0], &c->u[1], &c->f[0], &src, &dst);
}

/* ---- the table ---------------------------------------------------------- */

const Bench bench_table[] = {
    {"saxpy",
     "saxpy",
     {"saxpy"},
     false,
     "y = a*x + y, in place",
     "per element, one f32 rounding of the exact value (a*x + y may be fused)",
     saxpy_setup,
     saxpy_enqueue},
    {"vecadd", "vecadd", {"vecadd"}, false, "c = a + b", "exact", vecadd_setup, vecadd_enqueue},
    {"reduction",
     "reduction",
     {"reduce_sum"},
     false,
     "sum of n f32 values: partial sums per block, then the partials in one block",
     "the total, within 1e-5 of the sum of |x|",
     reduction_setup,
     reduction_enqueue},
    {"histogram",
     "histogram",
     {"histogram"},
     false,
     "256-bin histogram of x % 256",
     "exact",
     histogram_setup,
     histogram_enqueue},
    {"scan",
     "scan",
     {"scan_blocks", "add_offsets"},
     false,
     "inclusive prefix sum of u32 (three launches)",
     "exact (wrapping)",
     scan_setup,
     scan_enqueue},
    {"transpose",
     "transpose",
     {"transpose"},
     true,
     "matrix transpose, 32x32 tiles per block",
     "exact",
     transpose_setup,
     transpose_enqueue},
    {"matmul",
     "matmul",
     {"matmul"},
     true,
     "SGEMM c = a*b, 64x64 tiles per block",
     "per element, k * FLT_EPSILON * sum of |a*b|",
     matmul_setup,
     matmul_enqueue},
    {"gemm_tc",
     "gemm_tc",
     {"gemm_tc"},
     true,
     "f16 GEMM c = a*b on matrix tiles (f32 accumulation), 64x128 tiles per block",
     "per element, (k + 2) * 2^-22 * sum of |a*b|",
     gemm_tc_setup,
     gemm_tc_enqueue},
    {"softmax",
     "softmax",
     {"softmax"},
     false,
     "softmax of each row, one block per row",
     "per element, 3e-5 relative",
     softmax_setup,
     softmax_enqueue},
    {"layernorm",
     "layernorm",
     {"layernorm"},
     false,
     "layer normalisation, one block per row",
     "per element, 1e-4 * max(1, |y|)",
     layernorm_setup,
     layernorm_enqueue},
    {"stencil2d",
     "stencil2d",
     {"stencil2d"},
     false,
     "one 5-point Jacobi step, edges clamped",
     "per element, 4 * FLT_EPSILON * the sum of the terms' magnitudes",
     stencil2d_setup,
     stencil2d_enqueue},
};
const size_t bench_count = sizeof bench_table / sizeof bench_table[0];

const Bench *
bench_find(const char *name)
{
    for (size_t i = 0; i < bench_count; i++)
        if (strcmp(bench_table[i].name, name) == 0)
            return &bench_table[i];
    return NULL;
}

const Bench *
bench_for_kernel(const char *kernel)
{
    for (size_t i = 0; i < bench_count; i++)
        for (int k = 0; k < BENCH_MAX_KERNELS && bench_table[i].kernels[k]; k++)
            if (strcmp(bench_table[i].kernels[k], kernel) == 0)
                return &bench_table[i];
    return NULL;
}

/* ---- reset, check, teardown (the same for every benchmark) -------------- */

claw_status
bench_reset(BenchCase *c, claw_stream *s)
{
    for (int i = 0; i < BENCH_MAX_BUFS && c->buf[i]; i++) {
        claw_status st = c->init[i] ? claw_write_on(s, c->buf[i], 0, c->init[i], c->buf_bytes[i])
                                    : claw_fill_on(s, c->buf[i], 0, c->buf_bytes[i], 0);
        if (st != CLAW_SUCCESS)
            return st;
    }
    return CLAW_SUCCESS;
}

bool
bench_check(BenchCase *c, claw_stream *s, char *why, size_t whylen, double *max_err)
{
    *max_err = 0.0;
    why[0] = '\0';
    size_t bytes = c->out_count * 4;
    void *got = host_alloc(bytes);
    if (!got) {
        snprintf(why, whylen, "out of host memory");
        return false;
    }
    claw_status st = claw_read_on(s, c->buf[c->out_buf], 0, got, bytes);
    if (st == CLAW_SUCCESS)
        st = claw_stream_synchronize(s);
    if (st != CLAW_SUCCESS) {
        snprintf(why, whylen, "reading the result: %s: %s", claw_status_string(st),
                 claw_last_error());
        free(got);
        return false;
    }
    size_t bad = 0, at = 0;
    for (size_t i = 0; i < c->out_count; i++) {
        double g = c->out_elem == BENCH_F32 ? (double)((const float *)got)[i]
                                            : (double)((const uint32_t *)got)[i];
        double err = fabs(g - c->want[i]);
        double bound = c->tol ? c->tol[i] : 0.0;
        double rel = err == 0.0 ? 0.0 : bound > 0.0 ? err / bound : INFINITY;
        if (isnan(g) || isnan(rel))
            rel = INFINITY;
        if (rel > *max_err)
            *max_err = rel;
        if (err <= bound && !isnan(g))
            continue;
        if (bad < 3 && at < whylen) {
            int w = snprintf(why + at, whylen - at, "%selement %zu: got %.9g, expected %.9g",
                             bad ? "; " : "", i, g, c->want[i]);
            if (c->tol && w > 0 && (size_t)w < whylen - at)
                w += snprintf(why + at + w, whylen - at - w, " (allowed error %.3g)", bound);
            at += w > 0 ? (size_t)w : 0;
        }
        bad++;
    }
    if (bad && at < whylen)
        snprintf(why + at, whylen - at, "%s%zu of %zu elements wrong", "; ", bad, c->out_count);
    free(got);
    return bad == 0;
}

void
bench_teardown(BenchCase *c)
{
    for (int i = 0; i < BENCH_MAX_BUFS; i++) {
        if (c->buf[i])
            claw_free(c->buf[i]);
        free(c->init[i]);
        c->buf[i] = NULL;
        c->init[i] = NULL;
    }
    free(c->want);
    free(c->tol);
    c->want = c->tol = NULL;
}
