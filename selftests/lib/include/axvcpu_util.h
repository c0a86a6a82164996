/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Selftest helpers over libaxvm.  Three levels per call, as in the KVM
 * selftests:
 *   __vcpu_run(v)  the raw ioctl: -1 and errno on failure;
 *   _vcpu_run(v)   the libaxvm call: 0 or -errno;
 *   vcpu_run(v)    asserts success and prints the return value and errno.
 */
#ifndef SELFTEST_AXVCPU_UTIL_H
#define SELFTEST_AXVCPU_UTIL_H

#include <stdbool.h>
#include <sys/ioctl.h>

#include "libaxvm.h"
#include "test_util.h"
#include "guest.h"

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

/* Error-returning level: libaxvm. */
#define _vcpu_run(v)			axvm_vcpu_run(v)
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

/* VM + slot 0 + @code at GUEST_ENTRY + vcpu 0 in state Created. */
void test_vm_create_created(struct test_vm *t, const void *code, size_t len);
/* The same, then SETUP(GUEST_ENTRY) and BIND: vcpu 0 is Ready. */
void test_vm_create(struct test_vm *t, const void *code, size_t len);
void test_vm_destroy(struct test_vm *t);
#define TEST_VM_WITH(t, name)	test_vm_create((t), name##_start, GUEST_CODE_LEN(name))

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

#endif /* SELFTEST_AXVCPU_UTIL_H */
