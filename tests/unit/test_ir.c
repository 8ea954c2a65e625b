/* test_ir.c: unit tests of the Claw IR (ir/): type interning and C layout,
 * the builder and the textual printer, the verifier on well-formed and
 * deliberately broken modules, the pass pipeline, the shared-memory metadata
 * of kernels (docs/language.md §8), and reading a whole file into memory
 * (ir/arena.c). Each broken module breaks exactly one rule of ir.h, so the
 * verifier must name that rule. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir/ir.h"

static SrcLoc
at(uint32_t line, uint32_t col)
{
    return (SrcLoc){1, line, col};
}

/* Prints m into a NUL-terminated heap string (caller frees). */
static char *
print_text(IrModule *m)
{
    Buf b = {0};
    ir_print_module(m, &b);
    buf_append(&b, "", 1);
    return (char *)b.data;
}

/* Runs the verifier; returns its message text (caller frees), or NULL if the
 * module is valid. */
static char *
verify_text(IrModule *m)
{
    Buf b = {0};
    if (ir_verify(m, &b)) {
        buf_free(&b);
        return NULL;
    }
    buf_append(&b, "", 1);
    return (char *)b.data;
}

static void
expect_valid(IrModule *m)
{
    char *err = verify_text(m);
    ck_assert_msg(err == NULL, "unexpected verifier errors:\n%s", err ? err : "");
    free(err);
}

/* The verifier rejects m with a message containing `needle`. */
static void
expect_invalid(IrModule *m, const char *needle)
{
    char *err = verify_text(m);
    ck_assert_msg(err != NULL, "verifier accepted a broken module (wanted '%s')", needle);
    ck_assert_msg(strstr(err, needle), "wanted '%s' in:\n%s", needle, err);
    free(err);
}

/* ---- types -------------------------------------------------------------- */

START_TEST(types_are_interned)
{
    IrModule *m = ir_module_new("t.claw");
    IrType *u32 = ir_type_int(m, 32, false);
    ck_assert_ptr_eq(u32, ir_type_int(m, 32, false));
    ck_assert_ptr_ne(u32, ir_type_int(m, 32, true));
    IrType *f32 = ir_type_float(m, 32);
    IrType *p = ir_type_ptr(m, f32, IR_SPACE_GLOBAL, true);
    ck_assert_ptr_eq(p, ir_type_ptr(m, ir_type_float(m, 32), IR_SPACE_GLOBAL, true));
    ck_assert_ptr_ne(p, ir_type_ptr(m, f32, IR_SPACE_GLOBAL, false));
    ck_assert_ptr_ne(p, ir_type_ptr(m, f32, IR_SPACE_SHARED, true));
    ck_assert_ptr_eq(ir_type_array(m, f32, 4), ir_type_array(m, f32, 4));
    ck_assert_ptr_ne(ir_type_array(m, f32, 4), ir_type_array(m, f32, 5));
    ck_assert_ptr_eq(ir_type_bool(m), ir_type_bool(m));
    ck_assert_ptr_eq(ir_type_void(m), ir_type_void(m));
    /* Structs are nominal: two declarations, two types. */
    ck_assert_ptr_ne(ir_type_struct(m, "S", at(1, 1)), ir_type_struct(m, "S", at(2, 1)));
    ir_module_free(m);
}
END_TEST

START_TEST(scalar_layout)
{
    IrModule *m = ir_module_new("t.claw");
    IrType *b = ir_type_bool(m);
    ck_assert_uint_eq(b->size, 1);
    ck_assert_uint_eq(b->align, 1);
    IrType *h = ir_type_float(m, 16);
    ck_assert_uint_eq(h->size, 2);
    ck_assert_uint_eq(h->align, 2);
    IrType *p = ir_type_ptr(m, b, IR_SPACE_GLOBAL, false);
    ck_assert_uint_eq(p->size, 8);
    ck_assert_uint_eq(p->align, 8);
    IrType *a = ir_type_array(m, ir_type_int(m, 16, true), 3);
    ck_assert_uint_eq(a->size, 6);
    ck_assert_uint_eq(a->align, 2);
    ir_module_free(m);
}
END_TEST

START_TEST(struct_layout)
{
    IrModule *m = ir_module_new("t.claw");
    IrType *st = ir_type_struct(m, "S", at(1, 1));
    const char *names[] = {"a", "b", "c"};
    IrType *types[] = {ir_type_int(m, 8, false), ir_type_float(m, 64), ir_type_int(m, 16, false)};
    ir_type_struct_set_fields(m, st, 3, names, types);
    ck_assert(st->complete);
    ck_assert_int_eq(st->nfields, 3);
    ck_assert_uint_eq(st->fields[0].offset, 0);
    ck_assert_uint_eq(st->fields[1].offset, 8);
    ck_assert_uint_eq(st->fields[2].offset, 16);
    ck_assert_uint_eq(st->size, 24);
    ck_assert_uint_eq(st->align, 8);
    ck_assert_str_eq(st->fields[1].name, "b");

    /* Nested: { u8, S, [u16; 3] }: S at 8 (its alignment), the array at 32,
     * size 38 padded to 40. */
    IrType *outer = ir_type_struct(m, "Outer", at(2, 1));
    const char *onames[] = {"tag", "s", "v"};
    IrType *otypes[] = {ir_type_int(m, 8, false), st, ir_type_array(m, ir_type_int(m, 16, false), 3)};
    ir_type_struct_set_fields(m, outer, 3, onames, otypes);
    ck_assert_uint_eq(outer->fields[1].offset, 8);
    ck_assert_uint_eq(outer->fields[2].offset, 32);
    ck_assert_uint_eq(outer->size, 40);
    ck_assert_uint_eq(outer->align, 8);

    IrType *arr = ir_type_array(m, outer, 3);
    ck_assert_uint_eq(arr->size, 120);
    ck_assert_uint_eq(arr->align, 8);

    /* A layout given by libclang is taken as is. */
    IrType *c = ir_type_struct(m, "CStruct", at(3, 1));
    IrField f[2] = {{"x", ir_type_int(m, 32, true), 0, NULL}, {"y", NULL, 8, "bit-field"}};
    ir_type_struct_set_layout(m, c, 2, f, 16, 8);
    ck_assert_uint_eq(c->size, 16);
    ck_assert_uint_eq(c->fields[1].offset, 8);
    ck_assert_str_eq(c->fields[1].unmappable, "bit-field");
    ir_module_free(m);
}
END_TEST

START_TEST(type_names)
{
    IrModule *m = ir_module_new("t.claw");
    IrType *f32 = ir_type_float(m, 32);
    ck_assert_str_eq(ir_type_name(m, ir_type_int(m, 32, false)), "u32");
    ck_assert_str_eq(ir_type_name(m, ir_type_int(m, 8, true)), "i8");
    ck_assert_str_eq(ir_type_name(m, ir_type_bool(m)), "bool");
    ck_assert_str_eq(ir_type_name(m, ir_type_float(m, 16)), "f16");
    ck_assert_str_eq(ir_type_name(m, ir_type_ptr(m, f32, IR_SPACE_GLOBAL, true)), "*const f32");
    ck_assert_str_eq(ir_type_name(m, ir_type_ptr(m, f32, IR_SPACE_GLOBAL, false)), "*f32");
    ck_assert_str_eq(ir_type_name(m, ir_type_array(m, f32, 4)), "[f32; 4]");
    ck_assert_str_eq(ir_type_name(m, ir_type_struct(m, "Pair", at(1, 1))), "Pair");
    ck_assert_str_eq(
        ir_type_name(m, ir_type_ptr(m, ir_type_array(m, f32, 256), IR_SPACE_SHARED, false)),
        "*shared [f32; 256]");
    ck_assert_str_eq(ir_type_name(m, ir_type_ptr(m, f32, IR_SPACE_PRIVATE, false)), "*private f32");
    ck_assert(ir_type_is_numeric(f32) && ir_type_is_scalar(f32) && !ir_type_is_aggregate(f32));
    ck_assert(ir_type_is_aggregate(ir_type_array(m, f32, 2)));
    ck_assert_int_eq(ir_param_kind(ir_type_ptr(m, f32, IR_SPACE_GLOBAL, false)), IR_PARAM_POINTER);
    ck_assert_int_eq(ir_param_kind(f32), IR_PARAM_SCALAR);
    ir_module_free(m);
}
END_TEST

/* ---- builder and printer --------------------------------------------------- */

/* kernel scale(n: u32, x: *f32) @workgroup(64,1,1):
 *   var acc: f32; let i = global_id.x; if i < n { x[i] = x[i] * 2.5 } ;
 *   loop { break } continuing { } break_if true */
static IrModule *
build_scale(void)
{
    IrModule *m = ir_module_new("scale.claw");
    IrType *u32 = ir_type_int(m, 32, false), *f32 = ir_type_float(m, 32);
    IrParam params[2] = {{"n", u32, at(1, 14)}, {"x", ir_type_ptr(m, f32, IR_SPACE_GLOBAL, false), at(1, 22)}};
    IrFunc *f = ir_func_new(m, "scale", true, ir_type_void(m), 2, params, at(1, 1));
    f->workgroup[0] = 64;
    f->workgroup[1] = f->workgroup[2] = 1;
    IrBuilder b = {.m = m, .f = f, .r = &f->body, .loc = at(2, 5)};
    IrInst *acc = ir_local(&b, f32, "acc");
    b.loc = at(3, 13);
    IrInst *gid = ir_emit(&b, IR_GLOBAL_ID, u32, 0, NULL);
    gid->imm.dim = 0;
    b.loc = at(4, 10);
    IrInst *lt = ir_binop(&b, IR_LT, gid, f->param_values[0]);
    b.loc = at(4, 5);
    IrInst *iff = ir_if(&b, lt);
    b.r = &iff->then_r;
    b.loc = at(5, 9);
    IrInst *p = ir_emit(&b, IR_PTR_ADD, f->param_values[1]->type, 2,
                        (IrInst *[]){f->param_values[1], gid});
    b.loc = (SrcLoc){0};
    IrInst *v = ir_load(&b, p);
    IrInst *two = ir_const_float(&b, f32, 2.5);
    IrInst *prod = ir_binop(&b, IR_MUL, v, two);
    ir_store(&b, p, prod);
    ir_store(&b, acc, prod);
    b.r = &f->body;
    IrInst *loop = ir_loop(&b);
    loop->unroll = 4;
    b.r = &loop->body_r;
    ir_emit(&b, IR_BREAK, NULL, 0, NULL);
    b.r = &loop->cont_r;
    loop->break_if = ir_const_int(&b, ir_type_bool(m), 1);
    b.r = &f->body;
    ir_emit(&b, IR_RETURN, NULL, 0, NULL);
    return m;
}

START_TEST(print_kernel)
{
    IrModule *m = build_scale();
    expect_valid(m);
    char *text = print_text(m);
    const char *want =
        "; claw-ir module \"scale.claw\"\n"
        "\n"
        "kernel @scale(%0 n: u32, %1 x: *f32) workgroup(64, 1, 1) { ; 1:1\n"
        "  %2 = local acc : f32                           ; 2:5\n"
        "  %3 = global_id.x : u32                         ; 3:13\n"
        "  %4 = lt %3, %0 : bool                          ; 4:10\n"
        "  if %4 {                                        ; 4:5\n"
        "    %6 = ptr_add %1, %3 : *f32                   ; 5:9\n"
        "    %7 = load %6 : f32\n"
        "    %8 = const 2.5 : f32\n"
        "    %9 = mul %7, %8 : f32\n"
        "    store %6, %9\n"
        "    store %2, %9\n"
        "  } else {\n"
        "  }\n"
        "  loop unroll(4) {\n"
        "    break\n"
        "  } continuing {\n"
        "    %14 = const true : bool\n"
        "  } break_if %14\n"
        "  return\n"
        "}\n";
    ck_assert_str_eq(text, want);
    free(text);
    ir_module_free(m);
}
END_TEST

START_TEST(print_constants_and_calls)
{
    IrModule *m = ir_module_new("c.claw");
    IrType *f32 = ir_type_float(m, 32), *i32 = ir_type_int(m, 32, true);
    IrShared *tile = ir_shared_new(m, "tile.0", ir_type_array(m, f32, 256), at(3, 5));
    IrParam pp[1] = {{"a", f32, at(1, 9)}};
    IrFunc *g = ir_func_new(m, "twice", false, f32, 1, pp, at(1, 1));
    IrBuilder b = {.m = m, .f = g, .r = &g->body};
    IrInst *s = ir_binop(&b, IR_ADD, g->param_values[0], g->param_values[0]);
    ir_emit(&b, IR_RETURN, NULL, 1, &s);
    IrFunc *k = ir_func_new(m, "k", true, ir_type_void(m), 0, NULL, at(5, 1));
    b = (IrBuilder){.m = m, .f = k, .r = &k->body};
    IrInst *third = ir_const_float(&b, f32, 1.0 / 3.0);
    ir_const_int(&b, i32, (uint64_t)-7);
    ir_const_float(&b, ir_type_float(m, 64), 0.1);
    ir_call(&b, g, 1, &third);
    IrInst *sh = ir_emit(&b, IR_SHARED, ir_type_ptr(m, tile->type, IR_SPACE_SHARED, false), 0, NULL);
    sh->imm.shared = tile;
    ir_emit(&b, IR_RETURN, NULL, 0, NULL);
    expect_valid(m);
    char *text = print_text(m);
    const char *want =
        "; claw-ir module \"c.claw\"\n"
        "shared @tile.0 : [f32; 256]                      ; 3:5\n"
        "\n"
        "fn @twice(%0 a: f32) -> f32 {                    ; 1:1\n"
        "  %1 = add %0, %0 : f32\n"
        "  return %1\n"
        "}\n"
        "\n"
        "kernel @k() {                                    ; 5:1\n"
        "  %0 = const 0.333333343 : f32\n"
        "  %1 = const -7 : i32\n"
        "  %2 = const 0.1 : f64\n"
        "  %3 = call @twice(%0) : f32\n"
        "  %4 = shared @tile.0 : *shared [f32; 256]\n"
        "  return\n"
        "}\n";
    ck_assert_str_eq(text, want);
    free(text);
    ir_module_free(m);
}
END_TEST

START_TEST(const_int_truncates)
{
    IrModule *m = ir_module_new("t.claw");
    IrFunc *f = ir_func_new(m, "k", true, ir_type_void(m), 0, NULL, at(1, 1));
    IrBuilder b = {.m = m, .f = f, .r = &f->body};
    ck_assert_uint_eq(ir_const_int(&b, ir_type_int(m, 8, false), 0x1ff)->imm.i, 0xff);
    ck_assert_uint_eq(ir_const_int(&b, ir_type_int(m, 16, true), (uint64_t)-1)->imm.i, 0xffff);
    ck_assert_uint_eq(ir_const_int(&b, ir_type_int(m, 64, true), (uint64_t)-1)->imm.i, UINT64_MAX);
    ir_module_free(m);
}
END_TEST

/* ---- verifier ------------------------------------------------------------ */

/* A fresh module with one void kernel taking (u32 n, *const f32 src) and a
 * builder positioned in its body. */
typedef struct Fixture {
    IrModule *m;
    IrFunc *f;
    IrBuilder b;
    IrType *u32, *f32;
} Fixture;

static Fixture
fixture(void)
{
    Fixture x;
    x.m = ir_module_new("v.claw");
    x.u32 = ir_type_int(x.m, 32, false);
    x.f32 = ir_type_float(x.m, 32);
    IrParam p[2] = {{"n", x.u32, at(1, 1)}, {"src", ir_type_ptr(x.m, x.f32, IR_SPACE_GLOBAL, true), at(1, 1)}};
    x.f = ir_func_new(x.m, "k", true, ir_type_void(x.m), 2, p, at(1, 1));
    x.b = (IrBuilder){.m = x.m, .f = x.f, .r = &x.f->body};
    return x;
}

START_TEST(verify_wrong_operand_type)
{
    Fixture x = fixture();
    IrInst *c = ir_const_float(&x.b, x.f32, 1.0);
    /* add u32, f32: the builder takes the left type; the verifier objects. */
    ir_binop(&x.b, IR_ADD, x.f->param_values[0], c);
    ir_emit(&x.b, IR_RETURN, NULL, 0, NULL);
    expect_invalid(x.m, "operand 1 has type f32, expected u32");
    ir_module_free(x.m);
}
END_TEST

START_TEST(verify_use_across_regions)
{
    Fixture x = fixture();
    IrInst *cond = ir_binop(&x.b, IR_LT, x.f->param_values[0], x.f->param_values[0]);
    IrInst *iff = ir_if(&x.b, cond);
    x.b.r = &iff->then_r;
    IrInst *inner = ir_const_int(&x.b, x.u32, 3);
    x.b.r = &x.f->body;
    /* `inner` lives in then_r; using it after the IF breaks dominance. */
    ir_binop(&x.b, IR_ADD, inner, inner);
    ir_emit(&x.b, IR_RETURN, NULL, 0, NULL);
    expect_invalid(x.m, "not defined");
    ir_module_free(x.m);
}
END_TEST

START_TEST(verify_break_outside_loop)
{
    Fixture x = fixture();
    ir_emit(&x.b, IR_BREAK, NULL, 0, NULL);
    expect_invalid(x.m, "outside a loop");
    ir_module_free(x.m);
}
END_TEST

START_TEST(verify_missing_return)
{
    Fixture x = fixture();
    IrParam p[1] = {{"a", x.f32, at(1, 1)}};
    IrFunc *g = ir_func_new(x.m, "g", false, x.f32, 1, p, at(2, 1));
    IrBuilder b = {.m = x.m, .f = g, .r = &g->body};
    IrInst *cond = ir_binop(&b, IR_LT, g->param_values[0], g->param_values[0]);
    IrInst *iff = ir_if(&b, cond);
    b.r = &iff->then_r;
    ir_emit(&b, IR_RETURN, NULL, 1, &g->param_values[0]);
    /* else falls through to the end of a function returning f32 */
    expect_invalid(x.m, "control can reach the end");
    ir_module_free(x.m);
}
END_TEST

START_TEST(verify_recursion)
{
    Fixture x = fixture();
    IrFunc *a = ir_func_new(x.m, "a", false, ir_type_void(x.m), 0, NULL, at(2, 1));
    IrFunc *c = ir_func_new(x.m, "c", false, ir_type_void(x.m), 0, NULL, at(3, 1));
    IrBuilder b = {.m = x.m, .f = a, .r = &a->body};
    ir_call(&b, c, 0, NULL);
    b = (IrBuilder){.m = x.m, .f = c, .r = &c->body};
    ir_call(&b, a, 0, NULL);
    ir_call(&x.b, a, 0, NULL);
    expect_invalid(x.m, "recursive");
    ir_module_free(x.m);
}
END_TEST

START_TEST(verify_store_through_const)
{
    Fixture x = fixture();
    IrInst *one = ir_const_float(&x.b, x.f32, 1.0);
    ir_store(&x.b, x.f->param_values[1], one);
    expect_invalid(x.m, "stores through *const f32");
    ir_module_free(x.m);
}
END_TEST

START_TEST(verify_more_broken_modules)
{
    /* terminator in the middle of a region */
    Fixture x = fixture();
    ir_emit(&x.b, IR_RETURN, NULL, 0, NULL);
    ir_const_int(&x.b, x.u32, 1);
    expect_invalid(x.m, "terminator is not the last");
    ir_module_free(x.m);

    /* call with the wrong argument count */
    x = fixture();
    IrParam p[1] = {{"a", x.f32, at(1, 1)}};
    IrFunc *g = ir_func_new(x.m, "g", false, ir_type_void(x.m), 1, p, at(2, 1));
    IrBuilder b = {.m = x.m, .f = g, .r = &g->body};
    ir_emit(&b, IR_RETURN, NULL, 0, NULL);
    ir_call(&x.b, g, 0, NULL);
    expect_invalid(x.m, "0 arguments, @g takes 1");
    ir_module_free(x.m);

    /* field index out of range, wrong operand count, non-bool condition */
    x = fixture();
    IrType *st = ir_type_struct(x.m, "P", at(1, 1));
    const char *names[] = {"a"};
    ir_type_struct_set_fields(x.m, st, 1, names, &x.f32);
    IrInst *z = ir_emit(&x.b, IR_ZERO, st, 0, NULL);
    IrInst *e = ir_emit(&x.b, IR_EXTRACT, x.f32, 1, &z);
    e->imm.index = 3;
    ir_emit(&x.b, IR_ADD, x.u32, 1, &x.f->param_values[0]);
    ir_if(&x.b, x.f->param_values[0]);
    Buf err = {0};
    ck_assert(!ir_verify(x.m, &err));
    buf_append(&err, "", 1);
    ck_assert_msg(strstr((char *)err.data, "no element 3 in P"), "%s", (char *)err.data);
    ck_assert_msg(strstr((char *)err.data, "1 operands, expected 2"), "%s", (char *)err.data);
    ck_assert_msg(strstr((char *)err.data, "condition has type u32"), "%s", (char *)err.data);
    buf_free(&err);
    ir_module_free(x.m);

    /* atomics only on writable global/shared pointers of allowed types */
    x = fixture();
    IrInst *one = ir_const_float(&x.b, x.f32, 1.0);
    ir_emit(&x.b, IR_ATOMIC_MAX, x.f32, 2, (IrInst *[]){x.f->param_values[1], one});
    expect_invalid(x.m, "writable global or shared pointer");
    ir_module_free(x.m);

    /* break_if not defined in cont_r */
    x = fixture();
    IrInst *t = ir_const_int(&x.b, ir_type_bool(x.m), 1);
    IrInst *loop = ir_loop(&x.b);
    loop->break_if = t;
    expect_invalid(x.m, "not defined in the continuing region");
    ir_module_free(x.m);

    /* an instruction placed twice must not send the verifier into a loop */
    x = fixture();
    IrInst *c = ir_binop(&x.b, IR_LT, x.f->param_values[0], x.f->param_values[0]);
    IrInst *iff = ir_if(&x.b, c);
    ir_region_append(&iff->then_r, iff);
    expect_invalid(x.m, "appears twice");
    ir_module_free(x.m);
}
END_TEST

/* ---- passes -------------------------------------------------------------- */

START_TEST(passes_keep_valid_and_remove_dead)
{
    Fixture x = fixture();
    IrInst *dead = ir_binop(&x.b, IR_ADD, x.f->param_values[0], x.f->param_values[0]);
    ir_binop(&x.b, IR_MUL, dead, dead); /* dead too, once its user goes */
    IrInst *ret = ir_emit(&x.b, IR_RETURN, NULL, 0, NULL);
    ir_const_int(&x.b, x.u32, 9); /* unreachable */
    ir_run_passes(x.m, 0);
    expect_valid(x.m);
    ck_assert_int_eq(x.f->body.len, 1);
    ck_assert_ptr_eq(x.f->body.insts[0], ret);
    ir_module_free(x.m);

    IrModule *m = build_scale();
    ir_run_passes(m, 2);
    expect_valid(m);
    char *text = print_text(m);
    ck_assert_msg(strstr(text, "store %6, %9"), "%s", text);
    free(text);
    ir_module_free(m);
}
END_TEST

/* ir_polyfill guards integer divisors and masks shift amounts once, inside
 * nested regions too, and leaves what needs no guard alone. */
START_TEST(polyfill_int_rules)
{
    Fixture x = fixture();
    IrType *i32 = ir_type_int(x.m, 32, true);
    IrInst *n = x.f->param_values[0];
    IrInst *sn = ir_cast(&x.b, n, i32);
    IrInst *keep = ir_local(&x.b, i32, "keep");
    IrInst *div = ir_binop(&x.b, IR_DIV, sn, sn);                      /* signed: 0 and MIN/-1 */
    ir_store(&x.b, keep, div);
    IrInst *udiv = ir_binop(&x.b, IR_REM, n, ir_const_int(&x.b, x.u32, 16)); /* constant: as is */
    IrInst *ukeep = ir_local(&x.b, x.u32, "ukeep");
    ir_store(&x.b, ukeep, udiv);
    IrInst *iff = ir_if(&x.b, ir_binop(&x.b, IR_EQ, n, n));
    IrRegion *saved = x.b.r;
    x.b.r = &iff->then_r;
    IrInst *shl = ir_binop(&x.b, IR_SHL, n, n);                        /* nested: masked */
    ir_store(&x.b, ukeep, shl);
    IrInst *shr = ir_binop(&x.b, IR_SHR, n, ir_const_int(&x.b, x.u32, 33)); /* 33 -> 1 */
    ir_store(&x.b, ukeep, shr);
    x.b.r = saved;
    ir_emit(&x.b, IR_RETURN, NULL, 0, NULL);
    ir_polyfill(x.m, IR_PF_INT_DIV | IR_PF_SHIFT);
    expect_valid(x.m);
    ck_assert_int_eq(div->ops[1]->op, IR_SELECT);
    IrInst *bad = div->ops[1]->ops[0];
    ck_assert_int_eq(bad->op, IR_OR); /* d == 0 | (x == MIN & d == -1) */
    ck_assert_int_eq(bad->ops[1]->op, IR_AND);
    ck_assert_uint_eq(div->ops[1]->ops[1]->imm.i, 1);
    ck_assert_int_eq(udiv->ops[1]->op, IR_CONST);
    ck_assert_uint_eq(udiv->ops[1]->imm.i, 16);
    ck_assert_int_eq(shl->ops[1]->op, IR_AND);
    ck_assert_uint_eq(shl->ops[1]->ops[1]->imm.i, 31);
    ck_assert_int_eq(shr->ops[1]->op, IR_CONST);
    ck_assert_uint_eq(shr->ops[1]->imm.i, 1);
    /* the guard sits right before its division, in the same region */
    int at = -1;
    for (int i = 0; i < x.f->body.len; i++)
        if (x.f->body.insts[i] == div)
            at = i;
    ck_assert_int_gt(at, 0);
    ck_assert_ptr_eq(x.f->body.insts[at - 1], div->ops[1]);
    /* a second call (the next target) writes nothing again */
    uint32_t ids = x.f->next_id;
    ir_polyfill(x.m, IR_PF_INT_DIV | IR_PF_SHIFT);
    ck_assert_uint_eq(x.f->next_id, ids);
    ck_assert_int_eq(div->ops[1]->ops[2]->op, IR_CAST);
    ir_module_free(x.m);
}
END_TEST

/* Folds `op` on two constants of type t and returns the folded value. */
static uint64_t
fold(IrOp op, IrType *(*mk)(IrModule *), uint32_t bits, bool is_signed, uint64_t a, uint64_t c,
     bool *folded)
{
    Fixture x = fixture();
    IrType *t = mk ? mk(x.m) : ir_type_int(x.m, bits, is_signed);
    IrInst *ca = ir_const_int(&x.b, t, a), *cc = ir_const_int(&x.b, t, c);
    IrInst *r = ir_binop(&x.b, op, ca, cc);
    IrInst *addr = ir_local(&x.b, r->type, "keep");
    ir_store(&x.b, addr, r);
    ir_run_passes(x.m, 1);
    expect_valid(x.m);
    *folded = r->op == IR_CONST;
    uint64_t v = r->imm.i;
    ir_module_free(x.m);
    return v;
}

START_TEST(constant_folding_wraps)
{
    bool ok;
    ck_assert_uint_eq(fold(IR_ADD, NULL, 8, false, 250, 10, &ok), 4);
    ck_assert(ok);
    ck_assert_uint_eq(fold(IR_MUL, NULL, 16, true, 300, 300, &ok), (uint64_t)(90000 & 0xffff));
    ck_assert_uint_eq(fold(IR_DIV, NULL, 32, true, 0x80000000u, 0xffffffffu, &ok), 0x80000000u);
    ck_assert(ok);
    ck_assert_uint_eq(fold(IR_REM, NULL, 64, true, (uint64_t)INT64_MIN, UINT64_MAX, &ok), 0);
    ck_assert_uint_eq(fold(IR_DIV, NULL, 32, true, (uint32_t)-7, 2, &ok), (uint32_t)-3);
    ck_assert_uint_eq(fold(IR_REM, NULL, 32, true, (uint32_t)-7, 2, &ok), (uint32_t)-1);
    ck_assert_uint_eq(fold(IR_SHR, NULL, 8, true, 0x80, 33, &ok), 0xc0); /* 33 mod 8 == 1 */
    ck_assert_uint_eq(fold(IR_SHR, NULL, 8, false, 0x80, 1, &ok), 0x40);
    ck_assert_uint_eq(fold(IR_SHL, NULL, 32, false, 1, 35, &ok), 8);
    ck_assert_uint_eq(fold(IR_LT, NULL, 32, true, (uint32_t)-1, 1, &ok), 1);
    ck_assert_uint_eq(fold(IR_LT, NULL, 32, false, (uint32_t)-1, 1, &ok), 0);
    fold(IR_DIV, NULL, 32, false, 5, 0, &ok);
    ck_assert(!ok); /* x / 0 is left to the target */
    fold(IR_REM, NULL, 32, true, 5, 0, &ok);
    ck_assert(!ok);
}
END_TEST

/* ---- kernel metadata ------------------------------------------------------- */

START_TEST(shared_bytes_through_calls)
{
    IrModule *m = ir_module_new("s.claw");
    IrShared *s0 = ir_shared_new(m, "flag", ir_type_int(m, 8, false), at(1, 1));
    IrShared *s1 = ir_shared_new(m, "acc", ir_type_float(m, 64), at(2, 1));
    IrShared *s2 = ir_shared_new(m, "unused", ir_type_array(m, ir_type_float(m, 32), 3), at(3, 1));
    IrFunc *h = ir_func_new(m, "helper", false, ir_type_void(m), 0, NULL, at(4, 1));
    IrFunc *k = ir_func_new(m, "k", true, ir_type_void(m), 0, NULL, at(6, 1));
    IrBuilder b = {.m = m, .f = h, .r = &h->body};
    IrInst *a = ir_emit(&b, IR_SHARED, ir_type_ptr(m, s1->type, IR_SPACE_SHARED, false), 0, NULL);
    a->imm.shared = s1;
    ir_store(&b, a, ir_const_float(&b, s1->type, 0.0));
    b = (IrBuilder){.m = m, .f = k, .r = &k->body};
    IrInst *fl = ir_emit(&b, IR_SHARED, ir_type_ptr(m, s0->type, IR_SPACE_SHARED, false), 0, NULL);
    fl->imm.shared = s0;
    ir_store(&b, fl, ir_const_int(&b, s0->type, 1));
    IrInst *iff = ir_if(&b, ir_const_int(&b, ir_type_bool(m), 1));
    b.r = &iff->then_r;
    ir_call(&b, h, 0, NULL);
    expect_valid(m);
    /* flag at 0 (1 byte), acc aligned to 8: 8 + 8. */
    ck_assert_uint_eq(ir_kernel_shared_bytes(m, k), 16);
    ck_assert_uint_eq(ir_kernel_shared_bytes(m, h), 8);
    ck_assert(ir_func_uses_shared(m, k, s1));
    ck_assert(!ir_func_uses_shared(m, k, s2));
    ck_assert(!ir_func_uses_shared(m, h, s0));
    ir_module_free(m);
}
END_TEST

/* ---- reading files (ir/arena.c) ----------------------------------------- */

/* The whole file, NUL bytes and all (a NUL inside a .claw file is the
 * lexer's to report, so reading must not stop at one), plus a terminator
 * that *len does not count; NULL for a file that does not exist. */
START_TEST(buf_read_file_whole)
{
    char path[] = "/tmp/test_ir_read_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    static const char text[] = "kernel k()\0{}\n";
    ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    size_t len = 99;
    char *got = buf_read_file(path, &len);
    unlink(path);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, sizeof text - 1);
    ck_assert_mem_eq(got, text, sizeof text);
    free(got);
    len = 99;
    ck_assert_ptr_null(buf_read_file("/nonexistent/test_ir.claw", &len));
    ck_assert_uint_eq(len, 99);
}
END_TEST

/* ---- arena, vectors and buffers (ir/arena.c) ------------------------------ */

/* Allocations are zeroed, 16-byte aligned and distinct, small and large
 * alike (a large one gets a chunk of its own without losing the current
 * chunk's space); strings are copied. */
START_TEST(arena_allocations)
{
    Arena *a = arena_new();
    unsigned char *prev = NULL;
    for (size_t n = 1; n < 70000; n = n * 3 + 1) {
        unsigned char *p = arena_alloc(a, n);
        ck_assert_uint_eq((uintptr_t)p % 16, 0);
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(p[i], 0);
        memset(p, 0xee, n);
        ck_assert_ptr_ne(p, prev);
        prev = p;
    }
    unsigned char *small = arena_alloc(a, 8);
    ck_assert_uint_eq(small[0] | small[7], 0);
    char src[] = "kernel";
    char *copy = arena_strdup(a, src);
    src[0] = 'X';
    ck_assert_str_eq(copy, "kernel");
    ck_assert_str_eq(arena_strndup(a, "abcdef", 3), "abc");
    ck_assert_str_eq(arena_printf(a, "%s:%d", "f.claw", 12), "f.claw:12");
    arena_free(a);
}
END_TEST

/* A PtrVec keeps every element in order across growth; a Buf formats past
 * its small stack buffer and writes words little-endian. */
START_TEST(vectors_and_buffers)
{
    Arena *a = arena_new();
    PtrVec v = {0};
    for (intptr_t i = 0; i < 1000; i++)
        ptrvec_push(a, &v, (void *)(i + 1));
    ck_assert_int_eq(v.len, 1000);
    for (intptr_t i = 0; i < 1000; i++)
        ck_assert_ptr_eq(v.data[i], (void *)(i + 1));
    arena_free(a);

    Buf b = {0};
    buf_u32(&b, 0x07230203u);
    static const unsigned char magic[] = {0x03, 0x02, 0x23, 0x07};
    ck_assert_mem_eq(b.data, magic, 4);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    buf_printf(&b, "%s|%d", big, 42);
    ck_assert_uint_eq(b.len, 4 + 599 + 3);
    ck_assert_mem_eq(b.data + 4 + 599, "|42", 3);
    buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

static Suite *
ir_suite(void)
{
    Suite *s = suite_create("ir");
    TCase *tc = tcase_create("ir");
    tcase_add_test(tc, types_are_interned);
    tcase_add_test(tc, scalar_layout);
    tcase_add_test(tc, struct_layout);
    tcase_add_test(tc, type_names);
    tcase_add_test(tc, print_kernel);
    tcase_add_test(tc, print_constants_and_calls);
    tcase_add_test(tc, const_int_truncates);
    tcase_add_test(tc, verify_wrong_operand_type);
    tcase_add_test(tc, verify_use_across_regions);
    tcase_add_test(tc, verify_break_outside_loop);
    tcase_add_test(tc, verify_missing_return);
    tcase_add_test(tc, verify_recursion);
    tcase_add_test(tc, verify_store_through_const);
    tcase_add_test(tc, verify_more_broken_modules);
    tcase_add_test(tc, passes_keep_valid_and_remove_dead);
    tcase_add_test(tc, constant_folding_wraps);
    tcase_add_test(tc, polyfill_int_rules);
    tcase_add_test(tc, shared_bytes_through_calls);
    tcase_add_test(tc, buf_read_file_whole);
    tcase_add_test(tc, arena_allocations);
    tcase_add_test(tc, vectors_and_buffers);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(ir_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
