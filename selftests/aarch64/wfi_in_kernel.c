// SPDX-License-Identifier: GPL-2.0
/*
 * wfi_in_kernel (aarch64) - AXVCPU_SETUP_HALT_IN_KERNEL: a guest WFI
 * sleeps in the module instead of exiting to the VMM as AXVCPU_EXIT_HALT.
 * Each test's guest enables its GIC CPU interface, unmasks IRQs, reports
 * "ready" and then waits in a WFI loop; its IRQ vector reports GH_IRQ:
 *  - an SPI injected by ioctl from another thread 100 ms later ends the
 *    wait: RUN returns the guest's GH_IRQ, no HALT exit, few entries (the
 *    vcpu slept; a busy WFI loop would make thousands);
 *  - the guest's virtual timer (16 ms ahead) ends it: INTID 27;
 *  - an irqfd written from another thread ends it;
 *  - a signal ends RUN with -EINTR (AXVCPU_EXIT_INTR), and the next RUN
 *    waits on until an interrupt comes;
 *  - with the guest's priority mask at 0 an injected SPI is not signalled
 *    (Arm GIC, ICH_VMCR_EL2.VPMR): the WFI goes on sleeping, a signal ends
 *    RUN, the SPI is still pending;
 *  - without the flag the same WFI exits as AXVCPU_EXIT_HALT.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

GUEST_CODE(guest_wfi);
GUEST_CODE(guest_wfi_masked);
GUEST_CODE(guest_wfi_vtimer);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global guest_wfi_start, guest_wfi_end\n"
    "guest_wfi_start:\n"
    GUEST_SET_VBAR(wfi_vectors)
    GUEST_GIC_ENABLE
    "	msr daifclr, #2\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"				/* ready */
    "1:	wfi\n"
    "	b 1b\n"
    GUEST_VECTORS(wfi_vectors)
    "guest_wfi_end:\n"

    ".balign 2048\n"
    ".global guest_wfi_masked_start, guest_wfi_masked_end\n"
    "guest_wfi_masked_start:\n"
    GUEST_SET_VBAR(wfi_masked_vectors)
    GUEST_GIC_ENABLE
    "	msr " ICC_PMR_EL1 ", xzr\n"		/* nothing above priority 0 */
    "	isb\n"
    "	msr daifclr, #2\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"
    "1:	wfi\n"
    "	b 1b\n"
    GUEST_VECTORS(wfi_masked_vectors)
    "guest_wfi_masked_end:\n"

    ".balign 2048\n"
    ".global guest_wfi_vtimer_start, guest_wfi_vtimer_end\n"
    "guest_wfi_vtimer_start:\n"
    GUEST_SET_VBAR(wfi_vtimer_vectors)
    GUEST_GIC_ENABLE
    GUEST_VTIMER_ARM_16MS
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x19\n"
    "	hvc #0\n"
    "	msr daifclr, #2\n"
    "1:	wfi\n"
    "	b 1b\n"
    GUEST_VECTORS(wfi_vtimer_vectors)
    "guest_wfi_vtimer_end:\n"
    ".popsection\n");

/* Nothing but ending RUN: no SA_RESTART. */
static void on_usr1(int sig) { (void)sig; }

static void wfi_vm(struct test_vm *t, const void *code, size_t len,
		   bool in_kernel)
{
	struct axvcpu_vcpu_setup cfg;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = in_kernel ? AXVCPU_SETUP_HALT_IN_KERNEL : 0;
	test_vm_create_created(t, code, len);
	r = axvm_vcpu_setup(&t->vcpu, GUEST_ENTRY, &cfg);
	TEST_ASSERT(r == 0, "SETUP with HALT_IN_KERNEL: %d (%s)", r,
		    errno_name(-r));
	vcpu_bind(&t->vcpu);
	run_expect_hcall_to(&t->vcpu, GH_REPORT, 10);
}

#define WFI_VM(t, name, in_kernel) \
	wfi_vm((t), name##_start, GUEST_CODE_LEN(name), (in_kernel))

enum later_what { LATER_INJECT, LATER_EVENTFD, LATER_SIGNAL };

struct later {
	enum later_what what;
	unsigned int ms;
	struct axvm_vcpu *v;
	int fd;
	pthread_t main, th;
	int r;
};

static void *do_later(void *p)
{
	struct later *l = p;
	__u64 one = 1;

	usleep(l->ms * 1000);
	switch (l->what) {
	case LATER_INJECT:
		l->r = axvm_vcpu_inject(l->v, 40, 0, 0);
		break;
	case LATER_EVENTFD:
		l->r = write(l->fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
		break;
	case LATER_SIGNAL:
		l->r = pthread_kill(l->main, SIGUSR1);
		break;
	}
	return NULL;
}

static void later_start(struct later *l, enum later_what what,
			unsigned int ms, struct axvm_vcpu *v, int fd)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	l->what = what;
	l->ms = ms;
	l->v = v;
	l->fd = fd;
	l->main = pthread_self();
	l->r = -1;
	TEST_ASSERT(!pthread_create(&l->th, NULL, do_later, l), "pthread_create");
}

static void later_join(struct later *l)
{
	pthread_join(l->th, NULL);
	TEST_ASSERT(l->r == 0, "the other thread's action: %d", l->r);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The wait was a sleep: no HALT exit, at least one in-module WFI, and few
 * entries (each wake-up is one; a WFI that returned at once would loop).
 */
static void assert_slept(struct axvm_vcpu *v, __u64 entries0)
{
	struct axvcpu_run_stats *s = &v->run->stats;

	TEST_ASSERT_EQ(s->exits[AXVCPU_EXIT_HALT], 0);
	TEST_ASSERT(s->builtin[AXVCPU_BUILTIN_HALT] >= 1,
		    "no WFI counted as slept in the module");
	TEST_ASSERT(s->entries - entries0 < 50,
		    "%llu entries while the guest waited: it did not sleep",
		    (unsigned long long)(s->entries - entries0));
}

TEST(wfi_sleeps_until_injected_spi)
{
	struct axvcpu_run *run;
	struct test_vm t;
	struct later l;
	__u64 e0;
	double t0;

	WFI_VM(&t, guest_wfi, true);
	e0 = t.vcpu.run->stats.entries;
	t0 = now_ms();
	later_start(&l, LATER_INJECT, 100, &t.vcpu, -1);
	run = run_expect_hcall_to(&t.vcpu, GH_IRQ, 10);
	later_join(&l);
	TEST_ASSERT_EQ(run->hypercall.args[0], 40);
	TEST_ASSERT(now_ms() - t0 >= 90, "RUN came back after %.0f ms, before the SPI",
		    now_ms() - t0);
	assert_slept(&t.vcpu, e0);
	test_vm_destroy(&t);
}

TEST(wfi_sleeps_until_vtimer)
{
	struct axvcpu_run *run;
	struct test_vm t;
	__u64 e0;

	WFI_VM(&t, guest_wfi_vtimer, true);
	e0 = t.vcpu.run->stats.entries;
	run = run_expect_hcall_to(&t.vcpu, GH_IRQ, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 27);
	/* The guest read CNTVCT_EL0 in its handler: at or past the deadline. */
	assert_slept(&t.vcpu, e0);
	test_vm_destroy(&t);
}

TEST(wfi_sleeps_until_irqfd)
{
	struct axvcpu_run *run;
	struct test_vm t;
	struct later l;
	__u64 e0;
	int fd;

	WFI_VM(&t, guest_wfi, true);
	fd = eventfd(0, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, axvm_vm_irqfd(&t.vm, fd, 0, 44, 0));
	e0 = t.vcpu.run->stats.entries;
	later_start(&l, LATER_EVENTFD, 100, &t.vcpu, fd);
	run = run_expect_hcall_to(&t.vcpu, GH_IRQ, 10);
	later_join(&l);
	TEST_ASSERT_EQ(run->hypercall.args[0], 44);
	EXPECT_EQ(1, t.vcpu.run->stats.builtin[AXVCPU_BUILTIN_IRQFD]);
	assert_slept(&t.vcpu, e0);
	test_vm_destroy(&t);
	close(fd);
}

TEST(signal_ends_run_then_wfi_waits_on)
{
	struct axvcpu_run *run;
	struct test_vm t;
	struct later l;
	__u64 e0;
	int r;

	WFI_VM(&t, guest_wfi, true);
	e0 = t.vcpu.run->stats.entries;
	later_start(&l, LATER_SIGNAL, 100, &t.vcpu, -1);
	r = axvm_vcpu_run(&t.vcpu);	/* no retry: the signal is the test */
	later_join(&l);
	TEST_ASSERT(r == -EINTR, "RUN: %d (%s), exit %u", r, errno_name(-r),
		    t.vcpu.run->exit_reason);
	TEST_ASSERT_EQ(t.vcpu.run->exit_reason, AXVCPU_EXIT_INTR);
	assert_slept(&t.vcpu, e0);
	/* The guest is still in its loop: the next RUN waits for the SPI. */
	later_start(&l, LATER_INJECT, 50, &t.vcpu, -1);
	run = run_expect_hcall_to(&t.vcpu, GH_IRQ, 10);
	later_join(&l);
	TEST_ASSERT_EQ(run->hypercall.args[0], 40);
	assert_slept(&t.vcpu, e0);
	test_vm_destroy(&t);
}

TEST(wfi_masked_by_priority_keeps_sleeping)
{
	struct axvcpu_irq_state st;
	struct test_vm t;
	struct later l;
	__u64 e0;
	int r;

	WFI_VM(&t, guest_wfi_masked, true);
	e0 = t.vcpu.run->stats.entries;
	TEST_ASSERT_EQ(axvm_vcpu_inject(&t.vcpu, 40, 0, 0), 0);
	later_start(&l, LATER_SIGNAL, 200, &t.vcpu, -1);
	r = axvm_vcpu_run(&t.vcpu);	/* no retry: the signal is the test */
	later_join(&l);
	TEST_ASSERT(r == -EINTR, "RUN: %d (%s), exit %u (%s): the masked SPI ended the WFI?",
		    r, errno_name(-r), t.vcpu.run->exit_reason,
		    axvm_exit_name(t.vcpu.run->exit_reason));
	assert_slept(&t.vcpu, e0);
	TEST_ASSERT(t.vcpu.run->stats.builtin[AXVCPU_BUILTIN_HALT] <= 3,
		    "%llu WFIs in 200 ms: the masked SPI woke the vcpu",
		    (unsigned long long)t.vcpu.run->stats.builtin[AXVCPU_BUILTIN_HALT]);
	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, ioctl(t.vcpu.fd, AXVCPU_GET_IRQ_STATE, &st));
	EXPECT_TRUE(st.pending[40 / 64] & (1ULL << (40 % 64)));
	test_vm_destroy(&t);
}

TEST(without_the_flag_wfi_exits_halt)
{
	struct test_vm t;

	WFI_VM(&t, guest_wfi, false);
	vcpu_run_timeout(&t.vcpu, 10);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HALT);
	EXPECT_EQ(0, t.vcpu.run->stats.builtin[AXVCPU_BUILTIN_HALT]);
	test_vm_destroy(&t);
}

TEST_HARNESS_MAIN
