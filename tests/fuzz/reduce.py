#!/usr/bin/env python3
"""reduce.py: shrinks a program that claw_difftest reports as a mismatch.

Removes lines, and whole `{ ... }` statements, from PROGRAM.claw as long as
claw_difftest --file still reports a mismatch of the same kind (with the same
--seed, so with the same inputs), and writes the smallest version found to
OUT. Line-based: it relies on claw_gen writing one statement per line.

Usage: reduce.py --difftest PATH --seed S PROGRAM.claw OUT.claw
"""
import argparse
import subprocess
import sys


def still_fails(difftest, seed, text, kind, tmp):
    with open(tmp, "w") as f:
        f.write(text)
    try:
        r = subprocess.run([difftest, "--seed", str(seed), "--file", tmp, "--quiet"],
                           capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False
    return r.returncode == 1 and kind in r.stderr and "FAILED" not in r.stderr


def block_end(lines, i):
    """index of the line closing the block opened at line i, or None"""
    depth = 0
    for j in range(i, len(lines)):
        depth += lines[j].count("{") - lines[j].count("}")
        if depth == 0:
            return j
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--difftest", required=True)
    ap.add_argument("--seed", required=True)
    ap.add_argument("program")
    ap.add_argument("out")
    a = ap.parse_args()
    lines = open(a.program).read().split("\n")
    tmp = a.out + ".try"
    first = subprocess.run([a.difftest, "--seed", a.seed, "--file", a.program, "--quiet"],
                           capture_output=True, text=True).stderr
    kind = "the SPIR-V path disagrees" if "SPIR-V path" in first else "the IR passes disagree"
    if not still_fails(a.difftest, a.seed, "\n".join(lines), kind, tmp):
        sys.exit("reduce.py: the program does not fail to begin with")
    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(lines):
            line = lines[i]
            if "kernel k(" in line or line.startswith("@workgroup"):
                break
            end = None
            if line.rstrip().endswith("{") and "fn " not in line:
                end = block_end(lines, i)
            elif "{" not in line and "}" not in line and "return" not in line and line.strip():
                end = i
            if end is not None:
                cand = lines[:i] + lines[end + 1:]
                if still_fails(a.difftest, a.seed, "\n".join(cand), kind, tmp):
                    lines = cand
                    changed = True
                    continue
            i += 1
    open(a.out, "w").write("\n".join(lines))
    print(f"reduce.py: {len(lines)} lines in {a.out}")


if __name__ == "__main__":
    main()
