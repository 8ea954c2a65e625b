#!/usr/bin/env bash
# fresh-root.sh: run the README's two commands on a bare Debian 12 system.
#
# A machine that already has a package proves nothing about setup.sh: CI's own
# machine has everything installed by the time the tests run. This script
# builds a new, minimal Debian 12 root with debootstrap, puts a clean clone of
# the current commit into it, and inside a chroot runs, exactly as a user
# types them:
#     ./scripts/setup.sh && ./scripts/main-job.sh
#     ctest --test-dir build --output-on-failure
# so a package that setup.sh forgets to install fails here.
#
# The chroot uses the same package sources as this machine (its
# /etc/apt/sources.list{,.d} and apt.conf.d are copied in), so it works
# wherever the host's apt works. Nothing outside the Debian archive is in the
# root: in particular no CUDA toolkit, so the tests that need ptxas or a GPU
# skip there, as they do on a new user's machine.
#
# Usage: scripts/fresh-root.sh [--keep] [--root DIR]
#   --root DIR  where to build the root (default: $TMPDIR or /tmp, openclaw-fresh-root)
#   --keep      leave the root in place afterwards (it is removed by default)
# Needs root (debootstrap, mount, chroot). Takes 5 to 10 minutes on 2 cores,
# most of it downloading and unpacking packages.
set -euo pipefail

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root_dir="${TMPDIR:-/tmp}/openclaw-fresh-root"
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --keep) keep=1 ;;
    --root)
        [ $# -ge 2 ] || { echo "fresh-root.sh: error: --root needs a folder" >&2; exit 2; }
        root_dir="$2"
        shift
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) echo "fresh-root.sh: error: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done

die() {
    echo "fresh-root.sh: error: $*" >&2
    exit 1
}
section() {
    printf '\n==> [fresh root] %s\n' "$*"
}
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, mount and chroot)"
[ -r /etc/debian_version ] || die "needs a Debian host (debootstrap and apt)"

# The Debian mirror this machine's apt uses: the first URI of a deb822
# .sources file, or of a one-line sources.list entry.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    grep -q 'debian-archive-keyring\|Suites:.*bookworm' "$f" || continue
    mirror=$(awk '/^URIs:/ { print $2; exit }' "$f")
    [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" && $0 ~ /bookworm/ && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || die "cannot find this machine's Debian bookworm mirror in /etc/apt/sources.list{,.d}"

mounted=()
cleanup() {
    local m
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[$i]}" 2>/dev/null || true
    done
    if [ "$keep" -eq 0 ] && [ -d "$root_dir" ]; then
        rm -rf --one-file-system "$root_dir"
    fi
}
trap cleanup EXIT

section "debootstrap (host side)"
command -v debootstrap >/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap ||
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap; }
}
rm -rf --one-file-system "$root_dir"
mkdir -p "$root_dir"
section "debootstrap --variant=minbase bookworm into $root_dir"
debootstrap --variant=minbase bookworm "$root_dir" "$mirror" >"$root_dir.debootstrap.log" 2>&1 ||
    { tail -n 30 "$root_dir.debootstrap.log" >&2; die "debootstrap failed (log above)"; }
rm -f "$root_dir.debootstrap.log"

# Same package sources and apt settings as the host, nothing else of it.
rm -f "$root_dir/etc/apt/sources.list"
cp -a /etc/apt/sources.list.d/. "$root_dir/etc/apt/sources.list.d/" 2>/dev/null || true
[ -r /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root_dir/etc/apt/sources.list"
cp -a /etc/apt/apt.conf.d/. "$root_dir/etc/apt/apt.conf.d/" 2>/dev/null || true
cp -a /usr/share/keyrings/. "$root_dir/usr/share/keyrings/" 2>/dev/null || true
cp /etc/resolv.conf "$root_dir/etc/resolv.conf" 2>/dev/null || true

for m in proc sys dev dev/pts; do
    mkdir -p "$root_dir/$m"
    case "$m" in
    proc) mount -t proc proc "$root_dir/proc" ;;
    sys) mount --rbind /sys "$root_dir/sys" ;;
    *) mount --bind "/$m" "$root_dir/$m" ;;
    esac
    mounted+=("$root_dir/$m")
done

section "clean clone of $(git -C "$src_dir" rev-parse --short HEAD) into /home/user/openclaw"
mkdir -p "$root_dir/home/user"
git clone -q --no-local --no-hardlinks "$src_dir" "$root_dir/home/user/openclaw"
# A clone of a clone keeps the commit; the spec folder beside the checkout is
# not needed to build or test.

section "README command 1 and command 2 inside the chroot"
chroot "$root_dir" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 CLAW_JOBS="${CLAW_JOBS:-$(nproc)}" /bin/bash -euo pipefail -c '
cd /home/user/openclaw
./scripts/setup.sh && ./scripts/main-job.sh
ctest --test-dir build --output-on-failure
'
section "passed: README commands 1 and 2 work on a bare Debian 12 root"
