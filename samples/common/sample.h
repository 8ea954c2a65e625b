/* sample.h: the few helpers that every OpenClaw sample host program shares.
 *
 * Each samples/<name>/host.c does the same five things around its kernel:
 * open device 0, seed a random generator, fill inputs, run the kernel, and
 * compare with a C reference. The kernel-specific parts stay in host.c;
 * what would be copied ten times lives here, as static inline functions so
 * that a sample that does not need one gets no unused-function warning:
 *
 *   SAMPLE_CHECK(call)        stop with the runtime's message if a claw_* call fails
 *   sample_open_device()      device 0 (CLAW_DEVICE=vulkan:0 picks one), its
 *                             name, backend and architecture printed; 77 if none
 *   sample_seed()             argv[1], else $CLAW_SEED, else the time; printed
 *   SampleRng                 a small deterministic generator (splitmix64), so a
 *                             seed reproduces the same inputs on every libc
 *   sample_compare_*()        element-wise checks that print the first mismatches
 *   sample_timer_start/stop() device time of the launches between them, from
 *                             two events (claw_event_elapsed), printed
 *   sample_finish()           the closing line and the exit status
 *
 * Exit status: 0 matched, 1 mismatch or error, 2 bad command line, 77 no
 * device at all (ctest's SKIP_RETURN_CODE, as in the automake convention). */
#ifndef CLAW_SAMPLE_H
#define CLAW_SAMPLE_H

#include <claw/claw.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { SAMPLE_SKIP = 77 };

/* How many mismatching elements a failed comparison prints. */
enum { SAMPLE_MAX_REPORTED = 10 };

/* Every claw_* call returns a status; on failure claw_last_error() says
 * exactly what was wrong (docs/runtime.md). A sample has nothing sensible
 * to do after a failed call, so it stops. */
#define SAMPLE_CHECK(call)                                                                         \
    do {                                                                                           \
        claw_status sample_status_ = (call);                                                       \
        if (sample_status_ != CLAW_SUCCESS) {                                                      \
            fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, __LINE__, #call,               \
                    claw_status_string(sample_status_), claw_last_error());                        \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static inline const char *
sample_backend_name(claw_backend b)
{
    switch (b) {
    case CLAW_BACKEND_CUDA: return "cuda";
    case CLAW_BACKEND_HIP: return "hip";
    case CLAW_BACKEND_VULKAN: return "vulkan";
    }
    return "unknown";
}

/* Opens device 0 into *dev and its properties into *props and prints them.
 * Returns 0, or SAMPLE_SKIP when the machine has no device (or CLAW_DEVICE
 * names one that is not there); other failures stop the program. */
static inline int
sample_open_device(const char *name, claw_device **dev, claw_device_props *props)
{
    int count = 0;
    claw_status s = claw_device_count(&count);
    if (s == CLAW_ERROR_NO_DEVICE || (s == CLAW_SUCCESS && count == 0)) {
        printf("%s: skipped: no device (%s)\n", name,
               s == CLAW_SUCCESS ? "no CUDA, HIP or Vulkan device found" : claw_last_error());
        return SAMPLE_SKIP;
    }
    SAMPLE_CHECK(s);
    SAMPLE_CHECK(claw_device_get(0, dev));
    SAMPLE_CHECK(claw_device_props_get(*dev, props));
    printf("device: %s (%s, %s, subgroup size %" PRIu32 ")\n", props->name,
           sample_backend_name(props->backend), props->arch, props->subgroup_size);
    return 0;
}

/* The seed of this run: argv[1] if given, else $CLAW_SEED, else the time.
 * It is printed so that a failing run can be repeated exactly. */
static inline uint64_t
sample_seed(int argc, char **argv)
{
    const char *text = argc > 1 ? argv[1] : getenv("CLAW_SEED");
    uint64_t seed;
    if (text && *text) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 0);
        if (errno || *end || *text == '-') {
            fprintf(stderr,
                    "usage: %s [SEED]  (SEED, or $CLAW_SEED, is an unsigned integer; got '%s')\n",
                    argv[0], text);
            exit(2);
        }
        seed = v;
    } else {
        seed = (uint64_t)time(NULL);
    }
    printf("seed: %" PRIu64 " (repeat this run with CLAW_SEED=%" PRIu64 ")\n", seed, seed);
    return seed;
}

/* splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", 2014): tiny, and good enough for test inputs. */
typedef struct SampleRng {
    uint64_t state;
} SampleRng;

static inline uint64_t
sample_rng_u64(SampleRng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline uint32_t
sample_rng_u32(SampleRng *r)
{
    return (uint32_t)(sample_rng_u64(r) >> 32);
}

/* A float uniformly drawn from [lo, hi): 24 random bits, exactly representable. */
static inline float
sample_rng_f32(SampleRng *r, float lo, float hi)
{
    float unit = (float)(sample_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
    return lo + (hi - lo) * unit;
}

/* Exact comparison of n u32 values; returns the number of mismatches and
 * prints the first few. */
static inline size_t
sample_compare_u32(const char *name, const uint32_t *got, const uint32_t *want, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (got[i] == want[i])
            continue;
        if (bad < SAMPLE_MAX_REPORTED)
            printf("%s: mismatch at %zu: got %" PRIu32 ", expected %" PRIu32 "\n", name, i, got[i],
                   want[i]);
        bad++;
    }
    return bad;
}

/* Compares n floats with a per-element bound: element i matches when
 * |got[i] - want[i]| <= tol[i] (tol NULL: every bound is 0, bit-exact
 * except for the sign of zero). want is the reference in double precision.
 * NaN never matches. Returns the number of mismatches; prints the first few. */
static inline size_t
sample_compare_f32(const char *name, const float *got, const double *want, const double *tol,
                   size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);
        double bound = tol ? tol[i] : 0.0;
        if (err <= bound)
            continue;
        if (bad < SAMPLE_MAX_REPORTED)
            printf("%s: mismatch at %zu: got %.9g, expected %.9g (error %.3g, allowed %.3g)\n",
                   name, i, (double)got[i], want[i], err, bound);
        bad++;
    }
    return bad;
}

/* Prints the closing line and returns the exit status for main. */
static inline int
sample_finish(const char *name, size_t mismatches, size_t n, const claw_device_props *props)
{
    if (mismatches == 0) {
        printf("%s: matched reference (%zu elements, device %s, %s %s)\n", name, n, props->name,
               sample_backend_name(props->backend), props->arch);
        return 0;
    }
    printf("%s: FAILED: %zu of %zu elements differ from the reference (device %s, %s %s)\n", name,
           mismatches, n, props->name, sample_backend_name(props->backend), props->arch);
    return 1;
}

/* Device time of the work queued between sample_timer_start and
 * sample_timer_stop on the default stream, measured with two events
 * (claw_event_elapsed: the device's own clock, not the host's). */
typedef struct SampleTimer {
    claw_event *start, *end;
} SampleTimer;

static inline SampleTimer
sample_timer_start(claw_device *dev)
{
    SampleTimer t;
    SAMPLE_CHECK(claw_event_create(dev, &t.start));
    SAMPLE_CHECK(claw_event_create(dev, &t.end));
    SAMPLE_CHECK(claw_event_record(t.start, NULL));
    return t;
}

/* Prints "<what>: <ms> ms of device time" and returns the milliseconds. */
static inline double
sample_timer_stop(SampleTimer *t, const char *what)
{
    double ms = 0.0;
    SAMPLE_CHECK(claw_event_record(t->end, NULL));
    SAMPLE_CHECK(claw_event_elapsed(t->start, t->end, &ms));
    printf("%s: %.3f ms of device time\n", what, ms);
    claw_event_destroy(t->start);
    claw_event_destroy(t->end);
    return ms;
}

/* malloc that stops the program when memory runs out. */
static inline void *
sample_alloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of host memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

#endif
