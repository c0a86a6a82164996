#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /etc/login.sh of the axvm root disk: root logged in on the UART (the
# PL011, ttyAMA0, on arm64; the 16550, ttyS0, on x86), or on the virtio
# console (hvc0) with axvm.hvc on the kernel command line; a new session,
# so that the tty becomes its controlling one.
tty=ttyAMA0
[ -e /dev/ttyAMA0 ] || tty=ttyS0
case " $(cat /proc/cmdline) " in
*" axvm.hvc "*) tty=hvc0 ;;
esac
exec setsid sh -c "exec login -f root <>/dev/$tty >&0 2>&1"
