/* e2e test for C header import (docs/language.md §9, issue 7): a kernel fills
 * every field of a struct with awkward padding from an imported header; the
 * host reads each field through its own compiler's layout, and checks that
 * every padding byte still holds the fill pattern. Runs on device 0
 * (CLAW_DEVICE=vulkan:0 in ctest); exit 77 when there is no device. */
#include <claw/claw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cimport_layout.claw.h"
#include "e2e_util.h"

static int failures;

#define EXPECT(field, cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("field %-6s at offset %2zu: wrong value (%s)\n", #field,                      \
                   offsetof(Awkward, field), #cond);                                               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Marks the bytes that belong to some field, so the rest is padding. */
static void
mark(unsigned char *used, size_t off, size_t size)
{
    memset(used + off, 1, size);
}

int
main(void)
{
    int count = 0;
    if (claw_device_count(&count) != CLAW_SUCCESS || count == 0) {
        printf("SKIP: no device (%s)\n", claw_last_error());
        return E2E_SKIP;
    }
    claw_device *dev;
    claw_module *mod;
    claw_kernel *k;
    if (claw_device_get(0, &dev) != CLAW_SUCCESS || cimport_layout_module_load(dev, &mod) ||
        fill_get(mod, &k)) {
        printf("setup failed: %s\n", claw_last_error());
        return 1;
    }
    /* The value written is derived from the seed and kept in a range where
     * every field's expected value is exact; the seed itself is printed so
     * CLAW_SEED replays the run. */
    uint64_t seed_env = e2e_seed_env();
    printf("seed %llu (CLAW_SEED=%llu replays)\n", (unsigned long long)seed_env,
           (unsigned long long)seed_env);
    uint32_t seed = (uint32_t)(seed_env % 100000 + 2);

    unsigned char pattern[sizeof(Awkward)];
    memset(pattern, 0xcd, sizeof pattern);
    claw_buffer *out, *ro, *rw;
    if (claw_alloc(dev, sizeof(Awkward), &out) || claw_alloc(dev, 64, &ro) ||
        claw_alloc(dev, 64, &rw) || claw_write(out, 0, pattern, sizeof pattern)) {
        printf("alloc failed: %s\n", claw_last_error());
        return 1;
    }
    const uint32_t one[3] = {1, 1, 1};
    if (fill_launch(k, one, one, out, seed, ro, rw) || claw_synchronize(dev)) {
        printf("launch failed: %s\n", claw_last_error());
        return 1;
    }
    Awkward got;
    if (claw_read(out, 0, &got, sizeof got)) {
        printf("read failed: %s\n", claw_last_error());
        return 1;
    }

    EXPECT(a, got.a == (uint8_t)(seed & 0xff));
    EXPECT(b, got.b == (double)seed * 0.5);
    EXPECT(c, got.c == (int16_t)-(int16_t)seed);
    EXPECT(d, got.d[0] == 1 && got.d[1] == 2 && got.d[2] == (uint8_t)(seed >> 8));
    EXPECT(in.tag, got.in.tag == 0xab);
    EXPECT(in.big, got.in.big == -(int64_t)seed * 1000000007);
    EXPECT(f, got.f == (float)seed + 0.25f);
    EXPECT(flag, got.flag == (seed % 2 == 1));
    EXPECT(wide, got.wide == ((uint64_t)seed << 40 | FILL_MAGIC));
    EXPECT(l, got.l == (long)seed - 5);
    EXPECT(us, got.us == (unsigned short)(seed * 3));
    EXPECT(ro, (uint64_t)(uintptr_t)got.ro == claw_buffer_address(ro));
    EXPECT(rw, (uint64_t)(uintptr_t)got.rw == claw_buffer_address(rw));
    EXPECT(tail, got.tail == -7);

    /* Padding: every byte no field covers must still be 0xcd. */
    unsigned char used[sizeof(Awkward)] = {0}, raw[sizeof(Awkward)];
    memcpy(raw, &got, sizeof raw);
#define USE(field) mark(used, offsetof(Awkward, field), sizeof got.field)
    USE(a); USE(b); USE(c); USE(d); USE(f); USE(flag); USE(wide); USE(l); USE(us);
    USE(ro); USE(rw); USE(tail);
    mark(used, offsetof(Awkward, in) + offsetof(struct Inner, tag), 1);
    mark(used, offsetof(Awkward, in) + offsetof(struct Inner, big), 8);
    size_t padding = 0;
    for (size_t i = 0; i < sizeof raw; i++) {
        if (used[i])
            continue;
        padding++;
        if (raw[i] != 0xcd) {
            printf("padding byte %zu was overwritten (0x%02x)\n", i, raw[i]);
            failures++;
        }
    }
    claw_free(out);
    claw_free(ro);
    claw_free(rw);
    claw_module_unload(mod);
    if (failures) {
        printf("cimport_layout: FAILED: %d problems\n", failures);
        return 1;
    }
    printf("cimport_layout: all 16 fields match offsetof layout (%zu bytes, %zu padding "
           "bytes untouched)\n", sizeof(Awkward), padding);
    return 0;
}
