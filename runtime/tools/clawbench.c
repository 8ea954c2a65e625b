/* clawbench: times the shipped kernels, a contributor's candidate beside
 * them, and the variants of a fat binary (docs/clawbench.md).
 *
 *   clawbench NAME [--candidate FILE.claw|FILE.clawfb] [--device D] [--json]
 *   clawbench --all | --list
 *   clawbench --tune FILE.clawfb [-o OUT] [--kernel K]
 *
 * How a result is measured (run_case): the inputs are written, one run is
 * made and its result compared with the C reference (bench_suite.c); only a
 * right result is timed. Timing: warm-up runs, then one run timed alone
 * gives how many runs make a sample of about --target-ms, then --reps
 * samples, each `inner` runs between two events on one stream
 * (claw_event_elapsed: device time). The report is the median per run, the
 * interquartile spread, the rate (GB/s from the minimum bytes, GFLOP/s),
 * and the roofline fraction: the time the device's measured limits allow
 * (bytes / copy bandwidth, flops / fma rate, whichever is longer) over the
 * time taken. The limits come from clawbench's own kernels
 * (bench_limits.claw), measured in the same way at the start.
 *
 * Exit status: 0 every result right, 1 a wrong result (shipped, candidate or
 * variant), 2 a bad command line or environment (no device, a file that
 * cannot be read, a candidate that does not compile or has another
 * signature). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <claw/fatbin.h>

#include "bench.h"
#include "bench_host.h"

enum { EXIT_WRONG = 1, EXIT_USAGE = 2 };

static const char *progname = "clawbench";

static void
usage(FILE *f)
{
    fprintf(
        f,
        "usage: clawbench NAME [--candidate FILE.claw|FILE.clawfb] [--device D] [--json]\n"
        "       clawbench --all [--device D] [--json]\n"
        "       clawbench --list\n"
        "       clawbench --tune FILE.clawfb [-o OUT] [--kernel K] [--device D] [--json]\n"
        "options: --quick (small sizes, few repetitions; the default on lavapipe)  --full\n"
        "         --no-limits (no roofline)  --reps N  --warmup N\n"
        "         --target-ms MS  --seed S  --clawc PATH  --help  --version\n"
        "exit status: 0 all results right, 1 a wrong result, 2 bad command line or environment\n");
}

/* ---- options ------------------------------------------------------------ */

static bool
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > max)
        return false;
    *out = (unsigned long)v;
    return true;
}

/* "--opt=VALUE" or "--opt VALUE": the value, or NULL when argv[i] is not opt. */
static const char *
opt_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
    size_t n = strlen(opt);
    if (strncmp(argv[*i], opt, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int
parse_args(int argc, char **argv, BenchOpts *o)
{
    memset(o, 0, sizeof *o);
    o->reps = 0;
    o->warmup = -1;
    o->target_ms = 0;
    o->seed = (uint64_t)time(NULL);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool missing = false;
        unsigned long n;
#define VALUE(opt) ((v = opt_value(argc, argv, &i, opt, &missing)) != NULL || missing)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("clawbench (OpenClaw) %s\n", CLAW_VERSION);
            exit(0);
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--list") == 0) {
            o->list = true;
        } else if (strcmp(a, "--all") == 0) {
            o->all = true;
        } else if (strcmp(a, "--quick") == 0) {
            o->quick = true;
        } else if (strcmp(a, "--full") == 0) {
            o->full = true;
        } else if (strcmp(a, "--no-limits") == 0) {
            o->no_limits = true;
        } else if (VALUE("--candidate")) {
            if (missing || o->candidate)
                goto bad_value;
            o->candidate = v;
        } else if (VALUE("--device")) {
            if (missing)
                goto bad_value;
            o->device = v;
        } else if (VALUE("--tune")) {
            if (missing)
                goto bad_value;
            o->tune = v;
        } else if (VALUE("--kernel")) {
            if (missing || o->nkernels == BENCH_MAX_FILTER)
                goto bad_value;
            o->kernels[o->nkernels++] = v;
        } else if (VALUE("--clawc")) {
            if (missing)
                goto bad_value;
            o->clawc = v;
        } else if (VALUE("-o")) {
            if (missing)
                goto bad_value;
            o->output = v;
        } else if (VALUE("--reps")) {
            if (missing || !parse_uint(v, 100000, &n) || n == 0)
                goto bad_value;
            o->reps = (int)n;
        } else if (VALUE("--warmup")) {
            if (missing || !parse_uint(v, 100000, &n))
                goto bad_value;
            o->warmup = (int)n;
        } else if (VALUE("--target-ms")) {
            if (missing || !parse_uint(v, 100000, &n))
                goto bad_value;
            o->target_ms = (double)n;
        } else if (VALUE("--seed")) {
            unsigned long long s;
            char *end;
            errno = 0;
            if (missing || !*v || *v == '-' || (s = strtoull(v, &end, 0), errno || *end))
                goto bad_value;
            o->seed = s;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "%s: error: unknown option '%s' (try --help)\n", progname, a);
            return EXIT_USAGE;
        } else if (!o->name) {
            o->name = a;
        } else {
            fprintf(stderr,
                    "%s: error: one benchmark name at a time ('%s' and '%s'); --all runs "
                    "them all\n",
                    progname, o->name, a);
            return EXIT_USAGE;
        }
        continue;
    bad_value:
        fprintf(stderr, "%s: error: %s: %s\n", progname, a,
                missing ? "needs a value" : "bad or repeated value");
        return EXIT_USAGE;
#undef VALUE
    }
    if (o->candidate && !o->name) {
        fprintf(stderr, "%s: error: --candidate needs a benchmark NAME\n", progname);
        return EXIT_USAGE;
    }
    int modes = (o->list ? 1 : 0) + (o->all ? 1 : 0) + (o->tune ? 1 : 0) + (o->name ? 1 : 0);
    if (modes != 1) {
        fprintf(stderr,
                "%s: error: %s: give one of NAME, --all, --list or --tune FILE (try --help)\n",
                progname, modes ? "more than one thing to do" : "nothing to do");
        return EXIT_USAGE;
    }
    if ((o->output || o->nkernels) && !o->tune) {
        fprintf(stderr, "%s: error: -o and --kernel go with --tune\n", progname);
        return EXIT_USAGE;
    }
    if (o->name && !bench_find(o->name)) {
        fprintf(stderr, "%s: error: no benchmark '%s'; clawbench --list names them\n", progname,
                o->name);
        return EXIT_USAGE;
    }
    if (o->quick && o->full) {
        fprintf(stderr, "%s: error: --quick and --full contradict each other\n", progname);
        return EXIT_USAGE;
    }
    return 0;
}

/* The defaults that depend on the sizes, once the device is known: on a CPU
 * driver (lavapipe) the --quick sizes unless --full is given, since the GPU
 * sizes take minutes there. */
static void
apply_defaults(BenchOpts *o, const claw_device_props *p)
{
    if (!o->quick && !o->full && strstr(p->name, "llvmpipe")) {
        o->quick = true;
        o->quick_auto = true;
    }
    if (o->reps == 0)
        o->reps = o->quick ? 3 : 20;
    if (o->warmup < 0)
        o->warmup = o->quick ? 1 : 3;
    if (o->target_ms == 0)
        o->target_ms = o->quick ? 1.0 : 10.0;
}

/* ---- --list --------------------------------------------------------------- */

static int
list_benchmarks(const BenchOpts *o)
{
    if (o->json) {
        printf("{\"clawbench\": \"%s\", \"benchmarks\": [", CLAW_VERSION);
        for (size_t i = 0; i < bench_count; i++) {
            const Bench *b = &bench_table[i];
            printf("%s\n  {\"name\": ", i ? "," : "");
            json_str(stdout, b->name);
            printf(", \"sample\": ");
            char path[128];
            snprintf(path, sizeof path, "samples/%s/%s.claw", b->sample, b->sample);
            json_str(stdout, path);
            printf(", \"kernels\": [");
            for (int k = 0; k < BENCH_MAX_KERNELS && b->kernels[k]; k++) {
                printf("%s", k ? ", " : "");
                json_str(stdout, b->kernels[k]);
            }
            printf("], \"summary\": ");
            json_str(stdout, b->summary);
            printf(", \"tolerance\": ");
            json_str(stdout, b->tolerance);
            printf("}");
        }
        printf("\n]}\n");
        return 0;
    }
    for (size_t i = 0; i < bench_count; i++) {
        const Bench *b = &bench_table[i];
        char kernels[128] = "";
        for (int k = 0; k < BENCH_MAX_KERNELS && b->kernels[k]; k++) {
            size_t at = strlen(kernels);
            snprintf(kernels + at, sizeof kernels - at, "%s%s", k ? "," : "", b->kernels[k]);
        }
        printf("%-10s %-24s %s\n", b->name, kernels, b->summary);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    BenchOpts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    if (o.list)
        return list_benchmarks(&o);
    BenchHost h;
    rc = host_open(&h, &o);
    if (rc)
        return rc;
    apply_defaults(&o, &h.props);
    if (o.tune)
        rc = tune_file(&h, o.tune);
    else
        rc = run_benchmarks(&h);
    host_close(&h);
    return rc;
}
