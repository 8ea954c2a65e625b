/* Runs the embedded `scale` kernel through the installed runtime and checks it. */
#include <claw/claw.h>
#include <stdio.h>
#include <stdlib.h>

#include "scale.claw.h"

int
main(void)
{
    claw_device *dev;
    int count = 0;
    if (claw_device_count(&count) != CLAW_SUCCESS || count == 0) {
        printf("no device: %s\n", claw_last_error());
        return 77;
    }
    if (claw_device_get(0, &dev) != CLAW_SUCCESS) {
        printf("claw_device_get: %s\n", claw_last_error());
        return 1;
    }
    claw_module *mod;
    claw_kernel *k;
    if (scale_module_load(dev, &mod) != CLAW_SUCCESS || scale_get(mod, &k) != CLAW_SUCCESS) {
        printf("load: %s\n", claw_last_error());
        return 1;
    }
    enum { N = 1000 };
    float x[N], y[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)rand() / RAND_MAX;
    claw_buffer *bx, *by;
    claw_alloc(dev, sizeof x, &bx);
    claw_alloc(dev, sizeof y, &by);
    claw_write(bx, 0, x, sizeof x);
    const uint32_t grid[3] = {(N + 127) / 128, 1, 1}, block[3] = {128, 1, 1};
    if (scale_launch(k, grid, block, N, 3.0f, bx, by) != CLAW_SUCCESS ||
        claw_synchronize(dev) != CLAW_SUCCESS) {
        printf("launch: %s\n", claw_last_error());
        return 1;
    }
    claw_read(by, 0, y, sizeof y);
    for (int i = 0; i < N; i++) {
        if (y[i] != 3.0f * x[i]) {
            printf("mismatch at %d: %g != %g\n", i, y[i], 3.0f * x[i]);
            return 1;
        }
    }
    printf("consumer: scale matched reference on %d elements\n", N);
    claw_free(bx);
    claw_free(by);
    claw_module_unload(mod);
    return 0;
}
