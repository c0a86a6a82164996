#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# busybox-list.sh <arch> <busybox>: the applet names of a (possibly foreign)
# busybox-static binary, cached beside it.  An arm64 busybox cannot run on
# the amd64 host, so its applets are read from the binary's string table.
set -euo pipefail
ARCH=$1 BB=$2
C=$BB.applets
if [ ! -s "$C" ] || [ "$C" -ot "$BB" ]; then
	if [ "$ARCH" = x86_64 ]; then
		"$BB" --list >"$C.$$"
	else
		/bin/busybox --list >"$C.$$"	# same version (1.35, same config) as the host's
	fi
	mv -f "$C.$$" "$C"
fi
cat "$C"
