// SPDX-License-Identifier: GPL-2.0
/*
 * axvm x86_64 devices: a 16550 UART at 0x3f8, QEMU's debug-exit port 0xf4
 * and power-off port 0x604, fw_cfg at 0x510, the CPU start port, and the
 * PIC and PCI configuration ports answering "nothing here".
 */
#include <string.h>

#include "axvm.h"
#include "x86.h"

/* ---- 16550 ---- */

#define UART_LCR_DLAB	0x80
#define UART_MCR_LOOP	0x10
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_IIR_NO_INT	0x01

struct uart16550 {
	uint8_t dll, dlm, ier, fcr, lcr, mcr, scr;
};

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
	uint8_t v = *data;

	if (is_write) {
		switch (off) {
		case 0:
			if (dlab)
				u->dll = v;
			else if (!(u->mcr & UART_MCR_LOOP))
				term__putc(&cpu->line, v);
			break;
		case 1:
			if (dlab)
				u->dlm = v;
			else
				u->ier = v & 0x0f;
			break;
		case 2: u->fcr = v; break;
		case 3: u->lcr = v; break;
		case 4: u->mcr = v & 0x1f; break;
		case 7: u->scr = v; break;
		}
		return;
	}
	switch (off) {
	case 0: v = dlab ? u->dll : 0; break;	/* no input */
	case 1: v = dlab ? u->dlm : u->ier; break;
	case 2: v = UART_IIR_NO_INT | ((u->fcr & 1) ? 0xc0 : 0); break;
	case 3: v = u->lcr; break;
	case 4: v = u->mcr; break;
	case 5: v = UART_LSR_THRE | UART_LSR_TEMT; break;
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

static void shutdown__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			 unsigned int width, bool is_write, void *priv)
{
	if (!is_write) {
		*data = 0;
		return;
	}
	if (off == 0 && (*data & X86_SHUTDOWN_VALUE))
		vm__stop(cpu->vm, 0, NULL);
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

int x86__devices_init(struct axvm *vm)
{
	static struct cpu_start cpu_start;

	static struct uart16550 com1;
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
	r |= ioport__register(0x20, 2, "pic1", absent__io, NULL);
	r |= ioport__register(0xa0, 2, "pic2", absent__io, NULL);
	r |= ioport__register(0xcf8, 8, "pci-config", absent__io, NULL);
	r |= x86__legacy_init(vm);
	return r;
}
