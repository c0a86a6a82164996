#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The axvm demo that 'make run' (tools/testing/run.sh) runs in the emulated
# machine after 'insmod /axvcpu.ko', with build/<arch>/tools/ at /tools/:
# the bundled guest(s) on two vcpus, their output and exit status.
# Exit status: 0 when every guest ran and powered off cleanly.
AXVM=/tools/axvm
G=/tools/guests
rc=0

run() {
	echo "demo: \$ axvm run $*"
	"$AXVM" run "$@"
	r=$?
	echo "demo: axvm exit status $r"
	[ $r = 0 ] || rc=1
}

[ -x "$AXVM" ] || { echo "demo: $AXVM missing (make tools)"; exit 1; }
case "$(uname -m)" in
x86_64)
	run --cpus 2 --stats --kernel $G/hello.bin
	run --cpus 1 --mem 32M --cmdline "hello from axvm" --kernel $G/hello-mb.elf
	;;
*)
	run --cpus 2 --stats --kernel $G/hello.bin
	;;
esac
exit $rc
