#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-ksrc.sh DIR - extract the few files axvcpu takes from Debian's
# linux-source-6.1 (kselftest harness, checkpatch, kernel-doc) into DIR,
# once (again when the list below grows).  The
# package is downloaded through the bookworm build environment's apt
# (buildenv.sh), so any host release works; nothing is installed.
set -euo pipefail
RIG=fetch-ksrc
. "$(dirname "$0")/lib.sh"

DIR=${1:?usage: fetch-ksrc.sh DIR}
STAMP=$DIR/.done
FILES=(tools/testing/selftests/kselftest_harness.h tools/testing/selftests/kselftest.h
	scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
	scripts/kernel-doc)
complete() {
	local f
	[ -f "$STAMP" ] || return 1
	for f in "${FILES[@]}"; do [ -f "$DIR/$f" ] || return 1; done
}
complete && exit 0

extract() {	# the kernel source tarball on stdin
	tar -xJ -C "$DIR" --strip-components=1 "${FILES[@]/#/linux-source-6.1/}"
}

fetch() {
	complete && return 0
	local t0 root dl deb
	t0=$(now)
	mkdir -p "$DIR"
	if [ -f /usr/src/linux-source-6.1.tar.xz ]; then
		extract </usr/src/linux-source-6.1.tar.xz
	else
		"$TESTING/buildenv.sh" bookworm
		root=$(benv_root bookworm)
		dl=/var/cache/axvcpu/ksrc
		rm -rf "$root$dl"
		mkdir -p "$root$dl"
		log "downloading linux-source-6.1 (bookworm, about 130 MB)"
		benv_run bookworm sh -c 'cd "$0" && apt-get download -q -o APT::Sandbox::User=root linux-source-6.1' \
			"$dl" >"$DIR.log" 2>&1 || die "apt-get download linux-source-6.1 failed (log: $DIR.log)"
		deb=$(ls "$root$dl"/linux-source-6.1_*.deb)
		dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz | extract
		rm -rf "$root$dl"
	fi
	local f
	for f in "${FILES[@]}"; do
		[ -f "$DIR/$f" ] || die "$DIR/$f missing after extracting linux-source-6.1"
	done
	touch "$STAMP"
	log "kernel source files ready in $DIR ($(since "$t0") s)"
}
# parallel builds (make check) extract once
with_lock "$DIR.lock" fetch
