/* test_runtime.c: unit tests of libclawrt (runtime/, docs/runtime.md).
 *
 * Three groups:
 *   - decisions without a device (runtime/check.c): image choice for CUDA,
 *     HIP and Vulkan devices, C-layout argument packing (what the HIP
 *     kernarg buffer and the Vulkan push constants hold), launch-shape
 *     checks, architecture names;
 *   - every public entry point given null or foreign handles and bad
 *     arguments: each returns an error code with a message, none crashes;
 *   - on the first Vulkan device (lavapipe here), a hand-written SPIR-V saxpy
 *     (tests/e2e/saxpy_asm.spvasm, assembled by the build) packed with
 *     claw_fb_write: it runs and matches C, and each bad launch, bad copy,
 *     unknown kernel and bad fat binary is refused with a message. These
 *     tests say so and pass when no Vulkan device exists. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/claw.h"
#include "claw/fatbin.h"
#include "rt.h"

/* ---- image choice ----------------------------------------------------------- */

static claw_fb_image
img(const char *triple, const char *arch, uint16_t kind)
{
    return (claw_fb_image){triple, arch, kind, "x", 1, 0, NULL};
}

static int
choose(claw_fb_image *images, size_t n, claw_backend be, const char *arch, char *why)
{
    claw_fb_file f = {.nimages = n, .images = images};
    why[0] = '\0';
    return rt_choose_image(&f, be, arch, why, 1024);
}

START_TEST(choose_cuda)
{
    char why[1024];
    claw_fb_image imgs[] = {
        img("nvptx64-nvidia-cuda", "sm_75", CLAW_FB_IMG_PTX),
        img("spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV),
        img("nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX),
        img("nvptx64-nvidia-cuda", "sm_90a", CLAW_FB_IMG_PTX),
        img("amdgcn-amd-amdhsa", "gfx942", CLAW_FB_IMG_OBJECT),
    };
    /* Exact first, then the newest older PTX; sm_90a runs on sm_90a only. */
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_80", why), 2);
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_90a", why), 3);
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_90", why), 2);
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_100", why), 2);
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_86", why), 2);
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_75", why), 0);
    /* Too old a GPU for every PTX image: say what is there. */
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_70", why), -1);
    ck_assert_ptr_nonnull(strstr(why, "sm_70"));
    ck_assert_ptr_nonnull(strstr(why, "sm_75"));
    ck_assert_ptr_nonnull(strstr(why, "gfx942"));
    /* A cubin never runs on another arch. */
    claw_fb_image cubin[] = {img("nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_CUBIN)};
    ck_assert_int_eq(choose(cubin, 1, CLAW_BACKEND_CUDA, "sm_80", why), 0);
    ck_assert_int_eq(choose(cubin, 1, CLAW_BACKEND_CUDA, "sm_90", why), -1);
}
END_TEST

/* Each backend's table ranks images: CUDA prefers an exact cubin to exact
 * PTX to the newest older PTX, wherever they sit in the file; cubins for
 * another arch are never chosen. */
START_TEST(rank_images)
{
    char why[1024];
    claw_fb_image imgs[] = {
        img("nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX),
        img("nvptx64-nvidia-cuda", "sm_90", CLAW_FB_IMG_PTX),
        img("nvptx64-nvidia-cuda", "sm_86", CLAW_FB_IMG_CUBIN),
        img("nvptx64-nvidia-cuda", "sm_90", CLAW_FB_IMG_CUBIN),
        img("nvptx64-nvidia-cuda", "sm_75", CLAW_FB_IMG_CUBIN),
    };
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_90", why), 3);
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_86", why), 2);
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_89", why), 0);  /* PTX JIT */
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_100", why), 1); /* newest PTX */
    ck_assert_int_eq(choose(imgs, 5, CLAW_BACKEND_CUDA, "sm_75", why), 4);
    ck_assert_int_eq(choose(imgs + 2, 3, CLAW_BACKEND_CUDA, "sm_80", why), -1);
    /* The order of the file does not matter, only equal ranks. */
    claw_fb_image rev[] = {imgs[3], imgs[1], imgs[0]};
    ck_assert_int_eq(choose(rev, 3, CLAW_BACKEND_CUDA, "sm_90", why), 0);
    ck_assert_int_eq(choose(rev + 1, 2, CLAW_BACKEND_CUDA, "sm_90", why), 0);

    ck_assert_int_gt(rt_rank_cuda_image(&imgs[3], "sm_90"), rt_rank_cuda_image(&imgs[1], "sm_90"));
    ck_assert_int_gt(rt_rank_cuda_image(&imgs[1], "sm_90"), rt_rank_cuda_image(&imgs[0], "sm_90"));
    ck_assert_int_lt(rt_rank_cuda_image(&imgs[2], "sm_90"), 0);
    claw_fb_image spec = img("nvptx64-nvidia-cuda", "sm_90a", CLAW_FB_IMG_PTX);
    ck_assert_int_lt(rt_rank_cuda_image(&spec, "sm_100"), 0);
    ck_assert_int_ge(rt_rank_cuda_image(&imgs[1], "sm_90a"), 0);
    claw_fb_image co = img("amdgcn-amd-amdhsa", "gfx942:sramecc+", CLAW_FB_IMG_OBJECT);
    ck_assert_int_ge(rt_rank_hip_image(&co, "gfx942:xnack-"), 0);
    ck_assert_int_lt(rt_rank_hip_image(&co, "gfx90a"), 0);
    claw_fb_image v12 = img("spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV);
    claw_fb_image v13 = img("spirv64-unknown-vulkan1.3", "vulkan1.3", CLAW_FB_IMG_SPIRV);
    ck_assert_int_gt(rt_rank_vulkan_image(&v13, "vulkan1.3"),
                     rt_rank_vulkan_image(&v12, "vulkan1.3"));
    ck_assert_int_lt(rt_rank_vulkan_image(&v13, "vulkan1.2"), 0);
    /* The tables name their rankers. */
    ck_assert_ptr_eq((void *)rt_cuda_backend.rank_image, (void *)rt_rank_cuda_image);
    ck_assert_ptr_eq((void *)rt_hip_backend.rank_image, (void *)rt_rank_hip_image);
    ck_assert_ptr_eq((void *)rt_vulkan_backend.rank_image, (void *)rt_rank_vulkan_image);
}
END_TEST

/* Variants: the first among equals without a record; the recorded image
 * for that kernel and device arch with one, only among base's variants. */
START_TEST(choose_variant)
{
    char why[1024];
    claw_fb_image imgs[] = {
        img("nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX),
        img("spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV),
        img("nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX),
        img("spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV),
        img("nvptx64-nvidia-cuda", "sm_90", CLAW_FB_IMG_PTX),
        img("nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_CUBIN),
    };
    claw_fb_entry ents[6] = {
        {.variant = "B=1"},
        {.variant = "B=1"},
        {.variant = "B=2", .tuned = "k sm_86\nk vulkan1.3\n"},
        {.variant = "B=2", .tuned = "k vulkan1.3\n"},
        {.variant = "B=3", .tuned = "j sm_86\n"},
        {.variant = "B=4", .tuned = "j sm_80\n"},
    };
    claw_fb_file f = {.nimages = 6, .images = imgs, .entries = ents};
    ck_assert_int_eq(rt_choose_image(&f, CLAW_BACKEND_CUDA, "sm_86", why, sizeof why), 0);
    ck_assert_int_eq(rt_choose_variant(&f, 0, "k", "sm_86"), 2);
    ck_assert_int_eq(rt_choose_variant(&f, 0, "k", "sm_89"), 0);
    ck_assert_int_eq(rt_choose_variant(&f, 0, "other", "sm_86"), 0);
    /* A record on an image of another arch or kind is not a variant of base. */
    ck_assert_int_eq(rt_choose_variant(&f, 0, "j", "sm_86"), 0);
    ck_assert_int_eq(rt_choose_variant(&f, 0, "j", "sm_80"), 0);
    ck_assert_int_eq(rt_choose_variant(&f, 1, "k", "vulkan1.3"), 3);
    ck_assert_int_eq(rt_choose_variant(&f, 1, "k", "vulkan1.2"), 1);
    /* Files without entries (hand-made) and bad arguments keep base. */
    claw_fb_file bare = {.nimages = 6, .images = imgs};
    ck_assert_int_eq(rt_choose_variant(&bare, 0, "k", "sm_86"), 0);
    ck_assert_int_eq(rt_choose_variant(&f, 9, "k", "sm_86"), 9);
    ck_assert_int_eq(rt_choose_variant(&f, 0, NULL, "sm_86"), 0);
}
END_TEST

START_TEST(choose_cuda_spirv_only)
{
    char why[1024];
    claw_fb_image imgs[] = {img("spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV)};
    ck_assert_int_eq(choose(imgs, 1, CLAW_BACKEND_CUDA, "sm_90", why), -1);
    ck_assert_ptr_nonnull(strstr(why, "Vulkan"));
    ck_assert_ptr_nonnull(strstr(why, "vulkan1.2"));
    ck_assert_ptr_nonnull(strstr(why, "sm_90"));
}
END_TEST

START_TEST(choose_hip)
{
    char why[1024];
    claw_fb_image imgs[] = {
        img("amdgcn-amd-amdhsa", "gfx90a", CLAW_FB_IMG_OBJECT),
        img("amdgcn-amd-amdhsa", "gfx942", CLAW_FB_IMG_OBJECT),
        img("nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX),
    };
    ck_assert_int_eq(choose(imgs, 3, CLAW_BACKEND_HIP, "gfx942:sramecc+:xnack-", why), 1);
    ck_assert_int_eq(choose(imgs, 3, CLAW_BACKEND_HIP, "gfx90a", why), 0);
    ck_assert_int_eq(choose(imgs, 3, CLAW_BACKEND_HIP, "gfx1100", why), -1);
    ck_assert_ptr_nonnull(strstr(why, "gfx1100"));
    ck_assert_ptr_nonnull(strstr(why, "gfx90a"));
}
END_TEST

START_TEST(choose_vulkan)
{
    char why[1024];
    claw_fb_image imgs[] = {
        img("nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX),
        img("spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV),
        img("spirv64-unknown-vulkan1.3", "vulkan1.3", CLAW_FB_IMG_SPIRV),
    };
    ck_assert_int_eq(choose(imgs, 3, CLAW_BACKEND_VULKAN, "vulkan1.3", why), 2);
    ck_assert_int_eq(choose(imgs, 3, CLAW_BACKEND_VULKAN, "vulkan1.2", why), 1);
    ck_assert_int_eq(choose(imgs, 2, CLAW_BACKEND_VULKAN, "vulkan1.3", why), 1);
    ck_assert_int_eq(choose(imgs, 1, CLAW_BACKEND_VULKAN, "vulkan1.3", why), -1);
    ck_assert_ptr_nonnull(strstr(why, "--target=spirv"));
    ck_assert_int_eq(choose(imgs + 2, 1, CLAW_BACKEND_VULKAN, "vulkan1.2", why), -1);
}
END_TEST

/* ---- argument packing and launch shapes ----------------------------------- */

START_TEST(layout_params)
{
    claw_fb_param saxpy[] = {{"n", CLAW_FB_PARAM_SCALAR, 4, 4},
                             {"a", CLAW_FB_PARAM_SCALAR, 4, 4},
                             {"x", CLAW_FB_PARAM_POINTER, 8, 8},
                             {"y", CLAW_FB_PARAM_POINTER, 8, 8}};
    claw_fb_kernel k = {"saxpy", 4, saxpy, {0, 0, 0}, 0, 0};
    uint32_t off[8];
    size_t size;
    ck_assert(rt_layout_params(&k, off, &size));
    ck_assert_uint_eq(off[0], 0);
    ck_assert_uint_eq(off[1], 4);
    ck_assert_uint_eq(off[2], 8);
    ck_assert_uint_eq(off[3], 16);
    ck_assert_uint_eq(size, 24);

    /* bool, pointer, u16, struct {f32 x3}: C padding everywhere. */
    claw_fb_param mixed[] = {{"flag", CLAW_FB_PARAM_SCALAR, 1, 1},
                             {"p", CLAW_FB_PARAM_POINTER, 8, 8},
                             {"h", CLAW_FB_PARAM_SCALAR, 2, 2},
                             {"v", CLAW_FB_PARAM_STRUCT, 12, 4}};
    claw_fb_kernel k2 = {"mixed", 4, mixed, {0, 0, 0}, 0, 0};
    ck_assert(rt_layout_params(&k2, off, &size));
    ck_assert_uint_eq(off[0], 0);
    ck_assert_uint_eq(off[1], 8);
    ck_assert_uint_eq(off[2], 16);
    ck_assert_uint_eq(off[3], 20);
    ck_assert_uint_eq(size, 32);

    claw_fb_kernel none = {"none", 0, NULL, {0, 0, 0}, 0, 0};
    ck_assert(rt_layout_params(&none, off, &size));
    ck_assert_uint_eq(size, 0);

    claw_fb_param huge[] = {{"a", CLAW_FB_PARAM_STRUCT, 0xF0000000u, 8},
                            {"b", CLAW_FB_PARAM_STRUCT, 0xF0000000u, 8}};
    claw_fb_kernel k3 = {"huge", 2, huge, {0, 0, 0}, 0, 0};
    ck_assert(!rt_layout_params(&k3, off, &size));
}
END_TEST

static claw_device_props test_props = {
    .name = "test device", .max_threads_per_block = 1024, .shared_mem_per_block = 49152};
static RtLimits test_limits = {{1024, 1024, 64}, {2147483647u, 65535, 65535}};

static claw_status
shape(const claw_fb_kernel *k, uint32_t gx, uint32_t bx, uint32_t by, uint32_t bz)
{
    uint32_t grid[3] = {gx, 1, 1}, block[3] = {bx, by, bz};
    return rt_check_launch_config(k, &test_props, &test_limits, grid, block);
}

START_TEST(launch_shapes)
{
    claw_fb_kernel fixed = {"fixed", 0, NULL, {16, 16, 0}, 0, 0};
    claw_fb_kernel any = {"any", 0, NULL, {0, 0, 0}, 0, 0};
    claw_fb_kernel greedy = {"greedy", 0, NULL, {0, 0, 0}, 65536, 0};
    ck_assert_int_eq(shape(&fixed, 10, 16, 16, 1), CLAW_SUCCESS);
    ck_assert_int_eq(shape(&fixed, 10, 256, 1, 1), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "@workgroup(16, 16, 1)"));
    ck_assert_int_eq(shape(&any, 10, 128, 2, 2), CLAW_SUCCESS);
    ck_assert_int_eq(shape(&any, 10, 2048, 1, 1), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "block.x"));
    ck_assert_int_eq(shape(&any, 10, 1, 1, 128), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_int_eq(shape(&any, 10, 64, 32, 1), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "2048 threads"));
    ck_assert_int_eq(shape(&any, 0, 64, 1, 1), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_int_eq(shape(&any, 10, 0, 1, 1), CLAW_ERROR_LAUNCH_CONFIG);
    uint32_t grid[3] = {1, 70000, 1}, block[3] = {1, 1, 1};
    ck_assert_int_eq(rt_check_launch_config(&any, &test_props, &test_limits, grid, block),
                     CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_int_eq(shape(&greedy, 1, 1, 1, 1), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "shared memory"));
}
END_TEST

/* global_id is a u32: grid * block past 2^32 in a dimension is refused. */
START_TEST(launch_global_id_fits)
{
    claw_fb_kernel any = {"any", 0, NULL, {0, 0, 0}, 0, 0};
    ck_assert_int_eq(shape(&any, 4194304, 1024, 1, 1), CLAW_SUCCESS); /* exactly 2^32 */
    ck_assert_int_eq(shape(&any, 4194305, 1024, 1, 1), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "global_id.x"));
    ck_assert_int_eq(shape(&any, 2147483647u, 1, 1, 1), CLAW_SUCCESS);
    ck_assert_int_eq(shape(&any, 2147483647u, 2, 1, 1), CLAW_SUCCESS);
    ck_assert_int_eq(shape(&any, 2147483647u, 4, 1, 1), CLAW_ERROR_LAUNCH_CONFIG);
}
END_TEST

/* CLAW_LOG's reasons, image by image. */
START_TEST(explain_images)
{
    char why[256];
    claw_fb_image imgs[] = {
        img("nvptx64-nvidia-cuda", "sm_75", CLAW_FB_IMG_PTX),
        img("nvptx64-nvidia-cuda", "sm_90", CLAW_FB_IMG_PTX),
        img("nvptx64-nvidia-cuda", "sm_70", CLAW_FB_IMG_OBJECT),
        img("nvptx64-nvidia-cuda", "sm_70", CLAW_FB_IMG_PTX),
        img("spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV),
        img("riscv64-unknown", "rv64", CLAW_FB_IMG_OBJECT),
    };
    claw_fb_file f = {.nimages = 6, .images = imgs};
    int chosen = rt_choose_image(&f, CLAW_BACKEND_CUDA, "sm_86", why, sizeof why);
    ck_assert_int_eq(chosen, 0);
    static const char *const want[6] = {"chosen: the newest compatible",
                                        "passed over: PTX for sm_90 needs",
                                        "passed over: a sm_70 binary runs on sm_70 only",
                                        "passed over: image 0 fits better",
                                        "passed over: a Vulkan image, and this is a CUDA device",
                                        "passed over: unknown target triple"};
    for (size_t i = 0; i < 6; i++) {
        rt_explain_image(&f, i, chosen, CLAW_BACKEND_CUDA, "sm_86", why, sizeof why);
        ck_assert_msg(strstr(why, want[i]) != NULL, "image %zu: \"%s\"", i, why);
    }
    rt_explain_image(&f, 1, 1, CLAW_BACKEND_CUDA, "sm_90", why, sizeof why);
    ck_assert_str_eq(why, "chosen: exact architecture");
    claw_fb_image hip[] = {img("amdgcn-amd-amdhsa", "gfx90a", CLAW_FB_IMG_OBJECT),
                           img("amdgcn-amd-amdhsa", "gfx942", CLAW_FB_IMG_OBJECT)};
    claw_fb_file fh = {.nimages = 2, .images = hip};
    rt_explain_image(&fh, 0, 1, CLAW_BACKEND_HIP, "gfx942:sramecc+", why, sizeof why);
    ck_assert_ptr_nonnull(strstr(why, "own gfx architecture"));
    claw_fb_image vk[] = {img("spirv64-unknown-vulkan1.3", "vulkan1.3", CLAW_FB_IMG_SPIRV)};
    claw_fb_file fv = {.nimages = 1, .images = vk};
    rt_explain_image(&fv, 0, -1, CLAW_BACKEND_VULKAN, "vulkan1.2", why, sizeof why);
    ck_assert_str_eq(why, "passed over: needs vulkan1.3, the device offers vulkan1.2");
}
END_TEST

/* The cooperative-matrix image (docs/fatbin.md "claw.requires"): taken on a
 * simulated Vulkan device that has the feature, over the fallback of any
 * version; passed over, with the reason, on one without (lavapipe); an image
 * requiring a feature this runtime does not know is never taken. The fat
 * binary goes through the writer and reader, so the key is what the file
 * says. */
START_TEST(choose_coopmat)
{
    claw_fb_image imgs[] = {
        img("spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV),
        img("spirv64-unknown-vulkan1.3", "vulkan1.3-coopmat", CLAW_FB_IMG_SPIRV),
        img("spirv64-unknown-vulkan1.3", "vulkan1.3", CLAW_FB_IMG_SPIRV),
        img("spirv64-unknown-vulkan1.3", "vulkan1.3", CLAW_FB_IMG_SPIRV),
    };
    claw_fb_entry ents[4] = {{0}};
    ents[1].requires = CLAW_FB_FEATURE_VK_COOPMAT;
    ents[3].requires = "vk_coopmat_f16_16x16x16_f32 vk_something_new";
    void *data = NULL;
    size_t size = 0;
    char err[256], why[256];
    ck_assert_int_eq(claw_fb_write_entries(imgs, ents, 4, &data, &size, err, sizeof err), 0);
    claw_fb_file *f = NULL;
    ck_assert_int_eq(claw_fb_read(data, size, &f, err, sizeof err), 0);
    ck_assert_str_eq(f->entries[1].requires, CLAW_FB_FEATURE_VK_COOPMAT);
    ck_assert_ptr_null(f->entries[0].requires);
    /* with the feature: the coopmat image, although vulkan1.3 comes later */
    ck_assert_int_eq(rt_choose_image_for(f, CLAW_BACKEND_VULKAN, "vulkan1.3", RT_FEAT_VK_COOPMAT,
                                         why, sizeof why), 1);
    rt_explain_image_for(f, 1, 1, CLAW_BACKEND_VULKAN, "vulkan1.3", RT_FEAT_VK_COOPMAT, why,
                         sizeof why);
    ck_assert_msg(strstr(why, "chosen: uses the device's cooperative matrices") == why, "%s", why);
    rt_explain_image_for(f, 0, 1, CLAW_BACKEND_VULKAN, "vulkan1.3", RT_FEAT_VK_COOPMAT, why,
                         sizeof why);
    ck_assert_str_eq(why, "passed over: image 1 uses the device's cooperative matrices");
    rt_explain_image_for(f, 3, 1, CLAW_BACKEND_VULKAN, "vulkan1.3", RT_FEAT_VK_COOPMAT, why,
                         sizeof why);
    ck_assert_msg(strstr(why, "'vk_something_new', which this runtime does not know"), "%s", why);
    /* without it (lavapipe): the newest plain image; the reason is given */
    ck_assert_int_eq(rt_choose_image_for(f, CLAW_BACKEND_VULKAN, "vulkan1.3", 0, why, sizeof why), 2);
    /* an image needing an unknown feature is never taken, even when it comes first */
    claw_fb_file tail = {.nimages = 1, .images = &f->images[3], .entries = &f->entries[3]};
    ck_assert_int_eq(rt_choose_image_for(&tail, CLAW_BACKEND_VULKAN, "vulkan1.3", ~0u, why,
                                         sizeof why), -1);
    ck_assert_int_eq(rt_choose_image(f, CLAW_BACKEND_VULKAN, "vulkan1.3", why, sizeof why), 2);
    rt_explain_image_for(f, 1, 2, CLAW_BACKEND_VULKAN, "vulkan1.3", 0, why, sizeof why);
    ck_assert_msg(strstr(why, "passed over: needs cooperative matrices") == why &&
                      strstr(why, "which this device lacks"),
                  "%s", why);
    /* a Vulkan 1.2 device: the 1.3 images are too new, the feature or not */
    ck_assert_int_eq(rt_choose_image_for(f, CLAW_BACKEND_VULKAN, "vulkan1.2", RT_FEAT_VK_COOPMAT,
                                         why, sizeof why), 0);
    /* only the coopmat image, and a device without the feature: an error */
    claw_fb_file one = {.nimages = 1, .images = &f->images[1], .entries = &f->entries[1]};
    ck_assert_int_eq(rt_choose_image_for(&one, CLAW_BACKEND_VULKAN, "vulkan1.3", 0, why, sizeof why),
                     -1);
    claw_fb_free(f);
    free(data);
    /* malformed values are refused by the writer */
    ents[1].requires = "Bad Word";
    ck_assert_int_ne(claw_fb_write_entries(imgs, ents, 2, &data, &size, err, sizeof err), 0);
    ents[1].requires = "two  spaces";
    ck_assert_int_ne(claw_fb_write_entries(imgs, ents, 2, &data, &size, err, sizeof err), 0);
    ents[1].requires = "";
    ck_assert_int_ne(claw_fb_write_entries(imgs, ents, 2, &data, &size, err, sizeof err), 0);
}
END_TEST

/* The device query's decision (runtime/vulkan.c): a property list with the
 * 16x16x16 f16 x f16 + f32 subgroup shape, and near misses. */
START_TEST(coopmat_shapes)
{
    RtCoopmatShape ok = {16, 16, 16, 0, 0, 1, 1, 0, 3};
    ck_assert(rt_coopmat_fits(&ok, 1));
    ck_assert(!rt_coopmat_fits(NULL, 0));
    RtCoopmatShape list[3] = {{16, 8, 16, 0, 0, 1, 1, 0, 3}, {16, 16, 16, 0, 0, 0, 0, 0, 3}, ok};
    ck_assert(rt_coopmat_fits(list, 3));
    ck_assert(!rt_coopmat_fits(list, 2));
    RtCoopmatShape bad[] = {
        {16, 16, 8, 0, 0, 1, 1, 0, 3},  /* K = 8 */
        {16, 16, 16, 1, 1, 1, 1, 0, 3}, /* f32 inputs */
        {16, 16, 16, 0, 0, 1, 0, 0, 3}, /* f16 result */
        {16, 16, 16, 0, 0, 1, 1, 1, 3}, /* saturating */
        {16, 16, 16, 0, 0, 1, 1, 0, 2}, /* workgroup scope */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!rt_coopmat_fits(&bad[i], 1), "shape %zu", i);
}
END_TEST

/* rt_spirv_selection_depth on a hand-made module: main (entry "k") opens
 * two nested selections, calls f inside the second, and closes them; f
 * opens three, one after another closed (depth 2). Total: 2 + 2 = 4. Every
 * prefix of the module, and the module with random words, must be scanned
 * without reading past its end (ASan in CI). */
START_TEST(spirv_nesting_depth)
{
    enum { SEL = 247, LABEL = 248, FN = 54, FN_END = 56, CALL = 57 };
#define W(op, n) (((uint32_t)(n) << 16) | (op))
    uint32_t m[] = {0x07230203, 0x10000, 0, 100, 0,
                    W(15, 4), 5, 1, 'k', /* OpEntryPoint GLCompute %1 "k" */
                    W(FN, 5), 2, 10, 0, 3, /* %10 = f */
                    W(LABEL, 2), 11,
                    W(SEL, 3), 12, 0, W(LABEL, 2), 13,
                    W(SEL, 3), 14, 0, W(LABEL, 2), 15, W(LABEL, 2), 14,
                    W(SEL, 3), 16, 0, W(LABEL, 2), 17, W(LABEL, 2), 16,
                    W(LABEL, 2), 12, W(FN_END, 1),
                    W(FN, 5), 2, 1, 0, 3, /* %1 = main */
                    W(LABEL, 2), 20,
                    W(SEL, 3), 21, 0, W(LABEL, 2), 22,
                    W(SEL, 3), 23, 0, W(LABEL, 2), 24,
                    W(CALL, 4), 2, 30, 10,
                    W(LABEL, 2), 23, W(LABEL, 2), 21, W(FN_END, 1)};
#undef W
    size_t n = sizeof m / sizeof m[0];
    uint32_t depth = 99;
    ck_assert(rt_spirv_selection_depth(m, n, "k", &depth));
    ck_assert_uint_eq(depth, 4);
    ck_assert(rt_spirv_selection_depth(m, n, "nope", &depth));
    ck_assert_uint_eq(depth, 0);
    for (size_t len = 0; len <= n; len++) {
        uint32_t *copy = malloc((len ? len : 1) * sizeof *copy);
        memcpy(copy, m, len * sizeof *copy);
        ck_assert(rt_spirv_selection_depth(copy, len, "k", &depth));
        ck_assert_uint_le(depth, 4);
        free(copy);
    }
    uint64_t r = 12345;
    for (int round = 0; round < 200; round++) {
        uint32_t junk[64];
        memcpy(junk, m, 9 * sizeof *junk);
        for (int i = 9; i < 64; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t v = (uint32_t)(r >> 32);
            junk[i] = round % 2 ? v : ((v % 6) << 16) | (uint32_t[]){FN, SEL, LABEL, CALL, FN_END, 15}[v % 6];
        }
        ck_assert(rt_spirv_selection_depth(junk, 64, "k", &depth));
    }
}
END_TEST

START_TEST(matrix_unit_arches)
{
    /* exactly the archs whose images use matrix instructions (docs/matrix.md) */
    ck_assert(rt_arch_has_matrix_units(CLAW_BACKEND_CUDA, "sm_75"));
    ck_assert(!rt_arch_has_matrix_units(CLAW_BACKEND_CUDA, "sm_72"));
    ck_assert(rt_arch_has_matrix_units(CLAW_BACKEND_CUDA, "sm_80"));
    ck_assert(rt_arch_has_matrix_units(CLAW_BACKEND_CUDA, "sm_90"));
    ck_assert(!rt_arch_has_matrix_units(CLAW_BACKEND_CUDA, "sm_70"));
    static const char *const amd_yes[] = {"gfx90a", "gfx940", "gfx941", "gfx942", "gfx1100",
                                          "gfx1101", "gfx1102", "gfx942:sramecc+:xnack-"};
    static const char *const amd_no[] = {"gfx900", "gfx906", "gfx908", "gfx1010", "gfx1030",
                                         "gfx1031", "gfx1103", "gfx1200", "gfx1201", "gfx90",
                                         "gfx9420", "gfx11"};
    for (size_t i = 0; i < sizeof amd_yes / sizeof amd_yes[0]; i++)
        ck_assert_msg(rt_arch_has_matrix_units(CLAW_BACKEND_HIP, amd_yes[i]), "%s", amd_yes[i]);
    for (size_t i = 0; i < sizeof amd_no / sizeof amd_no[0]; i++)
        ck_assert_msg(!rt_arch_has_matrix_units(CLAW_BACKEND_HIP, amd_no[i]), "%s", amd_no[i]);
    ck_assert(!rt_arch_has_matrix_units(CLAW_BACKEND_VULKAN, "vulkan1.3"));
}
END_TEST

START_TEST(arch_names)
{
    char s[32];
    rt_cuda_arch_name(9, 0, s, sizeof s);
    ck_assert_str_eq(s, "sm_90");
    rt_cuda_arch_name(8, 6, s, sizeof s);
    ck_assert_str_eq(s, "sm_86");
    rt_hip_arch_name("gfx942:sramecc+:xnack-", s, sizeof s);
    ck_assert_str_eq(s, "gfx942");
    rt_hip_arch_name("gfx1100", s, sizeof s);
    ck_assert_str_eq(s, "gfx1100");
    rt_hip_arch_name("gfx90a:xnack+", s, 4);
    ck_assert_str_eq(s, "gfx");
}
END_TEST

/* ---- bad arguments without a device ------------------------------------------ */

START_TEST(null_and_foreign_handles)
{
    /* A foreign pointer with the wrong magic must be refused, not followed. */
    static uint64_t junk[64];
    claw_device *fake_dev = (claw_device *)junk;
    claw_module *fake_mod = (claw_module *)junk;
    claw_kernel *fake_k = (claw_kernel *)junk;
    claw_buffer *fake_b = (claw_buffer *)junk;
    claw_device_props props;
    claw_module *m = NULL;
    claw_kernel *k = NULL;
    claw_buffer *b = NULL;
    char byte;
    uint32_t g[3] = {1, 1, 1};

    ck_assert_int_eq(claw_device_count(NULL), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_device_get(0, NULL), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_device_get(-1, (claw_device **)&m), CLAW_ERROR_NO_DEVICE);
    ck_assert_int_eq(claw_device_get(100000, (claw_device **)&m), CLAW_ERROR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "no device 100000"));
    claw_device *nulldev = NULL;
    ck_assert_int_eq(claw_device_props_get(nulldev, &props), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_device_props_get(fake_dev, &props), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_module_load(NULL, "x", 1, &m), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_module_load(fake_dev, "x", 1, &m), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(claw_module_load_file(NULL, "/nonexistent", &m), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_kernel_get(NULL, "k", &k), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_kernel_get(fake_mod, "k", &k), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_alloc(NULL, 16, &b), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_write(NULL, 0, &byte, 1), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_read(fake_b, 0, &byte, 1), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_uint_eq(claw_buffer_address(NULL), 0);
    ck_assert_uint_eq(claw_buffer_address(fake_b), 0);
    ck_assert_int_eq(claw_launch(NULL, g, g, NULL, 0), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_launch(fake_k, g, g, NULL, 0), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_launch_sized(NULL, g, g, NULL, NULL, 0), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_synchronize(NULL), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_synchronize(fake_dev), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert(strlen(claw_last_error()) > 0);
    /* These return nothing; they must simply not crash. */
    claw_free(NULL);
    claw_free(fake_b);
    claw_module_unload(NULL);
    claw_module_unload(fake_mod);

    /* v0.2 calls */
    claw_stream *fake_s = (claw_stream *)junk, *st = NULL;
    claw_event *fake_e = (claw_event *)junk, *ev = NULL;
    double ms = 1.0;
    void *h = (void *)1;
    char tr[8], ar[8];
    ck_assert_int_eq(claw_stream_create(NULL, &st), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_stream_create(fake_dev, &st), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(st);
    ck_assert_int_eq(claw_stream_synchronize(fake_s), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_launch_on(NULL, fake_k, g, g, NULL, 0), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_launch_sized_on(NULL, NULL, g, g, NULL, NULL, 0),
                     CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_write_on(NULL, fake_b, 0, &byte, 1), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_read_on(fake_s, fake_b, 0, &byte, 1), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_copy_on(NULL, fake_b, 0, fake_b, 0, 1), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_fill_on(NULL, NULL, 0, 4, 0), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_event_create(fake_dev, &ev), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(ev);
    ck_assert_int_eq(claw_event_record(fake_e, NULL), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_stream_wait(NULL, fake_e), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_event_synchronize(fake_e), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_event_elapsed(fake_e, fake_e, &ms), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert(ms == 0.0);
    ck_assert_int_eq(claw_buffer_wrap(fake_dev, 4096, 4, &b), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_device_native(fake_dev, &h), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(claw_module_image(fake_mod, tr, sizeof tr, ar, sizeof ar),
                     CLAW_ERROR_INVALID_ARGUMENT);
    claw_stream_destroy(fake_s);
    claw_event_destroy(fake_e);
}
END_TEST

START_TEST(status_strings)
{
    for (int s = CLAW_SUCCESS; s <= CLAW_ERROR_LAUNCH_FAILED; s++) {
        const char *name = claw_status_string((claw_status)s);
        ck_assert_ptr_nonnull(name);
        ck_assert_msg(strncmp(name, "CLAW_", 5) == 0 && !strstr(name, "UNKNOWN"), "%d: %s", s,
                      name);
    }
    ck_assert_str_eq(claw_status_string((claw_status)999), "CLAW_ERROR_UNKNOWN");
}
END_TEST

START_TEST(bad_claw_device)
{
    claw_shutdown(); /* the selection is read when devices are listed */
    setenv("CLAW_DEVICE", "nosuch:3", 1);
    int n = -1;
    ck_assert_int_eq(claw_device_count(&n), CLAW_ERROR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "nosuch:3"));
    claw_shutdown();
    setenv("CLAW_DEVICE", "vulkan:x", 1);
    ck_assert_int_eq(claw_device_count(&n), CLAW_ERROR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "<backend>:<index>"));
    claw_shutdown();
    unsetenv("CLAW_DEVICE");
}
END_TEST

/* ---- on a Vulkan device --------------------------------------------------------- */

static claw_device *vkdev;
static unsigned char *spv;
static size_t spv_size;

static const claw_fb_param saxpy_params[] = {{"n", CLAW_FB_PARAM_SCALAR, 4, 4},
                                             {"a", CLAW_FB_PARAM_SCALAR, 4, 4},
                                             {"x", CLAW_FB_PARAM_POINTER, 8, 8},
                                             {"y", CLAW_FB_PARAM_POINTER, 8, 8}};

/* A fat binary holding the SPIR-V saxpy with the given metadata. */
static void *
saxpy_fatbin(const claw_fb_kernel *kernels, uint32_t nkernels, size_t *size)
{
    claw_fb_image image = {"spirv64-unknown-vulkan1.2",
                           "vulkan1.2",
                           CLAW_FB_IMG_SPIRV,
                           spv,
                           spv_size,
                           nkernels,
                           kernels};
    void *out;
    char err[256];
    ck_assert_msg(claw_fb_write(&image, 1, &out, size, err, sizeof err) == 0, "%s", err);
    return out;
}

/* Finds the first Vulkan device and loads the SPIR-V; false when either is
 * missing (the caller then skips, saying why). */
static bool
vulkan_ready(void)
{
#ifdef CLAW_TEST_SAXPY_SPV
    unsetenv("CLAW_DEVICE");
    int n = 0;
    if (claw_device_count(&n) != CLAW_SUCCESS)
        n = 0;
    vkdev = NULL;
    for (int i = 0; i < n && !vkdev; i++) {
        claw_device *d;
        claw_device_props p;
        if (claw_device_get(i, &d) == CLAW_SUCCESS &&
            claw_device_props_get(d, &p) == CLAW_SUCCESS && p.backend == CLAW_BACKEND_VULKAN)
            vkdev = d;
    }
    if (!vkdev) {
        printf("test_runtime: no Vulkan device; skipping the Vulkan tests\n");
        return false;
    }
    FILE *f = fopen(CLAW_TEST_SAXPY_SPV, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", CLAW_TEST_SAXPY_SPV);
    spv = malloc(1 << 16);
    spv_size = fread(spv, 1, 1 << 16, f);
    fclose(f);
    return true;
#else
    printf("test_runtime: built without tests/e2e; skipping the Vulkan tests\n");
    return false;
#endif
}

static void
vulkan_done(void)
{
    claw_shutdown();
    free(spv);
    spv = NULL;
}

/* Loads the SPIR-V saxpy on vkdev, with `workgroup` as its @workgroup
 * metadata (NULL: none), and returns its kernel; *m gets the module. */
static claw_kernel *
load_saxpy(const uint32_t *workgroup, claw_module **m)
{
    claw_fb_kernel kernel = {"saxpy", 4, saxpy_params, {0, 0, 0}, 0, 0};
    if (workgroup)
        memcpy(kernel.workgroup, workgroup, sizeof kernel.workgroup);
    size_t size;
    void *fb = saxpy_fatbin(&kernel, 1, &size);
    ck_assert_msg(claw_module_load(vkdev, fb, size, m) == CLAW_SUCCESS, "%s", claw_last_error());
    free(fb); /* the runtime keeps its own copy */
    claw_kernel *k;
    ck_assert_msg(claw_kernel_get(*m, "saxpy", &k) == CLAW_SUCCESS, "%s", claw_last_error());
    return k;
}

/* Runs saxpy on n elements and checks it; returns the mismatches. */
static int
run_saxpy(claw_kernel *k, uint32_t n, float a)
{
    float *x = malloc(n * 4ull), *y = malloc(n * 4ull), *r = malloc(n * 4ull);
    for (uint32_t i = 0; i < n; i++) {
        x[i] = (float)(i % 101) - 50.0f;
        y[i] = (float)(i % 7);
    }
    claw_buffer *bx, *by;
    ck_assert_int_eq(claw_alloc(vkdev, n * 4ull, &bx), CLAW_SUCCESS);
    ck_assert_int_eq(claw_alloc(vkdev, n * 4ull, &by), CLAW_SUCCESS);
    ck_assert_int_eq(claw_write(bx, 0, x, n * 4ull), CLAW_SUCCESS);
    ck_assert_int_eq(claw_write(by, 0, y, n * 4ull), CLAW_SUCCESS);
    uint64_t ax = claw_buffer_address(bx), ay = claw_buffer_address(by);
    const void *args[] = {&n, &a, &ax, &ay};
    uint32_t grid[3] = {(n + 63) / 64, 1, 1}, block[3] = {64, 1, 1};
    ck_assert_msg(claw_launch(k, grid, block, args, 4) == CLAW_SUCCESS, "%s", claw_last_error());
    ck_assert_msg(claw_synchronize(vkdev) == CLAW_SUCCESS, "%s", claw_last_error());
    ck_assert_int_eq(claw_read(by, 0, r, n * 4ull), CLAW_SUCCESS);
    int bad = 0;
    for (uint32_t i = 0; i < n; i++)
        bad += r[i] != a * x[i] + y[i];
    claw_free(bx);
    claw_free(by);
    free(x);
    free(y);
    free(r);
    return bad;
}

START_TEST(vulkan_saxpy_runs)
{
    if (!vulkan_ready())
        return;
    claw_module *m;
    claw_kernel *k = load_saxpy(NULL, &m), *k2;
    ck_assert_int_eq(claw_kernel_get(m, "saxpy", &k2), CLAW_SUCCESS);
    ck_assert_ptr_eq(k, k2);
    ck_assert_int_eq(run_saxpy(k, 100003, 2.0f), 0);
    ck_assert_int_eq(run_saxpy(k, 1, -1.0f), 0);
    claw_module_unload(m);
    vulkan_done();
}
END_TEST

/* Thousands of dependent launches with no claw_synchronize between them:
 * the backend retires finished ones as it goes (runtime/vulkan.c,
 * retire_finished), and must neither free a command buffer still in flight
 * nor reorder work: y = x + y applied 3000 times to y = 0, x = 1 gives 3000
 * exactly in every element. */
START_TEST(vulkan_many_launches_without_sync)
{
    if (!vulkan_ready())
        return;
    claw_module *m;
    claw_kernel *k = load_saxpy(NULL, &m);
    enum { N = 1000, LAUNCHES = 3000 };
    float x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = 1.0f;
        y[i] = 0.0f;
    }
    claw_buffer *bx, *by;
    ck_assert_int_eq(claw_alloc(vkdev, sizeof x, &bx), CLAW_SUCCESS);
    ck_assert_int_eq(claw_alloc(vkdev, sizeof y, &by), CLAW_SUCCESS);
    ck_assert_int_eq(claw_write(bx, 0, x, sizeof x), CLAW_SUCCESS);
    ck_assert_int_eq(claw_write(by, 0, y, sizeof y), CLAW_SUCCESS);
    uint32_t n = N;
    float a = 1.0f;
    uint64_t ax = claw_buffer_address(bx), ay = claw_buffer_address(by);
    const void *args[] = {&n, &a, &ax, &ay};
    uint32_t grid[3] = {(N + 63) / 64, 1, 1}, block[3] = {64, 1, 1};
    for (int i = 0; i < LAUNCHES; i++)
        ck_assert_msg(claw_launch(k, grid, block, args, 4) == CLAW_SUCCESS, "%s", claw_last_error());
    ck_assert_msg(claw_synchronize(vkdev) == CLAW_SUCCESS, "%s", claw_last_error());
    ck_assert_int_eq(claw_read(by, 0, y, sizeof y), CLAW_SUCCESS);
    for (int i = 0; i < N; i++)
        ck_assert_float_eq(y[i], (float)LAUNCHES);
    claw_free(bx);
    claw_free(by);
    claw_module_unload(m);
    vulkan_done();
}
END_TEST

typedef struct {
    claw_kernel *k;
    int bad;
} ThreadJob;

static void *
thread_main(void *p)
{
    ThreadJob *job = p;
    for (int i = 0; i < 3; i++)
        job->bad += run_saxpy(job->k, 5000 + 17u * (unsigned)i, 0.5f);
    return NULL;
}

START_TEST(vulkan_threads)
{
    if (!vulkan_ready())
        return;
    claw_module *m;
    claw_kernel *k = load_saxpy(NULL, &m);
    ThreadJob jobs[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (ThreadJob){k, 0};
        pthread_create(&threads[i], NULL, thread_main, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(jobs[i].bad, 0);
    }
    claw_module_unload(m);
    vulkan_done();
}
END_TEST

START_TEST(vulkan_bad_launches)
{
    if (!vulkan_ready())
        return;
    claw_module *m;
    claw_kernel *k = load_saxpy(NULL, &m);
    claw_buffer *b;
    ck_assert_int_eq(claw_alloc(vkdev, 1024, &b), CLAW_SUCCESS);
    uint32_t n = 256;
    float a = 1;
    uint64_t addr = claw_buffer_address(b), bogus = 0xdead0000, end = addr + 1024,
             past = addr + 1025;
    uint32_t grid[3] = {4, 1, 1}, block[3] = {64, 1, 1};
    const void *args[] = {&n, &a, &addr, &addr};

    /* Argument count, null pointers, sizes. */
    ck_assert_int_eq(claw_launch(k, grid, block, args, 3), CLAW_ERROR_ARGUMENTS);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "takes 4 arguments, not 3"));
    ck_assert_int_eq(claw_launch(k, grid, block, args, 5), CLAW_ERROR_ARGUMENTS);
    ck_assert_int_eq(claw_launch(k, grid, block, NULL, 4), CLAW_ERROR_ARGUMENTS);
    const void *with_null[] = {&n, NULL, &addr, &addr};
    ck_assert_int_eq(claw_launch(k, grid, block, with_null, 4), CLAW_ERROR_ARGUMENTS);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "'a'"));
    size_t good_sizes[] = {4, 4, 8, 8}, bad_sizes[] = {4, 8, 8, 8};
    ck_assert_int_eq(claw_launch_sized(k, grid, block, args, good_sizes, 4), CLAW_SUCCESS);
    ck_assert_int_eq(claw_launch_sized(k, grid, block, args, bad_sizes, 4), CLAW_ERROR_ARGUMENTS);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "is 8 bytes; the parameter is 4"));
    ck_assert_int_eq(claw_launch_sized(k, grid, block, args, NULL, 4), CLAW_ERROR_INVALID_ARGUMENT);
    /* Pointers must point into a live buffer of this device. */
    const void *wild[] = {&n, &a, &bogus, &addr};
    ck_assert_int_eq(claw_launch(k, grid, block, wild, 4), CLAW_ERROR_ARGUMENTS);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "0xdead0000"));
    const void *at_end[] = {&n, &a, &end, &addr}, *beyond[] = {&n, &a, &past, &addr};
    ck_assert_int_eq(claw_launch(k, grid, block, at_end, 4), CLAW_SUCCESS);
    ck_assert_int_eq(claw_launch(k, grid, block, beyond, 4), CLAW_ERROR_ARGUMENTS);
    /* Launch shapes against the device. */
    uint32_t big[3] = {100000, 1, 1}, zero[3] = {0, 1, 1};
    ck_assert_int_eq(claw_launch(k, grid, big, args, 4), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_int_eq(claw_launch(k, zero, block, args, 4), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_int_eq(claw_launch(k, NULL, block, args, 4), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_synchronize(vkdev), CLAW_SUCCESS);

    /* Reads and writes past the end. */
    char buf[2048] = {0};
    ck_assert_int_eq(claw_write(b, 0, buf, 1025), CLAW_ERROR_OUT_OF_BOUNDS);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "1024-byte buffer"));
    ck_assert_int_eq(claw_write(b, 1020, buf, 8), CLAW_ERROR_OUT_OF_BOUNDS);
    ck_assert_int_eq(claw_read(b, 1025, buf, 0), CLAW_ERROR_OUT_OF_BOUNDS);
    ck_assert_int_eq(claw_read(b, SIZE_MAX, buf, 2), CLAW_ERROR_OUT_OF_BOUNDS);
    ck_assert_int_eq(claw_read(b, 2, buf, SIZE_MAX), CLAW_ERROR_OUT_OF_BOUNDS);
    ck_assert_int_eq(claw_read(b, 0, NULL, 4), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_read(b, 1000, buf, 24), CLAW_SUCCESS);
    claw_buffer *nb;
    ck_assert_int_eq(claw_alloc(vkdev, 0, &nb), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_alloc(vkdev, SIZE_MAX, &nb), CLAW_ERROR_OUT_OF_MEMORY);

    /* Unknown kernel names. */
    claw_kernel *none;
    ck_assert_int_eq(claw_kernel_get(m, "saxpyy", &none), CLAW_ERROR_KERNEL_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "kernels: saxpy"));
    ck_assert_int_eq(claw_kernel_get(m, NULL, &none), CLAW_ERROR_INVALID_ARGUMENT);

    claw_free(b);
    claw_module_unload(m);
    vulkan_done();
}
END_TEST

START_TEST(vulkan_workgroup_enforced)
{
    if (!vulkan_ready())
        return;
    /* Metadata saying @workgroup(128): any other block is refused. */
    claw_module *m;
    claw_kernel *k = load_saxpy((const uint32_t[3]){128, 1, 1}, &m);
    claw_buffer *b;
    ck_assert_int_eq(claw_alloc(vkdev, 4096, &b), CLAW_SUCCESS);
    uint32_t n = 1024;
    float a = 3;
    uint64_t addr = claw_buffer_address(b);
    const void *args[] = {&n, &a, &addr, &addr};
    uint32_t grid[3] = {8, 1, 1}, b64[3] = {64, 1, 1}, b128[3] = {128, 1, 1}, b2d[3] = {128, 2, 1};
    ck_assert_int_eq(claw_launch(k, grid, b64, args, 4), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "@workgroup(128, 1, 1)"));
    ck_assert_int_eq(claw_launch(k, grid, b2d, args, 4), CLAW_ERROR_LAUNCH_CONFIG);
    ck_assert_int_eq(claw_launch(k, grid, b128, args, 4), CLAW_SUCCESS);
    ck_assert_int_eq(claw_synchronize(vkdev), CLAW_SUCCESS);
    claw_module_unload(m);
    vulkan_done();
}
END_TEST

START_TEST(vulkan_bad_modules)
{
    if (!vulkan_ready())
        return;
    claw_module *m = NULL;
    claw_kernel *k;
    /* Garbage, truncation, an empty file, a missing file. */
    static const char garbage[] = "this is not a fat binary, just some bytes..........";
    ck_assert_int_eq(claw_module_load(vkdev, garbage, sizeof garbage, &m),
                     CLAW_ERROR_INVALID_FATBIN);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "byte offset 0"));
    ck_assert_ptr_null(m);
    claw_fb_kernel kernel = {"saxpy", 4, saxpy_params, {0, 0, 0}, 0, 0};
    size_t size;
    unsigned char *fb = saxpy_fatbin(&kernel, 1, &size);
    for (size_t cut = 1; cut < size; cut += 7)
        ck_assert_int_eq(claw_module_load(vkdev, fb, cut, &m), CLAW_ERROR_INVALID_FATBIN);
    ck_assert_int_eq(claw_module_load(vkdev, fb, 0, &m), CLAW_ERROR_INVALID_FATBIN);
    ck_assert_int_eq(claw_module_load(vkdev, NULL, 10, &m), CLAW_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(claw_module_load_file(vkdev, "/nonexistent/x.clawfb", &m), CLAW_ERROR_IO);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "/nonexistent/x.clawfb"));

    /* Only a PTX image: nothing for a Vulkan device, and the message says
     * which images exist. */
    claw_fb_image ptx = {"nvptx64-nvidia-cuda", "sm_90", CLAW_FB_IMG_PTX, "//", 2, 1, &kernel};
    void *pfb;
    size_t psize;
    char err[256];
    ck_assert_int_eq(claw_fb_write(&ptx, 1, &pfb, &psize, err, sizeof err), 0);
    ck_assert_int_eq(claw_module_load(vkdev, pfb, psize, &m), CLAW_ERROR_NO_IMAGE);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "nvptx64-nvidia-cuda sm_90"));
    free(pfb);

    /* A SPIR-V image that is not SPIR-V. */
    claw_fb_image notspv = {"spirv64-unknown-vulkan1.2",
                            "vulkan1.2",
                            CLAW_FB_IMG_SPIRV,
                            "abcdefghijklmnopqrstuvwx",
                            24,
                            1,
                            &kernel};
    ck_assert_int_eq(claw_fb_write(&notspv, 1, &pfb, &psize, err, sizeof err), 0);
    ck_assert_int_eq(claw_module_load(vkdev, pfb, psize, &m), CLAW_ERROR_MODULE_LOAD);
    free(pfb);

    /* Metadata naming a kernel the SPIR-V does not have. */
    claw_fb_kernel ghost = {"ghost", 0, NULL, {0, 0, 0}, 0, 0};
    void *gfb = saxpy_fatbin(&ghost, 1, &size);
    ck_assert_int_eq(claw_module_load(vkdev, gfb, size, &m), CLAW_SUCCESS);
    ck_assert_int_eq(claw_kernel_get(m, "ghost", &k), CLAW_ERROR_KERNEL_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(claw_last_error(), "entry point 'ghost'"));
    claw_module_unload(m);
    free(gfb);
    free(fb);
    vulkan_done();
}
END_TEST

static Suite *
runtime_suite(void)
{
    Suite *s = suite_create("runtime");
    TCase *pure = tcase_create("decisions");
    tcase_add_test(pure, choose_cuda);
    tcase_add_test(pure, choose_coopmat);
    tcase_add_test(pure, coopmat_shapes);
    tcase_add_test(pure, choose_cuda_spirv_only);
    tcase_add_test(pure, choose_variant);
    tcase_add_test(pure, rank_images);
    tcase_add_test(pure, choose_hip);
    tcase_add_test(pure, choose_vulkan);
    tcase_add_test(pure, layout_params);
    tcase_add_test(pure, launch_shapes);
    tcase_add_test(pure, arch_names);
    tcase_add_test(pure, launch_global_id_fits);
    tcase_add_test(pure, explain_images);
    tcase_add_test(pure, matrix_unit_arches);
    tcase_add_test(pure, spirv_nesting_depth);
    suite_add_tcase(s, pure);
    TCase *api = tcase_create("api");
    tcase_add_test(api, null_and_foreign_handles);
    tcase_add_test(api, status_strings);
    tcase_add_test(api, bad_claw_device);
    suite_add_tcase(s, api);
    TCase *vk = tcase_create("vulkan");
    tcase_set_timeout(vk, 120);
    tcase_add_test(vk, vulkan_saxpy_runs);
    tcase_add_test(vk, vulkan_threads);
    tcase_add_test(vk, vulkan_many_launches_without_sync);
    tcase_add_test(vk, vulkan_bad_launches);
    tcase_add_test(vk, vulkan_workgroup_enforced);
    tcase_add_test(vk, vulkan_bad_modules);
    suite_add_tcase(s, vk);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(runtime_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
