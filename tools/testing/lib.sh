# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - shared helpers of the axvcpu test rigs; sourced, never run.
#
# Defines TOP, BUILD, KCACHE, BENV and: log, die, norm_arch, deb_arch,
# tap_name, now, since, kernel_conf, kernel_series, benv_root, benv_run, apt_sources,
# benv_apt, emu_version, x86_emulator, with_lock.  Everything a rig prints for humans goes to stderr
# unless the rig's contract says otherwise (fetch-kernels.sh --kdir).

TESTING=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$TESTING/../.." && pwd)
BUILD=$TOP/build
KCACHE=$BUILD/kernels

log() { printf '%s: %s\n' "${RIG:-axvcpu}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# x86_64|x86|amd64 -> x86_64, arm64|aarch64 -> arm64
norm_arch() {
	case "$1" in
	x86_64 | x86 | amd64) echo x86_64 ;;
	arm64 | aarch64) echo arm64 ;;
	*) die "unknown arch '$1' (x86_64 or arm64)" ;;
	esac
}
deb_arch() { [ "$1" = arm64 ] && echo arm64 || echo amd64; }
tap_name() { [ "$1" = arm64 ] && echo aarch64 || echo x86_64; }

# seconds since the epoch with 2 decimals, and elapsed since $1
now() { date +%s.%N | cut -c1-13; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}'; }

# The kernel matrix (kernels.conf).  kernel_conf SERIES prints
# "series release suite abi version" (SERIES empty: the default, the first
# line); kernel_series prints every series, in order.
KCONF=${AXVCPU_KERNELS_CONF:-$TESTING/kernels.conf}	# override: rig tests only
kernel_conf() {
	local line
	line=$(awk -v s="${1:-}" '!/^[ \t]*(#|$)/ { if (s == "" || $1 == s) { print $1, $2, $3, $4, $5; exit } }' "$KCONF")
	[ -n "$line" ] || die "unknown kernel series '${1:-}' (kernels.conf has: $(kernel_series | tr '\n' ' '))"
	echo "$line"
}
kernel_series() { awk '!/^[ \t]*(#|$)/ { print $1 }' "$KCONF"; }
default_series() { kernel_series | head -1; }

# Build environments: build/buildenv/<release>/, a debootstrap of a Debian
# release (tools/testing/buildenv.sh makes it; .ready marks it complete).
# Kernel headers and kbuild are extracted into it, so the module builds with
# the compiler and libc the kernel's own kbuild binaries expect.
BENV=$BUILD/buildenv
benv_root() { echo "$BENV/$1"; }
# benv_run RELEASE CMD...: run CMD in the build environment, with /proc
# mounted in a private mount namespace (gone when CMD ends).  Where / is no
# mount point (this machine is itself a chroot) mounts cannot be made
# private: then CMD runs without /proc, which kbuild and apt do not need.
benv_run() {
	local root env
	root=$(benv_root "$1")
	shift
	[ -f "$root/.ready" ] || die "build environment $root is not ready (tools/testing/buildenv.sh)"
	env=(/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8
		DEBIAN_FRONTEND=noninteractive)
	if mountpoint -q /; then
		unshare --mount --propagation private sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
			"$root" "${env[@]}" "$@"
	else
		chroot "$root" "${env[@]}" "$@"
	fi
}
# apt_sources RELEASE: the sources.list of a build environment (and of
# deb-check.sh's chroots): the release, -updates, -security and (trixie on)
# -backports, from AXVCPU_MIRROR / AXVCPU_SECURITY_MIRROR
apt_sources() {
	local m=${AXVCPU_MIRROR:-http://deb.debian.org/debian}
	echo "deb $m $1 main"
	echo "deb $m $1-updates main"
	echo "deb ${AXVCPU_SECURITY_MIRROR:-http://deb.debian.org/debian-security} $1-security main"
	[ "$1" = bookworm ] || echo "deb $m $1-backports main"
}
# benv_apt RELEASE apt-get|apt-cache ARGS...: apt inside the build environment.
benv_apt() {
	local rel=$1 tool=$2
	shift 2
	benv_run "$rel" "$tool" -q -o APT::Sandbox::User=root "$@"
}

# emu_version qemu|bochs: the installed emulator's Debian version (e.g.
# 1:7.2+dfsg-7+deb12u18, 3.0+dfsg-1); work-arounds key on it.
emu_version() {
	case "$1" in
	qemu) dpkg-query -W -f='${Version}' qemu-system-arm 2>/dev/null || echo 0 ;;
	qemu-x86) dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || echo 0 ;;
	bochs) dpkg-query -W -f='${Version}' bochs 2>/dev/null || echo 0 ;;
	esac
}
# version_lt A B: Debian version A < B
version_lt() { dpkg --compare-versions "$1" lt "$2"; }

# x86_emulator: the emulator of an x86_64 boot.  Sets X86_EMU to
#   qemu-kvm   QEMU -accel kvm -cpu host: the host's KVM gives the guest VMX
#              (nested VMX), so the module runs on a real VMX implementation
#   bochs      Bochs, whose corei7_skylake_x model emulates VMX
#   qemu-tcg   QEMU TCG: no VMX at all (the module must refuse to load)
# and X86_EMU_WHY to a line saying which and why.  The default is qemu-kvm
# where /dev/kvm opens and kvm_intel runs with nested=Y (or 1), else bochs;
# AXVCPU_X86_EMULATOR=bochs|qemu-kvm|qemu-tcg forces one.  Returns 1, with
# the error in X86_EMU_WHY, for a forced emulator that cannot run here.
# AXVCPU_KVM_DEV and AXVCPU_KVM_NESTED stand for /dev/kvm and the nested
# flag's file: rig tests only.
x86_emulator() {
	local dev=${AXVCPU_KVM_DEV:-/dev/kvm} nested=${AXVCPU_KVM_NESTED:-/sys/module/kvm_intel/parameters/nested}
	local kvm= n qemu=qemu-system-x86_64
	local nokvm="AXVCPU_X86_EMULATOR=qemu-kvm cannot run here:"
	local fix="QEMU+KVM gives a guest VMX only with /dev/kvm and kvm_intel loaded with nested=1 (modprobe kvm_intel nested=1); unset AXVCPU_X86_EMULATOR for Bochs"
	X86_EMU= X86_EMU_WHY=
	if [ ! -e "$dev" ]; then
		kvm="no $dev"
	elif [ ! -r "$dev" ] || [ ! -w "$dev" ]; then
		kvm="$dev is not readable and writable by $(id -un)"
	elif [ ! -f "$nested" ]; then
		# e.g. kvm_amd (SVM, no VMX for the guest), or PVM
		kvm="$dev exists, kvm_intel is not loaded ($nested missing; KVM modules: $(cd /sys/module && ls -d kvm* 2>/dev/null | tr '\n' ' ' | sed 's/ $//'))"
	else
		n=$(cat "$nested" 2>/dev/null || echo '?')
		case "$n" in
		Y | y | 1) ;;
		*) kvm="kvm_intel without nested VMX ($nested is $n)" ;;
		esac
	fi
	case "${AXVCPU_X86_EMULATOR:-}" in
	"")
		if [ -z "$kvm" ] && command -v $qemu >/dev/null; then
			X86_EMU=qemu-kvm X86_EMU_WHY="QEMU+KVM with nested VMX (-accel kvm -cpu host): $dev and kvm_intel nested=$n"
		elif [ -z "$kvm" ]; then
			X86_EMU=bochs X86_EMU_WHY="Bochs (emulated VMX): the host has nested VMX, but $qemu is missing (tools/testing/setup-host.sh installs qemu-system-x86)"
		else
			X86_EMU=bochs X86_EMU_WHY="Bochs (emulated VMX), no nested VMX for QEMU+KVM here: $kvm"
		fi
		;;
	bochs) X86_EMU=bochs X86_EMU_WHY="Bochs (emulated VMX): AXVCPU_X86_EMULATOR=bochs" ;;
	qemu-kvm)
		if [ -n "$kvm" ]; then
			X86_EMU_WHY="$nokvm $kvm. $fix"
			return 1
		fi
		X86_EMU=qemu-kvm X86_EMU_WHY="QEMU+KVM with nested VMX (-accel kvm -cpu host): AXVCPU_X86_EMULATOR=qemu-kvm, kvm_intel nested=$n"
		;;
	qemu-tcg) X86_EMU=qemu-tcg X86_EMU_WHY="QEMU TCG, no VMX in the guest: AXVCPU_X86_EMULATOR=qemu-tcg" ;;
	*)
		X86_EMU_WHY="AXVCPU_X86_EMULATOR='$AXVCPU_X86_EMULATOR': must be bochs, qemu-kvm or qemu-tcg"
		return 1
		;;
	esac
	case "$X86_EMU" in
	qemu-*)
		command -v $qemu >/dev/null || {
			X86_EMU_WHY="$X86_EMU_WHY; but $qemu is missing (tools/testing/setup-host.sh installs qemu-system-x86)"
			X86_EMU=
			return 1
		} ;;
	esac
	return 0
}

# boot_lock ARCH SERIES: the lock file of boots of that kernel (its build
# directory, console and emulator files are the kernel's own, so boots of
# other kernels, of either arch, may run beside it; make check bounds how
# many, AXVCPU_CHECK_JOBS).  AXVCPU_LOCKDIR=DIR: under DIR instead of build/.
boot_lock() {
	echo "${AXVCPU_LOCKDIR:-$BUILD}/$1/$2/.boot.lock"
}

# with_lock FILE CMD...: run CMD (a command or function, in this shell, so
# its traps work) holding an exclusive flock on FILE.  A rig that already
# holds it (inherited through AXVCPU_LOCKS) does not wait.  The lock goes
# with the process, also when set -e ends it inside CMD.
with_lock() {
	local f=$1 fd old rc
	shift
	case " ${AXVCPU_LOCKS:-} " in
	*" $f "*) "$@"; return ;;
	esac
	mkdir -p "$(dirname "$f")"
	exec {fd}>>"$f"
	if ! flock -n "$fd"; then
		log "waiting for $f (another rig run is using it)"
		flock -w "${AXVCPU_LOCK_WAIT:-1800}" "$fd" || die "lock $f: timed out"
	fi
	old=${AXVCPU_LOCKS:-}
	export AXVCPU_LOCKS="$old $f"
	"$@"
	rc=$?
	export AXVCPU_LOCKS="$old"
	exec {fd}>&-
	return $rc
}
