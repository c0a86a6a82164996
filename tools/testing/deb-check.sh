#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb-check.sh [SERIES...] - the Debian packages, installed as a user would
# (make check runs it; no emulator, a chroot test).  Default series: 6.1
# (bookworm) and 6.12 (trixie) of kernels.conf.  TAP on stdout:
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
#   purge SERIES            apt-get purge of both: the module, its DKMS tree,
#                           /usr/src/axvcpu-<version> and axvm are gone
# A failure keeps the chroot (build/deb/roots/<release>-<series>) and says
# which log to read (build/deb/check-<series>.log).  Exit status 0 when
# every line is ok.  Needs root (debootstrap, chroot) and the network the
# first time (later runs take the .debs from the cache).
set -euo pipefail
RIG=deb-check
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || set -- 6.1 6.12
ARCH=$(norm_arch "$(uname -m)")
DA=$(deb_arch "$ARCH")
OUT=$BUILD/deb
ROOTS=$OUT/roots
CACHE=$OUT/apt-cache
MIRROR=${AXVCPU_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${AXVCPU_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
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
# main, -updates and -security sources, nothing installed on top
make_base() {
	local rel=$1 b=$ROOTS/$1.base stamp age
	if [ ! -f "$b/.configured" ]; then
		command -v debootstrap >/dev/null || die "debootstrap is missing (tools/testing/setup-host.sh installs it)"
		log "$rel: debootstrap of the package test chroot (about 30 s)"
		rm -rf "$b"
		mkdir -p "$ROOTS"
		debootstrap --variant=minbase "$rel" "$b" "$MIRROR" >"$ROOTS/$rel.debootstrap.log" 2>&1 ||
			die "debootstrap $rel failed; see $ROOTS/$rel.debootstrap.log"
		printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
			"$MIRROR" "$rel" "$MIRROR" "$rel" "$SECMIRROR" "$rel" >"$b/etc/apt/sources.list"
		touch "$b/.ready"
	fi
	stamp=$b/var/lib/apt/.axvcpu-updated
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

# series_check SERIES: install, check, purge in a fresh chroot
series_check() {
	local s=$1 rel r R logf dk ax t0 why ko= vm st out signer cn
	t0=$(now)
	read -r s rel _ < <(kernel_conf "$s")
	logf=$OUT/check-$s.log
	: >"$logf"
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
	if [ -z "$why" ]; then
		st=$(root_run "$r" dkms status -m axvcpu -v "$VER" -k "$KREL" 2>&1 || true)
		echo "dkms status: $st" >>"$logf"
		ko=$(cd "$R" && find "lib/modules/$KREL/" -name 'axvcpu.ko*' 2>/dev/null | head -1 || true)
		grep -q "^axvcpu[/,] *$VER, $KREL, .*: installed" <<<"$st" ||
			why="dkms status does not say installed for $KREL: $st"
		if [ -z "$ko" ]; then
			why="$why${why:+; }no axvcpu.ko under /lib/modules/$KREL"
		else
			vm=$(root_run "$r" modinfo -F vermagic "/$ko" 2>&1 || true)
			echo "/$ko vermagic: $vm" >>"$logf"
			[ "${vm%% *}" = "$KREL" ] || why="$why${why:+; }/$ko: vermagic '$vm', not $KREL"
		fi
	fi
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
	why=
	if ! root_run "$r" "${apt[@]}" purge axvcpu-dkms axvm >>"$logf" 2>&1; then
		why="apt-get purge axvcpu-dkms axvm failed"
	else
		st=$(root_run "$r" dkms status -m axvcpu 2>&1 || true)
		[ -z "$st" ] || why="dkms status after the purge: $st"
		for f in "lib/modules/$KREL/updates/dkms/axvcpu.ko" "var/lib/dkms/axvcpu" "usr/src/axvcpu-$VER" usr/bin/axvm; do
			! ls -d "$R/$f"* >/dev/null 2>&1 || why="$why${why:+; }/$f is left after the purge"
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
		[ "$FAILS" != "$f0" ] || rm -rf "${ROOTS:?}/$(kernel_conf "$s" | cut -d' ' -f2)-$s"
	done
else
	tap 1 "make deb" "$(tail -5 "$OUT/build.log" 2>/dev/null); log: $OUT/check-build.log"
fi
log "$N tests, $FAILS failed, in $(since "$T0") s"
[ "$FAILS" = 0 ]
