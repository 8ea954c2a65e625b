#!/usr/bin/env python3
"""clawbench's end-to-end tests (docs/clawbench.md), run on lavapipe by ctest.

    clawbench_test.py CASE CLAWBENCH CLAWC CLAWFB VARIANT_TOOL SRCDIR WORKDIR

CASE is one of: list, json, candidate, wrong, usage, tune, fake (the CUDA
and HIP paths on the stand-in drivers of tests/e2e/fake, which compute saxpy
on the host: LD_LIBRARY_PATH names them). Every run uses
--quick (small sizes, three samples) and a fresh seed, so the inputs differ
from run to run. Exit 77 (ctest's skip) when there is no Vulkan device: the
runtime lists none and clawbench says so with exit status 2.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

SKIP = 77


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=240, **kw)
    sys.stdout.write("$ %s\n%s%s(exit %d)\n" % (" ".join(cmd), p.stdout, p.stderr, p.returncode))
    return p


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)


def skip_if_no_device(p):
    if p.returncode == 2 and "no device" in p.stderr:
        print("SKIP: no Vulkan device (clawbench: %s)" % p.stderr.strip())
        sys.exit(SKIP)


def main():
    case, bench, clawc, clawfb, variant_tool, srcdir, workdir = sys.argv[1:8]
    seed = str(random.randrange(1, 2**63))
    quick = ["--quick", "--seed", seed]
    env = dict(os.environ, CLAWC=clawc)
    os.makedirs(workdir, exist_ok=True)

    if case == "list":
        p = run([bench, "--list"])
        expect(p.returncode == 0, "--list exits 0")
        names = [line.split()[0] for line in p.stdout.splitlines() if line.strip()]
        for want in ["saxpy", "vecadd", "reduction", "histogram", "scan", "transpose", "matmul",
                     "softmax", "layernorm", "stencil2d"]:
            expect(want in names, "--list names %s" % want)
        p = run([bench, "--list", "--json"])
        doc = json.loads(p.stdout)
        expect(len(doc["benchmarks"]) == len(names), "--list --json has every benchmark")
        scan = [b for b in doc["benchmarks"] if b["name"] == "scan"][0]
        expect(scan["kernels"] == ["scan_blocks", "add_offsets"], "scan's kernels")

    elif case == "json":
        p = run([bench, "reduction", "--json", "--device", "vulkan:0"] + quick)
        skip_if_no_device(p)
        expect(p.returncode == 0, "a right shipped kernel exits 0")
        doc = json.loads(p.stdout)
        expect(doc["device"]["backend"] == "vulkan", "the device is the Vulkan one")
        expect(doc["limits"]["copy_gbps"] > 0 and doc["limits"]["fma_gflops"] > 0,
               "the limits are measured")
        expect(doc["ok"] is True and doc["exit"] == 0, "ok and exit")
        (b,) = doc["benchmarks"]
        expect(b["name"] == "reduction" and b["bytes"] > 0 and b["flops"] > 0, "bytes and flops")
        r = b["shipped"]
        expect(r["right"] is True and r["error"] is None, "the shipped result is right")
        expect(r["reps"] == 3 and r["min_ms"] <= r["median_ms"] <= r["max_ms"], "the statistics")
        expect(r["gbps"] > 0 and r["roofline"] > 0 and r["bound"] in ("memory", "compute"),
               "rates and roofline")
        expect("candidate" not in b, "no candidate")

    elif case == "candidate":
        p = run([bench, "saxpy", "--candidate", os.path.join(srcdir, "right_saxpy.claw")] + quick,
                env=env)
        skip_if_no_device(p)
        expect(p.returncode == 0, "a right candidate exits 0")
        expect("speedup" in p.stdout and "candidate" in p.stdout, "the speedup is printed")
        # The same through a fat binary and --json.
        fb = os.path.join(workdir, "right_saxpy.clawfb")
        expect(run([clawc, "--target=spirv", os.path.join(srcdir, "right_saxpy.claw"),
                    "-o", fb]).returncode == 0, "clawc compiles the candidate")
        p = run([bench, "saxpy", "--candidate", fb, "--json"] + quick)
        expect(p.returncode == 0, "a right .clawfb candidate exits 0")
        c = json.loads(p.stdout)["benchmarks"][0]["candidate"]
        expect(c["result"]["right"] is True and c["speedup"] > 0, "the candidate's speedup")

    elif case == "wrong":
        p = run([bench, "saxpy", "--candidate", os.path.join(srcdir, "wrong_saxpy.claw"),
                 "--json"] + quick, env=env)
        skip_if_no_device(p)
        expect(p.returncode == 1, "a wrong candidate exits 1")
        doc = json.loads(p.stdout)
        b = doc["benchmarks"][0]
        expect(b["shipped"]["right"] is True, "the shipped kernel is still right")
        expect(b["candidate"]["result"]["right"] is False, "the candidate is wrong")
        expect("element" in b["candidate"]["result"]["error"], "the mismatch is named")
        expect(doc["ok"] is False and doc["exit"] == 1, "ok and exit")
        p = run([bench, "saxpy", "--candidate", os.path.join(srcdir, "badsig_saxpy.claw")] + quick,
                env=env)
        expect(p.returncode == 2 and "another signature" in p.stderr,
               "a signature mismatch exits 2 with a message")

    elif case == "usage":
        for args, what in [([], "nothing to do"), (["nosuch"], "no benchmark 'nosuch'"),
                           (["saxpy", "--frobnicate"], "unknown option"),
                           (["saxpy", "--reps", "0"], "--reps"),
                           (["saxpy", "--device", "opencl:0"], "--device"),
                           (["--candidate", "x.claw"], "needs a benchmark NAME"),
                           (["saxpy", "--all"], "more than one thing"),
                           (["saxpy", "-o", "x"], "go with --tune")]:
            p = run([bench] + args)
            expect(p.returncode == 2, "%s exits 2" % args)
            expect(what in p.stderr, "%s says %r" % (args, what))
        p = run([bench, "saxpy", "--candidate", os.path.join(workdir, "missing.clawfb")] + quick)
        skip_if_no_device(p)
        expect(p.returncode == 2 and "cannot read" in p.stderr, "an unreadable candidate exits 2")

    elif case == "tune":
        fb = os.path.join(workdir, "tune4.clawfb")
        p = run([clawc, "--target=spirv", "--variants", "WORK=300,0;BLOCK=64,256",
                 os.path.join(srcdir, "tune_saxpy.claw"), "-o", fb])
        expect(p.returncode == 0, "clawc builds four variants")
        p = run([variant_tool, fb, "saxpy"])
        if p.returncode == SKIP:
            print("SKIP: no device")
            sys.exit(SKIP)
        expect(p.stdout.split("\n")[0] == "WORK=300;BLOCK=64", "untuned: the first variant")
        arch = p.stdout.split("\n")[1]
        # A kernel without a benchmark is refused, nothing is written.
        before = open(fb, "rb").read()
        p = run([bench, "--tune", fb] + quick)
        expect(p.returncode == 2 and "unbenchmarked" in p.stderr, "no benchmark: exit 2")
        expect(open(fb, "rb").read() == before, "the refused file is unchanged")
        out = os.path.join(workdir, "tune4.tuned.clawfb")
        p = run([bench, "--tune", fb, "--kernel", "saxpy", "-o", out, "--json"] + quick)
        expect(p.returncode == 0, "--tune exits 0")
        doc = json.loads(p.stdout)
        (k,) = doc["tune"]["kernels"]
        expect(k["kernel"] == "saxpy" and len(k["variants"]) == 4, "four variants measured")
        expect(all(v["result"]["right"] for v in k["variants"]), "every variant right")
        fastest = min(k["variants"], key=lambda v: v["result"]["median_ms"])
        expect(k["winner"]["image"] == fastest["image"], "the winner is the fastest")
        # The record is on the winner's image, and only there.
        p = run([clawfb, "list", out])
        tuned = [l.split()[0] for l in p.stdout.splitlines() if "tuned saxpy@" + arch in l]
        expect(tuned == [str(k["winner"]["image"])], "one record, on the winner")
        expect(run([clawfb, "verify", "--no-tools", out]).returncode == 0, "clawfb verify")
        # claw_module_load uses it.
        p = run([variant_tool, out, "saxpy"])
        expect(p.returncode == 0 and p.stdout.split("\n")[0] == k["winner"]["variant"],
               "claw_module_load runs the recorded variant")
        # A wrong variant is never chosen, whatever its speed; the record
        # goes to the right one (not the first, so its use is visible), and
        # the wrong result makes the exit status 1.
        fb2 = os.path.join(workdir, "tune_wrong.clawfb")
        expect(run([clawc, "--target=spirv", "--variants", "OFF=1.0,0.0",
                    os.path.join(srcdir, "tune_saxpy.claw"), "-o", fb2]).returncode == 0,
               "clawc builds two variants")
        p = run([bench, "--tune", fb2, "--kernel", "saxpy", "--json"] + quick)
        expect(p.returncode == 1, "a wrong variant: exit 1")
        (k,) = json.loads(p.stdout)["tune"]["kernels"]
        expect([v["result"]["right"] for v in k["variants"]] == [False, True],
               "the first variant is wrong, the second right")
        expect(k["winner"] == {"image": 1, "variant": "OFF=0.0"}, "the right one wins")
        p = run([variant_tool, fb2, "saxpy"])
        expect(p.stdout.split("\n")[0] == "OFF=0.0", "written in place, and used")
    elif case == "fake":
        # The CUDA and HIP paths: device selection, the shipped PTX and code
        # objects, a .claw candidate compiled for the device's architecture
        # (nvptx:sm_90, amdgpu:gfx942), events. The fakes run no limit
        # kernels, hence --no-limits.
        for dev, backend, arch in [("cuda:0", "cuda", "sm_90"), ("hip:0", "hip", "gfx942")]:
            p = run([bench, "saxpy", "--device", dev, "--no-limits", "--json", "--candidate",
                     os.path.join(srcdir, "right_saxpy.claw")] + quick, env=env)
            expect(p.returncode == 0, "%s: exit 0" % dev)
            doc = json.loads(p.stdout)
            expect(doc["device"]["backend"] == backend and doc["device"]["arch"] == arch,
                   "%s: the fake device" % dev)
            expect(doc["limits"] is None, "--no-limits: no limits")
            b = doc["benchmarks"][0]
            expect(b["shipped"]["right"] and b["candidate"]["result"]["right"], "both right")
            expect(b["shipped"]["roofline"] is None and b["shipped"]["bound"] is None,
                   "no roofline without limits")
            expect(b["candidate"]["speedup"] > 0, "a speedup")
    else:
        fail("unknown case " + case)
    print("PASS")


if __name__ == "__main__":
    main()
