"""Compiles every sample for the given targets and -O levels and runs a
checker on each output; used by samples.test in nvptx/ and amdgpu/.

usage: compile_samples.py CLAWC SAMPLES_DIR OUTDIR EMIT CHECKER TARGET...
CHECKER is 'ptxas:PATH' (ptxas -arch=ARCH) or 'readelf:PATH' (amdhsa.kernels in --notes)."""
import glob
import os
import subprocess
import sys

clawc, samples, outdir, emit, checker = sys.argv[1:6]
targets = sys.argv[6:]
kind, tool = checker.split(":", 1)
failed = 0
for src in sorted(glob.glob(os.path.join(samples, "*", "*.claw"))):
    for target in targets:
        arch = target.split(":")[1]
        for opt in ("-O0", "-O3"):
            out = os.path.join(outdir, "%s.%s%s.out" % (os.path.basename(src), arch, opt))
            r = subprocess.run([clawc, "--target=" + target, "--emit=" + emit, opt, src, "-o", out],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print("FAIL clawc %s %s %s:\n%s" % (src, target, opt, r.stderr))
                failed += 1
                continue
            if kind == "ptxas":
                r = subprocess.run([tool, "-arch=" + arch, out, "-o", os.devnull], capture_output=True, text=True)
                ok = r.returncode == 0
            else:
                r = subprocess.run([tool, "--notes", out], capture_output=True, text=True)
                ok = r.returncode == 0 and "amdhsa.kernels" in r.stdout
            if not ok:
                print("FAIL %s %s %s %s:\n%s%s" % (kind, src, target, opt, r.stdout[-2000:], r.stderr[-2000:]))
                failed += 1
            else:
                print("ok %s %s %s" % (os.path.basename(src), target, opt))
sys.exit(1 if failed else 0)
