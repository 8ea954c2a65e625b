/* fuzz_diag.c: a fresh diagnostics state for every fuzz input.
 *
 * Diagnostics state (registered files, the error count, -Werror) lives in a
 * Diag object made per compilation (compiler/diag.c). A fuzzer compiles
 * millions of inputs in one process, so each input gets a new Diag and the
 * previous one is freed: memory does not grow with the inputs and the error
 * count starts at 0. */
#include "../../compiler/front.h"

#include "fuzz_common.h"

void
fuzz_diag_reset(void)
{
    static Diag *current;
    Diag *fresh = diag_new();
    diag_use(fresh);
    if (current)
        diag_free(current);
    current = fresh;
}
