#!/usr/bin/env bash
# gpu-check.sh: the CUDA (and NVIDIA Vulkan) validation run for a machine with
# an NVIDIA GPU, as one short script (docs/validation.md says how and when).
#
# The GPU machine need not have LLVM or the Debian packages: build here, carry
# the build folder, run there. Everything it needs is in the build folder:
# the sample executables (fat binaries embedded: PTX sm_80 + SPIR-V + AMDGPU),
# libclawrt (which dlopens libcuda.so.1 / libvulkan.so.1 at run time) and the
# end-to-end test programs with their fat binaries.
#
#   here:   scripts/setup.sh && (cd build && ctest -R e2e.compile)   # makes the .clawfb files
#   there:  scripts/gpu-check.sh build
#
# Prints one line per test: backend, test, result, seconds; then the run-time
# throughput tables of claw_throughput (large sizes, one per backend;
# docs/benchmarks.md "Run-time throughput"). Exits non-zero if any test that
# ran failed, a wrong benchmark result included (skips are not failures).
set -uo pipefail
build=${1:-build}
[ -d "$build/samples" ] || { echo "gpu-check: no $build/samples; build first"; exit 2; }
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
fail=0
run() { # backend name command...
    local backend=$1 name=$2; shift 2
    local t0=$(date +%s.%N) out rc
    out=$("$@" 2>&1); rc=$?
    local dt=$(echo "$(date +%s.%N) - $t0" | bc)
    local res=passed
    [ $rc -eq 77 ] && res=skipped
    [ $rc -ne 0 ] && [ $rc -ne 77 ] && { res=FAILED; fail=1; echo "$out" | tail -5 | sed 's/^/    /'; }
    printf '%-8s %-22s %-8s %6.2fs  %s\n' "$backend" "$name" "$res" "$dt" "$(echo "$out" | tail -1)"
}
for dev in cuda:0 vulkan:0; do
    for exe in "$build"/samples/sample_*; do
        CLAW_DEVICE=$dev run "${dev%%:*}" "$(basename "$exe")" "$exe"
    done
    for fb in "$build"/tests/e2e/*.clawfb; do
        s=$(basename "$fb" .clawfb); s=${s%.spirv}
        [ -x "$build/tests/e2e/e2e_samples" ] || continue
        case "$fb" in *.spirv.clawfb) [ "$dev" = vulkan:0 ] || continue ;; *) [ "$dev" = cuda:0 ] || continue ;; esac
        CLAW_DEVICE=$dev run "${dev%%:*}" "e2e.$s" "$build/tests/e2e/e2e_samples" "$s" "$fb"
    done
    # the language and runtime tests that run on both backends (tests/e2e:
    # semantics, builtins, subgroup ids, driver limits, variants, streams
    # and events, vectors, pointers, -fsanitize=bounds, matrix tiles: on
    # CUDA the mma.sync image, on NVIDIA Vulkan the cooperative-matrix one if
    # the driver has VK_KHR_cooperative_matrix); each skips itself where it
    # has nothing to run
    e2e="$build/tests/e2e"
    for t in semantics vectors builtins subgroup_ids subgroup_ops pointers loop_limit bounds nesting streams matrix; do
        [ -x "$e2e/e2e_$t" ] && CLAW_DEVICE=$dev run "${dev%%:*}" "e2e.$t" "$e2e/e2e_$t"
    done
    # math over the whole f32 range against CUDA's ulp bounds (math_cuda.c):
    # the NVPTX lowering on CUDA, the SPIR-V one on the NVIDIA Vulkan driver.
    # On CUDA this measures the real hardware units, which the host tests
    # only model at their documented bounds: f32 exp and exp2 on MUFU.EX2,
    # f32 rsqrt on MUFU.RSQ (docs/llvm-targets.md "Math accuracy")
    mfb="$e2e/math/math_accuracy.nvptx.clawfb"
    [ "$dev" = vulkan:0 ] && mfb="$e2e/math_accuracy.spirv.clawfb"
    [ -x "$e2e/e2e_math_cuda" ] && [ -f "$mfb" ] &&
        CLAW_DEVICE=$dev run "${dev%%:*}" "e2e.math_cuda" "$e2e/e2e_math_cuda" "$mfb"
    [ -x "$e2e/e2e_variants" ] && [ -f "$e2e/variants.clawfb" ] &&
        CLAW_DEVICE=$dev run "${dev%%:*}" "e2e.variants" "$e2e/e2e_variants" "$e2e/variants.clawfb"
done
# Run-time throughput: each kernel checked against C first, then timed.
bench="$build/scripts/bench/claw_throughput"
if [ -x "$bench" ]; then
    for dev in cuda:0 vulkan:0; do
        echo; echo "throughput on $dev:"
        CLAW_DEVICE=$dev "$bench"; rc=$?
        [ $rc -ne 0 ] && [ $rc -ne 77 ] && { echo "claw_throughput on $dev: FAILED (exit $rc)"; fail=1; }
    done
else
    echo "gpu-check: no $bench; throughput not measured"
fi
# clawbench: every sample kernel checked, timed by events, as a fraction of
# the device's own copy and FMA rates (docs/clawbench.md)
cb="$build/runtime/tools/clawbench"
if [ -x "$cb" ]; then
    for dev in cuda:0 vulkan:0; do
        echo; echo "clawbench on $dev:"
        "$cb" --all --device "$dev"; rc=$?
        [ $rc -ne 0 ] && [ $rc -ne 2 ] && { echo "clawbench on $dev: FAILED (exit $rc)"; fail=1; }
    done
fi
exit $fail
