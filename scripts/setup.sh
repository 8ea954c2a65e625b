#!/usr/bin/env bash
# setup.sh: install everything OpenClaw needs on Debian 12 and build it.
#
# README command 1 starts here. The script
#   1. installs the Debian packages that the build, the tests and the main job use (apt-get update first),
#      as root directly or through sudo when run as a normal user;
#   2. configures the CMake build folder (default: build/) and builds every
#      target with one job per CPU.
# Running it again is cheap: apt-get skips installed packages and CMake only
# rebuilds what changed. Any failure stops the script with a message that says
# which step failed (set -e plus an ERR trap).
#
# Usage: scripts/setup.sh [--werror] [--sanitize] [--build-dir DIR]
#                         [--skip-packages] [--target T]... [-- CMAKE_ARGS...]
#   --werror         configure with -DCLAW_WERROR=ON (warnings are errors)
#   --sanitize       configure with -DCLAW_SANITIZE=ON (ASan + UBSan)
#   --build-dir DIR  build folder, relative to the source tree (default build)
#   --skip-packages  do not touch apt (for machines set up already, or offline)
#   --target T       build only target T (repeatable; default: all targets)
# Environment: CLAW_JOBS overrides the number of parallel build jobs.
set -euo pipefail

# The packages the toolchain needs (LLVM 19, libclang, SPIRV-Tools, Vulkan), plus what the build itself uses:
# clang-19 (C compiler matching LLVM), libsubunit-dev (check.pc requires it),
# build-essential/pkg-config/python3 (CMake, pkg_check_modules, lit),
# vulkan-tools (vulkaninfo, to show which Vulkan devices the main job sees),
# clang-tools-19 (clang-offload-packager, which the fat-binary tests run),
# libclang-rt-19-dev (clang's sanitizer and libFuzzer runtimes: scripts/fuzz.sh,
# scripts/ci-tsan.sh).
CLAW_PACKAGES=(
    llvm-19-dev libclang-19-dev lld-19 llvm-19-tools clang-19 clang-tools-19 libclang-rt-19-dev
    spirv-tools spirv-headers libvulkan-dev mesa-vulkan-drivers vulkan-tools
    check libsubunit-dev cmake pkg-config python3 build-essential
)

die() {
    echo "setup.sh: error: $*" >&2
    exit 1
}
trap 'echo "setup.sh: error: command failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="build"
skip_packages=0
werror=OFF
sanitize=OFF
cmake_args=()
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    --werror) werror=ON ;;
    --sanitize) sanitize=ON ;;
    --build-dir)
        [ $# -ge 2 ] || die "--build-dir needs a folder name"
        build_dir="$2"
        shift
        ;;
    --skip-packages) skip_packages=1 ;;
    --target)
        [ $# -ge 2 ] || die "--target needs a target name"
        targets+=(--target "$2")
        shift
        ;;
    --)
        shift
        cmake_args+=("$@")
        break
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown option '$1' (try --help)" ;;
    esac
    shift
done
case "$build_dir" in
/*) ;;
*) build_dir="$src_dir/$build_dir" ;;
esac

section() {
    printf '\n==> %s\n' "$*"
}

# ---- 1. packages -----------------------------------------------------------
install_packages() {
    [ -r /etc/debian_version ] || die "this script installs Debian packages; on another system install the equivalents of: ${CLAW_PACKAGES[*]} (then rerun with --skip-packages)"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "not root and sudo is missing: run as root, or install sudo"
        sudo=(sudo)
    fi
    local missing=() p
    for p in "${CLAW_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    export DEBIAN_FRONTEND=noninteractive
    section "apt-get update"
    if ! "${sudo[@]}" apt-get update; then
        # An offline machine that already has everything can still build.
        [ ${#missing[@]} -eq 0 ] || die "apt-get update failed and these packages are missing: ${missing[*]}"
        echo "setup.sh: warning: apt-get update failed; every package is installed already, continuing" >&2
        return 0
    fi
    section "apt-get install (${#missing[@]} of ${#CLAW_PACKAGES[@]} packages missing)"
    "${sudo[@]}" apt-get install -y --no-install-recommends "${CLAW_PACKAGES[@]}"
}

if [ "$skip_packages" -eq 0 ]; then
    install_packages
else
    section "skipping packages (--skip-packages)"
fi

# ---- 2. tools the build needs, checked so a failure names what is wrong ----
for tool in cmake cc python3 llvm-config-19; do
    command -v "$tool" >/dev/null || die "'$tool' not found on PATH after installing packages"
done
llvm_bin="$(llvm-config-19 --bindir)"
[ -x "$llvm_bin/ld.lld" ] || die "ld.lld not found in $llvm_bin (package lld-19)"
[ -x "$llvm_bin/FileCheck" ] || die "FileCheck not found in $llvm_bin (package llvm-19-tools)"

# ---- 3. configure and build --------------------------------------------------
jobs="${CLAW_JOBS:-$(nproc)}"
# Both options are always passed, so a rerun without --werror or --sanitize
# does not silently keep the value an earlier run left in the CMake cache.
cmake_args=(-DCLAW_WERROR="$werror" -DCLAW_SANITIZE="$sanitize" "${cmake_args[@]}")
section "configure $build_dir ${cmake_args[*]:-}"
cmake -S "$src_dir" -B "$build_dir" "${cmake_args[@]}"
section "build ($jobs jobs) ${targets[*]:-all targets}"
cmake --build "$build_dir" -j "$jobs" "${targets[@]}"
section "setup done: clawc is $build_dir/compiler/clawc"
