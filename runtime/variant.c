/* variant.c: kernels of `clawc --variants` fat binaries (docs/runtime.md
 * "Variants").
 *
 * claw_module_load chooses one image for the device (rt_choose_image: the
 * first variant among equals). A kernel with a tuning record for the
 * device's architecture (docs/fatbin.md "claw.tuned") runs from another
 * variant's image: claw_kernel_get asks rt_choose_variant which, and this
 * file loads that image as a module of its own the first time, kept in the
 * parent module's `variants` slots and freed with it. Such a module shares
 * the parent's copy of the fat binary; the backend sees an ordinary module
 * whose image happens to be another one.
 *
 * The block size and variant queries read the metadata of the image the
 * kernel came from, so they answer for the variant actually launched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

claw_status
rt_variant_module(claw_module *m, int index, claw_module **out)
{
    if (m->image == &m->fb->images[index]) {
        *out = m;
        return CLAW_SUCCESS;
    }
    if (!m->variants && !(m->variants = calloc(m->fb->nimages, sizeof *m->variants)))
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_kernel_get: out of memory");
    if (m->variants[index]) {
        *out = m->variants[index];
        return CLAW_SUCCESS;
    }
    claw_module *v = calloc(1, sizeof *v);
    const claw_fb_image *img = &m->fb->images[index];
    if (!v || (img->nkernels && !(v->kernels = calloc(img->nkernels, sizeof *v->kernels)))) {
        free(v);
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "claw_kernel_get: out of memory");
    }
    v->magic = RT_MAGIC_MODULE;
    v->dev = m->dev;
    v->bytes = m->bytes;
    v->fb = m->fb;
    v->image = img;
    v->parent = m;
    claw_status s = m->dev->be->module_load(m->dev, v);
    if (s != CLAW_SUCCESS) {
        free(v->kernels);
        free(v);
        return s;
    }
    m->variants[index] = v;
    *out = v;
    return CLAW_SUCCESS;
}

void
rt_free_variants(claw_module *m, bool native)
{
    if (!m->variants)
        return;
    for (size_t i = 0; i < m->fb->nimages; i++) {
        claw_module *v = m->variants[i];
        if (!v)
            continue;
        if (v->kernels)
            for (uint32_t k = 0; k < v->image->nkernels; k++)
                rt_free_kernel(m->dev, v->kernels[k], native);
        if (native && v->native)
            m->dev->be->module_unload(v);
        free(v->kernels);
        v->magic = 0;
        free(v);
    }
    free(m->variants);
    m->variants = NULL;
}

static bool
kernel_ok(const claw_kernel *k)
{
    return k && k->magic == RT_MAGIC_KERNEL && k->mod && k->mod->magic == RT_MAGIC_MODULE;
}

claw_status
claw_kernel_block_size(claw_kernel *k, uint32_t block[3])
{
    if (!kernel_ok(k))
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT,
                        "claw_kernel_block_size: kernel is null or not a live handle");
    if (!block)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_kernel_block_size: block is null");
    const uint32_t *wg = k->meta->workgroup;
    for (int i = 0; i < 3; i++)
        block[i] = wg[0] == 0 ? 0 : wg[i] ? wg[i] : 1;
    return CLAW_SUCCESS;
}

claw_status
claw_kernel_variant(claw_kernel *k, char *settings, size_t size)
{
    if (!kernel_ok(k))
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT,
                        "claw_kernel_variant: kernel is null or not a live handle");
    if (!settings || size == 0)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT, "claw_kernel_variant: no room for the text");
    const claw_module *m = k->mod;
    const char *v = m->fb->entries[m->image - m->fb->images].variant;
    int n = snprintf(settings, size, "%s", v ? v : "");
    if (n < 0 || (size_t)n >= size)
        return rt_error(CLAW_ERROR_INVALID_ARGUMENT,
                        "claw_kernel_variant: the settings '%s' need %d bytes, %zu given", v, n + 1,
                        size);
    return CLAW_SUCCESS;
}
