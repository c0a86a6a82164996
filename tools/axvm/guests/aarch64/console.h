/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Console output of the bundled arm64 guests: the PL011 at 0x09000000 of
 * QEMU virt's layout (axvm's too), polled (ARM DDI 0183, UARTFR.TXFF),
 * and decimal / hexadecimal printing.
 */
#ifndef AXVM_GUEST_CONSOLE_H
#define AXVM_GUEST_CONSOLE_H

#include <stdint.h>

#include "mmio.h"

#define PL011_BASE		0x09000000UL
#define PL011_DR		0x00
#define PL011_FR		0x18
#define PL011_FR_TXFF		(1 << 5)

static inline void putc(char c)
{
	if (c == '\n')
		putc('\r');
	while (mmio_read32(PL011_BASE + PL011_FR) & PL011_FR_TXFF)
		;
	mmio_write32(PL011_BASE + PL011_DR, c);
}

static inline void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static inline void putx(uint64_t v)
{
	int s = 60;

	puts("0x");
	while (s > 0 && !((v >> s) & 0xf))
		s -= 4;
	for (; s >= 0; s -= 4)
		putc("0123456789abcdef"[(v >> s) & 0xf]);
}

static inline void putd(int64_t v)
{
	char buf[24];
	int i = 0;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	if (v < 0)
		putc('-');
	do {
		buf[i++] = '0' + u % 10;
		u /= 10;
	} while (u);
	while (i)
		putc(buf[--i]);
}

#endif /* AXVM_GUEST_CONSOLE_H */
