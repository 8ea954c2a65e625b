/* e2e_util.h: the pieces that the end-to-end tests (e2e_samples.c,
 * math_accuracy.c, math_f64.c, cimport_layout.c, semantics.c, builtins.c)
 * share: the skip exit code, a runtime-call check, the seed from CLAW_SEED, opening
 * device 0, uploading a buffer, and the size of an ulp.
 *
 * Everything is static inline so that each test stays one self-contained
 * executable (tests/e2e/CMakeLists.txt) with no test library to link. What
 * a test prints stays in the test, apart from E2E_CHECK's failure line and
 * e2e_open_device's SKIP line, which are the same in every test using them. */
#ifndef CLAW_E2E_UTIL_H
#define CLAW_E2E_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "claw/claw.h"

/* The exit code ctest's SKIP_RETURN_CODE reports as skipped. */
enum { E2E_SKIP = 77 };

/* Ends the test (exit 1) when a runtime call fails, naming the call, where
 * it is, and the runtime's own message. */
#define E2E_CHECK(call)                                                                            \
    do {                                                                                           \
        claw_status s_ = (call);                                                                   \
        if (s_ != CLAW_SUCCESS) {                                                                  \
            fprintf(stderr, "%s:%d: %s: %s: %s\n", __FILE__, __LINE__, #call,                      \
                    claw_status_string(s_), claw_last_error());                                    \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* The seed of a randomised run: CLAW_SEED (decimal) when set, so a failure
 * printed with its seed can be replayed, else the clock. The caller prints
 * it. */
static inline uint64_t
e2e_seed_env(void)
{
    const char *env = getenv("CLAW_SEED");
    return env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
}

/* The runtime's device 0, which CLAW_DEVICE picks (ctest sets vulkan:0 or
 * cuda:0). When there is no such device, prints the SKIP line and returns
 * NULL: the caller exits E2E_SKIP. Any other failure ends the test. */
static inline claw_device *
e2e_open_device(void)
{
    int count;
    claw_status s = claw_device_count(&count);
    if (s == CLAW_ERROR_NO_DEVICE || (s == CLAW_SUCCESS && count == 0)) {
        printf("SKIP: no such device: %s\n", s ? claw_last_error() : "no devices at all");
        return NULL;
    }
    E2E_CHECK(s);
    claw_device *dev;
    E2E_CHECK(claw_device_get(0, &dev));
    return dev;
}

/* A new buffer of `bytes` on dev holding data (left as allocated when data
 * is NULL, for outputs). */
static inline claw_buffer *
e2e_upload(claw_device *dev, const void *data, size_t bytes)
{
    claw_buffer *b;
    E2E_CHECK(claw_alloc(dev, bytes, &b));
    if (data)
        E2E_CHECK(claw_write(b, 0, data, bytes));
    return b;
}

/* One ulp at the magnitude of r in a binary floating-point format with
 * `digits` significand bits and smallest normal exponent emin (f32: 24,
 * -126; f64: 53, -1022): below 2^emin, and at zero, the subnormal spacing
 * 2^(emin - digits + 1). A power of two, so exact in either format. */
static inline long double
e2e_ulp(long double r, int emin, int digits)
{
    int e = r == 0 ? emin : ilogbl(r);
    if (e < emin)
        e = emin;
    return ldexpl(1.0L, e - (digits - 1));
}

#endif
