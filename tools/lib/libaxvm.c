// SPDX-License-Identifier: GPL-2.0
/*
 * libaxvm - a thin userspace library over the axvcpu ABI.  See libaxvm.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "libaxvm.h"

/* ioctl() wrapper: the result, or -errno. */
static long xioctl(int fd, unsigned long cmd, unsigned long arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

int axvm_open(const char *path)
{
	int fd = open(path ? path : AXVM_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int axvm_api_version(int sys_fd)
{
	return xioctl(sys_fd, AXVCPU_GET_API_VERSION, 0);
}

long axvm_check_extension(int sys_fd, unsigned long cap)
{
	return xioctl(sys_fd, AXVCPU_CHECK_EXTENSION, cap);
}

int axvm_vm_create(struct axvm_vm *vm, int sys_fd)
{
	long r = xioctl(sys_fd, AXVCPU_CREATE_VM, 0);

	vm->sys_fd = sys_fd;
	vm->fd = r < 0 ? -1 : (int)r;
	return r < 0 ? (int)r : 0;
}

void axvm_vm_close(struct axvm_vm *vm)
{
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
}

int axvm_set_memory_region(struct axvm_vm *vm, __u32 slot, __u32 flags,
			   __u64 gpa, __u64 size, void *hva)
{
	struct axvcpu_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (__u64)(unsigned long)hva,
	};

	return xioctl(vm->fd, AXVCPU_SET_MEMORY_REGION, (unsigned long)&r);
}

/* Page-aligned, zeroed, private anonymous memory for guest RAM; NULL on error. */
void *axvm_mem_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void axvm_mem_free(void *hva, size_t size)
{
	if (hva)
		munmap(hva, size);
}

int axvm_vcpu_map_run(struct axvm_vcpu *vcpu)
{
	void *p = mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, vcpu->fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	vcpu->run = p;
	return 0;
}

/*
 * Create vcpu @id (zero create config when @cfg is NULL) and map its run
 * struct.  On failure nothing is left open.
 */
int axvm_vcpu_create(struct axvm_vm *vm, struct axvm_vcpu *vcpu, __u32 id,
		     const struct axvcpu_vcpu_create *cfg)
{
	struct axvcpu_vcpu_create c;
	long r;

	if (cfg)
		c = *cfg;
	else
		memset(&c, 0, sizeof(c));
	c.vcpu_id = id;

	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->run = NULL;
	r = xioctl(vm->fd, AXVCPU_CREATE_VCPU, (unsigned long)&c);
	if (r < 0) {
		vcpu->fd = -1;
		return r;
	}
	vcpu->fd = r;
	r = axvm_vcpu_map_run(vcpu);
	if (r < 0) {
		int e = errno;

		close(vcpu->fd);
		vcpu->fd = -1;
		errno = e;
	}
	return r;
}

void axvm_vcpu_close(struct axvm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, AXVCPU_RUN_SIZE);
	vcpu->run = NULL;
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->fd = -1;
}

int axvm_vcpu_setup(struct axvm_vcpu *vcpu, __u64 entry,
		    const struct axvcpu_vcpu_setup *cfg)
{
	struct axvcpu_vcpu_setup s;

	if (cfg)
		s = *cfg;
	else
		memset(&s, 0, sizeof(s));
	s.entry = entry;
	return xioctl(vcpu->fd, AXVCPU_SETUP, (unsigned long)&s);
}

int axvm_vcpu_bind(struct axvm_vcpu *vcpu)
{
	return xioctl(vcpu->fd, AXVCPU_BIND, 0);
}

int axvm_vcpu_unbind(struct axvm_vcpu *vcpu)
{
	return xioctl(vcpu->fd, AXVCPU_UNBIND, 0);
}

int axvm_vcpu_run(struct axvm_vcpu *vcpu)
{
	return xioctl(vcpu->fd, AXVCPU_RUN, 0);
}

/* The AXVCPU_STATE_* value, or -errno. */
int axvm_vcpu_get_state(struct axvm_vcpu *vcpu)
{
	__u32 state = ~0U;
	long r = xioctl(vcpu->fd, AXVCPU_GET_STATE, (unsigned long)&state);

	return r < 0 ? (int)r : (int)state;
}

int axvm_vcpu_set_gpr(struct axvm_vcpu *vcpu, __u32 index, __u64 value)
{
	struct axvcpu_gpr g = { .index = index, .value = value };

	return xioctl(vcpu->fd, AXVCPU_SET_GPR, (unsigned long)&g);
}

int axvm_vcpu_get_gpr(struct axvm_vcpu *vcpu, __u32 index, __u64 *value)
{
	struct axvcpu_gpr g = { .index = index };
	long r = xioctl(vcpu->fd, AXVCPU_GET_GPR, (unsigned long)&g);

	if (r >= 0)
		*value = g.value;
	return r;
}

int axvm_vcpu_set_return_value(struct axvm_vcpu *vcpu, __u64 value)
{
	return xioctl(vcpu->fd, AXVCPU_SET_RETURN_VALUE, (unsigned long)&value);
}

int axvm_vcpu_inject(struct axvm_vcpu *vcpu, __u32 vector, __u32 flags,
		     __u32 error_code)
{
	struct axvcpu_interrupt i = {
		.vector = vector,
		.flags = flags,
		.error_code = error_code,
	};

	return xioctl(vcpu->fd, AXVCPU_INJECT_INTERRUPT, (unsigned long)&i);
}

int axvm_vm_ioeventfd(struct axvm_vm *vm, __u64 addr, __u32 len, int fd,
		      __u32 flags, __u64 datamatch)
{
	struct axvcpu_ioeventfd a = {
		.addr = addr, .len = len, .fd = fd, .flags = flags,
		.datamatch = datamatch,
	};

	return xioctl(vm->fd, AXVCPU_IOEVENTFD, (unsigned long)&a);
}

int axvm_vm_irqfd(struct axvm_vm *vm, int fd, __u32 vcpu_id, __u32 vector,
		  __u32 flags)
{
	struct axvcpu_irqfd a = {
		.fd = fd, .vcpu_id = vcpu_id, .vector = vector, .flags = flags,
	};

	return xioctl(vm->fd, AXVCPU_IRQFD, (unsigned long)&a);
}

int axvm_vcpu_ioctl(struct axvm_vcpu *vcpu, unsigned long cmd, void *arg)
{
	return xioctl(vcpu->fd, cmd, (unsigned long)arg);
}

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct name {
	__u32 value;
	const char *name;
};

static const struct name exit_names[] = AXVCPU_EXIT_NAMES;
static const struct name builtin_names[] = AXVCPU_BUILTIN_NAMES;

static const char *name_of(const struct name *t, size_t n, __u32 value)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return "UNKNOWN";
}

const char *axvm_exit_name(__u32 exit_reason)
{
	return name_of(exit_names, N_ELEMS(exit_names), exit_reason);
}

const char *axvm_builtin_name(__u32 builtin)
{
	return name_of(builtin_names, N_ELEMS(builtin_names), builtin);
}

static const char *const state_names[] = {
	[AXVCPU_STATE_INVALID] = "Invalid",
	[AXVCPU_STATE_CREATED] = "Created",
	[AXVCPU_STATE_FREE] = "Free",
	[AXVCPU_STATE_READY] = "Ready",
	[AXVCPU_STATE_RUNNING] = "Running",
	[AXVCPU_STATE_BLOCKED] = "Blocked",
};

const char *axvm_state_name(__u32 state)
{
	if (state < N_ELEMS(state_names))
		return state_names[state];
	return "UNKNOWN";
}

/* ---- stats fds ---- */

int axvm_stats_open(int obj_fd, struct axvm_stats *st)
{
	struct axvcpu_stats_header h;
	size_t len;
	int e;

	memset(st, 0, sizeof(*st));
	st->fd = ioctl(obj_fd, AXVCPU_GET_STATS_FD, 0);
	if (st->fd < 0)
		return -errno;
	if (pread(st->fd, &h, sizeof(h), 0) != sizeof(h) ||
	    h.name_size < 8 || h.name_size > 4096 || h.num_desc > 4096)
		goto bad;
	st->n = h.num_desc;
	st->stride = sizeof(struct axvcpu_stats_desc) + h.name_size;
	st->data_offset = h.data_offset;
	len = st->n * st->stride;
	st->desc = malloc(len ? len : 1);
	st->values = calloc(st->n ? st->n : 1, sizeof(__u64));
	if (!st->desc || !st->values)
		goto nomem;
	if (pread(st->fd, st->id, sizeof(st->id) - 1, h.id_offset) <= 0 ||
	    pread(st->fd, st->desc, len, h.desc_offset) != (ssize_t)len)
		goto bad;
	return 0;
bad:
	e = -EPROTO;
	goto out;
nomem:
	e = -ENOMEM;
out:
	axvm_stats_close(st);
	return e;
}

const struct axvcpu_stats_desc *axvm_stats_desc(const struct axvm_stats *st,
						unsigned int i)
{
	return (const void *)(st->desc + i * st->stride);
}

int axvm_stats_read(struct axvm_stats *st)
{
	size_t len = st->n * sizeof(__u64);
	unsigned int i;
	__u64 *all;
	int e = 0;

	/* Each value at its descriptor's offset, one read for all. */
	all = calloc(st->n ? 2 * st->n : 1, sizeof(__u64));
	if (!all)
		return -ENOMEM;
	if (pread(st->fd, all, 2 * len, st->data_offset) < (ssize_t)len)
		e = -EPROTO;
	for (i = 0; !e && i < st->n; i++) {
		__u32 off = axvm_stats_desc(st, i)->offset;

		if (off % sizeof(__u64) || off / sizeof(__u64) >= 2 * st->n)
			e = -EPROTO;
		else
			st->values[i] = all[off / sizeof(__u64)];
	}
	free(all);
	return e;
}

long long axvm_stats_get(const struct axvm_stats *st, const char *name)
{
	unsigned int i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(axvm_stats_desc(st, i)->name, name))
			return (long long)st->values[i];
	return -1;
}

void axvm_stats_close(struct axvm_stats *st)
{
	if (st->fd >= 0)
		close(st->fd);
	free(st->desc);
	free(st->values);
	st->fd = -1;
	st->desc = NULL;
	st->values = NULL;
	st->n = 0;
}
