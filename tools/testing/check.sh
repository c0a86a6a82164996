#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh (= make check): every axvcpu test, both arches, in emulators.
#
#  1. setup-host.sh, fetch-kernels.sh x86_64 + arm64
#  2. host unit tests: make -C selftests unit O=build/unit   (if that target exists)
#  3. per arch, the two arches in parallel (AXVCPU_CHECK_SERIAL=1: one after the other):
#     make module ARCH=<arch>; make -C selftests ARCH=<arch> O=build/<arch>/selftests;
#     one boot (boot.sh, 2 CPUs) whose guest runs:
#        insmod /axvcpu.ko            -> TAP line "ok N axvcpu: insmod"
#        /selftests/run_all.sh        -> each test binary's own TAP stream, then the
#                                        line AXVCPU-SELFTESTS-DONE (required)
#        rmmod axvcpu                 -> TAP line "ok N axvcpu: rmmod"
#  4. count TAP lines in the console (tapcount.awk): "ok" (incl. "# SKIP") passes,
#     "not ok" fails; an arch also fails on a build error, a timeout, a missing
#     AXVCPU-SELFTESTS-DONE / AXVCPU-INIT-DONE, or an oops/BUG/WARNING/panic.
#
# Output ends with exactly:
#   [unit] N passed, N failed        (only when the unit target exists)
#   [x86_64] N passed, N failed
#   [aarch64] N passed, N failed
#   N passed, N failed
# Exit status non-zero on any failure.  Logs: build/<arch>/check.log (build),
# build/<arch>/console.log (guest console), build/unit/unit.log.
# Rig testing only: AXVCPU_CHECK_KO_x86_64=/path/axvcpu.ko (or _arm64) boots
# that module instead of building one; AXVCPU_CHECK_ARCHES="arm64" limits arches;
# AXVCPU_CHECK_SELFTESTS=0 skips the selftests.
set -euo pipefail
RIG=check
. "$(dirname "$0")/lib.sh"

T0=$(now)
ARCHES=${AXVCPU_CHECK_ARCHES:-x86_64 arm64}
RES=$BUILD/check-results
rm -rf "$RES"
mkdir -p "$RES"

log "host set-up"
"$TESTING/setup-host.sh" >&2
for a in $ARCHES; do
	"$TESTING/fetch-kernels.sh" "$a" 2>&1 | sed 's/^/  /' >&2
done
HAVE_ST=0
if [ "${AXVCPU_CHECK_SELFTESTS:-1}" = 0 ]; then
	log "AXVCPU_CHECK_SELFTESTS=0: skipping selftests (module load/unload only)"
elif [ -f "$TOP/selftests/Makefile" ]; then
	HAVE_ST=1
	"$TESTING/fetch-ksrc.sh" "$BUILD/ksrc"	# once, before the parallel builds
else
	log "selftests/Makefile does not exist yet: skipping selftests (module load/unload only)"
fi
log "set-up done in $(since "$T0") s"

# result file: "pass fail" on line 1, then detail lines
record() {	# record NAME PASS FAIL [detail lines on stdin]
	{ echo "$2 $3"; cat; } >"$RES/$1"
}

unit_tests() {
	local t=$(now) out
	if [ $HAVE_ST = 0 ] || ! grep -q '^unit:' "$TOP/selftests/Makefile"; then
		return 0
	fi
	mkdir -p "$BUILD/unit"
	out=$BUILD/unit/unit.log
	log "unit tests (make unit: selftests and tools)"
	local rc=0
	make -s -C "$TOP" unit >"$out" 2>&1 || rc=$?
	local r p f
	r=$(awk -f "$TESTING/tapcount.awk" "$out")
	read -r p f _ <<<"$(head -1 <<<"$r")"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		r="$r"$'\n'"FAIL: 'make -C selftests unit' failed (rc=$rc) without a 'not ok' line; see $out"
	fi
	tail -n +2 <<<"$r" | { grep -E '^(FAIL|SKIP)' || true; [ "$f" = 0 ] || echo "  log: $out"; } | record unit "$p" "$f"
	log "unit: $p passed, $f failed ($(since "$t") s)"
}

arch_check() {	# runs under the arch's boot lock
	local arch=$1 t=$(now) tap ko st_cmd st_dir=$BUILD/$1/selftests
	tap=$(tap_name "$arch")
	local blog=$BUILD/$arch/check.log
	mkdir -p "$BUILD/$arch"
	: >"$blog"
	ko=$(eval echo "\${AXVCPU_CHECK_KO_$arch:-}")
	if [ -z "$ko" ]; then
		if ! make -C "$TOP" module ARCH="$arch" >>"$blog" 2>&1; then
			{ grep -E 'error:|Error [0-9]|\*\*\*|undefined|warning:' "$blog" || true; } | head -25 | sed 's/^/  /' |
				{ echo "FAIL: make module ARCH=$arch failed; log: $blog"; cat; } | record "$tap" 0 1
			log "[$tap] module build FAILED ($blog)"
			return 0
		fi
		ko=$BUILD/$arch/axvcpu.ko
	fi
	st_cmd='echo "# selftests not built"; echo AXVCPU-SELFTESTS-DONE'
	if [ $HAVE_ST = 1 ]; then
		if ! make -C "$TOP/selftests" ARCH="$arch" O="$st_dir" >>"$blog" 2>&1; then
			{ grep -E 'error:|Error [0-9]|\*\*\*|undefined|warning:' "$blog" || true; } | head -25 | sed 's/^/  /' |
				{ echo "FAIL: make -C selftests ARCH=$arch failed; log: $blog"; cat; } | record "$tap" 0 1
			log "[$tap] selftests build FAILED ($blog)"
			return 0
		fi
		[ -x "$st_dir/run_all.sh" ] || {
			echo "FAIL: $st_dir/run_all.sh missing after make -C selftests" | record "$tap" 0 1
			return 0
		}
		st_cmd=/selftests/run_all.sh
	fi
	# axvm and the bundled guests, for selftests/axvm_guests.sh (at /tools).
	local adds=()
	if [ -f "$TOP/tools/Makefile" ]; then
		if make -C "$TOP" tools ARCH="$arch" >>"$blog" 2>&1; then
			adds=(--add "$BUILD/$arch/tools:/tools")
		else
			{ grep -E 'error:|Error [0-9]|\*\*\*|undefined|warning:' "$blog" || true; } | head -25 | sed 's/^/  /' |
				{ echo "FAIL: make tools ARCH=$arch failed; log: $blog"; cat; } | record "$tap" 0 1
			log "[$tap] tools build FAILED ($blog)"
			return 0
		fi
	fi
	log "[$tap] built in $(since "$t") s; booting"
	local cmd="if insmod /axvcpu.ko; then echo 'ok 1 axvcpu: insmod'; else echo 'not ok 1 axvcpu: insmod'; fi
$st_cmd
if rmmod axvcpu; then echo 'ok 1 axvcpu: rmmod'; else echo 'not ok 1 axvcpu: rmmod'; fi"
	# x86_64: pack Debian's KVM for selftests/x86_64/kvm_coexist (it loads it).
	[ "$arch" = x86_64 ] && adds+=(--with-kvm)
	local brc=0 tb=$(now)
	"$TESTING/boot.sh" "$arch" --no-build --ko "$ko" -q --cpus "${AXVCPU_CHECK_CPUS:-2}" \
		"${adds[@]+"${adds[@]}"}" --cmd "$cmd" >>"$blog" 2>&1 || brc=$?
	local bt
	bt=$(since "$tb")
	local con=$BUILD/$arch/console.log r p f extra=
	r=$(awk -v start=AXVCPU-INIT-START -f "$TESTING/tapcount.awk" "$con")
	read -r p f _ <<<"$(head -1 <<<"$r")"
	case $brc in
	0) ;;
	124) extra="FAIL: boot timed out" ;;
	2) extra="FAIL: boot.sh could not build/prepare the guest (see $blog)" ;;
	*) extra="FAIL: guest did not finish cleanly (boot.sh rc=$brc: panic, crash or no AXVCPU-INIT-DONE)" ;;
	esac
	[ -n "$extra" ] && f=$((f + 1))
	if ! grep -qa '^AXVCPU-SELFTESTS-DONE' "$con" && [ $brc != 2 ]; then
		f=$((f + 1))
		extra="$extra"$'\n'"FAIL: no AXVCPU-SELFTESTS-DONE line: run_all.sh did not complete"
	fi
	{
		sed -n '2,$p' <<<"$r" | grep -E '^(FAIL|SKIP)' || true
		[ -z "$extra" ] || sed '/^$/d' <<<"$extra"
		[ "$f" = 0 ] || echo "  console: $con   build/boot log: $blog"
	} | record "$tap" "$p" "$f"
	echo "$bt" >"$RES/$tap.boottime"
	log "[$tap] boot ${bt} s: $p passed, $f failed"
}

arch_job() { with_lock "$BUILD/$1/.boot.lock" arch_check "$1"; }

unit_tests
PIDS=()
trap 'for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done' EXIT
for a in $ARCHES; do
	if [ "${AXVCPU_CHECK_SERIAL:-0}" = 1 ]; then
		arch_job "$a"
	else
		arch_job "$a" &
		PIDS+=($!)
	fi
done
for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" || true; done
PIDS=()

# Summary: details first, the count lines last.
TP=0 TF=0
lines=()
names=
[ -f "$RES/unit" ] && names=unit
for a in $ARCHES; do names="$names $(tap_name "$a")"; done
for n in $names; do
	[ -f "$RES/$n" ] || echo "FAIL: internal: the $n job left no result" | record "$n" 0 1
	read -r p f <"$RES/$n"
	if [ "$f" != 0 ]; then
		echo "== [$n] FAILED:"
		tail -n +2 "$RES/$n" | { grep -v '^SKIP' || true; } | head -60
	fi
	if grep -q '^SKIP' "$RES/$n" 2>/dev/null; then
		echo "== [$n] skipped (counted as passed):"
		grep '^SKIP' "$RES/$n" | sed 's/^SKIP: /  /' | head -40 || true
	fi
	lines+=("[$n] $p passed, $f failed")
	TP=$((TP + p)) TF=$((TF + f))
done
log "total $(since "$T0") s"
printf '%s\n' "${lines[@]}"
echo "$TP passed, $TF failed"
[ "$TF" = 0 ]
