/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The emulated local APIC of an x86 vcpu (SDM Vol. 3A, "Advanced
 * Programmable Interrupt Controller (APIC)"): xAPIC page and x2APIC MSRs, IRR/ISR/TPR/PPR, the LVT timer
 * on a host hrtimer, and the ICR turned into SEND_IPI / CPU_UP exits.
 *
 * It knows nothing of VMX: the backend hands it decoded register accesses
 * and asks it for the vector to deliver before each guest entry.
 */
#ifndef _AXVCPU_VLAPIC_H
#define _AXVCPU_VLAPIC_H

#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/hrtimer.h>
#include <linux/wait.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <asm/apicdef.h>

struct axvcpu_vcpu;

#define AXVLAPIC_DEFAULT_BASE	0xfee00000ULL

/* What a register write asks of the caller. */
#define AXVLAPIC_DONE	0	/* handled: continue the guest */
#define AXVLAPIC_EXIT	1	/* run->exit_reason is filled: exit to the VMM */
#define AXVLAPIC_GP	(-1)	/* the access faults: #GP to the guest */
/* An IPI to other vcpus: the caller ends the window, then deliver_ipi(). */
#define AXVLAPIC_LATER	2

/**
 * struct axvlapic - one vcpu's local APIC.
 * @vcpu: the vcpu (its id is the APIC ID; kicked by the timer).
 * @base_msr: IA32_APIC_BASE.
 * @regs: the register file, one u32 per 16-byte xAPIC register (index =
 *	offset >> 4).  Touched by the vcpu's thread only.
 * @tpr: where the TPR lives: in @regs, or, set before axvlapic_init(), in
 *	the backend's copy that the guest's MOV CR8 reads and writes without
 *	an exit (VMX: VTPR in the virtual-APIC page).  Every TPR access of
 *	the APIC goes through it, so both views are one register.
 * @pir: vectors accepted from other contexts (timer, INJECT_INTERRUPT),
 *	moved into the IRR by the vcpu's thread before each entry.
 * @timer: the LVT timer (one-shot, periodic, TSC deadline).
 * @period_ns: the period while a periodic timer runs, else 0.
 * @tsc_deadline: IA32_TSC_DEADLINE (0: disarmed).
 * @tsc_offset: guest TSC - host TSC.
 * @init_dest: destination of the last INIT, with @init_pending.
 * @init_pending: an INIT was sent and no SIPI reported after it.
 * @halt_wq: the vcpu's thread waits here in a guest HLT; the timer and
 *	INJECT_INTERRUPT wake it.
 * @peer: the local APIC of another vcpu of the VM, for IPIs: set by the
 *	backend, which knows where each vcpu keeps its APIC (a call from
 *	here into it would make the two files call each other).
 * @nmi_pending: NMIs requested and not yet delivered (0-2: one may wait
 *	while another is being handled, SDM Vol. 3A 6.7.1); any context.
 * @ipi_pending: an ICR write for other vcpus waits for
 *	axvlapic_deliver_ipi(), with @ipi_lo and @ipi_dest.
 * @ipi_lo: that ICR write's bits 31:0.
 * @ipi_dest: that ICR write's destination field.
 * @sipi_capable: set up with AXVCPU_SETUP_X86_WAIT_SIPI: INIT and SIPI
 *	from the VM's vcpus are delivered to this one here.
 * @wait_sipi: the vcpu is in wait-for-SIPI (written by its thread).
 * @mp_events: AXVLAPIC_MP_INIT / AXVLAPIC_MP_SIPI bits set by senders,
 *	taken by the vcpu's thread.
 * @sipi_vector: the vector of the SIPI that AXVLAPIC_MP_SIPI announces.
 */
struct axvlapic {
	struct axvcpu_vcpu *vcpu;
	u64 base_msr;
	u32 regs[64];
	u32 *tpr;
	unsigned long pir[BITS_TO_LONGS(256)];
	struct hrtimer timer;
	u64 period_ns;
	u64 tsc_deadline;
	u64 tsc_offset;
	u64 init_dest;
	bool init_pending;
	wait_queue_head_t halt_wq;
	struct axvlapic *(*peer)(struct axvcpu_vcpu *vcpu);
	atomic_t nmi_pending;
	bool ipi_pending;
	u32 ipi_lo, ipi_dest;
	bool sipi_capable, wait_sipi;
	unsigned long mp_events;
	u8 sipi_vector;
};

#define AXVLAPIC_MP_INIT	0
#define AXVLAPIC_MP_SIPI	1

void axvlapic_init(struct axvlapic *a, struct axvcpu_vcpu *vcpu);
void axvlapic_destroy(struct axvlapic *a);
void axvlapic_irq_state(struct axvlapic *a, __u64 *pending, __u64 *active);

/* The xAPIC page: base address if the APIC is on in xAPIC mode, else 0. */
u64 axvlapic_mmio_base(struct axvlapic *a);
u64 axvlapic_mmio_read(struct axvlapic *a, u32 offset, u32 width);
int axvlapic_mmio_write(struct axvlapic *a, u32 offset, u32 width, u64 val);

/* IA32_APIC_BASE, IA32_TSC_DEADLINE and 0x800-0x8ff. */
bool axvlapic_is_msr(u32 msr);
int axvlapic_msr_read(struct axvlapic *a, u32 msr, u64 *val);
int axvlapic_msr_write(struct axvlapic *a, u32 msr, u64 val);

/**
 * axvlapic_irr_empty - no vector requested at all (IRR and posted bits)?
 * @a: the APIC; IRQs off on the vcpu's CPU.
 *
 * A constant number of loads and no lock: the run loop's test before each
 * entry.  Bits posted by another CPU right after it are followed by a kick.
 *
 * Return: true when no interrupt can be pending.
 */
static inline bool axvlapic_irr_empty(struct axvlapic *a)
{
	/* The eight IRR words lie next to each other: four 64-bit loads. */
	const u64 *irr = (const u64 *)&a->regs[APIC_IRR >> 4];
	unsigned long any;

	BUILD_BUG_ON(ARRAY_SIZE(a->pir) != 4);
	BUILD_BUG_ON((offsetof(struct axvlapic, regs) +
		      (APIC_IRR >> 4) * sizeof(a->regs[0])) % sizeof(u64));
	any = READ_ONCE(a->pir[0]) | READ_ONCE(a->pir[1]) |
	      READ_ONCE(a->pir[2]) | READ_ONCE(a->pir[3]);
	any |= irr[0] | irr[1] | irr[2] | irr[3];
	return !any;
}

/* The LVT timer will deliver its vector (counting and not masked). */
bool axvlapic_timer_armed(struct axvlapic *a);

/* TPR as CR8 (CR8 = TPR[7:4]). */
u64 axvlapic_get_cr8(struct axvlapic *a);
void axvlapic_set_cr8(struct axvlapic *a, u64 cr8);

/* A fixed interrupt from any context; false if the APIC does not take it. */
bool axvlapic_accept_irq(struct axvlapic *a, u8 vector);
/* The vector to deliver now (IRR above PPR), or -1; the vcpu's thread. */
int axvlapic_pending_vector(struct axvlapic *a);
/* The guest takes @vector: IRR -> ISR. */
void axvlapic_ack(struct axvlapic *a, int vector);
/* The TPR class under which a requested vector gets through, or 0. */
u32 axvlapic_tpr_threshold(struct axvlapic *a);

/* An NMI arrives (any context); a third one while two wait is lost. */
void axvlapic_accept_nmi(struct axvlapic *a);
/* The IPI an ICR write left for other vcpus (sleeps: the VM's lock). */
int axvlapic_deliver_ipi(struct axvlapic *a);
/* INIT reached this APIC: its reset state (SDM Vol. 3A 11.4.7.3); the vcpu's thread. */
void axvlapic_init_reset(struct axvlapic *a);

#endif /* _AXVCPU_VLAPIC_H */
