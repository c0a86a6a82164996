// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of tools/lib/axvm_fdt.c: builds the arm64 guest's DTB and
 * reads it back with libfdt.  Prints TAP.
 */
#include <stdint.h>
#include <string.h>
#include <libfdt.h>

#include "axvm_fdt.h"
#include "tap.h"

static uint8_t dtb[0x10000];

static uint64_t cells64(const fdt32_t *c)
{
	return (uint64_t)fdt32_to_cpu(c[0]) << 32 | fdt32_to_cpu(c[1]);
}

int main(void)
{
	uint64_t mpidr[2] = { 0, 1 };
	struct axvm_fdt_params p = {
		.ram_base = 0x40000000, .ram_size = 128 << 20,
		.ncpus = 2, .mpidr = mpidr, .bootargs = "console=ttyAMA0 earlycon",
		.initrd_start = 0x48000000, .initrd_end = 0x48001000,
		.uart_base = 0x09000000, .uart_irq = 1,
		.gicd_base = 0x08000000, .gicr_base = 0x080a0000,
	};
	const fdt32_t *c;
	const char *s;
	int r, off, len, n;

	r = axvm_fdt_build(dtb, sizeof(dtb), &p);
	ok(r > 0 && fdt_check_header(dtb) == 0, "DTB built, %d bytes", r);

	off = fdt_path_offset(dtb, "/chosen");
	s = fdt_getprop(dtb, off, "bootargs", NULL);
	ok(s && !strcmp(s, "console=ttyAMA0 earlycon"), "/chosen/bootargs");
	s = fdt_getprop(dtb, off, "stdout-path", NULL);
	ok(s && !strcmp(s, "/pl011@9000000"), "stdout-path %s", s ? s : "(none)");
	ok(fdt_path_offset(dtb, s ? s : "/x") >= 0, "stdout-path names an existing node");
	c = fdt_getprop(dtb, off, "linux,initrd-start", &len);
	ok(c && len == 8 && cells64(c) == 0x48000000, "linux,initrd-start");
	c = fdt_getprop(dtb, off, "linux,initrd-end", &len);
	ok(c && len == 8 && cells64(c) == 0x48001000, "linux,initrd-end");

	off = fdt_path_offset(dtb, "/memory@40000000");
	c = fdt_getprop(dtb, off, "reg", &len);
	ok(off >= 0 && c && len == 16 && cells64(c) == 0x40000000 &&
	   cells64(c + 2) == 128 << 20, "/memory reg");
	s = fdt_getprop(dtb, off, "device_type", NULL);
	ok(s && !strcmp(s, "memory"), "memory device_type");

	n = 0;
	off = fdt_path_offset(dtb, "/cpus");
	for (off = fdt_first_subnode(dtb, off); off >= 0; off = fdt_next_subnode(dtb, off)) {
		c = fdt_getprop(dtb, off, "reg", &len);
		s = fdt_getprop(dtb, off, "enable-method", NULL);
		if (c && len == 8 && cells64(c) == mpidr[n] && s && !strcmp(s, "psci"))
			n++;
	}
	ok(n == 2, "two cpus with reg = MPIDR and enable-method psci");

	off = fdt_path_offset(dtb, "/psci");
	s = fdt_getprop(dtb, off, "method", NULL);
	ok(s && !strcmp(s, "hvc"), "psci method hvc");
	ok(fdt_node_check_compatible(dtb, off, "arm,psci-1.0") == 0 &&
	   fdt_node_check_compatible(dtb, off, "arm,psci-0.2") == 0, "psci compatible");

	off = fdt_node_offset_by_compatible(dtb, -1, "arm,gic-v3");
	c = fdt_getprop(dtb, off, "reg", &len);
	ok(off >= 0 && c && len == 32 && cells64(c) == 0x08000000 &&
	   cells64(c + 4) == 0x080a0000 && cells64(c + 6) == 2 * 0x20000, "GICv3 node");
	ok(fdt_getprop(dtb, off, "interrupt-controller", NULL) != NULL, "interrupt-controller");
	ok(fdt_get_phandle(dtb, off) ==
	   fdt32_to_cpu(*(const fdt32_t *)fdt_getprop(dtb, 0, "interrupt-parent", NULL)),
	   "root interrupt-parent is the GIC");

	off = fdt_node_offset_by_compatible(dtb, -1, "arm,armv8-timer");
	c = fdt_getprop(dtb, off, "interrupts", &len);
	ok(off >= 0 && c && len == 48 && fdt32_to_cpu(c[1]) == 13 &&
	   fdt32_to_cpu(c[4]) == 14 && fdt32_to_cpu(c[7]) == 11 &&
	   fdt32_to_cpu(c[10]) == 10, "timer PPIs 13 14 11 10");

	off = fdt_node_offset_by_compatible(dtb, -1, "arm,pl011");
	c = fdt_getprop(dtb, off, "reg", &len);
	ok(off >= 0 && c && cells64(c) == 0x09000000, "pl011 at 0x9000000");

	p.bootargs = NULL;
	p.initrd_start = p.initrd_end = 0;
	r = axvm_fdt_build(dtb, sizeof(dtb), &p);
	off = fdt_path_offset(dtb, "/chosen");
	ok(r > 0 && !fdt_getprop(dtb, off, "bootargs", NULL) &&
	   !fdt_getprop(dtb, off, "linux,initrd-start", NULL), "no bootargs, no initrd");
	ok(axvm_fdt_build(dtb, 64, &p) < 0, "too small a buffer: libfdt error");
	p.ncpus = 0;
	ok(axvm_fdt_build(dtb, sizeof(dtb), &p) < 0, "no cpus: error");
	return tap_done("axvm fdt");
}
