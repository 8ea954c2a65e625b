#!/usr/bin/env python3
"""Compile-time scaling of clawc (not a test): prints, per target, compile
time and peak memory (max RSS of the child, from resource.getrusage) against
source size for generated sources (tests/lit/limits/Inputs/gen.py): many
statements, long expressions, many functions, many kernels. Linear growth
shows as a roughly constant time per unit in the last column.

usage: compile_scale.py [--clawc build/compiler/clawc] [--sizes 1000,2000,...]
                        [--kinds stmts,add,fns,kernels] [--targets nvptx,amdgpu,spirv]
"""
import argparse
import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lit", "limits", "Inputs"))
import gen  # noqa: E402

EMIT = {"nvptx": "ptx", "amdgpu": "amdgpu-obj", "spirv": "spirv", "ir": "claw-ir", "claw-ir": "claw-ir"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clawc", default=os.path.join(ROOT, "build", "compiler", "clawc"))
    ap.add_argument("--sizes", default="1000,2000,4000,8000,16000,32000,64000")
    ap.add_argument("--kinds", default="stmts,add,fns,kernels")
    ap.add_argument("--targets", default="ir,nvptx,amdgpu,spirv")
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    for t in a.targets.split(","):
        if t not in EMIT:
            ap.error("unknown target '%s' (%s)" % (t, ", ".join(EMIT)))
    print("%-8s %-7s %7s %9s %10s %12s" % ("kind", "target", "size", "time s", "peak MiB", "us per unit"))
    with tempfile.TemporaryDirectory() as tmp:
        for kind in a.kinds.split(","):
            for target in a.targets.split(","):
                for n in sizes:
                    src = os.path.join(tmp, "%s_%d.claw" % (kind, n))
                    with open(src, "w") as f:
                        f.write(gen.gen(kind, n, 0))
                    # peak RSS of this child alone: fork a helper that runs it
                    pid = os.fork()
                    if pid == 0:
                        # the child must never return into the with block,
                        # whose exit would delete the sources
                        try:
                            args = [a.clawc, src, "-o", os.devnull]
                            args += (["--emit=claw-ir", "-O0"] if EMIT[target] == "claw-ir"
                                     else ["--target=" + target, "--emit=" + EMIT[target]])
                            fd = os.open(os.devnull, os.O_WRONLY)
                            os.dup2(fd, 1)
                            os.dup2(fd, 2)
                            os.execv(a.clawc, args)
                        finally:
                            os._exit(127)
                    t0 = time.monotonic()
                    _, status, ru = os.wait4(pid, 0)
                    dt = time.monotonic() - t0
                    rc = os.waitstatus_to_exitcode(status)
                    note = "" if rc == 0 else "  (exit %d)" % rc
                    print("%-8s %-7s %7d %9.2f %10.1f %12.1f%s" % (kind, target, n, dt, ru.ru_maxrss / 1024.0,
                                                                  dt * 1e6 / n, note), flush=True)


if __name__ == "__main__":
    main()
