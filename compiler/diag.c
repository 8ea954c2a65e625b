/* diag.c: the one place user-facing diagnostics are printed (docs/language.md §10).
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
 * output. With -Werror, warnings print and count as errors.
 *
 * All of this is the state of one compilation, a Diag (front.h): the driver
 * makes one per compilation (compilation_new), and diag_use makes it the one
 * this thread's diagnostics go to, so compilations on different threads, or
 * one after another in a process, never share files or counts. */
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

/* The diagnostics state of one compilation (front.h). */
struct Diag {
    DiagFile *files; /* files[0] is unused: file 0 means "no location" */
    uint32_t nfiles, files_cap;
    int error_count;
    bool werror;
    bool suppressed;   /* the "too many errors" line has been printed */
    bool last_dropped; /* the previous error/warning was not printed */
};

/* The compilation this thread reports to (diag_use), or a default one made
 * on first use for programs that never make their own (unit tests). */
static _Thread_local Diag *current;
static _Thread_local Diag *thread_default;

static Diag *
cur(void)
{
    if (!current) {
        if (!thread_default)
            thread_default = diag_new();
        current = thread_default;
    }
    return current;
}

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

Diag *
diag_new(void)
{
    Diag *d = diag_xrealloc(NULL, sizeof *d);
    memset(d, 0, sizeof *d);
    d->nfiles = 1;
    return d;
}

void
diag_free(Diag *d)
{
    if (!d)
        return;
    if (current == d)
        current = NULL;
    if (thread_default == d)
        thread_default = NULL;
    for (uint32_t i = 1; i < d->nfiles; i++) {
        free(d->files[i].path);
        free(d->files[i].text);
        free(d->files[i].line_start);
    }
    free(d->files);
    free(d);
}

Diag *
diag_use(Diag *d)
{
    Diag *prev = current;
    current = d;
    return prev;
}

uint32_t
diag_add_file(const char *path, const char *text, size_t len)
{
    Diag *d = cur();
    if (d->nfiles >= d->files_cap) {
        d->files_cap = d->files_cap ? d->files_cap * 2 : 8;
        d->files = diag_xrealloc(d->files, sizeof *d->files * d->files_cap);
    }
    DiagFile *f = &d->files[d->nfiles];
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
    return d->nfiles++;
}

const char *
diag_file_name(uint32_t file)
{
    Diag *d = cur();
    if (file == 0 || file >= d->nfiles)
        return "clawc";
    return d->files[file].path;
}

int
diag_error_count(void)
{
    return cur()->error_count;
}

void
diag_set_werror(bool on)
{
    cur()->werror = on;
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

/* At most this many bytes of a source line are quoted: a longer line (a
 * generated source, a minified one, a megabyte of one expression) shows a
 * window around the caret, "..." marking each cut end (docs/clawc.md). */
enum { DIAG_WINDOW = 100, DIAG_WINDOW_BEFORE = 60 };

/* Prints the source line of loc and a caret under its column. Control bytes
 * other than tab print as spaces so a stray byte cannot disturb the
 * terminal; the caret line mirrors tabs to stay aligned. A line longer than
 * DIAG_WINDOW bytes is cut to the DIAG_WINDOW bytes around the column, never
 * inside a UTF-8 character. */
static void
diag_print_caret(SrcLoc loc)
{
    Diag *d = cur();
    if (loc.file == 0 || loc.file >= d->nfiles || loc.line == 0)
        return;
    DiagFile *f = &d->files[loc.file];
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
    size_t col = loc.col ? loc.col - 1 : 0;
    size_t from = 0, to = n;
    if (n > DIAG_WINDOW) {
        size_t c = col < n ? col : n;
        from = c > DIAG_WINDOW_BEFORE ? c - DIAG_WINDOW_BEFORE : 0;
        if (from + DIAG_WINDOW > n)
            from = n - DIAG_WINDOW;
        to = from + DIAG_WINDOW;
        /* whole UTF-8 characters only */
        while (from > 0 && from < n && ((unsigned char)line[from] & 0xC0) == 0x80)
            from++;
        while (to < n && ((unsigned char)line[to] & 0xC0) == 0x80)
            to++;
    }
    if (from > 0)
        fputs("...", stderr);
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)line[i];
        fputc(c == '\t' || c >= 0x20 ? c : ' ', stderr);
    }
    if (to < n)
        fputs("...", stderr);
    fputc('\n', stderr);
    if (from > 0)
        fputs("   ", stderr);
    for (size_t i = from; i < col && i < to + DIAG_WINDOW; i++) { /* bounded past the end */
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
    Diag *d = cur();
    if (loc.file == 0 || loc.file >= d->nfiles)
        fprintf(stderr, "clawc: %s: ", kind);
    else if (loc.line == 0)
        fprintf(stderr, "%s: %s: ", d->files[loc.file].path, kind);
    else
        fprintf(stderr, "%s:%u:%u: %s: ", d->files[loc.file].path, loc.line, loc.col, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    diag_print_caret(loc);
}

/* Counts one error and says whether it may still be printed. */
static bool
diag_count_error(void)
{
    Diag *d = cur();
    d->error_count++;
    if (d->error_count <= DIAG_MAX_ERRORS)
        return true;
    if (!d->suppressed) {
        d->suppressed = true;
        fprintf(stderr, "clawc: note: too many errors (%d); further errors are suppressed\n",
                DIAG_MAX_ERRORS);
    }
    return false;
}

void
diag_error(SrcLoc loc, const char *fmt, ...)
{
    Diag *d = cur();
    d->last_dropped = !diag_count_error();
    if (d->last_dropped)
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_emit("error", loc, fmt, ap);
    va_end(ap);
}

void
diag_warning(SrcLoc loc, const char *fmt, ...)
{
    Diag *d = cur();
    if (d->werror)
        d->last_dropped = !diag_count_error();
    else
        d->last_dropped = d->suppressed;
    if (d->last_dropped)
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_emit(d->werror ? "error" : "warning", loc, fmt, ap);
    va_end(ap);
}

void
diag_note(SrcLoc loc, const char *fmt, ...)
{
    /* A note belongs to the diagnostic before it: drop it with that one. */
    if (cur()->last_dropped)
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_emit("note", loc, fmt, ap);
    va_end(ap);
}
