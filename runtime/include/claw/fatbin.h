/* claw/fatbin.h: reading and writing OpenClaw fat binaries (.clawfb).
 *
 * A fat binary is a sequence of LLVM OffloadBinary (version 1) entries, one
 * per image, each padded to 8 bytes, so llvm-objdump --offloading and
 * clang-offload-packager read it. Each entry's string map holds `triple`,
 * `arch`, and the kernel metadata (encoding: docs/fatbin.md).
 *
 * The reader trusts nothing: every offset, size, count and string is
 * bounds-checked; bad input gives an error message, never a crash. Shared by
 * clawc (writer) and libclawrt (reader). Plain C11, no dependencies. */
#ifndef CLAW_FATBIN_H
#define CLAW_FATBIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum claw_fb_param_kind {
    CLAW_FB_PARAM_SCALAR = 0,
    CLAW_FB_PARAM_POINTER = 1,
    CLAW_FB_PARAM_STRUCT = 2,
} claw_fb_param_kind;

typedef struct claw_fb_param {
    const char *name;
    claw_fb_param_kind kind;
    uint32_t size;        /* bytes, C size */
    uint32_t align;       /* bytes, C alignment */
} claw_fb_param;

typedef struct claw_fb_kernel {
    const char *name;
    uint32_t nparams;
    const claw_fb_param *params;
    uint32_t workgroup[3];  /* fixed block size, or {0,0,0} */
    uint32_t shared_bytes;  /* static shared memory */
    uint32_t bounds_checked; /* 1: compiled with -fsanitize=bounds, takes the hidden
                                arguments of docs/debugging.md ("bounds" on its line) */
} claw_fb_kernel;

typedef struct claw_fb_image {
    const char *triple;     /* "nvptx64-nvidia-cuda", "amdgcn-amd-amdhsa", "spirv64-unknown-vulkan1.2" */
    const char *arch;       /* "sm_90", "gfx942", "vulkan1.2" */
    uint16_t image_kind;    /* OffloadBinary ImageKind, CLAW_FB_IMG_* below (docs/fatbin.md) */
    const void *data;
    size_t size;
    uint32_t nkernels;
    const claw_fb_kernel *kernels;
} claw_fb_image;

/* OffloadBinary image kinds (llvm/Object/OffloadBinary.h). */
enum { CLAW_FB_IMG_OBJECT = 1, CLAW_FB_IMG_BITCODE = 2, CLAW_FB_IMG_CUBIN = 3,
       CLAW_FB_IMG_FATBINARY = 4, CLAW_FB_IMG_PTX = 5, CLAW_FB_IMG_SPIRV = 6 };

/* Serialises images into a malloc'd buffer (*out, *out_size). Returns 0, or
 * -1 with a message in err (errlen bytes) when an input is out of range. */
int claw_fb_write(const claw_fb_image *images, size_t nimages, void **out, size_t *out_size,
                  char *err, size_t errlen);

/* What an entry carries beyond claw_fb_image (docs/fatbin.md "String map").
 * Kept apart from claw_fb_image so that image initialisers stay valid. */
typedef struct claw_fb_entry {
    size_t offset;             /* reader: where the entry starts in the file */
    size_t size;               /* reader: its bytes, padding included */
    const char *variant;       /* "claw.variant": "BLOCK=128;UNROLL=2", or NULL */
    const char *tuned;         /* "claw.tuned": lines "KERNEL DEVICE-ARCH\n", or NULL */
    const char *bounds;        /* "claw.bounds": the access sites of -fsanitize=bounds
                                  (docs/debugging.md), or NULL */
    size_t nstrings;           /* other string-map entries, in file order */
    const char *const *strings; /* nstrings (key, value) pairs: strings[2i], strings[2i+1] */
    const char *requires;      /* "claw.requires": device features the image needs, words
                                  separated by single spaces (CLAW_FB_FEATURE_*), or NULL */
} claw_fb_entry;

/* Device features a "claw.requires" word names (docs/fatbin.md). */
#define CLAW_FB_FEATURE_VK_COOPMAT "vk_coopmat_f16_16x16x16_f32" /* VK_KHR_cooperative_matrix:
    subgroup scope, M = N = K = 16, A and B f16, C and the result f32 */

/* Serialises images, each with the extra strings of entries[i] (entries may
 * be NULL: none). Offsets and sizes in entries are ignored. Refuses a
 * malformed variant or tuning value and extra keys that the format reserves
 * (triple, arch, claw.kernels, claw.variant, claw.tuned, claw.bounds, claw.requires). */
int claw_fb_write_entries(const claw_fb_image *images, const claw_fb_entry *entries,
                          size_t nimages, void **out, size_t *out_size, char *err, size_t errlen);

/* A parsed fat binary. Image data points into the caller's buffer, which
 * must outlive the claw_fb_file; names and metadata are owned by it. */
typedef struct claw_fb_file {
    size_t nimages;
    claw_fb_image *images;
    claw_fb_entry *entries; /* nimages of them, parallel to images */
} claw_fb_file;

/* Parses size bytes at data. Returns 0 and a new file in *out, or -1 with a
 * one-line message in err saying what is wrong and at which byte offset. */
int claw_fb_read(const void *data, size_t size, claw_fb_file **out, char *err, size_t errlen);
void claw_fb_free(claw_fb_file *f);

/* Tuning records (docs/fatbin.md "Variants and tuning"): rewrites the fat
 * binary at data so that, on devices of architecture device_arch, kernel
 * `kernel` runs from the variant of image `image`: the record "kernel
 * device_arch" is removed from every other image and added to that one.
 * Returns 0 and a malloc'd file in *out, or -1 with a message. */
int claw_fb_record_tuning(const void *data, size_t size, const char *kernel,
                          const char *device_arch, size_t image, void **out, size_t *out_size,
                          char *err, size_t errlen);

/* 1 when image `img` of f carries the tuning record "kernel device_arch". */
int claw_fb_is_tuned(const claw_fb_file *f, size_t img, const char *kernel,
                     const char *device_arch);

#ifdef __cplusplus
}
#endif
#endif
