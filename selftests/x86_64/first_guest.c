// SPDX-License-Identifier: GPL-2.0
/*
 * first_guest (x86_64) - real guests at AXVCPU_SETUP's start (real mode,
 * CS base 0, entry 0x1000 in a slot at gpa 0): VMCALL -> HYPERCALL with
 * nr = RAX and args = RDI, RSI, RDX, RCX, R8, R9, ret completed into RAX;
 * HLT -> HALT; OUT/IN -> IO_WRITE/IO_READ with the IN completed into
 * AL/AX/EAX on the next RUN.
 */
#include <unistd.h>

#include "axvcpu_test_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9 };

GUEST_CODE(guest_vmcall);
GUEST_CODE(guest_io);

/* Real mode: 32-bit operands get the 0x66 prefix from .code16. */
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global guest_vmcall_start, guest_vmcall_end\n"
    "guest_vmcall_start:\n"
    "	mov $0x4c4c4143, %eax\n"	/* nr */
    "	mov $0x11111111, %edi\n"
    "	mov $0x22222222, %esi\n"
    "	mov $0x33333333, %edx\n"
    "	mov $0x44444444, %ecx\n"
    "	vmcall\n"
    "	mov %eax, 0x8000\n"	/* DS base 0: gpa 0x8000 */
    "	hlt\n"
    "	mov $0x600d, %ax\n"	/* after HALT, RUN continues here */
    "	mov %eax, 0x8004\n"
    "	hlt\n"
    "guest_vmcall_end:\n"

    ".global guest_io_start, guest_io_end\n"
    "guest_io_start:\n"
    "	mov $0x3f8, %dx\n"
    "	mov $0xffffff41, %eax\n"
    "	out %al, %dx\n"		/* IO_WRITE 0x3f8 w1 0x41 */
    "	mov $0xffff1234, %eax\n"
    "	out %ax, %dx\n"		/* IO_WRITE 0x3f8 w2 0x1234 */
    "	mov $0xdeadbeef, %eax\n"
    "	out %eax, %dx\n"	/* IO_WRITE 0x3f8 w4 0xdeadbeef */
    "	mov $0x5a, %al\n"
    "	out %al, $0x80\n"	/* IO_WRITE 0x80 w1 0x5a (imm8 port) */
    "	mov $0x11223344, %eax\n"
    "	mov $0x60, %dx\n"
    "	in %dx, %al\n"		/* IO_READ 0x60 w1 */
    "	mov %eax, 0x8000\n"
    "	mov $0x11223344, %eax\n"
    "	in %dx, %ax\n"		/* IO_READ 0x60 w2 */
    "	mov %eax, 0x8004\n"
    "	in %dx, %eax\n"		/* IO_READ 0x60 w4 */
    "	mov %eax, 0x8008\n"
    "	in $0x71, %al\n"	/* IO_READ 0x71 w1 (imm8 port) */
    "	mov %eax, 0x800c\n"
    "	hlt\n"
    "guest_io_end:\n"
    ".code64\n"
    ".popsection\n");

static __u32 guest_u32(struct test_vm *t, __u64 gpa)
{
	return *(volatile __u32 *)guest_ptr(t, gpa);
}

AXVCPU_ONE_VCPU_TEST_SUITE(global);

AXVCPU_ONE_VCPU_TEST(global, vmcall_hypercall_then_hlt, guest_vmcall)
{
	struct axvcpu_run *run;
	int i;

	run = vcpu->run;
	for (i = RAX; i <= R9; i++)
		if (i != RSP)
			vcpu_set_gpr(vcpu, i, 0);
	/* R8/R9 cannot be reached from real mode: the host sets them. */
	vcpu_set_gpr(vcpu, R8, 0x8888888888888888ULL);
	vcpu_set_gpr(vcpu, R9, 0x9999999999999999ULL);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(run->hypercall.nr, 0x4c4c4143);
	TEST_ASSERT_EQ(run->hypercall.args[0], 0x11111111);
	TEST_ASSERT_EQ(run->hypercall.args[1], 0x22222222);
	TEST_ASSERT_EQ(run->hypercall.args[2], 0x33333333);
	TEST_ASSERT_EQ(run->hypercall.args[3], 0x44444444);
	TEST_ASSERT_EQ(run->hypercall.args[4], 0x8888888888888888ULL);
	TEST_ASSERT_EQ(run->hypercall.args[5], 0x9999999999999999ULL);
	TEST_ASSERT_EQ(run->hypercall.ret, (__u64)-ENOSYS);
	/* VMX basic exit reason 18 = VMCALL. */
	TEST_ASSERT_EQ(run->hw_reason & 0xffff, 18);
	vcpu_assert_state(vcpu, AXVCPU_STATE_READY);

	run->hypercall.ret = 0x5a5aa5a5;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_u32(vm, 0x8000), 0x5a5aa5a5);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, RAX), 0x5a5aa5a5);
}

/* HLT completes: a RUN after the HALT exit resumes after the HLT. */
AXVCPU_ONE_VCPU_TEST(global, run_after_halt_resumes, guest_vmcall)
{
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	vcpu->run->hypercall.ret = 0x5a5aa5a5;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_u32(vm, 0x8004), 0x5a5a600d);
}

static void expect_io(struct test_vm *t, __u32 reason, __u16 port, __u8 width,
		      __u64 data)
{
	struct axvcpu_run *run = t->vcpu.run;

	vcpu_run(&t->vcpu);
	vcpu_assert_exit(&t->vcpu, reason);
	TEST_ASSERT(run->io.port == port && run->io.width == width &&
		    run->io.is_write == (reason == AXVCPU_EXIT_IO_WRITE),
		    "%s: port %#x width %u is_write %u, expected port %#x width %u",
		    axvm_exit_name(reason), run->io.port, run->io.width,
		    run->io.is_write, port, width);
	if (reason == AXVCPU_EXIT_IO_WRITE)
		TEST_ASSERT(run->io.data == data,
			    "OUT port %#x width %u: data %#llx, expected %#llx",
			    port, width, (unsigned long long)run->io.data,
			    (unsigned long long)data);
	else
		run->io.data = data;	/* the answer, applied on the next RUN */
}

AXVCPU_ONE_VCPU_TEST(global, io_out_in, guest_io)
{
	expect_io(vm, AXVCPU_EXIT_IO_WRITE, 0x3f8, 1, 0x41);
	expect_io(vm, AXVCPU_EXIT_IO_WRITE, 0x3f8, 2, 0x1234);
	expect_io(vm, AXVCPU_EXIT_IO_WRITE, 0x3f8, 4, 0xdeadbeef);
	expect_io(vm, AXVCPU_EXIT_IO_WRITE, 0x80, 1, 0x5a);
	expect_io(vm, AXVCPU_EXIT_IO_READ, 0x60, 1, 0xa5);
	expect_io(vm, AXVCPU_EXIT_IO_READ, 0x60, 2, 0xbeef);
	expect_io(vm, AXVCPU_EXIT_IO_READ, 0x60, 4, 0xcafef00d);
	expect_io(vm, AXVCPU_EXIT_IO_READ, 0x71, 1, 0x77);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	/* IN AL / IN AX keep the rest of EAX. */
	TEST_ASSERT_EQ(guest_u32(vm, 0x8000), 0x112233a5);
	TEST_ASSERT_EQ(guest_u32(vm, 0x8004), 0x1122beef);
	TEST_ASSERT_EQ(guest_u32(vm, 0x8008), 0xcafef00d);
	TEST_ASSERT_EQ(guest_u32(vm, 0x800c), 0xcafef077);
}

AXVCPU_ONE_VCPU_TEST(global, io_read_completed_with_immediate_exit, guest_io)
{
	expect_io(vm, AXVCPU_EXIT_IO_WRITE, 0x3f8, 1, 0x41);
	expect_io(vm, AXVCPU_EXIT_IO_WRITE, 0x3f8, 2, 0x1234);
	expect_io(vm, AXVCPU_EXIT_IO_WRITE, 0x3f8, 4, 0xdeadbeef);
	expect_io(vm, AXVCPU_EXIT_IO_WRITE, 0x80, 1, 0x5a);
	expect_io(vm, AXVCPU_EXIT_IO_READ, 0x60, 1, 0xa5);
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EINTR);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_INTR);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, RAX) & 0xffffffff, 0x112233a5);
	vcpu->run->immediate_exit = 0;
	/* The guest continues after the IN, not at it. */
	expect_io(vm, AXVCPU_EXIT_IO_READ, 0x60, 2, 0xbeef);
	TEST_ASSERT_EQ(guest_u32(vm, 0x8000), 0x112233a5);
}

AXVCPU_ONE_VCPU_TEST(global, initial_real_mode_state, guest_spin)
{
	struct axvcpu_x86_sregs sregs;
	struct axvcpu_x86_regs regs;
	long r;

	errno = 0;
	r = ioctl(vcpu->fd, AXVCPU_GET_X86_REGS, &regs);
	if (r && errno == ENOTTY)
		SKIP(goto out, "AXVCPU_GET_X86_REGS not implemented yet (ENOTTY)");
	TEST_ASSERT(r == 0, "GET_X86_REGS: ret %ld errno %d (%s)", r, errno,
		    errno_name(errno));
	TEST_ASSERT_EQ(regs.rip, GUEST_ENTRY);
	TEST_ASSERT(regs.rflags & 2, "rflags %#llx: bit 1 must be set",
		    (unsigned long long)regs.rflags);
	TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_GET_X86_SREGS, &sregs));
	TEST_ASSERT(!(sregs.cr0 & 1), "cr0 %#llx: PE set, not real mode",
		    (unsigned long long)sregs.cr0);
	TEST_ASSERT_EQ(sregs.cs.base, 0);
	TEST_ASSERT_EQ(sregs.ds.base, 0);
	TEST_ASSERT(!(sregs.efer & (1 << 10)), "efer %#llx: LMA set",
		    (unsigned long long)sregs.efer);
out:
}

TEST_HARNESS_MAIN
