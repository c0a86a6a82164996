#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the tiny initramfs that axvm_guests.sh boots Debian's kernel
# with (arm64 and x86_64): print what the kernel brought up; with a virtio disk
# (axvm --disk), read its first sector, write one and flush it (arm64 on 2+
# cpus once more with its interrupt routed to cpu 1), and show the
# device's interrupts; with a virtio-rng (axvm --rng), read it; with
# axvm.net=ADDR:PEER on the command line and a virtio-net (axvm --net),
# give eth0 ADDR/24 and ping PEER (then, with axvm.netlinger=S, answer
# pings S seconds more); then power off.  With axvm.root=/dev/vda on the
# command line the disk is an ext4 root instead, and its /sbin/init runs.  The initramfs has no
# /dev/console node (it is built without root), so the console is opened
# from devtmpfs.
/bin/busybox mkdir -p /dev /proc /sys /tmp
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "AXVM-LINUX-INIT: userspace reached, kernel $(uname -r), $(nproc) cpus online ($(cat /sys/devices/system/cpu/online))"
dmesg >/tmp/dmesg
echo "dmesg: $(wc -l </tmp/dmesg) lines"
grep -E "smp: Brought up|psci: PSCIv|SMP: Total|Run /init as init process|TSC deadline timer available|Switched to clocksource" /tmp/dmesg
# the kernel's own virtio modules, when the initramfs has them, with their
# parameters from the kernel command line (module.param=value: what modprobe
# would pass; axvm names x86's virtio-mmio devices so)
for m in $(cat /mods/order 2>/dev/null); do
	p=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^$(basename "$m" .ko | tr - _)\.//p")
	insmod "/mods/$m" $p || echo "AXVM-LINUX-INIT: insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && grep -qx 0x0002 /sys/bus/virtio/devices/*/device 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
# axvm.blkbench=N (make bench): N synchronous 4 KiB reads of the disk,
# readahead off, cold cache, timed by /proc/uptime
case " $(cat /proc/cmdline) " in
*" axvm.blkbench="*)
	n=$(sed 's/.*axvm\.blkbench=\([0-9]*\).*/\1/' /proc/cmdline)
	if [ -b /dev/vda ]; then
		echo 0 >/sys/block/vda/queue/read_ahead_kb
		echo 3 >/proc/sys/vm/drop_caches
		t0=$(cut -d' ' -f1 /proc/uptime)
		dd if=/dev/vda of=/dev/null bs=4096 count="$n" 2>/dev/null
		t1=$(cut -d' ' -f1 /proc/uptime)
		echo "AXVM-BLKBENCH: $n reads of 4 KiB in $(awk "BEGIN { print $t1 - $t0 }") s"
	fi
	poweroff -f
	;;
esac
# axvm.root=/dev/vda (make run): that disk's ext4 is the root; its init
# takes over
case " $(cat /proc/cmdline) " in
*" axvm.root=/dev/vda "*)
	mkdir -p /newroot
	if [ -b /dev/vda ] && mount -t ext4 /dev/vda /newroot; then
		echo "AXVM-LINUX-INIT: root disk /dev/vda mounted, switching to its /sbin/init"
		mount --move /dev /newroot/dev
		umount /proc /sys
		exec switch_root /newroot /sbin/init
	fi
	echo "AXVM-LINUX-INIT: cannot mount /dev/vda as ext4: no root disk"
	poweroff -f
	;;
esac
if [ -b /dev/vda ]; then
	echo "AXVM-DISK: vda $(cat /sys/block/vda/size) sectors, serial '$(cat /sys/block/vda/serial 2>/dev/null)'"
	echo "AXVM-DISK: sector 0 reads '$(head -c 16 /dev/vda)'"
	printf 'AXVM-DISK-WRITTEN-BY-GUEST' | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null &&
		echo "AXVM-DISK: sector 8 written and flushed"
	# on 2+ cpus: the device's interrupt routed to cpu 1 (GICD_IROUTER,
	# with a disable/enable around it), then one more write and flush
	irq=$(sed -n 's/^ *\([0-9]*\):.* virtio0$/\1/p' /proc/interrupts)
	if [ "$(nproc)" -ge 2 ] && [ -n "$irq" ] && echo 2 >/proc/irq/$irq/smp_affinity; then
		printf 'AXVM-DISK-AFTER-ROUTE' | dd of=/dev/vda bs=512 seek=9 conv=fsync 2>/dev/null &&
			echo "AXVM-DISK: irq routed to cpu 1, sector 9 written and flushed"
		# cpu 1's count on a line of its own
		echo "AXVM-DISK: cpu1 $(awk '/ virtio0$/ { print $3 }' /proc/interrupts)"
	fi
	grep virtio /proc/interrupts | sed 's/  */ /g; s/^/AXVM-DISK: irq/'
fi
# a virtio-rng (axvm --rng): the kernel's hwrng takes it; 64 bytes of it
if grep -qx 0x0004 /sys/bus/virtio/devices/*/device 2>/dev/null; then
	echo "AXVM-RNG: rng_current $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
	echo "AXVM-RNG: 64 bytes: $(head -c 64 /dev/hwrng | od -An -tx1 | tr -d ' \n')"
fi
# axvm.net=ADDR:PEER: eth0 (the virtio-net) gets ADDR/24 and pings PEER
case " $(cat /proc/cmdline) " in
*" axvm.net="*)
	net=$(sed 's/.*axvm\.net=\([0-9.:]*\).*/\1/' /proc/cmdline)
	if [ -e /sys/class/net/eth0 ]; then
		echo "AXVM-NET: eth0 $(cat /sys/class/net/eth0/address), driver $(basename "$(readlink /sys/class/net/eth0/device/driver)")"
		ifconfig eth0 "${net%%:*}" netmask 255.255.255.0 up
		ping -c 3 -W 5 "${net#*:}" | sed 's/^/AXVM-NET: /'
		echo "AXVM-NET: eth0 rx_packets $(cat /sys/class/net/eth0/statistics/rx_packets) tx_packets $(cat /sys/class/net/eth0/statistics/tx_packets)"
		grep virtio /proc/interrupts | sed 's/  */ /g; s/^/AXVM-NET: irq/'
		# axvm.netlinger=S: stay up S seconds more, answering a peer's pings
		case " $(cat /proc/cmdline) " in
		*" axvm.netlinger="*) sleep "$(sed 's/.*axvm\.netlinger=\([0-9]*\).*/\1/' /proc/cmdline)" ;;
		esac
	else
		echo "AXVM-NET: no eth0"
	fi
	;;
esac
poweroff -f
