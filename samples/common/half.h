/* half.h: 16-bit float bits for the matrix samples' host programs
 * (gemm_tc, attention, claw_throughput's matrix rows). Apart from sample.h
 * because it needs the compiler's _Float16 (GCC 12 and clang on x86-64 and
 * AArch64), which the other samples do not. */
#ifndef CLAW_SAMPLES_HALF_H
#define CLAW_SAMPLES_HALF_H

#include <stdint.h>
#include <string.h>

/* 16-bit floats as the matrix samples pass them (docs/samples.md): IEEE
 * binary16 through the compiler's _Float16 (rounded to nearest even), and
 * bfloat16 as the high half of the f32 bits (the values the samples draw
 * are exact in bf16, so truncation is exact). */
static inline uint16_t
sample_f16_bits(double x)
{
    _Float16 h = (_Float16)x;
    uint16_t bits;
    memcpy(&bits, &h, sizeof bits);
    return bits;
}

static inline double
sample_f16_value(uint16_t bits)
{
    _Float16 h;
    memcpy(&h, &bits, sizeof h);
    return (double)h;
}

static inline uint16_t
sample_bf16_bits(double x)
{
    float f = (float)x;
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return (uint16_t)(bits >> 16);
}

static inline double
sample_bf16_value(uint16_t bits)
{
    uint32_t wide = (uint32_t)bits << 16;
    float f;
    memcpy(&f, &wide, sizeof f);
    return (double)f;
}

#endif
