// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: virtual interrupts through the GICv3 list
 * registers.
 *
 * axvcpu_arch_vcpu_inject_interrupt() may run on any thread while the
 * vcpu runs, so it only appends the INTID to a small queue under a raw
 * spinlock (the core kicks the vcpu afterwards).  Before each entry, with
 * everything masked, the queue is moved into free list registers; on
 * each exit the list registers are read back, so the guest's progress
 * (pending -> active -> invalid after EOI) is kept in the vcpu and no
 * other vcpu or KVM guest sees it.  Nothing relies on the maintenance
 * interrupt: host ticks and kicks bound how long a queued INTID waits
 * for a free list register.
 *
 * KVM leaves ICH_HCR_EL2.En = 0 when none of its vcpus is loaded and
 * reloads all ICH state at its next load, so the only host state to
 * keep is "En = 0".  VMCR and the active priorities are the vcpu's from
 * load to put; the list registers, and En with them, only for the
 * entries that have an interrupt to give the guest, as KVM's
 * __vgic_v3_restore_state() does: with no list register in use there is
 * nothing for the interface to signal, and the guest's accesses to its
 * ICV_* registers act on VMCR and the active priorities whatever En is
 * (Arm GIC architecture, IHI 0069, ICH_HCR_EL2.En).  In an emulator each
 * ICH register access also takes the emulator's global lock.
 */
#include <linux/kernel.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include <asm/sysreg.h>
#include <asm/barrier.h>

#include "axvcpu_arch.h"
#include "arm64.h"
#include "arm64_compat.h"

#define LR_STATE_PENDING	(1ULL << 62)
#define LR_STATE_ACTIVE		(1ULL << 63)
#define LR_PRIORITY		0xa0ULL	/* Linux's default SPI/PPI priority */

/* The ICH_LR<n>_EL2 encodings are constants, hence the switches. */
static __always_inline u64 lr_read(int n)
{
	switch (n) {
	case 0:
		return read_sysreg_s(SYS_ICH_LR0_EL2);
	case 1:
		return read_sysreg_s(SYS_ICH_LR1_EL2);
	case 2:
		return read_sysreg_s(SYS_ICH_LR2_EL2);
	case 3:
		return read_sysreg_s(SYS_ICH_LR3_EL2);
	case 4:
		return read_sysreg_s(SYS_ICH_LR4_EL2);
	case 5:
		return read_sysreg_s(SYS_ICH_LR5_EL2);
	case 6:
		return read_sysreg_s(SYS_ICH_LR6_EL2);
	case 7:
		return read_sysreg_s(SYS_ICH_LR7_EL2);
	case 8:
		return read_sysreg_s(SYS_ICH_LR8_EL2);
	case 9:
		return read_sysreg_s(SYS_ICH_LR9_EL2);
	case 10:
		return read_sysreg_s(SYS_ICH_LR10_EL2);
	case 11:
		return read_sysreg_s(SYS_ICH_LR11_EL2);
	case 12:
		return read_sysreg_s(SYS_ICH_LR12_EL2);
	case 13:
		return read_sysreg_s(SYS_ICH_LR13_EL2);
	case 14:
		return read_sysreg_s(SYS_ICH_LR14_EL2);
	case 15:
		return read_sysreg_s(SYS_ICH_LR15_EL2);
	}
	return 0;
}

static __always_inline void lr_write(int n, u64 val)
{
	switch (n) {
	case 0:
		write_sysreg_s(val, SYS_ICH_LR0_EL2);
		break;
	case 1:
		write_sysreg_s(val, SYS_ICH_LR1_EL2);
		break;
	case 2:
		write_sysreg_s(val, SYS_ICH_LR2_EL2);
		break;
	case 3:
		write_sysreg_s(val, SYS_ICH_LR3_EL2);
		break;
	case 4:
		write_sysreg_s(val, SYS_ICH_LR4_EL2);
		break;
	case 5:
		write_sysreg_s(val, SYS_ICH_LR5_EL2);
		break;
	case 6:
		write_sysreg_s(val, SYS_ICH_LR6_EL2);
		break;
	case 7:
		write_sysreg_s(val, SYS_ICH_LR7_EL2);
		break;
	case 8:
		write_sysreg_s(val, SYS_ICH_LR8_EL2);
		break;
	case 9:
		write_sysreg_s(val, SYS_ICH_LR9_EL2);
		break;
	case 10:
		write_sysreg_s(val, SYS_ICH_LR10_EL2);
		break;
	case 11:
		write_sysreg_s(val, SYS_ICH_LR11_EL2);
		break;
	case 12:
		write_sysreg_s(val, SYS_ICH_LR12_EL2);
		break;
	case 13:
		write_sysreg_s(val, SYS_ICH_LR13_EL2);
		break;
	case 14:
		write_sysreg_s(val, SYS_ICH_LR14_EL2);
		break;
	case 15:
		write_sysreg_s(val, SYS_ICH_LR15_EL2);
		break;
	}
}

/*
 * Write an ICH register only when it differs: after a put on this CPU, and
 * no other vcpu or KVM guest loaded since, it still holds the vcpu's
 * value, and a read is cheaper than a write (in an emulator a write also
 * re-evaluates the virtual interrupt lines).
 */
#define load_ich(val, reg)					\
	do {							\
		u64 __v = (val);				\
								\
		if (read_sysreg_s(reg) != __v)			\
			write_sysreg_s(__v, reg);		\
	} while (0)

static __always_inline void apr_load(struct axv_arm_vgic *g, int n)
{
	switch (n) {
	case 3:
		load_ich(g->ap0r[3], SYS_ICH_AP0R3_EL2);
		load_ich(g->ap1r[3], SYS_ICH_AP1R3_EL2);
		load_ich(g->ap0r[2], SYS_ICH_AP0R2_EL2);
		load_ich(g->ap1r[2], SYS_ICH_AP1R2_EL2);
		fallthrough;
	case 1:
		load_ich(g->ap0r[1], SYS_ICH_AP0R1_EL2);
		load_ich(g->ap1r[1], SYS_ICH_AP1R1_EL2);
		fallthrough;
	default:
		load_ich(g->ap0r[0], SYS_ICH_AP0R0_EL2);
		load_ich(g->ap1r[0], SYS_ICH_AP1R0_EL2);
	}
}

static __always_inline void apr_read(struct axv_arm_vgic *g, int n)
{
	switch (n) {
	case 3:
		g->ap0r[3] = read_sysreg_s(SYS_ICH_AP0R3_EL2);
		g->ap1r[3] = read_sysreg_s(SYS_ICH_AP1R3_EL2);
		g->ap0r[2] = read_sysreg_s(SYS_ICH_AP0R2_EL2);
		g->ap1r[2] = read_sysreg_s(SYS_ICH_AP1R2_EL2);
		fallthrough;
	case 1:
		g->ap0r[1] = read_sysreg_s(SYS_ICH_AP0R1_EL2);
		g->ap1r[1] = read_sysreg_s(SYS_ICH_AP1R1_EL2);
		fallthrough;
	default:
		g->ap0r[0] = read_sysreg_s(SYS_ICH_AP0R0_EL2);
		g->ap1r[0] = read_sysreg_s(SYS_ICH_AP1R0_EL2);
	}
}

/**
 * axv_arm_vgic_reset_cpu - zero this CPU's list registers and ICH_HCR_EL2.
 *
 * Per CPU, when enabled: no stale list register may reach a guest, and
 * entries only write the list registers they use.
 */
void axv_arm_vgic_reset_cpu(void)
{
	int i;

	write_sysreg_s(0, SYS_ICH_HCR_EL2);
	for (i = 0; i < axv_arm_caps.nr_lr; i++)
		lr_write(i, 0);
}

/**
 * axv_arm_vgic_queue - queue an INTID for the vcpu's next entry.
 * @av: the vcpu; may be running on another CPU.
 * @intid: the INTID.
 *
 * Return: 0 (also when it is already queued) or -ENOSPC.
 */
int axv_arm_vgic_queue(struct axv_arm_vcpu *av, u32 intid)
{
	struct axv_arm_vgic *g = &av->vgic;
	unsigned long flags;
	int ret = 0;
	u32 i;

	raw_spin_lock_irqsave(&g->lock, flags);
	for (i = 0; i < g->nr_queued; i++)
		if (g->queue[i] == intid)
			goto out;
	if (g->nr_queued == AXV_ARM_IRQ_QUEUE) {
		ret = -ENOSPC;
		goto out;
	}
	g->queue[g->nr_queued] = intid;
	WRITE_ONCE(g->nr_queued, g->nr_queued + 1);	/* axv_arm_vgic_flush() */
out:
	raw_spin_unlock_irqrestore(&g->lock, flags);
	return ret;
}

/**
 * axv_arm_vgic_intid_busy - is @intid queued, or pending/active in a list
 *	register of the vcpu?
 * @av: the vcpu, from its own run path.
 * @intid: the INTID.
 */
bool axv_arm_vgic_intid_busy(struct axv_arm_vcpu *av, u32 intid)
{
	struct axv_arm_vgic *g = &av->vgic;
	unsigned long flags;
	bool busy = false;
	u32 i;

	for (i = 0; i < axv_arm_caps.nr_lr; i++)
		if ((g->lr[i] & ICH_LR_STATE) && (u32)g->lr[i] == intid)
			return true;
	raw_spin_lock_irqsave(&g->lock, flags);
	for (i = 0; i < g->nr_queued; i++)
		if (g->queue[i] == intid)
			busy = true;
	raw_spin_unlock_irqrestore(&g->lock, flags);
	return busy;
}

/*
 * ICH_VMCR_EL2 (Arm GIC architecture specification, IHI 0069): VPMR, the
 * virtual priority mask, in [31:24]; VENG1, virtual Group 1 enabled, bit 1.
 */
#define VMCR_VPMR_SHIFT		24
#define VMCR_VENG1		BIT(1)

/* Would the CPU interface signal an interrupt of @prio to the guest? */
static bool prio_signalled(u64 vmcr, u64 prio)
{
	return (vmcr & VMCR_VENG1) && prio < ((vmcr >> VMCR_VPMR_SHIFT) & 0xff);
}

/**
 * axv_arm_vgic_wfi_prepare - note the VMCR a WFI is judged by.
 * @av: the vcpu, between two entries: the guest cannot change its VMCR
 *	before the next one.
 */
void axv_arm_vgic_wfi_prepare(struct axv_arm_vcpu *av)
{
	struct axv_arm_vgic *g = &av->vgic;

	/* Loaded (load to put), the CPU holds it; put saved it otherwise. */
	preempt_disable();
	g->wfi_vmcr = av->loaded ? read_sysreg_s(SYS_ICH_VMCR_EL2) : g->vmcr;
	preempt_enable();
}

/**
 * axv_arm_vgic_wfi_wake - does an interrupt for the guest end its WFI?
 * @av: the vcpu, between two entries, with av->vgic.wfi_vmcr its VMCR.
 *
 * A WFI completes when a virtual interrupt is pending that the CPU
 * interface would signal, whatever PSTATE.I (Arm ARM, "Wait For
 * Interrupt"): a pending list register above the priority mask, or a
 * queued INTID (Group 1, LR_PRIORITY).  Any thread: the list registers do
 * not change while the vcpu does not run, the queue is read once.
 */
bool axv_arm_vgic_wfi_wake(struct axv_arm_vcpu *av)
{
	struct axv_arm_vgic *g = &av->vgic;
	u64 vmcr = g->wfi_vmcr;
	u32 i;

	if (READ_ONCE(g->nr_queued) && prio_signalled(vmcr, LR_PRIORITY))
		return true;
	for (i = 0; i < axv_arm_caps.nr_lr; i++)
		if ((g->lr[i] & LR_STATE_PENDING) &&
		    prio_signalled(vmcr, (g->lr[i] >> ICH_LR_PRIORITY_SHIFT) &
					 0xff))
			return true;
	return false;
}

/*
 * The vcpu's interrupts for AXVCPU_GET_IRQ_STATE, from any thread: the
 * queue under its lock, the list registers as the last exit saved them
 * (the vcpu may be in the guest meanwhile: a snapshot either way).
 */
int axvcpu_arch_vcpu_irq_state(struct axvcpu_vcpu *vcpu,
			       struct axvcpu_irq_state *st)
{
	struct axv_arm_vgic *g = &to_arm(vcpu)->vgic;
	unsigned long flags;
	u32 i;

	raw_spin_lock_irqsave(&g->lock, flags);
	for (i = 0; i < g->nr_queued; i++)
		if (g->queue[i] < 1024)
			__set_bit(g->queue[i], (unsigned long *)st->pending);
	for (i = 0; i < axv_arm_caps.nr_lr; i++) {
		u64 lr = READ_ONCE(g->lr[i]);
		u32 intid = (u32)lr;

		if (intid >= 1024)
			continue;
		if (lr & LR_STATE_PENDING)
			__set_bit(intid, (unsigned long *)st->pending);
		if (lr & LR_STATE_ACTIVE)
			__set_bit(intid, (unsigned long *)st->active);
	}
	raw_spin_unlock_irqrestore(&g->lock, flags);
	return 0;
}

/* Put one INTID into the shadow list registers; false if none is free. */
static bool lr_add(struct axv_arm_vgic *g, u32 intid)
{
	int i, free = -1;

	for (i = 0; i < axv_arm_caps.nr_lr; i++) {
		u64 lr = g->lr[i];

		if (!(lr & ICH_LR_STATE)) {
			if (free < 0)
				free = i;
			continue;
		}
		/*
		 * Two list registers with the same vINTID are UNPREDICTABLE:
		 * an active one becomes active+pending, a pending one stays.
		 */
		if ((u32)lr == intid) {
			g->lr[i] |= LR_STATE_PENDING;
			return true;
		}
	}
	if (free < 0)
		return false;
	g->lr[free] = LR_STATE_PENDING | ICH_LR_GROUP |
		      (LR_PRIORITY << ICH_LR_PRIORITY_SHIFT) | intid;
	g->live_lrs |= BIT(free);
	return true;
}

/**
 * __axv_arm_vgic_flush - move queued INTIDs into free list registers.
 * @av: the vcpu, about to enter; IRQs are masked.
 *
 * The part of axv_arm_vgic_flush() for a non-empty queue.
 */
void __axv_arm_vgic_flush(struct axv_arm_vcpu *av)
{
	struct axv_arm_vgic *g = &av->vgic;
	u32 i, kept = 0;

	raw_spin_lock(&g->lock);
	for (i = 0; i < g->nr_queued; i++) {
		if (!lr_add(g, g->queue[i]))
			g->queue[kept++] = g->queue[i];
	}
	WRITE_ONCE(g->nr_queued, kept);
	raw_spin_unlock(&g->lock);
}

/**
 * axv_arm_vgic_load - load the vcpu's VMCR and active priorities.
 * @g: the vcpu's GIC state.
 *
 * At vcpu load.  None of this acts on the host at EL2: virtual interrupts
 * go to EL1 only, and the interface stays disabled (En = 0) outside the
 * entries that use list registers.
 */
void axv_arm_vgic_load(struct axv_arm_vgic *g)
{
	load_ich(g->vmcr, SYS_ICH_VMCR_EL2);
	apr_load(g, axv_arm_caps.nr_apr - 1);
}

/**
 * axv_arm_vgic_put - save VMCR and the active priorities.
 * @g: the vcpu's GIC state.
 *
 * At vcpu put.  En is already 0: every exit that set it cleared it.
 */
void axv_arm_vgic_put(struct axv_arm_vgic *g)
{
	g->vmcr = read_sysreg_s(SYS_ICH_VMCR_EL2);
	apr_read(g, axv_arm_caps.nr_apr - 1);
}

/**
 * axv_arm_vgic_restore - write the vcpu's pending and active interrupts
 *	into the list registers.
 * @av: the vcpu, inside the run window.
 */
noinstr void axv_arm_vgic_restore(struct axv_arm_vcpu *av)
{
	struct axv_arm_vgic *g = &av->vgic;
	int i;

	g->used_lrs = g->live_lrs;
	if (!g->used_lrs)
		return;
	/* Unused list registers are zero (hardware_enable, exits, KVM). */
	for (i = 0; i < axv_arm_caps.nr_lr; i++)
		if (g->used_lrs & BIT(i))
			lr_write(i, g->lr[i]);
	write_sysreg_s(AXV_ICH_HCR_EN, SYS_ICH_HCR_EL2);
}

/**
 * axv_arm_vgic_save - read the used list registers back and zero them.
 * @av: the vcpu, inside the run window.
 *
 * The guest's progress (pending -> active -> invalid after EOI) is kept in
 * the vcpu; no other vcpu or KVM guest may see its list registers.  The
 * interface is disabled again (En = 0) with them.
 */
noinstr void axv_arm_vgic_save(struct axv_arm_vcpu *av)
{
	struct axv_arm_vgic *g = &av->vgic;
	u64 elrsr;
	int i;

	if (!g->used_lrs)
		return;
	write_sysreg_s(0, SYS_ICH_HCR_EL2);
	elrsr = read_sysreg_s(SYS_ICH_ELRSR_EL2);
	for (i = 0; i < axv_arm_caps.nr_lr; i++) {
		if (!(g->used_lrs & BIT(i)))
			continue;
		g->lr[i] = (elrsr & BIT(i)) ? 0 : lr_read(i);
		lr_write(i, 0);
		if (!(g->lr[i] & ICH_LR_STATE))
			g->live_lrs &= ~BIT(i);
	}
	g->used_lrs = 0;
}
