// SPDX-License-Identifier: GPL-2.0
/*
 * run_page (aarch64) - the run page is the VMM's to scribble on: what the
 * next RUN writes back into the guest comes from the module's own decode
 * of the exit.  After an MMIO read (LDRSH w5), the VMM rewrites
 * exit_reason, reg, width, reg_width and sign_ext: the answer still lands
 * in w5, sign-extended from 16 bits into a W register, no other register
 * changes, and the vcpu stays Ready.  The same for a sysreg read.
 */
#include "axvcpu_test_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

GUEST_CODE(guest_ldrsh);
GUEST_CODE(guest_mrs);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 16\n"
    ".global guest_ldrsh_start, guest_ldrsh_end\n"
    "guest_ldrsh_start:\n"
    MOV64("x6", "0x6666666666666666")
    "	movz x9, #0x0900, lsl #16\n"		/* 0x09000000: no slot */
    "	ldrsh w5, [x9]\n"
    "	mov x1, x5\n"
    "	mov x2, x6\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"
    "1:	b 1b\n"
    "guest_ldrsh_end:\n"

    ".balign 16\n"
    ".global guest_mrs_start, guest_mrs_end\n"
    "guest_mrs_start:\n"
    MOV64("x8", "0x8888888888888888")
    "	mrs x7, pmccntr_el0\n"		/* MDCR_EL2.TPM: to the VMM */
    "	mov x1, x7\n"
    "	mov x2, x8\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"
    "1:	b 1b\n"
    "guest_mrs_end:\n"
    ".popsection\n");

AXVCPU_ONE_VCPU_TEST_SUITE(global);

AXVCPU_ONE_VCPU_TEST(global, mmio_completion_ignores_run_page_edits, guest_ldrsh)
{
	struct axvcpu_run *run;

	run = vcpu->run;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_MMIO_READ);
	TEST_ASSERT_EQ(run->mmio.reg, 5);
	TEST_ASSERT_EQ(run->mmio.width, 2);
	TEST_ASSERT_EQ(run->mmio.sign_ext, 1);

	run->mmio.data = 0x8001;
	run->exit_reason = AXVCPU_EXIT_HYPERCALL;
	run->mmio.reg = 6;
	run->mmio.width = 8;
	run->mmio.reg_width = 8;
	run->mmio.sign_ext = 0;
	run = run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT(run->hypercall.args[0] == 0xffff8001ULL,
		    "w5 = %#llx, expected 0xffff8001 (LDRSH into a W register)",
		    (unsigned long long)run->hypercall.args[0]);
	TEST_ASSERT(run->hypercall.args[1] == 0x6666666666666666ULL,
		    "x6 changed to %#llx", (unsigned long long)run->hypercall.args[1]);
	vcpu_assert_state(vcpu, AXVCPU_STATE_READY);
}

AXVCPU_ONE_VCPU_TEST(global, sysreg_completion_ignores_run_page_edits, guest_mrs)
{
	struct axvcpu_run *run;

	run = vcpu->run;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSREG_READ);
	TEST_ASSERT_EQ(run->sysreg.reg, 7);

	run->sysreg.value = 0x1234;
	run->sysreg.reg = 8;
	run->exit_reason = AXVCPU_EXIT_MMIO_READ;
	run = run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT(run->hypercall.args[0] == 0x1234,
		    "x7 = %#llx, expected the VMM's 0x1234",
		    (unsigned long long)run->hypercall.args[0]);
	TEST_ASSERT(run->hypercall.args[1] == 0x8888888888888888ULL,
		    "x8 changed to %#llx", (unsigned long long)run->hypercall.args[1]);
	vcpu_assert_state(vcpu, AXVCPU_STATE_READY);
}

TEST_HARNESS_MAIN
