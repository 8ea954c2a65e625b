/* bench_host.h: the parts of clawbench around the benchmarks: options, the
 * device and its limits, timing, candidates (bench_run.c) and tuning
 * (bench_tune.c). docs/clawbench.md says what each prints. */
#ifndef CLAW_BENCH_HOST_H
#define CLAW_BENCH_HOST_H

#include <stdio.h>

#include <claw/fatbin.h>

#include "bench.h"

enum { BENCH_MAX_FILTER = 16 };

typedef struct BenchOpts {
    const char *name;                      /* the benchmark, or NULL */
    const char *candidate;                 /* --candidate FILE */
    const char *device;                    /* --device D */
    const char *tune;                      /* --tune FILE */
    const char *output;                    /* -o OUT (with --tune) */
    const char *clawc;                     /* --clawc PATH */
    const char *kernels[BENCH_MAX_FILTER]; /* --kernel K (with --tune) */
    int nkernels;
    bool json, list, all, quick, full;
    bool no_limits;        /* --no-limits: no roofline */
    bool quick_auto; /* quick because the device is a CPU driver */
    int reps, warmup;
    double target_ms;
    uint64_t seed;
} BenchOpts;

/* The device's measured limits (bench_limits.claw). */
typedef struct BenchLimits {
    double copy_gbps;  /* GB/s, 10^9 bytes per second */
    double fma_gflops; /* GFLOP/s, an fma counted as two */
} BenchLimits;

typedef struct BenchHost {
    const BenchOpts *o;
    claw_device *dev;
    claw_device_props props;
    int index; /* in the runtime's list */
    claw_stream *stream;
    claw_event *ev[2];
    BenchLimits limits;
} BenchHost;

/* One measured run of a benchmark's kernels. */
typedef struct BenchResult {
    bool right;
    char why[768];  /* the mismatches, or the launch error */
    double max_err; /* worst |error| / allowed (0: exact) */
    double median_ms, q1_ms, q3_ms, min_ms, max_ms;
    int reps, inner;
    double gbps, gflops, roofline;
    const char *bound; /* "memory" or "compute" */
} BenchResult;

int host_open(BenchHost *h, const BenchOpts *o);
void host_close(BenchHost *h);
int run_benchmarks(BenchHost *h);
int tune_file(BenchHost *h, const char *path);

/* Checks then times kernels k (in b->kernels order) on case c. Returns 0
 * (right or wrong: see r->right) or EXIT 2 with the error in r->why. */
int bench_measure(BenchHost *h, const Bench *b, BenchCase *c, claw_kernel *const *k,
                  BenchResult *r);
/* Sets up case c for b (sizes, inputs from the seed, reference). */
int bench_case_open(BenchHost *h, const Bench *b, BenchCase *c);
/* The kernels of b: from `test` where it has them (it may be NULL), the
 * rest from the shipped module; *from_test says how many came from test. */
int bench_kernels(BenchHost *h, const Bench *b, claw_module *shipped, claw_module *test,
                  claw_kernel **k, int *from_test, char *err, size_t errlen);
/* The shipped module of b, loaded once. */
claw_module *bench_shipped(BenchHost *h, const Bench *b, char *err, size_t errlen);
/* Whether kernel `got` can stand in for the shipped kernel `name` of b:
 * the same parameters (kinds, sizes, alignments) and, for a fixed_block
 * benchmark, the same @workgroup. */
bool bench_signature_ok(const Bench *b, const char *name, const claw_fb_kernel *got, char *why,
                        size_t whylen);

/* The whole file, malloc'd; NULL with errno set when it cannot be read. */
void *bench_read_file(const char *path, size_t *size);

void json_str(FILE *f, const char *s);
void json_num(FILE *f, double v);
void json_result(FILE *f, const BenchResult *r);
void json_device(FILE *f, const BenchHost *h);
const char *backend_name(claw_backend b);

#endif
