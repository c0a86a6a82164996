/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's hardware breakpoints and watchpoints in the world switch.
 *
 * MDCR_EL2.TDA keeps every guest access to the debug registers trapped
 * (debug.c keeps the guest's values), so the CPU's registers are the
 * host's except inside the run window of a vcpu whose guest enabled a
 * breakpoint or watchpoint: there the guest's go in after the host's are
 * saved, and the host's come back before the window ends, as KVM's
 * __debug_switch_to_guest() / _to_host() do.  The host may change its
 * own between windows (a perf breakpoint installed by IPI), so nothing is
 * kept across them.  Inside the window nothing at EL2 can take a debug
 * exception: DAIF.D is masked, and with HCR_EL2.TGE and MDCR_EL2.TDE
 * clear the debug target is EL1 (Arm ARM D2.4 "The debug target
 * Exception level").
 */
#ifndef _AXVCPU_ARM64_DEBUG_H
#define _AXVCPU_ARM64_DEBUG_H

#include <asm/sysreg.h>

#define AXV_ARM_DBG_MAX		16

/**
 * struct axv_arm_debug - a vcpu's debug registers (debug.c).
 * @bvr: DBGBVR<n>_EL1.
 * @bcr: DBGBCR<n>_EL1.
 * @wvr: DBGWVR<n>_EL1.
 * @wcr: DBGWCR<n>_EL1.
 * @mdscr: MDSCR_EL1 as the guest wrote it.
 * @mdccint: MDCCINT_EL1.
 * @mdscr_run: MDSCR_EL1 while the guest runs: its own, less the debug
 *	enables while its OS lock is set.
 * @oslk: OSLSR_EL1.OSLK, set through OSLAR_EL1.
 * @in_use: some breakpoint or watchpoint is enabled with MDSCR_EL1.MDE:
 *	the registers are switched in the window.
 */
struct axv_arm_debug {
	u64 bvr[AXV_ARM_DBG_MAX], bcr[AXV_ARM_DBG_MAX];
	u64 wvr[AXV_ARM_DBG_MAX], wcr[AXV_ARM_DBG_MAX];
	u64 mdscr, mdccint, mdscr_run;
	bool oslk, in_use;
};

/* The host's, while a guest's are in (the run window only). */
struct axv_arm_host_debug {
	u64 bvr[AXV_ARM_DBG_MAX], bcr[AXV_ARM_DBG_MAX];
	u64 wvr[AXV_ARM_DBG_MAX], wcr[AXV_ARM_DBG_MAX];
};

/* Breakpoints and watchpoints of the CPU (ID_AA64DFR0_EL1 BRPs, WRPs). */
extern unsigned int axv_arm_nr_brps, axv_arm_nr_wrps;

/* The named registers are immediates of MRS/MSR: one case per index. */
static __always_inline void dbg_save_brps(u64 *a, u64 *b, unsigned int n)
{
	switch (n) {
	case 16:
		a[15] = read_sysreg(dbgbvr15_el1);
		b[15] = read_sysreg(dbgbcr15_el1);
		fallthrough;
	case 15:
		a[14] = read_sysreg(dbgbvr14_el1);
		b[14] = read_sysreg(dbgbcr14_el1);
		fallthrough;
	case 14:
		a[13] = read_sysreg(dbgbvr13_el1);
		b[13] = read_sysreg(dbgbcr13_el1);
		fallthrough;
	case 13:
		a[12] = read_sysreg(dbgbvr12_el1);
		b[12] = read_sysreg(dbgbcr12_el1);
		fallthrough;
	case 12:
		a[11] = read_sysreg(dbgbvr11_el1);
		b[11] = read_sysreg(dbgbcr11_el1);
		fallthrough;
	case 11:
		a[10] = read_sysreg(dbgbvr10_el1);
		b[10] = read_sysreg(dbgbcr10_el1);
		fallthrough;
	case 10:
		a[9] = read_sysreg(dbgbvr9_el1);
		b[9] = read_sysreg(dbgbcr9_el1);
		fallthrough;
	case 9:
		a[8] = read_sysreg(dbgbvr8_el1);
		b[8] = read_sysreg(dbgbcr8_el1);
		fallthrough;
	case 8:
		a[7] = read_sysreg(dbgbvr7_el1);
		b[7] = read_sysreg(dbgbcr7_el1);
		fallthrough;
	case 7:
		a[6] = read_sysreg(dbgbvr6_el1);
		b[6] = read_sysreg(dbgbcr6_el1);
		fallthrough;
	case 6:
		a[5] = read_sysreg(dbgbvr5_el1);
		b[5] = read_sysreg(dbgbcr5_el1);
		fallthrough;
	case 5:
		a[4] = read_sysreg(dbgbvr4_el1);
		b[4] = read_sysreg(dbgbcr4_el1);
		fallthrough;
	case 4:
		a[3] = read_sysreg(dbgbvr3_el1);
		b[3] = read_sysreg(dbgbcr3_el1);
		fallthrough;
	case 3:
		a[2] = read_sysreg(dbgbvr2_el1);
		b[2] = read_sysreg(dbgbcr2_el1);
		fallthrough;
	case 2:
		a[1] = read_sysreg(dbgbvr1_el1);
		b[1] = read_sysreg(dbgbcr1_el1);
		fallthrough;
	case 1:
		a[0] = read_sysreg(dbgbvr0_el1);
		b[0] = read_sysreg(dbgbcr0_el1);
		break;
	}
}

static __always_inline void dbg_load_brps(u64 *a, u64 *b, unsigned int n)
{
	switch (n) {
	case 16:
		write_sysreg(a[15], dbgbvr15_el1);
		write_sysreg(b[15], dbgbcr15_el1);
		fallthrough;
	case 15:
		write_sysreg(a[14], dbgbvr14_el1);
		write_sysreg(b[14], dbgbcr14_el1);
		fallthrough;
	case 14:
		write_sysreg(a[13], dbgbvr13_el1);
		write_sysreg(b[13], dbgbcr13_el1);
		fallthrough;
	case 13:
		write_sysreg(a[12], dbgbvr12_el1);
		write_sysreg(b[12], dbgbcr12_el1);
		fallthrough;
	case 12:
		write_sysreg(a[11], dbgbvr11_el1);
		write_sysreg(b[11], dbgbcr11_el1);
		fallthrough;
	case 11:
		write_sysreg(a[10], dbgbvr10_el1);
		write_sysreg(b[10], dbgbcr10_el1);
		fallthrough;
	case 10:
		write_sysreg(a[9], dbgbvr9_el1);
		write_sysreg(b[9], dbgbcr9_el1);
		fallthrough;
	case 9:
		write_sysreg(a[8], dbgbvr8_el1);
		write_sysreg(b[8], dbgbcr8_el1);
		fallthrough;
	case 8:
		write_sysreg(a[7], dbgbvr7_el1);
		write_sysreg(b[7], dbgbcr7_el1);
		fallthrough;
	case 7:
		write_sysreg(a[6], dbgbvr6_el1);
		write_sysreg(b[6], dbgbcr6_el1);
		fallthrough;
	case 6:
		write_sysreg(a[5], dbgbvr5_el1);
		write_sysreg(b[5], dbgbcr5_el1);
		fallthrough;
	case 5:
		write_sysreg(a[4], dbgbvr4_el1);
		write_sysreg(b[4], dbgbcr4_el1);
		fallthrough;
	case 4:
		write_sysreg(a[3], dbgbvr3_el1);
		write_sysreg(b[3], dbgbcr3_el1);
		fallthrough;
	case 3:
		write_sysreg(a[2], dbgbvr2_el1);
		write_sysreg(b[2], dbgbcr2_el1);
		fallthrough;
	case 2:
		write_sysreg(a[1], dbgbvr1_el1);
		write_sysreg(b[1], dbgbcr1_el1);
		fallthrough;
	case 1:
		write_sysreg(a[0], dbgbvr0_el1);
		write_sysreg(b[0], dbgbcr0_el1);
		break;
	}
}

static __always_inline void dbg_save_wrps(u64 *a, u64 *b, unsigned int n)
{
	switch (n) {
	case 16:
		a[15] = read_sysreg(dbgwvr15_el1);
		b[15] = read_sysreg(dbgwcr15_el1);
		fallthrough;
	case 15:
		a[14] = read_sysreg(dbgwvr14_el1);
		b[14] = read_sysreg(dbgwcr14_el1);
		fallthrough;
	case 14:
		a[13] = read_sysreg(dbgwvr13_el1);
		b[13] = read_sysreg(dbgwcr13_el1);
		fallthrough;
	case 13:
		a[12] = read_sysreg(dbgwvr12_el1);
		b[12] = read_sysreg(dbgwcr12_el1);
		fallthrough;
	case 12:
		a[11] = read_sysreg(dbgwvr11_el1);
		b[11] = read_sysreg(dbgwcr11_el1);
		fallthrough;
	case 11:
		a[10] = read_sysreg(dbgwvr10_el1);
		b[10] = read_sysreg(dbgwcr10_el1);
		fallthrough;
	case 10:
		a[9] = read_sysreg(dbgwvr9_el1);
		b[9] = read_sysreg(dbgwcr9_el1);
		fallthrough;
	case 9:
		a[8] = read_sysreg(dbgwvr8_el1);
		b[8] = read_sysreg(dbgwcr8_el1);
		fallthrough;
	case 8:
		a[7] = read_sysreg(dbgwvr7_el1);
		b[7] = read_sysreg(dbgwcr7_el1);
		fallthrough;
	case 7:
		a[6] = read_sysreg(dbgwvr6_el1);
		b[6] = read_sysreg(dbgwcr6_el1);
		fallthrough;
	case 6:
		a[5] = read_sysreg(dbgwvr5_el1);
		b[5] = read_sysreg(dbgwcr5_el1);
		fallthrough;
	case 5:
		a[4] = read_sysreg(dbgwvr4_el1);
		b[4] = read_sysreg(dbgwcr4_el1);
		fallthrough;
	case 4:
		a[3] = read_sysreg(dbgwvr3_el1);
		b[3] = read_sysreg(dbgwcr3_el1);
		fallthrough;
	case 3:
		a[2] = read_sysreg(dbgwvr2_el1);
		b[2] = read_sysreg(dbgwcr2_el1);
		fallthrough;
	case 2:
		a[1] = read_sysreg(dbgwvr1_el1);
		b[1] = read_sysreg(dbgwcr1_el1);
		fallthrough;
	case 1:
		a[0] = read_sysreg(dbgwvr0_el1);
		b[0] = read_sysreg(dbgwcr0_el1);
		break;
	}
}

static __always_inline void dbg_load_wrps(u64 *a, u64 *b, unsigned int n)
{
	switch (n) {
	case 16:
		write_sysreg(a[15], dbgwvr15_el1);
		write_sysreg(b[15], dbgwcr15_el1);
		fallthrough;
	case 15:
		write_sysreg(a[14], dbgwvr14_el1);
		write_sysreg(b[14], dbgwcr14_el1);
		fallthrough;
	case 14:
		write_sysreg(a[13], dbgwvr13_el1);
		write_sysreg(b[13], dbgwcr13_el1);
		fallthrough;
	case 13:
		write_sysreg(a[12], dbgwvr12_el1);
		write_sysreg(b[12], dbgwcr12_el1);
		fallthrough;
	case 12:
		write_sysreg(a[11], dbgwvr11_el1);
		write_sysreg(b[11], dbgwcr11_el1);
		fallthrough;
	case 11:
		write_sysreg(a[10], dbgwvr10_el1);
		write_sysreg(b[10], dbgwcr10_el1);
		fallthrough;
	case 10:
		write_sysreg(a[9], dbgwvr9_el1);
		write_sysreg(b[9], dbgwcr9_el1);
		fallthrough;
	case 9:
		write_sysreg(a[8], dbgwvr8_el1);
		write_sysreg(b[8], dbgwcr8_el1);
		fallthrough;
	case 8:
		write_sysreg(a[7], dbgwvr7_el1);
		write_sysreg(b[7], dbgwcr7_el1);
		fallthrough;
	case 7:
		write_sysreg(a[6], dbgwvr6_el1);
		write_sysreg(b[6], dbgwcr6_el1);
		fallthrough;
	case 6:
		write_sysreg(a[5], dbgwvr5_el1);
		write_sysreg(b[5], dbgwcr5_el1);
		fallthrough;
	case 5:
		write_sysreg(a[4], dbgwvr4_el1);
		write_sysreg(b[4], dbgwcr4_el1);
		fallthrough;
	case 4:
		write_sysreg(a[3], dbgwvr3_el1);
		write_sysreg(b[3], dbgwcr3_el1);
		fallthrough;
	case 3:
		write_sysreg(a[2], dbgwvr2_el1);
		write_sysreg(b[2], dbgwcr2_el1);
		fallthrough;
	case 2:
		write_sysreg(a[1], dbgwvr1_el1);
		write_sysreg(b[1], dbgwcr1_el1);
		fallthrough;
	case 1:
		write_sysreg(a[0], dbgwvr0_el1);
		write_sysreg(b[0], dbgwcr0_el1);
		break;
	}
}

static __always_inline void axv_arm_debug_to_guest(struct axv_arm_debug *g,
						   struct axv_arm_host_debug *h)
{
	dbg_save_brps(h->bvr, h->bcr, axv_arm_nr_brps);
	dbg_save_wrps(h->wvr, h->wcr, axv_arm_nr_wrps);
	dbg_load_brps(g->bvr, g->bcr, axv_arm_nr_brps);
	dbg_load_wrps(g->wvr, g->wcr, axv_arm_nr_wrps);
}

static __always_inline void axv_arm_debug_to_host(struct axv_arm_host_debug *h)
{
	dbg_load_brps(h->bvr, h->bcr, axv_arm_nr_brps);
	dbg_load_wrps(h->wvr, h->wcr, axv_arm_nr_wrps);
}

struct axv_arm_vcpu;
void axv_arm_debug_reset(struct axv_arm_debug *d);
int axv_arm_debug_sysreg(struct axv_arm_vcpu *av, u32 op0, u32 op1, u32 crn,
			 u32 crm, u32 op2, bool read, u64 *val);
void axv_arm_debug_init(void);

#endif /* _AXVCPU_ARM64_DEBUG_H */
