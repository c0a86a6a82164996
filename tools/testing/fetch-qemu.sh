#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-qemu.sh <arm64|x86_64>: Debian's qemu-system-aarch64 or
# qemu-system-x86_64 (bookworm's) and the shared libraries it loads, for
# make bench's KVM VMM: run_bench.sh boots the same Linux guest under QEMU
# with KVM, in the same emulated host, as under axvm (the reference issue
# 13's targets name; Debian packs no kvmtool).  The packages are downloaded
# in the bookworm build environment (apt-get download, never installed)
# and unpacked there; what stays is build/deps/qemu-<arch>/root/ with
# bin/qemu-system-<qemu arch>, lib/ with the binary's DT_NEEDED closure and
# the dynamic loader, and on x86_64 share/ with the firmware a PVH -kernel
# boot of the pc board loads (SeaBIOS, the PVH option ROM); about 55 MB.
# The emulated host runs it as
#
#   /qemu/lib/<loader> --library-path /qemu/lib /qemu/bin/qemu-system-... \
#       [-L /qemu/share] ...
#
# Prints the root directory.  Idempotent: nothing is fetched when the root
# is complete (root/VERSION is written last).
set -euo pipefail
RIG=fetch-qemu
. "$(dirname "$0")/lib.sh"

ARCH=$(norm_arch "${1:?usage: fetch-qemu.sh <arm64|x86_64>}")
case $ARCH in
arm64)	DA=arm64 PKG=qemu-system-arm QBIN=qemu-system-aarch64 LD=ld-linux-aarch64.so.1 ;;
*)	DA=amd64 PKG=qemu-system-x86 QBIN=qemu-system-x86_64 LD=ld-linux-x86-64.so.2 ;;
esac
REL=bookworm
OUTD=$BUILD/deps/qemu-$ARCH
DEST=$OUTD/root
if [ -f "$DEST/VERSION" ]; then
	echo "$DEST"
	exit 0
fi
"$TESTING/buildenv.sh" "$REL" >&2
ROOT=$(benv_root "$REL")
W=/tmp/qemu-$ARCH.$$		# inside the build environment
trap 'rm -rf "$ROOT$W"' EXIT
mkdir -p "$ROOT$W/debs" "$ROOT$W/x"

# The package and the libraries (and on x86 the firmware) it depends on:
# on arm64 only the :arm64 names, the others the recursion lists (dpkg,
# adduser, ...) being the build environment's own.  Packages that are only
# maintainer-script or PAM plumbing are left out; the closure below says
# if a library is missing.
if [ "$DA" = arm64 ]; then
	want='^(lib|zlib|qemu-system-arm).*:arm64$'
	sel=$PKG:arm64
else
	want='^(lib[^:]*|zlib1g|qemu-system-x86|qemu-system-data|seabios)$'
	sel=$PKG
fi
pkgs=$(benv_run "$REL" apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances "$sel" |
	grep -v '^ ' | grep -E "$want" |
	grep -vE '^lib(pam|semanage|audit|debian-installer|newt|slang|textwrap|readline)' | sort -u)
[ -n "$pkgs" ] || die "apt-cache depends $sel listed nothing (is arm64 a foreign architecture in $ROOT?)"
# shellcheck disable=SC2086
benv_run "$REL" sh -c 'cd "$0" && apt-get download -q -o APT::Sandbox::User=root "$@"' \
	"$W/debs" $pkgs >"$OUTD.log" 2>&1 || die "apt-get download failed (log: $OUTD.log)"
for d in "$ROOT$W"/debs/*.deb; do
	dpkg-deb -x "$d" "$ROOT$W/x"
done
q=$W/x/usr/bin/$QBIN
[ -x "$ROOT$q" ] || die "$QBIN missing from $sel"

# DT_NEEDED, breadth first, each name found under lib/ or usr/lib/.
mkdir -p "$ROOT$W/out/bin" "$ROOT$W/out/lib"
cp "$ROOT$q" "$ROOT$W/out/bin/"
ld=$(find "$ROOT$W/x/lib" "$ROOT$W/x/lib64" -name "$LD" 2>/dev/null | head -1)
[ -n "$ld" ] && cp -L "$ld" "$ROOT$W/out/lib/$LD" || die "$LD missing from libc6"
# x86: the pc board's BIOS and the option ROMs of a -kernel boot (QEMU
# finds them with -L; Debian keeps SeaBIOS in its own directory)
if [ "$DA" = amd64 ]; then
	mkdir -p "$ROOT$W/out/share"
	for f in bios-256k.bin pvh.bin linuxboot_dma.bin kvmvapic.bin; do
		p=
		for d in seabios qemu; do
			[ -f "$ROOT$W/x/usr/share/$d/$f" ] && [ ! -L "$ROOT$W/x/usr/share/$d/$f" ] &&
				p=$ROOT$W/x/usr/share/$d/$f
		done
		[ -n "$p" ] || die "$f missing from qemu-system-data and seabios"
		cp "$p" "$ROOT$W/out/share/$f"
	done
fi
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
ver=$(dpkg-deb -f "$(ls "$ROOT$W"/debs/"$PKG"_*.deb)" Version)
rm -rf "$DEST"
mkdir -p "$OUTD"
mv "$ROOT$W/out" "$DEST"
echo "$PKG:$DA $ver ($REL), ${#seen[@]} libraries" >"$DEST/VERSION"
log "$(cat "$DEST/VERSION") in $DEST"
echo "$DEST"
