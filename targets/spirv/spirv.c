/* spirv.c: the Vulkan SPIR-V target: module layout, types, constants and
 * global variables, entry points, and the `spv_target` table.
 *
 * The module is built as one word buffer per logical-layout section (SPIR-V
 * 2.4: capabilities, extensions, imports, memory model, entry points,
 * execution modes, debug names, annotations, types/constants/globals,
 * functions), joined behind the header at the end. Types and constants are
 * interned in one table keyed by their instruction words, so each is
 * declared once and its decorations (ArrayStride, Offset) are written once.
 * Functions are emitted by spirv_func.c; entry points come last because
 * their interface lists need every global variable each kernel reaches.
 * Everything is visited in module order, so the output is deterministic.
 * The source file is one OpString (named by OpSource) that the OpLines of
 * spirv_func.c refer to.
 *
 * Decisions the runtime relies on are in docs/spirv.md: push-constant layout
 * and the indirect-argument rule, SpecIds 0..2 for the block size. */
#include "spirv_emit.h"

#include "claw/fatbin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- word buffers -------------------------------------------------------- */

void
spv_words_push(SpvWords *s, uint32_t w)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->w = realloc(s->w, s->cap * sizeof *s->w);
        if (!s->w)
            ICE("out of memory");
    }
    s->w[s->len++] = w;
}

void
spv_words_append(SpvWords *s, const SpvWords *t)
{
    for (size_t i = 0; i < t->len; i++)
        spv_words_push(s, t->w[i]);
}

void
spv_words_free(SpvWords *s)
{
    free(s->w);
    s->w = NULL;
    s->len = s->cap = 0;
}

void
spv_inst(SpvWords *s, SpvOp op, const uint32_t *ops, int n)
{
    spv_words_push(s, ((uint32_t)(n + 1) << SpvWordCountShift) | (uint32_t)op);
    for (int i = 0; i < n; i++)
        spv_words_push(s, ops[i]);
}

void
spv_inst_str(SpvWords *s, SpvOp op, const uint32_t *ops, int n, const char *str)
{
    size_t len = strlen(str);
    size_t str_words = len / 4 + 1; /* SPIR-V 2.2.1: nul-terminated, zero-padded */
    spv_words_push(s, ((uint32_t)(n + 1 + str_words) << SpvWordCountShift) | (uint32_t)op);
    for (int i = 0; i < n; i++)
        spv_words_push(s, ops[i]);
    for (size_t i = 0; i < str_words; i++) {
        uint32_t w = 0;
        for (size_t b = 0; b < 4; b++) {
            size_t k = i * 4 + b;
            if (k < len)
                w |= (uint32_t)(unsigned char)str[k] << (8 * b);
        }
        spv_words_push(s, w);
    }
}

/* ---- ids, capabilities, names, decorations ------------------------------ */

uint32_t
spv_id(Spv *s)
{
    return s->next_id++;
}

void
spv_cap(Spv *s, SpvCapability cap)
{
    int i = 0;
    while (i < s->ncaps && s->caps[i] < (uint32_t)cap)
        i++;
    if (i < s->ncaps && s->caps[i] == (uint32_t)cap)
        return;
    if (s->ncaps == (int)(sizeof s->caps / sizeof s->caps[0]))
        ICE("too many SPIR-V capabilities");
    memmove(&s->caps[i + 1], &s->caps[i], (size_t)(s->ncaps - i) * sizeof s->caps[0]);
    s->caps[i] = (uint32_t)cap;
    s->ncaps++;
}

void
spv_name(Spv *s, uint32_t id, const char *name)
{
    if (name && *name)
        spv_inst_str(&s->sec[SEC_DEBUG], SpvOpName, &id, 1, name);
}

void
spv_decorate(Spv *s, uint32_t id, SpvDecoration d, const uint32_t *lits, int n)
{
    uint32_t ops[4] = {id, (uint32_t)d};
    if (n > 2)
        ICE("too many decoration literals");
    for (int i = 0; i < n; i++)
        ops[2 + i] = lits[i];
    spv_inst(&s->sec[SEC_ANNOTATION], SpvOpDecorate, ops, 2 + n);
}

static void
member_decorate(Spv *s, uint32_t id, uint32_t member, SpvDecoration d, uint32_t lit)
{
    SPV_INST(&s->sec[SEC_ANNOTATION], SpvOpMemberDecorate, id, member, (uint32_t)d, lit);
}

/* ---- the intern table: instruction words -> id --------------------------- */

struct SpvDedupEntry {
    uint32_t *key;   /* opcode, then operands without the result id */
    int len;
    uint32_t id;
};

struct SpvPtrEntry {
    const void *key;
    int form;        /* 0 memory, 1 value, 2 pointer, 3/4 forward pointer (open/done),
                      * 5 local (spv_local_type) */
    uint32_t id;
};

static uint32_t
dedup_find(Spv *s, const uint32_t *key, int len)
{
    for (size_t i = 0; i < s->dedup_len; i++) {
        SpvDedupEntry *e = &s->dedup[i];
        if (e->len == len && memcmp(e->key, key, (size_t)len * sizeof *key) == 0)
            return e->id;
    }
    return 0;
}

static void
dedup_add(Spv *s, const uint32_t *key, int len, uint32_t id)
{
    if (s->dedup_len == s->dedup_cap) {
        s->dedup_cap = s->dedup_cap ? s->dedup_cap * 2 : 64;
        s->dedup = realloc(s->dedup, s->dedup_cap * sizeof *s->dedup);
        if (!s->dedup)
            ICE("out of memory");
    }
    SpvDedupEntry *e = &s->dedup[s->dedup_len++];
    e->key = malloc((size_t)len * sizeof *key);
    if (!e->key)
        ICE("out of memory");
    memcpy(e->key, key, (size_t)len * sizeof *key);
    e->len = len;
    e->id = id;
}

/* Interns a global instruction. has_type: the first operand is a result
 * type (constants), so the result id goes second; otherwise first (types).
 * *fresh tells the caller to add decorations once. */
static uint32_t
intern(Spv *s, SpvOp op, bool has_type, const uint32_t *ops, int n, bool *fresh)
{
    uint32_t *key = malloc(((size_t)n + 2) * sizeof *key);
    if (!key)
        ICE("out of memory");
    key[0] = (uint32_t)op;
    if (n)
        memcpy(key + 1, ops, (size_t)n * sizeof *ops);
    uint32_t id = dedup_find(s, key, n + 1);
    if (fresh)
        *fresh = id == 0;
    if (!id) {
        id = spv_id(s);
        dedup_add(s, key, n + 1, id);
        /* reuse key as the instruction's operands: the result id goes after
         * the result type (constants) or first (types) */
        int k = 0;
        if (has_type)
            key[k++] = ops[0];
        key[k++] = id;
        for (int i = has_type ? 1 : 0; i < n; i++)
            key[k++] = ops[i];
        spv_inst(&s->sec[SEC_GLOBAL], op, key, k);
    }
    free(key);
    return id;
}

static uint32_t
tmap_find(Spv *s, const void *key, int form)
{
    for (size_t i = 0; i < s->tmap_len; i++)
        if (s->tmap[i].key == key && s->tmap[i].form == form)
            return s->tmap[i].id;
    return 0;
}

static void
tmap_add(Spv *s, const void *key, int form, uint32_t id)
{
    if (s->tmap_len == s->tmap_cap) {
        s->tmap_cap = s->tmap_cap ? s->tmap_cap * 2 : 64;
        s->tmap = realloc(s->tmap, s->tmap_cap * sizeof *s->tmap);
        if (!s->tmap)
            ICE("out of memory");
    }
    s->tmap[s->tmap_len++] = (SpvPtrEntry){key, form, id};
}

/* ---- types --------------------------------------------------------------- */

uint32_t
spv_type_void(Spv *s)
{
    return intern(s, SpvOpTypeVoid, false, NULL, 0, NULL);
}

uint32_t
spv_type_bool(Spv *s)
{
    return intern(s, SpvOpTypeBool, false, NULL, 0, NULL);
}

uint32_t
spv_type_int(Spv *s, uint32_t bits)
{
    if (bits == 8)
        spv_cap(s, SpvCapabilityInt8);
    else if (bits == 16)
        spv_cap(s, SpvCapabilityInt16);
    else if (bits == 64)
        spv_cap(s, SpvCapabilityInt64);
    return intern(s, SpvOpTypeInt, false, (const uint32_t[]){bits, 0}, 2, NULL);
}

uint32_t
spv_type_float(Spv *s, uint32_t bits)
{
    if (bits == 16)
        spv_cap(s, SpvCapabilityFloat16);
    else if (bits == 64)
        spv_cap(s, SpvCapabilityFloat64);
    return intern(s, SpvOpTypeFloat, false, &bits, 1, NULL);
}

uint32_t
spv_type_vec(Spv *s, uint32_t elem, uint32_t n)
{
    return intern(s, SpvOpTypeVector, false, (const uint32_t[]){elem, n}, 2, NULL);
}

uint32_t
spv_type_ptr(Spv *s, SpvStorageClass sc, uint32_t pointee, uint64_t stride)
{
    bool fresh;
    uint32_t id = intern(s, SpvOpTypePointer, false, (const uint32_t[]){(uint32_t)sc, pointee}, 2,
                         &fresh);
    /* SPIR-V 2.16.2: OpPtrAccessChain's base needs an ArrayStride on its type */
    if (fresh && sc == SpvStorageClassPhysicalStorageBuffer && stride)
        spv_decorate(s, id, SpvDecorationArrayStride, (const uint32_t[]){(uint32_t)stride}, 1);
    return id;
}

uint32_t
spv_type_fn(Spv *s, uint32_t ret, const uint32_t *params, int n)
{
    uint32_t *ops = malloc(((size_t)n + 1) * sizeof *ops);
    if (!ops)
        ICE("out of memory");
    ops[0] = ret;
    if (n)
        memcpy(ops + 1, params, (size_t)n * sizeof *params);
    uint32_t id = intern(s, SpvOpTypeFunction, false, ops, n + 1, NULL);
    free(ops);
    return id;
}

SpvStorageClass
spv_storage(IrSpace space)
{
    switch (space) {
    case IR_SPACE_GLOBAL: return SpvStorageClassPhysicalStorageBuffer;
    case IR_SPACE_SHARED: return SpvStorageClassWorkgroup;
    case IR_SPACE_PRIVATE: return SpvStorageClassFunction;
    }
    UNREACHABLE();
}

bool
spv_type_has_width(const IrType *t, uint32_t bits)
{
    switch (t->kind) {
    case IRT_BOOL: return bits == 8;
    case IRT_INT:
    case IRT_FLOAT: return t->bits == bits;
    case IRT_ARRAY:
    case IRT_VEC: return spv_type_has_width(t->elem, bits);
    case IRT_STRUCT:
        for (int i = 0; i < t->nfields; i++)
            if (t->fields[i].type && spv_type_has_width(t->fields[i].type, bits))
                return true;
        return false;
    default: return false;
    }
}

/* OpTypeStruct for t, recorded in tmap with `form` while its members are
 * built (a member may point back to t). laid_out: the PhysicalStorageBuffer
 * form (spv_mem_type members, Offset decorations); else the undecorated
 * twin of Function and Workgroup storage (spv_local_type members). Both
 * carry the source's name and member names, as glslang does for a struct
 * used in two layouts (spirv-dis calls the second one NAME_0): Mesa's SPIR-V
 * reader (lavapipe) refuses an OpCopyLogical between structs whose names
 * differ. Structs are nominal: never interned by shape. */
static uint32_t
emit_struct(Spv *s, IrType *t, int form, bool laid_out)
{
    tmap_add(s, t, form, 0);
    size_t slot = s->tmap_len - 1;
    uint32_t *ops = malloc(((size_t)t->nfields + 1) * sizeof *ops);
    if (!ops)
        ICE("out of memory");
    for (int i = 0; i < t->nfields; i++) {
        if (!t->fields[i].type)
            ICE("struct %s has an unmappable field", t->name);
        ops[i + 1] = laid_out ? spv_mem_type(s, t->fields[i].type)
                              : spv_local_type(s, t->fields[i].type);
    }
    uint32_t id = spv_id(s);
    ops[0] = id;
    spv_inst(&s->sec[SEC_GLOBAL], SpvOpTypeStruct, ops, t->nfields + 1);
    free(ops);
    s->tmap[slot].id = id;
    spv_name(s, id, t->name);
    for (int i = 0; i < t->nfields; i++) {
        spv_inst_str(&s->sec[SEC_DEBUG], SpvOpMemberName, (const uint32_t[]){id, (uint32_t)i}, 2,
                     t->fields[i].name ? t->fields[i].name : "");
        if (laid_out)
            member_decorate(s, id, (uint32_t)i, SpvDecorationOffset, (uint32_t)t->fields[i].offset);
    }
    return id;
}

static uint32_t
struct_type(Spv *s, IrType *t)
{
    if (!t->complete || t->unmappable)
        ICE("struct %s reached the SPIR-V backend incomplete", t->name);
    /* A field may point back to this struct (a linked list): the pointer
     * type is then declared with OpTypeForwardPointer (SPIR-V 2.16.1) while
     * the struct is being built; tmap holds 0 for "in progress". */
    uint32_t id = emit_struct(s, t, 0, true);
    /* complete any forward-declared pointers to this struct */
    for (size_t i = 0; i < s->tmap_len; i++) {
        SpvPtrEntry *e = &s->tmap[i];
        if (e->form == 3 && e->key == t) {
            SPV_INST(&s->sec[SEC_GLOBAL], SpvOpTypePointer, e->id,
                     SpvStorageClassPhysicalStorageBuffer, id);
            spv_decorate(s, e->id, SpvDecorationArrayStride, (const uint32_t[]){(uint32_t)t->size},
                         1);
            dedup_add(s, (const uint32_t[]){SpvOpTypePointer, SpvStorageClassPhysicalStorageBuffer, id},
                      3, e->id);
            e->form = 4; /* done */
        }
    }
    return id;
}

uint32_t
spv_mem_type(Spv *s, IrType *t)
{
    switch (t->kind) {
    case IRT_VOID: return spv_type_void(s);
    case IRT_BOOL: return spv_type_int(s, 8); /* SPIR-V bool has no layout */
    case IRT_INT: return spv_type_int(s, t->bits);
    case IRT_FLOAT: /* bf16: its bits, see bf16_convert in spirv_func.c */
        return t->is_bf16 ? spv_type_int(s, 16) : spv_type_float(s, t->bits);
    case IRT_PTR: return spv_ptr_type(s, t);
    case IRT_ARRAY: {
        uint32_t id = tmap_find(s, t, 0);
        if (id)
            return id;
        uint32_t elem = spv_mem_type(s, t->elem);
        uint32_t len = t->count <= UINT32_MAX ? spv_const_u32(s, (uint32_t)t->count)
                                              : spv_const_int(s, 64, t->count);
        bool fresh;
        id = intern(s, SpvOpTypeArray, false, (const uint32_t[]){elem, len}, 2, &fresh);
        /* a cooperative matrix has no size: arrays of them (Function
         * storage only) carry no stride */
        if (fresh && !ir_type_has_matrix(t->elem))
            spv_decorate(s, id, SpvDecorationArrayStride,
                         (const uint32_t[]){(uint32_t)t->elem->size}, 1);
        tmap_add(s, t, 0, id);
        return id;
    }
    case IRT_VEC:
        /* bool vectors only live in Function variables, which need no
         * layout; vec3 is 3 elements with stride sizeof(T) (CUDA's float3,
         * 12 bytes), which a 3-component vector in a buffer cannot be
         * under the standard layouts */
        if (t->elem->kind == IRT_BOOL)
            return spv_val_type(s, t);
        if (t->count == 3)
            return spv_mem_type(s, ir_type_array(s->m, t->elem, 3));
        return spv_type_vec(s, spv_mem_type(s, t->elem), (uint32_t)t->count);
    case IRT_STRUCT: {
        for (size_t i = 0; i < s->tmap_len; i++)
            if (s->tmap[i].key == t && s->tmap[i].form == 0) {
                if (!s->tmap[i].id)
                    ICE("struct %s contains itself by value", t->name);
                return s->tmap[i].id;
            }
        return struct_type(s, t);
    }
    case IRT_MATRIX:
        if (s->coopmat != SPV_COOPMAT_OFF)
            return spv_coopmat_type(s, t);
        break; /* ir_lower_matrix replaced it */
    }
    UNREACHABLE();
}

/* Whether t's memory form carries an explicit layout (an ArrayStride or a
 * member Offset anywhere inside it, not behind a pointer): then Function,
 * Private and Workgroup storage need its undecorated twin. */
static bool
has_layout(const IrType *t)
{
    switch (t->kind) {
    case IRT_ARRAY: return !ir_type_has_matrix(t->elem) || has_layout(t->elem);
    case IRT_VEC: return t->count == 3 && t->elem->kind != IRT_BOOL; /* an array of 3 */
    case IRT_STRUCT: return t->nfields > 0;
    default: return false;
    }
}

/* The undecorated twin of a laid-out array. SPIR-V 2.8 lets aggregate types
 * repeat, and the dedup key's opcode word carries a bit no opcode has, so
 * the twin is never merged with the laid-out array of the same operands. */
static uint32_t
plain_array(Spv *s, uint32_t elem, uint32_t len)
{
    const uint32_t key[] = {(uint32_t)SpvOpTypeArray | 0x10000u, elem, len};
    uint32_t id = dedup_find(s, key, 3);
    if (!id) {
        id = spv_id(s);
        dedup_add(s, key, 3, id);
        SPV_INST(&s->sec[SEC_GLOBAL], SpvOpTypeArray, id, elem, len);
    }
    return id;
}

static uint32_t
plain_struct(Spv *s, IrType *t)
{
    return emit_struct(s, t, 5, false); /* form 5: the twin, in progress */
}

/* Vulkan (VUID-StandaloneSpirv-None-10684): explicit layout decorations
 * only on types used in StorageBuffer, Uniform, PushConstant and
 * PhysicalStorageBuffer storage. Values and pointers' pointees in global
 * memory keep spv_mem_type; Function and Workgroup variables hold this
 * form, and loads and stores convert with OpCopyLogical (spirv_func.c). */
uint32_t
spv_local_type(Spv *s, IrType *t)
{
    if (!has_layout(t))
        return spv_mem_type(s, t);
    if (t->kind == IRT_VEC)
        return spv_local_type(s, ir_type_array(s->m, t->elem, 3));
    for (size_t i = 0; i < s->tmap_len; i++)
        if (s->tmap[i].key == t && s->tmap[i].form == 5) {
            if (!s->tmap[i].id)
                ICE("struct %s contains itself by value", t->name);
            return s->tmap[i].id;
        }
    if (t->kind == IRT_STRUCT)
        return plain_struct(s, t);
    uint32_t elem = spv_local_type(s, t->elem);
    uint32_t len = t->count <= UINT32_MAX ? spv_const_u32(s, (uint32_t)t->count)
                                          : spv_const_int(s, 64, t->count);
    uint32_t id = plain_array(s, elem, len);
    tmap_add(s, t, 5, id);
    return id;
}

uint32_t
spv_coopmat_type(Spv *s, IrType *t)
{
    uint32_t comp = spv_type_float(s, t->elem->bits);
    uint32_t scope = spv_const_u32(s, SpvScopeSubgroup);
    uint32_t rows = spv_const_u32(s, t->rows), cols = spv_const_u32(s, t->cols);
    bool fresh;
    uint32_t id;
    if (s->coopmat == SPV_COOPMAT_KHR) {
        spv_cap(s, (SpvCapability)SPV_KHR_CAP_COOPMAT);
        uint32_t use = spv_const_u32(s, t->mat_role == IR_MAT_A   ? SPV_KHR_COOPMAT_USE_A
                                        : t->mat_role == IR_MAT_B ? SPV_KHR_COOPMAT_USE_B
                                                                  : SPV_KHR_COOPMAT_USE_ACC);
        id = intern(s, (SpvOp)SPV_KHR_OP_TYPE_COOPMAT, false,
                    (const uint32_t[]){comp, scope, rows, cols, use}, 5, &fresh);
    } else {
        /* the NV type has no Use: A and B of one element type are one type */
        spv_cap(s, SpvCapabilityCooperativeMatrixNV);
        id = intern(s, SpvOpTypeCooperativeMatrixNV, false,
                    (const uint32_t[]){comp, scope, rows, cols}, 4, &fresh);
    }
    if (fresh) {
        char name[32];
        snprintf(name, sizeof name, "%s_%s", ir_mat_role_name(t->mat_role),
                 t->elem->bits == 16 ? "f16" : "f32");
        spv_name(s, id, name);
    }
    return id;
}

uint32_t
spv_scope_device(Spv *s)
{
    if (s->vulkan_mm)
        spv_cap(s, SpvCapabilityVulkanMemoryModelDeviceScope);
    return spv_const_u32(s, SpvScopeDevice);
}

uint32_t
spv_val_type(Spv *s, IrType *t)
{
    if (t->kind == IRT_VEC)
        return spv_type_vec(s, spv_val_type(s, t->elem), (uint32_t)t->count);
    return t->kind == IRT_BOOL ? spv_type_bool(s) : spv_mem_type(s, t);
}

uint32_t
spv_ptr_type(Spv *s, IrType *ptr)
{
    IrType *elem = ptr->elem;
    SpvStorageClass sc = spv_storage(ptr->space);
    if (sc == SpvStorageClassPhysicalStorageBuffer) {
        spv_cap(s, SpvCapabilityPhysicalStorageBufferAddresses);
        /* SPIR-V 2.16.1 / Vulkan: 8- and 16-bit values in buffer memory */
        if (spv_type_has_width(elem, 8))
            spv_cap(s, SpvCapabilityStorageBuffer8BitAccess);
        if (spv_type_has_width(elem, 16))
            spv_cap(s, SpvCapabilityStorageBuffer16BitAccess);
        if (elem->kind == IRT_STRUCT) {
            uint32_t fwd = tmap_find(s, elem, 3);
            if (!fwd)
                fwd = tmap_find(s, elem, 4);
            if (fwd)
                return fwd;
            for (size_t i = 0; i < s->tmap_len; i++)
                if (s->tmap[i].key == elem && s->tmap[i].form == 0 && s->tmap[i].id == 0) {
                    uint32_t id = spv_id(s);
                    SPV_INST(&s->sec[SEC_GLOBAL], SpvOpTypeForwardPointer, id,
                             SpvStorageClassPhysicalStorageBuffer);
                    s->forward_ptr = true;
                    tmap_add(s, elem, 3, id);
                    return id;
                }
        }
    }
    uint32_t pointee = sc == SpvStorageClassPhysicalStorageBuffer ? spv_mem_type(s, elem)
                                                                  : spv_local_type(s, elem);
    return spv_type_ptr(s, sc, pointee, sc == SpvStorageClassPhysicalStorageBuffer ? elem->size : 0);
}

/* ---- constants ------------------------------------------------------------- */

uint32_t
spv_const_int(Spv *s, uint32_t bits, uint64_t v)
{
    uint32_t t = spv_type_int(s, bits);
    if (bits < 64)
        v &= (UINT64_C(1) << bits) - 1;
    if (bits == 64)
        return intern(s, SpvOpConstant, true, (const uint32_t[]){t, (uint32_t)v, (uint32_t)(v >> 32)},
                      3, NULL);
    return intern(s, SpvOpConstant, true, (const uint32_t[]){t, (uint32_t)v}, 2, NULL);
}

uint32_t
spv_const_u32(Spv *s, uint32_t v)
{
    return spv_const_int(s, 32, v);
}

/* IEEE binary16 bits of a double that the IR guarantees to be exactly
 * representable (ir.h: CONST), or an infinity / NaN. */
static uint32_t
half_bits(double d)
{
    float f = (float)d;
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int exp = (int)((x >> 23) & 0xff);
    uint32_t mant = x & 0x7fffffu;
    if (exp == 0xff)
        return sign | 0x7c00u | (mant ? 0x200u : 0);
    int e = exp - 127 + 15;
    if (e >= 0x1f)
        return sign | 0x7c00u;
    if (e <= 0) {
        if (e < -10)
            return sign;
        mant |= 0x800000u;
        return sign | (mant >> (uint32_t)(14 - e));
    }
    return sign | ((uint32_t)e << 10) | (mant >> 13);
}

uint32_t
spv_const_float(Spv *s, uint32_t bits, double v)
{
    uint32_t t = spv_type_float(s, bits);
    if (bits == 64) {
        uint64_t u;
        memcpy(&u, &v, 8);
        return intern(s, SpvOpConstant, true, (const uint32_t[]){t, (uint32_t)u, (uint32_t)(u >> 32)},
                      3, NULL);
    }
    uint32_t w;
    if (bits == 16) {
        w = half_bits(v);
    } else {
        float f = (float)v;
        memcpy(&w, &f, 4);
    }
    return intern(s, SpvOpConstant, true, (const uint32_t[]){t, w}, 2, NULL);
}

uint32_t
spv_const_bool(Spv *s, bool v)
{
    uint32_t t = spv_type_bool(s);
    return intern(s, v ? SpvOpConstantTrue : SpvOpConstantFalse, true, &t, 1, NULL);
}

uint32_t
spv_const_null(Spv *s, uint32_t type)
{
    return intern(s, SpvOpConstantNull, true, &type, 1, NULL);
}

uint32_t
spv_undef(Spv *s, uint32_t type)
{
    return intern(s, SpvOpUndef, true, &type, 1, NULL);
}

/* ---- global objects ------------------------------------------------------ */

uint32_t
spv_glsl(Spv *s)
{
    if (!s->glsl) {
        s->glsl = spv_id(s);
        spv_inst_str(&s->sec[SEC_EXT_IMPORT], SpvOpExtInstImport, &s->glsl, 1, "GLSL.std.450");
    }
    return s->glsl;
}

static const struct {
    SpvBuiltIn builtin;
    bool vector;
    const char *name;
} builtin_info[BV_COUNT] = {
    [BV_LOCAL_ID] = {SpvBuiltInLocalInvocationId, true, "thread_id"},
    [BV_WORKGROUP_ID] = {SpvBuiltInWorkgroupId, true, "block_id"},
    [BV_NUM_WORKGROUPS] = {SpvBuiltInNumWorkgroups, true, "grid_dim"},
    [BV_GLOBAL_ID] = {SpvBuiltInGlobalInvocationId, true, "global_id"},
    [BV_LANE_ID] = {SpvBuiltInSubgroupLocalInvocationId, false, "lane_id"},
    [BV_SUBGROUP_SIZE] = {SpvBuiltInSubgroupSize, false, "subgroup_size"},
    [BV_SUBGROUP_ID] = {SpvBuiltInSubgroupId, false, "subgroup_id"},
};

static uint32_t
new_builtin_var(Spv *s, SpvBuiltinVar b)
{
    uint32_t u32 = spv_type_int(s, 32);
    uint32_t t = builtin_info[b].vector ? spv_type_vec(s, u32, 3) : u32;
    uint32_t pt = spv_type_ptr(s, SpvStorageClassInput, t, 0);
    uint32_t id = spv_id(s);
    SPV_INST(&s->sec[SEC_GLOBAL], SpvOpVariable, pt, id, SpvStorageClassInput);
    spv_decorate(s, id, SpvDecorationBuiltIn, (const uint32_t[]){builtin_info[b].builtin}, 1);
    spv_name(s, id, builtin_info[b].name);
    if (!builtin_info[b].vector)
        spv_cap(s, SpvCapabilityGroupNonUniform); /* SPIR-V 3.21: subgroup builtins */
    return id;
}

uint32_t
spv_builtin_var(Spv *s, SpvBuiltinVar b)
{
    if (!s->builtin_var[b])
        s->builtin_var[b] = new_builtin_var(s, b);
    return s->builtin_var[b];
}

/* One Input variable of a builtin read by many entry points makes
 * SPIRV-Tools' validator quadratic in time and memory (its built-in check
 * records every reference once per entry point that reaches it: 8000
 * kernels took 43 s and 4.2 GiB, docs/validation.md). So a kernel that
 * reaches no other function reading a builtin (own_builtin_vars, decided
 * before emission by mark_own_builtin_vars) gets variables of its own.
 * The others, and the functions they call, share the module's: an entry
 * point must not list two Input variables of one BuiltIn. */
uint32_t
spv_builtin_var_in(Spv *s, SpvFuncUse *u, SpvBuiltinVar b)
{
    if (!u->own_builtin_vars) {
        u->builtins |= 1u << b;
        return spv_builtin_var(s, b);
    }
    if (!u->own_var[b])
        u->own_var[b] = new_builtin_var(s, b);
    u->own_builtins |= 1u << b;
    return u->own_var[b];
}

uint32_t
spv_shared_var(Spv *s, IrShared *sh)
{
    if (!s->shared_ids[sh->index]) {
        uint32_t pt = spv_type_ptr(s, SpvStorageClassWorkgroup, spv_local_type(s, sh->type), 0);
        uint32_t id = spv_id(s);
        SPV_INST(&s->sec[SEC_GLOBAL], SpvOpVariable, pt, id, SpvStorageClassWorkgroup);
        spv_name(s, id, sh->name);
        s->shared_ids[sh->index] = id;
    }
    return s->shared_ids[sh->index];
}

/* The launch's block size: specialization constants SpecId 0, 1, 2 (default
 * 1), which the runtime sets for every pipeline (docs/spirv.md). */
uint32_t
spv_spec_block_dim(Spv *s, int dim)
{
    if (!s->spec_wg[0]) {
        static const char *names[3] = {"block_dim_x", "block_dim_y", "block_dim_z"};
        uint32_t u32 = spv_type_int(s, 32);
        for (int i = 0; i < 3; i++) {
            uint32_t id = spv_id(s);
            SPV_INST(&s->sec[SEC_GLOBAL], SpvOpSpecConstant, u32, id, 1);
            spv_decorate(s, id, SpvDecorationSpecId, (const uint32_t[]){(uint32_t)i}, 1);
            spv_name(s, id, names[i]);
            s->spec_wg[i] = id;
        }
    }
    return s->spec_wg[dim];
}

/* SpecId 4: the subgroup size the runtime reports for the device, which the
 * matrix fallback branches on (ir/matrix.c); the driver folds the branches
 * when it specialises the pipeline, so only one version is compiled. */
uint32_t
spv_spec_subgroup_size(Spv *s)
{
    if (!s->spec_sg) {
        uint32_t id = spv_id(s);
        SPV_INST(&s->sec[SEC_GLOBAL], SpvOpSpecConstant, spv_type_int(s, 32), id, 32);
        spv_decorate(s, id, SpvDecorationSpecId, (const uint32_t[]){4}, 1);
        spv_name(s, id, "claw_subgroup_size");
        s->spec_sg = id;
    }
    return s->spec_sg;
}

/* ---- the loop-limit check (docs/spirv.md "Driver loop limits") ---------- */

/* SpecId 3, a bool (default false) that the runtime sets only on drivers
 * that cut loops short (llvmpipe); elsewhere the checks fold away when the
 * pipeline is specialised. */
uint32_t
spv_spec_loop_check(Spv *s)
{
    if (!s->spec_loop_check) {
        uint32_t id = spv_id(s);
        SPV_INST(&s->sec[SEC_GLOBAL], SpvOpSpecConstantFalse, spv_type_bool(s), id);
        spv_decorate(s, id, SpvDecorationSpecId, (const uint32_t[]){3}, 1);
        spv_name(s, id, "claw_loop_check");
        s->spec_loop_check = id;
    }
    return s->spec_loop_check;
}

/* The launch's status word: a u32 reached through a PhysicalStorageBuffer
 * pointer, a hidden push-constant field of every kernel (after the
 * arguments, before the launch block). */
uint32_t
spv_status_ptr_type(Spv *s)
{
    return spv_type_ptr(s, SpvStorageClassPhysicalStorageBuffer, spv_type_int(s, 32), 4);
}

/* Each kernel copies the status-word pointer from its push constants into
 * this Private variable, so loops in device functions reach it too. */
uint32_t
spv_status_var(Spv *s)
{
    if (!s->status_var) {
        uint32_t pt = spv_type_ptr(s, SpvStorageClassPrivate, spv_status_ptr_type(s), 0);
        uint32_t id = spv_id(s);
        SPV_INST(&s->sec[SEC_GLOBAL], SpvOpVariable, pt, id, SpvStorageClassPrivate);
        /* SPIR-V 2.18.2: a variable holding a PhysicalStorageBuffer pointer
         * says whether it aliases */
        spv_decorate(s, id, SpvDecorationAliasedPointer, NULL, 0);
        spv_name(s, id, "claw_status");
        s->status_var = id;
    }
    return s->status_var;
}

/* The launch block's Private variables (SpvLaunchVars), created once. */
const SpvLaunchVars *
spv_launch_vars(Spv *s)
{
    if (!s->launch.block_x) {
        uint32_t u32 = spv_type_int(s, 32), v3 = spv_type_vec(s, u32, 3);
        uint32_t pu = spv_type_ptr(s, SpvStorageClassPrivate, u32, 0);
        uint32_t pv = spv_type_ptr(s, SpvStorageClassPrivate, v3, 0);
        s->launch.block_x = spv_id(s);
        SPV_INST(&s->sec[SEC_GLOBAL], SpvOpVariable, pu, s->launch.block_x, SpvStorageClassPrivate);
        spv_name(s, s->launch.block_x, "claw_block_id_x");
        s->launch.global_x = spv_id(s);
        SPV_INST(&s->sec[SEC_GLOBAL], SpvOpVariable, pu, s->launch.global_x, SpvStorageClassPrivate);
        spv_name(s, s->launch.global_x, "claw_global_id_x");
        s->launch.grid = spv_id(s);
        SPV_INST(&s->sec[SEC_GLOBAL], SpvOpVariable, pv, s->launch.grid, SpvStorageClassPrivate);
        spv_name(s, s->launch.grid, "claw_grid_dim");
    }
    return &s->launch;
}

/* ---- module -------------------------------------------------------------- */

/* The ops whose SPIR-V reads a builtin variable, or may (the subgroup and
 * matrix ops read the lane id or the subgroup size); a superset is safe:
 * it only keeps a kernel on the module's shared variables. */
static const IrOp builtin_readers[] = {
    IR_THREAD_ID,     IR_BLOCK_ID,      IR_BLOCK_DIM,        IR_GRID_DIM,     IR_GLOBAL_ID,
    IR_LANE_ID,       IR_SUBGROUP_SIZE, IR_SUBGROUP_ID,      IR_NUM_SUBGROUPS, IR_SHUFFLE,
    IR_SHUFFLE_XOR,   IR_SHUFFLE_UP,    IR_SHUFFLE_DOWN,     IR_BROADCAST,    IR_SUBGROUP_SUM,
    IR_SUBGROUP_MIN,  IR_SUBGROUP_MAX,  IR_SUBGROUP_PREFIX_SUM, IR_SUBGROUP_ANY, IR_SUBGROUP_ALL,
    IR_MAT_LOAD,      IR_MAT_STORE,     IR_MAT_FILL,         IR_MAT_MMA,      IR_MAT_SCALE,
    IR_MAT_ADD,       IR_MAT_SUB,       IR_MAT_SG_SIZE,      IR_MMA_FRAG,
};

/* Calls found by scan_builtin_reads: caller and callee indices. */
typedef struct CallEdges {
    int (*e)[2];
    size_t n, cap;
} CallEdges;

/* Scans function fi's region r: *reads when an instruction may read a
 * builtin, an edge for each call. */
static void
scan_builtin_reads(const IrRegion *r, int fi, bool *reads, CallEdges *ce)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        for (size_t k = 0; k < sizeof builtin_readers / sizeof builtin_readers[0]; k++)
            if (in->op == builtin_readers[k])
                *reads = true;
        if (in->op == IR_CALL) {
            if (ce->n == ce->cap) {
                ce->cap = ce->cap ? 2 * ce->cap : 64;
                ce->e = realloc(ce->e, ce->cap * sizeof *ce->e);
                if (!ce->e)
                    ICE("out of memory");
            }
            ce->e[ce->n][0] = fi;
            ce->e[ce->n][1] = in->imm.callee->index;
            ce->n++;
        }
        if (in->op == IR_IF) {
            scan_builtin_reads(&in->then_r, fi, reads, ce);
            scan_builtin_reads(&in->else_r, fi, reads, ce);
        } else if (in->op == IR_LOOP) {
            scan_builtin_reads(&in->body_r, fi, reads, ce);
            scan_builtin_reads(&in->cont_r, fi, reads, ce);
        }
    }
}

/* Sets SpvFuncUse.own_builtin_vars for each kernel that reaches no other
 * function that may read a builtin (spv_builtin_var_in). */
static void
mark_own_builtin_vars(Spv *s)
{
    IrModule *m = s->m;
    int nf = m->funcs.len;
    bool *reads = calloc((size_t)nf + 1, 1); /* may read, itself or through its calls */
    bool *helper = calloc((size_t)nf + 1, 1); /* calls a function that may read */
    CallEdges ce = {0};
    if (!reads || !helper)
        ICE("out of memory");
    for (int i = 0; i < nf; i++) {
        IrFunc *f = m->funcs.data[i];
        scan_builtin_reads(&f->body, i, &reads[i], &ce);
    }
    /* a fixed point over the call edges: as many rounds as the call graph
     * is deep (a Claw call graph has no cycles) */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t k = 0; k < ce.n; k++) {
            int caller = ce.e[k][0], callee = ce.e[k][1];
            if (reads[callee] && !helper[caller]) {
                helper[caller] = true;
                changed = true;
            }
            if (reads[callee] && !reads[caller]) {
                reads[caller] = true;
                changed = true;
            }
        }
    }
    for (int i = 0; i < nf; i++) {
        IrFunc *f = m->funcs.data[i];
        if (f->is_kernel)
            s->use[i].own_builtin_vars = !helper[i];
    }
    free(reads);
    free(helper);
    free(ce.e);
}

/* The kernel's interface: builtins, Workgroup variables and the push
 * constant of every function it reaches (SPIR-V 2.16.1, 1.4+). */
static void
collect_use(Spv *s, int fi, bool *seen, uint32_t *builtins, bool *shared, bool *status)
{
    if (seen[fi])
        return;
    seen[fi] = true;
    SpvFuncUse *u = &s->use[fi];
    *builtins |= u->builtins;
    *status = *status || u->status;
    for (int i = 0; i < s->m->shared.len; i++)
        shared[i] = shared[i] || u->shared[i];
    for (int i = 0; i < s->m->funcs.len; i++)
        if (u->calls[i])
            collect_use(s, i, seen, builtins, shared, status);
}

static void
emit_entry_points(Spv *s, bool any_unfixed)
{
    IrModule *m = s->m;
    bool *seen = calloc((size_t)m->funcs.len + 1, 1);
    bool *shared = calloc((size_t)m->shared.len + 1, 1);
    uint32_t *iface = calloc((size_t)(2 * BV_COUNT + m->shared.len + 9), sizeof *iface);
    if (!seen || !shared || !iface)
        ICE("out of memory");
    for (int fi = 0; fi < m->funcs.len; fi++) {
        IrFunc *f = m->funcs.data[fi];
        if (!f->is_kernel)
            continue;
        memset(seen, 0, (size_t)m->funcs.len + 1);
        memset(shared, 0, (size_t)m->shared.len + 1);
        uint32_t builtins = 0;
        bool status = false;
        collect_use(s, fi, seen, &builtins, shared, &status);
        int n = 0;
        iface[n++] = SpvExecutionModelGLCompute;
        iface[n++] = s->func_ids[fi];
        int first_var = n;
        for (int b = 0; b < BV_COUNT; b++) {
            if (builtins & (1u << b))
                iface[n++] = s->builtin_var[b];
            if (s->use[fi].own_builtins & (1u << b))
                iface[n++] = s->use[fi].own_var[b];
        }
        for (int i = 0; i < m->shared.len; i++)
            if (shared[i])
                iface[n++] = s->shared_ids[i];
        if (s->use[fi].push_var)
            iface[n++] = s->use[fi].push_var;
        if (status)
            iface[n++] = s->status_var;
        if (s->launch.block_x) { /* every kernel's prologue writes them */
            iface[n++] = s->launch.block_x;
            iface[n++] = s->launch.global_x;
            iface[n++] = s->launch.grid;
        }
        /* sorted by id: deterministic and easy to read */
        for (int i = first_var + 1; i < n; i++)
            for (int j = i; j > first_var && iface[j - 1] > iface[j]; j--) {
                uint32_t t = iface[j];
                iface[j] = iface[j - 1];
                iface[j - 1] = t;
            }
        /* OpEntryPoint Model Fn "name" Interface...: the name precedes the ids */
        SpvWords *ep = &s->sec[SEC_ENTRY_POINT];
        size_t len = strlen(f->name), str_words = len / 4 + 1;
        spv_words_push(ep, ((uint32_t)(1 + 2 + str_words + (size_t)(n - 2)) << SpvWordCountShift) |
                               SpvOpEntryPoint);
        spv_words_push(ep, iface[0]);
        spv_words_push(ep, iface[1]);
        for (size_t i = 0; i < str_words; i++) {
            uint32_t w = 0;
            for (size_t b = 0; b < 4; b++)
                if (i * 4 + b < len)
                    w |= (uint32_t)(unsigned char)f->name[i * 4 + b] << (8 * b);
            spv_words_push(ep, w);
        }
        for (int i = 2; i < n; i++)
            spv_words_push(ep, iface[i]);
        if (f->workgroup[0]) {
            SPV_INST(&s->sec[SEC_EXEC_MODE], SpvOpExecutionMode, s->func_ids[fi],
                     SpvExecutionModeLocalSize, f->workgroup[0], f->workgroup[1] ? f->workgroup[1] : 1,
                     f->workgroup[2] ? f->workgroup[2] : 1);
        }
    }
    /* Kernels without @workgroup take their size from SpecIds 0..2 through
     * the WorkgroupSize builtin (it works on Vulkan 1.2, where LocalSizeId
     * needs maintenance4); it overrides LocalSize for every entry point, so
     * the runtime sets the SpecIds for fixed-size kernels too. */
    if (any_unfixed) {
        uint32_t u32 = spv_type_int(s, 32);
        uint32_t v3 = spv_type_vec(s, u32, 3);
        uint32_t x = spv_spec_block_dim(s, 0), y = spv_spec_block_dim(s, 1),
                 z = spv_spec_block_dim(s, 2);
        uint32_t id = spv_id(s);
        SPV_INST(&s->sec[SEC_GLOBAL], SpvOpSpecConstantComposite, v3, id, x, y, z);
        spv_decorate(s, id, SpvDecorationBuiltIn, (const uint32_t[]){SpvBuiltInWorkgroupSize}, 1);
        spv_name(s, id, "block_dim");
    }
    free(seen);
    free(shared);
    free(iface);
}

/* Builds the whole module into out (words). Returns whether it declares a
 * recursive pointer type. */
static bool
build_module(IrModule *m, bool vulkan13, bool fp_contract, SpvCoopmat coopmat, SpvWords *out)
{
    Spv s = {0};
    s.m = m;
    s.vulkan13 = vulkan13;
    s.coopmat = coopmat;
    /* SPV_KHR_cooperative_matrix: "If the CooperativeMatrixKHR capability
     * is declared then the VulkanMemoryModel capability must be declared" */
    s.vulkan_mm = coopmat != SPV_COOPMAT_OFF;
    s.version = vulkan13 ? 0x00010600u : 0x00010500u; /* Vulkan 1.3 -> 1.6, 1.2 -> 1.5 */
    s.fp_contract = fp_contract;
    s.next_id = 1;
    int nf = m->funcs.len, ns = m->shared.len;
    s.func_ids = calloc((size_t)nf + 1, sizeof *s.func_ids);
    s.shared_ids = calloc((size_t)ns + 1, sizeof *s.shared_ids);
    s.use = calloc((size_t)nf + 1, sizeof *s.use);
    if (!s.func_ids || !s.shared_ids || !s.use)
        ICE("out of memory");
    bool any_unfixed = false;
    for (int i = 0; i < nf; i++) {
        IrFunc *f = m->funcs.data[i];
        s.func_ids[i] = spv_id(&s);
        s.use[i].shared = calloc((size_t)ns + 1, 1);
        s.use[i].calls = calloc((size_t)nf + 1, 1);
        if (!s.use[i].shared || !s.use[i].calls)
            ICE("out of memory");
        if (f->is_kernel && !f->workgroup[0])
            any_unfixed = true;
    }
    spv_cap(&s, SpvCapabilityShader);
    spv_cap(&s, SpvCapabilityPhysicalStorageBufferAddresses);
    if (s.vulkan_mm)
        spv_cap(&s, SpvCapabilityVulkanMemoryModel);
    if (m->source_name) {
        /* SPIR-V 2.4 section 7a: the file name as given to clawc (no
         * absolute path is added, so the output is reproducible) */
        s.file_str = spv_id(&s);
        SpvWords *src = &s.sec[SEC_DEBUG_SOURCE];
        spv_inst_str(src, SpvOpString, &s.file_str, 1, m->source_name);
        SPV_INST(src, SpvOpSource, SpvSourceLanguageUnknown, 0, s.file_str);
    }
    /* SPIR-V 2.4 section 7c: tells the runtime that every kernel has the
     * hidden status-word push constant (docs/spirv.md) */
    spv_inst_str(&s.sec[SEC_DEBUG_PROCESSED], SpvOpModuleProcessed, NULL, 0, SPV_STATUS_MARKER);
    mark_own_builtin_vars(&s);
    for (int i = 0; i < nf; i++)
        spv_emit_function(&s, m->funcs.data[i]);
    emit_entry_points(&s, any_unfixed);

    for (int i = 0; i < s.ncaps; i++)
        SPV_INST(&s.sec[SEC_CAPABILITY], SpvOpCapability, s.caps[i]);
    if (s.ext_atomic_float)
        spv_inst_str(&s.sec[SEC_EXTENSION], SpvOpExtension, NULL, 0, "SPV_EXT_shader_atomic_float_add");
    for (int i = 0; i < s.ncaps; i++) {
        if (s.caps[i] == SPV_KHR_CAP_COOPMAT)
            spv_inst_str(&s.sec[SEC_EXTENSION], SpvOpExtension, NULL, 0,
                         SPV_KHR_COOPMAT_EXTENSION);
        if (s.caps[i] == SpvCapabilityCooperativeMatrixNV)
            spv_inst_str(&s.sec[SEC_EXTENSION], SpvOpExtension, NULL, 0,
                         "SPV_NV_cooperative_matrix");
    }
    SPV_INST(&s.sec[SEC_MEMORY_MODEL], SpvOpMemoryModel, SpvAddressingModelPhysicalStorageBuffer64,
             s.vulkan_mm ? SpvMemoryModelVulkan : SpvMemoryModelGLSL450);

    /* SPIR-V 2.3: magic, version, generator, bound, schema */
    spv_words_push(out, SpvMagicNumber);
    spv_words_push(out, s.version);
    spv_words_push(out, 0);
    spv_words_push(out, s.next_id);
    spv_words_push(out, 0);
    for (int i = 0; i < SEC_COUNT; i++) {
        spv_words_append(out, &s.sec[i]);
        spv_words_free(&s.sec[i]);
    }
    for (size_t i = 0; i < s.dedup_len; i++)
        free(s.dedup[i].key);
    free(s.dedup);
    free(s.tmap);
    for (int i = 0; i < nf; i++) {
        free(s.use[i].shared);
        free(s.use[i].calls);
    }
    free(s.use);
    free(s.func_ids);
    free(s.shared_ids);
    return s.forward_ptr;
}

static char *
prefixed(const char *what, char *msg)
{
    Buf b = {0};
    buf_printf(&b, "%s%s", what, msg ? msg : "");
    buf_append(&b, "", 1);
    free(msg);
    return (char *)b.data;
}

/* TargetOutput.code of the SPIR-V outputs */
enum { SPV_OUT_BINARY, SPV_OUT_ASM };

static EmitStatus spv_emit_lowered(IrModule *m, bool owned, const TargetOptions *o,
                                   const TargetOutput *kind, SpvCoopmat coopmat, Buf *out,
                                   char **err);

/* Why module m has no cooperative-matrix form, or NULL when it has one:
 * the image holds f16 A and B tiles and f32 accumulators; bf16 has no
 * cooperative-matrix component type a Vulkan device must support. */
static const char *
coopmat_obstacle(const IrType *t)
{
    if (!t)
        return NULL;
    if (t->kind == IRT_MATRIX && (t->elem->is_bf16 || t->elem->kind != IRT_FLOAT))
        return "bf16 matrix tiles have no cooperative-matrix form in Vulkan (no bfloat16 "
               "component type); they run in the fallback image";
    if (t->kind == IRT_ARRAY || t->kind == IRT_PTR)
        return coopmat_obstacle(t->elem);
    return NULL;
}

static const char *
coopmat_region_obstacle(const IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        const char *why = coopmat_obstacle(in->type);
        if (!why && in->op == IR_MAT_STORE) {
            const IrType *dt = in->ops[0]->type->kind == IRT_PTR ? in->ops[0]->type->elem : NULL;
            while (dt && dt->kind == IRT_ARRAY)
                dt = dt->elem;
            if (dt && (dt->kind != IRT_FLOAT || dt->is_bf16))
                why = "a matrix store to bf16 memory has no cooperative-matrix form in Vulkan; "
                      "it runs in the fallback image";
        }
        if (!why)
            why = coopmat_region_obstacle(&in->then_r);
        if (!why)
            why = coopmat_region_obstacle(&in->else_r);
        if (!why)
            why = coopmat_region_obstacle(&in->body_r);
        if (!why)
            why = coopmat_region_obstacle(&in->cont_r);
        if (why)
            return why;
    }
    return NULL;
}

const char *
spv_coopmat_unsupported(IrModule *m)
{
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        const char *why = coopmat_obstacle(f->ret);
        for (int j = 0; !why && j < f->nparams; j++)
            why = coopmat_obstacle(f->params[j].type);
        for (int j = 0; !why && j < f->locals.len; j++)
            why = coopmat_obstacle(((IrInst *)f->locals.data[j])->type);
        if (!why)
            why = coopmat_region_obstacle(&f->body);
        if (why)
            return why;
    }
    return NULL;
}

static EmitStatus
spv_emit(IrModule *m, const TargetOptions *o, const TargetOutput *kind, Buf *out, char **err)
{
    bool coop = o->arch && strcmp(o->arch, SPV_COOPMAT_ARCH) == 0;
    if (!ir_module_has_matrix(m))
        return spv_emit_lowered(m, false, o, kind, SPV_COOPMAT_OFF, out, err);
    if (coop) {
        /* matrix ops stay ops: the emitter writes them as cooperative
         * matrices (docs/spirv.md "Cooperative matrices") */
        const char *why = spv_coopmat_unsupported(m);
        if (why) {
            *err = prefixed(why, NULL);
            return EMIT_INPUT_ERROR;
        }
        IrModule *own = ir_module_clone(m);
        EmitStatus rc = spv_emit_lowered(own, true, o, kind, SPV_COOPMAT_KHR, out, err);
        ir_module_free(own);
        return rc;
    }
    /* The subgroup size is the device's: the fallback of ir/matrix.c, for
     * every size from 4 to 64 (docs/matrix.md), in a copy of the module. */
    IrMatrixTarget mt = {.subgroup_size = 0, .mma = IR_MMA_NONE};
    IrModule *own = ir_module_clone(m);
    ir_lower_matrix(own, &mt);
    EmitStatus rc = spv_emit_lowered(own, true, o, kind, SPV_COOPMAT_OFF, out, err);
    ir_module_free(own);
    return rc;
}

/* What the SPIR-V target leaves to the polyfill (ir/polyfill.c): OpSDiv/
 * OpUDiv/OpSRem/OpUMod by 0 or MIN / -1 and shifts by the width or more
 * have undefined results; no bf16 arithmetic; the math builtins but sqrt
 * and rsqrt (GLSL Sqrt and InverseSqrt on every width) come from the IR
 * math library (ir/mathlib.c), in its fma-free configuration: GLSL Fma
 * may round twice on Vulkan, so the library never relies on it and the
 * language's fma becomes its single-rounding emulation. GLSL's
 * transcendentals are not used: their f32 bounds are the driver's (and
 * lavapipe's barely meet Vulkan's), and they take no f64 (docs/spirv.md
 * "Math accuracy"). */
#define SPV_POLYFILL                                                                               \
    (IR_PF_INT_DIV | IR_PF_SHIFT | IR_PF_BF16 | IR_PF_MATH | IR_PF_FMA_TWICE |                     \
     IR_PF_UNIT_RSQRT_F32 | IR_PF_UNIT_RSQRT_F64)

static EmitStatus spv_emit_polyfilled(IrModule *m, const TargetOptions *o, const TargetOutput *kind,
                                      SpvCoopmat coopmat, Buf *out, char **err);

/* m with SPV_POLYFILL written (in a copy where the math library rewrites
 * anything and m is not this target's own: ir_polyfill_for), emitted */
static EmitStatus
spv_emit_lowered(IrModule *m, bool owned, const TargetOptions *o, const TargetOutput *kind,
                 SpvCoopmat coopmat, Buf *out, char **err)
{
    IrModule *pm = ir_polyfill_for(m, SPV_POLYFILL, owned);
    EmitStatus rc = spv_emit_polyfilled(pm, o, kind, coopmat, out, err);
    if (pm != m)
        ir_module_free(pm);
    return rc;
}

static EmitStatus
spv_emit_polyfilled(IrModule *m, const TargetOptions *o, const TargetOutput *kind,
                    SpvCoopmat coopmat, Buf *out, char **err)
{
    bool coop = o->arch && strcmp(o->arch, SPV_COOPMAT_ARCH) == 0;
    bool vulkan13 = coop || (o->arch && strcmp(o->arch, "vulkan1.3") == 0);
    bool has_kernel = false;
    for (int i = 0; i < m->funcs.len; i++)
        has_kernel = has_kernel || ((IrFunc *)m->funcs.data[i])->is_kernel;
    if (!has_kernel) {
        /* Vulkan modules cannot use the Linkage capability (SPIR-V 2.16.1) */
        *err = prefixed("no kernel in the module: a Vulkan SPIR-V module needs at least one "
                        "entry point",
                        NULL);
        return EMIT_INPUT_ERROR;
    }
    SpvWords words = {0};
    bool recursive = build_module(m, vulkan13, o->fp_contract, coopmat, &words);
    char *msg = NULL;
    if (coopmat == SPV_COOPMAT_KHR) {
        /* SPIRV-Tools 2023.1 predates SPV_KHR_cooperative_matrix: the KHR
         * instructions get the grammar check, and the same module written
         * with their SPV_NV_cooperative_matrix counterparts (one for one)
         * goes through the validator, which checks everything else. */
        if (spv_coopmat_check(words.w, words.len, &msg) != 0)
            ICE("the SPIR-V backend produced an invalid cooperative-matrix instruction: %s", msg);
        SpvWords shadow = {0};
        build_module(m, vulkan13, o->fp_contract, SPV_COOPMAT_NV, &shadow);
        if (spv_validate(shadow.w, shadow.len, vulkan13, &msg) != 0)
            ICE("the SPIR-V backend produced an invalid module (checked in its "
                "SPV_NV_cooperative_matrix form): %s", msg);
        spv_words_free(&shadow);
    } else if (spv_validate(words.w, words.len, vulkan13, &msg) != 0) {
        ICE("the SPIR-V backend produced an invalid module: %s", msg);
    }
    /* SPIRV-Tools 2023.1's type manager recurses forever on recursive
     * PhysicalStorageBuffer pointer types (a linked-list struct), so such
     * modules stay unoptimised; the drivers optimise them anyway. Its
     * optimiser does not know cooperative matrices either. */
    if (o->opt_level >= 1 && !recursive && coopmat == SPV_COOPMAT_OFF) {
        uint32_t *opt = NULL;
        size_t nopt = 0;
        if (spv_optimize(words.w, words.len, vulkan13, &opt, &nopt, &msg) != 0)
            ICE("SPIRV-Tools optimiser failed: %s", msg);
        if (spv_validate(opt, nopt, vulkan13, &msg) != 0)
            ICE("SPIRV-Tools optimiser produced an invalid module: %s", msg);
        spv_words_free(&words);
        words.w = opt;
        words.len = words.cap = nopt;
    }
    EmitStatus rc = EMIT_OK;
    if (kind->code == SPV_OUT_ASM) {
        int drc = coopmat == SPV_COOPMAT_KHR
                      ? spv_coopmat_disassemble(words.w, words.len, out, &msg)
                      : spv_disassemble(words.w, words.len, vulkan13, out, &msg);
        if (drc != 0) {
            *err = prefixed("SPIR-V disassembly failed: ", msg);
            rc = EMIT_INPUT_ERROR;
        }
    } else {
        for (size_t i = 0; i < words.len; i++)
            buf_u32(out, words.w[i]);
    }
    spv_words_free(&words);
    return rc;
}

static bool
spv_arch_ok(const char *arch)
{
    return strcmp(arch, "vulkan1.2") == 0 || strcmp(arch, "vulkan1.3") == 0 ||
           strcmp(arch, SPV_COOPMAT_ARCH) == 0;
}

static const char *
spv_triple(const char *arch)
{
    return strcmp(arch, "vulkan1.2") == 0 ? "spirv64-unknown-vulkan1.2" : "spirv64-unknown-vulkan1.3";
}

/* The fat-binary image first (target.h). */
static const TargetOutput spv_outputs[] = {
    {"spirv", "spv", "SPIR-V binary module", CLAW_FB_IMG_SPIRV, SPV_OUT_BINARY},
    {"spirv-asm", "spvasm", "SPIR-V disassembly", 0, SPV_OUT_ASM},
};

const Target spv_target = {
    .name = "spirv",
    .default_arch = "vulkan1.2",
    .arch_help = "vulkan1.2 vulkan1.3 vulkan1.3-coopmat",
    .help = "Vulkan: SPIR-V compute shaders",
    .outputs = spv_outputs,
    .noutputs = sizeof spv_outputs / sizeof spv_outputs[0],
    .arch_ok = spv_arch_ok,
    .triple = spv_triple,
    .emit = spv_emit,
};
