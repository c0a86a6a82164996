// SPDX-License-Identifier: GPL-2.0
/*
 * axvm x86_64 devices: a 16550 UART at 0x3f8 (IRQ 4), QEMU's debug-exit
 * port 0xf4 and power-off port 0x604 (ACPI PM1a control), ACPI's PM1a
 * event block and reset register,
 * fw_cfg at 0x510, the CPU start port, the I/O APIC (ioapic.c), virtio-mmio
 * transports, and the PCI configuration ports answering "nothing here".
 */
#include <stdio.h>
#include <string.h>

#include "axvm.h"
#include "term.h"
#include "virtio.h"
#include "x86.h"

/* ---- 16550 ---- */

/*
 * COM1 with its interrupt on ISA IRQ 4 (through the I/O APIC) and a
 * receive FIFO fed from stdin (term__input).  Characters are sent the
 * moment they are written, so the transmitter is always empty: THRE
 * interrupts come when IER.ETBEI is turned on and after each write of the
 * holding register, as a real 16550 raises one when its FIFO drains; they
 * end when IIR reports them or the holding register is written
 * (PC16550D datasheet, "Interrupt Identification Register").
 */
#define UART_LCR_DLAB	0x80
#define UART_MCR_LOOP	0x10
#define UART_MCR_OUT2	0x08	/* on a PC: gates the interrupt line */
#define UART_LSR_DR	0x01
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_IIR_NO_INT	0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IER_RDI	0x01
#define UART_IER_THRI	0x02
#define UART_FIFO	16

struct uart16550 {
	struct axvm *vm;
	uint8_t dll, dlm, ier, fcr, lcr, mcr, scr;
	bool thri;		/* a THRE interrupt is pending */
	uint8_t rx[UART_FIFO];
	unsigned int rx_head, rx_len;
	struct term_line line;	/* its output, a line at a time */
};

static uint8_t uart__iir(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_RDI) && u->rx_len)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thri)
		return UART_IIR_THRI;
	return UART_IIR_NO_INT;
}

/* An edge on IRQ 4 when an interrupt is now pending and OUT2 passes it. */
static void uart__update(struct uart16550 *u)
{
	if (uart__iir(u) != UART_IIR_NO_INT && (u->mcr & UART_MCR_OUT2))
		x86__ioapic_raise(u->vm, X86_COM1_IRQ);
}

/* term__input's @push: bytes typed, under the device lock. */
static size_t uart__rx(void *priv, const uint8_t *buf, size_t len)
{
	struct uart16550 *u = priv;
	size_t i;

	for (i = 0; i < len && u->rx_len < UART_FIFO; i++, u->rx_len++)
		u->rx[(u->rx_head + u->rx_len) % UART_FIFO] = buf[i];
	if (i)
		uart__update(u);
	return i;
}

static uint8_t uart__rx_pop(struct uart16550 *u)
{
	uint8_t c;

	if (!u->rx_len)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO;
	u->rx_len--;
	return c;
}

static uint8_t uart__msr(const struct uart16550 *u)
{
	if (!(u->mcr & UART_MCR_LOOP))
		return 0xb0;	/* DCD, DSR, CTS */
	/* Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
	return (u->mcr & 0x2) << 3 | (u->mcr & 0x1) << 5 |
	       (u->mcr & 0x4) << 4 | (u->mcr & 0x8) << 4;
}

static void uart__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		     unsigned int width, bool is_write, void *priv)
{
	struct uart16550 *u = priv;
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v = *data, iir;

	if (is_write) {
		switch (off) {
		case 0:
			if (dlab) {
				u->dll = v;
				break;
			}
			if (!(u->mcr & UART_MCR_LOOP))
				term__putc(&u->line, v);
			u->thri = true;		/* sent: empty again */
			uart__update(u);
			break;
		case 1:
			if (dlab) {
				u->dlm = v;
				break;
			}
			if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
				u->thri = true;
			u->ier = v & 0x0f;
			uart__update(u);
			break;
		case 2:
			u->fcr = v;
			if (v & 0x02)		/* clear the receive FIFO */
				u->rx_len = 0;
			break;
		case 3: u->lcr = v; break;
		case 4:
			u->mcr = v & 0x1f;
			uart__update(u);
			break;
		case 7: u->scr = v; break;
		}
		return;
	}
	switch (off) {
	case 0: v = dlab ? u->dll : uart__rx_pop(u); break;
	case 1: v = dlab ? u->dlm : u->ier; break;
	case 2:
		iir = uart__iir(u);
		if (iir == UART_IIR_THRI)
			u->thri = false;	/* reading IIR ends THRE */
		v = iir | ((u->fcr & 1) ? 0xc0 : 0);
		break;
	case 3: v = u->lcr; break;
	case 4: v = u->mcr; break;
	case 5:
		v = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_len ? UART_LSR_DR : 0);
		break;
	case 6: v = uart__msr(u); break;
	default: v = u->scr; break;
	}
	*data = v;
}

/* ---- power: debug-exit and the shutdown port ---- */

static void debug_exit__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			   unsigned int width, bool is_write, void *priv)
{
	if (!is_write) {
		*data = ~0ULL;
		return;
	}
	/* QEMU's isa-debug-exit: exit((value << 1) | 1). */
	vm__stop(cpu->vm, (int)(((*data << 1) | 1) & 0xff), NULL);
}

/*
 * QEMU's power-off port, which is also ACPI's PM1a control register: it
 * reads SCI_EN (ACPI mode), and SLP_EN (bit 13) powers off (ACPI 6.4,
 * 4.8.3.2.1; \_S5 is the only sleep state axvm's DSDT has).
 */
static void shutdown__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			 unsigned int width, bool is_write, void *priv)
{
	if (!is_write) {
		*data = off == 0 ? 1 : 0;
		return;
	}
	if (off == 0 && (*data & X86_SHUTDOWN_VALUE))
		vm__stop(cpu->vm, 0, NULL);
}

/*
 * ACPI's PM1a event block (status and enable: no event is ever raised)
 * and reset register (the FADT of linux.c names them; ACPI 6.4, 4.8.3.1
 * and 4.8.3.6): the reset value ends the run as a reset.
 */
static void acpi_evt__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			 unsigned int width, bool is_write, void *priv)
{
	uint16_t *enable = priv;

	if (off < 2) {			/* PM1a_STS: write 1 to clear, none set */
		if (!is_write)
			*data = 0;
	} else if (is_write) {
		*enable = *data;
	} else {
		*data = *enable;
	}
}

static void acpi_reset__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			   unsigned int width, bool is_write, void *priv)
{
	if (!is_write)
		*data = 0;
	else if ((uint8_t)*data == X86_ACPI_RESET_VALUE)
		vm__stop(cpu->vm, AXVM_EXIT_RESET, "vcpu %u: the guest asked for a reset (axvm does not reboot: status 32)",
			 cpu->id);
}

/* ---- fw_cfg (QEMU docs/specs/fw_cfg.rst, the I/O interface) ---- */

#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_CMDLINE_SIZE	0x14
#define FW_CFG_CMDLINE_DATA	0x15
#define FW_CFG_FILE_DIR		0x19
#define FW_CFG_NITEMS		0x20

struct fw_cfg {
	uint16_t sel;
	uint32_t pos;
	const uint8_t *data[FW_CFG_NITEMS];
	uint32_t len[FW_CFG_NITEMS];
	uint8_t sig[4], id[4], ram[8], ncpus[2], cmdline_size[4], file_dir[4];
};

static void put_le(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		*p++ = v;
		v >>= 8;
	}
}

static void fw_cfg__item(struct fw_cfg *f, uint16_t key, const void *p,
			 uint32_t len)
{
	f->data[key] = p;
	f->len[key] = len;
}

static void fw_cfg__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		       unsigned int width, bool is_write, void *priv)
{
	struct fw_cfg *f = priv;

	if (off == 0) {		/* selector */
		if (is_write) {
			f->sel = *data;
			f->pos = 0;
		} else {
			*data = ~0ULL;
		}
		return;
	}
	if (is_write)
		return;		/* writes to the data port are ignored */
	/* One byte per read, whatever the width (the spec's 8-bit port). */
	{
		uint16_t key = f->sel & 0x3fff;
		uint8_t v = 0;

		if (key < FW_CFG_NITEMS && f->pos < f->len[key])
			v = f->data[key][f->pos++];
		*data = v;
	}
}

/* ---- "nothing here": the PIC masks and PCI configuration ---- */

static void absent__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		       unsigned int width, bool is_write, void *priv)
{
	if (!is_write)
		*data = ~0ULL;
}

/* ---- axvm's CPU start port (x86.h) ---- */

struct cpu_start {
	uint32_t target;
	int32_t result;
};

static void cpu_start__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			  unsigned int width, bool is_write, void *priv)
{
	struct cpu_start *cs = priv;

	if (!is_write) {
		*data = off == X86_CPU_START_TARGET ? cpu->vm->ncpus :
			(uint32_t)cs->result;
		return;
	}
	if (off == X86_CPU_START_TARGET) {
		cs->target = *data;
	} else if (off == X86_CPU_START_ENTRY) {
		/* vm__cpu_on() takes vm->lock, never io_lock: no deadlock. */
		cs->result = vm__cpu_on(cpu->vm, cs->target, (uint32_t)*data, 0);
	}
}

/* ---- virtio-mmio for Linux guests (x86.h) ---- */

#define X86_VIRTIO_NR	X86_VIRTIO_MAX

static const char *const virtio_names[X86_VIRTIO_NR] = {
	"virtio-blk", "virtio-rng", "virtio-console", "virtio-net"
};
/* Their ISA IRQs: 5, 6, 7, then 10 (8 is the CMOS clock's, 9 the SCI). */
static const unsigned int virtio_irqs[X86_VIRTIO_NR] = { 5, 6, 7, 10 };
static struct virtio_dev *virtio[X86_VIRTIO_NR];

/* A virtio device's interrupt: its ISA IRQ, an edge through the I/O APIC. */
static void virtio__raise_isa(struct virtio_dev *d)
{
	x86__ioapic_raise(d->vm, d->irq);
}

/*
 * Transport i at X86_VIRTIO_BASE + i * 0x200 with IRQ virtio_irqs[i],
 * for the devices asked for: 0 the --disk virtio-blk, 1 the --rng
 * virtio-rng, 2 the --console virtio console, 3 the --net virtio-net.
 * x86 has no device tree: the kernel learns of them from the DSDT
 * (linux.c, x86__virtio_list()).
 */
static int x86__virtio_init(struct axvm *vm)
{
	unsigned int i;

	if (vm->o.disk && !(virtio[0] = virtio_blk__create(vm, vm->o.disk)))
		return -1;
	if (vm->o.rng && !(virtio[1] = virtio_rng__create(vm)))
		return -1;
	if (vm->o.virtio_console && !(virtio[2] = virtio_console__create(vm)))
		return -1;
	if (vm->o.net && !(virtio[3] = virtio_net__create(vm, vm->o.net)))
		return -1;
	for (i = 0; i < X86_VIRTIO_NR; i++) {
		uint64_t base = X86_VIRTIO_BASE + i * VIRTIO_MMIO_SIZE;

		if (!virtio[i])
			continue;
		virtio[i]->irq = virtio_irqs[i];
		virtio[i]->raise = virtio__raise_isa;
		if (mmio__register(base, VIRTIO_MMIO_SIZE, virtio_names[i],
				   virtio_mmio__io, virtio[i]))
			return -1;
		if (!vm->o.no_ioeventfd && virtio_dev__ioeventfd(virtio[i], base))
			return -1;
		if (virtio[i]->ioeventfd && !vm->o.no_irqfd)
			virtio_dev__irqfd(virtio[i], x86__ioapic_irqfd);
	}
	return virtio[3] ? virtio_net__start(virtio[3]) : 0;
}

/**
 * x86__virtio_list - the virtio-mmio transports the options ask for.
 * @vm: the VM.
 * @base: their MMIO bases (X86_VIRTIO_MAX entries).
 * @irq: their ISA IRQs.
 *
 * Called by arch__load() for the ACPI tables, before the devices exist:
 * the options say.
 *
 * Return: how many.
 */
unsigned int x86__virtio_list(struct axvm *vm, uint64_t *base, unsigned int *irq)
{
	bool want[X86_VIRTIO_NR] = {
		vm->o.disk, vm->o.rng, vm->o.virtio_console, vm->o.net
	};
	unsigned int i, n = 0;

	for (i = 0; i < X86_VIRTIO_NR; i++) {
		if (!want[i])
			continue;
		base[n] = X86_VIRTIO_BASE + i * VIRTIO_MMIO_SIZE;
		irq[n++] = virtio_irqs[i];
	}
	return n;
}

int x86__devices_init(struct axvm *vm)
{
	static struct cpu_start cpu_start;

	static struct uart16550 com1;
	static uint16_t pm1a_enable;
	static struct fw_cfg fw;
	int r = 0;

	memcpy(fw.sig, "QEMU", 4);
	put_le(fw.id, 1, 4);		/* traditional interface, no DMA */
	put_le(fw.ram, vm->ram_size, 8);
	put_le(fw.ncpus, vm->o.cpus, 2);
	fw_cfg__item(&fw, FW_CFG_SIGNATURE, fw.sig, 4);
	fw_cfg__item(&fw, FW_CFG_ID, fw.id, 4);
	fw_cfg__item(&fw, FW_CFG_RAM_SIZE, fw.ram, 8);
	fw_cfg__item(&fw, FW_CFG_NB_CPUS, fw.ncpus, 2);
	fw_cfg__item(&fw, FW_CFG_MAX_CPUS, fw.ncpus, 2);
	if (vm->o.cmdline) {
		uint32_t n = strlen(vm->o.cmdline) + 1;

		put_le(fw.cmdline_size, n, 4);
		fw_cfg__item(&fw, FW_CFG_CMDLINE_SIZE, fw.cmdline_size, 4);
		fw_cfg__item(&fw, FW_CFG_CMDLINE_DATA, vm->o.cmdline, n);
	}
	fw_cfg__item(&fw, FW_CFG_FILE_DIR, fw.file_dir, 4);	/* no files */

	r |= ioport__register(X86_COM1, 8, "16550", uart__io, &com1);
	r |= ioport__register(X86_DEBUG_EXIT, 1, "debug-exit", debug_exit__io, NULL);
	r |= ioport__register(X86_SHUTDOWN, 2, "shutdown", shutdown__io, NULL);
	r |= ioport__register(X86_FW_CFG, 2, "fw_cfg", fw_cfg__io, &fw);
	r |= ioport__register(X86_CPU_START, 8, "cpu-start", cpu_start__io,
			      &cpu_start);
	r |= ioport__register(0xcf8, 8, "pci-config", absent__io, NULL);
	r |= ioport__register(X86_ACPI_PM1A_EVT, 4, "acpi-pm1a-evt", acpi_evt__io,
			      &pm1a_enable);
	r |= ioport__register(X86_ACPI_RESET, 1, "acpi-reset", acpi_reset__io, NULL);
	r |= x86__ioapic_init(vm);
	r |= x86__legacy_init(vm);
	com1.vm = vm;
	if (r || x86__virtio_init(vm))
		return -1;
	/* What is typed goes to the virtio console when there is one. */
	if (virtio[2])
		return term__input(vm, virtio_console__input, virtio[2]);
	return term__input(vm, uart__rx, &com1);
}
