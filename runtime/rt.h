/* rt.h: libclawrt's internal header, shared by the core (core.c, check.c)
 * and the backends (cuda.c, hip.c, vulkan.c).
 *
 * The core owns the public handles and does every argument check; a backend
 * is a const table of hooks (RtBackend) that only ever sees checked values.
 * Handles carry a magic word so that a stale or foreign pointer is refused
 * rather than followed. */
#ifndef CLAW_RT_H
#define CLAW_RT_H

#include <pthread.h>
#include <stdbool.h>

#include "claw/claw.h"
#include "claw/fatbin.h"

/* Handle magics ("DEVI", "MODU", "KERN", "BUFF"). */
enum {
    RT_MAGIC_DEVICE = 0x44455649,
    RT_MAGIC_MODULE = 0x4d4f4455,
    RT_MAGIC_KERNEL = 0x4b45524e,
    RT_MAGIC_BUFFER = 0x42554646,
};

/* Vulkan kernels get their arguments in push constants when they fit this
 * many bytes (the Vulkan minimum maxPushConstantsSize), otherwise through a
 * buffer whose u64 address is the first push constant (docs/spirv.md; clawc's
 * kernels also end their push constants with a status-word address). */
enum { RT_PUSH_CONSTANT_LIMIT = 128 };

/* What a backend reports about one of its devices beyond claw_device_props. */
typedef struct RtLimits {
    uint32_t max_block[3]; /* per-dimension block size limit */
    uint32_t max_grid[3];  /* per-dimension grid size limit */
} RtLimits;

typedef struct RtBackend RtBackend;

struct claw_device {
    uint32_t magic;
    const RtBackend *be;
    int native_index; /* index in the backend's own order */
    void *native;     /* backend state of this device */
    claw_device_props props;
    RtLimits limits;
    pthread_mutex_t lock;        /* serialises backend calls on this device */
    struct claw_buffer *buffers; /* live buffers, for pointer-argument checks */
    bool opened;
};

struct claw_module {
    uint32_t magic;
    claw_device *dev;
    void *bytes; /* the runtime's copy of the fat binary */
    claw_fb_file *fb;
    const claw_fb_image *image; /* the image chosen for dev */
    void *native;
    struct claw_kernel **kernels; /* one slot per image kernel, filled on demand */
    /* Variants (variant.c): images of other variants that tuned kernels run
     * from, one module each, loaded on demand (fb->nimages slots, or NULL).
     * Such a module has a parent and shares its bytes and fb. */
    struct claw_module **variants;
    struct claw_module *parent;
};

struct claw_kernel {
    uint32_t magic;
    claw_module *mod;
    const claw_fb_kernel *meta;
    uint32_t *offsets;  /* C-layout offset of each parameter in the packed block */
    size_t packed_size; /* size of the packed block, padded to its alignment */
    void *native;
};

struct claw_buffer {
    uint32_t magic;
    claw_device *dev;
    size_t size;
    uint64_t address;
    void *native;
    struct claw_buffer *next; /* in dev->buffers */
};

/* A backend: hooks called with dev->lock held and arguments checked. */
struct RtBackend {
    const char *name; /* "cuda", "hip", "vulkan": the CLAW_DEVICE prefix */
    claw_backend kind;
    /* dlopens the library and counts devices; 0 devices when absent. */
    claw_status (*init)(int *count);
    claw_status (*device_open)(claw_device *dev); /* fills props, limits, native */
    void (*device_close)(claw_device *dev);
    claw_status (*module_load)(claw_device *dev, claw_module *m);
    void (*module_unload)(claw_module *m);
    claw_status (*kernel_get)(claw_kernel *k);
    void (*kernel_release)(claw_kernel *k);
    claw_status (*alloc)(claw_device *dev, claw_buffer *b);
    void (*free)(claw_buffer *b);
    claw_status (*write)(claw_buffer *b, size_t offset, const void *src, size_t bytes);
    claw_status (*read)(claw_buffer *b, size_t offset, void *dst, size_t bytes);
    /* packed: the arguments in C layout (k->packed_size bytes); args: the
     * caller's pointers, one per parameter, for drivers that want them. */
    claw_status (*launch)(claw_kernel *k, const uint32_t grid[3], const uint32_t block[3],
                          const void *packed, const void *const *args);
    claw_status (*synchronize)(claw_device *dev);
    void (*shutdown)(void);
    /* How well an image (of this backend's triples) suits a device of arch
     * dev_arch: higher is better, -1 when it cannot run (check.c). */
    int (*rank_image)(const claw_fb_image *img, const char *dev_arch);
};

extern const RtBackend rt_cuda_backend;
extern const RtBackend rt_hip_backend;
extern const RtBackend rt_vulkan_backend;

/* core.c: sets this thread's message and returns s. */
claw_status rt_error(claw_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* check.c: the decisions that need no device, exported for unit tests. */

/* Chooses the image of f for a device of backend `be` and architecture
 * `arch` (TOOLCHAIN.md §4): the best by that backend's rank_image (exact
 * architecture first, then a compatible one), the first among equals, never
 * an image the backend cannot run. Returns its index, or -1 with a message
 * listing the images and the device in why. */
int rt_choose_image(const claw_fb_file *f, claw_backend be, const char *arch, char *why,
                    size_t whylen);
/* The image kernel `kernel` runs from on a device of architecture
 * `dev_arch`, given the image `base` that rt_choose_image chose: among the
 * images of base's triple, arch and kind (its variants), the one whose
 * tuning record names (kernel, dev_arch), else base (docs/runtime.md). */
int rt_choose_variant(const claw_fb_file *f, int base, const char *kernel, const char *dev_arch);
/* variant.c: the module of m's image `index` (m itself for m's own image),
 * loaded on first use; called with m->dev->lock held. */
claw_status rt_variant_module(claw_module *m, int index, claw_module **out);
/* variant.c: unloads and frees m's variant modules (native: tell the backend). */
void rt_free_variants(claw_module *m, bool native);
/* The backends' rank_image hooks (TOOLCHAIN.md §4 and docs/runtime.md):
 * CUDA: exact cubin > exact PTX > the newest older PTX; HIP: exact code
 * object only; Vulkan: the newest SPIR-V version not newer than the device. */
int rt_rank_cuda_image(const claw_fb_image *img, const char *dev_arch);
int rt_rank_hip_image(const claw_fb_image *img, const char *dev_arch);
int rt_rank_vulkan_image(const claw_fb_image *img, const char *dev_arch);
/* Lays out a kernel's parameters in C layout: offsets[i] for each, the
 * total padded to the largest alignment in *size. Returns false on overflow. */
bool rt_layout_params(const claw_fb_kernel *meta, uint32_t *offsets, size_t *size);
/* Checks grid and block against the kernel's @workgroup and the device. */
claw_status rt_check_launch_config(const claw_fb_kernel *meta, const claw_device_props *props,
                                   const RtLimits *limits, const uint32_t grid[3],
                                   const uint32_t block[3]);
/* "sm_86" from a CUDA compute capability; "gfx942" from a HIP gcnArchName
 * ("gfx942:sramecc+:xnack-"). */
void rt_cuda_arch_name(int major, int minor, char *out, size_t outlen);
void rt_hip_arch_name(const char *gcn_arch_name, char *out, size_t outlen);

#endif
