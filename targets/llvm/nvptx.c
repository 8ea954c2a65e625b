/* nvptx.c: the NVIDIA target: hooks of llvm.c for NVPTX and PTX emission.
 *
 * Builtins read the PTX special registers (%tid, %ctaid, %ntid, %nctaid,
 * %laneid) through the llvm.nvvm.read.ptx.sreg.* intrinsics; barrier() is
 * bar.sync 0, which also orders shared and global memory among the block's
 * threads (PTX ISA 9.7.13.1); atomics are monotonic atomicrmw (PTX atom
 * without a scope is .relaxed.gpu, which covers both the device scope of
 * global memory and the block scope of shared memory); subgroups are warps
 * of 32 with shfl.sync (idx, bfly, up, down), vote.sync, activemask and,
 * on sm_80+, redux.sync for integer reductions.
 * Kernels are marked through "nvvm.annotations" (kernel, reqntid). */
#include <string.h>

#include <llvm-c/Support.h>

#include "llvm_internal.h"

#include "claw/fatbin.h"

typedef struct NvArch {
    const char *name;
    const char *features; /* a PTX ISA version that the arch needs and CUDA 12+ ptxas accepts */
    int sm;
} NvArch;

static const NvArch nv_archs[] = {
    {"sm_75", "+ptx78", 75}, {"sm_80", "+ptx78", 80}, {"sm_86", "+ptx78", 86},
    {"sm_87", "+ptx78", 87}, {"sm_89", "+ptx78", 89}, {"sm_90", "+ptx78", 90},
    {"sm_90a", "+ptx80", 90},
};

static const NvArch *
nv_arch(const char *arch)
{
    for (size_t i = 0; i < sizeof nv_archs / sizeof nv_archs[0]; i++)
        if (arch && strcmp(arch, nv_archs[i].name) == 0)
            return &nv_archs[i];
    return NULL;
}

static bool
nv_arch_ok(const char *arch)
{
    return nv_arch(arch) != NULL;
}

static bool
nv_cpu_features(const char *arch, const char **cpu, const char **features)
{
    const NvArch *a = nv_arch(arch);
    if (!a)
        return false;
    *cpu = a->name;
    *features = a->features;
    return true;
}

static void
nv_init(void)
{
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
}

static LLVMValueRef
sreg(Lw *w, const char *name)
{
    return llvm_call_intrinsic(w, name, NULL, 0, NULL, 0);
}

static LLVMValueRef
nv_builtin_id(Lw *w, LlvmReg reg, int dim)
{
    static const char *const regs[4][3] = { /* by LlvmReg */
        {"llvm.nvvm.read.ptx.sreg.tid.x", "llvm.nvvm.read.ptx.sreg.tid.y", "llvm.nvvm.read.ptx.sreg.tid.z"},
        {"llvm.nvvm.read.ptx.sreg.ctaid.x", "llvm.nvvm.read.ptx.sreg.ctaid.y", "llvm.nvvm.read.ptx.sreg.ctaid.z"},
        {"llvm.nvvm.read.ptx.sreg.ntid.x", "llvm.nvvm.read.ptx.sreg.ntid.y", "llvm.nvvm.read.ptx.sreg.ntid.z"},
        {"llvm.nvvm.read.ptx.sreg.nctaid.x", "llvm.nvvm.read.ptx.sreg.nctaid.y",
         "llvm.nvvm.read.ptx.sreg.nctaid.z"},
    };
    return sreg(w, regs[reg][dim]);
}

static void
nv_barrier(Lw *w)
{
    /* bar.sync 0: execution barrier for the CTA that also makes prior memory
     * accesses of its threads visible to each other (PTX ISA 9.7.13.1) */
    llvm_call_intrinsic(w, "llvm.nvvm.barrier0", NULL, 0, NULL, 0);
}

static LLVMValueRef
nv_atomic(Lw *w, IrInst *in, LLVMAtomicRMWBinOp op, LLVMValueRef ptr, LLVMValueRef v,
          LLVMValueRef cmp)
{
    if (cmp) {
        LLVMValueRef r = LLVMBuildAtomicCmpXchg(w->b, ptr, cmp, v, LLVMAtomicOrderingMonotonic,
                                                LLVMAtomicOrderingMonotonic, 0);
        return LLVMBuildExtractValue(w->b, r, 0, "");
    }
    return LLVMBuildAtomicRMW(w->b, op, ptr, v, LLVMAtomicOrderingMonotonic, 0);
}

static LLVMValueRef
nv_lane_id(Lw *w)
{
    return sreg(w, "llvm.nvvm.read.ptx.sreg.laneid");
}

static unsigned
nv_subgroup_size(const char *arch)
{
    return 32;
}

static LLVMValueRef
nv_shuffle(Lw *w, LLVMValueRef x, LLVMValueRef b, LlvmShuffle mode)
{
    static const char *const names[4][2] = { /* by LlvmShuffle, then i32 / f32 */
        {"llvm.nvvm.shfl.sync.idx.i32", "llvm.nvvm.shfl.sync.idx.f32"},
        {"llvm.nvvm.shfl.sync.bfly.i32", "llvm.nvvm.shfl.sync.bfly.f32"},
        {"llvm.nvvm.shfl.sync.up.i32", "llvm.nvvm.shfl.sync.up.f32"},
        {"llvm.nvvm.shfl.sync.down.i32", "llvm.nvvm.shfl.sync.down.f32"},
    };
    bool f = LLVMGetTypeKind(LLVMTypeOf(x)) == LLVMFloatTypeKind;
    /* PTX ISA 9.7.9.6 shfl.sync: the source lane is b[4:0] (idx, bfly: lane
     * modulo 32); c = 0x1f clamps idx/bfly/down at lane 31, c = 0 clamps up
     * at lane 0; full mask (docs/language.md §7: uniform control flow) */
    unsigned c = mode == LLVM_SHFL_UP ? 0 : 0x1f;
    LLVMValueRef args[4] = {llvm_i32(w, 0xffffffffu), x, b, llvm_i32(w, c)};
    return llvm_call_intrinsic(w, names[mode][f], NULL, 0, args, 4);
}

static LLVMValueRef
nv_broadcast(Lw *w, LLVMValueRef x, LLVMValueRef lane)
{
    return nv_shuffle(w, x, lane, LLVM_SHFL_IDX);
}

static LLVMValueRef
nv_active_lanes(Lw *w)
{
    /* activemask.b32 (PTX ISA 9.7.13.12): the lanes executing it */
    LLVMValueRef m = llvm_call_intrinsic(w, "llvm.nvvm.activemask", NULL, 0, NULL, 0);
    return LLVMBuildZExt(w->b, m, LLVMInt64TypeInContext(w->ctx), "");
}

static LLVMValueRef
nv_vote(Lw *w, LLVMValueRef b, bool all)
{
    /* vote.sync.any/all.pred (PTX ISA 9.7.13.10), full mask */
    LLVMValueRef args[2] = {llvm_i32(w, 0xffffffffu), b};
    return llvm_call_intrinsic(w, all ? "llvm.nvvm.vote.all.sync" : "llvm.nvvm.vote.any.sync", NULL, 0,
                               args, 2);
}

static LLVMValueRef
nv_reduce(Lw *w, IrOp op, IrType *t, LLVMValueRef x)
{
    /* redux.sync (PTX ISA 9.7.12.10) needs sm_80 and covers 32-bit integers */
    const NvArch *a = nv_arch(w->o->arch);
    if (!a || a->sm < 80 || t->kind != IRT_INT)
        return NULL;
    const char *name = op == IR_SUBGROUP_SUM   ? "llvm.nvvm.redux.sync.add"
                       : op == IR_SUBGROUP_MIN ? (t->is_signed ? "llvm.nvvm.redux.sync.min" : "llvm.nvvm.redux.sync.umin")
                                               : (t->is_signed ? "llvm.nvvm.redux.sync.max" : "llvm.nvvm.redux.sync.umax");
    LLVMValueRef args[2] = {x, llvm_i32(w, 0xffffffffu)};
    return llvm_call_intrinsic(w, name, NULL, 0, args, 2);
}

/* ---- matrix units ------------------------------------------------------------ */

/* sm_80 and newer: mma.sync m16n8k16 with f16 or bf16 inputs and f32
 * accumulation (PTX ISA 9.7.14.5.8: both element types have the same
 * fragment layout), two per 16x16x16 tile, one per n8 half. sm_75 (Turing)
 * has f16 m16n8k8 only: four per tile on the same fragments
 * (ir_matrix_nv_k8_steps); a module with bf16 tiles takes the fallback
 * there (llvm.c asks ir_module_has_bf16_matrix, docs/matrix.md). */
static IrMmaKind
nv_mma_kind(const char *arch)
{
    const NvArch *a = nv_arch(arch);
    if (!a)
        return IR_MMA_NONE;
    return a->sm >= 80 ? IR_MMA_NV_M16N8K16 : a->sm >= 75 ? IR_MMA_NV_M16N8K8 : IR_MMA_NONE;
}

/* Four m16n8k8 per tile (sm_75, f16 only): the steps ir/matrix.c lists. */
static LLVMValueRef
nv_mma_k8(Lw *w, IrInst *in, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c)
{
    if (in->ops[0]->type->elem->is_bf16)
        ICE("bf16 tile product on sm_75's m16n8k8");
    const IrNvK8Step *steps = ir_matrix_nv_k8_steps();
    LLVMValueRef d = c;
    for (unsigned s = 0; s < 4; s++) {
        const IrNvK8Step *st = &steps[s];
        LLVMValueRef args[7];
        LLVMTypeRef h2 = LLVMVectorType(LLVMHalfTypeInContext(w->ctx), 2);
        for (unsigned r = 0; r < 3; r++) {
            /* a0a1, a2a3 and b0b1 as <2 x half> registers */
            LLVMValueRef src = r < 2 ? a : b;
            const uint8_t *slot = r < 2 ? &st->a[2 * r] : st->b;
            LLVMValueRef v = LLVMGetUndef(h2);
            for (unsigned i = 0; i < 2; i++)
                v = LLVMBuildInsertElement(w->b, v, LLVMBuildExtractValue(w->b, src, slot[i], ""),
                                           llvm_i32(w, i), "");
            args[r] = v;
        }
        for (unsigned i = 0; i < 4; i++)
            args[3 + i] = LLVMBuildExtractValue(w->b, d, st->acc[i], "");
        LLVMValueRef r = llvm_call_intrinsic(w, "llvm.nvvm.mma.m16n8k8.row.col.f32.f32", NULL, 0,
                                             args, 7);
        for (unsigned i = 0; i < 4; i++)
            d = LLVMBuildInsertValue(w->b, d, LLVMBuildExtractValue(w->b, r, i, ""), st->acc[i], "");
    }
    return d;
}

/* Elements lo and lo + 1 of the f16 or bf16 array value v as one 32-bit
 * register: <2 x half> for the f16 intrinsic, an i32 for the bf16 one
 * (element lo in the low half, as the PTX ISA's .bf16x2 packs them). */
static LLVMValueRef
nv_pair(Lw *w, LLVMValueRef v, unsigned lo, bool bf16)
{
    LLVMTypeRef et = bf16 ? LLVMBFloatTypeInContext(w->ctx) : LLVMHalfTypeInContext(w->ctx);
    LLVMValueRef r = LLVMGetUndef(LLVMVectorType(et, 2));
    for (unsigned i = 0; i < 2; i++)
        r = LLVMBuildInsertElement(w->b, r, LLVMBuildExtractValue(w->b, v, lo + i, ""),
                                   llvm_i32(w, i), "");
    return bf16 ? LLVMBuildBitCast(w->b, r, LLVMInt32TypeInContext(w->ctx), "") : r;
}

static LLVMValueRef
nv_mma(Lw *w, IrInst *in, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c)
{
    if (in->imm.index == IR_MMA_NV_M16N8K8)
        return nv_mma_k8(w, in, a, b, c);
    if (in->imm.index != IR_MMA_NV_M16N8K16)
        ICE("NVPTX has no mma kind %d", in->imm.index);
    const IrType *ae = in->ops[0]->type->elem;
    bool bf16 = ae->is_bf16;
    /* fragments of ir/matrix.c: a0..a7 in four 32-bit registers; b slots
     * 0..3 and accumulator slots 0..3 the n8 half of columns 0..7, slots
     * 4..7 that of columns 8..15 */
    LLVMValueRef d = LLVMGetUndef(LLVMArrayType2(LLVMFloatTypeInContext(w->ctx), 8));
    for (unsigned h = 0; h < 2; h++) {
        LLVMValueRef args[10] = {nv_pair(w, a, 0, bf16),     nv_pair(w, a, 2, bf16),
                                 nv_pair(w, a, 4, bf16),     nv_pair(w, a, 6, bf16),
                                 nv_pair(w, b, 4 * h, bf16), nv_pair(w, b, 4 * h + 2, bf16)};
        for (unsigned i = 0; i < 4; i++)
            args[6 + i] = LLVMBuildExtractValue(w->b, c, 4 * h + i, "");
        LLVMValueRef r = llvm_call_intrinsic(w,
                                             bf16 ? "llvm.nvvm.mma.m16n8k16.row.col.bf16"
                                                  : "llvm.nvvm.mma.m16n8k16.row.col.f32.f32",
                                             NULL, 0, args, 10);
        for (unsigned i = 0; i < 4; i++)
            d = LLVMBuildInsertValue(w->b, d, LLVMBuildExtractValue(w->b, r, i, ""), 4 * h + i, "");
    }
    return d;
}

static void
annotate(Lw *w, LLVMValueRef fn, const char *key, uint32_t v)
{
    LLVMMetadataRef ops[3] = {LLVMValueAsMetadata(fn), LLVMMDStringInContext2(w->ctx, key, strlen(key)),
                              LLVMValueAsMetadata(llvm_i32(w, v))};
    LLVMAddNamedMetadataOperand(w->mod, "nvvm.annotations",
                                LLVMMetadataAsValue(w->ctx, LLVMMDNodeInContext2(w->ctx, ops, 3)));
}

static void
nv_kernel_abi(Lw *w, IrFunc *f, LLVMValueRef fn)
{
    annotate(w, fn, "kernel", 1);
    if (f->workgroup[0]) {
        /* @workgroup: .reqntid lets ptxas size registers for the exact block */
        annotate(w, fn, "reqntidx", f->workgroup[0]);
        annotate(w, fn, "reqntidy", f->workgroup[1] ? f->workgroup[1] : 1);
        annotate(w, fn, "reqntidz", f->workgroup[2] ? f->workgroup[2] : 1);
    }
}

/* A bitcast between half and bfloat scalars, which GVN makes when one
 * address is loaded as f16 and as bf16 (through a pointer cast) and the two
 * loads merge, or when a stored f16 is forwarded to a bf16 load. LLVM 19's
 * NVPTX selector has no pattern for it ("Cannot select: bf16 = bitcast
 * f16"), and going through i16 does not help: the DAG combiner folds
 * bitcast(bitcast x) back into it. So the i16 passes through a mov.b16 in
 * inline assembly, which the combiner cannot see through and ptxas removes.
 * Vectors of either are selectable and left alone. */
static bool
half_bf16_cast(LLVMValueRef in)
{
    if (LLVMGetInstructionOpcode(in) != LLVMBitCast)
        return false;
    LLVMTypeKind to = LLVMGetTypeKind(LLVMTypeOf(in));
    LLVMTypeKind from = LLVMGetTypeKind(LLVMTypeOf(LLVMGetOperand(in, 0)));
    return (to == LLVMHalfTypeKind && from == LLVMBFloatTypeKind) ||
           (to == LLVMBFloatTypeKind && from == LLVMHalfTypeKind);
}

static void
nv_after_opt(Lw *w)
{
    LLVMTypeRef i16 = LLVMInt16TypeInContext(w->ctx);
    LLVMTypeRef fnty = LLVMFunctionType(i16, &i16, 1, 0);
    static const char text[] = "mov.b16 $0, $1;", cons[] = "=h,h";
    LLVMValueRef mov = LLVMGetInlineAsm(fnty, (char *)text, sizeof text - 1, (char *)cons,
                                        sizeof cons - 1, 0, 0, LLVMInlineAsmDialectATT, 0);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(w->ctx);
    for (LLVMValueRef fn = LLVMGetFirstFunction(w->mod); fn; fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef in = LLVMGetFirstInstruction(bb), next; in; in = next) {
                next = LLVMGetNextInstruction(in);
                if (!half_bf16_cast(in))
                    continue;
                LLVMPositionBuilderBefore(b, in);
                LLVMSetCurrentDebugLocation2(b, LLVMInstructionGetDebugLoc(in));
                LLVMValueRef bits = LLVMBuildBitCast(b, LLVMGetOperand(in, 0), i16, "");
                bits = LLVMBuildCall2(b, fnty, mov, &bits, 1, "");
                LLVMValueRef v = LLVMBuildBitCast(b, bits, LLVMTypeOf(in), "");
                LLVMReplaceAllUsesWith(in, v);
                LLVMInstructionEraseFromParent(in);
            }
    LLVMDisposeBuilder(b);
}

/* 2^f by MUFU.EX2: the PTX ISA documents ex2.approx.f32 within 2 ulp of
 * the correctly rounded result over its whole range; math.c only passes
 * arguments whose result is normal, so .ftz costs nothing (a subnormal f
 * gives 2^0 = 1, its correctly rounded value) and ptxas emits the single
 * instruction (without .ftz it adds a denormal-input scaling). */
static LLVMValueRef
nv_exp2_unit(Lw *w, LLVMValueRef f)
{
    return llvm_call_intrinsic(w, "llvm.nvvm.ex2.approx.ftz.f", NULL, 0, &f, 1);
}

/* 1/sqrt(x) by MUFU.RSQ: the PTX ISA documents rsqrt.approx.f32 within a
 * relative 2^-22.9 of the exact result over its whole range (2.14 ulp at
 * most), and -0 -> -inf, +0 -> +inf, x < 0 -> NaN, +inf -> +0; math.c
 * scales subnormal x to normal first, so .ftz loses nothing. */
static LLVMValueRef
nv_rsqrt_unit(Lw *w, LLVMValueRef x)
{
    return llvm_call_intrinsic(w, "llvm.nvvm.rsqrt.approx.ftz.f", NULL, 0, &x, 1);
}

static LLVMValueRef
nv_saturate(Lw *w, LLVMValueRef x)
{
    return llvm_call_intrinsic(w, "llvm.nvvm.saturate.f", NULL, 0, &x, 1);
}

static const LlvmHooks nv_hooks = {
    .triple = "nvptx64-nvidia-cuda",
    .shared_as = 3,
    .global_as = 1,
    .aggr_param_as = 0,
    .aggr_param_attr = "byval",
    .init = nv_init,
    .cpu_features = nv_cpu_features,
    .builtin_id = nv_builtin_id,
    .barrier = nv_barrier,
    .atomic = nv_atomic,
    .lane_id = nv_lane_id,
    .subgroup_size = nv_subgroup_size,
    .shuffle = nv_shuffle,
    .broadcast = nv_broadcast,
    .active_lanes = nv_active_lanes,
    .vote = nv_vote,
    .reduce = nv_reduce,
    .mma_kind = nv_mma_kind,
    .mma = nv_mma,
    .exp2_unit = nv_exp2_unit,
    .rsqrt_unit = nv_rsqrt_unit,
    .saturate = nv_saturate,
    .kernel_abi = nv_kernel_abi,
    .finish = NULL,
    .after_opt = nv_after_opt,
    /* like nvcc -lineinfo: .file/.loc only, so the PTX .target line stays
     * without ", debug" and ptxas optimises as usual */
    .di_kind = LLVM_DI_DIRECTIVES_ONLY,
    .dwarf_version = 2,
};

static const char *
nv_triple(const char *arch)
{
    return "nvptx64-nvidia-cuda";
}

static EmitStatus
nv_emit(IrModule *m, const TargetOptions *o, const TargetOutput *kind, Buf *out, char **err)
{
    size_t start = out->len;
    EmitStatus rc = llvm_emit_module(m, o, &nv_hooks, (LlvmOutput)kind->code, out, err);
    /* with line tables, LLVM ends the PTX with the .file directives and no
     * final newline; text files end with one */
    if (rc == EMIT_OK && kind->code == LLVM_OUT_ASM && out->len > start &&
        out->data[out->len - 1] != '\n')
        buf_append(out, "\n", 1);
    return rc;
}

/* The fat-binary image first (target.h). */
static const TargetOutput nv_outputs[] = {
    {"ptx", "ptx", "PTX text", CLAW_FB_IMG_PTX, LLVM_OUT_ASM},
    {"llvm-ir", "ll", "optimised LLVM IR", 0, LLVM_OUT_IR},
};

const Target llvm_nvptx_target = {
    .name = "nvptx",
    .default_arch = "sm_80",
    .arch_help = "sm_75 sm_80 sm_86 sm_87 sm_89 sm_90 sm_90a",
    .help = "NVIDIA GPUs: PTX for the CUDA driver",
    .outputs = nv_outputs,
    .noutputs = sizeof nv_outputs / sizeof nv_outputs[0],
    .arch_ok = nv_arch_ok,
    .triple = nv_triple,
    .emit = nv_emit,
};
