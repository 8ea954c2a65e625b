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

/* Handle magics ("DEVI", "MODU", "KERN", "BUFF", "STRM", "EVNT"). */
enum {
    RT_MAGIC_DEVICE = 0x44455649,
    RT_MAGIC_MODULE = 0x4d4f4455,
    RT_MAGIC_KERNEL = 0x4b45524e,
    RT_MAGIC_BUFFER = 0x42554646,
    RT_MAGIC_STREAM = 0x5354524d,
    RT_MAGIC_EVENT = 0x45564e54,
};

/* The grid every backend accepts (docs/runtime.md "Grids"). */
enum { RT_MAX_GRID_X = 0x7fffffff, RT_MAX_GRID_YZ = 65535 };

/* Vulkan kernels get their arguments in push constants when they fit this
 * many bytes (the Vulkan minimum maxPushConstantsSize), otherwise through a
 * buffer whose u64 address is the first push constant (docs/spirv.md; clawc's
 * kernels also end their push constants with a status-word address). */
enum { RT_PUSH_CONSTANT_LIMIT = 128 };
/* Every Vulkan kernel's push-constant block ends with the launch block
 * (docs/spirv.md "Launch block"): u32 block_base_x, grid_x, grid_y, grid_z
 * at this offset; arguments are pushed directly up to RT_PUSH_ARGS_LIMIT
 * bytes, which leaves room for the status-word address at their size
 * rounded up to 8 before the launch block. */
enum { RT_PUSH_LAUNCH_OFFSET = 112, RT_PUSH_ARGS_LIMIT = 104 };

/* What a backend reports about one of its devices beyond claw_device_props. */
typedef struct RtLimits {
    uint32_t max_block[3]; /* per-dimension block size limit */
    uint32_t max_grid[3];  /* per-dimension grid size limit */
} RtLimits;

typedef struct RtBackend RtBackend;

/* Live buffers of a device sorted by address, so that a pointer argument is
 * checked by binary search (core.c). maxend[i] is the largest end of
 * buffers 0..i, which keeps the search right when wrapped buffers overlap. */
typedef struct RtBufIndex {
    uint64_t *start;
    uint64_t *maxend;
    struct claw_buffer **buf;
    size_t n, cap;
} RtBufIndex;

struct claw_device {
    uint32_t magic;
    const RtBackend *be;
    int native_index; /* index in the backend's own order */
    void *native;     /* backend state of this device */
    claw_device_props props;
    RtLimits limits;
    pthread_mutex_t lock;        /* serialises backend calls on this device */
    struct claw_buffer *buffers; /* live buffers, for pointer-argument checks */
    RtBufIndex index;            /* the same buffers by address */
    uint64_t buf_gen;            /* bumped whenever a buffer is freed (kernel caches) */
    struct claw_stream *streams; /* every stream struct of the device, live or dead */
    struct claw_event *events;   /* every event struct of the device, live or dead */
    struct claw_kernel *bounds_kernels; /* checked kernels with a record (bounds.c) */
    bool opened;
    uint32_t rt_features;        /* RT_FEAT_*: what images may require of it */
    const char *features_note;   /* static text for CLAW_LOG=1: why it has or lacks
                                    them, or NULL (backends without such images) */
};

/* Device features a fat-binary image may require ("claw.requires",
 * docs/fatbin.md), as bits of claw_device.rt_features. */
enum { RT_FEAT_VK_COOPMAT = 1u << 0 /* CLAW_FB_FEATURE_VK_COOPMAT */ };

/* One VkCooperativeMatrixPropertiesKHR as plain numbers (component types
 * and scopes are the VkComponentTypeKHR / VkScopeKHR values), so that the
 * decision needs no Vulkan header and can be unit-tested. */
typedef struct RtCoopmatShape {
    uint32_t m, n, k;
    uint32_t a, b, c, result; /* VkComponentTypeKHR: 0 FLOAT16, 1 FLOAT32 */
    uint32_t saturating;
    uint32_t scope;           /* VkScopeKHR: 3 SUBGROUP */
} RtCoopmatShape;
/* Whether a device offering these shapes runs the cooperative-matrix image:
 * one with M = N = K = 16, A and B f16, C and the result f32, subgroup
 * scope, no saturation. */
bool rt_coopmat_fits(const RtCoopmatShape *shapes, size_t n);

/* Streams and events are never handed back to malloc before claw_shutdown:
 * a destroyed one keeps its memory (magic cleared) and is reused by the next
 * create, so a stale handle is refused by its magic rather than read after
 * free. */
struct claw_stream {
    uint32_t magic; /* RT_MAGIC_STREAM while live, 0 once destroyed */
    claw_device *dev;
    void *native;
    struct claw_stream *next; /* in dev->streams */
};

struct claw_event {
    uint32_t magic; /* RT_MAGIC_EVENT while live, 0 once destroyed */
    claw_device *dev;
    void *native;
    bool recorded;           /* claw_event_record has been called */
    struct claw_event *next; /* in dev->events */
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
    /* The launch ABI: the image's metadata, or for a kernel compiled with
     * -fsanitize=bounds `abi`, the same with its hidden parameters appended
     * (bounds.c); nuser is what the caller passes. */
    const claw_fb_kernel *meta;
    uint32_t nuser;
    claw_fb_kernel abi;
    claw_fb_param *abi_params;
    struct claw_buffer *bounds;       /* the record, from the first launch on */
    struct claw_kernel *bounds_next;  /* in dev->bounds_kernels */
    const char *sites;                /* the image's "claw.bounds" table */
    uint32_t *offsets;  /* C-layout offset of each parameter in the packed block */
    size_t packed_size; /* size of the packed block, padded to its alignment */
    void *native;
    /* The live-buffer range each pointer argument was last found in, valid
     * while cache_gen == dev->buf_gen: a loop of launches with the same
     * buffers checks each pointer with two compares. */
    uint64_t *cache_lo, *cache_hi;
    uint64_t cache_gen;
};

struct claw_buffer {
    uint32_t magic;
    claw_device *dev;
    size_t size;
    uint64_t address;
    void *native;
    bool wrapped;             /* claw_buffer_wrap: memory owned by someone else */
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

    /* v0.2 (docs/runtime.md "Streams and events"). A stream argument of
     * NULL is the device's default stream (where launch, write and read
     * go); every other handle is live and of the same device. */
    claw_status (*stream_create)(claw_stream *s);
    void (*stream_destroy)(claw_stream *s); /* after stream_synchronize */
    claw_status (*stream_synchronize)(claw_stream *s);
    claw_status (*launch_on)(claw_stream *s, claw_kernel *k, const uint32_t grid[3],
                             const uint32_t block[3], const void *packed, const void *const *args);
    claw_status (*write_on)(claw_stream *s, claw_buffer *b, size_t offset, const void *src,
                            size_t bytes);
    claw_status (*read_on)(claw_stream *s, claw_buffer *b, size_t offset, void *dst, size_t bytes);
    claw_status (*copy_on)(claw_stream *s, claw_buffer *dst, size_t dst_offset, claw_buffer *src,
                           size_t src_offset, size_t bytes);
    claw_status (*fill_on)(claw_stream *s, claw_buffer *b, size_t offset, size_t bytes,
                           uint32_t value);
    claw_status (*event_create)(claw_event *e);
    void (*event_destroy)(claw_event *e);
    claw_status (*event_record)(claw_event *e, claw_stream *s);
    claw_status (*stream_wait)(claw_stream *s, claw_event *e);
    claw_status (*event_synchronize)(claw_event *e);
    /* Both events recorded; waits for them. */
    claw_status (*event_elapsed)(claw_event *start, claw_event *end, double *ms);
    /* Fills b->native for memory at b->address; NULL: the backend cannot wrap. */
    claw_status (*wrap)(claw_device *dev, claw_buffer *b);
    void *(*native_handle)(claw_device *dev);
    /* Optional: reads or writes a small internal buffer without waiting for
     * the device (bounds.c records); NULL: read and write. */
    claw_status (*record_io)(claw_buffer *b, void *host, size_t bytes, bool write);
};

extern const RtBackend rt_cuda_backend;
extern const RtBackend rt_hip_backend;
extern const RtBackend rt_vulkan_backend;

/* core.c: sets this thread's message and returns s. */
claw_status rt_error(claw_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* core.c: checks a host or device range of buffer b for call fn. */
claw_status rt_check_range(const char *fn, claw_buffer *b, size_t offset, const void *p,
                           size_t bytes);
/* core.c: claw_launch and its variants; st NULL is the default stream. */
claw_status rt_launch(const char *fn, claw_stream *st, claw_kernel *k, const uint32_t grid[3],
                      const uint32_t block[3], const void *const *args, const size_t *sizes,
                      size_t nargs);
/* bounds.c (docs/debugging.md): the hidden parameters of a checked kernel
 * (k->meta becomes k->abi); fills them into a launch's packed block; after
 * a wait that returned s, turns a filled record into CLAW_ERROR_OUT_OF_BOUNDS
 * (dev->lock held for the last two); frees a kernel's record. */
claw_status rt_bounds_kernel_init(claw_kernel *k, const claw_fb_kernel *meta,
                                  const claw_fb_entry *ex);
claw_status rt_bounds_fill(claw_kernel *k, unsigned char *packed);
claw_status rt_bounds_collect(claw_device *dev, claw_status s);
void rt_bounds_kernel_free(claw_device *dev, claw_kernel *k, bool native);
/* stream.c: destroys every live stream and event of d and frees them all
 * (claw_shutdown; d->lock need not be held, nothing else runs). */
void rt_free_streams_events(claw_device *d);

/* check.c: the decisions that need no device, exported for unit tests. */

/* Chooses the image of f for a device of backend `be` and architecture
 * `arch` (docs/runtime.md): the best by that backend's rank_image (exact
 * architecture first, then a compatible one), the first among equals, never
 * an image the backend cannot run. Returns its index, or -1 with a message
 * listing the images and the device in why. */
int rt_choose_image(const claw_fb_file *f, claw_backend be, const char *arch, char *why,
                    size_t whylen);
/* The same for a device with the RT_FEAT_* bits `features`: an image whose
 * "claw.requires" names a feature the device lacks (or one this runtime
 * does not know) is never chosen; one that needs only features the device
 * has beats every image that needs none. rt_choose_image is features 0. */
int rt_choose_image_for(const claw_fb_file *f, claw_backend be, const char *arch,
                        uint32_t features, char *why, size_t whylen);
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
/* core.c: frees a kernel handle (and its backend state when native); NULL is fine. */
void rt_free_kernel(claw_device *dev, claw_kernel *k, bool native);
/* The backends' rank_image hooks (docs/runtime.md, "Modules and kernels"):
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
/* Why image i of f was chosen (chosen == i) or passed over for a device of
 * backend `be` and architecture `arch`, for CLAW_LOG=1. */
void rt_explain_image(const claw_fb_file *f, size_t i, int chosen, claw_backend be,
                      const char *arch, char *out, size_t outlen);
void rt_explain_image_for(const claw_fb_file *f, size_t i, int chosen, claw_backend be,
                          const char *arch, uint32_t features, char *out, size_t outlen);
/* Whether kernels of this architecture run matrix operations on hardware
 * matrix units (NVIDIA sm_75+, AMD gfx90a, gfx942, gfx11). */
bool rt_arch_has_matrix_units(claw_backend be, const char *arch);
/* "sm_86" from a CUDA compute capability; "gfx942" from a HIP gcnArchName
 * ("gfx942:sramecc+:xnack-"). */
void rt_cuda_arch_name(int major, int minor, char *out, size_t outlen);
void rt_hip_arch_name(const char *gcn_arch_name, char *out, size_t outlen);
/* spirv_scan.c: the deepest nesting of selection constructs (if) that the
 * GLCompute entry point `entry` reaches, through its calls, in *depth (0
 * when the module or entry is malformed or missing). False only when out
 * of memory. */
bool rt_spirv_selection_depth(const uint32_t *words, size_t nwords, const char *entry,
                              uint32_t *depth);

#endif
