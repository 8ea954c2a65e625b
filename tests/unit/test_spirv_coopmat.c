/* test_spirv_coopmat.c: the vulkan1.3-coopmat image (docs/spirv.md
 * "Cooperative matrices"). A kernel with every matrix op in every layout is
 * emitted for the image; its SPV_KHR_cooperative_matrix instructions must
 * pass the grammar check (spv_coopmat_check), and each kind of mistake the
 * check exists for (wrong opcode, operands swapped or dropped, a Use or
 * layout out of range, no capability, no Vulkan memory model) made in the
 * emitted words must fail it. The disassembly names the KHR instructions. */
#include "targets/spirv/spirv_emit.h"
#include "targets/target.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kernel: A, B, C loaded (global, layout bits of mode), D = (C + A B) *
 * 2 + fill(1) - C stored as f32 and f16, and A again from a shared array. */
static IrModule *
build(int mode)
{
    IrModule *m = ir_module_new("coopmat.claw");
    IrType *f16 = ir_type_float(m, 16), *f32 = ir_type_float(m, 32);
    IrType *u32 = ir_type_int(m, 32, false);
    IrParam ps[5] = {{"a", ir_type_ptr(m, f16, IR_SPACE_GLOBAL, true), {0}},
                     {"b", ir_type_ptr(m, f16, IR_SPACE_GLOBAL, true), {0}},
                     {"c", ir_type_ptr(m, f32, IR_SPACE_GLOBAL, true), {0}},
                     {"d", ir_type_ptr(m, f32, IR_SPACE_GLOBAL, false), {0}},
                     {"dh", ir_type_ptr(m, f16, IR_SPACE_GLOBAL, false), {0}}};
    IrFunc *f = ir_func_new(m, "k", true, ir_type_void(m), 5, ps, (SrcLoc){1, 1, 1});
    IrBuilder b = {.m = m, .f = f, .r = &f->body, .loc = {1, 2, 1}};
    IrType *ta = ir_type_matrix(m, IR_MAT_A, f16, 16, 16);
    IrType *tb = ir_type_matrix(m, IR_MAT_B, f16, 16, 16);
    IrType *tc = ir_type_matrix(m, IR_MAT_ACC, f32, 16, 16);
    IrInst *off = ir_const_int(&b, u32, 5), *st = ir_const_int(&b, u32, 19);
    IrType *types[3] = {ta, tb, tc};
    IrInst *mats[3];
    for (int i = 0; i < 3; i++) {
        IrInst *ops[3] = {f->param_values[i], off, st};
        mats[i] = ir_emit(&b, IR_MAT_LOAD, types[i], 3, ops);
        mats[i]->imm.index = (mode >> i) & 1;
    }
    IrInst *d = ir_emit(&b, IR_MAT_MMA, tc, 3, mats);
    IrInst *sops[2] = {d, ir_const_float(&b, f32, 2.0)};
    d = ir_emit(&b, IR_MAT_SCALE, tc, 2, sops);
    IrInst *one = ir_const_float(&b, f32, 1.0);
    IrInst *fill = ir_emit(&b, IR_MAT_FILL, tc, 1, &one);
    IrInst *aops[2] = {d, fill};
    d = ir_emit(&b, IR_MAT_ADD, tc, 2, aops);
    IrInst *bops[2] = {d, mats[2]};
    d = ir_emit(&b, IR_MAT_SUB, tc, 2, bops);
    for (int i = 3; i < 5; i++) {
        IrInst *ops[4] = {f->param_values[i], off, st, d};
        IrInst *s = ir_emit(&b, IR_MAT_STORE, ir_type_void(m), 4, ops);
        s->imm.index = (mode >> 3) & 1;
    }
    IrShared *sh = ir_shared_new(m, "sa", ir_type_array(m, f16, 512), (SrcLoc){1, 3, 1});
    IrInst *base =
        ir_emit(&b, IR_SHARED, ir_type_ptr(m, sh->type, IR_SPACE_SHARED, false), 0, NULL);
    base->imm.shared = sh;
    IrInst *lops[3] = {base, off, st};
    IrInst *la = ir_emit(&b, IR_MAT_LOAD, ta, 3, lops);
    IrInst *mops[3] = {la, mats[1], fill};
    IrInst *e = ir_emit(&b, IR_MAT_MMA, tc, 3, mops);
    IrInst *eops[4] = {f->param_values[3], off, st, e};
    ir_emit(&b, IR_MAT_STORE, ir_type_void(m), 4, eops);
    ir_emit(&b, IR_RETURN, NULL, 0, NULL);
    Buf err = {0};
    ck_assert_msg(ir_verify(m, &err), "%.*s", (int)err.len, (char *)err.data);
    buf_free(&err);
    return m;
}

static void
emit(int mode, const char *kind, Buf *out)
{
    IrModule *m = build(mode);
    TargetOptions o = {.arch = SPIRV_COOPMAT_ARCH, .opt_level = 2, .fp_contract = true};
    char *err = NULL;
    EmitStatus st = spv_target.emit(m, &o, target_output(&spv_target, kind), out, &err);
    ck_assert_msg(st == EMIT_OK, "%s", err ? err : "");
    ir_module_free(m);
}

typedef struct Words {
    uint32_t *w;
    size_t n;
} Words;

static Words
words_of(int mode)
{
    Buf b = {0};
    emit(mode, "spirv", &b);
    Words w = {malloc(b.len), b.len / 4};
    memcpy(w.w, b.data, b.len);
    buf_free(&b);
    return w;
}

/* Word index of the first instruction with opcode op (and n-th of them). */
static size_t
find(const Words *w, uint32_t op, int nth)
{
    for (size_t at = 5; at < w->n; at += w->w[at] >> 16)
        if ((w->w[at] & 0xffff) == op && nth-- == 0)
            return at;
    ck_abort_msg("opcode %u not found", op);
    return 0;
}

/* The id of the OpConstant %uint v. */
static uint32_t
const_u32(const Words *w, uint32_t v)
{
    uint32_t uint_t = 0;
    for (size_t at = 5; at < w->n; at += w->w[at] >> 16) {
        uint32_t op = w->w[at] & 0xffff;
        if (op == SpvOpTypeInt && w->w[at + 2] == 32 && w->w[at + 3] == 0)
            uint_t = w->w[at + 1];
        if (op == SpvOpConstant && w->w[at + 1] == uint_t && (w->w[at] >> 16) == 4 &&
            w->w[at + 3] == v)
            return w->w[at + 2];
    }
    ck_abort_msg("no constant %u", v);
    return 0;
}

static bool
passes(const Words *w)
{
    char *err = NULL;
    int rc = spv_coopmat_check(w->w, w->n, &err);
    free(err);
    return rc == 0;
}

START_TEST(emitted_pass)
{
    for (int mode = 0; mode < 16; mode++) {
        Words w = words_of(mode);
        char *err = NULL;
        ck_assert_msg(spv_coopmat_check(w.w, w.n, &err) == 0, "mode %d: %s", mode, err);
        /* the layouts asked for are the ones written */
        size_t ld = find(&w, SPV_KHR_OP_COOPMAT_LOAD, 0);
        ck_assert_uint_eq(w.w[ld + 4], const_u32(&w, mode & 1));
        size_t stn = find(&w, SPV_KHR_OP_COOPMAT_STORE, 0);
        ck_assert_uint_eq(w.w[stn + 3], const_u32(&w, (mode >> 3) & 1));
        free(w.w);
    }
}
END_TEST

START_TEST(mistakes_fail)
{
    Words w = words_of(0);
    ck_assert(passes(&w));
    /* A and B swapped in the multiply-add */
    size_t mma = find(&w, SPV_KHR_OP_COOPMAT_MULADD, 0);
    uint32_t t = w.w[mma + 3];
    w.w[mma + 3] = w.w[mma + 4];
    w.w[mma + 4] = t;
    ck_assert(!passes(&w));
    w.w[mma + 4] = w.w[mma + 3];
    w.w[mma + 3] = t;
    ck_assert(passes(&w));
    /* C given where A goes */
    t = w.w[mma + 3];
    w.w[mma + 3] = w.w[mma + 5];
    ck_assert(!passes(&w));
    w.w[mma + 3] = t;
    /* a load written with the store's opcode */
    size_t ld = find(&w, SPV_KHR_OP_COOPMAT_LOAD, 0);
    w.w[ld] = (w.w[ld] & 0xffff0000u) | SPV_KHR_OP_COOPMAT_STORE;
    ck_assert(!passes(&w));
    w.w[ld] = (w.w[ld] & 0xffff0000u) | SPV_KHR_OP_COOPMAT_LOAD;
    ck_assert(passes(&w));
    /* pointer and layout swapped */
    t = w.w[ld + 3];
    w.w[ld + 3] = w.w[ld + 4];
    w.w[ld + 4] = t;
    ck_assert(!passes(&w));
    w.w[ld + 4] = w.w[ld + 3];
    w.w[ld + 3] = t;
    /* layout 2 (not a Cooperative Matrix Layout) */
    t = w.w[ld + 4];
    w.w[ld + 4] = const_u32(&w, 2);
    ck_assert(!passes(&w));
    w.w[ld + 4] = t;
    /* Aligned without its literal: the word count one short */
    uint32_t wc = w.w[ld] >> 16;
    ck_assert_uint_eq(wc, 8);
    uint32_t saved = w.w[ld + 7];
    w.w[ld] = ((wc - 1) << 16) | SPV_KHR_OP_COOPMAT_LOAD;
    w.w[ld + 7] = (1u << 16) | SpvOpNop;
    ck_assert(!passes(&w));
    w.w[ld] = (wc << 16) | SPV_KHR_OP_COOPMAT_LOAD;
    w.w[ld + 7] = saved;
    ck_assert(passes(&w));
    /* a type whose Use is 3 */
    size_t ty = find(&w, SPV_KHR_OP_TYPE_COOPMAT, 0);
    t = w.w[ty + 6];
    w.w[ty + 6] = const_u32(&w, 3);
    ck_assert(!passes(&w));
    w.w[ty + 6] = t;
    /* the type's Rows and Scope swapped give another type: the mma's
     * shapes no longer agree (Scope 3 rows, 16 as a scope) */
    t = w.w[ty + 3];
    w.w[ty + 3] = w.w[ty + 4];
    w.w[ty + 4] = t;
    ck_assert(!passes(&w));
    w.w[ty + 4] = w.w[ty + 3];
    w.w[ty + 3] = t;
    ck_assert(passes(&w));
    /* without the capability */
    size_t cap = 5;
    while (!((w.w[cap] & 0xffff) == SpvOpCapability && w.w[cap + 1] == SPV_KHR_CAP_COOPMAT))
        cap += w.w[cap] >> 16;
    w.w[cap + 1] = SpvCapabilityShader;
    ck_assert(!passes(&w));
    w.w[cap + 1] = SPV_KHR_CAP_COOPMAT;
    /* GLSL450 memory model */
    size_t mm = find(&w, SpvOpMemoryModel, 0);
    w.w[mm + 2] = SpvMemoryModelGLSL450;
    ck_assert(!passes(&w));
    w.w[mm + 2] = SpvMemoryModelVulkan;
    ck_assert(passes(&w));
    free(w.w);
}
END_TEST

/* Any word of the module changed at random: the check never reads out of
 * bounds (ASan builds catch it) and refuses most changes to KHR words. */
START_TEST(random_words)
{
    Words w = words_of(5);
    uint64_t x = 0x9e3779b97f4a7c15u;
    int failed = 0, tries = 0;
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t at = 5 + (size_t)(x % (w.n - 5));
        uint32_t saved = w.w[at];
        w.w[at] = (uint32_t)(x >> 32) % 8 == 0 ? (uint32_t)(x >> 16) : saved ^ (1u << (x >> 59));
        if (!passes(&w))
            failed++;
        tries++;
        w.w[at] = saved;
    }
    ck_assert(passes(&w));
    ck_assert_int_gt(failed, 0);
    ck_assert_int_lt(failed, tries);
    /* truncations */
    for (size_t n = 0; n < w.n; n += 7) {
        Words t = {w.w, n};
        char *err = NULL;
        if (spv_coopmat_check(t.w, t.n, &err) != 0)
            free(err);
    }
    free(w.w);
}
END_TEST

START_TEST(disassembly)
{
    Buf b = {0};
    emit(9, "spirv-asm", &b);
    buf_append(&b, "", 1);
    const char *t = (const char *)b.data;
    ck_assert_ptr_nonnull(strstr(t, "OpCapability CooperativeMatrixKHR\n"));
    ck_assert_ptr_nonnull(strstr(t, "OpExtension \"SPV_KHR_cooperative_matrix\"\n"));
    ck_assert_ptr_nonnull(strstr(t, "OpMemoryModel PhysicalStorageBuffer64 Vulkan\n"));
    ck_assert_ptr_nonnull(strstr(
        t, "%mat_a_f16 = OpTypeCooperativeMatrixKHR %half %uint_3 %uint_16 %uint_16 %uint_0\n"));
    ck_assert_ptr_nonnull(strstr(t, "OpCooperativeMatrixMulAddKHR %mat_acc_f32 "));
    ck_assert_ptr_nonnull(strstr(t, "OpCooperativeMatrixLoadKHR %mat_a_f16 "));
    ck_assert_ptr_nonnull(strstr(t, "%uint_1 %uint_19 Aligned 2\n"));
    ck_assert_ptr_null(strstr(t, "OpNop"));
    buf_free(&b);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("spirv_coopmat");
    TCase *tc = tcase_create("coopmat");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, emitted_pass);
    tcase_add_test(tc, mistakes_fail);
    tcase_add_test(tc, random_words);
    tcase_add_test(tc, disassembly);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
