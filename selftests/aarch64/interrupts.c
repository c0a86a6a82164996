// SPDX-License-Identifier: GPL-2.0
/*
 * interrupts (aarch64) - virtual interrupts taken by the guest:
 *  - INJECT_INTERRUPT of an SPI, an SGI, a PPI and an INTID above 255:
 *    the guest takes each through its VBAR_EL1 vector, acknowledges it
 *    with ICC_IAR1_EL1 (the exact INTID) and EOIs it with ICC_EOIR1_EL1;
 *    a later one of the same priority is taken too (the EOI dropped the
 *    running priority);
 *  - more interrupts than list registers, queued before RUN: all arrive;
 *  - an injection from another thread into a spinning guest (kick);
 *  - the virtual timer (CNTV_CVAL_EL0 + CNTV_CTL_EL0) firing: INTID 27
 *    through the vector, with ISTATUS set and the count past CVAL.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "../lib/aarch64/arm64_guest.h"

GUEST_CODE(guest_irq);
GUEST_CODE(guest_vtimer);
GUEST_CODE(guest_vtimer_mask);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global guest_irq_start, guest_irq_end\n"
    "guest_irq_start:\n"
    GUEST_SET_VBAR(irq_vectors)
    GUEST_GIC_ENABLE
    "	msr daifclr, #2\n"			/* IRQs on */
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"				/* ready */
    "1:	b 1b\n"
    GUEST_VECTORS(irq_vectors)
    "guest_irq_end:\n"

    ".balign 2048\n"
    ".global guest_vtimer_start, guest_vtimer_end\n"
    "guest_vtimer_start:\n"
    GUEST_SET_VBAR(vtimer_vectors)
    GUEST_GIC_ENABLE
    "	mrs x1, cntfrq_el0\n"
    "	lsr x1, x1, #6\n"			/* about 16 ms */
    "	isb\n"
    "	mrs x2, cntvct_el0\n"
    "	add x19, x2, x1\n"
    "	msr cntv_cval_el0, x19\n"
    "	mov x0, #1\n"				/* ENABLE, not masked */
    "	msr cntv_ctl_el0, x0\n"
    "	isb\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x19\n"
    "	mrs x2, cntfrq_el0\n"
    "	hvc #0\n"
    "	msr daifclr, #2\n"
    "1:	b 1b\n"
    GUEST_VECTORS(vtimer_vectors)
    "guest_vtimer_end:\n"

    /*
     * The vtimer again, but the IRQ handler masks the timer and EOIs it
     * first and only then exits (GH_REPORT, x1 = INTID): that exit comes
     * while the module still forces IMASK, so the guest's own IMASK must
     * survive it.
     */
    ".balign 2048\n"
    ".global guest_vtimer_mask_start, guest_vtimer_mask_end\n"
    "guest_vtimer_mask_start:\n"
    GUEST_SET_VBAR(vtm_vectors)
    GUEST_GIC_ENABLE
    "	mrs x1, cntfrq_el0\n"
    "	lsr x1, x1, #8\n"			/* about 4 ms */
    "	isb\n"
    "	mrs x2, cntvct_el0\n"
    "	add x2, x2, x1\n"
    "	msr cntv_cval_el0, x2\n"
    "	mov x0, #1\n"				/* ENABLE, not masked */
    "	msr cntv_ctl_el0, x0\n"
    "	isb\n"
    "	msr daifclr, #2\n"
    "1:	b 1b\n"
    "	.balign 2048\n"
    "vtm_vectors:\n"
    VEC_OTHER(0x000) VEC_OTHER(0x080) VEC_OTHER(0x100) VEC_OTHER(0x180)
    VEC_OTHER(0x200)
    "	.balign 0x80\n"				/* 0x280: IRQ */
    "	mrs x1, " ICC_IAR1_EL1 "\n"
    "	cmp x1, #27\n"
    "	b.ne 2f\n"
    "	mov x4, #3\n"				/* ENABLE | IMASK */
    "	msr cntv_ctl_el0, x4\n"
    "	isb\n"
    "2:	msr " ICC_EOIR1_EL1 ", x1\n"
    "	isb\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"
    "	eret\n"
    VEC_OTHER(0x300) VEC_OTHER(0x380)
    VEC_OTHER(0x400) VEC_OTHER(0x480) VEC_OTHER(0x500) VEC_OTHER(0x580)
    VEC_OTHER(0x600) VEC_OTHER(0x680) VEC_OTHER(0x700) VEC_OTHER(0x780)
    "guest_vtimer_mask_end:\n"
    ".popsection\n");

static void inject(struct axvm_vcpu *v, __u32 intid)
{
	int r = axvm_vcpu_inject(v, intid, 0, 0);

	TEST_ASSERT(r == 0, "INJECT_INTERRUPT %u: %d (%s)", intid, r,
		    errno_name(-r));
}

static __u64 expect_irq(struct axvm_vcpu *v)
{
	struct axvcpu_run *run = run_expect_hcall_to(v, GH_IRQ, 10);

	return run->hypercall.args[0];
}

TEST(injected_irqs_taken_and_acked)
{
	static const __u32 intids[] = { 40, 3, 20, 600, 1019, 41 };
	struct test_vm t;
	__u64 iar;
	int i;

	TEST_VM_WITH(&t, guest_irq);
	run_expect_hcall_to(&t.vcpu, GH_REPORT, 10);
	for (i = 0; i < (int)ARRAY_SIZE(intids); i++) {
		inject(&t.vcpu, intids[i]);
		iar = expect_irq(&t.vcpu);
		TEST_ASSERT(iar == intids[i],
			    "injected INTID %u: guest ICC_IAR1_EL1 read %#llx",
			    intids[i], (unsigned long long)iar);
	}
	test_vm_destroy(&t);
}

TEST(more_irqs_than_list_registers)
{
	struct test_vm t;
	__u64 seen = 0, iar;
	int i;

	TEST_VM_WITH(&t, guest_irq);
	run_expect_hcall_to(&t.vcpu, GH_REPORT, 10);
	for (i = 0; i < 20; i++)
		inject(&t.vcpu, 32 + i);
	for (i = 0; i < 20; i++) {
		iar = expect_irq(&t.vcpu);
		TEST_ASSERT(iar >= 32 && iar < 52 && !(seen & (1ULL << (iar - 32))),
			    "IRQ %d of 20: ICC_IAR1_EL1 %#llx (seen %#llx)", i,
			    (unsigned long long)iar, (unsigned long long)seen);
		seen |= 1ULL << (iar - 32);
	}
	TEST_ASSERT_EQ(seen, 0xfffffULL);
	test_vm_destroy(&t);
}

struct kick {
	struct axvm_vcpu *v;
	__u32 intid;
};

static void *inject_later(void *p)
{
	struct kick *k = p;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	inject(k->v, k->intid);
	return NULL;
}

TEST(inject_into_running_vcpu)
{
	struct test_vm t;
	struct kick k;
	pthread_t th;
	__u64 iar;
	int i;

	TEST_VM_WITH(&t, guest_irq);
	run_expect_hcall_to(&t.vcpu, GH_REPORT, 10);
	for (i = 0; i < 3; i++) {
		k.v = &t.vcpu;
		k.intid = 45 + i;
		TEST_ASSERT(!pthread_create(&th, NULL, inject_later, &k), "pthread_create");
		iar = expect_irq(&t.vcpu);
		pthread_join(th, NULL);
		TEST_ASSERT(iar == k.intid, "kicked INTID %u: guest acked %#llx",
			    k.intid, (unsigned long long)iar);
	}
	test_vm_destroy(&t);
}

TEST(vtimer_fires_in_guest)
{
	struct axvcpu_run *run;
	struct test_vm t;
	struct timespec t0, t1;
	__u64 cval, freq, ms;

	TEST_VM_WITH(&t, guest_vtimer);
	run = t.vcpu.run;
	run_expect_hcall_to(&t.vcpu, GH_REPORT, 10);
	cval = run->hypercall.args[0];
	freq = run->hypercall.args[1];
	TEST_ASSERT(freq, "CNTFRQ_EL0 = 0");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_expect_hcall_to(&t.vcpu, GH_IRQ, 10);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	TEST_ASSERT(run->hypercall.args[0] == 27,
		    "vtimer: guest acked INTID %#llx, expected 27",
		    (unsigned long long)run->hypercall.args[0]);
	TEST_ASSERT(run->hypercall.args[1] & 4,
		    "vtimer IRQ: CNTV_CTL_EL0 = %#llx, ISTATUS clear",
		    (unsigned long long)run->hypercall.args[1]);
	TEST_ASSERT(run->hypercall.args[2] >= cval,
		    "vtimer IRQ at CNTVCT %#llx before CVAL %#llx",
		    (unsigned long long)run->hypercall.args[2],
		    (unsigned long long)cval);
	printf("# vtimer IRQ after %llu ms (deadline 16 ms)\n", (unsigned long long)ms);
	/* The guest masked it in the handler: no second timer IRQ. */
	inject(&t.vcpu, 50);
	TEST_ASSERT_EQ(expect_irq(&t.vcpu), 50);
	test_vm_destroy(&t);
}

/*
 * The guest masks its timer in the handler, EOIs, and an exit follows at
 * once: the timer must stay masked (no second INTID 27), and the next
 * interrupt the guest takes is the injected one.
 */
static void nop_handler(int sig)
{
}

TEST(vtimer_masked_by_guest_stays_masked)
{
	struct itimerval it = { .it_value = { 0, 300000 } };
	struct axvcpu_run *run;
	struct test_vm t;
	int r;

	TEST_VM_WITH(&t, guest_vtimer_mask);
	run = run_expect_hcall_to(&t.vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 27);
	inject(&t.vcpu, 50);
	run = run_expect_hcall_to(&t.vcpu, GH_REPORT, 10);
	TEST_ASSERT(run->hypercall.args[0] == 50,
		    "after the guest masked its timer it took INTID %llu, expected 50",
		    (unsigned long long)run->hypercall.args[0]);
	/* Nothing else is pending: the guest spins until the alarm. */
	signal(SIGALRM, nop_handler);
	TEST_ASSERT_SYSCALL_OK(setitimer(ITIMER_REAL, &it, NULL));
	r = __vcpu_run(&t.vcpu);
	TEST_ASSERT(r == -1 && errno == EINTR,
		    "the masked timer interrupted the guest again: exit %u, INTID %llu",
		    run->exit_reason, (unsigned long long)run->hypercall.args[0]);
	test_vm_destroy(&t);
}

TEST_HARNESS_MAIN
