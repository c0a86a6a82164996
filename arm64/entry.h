/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout shared by entry.S and the C side of the arm64 world switch.
 *
 * There is no asm-offsets step for an out-of-tree module, so the offsets
 * of struct axv_arm_ctx are spelled out here and checked with
 * static_assert() in vcpu.c.
 */
#ifndef _AXVCPU_ARM64_ENTRY_H
#define _AXVCPU_ARM64_ENTRY_H

/* Why __axv_arm_enter() returned (the vector that ended the guest run). */
#define AXV_ARM_EXIT_SYNC	0
#define AXV_ARM_EXIT_IRQ	1
#define AXV_ARM_EXIT_FIQ	2
#define AXV_ARM_EXIT_SERROR	3
#define AXV_ARM_EXIT_AARCH32	4
/* The world switch answered the exit itself and left the guest: re-enter. */
#define AXV_ARM_EXIT_HANDLED	5

/*
 * Guest-exit vector tables, by the branch-predictor hardening they run
 * (entry.S, chosen per CPU by spectre.c).
 */
#define AXV_SPEC_NONE		0
#define AXV_SPEC_LOOP		1	/* Spectre-BHB: k taken branches */
#define AXV_SPEC_CLRBHB		2	/* Spectre-BHB: CLRBHB instruction */
#define AXV_SPEC_WA1		3	/* Spectre-v2: firmware WORKAROUND_1 */
#define AXV_SPEC_WA3		4	/* v2 and BHB: firmware WORKAROUND_3 */
#define AXV_SPEC_NR		5

/* struct axv_arm_ctx */
#define AXV_CTX_X(n)		((n) * 8)
#define AXV_CTX_SP_EL0		248
#define AXV_CTX_PC		256
#define AXV_CTX_PSTATE		264
#define AXV_CTX_HOST_SP_EL0	272
#define AXV_CTX_SIZE		288

/* FP/SIMD save area, struct user_fpsimd_state: V0-V31, FPSR, FPCR. */
#define AXV_FP_FPSR		(32 * 16)
#define AXV_FP_FPCR		(32 * 16 + 4)

#endif /* _AXVCPU_ARM64_ENTRY_H */
