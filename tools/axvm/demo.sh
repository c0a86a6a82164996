#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The axvm demo that 'make run' (tools/testing/run.sh) runs in the emulated
# machine after 'insmod /axvcpu.ko', with build/<arch>/tools/ at /tools/:
# the bundled guest(s) on two vcpus, their output and exit status, then
# Debian's Linux booted from an ext4 root disk to a logged-in session.
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
	kernel=$G/linux/vmlinux console=ttyS0
	;;
*)
	run --cpus 2 --stats --kernel $G/hello.bin
	kernel=$G/linux/Image console=ttyAMA0
	;;
esac
# Debian's own kernel from an ext4 root disk on virtio-blk: root is logged
# in on the console and runs a short session, then powers off.
if [ -s $G/linux/rootfs.ext4 ] && [ -s "$kernel" ]; then
	cp $G/linux/rootfs.ext4 /tmp/rootfs.ext4
	run --cpus 2 --mem 256M --disk /tmp/rootfs.ext4 \
		--initrd $G/linux/initrd.cpio --kernel "$kernel" \
		--cmdline "console=$console quiet axvm.root=/dev/vda"
else
	echo "demo: no $G/linux/rootfs.ext4 or $kernel (make tools before the rig fetched the kernel?)"
fi
exit $rc
