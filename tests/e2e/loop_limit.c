/* e2e test of long-running loops (loop_limit.claw) on device 0.
 *
 * Mesa's llvmpipe (lavapipe) ends every loop of a thread once its SIMD
 * group has run 65535 loop iterations (LP_MAX_TGSI_LOOP_ITERATIONS); before
 * the loop-limit check (docs/spirv.md "Driver loop limits") such a launch
 * returned wrong counts and claw_synchronize reported success. For each
 * kernel, on fresh random inputs (seed printed; CLAW_SEED replays):
 *
 *   - a short nest (at most 200 x 300: 60,200 iterations with the outer
 *     loop's) must match C and synchronise with CLAW_SUCCESS, on every device;
 *   - a long nest (at least 300 x 1000) must either match C with
 *     CLAW_SUCCESS (a driver without a limit) or fail with
 *     CLAW_ERROR_LAUNCH_FAILED and a message naming the limit and the
 *     kernel; on llvmpipe it must fail. A wrong result with CLAW_SUCCESS
 *     fails the test on every device;
 *   - after the error the same kernel runs a short nest correctly again.
 *
 * On llvmpipe also: the error is reported by the next copy when there is no
 * claw_synchronize, and only once; a cut launch followed by a good one
 * reports the cut and still computes the good one. The loop forms (for,
 * while, break, device function, return from inside the nest or from an
 * endless loop, 128 bytes of parameters) are each one way the check could
 * be lost.
 * Exit 0: all held; 1: a failure; 77: no device. */
#include <claw/claw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"
#include "loop_limit.claw.h"

enum { N = 100, BLOCK = 64, GRID = 2, THREADS = BLOCK * GRID, NDATA = 64, NWIDE = 14 };

static int failures;
static uint64_t rng_state;

static uint32_t
rng(uint32_t below)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)((rng_state >> 33) % below);
}

typedef struct Inputs {
    uint32_t outer[THREADS], inner[THREADS], stop[THREADS], data[NDATA];
} Inputs;

static const char *const kernels[] = {"nest_for",  "nest_while",  "nest_break",
                                      "nest_call", "nest_return", "nest_forever"};
enum { NKERNELS = sizeof kernels / sizeof kernels[0] };

/* What thread i computes (stop: nest_return's early exit, UINT32_MAX for none). */
static uint32_t
reference(const Inputs *in, uint32_t i, uint32_t stop)
{
    uint32_t c = 0, k = 0;
    for (uint32_t a = 0; a < in->outer[i]; a++)
        for (uint32_t b = 0; b < in->inner[i]; b++) {
            if (k++ == stop)
                return c;
            c += in->data[(a + b) & 63];
        }
    return c;
}

/* Fresh inputs: short nests (every thread at most 200 x 300, so a SIMD group
 * takes at most 200 * 301 back edges) or long ones (at least 300 x 1000). */
static void
make_inputs(Inputs *in, bool long_nest)
{
    for (int i = 0; i < NDATA; i++)
        in->data[i] = rng(1000);
    for (int i = 0; i < THREADS; i++) {
        in->outer[i] = long_nest ? 300 + rng(50) : 150 + rng(51);
        in->inner[i] = long_nest ? 1000 + rng(100) : 200 + rng(101);
        /* half of the threads return early, somewhere in the nest */
        in->stop[i] = rng(2) ? rng(in->outer[i] * in->inner[i]) : UINT32_MAX;
    }
}

typedef struct Bufs {
    claw_buffer *outer, *inner, *stop, *data, *out;
} Bufs;

static void
upload(const Bufs *b, const Inputs *in)
{
    E2E_CHECK(claw_write(b->outer, 0, in->outer, sizeof in->outer));
    E2E_CHECK(claw_write(b->inner, 0, in->inner, sizeof in->inner));
    E2E_CHECK(claw_write(b->stop, 0, in->stop, sizeof in->stop));
    E2E_CHECK(claw_write(b->data, 0, in->data, sizeof in->data));
    static const uint32_t zero[THREADS];
    E2E_CHECK(claw_write(b->out, 0, zero, sizeof zero));
}

static void
launch(claw_kernel *k, const char *name, const Bufs *b)
{
    uint32_t n = N;
    uint64_t a[5] = {claw_buffer_address(b->outer), claw_buffer_address(b->inner),
                     claw_buffer_address(b->data), claw_buffer_address(b->out),
                     claw_buffer_address(b->stop)};
    const void *args[6] = {&n, &a[0], &a[1], &a[2], &a[3], &a[4]};
    size_t nargs = strcmp(name, "nest_return") == 0 ? 6 : 5;
    E2E_CHECK(claw_launch(k, (const uint32_t[3]){GRID, 1, 1}, (const uint32_t[3]){BLOCK, 1, 1},
                          args, nargs));
}

/* Mismatches of the first N outputs against C. */
static int
count_wrong(const char *name, const Inputs *in, const uint32_t *out, bool print)
{
    int wrong = 0;
    bool early = strcmp(name, "nest_return") == 0;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t want = reference(in, i, early ? in->stop[i] : UINT32_MAX);
        if (out[i] != want && wrong++ < 3 && print)
            printf("%s [%u]: got %u, expected %u (%u x %u)\n", name, i, out[i], want,
                   in->outer[i], in->inner[i]);
    }
    return wrong;
}

/* Whether s and this thread's message are the loop-limit error naming
 * kernel `name`. */
static bool
is_loop_limit_error(claw_status s, const char *name)
{
    const char *msg = claw_last_error();
    return s == CLAW_ERROR_LAUNCH_FAILED && strstr(msg, "loop limit") && strstr(msg, "65535") &&
           strstr(msg, "LP_MAX_TGSI_LOOP_ITERATIONS") && strstr(msg, name) &&
           strstr(msg, "Split the work");
}

static void
fail(const char *what, const char *name, claw_status s)
{
    printf("FAIL: %s: %s (%s: %s)\n", name, what, claw_status_string(s),
           s ? claw_last_error() : "no error");
    failures++;
}

static claw_device *dev;
static bool llvmpipe;

/* Uploads in, launches, synchronises and reads; returns what
 * claw_synchronize returned and whether it was the loop-limit error. */
static claw_status
run(claw_kernel *k, const char *name, const Bufs *b, const Inputs *in, uint32_t *out,
    bool *limit_error)
{
    upload(b, in);
    launch(k, name, b);
    claw_status s = claw_synchronize(dev);
    *limit_error = is_loop_limit_error(s, name);
    if (s != CLAW_SUCCESS && !*limit_error)
        fail("unexpected error", name, s);
    E2E_CHECK(claw_read(b->out, 0, out, THREADS * sizeof *out));
    return s;
}

static void
run_short(claw_kernel *k, const char *name, const Bufs *b)
{
    Inputs in;
    uint32_t out[THREADS];
    bool lim;
    make_inputs(&in, false);
    claw_status s = run(k, name, b, &in, out, &lim);
    if (s != CLAW_SUCCESS)
        fail("a nest of at most 60,200 iterations was refused", name, s);
    else if (count_wrong(name, &in, out, true))
        fail("a nest of at most 60,200 iterations gave wrong results", name, s);
}

static void
run_long(claw_kernel *k, const char *name, const Bufs *b)
{
    Inputs in;
    uint32_t out[THREADS];
    bool lim;
    make_inputs(&in, true);
    claw_status s = run(k, name, b, &in, out, &lim);
    if (s == CLAW_SUCCESS) {
        if (count_wrong(name, &in, out, true))
            fail("SILENTLY WRONG: a long nest gave wrong results and no error", name, s);
        else if (llvmpipe)
            fail("llvmpipe ran a nest of 300,000+ iterations to the end: is the limiter gone? "
                 "(then update docs/runtime.md and this test)",
                 name, s);
    } else if (lim) {
        printf("%s: long nest refused: %s\n", name, claw_last_error());
    }
}

/* llvmpipe only: the error reaches the next copy when nobody synchronises,
 * once; a cut launch followed by a good one reports the cut and computes
 * the good one. */
static void
run_llvmpipe_order(claw_kernel *k, const Bufs *b, const Bufs *b2)
{
    const char *name = "nest_for";
    Inputs cut, good;
    uint32_t out[THREADS];
    make_inputs(&cut, true);
    upload(b, &cut);
    launch(k, name, b);
    claw_status s = claw_read(b->out, 0, out, sizeof out);
    if (!is_loop_limit_error(s, name))
        fail("claw_read after a cut launch did not report it", name, s);
    if ((s = claw_synchronize(dev)) != CLAW_SUCCESS)
        fail("the error was reported twice", name, s);

    make_inputs(&good, false);
    upload(b, &cut);
    upload(b2, &good);
    launch(k, name, b);
    launch(k, name, b2);
    s = claw_synchronize(dev);
    if (!is_loop_limit_error(s, name))
        fail("a cut launch followed by a good one was not reported", name, s);
    E2E_CHECK(claw_read(b2->out, 0, out, sizeof out));
    if (count_wrong(name, &good, out, true))
        fail("the good launch after a cut one gave wrong results", name, s);
    if ((s = claw_synchronize(dev)) != CLAW_SUCCESS)
        fail("the error was reported twice", name, s);
}

/* nest_wide: 128 bytes of parameters (the indirect path on Vulkan). */
static void
run_wide(claw_kernel *k, claw_buffer *outb, bool long_nest)
{
    const char *name = "nest_wide";
    uint32_t outer = long_nest ? 300 + rng(50) : 150 + rng(51);
    uint32_t inner = long_nest ? 1000 + rng(100) : 200 + rng(101);
    uint64_t addr = claw_buffer_address(outb), p[NWIDE], sum = 0;
    const void *args[3 + NWIDE] = {&outer, &inner, &addr};
    for (int i = 0; i < NWIDE; i++) {
        p[i] = ((uint64_t)rng(1u << 30) << 32) | rng(1u << 30);
        sum += p[i];
        args[3 + i] = &p[i];
    }
    uint32_t want = (uint32_t)sum, out[THREADS];
    for (uint32_t a = 0; a < outer; a++)
        for (uint32_t b = 0; b < inner; b++)
            want += (a ^ b) & 1;
    E2E_CHECK(claw_launch(k, (const uint32_t[3]){GRID, 1, 1}, (const uint32_t[3]){BLOCK, 1, 1},
                          args, 3 + NWIDE));
    claw_status s = claw_synchronize(dev);
    bool lim = is_loop_limit_error(s, name);
    E2E_CHECK(claw_read(outb, 0, out, sizeof out));
    int wrong = 0;
    for (int i = 0; i < THREADS; i++)
        wrong += out[i] != want;
    if (s != CLAW_SUCCESS && !(lim && long_nest))
        fail("unexpected error", name, s);
    else if (s == CLAW_SUCCESS && wrong)
        fail(long_nest ? "SILENTLY WRONG: a long nest gave wrong results and no error"
                       : "a short nest gave wrong results",
             name, s);
    else if (s == CLAW_SUCCESS && long_nest && llvmpipe)
        fail("llvmpipe ran a nest of 300,000+ iterations to the end", name, s);
}

static Bufs
new_bufs(void)
{
    Bufs b = {e2e_upload(dev, NULL, THREADS * 4), e2e_upload(dev, NULL, THREADS * 4),
              e2e_upload(dev, NULL, THREADS * 4), e2e_upload(dev, NULL, NDATA * 4),
              e2e_upload(dev, NULL, THREADS * 4)};
    return b;
}

int
main(void)
{
    uint64_t seed = e2e_seed_env();
    rng_state = seed;
    printf("loop_limit: seed %llu (CLAW_SEED replays)\n", (unsigned long long)seed);
    dev = e2e_open_device();
    if (!dev)
        return E2E_SKIP;
    claw_device_props props;
    E2E_CHECK(claw_device_props_get(dev, &props));
    llvmpipe = props.backend == CLAW_BACKEND_VULKAN && strstr(props.name, "llvmpipe") != NULL;
    printf("device: %s%s\n", props.name, llvmpipe ? " (llvmpipe: has the loop limiter)" : "");
    claw_module *mod;
    E2E_CHECK(loop_limit_module_load(dev, &mod));
    Bufs b = new_bufs(), b2 = new_bufs();
    for (int i = 0; i < NKERNELS; i++) {
        claw_kernel *k;
        E2E_CHECK(claw_kernel_get(mod, kernels[i], &k));
        run_short(k, kernels[i], &b);
        run_long(k, kernels[i], &b);
        run_short(k, kernels[i], &b); /* the kernel and the device still work */
    }
    claw_kernel *wide;
    E2E_CHECK(nest_wide_get(mod, &wide));
    run_wide(wide, b.out, false);
    run_wide(wide, b.out, true);
    run_wide(wide, b.out, false);
    if (llvmpipe) {
        claw_kernel *k;
        E2E_CHECK(nest_for_get(mod, &k));
        run_llvmpipe_order(k, &b, &b2);
    }
    claw_module_unload(mod);
    printf("loop_limit: %s\n", failures ? "FAILED" : "all held");
    return failures ? 1 : 0;
}
