/* variants.c: clawc --variants fat binaries and tuning records through the
 * runtime, on a real device (lavapipe in CI; docs/runtime.md "Variants").
 *
 *   e2e_variants FILE.clawfb   (variants.claw built with four variants)
 *
 * 1. Without a tuning record, every kernel runs from the first variant
 *    (BLOCK=32;SCALE=2.0): claw_kernel_variant and claw_kernel_block_size
 *    say so, and the results (which encode BLOCK and SCALE) agree.
 * 2. A record written with claw_fb_record_tuning for `scale` on this
 *    device's architecture, naming the image of BLOCK=64;SCALE=3.0, makes
 *    claw_module_load's module run `scale` from that variant: block 64
 *    (block 32 is now refused), results x * 3 + 64; `fill`, untuned, stays
 *    on the first variant in the same module.
 * 3. A record for another architecture changes nothing.
 * Inputs are fresh random floats (seed printed, CLAW_SEED replays). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/fatbin.h"
#include "e2e_util.h"

enum { N = 1000 };

static int failures;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL: " __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static unsigned char *
slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Index of the image for this device's backend with the given settings. */
static size_t
find_variant(const void *fb, size_t size, const char *triple_prefix, const char *settings)
{
    claw_fb_file *f;
    char err[256];
    if (claw_fb_read(fb, size, &f, err, sizeof err) != 0) {
        fprintf(stderr, "cannot read the fat binary: %s\n", err);
        exit(1);
    }
    size_t found = (size_t)-1;
    for (size_t i = 0; i < f->nimages && found == (size_t)-1; i++)
        if (strncmp(f->images[i].triple, triple_prefix, strlen(triple_prefix)) == 0 &&
            f->entries[i].variant && strcmp(f->entries[i].variant, settings) == 0)
            found = i;
    claw_fb_free(f);
    if (found == (size_t)-1) {
        fprintf(stderr, "no %s image of variant %s\n", triple_prefix, settings);
        exit(1);
    }
    return found;
}

/* Loads fb, runs both kernels, and checks they ran the expected variants. */
static void
run(claw_device *dev, const void *fb, size_t size, const char *what, const char *scale_variant,
    uint32_t scale_block, float scale_factor)
{
    claw_module *m;
    claw_kernel *scale, *fill;
    E2E_CHECK(claw_module_load(dev, fb, size, &m));
    E2E_CHECK(claw_kernel_get(m, "scale", &scale));
    E2E_CHECK(claw_kernel_get(m, "fill", &fill));

    char v[64];
    uint32_t block[3];
    E2E_CHECK(claw_kernel_variant(scale, v, sizeof v));
    EXPECT(strcmp(v, scale_variant) == 0, "%s: scale runs variant '%s', expected '%s'", what, v,
           scale_variant);
    E2E_CHECK(claw_kernel_block_size(scale, block));
    EXPECT(block[0] == scale_block && block[1] == 1 && block[2] == 1,
           "%s: scale's block is %u,%u,%u, expected %u,1,1", what, block[0], block[1], block[2],
           scale_block);
    E2E_CHECK(claw_kernel_variant(fill, v, sizeof v));
    EXPECT(strcmp(v, "BLOCK=32;SCALE=2.0") == 0, "%s: fill runs variant '%s'", what, v);
    E2E_CHECK(claw_kernel_block_size(fill, block));
    EXPECT(block[0] == 0 && block[1] == 0 && block[2] == 0, "%s: fill has a fixed block", what);

    float x[N], y[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)(rand() % 20001 - 10000) / 100.0f;
    claw_buffer *bx = e2e_upload(dev, x, sizeof x), *by = e2e_upload(dev, NULL, sizeof y);
    uint32_t n = N;
    uint64_t ax = claw_buffer_address(bx), ay = claw_buffer_address(by);
    const void *args[] = {&n, &ax, &ay};
    uint32_t grid[3] = {(N + scale_block - 1) / scale_block, 1, 1};
    uint32_t blk[3] = {scale_block, 1, 1};
    E2E_CHECK(claw_launch(scale, grid, blk, args, 3));
    E2E_CHECK(claw_read(by, 0, y, sizeof y));
    int bad = 0;
    for (int i = 0; i < N; i++) {
        float want = x[i] * scale_factor + (float)scale_block;
        if (y[i] != want && bad++ < 3)
            fprintf(stderr, "FAIL: %s: scale y[%d] = %g, expected %g\n", what, i, y[i], want);
    }
    failures += bad;
    /* The other variant's block is refused: the launch checks run against
     * the metadata of the variant that runs. */
    uint32_t other[3] = {scale_block == 32 ? 64 : 32, 1, 1};
    EXPECT(claw_launch(scale, grid, other, args, 3) == CLAW_ERROR_LAUNCH_CONFIG,
           "%s: scale accepted block %u", what, other[0]);

    const void *fargs[] = {&n, &ay};
    uint32_t fgrid[3] = {(N + 127) / 128, 1, 1}, fblock[3] = {128, 1, 1};
    E2E_CHECK(claw_launch(fill, fgrid, fblock, fargs, 2));
    E2E_CHECK(claw_read(by, 0, y, sizeof y));
    for (int i = 0; i < N; i++)
        if (y[i] != 2.0f) {
            fprintf(stderr, "FAIL: %s: fill y[%d] = %g, expected 2 (first variant)\n", what, i,
                    y[i]);
            failures++;
            break;
        }
    claw_free(bx);
    claw_free(by);
    claw_module_unload(m);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: e2e_variants FILE.clawfb\n");
        return 2;
    }
    unsigned seed = (unsigned)e2e_seed_env();
    printf("seed %u\n", seed);
    srand(seed);
    size_t size;
    unsigned char *fb = slurp(argv[1], &size);
    if (!fb) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    claw_device *dev = e2e_open_device();
    if (!dev) {
        free(fb);
        return E2E_SKIP;
    }
    claw_device_props props;
    E2E_CHECK(claw_device_props_get(dev, &props));
    const char *prefix = props.backend == CLAW_BACKEND_CUDA  ? "nvptx"
                         : props.backend == CLAW_BACKEND_HIP ? "amdgcn"
                                                             : "spirv";
    printf("device %s (%s)\n", props.name, props.arch);

    run(dev, fb, size, "untuned", "BLOCK=32;SCALE=2.0", 32, 2.0f);

    char err[256];
    void *tuned, *elsewhere;
    size_t tuned_size, elsewhere_size;
    size_t target = find_variant(fb, size, prefix, "BLOCK=64;SCALE=3.0");
    if (claw_fb_record_tuning(fb, size, "scale", props.arch, target, &tuned, &tuned_size, err,
                              sizeof err) != 0 ||
        claw_fb_record_tuning(fb, size, "scale", "sm_1", target, &elsewhere, &elsewhere_size, err,
                              sizeof err) != 0) {
        fprintf(stderr, "claw_fb_record_tuning: %s\n", err);
        return 1;
    }
    run(dev, tuned, tuned_size, "tuned", "BLOCK=64;SCALE=3.0", 64, 3.0f);
    run(dev, elsewhere, elsewhere_size, "tuned for another arch", "BLOCK=32;SCALE=2.0", 32, 2.0f);

    free(tuned);
    free(elsewhere);
    free(fb);
    claw_shutdown();
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("ok: 4 variants, the first without a record, the recorded one with it\n");
    return 0;
}
