/* difftest.c: claw_difftest, differential testing of the backends with the
 * random programs of gen.c (docs/validation.md, "Fuzzing").
 *
 * For each program (seed S, S+1, ...), three runs of the same function f
 * on the same THREADS inputs must give the same u64 per thread:
 *   jit-O0: the device functions at -O0 (no Claw IR passes) through the LLVM
 *           lowering, compiled for the host (targets/llvm/jit.c);
 *   jit-O3: the same after the -O3 Claw IR pass pipeline;
 *   device: the whole module (f, its helpers and the kernel wrapper k) at
 *           -O3 as SPIR-V (spirv-val and spirv-opt inside spv_emit), in a fat
 *           binary loaded through libclawrt on device 0 (lavapipe here).
 * jit-O0 against jit-O3 isolates the IR passes; jit-O3 against device
 * isolates the SPIR-V backend (and the driver). Inputs mix boundary values
 * (0, 1, -1, MIN, MAX, powers of two) with random ones.
 *
 * A program the front end refuses is a generator bug and counts as a failure
 * too (its diagnostics are printed). Failing programs are saved as
 * DIR/seed-S.claw with --keep DIR.
 *
 * Usage: claw_difftest [--seed S] [--count N | --seconds T] [--keep DIR] [--quiet]
 *        claw_difftest --file PROGRAM.claw   (a saved or hand-reduced program;
 *                                             inputs from --seed as before)
 * Default: a seed from the clock (printed), 200 programs. Exit status: 0 all
 * agreed, 1 a mismatch or refused program, 2 bad usage, 3 a program used
 * more than PROGRAM_TIMEOUT seconds of CPU time (a hang), 77 no device. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../../targets/target.h"
#include "claw/claw.h"
#include "claw/fatbin.h"
#include "fuzz_common.h"
#include "gen.h"

enum { THREADS = 192, WG = 64 };

typedef uint64_t (*FFn)(uint32_t, int32_t, uint64_t, int64_t);

static uint64_t rng_state;

static uint64_t
rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t
input_value(void)
{
    static const uint64_t special[] = {0,
                                       1,
                                       ~0ULL,
                                       0x7FFFFFFF,
                                       0x80000000,
                                       0xFFFFFFFF,
                                       0x7FFFFFFFFFFFFFFFULL,
                                       0x8000000000000000ULL,
                                       0xFFFFFFFF80000000ULL,
                                       2,
                                       7,
                                       8,
                                       31,
                                       32,
                                       63,
                                       64,
                                       0x7F,
                                       0x80,
                                       0xFF,
                                       0x7FFF,
                                       0x8000,
                                       0xFFFF};
    uint64_t r = rnd();
    switch (r % 4) {
    case 0: return special[(r >> 8) % (sizeof special / sizeof special[0])];
    case 1: return (r >> 8) % 100;
    default: return rnd();
    }
}

static char *
concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (!s)
        abort();
    memcpy(s, a, na);
    memcpy(s + na, b, nb + 1);
    return s;
}

/* f at opt_level through the host JIT; false (message printed) on failure */
static bool
run_jit(const char *src, int opt_level, const uint64_t *in, uint64_t *out)
{
    FuzzUnit u;
    if (!fuzz_compile((const uint8_t *)src, strlen(src), opt_level, &u)) {
        fprintf(stderr, "claw_difftest: the front end refused the functions (-O%d)\n", opt_level);
        return false;
    }
    char *err = NULL;
    LlvmJit *j = llvm_jit_new(u.m, &err);
    if (!j) {
        fprintf(stderr, "claw_difftest: llvm_jit_new: %s\n", err ? err : "?");
        free(err);
        fuzz_unit_free(&u);
        return false;
    }
    FFn f = (FFn)llvm_jit_func(j, "f");
    if (!f) {
        fprintf(stderr, "claw_difftest: no function f in the JIT\n");
        llvm_jit_free(j);
        fuzz_unit_free(&u);
        return false;
    }
    for (int i = 0; i < THREADS; i++)
        out[i] =
            f((uint32_t)in[4 * i], (int32_t)in[4 * i + 1], in[4 * i + 2], (int64_t)in[4 * i + 3]);
    llvm_jit_free(j);
    fuzz_unit_free(&u);
    return true;
}

/* The fat binary of the module's kernels with one SPIR-V image, as clawc
 * writes it (compiler/main.c, build_fatbin). */
static bool
spirv_fatbin(IrModule *m, void **fb, size_t *fb_size)
{
    TargetOptions to = {.arch = "vulkan1.2", .opt_level = 3, .fp_contract = true};
    Buf img = {0};
    char *err = NULL;
    if (spv_target.emit(m, &to, target_image(&spv_target), &img, &err) != EMIT_OK) {
        fprintf(stderr, "claw_difftest: spirv: %s\n", err ? err : "?");
        free(err);
        return false;
    }
    free(err);
    claw_fb_kernel ks[4];
    claw_fb_param ps[4][8];
    uint32_t nk = 0;
    for (int i = 0; i < m->funcs.len && nk < 4; i++) {
        IrFunc *f = m->funcs.data[i];
        if (!f->is_kernel || f->nparams > 8)
            continue;
        for (int j = 0; j < f->nparams; j++) {
            IrType *t = f->params[j].type;
            ps[nk][j] = (claw_fb_param){f->params[j].name, (claw_fb_param_kind)ir_param_kind(t),
                                        (uint32_t)t->size, (uint32_t)t->align};
        }
        ks[nk] = (claw_fb_kernel){f->name,
                                  (uint32_t)f->nparams,
                                  ps[nk],
                                  {f->workgroup[0], f->workgroup[1], f->workgroup[2]},
                                  (uint32_t)ir_kernel_shared_bytes(m, f),
                                  0};
        nk++;
    }
    claw_fb_image image = {
        spv_target.triple("vulkan1.2"), "vulkan1.2", CLAW_FB_IMG_SPIRV, img.data, img.len, nk, ks};
    char msg[256];
    int rc = claw_fb_write(&image, 1, fb, fb_size, msg, sizeof msg);
    if (rc != 0)
        fprintf(stderr, "claw_difftest: claw_fb_write: %s\n", msg);
    buf_free(&img);
    return rc == 0;
}

#define RT(call)                                                                                   \
    do {                                                                                           \
        claw_status s_ = (call);                                                                   \
        if (s_ != CLAW_SUCCESS) {                                                                  \
            fprintf(stderr, "claw_difftest: %s: %s: %s\n", #call, claw_status_string(s_),          \
                    claw_last_error());                                                            \
            ok = false;                                                                            \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

/* the whole program on dev through libclawrt */
static bool
run_device(claw_device *dev, const char *src, const uint64_t *in, uint64_t *out)
{
    FuzzUnit u;
    if (!fuzz_compile((const uint8_t *)src, strlen(src), 3, &u)) {
        fprintf(stderr, "claw_difftest: the front end refused the program\n");
        return false;
    }
    void *fb = NULL;
    size_t fb_size = 0;
    bool ok = spirv_fatbin(u.m, &fb, &fb_size);
    fuzz_unit_free(&u);
    if (!ok)
        return false;
    claw_module *mod = NULL;
    claw_buffer *bin = NULL, *bout = NULL;
    claw_kernel *k;
    RT(claw_module_load(dev, fb, fb_size, &mod));
    RT(claw_kernel_get(mod, "k", &k));
    RT(claw_alloc(dev, sizeof(uint64_t) * 4 * THREADS, &bin));
    RT(claw_alloc(dev, sizeof(uint64_t) * THREADS, &bout));
    RT(claw_write(bin, 0, in, sizeof(uint64_t) * 4 * THREADS));
    uint32_t n = THREADS;
    uint64_t ain = claw_buffer_address(bin), aout = claw_buffer_address(bout);
    const void *args[] = {&n, &ain, &aout};
    uint32_t grid[3] = {(THREADS + WG - 1) / WG, 1, 1}, block[3] = {WG, 1, 1};
    RT(claw_launch(k, grid, block, args, 3));
    RT(claw_synchronize(dev));
    RT(claw_read(bout, 0, out, sizeof(uint64_t) * THREADS));
done:
    claw_free(bin);
    claw_free(bout);
    if (mod)
        claw_module_unload(mod);
    free(fb);
    return ok;
}

static void
keep(const char *dir, uint64_t seed, const char *src)
{
    if (!dir)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%" PRIu64 ".claw", dir, seed);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return;
    }
    fputs(src, f);
    fclose(f);
    fprintf(stderr, "claw_difftest: program saved as %s\n", path);
}

/* A saved program (--file): the functions are everything before the
 * kernel wrapper that gen.c appends. */
static bool
read_program(const char *path, GenProgram *p)
{
    size_t len = 0;
    char *text = buf_read_file(path, &len);
    if (!text) {
        perror(path);
        return false;
    }
    char *k = strstr(text, "@workgroup(64)\nkernel k(");
    if (!k) {
        fprintf(stderr, "claw_difftest: %s: no kernel wrapper 'k' as claw_gen writes it\n", path);
        free(text);
        return false;
    }
    p->kernel = concat(k, "");
    *k = 0;
    p->funcs = text;
    return true;
}

/* A program that uses more than PROGRAM_TIMEOUT seconds of CPU time (the
 * compilers and the JIT included; a normal one takes well under a second)
 * is a hang: the run ends with exit status 3 and names its seed. CPU time,
 * not wall time, so that a loaded machine cannot cause a false alarm. */
enum { PROGRAM_TIMEOUT = 60 };
static volatile sig_atomic_t current_seed_lo, current_seed_hi;

static void
on_timeout(int sig)
{
    (void)sig;
    char msg[160];
    uint64_t seed = (uint64_t)(uint32_t)current_seed_hi << 32 | (uint32_t)current_seed_lo;
    int n = snprintf(msg, sizeof msg,
                     "claw_difftest: seed %" PRIu64 ": TIMEOUT after %d s of CPU time\n", seed,
                     PROGRAM_TIMEOUT);
    if (n > 0 && write(2, msg, (size_t)n) < 0)
        _exit(3);
    _exit(3);
}

/* Runs program `seed` (or the one in file); returns true when every run
 * agreed. */
static bool
check_program(claw_device *dev, uint64_t seed, const char *file, const char *keep_dir)
{
    GenProgram p;
    if (file) {
        if (!read_program(file, &p))
            return false;
    } else {
        p = gen_program(seed);
    }
    char *whole = concat(p.funcs, p.kernel);
    static uint64_t in[4 * THREADS], o0[THREADS], o3[THREADS], od[THREADS];
    rng_state = seed * 0xD1B54A32D192ED03ULL + 1;
    for (int i = 0; i < 4 * THREADS; i++)
        in[i] = input_value();
    bool ok = run_jit(p.funcs, 0, in, o0) && run_jit(p.funcs, 3, in, o3) &&
              (!dev || run_device(dev, whole, in, od));
    int bad = 0;
    for (int i = 0; ok && i < THREADS; i++) {
        bool b03 = o0[i] != o3[i], bd = dev && o3[i] != od[i];
        if (!b03 && !bd)
            continue;
        if (bad++ < 4)
            fprintf(stderr,
                    "claw_difftest: seed %" PRIu64 " thread %d: f(%" PRIu32 ", %" PRId32
                    ", %" PRIu64 ", %" PRId64 "): jit-O0 0x%016" PRIx64 " jit-O3 0x%016" PRIx64
                    " device 0x%016" PRIx64 " (%s)\n",
                    seed, i, (uint32_t)in[4 * i], (int32_t)in[4 * i + 1], in[4 * i + 2],
                    (int64_t)in[4 * i + 3], o0[i], o3[i], dev ? od[i] : 0,
                    b03 ? "the IR passes disagree" : "the SPIR-V path disagrees");
    }
    if (!ok || bad) {
        fprintf(stderr, "claw_difftest: seed %" PRIu64 ": %s\n", seed,
                ok ? "MISMATCH" : "FAILED to compile or run");
        keep(keep_dir, seed, whole);
    }
    free(whole);
    gen_program_free(&p);
    return ok && !bad;
}

int
main(int argc, char **argv)
{
    uint64_t seed = (uint64_t)time(NULL);
    long count = 200;
    double seconds = 0;
    const char *keep_dir = NULL, *file = NULL;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = strtol(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = strtod(argv[++i], NULL), count = -1;
        else if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
            file = argv[++i], count = 1;
        else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
            keep_dir = argv[++i];
        else if (strcmp(argv[i], "--quiet") == 0)
            quiet = true;
        else {
            fprintf(stderr, "usage: claw_difftest [--seed S] [--count N | --seconds T] "
                            "[--keep DIR] [--quiet] [--file PROGRAM.claw]\n");
            return 2;
        }
    }
    printf("claw_difftest: first seed %" PRIu64 " (--seed to replay)\n", seed);
    fflush(stdout);
    int ndev = 0;
    claw_status s = claw_device_count(&ndev);
    claw_device *dev = NULL;
    if (s != CLAW_SUCCESS || ndev == 0) {
        printf("SKIP: no device to run the programs on: %s\n",
               s ? claw_last_error() : "no devices at all");
        return 77;
    }
    if (claw_device_get(0, &dev) != CLAW_SUCCESS) {
        fprintf(stderr, "claw_difftest: claw_device_get: %s\n", claw_last_error());
        return 1;
    }
    signal(SIGPROF, on_timeout);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long done = 0, failed = 0;
    for (;;) {
        if (count >= 0 && done >= count)
            break;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        if (count < 0 && el >= seconds)
            break;
        uint64_t cur = seed + (uint64_t)done;
        current_seed_lo = (sig_atomic_t)(uint32_t)cur;
        current_seed_hi = (sig_atomic_t)(uint32_t)(cur >> 32);
        struct itimerval cpu = {{0, 0}, {PROGRAM_TIMEOUT, 0}};
        setitimer(ITIMER_PROF, &cpu, NULL);
        if (!check_program(dev, cur, file, keep_dir))
            failed++;
        done++;
        if (!quiet && done % 100 == 0) {
            printf("claw_difftest: %ld programs, %ld failed, %.0f s\n", done, failed, el);
            fflush(stdout);
        }
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("claw_difftest: %ld programs (seeds %" PRIu64 "..%" PRIu64 "), %ld failed, "
           "%d threads each, %.1f s\n",
           done, seed, seed + (uint64_t)done - 1, failed, THREADS, el);
    claw_shutdown();
    return failed ? 1 : 0;
}
