/* target.h: the interface every backend implements, and the table the
 * driver picks from. A target turns a verified IrModule into one file.
 *
 * Targets see only the IR (never the AST). LLVM-C headers appear only under
 * targets/llvm/, SPIR-V headers only under targets/spirv/. */
#ifndef CLAW_TARGET_H
#define CLAW_TARGET_H

#include "../ir/ir.h"

typedef enum EmitKind {
    EMIT_FATBIN,      /* driver only */
    EMIT_PTX,         /* nvptx: PTX text (the nvptx fat-binary image) */
    EMIT_AMDGPU_ASM,  /* amdgpu: assembly text */
    EMIT_AMDGPU_OBJ,  /* amdgpu: shared ELF code object linked by ld.lld (the amdgpu image) */
    EMIT_SPIRV,       /* spirv: binary module (the spirv image) */
    EMIT_SPIRV_ASM,   /* spirv: disassembly */
    EMIT_LLVM_IR,     /* nvptx, amdgpu: textual LLVM IR after optimisation */
    EMIT_CLAW_IR,     /* driver only */
    EMIT_C_HEADER,    /* driver only */
} EmitKind;

typedef struct TargetOptions {
    const char *arch;     /* "sm_90", "gfx942", "vulkan1.2" */
    int opt_level;        /* 0..3 */
    bool fp_contract;     /* false with -ffp-contract=off */
} TargetOptions;

/* Result of emit: 0 success; 1 the module could not be compiled (message
 * in *err, malloc'd; an internal error is reported through ICE instead);
 * 2 an environment problem such as a missing ld.lld (message in *err). */
typedef struct Target {
    const char *name;           /* "nvptx", "amdgpu", "spirv" as in --target */
    const char *default_arch;   /* "sm_80", "gfx90a", "vulkan1.2" */
    const char *arch_help;      /* for messages: "sm_75 ... sm_90a" */
    EmitKind image_kind;        /* what goes into a fat binary */
    bool (*arch_ok)(const char *arch);
    /* LLVM-style triple recorded in the fat binary for an arch
     * ("nvptx64-nvidia-cuda", "amdgcn-amd-amdhsa", "spirv64-unknown-vulkan1.2") */
    const char *(*triple)(const char *arch);
    bool (*can_emit)(EmitKind kind);
    int (*emit)(IrModule *m, const TargetOptions *o, EmitKind kind, Buf *out, char **err);
} Target;

/* targets/llvm/nvptx.c, targets/llvm/amdgpu.c, targets/spirv/spirv.c */
extern const Target llvm_nvptx_target;
extern const Target llvm_amdgpu_target;
extern const Target spv_target;

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
LlvmJitFn llvm_jit_func(LlvmJit *j, const char *name);
void llvm_jit_free(LlvmJit *j);

#endif
