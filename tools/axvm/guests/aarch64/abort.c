// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 abort guest: installs a vector table (abort-entry.S), reads
 * and writes an address where no device lives (0x0b000000, between the
 * virtio-mmio window and the platform bus of QEMU's virt layout, which
 * axvm follows), and reports what its EL1 saw: the vector, ESR_EL1,
 * FAR_EL1, ELR_EL1, and whether the load's destination was left alone.
 * On real hardware (and under axvm) such an access is answered with a
 * synchronous external abort; then it powers off with PSCI SYSTEM_OFF.
 */
#include <stdint.h>

#include "console.h"

#define PSCI_SYSTEM_OFF		0x84000008U
#define HOLE			0x0b000000UL

struct exc_info {
	uint64_t off, esr, far, elr, count;
};
extern volatile struct exc_info exc_info;

static int report(const char *what, uint64_t pc, uint64_t before)
{
	int ok = exc_info.count == before + 1 && exc_info.off == 0x200 &&
		 (exc_info.esr >> 26) == 0x25 && (exc_info.esr & 0x3f) == 0x10 &&
		 exc_info.far == HOLE && exc_info.elr == pc;

	puts(what);
	puts(": vector ");
	putx(exc_info.off);
	puts(" ESR ");
	putx(exc_info.esr);
	puts(" WnR ");
	putc('0' + ((exc_info.esr >> 6) & 1));
	puts(" FAR ");
	putx(exc_info.far);
	puts(" ELR ");
	puts(exc_info.elr == pc ? "at the access" : "ELSEWHERE");
	puts(ok ? ": external abort ok\n" : ": UNEXPECTED\n");
	return ok;
}

void main_bsp(void)
{
	uint32_t v = 0x5a5a5a5a;
	uint64_t pc;
	int ok;

	puts("abort guest: vector table installed\n");
	asm volatile("adr %1, 1f\n1:\tldr %w0, [%2]"
		     : "+r"(v), "=&r"(pc) : "r"(HOLE) : "memory");
	ok = report("read", pc, 0);
	if (v != 0x5a5a5a5a) {
		puts("read: the load completed with ");
		putx(v);
		puts("\n");
		ok = 0;
	}
	asm volatile("adr %0, 1f\n1:\tstr %w1, [%2]"
		     : "=&r"(pc) : "r"(v), "r"(HOLE) : "memory");
	ok &= report("write", pc, 1);
	puts(ok ? "abort guest: PASS\n" : "abort guest: FAIL\n");
	{
		register uint64_t x0 asm("x0") = PSCI_SYSTEM_OFF;

		asm volatile("hvc #0" : "+r"(x0) : : "memory");
	}
}
