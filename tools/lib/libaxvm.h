/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libaxvm - a thin userspace library over the axvcpu ABI.
 *
 * Shared by the selftests and the axvm VMM so that no ioctl sequence is
 * written twice.  Every function returns >= 0 on success and -errno on
 * failure (errno is left set as well); nothing here prints or exits, so
 * callers decide what an error means.  The raw ioctls remain available on
 * the fds in struct axvm_vm / struct axvm_vcpu.
 */
#ifndef LIBAXVM_H
#define LIBAXVM_H

#include <stddef.h>
#include <linux/types.h>
#include <axvcpu.h>

#define AXVM_DEV_PATH	"/dev/axvcpu"

/**
 * struct axvm_vm - a VM.
 * @sys_fd: the /dev/axvcpu fd it was created from (not owned).
 * @fd: the VM fd, or -1.
 */
struct axvm_vm {
	int sys_fd;
	int fd;
};

/**
 * struct axvm_vcpu - a vcpu of a VM.
 * @vm: its VM.
 * @fd: the vcpu fd, or -1.
 * @id: vcpu id in the VM.
 * @run: the mmapped struct axvcpu_run, or NULL.
 */
struct axvm_vcpu {
	struct axvm_vm *vm;
	int fd;
	__u32 id;
	struct axvcpu_run *run;
};

/* System fd. */
int axvm_open(const char *path);
int axvm_api_version(int sys_fd);
long axvm_check_extension(int sys_fd, unsigned long cap);

/* VM. */
int axvm_vm_create(struct axvm_vm *vm, int sys_fd);
void axvm_vm_close(struct axvm_vm *vm);
int axvm_set_memory_region(struct axvm_vm *vm, __u32 slot, __u32 flags,
			   __u64 gpa, __u64 size, void *hva);
void *axvm_mem_alloc(size_t size);
void axvm_mem_free(void *hva, size_t size);

/* vcpu. */
int axvm_vcpu_create(struct axvm_vm *vm, struct axvm_vcpu *vcpu, __u32 id,
		     const struct axvcpu_vcpu_create *cfg);
int axvm_vcpu_map_run(struct axvm_vcpu *vcpu);
void axvm_vcpu_close(struct axvm_vcpu *vcpu);
int axvm_vcpu_setup(struct axvm_vcpu *vcpu, __u64 entry,
		    const struct axvcpu_vcpu_setup *cfg);
int axvm_vcpu_bind(struct axvm_vcpu *vcpu);
int axvm_vcpu_unbind(struct axvm_vcpu *vcpu);
int axvm_vcpu_run(struct axvm_vcpu *vcpu);
int axvm_vcpu_get_state(struct axvm_vcpu *vcpu);
int axvm_vcpu_set_gpr(struct axvm_vcpu *vcpu, __u32 index, __u64 value);
int axvm_vcpu_get_gpr(struct axvm_vcpu *vcpu, __u32 index, __u64 *value);
int axvm_vcpu_set_return_value(struct axvm_vcpu *vcpu, __u64 value);
int axvm_vcpu_inject(struct axvm_vcpu *vcpu, __u32 vector, __u32 flags,
		     __u32 error_code);
int axvm_vcpu_ioctl(struct axvm_vcpu *vcpu, unsigned long cmd, void *arg);
/* AXVCPU_IOEVENTFD / AXVCPU_IRQFD (vcpu 0..; flags as the uapi says). */
int axvm_vm_ioeventfd(struct axvm_vm *vm, __u64 addr, __u32 len, int fd,
		      __u32 flags, __u64 datamatch);
int axvm_vm_irqfd(struct axvm_vm *vm, int fd, __u32 vcpu_id, __u32 vector,
		  __u32 flags);

/**
 * struct axvm_stats - a VM's or vcpu's stats fd (AXVCPU_GET_STATS_FD), read.
 * @fd: the stats fd, or -1.
 * @id: its id string ("axvcpu-vm-1-vcpu-0").
 * @n: statistics.
 * @desc: their descriptors, @stride bytes each (name at ->name).
 * @stride: sizeof(struct axvcpu_stats_desc) + the header's name_size.
 * @values: their values, after axvm_stats_read().
 * @data_offset: where the values are in the fd.
 */
struct axvm_stats {
	int fd;
	char id[AXVCPU_STATS_NAME_SIZE];
	unsigned int n;
	unsigned char *desc;
	size_t stride;
	__u64 *values;
	__u32 data_offset;
};

/* @obj_fd: a VM or vcpu fd.  0, or -errno (the module has no stats fd...). */
int axvm_stats_open(int obj_fd, struct axvm_stats *st);
int axvm_stats_read(struct axvm_stats *st);	/* the values, now */
const struct axvcpu_stats_desc *axvm_stats_desc(const struct axvm_stats *st,
						unsigned int i);
/* The value of the statistic named @name (after axvm_stats_read()), or -1. */
long long axvm_stats_get(const struct axvm_stats *st, const char *name);
void axvm_stats_close(struct axvm_stats *st);

/* Names for printing. */
const char *axvm_exit_name(__u32 exit_reason);
const char *axvm_state_name(__u32 state);
const char *axvm_builtin_name(__u32 builtin);	/* AXVCPU_BUILTIN_* */

#endif /* LIBAXVM_H */
