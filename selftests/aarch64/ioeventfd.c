// SPDX-License-Identifier: GPL-2.0
/*
 * ioeventfd (aarch64) - AXVCPU_IOEVENTFD: guest MMIO writes that signal an
 * eventfd inside the module, with no exit to the VMM.
 *
 * The guest writes 5 to 0x0a000000 ten times, then 7 once, then reports
 * done.  Checked: with an ioeventfd of any width there, RUN's first exit
 * is the final hypercall and the eventfd counts 11 (so does the
 * ioeventfd builtin counter); with DATAMATCH 7, the ten writes of 5 exit
 * as MMIO_WRITE and only the 7 is taken; one of another width does not
 * match; after DEASSIGN every write exits again; bad arguments are
 * refused with the errno the ABI names.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

#define IOEV_ADDR	0x0a000000ULL

GUEST_CODE(guest_ioev);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_ioev_start, guest_ioev_end\n"
    "guest_ioev_start:\n"
    MOV64("x19", __stringify(IOEV_ADDR))
    "	mov x20, #10\n"
    "	mov w1, #5\n"
    "1:	str w1, [x19]\n"
    "	subs x20, x20, #1\n"
    "	b.ne 1b\n"
    "	mov w1, #7\n"
    "	str w1, [x19]\n"
    MOV64("x0", __stringify(GH_DONE))
    "	hvc #0\n"
    "	b .\n"
    "guest_ioev_end:\n"
    ".popsection\n");

/* Runs the guest to its end; returns the MMIO_WRITE exits on the way. */
static int run_to_done(struct test_vm *t)
{
	struct axvcpu_run *run = t->vcpu.run;
	int n = 0;

	for (;;) {
		vcpu_run_timeout(&t->vcpu, 10);
		if (run->exit_reason == AXVCPU_EXIT_MMIO_WRITE) {
			TEST_ASSERT(run->mmio.addr == IOEV_ADDR && run->mmio.width == 4,
				    "MMIO_WRITE at %#llx width %u",
				    (unsigned long long)run->mmio.addr, run->mmio.width);
			n++;
			continue;
		}
		vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HYPERCALL);
		TEST_ASSERT_EQ(run->hypercall.nr, GH_DONE);
		return n;
	}
}

TEST(any_width_takes_every_write)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	ASSERT_GE(fd, 0);
	vm = vm_create_with_one_vcpu(&vcpu, guest_ioev);
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 0, fd, 0, 0));
	EXPECT_EQ(0, run_to_done(vm));
	EXPECT_EQ(11, eventfd_take(fd));
	EXPECT_EQ(11, vcpu->run->stats.builtin[AXVCPU_BUILTIN_IOEVENTFD]);
	EXPECT_EQ(0, vcpu->run->stats.exits[AXVCPU_EXIT_MMIO_WRITE]);
	test_vm_free(vm);
	close(fd);
}

TEST(datamatch_width_and_deassign)
{
	int fd = eventfd(0, EFD_NONBLOCK), fd8 = eventfd(0, EFD_NONBLOCK);
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	ASSERT_GE(fd, 0);
	ASSERT_GE(fd8, 0);
	vm = vm_create_with_one_vcpu(&vcpu, guest_ioev);
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 4, fd, AXVCPU_IOEVENTFD_DATAMATCH, 7));
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 8, fd8, 0, 0));	/* never 8 bytes */
	EXPECT_EQ(10, run_to_done(vm));
	EXPECT_EQ(1, eventfd_take(fd));
	EXPECT_EQ(0, eventfd_take(fd8));
	test_vm_free(vm);

	vm = vm_create_with_one_vcpu(&vcpu, guest_ioev);
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 0, fd, 0, 0));
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 0, fd, AXVCPU_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(11, run_to_done(vm));
	EXPECT_EQ(0, eventfd_take(fd));
	test_vm_free(vm);
	close(fd);
	close(fd8);
}

TEST(bad_arguments)
{
	int fd = eventfd(0, EFD_NONBLOCK), other = eventfd(0, 0);
	struct axvcpu_ioeventfd a = { .addr = IOEV_ADDR, .len = 4 };
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	ASSERT_GE(fd, 0);
	vm = vm_create_with_one_vcpu(&vcpu, guest_ioev);
	EXPECT_EQ(-EINVAL, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 3, fd, 0, 0));
	EXPECT_EQ(-EINVAL, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 4, fd, 1U << 7, 0));
	EXPECT_EQ(-EINVAL, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 0, fd,
				AXVCPU_IOEVENTFD_DATAMATCH, 1));
	EXPECT_EQ(-EINVAL, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 2, fd,
				AXVCPU_IOEVENTFD_DATAMATCH, 0x10000));
	EXPECT_EQ(-EINVAL, axvm_vm_ioeventfd(&vm->vm, 0x10000, 1, fd, AXVCPU_IOEVENTFD_PIO, 0));
	EXPECT_EQ(-EBADF, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 4, -1, 0, 0));
	EXPECT_EQ(-EINVAL, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 4, vm->vm.fd, 0, 0));
	a.fd = fd;
	a.pad = 1;
	EXPECT_EQ(-1, ioctl(vm->vm.fd, AXVCPU_IOEVENTFD, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 4, fd, 0, 0));
	EXPECT_EQ(-EEXIST, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 4, other, 0, 0));
	EXPECT_EQ(-ENOENT, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 4, other,
				AXVCPU_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(-ENOENT, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 2, fd,
				AXVCPU_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(-EFAULT, ioctl(vm->vm.fd, AXVCPU_IOEVENTFD, NULL) ? -errno : 0);
	/* Closing the VM with one assigned frees it (no leak, no oops). */
	test_vm_free(vm);
	close(fd);
	close(other);
}

TEST_HARNESS_MAIN
