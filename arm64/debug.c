// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: the guest's self-hosted debug registers.
 *
 * MDCR_EL2.TDA, TDOSA and TDRA trap every guest access to them (vcpu.c),
 * and they are answered here from the vcpu's copy, as KVM's
 * trap_debug_regs() and friends do: the breakpoint and watchpoint value
 * and control registers that the CPU has, MDSCR_EL1, MDCCINT_EL1, and an
 * OS lock of the guest's own (OSLAR_EL1 / OSLSR_EL1) that disables its
 * debug exceptions while set.  The DCC data registers, the OS double
 * lock, DBGPRCR_EL1, the claim tags and MDRAR_EL1 read as zero and ignore
 * writes; a breakpoint or watchpoint the CPU does not have is UNDEFINED,
 * as on hardware.  debug.h switches the registers in the run window once
 * the guest enables one; its exceptions then go to the guest's own EL1
 * (MDCR_EL2.TDE clear), as do its software steps.
 *
 * Arm ARM D2 "AArch64 Self-hosted Debug" and D19.3 (the registers).
 */
#include <linux/kernel.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>

#include "arm64.h"

#define MDSCR_SS		BIT(0)
#define MDSCR_TDCC		BIT(12)
#define MDSCR_KDE		BIT(13)
#define MDSCR_MDE		BIT(15)
/* What a guest may set in MDSCR_EL1 and have in effect while it runs. */
#define MDSCR_GUEST		(MDSCR_SS | MDSCR_TDCC | MDSCR_KDE | MDSCR_MDE)
#define MDSCR_DEBUG		(MDSCR_SS | MDSCR_KDE | MDSCR_MDE)

#define DBGBCR_E		BIT(0)
/*
 * HMC (bit 13) would let a breakpoint match at EL2: never the guest's.
 * With TDE and TGE clear nothing at EL2 takes one, but drop it anyway.
 */
#define DBGBCR_HMC		BIT(13)
#define DBGWCR_E		BIT(0)
#define DBGWCR_HMC		BIT(13)

/* OSLSR_EL1.OSLM = 0b10: the OS lock is implemented (bits [3] and [0]). */
#define OSLSR_OSLM_IMPL		BIT(3)
#define OSLSR_OSLK		BIT(1)

unsigned int axv_arm_nr_brps, axv_arm_nr_wrps;

/**
 * axv_arm_debug_init - read how many breakpoints and watchpoints there
 *	are (the system-wide value, as the guest's ID_AA64DFR0_EL1 says).
 */
void axv_arm_debug_init(void)
{
	u64 dfr0 = read_sanitised_ftr_reg(SYS_ID_AA64DFR0_EL1);

	axv_arm_nr_brps = ((dfr0 >> 12) & 0xf) + 1;
	axv_arm_nr_wrps = ((dfr0 >> 20) & 0xf) + 1;
}

static void update(struct axv_arm_debug *d)
{
	unsigned int i;
	bool on = false;

	d->mdscr_run = d->mdscr & MDSCR_GUEST;
	/* OS lock set: no breakpoint, watchpoint or step exceptions. */
	if (d->oslk)
		d->mdscr_run &= ~MDSCR_DEBUG;
	for (i = 0; i < axv_arm_nr_brps; i++)
		on |= d->bcr[i] & DBGBCR_E;
	for (i = 0; i < axv_arm_nr_wrps; i++)
		on |= d->wcr[i] & DBGWCR_E;
	d->in_use = on && (d->mdscr_run & MDSCR_MDE);
}

/**
 * axv_arm_debug_reset - the registers at vcpu creation (KVM's values:
 *	all zero, OS lock clear).
 * @d: the vcpu's copy.
 */
void axv_arm_debug_reset(struct axv_arm_debug *d)
{
	memset(d, 0, sizeof(*d));
	update(d);
}

/**
 * axv_arm_debug_sysreg - a trapped access to a debug register.
 * @av: the vcpu (the copy changes; a change of the switched registers
 *	takes effect at the next entry).
 * @op0: the register's encoding: op0,
 * @op1: op1,
 * @crn: CRn,
 * @crm: CRm,
 * @op2: and op2.
 * @read: MRS (true) or MSR.
 * @val: the value written, or set to the value read.
 *
 * Return: 1 if answered, 0 if the register is not a debug register,
 * -EINVAL if it is one the CPU does not have (the caller UNDEFs).
 */
int axv_arm_debug_sysreg(struct axv_arm_vcpu *av, u32 op0, u32 op1, u32 crn,
			 u32 crm, u32 op2, bool read, u64 *val)
{
	struct axv_arm_debug *d = &av->dbg;
	u64 *reg = NULL, mask = ~0ULL;

	if (op0 != 2)
		return 0;
	if (op1 == 3 && crn == 0) {
		/* MDCCSR_EL0, DBGDTR_EL0, DBGDTRRX/TX_EL0: no DCC channel. */
		if (read)
			*val = 0;
		return 1;
	}
	if (op1 != 0)
		return 0;

	if (crn == 0 && op2 >= 4) {
		/* DBG{B,W}{V,C}R<crm>_EL1 */
		bool bp = op2 <= 5;

		if (crm >= (bp ? axv_arm_nr_brps : axv_arm_nr_wrps))
			return -EINVAL;
		switch (op2) {
		case 4:
			reg = &d->bvr[crm];
			break;
		case 5:
			reg = &d->bcr[crm];
			mask = ~DBGBCR_HMC;
			break;
		case 6:
			reg = &d->wvr[crm];
			break;
		default:
			reg = &d->wcr[crm];
			mask = ~DBGWCR_HMC;
			break;
		}
	} else if (crn == 0 && crm == 2 && op2 == 2) {
		reg = &d->mdscr;
		mask = MDSCR_GUEST;
	} else if (crn == 0 && crm == 2 && op2 == 0) {
		reg = &d->mdccint;
	} else if (crn == 1 && crm == 0 && op2 == 4) {	/* OSLAR_EL1, WO */
		if (!read) {
			d->oslk = *val & 1;
			update(d);
		} else {
			*val = 0;
		}
		return 1;
	} else if (crn == 1 && crm == 1 && op2 == 4) {	/* OSLSR_EL1, RO */
		if (read)
			*val = OSLSR_OSLM_IMPL | (d->oslk ? OSLSR_OSLK : 0);
		return 1;
	} else if (crn == 0 || crn == 1 || crn == 7) {
		/*
		 * OSDTRRX/TX, OSECCR, MDRAR, OSDLR, DBGPRCR, the claim tags,
		 * DBGAUTHSTATUS: nothing behind them for a guest.
		 */
		if (read)
			*val = 0;
		return 1;
	} else {
		return 0;
	}

	if (read) {
		*val = *reg;
	} else {
		*reg = *val & mask;
		update(d);
	}
	return 1;
}
