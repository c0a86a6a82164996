// SPDX-License-Identifier: GPL-2.0
/*
 * ioeventfd (x86_64) - AXVCPU_IOEVENTFD on MMIO and ports: guest writes
 * that signal an eventfd inside the module, with no exit to the VMM.
 *
 * The real-mode guest writes the dword 5 to 0xd0000 ten times, then 7
 * once, then the byte 0x33 to port 0x510, then halts.  Checked: with an
 * ioeventfd of any width on the address and one on the port, RUN's first
 * exit is the HLT and the eventfds count 11 and 1; with DATAMATCH 7 the
 * ten writes of 5 exit as MMIO_WRITE; a port ioeventfd of another width
 * does not match (IO_WRITE exit); after DEASSIGN every write exits.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

#define IOEV_ADDR	0xd0000ULL
#define IOEV_PORT	0x510

GUEST_CODE(g_ioev);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_ioev_start, g_ioev_end\n"
    "g_ioev_start:\n"
    "	mov $0xd000, %ax\n"
    "	mov %ax, %ds\n"
    "	mov $10, %cx\n"
    "1:	movl $5, 0\n"
    "	loop 1b\n"
    "	movl $7, 0\n"
    "	mov $" __stringify(IOEV_PORT) ", %dx\n"
    "	mov $0x33, %al\n"
    "	outb %al, %dx\n"
    "	hlt\n"
    "g_ioev_end:\n"
    ".code64\n"
    ".popsection\n");

/* To the HLT; counts the MMIO_WRITE and IO_WRITE exits on the way. */
static void run_to_hlt(struct test_vm *t, int *mmio, int *io)
{
	struct axvcpu_run *run = t->vcpu.run;

	*mmio = *io = 0;
	for (;;) {
		vcpu_run(&t->vcpu);
		if (run->exit_reason == AXVCPU_EXIT_MMIO_WRITE) {
			TEST_ASSERT(run->mmio.addr == IOEV_ADDR && run->mmio.width == 4,
				    "MMIO_WRITE at %#llx width %u",
				    (unsigned long long)run->mmio.addr, run->mmio.width);
			(*mmio)++;
			continue;
		}
		if (run->exit_reason == AXVCPU_EXIT_IO_WRITE) {
			TEST_ASSERT(run->io.port == IOEV_PORT && run->io.width == 1 &&
				    run->io.data == 0x33, "IO_WRITE port %#x width %u",
				    run->io.port, run->io.width);
			(*io)++;
			continue;
		}
		vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HALT);
		return;
	}
}

TEST(mmio_and_port_writes_signal_without_exits)
{
	int fd = eventfd(0, EFD_NONBLOCK), pfd = eventfd(0, EFD_NONBLOCK);
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int mmio, io;

	ASSERT_GE(fd, 0);
	ASSERT_GE(pfd, 0);
	vm = vm_create_with_one_vcpu(&vcpu, g_ioev);
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 0, fd, 0, 0));
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_PORT, 1, pfd, AXVCPU_IOEVENTFD_PIO, 0));
	run_to_hlt(vm, &mmio, &io);
	EXPECT_EQ(0, mmio);
	EXPECT_EQ(0, io);
	EXPECT_EQ(11, eventfd_take(fd));
	EXPECT_EQ(1, eventfd_take(pfd));
	EXPECT_EQ(12, vcpu->run->stats.builtin[AXVCPU_BUILTIN_IOEVENTFD]);
	test_vm_free(vm);
	close(fd);
	close(pfd);
}

TEST(datamatch_width_and_deassign)
{
	int fd = eventfd(0, EFD_NONBLOCK), pfd = eventfd(0, EFD_NONBLOCK);
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int mmio, io;

	ASSERT_GE(fd, 0);
	ASSERT_GE(pfd, 0);
	vm = vm_create_with_one_vcpu(&vcpu, g_ioev);
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_ADDR, 4, fd, AXVCPU_IOEVENTFD_DATAMATCH, 7));
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_PORT, 2, pfd, AXVCPU_IOEVENTFD_PIO, 0));
	run_to_hlt(vm, &mmio, &io);
	EXPECT_EQ(10, mmio);
	EXPECT_EQ(1, io);
	EXPECT_EQ(1, eventfd_take(fd));
	EXPECT_EQ(0, eventfd_take(pfd));
	test_vm_free(vm);

	vm = vm_create_with_one_vcpu(&vcpu, g_ioev);
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_PORT, 1, pfd, AXVCPU_IOEVENTFD_PIO, 0));
	ASSERT_EQ(0, axvm_vm_ioeventfd(&vm->vm, IOEV_PORT, 1, pfd,
			  AXVCPU_IOEVENTFD_PIO | AXVCPU_IOEVENTFD_DEASSIGN, 0));
	run_to_hlt(vm, &mmio, &io);
	EXPECT_EQ(11, mmio);
	EXPECT_EQ(1, io);
	test_vm_free(vm);
	close(fd);
	close(pfd);
}

TEST_HARNESS_MAIN
