#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-host.sh <bookworm|trixie> (= make check-host HOST=...) - try the
# README's two commands as a new user on a fresh host of that Debian
# release would: a minbase debootstrap with only git and make (apt sources
# as a standard install: the release, -updates, -security), this
# repository's HEAD cloned to /root/axvcpu, then, as root in it,
#     make run        and then        make check
# Prints how long each step took and the last lines of each command; exits
# non-zero if either failed.  The host is build/hosts/<release>/ (made
# anew each time; its build/ holds everything the commands did); logs in
# build/hosts/<release>.{debootstrap,run,check}.log.
#
# The emulator boot locks are shared with this checkout (AXVCPU_LOCKDIR), so
# the fresh host never boots a kernel that a boot of this checkout boots at
# the same time (use AXVCPU_CHECK_JOBS=1 or AXVCPU_CHECK_SERIAL=1 to keep
# the CPUs for one emulator).
# AXVCPU_CHECK_SERIAL=1 (one emulator at a time), AXVCPU_CHECK_ARCHES and
# AXVCPU_CHECK_KERNELS (narrowing, see check.sh) and AXVCPU_X86_EMULATOR
# (boot.sh) are passed on; /dev and /sys are this machine's, so the fresh
# host sees its /dev/kvm and kvm_intel's nested flag too.  Needs root.
set -euo pipefail
RIG=check-host
. "$(dirname "$0")/lib.sh"

REL=${1:?usage: check-host.sh <bookworm|trixie>}
case "$REL" in bookworm | trixie) ;; *) die "host release must be bookworm or trixie, not '$REL'" ;; esac
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap missing (tools/testing/setup-host.sh)"
H=$BUILD/hosts/$REL
MIRROR=${AXVCPU_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${AXVCPU_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
T=()	# "step seconds" lines

step() {	# step NAME CMD...: run, time, remember
	local t0 rc=0
	t0=$(now)
	"${@:2}" || rc=$?
	T+=("$(printf '%-28s %7s s  rc=%s' "$1" "$(since "$t0")" "$rc")")
	return $rc
}

make_host() {
	rm -rf "$H"
	mkdir -p "$BUILD/hosts"
	debootstrap --variant=minbase --include=git,make "$REL" "$H" "$MIRROR" \
		>"$H.debootstrap.log" 2>&1 || die "debootstrap $REL failed; see $H.debootstrap.log"
	printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
		"$MIRROR" "$REL" "$MIRROR" "$REL" "$SECMIRROR" "$REL" >"$H/etc/apt/sources.list"
	cp -L /etc/resolv.conf "$H/etc/resolv.conf"
}

clone() {
	git -C "$TOP" rev-parse HEAD >"$BUILD/hosts/$REL.commit"
	git clone -q "$TOP" "$H/root/axvcpu"
}

# in_host CMD: run CMD (a shell line) as root in /root/axvcpu on the fresh
# host, with /proc, /sys, /dev and the boot-lock files mounted in a private
# mount namespace (all gone when CMD ends).
in_host() {
	local a k locks=
	mkdir -p "$H/run/axvcpu-locks"
	for a in x86_64 arm64; do
		for k in $(kernel_series); do
			mkdir -p "$BUILD/$a/$k" "$H/run/axvcpu-locks/$a/$k"
			touch "$(boot_lock "$a" "$k")" "$H/run/axvcpu-locks/$a/$k/.boot.lock"
			locks="$locks mount --bind '$(boot_lock "$a" "$k")' '$H/run/axvcpu-locks/$a/$k/.boot.lock' &&"
		done
	done
	# $H bound onto itself: its / is a mount point, as on a real host
	unshare --mount --propagation private sh -c "
		mount --bind '$H' '$H' &&
		mount -t proc proc '$H/proc' && mount --rbind /sys '$H/sys' && mount --rbind /dev '$H/dev' &&
		$locks exec chroot '$H' /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 TERM=dumb AXVCPU_LOCKDIR=/run/axvcpu-locks \
			AXVCPU_CHECK_SERIAL=${AXVCPU_CHECK_SERIAL:-0} \
			${AXVCPU_CHECK_ARCHES:+AXVCPU_CHECK_ARCHES='$AXVCPU_CHECK_ARCHES'} \
			${AXVCPU_CHECK_KERNELS:+AXVCPU_CHECK_KERNELS='$AXVCPU_CHECK_KERNELS'} \
			${AXVCPU_X86_EMULATOR:+AXVCPU_X86_EMULATOR='$AXVCPU_X86_EMULATOR'} \
			sh -c 'cd /root/axvcpu && $1'" </dev/null
}

run_cmd() {	# run_cmd NAME 'make ...'
	local rc=0
	log "$REL host: $2 (log: $H.$1.log)"
	in_host "$2" >"$H.$1.log" 2>&1 || rc=$?
	tail -n "${3:-6}" "$H.$1.log" | sed "s/^/  $1| /" >&2
	return $rc
}

main() {
	local t0 rc=0 rcr=0 rcc=0
	t0=$(now)
	log "fresh $REL host in $H (debootstrap minbase + git, make)"
	step "debootstrap $REL" make_host
	step "git clone" clone
	step "make run" run_cmd run "make run" 8 || rcr=$?
	step "make check" run_cmd check "make check" 16 || rcc=$?
	echo "== check-host $REL (commit $(cut -c1-12 "$BUILD/hosts/$REL.commit")):"
	printf '  %s\n' "${T[@]}"
	grep -h '^check: time \[\|^check: total\|^check: set-up done\|^\[' "$H.check.log" | sed 's/^/  /' || true
	echo "  total $(since "$t0") s"
	[ $rcr = 0 ] || { log "make run FAILED on a fresh $REL host (rc=$rcr; $H.run.log)"; rc=1; }
	[ $rcc = 0 ] || { log "make check FAILED on a fresh $REL host (rc=$rcc; $H.check.log)"; rc=1; }
	return $rc
}
main
