/* matrix.c: lowering of matrix tiles (LANGUAGE.md §14, docs/matrix.md) to
 * per-lane fragments and ordinary instructions, for one target.
 *
 * Needs: a verified module. Changes: every matrix type becomes a fragment
 * type, an array of the values one lane holds (in function signatures,
 * locals, arrays of matrices and instruction results); every MAT_* op is
 * replaced in place by the instruction that produces its fragment (a
 * COMPOSITE, a LOAD of a slot, or MMA_FRAG), after the instructions that
 * compute it, so users keep pointing at the same instruction. Adds LOCALs
 * (one per op when the subgroup size is known only on the device). Targets
 * call it on their own copy of the module (ir_module_clone) before
 * ir_polyfill, since each wants its own fragments.
 *
 * Where a lane's elements are: ir_matrix_frag_pos, from one table per
 * IrMmaKind; the code emitted here evaluates exactly that table, and
 * tests/unit/test_matrix_lanes.c checks the table against models of the
 * hardware instructions written from the vendors' documentation.
 *
 * The fallback (IR_MMA_NONE, any device): element e = r * 16 + c of a tile
 * is in lane e % S, slot e / S (S the subgroup size), as f32. Loads and
 * stores are then coalesced rows; matrix_mma computes each of the lane's
 * accumulator elements with 16 multiply-adds, fetching the A and B elements
 * it needs from their owners with shuffles whose slot is the same in every
 * lane (so the owner knows what to send): for S >= 16 one shuffle per
 * A element and 16 per B row, for S < 16 a broadcast per A element and B
 * already local. When S is known only on the device (SPIR-V), the code is
 * emitted once for each S in 4..128 behind a switch on MAT_SG_SIZE (a
 * pipeline constant the driver folds), with fragments of 64 slots. */
#include "ir.h"

#include <string.h>

/* ---- fragment layouts ------------------------------------------------------ */

/* Row and column of a slot as affine forms in the lane's group g = lane >> 2
 * and its index t = lane & 3 in the group: the layout of the PTX ISA's
 * mma.m16n8k16 fragments (PTX ISA 9.7.14.5.8), two n8 halves side by side
 * for B and the accumulator (slots 4..7 are columns 8..15). */
typedef struct NvPos {
    uint8_t rg, rt, rc; /* row = rg * g + rt * t + rc */
    uint8_t cg, ct, cc; /* col = cg * g + ct * t + cc */
} NvPos;

static const NvPos nv_a[8] = {
    {1, 0, 0, 0, 2, 0}, {1, 0, 0, 0, 2, 1}, {1, 0, 8, 0, 2, 0}, {1, 0, 8, 0, 2, 1},
    {1, 0, 0, 0, 2, 8}, {1, 0, 0, 0, 2, 9}, {1, 0, 8, 0, 2, 8}, {1, 0, 8, 0, 2, 9},
};
static const NvPos nv_b[8] = {
    {0, 2, 0, 1, 0, 0}, {0, 2, 1, 1, 0, 0}, {0, 2, 8, 1, 0, 0}, {0, 2, 9, 1, 0, 0},
    {0, 2, 0, 1, 0, 8}, {0, 2, 1, 1, 0, 8}, {0, 2, 8, 1, 0, 8}, {0, 2, 9, 1, 0, 8},
};
static const NvPos nv_acc[8] = {
    {1, 0, 0, 0, 2, 0}, {1, 0, 0, 0, 2, 1}, {1, 0, 8, 0, 2, 0}, {1, 0, 8, 0, 2, 1},
    {1, 0, 0, 0, 2, 8}, {1, 0, 0, 0, 2, 9}, {1, 0, 8, 0, 2, 8}, {1, 0, 8, 0, 2, 9},
};

/* AMD's layouts in the same affine form, with g = lane >> 4 and
 * t = lane & 15 (amd_shift below).
 *
 * v_mfma_f32_16x16x16f16 and v_mfma_f32_16x16x16bf16_1k, wave64 (AMD CDNA3
 * ISA, "Matrix Arithmetic Instructions", and AMD's matrix instruction
 * calculator): lane l holds A row l % 16, columns 4 (l / 16) + i for its
 * four 16-bit slots i; B the transpose (rows 4 (l / 16) + i, column
 * l % 16); C/D rows 4 (l / 16) + i of column l % 16. */
static const NvPos mfma_a[4] = {{0, 1, 0, 4, 0, 0}, {0, 1, 0, 4, 0, 1}, {0, 1, 0, 4, 0, 2}, {0, 1, 0, 4, 0, 3}};
static const NvPos mfma_b[4] = {{4, 0, 0, 0, 1, 0}, {4, 0, 1, 0, 1, 0}, {4, 0, 2, 0, 1, 0}, {4, 0, 3, 0, 1, 0}};

/* v_wmma_f32_16x16x16_f16 and _bf16 on gfx11, wave32 (AMD RDNA3 ISA,
 * "Wave Matrix Multiply Accumulate"): lane l holds all 16 elements of A
 * row l % 16 (slot i: column i) and of B column l % 16 (slot i: row i),
 * the half-waves 0-15 and 16-31 holding the same (the instruction reads
 * both); the f32 accumulator's 8 slots i are rows 2 i + l / 16 of column
 * l % 16, so the two half-waves interleave the rows. */
#define WA(i) {0, 1, 0, 0, 0, i}
#define WB(i) {0, 0, i, 0, 1, 0}
static const NvPos wmma_a[16] = {WA(0), WA(1), WA(2),  WA(3),  WA(4),  WA(5),  WA(6),  WA(7),
                                 WA(8), WA(9), WA(10), WA(11), WA(12), WA(13), WA(14), WA(15)};
static const NvPos wmma_b[16] = {WB(0), WB(1), WB(2),  WB(3),  WB(4),  WB(5),  WB(6),  WB(7),
                                 WB(8), WB(9), WB(10), WB(11), WB(12), WB(13), WB(14), WB(15)};
#undef WA
#undef WB
static const NvPos wmma_acc[8] = {{1, 0, 0, 0, 1, 0},  {1, 0, 2, 0, 1, 0},  {1, 0, 4, 0, 1, 0},
                                  {1, 0, 6, 0, 1, 0},  {1, 0, 8, 0, 1, 0},  {1, 0, 10, 0, 1, 0},
                                  {1, 0, 12, 0, 1, 0}, {1, 0, 14, 0, 1, 0}};

/* The table of a hardware kind (not IR_MMA_NONE) and role, and the shift
 * that splits a lane into g = lane >> shift and t = lane & (2^shift - 1). */
static const NvPos *
kind_table(IrMmaKind k, IrMatRole role, unsigned *shift)
{
    switch (k) {
    case IR_MMA_NV_M16N8K16: case IR_MMA_NV_M16N8K8:
        *shift = 2;
        return role == IR_MAT_A ? nv_a : role == IR_MAT_B ? nv_b : nv_acc;
    case IR_MMA_AMD_MFMA16:
        *shift = 4;
        return role == IR_MAT_A ? mfma_a : mfma_b; /* the accumulator is laid out as B */
    case IR_MMA_AMD_WMMA16:
        *shift = 4;
        return role == IR_MAT_A ? wmma_a : role == IR_MAT_B ? wmma_b : wmma_acc;
    case IR_MMA_NONE: case IR_MMA_NUM: break;
    }
    UNREACHABLE();
}

uint32_t
ir_matrix_frag_len(IrMmaKind k, uint32_t sg)
{
    switch (k) {
    case IR_MMA_NONE: return sg ? 256 / sg : IR_MATRIX_MAX_SLOTS;
    case IR_MMA_NV_M16N8K16: case IR_MMA_NV_M16N8K8: return 8;
    case IR_MMA_AMD_MFMA16: return 4;
    case IR_MMA_AMD_WMMA16: return 16;
    case IR_MMA_NUM: break;
    }
    UNREACHABLE();
}

uint32_t
ir_matrix_role_len(IrMmaKind k, IrMatRole role, uint32_t sg)
{
    if (k == IR_MMA_AMD_WMMA16 && role == IR_MAT_ACC)
        return 8;
    return ir_matrix_frag_len(k, sg);
}

uint32_t
ir_matrix_subgroup(IrMmaKind k, uint32_t sg)
{
    switch (k) {
    case IR_MMA_NV_M16N8K16: case IR_MMA_NV_M16N8K8: case IR_MMA_AMD_WMMA16: return 32;
    case IR_MMA_AMD_MFMA16: return 64;
    case IR_MMA_NONE: case IR_MMA_NUM: break;
    }
    return sg;
}

void
ir_matrix_frag_pos(IrMmaKind k, IrMatRole role, uint32_t sg, uint32_t lane, uint32_t slot,
                   uint32_t *row, uint32_t *col)
{
    switch (k) {
    case IR_MMA_NONE: {
        uint32_t e = slot * sg + lane;
        *row = e >> 4;
        *col = e & 15;
        return;
    }
    case IR_MMA_NV_M16N8K16:
    case IR_MMA_NV_M16N8K8:
    case IR_MMA_AMD_MFMA16:
    case IR_MMA_AMD_WMMA16: {
        unsigned sh;
        const NvPos *p = &kind_table(k, role, &sh)[slot];
        uint32_t g = lane >> sh, t = lane & ((1u << sh) - 1);
        *row = p->rg * g + p->rt * t + p->rc;
        *col = p->cg * g + p->ct * t + p->cc;
        return;
    }
    case IR_MMA_NUM: break;
    }
    UNREACHABLE();
}

/* The m16n8k16 fragments split into m16n8k8 ones: PTX ISA 9.7.14.5.7 and
 * 9.7.14.5.8 give m16n8k8's a0..a3 the rows and columns of m16n8k16's
 * a0..a3 (k 0..7), and its b0, b1 those of m16n8k16's b0, b1; the k 8..15
 * half is a4..a7 and b2, b3. */
static const IrNvK8Step nv_k8_steps[4] = {
    {{0, 1, 2, 3}, {0, 1}, {0, 1, 2, 3}},
    {{4, 5, 6, 7}, {2, 3}, {0, 1, 2, 3}},
    {{0, 1, 2, 3}, {4, 5}, {4, 5, 6, 7}},
    {{4, 5, 6, 7}, {6, 7}, {4, 5, 6, 7}},
};

const IrNvK8Step *
ir_matrix_nv_k8_steps(void)
{
    return nv_k8_steps;
}

bool
ir_matrix_sg_supported(uint32_t sg)
{
    return sg >= 4 && sg <= 128 && (sg & (sg - 1)) == 0;
}

/* ---- types ------------------------------------------------------------------ */

typedef struct Mx {
    IrModule *m;
    const IrMatrixTarget *t;
    IrBuilder b;
    IrType *u32, *f32;
    /* by instruction id, for the function being lowered: the role of a
     * matrix op's result once its type is the fragment's (lower_inst) */
    IrMatRole *roles;
    uint32_t nroles;
} Mx;

/* The role of matrix value v, lowered already or not. */
static IrMatRole
role_of(Mx *x, const IrInst *v)
{
    if (v->type->kind == IRT_MATRIX)
        return v->type->mat_role;
    if (v->id >= x->nroles)
        ICE("matrix value %%%u without a role", v->id);
    return x->roles[v->id];
}

static IrType *
frag_elem(Mx *x, const IrType *mt)
{
    /* the fallback computes in f32 (f16 and bf16 convert exactly) */
    return x->t->mma == IR_MMA_NONE ? x->f32 : mt->elem;
}

static IrType *
frag_type(Mx *x, const IrType *mt, uint32_t sg)
{
    return ir_type_array(x->m, frag_elem(x, mt), ir_matrix_role_len(x->t->mma, mt->mat_role, sg));
}

/* The type that t becomes: matrices, and arrays of and pointers to them. */
static IrType *
map_type(Mx *x, IrType *t)
{
    if (!t)
        return t;
    switch (t->kind) {
    case IRT_MATRIX: return frag_type(x, t, x->t->subgroup_size);
    case IRT_ARRAY:
        return ir_type_has_matrix(t) ? ir_type_array(x->m, map_type(x, t->elem), t->count) : t;
    case IRT_PTR:
        return ir_type_has_matrix(t->elem) ? ir_type_ptr(x->m, map_type(x, t->elem), t->space,
                                                         t->is_const)
                                           : t;
    case IRT_VOID: case IRT_BOOL: case IRT_INT: case IRT_FLOAT: case IRT_STRUCT: case IRT_VEC:
        return t;
    }
    return t;
}

/* ---- emission helpers ---------------------------------------------------------- */

static IrInst *
k32(Mx *x, uint32_t v)
{
    return ir_const_int(&x->b, x->u32, v);
}

static IrInst *
op2(Mx *x, IrOp op, IrInst *a, IrInst *b)
{
    return ir_binop(&x->b, op, a, b);
}

static IrInst *
lane_id(Mx *x)
{
    return ir_emit(&x->b, IR_LANE_ID, x->u32, 0, NULL);
}

/* Slot i of matrix value agg (whose type is still the matrix type: types
 * are mapped after all ops are lowered). */
static IrInst *
extract(Mx *x, IrInst *agg, uint32_t i)
{
    IrInst *in = ir_emit(&x->b, IR_EXTRACT, frag_elem(x, agg->type), 1, &agg);
    in->imm.index = (int)i;
    return in;
}

static IrInst *
fconv(Mx *x, IrInst *v, IrType *to)
{
    return v->type == to ? v : ir_cast(&x->b, v, to);
}

/* Turns `in` into the COMPOSITE of n values (type: the fragment type). */
static void
become_composite(Mx *x, IrInst *in, IrType *ft, IrInst **vals, uint32_t n)
{
    IrInst **ops = arena_alloc(x->m->arena, sizeof *ops * ft->count);
    for (uint32_t i = 0; i < ft->count; i++)
        ops[i] = i < n ? vals[i] : ir_const_float(&x->b, ft->elem, 0.0);
    in->op = IR_COMPOSITE;
    in->type = ft;
    in->nops = (int)ft->count;
    in->ops = ops;
}

/* Row and column of slot `slot` for this lane, as u32 values. */
static void
pos_values(Mx *x, IrMatRole role, uint32_t sg, IrInst *lane, uint32_t slot, IrInst **row,
           IrInst **col)
{
    if (x->t->mma == IR_MMA_NONE) {
        IrInst *e = op2(x, IR_ADD, lane, k32(x, slot * sg));
        *row = op2(x, IR_SHR, e, k32(x, 4));
        *col = op2(x, IR_AND, e, k32(x, 15));
        return;
    }
    unsigned sh;
    const NvPos *p = &kind_table(x->t->mma, role, &sh)[slot];
    IrInst *g = op2(x, IR_SHR, lane, k32(x, sh));
    IrInst *t = op2(x, IR_AND, lane, k32(x, (1u << sh) - 1));
    *row = op2(x, IR_ADD, op2(x, IR_ADD, op2(x, IR_MUL, g, k32(x, p->rg)),
                              op2(x, IR_MUL, t, k32(x, p->rt))), k32(x, p->rc));
    *col = op2(x, IR_ADD, op2(x, IR_ADD, op2(x, IR_MUL, g, k32(x, p->cg)),
                              op2(x, IR_MUL, t, k32(x, p->ct))), k32(x, p->cc));
}

/* Address of element (row, col) of the tile at src: offset + row * stride +
 * col, or offset + col * stride + row column-major (LANGUAGE.md §14). */
static IrInst *
elem_addr(Mx *x, IrInst *src, IrInst *off, IrInst *stride, bool colmajor, IrInst *row,
          IrInst *col)
{
    IrInst *major = colmajor ? col : row, *minor = colmajor ? row : col;
    IrInst *idx = op2(x, IR_ADD, off, op2(x, IR_ADD, op2(x, IR_MUL, major, stride), minor));
    if (src->type->space == IR_SPACE_SHARED)
        return ir_elem_ptr(&x->b, src, idx);
    /* u32 arithmetic as the language defines it, then the unsigned index */
    IrInst *wide = ir_cast(&x->b, idx, ir_type_int(x->m, 64, true));
    IrInst *ops[2] = {src, wide};
    return ir_emit(&x->b, IR_PTR_ADD, src->type, 2, ops);
}

/* ---- one op, for one subgroup size -------------------------------------------------- */

/* Emits the code of matrix op `in` for subgroup size sg; returns the values
 * of the result fragment (NULL for STORE), *n set to their count. */
static IrInst **
lower_op(Mx *x, IrInst *in, uint32_t sg, uint32_t *n)
{
    IrMmaKind k = x->t->mma;
    IrInst **o = in->ops;
    IrMatRole role = in->op == IR_MAT_STORE ? role_of(x, o[3]) : in->type->mat_role;
    uint32_t len = ir_matrix_role_len(k, role, sg);
    IrInst **vals = arena_alloc(x->m->arena, sizeof *vals * len);
    *n = len;
    IrType *fe;
    switch (in->op) {
    case IR_MAT_LOAD:
    case IR_MAT_STORE: {
        fe = in->op == IR_MAT_LOAD ? frag_elem(x, in->type) : frag_elem(x, in->ops[3]->type);
        IrInst *lane = lane_id(x);
        for (uint32_t s = 0; s < len; s++) {
            IrInst *row, *col;
            pos_values(x, role, sg, lane, s, &row, &col);
            IrInst *p = elem_addr(x, o[0], o[1], o[2], in->imm.index == 1, row, col);
            if (in->op == IR_MAT_LOAD) {
                vals[s] = fconv(x, ir_load(&x->b, p), fe);
            } else {
                IrType *dt = p->type->elem;
                ir_store(&x->b, p, fconv(x, extract(x, o[3], s), dt));
            }
        }
        return in->op == IR_MAT_LOAD ? vals : NULL;
    }
    case IR_MAT_FILL: {
        IrInst *v = fconv(x, o[0], frag_elem(x, in->type));
        for (uint32_t s = 0; s < len; s++)
            vals[s] = v;
        return vals;
    }
    case IR_MAT_SCALE:
    case IR_MAT_ADD:
    case IR_MAT_SUB: {
        IrOp op = in->op == IR_MAT_SCALE ? IR_MUL : in->op == IR_MAT_ADD ? IR_ADD : IR_SUB;
        for (uint32_t s = 0; s < len; s++)
            vals[s] = op2(x, op, extract(x, o[0], s),
                          in->op == IR_MAT_SCALE ? o[1] : extract(x, o[1], s));
        return vals;
    }
    case IR_MAT_MMA: {
        if (k != IR_MMA_NONE)
            ICE("hardware mma reached the fallback");
        IrInst *lane = lane_id(x);
        /* B elements: for sg >= 16 lane needs B(k, lane & 15), one shuffle
         * per k (slot 16k / sg, lane 16k % sg + (lane & 15)); for sg < 16
         * they are its own, slot (16k + (s * sg) % 16) / sg. */
        IrInst *bk[16] = {0};
        if (sg >= 16) {
            IrInst *col = op2(x, IR_AND, lane, k32(x, 15));
            for (uint32_t kk = 0; kk < 16; kk++) {
                IrInst *src = op2(x, IR_ADD, col, k32(x, (16 * kk) % sg));
                IrInst *ops[2] = {extract(x, o[1], 16 * kk / sg), src};
                bk[kk] = ir_emit(&x->b, IR_SHUFFLE, x->f32, 2, ops);
            }
        }
        IrInst *aq[16] = {0}; /* sg < 16: A(i, k) for the current row i */
        uint32_t arow = UINT32_MAX;
        for (uint32_t s = 0; s < len; s++) {
            IrInst *acc = extract(x, o[2], s);
            if (sg < 16 && (s * sg) / 16 != arow) {
                /* every lane of slot s is in row (s * sg) / 16: broadcasts */
                arow = (s * sg) / 16;
                for (uint32_t kk = 0; kk < 16; kk++) {
                    uint32_t ea = 16 * arow + kk;
                    IrInst *ops[2] = {extract(x, o[0], ea / sg), k32(x, ea % sg)};
                    aq[kk] = ir_emit(&x->b, IR_SHUFFLE, x->f32, 2, ops);
                }
            }
            for (uint32_t kk = 0; kk < 16; kk++) {
                IrInst *a, *bv;
                if (sg >= 16) {
                    /* A(i, k), i = s * sg / 16 + lane / 16: slot s, lane 16 * (lane / 16) + k */
                    IrInst *src = op2(x, IR_ADD, op2(x, IR_AND, lane, k32(x, ~15u)), k32(x, kk));
                    IrInst *ops[2] = {extract(x, o[0], s), src};
                    a = ir_emit(&x->b, IR_SHUFFLE, x->f32, 2, ops);
                    bv = bk[kk];
                } else {
                    a = aq[kk];
                    bv = extract(x, o[1], (16 * kk + (s * sg) % 16) / sg);
                }
                /* a multiply and an add, not IR_FMA: §14 does not ask for a
                 * single rounding, and targets without a native fma (Vulkan)
                 * emulate IR_FMA at a high cost */
                acc = op2(x, IR_ADD, acc, op2(x, IR_MUL, a, bv));
            }
            vals[s] = acc;
        }
        return vals;
    }
    default:
        UNREACHABLE();
    }
}

/* Replaces matrix op `in` (already emitted operands) and appends it. */
static void
lower_inst(Mx *x, IrInst *in)
{
    IrMmaKind k = x->t->mma;
    IrType *rt = in->op == IR_MAT_STORE ? NULL : map_type(x, in->type);
    if (rt && in->id < x->nroles)
        x->roles[in->id] = in->type->mat_role;
    if (in->op == IR_MAT_MMA && k != IR_MMA_NONE) {
        in->op = IR_MMA_FRAG;
        in->imm.index = (int)k;
        in->type = rt;
        ir_region_append(x->b.r, in);
        return;
    }
    uint32_t sg = x->t->subgroup_size;
    if (sg || k != IR_MMA_NONE) {
        uint32_t n;
        IrInst **vals = lower_op(x, in, ir_matrix_subgroup(k, sg), &n);
        if (in->op == IR_MAT_STORE)
            return;
        become_composite(x, in, rt, vals, n);
        ir_region_append(x->b.r, in);
        return;
    }
    /* The size is the device's: one straight-line version per size behind
     * a switch on the pipeline constant MAT_SG_SIZE, which the driver folds
     * when it specialises the pipeline, so only one version is compiled. */
    IrInst *slot = in->op == IR_MAT_STORE ? NULL : ir_local(&x->b, rt, "mat");
    IrInst *size = ir_emit(&x->b, IR_MAT_SG_SIZE, x->u32, 0, NULL);
    IrRegion *outer = x->b.r;
    for (uint32_t s = 4; s <= 128; s *= 2) {
        IrInst *br = ir_if(&x->b, op2(x, IR_EQ, size, k32(x, s)));
        x->b.r = &br->then_r;
        uint32_t n;
        IrInst **vals = lower_op(x, in, s, &n);
        if (slot) {
            IrInst *tmp = ir_new_inst(&x->b, IR_COMPOSITE, rt, 0, NULL);
            become_composite(x, tmp, rt, vals, n);
            ir_region_append(x->b.r, tmp);
            ir_store(&x->b, slot, tmp);
        }
        x->b.r = &br->else_r;
    }
    x->b.r = outer;
    if (!slot)
        return;
    in->op = IR_LOAD;
    in->type = rt;
    in->nops = 1;
    in->ops = arena_alloc(x->m->arena, sizeof *in->ops);
    in->ops[0] = slot;
    ir_region_append(x->b.r, in);
}

static void lower_region(Mx *x, IrRegion *r);

static void
lower_region(Mx *x, IrRegion *r)
{
    IrRegion old = *r;
    *r = (IrRegion){0};
    IrRegion *saved = x->b.r;
    for (int i = 0; i < old.len; i++) {
        IrInst *in = old.insts[i];
        x->b.r = r;
        x->b.loc = in->loc;
        switch (in->op) {
        IR_MATRIX_OP_CASES:
            lower_inst(x, in);
            continue;
        case IR_IF:
            lower_region(x, &in->then_r);
            lower_region(x, &in->else_r);
            break;
        case IR_LOOP:
            lower_region(x, &in->body_r);
            lower_region(x, &in->cont_r);
            break;
        default:
            break;
        }
        ir_region_append(r, in);
    }
    x->b.r = saved;
}

static void
map_region(Mx *x, IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        IrInst *in = r->insts[i];
        in->type = map_type(x, in->type);
        map_region(x, &in->then_r);
        map_region(x, &in->else_r);
        map_region(x, &in->body_r);
        map_region(x, &in->cont_r);
    }
}

static bool
region_has_matrix(const IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        if (ir_type_has_matrix(in->type) ||
            (in->type && in->type->kind == IRT_PTR && ir_type_has_matrix(in->type->elem)) ||
            in->op == IR_MAT_STORE || region_has_matrix(&in->then_r) ||
            region_has_matrix(&in->else_r) || region_has_matrix(&in->body_r) ||
            region_has_matrix(&in->cont_r))
            return true;
    }
    return false;
}

bool
ir_module_has_matrix(IrModule *m)
{
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        if (ir_type_has_matrix(f->ret))
            return true;
        for (int j = 0; j < f->nparams; j++)
            if (ir_type_has_matrix(f->params[j].type))
                return true;
        for (int j = 0; j < f->locals.len; j++) {
            IrInst *l = f->locals.data[j];
            if (ir_type_has_matrix(l->type->elem))
                return true;
        }
        if (region_has_matrix(&f->body))
            return true;
    }
    return false;
}

static bool
bf16_matrix_type(const IrType *t)
{
    while (t && (t->kind == IRT_ARRAY || t->kind == IRT_PTR))
        t = t->elem;
    return t && t->kind == IRT_MATRIX && t->elem && t->elem->is_bf16;
}

static bool
region_has_bf16_matrix(const IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        if (bf16_matrix_type(in->type) || region_has_bf16_matrix(&in->then_r) ||
            region_has_bf16_matrix(&in->else_r) || region_has_bf16_matrix(&in->body_r) ||
            region_has_bf16_matrix(&in->cont_r))
            return true;
    }
    return false;
}

bool
ir_module_has_bf16_matrix(IrModule *m)
{
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        if (bf16_matrix_type(f->ret))
            return true;
        for (int j = 0; j < f->nparams; j++)
            if (bf16_matrix_type(f->params[j].type))
                return true;
        for (int j = 0; j < f->locals.len; j++)
            if (bf16_matrix_type(((IrInst *)f->locals.data[j])->type))
                return true;
        if (region_has_bf16_matrix(&f->body))
            return true;
    }
    return false;
}

void
ir_lower_matrix(IrModule *m, const IrMatrixTarget *t)
{
    if (t->subgroup_size && !ir_matrix_sg_supported(t->subgroup_size))
        ICE("matrix fallback for a subgroup of %u lanes", t->subgroup_size);
    Mx x = {.m = m, .t = t, .u32 = ir_type_int(m, 32, false), .f32 = ir_type_float(m, 32)};
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        x.b = (IrBuilder){.m = m, .f = f, .loc = f->loc};
        x.nroles = f->next_id;
        x.roles = arena_alloc(m->arena, sizeof *x.roles * (size_t)(x.nroles ? x.nroles : 1));
        f->ret = map_type(&x, f->ret);
        for (int j = 0; j < f->nparams; j++) {
            f->params[j].type = map_type(&x, f->params[j].type);
            f->param_values[j]->type = f->params[j].type;
        }
        lower_region(&x, &f->body);
        for (int j = 0; j < f->locals.len; j++) {
            IrInst *l = f->locals.data[j];
            l->type = map_type(&x, l->type);
        }
        map_region(&x, &f->body);
    }
}

/* ---- copies ---------------------------------------------------------------------- */

static void
clone_error(void *ctx, uint32_t line, uint32_t col, const char *msg)
{
    (void)ctx;
    ICE("module copy does not read back (%u:%u: %s)", line, col, msg);
}

/* The file index of the module's first located instruction, so that the
 * copy's line information names the same source. */
static uint32_t
first_file(const IrRegion *r)
{
    for (int i = 0; i < r->len; i++) {
        const IrInst *in = r->insts[i];
        if (in->loc.file)
            return in->loc.file;
        uint32_t f = first_file(&in->then_r);
        if (!f)
            f = first_file(&in->else_r);
        if (!f)
            f = first_file(&in->body_r);
        if (!f)
            f = first_file(&in->cont_r);
        if (f)
            return f;
    }
    return 0;
}

/* The instruction flags the text form does not carry (IrInst.exact,
 * .unlikely), from r to its copy c (the same instructions in the same
 * order). */
static void
copy_flags(const IrRegion *r, IrRegion *c)
{
    if (r->len != c->len)
        ICE("module copy has another shape");
    for (int i = 0; i < r->len; i++) {
        const IrInst *a = r->insts[i];
        IrInst *b = c->insts[i];
        b->exact = a->exact;
        b->unlikely = a->unlikely;
        copy_flags(&a->then_r, &b->then_r);
        copy_flags(&a->else_r, &b->else_r);
        copy_flags(&a->body_r, &b->body_r);
        copy_flags(&a->cont_r, &b->cont_r);
    }
}

/* Gives every instruction of r the next id (renumber_func). */
static void
renumber_region(IrRegion *r, uint32_t *next)
{
    for (int i = 0; i < r->len; i++) {
        IrInst *in = r->insts[i];
        in->id = (*next)++;
        renumber_region(&in->then_r, next);
        renumber_region(&in->else_r, next);
        renumber_region(&in->body_r, next);
        renumber_region(&in->cont_r, next);
    }
}

/* Whether f's parameters are %0 .. %n-1, as the text form has them; the
 * hidden parameters of ir_bounds_check, added after the body, are not. */
static bool
params_in_order(const IrFunc *f)
{
    for (int i = 0; i < f->nparams; i++)
        if (f->param_values[i]->id != (uint32_t)i)
            return false;
    return true;
}

/* Numbers f's values afresh, parameters first (ids are names only: the
 * printed copy reads back with the same instructions in the same order). */
static void
renumber_func(IrFunc *f)
{
    uint32_t next = 0;
    for (int i = 0; i < f->nparams; i++)
        f->param_values[i]->id = next++;
    for (int i = 0; i < f->locals.len; i++)
        ((IrInst *)f->locals.data[i])->id = next++;
    renumber_region(&f->body, &next);
    f->next_id = next;
}

IrModule *
ir_module_clone(IrModule *m)
{
    /* the text form is the one complete description of a module: printing
     * and reading it back is a deep copy that cannot forget a field */
    uint32_t file = 0;
    for (int i = 0; i < m->funcs.len && !file; i++) {
        IrFunc *f = m->funcs.data[i];
        file = f->loc.file ? f->loc.file : first_file(&f->body);
    }
    for (int i = 0; i < m->funcs.len; i++)
        if (!params_in_order(m->funcs.data[i]))
            renumber_func(m->funcs.data[i]);
    Buf text = {0};
    ir_print_module(m, &text);
    IrModule *c = ir_read(text.data ? (const char *)text.data : "", text.len, file, clone_error,
                          NULL);
    buf_free(&text);
    if (!c)
        ICE("module copy failed");
    c->source_name = m->source_name ? arena_strdup(c->arena, m->source_name) : NULL; /* NULL: -g0 */
    c->polyfilled = m->polyfilled;
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i], *cf = c->funcs.data[i];
        copy_flags(&f->body, &cf->body);
        cf->hidden_params = f->hidden_params;
    }
    /* what ir_bounds_check recorded, which the text form does not carry */
    c->bounds_checked = m->bounds_checked;
    for (int i = 0; i < m->bounds_sites.len; i++) {
        const IrBoundsSite *s = m->bounds_sites.data[i];
        IrBoundsSite *cs = arena_alloc(c->arena, sizeof *cs);
        *cs = *s;
        cs->func = s->func ? arena_strdup(c->arena, s->func) : NULL;
        cs->param = s->param ? arena_strdup(c->arena, s->param) : NULL;
        ptrvec_push(c->arena, &c->bounds_sites, cs);
    }
    return c;
}
