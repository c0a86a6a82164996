#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# buildenv.sh <release> [--update] - make (once) and refresh the build
# environment build/buildenv/<release>/: a minbase debootstrap of that Debian
# release with its gcc, the arm64 cross compiler, what the kernel's kbuild
# binaries need, sparse (make C=2, check-static.sh) and what make deb needs
# (build-essential, dpkg-dev, debhelper, dh-dkms: build-deb.sh).  The kernel headers
# and kbuild are not installed here: fetch-kernels.sh extracts them into it
# (dpkg-deb -x), several versions side by side.  Packages added to the list
# below later are installed into an existing environment on the next run.  The apt sources are the release, -updates, -security and (trixie
# on) -backports, with arm64 as a foreign architecture for apt-get download.
#
# The package lists are refreshed when older than AXVCPU_APT_MAX_AGE seconds
# (default 6 h) or with --update.  Creating one takes about 1-2 minutes; the
# marker build/buildenv/<release>/.ready says it is complete.  Needs root.
set -euo pipefail
RIG=buildenv
. "$(dirname "$0")/lib.sh"

REL=${1:?usage: buildenv.sh <bookworm|trixie> [--update]}
UPDATE=0
[ "${2:-}" = --update ] && UPDATE=1
ROOT=$(benv_root "$REL")
MIRROR=${AXVCPU_MIRROR:-http://deb.debian.org/debian}

packages() {
	case "$REL" in
	bookworm) echo gcc,make,libc6-dev,kmod,pahole,libelf1,libssl3,bc,gcc-aarch64-linux-gnu,libc6-dev-arm64-cross,xz-utils,zstd,python3,cpio,sparse,build-essential,dpkg-dev,debhelper,dh-dkms ;;
	*) echo gcc,make,libc6-dev,kmod,pahole,libelf1t64,libssl3t64,bc,gcc-aarch64-linux-gnu,libc6-dev-arm64-cross,xz-utils,zstd,python3,cpio,sparse,build-essential,dpkg-dev,debhelper,dh-dkms ;;
	esac
}

create() {
	[ -f "$ROOT/.ready" ] && return 0
	[ "$(id -u)" = 0 ] || die "making $ROOT needs root (debootstrap)"
	command -v debootstrap >/dev/null || die "debootstrap is missing (tools/testing/setup-host.sh installs it)"
	local t0
	t0=$(now)
	log "creating the $REL build environment in $ROOT (debootstrap, about 1-2 min)"
	rm -rf "$ROOT"
	mkdir -p "$BENV"
	debootstrap --variant=minbase --include="$(packages)" "$REL" "$ROOT" "$MIRROR" \
		>"$BENV/$REL.debootstrap.log" 2>&1 ||
		die "debootstrap $REL failed; see $BENV/$REL.debootstrap.log"
	touch "$ROOT/.ready"
	log "$REL build environment ready in $(since "$t0") s"
}

configure() {
	local want
	want=$(apt_sources "$REL")
	if [ "$(cat "$ROOT/etc/apt/sources.list" 2>/dev/null)" != "$want" ]; then
		echo "$want" >"$ROOT/etc/apt/sources.list"
		rm -f "$ROOT/var/lib/apt/lists/"*_Packages* 2>/dev/null || true
		UPDATE=1
	fi
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
	if ! benv_run "$REL" dpkg --print-foreign-architectures | grep -qx arm64; then
		benv_run "$REL" dpkg --add-architecture arm64
		UPDATE=1
	fi
	local age stamp=$ROOT/var/lib/apt/.axvcpu-updated
	age=$(($(date +%s) - $(stat -c %Y "$stamp" 2>/dev/null || echo 0)))
	if [ $UPDATE = 1 ] || [ "$age" -gt "${AXVCPU_APT_MAX_AGE:-21600}" ]; then
		log "$REL: apt-get update"
		benv_apt "$REL" apt-get update -qq >"$BENV/$REL.apt-update.log" 2>&1 ||
			die "apt-get update in $ROOT failed; see $BENV/$REL.apt-update.log"
		touch "$stamp"
	fi
	# packages added to packages() after the environment was made
	local p have missing=()
	have=$(benv_run "$REL" dpkg-query -W -f='${Package} ${Status}\n' 2>/dev/null |
		awk '/ ok installed$/ { print $1 }')
	for p in $(packages | tr , ' '); do
		grep -qx "$p" <<<"$have" || missing+=("$p")
	done
	if [ ${#missing[@]} != 0 ]; then
		log "$REL: installing ${missing[*]}"
		benv_apt "$REL" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
			>"$BENV/$REL.apt-install.log" 2>&1 ||
			die "apt-get install ${missing[*]} in $ROOT failed; see $BENV/$REL.apt-install.log"
	fi
}

main() {
	create
	configure
}
with_lock "$BENV/$REL.lock" main
