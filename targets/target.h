/* target.h: the interface every backend implements, and the table the
 * driver picks from. A target turns a verified IrModule into one file.
 *
 * Targets see only the IR (never the AST). LLVM-C headers appear only under
 * targets/llvm/, SPIR-V headers only under targets/spirv/. */
#ifndef CLAW_TARGET_H
#define CLAW_TARGET_H

#include "../ir/ir.h"

#include <string.h>

/* One kind of file a target writes (`--emit=NAME`). Each target lists its
 * own in a table; the driver builds its --emit list, help, default names
 * and fat-binary image kinds from these tables (docs/adding-a-target.md). */
typedef struct TargetOutput {
    const char *name;        /* the --emit spelling: "ptx" (unique per target; two
                                targets may share one, e.g. "llvm-ir") */
    const char *ext;         /* default file extension: "ptx" */
    const char *help;        /* a few words for --help: "PTX text" */
    uint16_t fb_image_kind;  /* CLAW_FB_IMG_* of claw/fatbin.h when this output is
                                the target's fat-binary image, else 0 */
    int code;                /* the target's own code for it, read by its emit */
} TargetOutput;

typedef struct TargetOptions {
    const char *arch;     /* "sm_90", "gfx942", "vulkan1.2" */
    int opt_level;        /* 0..3 */
    bool fp_contract;     /* false with -ffp-contract=off (the one place it lives) */
} TargetOptions;

/* What emit did. On failure *err holds a malloc'd message (an internal
 * error is reported through ICE instead). */
typedef enum EmitStatus {
    EMIT_OK,
    EMIT_INPUT_ERROR, /* the module cannot be compiled for this target (exit 1) */
    EMIT_ENV_ERROR,   /* an environment problem such as a missing ld.lld (exit 2) */
} EmitStatus;

typedef struct Target {
    const char *name;           /* "nvptx", "amdgpu", "spirv" as in --target */
    const char *default_arch;   /* "sm_80", "gfx90a", "vulkan1.2" */
    const char *arch_help;      /* for messages: "sm_75 ... sm_90a" */
    const char *help;           /* for --help: "NVIDIA GPUs (PTX for the CUDA driver)" */
    const TargetOutput *outputs;/* what it can write, the fat-binary image first */
    int noutputs;
    bool (*arch_ok)(const char *arch);
    /* LLVM-style triple recorded in the fat binary for an arch
     * ("nvptx64-nvidia-cuda", "amdgcn-amd-amdhsa", "spirv64-unknown-vulkan1.2") */
    const char *(*triple)(const char *arch);
    /* Writes output kind `kind` (one of this target's outputs) of m to out. */
    EmitStatus (*emit)(IrModule *m, const TargetOptions *o, const TargetOutput *kind, Buf *out,
                       char **err);
} Target;

/* The output of t called name, or NULL when t cannot write it. */
static inline const TargetOutput *
target_output(const Target *t, const char *name)
{
    for (int i = 0; i < t->noutputs; i++)
        if (strcmp(t->outputs[i].name, name) == 0)
            return &t->outputs[i];
    return NULL;
}

/* The output that goes into a fat binary. */
static inline const TargetOutput *
target_image(const Target *t)
{
    return &t->outputs[0];
}

/* targets/llvm/nvptx.c, targets/llvm/amdgpu.c, targets/spirv/spirv.c */
extern const Target llvm_nvptx_target;
extern const Target llvm_amdgpu_target;
extern const Target spv_target;

/* targets/spirv/spirv.c: NULL when module m (which uses matrix tiles) can
 * be written as the cooperative-matrix image (arch SPIRV_COOPMAT_ARCH),
 * else why not (bf16 tiles; docs/spirv.md "Cooperative matrices"). */
#define SPIRV_COOPMAT_ARCH "vulkan1.3-coopmat"
const char *spv_coopmat_unsupported(IrModule *m);

/* targets/llvm/ptxas.c: PTX assembled into a cubin for arch (sm_XX) by the
 * CUDA toolkit's ptxas, for clawc --cubin. 0 success; 1 ptxas refused the
 * PTX; 2 no ptxas or another environment problem (message in *err). */
int nvptx_assemble_cubin(const Buf *ptx, const char *arch, int opt_level, bool line_info, Buf *out,
                         char **err);

/* targets/llvm/jit.c: the device functions of m (no kernels, no GPU
 * builtins) compiled for the host CPU by the LLVM targets' own lowering, so
 * that tests can call them (tests/unit/test_llvm_math.c). NULL and *err
 * (malloc'd) on failure; llvm_jit_func returns NULL for an unknown name. */
typedef struct LlvmJit LlvmJit;
typedef void (*LlvmJitFn)(void);
LlvmJit *llvm_jit_new(IrModule *m, char **err);
/* The same with the hardware units AMDGPU selects (NVPTX's, which
 * llvm_jit_new models, plus v_log_f32 for f32 log2). */
LlvmJit *llvm_jit_new_amdgpu_units(IrModule *m, char **err);
/* The same with the math library's fma-free configuration and no hardware
 * unit (IR_PF_FMA_TWICE: the one the SPIR-V target uses, so its math runs
 * on the host: tests/unit/test_llvm_math.c). The helpers' remaining
 * fallback fma (__claw_fma_f64 beyond the split's range) is the host's. */
LlvmJit *llvm_jit_new_fma_free(IrModule *m, char **err);
LlvmJitFn llvm_jit_func(LlvmJit *j, const char *name);
void llvm_jit_free(LlvmJit *j);
/* What the host runs for the GPUs' f32 hardware 2^f unit (ex2.approx.ftz.f32,
 * v_exp_f32), which f32 exp and exp2 use: the exact 2^f plus `ulps` of its
 * ulps, rounded to nearest (0 by default, the correctly rounded value; +-2
 * is the PTX ISA's documented worst case), subnormal results flushed to 0
 * as the units do. */
void llvm_jit_set_exp2_unit(int ulps);
/* ... and for their f32 hardware 1/sqrt unit (rsqrt.approx.ftz.f32,
 * v_rsq_f32), which f32 rsqrt uses: the float farthest from the exact
 * 1/sqrt(x) on the side of `ulps` within |ulps| ulps of it (0, the default:
 * correctly rounded; 1 is AMD's documented bound, 2^1.1 = 2.14 covers the
 * PTX ISA's relative 2^-22.9); subnormal inputs are flushed to zero of
 * their sign, as the units do, so math.c's scaling of them is tested. */
void llvm_jit_set_rsqrt_unit(double ulps);
/* ... and for AMDGPU's f32 log2 unit (v_log_f32), which f32 log2 uses
 * there: the same model around the exact log2 x (1 is AMD's documented
 * bound; an exact 0 stays 0); subnormal inputs give -inf. */
void llvm_jit_set_log2_unit(double ulps);

#endif
