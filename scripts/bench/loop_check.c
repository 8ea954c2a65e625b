/* loop_check.c: what the loop-limit check (docs/spirv.md "Driver loop
 * limits") costs on a device that needs it (lavapipe).
 *
 * The check runs only where the runtime enables it (llvmpipe), and
 * CLAW_VULKAN_LOOP_CHECK=0 disables it there, so the same SPIR-V runs both
 * ways. For each kernel (loop_check.claw's for_loop, while_loop and nested,
 * and samples/matmul) this program takes ROUNDS rounds; each round opens
 * the device with the check on and with it off (claw_shutdown between, so
 * the variable is read again), launches once untimed and checks the result
 * against C, then times `iters` launches. Alternating the two settings
 * within a round spreads a busy machine's noise over both; the table gives
 * the fastest round of each, and the ratio. Times are the process's CPU
 * time (all of llvmpipe's threads) per launch, not wall-clock time, so a
 * machine shared with other jobs inflates them less.
 *
 *   claw_loop_check [--rounds N] [--iters N]
 *
 * Exit status: 0 results matched, 1 a mismatch or runtime error, 2 bad
 * command line, 77 no Vulkan device or one without the check (it would
 * measure nothing). */
#include "loop_check.claw.h"
#include "matmul.claw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call)                                                                                \
    do {                                                                                           \
        claw_status s_ = (call);                                                                   \
        if (s_ != CLAW_SUCCESS) {                                                                  \
            fprintf(stderr, "%s:%d: %s: %s: %s\n", __FILE__, __LINE__, #call,                      \
                    claw_status_string(s_), claw_last_error());                                    \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

enum { N = 65536, ITERS = 1000, BLOCK = 256, MM = 192 };

static const char *const names[] = {"for_loop", "while_loop", "nested", "matmul"};
enum { NKERNELS = 4 };

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint32_t
lcg(uint32_t x, uint32_t steps)
{
    for (uint32_t t = 0; t < steps; t++)
        x = x * 1664525u + 1013904223u;
    return x;
}

/* Buffers and inputs of one kernel. */
typedef struct Run {
    claw_kernel *k;
    claw_buffer *out, *a, *b;
    float *fa, *fb, *fc;
} Run;

static void
launch(const Run *r, int which)
{
    const uint32_t grid[3] = {N / BLOCK, 1, 1}, block[3] = {BLOCK, 1, 1};
    const uint32_t mgrid[3] = {MM / 64, MM / 64, 1}, mblock[3] = {16, 16, 1};
    /* for_loop, while_loop and nested have the same parameters */
    if (which < 3)
        CHECK(for_loop_launch(r->k, grid, block, N, ITERS, r->out));
    else
        CHECK(matmul_launch(r->k, mgrid, mblock, MM, MM, MM, r->a, r->b, r->out));
}

/* The first launch's result against C (matmul: small integers, exact). */
static void
check_result(const Run *r, int which)
{
    int bad = 0;
    if (which < 3) {
        uint32_t *o = malloc(N * 4);
        if (!o)
            exit(1);
        CHECK(claw_read(r->out, 0, o, N * 4));
        for (uint32_t i = 0; i < N; i += 97)
            bad += o[i] != lcg(i, which == 2 ? ITERS / 4 * 4 : ITERS);
        free(o);
    } else {
        CHECK(claw_read(r->out, 0, r->fc, MM * MM * 4));
        for (int i = 0; i < MM; i += 7)
            for (int j = 0; j < MM; j += 5) {
                float want = 0;
                for (int t = 0; t < MM; t++)
                    want += r->fa[i * MM + t] * r->fb[t * MM + j];
                bad += r->fc[i * MM + j] != want;
            }
    }
    if (bad) {
        fprintf(stderr, "%s: %d wrong results\n", names[which], bad);
        exit(1);
    }
}

/* Seconds per launch of kernel `which`, on a freshly opened device. */
static double
time_kernel(int which, int iters)
{
    claw_device *dev;
    claw_module *lmod, *mmod;
    CHECK(claw_device_get(0, &dev));
    CHECK(loop_check_module_load(dev, &lmod));
    CHECK(matmul_module_load(dev, &mmod));
    Run r = {0};
    if (which < 3) {
        CHECK(claw_kernel_get(lmod, names[which], &r.k));
        CHECK(claw_alloc(dev, N * 4, &r.out));
    } else {
        CHECK(matmul_get(mmod, &r.k));
        r.fa = malloc(MM * MM * 4);
        r.fb = malloc(MM * MM * 4);
        r.fc = malloc(MM * MM * 4);
        if (!r.fa || !r.fb || !r.fc)
            exit(1);
        for (int i = 0; i < MM * MM; i++) {
            r.fa[i] = (float)(i % 7) - 3;
            r.fb[i] = (float)(i % 5) - 2;
        }
        CHECK(claw_alloc(dev, MM * MM * 4, &r.a));
        CHECK(claw_alloc(dev, MM * MM * 4, &r.b));
        CHECK(claw_alloc(dev, MM * MM * 4, &r.out));
        CHECK(claw_write(r.a, 0, r.fa, MM * MM * 4));
        CHECK(claw_write(r.b, 0, r.fb, MM * MM * 4));
    }
    launch(&r, which);
    CHECK(claw_synchronize(dev));
    check_result(&r, which);
    double t0 = now();
    for (int i = 0; i < iters; i++)
        launch(&r, which);
    CHECK(claw_synchronize(dev));
    double t = (now() - t0) / iters;
    free(r.fa);
    free(r.fb);
    free(r.fc);
    claw_shutdown();
    return t;
}

int
main(int argc, char **argv)
{
    int rounds = 5, iters = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
            iters = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: claw_loop_check [--rounds N] [--iters N]\n");
            return 2;
        }
    }
    if (rounds < 1 || iters < 1) {
        fprintf(stderr, "claw_loop_check: --rounds and --iters must be at least 1\n");
        return 2;
    }
    claw_device *dev;
    claw_device_props p;
    if (claw_device_get(0, &dev) != CLAW_SUCCESS || claw_device_props_get(dev, &p) != CLAW_SUCCESS ||
        p.backend != CLAW_BACKEND_VULKAN || !strstr(p.name, "llvmpipe")) {
        printf("SKIP: the loop-limit check runs only on llvmpipe (lavapipe); device 0 is %s\n",
               dev ? p.name : "missing");
        return 77;
    }
    printf("device: %s; %d rounds of %d timed launches, fastest round\n\n", p.name, rounds, iters);
    printf("| kernel | work | check off (CPU ms) | check on (CPU ms) | on / off |\n");
    printf("| --- | --- | --- | --- | --- |\n");
    for (int w = 0; w < NKERNELS; w++) {
        double best[2] = {1e30, 1e30};
        for (int r = 0; r < rounds; r++)
            for (int on = 0; on < 2; on++) {
                setenv("CLAW_VULKAN_LOOP_CHECK", on ? "1" : "0", 1);
                double t = time_kernel(w, iters);
                if (t < best[on])
                    best[on] = t;
            }
        char work[64];
        if (w < 3)
            snprintf(work, sizeof work, "%d threads x %d steps", N, ITERS);
        else
            snprintf(work, sizeof work, "%d^3", MM);
        printf("| %s | %s | %.2f | %.2f | %.2f |\n", names[w], work, best[0] * 1e3, best[1] * 1e3,
               best[1] / best[0]);
    }
    return 0;
}
