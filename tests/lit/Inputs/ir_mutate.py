"""Hostile .clawir inputs: mutations of real IR (from --emit=claw-ir of the
given sources) fed to clawc, which must either accept the file or refuse it
with exit status 1 and a `file:line:col: error:` (or `file: error:`)
diagnostic; never crash, hang or answer anything else.

Mutations: delete, duplicate or swap lines; replace a token by another one
of the file; change a number; insert random bytes; truncate. The seed is
fresh each run and printed with any failure, so a failure can be replayed
with --seed.

With --full, every mutant the reader accepts is also compiled to a fat
binary for all default targets (slower; the targets must not crash either).

usage: ir_mutate.py CLAWC OUTDIR COUNT [--seed N] [--full] SOURCE.claw..."""
import os
import random
import re
import subprocess
import sys

args = sys.argv[1:]
full = "--full" in args  # also build the fat binary of every accepted mutant
if full:
    args.remove("--full")
seed = random.randrange(1 << 30)
if "--seed" in args:
    i = args.index("--seed")
    seed = int(args[i + 1])
    del args[i:i + 2]
clawc, outdir, count = os.path.abspath(args[0]), args[1], int(args[2])
sources = args[3:]
os.makedirs(outdir, exist_ok=True)
rng = random.Random(seed)

texts = []
for src in sources:
    out = os.path.join(outdir, os.path.basename(src) + "ir")
    r = subprocess.run([clawc, "--emit=claw-ir", src, "-o", out], capture_output=True)
    if r.returncode != 0:
        sys.exit("cannot emit IR for %s: %s" % (src, r.stderr.decode()))
    texts.append(open(out, "rb").read())

token = re.compile(rb"%\d+|@\"?[\w.]+\"?|[\w.]+|[-+]?\d[\w.+-]*|[=:,(){}\[\];*]|->")


def mutate(t):
    if len(t) < 8:
        return t + b"}"
    lines = t.split(b"\n")
    k = rng.randrange(8)
    if k == 0 and len(lines) > 2:
        del lines[rng.randrange(1, len(lines))]
    elif k == 1 and len(lines) > 1:
        i = rng.randrange(1, len(lines))
        lines.insert(rng.randrange(1, len(lines)), lines[i])
    elif k == 2 and len(lines) > 3:
        i, j = rng.randrange(1, len(lines)), rng.randrange(1, len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif k in (3, 4):
        toks = [m for m in token.finditer(t)] or [re.match(rb".", t, re.S)]
        a, b = rng.choice(toks), rng.choice(toks)
        return t[:a.start()] + b.group() + t[a.end():]
    elif k == 5:
        nums = [m for m in re.finditer(rb"\d+", t)] or [re.match(rb".", t, re.S)]
        m = rng.choice(nums)
        v = rng.choice([b"0", b"1", b"255", b"4294967295", b"18446744073709551616", b"999999999999999999999", b"16777215", b"-1"])
        return t[:m.start()] + v + t[m.end():]
    elif k == 6:
        i = rng.randrange(len(t))
        return t[:i] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4))) + t[i:]
    else:
        return t[:rng.randrange(len(t))]
    return b"\n".join(lines)


bad = 0
path = os.path.join(outdir, "mutant.clawir")
diag = re.compile(r"^mutant\.clawir:(\d+:\d+:)? error: ", re.M)
for n in range(count):
    t = texts[n % len(texts)]
    for _ in range(rng.randrange(1, 4)):
        t = mutate(t)
    with open(path, "wb") as f:
        f.write(t)
    try:
        r = subprocess.run([clawc, "--emit=claw-ir", "mutant.clawir", "-o", os.devnull],
                           capture_output=True, cwd=outdir, timeout=20)
    except subprocess.TimeoutExpired:
        r = None
    err = r.stderr.decode("utf-8", "replace") if r else "timed out"
    ok = r is not None and (r.returncode == 0 or (r.returncode == 1 and diag.search(err)))
    if ok and full and r.returncode == 0:
        try:
            r = subprocess.run([clawc, "mutant.clawir", "-o", os.devnull], capture_output=True,
                               cwd=outdir, timeout=60)
        except subprocess.TimeoutExpired:
            r = None
        err = r.stderr.decode("utf-8", "replace") if r else "timed out"
        ok = r is not None and r.returncode in (0, 1) and (r.returncode == 0 or "error:" in err)
    if not ok:
        bad += 1
        keep = os.path.join(outdir, "failure%d.clawir" % bad)
        with open(keep, "wb") as f:
            f.write(t)
        print("FAIL seed %d mutant %d (kept as %s): rc %s: %s" % (
            seed, n, keep, r.returncode if r else "timeout", err[-500:]))
print("%d mutants, %d failed" % (count, bad))
sys.exit(1 if bad else 0)
