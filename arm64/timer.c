// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: the guest's EL1 timers, virtual (CNTV, PPI 27)
 * and, with passthrough_timer, physical (CNTP, PPI 30).
 *
 * The physical PPIs cannot be relied on: KVM owns them (and leaves one
 * active after acking it for a vcpu it does not find), and under
 * kvm-arm.mode=none nobody enables them.  So timer interrupts are made in
 * software, as KVM's own soft timer does:
 *  - before each entry, an expired, enabled, unmasked timer raises its
 *    virtual INTID through a list register;
 *  - while that interrupt is queued, pending or active, the guest runs
 *    with the hardware IMASK forced on, so the physical line cannot fire
 *    again and again (the guest still reads its own CTL value);
 *  - a host hrtimer pinned to this CPU at the earliest deadline ends the
 *    run in time: its interrupt is a host IRQ, hence an exit.
 * switch.c switches the hardware timers off on every exit.  Without
 * passthrough_timer, CNTP_* accesses trap (CNTHCTL_EL2.EL1PCEN = 0) and
 * become SYSREG exits for the VMM, which emulates the EL1 physical timer.
 */
#include <linux/kernel.h>
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <clocksource/arm_arch_timer.h>
#include <asm/arch_timer.h>

#include "axvcpu_arch.h"
#include "axvcpu_compat.h"
#include "arm64.h"

static enum hrtimer_restart timer_fire(struct hrtimer *t)
{
	/* The interrupt that ran this already made the guest exit. */
	return HRTIMER_NORESTART;
}

/**
 * axv_arm_timer_init - set up the vcpu's deadline hrtimer.
 * @av: the vcpu.
 */
void axv_arm_timer_init(struct axv_arm_vcpu *av)
{
	axvcpu_hrtimer_setup(&av->hrtimer, timer_fire, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_HARD);
}

/**
 * axv_arm_timer_destroy - stop the vcpu's deadline hrtimer.
 * @av: the vcpu.
 */
void axv_arm_timer_destroy(struct axv_arm_vcpu *av)
{
	hrtimer_cancel(&av->hrtimer);
}

/*
 * One timer: raise its INTID if it fired, else return the nanoseconds
 * to its deadline (U64_MAX when it is off or already raised).
 */
static u32 timer_intid(int t)
{
	return t == AXV_ARM_VTIMER ? AXV_ARM_VTIMER_INTID : AXV_ARM_PTIMER_INTID;
}

/*
 * One timer: 0 if it has fired and its INTID is not raised yet, else the
 * nanoseconds to its deadline (U64_MAX when it is off or already raised).
 */
static u64 timer_ns(struct axv_arm_vcpu *av, int t, u64 ctl, u64 cval,
		    u64 count)
{
	if (av->timer_pending[t] &&
	    !axv_arm_vgic_intid_busy(av, timer_intid(t)))
		av->timer_pending[t] = false;	/* the guest has EOIed it */
	if (!(ctl & ARCH_TIMER_CTRL_ENABLE) || (ctl & ARCH_TIMER_CTRL_IT_MASK) ||
	    av->timer_pending[t])
		return U64_MAX;
	if ((s64)(cval - count) <= 0)
		return 0;
	return mul_u64_u32_div(cval - count, NSEC_PER_SEC,
			       arch_timer_get_cntfrq()) ?: 1;
}

/* timer_ns(), raising the INTID of a timer that has fired. */
static u64 timer_check(struct axv_arm_vcpu *av, int t, u64 ctl, u64 cval,
		       u64 count)
{
	u64 ns = timer_ns(av, t, ctl, cval, count);

	if (ns)
		return ns;
	if (!axv_arm_vgic_queue(av, timer_intid(t)))
		av->timer_pending[t] = true;
	return U64_MAX;
}

/**
 * __axv_arm_timer_before_entry - raise fired timers, arm the next deadline.
 * @av: the vcpu, with a live timer (axv_arm_timer_before_entry()).
 *
 * Preemption disabled, IRQs on, on the CPU that will run the guest.
 */
void __axv_arm_timer_before_entry(struct axv_arm_vcpu *av)
{
	struct axv_arm_sysregs *s = &av->sys;
	u64 now = __arch_counter_get_cntpct(), ns;

	/* The guest's virtual count is the physical count minus CNTVOFF. */
	ns = timer_check(av, AXV_ARM_VTIMER, s->cntv_ctl, s->cntv_cval,
			 now - s->cntvoff);
	if (av->passthrough_timer)
		ns = min(ns, timer_check(av, AXV_ARM_PTIMER, s->cntp_ctl,
					 s->cntp_cval, now));
	if (ns != U64_MAX) {
		hrtimer_start(&av->hrtimer, ns_to_ktime(ns),
			      HRTIMER_MODE_REL_PINNED_HARD);
		av->hrtimer_armed = true;
	}
	av->timer_masked[AXV_ARM_VTIMER] = av->timer_pending[AXV_ARM_VTIMER];
	av->timer_masked[AXV_ARM_PTIMER] = av->timer_pending[AXV_ARM_PTIMER];
}

/**
 * axv_arm_timer_wake_ns - how long a WFI may sleep for the EL1 timers.
 * @av: the vcpu, between two entries (its timer registers saved).
 *
 * Return: 0 when a timer has fired and the next entry raises it, the
 * nanoseconds to the earliest deadline, or U64_MAX with no timer live.
 */
u64 axv_arm_timer_wake_ns(struct axv_arm_vcpu *av)
{
	struct axv_arm_sysregs *s = &av->sys;
	u64 now = __arch_counter_get_cntpct(), ns = U64_MAX;

	if (axv_arm_timer_live(av, AXV_ARM_VTIMER, s->cntv_ctl))
		ns = timer_ns(av, AXV_ARM_VTIMER, s->cntv_ctl, s->cntv_cval,
			      now - s->cntvoff);
	if (av->passthrough_timer &&
	    axv_arm_timer_live(av, AXV_ARM_PTIMER, s->cntp_ctl))
		ns = min(ns, timer_ns(av, AXV_ARM_PTIMER, s->cntp_ctl,
				      s->cntp_cval, now));
	return ns;
}

/**
 * __axv_arm_timer_after_exit - the run is over: drop the deadline.
 * @av: the vcpu, whose last entry started its hrtimer.
 */
void __axv_arm_timer_after_exit(struct axv_arm_vcpu *av)
{
	/*
	 * Pinned and hard: its callback runs in hardirq on this CPU, never
	 * at the same time as this, so the cancel always succeeds.
	 */
	hrtimer_try_to_cancel(&av->hrtimer);
	av->hrtimer_armed = false;
}
