/* bench.h: clawbench's internal interface (docs/clawbench.md).
 *
 * clawbench (clawbench.c) runs registered benchmarks: one per sample kernel,
 * defined in bench_suite.c as a table of Bench entries. A benchmark knows
 * its sizes, how to draw its inputs from a seed, its C reference and
 * tolerance, and the bytes and flops one run needs; clawbench.c knows how to
 * time, compare, tune and print. The shipped kernels are the samples' .claw
 * files, compiled by the build and embedded (bench_blobs.c).
 *
 * A benchmark's state lives in a BenchCase: up to BENCH_MAX_BUFS device
 * buffers, each with the host bytes that reset() writes into it before a
 * checked run (or zeroes), and the reference of one output buffer. setup()
 * fills it; enqueue() puts one run (one or more launches) on a stream; the
 * check is the same for every benchmark (bench_check in bench_suite.c). */
#ifndef CLAW_BENCH_H
#define CLAW_BENCH_H

#include <claw/claw.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { BENCH_MAX_BUFS = 8, BENCH_MAX_KERNELS = 4 };

/* splitmix64: a seed gives the same inputs on every machine and libc. */
typedef struct BenchRng {
    uint64_t state;
} BenchRng;

uint32_t bench_rng_u32(BenchRng *r);
float bench_rng_f32(BenchRng *r, float lo, float hi); /* uniform in [lo, hi), 24 random bits */

typedef enum BenchElem { BENCH_F32, BENCH_U32 } BenchElem;

typedef struct BenchCase {
    claw_device *dev;
    const claw_device_props *props;
    BenchRng rng;
    bool quick;                       /* --quick: the small sizes */
    char size[96];                    /* "n=8388608", for the report */
    double bytes;                     /* minimum bytes one run must move */
    double flops;                     /* floating-point operations of one run */
    claw_buffer *buf[BENCH_MAX_BUFS]; /* device buffers, NULL past the last */
    size_t buf_bytes[BENCH_MAX_BUFS];
    void *init[BENCH_MAX_BUFS]; /* host bytes reset() writes; NULL: zeroed */
    int out_buf;                /* the buffer the check reads */
    BenchElem out_elem;         /* its element type */
    size_t out_count;           /* elements compared (from the start) */
    double *want;               /* reference, out_count values */
    double *tol;                /* allowed |error| per element; NULL: exact */
    uint32_t u[8];              /* sizes and integer arguments */
    float f[8];                 /* float arguments */
} BenchCase;

typedef struct Bench {
    const char *name;   /* what `clawbench NAME` takes */
    const char *sample; /* samples/<sample>/<sample>.claw holds the shipped kernels */
    const char *kernels[BENCH_MAX_KERNELS]; /* kernel names, NULL-terminated, in enqueue order */
    bool fixed_block;                       /* the launch geometry needs the shipped @workgroup */
    const char *summary;                    /* one line for --list */
    const char *tolerance; /* how results are compared, for --list -v and the docs */
    /* Allocates and fills c (sizes from c->quick, inputs from c->rng, the
     * reference); returns false with a message in err. */
    bool (*setup)(BenchCase *c, char *err, size_t errlen);
    /* One run on stream s, the kernels in kernels[] order. */
    claw_status (*enqueue)(BenchCase *c, claw_kernel *const *k, claw_stream *s);
} Bench;

extern const Bench bench_table[];
extern const size_t bench_count;
const Bench *bench_find(const char *name);
/* The benchmark that launches kernel `kernel`, or NULL. */
const Bench *bench_for_kernel(const char *kernel);

/* Writes every buffer's initial bytes (inputs, zeroed outputs) on s. */
claw_status bench_reset(BenchCase *c, claw_stream *s);
/* Reads the output (after s is done) and compares it with the reference;
 * false with the first mismatches in why. *max_err: the largest error,
 * relative to its bound (1.0 = at the tolerance). */
bool bench_check(BenchCase *c, claw_stream *s, char *why, size_t whylen, double *max_err);
void bench_teardown(BenchCase *c);

/* The block a launch of k uses: its @workgroup, else `dflt` threads in x. */
void bench_block(claw_kernel *k, uint32_t dflt, uint32_t block[3]);

/* The embedded fat binaries (bench_blobs.c): one per sample, and clawbench's
 * own kernels for the device limits ("limits"). */
typedef struct BenchBlob {
    const char *name;
    const unsigned char *data;
    size_t size;
} BenchBlob;
const BenchBlob *bench_blob(const char *name);

#endif
