/* bf16.c: bf16 on a device (tests/e2e/bf16.claw) against a C reference, bit
 * for bit (docs/language.md §12).
 *
 *   bf16 <fatbin>
 *
 * Every operation runs on 2^16 fresh random inputs (seed printed; CLAW_SEED
 * replays): any bit pattern (NaN, inf, zeros and subnormals included), values
 * near 1, subnormals, pairs with close exponents (cancellation, ties and
 * sticky bits of + and -), quotients next to a rounding midpoint, products
 * past the overflow threshold, and the special values. The reference
 * computes in double, where + - * / sqrt of bf16 values round harmlessly
 * (53 >= 2*8 + 2), fma is rounded to odd in double, integers round by
 * integer arithmetic, and bf16_round rounds once to 8 bits. A result must
 * equal the reference's bits; a NaN only needs to be a NaN (its payload is
 * the device's). No Vulkan device: SKIP, exit 77. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/claw.h"
#include "e2e_util.h"

#include "../common/half_ref.h"

enum { N = 1 << 16 };

static claw_device *dev;
static claw_module *mod;
static uint64_t rng;

static uint64_t
next64(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- the reference ----------------------------------------------------------- */

/* x rounded once to binary16 (11 bits, spacing 2^-24 below 2^-14) */
static double
f16_round(double x)
{
    if (!isfinite(x) || x == 0)
        return x;
    if (fabs(x) >= 65520.0)
        return copysign(INFINITY, x);
    int e;
    frexp(fabs(x), &e);
    int q = e - 11 < -24 ? -24 : e - 11;
    return ldexp(nearbyint(ldexp(x, -q)), q);
}

/* fma of bf16 values: a*b is exact in double; the sum rounded to odd there
 * by TwoSum, then once to bf16 */
static uint16_t
fma_ref(double a, double b, double c)
{
    double p = a * b, s = p + c;
    if (!isfinite(s))
        return bf16_round(s);
    double bb = s - p, e = (p - (s - bb)) + (c - bb);
    uint64_t sb;
    memcpy(&sb, &s, 8);
    if (e != 0 && !(sb & 1))
        sb += ((e > 0) == (s > 0)) ? 1 : (uint64_t)-1;
    memcpy(&s, &sb, 8);
    return bf16_round(s);
}

static bool
is_nan_bits(uint16_t h)
{
    return (h & 0x7fff) > 0x7f80;
}

static bool
same(uint16_t got, uint16_t want)
{
    return is_nan_bits(want) ? is_nan_bits(got) : got == want;
}

/* ---- inputs ------------------------------------------------------------------------ */

static const uint16_t specials[] = {0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x7f81, 0x0001,
                                    0x8001, 0x007f, 0x0080, 0x7f7f, 0xff7f, 0x3f80, 0xbf80};
enum { NSPECIAL = sizeof specials / sizeof specials[0] };

static uint16_t
rand_bf16(void)
{
    uint64_t r = next64();
    switch (r % 5) {
    case 0: return (uint16_t)(r >> 16);                                          /* any bits */
    case 1: return (uint16_t)(((r >> 16) & 0x807f) | ((120 + (r >> 32) % 16) << 7)); /* near 1 */
    case 2: return (uint16_t)((r >> 16) & 0x807f);                                /* subnormal */
    case 3: return specials[(r >> 16) % NSPECIAL];
    default: return (uint16_t)(((r >> 16) & 0x80ff) | (((r >> 40) % 255) << 7));  /* finite */
    }
}

/* b for a: close exponent (cancellation and ties of a+b), a half ulp of a,
 * a quotient near a midpoint, a product near the overflow threshold */
static uint16_t
partner(uint16_t a)
{
    uint64_t r = next64();
    int ea = (a >> 7) & 0xff;
    switch (r % 4) {
    case 0: {
        int e = ea + (int)(r >> 8) % 11 - 5;
        e = e < 0 ? 0 : e > 254 ? 254 : e;
        return (uint16_t)(((r >> 20) & 0x807f) | (uint16_t)(e << 7));
    }
    case 1: {
        int e = ea - 8 - (int)((r >> 8) & 1);
        e = e < 0 ? 0 : e;
        return (uint16_t)(((r >> 20) & 0x807f) | (uint16_t)(e << 7));
    }
    case 2: {
        /* b such that a/b is within an f32 ulp or so of m, a 9-bit midpoint */
        double m = ldexp(257 + 2 * (double)((r >> 8) % 127), -8 + (int)((r >> 16) % 9) - 4);
        return bf16_round(bf16_value(a) / m);
    }
    default: return (uint16_t)((r >> 20) & 0x8000) | (uint16_t)((190 + (r >> 24) % 20) << 7) |
                    (uint16_t)((r >> 32) & 0x7f);
    }
}

/* ---- runs ----------------------------------------------------------------------- */

static claw_buffer *
up(const void *p, size_t bytes)
{
    return e2e_upload(dev, p, bytes);
}

static void
launch(const char *name, const void *const *args, int nargs, uint32_t block)
{
    claw_kernel *k;
    E2E_CHECK(claw_kernel_get(mod, name, &k));
    uint32_t grid[3] = {block == 64 ? N / 64 : 128, 1, 1}, blk[3] = {block, 1, 1};
    E2E_CHECK(claw_launch(k, grid, blk, (const void **)args, nargs));
    E2E_CHECK(claw_synchronize(dev));
}

static const char *const op_names[] = {"add", "sub", "mul", "div", "fma",
                                       "sqrt", "floor", "neg", "min", "max"};

static uint16_t
op_ref(uint32_t which, uint16_t ha, uint16_t hb, uint16_t hc)
{
    double a = bf16_value(ha), b = bf16_value(hb), c = bf16_value(hc);
    switch (which) {
    case 0: return bf16_round(a + b);
    case 1: return bf16_round(a - b);
    case 2: return bf16_round(a * b);
    case 3: return bf16_round(a / b);
    case 4: return fma_ref(a, b, c);
    case 5: return bf16_round(sqrt(a));
    case 6: return bf16_round(floor(a));
    case 7: return ha ^ 0x8000;
    case 8: return isnan(a) ? hb : isnan(b) ? ha : bf16_round(fmin(a, b));
    default: return isnan(a) ? hb : isnan(b) ? ha : bf16_round(fmax(a, b));
    }
}

static int
check_ops(void)
{
    uint16_t *a = malloc(N * 2), *b = malloc(N * 2), *c = malloc(N * 2), *r = malloc(N * 2);
    int bad_total = 0;
    for (uint32_t which = 0; which < 10; which++) {
        for (int i = 0; i < N; i++) {
            a[i] = i < NSPECIAL * NSPECIAL ? specials[i % NSPECIAL] : rand_bf16();
            b[i] = i < NSPECIAL * NSPECIAL ? specials[i / NSPECIAL] : i % 2 ? partner(a[i]) : rand_bf16();
            c[i] = i % 3 ? rand_bf16() : bf16_round(-bf16_value(a[i]) * bf16_value(b[i]));
        }
        claw_buffer *ba = up(a, N * 2), *bb = up(b, N * 2), *bc = up(c, N * 2), *br = up(NULL, N * 2);
        uint64_t pa = claw_buffer_address(ba), pb = claw_buffer_address(bb),
                 pc = claw_buffer_address(bc), pr = claw_buffer_address(br);
        uint32_t n = N;
        launch("bf16_op", (const void *[]){&n, &which, &pa, &pb, &pc, &pr}, 6, 128);
        E2E_CHECK(claw_read(br, 0, r, N * 2));
        int bad = 0;
        for (int i = 0; i < N; i++) {
            uint16_t want = op_ref(which, a[i], b[i], c[i]);
            bool zeros = which >= 8 && !((a[i] | b[i]) & 0x7fff); /* min(-0, +0): either */
            if (!same(r[i], want) && !(zeros && !(r[i] & 0x7fff)) && bad++ < 5)
                fprintf(stderr, "%s(0x%04x, 0x%04x, 0x%04x) = 0x%04x, want 0x%04x\n",
                        op_names[which], a[i], b[i], c[i], r[i], want);
        }
        printf("%-5s %-5s %d of %d differ\n", bad ? "FAIL" : "ok", op_names[which], bad, N);
        bad_total += bad;
        claw_free(ba);
        claw_free(bb);
        claw_free(bc);
        claw_free(br);
    }
    free(a);
    free(b);
    free(c);
    free(r);
    return bad_total;
}

static int
check_cmp(void)
{
    uint16_t *a = malloc(N * 2), *b = malloc(N * 2);
    uint32_t *r = malloc(N * 4);
    for (int i = 0; i < N; i++) {
        a[i] = rand_bf16();
        b[i] = i % 3 == 0 ? a[i] : i % 3 == 1 ? (uint16_t)(a[i] ^ 0x8000) : rand_bf16();
    }
    claw_buffer *ba = up(a, N * 2), *bb = up(b, N * 2), *br = up(NULL, N * 4);
    uint64_t pa = claw_buffer_address(ba), pb = claw_buffer_address(bb), pr = claw_buffer_address(br);
    uint32_t n = N;
    launch("bf16_cmp", (const void *[]){&n, &pa, &pb, &pr}, 4, 128);
    E2E_CHECK(claw_read(br, 0, r, N * 4));
    int bad = 0;
    for (int i = 0; i < N; i++) {
        double x = bf16_value(a[i]), y = bf16_value(b[i]);
        uint32_t want = (uint32_t)(x < y) | (uint32_t)(x <= y) << 1 | (uint32_t)(x == y) << 2 |
                        (uint32_t)(x != y) << 3 | (uint32_t)(x > y) << 4 | (uint32_t)(x >= y) << 5;
        if (r[i] != want && bad++ < 5)
            fprintf(stderr, "cmp(0x%04x, 0x%04x) = 0x%x, want 0x%x\n", a[i], b[i], r[i], want);
    }
    printf("%-5s compare %d of %d differ\n", bad ? "FAIL" : "ok", bad, N);
    claw_free(ba);
    claw_free(bb);
    claw_free(br);
    free(a);
    free(b);
    free(r);
    return bad;
}

static int
check_from(void)
{
    float *f = malloc(N * 4);
    double *d = malloc(N * 8);
    int32_t *iv = malloc(N * 4);
    int64_t *l = malloc(N * 8);
    uint64_t *u = malloc(N * 8);
    uint16_t *h = malloc(N * 2), *r = malloc(N * 12);
    for (int i = 0; i < N; i++) {
        uint64_t x = next64(), y = next64();
        uint32_t fb = (uint32_t)x;
        if (i % 4 == 1) /* ties and their neighbours */
            fb = (fb & 0xffff0000u) | (0x7fffu + (uint32_t)(y % 3));
        memcpy(&f[i], &fb, 4);
        if (i % 2) {
            /* just off a bf16 midpoint, where rounding through f32 would tie */
            double mid = ldexp(257 + 2 * (double)(y % 127), (int)((y >> 8) % 240) - 120);
            d[i] = mid + ldexp(mid, -40) * ((y >> 20) & 1 ? 1 : -1) * (i % 4 == 1 ? 1 : 0);
        } else {
            memcpy(&d[i], &x, 8);
        }
        int sh = (int)(y >> 58);
        iv[i] = (int32_t)(uint32_t)(x >> (32 + (sh & 31)));
        l[i] = (int64_t)(y >> sh) * (x & 1 ? -1 : 1);
        u[i] = x >> (sh / 2);
        h[i] = (uint16_t)(y >> 40);
    }
    l[0] = INT64_MIN;
    l[1] = INT64_MAX;
    l[2] = (INT64_C(1) << 62) + (INT64_C(1) << 54) + 1; /* above a tie by less than f64's ulp */
    u[0] = UINT64_MAX;
    iv[0] = INT32_MIN;
    claw_buffer *bf = up(f, N * 4), *bd = up(d, N * 8), *bi = up(iv, N * 4), *bl = up(l, N * 8),
                *bu = up(u, N * 8), *bh = up(h, N * 2), *br = up(NULL, N * 12);
    uint64_t pf = claw_buffer_address(bf), pd = claw_buffer_address(bd), pi = claw_buffer_address(bi),
             pl = claw_buffer_address(bl), pu = claw_buffer_address(bu), ph = claw_buffer_address(bh),
             pr = claw_buffer_address(br);
    uint32_t n = N;
    launch("bf16_from", (const void *[]){&n, &pf, &pd, &pi, &pl, &pu, &ph, &pr}, 8, 128);
    E2E_CHECK(claw_read(br, 0, r, N * 12));
    static const char *const names[6] = {"f32", "f64", "i32", "i64", "u64", "f16"};
    int bad = 0;
    for (int i = 0; i < N; i++) {
        uint64_t lm = l[i] < 0 ? (uint64_t)0 - (uint64_t)l[i] : (uint64_t)l[i];
        uint64_t im = iv[i] < 0 ? (uint64_t)0 - (uint64_t)(int64_t)iv[i] : (uint64_t)iv[i];
        uint16_t want[6] = {bf16_round(f[i]), bf16_round(d[i]), bf16_from_u64(im, iv[i] < 0),
                            bf16_from_u64(lm, l[i] < 0), bf16_from_u64(u[i], false),
                            bf16_round(f16_value(h[i]))};
        for (int k = 0; k < 6; k++)
            if (!same(r[6 * i + k], want[k]) && bad++ < 8)
                fprintf(stderr, "%s -> bf16 (element %d) = 0x%04x, want 0x%04x\n", names[k], i,
                        r[6 * i + k], want[k]);
    }
    printf("%-5s conversions to bf16: %d of %d differ\n", bad ? "FAIL" : "ok", bad, 6 * N);
    claw_free(bf);
    claw_free(bd);
    claw_free(bi);
    claw_free(bl);
    claw_free(bu);
    claw_free(bh);
    claw_free(br);
    free(f);
    free(d);
    free(iv);
    free(l);
    free(u);
    free(h);
    free(r);
    return bad;
}

static int
check_to(void)
{
    uint16_t *a = malloc(N * 2), *h = malloc(N * 2);
    float *f = malloc(N * 4);
    double *d = malloc(N * 8);
    int32_t *iv = malloc(N * 4);
    for (int i = 0; i < N; i++)
        a[i] = (uint16_t)i; /* every bf16 */
    claw_buffer *ba = up(a, N * 2), *bf = up(NULL, N * 4), *bd = up(NULL, N * 8),
                *bi = up(NULL, N * 4), *bh = up(NULL, N * 2);
    uint64_t pa = claw_buffer_address(ba), pf = claw_buffer_address(bf), pd = claw_buffer_address(bd),
             pi = claw_buffer_address(bi), ph = claw_buffer_address(bh);
    uint32_t n = N;
    launch("bf16_to", (const void *[]){&n, &pa, &pf, &pd, &pi, &ph}, 6, 128);
    E2E_CHECK(claw_read(bf, 0, f, N * 4));
    E2E_CHECK(claw_read(bd, 0, d, N * 8));
    E2E_CHECK(claw_read(bi, 0, iv, N * 4));
    E2E_CHECK(claw_read(bh, 0, h, N * 2));
    int bad = 0;
    for (int i = 0; i < N; i++) {
        double v = bf16_value(a[i]);
        bool nan = isnan(v);
        bool fok = nan ? isnan(f[i]) : (f[i] == v && !signbit(f[i]) == !signbit(v));
        bool dok = nan ? isnan(d[i]) : (d[i] == v && !signbit(d[i]) == !signbit(v));
        int32_t wi = nan ? 0 : v >= 0x1p31 ? INT32_MAX : v <= -0x1p31 ? INT32_MIN : (int32_t)v;
        double hv = f16_value(h[i]), wh = f16_round(v);
        bool hok = nan ? isnan(hv) : (hv == wh && !signbit(hv) == !signbit(wh));
        if (!(fok && dok && iv[i] == wi && hok) && bad++ < 5)
            fprintf(stderr, "0x%04x as f32 %a, f64 %a, i32 %d, f16 %a (want i32 %d, f16 %a)\n", a[i],
                    f[i], d[i], iv[i], hv, wi, wh);
    }
    printf("%-5s conversions from bf16: %d of %d differ\n", bad ? "FAIL" : "ok", bad, N);
    claw_free(ba);
    claw_free(bf);
    claw_free(bd);
    claw_free(bi);
    claw_free(bh);
    free(a);
    free(h);
    free(f);
    free(d);
    free(iv);
    return bad;
}

/* struct Scale { tag: u8, w: bf16, taps: [bf16; 3] } in C layout */
typedef struct Scale {
    uint8_t tag;
    uint16_t w;
    uint16_t taps[3];
} Scale;
_Static_assert(sizeof(Scale) == 10, "Scale has the kernel's layout");

static int
check_storage(void)
{
    uint16_t *a = malloc(N * 2), *r = malloc(N * 2);
    for (int i = 0; i < N; i++)
        a[i] = rand_bf16();
    Scale s = {7, rand_bf16(), {rand_bf16(), rand_bf16(), rand_bf16()}};
    claw_buffer *ba = up(a, N * 2), *br = up(NULL, N * 2);
    uint64_t pa = claw_buffer_address(ba), pr = claw_buffer_address(br);
    launch("bf16_storage", (const void *[]){&s, &pa, &pr}, 3, 64);
    E2E_CHECK(claw_read(br, 0, r, N * 2));
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int mirror = (i & ~63) + 63 - (i & 63);
        uint16_t p = bf16_round(bf16_value(a[mirror]) * bf16_value(s.w));
        uint16_t want = bf16_round(bf16_value(p) + bf16_value(s.taps[i % 3]));
        if (!same(r[i], want) && bad++ < 5)
            fprintf(stderr, "storage[%d] = 0x%04x, want 0x%04x\n", i, r[i], want);
    }
    printf("%-5s storage (shared, struct, local array): %d of %d differ\n", bad ? "FAIL" : "ok",
           bad, N);
    claw_free(ba);
    claw_free(br);
    free(a);
    free(r);
    return bad;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bf16 <fatbin>\n");
        return 2;
    }
    rng = e2e_seed_env();
    printf("seed %llu (CLAW_SEED)\n", (unsigned long long)rng);
    dev = e2e_open_device();
    if (!dev)
        return E2E_SKIP;
    claw_status s = claw_module_load_file(dev, argv[1], &mod);
    if (s != CLAW_SUCCESS) {
        /* f64 sources need shaderFloat64, f16 shaderFloat16 */
        printf("SKIP: cannot load the module: %s\n", claw_last_error());
        claw_shutdown();
        return E2E_SKIP;
    }
    int bad = check_ops() + check_cmp() + check_from() + check_to() + check_storage();
    claw_module_unload(mod);
    claw_shutdown();
    return bad ? 1 : 0;
}
