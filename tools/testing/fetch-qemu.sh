#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-qemu.sh: Debian's arm64 qemu-system-aarch64 (bookworm's) and the
# shared libraries it loads, for make bench's KVM VMM on arm64: run_bench.sh
# boots the same Linux guest under QEMU with KVM, in the same emulated host,
# as under axvm (the reference issue 13's targets name; Debian packs no
# kvmtool).  The packages are downloaded in the bookworm build environment
# (apt-get download, never installed) and unpacked there; what stays is
# build/deps/qemu-arm64/root/bin/qemu-system-aarch64 and root/lib/ with the
# binary's DT_NEEDED closure and the dynamic loader, about 55 MB, which the
# emulated host runs as
#
#   /qemu/lib/ld-linux-aarch64.so.1 --library-path /qemu/lib \
#       /qemu/bin/qemu-system-aarch64 ...
#
# Prints the root directory.  Idempotent: nothing is fetched when the root
# is complete (root/VERSION is written last).
set -euo pipefail
RIG=fetch-qemu
. "$(dirname "$0")/lib.sh"

REL=bookworm
OUTD=$BUILD/deps/qemu-arm64
DEST=$OUTD/root
if [ -f "$DEST/VERSION" ]; then
	echo "$DEST"
	exit 0
fi
"$TESTING/buildenv.sh" "$REL" >&2
ROOT=$(benv_root "$REL")
W=/tmp/qemu-arm64.$$		# inside the build environment
trap 'rm -rf "$ROOT$W"' EXIT
mkdir -p "$ROOT$W/debs" "$ROOT$W/x"

# The package and everything it depends on, arm64 ones only: the amd64
# names the recursion also lists (dpkg, adduser, ...) are the build
# environment's own.  Packages that are only maintainer-script or PAM
# plumbing are left out; the closure below says if a library is missing.
pkgs=$(benv_run "$REL" apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances qemu-system-arm:arm64 |
	grep -v '^ ' | grep -E '^(lib|zlib|qemu-system-arm).*:arm64$' |
	grep -vE '^lib(pam|semanage|audit|debian-installer|newt|slang|textwrap|readline)' | sort -u)
[ -n "$pkgs" ] || die "apt-cache depends qemu-system-arm:arm64 listed nothing (is arm64 a foreign architecture in $ROOT?)"
# shellcheck disable=SC2086
benv_run "$REL" sh -c 'cd "$0" && apt-get download -q -o APT::Sandbox::User=root "$@"' \
	"$W/debs" $pkgs >"$OUTD.log" 2>&1 || die "apt-get download failed (log: $OUTD.log)"
for d in "$ROOT$W"/debs/*.deb; do
	dpkg-deb -x "$d" "$ROOT$W/x"
done
q=$W/x/usr/bin/qemu-system-aarch64
[ -x "$ROOT$q" ] || die "qemu-system-aarch64 missing from qemu-system-arm:arm64"

# DT_NEEDED, breadth first, each name found under lib/ or usr/lib/.
mkdir -p "$ROOT$W/out/bin" "$ROOT$W/out/lib"
cp "$ROOT$q" "$ROOT$W/out/bin/"
cp -L "$ROOT$W/x/lib/ld-linux-aarch64.so.1" "$ROOT$W/out/lib/" ||
	die "ld-linux-aarch64.so.1 missing from libc6:arm64"
todo=("$q")
declare -A seen=()
while [ ${#todo[@]} -gt 0 ]; do
	f=${todo[0]}
	todo=("${todo[@]:1}")
	for n in $(benv_run "$REL" readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -n "${seen[$n]:-}" ] && continue
		seen[$n]=1
		p=$(find "$ROOT$W/x/lib" "$ROOT$W/x/usr/lib" -name "$n" \( -type f -o -type l \) 2>/dev/null | head -1)
		[ -n "$p" ] || die "$n (needed by ${f##*/}) is in none of the downloaded packages"
		cp -L "$p" "$ROOT$W/out/lib/$n"
		todo+=("$W/out/lib/$n")
	done
done
ver=$(dpkg-deb -f "$(ls "$ROOT$W"/debs/qemu-system-arm_*.deb)" Version)
rm -rf "$DEST"
mkdir -p "$OUTD"
mv "$ROOT$W/out" "$DEST"
echo "qemu-system-arm:arm64 $ver ($REL), ${#seen[@]} libraries" >"$DEST/VERSION"
log "$(cat "$DEST/VERSION") in $DEST"
echo "$DEST"
