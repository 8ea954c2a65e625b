"""The Claw IR round trip (docs/ir.md, "Reading IR back") for every kernel
the project has (kernel_sources.py): for each file, at -O3 (the default)
and -O0 (steps 1-2 only, the fat binary at -O0 differs only in the targets'
own passes),

  1. clawc FILE.claw --emit=claw-ir           -> A.clawir
  2. clawc A.clawir  --emit=claw-ir           -> B.clawir; A == B (fixed point)
  3. clawc FILE.claw   (fat binary, all default targets)  -> A.clawfb
  4. clawc A.clawir    (fat binary, same options)         -> B.clawfb; A == B byte for byte

usage: ir_roundtrip.py CLAWC ROOT OUTDIR
Prints one line per failure and a summary; exits 1 if anything failed or
nothing was checked."""
import concurrent.futures
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from kernel_sources import sources  # noqa: E402

clawc, root, outdir = sys.argv[1:4]
os.makedirs(outdir, exist_ok=True)


def run(args):
    r = subprocess.run([clawc, *args], capture_output=True)
    return r.returncode, r.stderr.decode("utf-8", "replace").strip()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def check(src, opts, opt):
    rel = os.path.relpath(src, root)
    base = os.path.join(outdir, rel.replace("/", "_") + opt)
    a_ir, b_ir, a_fb, b_fb = (base + s for s in (".a.clawir", ".b.clawir", ".a.clawfb", ".b.clawfb"))
    rc, err = run([opt, *opts, "--emit=claw-ir", src, "-o", a_ir])
    if rc:
        return "%s %s: --emit=claw-ir failed: %s" % (rel, opt, err[:500])
    rc, err = run([opt, "--emit=claw-ir", a_ir, "-o", b_ir])
    if rc:
        return "%s %s: reading the IR failed: %s" % (rel, opt, err[:1000])
    if read(a_ir) != read(b_ir):
        return "%s %s: printing the IR read back differs (not a fixed point): diff %s %s" % (
            rel, opt, a_ir, b_ir)
    if opt == "-O0":
        return None
    rc_a, err_a = run([opt, *opts, src, "-o", a_fb])
    rc_b, err_b = run([opt, a_ir, "-o", b_fb])
    if rc_a or rc_b:
        if rc_a and rc_b:
            return None  # the fat binary cannot be built from either (checked elsewhere)
        return "%s %s: fat binary from source rc %d, from IR rc %d: %s" % (
            rel, opt, rc_a, rc_b, (err_a or err_b)[:500])
    if read(a_fb) != read(b_fb):
        return "%s %s: the fat binaries differ: cmp %s %s" % (rel, opt, a_fb, b_fb)
    return None


jobs = [(src, opts, opt) for src, opts in sources(root) for opt in ("-O0", "-O3")]
failed = 0
with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    for problem in pool.map(lambda j: check(*j), jobs):
        if problem:
            failed += 1
            print("FAIL " + problem)
print("%d round trips, %d failed" % (len(jobs), failed))
sys.exit(1 if failed or not jobs else 0)
