/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axvm arm64: the machine layout (QEMU virt's addresses, so that images
 * built for it run unchanged).
 */
#ifndef AXVM_ARM64_H
#define AXVM_ARM64_H

#define ARM64_RAM_BASE		0x40000000ULL
#define ARM64_GICD_BASE		0x08000000ULL
#define ARM64_GICR_BASE		0x080a0000ULL
#define ARM64_PL011_BASE	0x09000000ULL
#define ARM64_PL011_SIZE	0x1000ULL
#define ARM64_PL011_IRQ		1	/* SPI */
/* QEMU virt's virtio-mmio window: 32 transports of 0x200, SPIs 16-47. */
#define ARM64_VIRTIO_BASE	0x0a000000ULL
#define ARM64_VIRTIO_NR		32
#define ARM64_VIRTIO_IRQ	16

#define ARM64_DTB_MAX		0x10000ULL
#define SZ_2M			0x200000ULL

/* PSCI function ids (PSCI 1.0, SMC32 and SMC64 calling conventions). */
#define PSCI_VERSION		0x84000000U
#define PSCI_CPU_OFF		0x84000002U
#define PSCI_CPU_ON		0x84000003U
#define PSCI_CPU_ON64		0xc4000003U
#define PSCI_AFFINITY_INFO	0x84000004U
#define PSCI_AFFINITY_INFO64	0xc4000004U
#define PSCI_SYSTEM_OFF		0x84000008U
#define PSCI_SYSTEM_RESET	0x84000009U
#define PSCI_FEATURES		0x8400000aU

int arm64__devices_init(struct axvm *vm);

/* gic.c: the GICv3 distributor and redistributors (axvm_io_fn each). */
void gicd__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
	      unsigned int width, bool is_write, void *priv);
void gicr__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
	      unsigned int width, bool is_write, void *priv);
/* A device raises SPI @intid; under vm->io_lock. */
void gic__raise_spi(struct axvm *vm, unsigned int intid);
/*
 * Inject SPI @intid through the eventfd @fd (AXVCPU_IRQFD) when the
 * distributor delivers it; 0, or the module's error (then by ioctl).
 */
int gic__spi_irqfd(struct axvm *vm, unsigned int intid, int fd);

#endif /* AXVM_ARM64_H */
