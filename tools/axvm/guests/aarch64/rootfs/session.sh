#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The short session 'make run' shows, run by root's login shell on the
# axvm root disk.  Each command is echoed as if typed at the prompt.
run() {
	echo "axvm-guest# $*"
	sh -c "$*"
}

n=$(($(cat /root/boots 2>/dev/null || echo 0) + 1))
echo "$n" >/root/boots
run uname -a
run "grep -E '^(processor|CPU implementer|CPU part|model name)' /proc/cpuinfo"
run "cat /root/disk-note 2>/dev/null || echo '(no note yet: first boot of this disk)'"
run "echo 'written at boot $n of this disk' >/root/disk-note && sync && cat /root/disk-note"
run "dd if=/dev/zero of=/root/blob bs=4k count=64 2>/dev/null && sync && wc -c </root/blob && rm /root/blob"
run "df -h / | tail -1"
run "grep -E 'virtio|uart|pl011|arch_timer|ttyS|LOC' /proc/interrupts"
echo "AXVM-SESSION: boot $n of this disk done"
