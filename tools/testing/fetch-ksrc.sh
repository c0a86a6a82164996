#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-ksrc.sh DIR - extract the few files axvcpu takes from Debian's
# linux-source-6.1 (kselftest harness, checkpatch) into DIR, once.
set -euo pipefail
DIR=${1:?usage: fetch-ksrc.sh DIR}
TAR=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
STAMP=$DIR/.done
[ -f "$STAMP" ] && exit 0
[ -n "$TAR" ] || { echo "fetch-ksrc: /usr/src/linux-source-6.1.tar.xz missing; run tools/testing/setup-host.sh" >&2; exit 1; }
mkdir -p "$DIR"
exec 9>>"$DIR/.lock"		# parallel builds (make check) extract once
flock -w 600 9
[ -f "$STAMP" ] && exit 0
tar -xJf "$TAR" -C "$DIR" --strip-components=1 \
	linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
	linux-source-6.1/tools/testing/selftests/kselftest.h \
	linux-source-6.1/scripts/checkpatch.pl \
	linux-source-6.1/scripts/spelling.txt \
	linux-source-6.1/scripts/const_structs.checkpatch
touch "$STAMP"
