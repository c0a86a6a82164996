// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's event queue: what INJECT_INTERRUPT queues from any context,
 * and what the run loop delivers at the next entry (through the VM-entry
 * interruption-information field, SDM Vol. 3C "Event Injection").
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
#include <asm/irq_vectors.h>

#include "vmx.h"

/*
 * An NMI waits for the guest's IRET of the last one (virtual-NMI
 * blocking), and for the end of a MOV SS or STI shadow, as KVM does:
 * the entry checks refuse an NMI inside a MOV SS shadow, and some CPUs
 * block NMIs after STI too (SDM Vol. 3C 27.2.1.5, 26.3.1.5).
 */
#define NMI_BLOCKING	(GUEST_INTR_STATE_NMI | GUEST_INTR_STATE_STI | \
			 GUEST_INTR_STATE_MOV_SS)

/*
 * The NMI of the slow path: injected when nothing blocks it; else the
 * NMI window is asked for, and while the guest handles one NMI only one
 * more can wait (SDM Vol. 3A 6.7.1).  Return: true when injected.
 */
static bool inject_nmi(struct axvmx_vcpu *v, u32 intr)
{
	atomic_t *n = &v->apic.nmi_pending;

	if (!(intr & NMI_BLOCKING) && !v->reinject) {
		atomic_dec(n);
		v->reinject = NMI_VECTOR | INTR_TYPE_NMI_INTR |
			      INTR_INFO_VALID_MASK;
		v->reinject_len = 0;
		return true;
	}
	if (intr & GUEST_INTR_STATE_NMI)
		while (atomic_read(n) > 1)
			atomic_dec(n);
	return false;
}

/* The slow path: something is queued or pending in the APIC. */
static void inject_pending(struct axvmx_vcpu *v)
{
	u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	bool pending, can_irq;
	int apic_vec = axvlapic_pending_vector(&v->apic);

	can_irq = (vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
		  !(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	spin_lock(&v->lock);
	if (!v->reinject && v->nr_events && v->events[v->head].exception) {
		struct axvmx_event *e = &v->events[v->head];

		axvmx_queue_exception(v, e->vector, e->error_code);
		v->head = (v->head + 1) % AXVMX_EVENT_QUEUE;
		v->nr_events--;
	} else if (atomic_read(&v->apic.nmi_pending) &&
		   inject_nmi(v, intr)) {
		/* NMIs come before maskable interrupts (SDM Vol. 3A 6.9). */
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
	if (atomic_read(&v->apic.nmi_pending))
		vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL,
			      CPU_BASED_NMI_WINDOW_EXITING);
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
 * Exceptions the VMM queued come first, then an NMI, then the local
 * APIC's highest vector above its PPR, then the VMM's external
 * interrupts; with more left, interrupt-window (NMI-window) exiting asks
 * for the next chance.  Called through
 * axvmx_inject_events(), which skips it when nothing is pending.
 */
void __axvmx_inject_events(struct axvmx_vcpu *v)
{
	if (READ_ONCE(v->nr_events) || atomic_read(&v->apic.nmi_pending) ||
	    !axvlapic_irr_empty(&v->apic))
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
	return READ_ONCE(v->nr_events) || atomic_read(&v->apic.nmi_pending) ||
	       axvlapic_pending_vector(&v->apic) >= 0;
}

int axvcpu_arch_vcpu_inject_interrupt(struct axvcpu_vcpu *vcpu,
				      const struct axvcpu_interrupt *irq)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	bool exc = irq->flags & AXVCPU_IRQ_EXCEPTION;
	struct axvmx_event *e;
	unsigned long flags;

	if (irq->flags & ~(AXVCPU_IRQ_EXCEPTION | AXVCPU_IRQ_ERROR_CODE |
			   AXVCPU_IRQ_NMI) ||
	    irq->pad || irq->vector > 255)
		return -EINVAL;
	/*
	 * An NMI: AXVCPU_IRQ_NMI, or vector 2 as an exception (which VMX can
	 * only inject as an NMI anyway).  It waits in the APIC's NMI latch
	 * for the guest's NMI window.
	 */
	if (irq->flags & AXVCPU_IRQ_NMI) {
		if (irq->flags != AXVCPU_IRQ_NMI || irq->vector != NMI_VECTOR)
			return -EINVAL;
		if (!axvmx_caps.has_vnmi)
			return -EOPNOTSUPP;
	}
	if (irq->vector == NMI_VECTOR && axvmx_caps.has_vnmi &&
	    !(irq->flags & AXVCPU_IRQ_ERROR_CODE)) {
		axvlapic_accept_nmi(&v->apic);
		wake_up_interruptible(&v->apic.halt_wq);
		return 0;
	}
	/*
	 * Vectors 0-31 are the architecture's exceptions (SDM Vol. 3A,
	 * "Exception and Interrupt Vectors"): injected as hardware
	 * exceptions, not as external interrupts.
	 */
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

/*
 * AXVCPU_GET_IRQ_STATE: the vLAPIC's requests (IRR and the posted ones not
 * merged yet), the VMM's external interrupts still queued (a disabled
 * APIC takes none) and a waiting NMI (vector 2) as pending, its in-service
 * vectors (ISR) as active.  Any thread, racing with the vcpu: a snapshot.
 */
int axvcpu_arch_vcpu_irq_state(struct axvcpu_vcpu *vcpu,
			       struct axvcpu_irq_state *st)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	unsigned long flags;
	u32 i;

	axvlapic_irq_state(&v->apic, st->pending, st->active);
	if (atomic_read(&v->apic.nmi_pending))
		st->pending[0] |= BIT_ULL(NMI_VECTOR);
	spin_lock_irqsave(&v->lock, flags);
	for (i = 0; i < v->nr_events; i++) {
		const struct axvmx_event *e =
			&v->events[(v->head + i) % AXVMX_EVENT_QUEUE];

		if (!e->exception)
			st->pending[e->vector / 64] |= BIT_ULL(e->vector % 64);
	}
	spin_unlock_irqrestore(&v->lock, flags);
	return 0;
}
