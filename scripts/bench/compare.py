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
branch-to-self), and the 16-byte global accesses: `ld.global[.nc].v4` /
`st.global.v4` in the PTX and LDG.E.128 / STG.E.128 in the SASS. It
compiles only: no GPU is needed.

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
# Global loads and stores (LDG, STG) carry their width in bits 73..75: 4 is
# 32 bits, 5 64, 6 128 (LDG.E.128 / STG.E.128). Read off ptxas's own output
# for float, float2 and float4 copies (sm_90, CUDA 13.0), as no disassembler
# is installed here.
SASS_LDG = 0x981
SASS_STG = 0x986
SASS_WIDTH_128 = 6


def sass_instrs(cubin):
    """kernel -> list of its 128-bit SASS instruction words"""
    kernels = {}
    with open(cubin, "rb") as f:
        data = f.read()
    for line in run([readelf(), "-S", "-W", cubin]).splitlines():
        m = re.search(r"\.text\.(\w+)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if m:
            off, size = int(m.group(2), 16), int(m.group(3), 16)
            kernels[m.group(1)] = [int.from_bytes(data[i:i + 16], "little")
                                   for i in range(off, off + size - 15, 16)]
    return kernels


def ldg_bytes(w):
    """bytes an LDG instruction loads, 0 for any other instruction"""
    if w & 0xfff != SASS_LDG:
        return 0
    return {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 8, 6: 16}.get((w >> 73) & 7, 0)


def branch_target(words, i):
    """index of the instruction BRA words[i] jumps to. The offset, in 4-byte
    units from the next instruction, is bits 16..23 (low) and 34..81 (high,
    signed): read off ptxas's output (the final branch-to-self is -4), and
    every target it gives in these kernels is an instruction boundary."""
    w = words[i]
    hi = (w >> 34) & ((1 << 48) - 1)
    if hi >> 47:
        hi -= 1 << 48
    off = (hi << 8) | ((w >> 16) & 0xff)
    return i + 1 + (off * 4) // 16


def sass_wide(cubin):
    """kernel -> (LDG.E.128 count, STG.E.128 count, [SASS instructions per
    f32 loaded, for each wide loop in code order]). A loop is a backward BRA
    and the instructions from its target; the wide loops are the innermost
    ones with an LDG.E.128. Instructions per element = the loop's
    instructions over the 4-byte values its LDGs load per iteration: for the
    same algorithm the same normalisation on both sides, whatever each
    compiler unrolls."""
    wide = {}
    for k, words in sass_instrs(cubin).items():
        ld = sum(1 for w in words if w & 0xfff == SASS_LDG and (w >> 73) & 7 == SASS_WIDTH_128)
        st = sum(1 for w in words if w & 0xfff == SASS_STG and (w >> 73) & 7 == SASS_WIDTH_128)
        loops = []
        for i, w in enumerate(words):
            if w & 0xfff == SASS_BRA:
                t = branch_target(words, i)
                if 0 <= t < i:
                    loops.append((t, i))
        inner = [(a, b) for a, b in loops
                 if not any((c, d) != (a, b) and a <= c and d <= b for c, d in loops)]
        per = []
        for a, b in sorted(inner):
            body = [w for w in words[a:b + 1] if w & 0xfff != SASS_NOP]
            if any(ldg_bytes(w) == 16 for w in body):
                per.append(len(body) / (sum(ldg_bytes(w) for w in body) / 4))
        wide[k] = (ld, st, per)
    return wide


def ptx_wide(ptx):
    """kernel -> (16-byte global loads, 16-byte global stores) in PTX text;
    nvcc's PTX is what it hands ptxas (nvcc -ptx)"""
    wide, cur = {}, None
    with open(ptx) as f:
        for line in f:
            m = re.search(r"\.entry\s+(\w+)", line)
            if m:
                cur = m.group(1)
                wide[cur] = [0, 0]
            elif cur is not None:
                wide[cur][0] += bool(re.search(r"\bld\.global(\.nc)?\.v4\.(f32|b32|u32|s32)", line))
                wide[cur][1] += bool(re.search(r"\bst\.global\.v4\.(f32|b32|u32|s32)", line))
    return {k: tuple(v) for k, v in wide.items()}


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
        nptx = os.path.join(tmp, name + ".nvcc.ptx")
        run(["nvcc", "-O3", "-arch=" + args.arch, "-ptx", os.path.join(cuda_dir, cu), "-o", nptx])
        cs, ns = sass_counts(ccubin), sass_counts(ncubin)
        cw, nw = sass_wide(ccubin), sass_wide(ncubin)
        cp, np_ = ptx_wide(ptx), ptx_wide(nptx)
        for k in sorted(ci):
            nk = next((n for n in ni if n == k or k in n), None)  # nvcc mangles C++ names
            wide = (cp.get(k, (0, 0)), np_.get(nk, (0, 0)), cw.get(k, (0, 0, [])),
                    nw.get(nk, (0, 0, [])))
            rows.append((k, ci[k], cs.get(k, 0), ni.get(nk, {}), ns.get(nk, 0), wide))
    print("| kernel | regs claw / nvcc | spill bytes claw / nvcc | smem claw / nvcc | SASS instrs claw / nvcc "
          "| PTX v4 ld+st claw / nvcc | LDG.E.128+STG.E.128 claw / nvcc "
          "| SASS per f32 loaded in each wide loop claw / nvcc |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    per = lambda v: " ".join("%.2f" % x for x in v) or "-"
    for k, c, csass, n, nsass, (cp, np_, cw, nw) in rows:
        print("| %s | %d / %s | %d / %s | %d / %s | %d / %d | %d+%d / %d+%d | %d+%d / %d+%d | %s / %s |" % (
            k, c["regs"], n.get("regs", "-"), c["spill"], n.get("spill", "-"),
            c["smem"], n.get("smem", "-"), csass, nsass, cp[0], cp[1], np_[0], np_[1],
            cw[0], cw[1], nw[0], nw[1], per(cw[2]), per(nw[2])))


if __name__ == "__main__":
    main()
