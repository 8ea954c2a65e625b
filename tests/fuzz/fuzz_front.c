/* fuzz_front.c: the clawc front end run in-process on a byte buffer, for the
 * libFuzzer targets and the program generator (fuzz_common.h). It follows
 * compile_module() of compiler/main.c step by step, with the arena and
 * diag.c state reset for every input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../compiler/front.h"
#include "fuzz_common.h"

void
fuzz_unit_free(FuzzUnit *u)
{
    ir_module_free(u->m);
    arena_free(u->arena);
    u->m = NULL;
    u->arena = NULL;
}

bool
fuzz_compile(const uint8_t *data, size_t size, int opt_level, FuzzUnit *u)
{
    fuzz_diag_reset();
    Arena *a = arena_new();
    char *text = arena_alloc(a, size + 1);
    if (size)
        memcpy(text, data, size);
    text[size] = 0;
    uint32_t file = diag_add_file("fuzz.claw", text, size);
    int ntoks = 0;
    Token *toks = lex_file(a, file, text, size, &ntoks);
    for (int i = 0; i < ntoks; i++) {
        if (toks[i].kind == TK_IMPORT) {
            arena_free(a);
            return false;
        }
    }
    Module *mod = parse_file(a, "fuzz.claw", toks, ntoks);
    IrModule *m = ir_module_new("fuzz.claw");
    SemaOptions so = {0};
    bool ok = sema_check(a, mod, m, &so) && diag_error_count() == 0;
    if (!ok) {
        ir_module_free(m);
        arena_free(a);
        return false;
    }
    lower_module(a, mod, m);
    ir_run_passes(m, opt_level);
    Buf err = {0};
    if (!ir_verify(m, &err)) {
        fprintf(stderr, "fuzz_compile: verified IR expected after the front end: %.*s\n",
                (int)err.len, err.data ? (const char *)err.data : "");
        fflush(stderr);
        abort();
    }
    buf_free(&err);
    u->arena = a;
    u->m = m;
    return true;
}
