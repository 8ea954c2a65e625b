#!/usr/bin/env bash
# ci-tsan.sh: the runtime under ThreadSanitizer (CI step; docs/validation.md).
#
# Configures build-tsan/ with -DCLAW_TSAN=ON (gcc -fsanitize=thread), builds
# it, and runs the runtime's tests there: unit.test_runtime, unit.test_fatbin
# and every e2e test (lavapipe, the fake CUDA/HIP drivers, and
# e2e.vulkan.threads: 8 threads loading modules, allocating, launching and
# reading at once on one device). ThreadSanitizer makes a test fail (exit 66)
# on any data race it sees, so a race in libclawrt fails this step.
#
# Usage: scripts/ci-tsan.sh [--build-dir DIR]   (default build-tsan)
# Environment: CLAW_JOBS (parallel build jobs, default: the CPU count).
set -euo pipefail
src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$src_dir/build-tsan"
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir)
        [ $# -ge 2 ] || { echo "ci-tsan.sh: --build-dir needs a folder" >&2; exit 2; }
        case "$2" in /*) build_dir="$2" ;; *) build_dir="$src_dir/$2" ;; esac
        shift
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) echo "ci-tsan.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
jobs="${CLAW_JOBS:-$(nproc)}"
echo "==> ci-tsan: configure $build_dir (CLAW_TSAN=ON)"
cmake -S "$src_dir" -B "$build_dir" -DCLAW_TSAN=ON -DCLAW_WERROR=ON >/dev/null
echo "==> ci-tsan: build"
cmake --build "$build_dir" -j"$jobs" >/dev/null
echo "==> ci-tsan: runtime tests under ThreadSanitizer"
# second_deadlock_stack: full reports for lock-order problems too;
# .ci/tsan.supp: races inside Mesa's lavapipe only (see there).
export TSAN_OPTIONS="${TSAN_OPTIONS:-second_deadlock_stack=1 history_size=4 suppressions=$src_dir/.ci/tsan.supp}"
ctest --test-dir "$build_dir" -j"$jobs" --output-on-failure \
    -R '^(unit\.test_runtime|unit\.test_fatbin|e2e\.)'
echo "==> ci-tsan: no data race reported"
