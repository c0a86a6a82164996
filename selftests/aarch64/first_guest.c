// SPDX-License-Identifier: GPL-2.0
/*
 * first_guest (aarch64) - real EL1 guests at IPA 0x40000000: HVC #0 ->
 * HYPERCALL {nr = x0, args = x1..x6}, ret completed into x0 on the next RUN;
 * WFI -> HALT; loads and stores outside every slot -> MMIO_WRITE/MMIO_READ
 * with addr, width, reg, data, and read completion with sign extension and
 * register width.
 */
#include <unistd.h>

#include "axvcpu_test_harness.h"
#include "axvcpu_util.h"

GUEST_CODE(guest_hvc);
GUEST_CODE(guest_mmio);

#define MMIO_BASE	0x09000000ULL	/* no slot there */

/* mov64 reg, imm: four movz/movk, no literal pool. */
#define MOV64(reg, imm)							\
	"	movz " reg ", #((" imm ") & 0xffff)\n"			\
	"	movk " reg ", #(((" imm ") >> 16) & 0xffff), lsl #16\n"	\
	"	movk " reg ", #(((" imm ") >> 32) & 0xffff), lsl #32\n"	\
	"	movk " reg ", #(((" imm ") >> 48) & 0xffff), lsl #48\n"

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_hvc_start, guest_hvc_end\n"
    "guest_hvc_start:\n"
    MOV64("x0", "0x4c4c4143")
    MOV64("x1", "0x1111111111111111")
    MOV64("x2", "0x2222222222222222")
    MOV64("x3", "0x3333333333333333")
    MOV64("x4", "0x4444444444444444")
    MOV64("x5", "0x5555555555555555")
    MOV64("x6", "0x6666666666666666")
    "	hvc #0\n"
    MOV64("x9", "0x40008000")
    "	str x0, [x9]\n"
    "	wfi\n"
    "	mov x0, #0x600d\n"	/* after HALT, RUN continues here */
    "	str x0, [x9, #8]\n"
    "	wfi\n"
    "	b .\n"
    "guest_hvc_end:\n"

    ".balign 4\n"
    ".global guest_mmio_start, guest_mmio_end\n"
    "guest_mmio_start:\n"
    MOV64("x9", "0x40008000")
    MOV64("x2", "0x09000000")
    MOV64("x3", "0xffffffffdeadbeef")
    "	str w3, [x2]\n"		/* MMIO_WRITE 0x9000000 w4 reg 3 0xdeadbeef */
    "	strb w3, [x2, #1]\n"	/* MMIO_WRITE 0x9000001 w1 reg 3 0xef */
    "	str x3, [x2, #8]\n"	/* MMIO_WRITE 0x9000008 w8 reg 3 */
    "	mov x4, #-1\n"
    "	ldr w4, [x2, #4]\n"	/* MMIO_READ 0x9000004 w4 reg 4 */
    "	str x4, [x9]\n"
    "	ldrsb x5, [x2, #8]\n"	/* MMIO_READ w1 reg 5, sign-extended to 64 */
    "	str x5, [x9, #8]\n"
    "	mov x6, #-1\n"
    "	ldrh w6, [x2, #16]\n"	/* MMIO_READ w2 reg 6, zero-extended */
    "	str x6, [x9, #16]\n"
    "	ldr x7, [x2, #24]\n"	/* MMIO_READ w8 reg 7 */
    "	str x7, [x9, #24]\n"
    "	wfi\n"
    "	b .\n"
    "guest_mmio_end:\n"
    ".popsection\n");

static __u64 guest_u64(struct test_vm *t, __u64 gpa)
{
	return *(volatile __u64 *)guest_ptr(t, gpa);
}

AXVCPU_ONE_VCPU_TEST_SUITE(global);

AXVCPU_ONE_VCPU_TEST(global, hvc_hypercall_then_wfi, guest_hvc)
{
	struct axvcpu_run *run;
	int i;

	run = vcpu->run;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(run->hypercall.nr, 0x4c4c4143);
	for (i = 0; i < 6; i++)
		TEST_ASSERT(run->hypercall.args[i] == 0x1111111111111111ULL * (i + 1),
			    "args[%d] = %#llx, expected x%d = %#llx", i,
			    (unsigned long long)run->hypercall.args[i], i + 1,
			    0x1111111111111111ULL * (i + 1));
	TEST_ASSERT_EQ(run->hypercall.ret, (__u64)-ENOSYS);
	/* ESR_EL2.EC = 0x16: HVC64. */
	TEST_ASSERT_EQ((run->hw_reason >> 26) & 0x3f, 0x16);
	vcpu_assert_state(vcpu, AXVCPU_STATE_READY);

	run->hypercall.ret = 0x0123456789abcdefLL;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_u64(vm, 0x40008000), 0x0123456789abcdefULL);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, 0), 0x0123456789abcdefULL);
}

/* WFI completes: a RUN after the HALT exit resumes after the WFI. */
AXVCPU_ONE_VCPU_TEST(global, run_after_halt_resumes, guest_hvc)
{
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_u64(vm, 0x40008008), 0x600d);
}

static void expect_mmio(struct test_vm *t, __u32 reason, __u64 addr,
			__u32 width, __u32 reg, __u64 data)
{
	struct axvcpu_run *run = t->vcpu.run;

	vcpu_run(&t->vcpu);
	vcpu_assert_exit(&t->vcpu, reason);
	TEST_ASSERT(run->mmio.addr == addr && run->mmio.width == width &&
		    run->mmio.reg == reg &&
		    run->mmio.is_write == (reason == AXVCPU_EXIT_MMIO_WRITE),
		    "%s: addr %#llx width %u reg %u is_write %u, expected addr %#llx width %u reg %u",
		    axvm_exit_name(reason), (unsigned long long)run->mmio.addr,
		    run->mmio.width, run->mmio.reg, run->mmio.is_write,
		    (unsigned long long)addr, width, reg);
	if (reason == AXVCPU_EXIT_MMIO_WRITE)
		TEST_ASSERT(run->mmio.data == data,
			    "store to %#llx width %u: data %#llx, expected %#llx",
			    (unsigned long long)addr, width,
			    (unsigned long long)run->mmio.data,
			    (unsigned long long)data);
	else
		run->mmio.data = data;
}

AXVCPU_ONE_VCPU_TEST(global, mmio_write_read, guest_mmio)
{
	struct axvcpu_run *run;

	run = vcpu->run;
	expect_mmio(vm, AXVCPU_EXIT_MMIO_WRITE, MMIO_BASE, 4, 3, 0xdeadbeef);
	expect_mmio(vm, AXVCPU_EXIT_MMIO_WRITE, MMIO_BASE + 1, 1, 3, 0xef);
	expect_mmio(vm, AXVCPU_EXIT_MMIO_WRITE, MMIO_BASE + 8, 8, 3,
		    0xffffffffdeadbeefULL);
	expect_mmio(vm, AXVCPU_EXIT_MMIO_READ, MMIO_BASE + 4, 4, 4, 0xfeedbeef);
	TEST_ASSERT(run->mmio.sign_ext == 0, "ldr w4: sign_ext %u", run->mmio.sign_ext);
	TEST_ASSERT(run->mmio.reg_width == 4, "ldr w4: reg_width %u", run->mmio.reg_width);
	expect_mmio(vm, AXVCPU_EXIT_MMIO_READ, MMIO_BASE + 8, 1, 5, 0x80);
	TEST_ASSERT(run->mmio.sign_ext == 1, "ldrsb x5: sign_ext %u", run->mmio.sign_ext);
	TEST_ASSERT(run->mmio.reg_width == 8, "ldrsb x5: reg_width %u", run->mmio.reg_width);
	expect_mmio(vm, AXVCPU_EXIT_MMIO_READ, MMIO_BASE + 16, 2, 6, 0x8001);
	expect_mmio(vm, AXVCPU_EXIT_MMIO_READ, MMIO_BASE + 24, 8, 7,
		    0x0123456789abcdefULL);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	/* A 32-bit load zero-extends into the X register. */
	TEST_ASSERT_EQ(guest_u64(vm, 0x40008000), 0xfeedbeefULL);
	TEST_ASSERT_EQ(guest_u64(vm, 0x40008008), 0xffffffffffffff80ULL);
	TEST_ASSERT_EQ(guest_u64(vm, 0x40008010), 0x8001ULL);
	TEST_ASSERT_EQ(guest_u64(vm, 0x40008018), 0x0123456789abcdefULL);
}

AXVCPU_ONE_VCPU_TEST(global, mmio_read_completed_with_immediate_exit, guest_mmio)
{
	expect_mmio(vm, AXVCPU_EXIT_MMIO_WRITE, MMIO_BASE, 4, 3, 0xdeadbeef);
	expect_mmio(vm, AXVCPU_EXIT_MMIO_WRITE, MMIO_BASE + 1, 1, 3, 0xef);
	expect_mmio(vm, AXVCPU_EXIT_MMIO_WRITE, MMIO_BASE + 8, 8, 3,
		    0xffffffffdeadbeefULL);
	expect_mmio(vm, AXVCPU_EXIT_MMIO_READ, MMIO_BASE + 4, 4, 4, 0xfeedbeef);
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EINTR);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_INTR);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, 4), 0xfeedbeefULL);
	vcpu->run->immediate_exit = 0;
	/* The guest continues after the load. */
	expect_mmio(vm, AXVCPU_EXIT_MMIO_READ, MMIO_BASE + 8, 1, 5, 0x80);
	TEST_ASSERT_EQ(guest_u64(vm, 0x40008000), 0xfeedbeefULL);
}

AXVCPU_ONE_VCPU_TEST(global, initial_el1_state, guest_spin)
{
	struct axvcpu_arm64_regs regs;
	long r;

	errno = 0;
	r = ioctl(vcpu->fd, AXVCPU_GET_ARM64_REGS, &regs);
	if (r && errno == ENOTTY)
		SKIP(goto out, "AXVCPU_GET_ARM64_REGS not implemented yet (ENOTTY)");
	TEST_ASSERT(r == 0, "GET_ARM64_REGS: ret %ld errno %d (%s)", r, errno,
		    errno_name(errno));
	TEST_ASSERT_EQ(regs.pc, GUEST_ENTRY);
	/* EL1h (M = 0b0101) with D, A, I, F masked: 0x3c5. */
	TEST_ASSERT_EQ(regs.pstate & 0x3cf, 0x3c5);
out:
}

TEST_HARNESS_MAIN
