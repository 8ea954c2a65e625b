/* cimport_layout.h: a struct with awkward padding shared by the host and a
 * kernel (docs/language.md §9). The kernel fills every field; the host checks
 * each one where its own C compiler put it (offsetof), and that padding
 * bytes were not touched. */
#ifndef CIMPORT_LAYOUT_H
#define CIMPORT_LAYOUT_H
#include <stdbool.h>
#include <stdint.h>

#define FILL_MAGIC 0x5eedu

struct Inner {
    uint8_t tag;   /* 7 bytes of padding follow */
    int64_t big;
};

typedef struct {
    uint8_t a;     /* 7 bytes of padding follow */
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
    int8_t tail;   /* padded to the struct's alignment */
} Awkward;

#endif
