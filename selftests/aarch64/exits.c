// SPDX-License-Identifier: GPL-2.0
/*
 * exits (aarch64) - every exit a guest can cause, with its fields:
 *  - MMIO stores of 1/2/4/8 bytes (data cut to the access width), XZR as
 *    the source; loads of 1/2/4/8 bytes, signed loads LDRSB/LDRSH/LDRSW
 *    into W and X registers, a load into XZR; completion into the guest;
 *  - nested page faults: LDP/STP and writeback forms (ISV = 0), an
 *    instruction fetch from an unmapped IPA, a write to a read-only slot;
 *    the VMM adding the missing slot lets the guest go on;
 *  - MSR/MRS traps -> SYSREG_READ/WRITE (the ESR_EL2 ISS encoding), read
 *    completion; ID registers answered in the module with SVE/SME/PAuth/
 *    EL2 hidden;
 *  - ICC_SGI1R_EL1 writes -> SEND_IPI (affinity, target list, range
 *    selector, IRM);
 *  - WFI -> HALT; WFE loops stay in the guest.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

GUEST_CODE(guest_mmio_all);
GUEST_CODE(guest_npf);
GUEST_CODE(guest_sysreg);
GUEST_CODE(guest_ipi_wfx);
extern const unsigned char mmio_first_insn[], npf_ldp[], npf_stp[],
	npf_wb[], npf_blr[], npf_ro_str[], npf_ro_strb[], sysreg_first[];

#define MMIO_BASE	0x09000000ULL	/* no slot there */
#define NPF_BASE	0x50000000ULL

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_mmio_all_start, guest_mmio_all_end, mmio_first_insn\n"
    "guest_mmio_all_start:\n"
    MOV64("x9", "0x40008000")
    MOV64("x2", "0x09000000")
    MOV64("x3", "0xfedcba9876543210")
    "mmio_first_insn:\n"
    "	strb w3, [x2]\n"
    "	strh w3, [x2, #2]\n"
    "	str w3, [x2, #4]\n"
    "	str x3, [x2, #8]\n"
    "	str xzr, [x2, #16]\n"
    "	strb wzr, [x2, #24]\n"
    "	strh wzr, [x2, #26]\n"
    "	str wzr, [x2, #28]\n"
    "	mov x10, #-1\n"
    "	ldrb w10, [x2, #0x20]\n"
    "	mov x11, #-1\n"
    "	ldrh w11, [x2, #0x22]\n"
    "	mov x12, #-1\n"
    "	ldr w12, [x2, #0x24]\n"
    "	mov x13, #0\n"
    "	ldr x13, [x2, #0x28]\n"
    "	mov x14, #0\n"
    "	ldrsb w14, [x2, #0x30]\n"
    "	mov x15, #0\n"
    "	ldrsb x15, [x2, #0x31]\n"
    "	mov x16, #0\n"
    "	ldrsh w16, [x2, #0x32]\n"
    "	mov x17, #0\n"
    "	ldrsh x17, [x2, #0x34]\n"
    "	mov x18, #0\n"
    "	ldrsw x18, [x2, #0x38]\n"
    "	mov x20, #-1\n"
    "	ldrsb x20, [x2, #0x3c]\n"
    "	mov x21, #-1\n"
    "	ldrsh w21, [x2, #0x3e]\n"
    "	ldr xzr, [x2, #0x40]\n"
    "	str x10, [x9, #0x00]\n"
    "	str x11, [x9, #0x08]\n"
    "	str x12, [x9, #0x10]\n"
    "	str x13, [x9, #0x18]\n"
    "	str x14, [x9, #0x20]\n"
    "	str x15, [x9, #0x28]\n"
    "	str x16, [x9, #0x30]\n"
    "	str x17, [x9, #0x38]\n"
    "	str x18, [x9, #0x40]\n"
    "	str x20, [x9, #0x48]\n"
    "	str x21, [x9, #0x50]\n"
    "	str x3, [x9, #0x58]\n"
    "	wfi\n"
    "	b .\n"
    "guest_mmio_all_end:\n"

    ".balign 4\n"
    ".global guest_npf_start, guest_npf_end, npf_ldp, npf_stp, npf_wb\n"
    ".global npf_blr, npf_ro_str, npf_ro_strb\n"
    "guest_npf_start:\n"
    MOV64("x2", "0x50000000")
    MOV64("x3", "0x0123456789abcdef")
    "	mov x4, x3\n"
    "npf_ldp:\n"
    "	ldp x3, x4, [x2]\n"		/* NPF read; the VMM maps slot 1 */
    "	stp x4, x3, [x2, #16]\n"	/* mapped now: no exit */
    MOV64("x5", "0x50010000")
    "npf_stp:\n"
    "	stp x3, x4, [x5]\n"		/* NPF write (ISV = 0); skipped */
    "npf_wb:\n"
    "	ldr x6, [x5, #8]!\n"		/* writeback: NPF read; skipped */
    MOV64("x7", "0x50020000")
    "npf_blr:\n"
    "	blr x7\n"			/* NPF execute; the VMM maps code */
    "	mov x19, x0\n"
    MOV64("x8", "0x50030000")		/* read-only slot */
    "	ldr x20, [x8]\n"		/* a read: no exit */
    "npf_ro_str:\n"
    "	str x3, [x8]\n"			/* NPF write; skipped */
    "npf_ro_strb:\n"
    "	strb w3, [x8, #5]\n"		/* NPF write at +5; skipped */
    "	ldr x21, [x8]\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x3\n"
    "	mov x2, x4\n"
    "	mov x3, x19\n"
    "	mov x4, x20\n"
    "	mov x5, x21\n"
    "	hvc #0\n"
    "	b .\n"
    "guest_npf_end:\n"

    ".balign 4\n"
    ".global guest_sysreg_start, guest_sysreg_end, sysreg_first\n"
    "guest_sysreg_start:\n"
    "sysreg_first:\n"
    "	mrs x5, cntp_ctl_el0\n"		/* SYSREG_READ (trapped: no passthrough_timer) */
    MOV64("x6", "0x123456789abcdef0")
    "	msr cntp_cval_el0, x6\n"	/* SYSREG_WRITE */
    "	msr cntp_tval_el0, xzr\n"	/* SYSREG_WRITE from XZR */
    "	mov x7, #-1\n"
    "	mrs x7, pmcr_el0\n"		/* MDCR_EL2.TPM */
    "	mov x8, #-1\n"
    "	mrs x8, pmuserenr_el0\n"	/* MDCR_EL2.TPM */
    "	mrs x10, id_aa64pfr0_el1\n"	/* TID3: answered in the module */
    "	mrs x11, id_aa64isar1_el1\n"
    "	mrs x12, id_aa64pfr1_el1\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x5\n"
    "	mov x2, x7\n"
    "	mov x3, x8\n"
    "	mov x4, x10\n"
    "	mov x5, x11\n"
    "	mov x6, x12\n"
    "	hvc #0\n"
    "	b .\n"
    "guest_sysreg_end:\n"

    ".balign 4\n"
    ".global guest_ipi_wfx_start, guest_ipi_wfx_end\n"
    "guest_ipi_wfx_start:\n"
    /* INTID 5, Aff3 0x12, Aff2 0x34, Aff1 0x56, RS 3, TargetList 0xa5 */
    MOV64("x3", "(0x12 << 48) | (3 << 44) | (0x34 << 32) | (5 << 24) | (0x56 << 16) | 0xa5")
    "	msr " ICC_SGI1R_EL1 ", x3\n"
    /* IRM = 1: everyone but self, INTID 7 (the target list is ignored) */
    MOV64("x3", "(1 << 40) | (7 << 24) | 0xffff")
    "	msr " ICC_SGI1R_EL1 ", x3\n"
    /* INTID 15, Aff1 1, RS 0, TargetList bit 0 */
    MOV64("x3", "(15 << 24) | (1 << 16) | 1")
    "	msr " ICC_SGI1R_EL1 ", x3\n"
    "	msr " ICC_SGI1R_EL1 ", xzr\n"
    "	wfi\n"				/* HALT */
    "	mov x4, #2000\n"
    "1:	wfe\n"				/* stays in the guest */
    "	subs x4, x4, #1\n"
    "	b.ne 1b\n"
    MOV64("x0", __stringify(GH_DONE))
    "	hvc #0\n"
    "	b .\n"
    "guest_ipi_wfx_end:\n"
    ".popsection\n");

static __u64 guest_u64(struct test_vm *t, __u64 gpa)
{
	return *(volatile __u64 *)guest_ptr(t, gpa);
}

static void expect_mmio(struct test_vm *t, __u32 reason, __u64 addr,
			__u32 width, __u32 reg, __u32 reg_width, __u8 sign_ext,
			__u64 data)
{
	struct axvcpu_run *run = t->vcpu.run;

	vcpu_run_timeout(&t->vcpu, 10);
	vcpu_assert_exit(&t->vcpu, reason);
	TEST_ASSERT(run->mmio.addr == addr && run->mmio.width == width &&
		    run->mmio.reg == reg &&
		    run->mmio.is_write == (reason == AXVCPU_EXIT_MMIO_WRITE),
		    "%s at pc %#llx: addr %#llx width %u reg %u is_write %u, expected addr %#llx width %u reg %u",
		    axvm_exit_name(reason), (unsigned long long)run->hw_rip,
		    (unsigned long long)run->mmio.addr, run->mmio.width,
		    run->mmio.reg, run->mmio.is_write,
		    (unsigned long long)addr, width, reg);
	/* ESR_EL2.EC = 0x24: data abort from a lower EL. */
	TEST_ASSERT((run->hw_reason >> 26) == 0x24, "hw_reason %#llx: EC not 0x24",
		    (unsigned long long)run->hw_reason);
	if (reason == AXVCPU_EXIT_MMIO_WRITE) {
		TEST_ASSERT(run->mmio.data == data,
			    "store to %#llx width %u reg %u: data %#llx, expected %#llx",
			    (unsigned long long)addr, width, reg,
			    (unsigned long long)run->mmio.data,
			    (unsigned long long)data);
	} else {
		TEST_ASSERT(run->mmio.reg_width == reg_width &&
			    run->mmio.sign_ext == sign_ext,
			    "load from %#llx width %u reg %u: reg_width %u sign_ext %u, expected %u %u",
			    (unsigned long long)addr, width, reg,
			    run->mmio.reg_width, run->mmio.sign_ext, reg_width,
			    sign_ext);
		run->mmio.data = data;
	}
}

#define W AXVCPU_EXIT_MMIO_WRITE
#define R AXVCPU_EXIT_MMIO_READ

TEST(mmio_widths_signed_loads_xzr)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 d = GUEST_DATA_GPA;

	vm = vm_create_with_one_vcpu(&vcpu, guest_mmio_all);
	expect_mmio(vm, W, MMIO_BASE + 0, 1, 3, 0, 0, 0x10);
	TEST_ASSERT_EQ(vcpu->run->hw_rip,
		       GUEST_ADDR(guest_mmio_all_start, mmio_first_insn));
	expect_mmio(vm, W, MMIO_BASE + 2, 2, 3, 0, 0, 0x3210);
	expect_mmio(vm, W, MMIO_BASE + 4, 4, 3, 0, 0, 0x76543210);
	expect_mmio(vm, W, MMIO_BASE + 8, 8, 3, 0, 0, 0xfedcba9876543210ULL);
	expect_mmio(vm, W, MMIO_BASE + 16, 8, 31, 0, 0, 0);
	expect_mmio(vm, W, MMIO_BASE + 24, 1, 31, 0, 0, 0);
	expect_mmio(vm, W, MMIO_BASE + 26, 2, 31, 0, 0, 0);
	expect_mmio(vm, W, MMIO_BASE + 28, 4, 31, 0, 0, 0);
	/* Loads: the VMM's data has bits above the width that must not land. */
	expect_mmio(vm, R, MMIO_BASE + 0x20, 1, 10, 4, 0, 0xffffff81);
	expect_mmio(vm, R, MMIO_BASE + 0x22, 2, 11, 4, 0, 0x12348182);
	expect_mmio(vm, R, MMIO_BASE + 0x24, 4, 12, 4, 0, 0xdeadbeef80000001ULL);
	expect_mmio(vm, R, MMIO_BASE + 0x28, 8, 13, 8, 0, 0x8000000000000001ULL);
	expect_mmio(vm, R, MMIO_BASE + 0x30, 1, 14, 4, 1, 0x180);
	expect_mmio(vm, R, MMIO_BASE + 0x31, 1, 15, 8, 1, 0x80);
	expect_mmio(vm, R, MMIO_BASE + 0x32, 2, 16, 4, 1, 0x8001);
	expect_mmio(vm, R, MMIO_BASE + 0x34, 2, 17, 8, 1, 0x8001);
	expect_mmio(vm, R, MMIO_BASE + 0x38, 4, 18, 8, 1, 0x80000000);
	expect_mmio(vm, R, MMIO_BASE + 0x3c, 1, 20, 8, 1, 0x7f);
	expect_mmio(vm, R, MMIO_BASE + 0x3e, 2, 21, 4, 1, 0xffff7fff);
	expect_mmio(vm, R, MMIO_BASE + 0x40, 8, 31, 8, 0, 0x5555);
	vcpu_run_timeout(vcpu, 10);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);

	TEST_ASSERT_EQ(guest_u64(vm, d + 0x00), 0x81);			/* ldrb w */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x08), 0x8182);		/* ldrh w */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x10), 0x80000001);		/* ldr w */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x18), 0x8000000000000001ULL);	/* ldr x */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x20), 0xffffff80ULL);		/* ldrsb w */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x28), 0xffffffffffffff80ULL);	/* ldrsb x */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x30), 0xffff8001ULL);		/* ldrsh w */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x38), 0xffffffffffff8001ULL);	/* ldrsh x */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x40), 0xffffffff80000000ULL);	/* ldrsw x */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x48), 0x7fULL);		/* ldrsb x, positive */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x50), 0x7fffULL);		/* ldrsh w, positive */
	/* The store source register is untouched by the exits. */
	TEST_ASSERT_EQ(guest_u64(vm, d + 0x58), 0xfedcba9876543210ULL);
	test_vm_free(vm);
}

static void expect_npf(struct test_vm *t, __u64 gpa, __u64 access, __u64 pc)
{
	struct axvcpu_run *run = t->vcpu.run;

	vcpu_run_timeout(&t->vcpu, 10);
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_NESTED_PAGE_FAULT);
	TEST_ASSERT(run->npf.gpa == gpa && run->npf.access == access,
		    "NPF at pc %#llx: gpa %#llx access %#llx, expected gpa %#llx access %#llx (hw_reason %#llx)",
		    (unsigned long long)run->hw_rip,
		    (unsigned long long)run->npf.gpa,
		    (unsigned long long)run->npf.access,
		    (unsigned long long)gpa, (unsigned long long)access,
		    (unsigned long long)run->hw_reason);
	TEST_ASSERT(run->hw_rip == pc, "NPF gpa %#llx: pc %#llx, expected %#llx",
		    (unsigned long long)gpa, (unsigned long long)run->hw_rip,
		    (unsigned long long)pc);
}

#define NPF_PC(l)	GUEST_ADDR(guest_npf_start, l)

TEST(nested_page_faults)
{
	struct axvcpu_run *run;
	unsigned char *m1, *m2, *m3;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	long ro;

	vm = vm_create_with_one_vcpu(&vcpu, guest_npf);
	run = vcpu->run;
	ro = axvm_check_extension(vm->sys_fd, AXVCPU_CAP_READONLY_MEM);
	TEST_ASSERT(ro > 0, "CHECK_EXTENSION(READONLY_MEM) = %ld", ro);

	m1 = axvm_mem_alloc(0x10000);
	m2 = axvm_mem_alloc(0x10000);
	m3 = axvm_mem_alloc(0x10000);
	TEST_ASSERT(m1 && m2 && m3, "mmap");
	((__u64 *)m1)[0] = 0x1111111111111111ULL;
	((__u64 *)m1)[1] = 0x2222222222222222ULL;
	((__u64 *)m3)[0] = 0x0706050403020100ULL;

	/* LDP outside every slot: ISV = 0, not MMIO. */
	expect_npf(vm, NPF_BASE, AXVCPU_ACCESS_READ, NPF_PC(npf_ldp));
	TEST_ASSERT_EQ((run->hw_reason >> 24) & 1, 0);	/* ISV */
	/* Again, as long as nothing is there. */
	expect_npf(vm, NPF_BASE, AXVCPU_ACCESS_READ, NPF_PC(npf_ldp));
	vm_set_region(&vm->vm, 1, 0, NPF_BASE, 0x10000, m1);
	/* The LDP now loads, the STP stores; then an STP elsewhere. */
	expect_npf(vm, NPF_BASE + 0x10000, AXVCPU_ACCESS_WRITE, NPF_PC(npf_stp));
	TEST_ASSERT_EQ(((__u64 *)m1)[2], 0x2222222222222222ULL);
	TEST_ASSERT_EQ(((__u64 *)m1)[3], 0x1111111111111111ULL);
	vcpu_arch_skip_insn(vcpu, 0);
	expect_npf(vm, NPF_BASE + 0x10008, AXVCPU_ACCESS_READ, NPF_PC(npf_wb));
	vcpu_arch_skip_insn(vcpu, 0);

	/* Instruction fetch from an unmapped IPA. */
	expect_npf(vm, NPF_BASE + 0x20000, AXVCPU_ACCESS_EXECUTE, NPF_BASE + 0x20000);
	TEST_ASSERT_EQ(run->hw_reason >> 26, 0x20);	/* IABT from a lower EL */
	{
		/* movz x0, #0x5a5a; ret */
		static const __u32 code[] = { 0xd28b4b40, 0xd65f03c0 };

		memcpy(m2, code, sizeof(code));
	}
	vm_set_region(&vm->vm, 2, 0, NPF_BASE + 0x20000, 0x10000, m2);
	vm_set_region(&vm->vm, 3, AXVCPU_MEM_READONLY, NPF_BASE + 0x30000, 0x10000, m3);

	/* Writes to the read-only slot; the read before them got the data. */
	expect_npf(vm, NPF_BASE + 0x30000, AXVCPU_ACCESS_WRITE, NPF_PC(npf_ro_str));
	vcpu_arch_skip_insn(vcpu, 0);
	expect_npf(vm, NPF_BASE + 0x30005, AXVCPU_ACCESS_WRITE, NPF_PC(npf_ro_strb));
	vcpu_arch_skip_insn(vcpu, 0);

	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 0x1111111111111111ULL);	/* ldp x3 */
	TEST_ASSERT_EQ(run->hypercall.args[1], 0x2222222222222222ULL);	/* ldp x4 */
	TEST_ASSERT_EQ(run->hypercall.args[2], 0x5a5a);		/* code in slot 2 ran */
	TEST_ASSERT_EQ(run->hypercall.args[3], 0x0706050403020100ULL);	/* RO read */
	TEST_ASSERT_EQ(run->hypercall.args[4], 0x0706050403020100ULL);	/* unchanged */
	TEST_ASSERT_EQ(((__u64 *)m3)[0], 0x0706050403020100ULL);
	test_vm_free(vm);
	axvm_mem_free(m1, 0x10000);
	axvm_mem_free(m2, 0x10000);
	axvm_mem_free(m3, 0x10000);
}

static void expect_sysreg(struct test_vm *t, __u32 reason, __u64 addr,
			  __u32 reg, __u64 value)
{
	struct axvcpu_run *run = t->vcpu.run;

	vcpu_run_timeout(&t->vcpu, 10);
	vcpu_assert_exit(&t->vcpu, reason);
	TEST_ASSERT(run->sysreg.addr == addr && run->sysreg.reg == reg &&
		    run->sysreg.is_write == (reason == AXVCPU_EXIT_SYSREG_WRITE),
		    "%s at pc %#llx: addr %#llx reg %u is_write %u, expected addr %#llx reg %u",
		    axvm_exit_name(reason), (unsigned long long)run->hw_rip,
		    (unsigned long long)run->sysreg.addr, run->sysreg.reg,
		    run->sysreg.is_write, (unsigned long long)addr, reg);
	TEST_ASSERT((run->hw_reason >> 26) == 0x18, "hw_reason %#llx: EC not 0x18",
		    (unsigned long long)run->hw_reason);
	if (reason == AXVCPU_EXIT_SYSREG_WRITE)
		TEST_ASSERT(run->sysreg.value == value,
			    "MSR %#llx: value %#llx, expected %#llx",
			    (unsigned long long)addr,
			    (unsigned long long)run->sysreg.value,
			    (unsigned long long)value);
	else
		run->sysreg.value = value;
}

TEST(sysreg_traps)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 v;

	vm = vm_create_with_one_vcpu(&vcpu, guest_sysreg);
	run = vcpu->run;
	expect_sysreg(vm, AXVCPU_EXIT_SYSREG_READ, SYSREG_ID(3, 3, 14, 2, 1), 5, 0x5);
	TEST_ASSERT_EQ(run->hw_rip, GUEST_ADDR(guest_sysreg_start, sysreg_first));
	expect_sysreg(vm, AXVCPU_EXIT_SYSREG_WRITE, SYSREG_ID(3, 3, 14, 2, 2), 6,
		      0x123456789abcdef0ULL);
	expect_sysreg(vm, AXVCPU_EXIT_SYSREG_WRITE, SYSREG_ID(3, 3, 14, 2, 0), 31, 0);
	expect_sysreg(vm, AXVCPU_EXIT_SYSREG_READ, SYSREG_ID(3, 3, 9, 12, 0), 7,
		      0x4100000000000041ULL);
	expect_sysreg(vm, AXVCPU_EXIT_SYSREG_READ, SYSREG_ID(3, 3, 9, 14, 0), 8, 0x77);
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 0x5);
	TEST_ASSERT_EQ(run->hypercall.args[1], 0x4100000000000041ULL);
	TEST_ASSERT_EQ(run->hypercall.args[2], 0x77);
	v = run->hypercall.args[3];		/* ID_AA64PFR0_EL1 */
	TEST_ASSERT(((v >> 8) & 0xf) == 0 && ((v >> 32) & 0xf) == 0 &&
		    ((v >> 12) & 0xf) == 0 && (v & 0xf) == 1,
		    "guest ID_AA64PFR0_EL1 %#llx: EL2, EL3 or SVE visible, or EL0 not AArch64-only",
		    (unsigned long long)v);
	v = run->hypercall.args[4];		/* ID_AA64ISAR1_EL1 */
	TEST_ASSERT(((v >> 4) & 0xff) == 0 && ((v >> 24) & 0xff) == 0,
		    "guest ID_AA64ISAR1_EL1 %#llx: pointer authentication visible",
		    (unsigned long long)v);
	v = run->hypercall.args[5];		/* ID_AA64PFR1_EL1 */
	TEST_ASSERT(((v >> 24) & 0xf) == 0 && ((v >> 8) & 0xf) == 0,
		    "guest ID_AA64PFR1_EL1 %#llx: SME or MTE visible",
		    (unsigned long long)v);
	TEST_ASSERT(run->stats.builtin[AXVCPU_BUILTIN_MSR] >= 3,
		    "builtin[MSR] = %llu after 3 ID-register reads",
		    (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_MSR]);
	test_vm_free(vm);
}

static void expect_ipi(struct test_vm *t, __u64 target, __u64 aux, __u8 all,
		       __u64 vector)
{
	struct axvcpu_run *run = t->vcpu.run;

	vcpu_run_timeout(&t->vcpu, 10);
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_SEND_IPI);
	TEST_ASSERT(run->send_ipi.target_cpu == target &&
		    run->send_ipi.target_cpu_aux == aux &&
		    run->send_ipi.send_to_all == all &&
		    run->send_ipi.send_to_self == 0 &&
		    run->send_ipi.vector == vector,
		    "SEND_IPI at pc %#llx: target %#llx aux %#llx all %u self %u vector %llu, expected target %#llx aux %#llx all %u self 0 vector %llu",
		    (unsigned long long)run->hw_rip,
		    (unsigned long long)run->send_ipi.target_cpu,
		    (unsigned long long)run->send_ipi.target_cpu_aux,
		    run->send_ipi.send_to_all, run->send_ipi.send_to_self,
		    (unsigned long long)run->send_ipi.vector,
		    (unsigned long long)target, (unsigned long long)aux, all,
		    (unsigned long long)vector);
}

TEST(send_ipi_halt_wfe)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_ipi_wfx);
	run = vcpu->run;
	/* Aff3.Aff2.Aff1 in bits 31..8, the range selector's first Aff0 (RS * 16) in 7..0. */
	expect_ipi(vm, 0x12345630, 0xa5, 0, 5);
	expect_ipi(vm, 0, 0, 1, 7);
	expect_ipi(vm, 0x100, 1, 0, 15);
	expect_ipi(vm, 0, 0, 0, 0);
	vcpu_run_timeout(vcpu, 10);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(run->hw_reason >> 26, 0x01);	/* EC WFx */
	/* 2000 WFEs, then the hypercall: no HALT or other exit between. */
	run_expect_hcall_to(vcpu, GH_DONE, 20);
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_HALT], 1);
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_SEND_IPI], 4);
	printf("# builtin[WFE] = %llu (QEMU TCG does not trap WFE)\n",
	       (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_WFE]);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
