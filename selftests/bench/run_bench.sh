#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# run_bench.sh (installed by selftests/Makefile; run by tools/testing/bench.sh
# in a guest booted with --with-kvm): axvcpu and KVM, the same guests, in
# this boot; one "bench: <arch> <metric> axvcpu=.. kvm=.. ratio=.. [spread=..]"
# line per metric (selftests/bench/axbench.c has the metrics).
#
#   arm64:  KVM is built in and coexists with axvcpu: one process,
#           AXVCPU_BENCH_REPS (default 7) interleaved A/B repetitions.
#   x86_64: kvm_intel and axvcpu are loaded one at a time (axvcpu first,
#           then rmmod, /kvm/load.sh, KVM); Bochs with one CPU is
#           deterministic, so one repetition.  With AXVCPU_BENCH_TRACE=N,
#           each side also runs 'axbench trace SIDE N' (instruction-count
#           windows for the rig's Bochs debugger, see bench-bochs.sh).
#
# /bench-info (packed by bench.sh) holds "# bench: commit ..." lines.
#
# run_bench.sh virtio_blk_4k_read_per_s: that arm64 row alone (a boot of
# its own, e.g. boot.sh --cmd, when only the virtio paths changed);
# run_bench.sh linux_boot_to_init_s: the Linux boot rows alone (x86:
# bench.sh's second boot, with the memory QEMU needs).
cd "$(dirname "$0")" || exit 1
ONLY=${1:-}
KO=${AXVCPU_KO:-/axvcpu.ko}
R=/tmp/bench.results
rm -f $R
[ -f /bench-info ] && cat /bench-info
echo "# bench: guest kernel $(uname -r), $(uname -m), cpus $(cat /sys/devices/system/cpu/online)"
[ -e /dev/axvcpu ] || insmod "$KO" ${AXVCPU_BENCH_MODARGS:-} || echo "# bench: insmod $KO failed"
[ -n "${AXVCPU_BENCH_MODARGS:-}" ] && echo "# bench: axvcpu module parameters: $AXVCPU_BENCH_MODARGS"
[ -z "$ONLY" ] && case $(uname -m) in
x86_64)
	echo "# bench: x86_64 runs in Bochs on 1 CPU with clock sync=none, ips=100M: time is the emulated instruction count (10 ns per instruction), deterministic, so one run of each side is enough"
	./axbench run axvcpu 1 $R
	[ -n "${AXVCPU_BENCH_TRACE:-}" ] && ./axbench trace axvcpu "$AXVCPU_BENCH_TRACE"
	rmmod axvcpu || echo "# bench: rmmod axvcpu failed"
	if [ -x /kvm/load.sh ] && /kvm/load.sh && [ -e /dev/kvm ]; then
		echo "# bench: kvm_intel: unrestricted_guest=$(cat /sys/module/kvm_intel/parameters/unrestricted_guest 2>/dev/null) ept=$(cat /sys/module/kvm_intel/parameters/ept 2>/dev/null)"
		./axbench run kvm 1 $R
		[ -n "${AXVCPU_BENCH_TRACE:-}" ] && ./axbench trace kvm "$AXVCPU_BENCH_TRACE"
	else
		echo "# bench: KVM not available: no kvm numbers"
	fi
	;;
*)
	reps=${AXVCPU_BENCH_REPS:-7}
	echo "# bench: $(uname -m) runs in QEMU TCG: wall-clock times of an emulator on a shared host, $reps interleaved axvcpu/KVM repetitions in one process; value = median, ratio = median of the per-repetition ratios, spread = their min..max"
	if [ -e /dev/kvm ]; then
		./axbench run both "$reps" $R
	else
		echo "# bench: /dev/kvm missing: axvcpu only"
		./axbench run axvcpu "$reps" $R
	fi
	;;
esac
[ -z "$ONLY" ] && ./axbench report $R

# Debian's kernel booted under axvm (build/<arch>/tools at /tools), time
# to userspace by the guest kernel's own clock ("Run /init"), beside this
# emulated host's own kernel booting on the emulated CPU, by its own clock,
# and beside the same guest under QEMU with KVM (/qemu, packed by bench.sh
# from tools/testing/fetch-qemu.sh; Debian has no kvmtool).  The guest
# gets the boot options the rig gives the host (boot.sh: no crypto
# self-tests, mitigations off, ...), so that all three boot the same work:
# only the devices differ.  x86: the vmlinux through its PVH entry, as the
# host boots (a bzImage adds its decompressor), under QEMU too.
boot_ts() {
	sed -n 's/^\[ *\([0-9.]*\)\] Run \/init as init process.*/\1/p' | head -1
}
L=/tools/guests/linux
case $(uname -m) in
x86_64)	gimg=$L/vmlinux gcon=ttyS0 gname=vmlinux gmem=192M
	QEMU=/qemu/bin/qemu-system-x86_64 QLD=/qemu/lib/ld-linux-x86-64.so.2
	qboard="-M pc -L /qemu/share" qname="the pc board" ;;
*)	gimg=$L/Image gcon=ttyAMA0 gname=Image gmem=256M
	QEMU=/qemu/bin/qemu-system-aarch64 QLD=/qemu/lib/ld-linux-aarch64.so.1
	qboard="-M virt,gic-version=3" qname="the virt board" ;;
esac
# QEMU with KVM, 1 vcpu, the guest's console on stdout, no default
# devices; $1 the kernel command line, the rest QEMU options.
qemu_kvm() {
	qa=$1
	shift
	# shellcheck disable=SC2086
	$QLD --library-path /qemu/lib $QEMU $qboard -accel kvm -cpu host -smp 1 \
		-m $gmem -nographic -nodefaults -serial stdio -kernel "$gimg" \
		-initrd $L/initrd.cpio -append "console=$gcon $qa" "$@" </dev/null 2>&1
}
have_qemu_kvm() {
	[ -x $QEMU ] && [ -x $QLD ] && [ -e /dev/kvm ]
}
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
# The host's own options that change what a boot does (boot.sh).
gopts=$(tr ' ' '\n' </proc/cmdline | grep -E '^(mitigations|cryptomgr\.notests|rodata|idle|init_on_alloc|audit|lsm|nowatchdog|nosoftlockup|tsc|no_timer_check|page_alloc\.shuffle)(=|$)' | tr '\n' ' ')
if [ "${ONLY:-linux_boot_to_init_s}" = linux_boot_to_init_s ] && [ -x /tools/axvm ] &&
   [ -f "$gimg" ] && [ -f $L/initrd.cpio ]; then
	m=$(uname -m | sed s/aarch64/arm64/)
	# QEMU first, on x86 with KVM loaded and axvcpu not, so that a
	# vmx_hold=1 load cannot keep KVM out of VMX
	if [ "$m" = x86_64 ]; then
		[ -e /dev/axvcpu ] && rmmod axvcpu
		[ -e /dev/kvm ] || { [ -x /kvm/load.sh ] && /kvm/load.sh; }
	fi
	ks=
	if have_qemu_kvm; then
		for i in 1 2 3; do
			t=$(qemu_kvm "quiet $gopts" | boot_ts)
			[ -n "$t" ] && ks="$ks $t"
		done
	fi
	[ -e /dev/axvcpu ] || insmod "$KO" ${AXVCPU_BENCH_MODARGS:-} || echo "# bench: insmod $KO failed"
	# the rig's /init saved the boot's log before clearing the ring
	host=$(boot_ts </tmp/dmesg.boot 2>/dev/null)
	ts=
	for i in 1 2 3; do
		/tools/axvm run --cpus 1 --mem $gmem --timeout 600 --initrd $L/initrd.cpio \
			--cmdline "console=$gcon quiet $gopts" --kernel "$gimg" </dev/null >/tmp/lb.out 2>&1
		t=$(boot_ts </tmp/lb.out)
		[ -n "$t" ] && ts="$ts $t"
	done
	gk=$(sed -n 's/.*userspace reached, kernel \([^,]*\),.*/\1/p' /tmp/lb.out)
	echo "# bench: linux_boot_to_init_s: Debian's ${gk:-?} $gname under axvm on 1 vcpu with the host's boot options ($gopts; 3 runs:$ts s by the guest's clock) vs this emulated host's own $(uname -r) to /init ($host s by its clock)"
	med=$(median $ts)
	if [ -n "$med" ] && [ -n "$host" ]; then
		awk -v a="$med" -v h="$host" -v m="$m" \
			'BEGIN { printf "bench: %s linux_boot_to_init_s axvcpu=%.2f host=%.2f ratio=%.2f\n", m, a, h, a / h }'
	fi
	if have_qemu_kvm; then
		km=$(median $ks)
		echo "# bench: linux_boot_to_init_s_qemu_kvm: the same $gname, initramfs and options under QEMU $(cut -d' ' -f2 /qemu/VERSION 2>/dev/null) ($qname, KVM, 1 vcpu, -nodefaults; 3 runs:$ks s by the guest's clock) against axvm's runs above"
		[ -n "$med" ] && [ -n "$km" ] &&
			awk -v a="$med" -v k="$km" -v m="$m" \
				'BEGIN { printf "bench: %s linux_boot_to_init_s_qemu_kvm axvcpu=%.2f kvm=%.2f ratio=%.2f\n", m, a, k, a / k }'
	else
		echo "# bench: linux_boot_to_init_s_qemu_kvm: no QEMU in /qemu or no /dev/kvm: the host kernel's own boot is the only reference"
	fi
fi

# arm64: virtio-blk, 2048 synchronous 4 KiB reads in the guest (readahead
# off, cold cache; the image is in this host's RAM, so where the reads
# fall does not matter): with the module's ioeventfd and irqfd (the
# default: no exit per notification, no ioctl per interrupt), with the
# ioeventfd alone (--no-irqfd), and with neither (--no-ioeventfd: every
# notification exits to axvm, every interrupt is an ioctl); 3 runs each,
# interleaved; reads per second by the guest's clock, medians.  The row
# compares the issue's pair, both fast paths against neither.
blk_rate() {
	/tools/axvm run --cpus 1 --mem 256M --disk /tmp/bench.img "$@" --initrd $L/initrd.cpio \
		--cmdline "console=ttyAMA0 quiet axvm.blkbench=2048" --kernel $L/Image </dev/null 2>&1 |
		sed -n 's/^AXVM-BLKBENCH: \([0-9]*\) reads of 4 KiB in \([0-9.]*\) s.*/\1 \2/p' |
		awk '$2 > 0 { printf "%.0f\n", $1 / $2 }'
}
# The same 2048 reads under QEMU with KVM (its virtio-blk on virtio-mmio):
# ioeventfd on (QEMU's default, with KVM's irqfd) and off.
qemu_blk_rate() {
	qemu_kvm "quiet axvm.blkbench=2048" -drive file=/tmp/bench.img,if=none,format=raw,id=d0 \
		-device virtio-blk-device,drive=d0 "$@" |
		sed -n 's/^AXVM-BLKBENCH: \([0-9]*\) reads of 4 KiB in \([0-9.]*\) s.*/\1 \2/p' |
		awk '$2 > 0 { printf "%.0f\n", $1 / $2; exit }'
}
if [ "${ONLY:-virtio_blk_4k_read_per_s}" = virtio_blk_4k_read_per_s ] &&
   [ "$(uname -m)" = aarch64 ] && [ -x /tools/axvm ] && [ -f $L/Image ] &&
   grep -q 'mods/virtio_blk.ko' $L/initrd.cpio; then
	dd if=/dev/zero of=/tmp/bench.img bs=1M count=16 2>/dev/null
	fast= half= slow=
	for i in 1 2 3; do
		fast="$fast $(blk_rate)"
		half="$half $(blk_rate --no-irqfd)"
		slow="$slow $(blk_rate --no-ioeventfd)"
	done
	echo "# bench: virtio_blk_4k_read_per_s: 2048 synchronous 4 KiB reads (readahead off, cold cache) from a RAM-backed image, 1 vcpu; ioeventfd+irqfd runs:$fast, ioeventfd only (--no-irqfd):$half, neither (--no-ioeventfd):$slow"
	f=$(median $fast) e=$(median $slow)
	[ -n "$f" ] && [ -n "$e" ] &&
		awk -v f="$f" -v e="$e" 'BEGIN { printf "bench: arm64 virtio_blk_4k_read_per_s fast=%d exit=%d ratio=%.2f\n", f, e, f / e }'
	if have_qemu_kvm; then
		qf= qe=
		for i in 1 2 3; do
			qf="$qf $(qemu_blk_rate)"
			qe="$qe $(qemu_blk_rate -global virtio-mmio.ioeventfd=off)"
		done
		echo "# bench: virtio_blk_4k_read_per_s_qemu_kvm: the same reads under QEMU $(cut -d' ' -f2 /qemu/VERSION 2>/dev/null) with KVM, 1 vcpu; ioeventfd on (and KVM's irqfd):$qf, ioeventfd off:$qe"
		qfm=$(median $qf) qem=$(median $qe)
		[ -n "$qfm" ] && [ -n "$qem" ] &&
			awk -v f="$qfm" -v e="$qem" 'BEGIN { printf "bench: arm64 virtio_blk_4k_read_per_s_qemu_kvm fast=%d exit=%d ratio=%.2f\n", f, e, f / e }'
		# like for like, each VMM with its fast paths: time per read
		[ -n "$f" ] && [ -n "$qfm" ] &&
			awk -v a="$f" -v k="$qfm" 'BEGIN { printf "bench: arm64 virtio_blk_4k_read_us axvcpu=%.0f kvm=%.0f ratio=%.2f\n", 1e6 / a, 1e6 / k, k / a }'
	fi
	rm -f /tmp/bench.img
fi
