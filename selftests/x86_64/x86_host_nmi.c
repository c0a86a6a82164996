// SPDX-License-Identifier: GPL-2.0
/*
 * x86_host_nmi - a host NMI that arrives while a guest runs reaches the
 * host's own NMI handler.
 *
 * With "NMI exiting" the NMI ends the guest's run instead of being taken;
 * the module must raise it again for the host.  The NMIs here are the
 * kernel's all-CPU backtrace (sysrq 'l'): an NMI IPI to every CPU, each
 * CPU's NMI handler printing "NMI backtrace for cpu N".  A vcpu spins in
 * the guest on CPU 1; the test wants CPU 1's backtrace in the kernel log
 * and the vcpu's host_nmi counter to have moved (the NMI did hit the
 * guest, it was not taken by the host between two entries).  While RUN
 * runs only the stats fd has live counters; the run page gets its copy
 * when RUN returns.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

GUEST_CODE(guest_spin);

struct spinner {
	struct axvm_vcpu *vcpu;
	volatile int started;
	long ret;
	int err;
};

static void nop(int sig)
{
}

static void *spin_on_cpu1(void *arg)
{
	struct spinner *s = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);
	s->started = 1;
	errno = 0;
	s->ret = __vcpu_run(s->vcpu);
	s->err = errno;
	return NULL;
}

/* Reads the new kernel log records; true once one has both strings. */
static bool kmsg_has(int fd, const char *a, const char *b)
{
	char rec[2048];
	bool found = false;
	ssize_t r;

	while ((r = read(fd, rec, sizeof(rec) - 1)) > 0) {
		rec[r] = 0;
		if (strstr(rec, a) && strstr(rec, b))
			found = true;
	}
	return found;
}

TEST(nmi_while_guest_runs_reaches_host_handler)
{
	struct spinner s = { 0 };
	bool backtrace = false;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	struct axvm_stats st;
	long long nmis = 0;
	pthread_t th;
	int kfd, sysrq, i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	sysrq = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	if (sysrq < 0)
		SKIP(return, "no /proc/sysrq-trigger");
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	TEST_ASSERT(kfd >= 0, "open /dev/kmsg");
	TEST_ASSERT(lseek(kfd, 0, SEEK_END) >= 0, "lseek /dev/kmsg");

	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	TEST_ASSERT_EQ(axvm_stats_open(vcpu->fd, &st), 0);
	signal(SIGUSR1, nop);
	s.vcpu = vcpu;
	TEST_ASSERT(!pthread_create(&th, NULL, spin_on_cpu1, &s), "pthread_create");
	for (i = 0; i < 500 && axvm_vcpu_get_state(vcpu) != AXVCPU_STATE_RUNNING; i++)
		usleep(10000);
	usleep(100000);		/* on CPU 1, in the guest */

	/* The vcpu is in the guest nearly all the time; try a few times. */
	for (i = 0; i < 5 && !(backtrace && nmis); i++) {
		TEST_ASSERT(write(sysrq, "l", 1) == 1, "write sysrq l");
		usleep(500000);
		backtrace |= kmsg_has(kfd, "NMI backtrace", "cpu 1");
		TEST_ASSERT_EQ(axvm_stats_read(&st), 0);
		nmis = axvm_stats_get(&st, "builtin_host_nmi");
	}
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	printf("# %d sysrq-l rounds, %lld host NMIs during the guest's run\n",
	       i, nmis);
	TEST_ASSERT(s.ret == -1 && s.err == EINTR, "RUN: ret %ld errno %d",
		    s.ret, s.err);
	TEST_ASSERT(nmis > 0, "no NMI hit the running guest");
	TEST_ASSERT(backtrace, "no 'NMI backtrace for cpu 1' in the kernel log");
	/* RUN's return copied the counters, at least those seen running. */
	TEST_ASSERT(vcpu->run->stats.builtin[AXVCPU_BUILTIN_HOST_NMI] >= nmis,
		    "run page host NMIs %llu < %lld from the stats fd",
		    (unsigned long long)vcpu->run->stats.builtin[AXVCPU_BUILTIN_HOST_NMI],
		    nmis);
	axvm_stats_close(&st);
	close(sysrq);
	close(kfd);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
