/* jit.c: runs the device functions of an IR module on the host CPU, so that
 * tests can call the exact code the GPU targets generate (the math builtins
 * of math.c above all: tests/unit/test_llvm_math.c measures them against the
 * host libm, docs/language.md §7).
 *
 * How it works: llvm.c lowers the module for the host triple with the same
 * lowering as NVPTX and AMDGPU (llvm_lower_host), the default<O3> pipeline
 * optimises it as it would for a GPU, and MCJIT compiles it to memory.
 * Functions are then found by their Claw name. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <stdint.h>

#include <llvm-c/ExecutionEngine.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "llvm_internal.h"

/* The model of the hardware 2^f unit (llvm_jit_set_exp2_unit). */
static int exp2_unit_ulps;

void
llvm_jit_set_exp2_unit(int ulps)
{
    exp2_unit_ulps = ulps;
}

static float
jit_exp2_unit(float f)
{
    long double e = exp2l((long double)f);
    if (isnan(e) || e < 0x1p-126L)
        return isnan(e) ? (float)e : 0.0f;
    /* an exact result that rounds past FLT_MAX overflows on the hardware
     * too (ex2.approx and v_exp_f32 give inf from x = 128): k ulps below
     * inf is not a finite number */
    if (e >= 0x1p128L - 0x1p103L)
        return INFINITY;
    int ex;
    frexpl(e, &ex);
    /* exact + k ulps of the exact value, rounded to nearest: as far from
     * exact as a unit "k ulps from the correctly rounded result" can be;
     * a finite correctly rounded result stays finite */
    float r = (float)(e + (long double)exp2_unit_ulps * ldexpl(1.0L, ex - 24));
    return isinf(r) ? FLT_MAX : r;
}

/* The models of the hardware 1/sqrt and log2 units (llvm_jit_set_rsqrt_unit,
 * llvm_jit_set_log2_unit). */
static double rsqrt_unit_ulps, log2_unit_ulps;

void
llvm_jit_set_rsqrt_unit(double ulps)
{
    rsqrt_unit_ulps = ulps;
}

void
llvm_jit_set_log2_unit(double ulps)
{
    log2_unit_ulps = ulps;
}

/* the float farthest from a finite nonzero e within |k| of e's ulps on k's
 * side: the nearest float to e + k ulps, stepped back towards e if beyond
 * it (k = 0: e correctly rounded; e = 0 stays exact) */
static float
unit_result(long double e, double k)
{
    if (e == 0)
        return 0.0f;
    int ex;
    frexpl(e, &ex);
    long double t = e + (long double)k * ldexpl(1.0L, ex - 24);
    float f = (float)t;
    if (k > 0 && (long double)f > t)
        f = nextafterf(f, -INFINITY);
    else if (k < 0 && (long double)f < t)
        f = nextafterf(f, INFINITY);
    return f;
}

static float
jit_rsqrt_unit(float x)
{
    if (isnan(x))
        return x;
    if (fabsf(x) < 0x1p-126f) /* zero or subnormal: flushed, sign kept */
        return copysignf(INFINITY, x);
    if (x < 0)
        return NAN;
    if (isinf(x))
        return 0.0f;
    return unit_result(1.0L / sqrtl((long double)x), rsqrt_unit_ulps);
}

static float
jit_log2_unit(float x)
{
    if (isnan(x))
        return x;
    if (fabsf(x) < 0x1p-126f) /* zero or subnormal: flushed */
        return -INFINITY;
    if (x < 0)
        return NAN;
    if (isinf(x))
        return x;
    return unit_result(log2l((long double)x), log2_unit_ulps);
}

struct LlvmJit {
    LLVMContextRef ctx;
    LLVMExecutionEngineRef ee; /* owns the module */
};

static LlvmJit *
jit_fail(char **err, char *msg, LLVMContextRef ctx)
{
    if (err)
        *err = msg;
    else
        free(msg);
    if (ctx)
        LLVMContextDispose(ctx);
    return NULL;
}

static LlvmJit *
jit_new(IrModule *m, LlvmHostMath math, char **err)
{
    LLVMLinkInMCJIT();
    LLVMAddSymbol(LLVM_JIT_EXP2_UNIT, (void *)(uintptr_t)jit_exp2_unit);
    LLVMAddSymbol(LLVM_JIT_RSQRT_UNIT, (void *)(uintptr_t)jit_rsqrt_unit);
    LLVMAddSymbol(LLVM_JIT_LOG2_UNIT, (void *)(uintptr_t)jit_log2_unit);
    if (LLVMInitializeNativeTarget() || LLVMInitializeNativeAsmPrinter())
        return jit_fail(err, llvm_strdup_printf("LLVM has no target for this host"), NULL);
    char *triple = LLVMGetDefaultTargetTriple(), *msg = NULL;
    LLVMTargetRef target;
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        char *e = llvm_strdup_printf("LLVM has no %s target: %s", triple, msg);
        LLVMDisposeMessage(msg);
        LLVMDisposeMessage(triple);
        return jit_fail(err, e, NULL);
    }
    /* generic CPU: MCJIT generates code for the generic CPU as well */
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, "", "", LLVMCodeGenLevelDefault,
                                                      LLVMRelocDefault, LLVMCodeModelJITDefault);
    LLVMDisposeMessage(triple);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = llvm_lower_host(m, ctx, tm, math, err);
    if (!mod) {
        LLVMDisposeTargetMachine(tm);
        return jit_fail(err, err ? *err : NULL, ctx);
    }
    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, "default<O3>", tm, pbo);
    LLVMDisposePassBuilderOptions(pbo);
    LLVMDisposeTargetMachine(tm);
    if (e) {
        char *em = LLVMGetErrorMessage(e);
        ICE("LLVM pass pipeline failed on the host: %s", em);
    }
    struct LLVMMCJITCompilerOptions opts;
    LLVMInitializeMCJITCompilerOptions(&opts, sizeof opts);
    opts.OptLevel = 2;
    LlvmJit *j = malloc(sizeof *j);
    if (!j)
        ICE("out of memory");
    j->ctx = ctx;
    if (LLVMCreateMCJITCompilerForModule(&j->ee, mod, &opts, sizeof opts, &msg)) {
        char *em = llvm_strdup_printf("MCJIT: %s", msg);
        LLVMDisposeMessage(msg);
        LLVMDisposeModule(mod);
        free(j);
        return jit_fail(err, em, ctx);
    }
    return j;
}

LlvmJit *
llvm_jit_new(IrModule *m, char **err)
{
    return jit_new(m, LLVM_HOST_NVPTX, err);
}

LlvmJit *
llvm_jit_new_amdgpu_units(IrModule *m, char **err)
{
    return jit_new(m, LLVM_HOST_AMDGPU, err);
}

LlvmJit *
llvm_jit_new_fma_free(IrModule *m, char **err)
{
    return jit_new(m, LLVM_HOST_FMA_FREE, err);
}

LlvmJitFn
llvm_jit_func(LlvmJit *j, const char *name)
{
    uint64_t a = LLVMGetFunctionAddress(j->ee, name);
    return a ? (LlvmJitFn)(uintptr_t)a : NULL;
}

void
llvm_jit_free(LlvmJit *j)
{
    if (!j)
        return;
    LLVMDisposeExecutionEngine(j->ee);
    LLVMContextDispose(j->ctx);
    free(j);
}
