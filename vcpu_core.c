// SPDX-License-Identifier: GPL-2.0
/*
 * The arch-independent heart of axvcpu.
 *
 * The misc device /dev/axvcpu, the VM and vcpu objects and their file
 * descriptors, the vcpu state machine (enum axvcpu_state), ioctl dispatch
 * and the run loop.  Everything that touches the hardware is behind
 * axvcpu_arch_*() (include/axvcpu_arch.h), implemented by vmx/ or arm64/.
 *
 * Object lifetimes: the VM fd and every vcpu fd hold a reference on the VM;
 * a vcpu lives as long as its fd (an mmap of the run page holds the fd).
 * Every file's fops name THIS_MODULE, so the module cannot go away while
 * any of them is open.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "axvcpu_arch.h"
#include "axvcpu_compat.h"
#include "axvcpu_internal.h"
#include "trace/axvcpu.h"

/* vcpu_load()/vcpu_put() follow the RUN thread with a preempt notifier. */
#ifndef CONFIG_PREEMPT_NOTIFIERS
#error "axvcpu needs CONFIG_PREEMPT_NOTIFIERS (CONFIG_KVM selects it)"
#endif

static bool enable_at_load;
module_param(enable_at_load, bool, 0444);
MODULE_PARM_DESC(enable_at_load,
		 "Turn hardware virtualization on at load, not at the first VM");

static const char * const state_names[] = {
	[AXVCPU_STATE_INVALID] = "Invalid",
	[AXVCPU_STATE_CREATED] = "Created",
	[AXVCPU_STATE_FREE] = "Free",
	[AXVCPU_STATE_READY] = "Ready",
	[AXVCPU_STATE_RUNNING] = "Running",
	[AXVCPU_STATE_BLOCKED] = "Blocked",
};

/* A VM maps its creator's memory: no other process may drive it. */
static int not_owner(void)
{
	pr_info_ratelimited("%s[%d]: VM or vcpu fd used outside the process that created the VM\n",
			    current->comm, task_pid_nr(current));
	return -EIO;
}

/* ------------------------------------------------------------------ VM */

static void vm_get(struct axvcpu_vm *vm)
{
	refcount_inc(&vm->refcount);
}

static void vm_put(struct axvcpu_vm *vm)
{
	if (!refcount_dec_and_test(&vm->refcount))
		return;
	/* No vcpu and no fd is left: no guest can run any more. */
	axvcpu_vm_eventfds_free(vm);
	axvcpu_vm_mmu_exit(vm);
	axvcpu_arch_vm_destroy(vm);
	axvcpu_vm_free_slots(vm);
	mmdrop(vm->mm);
	kfree(vm);
	axvcpu_percpu_put();
}

/* ---------------------------------------------------------------- vcpu */

/*
 * A life-cycle ioctl in the wrong state makes the vcpu Invalid, and a
 * failed step leaves it Invalid too: a VMM that lost track of the vcpu
 * cannot go on with a half-set-up one (the arch state may be partly
 * loaded on some CPU), and Invalid is terminal.
 */
static int vcpu_check_state(struct axvcpu_vcpu *vcpu, u32 from,
			    const char *op)
{
	u32 state = vcpu->state;

	if (state == from)
		return 0;
	WRITE_ONCE(vcpu->state, AXVCPU_STATE_INVALID);
	pr_info_ratelimited("vcpu %u: %s in state %s, expected %s: vcpu is now Invalid\n",
			    vcpu->id, op, state_names[state], state_names[from]);
	return -EBADFD;
}

static void vcpu_finish(struct axvcpu_vcpu *vcpu, int r, u32 to)
{
	WRITE_ONCE(vcpu->state, r ? AXVCPU_STATE_INVALID : to);
}

/*
 * The arch part of a create or setup config is a union: every byte beyond
 * the @used the backend reads must be zero (x86 reads none of it).
 * Checked once, here, before the state machine looks at the call, so a
 * bad argument changes nothing.
 */
static bool arch_cfg_clear(const void *cfg, size_t size, size_t used)
{
	return !memchr_inv(cfg + used, 0, size - used);
}

/* The AXVCPU_SETUP_* flags this host's arch takes. */
static u32 setup_flags(void)
{
	return AXVCPU_SETUP_HALT_IN_KERNEL |
	       (axvcpu_arch_check_extension(AXVCPU_CAP_X86_WAIT_SIPI) ?
		AXVCPU_SETUP_X86_WAIT_SIPI : 0);
}

static int setup_check(const void *buf, unsigned long arg)
{
	const struct axvcpu_vcpu_setup *cfg = buf;

	if ((cfg->flags & ~setup_flags()) || cfg->reserved ||
	    !arch_cfg_clear(cfg->pad, sizeof(cfg->pad),
			    axvcpu_arch_setup_cfg_used))
		return -EINVAL;
	return 0;
}

/* In state Created (the ioctl table checks it), to Free. */
static long vcpu_setup(struct axvcpu_vcpu *vcpu, void *buf, unsigned long arg)
{
	const struct axvcpu_vcpu_setup *cfg = buf;
	int r;

	r = axvcpu_arch_vcpu_setup(vcpu, cfg);
	if (!r)
		vcpu->halt_in_kernel = cfg->flags & AXVCPU_SETUP_HALT_IN_KERNEL;
	vcpu_finish(vcpu, r, AXVCPU_STATE_FREE);
	return r;
}

/* Free to Ready, Ready to Free (or Invalid). */
static long vcpu_bind(struct axvcpu_vcpu *vcpu, void *buf, unsigned long arg)
{
	int r = axvcpu_arch_vcpu_bind(vcpu);

	vcpu_finish(vcpu, r, AXVCPU_STATE_READY);
	return r;
}

static long vcpu_unbind(struct axvcpu_vcpu *vcpu, void *buf,
			unsigned long arg)
{
	int r = axvcpu_arch_vcpu_unbind(vcpu);

	vcpu_finish(vcpu, r, AXVCPU_STATE_FREE);
	return r;
}

/* _IO ioctls whose integer argument must be 0. */
static int arg_zero(const void *buf, unsigned long arg)
{
	return arg ? -EINVAL : 0;
}

/* Exits whose answer the next RUN writes back into the guest. */
static bool exit_needs_completion(u32 reason)
{
	switch (reason) {
	case AXVCPU_EXIT_HYPERCALL:
	case AXVCPU_EXIT_MMIO_READ:
	case AXVCPU_EXIT_IO_READ:
	case AXVCPU_EXIT_SYSREG_READ:
	case AXVCPU_EXIT_SYSREG_WRITE:	/* the VMM may refuse it: sysreg.fault */
		return true;
	default:
		return false;
	}
}

static struct axvcpu_vcpu *preempt_notifier_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct axvcpu_vcpu, preempt_notifier);
}

/* The RUN thread is back on a CPU, preemption disabled. */
static void vcpu_sched_in(struct preempt_notifier *pn, int cpu)
{
	axvcpu_arch_vcpu_load(preempt_notifier_to_vcpu(pn), cpu);
}

/* The RUN thread leaves its CPU: IRQs off, runqueue locked. */
static void vcpu_sched_out(struct preempt_notifier *pn,
			   struct task_struct *next)
{
	axvcpu_arch_vcpu_put(preempt_notifier_to_vcpu(pn));
}

static struct preempt_ops vcpu_preempt_ops = {
	.sched_in = vcpu_sched_in,
	.sched_out = vcpu_sched_out,
};

/*
 * State the backend keeps loaded for the whole RUN goes in here and out in
 * vcpu_put(), and around every stay off the CPU in between (KVM's
 * vcpu_load()/vcpu_put() model): the per-exit path then switches only
 * what the hardware forces.
 */
static void vcpu_load(struct axvcpu_vcpu *vcpu)
{
	int cpu = get_cpu();

	preempt_notifier_register(&vcpu->preempt_notifier);
	axvcpu_arch_vcpu_load(vcpu, cpu);
	put_cpu();
}

static void vcpu_put(struct axvcpu_vcpu *vcpu)
{
	preempt_disable();
	axvcpu_arch_vcpu_put(vcpu);
	preempt_notifier_unregister(&vcpu->preempt_notifier);
	preempt_enable();
}

static int vcpu_run_loop(struct axvcpu_vcpu *vcpu)
{
	int r;

	for (;;) {
		/*
		 * Checked before every entry: a signal sent, or immediate_exit
		 * set, while the guest ran is seen here after the exit it
		 * caused (the kick or the host interrupt).
		 */
		if (axvcpu_return_needed(vcpu)) {
			axvcpu_vcpu_set_exit(vcpu, AXVCPU_EXIT_INTR);
			return -EINTR;
		}
		cond_resched();
		vcpu->stat.counts.entries++;
		r = axvcpu_arch_vcpu_run(vcpu);
		if (r != AXVCPU_RUN_CONTINUE)
			return r;
	}
}

/*
 * The run page's counts: a write of the module's value as each changes,
 * never a copy of the whole struct (352 bytes, and a lock against irqfds,
 * on every return to userspace).  Builtin ones are written as they count
 * (axvcpu_count_builtin()), irqfds' by the irqfd; RUN's return writes the
 * entries and the one exit it counted.
 */
static void count_exit(struct axvcpu_vcpu *vcpu, int r, u32 reason)
{
	struct axvcpu_run_stats *s = &vcpu->run->stats;

	s->entries = vcpu->stat.counts.entries;
	if (r == -EINTR)
		reason = AXVCPU_EXIT_INTR;
	else if (r != AXVCPU_RUN_EXIT)
		return;		/* the vcpu failed: no exit to count */
	if (reason < AXVCPU_EXIT_NR)
		s->exits[reason] = ++vcpu->stat.counts.exits[reason];
}

/* In state Ready (the ioctl table checks it), and Ready again after. */
static long vcpu_run(struct axvcpu_vcpu *vcpu, void *buf, unsigned long arg)
{
	u32 pending, reason;
	int r;

	WRITE_ONCE(vcpu->state, AXVCPU_STATE_RUNNING);

	pending = vcpu->pending_exit;
	vcpu->pending_exit = AXVCPU_EXIT_NOTHING;
	if (pending != AXVCPU_EXIT_NOTHING) {
		r = axvcpu_arch_vcpu_complete(vcpu, pending);
		trace_axvcpu_complete(vcpu, pending, r);
		if (r)
			goto out;
	}

	rcu_assign_pointer(vcpu->task, current);
	/*
	 * Pairs with the barrier in axvcpu_vcpu_kick(): either the injector
	 * sees this task and kicks it, or the backend sees the injected event
	 * when it looks at its queue before entering the guest.
	 */
	smp_mb();
	vcpu_load(vcpu);
	r = vcpu_run_loop(vcpu);
	vcpu_put(vcpu);
	RCU_INIT_POINTER(vcpu->task, NULL);

	reason = vcpu->exit_reason;
	if (r == AXVCPU_RUN_EXIT && exit_needs_completion(reason))
		vcpu->pending_exit = reason;
	count_exit(vcpu, r, reason);
	trace_axvcpu_userspace_exit(vcpu, reason, r);
out:
	/* A signal is not a failure of the vcpu; anything else is. */
	vcpu_finish(vcpu, r == -EINTR ? 0 : r, AXVCPU_STATE_READY);
	return r;
}

static int gpr_check(const void *buf, unsigned long arg)
{
	const struct axvcpu_gpr *gpr = buf;

	return gpr->pad ? -EINVAL : 0;
}

static long vcpu_set_gpr(struct axvcpu_vcpu *vcpu, void *buf,
			 unsigned long arg)
{
	const struct axvcpu_gpr *gpr = buf;
	int r;

	r = axvcpu_arch_vcpu_set_gpr(vcpu, gpr->index, gpr->value);
	/*
	 * The VMM answered a read by writing the destination register
	 * itself: nothing is left for the next RUN to complete.
	 */
	if (!r && vcpu->pending_exit != AXVCPU_EXIT_HYPERCALL)
		vcpu->pending_exit = AXVCPU_EXIT_NOTHING;
	return r;
}

static long vcpu_get_gpr(struct axvcpu_vcpu *vcpu, void *buf,
			 unsigned long arg)
{
	struct axvcpu_gpr *gpr = buf;

	return axvcpu_arch_vcpu_get_gpr(vcpu, gpr->index, &gpr->value);
}

static long vcpu_set_return_value(struct axvcpu_vcpu *vcpu, void *buf,
				  unsigned long arg)
{
	axvcpu_arch_vcpu_set_return_value(vcpu, *(const u64 *)buf);
	if (vcpu->pending_exit == AXVCPU_EXIT_HYPERCALL)
		vcpu->pending_exit = AXVCPU_EXIT_NOTHING;
	return 0;
}

static int irq_check(const void *buf, unsigned long arg)
{
	const struct axvcpu_interrupt *irq = buf;

	return (irq->flags & ~AXVCPU_IRQ_FLAGS) || irq->pad ? -EINVAL : 0;
}

static long vcpu_inject_interrupt(struct axvcpu_vcpu *vcpu, void *buf,
				  unsigned long arg)
{
	const struct axvcpu_interrupt *irq = buf;
	unsigned long flags;
	int r;

	r = axvcpu_arch_vcpu_inject_interrupt(vcpu, irq);
	trace_axvcpu_inject(vcpu, irq->vector, AXVCPU_TRACE_INJECT_IOCTL, r);
	if (!r) {
		/* Without vcpu->mutex: irqfds count it too, on other CPUs. */
		spin_lock_irqsave(&vcpu->vm->irqfd_stats_lock, flags);
		vcpu->stat.injections++;
		spin_unlock_irqrestore(&vcpu->vm->irqfd_stats_lock, flags);
		axvcpu_vcpu_kick(vcpu);
	}
	return r;
}

static long vcpu_get_irq_state(struct axvcpu_vcpu *vcpu, void *buf,
			       unsigned long arg)
{
	return axvcpu_arch_vcpu_irq_state(vcpu, buf);
}

static long vcpu_get_state(struct axvcpu_vcpu *vcpu, void *buf,
			   unsigned long arg)
{
	*(u32 *)buf = READ_ONCE(vcpu->state);
	return 0;
}

static long vcpu_get_stats_fd(struct axvcpu_vcpu *vcpu, void *buf,
			      unsigned long arg)
{
	return axvcpu_stats_fd(vcpu->file, vcpu->vm, vcpu);
}

/**
 * axvcpu_vcpu_kick - make a vcpu in RUN leave the guest soon.
 * @vcpu: the vcpu.
 *
 * The interrupt that kick_process() sends forces an exit; the run loop then
 * sees signals and immediate_exit, and the backend its interrupt queue.
 * Usable from any context.
 */
void axvcpu_vcpu_kick(struct axvcpu_vcpu *vcpu)
{
	struct task_struct *task;

	smp_mb();	/* the event is queued before we look for a runner */
	rcu_read_lock();
	task = rcu_dereference(vcpu->task);
	if (task && task != current)
		kick_process(task);
	rcu_read_unlock();
	/* A RUN asleep in axvcpu_vcpu_block(): its condition may hold now. */
	if (wq_has_sleeper(&vcpu->wq))
		wake_up_interruptible(&vcpu->wq);
}

/**
 * axvcpu_vcpu_block - a halted guest's RUN waits until it has work.
 * @vcpu: the vcpu, inside RUN, preemptible (its state stays loaded: the
 *	preempt notifier puts it while the thread sleeps).
 * @wq: the wait queue that every change of @wake is followed by a wake-up
 *	of (vcpu->wq: axvcpu_vcpu_kick() wakes it).
 * @wake: true when an interrupt the guest would take is pending.
 * @ns: nanoseconds until the vcpu's own timer fires, or U64_MAX for none.
 *
 * Returns when @wake holds, @ns have passed, or RUN must go back to
 * userspace (axvcpu_return_needed(): the core's loop sees it next).  A
 * wake-up the guest did not need costs it only a spurious end of its
 * WFI/HLT, which the architectures allow.
 *
 * Return: @wake held at the end.
 */
bool axvcpu_vcpu_block(struct axvcpu_vcpu *vcpu, wait_queue_head_t *wq,
		       bool (*wake)(struct axvcpu_vcpu *vcpu), u64 ns)
{
	ktime_t t = ns > (u64)KTIME_MAX ? KTIME_MAX : ns_to_ktime(ns);
	u64 start = ktime_get_ns(), slept;
	bool woken;

	wait_event_interruptible_hrtimeout(*wq,
					   wake(vcpu) || axvcpu_return_needed(vcpu),
					   t);
	woken = wake(vcpu);
	slept = ktime_get_ns() - start;
	vcpu->stat.halt_ns += slept;
	vcpu->stat.halt_wakeups += woken;
	trace_axvcpu_halt(vcpu, slept, woken);
	return woken;
}

/* ---- ioctl dispatch (struct axvcpu_ioctl, include/axvcpu_arch.h) ---- */

#define ANY	AXVCPU_IOCTL_ANY_STATE
#define UNLOCKED AXVCPU_IOCTL_UNLOCKED

/* RUN first: vcpu_ioctl() takes it from here without a search. */
static const struct axvcpu_ioctl vcpu_ioctls[] = {
	AXVCPU_VCPU_IOCTL(AXVCPU_RUN, 0, AXVCPU_STATE_READY, arg_zero, vcpu_run),
	AXVCPU_VCPU_IOCTL(AXVCPU_SETUP, 0, AXVCPU_STATE_CREATED, setup_check,
			  vcpu_setup),
	AXVCPU_VCPU_IOCTL(AXVCPU_BIND, 0, AXVCPU_STATE_FREE, NULL, vcpu_bind),
	AXVCPU_VCPU_IOCTL(AXVCPU_UNBIND, 0, AXVCPU_STATE_READY, NULL,
			  vcpu_unbind),
	AXVCPU_VCPU_IOCTL(AXVCPU_GET_STATE, UNLOCKED, ANY, NULL, vcpu_get_state),
	AXVCPU_VCPU_IOCTL(AXVCPU_SET_GPR, 0, ANY, gpr_check, vcpu_set_gpr),
	AXVCPU_VCPU_IOCTL(AXVCPU_GET_GPR, 0, ANY, gpr_check, vcpu_get_gpr),
	AXVCPU_VCPU_IOCTL(AXVCPU_SET_RETURN_VALUE, 0, ANY, NULL,
			  vcpu_set_return_value),
	AXVCPU_VCPU_IOCTL(AXVCPU_INJECT_INTERRUPT, UNLOCKED, ANY, irq_check,
			  vcpu_inject_interrupt),
	AXVCPU_VCPU_IOCTL(AXVCPU_GET_IRQ_STATE, UNLOCKED, ANY, NULL,
			  vcpu_get_irq_state),
	AXVCPU_VCPU_IOCTL(AXVCPU_GET_STATS_FD, UNLOCKED, ANY, arg_zero,
			  vcpu_get_stats_fd),
};

static const struct axvcpu_ioctl *ioctl_find(const struct axvcpu_ioctl *t,
					     unsigned int n, unsigned int cmd)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (t[i].cmd == cmd)
			return &t[i];
	return NULL;
}

/*
 * The argument checked, the vcpu's state checked, the handler.  Inline: at
 * RUN's own call site (vcpu_ioctl()) the entry is a constant, so its check
 * and handler are direct calls there.
 */
static __always_inline long ioctl_act(const struct axvcpu_ioctl *d, void *obj, void *buf,
		      unsigned long arg)
{
	long r;

	if (d->check) {
		r = d->check(buf, arg);
		if (r)
			return r;
	}
	if (!d->vcpu)
		return d->vm(obj, buf, arg);
	if (d->state != AXVCPU_IOCTL_ANY_STATE) {
		r = vcpu_check_state(obj, d->state, d->name);
		if (r)
			return r;
	}
	return d->vcpu(obj, buf, arg);
}

/*
 * The argument copied in once and out once.  Out of line: RUN, which has
 * no argument, does not carry the buffer on its stack into the guest.
 */
static noinline long ioctl_copy_act(const struct axvcpu_ioctl *d, void *obj,
				    unsigned long arg)
{
	u64 buf[AXVCPU_IOCTL_MAX_ARG / sizeof(u64)];
	void __user *argp = (void __user *)arg;
	size_t size = _IOC_SIZE(d->cmd);
	long r;

	memset(buf, 0, size);
	if ((_IOC_DIR(d->cmd) & _IOC_WRITE) && copy_from_user(buf, argp, size))
		return -EFAULT;
	r = ioctl_act(d, obj, buf, arg);
	if (!r && (_IOC_DIR(d->cmd) & _IOC_READ) &&
	    copy_to_user(argp, buf, size))
		r = -EFAULT;
	return r;
}

static long ioctl_call(const struct axvcpu_ioctl *d, void *obj,
		       unsigned long arg)
{
	if (!_IOC_SIZE(d->cmd))
		return ioctl_act(d, obj, NULL, arg);
	return ioctl_copy_act(d, obj, arg);
}

static long vcpu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct axvcpu_vcpu *vcpu = file->private_data;
	const struct axvcpu_ioctl *d;
	long r;

	if (vcpu->vm->mm != current->mm)
		return not_owner();

	/* RUN, the hot one: the same steps, with its entry known. */
	if (likely(cmd == AXVCPU_RUN)) {
		/* Folded at build time, as the entry's check and handler are. */
		BUILD_BUG_ON(vcpu_ioctls[0].cmd != AXVCPU_RUN);
		if (!mutex_trylock(&vcpu->mutex))
			return -EBUSY;
		r = ioctl_act(&vcpu_ioctls[0], vcpu, NULL, arg);
		mutex_unlock(&vcpu->mutex);
		return r;
	}

	d = ioctl_find(vcpu_ioctls, ARRAY_SIZE(vcpu_ioctls), cmd);
	if (!d)
		d = ioctl_find(axvcpu_arch_vcpu_ioctls,
			       axvcpu_arch_nr_vcpu_ioctls, cmd);
	if (!d)
		return -ENOTTY;
	if (d->flags & AXVCPU_IOCTL_UNLOCKED)
		return ioctl_call(d, vcpu, arg);

	/* One thread at a time uses a vcpu; RUN holds it for its whole run. */
	if (!mutex_trylock(&vcpu->mutex))
		return -EBUSY;
	r = ioctl_call(d, vcpu, arg);
	mutex_unlock(&vcpu->mutex);
	return r;
}

/*
 * The run page is shared with the kernel: a private (copy-on-write) map
 * would stop seeing it after the first write, and a child after fork()
 * must not reach the parent's vcpu through it.  VM_DONTCOPY alone would
 * not hold: madvise(MADV_DOFORK) clears it, except on a VM_IO mapping
 * (madvise() refuses with -EINVAL).  VM_IO also keeps get_user_pages(),
 * and so /proc/<pid>/mem and process_vm_readv() of others, off the page.
 */
static int vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct axvcpu_vcpu *vcpu = file->private_data;

	if (vcpu->vm->mm != current->mm)
		return not_owner();
	if (vma->vm_pgoff || vma_pages(vma) != 1 ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	axvcpu_vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_IO |
			    VM_DONTDUMP);
	return vm_insert_page(vma, vma->vm_start, virt_to_page(vcpu->run));
}

static int vcpu_release(struct inode *inode, struct file *file)
{
	struct axvcpu_vcpu *vcpu = file->private_data;
	struct axvcpu_vm *vm = vcpu->vm;

	mutex_lock(&vm->lock);
	WRITE_ONCE(vm->vcpus[vcpu->id], NULL);
	mutex_unlock(&vm->lock);
	/* An irqfd's wake-up may still be injecting into it (under RCU). */
	synchronize_rcu();

	axvcpu_arch_vcpu_destroy(vcpu);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
	vm_put(vm);
	return 0;
}

static const struct file_operations vcpu_fops = {
	.owner = THIS_MODULE,
	.release = vcpu_release,
	.unlocked_ioctl = vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vcpu_mmap,
	.llseek = noop_llseek,
};

static int create_vcpu_check(const void *buf, unsigned long arg)
{
	const struct axvcpu_vcpu_create *cfg = buf;

	if (cfg->flags || cfg->vcpu_id >= AXVCPU_MAX_VCPUS ||
	    !arch_cfg_clear(cfg->pad, sizeof(cfg->pad),
			    axvcpu_arch_create_cfg_used))
		return -EINVAL;
	return 0;
}

static long vm_create_vcpu(struct axvcpu_vm *vm, void *buf, unsigned long arg)
{
	const struct axvcpu_vcpu_create *cfg = buf;
	struct axvcpu_vcpu *vcpu;
	struct file *file;
	int fd, r;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run) {
		r = -ENOMEM;
		goto out_free_vcpu;
	}
	vcpu->vm = vm;
	vcpu->id = cfg->vcpu_id;
	vcpu->state = AXVCPU_STATE_CREATED;
	mutex_init(&vcpu->mutex);
	init_waitqueue_head(&vcpu->wq);
	preempt_notifier_init(&vcpu->preempt_notifier, &vcpu_preempt_ops);

	mutex_lock(&vm->lock);
	if (vm->vcpus[vcpu->id]) {
		r = -EEXIST;
		goto out_unlock;
	}
	r = axvcpu_arch_vcpu_create(vcpu, cfg);
	if (r)
		goto out_unlock;

	vm_get(vm);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto out_destroy;
	}
	file = anon_inode_getfile("axvcpu-vcpu", &vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		r = PTR_ERR(file);
		goto out_destroy;
	}
	vcpu->file = file;
	/* Set up before an irqfd's lockless lookup can find it. */
	smp_store_release(&vm->vcpus[vcpu->id], vcpu);
	mutex_unlock(&vm->lock);
	fd_install(fd, file);
	return fd;

out_destroy:
	/* The VM fd our caller came through still holds the VM. */
	refcount_dec(&vm->refcount);
	axvcpu_arch_vcpu_destroy(vcpu);
out_unlock:
	mutex_unlock(&vm->lock);
	free_page((unsigned long)vcpu->run);
out_free_vcpu:
	kfree(vcpu);
	return r;
}

static long vm_set_memory_region(struct axvcpu_vm *vm, void *buf,
				 unsigned long arg)
{
	return axvcpu_vm_set_memory_region(vm, buf);
}

static long vm_get_dirty_log(struct axvcpu_vm *vm, void *buf,
			     unsigned long arg)
{
	return axvcpu_vm_get_dirty_log(vm, buf);
}

static long vm_ioeventfd(struct axvcpu_vm *vm, void *buf, unsigned long arg)
{
	return axvcpu_vm_ioeventfd(vm, buf);
}

static long vm_irqfd(struct axvcpu_vm *vm, void *buf, unsigned long arg)
{
	return axvcpu_vm_irqfd(vm, buf);
}

static long vm_get_stats_fd(struct axvcpu_vm *vm, void *buf,
			    unsigned long arg)
{
	return axvcpu_stats_fd(vm->file, vm, NULL);
}

/* VM ioctls take no vcpu->mutex and need no vcpu state. */
static const struct axvcpu_ioctl vm_ioctls[] = {
	AXVCPU_VM_IOCTL(AXVCPU_SET_MEMORY_REGION, NULL, vm_set_memory_region),
	AXVCPU_VM_IOCTL(AXVCPU_CREATE_VCPU, create_vcpu_check, vm_create_vcpu),
	AXVCPU_VM_IOCTL(AXVCPU_GET_DIRTY_LOG, NULL, vm_get_dirty_log),
	AXVCPU_VM_IOCTL(AXVCPU_IOEVENTFD, NULL, vm_ioeventfd),
	AXVCPU_VM_IOCTL(AXVCPU_IRQFD, NULL, vm_irqfd),
	AXVCPU_VM_IOCTL(AXVCPU_GET_STATS_FD, arg_zero, vm_get_stats_fd),
};

static long vm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct axvcpu_vm *vm = file->private_data;
	const struct axvcpu_ioctl *d;

	if (vm->mm != current->mm)
		return not_owner();
	d = ioctl_find(vm_ioctls, ARRAY_SIZE(vm_ioctls), cmd);
	return d ? ioctl_call(d, vm, arg) : -ENOTTY;
}

static int vm_release(struct inode *inode, struct file *file)
{
	vm_put(file->private_data);
	return 0;
}

static const struct file_operations vm_fops = {
	.owner = THIS_MODULE,
	.release = vm_release,
	.unlocked_ioctl = vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* -------------------------------------------------------------- system */

/* VM numbers for traces and stats ids: 1, 2, ... per module load. */
static atomic_t vm_ids = ATOMIC_INIT(0);

static int create_vm(unsigned long arg)
{
	struct axvcpu_vm *vm;
	int fd, r;

	if (arg)
		return -EINVAL;

	r = axvcpu_percpu_get();
	if (r)
		return r;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		r = -ENOMEM;
		goto out_put_percpu;
	}
	vm->id = atomic_inc_return(&vm_ids);
	refcount_set(&vm->refcount, 1);
	mutex_init(&vm->lock);
	INIT_LIST_HEAD(&vm->ioeventfds);
	INIT_LIST_HEAD(&vm->irqfds);
	spin_lock_init(&vm->irqfd_stats_lock);
	spin_lock_init(&vm->slots_lock);
	vm->mm = current->mm;
	mmgrab(vm->mm);

	r = axvcpu_arch_vm_init(vm);
	if (r)
		goto out_free_vm;
	r = axvcpu_vm_mmu_init(vm);
	if (r)
		goto out_destroy;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto out_mmu;
	}
	vm->file = anon_inode_getfile("axvcpu-vm", &vm_fops, vm, O_RDWR);
	if (IS_ERR(vm->file)) {
		put_unused_fd(fd);
		r = PTR_ERR(vm->file);
		goto out_mmu;
	}
	fd_install(fd, vm->file);
	return fd;

out_mmu:
	axvcpu_vm_mmu_exit(vm);
out_destroy:
	axvcpu_arch_vm_destroy(vm);
out_free_vm:
	mmdrop(vm->mm);
	kfree(vm);
out_put_percpu:
	axvcpu_percpu_put();
	return r;
}

static long check_extension(unsigned long cap)
{
	switch (cap) {
	case AXVCPU_CAP_NR_VCPUS:
		return AXVCPU_MAX_VCPUS;
	case AXVCPU_CAP_NR_MEMSLOTS:
		return AXVCPU_MAX_MEMSLOTS;
	case AXVCPU_CAP_READONLY_MEM:
	case AXVCPU_CAP_IMMEDIATE_EXIT:
	case AXVCPU_CAP_HALT_IN_KERNEL:
	case AXVCPU_CAP_STATS_FD:
		return 1;
	case AXVCPU_CAP_RUN_SIZE:
		return PAGE_SIZE;
	default:
		return cap > LONG_MAX ? 0 : axvcpu_arch_check_extension(cap);
	}
}

static long dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case AXVCPU_GET_API_VERSION:
		return arg ? -EINVAL : AXVCPU_API_VERSION;
	case AXVCPU_CHECK_EXTENSION:
		return check_extension(arg);
	case AXVCPU_CREATE_VM:
		return create_vm(arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice axvcpu_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "axvcpu",
	.fops = &dev_fops,
	.mode = 0600,
};

static int __init axvcpu_init(void)
{
	const char *why;
	int err = -ENODEV;
	int r;

	BUILD_BUG_ON(sizeof(struct axvcpu_run) > AXVCPU_RUN_SIZE);
	BUILD_BUG_ON(AXVCPU_RUN_SIZE > PAGE_SIZE);

	why = axvcpu_arch_hardware_supported(&err);
	if (why) {
		pr_err("not loading: %s\n", why);
		return err;
	}
	r = axvcpu_arch_init();
	if (r)
		return r;
	/* vcpu_load() registers preempt notifiers: turn their hook on. */
	preempt_notifier_inc();
	r = axvcpu_percpu_init(enable_at_load);
	if (r)
		goto out_arch;
	r = misc_register(&axvcpu_dev);
	if (r)
		goto out_percpu;
	pr_info("ready (API version %d)\n", AXVCPU_API_VERSION);
	return 0;

out_percpu:
	if (enable_at_load)
		axvcpu_percpu_put();
	axvcpu_percpu_exit();
out_arch:
	preempt_notifier_dec();
	axvcpu_arch_exit();
	return r;
}

static void __exit axvcpu_exit(void)
{
	misc_deregister(&axvcpu_dev);
	if (enable_at_load)
		axvcpu_percpu_put();
	axvcpu_percpu_exit();
	preempt_notifier_dec();
	axvcpu_arch_exit();
}

module_init(axvcpu_init);
module_exit(axvcpu_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The axvcpu developers");
MODULE_DESCRIPTION("Hardware virtual CPUs for a userspace VMM (ArceOS vCPU layer on Linux)");
