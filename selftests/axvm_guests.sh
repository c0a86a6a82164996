#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# axvm_guests.sh - run the bundled guests under the axvm VMM (TAP).
#
# Needs the module loaded and build/<arch>/tools/ at /tools in the guest
# (make check packs it).  Each case runs a real guest on the emulated
# hardware and checks its console output and axvm's exit status.
AXVM=${AXVM:-/tools/axvm}
G=${AXVM_GUESTS:-/tools/guests}
OUT=/tmp/axvm_guests.$$
n=0
fail=0

echo "TAP version 13"
if [ ! -x "$AXVM" ]; then
	echo "1..0 # SKIP $AXVM missing (make tools)"
	exit 4
fi

case "$(uname -m)" in
x86_64) echo "1..16" ;;
*) echo "1..22" ;;
esac

# check NAME EXPECTED_STATUS PATTERN... -- AXVM ARGS...  (and $CHECK_POST;
# stdin is $CHECK_INPUT, default /dev/null)
check() {
	name=$1 want=$2
	shift 2
	pats=
	while [ "$1" != "--" ]; do
		pats="$pats
$1"
		shift
	done
	shift
	n=$((n + 1))
	"$AXVM" "$@" >"$OUT" 2>&1 <"${CHECK_INPUT:-/dev/null}"
	rc=$?
	ok=1
	[ "$rc" = "$want" ] || { ok=0; echo "# $name: exit status $rc, expected $want"; }
	printf '%s\n' "$pats" | while IFS= read -r p; do
		[ -z "$p" ] && continue
		grep -qF -- "$p" "$OUT" || { echo "# $name: missing '$p'"; exit 1; }
	done || ok=0
	# CHECK_POST: a command that must succeed after the run as well;
	# CHECK_ABSENT: a string the output must not hold
	if [ -n "${CHECK_POST:-}" ] && ! eval "$CHECK_POST"; then
		ok=0
	fi
	if [ -n "${CHECK_ABSENT:-}" ] && grep -qF -- "$CHECK_ABSENT" "$OUT"; then
		echo "# $name: '$CHECK_ABSENT' in the output"
		ok=0
	fi
	if [ $ok = 1 ]; then
		echo "ok $n $name"
	else
		sed 's/^/# | /' "$OUT" | tail -30
		echo "not ok $n $name"
		fail=$((fail + 1))
	fi
}

# The disk image $img after a run: the guest wrote sector 8.
disk_written() {
	got=$(dd if="$img" bs=512 skip=8 count=1 2>/dev/null | head -c 26)
	[ "$got" = "AXVM-DISK-WRITTEN-BY-GUEST" ] && return 0
	echo "# the image's sector 8 after the run: '$got'"
	return 1
}
rng_random() {
	got=$(sed -n 's/^AXVM-RNG: 64 bytes: \([0-9a-f]*\).*/\1/p' "$OUT")
	[ ${#got} = 128 ] && [ "$got" != "$(printf '0%.0s' $(seq 128))" ] && return 0
	echo "# virtio-rng gave '$got', not 64 random bytes"
	return 1
}
# irq_path irqfd|ioctl: the virtio-blk's interrupts in --stats all took
# that path (more than none, none the other way), and the guest's
# /proc/interrupts counted them too (arm64: its SPI, INTID 48; x86: I/O
# APIC pin 5).
case "$(uname -m)" in
x86_64) blk_irq='IO-APIC +5-edge' ;;
*) blk_irq='GICv3 +48 ' ;;
esac
irq_path() {
	st=$(sed -n 's/^axvm: virtio-blk: .*interrupts \([0-9]*\) by irqfd, \([0-9]*\) by ioctl$/\1 \2/p' "$OUT")
	guest=$(awk -v pat="$blk_irq" '$0 ~ pat { sub(/^.*[0-9]+: */, ""); sub(/(GICv3|IO-APIC).*/, "")
		n = split($0, c, " "); for (i = 1; i <= n; i++) s += c[i] }
		END { print s + 0 }' "$OUT")
	set -- "$1" $st
	case $1 in
	irqfd) [ "${2:-0}" -gt 0 ] && [ "${3:-x}" = 0 ] ;;
	*) [ "${3:-0}" -gt 0 ] && [ "${2:-x}" = 0 ] ;;
	esac && [ "$guest" -gt 0 ] && return 0
	echo "# virtio-blk interrupts by irqfd, by ioctl: '${2:-?} ${3:-?}' (wanted all by $1); the guest counted $guest"
	return 1
}
# The host's tap axtap0 for --net tap=: tun.ko (from /extra if an earlier
# test unloaded it), busybox tunctl and ifconfig, 10.0.2.1/24; tap_counted
# after a run: it saw the guest's frames (rx_packets) and sent the host's
# answers (tx_packets).
tap=/sys/class/net/axtap0/statistics
tap_up() {
	{ [ -e /dev/net/tun ] || /extra/load.sh >/dev/null 2>&1; } &&
		tunctl -t axtap0 >/dev/null &&
		ifconfig axtap0 10.0.2.1 netmask 255.255.255.0 up || return 1
	rx0=$(cat $tap/rx_packets) tx0=$(cat $tap/tx_packets)
}
tap_counted() {
	rx=$(($(cat $tap/rx_packets 2>/dev/null || echo 0) - ${rx0:-0}))
	tx=$(($(cat $tap/tx_packets 2>/dev/null || echo 0) - ${tx0:-0}))
	[ $rx -ge 3 ] && [ $tx -ge 3 ] && return 0
	echo "# axtap0: $rx frames from the guest, $tx to it (3 each at least)"
	return 1
}
tap_down() {
	tunctl -d axtap0 >/dev/null 2>&1
}
# Typed input: once the shell prompts, a line goes into axvm's stdin
# (type_later, through a FIFO, into $fifo) and the shell runs it.
fifo=/tmp/axvm_in.$$
type_later() {
	rm -f "$fifo"
	mkfifo "$fifo"
	(
		i=0
		while ! grep -q "the shell is yours" "$OUT" 2>/dev/null && [ $i -lt 6000 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		sleep 0.5
		printf '%s\n' "$1"
	) >"$fifo" &
	: >"$OUT"
	CHECK_INPUT=$fifo
}

case "$(uname -m)" in
x86_64)
	# vcpu 1 is started by the xAPIC INIT/SIPI/SIPI sequence: one CPU_UP.
	check "axvm: x86 real-mode hello on 2 vcpus, vcpu 1 started by xAPIC INIT/SIPI" 0 \
		"Hello from the axvm" "starting vcpu 1 with INIT/SIPI (local APIC)" \
		"Hello from vcpu 1" "vcpu 1 is up" "exit CPU_UP" -- \
		run --cpus 2 --stats --kernel "$G/hello.bin"
	check "axvm: x86 Multiboot ELF, cmdline, initrd module, debug-exit status" 11 \
		"multiboot: cmdline 'hi exit=5'" -- \
		run --cpus 1 --mem 32M --cmdline "hi exit=5" --initrd "$G/hello.bin" \
		--kernel "$G/hello-mb.elf"
	# Debian's grub-invaders: a Multiboot ELF written for GRUB.  It times
	# its frames on the PIT, polls the 8042 and draws into VGA text
	# memory; with no keys pressed the aliens march and the ship waits.
	check "axvm: third-party Multiboot ELF (grub-invaders): aliens and ship on the VGA screen, --timeout status 124" 124 \
		"VGA text screen (80x25 at 0xb8000)" "-*-" "/ \\" \
		"stopped the guest after 5 s" -- \
		run --timeout 5 --vga --kernel "$G/invaders.exec"
	# Debian's own amd64 kernel (the host's), as its bzImage (the 32-bit
	# boot protocol: its decompressor runs in the guest): ACPI (MADT,
	# hardware-reduced FADT, the DSDT's virtio-mmio devices), the I/O
	# APIC, the 16550's interrupt, SMP by INIT/SIPI, the TSC and the
	# local APIC timer; virtio-blk, virtio-rng and virtio-net, their
	# notifications by the module's ioeventfd and their interrupts by
	# its irqfd (the I/O APIC model writes the eventfd of the pin); the
	# guest pings the host's tap axtap0 (see the arm64 case below).
	if [ -s "$G/linux/bzImage" ] && grep -q 'mods/virtio_net.ko' "$G/linux/initrd.cpio"; then
		img=/tmp/axvm_disk.$$
		dd if=/dev/zero of="$img" bs=1024 count=1024 2>/dev/null
		printf 'AXVM-DISK-TEST-1' | dd of="$img" conv=notrunc 2>/dev/null
		tap_up || echo "# no tap axtap0 (tun.ko from /extra, tunctl, ifconfig): the ping will fail"
		CHECK_POST="disk_written && rng_random && tap_counted && irq_path irqfd"
		check "axvm: x86 Linux (bzImage) on 2 vcpus: SMP by INIT/SIPI, virtio-blk, -rng and -net (ping of the host's tap) by ioeventfd and irqfd through the I/O APIC, ACPI power off" 0 \
			"AXVM-LINUX-INIT: userspace reached" "2 cpus online (0-1)" \
			"smp: Brought up 1 node, 2 CPUs" "TSC deadline timer available" \
			"AXVM-RNG: rng_current virtio_rng.0" \
			"AXVM-DISK: vda 2048 sectors, serial 'axvm-virtio-blk'" \
			"AXVM-DISK: sector 0 reads 'AXVM-DISK-TEST-1'" \
			"AXVM-DISK: sector 8 written and flushed" \
			"AXVM-NET: eth0 52:54:00:12:34:56, driver virtio_net" \
			"3 packets transmitted, 3 packets received" \
			"IO-APIC 5-edge virtio0" "reboot: Power down" "in-module ioeventfd" \
			"in-module irqfd" -- \
			run --cpus 2 --mem 192M --timeout 600 --stats --disk "$img" --rng \
			--net tap=axtap0 --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyS0 quiet axvm.net=10.0.2.15:10.0.2.1" \
			--kernel "$G/linux/bzImage"
		CHECK_POST=
		tap_down
		rm -f "$img"
	else
		n=$((n + 1))
		echo "ok $n axvm: x86 Linux (bzImage) # SKIP no bzImage or no virtio modules in $G/linux (fetch-kernels.sh GMODS)"
	fi
	# The root disk make run boots, twice, from the vmlinux through its
	# PVH note: the second axvm on the same image finds the first boot's
	# note; in the second, a line typed on the 16550 (its receive
	# interrupt) runs in root's shell, and its reboot ends axvm with the
	# reset status.
	if [ -s "$G/linux/vmlinux" ] && [ -s "$G/linux/rootfs.ext4" ] &&
	   grep -q 'mods/ext4.ko' "$G/linux/initrd.cpio"; then
		img=/tmp/axvm_root.$$
		cp "$G/linux/rootfs.ext4" "$img"
		CHECK_ABSENT="in-module ioeventfd"
		CHECK_POST="irq_path ioctl"
		check "axvm: x86 Linux (vmlinux, PVH entry) from an ext4 root on virtio-blk (--no-ioeventfd: notifications exit, interrupts by ioctl), 1 vcpu, first boot" 0 \
			"AXVM-ROOT: / is /dev/vda (ext4)" "axvm-guest# uname -a" \
			"(no note yet: first boot of this disk)" "written at boot 1 of this disk" \
			"262144" "AXVM-SESSION: boot 1 of this disk done" "reboot: Power down" \
			"exit MMIO_WRITE" -- \
			run --cpus 1 --mem 192M --timeout 600 --stats --no-ioeventfd --disk "$img" --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyS0 axvm.root=/dev/vda" --kernel "$G/linux/vmlinux"
		CHECK_ABSENT=
		CHECK_POST="irq_path irqfd"
		type_later 'echo TYPED-$((6 * 7)); reboot'
		check "axvm: x86 the same ext4 root again on 2 vcpus: the first boot's file is there, a command typed on the 16550 runs, reboot ends axvm with status 32" 32 \
			"AXVM-ROOT: / is /dev/vda (ext4)" "processor	: 1" \
			"written at boot 1 of this disk" "written at boot 2 of this disk" \
			"AXVM-SESSION: boot 2 of this disk done" "AXVM-SESSION: the shell is yours" \
			"TYPED-42" "reboot: Restarting system" "the guest asked for a reset" -- \
			run --cpus 2 --mem 192M --timeout 600 --stats --disk "$img" --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyS0 axvm.root=/dev/vda axvm.interactive" --kernel "$G/linux/vmlinux"
		wait
		CHECK_INPUT= CHECK_POST=
		rm -f "$img" "$fifo"
	else
		n=$((n + 2))
		echo "ok $((n - 1)) axvm: x86 Linux from an ext4 root # SKIP no $G/linux/rootfs.ext4 or no ext4 module in the initrd"
		echo "ok $n axvm: x86 the same ext4 root again # SKIP as above"
	fi
	# A root disk that holds no file system: the guest's /init says so
	# and powers off; the guest kernel does not panic.
	if [ -s "$G/linux/vmlinux" ] && grep -q 'mods/ext4.ko' "$G/linux/initrd.cpio"; then
		img=/tmp/axvm_bad.$$
		dd if=/dev/zero of="$img" bs=1M count=4 2>/dev/null
		CHECK_ABSENT="Kernel panic"
		check "axvm: x86 root disk with no file system: a clear message, poweroff, no panic" 0 \
			"AXVM-LINUX-INIT: cannot mount /dev/vda as ext4: no root disk" "reboot: Power down" -- \
			run --cpus 1 --mem 192M --timeout 600 --disk "$img" --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyS0 quiet axvm.root=/dev/vda" --kernel "$G/linux/vmlinux"
		CHECK_ABSENT=
		rm -f "$img"
	else
		n=$((n + 1))
		echo "ok $n axvm: x86 root disk with no file system # SKIP no Linux guest with ext4"
	fi
	;;
*)
	# Both vcpus print 16 lines at once, a UART write per character,
	# each line under the guest's lock: every line comes out whole.
	chorus_whole() {
		whole=$(tr -d '\r' <"$OUT" | grep -cE '^chorus: vcpu [01] line [0-9]+$')
		[ "$whole" = 32 ] && [ "$(grep -c 'chorus' "$OUT")" = 32 ] && return 0
		echo "# chorus: $whole of 32 lines whole"
		return 1
	}
	CHECK_POST=chorus_whole
	check "axvm: arm64 hello, PSCI CPU_ON of vcpu 1, lines of two vcpus printing at once stay whole, SYSTEM_OFF" 0 \
		"Hello from the axvm" "vcpu 1 is up" -- \
		run --cpus 2 --kernel "$G/hello.bin"
	CHECK_POST=
	# No device at 0x0b000000: the guest's own vectors take the abort.
	check "axvm: arm64 access where no device lives: external abort through the guest's VBAR_EL1" 0 \
		"read: vector 0x200 ESR 0x96000010 WnR 0 FAR 0xb000000 ELR at the access: external abort ok" \
		"FAR 0xb000000 ELR at the access: external abort ok" "write: vector 0x200 ESR 0x960000" \
		"abort guest: PASS" -- \
		run --kernel "$G/abort.bin"
	# What guests written for KVM / QEMU's virt expect (fidelity.c).
	check "axvm: arm64 fidelity: CPU_ON twice answers ALREADY_ON, the EL1 physical timer counts, empty virtio-mmio transports, GIC pending/active state" 0 \
		"psci: CPU_ON(1) = 0, at once again = -4" \
		"ptimer: CNTP_CTL_EL0.ISTATUS with CVAL in the past: ok" \
		"ptimer: CNTP_TVAL_EL0 counts down: ok" \
		"virtio-mmio: 32 of 32 transports empty" \
		"gic: a masked SGI to itself shows in GICR_ISPENDR0: ok" \
		"gic: acknowledged, it is active and no longer pending: ok" \
		"gic: after EOI, neither: ok" "fidelity guest: PASS" -- \
		run --cpus 2 --kernel "$G/fidelity.bin"
	# Trapped and not modelled by axvm: CNTP_CTL_EL0 is UNDEFINED for the
	# guest, which has no vectors of its own: axvm says why it stops.
	check "axvm: arm64 --ptimer trap: CNTP_CTL_EL0 unmodelled, traced and UNDEFINED" 1 \
		"write of system register S3_3_C14_C2_1" "not modelled, the guest gets UNDEF" \
		"fetch from 0x200" "system register not modelled     1 (answered UNDEF)" \
		"MMIO without a device    1" -- \
		run --cpus 2 --ptimer trap --stats --kernel "$G/fidelity.bin"
	# Debian's own arm64 kernel Image, 2 vcpus, a busybox initramfs whose
	# /init reports and powers off (tools/axvm/guests/aarch64/linux-init.sh).
	if [ -f "$G/linux/Image" ] && [ -f "$G/linux/initrd.cpio" ]; then
		check "axvm: third-party arm64 Image (Debian's kernel) on 2 vcpus to userspace, poweroff" 0 \
			"AXVM-LINUX-INIT: userspace reached" "2 cpus online (0-1)" \
			"smp: Brought up 1 node, 2 CPUs" "reboot: Power down" -- \
			run --cpus 2 --mem 256M --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyAMA0 quiet" --kernel "$G/linux/Image"
	else
		n=$((n + 1))
		echo "ok $n axvm: third-party arm64 Image # SKIP $G/linux/ missing (build/kernels/arm64/env not there at make tools)"
	fi
	# after the guest routed it to cpu 1, the virtio-blk SPI reached it
	irq_on_cpu1() {
		c1=$(tr -d '\r' <"$OUT" | sed -n 's/^AXVM-DISK: cpu1 \([0-9]*\)$/\1/p')
		[ "${c1:-0}" -gt 0 ] 2>/dev/null && return 0
		echo "# the guest's cpu 1 counted '$c1' virtio-blk interrupts after the route; its lines:"
		grep -a 'AXVM-DISK\|virtio0' "$OUT" | sed 's/^/# > /'
		return 1
	}
	# The same kernel with a virtio-blk disk (--disk): the guest's own
	# virtio_mmio and virtio_blk drivers read sector 0, write sector 8
	# with a flush, and count the device's interrupts; the image has the
	# guest's write afterwards.  With --rng the kernel's hwrng picks the
	# virtio-rng and 64 bytes read from /dev/hwrng are not all zero.  The
	# notifications take the module's ioeventfd (its counter in --stats),
	# the interrupts its irqfd, also after the guest routes the SPI to
	# cpu 1 (axvm moves the irqfd; cpu 1 counts them).
	if [ -f "$G/linux/Image" ] && [ -s "$G/linux/initrd.cpio" ] &&
	   grep -q 'mods/virtio_blk.ko' "$G/linux/initrd.cpio"; then
		img=/tmp/axvm_disk.$$
		dd if=/dev/zero of="$img" bs=1024 count=1024 2>/dev/null
		printf 'AXVM-DISK-TEST-1' | dd of="$img" conv=notrunc 2>/dev/null
		CHECK_POST="disk_written && rng_random && irq_path irqfd && irq_on_cpu1"
		CHECK_ABSENT="cannot move its irqfd"
		check "axvm: arm64 Linux with a virtio-blk disk (--disk) and a virtio-rng (--rng): reads, writes with a flush, interrupts (by irqfd, routed to cpu 1 too), entropy" 0 \
			"AXVM-RNG: rng_current virtio_rng.0" \
			"AXVM-DISK: vda 2048 sectors, serial 'axvm-virtio-blk'" \
			"AXVM-DISK: sector 0 reads 'AXVM-DISK-TEST-1'" \
			"AXVM-DISK: sector 8 written and flushed" \
			"AXVM-DISK: irq routed to cpu 1, sector 9 written and flushed" \
			"AXVM-DISK: irq" "reboot: Power down" "in-module ioeventfd" \
			"in-module irqfd" -- \
			run --cpus 2 --mem 256M --stats --disk "$img" --rng --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyAMA0 quiet" --kernel "$G/linux/Image"
		CHECK_POST= CHECK_ABSENT=
		rm -f "$img"
	else
		n=$((n + 1))
		echo "ok $n axvm: arm64 Linux with a virtio-blk disk # SKIP no virtio modules in $G/linux/initrd.cpio (fetch-kernels.sh GMODS)"
	fi
	# The root disk make run boots (ext4 on virtio-blk, busybox init, root
	# logged in, a session that writes a note and syncs), booted twice on
	# 1 and on 2 vcpus: the second boot, a new axvm on the same image,
	# reads what the first wrote.
	if [ -s "$G/linux/rootfs.ext4" ] && grep -q 'mods/ext4.ko' "$G/linux/initrd.cpio"; then
		img=/tmp/axvm_root.$$
		cp "$G/linux/rootfs.ext4" "$img"
		CHECK_ABSENT="in-module ioeventfd"
		check "axvm: arm64 Linux from an ext4 root on virtio-blk (--no-ioeventfd: notifications exit), 1 vcpu, first boot" 0 \
			"AXVM-ROOT: / is /dev/vda (ext4)" "axvm-guest# uname -a" \
			"(no note yet: first boot of this disk)" "written at boot 1 of this disk" \
			"262144" "AXVM-SESSION: boot 1 of this disk done" "reboot: Power down" \
			"exit MMIO_WRITE" -- \
			run --cpus 1 --mem 256M --stats --no-ioeventfd --disk "$img" --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyAMA0 axvm.root=/dev/vda" --kernel "$G/linux/Image"
		CHECK_ABSENT=
		CHECK_POST="irq_path ioctl" CHECK_ABSENT="in-module irqfd"
		check "axvm: the same ext4 root again on 2 vcpus (--no-irqfd: interrupts by ioctl): the first boot's file is there" 0 \
			"AXVM-ROOT: / is /dev/vda (ext4)" "processor	: 1" \
			"written at boot 1 of this disk" "written at boot 2 of this disk" \
			"AXVM-SESSION: boot 2 of this disk done" "reboot: Power down" \
			"in-module ioeventfd" -- \
			run --cpus 2 --mem 256M --stats --no-irqfd --disk "$img" --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyAMA0 axvm.root=/dev/vda" --kernel "$G/linux/Image"
		CHECK_POST= CHECK_ABSENT=
		type_later 'echo TYPED-$((6 * 7)); cat /root/disk-note; reboot'
		check "axvm: arm64 console input: a command typed on the PL011 runs, its output comes back; reboot (PSCI SYSTEM_RESET) ends axvm with status 32" 32 \
			"AXVM-SESSION: the shell is yours" "TYPED-42" \
			"written at boot 3 of this disk" "reboot: Restarting system" \
			"the guest asked for a reset" -- \
			run --cpus 2 --mem 256M --disk "$img" --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyAMA0 axvm.root=/dev/vda axvm.interactive" \
			--kernel "$G/linux/Image"
		wait
		# The same on the virtio console: root logged in on hvc0, the
		# session's output through its transmit queue, the typed line
		# through its receive queue.
		type_later 'echo HVC-$((6 * 7)) on $(tty); poweroff'
		check "axvm: arm64 virtio console (--console virtio): the session on hvc0, a typed command runs" 0 \
			"AXVM-SESSION: the shell is yours" "HVC-42 on /dev/hvc0" \
			"written at boot 4 of this disk" "reboot: Power down" -- \
			run --cpus 1 --mem 256M --disk "$img" --console virtio --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyAMA0 axvm.root=/dev/vda axvm.interactive axvm.hvc" \
			--kernel "$G/linux/Image"
		wait
		CHECK_INPUT=
		rm -f "$img" "$fifo"
	else
		n=$((n + 4))
		echo "ok $((n - 3)) axvm: arm64 console input # SKIP no root disk"
		echo "ok $((n - 2)) axvm: arm64 virtio console # SKIP no root disk"
		echo "ok $((n - 1)) axvm: arm64 Linux from an ext4 root # SKIP no $G/linux/rootfs.ext4 or no ext4 module in the initrd"
		echo "ok $n axvm: the same ext4 root again # SKIP as above"
	fi
	# A root disk that holds no file system: the guest's /init says so
	# and powers off; the guest kernel does not panic.
	if [ -f "$G/linux/Image" ] && grep -q 'mods/ext4.ko' "$G/linux/initrd.cpio"; then
		img=/tmp/axvm_bad.$$
		dd if=/dev/zero of="$img" bs=1M count=4 2>/dev/null
		CHECK_ABSENT="Kernel panic"
		check "axvm: arm64 root disk with no file system: a clear message, poweroff, no panic" 0 \
			"AXVM-LINUX-INIT: cannot mount /dev/vda as ext4: no root disk" "reboot: Power down" -- \
			run --cpus 1 --mem 256M --disk "$img" --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyAMA0 axvm.root=/dev/vda" --kernel "$G/linux/Image"
		CHECK_ABSENT=
		rm -f "$img"
	else
		n=$((n + 1))
		echo "ok $n axvm: arm64 root disk with no file system # SKIP no Linux guest with ext4"
	fi
	# virtio-net over a tap (--net tap=): the host's tap axtap0 (tap_up)
	# is 10.0.2.1/24 and the guest's eth0, 10.0.2.15, pings it: three
	# replies, and the tap counted the frames both ways.
	if grep -q 'mods/virtio_net.ko' "$G/linux/initrd.cpio" 2>/dev/null && tap_up; then
		CHECK_POST=tap_counted
		check "axvm: arm64 virtio-net (--net tap=): the guest pings the host's tap, the replies come back" 0 \
			"AXVM-NET: eth0 52:54:00:12:34:56, driver virtio_net" \
			"3 packets transmitted, 3 packets received" "reboot: Power down" -- \
			run --cpus 2 --mem 256M --net tap=axtap0 --initrd "$G/linux/initrd.cpio" \
			--cmdline "console=ttyAMA0 quiet axvm.net=10.0.2.15:10.0.2.1" --kernel "$G/linux/Image"
		CHECK_POST=
		tap_down
	else
		n=$((n + 1))
		echo "ok $n axvm: arm64 virtio-net # SKIP no virtio_net in the initrd or no tap (tun.ko, tunctl, ifconfig)"
	fi
	# Two guests on one wire, no root needed: --net udp= of each names
	# the other's port on 127.0.0.1 (the emulated host's lo brought up);
	# 10.0.2.15 and 10.0.2.16 ping each other, each staying up 4 s more
	# to answer the other.  Guest A runs beside the check of guest B.
	if grep -q 'mods/virtio_net.ko' "$G/linux/initrd.cpio" 2>/dev/null &&
	   ifconfig lo 127.0.0.1 up; then
		peer_out=/tmp/axvm_peer.$$
		"$AXVM" run --cpus 1 --mem 256M --net udp=5555:127.0.0.1:5556 \
			--initrd "$G/linux/initrd.cpio" --kernel "$G/linux/Image" \
			--cmdline "console=ttyAMA0 quiet axvm.net=10.0.2.15:10.0.2.16 axvm.netlinger=4" \
			>"$peer_out" 2>&1 </dev/null &
		peer_pid=$!
		peer_answered() {
			wait $peer_pid
			prc=$?
			[ $prc = 0 ] && grep -q "AXVM-NET: 64 bytes from 10.0.2.16" "$peer_out" && return 0
			echo "# guest A (status $prc) had no reply from 10.0.2.16:"
			grep -v '^\[' "$peer_out" | sed 's/^/# A| /' | tail -15
			return 1
		}
		CHECK_POST=peer_answered
		check "axvm: arm64 virtio-net (--net udp=): two guests on one wire ping each other" 0 \
			"AXVM-NET: eth0 52:54:00:12:34:57, driver virtio_net" \
			"AXVM-NET: 64 bytes from 10.0.2.15" "reboot: Power down" -- \
			run --cpus 1 --mem 256M --net udp=5556:127.0.0.1:5555,mac=52:54:00:12:34:57 \
			--initrd "$G/linux/initrd.cpio" --kernel "$G/linux/Image" \
			--cmdline "console=ttyAMA0 quiet axvm.net=10.0.2.16:10.0.2.15 axvm.netlinger=4"
		CHECK_POST=
		rm -f "$peer_out"
	else
		n=$((n + 1))
		echo "ok $n axvm: arm64 virtio-net (--net udp=) # SKIP no virtio_net in the initrd or no lo"
	fi
	;;
esac

# Options axvm refuses before any guest runs, on both arches: --net tap
# with no tun driver (unloaded if a test above loaded it), or with no or
# a wrong interface; a disk image it cannot use.
grep -q '^tun ' /proc/modules && rmmod tun
if [ -e /dev/net/tun ]; then
	n=$((n + 1))
	echo "ok $n axvm: --net tap with no tun driver # SKIP /dev/net/tun exists already"
else
	check "axvm: --net tap with no tun driver: a clear error, status 1" 1 \
		"--net tap=axtap0: /dev/net/tun: No such file or directory" -- \
		run --net tap=axtap0 --kernel "$G/hello.bin"
fi
check "axvm: --net tap= without a name: a clear error, status 1" 1 \
	"--net tap=: no interface name" -- \
	run --net tap= --kernel "$G/hello.bin"
[ -e /dev/net/tun ] || /extra/load.sh >/dev/null 2>&1
if [ -e /dev/net/tun ]; then
	check "axvm: --net tap=lo (an interface that is no tap): a clear error, status 1" 1 \
		"--net tap=lo: TUNSETIFF: Invalid argument" -- \
		run --net tap=lo --kernel "$G/hello.bin"
else
	n=$((n + 1))
	echo "ok $n axvm: --net tap=lo # SKIP no /dev/net/tun"
fi
# A disk axvm cannot use is an axvm error before the guest runs.
printf 'short' >/tmp/axvm_tiny.$$
check "axvm: --disk with an image under 512 bytes: a clear error, status 1" 1 \
	"not a regular file of at least 512 bytes" -- \
	run --disk /tmp/axvm_tiny.$$ --kernel "$G/hello.bin"
rm -f /tmp/axvm_tiny.$$
check "axvm: --disk with a missing image: a clear error, status 1" 1 \
	"--disk /nonexistent.img: No such file or directory" -- \
	run --disk /nonexistent.img --kernel "$G/hello.bin"
check "axvm: --disk with a directory: a clear error, status 1" 1 \
	"--disk /tmp: Is a directory" -- \
	run --disk /tmp --kernel "$G/hello.bin"
check "axvm: --stats prints exit counts" 0 "guest entries" -- \
	run --cpus 1 --stats --kernel "$G/hello.bin"
case "$(uname -m)" in
x86_64)
	check "axvm: an ELF without a Multiboot header is refused" 1 \
		"not bootable" -- run --kernel /bin/busybox
	;;
*)
	check "axvm: a kernel that does not fit in guest RAM is refused" 1 \
		"error" -- run --mem 1M --kernel /bin/busybox
	;;
esac
n=$((n + 1))
if "$AXVM" run --kernel /nonexistent >"$OUT" 2>&1; then
	echo "not ok $n axvm: a missing kernel file is an error"
	fail=$((fail + 1))
else
	echo "ok $n axvm: a missing kernel file is an error"
fi
rm -f "$OUT"
[ $fail = 0 ] || exit 1
exit 0
