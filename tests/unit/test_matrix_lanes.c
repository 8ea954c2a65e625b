/* test_matrix_lanes.c: the lane mapping of matrix tiles (ir/matrix.c,
 * docs/matrix.md), checked on the host by running the per-lane code that
 * ir_lower_matrix generates. A kernel `d = mma(load a, load b, load c);
 * store d` is built for every transpose of A, B, C and D, lowered for a
 * target, and interpreted for all lanes of a subgroup in lockstep: loads,
 * stores and shuffles as the hardware does them, and MMA_FRAG by a model of
 * the instruction written here from the vendor's documentation (for
 * NVIDIA, the fragment layout tables of the PTX ISA, 9.7.14.5.8: mma
 * m16n8k16 with .f16 or .bf16 A/B, which share one layout, and .f32 C/D),
 * independently of the tables in matrix.c. Every combination runs with f16
 * and with bf16 tiles. The result must equal C + A B for random tiles; a wrong lane
 * mapping anywhere (load, store, the mma's registers) fails it. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

enum { MAXL = 64, MAXS = 64 };

/* One lane's value of an instruction: a scalar, a fragment, or a pointer
 * (buffer number and element index). */
typedef struct Val {
    double f;
    uint64_t i;
    int buf;
    double *arr; /* fragments: MAXS slots, from arena below */
} Val;

typedef struct Machine {
    int lanes;
    double *bufs[4]; /* a, b, c, d: the elements as doubles */
    Val *v[MAXL];    /* by instruction id, per lane */
    double *pool;    /* fragment storage, handed out by frag_alloc */
    size_t used, cap;
} Machine;

static double *
frag_alloc(Machine *mc)
{
    ck_assert(mc->used + MAXS <= mc->cap);
    double *p = mc->pool + mc->used;
    mc->used += MAXS;
    return p;
}

/* x rounded to bf16's 8 significant bits, to nearest even (normal range) */
static double
round_bf16(double x)
{
    if (x == 0 || !isfinite(x))
        return x;
    int e;
    frexp(x, &e);
    double q = ldexp(1, e - 8);
    return nearbyint(x / q) * q;
}

static double
round_to(const IrType *t, double x)
{
    if (t->kind == IRT_FLOAT && t->bits == 16)
        return t->is_bf16 ? round_bf16(x) : (double)(_Float16)x;
    if (t->kind == IRT_FLOAT && t->bits == 32)
        return (double)(float)x;
    return x;
}

/* ---- the PTX ISA's mma.m16n8k16 fragments (.f16 A/B, .f32 C/D) -------------- */

/* Row and column of a_i, b_i, c_i of lane `lane`, from the ISA's formulas:
 * groupID = laneid >> 2, threadID_in_group = laneid % 4. */
static void
ptx_a(int lane, int i, int *r, int *c)
{
    int g = lane >> 2, t = lane % 4;
    *r = (i < 2 || (i >= 4 && i < 6)) ? g : g + 8;
    *c = t * 2 + (i & 1) + (i >= 4 ? 8 : 0);
}

static void
ptx_b(int lane, int i, int *r, int *c)
{
    int g = lane >> 2, t = lane % 4;
    *r = t * 2 + (i & 1) + (i >= 2 ? 8 : 0);
    *c = g;
}

static void
ptx_c(int lane, int i, int *r, int *c)
{
    int g = lane >> 2, t = lane % 4;
    *r = i < 2 ? g : g + 8;
    *c = t * 2 + (i & 1);
}

/* One mma.sync.m16n8k16 over the warp: A regs a[lane][0..7], B regs
 * b[lane][0..3], C regs c[lane][0..3] -> d[lane][0..3]. */
static void
ptx_mma(double a[32][8], double b[32][4], double c[32][4], double d[32][4])
{
    double A[16][16], B[16][8], C[16][8];
    for (int l = 0; l < 32; l++) {
        int r, col;
        for (int i = 0; i < 8; i++) {
            ptx_a(l, i, &r, &col);
            A[r][col] = a[l][i];
        }
        for (int i = 0; i < 4; i++) {
            ptx_b(l, i, &r, &col);
            B[r][col] = b[l][i];
            ptx_c(l, i, &r, &col);
            C[r][col] = c[l][i];
        }
    }
    for (int l = 0; l < 32; l++)
        for (int i = 0; i < 4; i++) {
            int r, col;
            ptx_c(l, i, &r, &col);
            double s = C[r][col];
            for (int k = 0; k < 16; k++)
                s += A[r][k] * B[k][col];
            d[l][i] = s;
        }
}

/* mma.sync.m16n8k8 .f16 (sm_75), from the PTX ISA's m16n8k8 fragment
 * tables: a0..a3 (two .f16x2 registers) at row groupID (a0, a1) or
 * groupID + 8 (a2, a3), column threadID_in_group * 2 + (i & 1); b0, b1 at
 * row threadID_in_group * 2 + i, column groupID; c and d as for m16n8k16. */
static void
ptx_k8_a(int lane, int i, int *r, int *c)
{
    int g = lane >> 2, t = lane % 4;
    *r = i < 2 ? g : g + 8;
    *c = t * 2 + (i & 1);
}

static void
ptx_k8_b(int lane, int i, int *r, int *c)
{
    int g = lane >> 2, t = lane % 4;
    *r = t * 2 + i;
    *c = g;
}

/* One m16n8k8 over the warp: a[lane][0..3], b[lane][0..1], c[lane][0..3]. */
static void
ptx_mma_k8(double a[32][4], double b[32][2], double c[32][4], double d[32][4])
{
    double A[16][8], B[8][8], C[16][8];
    for (int l = 0; l < 32; l++) {
        int r, col;
        for (int i = 0; i < 4; i++) {
            ptx_k8_a(l, i, &r, &col);
            A[r][col] = a[l][i];
            ptx_c(l, i, &r, &col);
            C[r][col] = c[l][i];
        }
        for (int i = 0; i < 2; i++) {
            ptx_k8_b(l, i, &r, &col);
            B[r][col] = b[l][i];
        }
    }
    for (int l = 0; l < 32; l++)
        for (int i = 0; i < 4; i++) {
            int r, col;
            ptx_c(l, i, &r, &col);
            double s = C[r][col];
            for (int k = 0; k < 8; k++)
                s += A[r][k] * B[k][col];
            d[l][i] = s;
        }
}

/* ---- AMD's MFMA 16x16x16 (wave64) and WMMA 16x16x16 (gfx11, wave32) ---------- */

/* v_mfma_f32_16x16x16f16 / v_mfma_f32_16x16x16bf16_1k, from the CDNA3 ISA
 * guide's operand layout (and AMD's matrix instruction calculator): A is
 * four 16-bit values per lane, lane l holding A[l % 16][4 (l / 16) + i] in
 * element i; B is four per lane, B[4 (l / 16) + i][l % 16]; C and D are
 * four f32 per lane, D[4 (l / 16) + i][l % 16]. */
static void
mfma_mma(double a[64][4], double b[64][4], double c[64][4], double d[64][4])
{
    double A[16][16], B[16][16], C[16][16];
    for (int l = 0; l < 64; l++)
        for (int i = 0; i < 4; i++) {
            A[l % 16][4 * (l / 16) + i] = a[l][i];
            B[4 * (l / 16) + i][l % 16] = b[l][i];
            C[4 * (l / 16) + i][l % 16] = c[l][i];
        }
    for (int l = 0; l < 64; l++)
        for (int i = 0; i < 4; i++) {
            int r = 4 * (l / 16) + i, col = l % 16;
            double s = C[r][col];
            for (int k = 0; k < 16; k++)
                s += A[r][k] * B[k][col];
            d[l][i] = (float)s;
        }
}

/* v_wmma_f32_16x16x16_f16 / _bf16 in wave32, from the RDNA3 ISA guide
 * (and AMD GPUOpen's "How to accelerate AI applications on RDNA 3 using
 * WMMA"): lane l holds row l % 16 of A in its 16 elements (element i: K =
 * i) and column l % 16 of B (element i: K = i); lanes 16-31 must hold the
 * same A and B as lanes 0-15 (the instruction reads both half-waves, so a
 * difference is an error here). C and D are 8 f32 per lane: element i of
 * lane l is D[2 i + l / 16][l % 16]. */
static void
wmma_mma(double a[32][16], double b[32][16], double c[32][8], double d[32][8])
{
    double A[16][16], B[16][16], C[16][16];
    for (int l = 0; l < 32; l++) {
        for (int i = 0; i < 16; i++) {
            if (l < 16) {
                A[l][i] = a[l][i];
                B[i][l] = b[l][i];
            } else {
                ck_assert_msg(a[l][i] == a[l - 16][i] && b[l][i] == b[l - 16][i],
                              "wmma: lane %d holds other A/B elements than lane %d", l, l - 16);
            }
        }
        for (int i = 0; i < 8; i++)
            C[2 * i + l / 16][l % 16] = c[l][i];
    }
    for (int l = 0; l < 32; l++)
        for (int i = 0; i < 8; i++) {
            int r = 2 * i + l / 16, col = l % 16;
            double s = C[r][col];
            for (int k = 0; k < 16; k++)
                s += A[r][k] * B[k][col];
            d[l][i] = (float)s;
        }
}

static void
put_result(Machine *mc, const IrInst *in, int l, int i, double v)
{
    if (!mc->v[l][in->id].arr)
        mc->v[l][in->id].arr = frag_alloc(mc);
    mc->v[l][in->id].arr[i] = v;
}

static double
slot_of(Machine *mc, const IrInst *op, int l, int i)
{
    return mc->v[l][op->id].arr[i];
}

/* The fragment lengths MMA_FRAG must see: A, B, accumulator. */
static void
expect_lengths(const IrInst *in, uint64_t na, uint64_t nb, uint64_t nc)
{
    ck_assert_uint_eq(in->ops[0]->type->count, na);
    ck_assert_uint_eq(in->ops[1]->type->count, nb);
    ck_assert_uint_eq(in->ops[2]->type->count, nc);
    ck_assert_uint_eq(in->type->count, nc);
}

static void
model_amd(Machine *mc, const IrInst *in)
{
    if (in->imm.index == IR_MMA_AMD_MFMA16) {
        ck_assert_int_eq(mc->lanes, 64);
        expect_lengths(in, 4, 4, 4);
        static double a[64][4], b[64][4], c[64][4], d[64][4];
        for (int l = 0; l < 64; l++)
            for (int i = 0; i < 4; i++) {
                a[l][i] = slot_of(mc, in->ops[0], l, i);
                b[l][i] = slot_of(mc, in->ops[1], l, i);
                c[l][i] = slot_of(mc, in->ops[2], l, i);
            }
        mfma_mma(a, b, c, d);
        for (int l = 0; l < 64; l++)
            for (int i = 0; i < 4; i++)
                put_result(mc, in, l, i, d[l][i]);
        return;
    }
    ck_assert_int_eq(in->imm.index, IR_MMA_AMD_WMMA16);
    ck_assert_int_eq(mc->lanes, 32);
    expect_lengths(in, 16, 16, 8);
    static double a[32][16], b[32][16], c[32][8], d[32][8];
    for (int l = 0; l < 32; l++) {
        for (int i = 0; i < 16; i++) {
            a[l][i] = slot_of(mc, in->ops[0], l, i);
            b[l][i] = slot_of(mc, in->ops[1], l, i);
        }
        for (int i = 0; i < 8; i++)
            c[l][i] = slot_of(mc, in->ops[2], l, i);
    }
    wmma_mma(a, b, c, d);
    for (int l = 0; l < 32; l++)
        for (int i = 0; i < 8; i++)
            put_result(mc, in, l, i, d[l][i]);
}

/* The lowering's NVIDIA tile (two n8 halves): B and accumulator slots
 * 0..3 are the registers of the half of columns 0..7, slots 4..7 those of
 * columns 8..15; A is the same for both halves. */
static void
model_mma_frag(Machine *mc, const IrInst *in)
{
    if (in->imm.index == IR_MMA_AMD_MFMA16 || in->imm.index == IR_MMA_AMD_WMMA16) {
        model_amd(mc, in);
        return;
    }
    if (in->imm.index == IR_MMA_NV_M16N8K8) {
        /* sm_75: the four m16n8k8 steps the lowering lists, run in order on
         * the model above, each reading the accumulator the last wrote */
        ck_assert_int_eq(mc->lanes, 32);
        expect_lengths(in, 8, 8, 8);
        double acc[32][8];
        for (int l = 0; l < 32; l++)
            for (int i = 0; i < 8; i++)
                acc[l][i] = mc->v[l][in->ops[2]->id].arr[i];
        const IrNvK8Step *steps = ir_matrix_nv_k8_steps();
        for (int st = 0; st < 4; st++) {
            double a[32][4], b[32][2], c[32][4], d[32][4];
            for (int l = 0; l < 32; l++) {
                for (int i = 0; i < 4; i++) {
                    a[l][i] = mc->v[l][in->ops[0]->id].arr[steps[st].a[i]];
                    c[l][i] = acc[l][steps[st].acc[i]];
                }
                for (int i = 0; i < 2; i++)
                    b[l][i] = mc->v[l][in->ops[1]->id].arr[steps[st].b[i]];
            }
            ptx_mma_k8(a, b, c, d);
            for (int l = 0; l < 32; l++)
                for (int i = 0; i < 4; i++)
                    acc[l][steps[st].acc[i]] = (float)d[l][i];
        }
        for (int l = 0; l < 32; l++)
            for (int i = 0; i < 8; i++)
                put_result(mc, in, l, i, acc[l][i]);
        return;
    }
    ck_assert_int_eq(in->imm.index, IR_MMA_NV_M16N8K16);
    ck_assert_int_eq(mc->lanes, 32);
    expect_lengths(in, 8, 8, 8);
    for (int h = 0; h < 2; h++) {
        double a[32][8], b[32][4], c[32][4], d[32][4];
        for (int l = 0; l < 32; l++) {
            for (int i = 0; i < 8; i++)
                a[l][i] = mc->v[l][in->ops[0]->id].arr[i];
            for (int i = 0; i < 4; i++) {
                b[l][i] = mc->v[l][in->ops[1]->id].arr[4 * h + i];
                c[l][i] = mc->v[l][in->ops[2]->id].arr[4 * h + i];
            }
        }
        ptx_mma(a, b, c, d);
        for (int l = 0; l < 32; l++)
            for (int i = 0; i < 4; i++)
                put_result(mc, in, l, 4 * h + i, (float)d[l][i]);
    }
}

/* ---- the interpreter ---------------------------------------------------------- */

static void
run(Machine *mc, IrFunc *f)
{
    for (int l = 0; l < mc->lanes; l++)
        for (int p = 0; p < f->nparams; p++)
            mc->v[l][f->param_values[p]->id].buf = p;
    for (int k = 0; k < f->body.len; k++) {
        IrInst *in = f->body.insts[k];
        if (in->op == IR_MMA_FRAG) {
            model_mma_frag(mc, in);
            continue;
        }
        if (in->op == IR_SHUFFLE) {
            double got[MAXL];
            for (int l = 0; l < mc->lanes; l++) {
                uint64_t src = mc->v[l][in->ops[1]->id].i;
                ck_assert_msg(src < (uint64_t)mc->lanes, "shuffle from lane %llu",
                              (unsigned long long)src);
                got[l] = mc->v[src][in->ops[0]->id].f;
            }
            for (int l = 0; l < mc->lanes; l++)
                mc->v[l][in->id].f = got[l];
            continue;
        }
        for (int l = 0; l < mc->lanes; l++) {
            Val *r = &mc->v[l][in->id];
            if (in->type && in->type->kind == IRT_ARRAY && !r->arr)
                r->arr = frag_alloc(mc);
            Val *o[4] = {0};
            for (int j = 0; j < in->nops && j < 4; j++)
                o[j] = &mc->v[l][in->ops[j]->id];
            bool fl = in->type && in->type->kind == IRT_FLOAT;
            uint64_t mask = in->type && in->type->kind == IRT_INT && in->type->bits < 64
                                ? (UINT64_C(1) << in->type->bits) - 1
                                : UINT64_MAX;
            switch (in->op) {
            case IR_CONST:
                if (fl)
                    r->f = in->imm.f;
                else
                    r->i = in->imm.i;
                break;
            case IR_LANE_ID: r->i = (uint64_t)l; break;
            case IR_ADD:
                if (fl)
                    r->f = round_to(in->type, o[0]->f + o[1]->f);
                else
                    r->i = (o[0]->i + o[1]->i) & mask;
                break;
            case IR_MUL:
                if (fl)
                    r->f = round_to(in->type, o[0]->f * o[1]->f);
                else
                    r->i = (o[0]->i * o[1]->i) & mask;
                break;
            case IR_SHR: r->i = o[0]->i >> o[1]->i; break;
            case IR_AND: r->i = o[0]->i & o[1]->i; break;
            case IR_CAST:
                if (fl)
                    r->f = round_to(in->type, o[0]->f);
                else
                    r->i = o[0]->i; /* u32 -> i64 index: zero-extended */
                break;
            case IR_PTR_ADD:
                r->buf = o[0]->buf;
                r->i = o[0]->i + o[1]->i;
                break;
            case IR_LOAD: r->f = mc->bufs[o[0]->buf][o[0]->i]; break;
            case IR_STORE: mc->bufs[o[0]->buf][o[0]->i] = o[1]->f; break;
            case IR_COMPOSITE:
                for (int j = 0; j < in->nops; j++)
                    r->arr[j] = mc->v[l][in->ops[j]->id].f;
                break;
            case IR_EXTRACT: r->f = o[0]->arr[in->imm.index]; break;
            case IR_RETURN: break;
            default: ck_abort_msg("the lane model has no %s", ir_op_name(in->op));
            }
        }
    }
}

/* ---- the test ---------------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

/* k / 1024 for |k| <= 1024 (exact in f16), or k / 128 for |k| <= 128
 * (exact in bf16) */
static double
rnd(bool bf16)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    int n = bf16 ? 128 : 1024;
    return ((double)((rng >> 33) % (uint64_t)(2 * n + 1)) - n) / n;
}

/* Builds, lowers for t and runs the kernel for one combination of
 * transposes (bits: 1 A, 2 B, 4 C, 8 D column-major) with f16 or bf16 A
 * and B; compares with C + A B. */
static void
check_combo(const IrMatrixTarget *t, int lanes, int mode, bool bf16)
{
    IrModule *m = ir_module_new("lanes.claw");
    IrType *ab = bf16 ? ir_type_bf16(m) : ir_type_float(m, 16), *f32 = ir_type_float(m, 32);
    IrType *u32 = ir_type_int(m, 32, false);
    IrParam ps[4] = {{"a", ir_type_ptr(m, ab, IR_SPACE_GLOBAL, true), {0}},
                     {"b", ir_type_ptr(m, ab, IR_SPACE_GLOBAL, true), {0}},
                     {"c", ir_type_ptr(m, f32, IR_SPACE_GLOBAL, true), {0}},
                     {"d", ir_type_ptr(m, f32, IR_SPACE_GLOBAL, false), {0}}};
    IrFunc *f = ir_func_new(m, "k", true, ir_type_void(m), 4, ps, (SrcLoc){1, 1, 1});
    IrBuilder b = {.m = m, .f = f, .r = &f->body, .loc = {1, 2, 1}};
    IrType *ta = ir_type_matrix(m, IR_MAT_A, ab, 16, 16);
    IrType *tb = ir_type_matrix(m, IR_MAT_B, ab, 16, 16);
    IrType *tc = ir_type_matrix(m, IR_MAT_ACC, f32, 16, 16);
    enum { STRIDE = 19, OFF = 5 };
    IrInst *off = ir_const_int(&b, u32, OFF), *st = ir_const_int(&b, u32, STRIDE);
    IrType *types[3] = {ta, tb, tc};
    IrInst *mats[3];
    for (int i = 0; i < 3; i++) {
        IrInst *ops[3] = {f->param_values[i], off, st};
        mats[i] = ir_emit(&b, IR_MAT_LOAD, types[i], 3, ops);
        mats[i]->imm.index = (mode >> i) & 1;
    }
    IrInst *d = ir_emit(&b, IR_MAT_MMA, tc, 3, mats);
    IrInst *sops[4] = {f->param_values[3], off, st, d};
    IrInst *store = ir_emit(&b, IR_MAT_STORE, ir_type_void(m), 4, sops);
    store->imm.index = (mode >> 3) & 1;
    ir_emit(&b, IR_RETURN, NULL, 0, NULL);
    Buf err = {0};
    ck_assert_msg(ir_verify(m, &err), "before lowering: %.*s", (int)err.len, (char *)err.data);
    ir_lower_matrix(m, t);
    ck_assert_msg(ir_verify(m, &err), "after lowering: %.*s", (int)err.len, (char *)err.data);
    buf_free(&err);

    enum { N = OFF + 16 * STRIDE };
    double bufs[4][N];
    for (int i = 0; i < N; i++) {
        bufs[0][i] = rnd(bf16);
        bufs[1][i] = rnd(bf16);
        bufs[2][i] = (float)(rnd(false) * 3.0 + 0.25);
        bufs[3][i] = -12345.0;
    }
    double want[16][16];
    for (int r = 0; r < 16; r++)
        for (int c = 0; c < 16; c++) {
#define EL(buf, bit, rr, cc) bufs[buf][OFF + ((mode & (bit)) ? (cc) * STRIDE + (rr) : (rr) * STRIDE + (cc))]
            double s = EL(2, 4, r, c);
            for (int k = 0; k < 16; k++)
                s += EL(0, 1, r, k) * EL(1, 2, k, c);
            want[r][c] = s;
        }
    Machine mc = {.lanes = lanes};
    for (int i = 0; i < 4; i++)
        mc.bufs[i] = bufs[i];
    size_t arrays = 0;
    for (int k = 0; k < f->body.len; k++)
        arrays += f->body.insts[k]->type && f->body.insts[k]->type->kind == IRT_ARRAY;
    mc.cap = arrays * (size_t)lanes * MAXS;
    mc.pool = calloc(mc.cap ? mc.cap : 1, sizeof(double));
    for (int l = 0; l < lanes; l++)
        mc.v[l] = calloc(f->next_id, sizeof(Val));
    run(&mc, f);
    int wrong = 0;
    for (int r = 0; r < 16; r++)
        for (int c = 0; c < 16; c++) {
            double got = EL(3, 8, r, c);
            if (fabs(got - want[r][c]) > 1e-4 && wrong++ < 4)
                fprintf(stderr, "mma kind %d, %s, %d lanes, mode %d: (%d, %d) = %g, expected %g\n",
                        t->mma, bf16 ? "bf16" : "f16", lanes, mode, r, c, got, want[r][c]);
        }
#undef EL
    ck_assert_msg(wrong == 0, "%d elements differ (mma kind %d, %s, %d lanes, mode %d)", wrong,
                  t->mma, bf16 ? "bf16" : "f16", lanes, mode);
    for (int l = 0; l < lanes; l++)
        free(mc.v[l]);
    free(mc.pool);
    ir_module_free(m);
}

START_TEST(nvptx_mma_sync_lanes)
{
    IrMatrixTarget t = {.subgroup_size = 32, .mma = IR_MMA_NV_M16N8K16};
    for (int mode = 0; mode < 32; mode++)
        check_combo(&t, 32, mode & 15, mode >= 16);
}
END_TEST

/* sm_75: f16 only (a bf16 module takes the fallback there). */
START_TEST(nvptx_mma_k8_lanes)
{
    IrMatrixTarget t = {.subgroup_size = 32, .mma = IR_MMA_NV_M16N8K8};
    for (int mode = 0; mode < 16; mode++)
        check_combo(&t, 32, mode, false);
}
END_TEST

START_TEST(amd_mfma_lanes)
{
    IrMatrixTarget t = {.subgroup_size = 64, .mma = IR_MMA_AMD_MFMA16};
    for (int mode = 0; mode < 32; mode++)
        check_combo(&t, 64, mode & 15, mode >= 16);
}
END_TEST

START_TEST(amd_wmma_lanes)
{
    IrMatrixTarget t = {.subgroup_size = 32, .mma = IR_MMA_AMD_WMMA16};
    for (int mode = 0; mode < 32; mode++)
        check_combo(&t, 32, mode & 15, mode >= 16);
}
END_TEST

START_TEST(fallback_lanes)
{
    static const uint32_t sizes[] = {4, 8, 16, 32, 64};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        IrMatrixTarget t = {.subgroup_size = sizes[i], .mma = IR_MMA_NONE};
        for (int mode = 0; mode < 32; mode++)
            check_combo(&t, (int)sizes[i], mode & 15, mode >= 16);
    }
}
END_TEST

/* The tables cover each tile element equally often per role: once, or
 * (WMMA's A and B, replicated in both half-waves) twice. */
START_TEST(layouts_are_bijections)
{
    static const struct { IrMmaKind k; uint32_t sg; int copies[3]; } kinds[] = {
        {IR_MMA_NONE, 8, {1, 1, 1}},        {IR_MMA_NONE, 32, {1, 1, 1}},
        {IR_MMA_NONE, 64, {1, 1, 1}},       {IR_MMA_NV_M16N8K16, 32, {1, 1, 1}},
        {IR_MMA_NV_M16N8K8, 32, {1, 1, 1}},
        {IR_MMA_AMD_MFMA16, 64, {1, 1, 1}}, {IR_MMA_AMD_WMMA16, 32, {2, 2, 1}}};
    for (size_t q = 0; q < sizeof kinds / sizeof kinds[0]; q++)
        for (int role = IR_MAT_A; role <= IR_MAT_ACC; role++) {
            int seen[16][16] = {{0}};
            uint32_t sg = ir_matrix_subgroup(kinds[q].k, kinds[q].sg);
            ck_assert_uint_eq(sg, kinds[q].sg);
            uint32_t n = ir_matrix_role_len(kinds[q].k, (IrMatRole)role, sg);
            ck_assert_uint_le(n, ir_matrix_frag_len(kinds[q].k, sg));
            ck_assert_uint_eq(n * sg, 256u * (uint32_t)kinds[q].copies[role]);
            for (uint32_t l = 0; l < sg; l++)
                for (uint32_t s = 0; s < n; s++) {
                    uint32_t r, c;
                    ir_matrix_frag_pos(kinds[q].k, (IrMatRole)role, sg, l, s, &r, &c);
                    ck_assert(r < 16 && c < 16);
                    seen[r][c]++;
                }
            for (int r = 0; r < 16; r++)
                for (int c = 0; c < 16; c++)
                    ck_assert_int_eq(seen[r][c], kinds[q].copies[role]);
        }
}
END_TEST

static Suite *
lanes_suite(void)
{
    Suite *s = suite_create("matrix_lanes");
    TCase *tc = tcase_create("lanes");
    tcase_set_timeout(tc, 120); /* slow under the sanitizers */
    tcase_add_test(tc, nvptx_mma_sync_lanes);
    tcase_add_test(tc, nvptx_mma_k8_lanes);
    tcase_add_test(tc, amd_mfma_lanes);
    tcase_add_test(tc, amd_wmma_lanes);
    tcase_add_test(tc, fallback_lanes);
    tcase_add_test(tc, layouts_are_bijections);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(lanes_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
