/* e2e test of every builtin of docs/language.md §7 (builtins.claw) on device 0:
 * the id variables in three dimensions with and without @workgroup,
 * barrier() with shared arrays in a kernel and in a device function, every
 * atomic on i32/u32/i64/u64 in global memory and atomic_add on f32 and in
 * shared memory, the subgroup functions, the math functions on f16/f32/f64,
 * abs/min/max/clamp on the integer widths, select on scalars and structs,
 * and the struct, array and loop forms of §4/§5 that kernels build on.
 *
 * Each section uploads fresh random inputs (seed printed; CLAW_SEED
 * replays), launches, and recomputes every result in C. Integer, select,
 * struct and exactly rounded float results (floor ... clamp, fma, sums of
 * integer-valued floats) must match bit for bit; the other math functions
 * must lie within the bounds docs/spirv.md documents (Vulkan's bounds for
 * f32, the table for f64, one f16 ulp past the f32 result for f16). Atomics
 * that race (exchange, compare-and-swap) are checked for consistency: the
 * old values returned plus the final value are a permutation of the
 * initial value and the values written, and a CAS counter hands out each
 * ticket exactly once. Subgroup results are computed per subgroup of the
 * size the device reports (props.subgroup_size), which must equal what
 * subgroup_size() returns; subgroups are assumed to be consecutive lanes
 * of a 1-D block, as on every target (lane_id() == thread_id.x % size is
 * checked first).
 *
 * Every mismatch says what differed (the first few of each check in full,
 * then a count per check). Exit 0: all matched; 1: a mismatch or runtime failure; 77: no device. */
#include <claw/claw.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.claw.h"
#include "e2e_util.h"

/* Mismatches by check (the label before " [index]"): the first few of each
 * are printed in full and the rest only counted, so that one broken builtin
 * cannot crowd out another's report; main prints the counts at the end. */
enum { MAX_LABELS = 128, PRINT_PER_LABEL = 4 };
static struct {
    char name[64];
    int count;
} labels[MAX_LABELS];
static int nlabels;
static int failures;
static int checks;

/* Records a mismatch of check `label`; prints "label [what]" with fmt's
 * text unless the label has been printed PRINT_PER_LABEL times. */
static void __attribute__((format(printf, 2, 3))) fail(const char *label, const char *fmt, ...)
{
    failures++;
    int l = 0;
    while (l < nlabels && strcmp(labels[l].name, label) != 0)
        l++;
    if (l == nlabels && nlabels < MAX_LABELS)
        snprintf(labels[nlabels++].name, sizeof labels[0].name, "%s", label);
    if (l < nlabels && labels[l].count++ >= PRINT_PER_LABEL)
        return;
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", label);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* An exact check: counts it, and reports got/want when they differ. */
static void
expect_int(const char *what, size_t i, long long want, long long got)
{
    checks++;
    if (want != got)
        fail(what, "[%zu]: got %lld, expected %lld", i, got, want);
}

static void
expect_u64(const char *what, size_t i, uint64_t want, uint64_t got)
{
    checks++;
    if (want != got)
        fail(what, "[%zu]: got %llu, expected %llu", i, (unsigned long long)got,
             (unsigned long long)want);
}

static uint64_t rng_state;

static uint64_t
rng(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    uint64_t x = rng_state;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdu;
    return x ^ (x >> 33);
}

/* A uniform integer in [lo, hi]. */
static long long
rng_range(long long lo, long long hi)
{
    return lo + (long long)(rng() % (uint64_t)(hi - lo + 1));
}

/* A uniform double in [lo, hi). */
static double
rng_real(double lo, double hi)
{
    return lo + (hi - lo) * (double)(rng() >> 11) * 0x1p-53;
}

static void
download_to(claw_buffer *b, void *dst, size_t bytes)
{
    E2E_CHECK(claw_read(b, 0, dst, bytes));
}

/* ---- f16 bits (the C header passes f16 as uint16_t) ----------------------- */

static double
half_to_double(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* Rounds to nearest even, like the device's OpFConvert (docs/spirv.md). */
static uint16_t
half_from_double(double x)
{
    uint16_t sign = signbit(x) ? 0x8000 : 0;
    x = fabs(x);
    if (isnan(x))
        return 0x7e00;
    if (x >= 65520.0)
        return sign | 0x7c00;
    int e;
    frexp(x, &e);
    int ex = e - 1 < -14 ? -14 : e - 1;
    double m = nearbyint(ldexp(x, 10 - ex)); /* exact scaling, then RNE */
    if (m < 1024)
        return sign | (uint16_t)m; /* subnormal (ex == -14) or zero */
    if (m == 2048) {
        m = 1024;
        ex++;
    }
    if (ex > 15)
        return sign | 0x7c00;
    return sign | (uint16_t)((ex + 15) << 10 | ((int)m - 1024));
}

/* ---- builtin variables ---------------------------------------------------- */

static void
check_ids(claw_device *dev, claw_module *mod, const char *name, const uint32_t grid[3],
          const uint32_t block[3], int fixed)
{
    claw_kernel *k;
    E2E_CHECK(claw_kernel_get(mod, name, &k));
    uint32_t w[3];
    for (int d = 0; d < 3; d++)
        w[d] = grid[d] * block[d];
    size_t slots = (size_t)w[0] * w[1] * w[2], bytes = slots * 15 * sizeof(uint32_t);
    uint32_t *got = malloc(bytes);
    memset(got, 0xff, bytes);
    claw_buffer *out = e2e_upload(dev, got, bytes);
    E2E_CHECK(fixed ? ids_fixed_launch(k, grid, block, out) : ids_launch(k, grid, block, out));
    E2E_CHECK(claw_synchronize(dev));
    download_to(out, got, bytes);
    static const char *const field[] = {"thread_id", "block_id", "block_dim", "grid_dim",
                                        "global_id"};
    char what[64];
    for (uint32_t z = 0; z < w[2]; z++)
        for (uint32_t y = 0; y < w[1]; y++)
            for (uint32_t x = 0; x < w[0]; x++) {
                size_t slot = ((size_t)z * w[1] + y) * w[0] + x;
                const uint32_t g[3] = {x, y, z};
                for (int d = 0; d < 3; d++) {
                    const uint32_t want[5] = {g[d] % block[d], g[d] / block[d], block[d], grid[d],
                                              g[d]};
                    for (int f = 0; f < 5; f++) {
                        snprintf(what, sizeof what, "%s %s.%c", name, field[f], "xyz"[d]);
                        expect_int(what, slot, want[f], got[slot * 15 + (size_t)f * 3 + d]);
                    }
                }
            }
    claw_free(out);
    free(got);
}

/* ---- barrier and shared memory ------------------------------------------- */

static void
check_barrier(claw_device *dev, claw_module *mod)
{
    claw_kernel *k;
    E2E_CHECK(reverse_block_get(mod, &k));
    const uint32_t bs = 64, nb = 5, n = bs * nb;
    int32_t *in = malloc(n * 4), *rev = malloc(n * 4), *rot = malloc(n * 4);
    for (uint32_t i = 0; i < n; i++)
        in[i] = (int32_t)rng();
    claw_buffer *din = e2e_upload(dev, in, n * 4), *drev = e2e_upload(dev, NULL, n * 4),
                *drot = e2e_upload(dev, NULL, n * 4);
    const uint32_t grid[3] = {nb, 1, 1}, block[3] = {bs, 1, 1};
    E2E_CHECK(reverse_block_launch(k, grid, block, din, drev, drot));
    E2E_CHECK(claw_synchronize(dev));
    download_to(drev, rev, n * 4);
    download_to(drot, rot, n * 4);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t b = i / bs, t = i % bs;
        expect_int("barrier: shared reversal", i, in[b * bs + bs - 1 - t], rev[i]);
        expect_int("barrier: shared array in fn (rotate twice)", i, in[b * bs + (t + 2) % bs],
                   rot[i]);
    }
    claw_free(din);
    claw_free(drev);
    claw_free(drot);
    free(in);
    free(rev);
    free(rot);
}

/* ---- atomics --------------------------------------------------------------- */

enum { AT_N = 1000, AT_SLOTS = 33 };

/* The value of element i of an array of `size`-byte integers, sign- or
 * zero-extended to 64 bits. */
static uint64_t
load_int(const void *p, size_t i, int size, int is_signed)
{
    const unsigned char *b = (const unsigned char *)p + i * (size_t)size;
    if (size == 4) {
        uint32_t v;
        memcpy(&v, b, 4);
        return is_signed ? (uint64_t)(int64_t)(int32_t)v : v;
    }
    uint64_t v;
    memcpy(&v, b, 8);
    return v;
}

static void
store_int(void *p, size_t i, int size, uint64_t v)
{
    unsigned char *b = (unsigned char *)p + i * (size_t)size;
    if (size == 4) {
        uint32_t w = (uint32_t)v;
        memcpy(b, &w, 4);
    } else {
        memcpy(b, &v, 8);
    }
}

/* v reduced to the type's width and extended again (wrapping arithmetic). */
static uint64_t
canon(uint64_t v, int size, int is_signed)
{
    if (size == 8)
        return v;
    return is_signed ? (uint64_t)(int64_t)(int32_t)(uint32_t)v : (uint32_t)v;
}

static int
less(uint64_t a, uint64_t b, int is_signed)
{
    return is_signed ? (int64_t)a < (int64_t)b : a < b;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void
check_atomics_int(claw_device *dev, claw_module *mod, const char *type, int size, int is_signed)
{
    char name[32], what[64];
    snprintf(name, sizeof name, "atomics_%s", type);
    claw_kernel *k;
    E2E_CHECK(claw_kernel_get(mod, name, &k));
    const int bits = size * 8;
    void *v = malloc(AT_N * (size_t)size), *olds = malloc(AT_N * (size_t)size);
    void *tickets = malloc(AT_N * (size_t)size), *acc = malloc(AT_SLOTS * (size_t)size);
    void *got = malloc(AT_SLOTS * (size_t)size);
    for (size_t i = 0; i < AT_N; i++)
        store_int(v, i, size, rng());
    for (size_t s = 0; s < AT_SLOTS - 1; s++)
        store_int(acc, s, size, rng());
    /* The CAS counter starts at a random base (far from the wrap). */
    uint64_t base = size == 4 ? rng() % 1000000 : (rng() >> 4);
    store_int(acc, AT_SLOTS - 1, size, base);

    claw_buffer *dv = e2e_upload(dev, v, AT_N * (size_t)size);
    claw_buffer *dacc = e2e_upload(dev, acc, AT_SLOTS * (size_t)size);
    claw_buffer *dolds = e2e_upload(dev, NULL, AT_N * (size_t)size);
    claw_buffer *dtk = e2e_upload(dev, NULL, AT_N * (size_t)size);
    const uint32_t block[3] = {64, 1, 1}, grid[3] = {(AT_N + 63) / 64, 1, 1};
    const void *args[] = {&(uint32_t){AT_N}, &(uint64_t){claw_buffer_address(dv)},
                          &(uint64_t){claw_buffer_address(dacc)},
                          &(uint64_t){claw_buffer_address(dolds)},
                          &(uint64_t){claw_buffer_address(dtk)}};
    E2E_CHECK(claw_launch(k, grid, block, args, 5));
    E2E_CHECK(claw_synchronize(dev));
    download_to(dacc, got, AT_SLOTS * (size_t)size);
    download_to(dolds, olds, AT_N * (size_t)size);
    download_to(dtk, tickets, AT_N * (size_t)size);

    static const char *const op[] = {"add", "sub", "min", "max", "and", "or", "xor"};
    for (size_t kk = 0; kk < 4; kk++) {
        uint64_t want[7];
        for (int o = 0; o < 7; o++)
            want[o] = load_int(acc, (size_t)o * 4 + kk, size, is_signed);
        size_t nx = 0;
        uint64_t *xs = malloc((AT_N / 4 + 2) * sizeof *xs),
                 *ys = malloc((AT_N / 4 + 2) * sizeof *ys);
        xs[nx] = load_int(acc, 28 + kk, size, is_signed);
        ys[nx++] = load_int(got, 28 + kk, size, is_signed);
        for (size_t i = kk; i < AT_N; i += 4) {
            uint64_t x = load_int(v, i, size, is_signed);
            uint64_t ux = (uint64_t)x & (size == 4 ? 0xffffffffu : UINT64_MAX);
            want[0] = canon(want[0] + x, size, is_signed);
            want[1] = canon(want[1] - x, size, is_signed);
            if (less(x, want[2], is_signed))
                want[2] = x;
            if (less(want[3], x, is_signed))
                want[3] = x;
            want[4] = canon(want[4] & ~(1ull << (ux & (uint64_t)(bits - 1))), size, is_signed);
            want[5] = canon(want[5] | 1ull << ((ux >> (bits == 32 ? 5 : 6)) & (uint64_t)(bits - 1)),
                            size, is_signed);
            want[6] = canon(want[6] ^ x, size, is_signed);
            xs[nx] = x;
            ys[nx++] = load_int(olds, i, size, is_signed);
        }
        for (int o = 0; o < 7; o++) {
            snprintf(what, sizeof what, "atomic_%s %s", op[o], type);
            expect_u64(what, kk, want[o], load_int(got, (size_t)o * 4 + kk, size, is_signed));
        }
        /* exchange: {initial, written...} == {returned olds..., final}. */
        snprintf(what, sizeof what, "atomic_exchange %s", type);
        qsort(xs, nx, sizeof *xs, cmp_u64);
        qsort(ys, nx, sizeof *ys, cmp_u64);
        checks++;
        if (memcmp(xs, ys, nx * sizeof *xs) != 0)
            fail(what,
                 "[%zu]: the old values returned and the final value are not the "
                 "initial value and the values written",
                 kk);
        free(xs);
        free(ys);
    }
    /* CAS counter: tickets are base .. base + N - 1, each once; final base + N. */
    snprintf(what, sizeof what, "atomic_cas %s counter", type);
    expect_u64(what, 0, canon(base + AT_N, size, is_signed),
               load_int(got, AT_SLOTS - 1, size, is_signed));
    unsigned char *seen = calloc(AT_N, 1);
    for (size_t i = 0; i < AT_N; i++) {
        uint64_t t = load_int(tickets, i, size, is_signed) - base;
        checks++;
        if (t >= AT_N || seen[t]++)
            fail(what, "[%zu]: got ticket %llu, %s", i, (unsigned long long)(t + base),
                 t >= AT_N ? "out of range" : "given twice");
    }
    free(seen);
    claw_free(dv);
    claw_free(dacc);
    claw_free(dolds);
    claw_free(dtk);
    free(v);
    free(olds);
    free(tickets);
    free(acc);
    free(got);
}

static void
check_atomics_float(claw_device *dev, claw_module *mod)
{
    claw_kernel *k;
    E2E_CHECK(atomics_float_get(mod, &k));
    enum { BS = 64, NB = 8, N = BS * NB };
    float fv[N], facc[4], bsum_f[NB * 4];
    int32_t iv[N], bsum_i[NB * 4];
    for (int i = 0; i < N; i++) {
        fv[i] = (float)rng_range(-1000, 1000); /* integer-valued: every sum is exact */
        iv[i] = (int32_t)rng();
    }
    for (int j = 0; j < 4; j++)
        facc[j] = (float)rng_range(-100000, 100000);
    claw_buffer *dfv = e2e_upload(dev, fv, sizeof fv), *div = e2e_upload(dev, iv, sizeof iv);
    claw_buffer *dfacc = e2e_upload(dev, facc, sizeof facc);
    claw_buffer *dbi = e2e_upload(dev, NULL, sizeof bsum_i),
                *dbf = e2e_upload(dev, NULL, sizeof bsum_f);
    const uint32_t grid[3] = {NB, 1, 1}, block[3] = {BS, 1, 1};
    E2E_CHECK(atomics_float_launch(k, grid, block, dfv, div, dfacc, dbi, dbf));
    E2E_CHECK(claw_synchronize(dev));
    float got_acc[4];
    download_to(dfacc, got_acc, sizeof got_acc);
    download_to(dbi, bsum_i, sizeof bsum_i);
    download_to(dbf, bsum_f, sizeof bsum_f);
    for (int j = 0; j < 4; j++) {
        double want = facc[j];
        for (int i = j; i < N; i += 4)
            want += fv[i];
        checks++;
        if ((double)got_acc[j] != want)
            fail("atomic_add f32 global", "[%d]: got %.9g, expected %.9g", j, got_acc[j], want);
    }
    for (int b = 0; b < NB; b++)
        for (int j = 0; j < 4; j++) {
            uint32_t si = 0;
            double sf = 0;
            for (int t = j; t < BS; t += 4) {
                si += (uint32_t)iv[b * BS + t];
                sf += fv[b * BS + t];
            }
            expect_int("atomic_add i32 shared", (size_t)(b * 4 + j), (int32_t)si,
                       bsum_i[b * 4 + j]);
            checks++;
            if ((double)bsum_f[b * 4 + j] != sf)
                fail("atomic_add f32 shared", "[%d]: got %.9g, expected %.9g", b * 4 + j,
                     bsum_f[b * 4 + j], sf);
        }
    claw_free(dfv);
    claw_free(div);
    claw_free(dfacc);
    claw_free(dbi);
    claw_free(dbf);
}

/* ---- subgroups --------------------------------------------------------------- */

static void
check_subgroups(claw_device *dev, claw_module *mod, uint32_t sg)
{
    claw_kernel *k;
    E2E_CHECK(subgroups_get(mod, &k));
    if (sg == 0 || sg > 128 || (sg & (sg - 1)) != 0) {
        fail("subgroup_size", "device property: %u, not a power of two up to 128", sg);
        return;
    }
    const uint32_t bs = sg * (sg >= 64 ? 2 : 64 / sg), nb = 3, n = bs * nb;
    uint32_t mask = sg > 1 ? (uint32_t)rng_range(1, sg - 1) : 0;
    int32_t *a = malloc(n * 4), *oi = malloc(n * 20);
    uint32_t *b = malloc(n * 4), *ou = malloc(n * 20), *info = malloc(n * 8);
    float *c = malloc(n * 4), *of = malloc(n * 20);
    for (uint32_t i = 0; i < n; i++) {
        a[i] = (int32_t)rng();
        b[i] = (uint32_t)rng();
        c[i] = (float)rng_range(-400, 400) * 0.5f; /* sums stay exact */
    }
    claw_buffer *da = e2e_upload(dev, a, n * 4), *db = e2e_upload(dev, b, n * 4),
                *dc = e2e_upload(dev, c, n * 4), *dinfo = e2e_upload(dev, NULL, n * 8),
                *doi = e2e_upload(dev, NULL, n * 20), *dou = e2e_upload(dev, NULL, n * 20),
                *dof = e2e_upload(dev, NULL, n * 20);
    const uint32_t grid[3] = {nb, 1, 1}, block[3] = {bs, 1, 1};
    E2E_CHECK(subgroups_launch(k, grid, block, mask, da, db, dc, dinfo, doi, dou, dof));
    E2E_CHECK(claw_synchronize(dev));
    download_to(dinfo, info, n * 8);
    download_to(doi, oi, n * 20);
    download_to(dou, ou, n * 20);
    download_to(dof, of, n * 20);
    for (uint32_t i = 0; i < n; i++) {
        expect_int("lane_id", i, (i % bs) % sg, info[2 * i]);
        expect_int("subgroup_size", i, sg, info[2 * i + 1]);
    }
    for (uint32_t g = 0; g < n; g += sg) {
        uint32_t su = 0, mnu = UINT32_MAX, mxu = 0;
        int32_t mni = INT32_MAX, mxi = INT32_MIN;
        double sf = 0;
        float mnf = INFINITY, mxf = -INFINITY;
        for (uint32_t l = 0; l < sg; l++) {
            su += (uint32_t)a[g + l]; /* the i32 sum wraps like the u32 one */
            mni = a[g + l] < mni ? a[g + l] : mni;
            mxi = a[g + l] > mxi ? a[g + l] : mxi;
            mnu = b[g + l] < mnu ? b[g + l] : mnu;
            mxu = b[g + l] > mxu ? b[g + l] : mxu;
            sf += c[g + l];
            mnf = c[g + l] < mnf ? c[g + l] : mnf;
            mxf = c[g + l] > mxf ? c[g + l] : mxf;
        }
        uint32_t bsum = 0;
        for (uint32_t l = 0; l < sg; l++)
            bsum += b[g + l];
        for (uint32_t l = 0; l < sg; l++) {
            uint32_t i = g + l, nx = g + (l + 1) % sg, xo = g + (l ^ mask);
            expect_int("shuffle i32 (rotate)", i, a[nx], oi[5 * i]);
            expect_int("shuffle_xor i32", i, a[xo], oi[5 * i + 1]);
            expect_int("subgroup_sum i32", i, (int32_t)su, oi[5 * i + 2]);
            expect_int("subgroup_min i32", i, mni, oi[5 * i + 3]);
            expect_int("subgroup_max i32", i, mxi, oi[5 * i + 4]);
            expect_int("shuffle u32 (rotate)", i, b[nx], ou[5 * i]);
            expect_int("shuffle_xor u32", i, b[xo], ou[5 * i + 1]);
            expect_int("subgroup_sum u32", i, bsum, ou[5 * i + 2]);
            expect_int("subgroup_min u32", i, mnu, ou[5 * i + 3]);
            expect_int("subgroup_max u32", i, mxu, ou[5 * i + 4]);
            const float want_f[5] = {c[nx], c[xo], (float)sf, mnf, mxf};
            static const char *const fname[5] = {"shuffle f32 (rotate)", "shuffle_xor f32",
                                                 "subgroup_sum f32", "subgroup_min f32",
                                                 "subgroup_max f32"};
            for (int r = 0; r < 5; r++) {
                checks++;
                if (of[5 * i + r] != want_f[r])
                    fail(fname[r], "[%u]: got %g, expected %g", i, of[5 * i + r], want_f[r]);
            }
        }
    }
    void *host[] = {a, b, c, oi, ou, of, info};
    for (size_t i = 0; i < sizeof host / sizeof host[0]; i++)
        free(host[i]);
    claw_buffer *dbuf[] = {da, db, dc, dinfo, doi, dou, dof};
    for (size_t i = 0; i < sizeof dbuf / sizeof dbuf[0]; i++)
        claw_free(dbuf[i]);
}

/* ---- math ------------------------------------------------------------------------ */

enum { M_N = 96, M_OUT = 20 };

/* A float format: its name, its bytes, and the e2e_ulp parameters. */
typedef struct fmt {
    const char *name;
    int size, emin, digits;
} fmt;

static const fmt F16 = {"f16", 2, -14, 11}, F32 = {"f32", 4, -126, 24}, F64 = {"f64", 8, -1022, 53};

static double
fmt_load(const fmt *f, const void *p, size_t i)
{
    const unsigned char *b = (const unsigned char *)p + i * (size_t)f->size;
    if (f->size == 2) {
        uint16_t h;
        memcpy(&h, b, 2);
        return half_to_double(h);
    }
    if (f->size == 4) {
        float x;
        memcpy(&x, b, 4);
        return x;
    }
    double x;
    memcpy(&x, b, 8);
    return x;
}

/* Stores x rounded to the format; returns the value stored. */
static double
fmt_store(const fmt *f, void *p, size_t i, double x)
{
    unsigned char *b = (unsigned char *)p + i * (size_t)f->size;
    if (f->size == 2) {
        uint16_t h = half_from_double(x);
        memcpy(b, &h, 2);
    } else if (f->size == 4) {
        float v = (float)x;
        memcpy(b, &v, 4);
    } else {
        memcpy(b, &x, 8);
    }
    return fmt_load(f, p, i);
}

/* x rounded to the format. */
static double
fmt_round(const fmt *f, double x)
{
    unsigned char tmp[8];
    return fmt_store(f, tmp, 0, x);
}

/* Checks got against ref within ulps (of the format, at ref) + abs_tol. */
static void
expect_close(const fmt *f, const char *fn, size_t i, const double *in, long double ref, double got,
             double ulps, long double abs_tol)
{
    char label[32];
    snprintf(label, sizeof label, "%s %s", fn, f->name);
    checks++;
    long double tol = ulps * e2e_ulp(ref, f->emin, f->digits) + abs_tol;
    if (!(fabsl((long double)got - ref) <= tol))
        fail(label, "[%zu] (a=%.17g s=%.17g b=%.17g): got %.17g, expected %.17Lg (within %.3Lg)", i,
             in[0], in[1], in[2], got, ref, tol);
}

static void
check_math(claw_device *dev, claw_module *mod, const fmt *f)
{
    char name[16];
    snprintf(name, sizeof name, "math_%s", f->name);
    claw_kernel *k;
    E2E_CHECK(claw_kernel_get(mod, name, &k));
    size_t sz = (size_t)f->size;
    unsigned char *pa = malloc(M_N * sz), *ps = malloc(M_N * sz), *pb = malloc(M_N * sz);
    unsigned char *out = malloc(M_N * M_OUT * sz);
    for (size_t i = 0; i < M_N; i++) {
        fmt_store(f, pa, i, rng_real(0.25, 4.0));
        fmt_store(f, ps, i, rng_real(-1.5, 1.5));
        /* Quarters in [-10, 10]: halves exercise round()'s ties. */
        fmt_store(f, pb, i, (double)rng_range(-40, 40) / 4);
    }
    claw_buffer *da = e2e_upload(dev, pa, M_N * sz), *ds = e2e_upload(dev, ps, M_N * sz),
                *db = e2e_upload(dev, pb, M_N * sz),
                *dout = e2e_upload(dev, NULL, M_N * M_OUT * sz);
    const uint32_t grid[3] = {(M_N + 31) / 32, 1, 1}, block[3] = {32, 1, 1};
    const void *args[] = {&(uint32_t){M_N}, &(uint64_t){claw_buffer_address(da)},
                          &(uint64_t){claw_buffer_address(ds)},
                          &(uint64_t){claw_buffer_address(db)},
                          &(uint64_t){claw_buffer_address(dout)}};
    E2E_CHECK(claw_launch(k, grid, block, args, 5));
    E2E_CHECK(claw_synchronize(dev));
    download_to(dout, out, M_N * M_OUT * sz);

    /* Per-function bounds (docs/spirv.md): f32 Vulkan's, f64 the table's,
     * f16 the f32 computation's rounded once more (one f16 ulp; the GLSL
     * sin/cos/tan/tanh carry f32's 2^-11 absolute error along) except
     * for sqrt and rsqrt (below). */
    const int h = f->size == 2, d = f->size == 8;
    for (size_t i = 0; i < M_N; i++) {
        const double in[3] = {fmt_load(f, pa, i), fmt_load(f, ps, i), fmt_load(f, pb, i)};
        long double a = in[0], s = in[1], b = in[2];
        double o[M_OUT];
        for (int j = 0; j < M_OUT; j++)
            o[j] = fmt_load(f, out, i * M_OUT + (size_t)j);
        long double t = s * log2l(a);
        long double near1 = (a >= 0.5L && a <= 2.0L) ? 0x1p-21L : 0;
        long double trig = d ? 0 : 0x1p-11L;
        /* sqrt and rsqrt are the GLSL instructions on every width, with
         * Vulkan's bounds (sqrt: 1/inversesqrt's) on f16 as on f32. */
        expect_close(f, "sqrt", i, in, sqrtl(a), o[0], d ? 2 : 4.5, 0);
        expect_close(f, "rsqrt", i, in, 1 / sqrtl(a), o[1], 2, 0);
        expect_close(f, "exp", i, in, expl(s), o[2], h ? 1 : (d ? 2 : 3 + 2 * fabsl(s)), 0);
        expect_close(f, "exp2", i, in, exp2l(s), o[3], h ? 1 : (d ? 2 : 3 + 2 * fabsl(s)), 0);
        expect_close(f, "log", i, in, logl(a), o[4], h ? 1 : (d ? 2 : 3), d ? 0 : near1);
        expect_close(f, "log2", i, in, log2l(a), o[5], h ? 1 : (d ? 2 : 3), d ? 0 : near1);
        expect_close(f, "sin", i, in, sinl(s), o[6], h ? 1 : 2, trig);
        expect_close(f, "cos", i, in, cosl(s), o[7], h ? 1 : 2, trig);
        expect_close(f, "tan", i, in, tanl(s), o[8], h ? 1 : (d ? 4 : 2.5),
                     trig * (1 + fabsl(tanl(s))) / fabsl(cosl(s)));
        expect_close(f, "tanh", i, in, tanhl(s), o[9], h ? 1 : (d ? 4 : 8), trig);
        expect_close(f, "pow", i, in, powl(a, s), o[10], h ? 1 : 4 + 2 * fabsl(t),
                     d ? 0 : fabsl(s) * near1 * 0.6931471805599453L * powl(a, s));
        /* Exactly rounded: must match bit for bit (within 0). */
        expect_close(f, "floor", i, in, floorl(b), o[11], 0, 0);
        expect_close(f, "ceil", i, in, ceill(b), o[12], 0, 0);
        expect_close(f, "round", i, in, roundl(b), o[13], 0, 0);
        expect_close(f, "trunc", i, in, truncl(b), o[14], 0, 0);
        expect_close(f, "abs", i, in, fabsl(b), o[15], 0, 0);
        expect_close(f, "min", i, in, s < b ? s : b, o[16], 0, 0);
        expect_close(f, "max", i, in, s > b ? s : b, o[17], 0, 0);
        expect_close(f, "clamp", i, in, b < -1 ? -1 : b > 2 ? 2 : b, o[18], 0, 0);
        /* fma: C's for f32 and f64; for f16, s*b + a is exact in long
         * double (a few dozen bits at most), so rounding it once is fma. */
        double want_fma = fmaf((float)in[1], (float)in[2], (float)in[0]);
        if (d)
            want_fma = fma(in[1], in[2], in[0]);
        else if (h)
            want_fma = fmt_round(f, (double)(s * b + a));
        expect_close(f, "fma", i, in, want_fma, o[19], 0, 0);
    }
    claw_free(da);
    claw_free(ds);
    claw_free(db);
    claw_free(dout);
    free(pa);
    free(ps);
    free(pb);
    free(out);
}

/* ---- integer abs/min/max/clamp ------------------------------------------------- */

static void
check_int_minmax(claw_device *dev, claw_module *mod)
{
    claw_kernel *k;
    E2E_CHECK(int_minmax_get(mod, &k));
    enum { N = 256 };
    int8_t a8[N], b8[N], o8[4 * N];
    int16_t a16[N], b16[N], o16[4 * N];
    uint16_t au16[N], bu16[N], ou16[4 * N];
    int64_t a64[N], b64[N], o64[4 * N];
    uint64_t au64[N], bu64[N], ou64[4 * N];
    for (int i = 0; i < N; i++) {
        a8[i] = (int8_t)rng();
        b8[i] = (int8_t)rng();
        a16[i] = (int16_t)rng();
        b16[i] = (int16_t)rng();
        au16[i] = (uint16_t)rng();
        bu16[i] = (uint16_t)rng();
        a64[i] = i % 2 ? (int64_t)rng() : rng_range(-10000000000, 10000000000);
        b64[i] = (int64_t)rng();
        au64[i] = i % 2 ? rng() : rng() >> 31;
        bu64[i] = rng();
    }
    a8[0] = INT8_MIN;
    a16[0] = INT16_MIN;
    a64[0] = INT64_MIN;
    claw_buffer *d[15];
    const void *host[15] = {a8,   b8,  NULL, a16,  b16,  NULL, au16, bu16,
                            NULL, a64, b64,  NULL, au64, bu64, NULL};
    const size_t esz[5] = {1, 2, 2, 8, 8};
    uint64_t addr[15];
    const void *args[16];
    uint32_t n = N;
    args[0] = &n;
    for (int j = 0; j < 15; j++) {
        size_t bytes = (host[j] ? N : 4 * N) * esz[j / 3];
        d[j] = e2e_upload(dev, host[j], bytes);
        addr[j] = claw_buffer_address(d[j]);
        args[j + 1] = &addr[j];
    }
    const uint32_t grid[3] = {N / 64, 1, 1}, block[3] = {64, 1, 1};
    E2E_CHECK(claw_launch(k, grid, block, args, 16));
    E2E_CHECK(claw_synchronize(dev));
    download_to(d[2], o8, sizeof o8);
    download_to(d[5], o16, sizeof o16);
    download_to(d[8], ou16, sizeof ou16);
    download_to(d[11], o64, sizeof o64);
    download_to(d[14], ou64, sizeof ou64);
#define MIN(x, y)        ((x) < (y) ? (x) : (y))
#define MAX(x, y)        ((x) > (y) ? (x) : (y))
#define CLAMP(x, lo, hi) MIN(MAX(x, lo), hi)
    for (size_t i = 0; i < N; i++) {
        /* abs keeps MIN (wrapping negation, docs/spirv.md). */
        expect_int("abs i8", i, (int8_t)(a8[i] < 0 ? -a8[i] : a8[i]), o8[4 * i]);
        expect_int("min i8", i, MIN(a8[i], b8[i]), o8[4 * i + 1]);
        expect_int("max i8", i, MAX(a8[i], b8[i]), o8[4 * i + 2]);
        expect_int("clamp i8", i, CLAMP(a8[i], -50, 60), o8[4 * i + 3]);
        expect_int("abs i16", i, (int16_t)(a16[i] < 0 ? -a16[i] : a16[i]), o16[4 * i]);
        expect_int("min i16", i, MIN(a16[i], b16[i]), o16[4 * i + 1]);
        expect_int("max i16", i, MAX(a16[i], b16[i]), o16[4 * i + 2]);
        expect_int("clamp i16", i, CLAMP(a16[i], -3000, 20000), o16[4 * i + 3]);
        expect_int("abs u16", i, au16[i], ou16[4 * i]);
        expect_int("min u16", i, MIN(au16[i], bu16[i]), ou16[4 * i + 1]);
        expect_int("max u16", i, MAX(au16[i], bu16[i]), ou16[4 * i + 2]);
        expect_int("clamp u16", i, CLAMP(au16[i], 1000, 50000), ou16[4 * i + 3]);
        int64_t ab = a64[i] == INT64_MIN ? INT64_MIN : a64[i] < 0 ? -a64[i] : a64[i];
        expect_int("abs i64", i, ab, o64[4 * i]);
        expect_int("min i64", i, MIN(a64[i], b64[i]), o64[4 * i + 1]);
        expect_int("max i64", i, MAX(a64[i], b64[i]), o64[4 * i + 2]);
        expect_int("clamp i64", i, CLAMP(a64[i], -5000000000, 7000000000), o64[4 * i + 3]);
        expect_u64("abs u64", i, au64[i], ou64[4 * i]);
        expect_u64("min u64", i, MIN(au64[i], bu64[i]), ou64[4 * i + 1]);
        expect_u64("max u64", i, MAX(au64[i], bu64[i]), ou64[4 * i + 2]);
        expect_u64("clamp u64", i, CLAMP(au64[i], 0x100000000u, 0x8000000000000000u),
                   ou64[4 * i + 3]);
    }
    for (int j = 0; j < 15; j++)
        claw_free(d[j]);
}

/* ---- structs, arrays, loops, select ------------------------------------------------ */

/* The reference of kernel `control` for thread i (see builtins.claw). */
static void
control_ref(const Outer *p, uint32_t i, int32_t x, int32_t o[12], double fo[2])
{
    o[0] = (int32_t)p->id + p->inner.w[i % 3];
    int32_t t = x % 50;
    o[1] = -1;
    for (int j = 0; j < 3; j++)
        if (p->inner.w[j] > t) {
            o[1] = j;
            break;
        }
    int32_t lit[8] = {3, 1, 4, 1, 5, 9, 2, 6};
    lit[x & 3] += 10;
    o[2] = lit[x & 7];
    o[3] = 7 * x + 1;
    o[4] = 0;
    for (int j = 0; j < 8; j++)
        o[4] += j * lit[j];
    o[5] = 0;
    for (int j = 0; j < (x & 15); j++)
        o[5] += j ^ x;
    int32_t lim = x % 20, j = 0, ws = 0;
    while (j < lim) {
        j++;
        if (j % 3 == 0)
            continue;
        if (j > 15)
            break;
        ws += j;
    }
    o[6] = ws;
    o[7] = x + 1;
    o[8] = (int32_t)((uint32_t)x * 3u - 2u);
    o[9] = x > 0 ? x : -x;
    o[10] = x % 2 == 0 ? 7 : 9;
    int32_t kk = x % 7;
    o[11] = p->inner.w[2] * kk + (int32_t)(p->inner.s * 2.0f);
    fo[0] = x < 0 ? p->scale : -p->scale;
    fo[1] = x < 0 ? (x % 2 == 0 ? 0.5 : -0.5) : 0.5;
}

static void
check_control(claw_device *dev, claw_module *mod)
{
    claw_kernel *k;
    E2E_CHECK(control_get(mod, &k));
    enum { N = 200 };
    Outer p;
    memset(&p, 0, sizeof p);
    p.id = (uint32_t)rng_range(0, 1000);
    for (int j = 0; j < 3; j++)
        p.inner.w[j] = (int32_t)rng_range(-60, 60);
    p.inner.s = (float)rng_range(-40, 40) / 4;
    p.scale = rng_real(-100, 100);
    int32_t d[N], out[N * 12];
    double fo[N * 2];
    for (int i = 0; i < N; i++)
        d[i] = (int32_t)rng_range(-100, 100);
    claw_buffer *dd = e2e_upload(dev, d, sizeof d), *dout = e2e_upload(dev, NULL, sizeof out),
                *dfo = e2e_upload(dev, NULL, sizeof fo);
    const uint32_t grid[3] = {(N + 63) / 64, 1, 1}, block[3] = {64, 1, 1};
    E2E_CHECK(control_launch(k, grid, block, N, p, dd, dout, dfo));
    E2E_CHECK(claw_synchronize(dev));
    download_to(dout, out, sizeof out);
    download_to(dfo, fo, sizeof fo);
    static const char *const what[12] = {"nested struct argument, dynamic index",
                                         "early return in a loop (fn)",
                                         "array literal, dynamic index",
                                         "repeat array",
                                         "@unroll loop",
                                         "@unroll(4) loop",
                                         "while with break/continue",
                                         "fn returning a struct",
                                         "struct value in registers",
                                         "select i32",
                                         "select on a struct",
                                         "fn returning a struct with an array"};
    for (uint32_t i = 0; i < N; i++) {
        int32_t want[12];
        double want_f[2];
        control_ref(&p, i, d[i], want, want_f);
        for (int j = 0; j < 12; j++)
            expect_int(what[j], i, want[j], out[12 * i + j]);
        for (int j = 0; j < 2; j++) {
            checks++;
            if (fo[2 * i + j] != want_f[j])
                fail(j ? "select on a struct (f32 field)" : "select f64",
                     "[%u]: got %.17g, expected %.17g", i, fo[2 * i + j], want_f[j]);
        }
    }
    claw_free(dd);
    claw_free(dout);
    claw_free(dfo);
}

int
main(void)
{
    claw_device *dev = e2e_open_device();
    if (!dev)
        return E2E_SKIP;
    uint64_t seed = e2e_seed_env();
    printf("seed %llu (CLAW_SEED=%llu replays)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    rng_state = seed;
    claw_device_props props;
    E2E_CHECK(claw_device_props_get(dev, &props));
    printf("device: %s, subgroup size %u\n", props.name, props.subgroup_size);
    claw_module *mod;
    E2E_CHECK(builtins_module_load(dev, &mod));

    const uint32_t grid[3] = {3, 2, 2}, block[3] = {4, 2, 3}, grid_fixed[3] = {2, 3, 2};
    check_ids(dev, mod, "ids", grid, block, 0);
    check_ids(dev, mod, "ids_fixed", grid_fixed, block, 1);
    check_barrier(dev, mod);
    check_atomics_int(dev, mod, "i32", 4, 1);
    check_atomics_int(dev, mod, "u32", 4, 0);
    check_atomics_int(dev, mod, "i64", 8, 1);
    check_atomics_int(dev, mod, "u64", 8, 0);
    check_atomics_float(dev, mod);
    check_subgroups(dev, mod, props.subgroup_size);
    check_math(dev, mod, &F16);
    check_math(dev, mod, &F32);
    check_math(dev, mod, &F64);
    check_int_minmax(dev, mod);
    check_control(dev, mod);

    claw_module_unload(mod);
    claw_shutdown();
    for (int l = 0; l < nlabels; l++)
        if (labels[l].count > PRINT_PER_LABEL)
            printf("%s: %d mismatches in all\n", labels[l].name, labels[l].count);
    if (failures) {
        printf("builtins: FAILED: %d of %d checks differ (seed %llu)\n", failures, checks,
               (unsigned long long)seed);
        return 1;
    }
    printf("builtins: all %d checks match the C reference\n", checks);
    return 0;
}
