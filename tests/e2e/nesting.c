/* e2e test of deeply nested conditionals (nesting.claw) on device 0.
 *
 * llvmpipe (lavapipe) keeps 80 levels of conditional masks (Mesa's
 * LP_MAX_TGSI_NESTING); deeper, its threads run branches they should skip
 * and a launch returns wrong results with CLAW_SUCCESS. The runtime refuses
 * such kernels on that driver at claw_kernel_get (docs/runtime.md "Driver
 * limits"). On fresh random inputs (seed printed; CLAW_SEED replays):
 *
 *   - `shallow` (80 levels with the bounds check) matches C on every device;
 *   - `deep` (84 levels, 40 of them in a called function; wrong on
 *     llvmpipe when the check is off) is refused on llvmpipe with
 *     CLAW_ERROR_MODULE_LOAD and a message naming the kernel, its depth and
 *     the limit, and matches C on any other device (or with
 *     CLAW_VULKAN_LOOP_CHECK=0 off llvmpipe);
 *   - after the refusal the module's other kernel still runs correctly.
 * Exit 0: all held; 1: a failure; 77: no device. */
#include <claw/claw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"
#include "nesting.claw.h"

enum { N = 1000, BLOCK = 64, GRID = (N + BLOCK - 1) / BLOCK };
/* Levels inside the bounds check: shallow's and deep's (with deep40's). */
enum { SHALLOW_LEVELS = 79, DEEP_LEVELS = 83 };

static int failures;
static claw_device *dev;

/* K(i) of nesting.claw: level i tests x != K(i). */
static uint32_t
level_constant(uint32_t i)
{
    return 0x5bd1e995u * (i + 7);
}

/* What a thread with input x computes through `levels` levels, the
 * second deepest testing x's low bit (the deepest is deep40's last level for
 * deep); every other level is taken for the test's inputs. */
static uint32_t
reference(uint32_t x, uint32_t levels)
{
    uint32_t h = 1;
    for (uint32_t i = 0; i < levels; i++) {
        bool taken = i == levels - 2 ? (x & 1u) == 1u : x != level_constant(i);
        if (!taken)
            break;
        h = h * 3u + i + 1;
    }
    return h;
}

static void
run(claw_kernel *k, const char *name, uint32_t levels, claw_buffer *xs, claw_buffer *out,
    const uint32_t *x)
{
    uint32_t n = N;
    uint64_t a[2] = {claw_buffer_address(xs), claw_buffer_address(out)};
    const void *args[3] = {&n, &a[0], &a[1]};
    E2E_CHECK(claw_launch(k, (const uint32_t[3]){GRID, 1, 1}, (const uint32_t[3]){BLOCK, 1, 1},
                          args, 3));
    E2E_CHECK(claw_synchronize(dev));
    static uint32_t got[N];
    E2E_CHECK(claw_read(out, 0, got, sizeof got));
    int wrong = 0;
    for (int i = 0; i < N; i++) {
        uint32_t want = reference(x[i], levels);
        if (got[i] != want && wrong++ < 4)
            fprintf(stderr, "nesting: %s: thread %d (x = %u): got %u, C says %u\n", name, i, x[i],
                    got[i], want);
    }
    printf("nesting: %s (%u levels): %s\n", name, levels + 1, wrong ? "WRONG" : "exact");
    failures += wrong != 0;
}

int
main(void)
{
    uint64_t seed = e2e_seed_env();
    printf("nesting: seed %llu (CLAW_SEED replays)\n", (unsigned long long)seed);
    dev = e2e_open_device();
    if (!dev)
        return E2E_SKIP;
    claw_device_props props;
    E2E_CHECK(claw_device_props_get(dev, &props));
    bool llvmpipe = props.backend == CLAW_BACKEND_VULKAN && strstr(props.name, "llvmpipe") != NULL;
    const char *check = getenv("CLAW_VULKAN_LOOP_CHECK");
    bool refuses = llvmpipe && !(check && strcmp(check, "0") == 0);
    printf("device: %s%s\n", props.name, refuses ? " (llvmpipe: deep kernels refused)" : "");

    static uint32_t x[N];
    uint64_t r = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int i = 0; i < N; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (uint32_t)(r >> 32);
    }
    claw_buffer *xs = e2e_upload(dev, x, sizeof x), *out = e2e_upload(dev, NULL, sizeof x);
    claw_module *mod;
    E2E_CHECK(nesting_module_load(dev, &mod));

    claw_kernel *shallow;
    E2E_CHECK(claw_kernel_get(mod, "shallow", &shallow));
    run(shallow, "shallow", SHALLOW_LEVELS, xs, out, x);

    claw_kernel *deep = NULL;
    claw_status s = claw_kernel_get(mod, "deep", &deep);
    if (refuses) {
        const char *msg = claw_last_error();
        const char *nests = strstr(msg, "nests ");
        unsigned depth = nests ? (unsigned)strtoul(nests + 6, NULL, 10) : 0;
        if (s != CLAW_ERROR_MODULE_LOAD || !strstr(msg, "'deep'") || depth <= 80 ||
            depth > 84 || !strstr(msg, "LP_MAX_TGSI_NESTING")) {
            fprintf(stderr, "nesting: deep: expected CLAW_ERROR_MODULE_LOAD naming the kernel, "
                            "its depth (81 to 84) and the limit; got %s: %s\n",
                    claw_status_string(s), s ? msg : "(success)");
            failures++;
        } else {
            printf("nesting: deep refused: %s\n", msg);
        }
    } else {
        E2E_CHECK(s);
        run(deep, "deep", DEEP_LEVELS, xs, out, x);
    }
    /* the module and its other kernel are still usable */
    run(shallow, "shallow again", SHALLOW_LEVELS, xs, out, x);

    claw_module_unload(mod);
    claw_free(xs);
    claw_free(out);
    printf("nesting: %s\n", failures ? "FAILED" : "all held");
    return failures ? 1 : 0;
}
