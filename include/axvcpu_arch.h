/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arch interface: what vmx/ and arm64/ implement for vcpu_core.c.
 *
 * Per-CPU hardware enable and the vcpu life cycle (Documentation/design.rst
 * maps them to the original crates' traits).  One backend is linked into the module (chosen by Kbuild from the target
 * architecture), so these are plain functions, as in KVM.
 *
 * Context rules:
 *  - axvcpu_arch_hardware_enable()/disable()/is_enabled() run on the CPU
 *    they act on, with preemption disabled (from on_each_cpu() or a CPU
 *    hotplug callback).
 *  - vcpu functions run in the context of the ioctl that calls them, with
 *    vcpu->mutex held, except axvcpu_arch_vcpu_inject_interrupt(), which may
 *    race with axvcpu_arch_vcpu_run() of the same vcpu on another CPU and
 *    must queue.
 *  - VM functions run with vm->lock held, except init and destroy.
 */
#ifndef _AXVCPU_ARCH_H
#define _AXVCPU_ARCH_H

#include <linux/build_bug.h>
#include <linux/ioctl.h>

#include "axvcpu_core.h"

/* Return values of axvcpu_arch_vcpu_run() besides a negative errno. */
#define AXVCPU_RUN_EXIT		0	/* run->exit_reason is for the VMM */
#define AXVCPU_RUN_CONTINUE	1	/* handled inside: enter again */

/* Module life: once at load and unload. */
int axvcpu_arch_init(void);
void axvcpu_arch_exit(void);

/**
 * axvcpu_arch_hardware_supported - can this machine run guests at all?
 * @errno_out: where the errno for the module's init to return is stored
 *	when the machine cannot.
 *
 * Return: NULL when it can, else a static string that names the missing
 * requirement ("CPU does not support VMX", "kernel not running at EL2 with
 * VHE (booted in nVHE mode)"...).
 */
const char *axvcpu_arch_hardware_supported(int *errno_out);

/* Per CPU, on the current CPU; see the context rules above. */
int axvcpu_arch_hardware_enable(void);
void axvcpu_arch_hardware_disable(void);
bool axvcpu_arch_hardware_is_enabled(void);

/* Capabilities the arch answers (AXVCPU_CAP_MAX_GPA_BITS...); 0 if unknown. */
long axvcpu_arch_check_extension(long cap);

/*
 * VM: nested page tables (EPT / stage 2), filled on demand.
 *
 * axvcpu_arch_map_page() maps 2^@order pages from @page at @gpa (order 0,
 * AXVCPU_BLOCK_ORDER for one 2 MiB leaf, AXVCPU_GIANT_ORDER for one 1 GiB
 * leaf: -EOPNOTSUPP where the CPU has none, -ENOSPC where smaller leaves
 * are there already; the caller then maps smaller).  An existing leaf
 * covering @gpa counts as done.  Unmaps clear a large leaf whole when any
 * part of it is in the range.
 *
 * axvcpu_arch_map_page() and axvcpu_arch_unmap_range() run with
 * vm->mmu_lock held (a spinlock: they may not sleep); the tables a map
 * needs come from @cache, filled before the lock with
 * axvcpu_arch_pt_cache_fill().  axvcpu_arch_flush() runs without the lock,
 * after an unmap that returned true, and returns only when no CPU can
 * translate through the removed entries any more.
 */
#define AXVCPU_PT_CACHE	4
#define AXVCPU_BLOCK_ORDER	9	/* 2 MiB in 4K pages */
#define AXVCPU_GIANT_ORDER	18	/* 1 GiB in 4K pages */

/**
 * struct axvcpu_pt_cache - zeroed page-table pages for one map.
 * @nr: pages in @pages.
 * @pages: their kernel addresses.
 */
struct axvcpu_pt_cache {
	int nr;
	void *pages[AXVCPU_PT_CACHE];
};

int axvcpu_arch_vm_init(struct axvcpu_vm *vm);
void axvcpu_arch_vm_destroy(struct axvcpu_vm *vm);
int axvcpu_arch_map_page(struct axvcpu_vm *vm, u64 gpa, struct page *page,
			 unsigned int order, bool writable,
			 struct axvcpu_pt_cache *cache);
bool axvcpu_arch_unmap_range(struct axvcpu_vm *vm, u64 gpa, u64 size);
bool axvcpu_arch_wrprotect_page(struct axvcpu_vm *vm, u64 gpa);
void axvcpu_arch_flush(struct axvcpu_vm *vm);

/*
 * Bytes of the arch union of struct axvcpu_vcpu_create and of struct
 * axvcpu_vcpu_setup that the backend reads; the core refuses (-EINVAL) a
 * config with any other byte of the union set, before the backend sees it.
 */
extern const size_t axvcpu_arch_create_cfg_used;
extern const size_t axvcpu_arch_setup_cfg_used;

/* vcpu life cycle: CREATE_VCPU, SETUP, BIND/UNBIND, RUN (vcpu_core.c). */
int axvcpu_arch_vcpu_create(struct axvcpu_vcpu *vcpu,
			    const struct axvcpu_vcpu_create *cfg);
void axvcpu_arch_vcpu_destroy(struct axvcpu_vcpu *vcpu);
int axvcpu_arch_vcpu_setup(struct axvcpu_vcpu *vcpu,
			   const struct axvcpu_vcpu_setup *cfg);
int axvcpu_arch_vcpu_bind(struct axvcpu_vcpu *vcpu);
int axvcpu_arch_vcpu_unbind(struct axvcpu_vcpu *vcpu);

/**
 * axvcpu_arch_vcpu_load - RUN's thread is on @cpu: load what stays loaded.
 * @vcpu: the vcpu, inside RUN.
 * @cpu: the current CPU.
 *
 * With preemption disabled: at the start of RUN, and each time the
 * scheduler puts RUN's thread back on a CPU (the core's preempt notifier).
 * Guest state that no host code between two entries uses (x86: the
 * SYSCALL MSRs, KERNEL_GS_BASE; arm64: the EL1 context) is loaded here
 * rather than per entry.
 */
void axvcpu_arch_vcpu_load(struct axvcpu_vcpu *vcpu, int cpu);

/**
 * axvcpu_arch_vcpu_put - RUN's thread leaves the CPU: give host state back.
 * @vcpu: the vcpu.
 *
 * With preemption disabled: at the end of RUN, and when the scheduler
 * takes RUN's thread off its CPU (then with IRQs off and the runqueue
 * locked: it must not sleep, take a sleeping lock or wake anything).
 */
void axvcpu_arch_vcpu_put(struct axvcpu_vcpu *vcpu);

/**
 * axvcpu_arch_vcpu_run - enter the guest and handle exits until one needs
 * the core, the VMM or the host.
 * @vcpu: the vcpu, in state Running, loaded (axvcpu_arch_vcpu_load()).
 *
 * The core owns the loop: it calls this again while it returns
 * AXVCPU_RUN_CONTINUE and axvcpu_return_needed() is false.  A backend may
 * handle several exits in one call; between them it stops as soon as
 * axvcpu_leave_guest_needed() holds.  Fills vcpu->run for exits to the VMM.
 *
 * Return: AXVCPU_RUN_EXIT, AXVCPU_RUN_CONTINUE or a negative errno (the
 * vcpu then becomes Invalid).
 */
int axvcpu_arch_vcpu_run(struct axvcpu_vcpu *vcpu);

/**
 * axvcpu_arch_vcpu_complete - write the VMM's answer to the last exit back.
 * @vcpu: the vcpu.
 * @reason: the AXVCPU_EXIT_* of that exit (a read or a hypercall).
 *
 * Reads the answer from vcpu->run (mmio.data, io.data, sysreg.value,
 * hypercall.ret) and applies it with width, sign extension and register
 * width.  The run page is writable by userspace at any time: the target
 * register, width and sign extension must come from the backend's own copy
 * of the decoded exit, never from vcpu->run.
 *
 * Return: 0 or a negative errno.
 */
int axvcpu_arch_vcpu_complete(struct axvcpu_vcpu *vcpu, u32 reason);

int axvcpu_arch_vcpu_set_gpr(struct axvcpu_vcpu *vcpu, u32 index, u64 val);
int axvcpu_arch_vcpu_get_gpr(struct axvcpu_vcpu *vcpu, u32 index, u64 *val);
void axvcpu_arch_vcpu_set_return_value(struct axvcpu_vcpu *vcpu, u64 val);
int axvcpu_arch_vcpu_inject_interrupt(struct axvcpu_vcpu *vcpu,
				      const struct axvcpu_interrupt *irq);
/**
 * axvcpu_arch_vcpu_irq_state - the interrupts pending and active for the
 *	vcpu, as the backend holds them.
 * @vcpu: the vcpu; any thread, without vcpu->mutex (it may be running).
 * @st: zeroed by the core, filled here.
 *
 * Return: 0, or -EOPNOTSUPP where the backend cannot tell.
 */
int axvcpu_arch_vcpu_irq_state(struct axvcpu_vcpu *vcpu,
			       struct axvcpu_irq_state *st);

/* Core services for the backends' exit paths (vcpu_eventfd.c). */
bool __axvcpu_ioeventfd_write(struct axvcpu_vm *vm, u64 addr, u32 len,
			      u64 val, bool pio);

/**
 * axvcpu_ioeventfd_write - a guest write exit: does an ioeventfd take it?
 * @vm: the VM.
 * @addr: the guest-physical address, or the port with @pio.
 * @len: the access width in bytes.
 * @val: the value written.
 * @pio: an x86 port write.
 *
 * Any context.  On a match the eventfd is signalled and the caller
 * completes the write itself (it has no other effect).  The list is
 * RCU-protected: a lockless look at its head is enough to skip it.
 *
 * Return: true if an ioeventfd matched.
 */
static inline bool axvcpu_ioeventfd_write(struct axvcpu_vm *vm, u64 addr,
					  u32 len, u64 val, bool pio)
{
	if (list_empty(&vm->ioeventfds))
		return false;
	return __axvcpu_ioeventfd_write(vm, addr, len, val, pio);
}

/*
 * The ioctls of VM and vcpu fds, one table per fd kind (vcpu_core.c) and
 * one for the arch's own vcpu ioctls (axvcpu_arch_vcpu_ioctls[]), in the
 * model of bhyve's vmmdev_ioctls[]: each entry states the argument's size
 * and direction (the ioctl number's _IOC_SIZE and _IOC_DIR), whether it
 * runs under vcpu->mutex and the vcpu state it needs; the core copies the
 * argument in once, checks, calls the handler with the kernel copy, and
 * copies it out once.
 */
#define AXVCPU_IOCTL_MAX_ARG	512	/* the largest fixed-size argument */

/* struct axvcpu_ioctl.flags */
/* No vcpu->mutex: the ioctl never waits for a RUN in progress. */
#define AXVCPU_IOCTL_UNLOCKED	(1U << 0)

/* struct axvcpu_ioctl.state: no state required. */
#define AXVCPU_IOCTL_ANY_STATE	0xff

/**
 * struct axvcpu_ioctl - one ioctl of a VM or vcpu fd.
 * @cmd: its number.  With _IOC_WRITE, _IOC_SIZE(@cmd) bytes of the
 *	argument are copied into a zeroed kernel buffer before anything
 *	else (-EFAULT); with _IOC_READ, the buffer is copied back after the
 *	handler returned 0.  With size 0, the handler gets no buffer and the
 *	plain integer argument.
 * @name: for messages ("SETUP").
 * @flags: AXVCPU_IOCTL_* flags; without AXVCPU_IOCTL_UNLOCKED a vcpu
 *	ioctl takes vcpu->mutex (-EBUSY while another thread holds it).
 * @state: vcpu ioctls: the enum axvcpu_state the vcpu must be in, checked
 *	after @check (so that a bad argument changes nothing) and making the
 *	vcpu Invalid when it does not hold; AXVCPU_IOCTL_ANY_STATE for none.
 * @check: validates the argument before the state check; NULL: nothing to
 *	check.  Return: 0 or a negative errno.
 * @vcpu: the handler of a vcpu ioctl: @buf is the kernel copy of the
 *	argument (NULL with size 0), @arg the raw argument (a user pointer
 *	only where a variable-length tail follows the fixed part).
 * @vm: the handler of a VM ioctl, likewise.
 */
struct axvcpu_ioctl {
	unsigned int cmd;
	const char *name;
	u8 flags;
	u8 state;
	int (*check)(const void *buf, unsigned long arg);
	long (*vcpu)(struct axvcpu_vcpu *vcpu, void *buf, unsigned long arg);
	long (*vm)(struct axvcpu_vm *vm, void *buf, unsigned long arg);
};

/*
 * Entries.  An argument larger than the core's buffer does not build.
 * @c is the ioctl's name (its macro), also used for messages.
 */
#define AXVCPU_IOCTL_CMD(c)						\
	((c) + BUILD_BUG_ON_ZERO(_IOC_SIZE(c) > AXVCPU_IOCTL_MAX_ARG))
#define AXVCPU_VCPU_IOCTL(c, f, st, chk, fn)				\
	{ .cmd = AXVCPU_IOCTL_CMD(c), .name = #c, .flags = (f),		\
	  .state = (st), .check = (chk), .vcpu = (fn) }
#define AXVCPU_VM_IOCTL(c, chk, fn)					\
	{ .cmd = AXVCPU_IOCTL_CMD(c), .name = #c,			\
	  .state = AXVCPU_IOCTL_ANY_STATE, .check = (chk), .vm = (fn) }

/* The arch's own vcpu ioctls (registers, intercepts...), run by the core. */
extern const struct axvcpu_ioctl axvcpu_arch_vcpu_ioctls[];
extern const unsigned int axvcpu_arch_nr_vcpu_ioctls;

#endif /* _AXVCPU_ARCH_H */
