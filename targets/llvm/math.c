/* math.c: what the LLVM targets do themselves of the math builtins of
 * docs/language.md §7; everything else (exp exp2 log log2 sin cos tan tanh
 * pow, f64 rsqrt) is the IR math library of ir/mathlib.c, written into the
 * module by ir_polyfill (IR_PF_MATH) before it gets here.
 *
 * What remains: sqrt is llvm.sqrt (correctly rounded on NVPTX and AMDGPU
 * unless fast-math flags say otherwise, which we never set); the ops the
 * target keeps for its hardware units (llvm_polyfill_flags): f32 exp and
 * exp2 on the 2^f unit (LlvmHooks.exp2_unit, build_exp_unit), f32 and f16
 * rsqrt on the 1/sqrt unit (build_rsqrt_unit), f32 and f16 log2 on
 * AMDGPU's log2 unit (build_log2_unit); and the two internal ops of the
 * library, rint (llvm.rint) and two_over_pi (llvm_two_over_pi: a load from
 * a constant table). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "llvm_internal.h"

/* Builder state for the unit lowerings of one float type. */
typedef struct Mb {
    Lw *w;
    LLVMBuilderRef b;
    LLVMTypeRef ft, it; /* float type and the integer type of its width */
    int bits;           /* 32 */
} Mb;

static LLVMValueRef
k(Mb *mb, double v)
{
    return LLVMConstReal(mb->ft, mb->bits == 32 ? (double)(float)v : v);
}

static LLVMValueRef
ki(Mb *mb, long long v)
{
    return LLVMConstInt(mb->it, (unsigned long long)v, 1);
}

static LLVMValueRef
intr(Mb *mb, const char *name, LLVMValueRef *args, int n)
{
    LLVMTypeRef t = LLVMTypeOf(args[0]);
    return llvm_call_intrinsic(mb->w, name, &t, 1, args, n);
}

static LLVMValueRef
fma3(Mb *mb, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c)
{
    LLVMValueRef args[3] = {a, b, c};
    return intr(mb, "llvm.fma", args, 3);
}

static LLVMValueRef
m_sub(Mb *mb, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFSub(mb->b, a, b, "");
}

static LLVMValueRef
m_mul(Mb *mb, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFMul(mb->b, a, b, "");
}

static LLVMValueRef
fcmp(Mb *mb, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFCmp(mb->b, p, a, b, "");
}

static LLVMValueRef
sel(Mb *mb, LLVMValueRef c, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildSelect(mb->b, c, a, b, "");
}

static LLVMValueRef
fminmax(Mb *mb, const char *name, LLVMValueRef a, double v)
{
    LLVMValueRef args[2] = {a, k(mb, v)};
    return intr(mb, name, args, 2);
}

static Mb
mb32(Lw *w)
{
    return (Mb){.w = w,
                .b = w->b,
                .ft = LLVMFloatTypeInContext(w->ctx),
                .it = LLVMInt32TypeInContext(w->ctx),
                .bits = 32};
}

unsigned
llvm_polyfill_flags(const LlvmHooks *h)
{
    return LLVM_POLYFILL | IR_PF_MATH | (h->exp2_unit ? IR_PF_UNIT_EXP2_F32 : 0u) |
           (h->rsqrt_unit ? IR_PF_UNIT_RSQRT_F32 : 0u) | (h->log2_unit ? IR_PF_UNIT_LOG2_F32 : 0u);
}

/* The table of 2/pi (ir_two_over_pi) as an internal constant global of the
 * module, made on first use; word i of it. */
enum { LLVM_TWO_OVER_PI_SLOTS = 64 };
LLVMValueRef
llvm_two_over_pi(Lw *w, LLVMValueRef i)
{
    LLVMTypeRef i32 = LLVMInt32TypeInContext(w->ctx);
    LLVMValueRef tab = w->math_table;
    if (!tab) {
        LLVMValueRef vals[LLVM_TWO_OVER_PI_SLOTS];
        for (int j = 0; j < LLVM_TWO_OVER_PI_SLOTS; j++)
            vals[j] = LLVMConstInt(i32, j < IR_TWO_OVER_PI_WORDS ? ir_two_over_pi[j] : 0, 0);
        tab = LLVMAddGlobalInAddressSpace(w->mod, LLVMArrayType2(i32, LLVM_TWO_OVER_PI_SLOTS),
                                          "__claw_two_over_pi", w->h->global_as);
        LLVMSetInitializer(tab, LLVMConstArray2(i32, vals, LLVM_TWO_OVER_PI_SLOTS));
        LLVMSetGlobalConstant(tab, 1);
        LLVMSetLinkage(tab, LLVMInternalLinkage);
        LLVMSetAlignment(tab, 4);
        w->math_table = tab;
    }
    /* the table is padded with zeros to LLVM_TWO_OVER_PI_SLOTS words and
     * the index masked, so an index past it reads 0 as on SPIR-V (ops.def)
     * instead of memory beyond: the library's indices are below 64 by
     * their known bits, so LLVM folds the mask away; a hand-written .clawir
     * need not be */
    i = LLVMBuildAnd(w->b, i, LLVMConstInt(i32, LLVM_TWO_OVER_PI_SLOTS - 1, 0), "");
    LLVMValueRef idx[2] = {LLVMConstInt(i32, 0, 0), i};
    LLVMValueRef p = LLVMBuildInBoundsGEP2(w->b, LLVMGlobalGetValueType(tab), tab, idx, 2, "");
    LLVMValueRef v = LLVMBuildLoad2(w->b, i32, p, "");
    LLVMSetAlignment(v, 4);
    return v;
}

/* f32 e^x (base_e) or 2^x on the target's hardware 2^f (LlvmHooks.exp2_unit),
 * as CUDA's expf: u = x log2 e = n + f with n an integer in [-126, 127] and
 * the result 2^f 2^n, where 2^n is a normal float and the product rounds
 * once (subnormal results included).
 *   - z = (u + 126) / 253 clamped to [0, 1] (NaN gives 0), so that
 *     t = 253 z + 1.5 2^23 + 1 is 1.5 2^23 + 127 + n with n = u rounded to
 *     an integer (z's rounding moves the ties of u at most 2^-16, and f
 *     below absorbs any n near u) and clamped to [-126, 127];
 *   - n = t - (1.5 2^23 + 127), exact; the bits of t shifted left by 23 are
 *     those of 2^n (the low bits of t hold n + 127, the biased exponent);
 *   - f = u - n: x (log2 e)_hi - n by one fma plus x (log2 e)_lo by another
 *     (for 2^x, x - n, exact). Unclamped, |f| <= 1/2 + 2^-16; clamped, f is as
 *     large as the input needs and the unit gives 0 or inf, so huge inputs,
 *     infinities and NaN need no test (but 2^x at x = 128 exactly, below). 2^f is normal unless the whole result
 *     is below 2^-150 (then 0), so the unit's flush of subnormals never shows.
 * Error: the unit's plus f's rounding (times ln 2, < 0.36 ulp) plus the final
 * rounding; tests/unit/test_llvm_math.c measures it with the unit modelled
 * at its documented worst case. */
static LLVMValueRef
build_exp_unit(Mb *mb, LLVMValueRef x, bool base_e)
{
    const double magic = 0x1.8p23;
    double scale = base_e ? M_LOG2E / 253 : 1.0 / 253;
    LLVMValueRef z = fma3(mb, x, k(mb, scale), k(mb, 126.0 / 253));
    z = mb->w->h->saturate ? mb->w->h->saturate(mb->w, z)
                           : fminmax(mb, "llvm.minnum", fminmax(mb, "llvm.maxnum", z, 0), 1);
    LLVMValueRef t = fma3(mb, z, k(mb, 253), k(mb, magic + 1));
    LLVMValueRef n = m_sub(mb, t, k(mb, magic + 127));
    LLVMValueRef f;
    if (base_e) {
        float hi = (float)M_LOG2E;
        float lo = (float)(1.44269504088896340735992468100189214L - (long double)hi);
        f = fma3(mb, x, k(mb, hi), LLVMBuildFNeg(mb->b, n, ""));
        f = fma3(mb, x, k(mb, lo), f);
    } else {
        f = m_sub(mb, x, n);
    }
    LLVMValueRef y = mb->w->h->exp2_unit(mb->w, f);
    LLVMValueRef e = LLVMBuildShl(mb->b, LLVMBuildBitCast(mb->b, t, mb->it, ""), ki(mb, 23), "");
    LLVMValueRef r = m_mul(mb, y, LLVMBuildBitCast(mb->b, e, mb->ft, ""));
    if (base_e)
        return r;
    /* 2^128 exactly: f = 1, and a unit up to 2 ulps low gives 2^128 (1 -
     * 2^-22), a finite float; every other x >= 128 has f far enough above
     * 1 to overflow, and e^x never meets the boundary exactly */
    return sel(mb, fcmp(mb, LLVMRealOGE, x, k(mb, 128)), k(mb, INFINITY), r);
}

/* f32 log2(x) on the target's hardware unit (LlvmHooks.log2_unit, AMDGPU
 * v_log_f32 only): subnormal x (the unit flushes them) times 2^24 and 24
 * subtracted after (that subtraction rounds at most half an ulp of a result
 * whose ulp is twice the unit's: within the unit's bound for any bound of 1
 * ulp or more); zeros and negatives may take that path, -inf and NaN stay.
 * The result is otherwise the unit's own: AMD documents 1 ulp, CUDA's
 * log2f bound (test_log2_unit in tests/unit/test_llvm_math.c). */
static LLVMValueRef
build_log2_unit(Mb *mb, LLVMValueRef x)
{
    LLVMValueRef tiny = fcmp(mb, LLVMRealOLT, x, k(mb, 0x1p-126));
    LLVMValueRef xs = sel(mb, tiny, m_mul(mb, x, k(mb, 0x1p24)), x);
    LLVMValueRef r = mb->w->h->log2_unit(mb->w, xs);
    return sel(mb, tiny, m_sub(mb, r, k(mb, 24)), r);
}

/* f32 1/sqrt(x) on the target's hardware unit (LlvmHooks.rsqrt_unit), as
 * CUDA's rsqrtf and HIP's: subnormal x (the units flush them) times 2^24
 * first and the result times 2^12 after, both exact (a normal x' = x 2^24
 * >= 2^-125 gives at most 2^62.5); every other x goes to the unit as it
 * is, which gives C's special values (+-0 -> +-inf, x < 0 -> NaN, +inf ->
 * 0) on its own, so zeros and negatives may take the scaled path. The
 * result is the unit's alone: within 2.14 ulp of the exact result at the
 * PTX ISA's documented worst case (relative 2^-22.9), 1 at AMD's, inside
 * CUDA's 2 ulp (2.5 from the exact result), so no refinement follows;
 * tests/unit/test_llvm_math.c (test_rsqrt_unit) measures it with the unit
 * modelled at both. The scaling is two selects of a product, which ptxas
 * makes predicated multiplies (its own non-.ftz rsqrt's three extra
 * instructions). */
static LLVMValueRef
build_rsqrt_unit(Lw *w, LLVMValueRef x)
{
    LLVMTypeRef ft = LLVMTypeOf(x);
    Mb mb = {.w = w, .b = w->b, .ft = ft, .it = LLVMInt32TypeInContext(w->ctx), .bits = 32};
    LLVMValueRef tiny = fcmp(&mb, LLVMRealOLT, x, k(&mb, 0x1p-126));
    LLVMValueRef xs = sel(&mb, tiny, m_mul(&mb, x, k(&mb, 0x1p24)), x);
    LLVMValueRef r = w->h->rsqrt_unit(w, xs);
    return sel(&mb, tiny, m_mul(&mb, r, k(&mb, 0x1p12)), r);
}

LLVMValueRef
llvm_math(Lw *w, IrOp op, IrType *t, LLVMValueRef x)
{
    LLVMTypeRef ty = LLVMTypeOf(x);
    if (op == IR_SQRT)
        return llvm_call_intrinsic(w, "llvm.sqrt", &ty, 1, &x, 1);
    if (t->bits == 16 && (op == IR_RSQRT || op == IR_LOG2)) {
        /* the unit in f32, rounded once; an f16 is never an f32
         * subnormal: the unit needs no scaling */
        LLVMTypeRef f32 = LLVMFloatTypeInContext(w->ctx);
        LLVMValueRef xf = LLVMBuildFPExt(w->b, x, f32, "");
        LLVMValueRef r = op == IR_RSQRT && w->h->rsqrt_unit ? w->h->rsqrt_unit(w, xf)
                         : op == IR_LOG2 && w->h->log2_unit ? w->h->log2_unit(w, xf)
                                                            : NULL;
        if (r)
            return LLVMBuildFPTrunc(w->b, r, ty, "");
    }
    if (t->bits == 32) {
        Mb mb = mb32(w);
        if (op == IR_RSQRT && w->h->rsqrt_unit)
            return build_rsqrt_unit(w, x);
        if ((op == IR_EXP || op == IR_EXP2) && w->h->exp2_unit)
            return build_exp_unit(&mb, x, op == IR_EXP);
        if (op == IR_LOG2 && w->h->log2_unit)
            return build_log2_unit(&mb, x);
    }
    ICE("%s on %u bits is the math library's (ir_polyfill, llvm_polyfill_flags)", ir_op_name(op),
        t->bits);
}
