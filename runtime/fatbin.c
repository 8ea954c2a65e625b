/* fatbin.c: writer and reader of OpenClaw fat binaries (format: docs/fatbin.md).
 *
 * A fat binary is a plain concatenation of LLVM OffloadBinary version 1
 * entries, one per image, so llvm-objdump --offloading and
 * clang-offload-packager read it. One entry, all fields little-endian and
 * offsets relative to the entry's first byte, is laid out as LLVM's writer
 * lays it out (llvm/Object/OffloadBinary.h, OffloadBinary::write):
 *
 *   0   header   magic 10 FF 10 AD, u32 version (1), u64 size (the whole
 *                entry, padded to 8), u64 entry offset (32), u64 entry size (40)
 *   32  entry    u16 image kind, u16 offload kind, u32 flags, u64 string map
 *                offset, u64 string count, u64 image offset, u64 image size
 *   72  string map: count x {u64 key offset, u64 value offset}
 *   ..  string table: NUL-terminated strings, starting with an empty one
 *   ..  zero padding to 8, the image, zero padding to 8
 *
 * The kernel metadata (docs/fatbin.md) travels as the value of the string
 * key "claw.kernels" in a line-based text encoding described in
 * docs/fatbin.md; both directions of it live here too.
 *
 * The reader trusts nothing: every field is decoded byte by byte (no
 * alignment assumption on the caller's buffer), every offset and size is
 * checked with subtraction-only comparisons that cannot overflow, every
 * string must end with a NUL inside its entry, and the first problem found
 * is reported with the byte offset (from the start of the file) where it is. */
#include "claw/fatbin.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    FB_HEADER_SIZE = 32,
    FB_ENTRY_SIZE = 40,
    FB_STRING_ENTRY_SIZE = 16,
    FB_ALIGN = 8,
    FB_VERSION = 1,
};

/* OffloadBinary OffloadKind values (the "producer" llvm-objdump prints). */
enum { FB_OFK_NONE = 0, FB_OFK_OPENMP = 1, FB_OFK_CUDA = 2, FB_OFK_HIP = 3 };

static const unsigned char fb_magic[4] = {0x10, 0xFF, 0x10, 0xAD};

/* The string-map keys of OpenClaw (docs/fatbin.md): kernel metadata, the
 * -D settings of a variant, and tuning records. */
#define FB_KEY_KERNELS "claw.kernels"
#define FB_KEY_VARIANT "claw.variant"
#define FB_KEY_TUNED   "claw.tuned"
#define FB_KEY_BOUNDS  "claw.bounds"
#define FB_KEY_REQUIRES "claw.requires"

/* Metadata texts stay small; this bounds what a hostile file can make the
 * reader allocate per kernel parameter list. */
#define FB_MAX_PARAMS 4096u

static void
fb_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- little-endian field access --------------------------------------- */

static uint16_t
rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t
rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

static void
wr16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void
wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void
wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- a growable text buffer for the metadata encoding ----------------- */

typedef struct FbText {
    char *data;
    size_t len, cap;
    bool failed; /* out of memory */
} FbText;

static void
text_printf(FbText *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->failed = true;
        return;
    }
    size_t need = t->len + (size_t)n + 1;
    if (need > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < need)
            cap *= 2;
        char *p = realloc(t->data, cap);
        if (!p) {
            t->failed = true;
            return;
        }
        t->data = p;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* Kernel and parameter names are identifiers (docs/language.md), which is what
 * lets the metadata encoding separate fields with spaces. */
static bool
is_identifier(const char *s, size_t len)
{
    if (len == 0 || len > 1024)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0))
            return false;
    }
    return true;
}

/* A string-map value may hold anything but NUL; triples and arches are also
 * kept free of control characters so error messages stay one line. */
static bool
is_plain_string(const char *s)
{
    if (!s || !*s || strlen(s) > 256)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ',' || *p == '=')
            return false;
    return true;
}

static const char *const param_kind_names[] = {"scalar", "pointer", "struct"};

/* An architecture name in a tuning record: a plain string without spaces. */
static bool
is_arch_word(const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == ',' || s[i] == '=' ||
            s[i] == ';')
            return false;
    return true;
}

/* "claw.variant": NAME=VALUE pairs separated by ';', as -D would take them;
 * a value is printable, without spaces, ',' or ';'. */
static bool
is_variant_text(const char *s)
{
    if (!s || !*s || strlen(s) > 4096)
        return false;
    const char *p = s;
    for (;;) {
        const char *eq = strchr(p, '=');
        const char *semi = strchr(p, ';');
        if (!eq || (semi && semi < eq) || !is_identifier(p, (size_t)(eq - p)))
            return false;
        const char *v = eq + 1, *vend = semi ? semi : v + strlen(v);
        if (vend == v)
            return false;
        for (const char *c = v; c < vend; c++)
            if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == ',' || *c == '=')
                return false;
        if (!semi)
            return true;
        p = semi + 1;
    }
}

/* "claw.tuned": lines "KERNEL DEVICE-ARCH\n". */
static bool
is_tuned_text(const char *s)
{
    if (!s || strlen(s) > 65536)
        return false;
    const char *p = s;
    while (*p) {
        const char *nl = strchr(p, '\n');
        const char *sp = strchr(p, ' ');
        if (!nl || !sp || sp > nl || !is_identifier(p, (size_t)(sp - p)) ||
            !is_arch_word(sp + 1, (size_t)(nl - sp - 1)))
            return false;
        p = nl + 1;
    }
    return true;
}

/* "claw.bounds" (docs/debugging.md): a line "file PATH", then lines
 * "site ID LINE COL ACCESS SPACE BYTES ALIGN FUNCTION PARAM", ids counting
 * from 0 in order. The file path is any printable text; the rest are words
 * and numbers. */
static bool
is_bounds_text(const char *s)
{
    if (!s || strlen(s) > (64u << 20))
        return false;
    if (strncmp(s, "file ", 5) != 0)
        return false;
    const char *p = s;
    unsigned long long want = 0;
    bool first = true;
    while (*p) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            return false;
        for (const char *c = p; c < nl; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return false;
        if (first) {
            first = false;
        } else {
            char acc[8], space[8], fn[128], param[128];
            unsigned long long id, line, col, bytes, align;
            int used = 0;
            size_t n = (size_t)(nl - p);
            char buf[400];
            if (n >= sizeof buf)
                return false;
            memcpy(buf, p, n);
            buf[n] = '\0';
            if (sscanf(buf, "site %llu %llu %llu %7s %7s %llu %llu %127s %127s%n", &id, &line, &col,
                       acc, space, &bytes, &align, fn, param, &used) != 9 ||
                (size_t)used != n || id != want++ || line > UINT32_MAX || col > UINT32_MAX ||
                (strcmp(acc, "load") != 0 && strcmp(acc, "store") != 0 &&
                 strcmp(acc, "atomic") != 0) ||
                (strcmp(space, "global") != 0 && strcmp(space, "shared") != 0 &&
                 strcmp(space, "private") != 0) ||
                align == 0 || (align & (align - 1)) != 0)
                return false;
        }
        p = nl + 1;
    }
    return true;
}

/* "claw.requires": words of [a-z0-9_] separated by single spaces; words
 * this reader does not know are kept (the runtime refuses to run such an
 * image on any device, docs/fatbin.md). */
static bool
is_requires_text(const char *s)
{
    if (!s || !*s || strlen(s) > 1024)
        return false;
    for (const char *p = s; *p; p++) {
        bool word = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
        if (!word && !(*p == ' ' && p > s && p[-1] != ' ' && p[1]))
            return false;
    }
    return true;
}

static bool
is_reserved_key(const char *k)
{
    return strcmp(k, "triple") == 0 || strcmp(k, "arch") == 0 || strcmp(k, FB_KEY_KERNELS) == 0 ||
           strcmp(k, FB_KEY_VARIANT) == 0 || strcmp(k, FB_KEY_TUNED) == 0 ||
           strcmp(k, FB_KEY_BOUNDS) == 0 || strcmp(k, FB_KEY_REQUIRES) == 0;
}

/* ---- writer ------------------------------------------------------------ */

static int
encode_kernels(const claw_fb_image *img, size_t index, FbText *t, char *err, size_t errlen)
{
    if (img->nkernels > 0 && !img->kernels) {
        fb_error(err, errlen, "image %zu: %u kernels but no kernel array", index, img->nkernels);
        return -1;
    }
    for (uint32_t k = 0; k < img->nkernels; k++) {
        const claw_fb_kernel *kn = &img->kernels[k];
        if (!kn->name || !is_identifier(kn->name, strlen(kn->name))) {
            fb_error(err, errlen, "image %zu kernel %u: name is not an identifier", index, k);
            return -1;
        }
        if (kn->nparams > FB_MAX_PARAMS || (kn->nparams > 0 && !kn->params)) {
            fb_error(err, errlen, "kernel '%s': bad parameter list (%u parameters)", kn->name,
                     kn->nparams);
            return -1;
        }
        text_printf(t, "kernel %s workgroup=%u,%u,%u shared=%u params=%u%s\n", kn->name,
                    kn->workgroup[0], kn->workgroup[1], kn->workgroup[2], kn->shared_bytes,
                    kn->nparams, kn->bounds_checked ? " bounds" : "");
        for (uint32_t i = 0; i < kn->nparams; i++) {
            const claw_fb_param *p = &kn->params[i];
            if (!p->name || !is_identifier(p->name, strlen(p->name))) {
                fb_error(err, errlen, "kernel '%s' parameter %u: name is not an identifier",
                         kn->name, i);
                return -1;
            }
            if ((unsigned)p->kind > CLAW_FB_PARAM_STRUCT || p->size == 0 || p->align == 0 ||
                (p->align & (p->align - 1)) != 0 || p->size % p->align != 0) {
                fb_error(err, errlen,
                         "kernel '%s' parameter '%s': bad kind/size/alignment (%d, %u, %u)",
                         kn->name, p->name, (int)p->kind, p->size, p->align);
                return -1;
            }
            text_printf(t, "param %s %s %u %u\n", p->name, param_kind_names[p->kind], p->size,
                        p->align);
        }
    }
    if (t->failed) {
        fb_error(err, errlen, "out of memory encoding kernel metadata");
        return -1;
    }
    return 0;
}

static uint16_t
offload_kind_for(const char *triple)
{
    if (strncmp(triple, "nvptx", 5) == 0)
        return FB_OFK_CUDA;
    if (strncmp(triple, "amdgcn", 6) == 0)
        return FB_OFK_HIP;
    return FB_OFK_NONE;
}

static size_t
align8(size_t n)
{
    return (n + (FB_ALIGN - 1)) & ~(size_t)(FB_ALIGN - 1);
}

enum { FB_MAX_STRINGS = 1024 };

/* Appends one OffloadBinary entry for img (and the extra strings of ex, which
 * may be NULL) to *buf (grown with realloc). */
static int
write_entry(const claw_fb_image *img, const claw_fb_entry *ex, size_t index, unsigned char **buf,
            size_t *len, char *err, size_t errlen)
{
    if (!is_plain_string(img->triple) || !is_plain_string(img->arch)) {
        fb_error(err, errlen, "image %zu: triple and arch must be short printable strings", index);
        return -1;
    }
    if (img->size > 0 && !img->data) {
        fb_error(err, errlen, "image %zu: %zu bytes but no data", index, img->size);
        return -1;
    }
    if (ex && ex->variant && !is_variant_text(ex->variant)) {
        fb_error(err, errlen, "image %zu: variant '%.64s' is not NAME=VALUE;NAME=VALUE...", index,
                 ex->variant);
        return -1;
    }
    if (ex && ex->tuned && !is_tuned_text(ex->tuned)) {
        fb_error(err, errlen, "image %zu: tuning records must be lines 'KERNEL ARCH'", index);
        return -1;
    }
    if (ex && ex->bounds && !is_bounds_text(ex->bounds)) {
        fb_error(err, errlen, "image %zu: malformed access-site table", index);
        return -1;
    }
    if (ex && ex->requires && !is_requires_text(ex->requires)) {
        fb_error(err, errlen, "image %zu: required features must be words of [a-z0-9_]", index);
        return -1;
    }
    size_t nextra = ex ? ex->nstrings : 0;
    if (nextra > FB_MAX_STRINGS || (nextra && !ex->strings)) {
        fb_error(err, errlen, "image %zu: bad list of %zu extra strings", index, nextra);
        return -1;
    }
    for (size_t i = 0; i < nextra; i++) {
        const char *k = ex->strings[2 * i], *v = ex->strings[2 * i + 1];
        if (!k || !*k || !v || is_reserved_key(k)) {
            fb_error(err, errlen, "image %zu: extra string %zu has a missing or reserved key",
                     index, i);
            return -1;
        }
    }
    FbText meta = {0};
    text_printf(&meta, "%s", "");
    if (encode_kernels(img, index, &meta, err, errlen) != 0) {
        free(meta.data);
        return -1;
    }

    /* OpenClaw's keys first, in a fixed order, then the extra strings. */
    const char *fixed_keys[7] = {"triple", "arch", FB_KEY_KERNELS};
    const char *fixed_vals[7] = {img->triple, img->arch, meta.data};
    size_t nfixed = 3;
    if (ex && ex->requires) {
        fixed_keys[nfixed] = FB_KEY_REQUIRES;
        fixed_vals[nfixed++] = ex->requires;
    }
    if (ex && ex->variant) {
        fixed_keys[nfixed] = FB_KEY_VARIANT;
        fixed_vals[nfixed++] = ex->variant;
    }
    if (ex && ex->tuned && *ex->tuned) {
        fixed_keys[nfixed] = FB_KEY_TUNED;
        fixed_vals[nfixed++] = ex->tuned;
    }
    if (ex && ex->bounds) {
        fixed_keys[nfixed] = FB_KEY_BOUNDS;
        fixed_vals[nfixed++] = ex->bounds;
    }
    size_t nstr = nfixed + nextra;
#define KEY_AT(i) ((i) < nfixed ? fixed_keys[i] : ex->strings[2 * ((i)-nfixed)])
#define VAL_AT(i) ((i) < nfixed ? fixed_vals[i] : ex->strings[2 * ((i)-nfixed) + 1])
    size_t strtab = 1; /* an empty string first, as in an ELF string table */
    for (size_t i = 0; i < nstr; i++)
        strtab += strlen(KEY_AT(i)) + 1 + strlen(VAL_AT(i)) + 1;
    size_t strings_at = FB_HEADER_SIZE + FB_ENTRY_SIZE;
    size_t strtab_at = strings_at + nstr * FB_STRING_ENTRY_SIZE;
    size_t image_at = align8(strtab_at + strtab);
    if (img->size > SIZE_MAX / 2 - image_at || *len > SIZE_MAX / 2) {
        free(meta.data);
        fb_error(err, errlen, "image %zu: too large (%zu bytes)", index, img->size);
        return -1;
    }
    size_t total = align8(image_at + img->size);
    unsigned char *nb = realloc(*buf, *len + total);
    if (!nb) {
        free(meta.data);
        fb_error(err, errlen, "out of memory writing a %zu-byte image", img->size);
        return -1;
    }
    *buf = nb;
    unsigned char *p = nb + *len;
    memset(p, 0, total);

    memcpy(p, fb_magic, 4);
    wr32(p + 4, FB_VERSION);
    wr64(p + 8, total);
    wr64(p + 16, FB_HEADER_SIZE);
    wr64(p + 24, FB_ENTRY_SIZE);

    unsigned char *e = p + FB_HEADER_SIZE;
    wr16(e, img->image_kind);
    wr16(e + 2, offload_kind_for(img->triple));
    wr32(e + 4, 0);
    wr64(e + 8, strings_at);
    wr64(e + 16, nstr);
    wr64(e + 24, image_at);
    wr64(e + 32, img->size);

    size_t at = strtab_at + 1;
    for (size_t i = 0; i < nstr; i++) {
        unsigned char *se = p + strings_at + i * FB_STRING_ENTRY_SIZE;
        size_t klen = strlen(KEY_AT(i)) + 1, vlen = strlen(VAL_AT(i)) + 1;
        wr64(se, at);
        memcpy(p + at, KEY_AT(i), klen);
        at += klen;
        wr64(se + 8, at);
        memcpy(p + at, VAL_AT(i), vlen);
        at += vlen;
    }
#undef KEY_AT
#undef VAL_AT
    if (img->size > 0)
        memcpy(p + image_at, img->data, img->size);
    *len += total;
    free(meta.data);
    return 0;
}

int
claw_fb_write(const claw_fb_image *images, size_t nimages, void **out, size_t *out_size, char *err,
              size_t errlen)
{
    return claw_fb_write_entries(images, NULL, nimages, out, out_size, err, errlen);
}

int
claw_fb_write_entries(const claw_fb_image *images, const claw_fb_entry *entries, size_t nimages,
                      void **out, size_t *out_size, char *err, size_t errlen)
{
    if (!out || !out_size || (nimages > 0 && !images)) {
        fb_error(err, errlen, "claw_fb_write: null argument");
        return -1;
    }
    *out = NULL;
    *out_size = 0;
    if (nimages == 0) {
        fb_error(err, errlen, "claw_fb_write: a fat binary needs at least one image");
        return -1;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    for (size_t i = 0; i < nimages; i++) {
        if (write_entry(&images[i], entries ? &entries[i] : NULL, i, &buf, &len, err, errlen) !=
            0) {
            free(buf);
            return -1;
        }
    }
    *out = buf;
    *out_size = len;
    return 0;
}

/* ---- reader ------------------------------------------------------------ */

/* Reader state: the whole file, for reporting offsets from its start. */
typedef struct FbReader {
    const unsigned char *file;
    size_t file_size;
    char *err;
    size_t errlen;
} FbReader;

#define READ_FAIL(r, at, ...)                                                                      \
    do {                                                                                           \
        char msg_[256];                                                                            \
        snprintf(msg_, sizeof msg_, __VA_ARGS__);                                                  \
        fb_error((r)->err, (r)->errlen, "fat binary: byte offset %zu: %s", (size_t)(at), msg_);    \
        return -1;                                                                                 \
    } while (0)

static char *
dup_range(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Reads a decimal u32 from [*p, end); advances *p. */
static bool
parse_u32(const char **p, const char *end, uint32_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || *s < '0' || *s > '9')
        return false;
    while (s < end && *s >= '0' && *s <= '9') {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return false;
        s++;
    }
    *p = s;
    *out = (uint32_t)v;
    return true;
}

static bool
expect_lit(const char **p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* Reads an identifier followed by a space or the end of the line. */
static char *
parse_word(const char **p, const char *end)
{
    const char *s = *p;
    while (s < end && *s != ' ')
        s++;
    if (!is_identifier(*p, (size_t)(s - *p)))
        return NULL;
    char *w = dup_range(*p, (size_t)(s - *p));
    *p = s;
    return w;
}

static void
free_kernels(claw_fb_kernel *ks, uint32_t n)
{
    if (!ks)
        return;
    for (uint32_t i = 0; i < n; i++) {
        free((char *)ks[i].name);
        for (uint32_t j = 0; j < ks[i].nparams; j++)
            free((char *)ks[i].params[j].name);
        free((claw_fb_param *)ks[i].params);
    }
    free(ks);
}

static size_t
count_lines(const char *s, size_t len, const char *prefix)
{
    size_t n = 0, plen = strlen(prefix);
    for (size_t i = 0; i < len;) {
        if (len - i >= plen && memcmp(s + i, prefix, plen) == 0)
            n++;
        const char *nl = memchr(s + i, '\n', len - i);
        if (!nl)
            break;
        i = (size_t)(nl - s) + 1;
    }
    return n;
}

/* Decodes the "claw.kernels" text (docs/fatbin.md) at file offset `at`. */
static int
decode_kernels(FbReader *r, const char *text, size_t len, size_t at, claw_fb_image *img)
{
    size_t cap = count_lines(text, len, "kernel ");
    claw_fb_kernel *ks = cap ? calloc(cap, sizeof *ks) : NULL;
    if (cap && !ks)
        READ_FAIL(r, at, "out of memory for %zu kernels", cap);
    uint32_t nk = 0;
    const char *p = text, *end = text + len;
    uint32_t want_params = 0, have_params = 0;
    claw_fb_kernel *cur = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t line_at = at + (size_t)(p - text);
        const char *q = p;
        if (expect_lit(&q, eol, "kernel ")) {
            if (cur && have_params != want_params)
                goto short_params;
            if (nk >= cap || nk >= UINT32_MAX)
                goto bad_line;
            cur = &ks[nk++];
            uint32_t nparams;
            if (!(cur->name = parse_word(&q, eol)) || !expect_lit(&q, eol, " workgroup=") ||
                !parse_u32(&q, eol, &cur->workgroup[0]) || !expect_lit(&q, eol, ",") ||
                !parse_u32(&q, eol, &cur->workgroup[1]) || !expect_lit(&q, eol, ",") ||
                !parse_u32(&q, eol, &cur->workgroup[2]) || !expect_lit(&q, eol, " shared=") ||
                !parse_u32(&q, eol, &cur->shared_bytes) || !expect_lit(&q, eol, " params=") ||
                !parse_u32(&q, eol, &nparams))
                goto bad_line;
            if (expect_lit(&q, eol, " bounds"))
                cur->bounds_checked = 1;
            if (q != eol)
                goto bad_line;
            /* Each parameter needs a line of its own: bound the allocation
             * by what the text can actually hold. */
            if (nparams > FB_MAX_PARAMS || nparams > count_lines(q, (size_t)(end - q), "param "))
                goto short_params;
            want_params = nparams;
            have_params = 0;
            cur->params = nparams ? calloc(nparams, sizeof(claw_fb_param)) : NULL;
            if (nparams && !cur->params)
                goto bad_line;
            for (uint32_t i = 0; i < nk - 1; i++)
                if (strcmp(ks[i].name, cur->name) == 0) {
                    char name[64];
                    snprintf(name, sizeof name, "%s", cur->name);
                    free_kernels(ks, nk);
                    READ_FAIL(r, line_at, "kernel '%s' listed twice", name);
                }
        } else if (expect_lit(&q, eol, "param ")) {
            if (!cur || have_params >= want_params)
                goto bad_line;
            claw_fb_param *pa = (claw_fb_param *)&cur->params[have_params];
            cur->nparams = ++have_params;
            int kind = -1;
            if (!(pa->name = parse_word(&q, eol)) || !expect_lit(&q, eol, " "))
                goto bad_line;
            for (int k = 0; k < 3; k++)
                if (expect_lit(&q, eol, param_kind_names[k])) {
                    kind = k;
                    break;
                }
            if (kind < 0 || !expect_lit(&q, eol, " ") || !parse_u32(&q, eol, &pa->size) ||
                !expect_lit(&q, eol, " ") || !parse_u32(&q, eol, &pa->align) || q != eol)
                goto bad_line;
            pa->kind = (claw_fb_param_kind)kind;
            if (pa->size == 0 || pa->align == 0 || (pa->align & (pa->align - 1)) != 0 ||
                pa->size % pa->align != 0 || (kind == CLAW_FB_PARAM_POINTER && pa->size != 8)) {
                free_kernels(ks, nk);
                READ_FAIL(r, line_at, "parameter with bad size/alignment");
            }
        } else if (p != eol) {
            goto bad_line;
        }
        p = nl ? nl + 1 : end;
        continue;
    bad_line:
        free_kernels(ks, nk);
        READ_FAIL(r, line_at, "malformed kernel metadata line");
    }
    if (cur && have_params != want_params) {
    short_params:
        free_kernels(ks, nk);
        READ_FAIL(r, at, "kernel metadata lists fewer parameters than it declares");
    }
    img->kernels = ks;
    img->nkernels = nk;
    return 0;
}

/* Returns the NUL-terminated string at entry offset `off`, or NULL when it
 * does not end inside the entry. */
static const char *
entry_string(const unsigned char *entry, size_t entry_size, uint64_t off, size_t *len)
{
    if (off >= entry_size)
        return NULL;
    const unsigned char *nul = memchr(entry + off, '\0', entry_size - (size_t)off);
    if (!nul)
        return NULL;
    *len = (size_t)(nul - (entry + off));
    return (const char *)(entry + off);
}

static void
free_entry_fields(claw_fb_entry *ex)
{
    free((char *)ex->variant);
    free((char *)ex->tuned);
    free((char *)ex->bounds);
    free((char *)ex->requires);
    for (size_t i = 0; i < 2 * ex->nstrings; i++)
        free((char *)ex->strings[i]);
    free((char **)ex->strings);
    memset(ex, 0, sizeof *ex);
}

static void
free_image_fields(claw_fb_image *img, claw_fb_entry *ex)
{
    free((char *)img->triple);
    free((char *)img->arch);
    free_kernels((claw_fb_kernel *)img->kernels, img->nkernels);
    memset(img, 0, sizeof *img);
    free_entry_fields(ex);
}

/* Keeps a string-map entry that is not one of OpenClaw's own keys. */
static bool
keep_extra_string(claw_fb_entry *ex, const char *key, size_t klen, const char *val, size_t vlen)
{
    const char **ns = realloc((char **)ex->strings, (ex->nstrings + 1) * 2 * sizeof *ns);
    if (!ns)
        return false;
    ex->strings = ns;
    ns[2 * ex->nstrings] = dup_range(key, klen);
    ns[2 * ex->nstrings + 1] = dup_range(val, vlen);
    ex->nstrings++;
    return ns[2 * ex->nstrings - 2] && ns[2 * ex->nstrings - 1];
}

/* Parses the entry at file offset `base`; stores its size in *consumed. */
static int
read_entry(FbReader *r, size_t base, claw_fb_image *img, claw_fb_entry *ex, size_t *consumed)
{
    const unsigned char *p = r->file + base;
    size_t avail = r->file_size - base;
    if (avail < FB_HEADER_SIZE)
        READ_FAIL(r, base, "truncated header (%zu of %d bytes)", avail, FB_HEADER_SIZE);
    if (memcmp(p, fb_magic, 4) != 0)
        READ_FAIL(r, base, "bad magic (expected 10 FF 10 AD, an LLVM OffloadBinary)");
    uint32_t version = rd32(p + 4);
    if (version != FB_VERSION)
        READ_FAIL(r, base + 4, "unsupported OffloadBinary version %u (expected 1)", version);
    uint64_t size = rd64(p + 8), entry_off = rd64(p + 16), entry_size = rd64(p + 24);
    if (size > avail)
        READ_FAIL(r, base + 8, "entry size %llu runs past the end of the file (%zu bytes left)",
                  (unsigned long long)size, avail);
    if (size < FB_HEADER_SIZE + FB_ENTRY_SIZE || size % FB_ALIGN != 0)
        READ_FAIL(r, base + 8, "bad entry size %llu", (unsigned long long)size);
    if (entry_size < FB_ENTRY_SIZE || entry_off < FB_HEADER_SIZE || entry_off > size ||
        entry_size > size - entry_off)
        READ_FAIL(r, base + 16, "entry descriptor (offset %llu, size %llu) outside the entry",
                  (unsigned long long)entry_off, (unsigned long long)entry_size);
    const unsigned char *e = p + entry_off;
    size_t e_at = base + (size_t)entry_off;
    uint64_t str_off = rd64(e + 8), nstr = rd64(e + 16);
    uint64_t img_off = rd64(e + 24), img_size = rd64(e + 32);
    if (str_off > size || nstr > (size - str_off) / FB_STRING_ENTRY_SIZE)
        READ_FAIL(r, e_at + 8, "string map (offset %llu, %llu strings) outside the entry",
                  (unsigned long long)str_off, (unsigned long long)nstr);
    if (img_off > size || img_size > size - img_off)
        READ_FAIL(r, e_at + 24, "image (offset %llu, size %llu) outside the entry",
                  (unsigned long long)img_off, (unsigned long long)img_size);

    memset(img, 0, sizeof *img);
    memset(ex, 0, sizeof *ex);
    ex->offset = base;
    ex->size = (size_t)size;
    img->image_kind = rd16(e);
    img->data = p + img_off;
    img->size = (size_t)img_size;
    bool have_kernels = false;
    for (uint64_t i = 0; i < nstr; i++) {
        size_t se_at = (size_t)str_off + (size_t)i * FB_STRING_ENTRY_SIZE;
        uint64_t koff = rd64(p + se_at), voff = rd64(p + se_at + 8);
        size_t klen, vlen;
        const char *key = entry_string(p, (size_t)size, koff, &klen);
        if (!key) {
            free_image_fields(img, ex);
            READ_FAIL(r, base + se_at,
                      "string key offset %llu is outside the entry or unterminated",
                      (unsigned long long)koff);
        }
        const char *val = entry_string(p, (size_t)size, voff, &vlen);
        if (!val) {
            free_image_fields(img, ex);
            READ_FAIL(r, base + se_at + 8,
                      "string value offset %llu is outside the entry or unterminated",
                      (unsigned long long)voff);
        }
        const char **slot = NULL;
        if (strcmp(key, "triple") == 0)
            slot = &img->triple;
        else if (strcmp(key, "arch") == 0)
            slot = &img->arch;
        if (slot) {
            if (*slot || !is_plain_string(val)) {
                free_image_fields(img, ex);
                READ_FAIL(r, base + (size_t)voff, "bad or repeated '%s' value", key);
            }
            if (!(*slot = dup_range(val, vlen))) {
                free_image_fields(img, ex);
                READ_FAIL(r, base, "out of memory");
            }
        } else if (strcmp(key, FB_KEY_KERNELS) == 0) {
            if (have_kernels) {
                free_image_fields(img, ex);
                READ_FAIL(r, base + se_at, "repeated '%s' key", FB_KEY_KERNELS);
            }
            have_kernels = true;
            if (decode_kernels(r, val, vlen, base + (size_t)voff, img) != 0) {
                free_image_fields(img, ex);
                return -1;
            }
        } else if (strcmp(key, FB_KEY_BOUNDS) == 0) {
            if (ex->bounds || !is_bounds_text(val)) {
                free_image_fields(img, ex);
                READ_FAIL(r, base + (size_t)voff, "bad or repeated '%s' value", key);
            }
            if (!(ex->bounds = dup_range(val, vlen))) {
                free_image_fields(img, ex);
                READ_FAIL(r, base, "out of memory");
            }
        } else if (strcmp(key, FB_KEY_REQUIRES) == 0) {
            if (ex->requires || !is_requires_text(val)) {
                free_image_fields(img, ex);
                READ_FAIL(r, base + (size_t)voff, "bad or repeated '%s' value", key);
            }
            if (!(ex->requires = dup_range(val, vlen))) {
                free_image_fields(img, ex);
                READ_FAIL(r, base, "out of memory");
            }
        } else if (strcmp(key, FB_KEY_VARIANT) == 0 || strcmp(key, FB_KEY_TUNED) == 0) {
            bool variant = key[5] == 'v';
            const char **slot2 = variant ? &ex->variant : &ex->tuned;
            if (*slot2 || !(variant ? is_variant_text(val) : is_tuned_text(val))) {
                free_image_fields(img, ex);
                READ_FAIL(r, base + (size_t)voff, "bad or repeated '%s' value", key);
            }
            if (!(*slot2 = dup_range(val, vlen))) {
                free_image_fields(img, ex);
                READ_FAIL(r, base, "out of memory");
            }
        } else if (ex->nstrings >= FB_MAX_STRINGS || !keep_extra_string(ex, key, klen, val, vlen)) {
            /* Other keys (clang's "kind", "feature", ...) are kept for tools
             * that rewrite the file, and otherwise ignored. */
            free_image_fields(img, ex);
            READ_FAIL(r, base + se_at, "too many strings or out of memory");
        }
    }
    if (!img->triple || !img->arch) {
        free_image_fields(img, ex);
        READ_FAIL(r, e_at, "entry has no '%s' string", img->triple ? "arch" : "triple");
    }
    *consumed = (size_t)size;
    return 0;
}

int
claw_fb_read(const void *data, size_t size, claw_fb_file **out, char *err, size_t errlen)
{
    FbReader r = {data, size, err, errlen};
    if (!out) {
        fb_error(err, errlen, "claw_fb_read: null output pointer");
        return -1;
    }
    *out = NULL;
    if (!data || size == 0)
        READ_FAIL(&r, 0, "empty fat binary");
    claw_fb_file *f = calloc(1, sizeof *f);
    if (!f)
        READ_FAIL(&r, 0, "out of memory");
    size_t cap = 0, at = 0;
    while (at < size) {
        if (f->nimages == cap) {
            /* Each entry takes at least 72 bytes, so cap stays far from overflow. */
            size_t ncap = cap ? cap * 2 : 4;
            claw_fb_image *ni = realloc(f->images, ncap * sizeof *ni);
            if (ni)
                f->images = ni;
            claw_fb_entry *ne = ni ? realloc(f->entries, ncap * sizeof *ne) : NULL;
            if (!ni || !ne) {
                claw_fb_free(f);
                READ_FAIL(&r, at, "out of memory");
            }
            f->entries = ne;
            cap = ncap;
        }
        size_t used;
        if (read_entry(&r, at, &f->images[f->nimages], &f->entries[f->nimages], &used) != 0) {
            claw_fb_free(f);
            return -1;
        }
        f->nimages++;
        at += used;
    }
    *out = f;
    return 0;
}

void
claw_fb_free(claw_fb_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nimages; i++)
        free_image_fields(&f->images[i], &f->entries[i]);
    free(f->images);
    free(f->entries);
    free(f);
}

/* ---- tuning records ---------------------------------------------------- */

/* Finds the line "kernel arch\n" in a tuning text; returns it or NULL. */
static const char *
find_record(const char *tuned, const char *kernel, const char *arch)
{
    size_t kl = strlen(kernel), al = strlen(arch);
    for (const char *p = tuned; p && *p;) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        if ((size_t)(nl - p) == kl + 1 + al && memcmp(p, kernel, kl) == 0 && p[kl] == ' ' &&
            memcmp(p + kl + 1, arch, al) == 0)
            return p;
        p = nl + 1;
    }
    return NULL;
}

int
claw_fb_is_tuned(const claw_fb_file *f, size_t img, const char *kernel, const char *device_arch)
{
    if (!f || img >= f->nimages || !kernel || !device_arch)
        return 0;
    return find_record(f->entries[img].tuned, kernel, device_arch) != NULL;
}

int
claw_fb_record_tuning(const void *data, size_t size, const char *kernel, const char *device_arch,
                      size_t image, void **out, size_t *out_size, char *err, size_t errlen)
{
    if (!out || !out_size || !kernel || !device_arch) {
        fb_error(err, errlen, "claw_fb_record_tuning: null argument");
        return -1;
    }
    *out = NULL;
    *out_size = 0;
    if (!is_identifier(kernel, strlen(kernel)) || !is_arch_word(device_arch, strlen(device_arch))) {
        fb_error(err, errlen,
                 "a tuning record needs a kernel name and an architecture, got '%.64s' "
                 "and '%.64s'",
                 kernel, device_arch);
        return -1;
    }
    claw_fb_file *f;
    if (claw_fb_read(data, size, &f, err, errlen) != 0)
        return -1;
    int rc = -1;
    char **texts = calloc(f->nimages, sizeof *texts);
    claw_fb_entry *ents = calloc(f->nimages, sizeof *ents);
    if (!texts || !ents) {
        fb_error(err, errlen, "out of memory");
        goto done;
    }
    if (image >= f->nimages) {
        fb_error(err, errlen, "no image %zu: the fat binary has %zu", image, f->nimages);
        goto done;
    }
    bool found = false;
    for (uint32_t k = 0; k < f->images[image].nkernels; k++)
        found |= strcmp(f->images[image].kernels[k].name, kernel) == 0;
    if (!found) {
        fb_error(err, errlen, "image %zu (%s %s) has no kernel '%s'", image,
                 f->images[image].triple, f->images[image].arch, kernel);
        goto done;
    }
    for (size_t i = 0; i < f->nimages; i++) {
        ents[i] = f->entries[i];
        const char *old = f->entries[i].tuned ? f->entries[i].tuned : "";
        size_t cap = strlen(old) + strlen(kernel) + strlen(device_arch) + 3;
        if (!(texts[i] = malloc(cap))) {
            fb_error(err, errlen, "out of memory");
            goto done;
        }
        /* Copy every record but this (kernel, arch), then add it where it goes. */
        const char *hit = find_record(old, kernel, device_arch);
        size_t pre = hit ? (size_t)(hit - old) : strlen(old);
        memcpy(texts[i], old, pre);
        texts[i][pre] = '\0';
        if (hit)
            strcat(texts[i], strchr(hit, '\n') + 1);
        if (i == image) {
            strcat(texts[i], kernel);
            strcat(texts[i], " ");
            strcat(texts[i], device_arch);
            strcat(texts[i], "\n");
        }
        ents[i].tuned = texts[i];
    }
    rc = claw_fb_write_entries(f->images, ents, f->nimages, out, out_size, err, errlen);
done:
    if (texts)
        for (size_t i = 0; i < f->nimages; i++)
            free(texts[i]);
    free(texts);
    free(ents);
    claw_fb_free(f);
    return rc;
}
