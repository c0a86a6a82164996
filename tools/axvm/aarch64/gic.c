// SPDX-License-Identifier: GPL-2.0
/*
 * axvm arm64: the GICv3 distributor and redistributors a guest programs
 * (Arm IHI 0069, chapter 12), in front of the module's list registers.
 *
 * The distributor keeps what the guest writes for each SPI: group,
 * enable, priority, configuration (edge or level), group modifier and
 * route (GICD_IROUTER<n>).  A device raises an SPI with gic__raise_spi():
 * an enabled one, with the distributor's Group 1 enabled, is injected
 * (AXVCPU_INJECT_INTERRUPT) into the vcpu GICD_IROUTER names (1 of N
 * routing, IRM = 1: vcpu 0); one that is not is latched pending here and
 * injected when the guest enables it.  From injection on the module holds
 * the interrupt's state (list registers): the set-/clear-pending and
 * -active registers read it back (AXVCPU_GET_IRQ_STATE) together with
 * what is latched here.
 *
 * The redistributors identify themselves (GICR_TYPER with the vcpu's
 * affinity and Last); their SGI frame shows the SGIs' and PPIs' state as
 * the module holds it.  The module handles the PPIs it owns (the timers)
 * and SGIs (ICC_SGI1R_EL1) itself, so their enables are not modelled.
 *
 * An SPI a device raises from a thread of its own (virtio with the
 * module's ioeventfd) can have an irqfd (gic__spi_irqfd()): the decision
 * stays here, under the same rules, and only the injection of one that
 * is delivered goes through the eventfd instead of the ioctl.  The irqfd
 * is assigned for the vcpu the SPI goes to; when that changes (the guest
 * rewrote GICD_IROUTER, or its vcpu came up) the next delivery moves it
 * (deassign, assign: the module injects in the signaller's write, so no
 * signal is in flight then).  A disabled SPI is latched here as ever,
 * and its delivery on the enable takes the irqfd too.
 *
 * Everything here runs under vm->io_lock (devices.c).
 */
#include <errno.h>
#include <string.h>

#include "axvm.h"
#include "axvm_fdt.h"
#include "arm64.h"

#define GICD_CTLR		0x0000
#define GICD_TYPER		0x0004
#define GICD_IIDR		0x0008
#define GICD_IGROUPR		0x0080
#define GICD_ISENABLER		0x0100
#define GICD_ICENABLER		0x0180
#define GIC_ISPENDR		0x0200	/* + 4n: INTIDs 32n..32n+31; so the others */
#define GIC_ICPENDR		0x0280
#define GIC_ISACTIVER		0x0300
#define GIC_ICACTIVER		0x0380
#define GICD_IPRIORITYR		0x0400	/* one byte per INTID */
#define GICD_ICFGR		0x0c00	/* two bits per INTID */
#define GICD_IGRPMODR		0x0d00
#define GICD_IROUTER		0x6000	/* 8 bytes per INTID, from 32 on */
#define GICR_TYPER		0x0008
#define GIC_PIDR2		0xffe8
#define GIC_PIDR2_ARCH3		0x30
#define GICR_LAST		(1ULL << 4)
#define GICR_SGI_BASE		0x10000

#define GICD_CTLR_ENABLE_G1A	(1U << 1)
#define GICD_CTLR_ARE_NS	(1U << 4)
#define GICD_IROUTER_IRM	(1ULL << 31)
/* The affinity fields of GICD_IROUTER and MPIDR_EL1: Aff3 and Aff2..0. */
#define GIC_AFF_MASK		0xff00ffffffULL

/* 96 INTIDs: the 32 virtio-mmio SPIs (48..79) are all below. */
#define GIC_NR_INTIDS		96
#define GIC_NR_WORDS		(GIC_NR_INTIDS / 32)

struct gicd {
	uint32_t ctlr;
	uint32_t group[GIC_NR_WORDS], enable[GIC_NR_WORDS];
	uint32_t grpmod[GIC_NR_WORDS], latched[GIC_NR_WORDS];
	uint32_t cfg[2 * GIC_NR_WORDS];
	uint8_t prio[GIC_NR_INTIDS];
	uint64_t route[GIC_NR_INTIDS];
};

static struct gicd gicd;

/* Word @n (INTIDs 32n..) of the pending or active bits of @cpu; 0 if unknown. */
static uint32_t gic__state_word(struct axvm_cpu *cpu, unsigned int n, bool active)
{
	struct axvcpu_irq_state st;
	const __u64 *w = active ? st.active : st.pending;

	if (!cpu->setup_done ||
	    axvm_vcpu_ioctl(&cpu->v, AXVCPU_GET_IRQ_STATE, &st) < 0)
		return 0;
	return w[n / 2] >> (32 * (n % 2));
}

/* The vcpu an SPI goes to: GICD_IROUTER's affinity, else vcpu 0. */
static struct axvm_cpu *gic__target(struct axvm *vm, unsigned int intid)
{
	uint64_t r = gicd.route[intid];
	struct axvm_cpu *cpu;

	if (r & GICD_IROUTER_IRM)
		return &vm->cpus[0];
	cpu = vm__cpu_by_arch_id(vm, r & GIC_AFF_MASK);
	return cpu && cpu->setup_done ? cpu : &vm->cpus[0];
}

static bool gic__deliverable(unsigned int intid)
{
	uint32_t bit = 1U << (intid % 32);

	return (gicd.ctlr & GICD_CTLR_ENABLE_G1A) &&
	       (gicd.enable[intid / 32] & bit) && (gicd.group[intid / 32] & bit);
}

/* SPIs with an irqfd: the eventfd and the vcpu it is assigned for. */
struct gic_irqfd {
	bool on;
	int fd;
	unsigned int vcpu;
};

static struct gic_irqfd gic_irqfd[GIC_NR_INTIDS];

int gic__spi_irqfd(struct axvm *vm, unsigned int intid, int fd)
{
	int r;

	if (intid < 32 || intid >= GIC_NR_INTIDS)
		return -EINVAL;
	/* Vcpu 0 first: where an SPI goes until the guest routes it. */
	r = axvm_vm_irqfd(&vm->vm, fd, 0, intid, 0);
	if (r < 0)
		return r;
	gic_irqfd[intid].on = true;
	gic_irqfd[intid].fd = fd;
	gic_irqfd[intid].vcpu = 0;
	return 0;
}

/* The irqfd of @intid assigned for @cpu: false if it has none (any more). */
static bool gic__irqfd_for(struct axvm *vm, unsigned int intid,
			   struct axvm_cpu *cpu)
{
	struct gic_irqfd *f = &gic_irqfd[intid];
	int r;

	if (!f->on)
		return false;
	if (f->vcpu == cpu->id)
		return true;
	r = axvm_vm_irqfd(&vm->vm, f->fd, f->vcpu, intid, AXVCPU_IRQFD_DEASSIGN);
	if (!r)
		r = axvm_vm_irqfd(&vm->vm, f->fd, cpu->id, intid, 0);
	if (r < 0) {
		/* Whichever failed, none is left assigned for the SPI. */
		pr_err("SPI %u: cannot move its irqfd to vcpu %u (%s): by ioctl from now on",
		       intid, cpu->id, strerror(-r));
		axvm_vm_irqfd(&vm->vm, f->fd, f->vcpu, intid, AXVCPU_IRQFD_DEASSIGN);
		f->on = false;
		return false;
	}
	f->vcpu = cpu->id;
	return true;
}

/* Inject @intid, deliverable now, into the vcpu it is routed to. */
static void gic__deliver(struct axvm *vm, unsigned int intid)
{
	struct axvm_cpu *cpu = gic__target(vm, intid);

	if (gic__irqfd_for(vm, intid, cpu))
		io__raise_irqfd(cpu, intid, gic_irqfd[intid].fd);
	else
		io__raise(cpu, intid);
}

void gic__raise_spi(struct axvm *vm, unsigned int intid)
{
	if (intid < 32 || intid >= GIC_NR_INTIDS)
		return;
	if (gic__deliverable(intid))
		gic__deliver(vm, intid);
	else
		gicd.latched[intid / 32] |= 1U << (intid % 32);
}

/* Inject what is latched and deliverable now (after an enable). */
static void gic__flush_latched(struct axvm *vm)
{
	unsigned int w, b;

	for (w = 1; w < GIC_NR_WORDS; w++) {
		for (b = 0; b < 32; b++) {
			unsigned int intid = 32 * w + b;

			if (!(gicd.latched[w] & (1U << b)) || !gic__deliverable(intid))
				continue;
			gicd.latched[w] &= ~(1U << b);
			gic__deliver(vm, intid);
		}
	}
}

/* A read of a pending or active word of the SPIs: every vcpu's, and latched. */
static uint32_t gicd__state_read(struct axvm *vm, uint64_t off)
{
	unsigned int n = (off & 0x7f) / 4, i;
	bool active = off >= GIC_ISACTIVER;
	uint32_t v = 0;

	if (n >= GIC_NR_WORDS)
		return 0;
	for (i = 0; i < vm->ncpus; i++)
		v |= gic__state_word(&vm->cpus[i], n, active);
	return active ? v : v | gicd.latched[n];
}

/* A 32-bit word of one bit per INTID at @base (word 0, SGIs/PPIs: RAZ/WI). */
static uint32_t *gicd__bits(uint64_t off, uint64_t base, uint32_t *arr)
{
	unsigned int n = (off - base) / 4;

	return n >= 1 && n < GIC_NR_WORDS ? &arr[n] : NULL;
}

static uint64_t gicd__read(struct axvm *vm, uint64_t off, unsigned int width)
{
	uint32_t *w;
	uint64_t v = 0;
	unsigned int i, n;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + GIC_NR_INTIDS) {
		n = off - GICD_IPRIORITYR;
		for (i = 0; i < width && n + i < GIC_NR_INTIDS; i++)
			v |= (uint64_t)(n + i >= 32 ? gicd.prio[n + i] : 0) << (8 * i);
		return v;
	}
	if (off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * GIC_NR_INTIDS) {
		n = (off - GICD_IROUTER) / 8;
		v = gicd.route[n];
		return off & 4 ? v >> 32 : (width == 8 ? v : (uint32_t)v);
	}
	if (width != 4)
		return 0;
	switch (off) {
	case GICD_CTLR:
		/* RWP (bit 31) 0: writes take effect at once; ARE_NS always 1 */
		return gicd.ctlr | GICD_CTLR_ARE_NS;
	case GICD_TYPER:
		/* 10 ID bits, (ITLinesNumber + 1) * 32 INTIDs */
		return 9 << 19 | (GIC_NR_INTIDS / 32 - 1);
	case GICD_IIDR:
		return 0x43b;		/* Arm's JEP106 code, as QEMU's GICv3 */
	case GIC_PIDR2:
		return GIC_PIDR2_ARCH3;
	}
	if (off >= GIC_ISPENDR && off < GIC_ICACTIVER + 0x80)
		return gicd__state_read(vm, off);
	if (off >= GICD_ICFGR && off < GICD_ICFGR + 4 * 2 * GIC_NR_WORDS) {
		n = (off - GICD_ICFGR) / 4;
		return n >= 2 ? gicd.cfg[n] : 0;
	}
	w = gicd__bits(off, GICD_IGROUPR, gicd.group);
	if (!w)
		w = gicd__bits(off, GICD_ISENABLER, gicd.enable);
	if (!w)
		w = gicd__bits(off, GICD_ICENABLER, gicd.enable);
	if (!w)
		w = gicd__bits(off, GICD_IGRPMODR, gicd.grpmod);
	return w ? *w : 0;
}

static void gicd__write(struct axvm *vm, uint64_t off, uint64_t v,
			unsigned int width)
{
	uint32_t *w;
	unsigned int i, n;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + GIC_NR_INTIDS) {
		n = off - GICD_IPRIORITYR;
		for (i = 0; i < width && n + i < GIC_NR_INTIDS; i++)
			if (n + i >= 32)
				gicd.prio[n + i] = v >> (8 * i);
		return;
	}
	if (off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * GIC_NR_INTIDS) {
		n = (off - GICD_IROUTER) / 8;
		if (width == 8)
			gicd.route[n] = v;
		else if (off & 4)
			gicd.route[n] = (uint32_t)gicd.route[n] | v << 32;
		else
			gicd.route[n] = (gicd.route[n] & ~0xffffffffULL) | (uint32_t)v;
		gicd.route[n] &= GIC_AFF_MASK | GICD_IROUTER_IRM;
		return;
	}
	if (width != 4)
		return;
	if (off == GICD_CTLR) {
		/* Affinity routing is always on (ARE_NS reads as one). */
		gicd.ctlr = v & GICD_CTLR_ENABLE_G1A;
		gic__flush_latched(vm);
		return;
	}
	if (off >= GICD_ICFGR && off < GICD_ICFGR + 4 * 2 * GIC_NR_WORDS) {
		n = (off - GICD_ICFGR) / 4;
		/* Int_config<1> of each field; <0> is RES0 (12.9.9). */
		if (n >= 2)
			gicd.cfg[n] = v & 0xaaaaaaaa;
		return;
	}
	if ((w = gicd__bits(off, GICD_IGROUPR, gicd.group))) {
		*w = v;
	} else if ((w = gicd__bits(off, GICD_ISENABLER, gicd.enable))) {
		*w |= v;
		gic__flush_latched(vm);
	} else if ((w = gicd__bits(off, GICD_ICENABLER, gicd.enable))) {
		*w &= ~v;
	} else if ((w = gicd__bits(off, GICD_IGRPMODR, gicd.grpmod))) {
		*w = v;
	} else if ((w = gicd__bits(off, GIC_ISPENDR, gicd.latched))) {
		/* Set-pending: as if a device raised each one. */
		for (i = 0; i < 32; i++)
			if (v & (1U << i))
				gic__raise_spi(vm, 32 * (w - gicd.latched) + i);
	} else if ((w = gicd__bits(off, GIC_ICPENDR, gicd.latched))) {
		/* Only what is latched here; the module's list registers stay. */
		*w &= ~v;
	}
}

void gicd__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
	      unsigned int width, bool is_write, void *priv)
{
	if (is_write)
		gicd__write(cpu->vm, off, *data, width);
	else
		*data = gicd__read(cpu->vm, off, width);
}

void gicr__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
	      unsigned int width, bool is_write, void *priv)
{
	struct axvm *vm = cpu->vm;
	unsigned int n = off / AXVM_FDT_GICR_STRIDE;
	uint64_t reg = off % AXVM_FDT_GICR_STRIDE;

	if (is_write)
		return;
	if (reg >= GICR_SGI_BASE) {
		uint64_t r = reg - GICR_SGI_BASE;

		/* Only word 0 (SGIs and PPIs) is the redistributor's. */
		if (r >= GIC_ISPENDR && r < GIC_ICACTIVER + 0x80 && !(r & 0x7f))
			*data = gic__state_word(&vm->cpus[n], 0, r >= GIC_ISACTIVER);
		else
			*data = 0;
		return;
	}
	switch (reg) {
	case GICR_TYPER:
	case GICR_TYPER + 4: {
		uint64_t typer = vm->cpus[n].arch_id << 32 | (uint64_t)n << 8 |
				 (n == vm->ncpus - 1 ? GICR_LAST : 0);

		*data = reg == GICR_TYPER ? typer : typer >> 32;
		break;
	}
	case GIC_PIDR2:
		*data = GIC_PIDR2_ARCH3;
		break;
	default:
		*data = 0;
	}
}
