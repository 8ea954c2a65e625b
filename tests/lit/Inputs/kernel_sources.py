"""Every kernel file of the project that should compile, with the -I/-D
options of its own RUN line: samples/*/*.claw, tests/e2e/*.claw, and every
.claw file under tests/lit whose RUN lines expect clawc to succeed (no
`not %clawc`) and that declares a kernel. Shared by compile_all.py and
ir_roundtrip.py, so new files are covered without editing either."""
import glob
import os
import re
import shlex


def sources(root):
    """(path, extra clawc options) of every kernel file that should compile."""
    for src in sorted(glob.glob(os.path.join(root, "samples", "*", "*.claw"))):
        yield src, []
    for src in sorted(glob.glob(os.path.join(root, "tests", "e2e", "*.claw"))):
        yield src, []
    for src in sorted(glob.glob(os.path.join(root, "tests", "lit", "**", "*.claw"), recursive=True)):
        if "/Inputs/" in src:
            continue
        text = open(src, encoding="utf-8", errors="replace").read()
        runs = re.findall(r"RUN:(.*)", text)
        if not runs or any("not %clawc" in r for r in runs) or not re.search(r"^\s*kernel\b", text, re.M):
            continue
        opts = []
        for r in runs:
            if "%clawc" not in r:
                continue
            words = shlex.split(r.replace("%S", os.path.dirname(src)).split("|")[0])
            for i, w in enumerate(words):
                if w in ("-I", "-D") and i + 1 < len(words):
                    opts += [w, words[i + 1]]
                elif (w.startswith("-I") or w.startswith("-D")) and len(w) > 2:
                    opts.append(w)
            break
        yield src, opts
