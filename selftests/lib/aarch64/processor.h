/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64 guest-code helpers for the selftests/aarch64 tests: assembly
 * string macros (64-bit immediates, system-register names, a GICv3 CPU
 * interface bring-up, an EL1 vector table) and host-side encodings.
 *
 * Guest code conventions: x0..x7 are scratch (hvc returns in x0), the
 * test's state lives in x19..x28.  Guest exception handlers report with
 * a ucall: "hvc #0" and a GH_* number (a UCALL_NR_OF() type) in x0.
 */
#ifndef SELFTEST_AARCH64_PROCESSOR_H
#define SELFTEST_AARCH64_PROCESSOR_H

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include "test_util.h"
#include "axvcpu_util.h"
#include "ucall.h"

/* mov64 reg, imm: four movz/movk, no literal pool. */
#define MOV64(reg, imm)							\
	"	movz " reg ", #((" imm ") & 0xffff)\n"			\
	"	movk " reg ", #(((" imm ") >> 16) & 0xffff), lsl #16\n"	\
	"	movk " reg ", #(((" imm ") >> 32) & 0xffff), lsl #32\n"	\
	"	movk " reg ", #(((" imm ") >> 48) & 0xffff), lsl #48\n"

/* The sysreg-exit encoding: ESR_EL2 ISS of EC 0x18, Rt and Dir off. */
#define SYSREG_ID(op0, op1, crn, crm, op2)				\
	((__u64)(((op0) << 20) | ((op2) << 17) | ((op1) << 14) |	\
		 ((crn) << 10) | ((crm) << 1)))

/* GICv3 CPU interface registers, by encoding (the assembler may not know them). */
#define ICC_IAR1_EL1	"S3_0_C12_C12_0"
#define ICC_EOIR1_EL1	"S3_0_C12_C12_1"
#define ICC_SGI1R_EL1	"S3_0_C12_C11_5"
#define ICC_PMR_EL1	"S3_0_C4_C6_0"
#define ICC_IGRPEN1_EL1	"S3_0_C12_C12_7"
#define ICC_SRE_EL1	"S3_0_C12_C12_5"
#define ICC_BPR1_EL1	"S3_0_C12_C12_3"

/* The ucalls the guest handlers report with (x0 of an hvc; ucall.h). */
#define GH_SYNC		UCALL_NR_OF(UCALL_EXC_SYNC)	/* x1 ESR_EL1, x2 FAR_EL1, x3 ELR_EL1, x4 SPSR_EL1 */
#define GH_IRQ		UCALL_NR_OF(UCALL_EXC_IRQ)	/* x1 ICC_IAR1_EL1, x2 CNTV_CTL_EL0, x3 CNTVCT_EL0 */
#define GH_SERROR	UCALL_NR_OF(UCALL_EXC_SERROR)	/* x1 ESR_EL1, x2 ELR_EL1 */
#define GH_REPORT	UCALL_NR_OF(UCALL_REPORT)	/* x1..x6: values of the test */
#define GH_DONE		UCALL_NR_OF(UCALL_DONE)

/* PSCI function ids. */
#define G_PSCI_VERSION		0x84000000
#define G_PSCI_CPU_OFF		0x84000002
#define G_PSCI_CPU_ON_64		0xc4000003
#define G_PSCI_AFFINITY_INFO_64	0xc4000004
#define G_PSCI_SYSTEM_OFF		0x84000008
#define G_PSCI_SYSTEM_RESET	0x84000009
#define G_PSCI_FEATURES		0x8400000a

/*
 * Enable the guest's virtual GICv3 CPU interface: system-register access,
 * priority mask open, group 1 on.  Clobbers x0.
 */
#define GUEST_GIC_ENABLE						\
	"	mrs x0, " ICC_SRE_EL1 "\n"				\
	"	orr x0, x0, #1\n"					\
	"	msr " ICC_SRE_EL1 ", x0\n"				\
	"	isb\n"							\
	"	mov x0, #0xff\n"					\
	"	msr " ICC_PMR_EL1 ", x0\n"				\
	"	msr " ICC_BPR1_EL1 ", xzr\n"				\
	"	mov x0, #1\n"						\
	"	msr " ICC_IGRPEN1_EL1 ", x0\n"				\
	"	isb\n"

/*
 * Arm the EL1 virtual timer about 16 ms (CNTFRQ / 64) ahead, enabled and
 * unmasked; x19 = its CVAL.  Clobbers x0..x2.
 */
#define GUEST_VTIMER_ARM_16MS						\
	"	mrs x1, cntfrq_el0\n"					\
	"	lsr x1, x1, #6\n"					\
	"	isb\n"							\
	"	mrs x2, cntvct_el0\n"					\
	"	add x19, x2, x1\n"					\
	"	msr cntv_cval_el0, x19\n"				\
	"	mov x0, #1\n"						\
	"	msr cntv_ctl_el0, x0\n"					\
	"	isb\n"

/* Enable FP/SIMD at EL1 and EL0 (CPACR_EL1.FPEN = 0b11).  Clobbers x0. */
#define GUEST_FP_ENABLE							\
	"	mrs x0, cpacr_el1\n"					\
	"	orr x0, x0, #(3 << 20)\n"				\
	"	msr cpacr_el1, x0\n"					\
	"	isb\n"

/*
 * An EL1 vector table named @name (its own 2 KiB alignment).  Current EL
 * with SP_ELx: synchronous -> report GH_SYNC, skip the faulting
 * instruction (ELR += 4) and return; IRQ -> acknowledge, report GH_IRQ,
 * mask the virtual timer if that was it, EOI, return; SError -> report
 * GH_SERROR and return.  Every other vector reports GH_SYNC with x5 = the
 * vector offset and spins.  The handlers clobber x0..x5.
 */
#define VEC_OTHER(off)							\
	"	.balign 0x80\n"						\
	"	mov x5, #" #off "\n"					\
	"	movz x0, #(" __stringify(GH_SYNC) " & 0xffff)\n"	\
	"	movk x0, #(" __stringify(GH_SYNC) " >> 16), lsl #16\n"	\
	"	mrs x1, esr_el1\n"					\
	"	mrs x2, far_el1\n"					\
	"	mrs x3, elr_el1\n"					\
	"	mrs x4, spsr_el1\n"					\
	"	hvc #0\n"						\
	"	b .\n"

#define GUEST_VECTORS(name)						\
	"	.balign 2048\n"						\
	".global " #name "\n"						\
	#name ":\n"							\
	VEC_OTHER(0x000) VEC_OTHER(0x080) VEC_OTHER(0x100) VEC_OTHER(0x180) \
	/* 0x200: synchronous, current EL, SP_ELx */			\
	"	.balign 0x80\n"						\
	"	mov x5, #0x200\n"					\
	"	movz x0, #(" __stringify(GH_SYNC) " & 0xffff)\n"	\
	"	movk x0, #(" __stringify(GH_SYNC) " >> 16), lsl #16\n"	\
	"	mrs x1, esr_el1\n"					\
	"	mrs x2, far_el1\n"					\
	"	mrs x3, elr_el1\n"					\
	"	mrs x4, spsr_el1\n"					\
	"	hvc #0\n"						\
	"	mrs x3, elr_el1\n"					\
	"	add x3, x3, #4\n"					\
	"	msr elr_el1, x3\n"					\
	"	eret\n"							\
	/* 0x280: IRQ, current EL, SP_ELx */				\
	"	.balign 0x80\n"						\
	"	mrs x1, " ICC_IAR1_EL1 "\n"				\
	"	movz x0, #(" __stringify(GH_IRQ) " & 0xffff)\n"	\
	"	movk x0, #(" __stringify(GH_IRQ) " >> 16), lsl #16\n"	\
	"	mrs x2, cntv_ctl_el0\n"					\
	"	mrs x3, cntvct_el0\n"					\
	"	mov x5, x1\n"						\
	"	hvc #0\n"						\
	"	cmp x5, #27\n"						\
	"	b.ne 1f\n"						\
	"	mov x4, #3\n"		/* ENABLE | IMASK */		\
	"	msr cntv_ctl_el0, x4\n"					\
	"1:	msr " ICC_EOIR1_EL1 ", x5\n"				\
	"	isb\n"							\
	"	eret\n"							\
	VEC_OTHER(0x300)						\
	/* 0x380: SError, current EL, SP_ELx */				\
	"	.balign 0x80\n"						\
	"	movz x0, #(" __stringify(GH_SERROR) " & 0xffff)\n"	\
	"	movk x0, #(" __stringify(GH_SERROR) " >> 16), lsl #16\n" \
	"	mrs x1, esr_el1\n"					\
	"	mrs x2, elr_el1\n"					\
	"	hvc #0\n"						\
	"	eret\n"							\
	VEC_OTHER(0x400) VEC_OTHER(0x480) VEC_OTHER(0x500) VEC_OTHER(0x580) \
	VEC_OTHER(0x600) VEC_OTHER(0x680) VEC_OTHER(0x700) VEC_OTHER(0x780)

/* Set VBAR_EL1 to @name (PC-relative).  Clobbers x0. */
#define GUEST_SET_VBAR(name)						\
	"	adr x0, " #name "\n"					\
	"	msr vbar_el1, x0\n"					\
	"	isb\n"

/* Guest address of host symbol @sym inside guest code copied from @start. */
#define GUEST_ADDR(start, sym)						\
	((__u64)GUEST_ENTRY + (__u64)((const unsigned char *)(sym) -	\
				      (const unsigned char *)(start)))

static inline void vcpu_get_regs(struct axvm_vcpu *v, struct axvcpu_arm64_regs *regs)
{
	int r = ioctl(v->fd, AXVCPU_GET_ARM64_REGS, regs);

	TEST_ASSERT(r == 0, "GET_ARM64_REGS: ret %d errno %d (%s)", r, errno,
		    errno_name(errno));
}

static inline void vcpu_set_regs(struct axvm_vcpu *v, struct axvcpu_arm64_regs *regs)
{
	int r = ioctl(v->fd, AXVCPU_SET_ARM64_REGS, regs);

	TEST_ASSERT(r == 0, "SET_ARM64_REGS: ret %d errno %d (%s)", r, errno,
		    errno_name(errno));
}

#endif /* SELFTEST_AARCH64_PROCESSOR_H */
