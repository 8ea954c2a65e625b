#!/usr/bin/env python3
"""bounds.py: what -fsanitize=bounds costs (docs/benchmarks.md "-fsanitize=bounds").

Runs claw_throughput (the samples saxpy, vecadd, softmax, reduction,
layernorm, transpose and matmul, each checked against C before it is timed) and claw_throughput_bounds
(the same program, the samples compiled with -fsanitize=bounds) ROUNDS times
each, alternating, on device 0 (CLAW_DEVICE picks; lavapipe by default on a
machine without a GPU), and prints per kernel the fastest time of each and
the ratio checked / unchecked as a Markdown table.

    scripts/bench/bounds.py [--build build] [--rounds 3] [--gpu-sizes]

Without --gpu-sizes the programs run their --small sizes (for lavapipe).
Exit status: 0, or 1 when a run fails (a wrong result fails the run)."""
import argparse
import os
import re
import subprocess
import sys

ROW = re.compile(r"^\|\s*(\w+)\s*\|\s*([^|]+?)\s*\|\s*([0-9.]+)\s*\|")


def run(exe, small):
    cmd = [exe] + (["--small"] if small else [])
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout)
        raise SystemExit("bounds.py: %s exited %d" % (" ".join(cmd), p.returncode))
    rows = {}
    for line in p.stdout.splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = (m.group(2), float(m.group(3)))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--gpu-sizes", action="store_true")
    a = ap.parse_args()
    bench = os.path.join(a.build, "scripts", "bench")
    plain_exe = os.path.join(bench, "claw_throughput")
    checked_exe = os.path.join(bench, "claw_throughput_bounds")
    best = {"plain": {}, "checked": {}}
    sizes = {}
    for _ in range(max(1, a.rounds)):
        for key, exe in (("plain", plain_exe), ("checked", checked_exe)):
            for k, (size, us) in run(exe, not a.gpu_sizes).items():
                sizes[k] = size
                best[key][k] = min(us, best[key].get(k, us))
    print("| kernel | size | unchecked (us/launch) | -fsanitize=bounds (us/launch) | checked / unchecked |")
    print("| --- | --- | --- | --- | --- |")
    for k in best["plain"]:
        p, c = best["plain"][k], best["checked"].get(k)
        if c is None:
            continue
        print("| %s | %s | %.1f | %.1f | %.2f |" % (k, sizes[k], p, c, c / p))
    return 0


if __name__ == "__main__":
    sys.exit(main())
