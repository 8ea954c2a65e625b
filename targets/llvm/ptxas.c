/* ptxas.c: SASS (cubin) images for `clawc --cubin` (docs/clawc.md "Cubins").
 *
 * The NVPTX backend writes PTX, which the CUDA driver JIT-compiles at module
 * load; a cubin is the same code already assembled for one architecture, so
 * an application loads without the JIT (the runtime prefers an exact cubin,
 * docs/runtime.md). NVIDIA's assembler is the CUDA toolkit's ptxas, which
 * no Debian package has: it is run when it is there (on the PATH, in
 * $CUDA_PATH/bin or /usr/local/cuda/bin) and its absence is an environment
 * error (exit 2) only when cubins were asked for.
 *
 * The PTX goes to a private folder under $TMPDIR (or /tmp), ptxas writes
 * the cubin beside it, and the folder is removed on every path. ptxas's
 * output depends only on the PTX and the options (not on the folder), so
 * cubins are as reproducible as the rest of the fat binary. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../target.h"
#include "llvm_internal.h"

/* ptxas on the PATH, else where the CUDA toolkit installs it. */
static char *
find_ptxas(void)
{
    const char *path = getenv("PATH");
    for (const char *s = path; s && *s;) {
        const char *e = strchr(s, ':');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        char *c = llvm_strdup_printf("%.*s/ptxas", (int)len, s);
        if (len && access(c, X_OK) == 0)
            return c;
        free(c);
        s += len + (e ? 1 : 0);
    }
    const char *cuda = getenv("CUDA_PATH");
    if (cuda && *cuda) {
        char *c = llvm_strdup_printf("%s/bin/ptxas", cuda);
        if (access(c, X_OK) == 0)
            return c;
        free(c);
    }
    if (access("/usr/local/cuda/bin/ptxas", X_OK) == 0)
        return llvm_strdup_printf("/usr/local/cuda/bin/ptxas");
    return NULL;
}



int
nvptx_assemble_cubin(const Buf *ptx, const char *arch, int opt_level, bool line_info, Buf *out,
                     char **err)
{
    char *ptxas = find_ptxas();
    if (!ptxas) {
        *err = llvm_strdup_printf("--cubin needs ptxas from the CUDA toolkit, found neither on "
                                  "the PATH nor in $CUDA_PATH/bin or /usr/local/cuda/bin");
        return 2;
    }
    const char *t = getenv("TMPDIR");
    const char *base = t && *t ? t : "/tmp";
    char *dir = llvm_strdup_printf("%s/clawc-XXXXXX", base);
    if (!mkdtemp(dir)) {
        *err =
            llvm_strdup_printf("cannot create a temporary folder in %s: %s", base, strerror(errno));
        free(dir);
        free(ptxas);
        return 2;
    }
    char *in = llvm_strdup_printf("%s/kernel.ptx", dir);
    char *cubin = llvm_strdup_printf("%s/kernel.cubin", dir);
    char *log = llvm_strdup_printf("%s/ptxas.log", dir);
    char *arch_opt = llvm_strdup_printf("-arch=%s", arch);
    char opt[4] = {'-', 'O', (char)('0' + (opt_level < 0 ? 0 : opt_level > 3 ? 3 : opt_level)), 0};
    int rc = 0;
    if (!llvm_write_file(in, ptx->data, ptx->len)) {
        *err = llvm_strdup_printf("cannot write %s: %s", in, strerror(errno));
        rc = 2;
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        *err = llvm_strdup_printf("cannot run %s: %s", ptxas, strerror(errno));
        rc = 2;
        goto out;
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        /* -lineinfo keeps the PTX's .loc lines in the cubin (nvcc -lineinfo) */
        if (line_info)
            execl(ptxas, ptxas, arch_opt, opt, "-lineinfo", in, "-o", cubin, (char *)NULL);
        else
            execl(ptxas, ptxas, arch_opt, opt, in, "-o", cubin, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        Buf lb = {0};
        llvm_read_file(log, &lb);
        *err = llvm_strdup_printf("%s %s refused the PTX: %.*s", ptxas, arch_opt,
                                  (int)(lb.len > 2000 ? 2000 : lb.len),
                                  lb.data ? (char *)lb.data : "");
        buf_free(&lb);
        rc = 1;
        goto out;
    }
    if (!llvm_read_file(cubin, out)) {
        *err = llvm_strdup_printf("cannot read %s", cubin);
        rc = 2;
    }
out:
    unlink(in);
    unlink(cubin);
    unlink(log);
    rmdir(dir);
    free(dir);
    free(in);
    free(cubin);
    free(log);
    free(arch_opt);
    free(ptxas);
    return rc;
}
