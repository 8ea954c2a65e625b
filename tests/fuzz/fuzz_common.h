/* fuzz_common.h: what the libFuzzer targets and the program generator of
 * tests/fuzz share: the front end run in-process on a byte buffer
 * (fuzz_front.c) and the diag.c reset (fuzz_diag.c). docs/validation.md,
 * "Fuzzing", says how they are built and run. */
#ifndef CLAW_FUZZ_COMMON_H
#define CLAW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "../../ir/ir.h"

/* Makes a fresh diagnostics state (Diag) current and frees the previous one. */
void fuzz_diag_reset(void);

/* One compiled input: the module and the front end's arena, which the
 * module's names may point into (compiler/main.c keeps both alive until the
 * targets ran). */
typedef struct FuzzUnit {
    Arena *arena;
    IrModule *m;
} FuzzUnit;

/* The clawc front end on size bytes of source: lex, parse, sema, lower, the
 * pass pipeline at opt_level, then ir_verify. Returns true and the verified
 * module in *u (release with fuzz_unit_free), or false when the source was
 * refused with a diagnostic. Sources that import C headers are refused before parsing
 * (`import` would run libclang on whatever path the bytes name), so the
 * fuzzers leave cimport.c to tests/lit/cimport. A module that fails
 * ir_verify after a successful front end is a compiler bug: abort(). */
bool fuzz_compile(const uint8_t *data, size_t size, int opt_level, FuzzUnit *u);
void fuzz_unit_free(FuzzUnit *u);

#endif
