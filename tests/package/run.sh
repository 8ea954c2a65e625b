#!/usr/bin/env bash
# Installs the OpenClaw build into a temporary prefix, then builds and runs
# a separate consumer project against it twice: through find_package(OpenClaw)
# + claw_add_fatbin, and through pkg-config. Exit 77 (skip) only when no device
# can run the kernel; any build or install failure fails the test.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== install into $tmp/prefix"
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/clawc include/claw/claw.h include/claw/fatbin.h share/man/man1/clawc.1 \
         lib/libclawrt.a lib/pkgconfig/openclaw.pc lib/cmake/OpenClaw/OpenClawConfig.cmake; do
    [ -e "$tmp/prefix/$f" ] || { echo "missing from the install: $f"; exit 1; }
done
ls "$tmp/prefix"/lib/libclawrt.so* >/dev/null

echo "== CMake consumer"
cp -r "$src/consumer" "$tmp/consumer"
cmake -S "$tmp/consumer" -B "$tmp/cbuild" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cbuild" >/dev/null
# Editing an imported header must rebuild the generated header (depfile tracking).
before=$(stat -c %Y "$tmp/cbuild/claw/consumer/scale.claw.h")
sleep 1
echo '#define OFFSET 0.0f /* touched */' > "$tmp/consumer/scale_params.h"
cmake --build "$tmp/cbuild" >/dev/null
after=$(stat -c %Y "$tmp/cbuild/claw/consumer/scale.claw.h")
if [ "$before" = "$after" ]; then
    echo "editing an imported header did not rebuild scale.claw.h"
    exit 1
fi

echo "== pkg-config consumer"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
"$tmp/prefix/bin/clawc" --target=spirv --emit=c-header --embed "$tmp/consumer/scale.claw" \
    -o "$tmp/scale.claw.h"
cc -std=c11 -I"$tmp" -I"$tmp/consumer" "$tmp/consumer/main.c" -o "$tmp/pc_consumer" \
    $(pkg-config --cflags --libs openclaw) -Wl,-rpath,"$tmp/prefix/lib"

echo "== run"
export CLAW_DEVICE=${CLAW_DEVICE:-vulkan:0}
status=0
for exe in "$tmp/cbuild/consumer" "$tmp/cbuild/consumer_static" "$tmp/pc_consumer"; do
    "$exe" || status=$?
    if [ $status -eq 77 ]; then echo "SKIP: no device to run the consumer on"; exit 77; fi
    [ $status -eq 0 ] || exit $status
done
echo "package test passed"
