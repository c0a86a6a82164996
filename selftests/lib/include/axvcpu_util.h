/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftest library over libaxvm, in the KVM selftests' shape.
 *
 * Creating: vm_create_with_one_vcpu() gives a VM with one slot of guest
 * memory, the guest code at GUEST_ENTRY and vcpu 0 Ready; test_vm_free()
 * closes it.  axvcpu_test_harness.h wraps the two in a kselftest fixture.
 *
 * Running, three levels (as KVM's vcpu_run/_vcpu_run/__vcpu_run):
 *   __vcpu_run(v)  the raw AXVCPU_RUN ioctl: -1 and errno on failure, no
 *		    retry.  For tests of RUN's own errors, an -EINTR
 *		    included (a signal the test sends on purpose; libaxvm's
 *		    axvm_vcpu_run() is the same ioctl returning -errno);
 *   _vcpu_run(v)   0 or -errno; an -EINTR the test did not ask for (a
 *		    signal caught with SA_RESTART off, with
 *		    run->immediate_exit clear) is retried, so a stray signal
 *		    does not end the run;
 *   vcpu_run(v)    _vcpu_run() that must succeed: prints the return
 *		    value, errno, the exit and the guest PC otherwise.
 * The same three levels exist for SETUP, BIND and UNBIND.
 *
 * Guests report back with ucall (ucall.h): one hypercall number, the
 * report's type and arguments in the following registers.  The per-arch
 * hooks are in vcpu_arch.h.
 */
#ifndef SELFTEST_AXVCPU_UTIL_H
#define SELFTEST_AXVCPU_UTIL_H

#include <stdbool.h>
#include <sys/ioctl.h>

#include "libaxvm.h"
#include "test_util.h"
#include "guest.h"
#include "vcpu_arch.h"

#define SYSFS_ENABLED_CPUS	"/sys/module/axvcpu/parameters/enabled_cpus"
#define SYSFS_REFCNT		"/sys/module/axvcpu/refcnt"

/* Raw ioctls. */
#define __sys_ioctl(fd, cmd, arg)	ioctl((fd), (cmd), (arg))
#define __vm_ioctl(vm, cmd, arg)	ioctl((vm)->fd, (cmd), (arg))
#define __vcpu_ioctl(v, cmd, arg)	ioctl((v)->fd, (cmd), (arg))
#define __vcpu_run(v)			ioctl((v)->fd, AXVCPU_RUN, 0)
#define __vcpu_setup(v, s)		ioctl((v)->fd, AXVCPU_SETUP, (s))
#define __vcpu_bind(v)			ioctl((v)->fd, AXVCPU_BIND, 0)
#define __vcpu_unbind(v)		ioctl((v)->fd, AXVCPU_UNBIND, 0)

/* Error-returning level (0 or -errno). */
int _vcpu_run(struct axvm_vcpu *vcpu);
#define _vcpu_setup(v, entry)		axvm_vcpu_setup((v), (entry), NULL)
#define _vcpu_bind(v)			axvm_vcpu_bind(v)
#define _vcpu_unbind(v)			axvm_vcpu_unbind(v)

/* Asserting level. */
int open_dev(void);
void vm_create(struct axvm_vm *vm, int sys_fd);
void vm_set_region(struct axvm_vm *vm, __u32 slot, __u32 flags, __u64 gpa,
		   __u64 size, void *hva);
void vcpu_create(struct axvm_vm *vm, struct axvm_vcpu *vcpu, __u32 id);
void vcpu_setup(struct axvm_vcpu *vcpu, __u64 entry);
void vcpu_bind(struct axvm_vcpu *vcpu);
void vcpu_unbind(struct axvm_vcpu *vcpu);
void vcpu_run(struct axvm_vcpu *vcpu);
__u32 vcpu_get_state(struct axvm_vcpu *vcpu);
void vcpu_set_gpr(struct axvm_vcpu *vcpu, __u32 index, __u64 value);
__u64 vcpu_get_gpr(struct axvm_vcpu *vcpu, __u32 index);

#define vcpu_assert_state(v, s)	__vcpu_assert_state(__FILE__, __LINE__, v, s)
void __vcpu_assert_state(const char *file, int line, struct axvm_vcpu *vcpu,
			 __u32 expect);
#define vcpu_assert_exit(v, r)	__vcpu_assert_exit(__FILE__, __LINE__, v, r)
void __vcpu_assert_exit(const char *file, int line, struct axvm_vcpu *vcpu,
			__u32 expect);

/**
 * struct test_vm - one VM, one slot of guest memory, one vcpu.
 * @sys_fd: /dev/axvcpu.
 * @vm: the VM.
 * @mem: host mapping of the slot (GUEST_MEM_SIZE bytes at GUEST_MEM_GPA).
 * @vcpu: vcpu 0.
 */
struct test_vm {
	int sys_fd;
	struct axvm_vm vm;
	unsigned char *mem;
	struct axvm_vcpu vcpu;
};

/**
 * __vm_create_with_one_vcpu() - a test VM with vcpu 0 Ready
 * @vcpu: set to the VM's vcpu 0.
 * @code: guest code copied to GUEST_ENTRY, or NULL for none (zeroed
 *	memory; load code later with vm_load_code()).
 * @len: bytes of @code.
 *
 * The VM has one slot (slot 0, GUEST_MEM_SIZE bytes at GUEST_MEM_GPA) and
 * vcpu 0, SETUP at GUEST_ENTRY and BOUND to the calling thread's CPU.
 * Every step asserts success.  Return: the VM, to be freed with
 * test_vm_free().
 */
struct test_vm *__vm_create_with_one_vcpu(struct axvm_vcpu **vcpu,
					  const void *code, size_t len);
/* The same with the guest code block @name (GUEST_CODE(name)). */
#define vm_create_with_one_vcpu(vcpu, name)				\
	__vm_create_with_one_vcpu((vcpu), name##_start, GUEST_CODE_LEN(name))
/* Close what vm_create_with_one_vcpu() made and free @vm; NULL is a no-op. */
void test_vm_free(struct test_vm *vm);
/* Copy @len bytes of guest code to GUEST_ENTRY (before the first RUN). */
void vm_load_code(struct test_vm *vm, const void *code, size_t len);

/* VM + slot 0 + @code at GUEST_ENTRY + vcpu 0 in state Created. */
void test_vm_create_created(struct test_vm *t, const void *code, size_t len);
/* The same, then SETUP(GUEST_ENTRY) and BIND: vcpu 0 is Ready. */
void test_vm_create(struct test_vm *t, const void *code, size_t len);
void test_vm_destroy(struct test_vm *t);
#define TEST_VM_WITH(t, name)	test_vm_create((t), name##_start, GUEST_CODE_LEN(name))

/*
 * RUN with a watchdog: a guest that never exits (an interrupt that is
 * never taken) makes RUN return -EINTR after @secs seconds, and the test
 * fails with a message instead of hanging.  Otherwise as vcpu_run().
 */
void vcpu_run_timeout(struct axvm_vcpu *vcpu, unsigned int secs);

/* Assert that the last exit is a hypercall with nr @nr; returns the run struct. */
#define assert_hcall(v, nr)	__assert_hcall(__FILE__, __LINE__, (v), (nr))
struct axvcpu_run *__assert_hcall(const char *file, int line,
				  struct axvm_vcpu *vcpu, __u64 nr);
/* vcpu_run() and expect a hypercall exit with nr @nr; returns the run struct. */
#define run_expect_hcall(v, nr)	({ vcpu_run(v); assert_hcall((v), (nr)); })
/* The same under vcpu_run_timeout(). */
#define run_expect_hcall_to(v, nr, secs)				\
	({ vcpu_run_timeout((v), (secs)); assert_hcall((v), (nr)); })

/* Host pointer to guest-physical @gpa inside the test slot. */
void *guest_ptr(struct test_vm *t, __u64 gpa);

/* sysfs: read @path into @buf without the trailing newline; -errno. */
int read_sysfs(const char *path, char *buf, size_t len);
int write_sysfs(const char *path, const char *val);
/* Number of CPUs in a cpu list such as "0-1,3"; -1 if malformed. */
int cpulist_count(const char *list);
/* The online CPUs as a list ("0-1"). */
void online_cpus(char *buf, size_t len);
/* The count an eventfd holds (read, so it drops to 0); 0 if none. */
__u64 eventfd_take(int fd);
/* Wait up to @ms for /sys/module/axvcpu/refcnt == 0; true if it is. */
bool wait_refcnt_zero(int ms, char *last, size_t len);

/*
 * Kernel modules, one syscall each (busybox insmod would retry with
 * init_module()): finit_module() of the file at @path with @params
 * ("" for none), delete_module() of @name; 0 or -1 with errno set.
 */
long module_load(const char *path, const char *params);
long module_delete(const char *name, int flags);

#endif /* SELFTEST_AXVCPU_UTIL_H */
