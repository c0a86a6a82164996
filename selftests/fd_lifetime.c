// SPDX-License-Identifier: GPL-2.0
/*
 * fd_lifetime - fds hold references: closing the VM fd before the vcpu fds,
 * closing a vcpu fd while its run page is mapped, exiting or being killed
 * mid-RUN all free everything; then the module's refcount is 0 and
 * virtualization is off (enabled_cpus empty).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

#define REFCNT_WAIT_MS	5000

/* Nothing of ours is open: refcnt 0 (within a bounded wait), all CPUs off. */
static void assert_all_freed(void)
{
	char buf[64];

	TEST_ASSERT(wait_refcnt_zero(REFCNT_WAIT_MS, buf, sizeof(buf)),
		    "%s is '%s' after %d ms, expected 0", SYSFS_REFCNT, buf,
		    REFCNT_WAIT_MS);
	TEST_ASSERT_RET(read_sysfs(SYSFS_ENABLED_CPUS, buf, sizeof(buf)), 0);
	TEST_ASSERT(buf[0] == '\0', "enabled_cpus is '%s' with no VM", buf);
}

static void assert_refcnt_nonzero(void)
{
	char buf[64];

	TEST_ASSERT_RET(read_sysfs(SYSFS_REFCNT, buf, sizeof(buf)), 0);
	TEST_ASSERT(strcmp(buf, "0"), "refcnt 0 while fds are open");
}

TEST(vm_fd_closed_first)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	axvm_vm_close(&vm->vm);
	close(vm->sys_fd);
	vm->sys_fd = -1;
	assert_refcnt_nonzero();
	/* The vcpu keeps its VM: memory, nested page tables and all. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(vcpu->run->hypercall.nr, HCALL_LOOP_NR);
	vcpu_unbind(vcpu);
	vcpu_bind(vcpu);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	test_vm_free(vm);
	assert_all_freed();
}

TEST(vcpu_fd_closed_while_mapped)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	run = vcpu->run;
	close(vcpu->fd);
	vcpu->fd = -1;
	axvm_vm_close(&vm->vm);
	close(vm->sys_fd);
	vm->sys_fd = -1;
	/* Only the mapping holds the vcpu now; it stays readable. */
	TEST_ASSERT_EQ(run->exit_reason, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(run->hypercall.nr, HCALL_LOOP_NR);
	run->hypercall.ret = 7;
	TEST_ASSERT_EQ(run->hypercall.ret, 7);
	assert_refcnt_nonzero();
	munmap(run, AXVCPU_RUN_SIZE);
	vcpu->run = NULL;
	test_vm_free(vm);
	assert_all_freed();
}

static void *run_until_signal(void *arg)
{
	struct axvm_vcpu *v = arg;

	__vcpu_run(v);
	return NULL;
}

static void nop_handler(int sig)
{
}

TEST(vm_fd_closed_while_running)
{
	struct sigaction sa = { .sa_handler = nop_handler };
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	pthread_t th;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	TEST_ASSERT(!pthread_create(&th, NULL, run_until_signal, vcpu), "pthread_create");
	for (i = 0; i < 500 && axvm_vcpu_get_state(vcpu) != AXVCPU_STATE_RUNNING; i++)
		usleep(10000);
	vcpu_assert_state(vcpu, AXVCPU_STATE_RUNNING);
	axvm_vm_close(&vm->vm);
	close(vm->sys_fd);
	vm->sys_fd = -1;
	usleep(100000);
	vcpu_assert_state(vcpu, AXVCPU_STATE_RUNNING);
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_INTR);
	vcpu_assert_state(vcpu, AXVCPU_STATE_READY);
	test_vm_free(vm);
	assert_all_freed();
}

TEST(process_exit_with_fds_open)
{
	int status;
	pid_t pid;

	assert_all_freed();
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		struct test_vm t;

		TEST_VM_WITH(&t, guest_hcall_loop);
		vcpu_run(&t.vcpu);
		vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
		_exit(0);	/* no close, no munmap */
	}
	TEST_ASSERT_SYSCALL_OK(waitpid(pid, &status, 0));
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "child status %#x", status);
	assert_all_freed();
}

TEST(process_killed_mid_run)
{
	int status, pfd[2];
	char c = 0;
	pid_t pid;

	assert_all_freed();
	TEST_ASSERT_SYSCALL_OK(pipe(pfd));
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		struct test_vm t;

		close(pfd[0]);
		TEST_VM_WITH(&t, guest_spin);
		/* A second vcpu, not running, with its page mapped. */
		struct axvm_vcpu v2;

		vcpu_create(&t.vm, &v2, 1);
		if (write(pfd[1], "r", 1) != 1)
			_exit(3);
		__vcpu_run(&t.vcpu);	/* spins until killed */
		_exit(2);
	}
	close(pfd[1]);
	TEST_ASSERT(read(pfd[0], &c, 1) == 1 && c == 'r',
		    "child did not reach RUN");
	usleep(300000);		/* let it enter the guest */
	TEST_ASSERT_SYSCALL_OK(kill(pid, SIGKILL));
	TEST_ASSERT_SYSCALL_OK(waitpid(pid, &status, 0));
	TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    "child was not killed by SIGKILL: status %#x (it left RUN?)",
		    status);
	assert_all_freed();
}

/*
 * A child of the VMM never reaches a vcpu's run page: it is not inherited,
 * and MADV_DOFORK cannot make it so.
 */
TEST(run_page_not_inherited_even_with_madv_dofork)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int fds[2], st;
	pid_t pid;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	TEST_ASSERT(madvise(vcpu->run, getpagesize(), MADV_DOFORK) == -1 &&
		    errno == EINVAL,
		    "MADV_DOFORK on the run page: %s, expected EINVAL",
		    strerror(errno));
	TEST_ASSERT_SYSCALL_OK(pipe(fds));
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		/* the page is not mapped here: the kernel's read of it fails */
		ssize_t n = write(fds[1], (void *)vcpu->run, 8);

		_exit(n == -1 && errno == EFAULT ? 0 : 1);
	}
	TEST_ASSERT_SYSCALL_OK(waitpid(pid, &st, 0));
	TEST_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "the child read the parent's run page (status %#x)", st);
	/* The parent's mapping still works. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	close(fds[0]);
	close(fds[1]);
	test_vm_free(vm);
}

TEST(many_vms_freed)
{
	struct test_vm t[4];
	int i;

	for (i = 0; i < 4; i++) {
		TEST_VM_WITH(&t[i], guest_hcall_loop);
		vcpu_run(&t[i].vcpu);
	}
	/* Free in a mixed order: vcpu of one, VM of another... */
	axvm_vcpu_close(&t[2].vcpu);
	axvm_vm_close(&t[0].vm);
	axvm_vm_close(&t[3].vm);
	vcpu_run(&t[0].vcpu);
	vcpu_assert_exit(&t[0].vcpu, AXVCPU_EXIT_HYPERCALL);
	for (i = 3; i >= 0; i--)
		test_vm_destroy(&t[i]);
	assert_all_freed();
}

TEST_HARNESS_MAIN
