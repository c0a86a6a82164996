#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb-check.sh [SERIES[:UPGRADE]...] - the Debian packages, installed as a
# user would (make check runs it; no emulator, a chroot test).  Default:
# 6.1 (bookworm) and 6.12:7.3 (trixie, then an upgrade to trixie-backports'
# 7.3) of kernels.conf.  TAP on stdout:
#   make deb                build-deb.sh (the bookworm build environment)
#   package contents        axvcpu-dkms has the module sources as Kbuild
#                           expects them and dkms.conf with the version of
#                           debian/changelog; axvm has axvm and libaxvm
# and per series, in a fresh chroot of its release (a copy of a minbase
# debootstrap cached in build/deb/roots/<release>.base, its apt lists
# refreshed as the build environments' are) with that kernel's headers
# installed (linux-headers-<KREL>=<KVER>, the version fetch-kernels.sh
# resolved; the .debs apt downloads are kept in build/deb/apt-cache/):
#   dkms install SERIES     apt-get install ./axvcpu-dkms_*.deb ./axvm_*.deb;
#                           dkms status says installed for KREL, axvcpu.ko
#                           is under /lib/modules/KREL and its vermagic is
#                           KREL's
#   dkms signs with its MOK SERIES
#                           the module's signer is the subject of DKMS's
#                           certificate /var/lib/dkms/mok.pub (the one a
#                           Secure Boot host enrolls with mokutil --import)
#   axvm SERIES             axvm --version prints the package's version,
#                           axvm --help runs, a program links libaxvm.a
#                           and its ioctl on /dev/null gets -ENOTTY
#   dkms on a kernel upgrade SERIES to UPGRADE
#                           linux-headers of UPGRADE installed afterwards:
#                           DKMS's kernel hook built axvcpu.ko for it too
#   purge SERIES            apt-get purge of both: the module, its DKMS tree,
#                           /usr/src/axvcpu-<version> and axvm are gone
# A failure keeps the chroot (build/deb/roots/<release>-<series>) and says
# which log to read (build/deb/check-<series>.log); AXVCPU_DEB_KEEP=1 keeps
# it also when all passed.  Exit status 0 when
# every line is ok.  Needs root (debootstrap, chroot) and the network the
# first time (later runs take the .debs from the cache).
set -euo pipefail
RIG=deb-check
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || set -- 6.1 6.12:7.3
ARCH=$(norm_arch "$(uname -m)")
OUT=$BUILD/deb
ROOTS=$OUT/roots
CACHE=$OUT/apt-cache
MIRROR=${AXVCPU_MIRROR:-http://deb.debian.org/debian}
VER=$(sed -n '1s/^axvcpu (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
N=0 FAILS=0

tap() {	# tap 0|1 NAME [DETAIL]: one TAP line, the detail as comments
	N=$((N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $N deb: $2"
	else
		FAILS=$((FAILS + 1))
		echo "not ok $N deb: $2"
		[ -z "${3:-}" ] || sed 's/^/# /' <<<"$3"
	fi
}

# the chroots live under build/deb/roots; benv_run takes them by a path
# relative to build/buildenv
root_run() {
	local r=$1
	shift
	benv_run "../deb/roots/$r" "$@"
}

# build/deb/roots/<rel>.base: a minbase debootstrap with the release's
# main, -updates, -security and (trixie on) -backports sources, as the
# build environments have, nothing installed on top
make_base() {
	local rel=$1 b=$ROOTS/$1.base stamp age want
	if [ ! -f "$b/.configured" ]; then
		command -v debootstrap >/dev/null || die "debootstrap is missing (tools/testing/setup-host.sh installs it)"
		log "$rel: debootstrap of the package test chroot (about 30 s)"
		rm -rf "$b"
		mkdir -p "$ROOTS"
		debootstrap --variant=minbase "$rel" "$b" "$MIRROR" >"$ROOTS/$rel.debootstrap.log" 2>&1 ||
			die "debootstrap $rel failed; see $ROOTS/$rel.debootstrap.log"
		touch "$b/.ready"
	fi
	stamp=$b/var/lib/apt/.axvcpu-updated
	want=$(apt_sources "$rel")
	if [ "$(cat "$b/etc/apt/sources.list" 2>/dev/null)" != "$want" ]; then
		echo "$want" >"$b/etc/apt/sources.list"
		rm -f "$stamp"
	fi
	age=$(($(date +%s) - $(stat -c %Y "$stamp" 2>/dev/null || echo 0)))
	if [ "$age" -gt "${AXVCPU_APT_MAX_AGE:-21600}" ]; then
		cp -L /etc/resolv.conf "$b/etc/resolv.conf" 2>/dev/null || true
		root_run "$rel.base" apt-get -q -o APT::Sandbox::User=root update >"$ROOTS/$rel.apt-update.log" 2>&1 ||
			die "apt-get update in $b failed; see $ROOTS/$rel.apt-update.log"
		root_run "$rel.base" apt-get clean
		touch "$stamp" "$b/.configured"
	fi
}

deb_of() { ls "$OUT/$1"_*.deb 2>/dev/null | head -1; }

contents() {
	local dk ax list conf why=
	dk=$(deb_of axvcpu-dkms)
	ax=$(deb_of axvm)
	[ -n "$dk" ] && [ -n "$ax" ] || { tap 1 "package contents" "no axvcpu-dkms or axvm .deb in $OUT"; return; }
	list=$(dpkg-deb -c "$dk" | awk '{ print $6 }')
	for f in dkms.conf Kbuild vcpu_core.c include/uapi/axvcpu.h vmx/vmx.mk arm64/arm64.mk; do
		grep -qx "./usr/src/axvcpu-$VER/$f" <<<"$list" || why="$why${why:+; }axvcpu-dkms lacks /usr/src/axvcpu-$VER/$f"
	done
	conf=$(dpkg-deb --fsys-tarfile "$dk" | tar -xO "./usr/src/axvcpu-$VER/dkms.conf" 2>/dev/null || true)
	grep -qx "PACKAGE_VERSION=\"$VER\"" <<<"$conf" || why="$why${why:+; }dkms.conf: PACKAGE_VERSION is not \"$VER\""
	list=$(dpkg-deb -c "$ax" | awk '{ print $6 }')
	for f in usr/bin/axvm "usr/lib/$(dpkg-deb -f "$ax" Architecture | sed 's/amd64/x86_64/; s/arm64/aarch64/')-linux-gnu/libaxvm.a" \
		usr/include/axvm/libaxvm.h usr/include/axvm/axvcpu.h usr/share/axvm/guests/hello.bin; do
		grep -qx "./$f" <<<"$list" || why="$why${why:+; }axvm lacks /$f"
	done
	tap "$([ -z "$why" ] && echo 0 || echo 1)" "package contents" "$why"
}

# module_check KREL (in series_check): dkms status says installed for KREL,
# axvcpu.ko is under /lib/modules/KREL with KREL's vermagic; sets ko, adds
# to why
module_check() {
	local k=$1 st vm
	st=$(root_run "$r" dkms status -m axvcpu -v "$VER" -k "$k" 2>&1 || true)
	echo "dkms status: $st" >>"$logf"
	ko=$(cd "$R" && find "lib/modules/$k/" -name 'axvcpu.ko*' 2>/dev/null | head -1 || true)
	grep -q "^axvcpu[/,] *$VER, $k, .*: installed" <<<"$st" ||
		why="${why:+$why; }dkms status does not say installed for $k: $st"
	if [ -z "$ko" ]; then
		why="${why:+$why; }no axvcpu.ko under /lib/modules/$k"
	else
		vm=$(root_run "$r" modinfo -F vermagic "/$ko" 2>&1 || true)
		echo "/$ko vermagic: $vm" >>"$logf"
		[ "${vm%% *}" = "$k" ] || why="${why:+$why; }/$ko: vermagic '$vm', not $k"
	fi
}

# series_check SERIES[:UPGRADE]: install, check, purge in a fresh chroot;
# with UPGRADE (a later kernel of the same release), before the purge that
# kernel's headers are installed as an upgrade would, and DKMS must have
# built the module for it too
series_check() {
	local s=${1%%:*} up='' rel r R logf dk ax t0 why ko='' st out signer cn k2='' kv2
	case "$1" in *:*) up=${1#*:} ;; esac
	t0=$(now)
	read -r s rel _ < <(kernel_conf "$s")
	logf=$OUT/check-$s.log
	: >"$logf"
	# DKMS needs /proc in the chroot, which benv_run mounts only where / is
	# a mount point (a host; check-host.sh's chroot binds its / for this)
	if ! mountpoint -q /; then
		for t in "dkms install $s" "dkms signs with its MOK $s" "axvm $s" "purge $s"; do
			tap 1 "$t" "/ is no mount point here, so the chroot gets no /proc, which DKMS needs"
		done
		return
	fi
	if ! "$TESTING/fetch-kernels.sh" "$ARCH" --kernel "$s" >>"$logf" 2>&1; then
		for t in "dkms install $s" "dkms signs with its MOK $s" "axvm $s" "purge $s"; do tap 1 "$t" "fetch-kernels.sh $ARCH --kernel $s failed; log: $logf"; done
		return
	fi
	# shellcheck disable=SC1090
	. "$KCACHE/$ARCH/$s.env"
	dk=$(deb_of axvcpu-dkms)
	ax=$(deb_of axvm)
	r=$rel-$s
	R=$ROOTS/$r
	with_lock "$ROOTS/$rel.lock" make_base "$rel" >>"$logf" 2>&1 || {
		for t in "dkms install $s" "dkms signs with its MOK $s" "axvm $s" "purge $s"; do tap 1 "$t" "the $rel chroot could not be made; log: $logf"; done
		return
	}
	rm -rf "$R"
	cp -a "$ROOTS/$rel.base" "$R"
	cp -L /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
	mkdir -p "$CACHE/$rel" "$R/tmp/debs"
	cp -al "$CACHE/$rel/." "$R/var/cache/apt/archives/"
	cp "$dk" "$ax" "$R/tmp/debs/"
	local apt=(apt-get -y -q -o APT::Sandbox::User=root --no-install-recommends)
	why=
	log "[$s] installing linux-headers-$KREL=$KVER, then ${dk##*/} and ${ax##*/} in $R"
	# openssl: DKMS makes its MOK (/var/lib/dkms/mok.key, mok.pub) with it
	if ! root_run "$r" "${apt[@]}" install "linux-headers-$KREL=$KVER" openssl >>"$logf" 2>&1; then
		why="apt-get install linux-headers-$KREL=$KVER openssl failed"
	elif ! echo "== headers installed at $(since "$t0") s" >>"$logf" ||
		! root_run "$r" "${apt[@]}" install "/tmp/debs/${dk##*/}" "/tmp/debs/${ax##*/}" >>"$logf" 2>&1; then
		why="apt-get install ./${dk##*/} ./${ax##*/} failed"
	fi
	echo "== packages installed at $(since "$t0") s" >>"$logf"
	[ -n "$why" ] || module_check "$KREL"
	tap "$([ -z "$why" ] && echo 0 || echo 1)" "dkms install $s ($KREL)" "${why:+$why; log: $logf}"
	# Secure Boot: the module carries a signature by DKMS's own MOK, the
	# certificate that mokutil --import enrolls (Documentation/packaging.rst)
	why=
	if [ -z "$ko" ]; then
		why="no module to look at"
	else
		signer=$(root_run "$r" modinfo -F signer "/$ko" 2>&1 || true)
		cn=$(root_run "$r" openssl x509 -inform DER -in /var/lib/dkms/mok.pub -noout -subject 2>&1 |
			sed 's/^subject= *//; s/^CN *= *//' || true)
		echo "/$ko signer: $signer; /var/lib/dkms/mok.pub: $cn" >>"$logf"
		[ -n "$signer" ] && [ "$cn" = "$signer" ] ||
			why="/$ko signer '$signer', /var/lib/dkms/mok.pub '$cn'"
	fi
	tap "$([ -z "$why" ] && echo 0 || echo 1)" "dkms signs with its MOK $s" "${why:+$why; log: $logf}"
	why=
	out=$(root_run "$r" axvm --version 2>&1 || true)
	[ "$out" = "axvm $VER ($ARCH)" ] || why="axvm --version printed '$out', not 'axvm $VER ($ARCH)'"
	root_run "$r" axvm --help >>"$logf" 2>&1 || why="$why${why:+; }axvm --help failed"
	# the library's ioctl on a file that is no axvcpu device: -ENOTTY
	printf '%s\n' '#include <errno.h>' '#include <libaxvm.h>' \
		'int main(void) { int fd = axvm_open("/dev/null");' \
		'return !(fd >= 0 && axvm_api_version(fd) == -ENOTTY); }' >"$R/tmp/t.c"
	# (a compiler and libc6-dev, as a program of the user's needs them)
	root_run "$r" "${apt[@]}" install gcc libc6-dev >>"$logf" 2>&1 &&
		root_run "$r" sh -c 'gcc -I/usr/include/axvm -o /tmp/t /tmp/t.c -laxvm && /tmp/t' >>"$logf" 2>&1 ||
		why="$why${why:+; }a program does not build with -I/usr/include/axvm -laxvm, or its axvm_api_version() on /dev/null was not -ENOTTY"
	tap "$([ -z "$why" ] && echo 0 || echo 1)" "axvm $s" "${why:+$why; log: $logf}"
	if [ -n "$up" ]; then
		why=
		if ! "$TESTING/fetch-kernels.sh" "$ARCH" --kernel "$up" >>"$logf" 2>&1; then
			why="fetch-kernels.sh $ARCH --kernel $up failed"
		else
			read -r k2 kv2 < <(. "$KCACHE/$ARCH/$up.env" && echo "$KREL $KVER")
			# /etc/kernel/header_postinst.d/dkms builds for the new kernel
			log "[$s] upgrade: installing linux-headers-$k2=$kv2"
			if root_run "$r" "${apt[@]}" install "linux-headers-$k2=$kv2" >>"$logf" 2>&1; then
				module_check "$k2"
			else
				why="apt-get install linux-headers-$k2=$kv2 failed"
			fi
		fi
		tap "$([ -z "$why" ] && echo 0 || echo 1)" "dkms on a kernel upgrade $s to $up${k2:+ ($k2)}" "${why:+$why; log: $logf}"
	fi
	why=
	if ! root_run "$r" "${apt[@]}" purge axvcpu-dkms axvm >>"$logf" 2>&1; then
		why="apt-get purge axvcpu-dkms axvm failed"
	else
		st=$(root_run "$r" dkms status -m axvcpu 2>&1 || true)
		[ -z "$st" ] || why="dkms status after the purge: $st"
		for f in lib/modules/*/updates/dkms/axvcpu.ko var/lib/dkms/axvcpu "usr/src/axvcpu-$VER" usr/bin/axvm; do
			# shellcheck disable=SC2086
			! ls -d "$R"/$f* >/dev/null 2>&1 || why="$why${why:+; }/$f is left after the purge"
		done
	fi
	tap "$([ -z "$why" ] && echo 0 || echo 1)" "purge $s" "${why:+$why; log: $logf}"
	# keep what apt downloaded (hard links: the chroot is on the same disk)
	for f in "$R"/var/cache/apt/archives/*.deb; do
		if [ -e "$f" ] && [ ! -e "$CACHE/$rel/${f##*/}" ]; then ln "$f" "$CACHE/$rel/"; fi
	done
	log "[$s] $(since "$t0") s"
}

T0=$(now)
mkdir -p "$OUT"
if "$TESTING/build-deb.sh" >"$OUT/check-build.log" 2>&1; then
	tap 0 "make deb"
	contents
	for s in "$@"; do
		f0=$FAILS
		series_check "$s"
		[ "$FAILS" != "$f0" ] || [ "${AXVCPU_DEB_KEEP:-0}" = 1 ] ||
			rm -rf "${ROOTS:?}/$(kernel_conf "${s%%:*}" | cut -d' ' -f2)-${s%%:*}"
	done
else
	tap 1 "make deb" "$(tail -5 "$OUT/build.log" 2>/dev/null); log: $OUT/check-build.log"
fi
log "$N tests, $FAILS failed, in $(since "$T0") s"
[ "$FAILS" = 0 ]
