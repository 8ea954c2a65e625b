/* fake_hip.c: a stand-in libamdhip64.so for testing runtime/hip.c without
 * an AMD GPU (tests/e2e/e2e_fake_drivers.c).
 *
 * One "gfx942:sramecc+:xnack-" device backed by host memory. Code objects
 * must start with the ELF magic (else hipErrorInvalidImage); kernels are
 * found by name anywhere in the image bytes. Launching "saxpy" computes it
 * on the host from the packed kernarg buffer
 * (HIP_LAUNCH_PARAM_BUFFER_POINTER), checking that the runtime passed the
 * 24-byte C layout {u32 n; f32 a; u64 x; u64 y} and no kernelParams. The
 * gcnArchName sits at an offset of the properties struct the runtime does
 * not know, as it does in real HIP. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int hipError_t;

typedef struct FakeModule {
    unsigned char *bytes;
    size_t size;
} FakeModule;

hipError_t
hipInit(unsigned flags)
{
    return 0;
}

const char *
hipGetErrorName(hipError_t e)
{
    switch (e) {
    case 0: return "hipSuccess";
    case 1: return "hipErrorInvalidValue";
    case 200: return "hipErrorInvalidImage";
    case 500: return "hipErrorNotFound";
    }
    return "hipErrorUnknown";
}

hipError_t
hipGetDeviceCount(int *n)
{
    *n = 1;
    return 0;
}

hipError_t
hipSetDevice(int d)
{
    return d == 0 ? 0 : 101;
}

hipError_t
hipDeviceGetName(char *name, int len, int d)
{
    snprintf(name, (size_t)len, "Fake AMD GPU");
    return 0;
}

hipError_t
hipDeviceGetAttribute(int *v, int attr, int d)
{
    switch (attr) {
    case 26:
    case 27:
    case 28: *v = 1024; break; /* max block dims */
    case 29:
    case 30:
    case 31: *v = 2147483647; break;
    case 56: *v = 1024; break;  /* max threads per block */
    case 74: *v = 65536; break; /* shared memory per block */
    case 87: *v = 64; break;    /* wavefront size */
    default: return 1;
    }
    return 0;
}

hipError_t
hipDeviceTotalMem(size_t *bytes, int d)
{
    *bytes = (size_t)1 << 30;
    return 0;
}

hipError_t
hipGetDevicePropertiesR0600(void *props, int d)
{
    memset(props, 0, 1472);
    strcpy(props, "Fake AMD GPU");
    strcpy((char *)props + 1160, "gfx942:sramecc+:xnack-");
    return 0;
}

hipError_t
hipDeviceSynchronize(void)
{
    return 0;
}

hipError_t
hipModuleLoadData(void **mod, const void *image)
{
    if (memcmp(image,
               "\x7f"
               "ELF",
               4) != 0)
        return 200;
    FakeModule *m = malloc(sizeof *m);
    /* The fake code object is "\x7fELF" + kernel names + NUL. */
    m->size = 4 + strlen((const char *)image + 4);
    m->bytes = malloc(m->size);
    memcpy(m->bytes, image, m->size);
    *mod = m;
    return 0;
}

hipError_t
hipModuleUnload(void *mod)
{
    FakeModule *m = mod;
    free(m->bytes);
    free(m);
    return 0;
}

hipError_t
hipModuleGetFunction(void **f, void *mod, const char *name)
{
    FakeModule *m = mod;
    void *at = memmem(m->bytes, m->size, name, strlen(name));
    if (!at)
        return 500;
    *f = at;
    return 0;
}

hipError_t
hipMalloc(void **p, size_t bytes)
{
    *p = calloc(1, bytes);
    return *p ? 0 : 2;
}

hipError_t
hipFree(void *p)
{
    free(p);
    return 0;
}

hipError_t
hipMemcpyHtoD(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return 0;
}

hipError_t
hipMemcpyDtoH(void *dst, void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return 0;
}

hipError_t
hipModuleLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                      unsigned bz, unsigned shared, void *stream, void **params, void **extra)
{
    if (strncmp(f, "saxpy", 5) != 0 || params || !extra)
        return 1;
    if (extra[0] != (void *)0x01 || extra[2] != (void *)0x02 || extra[4] != (void *)0x03)
        return 1;
    const unsigned char *kernarg = extra[1];
    if (*(const size_t *)extra[3] != 24)
        return 1;
    uint32_t n;
    float a;
    uint64_t xa, ya;
    memcpy(&n, kernarg, 4);
    memcpy(&a, kernarg + 4, 4);
    memcpy(&xa, kernarg + 8, 8);
    memcpy(&ya, kernarg + 16, 8);
    float *x = (float *)(uintptr_t)xa, *y = (float *)(uintptr_t)ya;
    for (uint64_t i = 0; i < n && i < (uint64_t)gx * bx; i++)
        y[i] = a * x[i] + y[i];
    return 0;
}
