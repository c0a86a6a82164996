#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the axvcpu test initramfs (packed by boot.sh); PID 1 in the
# emulated machine.  Runs /cmd.sh (boot.sh --cmd), then prints the kernel
# log written meanwhile, the completion marker, drains the UART and powers
# off.  Console markers (parsed by boot.sh and check.sh):
#   AXVCPU-INIT-START ...      /init reached, before the command
#   AXVCPU-INIT-DONE rc=<rc>   the command exited with <rc>
# "initshell" on the kernel command line: interactive shell instead.

/bin/busybox mount -t devtmpfs dev /dev
exec 0</dev/console 1>/dev/console 2>&1	# no /dev/console node in the cpio
/bin/busybox mount -t proc proc /proc
# the applet links: busybox's own list, whatever its version (needs /proc)
/bin/busybox --install -s || echo "AXVCPU-INIT: busybox --install failed"
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/selftests
export HOME=/ TERM=dumb
mount -t sysfs sys /sys
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmp /tmp
[ -f /axvcpu-env ] && . /axvcpu-env
echo "AXVCPU-INIT-START arch=$(uname -m) kernel=$(uname -r) cpus=$(cat /sys/devices/system/cpu/online) uptime=$(cut -d' ' -f1 /proc/uptime)"
if grep -qw initshell /proc/cmdline; then
	echo "initshell: 'poweroff -f' to leave"
	setsid cttyhack sh -l
	poweroff -f
fi
dmesg -c >/tmp/dmesg.boot	# the boot's log (bench.sh's boot-time line); from
				# here on, the ring holds what the command caused
cd /
sh /cmd.sh
rc=$?
echo "---- dmesg after the command ----"
dmesg
echo "---- end of dmesg ----"
echo "AXVCPU-INIT-DONE rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
# tcsetattr(TCSADRAIN): wait until the UART has sent everything, else
# poweroff -f cuts the tail of the console.
stty -F /dev/console 115200 2>/dev/null
poweroff -f
