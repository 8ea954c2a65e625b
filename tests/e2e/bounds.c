/* e2e test of `clawc -fsanitize=bounds` (bounds.claw, docs/debugging.md) on
 * device 0, on fresh random inputs (seed printed; CLAW_SEED replays).
 *
 * For each kind of access (a global index read and write, pointer
 * arithmetic, a struct field through a pointer, a shared array, a private
 * array, a pointer made from a u64, null, a device function's access, a
 * misaligned and an overlong vector load, null through a pointer var) a
 * launch that goes out of bounds must:
 *   - be reported by the next wait as CLAW_ERROR_OUT_OF_BOUNDS, whose
 *     message starts "FILE:LINE:COL: error: " at the access (the line found
 *     from the marker comment in bounds.claw), names the kernel, and names a
 *     block and thread whose index really is out of bounds;
 *   - have had its bad accesses suppressed (a bad read gives 0, a bad write
 *     changes nothing) and its good ones done, checked against C;
 *   - leave the device usable: the next wait succeeds, and a correct kernel
 *     (saxpy, plus a device function) gives exactly C's results.
 * The report also comes through claw_read, claw_stream_synchronize and
 * claw_event_synchronize. Exit 0: all held; 1: a failure; 77: no device. */
#include <claw/claw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.claw.h"
#include "e2e_util.h"

enum { N = 256, BLOCK = 64, GRID = N / BLOCK };

static int failures;
static uint64_t rng_state;
static char *source;

static uint32_t
rng(uint32_t below)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)((rng_state >> 33) % below);
}

static void
fail(const char *what, const char *msg)
{
    fprintf(stderr, "FAIL: %s: %s\n", what, msg);
    failures++;
}

/* The 1-based line of bounds.claw holding `// MARKER`. */
static int
marker_line(const char *marker)
{
    char tag[64];
    snprintf(tag, sizeof tag, "// %s", marker);
    const char *at = strstr(source, tag);
    if (!at) {
        fprintf(stderr, "bounds.claw has no marker %s\n", marker);
        exit(1);
    }
    int line = 1;
    for (const char *p = source; p < at; p++)
        line += *p == '\n';
    return line;
}

static claw_kernel *
kernel(claw_module *m, const char *name)
{
    claw_kernel *k;
    E2E_CHECK(claw_kernel_get(m, name, &k));
    return k;
}

static void
launch(claw_kernel *k, const void *const *args, size_t n)
{
    E2E_CHECK(
        claw_launch(k, (const uint32_t[3]){GRID, 1, 1}, (const uint32_t[3]){BLOCK, 1, 1}, args, n));
}

/* Checks that status s is the report of an access at MARKER:col of kernel
 * kname; returns the global thread index it names (or -1). */
static long
expect_report(const char *what, claw_status s, const char *marker, int col, const char *kname,
              const char *kind)
{
    const char *msg = claw_last_error();
    if (getenv("BOUNDS_SHOW"))
        printf("%s\n", msg);
    if (s != CLAW_ERROR_OUT_OF_BOUNDS) {
        fprintf(stderr, "FAIL: %s: status %s (%s), expected CLAW_ERROR_OUT_OF_BOUNDS\n", what,
                claw_status_string(s), msg);
        failures++;
        return -1;
    }
    char want[128];
    snprintf(want, sizeof want, "bounds.claw:%d:%d: error: out-of-bounds %s ", marker_line(marker),
             col, kind);
    const char *at = strstr(msg, want);
    char kn[96];
    snprintf(kn, sizeof kn, "kernel '%s'", kname);
    unsigned bx, by, bz, tx, ty, tz;
    const char *b = strstr(msg, "; block (");
    if (!at || strchr(msg, ' ') < at || !strstr(msg, kn) || !b ||
        sscanf(b, "; block (%u, %u, %u), thread (%u, %u, %u)", &bx, &by, &bz, &tx, &ty, &tz) != 6 ||
        by || bz || ty || tz || bx >= GRID || tx >= BLOCK) {
        fprintf(stderr, "FAIL: %s: message '%s' is not '...%s... %s ... block (..), thread (..)'\n",
                what, msg, want, kn);
        failures++;
        return -1;
    }
    return (long)(bx * BLOCK + tx);
}

/* The device stays usable: the error was cleared, and saxpy (with its
 * device function) computes C's results exactly (small integers). */
static void
check_alive(claw_device *dev, claw_module *m, const char *after)
{
    claw_status s = claw_synchronize(dev);
    if (s != CLAW_SUCCESS)
        fail(after, "a second claw_synchronize did not succeed: the report was not cleared");
    float x[N], y[N], want[N];
    float a = (float)(1 + rng(4));
    for (int i = 0; i < N; i++) {
        x[i] = (float)rng(100);
        y[i] = (float)rng(100);
        want[i] = (a * x[i] + y[i]) * 0.5f;
    }
    claw_buffer *bx = e2e_upload(dev, x, sizeof x), *by = e2e_upload(dev, y, sizeof y);
    uint32_t n = N;
    uint64_t px = claw_buffer_address(bx), py = claw_buffer_address(by);
    launch(kernel(m, "saxpy"), (const void *[]){&n, &a, &px, &py}, 4);
    E2E_CHECK(claw_synchronize(dev));
    float got[N];
    E2E_CHECK(claw_read(by, 0, got, sizeof got));
    for (int i = 0; i < N; i++)
        if (got[i] != want[i]) {
            fprintf(stderr, "FAIL: saxpy after %s: y[%d] = %g, expected %g\n", after, i, got[i],
                    want[i]);
            failures++;
            break;
        }
    claw_free(bx);
    claw_free(by);
}

static void
test_read(claw_device *dev, claw_module *m)
{
    float x[N], got[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)(1 + rng(1000));
    uint32_t n = N, off = 1 + rng(N - 1);
    claw_buffer *bx = e2e_upload(dev, x, sizeof x), *by = e2e_upload(dev, NULL, sizeof got);
    uint64_t px = claw_buffer_address(bx), py = claw_buffer_address(by);
    launch(kernel(m, "read_index"), (const void *[]){&n, &off, &px, &py}, 4);
    long g =
        expect_report("read_index", claw_synchronize(dev), "READ_INDEX", 18, "read_index", "load");
    if (g >= 0 && g + off < N)
        fail("read_index", "the reported thread read inside the buffer");
    if (!strstr(claw_last_error(), "parameter 'x'"))
        fail("read_index", "the message does not name parameter 'x'");
    E2E_CHECK(claw_read(by, 0, got, sizeof got));
    for (uint32_t i = 0; i < N; i++) {
        float want = i + off < N ? x[i + off] : 0.0f;
        if (got[i] != want) {
            fprintf(stderr, "FAIL: read_index: y[%u] = %g, expected %g (bad reads give 0)\n", i,
                    got[i], want);
            failures++;
            break;
        }
    }
    claw_free(bx);
    claw_free(by);
    check_alive(dev, m, "read_index");
}

/* write_index, ptr_arith, struct_field: good writes land, bad ones vanish. */
static void
test_writes(claw_device *dev, claw_module *m)
{
    static const struct {
        const char *kernel, *marker;
        int col;
        uint32_t elem; /* floats per element */
        float value;
    } cases[] = {
        {"write_index", "WRITE_INDEX", 10, 1, 1.0f},
        {"ptr_arith", "PTR_ARITH", 10, 1, 2.0f},
        {"struct_field", "STRUCT_FIELD", 21, 2, 3.0f},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float init[2 * N], got[2 * N];
        uint32_t words = N * cases[c].elem;
        for (uint32_t i = 0; i < words; i++)
            init[i] = (float)(100 + rng(1000));
        claw_buffer *by = e2e_upload(dev, init, words * 4);
        uint64_t py = claw_buffer_address(by);
        uint32_t n = N;
        /* Far past the end (a wild address on an unchecked kernel), or just past it. */
        uint32_t off = rng(2) ? (1u << 26) + rng(1000) : 1 + rng(N - 1);
        int32_t ioff = (int32_t)off;
        const void *args[3] = {&n, c == 1 ? (const void *)&ioff : &off, &py};
        launch(kernel(m, cases[c].kernel), args, 3);
        long g = expect_report(cases[c].kernel, claw_synchronize(dev), cases[c].marker,
                               cases[c].col, cases[c].kernel, "store");
        if (g >= 0 && g + off < N)
            fail(cases[c].kernel, "the reported thread wrote inside the buffer");
        E2E_CHECK(claw_read(by, 0, got, words * 4));
        for (uint32_t i = 0; i < N; i++) {
            uint32_t w = i * cases[c].elem + cases[c].elem - 1; /* the value field */
            float want = i >= off ? cases[c].value : init[w];
            if (got[w] != want || (cases[c].elem == 2 && got[w - 1] != init[w - 1])) {
                fprintf(stderr, "FAIL: %s (off %u): element %u is %g, expected %g\n",
                        cases[c].kernel, off, i, got[w], want);
                failures++;
                break;
            }
        }
        claw_free(by);
        check_alive(dev, m, cases[c].kernel);
    }
}

static void
test_arrays(claw_device *dev, claw_module *m)
{
    uint32_t n = N;
    claw_buffer *by = e2e_upload(dev, NULL, N * 4);
    uint64_t py = claw_buffer_address(by);
    /* shared: thread t reads tile[t + k], bad for t + k >= 64 */
    uint32_t k = 1 + rng(63);
    launch(kernel(m, "shared_array"), (const void *[]){&n, &k, &py}, 3);
    long g = expect_report("shared_array", claw_synchronize(dev), "SHARED_ARRAY", 20,
                           "shared_array", "load");
    if (g >= 0 && g % BLOCK + k < BLOCK)
        fail("shared_array", "the reported thread's index was inside the array");
    if (!strstr(claw_last_error(), "shared array of 64 elements"))
        fail("shared_array", "the message does not name the shared array's length");
    float f[N];
    E2E_CHECK(claw_read(by, 0, f, sizeof f));
    for (uint32_t i = 0; i < N; i++) {
        float want = i % BLOCK + k < BLOCK ? (float)(i % BLOCK + k) : 0.0f;
        if (f[i] != want) {
            fprintf(stderr, "FAIL: shared_array: y[%u] = %g, expected %g\n", i, f[i], want);
            failures++;
            break;
        }
    }
    check_alive(dev, m, "shared_array");
    /* private: y[i] = a[(i & 7) + k], a[j] = 3j, bad for (i & 7) + k >= 8 */
    k = 1 + rng(7);
    launch(kernel(m, "private_array"), (const void *[]){&n, &k, &py}, 3);
    g = expect_report("private_array", claw_synchronize(dev), "PRIVATE_ARRAY", 17, "private_array",
                      "load");
    if (g >= 0 && (g & 7) + k < 8)
        fail("private_array", "the reported thread's index was inside the array");
    uint32_t u[N];
    E2E_CHECK(claw_read(by, 0, u, sizeof u));
    for (uint32_t i = 0; i < N; i++) {
        uint32_t j = (i & 7) + k, want = j < 8 ? 3 * j : 0;
        if (u[i] != want) {
            fprintf(stderr, "FAIL: private_array: y[%u] = %u, expected %u\n", i, u[i], want);
            failures++;
            break;
        }
    }
    claw_free(by);
    check_alive(dev, m, "private_array");
}

/* A pointer made from a u64 is checked against every pointer argument. */
static void
test_u64(claw_device *dev, claw_module *m)
{
    uint32_t n = N;
    claw_buffer *by = e2e_upload(dev, NULL, N * 4);
    uint64_t py = claw_buffer_address(by);
    uint64_t addr = py; /* inside y: fine */
    launch(kernel(m, "from_u64"), (const void *[]){&n, &addr, &py}, 3);
    claw_status s = claw_synchronize(dev);
    if (s != CLAW_SUCCESS)
        fail("from_u64 inside an argument's buffer", claw_last_error());
    addr = py + 4 * (1 + rng(N - 1));
    launch(kernel(m, "from_u64"), (const void *[]){&n, &addr, &py}, 3);
    expect_report("from_u64", claw_synchronize(dev), "FROM_U64", 10, "from_u64", "store");
    if (!strstr(claw_last_error(), "inside no pointer argument's buffer"))
        fail("from_u64", "the message does not say the address is in no argument's buffer");
    addr = 0;
    launch(kernel(m, "from_u64"), (const void *[]){&n, &addr, &py}, 3);
    expect_report("null", claw_synchronize(dev), "FROM_U64", 10, "from_u64", "store");
    if (!strstr(claw_last_error(), "the pointer is null"))
        fail("null", "the message does not say the pointer is null");
    /* Null plus an offset: every thread's address lies in the first 4 KiB,
     * so whichever thread is reported, it is reported as null. */
    addr = 4 * (1 + rng(64));
    launch(kernel(m, "from_u64"), (const void *[]){&n, &addr, &py}, 3);
    expect_report("null plus an offset", claw_synchronize(dev), "FROM_U64", 10, "from_u64",
                  "store");
    if (!strstr(claw_last_error(), "the pointer is null (address 0x") ||
        !strstr(claw_last_error(), " bytes past null)"))
        fail("null plus an offset", "the message does not say the pointer is null");
    claw_free(by);
    check_alive(dev, m, "from_u64");
}

/* A vector load: misaligned (x + 1 floats is not 16-byte aligned), and
 * past the end; null through a pointer variable. */
static void
test_vec_null(claw_device *dev, claw_module *m)
{
    uint32_t n = N / 4;
    claw_buffer *bx = e2e_upload(dev, NULL, N * 4), *by = e2e_upload(dev, NULL, N * 4);
    uint64_t px = claw_buffer_address(bx), py = claw_buffer_address(by);
    uint32_t off = 1 + 4 * rng(4);
    launch(kernel(m, "vec_load"), (const void *[]){&n, &off, &px, &py}, 4);
    expect_report("vec_load misaligned", claw_synchronize(dev), "VEC_LOAD", 17, "vec_load",
                  "load of 16 bytes");
    if (!strstr(claw_last_error(), "is not a multiple of 16"))
        fail("vec_load misaligned", "the message does not say the address is misaligned");
    off = 4 * (1 + rng(N / 4 - 1));
    launch(kernel(m, "vec_load"), (const void *[]){&n, &off, &px, &py}, 4);
    long g = expect_report("vec_load past the end", claw_synchronize(dev), "VEC_LOAD", 17,
                           "vec_load", "load of 16 bytes");
    if (g >= 0 && 4 * (uint32_t)g + off + 4 <= N)
        fail("vec_load past the end", "the reported thread read inside the buffer");
    uint32_t k = 0;
    launch(kernel(m, "null_store"), (const void *[]){&n, &k, &py}, 3);
    expect_report("null_store", claw_synchronize(dev), "NULL_STORE", 10, "null_store", "store");
    if (!strstr(claw_last_error(), "the pointer is null"))
        fail("null_store", "the message does not say the pointer is null");
    k = 1;
    launch(kernel(m, "null_store"), (const void *[]){&n, &k, &py}, 3);
    if (claw_synchronize(dev) != CLAW_SUCCESS)
        fail("null_store with y", claw_last_error());
    claw_free(bx);
    claw_free(by);
    check_alive(dev, m, "vec_load and null_store");
}

/* The report reaches the other waits: a read, a stream, an event. */
static void
test_waits(claw_device *dev, claw_module *m)
{
    uint32_t n = N, off = N;
    claw_buffer *by = e2e_upload(dev, NULL, N * 4);
    uint64_t py = claw_buffer_address(by);
    claw_kernel *k = kernel(m, "write_index");
    launch(k, (const void *[]){&n, &off, &py}, 3);
    float f[N];
    expect_report("claw_read", claw_read(by, 0, f, sizeof f), "WRITE_INDEX", 10, "write_index",
                  "store");
    claw_stream *st;
    E2E_CHECK(claw_stream_create(dev, &st));
    E2E_CHECK(claw_launch_on(st, k, (const uint32_t[3]){GRID, 1, 1},
                             (const uint32_t[3]){BLOCK, 1, 1}, (const void *[]){&n, &off, &py}, 3));
    expect_report("claw_stream_synchronize", claw_stream_synchronize(st), "WRITE_INDEX", 10,
                  "write_index", "store");
    claw_event *ev;
    E2E_CHECK(claw_event_create(dev, &ev));
    E2E_CHECK(claw_launch_on(st, k, (const uint32_t[3]){GRID, 1, 1},
                             (const uint32_t[3]){BLOCK, 1, 1}, (const void *[]){&n, &off, &py}, 3));
    E2E_CHECK(claw_event_record(ev, st));
    expect_report("claw_event_synchronize", claw_event_synchronize(ev), "WRITE_INDEX", 10,
                  "write_index", "store");
    claw_event_destroy(ev);
    claw_stream_destroy(st);
    claw_free(by);
    check_alive(dev, m, "the stream launches");
}

/* Counted loops, whose checks are hoisted before the loop: the first bad
 * access is still the one reported, after the loop's good iterations ran. */
static void
test_loops(claw_device *dev, claw_module *m)
{
    uint32_t n = 1 + rng(N), rows = 2 + rng(30), cut = 1 + rng(rows - 1);
    uint32_t len = n * rows - cut, first_bad = (n - 1) * rows + rows - cut;
    float *init = malloc(4 * (size_t)n * rows), *got = malloc(4 * (size_t)n * rows);
    if (!init || !got)
        exit(1);
    for (uint32_t i = 0; i < n * rows; i++)
        init[i] = (float)(1 + rng(100));
    char want[96], what[64];
    /* the whole buffer: no report, every element written */
    claw_buffer *by = e2e_upload(dev, init, 4 * (size_t)n * rows);
    uint64_t py = claw_buffer_address(by);
    launch(kernel(m, "loop_store"), (const void *[]){&n, &rows, &py}, 3);
    claw_status s = claw_synchronize(dev);
    if (s != CLAW_SUCCESS)
        fail("loop_store in bounds", claw_last_error());
    E2E_CHECK(claw_read(by, 0, got, 4 * (size_t)n * rows));
    for (uint32_t i = 0; i < n * rows; i++)
        if (got[i] != (float)(i % rows + 1)) {
            fprintf(stderr, "FAIL: loop_store in bounds: y[%u] = %g, expected %u\n", i, got[i],
                    i % rows + 1);
            failures++;
            break;
        }
    claw_free(by);
    /* cut elements short: the last row's thread fails at j = rows - cut */
    snprintf(what, sizeof what, "loop_store (n %u, m %u, cut %u)", n, rows, cut);
    by = e2e_upload(dev, init, 4 * (size_t)len);
    py = claw_buffer_address(by);
    launch(kernel(m, "loop_store"), (const void *[]){&n, &rows, &py}, 3);
    long g = expect_report(what, claw_synchronize(dev), "LOOP_STORE", 14, "loop_store", "store");
    if (g >= 0 && g != (long)n - 1)
        fail(what, "the reported thread is not the last row's");
    snprintf(want, sizeof want, "byte offset %u from parameter 'y'", 4 * first_bad);
    if (!strstr(claw_last_error(), want))
        fail(what, "the report is not the first bad store's byte offset");
    E2E_CHECK(claw_read(by, 0, got, 4 * (size_t)len));
    for (uint32_t i = 0; i < len; i++)
        if (got[i] != (float)(i % rows + 1)) {
            fprintf(stderr, "FAIL: %s: y[%u] = %g, expected %u (the good stores land)\n", what,
                    i, got[i], i % rows + 1);
            failures++;
            break;
        }
    claw_free(by);
    check_alive(dev, m, "loop_store");

    /* the same shape read: bad reads give 0 */
    snprintf(what, sizeof what, "loop_load (n %u, m %u, cut %u)", n, rows, cut);
    claw_buffer *bx = e2e_upload(dev, init, 4 * (size_t)len);
    by = e2e_upload(dev, NULL, 4 * (size_t)n);
    uint64_t px = claw_buffer_address(bx);
    py = claw_buffer_address(by);
    launch(kernel(m, "loop_load"), (const void *[]){&n, &rows, &px, &py}, 4);
    g = expect_report(what, claw_synchronize(dev), "LOOP_LOAD", 19, "loop_load", "load");
    if (g >= 0 && g != (long)n - 1)
        fail(what, "the reported thread is not the last row's");
    snprintf(want, sizeof want, "byte offset %u from parameter 'x'", 4 * first_bad);
    if (!strstr(claw_last_error(), want))
        fail(what, "the report is not the first bad load's byte offset");
    E2E_CHECK(claw_read(by, 0, got, 4 * (size_t)n));
    for (uint32_t i = 0; i < n; i++) {
        float sum = 0.0f;
        for (uint32_t j = 0; j < rows; j++)
            sum += i * rows + j < len ? init[i * rows + j] : 0.0f;
        if (got[i] != sum) {
            fprintf(stderr, "FAIL: %s: y[%u] = %g, expected %g\n", what, i, got[i], sum);
            failures++;
            break;
        }
    }
    claw_free(bx);
    claw_free(by);
    check_alive(dev, m, "loop_load");

    /* shared: tile[(t & 15) + j] for j in 0..k step 16, bad from j = 64 on */
    uint32_t k = 65 + rng(64), nn = N;
    by = e2e_upload(dev, NULL, 4 * N);
    py = claw_buffer_address(by);
    launch(kernel(m, "loop_shared"), (const void *[]){&nn, &k, &py}, 3);
    g = expect_report("loop_shared", claw_synchronize(dev), "LOOP_SHARED", 13, "loop_shared",
                      "store");
    snprintf(want, sizeof want, "index %ld is outside the shared array of 64 elements",
             g < 0 ? -1L : (long)(g % BLOCK & 15) + 64);
    if (!strstr(claw_last_error(), want))
        fail("loop_shared", "the report is not the thread's first bad index");
    float tile[N];
    E2E_CHECK(claw_read(by, 0, tile, sizeof tile));
    for (uint32_t i = 0; i < N; i++)
        if (tile[i] != (float)(i % BLOCK & ~15u)) {
            fprintf(stderr, "FAIL: loop_shared: y[%u] = %g, expected %u\n", i, tile[i],
                    i % BLOCK & ~15u);
            failures++;
            break;
        }
    claw_free(by);
    check_alive(dev, m, "loop_shared");
    free(init);
    free(got);
}

int
main(void)
{
    uint64_t seed = e2e_seed_env();
    rng_state = seed;
    printf("seed %llu\n", (unsigned long long)seed);
    size_t len;
    FILE *f = fopen(BOUNDS_CLAW_PATH, "rb");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", BOUNDS_CLAW_PATH);
        return 1;
    }
    source = calloc(1, 1 << 16);
    len = fread(source, 1, (1 << 16) - 1, f);
    fclose(f);
    source[len] = '\0';
    claw_device *dev = e2e_open_device();
    if (!dev)
        return E2E_SKIP;
    claw_module *m;
    E2E_CHECK(bounds_module_load(dev, &m));
    check_alive(dev, m, "loading");
    test_read(dev, m);
    test_writes(dev, m);
    test_arrays(dev, m);
    test_u64(dev, m);
    test_vec_null(dev, m);
    test_loops(dev, m);
    test_waits(dev, m);
    claw_module_unload(m);
    claw_shutdown();
    free(source);
    printf("%s\n", failures ? "FAILED" : "all bounds reports held");
    return failures ? 1 : 0;
}
