// SPDX-License-Identifier: GPL-2.0
/*
 * axvm x86_64: what a Linux kernel finds at boot.
 *
 * Two ways in (Documentation/arch/x86/boot.rst):
 *  - a vmlinux with a PVH entry note: 32-bit protected mode, paging off,
 *    EBX = struct hvm_start_info (version 1, with the memory map), the
 *    kernel's PT_LOAD segments already at their physical addresses; no
 *    decompression in the guest;
 *  - a bzImage: its protected-mode part at 1 MiB, entered at 1 MiB through
 *    the 32-bit boot protocol, ESI = boot_params (the zero page) with the
 *    setup header copied from the file, the E820 map, command line and
 *    initrd; the kernel decompresses itself.
 *
 * Both find the same machine: RAM from 0 (the legacy hole 640 KiB-1 MiB
 * and the MMIO hole above 3 GiB reserved), ACPI tables in the BIOS area
 * (RSDP, XSDT, a FADT with the PM1a blocks and a reset register, a DSDT
 * with \_S5 and the virtio-mmio devices, a MADT with one local APIC per vcpu, one I/O APIC and
 * the PC's 8259s), so that Linux starts the other vcpus by INIT/SIPI,
 * routes ISA interrupts through the I/O APIC (ioapic.c) and powers off or
 * resets through axvm's ports (devices.c).
 *
 * Not the hardware-reduced ACPI profile: with it Linux takes no 8259 and
 * so gives ISA IRQs no fixed I/O APIC pins, and every device (the 16550,
 * the virtio-mmio transports) would have to be an AML device with its
 * resources.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "axvm.h"
#include "axvm_loader.h"
#include "virtio.h"
#include "x86.h"

/* Low memory: page 0 (real-mode IVT/BDA) is left alone. */
#define BOOT_GDT	0x1000ULL	/* the entry's GDT */
#define BOOT_INFO	0x6000ULL	/* hvm_start_info / boot_params */
#define BOOT_MEMMAP	0x6800ULL	/* PVH memory map */
#define BOOT_MODLIST	0x6f00ULL	/* PVH module list */
#define BOOT_CMDLINE	0x20000ULL
#define BOOT_CMDLINE_MAX 0x10000ULL
#define ACPI_BASE	0xe0000ULL	/* RSDP and tables: in the scanned BIOS area */
#define EBDA		0x9fc00ULL
#define MMIO_HOLE	0xc0000000ULL	/* 3 GiB: virtio, I/O APIC, local APIC */

#define E820_RAM	1
#define E820_RESERVED	2

struct e820 {
	uint64_t addr, size;
	uint32_t type;
};

static unsigned int x86__e820(const struct axvm *vm, struct e820 *e)
{
	e[0] = (struct e820){ 0, EBDA, E820_RAM };
	e[1] = (struct e820){ EBDA, 0x100000 - EBDA, E820_RESERVED };
	e[2] = (struct e820){ 0x100000, vm->ram_size - 0x100000, E820_RAM };
	e[3] = (struct e820){ MMIO_HOLE, (1ULL << 32) - MMIO_HOLE, E820_RESERVED };
	return 4;
}

static void put(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		*p++ = v;
		v >>= 8;
	}
}

/* ---- ACPI (ACPI 6.4 chapter 5) ---- */

#define ACPI_HDR	36

static uint8_t acpi_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void acpi_hdr(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put(t + 4, len, 4);
	t[8] = rev;
	memcpy(t + 10, "AXVM  ", 6);		/* OEM ID */
	memcpy(t + 16, "AXVMACPI", 8);		/* OEM table ID */
	put(t + 24, 1, 4);			/* OEM revision */
	memcpy(t + 28, "AXVM", 4);		/* creator */
	put(t + 32, 1, 4);
}

static void acpi_done(uint8_t *t)
{
	t[9] = 0;
	t[9] = -acpi_sum(t, t[4] | t[5] << 8 | t[6] << 16);
}

/* Generic Address Structure (5.2.3.2): an 8-bit system I/O port. */
static void gas_io8(uint8_t *g, uint16_t port)
{
	g[0] = 1;		/* system I/O */
	g[1] = 8;		/* bit width */
	g[2] = 0;		/* bit offset */
	g[3] = 1;		/* byte access */
	put(g + 4, port, 8);
}

/*
 * The DSDT's AML, by hand (ACPI 6.4, chapter 20): \_S5 = Package {5, 0,
 * 0, 0}, the SLP_TYP PM1a control takes for "soft off" (7.4.2), and in
 * \_SB one device per virtio-mmio transport: _HID "LNRO0005" (the ID
 * Linux's virtio_mmio driver matches), _UID, and _CRS with the transport's
 * Memory32Fixed window and its edge, active-high Extended Interrupt.
 */
static const uint8_t aml_s5[] = {
	0x08, '_', 'S', '5', '_',		/* NameOp "_S5_" */
	0x12, 0x07, 0x04,			/* PackageOp, PkgLength 7, 4 elements */
	0x0a, X86_ACPI_S5_TYPE, 0x00, 0x00, 0x00,
};

#define AML_VIRTIO_DEV	61	/* bytes of one device, below */

static uint8_t *aml_virtio_dev(uint8_t *p, unsigned int i, uint32_t base,
			       uint32_t irq)
{
	static const uint8_t hid[] = {
		0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
	};

	*p++ = 0x5b;				/* DeviceOp */
	*p++ = 0x82;
	*p++ = AML_VIRTIO_DEV - 2;		/* PkgLength */
	*p++ = 'V';
	*p++ = 'R';
	*p++ = '0';
	*p++ = '0' + i;
	memcpy(p, hid, sizeof(hid));
	p += sizeof(hid);
	memcpy(p, "\x08_UID\x0a", 6);		/* Name (_UID, i) */
	p += 6;
	*p++ = i;
	memcpy(p, "\x08_CRS\x11\x1a\x0a\x17", 9);	/* Name (_CRS, Buffer (23)) */
	p += 9;
	*p++ = 0x86;				/* Memory32Fixed, read/write */
	*p++ = 0x09;
	*p++ = 0x00;
	*p++ = 0x01;
	put(p, base, 4);
	put(p + 4, VIRTIO_MMIO_SIZE, 4);
	p += 8;
	*p++ = 0x89;				/* Extended Interrupt, one */
	*p++ = 0x06;
	*p++ = 0x00;
	*p++ = 0x03;				/* consumer, edge, high, exclusive */
	*p++ = 0x01;
	put(p, irq, 4);
	p += 4;
	*p++ = 0x79;				/* End Tag */
	*p++ = 0x00;
	return p;
}

/* The DSDT at @d; returns its length. */
static unsigned int x86__dsdt(struct axvm *vm, uint8_t *d)
{
	uint64_t base[X86_VIRTIO_MAX];
	unsigned int irq[X86_VIRTIO_MAX], i, n = x86__virtio_list(vm, base, irq);
	uint8_t *p = d + ACPI_HDR;

	memcpy(p, aml_s5, sizeof(aml_s5));
	p += sizeof(aml_s5);
	if (n) {
		/* ScopeOp, a 2-byte PkgLength (bits 7:6 = 1), "_SB_" */
		unsigned int len = 2 + 4 + n * AML_VIRTIO_DEV;

		*p++ = 0x10;
		*p++ = 0x40 | (len & 0xf);
		*p++ = len >> 4;
		memcpy(p, "_SB_", 4);
		p += 4;
		for (i = 0; i < n; i++)
			p = aml_virtio_dev(p, i, base[i], irq[i]);
	}
	return p - d;
}

#define FADT_LEN	276
/* FADT flags (5.2.9, Table 5.10). */
#define FADT_WBINVD		(1U << 0)
#define FADT_PWR_BUTTON		(1U << 4)	/* no fixed power button */
#define FADT_SLP_BUTTON		(1U << 5)
#define FADT_RESET_REG_SUP	(1U << 10)
/* IA-PC boot architecture flags (5.2.9.3). */
#define IAPC_LEGACY_DEVICES	(1U << 0)
#define IAPC_VGA_NOT_PRESENT	(1U << 2)
#define IAPC_MSI_NOT_SUPPORTED	(1U << 3)

/* Builds the tables at ACPI_BASE; returns the RSDP's address. */
static int x86__acpi(struct axvm *vm, uint64_t *rsdp_pa)
{
	uint64_t rsdp = ACPI_BASE, xsdt = rsdp + 64, fadt = xsdt + 64;
	uint64_t dsdt = fadt + 512, madt = dsdt + 512;
	uint8_t *r = vm->ram + rsdp, *x = vm->ram + xsdt, *f = vm->ram + fadt;
	uint8_t *d = vm->ram + dsdt, *m = vm->ram + madt, *e;
	unsigned int i, mlen;

	memset(r, 0, madt + 44 + 8 * vm->o.cpus + 12 + 10 + 6 - rsdp);
	/* MADT (5.2.12): local APICs, the I/O APIC, LINT1 as NMI. */
	put(m + 36, X86_LAPIC_BASE, 4);
	put(m + 40, 1, 4);		/* PCAT_COMPAT: 8259s present (masked) */
	e = m + 44;
	for (i = 0; i < vm->o.cpus; i++, e += 8) {
		e[0] = 0;		/* processor local APIC */
		e[1] = 8;
		e[2] = i;		/* ACPI processor UID */
		e[3] = arch__cpu_id(i);
		put(e + 4, 1, 4);	/* enabled */
	}
	e[0] = 1;			/* I/O APIC */
	e[1] = 12;
	e[2] = vm->o.cpus;		/* its ID, after the CPUs' */
	put(e + 4, X86_IOAPIC_BASE, 4);
	put(e + 8, 0, 4);		/* GSI base */
	e += 12;
	e[0] = 2;			/* interrupt source override: the SCI */
	e[1] = 10;
	e[2] = 0;			/* ISA */
	e[3] = X86_ACPI_SCI_IRQ;
	put(e + 4, X86_ACPI_SCI_IRQ, 4);
	put(e + 8, 0xf, 2);		/* level, active low */
	e += 10;
	e[0] = 4;			/* local APIC NMI */
	e[1] = 6;
	e[2] = 0xff;			/* every processor */
	put(e + 3, 0, 2);
	e[5] = 1;			/* LINT1 */
	e += 6;
	mlen = e - m;
	acpi_hdr(m, "APIC", mlen, 5);
	acpi_done(m);

	acpi_hdr(d, "DSDT", x86__dsdt(vm, d), 2);
	acpi_done(d);

	/*
	 * FADT (5.2.9), revision 6: no SMI command port (so always in ACPI
	 * mode, 4.8.2.1.1), the PM1a event and control blocks, no PM timer,
	 * no GPE blocks, the SCI on IRQ 9, no 8042, no VGA, no MSI.
	 */
	acpi_hdr(f, "FACP", FADT_LEN, 6);
	put(f + 40, dsdt, 4);
	put(f + 46, X86_ACPI_SCI_IRQ, 2);
	put(f + 56, X86_ACPI_PM1A_EVT, 4);
	put(f + 64, X86_ACPI_PM1A_CNT, 4);
	f[88] = 4;			/* PM1_EVT_LEN */
	f[89] = 2;			/* PM1_CNT_LEN */
	put(f + 109, IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT |
		     IAPC_MSI_NOT_SUPPORTED, 2);
	put(f + 112, FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
		     FADT_RESET_REG_SUP, 4);
	gas_io8(f + 116, X86_ACPI_RESET);
	f[128] = X86_ACPI_RESET_VALUE;
	f[131] = 4;			/* FADT minor version: 6.4 */
	put(f + 140, dsdt, 8);		/* X_DSDT */
	memcpy(f + 268, "AXVM", 4);	/* hypervisor vendor identity */
	acpi_done(f);

	acpi_hdr(x, "XSDT", ACPI_HDR + 16, 1);
	put(x + 36, fadt, 8);
	put(x + 44, madt, 8);
	acpi_done(x);

	/* RSDP (5.2.5.3), ACPI 2.0+: both checksums. */
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "AXVM  ", 6);
	r[15] = 2;
	put(r + 20, 36, 4);
	put(r + 24, xsdt, 8);
	r[8] = -acpi_sum(r, 20);
	r[32] = -acpi_sum(r, 36);
	*rsdp_pa = rsdp;
	return 0;
}

/* ---- the initrd and the command line ---- */

static int x86__place_initrd(struct axvm *vm, const uint8_t *initrd,
			     size_t ilen, uint64_t kend, uint64_t max,
			     uint64_t *at)
{
	uint64_t top = vm->ram_size < max ? vm->ram_size : max;

	*at = 0;
	if (!initrd)
		return 0;
	if (ilen > top || ((top - ilen) & ~0xfffULL) < kend) {
		pr_err("--initrd: %zu bytes do not fit above the kernel (ends at 0x%llx) in %llu MiB of RAM: use a larger --mem",
		       ilen, (unsigned long long)kend,
		       (unsigned long long)vm->ram_size >> 20);
		return -EFBIG;
	}
	*at = (top - ilen) & ~0xfffULL;
	memcpy(vm->ram + *at, initrd, ilen);
	return 0;
}

/* The user's command line. */
static int x86__cmdline(struct axvm *vm, uint64_t max)
{
	char *c = (char *)vm->ram + BOOT_CMDLINE;
	size_t n = snprintf(c, max, "%s", vm->o.cmdline ? vm->o.cmdline : "");

	if (n >= max) {
		pr_err("--cmdline: %zu bytes, the kernel takes at most %llu",
		       n, (unsigned long long)max - 1);
		return -E2BIG;
	}
	return 0;
}

/* ---- PVH ---- */

#define HVM_START_MAGIC	0x336ec578U

static int x86__boot_pvh(struct axvm *vm, const struct axvm_x86_image *img,
			 const uint8_t *initrd, size_t ilen, uint64_t rsdp)
{
	uint8_t *si = vm->ram + BOOT_INFO, *mm = vm->ram + BOOT_MEMMAP;
	uint8_t *ml = vm->ram + BOOT_MODLIST;
	struct e820 e[8];
	unsigned int i, n = x86__e820(vm, e);
	uint64_t at;
	int r;

	r = x86__place_initrd(vm, initrd, ilen, img->end, MMIO_HOLE, &at);
	if (r || (r = x86__cmdline(vm, BOOT_CMDLINE_MAX)))
		return r;
	memset(si, 0, 0x1000);
	for (i = 0; i < n; i++) {
		put(mm + 24 * i, e[i].addr, 8);
		put(mm + 24 * i + 8, e[i].size, 8);
		put(mm + 24 * i + 16, e[i].type, 4);
	}
	put(si, HVM_START_MAGIC, 4);
	put(si + 4, 1, 4);			/* version: with the memory map */
	if (initrd) {
		put(si + 12, 1, 4);		/* nr_modules */
		put(si + 16, BOOT_MODLIST, 8);
		put(ml, at, 8);
		put(ml + 8, ilen, 8);
	}
	put(si + 24, BOOT_CMDLINE, 8);
	put(si + 32, rsdp, 8);
	put(si + 40, BOOT_MEMMAP, 8);
	put(si + 48, n, 4);
	return 0;
}

/* ---- bzImage: boot_params (the zero page, boot.rst) ---- */

#define BP_ACPI_RSDP	0x070
#define BP_E820_ENTRIES	0x1e8
#define BP_E820_TABLE	0x2d0
#define HDR_VID_MODE	0x1fa
#define HDR_LOADER	0x210
#define HDR_LOADFLAGS	0x211
#define HDR_RAMDISK	0x218
#define HDR_RAMDISK_SZ	0x21c
#define HDR_CMDLINE	0x228
#define LOADFLAGS_QUIET	(1U << 5)

static int x86__boot_bzimage(struct axvm *vm, const struct axvm_x86_image *img,
			     const uint8_t *kernel, const uint8_t *initrd,
			     size_t ilen, uint64_t rsdp)
{
	uint8_t *bp = vm->ram + BOOT_INFO;
	uint64_t max = img->initrd_max ? img->initrd_max + 1ULL : 0x38000000ULL;
	uint64_t cmax = img->cmdline_max ? img->cmdline_max + 1ULL : 256;
	struct e820 e[8];
	unsigned int i, n = x86__e820(vm, e);
	uint64_t at;
	int r;

	r = x86__place_initrd(vm, initrd, ilen, img->end, max, &at);
	if (r || (r = x86__cmdline(vm, cmax < BOOT_CMDLINE_MAX ? cmax : BOOT_CMDLINE_MAX)))
		return r;
	memset(bp, 0, 0x1000);
	memcpy(bp + X86_SETUP_HDR, kernel + X86_SETUP_HDR,
	       img->hdr_end - X86_SETUP_HDR);
	put(bp + HDR_VID_MODE, 0xffff, 2);	/* "normal" */
	bp[HDR_LOADER] = 0xff;			/* an undefined boot loader */
	bp[HDR_LOADFLAGS] &= ~LOADFLAGS_QUIET;
	put(bp + HDR_CMDLINE, BOOT_CMDLINE, 4);
	put(bp + HDR_RAMDISK, at, 4);
	put(bp + HDR_RAMDISK_SZ, initrd ? ilen : 0, 4);
	if (img->setup_version >= 0x020e)
		put(bp + BP_ACPI_RSDP, rsdp, 8);
	for (i = 0; i < n; i++) {
		put(bp + BP_E820_TABLE + 20 * i, e[i].addr, 8);
		put(bp + BP_E820_TABLE + 20 * i + 8, e[i].size, 8);
		put(bp + BP_E820_TABLE + 20 * i + 16, e[i].type, 4);
	}
	bp[BP_E820_ENTRIES] = n;
	return 0;
}

/*
 * The GDT both entries ask for (boot.rst, "32-bit Boot Protocol"):
 * __BOOT_CS = 0x10 flat 4 GiB code, __BOOT_DS = 0x18 flat data.  The
 * kernel loads its own before it reloads a segment register.
 */
static void x86__boot_gdt(struct axvm *vm)
{
	uint8_t *g = vm->ram + BOOT_GDT;

	memset(g, 0, 32);
	put(g + 0x10, 0x00cf9b000000ffffULL, 8);
	put(g + 0x18, 0x00cf93000000ffffULL, 8);
}

int x86__linux_load(struct axvm *vm, const struct axvm_x86_image *img,
		    const uint8_t *kernel, const uint8_t *initrd, size_t ilen,
		    struct x86_linux_entry *entry)
{
	uint64_t rsdp;
	int r;

	if (vm->ram_size > MMIO_HOLE) {
		pr_err("--mem: a Linux guest takes at most %llu MiB (RAM ends where the MMIO hole begins)",
		       MMIO_HOLE >> 20);
		return -EFBIG;
	}
	if (vm->ram_size < 16ULL << 20) {
		pr_err("--mem: a Linux guest needs at least 16 MiB");
		return -EINVAL;
	}
	r = x86__acpi(vm, &rsdp);
	if (r)
		return r;
	x86__boot_gdt(vm);
	memset(entry, 0, sizeof(*entry));
	entry->gdt = BOOT_GDT;
	entry->gdt_limit = 0x1f;
	if (img->pvh) {
		entry->ebx = BOOT_INFO;
		return x86__boot_pvh(vm, img, initrd, ilen, rsdp);
	}
	entry->esi = BOOT_INFO;
	return x86__boot_bzimage(vm, img, kernel, initrd, ilen, rsdp);
}
