/* threads.c: libclawrt used from 8 threads at once on one device
 * (docs/runtime.md, "Threads"). Built in every build; scripts/ci-tsan.sh
 * also runs it under ThreadSanitizer, which reports any data race in the
 * runtime as a failure.
 *
 * Every thread repeats ROUNDS times, all threads at once: load its own copy
 * of the saxpy module (claw_module_load_file; odd threads instead use one
 * module that main loaded, so that they race to create its kernel in
 * claw_kernel_get), get the kernel, allocate x
 * and y of a random size, write them, launch saxpy with a random grid,
 * synchronize the (shared) device, read y back and compare it with C, then
 * free the buffers and unload the module. Inputs are small integers, so
 * a * x + y is exact in f32 whether or not it is fused, and the comparison
 * is exact. Thread t's data differs from every other thread's (a = t + 2),
 * so a result that landed in the wrong buffer is caught too.
 *
 * Usage: e2e_threads SAXPY.clawfb (the SPIR-V fat binary of samples/saxpy).
 * Seed from CLAW_SEED (printed). Exit 0 pass, 1 fail, 77 no device. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"

enum { NTHREADS = 8, ROUNDS = 6, MAX_N = 20000 };

static const char *fatbin_path;
static claw_device *dev;
static claw_module *shared_mod; /* for the odd threads */
static uint64_t seed;

typedef struct Worker {
    int id;
    int failures;
    char msg[512];
} Worker;

/* xorshift64*, per thread */
static uint64_t
next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

#define W_CHECK(call)                                                                              \
    do {                                                                                           \
        claw_status s_ = (call);                                                                   \
        if (s_ != CLAW_SUCCESS) {                                                                  \
            snprintf(w->msg, sizeof w->msg, "thread %d round %d: %s: %s: %s", w->id, r, #call,     \
                     claw_status_string(s_), claw_last_error());                                   \
            w->failures++;                                                                         \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

static void *
work(void *arg)
{
    Worker *w = arg;
    uint64_t rs = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)w->id + 1;
    float *x = malloc(sizeof(float) * MAX_N), *y = malloc(sizeof(float) * MAX_N),
          *got = malloc(sizeof(float) * MAX_N);
    if (!x || !y || !got) {
        snprintf(w->msg, sizeof w->msg, "thread %d: out of memory", w->id);
        w->failures++;
        free(x);
        free(y);
        free(got);
        return NULL;
    }
    for (int r = 0; r < ROUNDS && !w->failures; r++) {
        claw_module *m = NULL;
        claw_buffer *bx = NULL, *by = NULL;
        claw_kernel *k;
        uint32_t n = 1 + (uint32_t)(next(&rs) % MAX_N);
        float a = (float)(w->id + 2);
        for (uint32_t i = 0; i < n; i++) {
            x[i] = (float)(next(&rs) % 1000);
            y[i] = (float)(next(&rs) % 1000) - 500.0f;
        }
        if (w->id % 2 == 0)
            W_CHECK(claw_module_load_file(dev, fatbin_path, &m));
        W_CHECK(claw_kernel_get(m ? m : shared_mod, "saxpy", &k));
        W_CHECK(claw_alloc(dev, sizeof(float) * n, &bx));
        W_CHECK(claw_alloc(dev, sizeof(float) * n, &by));
        W_CHECK(claw_write(bx, 0, x, sizeof(float) * n));
        W_CHECK(claw_write(by, 0, y, sizeof(float) * n));
        uint64_t xa = claw_buffer_address(bx), ya = claw_buffer_address(by);
        const void *args[] = {&n, &a, &xa, &ya};
        /* the kernel strides over n, so any grid covers it */
        uint32_t grid[3] = {1 + (uint32_t)(next(&rs) % 16), 1, 1}, block[3] = {256, 1, 1};
        W_CHECK(claw_launch(k, grid, block, args, 4));
        W_CHECK(claw_synchronize(dev));
        W_CHECK(claw_read(by, 0, got, sizeof(float) * n));
        for (uint32_t i = 0; i < n; i++) {
            float want = a * x[i] + y[i];
            if (got[i] != want) {
                snprintf(w->msg, sizeof w->msg,
                         "thread %d round %d: y[%u] = %g, expected %g (n = %u)", w->id, r, i,
                         (double)got[i], (double)want, n);
                w->failures++;
                break;
            }
        }
    done:
        claw_free(bx);
        claw_free(by);
        if (m)
            claw_module_unload(m);
    }
    free(x);
    free(y);
    free(got);
    return NULL;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: e2e_threads SAXPY.clawfb\n");
        return 2;
    }
    fatbin_path = argv[1];
    seed = e2e_seed_env();
    printf("e2e_threads: seed %" PRIu64 " (CLAW_SEED), %d threads x %d rounds\n", seed, NTHREADS,
           ROUNDS);
    fflush(stdout);
    if (!(dev = e2e_open_device()))
        return E2E_SKIP;
    E2E_CHECK(claw_module_load_file(dev, fatbin_path, &shared_mod));
    pthread_t th[NTHREADS];
    Worker ws[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        ws[i] = (Worker){.id = i};
        if (pthread_create(&th[i], NULL, work, &ws[i]) != 0) {
            fprintf(stderr, "e2e_threads: pthread_create failed\n");
            return 1;
        }
    }
    int failures = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        if (ws[i].failures) {
            fprintf(stderr, "e2e_threads: FAIL: %s\n", ws[i].msg);
            failures++;
        }
    }
    claw_module_unload(shared_mod);
    claw_shutdown();
    if (failures)
        return 1;
    printf("e2e_threads: %d threads x %d rounds agreed with C\n", NTHREADS, ROUNDS);
    return 0;
}
