// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: the guest's EL1 virtual timer (CNTV, PPI 27).
 *
 * The physical PPI 27 cannot be relied on: KVM owns it (and leaves it
 * active after acking it for a vcpu it does not find), and under
 * kvm-arm.mode=none nobody enables it.  So the timer is virtualised in
 * software, as KVM's own soft timer does:
 *  - before each entry, an expired, enabled, unmasked timer raises
 *    virtual INTID 27 through a list register;
 *  - while that interrupt is queued, pending or active, the guest runs
 *    with the hardware IMASK forced on, so the physical line cannot fire
 *    again and again (the guest still reads its own CTL value);
 *  - a host hrtimer pinned to this CPU at the deadline ends the run at
 *    the right time: its interrupt is a host IRQ, hence an exit.
 * switch.c disables the hardware timer on every exit.
 */
#include <linux/kernel.h>
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <clocksource/arm_arch_timer.h>
#include <asm/arch_timer.h>

#include "axvcpu_arch.h"
#include "arm64.h"

static enum hrtimer_restart vtimer_fire(struct hrtimer *t)
{
	/* The interrupt that ran this already made the guest exit. */
	return HRTIMER_NORESTART;
}

void axv_arm_timer_init(struct axv_arm_vcpu *av)
{
	hrtimer_init(&av->vtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	av->vtimer.function = vtimer_fire;
}

void axv_arm_timer_destroy(struct axv_arm_vcpu *av)
{
	hrtimer_cancel(&av->vtimer);
}

static bool vtimer_armed(struct axv_arm_vcpu *av)
{
	u64 ctl = av->sys.cntv_ctl;

	return (ctl & ARCH_TIMER_CTRL_ENABLE) && !(ctl & ARCH_TIMER_CTRL_IT_MASK);
}

/* Guest virtual count now: the physical count minus the guest's offset. */
static u64 guest_cntvct(struct axv_arm_vcpu *av)
{
	return __arch_counter_get_cntpct() - av->sys.cntvoff;
}

/* Preemption disabled, IRQs on, on the CPU that will run the guest. */
void axv_arm_timer_before_entry(struct axv_arm_vcpu *av)
{
	u64 now, cval = av->sys.cntv_cval;

	if (av->vtimer_pending && !axv_arm_vgic_intid_busy(av, AXV_ARM_VTIMER_INTID))
		av->vtimer_pending = false;	/* the guest has EOIed it */

	if (vtimer_armed(av) && !av->vtimer_pending) {
		now = guest_cntvct(av);
		if ((s64)(cval - now) <= 0) {
			if (!axv_arm_vgic_queue(av, AXV_ARM_VTIMER_INTID))
				av->vtimer_pending = true;
		} else {
			u64 ns = mul_u64_u32_div(cval - now, NSEC_PER_SEC,
						 arch_timer_get_cntfrq());

			hrtimer_start(&av->vtimer, ns_to_ktime(ns),
				      HRTIMER_MODE_REL_PINNED_HARD);
		}
	}
	av->vtimer_masked = av->vtimer_pending;
}

void axv_arm_timer_after_exit(struct axv_arm_vcpu *av)
{
	hrtimer_try_to_cancel(&av->vtimer);
}
