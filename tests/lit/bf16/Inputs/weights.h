/* A C header shared with a kernel: __bf16 fields and a bf16 constant. */
#ifndef WEIGHTS_H
#define WEIGHTS_H
#include <stdint.h>

typedef struct {
    uint8_t kind;
    __bf16 scale;
    __bf16 taps[3];
    float bias;
    _Float16 half;
} Weights;

typedef __bf16 bf16_t;

struct Pair {
    bf16_t lo, hi;
};
#endif
