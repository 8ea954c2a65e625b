/* main.c: the clawc driver (docs/clawc.md).
 *
 * Parses the command line, runs the pipeline
 *   read -> diag_add_file -> lex_file -> parse_file -> sema_check
 *   -> lower_module -> ir_run_passes -> one emit per target/arch
 * and writes the requested output: a fat binary (every target's image plus
 * the kernel metadata of docs/language.md §8), one target's file, a folder of
 * per-target files, the Claw IR, or a C header (cheader.c).
 *
 * Every output is built in memory first and written only when the whole
 * compilation succeeded, through a temporary file renamed into place, so a
 * failed run never leaves a partial file behind. Exit status: 0 success,
 * 1 errors in the input, 2 bad command line or environment (§2).
 *
 * The compilation runs on a thread of its own with a COMPILE_STACK_BYTES
 * stack: sema, constant folding and lowering recurse over expression
 * trees, whose depth the parser bounds (PARSE_MAX_EXPR_DEPTH in front.h),
 * and that bound needs more than the usual 8 MiB main-thread stack. Pages
 * of a thread stack are only committed when touched, so a small input
 * costs nothing extra (docs/clawc.md "Limits"). */
#include "cheader.h"
#include "front.h"

#include "../targets/target.h"
#include "claw/fatbin.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CLAW_VERSION
#define CLAW_VERSION "0.0.0"
#endif
#ifndef CLAW_LLVM_VERSION
#define CLAW_LLVM_VERSION "unknown"
#endif

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, MAX_TARGETS = 32 };

/* Room for PARSE_MAX_EXPR_DEPTH levels of recursion in the deepest pass,
 * with the frames of a sanitizer build (measured: docs/clawc.md "Limits"). */
#define COMPILE_STACK_BYTES ((size_t)1 << 30)

/* The backends the driver picks from (docs/style.md: targets are tables). */
static const Target *const all_targets[] = {
    &llvm_nvptx_target,
    &llvm_amdgpu_target,
    &spv_target,
};
enum { NUM_TARGETS = sizeof all_targets / sizeof all_targets[0] };

/* The kinds of output the driver makes itself, once per compilation; every
 * other --emit kind is a target's (its `outputs` table, target.h). */
typedef enum DriverKind { DRIVER_FATBIN, DRIVER_CLAW_IR, DRIVER_C_HEADER, PER_TARGET } DriverKind;

static const struct {
    const char *name;
    DriverKind kind;
    const char *ext;
    const char *help;
} driver_kinds[] = {
    /* clang-format off */
    {"fatbin",   DRIVER_FATBIN,   "clawfb", "fat binary with every target's image, the default"},
    {"claw-ir",  DRIVER_CLAW_IR,  "clawir", "the Claw IR after the IR passes"},
    {"c-header", DRIVER_C_HEADER, "h",      "C header with typed launch functions"},
    /* clang-format on */
};
enum { NUM_DRIVER_KINDS = sizeof driver_kinds / sizeof driver_kinds[0] };

/* Appends every --emit spelling to b, each once, separated by sep (and
 * last_sep before the last): the driver's kinds, then each target's. */
static void
list_emit_kinds(Buf *b, const char *sep, const char *last_sep)
{
    const char *names[64];
    int n = 0;
    names[n++] = driver_kinds[0].name; /* fatbin, the default, first */
    for (int t = 0; t < NUM_TARGETS; t++)
        for (int k = 0; k < all_targets[t]->noutputs; k++) {
            bool dup = false;
            for (int j = 0; j < n; j++)
                dup |= strcmp(names[j], all_targets[t]->outputs[k].name) == 0;
            if (!dup && n < 60)
                names[n++] = all_targets[t]->outputs[k].name;
        }
    for (int i = 1; i < NUM_DRIVER_KINDS; i++)
        names[n++] = driver_kinds[i].name;
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s%s", i == 0 ? "" : i == n - 1 ? last_sep : sep, names[i]);
}

/* Appends "nvptx, amdgpu or spirv". */
static void
list_targets(Buf *b)
{
    for (int t = 0; t < NUM_TARGETS; t++)
        buf_printf(b, "%s%s", t == 0 ? "" : t == NUM_TARGETS - 1 ? " or " : ", ",
                   all_targets[t]->name);
}

static const char *
driver_ext(DriverKind k)
{
    for (int i = 0; i < NUM_DRIVER_KINDS; i++)
        if (driver_kinds[i].kind == k)
            return driver_kinds[i].ext;
    UNREACHABLE();
}

/* A --emit spelling that some target writes. */
static bool
is_target_output(const char *name)
{
    for (int t = 0; t < NUM_TARGETS; t++)
        if (target_output(all_targets[t], name))
            return true;
    return false;
}

typedef struct TargetReq {
    const Target *t;
    const char *arch;
} TargetReq;

/* -ffile-prefix-map=OLD=NEW / -fdebug-prefix-map=OLD=NEW */
typedef struct PrefixMap {
    const char *old, *new_prefix;
} PrefixMap;

typedef struct Options {
    const char *input;
    const char *output; /* -o; NULL: derived from the input's name */
    const char *emit;   /* the --emit spelling */
    DriverKind kind;    /* PER_TARGET: one file per target (a target's output) */
    int opt_level;
    bool fp_contract;
    bool werror;
    bool embed;
    bool md;        /* -MD */
    const char *mf; /* -MF FILE */
    TargetReq targets[MAX_TARGETS];
    int ntargets; /* 0: none given on the command line */
    Define *defines;
    int ndefines;
    const char **include_dirs;
    int ninclude_dirs;
    PrefixMap *prefix_maps; /* in command-line order; the last match wins */
    int nprefix_maps;
    bool no_line_info;    /* -g0 */
    bool sanitize_bounds; /* -fsanitize=bounds (docs/debugging.md) */
    const char *variants; /* --variants SPEC, or NULL */
    /* --cubin=LIST: an sm_ arch each, and the nvptx target whose PTX ptxas
     * assembles for it (the newest not newer, docs/clawc.md "Cubins") */
    const char *cubin_archs[MAX_TARGETS];
    int cubin_from[MAX_TARGETS];
    int ncubins;
} Options;

/* --variants 'A=1,2;B=64,128': one axis per name, every combination built. */
enum { MAX_VARIANTS = 256, MAX_AXES = 16, MAX_AXIS_VALUES = 64 };

typedef struct VariantAxis {
    const char *name;
    const char *values[MAX_AXIS_VALUES];
    int nvalues;
} VariantAxis;

/* One compiled combination: its -D settings and its module. */
typedef struct Variant {
    const char *settings; /* "A=1;B=64" (docs/fatbin.md claw.variant), NULL without --variants */
    Define *defines;      /* -D and this combination's settings */
    int ndefines;
    IrModule *m;
} Variant;

/* One finished output file, kept in memory until everything succeeded. */
typedef struct Output {
    char *path; /* "-" for standard output */
    Buf data;
} Output;

/* Prints words after a 22-column indent, wrapped before column 80. */
static void
print_wrapped(const char *words)
{
    int col = 22;
    printf("%22s", "");
    for (const char *w = words; *w;) {
        size_t n = strcspn(w, " ");
        if (col > 22 && col + 1 + (int)n > 79) {
            printf("\n%22s", "");
            col = 22;
        } else if (col > 22) {
            putchar(' ');
            col++;
        }
        printf("%.*s", (int)n, w);
        col += (int)n;
        w += n;
        while (*w == ' ')
            w++;
    }
    putchar('\n');
}

/* The help text: the targets, their architectures and the --emit kinds
 * come from the target tables (docs/adding-a-target.md). */
static void
print_help(void)
{
    fputs("usage: clawc [options] FILE.claw [-o OUTPUT]\n"
          "       clawc [options] FILE.clawir [-o OUTPUT]   (Claw IR, as --emit=claw-ir writes)\n"
          "\n"
          "Compiles Claw GPU kernels ahead of time, packed by default in one fat binary\n"
          "(.clawfb) with an image per target:\n",
          stdout);
    for (int t = 0; t < NUM_TARGETS; t++)
        printf("  %-8s %s\n", all_targets[t]->name, all_targets[t]->help);
    fputs("\noptions:\n"
          "  --target=LIST       targets, comma separated, each NAME[:ARCH]; default:\n",
          stdout);
    Buf line = {0};
    for (int t = 0; t < NUM_TARGETS; t++)
        buf_printf(&line, "%s%s:%s", t ? "," : "", all_targets[t]->name,
                   all_targets[t]->default_arch);
    buf_append(&line, "", 1);
    print_wrapped((const char *)line.data);
    for (int t = 0; t < NUM_TARGETS; t++) {
        line.len = 0;
        buf_printf(&line, "%s: %s", all_targets[t]->name, all_targets[t]->arch_help);
        buf_append(&line, "", 1);
        print_wrapped((const char *)line.data);
    }
    fputs("  --emit=KIND         what to write:\n", stdout);
    for (int i = 0; i < NUM_DRIVER_KINDS; i++)
        printf("%22s%-11s %s (.%s)\n", "", driver_kinds[i].name, driver_kinds[i].help,
               driver_kinds[i].ext);
    /* each target output once, with every target that writes it */
    for (int t = 0; t < NUM_TARGETS; t++)
        for (int k = 0; k < all_targets[t]->noutputs; k++) {
            const TargetOutput *out = &all_targets[t]->outputs[k];
            bool seen = false;
            for (int u = 0; u < t; u++)
                seen |= target_output(all_targets[u], out->name) != NULL;
            if (seen)
                continue;
            line.len = 0;
            buf_printf(&line, "%s (%s", out->help, all_targets[t]->name);
            for (int u = t + 1; u < NUM_TARGETS; u++)
                if (target_output(all_targets[u], out->name))
                    buf_printf(&line, ", %s", all_targets[u]->name);
            buf_printf(&line, "; .%s)", out->ext);
            buf_append(&line, "", 1);
            printf("%22s%-11s %s\n", "", out->name, (const char *)line.data);
        }
    buf_free(&line);
    fputs("  -o FILE             output file; '-' is standard output; a folder when\n"
          "                      several targets each produce a file\n"
          "  -O0 -O1 -O2 -O3     optimisation level (default -O3)\n"
          "  -D NAME=VALUE       override the module-level const NAME\n"
          "  -I DIR              add a folder to search for imported C headers\n"
          "  -ffp-contract=off   never fuse a*b+c (=on and =fast allow it, the default)\n"
          "  -fsanitize=bounds   kernels check every memory access and report the first\n"
          "                      bad one of a launch with its source line (docs/debugging.md)\n"
          "  -Werror             treat warnings as errors\n"
          "  --cubin=LIST        also embed SASS (cubins, assembled by ptxas) for these\n"
          "                      sm_ architectures, e.g. --cubin=sm_80,sm_90\n"
          "  --variants=SPEC     build every combination of -D settings into the fat\n"
          "                      binary: 'BLOCK=128,256;UNROLL=2,4' is four variants\n"
          "  -g0                 no line information in the images (-g: on, the default)\n"
          "  -ffile-prefix-map=OLD=NEW, -fdebug-prefix-map=OLD=NEW\n"
          "                      record a source path starting with OLD as starting with\n"
          "                      NEW in the outputs (diagnostics keep the real path)\n"
          "  -MD                 write a make depfile (FILE.d beside the output)\n"
          "  -MF FILE            write the depfile to FILE\n"
          "  --embed             with --emit=c-header: embed the fat binary in the header\n"
          "  --version           print the version and the LLVM version\n"
          "  --help              print this help\n"
          "\n"
          "exit status: 0 success, 1 errors in the input, 2 bad command line or environment\n",
          stdout);
}

static int
usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("clawc: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see clawc --help)\n", stderr);
    return EXIT_USAGE;
}

static int
env_error(const char *fmt, ...)
{
    va_list ap;
    fputs("clawc: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

static const Target *
find_target(const char *name, size_t len)
{
    for (int i = 0; i < NUM_TARGETS; i++)
        if (strlen(all_targets[i]->name) == len && memcmp(all_targets[i]->name, name, len) == 0)
            return all_targets[i];
    return NULL;
}

/* --target=LIST: "name[:arch]" items separated by commas; duplicates are
 * dropped so the same image is never built twice. */
static int
parse_targets(Arena *a, Options *o, const char *list)
{
    if (!*list)
        return usage_error("--target= needs a list of targets");
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        size_t name_len = colon ? (size_t)(colon - p) : len;
        const Target *t = find_target(p, name_len);
        if (!t) {
            Buf names = {0};
            list_targets(&names);
            buf_append(&names, "", 1);
            int rc = usage_error("unknown target '%.*s' (expected %s)", (int)name_len, p,
                                 (const char *)names.data);
            buf_free(&names);
            return rc;
        }
        const char *arch =
            colon ? arena_strndup(a, colon + 1, len - name_len - 1) : t->default_arch;
        if (!*arch || (t->arch_ok && !t->arch_ok(arch)))
            return usage_error("unknown %s architecture '%s' (expected %s)", t->name, arch,
                               t->arch_help);
        bool dup = false;
        for (int i = 0; i < o->ntargets; i++)
            dup |= o->targets[i].t == t && strcmp(o->targets[i].arch, arch) == 0;
        if (!dup) {
            if (o->ntargets == MAX_TARGETS)
                return usage_error("more than %d targets", MAX_TARGETS);
            o->targets[o->ntargets++] = (TargetReq){t, arch};
        }
        if (!end)
            return 0;
        p = end + 1;
    }
}

static bool
is_ident(const char *s, size_t n)
{
    if (n == 0 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static int
add_define(Arena *a, Options *o, PtrVec *defs, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || !is_ident(arg, (size_t)(eq - arg)) || !eq[1])
        return usage_error("-D needs NAME=VALUE, got '%s'", arg);
    Define *d = arena_alloc(a, sizeof *d);
    d->name = arena_strndup(a, arg, (size_t)(eq - arg));
    d->value = eq + 1;
    ptrvec_push(a, defs, d);
    return 0;
}

static int
add_prefix_map(Arena *a, PtrVec *maps, const char *opt, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return usage_error("%s needs OLD=NEW with a non-empty OLD, got '%s'", opt, arg);
    PrefixMap *pm = arena_alloc(a, sizeof *pm);
    pm->old = arena_strndup(a, arg, (size_t)(eq - arg));
    pm->new_prefix = eq + 1;
    ptrvec_push(a, maps, pm);
    return 0;
}

/* The path recorded in outputs for the input: the last prefix map whose
 * OLD starts the path replaces that part with NEW (gcc's and clang's
 * -ffile-prefix-map: a plain string prefix, not a folder boundary). */
static const char *
recorded_path(Arena *a, const Options *o, const char *path)
{
    for (int i = o->nprefix_maps - 1; i >= 0; i--) {
        const PrefixMap *pm = &o->prefix_maps[i];
        size_t n = strlen(pm->old);
        if (strncmp(path, pm->old, n) == 0)
            return arena_printf(a, "%s%s", pm->new_prefix, path + n);
    }
    return path;
}

/* The value of an option that takes one: attached ("-IDIR") or the next
 * argument ("-I DIR"). */
static const char *
option_value(int argc, char **argv, int *i, size_t prefix_len)
{
    if (argv[*i][prefix_len])
        return argv[*i] + prefix_len;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* --cubin=LIST: sm_ architectures separated by commas (kept once each). */
static int
parse_cubins(Arena *a, Options *o, const char *list)
{
    if (!*list)
        return usage_error("--cubin= needs a list of sm_ architectures (e.g. sm_80,sm_90)");
    for (const char *p = list;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *arch = arena_strndup(a, p, len);
        if (!*arch || !llvm_nvptx_target.arch_ok(arch))
            return usage_error("--cubin: unknown NVIDIA architecture '%s' (expected %s)", arch,
                               llvm_nvptx_target.arch_help);
        bool dup = false;
        for (int i = 0; i < o->ncubins; i++)
            dup |= strcmp(o->cubin_archs[i], arch) == 0;
        if (!dup) {
            if (o->ncubins == MAX_TARGETS)
                return usage_error("--cubin: more than %d architectures", MAX_TARGETS);
            o->cubin_archs[o->ncubins++] = arch;
        }
        if (!end)
            return 0;
        p = end + 1;
    }
}

/* "sm_90a" -> 90 and *specific = true; false when not sm_<digits>[a]. */
static bool
sm_number(const char *arch, unsigned *v, bool *specific)
{
    unsigned n = 0;
    const char *p = arch + 3;
    if (strncmp(arch, "sm_", 3) != 0 || !(*p >= '0' && *p <= '9'))
        return false;
    while (*p >= '0' && *p <= '9' && n < 100000)
        n = n * 10 + (unsigned)(*p++ - '0');
    *specific = *p == 'a';
    *v = n;
    return *p == '\0' || (*specific && p[1] == '\0');
}

/* For each --cubin arch, the nvptx target whose PTX ptxas assembles: the
 * newest not newer than it; an arch-specific one ("sm_90a") only for
 * itself, as ptxas accepts (PTX ISA: .target sm_90a code runs on sm_90a). */
static int
resolve_cubins(Options *o)
{
    if (o->ncubins && o->kind != DRIVER_FATBIN && o->kind != DRIVER_C_HEADER)
        return usage_error("--cubin adds images to a fat binary: it goes with --emit=fatbin or "
                           "--emit=c-header, not --emit=%s",
                           o->emit);
    for (int c = 0; c < o->ncubins; c++) {
        unsigned want, best_v = 0;
        bool want_a, a;
        sm_number(o->cubin_archs[c], &want, &want_a);
        int best = -1;
        for (int i = 0; i < o->ntargets; i++) {
            unsigned v;
            if (o->targets[i].t != &llvm_nvptx_target || !sm_number(o->targets[i].arch, &v, &a))
                continue;
            bool fits = a ? strcmp(o->targets[i].arch, o->cubin_archs[c]) == 0 : v <= want;
            if (fits && (best < 0 || v > best_v || (v == best_v && a))) {
                best = i;
                best_v = v;
            }
        }
        if (best < 0)
            return usage_error("--cubin=%s needs PTX of %s or older to assemble: add "
                               "nvptx:%s to --target",
                               o->cubin_archs[c], o->cubin_archs[c], o->cubin_archs[c]);
        o->cubin_from[c] = best;
    }
    return -1;
}

/* Fills o from argv. Returns -1 to go on compiling, or an exit status
 * (0 after --help/--version). */
static int
parse_args(Arena *a, int argc, char **argv, Options *o)
{
    PtrVec defs = {0}, incs = {0}, maps = {0};
    o->emit = "fatbin";
    o->kind = DRIVER_FATBIN;
    o->opt_level = 3;
    o->fp_contract = true;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *v;
        int rc;
        if (strcmp(arg, "--help") == 0) {
            print_help();
            return 0;
        } else if (strcmp(arg, "--version") == 0) {
            printf("clawc %s (OpenClaw), LLVM %s\n", CLAW_VERSION, CLAW_LLVM_VERSION);
            return 0;
        } else if (strncmp(arg, "--target=", 9) == 0) {
            if ((rc = parse_targets(a, o, arg + 9)) != 0)
                return rc;
        } else if (strncmp(arg, "--emit=", 7) == 0) {
            const char *name = arg + 7;
            int k = 0;
            while (k < NUM_DRIVER_KINDS && strcmp(driver_kinds[k].name, name) != 0)
                k++;
            if (k == NUM_DRIVER_KINDS && !is_target_output(name)) {
                Buf kinds = {0};
                list_emit_kinds(&kinds, ", ", " or ");
                buf_append(&kinds, "", 1);
                rc = usage_error("unknown --emit kind '%s' (expected %s)", name,
                                 (const char *)kinds.data);
                buf_free(&kinds);
                return rc;
            }
            o->emit = name;
            o->kind = k < NUM_DRIVER_KINDS ? driver_kinds[k].kind : PER_TARGET;
        } else if (arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' && !arg[3]) {
            o->opt_level = arg[2] - '0';
        } else if (strncmp(arg, "-D", 2) == 0) {
            if (!(v = option_value(argc, argv, &i, 2)))
                return usage_error("-D needs NAME=VALUE");
            if ((rc = add_define(a, o, &defs, v)) != 0)
                return rc;
        } else if (strncmp(arg, "-I", 2) == 0) {
            if (!(v = option_value(argc, argv, &i, 2)))
                return usage_error("-I needs a folder");
            ptrvec_push(a, &incs, (void *)v);
        } else if (strcmp(arg, "-o") == 0) {
            if (i + 1 >= argc)
                return usage_error("-o needs a file name");
            o->output = argv[++i];
        } else if (strcmp(arg, "-ffp-contract=off") == 0) {
            o->fp_contract = false;
        } else if (strcmp(arg, "-ffp-contract=on") == 0 || strcmp(arg, "-ffp-contract=fast") == 0) {
            o->fp_contract = true;
        } else if (strcmp(arg, "-fsanitize=bounds") == 0) {
            o->sanitize_bounds = true;
        } else if (strcmp(arg, "-fno-sanitize=bounds") == 0) {
            o->sanitize_bounds = false;
        } else if (strncmp(arg, "-fsanitize=", 11) == 0) {
            return usage_error("unknown sanitizer '%s' (clawc has -fsanitize=bounds)", arg + 11);
        } else if (strcmp(arg, "-Werror") == 0) {
            o->werror = true;
        } else if (strncmp(arg, "--cubin=", 8) == 0) {
            if ((rc = parse_cubins(a, o, arg + 8)) != 0)
                return rc;
        } else if (strncmp(arg, "--variants=", 11) == 0) {
            o->variants = arg + 11;
        } else if (strcmp(arg, "--variants") == 0) {
            if (i + 1 >= argc)
                return usage_error("--variants needs NAME=V1,V2;NAME=V1,V2...");
            o->variants = argv[++i];
        } else if (strcmp(arg, "-g0") == 0) {
            o->no_line_info = true;
        } else if (strcmp(arg, "-g") == 0 || strcmp(arg, "-g1") == 0 || strcmp(arg, "-g2") == 0 ||
                   strcmp(arg, "-g3") == 0 || strcmp(arg, "-gline-tables-only") == 0) {
            o->no_line_info = false; /* line tables are all the debug info there is */
        } else if (strncmp(arg, "-ffile-prefix-map=", 18) == 0) {
            if ((rc = add_prefix_map(a, &maps, "-ffile-prefix-map", arg + 18)) != 0)
                return rc;
        } else if (strncmp(arg, "-fdebug-prefix-map=", 19) == 0) {
            if ((rc = add_prefix_map(a, &maps, "-fdebug-prefix-map", arg + 19)) != 0)
                return rc;
        } else if (strcmp(arg, "-MD") == 0) {
            o->md = true;
        } else if (strcmp(arg, "-MF") == 0) {
            if (i + 1 >= argc)
                return usage_error("-MF needs a file name");
            o->mf = argv[++i];
            o->md = true;
        } else if (strcmp(arg, "--embed") == 0) {
            o->embed = true;
        } else if (arg[0] == '-' && arg[1]) {
            return usage_error("unknown option '%s'", arg);
        } else {
            if (o->input)
                return usage_error("more than one input file ('%s' and '%s')", o->input, arg);
            o->input = arg;
        }
    }
    if (!o->input)
        return usage_error("no input file");
    if (o->embed && o->kind != DRIVER_C_HEADER)
        return usage_error("--embed only goes with --emit=c-header");
    if (o->kind == DRIVER_C_HEADER && irfile_is_ir(o->input))
        return usage_error("--emit=c-header needs the .claw source: the IR does not record the "
                           "C headers it imports");
    if (o->variants && o->kind != DRIVER_FATBIN && o->kind != DRIVER_C_HEADER)
        return usage_error("--variants builds a fat binary: it goes with --emit=fatbin or "
                           "--emit=c-header, not --emit=%s",
                           o->emit);
    o->ndefines = defs.len;
    o->defines = arena_alloc(a, sizeof(Define) * (size_t)(defs.len + 1));
    for (int i = 0; i < defs.len; i++)
        o->defines[i] = *(Define *)defs.data[i];
    o->ninclude_dirs = incs.len;
    o->include_dirs = (const char **)incs.data;
    o->nprefix_maps = maps.len;
    o->prefix_maps = arena_alloc(a, sizeof(PrefixMap) * (size_t)(maps.len + 1));
    for (int i = 0; i < maps.len; i++)
        o->prefix_maps[i] = *(PrefixMap *)maps.data[i];
    return -1;
}

/* A --variants value: printable, no spaces, and none of the separators of
 * the spec or of claw.variant (docs/fatbin.md). */
static bool
variant_value_ok(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '=' || s[i] == ';')
            return false;
    return true;
}

/* Expands --variants SPEC into every combination, the first axis varying
 * slowest (so the first variant takes every axis's first value). */
static int
expand_variants(Arena *a, const Options *o, Variant **out, int *nout)
{
    VariantAxis *axes = arena_alloc(a, sizeof *axes * MAX_AXES);
    int naxes = 0;
    const char *p = o->variants;
    if (!*p)
        return usage_error("--variants needs NAME=V1,V2;NAME=V1,V2...");
    for (;;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq || !is_ident(p, (size_t)(eq - p)))
            return usage_error("--variants: '%.*s' is not NAME=V1,V2,...", (int)len, p);
        if (naxes == MAX_AXES)
            return usage_error("--variants: more than %d names", MAX_AXES);
        VariantAxis *ax = &axes[naxes++];
        ax->name = arena_strndup(a, p, (size_t)(eq - p));
        ax->nvalues = 0;
        for (int i = 0; i < naxes - 1; i++)
            if (strcmp(axes[i].name, ax->name) == 0)
                return usage_error("--variants: '%s' is given twice", ax->name);
        for (int i = 0; i < o->ndefines; i++)
            if (strcmp(o->defines[i].name, ax->name) == 0)
                return usage_error("'%s' is set both by -D and by --variants", ax->name);
        for (const char *v = eq + 1;;) {
            const char *comma = memchr(v, ',', (size_t)(p + len - v));
            size_t vlen = comma ? (size_t)(comma - v) : (size_t)(p + len - v);
            if (!variant_value_ok(v, vlen))
                return usage_error("--variants: bad value '%.*s' for %s (a constant without "
                                   "spaces, '=' or ';')",
                                   (int)vlen, v, ax->name);
            if (ax->nvalues == MAX_AXIS_VALUES)
                return usage_error("--variants: more than %d values for %s", MAX_AXIS_VALUES,
                                   ax->name);
            ax->values[ax->nvalues++] = arena_strndup(a, v, vlen);
            if (!comma)
                break;
            v = comma + 1;
        }
        if (!end)
            break;
        p = end + 1;
    }
    long total = 1;
    for (int i = 0; i < naxes; i++)
        if ((total *= axes[i].nvalues) > MAX_VARIANTS)
            return usage_error("--variants: more than %d combinations", MAX_VARIANTS);
    Variant *vs = arena_alloc(a, sizeof *vs * (size_t)total);
    for (long n = 0; n < total; n++) {
        Variant *v = &vs[n];
        v->ndefines = o->ndefines + naxes;
        v->defines = arena_alloc(a, sizeof(Define) * (size_t)(v->ndefines + 1));
        for (int i = 0; i < o->ndefines; i++)
            v->defines[i] = (Define){o->defines[i].name, o->defines[i].value, false};
        Buf text = {0};
        long rest = n;
        for (int i = naxes - 1; i >= 0; i--) {
            int k = (int)(rest % axes[i].nvalues);
            rest /= axes[i].nvalues;
            v->defines[o->ndefines + i] = (Define){axes[i].name, axes[i].values[k], false};
        }
        for (int i = 0; i < naxes; i++) {
            const Define *d = &v->defines[o->ndefines + i];
            buf_printf(&text, "%s%s=%s", i ? ";" : "", d->name, d->value);
        }
        v->settings = arena_strndup(a, (const char *)text.data, text.len);
        buf_free(&text);
    }
    *out = vs;
    *nout = (int)total;
    return 0;
}

/* Chooses the targets to build when none were given: all three defaults, or
 * for a per-target --emit the first default target that can produce it (so
 * `--emit=llvm-ir` alone gives one file). Checks given targets can emit. */
static int
resolve_targets(Options *o)
{
    bool per_target = o->kind == PER_TARGET;
    if (o->ntargets == 0) {
        for (int i = 0; i < NUM_TARGETS; i++) {
            const Target *t = all_targets[i];
            if (per_target && !target_output(t, o->emit))
                continue;
            o->targets[o->ntargets++] = (TargetReq){t, t->default_arch};
            if (per_target)
                break;
        }
        if (o->ntargets == 0)
            return usage_error("no target of this build can emit %s", o->emit);
        return -1;
    }
    if (per_target)
        for (int i = 0; i < o->ntargets; i++)
            if (!target_output(o->targets[i].t, o->emit))
                return usage_error("target %s cannot emit %s", o->targets[i].t->name, o->emit);
    return -1;
}

/* "dir/saxpy.claw" -> "saxpy" */
static const char *
input_stem(Arena *a, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".claw") == 0)
        n -= 5;
    else if (n > 7 && strcmp(base + n - 7, ".clawir") == 0)
        n -= 7;
    if (n == 0)
        return "out";
    return arena_strndup(a, base, n);
}

/* Kernel metadata of docs/language.md §8, from the IR, in module order. */
static claw_fb_kernel *
collect_kernels(Arena *a, IrModule *m, uint32_t *nkernels)
{
    claw_fb_kernel *ks = arena_alloc(a, sizeof *ks * (size_t)(m->funcs.len + 1));
    uint32_t n = 0;
    for (int i = 0; i < m->funcs.len; i++) {
        IrFunc *f = m->funcs.data[i];
        if (!f->is_kernel)
            continue;
        int nuser = f->nparams - f->hidden_params;
        claw_fb_param *ps = arena_alloc(a, sizeof *ps * (size_t)(nuser + 1));
        for (int j = 0; j < nuser; j++) {
            IrType *t = f->params[j].type;
            ps[j] = (claw_fb_param){
                .name = f->params[j].name,
                .kind = (claw_fb_param_kind)ir_param_kind(t),
                .size = (uint32_t)t->size,
                .align = (uint32_t)t->align,
            };
        }
        ks[n++] = (claw_fb_kernel){
            .name = f->name,
            .nparams = (uint32_t)nuser,
            .params = ps,
            .bounds_checked = m->bounds_checked,
            .workgroup = {f->workgroup[0], f->workgroup[1], f->workgroup[2]},
            .shared_bytes = (uint32_t)ir_kernel_shared_bytes(m, f),
        };
    }
    *nkernels = n;
    return ks;
}

/* A name as one word of the site table (docs/debugging.md). */
static const char *
site_word(Arena *a, const char *s)
{
    if (!s || !*s)
        return "-";
    size_t n = strlen(s);
    if (n > 100)
        n = 100;
    char *w = arena_strndup(a, s, n);
    for (char *c = w; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '.'))
            *c = '_';
    return w;
}

/* The "claw.bounds" access-site table of a checked module (docs/debugging.md),
 * NULL for an unchecked one. */
static const char *
bounds_sites(Arena *a, IrModule *m, const Options *o)
{
    if (!m->bounds_checked)
        return NULL;
    static const char *const acc[] = {"load", "store", "atomic"};
    static const char *const space[] = {"global", "shared", "private"};
    Buf b = {0};
    const char *file = recorded_path(a, o, o->input);
    buf_printf(&b, "file ");
    for (const char *c = file; *c; c++)
        buf_printf(&b, "%c", (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c);
    buf_printf(&b, "\n");
    for (int i = 0; i < m->bounds_sites.len; i++) {
        const IrBoundsSite *st = m->bounds_sites.data[i];
        buf_printf(&b, "site %d %u %u %s %s %llu %llu %s %s\n", i, st->loc.line, st->loc.col,
                   acc[st->access], space[st->space], (unsigned long long)st->bytes,
                   (unsigned long long)st->align, site_word(a, st->func),
                   site_word(a, st->param));
    }
    buf_append(&b, "", 1);
    char *text = arena_strdup(a, (const char *)b.data);
    buf_free(&b);
    return text;
}

/* Runs one target's emit; prints its message on failure. */
static int
emit_target(IrModule *m, const Options *o, const TargetReq *tr, const TargetOutput *kind,
            Buf *out)
{
    TargetOptions to = {.arch = tr->arch, .opt_level = o->opt_level, .fp_contract = o->fp_contract};
    char *err = NULL;
    EmitStatus st = tr->t->emit(m, &to, kind, out, &err);
    int rc = 0;
    switch (st) {
    case EMIT_OK:
        break;
    case EMIT_INPUT_ERROR:
        rc = EXIT_INPUT;
        break;
    case EMIT_ENV_ERROR:
        rc = EXIT_USAGE;
        break;
    }
    if (rc != 0) {
        fprintf(stderr, "clawc: error: %s:%s: %s\n", tr->t->name, tr->arch,
                err ? err : "code generation failed");
        buf_free(out);
    }
    free(err);
    return rc;
}

/* Whether two kernel lists have the same kernels with the same parameters
 * (what one typed C header launches); names the first difference. */
static const char *
same_signatures(const claw_fb_kernel *a, uint32_t na, const claw_fb_kernel *b, uint32_t nb)
{
    if (na != nb)
        return "the list of kernels";
    for (uint32_t k = 0; k < na; k++) {
        if (strcmp(a[k].name, b[k].name) != 0 || a[k].nparams != b[k].nparams)
            return a[k].name;
        for (uint32_t i = 0; i < a[k].nparams; i++)
            if (a[k].params[i].kind != b[k].params[i].kind ||
                a[k].params[i].size != b[k].params[i].size ||
                a[k].params[i].align != b[k].params[i].align)
                return a[k].name;
    }
    return NULL;
}

/* Builds every target's image of every variant and packs them into a fat
 * binary: variant by variant, each in --target order (docs/fatbin.md). */
static int
build_fatbin(Arena *a, const Variant *vs, int nvs, const Options *o, Buf *out)
{
    /* + 1: the cooperative-matrix companion of a SPIR-V image */
    size_t per = (size_t)o->ntargets + (size_t)o->ncubins + 1;
    size_t n = (size_t)nvs * per;
    bool spirv = false, coop_asked = false;
    for (int t = 0; t < o->ntargets; t++)
        if (o->targets[t].t == &spv_target) {
            bool c = strcmp(o->targets[t].arch, SPIRV_COOPMAT_ARCH) == 0;
            coop_asked |= c;
            spirv |= !c;
        }
    claw_fb_image *images = arena_alloc(a, sizeof *images * n);
    claw_fb_entry *entries = arena_alloc(a, sizeof *entries * n);
    Buf *bufs = arena_alloc(a, sizeof *bufs * n);
    memset(bufs, 0, sizeof *bufs * n);
    memset(entries, 0, sizeof *entries * n);
    uint32_t nk0 = 0;
    claw_fb_kernel *k0 = NULL;
    int rc = 0;
    size_t done = 0;
    for (int v = 0; rc == 0 && v < nvs; v++) {
        uint32_t nkernels;
        claw_fb_kernel *kernels = collect_kernels(a, vs[v].m, &nkernels);
        const char *bounds = bounds_sites(a, vs[v].m, o);
        const char *diff = v ? same_signatures(k0, nk0, kernels, nkernels) : NULL;
        if (diff) {
            fprintf(stderr,
                    "clawc: error: variant %s changes the parameters of %s from variant %s: "
                    "one typed C header could not launch both\n",
                    vs[v].settings, diff, vs[0].settings);
            rc = EXIT_INPUT;
            break;
        }
        if (v == 0) {
            k0 = kernels;
            nk0 = nkernels;
        }
        for (int t = 0; t < o->ntargets; t++, done++) {
            const TargetReq *tr = &o->targets[t];
            if ((rc = emit_target(vs[v].m, o, tr, target_image(tr->t), &bufs[done])) != 0) {
                if (vs[v].settings)
                    fprintf(stderr, "clawc: note: in variant %s\n", vs[v].settings);
                break;
            }
            images[done] = (claw_fb_image){
                .triple = tr->t->triple(tr->arch),
                .arch = tr->arch,
                .image_kind = target_image(tr->t)->fb_image_kind,
                .data = bufs[done].data,
                .size = bufs[done].len,
                .nkernels = nkernels,
                .kernels = kernels,
            };
            entries[done].variant = vs[v].settings;
            entries[done].bounds = bounds;
            if (tr->t == &spv_target && strcmp(tr->arch, SPIRV_COOPMAT_ARCH) == 0 &&
                ir_module_has_matrix(vs[v].m))
                entries[done].requires = CLAW_FB_FEATURE_VK_COOPMAT;
        }
        /* Cubins follow the variant's images, in --cubin order. */
        for (int c = 0; rc == 0 && c < o->ncubins; c++, done++) {
            const Buf *ptx =
                &bufs[done - (size_t)o->ntargets - (size_t)c + (size_t)o->cubin_from[c]];
            char *err = NULL;
            rc = nvptx_assemble_cubin(ptx, o->cubin_archs[c], o->opt_level, !o->no_line_info,
                                      &bufs[done], &err);
            if (rc != 0) {
                fprintf(stderr, "clawc: error: --cubin=%s: %s\n", o->cubin_archs[c],
                        err ? err : "ptxas failed");
                free(err);
                rc = rc == 2 ? EXIT_USAGE : EXIT_INPUT;
                break;
            }
            images[done] = (claw_fb_image){
                .triple = llvm_nvptx_target.triple(o->cubin_archs[c]),
                .arch = o->cubin_archs[c],
                .image_kind = CLAW_FB_IMG_CUBIN,
                .data = bufs[done].data,
                .size = bufs[done].len,
                .nkernels = nkernels,
                .kernels = kernels,
            };
            entries[done].variant = vs[v].settings;
            entries[done].bounds = bounds;
        }
        /* A module with matrix tiles gets, beside its SPIR-V image (the
         * fallback), the cooperative-matrix image that the runtime picks on
         * devices with VK_KHR_cooperative_matrix (docs/fatbin.md); bf16
         * tiles have no such form and stay with the fallback. */
        if (rc == 0 && spirv && !coop_asked && ir_module_has_matrix(vs[v].m) &&
            !spv_coopmat_unsupported(vs[v].m)) {
            const TargetReq tr = {&spv_target, SPIRV_COOPMAT_ARCH};
            if ((rc = emit_target(vs[v].m, o, &tr, target_image(&spv_target), &bufs[done])) != 0)
                break;
            images[done] = (claw_fb_image){
                .triple = spv_target.triple(SPIRV_COOPMAT_ARCH),
                .arch = SPIRV_COOPMAT_ARCH,
                .image_kind = target_image(&spv_target)->fb_image_kind,
                .data = bufs[done].data,
                .size = bufs[done].len,
                .nkernels = nkernels,
                .kernels = kernels,
            };
            entries[done].variant = vs[v].settings;
            entries[done].bounds = bounds;
            entries[done].requires = CLAW_FB_FEATURE_VK_COOPMAT;
            done++;
        }
    }
    if (rc == 0) {
        void *data = NULL;
        size_t size = 0;
        char err[256];
        if (claw_fb_write_entries(images, entries, done, &data, &size, err, sizeof err) != 0) {
            rc = env_error("cannot write the fat binary: %s", err);
        } else {
            buf_append(out, data, size);
            free(data);
        }
    }
    for (size_t i = 0; i < n; i++)
        buf_free(&bufs[i]);
    return rc;
}

/* Writes data to path: "-" is stdout; a regular (or new) file goes through
 * a temporary file renamed into place, so readers never see half a file;
 * anything else (/dev/null, a pipe) is written directly. */
static int
write_output(const char *path, const Buf *data)
{
    if (strcmp(path, "-") == 0) {
        if (data->len && fwrite(data->data, 1, data->len, stdout) != data->len)
            return env_error("cannot write to standard output");
        return fflush(stdout) == 0 ? 0 : env_error("cannot write to standard output");
    }
    struct stat st;
    bool direct = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
    if (direct && S_ISDIR(st.st_mode))
        return env_error("cannot write '%s': it is a folder", path);
    size_t tlen = strlen(path) + 32;
    char *tmp = malloc(tlen);
    if (!tmp)
        return env_error("out of memory");
    snprintf(tmp, tlen, "%s.tmp%ld", path, (long)getpid());
    const char *wpath = direct ? path : tmp;
    FILE *f = fopen(wpath, "wb");
    if (!f) {
        int e = errno;
        free(tmp);
        return env_error("cannot write '%s': %s", path, strerror(e));
    }
    bool ok = (data->len == 0 || fwrite(data->data, 1, data->len, f) == data->len);
    ok &= fclose(f) == 0;
    if (ok && !direct && rename(tmp, path) != 0)
        ok = false;
    int e = errno;
    if (!ok && !direct)
        remove(tmp);
    free(tmp);
    return ok ? 0 : env_error("cannot write '%s': %s", path, strerror(e));
}

/* Decides the output files of a per-target --emit and fills them. */
static int
build_per_target(Arena *a, IrModule *m, const Options *o, const char *stem, PtrVec *outs)
{
    bool several = o->ntargets > 1;
    if (several && (!o->output || strcmp(o->output, "-") == 0))
        return usage_error("several targets need -o DIR (a folder for one file per target)");
    if (several) {
        struct stat st;
        if (stat(o->output, &st) == 0 && !S_ISDIR(st.st_mode))
            return usage_error("several targets need -o DIR, and '%s' is not a folder", o->output);
    }
    for (int i = 0; i < o->ntargets; i++) {
        const TargetOutput *kind = target_output(o->targets[i].t, o->emit);
        const char *ext = kind->ext;
        Output *out = arena_alloc(a, sizeof *out);
        if (several)
            out->path = arena_printf(a, "%s/%s.%s.%s", o->output, stem, o->targets[i].arch, ext);
        else
            out->path =
                o->output ? arena_strdup(a, o->output) : arena_printf(a, "%s.%s", stem, ext);
        ptrvec_push(a, outs, out);
        int rc = emit_target(m, o, &o->targets[i], kind, &out->data);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void
free_outputs(PtrVec *outs)
{
    for (int i = 0; i < outs->len; i++)
        buf_free(&((Output *)outs->data[i])->data);
}

/* -fsanitize=bounds instruments the target-independent IR, but matrix tiles
 * are lowered per target after it (docs/matrix.md): the two are refused
 * together with an error rather than half-checked (docs/debugging.md). */
static bool
bounds_refuses_matrices(IrModule *m)
{
    if (!ir_module_has_matrix(m))
        return false;
    diag_error((SrcLoc){0}, "-fsanitize=bounds does not support matrix tiles (matrix_load, "
                            "matrix_mma, ...) yet; compile this module without it");
    return true;
}

/* Front end and lowering: returns the verified, optimised module or NULL
 * with *rc set. */
static IrModule *
compile_module(Arena *a, Compilation *cc, const Options *o, Module **out_mod, int *rc)
{
    size_t len = 0;
    char *text = buf_read_file(o->input, &len);
    if (!text) {
        *rc = env_error("cannot read '%s': %s", o->input, strerror(errno ? errno : EIO));
        return NULL;
    }
    char *copy = arena_alloc(a, len + 1);
    memcpy(copy, text, len);
    free(text);
    if (irfile_is_ir(o->input)) {
        /* Claw IR in: already lowered and checked by the verifier. */
        IrModule *m = irfile_read(o->input, copy, len);
        if (m && (o->ndefines || o->ninclude_dirs))
            diag_warning((SrcLoc){0}, "-D and -I have no effect on Claw IR input '%s'", o->input);
        if (m && diag_error_count()) { /* the warning, with -Werror */
            ir_module_free(m);
            m = NULL;
        }
        if (!m) {
            *rc = EXIT_INPUT;
            return NULL;
        }
        ir_run_passes(m, o->opt_level);
        if (o->sanitize_bounds && o->kind != DRIVER_CLAW_IR) {
            if (bounds_refuses_matrices(m)) {
                ir_module_free(m);
                *rc = EXIT_INPUT;
                return NULL;
            }
            ir_bounds_check(m);
        }
        return m;
    }
    uint32_t file = diag_add_file(o->input, copy, len);
    int ntoks = 0;
    Token *toks = lex_file(a, file, copy, len, &ntoks);
    Module *mod = parse_file(a, o->input, toks, ntoks);
    IrModule *m = ir_module_new(recorded_path(a, o, o->input));
    SemaOptions so = {
        .defines = o->defines,
        .ndefines = o->ndefines,
        .include_dirs = o->include_dirs,
        .ninclude_dirs = o->ninclude_dirs,
        .imports = cc->imports,
    };
    /* sema also diagnoses -D names that match no const (a warning). */
    bool ok = sema_check(a, mod, m, &so) && diag_error_count() == 0;
    if (!ok) {
        ir_module_free(m);
        *rc = EXIT_INPUT;
        return NULL;
    }
    lower_module(a, mod, m);
    ir_run_passes(m, o->opt_level);
    /* --emit=claw-ir prints the IR before the checks, as it does before the
     * polyfill: compiling that text with -fsanitize=bounds checks it the same. */
    if (o->sanitize_bounds && o->kind != DRIVER_CLAW_IR) {
        if (bounds_refuses_matrices(m)) {
            ir_module_free(m);
            *rc = EXIT_INPUT;
            return NULL;
        }
        ir_bounds_check(m);
    }
    *out_mod = mod;
    return m;
}

static int
clawc_main(int argc, char **argv)
{
    Arena *a = arena_new();
    Options o = {0};
    int rc = parse_args(a, argc, argv, &o);
    if (rc < 0)
        rc = resolve_targets(&o);
    if (rc < 0)
        rc = resolve_cubins(&o);
    if (rc >= 0) {
        arena_free(a);
        return rc;
    }
    /* the context of this compilation, passed down (front.h) */
    Compilation *cc = compilation_new(o.werror);
    const char *stem = input_stem(a, o.input);
    Module *mod = NULL;
    Variant single = {0}, *vs = &single;
    int nvs = 1;
    if (o.variants && (rc = expand_variants(a, &o, &vs, &nvs)) != 0) {
        compilation_free(cc);
        arena_free(a);
        return rc;
    }
    for (int v = 0; v < nvs; v++) {
        Options ov = o;
        if (vs[v].settings) {
            ov.defines = vs[v].defines;
            ov.ndefines = vs[v].ndefines;
        }
        Module *vmod = NULL;
        if (!(vs[v].m = compile_module(a, cc, &ov, &vmod, &rc))) {
            if (vs[v].settings)
                fprintf(stderr, "clawc: note: in variant %s\n", vs[v].settings);
            for (int i = 0; i < v; i++)
                ir_module_free(vs[i].m);
            compilation_free(cc);
            arena_free(a);
            return rc;
        }
        if (v == 0)
            mod = vmod; /* the C header is written from the first variant */
    }
    IrModule *m = vs[0].m;

    PtrVec outs = {0};
    rc = 0;
    /* -g0: the backends record line information only for a named source
     * (IrModule.source_name); the Claw IR keeps its location comments. */
    if (o.no_line_info && o.kind != DRIVER_CLAW_IR)
        for (int v = 0; v < nvs; v++)
            vs[v].m->source_name = NULL;
    if (o.kind == PER_TARGET) {
        rc = build_per_target(a, m, &o, stem, &outs);
    } else {
        Output *out = arena_alloc(a, sizeof *out);
        out->path = o.output ? arena_strdup(a, o.output)
                             : arena_printf(a, "%s.%s", stem, driver_ext(o.kind));
        ptrvec_push(a, &outs, out);
        if (o.kind == DRIVER_FATBIN) {
            rc = build_fatbin(a, vs, nvs, &o, &out->data);
        } else if (o.kind == DRIVER_CLAW_IR) {
            ir_print_module(m, &out->data);
        } else {
            Buf fb = {0};
            if (o.embed)
                rc = build_fatbin(a, vs, nvs, &o, &fb);
            if (rc == 0)
                cheader_write(mod, m, stem, o.embed ? &fb : NULL, o.variants != NULL, &out->data);
            buf_free(&fb);
        }
    }

    /* Everything built: now (and only now) touch the file system. */
    if (rc == 0 && o.kind == PER_TARGET && o.ntargets > 1 && mkdir(o.output, 0777) != 0 &&
        errno != EEXIST)
        rc = env_error("cannot create folder '%s': %s", o.output, strerror(errno));
    for (int i = 0; rc == 0 && i < outs.len; i++) {
        Output *out = outs.data[i];
        rc = write_output(out->path, &out->data);
    }
    if (rc == 0 && o.md) {
        const char *target = o.ntargets > 1 && o.kind == PER_TARGET
                                 ? o.output
                                 : ((Output *)outs.data[0])->path;
        const char *dep = o.mf;
        if (!dep)
            dep = strcmp(target, "-") == 0 ? arena_printf(a, "%s.d", stem)
                                           : arena_printf(a, "%s.d", target);
        if (!depfile_write(dep, target, o.input, cc->imports))
            rc = env_error("cannot write the depfile '%s'", dep);
    }
    free_outputs(&outs);
    for (int v = 0; v < nvs; v++)
        ir_module_free(vs[v].m);
    compilation_free(cc);
    arena_free(a);
    return rc;
}

typedef struct MainArgs {
    int argc;
    char **argv;
    int rc;
} MainArgs;

static void *
main_thread(void *arg)
{
    MainArgs *ma = arg;
    ma->rc = clawc_main(ma->argc, ma->argv);
    return NULL;
}

int
main(int argc, char **argv)
{
    MainArgs ma = {argc, argv, 0};
    pthread_attr_t attr;
    pthread_t th;
    if (pthread_attr_init(&attr) != 0 || pthread_attr_setstacksize(&attr, COMPILE_STACK_BYTES) != 0 ||
        pthread_create(&th, &attr, main_thread, &ma) != 0) {
        fprintf(stderr, "clawc: error: cannot start the compiler thread with a %zu MiB stack\n",
                COMPILE_STACK_BYTES >> 20);
        return EXIT_USAGE;
    }
    pthread_attr_destroy(&attr);
    pthread_join(th, NULL);
    return ma.rc;
}
