#!/usr/bin/env python3
"""%spirv-val where CLAW_NEW_SPIRV_VAL names a newer spirv-val (tests/lit/lit.cfg.py):
runs Debian's spirv-val (CLAW_OLD_SPIRV_VAL) and then the newer one with the
same arguments, so that every image the lit tests validate also meets the
Vulkan rules newer than Debian 12's SPIRV-Tools (docs/spirv.md "A newer
validator"). Exits with the first failing status, after printing which
validator refused the module.

usage: spirv_val_both.py SPIRV-VAL-ARGS..."""
import os
import subprocess
import sys

for var in ("CLAW_OLD_SPIRV_VAL", "CLAW_NEW_SPIRV_VAL"):
    tool = os.environ.get(var)
    if not tool:
        sys.exit("spirv_val_both.py: %s is not set" % var)
    r = subprocess.run([tool, *sys.argv[1:]])
    if r.returncode != 0:
        print("spirv_val_both.py: %s (%s) refuses the module" % (tool, var), file=sys.stderr)
        sys.exit(r.returncode)
