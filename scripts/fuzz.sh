#!/usr/bin/env bash
# fuzz.sh: fuzzing campaigns for OpenClaw (docs/validation.md, "Fuzzing").
#
# Builds the libFuzzer targets of tests/fuzz (clang-19, ASan + UBSan, the
# CMake option CLAW_FUZZERS) in their own build folder, then runs the chosen
# targets one after the other:
#   frontend  source bytes -> verified IR (lexer, parser, sema, lowering, passes)
#   clawir    Claw IR text -> ir/read.c, the print/read fixed point, the
#             -O3 passes on what was read (seeds: --emit=claw-ir of the
#             samples and e2e kernels, made on the first run)
#   ptx       source -> verified IR -> PTX text
#   amdgpu    source -> verified IR -> AMDGPU assembly (no ld.lld per input)
#   spirv     source -> verified IR -> SPIR-V (spirv-val inside the backend)
#   fatbin    bytes -> the fat-binary reader, plus a write/read round trip
#   launch    bytes -> module loading and launch checks over the fake drivers
#   difftest  random valid programs, host JIT (-O0, -O3) against lavapipe
# Corpora persist in BUILD/fuzz/corpus/TARGET (seeded from tests/ and
# samples/ by the build), crashes and failing programs go to
# BUILD/fuzz/findings/TARGET, and a table of executions per target is printed
# at the end. The exit status is 1 when anything was found.
#
# Usage: scripts/fuzz.sh [--build-dir DIR] [--time S | --runs N] [TARGET...]
#        scripts/fuzz.sh --ci [--build-dir DIR]
#   --time S    run each target S seconds (default 3600)
#   --runs N    run each target N inputs (difftest: N programs)
#   --ci        the bounded CI run: each libFuzzer target 8 s, then
#               80 generated programs
#   TARGET...   default: all of the above
# Environment: CLAW_JOBS (build jobs), CLAW_FUZZ_SEED (difftest's first seed,
# default the clock), CLAW_FUZZ_NICE (nice level for the
# runs, default 0; campaigns on a shared machine use 19).
set -euo pipefail

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$src_dir/build-fuzz"
time_s=3600
runs=""
ci=0
targets=()
all_targets=(frontend clawir ptx amdgpu spirv fatbin launch difftest)

die() {
    echo "fuzz.sh: error: $*" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir)
        [ $# -ge 2 ] || die "--build-dir needs a folder"
        case "$2" in /*) build_dir="$2" ;; *) build_dir="$src_dir/$2" ;; esac
        shift
        ;;
    --time)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || die "--time needs a number of seconds"
        time_s="$2"
        shift
        ;;
    --runs)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || die "--runs needs a number"
        runs="$2"
        shift
        ;;
    --ci) ci=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    -*) die "unknown option '$1' (try --help)" ;;
    *)
        [[ " ${all_targets[*]} " == *" $1 "* ]] || die "unknown target '$1' (${all_targets[*]})"
        targets+=("$1")
        ;;
    esac
    shift
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
if [ $ci = 1 ]; then
    time_s=8
    runs=""
fi

# ---- build ------------------------------------------------------------------
jobs="${CLAW_JOBS:-$(nproc)}"
command -v clang-19 >/dev/null || die "clang-19 not found (scripts/setup.sh installs it)"
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    echo "==> fuzz.sh: configure $build_dir (clang-19, CLAW_FUZZERS=ON)"
    cmake -S "$src_dir" -B "$build_dir" -DCMAKE_C_COMPILER=clang-19 \
        -DCMAKE_CXX_COMPILER=clang++-19 -DCLAW_FUZZERS=ON -DCLAW_BUILD_TESTS=OFF \
        -DCLAW_WERROR=ON >/dev/null
fi
echo "==> fuzz.sh: build $build_dir"
cmake --build "$build_dir" -j"$jobs" >/dev/null

fz="$build_dir/fuzz"
nice_cmd=(nice -n "${CLAW_FUZZ_NICE:-0}")
found=0
summary=()

# ---- the IR reader's seeds -----------------------------------------------------
# What this build's clawc writes with --emit=claw-ir for the samples and the
# e2e kernels (the reader's real input); kept for later runs.
make_clawir_seeds() {
    local out="$1" f n
    mkdir -p "$out.tmp"
    for f in "$src_dir"/samples/*/*.claw "$src_dir"/tests/e2e/*.claw; do
        n="$(basename "$(dirname "$f")")_$(basename "$f" .claw).clawir"
        "$build_dir/compiler/clawc" "$f" --emit=claw-ir -o "$out.tmp/$n" 2>/dev/null ||
            rm -f "$out.tmp/$n"
    done
    mv "$out.tmp" "$out"
}

# ---- one libFuzzer target -------------------------------------------------------
run_libfuzzer() {
    local t="$1" seeds="" extra=()
    case "$t" in
    frontend | ptx | amdgpu | spirv)
        seeds="$fz/seeds-claw"
        extra=(-dict="$fz/claw.dict" -max_len=4096)
        ;;
    clawir)
        seeds="$fz/seeds-clawir"
        [ -d "$seeds" ] || make_clawir_seeds "$seeds"
        extra=(-dict="$fz/clawir.dict" -max_len=65536)
        ;;
    fatbin) seeds="$fz/seeds-fatbin" ;;
    launch) extra=(-max_len=1024) ;;
    esac
    local corpus="$fz/corpus/$t" findings="$fz/findings/$t" log="$fz/logs/$t.log"
    mkdir -p "$corpus" "$findings" "$fz/logs"
    local limit=(-max_total_time="$time_s")
    [ -n "$runs" ] && limit=(-runs="$runs")
    echo "==> fuzz.sh: $t (${limit[*]}); log $log"
    local rc=0 start=$SECONDS
    # -close_fd_mask=2: the compiler's diagnostics for millions of inputs are
    # not printed; libFuzzer and the sanitizers keep their own output.
    "${nice_cmd[@]}" "$fz/fuzz_$t" "${limit[@]}" -close_fd_mask=2 -timeout=25 \
        -rss_limit_mb=3072 -print_final_stats=1 -artifact_prefix="$findings/" \
        "${extra[@]}" "$corpus" ${seeds:+"$seeds"} >"$log" 2>&1 || rc=$?
    local execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    local status=ok
    if [ $rc -ne 0 ]; then
        status="FOUND (exit $rc): $(ls "$findings" | head -3 | tr '\n' ' ')"
        found=1
        grep -E "ERROR|SUMMARY|runtime error" "$log" | head -5 >&2 || true
    fi
    summary+=("$(printf '%-9s %12s %7ss  %s' "$t" "${execs:-?}" "$((SECONDS - start))" "$status")")
}

# ---- the generator ---------------------------------------------------------------
run_difftest() {
    local findings="$fz/findings/difftest" log="$fz/logs/difftest.log"
    mkdir -p "$findings" "$fz/logs"
    local seed limit=(--seconds "$time_s")
    seed="${CLAW_FUZZ_SEED:-$(date +%s)}"
    [ -n "$runs" ] && limit=(--count "$runs")
    [ $ci = 1 ] && limit=(--count 80)
    echo "==> fuzz.sh: difftest (${limit[*]}, first seed $seed); log $log"
    local rc=0 start=$SECONDS
    CLAW_DEVICE="${CLAW_DEVICE:-vulkan:0}" "${nice_cmd[@]}" "$build_dir/tests/fuzz/claw_difftest" \
        --seed "$seed" "${limit[@]}" --keep "$findings" --quiet >"$log" 2>&1 || rc=$?
    local n
    n=$(sed -n 's/^claw_difftest: \([0-9]*\) programs (seeds.*/\1/p' "$log" | tail -1)
    local status=ok
    if [ $rc = 77 ]; then
        status="skipped: no Vulkan device"
    elif [ $rc = 3 ]; then
        status="FOUND: $(grep -o 'seed [0-9]*: TIMEOUT' "$log" | head -1) (a hang)"
        found=1
    elif [ $rc -ne 0 ]; then
        # A crash of claw_difftest itself (a sanitizer report) names no
        # program; the log's tail says what happened.
        local nfail
        nfail=$(grep -c 'MISMATCH\|FAILED' "$log" || true)
        status="FOUND: ${nfail:-0} failing programs in $findings (exit $rc)"
        found=1
        grep -E "MISMATCH|FAILED|disagree" "$log" | head -5 >&2 || true
        [ "${nfail:-0}" = 0 ] && tail -20 "$log" >&2
    fi
    summary+=("$(printf '%-9s %12s %7ss  %s' difftest "${n:-?} progs" "$((SECONDS - start))" "$status")")
}

for t in "${targets[@]}"; do
    if [ "$t" = difftest ]; then
        run_difftest
    else
        run_libfuzzer "$t"
    fi
done

echo
printf '%-9s %12s %8s  %s\n' target executions time result
for l in "${summary[@]}"; do
    echo "$l"
done
exit $found
