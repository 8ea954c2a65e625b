/* spirv_func.c: SPIR-V function bodies: instructions and structured control
 * flow, from one verified IrFunc.
 *
 * A function is written as OpFunction, its parameters, the entry block's
 * OpLabel, every LOCAL as a Function OpVariable (SPIR-V 2.16.1: variables
 * open the first block), then the code. Kernels take no SPIR-V parameters:
 * their IR parameters are loaded from the kernel's push-constant block (or,
 * past 104 bytes, through the buffer address it holds; docs/spirv.md).
 *
 * Control flow follows SPIR-V 2.11's structured rules:
 *   IF    header: OpSelectionMerge m; OpBranchConditional c then else
 *   LOOP  header: OpLoopMerge m cont; OpBranch body
 *         body ... OpBranch cont; cont: cont_r; OpBranchConditional
 *         break_if m header (or OpBranch header)
 *   BREAK -> the loop's merge, CONTINUE -> its continue target.
 * `open` says whether the current block still lacks a terminator; code after
 * a construct that never falls through is dead and is not emitted, and a
 * merge block nothing reaches holds just OpUnreachable.
 *
 * Source lines: before the code of an instruction whose SrcLoc differs from
 * the line in effect comes an OpLine (file, line, column), and OpNoLine
 * before compiler-made code (line 0). An OpLine lasts until the end of its
 * block (SPIR-V spec, OpLine), so every OpLabel forgets it; it never sits
 * between the OpVariables that open the entry block, nor between a merge
 * instruction and its branch (SPIR-V 2.4).
 *
 * The language's rules that SPIR-V leaves undefined are guarded here:
 * division by zero and MIN / -1 (the divisor is replaced by 1), shift
 * amounts (masked to the width), float -> int casts (NaN -> 0, saturation),
 * ROUND half away from zero. The math builtins but sqrt and rsqrt, and the
 * single-rounding fma, arrive as calls of the IR math library's helpers
 * (ir/mathlib.c, in its fma-free configuration: spirv.c SPV_POLYFILL).
 *
 * Kernels end with the loop-limit probe (docs/spirv.md "Driver loop
 * limits"): their push constants end with a status-word address, and a
 * kernel that reaches a loop probes, at each exit outside every loop,
 * whether a driver's loop limiter cut it short. */
#include "spirv_emit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct LoopCtx {
    uint32_t merge, cont;
    bool merge_reached, cont_reached;
    struct LoopCtx *outer;
} LoopCtx;

typedef struct Fn {
    Spv *s;
    IrFunc *f;
    SpvWords vars;     /* OpVariables of the entry block */
    SpvWords code;     /* everything after them */
    uint32_t *vals;    /* IrInst.id -> SPIR-V id */
    bool open;         /* the current block has no terminator yet */
    LoopCtx *loop;     /* innermost loop */
    SpvFuncUse *use;
    SrcLoc line;       /* the OpLine in effect (line 0: none) */
    uint32_t probe;    /* kernels that reach a loop: the loop-limit probe's array */
    uint32_t returned; /* such kernels with a return inside a loop: its bool flag */
    bool exact;        /* the instruction being emitted is IrInst.exact */
} Fn;

/* ---- instruction helpers --------------------------------------------------- */

static uint32_t
op_n(Fn *fn, SpvOp op, uint32_t type, const uint32_t *args, int n)
{
    uint32_t id = spv_id(fn->s);
    spv_words_push(&fn->code, ((uint32_t)(n + 3) << SpvWordCountShift) | (uint32_t)op);
    spv_words_push(&fn->code, type);
    spv_words_push(&fn->code, id);
    for (int i = 0; i < n; i++)
        spv_words_push(&fn->code, args[i]);
    return id;
}

/* OP(fn, SpvOpX, result type, operands...) -> result id */
#define OP(fn, op, type, ...) op_n((fn), (op), (type), (const uint32_t[]){__VA_ARGS__}, SPV_NARGS(__VA_ARGS__))

static uint32_t
glsl(Fn *fn, uint32_t type, enum GLSLstd450 inst, const uint32_t *args, int n)
{
    uint32_t ops[5] = {spv_glsl(fn->s), (uint32_t)inst};
    for (int i = 0; i < n; i++)
        ops[2 + i] = args[i];
    return op_n(fn, SpvOpExtInst, type, ops, n + 2);
}

#define GLSL(fn, type, inst, ...) glsl((fn), (type), (inst), (const uint32_t[]){__VA_ARGS__}, SPV_NARGS(__VA_ARGS__))

static void
label(Fn *fn, uint32_t id)
{
    SPV_INST(&fn->code, SpvOpLabel, id);
    fn->open = true;
    fn->line = (SrcLoc){0}; /* an OpLine ends with its block */
}

/* Puts loc in effect for the code that follows: OpLine when it differs from
 * the line in effect, OpNoLine when it is no source location. */
static void
set_line(Fn *fn, SrcLoc loc)
{
    uint32_t file = fn->s->file_str;
    if (!file || (loc.line == fn->line.line && (loc.line == 0 || loc.col == fn->line.col)))
        return;
    if (loc.line == 0)
        spv_inst(&fn->code, SpvOpNoLine, NULL, 0);
    else
        SPV_INST(&fn->code, SpvOpLine, file, loc.line, loc.col);
    fn->line = loc;
}

static void
branch(Fn *fn, uint32_t target)
{
    SPV_INST(&fn->code, SpvOpBranch, target);
    fn->open = false;
}

static void
unreachable_block(Fn *fn)
{
    spv_inst(&fn->code, SpvOpUnreachable, NULL, 0);
    fn->open = false;
}

/* SPIR-V NoContraction keeps a*b+c unfused under -ffp-contract=off, and
 * keeps the polyfill's exact steps (IrInst.exact) as written: Mesa, for
 * one, treats only NoContraction operations as exact in its algebraic
 * rewrites */
static uint32_t
fp_result(Fn *fn, uint32_t id)
{
    if (!fn->s->fp_contract || fn->exact)
        spv_decorate(fn->s, id, SpvDecorationNoContraction, NULL, 0);
    return id;
}

static uint32_t
type_bool(Fn *fn)
{
    return spv_type_bool(fn->s);
}

/* ---- values ----------------------------------------------------------------- */

static uint32_t
const_of(Spv *s, IrInst *v)
{
    IrType *t = v->type;
    switch (t->kind) {
    case IRT_BOOL: return spv_const_bool(s, v->imm.i != 0);
    case IRT_INT: return spv_const_int(s, t->bits, v->imm.i);
    case IRT_FLOAT:
        if (t->is_bf16) /* bf16 lives in a 16-bit integer (spv_mem_type) */
            return spv_const_int(s, 16, ir_bf16_bits(v->imm.f));
        return spv_const_float(s, t->bits, v->imm.f);
    default: break; /* pointers: val() */
    }
    ICE("constant of unsupported type %s", ir_type_name(s->m, t));
}

static uint32_t
zero_of(Spv *s, IrType *t)
{
    switch (t->kind) {
    case IRT_BOOL: return spv_const_bool(s, false);
    case IRT_INT: return spv_const_int(s, t->bits, 0);
    case IRT_FLOAT: return t->is_bf16 ? spv_const_int(s, 16, 0) : spv_const_float(s, t->bits, 0.0);
    case IRT_VEC: return spv_const_null(s, spv_val_type(s, t));
    default: return spv_const_null(s, spv_mem_type(s, t));
    }
}

static uint32_t
val(Fn *fn, IrInst *v)
{
    Spv *s = fn->s;
    /* A pointer constant (null, address 0): SPIR-V has no null
     * PhysicalStorageBuffer pointer constant (OpConstantNull cannot have that
     * type), so it is converted from the u64 where it is used. */
    if ((v->op == IR_CONST || v->op == IR_ZERO) && v->type->kind == IRT_PTR)
        return OP(fn, SpvOpConvertUToPtr, spv_ptr_type(s, v->type),
                  spv_const_int(s, 64, v->op == IR_CONST ? v->imm.i : 0));
    switch (v->op) {
    case IR_CONST: return const_of(s, v);
    case IR_ZERO: return zero_of(s, v->type);
    case IR_UNDEF: return spv_undef(s, spv_val_type(s, v->type));
    case IR_SHARED:
        fn->use->shared[v->imm.shared->index] = true;
        return spv_shared_var(s, v->imm.shared);
    case IR_MAT_SG_SIZE: return spv_spec_subgroup_size(s);
    case IR_PARAM: case IR_ADD: case IR_SUB: case IR_MUL: case IR_DIV: case IR_REM: case IR_AND:
    case IR_OR: case IR_XOR: case IR_SHL: case IR_SHR: case IR_NEG: case IR_NOT: case IR_EQ:
    case IR_NE: case IR_LT: case IR_LE: case IR_GT: case IR_GE: case IR_CAST: case IR_BITCAST: case IR_SELECT:
    case IR_LOCAL: case IR_LOAD: case IR_STORE: case IR_ELEM_PTR: case IR_FIELD_PTR:
    case IR_PTR_ADD: case IR_EXTRACT: case IR_INSERT: case IR_COMPOSITE: case IR_CALL:
    case IR_THREAD_ID: case IR_BLOCK_ID: case IR_BLOCK_DIM: case IR_GRID_DIM: case IR_GLOBAL_ID:
    case IR_BARRIER: case IR_SQRT: case IR_RSQRT: case IR_EXP: case IR_EXP2: case IR_LOG:
    case IR_LOG2: case IR_SIN: case IR_COS: case IR_TAN: case IR_TANH: case IR_POW: case IR_FLOOR:
    case IR_CEIL: case IR_ROUND: case IR_TRUNC: case IR_RINT: case IR_TWO_OVER_PI: case IR_FTOI: case IR_CLZ: case IR_ABS: case IR_MIN: case IR_MAX:
    case IR_CLAMP: case IR_FMA: case IR_ATOMIC_ADD: case IR_ATOMIC_SUB: case IR_ATOMIC_MIN:
    case IR_ATOMIC_MAX: case IR_ATOMIC_AND: case IR_ATOMIC_OR: case IR_ATOMIC_XOR:
    case IR_ATOMIC_XCHG: case IR_ATOMIC_CAS: case IR_LANE_ID: case IR_SUBGROUP_SIZE:
    case IR_SUBGROUP_ID: case IR_NUM_SUBGROUPS:
    case IR_SHUFFLE: case IR_SHUFFLE_XOR: case IR_SUBGROUP_SUM: case IR_SUBGROUP_MIN:
    case IR_SUBGROUP_MAX:
    case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL: case IR_IF: case IR_LOOP: case IR_BREAK: case IR_CONTINUE:
    case IR_RETURN: IR_MATRIX_OP_CASES: case IR_MMA_FRAG: case IR_NUM_OPS:
        if (v->id >= fn->f->next_id || !fn->vals[v->id])
            ICE("%s value %%%u of %s used before it was emitted", ir_op_name(v->op), v->id,
                fn->f->name);
        return fn->vals[v->id];
    }
    UNREACHABLE(); /* an op outside IrOp */
}

/* vec3<T> values are vectors, in memory arrays of 3 (spv_mem_type, or
 * spv_local_type in Function and Workgroup memory): v rebuilt as type rt */
static uint32_t
vec3_convert(Fn *fn, IrType *t, uint32_t v, uint32_t rt)
{
    uint32_t e = spv_val_type(fn->s, t->elem), c[3];
    for (uint32_t i = 0; i < 3; i++)
        c[i] = OP(fn, SpvOpCompositeExtract, e, v, i);
    return op_n(fn, SpvOpCompositeConstruct, rt, c, 3);
}

static bool
is_vec3_mem(const IrType *t)
{
    return t->kind == IRT_VEC && t->count == 3 && t->elem->kind != IRT_BOOL;
}

/* bool in memory is a u8 0/1 (SPIR-V bool has no storage layout) */
static uint32_t
to_mem(Fn *fn, IrType *t, uint32_t v)
{
    if (is_vec3_mem(t))
        return vec3_convert(fn, t, v, spv_mem_type(fn->s, t));
    if (t->kind != IRT_BOOL)
        return v;
    Spv *s = fn->s;
    return OP(fn, SpvOpSelect, spv_type_int(s, 8), v, spv_const_int(s, 8, 1), spv_const_int(s, 8, 0));
}

static uint32_t
from_mem(Fn *fn, IrType *t, uint32_t v)
{
    if (is_vec3_mem(t))
        return vec3_convert(fn, t, v, spv_val_type(fn->s, t));
    if (t->kind != IRT_BOOL)
        return v;
    return OP(fn, SpvOpINotEqual, type_bool(fn), v, spv_const_int(fn->s, 8, 0));
}

/* Reads a builtin input. block_id.x, global_id.x and grid_dim are those of
 * the whole launch, which the runtime may split into several dispatches:
 * they come from the launch block (kernel_launch_block). */
static uint32_t
load_builtin(Fn *fn, SpvBuiltinVar b, int dim)
{
    Spv *s = fn->s;
    uint32_t u32 = spv_type_int(s, 32);
    if (dim >= 0 && (((b == BV_WORKGROUP_ID || b == BV_GLOBAL_ID) && dim == 0) ||
                     b == BV_NUM_WORKGROUPS)) {
        const SpvLaunchVars *lv = spv_launch_vars(s);
        if (b == BV_NUM_WORKGROUPS) {
            uint32_t v = OP(fn, SpvOpLoad, spv_type_vec(s, u32, 3), lv->grid);
            return OP(fn, SpvOpCompositeExtract, u32, v, (uint32_t)dim);
        }
        return OP(fn, SpvOpLoad, u32, b == BV_WORKGROUP_ID ? lv->block_x : lv->global_x);
    }
    uint32_t var = spv_builtin_var_in(s, fn->use, b);
    if (dim < 0)
        return OP(fn, SpvOpLoad, u32, var);
    uint32_t v = OP(fn, SpvOpLoad, spv_type_vec(s, u32, 3), var);
    return OP(fn, SpvOpCompositeExtract, u32, v, (uint32_t)dim);
}

/* ---- arithmetic --------------------------------------------------------------- */

static uint32_t
emit_divrem(Fn *fn, IrInst *inst, uint32_t t, uint32_t x, uint32_t y)
{
    IrType *ty = inst->type;
    bool rem = inst->op == IR_REM;
    if (ty->kind == IRT_FLOAT) /* OpFRem: sign of the dividend, as C fmod */
        return fp_result(fn, OP(fn, rem ? SpvOpFRem : SpvOpFDiv, t, x, y));
    /* the divisor is never 0 nor -1 with x == MIN: ir_polyfill (IR_PF_INT_DIV) */
    SpvOp op = ty->is_signed ? (rem ? SpvOpSRem : SpvOpSDiv) : (rem ? SpvOpUMod : SpvOpUDiv);
    return OP(fn, op, t, x, y);
}

static uint32_t
emit_binary(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    IrType *ty = inst->type;
    uint32_t t = spv_val_type(s, ty);
    uint32_t x = val(fn, inst->ops[0]), y = val(fn, inst->ops[1]);
    bool fl = ty->kind == IRT_FLOAT, bl = ty->kind == IRT_BOOL;
    switch (inst->op) {
    case IR_ADD: return fl ? fp_result(fn, OP(fn, SpvOpFAdd, t, x, y)) : OP(fn, SpvOpIAdd, t, x, y);
    case IR_SUB: return fl ? fp_result(fn, OP(fn, SpvOpFSub, t, x, y)) : OP(fn, SpvOpISub, t, x, y);
    case IR_MUL: return fl ? fp_result(fn, OP(fn, SpvOpFMul, t, x, y)) : OP(fn, SpvOpIMul, t, x, y);
    case IR_DIV:
    case IR_REM: return emit_divrem(fn, inst, t, x, y);
    case IR_AND: return OP(fn, bl ? SpvOpLogicalAnd : SpvOpBitwiseAnd, t, x, y);
    case IR_OR: return OP(fn, bl ? SpvOpLogicalOr : SpvOpBitwiseOr, t, x, y);
    case IR_XOR: return OP(fn, bl ? SpvOpLogicalNotEqual : SpvOpBitwiseXor, t, x, y);
    case IR_SHL:
    case IR_SHR: {
        /* the amount is below the width: ir_polyfill (IR_PF_SHIFT) */
        SpvOp op = inst->op == IR_SHL ? SpvOpShiftLeftLogical
                   : ty->is_signed   ? SpvOpShiftRightArithmetic
                                     : SpvOpShiftRightLogical;
        return OP(fn, op, t, x, y);
    }
    case IR_CONST: case IR_ZERO: case IR_UNDEF: case IR_PARAM: case IR_NEG: case IR_NOT:
    case IR_EQ: case IR_NE: case IR_LT: case IR_LE: case IR_GT: case IR_GE: case IR_CAST: case IR_BITCAST:
    case IR_SELECT: case IR_LOCAL: case IR_SHARED: case IR_LOAD: case IR_STORE: case IR_ELEM_PTR:
    case IR_FIELD_PTR: case IR_PTR_ADD: case IR_EXTRACT: case IR_INSERT: case IR_COMPOSITE:
    case IR_CALL: case IR_THREAD_ID: case IR_BLOCK_ID: case IR_BLOCK_DIM: case IR_GRID_DIM:
    case IR_GLOBAL_ID: case IR_BARRIER: case IR_SQRT: case IR_RSQRT: case IR_EXP: case IR_EXP2:
    case IR_LOG: case IR_LOG2: case IR_SIN: case IR_COS: case IR_TAN: case IR_TANH: case IR_POW:
    case IR_FLOOR: case IR_CEIL: case IR_ROUND: case IR_TRUNC: case IR_RINT: case IR_TWO_OVER_PI: case IR_FTOI: case IR_CLZ: case IR_ABS: case IR_MIN:
    case IR_MAX: case IR_CLAMP: case IR_FMA: case IR_ATOMIC_ADD: case IR_ATOMIC_SUB:
    case IR_ATOMIC_MIN: case IR_ATOMIC_MAX: case IR_ATOMIC_AND: case IR_ATOMIC_OR:
    case IR_ATOMIC_XOR: case IR_ATOMIC_XCHG: case IR_ATOMIC_CAS: case IR_LANE_ID:
    case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID: case IR_NUM_SUBGROUPS: case IR_SHUFFLE:
    case IR_SHUFFLE_XOR: case IR_SUBGROUP_SUM:
    case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX:
    case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL: case IR_IF: case IR_LOOP: case IR_BREAK:
    case IR_CONTINUE: case IR_RETURN: IR_MATRIX_OP_CASES: case IR_MMA_FRAG: case IR_MAT_SG_SIZE: case IR_NUM_OPS: UNREACHABLE();
    }
    UNREACHABLE(); /* an op outside IrOp */
}

static uint32_t
emit_compare(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    IrType *ty = inst->ops[0]->type;
    uint32_t b = type_bool(fn);
    uint32_t x = val(fn, inst->ops[0]), y = val(fn, inst->ops[1]);
    int k = inst->op - IR_EQ; /* EQ NE LT LE GT GE */
    if (ty->kind == IRT_PTR) {
        uint32_t u64 = spv_type_int(s, 64);
        x = OP(fn, SpvOpConvertPtrToU, u64, x);
        y = OP(fn, SpvOpConvertPtrToU, u64, y);
        static const SpvOp pops[6] = {SpvOpIEqual,       SpvOpINotEqual,          SpvOpULessThan,
                                      SpvOpULessThanEqual, SpvOpUGreaterThan, SpvOpUGreaterThanEqual};
        return OP(fn, pops[k], b, x, y);
    }
    if (ty->kind == IRT_BOOL) {
        if (inst->op == IR_EQ)
            return OP(fn, SpvOpLogicalEqual, b, x, y);
        if (inst->op == IR_NE)
            return OP(fn, SpvOpLogicalNotEqual, b, x, y);
        /* false < true, as for 0/1 */
        x = to_mem(fn, ty, x);
        y = to_mem(fn, ty, y);
    }
    static const SpvOp fops[6] = {SpvOpFOrdEqual,       SpvOpFUnordNotEqual,    SpvOpFOrdLessThan,
                                  SpvOpFOrdLessThanEqual, SpvOpFOrdGreaterThan, SpvOpFOrdGreaterThanEqual};
    static const SpvOp sops[6] = {SpvOpIEqual,       SpvOpINotEqual,          SpvOpSLessThan,
                                  SpvOpSLessThanEqual, SpvOpSGreaterThan, SpvOpSGreaterThanEqual};
    static const SpvOp uops[6] = {SpvOpIEqual,       SpvOpINotEqual,          SpvOpULessThan,
                                  SpvOpULessThanEqual, SpvOpUGreaterThan, SpvOpUGreaterThanEqual};
    if (ty->kind == IRT_FLOAT)
        return OP(fn, fops[k], b, x, y);
    return OP(fn, ty->kind == IRT_INT && ty->is_signed ? sops[k] : uops[k], b, x, y);
}

/* ---- conversions (docs/language.md §2) --------------------------------------------- */

/* Float -> int truncates toward zero, saturates, and maps NaN to 0; SPIR-V's
 * OpConvertFTo[SU] is undefined out of range, so clamp first into a range
 * that converts exactly, then pick MAX for inputs at or past 2^N. */
static uint32_t
float_to_int(Fn *fn, uint32_t x, IrType *from, IrType *to)
{
    Spv *s = fn->s;
    uint32_t ft = spv_val_type(s, from), it = spv_val_type(s, to);
    uint32_t fb = from->bits, ib = to->bits;
    double fmax = fb == 16 ? 65504.0 : fb == 32 ? 3.4028234663852886e38 : 1.7976931348623157e308;
    int mant = fb == 16 ? 11 : fb == 32 ? 24 : 53;
    double lo = to->is_signed ? -ldexp(1.0, (int)ib - 1) : 0.0;
    double hi_excl = ldexp(1.0, to->is_signed ? (int)ib - 1 : (int)ib); /* a power of two */
    uint32_t isnan_ = OP(fn, SpvOpIsNan, type_bool(fn), x);
    uint32_t xc = OP(fn, SpvOpSelect, ft, isnan_, spv_const_float(s, fb, 0.0), x);
    xc = GLSL(fn, ft, GLSLstd450FMax, xc, spv_const_float(s, fb, lo < -fmax ? -fmax : lo));
    bool hi_fits = hi_excl <= fmax;
    double safe_hi = hi_fits ? hi_excl - ldexp(hi_excl, -mant) : fmax;
    xc = GLSL(fn, ft, GLSLstd450FMin, xc, spv_const_float(s, fb, safe_hi));
    uint32_t r = OP(fn, to->is_signed ? SpvOpConvertFToS : SpvOpConvertFToU, it, xc);
    if (hi_fits) {
        uint32_t big = OP(fn, SpvOpFOrdGreaterThanEqual, type_bool(fn), x,
                          spv_const_float(s, fb, hi_excl));
        uint64_t maxv = to->is_signed ? (UINT64_C(1) << (ib - 1)) - 1
                                      : (ib == 64 ? UINT64_MAX : (UINT64_C(1) << ib) - 1);
        r = OP(fn, SpvOpSelect, it, big, spv_const_int(s, ib, maxv), r);
    }
    return r;
}

/* -x on integers as 0 - x, never OpSNegate: SPIRV-Tools 2023.1's optimiser
 * (Debian 12) rewrites OpSNegate(OpUDiv(a, C)) as OpUDiv(a, -C), which is
 * only right for a signed division, so `-((c / 15u64) as i64)` came out as
 * c / 0xFFFFFFFFFFFFFFF1 (found by claw_difftest, docs/validation.md
 * "Fuzzing"). Both wrap the same way: -MIN == MIN. */
static uint32_t
int_negate(Fn *fn, uint32_t t, uint32_t bits, uint32_t x)
{
    return OP(fn, SpvOpISub, t, spv_const_int(fn->s, bits, 0), x);
}

/* f32 <-> bf16, the only bf16 conversions left after ir_polyfill
 * (IR_PF_BF16). SPIR-V has no bfloat16 type that a Vulkan 1.3 device must
 * have, so bf16 values are their 16 bits in an integer (spv_mem_type), and
 * the conversions are bit operations: widening shifts the bits up (exact);
 * narrowing rounds to nearest even by adding 0x7fff plus the last kept bit
 * before dropping 16 bits, which also carries overflow into the infinity;
 * a NaN (tested on the bits, so no float control can fold it away) keeps
 * its sign and top payload and gets the quiet bit. The same rounding is
 * what LLVM's expansion of fptrunc to bfloat and cvt.rn.bf16.f32 compute. */
static uint32_t
bf16_convert(Fn *fn, bool narrow, uint32_t x)
{
    Spv *s = fn->s;
    uint32_t u32 = spv_type_int(s, 32), u16 = spv_type_int(s, 16), b = spv_type_bool(s);
    uint32_t c16 = spv_const_u32(s, 16);
    if (!narrow) {
        uint32_t w = OP(fn, SpvOpUConvert, u32, x);
        return OP(fn, SpvOpBitcast, spv_type_float(s, 32), OP(fn, SpvOpShiftLeftLogical, u32, w, c16));
    }
    uint32_t bits = OP(fn, SpvOpBitcast, u32, x);
    uint32_t hi = OP(fn, SpvOpShiftRightLogical, u32, bits, c16);
    uint32_t lsb = OP(fn, SpvOpBitwiseAnd, u32, hi, spv_const_u32(s, 1));
    uint32_t sum = OP(fn, SpvOpIAdd, u32, OP(fn, SpvOpIAdd, u32, bits, spv_const_u32(s, 0x7fff)), lsb);
    uint32_t rounded = OP(fn, SpvOpShiftRightLogical, u32, sum, c16);
    uint32_t mag = OP(fn, SpvOpBitwiseAnd, u32, bits, spv_const_u32(s, 0x7fffffff));
    uint32_t nan = OP(fn, SpvOpUGreaterThan, b, mag, spv_const_u32(s, 0x7f800000));
    uint32_t quiet = OP(fn, SpvOpBitwiseOr, u32, hi, spv_const_u32(s, 0x40));
    return OP(fn, SpvOpUConvert, u16, OP(fn, SpvOpSelect, u32, nan, quiet, rounded));
}

static uint32_t
emit_cast(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    IrType *from = inst->ops[0]->type, *to = inst->type;
    uint32_t x = val(fn, inst->ops[0]);
    uint32_t t = spv_val_type(s, to);
    if (from->kind == IRT_INT && to->kind == IRT_INT) {
        if (from->bits == to->bits)
            return x; /* one SPIR-V type per width */
        if (from->is_signed && from->bits == 32 && to->bits == 64) {
            /* i32 -> i64 as (zext x << 32) >>s 32, not OpSConvert: Mesa 22.3
             * (Debian 12's lavapipe) folds a signed comparison of an
             * OpSConvert'ed i32 with a small constant into an unsigned 32-bit
             * one, so `(x as i64) > 0` was true for negative x (found by
             * claw_difftest, docs/validation.md "Fuzzing"). */
            uint32_t sh = spv_const_int(s, 32, 32);
            uint32_t z = OP(fn, SpvOpUConvert, t, x);
            return OP(fn, SpvOpShiftRightArithmetic, t, OP(fn, SpvOpShiftLeftLogical, t, z, sh), sh);
        }
        if (to->bits > from->bits)
            return OP(fn, from->is_signed ? SpvOpSConvert : SpvOpUConvert, t, x);
        return OP(fn, SpvOpUConvert, t, x); /* keeps the low bits */
    }
    if (from->kind == IRT_INT && to->kind == IRT_FLOAT)
        return OP(fn, from->is_signed ? SpvOpConvertSToF : SpvOpConvertUToF, t, x);
    if (from->kind == IRT_FLOAT && to->kind == IRT_FLOAT && (from->is_bf16 || to->is_bf16)) {
        if (from == to)
            return x;
        if (from->bits == 32 || to->bits == 32)
            return bf16_convert(fn, to->is_bf16, x);
        ICE("bf16 cast from %s to %s left by the polyfill", ir_type_name(s->m, from),
            ir_type_name(s->m, to));
    }
    if (from->kind == IRT_FLOAT && to->kind == IRT_FLOAT)
        return from->bits == to->bits ? x : OP(fn, SpvOpFConvert, t, x);
    if (from->kind == IRT_FLOAT && to->kind == IRT_INT)
        return float_to_int(fn, x, from, to);
    if (from->kind == IRT_BOOL && to->kind == IRT_INT)
        return OP(fn, SpvOpSelect, t, x, spv_const_int(s, to->bits, 1), spv_const_int(s, to->bits, 0));
    if (from->kind == IRT_PTR && to->kind == IRT_INT)
        return OP(fn, SpvOpConvertPtrToU, t, x);
    if (from->kind == IRT_INT && to->kind == IRT_PTR)
        return OP(fn, SpvOpConvertUToPtr, t, x);
    if (from->kind == IRT_PTR && to->kind == IRT_PTR)
        return spv_ptr_type(s, from) == t ? x : OP(fn, SpvOpBitcast, t, x);
    if (from == to)
        return x;
    ICE("cast from %s to %s", ir_type_name(s->m, from), ir_type_name(s->m, to));
}

/* ---- math (GLSL.std.450) ------------------------------------------------------- */

static uint32_t
math1(Fn *fn, IrType *ty, enum GLSLstd450 inst, uint32_t x)
{
    return GLSL(fn, spv_val_type(fn->s, ty), inst, x);
}

/* fma: only the fallback of the math library's single-rounding
 * emulation is left (__claw_fma_f64 beyond the range of its exact split;
 * IR_PF_FMA_TWICE rewrites the language's fma), where GLSL Fma, which may
 * round twice on Vulkan, is what there is */
static uint32_t
emit_fma(Fn *fn, IrType *ty, uint32_t a, uint32_t b, uint32_t c)
{
    return GLSL(fn, spv_val_type(fn->s, ty), GLSLstd450Fma, a, b, c);
}

static uint32_t
int_minmax(Fn *fn, IrType *ty, bool is_min, uint32_t x, uint32_t y)
{
    SpvOp cmp = is_min ? (ty->is_signed ? SpvOpSLessThan : SpvOpULessThan)
                       : (ty->is_signed ? SpvOpSGreaterThan : SpvOpUGreaterThan);
    uint32_t c = OP(fn, cmp, type_bool(fn), x, y);
    return OP(fn, SpvOpSelect, spv_val_type(fn->s, ty), c, x, y);
}

static uint32_t
minmax(Fn *fn, IrType *ty, bool is_min, uint32_t x, uint32_t y)
{
    if (ty->kind == IRT_INT)
        return int_minmax(fn, ty, is_min, x, y);
    /* NMin/NMax: if one operand is NaN, the other (ops.def MIN) */
    return GLSL(fn, spv_val_type(fn->s, ty), is_min ? GLSLstd450NMin : GLSLstd450NMax, x, y);
}

static uint32_t
emit_math(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    IrType *ty = inst->type;
    uint32_t t = spv_val_type(s, ty);
    uint32_t x = val(fn, inst->ops[0]);
    switch (inst->op) {
    case IR_SQRT: return math1(fn, ty, GLSLstd450Sqrt, x);
    case IR_RSQRT: return math1(fn, ty, GLSLstd450InverseSqrt, x);
    case IR_EXP: case IR_EXP2: case IR_LOG: case IR_LOG2: case IR_SIN: case IR_COS:
    case IR_TAN: case IR_TANH: case IR_POW:
        /* the math library's (SPV_POLYFILL, spirv.c) */
        ICE("%s left by the polyfill", ir_op_name(inst->op));
    case IR_FLOOR: return math1(fn, ty, GLSLstd450Floor, x);
    case IR_CEIL: return math1(fn, ty, GLSLstd450Ceil, x);
    case IR_TRUNC: return math1(fn, ty, GLSLstd450Trunc, x);
    case IR_RINT: return math1(fn, ty, GLSLstd450RoundEven, x); /* ties to even, as rint */
    case IR_FTOI: return OP(fn, SpvOpConvertFToS, t, x); /* in range: ops.def */
    case IR_CLZ: {
        /* FindUMsb (32-bit only) is -1 for 0: clz = 31 - msb; u64 from
         * its halves */
        uint32_t u32 = spv_type_int(s, 32);
        if (ty->bits == 32)
            return OP(fn, SpvOpISub, t, spv_const_u32(s, 31), GLSL(fn, u32, GLSLstd450FindUMsb, x));
        uint32_t hi = OP(fn, SpvOpUConvert, u32, OP(fn, SpvOpShiftRightLogical, t, x, spv_const_int(s, 64, 32)));
        uint32_t lo = OP(fn, SpvOpUConvert, u32, x);
        uint32_t zh = OP(fn, SpvOpISub, u32, spv_const_u32(s, 31), GLSL(fn, u32, GLSLstd450FindUMsb, hi));
        uint32_t zl = OP(fn, SpvOpISub, u32, spv_const_u32(s, 63), GLSL(fn, u32, GLSLstd450FindUMsb, lo));
        uint32_t z = OP(fn, SpvOpSelect, u32, OP(fn, SpvOpINotEqual, type_bool(fn), hi, spv_const_u32(s, 0)), zh, zl);
        return OP(fn, SpvOpUConvert, t, z);
    }
    case IR_TWO_OVER_PI: {
        /* word x of ir_two_over_pi by selects: the table is small and only
         * the math library's cold Payne-Hanek path reads it */
        uint32_t r = spv_const_u32(s, ir_two_over_pi[0]);
        for (uint32_t c = 1; c < IR_TWO_OVER_PI_WORDS; c++)
            r = OP(fn, SpvOpSelect, t, OP(fn, SpvOpIEqual, type_bool(fn), x, spv_const_u32(s, c)),
                   spv_const_u32(s, ir_two_over_pi[c]), r);
        return r;
    }
    case IR_ROUND: {
        /* half away from zero (C round), not GLSL Round (ties unspecified):
         * t = trunc(x); |x - t| >= 0.5 ? t + sign(x) : t. x - t is exact. */
        uint32_t tr = GLSL(fn, t, GLSLstd450Trunc, x);
        uint32_t d = GLSL(fn, t, GLSLstd450FAbs, OP(fn, SpvOpFSub, t, x, tr));
        uint32_t up = OP(fn, SpvOpFOrdGreaterThanEqual, type_bool(fn), d,
                         spv_const_float(s, ty->bits, 0.5));
        uint32_t away = OP(fn, SpvOpFAdd, t, tr, GLSL(fn, t, GLSLstd450FSign, x));
        return OP(fn, SpvOpSelect, t, up, away, tr);
    }
    case IR_ABS:
        if (ty->kind == IRT_FLOAT)
            return GLSL(fn, t, GLSLstd450FAbs, x);
        if (!ty->is_signed)
            return x;
        /* wraps: abs(MIN) == MIN */
        return OP(fn, SpvOpSelect, t,
                  OP(fn, SpvOpSLessThan, type_bool(fn), x, spv_const_int(s, ty->bits, 0)),
                  int_negate(fn, t, ty->bits, x), x);
    case IR_MIN: return minmax(fn, ty, true, x, val(fn, inst->ops[1]));
    case IR_MAX: return minmax(fn, ty, false, x, val(fn, inst->ops[1]));
    case IR_CLAMP: {
        uint32_t lo = val(fn, inst->ops[1]), hi = val(fn, inst->ops[2]);
        return minmax(fn, ty, true, minmax(fn, ty, false, x, lo), hi);
    }
    case IR_FMA: return emit_fma(fn, ty, x, val(fn, inst->ops[1]), val(fn, inst->ops[2]));
    case IR_CONST: case IR_ZERO: case IR_UNDEF: case IR_PARAM: case IR_ADD: case IR_SUB:
    case IR_MUL: case IR_DIV: case IR_REM: case IR_AND: case IR_OR: case IR_XOR: case IR_SHL:
    case IR_SHR: case IR_NEG: case IR_NOT: case IR_EQ: case IR_NE: case IR_LT: case IR_LE:
    case IR_GT: case IR_GE: case IR_CAST: case IR_BITCAST: case IR_SELECT: case IR_LOCAL: case IR_SHARED:
    case IR_LOAD: case IR_STORE: case IR_ELEM_PTR: case IR_FIELD_PTR: case IR_PTR_ADD:
    case IR_EXTRACT: case IR_INSERT: case IR_COMPOSITE: case IR_CALL: case IR_THREAD_ID:
    case IR_BLOCK_ID: case IR_BLOCK_DIM: case IR_GRID_DIM: case IR_GLOBAL_ID: case IR_BARRIER:
    case IR_ATOMIC_ADD: case IR_ATOMIC_SUB: case IR_ATOMIC_MIN: case IR_ATOMIC_MAX:
    case IR_ATOMIC_AND: case IR_ATOMIC_OR: case IR_ATOMIC_XOR: case IR_ATOMIC_XCHG:
    case IR_ATOMIC_CAS: case IR_LANE_ID: case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID:
    case IR_NUM_SUBGROUPS: case IR_SHUFFLE:
    case IR_SHUFFLE_XOR: case IR_SUBGROUP_SUM: case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX:
    case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL:
    case IR_IF: case IR_LOOP: case IR_BREAK: case IR_CONTINUE: case IR_RETURN: IR_MATRIX_OP_CASES: case IR_MMA_FRAG: case IR_MAT_SG_SIZE: case IR_NUM_OPS: UNREACHABLE();
    }
    UNREACHABLE(); /* an op outside IrOp */
}

/* ---- memory ---------------------------------------------------------------------- */

/* SPIR-V 2.16.1: loads and stores through PhysicalStorageBuffer pointers
 * carry an Aligned memory operand. Function and Workgroup memory holds an
 * aggregate in its undecorated twin (spv_local_type), which OpCopyLogical
 * (SPIR-V 1.4) turns into the laid-out value form and back; a vec3 goes
 * straight between its vector value and the twin array. */
static uint32_t
emit_load(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    IrType *pt = inst->ops[0]->type, *et = inst->type;
    uint32_t mt = spv_mem_type(s, et), p = val(fn, inst->ops[0]);
    if (pt->space == IR_SPACE_GLOBAL)
        return from_mem(fn, et,
                        OP(fn, SpvOpLoad, mt, p, SpvMemoryAccessAlignedMask, (uint32_t)et->align));
    uint32_t lt = spv_local_type(s, et);
    uint32_t v = OP(fn, SpvOpLoad, lt, p);
    if (lt != mt && !is_vec3_mem(et))
        v = OP(fn, SpvOpCopyLogical, mt, v);
    return from_mem(fn, et, v);
}

static void
emit_store(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    IrType *pt = inst->ops[0]->type, *et = inst->ops[1]->type;
    uint32_t p = val(fn, inst->ops[0]), v = val(fn, inst->ops[1]);
    if (pt->space == IR_SPACE_GLOBAL) {
        SPV_INST(&fn->code, SpvOpStore, p, to_mem(fn, et, v), SpvMemoryAccessAlignedMask,
                 (uint32_t)et->align);
        return;
    }
    uint32_t lt = spv_local_type(s, et);
    if (is_vec3_mem(et))
        v = vec3_convert(fn, et, v, lt);
    else if (lt != spv_mem_type(s, et))
        v = OP(fn, SpvOpCopyLogical, lt, v);
    else
        v = to_mem(fn, et, v);
    SPV_INST(&fn->code, SpvOpStore, p, v);
}

/* An index for an access chain: at least 32 bits, extended by its signedness;
 * to64 for OpPtrAccessChain, whose index is a signed element count. */
static uint32_t
index_of(Fn *fn, IrInst *idx, bool to64)
{
    IrType *t = idx->type;
    uint32_t v = val(fn, idx);
    uint32_t want = to64 ? 64 : (t->bits < 32 ? 32 : t->bits);
    if (t->bits == want)
        return v;
    return OP(fn, t->is_signed ? SpvOpSConvert : SpvOpUConvert, spv_type_int(fn->s, want), v);
}

static uint32_t
emit_atomic(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    IrType *ty = inst->type;
    IrType *pt = inst->ops[0]->type;
    uint32_t t = spv_val_type(s, ty), p = val(fn, inst->ops[0]), x = val(fn, inst->ops[1]);
    /* docs/language.md §7: relaxed; device scope for global memory, workgroup for shared */
    uint32_t scope = pt->space == IR_SPACE_SHARED ? spv_const_u32(s, SpvScopeWorkgroup) : spv_scope_device(s);
    uint32_t relaxed = spv_const_u32(s, SpvMemorySemanticsMaskNone);
    if (ty->kind == IRT_INT && ty->bits == 64)
        spv_cap(s, SpvCapabilityInt64Atomics);
    SpvOp op = SpvOpNop; /* every case sets it or leaves */
    switch (inst->op) {
    case IR_ATOMIC_ADD:
        if (ty->kind == IRT_FLOAT) {
            spv_cap(s, SpvCapabilityAtomicFloat32AddEXT);
            s->ext_atomic_float = true;
            op = SpvOpAtomicFAddEXT;
        } else {
            op = SpvOpAtomicIAdd;
        }
        break;
    case IR_ATOMIC_SUB: op = SpvOpAtomicISub; break;
    case IR_ATOMIC_MIN: op = ty->is_signed ? SpvOpAtomicSMin : SpvOpAtomicUMin; break;
    case IR_ATOMIC_MAX: op = ty->is_signed ? SpvOpAtomicSMax : SpvOpAtomicUMax; break;
    case IR_ATOMIC_AND: op = SpvOpAtomicAnd; break;
    case IR_ATOMIC_OR: op = SpvOpAtomicOr; break;
    case IR_ATOMIC_XOR: op = SpvOpAtomicXor; break;
    case IR_ATOMIC_XCHG: op = SpvOpAtomicExchange; break;
    case IR_ATOMIC_CAS:
        /* (ptr, expected, desired): OpAtomicCompareExchange takes Value
         * (desired) before Comparator (expected) */
        return OP(fn, SpvOpAtomicCompareExchange, t, p, scope, relaxed, relaxed,
                  val(fn, inst->ops[2]), x);
    case IR_CONST: case IR_ZERO: case IR_UNDEF: case IR_PARAM: case IR_ADD: case IR_SUB:
    case IR_MUL: case IR_DIV: case IR_REM: case IR_AND: case IR_OR: case IR_XOR: case IR_SHL:
    case IR_SHR: case IR_NEG: case IR_NOT: case IR_EQ: case IR_NE: case IR_LT: case IR_LE:
    case IR_GT: case IR_GE: case IR_CAST: case IR_BITCAST: case IR_SELECT: case IR_LOCAL: case IR_SHARED:
    case IR_LOAD: case IR_STORE: case IR_ELEM_PTR: case IR_FIELD_PTR: case IR_PTR_ADD:
    case IR_EXTRACT: case IR_INSERT: case IR_COMPOSITE: case IR_CALL: case IR_THREAD_ID:
    case IR_BLOCK_ID: case IR_BLOCK_DIM: case IR_GRID_DIM: case IR_GLOBAL_ID: case IR_BARRIER:
    case IR_SQRT: case IR_RSQRT: case IR_EXP: case IR_EXP2: case IR_LOG: case IR_LOG2: case IR_SIN:
    case IR_COS: case IR_TAN: case IR_TANH: case IR_POW: case IR_FLOOR: case IR_CEIL:
    case IR_ROUND: case IR_TRUNC: case IR_RINT: case IR_TWO_OVER_PI: case IR_FTOI: case IR_CLZ: case IR_ABS: case IR_MIN: case IR_MAX: case IR_CLAMP:
    case IR_FMA: case IR_LANE_ID: case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID:
    case IR_NUM_SUBGROUPS: case IR_SHUFFLE: case IR_SHUFFLE_XOR:
    case IR_SUBGROUP_SUM: case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX:
    case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL: case IR_IF: case IR_LOOP:
    case IR_BREAK: case IR_CONTINUE: case IR_RETURN: IR_MATRIX_OP_CASES: case IR_MMA_FRAG: case IR_MAT_SG_SIZE: case IR_NUM_OPS: UNREACHABLE();
    }
    return OP(fn, op, t, p, scope, relaxed, x);
}

/* lane & (SubgroupSize - 1): the lane modulo the subgroup size, a power of
 * two in Vulkan (VkPhysicalDeviceSubgroupProperties) */
static uint32_t
lane_mod(Fn *fn, uint32_t lane)
{
    Spv *s = fn->s;
    uint32_t u32 = spv_type_int(s, 32);
    uint32_t size = load_builtin(fn, BV_SUBGROUP_SIZE, -1);
    return OP(fn, SpvOpBitwiseAnd, u32, lane, OP(fn, SpvOpISub, u32, size, spv_const_u32(s, 1)));
}

/* shuffle_up / shuffle_down (docs/language.md §13): the source lane where it
 * exists, else the thread's own x. SPIR-V leaves ShuffleUp/Down undefined
 * outside the subgroup and for lanes that do not run (past the end of a
 * partial last subgroup): a ballot of the running lanes tells which. */
static uint32_t
emit_shuffle_rel(Fn *fn, IrInst *inst, uint32_t t, uint32_t sg, uint32_t x)
{
    Spv *s = fn->s;
    uint32_t u32 = spv_type_int(s, 32), b = type_bool(fn);
    uint32_t d = val(fn, inst->ops[1]);
    uint32_t lane = load_builtin(fn, BV_LANE_ID, -1);
    spv_cap(s, SpvCapabilityGroupNonUniformShuffleRelative);
    uint32_t ok;
    if (inst->op == IR_SHUFFLE_UP) {
        ok = OP(fn, SpvOpULessThanEqual, b, d, lane);
    } else {
        spv_cap(s, SpvCapabilityGroupNonUniformBallot);
        uint32_t size = load_builtin(fn, BV_SUBGROUP_SIZE, -1);
        uint32_t in_range = OP(fn, SpvOpULessThan, b, d, OP(fn, SpvOpISub, u32, size, lane));
        uint32_t src = OP(fn, SpvOpSelect, u32, in_range, OP(fn, SpvOpIAdd, u32, lane, d), lane);
        uint32_t running = OP(fn, SpvOpGroupNonUniformBallot, spv_type_vec(s, u32, 4), sg,
                              spv_const_bool(s, true));
        uint32_t runs = OP(fn, SpvOpGroupNonUniformBallotBitExtract, b, sg, running, src);
        ok = OP(fn, SpvOpLogicalAnd, b, in_range, runs);
    }
    uint32_t delta = OP(fn, SpvOpSelect, u32, ok, d, spv_const_u32(s, 0));
    SpvOp op = inst->op == IR_SHUFFLE_UP ? SpvOpGroupNonUniformShuffleUp : SpvOpGroupNonUniformShuffleDown;
    return OP(fn, SpvOpSelect, t, ok, OP(fn, op, t, sg, x, delta), x);
}

static uint32_t
emit_subgroup(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    IrType *ty = inst->type;
    uint32_t t = spv_val_type(s, ty), x = val(fn, inst->ops[0]);
    uint32_t sg = spv_const_u32(s, SpvScopeSubgroup);
    spv_cap(s, SpvCapabilityGroupNonUniform);
    switch (inst->op) {
    case IR_SHUFFLE:
    case IR_SHUFFLE_XOR: {
        /* SPIR-V leaves lanes >= SubgroupSize undefined; the language takes
         * them modulo the size (the xor mask too, which keeps lane ^ mask
         * inside the subgroup) */
        spv_cap(s, SpvCapabilityGroupNonUniformShuffle);
        uint32_t lane = lane_mod(fn, val(fn, inst->ops[1]));
        return OP(fn, inst->op == IR_SHUFFLE ? SpvOpGroupNonUniformShuffle : SpvOpGroupNonUniformShuffleXor,
                  t, sg, x, lane);
    }
    case IR_SHUFFLE_UP:
    case IR_SHUFFLE_DOWN: return emit_shuffle_rel(fn, inst, t, sg, x);
    case IR_BROADCAST:
        /* SPIR-V 1.5+: Id dynamically uniform, which the language requires */
        spv_cap(s, SpvCapabilityGroupNonUniformBallot);
        return OP(fn, SpvOpGroupNonUniformBroadcast, t, sg, x, lane_mod(fn, val(fn, inst->ops[1])));
    case IR_SUBGROUP_ANY:
    case IR_SUBGROUP_ALL:
        spv_cap(s, SpvCapabilityGroupNonUniformVote);
        return OP(fn, inst->op == IR_SUBGROUP_ANY ? SpvOpGroupNonUniformAny : SpvOpGroupNonUniformAll, t, sg, x);
    default: break;
    }
    spv_cap(s, SpvCapabilityGroupNonUniformArithmetic);
    bool fl = ty->kind == IRT_FLOAT, sg_ = ty->is_signed;
    SpvOp op = SpvOpNop; /* every case sets it or leaves */
    SpvGroupOperation how = SpvGroupOperationReduce;
    if (inst->op == IR_SUBGROUP_SUM || inst->op == IR_SUBGROUP_PREFIX_SUM)
        op = fl ? SpvOpGroupNonUniformFAdd : SpvOpGroupNonUniformIAdd;
    else if (inst->op == IR_SUBGROUP_MIN)
        op = fl ? SpvOpGroupNonUniformFMin : sg_ ? SpvOpGroupNonUniformSMin : SpvOpGroupNonUniformUMin;
    else
        op = fl ? SpvOpGroupNonUniformFMax : sg_ ? SpvOpGroupNonUniformSMax : SpvOpGroupNonUniformUMax;
    if (inst->op == IR_SUBGROUP_PREFIX_SUM)
        how = SpvGroupOperationExclusiveScan;
    return OP(fn, op, t, sg, how, x);
}

/* ---- instructions ------------------------------------------------------------------ */

static void emit_region(Fn *fn, IrRegion *r);

static void
emit_if(Fn *fn, IrInst *inst)
{
    bool has_then = inst->then_r.len > 0, has_else = inst->else_r.len > 0;
    if (!has_then && !has_else)
        return;
    uint32_t cond = val(fn, inst->ops[0]);
    uint32_t merge = spv_id(fn->s);
    uint32_t lt = has_then ? spv_id(fn->s) : merge, le = has_else ? spv_id(fn->s) : merge;
    SPV_INST(&fn->code, SpvOpSelectionMerge, merge, SpvSelectionControlMaskNone);
    SPV_INST(&fn->code, SpvOpBranchConditional, cond, lt, le);
    fn->open = false;
    bool reached = !has_then || !has_else;
    if (has_then) {
        label(fn, lt);
        emit_region(fn, &inst->then_r);
        if (fn->open) {
            branch(fn, merge);
            reached = true;
        }
    }
    if (has_else) {
        label(fn, le);
        emit_region(fn, &inst->else_r);
        if (fn->open) {
            branch(fn, merge);
            reached = true;
        }
    }
    label(fn, merge);
    if (!reached)
        unreachable_block(fn);
}

/* ---- the loop-limit probe (docs/spirv.md "Driver loop limits") --------------------- */

/* llvmpipe gives each SIMD group one counter of loop back edges (65535);
 * once it reaches 0 every loop the group runs exits at its next back edge,
 * as if it had finished, and the counter never goes back up. So a kernel
 * that reaches a loop ends, at each of its exits, with a probe: a loop that
 * must take one back edge to reach its second iteration. If the counter
 * ran out anywhere before, the probe stops after one iteration, and the
 * status word (the hidden push-constant field) gets UINT32_MAX; the
 * runtime turns that into an error. Everything runs under the boolean
 * SpecId 3, which the runtime sets only on drivers with the limiter, so
 * others fold it away; on llvmpipe it costs one two-iteration loop per
 * invocation, where a check in every loop cost up to 2.4x
 * (docs/benchmarks.md).
 *
 * The driver's compiler must not see that the probe runs twice: its count
 * lives in element k of a Function array u32[4], k = the status word's
 * address mod 4, which is 0 (the runtime's word is 4-byte aligned; the
 * address is 0 when there is none) but a run-time value, and an indexed
 * array stays in memory, so the count after the loop is loaded, not known.
 * tests/e2e/loop_limit.c checks that every loop form is caught. */

/* Opens `if cond { ... }`; returns the merge block guard_end closes. */
static uint32_t
guard_begin(Fn *fn, uint32_t cond)
{
    uint32_t then = spv_id(fn->s), merge = spv_id(fn->s);
    SPV_INST(&fn->code, SpvOpSelectionMerge, merge, SpvSelectionControlMaskNone);
    SPV_INST(&fn->code, SpvOpBranchConditional, cond, then, merge);
    label(fn, then);
    return merge;
}

static void
guard_end(Fn *fn, uint32_t merge)
{
    branch(fn, merge);
    label(fn, merge);
}

/* Whether f reaches a loop, itself or through calls (the call graph is
 * acyclic: SPIR-V has no recursion); memo[i]: 0 unknown, 1 no, 2 yes. */
static bool
region_reaches_loop(const IrRegion *r, unsigned char *memo);

static bool
func_reaches_loop(const IrFunc *f, unsigned char *memo)
{
    if (!memo[f->index])
        memo[f->index] = region_reaches_loop(&f->body, memo) ? 2 : 1;
    return memo[f->index] == 2;
}

static bool
region_reaches_loop(const IrRegion *r, unsigned char *memo)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        if (in->op == IR_LOOP)
            return true;
        if (in->op == IR_IF &&
            (region_reaches_loop(&in->then_r, memo) || region_reaches_loop(&in->else_r, memo)))
            return true;
        if (in->op == IR_CALL && func_reaches_loop(in->imm.callee, memo))
            return true;
    }
    return false;
}

/* &count[status address mod 4] */
static uint32_t
probe_elem(Fn *fn)
{
    Spv *s = fn->s;
    uint32_t u32 = spv_type_int(s, 32);
    fn->use->status = true;
    uint32_t word = OP(fn, SpvOpLoad, spv_status_ptr_type(s), spv_status_var(s));
    uint32_t addr = OP(fn, SpvOpConvertPtrToU, spv_type_int(s, 64), word);
    uint32_t k = OP(fn, SpvOpBitwiseAnd, u32, OP(fn, SpvOpUConvert, u32, addr), spv_const_u32(s, 3));
    return OP(fn, SpvOpAccessChain, spv_type_ptr(s, SpvStorageClassFunction, u32, 0), fn->probe, k);
}

/* The probe, before a kernel's OpReturn (the current block is open). */
static void
emit_probe(Fn *fn)
{
    Spv *s = fn->s;
    if (!fn->probe)
        return;
    uint32_t u32 = spv_type_int(s, 32), b = spv_type_bool(s);
    set_line(fn, (SrcLoc){0});
    uint32_t guard = guard_begin(fn, spv_spec_loop_check(s));
    SPV_INST(&fn->code, SpvOpStore, probe_elem(fn), spv_const_u32(s, 0));
    uint32_t header = spv_id(s), body = spv_id(s), cont = spv_id(s), merge = spv_id(s);
    branch(fn, header);
    label(fn, header);
    SPV_INST(&fn->code, SpvOpLoopMerge, merge, cont, SpvLoopControlDontUnrollMask);
    branch(fn, body);
    label(fn, body);
    uint32_t p = probe_elem(fn);
    SPV_INST(&fn->code, SpvOpStore, p, OP(fn, SpvOpIAdd, u32, OP(fn, SpvOpLoad, u32, p), spv_const_u32(s, 1)));
    branch(fn, cont);
    label(fn, cont);
    uint32_t twice = OP(fn, SpvOpUGreaterThanEqual, b, OP(fn, SpvOpLoad, u32, probe_elem(fn)),
                        spv_const_u32(s, 2));
    SPV_INST(&fn->code, SpvOpBranchConditional, twice, merge, header);
    label(fn, merge);
    uint32_t cut = OP(fn, SpvOpULessThan, b, OP(fn, SpvOpLoad, u32, probe_elem(fn)), spv_const_u32(s, 2));
    uint32_t rec = guard_begin(fn, cut);
    uint32_t word = OP(fn, SpvOpLoad, spv_status_ptr_type(s), spv_status_var(s));
    OP(fn, SpvOpAtomicExchange, u32, word, spv_scope_device(s),
       spv_const_u32(s, SpvMemorySemanticsMaskNone), spv_const_u32(s, UINT32_MAX));
    guard_end(fn, rec);
    guard_end(fn, guard);
}

/* A kernel's return from inside a loop would skip the probe, and a probe
 * inside a loop costs a back edge in every iteration, taken or not (llvmpipe
 * runs the loop structure under an empty mask). So such a return sets
 * `returned` and breaks; after each construct holding one, `returned`
 * breaks again, or, outside every loop, probes and returns. */

/* Whether r holds a return at loop depth >= 1 (depth: loops around r). */
static bool
has_loop_return(const IrRegion *r, int depth)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        if (in->op == IR_RETURN && depth > 0)
            return true;
        if (in->op == IR_IF &&
            (has_loop_return(&in->then_r, depth) || has_loop_return(&in->else_r, depth)))
            return true;
        if (in->op == IR_LOOP &&
            (has_loop_return(&in->body_r, depth + 1) || has_loop_return(&in->cont_r, depth + 1)))
            return true;
    }
    return false;
}

/* After construct inst: leave the loop, or the kernel, if it returned. */
static void
after_loop_return(Fn *fn, IrInst *inst)
{
    if (!fn->returned || !fn->open || (inst->op != IR_IF && inst->op != IR_LOOP))
        return;
    IrRegion one = {.insts = &inst, .len = 1};
    if (!has_loop_return(&one, fn->loop ? 1 : 0))
        return;
    Spv *s = fn->s;
    uint32_t r = OP(fn, SpvOpLoad, spv_type_bool(s), fn->returned);
    uint32_t merge = guard_begin(fn, r);
    if (fn->loop) {
        fn->loop->merge_reached = true;
        branch(fn, fn->loop->merge);
    } else {
        emit_probe(fn);
        spv_inst(&fn->code, SpvOpReturn, NULL, 0);
        fn->open = false;
    }
    label(fn, merge);
}

static void
emit_loop(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    uint32_t header = spv_id(s), body = spv_id(s), cont = spv_id(s), merge = spv_id(s);
    branch(fn, header);
    label(fn, header);
    if (inst->unroll == IR_UNROLL_FULL)
        SPV_INST(&fn->code, SpvOpLoopMerge, merge, cont, SpvLoopControlUnrollMask);
    else if (inst->unroll > 0) /* SPIR-V 1.4: PartialCount */
        SPV_INST(&fn->code, SpvOpLoopMerge, merge, cont, SpvLoopControlPartialCountMask,
                 (uint32_t)inst->unroll);
    else
        SPV_INST(&fn->code, SpvOpLoopMerge, merge, cont, SpvLoopControlMaskNone);
    branch(fn, body);
    LoopCtx ctx = {merge, cont, false, false, fn->loop};
    fn->loop = &ctx;
    label(fn, body);
    emit_region(fn, &inst->body_r);
    if (fn->open) {
        branch(fn, cont);
        ctx.cont_reached = true;
    }
    label(fn, cont);
    if (ctx.cont_reached) {
        emit_region(fn, &inst->cont_r);
        if (fn->open) {
            if (inst->break_if) {
                /* the back-edge block: exit on break_if, else repeat */
                SPV_INST(&fn->code, SpvOpBranchConditional, val(fn, inst->break_if), merge, header);
                fn->open = false;
                ctx.merge_reached = true;
            } else {
                branch(fn, header);
            }
        }
    } else {
        branch(fn, header); /* an unreachable continue target still closes the loop */
    }
    fn->loop = ctx.outer;
    label(fn, merge);
    if (!ctx.merge_reached)
        unreachable_block(fn);
}

/* block_dim.<dim>: the @workgroup constant, else the launch's specialization
 * constant */
static uint32_t
block_dim(Fn *fn, int dim)
{
    if (fn->f->is_kernel && fn->f->workgroup[0]) {
        uint32_t d = fn->f->workgroup[dim];
        return spv_const_u32(fn->s, d ? d : 1);
    }
    return spv_spec_block_dim(fn->s, dim);
}

/* ceil(threads per block / SubgroupSize). Not the NumSubgroups input:
 * lavapipe's rounds down when the last subgroup is partial (docs/spirv.md). */
static uint32_t
num_subgroups(Fn *fn)
{
    Spv *s = fn->s;
    uint32_t u32 = spv_type_int(s, 32);
    spv_cap(s, SpvCapabilityGroupNonUniform);
    uint32_t size = load_builtin(fn, BV_SUBGROUP_SIZE, -1);
    uint32_t threads = OP(fn, SpvOpIMul, u32, OP(fn, SpvOpIMul, u32, block_dim(fn, 0), block_dim(fn, 1)),
                          block_dim(fn, 2));
    uint32_t up = OP(fn, SpvOpISub, u32, OP(fn, SpvOpIAdd, u32, threads, size), spv_const_u32(s, 1));
    return OP(fn, SpvOpUDiv, u32, up, size);
}

/* ---- cooperative matrices (docs/spirv.md "Cooperative matrices") ------------ */

/* The pointer to element `offset` of a matrix op's memory operand: a
 * PhysicalStorageBuffer element pointer (OpPtrAccessChain) or an element of
 * a Workgroup array (OpAccessChain), so that it "points into an array" as
 * SPV_KHR_cooperative_matrix asks; *elem is the element type. */
static uint32_t
matrix_pointer(Fn *fn, IrInst *base, IrInst *offset, IrType **elem)
{
    Spv *s = fn->s;
    IrType *pt = base->type;
    if (pt->space == IR_SPACE_SHARED) {
        *elem = pt->elem->elem;
        IrType *ep = ir_type_ptr(s->m, *elem, IR_SPACE_SHARED, false);
        return OP(fn, SpvOpAccessChain, spv_ptr_type(s, ep), val(fn, base),
                  index_of(fn, offset, false));
    }
    *elem = pt->elem;
    /* the offset is a u32 element count (language.md §14): zero-extended */
    return OP(fn, SpvOpPtrAccessChain, spv_ptr_type(s, pt), val(fn, base),
              OP(fn, SpvOpUConvert, spv_type_int(s, 64), val(fn, offset)));
}

/* The layout operand: a u32 constant (KHR) or a bool "column major" (NV). */
static uint32_t
matrix_layout(Fn *fn, bool colmajor)
{
    Spv *s = fn->s;
    if (s->coopmat == SPV_COOPMAT_NV)
        return spv_const_bool(s, colmajor);
    return spv_const_u32(s, colmajor ? SPV_KHR_COOPMAT_COL_MAJOR : SPV_KHR_COOPMAT_ROW_MAJOR);
}

static uint32_t
emit_matrix(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    IrInst **o = inst->ops;
    bool khr = s->coopmat == SPV_COOPMAT_KHR;
    switch (inst->op) {
    case IR_MAT_LOAD:
    case IR_MAT_STORE: {
        IrType *elem;
        uint32_t p = matrix_pointer(fn, o[0], o[1], &elem);
        uint32_t layout = matrix_layout(fn, inst->imm.index == 1);
        uint32_t stride = val(fn, o[2]);
        if (!khr) {
            /* the NV instructions take Stride, then ColumnMajor */
            uint32_t t = layout;
            layout = stride;
            stride = t;
        }
        bool global = o[0]->type->space == IR_SPACE_GLOBAL;
        /* PhysicalStorageBuffer accesses carry Aligned (SPIR-V 2.16.1) */
        uint32_t ops[7];
        int n = 0;
        if (inst->op == IR_MAT_LOAD) {
            uint32_t t = spv_mem_type(s, inst->type), id = spv_id(s);
            ops[n++] = t;
            ops[n++] = id;
            ops[n++] = p;
            ops[n++] = layout;
            ops[n++] = stride;
            if (global) {
                ops[n++] = SpvMemoryAccessAlignedMask;
                ops[n++] = (uint32_t)elem->align;
            }
            spv_inst(&fn->code, khr ? (SpvOp)SPV_KHR_OP_COOPMAT_LOAD : SpvOpCooperativeMatrixLoadNV,
                     ops, n);
            return id;
        }
        IrType *mt = o[3]->type;
        uint32_t obj = val(fn, o[3]);
        if (elem != mt->elem) {
            /* an f32 accumulator stored as f16: convert the whole matrix
             * (rounding to nearest even), then store it */
            IrType *nt = ir_type_matrix(s->m, mt->mat_role, elem, mt->rows, mt->cols);
            obj = OP(fn, SpvOpFConvert, spv_mem_type(s, nt), obj);
        }
        ops[n++] = p;
        ops[n++] = obj;
        ops[n++] = layout;
        ops[n++] = stride;
        if (global) {
            ops[n++] = SpvMemoryAccessAlignedMask;
            ops[n++] = (uint32_t)elem->align;
        }
        spv_inst(&fn->code, khr ? (SpvOp)SPV_KHR_OP_COOPMAT_STORE : SpvOpCooperativeMatrixStoreNV,
                 ops, n);
        return 0;
    }
    case IR_MAT_FILL:
        /* a cooperative matrix built from one scalar holds it everywhere */
        return OP(fn, SpvOpCompositeConstruct, spv_mem_type(s, inst->type), val(fn, o[0]));
    case IR_MAT_MMA:
        return OP(fn, khr ? (SpvOp)SPV_KHR_OP_COOPMAT_MULADD : SpvOpCooperativeMatrixMulAddNV,
                  spv_mem_type(s, inst->type), val(fn, o[0]), val(fn, o[1]), val(fn, o[2]));
    case IR_MAT_SCALE:
        return fp_result(fn, OP(fn, SpvOpMatrixTimesScalar, spv_mem_type(s, inst->type),
                                val(fn, o[0]), val(fn, o[1])));
    case IR_MAT_ADD:
    case IR_MAT_SUB:
        return fp_result(fn, OP(fn, inst->op == IR_MAT_ADD ? SpvOpFAdd : SpvOpFSub,
                                spv_mem_type(s, inst->type), val(fn, o[0]), val(fn, o[1])));
    default: UNREACHABLE();
    }
}

/* Whether inst writes function code (constants, shared variables, block_dim
 * and the prologue's values are ids declared elsewhere): only such
 * instructions move the line in effect. */
static bool
writes_code(const IrInst *inst)
{
    switch (inst->op) {
    case IR_CONST: case IR_ZERO: case IR_UNDEF: case IR_SHARED: case IR_PARAM: case IR_LOCAL:
    case IR_MAT_SG_SIZE:
    case IR_BLOCK_DIM:
        return false;
    case IR_IF: return inst->then_r.len > 0 || inst->else_r.len > 0;
    case IR_ADD: case IR_SUB: case IR_MUL: case IR_DIV: case IR_REM: case IR_AND: case IR_OR:
    case IR_XOR: case IR_SHL: case IR_SHR: case IR_NEG: case IR_NOT: case IR_EQ: case IR_NE:
    case IR_LT: case IR_LE: case IR_GT: case IR_GE: case IR_CAST: case IR_BITCAST: case IR_SELECT:
    case IR_LOAD:
    case IR_STORE: case IR_ELEM_PTR: case IR_FIELD_PTR: case IR_PTR_ADD: case IR_EXTRACT:
    case IR_INSERT: case IR_COMPOSITE: case IR_CALL: case IR_THREAD_ID: case IR_BLOCK_ID:
    case IR_GRID_DIM: case IR_GLOBAL_ID: case IR_BARRIER: case IR_SQRT: case IR_RSQRT: case IR_EXP:
    case IR_EXP2: case IR_LOG: case IR_LOG2: case IR_SIN: case IR_COS: case IR_TAN: case IR_TANH:
    case IR_POW: case IR_FLOOR: case IR_CEIL: case IR_ROUND: case IR_TRUNC: case IR_RINT: case IR_TWO_OVER_PI: case IR_FTOI: case IR_CLZ: case IR_ABS:
    case IR_MIN: case IR_MAX: case IR_CLAMP: case IR_FMA: case IR_ATOMIC_ADD: case IR_ATOMIC_SUB:
    case IR_ATOMIC_MIN: case IR_ATOMIC_MAX: case IR_ATOMIC_AND: case IR_ATOMIC_OR:
    case IR_ATOMIC_XOR: case IR_ATOMIC_XCHG: case IR_ATOMIC_CAS: case IR_LANE_ID:
    case IR_SUBGROUP_SIZE: case IR_SUBGROUP_ID: case IR_NUM_SUBGROUPS: case IR_SHUFFLE:
    case IR_SHUFFLE_XOR: case IR_SUBGROUP_SUM:
    case IR_SUBGROUP_MIN: case IR_SUBGROUP_MAX:
    case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST: case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL: case IR_LOOP: case IR_BREAK: case IR_CONTINUE:
    case IR_RETURN: IR_MATRIX_OP_CASES: case IR_MMA_FRAG: case IR_NUM_OPS: return true;
    }
    UNREACHABLE(); /* an op outside IrOp */
}

static void
emit_inst(Fn *fn, IrInst *inst)
{
    Spv *s = fn->s;
    uint32_t r = 0;
    IrType *ty = inst->type;
    if (writes_code(inst))
        set_line(fn, inst->loc);
    fn->exact = inst->exact;
    switch (inst->op) {
    case IR_CONST:
    case IR_ZERO:
        if (ty->kind == IRT_PTR)
            return; /* converted where used (val) */
        r = val(fn, inst);
        break;
    case IR_UNDEF:
    case IR_SHARED:
    case IR_MAT_SG_SIZE: r = val(fn, inst); break;
    case IR_PARAM:
    case IR_LOCAL: return; /* bound in the prologue */
    case IR_ADD: case IR_SUB: case IR_MUL: case IR_DIV: case IR_REM:
    case IR_AND: case IR_OR: case IR_XOR: case IR_SHL: case IR_SHR:
        r = emit_binary(fn, inst);
        break;
    case IR_NEG: {
        uint32_t x = val(fn, inst->ops[0]), t = spv_val_type(s, ty);
        r = ty->kind == IRT_FLOAT ? OP(fn, SpvOpFNegate, t, x) : int_negate(fn, t, ty->bits, x);
        break;
    }
    case IR_NOT: {
        uint32_t x = val(fn, inst->ops[0]), t = spv_val_type(s, ty);
        r = ty->kind == IRT_BOOL ? OP(fn, SpvOpLogicalNot, t, x) : OP(fn, SpvOpNot, t, x);
        break;
    }
    case IR_EQ: case IR_NE: case IR_LT: case IR_LE: case IR_GT: case IR_GE:
        r = emit_compare(fn, inst);
        break;
    case IR_CAST: r = emit_cast(fn, inst); break;
    case IR_BITCAST: {
        /* bf16 and u16 share one SPIR-V type: then there is nothing to do */
        uint32_t t = spv_val_type(s, ty), x = val(fn, inst->ops[0]);
        r = t == spv_val_type(s, inst->ops[0]->type) ? x : OP(fn, SpvOpBitcast, t, x);
        break;
    }
    case IR_SELECT:
        r = OP(fn, SpvOpSelect, spv_val_type(s, ty), val(fn, inst->ops[0]), val(fn, inst->ops[1]),
               val(fn, inst->ops[2]));
        break;
    case IR_LOAD: r = emit_load(fn, inst); break;
    case IR_STORE: emit_store(fn, inst); return;
    case IR_ELEM_PTR:
        r = OP(fn, SpvOpAccessChain, spv_ptr_type(s, ty), val(fn, inst->ops[0]),
               index_of(fn, inst->ops[1], false));
        break;
    case IR_FIELD_PTR:
        r = OP(fn, SpvOpAccessChain, spv_ptr_type(s, ty), val(fn, inst->ops[0]),
               spv_const_u32(s, (uint32_t)inst->imm.index));
        break;
    case IR_PTR_ADD:
        r = OP(fn, SpvOpPtrAccessChain, spv_ptr_type(s, ty), val(fn, inst->ops[0]),
               index_of(fn, inst->ops[1], true));
        break;
    case IR_EXTRACT:
        if (inst->ops[0]->type->kind == IRT_VEC) {
            r = OP(fn, SpvOpCompositeExtract, spv_val_type(s, ty), val(fn, inst->ops[0]),
                   (uint32_t)inst->imm.index);
            break;
        }
        r = from_mem(fn, ty, OP(fn, SpvOpCompositeExtract, spv_mem_type(s, ty), val(fn, inst->ops[0]),
                                (uint32_t)inst->imm.index));
        break;
    case IR_INSERT:
        if (ty->kind == IRT_VEC) {
            r = OP(fn, SpvOpCompositeInsert, spv_val_type(s, ty), val(fn, inst->ops[1]),
                   val(fn, inst->ops[0]), (uint32_t)inst->imm.index);
            break;
        }
        r = OP(fn, SpvOpCompositeInsert, spv_mem_type(s, ty),
               to_mem(fn, inst->ops[1]->type, val(fn, inst->ops[1])), val(fn, inst->ops[0]),
               (uint32_t)inst->imm.index);
        break;
    case IR_COMPOSITE: {
        uint32_t *elems = calloc((size_t)inst->nops + 1, sizeof *elems);
        if (!elems)
            ICE("out of memory");
        bool vec = ty->kind == IRT_VEC;
        for (int i = 0; i < inst->nops; i++)
            elems[i] = vec ? val(fn, inst->ops[i]) : to_mem(fn, inst->ops[i]->type, val(fn, inst->ops[i]));
        r = op_n(fn, SpvOpCompositeConstruct, vec ? spv_val_type(s, ty) : spv_mem_type(s, ty),
                 elems, inst->nops);
        free(elems);
        break;
    }
    case IR_CALL: {
        IrFunc *callee = inst->imm.callee;
        fn->use->calls[callee->index] = true;
        uint32_t *args = calloc((size_t)inst->nops + 2, sizeof *args);
        if (!args)
            ICE("out of memory");
        args[0] = s->func_ids[callee->index];
        for (int i = 0; i < inst->nops; i++)
            args[i + 1] = val(fn, inst->ops[i]);
        r = op_n(fn, SpvOpFunctionCall, spv_val_type(s, callee->ret), args, inst->nops + 1);
        free(args);
        if (callee->ret->kind == IRT_VOID)
            r = 0;
        break;
    }
    case IR_THREAD_ID: r = load_builtin(fn, BV_LOCAL_ID, inst->imm.dim); break;
    case IR_BLOCK_ID: r = load_builtin(fn, BV_WORKGROUP_ID, inst->imm.dim); break;
    case IR_GRID_DIM: r = load_builtin(fn, BV_NUM_WORKGROUPS, inst->imm.dim); break;
    case IR_GLOBAL_ID: r = load_builtin(fn, BV_GLOBAL_ID, inst->imm.dim); break;
    case IR_BLOCK_DIM: r = block_dim(fn, inst->imm.dim); break;
    case IR_BARRIER:
        /* execution barrier for the workgroup, making shared and buffer
         * (UniformMemory covers PhysicalStorageBuffer) writes visible */
        /* (under the Vulkan memory model plain writes must also be made
         * available and visible: MakeAvailable | MakeVisible) */
        SPV_INST(&fn->code, SpvOpControlBarrier, spv_const_u32(s, SpvScopeWorkgroup),
                 spv_const_u32(s, SpvScopeWorkgroup),
                 spv_const_u32(s, SpvMemorySemanticsAcquireReleaseMask |
                                      SpvMemorySemanticsWorkgroupMemoryMask |
                                      SpvMemorySemanticsUniformMemoryMask |
                                      (s->vulkan_mm ? SpvMemorySemanticsMakeAvailableMask |
                                                          SpvMemorySemanticsMakeVisibleMask
                                                    : 0u)));
        return;
    case IR_SQRT: case IR_RSQRT: case IR_EXP: case IR_EXP2: case IR_LOG: case IR_LOG2:
    case IR_SIN: case IR_COS: case IR_TAN: case IR_TANH: case IR_POW: case IR_FLOOR:
    case IR_CEIL: case IR_ROUND: case IR_TRUNC: case IR_RINT: case IR_TWO_OVER_PI: case IR_FTOI: case IR_CLZ: case IR_ABS: case IR_MIN: case IR_MAX:
    case IR_CLAMP: case IR_FMA:
        r = emit_math(fn, inst);
        break;
    case IR_ATOMIC_ADD: case IR_ATOMIC_SUB: case IR_ATOMIC_MIN: case IR_ATOMIC_MAX:
    case IR_ATOMIC_AND: case IR_ATOMIC_OR: case IR_ATOMIC_XOR: case IR_ATOMIC_XCHG:
    case IR_ATOMIC_CAS:
        r = emit_atomic(fn, inst);
        break;
    case IR_LANE_ID:
        spv_cap(s, SpvCapabilityGroupNonUniform);
        r = load_builtin(fn, BV_LANE_ID, -1);
        break;
    case IR_SUBGROUP_SIZE:
        spv_cap(s, SpvCapabilityGroupNonUniform);
        r = load_builtin(fn, BV_SUBGROUP_SIZE, -1);
        break;
    case IR_SUBGROUP_ID:
        spv_cap(s, SpvCapabilityGroupNonUniform);
        r = load_builtin(fn, BV_SUBGROUP_ID, -1);
        break;
    case IR_NUM_SUBGROUPS: r = num_subgroups(fn); break;
    case IR_SHUFFLE: case IR_SHUFFLE_XOR: case IR_SUBGROUP_SUM: case IR_SUBGROUP_MIN:
    case IR_SUBGROUP_MAX: case IR_SHUFFLE_UP: case IR_SHUFFLE_DOWN: case IR_BROADCAST:
    case IR_SUBGROUP_PREFIX_SUM: case IR_SUBGROUP_ANY: case IR_SUBGROUP_ALL:
        r = emit_subgroup(fn, inst);
        break;
    case IR_IF: emit_if(fn, inst); return;
    case IR_LOOP: emit_loop(fn, inst); return;
    case IR_BREAK:
        if (!fn->loop)
            ICE("break outside a loop in %s", fn->f->name);
        fn->loop->merge_reached = true;
        branch(fn, fn->loop->merge);
        return;
    case IR_CONTINUE:
        if (!fn->loop)
            ICE("continue outside a loop in %s", fn->f->name);
        fn->loop->cont_reached = true;
        branch(fn, fn->loop->cont);
        return;
    case IR_RETURN:
        if (fn->returned && fn->loop) {
            SPV_INST(&fn->code, SpvOpStore, fn->returned, spv_const_bool(s, true));
            fn->loop->merge_reached = true;
            branch(fn, fn->loop->merge);
            return;
        }
        if (fn->f->is_kernel)
            emit_probe(fn);
        if (inst->nops == 1)
            SPV_INST(&fn->code, SpvOpReturnValue, val(fn, inst->ops[0]));
        else
            spv_inst(&fn->code, SpvOpReturn, NULL, 0);
        fn->open = false;
        return;
    IR_MATRIX_OP_CASES:
        if (s->coopmat == SPV_COOPMAT_OFF)
            UNREACHABLE(); /* ir_lower_matrix replaced them */
        r = emit_matrix(fn, inst);
        break;
    case IR_MMA_FRAG: case IR_NUM_OPS: UNREACHABLE();
    }
    if (r && inst->id < fn->f->next_id)
        fn->vals[inst->id] = r;
}

static void
emit_region(Fn *fn, IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        /* after a construct that never falls through, the rest is dead */
        if (!fn->open)
            return;
        emit_inst(fn, r->insts[i]);
        after_loop_return(fn, r->insts[i]);
    }
}

/* ---- prologue: parameters and locals ------------------------------------------------ */

static uint64_t
align_up(uint64_t x, uint64_t a)
{
    return a ? (x + a - 1) / a * a : x;
}

/* Kernel parameters: C layout of the parameters as struct members
 * (docs/language.md §8), S bytes, then the hidden status-word pointer at
 * H = S rounded up to 8 (docs/spirv.md). When H + 8 <= SPV_PUSH_LAUNCH_OFFSET
 * (S <= SPV_PUSH_ARGS_LIMIT) the push-constant block is that struct;
 * otherwise it holds two PhysicalStorageBuffer addresses: the parameters in
 * memory (same layout) at 0 and the status word at 8. Either way the block
 * ends with the launch block at SPV_PUSH_LAUNCH_OFFSET, which every kernel
 * has, parameters or not. The status pointer goes to the Private variable
 * that loop checks read. Returns the launch member's index. */
static uint32_t
kernel_params(Fn *fn)
{
    Spv *s = fn->s;
    IrFunc *f = fn->f;
    SpvFuncUse *u = fn->use;
    int np = f->nparams;
    uint64_t *offs = calloc((size_t)np + 2, sizeof *offs);
    uint32_t *members = calloc((size_t)np + 2, sizeof *members);
    if (!offs || !members)
        ICE("out of memory");
    uint64_t off = 0, max_align = 1;
    bool has8 = false, has16 = false;
    for (int i = 0; i < np; i++) {
        IrType *t = f->params[i].type;
        off = align_up(off, t->align);
        offs[i] = off;
        off += t->size;
        if (t->align > max_align)
            max_align = t->align;
        members[i] = spv_mem_type(s, t);
        has8 = has8 || spv_type_has_width(t, 8);
        has16 = has16 || spv_type_has_width(t, 16);
    }
    uint64_t total = align_up(off, max_align);
    uint64_t status_off = align_up(total, 8);
    u->indirect_args = total > SPV_PUSH_ARGS_LIMIT;
    uint32_t status_t = spv_status_ptr_type(s);
    uint32_t launch_t = spv_type_vec(s, spv_type_int(s, 32), 4);

    /* The parameters' struct; in the direct case it is the block itself and
     * takes the status pointer and the launch block as its last members. */
    int nmem = u->indirect_args ? np : np + 1;
    if (!u->indirect_args) {
        members[np] = status_t;
        offs[np] = status_off;
        members[np + 1] = launch_t;
    }
    int nstruct = u->indirect_args ? np : np + 2;
    uint32_t args = spv_id(s);
    {
        SpvWords *g = &s->sec[SEC_GLOBAL];
        spv_words_push(g, ((uint32_t)(nstruct + 2) << SpvWordCountShift) | SpvOpTypeStruct);
        spv_words_push(g, args);
        for (int i = 0; i < nstruct; i++)
            spv_words_push(g, members[i]);
    }
    spv_name(s, args, arena_printf(s->m->arena, "%s_args", f->name));
    for (int i = 0; i < nmem; i++) {
        const char *mn = i == np ? "claw_status" : f->params[i].name ? f->params[i].name : "";
        spv_inst_str(&s->sec[SEC_DEBUG], SpvOpMemberName, (const uint32_t[]){args, (uint32_t)i}, 2, mn);
        SPV_INST(&s->sec[SEC_ANNOTATION], SpvOpMemberDecorate, args, (uint32_t)i, SpvDecorationOffset,
                 (uint32_t)offs[i]);
    }
    uint32_t block = args, status_member = (uint32_t)np, launch_member = (uint32_t)np + 1;
    uint32_t args_ptr_t = 0;
    if (u->indirect_args) {
        if (has8)
            spv_cap(s, SpvCapabilityStorageBuffer8BitAccess);
        if (has16)
            spv_cap(s, SpvCapabilityStorageBuffer16BitAccess);
        args_ptr_t = spv_type_ptr(s, SpvStorageClassPhysicalStorageBuffer, args, total);
        block = spv_id(s);
        SPV_INST(&s->sec[SEC_GLOBAL], SpvOpTypeStruct, block, args_ptr_t, status_t, launch_t);
        spv_name(s, block, arena_printf(s->m->arena, "%s_push", f->name));
        spv_inst_str(&s->sec[SEC_DEBUG], SpvOpMemberName, (const uint32_t[]){block, 0}, 2, "args");
        spv_inst_str(&s->sec[SEC_DEBUG], SpvOpMemberName, (const uint32_t[]){block, 1}, 2,
                     "claw_status");
        SPV_INST(&s->sec[SEC_ANNOTATION], SpvOpMemberDecorate, block, 0, SpvDecorationOffset, 0);
        SPV_INST(&s->sec[SEC_ANNOTATION], SpvOpMemberDecorate, block, 1, SpvDecorationOffset, 8);
        u->args_struct = args;
        status_member = 1;
        launch_member = 2;
    } else {
        if (has8)
            spv_cap(s, SpvCapabilityStoragePushConstant8);
        if (has16)
            spv_cap(s, SpvCapabilityStoragePushConstant16);
    }
    spv_inst_str(&s->sec[SEC_DEBUG], SpvOpMemberName, (const uint32_t[]){block, launch_member}, 2,
                 "claw_launch");
    SPV_INST(&s->sec[SEC_ANNOTATION], SpvOpMemberDecorate, block, launch_member, SpvDecorationOffset,
             SPV_PUSH_LAUNCH_OFFSET);
    spv_decorate(s, block, SpvDecorationBlock, NULL, 0);
    uint32_t pc_t = spv_type_ptr(s, SpvStorageClassPushConstant, block, 0);
    uint32_t var = spv_id(s);
    SPV_INST(&s->sec[SEC_GLOBAL], SpvOpVariable, pc_t, var, SpvStorageClassPushConstant);
    spv_name(s, var, arena_printf(s->m->arena, "%s_params", f->name));
    u->push_var = var;
    u->push_block = block;

    uint32_t sp = OP(fn, SpvOpAccessChain, spv_type_ptr(s, SpvStorageClassPushConstant, status_t, 0),
                     var, spv_const_u32(s, status_member));
    SPV_INST(&fn->code, SpvOpStore, spv_status_var(s), OP(fn, SpvOpLoad, status_t, sp));
    u->status = true;

    uint32_t base = 0;
    if (u->indirect_args) {
        uint32_t pp = OP(fn, SpvOpAccessChain, spv_type_ptr(s, SpvStorageClassPushConstant, args_ptr_t, 0),
                         var, spv_const_u32(s, 0));
        base = OP(fn, SpvOpLoad, args_ptr_t, pp);
    }
    for (int i = 0; i < np; i++) {
        IrType *t = f->params[i].type;
        uint32_t idx = spv_const_u32(s, (uint32_t)i), v;
        if (u->indirect_args) {
            uint32_t pt = spv_type_ptr(s, SpvStorageClassPhysicalStorageBuffer, members[i], t->size);
            uint32_t p = OP(fn, SpvOpAccessChain, pt, base, idx);
            v = OP(fn, SpvOpLoad, members[i], p, SpvMemoryAccessAlignedMask, (uint32_t)t->align);
        } else {
            uint32_t pt = spv_type_ptr(s, SpvStorageClassPushConstant, members[i], 0);
            v = OP(fn, SpvOpLoad, members[i], OP(fn, SpvOpAccessChain, pt, var, idx));
        }
        v = from_mem(fn, t, v);
        spv_name(s, v, f->params[i].name);
        fn->vals[f->param_values[i]->id] = v;
    }
    free(offs);
    free(members);
    return launch_member;
}

/* The launch block (docs/spirv.md): the runtime may split a grid wider than
 * the device's maxComputeWorkGroupCount[0] into several dispatches, pushing
 * each one's first block in block_base_x and the whole grid. The prologue
 * turns them into the Private variables that block_id.x, global_id.x and
 * grid_dim read (load_builtin), so every function sees the whole launch. */
static void
kernel_launch_block(Fn *fn, uint32_t member)
{
    Spv *s = fn->s;
    uint32_t u32 = spv_type_int(s, 32), v3 = spv_type_vec(s, u32, 3), v4 = spv_type_vec(s, u32, 4);
    const SpvLaunchVars *lv = spv_launch_vars(s);
    uint32_t pt = spv_type_ptr(s, SpvStorageClassPushConstant, v4, 0);
    uint32_t lb = OP(fn, SpvOpLoad, v4,
                     OP(fn, SpvOpAccessChain, pt, fn->use->push_var, spv_const_u32(s, member)));
    uint32_t base = OP(fn, SpvOpCompositeExtract, u32, lb, 0u);
    uint32_t grid = OP(fn, SpvOpVectorShuffle, v3, lb, lb, 1u, 2u, 3u);
    uint32_t wg = spv_builtin_var_in(s, fn->use, BV_WORKGROUP_ID);
    uint32_t gid = spv_builtin_var_in(s, fn->use, BV_GLOBAL_ID);
    uint32_t wx = OP(fn, SpvOpCompositeExtract, u32, OP(fn, SpvOpLoad, v3, wg), 0u);
    uint32_t gx = OP(fn, SpvOpCompositeExtract, u32, OP(fn, SpvOpLoad, v3, gid), 0u);
    uint32_t bdx = fn->f->workgroup[0] ? spv_const_u32(s, fn->f->workgroup[0])
                                       : spv_spec_block_dim(s, 0);
    uint32_t bx = OP(fn, SpvOpIAdd, u32, wx, base);
    uint32_t gbx = OP(fn, SpvOpIAdd, u32, gx, OP(fn, SpvOpIMul, u32, base, bdx));
    SPV_INST(&fn->code, SpvOpStore, lv->block_x, bx);
    SPV_INST(&fn->code, SpvOpStore, lv->global_x, gbx);
    SPV_INST(&fn->code, SpvOpStore, lv->grid, grid);
}

static void
emit_locals(Fn *fn)
{
    Spv *s = fn->s;
    for (int i = 0; i < fn->f->locals.len; i++) {
        IrInst *l = fn->f->locals.data[i];
        uint32_t pt = spv_ptr_type(s, l->type);
        uint32_t id = spv_id(s);
        SPV_INST(&fn->vars, SpvOpVariable, pt, id, SpvStorageClassFunction);
        /* SPIR-V 2.18.2: a variable holding a PhysicalStorageBuffer pointer
         * (or an array of them) says whether it aliases */
        IrType *held = l->type->elem;
        while (held->kind == IRT_ARRAY)
            held = held->elem;
        if (held->kind == IRT_PTR)
            spv_decorate(s, id, SpvDecorationAliasedPointer, NULL, 0);
        spv_name(s, id, l->name);
        fn->vals[l->id] = id;
    }
}

void
spv_emit_function(Spv *s, IrFunc *f)
{
    Fn fn = {0};
    fn.s = s;
    fn.f = f;
    fn.use = &s->use[f->index];
    fn.vals = calloc((size_t)f->next_id + 1, sizeof *fn.vals);
    if (!fn.vals)
        ICE("out of memory");
    uint32_t fid = s->func_ids[f->index];
    spv_name(s, fid, f->name);

    SpvWords head = {0};
    uint32_t ret = spv_val_type(s, f->ret);
    if (f->is_kernel) {
        uint32_t fty = spv_type_fn(s, spv_type_void(s), NULL, 0);
        SPV_INST(&head, SpvOpFunction, ret, fid, SpvFunctionControlMaskNone, fty);
    } else {
        uint32_t *pts = calloc((size_t)f->nparams + 1, sizeof *pts);
        if (!pts)
            ICE("out of memory");
        for (int i = 0; i < f->nparams; i++)
            pts[i] = spv_val_type(s, f->params[i].type);
        uint32_t fty = spv_type_fn(s, ret, pts, f->nparams);
        SPV_INST(&head, SpvOpFunction, ret, fid, SpvFunctionControlMaskNone, fty);
        for (int i = 0; i < f->nparams; i++) {
            uint32_t id = spv_id(s);
            SPV_INST(&head, SpvOpFunctionParameter, pts[i], id);
            if (f->params[i].type->kind == IRT_PTR)
                spv_decorate(s, id, SpvDecorationAliased, NULL, 0);
            spv_name(s, id, f->params[i].name);
            fn.vals[f->param_values[i]->id] = id;
        }
        free(pts);
    }
    SPV_INST(&head, SpvOpLabel, spv_id(s));
    fn.open = true;
    emit_locals(&fn);
    if (f->is_kernel) {
        unsigned char *memo = calloc((size_t)s->m->funcs.len + 1, 1);
        if (!memo)
            ICE("out of memory");
        if (func_reaches_loop(f, memo)) {
            IrType *arr = ir_type_array(s->m, ir_type_int(s->m, 32, false), 4);
            fn.probe = spv_id(s);
            SPV_INST(&fn.vars, SpvOpVariable,
                     spv_type_ptr(s, SpvStorageClassFunction, spv_local_type(s, arr), 0), fn.probe,
                     SpvStorageClassFunction);
            spv_name(s, fn.probe, "claw_probe");
            if (has_loop_return(&f->body, 0)) {
                fn.returned = spv_id(s);
                SPV_INST(&fn.vars, SpvOpVariable,
                         spv_type_ptr(s, SpvStorageClassFunction, spv_type_bool(s), 0), fn.returned,
                         SpvStorageClassFunction);
                spv_name(s, fn.returned, "claw_returned");
            }
        }
        free(memo);
    }
    if (f->is_kernel) {
        /* the parameter loads belong to the kernel's header */
        set_line(&fn, f->loc);
        kernel_launch_block(&fn, kernel_params(&fn));
    }
    if (fn.returned)
        SPV_INST(&fn.code, SpvOpStore, fn.returned, spv_const_bool(s, false));
    emit_region(&fn, &f->body);
    if (fn.open) {
        if (f->ret->kind == IRT_VOID) {
            if (f->is_kernel)
                emit_probe(&fn);
            spv_inst(&fn.code, SpvOpReturn, NULL, 0);
        }
        else
            unreachable_block(&fn); /* sema: every path of a value function returns */
    }
    SpvWords *out = &s->sec[SEC_FUNCTION];
    spv_words_append(out, &head);
    spv_words_append(out, &fn.vars);
    spv_words_append(out, &fn.code);
    spv_inst(out, SpvOpFunctionEnd, NULL, 0);
    spv_words_free(&head);
    spv_words_free(&fn.vars);
    spv_words_free(&fn.code);
    free(fn.vals);
}
