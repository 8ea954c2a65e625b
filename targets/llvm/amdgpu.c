/* amdgpu.c: the AMD target: hooks of llvm.c for AMDGPU, and the code object.
 *
 * Ids come from llvm.amdgcn.workitem.id / workgroup.id; block and grid sizes
 * from code object v5's hidden kernel arguments (llvm.amdgcn.implicitarg.ptr:
 * block counts and group sizes), which the runtime fills at each launch, so
 * grid_dim needs no division by the block size.
 *
 * Atomics and barrier fences need LLVM sync scopes ("agent" for global
 * memory, "workgroup" for shared memory and barrier()), which the LLVM 19 C
 * API cannot set; they are written as tiny textual LLVM IR helper functions
 * (alwaysinline), parsed with LLVMParseIRInContext and linked into the
 * module before verification, then made internal.
 *
 * Matrix tiles: MFMA on gfx90a/gfx94x, WMMA on gfx110x, the fallback
 * elsewhere (amd_archs, docs/matrix.md).
 *
 * Subgroups: wave64 on gfx9 (gfx90a, gfx942), wave32 on gfx10+, fixed by
 * an explicit +wavefrontsize feature; lane id through mbcnt, shuffles
 * through ds_bpermute, broadcast through v_readlane, votes and the running
 * lanes through ballot; reductions by butterfly and scans by shuffle_up
 * steps (llvm.c).
 *
 * The object that LLVM emits is linked into a shared code object by ld.lld
 * from the same LLVM (lld has no C API), run in a private temp folder
 * under $TMPDIR (or /tmp) that is removed again on every path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llvm-c/IRReader.h>
#include <llvm-c/Linker.h>

#include "llvm_internal.h"

#include "claw/fatbin.h"

/* Each arch's wave size and matrix units (docs/matrix.md): MFMA 16x16x16
 * with f16 and bf16 (v_mfma_f32_16x16x16bf16_1k) on CDNA2 (gfx90a) and
 * CDNA3 (gfx940/941/942), WMMA on RDNA3 (gfx1100/1101/1102). gfx908 has
 * no 16x16x16 bf16 MFMA and gfx12's WMMA has another operand layout: they
 * take the fallback with the rest. */
typedef struct AmdArch {
    const char *name;
    unsigned wave;
    IrMmaKind mma;
} AmdArch;

static const AmdArch amd_archs[] = {
    {"gfx900", 64, IR_MMA_NONE},        {"gfx906", 64, IR_MMA_NONE},
    {"gfx908", 64, IR_MMA_NONE},        {"gfx90a", 64, IR_MMA_AMD_MFMA16},
    {"gfx940", 64, IR_MMA_AMD_MFMA16},  {"gfx941", 64, IR_MMA_AMD_MFMA16},
    {"gfx942", 64, IR_MMA_AMD_MFMA16},  {"gfx1010", 32, IR_MMA_NONE},
    {"gfx1030", 32, IR_MMA_NONE},       {"gfx1031", 32, IR_MMA_NONE},
    {"gfx1100", 32, IR_MMA_AMD_WMMA16}, {"gfx1101", 32, IR_MMA_AMD_WMMA16},
    {"gfx1102", 32, IR_MMA_AMD_WMMA16}, {"gfx1200", 32, IR_MMA_NONE},
    {"gfx1201", 32, IR_MMA_NONE},
};

static const AmdArch *
amd_arch(const char *arch)
{
    for (size_t i = 0; i < sizeof amd_archs / sizeof amd_archs[0]; i++)
        if (arch && strcmp(arch, amd_archs[i].name) == 0)
            return &amd_archs[i];
    return NULL;
}

static bool
amd_arch_ok(const char *arch)
{
    return amd_arch(arch) != NULL;
}

static bool
amd_cpu_features(const char *arch, const char **cpu, const char **features)
{
    const AmdArch *a = amd_arch(arch);
    if (!a)
        return false;
    *cpu = a->name;
    *features = a->wave == 64 ? "+wavefrontsize64" : "+wavefrontsize32";
    return true;
}

static void
amd_init(void)
{
    LLVMInitializeAMDGPUTargetInfo();
    LLVMInitializeAMDGPUTarget();
    LLVMInitializeAMDGPUTargetMC();
    LLVMInitializeAMDGPUAsmPrinter();
}

static unsigned
amd_subgroup_size(const char *arch)
{
    const AmdArch *a = amd_arch(arch);
    return a ? a->wave : 64;
}

/* A u16 or u32 at byte offset off of the pointer `intrinsic` returns
 * (the implicit kernel arguments), as i32. */
static LLVMValueRef
const_field(Lw *w, const char *intrinsic, unsigned off, unsigned bytes)
{
    LLVMValueRef dp = llvm_call_intrinsic(w, intrinsic, NULL, 0, NULL, 0);
    LLVMTypeRef i8 = LLVMInt8TypeInContext(w->ctx);
    LLVMValueRef idx = LLVMConstInt(LLVMInt64TypeInContext(w->ctx), off, 0);
    LLVMValueRef p = LLVMBuildGEP2(w->b, i8, dp, &idx, 1, "");
    LLVMTypeRef t = LLVMIntTypeInContext(w->ctx, bytes * 8);
    LLVMValueRef v = LLVMBuildLoad2(w->b, t, p, "");
    LLVMSetAlignment(v, bytes);
    /* neither changes during the dispatch */
    unsigned kind = LLVMGetMDKindIDInContext(w->ctx, "invariant.load", 14);
    LLVMSetMetadata(v, kind, LLVMMetadataAsValue(w->ctx, LLVMMDNodeInContext2(w->ctx, NULL, 0)));
    return bytes == 4 ? v : LLVMBuildZExt(w->b, v, LLVMInt32TypeInContext(w->ctx), "");
}

static LLVMValueRef
amd_builtin_id(Lw *w, LlvmReg reg, int dim)
{
    static const char *const tid[3] = {"llvm.amdgcn.workitem.id.x", "llvm.amdgcn.workitem.id.y",
                                       "llvm.amdgcn.workitem.id.z"};
    static const char *const bid[3] = {"llvm.amdgcn.workgroup.id.x", "llvm.amdgcn.workgroup.id.y",
                                       "llvm.amdgcn.workgroup.id.z"};
    switch (reg) {
    case LLVM_REG_THREAD_ID: return llvm_call_intrinsic(w, tid[dim], NULL, 0, NULL, 0);
    case LLVM_REG_BLOCK_ID: return llvm_call_intrinsic(w, bid[dim], NULL, 0, NULL, 0);
    /* AMDGPU code object v5 (LLVM 19's default, amdhsa.version 1.2):
     * hidden_block_count_x/y/z, u32 at offsets 0, 4, 8 of the implicit
     * kernel arguments, and hidden_group_size_x/y/z, u16 at 12, 14, 16,
     * which the HIP runtime fills at every launch (LLVM AMDGPUUsage, "Code
     * Object V5 Metadata"): no division of the dispatch packet's grid size
     * by the block size, and no dispatch pointer to keep in SGPRs. */
    case LLVM_REG_BLOCK_DIM:
        return const_field(w, "llvm.amdgcn.implicitarg.ptr", 12 + 2 * (unsigned)dim, 2);
    case LLVM_REG_GRID_DIM: return const_field(w, "llvm.amdgcn.implicitarg.ptr", 4 * (unsigned)dim, 4);
    }
    UNREACHABLE();
}

/* ---- textual helpers with sync scopes --------------------------------------------- */

/* Declares helper `name` of type ft in the module, and queues its textual
 * definition `def` (printf format) unless already there. */
static LLVMValueRef
helper(Lw *w, const char *name, LLVMTypeRef ft, const char *def)
{
    LLVMValueRef fn = LLVMGetNamedFunction(w->mod, name);
    if (fn)
        return fn;
    fn = LLVMAddFunction(w->mod, name, ft);
    buf_append(&w->helper_ir, def, strlen(def));
    w->nhelpers++;
    return fn;
}

static void
amd_barrier(Lw *w)
{
    /* release, s_barrier, acquire at workgroup scope: what HIP's
     * __syncthreads() does; orders shared and global accesses of the block */
    static const char def[] =
        "declare void @llvm.amdgcn.s.barrier()\n"
        "define void @__claw_barrier() alwaysinline nounwind {\n"
        "  fence syncscope(\"workgroup\") release\n"
        "  call void @llvm.amdgcn.s.barrier()\n"
        "  fence syncscope(\"workgroup\") acquire\n"
        "  ret void\n}\n";
    LLVMTypeRef ft = LLVMFunctionType(LLVMVoidTypeInContext(w->ctx), NULL, 0, 0);
    LLVMValueRef fn = helper(w, "__claw_barrier", ft, def);
    LLVMBuildCall2(w->b, ft, fn, NULL, 0, "");
}

/* LLVM's machine scheduler builds its dependence graph per region, a basic
 * block or the part of one between scheduling boundaries, and on AMDGPU
 * that graph costs time quadratic in the region (every vector instruction
 * reads `exec`: ScheduleDAGInstrs::addPhysRegDeps): a block of 16000
 * dependent statements took 9 s, one of 64000 minutes (docs/validation.md,
 * "Compile-time scaling"). So after the optimisation pipeline, a block
 * longer than AMD_SCHED_REGION instructions gets a
 * llvm.amdgcn.sched.barrier(0) every AMD_SCHED_REGION instructions: with
 * mask 0 no instruction crosses it and the scheduler starts a new region
 * there. No sample or test kernel has a block that long, so their code does
 * not change; a generated block that long loses only scheduling freedom
 * across a point it could not have used well anyway. */
enum { AMD_SCHED_REGION = 4096 };

static void
amd_after_opt(Lw *w)
{
    LLVMValueRef mask = LLVMConstInt(LLVMInt32TypeInContext(w->ctx), 0, 0);
    LLVMValueRef fn_barrier = NULL;
    LLVMTypeRef ft = NULL;
    LLVMBuilderRef b = LLVMCreateBuilderInContext(w->ctx);
    for (LLVMValueRef fn = LLVMGetFirstFunction(w->mod); fn; fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
            int run = 0;
            for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in; in = LLVMGetNextInstruction(in)) {
                if (LLVMGetInstructionOpcode(in) == LLVMPHI || ++run < AMD_SCHED_REGION)
                    continue;
                if (!fn_barrier) {
                    LLVMTypeRef i32 = LLVMInt32TypeInContext(w->ctx);
                    unsigned id = LLVMLookupIntrinsicID("llvm.amdgcn.sched.barrier",
                                                        strlen("llvm.amdgcn.sched.barrier"));
                    fn_barrier = LLVMGetIntrinsicDeclaration(w->mod, id, NULL, 0);
                    ft = LLVMFunctionType(LLVMVoidTypeInContext(w->ctx), &i32, 1, 0);
                }
                LLVMPositionBuilderBefore(b, in);
                LLVMBuildCall2(b, ft, fn_barrier, &mask, 1, "");
                run = 0;
            }
        }
    LLVMDisposeBuilder(b);
}

/* The textual IR spelling of an atomicrmw operation (LLVM LangRef). */
static const char *
rmw_name(LLVMAtomicRMWBinOp op)
{
    switch (op) {
    case LLVMAtomicRMWBinOpXchg: return "xchg";
    case LLVMAtomicRMWBinOpAdd: return "add";
    case LLVMAtomicRMWBinOpSub: return "sub";
    case LLVMAtomicRMWBinOpAnd: return "and";
    case LLVMAtomicRMWBinOpNand: return "nand";
    case LLVMAtomicRMWBinOpOr: return "or";
    case LLVMAtomicRMWBinOpXor: return "xor";
    case LLVMAtomicRMWBinOpMax: return "max";
    case LLVMAtomicRMWBinOpMin: return "min";
    case LLVMAtomicRMWBinOpUMax: return "umax";
    case LLVMAtomicRMWBinOpUMin: return "umin";
    case LLVMAtomicRMWBinOpFAdd: return "fadd";
    case LLVMAtomicRMWBinOpFSub: return "fsub";
    case LLVMAtomicRMWBinOpFMax: return "fmax";
    case LLVMAtomicRMWBinOpFMin: return "fmin";
    default: ICE("atomicrmw operation %d has no spelling here", (int)op);
    }
}

static LLVMValueRef
amd_atomic(Lw *w, IrInst *in, LLVMAtomicRMWBinOp rmw, LLVMValueRef ptr, LLVMValueRef v,
           LLVMValueRef cmp)
{
    IrType *t = in->type;
    IrType *pt = in->ops[0]->type;
    bool shared = pt->space == IR_SPACE_SHARED;
    unsigned as = shared ? w->h->shared_as : w->h->global_as;
    const char *op = cmp ? "cas" : rmw_name(rmw);
    const char *ty = ir_type_is_float(t) ? "float" : t->bits == 64 ? "i64" : "i32";
    /* docs/language.md §7: relaxed; device scope for global, block scope for shared */
    const char *scope = shared ? "workgroup" : "agent";
    char name[64], def[512];
    snprintf(name, sizeof name, "__claw_atomic_%s_%s_%u", op, ty, as);
    LLVMTypeRef vt = LLVMTypeOf(v);
    LLVMTypeRef pty = LLVMPointerTypeInContext(w->ctx, as);
    if (cmp) {
        snprintf(def, sizeof def,
                 "define %s @%s(ptr addrspace(%u) %%p, %s %%c, %s %%v) alwaysinline nounwind {\n"
                 "  %%r = cmpxchg ptr addrspace(%u) %%p, %s %%c, %s %%v syncscope(\"%s\") monotonic monotonic, align %u\n"
                 "  %%o = extractvalue { %s, i1 } %%r, 0\n"
                 "  ret %s %%o\n}\n",
                 ty, name, as, ty, ty, as, ty, ty, scope, (unsigned)t->size, ty, ty);
        LLVMTypeRef params[3] = {pty, vt, vt};
        LLVMTypeRef ft = LLVMFunctionType(vt, params, 3, 0);
        LLVMValueRef fn = helper(w, name, ft, def);
        LLVMValueRef args[3] = {ptr, cmp, v};
        return LLVMBuildCall2(w->b, ft, fn, args, 3, "");
    }
    snprintf(def, sizeof def,
             "define %s @%s(ptr addrspace(%u) %%p, %s %%v) alwaysinline nounwind {\n"
             "  %%r = atomicrmw %s ptr addrspace(%u) %%p, %s %%v syncscope(\"%s\") monotonic, align %u\n"
             "  ret %s %%r\n}\n",
             ty, name, as, ty, op, as, ty, scope, (unsigned)t->size, ty);
    LLVMTypeRef params[2] = {pty, vt};
    LLVMTypeRef ft = LLVMFunctionType(vt, params, 2, 0);
    LLVMValueRef fn = helper(w, name, ft, def);
    LLVMValueRef args[2] = {ptr, v};
    return LLVMBuildCall2(w->b, ft, fn, args, 2, "");
}

/* Parses the queued helpers and links them in, internal. */
static bool
amd_finish(Lw *w, char **err)
{
    if (!w->nhelpers)
        return true;
    LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)w->helper_ir.data,
                                                                       w->helper_ir.len, "claw-helpers");
    LLVMModuleRef hm;
    char *msg = NULL;
    if (LLVMParseIRInContext(w->ctx, mb, &hm, &msg))
        ICE("AMDGPU helper IR does not parse: %s", msg);
    LLVMSetTarget(hm, LLVMGetTarget(w->mod));
    LLVMSetDataLayout(hm, LLVMGetDataLayoutStr(w->mod));
    if (LLVMLinkModules2(w->mod, hm))
        ICE("AMDGPU helper IR does not link");
    for (LLVMValueRef fn = LLVMGetFirstFunction(w->mod); fn; fn = LLVMGetNextFunction(fn)) {
        size_t len;
        const char *n = LLVMGetValueName2(fn, &len);
        if (len > 7 && strncmp(n, "__claw_", 7) == 0 && !LLVMIsDeclaration(fn))
            LLVMSetLinkage(fn, LLVMInternalLinkage);
    }
    return true;
}

/* ---- subgroups ------------------------------------------------------------------ */

static LLVMValueRef
amd_lane_id(Lw *w)
{
    LLVMValueRef args[2] = {llvm_i32(w, 0xffffffffu), llvm_i32(w, 0)};
    LLVMValueRef lo = llvm_call_intrinsic(w, "llvm.amdgcn.mbcnt.lo", NULL, 0, args, 2);
    if (amd_subgroup_size(w->o->arch) == 32)
        return lo;
    args[1] = lo;
    return llvm_call_intrinsic(w, "llvm.amdgcn.mbcnt.hi", NULL, 0, args, 2);
}

static LLVMValueRef
amd_shuffle(Lw *w, LLVMValueRef x, LLVMValueRef b, LlvmShuffle mode)
{
    LLVMTypeRef i32 = LLVMInt32TypeInContext(w->ctx);
    LLVMTypeRef xt = LLVMTypeOf(x);
    bool f = LLVMGetTypeKind(xt) == LLVMFloatTypeKind;
    LLVMValueRef lane = b;
    if (mode == LLVM_SHFL_XOR)
        lane = LLVMBuildXor(w->b, amd_lane_id(w), b, "");
    else if (mode == LLVM_SHFL_UP)
        lane = LLVMBuildSub(w->b, amd_lane_id(w), b, "");
    else if (mode == LLVM_SHFL_DOWN)
        lane = LLVMBuildAdd(w->b, amd_lane_id(w), b, "");
    /* the lane modulo the wave size (a power of two), then ds_bpermute,
     * which takes a byte address: lane * 4 */
    lane = LLVMBuildAnd(w->b, lane, llvm_i32(w, amd_subgroup_size(w->o->arch) - 1), "");
    LLVMValueRef args[2] = {LLVMBuildShl(w->b, lane, llvm_i32(w, 2), ""),
                            f ? LLVMBuildBitCast(w->b, x, i32, "") : x};
    LLVMValueRef r = llvm_call_intrinsic(w, "llvm.amdgcn.ds.bpermute", NULL, 0, args, 2);
    return f ? LLVMBuildBitCast(w->b, r, xt, "") : r;
}

static LLVMValueRef
amd_broadcast(Lw *w, LLVMValueRef x, LLVMValueRef lane)
{
    /* the lane is uniform (docs/language.md §13): v_readlane into a scalar */
    LLVMTypeRef xt = LLVMTypeOf(x);
    LLVMValueRef args[2] = {x, lane};
    return llvm_call_intrinsic(w, "llvm.amdgcn.readlane", &xt, 1, args, 2);
}

/* ballot of b over the wave: a mask of wave-size bits, as i64 */
static LLVMValueRef
ballot(Lw *w, LLVMValueRef b)
{
    bool w32 = amd_subgroup_size(w->o->arch) == 32;
    LLVMTypeRef mt = w32 ? LLVMInt32TypeInContext(w->ctx) : LLVMInt64TypeInContext(w->ctx);
    LLVMValueRef m = llvm_call_intrinsic(w, "llvm.amdgcn.ballot", &mt, 1, &b, 1);
    return w32 ? LLVMBuildZExt(w->b, m, LLVMInt64TypeInContext(w->ctx), "") : m;
}

static LLVMValueRef
amd_active_lanes(Lw *w)
{
    return ballot(w, LLVMConstInt(LLVMInt1TypeInContext(w->ctx), 1, 0));
}

static LLVMValueRef
amd_vote(Lw *w, LLVMValueRef b, bool all)
{
    /* the ballot counts running lanes only (EXEC), so a partial wave votes
     * over the threads it has */
    LLVMValueRef m = ballot(w, b);
    if (all)
        return LLVMBuildICmp(w->b, LLVMIntEQ, m, amd_active_lanes(w), "");
    return LLVMBuildICmp(w->b, LLVMIntNE, m, LLVMConstInt(LLVMInt64TypeInContext(w->ctx), 0, 0), "");
}

static void
amd_kernel_abi(Lw *w, IrFunc *f, LLVMValueRef fn)
{
    LLVMSetFunctionCallConv(fn, LLVMAMDGPUKERNELCallConv);
    if (!f->workgroup[0])
        return;
    uint32_t x = f->workgroup[0], y = f->workgroup[1] ? f->workgroup[1] : 1,
             z = f->workgroup[2] ? f->workgroup[2] : 1;
    char v[32];
    snprintf(v, sizeof v, "%u,%u", x * y * z, x * y * z);
    const char *k = "amdgpu-flat-work-group-size";
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateStringAttribute(w->ctx, k, (unsigned)strlen(k), v, (unsigned)strlen(v)));
    LLVMMetadataRef ops[3] = {LLVMValueAsMetadata(llvm_i32(w, x)), LLVMValueAsMetadata(llvm_i32(w, y)),
                              LLVMValueAsMetadata(llvm_i32(w, z))};
    unsigned kind = LLVMGetMDKindIDInContext(w->ctx, "reqd_work_group_size", 20);
    LLVMGlobalSetMetadata(fn, kind, LLVMMDNodeInContext2(w->ctx, ops, 3));
}

/* ---- matrix units ------------------------------------------------------------ */

static IrMmaKind
amd_mma_kind(const char *arch)
{
    const AmdArch *a = amd_arch(arch);
    return a ? a->mma : IR_MMA_NONE;
}

/* The n slots of fragment array v as an LLVM vector: f32 as <n x float>,
 * f16 as <n x half>, bf16 as <n x i16> (the bf16 intrinsics take the bits). */
static LLVMValueRef
amd_vec(Lw *w, LLVMValueRef v, unsigned n, const IrType *et)
{
    LLVMTypeRef t = et->bits == 32  ? LLVMFloatTypeInContext(w->ctx)
                    : et->is_bf16 ? LLVMBFloatTypeInContext(w->ctx)
                                  : LLVMHalfTypeInContext(w->ctx);
    LLVMValueRef r = LLVMGetUndef(LLVMVectorType(t, n));
    for (unsigned i = 0; i < n; i++)
        r = LLVMBuildInsertElement(w->b, r, LLVMBuildExtractValue(w->b, v, i, ""), llvm_i32(w, i),
                                   "");
    if (et->is_bf16)
        r = LLVMBuildBitCast(w->b, r, LLVMVectorType(LLVMInt16TypeInContext(w->ctx), n), "");
    return r;
}

/* One matrix instruction per tile, on the fragments of ir/matrix.c: MFMA
 * takes 4 slots of A, B and the accumulator (cbsz, abid, blgp 0: no
 * broadcast), WMMA 16 of A and B and 8 of the accumulator. */
static LLVMValueRef
amd_mma(Lw *w, IrInst *in, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c)
{
    const IrType *ae = in->ops[0]->type->elem, *ce = in->ops[2]->type->elem;
    bool bf16 = ae->is_bf16;
    LLVMValueRef r;
    unsigned nc;
    if (in->imm.index == IR_MMA_AMD_MFMA16) {
        nc = 4;
        LLVMValueRef args[6] = {amd_vec(w, a, 4, ae), amd_vec(w, b, 4, ae), amd_vec(w, c, 4, ce),
                                llvm_i32(w, 0), llvm_i32(w, 0), llvm_i32(w, 0)};
        r = llvm_call_intrinsic(w,
                                bf16 ? "llvm.amdgcn.mfma.f32.16x16x16bf16.1k"
                                     : "llvm.amdgcn.mfma.f32.16x16x16f16",
                                NULL, 0, args, 6);
    } else if (in->imm.index == IR_MMA_AMD_WMMA16) {
        nc = 8;
        LLVMValueRef args[3] = {amd_vec(w, a, 16, ae), amd_vec(w, b, 16, ae),
                                amd_vec(w, c, 8, ce)};
        LLVMTypeRef ovl[2] = {LLVMTypeOf(args[2]), LLVMTypeOf(args[0])};
        r = llvm_call_intrinsic(w,
                                bf16 ? "llvm.amdgcn.wmma.f32.16x16x16.bf16"
                                     : "llvm.amdgcn.wmma.f32.16x16x16.f16",
                                ovl, 2, args, 3);
    } else {
        ICE("AMDGPU has no mma kind %d", in->imm.index);
    }
    LLVMValueRef d = LLVMGetUndef(LLVMArrayType2(LLVMFloatTypeInContext(w->ctx), nc));
    for (unsigned i = 0; i < nc; i++)
        d = LLVMBuildInsertValue(w->b, d, LLVMBuildExtractElement(w->b, r, llvm_i32(w, i), ""), i,
                                 "");
    return d;
}

/* 2^f by v_exp_f32 (llvm.amdgcn.exp2: the bare instruction, without the
 * denormal scaling LLVM wraps around llvm.exp2); AMD's ISA guides give it
 * 1 ulp. math.c only passes arguments whose result is normal. */
static LLVMValueRef
amd_exp2_unit(Lw *w, LLVMValueRef f)
{
    LLVMTypeRef t = LLVMTypeOf(f);
    return llvm_call_intrinsic(w, "llvm.amdgcn.exp2", &t, 1, &f, 1);
}

/* 1/sqrt(x) by v_rsq_f32 (llvm.amdgcn.rsq, the bare instruction): AMD's
 * ISA guides and LLVM's AMDGPUUsage give it 1 ulp, IEEE special values
 * (+-0 -> +-inf, x < 0 -> NaN, +inf -> 0), and no subnormal inputs, which
 * math.c scales to normal first. */
static LLVMValueRef
amd_rsqrt_unit(Lw *w, LLVMValueRef x)
{
    LLVMTypeRef t = LLVMTypeOf(x);
    return llvm_call_intrinsic(w, "llvm.amdgcn.rsq", &t, 1, &x, 1);
}

/* log2 x by v_log_f32 (llvm.amdgcn.log, the bare instruction): LLVM's
 * AMDGPUUsage gives it 1 ulp for f32 (it lowers llvm.log2.f32 to it), no
 * subnormal inputs, which math.c scales first. */
static LLVMValueRef
amd_log2_unit(Lw *w, LLVMValueRef x)
{
    LLVMTypeRef t = LLVMTypeOf(x);
    return llvm_call_intrinsic(w, "llvm.amdgcn.log", &t, 1, &x, 1);
}

static const LlvmHooks amd_hooks = {
    .triple = "amdgcn-amd-amdhsa",
    .shared_as = 3,
    .global_as = 1,
    .aggr_param_as = 4,        /* byref kernel arguments live in the kernarg segment */
    .aggr_param_attr = "byref",
    .init = amd_init,
    .cpu_features = amd_cpu_features,
    .builtin_id = amd_builtin_id,
    .barrier = amd_barrier,
    .after_opt = amd_after_opt,
    .atomic = amd_atomic,
    .lane_id = amd_lane_id,
    .subgroup_size = amd_subgroup_size,
    .shuffle = amd_shuffle,
    .broadcast = amd_broadcast,
    .active_lanes = amd_active_lanes,
    .vote = amd_vote,
    .reduce = NULL,
    .mma_kind = amd_mma_kind,
    .mma = amd_mma,
    .exp2_unit = amd_exp2_unit,
    .rsqrt_unit = amd_rsqrt_unit,
    .log2_unit = amd_log2_unit,
    .kernel_abi = amd_kernel_abi,
    .finish = amd_finish,
    /* .debug_line (and a .debug_info of just the compile unit) in the code
     * object, DWARF 5 as the AMDGPU ABI expects */
    .di_kind = LLVMDWARFEmissionLineTablesOnly,
    .dwarf_version = 5,
};

/* ---- linking the code object ---------------------------------------------------------- */

static char *
find_lld(void)
{
#ifdef CLAW_LLVM_BIN_DIR
    char *p = llvm_strdup_printf("%s/ld.lld", CLAW_LLVM_BIN_DIR);
    if (access(p, X_OK) == 0)
        return p;
    free(p);
#endif
    const char *path = getenv("PATH");
    static const char *const names[] = {"ld.lld-19", "ld.lld"};
    for (size_t n = 0; path && n < 2; n++) {
        const char *s = path;
        while (*s) {
            const char *e = strchr(s, ':');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            char *c = llvm_strdup_printf("%.*s/%s", (int)len, s, names[n]);
            if (len && access(c, X_OK) == 0)
                return c;
            free(c);
            s += len + (e ? 1 : 0);
        }
    }
    return NULL;
}



/* Where the private link folder goes: $TMPDIR when set and not empty, as
 * build systems that keep (or sandbox) temporary files per job expect
 * (POSIX names TMPDIR for this), else /tmp. */
static const char *
temp_base(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

/* ld.lld -shared in.o -o out: the AMDGPU code object format (what HIP loads) */
static EmitStatus
link_code_object(const Buf *obj, Buf *out, char **err)
{
    char *lld = find_lld();
    if (!lld) {
        *err = llvm_strdup_printf("ld.lld not found (looked in %s and on PATH): install the lld-19 package",
#ifdef CLAW_LLVM_BIN_DIR
                                  CLAW_LLVM_BIN_DIR
#else
                                  "the LLVM bin folder"
#endif
        );
        return EMIT_ENV_ERROR;
    }
    const char *base = temp_base();
    char *dir = llvm_strdup_printf("%s/clawc-XXXXXX", base);
    if (!mkdtemp(dir)) {
        *err = llvm_strdup_printf("cannot create a temporary folder in %s: %s", base,
                                  strerror(errno));
        free(dir);
        free(lld);
        return EMIT_ENV_ERROR;
    }
    char *in = llvm_strdup_printf("%s/kernel.o", dir);
    char *co = llvm_strdup_printf("%s/kernel.co", dir);
    char *log = llvm_strdup_printf("%s/lld.log", dir);
    EmitStatus rc = EMIT_OK;
    if (!llvm_write_file(in, obj->data, obj->len)) {
        *err = llvm_strdup_printf("cannot write %s: %s", in, strerror(errno));
        rc = EMIT_ENV_ERROR;
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        *err = llvm_strdup_printf("cannot run %s: %s", lld, strerror(errno));
        rc = EMIT_ENV_ERROR;
        goto out;
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(lld, lld, "-shared", "--no-undefined", in, "-o", co, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        Buf lb = {0};
        llvm_read_file(log, &lb);
        *err = llvm_strdup_printf("%s failed to link the AMDGPU code object: %.*s", lld,
                                  (int)(lb.len > 2000 ? 2000 : lb.len), lb.data ? (char *)lb.data : "");
        buf_free(&lb);
        rc = EMIT_INPUT_ERROR;
        goto out;
    }
    if (!llvm_read_file(co, out)) {
        *err = llvm_strdup_printf("cannot read %s", co);
        rc = EMIT_ENV_ERROR;
    }
out:
    unlink(in);
    unlink(co);
    unlink(log);
    rmdir(dir);
    free(dir);
    free(in);
    free(co);
    free(log);
    free(lld);
    return rc;
}

static const char *
amd_triple(const char *arch)
{
    return "amdgcn-amd-amdhsa";
}

/* The object is linked into a shared code object; the others come straight
 * from LLVM. */
static EmitStatus
amd_emit(IrModule *m, const TargetOptions *o, const TargetOutput *kind, Buf *out, char **err)
{
    if (kind->code != LLVM_OUT_OBJ)
        return llvm_emit_module(m, o, &amd_hooks, (LlvmOutput)kind->code, out, err);
    Buf obj = {0};
    EmitStatus rc = llvm_emit_module(m, o, &amd_hooks, LLVM_OUT_OBJ, &obj, err);
    if (rc == EMIT_OK)
        rc = link_code_object(&obj, out, err);
    buf_free(&obj);
    return rc;
}

/* The fat-binary image first (target.h). */
static const TargetOutput amd_outputs[] = {
    {"amdgpu-obj", "hsaco", "linked AMDGPU code object (ELF)", CLAW_FB_IMG_OBJECT, LLVM_OUT_OBJ},
    {"amdgpu-asm", "s", "AMDGPU assembly", 0, LLVM_OUT_ASM},
    {"llvm-ir", "ll", "optimised LLVM IR", 0, LLVM_OUT_IR},
};

const Target llvm_amdgpu_target = {
    .name = "amdgpu",
    .default_arch = "gfx90a",
    .arch_help = "gfx900 gfx906 gfx908 gfx90a gfx940 gfx941 gfx942 gfx1010 gfx1030 gfx1031 gfx1100 "
                 "gfx1101 gfx1102 gfx1200 gfx1201",
    .help = "AMD GPUs: code objects for HIP",
    .outputs = amd_outputs,
    .noutputs = sizeof amd_outputs / sizeof amd_outputs[0],
    .arch_ok = amd_arch_ok,
    .triple = amd_triple,
    .emit = amd_emit,
};
