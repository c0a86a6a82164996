// SPDX-License-Identifier: GPL-2.0
/*
 * axvm arm64 devices: a PL011 UART at 0x09000000 (output only), 32 empty
 * virtio-mmio transports at 0x0a000000, and a
 * GICv3 distributor and redistributors that only identify themselves
 * (registers read as zero, writes are ignored): interrupts reach the
 * guest through the module's list registers, not through them, but a
 * guest probing the GIC of its DTB must find one there.
 */
#include <string.h>

#include "axvm.h"
#include "axvm_fdt.h"
#include "arm64.h"

/* ---- PL011 (ARM DDI 0183) ---- */

#define UARTDR		0x000
#define UARTFR		0x018
#define UARTIBRD	0x024
#define UARTFBRD	0x028
#define UARTLCR_H	0x02c
#define UARTCR		0x030
#define UARTIFLS	0x034
#define UARTIMSC	0x038
#define UARTRIS		0x03c
#define UARTMIS		0x040
#define UARTICR		0x044
#define UARTFR_RXFE	(1 << 4)
#define UARTFR_TXFE	(1 << 7)

struct pl011 {
	uint32_t ibrd, fbrd, lcr_h, cr, ifls, imsc;
};

/* PeriphID 0x00041011, PrimeCell ID 0xb105f00d, byte per word from 0xfe0. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00,
				     0x0d, 0xf0, 0x05, 0xb1 };

static void pl011__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		      unsigned int width, bool is_write, void *priv)
{
	struct pl011 *u = priv;
	uint32_t v = *data;

	if (is_write) {
		switch (off) {
		case UARTDR: term__putc(cpu->vm, v & 0xff); break;
		case UARTIBRD: u->ibrd = v & 0xffff; break;
		case UARTFBRD: u->fbrd = v & 0x3f; break;
		case UARTLCR_H: u->lcr_h = v & 0xff; break;
		case UARTCR: u->cr = v & 0xffff; break;
		case UARTIFLS: u->ifls = v & 0x3f; break;
		case UARTIMSC: u->imsc = v & 0x7ff; break;
		}
		return;
	}
	switch (off) {
	case UARTFR: v = UARTFR_TXFE | UARTFR_RXFE; break;
	case UARTIBRD: v = u->ibrd; break;
	case UARTFBRD: v = u->fbrd; break;
	case UARTLCR_H: v = u->lcr_h; break;
	case UARTCR: v = u->cr; break;
	case UARTIFLS: v = u->ifls; break;
	case UARTIMSC: v = u->imsc; break;
	default:
		v = off >= 0xfe0 ? pl011_id[(off - 0xfe0) / 4] : 0;
	}
	*data = v;
}

/*
 * ---- virtio-mmio transports without a device ----
 *
 * Where the board puts virtio-mmio (and the DTB says so), a guest probes
 * every transport; one with DeviceID 0 has no device behind it and is
 * skipped (virtio 1.2, 4.2.2 "MMIO Device Register Layout": "Device ID
 * ... zero (0x0) is used to define a system memory map with placeholder
 * devices at static, well known addresses").  Everything else reads as
 * zero and writes are ignored.
 */
#define VIRTIO_MMIO_MAGIC_VALUE	0x000
#define VIRTIO_MMIO_VERSION	0x004
#define VIRTIO_MMIO_DEVICE_ID	0x008
#define VIRTIO_MMIO_VENDOR_ID	0x00c
#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define AXVM_VIRTIO_VENDOR	0x4d565841	/* "AXVM" */

static void virtio_empty__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			     unsigned int width, bool is_write, void *priv)
{
	if (is_write)
		return;
	switch (off % AXVM_FDT_VIRTIO_SIZE) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		*data = VIRTIO_MMIO_MAGIC;
		break;
	case VIRTIO_MMIO_VERSION:
		*data = 2;		/* virtio 1.x ("modern") layout */
		break;
	case VIRTIO_MMIO_VENDOR_ID:
		*data = AXVM_VIRTIO_VENDOR;
		break;
	case VIRTIO_MMIO_DEVICE_ID:	/* 0: no device */
	default:
		*data = 0;
	}
}

/*
 * ---- GICv3: identification, and the pending / active state ----
 *
 * The module delivers interrupts through its list registers and tells
 * what it holds (AXVCPU_GET_IRQ_STATE): the set-/clear-pending and
 * set-/clear-active registers read that, for the SGIs and PPIs in each
 * vcpu's redistributor (SGI_base frame) and for the SPIs in the
 * distributor (any vcpu's; Arm IHI 0069, 12.9 and 12.11).  Writes are
 * ignored.
 */

#define GICD_TYPER	0x0004
#define GICR_TYPER	0x0008
#define GIC_PIDR2	0xffe8
#define GIC_PIDR2_ARCH3	0x30
#define GICR_LAST	(1ULL << 4)
#define GICR_SGI_BASE	0x10000
#define GIC_ISPENDR	0x0200	/* + 4n: INTIDs 32n..32n+31; so the others */
#define GIC_ICPENDR	0x0280
#define GIC_ISACTIVER	0x0300
#define GIC_ICACTIVER	0x0380
#define GIC_NR_INTIDS	64	/* what GICD_TYPER says */

/* Word @n (INTIDs 32n..) of the pending or active bits of @cpu; 0 if unknown. */
static uint32_t gic__state_word(struct axvm_cpu *cpu, unsigned int n, bool active)
{
	struct axvcpu_irq_state st;
	const __u64 *w = active ? st.active : st.pending;

	if (axvm_vcpu_ioctl(&cpu->v, AXVCPU_GET_IRQ_STATE, &st) < 0)
		return 0;
	return w[n / 2] >> (32 * (n % 2));
}

/* An I[SC]PENDR / I[SC]ACTIVER read at @reg: true if it was one. */
static bool gic__state_read(struct axvm_cpu *cpu, uint64_t reg, uint64_t *data)
{
	unsigned int n;
	bool active;

	if (reg < GIC_ISPENDR || reg >= GIC_ICACTIVER + 0x80)
		return false;
	active = reg >= GIC_ISACTIVER;
	n = (reg & 0x7f) / 4;
	*data = n < GIC_NR_INTIDS / 32 ? gic__state_word(cpu, n, active) : 0;
	return true;
}

static void gicd__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		     unsigned int width, bool is_write, void *priv)
{
	struct axvm *vm = cpu->vm;
	unsigned int i;

	if (is_write)
		return;
	switch (off) {
	case GICD_TYPER:
		*data = 9 << 19 | 1;	/* 10 ID bits, 64 INTIDs */
		break;
	case GIC_PIDR2:
		*data = GIC_PIDR2_ARCH3;
		break;
	default:
		*data = 0;
		/* Word 0 (SGIs, PPIs) is RAZ here with affinity routing. */
		if (off >= GIC_ISPENDR + 4 && off < GIC_ICACTIVER + 0x80 &&
		    (off & 0x7f) >= 4) {
			uint64_t v = 0;

			for (i = 0; i < vm->ncpus; i++) {
				if (!vm->cpus[i].setup_done)
					continue;
				gic__state_read(&vm->cpus[i], off, &v);
				*data |= v;
			}
		}
	}
}

static void gicr__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
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
		if ((r & 0x7f) >= 4 || !gic__state_read(&vm->cpus[n], r, data))
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

int arm64__devices_init(struct axvm *vm)
{
	static struct pl011 uart;

	if (mmio__register(ARM64_PL011_BASE, ARM64_PL011_SIZE, "pl011",
			   pl011__io, &uart) ||
	    mmio__register(ARM64_GICD_BASE, AXVM_FDT_GICD_SIZE, "gicd",
			   gicd__io, NULL) ||
	    mmio__register(ARM64_GICR_BASE, AXVM_FDT_GICR_STRIDE * vm->o.cpus,
			   "gicr", gicr__io, NULL) ||
	    mmio__register(ARM64_VIRTIO_BASE, ARM64_VIRTIO_NR * AXVM_FDT_VIRTIO_SIZE,
			   "virtio-mmio (empty)", virtio_empty__io, NULL))
		return -1;
	return 0;
}
