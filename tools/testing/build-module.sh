#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh <x86_64|arm64> [SERIES] (= make module ARCH=... KERNEL=...)
#
# Build axvcpu.ko against one kernel of the matrix (kernels.conf; default:
# the first line), inside that kernel's build environment
# (build/buildenv/<release>: its gcc, Debian's kbuild binaries).  The module
# sources are copied to build/buildenv/<release>/axvcpu/<arch>-<KREL>/ and
# built there (incrementally: the copy keeps the files' times).  Result:
#   build/<arch>/<SERIES>/axvcpu.ko    (and build/<arch>/axvcpu.ko for the default)
#   build/<arch>/<SERIES>/build.log    the kbuild output (AXVCPU_BUILD_LOG)
#   build/<arch>/<SERIES>/module       -> the object directory
# AXVCPU_BUILD_TAG=T builds into build/<arch>/<SERIES>-T/ and a copy of its
# own (several checkouts sharing one build/ side by side).
# AXVCPU_KBUILD_ARGS="C=2 [CHECK=... CF=...]" adds kbuild variables to the
# make command line: C=2 runs sparse (installed by buildenv.sh) over every
# source, also those whose objects are up to date (check-static.sh); its
# warnings are in the log and do not fail the build.  AXVCPU_BUILD_LOG=F
# writes the kbuild output to build/<arch>/<SERIES>/F instead of build.log.
# Exit status: 0 built, 1 the build failed, 2 set-up failed.
set -euo pipefail
RIG=build-module
. "$(dirname "$0")/lib.sh"

ARCH=$(norm_arch "${1:?usage: build-module.sh <x86_64|arm64> [SERIES]}")
SERIES=${2:-}
read -r SERIES REL _ < <(kernel_conf "$SERIES")
"$TESTING/fetch-kernels.sh" "$ARCH" --kernel "$SERIES" >/dev/null || exit 2
# shellcheck disable=SC1090
. "$KCACHE/$ARCH/$SERIES.env"

MODSRC="Kbuild $(cd "$TOP" && echo vcpu_*.c) include vmx arm64"
TAG=${AXVCPU_BUILD_TAG:+-$AXVCPU_BUILD_TAG}
OUT=$BUILD/$ARCH/$SERIES$TAG
REL_DIR=/axvcpu/$ARCH-$KREL$TAG
MODDIR=$(benv_root "$KRELEASE")$REL_DIR
LOGF=$OUT/${AXVCPU_BUILD_LOG:-build.log}

build() {
	local karch=() kargs=() rc=0
	[ "$ARCH" = arm64 ] && karch=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	read -r -a kargs <<<"${AXVCPU_KBUILD_ARGS:-}"
	mkdir -p "$OUT" "$MODDIR"
	# drop sources that are gone from the tree, keep objects of the rest
	find "$MODDIR" -type f \( -name '*.[chS]' -o -name '*.mk' -o -name Kbuild \) -printf '%P\n' |
		while IFS= read -r f; do [ -e "$TOP/$f" ] || rm -f "$MODDIR/$f"; done
	(cd "$TOP" && cp -a --parents $MODSRC "$MODDIR/")
	ln -sfn "$MODDIR" "$OUT/module"
	rm -f "$OUT/axvcpu.ko" "$MODDIR/axvcpu.ko"
	benv_run "$KRELEASE" make -C "$KDIR_BENV" M="$REL_DIR" "${karch[@]+"${karch[@]}"}" \
		"${kargs[@]+"${kargs[@]}"}" modules \
		>"$LOGF" 2>&1 || rc=$?
	if [ $rc != 0 ] || [ ! -f "$MODDIR/axvcpu.ko" ]; then
		grep -E 'error|ERROR|warning|\*\*\*' "$LOGF" | head -40 >&2 || true
		log "FAILED: axvcpu.ko for $ARCH $SERIES ($KREL); log: $LOGF"
		return 1
	fi
	cp "$MODDIR/axvcpu.ko" "$OUT/axvcpu.ko"
	[ -n "$TAG" ] || [ "$SERIES" != "$(default_series)" ] || cp "$OUT/axvcpu.ko" "$BUILD/$ARCH/axvcpu.ko"
	log "built $OUT/axvcpu.ko ($ARCH, Debian $KREL)"
}
# one build per (arch, kernel) at a time; the boot lock is not needed
with_lock "$OUT.build.lock" build
