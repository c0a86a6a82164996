// SPDX-License-Identifier: GPL-2.0
/*
 * Device notifications and interrupts without a trip through the VMM:
 * ioeventfds and irqfds (KVM's KVM_IOEVENTFD and KVM_IRQFD).
 *
 * An ioeventfd names a guest MMIO address (or x86 port), a width and
 * optionally a value: a guest write that matches signals the eventfd and
 * the guest goes on at once, with no exit to the VMM (a virtio queue
 * notification; a device thread of the VMM waits on the eventfd).  The
 * backends call axvcpu_ioeventfd_write() on a write exit, from any
 * context: the list is RCU-protected and eventfd signalling takes only a
 * spinlock.
 *
 * An irqfd names an eventfd, a vcpu and an interrupt: a signal on the
 * eventfd injects the interrupt as AXVCPU_INJECT_INTERRUPT would (a
 * device thread completes a request by writing the eventfd).  The wake-up
 * runs in the signaller's context with the eventfd's wait-queue lock held
 * (interrupts off) and injects there: the backends' queues take only a
 * spinlock and the kick is any-context, and the vcpu is found under RCU
 * (vcpu_release() waits for a grace period before it frees one).  So when
 * the signaller's write() returns the interrupt is queued: a VMM that then
 * wakes a vcpu thread it parked on a halt knows the next entry has it.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "axvcpu_arch.h"
#include "axvcpu_compat.h"
#include "axvcpu_internal.h"
#include "trace/axvcpu.h"

/* Bounds, as KVM's per-bus device limit: each one is a list entry. */
#define MAX_IOEVENTFDS	1000
#define MAX_IRQFDS	1024

struct ioeventfd {
	struct list_head link;
	u64 addr;
	u64 data;
	u32 len;		/* 0: any width */
	bool pio;
	bool datamatch;
	struct eventfd_ctx *ctx;
	struct rcu_head rcu;
};

struct irqfd {
	struct list_head link;
	struct axvcpu_vm *vm;
	u32 vcpu_id;
	struct axvcpu_interrupt irq;
	struct eventfd_ctx *ctx;
	wait_queue_entry_t wait;
	poll_table pt;
};

/* ---- ioeventfd ---- */

static u64 width_mask(u32 len)
{
	return len >= 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
}

/*
 * axvcpu_ioeventfd_write()'s search, when the VM has an ioeventfd at all
 * (the inline check in axvcpu_arch.h keeps a VM without any from paying a
 * call on every write exit).
 */
bool __axvcpu_ioeventfd_write(struct axvcpu_vm *vm, u64 addr, u32 len,
			      u64 val, bool pio)
{
	struct ioeventfd *e;
	bool hit = false;

	rcu_read_lock();
	list_for_each_entry_rcu(e, &vm->ioeventfds, link) {
		if (e->pio != pio || e->addr != addr ||
		    (e->len && e->len != len) ||
		    (e->datamatch && e->data != (val & width_mask(len))))
			continue;
		axvcpu_eventfd_signal(e->ctx);
		atomic64_inc(&vm->stat.ioeventfds);
		trace_axvcpu_ioeventfd(vm, addr, len, pio);
		hit = true;
		break;
	}
	rcu_read_unlock();
	return hit;
}

/* vm->lock held: the entry for the same (addr, len, pio, datamatch, data). */
static struct ioeventfd *ioeventfd_find(struct axvcpu_vm *vm,
					const struct axvcpu_ioeventfd *a)
{
	bool pio = a->flags & AXVCPU_IOEVENTFD_PIO;
	bool dm = a->flags & AXVCPU_IOEVENTFD_DATAMATCH;
	struct ioeventfd *e;

	list_for_each_entry(e, &vm->ioeventfds, link)
		if (e->addr == a->addr && e->len == a->len && e->pio == pio &&
		    e->datamatch == dm && (!dm || e->data == a->datamatch))
			return e;
	return NULL;
}

/**
 * axvcpu_vm_ioeventfd - AXVCPU_IOEVENTFD.
 * @vm: the VM.
 * @a: the argument, copied from userspace.
 *
 * Return: 0; -EINVAL (flags, pad, width, a port above 0xffff, a value
 * wider than the access), -EBADF (not an eventfd), -EEXIST (the same match
 * is assigned already), -ENOENT (deassign of one that is not), -ENOSPC.
 */
int axvcpu_vm_ioeventfd(struct axvcpu_vm *vm, const struct axvcpu_ioeventfd *a)
{
	struct eventfd_ctx *ctx;
	struct ioeventfd *e;
	int r = 0;

	if (a->flags & ~(AXVCPU_IOEVENTFD_DATAMATCH | AXVCPU_IOEVENTFD_PIO |
			 AXVCPU_IOEVENTFD_DEASSIGN) || a->pad)
		return -EINVAL;
	if (a->len != 0 && a->len != 1 && a->len != 2 && a->len != 4 &&
	    a->len != 8)
		return -EINVAL;
	if ((a->flags & AXVCPU_IOEVENTFD_PIO) && (a->addr > 0xffff || a->len > 4))
		return -EINVAL;
	if ((a->flags & AXVCPU_IOEVENTFD_DATAMATCH) &&
	    (!a->len || (a->datamatch & ~width_mask(a->len))))
		return -EINVAL;
	ctx = eventfd_ctx_fdget(a->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&vm->lock);
	e = ioeventfd_find(vm, a);
	if (a->flags & AXVCPU_IOEVENTFD_DEASSIGN) {
		if (!e || e->ctx != ctx) {
			r = -ENOENT;
		} else {
			list_del_rcu(&e->link);
			vm->nr_ioeventfds--;
		}
		mutex_unlock(&vm->lock);
		eventfd_ctx_put(ctx);
		if (!r) {
			/* Exit paths may still be looking at it. */
			synchronize_rcu();
			eventfd_ctx_put(e->ctx);
			kfree(e);
		}
		return r;
	}
	if (e) {
		r = -EEXIST;
	} else if (vm->nr_ioeventfds >= MAX_IOEVENTFDS) {
		r = -ENOSPC;
	} else {
		e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
		if (!e) {
			r = -ENOMEM;
		} else {
			e->addr = a->addr;
			e->len = a->len;
			e->pio = a->flags & AXVCPU_IOEVENTFD_PIO;
			e->datamatch = a->flags & AXVCPU_IOEVENTFD_DATAMATCH;
			e->data = a->datamatch;
			e->ctx = ctx;
			list_add_tail_rcu(&e->link, &vm->ioeventfds);
			vm->nr_ioeventfds++;
		}
	}
	mutex_unlock(&vm->lock);
	if (r)
		eventfd_ctx_put(ctx);
	return r;
}

/* ---- irqfd ---- */

/*
 * Any context.  A vcpu that is closed meanwhile is not interrupted; one
 * its backend refuses (out of range, a full queue) is dropped.
 */
static void irqfd_inject(struct irqfd *f)
{
	struct axvcpu_vm *vm = f->vm;
	struct axvcpu_vcpu *vcpu;
	unsigned long flags;
	int r;

	rcu_read_lock();
	vcpu = READ_ONCE(vm->vcpus[f->vcpu_id]);
	if (!vcpu)
		goto out;
	r = axvcpu_arch_vcpu_inject_interrupt(vcpu, &f->irq);
	trace_axvcpu_inject(vcpu, f->irq.vector, AXVCPU_TRACE_INJECT_IRQFD, r);
	if (!r) {
		/*
		 * Irqfds of one vcpu may be signalled on several CPUs at once.
		 * The run page's copy counts at once, not at RUN's return: the
		 * VMM may look before the next RUN.
		 */
		spin_lock_irqsave(&vm->irqfd_stats_lock, flags);
		axvcpu_count_builtin(vcpu, AXVCPU_BUILTIN_IRQFD);
		vcpu->stat.injections++;
		spin_unlock_irqrestore(&vm->irqfd_stats_lock, flags);
		atomic64_inc(&vm->stat.irqfds);
		axvcpu_vcpu_kick(vcpu);
	}
out:
	rcu_read_unlock();
}

/* The eventfd's wait-queue lock is held: take the count and inject. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct irqfd *f = container_of(wait, struct irqfd, wait);
	__poll_t flags = key_to_poll(key);
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(f->ctx, &cnt);
		irqfd_inject(f);
	}
	/*
	 * EPOLLHUP (the eventfd's file closed) is not acted on: the irqfd
	 * holds its own reference to the context and stays, silent, until
	 * it is deassigned or the VM goes.
	 */
	return 0;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct irqfd *f = container_of(pt, struct irqfd, pt);

	add_wait_queue(wqh, &f->wait);
}

/* vm->lock held: the irqfd of @ctx for this interrupt of this vcpu. */
static struct irqfd *irqfd_find(struct axvcpu_vm *vm, struct eventfd_ctx *ctx,
				const struct axvcpu_irqfd *a)
{
	struct irqfd *f;

	list_for_each_entry(f, &vm->irqfds, link)
		if (f->ctx == ctx && f->vcpu_id == a->vcpu_id &&
		    f->irq.vector == a->vector)
			return f;
	return NULL;
}

/* No wake-up, so no injection, runs once this returns. */
static void irqfd_free(struct irqfd *f)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(f->ctx, &f->wait, &cnt);
	eventfd_ctx_put(f->ctx);
	kfree(f);
}

/**
 * axvcpu_vm_irqfd - AXVCPU_IRQFD.
 * @vm: the VM.
 * @a: the argument, copied from userspace.
 *
 * The interrupt is checked by the backend when a signal injects it: one it
 * refuses (out of range, a full queue) is dropped then, as an
 * AXVCPU_INJECT_INTERRUPT call would fail.
 *
 * Return: 0; -EINVAL (flags, pad, vcpu id), -EBADF (not an eventfd),
 * -EEXIST (this eventfd already feeds this interrupt of this vcpu),
 * -ENOENT (deassign of one that is not), -ENOSPC.
 */
int axvcpu_vm_irqfd(struct axvcpu_vm *vm, const struct axvcpu_irqfd *a)
{
	struct irqfd *f, *old;
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t events;
	int r = 0;

	if (a->flags & ~AXVCPU_IRQFD_DEASSIGN || a->pad[0] || a->pad[1] ||
	    a->vcpu_id >= AXVCPU_MAX_VCPUS ||
	    a->irq_flags & ~AXVCPU_IRQ_FLAGS)
		return -EINVAL;

	if (a->flags & AXVCPU_IRQFD_DEASSIGN) {
		ctx = eventfd_ctx_fdget(a->fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		mutex_lock(&vm->lock);
		old = irqfd_find(vm, ctx, a);
		if (old) {
			list_del(&old->link);
			vm->nr_irqfds--;
		}
		mutex_unlock(&vm->lock);
		eventfd_ctx_put(ctx);
		if (!old)
			return -ENOENT;
		irqfd_free(old);
		return 0;
	}

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->vm = vm;
	f->vcpu_id = a->vcpu_id;
	f->irq.vector = a->vector;
	f->irq.flags = a->irq_flags;
	f->irq.error_code = a->error_code;
	init_waitqueue_func_entry(&f->wait, irqfd_wakeup);
	init_poll_funcptr(&f->pt, irqfd_queue_proc);

	file = eventfd_fget(a->fd);
	if (IS_ERR(file)) {
		kfree(f);
		return PTR_ERR(file);
	}
	ctx = eventfd_ctx_fileget(file);
	f->ctx = ctx;

	mutex_lock(&vm->lock);
	if (irqfd_find(vm, ctx, a))
		r = -EEXIST;
	else if (vm->nr_irqfds >= MAX_IRQFDS)
		r = -ENOSPC;
	if (!r) {
		list_add_tail(&f->link, &vm->irqfds);
		vm->nr_irqfds++;
		/* Signals from now on wake us; one already there counts. */
		events = vfs_poll(file, &f->pt);
		if (events & EPOLLIN)
			irqfd_inject(f);
	}
	mutex_unlock(&vm->lock);
	fput(file);
	if (r) {
		eventfd_ctx_put(ctx);
		kfree(f);
	}
	return r;
}

/**
 * axvcpu_vm_eventfds_free - drop every ioeventfd and irqfd of a VM that
 *	is going away (no vcpu runs, no ioctl can come).
 * @vm: the VM.
 */
void axvcpu_vm_eventfds_free(struct axvcpu_vm *vm)
{
	struct ioeventfd *e, *en;
	struct irqfd *f, *fn;

	list_for_each_entry_safe(f, fn, &vm->irqfds, link) {
		list_del(&f->link);
		irqfd_free(f);
	}
	/* No vcpu exits any more: no reader of the list is left. */
	list_for_each_entry_safe(e, en, &vm->ioeventfds, link) {
		list_del(&e->link);
		eventfd_ctx_put(e->ctx);
		kfree(e);
	}
}
