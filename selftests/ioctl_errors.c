// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_errors - every rejection of the system, VM and vcpu fds has its own
 * errno: unknown ioctls -ENOTTY, bad arguments -EINVAL, bad pointers -EFAULT,
 * duplicates -EEXIST, another process -EIO; CHECK_EXTENSION's values.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

/*
 * A user address that cannot be read: a PROT_NONE page kept mapped, so that
 * no later mmap (guest memory...) lands on it.
 */
static void *unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap");
	return p;
}

TEST(api_version)
{
	int fd = open_dev();

	TEST_ASSERT_EQ(TEST_ASSERT_SYSCALL_OK(ioctl(fd, AXVCPU_GET_API_VERSION, 0)),
		       AXVCPU_API_VERSION);
	TEST_ASSERT_SYSCALL_ERR(ioctl(fd, AXVCPU_GET_API_VERSION, 1), EINVAL);
	TEST_ASSERT_SYSCALL_ERR(ioctl(fd, AXVCPU_GET_API_VERSION, ~0UL), EINVAL);
	close(fd);
}

TEST(check_extension)
{
	int fd = open_dev();
	long bits;

#define CAP(c)	TEST_ASSERT_SYSCALL_OK(ioctl(fd, AXVCPU_CHECK_EXTENSION, (c)))
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_NR_VCPUS), AXVCPU_MAX_VCPUS);
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_NR_MEMSLOTS), AXVCPU_MAX_MEMSLOTS);
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_READONLY_MEM), 1);
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_IMMEDIATE_EXIT), 1);
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_RUN_SIZE), AXVCPU_RUN_SIZE);
#ifdef __x86_64__
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_ARCH), AXVCPU_ARCH_X86_64);
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_X86_WAIT_SIPI), 1);
#else
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_ARCH), AXVCPU_ARCH_ARM64);
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_X86_WAIT_SIPI), 0);
#endif
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_HALT_IN_KERNEL), 1);
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_STATS_FD), 1);
	bits = CAP(AXVCPU_CAP_MAX_GPA_BITS);
	TEST_ASSERT(bits >= 32 && bits <= 52, "MAX_GPA_BITS = %ld", bits);
	/* Unknown capabilities are 0, not an error. */
	TEST_ASSERT_EQ(CAP(0), 0);
	TEST_ASSERT_EQ(CAP(AXVCPU_CAP_STATS_FD + 1), 0);
	TEST_ASSERT_EQ(CAP(0x10000), 0);
	TEST_ASSERT_EQ(CAP(~0UL), 0);
#undef CAP
	close(fd);
}

TEST(create_vm_arg)
{
	int fd = open_dev();

	TEST_ASSERT_SYSCALL_ERR(ioctl(fd, AXVCPU_CREATE_VM, 1), EINVAL);
	TEST_ASSERT_SYSCALL_ERR(ioctl(fd, AXVCPU_CREATE_VM, ~0UL), EINVAL);
	close(fd);
}

/* ioctls that no fd knows: our type with unused numbers, and foreign ones. */
static const unsigned long unknown_ioctls[] = {
	_IO(AXVCPUIO, 0x7f),
	_IO(AXVCPUIO, 0x03),
	_IOW(AXVCPUIO, 0x10, __u64),	/* SET_MEMORY_REGION's nr, wrong size */
	_IO('k', 0x01),
	0x5401,				/* TCGETS */
};

static void assert_all_enotty(int fd, const char *what)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(unknown_ioctls); i++) {
		long r;

		errno = 0;
		r = ioctl(fd, unknown_ioctls[i], 0);
		TEST_ASSERT(r == -1 && errno == ENOTTY,
			    "%s fd: ioctl %#lx: ret %ld errno %d (%s), expected ENOTTY",
			    what, unknown_ioctls[i], r, errno, errno_name(errno));
	}
}

TEST(unknown_ioctl_enotty)
{
	struct test_vm t;

	test_vm_create_created(&t, NULL, 0);
	assert_all_enotty(t.sys_fd, "system");
	assert_all_enotty(t.vm.fd, "VM");
	assert_all_enotty(t.vcpu.fd, "vcpu");
	/* VM and vcpu ioctls on the system fd, and the other way round. */
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.sys_fd, AXVCPU_BIND, 0), ENOTTY);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_CREATE_VM, 0), ENOTTY);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_RUN, 0), ENOTTY);
	/* The vcpu is untouched by all of it. */
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_CREATED);
	test_vm_destroy(&t);
}

TEST(other_arch_regs_enotty)
{
	struct test_vm t;
	char buf[512];

	test_vm_create(&t, NULL, 0);
#ifdef __x86_64__
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_GET_ARM64_REGS, buf), ENOTTY);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SET_ARM64_REGS, buf), ENOTTY);
#else
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_GET_X86_REGS, buf), ENOTTY);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SET_X86_SREGS, buf), ENOTTY);
#endif
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_READY);
	test_vm_destroy(&t);
}

TEST(create_vcpu_errors)
{
	struct axvcpu_vcpu_create c = { 0 };
	struct axvm_vcpu v63;
	struct test_vm t;

	test_vm_create_created(&t, NULL, 0);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_CREATE_VCPU, NULL), EFAULT);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_CREATE_VCPU, unmapped_page()), EFAULT);
	c.vcpu_id = 1;
	c.flags = 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_CREATE_VCPU, &c), EINVAL);
	c.flags = 0x80000000;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_CREATE_VCPU, &c), EINVAL);
	c.flags = 0;
	c.vcpu_id = AXVCPU_MAX_VCPUS;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_CREATE_VCPU, &c), EINVAL);
	c.vcpu_id = ~0U;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_CREATE_VCPU, &c), EINVAL);
	/* vcpu 0 exists (test_vm). */
	c.vcpu_id = 0;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_CREATE_VCPU, &c), EEXIST);
	/* The highest id works, once; the failures above left nothing behind. */
	vcpu_create(&t.vm, &v63, AXVCPU_MAX_VCPUS - 1);
	c.vcpu_id = AXVCPU_MAX_VCPUS - 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_CREATE_VCPU, &c), EEXIST);
	vcpu_assert_state(&v63, AXVCPU_STATE_CREATED);
	axvm_vcpu_close(&v63);
	test_vm_destroy(&t);
}

TEST(bad_pointers_efault)
{
	struct test_vm t;
	void *bad;

	test_vm_create(&t, NULL, 0);
	bad = unmapped_page();
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_SET_MEMORY_REGION, NULL), EFAULT);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_SET_MEMORY_REGION, bad), EFAULT);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_GET_STATE, NULL), EFAULT);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_GET_STATE, bad), EFAULT);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SET_GPR, bad), EFAULT);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_GET_GPR, bad), EFAULT);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SET_RETURN_VALUE, bad), EFAULT);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_INJECT_INTERRUPT, bad), EFAULT);
	/* None of it is a life-cycle error. */
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_READY);
	test_vm_destroy(&t);
}

TEST(gpr_errors)
{
	struct axvcpu_gpr g = { 0 };
	struct test_vm t;

	test_vm_create(&t, NULL, 0);
	g.index = GPR_MAX + 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SET_GPR, &g), EINVAL);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_GET_GPR, &g), EINVAL);
	g.index = ~0U;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SET_GPR, &g), EINVAL);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_GET_GPR, &g), EINVAL);
	g.index = 0;
	g.pad = 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SET_GPR, &g), EINVAL);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_GET_GPR, &g), EINVAL);
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_READY);
	test_vm_destroy(&t);
}

TEST(gpr_roundtrip)
{
	struct test_vm t;
	__u32 i;

	test_vm_create(&t, NULL, 0);
	for (i = 0; i <= GPR_MAX; i++)
		vcpu_set_gpr(&t.vcpu, i, 0x0123456789abc000ULL | i);
	for (i = 0; i <= GPR_MAX; i++) {
		__u64 v = vcpu_get_gpr(&t.vcpu, i);
#ifdef __aarch64__
		if (i == 31) {	/* XZR: writes ignored, reads 0 */
			TEST_ASSERT(v == 0, "x31 (xzr) reads %#llx", (unsigned long long)v);
			continue;
		}
#endif
		TEST_ASSERT(v == (0x0123456789abc000ULL | i),
			    "gpr %u reads %#llx after writing %#llx", i,
			    (unsigned long long)v, 0x0123456789abc000ULL | i);
	}
	/* SET_RETURN_VALUE writes the return register. */
	TEST_ASSERT_RET(axvm_vcpu_set_return_value(&t.vcpu, 0xfeedfacecafebeefULL), 0);
	TEST_ASSERT_EQ(vcpu_get_gpr(&t.vcpu, GPR_RET), 0xfeedfacecafebeefULL);
	test_vm_destroy(&t);
}

TEST(inject_interrupt_errors)
{
	struct axvcpu_interrupt irq = { 0 };
	struct test_vm t;

	test_vm_create(&t, NULL, 0);
	irq.vector = 32;
	irq.flags = 1U << 3;	/* first unknown flag */
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
	irq.flags = 0x80000000;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
	irq.flags = 0;
	irq.pad = 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
	irq.pad = 0;
	irq.vector = 0x10000;	/* no such vector / INTID on either arch */
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
#ifdef __x86_64__
	irq.vector = 256;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
#else
	irq.vector = 1020;	/* INTIDs 1020..1023 are special */
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
#endif
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_READY);
	test_vm_destroy(&t);
}

TEST(mmap_run_errors)
{
	struct test_vm t;
	void *p;

	test_vm_create_created(&t, NULL, 0);
	TEST_ASSERT_SYSCALL_ERR(mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED, t.vcpu.fd, 4096), EINVAL);
	TEST_ASSERT_SYSCALL_ERR(mmap(NULL, 2 * AXVCPU_RUN_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED, t.vcpu.fd, 0), EINVAL);
	TEST_ASSERT_SYSCALL_ERR(mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ,
				     MAP_SHARED, t.vcpu.fd, 1UL << 20), EINVAL);
	/* A private (copy-on-write) map would stop sharing after a write. */
	TEST_ASSERT_SYSCALL_ERR(mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE, t.vcpu.fd, 0), EINVAL);
	/* The VM and system fds cannot be mapped at all. */
	p = mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ, MAP_SHARED, t.vm.fd, 0);
	TEST_ASSERT(p == MAP_FAILED, "mmap of the VM fd succeeded");
	/* A second, shorter mapping of the run page sees the same page. */
	p = mmap(NULL, 100, PROT_READ | PROT_WRITE, MAP_SHARED, t.vcpu.fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap 100 bytes at 0: errno %d (%s)",
		    errno, errno_name(errno));
	t.vcpu.run->hw_rip = 0x5a5a5a5a;
	TEST_ASSERT_EQ(((struct axvcpu_run *)p)->hw_rip, 0x5a5a5a5a);
	munmap(p, 100);
	test_vm_destroy(&t);
}

TEST(other_process_eio)
{
	struct test_vm t;
	int status;
	pid_t pid;

	test_vm_create(&t, NULL, 0);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		struct axvcpu_vcpu_create c = { .vcpu_id = 5 };
		__u32 state;

		/* Inherited fds, another mm: every VM and vcpu ioctl -EIO. */
		TEST_ASSERT_SYSCALL_ERR(ioctl(t.vm.fd, AXVCPU_CREATE_VCPU, &c), EIO);
		TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_RUN, 0), EIO);
		TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_UNBIND, 0), EIO);
		TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_GET_STATE, &state), EIO);
		/* Nor can it map the run page itself. */
		TEST_ASSERT_SYSCALL_ERR(mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ,
					     MAP_SHARED, t.vcpu.fd, 0), EIO);
		_exit(0);
	}
	TEST_ASSERT_SYSCALL_OK(waitpid(pid, &status, 0));
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "child: status %#x", status);

	/* The parent's run mapping is not inherited: touching it faults. */
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		*(volatile __u8 *)&t.vcpu.run->immediate_exit = 1;
		_exit(0);
	}
	TEST_ASSERT_SYSCALL_OK(waitpid(pid, &status, 0));
	TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
		    "child wrote the parent's run page: status %#x", status);
	TEST_ASSERT_EQ(t.vcpu.run->immediate_exit, 0);
	/* And the child changed nothing. */
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_READY);
	test_vm_destroy(&t);
}

TEST_HARNESS_MAIN
