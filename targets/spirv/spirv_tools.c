/* spirv_tools.c: validation and disassembly of SPIR-V modules through
 * SPIRV-Tools' C API (libspirv.h).
 *
 * Every module the backend writes is validated for the Vulkan environment
 * of its arch (vulkan1.2 -> SPV_ENV_VULKAN_1_2, SPIR-V 1.5; vulkan1.3 ->
 * SPV_ENV_VULKAN_1_3, SPIR-V 1.6) with the standard block layout rules
 * (std430 for push constants and PhysicalStorageBuffer, which C layout of
 * naturally aligned types satisfies). A failure is an internal error in the
 * caller: the message is returned, not printed. */
#include "spirv_emit.h"

#include <spirv-tools/libspirv.h>

#include <stdlib.h>
#include <string.h>

static char *
message(spv_diagnostic diag, const char *fallback)
{
    Buf b = {0};
    if (diag && diag->error) {
        if (!diag->isTextSource)
            buf_printf(&b, "word %zu: ", diag->position.index);
        buf_printf(&b, "%s", diag->error);
    } else {
        buf_printf(&b, "%s", fallback);
    }
    buf_append(&b, "", 1);
    return (char *)b.data;
}

static spv_result_t
validate_words(const uint32_t *words, size_t n, bool vulkan13, char **err)
{
    spv_context ctx = spvContextCreate(vulkan13 ? SPV_ENV_VULKAN_1_3 : SPV_ENV_VULKAN_1_2);
    spv_validator_options opts = spvValidatorOptionsCreate();
    /* friendly names (%uint, %gl_GlobalInvocationID) only for a message:
     * the validator's name mapper makes each name unique by trying _0,
     * _1, ... in turn, quadratic in the variables of one BuiltIn (one per
     * kernel, spv_builtin_var_in) and in OpNames that repeat */
    spvValidatorOptionsSetFriendlyNames(opts, err != NULL);
    spv_const_binary_t bin = {words, n};
    spv_diagnostic diag = NULL;
    spv_result_t r = spvValidateWithOptions(ctx, opts, &bin, &diag);
    if (r != SPV_SUCCESS && err)
        *err = message(diag, "the validator failed without a message");
    spvDiagnosticDestroy(diag);
    spvValidatorOptionsDestroy(opts);
    spvContextDestroy(ctx);
    return r;
}

/* A copy of the module without its OpName and OpMemberName instructions, or
 * NULL when its instruction stream does not parse (the validator then reads
 * the original and says why). */
static uint32_t *
without_names(const uint32_t *words, size_t n, size_t *out_n)
{
    if (n < 5)
        return NULL;
    uint32_t *out = malloc(n * sizeof *out);
    if (!out)
        return NULL;
    memcpy(out, words, 5 * sizeof *out);
    size_t len = 5;
    for (size_t i = 5; i < n;) {
        uint32_t count = words[i] >> 16, op = words[i] & 0xffff;
        if (count == 0 || count > n - i) {
            free(out);
            return NULL;
        }
        if (op != SpvOpName && op != SpvOpMemberName) {
            memcpy(out + len, words + i, count * sizeof *out);
            len += count;
        }
        i += count;
    }
    *out_n = len;
    return out;
}

/* SPIRV-Tools' validator gives every OpName a unique "friendly" name for
 * its messages, trying name_0, name_1, ... in turn for a repeated one, which
 * is quadratic in the repeats: a module of 4000 kernels that each name a
 * parameter `p` spent a minute there (docs/validation.md, compile-time
 * scaling). So the module is validated without its debug names, and only a
 * module that fails is validated again with them, for a message that names
 * the ids. The names themselves are checked by every test's spirv-val run
 * (tests/lit/Inputs/compile_all.py validates every kernel's module). */
int
spv_validate(const uint32_t *words, size_t n, bool vulkan13, char **err)
{
    size_t nn = 0;
    uint32_t *bare = without_names(words, n, &nn);
    spv_result_t r = bare ? validate_words(bare, nn, vulkan13, NULL) : SPV_ERROR_INVALID_BINARY;
    free(bare);
    if (r == SPV_SUCCESS)
        return 0;
    if (validate_words(words, n, vulkan13, err) == SPV_SUCCESS)
        *err = message(NULL, "the module fails validation only without its OpName instructions");
    return 1;
}

int
spv_disassemble(const uint32_t *words, size_t n, bool vulkan13, Buf *out, char **err)
{
    return spv_disassemble_names(words, n, vulkan13, true, out, err);
}

int
spv_disassemble_names(const uint32_t *words, size_t n, bool vulkan13, bool friendly, Buf *out,
                      char **err)
{
    spv_context ctx = spvContextCreate(vulkan13 ? SPV_ENV_VULKAN_1_3 : SPV_ENV_VULKAN_1_2);
    spv_text text = NULL;
    spv_diagnostic diag = NULL;
    /* friendly names (%main, %uint) keep FileCheck tests readable */
    spv_result_t r = spvBinaryToText(
        ctx, words, n, friendly ? SPV_BINARY_TO_TEXT_OPTION_FRIENDLY_NAMES : SPV_BINARY_TO_TEXT_OPTION_NONE,
        &text, &diag);
    int rc = 0;
    if (r != SPV_SUCCESS) {
        *err = message(diag, "the disassembler failed without a message");
        rc = 1;
    } else {
        buf_append(out, text->str, text->length);
    }
    spvTextDestroy(text);
    spvDiagnosticDestroy(diag);
    spvContextDestroy(ctx);
    return rc;
}
