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

int
spv_validate(const uint32_t *words, size_t n, bool vulkan13, char **err)
{
    spv_context ctx = spvContextCreate(vulkan13 ? SPV_ENV_VULKAN_1_3 : SPV_ENV_VULKAN_1_2);
    spv_validator_options opts = spvValidatorOptionsCreate();
    spv_const_binary_t bin = {words, n};
    spv_diagnostic diag = NULL;
    spv_result_t r = spvValidateWithOptions(ctx, opts, &bin, &diag);
    int rc = 0;
    if (r != SPV_SUCCESS) {
        *err = message(diag, "the validator failed without a message");
        rc = 1;
    }
    spvDiagnosticDestroy(diag);
    spvValidatorOptionsDestroy(opts);
    spvContextDestroy(ctx);
    return rc;
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
