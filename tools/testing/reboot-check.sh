#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reboot-check.sh <x86_64|arm64> <kernel> <axvcpu.ko>
#
# Boots <kernel> with the selftests packed, loads the module, starts vcpus
# spinning in their guests (selftests/reboot/reboot_while_running) and
# reboots the host under them, as 'reboot -f' does.  Prints three TAP lines
# on stdout, read from the console after the test's AXVCPU-REBOOT-ARMED:
#   1 the vcpus were running when the reboot started
#   2 the module's reboot notifier ran ("axvcpu: rebooting")
#   3 the kernel reached the restart ("reboot: Restarting system", or the
#     emulator stopped at the reset on its own) with no oops, BUG, WARNING,
#     invalid opcode or panic on the way
# Both emulators stop at the guest's reset (Bochs quits, QEMU -no-reboot).
# Exit status: 0 when all three pass.  The console is kept in
# build/<arch>/<kernel>/reboot-console.log.
set -euo pipefail
RIG=reboot-check
. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || die "usage: reboot-check.sh <x86_64|arm64> <kernel> <axvcpu.ko>"
ARCH=$(norm_arch "$1") K=$2 KO=$3
OUT=$BUILD/$ARCH/$K
mkdir -p "$OUT"
rc=0
# loglevel=7: the notifier's line is KERN_INFO, below 'quiet'.
"$TESTING/boot.sh" "$ARCH" --kernel "$K" --no-build --ko "$KO" -q --timeout 300 \
	--append loglevel=7 \
	--cmd 'insmod /axvcpu.ko && /selftests/reboot_while_running' >&2 || rc=$?
cp "$OUT/console.log" "$OUT/reboot-console.log" 2>/dev/null || : >"$OUT/reboot-console.log"
CON=$OUT/reboot-console.log
# (the marker's start only: a kernel line may still cut into it)
after=$(sed -n '/AXVCPU-REBOOT-/,$p' "$CON" | tr -d '\r')
n=0 fails=0
tap() {	# tap OK? DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n reboot: $2"
	else
		echo "not ok $n reboot: $2"
		fails=$((fails + 1))
	fi
}
[ "$rc" != 124 ] || log "boot timed out ($CON)"
ok=0; [ -n "$after" ] && ok=1
tap $ok "vcpus in their guests when the reboot started"
ok=0; grep -q 'axvcpu: rebooting' <<<"$after" && ok=1
tap $ok "the axvcpu reboot notifier ran"
# The restart: the kernel's "Restarting system", or the emulator ending at
# the reset itself before the serial console caught up (Bochs 3.0 quits at
# the kernel's final triple-fault reset; QEMU -no-reboot exits 0).  A hang
# is a timeout; a panic is in the console and fails the trouble check.
restarted=0
if grep -q 'reboot: Restarting system' <<<"$after"; then
	restarted=1
elif [ "$rc" != 124 ] && [ "$rc" != 2 ] && grep -q 'axvcpu: rebooting' <<<"$after"; then
	restarted=1
	log "no 'Restarting system' on the console; the emulator stopped at the reset ($(grep -a -m1 -o 'exception with no resolution\|quit_sim.*' "$OUT/boot/emulator.log" 2>/dev/null || echo "rc=$rc"))"
fi
ok=0
if [ $restarted = 1 ] &&
   ! grep -Eq 'Oops|BUG:|WARNING:|invalid opcode|Kernel panic|general protection' <<<"$after"; then
	ok=1
fi
tap $ok "restart reached with no oops/BUG/WARNING on the way"
[ $fails = 0 ] || log "FAILED: see $CON"
exit $((fails > 0))
