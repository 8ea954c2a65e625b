/* streams_threads.c: 8 threads, each with its own stream, buffers, event and
 * random inputs, run saxpy round after round and check every result
 * (docs/runtime.md "Threads"). A plain ctest that is also meant for the
 * ThreadSanitizer build: the checks are on values, races are TSan's to find.
 *   e2e_streams_threads         the embedded samples/saxpy fat binary on
 *                               device 0 (lavapipe under ctest); 77 without one
 *   e2e_streams_threads --fake  the fake CUDA and HIP drivers (tests/e2e/fake/),
 *                               four threads on each */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/claw.h"
#include "e2e_util.h"
#include "fake_fatbin.h"
#include "saxpy.claw.h"

enum { THREADS = 8, ROUNDS = 12, N = 3000 };

typedef struct Job {
    claw_device *dev;
    claw_kernel *k;
    unsigned seed;
    int bad;    /* mismatching elements */
    int failed; /* runtime calls that failed */
    char msg[300];
} Job;

#define TRY(call)                                                                                  \
    do {                                                                                           \
        claw_status s_ = (call);                                                                   \
        if (s_ != CLAW_SUCCESS) {                                                                  \
            job->failed++;                                                                         \
            snprintf(job->msg, sizeof job->msg, "%s: %s", #call, claw_last_error());               \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

static void *
worker(void *arg)
{
    Job *job = arg;
    claw_stream *s = NULL;
    claw_event *e = NULL;
    claw_buffer *bx = NULL, *by = NULL;
    static float x[THREADS][N], y[THREADS][N], r[THREADS][N];
    int me = (int)(job->seed % THREADS);
    unsigned st = job->seed;
    TRY(claw_stream_create(job->dev, &s));
    TRY(claw_event_create(job->dev, &e));
    TRY(claw_alloc(job->dev, N * 4, &bx));
    TRY(claw_alloc(job->dev, N * 4, &by));
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < N; i++) {
            st = st * 1103515245u + 12345u;
            x[me][i] = (float)((st >> 8) % 1000);
            y[me][i] = (float)((st >> 20) % 100);
        }
        float a = (float)(round + 1);
        TRY(claw_write_on(s, bx, 0, x[me], N * 4));
        TRY(claw_write_on(s, by, 0, y[me], N * 4));
        uint32_t grid[3] = {(N + 255) / 256, 1, 1}, block[3] = {256, 1, 1};
        TRY(saxpy_launch_on(s, job->k, grid, block, N, a, bx, by));
        TRY(claw_event_record(e, s));
        TRY(claw_read_on(s, by, 0, r[me], N * 4));
        TRY(claw_event_synchronize(e));
        TRY(claw_stream_synchronize(s));
        for (int i = 0; i < N; i++)
            job->bad += r[me][i] != a * x[me][i] + y[me][i];
    }
done:
    claw_free(bx);
    claw_free(by);
    claw_event_destroy(e);
    claw_stream_destroy(s);
    return NULL;
}

int
main(int argc, char **argv)
{
    bool fake = argc > 1 && strcmp(argv[1], "--fake") == 0;
    claw_device *devs[2] = {NULL, NULL};
    claw_module *mods[2] = {NULL, NULL};
    claw_kernel *kernels[2] = {NULL, NULL};
    int ndev = fake ? 2 : 1;
    if (fake) {
        unsetenv("CLAW_DEVICE");
        size_t size;
        void *fb = fake_fatbin(&size);
        for (int d = 0; d < 2; d++) {
            E2E_CHECK(claw_device_get(d, &devs[d]));
            E2E_CHECK(claw_module_load(devs[d], fb, size, &mods[d]));
            E2E_CHECK(claw_kernel_get(mods[d], "saxpy", &kernels[d]));
        }
        free(fb);
    } else {
        if (!(devs[0] = e2e_open_device()))
            return E2E_SKIP;
        E2E_CHECK(saxpy_module_load(devs[0], &mods[0]));
        E2E_CHECK(saxpy_get(mods[0], &kernels[0]));
    }
    Job jobs[THREADS];
    pthread_t th[THREADS];
    uint64_t seed = e2e_seed_env();
    printf("seed: %llu (CLAW_SEED replays)\n", (unsigned long long)seed);
    for (int t = 0; t < THREADS; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].dev = devs[t % ndev];
        jobs[t].k = kernels[t % ndev];
        jobs[t].seed = (unsigned)(seed * THREADS) + (unsigned)t; /* seed % THREADS == t */
        if (pthread_create(&th[t], NULL, worker, &jobs[t]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    int bad = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        if (jobs[t].failed || jobs[t].bad) {
            printf("thread %d: %d wrong elements, %s\n", t, jobs[t].bad,
                   jobs[t].failed ? jobs[t].msg : "no failed call");
            bad++;
        }
    }
    for (int d = 0; d < ndev; d++)
        claw_module_unload(mods[d]);
    claw_shutdown();
    if (bad) {
        printf("%d of %d threads failed\n", bad, THREADS);
        return 1;
    }
    printf("%d threads x %d rounds of saxpy, each on its own stream: all matched\n", THREADS,
           ROUNDS);
    return 0;
}
