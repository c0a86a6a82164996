// SPDX-License-Identifier: GPL-2.0
/*
 * axvm x86_64: one I/O APIC (82093AA, version 0x11) at 0xfec00000 with 24
 * pins, in axvm rather than in the module: its only inputs are axvm's own
 * devices (the 16550, virtio-mmio), which raise their pins from axvm's
 * threads, and its outputs are fixed/lowest-priority/NMI messages that the
 * module's AXVCPU_INJECT_INTERRUPT already delivers into the local APIC.
 *
 * Registers (82093AA datasheet, 3.0): IOREGSEL at +0x00, IOWIN at +0x10;
 * 0x00 ID, 0x01 version, 0x02 arbitration, 0x10 + 2n / 0x11 + 2n the low
 * and high words of pin n's redirection entry.  Every pin is edge
 * triggered as far as axvm's devices go: an edge on an unmasked pin sends
 * its message; an edge on a masked pin is remembered and sent when the
 * pin is unmasked (a real edge would be lost, but no driver relies on
 * that, and the 16550's line may rise while Linux has the pin masked).
 * Level-triggered entries get the same treatment, with Remote IRR never
 * set: axvm's devices do not hold a line at a level.
 *
 * A pin whose device raises it from a thread of its own (virtio with the
 * module's ioeventfd) can have an irqfd (x86__ioapic_irqfd()): the
 * decision stays here, and a message for one vcpu (fixed, or lowest
 * priority, to one APIC) is injected by writing the eventfd the module
 * injects its vector from, instead of by the ioctl.  The irqfd is
 * assigned for the vector and vcpu of the entry; when the guest rewrites
 * either (Linux moves an IRQ by rewriting its entry) the next message
 * moves it: deassign, assign.  The module injects in the signaller's
 * write, so no signal is in flight then.  Anything else (an NMI, several
 * destinations) goes through x86__deliver() as before.
 *
 * Everything here runs under the device lock (devices.c).
 */
#include <errno.h>
#include <string.h>

#include "axvm.h"
#include "x86.h"

#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOAPIC_VERSION	0x11

#define RTE_MASKED	(1ULL << 16)
#define RTE_LOGICAL	(1ULL << 11)

/* A pin's irqfd: the eventfd, and the vcpu and vector it is assigned for. */
struct ioapic_irqfd {
	bool on, assigned;
	int fd;
	unsigned int vcpu;
	uint32_t vector;
};

struct ioapic {
	struct axvm *vm;
	uint32_t sel, id;
	uint64_t rte[X86_IOAPIC_PINS];
	bool latched[X86_IOAPIC_PINS];
	struct ioapic_irqfd irqfd[X86_IOAPIC_PINS];
	/* --stats: messages sent per pin, by irqfd and by ioctl */
	uint64_t by_irqfd[X86_IOAPIC_PINS], by_ioctl[X86_IOAPIC_PINS];
};

static struct ioapic ioapic;

/* @pin's irqfd assigned for @cpu and @vector: false if it has none. */
static bool ioapic__irqfd_for(struct ioapic *a, unsigned int pin,
			      struct axvm_cpu *cpu, uint32_t vector)
{
	struct ioapic_irqfd *f = &a->irqfd[pin];
	struct axvm_vm *v = &a->vm->vm;
	int r = 0;

	if (!f->on)
		return false;
	if (f->assigned && f->vcpu == cpu->id && f->vector == vector)
		return true;
	if (f->assigned)
		r = axvm_vm_irqfd(v, f->fd, f->vcpu, f->vector,
				  AXVCPU_IRQFD_DEASSIGN);
	if (!r)
		r = axvm_vm_irqfd(v, f->fd, cpu->id, vector, 0);
	if (r < 0) {
		/* Whichever failed, none is left assigned for the pin. */
		pr_err("I/O APIC pin %u: cannot move its irqfd to vcpu %u vector %u (%s): by ioctl from now on",
		       pin, cpu->id, vector, strerror(-r));
		if (f->assigned)
			axvm_vm_irqfd(v, f->fd, f->vcpu, f->vector,
				      AXVCPU_IRQFD_DEASSIGN);
		f->on = f->assigned = false;
		return false;
	}
	f->assigned = true;
	f->vcpu = cpu->id;
	f->vector = vector;
	return true;
}

static void ioapic__send(struct ioapic *a, unsigned int pin)
{
	uint64_t e = a->rte[pin];
	uint32_t vector = e & 0xff, dm = (e >> 8) & 7;
	/* Fixed or lowest priority to one vcpu: through the irqfd if any. */
	struct axvm_cpu *cpu = dm > 1 ? NULL :
		x86__dest_one(a->vm, e >> 56, e & RTE_LOGICAL, dm);

	if (cpu && ioapic__irqfd_for(a, pin, cpu, vector)) {
		a->by_irqfd[pin]++;
		io__raise_irqfd(cpu, vector, a->irqfd[pin].fd);
		return;
	}
	a->by_ioctl[pin]++;
	x86__deliver(a->vm, e >> 56, e & RTE_LOGICAL, dm, vector, true);
}

/**
 * x86__ioapic_irqfd - send @pin's messages through an irqfd.
 * @vm: the VM.
 * @pin: the pin.
 * @fd: an eventfd; assigned (AXVCPU_IRQFD) for a vcpu and vector when the
 *	first message goes out, so that the module checks it then.
 *
 * Return: 0, or -EINVAL for a pin out of range.
 */
int x86__ioapic_irqfd(struct axvm *vm, unsigned int pin, int fd)
{
	if (pin >= X86_IOAPIC_PINS)
		return -EINVAL;
	ioapic.irqfd[pin] = (struct ioapic_irqfd){ .on = true, .fd = fd };
	return 0;
}

/**
 * arch__irq_counts - a device interrupt's messages so far, per path.
 * @irq: the device's interrupt: its I/O APIC pin.
 * @by_irqfd: set to the count sent through the pin's irqfd.
 * @by_ioctl: set to the count sent by AXVCPU_INJECT_INTERRUPT.
 */
void arch__irq_counts(uint32_t irq, uint64_t *by_irqfd, uint64_t *by_ioctl)
{
	*by_irqfd = irq < X86_IOAPIC_PINS ? ioapic.by_irqfd[irq] : 0;
	*by_ioctl = irq < X86_IOAPIC_PINS ? ioapic.by_ioctl[irq] : 0;
}

/* An edge on @pin: called with the device lock held. */
void x86__ioapic_raise(struct axvm *vm, unsigned int pin)
{
	struct ioapic *a = &ioapic;

	if (pin >= X86_IOAPIC_PINS)
		return;
	if (a->rte[pin] & RTE_MASKED) {
		a->latched[pin] = true;
		return;
	}
	ioapic__send(a, pin);
}

static uint32_t ioapic__read(struct ioapic *a)
{
	unsigned int pin;

	switch (a->sel) {
	case 0x00:
		return a->id << 24;
	case 0x01:
		return (X86_IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
	case 0x02:
		return a->id << 24;
	}
	if (a->sel < 0x10 || a->sel >= 0x10 + 2 * X86_IOAPIC_PINS)
		return 0;
	pin = (a->sel - 0x10) / 2;
	return a->sel & 1 ? a->rte[pin] >> 32 : (uint32_t)a->rte[pin];
}

static void ioapic__write(struct ioapic *a, uint32_t v)
{
	unsigned int pin;
	uint64_t e;

	if (a->sel == 0x00) {
		a->id = (v >> 24) & 0xf;
		return;
	}
	if (a->sel < 0x10 || a->sel >= 0x10 + 2 * X86_IOAPIC_PINS)
		return;
	pin = (a->sel - 0x10) / 2;
	e = a->rte[pin];
	if (a->sel & 1)
		e = (e & 0xffffffffULL) | (uint64_t)v << 32;
	else	/* delivery status (12) and remote IRR (14) are read-only */
		e = (e & ~0xffffffffULL) | (v & ~(1U << 12 | 1U << 14));
	a->rte[pin] = e;
	if (!(e & RTE_MASKED) && a->latched[pin]) {
		a->latched[pin] = false;
		ioapic__send(a, pin);
	}
}

static void ioapic__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		       unsigned int width, bool is_write, void *priv)
{
	struct ioapic *a = priv;

	if (off == IOREGSEL) {
		if (is_write)
			a->sel = *data & 0xff;
		else
			*data = a->sel;
	} else if (off == IOWIN) {
		if (is_write)
			ioapic__write(a, *data);
		else
			*data = ioapic__read(a);
	} else if (!is_write) {
		*data = 0;
	}
}

int x86__ioapic_init(struct axvm *vm)
{
	unsigned int i;

	ioapic.vm = vm;
	ioapic.id = vm->o.cpus;
	for (i = 0; i < X86_IOAPIC_PINS; i++)
		ioapic.rte[i] = RTE_MASKED;
	return mmio__register(X86_IOAPIC_BASE, 0x1000, "ioapic", ioapic__io,
			      &ioapic);
}
