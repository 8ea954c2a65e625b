/* throughput_matrix.c: gemm_tc and attention in claw_throughput.
 *
 * The two samples on matrix tiles (samples/gemm_tc, its f16 and bf16
 * kernels, and samples/attention; docs/samples.md), each launched once and
 * checked against a C reference on sampled entries (gemm_tc) or rows
 * (attention), with the tolerances of the
 * samples' own host programs, then WARMUP untimed and ITERS timed launches
 * between two events (device time). Rates: 2 m n k flops for the GEMM, and
 * 4 seq^2 d flops per head for attention (the two products; half of that
 * when causal, which is how FlashAttention counts it).
 *
 * Sizes: GPU, 4096^3 GEMMs (f16, bf16) and 16 heads of 4096 x 64 (plain and causal);
 * --small (lavapipe), 256^3 and 2 heads of 256. */
#include "throughput_matrix.h"

#include "../../samples/common/half.h"

#include "attention.claw.h"
#include "gemm_tc.claw.h"
#include "gemm_tc_bf16.claw.h"

#include <string.h>

enum { MAT_CHECK_ENTRIES = 256, MAT_CHECK_ROWS = 16, ATT_D = 64 };

/* n halves k / 1024, k in [-1024, 1024] (exact in f16, products exact in f32). */
static uint16_t *
mat_random_f16(SampleRng *rng, size_t n)
{
    uint16_t *p = sample_alloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = sample_f16_bits(((double)(sample_rng_u32(rng) % 2049) - 1024.0) / 1024.0);
    return p;
}

/* n bf16 values k / 128, k in [-128, 128] (exact in bf16): the high halves
 * of their f32 bits. */
static uint16_t *
mat_random_bf16(SampleRng *rng, size_t n)
{
    uint16_t *p = sample_alloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = sample_bf16_bits(((double)(sample_rng_u32(rng) % 257) - 128.0) / 128.0);
    return p;
}

static claw_buffer *
mat_upload(claw_device *dev, const void *host, size_t bytes)
{
    claw_buffer *b;
    SAMPLE_CHECK(claw_alloc(dev, bytes, &b));
    if (host)
        SAMPLE_CHECK(claw_write(b, 0, host, bytes));
    return b;
}

static void
mat_mismatch(const char *kernel, size_t *bad, size_t at, double got, double want)
{
    if (*bad < 5)
        fprintf(stderr, "%s: element %zu: got %.9g, want %.9g\n", kernel, at, got, want);
    (*bad)++;
}

static void
mat_row(const char *kernel, const char *size, double seconds, double flops,
        const claw_device_props *props)
{
    printf("| %-9s | %-18s | %12.1f | %10.1f %-7s | %s (%s) |\n", kernel, size, seconds * 1e6,
           flops / seconds * 1e-9, "GFLOP/s", props->name, sample_backend_name(props->backend));
    fflush(stdout);
}

/* The launch being timed, with its arguments. */
typedef struct mat_launch {
    claw_kernel *kernel;
    uint32_t grid[3], block[3];
    bool attention;
    bool bf16;             /* gemm_tc_bf16 */
    uint32_t m, n, k;      /* gemm_tc sizes; attention: seq, heads, causal */
    float alpha, beta;     /* gemm_tc; attention: alpha is the scale */
    claw_buffer *buf[4];
} mat_launch;

static claw_status
mat_launch_once(const mat_launch *l)
{
    if (l->attention)
        return attention_launch(l->kernel, l->grid, l->block, l->m, l->n, l->alpha, l->k,
                                l->buf[0], l->buf[1], l->buf[2], l->buf[3]);
    if (l->bf16)
        return gemm_tc_bf16_launch(l->kernel, l->grid, l->block, l->m, l->n, l->k, l->alpha,
                                   l->beta, l->buf[0], l->buf[1], l->buf[2]);
    return gemm_tc_launch(l->kernel, l->grid, l->block, l->m, l->n, l->k, l->alpha, l->beta,
                          l->buf[0], l->buf[1], l->buf[2]);
}

/* Seconds per launch, device time, as bench_time in throughput.c. */
static double
mat_time(claw_device *dev, const mat_launch *l, int warmup, int iters)
{
    claw_event *e0, *e1;
    SAMPLE_CHECK(claw_event_create(dev, &e0));
    SAMPLE_CHECK(claw_event_create(dev, &e1));
    for (int i = 0; i < warmup; i++)
        SAMPLE_CHECK(mat_launch_once(l));
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_event_record(e0, NULL));
    for (int i = 0; i < iters; i++)
        SAMPLE_CHECK(mat_launch_once(l));
    SAMPLE_CHECK(claw_event_record(e1, NULL));
    double ms = 0.0;
    SAMPLE_CHECK(claw_event_elapsed(e0, e1, &ms));
    SAMPLE_CHECK(claw_synchronize(dev));
    claw_event_destroy(e0);
    claw_event_destroy(e1);
    return ms * 1e-3 / iters;
}

/* gemm_tc (or gemm_tc_bf16), square d^3, c = a b (alpha 1, beta 0). */
static size_t
bench_gemm_tc(claw_device *dev, const claw_device_props *props, SampleRng *rng, uint32_t d,
              bool bf16, int warmup, int iters)
{
    const size_t n = (size_t)d * d;
    size_t bad = 0;
    uint16_t *a = bf16 ? mat_random_bf16(rng, n) : mat_random_f16(rng, n);
    uint16_t *b = bf16 ? mat_random_bf16(rng, n) : mat_random_f16(rng, n);
    double (*value)(uint16_t) = bf16 ? sample_bf16_value : sample_f16_value;
    const char *name = bf16 ? "gemm_tc_bf16" : "gemm_tc";
    float *got = sample_alloc(n * sizeof *got);
    mat_launch l = {.grid = {(d + 127) / 128, (d + 63) / 64, 1},
                    .block = {4 * props->subgroup_size, 1, 1},
                    .bf16 = bf16, .m = d, .n = d, .k = d, .alpha = 1.0f, .beta = 0.0f};
    l.buf[0] = mat_upload(dev, a, n * sizeof *a);
    l.buf[1] = mat_upload(dev, b, n * sizeof *b);
    l.buf[2] = mat_upload(dev, NULL, n * sizeof *got);
    claw_module *mod;
    if (bf16) {
        SAMPLE_CHECK(gemm_tc_bf16_module_load(dev, &mod));
        SAMPLE_CHECK(gemm_tc_bf16_get(mod, &l.kernel));
    } else {
        SAMPLE_CHECK(gemm_tc_module_load(dev, &mod));
        SAMPLE_CHECK(gemm_tc_get(mod, &l.kernel));
    }
    SAMPLE_CHECK(mat_launch_once(&l));
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_read(l.buf[2], 0, got, n * sizeof *got));
    /* Exact products, f32 sums in any order: (k + 2) 2^-22 sum |a b|, as
     * samples/gemm_tc/host.c. */
    for (int e = 0; e < MAT_CHECK_ENTRIES; e++) {
        size_t r = sample_rng_u32(rng) % d, c = sample_rng_u32(rng) % d;
        double want = 0.0, mag = 0.0;
        for (size_t t = 0; t < d; t++) {
            double p = value(a[r * d + t]) * value(b[t * d + c]);
            want += p;
            mag += fabs(p);
        }
        if (fabs(got[r * d + c] - want) > (d + 2.0) * ldexp(1.0, -22) * mag)
            mat_mismatch(name, &bad, r * d + c, got[r * d + c], want);
    }
    double t = mat_time(dev, &l, warmup, iters);
    char size[32];
    snprintf(size, sizeof size, "%" PRIu32 "^3 %s", d, bf16 ? "bf16" : "f16");
    mat_row("gemm_tc", size, t, 2.0 * (double)d * d * d, props);
    claw_module_unload(mod);
    for (int i = 0; i < 3; i++)
        claw_free(l.buf[i]);
    free(a);
    free(b);
    free(got);
    return bad;
}

/* attention, heads x seq x 64, plain or causal. */
static size_t
bench_attention(claw_device *dev, const claw_device_props *props, SampleRng *rng, uint32_t heads,
                uint32_t seq, bool causal, int warmup, int iters)
{
    const size_t n = (size_t)heads * seq * ATT_D;
    size_t bad = 0;
    uint16_t *q = mat_random_f16(rng, n), *k = mat_random_f16(rng, n);
    uint16_t *v = mat_random_f16(rng, n);
    float *got = sample_alloc(n * sizeof *got);
    double *p = sample_alloc((size_t)seq * sizeof *p);
    mat_launch l = {.attention = true,
                    .grid = {(seq + 63) / 64, heads, 1},
                    .block = {4 * props->subgroup_size, 1, 1},
                    .m = seq, .n = heads, .k = causal ? 1u : 0u,
                    .alpha = 1.0f / sqrtf((float)ATT_D)};
    l.buf[0] = mat_upload(dev, q, n * sizeof *q);
    l.buf[1] = mat_upload(dev, k, n * sizeof *k);
    l.buf[2] = mat_upload(dev, v, n * sizeof *v);
    l.buf[3] = mat_upload(dev, NULL, n * sizeof *got);
    claw_module *mod;
    SAMPLE_CHECK(attention_module_load(dev, &mod));
    SAMPLE_CHECK(attention_get(mod, &l.kernel));
    SAMPLE_CHECK(mat_launch_once(&l));
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_read(l.buf[3], 0, got, n * sizeof *got));
    /* Random rows against the double softmax, within samples/attention/host.c's
     * bound: 2^-9 sum p |v| / sum p + 2^-20. */
    for (int c = 0; c < MAT_CHECK_ROWS; c++) {
        size_t h = sample_rng_u32(rng) % heads, i = sample_rng_u32(rng) % seq;
        size_t hb = h * seq * ATT_D, keys = causal ? i + 1 : seq;
        double mx = -INFINITY, l_sum = 0.0;
        for (size_t j = 0; j < keys; j++) {
            double s = 0.0;
            for (size_t d = 0; d < ATT_D; d++)
                s += sample_f16_value(q[hb + i * ATT_D + d]) * sample_f16_value(k[hb + j * ATT_D + d]);
            p[j] = s * l.alpha;
            mx = fmax(mx, p[j]);
        }
        for (size_t j = 0; j < keys; j++) {
            p[j] = exp(p[j] - mx);
            l_sum += p[j];
        }
        for (size_t d = 0; d < ATT_D; d++) {
            double sum = 0.0, mag = 0.0;
            for (size_t j = 0; j < keys; j++) {
                double x = sample_f16_value(v[hb + j * ATT_D + d]);
                sum += p[j] * x;
                mag += p[j] * fabs(x);
            }
            size_t at = hb + i * ATT_D + d;
            if (fabs(got[at] - sum / l_sum) > ldexp(mag / l_sum, -9) + ldexp(1.0, -20))
                mat_mismatch("attention", &bad, at, got[at], sum / l_sum);
        }
    }
    double t = mat_time(dev, &l, warmup, iters);
    char size[32];
    snprintf(size, sizeof size, "%" PRIu32 "x%" PRIu32 "x64%s", heads, seq, causal ? " causal" : "");
    double flops = 4.0 * (double)seq * seq * ATT_D * heads * (causal ? 0.5 : 1.0);
    mat_row("attention", size, t, flops, props);
    claw_module_unload(mod);
    for (int i = 0; i < 4; i++)
        claw_free(l.buf[i]);
    free(q);
    free(k);
    free(v);
    free(got);
    free(p);
    return bad;
}

size_t
bench_matrix_samples(claw_device *dev, const claw_device_props *props, SampleRng *rng,
                     bool small, int warmup, int iters)
{
    const uint32_t gemm_dim = small ? 256 : 4096;
    const uint32_t heads = small ? 2 : 16, seq = small ? 256 : 4096;
    size_t bad = bench_gemm_tc(dev, props, rng, gemm_dim, false, warmup, iters);
    bad += bench_gemm_tc(dev, props, rng, gemm_dim, true, warmup, iters);
    bad += bench_attention(dev, props, rng, heads, seq, false, warmup, iters);
    bad += bench_attention(dev, props, rng, heads, seq, true, warmup, iters);
    return bad;
}
