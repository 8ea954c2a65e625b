/* test_fatbin.c: unit tests of the fat-binary writer and reader
 * (runtime/fatbin.c, docs/fatbin.md).
 *
 * Round trips check that everything written is read back; the robustness
 * tests feed the reader every truncation of a valid file, every single-bit
 * flip, random bytes and hand-made hostile headers (sizes and offsets near
 * UINT64_MAX), each copied into a buffer of exactly its size so that
 * AddressSanitizer builds catch any over-read. Every refusal must carry a
 * message with the byte offset. LLVM's own tools reading our output is
 * checked by the e2e test fatbin_llvm_tools. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claw/fatbin.h"

static const claw_fb_param saxpy_params[] = {
    {"n", CLAW_FB_PARAM_SCALAR, 4, 4},
    {"a", CLAW_FB_PARAM_SCALAR, 4, 4},
    {"x", CLAW_FB_PARAM_POINTER, 8, 8},
    {"y", CLAW_FB_PARAM_POINTER, 8, 8},
};
static const claw_fb_param reduce_params[] = {
    {"input", CLAW_FB_PARAM_POINTER, 8, 8},
    {"cfg", CLAW_FB_PARAM_STRUCT, 24, 8},
    {"flag", CLAW_FB_PARAM_SCALAR, 1, 1},
};
static const claw_fb_kernel kernels[] = {
    {"saxpy", 4, saxpy_params, {256, 1, 1}, 0, 0},
    {"reduce", 3, reduce_params, {0, 0, 0}, 4096, 0},
    {"empty", 0, NULL, {0, 0, 0}, 0, 0},
};
static const char ptx[] = "//\n.version 8.0\n.target sm_80\n.address_size 64\n";
static const unsigned char spirv[] = {0x03, 0x02, 0x23, 0x07, 0x00, 0x05, 0x01, 0x00, 0xaa};
static const unsigned char code_object[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 64, 0, 0, 0};

/* A fat binary with three images; *size gets its length. */
static void *
sample_fatbin(size_t *size)
{
    claw_fb_image images[] = {
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, sizeof ptx - 1, 3, kernels},
        {"amdgcn-amd-amdhsa", "gfx942", CLAW_FB_IMG_OBJECT, code_object, sizeof code_object, 2,
         kernels},
        {"spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV, spirv, sizeof spirv, 1,
         kernels},
    };
    void *out;
    char err[256];
    ck_assert_msg(claw_fb_write(images, 3, &out, size, err, sizeof err) == 0, "%s", err);
    return out;
}

/* Reads a copy of exactly `size` bytes; returns 0 on success. */
static int
read_exact(const void *data, size_t size, claw_fb_file **f, char *err, size_t errlen)
{
    void *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    int rc = claw_fb_read(copy, size, f, err, errlen);
    if (rc == 0) {
        /* Every image must lie inside the buffer. */
        for (size_t i = 0; i < (*f)->nimages; i++) {
            const claw_fb_image *img = &(*f)->images[i];
            ck_assert((const char *)img->data >= (const char *)copy);
            ck_assert((const char *)img->data + img->size <= (const char *)copy + size);
        }
        claw_fb_free(*f);
        *f = NULL;
    } else {
        ck_assert_ptr_null(*f);
        ck_assert_msg(strstr(err, "byte offset") || strstr(err, "empty"), "no offset in '%s'", err);
    }
    free(copy);
    return rc;
}

START_TEST(round_trip)
{
    size_t size;
    void *data = sample_fatbin(&size);
    ck_assert_uint_eq(size % 8, 0);
    claw_fb_file *f;
    char err[256];
    ck_assert_msg(claw_fb_read(data, size, &f, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(f->nimages, 3);
    ck_assert_str_eq(f->images[0].triple, "nvptx64-nvidia-cuda");
    ck_assert_str_eq(f->images[0].arch, "sm_80");
    ck_assert_uint_eq(f->images[0].image_kind, CLAW_FB_IMG_PTX);
    ck_assert_uint_eq(f->images[0].size, sizeof ptx - 1);
    ck_assert(memcmp(f->images[0].data, ptx, sizeof ptx - 1) == 0);
    ck_assert_str_eq(f->images[1].arch, "gfx942");
    ck_assert(memcmp(f->images[1].data, code_object, sizeof code_object) == 0);
    ck_assert_str_eq(f->images[2].triple, "spirv64-unknown-vulkan1.2");
    ck_assert_uint_eq(f->images[2].image_kind, CLAW_FB_IMG_SPIRV);
    ck_assert(memcmp(f->images[2].data, spirv, sizeof spirv) == 0);
    ck_assert_uint_eq(f->images[0].nkernels, 3);
    ck_assert_uint_eq(f->images[1].nkernels, 2);
    ck_assert_uint_eq(f->images[2].nkernels, 1);
    for (uint32_t k = 0; k < 3; k++) {
        const claw_fb_kernel *a = &kernels[k], *b = &f->images[0].kernels[k];
        ck_assert_str_eq(a->name, b->name);
        ck_assert_uint_eq(a->nparams, b->nparams);
        ck_assert_uint_eq(a->shared_bytes, b->shared_bytes);
        for (int d = 0; d < 3; d++)
            ck_assert_uint_eq(a->workgroup[d], b->workgroup[d]);
        for (uint32_t p = 0; p < a->nparams; p++) {
            ck_assert_str_eq(a->params[p].name, b->params[p].name);
            ck_assert_int_eq(a->params[p].kind, b->params[p].kind);
            ck_assert_uint_eq(a->params[p].size, b->params[p].size);
            ck_assert_uint_eq(a->params[p].align, b->params[p].align);
        }
    }
    claw_fb_free(f);
    free(data);
}
END_TEST

START_TEST(deterministic)
{
    size_t s1, s2;
    void *a = sample_fatbin(&s1), *b = sample_fatbin(&s2);
    ck_assert_uint_eq(s1, s2);
    ck_assert(memcmp(a, b, s1) == 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(header_layout)
{
    size_t size;
    unsigned char *d = sample_fatbin(&size);
    /* llvm/Object/OffloadBinary.h: magic, version 1, entry at 32, 40 bytes. */
    static const unsigned char magic[4] = {0x10, 0xff, 0x10, 0xad};
    ck_assert(memcmp(d, magic, 4) == 0);
    ck_assert_uint_eq(d[4], 1);
    ck_assert_uint_eq(d[16], 32);
    ck_assert_uint_eq(d[24], 40);
    ck_assert_uint_eq(d[32], CLAW_FB_IMG_PTX);
    ck_assert_uint_eq(d[34], 2); /* OFK_Cuda */
    free(d);
}
END_TEST

START_TEST(writer_refuses_bad_input)
{
    char err[256];
    void *out = (void *)1;
    size_t size;
    claw_fb_param bad_align = {"p", CLAW_FB_PARAM_SCALAR, 4, 3};
    claw_fb_param bad_name = {"not a name", CLAW_FB_PARAM_SCALAR, 4, 4};
    claw_fb_kernel k1 = {"k", 1, &bad_align, {0, 0, 0}, 0, 0};
    claw_fb_kernel k2 = {"k", 1, &bad_name, {0, 0, 0}, 0, 0};
    claw_fb_kernel k3 = {"bad\nname", 0, NULL, {0, 0, 0}, 0, 0};
    claw_fb_image imgs[] = {
        {NULL, "sm_80", CLAW_FB_IMG_PTX, ptx, 4, 0, NULL},
        {"nvptx64-nvidia-cuda", "sm\n80", CLAW_FB_IMG_PTX, ptx, 4, 0, NULL},
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, NULL, 4, 0, NULL},
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, 4, 1, &k1},
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, 4, 1, &k2},
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, 4, 1, &k3},
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, 4, 2, NULL},
    };
    for (size_t i = 0; i < sizeof imgs / sizeof imgs[0]; i++) {
        err[0] = '\0';
        ck_assert_int_eq(claw_fb_write(&imgs[i], 1, &out, &size, err, sizeof err), -1);
        ck_assert_ptr_null(out);
        ck_assert_msg(err[0] != '\0', "image %zu refused without a message", i);
    }
    ck_assert_int_eq(claw_fb_write(imgs, 0, &out, &size, err, sizeof err), -1);
    ck_assert_int_eq(claw_fb_write(NULL, 1, &out, &size, err, sizeof err), -1);
}
END_TEST

START_TEST(truncated_at_every_offset)
{
    size_t size;
    unsigned char *d = sample_fatbin(&size);
    /* Entry boundaries: a prefix ending at one is a valid, shorter file. */
    size_t first = 0, second = 0;
    memcpy(&first, d + 8, 8);
    memcpy(&second, d + first + 8, 8);
    int refused = 0;
    for (size_t len = 0; len < size; len++) {
        claw_fb_file *f = NULL;
        char err[256];
        int rc = read_exact(d, len, &f, err, sizeof err);
        if (len == first || len == first + second)
            ck_assert_int_eq(rc, 0);
        else
            ck_assert_msg(rc == -1, "prefix of %zu bytes accepted", len);
        refused += rc != 0;
    }
    ck_assert_int_eq(refused, (int)size - 2);
    free(d);
}
END_TEST

START_TEST(bit_flips)
{
    size_t size;
    unsigned char *d = sample_fatbin(&size);
    unsigned char *copy = malloc(size);
    int refused = 0;
    for (size_t i = 0; i < size; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, d, size);
            copy[i] ^= (unsigned char)(1u << bit);
            claw_fb_file *f = NULL;
            char err[256];
            refused += read_exact(copy, size, &f, err, sizeof err) != 0;
        }
    }
    /* Flips in image bytes or padding are legitimately accepted, so only
     * check that the structural ones were caught in bulk. */
    ck_assert_int_gt(refused, (int)size);
    free(copy);
    free(d);
}
END_TEST

START_TEST(random_bytes)
{
    unsigned seed = 12345;
    unsigned char buf[512];
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = (size_t)(rand_r(&seed) % sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)rand_r(&seed);
        /* Half the inputs get a valid magic and version, to get past the
         * first check and exercise the deeper ones. */
        if ((iter & 1) && len >= 8) {
            memcpy(buf, "\x10\xff\x10\xad\x01\x00\x00\x00", 8);
            if (len >= 16 && (iter & 2)) {
                uint64_t s = len & ~(size_t)7;
                memcpy(buf + 8, &s, 8);
            }
        }
        claw_fb_file *f = NULL;
        char err[256];
        read_exact(buf, len, &f, err, sizeof err);
    }
}
END_TEST

/* Little-endian stores for hand-made headers. */
static void
put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

START_TEST(hostile_fields)
{
    size_t size;
    unsigned char *d = sample_fatbin(&size);
    uint64_t first;
    memcpy(&first, d + 8, 8);
    static const uint64_t evil[] = {0,
                                    1,
                                    7,
                                    31,
                                    32,
                                    71,
                                    72,
                                    UINT64_MAX,
                                    UINT64_MAX - 7,
                                    UINT64_MAX - 31,
                                    (uint64_t)SIZE_MAX / 16 + 1,
                                    1ull << 63};
    /* Every u64 field of the header, the entry and the first string entry. */
    static const size_t fields[] = {8, 16, 24, 40, 48, 56, 64, 72, 80};
    unsigned char *copy = malloc(size);
    for (size_t fi = 0; fi < sizeof fields / sizeof fields[0]; fi++) {
        for (size_t ei = 0; ei < sizeof evil / sizeof evil[0]; ei++) {
            memcpy(copy, d, size);
            put64(copy + fields[fi], evil[ei]);
            claw_fb_file *f = NULL;
            char err[256];
            int rc = read_exact(copy, size, &f, err, sizeof err);
            /* Small values may happen to be harmless; huge ones never are. */
            if (evil[ei] >= UINT64_MAX - 31 || evil[ei] == 1ull << 63)
                ck_assert_msg(rc == -1, "field %zu = %llu accepted", fields[fi],
                              (unsigned long long)evil[ei]);
        }
    }
    /* An unterminated string running to the end of the entry. */
    memcpy(copy, d, size);
    memset(copy + 72 + 3 * 16, 'A', (size_t)first - 72 - 3 * 16);
    claw_fb_file *f = NULL;
    char err[256];
    ck_assert_int_eq(read_exact(copy, (size_t)first, &f, err, sizeof err), -1);
    free(copy);
    free(d);
}
END_TEST

START_TEST(wrong_magic_and_version)
{
    size_t size;
    unsigned char *d = sample_fatbin(&size);
    claw_fb_file *f = NULL;
    char err[256];
    d[0] = 0x7f;
    ck_assert_int_eq(read_exact(d, size, &f, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "magic"));
    d[0] = 0x10;
    d[4] = 2;
    ck_assert_int_eq(read_exact(d, size, &f, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "version"));
    ck_assert_int_eq(claw_fb_read(NULL, 0, &f, err, sizeof err), -1);
    ck_assert_int_eq(claw_fb_read(d, size, NULL, err, sizeof err), -1);
    free(d);
}
END_TEST

/* Builds one OffloadBinary entry by hand (layout of docs/fatbin.md) with
 * the string map triple/arch/claw.kernels = `meta`. */
static void *
entry_with_metadata(const char *meta, size_t *size)
{
    const char *strs[6] = {"triple", "nvptx64-nvidia-cuda", "arch", "sm_80", "claw.kernels", meta};
    size_t strtab = 72 + 3 * 16, at = strtab;
    for (int i = 0; i < 6; i++)
        at += strlen(strs[i]) + 1;
    size_t image = (at + 7) & ~(size_t)7;
    *size = image + 8;
    unsigned char *d = calloc(1, *size);
    memcpy(d, "\x10\xff\x10\xad\x01\x00\x00\x00", 8);
    put64(d + 8, *size);
    put64(d + 16, 32);
    put64(d + 24, 40);
    d[32] = CLAW_FB_IMG_PTX;
    put64(d + 40, 72);
    put64(d + 48, 3);
    put64(d + 56, image);
    put64(d + 64, 8);
    at = strtab;
    for (int i = 0; i < 6; i++) {
        put64(d + 72 + 8 * (size_t)i, at);
        memcpy(d + at, strs[i], strlen(strs[i]) + 1);
        at += strlen(strs[i]) + 1;
    }
    return d;
}

START_TEST(metadata_decoding)
{
    static const char *const bad[] = {
        "kernel k workgroup=1,1,1 shared=0 params=1\n", /* missing param */
        "kernel k workgroup=1,1,1 shared=0 params=4294967295\nparam a scalar 4 4\n",
        "kernel k workgroup=1,1,1 shared=0 params=0\nparam a scalar 4 4\n", /* extra param */
        "kernel k workgroup=1,1 shared=0 params=0\n",
        "kernel k workgroup=1,1,1 shared=99999999999 params=0\n",
        "kernel 9k workgroup=1,1,1 shared=0 params=0\n",
        "kernel k workgroup=1,1,1 shared=0 params=1\nparam a float 4 4\n",
        "kernel k workgroup=1,1,1 shared=0 params=1\nparam a scalar 4 3\n",
        "kernel k workgroup=1,1,1 shared=0 params=1\nparam a pointer 4 4\n",
        "kernel k workgroup=1,1,1 shared=0 params=0\nkernel k workgroup=1,1,1 shared=0 params=0\n",
        "param a scalar 4 4\n",
        "kernel k workgroup=1,1,1 shared=0 params=0 trailing\n",
        "hello\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t size;
        void *d = entry_with_metadata(bad[i], &size);
        claw_fb_file *f = NULL;
        char err[256];
        ck_assert_msg(read_exact(d, size, &f, err, sizeof err) == -1, "accepted: %s", bad[i]);
        free(d);
    }
    size_t size;
    void *d = entry_with_metadata("kernel k workgroup=8,4,1 shared=16 params=1\n"
                                  "param p pointer 8 8\n\n",
                                  &size);
    claw_fb_file *f = NULL;
    char err[256];
    ck_assert_msg(claw_fb_read(d, size, &f, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(f->images[0].nkernels, 1);
    const claw_fb_kernel *k = &f->images[0].kernels[0];
    ck_assert_str_eq(k->name, "k");
    ck_assert_uint_eq(k->workgroup[0], 8);
    ck_assert_uint_eq(k->workgroup[1], 4);
    ck_assert_uint_eq(k->shared_bytes, 16);
    ck_assert_uint_eq(k->nparams, 1);
    ck_assert_int_eq(k->params[0].kind, CLAW_FB_PARAM_POINTER);
    claw_fb_free(f);
    free(d);
}
END_TEST

/* Two variants of one PTX image plus a SPIR-V one, with every extra string
 * the format has: variant settings, a tuning record, a foreign key. */
static void *
variant_fatbin(size_t *size)
{
    claw_fb_image images[] = {
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, sizeof ptx - 1, 3, kernels},
        {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, sizeof ptx - 1, 3, kernels},
        {"spirv64-unknown-vulkan1.2", "vulkan1.2", CLAW_FB_IMG_SPIRV, spirv, sizeof spirv, 1,
         kernels},
    };
    static const char *const foreign[] = {"kind", "openmp", "feature", "+ptx80"};
    claw_fb_entry entries[] = {
        {.variant = "BLOCK=128;UNROLL=2"},
        {.variant = "BLOCK=256;UNROLL=2", .tuned = "saxpy sm_90\nreduce sm_86\n"},
        {.nstrings = 2, .strings = foreign},
    };
    void *out;
    char err[256];
    ck_assert_msg(claw_fb_write_entries(images, entries, 3, &out, size, err, sizeof err) == 0, "%s",
                  err);
    return out;
}

START_TEST(entries_round_trip)
{
    size_t size;
    void *d = variant_fatbin(&size);
    claw_fb_file *f;
    char err[256];
    ck_assert_msg(claw_fb_read(d, size, &f, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(f->nimages, 3);
    ck_assert_str_eq(f->entries[0].variant, "BLOCK=128;UNROLL=2");
    ck_assert_ptr_null(f->entries[0].tuned);
    ck_assert_str_eq(f->entries[1].variant, "BLOCK=256;UNROLL=2");
    ck_assert_str_eq(f->entries[1].tuned, "saxpy sm_90\nreduce sm_86\n");
    ck_assert_ptr_null(f->entries[2].variant);
    ck_assert_uint_eq(f->entries[2].nstrings, 2);
    ck_assert_str_eq(f->entries[2].strings[0], "kind");
    ck_assert_str_eq(f->entries[2].strings[3], "+ptx80");
    /* Entries tile the file: each starts where the last ended. */
    size_t at = 0;
    for (size_t i = 0; i < f->nimages; i++) {
        ck_assert_uint_eq(f->entries[i].offset, at);
        at += f->entries[i].size;
    }
    ck_assert_uint_eq(at, size);
    ck_assert_int_eq(claw_fb_is_tuned(f, 1, "saxpy", "sm_90"), 1);
    ck_assert_int_eq(claw_fb_is_tuned(f, 1, "saxpy", "sm_9"), 0);
    ck_assert_int_eq(claw_fb_is_tuned(f, 1, "reduce", "sm_86"), 1);
    ck_assert_int_eq(claw_fb_is_tuned(f, 0, "saxpy", "sm_90"), 0);
    ck_assert_int_eq(claw_fb_is_tuned(f, 7, "saxpy", "sm_90"), 0);
    /* Rewriting what was read gives the same bytes. */
    void *again;
    size_t again_size;
    ck_assert(claw_fb_write_entries(f->images, f->entries, f->nimages, &again, &again_size, err,
                                    sizeof err) == 0);
    ck_assert_uint_eq(again_size, size);
    ck_assert(memcmp(again, d, size) == 0);
    free(again);
    claw_fb_free(f);
    free(d);
}
END_TEST

START_TEST(entries_refused)
{
    claw_fb_image img = {"nvptx64-nvidia-cuda", "sm_80", CLAW_FB_IMG_PTX, ptx, 4, 0, NULL};
    static const char *const reserved[] = {"claw.tuned", "x"};
    static const char *const empty_key[] = {"", "x"};
    const claw_fb_entry bad[] = {
        {.variant = ""},
        {.variant = "BLOCK"},
        {.variant = "BLOCK="},
        {.variant = "9X=1"},
        {.variant = "A=1;"},
        {.variant = "A=1 2"},
        {.variant = "A=1,2"},
        {.tuned = "saxpy sm_90"},
        {.tuned = "saxpy\n"},
        {.tuned = "9k sm_90\n"},
        {.tuned = "k sm 90\n"},
        {.tuned = "k \n"},
        {.nstrings = 1, .strings = reserved},
        {.nstrings = 1, .strings = empty_key},
        {.nstrings = 1, .strings = NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *out = (void *)1;
        size_t size;
        char err[256] = "";
        ck_assert_msg(claw_fb_write_entries(&img, &bad[i], 1, &out, &size, err, sizeof err) == -1,
                      "entry %zu accepted", i);
        ck_assert_ptr_null(out);
        ck_assert_msg(err[0], "entry %zu refused without a message", i);
    }
}
END_TEST

/* The reader's checks of the extra strings hold up to damage too. */
START_TEST(entries_truncated_and_flipped)
{
    size_t size;
    unsigned char *d = variant_fatbin(&size);
    for (size_t len = 0; len < size; len++) {
        claw_fb_file *f = NULL;
        char err[256];
        read_exact(d, len, &f, err, sizeof err);
    }
    unsigned char *copy = malloc(size);
    int refused = 0;
    for (size_t i = 0; i < size; i++) {
        memcpy(copy, d, size);
        copy[i] ^= 0x41;
        claw_fb_file *f = NULL;
        char err[256];
        refused += read_exact(copy, size, &f, err, sizeof err) != 0;
    }
    ck_assert_int_gt(refused, 100);
    free(copy);
    free(d);
}
END_TEST

START_TEST(tuning_records)
{
    size_t size;
    void *d = variant_fatbin(&size);
    void *t1, *t2;
    size_t s1, s2;
    char err[256];
    /* Moving saxpy@sm_90 from image 1 to image 0 keeps reduce@sm_86. */
    ck_assert_msg(claw_fb_record_tuning(d, size, "saxpy", "sm_90", 0, &t1, &s1, err, sizeof err) ==
                      0,
                  "%s", err);
    claw_fb_file *f;
    ck_assert(claw_fb_read(t1, s1, &f, err, sizeof err) == 0);
    ck_assert_str_eq(f->entries[0].tuned, "saxpy sm_90\n");
    ck_assert_str_eq(f->entries[1].tuned, "reduce sm_86\n");
    ck_assert_str_eq(f->entries[1].variant, "BLOCK=256;UNROLL=2");
    ck_assert_uint_eq(f->entries[2].nstrings, 2); /* foreign keys survive */
    ck_assert(memcmp(f->images[0].data, ptx, sizeof ptx - 1) == 0);
    claw_fb_free(f);
    /* Written twice, a record is still there once. */
    ck_assert(claw_fb_record_tuning(t1, s1, "saxpy", "sm_90", 0, &t2, &s2, err, sizeof err) == 0);
    ck_assert_uint_eq(s1, s2);
    ck_assert(memcmp(t1, t2, s1) == 0);
    free(t2);
    /* Refused: no such kernel in the image, no such image, bad names. */
    ck_assert_int_eq(
        claw_fb_record_tuning(d, size, "reduce", "vulkan1.3", 2, &t2, &s2, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "has no kernel 'reduce'"));
    ck_assert_int_eq(claw_fb_record_tuning(d, size, "saxpy", "sm_90", 3, &t2, &s2, err, sizeof err),
                     -1);
    ck_assert_int_eq(
        claw_fb_record_tuning(d, size, "sa xpy", "sm_90", 0, &t2, &s2, err, sizeof err), -1);
    ck_assert_int_eq(claw_fb_record_tuning(d, size, "saxpy", "sm 90", 0, &t2, &s2, err, sizeof err),
                     -1);
    ck_assert_int_eq(claw_fb_record_tuning(d, 20, "saxpy", "sm_90", 0, &t2, &s2, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "byte offset"));
    free(t1);
    free(d);
}
END_TEST

static Suite *
fatbin_suite(void)
{
    Suite *s = suite_create("fatbin");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, header_layout);
    tcase_add_test(tc, writer_refuses_bad_input);
    tcase_add_test(tc, truncated_at_every_offset);
    tcase_add_test(tc, bit_flips);
    tcase_add_test(tc, random_bytes);
    tcase_add_test(tc, hostile_fields);
    tcase_add_test(tc, wrong_magic_and_version);
    tcase_add_test(tc, metadata_decoding);
    tcase_add_test(tc, entries_round_trip);
    tcase_add_test(tc, entries_refused);
    tcase_add_test(tc, entries_truncated_and_flipped);
    tcase_add_test(tc, tuning_records);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(fatbin_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
