/* test_lex.c: unit tests of the lexer (docs/language.md §1), of the parser's
 * precedence and recovery rules (§4, §5) and of the diagnostics counters.
 *
 * Each test lexes or parses a small string registered as its own file and
 * checks token kinds, literal values, locations and the number of errors
 * reported (diag_error_count deltas; the diagnostics themselves go to
 * stderr and are checked by the lit tests in tests/lit/syntax/). */
#include <check.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/front.h"

static Arena *arena;

static void
setup(void)
{
    arena = arena_new();
}

static void
teardown(void)
{
    arena_free(arena);
}

/* Lexes len bytes of s (which may contain NULs). */
static Token *
lex_n(const char *s, size_t len, int *n)
{
    uint32_t f = diag_add_file("<test>", s, len);
    return lex_file(arena, f, s, len, n);
}

static Token *
lex(const char *s, int *n)
{
    return lex_n(s, strlen(s), n);
}

/* Lexes s and checks that it produces exactly the given kinds then EOF. */
static void
check_kinds(const char *s, const TokenKind *kinds, int nkinds)
{
    int n;
    Token *t = lex(s, &n);
    ck_assert_int_eq(n, nkinds + 1);
    for (int i = 0; i < nkinds; i++)
        ck_assert_msg(t[i].kind == kinds[i], "%s: token %d is %s, expected %s", s, i,
                      lex_token_name(t[i].kind), lex_token_name(kinds[i]));
    ck_assert_int_eq(t[nkinds].kind, TK_EOF);
}

START_TEST(test_keywords)
{
    static const char *words[] = {"as",     "break",  "const",  "continue", "else",   "false",
                                  "fn",     "for",    "if",     "import",   "kernel", "let",
                                  "return", "shared", "struct", "true",     "var",    "while"};
    static const TokenKind kinds[] = {TK_AS,     TK_BREAK, TK_CONST,  TK_CONTINUE, TK_ELSE,
                                      TK_FALSE,  TK_FN,    TK_FOR,    TK_IF,       TK_IMPORT,
                                      TK_KERNEL, TK_LET,   TK_RETURN, TK_SHARED,   TK_STRUCT,
                                      TK_TRUE,   TK_VAR,   TK_WHILE};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        check_kinds(words[i], &kinds[i], 1);
    /* Keywords are whole words only; `in` and `step` are contextual keywords
     * that the parser recognises in a `for` header, identifiers to the lexer. */
    static const TokenKind ids[] = {TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT};
    check_kinds("lets iff _fn f32 in step", ids, 6);
    ck_assert_int_eq(diag_error_count(), 0);
}
END_TEST

START_TEST(test_punctuation)
{
    static const TokenKind kinds[] = {
        TK_SHL_EQ,   TK_SHR_EQ,  TK_SHL,      TK_SHR,        TK_LE,     TK_GE,      TK_LT,
        TK_GT,       TK_EQ,      TK_NE,       TK_ASSIGN,     TK_BANG,   TK_ANDAND,  TK_OROR,
        TK_AMP,      TK_PIPE,    TK_ARROW,    TK_MINUS,      TK_DOTDOT, TK_DOT,     TK_PLUS_EQ,
        TK_MINUS_EQ, TK_STAR_EQ, TK_SLASH_EQ, TK_PERCENT_EQ, TK_AMP_EQ, TK_PIPE_EQ, TK_CARET_EQ,
        TK_AT,       TK_TILDE,   TK_CARET,    TK_PERCENT,
    };
    check_kinds(
        "<<= >>= << >> <= >= < > == != = ! && || & | -> - .. . += -= *= /= %= &= |= ^= @ ~ ^ %",
        kinds, (int)(sizeof kinds / sizeof kinds[0]));
    ck_assert_int_eq(diag_error_count(), 0);
}
END_TEST

START_TEST(test_int_literals)
{
    static const struct {
        const char *text;
        uint64_t value;
        LitSuffix suffix;
    } cases[] = {
        {"42", 42, SUF_NONE},
        {"0x2A", 42, SUF_NONE},
        {"0X2a", 42, SUF_NONE},
        {"0b101010", 42, SUF_NONE},
        {"1_000_000", 1000000, SUF_NONE},
        {"0x_ff_ff", 0xffff, SUF_NONE},
        {"42u32", 42, SUF_U32},
        {"7i64", 7, SUF_I64},
        {"1u8", 1, SUF_U8},
        {"42u", 42, SUF_U32},
        {"42i", 42, SUF_I32},
        {"3i8", 3, SUF_I8},
        {"3i16", 3, SUF_I16},
        {"3u16", 3, SUF_U16},
        {"3i32", 3, SUF_I32},
        {"1_u64", 1, SUF_U64},
        {"0xFFu64", 255, SUF_U64},
        {"18446744073709551615", UINT64_MAX, SUF_NONE},
        {"0xffffffffffffffff", UINT64_MAX, SUF_NONE},
        {"007", 7, SUF_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n;
        Token *t = lex(cases[i].text, &n);
        ck_assert_msg(n == 2 && t[0].kind == TK_INT, "%s is not one integer", cases[i].text);
        ck_assert_msg(t[0].ival == cases[i].value, "%s has value %llu", cases[i].text,
                      (unsigned long long)t[0].ival);
        ck_assert_int_eq(t[0].suffix, cases[i].suffix);
        ck_assert_uint_eq(t[0].len, strlen(cases[i].text));
    }
    ck_assert_int_eq(diag_error_count(), 0);
}
END_TEST

START_TEST(test_float_literals)
{
    static const struct {
        const char *text;
        double value;
        LitSuffix suffix;
    } cases[] = {
        {"1.0", 1.0, SUF_NONE},
        {"1e-3", 1e-3, SUF_NONE},
        {"2.5e+4", 2.5e4, SUF_NONE},
        {"2.5E4", 2.5e4, SUF_NONE},
        {"0x1.8p3", 12.0, SUF_NONE},
        {"0x1p-2", 0.25, SUF_NONE},
        {"0X1.8P3", 12.0, SUF_NONE},
        {"0x.8p1", 1.0, SUF_NONE},
        {"0x1.fffffffffffffp1023", DBL_MAX, SUF_NONE},
        {"0x1p-1074", 0x1p-1074, SUF_NONE},
        {"0x1.000000000000080000000001p0", 0x1.0000000000001p0,
         SUF_NONE}, /* rounds up: exact parse */
        {"1.5f16", 1.5, SUF_F16},
        {"1.5f32", 1.5, SUF_F32},
        {"1.5f64", 1.5, SUF_F64},
        {"2f32", 2.0, SUF_F32},
        {"1_0.2_5", 10.25, SUF_NONE},
        {"1.", 1.0, SUF_NONE},
        {"0.1", 0.1, SUF_NONE},
        {"3.0e-2f32", 0.03, SUF_F32},
        {"0x1.8p3f32", 12.0, SUF_F32},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n;
        Token *t = lex(cases[i].text, &n);
        ck_assert_msg(n == 2 && t[0].kind == TK_FLOAT, "%s is not one float", cases[i].text);
        ck_assert_msg(t[0].fval == cases[i].value, "%s has value %a", cases[i].text, t[0].fval);
        ck_assert_int_eq(t[0].suffix, cases[i].suffix);
    }
    ck_assert_int_eq(diag_error_count(), 0);
}
END_TEST

/* A '.' followed by '.' never belongs to a number (§1), and `1.x` is a
 * field access as in Rust. */
START_TEST(test_ranges_and_dots)
{
    static const TokenKind range[] = {TK_INT, TK_DOTDOT, TK_INT};
    check_kinds("0..6", range, 3);
    check_kinds("0x1..0b1", range, 3);
    static const TokenKind frange[] = {TK_FLOAT, TK_DOTDOT, TK_INT};
    check_kinds("1.5..6", frange, 3);
    static const TokenKind field[] = {TK_INT, TK_DOT, TK_IDENT};
    check_kinds("1.x", field, 3);
    check_kinds("1.e3", field, 3);
    static const TokenKind fl[] = {TK_FLOAT, TK_RPAREN};
    check_kinds("1.)", fl, 2);
    int n;
    Token *t = lex("0..6", &n);
    ck_assert_int_eq(t[0].ival, 0);
    ck_assert_int_eq(t[2].ival, 6);
    ck_assert_int_eq(t[2].loc.col, 4);
    ck_assert_int_eq(diag_error_count(), 0);
}
END_TEST

START_TEST(test_comments_and_locations)
{
    int n;
    Token *t = lex("a // one\n  b /* two\nlines */ c\n\td", &n);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(t[0].loc.line, 1);
    ck_assert_int_eq(t[0].loc.col, 1);
    ck_assert_int_eq(t[1].loc.line, 2);
    ck_assert_int_eq(t[1].loc.col, 3);
    ck_assert_int_eq(t[2].loc.line, 3);
    ck_assert_int_eq(t[2].loc.col, 10);
    ck_assert_int_eq(t[3].loc.line, 4);
    ck_assert_int_eq(t[3].loc.col, 2); /* byte columns: a tab is one */
    ck_assert_int_eq(t[4].kind, TK_EOF);
    ck_assert_int_eq(t[4].loc.col, 3);
    /* Block comments do not nest: the first star-slash ends them. */
    t = lex("/* a /* b */ c */", &n);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(t[0].kind, TK_IDENT);
    ck_assert_int_eq(t[1].kind, TK_STAR);
    ck_assert_int_eq(t[2].kind, TK_SLASH);
    /* Non-ASCII and NUL bytes are fine inside comments. */
    static const char c[] = "x // caf\xc3\xa9 \0 \n/* \xff\0 */ y";
    t = lex_n(c, sizeof c - 1, &n);
    ck_assert_int_eq(n, 3);
    /* EOF after a final newline is at column 1 of the next line. */
    t = lex("a\n", &n);
    ck_assert_int_eq(t[1].loc.line, 2);
    ck_assert_int_eq(t[1].loc.col, 1);
    ck_assert_int_eq(diag_error_count(), 0);
}
END_TEST

START_TEST(test_strings)
{
    int n;
    Token *t = lex("import \"dir/a\\\"b\\\\c\\n.h\";", &n);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(t[1].kind, TK_STRING);
    ck_assert_str_eq(t[1].str, "dir/a\"b\\c\n.h");
    ck_assert_int_eq(diag_error_count(), 0);
    t = lex("\"abc\ndef\"", &n);             /* unterminated at the line end */
    ck_assert_int_eq(diag_error_count(), 2); /* and again for the second line's quote */
    t = lex("\"a\\qb\"", &n);
    ck_assert_int_eq(diag_error_count(), 3);
    ck_assert_int_eq(t[0].kind, TK_STRING);
}
END_TEST

/* Each malformed input gets exactly one error and still lexes to a stream
 * that ends with EOF. */
START_TEST(test_bad_input)
{
    static const struct {
        const char *text;
        size_t len;
        int ntoks; /* without EOF */
    } cases[] = {
        {"18446744073709551616", 20, 1},
        {"0x1_0000_0000_0000_0000", 23, 1},
        {"a $$$ b", 7, 2},
        {"a # b", 5, 2},
        {"caf\xc3\xa9 x", 7, 2},
        {"a\0\0b", 4, 2},
        {"\xff\xfe", 2, 0},
        {"x /* never closed", 17, 1},
        {"__reserved", 10, 1},
        {"1u7", 3, 1},
        {"1.5u32", 6, 1},
        {"0x", 2, 1},
        {"0b102", 5, 1},
        {"0x1.8", 5, 1},
        {"1e+", 3, 1},
        {"1e99999", 7, 1},
        {"0x1f16.0", 8, 1},
        {"\"abc", 4, 1},
        {"`'?\\", 4, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int before = diag_error_count(), n;
        Token *t = lex_n(cases[i].text, cases[i].len, &n);
        ck_assert_msg(diag_error_count() == before + 1, "case %zu: %d errors", i,
                      diag_error_count() - before);
        ck_assert_msg(n == cases[i].ntoks + 1, "case %zu: %d tokens", i, n);
        ck_assert_int_eq(t[n - 1].kind, TK_EOF);
    }
    int n;
    Token *t = lex("18446744073709551616", &n);
    ck_assert_int_eq(t[0].ival, 0);
}
END_TEST

/* ---- parser ---------------------------------------------------------------- */

static Module *
parse(const char *s)
{
    int n;
    Token *t = lex(s, &n);
    return parse_file(arena, "<test>", t, n);
}

/* The expression of `const X = <expr>;`. */
static Node *
parse_const_expr(const char *expr)
{
    Module *m = parse(arena_printf(arena, "const X = %s;", expr));
    ck_assert_int_eq(m->ndecls, 1);
    return m->decls[0]->u.cnst.value;
}

START_TEST(test_precedence)
{
    /* §5: `a & b == c` is `(a & b) == c`. */
    Node *e = parse_const_expr("a & b == c");
    ck_assert_int_eq(e->kind, ND_BINARY);
    ck_assert_int_eq(e->u.bin.op, BIN_EQ);
    ck_assert_int_eq(e->u.bin.lhs->u.bin.op, BIN_AND);
    /* multiplicative over additive, left-assoc */
    e = parse_const_expr("a - b - c * d");
    ck_assert_int_eq(e->u.bin.op, BIN_SUB);
    ck_assert_int_eq(e->u.bin.lhs->u.bin.op, BIN_SUB);
    ck_assert_int_eq(e->u.bin.rhs->u.bin.op, BIN_MUL);
    /* cast binds tighter than * and looser than unary minus */
    e = parse_const_expr("-x as i32 * 2");
    ck_assert_int_eq(e->u.bin.op, BIN_MUL);
    ck_assert_int_eq(e->u.bin.lhs->kind, ND_CAST);
    ck_assert_int_eq(e->u.bin.lhs->u.cast.lhs->kind, ND_UNARY);
    /* || below &&, shifts between additive and & */
    e = parse_const_expr("a || b && c");
    ck_assert_int_eq(e->u.bin.op, BIN_LOR);
    e = parse_const_expr("a & 1 << 2 + 3");
    ck_assert_int_eq(e->u.bin.op, BIN_AND);
    ck_assert_int_eq(e->u.bin.rhs->u.bin.op, BIN_SHL);
    ck_assert_int_eq(e->u.bin.rhs->u.bin.rhs->u.bin.op, BIN_ADD);
    e = parse_const_expr("a | b ^ c & d");
    ck_assert_int_eq(e->u.bin.op, BIN_OR);
    ck_assert_int_eq(e->u.bin.rhs->u.bin.op, BIN_XOR);
    /* postfix over unary */
    e = parse_const_expr("-f(x)[1].y");
    ck_assert_int_eq(e->kind, ND_UNARY);
    ck_assert_int_eq(e->u.bin.lhs->kind, ND_FIELD);
    ck_assert_int_eq(diag_error_count(), 0);
}
END_TEST

START_TEST(test_chained_comparison)
{
    parse_const_expr("a < b < c");
    ck_assert_int_eq(diag_error_count(), 1);
    parse_const_expr("(a < b) == c");
    ck_assert_int_eq(diag_error_count(), 1);
}
END_TEST

START_TEST(test_statements)
{
    Module *m = parse("@workgroup(8, 4)\n"
                      "kernel k(p: *const [f32; 4], q: *f32) {\n"
                      "    if s { x = 1; } else if t { } else { }\n"
                      "    for i in 0..n step 2 { }\n"
                      "    @unroll(4) for j in 0..n { }\n"
                      "    if x == P { }\n"
                      "    while (P { a: 1 }).a < 3 { break; }\n"
                      "    x <<= 2;\n"
                      "}\n");
    ck_assert_int_eq(m->ndecls, 1);
    Decl *k = m->decls[0];
    ck_assert_int_eq(k->kind, DECL_KERNEL);
    ck_assert_int_eq(k->u.fn.nwg, 2);
    ck_assert_int_eq(k->u.fn.nparams, 2);
    ck_assert_int_eq(k->u.fn.params[0]->kind, ND_PARAM);
    ck_assert_int_eq(k->u.fn.params[0]->u.var.ty->kind, ND_TYPE_PTR);
    ck_assert(k->u.fn.params[0]->u.var.ty->u.ty.is_const);
    Node *b = k->u.fn.body;
    ck_assert_int_eq(diag_error_count(), 0);
    ck_assert_int_eq(b->u.block.nstmts, 6);
    ck_assert_int_eq(b->u.block.stmts[0]->kind, ND_IF);
    ck_assert_int_eq(b->u.block.stmts[0]->u.if_.else_b->kind, ND_IF);
    Node *f = b->u.block.stmts[1];
    ck_assert_int_eq(f->kind, ND_FOR);
    ck_assert_int_eq(f->u.loop.loop_var->kind, ND_VAR_DECL);
    ck_assert_ptr_nonnull(f->u.loop.step);
    Node *u = b->u.block.stmts[2];
    ck_assert(u->u.loop.has_unroll);
    ck_assert_int_eq(u->u.loop.unroll, 4);
    /* In an if header `P {` is the name P, then the body (§5). */
    Node *c = b->u.block.stmts[3]->u.if_.cond;
    ck_assert_int_eq(c->u.bin.rhs->kind, ND_NAME);
    Node *w = b->u.block.stmts[4];
    ck_assert_int_eq(w->kind, ND_WHILE);
    Node *a = b->u.block.stmts[5];
    ck_assert_int_eq(a->kind, ND_ASSIGN);
    ck_assert_int_eq(a->u.assign.op, BIN_SHL);
}
END_TEST

/* Independent errors are each reported once; the parser recovers at the
 * next statement. */
START_TEST(test_recovery)
{
    Module *m = parse("fn f() {\n"
                      "    let a = 1 +;\n"
                      "    let b = (2;\n"
                      "    c = ;\n"
                      "    let d = 4\n"
                      "    let e = 5;\n"
                      "}\n"
                      "fn g() -> { }\n"
                      "struct S { x: i32 }\n");
    ck_assert_int_eq(diag_error_count(), 5);
    ck_assert_int_eq(m->ndecls, 2);
    ck_assert_int_eq(m->decls[0]->u.fn.body->u.block.nstmts, 2);
}
END_TEST

START_TEST(test_deep_nesting)
{
    size_t n = 100000;
    char *s = malloc(n * 2 + 32);
    strcpy(s, "const X = ");
    size_t k = strlen(s);
    memset(s + k, '(', n);
    strcpy(s + k + n, "1;");
    parse(s);
    ck_assert_int_eq(diag_error_count(), 1);
    memset(s + k, '-', n);
    parse(s);
    ck_assert_int_eq(diag_error_count(), 2);
    free(s);
}
END_TEST

START_TEST(test_expr_text)
{
    Node *e = parse_expr_text(arena, "-D TILE", "2 * 16");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->u.bin.op, BIN_MUL);
    ck_assert_ptr_null(parse_expr_text(arena, "-D TILE", "2 *"));
    ck_assert_ptr_null(parse_expr_text(arena, "-D TILE", "2 3"));
    ck_assert_ptr_null(parse_expr_text(arena, "-D TILE", ""));
    ck_assert_int_eq(diag_error_count(), 3);
}
END_TEST

/* ---- diagnostics ----------------------------------------------------------- */

START_TEST(test_diag_counts)
{
    uint32_t f = diag_add_file("d.claw", "let x = 1;\n", 11);
    ck_assert_str_eq(diag_file_name(f), "d.claw");
    diag_warning((SrcLoc){f, 1, 5}, "a warning");
    ck_assert_int_eq(diag_error_count(), 0);
    diag_error((SrcLoc){0, 0, 0}, "no location");
    diag_error((SrcLoc){f, 9, 1}, "past the last line");
    ck_assert_int_eq(diag_error_count(), 2);
    diag_set_werror(true); /* -Werror: warnings count */
    diag_warning((SrcLoc){f, 1, 5}, "now an error");
    ck_assert_int_eq(diag_error_count(), 3);
    diag_set_werror(false);
    for (int i = 0; i < 2 * DIAG_MAX_ERRORS; i++)
        diag_error((SrcLoc){f, 1, 1}, "error %d", i);
    diag_note((SrcLoc){f, 1, 1}, "dropped with its error");
    ck_assert_int_eq(diag_error_count(), 3 + 2 * DIAG_MAX_ERRORS);
}
END_TEST

static Suite *
lex_suite(void)
{
    Suite *s = suite_create("lex");
    TCase *tc = tcase_create("lexer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_keywords);
    tcase_add_test(tc, test_punctuation);
    tcase_add_test(tc, test_int_literals);
    tcase_add_test(tc, test_float_literals);
    tcase_add_test(tc, test_ranges_and_dots);
    tcase_add_test(tc, test_comments_and_locations);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("parser");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_precedence);
    tcase_add_test(tc, test_chained_comparison);
    tcase_add_test(tc, test_statements);
    tcase_add_test(tc, test_recovery);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_expr_text);
    suite_add_tcase(s, tc);
    tc = tcase_create("diag");
    tcase_add_test(tc, test_diag_counts);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(lex_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
