#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the tiny initramfs that axvm_guests.sh boots Debian's arm64
# kernel with: print what the kernel brought up, then power off.  The
# initramfs has no /dev/console node (it is built without root), so the
# console is opened from devtmpfs.
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
grep -E "smp: Brought up|psci: PSCIv|SMP: Total" /tmp/dmesg
poweroff -f
