/* fuzz_diag.c: compiler/diag.c for in-process fuzzing and program generation.
 *
 * diag.c keeps its state (registered files, the error count) for the life of
 * the process, which is right for clawc (one compilation per process) but not
 * for a fuzzer that compiles millions of inputs in one process: memory would
 * grow with every input and the error count would never come back to 0.
 * This file compiles diag.c itself, unchanged, and adds fuzz_diag_reset(),
 * which frees what the previous input registered. The fuzz executables link
 * this object instead of the copy in libclaw_front.a (every symbol diag.c
 * defines is defined here, so the archive member is never pulled in). */
#include "../../compiler/diag.c"

#include "fuzz_common.h"

void
fuzz_diag_reset(void)
{
    for (uint32_t i = 1; i < nfiles; i++) {
        free(files[i].path);
        free(files[i].text);
        free(files[i].line_start);
    }
    nfiles = 1;
    error_count = 0;
    werror = false;
    suppressed = false;
    last_dropped = false;
}
