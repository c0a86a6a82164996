#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh (= make check): every axvcpu test, both arches, every kernel of
# tools/testing/kernels.conf (Debian 6.1, 6.12, 7.3), in emulators.
#
#  1. setup-host.sh; fetch-kernels.sh for every (arch, kernel); fetch-ksrc.sh
#  2. host unit tests (make unit)                                  -> [unit]
#     check-static.sh --once: no source-document citations in the
#     module, every uapi name in Documentation/axvcpu.rst   -> [static]
#  3. per arch, make selftests and tools once; then every (arch, kernel) is
#     a job, taken from one queue by AXVCPU_CHECK_JOBS workers (default 2:
#     one emulator per CPU of a 2-CPU machine; 1 runs them one after the
#     other), the x86_64 ones (Bochs, the long ones) first, so that one
#     kernel's failure or crash never stops the next and no CPU idles
#     while another works through a lane:
#       make module ARCH=<arch> KERNEL=<k>   (build-module.sh; a failure is 1 test)
#       check-imports.sh                     1 test: no import in a module: namespace
#       check-layers.sh (x86_64)             1 test: no cycle between vmx/ files
#       check-axvm-deps.sh (first kernel)    1 test: no two axvm files use
#                                            each other but vm.c and cpu.c
#       check-static.sh <arch> <k>           2 tests: kernel-doc -none and
#                                            sparse (make C=2), 0 warnings
#       one boot (boot.sh --kernel <k>, 2 CPUs) whose guest runs
#          insmod /axvcpu.ko         -> "ok N axvcpu: insmod"
#          /selftests/run_all.sh     -> each binary's TAP, then AXVCPU-SELFTESTS-DONE
#          rmmod axvcpu              -> "ok N axvcpu: rmmod"
#       reboot-check.sh: a second boot that reboots the host under running
#          vcpus (selftests/reboot/reboot_while_running), 3 TAP results
#       x86_64, once per run (the first kernel whose module builds, of the
#          jobs that get that far first): novmx-check.sh, a boot in QEMU TCG, which has no
#          VMX: insmod must fail with the module's message, 3 TAP results
#                                                                  -> [<arch> <k>]
#     and, the queue's last job (when a worker is free and the other one
#     runs the last boot): deb-check.sh, no emulator: make deb, then in a
#     fresh chroot per kernel (6.1 bookworm, 6.12 trixie and an upgrade
#     to 7.3) the packages installed, DKMS's build of axvcpu.ko for that
#     kernel checked, and purged (about 3 min warm)                -> [deb]
#  4. count TAP lines in the console (tapcount.awk): "ok" (incl. "# SKIP")
#     passes, "not ok" fails.  A boot that times out, crashes, panics or
#     stops before AXVCPU-SELFTESTS-DONE is one more failure, and kernel
#     trouble (oops/BUG/WARNING/panic) one failure in all: each failure once.
#
# Output ends with exactly:
#   [unit] N passed, N failed
#   [static] N passed, N failed
#   [x86_64 6.1] N passed, N failed      ... one line per arch and kernel
#   [aarch64 7.3] N passed, N failed
#   [deb] N passed, N failed
#   N passed, N failed
# Exit status non-zero on any failure.  Logs: build/<arch>/<k>/check.log
# (build and boot), build/<arch>/<k>/console.log (guest console),
# build/<arch>/<k>/build.log (kbuild), build/<arch>/check.log (selftests and
# tools build), build/unit/unit.log, build/check-results/<pid>/ (per line,
# and the consoles the counts were read from).
# The emulators: arm64 QEMU TCG; x86_64 QEMU+KVM with nested VMX where the
# host has it (/dev/kvm, kvm_intel nested=Y), else Bochs, or what
# AXVCPU_X86_EMULATOR=bochs|qemu-kvm|qemu-tcg forces (lib.sh, x86_emulator);
# the log says which and why, at the start and before the summary.
# Narrowing (rig work): AXVCPU_CHECK_ARCHES="arm64", AXVCPU_CHECK_KERNELS="6.12 7.3",
# AXVCPU_CHECK_SELFTESTS=0 (module load/unload only), AXVCPU_CHECK_UNIT=0,
# AXVCPU_CHECK_DEB=0 (no packages; else the kernels of
# AXVCPU_CHECK_DEB_KERNELS="6.1 6.12:7.3" that AXVCPU_CHECK_KERNELS has, see
# deb-check.sh);
# AXVCPU_CHECK_TIMEOUT=S per boot (default x86_64 2400, arm64 900: a hang
# ends there; two emulators share the CPUs).
# AXVCPU_BUILD_TAG=T (build-module.sh): build, check and boot the modules of
# build/<arch>/<k>-T (a checkout that shares the build environments).
set -euo pipefail
RIG=check
. "$(dirname "$0")/lib.sh"

T0=$(now)
ARCHES=${AXVCPU_CHECK_ARCHES:-x86_64 arm64}
KERNELS=${AXVCPU_CHECK_KERNELS:-$(kernel_series | tr '\n' ' ')}
for k in $KERNELS; do kernel_conf "$k" >/dev/null; done
# Which emulator runs each arch, and why (boot.sh decides the same way for
# each boot).  A forced x86 emulator that cannot run here stops make check.
EMU_LINES=()
for a in $ARCHES; do
	case $(norm_arch "$a") in
	x86_64)
		x86_emulator || die "$X86_EMU_WHY"
		EMU_LINES+=("[x86_64] $X86_EMU_WHY")
		EMU_LINES+=("[x86_64] once, novmx-check.sh: QEMU TCG, which has no VMX: the module must refuse to load")
		;;
	arm64) EMU_LINES+=("[aarch64] QEMU TCG at EL2 with VHE (-M virt,virtualization=on), the only arm64 emulator") ;;
	esac
done
for l in "${EMU_LINES[@]+"${EMU_LINES[@]}"}"; do log "emulator $l"; done
# results of this run; those of finished runs are dropped, a concurrent
# make check keeps its own
mkdir -p "$BUILD/check-results"
for d in "$BUILD/check-results"/*/; do
	[ -d "$d" ] || continue
	kill -0 "$(basename "$d")" 2>/dev/null || rm -rf "$d"
done
RES=$BUILD/check-results/$$
mkdir -p "$RES"

# result file: "pass fail" on line 1, then detail lines
record() {	# record NAME PASS FAIL [detail lines on stdin]
	{ echo "$2 $3"; cat; } >"$RES/$1"
}
rname() { echo "$(tap_name "$1") $2"; }	# result name of (arch, kernel)
rfile() { echo "$RES/$(tap_name "$1")-$2"; }
errlines() { { grep -E 'error:|ERROR:|Error [0-9]|\*\*\*|undefined|warning:' "$1" || true; } | head -25 | sed 's/^/  /'; }

log "host set-up"
if ! "$TESTING/setup-host.sh" >&2; then
	echo "FAIL: tools/testing/setup-host.sh failed" | record setup 0 1
fi
# the build environments first, side by side (a cold one is a debootstrap)
mkdir -p "$BENV"
rels=$(for k in $KERNELS; do kernel_conf "$k" | cut -d' ' -f2; done | sort -u)
for r in $rels; do
	"$TESTING/buildenv.sh" "$r" >"$BENV/$r.check.log" 2>&1 &
done
for r in $rels; do
	wait -n || log "buildenv.sh failed (logs: $BENV/*.check.log); the kernels that need it will fail"
done
for a in $ARCHES; do
	for k in $KERNELS; do
		mkdir -p "$BUILD/$a/$k"
		if ! "$TESTING/fetch-kernels.sh" "$a" --kernel "$k" >"$BUILD/$a/$k/fetch.log" 2>&1; then
			{ echo "FAIL: fetch-kernels.sh $a --kernel $k failed; log: $BUILD/$a/$k/fetch.log"
			  tail -5 "$BUILD/$a/$k/fetch.log" | sed 's/^/  /'; } >"$(rfile "$a" "$k").setup"
			log "[$(rname "$a" "$k")] kernel set-up FAILED ($BUILD/$a/$k/fetch.log)"
		fi
	done
done
HAVE_ST=0
if [ "${AXVCPU_CHECK_SELFTESTS:-1}" = 0 ]; then
	log "AXVCPU_CHECK_SELFTESTS=0: skipping selftests (module load/unload only)"
elif [ -f "$TOP/selftests/Makefile" ]; then
	HAVE_ST=1
	"$TESTING/fetch-ksrc.sh" "$BUILD/ksrc" ||
		echo "FAIL: fetch-ksrc.sh (kselftest harness from linux-source-6.1) failed" | record ksrc 0 1
else
	log "selftests/Makefile does not exist yet: skipping selftests (module load/unload only)"
fi
log "set-up done in $(since "$T0") s"

unit_tests() {
	local t out rc=0 r p f
	t=$(now)
	[ $HAVE_ST = 1 ] && [ "${AXVCPU_CHECK_UNIT:-1}" = 1 ] && grep -q '^unit:' "$TOP/selftests/Makefile" || return 0
	mkdir -p "$BUILD/unit"
	out=$BUILD/unit/unit.log
	log "unit tests (make unit: selftests and tools)"
	make -s -C "$TOP" unit >"$out" 2>&1 || rc=$?
	r=$(awk -f "$TESTING/tapcount.awk" "$out")
	read -r p f _ <<<"$(head -1 <<<"$r")"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		r="$r"$'\n'"FAIL: 'make unit' failed (rc=$rc) without a 'not ok' line; see $out"
	fi
	tail -n +2 <<<"$r" | { grep -E '^(FAIL|SKIP)' || true; [ "$f" = 0 ] || echo "  log: $out"; } | record unit "$p" "$f"
	log "unit: $p passed, $f failed ($(since "$t") s)"
}

# Userspace for the guest, once per arch (it does not depend on the kernel).
# Sets ST_CMD, ADDS, USER_PASS and USER_FAIL (a pass: check-axvm-deps.sh;
# a failure; each reported once: with the arch's first kernel).
userspace() {
	local arch=$1 blog=$BUILD/$1/check.log st_dir=$BUILD/$1/selftests
	: >"$blog"
	USER_FAIL=
	USER_PASS=0
	ST_CMD='echo "# selftests not built"; echo AXVCPU-SELFTESTS-DONE'
	ADDS=()
	if [ $HAVE_ST = 1 ]; then
		if ! make -C "$TOP/selftests" ARCH="$arch" O="$st_dir" >>"$blog" 2>&1; then
			USER_FAIL="FAIL: make -C selftests ARCH=$arch failed (the boots below load/unload the module only); log: $blog"$'\n'"$(errlines "$blog")"
		elif [ ! -x "$st_dir/run_all.sh" ]; then
			USER_FAIL="FAIL: $st_dir/run_all.sh missing after make -C selftests"
		else
			ST_CMD=/selftests/run_all.sh
		fi
	fi
	# axvm and the bundled guests, for selftests/axvm_guests.sh (at /tools)
	if [ -f "$TOP/tools/Makefile" ] && [ $HAVE_ST = 1 ]; then
		if make -C "$TOP" tools ARCH="$arch" >>"$blog" 2>&1; then
			ADDS=(--add "$BUILD/$arch/tools:/tools")
			# axvm's files: no two use each other but vm.c and cpu.c
			local dout
			dout=$("$TESTING/check-axvm-deps.sh" "$BUILD/$arch/tools" 2>&1) || true
			echo "$dout" >>"$blog"
			case $dout in
			"ok "*) USER_PASS=1 ;;
			*) USER_FAIL="${USER_FAIL:+$USER_FAIL$'\n'}FAIL: ${dout#not ok 1 } (tools/testing/check-axvm-deps.sh -v)" ;;
			esac
		else
			USER_FAIL="${USER_FAIL:+$USER_FAIL$'\n'}FAIL: make tools ARCH=$arch failed; log: $blog"$'\n'"$(errlines "$blog")"
		fi
	fi
	# x86_64: pack Debian's KVM for selftests/x86_64/kvm_coexist (it loads it)
	[ "$arch" = x86_64 ] && ADDS+=(--with-kvm)
	return 0
}

kernel_check() {	# kernel_check ARCH SERIES FIRST(1|0)
	local arch=$1 k=$2 first=$3 t tb out rf blog p=0 f=0 details=
	# AXVCPU_BUILD_TAG (build-module.sh): the module of build/<arch>/<k>-TAG
	local tag=${AXVCPU_BUILD_TAG:+-$AXVCPU_BUILD_TAG} ko
	t=$(now)
	out=$BUILD/$arch/$k
	ko=$BUILD/$arch/$k$tag/axvcpu.ko
	rf=$(rfile "$arch" "$k")
	blog=$out/check.log
	mkdir -p "$out"
	: >"$blog"
	[ "$first" = 1 ] && p=$((p + USER_PASS))
	if [ "$first" = 1 ] && [ -n "$USER_FAIL" ]; then
		f=$((f + 1)) details=$USER_FAIL
	fi
	if [ -f "$rf.setup" ]; then
		record "$(basename "$rf")" "$p" $((f + 1)) <<<"${details:+$details$'\n'}$(cat "$rf.setup")"
		return 0
	fi
	# shellcheck disable=SC1090
	. "$KCACHE/$arch/$k.env"
	local brc=0
	"$TESTING/build-module.sh" "$arch" "$k" >>"$blog" 2>&1 || brc=$?
	# the import check reads the linked object, also when modpost failed
	local imp irc=0
	imp=$("$TESTING/check-imports.sh" "$arch" "$k" 2>>"$blog") || irc=$?
	echo "$imp" >>"$blog"
	case $irc in
	0) p=$((p + 1)) ;;
	1) f=$((f + 1)) details="${details:+$details$'\n'}FAIL: $(head -1 <<<"$imp")" ;;
	esac
	# x86: the backend's files in layers, no call or data cycle between them
	if [ $brc = 0 ] && [ "$arch" = x86_64 ]; then
		local lout lrc=0
		lout=$("$TESTING/check-layers.sh" "$(benv_root "$KRELEASE")/axvcpu/$arch-$KREL$tag/vmx" 2>&1) || lrc=$?
		echo "$lout" >>"$blog"
		if [ $lrc = 0 ]; then
			p=$((p + 1))
		else
			f=$((f + 1)) details="${details:+$details$'\n'}FAIL: $(head -1 <<<"$lout") (tools/testing/check-layers.sh -v)"
		fi
	fi
	# kernel-doc and sparse (it reuses the objects just built)
	if [ $brc = 0 ]; then
		local sout sp sf
		sout=$("$TESTING/check-static.sh" "$arch" "$k" 2>>"$blog") || true
		echo "$sout" >>"$blog"
		sp=$(grep -c '^ok ' <<<"$sout" || true)
		sf=$(grep -c '^not ok ' <<<"$sout" || true)
		[ $((sp + sf)) != 0 ] || sf=1 sout="not ok 1 static: check-static.sh printed no result"
		p=$((p + sp)) f=$((f + sf))
		[ "$sf" = 0 ] || details="${details:+$details$'\n'}$(grep -E '^(not ok|# )' <<<"$sout" | head -30 | sed 's/^not ok [0-9]* /FAIL: /; s/^# /  /')"
		if grep -q '# SKIP' <<<"$sout"; then
			details="${details:+$details$'\n'}$(grep '# SKIP' <<<"$sout" | sed 's/^ok [0-9]* /SKIP: /')"
		fi
	fi
	if [ $brc != 0 ]; then
		f=$((f + 1))
		details="${details:+$details$'\n'}FAIL: make module ARCH=$arch KERNEL=$k failed ($KREL), not booted; log: $out$tag/build.log"$'\n'"$(errlines "$out$tag/build.log")"
		record "$(basename "$rf")" "$p" "$f" <<<"$details"
		log "[$(rname "$arch" "$k")] module build FAILED ($out$tag/build.log)"
		return 0
	fi
	log "[$(rname "$arch" "$k")] built in $(since "$t") s; booting $KREL"
	local cmd="if insmod /axvcpu.ko; then echo 'ok 1 axvcpu: insmod'; else echo 'not ok 1 axvcpu: insmod'; fi
$ST_CMD
if rmmod axvcpu; then echo 'ok 1 axvcpu: rmmod'; else echo 'not ok 1 axvcpu: rmmod'; fi"
	local bootrc=0 con=$RES/$(basename "$rf").console
	tb=$(now)
	# the whole x86 suite takes about 14 min of Bochs, arm64 4-5 min of
	# QEMU.  The boot lock of (arch, kernel) is held over the boot and the
	# copy of its console, so that another run's boot cannot replace it
	# before it is read.
	local to=${AXVCPU_CHECK_TIMEOUT:-$([ "$arch" = x86_64 ] && echo 2400 || echo 900)}
	boot_copy() {
		"$TESTING/boot.sh" "$arch" --kernel "$k" --no-build --ko "$ko" -q \
			--timeout "$to" --cpus "${AXVCPU_CHECK_CPUS:-2}" "${ADDS[@]+"${ADDS[@]}"}" --cmd "$cmd" >>"$blog" 2>&1 || bootrc=$?
		cp "$out/console.log" "$con" 2>/dev/null || : >"$con"
	}
	with_lock "$(boot_lock "$arch" "$k")" boot_copy
	local bt r bp bf kern extra=
	bt=$(since "$tb")
	r=$(awk -v start=AXVCPU-INIT-START -f "$TESTING/tapcount.awk" "$con" 2>/dev/null || echo "0 0 0 0")
	read -r bp bf _ kern <<<"$(head -1 <<<"$r")"
	case $bootrc in
	0) ;;
	124) extra="FAIL: boot timed out (boot.sh rc=124)" ;;
	2) extra="FAIL: boot.sh could not prepare the guest (rc=2); see $blog" ;;
	*) extra="FAIL: guest did not finish cleanly (boot.sh rc=$bootrc: panic, crash or no AXVCPU-INIT-DONE)" ;;
	esac
	if ! grep -qa '^AXVCPU-SELFTESTS-DONE' "$con" 2>/dev/null; then
		extra="${extra:-FAIL: no AXVCPU-SELFTESTS-DONE line: run_all.sh did not complete}"
	fi
	# one failure for a boot that went wrong; none more when the kernel
	# trouble that caused it is already counted
	if [ -n "$extra" ]; then
		if [ "${kern:-0}" = 0 ]; then bf=$((bf + 1)); else extra="$extra (counted with the kernel trouble above)"; fi
	fi
	p=$((p + bp)) f=$((f + bf))
	# The host reboots under running vcpus: a boot of its own (3 tests).
	local rb= rbp=0 rbf=0
	if [ $HAVE_ST = 1 ] && [ -x "$BUILD/$arch/selftests/reboot_while_running" ]; then
		reboot_run() { rb=$("$TESTING/reboot-check.sh" "$arch" "$k" "$ko" 2>>"$blog") || true; }
		with_lock "$(boot_lock "$arch" "$k")" reboot_run
		echo "$rb" >>"$blog"
		rbp=$(grep -c '^ok ' <<<"$rb" || true)
		rbf=$(grep -c '^not ok ' <<<"$rb" || true)
		if [ $((rbp + rbf)) = 0 ]; then
			rbf=1 rb="not ok 1 reboot: reboot-check.sh printed no result"
		fi
		p=$((p + rbp)) f=$((f + rbf))
		[ "$rbf" = 0 ] || details="${details:+$details$'\n'}$(grep '^not ok' <<<"$rb" | sed 's/^not ok [0-9]* /FAIL: /') (console: $out/reboot-console.log)"
	fi
	# x86_64, once: QEMU TCG has no VMX, and the module must say so and
	# refuse to load (3 tests).  Under the boot lock: the same console.
	local nv= nvp=0 nvf=0
	if [ "$arch" = x86_64 ] && mkdir "$RES/novmx.claimed" 2>/dev/null; then
		novmx_run() { nv=$("$TESTING/novmx-check.sh" "$k" "$ko" 2>>"$blog") || true; }
		with_lock "$(boot_lock "$arch" "$k")" novmx_run
		echo "$nv" >>"$blog"
		nvp=$(grep -c '^ok ' <<<"$nv" || true)
		nvf=$(grep -c '^not ok ' <<<"$nv" || true)
		if [ $((nvp + nvf)) = 0 ]; then
			nvf=1 nv="not ok 1 novmx: novmx-check.sh printed no result"
		fi
		p=$((p + nvp)) f=$((f + nvf))
		[ "$nvf" = 0 ] || details="${details:+$details$'\n'}$(grep '^not ok' <<<"$nv" | sed 's/^not ok [0-9]* /FAIL: /') (console: $out/novmx-console.log)"
	fi
	{
		[ -z "$details" ] || echo "$details"
		sed -n '2,$p' <<<"$r" | grep -E '^(FAIL|SKIP)' || true
		[ -z "$extra" ] || echo "$extra"
		[ "$f" = 0 ] || echo "  console: $con   build/boot log: $blog"
	} | record "$(basename "$rf")" "$p" "$f"
	echo "$(since "$t") $bt" >"$rf.time"
	log "[$(rname "$arch" "$k")] boot ${bt} s, all $(since "$t") s: $p passed, $f failed"
}

# The queue: one "arch kernel" line per job, taken under a lock.
QUEUE=$RES/queue
next_job() {
	local fd line
	exec {fd}>>"$QUEUE.lock"
	flock "$fd"
	line=$(head -1 "$QUEUE" 2>/dev/null || true)
	[ -z "$line" ] || sed -i 1d "$QUEUE"
	exec {fd}>&-
	echo "$line"
}

# The packages (deb-check.sh): its TAP lines -> [deb]
deb_job() {
	local t out p f
	t=$(now)
	out=$("$TESTING/deb-check.sh" $DEB_KERNELS 2>"$BUILD/deb/check.log") || true
	p=$(grep -c '^ok ' <<<"$out" || true)
	f=$(grep -c '^not ok ' <<<"$out" || true)
	[ $((p + f)) != 0 ] || { f=1 out="not ok 1 deb: deb-check.sh printed no result"; }
	{ grep -E '^(not ok|# )' <<<"$out" | head -30 | sed 's/^not ok [0-9]* /FAIL: /; s/^# /  /' || true
	  [ "$f" = 0 ] || echo "  log: $BUILD/deb/check.log"; } | record deb "$p" "$f"
	log "[deb] $p passed, $f failed ($(since "$t") s)"
}

# A worker: jobs until the queue is empty, each with its arch's userspace
# (ST_CMD, ADDS, USER_FAIL as userspace() left them; USER_FAIL is counted
# with the arch's first kernel only).
worker() {
	local j a k first
	while j=$(next_job) && [ -n "$j" ]; do
		read -r a k <<<"$j"
		if [ "$a" = deb ]; then
			deb_job || echo "FAIL: internal: deb_job failed" | record deb 0 1
			continue
		fi
		# shellcheck disable=SC1090
		. "$RES/userspace.$a"
		first=0
		[ "$k" != "${KERNELS%% *}" ] || first=1
		kernel_check "$a" "$k" "$first" ||
			echo "FAIL: internal: kernel_check $a $k failed" | record "$(basename "$(rfile "$a" "$k")")" 0 1
	done
}

unit_tests
# once per run: what does not depend on the kernel
sout=$("$TESTING/check-static.sh" --once 2>&1) || true
{
	grep -E '^(not ok|# )' <<<"$sout" | head -30 | sed 's/^not ok [0-9]* /FAIL: /; s/^# /  /' || true
} | record static "$(grep -c '^ok ' <<<"$sout" || true)" "$(grep -c '^not ok ' <<<"$sout" || true)"
read -r sp sf <"$RES/static"
log "static (once): $sp passed, $sf failed"
for a in $ARCHES; do
	userspace "$a"
	declare -p ST_CMD ADDS USER_PASS USER_FAIL >"$RES/userspace.$a"
done
: >"$QUEUE"
for pass in x86 other; do
	for a in $ARCHES; do
		[ "$(norm_arch "$a")" = x86_64 ] && [ $pass = x86 ] ||
			{ [ "$(norm_arch "$a")" != x86_64 ] && [ $pass = other ]; } || continue
		for k in $KERNELS; do echo "$a $k" >>"$QUEUE"; done
	done
done
DEB_KERNELS=
for k in ${AXVCPU_CHECK_DEB_KERNELS:-6.1 6.12:7.3}; do
	case " $KERNELS " in *" ${k%%:*} "*) DEB_KERNELS="$DEB_KERNELS $k" ;; esac
done
if [ "${AXVCPU_CHECK_DEB:-1}" != 0 ] && [ -n "$DEB_KERNELS" ]; then
	mkdir -p "$BUILD/deb"
	echo "deb -" >>"$QUEUE"
fi
cp "$QUEUE" "$QUEUE.all"
PIDS=()
trap 'for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done' EXIT
jobs_n=${AXVCPU_CHECK_JOBS:-2}
[ "${AXVCPU_CHECK_SERIAL:-0}" != 1 ] || jobs_n=1
for ((i = 0; i < jobs_n; i++)); do
	worker &
	PIDS+=($!)
done
for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" || true; done
PIDS=()

# Summary: details first, the count lines last.
TP=0 TF=0
lines=()
names=()
for n in setup ksrc unit static; do [ -f "$RES/$n" ] && names+=("$n"); done
for a in $ARCHES; do
	for k in $KERNELS; do names+=("$(tap_name "$a")-$k"); done
done
! grep -qx 'deb -' "$QUEUE.all" 2>/dev/null || names+=(deb)
for n in "${names[@]}"; do
	label=${n/-/ }
	[ -f "$RES/$n" ] || echo "FAIL: internal: the $label job left no result" | record "$n" 0 1
	read -r p f <"$RES/$n"
	if [ "$f" != 0 ]; then
		echo "== [$label] FAILED:"
		tail -n +2 "$RES/$n" | { grep -v '^SKIP' || true; } | head -60
	fi
	if grep -q '^SKIP' "$RES/$n" 2>/dev/null; then
		echo "== [$label] skipped (counted as passed):"
		grep '^SKIP' "$RES/$n" | sed 's/^SKIP: /  /' | head -40 || true
	fi
	lines+=("[$label] $p passed, $f failed")
	TP=$((TP + p)) TF=$((TF + f))
done
for n in "${names[@]}"; do
	[ -f "$RES/$n.time" ] && read -r all bt <"$RES/$n.time" && log "time [${n/-/ }]: ${all} s (boot ${bt} s)"
done
for l in "${EMU_LINES[@]+"${EMU_LINES[@]}"}"; do log "emulator $l"; done
log "total $(since "$T0") s"
printf '%s\n' "${lines[@]}"
echo "$TP passed, $TF failed"
[ "$TF" = 0 ]
