/* spirv_coopmat.c: checks and prints the SPV_KHR_cooperative_matrix
 * instructions of a module, which the SPIRV-Tools of Debian 12 (2023.1)
 * does not know (docs/spirv.md "Cooperative matrices").
 *
 * spv_coopmat_check walks the module once and, for every KHR instruction,
 * checks the operand count and the kind of each operand against the
 * extension's grammar (spv_khr_coopmat.h): OpTypeCooperativeMatrixKHR takes
 * a numerical component type and four 32-bit integer constants, a Use in
 * 0..2; a load or store a pointer to a scalar or vector, a cooperative matrix
 * (or its type), a layout constant in 0..1, an integer stride and a memory
 * operand with exactly its extra operands; OpCooperativeMatrixMulAddKHR an
 * accumulator result and A (M x K), B (K x N), C (M x N) of those Uses and
 * one scope. Float arithmetic, conversions and OpCompositeConstruct on
 * cooperative matrices are checked too, as are the capability, the
 * extension and the Vulkan memory model. The rest of a module is the
 * validator's business (spirv.c validates the module's NV form).
 *
 * spv_coopmat_disassemble prints the module as spirv-dis would if it knew
 * the extension: each KHR instruction (and the capability) is replaced by an
 * OpNop, SPIRV-Tools disassembles the rest twice (friendly names and raw
 * ids; the two texts match line for line, which maps raw ids to names), and
 * the OpNop lines are replaced by the KHR instructions written here. */
/* SpvHasResultAndType */
#define SPV_ENABLE_UTILITY_CODE
#include "spirv_emit.h"

/* spirv.h defines it `inline`: this declaration makes this file hold its
 * one external definition (C11 6.7.4) */
extern void SpvHasResultAndType(SpvOp opcode, bool *hasResult, bool *hasResultType);

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the grammar check ------------------------------------------------------- */

typedef struct Def {
    uint32_t op;   /* defining opcode, 0 if none */
    size_t at;     /* word index of the instruction */
    uint32_t type; /* result type id, 0 if none */
} Def;

typedef struct Chk {
    const uint32_t *w;
    size_t n;
    uint32_t bound;
    Def *defs;
    Buf err;
    bool failed;
} Chk;

static bool
fail(Chk *c, size_t at, const char *fmt, const char *a)
{
    if (!c->failed) {
        buf_printf(&c->err, "word %zu: ", at);
        buf_printf(&c->err, fmt, a);
    }
    c->failed = true;
    return false;
}

static const Def *
def_of(Chk *c, uint32_t id)
{
    return id && id < c->bound && c->defs[id].op ? &c->defs[id] : NULL;
}

/* Words of id's defining instruction (operand i, 0-based after the opcode word). */
static uint32_t
def_word(Chk *c, const Def *d, size_t i)
{
    size_t wc = c->w[d->at] >> 16;
    return i + 1 < wc ? c->w[d->at + 1 + i] : 0;
}

static bool
is_scalar_num(Chk *c, uint32_t id)
{
    const Def *d = def_of(c, id);
    return d && (d->op == SpvOpTypeInt || d->op == SpvOpTypeFloat);
}

/* An OpConstant or OpSpecConstant of a 32-bit integer type; *v its value
 * when known (OpConstant). */
static bool
is_int32_const(Chk *c, uint32_t id, uint32_t *v, bool *known)
{
    const Def *d = def_of(c, id);
    if (!d || (d->op != SpvOpConstant && d->op != SpvOpSpecConstant))
        return false;
    const Def *t = def_of(c, d->type);
    if (!t || t->op != SpvOpTypeInt || def_word(c, t, 1) != 32)
        return false;
    *v = def_word(c, d, 2);
    *known = d->op == SpvOpConstant;
    return true;
}

typedef struct MatT {
    uint32_t comp, scope, rows, cols, use; /* values, or UINT32_MAX when specialised */
    uint32_t comp_type;
} MatT;

/* Whether type id is an OpTypeCooperativeMatrixKHR, and its parameters. */
static bool
mat_type(Chk *c, uint32_t id, MatT *m)
{
    const Def *d = def_of(c, id);
    if (!d || d->op != SPV_KHR_OP_TYPE_COOPMAT)
        return false;
    uint32_t *f[4] = {&m->scope, &m->rows, &m->cols, &m->use};
    m->comp_type = def_word(c, d, 1);
    for (int i = 0; i < 4; i++) {
        bool known;
        uint32_t v;
        is_int32_const(c, def_word(c, d, (size_t)i + 2), &v, &known);
        *f[i] = known ? v : UINT32_MAX;
    }
    return true;
}

static bool
mat_value(Chk *c, uint32_t id, MatT *m)
{
    const Def *d = def_of(c, id);
    return d && d->type && mat_type(c, d->type, m);
}

static bool
same_dim(uint32_t a, uint32_t b)
{
    return a == b || a == UINT32_MAX || b == UINT32_MAX;
}

/* The memory operand at w[i..end): the mask and exactly the operands its
 * bits need (SPIR-V 3.26): Aligned a literal, MakePointerAvailable and
 * MakePointerVisible a scope id each. */
static bool
check_memop(Chk *c, size_t at, size_t i, size_t end, bool load)
{
    if (i == end)
        return true;
    uint32_t mask = c->w[i++];
    const uint32_t known =
        SpvMemoryAccessVolatileMask | SpvMemoryAccessAlignedMask | SpvMemoryAccessNontemporalMask |
        SpvMemoryAccessMakePointerAvailableMask | SpvMemoryAccessMakePointerVisibleMask |
        SpvMemoryAccessNonPrivatePointerMask;
    if (mask & ~known)
        return fail(c, at, "%s: unknown memory operand bits", "cooperative matrix access");
    if (load && (mask & SpvMemoryAccessMakePointerAvailableMask))
        return fail(c, at, "%s: MakePointerAvailable is not valid on a load",
                    "OpCooperativeMatrixLoadKHR");
    if (!load && (mask & SpvMemoryAccessMakePointerVisibleMask))
        return fail(c, at, "%s: MakePointerVisible is not valid on a store",
                    "OpCooperativeMatrixStoreKHR");
    size_t need = 0;
    if (mask & SpvMemoryAccessAlignedMask) {
        if (i + need >= end || c->w[i + need] == 0 || (c->w[i + need] & (c->w[i + need] - 1)))
            return fail(c, at, "%s: Aligned needs a power-of-two literal",
                        "cooperative matrix access");
        need++;
    }
    if (mask & SpvMemoryAccessMakePointerAvailableMask)
        need++;
    if (mask & SpvMemoryAccessMakePointerVisibleMask)
        need++;
    if (i + need != end)
        return fail(c, at, "%s: the memory operand has the wrong number of extra operands",
                    "cooperative matrix access");
    return true;
}

/* Pointer operand: an OpTypePointer to a scalar or a vector. */
static bool
check_pointer(Chk *c, size_t at, uint32_t ptr)
{
    const Def *d = def_of(c, ptr);
    const Def *t = d ? def_of(c, d->type) : NULL;
    const Def *e = t && t->op == SpvOpTypePointer ? def_of(c, def_word(c, t, 2)) : NULL;
    if (!e || (e->op != SpvOpTypeInt && e->op != SpvOpTypeFloat && e->op != SpvOpTypeVector))
        return fail(c, at, "%s: Pointer must point to a scalar or a vector",
                    "cooperative matrix access");
    return true;
}

static bool
check_layout_stride(Chk *c, size_t at, size_t i, size_t end)
{
    uint32_t v;
    bool known;
    if (i >= end || !is_int32_const(c, c->w[i], &v, &known) ||
        (known && v != SPV_KHR_COOPMAT_ROW_MAJOR && v != SPV_KHR_COOPMAT_COL_MAJOR))
        return fail(c, at, "%s: MemoryLayout must be a 32-bit integer constant, 0 or 1",
                    "cooperative matrix access");
    if (i + 1 < end) {
        const Def *s = def_of(c, c->w[i + 1]);
        const Def *st = s ? def_of(c, s->type) : NULL;
        if (!st || st->op != SpvOpTypeInt)
            return fail(c, at, "%s: Stride must be a scalar integer", "cooperative matrix access");
    }
    return true;
}

static bool
check_inst(Chk *c, size_t at, uint32_t op, size_t wc)
{
    const uint32_t *o = c->w + at + 1; /* operand words */
    size_t no = wc - 1, end = at + wc;
    MatT r, a, b, m;
    switch (op) {
    case SPV_KHR_OP_TYPE_COOPMAT: {
        if (no != 6)
            return fail(c, at, "%s takes 6 operands", "OpTypeCooperativeMatrixKHR");
        if (!is_scalar_num(c, o[1]))
            return fail(c, at, "%s: Component Type must be a numerical scalar type",
                        "OpTypeCooperativeMatrixKHR");
        uint32_t v[4];
        for (int i = 0; i < 4; i++) {
            bool known;
            if (!is_int32_const(c, o[2 + i], &v[i], &known))
                return fail(c, at,
                            "%s: Scope, Rows, Columns and Use must be 32-bit integer "
                            "constants",
                            "OpTypeCooperativeMatrixKHR");
            if (!known)
                v[i] = UINT32_MAX;
        }
        if (v[3] != UINT32_MAX && v[3] > SPV_KHR_COOPMAT_USE_ACC)
            return fail(c, at, "%s: Use is not a Cooperative Matrix Use",
                        "OpTypeCooperativeMatrixKHR");
        if (v[0] != UINT32_MAX && v[0] > SpvScopeQueueFamily)
            return fail(c, at, "%s: Scope is not a scope", "OpTypeCooperativeMatrixKHR");
        if (v[1] == 0 || v[2] == 0)
            return fail(c, at, "%s: Rows and Columns must not be 0", "OpTypeCooperativeMatrixKHR");
        return true;
    }
    case SPV_KHR_OP_COOPMAT_LOAD:
        if (no < 4)
            return fail(c, at, "%s takes at least 4 operands", "OpCooperativeMatrixLoadKHR");
        if (!mat_type(c, o[0], &r))
            return fail(c, at, "%s: Result Type must be a cooperative matrix type",
                        "OpCooperativeMatrixLoadKHR");
        return check_pointer(c, at, o[2]) && check_layout_stride(c, at, at + 4, end) &&
               check_memop(c, at, at + 6 < end ? at + 6 : end, end, true);
    case SPV_KHR_OP_COOPMAT_STORE:
        if (no < 3)
            return fail(c, at, "%s takes at least 3 operands", "OpCooperativeMatrixStoreKHR");
        if (!mat_value(c, o[1], &r))
            return fail(c, at, "%s: Object must be a cooperative matrix",
                        "OpCooperativeMatrixStoreKHR");
        return check_pointer(c, at, o[0]) && check_layout_stride(c, at, at + 3, end) &&
               check_memop(c, at, at + 5 < end ? at + 5 : end, end, false);
    case SPV_KHR_OP_COOPMAT_MULADD: {
        if (no != 5 && no != 6)
            return fail(c, at, "%s takes 5 or 6 operands", "OpCooperativeMatrixMulAddKHR");
        if (!mat_type(c, o[0], &r) || !mat_value(c, o[2], &a) || !mat_value(c, o[3], &b) ||
            !mat_value(c, o[4], &m))
            return fail(c, at, "%s: Result Type, A, B and C must be cooperative matrices",
                        "OpCooperativeMatrixMulAddKHR");
        if (r.use != SPV_KHR_COOPMAT_USE_ACC || a.use != SPV_KHR_COOPMAT_USE_A ||
            b.use != SPV_KHR_COOPMAT_USE_B || m.use != SPV_KHR_COOPMAT_USE_ACC)
            return fail(c, at, "%s: the Uses must be Accumulator = A x B + Accumulator",
                        "OpCooperativeMatrixMulAddKHR");
        if (!same_dim(a.rows, r.rows) || !same_dim(m.rows, r.rows) || !same_dim(b.cols, r.cols) ||
            !same_dim(m.cols, r.cols) || !same_dim(a.cols, b.rows))
            return fail(c, at, "%s: A must be M x K, B K x N, C and the result M x N",
                        "OpCooperativeMatrixMulAddKHR");
        if (!same_dim(a.scope, r.scope) || !same_dim(b.scope, r.scope) ||
            !same_dim(m.scope, r.scope))
            return fail(c, at, "%s: all operands must have one scope",
                        "OpCooperativeMatrixMulAddKHR");
        if (no == 6) {
            uint32_t ops = o[5];
            const Def *ct = def_of(c, a.comp_type);
            bool ints = ct && ct->op == SpvOpTypeInt;
            if (ops & ~0x1fu)
                return fail(c, at, "%s: unknown Cooperative Matrix Operands",
                            "OpCooperativeMatrixMulAddKHR");
            if (!ints && (ops & 0x1fu))
                return fail(c, at, "%s: signedness and saturation apply to integer matrices only",
                            "OpCooperativeMatrixMulAddKHR");
        }
        return true;
    }
    case SPV_KHR_OP_COOPMAT_LENGTH: {
        if (no != 3)
            return fail(c, at, "%s takes 3 operands", "OpCooperativeMatrixLengthKHR");
        const Def *t = def_of(c, o[0]);
        if (!t || t->op != SpvOpTypeInt || def_word(c, t, 1) != 32 || def_word(c, t, 2) != 0)
            return fail(c, at, "%s: Result Type must be a 32-bit unsigned integer",
                        "OpCooperativeMatrixLengthKHR");
        if (!mat_type(c, o[2], &r))
            return fail(c, at, "%s: Type must be a cooperative matrix type",
                        "OpCooperativeMatrixLengthKHR");
        return true;
    }
    case SpvOpFAdd:
    case SpvOpFSub:
    case SpvOpFMul:
    case SpvOpFDiv:
        if (no == 4 && mat_type(c, o[0], &r) &&
            (def_of(c, o[2]) == NULL || def_of(c, o[3]) == NULL || def_of(c, o[2])->type != o[0] ||
             def_of(c, o[3])->type != o[0]))
            return fail(c, at, "%s: both operands must have the result's cooperative matrix type",
                        "float arithmetic");
        return true;
    case SpvOpMatrixTimesScalar:
        if (no == 4 && mat_type(c, o[0], &r) &&
            (!def_of(c, o[2]) || def_of(c, o[2])->type != o[0] || !def_of(c, o[3]) ||
             def_of(c, o[3])->type != r.comp_type))
            return fail(c, at, "%s: a cooperative matrix times a scalar of its component type",
                        "OpMatrixTimesScalar");
        return true;
    case SpvOpCompositeConstruct:
        if (mat_type(c, o[0], &r) &&
            (no != 3 || !def_of(c, o[2]) || def_of(c, o[2])->type != r.comp_type))
            return fail(c, at,
                        "%s: a cooperative matrix is built from one scalar of its "
                        "component type",
                        "OpCompositeConstruct");
        return true;
    case SpvOpFConvert:
        if (no == 3 && mat_type(c, o[0], &r) &&
            (!mat_value(c, o[2], &m) || !same_dim(m.rows, r.rows) || !same_dim(m.cols, r.cols) ||
             m.use != r.use || !same_dim(m.scope, r.scope)))
            return fail(c, at,
                        "%s: a cooperative matrix converts to one of the same scope, "
                        "shape and Use",
                        "OpFConvert");
        return true;
    default: return true;
    }
}

int
spv_coopmat_check(const uint32_t *w, size_t n, char **err)
{
    Chk c = {.w = w, .n = n};
    if (n < 5 || w[0] != SpvMagicNumber || w[3] == 0 || w[3] > (1u << 22)) {
        *err = strdup("not a SPIR-V module");
        return 1;
    }
    c.bound = w[3];
    c.defs = calloc(c.bound, sizeof *c.defs);
    if (!c.defs)
        ICE("out of memory");
    bool cap = false, ext = false, vmm_cap = false, vmm = false, any = false;
    /* pass 1: definitions (every type and constant precedes its uses, and
     * a value's type is known from its own instruction) */
    for (int pass = 0; pass < 2 && !c.failed; pass++) {
        for (size_t at = 5; at < n && !c.failed;) {
            uint32_t op = w[at] & 0xffff;
            size_t wc = w[at] >> 16;
            if (wc == 0 || wc > n - at) {
                fail(&c, at, "%s: bad word count", "instruction");
                break;
            }
            if (pass == 0) {
                bool has_res = false, has_type = false;
                switch (op) {
                case SPV_KHR_OP_TYPE_COOPMAT: has_res = true; break;
                case SPV_KHR_OP_COOPMAT_LOAD:
                case SPV_KHR_OP_COOPMAT_MULADD:
                case SPV_KHR_OP_COOPMAT_LENGTH: has_res = has_type = true; break;
                case SPV_KHR_OP_COOPMAT_STORE: break;
                default: SpvHasResultAndType((SpvOp)op, &has_res, &has_type); break;
                }
                size_t ri = has_type ? 2 : 1;
                if (has_res && ri < wc) {
                    uint32_t id = w[at + ri];
                    if (id == 0 || id >= c.bound || c.defs[id].op)
                        fail(&c, at, "%s: result id out of the bound or defined twice",
                             "instruction");
                    else
                        c.defs[id] = (Def){op, at, has_type ? w[at + 1] : 0};
                }
                if (op == SpvOpCapability && wc == 2) {
                    cap |= w[at + 1] == SPV_KHR_CAP_COOPMAT;
                    vmm_cap |= w[at + 1] == SpvCapabilityVulkanMemoryModel;
                }
                if (op == SpvOpExtension && wc >= 2)
                    ext |= strncmp((const char *)(w + at + 1), SPV_KHR_COOPMAT_EXTENSION,
                                   (wc - 1) * 4) == 0;
                if (op == SpvOpMemoryModel && wc == 3)
                    vmm = w[at + 2] == SpvMemoryModelVulkan;
                any |= op >= SPV_KHR_OP_TYPE_COOPMAT && op <= SPV_KHR_OP_COOPMAT_LENGTH;
            } else {
                check_inst(&c, at, op, wc);
            }
            at += wc;
        }
    }
    if (!c.failed && any && (!cap || !ext))
        fail(&c, 0,
             "%s needs OpCapability CooperativeMatrixKHR and OpExtension "
             "\"SPV_KHR_cooperative_matrix\"",
             "a cooperative-matrix instruction");
    if (!c.failed && cap && (!vmm_cap || !vmm))
        fail(&c, 0, "%s needs the VulkanMemoryModel capability and memory model",
             "CooperativeMatrixKHR");
    free(c.defs);
    if (c.failed) {
        buf_append(&c.err, "", 1);
        *err = (char *)c.err.data;
        return 1;
    }
    buf_free(&c.err);
    return 0;
}

/* ---- disassembly ------------------------------------------------------------------ */

static bool
is_khr(const uint32_t *w, size_t at)
{
    uint32_t op = w[at] & 0xffff;
    return (op >= SPV_KHR_OP_TYPE_COOPMAT && op <= SPV_KHR_OP_COOPMAT_LENGTH) ||
           (op == SpvOpCapability && (w[at] >> 16) == 2 && w[at + 1] == SPV_KHR_CAP_COOPMAT);
}

typedef struct Names {
    char **name; /* per raw id, malloc'd friendly name or NULL */
    uint32_t bound;
} Names;

static void
id_text(Buf *b, const Names *nm, uint32_t id)
{
    if (id < nm->bound && nm->name[id])
        buf_printf(b, " %s", nm->name[id]);
    else
        buf_printf(b, " %%%u", id);
}

static void
memop_text(Buf *b, const Names *nm, const uint32_t *w, size_t i, size_t end)
{
    if (i >= end)
        return;
    uint32_t mask = w[i++];
    static const struct {
        uint32_t bit;
        const char *name;
    } bits[] = {
        {SpvMemoryAccessVolatileMask, "Volatile"},
        {SpvMemoryAccessAlignedMask, "Aligned"},
        {SpvMemoryAccessNontemporalMask, "Nontemporal"},
        {SpvMemoryAccessMakePointerAvailableMask, "MakePointerAvailable"},
        {SpvMemoryAccessMakePointerVisibleMask, "MakePointerVisible"},
        {SpvMemoryAccessNonPrivatePointerMask, "NonPrivatePointer"},
    };
    if (mask == 0) {
        buf_printf(b, " None");
        return;
    }
    buf_printf(b, " ");
    bool first = true;
    for (size_t k = 0; k < sizeof bits / sizeof bits[0]; k++)
        if (mask & bits[k].bit) {
            buf_printf(b, "%s%s", first ? "" : "|", bits[k].name);
            first = false;
        }
    if (mask & SpvMemoryAccessAlignedMask && i < end)
        buf_printf(b, " %u", w[i++]);
    while (i < end)
        id_text(b, nm, w[i++]);
}

static void
khr_text(Buf *b, const Names *nm, const uint32_t *w, size_t at)
{
    uint32_t op = w[at] & 0xffff;
    size_t wc = w[at] >> 16, end = at + wc;
    const uint32_t *o = w + at + 1;
    switch (op) {
    case SpvOpCapability: buf_printf(b, "OpCapability CooperativeMatrixKHR"); return;
    case SPV_KHR_OP_TYPE_COOPMAT:
        buf_printf(b, "%s = OpTypeCooperativeMatrixKHR", nm->name[o[0]] ? nm->name[o[0]] : "%?");
        for (size_t i = 1; i < wc - 1; i++)
            id_text(b, nm, o[i]);
        return;
    case SPV_KHR_OP_COOPMAT_LOAD:
    case SPV_KHR_OP_COOPMAT_MULADD:
    case SPV_KHR_OP_COOPMAT_LENGTH: {
        Buf res = {0};
        id_text(&res, nm, o[1]);
        buf_append(&res, "", 1);
        buf_printf(b, "%s = %s", (const char *)res.data + 1,
                   op == SPV_KHR_OP_COOPMAT_LOAD     ? "OpCooperativeMatrixLoadKHR"
                   : op == SPV_KHR_OP_COOPMAT_MULADD ? "OpCooperativeMatrixMulAddKHR"
                                                     : "OpCooperativeMatrixLengthKHR");
        buf_free(&res);
        id_text(b, nm, o[0]);
        size_t nid = op == SPV_KHR_OP_COOPMAT_LOAD ? 4 : op == SPV_KHR_OP_COOPMAT_MULADD ? 5 : 3;
        for (size_t i = 2; i < nid + 1 && at + 1 + i < end; i++)
            if (i < nid || op != SPV_KHR_OP_COOPMAT_MULADD)
                id_text(b, nm, o[i]);
        if (op == SPV_KHR_OP_COOPMAT_LOAD)
            memop_text(b, nm, w, at + 6, end);
        if (op == SPV_KHR_OP_COOPMAT_MULADD && wc == 7) {
            static const char *names[] = {
                "MatrixASignedComponentsKHR", "MatrixBSignedComponentsKHR",
                "MatrixCSignedComponentsKHR", "MatrixResultSignedComponentsKHR",
                "SaturatingAccumulationKHR"};
            if (o[5] == 0) {
                buf_printf(b, " NoneKHR");
            } else {
                buf_printf(b, " ");
                bool first = true;
                for (int k = 0; k < 5; k++)
                    if (o[5] & (1u << k)) {
                        buf_printf(b, "%s%s", first ? "" : "|", names[k]);
                        first = false;
                    }
            }
        }
        return;
    }
    case SPV_KHR_OP_COOPMAT_STORE:
        buf_printf(b, "OpCooperativeMatrixStoreKHR");
        for (size_t i = 0; i < 4 && at + 1 + i < end; i++)
            id_text(b, nm, o[i]);
        memop_text(b, nm, w, at + 5, end);
        return;
    }
}

/* The lines of text (without their '\n'). */
typedef struct Lines {
    const char **s;
    size_t *len;
    size_t n;
} Lines;

static Lines
split_lines(const Buf *t)
{
    Lines l = {0};
    size_t cap = 0;
    const char *p = (const char *)t->data, *e = p + t->len;
    while (p < e) {
        const char *q = memchr(p, '\n', (size_t)(e - p));
        size_t len = q ? (size_t)(q - p) : (size_t)(e - p);
        if (l.n == cap) {
            cap = cap ? 2 * cap : 256;
            l.s = realloc(l.s, cap * sizeof *l.s);
            l.len = realloc(l.len, cap * sizeof *l.len);
            if (!l.s || !l.len)
                ICE("out of memory");
        }
        l.s[l.n] = p;
        l.len[l.n++] = len;
        p += len + 1;
    }
    return l;
}

/* Maps the %N tokens of a raw line to the tokens of its friendly twin. */
static void
map_line(Names *nm, const char *raw, size_t rn, const char *fr, size_t fn)
{
    size_t i = 0, j = 0;
    while (i < rn && j < fn) {
        while (i < rn && raw[i] == ' ')
            i++;
        while (j < fn && fr[j] == ' ')
            j++;
        size_t i0 = i, j0 = j;
        while (i < rn && raw[i] != ' ')
            i++;
        while (j < fn && fr[j] != ' ')
            j++;
        if (i - i0 < 2 || raw[i0] != '%')
            continue;
        uint32_t id = 0;
        bool num = true;
        for (size_t k = i0 + 1; k < i; k++) {
            if (raw[k] < '0' || raw[k] > '9' || id > 100000000u) {
                num = false;
                break;
            }
            id = id * 10 + (uint32_t)(raw[k] - '0');
        }
        if (!num || id >= nm->bound || nm->name[id] || j == j0)
            continue;
        nm->name[id] = strndup(fr + j0, j - j0);
        if (!nm->name[id])
            ICE("out of memory");
    }
}

int
spv_coopmat_disassemble(const uint32_t *w, size_t n, Buf *out, char **err)
{
    if (n < 5 || w[0] != SpvMagicNumber) {
        *err = strdup("not a SPIR-V module");
        return 1;
    }
    SpvWords stub = {0};
    for (size_t i = 0; i < 5; i++)
        spv_words_push(&stub, w[i]);
    size_t nkhr = 0;
    size_t *khr = NULL;
    for (size_t at = 5; at < n;) {
        size_t wc = w[at] >> 16;
        if (wc == 0 || wc > n - at) {
            free(khr);
            spv_words_free(&stub);
            *err = strdup("bad word count");
            return 1;
        }
        if (is_khr(w, at)) {
            khr = realloc(khr, (nkhr + 1) * sizeof *khr);
            if (!khr)
                ICE("out of memory");
            khr[nkhr++] = at;
            spv_words_push(&stub, (1u << 16) | SpvOpNop);
        } else {
            for (size_t i = 0; i < wc; i++)
                spv_words_push(&stub, w[at + i]);
        }
        at += wc;
    }
    Buf raw = {0}, fr = {0};
    int rc = spv_disassemble_names(stub.w, stub.len, true, false, &raw, err);
    if (rc == 0)
        rc = spv_disassemble_names(stub.w, stub.len, true, true, &fr, err);
    spv_words_free(&stub);
    if (rc == 0) {
        Lines lr = split_lines(&raw), lf = split_lines(&fr);
        Names nm = {calloc(w[3] + 1, sizeof(char *)), w[3] + 1};
        if (!nm.name)
            ICE("out of memory");
        if (lr.n != lf.n)
            ICE("the two disassemblies differ in length");
        for (size_t i = 0; i < lr.n; i++)
            map_line(&nm, lr.s[i], lr.len[i], lf.s[i], lf.len[i]);
        /* the KHR types are named by their OpName (spv_coopmat_type) */
        for (size_t k = 0; k < nkhr; k++) {
            uint32_t op = w[khr[k]] & 0xffff;
            if (op == SPV_KHR_OP_TYPE_COOPMAT && w[khr[k] + 1] < nm.bound &&
                !nm.name[w[khr[k] + 1]]) {
                char tmp[24];
                snprintf(tmp, sizeof tmp, "%%%u", w[khr[k] + 1]);
                nm.name[w[khr[k] + 1]] = strdup(tmp);
            }
        }
        size_t k = 0;
        for (size_t i = 0; i < lf.n; i++) {
            if (lf.len[i] == 5 && memcmp(lf.s[i], "OpNop", 5) == 0 && k < nkhr)
                khr_text(out, &nm, w, khr[k++]);
            else
                buf_append(out, lf.s[i], lf.len[i]);
            buf_append(out, "\n", 1);
        }
        for (uint32_t i = 0; i < nm.bound; i++)
            free(nm.name[i]);
        free(nm.name);
        free(lr.s);
        free(lr.len);
        free(lf.s);
        free(lf.len);
    }
    free(khr);
    buf_free(&raw);
    buf_free(&fr);
    return rc;
}
