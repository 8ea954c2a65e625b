/* check.c: the runtime's decisions that need no device: which image of a
 * fat binary a device runs (docs/runtime.md, "Modules and kernels"), how
 * kernel arguments are laid out (C size and alignment, declaration order:
 * docs/runtime.md, "How each backend runs a kernel"), whether a
 * launch configuration is allowed, and architecture names.
 *
 * Kept apart from core.c so that unit tests can drive every branch with
 * made-up devices (there is no AMD GPU, and often no NVIDIA GPU, to test on). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

static claw_backend
image_backend(const claw_fb_image *img, bool *known)
{
    *known = true;
    if (strncmp(img->triple, "nvptx", 5) == 0)
        return CLAW_BACKEND_CUDA;
    if (strncmp(img->triple, "amdgcn", 6) == 0)
        return CLAW_BACKEND_HIP;
    if (strncmp(img->triple, "spirv", 5) == 0)
        return CLAW_BACKEND_VULKAN;
    *known = false;
    return CLAW_BACKEND_VULKAN;
}

/* Parses "<prefix><digits>" exactly (no suffix such as the "a" of sm_90a,
 * whose code runs on that architecture only: PTX ISA 9.7, "sm_90a"). */
static bool
parse_numbered(const char *s, const char *prefix, unsigned *out)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0 || s[n] == '\0')
        return false;
    unsigned v = 0;
    for (const char *p = s + n; *p; p++) {
        if (*p < '0' || *p > '9' || v > 100000)
            return false;
        v = v * 10 + (unsigned)(*p - '0');
    }
    *out = v;
    return true;
}

/* "vulkan1.3" -> 103; "vulkan1.3-coopmat" (the cooperative-matrix image,
 * docs/fatbin.md) too. */
static bool
parse_vulkan_version(const char *s, unsigned *out)
{
    unsigned major, minor;
    int used = 0;
    if (sscanf(s, "vulkan%u.%u%n", &major, &minor, &used) != 2 || major > 99 || minor > 99)
        return false;
    if (s[used] && strcmp(s + used, "-coopmat") != 0)
        return false;
    *out = major * 100 + minor;
    return true;
}

static const char *
backend_name(claw_backend be)
{
    switch (be) {
    case CLAW_BACKEND_CUDA: return "CUDA";
    case CLAW_BACKEND_HIP: return "HIP";
    case CLAW_BACKEND_VULKAN: return "Vulkan";
    }
    return "unknown";
}

static void
describe_failure(const claw_fb_file *f, claw_backend be, const char *arch, char *why, size_t whylen)
{
    size_t at = 0;
    int n =
        snprintf(why, whylen, "no image in the fat binary fits this %s device (arch %s); images:",
                 backend_name(be), arch);
    at = n > 0 ? (size_t)n : 0;
    bool have_spirv = false, have_other = false;
    for (size_t i = 0; i < f->nimages && at < whylen; i++) {
        bool known;
        claw_backend ib = image_backend(&f->images[i], &known);
        have_spirv |= known && ib == CLAW_BACKEND_VULKAN;
        have_other |= known && ib != CLAW_BACKEND_VULKAN;
        n = snprintf(why + at, whylen - at, "%s %s %s", i ? "," : "", f->images[i].triple,
                     f->images[i].arch);
        at += n > 0 ? (size_t)n : 0;
    }
    const char *hint = "";
    if (be != CLAW_BACKEND_VULKAN && have_spirv)
        hint = "; SPIR-V images run only on Vulkan devices (try CLAW_DEVICE=vulkan:0)";
    else if (be == CLAW_BACKEND_CUDA)
        hint = "; PTX runs on its own sm_ and newer GPUs only: recompile with "
               "--target=nvptx:<this arch> or older";
    else if (be == CLAW_BACKEND_VULKAN && have_other)
        hint = "; recompile with --target=spirv";
    else if (be == CLAW_BACKEND_HIP)
        hint = "; AMDGPU code objects run only on their own gfx arch: recompile with "
               "--target=amdgpu:<this arch>";
    if (at < whylen)
        snprintf(why + at, whylen - at, "%s", hint);
}

/* ---- image ranking: one function per backend, named by its RtBackend
 * table (rank_image). Higher is better; -1: this device cannot run it. */

int
rt_rank_cuda_image(const claw_fb_image *img, const char *dev_arch)
{
    /* An exact cubin needs no JIT at all; PTX for the device's own arch is
     * JIT-compiled for it; PTX for an older sm_ is JIT-compiled on any GPU
     * at least as new as its .target (PTX ISA 1.2 "compatibility"), the
     * newest such the best. Cubins run on their own arch only (this runtime
     * does not rely on SASS compatibility within a major version), and
     * arch-specific "a" code (sm_90a) on that arch only (PTX ISA 9.7). The
     * device's own "a" suffix does not matter for generic PTX. */
    if (strcmp(img->arch, dev_arch) == 0)
        return img->image_kind == CLAW_FB_IMG_CUBIN ? 3000000
               : img->image_kind == CLAW_FB_IMG_PTX ? 2000000
                                                    : -1;
    char base[64];
    snprintf(base, sizeof base, "%s", dev_arch);
    size_t bl = strlen(base);
    if (bl > 0 && base[bl - 1] == 'a')
        base[bl - 1] = '\0';
    unsigned dev_v, v;
    if (img->image_kind != CLAW_FB_IMG_PTX || !parse_numbered(base, "sm_", &dev_v) ||
        !parse_numbered(img->arch, "sm_", &v) || v > dev_v)
        return -1;
    return 1000000 + (int)v;
}

int
rt_rank_hip_image(const claw_fb_image *img, const char *dev_arch)
{
    /* A code object is built for one gfx arch; none is compatible with
     * another. Target-ID features (":sramecc+") are dropped on both sides. */
    char img_arch[64], dev[64];
    rt_hip_arch_name(img->arch, img_arch, sizeof img_arch);
    rt_hip_arch_name(dev_arch, dev, sizeof dev);
    return img->image_kind == CLAW_FB_IMG_OBJECT && strcmp(img_arch, dev) == 0 ? 1 : -1;
}

int
rt_rank_vulkan_image(const claw_fb_image *img, const char *dev_arch)
{
    /* A module for an older Vulkan version runs on a newer device; the
     * newest not newer than the device is the best. */
    unsigned v, dev_v;
    if (img->image_kind != CLAW_FB_IMG_SPIRV || !parse_vulkan_version(img->arch, &v) ||
        !parse_vulkan_version(dev_arch, &dev_v) || v > dev_v)
        return -1;
    return (int)v;
}

static const RtBackend *
backend_table(claw_backend be)
{
    switch (be) {
    case CLAW_BACKEND_CUDA: return &rt_cuda_backend;
    case CLAW_BACKEND_HIP: return &rt_hip_backend;
    case CLAW_BACKEND_VULKAN: return &rt_vulkan_backend;
    }
    return NULL;
}

/* The RT_FEAT_* bits image i requires; false when its "claw.requires"
 * names a word this runtime does not know (then *unknown points at it). */
static bool
required_features(const claw_fb_file *f, size_t i, uint32_t *bits, const char **unknown,
                  size_t *unknown_len)
{
    *bits = 0;
    const char *p = f->entries ? f->entries[i].requires : NULL;
    while (p && *p) {
        size_t n = strcspn(p, " ");
        if (n == strlen(CLAW_FB_FEATURE_VK_COOPMAT) && strncmp(p, CLAW_FB_FEATURE_VK_COOPMAT, n) == 0) {
            *bits |= RT_FEAT_VK_COOPMAT;
        } else {
            *unknown = p;
            *unknown_len = n;
            return false;
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    return true;
}

/* What an image that needs device features gains over any that needs none. */
enum { RT_FEATURE_BONUS = 100000000 };

bool
rt_coopmat_fits(const RtCoopmatShape *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (s[i].m == 16 && s[i].n == 16 && s[i].k == 16 && s[i].a == 0 && s[i].b == 0 &&
            s[i].c == 1 && s[i].result == 1 && !s[i].saturating && s[i].scope == 3)
            return true;
    return false;
}

int
rt_choose_image(const claw_fb_file *f, claw_backend be, const char *arch, char *why, size_t whylen)
{
    return rt_choose_image_for(f, be, arch, 0, why, whylen);
}

int
rt_choose_image_for(const claw_fb_file *f, claw_backend be, const char *arch, uint32_t features,
                    char *why, size_t whylen)
{
    const RtBackend *b = backend_table(be);
    if (!f || !arch || !b) {
        snprintf(why, whylen, "no fat binary or device architecture");
        return -1;
    }
    /* The best rank of the backend's own images; the first among equals,
     * which is the first variant of a clawc --variants build. */
    int best = -1, best_rank = -1;
    for (size_t i = 0; i < f->nimages; i++) {
        bool known;
        if (image_backend(&f->images[i], &known) != be || !known)
            continue;
        int r = b->rank_image(&f->images[i], arch);
        uint32_t need;
        const char *unk;
        size_t unk_len;
        if (r >= 0 && (!required_features(f, i, &need, &unk, &unk_len) || (need & ~features)))
            r = -1;
        else if (r >= 0 && need)
            r += RT_FEATURE_BONUS;
        if (r >= 0 && r > best_rank) {
            best = (int)i;
            best_rank = r;
        }
    }
    if (best >= 0)
        return best;
    describe_failure(f, be, arch, why, whylen);
    return -1;
}

int
rt_choose_variant(const claw_fb_file *f, int base, const char *kernel, const char *dev_arch)
{
    if (!f || base < 0 || (size_t)base >= f->nimages || !f->entries || !kernel || !dev_arch)
        return base;
    const claw_fb_image *b = &f->images[base];
    for (size_t i = 0; i < f->nimages; i++) {
        const claw_fb_image *img = &f->images[i];
        if (img->image_kind == b->image_kind && strcmp(img->triple, b->triple) == 0 &&
            strcmp(img->arch, b->arch) == 0 && claw_fb_is_tuned(f, i, kernel, dev_arch))
            return (int)i;
    }
    return base;
}

void
rt_explain_image(const claw_fb_file *f, size_t i, int chosen, claw_backend be, const char *arch,
                 char *out, size_t outlen)
{
    rt_explain_image_for(f, i, chosen, be, arch, 0, out, outlen);
}

static const char coopmat_words[] =
    "cooperative matrices (VK_KHR_cooperative_matrix: 16x16x16, f16 A and B, f32 accumulator, "
    "subgroup scope)";

void
rt_explain_image_for(const claw_fb_file *f, size_t i, int chosen, claw_backend be,
                     const char *arch, uint32_t features, char *out, size_t outlen)
{
    const claw_fb_image *img = &f->images[i];
    uint32_t need = 0, chosen_need = 0;
    const char *unk = NULL;
    size_t unk_len = 0;
    bool need_known = required_features(f, i, &need, &unk, &unk_len);
    if (chosen >= 0 && (size_t)chosen < f->nimages) {
        const char *u2;
        size_t l2;
        required_features(f, (size_t)chosen, &chosen_need, &u2, &l2);
    }
    bool known;
    claw_backend ib = image_backend(img, &known);
    char dev_arch[64], img_arch[64];
    snprintf(dev_arch, sizeof dev_arch, "%s", arch);
    snprintf(img_arch, sizeof img_arch, "%s", img->arch);
    if (be == CLAW_BACKEND_HIP) {
        rt_hip_arch_name(arch, dev_arch, sizeof dev_arch);
        rt_hip_arch_name(img->arch, img_arch, sizeof img_arch);
    }
    bool exact = strcmp(img_arch, dev_arch) == 0;
    unsigned iv = 0, dv = 0;
    if (!known) {
        snprintf(out, outlen, "passed over: unknown target triple");
    } else if (ib != be) {
        snprintf(out, outlen, "passed over: a %s image, and this is a %s device", backend_name(ib),
                 backend_name(be));
    } else if (!need_known) {
        snprintf(out, outlen, "passed over: needs device feature '%.*s', which this runtime "
                              "does not know", (int)(unk_len > 64 ? 64 : unk_len), unk);
    } else if (need & ~features) {
        snprintf(out, outlen, "passed over: needs %s, which this device lacks", coopmat_words);
    } else if ((int)i == chosen && need) {
        snprintf(out, outlen, "chosen: uses the device's %s", coopmat_words);
    } else if ((int)i == chosen) {
        snprintf(out, outlen, "chosen: %s",
                 exact ? "exact architecture"
                       : "the newest compatible image (older "
                         "architecture or API version)");
    } else if (chosen_need && !need && chosen >= 0) {
        snprintf(out, outlen, "passed over: image %d uses the device's cooperative matrices",
                 chosen);
    } else if (exact) {
        snprintf(out, outlen, "passed over: image %d has the same architecture and comes first",
                 chosen);
    } else if (be == CLAW_BACKEND_CUDA && img->image_kind != CLAW_FB_IMG_PTX) {
        snprintf(out, outlen, "passed over: a %s binary runs on %s only", img->arch, img->arch);
    } else if (be == CLAW_BACKEND_CUDA && parse_numbered(img->arch, "sm_", &iv) &&
               sscanf(dev_arch, "sm_%u", &dv) == 1 && iv > dv) {
        snprintf(out, outlen, "passed over: PTX for %s needs that GPU generation or newer",
                 img->arch);
    } else if (be == CLAW_BACKEND_VULKAN && parse_vulkan_version(img->arch, &iv) &&
               parse_vulkan_version(dev_arch, &dv) && iv > dv) {
        snprintf(out, outlen, "passed over: needs %s, the device offers %s", img->arch, dev_arch);
    } else if (be == CLAW_BACKEND_HIP) {
        snprintf(out, outlen,
                 "passed over: AMDGPU code objects run on their own gfx architecture "
                 "only");
    } else if (chosen >= 0) {
        snprintf(out, outlen, "passed over: image %d fits better", chosen);
    } else {
        snprintf(out, outlen, "passed over: architecture %s is not understood", img->arch);
    }
}

bool
rt_arch_has_matrix_units(claw_backend be, const char *arch)
{
    /* the archs whose images clawc compiles to matrix instructions
     * (docs/matrix.md): mma.sync from sm_75 (m16n8k8 there, f16 tiles;
     * a module with bf16 tiles takes the fallback on sm_75);
     * MFMA on gfx90a and gfx940/941/942, WMMA on gfx1100/1101/1102 */
    unsigned v;
    if (!arch)
        return false;
    if (be == CLAW_BACKEND_CUDA)
        return sscanf(arch, "sm_%u", &v) == 1 && v >= 75;
    if (be == CLAW_BACKEND_HIP) {
        static const char *const names[] = {"gfx90a", "gfx940",  "gfx941", "gfx942",
                                            "gfx1100", "gfx1101", "gfx1102"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            size_t n = strlen(names[i]);
            /* the processor, alone or followed by target features */
            if (strncmp(arch, names[i], n) == 0 && (arch[n] == '\0' || arch[n] == ':'))
                return true;
        }
    }
    return false;
}

bool
rt_layout_params(const claw_fb_kernel *meta, uint32_t *offsets, size_t *size)
{
    uint64_t at = 0, max_align = 1;
    for (uint32_t i = 0; i < meta->nparams; i++) {
        const claw_fb_param *p = &meta->params[i];
        uint64_t align = p->align ? p->align : 1;
        at = (at + align - 1) / align * align;
        if (at > UINT32_MAX)
            return false;
        offsets[i] = (uint32_t)at;
        at += p->size;
        if (align > max_align)
            max_align = align;
    }
    at = (at + max_align - 1) / max_align * max_align;
    if (at > UINT32_MAX)
        return false;
    *size = (size_t)at;
    return true;
}

claw_status
rt_check_launch_config(const claw_fb_kernel *meta, const claw_device_props *props,
                       const RtLimits *limits, const uint32_t grid[3], const uint32_t block[3])
{
    static const char dims[3] = {'x', 'y', 'z'};
    for (int i = 0; i < 3; i++) {
        if (grid[i] == 0 || block[i] == 0)
            return rt_error(CLAW_ERROR_LAUNCH_CONFIG,
                            "kernel '%s': grid (%u, %u, %u) and block (%u, %u, %u) must be at "
                            "least 1 in every dimension",
                            meta->name, grid[0], grid[1], grid[2], block[0], block[1], block[2]);
    }
    if (meta->workgroup[0] != 0) {
        uint32_t wg[3];
        for (int i = 0; i < 3; i++)
            wg[i] = meta->workgroup[i] ? meta->workgroup[i] : 1;
        if (block[0] != wg[0] || block[1] != wg[1] || block[2] != wg[2])
            return rt_error(CLAW_ERROR_LAUNCH_CONFIG,
                            "kernel '%s' has @workgroup(%u, %u, %u) and must be launched with "
                            "exactly that block, not (%u, %u, %u)",
                            meta->name, wg[0], wg[1], wg[2], block[0], block[1], block[2]);
    }
    for (int i = 0; i < 3; i++) {
        if (block[i] > limits->max_block[i])
            return rt_error(CLAW_ERROR_LAUNCH_CONFIG,
                            "kernel '%s': block.%c = %u exceeds the device limit %u (%s)",
                            meta->name, dims[i], block[i], limits->max_block[i], props->name);
        if (grid[i] > limits->max_grid[i])
            return rt_error(CLAW_ERROR_LAUNCH_CONFIG,
                            "kernel '%s': grid.%c = %u exceeds the device limit %u (%s)",
                            meta->name, dims[i], grid[i], limits->max_grid[i], props->name);
    }
    /* global_id is a u32 per dimension (docs/language.md): a launch whose
     * global ids would not fit would wrap silently, so it is refused. */
    for (int i = 0; i < 3; i++)
        if ((uint64_t)grid[i] * block[i] > (uint64_t)UINT32_MAX + 1)
            return rt_error(CLAW_ERROR_LAUNCH_CONFIG,
                            "kernel '%s': grid.%c x block.%c = %u x %u = %llu threads, more than "
                            "the 2^32 that global_id.%c (a u32) can number",
                            meta->name, dims[i], dims[i], grid[i], block[i],
                            (unsigned long long)grid[i] * block[i], dims[i]);
    uint64_t threads = (uint64_t)block[0] * block[1] * block[2];
    if (threads > props->max_threads_per_block)
        return rt_error(CLAW_ERROR_LAUNCH_CONFIG,
                        "kernel '%s': block (%u, %u, %u) has %llu threads, more than the %u the "
                        "device allows (%s)",
                        meta->name, block[0], block[1], block[2], (unsigned long long)threads,
                        props->max_threads_per_block, props->name);
    if (meta->shared_bytes > props->shared_mem_per_block)
        return rt_error(CLAW_ERROR_LAUNCH_CONFIG,
                        "kernel '%s' needs %u bytes of shared memory; the device has %u per block",
                        meta->name, meta->shared_bytes, props->shared_mem_per_block);
    return CLAW_SUCCESS;
}

void
rt_cuda_arch_name(int major, int minor, char *out, size_t outlen)
{
    snprintf(out, outlen, "sm_%d%d", major, minor);
}

void
rt_hip_arch_name(const char *gcn_arch_name, char *out, size_t outlen)
{
    /* Target ID syntax (AMDGPUUsage "Target ID"): processor, then ':feature+/-'. */
    size_t n = strcspn(gcn_arch_name, ":");
    if (outlen == 0)
        return;
    if (n >= outlen)
        n = outlen - 1;
    memmove(out, gcn_arch_name, n);
    out[n] = '\0';
}
