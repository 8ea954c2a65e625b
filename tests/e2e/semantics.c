/* e2e test of the semantics docs/language.md §2 and §5 require of every target:
 * wrapping integer arithmetic, truncating division with MIN / -1 == MIN and
 * MIN % -1 == 0 (division by zero must not trap; its value is unspecified
 * and not compared), shift amounts taken modulo the width, arithmetic >> on
 * signed types, and saturating float-to-integer conversion with NaN -> 0.
 * The reference is a C model of those rules written without C's undefined
 * behaviour. Inputs: every pair of a list of edge values, plus random ones
 * (seed printed; CLAW_SEED replays). Exit 77 when there is no device. */
#include <claw/claw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"
#include "semantics.claw.h"

static int failures;

static void
report(const char *what, size_t i, long long want, long long got)
{
    if (failures++ < 20)
        printf("%s [%zu]: got %lld, expected %lld\n", what, i, got, want);
}

static uint64_t rng_state;

static uint64_t
rng(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return rng_state ^ (rng_state >> 29);
}

/* The Claw rules, in C without undefined behaviour. */
static int32_t
wrap32(int64_t v)
{
    return (int32_t)(uint32_t)(uint64_t)v;
}

static int32_t
sdiv32(int32_t x, int32_t y)
{
    return (x == INT32_MIN && y == -1) ? INT32_MIN : x / y;
}

static int32_t
srem32(int32_t x, int32_t y)
{
    return (y == -1) ? 0 : x % y;
}

static int32_t
sat_i32(double x)
{
    return isnan(x) ? 0 : x <= INT32_MIN ? INT32_MIN : x >= INT32_MAX ? INT32_MAX : (int32_t)x;
}

static int64_t
sat_range(double x, double lo, double hi)
{
    if (isnan(x))
        return 0;
    if (x <= lo)
        return (int64_t)lo;
    if (x >= hi)
        return (int64_t)hi;
    return (int64_t)x;
}

static claw_buffer *
upload(claw_device *dev, const void *p, size_t bytes)
{
    claw_buffer *b;
    if (claw_alloc(dev, bytes, &b) || (p && claw_write(b, 0, p, bytes))) {
        printf("alloc/write failed: %s\n", claw_last_error());
        exit(1);
    }
    return b;
}

static void
download(claw_buffer *b, void *p, size_t bytes)
{
    if (claw_read(b, 0, p, bytes)) {
        printf("read failed: %s\n", claw_last_error());
        exit(1);
    }
}

#define CHECK(call)                                                                                \
    do {                                                                                           \
        if ((call) != CLAW_SUCCESS) {                                                              \
            printf("%s failed: %s\n", #call, claw_last_error());                                  \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int
main(void)
{
    int count = 0;
    if (claw_device_count(&count) != CLAW_SUCCESS || count == 0) {
        printf("SKIP: no device (%s)\n", claw_last_error());
        return E2E_SKIP;
    }
    uint64_t seed = e2e_seed_env();
    printf("seed %llu (CLAW_SEED=%llu replays)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    rng_state = seed;

    claw_device *dev;
    claw_module *mod;
    claw_kernel *k_int, *k_u64, *k_cast;
    CHECK(claw_device_get(0, &dev));
    CHECK(semantics_module_load(dev, &mod));
    CHECK(int_ops_get(mod, &k_int));
    CHECK(u64_ops_get(mod, &k_u64));
    CHECK(casts_get(mod, &k_cast));

    /* ---- i32 and u32 operations over every pair of edge values + random ---- */
    static const int32_t edges[] = {INT32_MIN, INT32_MIN + 1, -65536, -33, -32, -31, -2, -1, 0, 1,
                                    2, 7, 31, 32, 33, 63, 64, 65535, INT32_MAX - 1, INT32_MAX};
    enum { NE = sizeof edges / sizeof edges[0], NR = 4096, N = NE * NE + NR };
    int32_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    int32_t *out = malloc(N * 10 * sizeof *out);
    for (int i = 0; i < NE * NE; i++) {
        a[i] = edges[i / NE];
        b[i] = edges[i % NE];
    }
    for (int i = NE * NE; i < N; i++) {
        a[i] = (int32_t)rng();
        b[i] = (rng() & 3) ? (int32_t)rng() : (int32_t)(rng() % 70) - 35;
    }
    claw_buffer *da = upload(dev, a, N * sizeof *a), *db = upload(dev, b, N * sizeof *b);
    claw_buffer *dout = upload(dev, NULL, N * 10 * sizeof *out);
    const uint32_t block[3] = {64, 1, 1}, grid[3] = {(N + 63) / 64, 1, 1};
    CHECK(int_ops_launch(k_int, grid, block, N, da, db, dout));
    CHECK(claw_synchronize(dev));
    download(dout, out, N * 10 * sizeof *out);
    for (size_t i = 0; i < N; i++) {
        int32_t x = a[i], y = b[i];
        const int32_t *o = out + i * 10;
        uint32_t s = (uint32_t)y & 31;
        if (y != 0 && o[0] != sdiv32(x, y))
            report("i32 /", i, sdiv32(x, y), o[0]);
        if (y != 0 && o[1] != srem32(x, y))
            report("i32 %", i, srem32(x, y), o[1]);
        int32_t shl = (int32_t)((uint32_t)x << s);
        int32_t shr = x < 0 ? (int32_t)~(~(uint32_t)x >> s) : (int32_t)((uint32_t)x >> s);
        int32_t lshr = (int32_t)((uint32_t)x >> s);
        if (o[2] != shl)
            report("i32 <<", i, shl, o[2]);
        if (o[3] != shr)
            report("i32 >>", i, shr, o[3]);
        if (o[4] != lshr)
            report("u32 >>", i, lshr, o[4]);
        if (o[5] != wrap32((int64_t)((uint64_t)(uint32_t)x * (uint32_t)y)))
            report("i32 *", i, wrap32((int64_t)((uint64_t)(uint32_t)x * (uint32_t)y)), o[5]);
        if (o[6] != wrap32((int64_t)x + y))
            report("i32 +", i, wrap32((int64_t)x + y), o[6]);
        if (o[7] != wrap32((int64_t)x - y))
            report("i32 -", i, wrap32((int64_t)x - y), o[7]);
        int32_t ab = x == INT32_MIN ? INT32_MIN : (x < 0 ? -x : x);
        if (o[8] != ab)
            report("abs", i, ab, o[8]);
        if (o[9] != wrap32(-(int64_t)x))
            report("neg", i, wrap32(-(int64_t)x), o[9]);
    }

    /* ---- u64 operations ---- */
    enum { N64 = 2048 };
    uint64_t *a64 = malloc(N64 * sizeof *a64), *b64 = malloc(N64 * sizeof *b64);
    uint64_t *o64 = malloc(N64 * 6 * sizeof *o64);
    for (int i = 0; i < N64; i++) {
        a64[i] = i < 4 ? UINT64_MAX - (uint64_t)i : rng();
        b64[i] = (i % 3 == 0) ? rng() % 130 : rng();
        if (i % 97 == 0)
            b64[i] = 0; /* must not trap */
    }
    claw_buffer *da64 = upload(dev, a64, N64 * 8), *db64 = upload(dev, b64, N64 * 8);
    claw_buffer *do64 = upload(dev, NULL, N64 * 6 * 8);
    const uint32_t grid64[3] = {(N64 + 63) / 64, 1, 1};
    CHECK(u64_ops_launch(k_u64, grid64, block, N64, da64, db64, do64));
    CHECK(claw_synchronize(dev));
    download(do64, o64, N64 * 6 * 8);
    for (size_t i = 0; i < N64; i++) {
        uint64_t x = a64[i], y = b64[i];
        const uint64_t *o = o64 + i * 6;
        if (y && o[0] != x / y)
            report("u64 /", i, (long long)(x / y), (long long)o[0]);
        if (y && o[1] != x % y)
            report("u64 %", i, (long long)(x % y), (long long)o[1]);
        if (o[2] != x << (y & 63))
            report("u64 <<", i, (long long)(x << (y & 63)), (long long)o[2]);
        if (o[3] != x >> ((uint8_t)y & 63))
            report("u64 >>", i, (long long)(x >> ((uint8_t)y & 63)), (long long)o[3]);
        if (o[4] != x * y)
            report("u64 *", i, (long long)(x * y), (long long)o[4]);
        if (o[5] != x - y)
            report("u64 -", i, (long long)(x - y), (long long)o[5]);
    }

    /* ---- conversions ---- */
    static const float fedges[] = {0.0f, -0.0f, 0.5f, -0.5f, 0.99999994f, -1.5f, -2.7f, 2.7f,
                                   127.5f, 128.0f, -128.5f, -129.0f, 255.9f, 256.0f, 300.7f,
                                   2147483520.0f, 2147483648.0f, -2147483648.0f, -2147483904.0f,
                                   4294967040.0f, 4294967296.0f, 9.3e18f, 9.3e18f * 2, -9.3e18f,
                                   1e30f, -1e30f, INFINITY, -INFINITY, NAN, -NAN};
    enum { NF = sizeof fedges / sizeof fedges[0], NC = NF + 4096 };
    float *f = malloc(NC * sizeof *f);
    int32_t *g = malloc(NC * sizeof *g);
    for (int i = 0; i < NC; i++) {
        if (i < NF) {
            f[i] = fedges[i];
        } else {
            uint32_t bits = (uint32_t)rng();
            memcpy(&f[i], &bits, 4);
        }
        g[i] = i < NE ? edges[i] : (int32_t)rng();
    }
    int32_t *ci = malloc(NC * 4), *cg = NULL;
    uint32_t *cu = malloc(NC * 4);
    uint8_t *c8 = malloc(NC), *cg8 = malloc(NC);
    int64_t *c64 = malloc(NC * 8), *cg64 = malloc(NC * 8);
    int8_t *cs8 = malloc(NC);
    float *cf = malloc(NC * 4);
    (void)cg;
    claw_buffer *df = upload(dev, f, NC * 4), *dg = upload(dev, g, NC * 4);
    claw_buffer *dci = upload(dev, NULL, NC * 4), *dcu = upload(dev, NULL, NC * 4);
    claw_buffer *dc8 = upload(dev, NULL, NC), *dc64 = upload(dev, NULL, NC * 8);
    claw_buffer *dcs8 = upload(dev, NULL, NC), *dcf = upload(dev, NULL, NC * 4);
    claw_buffer *dcg8 = upload(dev, NULL, NC), *dcg64 = upload(dev, NULL, NC * 8);
    const uint32_t gridc[3] = {(NC + 63) / 64, 1, 1};
    CHECK(casts_launch(k_cast, gridc, block, NC, df, dg, dci, dcu, dc8, dc64, dcs8, dcf, dcg8,
                       dcg64));
    CHECK(claw_synchronize(dev));
    download(dci, ci, NC * 4);
    download(dcu, cu, NC * 4);
    download(dc8, c8, NC);
    download(dc64, c64, NC * 8);
    download(dcs8, cs8, NC);
    download(dcf, cf, NC * 4);
    download(dcg8, cg8, NC);
    download(dcg64, cg64, NC * 8);
    for (size_t i = 0; i < NC; i++) {
        double x = f[i];
        if (ci[i] != sat_i32(x))
            report("f32 as i32", i, sat_i32(x), ci[i]);
        if (cu[i] != (uint32_t)sat_range(x, 0, 4294967295.0))
            report("f32 as u32", i, sat_range(x, 0, 4294967295.0), cu[i]);
        if (c8[i] != (uint8_t)sat_range(x, 0, 255))
            report("f32 as u8", i, sat_range(x, 0, 255), c8[i]);
        if (cs8[i] != (int8_t)sat_range(x, -128, 127))
            report("f32 as i8", i, sat_range(x, -128, 127), cs8[i]);
        int64_t w = isnan(x) ? 0 : x <= -9223372036854775808.0 ? INT64_MIN
                  : x >= 9223372036854775808.0 ? INT64_MAX : (int64_t)x;
        if (c64[i] != w)
            report("f32 as i64", i, w, c64[i]);
        float want_f = (float)g[i];
        if (memcmp(&cf[i], &want_f, 4) != 0)
            report("i32 as f32", i, (long long)want_f, (long long)cf[i]);
        if (cg8[i] != (uint8_t)(uint32_t)g[i])
            report("i32 as u8", i, (uint8_t)(uint32_t)g[i], cg8[i]);
        if (cg64[i] != (int64_t)g[i])
            report("i32 as i64", i, g[i], cg64[i]);
    }
    /* Left to the exit, these would fail the sanitized run's leak check. */
    void *host[] = {a, b, out, a64, b64, o64, f, g, ci, cu, c8, cg8, c64, cg64, cs8, cf};
    for (size_t i = 0; i < sizeof host / sizeof host[0]; i++)
        free(host[i]);

    if (failures) {
        printf("semantics: FAILED: %d mismatches\n", failures);
        return 1;
    }
    printf("semantics: %d i32 pairs, %d u64 pairs, %d conversions match the language rules\n", N,
           N64, NC);
    return 0;
}
