#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# get-libfdt-arm64.sh DIR - unpack Debian's arm64 libfdt (headers and the
# static library) into DIR for the static arm64 build of axvm.
#
# The packages are downloaded with 'apt-get download' and unpacked with
# 'dpkg-deb -x'; nothing is installed (a multiarch install could remove the
# host's cross toolchain).  Idempotent: does nothing when DIR has libfdt.a.
set -eu
DIR=${1:?usage: $0 DIR}
LIB=$DIR/usr/lib/aarch64-linux-gnu/libfdt.a
[ -f "$LIB" ] && exit 0
mkdir -p "$DIR/debs"
cd "$DIR/debs"
if ! ls libfdt-dev_*_arm64.deb libfdt1_*_arm64.deb >/dev/null 2>&1; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		echo "get-libfdt-arm64.sh: dpkg has no arm64 architecture; run tools/testing/setup-host.sh (or: dpkg --add-architecture arm64 && apt-get update)" >&2
		exit 1
	fi
	apt-get download libfdt-dev:arm64 libfdt1:arm64 2>/dev/null ||
		{ echo "get-libfdt-arm64.sh: apt-get download libfdt-dev:arm64 libfdt1:arm64 failed" >&2; exit 1; }
fi
for deb in libfdt-dev_*_arm64.deb libfdt1_*_arm64.deb; do
	dpkg-deb -x "$deb" "$DIR"
done
[ -f "$LIB" ] || { echo "get-libfdt-arm64.sh: $LIB missing after unpacking" >&2; exit 1; }
