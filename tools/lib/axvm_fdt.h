/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axvm_fdt - the device tree axvm hands an arm64 guest, built with libfdt.
 * Pure logic (no ioctls), tested on the host by tools/axvm/tests/.
 */
#ifndef AXVM_FDT_H
#define AXVM_FDT_H

#include <stddef.h>
#include <stdint.h>

/* GIC interrupt specifier flags (dt-bindings/interrupt-controller/). */
#define AXVM_FDT_SPI		0
#define AXVM_FDT_PPI		1
#define AXVM_FDT_IRQ_EDGE_RISING	1
#define AXVM_FDT_IRQ_LEVEL_HI	4
#define AXVM_FDT_IRQ_LEVEL_LO	8

/**
 * struct axvm_fdt_params - the machine to describe.
 * @ram_base: guest-physical RAM base.
 * @ram_size: RAM size.
 * @ncpus: number of cpus.
 * @mpidr: MPIDR affinity of each cpu (the cpu node's reg).
 * @bootargs: /chosen/bootargs, or NULL.
 * @initrd_start: guest-physical initrd start.
 * @initrd_end: its end; equal to @initrd_start: no initrd.
 * @uart_base: PL011 base; @uart_irq its SPI number.
 * @virtio_base: the first of @nr_virtio virtio-mmio transports, 0x200
 *	bytes apart (QEMU virt's layout); @virtio_irq the SPI of the first,
 *	one more for each next.  @nr_virtio 0: none.
 * @gicd_base: GICv3 distributor; @gicr_base the redistributors (one
 *	128 KiB frame per cpu).
 */
struct axvm_fdt_params {
	uint64_t ram_base, ram_size;
	unsigned int ncpus;
	const uint64_t *mpidr;
	const char *bootargs;
	uint64_t initrd_start, initrd_end;
	uint64_t uart_base;
	uint32_t uart_irq;
	uint64_t gicd_base, gicr_base;
	uint64_t virtio_base;
	unsigned int nr_virtio;
	uint32_t virtio_irq;
};

#define AXVM_FDT_GICD_SIZE	0x10000ULL
#define AXVM_FDT_GICR_STRIDE	0x20000ULL
#define AXVM_FDT_VIRTIO_SIZE	0x200ULL

/**
 * axvm_fdt_build - write the DTB.
 * @buf: destination.
 * @size: bytes available.
 * @p: the machine.
 *
 * Nodes: / (linux,dummy-virt), /chosen (bootargs, stdout-path, initrd),
 * /memory, /cpus with one cpu per vcpu (reg = MPIDR, enable-method
 * "psci"), /psci (method "hvc"), /intc (GICv3), /timer (armv8-timer PPIs
 * 13, 14, 11, 10), /apb-pclk (fixed clock), /pl011.
 *
 * Return: the DTB's total size, or a negative libfdt error (-FDT_ERR_*).
 */
int axvm_fdt_build(void *buf, size_t size, const struct axvm_fdt_params *p);

#endif /* AXVM_FDT_H */
