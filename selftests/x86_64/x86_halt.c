// SPDX-License-Identifier: GPL-2.0
/*
 * x86_halt - AXVCPU_SETUP_HALT_IN_KERNEL: a guest HLT with IF set sleeps
 * in the module instead of exiting to the VMM as AXVCPU_EXIT_HALT.  The
 * long-mode guest waits with STI; HLT until its interrupt handler (vector
 * 0x40) has counted RBX interrupts at 0x8100, then does CLI; HLT:
 *  - three interrupts injected by ioctl from another thread, 100 ms
 *    apart, each end one HLT: RUN returns only for the CLI; HLT (an HLT
 *    with IF clear still exits: only an NMI or INIT ends it), three HLTs
 *    counted in stats.builtin[AXVCPU_BUILTIN_HALT], few entries (the vcpu
 *    slept);
 *  - a signal ends RUN with -EINTR (AXVCPU_EXIT_INTR); the guest stays
 *    halted (no second HLT counted) and the next RUN waits on until an
 *    interrupt comes;
 *  - without the flag the same HLT exits as AXVCPU_EXIT_HALT at once.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

GUEST_CODE(g_halt);
extern const unsigned char g_halt_irq[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    ".global g_halt_start, g_halt_end, g_halt_irq\n"
    "g_halt_start:\n"
    "	sti\n"
    "1:	hlt\n"
    "	cmp %rbx, 0x8100\n"
    "	jb 1b\n"
    "	cli\n"
    "	hlt\n"
    "g_halt_irq:\n"
    "	incq 0x8100\n"
    "	iretq\n"
    "g_halt_end:\n"
    ".popsection\n");

#define COUNT_GPA	0x8100

static void on_signal(int sig) { (void)sig; }

static void halt_vm(struct test_vm *t, bool in_kernel, __u64 irqs)
{
	struct axvcpu_vcpu_setup cfg;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = in_kernel ? AXVCPU_SETUP_HALT_IN_KERNEL : 0;
	test_vm_create_created(t, g_halt_start, GUEST_CODE_LEN(g_halt));
	r = axvm_vcpu_setup(&t->vcpu, GUEST_ENTRY, &cfg);
	TEST_ASSERT(r == 0, "SETUP with HALT_IN_KERNEL: %d (%s)", r,
		    errno_name(-r));
	vcpu_bind(&t->vcpu);
	x86_enter_long_mode(t, GUEST_ENTRY);
	x86_idt64_set(t, 0x40, GUEST_SYM_GPA(g_halt, g_halt_irq));
	vcpu_set_gpr(&t->vcpu, 3, irqs);
}

/* RUN under a 30 s watchdog (SIGALRM, no SA_RESTART): 0 or -errno. */
static int run_watched(struct axvm_vcpu *v)
{
	struct sigaction sa;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	alarm(30);
	r = axvm_vcpu_run(v);	/* no retry: the signal is the test */
	alarm(0);
	return r;
}

struct later {
	struct axvm_vcpu *v;
	pthread_t main, th;
	unsigned int ms, injections;
	bool signal;
	int r;
};

static void *do_later(void *p)
{
	struct later *l = p;
	struct axvcpu_interrupt irq = { .vector = 0x40 };
	unsigned int i;

	l->r = 0;
	for (i = 0; i < l->injections && !l->r; i++) {
		usleep(l->ms * 1000);
		if (ioctl(l->v->fd, AXVCPU_INJECT_INTERRUPT, &irq))
			l->r = -errno;
	}
	if (l->signal) {
		usleep(l->ms * 1000);
		l->r = pthread_kill(l->main, SIGUSR1);
	}
	return NULL;
}

static void later_start(struct later *l, struct axvm_vcpu *v,
			unsigned int ms, unsigned int injections, bool signal)
{
	l->v = v;
	l->main = pthread_self();
	l->ms = ms;
	l->injections = injections;
	l->signal = signal;
	l->r = -1;
	TEST_ASSERT(!pthread_create(&l->th, NULL, do_later, l), "pthread_create");
}

static void later_join(struct later *l)
{
	pthread_join(l->th, NULL);
	TEST_ASSERT(l->r == 0, "the other thread's action: %d", l->r);
}

static __u64 count(struct test_vm *t)
{
	return *(volatile __u64 *)guest_ptr(t, COUNT_GPA);
}

TEST(hlt_sleeps_until_injected)
{
	struct axvcpu_run_stats *s;
	struct test_vm t;
	struct later l;
	int r;

	halt_vm(&t, true, 3);
	s = &t.vcpu.run->stats;
	later_start(&l, &t.vcpu, 100, 3, false);
	r = run_watched(&t.vcpu);
	later_join(&l);
	TEST_ASSERT(r == 0, "RUN: %d (%s)", r, errno_name(-r));
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(count(&t), 3);
	TEST_ASSERT_EQ(s->exits[AXVCPU_EXIT_HALT], 1);	/* the CLI; HLT */
	TEST_ASSERT_EQ(s->builtin[AXVCPU_BUILTIN_HALT], 3);
	TEST_ASSERT(s->entries < 50, "%llu entries: the HLTs did not sleep",
		    (unsigned long long)s->entries);
	test_vm_destroy(&t);
}

TEST(signal_ends_run_guest_stays_halted)
{
	struct axvcpu_run_stats *s;
	struct test_vm t;
	struct later l;
	int r;

	halt_vm(&t, true, 1);
	s = &t.vcpu.run->stats;
	later_start(&l, &t.vcpu, 100, 0, true);
	r = run_watched(&t.vcpu);
	later_join(&l);
	TEST_ASSERT(r == -EINTR, "RUN: %d (%s), exit %u", r, errno_name(-r),
		    t.vcpu.run->exit_reason);
	TEST_ASSERT_EQ(t.vcpu.run->exit_reason, AXVCPU_EXIT_INTR);
	TEST_ASSERT_EQ(count(&t), 0);
	TEST_ASSERT_EQ(s->exits[AXVCPU_EXIT_HALT], 0);
	TEST_ASSERT_EQ(s->builtin[AXVCPU_BUILTIN_HALT], 1);

	later_start(&l, &t.vcpu, 50, 1, false);
	r = run_watched(&t.vcpu);
	later_join(&l);
	TEST_ASSERT(r == 0, "RUN: %d (%s)", r, errno_name(-r));
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(count(&t), 1);
	/* Still the first HLT: the RUN went on waiting, it did not redo it. */
	TEST_ASSERT_EQ(s->builtin[AXVCPU_BUILTIN_HALT], 1);
	test_vm_destroy(&t);
}

TEST(without_the_flag_hlt_exits_halt)
{
	struct test_vm t;
	int r;

	halt_vm(&t, false, 1);
	r = run_watched(&t.vcpu);
	TEST_ASSERT(r == 0, "RUN: %d (%s)", r, errno_name(-r));
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(count(&t), 0);
	TEST_ASSERT_EQ(t.vcpu.run->stats.builtin[AXVCPU_BUILTIN_HALT], 0);
	test_vm_destroy(&t);
}

TEST_HARNESS_MAIN
