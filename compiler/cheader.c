/* cheader.c: `clawc --emit=c-header` (docs/clawc.md).
 *
 * Writes a C header with, for each kernel, typed launch functions over the
 * runtime API of docs/runtime.md so a host program that passes the wrong
 * number or type of arguments fails to compile:
 *
 *   static inline claw_status saxpy_get(claw_module *m, claw_kernel **out);
 *   static inline claw_status saxpy_launch(claw_kernel *claw_k,
 *       const uint32_t claw_grid[3], const uint32_t claw_block[3],
 *       uint32_t n, float a, claw_buffer *x, claw_buffer *y);
 *   static inline claw_status saxpy_launch_addr(..., uint64_t x, uint64_t y);
 *   static inline claw_status saxpy_launch_on(claw_stream *claw_s, claw_kernel *claw_k, ...);
 *   static inline claw_status saxpy_launch_addr_on(claw_stream *claw_s, ...);
 *
 * The _on variants launch on a stream (NULL: the default stream).
 * Pointer parameters take a claw_buffer (its claw_buffer_address is passed;
 * NULL passes the null pointer),
 * or in the _addr variant a raw device address, for offsets into a buffer.
 * Struct parameters are C structs defined here (Claw structs) or by the
 * imported C header (imported ones, which the header includes), each checked
 * with static assertions on size and field offsets so host and kernel agree
 * byte for byte (docs/language.md §8). With --embed, the fat binary follows as a
 * byte array with a loader. Only the IR and the declarations are read, so
 * the header matches the metadata in the fat binary. */
#include "cheader.h"

#include <string.h>

/* C keywords and the names the generated functions use themselves: a Claw
 * identifier spelled like one gets a trailing underscore. */
static const char *const c_reserved[] = {
    "auto",
    "bool",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "false",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "true",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Bool",
    "_Complex",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "asm",
    "typeof",
    "NULL",
};

static const char *
c_name(Arena *a, const char *name)
{
    for (size_t i = 0; i < sizeof c_reserved / sizeof c_reserved[0]; i++)
        if (strcmp(name, c_reserved[i]) == 0)
            return arena_printf(a, "%s_", name);
    if (strncmp(name, "claw_", 5) == 0)
        return arena_printf(a, "%s_", name);
    return name;
}

/* "my-kernels" -> "my_kernels": the stem as a C identifier. */
static const char *
c_ident(Arena *a, const char *s, bool upper)
{
    size_t n = strlen(s);
    char *out = arena_alloc(a, n + 2);
    size_t j = 0;
    if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        out[j++] = '_';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok =
            c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!ok)
            c = '_';
        if (upper && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        out[j++] = c;
    }
    return out;
}

static const char *scalar_spelling(Arena *a, const IrType *t);

/* The C spelling of a scalar or struct type (arrays: the element's; the
 * caller adds the [N] suffixes). Device pointers are 64-bit addresses. */
static const char *
c_type(Arena *a, const IrType *t)
{
    switch (t->kind) {
    case IRT_BOOL: return "bool";
    case IRT_INT: return arena_printf(a, "%sint%u_t", t->is_signed ? "" : "u", t->bits);
    case IRT_FLOAT:
        /* C11 has no portable half type: f16 travels as its bits; bf16 as
         * claw_bf16, a struct of its bits (bf16_prelude), so it cannot be
         * mixed up with f16 bits or an integer. */
        if (t->is_bf16)
            return "claw_bf16";
        return t->bits == 16 ? "uint16_t" : t->bits == 32 ? "float" : "double";
    case IRT_PTR: return "uint64_t";
    case IRT_STRUCT:
        /* An imported `struct Inner { ... };` has no typedef to lean on. */
        return t->c_tagged ? arena_printf(a, "struct %s", t->name) : c_name(a, t->name);
    case IRT_ARRAY: return c_type(a, t->elem);
    case IRT_VEC:
        /* claw_vec4_f32: named by the Claw spelling; no Claw name can clash,
         * since identifiers starting with claw_ get an underscore appended */
        return arena_printf(a, "claw_vec%u_%s", (unsigned)t->count, scalar_spelling(a, t->elem));
    default: return "void";
    }
}

/* "i32", "f16": the Claw spelling of a scalar. */
static const char *
scalar_spelling(Arena *a, const IrType *t)
{
    if (t->kind == IRT_BOOL)
        return "bool";
    return arena_printf(a, "%c%u", t->kind == IRT_FLOAT ? 'f' : t->is_signed ? 'i' : 'u', t->bits);
}

/* "[4][2]" for [[T; 2]; 4]. */
static const char *
c_array_suffix(Arena *a, const IrType *t)
{
    const char *s = "";
    for (; t->kind == IRT_ARRAY; t = t->elem)
        s = arena_printf(a, "%s[%llu]", s, (unsigned long long)t->count);
    return s;
}

typedef struct Gen {
    Arena *a;
    Module *mod;
    Buf *out;
    PtrVec done;    /* struct types already written */
    PtrVec pending; /* structs reached only through a pointer, written later */
    bool variants;  /* clawc --variants: fixed blocks may differ per variant */
} Gen;

/* Structs declared in the .claw file are the module's own DECL_STRUCTs;
 * any other struct came from an imported C header (sema keeps those out of
 * Module.decls). */
static bool
is_imported(Gen *g, const IrType *t)
{
    for (int i = 0; i < g->mod->ndecls; i++) {
        Decl *d = g->mod->decls[i];
        if (d->kind == DECL_STRUCT && d->u.strct.type == t)
            return d->import_origin != NULL;
    }
    return true;
}

/* Notes the struct a pointer (of any depth) points to, so that the header
 * declares it too: a host program that fills a buffer for a `*Body`
 * parameter needs `Body`. It is written after the current one, since a
 * device address in C is a uint64_t and needs no declaration of its target;
 * this also keeps `struct Node { next: *Node }` from recursing. */
static void
note_pointee(Gen *g, IrType *t)
{
    while (t->kind == IRT_PTR || t->kind == IRT_ARRAY)
        t = t->elem;
    if (t->kind == IRT_STRUCT || t->kind == IRT_VEC)
        ptrvec_push(g->a, &g->pending, t);
}

/* A vector type as a C struct of the same layout (docs/language.md §11):
 * components x y z w; vec2 and vec4 aligned to their size as CUDA's
 * float2/float4, vec3 to its element as float3. The guard lets the
 * headers of several .claw files define it once. */
static void
write_vec(Gen *g, IrType *t)
{
    for (int i = 0; i < g->done.len; i++)
        if (g->done.data[i] == t)
            return;
    ptrvec_push(g->a, &g->done, t);
    const char *name = c_type(g->a, t);
    static const char comps[4] = {'x', 'y', 'z', 'w'};
    buf_printf(g->out, "#ifndef CLAW_GEN_VEC_%s\n#define CLAW_GEN_VEC_%s\ntypedef struct %s {", name,
               name, name);
    for (uint64_t i = 0; i < t->count; i++) {
        const char *align = i == 0 && t->count != 3
                                ? arena_printf(g->a, "CLAW_GEN_ALIGNAS(%llu) ",
                                               (unsigned long long)t->align)
                                : "";
        buf_printf(g->out, " %s%s %c;", align, c_type(g->a, t->elem), comps[i]);
    }
    buf_printf(g->out, " } %s;\n#endif\n", name);
    buf_printf(
        g->out,
        "CLAW_GEN_STATIC_ASSERT(sizeof(%s) == %llu, \"%s: size differs from the kernel's\");\n"
        "CLAW_GEN_STATIC_ASSERT(CLAW_GEN_ALIGNOF(%s) == %llu, \"%s: alignment differs from the "
        "kernel's\");\n\n",
        name, (unsigned long long)t->size, name, name, (unsigned long long)t->align, name);
}

/* Writes struct t after the structs its fields hold by value (dependency
 * order); the structs its pointer fields point to are written later.
 * Imported structs are only checked, their definition comes from the
 * included C header. */
static void
write_struct(Gen *g, IrType *t)
{
    while (t->kind == IRT_ARRAY)
        t = t->elem;
    if (t->kind == IRT_PTR) {
        note_pointee(g, t);
        return;
    }
    if (t->kind == IRT_VEC) {
        write_vec(g, t);
        return;
    }
    if (t->kind != IRT_STRUCT)
        return;
    for (int i = 0; i < g->done.len; i++)
        if (g->done.data[i] == t)
            return;
    ptrvec_push(g->a, &g->done, t);
    for (int i = 0; i < t->nfields; i++)
        if (t->fields[i].type)
            write_struct(g, t->fields[i].type);
    const char *name = c_type(g->a, t);
    if (!is_imported(g, t)) {
        /* The guard lets headers of several .claw files share a struct; the
         * assertions below catch two different structs of one name. */
        buf_printf(g->out, "#ifndef CLAW_GEN_STRUCT_%s\n#define CLAW_GEN_STRUCT_%s\n", name, name);
        buf_printf(g->out, "typedef struct %s {\n", name);
        for (int i = 0; i < t->nfields; i++) {
            IrType *ft = t->fields[i].type;
            buf_printf(g->out, "    %s %s%s;%s\n", c_type(g->a, ft),
                       c_name(g->a, t->fields[i].name), c_array_suffix(g->a, ft),
                       ft->kind == IRT_PTR ? " /* device address */" : "");
        }
        buf_printf(g->out, "} %s;\n#endif\n", name);
    }
    buf_printf(
        g->out,
        "CLAW_GEN_STATIC_ASSERT(sizeof(%s) == %llu, \"%s: size differs from the kernel's\");\n",
        name, (unsigned long long)t->size, name);
    for (int i = 0; i < t->nfields; i++) {
        const char *fname = c_name(g->a, t->fields[i].name);
        buf_printf(g->out,
                   "CLAW_GEN_STATIC_ASSERT(offsetof(%s, %s) == %llu, \"%s.%s: offset differs from "
                   "the kernel's\");\n",
                   name, fname, (unsigned long long)t->fields[i].offset, name, fname);
    }
    buf_printf(g->out,
               "CLAW_GEN_STATIC_ASSERT(CLAW_GEN_ALIGNOF(%s) == %llu, \"%s: alignment differs from "
               "the kernel's\");\n",
               name, (unsigned long long)t->align, name);
    buf_printf(g->out, "\n");
}

/* One launch function; addr: pointer parameters as raw uint64_t addresses;
 * on: the _on variant, which takes a stream first. */
static void
write_launch(Gen *g, IrFunc *f, bool addr, bool on)
{
    Buf *o = g->out;
    buf_printf(o,
               "static inline claw_status\n%s_launch%s%s(%sclaw_kernel *claw_k, "
               "const uint32_t claw_grid[3],\n"
               "    const uint32_t claw_block[3]",
               f->name, addr ? "_addr" : "", on ? "_on" : "", on ? "claw_stream *claw_s, " : "");
    for (int i = 0; i < (f->nparams - f->hidden_params); i++) {
        IrType *t = f->params[i].type;
        const char *pn = c_name(g->a, f->params[i].name);
        if (t->kind == IRT_PTR && !addr)
            buf_printf(o, ", claw_buffer *%s", pn);
        else
            buf_printf(o, ", %s %s", c_type(g->a, t), pn);
    }
    buf_printf(o, ")\n{\n");
    if ((f->nparams - f->hidden_params) == 0) {
        buf_printf(o, "    return claw_launch%s(%sclaw_k, claw_grid, claw_block, NULL, 0);\n}\n\n",
                   on ? "_on" : "", on ? "claw_s, " : "");
        return;
    }
    for (int i = 0; i < (f->nparams - f->hidden_params); i++)
        if (f->params[i].type->kind == IRT_PTR && !addr) {
            const char *pn = c_name(g->a, f->params[i].name);
            /* a NULL buffer is the null pointer (docs/language.md §11) */
            buf_printf(o, "    uint64_t claw_addr_%s = %s ? claw_buffer_address(%s) : 0;\n", pn, pn, pn);
        }
    buf_printf(o, "    const void *claw_args[%d] = {", (f->nparams - f->hidden_params));
    for (int i = 0; i < (f->nparams - f->hidden_params); i++) {
        const char *pn = c_name(g->a, f->params[i].name);
        bool via_addr = f->params[i].type->kind == IRT_PTR && !addr;
        buf_printf(o, "%s&%s%s", i ? ", " : "", via_addr ? "claw_addr_" : "", pn);
    }
    /* The sizes this header was generated with: claw_launch_sized checks
     * them against the metadata of the module actually loaded, so a header
     * used with another build's fat binary fails with a message instead of
     * passing misplaced bytes. */
    buf_printf(o, "};\n    static const size_t claw_sizes[%d] = {", (f->nparams - f->hidden_params));
    for (int i = 0; i < (f->nparams - f->hidden_params); i++)
        buf_printf(o, "%s%llu", i ? ", " : "", (unsigned long long)f->params[i].type->size);
    buf_printf(o,
               "};\n    return claw_launch_sized%s(%sclaw_k, claw_grid, claw_block, claw_args, "
               "claw_sizes, %d);\n}\n\n",
               on ? "_on" : "", on ? "claw_s, " : "", (f->nparams - f->hidden_params));
}

static void
write_kernel(Gen *g, IrModule *m, IrFunc *f)
{
    Buf *o = g->out;
    buf_printf(o, "/* kernel %s(", f->name);
    for (int i = 0; i < (f->nparams - f->hidden_params); i++)
        buf_printf(o, "%s%s: %s", i ? ", " : "", f->params[i].name,
                   ir_type_name(m, f->params[i].type));
    buf_printf(o, ")");
    /* With --variants the fixed block may differ from one variant to the
     * next: the loaded one says it (claw_kernel_block_size). */
    if (f->workgroup[0] && g->variants)
        buf_printf(o, ", @workgroup: launch with the block claw_kernel_block_size gives (it "
                      "depends on the variant the runtime chose)");
    else if (f->workgroup[0])
        buf_printf(o, ", @workgroup(%u, %u, %u): launch with exactly that block", f->workgroup[0],
                   f->workgroup[1], f->workgroup[2]);
    buf_printf(o, " */\n");
    buf_printf(o,
               "static inline claw_status\n%s_get(claw_module *claw_m, claw_kernel **claw_out)\n"
               "{\n    return claw_kernel_get(claw_m, \"%s\", claw_out);\n}\n\n",
               f->name, f->name);
    bool has_ptr = false;
    for (int i = 0; i < (f->nparams - f->hidden_params); i++)
        has_ptr |= f->params[i].type->kind == IRT_PTR;
    for (int on = 0; on < 2; on++) {
        write_launch(g, f, false, on);
        if (has_ptr)
            write_launch(g, f, true, on);
    }
}

static void
write_embedded(Gen *g, const char *id, const Buf *fb)
{
    Buf *o = g->out;
    buf_printf(o, "/* The fat binary, embedded (--embed): %zu bytes. */\n", fb->len);
    buf_printf(o, "static const unsigned char %s_clawfb[%zu] CLAW_GEN_UNUSED = {", id,
               fb->len ? fb->len : 1);
    for (size_t i = 0; i < fb->len; i++)
        buf_printf(o, "%s0x%02x,", i % 12 == 0 ? "\n    " : " ", fb->data[i]);
    buf_printf(o, "\n};\n\n");
    buf_printf(
        o,
        "static inline claw_status\n%s_module_load(claw_device *claw_dev, claw_module **claw_out)\n"
        "{\n    return claw_module_load(claw_dev, %s_clawfb, sizeof %s_clawfb, claw_out);\n}\n\n",
        id, id, id);
}

/* Whether t has a bf16 anywhere in it (fields, elements, pointees);
 * depth bounds the walk through self-referencing structs. */
static bool
mentions_bf16(const IrType *t, int depth)
{
    if (!t || depth > 16)
        return false;
    switch (t->kind) {
    case IRT_FLOAT: return t->is_bf16;
    case IRT_PTR:
    case IRT_ARRAY: return mentions_bf16(t->elem, depth + 1);
    case IRT_STRUCT:
        for (int i = 0; i < t->nfields; i++)
            if (mentions_bf16(t->fields[i].type, depth + 1))
                return true;
        return false;
    default: return false;
    }
}

/* claw_bf16 and its conversions, bit for bit those of every target
 * (docs/language.md §12): to float is exact; from float rounds to nearest
 * even, overflow gives infinity, a NaN stays a NaN (quiet, sign and top
 * payload kept). Guarded, so headers of several modules can be included
 * together. */
static void
bf16_prelude(Buf *out)
{
    buf_printf(out,
               "#ifndef CLAW_BF16_DEFINED\n#define CLAW_BF16_DEFINED\n"
               "#include <string.h>\n"
               "/* bfloat16 (Claw bf16): 1 sign, 8 exponent, 7 fraction bits */\n"
               "typedef struct claw_bf16 {\n    uint16_t bits;\n} claw_bf16;\n"
               "CLAW_GEN_STATIC_ASSERT(sizeof(claw_bf16) == 2 && CLAW_GEN_ALIGNOF(claw_bf16) == 2,\n"
               "                       \"claw_bf16 has the layout of Claw bf16\");\n\n"
               "static inline float\nclaw_bf16_to_float(claw_bf16 h)\n{\n"
               "    uint32_t u = (uint32_t)h.bits << 16;\n    float f;\n"
               "    memcpy(&f, &u, sizeof f);\n    return f;\n}\n\n"
               "static inline claw_bf16\nclaw_bf16_from_float(float f)\n{\n"
               "    uint32_t u;\n    memcpy(&u, &f, sizeof u);\n    claw_bf16 h;\n"
               "    if ((u & 0x7fffffffu) > 0x7f800000u)\n"
               "        h.bits = (uint16_t)((u >> 16) | 0x40u); /* NaN: quiet */\n"
               "    else /* to nearest even; overflow carries into the infinity */\n"
               "        h.bits = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);\n"
               "    return h;\n}\n#endif\n\n");
}

void
cheader_write(Module *mod, IrModule *m, const char *stem, const Buf *fatbin, bool variants,
              Buf *out)
{
    Gen g = {.a = m->arena, .mod = mod, .out = out, .variants = variants};
    const char *id = c_ident(m->arena, stem, false);
    const char *guard = c_ident(m->arena, stem, true);
    const char *src = strrchr(mod->path, '/') ? strrchr(mod->path, '/') + 1 : mod->path;
    buf_printf(out,
               "/* %s.h: typed launches of the kernels of %s over libclawrt.\n"
               " * Generated by clawc --emit=c-header; do not edit. */\n",
               stem, src);
    buf_printf(out, "#ifndef CLAW_GEN_%s_H\n#define CLAW_GEN_%s_H\n\n", guard, guard);
    buf_printf(
        out,
        "#include <claw/claw.h>\n#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n");
    for (int i = 0; i < mod->ndecls; i++)
        if (mod->decls[i]->kind == DECL_IMPORT)
            buf_printf(out, "#include \"%s\"\n", mod->decls[i]->u.import.path);
    buf_printf(out,
               "\n#ifndef CLAW_GEN_STATIC_ASSERT\n"
               "#ifdef __cplusplus\n#define CLAW_GEN_STATIC_ASSERT static_assert\n"
               "#else\n#define CLAW_GEN_STATIC_ASSERT _Static_assert\n#endif\n"
               "#if defined(__GNUC__)\n#define CLAW_GEN_UNUSED __attribute__((unused))\n"
               "#else\n#define CLAW_GEN_UNUSED\n#endif\n#endif\n"
               "#ifndef CLAW_GEN_ALIGNOF\n#ifdef __cplusplus\n#define CLAW_GEN_ALIGNOF alignof\n"
               "#else\n#define CLAW_GEN_ALIGNOF _Alignof\n#endif\n#endif\n"
               "#ifndef CLAW_GEN_ALIGNAS\n#ifdef __cplusplus\n#define CLAW_GEN_ALIGNAS alignas\n"
               "#else\n#define CLAW_GEN_ALIGNAS _Alignas\n#endif\n#endif\n\n");
    bool bf16 = false;
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        for (int j = 0; f->is_kernel && j < f->nparams; j++)
            bf16 |= mentions_bf16(f->params[j].type, 0);
    }
    if (bf16)
        bf16_prelude(out);
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        if (f->is_kernel)
            for (int j = 0; j < (f->nparams - f->hidden_params); j++)
                write_struct(&g, f->params[j].type);
    }
    /* The list grows while it is walked: a struct behind a pointer may
     * point to further structs. */
    for (int i = 0; i < g.pending.len; i++)
        write_struct(&g, g.pending.data[i]);
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        if (f->is_kernel)
            write_kernel(&g, m, f);
    }
    if (fatbin)
        write_embedded(&g, id, fatbin);
    buf_printf(out, "#endif\n");
}
