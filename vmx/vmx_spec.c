// SPDX-License-Identifier: GPL-2.0
/*
 * Host isolation around guest entries (issue 11, items 1 and 6): the L1D
 * flush before entry on L1TF-affected CPUs, the IBPB when another VM's
 * vcpu is the next to run on a CPU, the SPEC_CTRL rewrite after every exit
 * under legacy IBRS, and host PEBS turned off while a guest runs.
 *
 * Each step follows the host's own mitigation state, read once at load
 * from the same CPU feature and bug bits the kernel (and KVM) decide on,
 * so a host booted with mitigations=off pays for none of them, and each
 * one is counted per CPU: the read-only module parameter x86_mitigations
 * shows what was decided and how often each step ran.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>

#include "vmx.h"

/* The software flush reads twice the largest L1D of any Intel core (KVM's size). */
#define L1D_FLUSH_ORDER		4
#define L1D_FLUSH_SIZE		(PAGE_SIZE << L1D_FLUSH_ORDER)

/* What the host's state asks for, decided at load. */
static struct {
	enum { L1D_NEVER, L1D_MSR, L1D_SOFTWARE } l1d;
	bool ibpb, pebs;
} spec;

static void *l1d_flush_pages;
static atomic64_t next_vm_id;

/**
 * struct axvmx_spec_count - what this CPU did, for x86_mitigations.
 * @windows: VMX windows that entered the guest.
 * @l1d_flushes: L1D flushes before an entry.
 * @ibpbs: IBPBs before a window of another VM.
 * @pebs_off: windows whose entries loaded PEBS_ENABLE = 0.
 * @last_vm: the id of the VM of the last window here (0: none yet).
 */
struct axvmx_spec_count {
	u64 windows, l1d_flushes, ibpbs, pebs_off;
	u64 last_vm;
};

static DEFINE_PER_CPU(struct axvmx_spec_count, spec_count);
/* Incremented by the exit path (axvmx_spec_ctrl_restore_host()). */
static DEFINE_PER_CPU(u64, spec_ctrl_restores);

/*
 * IBPB as the host uses it: kernels up to 6.x say with USE_IBPB whether
 * the spectre_v2_user mitigation issues it on switches between tasks; later
 * kernels (and KVM there) issue it wherever the CPU has it.
 */
#ifdef X86_FEATURE_USE_IBPB
#define AXVMX_IBPB_FEATURE	X86_FEATURE_USE_IBPB
#else
#define AXVMX_IBPB_FEATURE	X86_FEATURE_IBPB
#endif

/*
 * KVM's vmentry_l1d_flush=cond default: flush when the CPU has L1TF and
 * neither the command line (mitigations=off) nor the CPU itself (the
 * SKIP_VMENTRY_L1DFLUSH hint of an outer hypervisor that flushes for us)
 * says not to.
 */
static bool l1d_flush_needed(void)
{
	u64 cap = 0;

	if (!boot_cpu_has_bug(X86_BUG_L1TF) || cpu_mitigations_off())
		return false;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES) &&
	    !rdmsrq_safe(MSR_IA32_ARCH_CAPABILITIES, &cap) &&
	    (cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH))
		return false;
	return true;
}

/**
 * axvmx_spec_init - decide the steps, once at module load.
 *
 * Return: 0 or -ENOMEM (the software L1D flush's buffer).
 */
int axvmx_spec_init(void)
{
	u64 pebs;
	int i;

	spec.l1d = L1D_NEVER;
	if (l1d_flush_needed()) {
		spec.l1d = L1D_MSR;
		if (!boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
			struct page *p = alloc_pages(GFP_KERNEL, L1D_FLUSH_ORDER);

			if (!p)
				return -ENOMEM;
			l1d_flush_pages = page_address(p);
			/* Distinct contents: no page may be merged or zero-mapped. */
			for (i = 0; i < 1 << L1D_FLUSH_ORDER; i++)
				memset(l1d_flush_pages + i * PAGE_SIZE, i + 1,
				       PAGE_SIZE);
			spec.l1d = L1D_SOFTWARE;
		}
	}
	spec.ibpb = boot_cpu_has(AXVMX_IBPB_FEATURE);
	spec.pebs = boot_cpu_has(X86_FEATURE_PEBS) &&
		    !rdmsrq_safe(MSR_IA32_PEBS_ENABLE, &pebs);
	return 0;
}

void axvmx_spec_exit(void)
{
	if (l1d_flush_pages)
		free_pages((unsigned long)l1d_flush_pages, L1D_FLUSH_ORDER);
	l1d_flush_pages = NULL;
}

/**
 * axvmx_spec_new_vm_id - a number no other VM of this module load has.
 *
 * Return: a non-zero id (a VM's address may be reused, an id is not).
 */
u64 axvmx_spec_new_vm_id(void)
{
	return atomic64_inc_return(&next_vm_id);
}

/*
 * L1TF: a guest can read whatever the L1D holds through a not-present
 * guest page-table entry with an address of its choosing, EPT does not
 * stop it (SDM Vol. 3A, "L1 Terminal Fault"; Intel's "Deep Dive: L1TF").
 * The L1D is emptied before the guest runs after host code did: with
 * IA32_FLUSH_CMD where the microcode has it, else by reading a buffer
 * twice the L1D's size, its pages touched first so that no TLB miss
 * during the fill lets earlier lines survive (KVM's vmx_l1d_flush()).
 */
static void l1d_flush(void)
{
	int size = L1D_FLUSH_SIZE;

	if (spec.l1d == L1D_MSR) {
		wrmsrq(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	asm volatile(
		/* The pages into the TLB first. */
		"xorl	%%eax, %%eax\n"
		".Lax_populate_tlb:\n\t"
		"movzbl	(%[pages], %%rax), %%ecx\n\t"
		"addl	$4096, %%eax\n\t"
		"cmpl	%%eax, %[size]\n\t"
		"jne	.Lax_populate_tlb\n\t"
		"xorl	%%eax, %%eax\n\t"
		"cpuid\n\t"
		/* Then every line of the buffer. */
		"xorl	%%eax, %%eax\n"
		".Lax_fill_cache:\n"
		"movzbl	(%[pages], %%rax), %%ecx\n\t"
		"addl	$64, %%eax\n\t"
		"cmpl	%%eax, %[size]\n\t"
		"jne	.Lax_fill_cache\n\t"
		"lfence\n"
		: : [pages] "r"(l1d_flush_pages), [size] "r"(size)
		: "eax", "ebx", "ecx", "edx", "memory");
}

/**
 * axvmx_spec_window - at the start of a window of @v, IRQs off.
 * @v: the vcpu; its VMCS current.
 *
 * IBPB: the indirect-branch predictions one VM trained must not steer
 * another's; vcpus of one VM are one domain (the predictor between host
 * tasks is the host's own business).  PEBS: a record is written to the DS
 * area's linear address, which in the guest would be translated by the
 * guest's page tables, so the entries load PEBS_ENABLE = 0 and the exits
 * the host's value, through the VM-entry and VM-exit MSR-load lists: an
 * NMI (a PMI re-enabling PEBS) between two entries of the window cannot
 * slip past them.
 */
void axvmx_spec_window(struct axvmx_vcpu *v)
{
	struct axvmx_spec_count *c = this_cpu_ptr(&spec_count);
	u64 id = to_vmx_vm(v->vcpu->vm)->id;
	u32 nr = 0;

	c->windows++;
	if (c->last_vm != id) {
		if (spec.ibpb && c->last_vm) {
			wrmsrq(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
			c->ibpbs++;
		}
		c->last_vm = id;
	}
	if (spec.pebs) {
		u64 host;

		host = axvmx_rdmsr(MSR_IA32_PEBS_ENABLE);
		if (host) {
			v->msr_autoload[1].value = host;
			nr = 1;
			c->pebs_off++;
		}
	}
	if (nr != v->msr_autoload_nr) {
		vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, nr);
		vmcs_write(VM_EXIT_MSR_LOAD_COUNT, nr);
		v->msr_autoload_nr = nr;
	}
}

/**
 * axvmx_spec_entry - right before the first entry of a window.
 *
 * The window's later entries follow exits the module handled with IRQs
 * off, touching only this vcpu's state: KVM's "cond" policy flushes for
 * those neither.
 */
void axvmx_spec_entry(void)
{
	if (spec.l1d == L1D_NEVER)
		return;
	l1d_flush();
	this_cpu_inc(spec_count.l1d_flushes);
}

/**
 * axvmx_spec_ctrl_restore_host - after an exit, under legacy IBRS.
 *
 * Called from the exit path (vmx_entry.S) before its first unbalanced
 * RET, only when the kernel sets IBRS on every entry to it: IBRS
 * protects against predictions made in a less privileged mode only when
 * it is written after the switch to the more privileged one, and
 * VMX non-root operation is less privileged (Intel's "Indirect Branch
 * Restricted Speculation" guidance).  The guest itself can never change
 * SPEC_CTRL (vmx_msr.c), so the host's value is also the current one.
 */
noinstr void axvmx_spec_ctrl_restore_host(void)
{
	u64 val = this_cpu_read(x86_spec_ctrl_current);

	asm volatile("wrmsr" : : "c"(MSR_IA32_SPEC_CTRL), "a"((u32)val),
		     "d"((u32)(val >> 32)) : "memory");
	this_cpu_inc(spec_ctrl_restores);
	barrier_nospec();
}

static const char *const l1d_name[] = {
	[L1D_NEVER] = "never", [L1D_MSR] = "msr", [L1D_SOFTWARE] = "software",
};

/* x86_mitigations: the decisions, then the counts summed over the CPUs. */
static int mitigations_get(char *buf, const struct kernel_param *kp)
{
	u64 w = 0, l = 0, i = 0, p = 0, s = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct axvmx_spec_count *c = per_cpu_ptr(&spec_count, cpu);

		w += READ_ONCE(c->windows);
		l += READ_ONCE(c->l1d_flushes);
		i += READ_ONCE(c->ibpbs);
		p += READ_ONCE(c->pebs_off);
		s += READ_ONCE(per_cpu(spec_ctrl_restores, cpu));
	}
	return sysfs_emit(buf,
			  "l1d_flush=%s ibpb=%s spec_ctrl=%s pebs=%s windows=%llu l1d_flushes=%llu ibpbs=%llu spec_ctrl_restores=%llu pebs_off=%llu\n",
			  l1d_name[spec.l1d], spec.ibpb ? "on" : "off",
			  boot_cpu_has(X86_FEATURE_KERNEL_IBRS) ? "on" : "off",
			  spec.pebs ? "on" : "off", w, l, i, s, p);
}

static const struct kernel_param_ops mitigations_ops = {
	.get = mitigations_get,
};

module_param_cb(x86_mitigations, &mitigations_ops, NULL, 0444);
MODULE_PARM_DESC(x86_mitigations,
		 "x86: the host-isolation steps around guest entries and how often each ran (read-only)");
