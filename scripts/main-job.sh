#!/usr/bin/env bash
# main-job.sh: the README's main job, run after scripts/setup.sh.
#
# 1. Compiles every sample (samples/<name>/<name>.claw) with the freshly built
#    clawc: first to Claw IR (--emit=claw-ir, the frontend and IR verifier),
#    then to a fat binary for all default targets (PTX, AMDGPU, SPIR-V) in
#    build/samples-out/<name>.clawfb, and prints per sample the images in the
#    fat binary with their sizes and kernels (block size, shared memory,
#    parameters), then checks every image with `clawfb verify` (ptxas,
#    llvm-readelf, spirv-val where installed; docs/clawfb.md).
# 2. Runs the saxpy host program (samples/saxpy/host.c, built by CMake) on the
#    runtime's default device: a CUDA or HIP GPU when there is one, otherwise
#    Vulkan, which on a machine with no GPU is Mesa's lavapipe on the CPU. The
#    host program says which device it used and whether the result matched
#    its C reference. Set CLAW_DEVICE (e.g. vulkan:0) to choose another device.
#    If the host program has not been built, the job says so and skips it.
#
# Exits non-zero when a sample fails to compile or the run fails.
# Environment: CLAW_BUILD_DIR (default <source>/build).
set -euo pipefail

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${CLAW_BUILD_DIR:-$src_dir/build}"
clawc="$build_dir/compiler/clawc"
clawfb="$build_dir/runtime/tools/clawfb"
out_dir="$build_dir/samples-out"

die() {
    echo "main-job.sh: error: $*" >&2
    exit 1
}
section() {
    printf '\n==> %s\n' "$*"
}
# Prints the first lines of a compiler log, indented, so one bad sample
# does not flood the summary.
show_log() {
    sed -n '1,12s/^/      | /p' "$1"
}

[ -x "$clawc" ] || die "$clawc not found: run scripts/setup.sh first"
[ -x "$clawfb" ] || die "$clawfb not found: run scripts/setup.sh first"
mkdir -p "$out_dir"

section "$("$clawc" --version 2>&1 | head -n 1)"
failures=0
compiled=0
nsamples=0
for src in "$src_dir"/samples/*/*.claw; do
    [ -e "$src" ] || die "no samples found under $src_dir/samples"
    name="$(basename "$src" .claw)"
    nsamples=$((nsamples + 1))
    section "sample $name"
    log="$out_dir/$name.log"
    if "$clawc" "$src" --emit=claw-ir -o "$out_dir/$name.clawir" 2>"$log"; then
        echo "    claw-ir: $(wc -l <"$out_dir/$name.clawir") lines (verified) -> ${out_dir#"$src_dir"/}/$name.clawir"
    else
        echo "    FAILED: clawc --emit=claw-ir (exit $?):"
        show_log "$log"
        failures=$((failures + 1))
        continue
    fi
    if "$clawc" "$src" -o "$out_dir/$name.clawfb" 2>"$log"; then
        echo "    fat binary: $(stat -c %s "$out_dir/$name.clawfb") bytes -> ${out_dir#"$src_dir"/}/$name.clawfb"
        compiled=$((compiled + 1))
        "$clawfb" list -v "$out_dir/$name.clawfb" | sed 's/^/    /' || failures=$((failures + 1))
        if "$clawfb" verify "$out_dir/$name.clawfb" >"$log" 2>&1; then
            echo "    verified: $(grep -c ': ok$' "$log") images checked by their vendors' tools ($(grep -c 'not found' "$log") tools missing)"
        else
            echo "    FAILED: clawfb verify:"
            show_log "$log"
            failures=$((failures + 1))
        fi
    else
        echo "    FAILED: clawc (fat binary, all default targets) (exit $?):"
        show_log "$log"
        failures=$((failures + 1))
    fi
done
echo
echo "compiled $compiled of $nsamples samples"

# ---- run saxpy ---------------------------------------------------------------
section "run saxpy"
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    echo "    GPUs: $(nvidia-smi -L | tr '\n' ';')"
elif [ -e /dev/kfd ]; then
    echo "    an AMD GPU (/dev/kfd) is present"
else
    echo "    no CUDA or AMD GPU found: the runtime falls back to Vulkan (lavapipe on the CPU)"
fi
# samples/saxpy/host.c, built by setup.sh as build/samples/sample_saxpy with
# saxpy.claw compiled for every target and embedded in it: the runtime picks
# the image that fits the best device (CLAW_DEVICE=vulkan:0 etc. to choose).
host="$build_dir/samples/sample_saxpy"
if [ ! -x "$host" ]; then
    echo "    FAILED: $host was not built; rerun scripts/setup.sh"
    failures=$((failures + 1))
else
    echo "    \$ ${host#"$src_dir"/}${CLAW_DEVICE:+ (CLAW_DEVICE=$CLAW_DEVICE)}"
    if "$host" | sed 's/^/    /'; [ "${PIPESTATUS[0]}" -eq 0 ]; then
        echo "    saxpy: OK"
    else
        echo "    saxpy: FAILED"
        failures=$((failures + 1))
    fi
fi

if [ "$failures" -ne 0 ]; then
    echo
    die "$failures step(s) failed"
fi
echo
echo "main job done"
