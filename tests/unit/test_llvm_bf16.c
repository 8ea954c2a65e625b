/* test_llvm_bf16.c: bf16 arithmetic and conversions as ir/polyfill.c writes them
 * (IR_PF_BF16, docs/language.md §12), against C references that round once
 * from the exact value.
 *
 * Two parts:
 *   - The division algorithm itself (div_bf16 in ir/polyfill.c) as a C model
 *     whose f32 quotient is deliberately wrong by up to 3 ulp (Vulkan allows
 *     OpFDiv 2.5 ulp): every positive finite dividend against a sample of
 *     divisors, each with all seven errors -3..+3 ulp, must give the
 *     correctly rounded quotient. The model follows polyfill.c step by step,
 *     so this checks the claim that a few comparisons repair any such
 *     quotient.
 *   - The IR the polyfill writes, compiled for the host by the LLVM
 *     targets' own lowering (llvm_jit_new): division for every dividend
 *     against a sample of divisors and for random pairs, + - * % fma on random
 *     triples (fma over the whole range: products past f32's, subnormal and
 *     below) and near-tie cases, and the conversions from f32, f64, f16 and
 *     32/64-bit integers (the sticky-bit and round-to-odd paths), bit for
 *     bit. A NaN result must be a NaN (its payload is the target's).
 * Random inputs use a seed printed at the start (CLAW_TEST_SEED replays). */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ir/ir.h"
#include "targets/target.h"

#include "../common/half_ref.h"

static const SrcLoc L = {1, 1, 1};
static uint64_t rng;

static uint64_t
next64(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- references ---------------------------------------------------------- */

static uint32_t
f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float
f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static bool
same(uint16_t got, uint16_t want)
{
    bool gn = (got & 0x7fff) > 0x7f80, wn = (want & 0x7fff) > 0x7f80;
    return gn || wn ? gn && wn : got == want;
}

/* ---- the division algorithm with a bad f32 quotient ------------------------------ */

static uint16_t
rne_f32_to_bf16(float f)
{
    uint32_t b = f32_bits(f);
    if ((b & 0x7fffffff) > 0x7f800000)
        return (uint16_t)((b >> 16) | 0x40);
    return (uint16_t)((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

/* div_bf16 of ir/polyfill.c for positive finite A, B, with Q0 moved by err ulp */
static uint16_t
model_div(float A, float B, int err)
{
    float big = 0x1p64f, small = 0x1p-64f;
    float sb = B >= big ? small : B < small ? big : 1.0f;
    volatile float bs = B * sb;
    float q = A / bs;
    if (isfinite(q) && f32_bits(q) > 3) /* a positive finite quotient stays one */
        q = f32_from_bits(f32_bits(q) + (uint32_t)err);
    q *= sb;
    uint32_t cb = rne_f32_to_bf16(q);
    uint32_t hi = cb << 16 | 0x8000, lo = hi - 0x10000;
    float sc = A < 0x1p-100f ? big : 1.0f;
    float a2 = A * sc, phi = f32_from_bits(hi) * sc * B, plo = f32_from_bits(lo) * sc * B;
    bool odd = cb & 1;
    bool up = cb < 0x7f80 && (a2 > phi || (a2 == phi && odd));
    bool down = cb != 0 && (a2 < plo || (a2 == plo && odd));
    return (uint16_t)(up ? cb + 1 : down ? cb - 1 : cb);
}

START_TEST(division_repairs_a_bad_quotient)
{
    int bad = 0;
    long checked = 0;
    for (int k = 0; k < 48; k++) {
        /* divisors: the extremes and random positive finite ones */
        static const uint16_t fixed[] = {0x0001, 0x007f, 0x0080, 0x3f80, 0x3f81, 0x7f7f, 0x4000, 0x1f80};
        uint16_t hb = k < 8 ? fixed[k] : (uint16_t)(1 + next64() % 0x7f7f);
        float B = bf16_value(hb);
        for (uint32_t ha = 1; ha <= 0x7f7f; ha++) {
            float A = bf16_value((uint16_t)ha);
            uint16_t want = bf16_round((double)A / (double)B);
            for (int err = -3; err <= 3; err++) {
                uint16_t got = model_div(A, B, err);
                checked++;
                if (got != want && bad++ < 5)
                    fprintf(stderr, "model %a / %a (err %d) = 0x%04x, want 0x%04x\n", A, B, err,
                            got, want);
            }
        }
    }
    printf("division model: %ld quotients, %d wrong\n", checked, bad);
    ck_assert_int_eq(bad, 0);
}
END_TEST

/* ---- the polyfilled IR, JIT'd ------------------------------------------------------------ */

static LlvmJit *jit;

/* name(a: u16 bits[, b, c]) -> u16 bits of op on bf16 */
static void
build_op(IrModule *m, const char *name, IrOp op, int n)
{
    IrType *u16 = ir_type_int(m, 16, false), *bf = ir_type_bf16(m);
    IrParam ps[3] = {{"a", u16, L}, {"b", u16, L}, {"c", u16, L}};
    IrFunc *f = ir_func_new(m, name, false, u16, n, ps, L);
    IrBuilder b = {.m = m, .f = f, .r = &f->body, .loc = L};
    IrInst *args[3];
    for (int i = 0; i < n; i++)
        args[i] = ir_emit(&b, IR_BITCAST, bf, 1, &f->param_values[i]);
    IrInst *r = ir_emit(&b, op, bf, n, args);
    r = ir_emit(&b, IR_BITCAST, u16, 1, &r);
    ir_emit(&b, IR_RETURN, ir_type_void(m), 1, &r);
}

/* name(x: from) -> u16 bits of x as bf16 */
static void
build_from(IrModule *m, const char *name, IrType *from)
{
    IrType *u16 = ir_type_int(m, 16, false), *bf = ir_type_bf16(m);
    bool f16 = from->kind == IRT_FLOAT && from->bits == 16;
    IrParam p = {"x", f16 ? u16 : from, L};
    IrFunc *f = ir_func_new(m, name, false, u16, 1, &p, L);
    IrBuilder b = {.m = m, .f = f, .r = &f->body, .loc = L};
    IrInst *x = f->param_values[0];
    if (f16)
        x = ir_emit(&b, IR_BITCAST, from, 1, &x);
    IrInst *r = ir_cast(&b, x, bf);
    r = ir_emit(&b, IR_BITCAST, u16, 1, &r);
    ir_emit(&b, IR_RETURN, ir_type_void(m), 1, &r);
}

/* to_f16(x: u16 bf16 bits) -> u16 f16 bits; to_i32(x) -> i32 */
static void
build_to(IrModule *m, const char *name, IrType *to)
{
    IrType *u16 = ir_type_int(m, 16, false), *bf = ir_type_bf16(m);
    bool f16 = to->kind == IRT_FLOAT && to->bits == 16;
    IrParam p = {"x", u16, L};
    IrFunc *f = ir_func_new(m, name, false, f16 ? u16 : to, 1, &p, L);
    IrBuilder b = {.m = m, .f = f, .r = &f->body, .loc = L};
    IrInst *x = ir_emit(&b, IR_BITCAST, bf, 1, &f->param_values[0]);
    IrInst *r = ir_cast(&b, x, to);
    if (f16)
        r = ir_emit(&b, IR_BITCAST, u16, 1, &r);
    ir_emit(&b, IR_RETURN, ir_type_void(m), 1, &r);
}

static void
setup_jit(void)
{
    const char *s = getenv("CLAW_TEST_SEED");
    rng = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
    printf("test_llvm_bf16: random seed %" PRIu64 " (CLAW_TEST_SEED)\n", rng);
    fflush(stdout);
    IrModule *m = ir_module_new("bf16.claw");
    build_op(m, "add", IR_ADD, 2);
    build_op(m, "sub", IR_SUB, 2);
    build_op(m, "mul", IR_MUL, 2);
    build_op(m, "div", IR_DIV, 2);
    build_op(m, "fma", IR_FMA, 3);
    build_op(m, "sqrt", IR_SQRT, 1);
    build_op(m, "rem", IR_REM, 2);
    build_from(m, "from_f32", ir_type_float(m, 32));
    build_from(m, "from_f64", ir_type_float(m, 64));
    build_from(m, "from_f16", ir_type_float(m, 16));
    build_from(m, "from_i32", ir_type_int(m, 32, true));
    build_from(m, "from_u32", ir_type_int(m, 32, false));
    build_from(m, "from_i64", ir_type_int(m, 64, true));
    build_from(m, "from_u64", ir_type_int(m, 64, false));
    build_from(m, "from_i16", ir_type_int(m, 16, true));
    build_to(m, "to_f16", ir_type_float(m, 16));
    build_to(m, "to_f64", ir_type_float(m, 64));
    build_to(m, "to_i32", ir_type_int(m, 32, true));
    char *err = NULL;
    jit = llvm_jit_new(m, &err);
    if (!jit) {
        fprintf(stderr, "llvm_jit_new: %s\n", err ? err : "?");
        abort();
    }
    ir_module_free(m);
}

static void
teardown_jit(void)
{
    llvm_jit_free(jit);
    jit = NULL;
}

static LlvmJitFn
fn(const char *name)
{
    LlvmJitFn f = llvm_jit_func(jit, name);
    ck_assert_msg(f != NULL, "no JIT function %s", name);
    return f;
}

typedef uint16_t (*Bin)(uint16_t, uint16_t);

static double
x_of(uint16_t h)
{
    return bf16_value(h);
}

/* a random bf16: any bit pattern, or one near 1.0 in magnitude, or a subnormal */
static uint16_t
rand_bf16(void)
{
    uint64_t r = next64();
    switch (r % 4) {
    case 0: return (uint16_t)(r >> 16);
    case 1: return (uint16_t)(((r >> 16) & 0x807f) | (uint16_t)((127 - 8 + (r >> 32) % 16) << 7));
    case 2: return (uint16_t)((r >> 16) & 0x807f);
    default: return (uint16_t)(((r >> 16) & 0x80ff) | (uint16_t)(((r >> 40) % 255) << 7));
    }
}

START_TEST(division_every_dividend)
{
    Bin div = (Bin)fn("div");
    int bad = 0;
    long n = 0;
    for (int k = 0; k < 64; k++) {
        uint16_t hb = k == 0 ? 0x0001 : k == 1 ? 0x7f7f : k == 2 ? 0x8000 : k == 3 ? 0x7f80 : rand_bf16();
        for (uint32_t ha = 0; ha <= 0xffff; ha++) {
            uint16_t want = bf16_round((double)bf16_value((uint16_t)ha) / (double)bf16_value(hb));
            uint16_t got = div((uint16_t)ha, hb);
            n++;
            if (!same(got, want) && bad++ < 5)
                fprintf(stderr, "div 0x%04x / 0x%04x = 0x%04x, want 0x%04x\n", ha, hb, got, want);
        }
    }
    printf("division: %ld quotients, %d wrong\n", n, bad);
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(arithmetic_random)
{
    Bin add = (Bin)fn("add"), sub = (Bin)fn("sub"), mul = (Bin)fn("mul"), rem = (Bin)fn("rem");
    uint16_t (*fma3)(uint16_t, uint16_t, uint16_t) = (uint16_t (*)(uint16_t, uint16_t, uint16_t))fn("fma");
    uint16_t (*sq)(uint16_t) = (uint16_t (*)(uint16_t))fn("sqrt");
    int bad = 0;
    for (int i = 0; i < 1 << 20; i++) {
        uint16_t a = rand_bf16(), b = rand_bf16(), c = rand_bf16();
        if (i % 8 == 4) /* c a product's neighbour: cancellation in fma */
            c = (uint16_t)(bf16_round(-x_of(a) * x_of(b)) + (uint16_t)(next64() % 3) - 1);
        if (i % 8 == 0) /* b a half-ulp of a or less: ties and sticky bits for + */
            b = (uint16_t)((a & 0x8000) ^ (next64() & 0x8000)) |
                (uint16_t)((a & 0x7f80) > (9 << 7) ? (a & 0x7f80) - ((8 + next64() % 2) << 7) : 0) |
                (uint16_t)(next64() & 0x7f);
        double x = bf16_value(a), y = bf16_value(b), z = bf16_value(c);
        uint16_t want[6] = {bf16_round(x + y), bf16_round(x - y), bf16_round(x * y), 0,
                            bf16_round(sqrt(x)), bf16_round(fmod(x, y))};
        uint16_t got[6] = {add(a, b), sub(a, b), mul(a, b), 0, sq(a), rem(a, b)};
        /* fma: a*b is exact in double (any bf16 range); the sum rounded
         * to odd there (TwoSum) and then to bf16 is the one rounding */
        double p = x * y;
        double s = p + z;
        if (isfinite(s)) {
            double bb = s - p, e = (p - (s - bb)) + (z - bb);
            uint64_t sb;
            memcpy(&sb, &s, 8);
            if (e != 0 && !(sb & 1))
                sb += ((e > 0) == (s > 0)) ? 1 : (uint64_t)-1;
            memcpy(&s, &sb, 8);
        }
        want[3] = bf16_round(s);
        got[3] = fma3(a, b, c);
        static const char *names[6] = {"add", "sub", "mul", "fma", "sqrt", "rem"};
        for (int k = 0; k < 6; k++)
            if (!same(got[k], want[k]) && bad++ < 8)
                fprintf(stderr, "%s(0x%04x, 0x%04x, 0x%04x) = 0x%04x, want 0x%04x\n", names[k], a,
                        b, c, got[k], want[k]);
    }
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(conversions)
{
    uint16_t (*ff32)(float) = (uint16_t (*)(float))fn("from_f32");
    uint16_t (*ff64)(double) = (uint16_t (*)(double))fn("from_f64");
    uint16_t (*ff16)(uint16_t) = (uint16_t (*)(uint16_t))fn("from_f16");
    uint16_t (*fi32)(int32_t) = (uint16_t (*)(int32_t))fn("from_i32");
    uint16_t (*fu32)(uint32_t) = (uint16_t (*)(uint32_t))fn("from_u32");
    uint16_t (*fi64)(int64_t) = (uint16_t (*)(int64_t))fn("from_i64");
    uint16_t (*fu64)(uint64_t) = (uint16_t (*)(uint64_t))fn("from_u64");
    uint16_t (*fi16)(int16_t) = (uint16_t (*)(int16_t))fn("from_i16");
    uint16_t (*tf16)(uint16_t) = (uint16_t (*)(uint16_t))fn("to_f16");
    double (*tf64)(uint16_t) = (double (*)(uint16_t))fn("to_f64");
    int32_t (*ti32)(uint16_t) = (int32_t (*)(uint16_t))fn("to_i32");
    int bad = 0;
#define CHECK_CONV(what, got, want, fmt, x)                                                        \
    do {                                                                                           \
        uint16_t g_ = (got), w_ = (want);                                                          \
        if (!same(g_, w_) && bad++ < 8)                                                            \
            fprintf(stderr, what "(" fmt ") = 0x%04x, want 0x%04x\n", x, g_, w_);                  \
    } while (0)
    /* every f16 and every bf16 both ways */
    for (uint32_t h = 0; h <= 0xffff; h++) {
        CHECK_CONV("from_f16", ff16((uint16_t)h), bf16_round(f16_value((uint16_t)h)), "0x%04x", h);
        double v = bf16_value((uint16_t)h);
        uint16_t hf = tf16((uint16_t)h);
        double hv = f16_value(hf);
        /* f16 reference: v rounded to 11 bits (subnormal step 2^-24), overflow at 65520 */
        double want16 = v;
        if (isfinite(v) && v != 0) {
            int e;
            frexp(fabs(v), &e);
            int q = e - 11 < -24 ? -24 : e - 11;
            want16 = fabs(v) >= 65520.0 ? copysign(INFINITY, v) : ldexp(nearbyint(ldexp(v, -q)), q);
        }
        if (!(hv == want16 && signbit(hv) == signbit(want16)) && !(isnan(v) && isnan(hv)) && bad++ < 8)
            fprintf(stderr, "to_f16(0x%04x) = %a, want %a\n", h, hv, want16);
        double d = tf64((uint16_t)h);
        if (!(d == v || (isnan(d) && isnan(v))) && bad++ < 8)
            fprintf(stderr, "to_f64(0x%04x) = %a\n", h, d);
        int32_t i = ti32((uint16_t)h);
        int32_t wi = isnan(v) ? 0 : v >= 0x1p31 ? INT32_MAX : v <= -0x1p31 ? INT32_MIN : (int32_t)v;
        if (i != wi && bad++ < 8)
            fprintf(stderr, "to_i32(0x%04x) = %d, want %d\n", h, i, wi);
    }
    for (int32_t i = -32768; i <= 32767; i++)
        CHECK_CONV("from_i16", fi16((int16_t)i), bf16_round(i), "%d", i);
    for (int i = 0; i < 1 << 20; i++) {
        uint64_t r = next64();
        float f = f32_from_bits((uint32_t)r);
        CHECK_CONV("from_f32", ff32(f), bf16_round(f), "%a", f);
        /* f32 values a tie away and one ulp either side */
        uint32_t tie = (uint32_t)(r >> 32) & 0xffff0000u;
        for (uint32_t d = 0x7fff; d <= 0x8001; d++)
            CHECK_CONV("from_f32", ff32(f32_from_bits(tie | d)), bf16_round(f32_from_bits(tie | d)),
                       "%a", f32_from_bits(tie | d));
        double x;
        memcpy(&x, &r, 8);
        CHECK_CONV("from_f64", ff64(x), bf16_round(x), "%a", x);
        /* f64 just off a bf16 midpoint: double rounding through f32 would tie */
        double mid = ldexp((double)(257 + 2 * (r % 127)), (int)((r >> 8) % 200) - 100);
        double off = ldexp(mid, -40) * ((r >> 60) & 1 ? 1 : -1);
        CHECK_CONV("from_f64", ff64(mid + off), bf16_round(mid + off), "%a", mid + off);
        CHECK_CONV("from_f64", ff64(mid), bf16_round(mid), "%a", mid);
        int sh = (int)((r >> 58) & 63);
        uint64_t u = r >> sh;
        CHECK_CONV("from_u64", fu64(u), bf16_from_u64(u, false), "%" PRIu64, u);
        int64_t s = (int64_t)u * ((r & 1) ? -1 : 1);
        uint64_t mag = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
        CHECK_CONV("from_i64", fi64(s), bf16_from_u64(mag, s < 0), "%" PRId64, s);
        uint32_t u32 = (uint32_t)(r >> (sh & 31));
        CHECK_CONV("from_u32", fu32(u32), bf16_from_u64(u32, false), "%u", u32);
        int32_t s32 = (int32_t)u32;
        uint64_t m32 = s32 < 0 ? (uint64_t)(-(int64_t)s32) : (uint64_t)s32;
        CHECK_CONV("from_i32", fi32(s32), bf16_from_u64(m32, s32 < 0), "%d", s32);
    }
    /* the integer extremes and ties above 2^53 */
    static const int64_t ext[] = {INT64_MIN, INT64_MAX, (INT64_C(1) << 62) + (INT64_C(1) << 54) + 1,
                                  (INT64_C(1) << 62) + (INT64_C(1) << 54), -((INT64_C(1) << 62) + (INT64_C(1) << 54) + 1)};
    for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++) {
        uint64_t mag = ext[k] < 0 ? (uint64_t)0 - (uint64_t)ext[k] : (uint64_t)ext[k];
        CHECK_CONV("from_i64", fi64(ext[k]), bf16_from_u64(mag, ext[k] < 0), "%" PRId64, ext[k]);
    }
    CHECK_CONV("from_u64", fu64(UINT64_MAX), bf16_from_u64(UINT64_MAX, false), "%" PRIu64, UINT64_MAX);
    ck_assert_int_eq(bad, 0);
}
END_TEST

int
main(void)
{
    setup_jit();
    Suite *s = suite_create("bf16");
    TCase *tc = tcase_create("bf16");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, division_repairs_a_bad_quotient);
    tcase_add_test(tc, division_every_dividend);
    tcase_add_test(tc, arithmetic_random);
    tcase_add_test(tc, conversions);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    teardown_jit();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
