/* half_ref.h: C references for bf16 and binary16 shared by the tests that
 * check them bit for bit (tests/unit/test_llvm_bf16.c on the host JIT,
 * tests/e2e/bf16.c on a device): each rounding is done once, in double,
 * with the formats' exact spacings, independently of the code under test. */
#ifndef CLAW_TESTS_HALF_REF_H
#define CLAW_TESTS_HALF_REF_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline float
bf16_value(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* x rounded once to bf16 (8 significant bits, least normal exponent -126,
 * spacing 2^-133 below 2^-126, ties to even, overflow to inf), as bits; NaN
 * gives 0x7fc0. nearbyint on the exactly scaled value does the one
 * rounding. */
static inline uint16_t
bf16_round(double x)
{
    if (x != x)
        return 0x7fc0;
    uint16_t sign = signbit(x) ? 0x8000 : 0;
    double a = fabs(x);
    if (a == 0)
        return sign;
    if (a >= ldexp(2.0 - ldexp(1.0, -8), 127))
        return sign | 0x7f80;
    int e;
    frexp(a, &e);
    int q = e - 8 < -133 ? -133 : e - 8;
    float v = (float)ldexp(nearbyint(ldexp(a, -q)), q); /* exact in f32 */
    uint32_t u;
    memcpy(&u, &v, 4);
    return sign | (uint16_t)(u >> 16);
}

/* an integer magnitude rounded once to bf16, by integer arithmetic only
 * (a second opinion on bf16_round for the integer conversions) */
static inline uint16_t
bf16_from_u64(uint64_t m, bool neg)
{
    uint16_t sign = neg ? 0x8000 : 0;
    if (m == 0)
        return sign;
    int top = 63;
    while (!(m >> top))
        top--;
    if (top <= 7) {
        float f = (float)m;
        uint32_t u;
        memcpy(&u, &f, 4);
        return sign | (uint16_t)(u >> 16);
    }
    int sh = top - 7; /* keep 8 bits */
    uint64_t kept = m >> sh, rest = m & ((UINT64_C(1) << sh) - 1), half = UINT64_C(1) << (sh - 1);
    if (rest > half || (rest == half && (kept & 1)))
        kept++;
    if (kept == 256) {
        kept = 128;
        sh++;
    }
    uint32_t bits = (uint32_t)(sh + 7 + 127) << 23 | (uint32_t)(kept & 0x7f) << 16;
    return sign | (uint16_t)(bits >> 16); /* < 2^65: never past f32's range */
}

static inline double
f16_value(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return h & 0x8000 ? -v : v;
}

#endif
