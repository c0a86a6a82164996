#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# novmx-check.sh <kernel> <axvcpu.ko>
#
# Boots the x86_64 <kernel> once in QEMU TCG (AXVCPU_X86_EMULATOR=qemu-tcg:
# '-cpu max,vmx=off', no VMX at all, 1 CPU) and tries to load the module,
# which must refuse: its init checks CPUID.1:ECX.VMX[bit 5]
# (vmx/vmx_percpu.c, check_cpu()) and fails with -ENODEV after
#     axvcpu: not loading: CPU does not support VMX
# (vcpu_core.c).  This is the QEMU x86 path of boot.sh, exercised on every
# machine, /dev/kvm or not.  Prints three TAP lines on stdout:
#   1 insmod fails (ENODEV: "No such device") on a guest CPU without VMX,
#     and leaves neither /dev/axvcpu nor the module behind
#   2 the kernel log (the dmesg the guest's /init dumps) has that message
#   3 the guest powered off cleanly, with no oops, BUG, WARNING or panic
# Exit status: 0 when all three pass.  The console is kept in
# build/x86_64/<kernel>/novmx-console.log.
set -euo pipefail
RIG=novmx-check
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: novmx-check.sh <kernel> <axvcpu.ko>"
K=$1 KO=$2
OUT=$BUILD/x86_64/$K
MSG='axvcpu: not loading: CPU does not support VMX'
mkdir -p "$OUT"
# The guest states what it saw on marker lines; the verdict is made here.
cmd='grep -qw vmx /proc/cpuinfo && echo "AXVCPU-NOVMX cpu=vmx" || echo "AXVCPU-NOVMX cpu=novmx"
if insmod /axvcpu.ko 2>/tmp/insmod.err; then r=loaded; else r=refused; fi
echo "AXVCPU-NOVMX insmod=$r: $(cat /tmp/insmod.err)"
[ -e /dev/axvcpu ] && echo "AXVCPU-NOVMX dev=present" || echo "AXVCPU-NOVMX dev=absent"
grep -q "^axvcpu " /proc/modules && echo "AXVCPU-NOVMX module=listed" || echo "AXVCPU-NOVMX module=absent"
exit 0'
rc=0
AXVCPU_X86_EMULATOR=qemu-tcg "$TESTING/boot.sh" x86_64 --kernel "$K" --no-build --ko "$KO" -q \
	--cpus 1 --timeout "${AXVCPU_NOVMX_TIMEOUT:-180}" --cmd "$cmd" >&2 || rc=$?
CON=$OUT/novmx-console.log
cp "$OUT/console.log" "$CON" 2>/dev/null || : >"$CON"
con=$(tr -d '\r' <"$CON")
mark() { sed -n "s/^AXVCPU-NOVMX $1=//p" <<<"$con" | head -1; }
n=0 fails=0
tap() {	# tap OK? DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n novmx: $2"
	else
		echo "not ok $n novmx: $2"
		fails=$((fails + 1))
	fi
}
[ "$rc" != 124 ] || log "boot timed out ($CON)"
cpu=$(mark cpu) ins=$(mark insmod) dev=$(mark dev) mod=$(mark module)
ok=0
if [ "$cpu" = novmx ] && [[ "$ins" == refused:*"No such device"* ]] && [ "$dev" = absent ] && [ "$mod" = absent ]; then
	ok=1
fi
tap $ok "insmod refused without VMX (QEMU TCG; guest cpu=${cpu:-?}, insmod=${ins:-?}, /dev/axvcpu ${dev:-?}, module ${mod:-?})"
ok=0
sed -n '/^---- dmesg after the command ----$/,/^---- end of dmesg ----$/p' <<<"$con" |
	grep -qF "$MSG" && ok=1
tap $ok "dmesg says '$MSG'"
r=$(awk -v start=AXVCPU-INIT-START -f "$TESTING/tapcount.awk" "$CON")
read -r _ _ _ kern <<<"$(head -1 <<<"$r")"
ok=0
[ "$rc" = 0 ] && [ "$kern" = 0 ] && ok=1
tap $ok "clean power-off (boot.sh rc=$rc), no oops/BUG/WARNING/panic"
[ "$kern" = 0 ] || tail -n +2 <<<"$r" | grep '^FAIL: kernel' | head -5 | sed 's/^/# /'
[ $fails = 0 ] || log "FAILED: see $CON"
exit $((fails > 0))
