/* Structs with awkward padding: small integers before doubles, arrays,
 * nested structs and 64-bit fields. The host compiler's layout is the truth. */
#ifndef LAYOUT_H
#define LAYOUT_H
#include <stdint.h>
#include <stdbool.h>

struct Inner {
    uint8_t tag;
    int64_t big;
};

typedef struct {
    uint8_t a;
    double b;
    int16_t c;
    uint8_t d[3];
    struct Inner in;
    float f;
    bool flag;
    uint64_t wide;
    long l;
    unsigned short us;
    const float *ro;
    int32_t *rw;
} Awkward;

#endif
