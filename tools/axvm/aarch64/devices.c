// SPDX-License-Identifier: GPL-2.0
/*
 * axvm arm64 devices: a PL011 UART at 0x09000000 (output only), 32 empty
 * virtio-mmio transports at 0x0a000000, and a
 * GICv3 distributor and redistributors that only identify themselves
 * (registers read as zero, writes are ignored): interrupts reach the
 * guest through the module's list registers, not through them, but a
 * guest probing the GIC of its DTB must find one there.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "axvm.h"
#include "axvm_fdt.h"
#include "arm64.h"
#include "term.h"
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
#define UARTFR_RXFF	(1 << 6)
#define UARTFR_TXFE	(1 << 7)
/* RIS / MIS / IMSC bits: receive and receive timeout. */
#define UART_RXI	(1 << 4)
#define UART_RTI	(1 << 6)
#define PL011_FIFO	16

/*
 * Transmit: each byte goes to the terminal at once, so the transmit FIFO
 * is always empty and never interrupts.  Receive: a 16-byte FIFO filled
 * from stdin (term__input); its interrupt (RXRIS and RTRIS) is up while
 * the FIFO holds data, and the SPI is raised when it comes up: data into
 * an empty FIFO, or the guest unmasking it while data waits.  A driver
 * reads until RXFE, so after that new data raises it again.
 */
struct pl011 {
	struct axvm *vm;
	uint32_t ibrd, fbrd, lcr_h, cr, ifls, imsc;
	uint8_t rx[PL011_FIFO];
	unsigned int rx_head, rx_len;
	struct term_line line;	/* its output, a line at a time */
};

/* PeriphID 0x00041011, PrimeCell ID 0xb105f00d, byte per word from 0xfe0. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00,
				     0x0d, 0xf0, 0x05, 0xb1 };

static uint32_t pl011__ris(struct pl011 *u)
{
	return u->rx_len ? UART_RXI | UART_RTI : 0;
}

static void pl011__raise(struct pl011 *u)
{
	gic__raise_spi(u->vm, 32 + ARM64_PL011_IRQ);
}

/* term__input's @push: bytes typed, under the device lock. */
static size_t pl011__rx(void *priv, const uint8_t *buf, size_t len)
{
	struct pl011 *u = priv;
	bool was_up = pl011__ris(u) & u->imsc;
	size_t i;

	for (i = 0; i < len && u->rx_len < PL011_FIFO; i++, u->rx_len++)
		u->rx[(u->rx_head + u->rx_len) % PL011_FIFO] = buf[i];
	if (!was_up && (pl011__ris(u) & u->imsc))
		pl011__raise(u);
	return i;
}

static uint32_t pl011__read_dr(struct pl011 *u)
{
	uint32_t c;

	if (!u->rx_len)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % PL011_FIFO;
	u->rx_len--;
	return c;
}

static void pl011__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		      unsigned int width, bool is_write, void *priv)
{
	struct pl011 *u = priv;
	uint32_t v = *data, old;

	if (is_write) {
		switch (off) {
		case UARTDR: term__putc(&u->line, v & 0xff); break;
		case UARTIBRD: u->ibrd = v & 0xffff; break;
		case UARTFBRD: u->fbrd = v & 0x3f; break;
		case UARTLCR_H: u->lcr_h = v & 0xff; break;
		case UARTCR: u->cr = v & 0xffff; break;
		case UARTIFLS: u->ifls = v & 0x3f; break;
		case UARTIMSC:
			old = pl011__ris(u) & u->imsc;
			u->imsc = v & 0x7ff;
			if (!old && (pl011__ris(u) & u->imsc))
				pl011__raise(u);
			break;
		/* UARTICR: the receive interrupts clear by reading the FIFO. */
		}
		return;
	}
	switch (off) {
	case UARTDR: v = pl011__read_dr(u); break;
	case UARTFR:
		v = UARTFR_TXFE | (u->rx_len ? 0 : UARTFR_RXFE) |
		    (u->rx_len == PL011_FIFO ? UARTFR_RXFF : 0);
		break;
	case UARTIBRD: v = u->ibrd; break;
	case UARTFBRD: v = u->fbrd; break;
	case UARTLCR_H: v = u->lcr_h; break;
	case UARTCR: v = u->cr; break;
	case UARTIFLS: v = u->ifls; break;
	case UARTIMSC: v = u->imsc; break;
	case UARTRIS: v = pl011__ris(u); break;
	case UARTMIS: v = pl011__ris(u) & u->imsc; break;
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

/* An SPI is raised by its INTID: the counts of devices.c are its own. */
void arch__irq_counts(uint32_t irq, uint64_t *by_irqfd, uint64_t *by_ioctl)
{
	io__irq_counts(irq, by_irqfd, by_ioctl);
}

/*
 * The virtio-mmio window: transport 0 is the --disk virtio-blk, 1 the
 * --rng virtio-rng, 2 the --console virtio console, 3 the --net
 * virtio-net, each when asked for; every other transport is empty.
 */
#define ARM64_VIRTIO_USED	4

static const char *const virtio_names[ARM64_VIRTIO_USED] = {
	"virtio-blk", "virtio-rng", "virtio-console", "virtio-net"
};

static int arm64__virtio_init(struct axvm *vm, struct virtio_dev **console)
{
	struct virtio_dev *dev[ARM64_VIRTIO_USED] = { NULL };
	unsigned int i;

	if (vm->o.disk && !(dev[0] = virtio_blk__create(vm, vm->o.disk)))
		return -1;
	if (vm->o.rng && !(dev[1] = virtio_rng__create(vm)))
		return -1;
	if (vm->o.virtio_console && !(dev[2] = virtio_console__create(vm)))
		return -1;
	if (vm->o.net && !(dev[3] = virtio_net__create(vm, vm->o.net)))
		return -1;
	*console = dev[2];
	for (i = 0; i < ARM64_VIRTIO_USED; i++) {
		uint64_t base = ARM64_VIRTIO_BASE + i * AXVM_FDT_VIRTIO_SIZE;
		int r;

		if (dev[i]) {
			dev[i]->irq = 32 + ARM64_VIRTIO_IRQ + i;
			dev[i]->raise = virtio__raise_spi;
			r = mmio__register(base, AXVM_FDT_VIRTIO_SIZE, virtio_names[i],
					   virtio_mmio__io, dev[i]);
			if (!r && !vm->o.no_ioeventfd)
				r = virtio_dev__ioeventfd(dev[i], base);
			if (!r && dev[i]->ioeventfd && !vm->o.no_irqfd)
				virtio_dev__irqfd(dev[i], gic__spi_irqfd);
		} else {
			r = mmio__register(base, AXVM_FDT_VIRTIO_SIZE, "virtio-mmio (empty)",
					   virtio_mmio_empty__io, NULL);
		}
		if (r)
			return -1;
	}
	/* Frames to the guest once its transport is there. */
	if (dev[3] && virtio_net__start(dev[3]))
		return -1;
	return mmio__register(ARM64_VIRTIO_BASE + ARM64_VIRTIO_USED * AXVM_FDT_VIRTIO_SIZE,
			      (ARM64_VIRTIO_NR - ARM64_VIRTIO_USED) * AXVM_FDT_VIRTIO_SIZE,
			      "virtio-mmio (empty)", virtio_mmio_empty__io, NULL);
}

int arm64__devices_init(struct axvm *vm)
{
	static struct pl011 uart;
	struct virtio_dev *console = NULL;

	uart.vm = vm;
	if (mmio__register(ARM64_PL011_BASE, ARM64_PL011_SIZE, "pl011",
			   pl011__io, &uart) ||
	    mmio__register(ARM64_GICD_BASE, AXVM_FDT_GICD_SIZE, "gicd",
			   gicd__io, NULL) ||
	    mmio__register(ARM64_GICR_BASE, AXVM_FDT_GICR_STRIDE * vm->o.cpus,
			   "gicr", gicr__io, NULL) ||
	    arm64__virtio_init(vm, &console))
		return -1;
	/* What is typed goes to the virtio console when there is one. */
	if (console)
		return term__input(vm, virtio_console__input, console);
	return term__input(vm, pl011__rx, &uart);
}
