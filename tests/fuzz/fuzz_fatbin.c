/* fuzz_fatbin.c: libFuzzer target for the fat-binary reader
 * (runtime/fatbin.c, docs/fatbin.md), which libclawrt runs on whatever bytes
 * a program hands claw_module_load. Any bytes must give either a parsed file
 * or a message: never a crash, a read out of bounds or a leak. A parsed file
 * is also written back with claw_fb_write and read again: the writer must
 * accept everything the reader accepts, and the second reading must give the
 * same images, kernels and parameters (a reader/writer disagreement would
 * make clawc and the runtime see different metadata). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/fatbin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, size_t image)
{
    fprintf(stderr, "fuzz_fatbin: round trip: %s differs (image %zu)\n", what, image);
    abort();
}

static void
compare(const claw_fb_file *a, const claw_fb_file *b)
{
    if (a->nimages != b->nimages)
        fail("image count", 0);
    for (size_t i = 0; i < a->nimages; i++) {
        const claw_fb_image *x = &a->images[i], *y = &b->images[i];
        if (strcmp(x->triple, y->triple) || strcmp(x->arch, y->arch))
            fail("triple or arch", i);
        if (x->image_kind != y->image_kind || x->size != y->size ||
            (x->size && memcmp(x->data, y->data, x->size)))
            fail("image bytes", i);
        if (x->nkernels != y->nkernels)
            fail("kernel count", i);
        for (uint32_t k = 0; k < x->nkernels; k++) {
            const claw_fb_kernel *p = &x->kernels[k], *q = &y->kernels[k];
            if (strcmp(p->name, q->name) || p->nparams != q->nparams ||
                p->shared_bytes != q->shared_bytes ||
                memcmp(p->workgroup, q->workgroup, sizeof p->workgroup))
                fail("kernel", i);
            for (uint32_t j = 0; j < p->nparams; j++) {
                const claw_fb_param *s = &p->params[j], *t = &q->params[j];
                if (strcmp(s->name, t->name) || s->kind != t->kind || s->size != t->size ||
                    s->align != t->align)
                    fail("parameter", i);
            }
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    claw_fb_file *f = NULL;
    char err[256];
    if (claw_fb_read(data, size, &f, err, sizeof err) != 0) {
        if (!err[0]) {
            fprintf(stderr, "fuzz_fatbin: refused without a message\n");
            abort();
        }
        return 0;
    }
    void *out = NULL;
    size_t out_size = 0;
    if (claw_fb_write(f->images, f->nimages, &out, &out_size, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_fatbin: the writer refuses what the reader accepted: %s\n", err);
        abort();
    }
    claw_fb_file *g = NULL;
    if (claw_fb_read(out, out_size, &g, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_fatbin: the reader refuses what the writer wrote: %s\n", err);
        abort();
    }
    compare(f, g);
    claw_fb_free(g);
    free(out);
    claw_fb_free(f);
    return 0;
}
