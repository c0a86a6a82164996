/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axvm x86_64: machine layout and the guest-visible ports.
 */
#ifndef AXVM_X86_H
#define AXVM_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Flat binaries are loaded and entered here (axvisor's x86 entry). */
#define X86_FLAT_ENTRY		0x8000ULL

#define X86_COM1		0x3f8	/* 16550 UART */
#define X86_DEBUG_EXIT		0xf4	/* QEMU isa-debug-exit */
#define X86_SHUTDOWN		0x604	/* QEMU PM1a_CNT: 0x2000 = power off */
#define X86_SHUTDOWN_VALUE	0x2000
#define X86_FW_CFG		0x510	/* selector (16 bit); 0x511 data (8 bit) */

/*
 * axvm's CPU start port, for modules without the emulated local APIC (whose
 * INIT/SIPI become CPU_UP exits): a way for a guest to start another vcpu
 * without a hypercall.
 *   out 0xac0 (32 bit) <- APIC ID of the target
 *   out 0xac4 (32 bit) <- physical entry: starts the target in real mode,
 *                         CS:IP = 0:entry (entry >> 4:entry & 0xf above 64K)
 *   in  0xac4 (32 bit) -> result of the last start: 0, or a PSCI code
 *                         (-2 no such vcpu, -4 already on, -5 pending)
 *   in  0xac0 (32 bit) -> number of vcpus
 */
#define X86_CPU_START		0xac0
#define X86_CPU_START_TARGET	0
#define X86_CPU_START_ENTRY	4

/*
 * Linux guests (linux.c): ACPI's fixed hardware, at QEMU's PIIX4 ports:
 * the PM1a event block (status, enable), PM1a control (X86_SHUTDOWN: a
 * write of SLP_EN, bit 13, powers off), and a reset register.
 */
#define X86_ACPI_PM1A_EVT	0x600	/* 4 bytes */
#define X86_ACPI_PM1A_CNT	X86_SHUTDOWN
#define X86_ACPI_RESET		0x60a
#define X86_ACPI_RESET_VALUE	0x01
#define X86_ACPI_S5_TYPE	5	/* \_S5's SLP_TYP */
#define X86_ACPI_SCI_IRQ	9	/* never raised: no ACPI event */

#define X86_LAPIC_BASE		0xfee00000ULL
#define X86_IOAPIC_BASE		0xfec00000ULL
#define X86_IOAPIC_PINS		24
#define X86_COM1_IRQ		4

/*
 * virtio-mmio transports for Linux guests, ACPI devices of the DSDT
 * (LNRO0005, the ID Linux's virtio_mmio matches), on ISA IRQs no PC device
 * of axvm uses (devices.c), edge triggered through the I/O APIC.
 */
#define X86_VIRTIO_BASE		0xd0000000ULL
#define X86_VIRTIO_MAX		4

/**
 * struct x86_linux_entry - the register state a Linux entry wants.
 * @ebx: PVH: struct hvm_start_info.  @esi: bzImage: boot_params.
 * @gdt: @gdt_limit: the GDT with __BOOT_CS (0x10) and __BOOT_DS (0x18).
 */
struct x86_linux_entry {
	uint32_t ebx, esi;
	uint64_t gdt;
	uint16_t gdt_limit;
};

struct axvm_x86_image;
int x86__linux_load(struct axvm *vm, const struct axvm_x86_image *img,
		    const uint8_t *kernel, const uint8_t *initrd, size_t ilen,
		    struct x86_linux_entry *entry);
unsigned int x86__virtio_list(struct axvm *vm, uint64_t *base, unsigned int *irq);

/* The I/O APIC (ioapic.c): an edge on @pin, under the device lock. */
int x86__ioapic_init(struct axvm *vm);
void x86__ioapic_raise(struct axvm *vm, unsigned int pin);
/* Messages of @pin through the eventfd @fd (AXVCPU_IRQFD) from now on. */
int x86__ioapic_irqfd(struct axvm *vm, unsigned int pin, int fd);
/* The vcpu(s) a fixed/lowest-priority/NMI interrupt to @dest names. */
struct axvm_cpu *x86__dest_one(struct axvm *vm, uint32_t dest, bool logical,
			       uint32_t dm);
void x86__deliver(struct axvm *vm, uint32_t dest, bool logical, uint32_t dm,
		  uint32_t vector, bool in_io);

int x86__devices_init(struct axvm *vm);
int x86__legacy_init(struct axvm *vm);

#endif /* AXVM_X86_H */
