/* irfile.c: a `.clawir` input (docs/clawc.md): the text --emit=claw-ir
 * writes, read by ir/read.c and reported through diag.c like source errors.
 *
 * The file is registered with diag so that a reader error prints the
 * offending line of the .clawir with a caret; the module that comes back
 * has been verified, and the driver compiles it as it would a lowered
 * source file. */
#include "front.h"

#include <string.h>

static void
report(void *ctx, uint32_t line, uint32_t col, const char *msg)
{
    uint32_t file = (uint32_t)(uintptr_t)ctx;
    diag_error((SrcLoc){file, line, line ? col : 0}, "%s", msg);
}

bool
irfile_is_ir(const char *path)
{
    size_t n = strlen(path);
    return n > 7 && strcmp(path + n - 7, ".clawir") == 0;
}

IrModule *
irfile_read(const char *path, const char *text, size_t len)
{
    uint32_t file = diag_add_file(path, text, len);
    return ir_read(text, len, file, report, (void *)(uintptr_t)file);
}
