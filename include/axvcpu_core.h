/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axvcpu core objects: the VM and the vcpu as the generic code sees them.
 *
 * Backends (vmx/, arm64/) hang their own state off the ->arch pointers and
 * never touch files, fds or ioctls.
 */
#ifndef _AXVCPU_CORE_H
#define _AXVCPU_CORE_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include "uapi/axvcpu.h"

struct file;
struct page;
struct task_struct;

/**
 * struct axvcpu_memslot - one guest-physical memory slot.
 * @gpa: guest-physical base (page aligned).
 * @size: bytes; 0 means the slot is unused.
 * @uaddr: userspace address of its first byte, in the VM's mm.
 * @flags: AXVCPU_MEM_* flags.
 * @npages: @size in pages.
 * @dirty_bitmap: with AXVCPU_MEM_LOG_DIRTY, a bit per page the guest wrote
 *	since the last AXVCPU_GET_DIRTY_LOG; changed under vm->mmu_lock.
 *
 * Nothing is pinned: a guest access maps the page behind it on demand
 * (axvcpu_fault_in()), and the VM's MMU notifier unmaps it again before
 * the kernel changes or frees that page of the VMM's memory.
 */
struct axvcpu_memslot {
	u64 gpa;
	u64 size;
	u64 uaddr;
	u32 flags;
	unsigned long npages;
	unsigned long *dirty_bitmap;
};

/**
 * struct axvcpu_vm_stat - a VM's counters, for its stats fd.
 * @mem_faults: guest RAM mapped on demand, by any vcpu.
 * @flushes: flushes of the VM's translations on every CPU.
 * @ioeventfds: guest writes that signalled an ioeventfd.
 * @irqfds: interrupts injected by an irqfd's signal.
 */
struct axvcpu_vm_stat {
	atomic64_t mem_faults;
	atomic64_t flushes;
	atomic64_t ioeventfds;
	atomic64_t irqfds;
};

/**
 * struct axvcpu_vcpu_stat - a vcpu's counters, the module's own copy.
 * @counts: entries and exits; each written to the run page's stats
 *	(which userspace may overwrite) as it changes, entries at every
 *	return of RUN.
 * @halt_ns: nanoseconds slept in the module by a halted vcpu.
 * @halt_wakeups: those sleeps an interrupt for the vcpu ended.
 * @injections: interrupts queued for it (AXVCPU_INJECT_INTERRUPT, irqfds).
 */
struct axvcpu_vcpu_stat {
	struct axvcpu_run_stats counts;
	u64 halt_ns;
	u64 halt_wakeups;
	u64 injections;
};

/**
 * struct axvcpu_vm - a virtual machine.
 * @id: a number no other VM of this module load has had (traces, stats).
 * @file: the VM fd's file (no reference of its own: it holds the VM).
 * @refcount: one for the VM fd, one per vcpu.
 * @lock: serializes changes of @slots and @vcpus.
 * @slots_lock: held, besides @lock, while @slots changes; taken (IRQs off)
 *	to look a slot up from any context.
 * @mm: the address space of the process that created the VM.
 * @mmu_notifier: on @mm: tells the VM before pages of @mm change.
 * @mmu_lock: serializes changes of the nested page tables (faults,
 *	invalidations, slot deletion); taken before @slots_lock.
 * @mmu_seq: bumped under @mmu_lock by every invalidation and slot
 *	deletion; a fault that saw another value before it looked the page
 *	up does not map it.
 * @mmu_invalidating: invalidations of @mm in progress (between their
 *	start and end callbacks); no fault maps anything meanwhile.
 * @mmu_released: @mm is gone (its release callback ran): nothing maps.
 * @slots: memory slots.
 * @vcpus: vcpus by id, set and cleared under @lock; an entry is cleared
 *	when its vcpu is freed, and the vcpu freed an RCU grace period later
 *	(irqfds look it up under RCU).
 * @ioeventfds: RCU list of ioeventfds (vcpu_eventfd.c), changed under
 *	@lock.
 * @irqfds: irqfds, under @lock.
 * @nr_ioeventfds: the number of @ioeventfds.
 * @nr_irqfds: the number of @irqfds.
 * @irqfd_stats_lock: serializes the vcpu counts made outside RUN's thread
 *	(irqfds' AXVCPU_BUILTIN_IRQFD, injections) with each other.
 * @stat: its counters.
 * @arch: the backend's per-VM state (EPT / stage-2 root...).
 */
struct axvcpu_vm {
	u32 id;
	struct file *file;
	refcount_t refcount;
	struct mutex lock;
	spinlock_t slots_lock;
	struct mm_struct *mm;
	struct mmu_notifier mmu_notifier;
	spinlock_t mmu_lock;
	unsigned long mmu_seq;
	long mmu_invalidating;
	bool mmu_released;
	struct axvcpu_memslot slots[AXVCPU_MAX_MEMSLOTS];
	struct axvcpu_vcpu *vcpus[AXVCPU_MAX_VCPUS];
	struct list_head ioeventfds, irqfds;
	unsigned int nr_ioeventfds, nr_irqfds;
	spinlock_t irqfd_stats_lock;
	struct axvcpu_vm_stat stat;
	void *arch;
};

/**
 * struct axvcpu_vcpu - a virtual CPU.
 * @vm: the VM it belongs to (holds a reference).
 * @file: its fd's file (no reference of its own: the vcpu lives as long).
 * @id: index in @vm->vcpus.
 * @state: an enum axvcpu_state value; changed only under @mutex.
 * @mutex: serializes the ioctls that use the vcpu (RUN holds it).
 * @run: the page shared with userspace.
 * @exit_reason: the AXVCPU_EXIT_* of the last exit, the kernel's copy (the
 *	run page is writable by userspace at any time); set it with
 *	axvcpu_vcpu_set_exit().
 * @pending_exit: the exit reason whose result the next RUN must write back
 *	into the guest (AXVCPU_EXIT_NOTHING when none).
 * @task: the thread inside RUN, or NULL; used to kick it.
 * @preempt_notifier: registered for @task during RUN: the scheduler tells
 *	the backend when the thread leaves its CPU and comes back.
 * @wq: a halted RUN sleeps here (axvcpu_vcpu_block()).
 * @halt_in_kernel: AXVCPU_SETUP_HALT_IN_KERNEL was set at SETUP.
 * @stat: its counters.
 * @arch: the backend's per-vcpu state.
 */
struct axvcpu_vcpu {
	struct axvcpu_vm *vm;
	struct file *file;
	u32 id;
	u32 state;
	struct mutex mutex;
	struct axvcpu_run *run;
	u32 exit_reason;
	u32 pending_exit;
	struct task_struct __rcu *task;
	struct preempt_notifier preempt_notifier;
	wait_queue_head_t wq;
	bool halt_in_kernel;
	struct axvcpu_vcpu_stat stat;
	void *arch;
};

/**
 * axvcpu_count_builtin - count an exit the module handled inside.
 * @vcpu: the vcpu, inside RUN (an irqfd: under vm->irqfd_stats_lock).
 * @which: an AXVCPU_BUILTIN_* value.
 */
static inline void axvcpu_count_builtin(struct axvcpu_vcpu *vcpu,
					unsigned int which)
{
	/* The run page's copy too, as it changes (vcpu_core.c, count_exit()). */
	vcpu->run->stats.builtin[which] = ++vcpu->stat.counts.builtin[which];
}

/* Guest memory for backends: slots, faults, copies (vcpu_mem.c). */
int axvcpu_gpa_slot_flags(struct axvcpu_vm *vm, u64 gpa);
int axvcpu_fault_in(struct axvcpu_vm *vm, u64 gpa, bool write);
int axvcpu_read_guest(struct axvcpu_vm *vm, u64 gpa, void *buf, size_t len);
int axvcpu_write_guest(struct axvcpu_vm *vm, u64 gpa, const void *buf,
		       size_t len);

/* Slot flags from axvcpu_gpa_slot_flags(): guest RAM the access may use? */
static inline bool axvcpu_slot_allows(int flags, bool write)
{
	return flags >= 0 && !(write && (flags & AXVCPU_MEM_READONLY));
}

/**
 * axvcpu_vcpu_set_exit - record the reason of an exit to the VMM.
 * @vcpu: the vcpu, inside RUN.
 * @reason: an AXVCPU_EXIT_* value.
 *
 * Backends fill the exit's union member in vcpu->run and call this; the core
 * decides what to complete on the next RUN from the kernel's copy only.
 */
static inline void axvcpu_vcpu_set_exit(struct axvcpu_vcpu *vcpu, u32 reason)
{
	vcpu->exit_reason = reason;
	WRITE_ONCE(vcpu->run->exit_reason, reason);
}

/**
 * axvcpu_vcpu_cancel_completion - forget the answer the next RUN would apply.
 * @vcpu: the vcpu, with vcpu->mutex held.
 *
 * For a backend that answers the last read exit itself (an abort injected
 * on the access instead of its data).
 */
static inline void axvcpu_vcpu_cancel_completion(struct axvcpu_vcpu *vcpu)
{
	vcpu->pending_exit = AXVCPU_EXIT_NOTHING;
}

/**
 * axvcpu_return_needed - must RUN go back to userspace before the next entry?
 * @vcpu: the vcpu, inside RUN.
 *
 * The one test for it: a signal for the RUN thread, or immediate_exit set
 * by the VMM.  The core checks it before every call of the backend; a
 * backend that handles exits inside (with host state half switched) checks
 * axvcpu_leave_guest_needed() between them, which includes it.
 */
static inline bool axvcpu_return_needed(struct axvcpu_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->immediate_exit) || signal_pending(current);
}

/**
 * axvcpu_leave_guest_needed - must the backend give the CPU back to the core?
 * @vcpu: the vcpu, inside RUN.
 *
 * axvcpu_return_needed(), or the scheduler wants this CPU.
 */
static inline bool axvcpu_leave_guest_needed(struct axvcpu_vcpu *vcpu)
{
	/*
	 * need_resched() and signal_pending(current) in one load of the
	 * thread's flags: they test TIF_NEED_RESCHED, and TIF_SIGPENDING or
	 * TIF_NOTIFY_SIGNAL, each with a load of its own.  A backend calls
	 * this after every exit it handles.  The one difference, a
	 * TIF_NOTIFY_SIGNAL under PF_NO_NOTIFY_SIGNAL, which signal_pending()
	 * ignores, only ends the backend's loop early: the core then decides
	 * with axvcpu_return_needed().
	 */
	return (read_thread_flags() & (_TIF_NEED_RESCHED | _TIF_SIGPENDING |
				       _TIF_NOTIFY_SIGNAL)) ||
	       READ_ONCE(vcpu->run->immediate_exit);
}

/* Make a vcpu that is inside RUN leave the guest and look at its queues. */
void axvcpu_vcpu_kick(struct axvcpu_vcpu *vcpu);
bool axvcpu_vcpu_block(struct axvcpu_vcpu *vcpu, wait_queue_head_t *wq,
		       bool (*wake)(struct axvcpu_vcpu *vcpu), u64 ns);

#endif /* _AXVCPU_CORE_H */
