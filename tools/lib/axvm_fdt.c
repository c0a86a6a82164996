// SPDX-License-Identifier: GPL-2.0
/*
 * axvm_fdt - the device tree of an axvm arm64 guest.  See axvm_fdt.h.
 *
 * Built with libfdt's sequential-write API: nodes are emitted in order,
 * and phandles are fixed numbers decided here.
 */
#include <stdio.h>
#include <libfdt.h>

#include "axvm_fdt.h"

#define PHANDLE_GIC	1
#define PHANDLE_CLK	2

/* Bail out of axvm_fdt_build() on the first libfdt error. */
#define TRY(x) do { int __r = (x); if (__r < 0) return __r; } while (0)

static int prop_cells(void *fdt, const char *name, const uint32_t *v, int n)
{
	fdt32_t be[16];
	int i;

	for (i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(v[i]);
	return fdt_property(fdt, name, be, n * sizeof(be[0]));
}

/* A (base, size) pair with #address-cells = #size-cells = 2. */
static int prop_reg2(void *fdt, uint64_t base, uint64_t size)
{
	uint32_t v[4] = { base >> 32, (uint32_t)base, size >> 32, (uint32_t)size };

	return prop_cells(fdt, "reg", v, 4);
}

static int node_cpus(void *fdt, const struct axvm_fdt_params *p)
{
	char name[32];
	unsigned int i;

	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (i = 0; i < p->ncpus; i++) {
		uint64_t aff = p->mpidr[i] & 0xff00ffffffULL;
		uint32_t reg[2] = { aff >> 32, (uint32_t)aff };

		snprintf(name, sizeof(name), "cpu@%llx", (unsigned long long)aff);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "device_type", "cpu"));
		TRY(fdt_property_string(fdt, "compatible", "arm,armv8"));
		TRY(prop_cells(fdt, "reg", reg, 2));
		TRY(fdt_property_string(fdt, "enable-method", "psci"));
		TRY(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

static int node_psci(void *fdt)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";

	TRY(fdt_begin_node(fdt, "psci"));
	TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	TRY(fdt_property_string(fdt, "method", "hvc"));
	/* The PSCI 0.1 binding's ids, for old kernels. */
	TRY(fdt_property_u32(fdt, "cpu_suspend", 0xc4000001));
	TRY(fdt_property_u32(fdt, "cpu_off", 0x84000002));
	TRY(fdt_property_u32(fdt, "cpu_on", 0xc4000003));
	TRY(fdt_property_u32(fdt, "migrate", 0xc4000005));
	return fdt_end_node(fdt);
}

static int node_gic(void *fdt, const struct axvm_fdt_params *p)
{
	char name[32];
	uint32_t reg[8] = {
		p->gicd_base >> 32, (uint32_t)p->gicd_base,
		0, (uint32_t)AXVM_FDT_GICD_SIZE,
		p->gicr_base >> 32, (uint32_t)p->gicr_base,
		0, (uint32_t)(AXVM_FDT_GICR_STRIDE * p->ncpus),
	};
	/* Maintenance interrupt: PPI 9. */
	uint32_t maint[3] = { AXVM_FDT_PPI, 9, AXVM_FDT_IRQ_LEVEL_HI };

	snprintf(name, sizeof(name), "intc@%llx",
		 (unsigned long long)p->gicd_base);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "#redistributor-regions", 1));
	TRY(prop_cells(fdt, "reg", reg, 8));
	TRY(prop_cells(fdt, "interrupts", maint, 3));
	TRY(fdt_property_u32(fdt, "phandle", PHANDLE_GIC));
	return fdt_end_node(fdt);
}

static int node_timer(void *fdt)
{
	/* Secure phys, non-secure phys, virtual, hypervisor: PPIs 13 14 11 10. */
	uint32_t irqs[12] = {
		AXVM_FDT_PPI, 13, AXVM_FDT_IRQ_LEVEL_LO,
		AXVM_FDT_PPI, 14, AXVM_FDT_IRQ_LEVEL_LO,
		AXVM_FDT_PPI, 11, AXVM_FDT_IRQ_LEVEL_LO,
		AXVM_FDT_PPI, 10, AXVM_FDT_IRQ_LEVEL_LO,
	};

	TRY(fdt_begin_node(fdt, "timer"));
	TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	TRY(prop_cells(fdt, "interrupts", irqs, 12));
	TRY(fdt_property(fdt, "always-on", NULL, 0));
	return fdt_end_node(fdt);
}

static int node_uart(void *fdt, const struct axvm_fdt_params *p, char *path,
		     size_t pathlen)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clknames[] = "uartclk\0apb_pclk";
	uint32_t irq[3] = { AXVM_FDT_SPI, p->uart_irq, AXVM_FDT_IRQ_LEVEL_HI };
	uint32_t clks[2] = { PHANDLE_CLK, PHANDLE_CLK };

	TRY(fdt_begin_node(fdt, "apb-pclk"));
	TRY(fdt_property_string(fdt, "compatible", "fixed-clock"));
	TRY(fdt_property_u32(fdt, "#clock-cells", 0));
	TRY(fdt_property_u32(fdt, "clock-frequency", 24000000));
	TRY(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
	TRY(fdt_property_u32(fdt, "phandle", PHANDLE_CLK));
	TRY(fdt_end_node(fdt));

	snprintf(path, pathlen, "/pl011@%llx", (unsigned long long)p->uart_base);
	TRY(fdt_begin_node(fdt, path + 1));
	TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	TRY(prop_reg2(fdt, p->uart_base, 0x1000));
	TRY(prop_cells(fdt, "interrupts", irq, 3));
	TRY(prop_cells(fdt, "clocks", clks, 2));
	TRY(fdt_property(fdt, "clock-names", clknames, sizeof(clknames)));
	return fdt_end_node(fdt);
}

/* Declared as on QEMU's virt board: one node per transport, each with its SPI. */
static int node_virtio(void *fdt, const struct axvm_fdt_params *p)
{
	char name[48];
	unsigned int i;

	for (i = 0; i < p->nr_virtio; i++) {
		uint64_t base = p->virtio_base + i * AXVM_FDT_VIRTIO_SIZE;
		uint32_t irq[3] = { AXVM_FDT_SPI, p->virtio_irq + i,
				    AXVM_FDT_IRQ_EDGE_RISING };

		snprintf(name, sizeof(name), "virtio_mmio@%llx",
			 (unsigned long long)base);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		TRY(prop_reg2(fdt, base, AXVM_FDT_VIRTIO_SIZE));
		TRY(prop_cells(fdt, "interrupts", irq, 3));
		TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
		TRY(fdt_end_node(fdt));
	}
	return 0;
}

int axvm_fdt_build(void *buf, size_t size, const struct axvm_fdt_params *p)
{
	void *fdt = buf;
	char name[48], uart[48];

	if (!p->ncpus || !p->mpidr)
		return -FDT_ERR_BADVALUE;
	TRY(fdt_create(fdt, size));
	TRY(fdt_finish_reservemap(fdt));
	TRY(fdt_begin_node(fdt, ""));
	TRY(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
	TRY(fdt_property_string(fdt, "model", "axvm"));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC));

	/* /chosen names the uart by path, so compute that path first. */
	snprintf(uart, sizeof(uart), "/pl011@%llx",
		 (unsigned long long)p->uart_base);
	TRY(fdt_begin_node(fdt, "chosen"));
	if (p->bootargs)
		TRY(fdt_property_string(fdt, "bootargs", p->bootargs));
	TRY(fdt_property_string(fdt, "stdout-path", uart));
	if (p->initrd_end > p->initrd_start) {
		TRY(fdt_property_u64(fdt, "linux,initrd-start", p->initrd_start));
		TRY(fdt_property_u64(fdt, "linux,initrd-end", p->initrd_end));
	}
	TRY(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "memory@%llx",
		 (unsigned long long)p->ram_base);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "device_type", "memory"));
	TRY(prop_reg2(fdt, p->ram_base, p->ram_size));
	TRY(fdt_end_node(fdt));

	TRY(node_cpus(fdt, p));
	TRY(node_psci(fdt));
	TRY(node_gic(fdt, p));
	TRY(node_timer(fdt));
	TRY(node_uart(fdt, p, uart, sizeof(uart)));
	TRY(node_virtio(fdt, p));

	TRY(fdt_end_node(fdt));
	TRY(fdt_finish(fdt));
	return fdt_totalsize(fdt);
}
