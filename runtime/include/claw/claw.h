/* claw/claw.h: the public API of libclawrt, the OpenClaw runtime
 * (reference in docs/runtime.md).
 *
 * A host program lists devices, loads a fat binary (.clawfb) on one of them
 * (the runtime picks the image that fits the device), allocates buffers,
 * copies data, launches kernels and waits for them. Every call checks its
 * arguments and returns a claw_status; claw_last_error() then gives this
 * thread's detailed message. The runtime never exits or aborts (HIP before
 * 7.0 aborts the process itself on a kernel fault: docs/runtime.md), and
 * leaves the caller's current CUDA context and HIP device as they were.
 * Nothing here needs a vendor SDK: each backend (CUDA, HIP, Vulkan) is
 * opened with dlopen the first time devices are listed, and is simply
 * absent when its library is.
 *
 * Plain C11; usable from C++. */
#ifndef CLAW_CLAW_H
#define CLAW_CLAW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CLAW_BUILDING_RT)
#define CLAW_API __attribute__((visibility("default")))
#else
#define CLAW_API
#endif

/* One code per failure class; claw_last_error() has the details. */
typedef enum claw_status {
    CLAW_SUCCESS = 0,
    CLAW_ERROR_INVALID_ARGUMENT = 1, /* null handle or pointer, zero or absurd size */
    CLAW_ERROR_OUT_OF_MEMORY = 2,    /* host or device memory exhausted */
    CLAW_ERROR_NO_DEVICE = 3,        /* no such device index, or CLAW_DEVICE names none */
    CLAW_ERROR_IO = 4,               /* a fat-binary file could not be read */
    CLAW_ERROR_INVALID_FATBIN = 5,   /* truncated, corrupted or foreign fat binary */
    CLAW_ERROR_NO_IMAGE = 6,         /* the fat binary has no image this device can run */
    CLAW_ERROR_MODULE_LOAD = 7,      /* the driver refused the image (JIT log in the message) */
    CLAW_ERROR_KERNEL_NOT_FOUND = 8, /* no kernel of that name in the module */
    CLAW_ERROR_ARGUMENTS = 9,        /* argument count, size or pointer value is wrong */
    CLAW_ERROR_LAUNCH_CONFIG = 10,   /* grid or block refused (@workgroup, device limits) */
    CLAW_ERROR_OUT_OF_BOUNDS = 11,   /* a read or write past a buffer's end */
    CLAW_ERROR_DEVICE = 12,          /* a driver call failed (its result name in the message) */
    CLAW_ERROR_LAUNCH_FAILED = 13,   /* a kernel failed on the device (seen at synchronize) */
} claw_status;

CLAW_API const char *claw_status_string(claw_status s);
/* This thread's last detailed error message ("" when none yet). */
CLAW_API const char *claw_last_error(void);

typedef enum claw_backend { CLAW_BACKEND_CUDA, CLAW_BACKEND_HIP, CLAW_BACKEND_VULKAN } claw_backend;

typedef struct claw_device claw_device;
typedef struct claw_module claw_module;
typedef struct claw_kernel claw_kernel;
typedef struct claw_buffer claw_buffer;
typedef struct claw_stream claw_stream; /* an in-order queue of work on one device */
typedef struct claw_event claw_event;

typedef struct claw_device_props {
    char name[256];
    claw_backend backend;
    char arch[32]; /* "sm_90", "gfx942", "vulkan1.3" */
    uint64_t global_mem_bytes;
    uint32_t max_threads_per_block;
    uint32_t shared_mem_per_block;
    uint32_t subgroup_size;
    /* v0.2 additions (docs/runtime.md "Device properties") */
    uint32_t max_grid[3];  /* what claw_launch accepts, after the runtime's splitting */
    uint32_t max_block[3]; /* per-dimension block limit */
    uint32_t matrix_units; /* non-zero when matrix operations run on hardware matrix units */
    uint64_t features;     /* CLAW_FEATURE_* bits: optional capabilities the device has */
} claw_device_props;

/* claw_device_props.features: kernels using these need the device to have them. */
#define CLAW_FEATURE_F16          (UINT64_C(1) << 0) /* f16 arithmetic */
#define CLAW_FEATURE_F64          (UINT64_C(1) << 1) /* f64 arithmetic */
#define CLAW_FEATURE_ATOMIC64     (UINT64_C(1) << 2) /* 64-bit integer atomics on global memory */
#define CLAW_FEATURE_ATOMIC_FLOAT (UINT64_C(1) << 3) /* f32 atomic_add on global memory */

/* Devices: listed backend by backend (CUDA, HIP, Vulkan). CLAW_DEVICE=
 * vulkan:0 (cuda:1, hip:0) moves that device to index 0. Devices live until
 * claw_shutdown or process exit. */
CLAW_API claw_status claw_device_count(int *count);
CLAW_API claw_status claw_device_get(int index, claw_device **out);
CLAW_API claw_status claw_device_props_get(claw_device *dev, claw_device_props *out);

/* Modules: the runtime keeps its own copy of the fat binary. */
CLAW_API claw_status claw_module_load(claw_device *dev, const void *fatbin, size_t size,
                                      claw_module **out);
CLAW_API claw_status claw_module_load_file(claw_device *dev, const char *path, claw_module **out);
/* Waits for the device, then frees the module and its kernels. */
CLAW_API void claw_module_unload(claw_module *m);
/* The kernel handle lives as long as its module. */
CLAW_API claw_status claw_kernel_get(claw_module *m, const char *name, claw_kernel **out);

/* Buffers. claw_write and claw_read are ordered after every launch made
 * before them on the buffer's device (they wait for those launches). */
CLAW_API claw_status claw_alloc(claw_device *dev, size_t bytes, claw_buffer **out);
CLAW_API void claw_free(claw_buffer *b);
CLAW_API uint64_t claw_buffer_address(claw_buffer *b); /* the value a pointer parameter takes */
CLAW_API claw_status claw_write(claw_buffer *b, size_t offset, const void *src, size_t bytes);
CLAW_API claw_status claw_read(claw_buffer *b, size_t offset, void *dst, size_t bytes);

/* Launches k asynchronously; args[i] points at parameter i's value (a
 * pointer parameter's value is a uint64_t from claw_buffer_address, plus an
 * offset inside that buffer). */
CLAW_API claw_status claw_launch(claw_kernel *k, const uint32_t grid[3], const uint32_t block[3],
                                 const void *const *args, size_t nargs);
/* Waits for every launch on dev and reports a failure that happened there. */
CLAW_API claw_status claw_synchronize(claw_device *dev);

/* ---- v0.2: streams, events, timing, interop (docs/runtime.md) ----------
 * A NULL stream is the device's default stream, the one claw_launch,
 * claw_write and claw_read use; claw_synchronize waits for every stream of
 * the device. claw_write_on and claw_read_on return at once: src and dst
 * must stay valid until the stream has passed them. claw_fill_on writes a
 * 32-bit pattern (offset and bytes multiples of 4). docs/runtime.md has
 * every error and the threading rules. */
CLAW_API claw_status claw_stream_create(claw_device *dev, claw_stream **out);
CLAW_API void claw_stream_destroy(claw_stream *s); /* waits for its work first */
CLAW_API claw_status claw_stream_synchronize(claw_stream *s);
CLAW_API claw_status claw_launch_on(claw_stream *s, claw_kernel *k, const uint32_t grid[3],
                                    const uint32_t block[3], const void *const *args, size_t nargs);
CLAW_API claw_status claw_write_on(claw_stream *s, claw_buffer *b, size_t offset, const void *src,
                                   size_t bytes);
CLAW_API claw_status claw_read_on(claw_stream *s, claw_buffer *b, size_t offset, void *dst,
                                  size_t bytes);
CLAW_API claw_status claw_copy_on(claw_stream *s, claw_buffer *dst, size_t dst_offset,
                                  claw_buffer *src, size_t src_offset, size_t bytes);
CLAW_API claw_status claw_fill_on(claw_stream *s, claw_buffer *b, size_t offset, size_t bytes,
                                  uint32_t value);

CLAW_API claw_status claw_event_create(claw_device *dev, claw_event **out);
CLAW_API void claw_event_destroy(claw_event *e);
/* Marks the point the stream has reached. */
CLAW_API claw_status claw_event_record(claw_event *e, claw_stream *s);
/* Later work on s waits for e. */
CLAW_API claw_status claw_stream_wait(claw_stream *s, claw_event *e);
CLAW_API claw_status claw_event_synchronize(claw_event *e);
/* Device time between two recorded events, in milliseconds (waits for both). */
CLAW_API claw_status claw_event_elapsed(claw_event *start, claw_event *end, double *ms);

/* A buffer over memory another library owns (a CUDA or HIP device pointer);
 * claw_free forgets it without freeing. Vulkan refuses. */
CLAW_API claw_status claw_buffer_wrap(claw_device *dev, uint64_t address, size_t bytes,
                                      claw_buffer **out);
/* CUcontext, hipDevice_t (as a pointer-sized value), VkDevice. */
CLAW_API claw_status claw_device_native(claw_device *dev, void **handle);
/* The triple and architecture of the image claw_module_load chose. */
CLAW_API claw_status claw_module_image(claw_module *m, char *triple, size_t triple_size, char *arch,
                                       size_t arch_size);

/* ---- further additions (same naming) ---------------------------------- */

/* claw_launch that also checks sizes[i] (the sizeof of the value args[i]
 * points at) against the kernel metadata; --emit=c-header wrappers use it. */
CLAW_API claw_status claw_launch_sized(claw_kernel *k, const uint32_t grid[3],
                                       const uint32_t block[3], const void *const *args,
                                       const size_t *sizes, size_t nargs);
/* Variants (clawc --variants, docs/runtime.md "Variants"): a kernel runs
 * from the variant its tuning record names for the device's architecture,
 * otherwise from the first. claw_kernel_block_size gives that variant's
 * fixed block (@workgroup, unused dimensions 1), or {0, 0, 0} when the
 * kernel takes any block. claw_kernel_variant writes its -D settings
 * ("BLOCK=128;UNROLL=2", "" for a build without variants), truncated to
 * size bytes with a NUL; CLAW_ERROR_INVALID_ARGUMENT when they do not fit. */
CLAW_API claw_status claw_kernel_block_size(claw_kernel *k, uint32_t block[3]);
CLAW_API claw_status claw_kernel_variant(claw_kernel *k, char *settings, size_t size);

/* claw_launch_sized on a stream (NULL: the default stream); the
 * --emit=c-header NAME_launch_on wrappers use it. */
CLAW_API claw_status claw_launch_sized_on(claw_stream *s, claw_kernel *k, const uint32_t grid[3],
                                          const uint32_t block[3], const void *const *args,
                                          const size_t *sizes, size_t nargs);
/* Frees every module and buffer and closes every device (for leak checkers
 * and plugins); handles from before it are invalid afterwards, and the next
 * call lists devices afresh. Backend libraries (and the Vulkan instance)
 * stay loaded until the process exits: drivers do not unload cleanly. */
CLAW_API void claw_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
