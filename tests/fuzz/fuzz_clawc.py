#!/usr/bin/env python3
"""fuzz_clawc.py: clawc must survive every broken input (issue 2, docs/language.md §10).

Feeds the compiler's frontend (`clawc FILE --emit=claw-ir -o /dev/null`)
damaged copies of every .claw file under the given folders (the lit tests and
the samples):

  * truncations: the file cut at byte offset k. Files under 2 KiB are cut at
    every offset; longer ones at every offset of their first and last 200
    bytes plus an even stride through the middle (about 400 more cuts);
  * byte flips: FLIPS_PER_FILE copies with 1 to 4 random bytes replaced by
    random values (a printed seed makes a failure reproducible with --seed).

Every run must
  * end by itself within 10 seconds (no hang),
  * exit with status 0 or 1: never a signal (crash, sanitizer abort) and
    never 2, which means a command-line or environment problem, while every
    input here is a readable file (docs/clawc.md),
  * when it exits 1, print at least one `file:line:col: error: message`
    diagnostic on stderr (docs/language.md §10).

Cases run in parallel, one clawc per CPU. A global run budget (--max-runs)
keeps the test within about three minutes on two cores, sanitizers included:
when the plan is larger, a random subset of the truncations (drawn with the
printed seed) is kept and the number left out is printed. A failing case is saved, with its
stderr, under --keep (default: the current folder's fuzz-failures/) so it can
be rerun by hand.

Usage: fuzz_clawc.py --clawc PATH [--seed N] [--max-runs N] [--jobs N] DIR...
Environment: CLAW_FUZZ_SEED and CLAW_FUZZ_MAX_RUNS give defaults for --seed
and --max-runs (default: a fresh random seed, 6000 runs).
Exit status: 0 when every run behaved, 1 when some did not, 2 on bad usage.
"""

import argparse
import concurrent.futures
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SMALL_FILE = 2048        # bytes: below this, truncate at every offset
EDGE = 200               # bytes at each end of a large file truncated at every offset
MIDDLE_CUTS = 400        # evenly spaced truncations through a large file's middle
FLIPS_PER_FILE = 24      # byte-flipped copies per file
TIMEOUT_S = 10           # per run
DIAG_RE = re.compile(r"^[^\s:][^:]*:\d+:\d+: error: ", re.M)


def truncation_offsets(size):
    """Offsets at which a file of `size` bytes is cut (0 and size included)."""
    if size < SMALL_FILE:
        return list(range(size + 1))
    cuts = set(range(0, EDGE + 1)) | set(range(size - EDGE, size + 1))
    span = size - 2 * EDGE
    for k in range(1, MIDDLE_CUTS + 1):
        cuts.add(EDGE + k * span // (MIDDLE_CUTS + 1))
    return sorted(cuts)


def flip_bytes(data, rng):
    """A copy of data with 1 to 4 bytes replaced by random values."""
    if not data:
        return bytes([rng.randrange(256)])
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def build_plan(files, rng, max_runs):
    """Returns (cases, skipped): cases are (description, source path, bytes)."""
    truncs = []
    flips = []
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for k in truncation_offsets(len(data)):
            truncs.append((f"{path} truncated at byte {k}", path, data[:k]))
        for n in range(FLIPS_PER_FILE):
            flips.append((f"{path} byte-flip #{n}", path, flip_bytes(data, rng)))
    skipped = 0
    room = max(max_runs - len(flips), 0)
    if len(truncs) > room:
        # Byte flips are few and cheap to keep; thin the truncations instead,
        # with the seeded generator so that a rerun with --seed is identical.
        skipped = len(truncs) - room
        keep = set(rng.sample(range(len(truncs)), room))
        truncs = [c for i, c in enumerate(truncs) if i in keep]
    return truncs + flips, skipped


def run_case(clawc, workdir, case, index):
    """Runs clawc on one case; returns None when it behaved, else a reason."""
    desc, src, data = case
    # Keep the original file name so diagnostics look as they would for users.
    folder = os.path.join(workdir, str(index))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, os.path.basename(src))
    with open(path, "wb") as f:
        f.write(data)
    start = time.monotonic()
    try:
        proc = subprocess.run([clawc, path, "--emit=claw-ir", "-o", os.devnull],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return (f"did not finish within {TIMEOUT_S} s", b"", data)
    finally:
        elapsed = time.monotonic() - start
    stderr = proc.stderr
    shutil.rmtree(folder, ignore_errors=True)
    rc = proc.returncode
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        return (f"killed by {name}", stderr, data)
    if rc not in (0, 1):
        return (f"exit status {rc} (expected 0 or 1)", stderr, data)
    if rc == 1 and not DIAG_RE.search(stderr.decode("utf-8", "replace")):
        return ("exit 1 without a 'file:line:col: error:' diagnostic", stderr, data)
    if elapsed > TIMEOUT_S:
        return (f"took {elapsed:.1f} s", stderr, data)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clawc", required=True)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--max-runs", type=int, default=int(os.environ.get("CLAW_FUZZ_MAX_RUNS", "6000")))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--keep", default="fuzz-failures")
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()

    if not (os.path.isfile(args.clawc) and os.access(args.clawc, os.X_OK)):
        print(f"fuzz_clawc.py: clawc not found at {args.clawc}", file=sys.stderr)
        return 2
    files = []
    for d in args.dirs:
        for root, _dirs, names in os.walk(d):
            files += [os.path.join(root, n) for n in names if n.endswith(".claw")]
    files.sort()
    if not files:
        print(f"fuzz_clawc.py: no .claw files under {' '.join(args.dirs)}", file=sys.stderr)
        return 2

    seed = args.seed
    if seed is None and os.environ.get("CLAW_FUZZ_SEED"):
        seed = int(os.environ["CLAW_FUZZ_SEED"])
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    print(f"fuzz_clawc.py: seed {seed} (rerun with --seed {seed}), {len(files)} files", flush=True)
    rng = random.Random(seed)
    cases, skipped = build_plan(files, rng, args.max_runs)
    print(f"fuzz_clawc.py: {len(cases)} runs, {args.jobs} in parallel"
          + (f" ({skipped} truncations thinned out by --max-runs {args.max_runs})" if skipped else ""),
          flush=True)

    failures = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="claw-fuzz-") as workdir, \
            concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_case, args.clawc, workdir, c, i): i for i, c in enumerate(cases)}
        for fut in concurrent.futures.as_completed(futures):
            problem = fut.result()
            if problem is not None:
                failures.append((futures[fut], problem))
    failures.sort(key=lambda f: f[0])  # report in plan order, whatever finished first
    elapsed = time.monotonic() - start

    for n, (index, (reason, stderr, data)) in enumerate(failures):
        desc, src, _original = cases[index]
        os.makedirs(args.keep, exist_ok=True)
        saved = os.path.join(args.keep, f"case{n}-{os.path.basename(src)}")
        with open(saved, "wb") as f:
            f.write(data)
        with open(saved + ".stderr", "wb") as f:
            f.write(stderr)
        if n < 25:
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            print(f"FAIL: {desc}: {reason} (input saved as {saved})")
            for line in tail:
                print(f"      | {line}")
    if len(failures) > 25:
        print(f"... and {len(failures) - 25} more failures (all saved under {args.keep}/)")
    print(f"fuzz_clawc.py: {len(cases) - len(failures)} of {len(cases)} runs behaved, "
          f"{len(failures)} failed, {elapsed:.1f} s, seed {seed}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
