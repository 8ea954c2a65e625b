#!/usr/bin/env python3
"""compare.py: static code quality of clawc's PTX against nvcc (issue #3).

For every CUDA twin scripts/bench/cuda/<name>.cu of a sample
samples/<name>/<name>.claw, compiles both for one architecture (sm_90 by
default):
  - Claw: clawc --target=nvptx:ARCH --emit=ptx, then ptxas -arch=ARCH -v
  - CUDA: nvcc -O3 -arch=ARCH -cubin -Xptxas -v
and prints, per kernel, registers, spill bytes (stores + loads), shared
memory and the static SASS instruction count (each kernel's .text section
in the cubin, 16 bytes per instruction, less NOP padding and the final
branch-to-self). It compiles only: no GPU is needed.

  scripts/bench/compare.py [--clawc build/compiler/clawc] [--arch sm_90]

Not a test: the "why" column is written by a person reading the SASS
(docs/benchmarks.md)."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit("compare.py: %s failed:\n%s" % (" ".join(cmd), p.stdout))
    return p.stdout


def ptxas_info(text):
    """kernel -> {regs, spill, smem} from ptxas -v output"""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            cur = m.group(1)
            out[cur] = {"regs": 0, "spill": 0, "smem": 0}
            continue
        if cur is None:
            continue
        m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m:
            out[cur]["spill"] = int(m.group(1)) + int(m.group(2))
        m = re.search(r"Used (\d+) registers", line)
        if m:
            out[cur]["regs"] = int(m.group(1))
        m = re.search(r"(\d+) bytes smem", line)
        if m:
            out[cur]["smem"] = int(m.group(1))
    return out


def readelf():
    for tool in ("llvm-readelf", "llvm-readelf-19", "/usr/lib/llvm-19/bin/llvm-readelf"):
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode == 0 or os.path.exists(tool):
            return tool
    sys.exit("compare.py: llvm-readelf not found")


# sm_70+ SASS: one instruction per 16 bytes, its opcode in the low 12 bits.
# ptxas pads every kernel with NOPs to a 128-byte boundary and ends it with
# a branch to itself; neither is code the kernel runs.
SASS_NOP = 0x918
SASS_BRA = 0x947


def sass_counts(cubin):
    """kernel -> static SASS instruction count, read from its .text.<kernel>
    section: every 16-byte instruction except NOPs and the final
    branch-to-self. This machine has no cuobjdump or nvdisasm to list the
    instructions themselves; opcodes other than these two are not decoded."""
    counts = {}
    with open(cubin, "rb") as f:
        data = f.read()
    for line in run([readelf(), "-S", "-W", cubin]).splitlines():
        m = re.search(r"\.text\.(\w+)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if not m:
            continue
        off, size = int(m.group(2), 16), int(m.group(3), 16)
        ops = [int.from_bytes(data[i:i + 8], "little") & 0xfff
               for i in range(off, off + size - 15, 16)]
        ops = [op for op in ops if op != SASS_NOP]
        if ops and ops[-1] == SASS_BRA:
            ops.pop()
        counts[m.group(1)] = len(ops)
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clawc", default=os.path.join(ROOT, "build", "compiler", "clawc"))
    ap.add_argument("--arch", default="sm_90")
    ap.add_argument("--keep", help="folder to keep the PTX and cubins in")
    args = ap.parse_args()
    tmp = args.keep or tempfile.mkdtemp(prefix="claw-bench-")
    os.makedirs(tmp, exist_ok=True)
    cuda_dir = os.path.join(ROOT, "scripts", "bench", "cuda")
    rows = []
    for cu in sorted(os.listdir(cuda_dir)):
        name = cu[:-3]
        claw = os.path.join(ROOT, "samples", name, name + ".claw")
        ptx, ccubin, ncubin = (os.path.join(tmp, name + s) for s in (".ptx", ".claw.cubin", ".nvcc.cubin"))
        run([args.clawc, claw, "--target=nvptx:" + args.arch, "--emit=ptx", "-O3", "-o", ptx])
        ci = ptxas_info(run(["ptxas", "-arch=" + args.arch, "-v", ptx, "-o", ccubin]))
        ni = ptxas_info(run(["nvcc", "-O3", "-arch=" + args.arch, "-cubin", "-Xptxas", "-v",
                             os.path.join(cuda_dir, cu), "-o", ncubin]))
        cs, ns = sass_counts(ccubin), sass_counts(ncubin)
        for k in sorted(ci):
            nk = next((n for n in ni if n == k or k in n), None)  # nvcc mangles C++ names
            rows.append((k, ci[k], cs.get(k, 0), ni.get(nk, {}), ns.get(nk, 0)))
    print("| kernel | regs claw / nvcc | spill bytes claw / nvcc | smem claw / nvcc | SASS instrs claw / nvcc |")
    print("| --- | --- | --- | --- | --- |")
    for k, c, csass, n, nsass in rows:
        print("| %s | %d / %s | %d / %s | %d / %s | %d / %d |" % (
            k, c["regs"], n.get("regs", "-"), c["spill"], n.get("spill", "-"),
            c["smem"], n.get("smem", "-"), csass, nsass))


if __name__ == "__main__":
    main()
