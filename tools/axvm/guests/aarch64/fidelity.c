// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 fidelity guest: what guests written for KVM or for QEMU's
 * virt board expect of the machine, each checked and reported.
 *
 * - PSCI CPU_ON of a CPU that a CPU_ON just started answers ALREADY_ON,
 *   whether or not that CPU has run yet (KVM makes it runnable before
 *   returning); the started CPU stays on until the second call is done;
 * - the EL1 physical timer counts: CNTP_CVAL in the past sets
 *   CNTP_CTL.ISTATUS, and CNTP_TVAL counts down (with axvm --ptimer trap
 *   it does not, and the guest says so);
 * - the virtio-mmio window of the board (0x0a000000, 32 transports of
 *   0x200) holds empty transports: magic "virt", version 2, DeviceID 0;
 * - the redistributor shows an SGI pending, then active, then neither.
 * It prints "fidelity guest: PASS" when all hold, then SYSTEM_OFF.
 */
#include <stdint.h>

#include "console.h"

#define VIRTIO_BASE		0x0a000000UL
#define VIRTIO_NR		32
#define VIRTIO_SIZE		0x200

#define PSCI_CPU_OFF		0x84000002U
#define PSCI_CPU_ON64		0xc4000003U
#define PSCI_SYSTEM_OFF		0x84000008U

extern char secondary_entry[];

static volatile uint32_t ap_up, ap_release;
static int failed;

static void check(const char *what, int ok)
{
	puts(what);
	puts(ok ? ": ok\n" : ": FAILED\n");
	if (!ok)
		failed = 1;
}

static int64_t hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 asm("x0") = fn;
	register uint64_t x1 asm("x1") = a1;
	register uint64_t x2 asm("x2") = a2;
	register uint64_t x3 asm("x3") = a3;

	asm volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return (int64_t)x0;
}

static uint64_t cntvct(void)
{
	uint64_t v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

void main_secondary(uint64_t ctx)
{
	asm volatile("dsb sy" : : : "memory");
	ap_up = 1;
	asm volatile("dsb sy" : : : "memory");
	/*
	 * Stay on until the boot CPU has asked again: a CPU that already
	 * went off may be started again, and the answer would be SUCCESS.
	 */
	while (!ap_release)
		asm volatile("yield");
	hvc(PSCI_CPU_OFF, 0, 0, 0);
}

static void cpu_on_twice(void)
{
	int64_t r1, r2;
	unsigned long n;

	r1 = hvc(PSCI_CPU_ON64, 1, (uint64_t)secondary_entry, 0);
	/* At once: vcpu 1 is on, whether or not it has run yet. */
	r2 = hvc(PSCI_CPU_ON64, 1, (uint64_t)secondary_entry, 0);
	puts("psci: CPU_ON(1) = ");
	putd(r1);
	puts(", at once again = ");
	putd(r2);
	puts("\n");
	check("psci: a second CPU_ON answers ALREADY_ON (-4)", r1 == 0 && r2 == -4);
	for (n = 0; n < 100000000UL && !ap_up; n++)
		asm volatile("yield");
	check("psci: vcpu 1 ran", ap_up);
	ap_release = 1;
	asm volatile("dsb sy" : : : "memory");
}

/* Arm ARM D11.2 "The AArch64 view of the Generic Timer". */
static void ptimer(void)
{
	uint64_t t0 = cntvct(), ctl = 0, tval = 0;

	asm volatile("msr cntp_ctl_el0, %0" : : "r"(0UL));
	asm volatile("msr cntp_cval_el0, %0" : : "r"(0UL));
	/* ENABLE, IMASK: the condition without an interrupt. */
	asm volatile("msr cntp_ctl_el0, %0; isb" : : "r"(3UL));
	while (cntvct() - t0 < 1000000) {	/* ~16 ms at 62.5 MHz */
		asm volatile("mrs %0, cntp_ctl_el0" : "=r"(ctl));
		if (ctl & 4)
			break;
	}
	check("ptimer: CNTP_CTL_EL0.ISTATUS with CVAL in the past", ctl & 4);

	asm volatile("msr cntp_tval_el0, %0; isb" : : "r"(0x7fffffffUL));
	t0 = cntvct();
	while (cntvct() - t0 < 10000)
		;
	asm volatile("mrs %0, cntp_tval_el0" : "=r"(tval));
	/* Down by at least the 10000 ticks waited, and not to nothing. */
	check("ptimer: CNTP_TVAL_EL0 counts down",
	      (uint32_t)tval <= 0x7fffffffU - 10000 &&
	      (uint32_t)tval > 0x40000000U);
	asm volatile("msr cntp_ctl_el0, %0" : : "r"(0UL));
}

static void virtio_window(void)
{
	int i, good = 0;

	for (i = 0; i < VIRTIO_NR; i++) {
		unsigned long b = VIRTIO_BASE + i * VIRTIO_SIZE;

		if (mmio_read32(b + 0x000) == 0x74726976 &&
		    mmio_read32(b + 0x004) == 2 && mmio_read32(b + 0x008) == 0)
			good++;
	}
	puts("virtio-mmio: ");
	putd(good);
	puts(" of 32 transports empty (magic 'virt', version 2, DeviceID 0)\n");
	check("virtio-mmio: the board's window holds empty transports", good == VIRTIO_NR);
}

#define GICR_SGI_BASE		(0x080a0000UL + 0x10000)	/* vcpu 0's */
#define GICR_ISPENDR0		(GICR_SGI_BASE + 0x200)
#define GICR_ISACTIVER0		(GICR_SGI_BASE + 0x300)
#define SGI			3

/*
 * An SGI to itself with interrupts masked is pending; acknowledged, it is
 * active; after EOI, neither: as the redistributor shows it.
 */
static void gic_state(void)
{
	uint64_t v = 1;
	uint32_t pend, act, intid;

	asm volatile("msr S3_0_C12_C12_5, %0; isb" : : "r"(v));	/* ICC_SRE_EL1.SRE */
	asm volatile("msr S3_0_C4_C6_0, %0" : : "r"(0xffUL));	/* ICC_PMR_EL1 */
	asm volatile("msr S3_0_C12_C12_7, %0; isb" : : "r"(1UL));	/* ICC_IGRPEN1_EL1 */
	/* ICC_SGI1R_EL1: INTID 3, target list bit 0 (Aff0 = 0, this vcpu). */
	asm volatile("msr S3_0_C12_C11_5, %0; isb" : : "r"((uint64_t)SGI << 24 | 1));
	pend = mmio_read32(GICR_ISPENDR0);
	check("gic: a masked SGI to itself shows in GICR_ISPENDR0",
	      pend & (1 << SGI));
	asm volatile("mrs %0, S3_0_C12_C12_0" : "=r"(v));		/* ICC_IAR1_EL1 */
	intid = v;
	act = mmio_read32(GICR_ISACTIVER0);
	pend = mmio_read32(GICR_ISPENDR0);
	check("gic: acknowledged, it is active and no longer pending",
	      intid == SGI && (act & (1 << SGI)) && !(pend & (1 << SGI)));
	asm volatile("msr S3_0_C12_C12_1, %0; isb" : : "r"((uint64_t)intid));	/* EOIR1 */
	act = mmio_read32(GICR_ISACTIVER0);
	pend = mmio_read32(GICR_ISPENDR0);
	check("gic: after EOI, neither", !(act & (1 << SGI)) && !(pend & (1 << SGI)));
}

void main_bsp(uint64_t dtb)
{
	puts("fidelity guest (arm64)\n");
	cpu_on_twice();
	ptimer();
	virtio_window();
	gic_state();
	puts(failed ? "fidelity guest: FAIL\n" : "fidelity guest: PASS\n");
	hvc(PSCI_SYSTEM_OFF, 0, 0, 0);
}
