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
#include "virtio.h"

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
 * A virtio device's interrupt: its transport's SPI (edge, as the DTB
 * says), through the distributor model (gic.c).
 */
static void virtio__raise_spi(struct virtio_dev *d)
{
	gic__raise_spi(d->vm, d->irq);
}

int arm64__devices_init(struct axvm *vm)
{
	static struct pl011 uart;
	struct virtio_dev *blk = NULL;
	unsigned int first_empty = 0;

	if (vm->o.disk) {
		blk = virtio_blk__create(vm, vm->o.disk);
		if (!blk)
			return -1;
		blk->irq = 32 + ARM64_VIRTIO_IRQ;	/* transport 0's SPI */
		blk->raise = virtio__raise_spi;
		first_empty = 1;
	}
	if (mmio__register(ARM64_PL011_BASE, ARM64_PL011_SIZE, "pl011",
			   pl011__io, &uart) ||
	    mmio__register(ARM64_GICD_BASE, AXVM_FDT_GICD_SIZE, "gicd",
			   gicd__io, NULL) ||
	    mmio__register(ARM64_GICR_BASE, AXVM_FDT_GICR_STRIDE * vm->o.cpus,
			   "gicr", gicr__io, NULL) ||
	    (blk && mmio__register(ARM64_VIRTIO_BASE, AXVM_FDT_VIRTIO_SIZE,
				   "virtio-blk", virtio_mmio__io, blk)) ||
	    mmio__register(ARM64_VIRTIO_BASE + first_empty * AXVM_FDT_VIRTIO_SIZE,
			   (ARM64_VIRTIO_NR - first_empty) * AXVM_FDT_VIRTIO_SIZE,
			   "virtio-mmio (empty)", virtio_mmio_empty__io, NULL))
		return -1;
	return 0;
}
