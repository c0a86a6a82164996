/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest entry and the EL2 vectors of the run window (VHE host).
 *
 * __axv_arm_enter(ctx) is called with DAIF masked, HCR_EL2 in its guest
 * form (E2H=1, TGE=0), the guest's EL1 state loaded and VBAR_EL2 pointing
 * at __axv_arm_vectors.  It pushes the host's callee-saved registers and
 * the ctx pointer on the host stack, keeps the host SP_EL0 (arm64 Linux
 * keeps 'current' there, also at EL2) and ERETs into the guest.
 *
 * The guest's next exception to EL2 arrives on SP_EL2, which the ERET left
 * untouched, so the vector finds the ctx pointer where it was pushed.  The
 * exit path saves the guest registers and "returns" from __axv_arm_enter()
 * with the exit code: the return value comes only from the exit path,
 * never from the code after the ERET.
 */
#include <linux/linkage.h>
#include <linux/arm-smccc.h>
#include <asm/assembler.h>
#include "entry.h"

	.text

SYM_FUNC_START(__axv_arm_enter)
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	stp	x27, x28, [sp, #-16]!
	stp	x25, x26, [sp, #-16]!
	stp	x23, x24, [sp, #-16]!
	stp	x21, x22, [sp, #-16]!
	stp	x19, x20, [sp, #-16]!
	stp	x0, x18, [sp, #-16]!		// [sp] = ctx, [sp + 8] = host x18

	mrs	x1, sp_el0
	str	x1, [x0, #AXV_CTX_HOST_SP_EL0]
	ldr	x1, [x0, #AXV_CTX_SP_EL0]
	msr	sp_el0, x1
	ldp	x1, x2, [x0, #AXV_CTX_PC]
	msr	elr_el2, x1
	msr	spsr_el2, x2

	ldp	x2, x3,   [x0, #AXV_CTX_X(2)]
	ldp	x4, x5,   [x0, #AXV_CTX_X(4)]
	ldp	x6, x7,   [x0, #AXV_CTX_X(6)]
	ldp	x8, x9,   [x0, #AXV_CTX_X(8)]
	ldp	x10, x11, [x0, #AXV_CTX_X(10)]
	ldp	x12, x13, [x0, #AXV_CTX_X(12)]
	ldp	x14, x15, [x0, #AXV_CTX_X(14)]
	ldp	x16, x17, [x0, #AXV_CTX_X(16)]
	ldp	x18, x19, [x0, #AXV_CTX_X(18)]
	ldp	x20, x21, [x0, #AXV_CTX_X(20)]
	ldp	x22, x23, [x0, #AXV_CTX_X(22)]
	ldp	x24, x25, [x0, #AXV_CTX_X(24)]
	ldp	x26, x27, [x0, #AXV_CTX_X(26)]
	ldp	x28, x29, [x0, #AXV_CTX_X(28)]
	ldr	x30,      [x0, #AXV_CTX_X(30)]
	ldp	x0, x1,   [x0, #AXV_CTX_X(0)]
	eret
	/* Never reached; stop straight-line speculation past the ERET. */
	dsb	nsh
	isb
SYM_FUNC_END(__axv_arm_enter)

/*
 * Lower-EL exception: x1 = exit code, [sp] = guest x0/x1,
 * [sp + 16] = ctx pointer, [sp + 24] = host x18.
 */
SYM_CODE_START_LOCAL(__axv_arm_exit)
	ldr	x0, [sp, #16]
	stp	x2, x3,   [x0, #AXV_CTX_X(2)]
	stp	x4, x5,   [x0, #AXV_CTX_X(4)]
	stp	x6, x7,   [x0, #AXV_CTX_X(6)]
	stp	x8, x9,   [x0, #AXV_CTX_X(8)]
	stp	x10, x11, [x0, #AXV_CTX_X(10)]
	stp	x12, x13, [x0, #AXV_CTX_X(12)]
	stp	x14, x15, [x0, #AXV_CTX_X(14)]
	stp	x16, x17, [x0, #AXV_CTX_X(16)]
	stp	x18, x19, [x0, #AXV_CTX_X(18)]
	stp	x20, x21, [x0, #AXV_CTX_X(20)]
	stp	x22, x23, [x0, #AXV_CTX_X(22)]
	stp	x24, x25, [x0, #AXV_CTX_X(24)]
	stp	x26, x27, [x0, #AXV_CTX_X(26)]
	stp	x28, x29, [x0, #AXV_CTX_X(28)]
	str	x30,      [x0, #AXV_CTX_X(30)]
	ldp	x2, x3, [sp], #16		// guest x0/x1
	stp	x2, x3,   [x0, #AXV_CTX_X(0)]
	mrs	x2, sp_el0
	str	x2, [x0, #AXV_CTX_SP_EL0]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [x0, #AXV_CTX_PC]
	ldr	x2, [x0, #AXV_CTX_HOST_SP_EL0]
	msr	sp_el0, x2			// 'current' is back
	mov	x0, x1
	ldp	x1, x18, [sp], #16		// drop ctx, host x18
	ldp	x19, x20, [sp], #16
	ldp	x21, x22, [sp], #16
	ldp	x23, x24, [sp], #16
	ldp	x25, x26, [sp], #16
	ldp	x27, x28, [sp], #16
	ldp	x29, x30, [sp], #16
	ret
SYM_CODE_END(__axv_arm_exit)

/*
 * An exception taken at EL2 itself while our table is installed is a host
 * bug (IRQ, FIQ and SError are masked in the window).  Put the host's
 * vectors back and ERET to the same instruction with every register
 * intact: a synchronous fault happens again and the host's own handler
 * reports it with the full context.
 */
.macro axv_current_el base, off
	.org	\base + \off
	stp	x0, x1, [sp, #-16]!
	adr_this_cpu x0, axv_arm_host_vbar, x1
	ldr	x0, [x0]
	msr	vbar_el2, x0
	isb
	ldp	x0, x1, [sp], #16
	eret
.endm

/*
 * Branch-predictor hardening on the way out of a guest (spectre.c picks
 * the table per CPU from the host's own mitigation state).  It runs
 * before the first indirect branch and before any branch whose history
 * the guest could have trained.  On entry [sp] = guest x0/x1, x0 and x1
 * are free.
 *
 * LOOP: Spectre-BHB.  Enough taken branches overwrite the guest's branch
 * history; k (axv_arm_bhb_k) is the core's history depth (Arm's
 * "Spectre-BHB" whitepaper, also Linux's spectre_bhb_loop_affected()),
 * then a barrier so that nothing later runs speculatively past the loop.
 * CLRBHB: FEAT_CLRBHB's CLRBHB instruction (HINT #22), then ISB
 * (Arm ARM C6.2 "CLRBHB").
 * Every mitigated exit (these and WA1/WA3 below) counts itself in
 * axv_arm_spec_runs, which the arm64_mitigations parameter shows.
 */
.macro axv_bhb_mitigation mitig
	.if \mitig == AXV_SPEC_LOOP
	adrp	x0, axv_arm_bhb_k
	ldr	w0, [x0, :lo12:axv_arm_bhb_k]
1:	b	. + 4
	subs	w0, w0, #1
	b.ne	1b
	dsb	nsh
	isb
	.elseif \mitig == AXV_SPEC_CLRBHB
	hint	#22				// clrbhb
	isb
	.endif
	.if \mitig != AXV_SPEC_NONE
	adr_this_cpu x0, axv_arm_spec_runs, x1
	ldr	x1, [x0]
	add	x1, x1, #1
	str	x1, [x0]
	.endif
.endm

/*
 * Guest exceptions.  'esb' (a NOP without RAS) makes a pending guest
 * SError visible in DISR_EL1 instead of leaking it into the host.
 *
 * WA1/WA3: the firmware's SMCCC_ARCH_WORKAROUND_1 (Spectre-v2) or _3
 * (Spectre-v2 and -BHB) call, for cores that need EL3 to invalidate the
 * branch predictor (Arm DEN0028 "SMC Calling Convention", "Arm
 * Architecture Calls").  SMCCC v1.1 clobbers x0-x3 only: x2/x3 are kept
 * under guest x0/x1, which end up at [sp] as the exit path expects.
 */
.macro axv_lower_el base, off, code, mitig
	.org	\base + \off
	hint	#16				// esb
	.if \mitig == AXV_SPEC_WA1 || \mitig == AXV_SPEC_WA3
	sub	sp, sp, #32
	stp	x2, x3, [sp]
	stp	x0, x1, [sp, #16]
	.if \mitig == AXV_SPEC_WA1
	mov	w0, #ARM_SMCCC_ARCH_WORKAROUND_1
	.else
	mov	w0, #ARM_SMCCC_ARCH_WORKAROUND_3
	.endif
	smc	#0
	ldp	x2, x3, [sp]
	add	sp, sp, #16
	.else
	stp	x0, x1, [sp, #-16]!
	.endif
	axv_bhb_mitigation \mitig
	mov	x1, #\code
	b	__axv_arm_exit
.endm

/* One 2 KiB table (VBAR_EL2 bits [10:0] are RES0) per mitigation. */
.macro axv_vectors name, mitig
	.align 11
SYM_CODE_START(\name)
	axv_current_el \name, 0x000
	axv_current_el \name, 0x080
	axv_current_el \name, 0x100
	axv_current_el \name, 0x180
	axv_current_el \name, 0x200
	axv_current_el \name, 0x280
	axv_current_el \name, 0x300
	axv_current_el \name, 0x380
	axv_lower_el \name, 0x400, AXV_ARM_EXIT_SYNC, \mitig
	axv_lower_el \name, 0x480, AXV_ARM_EXIT_IRQ, \mitig
	axv_lower_el \name, 0x500, AXV_ARM_EXIT_FIQ, \mitig
	axv_lower_el \name, 0x580, AXV_ARM_EXIT_SERROR, \mitig
	axv_lower_el \name, 0x600, AXV_ARM_EXIT_AARCH32, \mitig
	axv_lower_el \name, 0x680, AXV_ARM_EXIT_AARCH32, \mitig
	axv_lower_el \name, 0x700, AXV_ARM_EXIT_AARCH32, \mitig
	axv_lower_el \name, 0x780, AXV_ARM_EXIT_AARCH32, \mitig
	.org	\name + 0x800
SYM_CODE_END(\name)
.endm

	axv_vectors __axv_arm_vectors, AXV_SPEC_NONE
	axv_vectors __axv_arm_vectors_loop, AXV_SPEC_LOOP
	axv_vectors __axv_arm_vectors_clrbhb, AXV_SPEC_CLRBHB
	axv_vectors __axv_arm_vectors_wa1, AXV_SPEC_WA1
	axv_vectors __axv_arm_vectors_wa3, AXV_SPEC_WA3

/*
 * Guest FP/SIMD registers, x0 = struct user_fpsimd_state; called with the
 * host's own state saved (kernel_neon_begin()).
 *
 * The guest sees all of the AArch64 FP/SIMD state and nothing more: SVE
 * and SME trap (CPTR_EL2.ZEN/SMEN), so the state is the 32 128-bit
 * registers V0-V31 and the two control/status registers FPSR and FPCR
 * (Arm ARM, DDI 0487, B1.2 "Registers in AArch64 Execution state").
 * The code is the module's own so that it does not depend on any
 * kernel's private macros; the layout is user_fpsimd_state's (V0-V31,
 * then FPSR, FPCR as 32-bit words), which vcpu.c also exposes as the
 * guest's registers.
 */
SYM_FUNC_START(__axv_arm_fpsimd_save)
	stp	q0, q1,   [x0, #16 * 0]
	stp	q2, q3,   [x0, #16 * 2]
	stp	q4, q5,   [x0, #16 * 4]
	stp	q6, q7,   [x0, #16 * 6]
	stp	q8, q9,   [x0, #16 * 8]
	stp	q10, q11, [x0, #16 * 10]
	stp	q12, q13, [x0, #16 * 12]
	stp	q14, q15, [x0, #16 * 14]
	stp	q16, q17, [x0, #16 * 16]
	stp	q18, q19, [x0, #16 * 18]
	stp	q20, q21, [x0, #16 * 20]
	stp	q22, q23, [x0, #16 * 22]
	stp	q24, q25, [x0, #16 * 24]
	stp	q26, q27, [x0, #16 * 26]
	stp	q28, q29, [x0, #16 * 28]
	stp	q30, q31, [x0, #16 * 30]
	mrs	x1, fpsr
	str	w1, [x0, #AXV_FP_FPSR]
	mrs	x1, fpcr
	str	w1, [x0, #AXV_FP_FPCR]
	ret
SYM_FUNC_END(__axv_arm_fpsimd_save)

SYM_FUNC_START(__axv_arm_fpsimd_restore)
	ldp	q0, q1,   [x0, #16 * 0]
	ldp	q2, q3,   [x0, #16 * 2]
	ldp	q4, q5,   [x0, #16 * 4]
	ldp	q6, q7,   [x0, #16 * 6]
	ldp	q8, q9,   [x0, #16 * 8]
	ldp	q10, q11, [x0, #16 * 10]
	ldp	q12, q13, [x0, #16 * 12]
	ldp	q14, q15, [x0, #16 * 14]
	ldp	q16, q17, [x0, #16 * 16]
	ldp	q18, q19, [x0, #16 * 18]
	ldp	q20, q21, [x0, #16 * 20]
	ldp	q22, q23, [x0, #16 * 22]
	ldp	q24, q25, [x0, #16 * 24]
	ldp	q26, q27, [x0, #16 * 26]
	ldp	q28, q29, [x0, #16 * 28]
	ldp	q30, q31, [x0, #16 * 30]
	ldr	w1, [x0, #AXV_FP_FPSR]
	msr	fpsr, x1
	/*
	 * A write to FPCR can be self-synchronising on some implementations
	 * (Linux's fpsimd_restore skips it for the same reason): write it
	 * only when the guest's value differs from the one loaded.
	 */
	ldr	w1, [x0, #AXV_FP_FPCR]
	mrs	x2, fpcr
	cmp	x1, x2
	b.eq	1f
	msr	fpcr, x1
1:	ret
SYM_FUNC_END(__axv_arm_fpsimd_restore)

/*
 * Clean and invalidate [x0, x1) to the point of coherency, for guests
 * that run with their MMU off on a CPU without FEAT_S2FWB.  The kernel's
 * dcache_clean_inval_poc() is not exported to modules.
 */
SYM_FUNC_START(__axv_arm_dcache_clean_inval_poc)
	raw_dcache_line_size x2, x3
	sub	x3, x2, #1
	bic	x0, x0, x3
1:	dc	civac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	1b
	dsb	sy
	ret
SYM_FUNC_END(__axv_arm_dcache_clean_inval_poc)
