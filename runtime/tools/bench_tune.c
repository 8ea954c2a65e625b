/* bench_tune.c: clawbench --tune FILE.clawfb (docs/clawbench.md "Tuning").
 *
 * For each kernel of the images the device would load, every variant (the
 * `claw.variant` images of clawc --variants) is run through the registered
 * benchmark whose kernel has that name: checked against the reference, then
 * timed. The fastest right one becomes the kernel's tuning record for the
 * device's architecture (claw_fb_record_tuning), written into the fat
 * binary (in place, or to -o OUT), and the result is loaded again to show
 * that claw_module_load now runs it.
 *
 * Which image a variant is: the runtime's own choice decides, not a copy of
 * its rules. For each image i, a scratch fat binary is made of the same
 * images with a tuning record for the kernel on image i, and each image's
 * variant settings replaced by the marker CLAWBENCH_IMAGE=<its index>; it
 * is loaded and claw_kernel_variant says which image the kernel came from.
 * An image the runtime does not run on this device (another backend,
 * architecture or kind) never answers with its own marker and is skipped. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_host.h"

static const char *progname = "clawbench";

enum { MAX_TUNED = 64 };

typedef struct Variant {
    size_t image;
    const char *settings;
    BenchResult r;
} Variant;

typedef struct Tuned {
    const char *kernel;
    const Bench *bench;
    char size[96];
    Variant *v;
    size_t nv;
    int winner; /* index into v, or -1 */
} Tuned;

/* The scratch fat binary in which kernel `kernel` runs from image `img`. */
static int
marked(const claw_fb_file *f, const char *kernel, const char *arch, size_t img, void **out,
       size_t *out_size, char *err, size_t errlen)
{
    claw_fb_entry *e = calloc(f->nimages, sizeof *e);
    char(*names)[40] = calloc(f->nimages, sizeof *names);
    char tuned[512];
    snprintf(tuned, sizeof tuned, "%s %s\n", kernel, arch);
    int rc = -1;
    if (e && names) {
        for (size_t i = 0; i < f->nimages; i++) {
            e[i] = f->entries[i];
            snprintf(names[i], sizeof names[i], "CLAWBENCH_IMAGE=%zu", i);
            e[i].variant = names[i];
            e[i].tuned = i == img ? tuned : NULL;
        }
        rc = claw_fb_write_entries(f->images, e, f->nimages, out, out_size, err, errlen);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    free(e);
    free(names);
    return rc;
}

static bool
has_kernel(const claw_fb_image *img, const char *name)
{
    for (uint32_t k = 0; k < img->nkernels; k++)
        if (strcmp(img->kernels[k].name, name) == 0)
            return true;
    return false;
}

static const claw_fb_kernel *
image_kernel(const claw_fb_image *img, const char *name)
{
    for (uint32_t k = 0; k < img->nkernels; k++)
        if (strcmp(img->kernels[k].name, name) == 0)
            return &img->kernels[k];
    return NULL;
}

/* Measures every variant of t->kernel; returns 0 or 2. */
static int
tune_kernel(BenchHost *h, const claw_fb_file *f, Tuned *t)
{
    char err[1280];
    BenchCase c;
    int rc = bench_case_open(h, t->bench, &c);
    if (rc)
        return rc;
    snprintf(t->size, sizeof t->size, "%s", c.size);
    claw_module *shipped = bench_shipped(h, t->bench, err, sizeof err);
    if (!shipped) {
        fprintf(stderr, "%s: error: %s\n", progname, err);
        bench_teardown(&c);
        return 2;
    }
    t->v = calloc(f->nimages, sizeof *t->v);
    t->winner = -1;
    if (!t->v) {
        bench_teardown(&c);
        return 2;
    }
    for (size_t i = 0; i < f->nimages && rc == 0; i++) {
        if (!has_kernel(&f->images[i], t->kernel))
            continue;
        void *bytes = NULL;
        size_t size = 0;
        claw_module *m = NULL;
        claw_kernel *k;
        char got[64] = "", want[40];
        snprintf(want, sizeof want, "CLAWBENCH_IMAGE=%zu", i);
        if (marked(f, t->kernel, h->props.arch, i, &bytes, &size, err, sizeof err) != 0) {
            fprintf(stderr, "%s: error: image %zu: %s\n", progname, i, err);
            rc = 2;
        } else if (claw_module_load(h->dev, bytes, size, &m) != CLAW_SUCCESS ||
                   claw_kernel_get(m, t->kernel, &k) != CLAW_SUCCESS ||
                   claw_kernel_variant(k, got, sizeof got) != CLAW_SUCCESS ||
                   strcmp(got, want) != 0) {
            /* not an image this device runs: nothing to measure */
        } else if (!bench_signature_ok(t->bench, t->kernel, image_kernel(&f->images[i], t->kernel),
                                       err, sizeof err)) {
            fprintf(stderr, "%s: error: image %zu: %s\n", progname, i, err);
            rc = 2;
        } else {
            claw_kernel *ks[BENCH_MAX_KERNELS];
            int from = 0;
            if (bench_kernels(h, t->bench, shipped, m, ks, &from, err, sizeof err) != 0) {
                fprintf(stderr, "%s: error: image %zu: %s\n", progname, i, err);
                rc = 2;
            } else {
                Variant *v = &t->v[t->nv++];
                v->image = i;
                v->settings = f->entries[i].variant ? f->entries[i].variant : "";
                bench_measure(h, t->bench, &c, ks, &v->r);
                if (v->r.right && (t->winner < 0 || v->r.median_ms < t->v[t->winner].r.median_ms))
                    t->winner = (int)(t->nv - 1);
            }
        }
        if (m)
            claw_module_unload(m);
        free(bytes);
    }
    bench_teardown(&c);
    return rc;
}

static int
write_file(const char *path, const void *data, size_t size)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.clawbench-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "wb");
    bool ok = f && fwrite(data, 1, size, f) == size;
    if (f)
        ok = fclose(f) == 0 && ok;
    else
        close(fd);
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

static void
print_text(const BenchHost *h, const char *path, const Tuned *t, size_t nt)
{
    printf("clawbench --tune %s: device %d: %s (%s, %s)\n", path, h->index, h->props.name,
           backend_name(h->props.backend), h->props.arch);
    for (size_t i = 0; i < nt; i++) {
        printf("\nkernel %s (benchmark %s, %s): %zu variant%s\n", t[i].kernel, t[i].bench->name,
               t[i].size, t[i].nv, t[i].nv == 1 ? "" : "s");
        for (size_t j = 0; j < t[i].nv; j++) {
            const Variant *v = &t[i].v[j];
            if (v->r.right)
                printf("  image %-3zu %-32s %10.4f ms  +-%4.1f%%  right%s\n", v->image,
                       *v->settings ? v->settings : "(no settings)", v->r.median_ms,
                       (v->r.q3_ms - v->r.q1_ms) / v->r.median_ms * 50.0,
                       (int)j == t[i].winner ? "  <- fastest" : "");
            else
                printf("  image %-3zu %-32s WRONG: %s\n", v->image, v->settings, v->r.why);
        }
        if (t[i].winner < 0) {
            printf("  no right variant: no record\n");
            continue;
        }
        const Variant *w = &t[i].v[t[i].winner], *first = &t[i].v[0];
        if (first->r.right && w != first)
            printf("  winner: image %zu, %.2fx the speed of the first variant (image %zu)\n",
                   w->image, first->r.median_ms / w->r.median_ms, first->image);
        else
            printf("  winner: image %zu\n", w->image);
    }
}

static void
print_json(const BenchHost *h, const char *path, const char *out, const Tuned *t, size_t nt, int rc)
{
    printf("{\"clawbench\": \"%s\", ", CLAW_VERSION);
    json_device(stdout, h);
    printf(", \"tune\": {\"file\": ");
    json_str(stdout, path);
    printf(", \"output\": ");
    json_str(stdout, out);
    printf(", \"kernels\": [");
    for (size_t i = 0; i < nt; i++) {
        printf("%s\n  {\"kernel\": ", i ? "," : "");
        json_str(stdout, t[i].kernel);
        printf(", \"benchmark\": ");
        json_str(stdout, t[i].bench->name);
        printf(", \"size\": ");
        json_str(stdout, t[i].size);
        printf(", \"variants\": [");
        for (size_t j = 0; j < t[i].nv; j++) {
            printf("%s{\"image\": %zu, \"variant\": ", j ? ", " : "", t[i].v[j].image);
            json_str(stdout, t[i].v[j].settings);
            printf(", \"result\": ");
            json_result(stdout, &t[i].v[j].r);
            printf("}");
        }
        printf("], \"winner\": ");
        if (t[i].winner < 0) {
            printf("null");
        } else {
            printf("{\"image\": %zu, \"variant\": ", t[i].v[t[i].winner].image);
            json_str(stdout, t[i].v[t[i].winner].settings);
            printf("}");
        }
        printf("}");
    }
    printf("\n]}, \"ok\": %s, \"exit\": %d}\n", rc == 0 ? "true" : "false", rc);
}

/* Loads the written file and checks that each kernel runs from its winner. */
static int
check_written(BenchHost *h, const void *data, size_t size, const Tuned *t, size_t nt)
{
    claw_module *m;
    claw_status s = claw_module_load(h->dev, data, size, &m);
    if (s != CLAW_SUCCESS) {
        fprintf(stderr, "%s: error: loading the tuned file: %s: %s\n", progname,
                claw_status_string(s), claw_last_error());
        return 2;
    }
    int rc = 0;
    for (size_t i = 0; i < nt; i++) {
        if (t[i].winner < 0)
            continue;
        claw_kernel *k;
        char got[512] = "";
        const char *want = t[i].v[t[i].winner].settings;
        if (claw_kernel_get(m, t[i].kernel, &k) != CLAW_SUCCESS ||
            claw_kernel_variant(k, got, sizeof got) != CLAW_SUCCESS || strcmp(got, want) != 0) {
            fprintf(stderr,
                    "%s: error: after tuning, claw_module_load runs %s with settings '%s', not the "
                    "winner's '%s'\n",
                    progname, t[i].kernel, got, want);
            rc = 2;
        }
    }
    claw_module_unload(m);
    return rc;
}

int
tune_file(BenchHost *h, const char *path)
{
    const BenchOpts *o = h->o;
    size_t size = 0;
    void *data = bench_read_file(path, &size);
    if (!data) {
        fprintf(stderr, "%s: error: --tune %s: cannot read it: %s\n", progname, path,
                strerror(errno));
        return 2;
    }
    char err[1280];
    claw_fb_file *f = NULL;
    claw_module *whole = NULL;
    Tuned t[MAX_TUNED];
    size_t nt = 0;
    int rc = 0;
    char triple[128], arch[64];
    claw_status s;
    if (claw_fb_read(data, size, &f, err, sizeof err) != 0) {
        fprintf(stderr, "%s: error: --tune %s: %s\n", progname, path, err);
        rc = 2;
        goto done;
    }
    /* The kernels to tune: those of the images claw_module_load would use. */
    if ((s = claw_module_load(h->dev, data, size, &whole)) != CLAW_SUCCESS ||
        (s = claw_module_image(whole, triple, sizeof triple, arch, sizeof arch)) != CLAW_SUCCESS) {
        fprintf(stderr, "%s: error: --tune %s: %s: %s\n", progname, path, claw_status_string(s),
                claw_last_error());
        rc = 2;
        goto done;
    }
    for (size_t i = 0; i < f->nimages; i++) {
        const claw_fb_image *img = &f->images[i];
        if (strcmp(img->triple, triple) != 0 || strcmp(img->arch, arch) != 0)
            continue;
        for (uint32_t k = 0; k < img->nkernels; k++) {
            const char *name = img->kernels[k].name;
            bool seen = false, wanted = o->nkernels == 0;
            for (size_t j = 0; j < nt; j++)
                seen |= strcmp(t[j].kernel, name) == 0;
            for (int j = 0; j < o->nkernels; j++)
                wanted |= strcmp(o->kernels[j], name) == 0;
            if (seen || !wanted)
                continue;
            if (nt == MAX_TUNED) {
                fprintf(stderr,
                        "%s: error: --tune %s: more than %d kernels; pick some with "
                        "--kernel\n",
                        progname, path, MAX_TUNED);
                rc = 2;
                goto done;
            }
            memset(&t[nt], 0, sizeof t[nt]);
            t[nt].kernel = name;
            t[nt].bench = bench_for_kernel(name);
            t[nt].winner = -1;
            if (!t[nt].bench) {
                fprintf(stderr,
                        "%s: error: --tune %s: kernel '%s' has no registered benchmark, so "
                        "clawbench cannot run it (clawbench --list names the kernels it can; "
                        "--kernel picks the ones to tune)\n",
                        progname, path, name);
                rc = 2;
            }
            nt++;
        }
    }
    for (int j = 0; j < o->nkernels; j++) {
        bool found = false;
        for (size_t i = 0; i < nt; i++)
            found |= strcmp(t[i].kernel, o->kernels[j]) == 0;
        if (!found) {
            fprintf(stderr, "%s: error: --kernel %s: no such kernel in the %s %s images of %s\n",
                    progname, o->kernels[j], triple, arch, path);
            rc = 2;
        }
    }
    if (rc == 0 && nt == 0) {
        fprintf(stderr, "%s: error: --tune %s: no kernels to tune\n", progname, path);
        rc = 2;
    }
    if (rc)
        goto done;
    claw_module_unload(whole);
    whole = NULL;

    for (size_t i = 0; i < nt && rc == 0; i++)
        rc = tune_kernel(h, f, &t[i]);
    if (rc)
        goto done;

    /* The records, one kernel at a time, on the original bytes. */
    void *out = malloc(size ? size : 1);
    size_t out_size = size;
    if (!out) {
        rc = 2;
        goto done;
    }
    memcpy(out, data, size);
    bool any_wrong = false;
    for (size_t i = 0; i < nt; i++) {
        for (size_t j = 0; j < t[i].nv; j++)
            any_wrong |= !t[i].v[j].r.right;
        if (t[i].winner < 0)
            continue;
        void *next;
        size_t next_size;
        if (claw_fb_record_tuning(out, out_size, t[i].kernel, h->props.arch,
                                  t[i].v[t[i].winner].image, &next, &next_size, err,
                                  sizeof err) != 0) {
            fprintf(stderr, "%s: error: recording %s: %s\n", progname, t[i].kernel, err);
            free(out);
            rc = 2;
            goto done;
        }
        free(out);
        out = next;
        out_size = next_size;
    }
    const char *dest = o->output ? o->output : path;
    if (write_file(dest, out, out_size) != 0) {
        fprintf(stderr, "%s: error: writing %s: %s\n", progname, dest, strerror(errno));
        rc = 2;
    } else {
        rc = check_written(h, out, out_size, t, nt);
    }
    free(out);
    if (rc == 0 && any_wrong)
        rc = 1;
    if (o->json) {
        print_json(h, path, dest, t, nt, rc);
    } else {
        print_text(h, path, t, nt);
        printf("\n");
        for (size_t i = 0; i < nt; i++)
            if (t[i].winner >= 0)
                printf("recorded in %s: %s on %s runs image %zu (%s)\n", dest, t[i].kernel,
                       h->props.arch, t[i].v[t[i].winner].image,
                       *t[i].v[t[i].winner].settings ? t[i].v[t[i].winner].settings
                                                     : "no settings");
        if (rc == 0)
            printf("claw_module_load of %s now runs those variants on %s devices\n", dest,
                   h->props.arch);
        else if (rc == 1)
            printf("FAILED: a variant gave a wrong result (left out of the choice)\n");
    }
done:
    if (whole)
        claw_module_unload(whole);
    for (size_t i = 0; i < nt; i++)
        free(t[i].v);
    claw_fb_free(f);
    free(data);
    return rc;
}
