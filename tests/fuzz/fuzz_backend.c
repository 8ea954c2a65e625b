/* fuzz_backend.c: libFuzzer targets for the three backends, one executable
 * each (FUZZ_TARGET_PTX, FUZZ_TARGET_AMDGPU, FUZZ_TARGET_SPIRV):
 *   fuzz_ptx:    verified IR -> PTX text (targets/llvm/nvptx.c);
 *   fuzz_amdgpu: verified IR -> AMDGPU assembly (targets/llvm/amdgpu.c). The
 *                code object a fat binary holds is this code assembled by
 *                LLVM's MC layer and linked by ld.lld in a child process;
 *                the fuzzer stops at the assembly so that no process is
 *                started per input (the same instruction selection runs);
 *   fuzz_spirv:  verified IR -> SPIR-V, which spv_emit itself passes
 *                through spirv-val (before and after spirv-opt) and treats
 *                any invalid module as an internal error (an abort here).
 * The input is Claw source: only inputs that the front end turns into
 * verified IR (fuzz_compile) reach the backend; the optimisation level is
 * taken from the input's length so that -O0 and -O3 code are both seen.
 * A backend may refuse a module with a message (rc 1, e.g. "no kernel" for
 * SPIR-V); a crash, abort or a success without output is a finding. */
#include <stdio.h>
#include <stdlib.h>

#include "../../targets/target.h"
#include "fuzz_common.h"

#if defined(FUZZ_TARGET_PTX)
#define FUZZ_TARGET llvm_nvptx_target
#define FUZZ_KIND   "ptx"
#define FUZZ_ARCH   "sm_80"
#elif defined(FUZZ_TARGET_AMDGPU)
#define FUZZ_TARGET llvm_amdgpu_target
#define FUZZ_KIND   "amdgpu-asm"
#define FUZZ_ARCH   "gfx90a"
#elif defined(FUZZ_TARGET_SPIRV)
#define FUZZ_TARGET spv_target
#define FUZZ_KIND   "spirv"
#define FUZZ_ARCH   "vulkan1.2"
#else
#error "define FUZZ_TARGET_PTX, FUZZ_TARGET_AMDGPU or FUZZ_TARGET_SPIRV"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int opt = size % 4 == 0 ? 0 : 3;
    FuzzUnit u;
    if (!fuzz_compile(data, size, opt, &u))
        return 0;
    TargetOptions to = {.arch = FUZZ_ARCH, .opt_level = opt, .fp_contract = true};
    Buf out = {0};
    char *err = NULL;
    EmitStatus rc = FUZZ_TARGET.emit(u.m, &to, target_output(&FUZZ_TARGET, FUZZ_KIND), &out, &err);
    if (rc == EMIT_OK && out.len == 0) {
        fprintf(stderr, "fuzz_backend: %s succeeded with no output\n", FUZZ_TARGET.name);
        abort();
    }
    if (rc != EMIT_OK && !err) {
        fprintf(stderr, "fuzz_backend: %s failed (%d) without a message\n", FUZZ_TARGET.name, (int)rc);
        abort();
    }
    if (rc == EMIT_ENV_ERROR) {
        /* an environment problem (the target's tool chain) is not the input's fault */
        fprintf(stderr, "fuzz_backend: %s: %s\n", FUZZ_TARGET.name, err);
        abort();
    }
    free(err);
    buf_free(&out);
    fuzz_unit_free(&u);
    return 0;
}
