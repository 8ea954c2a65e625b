/* fuzz_diag.c: a fresh diagnostics state for every fuzz input.
 *
 * Diagnostics state (registered files, the error count, -Werror) lives in a
 * Diag object made per compilation (compiler/diag.c). A fuzzer compiles
 * millions of inputs in one process, so each input gets a new Diag and the
 * previous one is freed: memory does not grow with the inputs and the error
 * count starts at 0.
 *
 * When stderr is /dev/null (scripts/fuzz.sh runs the targets with
 * -close_fd_mask=2, and libFuzzer keeps its own output on another
 * descriptor), stderr becomes fully buffered: the diagnostics are still
 * formatted, caret lines and all, but millions of inputs no longer cost a
 * write system call per line (about a fifth of the front end's time). */
#include <stdio.h>
#include <sys/stat.h>

#include "../../compiler/front.h"

#include "fuzz_common.h"

static bool
stderr_is_dev_null(void)
{
    struct stat e, n;
    return fstat(2, &e) == 0 && stat("/dev/null", &n) == 0 && S_ISCHR(e.st_mode) &&
           e.st_rdev == n.st_rdev;
}

void
fuzz_diag_reset(void)
{
    static Diag *current;
    static bool buffered;
    if (!buffered) {
        buffered = true;
        if (stderr_is_dev_null())
            setvbuf(stderr, NULL, _IOFBF, 1 << 16);
    }
    Diag *fresh = diag_new();
    diag_use(fresh);
    if (current)
        diag_free(current);
    current = fresh;
}
