/* fuzz_frontend.c: libFuzzer target for the clawc front end: bytes -> lexer,
 * parser, sema, lowering, the -O3 pass pipeline, and the IR verifier
 * (fuzz_compile in fuzz_front.c). A crash, sanitizer report, abort (ICE) or
 * a module that does not verify is a finding; a diagnostic is not.
 * scripts/fuzz.sh runs it with -close_fd_mask=2 so that the diagnostics of
 * millions of inputs are not printed (libFuzzer keeps its own output). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzUnit u;
    if (fuzz_compile(data, size, 3, &u))
        fuzz_unit_free(&u);
    return 0;
}
