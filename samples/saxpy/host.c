/* host.c: runs the saxpy sample (saxpy.claw) on the best device through
 * libclawrt and checks it against a C reference.
 *
 *   saxpy_host saxpy.clawfb          (compiled with: clawc saxpy.claw -o saxpy.clawfb)
 *
 * "Best" is the runtime's device 0: the first CUDA GPU, else the first HIP
 * GPU, else the first Vulkan device; CLAW_DEVICE=vulkan:0 (cuda:1, ...)
 * chooses another. Prints what ran where, then "matched reference" (exit 0)
 * or the first mismatches (exit 1). Exit 2: bad command line or no device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <claw/claw.h>

/* Prints the failed call and the runtime's message, and exits. */
static void
check(claw_status s, const char *what)
{
    if (s == CLAW_SUCCESS)
        return;
    fprintf(stderr, "saxpy_host: %s: %s: %s\n", what, claw_status_string(s), claw_last_error());
    exit(2);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SAXPY.clawfb\n", argv[0]);
        return 2;
    }
    claw_device *dev;
    check(claw_device_get(0, &dev), "choosing a device");
    claw_device_props props;
    check(claw_device_props_get(dev, &props), "reading device properties");
    static const char *const backend_names[] = {"CUDA", "HIP", "Vulkan"};
    printf("device: %s\nbackend: %s\narch: %s\n", props.name, backend_names[props.backend],
           props.arch);

    claw_module *mod;
    check(claw_module_load_file(dev, argv[1], &mod), "loading the fat binary");
    claw_kernel *saxpy;
    check(claw_kernel_get(mod, "saxpy", &saxpy), "finding kernel saxpy");

    enum { N = 1 << 20 };
    uint32_t n = N;
    float a = 2.5f;
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *out = malloc(N * sizeof *out);
    if (!x || !y || !out) {
        fprintf(stderr, "saxpy_host: out of memory\n");
        return 2;
    }
    for (uint32_t i = 0; i < n; i++) {
        x[i] = (float)(i % 1000) * 0.001f;
        y[i] = 1.0f - (float)(i % 37) * 0.25f;
    }

    claw_buffer *bx, *by;
    check(claw_alloc(dev, N * sizeof *x, &bx), "allocating x");
    check(claw_alloc(dev, N * sizeof *y, &by), "allocating y");
    check(claw_write(bx, 0, x, N * sizeof *x), "copying x");
    check(claw_write(by, 0, y, N * sizeof *y), "copying y");

    /* saxpy.claw: block fixed at 256 by @workgroup, grid-stride loop. */
    uint64_t xa = claw_buffer_address(bx), ya = claw_buffer_address(by);
    const void *args[] = {&n, &a, &xa, &ya};
    uint32_t grid[3] = {1024, 1, 1}, block[3] = {256, 1, 1};
    check(claw_launch(saxpy, grid, block, args, 4), "launching saxpy");
    check(claw_synchronize(dev), "waiting for saxpy");
    check(claw_read(by, 0, out, N * sizeof *out), "copying y back");

    /* The kernel may fuse a*x+y into one fma: allow one rounding. */
    int bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        float want = a * x[i] + y[i];
        if (fabsf(out[i] - want) > 1e-6f * (fabsf(a * x[i]) + fabsf(y[i])) + 1e-7f) {
            if (bad < 5)
                printf("mismatch at %u: got %.9g, reference %.9g\n", i, out[i], want);
            bad++;
        }
    }
    claw_free(bx);
    claw_free(by);
    claw_module_unload(mod);
    free(x);
    free(y);
    free(out);
    if (bad) {
        printf("saxpy on %s: %d of %u elements differ from the reference\n", props.name, bad, n);
        return 1;
    }
    printf("saxpy of %u elements on %s (%s): matched reference\n", n, props.name, props.arch);
    return 0;
}
