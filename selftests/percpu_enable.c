// SPDX-License-Identifier: GPL-2.0
/*
 * percpu_enable - virtualization is on, on every online CPU, exactly while a
 * VM exists (enabled_cpus asks each CPU's hardware), follows CPU hotplug
 * while a VM is alive, and a guest runs on every CPU, also after a vcpu
 * moves between CPUs.
 */
#include <sched.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

static void enabled_cpus(char *buf, size_t len)
{
	int r = read_sysfs(SYSFS_ENABLED_CPUS, buf, len);

	TEST_ASSERT(r == 0, "read %s: %d (%s)", SYSFS_ENABLED_CPUS, r,
		    errno_name(-r));
}

#define ASSERT_ENABLED(expect) do {					\
	char __b[256];							\
	enabled_cpus(__b, sizeof(__b));					\
	TEST_ASSERT(!strcmp(__b, (expect)),				\
		    "enabled_cpus is '%s', expected '%s'", __b, (expect)); \
} while (0)

static void wait_no_users(void)
{
	char buf[64];

	TEST_ASSERT(wait_refcnt_zero(5000, buf, sizeof(buf)),
		    "module refcnt '%s': someone holds axvcpu fds", buf);
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
	TEST_ASSERT(sched_getcpu() == cpu, "on cpu %d, wanted %d",
		    sched_getcpu(), cpu);
}

/* RUN the hypercall loop guest once on @cpu. */
static void run_on_cpu(struct test_vm *t, int cpu)
{
	pin_to_cpu(cpu);
	vcpu_run(&t->vcpu);
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(t->vcpu.run->hypercall.nr, HCALL_LOOP_NR);
}

TEST(off_without_vm)
{
	int fd;

	wait_no_users();
	ASSERT_ENABLED("");
	/* Opening the device is not creating a VM. */
	fd = open_dev();
	ASSERT_ENABLED("");
	close(fd);
	ASSERT_ENABLED("");
}

TEST(on_at_first_vm_off_after_last)
{
	char online[256];
	struct axvm_vm vm;
	int fd;

	wait_no_users();
	online_cpus(online, sizeof(online));
	fd = open_dev();
	vm_create(&vm, fd);
	ASSERT_ENABLED(online);
	close(fd);		/* the system fd is not a VM reference */
	ASSERT_ENABLED(online);
	axvm_vm_close(&vm);
	ASSERT_ENABLED("");
	/* And on again for the next VM. */
	fd = open_dev();
	vm_create(&vm, fd);
	ASSERT_ENABLED(online);
	axvm_vm_close(&vm);
	close(fd);
	ASSERT_ENABLED("");
}

TEST(vcpu_fd_holds_vm)
{
	char online[256];
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	wait_no_users();
	online_cpus(online, sizeof(online));
	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	axvm_vm_close(&vm->vm);
	close(vm->sys_fd);
	vm->sys_fd = -1;
	ASSERT_ENABLED(online);
	close(vcpu->fd);
	vcpu->fd = -1;
	/* The run page mapping is a reference too. */
	ASSERT_ENABLED(online);
	test_vm_free(vm);
	ASSERT_ENABLED("");
}

TEST(two_vms)
{
	char online[256];
	struct axvm_vm a, b;
	int fd;

	wait_no_users();
	online_cpus(online, sizeof(online));
	fd = open_dev();
	vm_create(&a, fd);
	vm_create(&b, fd);
	ASSERT_ENABLED(online);
	axvm_vm_close(&a);
	ASSERT_ENABLED(online);
	axvm_vm_close(&b);
	ASSERT_ENABLED("");
	close(fd);
}

TEST(guest_runs_on_every_cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int cpu, round;

	if (n < 2)
		SKIP(return, "needs 2 online CPUs, have %ld", n);
	/* BIND on one CPU, RUN on each in turn: the vcpu moves. */
	pin_to_cpu(0);
	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	for (round = 0; round < 3; round++)
		for (cpu = 0; cpu < n; cpu++)
			run_on_cpu(vm, cpu);
	/* UNBIND on one CPU, BIND and RUN on another. */
	pin_to_cpu(1);
	vcpu_unbind(vcpu);
	pin_to_cpu(0);
	vcpu_bind(vcpu);
	run_on_cpu(vm, 1);
	run_on_cpu(vm, 0);
	test_vm_free(vm);
}

static void cpu1_online_atexit(void)
{
	write_sysfs(CPU1_ONLINE, "1");
}

TEST(cpu_hotplug_with_vm)
{
	char online[256], buf[16];
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int r;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    read_sysfs(CPU1_ONLINE, buf, sizeof(buf)))
		SKIP(return, "needs cpu1 with %s", CPU1_ONLINE);
	wait_no_users();
	atexit(cpu1_online_atexit);
	online_cpus(online, sizeof(online));
	TEST_ASSERT(!strcmp(online, "0-1"), "online CPUs '%s', expected 0-1", online);

	pin_to_cpu(0);
	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	ASSERT_ENABLED("0-1");
	run_on_cpu(vm, 1);

	r = write_sysfs(CPU1_ONLINE, "0");
	TEST_ASSERT(r == 0, "offline cpu1: %d (%s)", r, errno_name(-r));
	ASSERT_ENABLED("0");
	run_on_cpu(vm, 0);

	r = write_sysfs(CPU1_ONLINE, "1");
	TEST_ASSERT(r == 0, "online cpu1: %d (%s)", r, errno_name(-r));
	ASSERT_ENABLED("0-1");
	run_on_cpu(vm, 1);
	run_on_cpu(vm, 0);
	/* A VM created now also runs everywhere. */
	test_vm_free(vm);
	ASSERT_ENABLED("");
	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	run_on_cpu(vm, 1);
	run_on_cpu(vm, 0);
	test_vm_free(vm);
	ASSERT_ENABLED("");
}

TEST(cpu_hotplug_without_vm)
{
	char buf[16];
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int r;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    read_sysfs(CPU1_ONLINE, buf, sizeof(buf)))
		SKIP(return, "needs cpu1 with %s", CPU1_ONLINE);
	wait_no_users();
	atexit(cpu1_online_atexit);
	r = write_sysfs(CPU1_ONLINE, "0");
	TEST_ASSERT(r == 0, "offline cpu1: %d (%s)", r, errno_name(-r));
	ASSERT_ENABLED("");
	/* A VM created with cpu1 offline... */
	pin_to_cpu(0);
	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	ASSERT_ENABLED("0");
	/* ...gets cpu1 when it comes back. */
	r = write_sysfs(CPU1_ONLINE, "1");
	TEST_ASSERT(r == 0, "online cpu1: %d (%s)", r, errno_name(-r));
	ASSERT_ENABLED("0-1");
	run_on_cpu(vm, 1);
	test_vm_free(vm);
	ASSERT_ENABLED("");
}

TEST_HARNESS_MAIN
