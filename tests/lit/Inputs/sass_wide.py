"""Prints, for each kernel of a cubin, its 16-byte global loads and stores
(LDG.E.128, STG.E.128) as "KERNEL LDG.E.128=N STG.E.128=M", decoded by
scripts/bench/compare.py (this toolkit has no cuobjdump or nvdisasm).

usage: sass_wide.py ROOT CUBIN"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(sys.argv[1], "scripts", "bench"))
import compare  # noqa: E402

for kernel, (ld, st, _) in sorted(compare.sass_wide(sys.argv[2]).items()):
    print("%s LDG.E.128=%d STG.E.128=%d" % (kernel, ld, st))
