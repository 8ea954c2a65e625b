/* depfile.c: the make dependency file of -MD/-MF (docs/clawc.md), written
 * by the driver once the outputs are: `OUTPUT: FILE.claw header.h ...` and,
 * as gcc -MP does, an empty rule per header so make keeps working when a
 * header is deleted. The headers are those the C imports read (cimport.c). */
#include "front.h"

#include <stdio.h>

/* Make syntax: spaces and '#' are escaped with a backslash, '$' doubled. */
static void
write_make_name(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '#')
            fputc('\\', f);
        if (*s == '$')
            fputc('$', f);
        fputc(*s, f);
    }
}

bool
depfile_write(const char *path, const char *target, const char *source, const CImport *imports)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    int n = cimport_ndeps(imports);
    write_make_name(f, target);
    fputs(": ", f);
    write_make_name(f, source);
    for (int i = 0; i < n; i++) {
        fputs(" \\\n  ", f);
        write_make_name(f, cimport_dep(imports, i));
    }
    fputs("\n", f);
    for (int i = 0; i < n; i++) {
        fputs("\n", f);
        write_make_name(f, cimport_dep(imports, i));
        fputs(":\n", f);
    }
    return fclose(f) == 0;
}
