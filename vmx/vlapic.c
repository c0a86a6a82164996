// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated local APIC: xAPIC MMIO page and x2APIC MSRs 0x800-0x8ff
 * (SDM Vol. 3A, "Advanced Programmable Interrupt Controller (APIC)").
 *
 * In detail:
 *  - IA32_APIC_BASE is a real register: global enable, x2APIC switch (with
 *    the SDM's invalid transitions refused by #GP);
 *  - IRR/ISR/PPR work: a vector is delivered only above the processor
 *    priority, EOI retires the highest in-service vector;
 *  - the timer runs on a host hrtimer in one-shot, periodic (re-armed) and
 *    TSC-deadline mode, and a masked LVT delivers nothing.  The timer
 *    counts at 1 GHz divided by TDCR: one count per nanosecond of the
 *    host's hrtimer clock.  Its callback runs in hard-IRQ context: it
 *    only sets a bit in @pir and kicks the vcpu, so the vector arrives
 *    whether the vcpu is in the guest, between entries, or back in the
 *    VMM;
 *  - ICR writes: fixed, lowest-priority and NMI IPIs are delivered here to
 *    every vcpu of the VM the destination names (axvlapic_deliver_ipi());
 *    only one no vcpu takes becomes a SEND_IPI exit.  INIT and SIPI reach
 *    the vcpus set up to wait for SIPI here (the target's thread resets
 *    it and starts it, vmx_run.c); for any other target, INIT then SIPI
 *    becomes one CPU_UP exit (the VMM starts the vcpu; the second SIPI of
 *    the usual INIT-SIPI-SIPI is dropped, as a started CPU does).
 *
 * Nothing here panics on a guest value: an access the architecture
 * faults on returns AXVLAPIC_GP, anything else is ignored.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <asm/apicdef.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "axvcpu_compat.h"
#include "axvcpu_core.h"
#include "vlapic.h"

#define REG(off)		((off) >> 4)
#define APIC_VERSION_VAL	(0x14 | (5 << 16))	/* 6 LVTs: no CMCI */
#define APIC_BASE_EXTD		X2APIC_ENABLE
#define APIC_BASE_EN		MSR_IA32_APICBASE_ENABLE
#define APIC_BASE_BSP		MSR_IA32_APICBASE_BSP
#define LVT_TIMER_MODE		(3 << 17)
#define ICR_BUSY		BIT(12)
#define MIN_PERIOD_NS		200000ULL	/* periodic timers: 5 kHz at most */

static const u32 lvt_masks[] = {
	[0] = 0xff | APIC_LVT_MASKED | LVT_TIMER_MODE,	/* timer */
	[1] = 0x7ff | APIC_LVT_MASKED,			/* thermal */
	[2] = 0x7ff | APIC_LVT_MASKED,			/* PMC */
	[3] = 0xaff | 0xe000 | APIC_LVT_MASKED,		/* LINT0 */
	[4] = 0xaff | 0xe000 | APIC_LVT_MASKED,		/* LINT1 */
	[5] = 0xff | APIC_LVT_MASKED,			/* error */
};

static u32 apic_id(struct axvlapic *a)
{
	return a->vcpu->id;
}

static bool x2apic_mode(struct axvlapic *a)
{
	return (a->base_msr & (APIC_BASE_EN | APIC_BASE_EXTD)) ==
	       (APIC_BASE_EN | APIC_BASE_EXTD);
}

static bool hw_enabled(struct axvlapic *a)
{
	return a->base_msr & APIC_BASE_EN;
}

static bool sw_enabled(struct axvlapic *a)
{
	return READ_ONCE(a->regs[REG(APIC_SPIV)]) & APIC_SPIV_APIC_ENABLED;
}

/* ---- IRR / ISR ---- */

/* Highest set bit of the 256-bit register starting at @off, or -1. */
static int highest(struct axvlapic *a, u32 off)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = a->regs[REG(off) + i];

		if (w)
			return i * 32 + __fls(w);
	}
	return -1;
}

static void set_vec(struct axvlapic *a, u32 off, int vec)
{
	a->regs[REG(off) + vec / 32] |= BIT(vec % 32);
}

/**
 * axvlapic_irq_state - the 256 vectors requested and in service.
 * @a: the vLAPIC; any thread (plain reads of its registers).
 * @pending: set: IRR, and vectors posted but not merged into it yet.
 * @active: set: ISR.
 */
void axvlapic_irq_state(struct axvlapic *a, __u64 *pending, __u64 *active)
{
	int i;

	for (i = 0; i < 8; i++) {
		u64 irr = READ_ONCE(a->regs[REG(APIC_IRR) + i]);
		u64 isr = READ_ONCE(a->regs[REG(APIC_ISR) + i]);

		pending[i / 2] |= irr << (32 * (i % 2));
		active[i / 2] |= isr << (32 * (i % 2));
	}
	for (i = 0; i < ARRAY_SIZE(a->pir); i++)
		pending[i] |= READ_ONCE(a->pir[i]);
}

static void clear_vec(struct axvlapic *a, u32 off, int vec)
{
	a->regs[REG(off) + vec / 32] &= ~BIT(vec % 32);
}

static void merge_pir(struct axvlapic *a)
{
	int i, b;

	for (i = 0; i < ARRAY_SIZE(a->pir); i++) {
		unsigned long p;

		if (!READ_ONCE(a->pir[i]))
			continue;
		p = xchg(&a->pir[i], 0);
		for_each_set_bit(b, &p, BITS_PER_LONG)
			set_vec(a, APIC_IRR, i * BITS_PER_LONG + b);
	}
}

static u32 ppr(struct axvlapic *a)
{
	u32 tpr = READ_ONCE(*a->tpr) & 0xff;
	int isrv = highest(a, APIC_ISR);
	u32 isrc = isrv < 0 ? 0 : isrv & 0xf0;

	return (tpr & 0xf0) >= isrc ? tpr : isrc;
}

/**
 * axvlapic_accept_irq - a fixed interrupt arrives at the APIC.
 * @a: the APIC.
 * @vector: 16..255.
 *
 * Any context.  A disabled APIC (globally or by SVR) does not take fixed
 * interrupts; the caller then delivers them another way.
 *
 * Return: true if the vector is now pending in the APIC.
 */
bool axvlapic_accept_irq(struct axvlapic *a, u8 vector)
{
	if (vector < 16 || !(READ_ONCE(a->base_msr) & APIC_BASE_EN) ||
	    !sw_enabled(a))
		return false;
	set_bit(vector, a->pir);
	return true;
}

int axvlapic_pending_vector(struct axvlapic *a)
{
	int vec;

	if (!hw_enabled(a))
		return -1;
	merge_pir(a);
	vec = highest(a, APIC_IRR);
	if (vec < 0 || (vec & 0xf0) <= (ppr(a) & 0xf0))
		return -1;
	return vec;
}

void axvlapic_ack(struct axvlapic *a, int vector)
{
	clear_vec(a, APIC_IRR, vector);
	set_vec(a, APIC_ISR, vector);
}

/**
 * axvlapic_tpr_threshold - the TPR class below which a vector becomes
 * deliverable.
 * @a: the APIC; the vcpu's thread.
 *
 * Return: the priority class of the highest requested vector when the
 * TPR alone holds it back (lowering the TPR below it lets it through), or
 * 0: nothing requested, deliverable already, or held by an in-service
 * vector (whose EOI is an exit of its own).
 */
u32 axvlapic_tpr_threshold(struct axvlapic *a)
{
	int irr, isr;

	if (!hw_enabled(a))
		return 0;
	merge_pir(a);
	irr = highest(a, APIC_IRR);
	if (irr < 0 || (irr & 0xf0) > (READ_ONCE(*a->tpr) & 0xf0))
		return 0;
	isr = highest(a, APIC_ISR);
	if (isr >= 0 && (irr & 0xf0) <= (isr & 0xf0))
		return 0;
	return irr >> 4;
}

static void eoi(struct axvlapic *a)
{
	int vec = highest(a, APIC_ISR);

	if (vec >= 0)
		clear_vec(a, APIC_ISR, vec);
}

u64 axvlapic_get_cr8(struct axvlapic *a)
{
	return (READ_ONCE(*a->tpr) >> 4) & 0xf;
}

void axvlapic_set_cr8(struct axvlapic *a, u64 cr8)
{
	WRITE_ONCE(*a->tpr, (cr8 & 0xf) << 4);
}

/* ---- timer ---- */

static u32 timer_mode(struct axvlapic *a)
{
	return a->regs[REG(APIC_LVTT)] & LVT_TIMER_MODE;
}

static u32 divide(struct axvlapic *a)
{
	u32 d = a->regs[REG(APIC_TDCR)];

	d = (d & 3) | ((d & 8) >> 1);
	return 1U << ((d + 1) & 7);
}

static enum hrtimer_restart timer_fn(struct hrtimer *t)
{
	struct axvlapic *a = container_of(t, struct axvlapic, timer);
	u32 lvt = READ_ONCE(a->regs[REG(APIC_LVTT)]);

	if (!(lvt & APIC_LVT_MASKED) && (lvt & 0xff) >= 16) {
		set_bit(lvt & 0xff, a->pir);
		axvcpu_vcpu_kick(a->vcpu);
	}
	wake_up_interruptible(&a->halt_wq);
	if (a->period_ns) {
		hrtimer_forward_now(t, ns_to_ktime(a->period_ns));
		return HRTIMER_RESTART;
	}
	if ((lvt & LVT_TIMER_MODE) == APIC_LVT_TIMER_TSCDEADLINE)
		WRITE_ONCE(a->tsc_deadline, 0);
	return HRTIMER_NORESTART;
}

bool axvlapic_timer_armed(struct axvlapic *a)
{
	u32 lvt = a->regs[REG(APIC_LVTT)];

	return !(lvt & APIC_LVT_MASKED) && (lvt & 0xff) >= 16 &&
	       hrtimer_active(&a->timer);
}

static void timer_stop(struct axvlapic *a)
{
	hrtimer_cancel(&a->timer);
	a->period_ns = 0;
}

/* TMICT written, or the LVT mode changed: (re)start the count. */
static void timer_start_count(struct axvlapic *a)
{
	u64 ns = (u64)a->regs[REG(APIC_TMICT)] * divide(a);

	timer_stop(a);
	if (!ns || timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE)
		return;
	if (timer_mode(a) == APIC_LVT_TIMER_PERIODIC) {
		ns = max(ns, MIN_PERIOD_NS);
		a->period_ns = ns;
	}
	hrtimer_start(&a->timer, ktime_add_ns(ktime_get(), ns),
		      HRTIMER_MODE_ABS_HARD);
}

static u32 timer_current(struct axvlapic *a)
{
	ktime_t rem;

	if (timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE ||
	    !hrtimer_active(&a->timer))
		return 0;
	rem = hrtimer_get_remaining(&a->timer);
	if (ktime_to_ns(rem) <= 0)
		return 0;
	return min_t(u64, div_u64(ktime_to_ns(rem), divide(a)), U32_MAX);
}

static void deadline_write(struct axvlapic *a, u64 deadline)
{
	u64 now, ns;

	if (timer_mode(a) != APIC_LVT_TIMER_TSCDEADLINE)
		return;
	timer_stop(a);
	a->tsc_deadline = deadline;
	if (!deadline)
		return;
	now = rdtsc() + a->tsc_offset;
	ns = 0;
	if (deadline > now && tsc_khz)
		ns = mul_u64_u32_div(deadline - now, 1000000, tsc_khz);
	hrtimer_start(&a->timer, ktime_add_ns(ktime_get(), ns),
		      HRTIMER_MODE_ABS_HARD);
}

/* ---- reset and IA32_APIC_BASE ---- */

static void reset_regs(struct axvlapic *a)
{
	int i;

	timer_stop(a);
	memset(a->regs, 0, sizeof(a->regs));
	WRITE_ONCE(*a->tpr, 0);
	memset(a->pir, 0, sizeof(a->pir));
	for (i = 0; i < ARRAY_SIZE(lvt_masks); i++)
		a->regs[REG(APIC_LVTT) + i] = APIC_LVT_MASKED;
	a->regs[REG(APIC_SPIV)] = 0xff;
	a->regs[REG(APIC_DFR)] = 0xffffffff;
	a->tsc_deadline = 0;
	a->init_pending = false;
	a->ipi_pending = false;
}

void axvlapic_init(struct axvlapic *a, struct axvcpu_vcpu *vcpu)
{
	a->vcpu = vcpu;
	if (!a->tpr)
		a->tpr = &a->regs[REG(APIC_TASKPRI)];
	init_waitqueue_head(&a->halt_wq);
	axvcpu_hrtimer_setup(&a->timer, timer_fn, CLOCK_MONOTONIC,
			     HRTIMER_MODE_ABS_HARD);
	reset_regs(a);
	a->base_msr = AXVLAPIC_DEFAULT_BASE | APIC_BASE_EN |
		      (vcpu->id == 0 ? APIC_BASE_BSP : 0);
}

void axvlapic_init_reset(struct axvlapic *a)
{
	reset_regs(a);
	atomic_set(&a->nmi_pending, 0);
	/* The APIC ID, IA32_APIC_BASE and x2APIC's fixed LDR stay. */
	if (x2apic_mode(a)) {
		u32 id = apic_id(a);

		a->regs[REG(APIC_LDR)] = ((id >> 4) << 16) | BIT(id & 0xf);
	}
}

void axvlapic_destroy(struct axvlapic *a)
{
	hrtimer_cancel(&a->timer);
}

static int set_base(struct axvlapic *a, u64 val)
{
	u64 ok = GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 12) |
		 APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN;
	u64 old = a->base_msr;
	bool was_x2 = x2apic_mode(a);

	if (val & ~ok)
		return AXVLAPIC_GP;
	/* EXTD without EN is invalid; x2APIC goes back only through off. */
	if ((val & APIC_BASE_EXTD) && !(val & APIC_BASE_EN))
		return AXVLAPIC_GP;
	if (was_x2 && (val & APIC_BASE_EN) && !(val & APIC_BASE_EXTD))
		return AXVLAPIC_GP;
	if (!(old & APIC_BASE_EN) && (val & APIC_BASE_EXTD))
		return AXVLAPIC_GP;
	val = (val & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP);
	WRITE_ONCE(a->base_msr, val);
	if (!(val & APIC_BASE_EN)) {
		reset_regs(a);
	} else if (!was_x2 && (val & APIC_BASE_EXTD)) {
		u32 id = apic_id(a);

		a->regs[REG(APIC_LDR)] = ((id >> 4) << 16) | BIT(id & 0xf);
		a->regs[REG(APIC_ICR2)] = 0;
	}
	return AXVLAPIC_DONE;
}

u64 axvlapic_mmio_base(struct axvlapic *a)
{
	if ((a->base_msr & (APIC_BASE_EN | APIC_BASE_EXTD)) != APIC_BASE_EN)
		return 0;
	return a->base_msr & MSR_IA32_APICBASE_BASE;
}

/* ---- ICR ---- */

static int fill_ipi(struct axvlapic *a, u64 target, u32 lo, bool all,
		    bool self)
{
	struct axvcpu_run *run = a->vcpu->run;

	run->send_ipi.target_cpu = target;
	run->send_ipi.target_cpu_aux = lo;
	run->send_ipi.send_to_all = all;
	run->send_ipi.send_to_self = self;
	memset(run->send_ipi.pad, 0, sizeof(run->send_ipi.pad));
	run->send_ipi.vector = lo & 0xff;
	axvcpu_vcpu_set_exit(a->vcpu, AXVCPU_EXIT_SEND_IPI);
	return AXVLAPIC_EXIT;
}

void axvlapic_accept_nmi(struct axvlapic *a)
{
	atomic_add_unless(&a->nmi_pending, 1, 2);
}

/* Does @t's APIC take an IPI for @dest (SDM Vol. 3A 11.6.2)? */
static bool dest_match(struct axvlapic *src, struct axvlapic *t, u32 dest,
		       bool logical)
{
	u32 ldr = READ_ONCE(t->regs[REG(APIC_LDR)]);

	if (!hw_enabled(t))
		return false;
	if (!logical)
		return dest == (x2apic_mode(src) ? 0xffffffff : 0xff) ||
		       dest == apic_id(t);
	if (x2apic_mode(t))	/* cluster in 31:16, a bit per member */
		return dest == 0xffffffff ||
		       ((dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff));
	ldr >>= 24;
	if ((dest & 0xff) == 0xff)
		return true;
	if ((READ_ONCE(t->regs[REG(APIC_DFR)]) >> 28) == 0xf)	/* flat */
		return ldr & dest;
	return (ldr >> 4) == ((dest >> 4) & 0xf) && (ldr & dest & 0xf);
}

/*
 * INIT and SIPI for a vcpu that waits for SIPI: its thread takes them
 * (vmx_run.c).  A SIPI counts only in wait-for-SIPI or after an INIT not
 * yet taken; a started CPU ignores it (SDM Vol. 3A 9.4.4).
 */
static void deliver_mp(struct axvlapic *t, u32 dm, u8 vec)
{
	if (dm == APIC_DM_INIT) {
		set_bit(AXVLAPIC_MP_INIT, &t->mp_events);
		return;
	}
	if (!READ_ONCE(t->wait_sipi) &&
	    !test_bit(AXVLAPIC_MP_INIT, &t->mp_events))
		return;
	/*
	 * The first SIPI starts the CPU; a second one before it has (the
	 * INIT-SIPI-SIPI sequence) must not change where.  Senders hold the
	 * VM's lock, and the vcpu reads the vector before it clears the bit.
	 */
	if (test_bit(AXVLAPIC_MP_SIPI, &t->mp_events))
		return;
	WRITE_ONCE(t->sipi_vector, vec);
	/* The vector before the bit: mp_step() reads it after the bit. */
	smp_mb__before_atomic();
	set_bit(AXVLAPIC_MP_SIPI, &t->mp_events);
}

static void deliver_one(struct axvlapic *a, struct axvlapic *t, u32 dm,
			u8 vec)
{
	if (dm == APIC_DM_INIT || dm == APIC_DM_STARTUP)
		deliver_mp(t, dm, vec);
	else if (dm == APIC_DM_NMI)
		axvlapic_accept_nmi(t);
	else if (!axvlapic_accept_irq(t, vec))
		return;
	if (t != a) {
		axvcpu_vcpu_kick(t->vcpu);
		wake_up_interruptible(&t->halt_wq);
	}
}

/**
 * axvlapic_deliver_ipi - deliver the IPI an ICR write left pending.
 * @a: the sender's APIC; the sender's RUN, outside any VMX window.
 *
 * Every vcpu of the VM is a local APIC on the same bus: fixed and NMI
 * IPIs reach each one the destination (physical, logical flat or
 * cluster, x2APIC cluster, broadcast, or a shorthand) names, lowest
 * priority the one of them with the lowest TPR, as on hardware.  Only an
 * IPI that no vcpu of the VM takes goes to the VMM (SEND_IPI), which may
 * have CPUs of its own there.  The VM's lock keeps every vcpu found alive
 * meanwhile (vcpu_release() clears its slot under it).
 *
 * Return: AXVLAPIC_DONE, or AXVLAPIC_EXIT with the SEND_IPI exit filled.
 */
int axvlapic_deliver_ipi(struct axvlapic *a)
{
	struct axvcpu_vm *vm = a->vcpu->vm;
	u32 lo = a->ipi_lo, dest = a->ipi_dest;
	u32 dm = lo & APIC_DM_FIXED_MASK, sh = lo & APIC_DEST_ALLBUT;
	bool logical = lo & APIC_DEST_LOGICAL, any = false;
	struct axvlapic *lowest = NULL;
	int i;

	a->ipi_pending = false;
	mutex_lock(&vm->lock);
	for (i = 0; i < AXVCPU_MAX_VCPUS; i++) {
		struct axvcpu_vcpu *tv = vm->vcpus[i];
		struct axvlapic *t;

		if (!tv || !tv->arch)
			continue;
		t = a->peer(tv);
		if (sh == APIC_DEST_ALLBUT && t == a)
			continue;
		if (!sh && !dest_match(a, t, dest, logical))
			continue;
		if (sh && !hw_enabled(t))
			continue;
		/* INIT/SIPI: only to vcpus that wait for SIPI; the VMM starts the rest. */
		if ((dm == APIC_DM_INIT || dm == APIC_DM_STARTUP) &&
		    (!t->sipi_capable || t == a))
			continue;
		any = true;
		if (dm != APIC_DM_LOWEST) {
			deliver_one(a, t, dm, lo & 0xff);
			continue;
		}
		if (!lowest || (READ_ONCE(*t->tpr) & 0xf0) <
			       (READ_ONCE(*lowest->tpr) & 0xf0))
			lowest = t;
	}
	if (lowest)
		deliver_one(a, lowest, dm, lo & 0xff);
	mutex_unlock(&vm->lock);
	if (any)
		return AXVLAPIC_DONE;
	if (dm == APIC_DM_INIT) {
		a->init_pending = true;
		a->init_dest = sh ? U64_MAX : dest;
		return AXVLAPIC_DONE;
	}
	if (dm == APIC_DM_STARTUP) {
		struct axvcpu_run *run = a->vcpu->run;

		if (!a->init_pending)
			return AXVLAPIC_DONE;
		a->init_pending = false;
		run->cpu_up.target_cpu = sh ? U64_MAX : dest;
		run->cpu_up.entry = (u64)(lo & 0xff) << 12;
		run->cpu_up.arg = 0;
		axvcpu_vcpu_set_exit(a->vcpu, AXVCPU_EXIT_CPU_UP);
		return AXVLAPIC_EXIT;
	}
	return fill_ipi(a, sh ? U64_MAX : dest, lo, sh != 0, false);
}

static int send_ipi(struct axvlapic *a, u32 lo, u32 dest)
{
	u32 dm = lo & APIC_DM_FIXED_MASK, sh = lo & APIC_DEST_ALLBUT;
	u32 bcast = x2apic_mode(a) ? 0xffffffff : 0xff;
	bool logical = lo & APIC_DEST_LOGICAL;
	bool fixed = dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST;
	u8 vec = lo & 0xff;

	if (!sh && !logical && dest == bcast)
		sh = APIC_DEST_ALLINC;
	switch (dm) {
	case APIC_DM_INIT:
		/* The level de-assert INIT of old CPUs does nothing. */
		if ((lo & APIC_INT_LEVELTRIG) && !(lo & APIC_INT_ASSERT))
			return AXVLAPIC_DONE;
		fallthrough;
	case APIC_DM_STARTUP:
		/* Not to itself (SDM Vol. 3A 11.6.1, the shorthand table). */
		if (sh == APIC_DEST_SELF ||
		    (!sh && !logical && dest == apic_id(a)))
			return AXVLAPIC_DONE;
		/* Other vcpus, or the VMM: after the window, under a mutex. */
		a->ipi_lo = lo;
		a->ipi_dest = dest;
		a->ipi_pending = true;
		return AXVLAPIC_LATER;
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
	case APIC_DM_NMI:
		break;
	default:		/* SMI, remote read, ExtINT: nothing here */
		return AXVLAPIC_DONE;
	}
	if (fixed && vec < 16) {
		a->regs[REG(APIC_ESR)] |= BIT(5);	/* send illegal vector */
		return AXVLAPIC_DONE;
	}
	/* To the sender alone: no other vcpu to look at, no exit. */
	if (sh == APIC_DEST_SELF ||
	    (!sh && !logical && dest == apic_id(a))) {
		deliver_one(a, a, dm, vec);
		return AXVLAPIC_DONE;
	}
	/* Other vcpus are reached outside the VMX window, under a mutex. */
	a->ipi_lo = lo;
	a->ipi_dest = dest;
	a->ipi_pending = true;
	return AXVLAPIC_LATER;
}

/* ---- registers, shared by the xAPIC page and the x2APIC MSRs ---- */

/* Return: 0 and *val, or AXVLAPIC_GP (x2APIC: no such register). */
static int reg_read(struct axvlapic *a, u32 off, u64 *val)
{
	bool x2 = x2apic_mode(a);

	switch (off) {
	case APIC_ID:
		*val = x2 ? apic_id(a) : apic_id(a) << 24;
		return 0;
	case APIC_LVR:
		*val = APIC_VERSION_VAL;
		return 0;
	case APIC_TASKPRI:
		*val = READ_ONCE(*a->tpr);
		return 0;
	case APIC_LDR:
	case APIC_SPIV:
	case APIC_ESR:
	case APIC_LVTT ... APIC_LVTERR:
	case APIC_TMICT:
	case APIC_TDCR:
		*val = a->regs[REG(off)];
		return 0;
	case APIC_PROCPRI:
		*val = ppr(a);
		return 0;
	case APIC_ISR ... APIC_ISR + 0x70:
	case APIC_TMR ... APIC_TMR + 0x70:
	case APIC_IRR ... APIC_IRR + 0x70:
		if ((off & 0xf) == 0) {
			merge_pir(a);
			*val = a->regs[REG(off)];
			return 0;
		}
		break;
	case APIC_TMCCT:
		*val = timer_current(a);
		return 0;
	case APIC_ICR:
		*val = a->regs[REG(APIC_ICR)];
		if (x2)
			*val |= (u64)a->regs[REG(APIC_ICR2)] << 32;
		return 0;
	case APIC_ICR2:
	case APIC_DFR:
	case APIC_ARBPRI:
		if (x2)
			return AXVLAPIC_GP;
		*val = a->regs[REG(off)];
		return 0;
	case APIC_EOI:
		if (x2)
			return AXVLAPIC_GP;
		*val = 0;
		return 0;
	}
	if (x2)
		return AXVLAPIC_GP;
	*val = 0;
	return 0;
}

static void write_lvt(struct axvlapic *a, u32 off, u32 val)
{
	u32 old_mode = timer_mode(a);

	val &= lvt_masks[(off - APIC_LVTT) >> 4];
	if (!sw_enabled(a))
		val |= APIC_LVT_MASKED;
	/* Mode 3 is reserved: keep it one-shot. */
	if (off == APIC_LVTT && (val & LVT_TIMER_MODE) == LVT_TIMER_MODE)
		val &= ~LVT_TIMER_MODE;
	WRITE_ONCE(a->regs[REG(off)], val);
	if (off == APIC_LVTT && timer_mode(a) != old_mode) {
		timer_stop(a);
		a->tsc_deadline = 0;
	}
}

/* @val is 64 bits only for the x2APIC ICR. */
static int reg_write(struct axvlapic *a, u32 off, u64 val)
{
	bool x2 = x2apic_mode(a);
	u32 v32 = val;
	int i;

	switch (off) {
	case APIC_TASKPRI:
		WRITE_ONCE(*a->tpr, v32 & 0xff);
		return AXVLAPIC_DONE;
	case APIC_EOI:
		if (x2 && val)
			return AXVLAPIC_GP;
		eoi(a);
		return AXVLAPIC_DONE;
	case APIC_LDR:
		if (x2)
			return AXVLAPIC_GP;
		a->regs[REG(off)] = v32 & 0xff000000;
		return AXVLAPIC_DONE;
	case APIC_DFR:
		if (x2)
			return AXVLAPIC_GP;
		a->regs[REG(off)] = v32 | 0x0fffffff;
		return AXVLAPIC_DONE;
	case APIC_SPIV:
		WRITE_ONCE(a->regs[REG(off)], v32 & 0x3ff);
		if (!(v32 & APIC_SPIV_APIC_ENABLED))
			for (i = 0; i < ARRAY_SIZE(lvt_masks); i++)
				a->regs[REG(APIC_LVTT) + i] |= APIC_LVT_MASKED;
		return AXVLAPIC_DONE;
	case APIC_ESR:
		if (x2 && val)
			return AXVLAPIC_GP;
		a->regs[REG(off)] = 0;
		return AXVLAPIC_DONE;
	case APIC_ICR:
		a->regs[REG(APIC_ICR)] = v32 & ~ICR_BUSY;
		if (x2)
			a->regs[REG(APIC_ICR2)] = val >> 32;
		return send_ipi(a, v32, x2 ? a->regs[REG(APIC_ICR2)] :
				a->regs[REG(APIC_ICR2)] >> 24);
	case APIC_ICR2:
		if (x2)
			return AXVLAPIC_GP;
		a->regs[REG(off)] = v32 & 0xff000000;
		return AXVLAPIC_DONE;
	case APIC_LVTT ... APIC_LVTERR:
		if (off & 0xf)
			break;
		write_lvt(a, off, v32);
		return AXVLAPIC_DONE;
	case APIC_TMICT:
		a->regs[REG(off)] = v32;
		if (timer_mode(a) != APIC_LVT_TIMER_TSCDEADLINE)
			timer_start_count(a);
		return AXVLAPIC_DONE;
	case APIC_TDCR:
		a->regs[REG(off)] = v32 & 0xb;
		return AXVLAPIC_DONE;
	case APIC_SELF_IPI:
		if (!x2)
			break;
		axvlapic_accept_irq(a, v32 & 0xff);
		return AXVLAPIC_DONE;
	}
	/* Read-only or reserved: ignored in xAPIC mode, #GP in x2APIC mode. */
	return x2 ? AXVLAPIC_GP : AXVLAPIC_DONE;
}

/* ---- the xAPIC page ---- */

/**
 * axvlapic_mmio_read - a guest read of the xAPIC page.
 * @a: the APIC, in xAPIC mode.
 * @offset: offset in the page.
 * @width: 1, 2, 4 or 8 bytes.
 *
 * Return: the bytes read; outside the first 4 bytes of a register, 0.
 */
u64 axvlapic_mmio_read(struct axvlapic *a, u32 offset, u32 width)
{
	u32 in = offset & 0xf;
	u64 val = 0;

	if (in + width > 4)
		return 0;
	reg_read(a, offset & 0xff0, &val);
	val = (u32)val >> (8 * in);
	return width >= 4 ? val : val & GENMASK_ULL(8 * width - 1, 0);
}

/**
 * axvlapic_mmio_write - a guest write to the xAPIC page.
 * @a: the APIC, in xAPIC mode.
 * @offset: offset in the page.
 * @width: access width in bytes; only aligned 32-bit writes count.
 * @val: the value.
 *
 * Return: AXVLAPIC_DONE, AXVLAPIC_EXIT or AXVLAPIC_LATER.
 */
int axvlapic_mmio_write(struct axvlapic *a, u32 offset, u32 width, u64 val)
{
	int r;

	if (width != 4 || (offset & 0xf))
		return AXVLAPIC_DONE;
	r = reg_write(a, offset, (u32)val);
	return r == AXVLAPIC_GP ? AXVLAPIC_DONE : r;
}

/* ---- MSRs ---- */

bool axvlapic_is_msr(u32 msr)
{
	return msr == MSR_IA32_APICBASE || msr == MSR_IA32_TSC_DEADLINE ||
	       (msr >= APIC_BASE_MSR && msr < APIC_BASE_MSR + 0x100);
}

/* Return: 0, or AXVLAPIC_GP. */
int axvlapic_msr_read(struct axvlapic *a, u32 msr, u64 *val)
{
	if (msr == MSR_IA32_APICBASE) {
		*val = a->base_msr;
		return 0;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		*val = timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE ?
		       READ_ONCE(a->tsc_deadline) : 0;
		return 0;
	}
	if (!x2apic_mode(a) || msr == APIC_BASE_MSR + (APIC_SELF_IPI >> 4))
		return AXVLAPIC_GP;
	return reg_read(a, (msr - APIC_BASE_MSR) << 4, val);
}

/* Return: AXVLAPIC_DONE, AXVLAPIC_EXIT, AXVLAPIC_LATER or AXVLAPIC_GP. */
int axvlapic_msr_write(struct axvlapic *a, u32 msr, u64 val)
{
	u32 off = (msr - APIC_BASE_MSR) << 4;

	if (msr == MSR_IA32_APICBASE)
		return set_base(a, val);
	if (msr == MSR_IA32_TSC_DEADLINE) {
		deadline_write(a, val);
		return AXVLAPIC_DONE;
	}
	if (!x2apic_mode(a))
		return AXVLAPIC_GP;
	/* Only the ICR is 64 bits wide. */
	if (off != APIC_ICR && (val >> 32))
		return AXVLAPIC_GP;
	return reg_write(a, off, val);
}
