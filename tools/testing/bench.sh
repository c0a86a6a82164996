#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [x86_64|arm64 ...] (= make bench [KERNEL=...]; AXVCPU_KERNEL=SERIES
# picks the guest kernel, default the first of kernels.conf): boot each arch once with
# Debian's KVM modules packed (--with-kvm; x86_64: /kvm/load.sh loads them,
# arm64: KVM is built in) and run build/<arch>/selftests/run_bench.sh in the
# guest, which the benchmark author provides (it gets /axvcpu.ko unloaded,
# loads what it compares, prints its numbers).  One CPU on x86_64: Bochs is
# then deterministic, so instruction counts per exit are noise-free.
set -euo pipefail
RIG=bench
. "$(dirname "$0")/lib.sh"

ARCHES=("$@")
[ ${#ARCHES[@]} -gt 0 ] || ARCHES=(arm64 x86_64)
"$TESTING/setup-host.sh" >&2
rc=0
for a in "${ARCHES[@]}"; do
	a=$(norm_arch "$a")
	read -r k _ < <(kernel_conf "${AXVCPU_KERNEL:-}")
	"$TESTING/fetch-kernels.sh" "$a" --kernel "$k"
	make -s -C "$TOP" module ARCH="$a" KERNEL="$k" >&2 || die "'make module ARCH=$a KERNEL=$k' failed"
	if [ -f "$TOP/selftests/Makefile" ]; then
		make -s -C "$TOP" selftests ARCH="$a" >&2 || die "'make selftests ARCH=$a' failed"
	fi
	if [ ! -x "$BUILD/$a/selftests/run_bench.sh" ]; then
		log "$a: no build/$a/selftests/run_bench.sh yet: nothing to benchmark"
		continue
	fi
	cpus=2
	[ "$a" = x86_64 ] && cpus=1
	"$TESTING/boot.sh" "$a" --kernel "$k" --no-build --with-kvm --cpus $cpus --cmd /selftests/run_bench.sh || rc=$?
done
exit $rc
