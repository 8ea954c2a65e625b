/* test_spirv.c: unit tests of the SPIR-V backend (targets/spirv).
 *
 * Each test builds a small IR module with the builder API, checks that the
 * IR verifies, and emits it for vulkan1.2 and vulkan1.3 at -O0 and -O3. The
 * backend validates every module with SPIRV-Tools before returning (an
 * invalid module is an internal error, which aborts the forked test), and
 * the tests also check determinism, the SPIR-V header, and pieces of the
 * disassembly that the runtime depends on (push constants, SpecIds). */
#include "targets/target.h"
#include "claw/fatbin.h"

#include <check.h>
#include <spirv/unified1/spirv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const SrcLoc L = {1, 1, 1};

typedef struct Ctx {
    IrModule *m;
    IrBuilder b;
    IrFunc *f;
} Ctx;

static IrType *
ty_int(Ctx *c, int bits, bool s)
{
    return ir_type_int(c->m, (uint32_t)bits, s);
}

static IrType *
gptr(Ctx *c, IrType *t)
{
    return ir_type_ptr(c->m, t, IR_SPACE_GLOBAL, false);
}

static void
begin(Ctx *c, const char *name, bool kernel, IrType *ret, int n, const IrParam *params)
{
    c->f = ir_func_new(c->m, name, kernel, ret, n, params, L);
    c->b = (IrBuilder){.m = c->m, .f = c->f, .r = &c->f->body, .loc = L};
}

static IrInst *
param(Ctx *c, int i)
{
    return c->f->param_values[i];
}

static IrInst *
emit2(Ctx *c, IrOp op, IrType *t, IrInst *a, IrInst *b)
{
    IrInst *ops[2] = {a, b};
    return ir_emit(&c->b, op, t, 2, ops);
}

static IrInst *
u32c(Ctx *c, uint32_t v)
{
    return ir_const_int(&c->b, ty_int(c, 32, false), v);
}

/* p[i] = v through PTR_ADD, as the lowering writes pointer indexing */
static void
store_at(Ctx *c, IrInst *p, uint32_t i, IrInst *v)
{
    IrInst *q = emit2(c, IR_PTR_ADD, p->type, p, u32c(c, i));
    ir_store(&c->b, q, v);
}

static void
ret_void(Ctx *c)
{
    ir_emit(&c->b, IR_RETURN, NULL, 0, NULL);
}

static char *
emit_text(IrModule *m, const char *arch, int opt)
{
    TargetOptions o = {arch, opt, true};
    Buf out = {0};
    char *err = NULL;
    EmitStatus rc = spv_target.emit(m, &o, target_output(&spv_target, "spirv-asm"), &out, &err);
    ck_assert_msg(rc == EMIT_OK, "emit failed: %s", err ? err : "?");
    buf_append(&out, "", 1);
    return (char *)out.data;
}

/* Verifies m, then emits it in every configuration and checks determinism. */
static void
check_module(IrModule *m)
{
    Buf err = {0};
    bool ok = ir_verify(m, &err);
    buf_append(&err, "", 1);
    ck_assert_msg(ok, "test IR does not verify:\n%s", (char *)err.data);
    buf_free(&err);
    static const char *arches[2] = {"vulkan1.2", "vulkan1.3"};
    for (int a = 0; a < 2; a++) {
        for (int opt = 0; opt <= 3; opt += 3) {
            TargetOptions o = {arches[a], opt, opt == 0};
            Buf one = {0}, two = {0};
            char *msg = NULL;
            ck_assert_int_eq(spv_target.emit(m, &o, target_image(&spv_target), &one, &msg), EMIT_OK);
            ck_assert_int_eq(spv_target.emit(m, &o, target_image(&spv_target), &two, &msg), EMIT_OK);
            ck_assert_uint_eq(one.len, two.len);
            ck_assert(memcmp(one.data, two.data, one.len) == 0);
            ck_assert_uint_ge(one.len, 20);
            uint32_t magic, version;
            memcpy(&magic, one.data, 4);
            memcpy(&version, one.data + 4, 4);
            ck_assert_uint_eq(magic, 0x07230203u);
            ck_assert_uint_eq(version, a ? 0x00010600u : 0x00010500u);
            buf_free(&one);
            buf_free(&two);
        }
    }
}

static Ctx
new_ctx(void)
{
    Ctx c = {0};
    c.m = ir_module_new("test.claw");
    return c;
}

static void
assert_has(const char *text, const char *arch, const char *want)
{
    ck_assert_msg(strstr(text, want) != NULL, "%s disassembly lacks \"%s\"", arch, want);
}

/* The end of most tests: check_module(m) (verify, emit everywhere,
 * determinism, header), then the -O0 disassembly for arch must contain every
 * string of the NULL-terminated `want`; frees the module. */
static void
expect_asm(IrModule *m, const char *arch, const char *const *want)
{
    check_module(m);
    char *t = emit_text(m, arch, 0);
    for (; *want; want++)
        assert_has(t, arch, *want);
    free(t);
    ir_module_free(m);
}

#define EXPECT_ASM(m, arch, ...) expect_asm((m), (arch), (const char *const[]){__VA_ARGS__, NULL})

/* i = global_id(); if (i < n) {: the guard of an elementwise kernel; leaves
 * the builder in the then-branch and returns i. */
static IrInst *
begin_bounds_check(Ctx *c, IrInst *n)
{
    IrInst *i = ir_emit(&c->b, IR_GLOBAL_ID, n->type, 0, NULL);
    IrInst *in = ir_if(&c->b, ir_binop(&c->b, IR_LT, i, n));
    c->b.r = &in->then_r;
    return i;
}

/* } return;: closes begin_bounds_check and the kernel */
static void
end_bounds_check(Ctx *c)
{
    c->b.r = &c->f->body;
    ret_void(c);
}

START_TEST(test_target_table)
{
    ck_assert_str_eq(spv_target.name, "spirv");
    ck_assert(spv_target.arch_ok("vulkan1.2"));
    ck_assert(spv_target.arch_ok("vulkan1.3"));
    ck_assert(!spv_target.arch_ok("vulkan1.1"));
    ck_assert(!spv_target.arch_ok("sm_80"));
    ck_assert_str_eq(spv_target.triple("vulkan1.3"), "spirv64-unknown-vulkan1.3");
    ck_assert_str_eq(target_image(&spv_target)->name, "spirv");
    ck_assert_uint_eq(target_image(&spv_target)->fb_image_kind, CLAW_FB_IMG_SPIRV);
    ck_assert_ptr_nonnull(target_output(&spv_target, "spirv-asm"));
    ck_assert_ptr_null(target_output(&spv_target, "ptx"));
}
END_TEST

START_TEST(test_empty_kernels)
{
    Ctx c = new_ctx();
    begin(&c, "fixed", true, NULL, 0, NULL);
    c.f->workgroup[0] = 64;
    c.f->workgroup[1] = 1;
    c.f->workgroup[2] = 1;
    ret_void(&c);
    begin(&c, "any", true, NULL, 0, NULL);
    EXPECT_ASM(c.m, "vulkan1.2", "OpExecutionMode %fixed LocalSize 64 1 1",
               "OpDecorate %block_dim BuiltIn WorkgroupSize", "OpDecorate %block_dim_x SpecId 0",
               "OpDecorate %block_dim_z SpecId 2");
}
END_TEST

START_TEST(test_saxpy)
{
    Ctx c = new_ctx();
    IrType *u32 = ty_int(&c, 32, false), *f32 = ir_type_float(c.m, 32);
    IrParam ps[4] = {{"n", u32, L},
                     {"a", f32, L},
                     {"x", ir_type_ptr(c.m, f32, IR_SPACE_GLOBAL, true), L},
                     {"y", gptr(&c, f32), L}};
    begin(&c, "saxpy", true, NULL, 4, ps);
    IrInst *i = begin_bounds_check(&c, param(&c, 0));
    IrInst *xp = emit2(&c, IR_PTR_ADD, ps[2].type, param(&c, 2), i);
    IrInst *yp = emit2(&c, IR_PTR_ADD, ps[3].type, param(&c, 3), i);
    IrInst *v = ir_binop(&c.b, IR_ADD, ir_binop(&c.b, IR_MUL, param(&c, 1), ir_load(&c.b, xp)),
                         ir_load(&c.b, yp));
    ir_store(&c.b, yp, v);
    end_bounds_check(&c);
    EXPECT_ASM(c.m, "vulkan1.2", "OpDecorate %saxpy_args Block",
               "OpMemberDecorate %saxpy_args 3 Offset 16", "OpSelectionMerge", "Aligned 4",
               "OpPtrAccessChain");
}
END_TEST

/* every arithmetic, bitwise and comparison op on every numeric type */
START_TEST(test_arith_all_types)
{
    Ctx c = new_ctx();
    struct {
        int bits;
        bool is_float, is_signed;
    } ts[] = {{8, 0, 1},  {16, 0, 1}, {32, 0, 1}, {64, 0, 1}, {8, 0, 0},  {16, 0, 0},
              {32, 0, 0}, {64, 0, 0}, {16, 1, 0}, {32, 1, 0}, {64, 1, 0}};
    for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
        IrType *t = ts[k].is_float ? ir_type_float(c.m, (uint32_t)ts[k].bits)
                                   : ty_int(&c, ts[k].bits, ts[k].is_signed);
        IrParam ps[4] = {{"out", gptr(&c, t), L},
                         {"flags", gptr(&c, ir_type_bool(c.m)), L},
                         {"a", t, L},
                         {"b", t, L}};
        begin(&c, ir_type_name(c.m, t), true, NULL, 4, ps);
        IrInst *a = param(&c, 2), *b = param(&c, 3);
        uint32_t slot = 0;
        IrOp arith[] = {IR_ADD, IR_SUB, IR_MUL, IR_DIV, IR_REM};
        for (size_t i = 0; i < 5; i++)
            store_at(&c, param(&c, 0), slot++, ir_binop(&c.b, arith[i], a, b));
        store_at(&c, param(&c, 0), slot++, ir_unop(&c.b, IR_NEG, a));
        IrOp mm[] = {IR_ABS};
        store_at(&c, param(&c, 0), slot++, ir_unop(&c.b, mm[0], a));
        store_at(&c, param(&c, 0), slot++, ir_binop(&c.b, IR_MIN, a, b));
        store_at(&c, param(&c, 0), slot++, ir_binop(&c.b, IR_MAX, a, b));
        IrInst *cl[3] = {a, b, a};
        store_at(&c, param(&c, 0), slot++, ir_emit(&c.b, IR_CLAMP, t, 3, cl));
        if (!ts[k].is_float) {
            IrOp bits[] = {IR_AND, IR_OR, IR_XOR, IR_SHL, IR_SHR};
            for (size_t i = 0; i < 5; i++)
                store_at(&c, param(&c, 0), slot++, ir_binop(&c.b, bits[i], a, b));
            store_at(&c, param(&c, 0), slot++, ir_unop(&c.b, IR_NOT, a));
        } else {
            IrInst *f3[3] = {a, b, a};
            store_at(&c, param(&c, 0), slot++, ir_emit(&c.b, IR_FMA, t, 3, f3));
        }
        IrOp cmp[] = {IR_EQ, IR_NE, IR_LT, IR_LE, IR_GT, IR_GE};
        for (uint32_t i = 0; i < 6; i++)
            store_at(&c, param(&c, 1), i, ir_binop(&c.b, cmp[i], a, b));
        IrInst *sel[3] = {ir_binop(&c.b, IR_LT, a, b), a, b};
        store_at(&c, param(&c, 0), slot++, ir_emit(&c.b, IR_SELECT, t, 3, sel));
        ret_void(&c);
    }
    /* §5 guards: divisor replaced on 0 and MIN / -1, shift amount masked */
    EXPECT_ASM(c.m, "vulkan1.2", "OpSDiv", "OpUMod", "OpFUnordNotEqual", "OpCapability Int8",
               "OpCapability Float16", "OpCapability StorageBuffer8BitAccess",
               "OpCapability StoragePushConstant16");
}
END_TEST

START_TEST(test_casts)
{
    Ctx c = new_ctx();
    IrType *types[11];
    int n = 0;
    for (int s = 0; s < 2; s++)
        for (int bits = 8; bits <= 64; bits *= 2)
            types[n++] = ty_int(&c, bits, s);
    for (int bits = 16; bits <= 64; bits *= 2)
        types[n++] = ir_type_float(c.m, (uint32_t)bits);
    IrType *u64 = ty_int(&c, 64, false);
    for (int i = 0; i < n; i++) {
        IrParam ps[2] = {{"x", types[i], L}, {"out", gptr(&c, u64), L}};
        begin(&c, arena_printf(c.m->arena, "from_%s", ir_type_name(c.m, types[i])), true, NULL, 2, ps);
        for (int j = 0; j < n; j++) {
            IrInst *v = ir_cast(&c.b, param(&c, 0), types[j]);
            IrInst *q = ir_cast(&c.b, param(&c, 1), u64);
            IrInst *p = ir_cast(&c.b, q, gptr(&c, types[j]));
            store_at(&c, p, (uint32_t)j, v);
        }
        ret_void(&c);
    }
    IrParam bp[2] = {{"b", ir_type_bool(c.m), L}, {"out", gptr(&c, ty_int(&c, 32, true)), L}};
    begin(&c, "from_bool", true, NULL, 2, bp);
    store_at(&c, param(&c, 1), 0, ir_cast(&c.b, param(&c, 0), ty_int(&c, 32, true)));
    ret_void(&c);
    EXPECT_ASM(c.m, "vulkan1.2", "OpIsNan", "OpConvertFToS", "OpConvertUToPtr");
}
END_TEST

START_TEST(test_math)
{
    Ctx c = new_ctx();
    IrOp un[] = {IR_SQRT, IR_RSQRT, IR_EXP,  IR_EXP2,  IR_LOG,  IR_LOG2,  IR_SIN,
                 IR_COS,  IR_TAN,   IR_TANH, IR_FLOOR, IR_CEIL, IR_ROUND, IR_TRUNC};
    for (int bits = 16; bits <= 64; bits *= 2) {
        IrType *t = ir_type_float(c.m, (uint32_t)bits);
        IrParam ps[3] = {{"out", gptr(&c, t), L}, {"x", t, L}, {"y", t, L}};
        begin(&c, arena_printf(c.m->arena, "math_f%d", bits), true, NULL, 3, ps);
        uint32_t k = 0;
        for (size_t i = 0; i < sizeof un / sizeof un[0]; i++)
            store_at(&c, param(&c, 0), k++, ir_unop(&c.b, un[i], param(&c, 1)));
        store_at(&c, param(&c, 0), k++, ir_binop(&c.b, IR_POW, param(&c, 1), param(&c, 2)));
        ret_void(&c);
    }
    EXPECT_ASM(c.m, "vulkan1.2", "__claw_tanh_f32", "InverseSqrt", "FSign");
}
END_TEST

START_TEST(test_atomics_shared_barrier)
{
    Ctx c = new_ctx();
    IrType *types[5] = {ty_int(&c, 32, true), ty_int(&c, 32, false), ty_int(&c, 64, true),
                        ty_int(&c, 64, false), ir_type_float(c.m, 32)};
    IrOp ops[] = {IR_ATOMIC_ADD, IR_ATOMIC_SUB, IR_ATOMIC_MIN, IR_ATOMIC_MAX, IR_ATOMIC_AND,
                  IR_ATOMIC_OR,  IR_ATOMIC_XOR, IR_ATOMIC_XCHG};
    for (int k = 0; k < 5; k++) {
        IrType *t = types[k];
        IrShared *sh = ir_shared_new(c.m, arena_printf(c.m->arena, "tile%d", k),
                                     ir_type_array(c.m, t, 64), L);
        IrParam ps[2] = {{"p", gptr(&c, t), L}, {"v", t, L}};
        begin(&c, arena_printf(c.m->arena, "atomics%d", k), true, NULL, 2, ps);
        IrInst *sp = ir_emit(&c.b, IR_SHARED, ir_type_ptr(c.m, sh->type, IR_SPACE_SHARED, false), 0,
                             NULL);
        sp->imm.shared = sh;
        IrInst *tid = ir_emit(&c.b, IR_THREAD_ID, ty_int(&c, 32, false), 0, NULL);
        IrInst *elem = ir_elem_ptr(&c.b, sp, tid);
        ir_store(&c.b, elem, param(&c, 1));
        ir_emit(&c.b, IR_BARRIER, NULL, 0, NULL);
        int nops = t->kind == IRT_FLOAT ? 1 : 8;
        for (int i = 0; i < nops; i++) {
            IrInst *old = emit2(&c, ops[i], t, param(&c, 0), param(&c, 1));
            emit2(&c, ops[i], t, elem, old);
        }
        if (t->kind != IRT_FLOAT) {
            IrInst *cas[3] = {param(&c, 0), param(&c, 1), param(&c, 1)};
            IrInst *old = ir_emit(&c.b, IR_ATOMIC_CAS, t, 3, cas);
            IrInst *cas2[3] = {elem, old, param(&c, 1)};
            ir_emit(&c.b, IR_ATOMIC_CAS, t, 3, cas2);
        }
        ret_void(&c);
    }
    EXPECT_ASM(c.m, "vulkan1.2", "OpExtension \"SPV_EXT_shader_atomic_float_add\"",
               "OpAtomicFAddEXT", "OpCapability Int64Atomics", "OpControlBarrier");
}
END_TEST

START_TEST(test_subgroups_builtins)
{
    Ctx c = new_ctx();
    IrType *u32 = ty_int(&c, 32, false);
    IrType *types[3] = {ty_int(&c, 32, true), u32, ir_type_float(c.m, 32)};
    IrOp vars[] = {IR_THREAD_ID, IR_BLOCK_ID, IR_BLOCK_DIM, IR_GRID_DIM, IR_GLOBAL_ID};
    for (int k = 0; k < 3; k++) {
        IrType *t = types[k];
        IrParam ps[3] = {{"out", gptr(&c, t), L}, {"ids", gptr(&c, u32), L}, {"x", t, L}};
        begin(&c, arena_printf(c.m->arena, "sub%d", k), true, NULL, 3, ps);
        if (k == 1)
            c.f->workgroup[0] = 32, c.f->workgroup[1] = 2, c.f->workgroup[2] = 1;
        IrInst *lane = ir_emit(&c.b, IR_LANE_ID, u32, 0, NULL);
        IrInst *size = ir_emit(&c.b, IR_SUBGROUP_SIZE, u32, 0, NULL);
        store_at(&c, param(&c, 1), 0, lane);
        store_at(&c, param(&c, 1), 1, size);
        uint32_t slot = 2;
        for (int v = 0; v < 5; v++)
            for (int d = 0; d < 3; d++) {
                IrInst *x = ir_emit(&c.b, vars[v], u32, 0, NULL);
                x->imm.dim = d;
                store_at(&c, param(&c, 1), slot++, x);
            }
        store_at(&c, param(&c, 0), 0, emit2(&c, IR_SHUFFLE, t, param(&c, 2), lane));
        store_at(&c, param(&c, 0), 1, emit2(&c, IR_SHUFFLE_XOR, t, param(&c, 2), u32c(&c, 1)));
        IrOp red[] = {IR_SUBGROUP_SUM, IR_SUBGROUP_MIN, IR_SUBGROUP_MAX};
        for (int r = 0; r < 3; r++) {
            IrInst *x = param(&c, 2);
            store_at(&c, param(&c, 0), (uint32_t)(2 + r), ir_emit(&c.b, red[r], t, 1, &x));
        }
        ret_void(&c);
    }
    EXPECT_ASM(c.m, "vulkan1.3", "OpGroupNonUniformShuffleXor",
               "OpGroupNonUniformFAdd %float %uint_3 Reduce", "BuiltIn SubgroupLocalInvocationId");
}
END_TEST

/* loops with break, continue, early return, unroll; ifs whose branches all
 * leave (unreachable merge blocks) */
START_TEST(test_control_flow)
{
    Ctx c = new_ctx();
    IrType *u32 = ty_int(&c, 32, false);
    IrParam ps[2] = {{"n", u32, L}, {"out", gptr(&c, u32), L}};
    begin(&c, "flow", true, NULL, 2, ps);
    IrInst *i = ir_local(&c.b, u32, "i");
    ir_store(&c.b, i, u32c(&c, 0));
    for (int unroll = -1; unroll <= 4; unroll += 5) {
        IrInst *loop = ir_loop(&c.b);
        loop->unroll = unroll == -1 ? IR_UNROLL_FULL : unroll;
        IrRegion *outer = c.b.r;
        c.b.r = &loop->body_r;
        IrInst *iv = ir_load(&c.b, i);
        IrInst *if1 = ir_if(&c.b, ir_binop(&c.b, IR_GE, iv, param(&c, 0)));
        c.b.r = &if1->then_r;
        ir_emit(&c.b, IR_BREAK, NULL, 0, NULL);
        c.b.r = &loop->body_r;
        IrInst *if2 = ir_if(&c.b, ir_binop(&c.b, IR_EQ, iv, u32c(&c, 3)));
        c.b.r = &if2->then_r;
        ir_emit(&c.b, IR_CONTINUE, NULL, 0, NULL);
        c.b.r = &if2->else_r;
        IrInst *if3 = ir_if(&c.b, ir_binop(&c.b, IR_EQ, iv, u32c(&c, 100)));
        c.b.r = &if3->then_r;
        ret_void(&c);
        c.b.r = &if3->else_r;
        ir_emit(&c.b, IR_BREAK, NULL, 0, NULL);
        c.b.r = &loop->body_r;
        store_at(&c, param(&c, 1), 0, iv); /* dead: both branches of if2's else leave */
        c.b.r = &loop->cont_r;
        IrInst *nv = ir_binop(&c.b, IR_ADD, ir_load(&c.b, i), u32c(&c, 1));
        ir_store(&c.b, i, nv);
        loop->break_if = ir_binop(&c.b, IR_GE, nv, u32c(&c, 1000));
        c.b.r = outer;
    }
    /* a loop left only through return: its merge block is unreachable */
    IrInst *loop = ir_loop(&c.b);
    c.b.r = &loop->body_r;
    IrInst *if4 = ir_if(&c.b, ir_binop(&c.b, IR_EQ, ir_load(&c.b, i), u32c(&c, 7)));
    c.b.r = &if4->then_r;
    ret_void(&c);
    c.b.r = &loop->body_r;
    ir_store(&c.b, i, u32c(&c, 7));
    c.b.r = &c.f->body;
    EXPECT_ASM(c.m, "vulkan1.2", "OpLoopMerge", "Unroll", "PartialCount 4", "OpUnreachable");
}
END_TEST

/* device functions, structs by value with bool and pointer fields, locals,
 * arrays, aggregates, a self-referential struct */
START_TEST(test_functions_structs)
{
    Ctx c = new_ctx();
    IrType *f32 = ir_type_float(c.m, 32), *u8 = ty_int(&c, 8, false), *bl = ir_type_bool(c.m);
    IrType *node = ir_type_struct(c.m, "Node", L);
    const char *names[4] = {"flag", "value", "next", "tag"};
    IrType *ftypes[4] = {bl, f32, gptr(&c, node), u8};
    ir_type_struct_set_fields(c.m, node, 4, names, ftypes);
    IrType *arr = ir_type_array(c.m, f32, 4);

    IrParam dp[2] = {{"n", node, L}, {"p", gptr(&c, node), L}};
    IrFunc *dev = ir_func_new(c.m, "walk", false, node, 2, dp, L);
    IrParam kp[2] = {{"s", node, L}, {"out", gptr(&c, node), L}};
    begin(&c, "structs", true, NULL, 2, kp);
    IrInst *args[2] = {param(&c, 0), param(&c, 1)};
    IrInst *r = ir_call(&c.b, dev, 2, args);
    ir_store(&c.b, param(&c, 1), r);
    IrInst *flag = ir_emit(&c.b, IR_EXTRACT, bl, 1, &r);
    flag->imm.index = 0;
    IrInst *fp = ir_field_ptr(&c.b, param(&c, 1), 0);
    ir_store(&c.b, fp, flag);
    IrInst *la = ir_local(&c.b, arr, "acc");
    IrInst *zero = ir_emit(&c.b, IR_ZERO, arr, 0, NULL);
    ir_store(&c.b, la, zero);
    IrInst *e = ir_elem_ptr(&c.b, la, ir_const_int(&c.b, ty_int(&c, 64, true), 2));
    ir_store(&c.b, e, ir_const_float(&c.b, f32, 1.5));
    IrInst *lb = ir_local(&c.b, bl, "b");
    ir_store(&c.b, lb, flag);
    IrInst *lp = ir_local(&c.b, gptr(&c, node), "q");
    ir_store(&c.b, lp, param(&c, 1));
    IrInst *comp_ops[4] = {ir_load(&c.b, lb), ir_load(&c.b, e), ir_load(&c.b, lp),
                           ir_const_int(&c.b, u8, 9)};
    IrInst *comp = ir_emit(&c.b, IR_COMPOSITE, node, 4, comp_ops);
    IrInst *ins_ops[2] = {comp, ir_const_int(&c.b, bl, 1)};
    IrInst *ins = ir_emit(&c.b, IR_INSERT, node, 2, ins_ops);
    ins->imm.index = 0;
    store_at(&c, param(&c, 1), 1, ins);
    ret_void(&c);

    c.f = dev;
    c.b = (IrBuilder){.m = c.m, .f = dev, .r = &dev->body, .loc = L};
    IrInst *nx = ir_load(&c.b, ir_field_ptr(&c.b, dev->param_values[1], 2));
    IrInst *ld = ir_load(&c.b, nx);
    IrInst *un = ir_emit(&c.b, IR_UNDEF, node, 0, NULL);
    IrInst *sel_ops[3] = {ir_binop(&c.b, IR_EQ, nx, dev->param_values[1]), ld, un};
    IrInst *sel = ir_emit(&c.b, IR_SELECT, node, 3, sel_ops);
    IrInst *rv[1] = {sel};
    ir_emit(&c.b, IR_RETURN, NULL, 1, rv);
    check_module(c.m);
    ir_module_free(c.m);
}
END_TEST

/* ---- explicit layout only in buffer memory --------------------------------- */

/* What layout_free_check needs of a module: per id, its ArrayStride and
 * member Offset decorations and its type instruction. */
typedef struct SpvScan {
    const uint32_t *w;
    size_t n;
    uint32_t bound;
    bool *decorated;   /* ArrayStride or a member Offset */
    size_t *type_at;   /* word index of the id's type instruction, 0 if none */
} SpvScan;

/* Walks a type as Function/Workgroup storage sees it: arrays and structs
 * (not what pointers point to) must carry no explicit layout
 * (VUID-StandaloneSpirv-None-10684; Debian's spirv-val predates the rule). */
static void
assert_layout_free(const SpvScan *sc, uint32_t type, int depth)
{
    ck_assert_int_lt(depth, 16);
    ck_assert_uint_lt(type, sc->bound);
    size_t at = sc->type_at[type];
    if (!at)
        return;
    uint32_t op = sc->w[at] & 0xffffu, wc = sc->w[at] >> 16;
    if (op != SpvOpTypeArray && op != SpvOpTypeStruct && op != SpvOpTypeRuntimeArray)
        return;
    ck_assert_msg(!sc->decorated[type], "type %%%u in Function/Workgroup storage has a layout", type);
    if (op == SpvOpTypeStruct) {
        for (uint32_t i = 2; i < wc; i++)
            assert_layout_free(sc, sc->w[at + i], depth + 1);
    } else {
        assert_layout_free(sc, sc->w[at + 2], depth + 1);
    }
}

/* Checks every Function/Private/Workgroup variable of the image; returns
 * how many such variables hold an array or struct, and counts the laid-out
 * structs (with Offsets) in *laid_out and the OpCopyLogicals in *copies. */
static int
layout_free_check(const Buf *img, int *laid_out, int *copies)
{
    SpvScan sc = {(const uint32_t *)img->data, img->len / 4, 0, NULL, NULL};
    ck_assert_uint_ge(sc.n, 5);
    sc.bound = sc.w[3];
    sc.decorated = calloc(sc.bound, sizeof *sc.decorated);
    sc.type_at = calloc(sc.bound, sizeof *sc.type_at);
    ck_assert(sc.decorated && sc.type_at);
    *laid_out = *copies = 0;
    for (size_t i = 5; i < sc.n;) {
        uint32_t op = sc.w[i] & 0xffffu, wc = sc.w[i] >> 16;
        ck_assert_uint_gt(wc, 0);
        ck_assert_uint_le(i + wc, sc.n);
        if (op == SpvOpDecorate && wc >= 3 && sc.w[i + 2] == SpvDecorationArrayStride)
            sc.decorated[sc.w[i + 1]] = true;
        if (op == SpvOpMemberDecorate && wc >= 4 && sc.w[i + 3] == SpvDecorationOffset)
            sc.decorated[sc.w[i + 1]] = true;
        if ((op == SpvOpTypeArray || op == SpvOpTypeStruct || op == SpvOpTypeRuntimeArray ||
             op == SpvOpTypePointer) && wc >= 2)
            sc.type_at[sc.w[i + 1]] = i;
        if (op == SpvOpCopyLogical)
            (*copies)++;
        i += wc;
    }
    int held = 0;
    for (size_t i = 5; i < sc.n; i += sc.w[i] >> 16) {
        uint32_t op = sc.w[i] & 0xffffu;
        if (op == SpvOpTypeStruct && sc.decorated[sc.w[i + 1]])
            (*laid_out)++;
        if (op != SpvOpVariable)
            continue;
        uint32_t storage = sc.w[i + 3];
        if (storage != SpvStorageClassFunction && storage != SpvStorageClassPrivate &&
            storage != SpvStorageClassWorkgroup)
            continue;
        size_t pt = sc.type_at[sc.w[i + 1]];
        ck_assert_uint_ne(pt, 0);
        uint32_t pointee = sc.w[pt + 3];
        size_t at = sc.type_at[pointee];
        if (at && (sc.w[at] & 0xffffu) != SpvOpTypePointer)
            held++;
        assert_layout_free(&sc, pointee, 0);
    }
    free(sc.decorated);
    free(sc.type_at);
    return held;
}

/* A struct with an array and a self pointer, a vec3 and an array in
 * Function variables, a shared array of structs: the variables' types carry
 * no ArrayStride/Offset, the buffer types keep them, and whole aggregates
 * move between the two with OpCopyLogical (docs/spirv.md "Explicit layout
 * decorations"). */
START_TEST(test_layout_twins)
{
    Ctx c = new_ctx();
    IrType *f32 = ir_type_float(c.m, 32), *u32 = ty_int(&c, 32, false);
    IrType *node = ir_type_struct(c.m, "Cell", L);
    const char *names[3] = {"w", "k", "next"};
    IrType *ftypes[3] = {f32, ir_type_array(c.m, u32, 3), gptr(&c, node)};
    ir_type_struct_set_fields(c.m, node, 3, names, ftypes);
    IrType *v3 = ir_type_vec(c.m, f32, 3);
    IrShared *sh = ir_shared_new(c.m, "cells", ir_type_array(c.m, node, 8), L);

    IrParam ps[2] = {{"p", gptr(&c, node), L}, {"q", gptr(&c, v3), L}};
    begin(&c, "twins", true, NULL, 2, ps);
    /* var n = p[0]; p[1] = n */
    IrInst *ln = ir_local(&c.b, node, "n");
    ir_store(&c.b, ln, ir_load(&c.b, param(&c, 0)));
    store_at(&c, param(&c, 0), 1, ir_load(&c.b, ln));
    /* var v = q[0]; q[1] = v */
    IrInst *lv = ir_local(&c.b, v3, "v");
    ir_store(&c.b, lv, ir_load(&c.b, param(&c, 1)));
    store_at(&c, param(&c, 1), 1, ir_load(&c.b, lv));
    /* var a: [f32; 4] = zero; a[2] = n.w */
    IrType *arr = ir_type_array(c.m, f32, 4);
    IrInst *la = ir_local(&c.b, arr, "a");
    ir_store(&c.b, la, ir_emit(&c.b, IR_ZERO, arr, 0, NULL));
    IrInst *a2 = ir_elem_ptr(&c.b, la, u32c(&c, 2));
    ir_store(&c.b, a2, ir_load(&c.b, ir_field_ptr(&c.b, ln, 0)));
    /* cells[tid] = p[2]; p[3] = cells[7 - tid] */
    IrInst *sp = ir_emit(&c.b, IR_SHARED, ir_type_ptr(c.m, sh->type, IR_SPACE_SHARED, false), 0, NULL);
    sp->imm.shared = sh;
    IrInst *tid = ir_emit(&c.b, IR_THREAD_ID, u32, 0, NULL);
    IrInst *p2 = emit2(&c, IR_PTR_ADD, param(&c, 0)->type, param(&c, 0), u32c(&c, 2));
    ir_store(&c.b, ir_elem_ptr(&c.b, sp, tid), ir_load(&c.b, p2));
    ir_emit(&c.b, IR_BARRIER, NULL, 0, NULL);
    IrInst *other = ir_elem_ptr(&c.b, sp, ir_binop(&c.b, IR_SUB, u32c(&c, 7), tid));
    IrInst *back = ir_load(&c.b, other);
    store_at(&c, param(&c, 0), 3, back);
    ret_void(&c);
    check_module(c.m);

    static const char *arches[2] = {"vulkan1.2", "vulkan1.3"};
    for (int a = 0; a < 2; a++) {
        for (int opt = 0; opt <= 3; opt += 3) {
            TargetOptions o = {arches[a], opt, opt == 0};
            Buf img = {0};
            char *msg = NULL;
            ck_assert_int_eq(spv_target.emit(c.m, &o, target_image(&spv_target), &img, &msg), EMIT_OK);
            int laid_out, copies;
            int held = layout_free_check(&img, &laid_out, &copies);
            ck_assert_int_ge(laid_out, 1); /* Cell behind the PhysicalStorageBuffer pointer */
            if (opt == 0) {
                /* n, v, a, cells (and the loop probe none: no loop here) */
                ck_assert_int_ge(held, 4);
                /* n = p[0], p[1] = n, cells[tid] = p[2], p[3] = cells[..] */
                ck_assert_int_ge(copies, 4);
            }
            buf_free(&img);
        }
    }
    ir_module_free(c.m);
}
END_TEST

/* parameters that leave no room for the status pointer before the launch
 * block at 112 go through a buffer address, and every push block ends with
 * the launch block at offset 112 (docs/spirv.md) */
START_TEST(test_indirect_args)
{
    Ctx c = new_ctx();
    IrType *f64 = ir_type_float(c.m, 64);
    IrParam ps[18];
    for (int i = 0; i < 17; i++)
        ps[i] = (IrParam){arena_printf(c.m->arena, "a%d", i), f64, L};
    ps[17] = (IrParam){"out", gptr(&c, f64), L};
    begin(&c, "big", true, NULL, 18, ps);
    IrInst *acc = param(&c, 0);
    for (int i = 1; i < 17; i++)
        acc = ir_binop(&c.b, IR_ADD, acc, param(&c, i));
    store_at(&c, param(&c, 17), 0, acc);
    ret_void(&c);
    IrParam small[15];
    for (int i = 0; i < 15; i++)
        small[i] = (IrParam){arena_printf(c.m->arena, "b%d", i), f64, L};
    /* 104 bytes + the 8-byte status pointer fill the 112 before the launch
     * block; 112 bytes do not */
    begin(&c, "exactly104", true, NULL, 13, small);
    ret_void(&c);
    begin(&c, "over104", true, NULL, 14, small);
    ret_void(&c);
    begin(&c, "none", true, NULL, 0, NULL);
    ret_void(&c);
    EXPECT_ASM(c.m, "vulkan1.2", "OpDecorate %big_push Block", "OpDecorate %exactly104_args Block",
               "OpMemberDecorate %exactly104_args 13 Offset 104",
               "OpMemberDecorate %exactly104_args 14 Offset 112", "OpDecorate %over104_push Block",
               "OpMemberDecorate %over104_push 1 Offset 8", "OpMemberDecorate %over104_push 2 Offset 112",
               "OpMemberDecorate %none_args 0 Offset 0", "OpMemberDecorate %none_args 1 Offset 112",
               "OpMemberDecorate %big_args 17 Offset 136", "OpMemberDecorate %big_push 1 Offset 8",
               "OpMemberDecorate %big_push 2 Offset 112", "OpModuleProcessed \"clawc:status-word\"");
}
END_TEST

/* OpString names the source, OpLine follows the SrcLocs (and starts again
 * in every block), OpNoLine covers compiler-made code (line 0); without a
 * source name there is no line information at all. */
START_TEST(test_line_info)
{
    Ctx c = new_ctx();
    IrType *u32 = ty_int(&c, 32, false);
    IrParam ps[2] = {{"n", u32, L}, {"y", gptr(&c, u32), L}};
    begin(&c, "lines", true, NULL, 2, ps);
    c.b.loc = (SrcLoc){1, 5, 7};
    IrInst *i = begin_bounds_check(&c, param(&c, 0));
    c.b.loc = (SrcLoc){1, 6, 9};
    IrInst *yp = emit2(&c, IR_PTR_ADD, ps[1].type, param(&c, 1), i);
    c.b.loc = (SrcLoc){0, 0, 0};
    IrInst *v = ir_binop(&c.b, IR_ADD, i, u32c(&c, 1));
    ir_store(&c.b, yp, v);
    end_bounds_check(&c);
    check_module(c.m);
    char *t = emit_text(c.m, "vulkan1.2", 0);
    const char *str = strstr(t, " = OpString \"test.claw\"\n");
    ck_assert_ptr_nonnull(str);
    while (str > t && str[-1] != '%')
        str--;
    int file = atoi(str);
    char want[64];
    snprintf(want, sizeof want, "OpSource Unknown 0 %%%d\n", file);
    ck_assert_ptr_nonnull(strstr(t, want));
    snprintf(want, sizeof want, "OpLine %%%d 1 1\n", file); /* the parameter loads */
    ck_assert_ptr_nonnull(strstr(t, want));
    snprintf(want, sizeof want, "OpLine %%%d 5 7\n", file);
    ck_assert_ptr_nonnull(strstr(t, want));
    snprintf(want, sizeof want, "OpLine %%%d 6 9\n", file);
    const char *then = strstr(t, want);
    ck_assert_ptr_nonnull(then);
    ck_assert_ptr_nonnull(strstr(then, "OpNoLine\n"));
    free(t);
    c.m->source_name = NULL;
    t = emit_text(c.m, "vulkan1.2", 0);
    ck_assert_ptr_null(strstr(t, "OpString"));
    ck_assert_ptr_null(strstr(t, "OpLine"));
    free(t);
    ir_module_free(c.m);
}
END_TEST

static Suite *
spirv_suite(void)
{
    Suite *s = suite_create("spirv");
    TCase *tc = tcase_create("emit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_target_table);
    tcase_add_test(tc, test_empty_kernels);
    tcase_add_test(tc, test_saxpy);
    tcase_add_test(tc, test_arith_all_types);
    tcase_add_test(tc, test_casts);
    tcase_add_test(tc, test_math);
    tcase_add_test(tc, test_atomics_shared_barrier);
    tcase_add_test(tc, test_subgroups_builtins);
    tcase_add_test(tc, test_control_flow);
    tcase_add_test(tc, test_functions_structs);
    tcase_add_test(tc, test_layout_twins);
    tcase_add_test(tc, test_indirect_args);
    tcase_add_test(tc, test_line_info);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(spirv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
