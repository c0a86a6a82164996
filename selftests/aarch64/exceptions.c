// SPDX-License-Identifier: GPL-2.0
/*
 * exceptions (aarch64) - AXVCPU_ARM64_INJECT_EXCEPTION, taken by the
 * guest's own VBAR_EL1 vectors:
 *  - a synchronous external data abort after an MMIO read exit: reported
 *    on the load itself (ELR = the load, FAR = the address, EC 0x25, FSC
 *    external abort), the MMIO completion dropped;
 *  - an instruction abort (EC 0x21, FAR) and an UNDEF (EC 0);
 *  - a virtual SError with its syndrome, pending until the guest unmasks
 *    PSTATE.A, taken at VBAR_EL1 + 0x380;
 *  - bad arguments: -EINVAL;
 * an HVC at EL0, which the guest's EL1 takes as UNDEFINED; and reads of
 * newer extensions' registers, which never reach the real ones.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

GUEST_CODE(guest_exc);
extern const unsigned char exc_ldr[], exc_after_r1[], exc_after_r2[],
	exc_after_r3[], exc_serror_unmask[], exc_after_r4[];

#define EXC_MMIO	0x09000100ULL

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global guest_exc_start, guest_exc_end, exc_ldr, exc_after_r1\n"
    ".global exc_after_r2, exc_after_r3, exc_serror_unmask, exc_after_r4\n"
    "guest_exc_start:\n"
    GUEST_SET_VBAR(exc_vectors)
    MOV64("x19", "0x09000100")
    "	mov x20, #0x1234\n"
    "exc_ldr:\n"
    "	ldr x20, [x19]\n"			/* MMIO read; the VMM aborts it */
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, #1\n"
    "	mov x2, x20\n"
    "	hvc #0\n"
    "exc_after_r1:\n"
    "	nop\n"				/* IABT injected here; skipped */
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, #2\n"
    "	hvc #0\n"
    "exc_after_r2:\n"
    "	nop\n"				/* UNDEF injected here; skipped */
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, #3\n"
    "	hvc #0\n"
    "exc_after_r3:\n"
    "	isb\n"				/* SError injected: pending, masked */
    "exc_serror_unmask:\n"
    "	msr daifclr, #4\n"
    "	isb\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, #4\n"
    "	hvc #0\n"
    "exc_after_r4:\n"
    MOV64("x0", __stringify(GH_DONE))
    "	hvc #0\n"
    "	b .\n"
    GUEST_VECTORS(exc_vectors)
    "guest_exc_end:\n"
    ".popsection\n");

#define PC(l)	GUEST_ADDR(guest_exc_start, l)

GUEST_CODE(guest_exc_wr);
extern const unsigned char exc_str[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global guest_exc_wr_start, guest_exc_wr_end, exc_str\n"
    "guest_exc_wr_start:\n"
    GUEST_SET_VBAR(exc_wr_vectors)
    MOV64("x19", "0x09000100")
    "	mov x20, #0x77\n"
    "exc_str:\n"
    "	str x20, [x19]\n"			/* MMIO write; the VMM aborts it */
    MOV64("x0", __stringify(GH_DONE))
    "	hvc #0\n"
    "	b .\n"
    GUEST_VECTORS(exc_wr_vectors)
    "guest_exc_wr_end:\n"
    ".popsection\n");

GUEST_CODE(guest_el0_hvc);
extern const unsigned char el0_hvc[];

/* EL1 drops to EL0 (EL0t, interrupts masked), which tries HVC #0. */
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global guest_el0_hvc_start, guest_el0_hvc_end, el0_hvc\n"
    "guest_el0_hvc_start:\n"
    GUEST_SET_VBAR(el0_vectors)
    "	adr x0, el0_hvc\n"
    "	msr elr_el1, x0\n"
    "	mov x0, #0x3c0\n"		/* DAIF masked, EL0t */
    "	msr spsr_el1, x0\n"
    "	mov x0, #0x4e4f\n"		/* what a hypercall exit would show */
    "	eret\n"
    "el0_hvc:\n"
    "	hvc #0\n"
    "	b .\n"
    GUEST_VECTORS(el0_vectors)
    "guest_el0_hvc_end:\n"
    ".popsection\n");

/*
 * HVC is UNDEFINED at EL0 (Arm ARM, "HVC"; the hypervisor never sees it):
 * the guest's own EL1 takes an Unknown-reason exception from the lower EL
 * (VBAR_EL1 + 0x400, ESR EC 0, ELR the HVC), not the VMM a hypercall.
 */
TEST(hvc_from_el0_is_undefined_in_the_guest)
{
	struct test_vm t;
	struct axvcpu_run *run;

	test_vm_create(&t, guest_el0_hvc_start, GUEST_CODE_LEN(guest_el0_hvc));
	vcpu_run(&t.vcpu);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
	run = t.vcpu.run;
	TEST_ASSERT(run->hypercall.nr == GH_SYNC,
		    "HVC at EL0 reached the VMM as hypercall %#llx",
		    (unsigned long long)run->hypercall.nr);
	TEST_ASSERT((run->hypercall.args[0] >> 26) == 0 &&
		    run->hypercall.args[2] == GUEST_ADDR(guest_el0_hvc_start, el0_hvc) &&
		    run->hypercall.args[4] == 0x400,
		    "guest took ESR_EL1 %#llx ELR_EL1 %#llx at vector %#llx; expected EC 0 at the HVC (%#llx), vector 0x400",
		    (unsigned long long)run->hypercall.args[0],
		    (unsigned long long)run->hypercall.args[2],
		    (unsigned long long)run->hypercall.args[4],
		    (unsigned long long)GUEST_ADDR(guest_el0_hvc_start, el0_hvc));
	test_vm_destroy(&t);
}

GUEST_CODE(guest_newer_regs);
extern const unsigned char newer_mrs[];

/*
 * MRS of registers of extensions the backend does not offer: POR_EL1
 * (FEAT_S1POE), PIR_EL1 (FEAT_S1PIE), TCR2_EL1 (FEAT_TCR2), FPMR
 * (FEAT_FPMR), 4 bytes apart from newer_mrs.  x1 starts as a marker a
 * native read would overwrite.
 */
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global guest_newer_regs_start, guest_newer_regs_end, newer_mrs\n"
    "guest_newer_regs_start:\n"
    GUEST_SET_VBAR(newer_vectors)
    "newer_mrs:\n"
    "	mrs x6, s3_0_c10_c2_4\n"	/* POR_EL1 */
    "	mrs x6, s3_0_c10_c2_3\n"	/* PIR_EL1 */
    "	mrs x6, s3_0_c2_c0_3\n"	/* TCR2_EL1 */
    "	mrs x6, s3_3_c4_c4_2\n"	/* FPMR */
    MOV64("x0", __stringify(GH_DONE))
    "	hvc #0\n"
    "	b .\n"
    GUEST_VECTORS(newer_vectors)
    "guest_newer_regs_end:\n"
    ".popsection\n");

/*
 * Newer EL1/EL0 registers never reach the guest: each MRS is UNDEFINED in
 * the guest (a CPU without the extension, or the backend's HCRX_EL2 /
 * fine-grained traps turned into an UNDEF) or a SYSREG_READ exit; never a
 * read of the real register, which no one switches between guests.
 */
TEST(newer_sysregs_trap_or_undef)
{
	static const __u64 ids[] = {
		SYSREG_ID(3, 0, 10, 2, 4), SYSREG_ID(3, 0, 10, 2, 3),
		SYSREG_ID(3, 0, 2, 0, 3), SYSREG_ID(3, 3, 4, 4, 2),
	};
	struct axvcpu_run *run;
	struct test_vm t;
	unsigned int i;

	test_vm_create(&t, guest_newer_regs_start,
		       GUEST_CODE_LEN(guest_newer_regs));
	run = t.vcpu.run;
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		__u64 pc = GUEST_ADDR(guest_newer_regs_start, newer_mrs) + 4 * i;

		vcpu_run_timeout(&t.vcpu, 10);
		if (run->exit_reason == AXVCPU_EXIT_SYSREG_READ) {
			TEST_ASSERT(run->sysreg.addr == ids[i] && run->hw_rip == pc,
				    "MRS %u: SYSREG_READ of %#llx at %#llx",
				    i, (unsigned long long)run->sysreg.addr,
				    (unsigned long long)run->hw_rip);
			run->sysreg.value = 0;
			continue;
		}
		vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
		TEST_ASSERT(run->hypercall.nr == GH_SYNC &&
			    (run->hypercall.args[0] >> 26) == 0 &&
			    run->hypercall.args[2] == pc,
			    "MRS %u (%#llx) at %#llx: not UNDEFINED (hypercall %#llx, ESR %#llx, ELR %#llx): the guest read it",
			    i, (unsigned long long)ids[i], (unsigned long long)pc,
			    (unsigned long long)run->hypercall.nr,
			    (unsigned long long)run->hypercall.args[0],
			    (unsigned long long)run->hypercall.args[2]);
	}
	vcpu_run_timeout(&t.vcpu, 10);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(run->hypercall.nr, GH_DONE);
	test_vm_destroy(&t);
}

static void inject(struct axvm_vcpu *v, __u32 type, __u64 esr, __u64 addr)
{
	struct axvcpu_arm64_exception e = { .type = type, .esr = esr, .addr = addr };
	int r = ioctl(v->fd, AXVCPU_ARM64_INJECT_EXCEPTION, &e);

	TEST_ASSERT(r == 0, "INJECT_EXCEPTION type %u: ret %d errno %d (%s)", type,
		    r, errno, errno_name(errno));
}

static void expect_sync(struct axvm_vcpu *v, __u64 ec, __u64 far, __u64 elr)
{
	struct axvcpu_run *run = run_expect_hcall_to(v, GH_SYNC, 10);
	__u64 esr = run->hypercall.args[0];

	TEST_ASSERT((esr >> 26) == ec && run->hypercall.args[1] == far &&
		    run->hypercall.args[2] == elr && run->hypercall.args[4] == 0x200,
		    "guest took ESR_EL1 %#llx FAR_EL1 %#llx ELR_EL1 %#llx SPSR_EL1 %#llx at vector %#llx; expected EC %#llx FAR %#llx ELR %#llx at 0x200",
		    (unsigned long long)esr,
		    (unsigned long long)run->hypercall.args[1],
		    (unsigned long long)run->hypercall.args[2],
		    (unsigned long long)run->hypercall.args[3],
		    (unsigned long long)run->hypercall.args[4],
		    (unsigned long long)ec, (unsigned long long)far,
		    (unsigned long long)elr);
}

TEST(injected_aborts_undef_serror)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 esr;

	vm = vm_create_with_one_vcpu(&vcpu, guest_exc);
	run = vcpu->run;

	vcpu_run_timeout(vcpu, 10);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_MMIO_READ);
	TEST_ASSERT_EQ(run->mmio.addr, EXC_MMIO);
	run->mmio.data = 0x5555;	/* must not land */
	inject(vcpu, AXVCPU_ARM64_EXC_DABT, 0, EXC_MMIO);
	expect_sync(vcpu, 0x25, EXC_MMIO, PC(exc_ldr));
	esr = run->hypercall.args[0];
	TEST_ASSERT((esr & 0x3f) == 0x10 && (esr & (1 << 25)) && !(esr & (1 << 6)),
		    "DABT ESR_EL1 %#llx: DFSC not 0x10 (synchronous external abort), IL clear or WnR set for a load",
		    (unsigned long long)esr);
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 1);
	TEST_ASSERT(run->hypercall.args[1] == 0x1234,
		    "x20 = %#llx after the aborted load: the MMIO completion landed",
		    (unsigned long long)run->hypercall.args[1]);

	inject(vcpu, AXVCPU_ARM64_EXC_IABT, 0, 0x40001230);
	expect_sync(vcpu, 0x21, 0x40001230, PC(exc_after_r1));
	TEST_ASSERT_EQ(run->hypercall.args[0] & 0x3f, 0x10);
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 2);

	inject(vcpu, AXVCPU_ARM64_EXC_UNDEF, 0, 0);
	vcpu_run_timeout(vcpu, 10);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT(run->hypercall.nr == GH_SYNC &&
		    (run->hypercall.args[0] >> 26) == 0 &&
		    run->hypercall.args[2] == PC(exc_after_r2),
		    "UNDEF: nr %#llx ESR_EL1 %#llx ELR_EL1 %#llx, expected GH_SYNC EC 0 ELR %#llx",
		    (unsigned long long)run->hypercall.nr,
		    (unsigned long long)run->hypercall.args[0],
		    (unsigned long long)run->hypercall.args[2],
		    (unsigned long long)PC(exc_after_r2));
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 3);

	/* SError: masked (PSTATE.A) until the guest's msr daifclr. */
	inject(vcpu, AXVCPU_ARM64_EXC_SERROR, 0x1abcdef, 0);
	run_expect_hcall_to(vcpu, GH_SERROR, 10);
	esr = run->hypercall.args[0];
	TEST_ASSERT((esr >> 26) == 0x2f && (esr & 0x1ffffff) == 0x1abcdef,
		    "SError ESR_EL1 %#llx, expected EC 0x2f ISS 0x1abcdef",
		    (unsigned long long)esr);
	/* Taken right after the unmask, not before it. */
	TEST_ASSERT(run->hypercall.args[1] >= PC(exc_serror_unmask) &&
		    run->hypercall.args[1] <= PC(exc_serror_unmask) + 8,
		    "SError ELR_EL1 %#llx, expected just after %#llx",
		    (unsigned long long)run->hypercall.args[1],
		    (unsigned long long)PC(exc_serror_unmask));
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 4);
	run_expect_hcall_to(vcpu, GH_DONE, 10);
	test_vm_free(vm);
}

/* An abort injected on an MMIO store says so: ESR_EL1.WnR set. */
TEST(injected_abort_on_store_has_wnr)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 esr;

	vm = vm_create_with_one_vcpu(&vcpu, guest_exc_wr);
	run = vcpu->run;
	vcpu_run_timeout(vcpu, 10);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_MMIO_WRITE);
	TEST_ASSERT_EQ(run->mmio.addr, EXC_MMIO);
	TEST_ASSERT_EQ(run->mmio.data, 0x77);
	inject(vcpu, AXVCPU_ARM64_EXC_DABT, 0, EXC_MMIO);
	expect_sync(vcpu, 0x25, EXC_MMIO,
		    GUEST_ADDR(guest_exc_wr_start, exc_str));
	esr = run->hypercall.args[0];
	TEST_ASSERT((esr & 0x3f) == 0x10 && (esr & (1 << 6)),
		    "DABT on a store: ESR_EL1 %#llx, expected DFSC 0x10 and WnR",
		    (unsigned long long)esr);
	run_expect_hcall_to(vcpu, GH_DONE, 10);
	test_vm_free(vm);
}

GUEST_CODE(guest_cntp);
extern const unsigned char cntp_msr[], cntp_mrs[];

/* CNTP_CTL_EL0 traps (no passthrough_timer): one write, one read. */
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global guest_cntp_start, guest_cntp_end, cntp_msr, cntp_mrs\n"
    "guest_cntp_start:\n"
    GUEST_SET_VBAR(cntp_vectors)
    "	mov x6, #1\n"
    "cntp_msr:\n"
    "	msr cntp_ctl_el0, x6\n"
    "	mov x6, #0x5a\n"
    "cntp_mrs:\n"
    "	mrs x6, cntp_ctl_el0\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x6\n"
    "	hvc #0\n"
    "	b .\n"
    GUEST_VECTORS(cntp_vectors)
    "guest_cntp_end:\n"
    ".popsection\n");

/*
 * A VMM without the register sets sysreg.fault: the guest takes an UNDEF
 * at the MSR / MRS itself, as on a CPU without it, and the read's
 * destination keeps its value (x6 = 0x5a reported after the handler
 * skipped the MRS).
 */
TEST(sysreg_fault_from_the_vmm_is_undef_at_the_instruction)
{
	struct axvcpu_run *run;
	struct test_vm t;

	test_vm_create(&t, guest_cntp_start, GUEST_CODE_LEN(guest_cntp));
	run = t.vcpu.run;
	vcpu_run_timeout(&t.vcpu, 10);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_SYSREG_WRITE);
	TEST_ASSERT_EQ(run->sysreg.fault, 0);
	run->sysreg.fault = 1;
	expect_sync(&t.vcpu, 0, 0, GUEST_ADDR(guest_cntp_start, cntp_msr));
	vcpu_run_timeout(&t.vcpu, 10);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_SYSREG_READ);
	TEST_ASSERT_EQ(run->sysreg.fault, 0);	/* preset for each exit */
	run->sysreg.value = 0x1234;
	run->sysreg.fault = 1;
	expect_sync(&t.vcpu, 0, 0, GUEST_ADDR(guest_cntp_start, cntp_mrs));
	run = run_expect_hcall_to(&t.vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 0x5a);
	test_vm_destroy(&t);
}

TEST(inject_exception_bad_args)
{
	struct axvcpu_arm64_exception e = { 0 };
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	e.type = 0;
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_ARM64_INJECT_EXCEPTION, &e), EINVAL);
	e.type = 99;
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_ARM64_INJECT_EXCEPTION, &e), EINVAL);
	e.type = AXVCPU_ARM64_EXC_DABT;
	e.pad = 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_ARM64_INJECT_EXCEPTION, &e), EINVAL);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
