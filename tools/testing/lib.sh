# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - shared helpers of the axvcpu test rigs; sourced, never run.
#
# Defines TOP, BUILD, KCACHE and: log, die, norm_arch, resolve_kernel,
# kernel_env, with_lock.  Everything a rig prints for humans goes to stderr
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

# Kernel ABI that linux-image-<debarch> points at in the current package
# lists.  apt-cache takes ~2 s here, so the answer is cached and keyed by
# the mtime of /var/lib/apt/lists (apt-get update changes it).
# Prints "KREL KVER", e.g. "6.1.0-56-amd64 6.1.192-2".
resolve_kernel() {
	local arch=$1 da stamp cache img krel kver
	da=$(deb_arch "$arch")
	stamp=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0)
	cache=$KCACHE/$arch/resolved
	if [ -f "$cache" ] && [ "$(cut -d' ' -f1 "$cache")" = "$stamp" ]; then
		cut -d' ' -f2,3 "$cache"
		return 0
	fi
	img=$(apt-cache depends "linux-image-$da:$da" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	img=${img%:*}
	[ -n "$img" ] || return 1
	krel=${img#linux-image-}
	kver=$(apt-cache policy "$img:$da" 2>/dev/null | awk '/Candidate:/{print $2; exit}')
	[ -n "$kver" ] && [ "$kver" != "(none)" ] || return 1
	mkdir -p "$KCACHE/$arch"
	echo "$stamp $krel $kver" >"$cache.$$" && mv -f "$cache.$$" "$cache"
	echo "$krel $kver"
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
