/* e2e_fatbin_llvm.c: checks that LLVM's own tools read the fat binaries
 * claw_fb_write writes, and that claw_fb_read reads LLVM's (docs/fatbin.md):
 *
 *   - llvm-objdump --offloading lists every image with its triple and arch;
 *   - clang-offload-packager --image=file=F,triple=T,arch=A extracts each
 *     image byte for byte;
 *   - a file packed by clang-offload-packager parses with claw_fb_read.
 *
 *   e2e_fatbin_llvm <scratch folder>
 * The tools come from CLAW_LLVM_BIN_DIR (llvm-config --bindir). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "claw/fatbin.h"

static int failures;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL: " __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static unsigned char *
slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = malloc(1 << 20);
    *size = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static int
spit(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(data, 1, size, f);
    return fclose(f) == 0 && n == size ? 0 : -1;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: e2e_fatbin_llvm <scratch folder>\n");
        return 2;
    }
    const char *dir = argv[1];
    if (strlen(dir) > 900) {
        fprintf(stderr, "scratch folder path too long\n");
        return 2;
    }
    mkdir(dir, 0777);

    /* Images with every byte value and odd sizes, to catch padding slips. */
    static unsigned char ptx[1001], obj[333], spv[64];
    for (size_t i = 0; i < sizeof ptx; i++)
        ptx[i] = (unsigned char)(i * 7 + 1);
    for (size_t i = 0; i < sizeof obj; i++)
        obj[i] = (unsigned char)(255 - i);
    for (size_t i = 0; i < sizeof spv; i++)
        spv[i] = (unsigned char)i;
    claw_fb_param params[] = {{"n", CLAW_FB_PARAM_SCALAR, 4, 4},
                              {"x", CLAW_FB_PARAM_POINTER, 8, 8}};
    claw_fb_kernel kernel = {"k", 2, params, {64, 1, 1}, 256, 0};
    struct {
        const char *triple, *arch;
        uint16_t kind;
        const unsigned char *data;
        size_t size;
    } imgs[] = {
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, sizeof ptx},
        {"amdgcn-amd-amdhsa", "gfx942", CLAW_FB_IMG_OBJECT, obj, sizeof obj},
        {"spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV, spv, sizeof spv},
    };
    enum { N = sizeof imgs / sizeof imgs[0] };
    claw_fb_image images[N];
    for (int i = 0; i < N; i++)
        images[i] = (claw_fb_image){
            imgs[i].triple, imgs[i].arch, imgs[i].kind, imgs[i].data, imgs[i].size, 1, &kernel};
    void *fb;
    size_t fb_size;
    char err[256], path[1024], cmd[16384];
    if (claw_fb_write(images, N, &fb, &fb_size, err, sizeof err) != 0) {
        fprintf(stderr, "claw_fb_write: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof path, "%s/three.clawfb", dir);
    if (spit(path, fb, fb_size) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }

    /* llvm-objdump --offloading: one "OFFLOADING IMAGE [i]" per image. */
    snprintf(cmd, sizeof cmd, "%s/llvm-objdump --offloading '%s' 2>&1", CLAW_LLVM_BIN_DIR, path);
    FILE *p = popen(cmd, "r");
    static char out[65536];
    size_t outlen = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[outlen] = '\0';
    int rc = p ? pclose(p) : -1;
    EXPECT(rc == 0, "llvm-objdump exited with %d:\n%s", rc, out);
    for (int i = 0; i < N; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "OFFLOADING IMAGE [%d]", i);
        EXPECT(strstr(out, needle), "llvm-objdump does not list image %d:\n%s", i, out);
        EXPECT(strstr(out, imgs[i].triple), "llvm-objdump lacks triple %s", imgs[i].triple);
        EXPECT(strstr(out, imgs[i].arch), "llvm-objdump lacks arch %s", imgs[i].arch);
    }
    EXPECT(strstr(out, "ptx"), "llvm-objdump does not call image 0 ptx:\n%s", out);

    /* clang-offload-packager extracts each image byte for byte. */
    for (int i = 0; i < N; i++) {
        char img_path[1100];
        snprintf(img_path, sizeof img_path, "%s/image%d.bin", dir, i);
        remove(img_path);
        snprintf(cmd, sizeof cmd,
                 "%s/clang-offload-packager '%s' --image=file=%s,triple=%s,arch=%s",
                 CLAW_LLVM_BIN_DIR, path, img_path, imgs[i].triple, imgs[i].arch);
        EXPECT(system(cmd) == 0, "%s failed", cmd);
        size_t got_size = 0;
        unsigned char *got = slurp(img_path, &got_size);
        EXPECT(got && got_size == imgs[i].size && memcmp(got, imgs[i].data, got_size) == 0,
               "image %d (%s) extracted by clang-offload-packager differs (%zu bytes, want %zu)", i,
               imgs[i].arch, got_size, imgs[i].size);
        free(got);
    }

    /* The other way: clang-offload-packager packs, claw_fb_read reads. */
    char packed[1100], img0[1100];
    snprintf(packed, sizeof packed, "%s/llvm-packed.bin", dir);
    snprintf(img0, sizeof img0, "%s/image0.bin", dir);
    snprintf(cmd, sizeof cmd,
             "%s/clang-offload-packager -o '%s' "
             "--image=file=%s,triple=nvptx64-nvidia-cuda,arch=sm_90,kind=cuda",
             CLAW_LLVM_BIN_DIR, packed, img0);
    EXPECT(system(cmd) == 0, "%s failed", cmd);
    size_t psize = 0;
    unsigned char *pdata = slurp(packed, &psize);
    claw_fb_file *f = NULL;
    if (pdata && claw_fb_read(pdata, psize, &f, err, sizeof err) == 0) {
        EXPECT(f->nimages == 1 && strcmp(f->images[0].arch, "sm_90") == 0 &&
                   f->images[0].size == sizeof ptx &&
                   memcmp(f->images[0].data, ptx, sizeof ptx) == 0,
               "claw_fb_read misread clang-offload-packager's output");
        claw_fb_free(f);
    } else {
        EXPECT(0, "claw_fb_read refused clang-offload-packager's output: %s",
               pdata ? err : "unreadable");
    }
    free(pdata);
    free(fb);
    if (failures)
        return 1;
    printf("llvm-objdump listed %d images; clang-offload-packager extracted each byte-identical; "
           "claw_fb_read read LLVM's packing\n",
           N);
    return 0;
}
