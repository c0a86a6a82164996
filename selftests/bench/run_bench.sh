#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# run_bench.sh (installed by selftests/Makefile; run by tools/testing/bench.sh
# in a guest booted with --with-kvm): axvcpu first, then the module is
# unloaded and KVM loaded (x86: kvm_intel wants VMX too), then KVM; one
# "bench: <arch> <metric> axvcpu=.. kvm=.. ratio=.." line per metric.
cd "$(dirname "$0")"
KO=${AXVCPU_KO:-/axvcpu.ko}
AX=/tmp/bench.axvcpu KV=/tmp/bench.kvm
rm -f $AX $KV
case $(uname -m) in
x86_64) echo "# bench: x86_64 runs in Bochs on 1 CPU with clock sync=none, ips=100M: time is the emulated instruction count (10 ns per instruction), deterministic; ns/op / 10 = emulated instructions per op" ;;
*) echo "# bench: $(uname -m) runs in QEMU TCG: wall-clock times of an emulator, useful only as ratios" ;;
esac
[ -e /dev/axvcpu ] || insmod "$KO" || echo "# bench: insmod $KO failed"
./axbench axvcpu $AX
rmmod axvcpu || echo "# bench: rmmod axvcpu failed"
if [ -x /kvm/load.sh ] && /kvm/load.sh && [ -e /dev/kvm ]; then
	./axbench kvm $KV
else
	echo "# bench: KVM not available: no kvm numbers"
fi
./axbench report $AX $KV
