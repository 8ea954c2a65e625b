/* test_llvm.c: unit tests of the LLVM targets (targets/llvm), without the
 * frontend: small IR modules are built with the ir.h builder, emitted as PTX,
 * AMDGPU assembly, code objects and LLVM IR for several architectures and
 * optimisation levels, and the output is checked for the lowering of each
 * builtin. Where ptxas (CUDA) or llvm-readelf is installed, the PTX and the
 * code objects are also checked by them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir/ir.h"
#include "targets/target.h"
#include "claw/fatbin.h"

static const SrcLoc L = {1, 1, 1};

typedef struct T {
    IrModule *m;
    IrBuilder b;
    IrType *u32, *i32, *i64, *u64, *f16, *f32, *f64, *boolt;
} T;

static void
t_init(T *t)
{
    memset(t, 0, sizeof *t);
    t->m = ir_module_new("test.claw");
    t->b.m = t->m;
    t->b.loc = L;
    t->u32 = ir_type_int(t->m, 32, false);
    t->i32 = ir_type_int(t->m, 32, true);
    t->i64 = ir_type_int(t->m, 64, true);
    t->u64 = ir_type_int(t->m, 64, false);
    t->f16 = ir_type_float(t->m, 16);
    t->f32 = ir_type_float(t->m, 32);
    t->f64 = ir_type_float(t->m, 64);
    t->boolt = ir_type_bool(t->m);
}

static IrType *
gptr(T *t, IrType *e, bool c)
{
    return ir_type_ptr(t->m, e, IR_SPACE_GLOBAL, c);
}

static IrFunc *
kernel(T *t, const char *name, int n, const IrParam *ps)
{
    IrFunc *f = ir_func_new(t->m, name, true, NULL, n, ps, L);
    t->b.f = f;
    t->b.r = &f->body;
    return f;
}

static IrInst *
builtin(T *t, IrOp op, int dim)
{
    IrInst *i = ir_emit(&t->b, op, t->u32, 0, NULL);
    i->imm.dim = dim;
    return i;
}

static IrInst *
p(T *t, int i)
{
    return t->b.f->param_values[i];
}

/* store v at ptr[idx] */
static void
put(T *t, IrInst *ptr, uint32_t idx, IrInst *v)
{
    ir_store(&t->b, ir_binop(&t->b, IR_PTR_ADD, ptr, ir_const_int(&t->b, t->u32, idx)), v);
}

static void
ret(T *t)
{
    ir_emit(&t->b, IR_RETURN, ir_type_void(t->m), 0, NULL);
}

/* saxpy with @workgroup(256): *const pointer -> ld.global.nc */
static void
build_saxpy(T *t)
{
    IrParam ps[4] = {{"n", t->u32, L}, {"a", t->f32, L}, {"x", gptr(t, t->f32, true), L},
                     {"y", gptr(t, t->f32, false), L}};
    IrFunc *f = kernel(t, "saxpy", 4, ps);
    f->workgroup[0] = 256, f->workgroup[1] = 1, f->workgroup[2] = 1;
    IrInst *i = builtin(t, IR_GLOBAL_ID, 0);
    IrInst *c = ir_binop(&t->b, IR_LT, i, p(t, 0));
    IrInst *ifi = ir_if(&t->b, c);
    IrRegion *save = t->b.r;
    t->b.r = &ifi->then_r;
    IrInst *xp = ir_binop(&t->b, IR_PTR_ADD, p(t, 2), i);
    IrInst *yp = ir_binop(&t->b, IR_PTR_ADD, p(t, 3), i);
    IrInst *v = ir_binop(&t->b, IR_ADD, ir_binop(&t->b, IR_MUL, p(t, 1), ir_load(&t->b, xp)), ir_load(&t->b, yp));
    ir_store(&t->b, yp, v);
    t->b.r = save;
    ret(t);
}

/* §5 integer rules, casts, comparisons and select */
static void
build_intops(T *t)
{
    IrParam ps[5] = {{"o", gptr(t, t->i32, false), L}, {"a", t->i32, L}, {"b", t->i32, L},
                     {"u", t->u64, L}, {"x", t->f32, L}};
    kernel(t, "intops", 5, ps);
    IrInst *a = p(t, 1), *b = p(t, 2);
    IrOp ops[] = {IR_DIV, IR_REM, IR_SHL, IR_SHR, IR_AND, IR_OR, IR_XOR, IR_MIN, IR_MAX, IR_SUB};
    for (uint32_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        put(t, p(t, 0), k, ir_binop(&t->b, ops[k], a, b));
    IrInst *u = p(t, 3);
    IrInst *uq = ir_binop(&t->b, IR_DIV, u, ir_cast(&t->b, b, t->u64));
    put(t, p(t, 0), 20, ir_cast(&t->b, uq, t->i32));
    put(t, p(t, 0), 21, ir_cast(&t->b, p(t, 4), t->i32));           /* saturating */
    put(t, p(t, 0), 22, ir_cast(&t->b, ir_cast(&t->b, p(t, 4), t->u32), t->i32));
    put(t, p(t, 0), 23, ir_unop(&t->b, IR_ABS, a));
    put(t, p(t, 0), 24, ir_unop(&t->b, IR_NEG, a));
    put(t, p(t, 0), 25, ir_unop(&t->b, IR_NOT, a));
    IrInst *c = ir_binop(&t->b, IR_GE, a, b);
    IrInst *sv[3] = {c, a, b};
    put(t, p(t, 0), 26, ir_emit(&t->b, IR_SELECT, t->i32, 3, sv));
    put(t, p(t, 0), 27, ir_cast(&t->b, c, t->i32));
    IrInst *cl[3] = {a, b, ir_const_int(&t->b, t->i32, 100)};
    put(t, p(t, 0), 28, ir_emit(&t->b, IR_CLAMP, t->i32, 3, cl));
    IrInst *pu = ir_cast(&t->b, p(t, 0), t->u64);
    put(t, p(t, 0), 29, ir_cast(&t->b, pu, t->i32));
    ret(t);
}

/* every math builtin on one float type */
static void
build_math(T *t, IrType *ft, const char *name)
{
    IrParam ps[1] = {{"o", gptr(t, ft, false), L}};
    kernel(t, name, 1, ps);
    IrInst *x = ir_load(&t->b, p(t, 0));
    IrInst *y = ir_load(&t->b, ir_binop(&t->b, IR_PTR_ADD, p(t, 0), ir_const_int(&t->b, t->u32, 1)));
    IrOp un[] = {IR_SQRT, IR_RSQRT, IR_EXP, IR_EXP2, IR_LOG, IR_LOG2, IR_SIN, IR_COS, IR_TAN,
                 IR_TANH, IR_FLOOR, IR_CEIL, IR_ROUND, IR_TRUNC, IR_ABS, IR_NEG};
    uint32_t k = 2;
    for (size_t i = 0; i < sizeof un / sizeof un[0]; i++)
        put(t, p(t, 0), k++, ir_unop(&t->b, un[i], x));
    IrOp bin[] = {IR_POW, IR_MIN, IR_MAX, IR_DIV, IR_REM};
    for (size_t i = 0; i < sizeof bin / sizeof bin[0]; i++)
        put(t, p(t, 0), k++, ir_binop(&t->b, bin[i], x, y));
    IrInst *f3[3] = {x, y, x};
    put(t, p(t, 0), k++, ir_emit(&t->b, IR_FMA, ft, 3, f3));
    put(t, p(t, 0), k++, ir_emit(&t->b, IR_CLAMP, ft, 3, f3));
    put(t, p(t, 0), k++, ir_cast(&t->b, ir_cast(&t->b, x, t->i64), ft));
    ret(t);
}

/* shared memory, barrier, atomics, subgroups */
static void
build_sync(T *t)
{
    IrType *arr = ir_type_array(t->m, t->u32, 64);
    IrShared *sh = ir_shared_new(t->m, "tile.0", arr, L);
    IrParam ps[3] = {{"o", gptr(t, t->u32, false), L}, {"f", gptr(t, t->f32, false), L},
                     {"q", gptr(t, t->i64, false), L}};
    kernel(t, "sync", 3, ps);
    IrInst *tid = builtin(t, IR_THREAD_ID, 0);
    IrInst *base = ir_emit(&t->b, IR_SHARED, ir_type_ptr(t->m, arr, IR_SPACE_SHARED, false), 0, NULL);
    base->imm.shared = sh;
    IrInst *slot = ir_elem_ptr(&t->b, base, tid);
    ir_store(&t->b, slot, tid);
    ir_emit(&t->b, IR_BARRIER, ir_type_void(t->m), 0, NULL);
    IrInst *one = ir_const_int(&t->b, t->u32, 1);
    IrInst *sa[2] = {ir_elem_ptr(&t->b, base, ir_const_int(&t->b, t->u32, 0)), one};
    IrInst *old = ir_emit(&t->b, IR_ATOMIC_ADD, t->u32, 2, sa);
    put(t, p(t, 0), 0, old);
    IrOp aops[] = {IR_ATOMIC_ADD, IR_ATOMIC_SUB, IR_ATOMIC_MIN, IR_ATOMIC_MAX, IR_ATOMIC_AND,
                   IR_ATOMIC_OR, IR_ATOMIC_XOR, IR_ATOMIC_XCHG};
    for (size_t i = 0; i < sizeof aops / sizeof aops[0]; i++) {
        IrInst *ga[2] = {ir_binop(&t->b, IR_PTR_ADD, p(t, 0), ir_const_int(&t->b, t->u32, 1 + i)), tid};
        ir_emit(&t->b, aops[i], t->u32, 2, ga);
    }
    IrInst *ca[3] = {p(t, 0), tid, one};
    ir_emit(&t->b, IR_ATOMIC_CAS, t->u32, 3, ca);
    IrInst *q64[2] = {p(t, 2), ir_cast(&t->b, tid, t->i64)};
    ir_emit(&t->b, IR_ATOMIC_MAX, t->i64, 2, q64);
    IrInst *fv = ir_cast(&t->b, tid, t->f32);
    IrInst *fa[2] = {p(t, 1), fv};
    ir_emit(&t->b, IR_ATOMIC_ADD, t->f32, 2, fa);
    IrInst *lane = ir_emit(&t->b, IR_LANE_ID, t->u32, 0, NULL);
    IrInst *sz = ir_emit(&t->b, IR_SUBGROUP_SIZE, t->u32, 0, NULL);
    IrInst *s1[2] = {fv, lane};
    IrInst *s2[2] = {tid, one};
    put(t, p(t, 0), 10, ir_cast(&t->b, ir_emit(&t->b, IR_SHUFFLE, t->f32, 2, s1), t->u32));
    put(t, p(t, 0), 11, ir_emit(&t->b, IR_SHUFFLE_XOR, t->u32, 2, s2));
    put(t, p(t, 0), 12, sz);
    IrOp red[] = {IR_SUBGROUP_SUM, IR_SUBGROUP_MIN, IR_SUBGROUP_MAX};
    IrInst *itid = ir_cast(&t->b, tid, t->i32);
    for (uint32_t i = 0; i < 3; i++) {
        put(t, p(t, 0), 13 + i, ir_emit(&t->b, red[i], t->u32, 1, &tid));
        put(t, p(t, 0), 16 + i, ir_cast(&t->b, ir_emit(&t->b, red[i], t->i32, 1, &itid), t->u32));
        put(t, p(t, 0), 19 + i, ir_cast(&t->b, ir_emit(&t->b, red[i], t->f32, 1, &fv), t->u32));
    }
    IrOp ids[] = {IR_BLOCK_ID, IR_BLOCK_DIM, IR_GRID_DIM, IR_GLOBAL_ID};
    for (uint32_t i = 0; i < 4; i++)
        for (int d = 0; d < 3; d++)
            put(t, p(t, 0), 30 + i * 3 + (uint32_t)d, builtin(t, ids[i], d));
    ret(t);
}

/* structs by value, device function, loops with unroll, locals, aggregates */
static void
build_control(T *t)
{
    IrType *pair = ir_type_struct(t->m, "Pair", L);
    const char *names[3] = {"flag", "key", "value"};
    IrType *types[3] = {t->boolt, t->u32, t->f64};
    ir_type_struct_set_fields(t->m, pair, 3, names, types);

    IrParam dps[2] = {{"a", t->f32, L}, {"b", t->f32, L}};
    IrFunc *dev = ir_func_new(t->m, "lerp", false, t->f32, 2, dps, L);
    t->b.f = dev;
    t->b.r = &dev->body;
    IrInst *d = ir_binop(&t->b, IR_SUB, p(t, 1), p(t, 0));
    IrInst *r = ir_binop(&t->b, IR_ADD, p(t, 0), d);
    ir_emit(&t->b, IR_RETURN, t->f32, 1, &r);

    IrParam ps[4] = {{"flag", t->boolt, L}, {"s", pair, L}, {"o", gptr(t, t->f32, false), L},
                     {"n", t->u32, L}};
    kernel(t, "control", 4, ps);
    IrType *arr = ir_type_array(t->m, t->f32, 8);
    IrInst *acc = ir_local(&t->b, arr, "acc");
    IrInst *i = ir_local(&t->b, t->u32, "i");
    ir_store(&t->b, acc, ir_emit(&t->b, IR_ZERO, arr, 0, NULL));
    ir_store(&t->b, i, ir_const_int(&t->b, t->u32, 0));
    IrInst *lp = ir_loop(&t->b);
    lp->unroll = IR_UNROLL_FULL;
    IrRegion *save = t->b.r;
    t->b.r = &lp->body_r;
    IrInst *iv = ir_load(&t->b, i);
    IrInst *el = ir_elem_ptr(&t->b, acc, iv);
    IrInst *args[2] = {ir_load(&t->b, el), ir_cast(&t->b, iv, t->f32)};
    ir_store(&t->b, el, ir_call(&t->b, dev, 2, args));
    t->b.r = &lp->cont_r;
    IrInst *nx = ir_binop(&t->b, IR_ADD, ir_load(&t->b, i), ir_const_int(&t->b, t->u32, 1));
    ir_store(&t->b, i, nx);
    lp->break_if = ir_binop(&t->b, IR_GE, nx, ir_const_int(&t->b, t->u32, 8));
    t->b.r = save;

    /* while loop with break/continue, unroll(4) */
    IrInst *lp2 = ir_loop(&t->b);
    lp2->unroll = 4;
    t->b.r = &lp2->body_r;
    IrInst *c = ir_binop(&t->b, IR_GE, ir_load(&t->b, i), p(t, 3));
    IrInst *ifi = ir_if(&t->b, c);
    IrRegion *s2 = t->b.r;
    t->b.r = &ifi->then_r;
    ir_emit(&t->b, IR_BREAK, ir_type_void(t->m), 0, NULL);
    t->b.r = &ifi->else_r;
    ir_emit(&t->b, IR_CONTINUE, ir_type_void(t->m), 0, NULL);
    t->b.r = s2;
    t->b.r = &lp2->cont_r;
    ir_store(&t->b, i, ir_binop(&t->b, IR_ADD, ir_load(&t->b, i), ir_const_int(&t->b, t->u32, 1)));
    t->b.r = save;

    IrInst *sv = p(t, 1);
    IrInst *key = ir_emit(&t->b, IR_EXTRACT, t->u32, 1, &sv);
    key->imm.index = 1;
    IrInst *fl = ir_emit(&t->b, IR_EXTRACT, t->boolt, 1, &sv);
    fl->imm.index = 0;
    IrInst *ins[2] = {sv, p(t, 0)};
    IrInst *s3 = ir_emit(&t->b, IR_INSERT, pair, 2, ins);
    s3->imm.index = 0;
    IrInst *comp[3] = {fl, key, ir_emit(&t->b, IR_UNDEF, t->f64, 0, NULL)};
    IrInst *s4 = ir_emit(&t->b, IR_COMPOSITE, pair, 3, comp);
    IrInst *sel[3] = {p(t, 0), s3, s4};
    IrInst *s5 = ir_emit(&t->b, IR_SELECT, pair, 3, sel);
    IrInst *pl = ir_local(&t->b, pair, "pl");
    ir_store(&t->b, pl, s5);
    IrInst *vp = ir_field_ptr(&t->b, pl, 2);
    IrInst *v = ir_cast(&t->b, ir_load(&t->b, vp), t->f32);
    IrInst *e3 = ir_elem_ptr(&t->b, acc, ir_const_int(&t->b, t->i32, 3));
    put(t, p(t, 2), 0, ir_binop(&t->b, IR_ADD, ir_load(&t->b, e3), v));
    put(t, p(t, 2), 1, ir_cast(&t->b, key, t->f32));
    ret(t);
}

static IrModule *
build_all(void)
{
    T t;
    t_init(&t);
    build_saxpy(&t);
    build_intops(&t);
    build_math(&t, t.f32, "math32");
    build_math(&t, t.f64, "math64");
    build_math(&t, t.f16, "math16");
    build_sync(&t);
    build_control(&t);
    Buf err = {0};
    bool ok = ir_verify(t.m, &err);
    buf_append(&err, "", 1);
    ck_assert_msg(ok, "test IR does not verify:\n%s", (char *)err.data);
    buf_free(&err);
    return t.m;
}

static char *
emit(const Target *tg, const char *arch, int opt, const char *kind_name, size_t *len)
{
    const TargetOutput *kind = target_output(tg, kind_name);
    ck_assert_msg(kind != NULL, "%s cannot emit %s", tg->name, kind_name);
    IrModule *m = build_all();
    TargetOptions o = {.arch = arch, .opt_level = opt, .fp_contract = true};
    Buf out = {0};
    char *err = NULL;
    EmitStatus rc = tg->emit(m, &o, kind, &out, &err);
    ck_assert_msg(rc == EMIT_OK, "%s %s -O%d: %s", tg->name, arch, opt, err ? err : "");
    buf_append(&out, "", 1);
    ir_module_free(m);
    *len = out.len - 1;
    return (char *)out.data;
}

static bool
have(const char *tool)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static void
write_tmp(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Runs the shell command cmd with $F naming a temporary file that holds
 * data (ptxas, llvm-readelf take files); returns the command's status. */
static int
run_on_tmp_file(const char *cmd, const void *data, size_t len)
{
    char path[] = "/tmp/claw-test-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    write_tmp(path, data, len);
    char line[1024];
    snprintf(line, sizeof line, "F=%s; %s", path, cmd);
    int rc = system(line);
    unlink(path);
    return rc;
}

static void
assert_has(const char *text, const char *what, const char *want)
{
    ck_assert_msg(strstr(text, want) != NULL, "%s output lacks \"%s\"", what, want);
}

/* Each string of the NULL-terminated `want` must be in text; `what` names
 * the output in the failure message. */
static void
expect_all(const char *text, const char *what, const char *const *want)
{
    for (; *want; want++)
        assert_has(text, what, *want);
}

#define EXPECT_ALL(text, what, ...)                                                                \
    expect_all((text), (what), (const char *const[]){__VA_ARGS__, NULL})

static const char *const nv_archs[] = {"sm_75", "sm_80", "sm_90", "sm_90a"};
static const char *const amd_archs[] = {"gfx90a", "gfx942", "gfx1030", "gfx1100"};

/* One run of a loop test: iteration i covers archs[i / 2] at -O0 (even i)
 * and -O3 (odd i); `what` labels its outputs in failure messages. */
typedef struct Config {
    const char *arch;
    int opt;
    char what[32];
} Config;

static Config
config_of(const char *target, const char *const *archs, int i)
{
    Config c = {archs[i / 2], i % 2 ? 3 : 0, ""};
    snprintf(c.what, sizeof c.what, "%s %s -O%d", target, c.arch, c.opt);
    return c;
}

START_TEST(test_ptx_all_archs)
{
    Config c = config_of("PTX", nv_archs, _i);
    size_t len;
    char *ptx = emit(&llvm_nvptx_target, c.arch, c.opt, "ptx", &len);
    EXPECT_ALL(ptx, c.what, ".entry saxpy", ".reqntid 256", "bar.sync", "atom.shared.add",
               "shfl.sync.bfly", "shfl.sync.idx", "atom.global.add.f32");
    if (c.opt == 3)
        assert_has(ptx, c.what, "ld.global.nc.f32");
    if (strcmp(c.arch, "sm_75") != 0)
        assert_has(ptx, c.what, "redux.sync");
    if (have("ptxas")) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "ptxas -arch=%s \"$F\" -o /dev/null", c.arch);
        ck_assert_msg(run_on_tmp_file(cmd, ptx, len) == 0, "ptxas rejected the PTX for %s -O%d",
                      c.arch, c.opt);
    }
    free(ptx);
}
END_TEST

START_TEST(test_amdgpu_all_archs)
{
    Config c = config_of("AMDGPU", amd_archs, _i);
    size_t len;
    char *as = emit(&llvm_amdgpu_target, c.arch, c.opt, "amdgpu-asm", &len);
    EXPECT_ALL(as, c.what, "s_barrier", "ds_bpermute_b32", "ds_add", ".amdhsa_kernel saxpy",
               ".wavefront_size: ");
    free(as);
    char *obj = emit(&llvm_amdgpu_target, c.arch, c.opt, "amdgpu-obj", &len);
    ck_assert_uint_gt(len, 4);
    ck_assert_int_eq(memcmp(obj, "\x7f" "ELF", 4), 0);
    const char *readelf = "/usr/lib/llvm-19/bin/llvm-readelf";
    if (access(readelf, X_OK) == 0) {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "%s --notes \"$F\" | grep -q '.reqd_workgroup_size:' && "
                 "%s --notes \"$F\" | grep -q 'amdhsa.kernels'",
                 readelf, readelf);
        ck_assert_msg(run_on_tmp_file(cmd, obj, len) == 0, "code object notes incomplete for %s",
                      c.arch);
    }
    free(obj);
}
END_TEST

START_TEST(test_llvm_ir_semantics)
{
    size_t len;
    char *ir = emit(&llvm_nvptx_target, "sm_80", 0, "llvm-ir", &len);
    /* §2 saturating conversions, §5 shift masking, float min as minnum */
    EXPECT_ALL(ir, "NVPTX LLVM IR", "llvm.fptosi.sat.i32.f32", "llvm.fptoui.sat.i32.f32",
               "llvm.minnum.f32", "and i32 %", "nvvm.annotations", "llvm.loop.unroll.full",
               "llvm.loop.unroll.count", "addrspace(3) global", "byval");
    free(ir);
    ir = emit(&llvm_amdgpu_target, "gfx942", 0, "llvm-ir", &len);
    EXPECT_ALL(ir, "AMDGPU LLVM IR", "amdgpu_kernel", "syncscope(\"agent\") monotonic",
               "syncscope(\"workgroup\") monotonic", "\"amdgpu-flat-work-group-size\"=\"256,256\"",
               "!reqd_work_group_size", "byref");
    free(ir);
}
END_TEST

START_TEST(test_deterministic)
{
    size_t l1, l2;
    char *a = emit(&llvm_amdgpu_target, "gfx90a", 3, "amdgpu-obj", &l1);
    char *b = emit(&llvm_amdgpu_target, "gfx90a", 3, "amdgpu-obj", &l2);
    ck_assert_uint_eq(l1, l2);
    ck_assert_int_eq(memcmp(a, b, l1), 0);
    free(a);
    free(b);
    a = emit(&llvm_nvptx_target, "sm_90", 3, "ptx", &l1);
    b = emit(&llvm_nvptx_target, "sm_90", 3, "ptx", &l2);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_arch_and_kinds)
{
    ck_assert(llvm_nvptx_target.arch_ok("sm_90a"));
    ck_assert(!llvm_nvptx_target.arch_ok("sm_20"));
    ck_assert(llvm_amdgpu_target.arch_ok("gfx1100"));
    ck_assert(!llvm_amdgpu_target.arch_ok("gfx1"));
    ck_assert_ptr_nonnull(target_output(&llvm_nvptx_target, "ptx"));
    ck_assert_ptr_null(target_output(&llvm_nvptx_target, "amdgpu-obj"));
    ck_assert_ptr_nonnull(target_output(&llvm_amdgpu_target, "amdgpu-asm"));
    /* the fat-binary images and their kinds come from the targets' tables */
    ck_assert_str_eq(target_image(&llvm_nvptx_target)->name, "ptx");
    ck_assert_uint_eq(target_image(&llvm_nvptx_target)->fb_image_kind, CLAW_FB_IMG_PTX);
    ck_assert_str_eq(target_image(&llvm_amdgpu_target)->name, "amdgpu-obj");
    ck_assert_uint_eq(target_image(&llvm_amdgpu_target)->fb_image_kind, CLAW_FB_IMG_OBJECT);
    ck_assert_str_eq(target_output(&llvm_amdgpu_target, "llvm-ir")->ext, "ll");
    ck_assert_str_eq(llvm_amdgpu_target.triple("gfx942"), "amdgcn-amd-amdhsa");
    IrModule *m = build_all();
    TargetOptions o = {.arch = "sm_1", .opt_level = 2, .fp_contract = true};
    Buf out = {0};
    char *err = NULL;
    ck_assert_int_eq(llvm_nvptx_target.emit(m, &o, target_image(&llvm_nvptx_target), &out, &err),
                     EMIT_ENV_ERROR);
    ck_assert_ptr_nonnull(err);
    free(err);
    buf_free(&out);
    ir_module_free(m);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("llvm");
    TCase *tc = tcase_create("targets");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_ptx_all_archs, 0, 8);
    tcase_add_loop_test(tc, test_amdgpu_all_archs, 0, 8);
    tcase_add_test(tc, test_llvm_ir_semantics);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_arch_and_kinds);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
