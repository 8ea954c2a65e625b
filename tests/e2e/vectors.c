/* e2e test for vectors (docs/language.md §11): runs vectors.claw on device
 * 0 (CLAW_DEVICE picks it) on fresh random inputs (seed printed, CLAW_SEED
 * replays) and recomputes every result in C, bit for bit. The Body struct
 * and the vector types come from the generated header, so host and kernel
 * share one layout. Exit 77 when there is no device. */
#include <claw/claw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"
#include "vectors.claw.h"

enum { N = 1000, BLOCK = 64 };

static int failures, checks;

static void
fail_at(const char *what, size_t i, int c, double got, double want)
{
    if (failures++ < 20)
        printf("%s[%zu].%c: got %.17g, expected %.17g\n", what, i, "xyzw"[c], got, want);
}

static void
check(const char *what, size_t i, int c, double got, double want)
{
    checks++;
    if (!(got == want) && !(isnan(got) && isnan(want)))
        fail_at(what, i, c, got, want);
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

static long long
rng_range(long long lo, long long hi)
{
    return lo + (long long)(rng() % (uint64_t)(hi - lo + 1));
}

/* An exact f32: a multiple of 0.5 in [-512, 512]. */
static float
rng_half(void)
{
    return (float)rng_range(-1024, 1024) * 0.5f;
}

static const uint32_t grid[3] = {(N + BLOCK - 1) / BLOCK, 1, 1}, block[3] = {BLOCK, 1, 1};

static float
comp_f(const claw_vec4_f32 *v, int c)
{
    return c == 0 ? v->x : c == 1 ? v->y : c == 2 ? v->z : v->w;
}

static void
test_farith(claw_device *dev, claw_module *mod)
{
    static claw_vec4_f32 a[N], b[N], out[N];
    static claw_vec2_f32 red[N];
    static claw_vec4_i32 conv[N];
    for (int i = 0; i < N; i++) {
        a[i] = (claw_vec4_f32){rng_half(), rng_half(), rng_half(), rng_half()};
        b[i] = (claw_vec4_f32){rng_half(), rng_half(), rng_half(), rng_half()};
    }
    float s = (float)rng_range(-8, 8);
    claw_buffer *da = e2e_upload(dev, a, sizeof a), *db = e2e_upload(dev, b, sizeof b);
    claw_buffer *dout = e2e_upload(dev, NULL, sizeof out), *dred = e2e_upload(dev, NULL, sizeof red);
    claw_buffer *dconv = e2e_upload(dev, NULL, sizeof conv);
    claw_kernel *k;
    E2E_CHECK(farith_get(mod, &k));
    E2E_CHECK(farith_launch(k, grid, block, N, da, db, s, dout, dred, dconv));
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(dout, 0, out, sizeof out));
    E2E_CHECK(claw_read(dred, 0, red, sizeof red));
    E2E_CHECK(claw_read(dconv, 0, conv, sizeof conv));
    for (int i = 0; i < N; i++) {
        float d = 0, sm = 0;
        for (int c = 0; c < 4; c++) {
            float x = comp_f(&a[i], c), y = comp_f(&b[i], c), yr = comp_f(&b[i], 3 - c);
            float lo = x < y ? x : y;
            float m = lo > -100.0f ? lo : -100.0f;
            float sw = c == 0 ? a[i].x : c == 1 ? a[i].y : -b[i].z;
            check("farith", (size_t)i, c, comp_f(&out[i], c), (x * s - yr) / 2.0f + m - sw);
            d = c == 0 ? x * y : fmaf(x, y, d);
            sm += fabsf(x) + floorf(y * 0.25f);
            int32_t cv = c == 0 ? conv[i].x : c == 1 ? conv[i].y : c == 2 ? conv[i].z : conv[i].w;
            check("conv", (size_t)i, c, cv, (double)(int32_t)(x * 0.75f));
        }
        check("dot", (size_t)i, 0, red[i].x, d);
        check("sum", (size_t)i, 1, red[i].y, sm);
    }
    claw_free(da), claw_free(db), claw_free(dout), claw_free(dred), claw_free(dconv);
}

static int32_t
comp_i(const claw_vec4_i32 *v, int c)
{
    return c == 0 ? v->x : c == 1 ? v->y : c == 2 ? v->z : v->w;
}

static uint32_t
comp_u(const claw_vec4_u32 *v, int c)
{
    return c == 0 ? v->x : c == 1 ? v->y : c == 2 ? v->z : v->w;
}

static int32_t
rng_i32(void)
{
    switch (rng() % 4) {
    case 0: return (int32_t)rng_range(-3, 3);
    case 1: return INT32_MIN + (int32_t)rng_range(0, 1);
    default: return (int32_t)(uint32_t)rng();
    }
}

static void
test_iarith(claw_device *dev, claw_module *mod)
{
    static claw_vec4_i32 a[N], b[N], out[N];
    static claw_vec4_u32 sh[N];
    for (int i = 0; i < N; i++) {
        a[i] = (claw_vec4_i32){rng_i32(), rng_i32(), rng_i32(), rng_i32()};
        b[i] = (claw_vec4_i32){rng_i32(), rng_i32(), (int32_t)rng_range(-1, 40), -1};
    }
    claw_buffer *da = e2e_upload(dev, a, sizeof a), *db = e2e_upload(dev, b, sizeof b);
    claw_buffer *dout = e2e_upload(dev, NULL, sizeof out), *dsh = e2e_upload(dev, NULL, sizeof sh);
    claw_kernel *k;
    E2E_CHECK(iarith_get(mod, &k));
    E2E_CHECK(iarith_launch(k, grid, block, N, da, db, dout, dsh));
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(dout, 0, out, sizeof out));
    E2E_CHECK(claw_read(dsh, 0, sh, sizeof sh));
    for (int i = 0; i < N; i++) {
        for (int c = 0; c < 4; c++) {
            int32_t x = comp_i(&a[i], c), y = comp_i(&b[i], c), d = y == 0 ? 1 : y;
            uint32_t ux = (uint32_t)x, uy = (uint32_t)y;
            /* Claw's rules in C: wrapping through unsigned, MIN / -1 == MIN,
             * MIN % -1 == 0, shift amounts modulo 32, >> arithmetic */
            uint32_t q = (x == INT32_MIN && d == -1) ? ux : (uint32_t)(x / d);
            uint32_t r = (x == INT32_MIN && d == -1) ? 0 : (uint32_t)(x % d);
            uint32_t sr = (uint32_t)(x >> (uy & 31));
            uint32_t want = ux * uy + q - r + sr - (~ux & 255u);
            check("iarith", (size_t)i, c, (double)(uint32_t)comp_i(&out[i], c), (double)want);
            uint32_t w4 = c == 0 ? (uint32_t)a[i].w : (uint32_t)c;
            uint32_t ws = ((ux << (uy & 31)) ^ (ux >> 3)) | w4;
            check("shift", (size_t)i, c, (double)comp_u(&sh[i], c), (double)ws);
        }
    }
    claw_free(da), claw_free(db), claw_free(dout), claw_free(dsh);
}

static void
test_swz(claw_device *dev, claw_module *mod)
{
    static claw_vec4_u32 v[N], out[N], mask[N];
    static claw_vec3_u32 out3[N];
    static uint32_t idx[N];
    for (int i = 0; i < N; i++) {
        v[i] = (claw_vec4_u32){(uint32_t)rng_range(0, 20), (uint32_t)rng_range(0, 20),
                               (uint32_t)rng_range(0, 20), (uint32_t)rng_range(0, 20)};
        idx[i] = (uint32_t)rng_range(0, 200);
    }
    claw_buffer *dv = e2e_upload(dev, v, sizeof v), *didx = e2e_upload(dev, idx, sizeof idx);
    claw_buffer *dout = e2e_upload(dev, NULL, sizeof out), *d3 = e2e_upload(dev, NULL, sizeof out3);
    claw_buffer *dm = e2e_upload(dev, NULL, sizeof mask);
    claw_kernel *k;
    E2E_CHECK(swz_get(mod, &k));
    E2E_CHECK(swz_launch(k, grid, block, N, dv, didx, dout, d3, dm));
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(dout, 0, out, sizeof out));
    E2E_CHECK(claw_read(d3, 0, out3, sizeof out3));
    E2E_CHECK(claw_read(dm, 0, mask, sizeof mask));
    for (int i = 0; i < N; i++) {
        uint32_t k4 = idx[i];
        uint32_t w[4], vv[4] = {v[i].x, v[i].y, v[i].z, v[i].w};
        for (int c = 0; c < 4; c++)
            w[c] = vv[3 - c];
        w[k4 & 3] = 7;
        w[1] += 1;
        for (int c = 0; c < 4; c++)
            check("swz", (size_t)i, c, comp_u(&out[i], c), w[c]);
        check("swz3", (size_t)i, 0, out3[i].x, vv[0] + w[2]);
        check("swz3", (size_t)i, 1, out3[i].y, vv[0] + w[2]);
        check("swz3", (size_t)i, 2, out3[i].z, vv[k4 % 4]);
        bool m[4];
        for (int c = 0; c < 4; c++)
            m[c] = vv[c] > w[c];
        m[k4 & 3] = !m[k4 & 3];
        m[0] = m[0] | (k4 > 100);
        uint32_t any = m[0] || m[1] || m[2] || m[3], all = m[0] && m[1] && m[2] && m[3];
        uint32_t other[4] = {any, all, 0, 0};
        for (int c = 0; c < 4; c++)
            check("mask", (size_t)i, c, comp_u(&mask[i], c), m[c] ? 10u : other[c]);
    }
    claw_free(dv), claw_free(didx), claw_free(dout), claw_free(d3), claw_free(dm);
}

static void
test_step(claw_device *dev, claw_module *mod)
{
    static Body in[N], out[N];
    for (int i = 0; i < N; i++) {
        in[i].pos = (claw_vec4_f32){rng_half(), rng_half(), rng_half(), rng_half()};
        in[i].vel = (claw_vec3_f32){rng_half(), rng_half(), rng_half()};
        in[i].id = (uint32_t)rng();
        in[i].h = (claw_vec2_u16){(uint16_t)rng(), (uint16_t)rng()};
    }
    float dt = 0.5f;
    claw_vec4_f32 g = {2.0f, -1.0f, 0.5f, 4.0f};
    claw_buffer *db = e2e_upload(dev, in, sizeof in);
    claw_kernel *k;
    E2E_CHECK(step_get(mod, &k));
    E2E_CHECK(step_launch(k, grid, block, N, db, dt, g));
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(db, 0, out, sizeof out));
    for (int i = 0; i < N; i++) {
        const Body *b = &in[i];
        claw_vec4_f32 p = {b->pos.x + b->vel.x * dt * g.x, b->pos.y + b->vel.y * dt * g.y,
                           b->pos.z + b->vel.z * dt * g.z, b->pos.w + 1.0f * g.w};
        claw_vec3_f32 v = {b->vel.x, b->vel.y, b->vel.x - p.w};
        p.y = v.x + v.y + v.z;
        for (int c = 0; c < 4; c++)
            check("step.pos", (size_t)i, c, comp_f(&out[i].pos, c), comp_f(&p, c));
        check("step.vel", (size_t)i, 0, out[i].vel.x, v.x);
        check("step.vel", (size_t)i, 1, out[i].vel.y, v.y);
        check("step.vel", (size_t)i, 2, out[i].vel.z, v.z);
        check("step.id", (size_t)i, 0, out[i].id, (uint32_t)(b->id * 3u + 1u));
        check("step.h", (size_t)i, 0, out[i].h.x, (uint16_t)(b->h.y + 1));
        check("step.h", (size_t)i, 1, out[i].h.y, (uint16_t)(b->h.x + 1));
    }
    claw_free(db);
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
    claw_module *mod;
    E2E_CHECK(vectors_module_load(dev, &mod));
    test_farith(dev, mod);
    test_iarith(dev, mod);
    test_swz(dev, mod);
    test_step(dev, mod);
    claw_module_unload(mod);
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
