// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's event queue: what INJECT_INTERRUPT queues from any context,
 * and what the run loop delivers at the next entry (X86-127).
 *
 * Lock-free on the common path: an entry with nothing to deliver costs a
 * few loads.  That is safe because an injector queues first and kicks the
 * RUN thread afterwards (axvcpu_vcpu_kick(), an IPI): an event that slips
 * in after the check below makes the entry exit at once (external
 * interrupts exit, and IRQs are off between the check and the entry).
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "vmx.h"

static bool guest_can_take_irq(void)
{
	return (vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) &
		 (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

/* The slow path: something is queued or pending in the APIC. */
static void inject_pending(struct axvmx_vcpu *v)
{
	bool pending, can_irq = guest_can_take_irq();
	int apic_vec = axvlapic_pending_vector(&v->apic);

	spin_lock(&v->lock);
	if (!v->reinject && v->nr_events && v->events[v->head].exception) {
		struct axvmx_event *e = &v->events[v->head];

		axvmx_queue_exception(v, e->vector, e->error_code);
		v->head = (v->head + 1) % AXVMX_EVENT_QUEUE;
		v->nr_events--;
	} else if (!v->reinject && can_irq && apic_vec >= 0) {
		axvlapic_ack(&v->apic, apic_vec);
		v->reinject = apic_vec | INTR_TYPE_EXT_INTR |
			      INTR_INFO_VALID_MASK;
		v->reinject_len = 0;
		apic_vec = axvlapic_pending_vector(&v->apic);
	} else if (!v->reinject && can_irq && v->nr_events) {
		v->reinject = v->events[v->head].vector | INTR_TYPE_EXT_INTR |
			      INTR_INFO_VALID_MASK;
		v->reinject_len = 0;
		v->head = (v->head + 1) % AXVMX_EVENT_QUEUE;
		v->nr_events--;
	}
	pending = v->nr_events || apic_vec >= 0;
	spin_unlock(&v->lock);

	if (pending)
		vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL,
			      CPU_BASED_INTR_WINDOW_EXITING);
}

/*
 * With the TPR shadow the guest's MOV CR8 does not exit: a vector its TPR
 * holds back must end the guest's run when the TPR drops below it.  The
 * TPR threshold is that vector's class (SDM Vol. 3C 30.1.2: a TPR-below-
 * threshold exit after the MOV CR8 that takes VTPR[7:4] under it), 0 when
 * nothing waits on the TPR.  It never exceeds VTPR[7:4], as the entry
 * checks require (SDM Vol. 3C 27.2.1.1).  Written only when it changes;
 * a non-zero value keeps the entries on this slow path, so that it drops
 * to 0 with the vector it waited for.
 */
static void set_tpr_threshold(struct axvmx_vcpu *v)
{
	u32 t = axvlapic_tpr_threshold(&v->apic);

	if (t != v->tpr_threshold) {
		vmcs_write(TPR_THRESHOLD, t);
		v->tpr_threshold = t;
	}
}

/**
 * __axvmx_inject_events - before an entry: one event into the VMCS.
 * @v: the vcpu, VMCS current, IRQs off.
 *
 * Exceptions the VMM queued come first, then the local APIC's highest
 * vector above its PPR, then the VMM's external interrupts; with more
 * left, interrupt-window exiting asks for the next chance.  Called through
 * axvmx_inject_events(), which skips it when nothing is pending.
 */
void __axvmx_inject_events(struct axvmx_vcpu *v)
{
	if (READ_ONCE(v->nr_events) || !axvlapic_irr_empty(&v->apic))
		inject_pending(v);
	if (axvmx_caps.has_tpr_shadow)
		set_tpr_threshold(v);
	if (!v->reinject)
		return;
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, v->reinject);
	if (v->reinject & INTR_INFO_DELIVER_CODE_MASK)
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, v->reinject_err);
	vmcs_write(VM_ENTRY_INSTRUCTION_LEN, v->reinject_len);
	v->reinject = 0;
}

/**
 * axvmx_events_pending - would an event end a HLT now?
 * @v: the vcpu; any context.
 *
 * Return: true when the VMM queued one or the APIC has a vector above its
 * PPR.
 */
bool axvmx_events_pending(struct axvmx_vcpu *v)
{
	return READ_ONCE(v->nr_events) ||
	       axvlapic_pending_vector(&v->apic) >= 0;
}

int axvcpu_arch_vcpu_inject_interrupt(struct axvcpu_vcpu *vcpu,
				      const struct axvcpu_interrupt *irq)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	bool exc = irq->flags & AXVCPU_IRQ_EXCEPTION;
	struct axvmx_event *e;
	unsigned long flags;

	if (irq->flags & ~(AXVCPU_IRQ_EXCEPTION | AXVCPU_IRQ_ERROR_CODE) ||
	    irq->pad || irq->vector > 255)
		return -EINVAL;
	/* Vectors 0-31 are exceptions (the seeds inject them as such). */
	if (irq->vector < 32)
		exc = true;
	if (exc && irq->vector >= 32)
		return -EINVAL;
	if ((irq->flags & AXVCPU_IRQ_ERROR_CODE) &&
	    !axvmx_exception_has_error_code(irq->vector))
		return -EINVAL;
	/*
	 * The entry checks refuse an error code with any of bits 31:16 set
	 * (SDM Vol. 3C 27.2.1.3), although the field is 32 bits wide: such
	 * an event would only ever fail the entry.
	 */
	if ((irq->flags & AXVCPU_IRQ_ERROR_CODE) && (irq->error_code >> 16))
		return -EINVAL;

	/* An enabled local APIC takes fixed interrupts into its IRR. */
	if (!exc && axvlapic_accept_irq(&v->apic, irq->vector)) {
		wake_up_interruptible(&v->apic.halt_wq);
		return 0;
	}

	spin_lock_irqsave(&v->lock, flags);
	if (v->nr_events == AXVMX_EVENT_QUEUE) {
		spin_unlock_irqrestore(&v->lock, flags);
		return -ENOSPC;
	}
	e = &v->events[(v->head + v->nr_events) % AXVMX_EVENT_QUEUE];
	e->vector = irq->vector;
	e->exception = exc;
	e->has_error = irq->flags & AXVCPU_IRQ_ERROR_CODE;
	e->error_code = e->has_error ? irq->error_code : 0;
	/* The entry reads nr_events without the lock: the event first. */
	smp_store_release(&v->nr_events, v->nr_events + 1);
	spin_unlock_irqrestore(&v->lock, flags);
	wake_up_interruptible(&v->apic.halt_wq);
	return 0;
}
