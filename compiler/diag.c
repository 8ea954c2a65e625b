/* diag.c: the one place user-facing diagnostics are printed (LANGUAGE.md §10).
 *
 * Every source file (and the pseudo-file "<command line>" for -D values) is
 * registered once with diag_add_file, which keeps a private copy of its text
 * so that any later stage can quote the offending line. A diagnostic prints
 *
 *     file:line:col: error: message
 *     <the source line, tabs kept>
 *     <spaces or tabs up to col>^
 *
 * exactly as GCC and Clang do, so editors and CI log parsers pick it up.
 * Columns are 1-based byte columns; the caret line copies the tabs of the
 * source line and skips UTF-8 continuation bytes so that the caret lands
 * under the right character on a terminal.
 *
 * Errors are counted (the driver exits 1 when there were any). After
 * DIAG_MAX_ERRORS errors, one line says that further errors are suppressed
 * and nothing else is printed, so hostile input cannot produce unbounded
 * output. With -Werror, warnings print and count as errors. */
#include "front.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct DiagFile {
    char *path;
    char *text; /* private copy, len bytes (may contain NULs) */
    size_t len;
    size_t *line_start; /* byte offset of each line, built on first use */
    uint32_t nlines;
} DiagFile;

static DiagFile *files; /* files[0] is unused: file 0 means "no location" */
static uint32_t nfiles = 1, files_cap;
static int error_count;
static bool werror;
static bool suppressed;   /* the "too many errors" line has been printed */
static bool last_dropped; /* the previous error/warning was not printed */

static void *
diag_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "clawc: out of memory\n");
        abort();
    }
    return p;
}

uint32_t
diag_add_file(const char *path, const char *text, size_t len)
{
    if (nfiles >= files_cap) {
        files_cap = files_cap ? files_cap * 2 : 8;
        files = diag_xrealloc(files, sizeof *files * files_cap);
    }
    DiagFile *f = &files[nfiles];
    size_t plen = strlen(path);
    f->path = diag_xrealloc(NULL, plen + 1);
    memcpy(f->path, path, plen + 1);
    f->text = diag_xrealloc(NULL, len + 1);
    if (len)
        memcpy(f->text, text, len);
    f->text[len] = 0;
    f->len = len;
    f->line_start = NULL;
    f->nlines = 0;
    return nfiles++;
}

const char *
diag_file_name(uint32_t file)
{
    if (file == 0 || file >= nfiles)
        return "clawc";
    return files[file].path;
}

int
diag_error_count(void)
{
    return error_count;
}

void
diag_set_werror(bool on)
{
    werror = on;
}

/* Builds the line table of f on first use. */
static void
diag_index_lines(DiagFile *f)
{
    if (f->line_start)
        return;
    uint32_t n = 1;
    for (size_t i = 0; i < f->len; i++)
        n += f->text[i] == '\n';
    f->line_start = diag_xrealloc(NULL, sizeof(size_t) * n);
    f->line_start[0] = 0;
    uint32_t k = 1;
    for (size_t i = 0; i < f->len; i++)
        if (f->text[i] == '\n')
            f->line_start[k++] = i + 1;
    f->nlines = n;
}

/* Prints the source line of loc and a caret under its column. Control bytes
 * other than tab print as spaces so a stray byte cannot disturb the
 * terminal; the caret line mirrors tabs to stay aligned. */
static void
diag_print_caret(SrcLoc loc)
{
    if (loc.file == 0 || loc.file >= nfiles || loc.line == 0)
        return;
    DiagFile *f = &files[loc.file];
    diag_index_lines(f);
    const char *line = "";
    size_t n = 0;
    if (loc.line <= f->nlines) {
        size_t start = f->line_start[loc.line - 1];
        size_t end = start;
        while (end < f->len && f->text[end] != '\n')
            end++;
        if (end > start && f->text[end - 1] == '\r')
            end--;
        line = f->text + start;
        n = end - start;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        fputc(c == '\t' || c >= 0x20 ? c : ' ', stderr);
    }
    fputc('\n', stderr);
    size_t col = loc.col ? loc.col - 1 : 0;
    for (size_t i = 0; i < col; i++) {
        unsigned char c = i < n ? (unsigned char)line[i] : ' ';
        if (c == '\t')
            fputc('\t', stderr);
        else if ((c & 0xC0) != 0x80) /* one column per UTF-8 character */
            fputc(' ', stderr);
    }
    fputs("^\n", stderr);
}

static void
diag_emit(const char *kind, SrcLoc loc, const char *fmt, va_list ap)
{
    if (loc.file == 0 || loc.file >= nfiles)
        fprintf(stderr, "clawc: %s: ", kind);
    else if (loc.line == 0)
        fprintf(stderr, "%s: %s: ", files[loc.file].path, kind);
    else
        fprintf(stderr, "%s:%u:%u: %s: ", files[loc.file].path, loc.line, loc.col, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    diag_print_caret(loc);
}

/* Counts one error and says whether it may still be printed. */
static bool
diag_count_error(void)
{
    error_count++;
    if (error_count <= DIAG_MAX_ERRORS)
        return true;
    if (!suppressed) {
        suppressed = true;
        fprintf(stderr, "clawc: note: too many errors (%d); further errors are suppressed\n",
                DIAG_MAX_ERRORS);
    }
    return false;
}

void
diag_error(SrcLoc loc, const char *fmt, ...)
{
    last_dropped = !diag_count_error();
    if (last_dropped)
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_emit("error", loc, fmt, ap);
    va_end(ap);
}

void
diag_warning(SrcLoc loc, const char *fmt, ...)
{
    if (werror)
        last_dropped = !diag_count_error();
    else
        last_dropped = suppressed;
    if (last_dropped)
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_emit(werror ? "error" : "warning", loc, fmt, ap);
    va_end(ap);
}

void
diag_note(SrcLoc loc, const char *fmt, ...)
{
    /* A note belongs to the diagnostic before it: drop it with that one. */
    if (last_dropped)
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_emit("note", loc, fmt, ap);
    va_end(ap);
}
