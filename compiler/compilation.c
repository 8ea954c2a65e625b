/* compilation.c: the context of one compilation (front.h), which the driver
 * makes first and passes down: the diagnostics state and the C imports. */
#include "front.h"

#include <stdio.h>
#include <stdlib.h>

/* The Diag that was current before, restored by compilation_free. */
typedef struct CompilationBox {
    Compilation c;
    Diag *prev_diag;
} CompilationBox;

Compilation *
compilation_new(bool werror)
{
    CompilationBox *box = calloc(1, sizeof *box);
    if (!box) {
        fputs("clawc: out of memory\n", stderr);
        abort();
    }
    box->c.diag = diag_new();
    box->c.imports = cimport_new();
    box->prev_diag = diag_use(box->c.diag);
    diag_set_werror(werror);
    return &box->c;
}

void
compilation_free(Compilation *c)
{
    if (!c)
        return;
    CompilationBox *box = (CompilationBox *)c;
    diag_use(box->prev_diag);
    diag_free(c->diag);
    cimport_free(c->imports);
    free(box);
}
