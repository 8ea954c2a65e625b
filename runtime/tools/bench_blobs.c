/* bench_blobs.c: the fat binaries clawbench ships, embedded at build time.
 *
 * runtime/tools/CMakeLists.txt compiles every sample's .claw (and
 * bench_limits.claw) with the clawc of the build, for SPIR-V, NVIDIA and AMD
 * (claw_add_fatbin ... EMBED), into headers that hold the bytes; this file
 * names them. So the benchmarks follow the samples: edit a sample, rebuild,
 * and clawbench times the new kernel. */
#include <string.h>

#include "bench.h"

#include "bench_limits.claw.h"
#include "gemm_tc.claw.h"
#include "histogram.claw.h"
#include "layernorm.claw.h"
#include "matmul.claw.h"
#include "reduction.claw.h"
#include "saxpy.claw.h"
#include "scan.claw.h"
#include "softmax.claw.h"
#include "stencil2d.claw.h"
#include "transpose.claw.h"
#include "vecadd.claw.h"

#define BLOB(name, bytes)                                                                          \
    {                                                                                              \
        name, bytes, sizeof bytes                                                                  \
    }

static const BenchBlob blobs[] = {
    BLOB("limits", bench_limits_clawfb), BLOB("gemm_tc", gemm_tc_clawfb),
    BLOB("histogram", histogram_clawfb),
    BLOB("layernorm", layernorm_clawfb), BLOB("matmul", matmul_clawfb),
    BLOB("reduction", reduction_clawfb), BLOB("saxpy", saxpy_clawfb),
    BLOB("scan", scan_clawfb),           BLOB("softmax", softmax_clawfb),
    BLOB("stencil2d", stencil2d_clawfb), BLOB("transpose", transpose_clawfb),
    BLOB("vecadd", vecadd_clawfb),
};

const BenchBlob *
bench_blob(const char *name)
{
    for (size_t i = 0; i < sizeof blobs / sizeof blobs[0]; i++)
        if (strcmp(blobs[i].name, name) == 0)
            return &blobs[i];
    return NULL;
}
