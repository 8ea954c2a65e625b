/* fuzz_clawir.c: libFuzzer target for the Claw IR reader (ir/read.c), which
 * `clawc FILE.clawir` runs on whatever text it is given (docs/clawc.md).
 * Any bytes must give either a verified module or one error message: never a
 * crash, a hang, a leak or a module that fails ir_verify. A module that was
 * read must also
 *   - print and read back to the same text (print(read(print(m))) ==
 *     print(m), the fixed point docs/ir.md promises), and
 *   - survive the -O3 pass pipeline and still verify: the reader accepts
 *     verified IR that the front end would never write, and clawc runs the
 *     passes and targets on it as on its own.
 * A failure of either is a finding (abort). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ir/ir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ignore_error(void *ctx, uint32_t line, uint32_t col, const char *msg)
{
    (void)ctx;
    (void)line;
    (void)col;
    (void)msg;
}

static void
fail(const char *what, const Buf *detail)
{
    fprintf(stderr, "fuzz_clawir: %s\n%.*s\n", what, detail ? (int)detail->len : 0,
            detail && detail->data ? (const char *)detail->data : "");
    fflush(stderr);
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    IrModule *m = ir_read((const char *)data, size, 1, ignore_error, NULL);
    if (!m)
        return 0;
    Buf first = {0}, second = {0}, err = {0};
    ir_print_module(m, &first);
    IrModule *again = ir_read((const char *)first.data, first.len, 1, ignore_error, NULL);
    if (!again)
        fail("the printed module does not read back", &first);
    ir_print_module(again, &second);
    if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0)
        fail("print(read(print(m))) differs from print(m)", &first);
    ir_module_free(again);
    ir_run_passes(m, 3);
    if (!ir_verify(m, &err))
        fail("the module fails ir_verify after the passes", &err);
    buf_free(&first);
    buf_free(&second);
    buf_free(&err);
    ir_module_free(m);
    return 0;
}
