/* llvm.c: Claw IR -> LLVM IR with the LLVM C API, shared by the NVPTX and
 * AMDGPU targets, and the pipeline verify -> optimise -> emit.
 *
 * How it works:
 *   - Types: bool is i1 as an SSA value and i8 in memory; structs become
 *     packed LLVM structs with explicit padding bytes so that every offset is
 *     exactly IrField.offset (C layout, or libclang's layout for imported
 *     structs) whatever the target data layout says; every load, store and
 *     alloca carries the Claw type's alignment explicitly.
 *   - Functions: all are declared first (a callee may follow its caller),
 *     device functions internal + alwaysinline, kernels through the target's
 *     kernel_abi hook. LOCALs are allocas in the entry block (the alloca
 *     address space comes from the data layout: 5 on AMDGPU).
 *   - Structured regions become basic blocks: IF -> then/else/merge; LOOP ->
 *     body, continuing, exit, with break_if deciding at the end of the
 *     continuing block, whose back edge carries the @unroll llvm.loop metadata.
 *   - §5 integer rules are made total before LLVM sees them: the divisor of
 *     DIV/REM is replaced by 1 when it is 0 or when the division is MIN / -1
 *     (giving MIN and 0, docs/language.md §5), and shift amounts are masked to
 *     width-1, so no LLVM poison or UB can arise from them.
 *   - Builtins that differ per target call the LlvmHooks table.
 *   - Line tables: a DIBuilder gives the module one compile unit for
 *     IrModule.source_name and every function a DISubprogram; each
 *     instruction's SrcLoc becomes the builder's current DILocation, which
 *     NVPTX prints as .file/.loc and AMDGPU writes as .debug_line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/Support.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "llvm_internal.h"

char *
llvm_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    if (!s)
        ICE("out of memory");
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- types --------------------------------------------------------------- */

typedef struct StructEntry {
    IrType *ir;
    LLVMTypeRef ll;
    int *field_index; /* Claw field -> LLVM element index */
    struct StructEntry *next;
} StructEntry;

static unsigned
space_as(Lw *w, IrSpace s)
{
    switch (s) {
    case IR_SPACE_GLOBAL: return w->h->global_as;
    case IR_SPACE_SHARED: return w->h->shared_as;
    case IR_SPACE_PRIVATE: return w->private_as;
    }
    UNREACHABLE();
}

static StructEntry *
struct_entry(Lw *w, IrType *t)
{
    for (StructEntry *e = w->structs; e; e = e->next)
        if (e->ir == t)
            return e;
    StructEntry *e = arena_alloc(w->m->arena, sizeof *e);
    e->ir = t;
    e->field_index = arena_alloc(w->m->arena, sizeof(int) * (size_t)(t->nfields + 1));
    /* Every field plus a padding byte array before it and at the end. */
    LLVMTypeRef *elems = arena_alloc(w->m->arena, sizeof(LLVMTypeRef) * (size_t)(2 * t->nfields + 2));
    int n = 0;
    uint64_t off = 0;
    LLVMTypeRef i8 = LLVMInt8TypeInContext(w->ctx);
    for (int i = 0; i < t->nfields; i++) {
        IrField *fd = &t->fields[i];
        if (!fd->type)
            ICE("struct %s field %s has no type", t->name, fd->name);
        if (fd->offset > off)
            elems[n++] = LLVMArrayType2(i8, fd->offset - off);
        else if (fd->offset < off)
            ICE("struct %s: overlapping field %s", t->name, fd->name);
        e->field_index[i] = n;
        elems[n++] = llvm_mem_type(w, fd->type);
        off = fd->offset + fd->type->size;
    }
    if (t->size > off)
        elems[n++] = LLVMArrayType2(i8, t->size - off);
    char *name = arena_printf(w->m->arena, "struct.%s", t->name ? t->name : "anon");
    e->ll = LLVMStructCreateNamed(w->ctx, name);
    LLVMStructSetBody(e->ll, elems, (unsigned)n, 1);
    e->next = w->structs;
    w->structs = e;
    return e;
}

LLVMTypeRef
llvm_type(Lw *w, IrType *t)
{
    switch (t->kind) {
    case IRT_VOID: return LLVMVoidTypeInContext(w->ctx);
    case IRT_BOOL: return LLVMInt1TypeInContext(w->ctx);
    case IRT_INT: return LLVMIntTypeInContext(w->ctx, t->bits);
    case IRT_FLOAT:
        if (t->is_bf16) /* only moved and converted: ir_polyfill (IR_PF_BF16) */
            return LLVMBFloatTypeInContext(w->ctx);
        return t->bits == 16   ? LLVMHalfTypeInContext(w->ctx)
               : t->bits == 32 ? LLVMFloatTypeInContext(w->ctx)
                               : LLVMDoubleTypeInContext(w->ctx);
    case IRT_PTR: return LLVMPointerTypeInContext(w->ctx, space_as(w, t->space));
    case IRT_ARRAY: return LLVMArrayType2(llvm_mem_type(w, t->elem), t->count);
    case IRT_STRUCT: return struct_entry(w, t)->ll;
    case IRT_MATRIX: break; /* ir_lower_matrix replaced it */
    case IRT_VEC: return LLVMVectorType(llvm_type(w, t->elem), (unsigned)t->count);
    }
    UNREACHABLE();
}

/* vec3<T> (not of bool) is [3 x T] in memory: LLVM gives <3 x T> the size
 * and alignment of <4 x T>, CUDA's float3 is 12 bytes aligned to 4. */
static bool
is_vec3_mem(const IrType *t)
{
    return t->kind == IRT_VEC && t->count == 3 && t->elem->kind != IRT_BOOL;
}

LLVMTypeRef
llvm_mem_type(Lw *w, IrType *t)
{
    if (t->kind == IRT_BOOL)
        return LLVMInt8TypeInContext(w->ctx);
    if (is_vec3_mem(t))
        return LLVMArrayType2(llvm_type(w, t->elem), 3);
    return llvm_type(w, t);
}

/* bool SSA (i1) <-> memory (i8), vec3 <3 x T> <-> [3 x T]; other types
 * unchanged (bool vectors stay <N x i1>: they only live in allocas) */
static LLVMValueRef
to_mem(Lw *w, IrType *t, LLVMValueRef v)
{
    if (is_vec3_mem(t)) {
        LLVMValueRef a = LLVMGetUndef(llvm_mem_type(w, t));
        for (unsigned i = 0; i < 3; i++)
            a = LLVMBuildInsertValue(w->b, a, LLVMBuildExtractElement(w->b, v, llvm_i32(w, i), ""),
                                     i, "");
        return a;
    }
    return t->kind == IRT_BOOL ? LLVMBuildZExt(w->b, v, LLVMInt8TypeInContext(w->ctx), "") : v;
}

static LLVMValueRef
from_mem(Lw *w, IrType *t, LLVMValueRef v)
{
    if (is_vec3_mem(t)) {
        LLVMValueRef r = LLVMGetUndef(llvm_type(w, t));
        for (unsigned i = 0; i < 3; i++)
            r = LLVMBuildInsertElement(w->b, r, LLVMBuildExtractValue(w->b, v, i, ""),
                                       llvm_i32(w, i), "");
        return r;
    }
    return t->kind == IRT_BOOL ? LLVMBuildTrunc(w->b, v, LLVMInt1TypeInContext(w->ctx), "") : v;
}

/* LLVM element index of an aggregate's element or field */
static unsigned
aggr_index(Lw *w, IrType *t, int index)
{
    return t->kind == IRT_STRUCT ? (unsigned)struct_entry(w, t)->field_index[index] : (unsigned)index;
}

static IrType *
aggr_elem(IrType *t, int index)
{
    return t->kind == IRT_STRUCT ? t->fields[index].type : t->elem;
}

/* ---- small helpers --------------------------------------------------------- */

LLVMValueRef
llvm_i32(Lw *w, uint32_t v)
{
    return LLVMConstInt(LLVMInt32TypeInContext(w->ctx), v, 0);
}

LLVMValueRef
llvm_call_intrinsic(Lw *w, const char *name, LLVMTypeRef *ovl, int novl, LLVMValueRef *args,
                    int nargs)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    if (!id)
        ICE("unknown LLVM intrinsic %s", name);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(w->mod, id, ovl, (size_t)novl);
    LLVMTypeRef ft = LLVMIntrinsicGetType(w->ctx, id, ovl, (size_t)novl);
    return LLVMBuildCall2(w->b, ft, fn, args, (unsigned)nargs, "");
}

static LLVMValueRef
intr1(Lw *w, const char *name, LLVMValueRef x)
{
    LLVMTypeRef t = LLVMTypeOf(x);
    return llvm_call_intrinsic(w, name, &t, 1, &x, 1);
}

static LLVMValueRef
intr2(Lw *w, const char *name, LLVMValueRef x, LLVMValueRef y)
{
    LLVMTypeRef t = LLVMTypeOf(x);
    LLVMValueRef a[2] = {x, y};
    return llvm_call_intrinsic(w, name, &t, 1, a, 2);
}

static void
add_attr(Lw *w, LLVMValueRef fn, LLVMAttributeIndex idx, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(w->ctx, kind, 0));
}

static LLVMValueRef
val(Lw *w, IrInst *in)
{
    LLVMValueRef v = w->vals[in->id];
    if (!v)
        ICE("IR value %%%u used before definition", in->id);
    return v;
}

/* a float binary op, with the contract flag when -ffp-contract allows it
 * and the op is not one of the polyfill's exact steps (IrInst.exact) */
static LLVMValueRef
fp_op(Lw *w, LLVMValueRef v)
{
    if (w->contract && !w->exact && LLVMIsAInstruction(v))
        LLVMSetFastMathFlags(v, LLVMFastMathAllowContract);
    return v;
}

/* index operand of ELEM_PTR / PTR_ADD as i64, extended by its signedness */
static LLVMValueRef
index64(Lw *w, IrInst *idx)
{
    LLVMTypeRef i64 = LLVMInt64TypeInContext(w->ctx);
    LLVMValueRef v = val(w, idx);
    if (idx->type->bits == 64)
        return v;
    return idx->type->is_signed ? LLVMBuildSExt(w->b, v, i64, "") : LLVMBuildZExt(w->b, v, i64, "");
}

/* ---- integer rules of docs/language.md §5: written as IR by ir/polyfill.c ---------- */

static LLVMValueRef
lower_divrem(Lw *w, IrInst *in, LLVMValueRef a, LLVMValueRef d)
{
    IrType *t = in->type;
    if (ir_type_is_float(t))
        return fp_op(w, in->op == IR_DIV ? LLVMBuildFDiv(w->b, a, d, "") : LLVMBuildFRem(w->b, a, d, ""));
    /* d is never 0 nor -1 with a == MIN (ir_polyfill, IR_PF_INT_DIV), so
     * LLVM's undefined cases cannot occur */
    if (in->op == IR_DIV)
        return t->is_signed ? LLVMBuildSDiv(w->b, a, d, "") : LLVMBuildUDiv(w->b, a, d, "");
    return t->is_signed ? LLVMBuildSRem(w->b, a, d, "") : LLVMBuildURem(w->b, a, d, "");
}

static LLVMValueRef
lower_shift(Lw *w, IrInst *in, LLVMValueRef a, LLVMValueRef s)
{
    /* the amount is below the width (ir_polyfill, IR_PF_SHIFT): never poison */
    if (in->op == IR_SHL)
        return LLVMBuildShl(w->b, a, s, "");
    return in->type->is_signed ? LLVMBuildAShr(w->b, a, s, "") : LLVMBuildLShr(w->b, a, s, "");
}

static LLVMValueRef
lower_compare(Lw *w, IrInst *in, LLVMValueRef a, LLVMValueRef b)
{
    IrType *t = in->ops[0]->type;
    if (ir_type_is_float(t)) {
        static const LLVMRealPredicate p[] = {LLVMRealOEQ, LLVMRealUNE, LLVMRealOLT,
                                              LLVMRealOLE, LLVMRealOGT, LLVMRealOGE};
        return LLVMBuildFCmp(w->b, p[in->op - IR_EQ], a, b, "");
    }
    bool s = t->kind == IRT_INT && t->is_signed;
    static const LLVMIntPredicate ps[] = {LLVMIntEQ, LLVMIntNE, LLVMIntSLT, LLVMIntSLE, LLVMIntSGT, LLVMIntSGE};
    static const LLVMIntPredicate pu[] = {LLVMIntEQ, LLVMIntNE, LLVMIntULT, LLVMIntULE, LLVMIntUGT, LLVMIntUGE};
    return LLVMBuildICmp(w->b, (s ? ps : pu)[in->op - IR_EQ], a, b, "");
}

/* f32 -> bf16, round to nearest even, NaN quieted (LlvmHooks.bf16_by_bits) */
static LLVMValueRef
bf16_by_bits(Lw *w, LLVMValueRef v)
{
    LLVMTypeRef i32 = LLVMInt32TypeInContext(w->ctx);
    LLVMValueRef b = LLVMBuildBitCast(w->b, v, i32, "");
    LLVMValueRef hi = LLVMBuildLShr(w->b, b, LLVMConstInt(i32, 16, 0), "");
    LLVMValueRef lsb = LLVMBuildAnd(w->b, hi, LLVMConstInt(i32, 1, 0), "");
    LLVMValueRef sum = LLVMBuildAdd(w->b, LLVMBuildAdd(w->b, b, LLVMConstInt(i32, 0x7fff, 0), ""), lsb, "");
    LLVMValueRef rounded = LLVMBuildLShr(w->b, sum, LLVMConstInt(i32, 16, 0), "");
    LLVMValueRef mag = LLVMBuildAnd(w->b, b, LLVMConstInt(i32, 0x7fffffff, 0), "");
    LLVMValueRef nan = LLVMBuildICmp(w->b, LLVMIntUGT, mag, LLVMConstInt(i32, 0x7f800000, 0), "");
    LLVMValueRef quiet = LLVMBuildOr(w->b, hi, LLVMConstInt(i32, 0x40, 0), "");
    LLVMValueRef r = LLVMBuildSelect(w->b, nan, quiet, rounded, "");
    r = LLVMBuildTrunc(w->b, r, LLVMInt16TypeInContext(w->ctx), "");
    return LLVMBuildBitCast(w->b, r, LLVMBFloatTypeInContext(w->ctx), "");
}

/* CAST: the conversions of docs/language.md §2 */
static LLVMValueRef
lower_cast(Lw *w, IrType *from, IrType *to, LLVMValueRef v)
{
    LLVMTypeRef tt = llvm_type(w, to);
    if (from == to)
        return v;
    if (to->kind == IRT_BOOL) /* not in the language; defined as != 0 for robustness */
        return LLVMBuildICmp(w->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    if (from->kind == IRT_PTR && to->kind == IRT_PTR)
        return from->space == to->space ? v : LLVMBuildAddrSpaceCast(w->b, v, tt, "");
    if (from->kind == IRT_PTR)
        return LLVMBuildPtrToInt(w->b, v, tt, "");
    if (to->kind == IRT_PTR)
        return LLVMBuildIntToPtr(w->b, v, tt, "");
    bool fsigned = from->kind == IRT_INT && from->is_signed;
    if (from->kind == IRT_BOOL || from->kind == IRT_INT) {
        if (to->kind == IRT_FLOAT)
            return fsigned ? LLVMBuildSIToFP(w->b, v, tt, "") : LLVMBuildUIToFP(w->b, v, tt, "");
        if (to->bits < from->bits)
            return LLVMBuildTrunc(w->b, v, tt, "");
        if (to->bits > from->bits)
            return fsigned ? LLVMBuildSExt(w->b, v, tt, "") : LLVMBuildZExt(w->b, v, tt, "");
        return v;
    }
    /* from float */
    if (to->is_bf16 && w->h->bf16_by_bits)
        return bf16_by_bits(w, v);
    if (to->kind == IRT_FLOAT)
        return to->bits > from->bits ? LLVMBuildFPExt(w->b, v, tt, "") : LLVMBuildFPTrunc(w->b, v, tt, "");
    /* float -> int: truncate toward zero, saturate, NaN -> 0 (the .sat
     * intrinsics define exactly these results, LangRef llvm.fptosi.sat) */
    LLVMTypeRef ovl[2] = {tt, LLVMTypeOf(v)};
    return llvm_call_intrinsic(w, to->is_signed ? "llvm.fptosi.sat" : "llvm.fptoui.sat", ovl, 2, &v, 1);
}

static LLVMValueRef
lower_minmax(Lw *w, IrType *t, bool is_min, LLVMValueRef a, LLVMValueRef b)
{
    if (ir_type_is_float(t)) /* minnum: if one operand is NaN, the other */
        return intr2(w, is_min ? "llvm.minnum" : "llvm.maxnum", a, b);
    const char *n = is_min ? (t->is_signed ? "llvm.smin" : "llvm.umin") : (t->is_signed ? "llvm.smax" : "llvm.umax");
    return intr2(w, n, a, b);
}

/* ---- subgroup reductions by butterfly ----------------------------------------- */

static LLVMValueRef
combine(Lw *w, IrOp op, IrType *t, LLVMValueRef a, LLVMValueRef b)
{
    if (op == IR_SUBGROUP_SUM)
        return ir_type_is_float(t) ? LLVMBuildFAdd(w->b, a, b, "") : LLVMBuildAdd(w->b, a, b, "");
    return lower_minmax(w, t, op == IR_SUBGROUP_MIN, a, b);
}

static LLVMValueRef
lower_reduce(Lw *w, IrInst *in, LLVMValueRef x)
{
    if (w->h->reduce) {
        LLVMValueRef r = w->h->reduce(w, in->op, in->type, x);
        if (r)
            return r;
    }
    /* Each step combines with the lane whose id differs in one bit; a + b
     * and b + a round alike, so every lane ends with the same value. */
    unsigned n = w->h->subgroup_size(w->o->arch);
    for (unsigned mask = n / 2; mask >= 1; mask /= 2)
        x = combine(w, in->op, in->type, x, w->h->shuffle(w, x, llvm_i32(w, mask), LLVM_SHFL_XOR));
    return x;
}

/* ---- shuffles, votes and scans (docs/language.md §13) ------------------------------ */

/* A shuffle of a value of IR type t: the hooks move 32 bits, so 16-bit
 * values travel as their bits, zero-extended. */
static LLVMValueRef
sg_shuffle(Lw *w, IrType *t, LLVMValueRef x, LLVMValueRef b, LlvmShuffle mode)
{
    if (t->size != 2)
        return w->h->shuffle(w, x, b, mode);
    LLVMTypeRef i16 = LLVMInt16TypeInContext(w->ctx), i32 = LLVMInt32TypeInContext(w->ctx);
    LLVMValueRef wide = LLVMBuildZExt(w->b, LLVMBuildBitCast(w->b, x, i16, ""), i32, "");
    LLVMValueRef r = w->h->shuffle(w, wide, b, mode);
    return LLVMBuildBitCast(w->b, LLVMBuildTrunc(w->b, r, i16, ""), LLVMTypeOf(x), "");
}

/* shuffle_up: lane_id - d, or the thread's own x where d > lane_id (CUDA's
 * rule; the hardware's source lane wraps for d >= the subgroup size) */
static LLVMValueRef
lower_shuffle_up(Lw *w, IrType *t, LLVMValueRef x, LLVMValueRef d)
{
    LLVMValueRef ok = LLVMBuildICmp(w->b, LLVMIntULE, d, w->h->lane_id(w), "");
    return LLVMBuildSelect(w->b, ok, sg_shuffle(w, t, x, d, LLVM_SHFL_UP), x, "");
}

/* shuffle_down: lane_id + d where a thread runs in that lane (so not past
 * the end of a partial last subgroup), else the thread's own x */
static LLVMValueRef
lower_shuffle_down(Lw *w, IrType *t, LLVMValueRef x, LLVMValueRef d)
{
    LLVMTypeRef i64 = LLVMInt64TypeInContext(w->ctx);
    LLVMValueRef lane = w->h->lane_id(w);
    LLVMValueRef room = LLVMBuildSub(w->b, llvm_i32(w, w->h->subgroup_size(w->o->arch)), lane, "");
    LLVMValueRef in_range = LLVMBuildICmp(w->b, LLVMIntULT, d, room, "");
    /* the bit of the source lane; the index is kept below 64 when d is out of range */
    LLVMValueRef src = LLVMBuildSelect(w->b, in_range, LLVMBuildAdd(w->b, lane, d, ""), lane, "");
    LLVMValueRef bit = LLVMBuildAnd(w->b, LLVMBuildLShr(w->b, w->h->active_lanes(w), LLVMBuildZExt(w->b, src, i64, ""), ""),
                                    LLVMConstInt(i64, 1, 0), "");
    LLVMValueRef runs = LLVMBuildICmp(w->b, LLVMIntNE, bit, LLVMConstInt(i64, 0, 0), "");
    LLVMValueRef ok = LLVMBuildAnd(w->b, in_range, runs, "");
    return LLVMBuildSelect(w->b, ok, sg_shuffle(w, t, x, d, LLVM_SHFL_DOWN), x, "");
}

static LLVMValueRef
lower_broadcast(Lw *w, IrType *t, LLVMValueRef x, LLVMValueRef lane)
{
    /* lane modulo the subgroup size (a power of two), like shuffle */
    lane = LLVMBuildAnd(w->b, lane, llvm_i32(w, w->h->subgroup_size(w->o->arch) - 1), "");
    if (t->size != 2)
        return w->h->broadcast(w, x, lane);
    LLVMTypeRef i16 = LLVMInt16TypeInContext(w->ctx), i32 = LLVMInt32TypeInContext(w->ctx);
    LLVMValueRef wide = LLVMBuildZExt(w->b, LLVMBuildBitCast(w->b, x, i16, ""), i32, "");
    LLVMValueRef r = w->h->broadcast(w, wide, lane);
    return LLVMBuildBitCast(w->b, LLVMBuildTrunc(w->b, r, i16, ""), LLVMTypeOf(x), "");
}

/* Exclusive prefix sum: shift the values up one lane (lane 0 takes 0), then
 * an inclusive Hillis-Steele scan over log2(size) shuffle_up steps. Source
 * lanes are always below the thread's own, so a partial last subgroup needs
 * no care. Float sums associate in this order on both LLVM targets. */
static LLVMValueRef
lower_prefix_sum(Lw *w, IrType *t, LLVMValueRef x)
{
    bool fl = ir_type_is_float(t);
    LLVMValueRef lane = w->h->lane_id(w);
    LLVMValueRef zero = LLVMConstNull(LLVMTypeOf(x));
    LLVMValueRef first = LLVMBuildICmp(w->b, LLVMIntEQ, lane, llvm_i32(w, 0), "");
    LLVMValueRef v = LLVMBuildSelect(w->b, first, zero, w->h->shuffle(w, x, llvm_i32(w, 1), LLVM_SHFL_UP), "");
    unsigned n = w->h->subgroup_size(w->o->arch);
    for (unsigned d = 1; d < n; d *= 2) {
        LLVMValueRef y = w->h->shuffle(w, v, llvm_i32(w, d), LLVM_SHFL_UP);
        LLVMValueRef sum = fl ? LLVMBuildFAdd(w->b, v, y, "") : LLVMBuildAdd(w->b, v, y, "");
        LLVMValueRef ok = LLVMBuildICmp(w->b, LLVMIntUGE, lane, llvm_i32(w, d), "");
        v = LLVMBuildSelect(w->b, ok, sum, v, "");
    }
    return v;
}

/* ---- line tables ------------------------------------------------------------ */

/* One compile unit for the module's source file. Only the path given to
 * clawc is recorded (an empty directory, a fixed producer), so the output
 * does not depend on where clawc runs. DWARF has no language code for Claw;
 * C99 is the closest (C-like syntax and C layout). */
static void
di_begin(Lw *w, bool optimized)
{
    const char *src = w->m->source_name;
    if (!w->h->di_kind || !src)
        return;
    LLVMAddModuleFlag(w->mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
                      LLVMValueAsMetadata(llvm_i32(w, LLVMDebugMetadataVersion())));
    LLVMAddModuleFlag(w->mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13,
                      LLVMValueAsMetadata(llvm_i32(w, w->h->dwarf_version)));
    w->dib = LLVMCreateDIBuilder(w->mod);
    w->di_file = LLVMDIBuilderCreateFile(w->dib, src, strlen(src), "", 0);
    LLVMDIBuilderCreateCompileUnit(w->dib, LLVMDWARFSourceLanguageC99, w->di_file, "clawc", 5,
                                   optimized, "", 0, 0, "", 0,
                                   (LLVMDWARFEmissionKind)w->h->di_kind, 0, 0, 0, "", 0, "", 0);
    w->di_subprograms = arena_alloc(w->m->arena,
                                    sizeof(LLVMMetadataRef) * (size_t)(w->m->funcs.len + 1));
}

static void
di_func(Lw *w, IrFunc *f, LLVMValueRef fn)
{
    if (!w->dib)
        return;
    LLVMMetadataRef ty =
        LLVMDIBuilderCreateSubroutineType(w->dib, w->di_file, NULL, 0, LLVMDIFlagZero);
    LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(
        w->dib, w->di_file, f->name, strlen(f->name), "", 0, w->di_file, f->loc.line, ty,
        !f->is_kernel, 1, f->loc.line, LLVMDIFlagPrototyped, w->o->opt_level > 0);
    LLVMSetSubprogram(fn, sp);
    w->di_subprograms[f->index] = sp;
}

/* Makes loc the location of the instructions built next. An instruction
 * without a location (line 0, made up by the compiler) keeps the previous
 * one: every instruction of a function with a DISubprogram then has one,
 * which the verifier demands of inlinable calls. */
static void
di_at(Lw *w, SrcLoc loc, bool force)
{
    if (!w->dib)
        return;
    bool same = loc.line == w->di_loc.line && loc.col == w->di_loc.col;
    if (!force && (loc.line == 0 || same))
        return;
    LLVMSetCurrentDebugLocation2(
        w->b, LLVMDIBuilderCreateDebugLocation(w->ctx, loc.line, loc.col,
                                               w->di_subprograms[w->f->index], NULL));
    w->di_loc = loc;
}

/* ---- instructions ----------------------------------------------------------- */

static void lower_region(Lw *w, IrRegion *r);

static LLVMValueRef
const_value(Lw *w, IrInst *in)
{
    LLVMTypeRef t = llvm_type(w, in->type);
    if (ir_type_is_float(in->type))
        return LLVMConstReal(t, in->imm.f);
    return LLVMConstInt(t, in->imm.i, 0);
}

static LLVMValueRef
lower_load(Lw *w, IrType *t, LLVMValueRef p)
{
    LLVMValueRef v = LLVMBuildLoad2(w->b, llvm_mem_type(w, t), p, "");
    LLVMSetAlignment(v, (unsigned)t->align);
    return from_mem(w, t, v);
}

static void
lower_store(Lw *w, IrType *t, LLVMValueRef p, LLVMValueRef v)
{
    LLVMValueRef s = LLVMBuildStore(w->b, to_mem(w, t, v), p);
    LLVMSetAlignment(s, (unsigned)t->align);
}

static void
set_unroll(Lw *w, LLVMValueRef br, int unroll)
{
    if (unroll == IR_UNROLL_NONE)
        return;
    LLVMMetadataRef hint;
    if (unroll == IR_UNROLL_FULL) {
        const char *s = "llvm.loop.unroll.full";
        LLVMMetadataRef name = LLVMMDStringInContext2(w->ctx, s, strlen(s));
        hint = LLVMMDNodeInContext2(w->ctx, &name, 1);
    } else {
        const char *s = "llvm.loop.unroll.count";
        LLVMMetadataRef ops[2] = {LLVMMDStringInContext2(w->ctx, s, strlen(s)),
                                  LLVMValueAsMetadata(llvm_i32(w, (uint32_t)unroll))};
        hint = LLVMMDNodeInContext2(w->ctx, ops, 2);
    }
    /* LangRef "llvm.loop": a distinct node whose first operand is itself */
    LLVMMetadataRef tmp = LLVMTemporaryMDNode(w->ctx, NULL, 0);
    LLVMMetadataRef ops[2] = {tmp, hint};
    LLVMMetadataRef loop = LLVMMDNodeInContext2(w->ctx, ops, 2);
    LLVMMetadataReplaceAllUsesWith(tmp, loop);
    unsigned kind = LLVMGetMDKindIDInContext(w->ctx, "llvm.loop", 9);
    LLVMSetMetadata(br, kind, LLVMMetadataAsValue(w->ctx, loop));
}

static LLVMBasicBlockRef
new_block(Lw *w)
{
    return LLVMAppendBasicBlockInContext(w->ctx, w->fn, "");
}

static void
lower_if(Lw *w, IrInst *in)
{
    LLVMBasicBlockRef then_bb, else_bb;
    if (in->unlikely) {
        /* then_r goes after else_r, which falls through from the test; the
         * names mark them in AMDGPU assembly */
        else_bb = LLVMAppendBasicBlockInContext(w->ctx, w->fn, "likely");
        then_bb = LLVMAppendBasicBlockInContext(w->ctx, w->fn, "unlikely");
    } else {
        then_bb = new_block(w);
        else_bb = new_block(w);
    }
    LLVMBasicBlockRef merge = new_block(w);
    LLVMValueRef br = LLVMBuildCondBr(w->b, val(w, in->ops[0]), then_bb, else_bb);
    if (in->unlikely) {
        /* the math library's cold branch: the fast path falls through */
        LLVMTypeRef i32 = LLVMInt32TypeInContext(w->ctx);
        LLVMMetadataRef wt[3] = {LLVMMDStringInContext2(w->ctx, "branch_weights", 14),
                                 LLVMValueAsMetadata(LLVMConstInt(i32, 1, 0)),
                                 LLVMValueAsMetadata(LLVMConstInt(i32, 1 << 20, 0))};
        unsigned prof = LLVMGetMDKindIDInContext(w->ctx, "prof", 4);
        LLVMSetMetadata(br, prof, LLVMMetadataAsValue(w->ctx, LLVMMDNodeInContext2(w->ctx, wt, 3)));
    }
    LLVMPositionBuilderAtEnd(w->b, then_bb);
    lower_region(w, &in->then_r);
    if (!ir_region_terminated(&in->then_r))
        LLVMBuildBr(w->b, merge);
    LLVMPositionBuilderAtEnd(w->b, else_bb);
    lower_region(w, &in->else_r);
    if (!ir_region_terminated(&in->else_r))
        LLVMBuildBr(w->b, merge);
    LLVMPositionBuilderAtEnd(w->b, merge);
}

static void
lower_loop(Lw *w, IrInst *in)
{
    LLVMBasicBlockRef body = new_block(w), cont = new_block(w), exit = new_block(w);
    LLVMBasicBlockRef save_brk = w->brk_bb, save_cont = w->cont_bb;
    LLVMBuildBr(w->b, body);
    LLVMPositionBuilderAtEnd(w->b, body);
    w->brk_bb = exit;
    w->cont_bb = cont;
    lower_region(w, &in->body_r);
    if (!ir_region_terminated(&in->body_r))
        LLVMBuildBr(w->b, cont);
    w->brk_bb = save_brk;
    w->cont_bb = save_cont;
    LLVMPositionBuilderAtEnd(w->b, cont);
    lower_region(w, &in->cont_r);
    LLVMValueRef br = in->break_if ? LLVMBuildCondBr(w->b, val(w, in->break_if), exit, body)
                                   : LLVMBuildBr(w->b, body);
    set_unroll(w, br, in->unroll);
    LLVMPositionBuilderAtEnd(w->b, exit);
}

/* block_dim.<dim>: a constant when the kernel fixes it with @workgroup */
static LLVMValueRef
block_dim(Lw *w, int dim)
{
    if (w->f->is_kernel && w->f->workgroup[0])
        return llvm_i32(w, w->f->workgroup[dim]);
    return w->h->builtin_id(w, LLVM_REG_BLOCK_DIM, dim);
}

/* Warps and wavefronts are cut from the block's linear thread index in
 * order (CUDA Programming Guide, SIMT Architecture; the same on AMD), so
 * subgroup_id is that index over the subgroup size and num_subgroups the
 * block's thread count over it, rounded up (docs/llvm-targets.md). */
static LLVMValueRef
subgroup_id(Lw *w)
{
    LLVMValueRef x = w->h->builtin_id(w, LLVM_REG_THREAD_ID, 0);
    LLVMValueRef y = w->h->builtin_id(w, LLVM_REG_THREAD_ID, 1);
    LLVMValueRef z = w->h->builtin_id(w, LLVM_REG_THREAD_ID, 2);
    LLVMValueRef dx = block_dim(w, 0), dy = block_dim(w, 1);
    /* x + dx * (y + dy * z): below the 1024-thread block limit, no wrap */
    LLVMValueRef lin = LLVMBuildAdd(
        w->b, x, LLVMBuildMul(w->b, dx, LLVMBuildAdd(w->b, y, LLVMBuildMul(w->b, dy, z, ""), ""), ""),
        "");
    return LLVMBuildUDiv(w->b, lin, llvm_i32(w, w->h->subgroup_size(w->o->arch)), "");
}

static LLVMValueRef
num_subgroups(Lw *w)
{
    unsigned n = w->h->subgroup_size(w->o->arch);
    LLVMValueRef threads =
        LLVMBuildMul(w->b, LLVMBuildMul(w->b, block_dim(w, 0), block_dim(w, 1), ""), block_dim(w, 2), "");
    return LLVMBuildUDiv(w->b, LLVMBuildAdd(w->b, threads, llvm_i32(w, n - 1), ""), llvm_i32(w, n), "");
}

static LLVMValueRef
lower_inst(Lw *w, IrInst *in)
{
    IrInst **ops = in->ops;
    LLVMValueRef a = in->nops > 0 && !(in->op == IR_CALL || in->op == IR_COMPOSITE || in->op == IR_RETURN)
                         ? val(w, ops[0])
                         : NULL;
    LLVMValueRef b = in->nops > 1 && a ? val(w, ops[1]) : NULL;
    IrType *t = in->type;
    bool fl = t && ir_type_is_float(t);
    bool sg = t && t->kind == IRT_INT && t->is_signed;
    w->exact = in->exact;
    switch (in->op) {
    case IR_CONST: return const_value(w, in);
    case IR_ZERO: return LLVMConstNull(llvm_type(w, t));
    case IR_UNDEF: return LLVMGetUndef(llvm_type(w, t));
    case IR_PARAM:
    case IR_LOCAL: return val(w, in); /* set up at function entry */
    case IR_ADD: return fl ? fp_op(w, LLVMBuildFAdd(w->b, a, b, "")) : LLVMBuildAdd(w->b, a, b, "");
    case IR_SUB: return fl ? fp_op(w, LLVMBuildFSub(w->b, a, b, "")) : LLVMBuildSub(w->b, a, b, "");
    case IR_MUL: return fl ? fp_op(w, LLVMBuildFMul(w->b, a, b, "")) : LLVMBuildMul(w->b, a, b, "");
    case IR_DIV:
    case IR_REM: return lower_divrem(w, in, a, b);
    case IR_AND: return LLVMBuildAnd(w->b, a, b, "");
    case IR_OR: return LLVMBuildOr(w->b, a, b, "");
    case IR_XOR: return LLVMBuildXor(w->b, a, b, "");
    case IR_SHL:
    case IR_SHR: return lower_shift(w, in, a, b);
    case IR_NEG: return fl ? LLVMBuildFNeg(w->b, a, "") : LLVMBuildNeg(w->b, a, "");
    case IR_NOT: return LLVMBuildNot(w->b, a, "");
    case IR_EQ: case IR_NE: case IR_LT: case IR_LE: case IR_GT: case IR_GE:
        return lower_compare(w, in, a, b);
    case IR_CAST: return lower_cast(w, ops[0]->type, t, a);
    case IR_BITCAST: return LLVMBuildBitCast(w->b, a, llvm_type(w, t), "");
    case IR_SELECT: return LLVMBuildSelect(w->b, a, b, val(w, ops[2]), "");
    case IR_SHARED: return w->shared[in->imm.shared->index];
    case IR_LOAD: return lower_load(w, t, a);
    case IR_STORE: lower_store(w, ops[1]->type, a, b); return NULL;
    case IR_ELEM_PTR: {
        LLVMValueRef idx[2] = {LLVMConstInt(LLVMInt64TypeInContext(w->ctx), 0, 0), index64(w, ops[1])};
        return LLVMBuildGEP2(w->b, llvm_mem_type(w, ops[0]->type->elem), a, idx, 2, "");
    }
    case IR_PTR_ADD: {
        LLVMValueRef idx = index64(w, ops[1]);
        return LLVMBuildGEP2(w->b, llvm_mem_type(w, t->elem), a, &idx, 1, "");
    }
    case IR_FIELD_PTR: {
        IrType *st = ops[0]->type->elem;
        return LLVMBuildStructGEP2(w->b, llvm_type(w, st), a, aggr_index(w, st, in->imm.index), "");
    }
    case IR_EXTRACT: {
        IrType *at = ops[0]->type;
        if (at->kind == IRT_VEC)
            return LLVMBuildExtractElement(w->b, a, llvm_i32(w, (uint32_t)in->imm.index), "");
        return from_mem(w, aggr_elem(at, in->imm.index),
                        LLVMBuildExtractValue(w->b, a, aggr_index(w, at, in->imm.index), ""));
    }
    case IR_INSERT:
        if (t->kind == IRT_VEC)
            return LLVMBuildInsertElement(w->b, a, b, llvm_i32(w, (uint32_t)in->imm.index), "");
        return LLVMBuildInsertValue(w->b, a, to_mem(w, aggr_elem(t, in->imm.index), b),
                                    aggr_index(w, t, in->imm.index), "");
    case IR_COMPOSITE: {
        LLVMValueRef v = LLVMGetUndef(llvm_type(w, t));
        if (t->kind == IRT_VEC) {
            for (int i = 0; i < in->nops; i++)
                v = LLVMBuildInsertElement(w->b, v, val(w, ops[i]), llvm_i32(w, (uint32_t)i), "");
            return v;
        }
        for (int i = 0; i < in->nops; i++)
            v = LLVMBuildInsertValue(w->b, v, to_mem(w, aggr_elem(t, i), val(w, ops[i])),
                                     aggr_index(w, t, i), "");
        /* padding stays undef, as in C */
        return v;
    }
    case IR_CALL: {
        LLVMValueRef *args = arena_alloc(w->m->arena, sizeof(LLVMValueRef) * (size_t)(in->nops + 1));
        for (int i = 0; i < in->nops; i++)
            args[i] = val(w, ops[i]);
        LLVMValueRef fn = w->funcs[in->imm.callee->index];
        LLVMValueRef r = LLVMBuildCall2(w->b, LLVMGlobalGetValueType(fn), fn, args, (unsigned)in->nops, "");
        return t->kind == IRT_VOID ? NULL : r;
    }
    case IR_THREAD_ID: return w->h->builtin_id(w, LLVM_REG_THREAD_ID, in->imm.dim);
    case IR_BLOCK_ID: return w->h->builtin_id(w, LLVM_REG_BLOCK_ID, in->imm.dim);
    case IR_BLOCK_DIM: return block_dim(w, in->imm.dim);
    case IR_GRID_DIM: return w->h->builtin_id(w, LLVM_REG_GRID_DIM, in->imm.dim);
    case IR_GLOBAL_ID: {
        LLVMValueRef bid = w->h->builtin_id(w, LLVM_REG_BLOCK_ID, in->imm.dim);
        LLVMValueRef dim = block_dim(w, in->imm.dim);
        LLVMValueRef tid = w->h->builtin_id(w, LLVM_REG_THREAD_ID, in->imm.dim);
        return LLVMBuildAdd(w->b, LLVMBuildMul(w->b, bid, dim, ""), tid, "");
    }
    case IR_BARRIER: w->h->barrier(w); return NULL;
    case IR_SQRT: case IR_RSQRT: case IR_EXP: case IR_EXP2: case IR_LOG: case IR_LOG2:
    case IR_SIN: case IR_COS: case IR_TAN: case IR_TANH: case IR_POW:
        return llvm_math(w, in->op, t, a);
    case IR_RINT: return intr1(w, "llvm.rint", a);
    case IR_TWO_OVER_PI: return llvm_two_over_pi(w, a);
    case IR_CLZ: return intr2(w, "llvm.ctlz", a, LLVMConstInt(LLVMInt1TypeInContext(w->ctx), 0, 0));
    case IR_FTOI: return LLVMBuildFPToSI(w->b, a, llvm_type(w, t), ""); /* in range: ops.def */
    case IR_FLOOR: return intr1(w, "llvm.floor", a);
    case IR_CEIL: return intr1(w, "llvm.ceil", a);
    case IR_ROUND: return intr1(w, "llvm.round", a); /* half away from zero */
    case IR_TRUNC: return intr1(w, "llvm.trunc", a);
    case IR_ABS:
        if (fl)
            return intr1(w, "llvm.fabs", a);
        if (!t->is_signed)
            return a;
        /* is_int_min_poison = false: abs(MIN) == MIN (ops.def) */
        return intr2(w, "llvm.abs", a, LLVMConstInt(LLVMInt1TypeInContext(w->ctx), 0, 0));
    case IR_MIN:
    case IR_MAX: return lower_minmax(w, t, in->op == IR_MIN, a, b);
    case IR_CLAMP:
        return lower_minmax(w, t, true, lower_minmax(w, t, false, a, b), val(w, ops[2]));
    case IR_FMA: {
        LLVMValueRef args[3] = {a, b, val(w, ops[2])};
        LLVMTypeRef ty = LLVMTypeOf(a);
        return llvm_call_intrinsic(w, "llvm.fma", &ty, 1, args, 3);
    }
    case IR_ATOMIC_ADD:
        return w->h->atomic(w, in, fl ? LLVMAtomicRMWBinOpFAdd : LLVMAtomicRMWBinOpAdd, a, b, NULL);
    case IR_ATOMIC_SUB: return w->h->atomic(w, in, LLVMAtomicRMWBinOpSub, a, b, NULL);
    case IR_ATOMIC_MIN:
        return w->h->atomic(w, in, sg ? LLVMAtomicRMWBinOpMin : LLVMAtomicRMWBinOpUMin, a, b, NULL);
    case IR_ATOMIC_MAX:
        return w->h->atomic(w, in, sg ? LLVMAtomicRMWBinOpMax : LLVMAtomicRMWBinOpUMax, a, b, NULL);
    case IR_ATOMIC_AND: return w->h->atomic(w, in, LLVMAtomicRMWBinOpAnd, a, b, NULL);
    case IR_ATOMIC_OR: return w->h->atomic(w, in, LLVMAtomicRMWBinOpOr, a, b, NULL);
    case IR_ATOMIC_XOR: return w->h->atomic(w, in, LLVMAtomicRMWBinOpXor, a, b, NULL);
    case IR_ATOMIC_XCHG: return w->h->atomic(w, in, LLVMAtomicRMWBinOpXchg, a, b, NULL);
    case IR_ATOMIC_CAS:
        return w->h->atomic(w, in, LLVMAtomicRMWBinOpXchg, a, val(w, ops[2]), b);
    case IR_LANE_ID: return w->h->lane_id(w);
    case IR_SUBGROUP_SIZE:
    case IR_MAT_SG_SIZE: return llvm_i32(w, w->h->subgroup_size(w->o->arch));
    case IR_SUBGROUP_ID: return subgroup_id(w);
    case IR_NUM_SUBGROUPS: return num_subgroups(w);
    case IR_SHUFFLE: return sg_shuffle(w, t, a, b, LLVM_SHFL_IDX);
    case IR_SHUFFLE_XOR: return sg_shuffle(w, t, a, b, LLVM_SHFL_XOR);
    case IR_SHUFFLE_UP: return lower_shuffle_up(w, t, a, b);
    case IR_SHUFFLE_DOWN: return lower_shuffle_down(w, t, a, b);
    case IR_BROADCAST: return lower_broadcast(w, t, a, b);
    case IR_SUBGROUP_ANY: return w->h->vote(w, a, false);
    case IR_SUBGROUP_ALL: return w->h->vote(w, a, true);
    case IR_SUBGROUP_PREFIX_SUM: return lower_prefix_sum(w, t, a);
    case IR_SUBGROUP_SUM: case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX:
        return lower_reduce(w, in, a);
    case IR_IF: lower_if(w, in); return NULL;
    case IR_LOOP: lower_loop(w, in); return NULL;
    case IR_BREAK: LLVMBuildBr(w->b, w->brk_bb); return NULL;
    case IR_CONTINUE: LLVMBuildBr(w->b, w->cont_bb); return NULL;
    case IR_RETURN:
        if (in->nops == 1)
            LLVMBuildRet(w->b, val(w, ops[0]));
        else
            LLVMBuildRetVoid(w->b);
        return NULL;
    case IR_MMA_FRAG:
        if (!w->h->mma)
            break;
        return w->h->mma(w, in, a, b, val(w, ops[2]));
    IR_MATRIX_OP_CASES: case IR_NUM_OPS: break;
    }
    ICE("LLVM lowering: unhandled op %s", ir_op_name(in->op));
}

static void
lower_region(Lw *w, IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        IrInst *in = r->insts[i];
        di_at(w, in->loc, false);
        LLVMValueRef v = lower_inst(w, in);
        if (in->id < w->f->next_id)
            w->vals[in->id] = v;
        if (ir_op_flags(in->op) & IRF_TERM)
            break;
    }
}

/* ---- functions ----------------------------------------------------------------- */

/* Kernel parameters passed by reference to their bytes (the target's byval or
 * byref): structs, arrays and vectors, which the runtime copies in C layout. */
static bool
by_ref(const IrType *t)
{
    return ir_type_is_aggregate(t) || ir_type_is_vec(t);
}

static void
declare_func(Lw *w, IrFunc *f)
{
    LLVMTypeRef *pt = arena_alloc(w->m->arena, sizeof(LLVMTypeRef) * (size_t)(f->nparams + 1));
    for (int i = 0; i < f->nparams; i++) {
        IrType *t = f->params[i].type;
        if (f->is_kernel && by_ref(t))
            pt[i] = LLVMPointerTypeInContext(w->ctx, w->h->aggr_param_as);
        else
            pt[i] = f->is_kernel ? llvm_mem_type(w, t) : llvm_type(w, t);
    }
    LLVMTypeRef ft = LLVMFunctionType(llvm_type(w, f->ret), pt, (unsigned)f->nparams, 0);
    LLVMValueRef fn = LLVMAddFunction(w->mod, f->name, ft);
    w->funcs[f->index] = fn;
    di_func(w, f, fn);
    add_attr(w, fn, LLVMAttributeFunctionIndex, "nounwind");
    if (!f->is_kernel) {
        LLVMSetLinkage(fn, LLVMInternalLinkage);
        add_attr(w, fn, LLVMAttributeFunctionIndex, "alwaysinline");
        return;
    }
    for (int i = 0; i < f->nparams; i++) {
        IrType *t = f->params[i].type;
        LLVMAttributeIndex idx = (LLVMAttributeIndex)(i + 1);
        if (t->kind == IRT_PTR) {
            /* docs/language.md §3: kernel pointers never alias; *const ones are
             * read only, which lets NVPTX use ld.global.nc */
            add_attr(w, fn, idx, "noalias");
            add_attr(w, fn, idx, "nocapture");
            if (t->is_const)
                add_attr(w, fn, idx, "readonly");
        } else if (by_ref(t)) {
            const char *an = w->h->aggr_param_attr;
            unsigned k = LLVMGetEnumAttributeKindForName(an, strlen(an));
            LLVMAddAttributeAtIndex(fn, idx, LLVMCreateTypeAttribute(w->ctx, k, llvm_mem_type(w, t)));
            unsigned ak = LLVMGetEnumAttributeKindForName("align", 5);
            LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(w->ctx, ak, t->align));
            add_attr(w, fn, idx, "noalias");
            add_attr(w, fn, idx, "readonly");
        }
    }
    w->h->kernel_abi(w, f, fn);
}

static void
define_func(Lw *w, IrFunc *f)
{
    w->f = f;
    w->fn = w->funcs[f->index];
    w->vals = calloc(f->next_id + 1, sizeof(LLVMValueRef));
    if (!w->vals)
        ICE("out of memory");
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(w->ctx, w->fn, "entry");
    LLVMPositionBuilderAtEnd(w->b, entry);
    /* the prologue (parameters, allocas) belongs to the function's header */
    di_at(w, f->loc, true);
    for (int i = 0; i < f->nparams; i++) {
        IrInst *p = f->param_values[i];
        IrType *t = f->params[i].type;
        LLVMValueRef v = LLVMGetParam(w->fn, (unsigned)i);
        if (f->is_kernel && by_ref(t))
            v = lower_load(w, t, v);
        else if (f->is_kernel)
            v = from_mem(w, t, v);
        if (p)
            w->vals[p->id] = v;
    }
    for (int i = 0; i < f->locals.len; i++) {
        IrInst *l = f->locals.data[i];
        IrType *t = l->type->elem;
        LLVMValueRef a = LLVMBuildAlloca(w->b, llvm_mem_type(w, t), "");
        LLVMSetAlignment(a, (unsigned)t->align);
        w->vals[l->id] = a;
    }
    lower_region(w, &f->body);
    if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(w->b))) {
        if (f->ret->kind == IRT_VOID)
            LLVMBuildRetVoid(w->b);
        else /* sema guarantees a return on every path: this block is dead */
            LLVMBuildUnreachable(w->b);
    }
    free(w->vals);
    w->vals = NULL;
    if (w->dib) /* a location of this function must not leak into the next */
        LLVMSetCurrentDebugLocation2(w->b, NULL);
}

static void
lower_module(Lw *w)
{
    IrModule *m = w->m;
    w->funcs = arena_alloc(m->arena, sizeof(LLVMValueRef) * (size_t)(m->funcs.len + 1));
    w->shared = arena_alloc(m->arena, sizeof(LLVMValueRef) * (size_t)(m->shared.len + 1));
    for (int i = 0; i < m->shared.len; i++) {
        IrShared *s = m->shared.data[i];
        LLVMTypeRef t = llvm_mem_type(w, s->type);
        LLVMValueRef g = LLVMAddGlobalInAddressSpace(w->mod, t, s->name, w->h->shared_as);
        /* shared memory has no initializer (docs/language.md §6) */
        LLVMSetInitializer(g, LLVMGetUndef(t));
        LLVMSetLinkage(g, LLVMInternalLinkage);
        /* At least 16 bytes, as nvcc and clang give __shared__ arrays, so LLVM
         * may widen neighbouring accesses to ld.shared.v4 / ds_read_b128
         * (docs/llvm-targets.md); more where the element type needs it. */
        LLVMSetAlignment(g, (unsigned)(s->type->align < 16 ? 16 : s->type->align));
        w->shared[i] = g;
    }
    for (int i = 0; i < m->funcs.len; i++)
        declare_func(w, m->funcs.data[i]);
    for (int i = 0; i < m->funcs.len; i++)
        define_func(w, m->funcs.data[i]);
}

/* ---- pipeline -------------------------------------------------------------------- */

static EmitStatus
fail(char **err, EmitStatus rc, char *msg)
{
    if (err)
        *err = msg;
    else
        free(msg);
    return rc;
}

static EmitStatus emit_lowered(IrModule *m, bool owned, const TargetOptions *o, const LlvmHooks *h,
                               LlvmOutput kind, Buf *out, char **err);

EmitStatus
llvm_emit_module(IrModule *m, const TargetOptions *o, const LlvmHooks *h, LlvmOutput kind, Buf *out,
                 char **err)
{
    const char *cpu, *features;
    if (!h->cpu_features(o->arch, &cpu, &features))
        return fail(err, EMIT_ENV_ERROR, llvm_strdup_printf("unknown architecture '%s'", o->arch));
    if (!ir_module_has_matrix(m))
        return emit_lowered(m, false, o, h, kind, out, err);
    /* matrix tiles become this arch's fragments, in a copy: the module may
     * go on to other targets (docs/matrix.md) */
    IrMmaKind mk = h->mma_kind ? h->mma_kind(o->arch) : IR_MMA_NONE;
    if (mk == IR_MMA_NV_M16N8K8 && ir_module_has_bf16_matrix(m))
        mk = IR_MMA_NONE; /* sm_75's tensor cores take f16 only (docs/matrix.md) */
    IrMatrixTarget mt = {.subgroup_size = h->subgroup_size(o->arch), .mma = mk};
    IrModule *own = ir_module_clone(m);
    ir_lower_matrix(own, &mt);
    EmitStatus rc = emit_lowered(own, true, o, h, kind, out, err);
    ir_module_free(own);
    return rc;
}

/* LLVM's process-wide options, given once (a second parse of the same
 * option is an error in LLVM) before the first target machine exists:
 *   -nvptx-short-ptr  32-bit pointers for shared (3), constant (4) and local
 *                     (5) memory, as nvcc does: those windows are below 4 GiB,
 *                     and 64-bit addresses there cost a register pair and
 *                     64-bit adds per shared access (docs/benchmarks.md). It
 *                     changes the data layout that every NVPTX target machine
 *                     reports, which llvm_emit_module copies into the module;
 *                     AMDGPU ignores it.
 *   -scalar-evolution-huge-expr-threshold=1000
 *                     ScalarEvolution stops folding an expression of 1000 or
 *                     more nodes (LLVM's default: a million). The codegen
 *                     passes StraightLineStrengthReduce and NaryReassociate,
 *                     which NVPTX and AMDGPU run, ask it about every value, and
 *                     a chain of dependent statements (`s = s * 3u + p[i]`)
 *                     makes each value's expression as long as the chain: 2000
 *                     statements took 40 s, 4000 took 200 s
 *                     (docs/validation.md, compile-time scaling). No kernel of
 *                     the samples or tests reaches the threshold: their PTX and
 *                     AMDGPU code is byte-identical with and without it. */
static void
llvm_process_options(void)
{
    static bool done;
    if (done)
        return;
    static const char *const args[] = {"clawc", "-nvptx-short-ptr",
                                       "-scalar-evolution-huge-expr-threshold=1000"};
    LLVMParseCommandLineOptions(3, args, NULL);
    done = true;
}

static EmitStatus emit_polyfilled(IrModule *m, const TargetOptions *o, const LlvmHooks *h,
                                  LlvmOutput kind, Buf *out, char **err);

/* m with the polyfill of this target: m itself, or a copy when the math
 * library must not be written into a module other targets lower too
 * (ir_polyfill_for); `owned`: m is this target's own copy already. */
static EmitStatus
emit_lowered(IrModule *m, bool owned, const TargetOptions *o, const LlvmHooks *h, LlvmOutput kind,
             Buf *out, char **err)
{
    IrModule *pm = ir_polyfill_for(m, llvm_polyfill_flags(h), owned);
    EmitStatus rc = emit_polyfilled(pm, o, h, kind, out, err);
    if (pm != m)
        ir_module_free(pm);
    return rc;
}

static EmitStatus
emit_polyfilled(IrModule *m, const TargetOptions *o, const LlvmHooks *h, LlvmOutput kind, Buf *out,
                char **err)
{
    const char *cpu, *features;
    if (!h->cpu_features(o->arch, &cpu, &features))
        return fail(err, EMIT_ENV_ERROR, llvm_strdup_printf("unknown architecture '%s'", o->arch));
    llvm_process_options();
    h->init();
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(h->triple, &target, &msg)) {
        EmitStatus rc = fail(err, EMIT_ENV_ERROR, llvm_strdup_printf("LLVM has no %s target: %s", h->triple, msg));
        LLVMDisposeMessage(msg);
        return rc;
    }
    static const LLVMCodeGenOptLevel levels[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
                                                 LLVMCodeGenLevelDefault, LLVMCodeGenLevelAggressive};
    int ol = o->opt_level < 0 ? 0 : o->opt_level > 3 ? 3 : o->opt_level;
    Lw w = {.m = m, .h = h, .o = o};
    w.tm = LLVMCreateTargetMachine(target, h->triple, cpu, features, levels[ol], LLVMRelocPIC,
                                   LLVMCodeModelDefault);
    w.ctx = LLVMContextCreate();
    w.mod = LLVMModuleCreateWithNameInContext(m->source_name ? m->source_name : "claw", w.ctx);
    LLVMSetTarget(w.mod, h->triple);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(w.tm);
    char *dl = LLVMCopyStringRepOfTargetData(td);
    LLVMSetDataLayout(w.mod, dl);
    /* the alloca address space ("A5" on AMDGPU) */
    const char *as = strstr(dl, "-A");
    w.private_as = as ? (unsigned)strtoul(as + 2, NULL, 10) : 0;
    LLVMDisposeMessage(dl);
    LLVMDisposeTargetData(td);
    w.b = LLVMCreateBuilderInContext(w.ctx);
    w.contract = o->fp_contract;
    di_begin(&w, ol > 0);

    lower_module(&w);
    if (w.dib)
        LLVMDIBuilderFinalize(w.dib);
    EmitStatus rc = EMIT_OK;
    char *herr = NULL;
    if (h->finish && !h->finish(&w, &herr)) {
        rc = fail(err, EMIT_INPUT_ERROR, herr);
        goto done;
    }
    if (LLVMVerifyModule(w.mod, LLVMReturnStatusAction, &msg)) {
        char *text = LLVMPrintModuleToString(w.mod);
        fprintf(stderr, "%s\n", text);
        LLVMDisposeMessage(text);
        ICE("LLVM module for %s does not verify: %s", h->triple, msg);
    }
    LLVMDisposeMessage(msg);
    msg = NULL;

    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    char passes[32];
    snprintf(passes, sizeof passes, "default<O%d>", ol);
    LLVMErrorRef e = LLVMRunPasses(w.mod, passes, w.tm, pbo);
    LLVMDisposePassBuilderOptions(pbo);
    if (e) {
        char *em = LLVMGetErrorMessage(e);
        ICE("LLVM pass pipeline failed: %s", em);
    }
    if (h->after_opt)
        h->after_opt(&w);

    if (kind == LLVM_OUT_IR) {
        char *text = LLVMPrintModuleToString(w.mod);
        buf_append(out, text, strlen(text));
        LLVMDisposeMessage(text);
    } else {
        LLVMCodeGenFileType ft = kind == LLVM_OUT_OBJ ? LLVMObjectFile : LLVMAssemblyFile;
        /* AMDGPU assembly is read by people and by scripts/bench/compare_amdgpu.py:
         * give it clang -S's comments (loop headers and depths, register counts,
         * occupancy). PTX stays terse: it is the fat binary's image. */
        if (kind == LLVM_OUT_ASM && strncmp(h->triple, "amdgcn", 6) == 0)
            LLVMSetTargetMachineAsmVerbosity(w.tm, 1);
        LLVMMemoryBufferRef mb;
        if (LLVMTargetMachineEmitToMemoryBuffer(w.tm, w.mod, ft, &msg, &mb)) {
            rc = fail(err, EMIT_INPUT_ERROR, llvm_strdup_printf("LLVM code generation for %s failed: %s", o->arch, msg));
            LLVMDisposeMessage(msg);
            goto done;
        }
        buf_append(out, LLVMGetBufferStart(mb), LLVMGetBufferSize(mb));
        LLVMDisposeMemoryBuffer(mb);
    }
done:
    buf_free(&w.helper_ir);
    if (w.dib)
        LLVMDisposeDIBuilder(w.dib);
    LLVMDisposeBuilder(w.b);
    LLVMDisposeModule(w.mod);
    LLVMContextDispose(w.ctx);
    LLVMDisposeTargetMachine(w.tm);
    return rc;
}

/* ---- host lowering (tests) ------------------------------------------------------- */

/* The hardware 2^f unit on the host: a call to jit.c's model of it, which
 * tests set to the GPUs' documented worst case (llvm_jit_set_exp2_unit). */
static LLVMValueRef
host_exp2_unit(Lw *w, LLVMValueRef f)
{
    LLVMTypeRef ft = LLVMTypeOf(f);
    LLVMTypeRef fnty = LLVMFunctionType(ft, &ft, 1, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(w->mod, LLVM_JIT_EXP2_UNIT);
    if (!fn)
        fn = LLVMAddFunction(w->mod, LLVM_JIT_EXP2_UNIT, fnty);
    return LLVMBuildCall2(w->b, fnty, fn, &f, 1, "");
}

/* A call to the f32 -> f32 function jit.c defines as `name`. */
static LLVMValueRef
host_unit_call(Lw *w, const char *name, LLVMValueRef x)
{
    LLVMTypeRef ft = LLVMTypeOf(x);
    LLVMTypeRef fnty = LLVMFunctionType(ft, &ft, 1, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(w->mod, name);
    if (!fn)
        fn = LLVMAddFunction(w->mod, name, fnty);
    return LLVMBuildCall2(w->b, fnty, fn, &x, 1, "");
}

/* The hardware 1/sqrt and log2 units on the host: jit.c's models of them
 * (llvm_jit_set_rsqrt_unit, llvm_jit_set_log2_unit). */
static LLVMValueRef
host_rsqrt_unit(Lw *w, LLVMValueRef x)
{
    return host_unit_call(w, LLVM_JIT_RSQRT_UNIT, x);
}

static LLVMValueRef
host_log2_unit(Lw *w, LLVMValueRef x)
{
    return host_unit_call(w, LLVM_JIT_LOG2_UNIT, x);
}

/* The host needs no other GPU hook: llvm_lower_host refuses kernels, and
 * the device functions it is given use no builtin (jit.c). The units are
 * NVPTX's (exp2, rsqrt); host_hooks_amd adds AMDGPU's log2. */
static const LlvmHooks host_hooks = {.aggr_param_attr = "byval",
                                     .bf16_by_bits = true,
                                     .exp2_unit = host_exp2_unit,
                                     .rsqrt_unit = host_rsqrt_unit};
static const LlvmHooks host_hooks_amd = {.aggr_param_attr = "byval",
                                         .bf16_by_bits = true,
                                         .exp2_unit = host_exp2_unit,
                                         .rsqrt_unit = host_rsqrt_unit,
                                         .log2_unit = host_log2_unit};
/* LLVM_HOST_FMA_FREE: no unit at all */
static const LlvmHooks host_hooks_plain = {.aggr_param_attr = "byval", .bf16_by_bits = true};

LLVMModuleRef
llvm_lower_host(IrModule *m, LLVMContextRef ctx, LLVMTargetMachineRef tm, LlvmHostMath math,
                char **err)
{
    IrModule *orig = m;
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        if (f->is_kernel) {
            fail(err, EMIT_INPUT_ERROR, llvm_strdup_printf("kernel '%s' cannot run on the host", f->name));
            return NULL;
        }
    }
    if (ir_module_has_matrix(m)) {
        fail(err, EMIT_INPUT_ERROR, llvm_strdup_printf("matrix operations need a subgroup; they cannot run on the host"));
        return NULL;
    }
    const LlvmHooks *hooks = math == LLVM_HOST_AMDGPU     ? &host_hooks_amd
                             : math == LLVM_HOST_FMA_FREE ? &host_hooks_plain
                                                          : &host_hooks;
    /* x86's f16 fma is an f32 fma rounded to f16 (IR_PF_FMA_F16) */
    unsigned flags = llvm_polyfill_flags(hooks) | IR_PF_FMA_F16 |
                     (math == LLVM_HOST_FMA_FREE ? IR_PF_FMA_TWICE : 0u);
    /* the caller's module may be lowered again with the other units */
    IrModule *own = ir_polyfill_for(m, flags, false);
    m = own;
    static const TargetOptions host_opts = {.arch = "host", .opt_level = 3, .fp_contract = false};
    Lw w = {.m = m,
            .h = hooks,
            .o = &host_opts,
            .ctx = ctx,
            .tm = tm};
    w.mod = LLVMModuleCreateWithNameInContext("claw-host", ctx);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(w.mod, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    char *dl = LLVMCopyStringRepOfTargetData(td);
    LLVMSetDataLayout(w.mod, dl);
    LLVMDisposeMessage(dl);
    LLVMDisposeTargetData(td);
    w.b = LLVMCreateBuilderInContext(ctx);
    lower_module(&w);
    LLVMDisposeBuilder(w.b);
    /* device functions are internal for the GPU; a JIT looks them up by name */
    for (int i = 0; i < m->funcs.len; i++)
        LLVMSetLinkage(w.funcs[i], LLVMExternalLinkage);
    char *msg = NULL;
    if (LLVMVerifyModule(w.mod, LLVMReturnStatusAction, &msg))
        ICE("host LLVM module does not verify: %s", msg);
    LLVMDisposeMessage(msg);
    if (own != orig)
        ir_module_free(own);
    return w.mod;
}

/* ---- files for the external tools (amdgpu.c: ld.lld, ptxas.c: ptxas) ---------- */

bool
llvm_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

bool
llvm_read_file(const char *path, Buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(out, tmp, n);
    bool ok = !ferror(f);
    fclose(f);
    return ok;
}
