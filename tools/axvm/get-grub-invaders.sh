#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# get-grub-invaders.sh DIR - unpack Debian's grub-invaders package into DIR
# and leave its game, DIR/boot/invaders.exec (a Multiboot v1 ELF written
# for GRUB, not for axvm), there: a third-party image the x86 tests boot.
#
# 'apt-get download' and 'dpkg-deb -x', nothing is installed.  Idempotent:
# does nothing when DIR/boot/invaders.exec exists.
set -eu
DIR=${1:?usage: $0 DIR}
EXE=$DIR/boot/invaders.exec
[ -f "$EXE" ] && exit 0
mkdir -p "$DIR/debs"
cd "$DIR/debs"
if ! ls grub-invaders_*.deb >/dev/null 2>&1; then
	apt-get download grub-invaders 2>/dev/null ||
		{ echo "get-grub-invaders.sh: apt-get download grub-invaders failed (apt-get update?)" >&2; exit 1; }
fi
for deb in grub-invaders_*.deb; do
	dpkg-deb -x "$deb" "$DIR"
done
[ -f "$EXE" ] || { echo "get-grub-invaders.sh: $EXE missing after unpacking" >&2; exit 1; }
