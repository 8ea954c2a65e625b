/* test_ir_read.c: unit tests of the Claw IR reader (ir/read.c): the text
 * of docs/ir.md reads back into the module the printer saw (ids, locations,
 * layouts, order) and prints again byte for byte; every prefix and many
 * one-byte corruptions of a valid text give a module or exactly one error at
 * a position inside the text, never a crash. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

typedef struct Errors {
    int count;
    uint32_t line, col;
    char msg[512];
} Errors;

static void
on_error(void *ctx, uint32_t line, uint32_t col, const char *msg)
{
    Errors *e = ctx;
    if (e->count++ == 0) {
        e->line = line;
        e->col = col;
        snprintf(e->msg, sizeof e->msg, "%s", msg);
    }
}

static IrModule *
read_text(const char *text, size_t len, Errors *e)
{
    memset(e, 0, sizeof *e);
    return ir_read(text, len, 1, on_error, e);
}

static char *
print_text(IrModule *m)
{
    Buf b = {0};
    ir_print_module(m, &b);
    buf_append(&b, "", 1);
    return (char *)b.data;
}

/* Output of the printer (the kernel of test_ir.c's print_kernel, a device
 * function, a struct and a shared variable). */
static const char module_text[] =
    "; claw-ir module \"dir/scale.claw\"\n"
    "struct Pair { key: u32 @0, value: f32 @4 } size 8 align 4 ; 1:8\n"
    "struct Outer { p: [Pair; 2] @0, tag: u8 @16 } size 20 align 4 ; 2:8\n"
    "shared @tile.0 : [f32; 256]                      ; 3:5\n"
    "\n"
    "fn @twice(%0 a: f32) -> f32 {                    ; 4:4\n"
    "  %1 = add %0, %0 : f32                          ; 5:12\n"
    "  return %1                                      ; 5:5\n"
    "}\n"
    "\n"
    "kernel @scale(%0 n: u32, %1 x: *f32, %2 o: Outer) workgroup(64, 1, 1) { ; 7:8\n"
    "  %3 = local acc : f32                           ; 8:5\n"
    "  %4 = global_id.x : u32                         ; 9:13\n"
    "  %5 = lt %4, %0 : bool                          ; 10:10\n"
    "  if %5 {                                        ; 10:5\n"
    "    %7 = ptr_add %1, %4 : *f32                   ; 11:9\n"
    "    %8 = load %7 : f32\n"
    "    %9 = const 2.5 : f32\n"
    "    %10 = mul %8, %9 : f32\n"
    "    %11 = call @twice(%10) : f32\n"
    "    store %7, %11\n"
    "    store %3, %11\n"
    "  } else {\n"
    "  }\n"
    "  %14 = shared @tile.0 : *shared [f32; 256]\n"
    "  %15 = elem_ptr %14, %4 : *shared f32\n"
    "  %16 = load %3 : f32\n"
    "  store %15, %16\n"
    "  %18 = extract %2, 0 : [Pair; 2]\n"
    "  loop unroll(4) {                               ; 12:5\n"
    "    barrier\n"
    "    break\n"
    "  } continuing {\n"
    "    %21 = const true : bool\n"
    "  } break_if %21\n"
    "  return\n"
    "}\n";

START_TEST(read_is_a_fixed_point)
{
    Errors e;
    IrModule *m = read_text(module_text, strlen(module_text), &e);
    ck_assert_msg(m != NULL, "%u:%u: %s", e.line, e.col, e.msg);
    ck_assert_int_eq(e.count, 0);
    char *text = print_text(m);
    ck_assert_str_eq(text, module_text);
    free(text);

    ck_assert_str_eq(m->source_name, "dir/scale.claw");
    ck_assert_int_eq(m->funcs.len, 2);
    IrFunc *k = m->funcs.data[1];
    ck_assert(k->is_kernel);
    ck_assert_uint_eq(k->workgroup[0], 64);
    ck_assert_uint_eq(k->loc.line, 7);
    ck_assert_uint_eq(k->loc.col, 8);
    /* printed ids stay; the unprinted ones (if, stores, loop, ...) come after */
    ck_assert_uint_eq(k->locals.len, 1);
    ck_assert_uint_eq(((IrInst *)k->locals.data[0])->id, 3);
    ck_assert_uint_ge(k->next_id, 22);
    IrInst *loop = k->body.insts[k->body.len - 2];
    ck_assert_int_eq(loop->op, IR_LOOP);
    ck_assert_int_eq(loop->unroll, 4);
    ck_assert_uint_eq(loop->break_if->id, 21);
    ck_assert_uint_eq(loop->loc.line, 12);
    /* layouts as written */
    IrType *outer = k->params[2].type;
    ck_assert_uint_eq(outer->size, 20);
    ck_assert_uint_eq(outer->fields[1].offset, 16);
    ck_assert_uint_eq(outer->fields[0].type->size, 16);
    ir_module_free(m);
}
END_TEST

/* Every prefix of a valid text is a module or one error inside the text. */
START_TEST(every_prefix_is_safe)
{
    size_t n = strlen(module_text);
    uint32_t lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += module_text[i] == '\n';
    for (size_t len = 0; len <= n; len++) {
        char *copy = malloc(len + 1); /* exactly len bytes: an over-read trips ASan */
        memcpy(copy, module_text, len);
        Errors e;
        IrModule *m = read_text(copy, len, &e);
        if (m) {
            ck_assert_int_eq(e.count, 0);
            ir_module_free(m);
        } else {
            ck_assert_msg(e.count >= 1, "prefix %zu: NULL without an error", len);
            ck_assert_msg(e.line <= lines, "prefix %zu: error at line %u", len, e.line);
            ck_assert(e.msg[0]);
        }
        free(copy);
    }
}
END_TEST

/* Each byte replaced by a few troublesome ones. */
START_TEST(corrupted_bytes_are_safe)
{
    static const char subst[] = {0, '\n', '}', '{', '%', '"', ';', '9', ':', '\\', (char)0xff};
    size_t n = strlen(module_text);
    char *copy = malloc(n);
    int accepted = 0, refused = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof subst; k++) {
            memcpy(copy, module_text, n);
            copy[i] = subst[k];
            Errors e;
            IrModule *m = read_text(copy, n, &e);
            if (m) {
                accepted++;
                ir_module_free(m);
            } else {
                ck_assert_msg(e.count >= 1, "byte %zu -> %d: NULL without an error", i, subst[k]);
                refused++;
            }
        }
    }
    free(copy);
    ck_assert_int_gt(refused, accepted); /* most corruptions are errors */
}
END_TEST

/* The first error stops the read: one call, at the right place. */
START_TEST(one_error_at_its_position)
{
    static const char text[] = "; claw-ir module \"t.claw\"\n"
                               "kernel @k(%0 o: *u32) {\n"
                               "  store %0, %7\n"
                               "  store %0, %8\n"
                               "}\n";
    Errors e;
    ck_assert_ptr_null(read_text(text, sizeof text - 1, &e));
    ck_assert_int_eq(e.count, 1);
    ck_assert_uint_eq(e.line, 3);
    ck_assert_uint_eq(e.col, 13);
    ck_assert_str_eq(e.msg, "use of undefined value %7");
}
END_TEST

/* Quoted names, exotic constants and a struct spelled like a type. */
START_TEST(names_and_constants_round_trip)
{
    IrModule *m = ir_module_new("we\"ird\\name\x01.claw");
    IrType *f32 = ir_type_float(m, 32), *f64 = ir_type_float(m, 64);
    IrType *st = ir_type_struct(m, "f32", (SrcLoc){1, 1, 1});
    const char *names[] = {"with space"};
    ir_type_struct_set_fields(m, st, 1, names, &f32);
    IrType *pst = ir_type_ptr(m, st, IR_SPACE_GLOBAL, false);
    IrParam ps[2] = {{"o", ir_type_ptr(m, f64, IR_SPACE_GLOBAL, false), {0}}, {"s", pst, {0}}};
    IrFunc *f = ir_func_new(m, "k", true, NULL, 2, ps, (SrcLoc){1, 2, 1});
    IrBuilder b = {.m = m, .f = f, .r = &f->body};
    uint64_t bits = UINT64_C(0x7ff0000000000123);
    double nan_payload;
    memcpy(&nan_payload, &bits, sizeof nan_payload);
    double vals[] = {nan_payload, -0.0, 1.0 / 0.0, 5e-324, 0.1};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        ir_store(&b, f->param_values[0], ir_const_float(&b, f64, vals[i]));
    ir_emit(&b, IR_RETURN, NULL, 0, NULL);
    char *first = print_text(m);
    Errors e;
    IrModule *back = read_text(first, strlen(first), &e);
    ck_assert_msg(back != NULL, "%u:%u: %s\n%s", e.line, e.col, e.msg, first);
    char *second = print_text(back);
    ck_assert_str_eq(first, second);
    ck_assert_str_eq(back->source_name, m->source_name);
    IrFunc *g = back->funcs.data[0];
    double got = g->body.insts[0]->imm.f;
    ck_assert(memcmp(&got, &nan_payload, sizeof got) == 0);
    ck_assert(strstr(first, "struct \"f32\" { \"with space\": f32 @0 }"));
    free(first);
    free(second);
    ir_module_free(back);
    ir_module_free(m);
}
END_TEST

static Suite *
ir_read_suite(void)
{
    Suite *s = suite_create("ir_read");
    TCase *tc = tcase_create("ir_read");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, read_is_a_fixed_point);
    tcase_add_test(tc, every_prefix_is_safe);
    tcase_add_test(tc, corrupted_bytes_are_safe);
    tcase_add_test(tc, one_error_at_its_position);
    tcase_add_test(tc, names_and_constants_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(ir_read_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
