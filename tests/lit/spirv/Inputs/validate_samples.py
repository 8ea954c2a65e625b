"""Compiles every sample (samples/<name>/<name>.claw) for spirv:vulkan1.2 and
spirv:vulkan1.3 at -O0 and -O3 and runs spirv-val on each module with the
matching --target-env. Usage: validate_samples.py SAMPLES CLAWC SPIRV_VAL OUTDIR.
Prints one line per module and exits 1 if any step failed."""
import os
import subprocess
import sys

samples, clawc, spirv_val, outdir = sys.argv[1:5]
os.makedirs(outdir, exist_ok=True)
failed = 0
count = 0
for name in sorted(os.listdir(samples)):
    src = os.path.join(samples, name, name + ".claw")
    if not os.path.isfile(src):
        continue
    for env in ("vulkan1.2", "vulkan1.3"):
        for opt in ("-O0", "-O3"):
            out = os.path.join(outdir, "%s.%s%s.spv" % (name, env, opt))
            steps = ([clawc, src, "--target=spirv:" + env, "--emit=spirv", opt, "-o", out],
                     [spirv_val, "--target-env", env, out])
            for cmd in steps:
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    failed += 1
                    print("FAIL %s %s %s: %s" % (name, env, opt, (r.stdout + r.stderr).strip()))
                    break
            else:
                print("ok %s %s %s" % (name, env, opt))
            count += 1
print("%d modules, %d failed" % (count, failed))
sys.exit(1 if failed or count == 0 else 0)
