/* e2e_samples.c: runs one sample kernel (samples/<name>/<name>.claw,
 * compiled to a fat binary by clawc) through libclawrt and compares the
 * result with a C reference on fresh random inputs.
 *
 *   e2e_samples <sample> <fatbin>
 *
 * The device is the runtime's device 0, so CLAW_DEVICE (set by ctest:
 * vulkan:0 or cuda:0) picks it. When the requested device does not exist the
 * program says so and exits 77, which ctest reports as skipped. The seed
 * comes from the clock (or CLAW_SEED) and is printed, so a failure can be
 * replayed. Launch shapes and tolerances follow each sample's header
 * comment; wide_args (tests/e2e/wide_args.claw) checks arguments beyond the
 * 128 bytes of Vulkan push constants. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/claw.h"
#include "e2e_util.h"

static claw_device *dev;
static claw_module *mod;
static unsigned seed;

static float
frand(float lo, float hi)
{
    return lo + (hi - lo) * ((float)rand_r(&seed) / (float)RAND_MAX);
}

static uint32_t
urand(uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)rand_r(&seed) % (hi - lo + 1);
}

static void
download(claw_buffer *b, void *dst, size_t bytes)
{
    E2E_CHECK(claw_synchronize(dev));
    E2E_CHECK(claw_read(b, 0, dst, bytes));
}

static void
launch(const char *name, uint32_t gx, uint32_t gy, uint32_t bx, uint32_t by,
       const void *const *args, size_t nargs)
{
    claw_kernel *k;
    E2E_CHECK(claw_kernel_get(mod, name, &k));
    uint32_t grid[3] = {gx, gy, 1}, block[3] = {bx, by, 1};
    E2E_CHECK(claw_launch(k, grid, block, args, nargs));
}

/* ceil(n / 256) blocks of 256 threads, at most cap (the kernels loop) */
static uint32_t
blocks_of_256(uint32_t n, uint32_t cap)
{
    uint32_t g = (n + 255) / 256;
    return g < cap ? g : cap;
}

/* Reports the first few mismatches; returns their count. */
static int
compare_f32(const char *what, const float *got, const double *want, size_t n, double rel,
            double abs_tol)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);
        if (!(err <= abs_tol + rel * fabs(want[i]))) {
            if (bad < 5)
                fprintf(stderr, "%s[%zu] = %.9g, reference %.9g\n", what, i, got[i], want[i]);
            bad++;
        }
    }
    return bad;
}

/* The float input x and float result y (n elements each) of an
 * elementwise sample, on the host and on the device, with the reference
 * for y. */
typedef struct F32Io {
    size_t n;
    float *x, *y;
    double *ref;
    claw_buffer *bx, *by;
    uint64_t ax, ay; /* the buffers' addresses: the kernel arguments */
} F32Io;

static void
io_alloc(F32Io *io, size_t n)
{
    io->n = n;
    io->x = malloc(n * sizeof *io->x);
    io->y = malloc(n * sizeof *io->y);
    io->ref = malloc(n * sizeof *io->ref);
}

/* Uploads x, and y when the kernel reads it too (y_is_input); else y's
 * buffer is left as allocated. */
static void
io_upload(F32Io *io, bool y_is_input)
{
    io->bx = e2e_upload(dev, io->x, io->n * 4);
    io->by = e2e_upload(dev, y_is_input ? io->y : NULL, io->n * 4);
    io->ax = claw_buffer_address(io->bx);
    io->ay = claw_buffer_address(io->by);
}

/* Downloads y and compares it with ref (compare_f32, naming it `what`),
 * then frees everything; returns the mismatch count. */
static int
io_check(F32Io *io, const char *what, double rel, double abs_tol)
{
    download(io->by, io->y, io->n * 4);
    int bad = compare_f32(what, io->y, io->ref, io->n, rel, abs_tol);
    claw_free(io->bx);
    claw_free(io->by);
    free(io->x);
    free(io->y);
    free(io->ref);
    return bad;
}

/* saxpy on the elements from `off` on: off 0 takes the kernel's 16-byte
 * vector path (buffers are aligned) and its scalar tail, off 1..3 makes x
 * and y misaligned for vec4 and takes the scalar path throughout. */
static int
saxpy_case(uint32_t off)
{
    uint32_t n = urand(off + 1, 300000);
    float a = frand(-4, 4);
    F32Io io;
    io_alloc(&io, n);
    for (uint32_t i = 0; i < n; i++) {
        io.x[i] = frand(-1, 1);
        io.y[i] = frand(-1, 1);
        io.ref[i] = i < off ? io.y[i] : (double)a * io.x[i] + io.y[i];
    }
    io_upload(&io, true);
    uint32_t m = n - off, g = blocks_of_256(m / 4 + 1, 1024);
    uint64_t ax = io.ax + 4u * off, ay = io.ay + 4u * off;
    launch("saxpy", g, 1, 256, 1, (const void *[]){&m, &a, &ax, &ay}, 4);
    printf("saxpy: n=%u offset=%u a=%g grid=%u\n", m, off, a, g);
    /* One rounding of a*x (or none, with fma) plus one of the sum. */
    return io_check(&io, "y", 1e-6, 1e-6);
}

static int
run_saxpy(void)
{
    return saxpy_case(0) + saxpy_case(urand(1, 3));
}

/* reduce_sum on the elements from `off` on: off 0 takes the kernel's
 * 16-byte path and its scalar tail (n is random, so n % 4 is too), off 1..3
 * misaligns x for vec4 and takes the scalar path. */
static int
reduction_case(uint32_t off)
{
    uint32_t n = urand(off + 1, 3000000), m = n - off;
    float *x = malloc(n * sizeof *x);
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        x[i] = frand(0, 1);
        if (i >= off)
            sum += x[i];
    }
    uint32_t g = blocks_of_256(m, 1024);
    claw_buffer *bx = e2e_upload(dev, x, n * 4ull), *bp = e2e_upload(dev, NULL, g * 4ull);
    uint64_t ax = claw_buffer_address(bx) + 4u * off, ap = claw_buffer_address(bp);
    launch("reduce_sum", g, 1, 256, 1, (const void *[]){&m, &ax, &ap}, 3);
    float *partials = malloc(g * sizeof *partials);
    download(bp, partials, g * 4ull);
    double got = 0;
    for (uint32_t i = 0; i < g; i++)
        got += partials[i];
    printf("reduction: n=%u offset=%u grid=%u sum=%.9g reference=%.9g\n", m, off, g, got, sum);
    float gotf = (float)got;
    int bad = compare_f32("sum", &gotf, &sum, 1, 1e-5, 1e-3);
    claw_free(bx);
    claw_free(bp);
    free(x);
    free(partials);
    return bad;
}

static int
run_reduction(void)
{
    return reduction_case(0) + reduction_case(urand(1, 3));
}

static int
run_histogram(void)
{
    uint32_t n = urand(1, 2000000);
    uint32_t *x = malloc(n * sizeof *x), ref[256] = {0}, got[256] = {0};
    for (uint32_t i = 0; i < n; i++) {
        x[i] = (uint32_t)rand_r(&seed) ^ ((uint32_t)rand_r(&seed) << 16);
        ref[x[i] % 256]++;
    }
    claw_buffer *bx = e2e_upload(dev, x, n * 4ull), *bh = e2e_upload(dev, got, sizeof got);
    uint64_t ax = claw_buffer_address(bx), ah = claw_buffer_address(bh);
    uint32_t g = blocks_of_256(n, 256);
    launch("histogram", g, 1, 256, 1, (const void *[]){&n, &ax, &ah}, 3);
    download(bh, got, sizeof got);
    printf("histogram: n=%u grid=%u\n", n, g);
    int bad = 0;
    for (int b = 0; b < 256; b++)
        if (got[b] != ref[b] && bad++ < 5)
            fprintf(stderr, "hist[%d] = %u, reference %u\n", b, got[b], ref[b]);
    claw_free(bx);
    claw_free(bh);
    free(x);
    return bad;
}

static int
run_matmul(void)
{
    uint32_t m = urand(1, 200), n = urand(1, 200), k = urand(1, 300);
    float *a = malloc((size_t)m * k * 4), *b = malloc((size_t)k * n * 4),
          *c = malloc((size_t)m * n * 4);
    double *ref = malloc((size_t)m * n * sizeof *ref);
    for (size_t i = 0; i < (size_t)m * k; i++)
        a[i] = frand(-1, 1);
    for (size_t i = 0; i < (size_t)k * n; i++)
        b[i] = frand(-1, 1);
    for (uint32_t r = 0; r < m; r++)
        for (uint32_t j = 0; j < n; j++) {
            double s = 0;
            for (uint32_t t = 0; t < k; t++)
                s += (double)a[r * k + t] * b[t * n + j];
            ref[r * n + j] = s;
        }
    claw_buffer *ba = e2e_upload(dev, a, (size_t)m * k * 4),
                *bb = e2e_upload(dev, b, (size_t)k * n * 4),
                *bc = e2e_upload(dev, NULL, (size_t)m * n * 4);
    uint64_t aa = claw_buffer_address(ba), ab = claw_buffer_address(bb),
             ac = claw_buffer_address(bc);
    launch("matmul", (n + 63) / 64, (m + 63) / 64, 16, 16,
           (const void *[]){&m, &n, &k, &aa, &ab, &ac}, 6);
    download(bc, c, (size_t)m * n * 4);
    printf("matmul: m=%u n=%u k=%u\n", m, n, k);
    /* Each term is below 1 in magnitude: bound the error by k roundings. */
    int bad = compare_f32("c", c, ref, (size_t)m * n, 1e-5, 1e-6 * k);
    claw_free(ba);
    claw_free(bb);
    claw_free(bc);
    free(a);
    free(b);
    free(c);
    free(ref);
    return bad;
}

/* Row lengths for softmax and layernorm: with off 0, half the time a
 * multiple of 4 (every row starts 16-byte aligned), else any. */
static uint32_t
random_cols(uint32_t off)
{
    uint32_t cols = urand(1, 3000);
    return off == 0 && urand(0, 1) ? (cols + 3) & ~3u : cols;
}

/* softmax with x and y from element `off` of their buffers: off 0 takes
 * the 16-byte path on the rows that start aligned (all of them when cols is
 * a multiple of 4, every second or fourth otherwise) with a scalar tail of
 * cols % 4, off 1..3 misaligns every row and takes the scalar path. */
static int
softmax_case(uint32_t off, uint32_t cols)
{
    uint32_t rows = urand(1, 64);
    F32Io io;
    io_alloc(&io, (size_t)rows * cols + off);
    for (size_t i = 0; i < io.n; i++)
        io.x[i] = io.y[i] = frand(-10, 10);
    for (size_t i = 0; i < off; i++)
        io.ref[i] = io.y[i];
    for (uint32_t r = 0; r < rows; r++) {
        const float *x = io.x + off + (size_t)r * cols;
        double *ref = io.ref + off + (size_t)r * cols;
        double mx = x[0], s = 0;
        for (uint32_t j = 0; j < cols; j++)
            mx = fmax(mx, x[j]);
        for (uint32_t j = 0; j < cols; j++)
            s += exp(x[j] - mx);
        for (uint32_t j = 0; j < cols; j++)
            ref[j] = exp(x[j] - mx) / s;
    }
    io_upload(&io, true);
    uint64_t ax = io.ax + 4u * off, ay = io.ay + 4u * off;
    launch("softmax", rows, 1, 256, 1, (const void *[]){&rows, &cols, &ax, &ay}, 4);
    printf("softmax: rows=%u cols=%u offset=%u\n", rows, cols, off);
    /* exp within 3 + 2|x| ulp (Vulkan), |x| <= 20 here: about 5e-6. */
    return io_check(&io, "y", 2e-5, 1e-9);
}

static int
run_softmax(void)
{
    /* and a long aligned row: more than 16 vec4s per thread, so the
     * exp-sum pass runs its @unroll(4) body and then its remainder */
    return softmax_case(0, random_cols(0)) + softmax_case(urand(1, 3), random_cols(1)) +
           softmax_case(0, 4 * urand(4096, 6000));
}

/* layernorm with x, gamma, beta and y from element `off` of their buffers,
 * as softmax_case: off 0 takes the 16-byte path on the aligned rows, off
 * 1..3 the scalar path. */
static int
layernorm_case(uint32_t off)
{
    uint32_t rows = urand(1, 64), cols = random_cols(off);
    float eps = 1e-5f;
    float *gamma = malloc((cols + off) * sizeof *gamma),
          *beta = malloc((cols + off) * sizeof *beta);
    for (uint32_t j = 0; j < cols + off; j++) {
        gamma[j] = frand(0.5f, 2);
        beta[j] = frand(-1, 1);
    }
    F32Io io;
    io_alloc(&io, (size_t)rows * cols + off);
    for (size_t i = 0; i < io.n; i++)
        io.x[i] = io.y[i] = frand(-3, 3);
    for (size_t i = 0; i < off; i++)
        io.ref[i] = io.y[i];
    for (uint32_t r = 0; r < rows; r++) {
        const float *x = io.x + off + (size_t)r * cols;
        double *ref = io.ref + off + (size_t)r * cols;
        double mean = 0, var = 0;
        for (uint32_t j = 0; j < cols; j++)
            mean += x[j];
        mean /= cols;
        for (uint32_t j = 0; j < cols; j++)
            var += (x[j] - mean) * (x[j] - mean);
        var /= cols;
        for (uint32_t j = 0; j < cols; j++)
            ref[j] = (x[j] - mean) / sqrt(var + eps) * gamma[off + j] + beta[off + j];
    }
    io_upload(&io, true);
    claw_buffer *bg = e2e_upload(dev, gamma, (cols + off) * 4ull),
                *bb = e2e_upload(dev, beta, (cols + off) * 4ull);
    uint64_t ax = io.ax + 4u * off, ay = io.ay + 4u * off;
    uint64_t ag = claw_buffer_address(bg) + 4u * off, ab = claw_buffer_address(bb) + 4u * off;
    launch("layernorm", rows, 1, 256, 1, (const void *[]){&rows, &cols, &eps, &ax, &ag, &ab, &ay},
           7);
    printf("layernorm: rows=%u cols=%u offset=%u\n", rows, cols, off);
    /* Reassociated sums and rsqrt within 2 ulp: about 1e-5 for outputs of
     * order 1 (samples/layernorm/host.c); a wrong mean or column is off by
     * far more. */
    int bad = io_check(&io, "y", 1e-4, 1e-4);
    claw_free(bg);
    claw_free(bb);
    free(gamma);
    free(beta);
    return bad;
}

static int
run_layernorm(void)
{
    return layernorm_case(0) + layernorm_case(urand(1, 3));
}

static int
run_transpose(void)
{
    uint32_t rows = urand(1, 700), cols = urand(1, 700);
    F32Io io; /* x: the rows x cols source, y: its cols x rows transpose */
    io_alloc(&io, (size_t)rows * cols);
    for (size_t i = 0; i < io.n; i++)
        io.x[i] = frand(-100, 100);
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t j = 0; j < cols; j++)
            io.ref[(size_t)j * rows + r] = io.x[(size_t)r * cols + j];
    io_upload(&io, false);
    launch("transpose", (cols + 31) / 32, (rows + 31) / 32, 32, 8,
           (const void *[]){&rows, &cols, &io.ax, &io.ay}, 4);
    printf("transpose: rows=%u cols=%u\n", rows, cols);
    return io_check(&io, "dst", 0, 0);
}

/* tests/e2e/wide_args.claw: 144 bytes of arguments, passed on Vulkan
 * through an argument buffer instead of push constants. */
static int
run_wide_args(void)
{
    uint32_t n = urand(1, 100000);
    float c[32];
    double csum = 0, cabs = 0;
    for (int i = 0; i < 32; i++) {
        c[i] = frand(-1, 1);
        csum += c[i];
        cabs += fabs(c[i]);
    }
    F32Io io;
    io_alloc(&io, n);
    for (uint32_t i = 0; i < n; i++) {
        io.x[i] = frand(-1, 1);
        io.ref[i] = io.x[i] + csum;
    }
    io_upload(&io, false);
    const void *args[35] = {&n, &io.ax};
    for (int i = 0; i < 32; i++)
        args[2 + i] = &c[i];
    args[34] = &io.ay;
    launch("wide_args", (n + 63) / 64, 1, 64, 1, args, 35);
    printf("wide_args: n=%u\n", n);
    return io_check(&io, "y", 0, 1e-6 * (cabs + 1));
}

/* vecadd from element `off` of each buffer: off 0 takes the kernel's
 * 16-byte path and its tail, off 1..3 misaligns a, b and c for vec4 and
 * takes the scalar path. One thread per four elements. */
static int
vecadd_case(uint32_t off)
{
    uint32_t n = urand(off + 1, 300000), m = n - off;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    double *ref = malloc(n * sizeof *ref);
    for (uint32_t i = 0; i < n; i++) {
        a[i] = frand(-1, 1);
        b[i] = frand(-1, 1);
        c[i] = -7.0f;
        ref[i] = i < off ? -7.0 : (double)(a[i] + b[i]);
    }
    claw_buffer *ba = e2e_upload(dev, a, n * 4), *bb = e2e_upload(dev, b, n * 4);
    claw_buffer *bc = e2e_upload(dev, c, n * 4);
    uint64_t aa = claw_buffer_address(ba) + 4u * off, ab = claw_buffer_address(bb) + 4u * off,
             ac = claw_buffer_address(bc) + 4u * off;
    uint32_t g = (m + 1023) / 1024;
    launch("vecadd", g, 1, 256, 1, (const void *[]){&m, &aa, &ab, &ac}, 4);
    printf("vecadd: n=%u offset=%u grid=%u\n", m, off, g);
    download(bc, c, n * 4);
    int bad = compare_f32("c", c, ref, n, 0, 0); /* one rounding, as in C */
    claw_free(ba), claw_free(bb), claw_free(bc);
    free(a), free(b), free(c), free(ref);
    return bad;
}

static int
run_vecadd(void)
{
    return vecadd_case(0) + vecadd_case(urand(1, 3));
}

static const struct {
    const char *name;
    int (*run)(void);
} samples[] = {
    {"vecadd", run_vecadd},       {"saxpy", run_saxpy},         {"reduction", run_reduction},
    {"histogram", run_histogram}, {"matmul", run_matmul},       {"softmax", run_softmax},
    {"transpose", run_transpose}, {"wide_args", run_wide_args}, {"layernorm", run_layernorm},
};

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: e2e_samples <sample> <fatbin>\n");
        return 2;
    }
    seed = (unsigned)e2e_seed_env();
    printf("seed %u (set CLAW_SEED=%u to replay)\n", seed, seed);

    if (!(dev = e2e_open_device()))
        return E2E_SKIP;
    claw_device_props props;
    E2E_CHECK(claw_device_props_get(dev, &props));
    static const char *const backends[] = {"CUDA", "HIP", "Vulkan"};
    printf("device: %s (%s, %s)\n", props.name, backends[props.backend], props.arch);
    E2E_CHECK(claw_module_load_file(dev, argv[2], &mod));

    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        if (strcmp(samples[i].name, argv[1]) != 0)
            continue;
        int bad = samples[i].run();
        claw_module_unload(mod);
        claw_shutdown();
        if (bad) {
            printf("FAILED: %d mismatches against the C reference\n", bad);
            return 1;
        }
        printf("matched reference\n");
        return 0;
    }
    fprintf(stderr, "unknown sample '%s'\n", argv[1]);
    return 2;
}
