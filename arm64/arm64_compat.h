/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64-only differences between the kernels axvcpu builds for (Debian's
 * 6.1, 6.12 and 7.3).  arm64.mk probes the headers and defines
 * AXVCPU_HAVE_* for what the target kernel has; no version numbers are
 * compared.  The generic ones are in include/axvcpu_compat.h.
 */
#ifndef _AXVCPU_ARM64_COMPAT_H
#define _AXVCPU_ARM64_COMPAT_H

#include <asm/fpsimd.h>
#include <asm/neon.h>
#include <asm/sysreg.h>

/*
 * ICH_HCR_EL2.En, bit 0: the virtual CPU interface is enabled.  Newer
 * kernels drop the hand-written name for the one generated from
 * arch/arm64/tools/sysreg.
 */
#ifdef AXVCPU_HAVE_ICH_HCR_EN
#define AXV_ICH_HCR_EN		ICH_HCR_EN
#else
#define AXV_ICH_HCR_EN		ICH_HCR_EL2_En
#endif

/*
 * The EL2 registers of FEAT_HCX and FEAT_FGT/FGT2 (Arm ARM, DDI 0487,
 * "HCRX_EL2", "HFGRTR_EL2" ...), by encoding: 6.1 lacks some of the
 * generated names.
 */
#define AXV_SYS_HCRX_EL2	sys_reg(3, 4, 1, 2, 2)
#define AXV_SYS_HFGRTR_EL2	sys_reg(3, 4, 1, 1, 4)
#define AXV_SYS_HFGWTR_EL2	sys_reg(3, 4, 1, 1, 5)
#define AXV_SYS_HFGITR_EL2	sys_reg(3, 4, 1, 1, 6)
#define AXV_SYS_HDFGRTR_EL2	sys_reg(3, 4, 3, 1, 4)
#define AXV_SYS_HDFGWTR_EL2	sys_reg(3, 4, 3, 1, 5)
#define AXV_SYS_HDFGRTR2_EL2	sys_reg(3, 4, 3, 1, 0)
#define AXV_SYS_HDFGWTR2_EL2	sys_reg(3, 4, 3, 1, 1)
#define AXV_SYS_HFGRTR2_EL2	sys_reg(3, 4, 3, 1, 2)
#define AXV_SYS_HFGWTR2_EL2	sys_reg(3, 4, 3, 1, 3)
#define AXV_SYS_HFGITR2_EL2	sys_reg(3, 4, 3, 1, 7)

/**
 * axv_arm_neon_begin - take the FP/SIMD registers from the host task.
 * @buf: a buffer of the caller's that stays valid until axv_arm_neon_end().
 *
 * The host task's user FP state is saved and the registers are free for
 * the guest's.  Kernels whose kernel_neon_begin() takes a buffer save the
 * registers there if the task is scheduled out before axv_arm_neon_end()
 * and load them back when it runs again; older ones have no parameter.
 * axvcpu keeps preemption off between the two calls, so the kernel never
 * writes @buf today; it is a real buffer all the same, so that nothing
 * rests on that.
 */
static inline void axv_arm_neon_begin(struct user_fpsimd_state *buf)
{
#ifdef AXVCPU_HAVE_NEON_STATE
	kernel_neon_begin(buf);
#else
	kernel_neon_begin();
#endif
}

/**
 * axv_arm_neon_end - give the FP/SIMD registers back to the host task.
 * @buf: the buffer passed to axv_arm_neon_begin().
 */
static inline void axv_arm_neon_end(struct user_fpsimd_state *buf)
{
#ifdef AXVCPU_HAVE_NEON_STATE
	kernel_neon_end(buf);
#else
	kernel_neon_end();
#endif
}

#endif /* _AXVCPU_ARM64_COMPAT_H */
