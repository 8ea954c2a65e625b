/* fake_fatbin.h: the fat binary the fake-driver tests load (e2e_fake_streams.c,
 * streams_threads.c): a PTX image and an AMDGPU image that the stand-in
 * drivers of tests/e2e/fake/ accept, each with a kernel "saxpy" (n: u32,
 * a: f32, x: *f32, y: *f32) that the fakes compute on the host. */
#ifndef CLAW_FAKE_FATBIN_H
#define CLAW_FAKE_FATBIN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/fatbin.h"

static const claw_fb_param fake_saxpy_params[] = {{"n", CLAW_FB_PARAM_SCALAR, 4, 4},
                                                  {"a", CLAW_FB_PARAM_SCALAR, 4, 4},
                                                  {"x", CLAW_FB_PARAM_POINTER, 8, 8},
                                                  {"y", CLAW_FB_PARAM_POINTER, 8, 8}};
static const claw_fb_kernel fake_kernels[] = {{"saxpy", 4, fake_saxpy_params, {0, 0, 0}, 0, 0}};

/* A malloc'd fat binary in *size bytes; exits on failure. */
static inline void *
fake_fatbin(size_t *size)
{
    static const char ptx[] = ".version 8.0\n.target sm_80\n.entry saxpy\n";
    /* The smallest code object the fake HIP loads: an ELF64 header
     * (OS ABI AMDGPU_HSA, EM_AMDGPU, code object v5, gfx942 with xnack and
     * sramecc "any"), whose one 64-byte section header entry covers the
     * "\0saxpy.kd\0" symbol name the fake looks for. */
    unsigned char code_object[128] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 64, 3};
    code_object[18] = 224;  /* e_machine */
    code_object[40] = 64;   /* e_shoff */
    code_object[48] = 0x4c; /* e_flags: gfx942 */
    code_object[49] = 0x05; /* xnack any (0x100), sramecc any (0x400) */
    code_object[58] = 64;   /* e_shentsize */
    code_object[60] = 1;    /* e_shnum */
    memcpy(code_object + 65, "saxpy.kd", 9);
    claw_fb_image images[] = {
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, strlen(ptx), 1, fake_kernels},
        {"amdgcn-amd-amdhsa", "gfx942", CLAW_FB_IMG_OBJECT, code_object, sizeof code_object, 1,
         fake_kernels},
    };
    void *out;
    char err[256];
    if (claw_fb_write(images, 2, &out, size, err, sizeof err) != 0) {
        fprintf(stderr, "claw_fb_write: %s\n", err);
        exit(1);
    }
    return out;
}

#endif
