#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [x86_64|arm64 ...] (= make bench [KERNEL=...]; AXVCPU_KERNEL=SERIES
# picks the guest kernel, default the first of kernels.conf): boot each arch
# once with Debian's KVM packed (--with-kvm; x86_64: /kvm/load.sh loads it,
# arm64: KVM is built in; for the Linux guest rows also Debian's QEMU,
# tools/testing/fetch-qemu.sh) and run build/<arch>/selftests/run_bench.sh there
# (selftests/bench/: axvcpu and KVM, the same guest code, one
# "bench: <arch> <metric> axvcpu=.. kvm=.. ratio=.. [spread=..]" line each).
#
#   arm64:  QEMU TCG, 1 CPU, AXVCPU_BENCH_REPS (default 7) interleaved
#           repetitions of both sides in one process.
#   x86_64: Bochs with 1 CPU (deterministic: one run of each side).  Unless
#           AXVCPU_BENCH_TRACE=0, Bochs runs under bench-bochs.sh: the guest
#           marks windows of N (AXVCPU_BENCH_TRACE, default 100) and 2N exits
#           with magic breakpoints, Bochs' debugger traces every instruction
#           in them, and bench-trace-report.awk prints the count per exit of
#           each instruction class and a weighted cycle cost.  Where boot.sh
#           picks QEMU+KVM (nested VMX, lib.sh x86_emulator) the times are
#           wall-clock nanoseconds of that VMX, and there is no trace.
#
# AXVCPU_BENCH_KO=PATH benchmarks that module instead of building one (only
# for a single arch; the header says so).  AXVCPU_BENCH_MODARGS='ARGS' loads
# it with those module parameters (e.g. vmx_hold=1).
#
# The commit (git describe --always --dirty) and the emulator versions go into
# the guest as /bench-info and come out as "# bench:" lines.  Everything the
# boot printed is in build/bench/<arch>-<series>.log, the bench: lines alone
# in build/bench/<arch>-<series>.txt.
set -euo pipefail
RIG=bench
. "$(dirname "$0")/lib.sh"

ARCHES=("$@")
[ ${#ARCHES[@]} -gt 0 ] || ARCHES=(arm64 x86_64)
"$TESTING/setup-host.sh" >&2
TRACE_N=${AXVCPU_BENCH_TRACE:-100}
REPS=${AXVCPU_BENCH_REPS:-7}
[[ "$REPS" =~ ^[1-9][0-9]?$ ]] && [ "$REPS" -le 64 ] || die "AXVCPU_BENCH_REPS must be 1..64"
[[ "$TRACE_N" =~ ^[0-9]+$ ]] || die "AXVCPU_BENCH_TRACE must be a number (0: no trace)"
B=$BUILD/bench
mkdir -p "$B/bin"
ln -sfn "$TESTING/bench-bochs.sh" "$B/bin/bochs-bin"
rc=0
for a in "${ARCHES[@]}"; do
	a=$(norm_arch "$a")
	read -r k _ < <(kernel_conf "${AXVCPU_KERNEL:-}")
	"$TESTING/fetch-kernels.sh" "$a" --kernel "$k"
	ko=()
	if [ -n "${AXVCPU_BENCH_KO:-}" ]; then
		ko=(--ko "$AXVCPU_BENCH_KO")
	else
		if ! make -s -C "$TOP" module ARCH="$a" KERNEL="$k" >&2; then
			log "$a $k: 'make module ARCH=$a KERNEL=$k' failed: no benchmark (AXVCPU_BENCH_KO=... benchmarks a module built elsewhere)"
			rc=1
			continue
		fi
	fi
	# the benchmark programs only: a broken selftest elsewhere does not matter here
	if ! make -s -C "$TOP/selftests" bench ARCH="$a" O="$BUILD/$a/selftests" >&2; then
		log "$a: 'make -C selftests bench ARCH=$a' failed: no benchmark"
		rc=1
		continue
	fi
	if [ ! -x "$BUILD/$a/selftests/run_bench.sh" ]; then
		log "$a: no build/$a/selftests/run_bench.sh yet: nothing to benchmark"
		continue
	fi
	# axvm and its Linux guest too (run_bench.sh's Linux guest rows), and
	# QEMU for the same guest under KVM (fetch-qemu.sh)
	linux=()
	if make -s -C "$TOP" tools ARCH="$a" >&2 && [ -d "$BUILD/$a/tools" ]; then
		linux=(--add "$BUILD/$a/tools:/tools")
		if q=$("$TESTING/fetch-qemu.sh" "$a"); then
			linux+=(--add "$q:/qemu")
		else
			log "$a: no QEMU (fetch-qemu.sh $a failed): no *_qemu_kvm rows"
		fi
	fi
	# x86: the Linux rows in a boot of their own with 1 GiB: Bochs' 512 MiB
	# cannot hold an initramfs with QEMU in it and QEMU's guest, and more
	# memory would change what the mem_* rows see (per-CPU page lists grow
	# with the zone)
	add=("${linux[@]}") linux2=()
	if [ "$a" = x86_64 ]; then
		add=()
		linux2=("${linux[@]}")
	fi
	info=$B/$a-$k.info
	logf=$B/$a-$k.log
	{
		echo "# bench: commit $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)" \
			"($(git -C "$TOP" log -1 --format=%cd --date=iso 2>/dev/null || echo '?'))"
		echo "# bench: host $(. /etc/os-release && echo "$PRETTY_NAME"), $(nproc) CPUs;" \
			"bochs $(emu_version bochs), qemu $(emu_version qemu); run $(date -u +%Y-%m-%dT%H:%MZ)"
		[ -z "${AXVCPU_BENCH_KO:-}" ] ||
			echo "# bench: module $AXVCPU_BENCH_KO (AXVCPU_BENCH_KO), not built from this tree"
	} >"$info"
	cmd="AXVCPU_BENCH_REPS=$REPS AXVCPU_BENCH_MODARGS='${AXVCPU_BENCH_MODARGS:-}' /selftests/run_bench.sh"
	cpus=1 timeout=1500 path=$PATH
	if [ "$a" = x86_64 ]; then
		cpus=1 timeout=1800
		x86_emulator || die "$X86_EMU_WHY"
		echo "# bench: x86_64 emulator: $X86_EMU_WHY" >>"$info"
		if [ "$X86_EMU" != bochs ]; then
			[ "$TRACE_N" = 0 ] || echo "# bench: no instruction trace: it needs Bochs (AXVCPU_X86_EMULATOR=bochs)" >>"$info"
		elif [ "$TRACE_N" != 0 ]; then
			cmd="AXVCPU_BENCH_TRACE=$TRACE_N $cmd"
			path=$B/bin:$PATH
			export AXVCPU_BENCH_COUNTS=$B/$a-$k.counts
			rm -f "$AXVCPU_BENCH_COUNTS"
			echo "# bench: Bochs trace windows of $TRACE_N and $((2 * TRACE_N)) exits (bench-bochs.sh)" >>"$info"
		fi
	fi
	brc=0
	PATH=$path "$TESTING/boot.sh" "$a" --kernel "$k" --no-build --with-kvm --cpus $cpus "${ko[@]}" \
		--timeout $timeout --add "$info:/bench-info" "${add[@]}" --cmd "$cmd" | tee "$logf" || brc=$?
	[ $brc = 0 ] || rc=$brc
	if [ "$a" = x86_64 ] && [ "$TRACE_N" != 0 ] && [ "$X86_EMU" = bochs ]; then
		if [ -s "$AXVCPU_BENCH_COUNTS" ]; then
			awk -f "$TESTING/bench-trace-report.awk" "$logf" "$AXVCPU_BENCH_COUNTS" | tee -a "$logf" || true
		else
			echo "# trace: no trace windows were counted ($AXVCPU_BENCH_COUNTS empty)" | tee -a "$logf"
		fi
	fi
	if [ ${#linux2[@]} -gt 0 ]; then
		brc=0
		PATH=$path "$TESTING/boot.sh" "$a" --kernel "$k" --no-build --with-kvm --cpus $cpus "${ko[@]}" \
			--mem 1024 --timeout $timeout "${linux2[@]}" \
			--cmd "AXVCPU_BENCH_MODARGS='${AXVCPU_BENCH_MODARGS:-}' /selftests/run_bench.sh linux_boot_to_init_s" |
			tee -a "$logf" || brc=$?
		[ $brc = 0 ] || rc=$brc
	fi
	tr -d '\r' <"$logf" | grep -E '^(# bench:|bench:)' >"$B/$a-$k.txt" || true
	log "$a $k: $(grep -c '^bench:' "$B/$a-$k.txt" || true) bench lines in build/bench/$a-$k.txt (boot rc=$brc)"
done
exit $rc
