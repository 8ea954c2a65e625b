/* gen.h: a generator of random valid Claw programs whose behaviour is fully
 * defined (gen.c), for differential testing of the backends (difftest.c),
 * in the spirit of Csmith.
 *
 * Every program has the same outside:
 *
 *     fn f(a: u32, b: i32, c: u64, d: i64) -> u64 { ... }    plus helpers
 *     @workgroup(64)
 *     kernel k(n: u32, args: *const u64, out: *u64) {
 *         let i = global_id.x;
 *         if i < n { out[i] = f(args[4 * i] as u32, ...); }
 *     }
 *
 * so that the device functions can run on the host through the LLVM JIT
 * (the kernel cannot: targets/llvm/jit.c) and the whole module on a device;
 * the inside is random. The rules the generator keeps (docs/language.md,
 * "Operators", and docs/validation.md, "Fuzzing"):
 *   - integer arithmetic of every width, which wraps; shifts by any amount;
 *   - `/` and `%` only by a divisor that cannot be 0 (`x | 1`, a nonzero
 *     literal), `MIN / -1` included since it is defined;
 *   - array indices masked or reduced into bounds;
 *   - loops with bounded trip counts (constant or masked bounds, `while`
 *     loops on a counter nothing else writes), at most GEN_MAX_ITERS
 *     iterations per thread in all, well under lavapipe's loop limit;
 *   - no floats, no `abs` of a value that can be MIN, no recursion. */
#ifndef CLAW_GEN_H
#define CLAW_GEN_H

#include <stddef.h>
#include <stdint.h>

enum { GEN_MAX_ITERS = 4096 };

typedef struct GenProgram {
    char *funcs;  /* the device functions: f and its helpers (malloc'd) */
    char *kernel; /* the kernel wrapper k (malloc'd); compile funcs + kernel */
} GenProgram;

/* A new program for this seed (the same seed gives the same program). */
GenProgram gen_program(uint64_t seed);
void gen_program_free(GenProgram *p);

#endif
