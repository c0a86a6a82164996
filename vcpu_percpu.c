// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware virtualization on and off, on every CPU.
 *
 * Virtualization (VMXON on x86, the per-CPU EL2 facts on arm64) is on while
 * there is a user: a VM, or the module itself with enable_at_load.  The
 * first user turns it on for every online CPU, the last one turns it off.  A
 * CPU that comes online while it is on gets it, one that goes offline loses
 * it, and a reboot turns it off everywhere: a CPU must never be handed to
 * firmware or a new kernel with VMX still on.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/reboot.h>
#include <linux/smp.h>

#include "axvcpu_arch.h"
#include "axvcpu_internal.h"

/* Protects users, enabled_mask and the transitions. */
static DEFINE_MUTEX(percpu_lock);
static unsigned int users;
static struct cpumask enabled_mask;
static atomic_t enable_error;
static enum cpuhp_state cpuhp_state;
static bool rebooting;

static void enable_this_cpu(void *unused)
{
	int cpu = raw_smp_processor_id();
	int r;

	if (cpumask_test_cpu(cpu, &enabled_mask))
		return;
	r = axvcpu_arch_hardware_enable();
	if (r)
		atomic_cmpxchg(&enable_error, 0, r);
	else
		cpumask_set_cpu(cpu, &enabled_mask);
}

static void disable_this_cpu(void *unused)
{
	int cpu = raw_smp_processor_id();

	if (!cpumask_test_cpu(cpu, &enabled_mask))
		return;
	axvcpu_arch_hardware_disable();
	cpumask_clear_cpu(cpu, &enabled_mask);
}

/* Called with the CPU hotplug lock and percpu_lock held. */
static int enable_all(void)
{
	int r;

	atomic_set(&enable_error, 0);
	on_each_cpu(enable_this_cpu, NULL, 1);
	r = atomic_read(&enable_error);
	if (r)
		on_each_cpu(disable_this_cpu, NULL, 1);
	return r;
}

/**
 * axvcpu_percpu_get - take a user of hardware virtualization.
 *
 * The first user turns it on for every online CPU.
 *
 * Return: 0, -EBUSY while the host reboots, or the backend's error, with
 * nothing left enabled.
 */
int axvcpu_percpu_get(void)
{
	int r = 0;

	cpus_read_lock();
	mutex_lock(&percpu_lock);
	if (rebooting)
		r = -EBUSY;
	else if (!users)
		r = enable_all();
	if (!r)
		users++;
	mutex_unlock(&percpu_lock);
	cpus_read_unlock();
	return r;
}

/**
 * axvcpu_percpu_put - drop a user; the last one turns virtualization off.
 */
void axvcpu_percpu_put(void)
{
	cpus_read_lock();
	mutex_lock(&percpu_lock);
	if (!WARN_ON_ONCE(!users) && !--users)
		on_each_cpu(disable_this_cpu, NULL, 1);
	mutex_unlock(&percpu_lock);
	cpus_read_unlock();
}

/* CPU hotplug: these run on the CPU in question. */
static int axvcpu_cpu_online(unsigned int cpu)
{
	int r = 0;

	mutex_lock(&percpu_lock);
	if (users && !rebooting) {
		unsigned long flags;

		atomic_set(&enable_error, 0);
		local_irq_save(flags);
		enable_this_cpu(NULL);
		local_irq_restore(flags);
		r = atomic_read(&enable_error);
		if (r)
			pr_err("cpu%u: cannot enable virtualization (%d)\n",
			       cpu, r);
	}
	mutex_unlock(&percpu_lock);
	return r;
}

static int axvcpu_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	mutex_lock(&percpu_lock);
	local_irq_save(flags);
	disable_this_cpu(NULL);
	local_irq_restore(flags);
	mutex_unlock(&percpu_lock);
	return 0;
}

static int axvcpu_reboot(struct notifier_block *nb, unsigned long code,
			 void *unused)
{
	/* No new users from here on; turn it off wherever it is on. */
	mutex_lock(&percpu_lock);
	rebooting = true;
	on_each_cpu(disable_this_cpu, NULL, 1);
	mutex_unlock(&percpu_lock);
	pr_info("rebooting: virtualization off, no more guest entries\n");
	return NOTIFY_OK;
}

static struct notifier_block axvcpu_reboot_nb = {
	.notifier_call = axvcpu_reboot,
	.priority = 0,
};

static void query_this_cpu(void *mask)
{
	if (axvcpu_arch_hardware_is_enabled())
		cpumask_set_cpu(smp_processor_id(), mask);
}

/*
 * enabled_cpus: the CPUs on which the hardware says virtualization is on
 * right now.  Each CPU is asked, so this is a check of the hardware, not of
 * our own bookkeeping.
 */
static int enabled_cpus_get(char *buf, const struct kernel_param *kp)
{
	cpumask_var_t mask;
	int len;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	cpus_read_lock();
	on_each_cpu(query_this_cpu, mask, 1);
	cpus_read_unlock();
	len = scnprintf(buf, PAGE_SIZE, "%*pbl\n", cpumask_pr_args(mask));
	free_cpumask_var(mask);
	return len;
}

static const struct kernel_param_ops enabled_cpus_ops = {
	.get = enabled_cpus_get,
};
/* 0400: each read sends an IPI to every CPU. */
module_param_cb(enabled_cpus, &enabled_cpus_ops, NULL, 0400);
MODULE_PARM_DESC(enabled_cpus,
		 "CPUs on which hardware virtualization is on now (read-only)");

/**
 * axvcpu_percpu_init - set up CPU hotplug and reboot handling.
 * @enable_now: take a user at once (the enable_at_load parameter).
 *
 * Return: 0 or a negative errno, with nothing registered.
 */
int axvcpu_percpu_init(bool enable_now)
{
	int r;

	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "axvcpu:online",
			      axvcpu_cpu_online, axvcpu_cpu_offline);
	if (r < 0)
		return r;
	cpuhp_state = r;
	register_reboot_notifier(&axvcpu_reboot_nb);

	if (enable_now) {
		r = axvcpu_percpu_get();
		if (r) {
			axvcpu_percpu_exit();
			return r;
		}
	}
	return 0;
}

/**
 * axvcpu_percpu_exit - undo axvcpu_percpu_init(); every VM is gone by now.
 */
void axvcpu_percpu_exit(void)
{
	unregister_reboot_notifier(&axvcpu_reboot_nb);
	cpuhp_remove_state(cpuhp_state);
	cpus_read_lock();
	mutex_lock(&percpu_lock);
	users = 0;
	on_each_cpu(disable_this_cpu, NULL, 1);
	mutex_unlock(&percpu_lock);
	cpus_read_unlock();
}
