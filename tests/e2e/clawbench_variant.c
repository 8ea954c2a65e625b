/* clawbench_variant FILE KERNEL: loads FILE on device 0 (CLAW_DEVICE) and
 * prints the -D settings of the variant claw_module_load runs KERNEL from
 * (claw_kernel_variant), then the device's architecture; for
 * clawbench_test.py's --tune test. Exit 77 when there is no device. */
#include <claw/claw.h>

#include <stdio.h>

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: clawbench_variant FILE KERNEL\n");
        return 2;
    }
    int n = 0;
    claw_device *dev;
    claw_device_props props;
    claw_module *m;
    claw_kernel *k;
    char settings[256];
    if (claw_device_count(&n) != CLAW_SUCCESS || n == 0)
        return 77;
    if (claw_device_get(0, &dev) != CLAW_SUCCESS ||
        claw_device_props_get(dev, &props) != CLAW_SUCCESS ||
        claw_module_load_file(dev, argv[1], &m) != CLAW_SUCCESS ||
        claw_kernel_get(m, argv[2], &k) != CLAW_SUCCESS ||
        claw_kernel_variant(k, settings, sizeof settings) != CLAW_SUCCESS) {
        fprintf(stderr, "clawbench_variant: %s\n", claw_last_error());
        return 1;
    }
    printf("%s\n%s\n", settings, props.arch);
    claw_module_unload(m);
    claw_shutdown();
    return 0;
}
