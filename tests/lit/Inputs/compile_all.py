"""Compiles every kernel the project has for the given targets at -O0 and -O3
and checks each output with the tool its vendor trusts (issues #3 and #4:
"every sample and every lit kernel ..."):

  ptxas       ptxas -arch=ARCH accepts the PTX
  readelf     llvm-readelf --notes lists the kernels in amdhsa.kernels
  spirv-val   spirv-val --target-env ARCH accepts the module (vulkan1.3 for
              vulkan1.3-coopmat, which only a spirv-val newer than Debian
              12's knows)

Kernels: samples/*/*.claw, tests/e2e/*.claw, and every .claw file under
tests/lit whose RUN lines expect clawc to succeed (no `not %clawc`) and that
declares a kernel; each is compiled with the -I/-D options of its own RUN
line. New files are covered without editing this script.

usage: compile_all.py CLAWC ROOT OUTDIR EMIT CHECKER:TOOL TARGET...
Prints one line per failure and a summary; exits 1 if anything failed."""
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from kernel_sources import sources  # noqa: E402

clawc, root, outdir, emit, checker = sys.argv[1:6]
# CLAW_COMPILE_ALL_LEVELS (e.g. "-O3") narrows the levels: .ci/run's
# sanitized suite compiles every kernel at -O3 only, the plain suites at both
levels = os.environ.get("CLAW_COMPILE_ALL_LEVELS", "-O0 -O3").split()
targets = sys.argv[6:]
kind, tool = checker.split(":", 1)
os.makedirs(outdir, exist_ok=True)


def check(out, arch):
    if kind == "ptxas":
        cmd = [tool, "-arch=" + arch, out, "-o", os.devnull]
    elif kind == "readelf":
        cmd = [tool, "--notes", out]
    else:
        env = "vulkan1.3" if arch == "vulkan1.3-coopmat" else arch
        cmd = [tool, "--target-env", env, out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return (r.stdout + r.stderr).strip()
    if kind == "readelf" and "amdhsa.kernels" not in r.stdout:
        return "no amdhsa.kernels in the notes"
    return None


failed = total = 0
nfiles = 0
for src, opts in sources(root):
    nfiles += 1
    rel = os.path.relpath(src, root)
    for target in targets:
        arch = target.split(":")[1]
        for opt in levels:
            total += 1
            out = os.path.join(outdir, "%s.%s%s.out" % (rel.replace("/", "_"), arch, opt))
            r = subprocess.run([clawc, "--target=" + target, "--emit=" + emit, opt, *opts, src, "-o", out],
                               capture_output=True, text=True)
            problem = r.stderr.strip() if r.returncode != 0 else check(out, arch)
            if problem:
                failed += 1
                print("FAIL %s %s %s: %s" % (rel, target, opt, problem[:2000]))
print("%d files, %d outputs, %d failed" % (nfiles, total, failed))
sys.exit(1 if failed or total == 0 else 0)
