// SPDX-License-Identifier: GPL-2.0
/*
 * Asserting helpers over libaxvm for the selftests.
 */
#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "axvcpu_util.h"

int open_dev(void)
{
	int fd = axvm_open(NULL);

	TEST_ASSERT(fd >= 0, "open(%s) = %d (%s): is the module loaded?",
		    AXVM_DEV_PATH, fd, errno_name(-fd));
	return fd;
}

void vm_create(struct axvm_vm *vm, int sys_fd)
{
	int r = axvm_vm_create(vm, sys_fd);

	TEST_ASSERT(r == 0, "AXVCPU_CREATE_VM: %d (%s)", r, errno_name(-r));
}

void vm_set_region(struct axvm_vm *vm, __u32 slot, __u32 flags, __u64 gpa,
		   __u64 size, void *hva)
{
	int r = axvm_set_memory_region(vm, slot, flags, gpa, size, hva);

	TEST_ASSERT(r == 0,
		    "SET_MEMORY_REGION slot %u flags %#x gpa %#llx size %#llx hva %p: %d (%s)",
		    slot, flags, (unsigned long long)gpa,
		    (unsigned long long)size, hva, r, errno_name(-r));
}

void vcpu_create(struct axvm_vm *vm, struct axvm_vcpu *vcpu, __u32 id)
{
	struct axvcpu_vcpu_create cfg = { 0 };
	int r;

	vcpu_arch_create_cfg(&cfg, id);
	r = axvm_vcpu_create(vm, vcpu, id, &cfg);
	TEST_ASSERT(r == 0, "CREATE_VCPU %u (+ mmap run): %d (%s)", id, r,
		    errno_name(-r));
}

void vcpu_setup(struct axvm_vcpu *vcpu, __u64 entry)
{
	int r = _vcpu_setup(vcpu, entry);

	TEST_ASSERT(r == 0, "SETUP entry %#llx: %d (%s)",
		    (unsigned long long)entry, r, errno_name(-r));
}

void vcpu_bind(struct axvm_vcpu *vcpu)
{
	int r = _vcpu_bind(vcpu);

	TEST_ASSERT(r == 0, "BIND: %d (%s)", r, errno_name(-r));
}

void vcpu_unbind(struct axvm_vcpu *vcpu)
{
	int r = _vcpu_unbind(vcpu);

	TEST_ASSERT(r == 0, "UNBIND: %d (%s)", r, errno_name(-r));
}

int _vcpu_run(struct axvm_vcpu *vcpu)
{
	int r;

	do {
		r = axvm_vcpu_run(vcpu);
		/*
		 * -EINTR with exit INTR: a signal ended RUN before the guest
		 * exited.  Unless the test set immediate_exit (which ends
		 * every RUN so), the guest has not done what the test waits
		 * for yet: run it again, as KVM's _vcpu_run() does.
		 */
	} while (r == -EINTR && vcpu->run->exit_reason == AXVCPU_EXIT_INTR &&
		 !vcpu->run->immediate_exit);
	return r;
}

/* RUN returned @r: it must be 0; else print the exit and the guest PC. */
static void assert_run_ok(struct axvm_vcpu *vcpu, int r)
{
	TEST_ASSERT(r == 0, "RUN: %d (%s), exit %u (%s) hw_reason %#llx qual %#llx rip %#llx",
		    r, errno_name(-r), vcpu->run->exit_reason,
		    axvm_exit_name(vcpu->run->exit_reason),
		    (unsigned long long)vcpu->run->hw_reason,
		    (unsigned long long)vcpu->run->hw_qualification,
		    (unsigned long long)vcpu->run->hw_rip);
}

void vcpu_run(struct axvm_vcpu *vcpu)
{
	assert_run_ok(vcpu, _vcpu_run(vcpu));
}

__u32 vcpu_get_state(struct axvm_vcpu *vcpu)
{
	int r = axvm_vcpu_get_state(vcpu);

	TEST_ASSERT(r >= 0, "GET_STATE: %d (%s)", r, errno_name(-r));
	return r;
}

void vcpu_set_gpr(struct axvm_vcpu *vcpu, __u32 index, __u64 value)
{
	int r = axvm_vcpu_set_gpr(vcpu, index, value);

	TEST_ASSERT(r == 0, "SET_GPR %u = %#llx: %d (%s)", index,
		    (unsigned long long)value, r, errno_name(-r));
}

__u64 vcpu_get_gpr(struct axvm_vcpu *vcpu, __u32 index)
{
	__u64 v = 0;
	int r = axvm_vcpu_get_gpr(vcpu, index, &v);

	TEST_ASSERT(r == 0, "GET_GPR %u: %d (%s)", index, r, errno_name(-r));
	return v;
}

void __vcpu_assert_state(const char *file, int line, struct axvm_vcpu *vcpu,
			 __u32 expect)
{
	int r = axvm_vcpu_get_state(vcpu);

	if (r != (int)expect)
		test_assert_fail(file, line, "vcpu_assert_state", r < 0 ? -r : 0,
				 "GET_STATE: got %d (%s), expected %u (%s)", r,
				 r < 0 ? errno_name(-r) : axvm_state_name(r),
				 expect, axvm_state_name(expect));
}

void __vcpu_assert_exit(const char *file, int line, struct axvm_vcpu *vcpu,
			__u32 expect)
{
	struct axvcpu_run *run = vcpu->run;

	if (run->exit_reason != expect)
		test_assert_fail(file, line, "vcpu_assert_exit", 0,
				 "exit %u (%s), expected %u (%s); hw_reason %#llx qual %#llx extra %#llx rip %#llx%s%u",
				 run->exit_reason,
				 axvm_exit_name(run->exit_reason), expect,
				 axvm_exit_name(expect),
				 (unsigned long long)run->hw_reason,
				 (unsigned long long)run->hw_qualification,
				 (unsigned long long)run->hw_extra,
				 (unsigned long long)run->hw_rip,
				 run->exit_reason == AXVCPU_EXIT_INTERNAL_ERROR ?
				 " suberror " : "",
				 run->exit_reason == AXVCPU_EXIT_INTERNAL_ERROR ?
				 run->internal.suberror : 0);
}

static void alarm_handler(int sig)
{
	(void)sig;
}

void vcpu_run_timeout(struct axvm_vcpu *vcpu, unsigned int secs)
{
	struct sigaction sa;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alarm_handler;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
	/* No retry (libaxvm's RUN, -errno): the watchdog's -EINTR ends it. */
	r = axvm_vcpu_run(vcpu);
	alarm(0);
	TEST_ASSERT(r != -EINTR || vcpu->run->exit_reason != AXVCPU_EXIT_INTR,
		    "guest made no exit in %u s (RUN: %d (%s), pc %#llx)", secs,
		    r, errno_name(-r), (unsigned long long)vcpu->run->hw_rip);
	assert_run_ok(vcpu, r);
}

struct axvcpu_run *__assert_hcall(const char *file, int line,
				  struct axvm_vcpu *vcpu, __u64 nr)
{
	struct axvcpu_run *run = vcpu->run;

	__vcpu_assert_exit(file, line, vcpu, AXVCPU_EXIT_HYPERCALL);
	if (run->hypercall.nr != nr)
		test_assert_fail(file, line, "assert_hcall", 0,
				 "hypercall nr %#llx, expected %#llx (args %#llx %#llx %#llx %#llx %#llx) pc %#llx",
				 (unsigned long long)run->hypercall.nr,
				 (unsigned long long)nr,
				 (unsigned long long)run->hypercall.args[0],
				 (unsigned long long)run->hypercall.args[1],
				 (unsigned long long)run->hypercall.args[2],
				 (unsigned long long)run->hypercall.args[3],
				 (unsigned long long)run->hypercall.args[4],
				 (unsigned long long)run->hw_rip);
	return run;
}

struct test_vm *__vm_create_with_one_vcpu(struct axvm_vcpu **vcpu,
					  const void *code, size_t len)
{
	struct test_vm *vm = calloc(1, sizeof(*vm));

	TEST_ASSERT(vm, "calloc(struct test_vm)");
	test_vm_create(vm, code, code ? len : 0);
	*vcpu = &vm->vcpu;
	return vm;
}

void test_vm_free(struct test_vm *vm)
{
	if (!vm)
		return;
	test_vm_destroy(vm);
	free(vm);
}

void vm_load_code(struct test_vm *vm, const void *code, size_t len)
{
	TEST_ASSERT(len <= GUEST_MEM_SIZE - (GUEST_ENTRY - GUEST_MEM_GPA),
		    "guest code too long: %zu", len);
	memcpy(vm->mem + (GUEST_ENTRY - GUEST_MEM_GPA), code, len);
}

void test_vm_create_created(struct test_vm *t, const void *code, size_t len)
{
	TEST_ASSERT(len <= GUEST_MEM_SIZE - (GUEST_ENTRY - GUEST_MEM_GPA),
		    "guest code too long: %zu", len);
	t->sys_fd = open_dev();
	vm_create(&t->vm, t->sys_fd);
	t->mem = axvm_mem_alloc(GUEST_MEM_SIZE);
	TEST_ASSERT(t->mem, "mmap guest memory");
	if (code)
		memcpy(t->mem + (GUEST_ENTRY - GUEST_MEM_GPA), code, len);
	vm_set_region(&t->vm, 0, 0, GUEST_MEM_GPA, GUEST_MEM_SIZE, t->mem);
	vcpu_create(&t->vm, &t->vcpu, 0);
	vcpu_assert_state(&t->vcpu, AXVCPU_STATE_CREATED);
}

void test_vm_create(struct test_vm *t, const void *code, size_t len)
{
	test_vm_create_created(t, code, len);
	vcpu_setup(&t->vcpu, GUEST_ENTRY);
	vcpu_bind(&t->vcpu);
	vcpu_assert_state(&t->vcpu, AXVCPU_STATE_READY);
}

void test_vm_destroy(struct test_vm *t)
{
	axvm_vcpu_close(&t->vcpu);
	axvm_vm_close(&t->vm);
	axvm_mem_free(t->mem, GUEST_MEM_SIZE);
	t->mem = NULL;
	if (t->sys_fd >= 0)
		close(t->sys_fd);
	t->sys_fd = -1;
}

void *guest_ptr(struct test_vm *t, __u64 gpa)
{
	TEST_ASSERT(gpa >= GUEST_MEM_GPA && gpa < GUEST_MEM_GPA + GUEST_MEM_SIZE,
		    "gpa %#llx outside the test slot", (unsigned long long)gpa);
	return t->mem + (gpa - GUEST_MEM_GPA);
}

int read_sysfs(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int write_sysfs(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

int cpulist_count(const char *list)
{
	const char *p = list;
	int count = 0;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;

		if (end == p || a < 0)
			return -1;
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			b = strtol(p, &end, 10);
			if (end == p || b < a)
				return -1;
			p = end;
		}
		count += b - a + 1;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return count;
}

void online_cpus(char *buf, size_t len)
{
	int r = read_sysfs("/sys/devices/system/cpu/online", buf, len);

	TEST_ASSERT(r == 0, "read /sys/devices/system/cpu/online: %d", r);
}

bool wait_refcnt_zero(int ms, char *last, size_t len)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int waited;

	for (waited = 0; ; waited += 10) {
		int r = read_sysfs(SYSFS_REFCNT, last, len);

		if (r == 0 && !strcmp(last, "0"))
			return true;
		if (r)
			snprintf(last, len, "<read error %d>", r);
		if (waited >= ms)
			return false;
		nanosleep(&ts, NULL);
	}
}

long module_load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -1;
	r = syscall(__NR_finit_module, fd, params, 0);
	close(fd);
	return r;
}

long module_delete(const char *name, int flags)
{
	return syscall(__NR_delete_module, name, flags);
}

__u64 eventfd_take(int fd)
{
	__u64 n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;	/* EAGAIN on a non-blocking one: nothing */
	return n;
}
