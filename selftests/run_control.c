// SPDX-License-Identifier: GPL-2.0
/*
 * run_control - AXVCPU_RUN around the guest: repeated exits, guest state
 * kept across exits, hypercall completion (ret, SET_RETURN_VALUE),
 * immediate_exit, signals while a guest spins, Running seen from another
 * thread, one RUN at a time (-EBUSY), exit statistics.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void nop_handler(int sig)
{
}

/* Install a no-op handler for @sig without SA_RESTART. */
static void install_nop(int sig)
{
	struct sigaction sa = { .sa_handler = nop_handler };

	sigemptyset(&sa.sa_mask);
	TEST_ASSERT_SYSCALL_OK(sigaction(sig, &sa, NULL));
}

TEST(hypercall_exits_repeat)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	for (i = 0; i < 20; i++) {
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
		TEST_ASSERT_EQ(vcpu->run->hypercall.nr, HCALL_LOOP_NR);
		/* The backend presets ret to -ENOSYS on every hypercall exit. */
		TEST_ASSERT(vcpu->run->hypercall.ret == -ENOSYS,
			    "exit %d: hypercall.ret = %lld, expected -ENOSYS", i,
			    (long long)vcpu->run->hypercall.ret);
		vcpu->run->hypercall.ret = 0;
	}
	test_vm_free(vm);
}

TEST(guest_state_kept_across_exits)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	struct ucall uc;
	__u64 i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_ucall_counter);
	for (i = 1; i <= 20; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT(get_ucall(vcpu, &uc) == UCALL_SYNC,
			    "exit %u (%s) nr %#llx: not a ucall",
			    vcpu->run->exit_reason,
			    axvm_exit_name(vcpu->run->exit_reason),
			    (unsigned long long)vcpu->run->hypercall.nr);
		TEST_ASSERT(uc.args[0] == i, "guest counter %llu, expected %llu",
			    (unsigned long long)uc.args[0], (unsigned long long)i);
		/* The counter register is visible to the host too. */
		TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, GPR_SCRATCH) & 0xffffffff, i);
	}
	/* A host write to the counter register is what the guest sees next. */
	vcpu_set_gpr(vcpu, GPR_SCRATCH, 1000);
	vcpu_run(vcpu);
	TEST_ASSERT(get_ucall(vcpu, &uc) == UCALL_SYNC, "not a ucall");
	TEST_ASSERT_EQ(uc.args[0], 1001);
	test_vm_free(vm);
}

TEST(immediate_exit)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 entries;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	entries = vcpu->run->stats.entries;

	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EINTR);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_INTR);
	vcpu_assert_state(vcpu, AXVCPU_STATE_READY);
	TEST_ASSERT(vcpu->run->stats.entries == entries,
		    "guest entered with immediate_exit: entries %llu -> %llu",
		    (unsigned long long)entries,
		    (unsigned long long)vcpu->run->stats.entries);
	/* Again: immediate_exit is not consumed by the module. */
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EINTR);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_INTR);

	vcpu->run->immediate_exit = 0;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(vcpu->run->hypercall.nr, HCALL_LOOP_NR);
	test_vm_free(vm);
}

TEST(immediate_exit_applies_completion)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	vcpu->run->hypercall.ret = 0x1122334455667788LL;
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EINTR);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_INTR);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, GPR_RET), 0x1122334455667788ULL);
	test_vm_free(vm);
}

TEST(set_return_value_cancels_completion)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	vcpu->run->hypercall.ret = 0x1111;
	TEST_ASSERT_RET(axvm_vcpu_set_return_value(vcpu, 0x2222), 0);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, GPR_RET), 0x2222);
	/* The next RUN must not apply run->hypercall.ret over it. */
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EINTR);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, GPR_RET), 0x2222);
	test_vm_free(vm);
}

TEST(completion_applied_once)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	vcpu->run->hypercall.ret = 0x3333;
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EINTR);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, GPR_RET), 0x3333);
	/* The host changes the register; a second RUN must not re-apply. */
	vcpu_set_gpr(vcpu, GPR_RET, 0x4444);
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EINTR);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, GPR_RET), 0x4444);
	test_vm_free(vm);
}

TEST(signal_interrupts_spinning_guest)
{
	struct itimerval it = { .it_value = { 0, 200000 } };
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	install_nop(SIGALRM);
	for (i = 0; i < 3; i++) {
		TEST_ASSERT_SYSCALL_OK(setitimer(ITIMER_REAL, &it, NULL));
		TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EINTR);
		vcpu_assert_exit(vcpu, AXVCPU_EXIT_INTR);
		vcpu_assert_state(vcpu, AXVCPU_STATE_READY);
	}
	TEST_ASSERT(vcpu->run->stats.entries >= 3, "entries %llu",
		    (unsigned long long)vcpu->run->stats.entries);
	test_vm_free(vm);
}

struct spinner {
	struct axvm_vcpu *vcpu;
	pthread_t thread;
	volatile int started;
	long ret;
	int err;
};

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;

	s->started = 1;
	errno = 0;
	s->ret = __vcpu_run(s->vcpu);
	s->err = errno;
	return NULL;
}

/* Wait until the vcpu reads Running (the RUN thread is in the guest loop). */
static void wait_running(struct axvm_vcpu *v)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (axvm_vcpu_get_state(v) == AXVCPU_STATE_RUNNING)
			return;
		msleep(10);
	}
	TEST_FAIL("vcpu never reads Running: state %d", axvm_vcpu_get_state(v));
}

TEST(pthread_kill_interrupts_run)
{
	struct spinner s = { 0 };
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	install_nop(SIGUSR1);
	s.vcpu = vcpu;
	TEST_ASSERT(!pthread_create(&s.thread, NULL, spin_thread, &s), "pthread_create");
	wait_running(vcpu);
	TEST_ASSERT(!pthread_kill(s.thread, SIGUSR1), "pthread_kill");
	TEST_ASSERT(!pthread_join(s.thread, NULL), "pthread_join");
	TEST_ASSERT(s.ret == -1 && s.err == EINTR, "RUN: ret %ld errno %d (%s)",
		    s.ret, s.err, errno_name(s.err));
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_INTR);
	vcpu_assert_state(vcpu, AXVCPU_STATE_READY);
	test_vm_free(vm);
}

TEST(busy_while_running)
{
	struct axvcpu_vcpu_setup setup = { .entry = GUEST_ENTRY };
	struct spinner s = { 0 };
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 v;

	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	install_nop(SIGUSR1);
	s.vcpu = vcpu;
	TEST_ASSERT(!pthread_create(&s.thread, NULL, spin_thread, &s), "pthread_create");
	wait_running(vcpu);
	/* GET_STATE never blocks: Running.  Everything else: -EBUSY, no change. */
	vcpu_assert_state(vcpu, AXVCPU_STATE_RUNNING);
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EBUSY);
	TEST_ASSERT_SYSCALL_ERR(__vcpu_unbind(vcpu), EBUSY);
	TEST_ASSERT_SYSCALL_ERR(__vcpu_bind(vcpu), EBUSY);
	TEST_ASSERT_SYSCALL_ERR(__vcpu_setup(vcpu, &setup), EBUSY);
	TEST_ASSERT_RET(axvm_vcpu_set_gpr(vcpu, 0, 1), -EBUSY);
	TEST_ASSERT_RET(axvm_vcpu_get_gpr(vcpu, 0, &v), -EBUSY);
	TEST_ASSERT_RET(axvm_vcpu_set_return_value(vcpu, 1), -EBUSY);
	vcpu_assert_state(vcpu, AXVCPU_STATE_RUNNING);
	/* INJECT_INTERRUPT does not wait for RUN: queued (vector 32 on both). */
	TEST_ASSERT_RET(axvm_vcpu_inject(vcpu, 32, 0, 0), 0);
	vcpu_assert_state(vcpu, AXVCPU_STATE_RUNNING);
	TEST_ASSERT(!pthread_kill(s.thread, SIGUSR1), "pthread_kill");
	TEST_ASSERT(!pthread_join(s.thread, NULL), "pthread_join");
	TEST_ASSERT(s.ret == -1 && s.err == EINTR, "RUN: ret %ld errno %d (%s)",
		    s.ret, s.err, errno_name(s.err));
	vcpu_assert_state(vcpu, AXVCPU_STATE_READY);
	test_vm_free(vm);
}

TEST(exit_stats)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 e0, h0;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	e0 = vcpu->run->stats.entries;
	h0 = vcpu->run->stats.exits[AXVCPU_EXIT_HYPERCALL];
	for (i = 0; i < 5; i++)
		vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->stats.exits[AXVCPU_EXIT_HYPERCALL] == h0 + 5,
		    "hypercall exits %llu -> %llu after 5",
		    (unsigned long long)h0,
		    (unsigned long long)vcpu->run->stats.exits[AXVCPU_EXIT_HYPERCALL]);
	TEST_ASSERT(vcpu->run->stats.entries >= e0 + 5, "entries %llu -> %llu",
		    (unsigned long long)e0,
		    (unsigned long long)vcpu->run->stats.entries);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
