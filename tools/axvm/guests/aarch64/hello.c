// SPDX-License-Identifier: GPL-2.0
/*
 * The bundled arm64 guest: prints through the PL011, checks the DTB it was
 * given, starts vcpu 1 with PSCI CPU_ON (a second CPU_ON must answer
 * ALREADY_ON), waits for it to check in and to CPU_OFF (AFFINITY_INFO),
 * has both vcpus print lines at once (chorus), checks that an unknown
 * hypercall answers NOT_SUPPORTED, and powers off
 * with PSCI SYSTEM_OFF.  Runs under QEMU's -M virt,virtualization=off
 * -kernel as well.
 */
#include <stdint.h>

#include "console.h"


#define PSCI_VERSION		0x84000000U
#define PSCI_CPU_OFF		0x84000002U
#define PSCI_CPU_ON64		0xc4000003U
#define PSCI_AFFINITY_INFO64	0xc4000004U
#define PSCI_SYSTEM_OFF		0x84000008U

#define CTX_ID			0xc0ffee

extern char secondary_entry[];

static volatile uint32_t ap_flag;
static volatile uint64_t ap_ctx;

static int64_t hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 asm("x0") = fn;
	register uint64_t x1 asm("x1") = a1;
	register uint64_t x2 asm("x2") = a2;
	register uint64_t x3 asm("x3") = a3;

	asm volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return (int64_t)x0;
}

/*
 * The UART is one stream for both vcpus: a line is printed under a lock
 * (Peterson's, for two: plain loads and stores, which also order on the
 * Device memory an MMU-off guest sees; DMBs for the rest), as an OS
 * serializes its console.
 */
static volatile uint32_t line_want[2], line_turn;

static void line_lock(int me)
{
	int other = 1 - me;

	line_want[me] = 1;
	asm volatile("dmb sy" : : : "memory");
	line_turn = other;
	asm volatile("dmb sy" : : : "memory");
	while (line_want[other] && line_turn == other)
		asm volatile("yield");
	asm volatile("dmb sy" : : : "memory");
}

static void line_unlock(int me)
{
	asm volatile("dmb sy" : : : "memory");
	line_want[me] = 0;
}

/*
 * Both vcpus print at once, a character per UART write, each line under
 * the lock: every line comes out whole.
 */
static void chorus(int vcpu)
{
	int k;

	for (k = 0; k < 16; k++) {
		line_lock(vcpu);
		puts("chorus: vcpu ");
		putd(vcpu);
		puts(" line ");
		putd(k);
		puts("\n");
		line_unlock(vcpu);
	}
}

static int wait_flag(uint32_t want)
{
	unsigned long n;

	for (n = 0; n < 200000000UL; n++) {
		if (ap_flag == want)
			return 1;
		asm volatile("yield");
	}
	return 0;
}

void main_secondary(uint64_t ctx)
{
	uint64_t mpidr;

	asm volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	ap_ctx = ctx;
	line_lock(1);
	puts("Hello from vcpu 1 (MPIDR ");
	putx(mpidr & 0xffffff);
	puts(", context id ");
	putx(ctx);
	puts(")\n");
	line_unlock(1);
	asm volatile("dsb sy" : : : "memory");
	ap_flag = 1;
	asm volatile("dsb sy" : : : "memory");
	chorus(1);
	/* Stay on until vcpu 0 has seen CPU_ON answer ALREADY_ON. */
	wait_flag(2);
	hvc(PSCI_CPU_OFF, 0, 0, 0);
	line_lock(1);
	puts("vcpu 1: CPU_OFF returned!\n");
	line_unlock(1);
}

void main_bsp(uint64_t dtb)
{
	uint32_t magic = *(volatile uint32_t *)dtb;
	int64_t r;
	unsigned long n;

	puts("Hello from the axvm arm64 guest (vcpu 0, EL1)\n");
	puts("dtb at ");
	putx(dtb);
	puts(magic == 0xedfe0dd0 ? ": magic ok\n" : ": bad magic\n");
	r = hvc(PSCI_VERSION, 0, 0, 0);
	puts("psci: version ");
	putd(r >> 16);
	putc('.');
	putd(r & 0xffff);
	puts("\n");

	r = hvc(PSCI_CPU_ON64, 1, (uint64_t)secondary_entry, CTX_ID);
	line_lock(0);
	puts("psci: CPU_ON(1) = ");
	putd(r);
	puts("\n");
	line_unlock(0);
	if (r == 0) {
		int up = wait_flag(1);

		line_lock(0);
		if (!up) {
			puts("vcpu 0: vcpu 1 did not check in\n");
		} else {
			puts("vcpu 0: vcpu 1 is up: 2 vcpus");
			puts(ap_ctx == CTX_ID ? ", context id ok\n" :
			     ", WRONG context id\n");
		}
		line_unlock(0);
		if (up)
			chorus(0);
		r = hvc(PSCI_CPU_ON64, 1, (uint64_t)secondary_entry, CTX_ID);
		line_lock(0);
		puts("psci: CPU_ON(1) again = ");
		putd(r);
		puts(r == -4 || r == -5 ? " (already on)\n" : " (UNEXPECTED)\n");
		line_unlock(0);
		asm volatile("dsb sy" : : : "memory");
		ap_flag = 2;
		asm volatile("dsb sy" : : : "memory");
		for (n = 0; n < 100000000UL; n++)
			if (hvc(PSCI_AFFINITY_INFO64, 1, 0, 0) == 1)
				break;
		puts("psci: AFFINITY_INFO(1) = ");
		putd(hvc(PSCI_AFFINITY_INFO64, 1, 0, 0));
		puts(" (1: off)\n");
	} else {
		puts("vcpu 0: one vcpu only (--cpus 2 for SMP)\n");
	}
	r = hvc(0x12345678, 0, 0, 0);
	puts("unknown hypercall = ");
	putd(r);
	puts(r == -1 ? " (not supported)\n" : " (UNEXPECTED)\n");
	puts("Powering off\n");
	hvc(PSCI_SYSTEM_OFF, 0, 0, 0);
	puts("SYSTEM_OFF returned!\n");
}
