/* throughput_matrix.h: the matrix-tile samples of claw_throughput
 * (throughput_matrix.c): gemm_tc and attention, timed and checked like the
 * others (docs/benchmarks.md "Run-time throughput"). */
#ifndef CLAW_THROUGHPUT_MATRIX_H
#define CLAW_THROUGHPUT_MATRIX_H

#include <claw/claw.h>

#include <stdbool.h>
#include <stddef.h>

#include "../../samples/common/sample.h"

/* Runs samples/gemm_tc and samples/attention on dev (small: lavapipe sizes),
 * prints one table row each, and returns the number of wrong results. */
size_t bench_matrix_samples(claw_device *dev, const claw_device_props *props, SampleRng *rng,
                            bool small, int warmup, int iters);

#endif
