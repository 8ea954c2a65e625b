/* attention host program: a FlashAttention-style forward pass,
 * O = softmax(Q K^T / sqrt(64)) V per head, with f16 Q, K, V and f32 O
 * (samples/attention/attention.claw, docs/samples.md "attention"), checked
 * against a C reference on fresh random inputs, with and without the
 * causal mask.
 *
 * Blocks are four subgroups (4 * subgroup_size threads), 64 queries each:
 * grid ceil(seq / 64) x heads. seq = 200 is not a multiple of the 64
 * queries or the 32 keys of a block, so the edge guards run too.
 *
 * Reference: the exact softmax in double, of the exact scores (the f16
 * products are exact, as on the device). The device differs by
 *   - P rounded to f16 before P V (relative 2^-11 per weight), with the
 *     row sum taken of the rounded weights;
 *   - exp2 within the Vulkan bound, and the f32 sums of Q K^T and P V in an
 *     unspecified order (docs/language.md §14), each well under 2^-16 here.
 * So |o - ref| <= 2 * 2^-11 * sum_j p_j |v_j| / sum_j p_j plus the small
 * terms; we allow 2^-9 * (sum_j p_j |v_j|) / (sum_j p_j) + 2^-20, twice the
 * main term. A dropped or repeated key block, a wrong rescale or a
 * transposed tile moves outputs by a sizeable fraction of |v| (up to 1).
 *
 *   sample_attention [SEED]    (or CLAW_SEED=SEED; CLAW_DEVICE=vulkan:0 picks a device) */
#include "attention.claw.h"

#include "../common/half.h"
#include "../common/sample.h"

#include <string.h>

enum { D = 64, BQ = 64, SUBGROUPS = 4 };

/* k / 1024 for k in [-1024, 1024]: exact in f16. */
static uint16_t
rnd_half(SampleRng *rng)
{
    return sample_f16_bits(((double)(sample_rng_u32(rng) % 2049) - 1024.0) / 1024.0);
}

static size_t
run_case(claw_device *dev, claw_kernel *kernel, const claw_device_props *props, SampleRng *rng,
         uint32_t heads, uint32_t seq, int causal, size_t *checked)
{
    const size_t n = (size_t)heads * seq * D;
    uint16_t *q = sample_alloc(n * sizeof *q), *k = sample_alloc(n * sizeof *k);
    uint16_t *v = sample_alloc(n * sizeof *v);
    float *o = sample_alloc(n * sizeof *o);
    for (size_t i = 0; i < n; i++) {
        q[i] = rnd_half(rng);
        k[i] = rnd_half(rng);
        v[i] = rnd_half(rng);
    }
    claw_buffer *dq, *dk, *dv, *dout;
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof *q, &dq));
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof *k, &dk));
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof *v, &dv));
    SAMPLE_CHECK(claw_alloc(dev, n * sizeof *o, &dout));
    SAMPLE_CHECK(claw_write(dq, 0, q, n * sizeof *q));
    SAMPLE_CHECK(claw_write(dk, 0, k, n * sizeof *k));
    SAMPLE_CHECK(claw_write(dv, 0, v, n * sizeof *v));

    const float scale = 1.0f / sqrtf((float)D);
    const uint32_t block[3] = {SUBGROUPS * props->subgroup_size, 1, 1};
    const uint32_t grid[3] = {(seq + BQ - 1) / BQ, heads, 1};
    char what[96];
    snprintf(what, sizeof what, "attention heads %u seq %u d %d%s", heads, seq, D,
             causal ? " causal" : "");
    SampleTimer timer = sample_timer_start(dev);
    SAMPLE_CHECK(attention_launch(kernel, grid, block, seq, heads, scale, causal ? 1u : 0u, dq, dk,
                                  dv, dout));
    sample_timer_stop(&timer, what);
    SAMPLE_CHECK(claw_synchronize(dev));
    SAMPLE_CHECK(claw_read(dout, 0, o, n * sizeof *o));

    double *want = sample_alloc(n * sizeof *want), *tol = sample_alloc(n * sizeof *tol);
    double *p = sample_alloc((size_t)seq * sizeof *p);
    for (size_t h = 0; h < heads; h++) {
        const size_t hb = h * seq * D;
        for (size_t i = 0; i < seq; i++) {
            size_t keys = causal ? i + 1 : seq;
            double mx = -INFINITY;
            for (size_t j = 0; j < keys; j++) {
                double s = 0.0;
                for (size_t d = 0; d < D; d++)
                    s += sample_f16_value(q[hb + i * D + d]) * sample_f16_value(k[hb + j * D + d]);
                p[j] = s * scale;
                mx = fmax(mx, p[j]);
            }
            double l = 0.0;
            for (size_t j = 0; j < keys; j++) {
                p[j] = exp(p[j] - mx);
                l += p[j];
            }
            for (size_t d = 0; d < D; d++) {
                double sum = 0.0, mag = 0.0;
                for (size_t j = 0; j < keys; j++) {
                    double x = sample_f16_value(v[hb + j * D + d]);
                    sum += p[j] * x;
                    mag += p[j] * fabs(x);
                }
                want[hb + i * D + d] = sum / l;
                tol[hb + i * D + d] = ldexp(mag / l, -9) + ldexp(1.0, -20);
            }
        }
    }
    size_t bad = sample_compare_f32(what, o, want, tol, n);
    *checked += n;
    claw_free(dq);
    claw_free(dk);
    claw_free(dv);
    claw_free(dout);
    free(q);
    free(k);
    free(v);
    free(o);
    free(want);
    free(tol);
    free(p);
    return bad;
}

int
main(int argc, char **argv)
{
    SampleRng rng = {sample_seed(argc, argv)};
    claw_device *dev;
    claw_device_props props;
    int rc = sample_open_device("attention", &dev, &props);
    if (rc != 0)
        return rc;
    printf("matrix units: %s\n", props.matrix_units ? "yes" : "no (the portable fallback)");

    claw_module *mod;
    claw_kernel *kernel;
    SAMPLE_CHECK(attention_module_load(dev, &mod));
    SAMPLE_CHECK(attention_get(mod, &kernel));
    size_t checked = 0;
    size_t bad = run_case(dev, kernel, &props, &rng, 2, 200, 0, &checked);
    bad += run_case(dev, kernel, &props, &rng, 2, 200, 1, &checked);
    rc = sample_finish("attention", bad, checked, &props);
    claw_module_unload(mod);
    return rc;
}
