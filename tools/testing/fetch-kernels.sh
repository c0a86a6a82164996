#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernels.sh <x86_64|arm64> [--kernel SERIES] [--kdir]
#
# Make one guest kernel of the matrix (tools/testing/kernels.conf) ready:
#  - resolve its ABI and version in Debian's archive, through the apt of its
#    build environment (build/buildenv/<release>, buildenv.sh): the pinned
#    ABI if the archive still has it, else the suite's meta package
#    (linux-image-<flavour>) as it is now (logged);
#  - extract linux-headers-<abi>-<flavour>, linux-headers-<abi>-common and
#    the amd64 linux-kbuild-* into the build environment (dpkg-deb -x; not
#    installed, no kernel image, no initramfs);
#  - extract the kernel image (linux-image-*, from 7.x linux-binary-*), on
#    x86_64 KVM's modules (linux-image-* or linux-modules-*; .ko.xz/.ko.zst
#    decompressed) and busybox-static of the same release into
#    build/kernels/<arch>/<KREL>/.
# Writes build/kernels/<arch>/<series>.env, for the default series also
# build/kernels/<arch>/env (sourceable):
#   KARCH KSERIES KRELEASE KREL KVER KDIR KDIR_BENV KIMAGE KVMDIR KVMLOAD BUSYBOX
#   XMODDIR XMODLOAD GMODDIR GMODLOAD
# KDIR is the headers as seen from this machine, KDIR_BENV inside the build
# environment.  KIMAGE: x86_64 a bzImage, arm64 an uncompressed Image.
# KVMDIR: x86_64 KVM's modules (KVMLOAD: their insmod order); empty on arm64
# (KVM is built in).  XMODDIR: the modules some tests load (zram, for a
# swap device in RAM; tun, for a tap device) and those they depend on,
# XMODLOAD their insmod order
# (fetched into build/kernels/<arch>/<KREL>/extra/ by a cache of an older
# rig too).  GMODDIR: the modules the guest
# kernel's initramfs under axvm loads for its virtio-mmio devices, GMODLOAD
# their order.  Any file missing is an error, never an empty folder.
#
# --kdir: print only KDIR on stdout; all else goes to stderr.  A warm run
# takes well under a second.
set -euo pipefail
RIG=fetch-kernels
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: fetch-kernels.sh <x86_64|arm64> [--kernel SERIES] [--kdir]"
ARCH=$(norm_arch "$1")
shift
SERIES= KDIR_ONLY=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) SERIES=$2; shift ;;
	--kdir) KDIR_ONLY=1 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
exec 3>&1 1>&2		# stdout is reserved for --kdir
read -r SERIES REL SUITE PABI PVER < <(kernel_conf "$SERIES")
DA=$(deb_arch "$ARCH")
ROOT=$(benv_root "$REL")
ENVF=$KCACHE/$ARCH/$SERIES.env

# "KREL KVER" of the series, cached until the build environment's package
# lists change.
resolve() {
	local stamp cache krel= kver= meta mver
	stamp=$(stat -c %Y "$ROOT/var/lib/apt/.axvcpu-updated" 2>/dev/null || echo 0)
	cache=$KCACHE/$ARCH/$SERIES.resolved
	if [ -f "$cache" ] && [ "$(cut -d' ' -f1 "$cache")" = "$stamp:$PABI:$PVER" ]; then
		cut -d' ' -f2,3 "$cache"
		return 0
	fi
	if [ "$PABI" != - ]; then
		if benv_apt "$REL" apt-cache show "linux-headers-$PABI-$DA:$DA=$PVER" >/dev/null 2>&1; then
			krel=$PABI-$DA kver=$PVER
		else
			log "pinned $SERIES kernel linux-headers-$PABI-$DA $PVER is gone from the archive;" \
				"falling back to linux-image-$DA in $SUITE (bump tools/testing/kernels.conf)"
		fi
	fi
	if [ -z "$krel" ]; then
		mver=$(benv_apt "$REL" apt-cache madison "linux-image-$DA:$DA" 2>/dev/null |
			awk -F' *[|] *' -v s="$SUITE/main" 'index($3, s) { print $2; exit }')
		[ -n "$mver" ] || die "no linux-image-$DA in $SUITE (apt-cache madison in $ROOT)"
		meta=$(benv_apt "$REL" apt-cache show "linux-image-$DA:$DA=$mver" |
			sed -n 's/^Depends: //p' | head -1 | tr ',' '\n' |
			sed -n 's/^ *linux-image-\([0-9][^ ]*\) *\((= \([^)]*\))\)\{0,1\}.*/\1 \3/p' | head -1)
		read -r krel kver <<<"$meta"
		[ -n "$krel" ] || die "cannot read the ABI from linux-image-$DA=$mver's Depends"
		[ -n "$kver" ] || kver=$mver
		[ "$PABI" = - ] || log "$SERIES: using $krel $kver"
	fi
	mkdir -p "$KCACHE/$ARCH"
	echo "$stamp:$PABI:$PVER $krel $kver" >"$cache.$$" && mv -f "$cache.$$" "$cache"
	echo "$krel $kver"
}

# download PKG... into $DL (inside the build environment)
download() {
	benv_run "$REL" sh -c 'cd "$0" && apt-get download -q -o APT::Sandbox::User=root "$@"' \
		"${DL#"$ROOT"}" "$@" >>"$D.log" 2>&1 || die "apt-get download $* failed (log: $D.log)"
}
deb_of() { ls "$DL/$1"_*.deb 2>/dev/null | head -1; }
depends_of() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//'; }

# insmod order for the modules in $1 that $2... need: each after what its
# modinfo depends= names
mod_order() {
	local dir=$1 seen=" " out=() m
	shift
	visit() {
		local m=$1 d
		case "$seen" in *" $m "*) return 0 ;; esac
		seen="$seen$m "
		[ -f "$dir/$m.ko" ] || die "module $m.ko missing in $dir (needed by ${roots[*]})"
		for d in $(tr '\0' '\n' <"$dir/$m.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
			visit "$d"
		done
		out+=("$m.ko")
	}
	local roots=("$@")
	for m in "$@"; do
		visit "$m"
	done
	echo "${out[*]}"
}

# copy module $1 (.ko or compressed) to folder $2 as a plain .ko
copy_ko() {
	case "$1" in
	*.ko) cp "$1" "$2/" ;;
	*.ko.xz) xz -dc "$1" >"$2/$(basename "$1" .xz)" ;;
	*.ko.zst) zstd -qdc "$1" >"$2/$(basename "$1" .zst)" ;;
	*.ko.gz) gzip -dc "$1" >"$2/$(basename "$1" .gz)" ;;
	esac
}

# the kernel's packages with /boot and /lib/modules: linux-image-<abi>,
# from 7.x with linux-binary-<abi> (and linux-modules-<abi> where the
# archive has it); downloaded into $DL, their paths printed
image_debs() {
	local img
	download "linux-image-$KREL:$DA=$KVER"
	img=$(deb_of "linux-image-$KREL")
	[ -n "$img" ] || die "download of linux-image-$KREL failed (log: $D.log)"
	echo "$img"
	if depends_of "$img" | grep -q "^linux-binary-$KREL\$"; then
		download "linux-binary-$KREL:$DA=$KVER"
		deb_of "linux-binary-$KREL"
		if benv_apt "$REL" apt-cache show "linux-modules-$KREL:$DA=$KVER" >/dev/null 2>&1; then
			download "linux-modules-$KREL:$DA=$KVER"
			deb_of "linux-modules-$KREL"
		fi
	fi
}

# The modules the tests load themselves (XMODS and what they depend on)
# into $D/extra, with $D/extra/order; on arm64 also the modules the guest
# kernel's initramfs loads for axvm's virtio devices (GMODS) into
# $D/guestmods.  Separate from fetch(): a kernel fetched by an older rig
# gets them without being fetched again.
XMODS="zram tun"
GMODS=""
# ext4 asks the crypto API for crc32c at mount time: crc32c_generic up to
# 6.13, crc32c-cryptoapi after (7.x's ext4 uses the library, built in)
# (both arches: Debian builds virtio-mmio and the devices as modules)
GMODS="virtio_mmio virtio_blk virtio-rng virtio_console% virtio_net crc32c_generic% crc32c-cryptoapi% ext4"

# closure ROOT DIR MOD...: the modules and their depends= from the
# extracted packages at ROOT into DIR, decompressed; MOD% is optional (a
# module that some kernels of the matrix have and others build in)
closure() {
	local R=$1 dir=$2 m todo seen=" " path
	shift 2
	mkdir -p "$dir"
	todo=$*
	while [ -n "${todo// }" ]; do
		set -- $todo
		m=$1
		shift
		todo="$*"
		local opt=
		case "$m" in *%) m=${m%\%} opt=1 ;; esac
		case "$seen" in *" $m "*) continue ;; esac
		seen="$seen$m "
		path=$(find "$R" -path '*/kernel/*' \( -name "$m.ko" -o -name "$m.ko.*" \) | head -1)
		[ -n "$path" ] || [ -n "$opt" ] || die "module $m missing in the $KREL packages"
		[ -n "$path" ] || continue
		copy_ko "$path" "$dir"
		todo="$todo $(tr '\0' '\n' <"$dir/$m.ko" | sed -n 's/^depends=//p' | tr ',' ' ')"
	done
}

# ready when the modules are those XMODS and GMODS ask for now (extra/roots,
# guestmods/roots)
extra_ready() {
	[ -f "$D/extra/order" ] && [ "$(cat "$D/extra/roots" 2>/dev/null)" = "$XMODS" ] &&
		{ [ -z "$GMODS" ] ||
		{ [ -f "$D/guestmods/order" ] && [ "$(cat "$D/guestmods/roots" 2>/dev/null)" = "$GMODS" ]; }; }
}

fetch_extra() {
	extra_ready && return 0
	local R=$D/xroot deb
	rm -rf "$R" "$D/extra" "$D/guestmods" "$DL"
	mkdir -p "$R" "$DL"
	while IFS= read -r deb; do
		[ -f "$deb" ] || die "download of a kernel package failed (log: $D.log)"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$R" --wildcards \
			"./*lib/modules/$KREL/kernel/*" 2>/dev/null || true
	done < <(image_debs)
	# decompress only what the closures need: a module, then its depends=
	closure "$R" "$D/extra" $XMODS
	mod_order "$D/extra" $XMODS >"$D/extra/order.$$"
	if [ -n "$GMODS" ]; then
		closure "$R" "$D/guestmods" $GMODS
		mod_order "$D/guestmods" $(for m in $GMODS; do
			m=${m%\%}
			[ -f "$D/guestmods/$m.ko" ] && echo "$m"
		done) >"$D/guestmods/order"
		echo "$GMODS" >"$D/guestmods/roots"
	fi
	echo "$XMODS" >"$D/extra/roots"
	mv -f "$D/extra/order.$$" "$D/extra/order"
	rm -rf "$R" "$DL"
	log "$ARCH kernel $KREL: test modules ready ($(cat "$D/extra/order"))${GMODS:+; guest modules ($(cat "$D/guestmods/order"))}"
}

fetch() {
	[ -f "$D/.done" ] && return 0
	local t0 hdr common kbuild img deb
	t0=$(now)
	rm -rf "$D" "$DL"
	mkdir -p "$D" "$DL"
	: >"$D.log"
	log "downloading Debian $ARCH kernel $KREL ($KVER) from the $REL archive"
	# headers + kbuild into the build environment
	download "linux-headers-$KREL:$DA=$KVER"
	hdr=$(deb_of "linux-headers-$KREL")
	common=$(depends_of "$hdr" | grep -m1 '^linux-headers-.*-common$' || true)
	kbuild=$(depends_of "$hdr" | grep -m1 '^linux-kbuild-' || true)
	[ -n "$common" ] && [ -n "$kbuild" ] || die "$hdr: no -common/linux-kbuild in its Depends"
	download "$common=$KVER" "$kbuild:amd64=$KVER"
	for deb in "$hdr" "$(deb_of "$common")" "$(deb_of "$kbuild")"; do
		[ -f "$deb" ] || die "download of $deb failed"
		# keep the build environment's /lib -> usr/lib (bookworm's
		# debs are not usr-merged; plain dpkg-deb -x would replace it)
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$ROOT" --keep-directory-symlink
	done
	[ -f "$ROOT/usr/src/linux-headers-$KREL/Module.symvers" ] ||
		die "$ROOT/usr/src/linux-headers-$KREL/Module.symvers missing after extracting $hdr"
	[ -x "$ROOT/usr/src/linux-headers-$KREL/scripts/basic/fixdep" ] ||
		die "kbuild binaries missing: $ROOT/usr/src/linux-headers-$KREL/scripts/basic/fixdep ($kbuild)"
	# the kernel image: linux-image-<abi>, or from 7.x linux-binary-<abi>
	download "busybox-static:$DA"
	local debs=()
	mapfile -t debs < <(image_debs)
	local R=$D/root
	mkdir -p "$R"
	for deb in "${debs[@]}"; do
		[ -f "$deb" ] || die "download of ${deb:-a kernel package} failed (log: $D.log)"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$R" --wildcards \
			"./boot/vmlinuz-$KREL" "./*lib/modules/$KREL/vmlinuz" \
			"./*lib/modules/$KREL/kernel/arch/x86/kvm/*" \
			"./*lib/modules/$KREL/kernel/virt/lib/irqbypass.ko*" 2>/dev/null || true
	done
	local vmlinuz
	vmlinuz=$(find "$R" -name "vmlinuz*" -type f | head -1)
	[ -n "$vmlinuz" ] || die "no vmlinuz in ${debs[*]##*/}"
	if [ "$ARCH" = arm64 ]; then
		python3 "$TESTING/unpack-image.py" "$vmlinuz" "$D/kimage" || die "cannot unpack the arm64 Image $vmlinuz"
	else
		cp "$vmlinuz" "$D/kimage"
		mkdir -p "$D/kvm"
		local m
		while IFS= read -r m; do
			copy_ko "$m" "$D/kvm"
		done < <(find "$R" -path '*/kernel/*' -name '*.ko*' ! -name 'kvm-amd.ko*')
		mod_order "$D/kvm" kvm-intel >"$D/kvm/order"
	fi
	# busybox-static: bin/busybox (bookworm) or usr/bin/busybox (usr-merged)
	deb=$(deb_of busybox-static)
	[ -f "$deb" ] || die "download of busybox-static:$DA failed"
	dpkg-deb -x "$deb" "$R/bb"
	local bb
	for bb in "$R/bb/usr/bin/busybox" "$R/bb/bin/busybox" ""; do
		[ -f "$bb" ] && break
	done
	[ -n "$bb" ] || die "no bin/busybox or usr/bin/busybox in $deb"
	cp "$bb" "$D/busybox"
	rm -rf "$R" "$DL"
	touch "$D/.done"
	log "$ARCH kernel $KREL ready in $(since "$t0") s"
}

write_env() {
	local kvmdir= kvmload= f
	if [ "$ARCH" = x86_64 ]; then
		kvmdir=$D/kvm
		kvmload=$(cat "$D/kvm/order")
		for f in $kvmload; do
			[ -s "$kvmdir/$f" ] || die "$kvmdir/$f missing (rm -rf $D to fetch again)"
		done
	fi
	for f in $(cat "$D/extra/order"); do
		[ -s "$D/extra/$f" ] || die "$D/extra/$f missing (rm -rf $D/extra to fetch again)"
	done
	for f in "$D/kimage" "$D/busybox" "$ROOT/usr/src/linux-headers-$KREL/Makefile"; do
		[ -s "$f" ] || die "$f missing (rm -rf $D to fetch again)"
	done
	[ "$(head -c4 "$D/busybox")" = $'\x7fELF' ] || die "$D/busybox is not an ELF binary (rm -rf $D to fetch again)"
	cat >"$ENVF.$$" <<EOT
# generated by tools/testing/fetch-kernels.sh
KARCH=$ARCH
KSERIES=$SERIES
KRELEASE=$REL
KREL=$KREL
KVER=$KVER
KDIR=$ROOT/usr/src/linux-headers-$KREL
KDIR_BENV=/usr/src/linux-headers-$KREL
KIMAGE=$D/kimage
KVMDIR=$kvmdir
KVMLOAD="$kvmload"
BUSYBOX=$D/busybox
XMODDIR=$D/extra
XMODLOAD="$(cat "$D/extra/order")"
GMODDIR=${GMODS:+$D/guestmods}
GMODLOAD="$([ -z "$GMODS" ] || cat "$D/guestmods/order")"
EOT
	mv -f "$ENVF.$$" "$ENVF"
}

ready() {
	[ -f "$D/.done" ] && extra_ready && [ -f "$ENVF" ] &&
		grep -qx "KREL=$KREL" "$ENVF" && grep -q "^GMODLOAD=" "$ENVF" &&
		[ -f "$ROOT/usr/src/linux-headers-$KREL/Makefile" ]
}

"$TESTING/buildenv.sh" "$REL"
read -r KREL KVER < <(resolve) || die "cannot resolve the $SERIES kernel for $ARCH"
D=$KCACHE/$ARCH/$KREL
DL=$ROOT/var/cache/axvcpu/$ARCH-$KREL
if ! ready; then
	# one fetch at a time per build environment: the headers of both
	# arches share -common and kbuild there
	with_lock "$BENV/$REL.lock" fetch
	[ -f "$ROOT/usr/src/linux-headers-$KREL/Makefile" ] || { rm -f "$D/.done"; with_lock "$BENV/$REL.lock" fetch; }
	with_lock "$BENV/$REL.lock" fetch_extra
	write_env
fi
# build/kernels/<arch>/env: the default kernel's (tools/Makefile reads it)
if [ "$SERIES" = "$(default_series)" ] && ! cmp -s "$ENVF" "$KCACHE/$ARCH/env"; then
	cp -f "$ENVF" "$KCACHE/$ARCH/env.$$" && mv -f "$KCACHE/$ARCH/env.$$" "$KCACHE/$ARCH/env"
fi
. "$ENVF"
if [ $KDIR_ONLY = 1 ]; then
	echo "$KDIR" >&3
else
	log "$ARCH $SERIES: KREL=$KREL KVER=$KVER (env: $ENVF)"
fi
