/* clawfb.c: look inside, take apart, combine and check fat binaries
 * (docs/clawfb.md).
 *
 *   clawfb list [-v] FILE                 one line per image
 *   clawfb extract FILE INDEX -o OUT      one image's bytes
 *   clawfb merge -o OUT FILE...           every image of every input
 *   clawfb strip FILE --keep=LIST -o OUT  only the images LIST names
 *   clawfb verify [--no-tools] FILE       metadata and images well formed
 *   clawfb tune FILE --kernel=K --arch=A --image=N -o OUT   a tuning record
 *
 * Everything is read through the runtime's own reader (runtime/fatbin.c),
 * which refuses truncated or hostile files with a message; this file only
 * adds the commands. merge and strip copy whole entries byte for byte (the
 * reader says where each entry lies), so keys of other producers survive.
 * verify adds checks of the images themselves (magic numbers, the kind and
 * architecture a triple allows, PTX entry points, tuning records) and,
 * where they are on the PATH, runs the vendors' checkers on each image:
 * ptxas for PTX, nvdisasm for cubins, llvm-readelf --notes for AMDGPU code
 * objects and spirv-val for SPIR-V.
 *
 * Exit status as clawc's: 0 success, 1 a bad fat binary (or a failed
 * check), 2 a bad command line or an environment problem. Outputs are
 * written through a temporary file renamed into place. */
#include "claw/fatbin.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLAW_VERSION
#define CLAW_VERSION "0.0.0"
#endif
#ifndef CLAW_LLVM_BIN_DIR
#define CLAW_LLVM_BIN_DIR "/usr/lib/llvm-19/bin"
#endif

extern char **environ;

enum { EXIT_BAD = 1, EXIT_USAGE = 2 };

/* ---- messages ---------------------------------------------------------- */

static int
usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("clawfb: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see clawfb --help)\n", stderr);
    return EXIT_USAGE;
}

static int
fail(int rc, const char *fmt, ...)
{
    va_list ap;
    fputs("clawfb: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return rc;
}

static void
print_help(void)
{
    fputs("usage: clawfb COMMAND ...\n"
          "\n"
          "Lists, extracts, merges, strips and verifies OpenClaw fat binaries (.clawfb).\n"
          "\n"
          "commands:\n"
          "  list [-v] FILE                  one line per image: index, triple, arch, kind,\n"
          "                                  bytes, kernels (and variant, tuning records);\n"
          "                                  -v adds each kernel's block, shared memory and\n"
          "                                  parameters\n"
          "  extract FILE INDEX -o OUT       write image INDEX (from 0, list's order);\n"
          "                                  '-o -' is standard output\n"
          "  merge -o OUT FILE...            one fat binary with every image of every input\n"
          "  strip FILE --keep=LIST -o OUT   keep only the images LIST names: targets as in\n"
          "                                  clawc --target (nvptx,spirv or nvptx:sm_90)\n"
          "  verify [--no-tools] FILE        check every image and all metadata; runs ptxas,\n"
          "                                  nvdisasm, llvm-readelf --notes and spirv-val on\n"
          "                                  the images where they are installed\n"
          "  tune FILE --kernel=K --arch=A --image=N -o OUT\n"
          "                                  record that on devices of arch A, kernel K runs\n"
          "                                  from the variant of image N\n"
          "  --version, --help\n"
          "\n"
          "exit status: 0 success, 1 a bad fat binary or a failed check, 2 bad command\n"
          "line or environment\n",
          stdout);
}

/* ---- files ------------------------------------------------------------- */

/* Reads a whole file; NULL with a message (exit 2) when it cannot. */
static unsigned char *
read_file(const char *path, size_t *size)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fail(EXIT_USAGE, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        unsigned char *nb = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    bool bad = !buf || ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        free(buf);
        fail(EXIT_USAGE, "cannot read '%s': %s", path, buf ? "read error" : "out of memory");
        return NULL;
    }
    *size = len;
    return buf;
}

/* Writes data to path ("-": standard output) through a temporary file
 * renamed into place, so that no reader sees half a file. */
static int
write_file(const char *path, const void *data, size_t size)
{
    if (strcmp(path, "-") == 0) {
        if ((size && fwrite(data, 1, size, stdout) != size) || fflush(stdout) != 0)
            return fail(EXIT_USAGE, "cannot write to standard output");
        return 0;
    }
    struct stat st;
    bool direct = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
    if (direct && S_ISDIR(st.st_mode))
        return fail(EXIT_USAGE, "cannot write '%s': it is a folder", path);
    size_t tlen = strlen(path) + 32;
    char *tmp = malloc(tlen);
    if (!tmp)
        return fail(EXIT_USAGE, "out of memory");
    snprintf(tmp, tlen, "%s.tmp%ld", path, (long)getpid());
    const char *wpath = direct ? path : tmp;
    FILE *f = fopen(wpath, "wb");
    if (!f) {
        int e = errno;
        free(tmp);
        return fail(EXIT_USAGE, "cannot write '%s': %s", path, strerror(e));
    }
    bool ok = size == 0 || fwrite(data, 1, size, f) == size;
    ok &= fclose(f) == 0;
    if (ok && !direct && rename(tmp, path) != 0)
        ok = false;
    int e = errno;
    if (!ok && !direct)
        remove(tmp);
    free(tmp);
    return ok ? 0 : fail(EXIT_USAGE, "cannot write '%s': %s", path, strerror(e));
}

/* A fat binary read and parsed; the bytes outlive the parse. */
typedef struct Input {
    const char *path;
    unsigned char *bytes;
    size_t size;
    claw_fb_file *fb;
} Input;

/* Returns 0, or the exit status after a message. */
static int
open_input(const char *path, Input *in)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    if (!(in->bytes = read_file(path, &in->size)))
        return EXIT_USAGE;
    char err[512];
    if (claw_fb_read(in->bytes, in->size, &in->fb, err, sizeof err) != 0) {
        free(in->bytes);
        in->bytes = NULL;
        return fail(EXIT_BAD, "%s: %s", path, err);
    }
    return 0;
}

static void
close_input(Input *in)
{
    claw_fb_free(in->fb);
    free(in->bytes);
    memset(in, 0, sizeof *in);
}

/* ---- names ------------------------------------------------------------- */

static const char *
kind_name(uint16_t kind)
{
    static const char *const names[] = {"none",      "object", "bitcode", "cubin",
                                        "fatbinary", "ptx",    "spirv"};
    return kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

/* The clawc --target name of a triple, or NULL when OpenClaw has none. */
static const char *
target_of(const char *triple)
{
    if (strncmp(triple, "nvptx", 5) == 0)
        return "nvptx";
    if (strncmp(triple, "amdgcn", 6) == 0)
        return "amdgpu";
    if (strncmp(triple, "spirv", 5) == 0)
        return "spirv";
    return NULL;
}

/* How the device architectures of a target's backend start (claw_device_props
 * arch: "sm_90", "gfx942", "vulkan1.3"), for tuning records. */
static const char *
device_arch_prefix(const char *target)
{
    if (!target)
        return NULL;
    return strcmp(target, "nvptx") == 0 ? "sm_" : strcmp(target, "amdgpu") == 0 ? "gfx" : "vulkan";
}

/* ---- list -------------------------------------------------------------- */

static void
print_kernel_details(const claw_fb_kernel *k)
{
    if (k->workgroup[0])
        printf("    kernel %s: block %ux%ux%u, %u B shared, params (", k->name, k->workgroup[0],
               k->workgroup[1], k->workgroup[2], k->shared_bytes);
    else
        printf("    kernel %s: any block, %u B shared, params (", k->name, k->shared_bytes);
    static const char *const kinds[] = {"scalar", "pointer", "struct"};
    for (uint32_t i = 0; i < k->nparams; i++)
        printf("%s%s %s %u", i ? ", " : "", k->params[i].name, kinds[k->params[i].kind],
               k->params[i].size);
    printf(")\n");
}

static int
cmd_list(int argc, char **argv)
{
    bool verbose = false;
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error("list: unknown option '%s'", argv[i]);
        else if (path)
            return usage_error("list: one file at a time ('%s' and '%s')", path, argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return usage_error("list needs a file");
    Input in;
    int rc = open_input(path, &in);
    if (rc)
        return rc;
    for (size_t i = 0; i < in.fb->nimages; i++) {
        const claw_fb_image *img = &in.fb->images[i];
        const claw_fb_entry *ex = &in.fb->entries[i];
        printf("%-3zu %-27s %-9s %-6s %9zu  ", i, img->triple, img->arch,
               kind_name(img->image_kind), img->size);
        if (img->nkernels == 0)
            printf("-");
        for (uint32_t k = 0; k < img->nkernels; k++)
            printf("%s%s", k ? "," : "", img->kernels[k].name);
        if (ex->variant)
            printf("  variant %s", ex->variant);
        if (ex->requires)
            printf("  requires %s", ex->requires);
        if (ex->tuned) {
            printf("  tuned");
            const char *p = ex->tuned;
            while (*p) {
                const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
                printf(" %.*s@%.*s", (int)(sp - p), p, (int)(nl - sp - 1), sp + 1);
                p = nl + 1;
            }
        }
        printf("\n");
        if (verbose)
            for (uint32_t k = 0; k < img->nkernels; k++)
                print_kernel_details(&img->kernels[k]);
    }
    close_input(&in);
    return 0;
}

/* ---- extract ----------------------------------------------------------- */

/* Parses an image index; false when it is not a decimal number. */
static bool
parse_index(const char *s, size_t *out)
{
    if (!*s)
        return false;
    size_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > SIZE_MAX / 10 - 10)
            return false;
        v = v * 10 + (size_t)(*p - '0');
    }
    *out = v;
    return true;
}

static int
cmd_extract(int argc, char **argv)
{
    const char *path = NULL, *index = NULL, *out = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0) {
            if (++i >= argc)
                return usage_error("-o needs a file name");
            out = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage_error("extract: unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else if (!index) {
            index = argv[i];
        } else {
            return usage_error("extract: unexpected argument '%s'", argv[i]);
        }
    }
    size_t idx;
    if (!path || !index || !out)
        return usage_error("usage: clawfb extract FILE INDEX -o OUT");
    if (!parse_index(index, &idx))
        return usage_error("extract: INDEX must be a number from 0, got '%s'", index);
    Input in;
    int rc = open_input(path, &in);
    if (rc)
        return rc;
    if (idx >= in.fb->nimages)
        rc = fail(EXIT_BAD, "%s: %zu images (0 to %zu): no image %zu", path, in.fb->nimages,
                  in.fb->nimages - 1, idx);
    else
        rc = write_file(out, in.fb->images[idx].data, in.fb->images[idx].size);
    close_input(&in);
    return rc;
}

/* ---- merge and strip: whole entries, byte for byte ----------------------- */

typedef struct Bytes {
    unsigned char *data;
    size_t len;
} Bytes;

static bool
bytes_append(Bytes *b, const void *data, size_t n)
{
    unsigned char *nd = realloc(b->data, b->len + n + 1);
    if (!nd)
        return false;
    memcpy(nd + b->len, data, n);
    b->data = nd;
    b->len += n;
    return true;
}

/* Appends entry i of in to out. */
static bool
copy_entry(const Input *in, size_t i, Bytes *out)
{
    const claw_fb_entry *ex = &in->fb->entries[i];
    return bytes_append(out, in->bytes + ex->offset, ex->size);
}

static int
cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    int first = -1, n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0) {
            if (++i >= argc)
                return usage_error("-o needs a file name");
            out = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage_error("merge: unknown option '%s'", argv[i]);
        } else {
            if (first < 0)
                first = i;
            n++;
        }
    }
    if (!out || n == 0)
        return usage_error("usage: clawfb merge -o OUT FILE...");
    Bytes merged = {0};
    int rc = 0;
    for (int i = first; rc == 0 && i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0) {
            i++;
            continue;
        }
        Input in;
        if ((rc = open_input(argv[i], &in)) != 0)
            break;
        for (size_t e = 0; rc == 0 && e < in.fb->nimages; e++)
            if (!copy_entry(&in, e, &merged))
                rc = fail(EXIT_USAGE, "out of memory");
        close_input(&in);
    }
    if (rc == 0)
        rc = write_file(out, merged.data, merged.len);
    free(merged.data);
    return rc;
}

/* One item of --keep: a target and optionally an architecture. */
typedef struct Keep {
    char target[16];
    char arch[64]; /* "" keeps every architecture of the target */
} Keep;

enum { MAX_KEEP = 64 };

static int
parse_keep(const char *list, Keep *keep, int *nkeep)
{
    *nkeep = 0;
    if (!*list)
        return usage_error("--keep= needs a list of targets (e.g. nvptx,spirv)");
    for (const char *p = list;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        size_t tlen = colon ? (size_t)(colon - p) : len;
        if (*nkeep == MAX_KEEP)
            return usage_error("--keep: more than %d items", MAX_KEEP);
        Keep *k = &keep[(*nkeep)++];
        if (tlen >= sizeof k->target || !((tlen == 5 && memcmp(p, "nvptx", 5) == 0) ||
                                          (tlen == 6 && memcmp(p, "amdgpu", 6) == 0) ||
                                          (tlen == 5 && memcmp(p, "spirv", 5) == 0)))
            return usage_error("--keep: unknown target '%.*s' (expected nvptx, amdgpu or spirv)",
                               (int)tlen, p);
        memcpy(k->target, p, tlen);
        k->target[tlen] = '\0';
        k->arch[0] = '\0';
        if (colon) {
            size_t alen = len - tlen - 1;
            if (alen == 0 || alen >= sizeof k->arch)
                return usage_error("--keep: bad architecture in '%.*s'", (int)len, p);
            memcpy(k->arch, colon + 1, alen);
            k->arch[alen] = '\0';
        }
        if (!end)
            return 0;
        p = end + 1;
    }
}

static bool
kept(const claw_fb_image *img, const Keep *keep, int nkeep)
{
    const char *t = target_of(img->triple);
    for (int i = 0; t && i < nkeep; i++)
        if (strcmp(keep[i].target, t) == 0 &&
            (!keep[i].arch[0] || strcmp(keep[i].arch, img->arch) == 0))
            return true;
    return false;
}

static int
cmd_strip(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *list = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0) {
            if (++i >= argc)
                return usage_error("-o needs a file name");
            out = argv[i];
        } else if (strncmp(argv[i], "--keep=", 7) == 0) {
            list = argv[i] + 7;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage_error("strip: unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return usage_error("strip: one file at a time ('%s' and '%s')", path, argv[i]);
        }
    }
    if (!path || !out || !list)
        return usage_error("usage: clawfb strip FILE --keep=LIST -o OUT");
    Keep keep[MAX_KEEP];
    int nkeep, rc = parse_keep(list, keep, &nkeep);
    if (rc)
        return rc;
    Input in;
    if ((rc = open_input(path, &in)) != 0)
        return rc;
    Bytes stripped = {0};
    size_t nkept = 0;
    for (size_t i = 0; rc == 0 && i < in.fb->nimages; i++) {
        if (!kept(&in.fb->images[i], keep, nkeep))
            continue;
        nkept++;
        if (!copy_entry(&in, i, &stripped))
            rc = fail(EXIT_USAGE, "out of memory");
    }
    if (rc == 0 && nkept == 0) {
        fprintf(stderr, "clawfb: error: %s: no image matches --keep=%s; the images are:", path,
                list);
        for (size_t i = 0; i < in.fb->nimages; i++)
            fprintf(stderr, "%s %s %s", i ? "," : "", in.fb->images[i].triple,
                    in.fb->images[i].arch);
        fputc('\n', stderr);
        rc = EXIT_BAD;
    }
    if (rc == 0)
        rc = write_file(out, stripped.data, stripped.len);
    free(stripped.data);
    close_input(&in);
    return rc;
}

/* ---- verify ------------------------------------------------------------ */

typedef struct Verify {
    const char *path;
    bool run_tools;
    int problems;
} Verify;

static void
problem(Verify *v, size_t img, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "clawfb: error: %s: image %zu: ", v->path, img);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    v->problems++;
}

static uint16_t
le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* "prefix", then a decimal digit, then digits (or hex digits when `hex`:
 * AMD's gfx90a), then optionally the one letter `suffix` (NVIDIA's sm_90a). */
static bool
numbered(const char *s, const char *prefix, bool hex, char suffix)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0)
        return false;
    const char *p = s + n;
    if (!(*p >= '0' && *p <= '9'))
        return false;
    while ((*p >= '0' && *p <= '9') || (hex && *p >= 'a' && *p <= 'f'))
        p++;
    return *p == '\0' || (suffix && p[0] == suffix && p[1] == '\0');
}

/* Whether the text of a PTX image declares `.entry name`. */
static bool
ptx_has_entry(const claw_fb_image *img, const char *name)
{
    const char *t = img->data;
    size_t n = img->size, nl = strlen(name);
    for (size_t i = 0; i + 7 + nl <= n; i++) {
        if (memcmp(t + i, ".entry ", 7) != 0 || memcmp(t + i + 7, name, nl) != 0)
            continue;
        char c = i + 7 + nl < n ? t[i + 7 + nl] : ' ';
        if (c == '(' || c == ' ' || c == '\n' || c == '\t' || c == '\r')
            return true;
    }
    return false;
}

/* Checks one image without outside tools: the kind and arch its triple
 * allows, and the magic number or text its kind implies. */
static void
verify_image_bytes(Verify *v, size_t i, const claw_fb_image *img)
{
    const unsigned char *d = img->data;
    const char *t = target_of(img->triple);
    if (img->size == 0) {
        problem(v, i, "the image is empty");
        return;
    }
    if (!t) {
        problem(v, i,
                "triple '%s' is none of OpenClaw's (nvptx64-nvidia-cuda, amdgcn-amd-amdhsa, "
                "spirv64-unknown-vulkanX.Y)",
                img->triple);
        return;
    }
    if (strcmp(t, "nvptx") == 0) {
        if (!numbered(img->arch, "sm_", false, 'a'))
            problem(v, i, "arch '%s' is not an NVIDIA architecture (sm_XX)", img->arch);
        if (img->image_kind == CLAW_FB_IMG_PTX) {
            if (memchr(d, '\0', img->size) || !memmem(d, img->size, ".version", 8) ||
                !memmem(d, img->size, ".target", 7)) {
                problem(v, i, "the PTX image is not PTX text (.version and .target, no NUL)");
                return;
            }
            char target[80];
            snprintf(target, sizeof target, ".target %s", img->arch);
            if (!memmem(d, img->size, target, strlen(target)))
                problem(v, i, "the PTX does not say '%s'", target);
            for (uint32_t k = 0; k < img->nkernels; k++)
                if (!ptx_has_entry(img, img->kernels[k].name))
                    problem(v, i, "kernel '%s' of the metadata has no .entry in the PTX",
                            img->kernels[k].name);
        } else if (img->image_kind == CLAW_FB_IMG_CUBIN) {
            /* ELF e_machine 190: EM_CUDA. */
            if (img->size < 20 || memcmp(d, "\177ELF", 4) != 0 || le16(d + 18) != 190) {
                problem(v, i, "the cubin image is not a CUDA ELF file (EM_CUDA)");
                return;
            }
            /* Each kernel is a symbol of the cubin: its name, NUL-terminated. */
            for (uint32_t k = 0; k < img->nkernels; k++) {
                const char *name = img->kernels[k].name;
                size_t nl = strlen(name) + 1;
                bool found = false;
                for (const unsigned char *at = d;
                     !found && (at = memmem(at, img->size - (size_t)(at - d), name, nl)); at++)
                    found = at == d || at[-1] == '\0' || at[-1] == '.';
                if (!found)
                    problem(v, i, "kernel '%s' of the metadata is no symbol of the cubin", name);
            }
        } else {
            problem(v, i, "an nvptx image must be ptx or cubin, not %s",
                    kind_name(img->image_kind));
        }
    } else if (strcmp(t, "amdgpu") == 0) {
        if (!numbered(img->arch, "gfx", true, 0))
            problem(v, i, "arch '%s' is not an AMD architecture (gfxNNN)", img->arch);
        /* ELF64, e_machine 224: EM_AMDGPU. */
        if (img->image_kind != CLAW_FB_IMG_OBJECT)
            problem(v, i, "an amdgcn image must be an object, not %s", kind_name(img->image_kind));
        else if (img->size < 20 || memcmp(d, "\177ELF", 4) != 0 || d[4] != 2 || le16(d + 18) != 224)
            problem(v, i, "the code object is not an AMDGPU ELF64 file (EM_AMDGPU)");
    } else {
        const char *dash = strrchr(img->triple, '-');
        /* "vulkan1.N", or "vulkan1.N-coopmat" for the cooperative-matrix
         * image (docs/fatbin.md) */
        char version[64];
        snprintf(version, sizeof version, "%s", img->arch);
        size_t vl = strlen(version);
        if (vl > 8 && strcmp(version + vl - 8, "-coopmat") == 0)
            version[vl - 8] = '\0';
        if (!numbered(version, "vulkan1.", false, 0))
            problem(v, i, "arch '%s' is not a Vulkan version (vulkan1.N or vulkan1.N-coopmat)",
                    img->arch);
        else if (!dash || strcmp(dash + 1, version) != 0)
            problem(v, i, "triple '%s' and arch '%s' name different Vulkan versions", img->triple,
                    img->arch);
        if (img->image_kind != CLAW_FB_IMG_SPIRV)
            problem(v, i, "a spirv image must be spirv, not %s", kind_name(img->image_kind));
        else if (img->size < 20 || img->size % 4 != 0 || le32(d) != 0x07230203)
            problem(v, i, "the SPIR-V image has no SPIR-V header (magic 0x07230203, whole words)");
    }
}

/* Checks that every kernel name means one signature across the images, and
 * that tuning records name a kernel of their image, an architecture of its
 * backend, and no (kernel, arch) twice. */
static void
verify_metadata(Verify *v, const claw_fb_file *f)
{
    for (size_t i = 0; i < f->nimages; i++) {
        const claw_fb_image *a = &f->images[i];
        for (uint32_t k = 0; k < a->nkernels; k++) {
            const claw_fb_kernel *ka = &a->kernels[k];
            for (size_t j = 0; j < i; j++) {
                const claw_fb_image *b = &f->images[j];
                for (uint32_t l = 0; l < b->nkernels; l++) {
                    const claw_fb_kernel *kb = &b->kernels[l];
                    if (strcmp(ka->name, kb->name) != 0)
                        continue;
                    bool same = ka->nparams == kb->nparams;
                    for (uint32_t p = 0; same && p < ka->nparams; p++)
                        same = ka->params[p].kind == kb->params[p].kind &&
                               ka->params[p].size == kb->params[p].size &&
                               ka->params[p].align == kb->params[p].align;
                    if (!same)
                        problem(v, i, "kernel '%s' has other parameters than in image %zu",
                                ka->name, j);
                }
            }
        }
        const char *p = f->entries[i].tuned;
        const char *t = target_of(a->triple);
        while (p && *p) {
            const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
            char kernel[1100], arch[80];
            snprintf(kernel, sizeof kernel, "%.*s", (int)(sp - p), p);
            snprintf(arch, sizeof arch, "%.*s", (int)(nl - sp - 1), sp + 1);
            bool found = false;
            for (uint32_t k = 0; k < a->nkernels; k++)
                found |= strcmp(a->kernels[k].name, kernel) == 0;
            if (!found)
                problem(v, i, "tuning record '%s %s' names a kernel the image lacks", kernel, arch);
            const char *want = device_arch_prefix(t);
            if (want && strncmp(arch, want, strlen(want)) != 0)
                problem(v, i, "tuning record '%s %s': a %s image cannot run on a %s device", kernel,
                        arch, a->triple, arch);
            for (size_t j = 0; j < i; j++)
                if (claw_fb_is_tuned(f, j, kernel, arch))
                    problem(v, i, "tuning record '%s %s' is also on image %zu", kernel, arch, j);
            p = nl + 1;
        }
    }
}

/* Finds an executable by name on the PATH, or at `fallback`; NULL if none. */
static char *
find_tool(const char *name, const char *fallback)
{
    const char *path = getenv("PATH");
    char buf[4096];
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        if (len > 0 && len < sizeof buf - strlen(name) - 2) {
            snprintf(buf, sizeof buf, "%.*s/%s", (int)len, path, name);
            if (access(buf, X_OK) == 0)
                return strdup(buf);
        }
        path = colon ? colon + 1 : NULL;
    }
    if (fallback && access(fallback, X_OK) == 0)
        return strdup(fallback);
    return NULL;
}

/* Runs argv with stdout and stderr into the file `log`; returns the exit
 * status, or -1 when it could not run. */
static int
run_tool(char *const *argv, const char *log)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The first line of a tool's output, for a one-line verdict. */
static void
first_line(const char *log, char *out, size_t outlen)
{
    out[0] = '\0';
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    if (fgets(out, (int)outlen, f))
        out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

/* Runs the vendor's checker on image i, if it is installed; prints its
 * verdict and counts a failure as a problem. */
static void
verify_with_tool(Verify *v, size_t i, const claw_fb_image *img, const char *tmpdir)
{
    const char *t = target_of(img->triple);
    if (!t)
        return;
    char image[4200], log[4200], arg[128];
    snprintf(image, sizeof image, "%s/image%zu", tmpdir, i);
    snprintf(log, sizeof log, "%s/log%zu", tmpdir, i);
    const char *name, *fallback = NULL;
    char *argv[8];
    int argc = 0;
    bool readelf = false;
    const char *arg2 = NULL;
    if (strcmp(t, "nvptx") == 0 && img->image_kind == CLAW_FB_IMG_PTX) {
        name = "ptxas";
        snprintf(arg, sizeof arg, "-arch=%s", img->arch);
    } else if (strcmp(t, "nvptx") == 0 && img->image_kind == CLAW_FB_IMG_CUBIN) {
        name = "nvdisasm";
        fallback = "/usr/local/cuda/bin/nvdisasm";
        arg[0] = '\0';
    } else if (strcmp(t, "amdgpu") == 0) {
        name = "llvm-readelf";
        fallback = CLAW_LLVM_BIN_DIR "/llvm-readelf";
        snprintf(arg, sizeof arg, "--notes");
        readelf = true;
    } else if (strcmp(t, "spirv") == 0) {
        name = "spirv-val";
        snprintf(arg, sizeof arg, "--target-env");
        arg2 = img->arch;
        /* the cooperative-matrix image (docs/spirv.md "Cooperative
         * matrices"): universal SPIR-V 1.6 rules, by a spirv-val that knows
         * SPV_KHR_cooperative_matrix */
        if (strcmp(img->arch, "vulkan1.3-coopmat") == 0)
            arg2 = "spv1.6";
    } else {
        return;
    }
    char *tool = find_tool(name, fallback);
    if (!tool) {
        printf("image %zu: %s not found: not run\n", i, name);
        return;
    }
    if (write_file(image, img->data, img->size) != 0) {
        free(tool);
        v->problems++;
        return;
    }
    argv[argc++] = tool;
    if (arg[0])
        argv[argc++] = arg;
    if (arg2)
        argv[argc++] = (char *)arg2;
    argv[argc++] = image;
    char outarg[] = "-o", devnull[] = "/dev/null";
    if (strcmp(name, "ptxas") == 0) {
        argv[argc++] = outarg;
        argv[argc++] = devnull;
    }
    argv[argc] = NULL;
    int rc = run_tool(argv, log);
    char line[300];
    first_line(log, line, sizeof line);
    if (rc != 0 && strcmp(name, "spirv-val") == 0 && strstr(line, "operand: 6022")) {
        /* capability 6022, CooperativeMatrixKHR: this spirv-val predates
         * the extension (Debian 12's); clawc checked the image itself */
        printf("image %zu: %s predates SPV_KHR_cooperative_matrix: not run\n", i, name);
        remove(image);
        remove(log);
        free(tool);
        return;
    }
    if (rc == 0 && readelf) {
        /* The code object must carry HSA metadata naming its kernels. */
        size_t n;
        unsigned char *notes = read_file(log, &n);
        bool ok = notes && memmem(notes, n, "amdhsa.kernels", 14);
        for (uint32_t k = 0; ok && k < img->nkernels; k++)
            ok = memmem(notes, n, img->kernels[k].name, strlen(img->kernels[k].name)) != NULL;
        free(notes);
        if (!ok) {
            problem(v, i, "llvm-readelf --notes shows no amdhsa.kernels metadata for every kernel");
            rc = -2;
        }
    }
    if (rc == 0)
        printf("image %zu: %s %s%s%s: ok\n", i, name, arg, arg2 ? " " : "", arg2 ? arg2 : "");
    else if (rc != -2)
        problem(v, i, "%s %s%s%s refuses it%s%s", name, arg, arg2 ? " " : "", arg2 ? arg2 : "",
                line[0] ? ": " : "", line);
    remove(image);
    remove(log);
    free(tool);
}

static int
cmd_verify(int argc, char **argv)
{
    Verify v = {NULL, true, 0};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--no-tools") == 0)
            v.run_tools = false;
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error("verify: unknown option '%s'", argv[i]);
        else if (v.path)
            return usage_error("verify: one file at a time ('%s' and '%s')", v.path, argv[i]);
        else
            v.path = argv[i];
    }
    if (!v.path)
        return usage_error("verify needs a file");
    Input in;
    int rc = open_input(v.path, &in);
    if (rc)
        return rc;
    for (size_t i = 0; i < in.fb->nimages; i++)
        verify_image_bytes(&v, i, &in.fb->images[i]);
    verify_metadata(&v, in.fb);
    if (v.run_tools && v.problems == 0) {
        const char *base = getenv("TMPDIR");
        char tmpdir[4096];
        snprintf(tmpdir, sizeof tmpdir, "%s/clawfb.XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            close_input(&in);
            return fail(EXIT_USAGE, "cannot make a temporary folder in %s: %s",
                        base && *base ? base : "/tmp", strerror(errno));
        }
        for (size_t i = 0; i < in.fb->nimages; i++)
            verify_with_tool(&v, i, &in.fb->images[i], tmpdir);
        rmdir(tmpdir);
    }
    if (v.problems == 0)
        printf("%s: %zu image%s, metadata and images well formed\n", v.path, in.fb->nimages,
               in.fb->nimages == 1 ? "" : "s");
    else
        fprintf(stderr, "clawfb: %s: %d problem%s\n", v.path, v.problems,
                v.problems == 1 ? "" : "s");
    close_input(&in);
    return v.problems ? EXIT_BAD : 0;
}

/* ---- tune -------------------------------------------------------------- */

static int
cmd_tune(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *kernel = NULL, *arch = NULL, *image = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0) {
            if (++i >= argc)
                return usage_error("-o needs a file name");
            out = argv[i];
        } else if (strncmp(argv[i], "--kernel=", 9) == 0) {
            kernel = argv[i] + 9;
        } else if (strncmp(argv[i], "--arch=", 7) == 0) {
            arch = argv[i] + 7;
        } else if (strncmp(argv[i], "--image=", 8) == 0) {
            image = argv[i] + 8;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage_error("tune: unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return usage_error("tune: one file at a time ('%s' and '%s')", path, argv[i]);
        }
    }
    size_t idx;
    if (!path || !out || !kernel || !arch || !image)
        return usage_error("usage: clawfb tune FILE --kernel=K --arch=A --image=N -o OUT");
    if (!parse_index(image, &idx))
        return usage_error("tune: --image must be a number from 0, got '%s'", image);
    Input in;
    int rc = open_input(path, &in);
    if (rc)
        return rc;
    void *data;
    size_t size;
    char err[512];
    const char *want =
        idx < in.fb->nimages ? device_arch_prefix(target_of(in.fb->images[idx].triple)) : "";
    if (!want || strncmp(arch, want, strlen(want)) != 0) {
        rc = fail(EXIT_BAD, "%s: image %zu is %s %s, which a %s device cannot run", path, idx,
                  in.fb->images[idx].triple, in.fb->images[idx].arch, arch);
    } else if (claw_fb_record_tuning(in.bytes, in.size, kernel, arch, idx, &data, &size, err,
                                     sizeof err) != 0) {
        rc = fail(EXIT_BAD, "%s: %s", path, err);
    } else {
        rc = write_file(out, data, size);
        free(data);
    }
    close_input(&in);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {
        {"list", cmd_list},   {"extract", cmd_extract}, {"merge", cmd_merge},
        {"strip", cmd_strip}, {"verify", cmd_verify},   {"tune", cmd_tune},
    };
    if (argc < 2)
        return usage_error("no command (list, extract, merge, strip, verify or tune)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_help();
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("clawfb %s (OpenClaw)\n", CLAW_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    return usage_error("unknown command '%s' (expected list, extract, merge, strip, verify or "
                       "tune)",
                       argv[1]);
}
