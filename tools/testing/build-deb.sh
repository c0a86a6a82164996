#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-deb.sh [RELEASE] (= make deb [DEB_RELEASE=bookworm|trixie]): build
# the Debian source package of debian/ and its binary packages,
# axvcpu-dkms (arch all) and axvm (the build arch), with dpkg-buildpackage
# in the build environment of RELEASE (build/buildenv/<release>,
# buildenv.sh; default bookworm: what its libc and dpkg build installs on
# bookworm and trixie alike).  The tree as git sees it (tracked and new
# files, not the ignored ones; without git: all but build/) is copied to
# build/buildenv/<release>/axvcpu/deb/axvcpu-<version>/ and built there.
# Result in build/deb/: *.deb, *.dsc, *.tar.xz, *.buildinfo, *.changes;
# the log is build/deb/build.log.  The version is debian/changelog's.
# Exit status: 0 built, 1 the build failed, 2 set-up failed.
set -euo pipefail
RIG=build-deb
. "$(dirname "$0")/lib.sh"

REL=${1:-bookworm}
OUT=$BUILD/deb
ROOT=$(benv_root "$REL")
VER=$(sed -n '1s/^axvcpu (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
[ -n "$VER" ] || { log "cannot read the version from debian/changelog"; exit 2; }
STAGE=/axvcpu/deb
SRC=$STAGE/axvcpu-$VER

build() {
	local t0 rc=0
	t0=$(now)
	mkdir -p "$OUT"
	"$TESTING/buildenv.sh" "$REL" || exit 2
	rm -rf "${ROOT:?}$STAGE"
	mkdir -p "$ROOT$SRC"
	if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$TOP" && git ls-files -co --exclude-standard | while IFS= read -r f; do
			[ -e "$f" ] && printf '%s\n' "$f"
		done | tar -cf - -T -) | tar -xf - -C "$ROOT$SRC"
	else
		tar -C "$TOP" --exclude=./build -cf - . | tar -xf - -C "$ROOT$SRC"
	fi
	rm -f "$OUT"/*.deb "$OUT"/*.dsc "$OUT"/*.tar.xz "$OUT"/*.buildinfo "$OUT"/*.changes
	log "dpkg-buildpackage of axvcpu $VER in the $REL build environment (log: $OUT/build.log)"
	benv_run "$REL" sh -c 'cd "$0" && dpkg-buildpackage -us -uc' "$SRC" >"$OUT/build.log" 2>&1 || rc=$?
	if [ $rc != 0 ]; then
		tail -20 "$OUT/build.log" >&2
		log "FAILED: dpkg-buildpackage (rc=$rc); log: $OUT/build.log"
		return 1
	fi
	cp "$ROOT$STAGE"/*.deb "$ROOT$STAGE"/*.dsc "$ROOT$STAGE"/*.tar.xz \
		"$ROOT$STAGE"/*.buildinfo "$ROOT$STAGE"/*.changes "$OUT/"
	rm -rf "${ROOT:?}$STAGE"
	log "built in $(since "$t0") s: $(cd "$OUT" && echo *.deb)"
}
with_lock "$OUT.lock" build
