/* llvm_internal.h: the shared IR -> LLVM IR lowering of targets/llvm and the
 * table of hooks by which nvptx.c and amdgpu.c specialise it.
 *
 * llvm.c walks the verified Claw IR once and builds an LLVM module through
 * the LLVM C API; everything that differs between NVIDIA and AMD (builtin
 * registers, barriers, atomic scopes, subgroup operations, the kernel ABI and
 * the final file) is a hook in LlvmHooks. math.c builds the accurate math
 * library (exp, log, sin, ...) as small internal LLVM functions, the same on
 * both targets. See docs/llvm-targets.md. */
#ifndef CLAW_LLVM_INTERNAL_H
#define CLAW_LLVM_INTERNAL_H

#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/TargetMachine.h>

#include "../target.h"

typedef struct Lw Lw;

/* The per-dimension registers a target reads (llvm.c computes global_id). */
typedef enum LlvmReg { LLVM_REG_THREAD_ID, LLVM_REG_BLOCK_ID, LLVM_REG_BLOCK_DIM, LLVM_REG_GRID_DIM } LlvmReg;

/* How a shuffle picks its source lane (docs/llvm-targets.md "Subgroups"). */
typedef enum LlvmShuffle {
    LLVM_SHFL_IDX,  /* lane b, taken modulo the subgroup size */
    LLVM_SHFL_XOR,  /* lane_id ^ b, modulo the subgroup size */
    LLVM_SHFL_UP,   /* lane_id - b; llvm.c uses the result only where b <= lane_id */
    LLVM_SHFL_DOWN, /* lane_id + b; llvm.c uses it only where that lane runs */
} LlvmShuffle;

typedef struct LlvmHooks {
    const char *triple;
    unsigned shared_as;        /* address space of shared memory (3 on both) */
    unsigned global_as;        /* address space of global pointers (1 on both) */
    unsigned aggr_param_as;    /* address space of by-pointer struct kernel params */
    const char *aggr_param_attr; /* "byval" (NVPTX) or "byref" (AMDGPU) */
    void (*init)(void);        /* registers the LLVM target */
    /* CPU name and feature string for an arch (e.g. "+ptx78"); returns false for an unknown arch. */
    bool (*cpu_features)(const char *arch, const char **cpu, const char **features);
    /* register reg of component dim, as i32 */
    LLVMValueRef (*builtin_id)(Lw *w, LlvmReg reg, int dim);
    void (*barrier)(Lw *w);
    /* atomicrmw `op` (the IR op's mapping is llvm.c's, once) or, when cmp
     * is non-NULL, cmpxchg (op is then unused), with the right scope */
    LLVMValueRef (*atomic)(Lw *w, IrInst *in, LLVMAtomicRMWBinOp op, LLVMValueRef ptr,
                           LLVMValueRef val, LLVMValueRef cmp);
    LLVMValueRef (*lane_id)(Lw *w);
    unsigned (*subgroup_size)(const char *arch);
    /* shuffle of an i32 or f32 value (llvm.c widens 16-bit ones) */
    LLVMValueRef (*shuffle)(Lw *w, LLVMValueRef x, LLVMValueRef b, LlvmShuffle mode);
    /* value x of lane `lane` (an i32 < subgroup size, uniform) */
    LLVMValueRef (*broadcast)(Lw *w, LLVMValueRef x, LLVMValueRef lane);
    /* the lanes of the subgroup that run this instruction, a bit each, as i64 */
    LLVMValueRef (*active_lanes)(Lw *w);
    /* whether b (i1) holds in any (all: every) running lane of the subgroup */
    LLVMValueRef (*vote)(Lw *w, LLVMValueRef b, bool all);
    /* optional: a native subgroup reduction, or NULL to use the butterfly */
    LLVMValueRef (*reduce)(Lw *w, IrOp op, IrType *t, LLVMValueRef x);
    /* optional: the matrix units of an arch (IR_MMA_NONE or NULL: the
     * fallback of ir/matrix.c), and the multiply-add of fragments a, b, c
     * (LLVM arrays, laid out as ir_matrix_frag_pos says) for MMA_FRAG */
    IrMmaKind (*mma_kind)(const char *arch);
    LLVMValueRef (*mma)(Lw *w, IrInst *in, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c);
    /* optional: the f32 hardware unit for 2^f (ex2.approx.ftz.f32,
     * v_exp_f32), which math.c's f32 exp and exp2 call on a reduced
     * argument whose result is normal; NULL: math.c's own polynomial
     * (docs/llvm-targets.md "Math accuracy") */
    LLVMValueRef (*exp2_unit)(Lw *w, LLVMValueRef f);
    /* optional: the f32 hardware unit for 1/sqrt(x) (rsqrt.approx.ftz.f32,
     * v_rsq_f32), which math.c's f32 rsqrt calls on x with subnormals
     * scaled up to normal (the unit may flush subnormal inputs); it must
     * give +-inf for +-0, NaN for x < 0 and NaN, 0 for +inf; NULL: 1 / sqrt
     * (docs/llvm-targets.md "f32 rsqrt on the hardware unit") */
    LLVMValueRef (*rsqrt_unit)(Lw *w, LLVMValueRef x);
    /* optional: the f32 hardware unit for log2 x (v_log_f32), which math.c's
     * f32 log2 calls on x with subnormals scaled up; it must give -inf for
     * +-0, NaN for x < 0 and NaN, +inf for +inf; NULL: math.c's own log2
     * (NVPTX: lg2.approx.f32's documented error is absolute, too large near
     * 1, docs/llvm-targets.md) */
    LLVMValueRef (*log2_unit)(Lw *w, LLVMValueRef x);
    /* optional: f32 x clamped to [0, 1], NaN to 0, in a form the target
     * folds into the instruction that made x (PTX cvt.sat.f32.f32, which
     * ptxas turns into FFMA.SAT); NULL: minnum and maxnum */
    LLVMValueRef (*saturate)(Lw *w, LLVMValueRef x);
    /* marks fn as a kernel (calling convention, metadata, attributes) */
    void (*kernel_abi)(Lw *w, IrFunc *f, LLVMValueRef fn);
    /* after lowering, before verification (e.g. link textual helpers) */
    bool (*finish)(Lw *w, char **err);
    /* optional: after the optimisation pipeline, before code generation
     * (rewrites what the optimiser made that the target cannot select) */
    void (*after_opt)(Lw *w);
    /* line tables: the compile unit's emission kind (an LLVMDWARFEmissionKind
     * value, or LLVM_DI_DIRECTIVES_ONLY) and the "Dwarf Version" module flag */
    unsigned di_kind;
    unsigned dwarf_version;
    /* f32 -> bf16 as integer operations (the host JIT: x86 would call
     * __truncsfbf2, which MCJIT cannot resolve); the GPUs' own is the same
     * rounding (cvt.rn.bf16.f32 on sm_80+, LLVM's expansion elsewhere) */
    bool bf16_by_bits;
} LlvmHooks;

/* DICompileUnit::DebugDirectivesOnly, which the C enum LLVMDWARFEmissionKind
 * does not name: .file/.loc directives but no DWARF sections (NVPTX, as
 * nvcc -lineinfo). The C API passes the value through unchanged. */
#define LLVM_DI_DIRECTIVES_ONLY 3u

/* Per-compilation lowering state. */
struct Lw {
    IrModule *m;
    const LlvmHooks *h;
    const TargetOptions *o;
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTargetMachineRef tm;
    unsigned private_as;       /* from the data layout's alloca address space */
    bool contract;             /* fp contraction allowed (-ffp-contract) */
    bool exact;                /* the instruction being lowered is IrInst.exact */
    LLVMValueRef *funcs;       /* by IrFunc.index */
    LLVMValueRef *shared;      /* by IrShared.index */
    void *structs;             /* struct type cache (llvm.c) */
    LLVMValueRef math_table;   /* math.c: the bits of 2/pi (TWO_OVER_PI), 0 until used */
    Buf helper_ir;             /* textual helper definitions (amdgpu.c) */
    int nhelpers;
    /* per function */
    IrFunc *f;
    LLVMValueRef fn;
    LLVMValueRef *vals;        /* by IrInst.id */
    LLVMBasicBlockRef brk_bb, cont_bb;
    /* line tables (docs/llvm-targets.md "Line information"); dib is NULL
     * when none are made (the host JIT) */
    LLVMDIBuilderRef dib;
    LLVMMetadataRef di_file;
    LLVMMetadataRef *di_subprograms; /* by IrFunc.index */
    SrcLoc di_loc;                   /* the builder's current location (line 0: none yet) */
};

/* What ir/polyfill.c writes for both LLVM targets (and the host JIT):
 * sdiv/udiv by 0 or MIN / -1 is undefined behaviour, a shift by the width
 * or more is poison; bf16 arithmetic goes through f32 (only fpext/fptrunc
 * and memory see `bfloat`: sm_80 has cvt.rn.bf16.f32 but no bf16 add,
 * AMDGPU before gfx950 no bf16 arithmetic at all). */
enum { LLVM_POLYFILL = IR_PF_INT_DIV | IR_PF_SHIFT | IR_PF_BF16 };

/* The function jit.c defines and llvm.c's host lowering calls for the
 * hardware 2^f unit (LlvmHooks.exp2_unit). */
#define LLVM_JIT_EXP2_UNIT "__claw_jit_exp2_unit"
/* ... and for the hardware 1/sqrt and log2 units (LlvmHooks.rsqrt_unit,
 * log2_unit). */
#define LLVM_JIT_RSQRT_UNIT "__claw_jit_rsqrt_unit"
#define LLVM_JIT_LOG2_UNIT  "__claw_jit_log2_unit"

/* llvm.c */
LLVMTypeRef llvm_type(Lw *w, IrType *t);     /* SSA type (bool is i1) */
LLVMTypeRef llvm_mem_type(Lw *w, IrType *t); /* in-memory type (bool is i8) */
LLVMValueRef llvm_call_intrinsic(Lw *w, const char *name, LLVMTypeRef *ovl, int novl,
                                 LLVMValueRef *args, int nargs);
LLVMValueRef llvm_i32(Lw *w, uint32_t v);
/* What llvm_emit_module writes (TargetOutput.code of the LLVM targets). */
typedef enum LlvmOutput {
    LLVM_OUT_IR,  /* textual LLVM IR after optimisation */
    LLVM_OUT_ASM, /* the target's assembly (PTX, AMDGPU assembly) */
    LLVM_OUT_OBJ, /* a relocatable object (amdgpu.c links it) */
} LlvmOutput;
/* Emits m for a target: the whole pipeline (lower, verify, optimise, emit). */
EmitStatus llvm_emit_module(IrModule *m, const TargetOptions *o, const LlvmHooks *h,
                            LlvmOutput kind, Buf *out, char **err);
char *llvm_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whole-file helpers for the tools the LLVM targets run (ld.lld, ptxas):
 * false when the file cannot be written or read completely. */
bool llvm_write_file(const char *path, const void *data, size_t len);
bool llvm_read_file(const char *path, Buf *out);
/* The math configurations the host JIT models (jit.c): */
typedef enum LlvmHostMath {
    LLVM_HOST_NVPTX,    /* NVPTX's hardware units (exp2, rsqrt) */
    LLVM_HOST_AMDGPU,   /* AMDGPU's (its log2 unit besides) */
    LLVM_HOST_FMA_FREE, /* no unit, the library without fma (IR_PF_FMA_TWICE: SPIR-V's) */
} LlvmHostMath;
/* Lowers the device functions of m (no kernels, no GPU builtins) into a new
 * verified, unoptimised module of ctx for tm's triple, all of them external;
 * NULL and *err for a module with a kernel. jit.c runs it on the host, with
 * the math library configured as `math` says. */
LLVMModuleRef llvm_lower_host(IrModule *m, LLVMContextRef ctx, LLVMTargetMachineRef tm,
                              LlvmHostMath math, char **err);

/* math.c: the value of a math op the target keeps (sqrt, and the ops of its
 * units: llvm_polyfill_flags) on a float operand */
LLVMValueRef llvm_math(Lw *w, IrOp op, IrType *t, LLVMValueRef x);
/* Word i (i32) of the table of 2/pi (IR_TWO_OVER_PI). */
LLVMValueRef llvm_two_over_pi(Lw *w, LLVMValueRef i);
/* The polyfill flags of a target with these hooks: LLVM_POLYFILL, the math
 * library, and the units the hooks have (IR_PF_UNIT_*). */
unsigned llvm_polyfill_flags(const LlvmHooks *h);

#endif
