/* type.c: the interned types of the Claw IR.
 *
 * Every non-struct type exists once per module, so type equality is pointer
 * equality (docs/style.md "Types are interned"). The interning table is the
 * module's `types` vector, searched linearly: modules hold a few dozen types,
 * so a hash table would only add code. Structs are nominal: each
 * ir_type_struct call makes a new type, whose layout is set afterwards (C
 * layout, docs/language.md §2, or one given by libclang for imported structs). */
#include "ir.h"

#include <inttypes.h>
#include <string.h>

/* Returns the interned type equal to `key`, creating it on first use. */
static IrType *
intern(IrModule *m, const IrType *key)
{
    for (int i = 0; i < m->types.len; i++) {
        IrType *t = m->types.data[i];
        if (t->kind == key->kind && t->kind != IRT_STRUCT && t->bits == key->bits &&
            t->is_signed == key->is_signed && t->is_const == key->is_const &&
            t->is_bf16 == key->is_bf16 && t->space == key->space && t->elem == key->elem &&
            t->count == key->count && t->mat_role == key->mat_role && t->rows == key->rows &&
            t->cols == key->cols)
            return t;
    }
    IrType *t = arena_alloc(m->arena, sizeof *t);
    *t = *key;
    ptrvec_push(m->arena, &m->types, t);
    return t;
}

IrType *
ir_type_void(IrModule *m)
{
    IrType k = {.kind = IRT_VOID, .size = 0, .align = 1};
    return intern(m, &k);
}

IrType *
ir_type_bool(IrModule *m)
{
    /* docs/language.md §8: bool is passed and stored as one byte. */
    IrType k = {.kind = IRT_BOOL, .bits = 1, .size = 1, .align = 1};
    return intern(m, &k);
}

IrType *
ir_type_int(IrModule *m, uint32_t bits, bool is_signed)
{
    if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
        ICE("integer type of %u bits", bits);
    IrType k = {.kind = IRT_INT, .bits = bits, .is_signed = is_signed, .size = bits / 8,
                .align = bits / 8};
    return intern(m, &k);
}

IrType *
ir_type_float(IrModule *m, uint32_t bits)
{
    if (bits != 16 && bits != 32 && bits != 64)
        ICE("float type of %u bits", bits);
    IrType k = {.kind = IRT_FLOAT, .bits = bits, .size = bits / 8, .align = bits / 8};
    return intern(m, &k);
}

/* bfloat16 (1 sign, 8 exponent, 7 fraction bits): f32's range at 8-bit
 * precision, stored in 2 bytes like f16 but a different type. */
IrType *
ir_type_bf16(IrModule *m)
{
    IrType k = {.kind = IRT_FLOAT, .bits = 16, .is_bf16 = true, .size = 2, .align = 2};
    return intern(m, &k);
}

IrType *
ir_type_ptr(IrModule *m, IrType *elem, IrSpace space, bool is_const)
{
    if (!elem)
        ICE("pointer to no type");
    /* docs/language.md §2: pointers are 64-bit in every space as far as layout
     * goes; only global pointers are ever stored in memory the host sees. */
    IrType k = {.kind = IRT_PTR, .elem = elem, .space = space, .is_const = is_const,
                .size = 8, .align = 8};
    return intern(m, &k);
}

IrType *
ir_type_array(IrModule *m, IrType *elem, uint64_t count)
{
    if (!elem || count == 0)
        ICE("array of no type or no elements");
    IrType k = {.kind = IRT_ARRAY, .elem = elem, .count = count, .align = elem->align};
    /* Saturate rather than wrap: sema rejects arrays this large, and a
     * saturated size can never be mistaken for a small one. */
    k.size = elem->size && count > UINT64_MAX / elem->size ? UINT64_MAX : elem->size * count;
    return intern(m, &k);
}

IrType *
ir_type_matrix(IrModule *m, IrMatRole role, IrType *elem, uint32_t rows, uint32_t cols)
{
    if (!elem || elem->kind != IRT_FLOAT || rows == 0 || cols == 0)
        ICE("matrix of a non-float type or no elements");
    IrType k = {.kind = IRT_MATRIX, .mat_role = role, .elem = elem, .rows = rows, .cols = cols,
                .size = 0, .align = 1};
    return intern(m, &k);
}

const char *
ir_mat_role_name(IrMatRole r)
{
    switch (r) {
    case IR_MAT_A: return "mat_a";
    case IR_MAT_B: return "mat_b";
    case IR_MAT_ACC: return "mat_acc";
    }
    return "mat_?";
}

bool
ir_type_has_matrix(const IrType *t)
{
    while (t && t->kind == IRT_ARRAY)
        t = t->elem;
    return t && t->kind == IRT_MATRIX;
}

IrType *
ir_type_vec(IrModule *m, IrType *elem, uint32_t n)
{
    if (!elem || (elem->kind != IRT_BOOL && elem->kind != IRT_INT && elem->kind != IRT_FLOAT) ||
        n < 2 || n > 4)
        ICE("vector of %u components of a non-scalar type", n);
    /* CUDA's float2/float4 are aligned to their size, float3 only to its
     * element (cuda vector_types.h); bool vectors never reach memory. */
    IrType k = {.kind = IRT_VEC, .elem = elem, .count = n, .size = elem->size * n};
    k.align = n == 3 ? elem->align : k.size;
    return intern(m, &k);
}

IrType *
ir_type_struct(IrModule *m, const char *name, SrcLoc loc)
{
    IrType *t = arena_alloc(m->arena, sizeof *t);
    t->kind = IRT_STRUCT;
    t->name = arena_strdup(m->arena, name ? name : "");
    t->loc = loc;
    t->align = 1;
    ptrvec_push(m->arena, &m->types, t);
    return t;
}

static uint64_t
align_up(uint64_t x, uint64_t a)
{
    if (a <= 1)
        return x;
    uint64_t r = x % a;
    if (r == 0)
        return x;
    return x > UINT64_MAX - (a - r) ? UINT64_MAX : x + (a - r);
}

void
ir_type_struct_set_fields(IrModule *m, IrType *st, int n, const char *const *names,
                          IrType *const *types)
{
    if (!st || st->kind != IRT_STRUCT || n < 0)
        ICE("setting fields of a non-struct");
    IrField *fields = arena_alloc(m->arena, sizeof *fields * (size_t)(n ? n : 1));
    uint64_t off = 0, align = 1;
    /* docs/language.md §2: C layout, fields in order at their natural alignment,
     * the size padded to the largest alignment. */
    for (int i = 0; i < n; i++) {
        IrType *ft = types[i];
        uint64_t fa = ft ? ft->align : 1, fs = ft ? ft->size : 0;
        off = align_up(off, fa);
        fields[i].name = arena_strdup(m->arena, names[i] ? names[i] : "");
        fields[i].type = ft;
        fields[i].offset = off;
        off = off > UINT64_MAX - fs ? UINT64_MAX : off + fs;
        if (fa > align)
            align = fa;
    }
    st->nfields = n;
    st->fields = fields;
    st->align = align;
    st->size = align_up(off, align);
    st->complete = true;
}

void
ir_type_struct_set_layout(IrModule *m, IrType *st, int n, const IrField *fields, uint64_t size,
                          uint64_t align)
{
    if (!st || st->kind != IRT_STRUCT || n < 0)
        ICE("setting the layout of a non-struct");
    IrField *copy = arena_alloc(m->arena, sizeof *copy * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        copy[i] = fields[i];
        copy[i].name = arena_strdup(m->arena, fields[i].name ? fields[i].name : "");
        if (fields[i].unmappable)
            copy[i].unmappable = arena_strdup(m->arena, fields[i].unmappable);
    }
    st->nfields = n;
    st->fields = copy;
    st->size = size;
    st->align = align ? align : 1;
    st->complete = true;
}

bool
ir_type_is_int(const IrType *t)
{
    return t && t->kind == IRT_INT;
}

bool
ir_type_is_float(const IrType *t)
{
    return t && t->kind == IRT_FLOAT;
}

bool
ir_type_is_numeric(const IrType *t)
{
    return ir_type_is_int(t) || ir_type_is_float(t);
}

bool
ir_type_is_scalar(const IrType *t)
{
    return t && (t->kind == IRT_BOOL || t->kind == IRT_INT || t->kind == IRT_FLOAT ||
                 t->kind == IRT_PTR);
}

bool
ir_type_is_aggregate(const IrType *t)
{
    return t && (t->kind == IRT_STRUCT || t->kind == IRT_ARRAY);
}

bool
ir_type_is_vec(const IrType *t)
{
    return t && t->kind == IRT_VEC;
}

IrType *
ir_type_scalar_of(IrType *t)
{
    return t && t->kind == IRT_VEC ? t->elem : t;
}

/* The type classes of ops.def: the one home of rules such as "atomics take
 * i32 u32 i64 u64, atomic_add also f32" for sema and the verifier. */
bool
ir_type_in_class(const IrType *t, IrTypeClass c)
{
    bool i32_64 = ir_type_is_int(t) && (t->bits == 32 || t->bits == 64);
    switch (c) {
    case IRC_NONE: return true;
    case IRC_FLOAT: return ir_type_is_float(t);
    case IRC_NUMERIC: return ir_type_is_numeric(t);
    case IRC_INT: return ir_type_is_int(t);
    case IRC_INT_BOOL: return ir_type_is_int(t) || (t && t->kind == IRT_BOOL);
    case IRC_U32: return ir_type_is_int(t) && t->bits == 32 && !t->is_signed;
    case IRC_ATOMIC: return i32_64;
    case IRC_ATOMIC_F32: return i32_64 || (ir_type_is_float(t) && t->bits == 32);
    case IRC_SUBGROUP: return ir_type_is_numeric(t) && t->bits == 32;
    /* docs/language.md §13: the 32-bit types, plus f16 (bf16 is refused, §12) */
    case IRC_SHUFFLE: /* 32-bit types, f16 and bf16 (docs/language.md §13) */
        return (ir_type_is_numeric(t) && t->bits == 32) || (ir_type_is_float(t) && t->bits == 16);
    case IRC_BOOL: return t && t->kind == IRT_BOOL;
    }
    return false;
}

const char *
ir_type_class_name(IrTypeClass c)
{
    switch (c) {
    case IRC_NONE: return "any type";
    case IRC_FLOAT: return "f16, bf16, f32 or f64";
    case IRC_NUMERIC: return "a numeric type";
    case IRC_INT: return "an integer type";
    case IRC_INT_BOOL: return "an integer type or bool";
    case IRC_U32: return "u32";
    case IRC_ATOMIC: return "i32, u32, i64 or u64";
    case IRC_ATOMIC_F32: return "i32, u32, i64, u64 or f32";
    case IRC_SUBGROUP: return "i32, u32 or f32";
    case IRC_SHUFFLE: return "i32, u32, f32, f16 or bf16";
    case IRC_BOOL: return "bool";
    }
    return "?";
}

/* Appends the spelling of t to b (a heap buffer, so nesting costs nothing). */
static void
spell(Buf *b, const IrType *t)
{
    if (!t) {
        buf_printf(b, "<null>");
        return;
    }
    switch (t->kind) {
    case IRT_VOID:
        buf_printf(b, "void");
        return;
    case IRT_BOOL:
        buf_printf(b, "bool");
        return;
    case IRT_INT:
        buf_printf(b, "%c%u", t->is_signed ? 'i' : 'u', t->bits);
        return;
    case IRT_FLOAT:
        buf_printf(b, t->is_bf16 ? "bf16" : "f%u", t->bits);
        return;
    case IRT_PTR:
        /* Global pointers as the language spells them (docs/language.md §2); the
         * internal spaces are named so the printed IR is unambiguous. */
        buf_printf(b, "*");
        if (t->space == IR_SPACE_SHARED)
            buf_printf(b, "shared ");
        else if (t->space == IR_SPACE_PRIVATE)
            buf_printf(b, "private ");
        if (t->is_const)
            buf_printf(b, "const ");
        spell(b, t->elem);
        return;
    case IRT_ARRAY:
        buf_printf(b, "[");
        spell(b, t->elem);
        buf_printf(b, "; %" PRIu64 "]", t->count);
        return;
    case IRT_STRUCT:
        buf_printf(b, "%s", t->name ? t->name : "<anon>");
        return;
    case IRT_MATRIX:
        buf_printf(b, "%s<", ir_mat_role_name(t->mat_role));
        spell(b, t->elem);
        buf_printf(b, ", %u, %u>", t->rows, t->cols);
        return;
    case IRT_VEC:
        buf_printf(b, "vec%u<", (unsigned)t->count);
        spell(b, t->elem);
        buf_printf(b, ">");
        return;
    }
    buf_printf(b, "<bad type %d>", (int)t->kind);
}

const char *
ir_type_name(IrModule *m, const IrType *t)
{
    Buf b = {0};
    spell(&b, t);
    const char *s = arena_strndup(m->arena, b.data ? (const char *)b.data : "", b.len);
    buf_free(&b);
    return s;
}
