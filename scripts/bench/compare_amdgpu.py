#!/usr/bin/env python3
"""compare_amdgpu.py: static code quality of clawc's AMDGPU code against clang's HIP.

For every twin scripts/bench/cuda/<name>.cu of a sample
samples/<name>/<name>.claw, compiles both for each AMD architecture (gfx942
and gfx1100 by default) to assembly:
  - Claw: clawc --target=amdgpu:ARCH --emit=amdgpu-asm -O3
  - HIP:  clang-19 -x hip --cuda-device-only --offload-arch=ARCH -O3
          -nogpulib -nogpuinc -include scripts/bench/hip/hip_twin.h
          (the CUDA twin compiled as HIP: hip_twin.h spells the few CUDA
          builtins the twins use the way ROCm's headers do)
and prints, per kernel: instructions in the kernel, instructions in its hot
loops (the instructions of each innermost loop, as LLVM's verbose assembly
marks them: "Inner Loop Header" and the blocks "in Loop" of it; several loops
are listed with +, e.g. 12+30),
VGPRs, SGPRs, waves per SIMD (LLVM's occupancy), LDS bytes, scratch bytes
and the 16-byte global loads + stores (global_load_dwordx4 / _b128,
global_store_dwordx4 / _b128), all read from the assembly and the comments LLVM's AMDGPU printer writes
after each kernel. It compiles only: no GPU is needed.

  scripts/bench/compare_amdgpu.py [--clawc build/compiler/clawc]
                                  [--arch gfx942,gfx1100] [--keep DIR]

Not a test: the "why" column in docs/benchmarks.md is written by a person
reading the assembly (--keep keeps it)."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HIP_HEADER = os.path.join(ROOT, "scripts", "bench", "hip", "hip_twin.h")


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit("compare_amdgpu.py: %s failed:\n%s" % (" ".join(cmd), p.stdout))
    return p.stdout


def find_clang():
    for tool in ("clang-19", "/usr/lib/llvm-19/bin/clang"):
        if shutil.which(tool) or os.path.exists(tool):
            return tool
    sys.exit("compare_amdgpu.py: clang-19 not found (Debian package clang-19)")


INSTR = re.compile(r"^\s+([a-z][a-z0-9_]*)(\s|$)")
# A basic block starts at a label or at LLVM's "; %bb.N:" comment; verbose
# assembly annotates each with its loop: "=>This Inner Loop Header: Depth=N"
# (the header of an innermost loop), "=>This Loop Header" (an outer one) or
# "in Loop: Header=BB0_2 Depth=N" (a block of the loop headed by BB0_2).
BLOCK = re.compile(r"^(?:\.L(BB\d+_\d+):|; %bb\.(\d+):)(.*)$")


def kernels(asm):
    """kernel name -> {instrs, loops, vgpr, sgpr, waves, lds, scratch}"""
    out = {}
    lines = asm.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^([\w.$]+):\s*(;.*)?$", lines[i])
        # A kernel's code starts at its symbol, declared .type @function.
        if m and any(re.match(r"\s+\.type\s+%s,@function" % re.escape(m.group(1)), l)
                     for l in lines[max(0, i - 4):i]):
            name, j = m.group(1), i + 1
            info = {"instrs": 0, "loops": [], "vgpr": "-", "sgpr": "-", "waves": "-",
                    "lds": "-", "scratch": "-", "x4": [0, 0]}
            loop_of, inner, counts, cur = {}, [], {}, None
            while j < len(lines) and not re.match(r"^\.Lfunc_end\d+:", lines[j]):
                l = lines[j]
                bm = BLOCK.match(l)
                if bm:
                    cur = bm.group(1) or "bb%s" % bm.group(2)
                    note = bm.group(3)
                    # A block whose label carries its IR name ("; %.preheader")
                    # has the loop note on the comment lines that follow.
                    k = j + 1
                    while k < len(lines) and re.match(r"^\s+;", lines[k]):
                        note += lines[k]
                        k += 1
                    hm = re.search(r"in Loop: Header=(BB\d+_\d+)", note)
                    if "Inner Loop Header" in note:
                        loop_of[cur] = cur
                        inner.append(cur)
                    elif "Loop Header" in note:
                        loop_of[cur] = cur
                    elif hm:
                        loop_of[cur] = hm.group(1)
                elif INSTR.match(l) and not l.strip().startswith("."):
                    info["instrs"] += 1
                    # 16-byte global accesses (the samples' vec4 forms)
                    op = l.split()[0]
                    info["x4"][0] += op in ("global_load_dwordx4", "global_load_b128")
                    info["x4"][1] += op in ("global_store_dwordx4", "global_store_b128")
                    counts[cur] = counts.get(cur, 0) + 1
                j += 1
            info["loops"] = [sum(n for b, n in counts.items() if loop_of.get(b) == h) for h in inner]
            # LLVM's per-kernel comments follow the code.
            for l in lines[j:j + 60]:
                for key, pat in (("vgpr", r"; NumVgprs: (\d+)"), ("sgpr", r"; NumSgprs: (\d+)"),
                                 ("waves", r"; Occupancy: (\d+)"), ("scratch", r"; ScratchSize: (\d+)"),
                                 ("lds", r"; LDSByteSize: (\d+)")):
                    mm = re.match(pat, l.strip())
                    if mm and info[key] == "-":
                        info[key] = int(mm.group(1))
            out[name] = info
            i = j
        i += 1
    return out


def loops_text(loops):
    return "+".join(str(n) for n in loops) if loops else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clawc", default=os.path.join(ROOT, "build", "compiler", "clawc"))
    ap.add_argument("--arch", default="gfx942,gfx1100")
    ap.add_argument("--keep", help="folder to keep the assembly in")
    args = ap.parse_args()
    clang = find_clang()
    tmp = args.keep or tempfile.mkdtemp(prefix="claw-bench-amdgpu-")
    os.makedirs(tmp, exist_ok=True)
    cuda_dir = os.path.join(ROOT, "scripts", "bench", "cuda")
    for arch in args.arch.split(","):
        rows, skipped = [], []
        for cu in sorted(os.listdir(cuda_dir)):
            if not cu.endswith(".cu"):
                continue
            name = cu[:-3]
            if "<mma.h>" in open(os.path.join(cuda_dir, cu)).read():
                # nvcuda::wmma has no HIP spelling here (ROCm's is rocWMMA,
                # a library); these samples' AMD matrix code is pinned by
                # tests/lit/amdgpu/matrix-mma.claw instead
                skipped.append(name)
                continue
            claw = os.path.join(ROOT, "samples", name, name + ".claw")
            cs, hs = (os.path.join(tmp, "%s.%s.%s.s" % (name, arch, w)) for w in ("claw", "hip"))
            run([args.clawc, claw, "--target=amdgpu:" + arch, "--emit=amdgpu-asm", "-O3", "-o", cs])
            run([clang, "-x", "hip", "--cuda-device-only", "--offload-arch=" + arch, "-O3",
                 "-nogpulib", "-nogpuinc", "-include", HIP_HEADER, "-S", "-o", hs,
                 os.path.join(cuda_dir, cu)])
            ck, hk = kernels(open(cs).read()), kernels(open(hs).read())
            for k in sorted(ck):
                h = next((hk[n] for n in hk if n == k or re.match(r"_Z\d+%s" % re.escape(k), n)), None)
                rows.append((k, ck[k], h))
        print("\n%s: clawc vs clang-19 HIP\n" % arch)
        if skipped:
            print("(no HIP twin, their CUDA twins use nvcuda::wmma: %s)\n" % ", ".join(skipped))
        print("| kernel | instrs claw / hip | hot loops claw / hip | VGPRs claw / hip | SGPRs claw / hip "
              "| waves/SIMD claw / hip | LDS claw / hip | scratch claw / hip "
              "| 16-byte ld+st claw / hip |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for k, c, h in rows:
            h = h or {key: "-" for key in c}
            x4 = lambda i: "%d+%d" % tuple(i["x4"]) if isinstance(i["x4"], list) else "-"
            print("| %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s |" % (
                k, c["instrs"], h["instrs"], loops_text(c["loops"]), loops_text(h["loops"]),
                c["vgpr"], h["vgpr"], c["sgpr"], h["sgpr"], c["waves"], h["waves"],
                c["lds"], h["lds"], c["scratch"], h["scratch"], x4(c), x4(h)))


if __name__ == "__main__":
    main()
