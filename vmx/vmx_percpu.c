// SPDX-License-Identifier: GPL-2.0
/*
 * VMX per CPU: capability checks, VMX windows and host-safety hooks.
 *
 * Linux locked IA32_FEATURE_CONTROL at boot and owns CR4 through a cached
 * copy that only its own (KVM-only, from 7.x) helpers update; kvm_intel or
 * the core kernel may hold VMX operation on any CPU at any time.  So VMX
 * operation is entered only for "windows": one IRQs-off stretch that
 * loads a VMCS, runs the guest, handles exits and VMCLEARs the VMCS again.
 * A window borrows VMX operation when someone else has it on (saving and
 * restoring their current VMCS), else does VMXON and VMXOFF itself with
 * CR4.VMXE set only in between.  Documentation/design.rst has the why.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/jiffies.h>
#include <linux/notifier.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/processor.h>
#include <asm/reboot.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "vmx.h"

/**
 * struct axvmx_cpu - this CPU's VMX state.
 * @vmxon_region: the 4K VMXON region (allocated at module load).
 * @vmxon_pa: its physical address, VMXON's operand.
 * @ready: a user of the module enabled this CPU (axvcpu_arch_hardware_enable)
 *	and it is not going down or rebooting: windows may open here.
 * @in_own_window: inside a window that did its own VMXON, or holding
 *	VMX operation (@held): the emergency path's VMXOFF.
 * @held: VMX operation entered by the module stays on between windows
 *	(vmx_hold), CR4.VMXE in the kernel's CR4 copy.
 * @cur: with @held, the vcpu whose VMCS is current here (at most one VMCS
 *	of ours is active on the CPU), or NULL.
 * @host_msrs: the host's values of the MSRs a guest switches.
 */
struct axvmx_cpu {
	void *vmxon_region;
	u64 vmxon_pa;
	bool ready;
	bool in_own_window;
	bool held;
	struct axvmx_vcpu *cur;
	struct axvmx_host_msrs host_msrs;
};

static DEFINE_PER_CPU(struct axvmx_cpu, axvmx_cpu);

struct axvmx_caps axvmx_caps;

/* Why this machine cannot run guests, found at load; NULL if it can. */
static const char *unsupported;
static int unsupported_errno;

static DEFINE_IDA(vpid_ida);

/* Preemption off: this CPU's host MSR values. */
struct axvmx_host_msrs *axvmx_host_msrs(void)
{
	return this_cpu_ptr(&axvmx_cpu.host_msrs);
}

/*
 * kvm_intel hands out VPIDs from 1 upwards (lowest free first); ours come
 * from the top half, so the two never share one while KVM has fewer than
 * 32768 vcpus.  Sharing would not leak translations anyway: with EPT every
 * cached translation is also tagged with the EPTP (SDM 29.4.1), and a
 * vcpu's first window on each CPU flushes its VPID and EPTP there.
 */
#define AXVMX_VPID_FIRST	0x8000
#define AXVMX_VPID_LAST		0xffff

u16 axvmx_alloc_vpid(void)
{
	int id;

	if (!axvmx_caps.has_vpid)
		return 0;
	id = ida_alloc_range(&vpid_ida, AXVMX_VPID_FIRST, AXVMX_VPID_LAST,
			     GFP_KERNEL);
	return id < 0 ? 0 : id;
}

void axvmx_free_vpid(u16 vpid)
{
	if (vpid)
		ida_free(&vpid_ida, vpid);
}

/* ---- VMX windows ---- */

/*
 * CR4 is written directly: the kernel's own writer keeps a per-CPU copy of
 * CR4 that a module cannot update on every kernel, so VMXE is set and
 * cleared again inside one IRQs-off window, where no kernel code that
 * rewrites CR4 from its copy can run.
 */
static __always_inline void axvmx_write_cr4(unsigned long val)
{
	asm volatile("mov %0, %%cr4" : : "r"(val) : "memory");
}

#define AXVMX_MISC_INTEL_PT	BIT_ULL(14)

/*
 * vmx_hold: KVM's model, for a host that runs no other hypervisor.  The
 * first window on a CPU with VMX off enters VMX operation and it stays on,
 * the vcpu's VMCS current, until the CPU is disabled (the last VM gone,
 * the CPU going offline, reboot) or another vcpu runs there.  A RUN then
 * pays no VMXON, VMPTRLD, VMCLEAR, VMXOFF or CR4 write.  CR4.VMXE goes
 * through the kernel's CR4 copy (cr4_set_bits_irqsoff()), so its own CR4
 * updates keep it: that needs cr4_update_irqsoff() exported to us, which
 * it is until Linux 6.19.  kvm_intel cannot turn VMX on while a CPU is
 * held (its enable fails with -EBUSY); when kvm_intel had VMX on first, the
 * windows borrow its operation as without vmx_hold.
 */
#ifdef AXVCPU_HAVE_CR4_EXPORT
static bool vmx_hold;
module_param(vmx_hold, bool, 0444);
MODULE_PARM_DESC(vmx_hold,
		 "Keep VMX operation and the vcpu's VMCS between RUNs (default 0; kvm_intel cannot then enable VMX)");

/* Set at load when vmx_hold is on and usable here; never cleared. */
DEFINE_STATIC_KEY_FALSE(axvmx_hold_key);

/* IRQs off: CR4.VMXE through the kernel's copy, which then keeps it. */
static void hold_vmxe(bool on)
{
	if (on)
		cr4_set_bits_irqsoff(X86_CR4_VMXE);
	else
		cr4_clear_bits_irqsoff(X86_CR4_VMXE);
}

/*
 * Only where nothing forbids VMX operation with IRQs on: a CPU whose
 * Intel PT cannot trace in VMX operation would need the PT driver told
 * (intel_pt_handle_vmx()), which this mode does not do.  Module load.
 */
static void hold_init(void)
{
	if (!vmx_hold)
		return;
	if (boot_cpu_has(X86_FEATURE_INTEL_PT) &&
	    !(axvmx_caps.misc & AXVMX_MISC_INTEL_PT)) {
		pr_info("vmx_hold not used: Intel PT on this CPU cannot trace in VMX operation\n");
		return;
	}
	static_branch_enable(&axvmx_hold_key);
}
#else
/* Never called: axvmx_holding() is constant false. */
static void hold_vmxe(bool on) { }
static void hold_init(void) { }
#endif

/* Out of line: its local would give every window a stack canary. */
static noinline bool pt_tracing(void)
{
	u64 ctl;

	return !rdmsrq_safe(MSR_IA32_RTIT_CTL, &ctl) &&
	       (ctl & RTIT_CTL_TRACEEN);
}

/*
 * Intel PT cannot trace in VMX operation on CPUs without IA32_VMX_MISC bit
 * 14 (SDM 33.5); there VMXON must not run under a trace.
 */
static bool pt_forbids_vmxon(void)
{
	if (!boot_cpu_has(X86_FEATURE_INTEL_PT) ||
	    (axvmx_caps.misc & AXVMX_MISC_INTEL_PT))
		return false;
	return pt_tracing();
}

/* VMXON for good on this CPU, CR4.VMXE through the kernel's copy. */
static int hold_take(struct axvmx_cpu *c, struct axvmx_window *w)
{
	hold_vmxe(true);
	if (axvmx_vmxon(&c->vmxon_pa)) {
		hold_vmxe(false);
		return -EIO;
	}
	c->held = true;
	c->cur = NULL;
	c->in_own_window = true;
	w->own = true;
	w->held = true;
	w->prev_vmcs = -1ULL;
	return 0;
}

/* IRQs off: the current VMCS written back to memory (SDM 25.11.3). */
static void hold_drop_cur(struct axvmx_cpu *c)
{
	struct axvmx_vcpu *v = c->cur;

	if (!v)
		return;
	if (axvmx_vmclear(&v->vmcs_pa))
		axvmx_insn_error("VMCLEAR", v->vmcs_pa);
	v->launched = false;
	WRITE_ONCE(v->held_cpu, -1);
	c->cur = NULL;
}

/* IRQs off: this CPU leaves the VMX operation it holds. */
static void hold_release(struct axvmx_cpu *c)
{
	if (!c->held)
		return;
	hold_drop_cur(c);
	if (axvmx_vmxoff())
		axvmx_insn_error("VMXOFF", 0);
	hold_vmxe(false);
	c->held = false;
	c->in_own_window = false;
}

static void hold_drop_ipi(void *arg)
{
	struct axvmx_cpu *c = this_cpu_ptr(&axvmx_cpu);

	if (c->held && c->cur == arg)
		hold_drop_cur(c);
}

/**
 * axvmx_hold_current - with VMX held here, is @v's VMCS the current one?
 * @v: the vcpu.
 *
 * IRQs off, inside a window whose @held is set.  When another vcpu's VMCS
 * is current it is VMCLEARed: at most one VMCS of ours is active per CPU.
 *
 * Return: true if @v's VMCS is current (no VMPTRLD needed).
 */
bool axvmx_hold_current(struct axvmx_vcpu *v)
{
	struct axvmx_cpu *c = this_cpu_ptr(&axvmx_cpu);

	if (c->cur == v)
		return true;
	hold_drop_cur(c);
	return false;
}

/**
 * axvmx_hold_loaded - record that @v's VMCS was made current here.
 * @v: the vcpu, after a VMPTRLD that succeeded.
 * @cpu: this CPU.
 *
 * IRQs off, inside a window whose @held is set: the VMCS stays current
 * after the window, until axvmx_hold_forget() or the CPU is disabled.
 */
void axvmx_hold_loaded(struct axvmx_vcpu *v, int cpu)
{
	this_cpu_write(axvmx_cpu.cur, v);
	WRITE_ONCE(v->held_cpu, cpu);
}

/**
 * axvmx_hold_forget - @v's VMCS held current on no other CPU.
 * @v: the vcpu.
 * @all: on this CPU neither (before @v's VMCS is freed).
 *
 * Preemption off, IRQs on: before a window on a CPU other than the one
 * that holds @v's VMCS current, which VMCLEARs it, by IPI: a VMCS may be
 * active on one CPU only (SDM Vol. 3C 25.1).
 */
void axvmx_hold_forget(struct axvmx_vcpu *v, bool all)
{
	int cpu = READ_ONCE(v->held_cpu);
	unsigned long flags;

	if (cpu < 0)
		return;
	if (cpu != smp_processor_id()) {
		smp_call_function_single(cpu, hold_drop_ipi, v, 1);
		return;
	}
	if (!all)
		return;
	local_irq_save(flags);
	hold_drop_ipi(v);
	local_irq_restore(flags);
}

/**
 * axvmx_window_open - enter VMX operation on this CPU for one window.
 * @w: filled with what axvmx_window_close() must undo.
 *
 * IRQs off, and they stay off until axvmx_window_close().  When another
 * hypervisor (kvm_intel, or the core kernel for it) has VMX on here, its
 * VMX operation is used and its current VMCS saved; else this window does
 * its own VMXON, and VMXOFF at its end.  Either way no VMCS of ours stays
 * active outside a window, so VMX may come and go between windows (KVM
 * loaded or unloaded, a reboot) without ever catching a VMCS of ours.
 *
 * Return: 0, or -EIO when VMX operation cannot be entered here now (the
 * host is rebooting, VMXON failed, Intel PT traces).
 */
int axvmx_window_open(struct axvmx_window *w)
{
	struct axvmx_cpu *c = this_cpu_ptr(&axvmx_cpu);
	unsigned long cr4;

	lockdep_assert_irqs_disabled();
	if (!c->ready)
		return -EIO;
	if (axvmx_holding()) {
		w->held = c->held;
		if (c->held) {
			w->own = true;
			w->prev_vmcs = -1ULL;
			return 0;
		}
	}
	cr4 = __read_cr4();
	if (cr4 & X86_CR4_VMXE) {
		w->own = false;
		return axvmx_vmptrst(&w->prev_vmcs);
	}
	if (pt_forbids_vmxon())
		return -EIO;
	*(u32 *)c->vmxon_region = AXVMX_BASIC_REVISION(axvmx_caps.basic);
	if (axvmx_holding())
		return hold_take(c, w);
	axvmx_write_cr4(cr4 | X86_CR4_VMXE);
	if (axvmx_vmxon(&c->vmxon_pa)) {
		axvmx_write_cr4(cr4);
		return -EIO;
	}
	w->own = true;
	w->prev_vmcs = -1ULL;
	c->in_own_window = true;
	return 0;
}

/**
 * axvmx_window_close - leave the VMX operation axvmx_window_open() entered.
 * @w: as filled by axvmx_window_open().
 *
 * IRQs off; no VMCS of ours may be active any more (VMCLEARed).
 */
void axvmx_window_close(struct axvmx_window *w)
{
	struct axvmx_cpu *c = this_cpu_ptr(&axvmx_cpu);

	if (axvmx_holding() && w->held)
		return;
	if (!w->own) {
		if (w->prev_vmcs != -1ULL && axvmx_vmptrld(&w->prev_vmcs))
			axvmx_insn_error("VMPTRLD of the borrowed VMCS",
					 w->prev_vmcs);
		return;
	}
	if (axvmx_vmxoff())
		axvmx_insn_error("VMXOFF", 0);
	axvmx_write_cr4(__read_cr4() & ~X86_CR4_VMXE);
	c->in_own_window = false;
}

/* ---- capability checks ---- */

static bool cr_fixed_ok(u64 v, u64 fixed0, u64 fixed1)
{
	/*
	 * IA32_VMX_CR0/CR4_FIXED0 name the bits that must be 1 in VMX
	 * operation, FIXED1 the bits that may be 1: VMXON fails otherwise.
	 */
	return (v & fixed0) == fixed0 && (v & ~fixed1) == 0;
}

struct ctl_bit {
	u32 bit;
	const char *name;
};

/*
 * The SDM's control adjustment (Vol. 3D, VMX capability reporting,
 * "Reserved Controls and Default Settings", with the IA32_VMX_TRUE_*_CTLS
 * MSRs where IA32_VMX_BASIC bit 55 says so): allowed-0 bits are forced on,
 * required bits must be allowed-1, bits we clear must not be allowed-0,
 * flexible bits keep their default (the non-TRUE MSR's allowed-0 bits).
 * Optional bits are taken when allowed.
 */
static const char *adjust_ctl(const char *what, u64 cap, u32 dflt,
			      const struct ctl_bit *req, u32 clear, u32 opt,
			      u32 *out)
{
	static char msg[96];
	u32 allowed0 = (u32)cap, allowed1 = cap >> 32;
	u32 set = 0, flex;

	for (; req && req->name; req++) {
		if (!(allowed1 & req->bit)) {
			snprintf(msg, sizeof(msg),
				 "VMX %s control '%s' not supported", what,
				 req->name);
			return msg;
		}
		set |= req->bit;
	}
	if (allowed0 & clear) {
		snprintf(msg, sizeof(msg),
			 "VMX %s controls 0x%x cannot be turned off", what,
			 allowed0 & clear);
		return msg;
	}
	set |= opt & allowed1 & ~clear;
	flex = allowed1 & ~allowed0;
	*out = allowed0 | (flex & ~(set | clear) & dflt) | set;
	return NULL;
}

static const struct ctl_bit pin_req[] = {
	{ PIN_BASED_EXT_INTR_MASK, "external-interrupt exiting" },
	{ PIN_BASED_NMI_EXITING, "NMI exiting" },
	{ }
};

static const struct ctl_bit proc_req[] = {
	{ CPU_BASED_HLT_EXITING, "HLT exiting" },
	{ CPU_BASED_CR8_LOAD_EXITING, "CR8-load exiting" },
	{ CPU_BASED_CR8_STORE_EXITING, "CR8-store exiting" },
	{ CPU_BASED_USE_IO_BITMAPS, "use I/O bitmaps" },
	{ CPU_BASED_USE_MSR_BITMAPS, "use MSR bitmaps" },
	{ CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, "secondary controls" },
	{ }
};

static const struct ctl_bit proc2_req[] = {
	{ SECONDARY_EXEC_ENABLE_EPT, "enable EPT" },
	{ SECONDARY_EXEC_UNRESTRICTED_GUEST, "unrestricted guest" },
	{ }
};

static const struct ctl_bit exit_req[] = {
	{ VM_EXIT_HOST_ADDR_SPACE_SIZE, "host address-space size" },
	{ VM_EXIT_SAVE_DEBUG_CONTROLS, "save debug controls" },
	{ VM_EXIT_SAVE_IA32_PAT, "save IA32_PAT" },
	{ VM_EXIT_LOAD_IA32_PAT, "load IA32_PAT" },
	{ VM_EXIT_SAVE_IA32_EFER, "save IA32_EFER" },
	{ VM_EXIT_LOAD_IA32_EFER, "load IA32_EFER" },
	{ }
};

static const struct ctl_bit entry_req[] = {
	{ VM_ENTRY_LOAD_DEBUG_CONTROLS, "load debug controls" },
	{ VM_ENTRY_LOAD_IA32_PAT, "load IA32_PAT" },
	{ VM_ENTRY_LOAD_IA32_EFER, "load IA32_EFER" },
	{ }
};

static int rd(u32 msr, u64 *val)
{
	return rdmsrq_safe(msr, val);
}

/* Reads and checks the VMX capability MSRs; returns the refusal or NULL. */
static const char *setup_caps(void)
{
	struct axvmx_caps *c = &axvmx_caps;
	u64 pin, proc, proc2 = 0, exit, entry, dpin, dproc, dexit, dentry;
	u32 opt2 = 0, a, b, cc, d;
	const char *why;

	if (rd(MSR_IA32_VMX_BASIC, &c->basic))
		return "cannot read IA32_VMX_BASIC";
	if (AXVMX_BASIC_SIZE(c->basic) != 4096)
		return "IA32_VMX_BASIC: VMCS region size is not 4096";
	if (AXVMX_BASIC_MEMTYPE(c->basic) != AXVMX_MEMTYPE_WB)
		return "IA32_VMX_BASIC: VMCS memory type is not write-back";
	if (c->basic & AXVMX_BASIC_32BIT_ONLY)
		return "IA32_VMX_BASIC: VMX structures limited to 32-bit addresses";
	if (!(c->basic & AXVMX_BASIC_INOUT))
		return "IA32_VMX_BASIC: no INS/OUTS exit information";
	if (!(c->basic & AXVMX_BASIC_TRUE_CTLS))
		return "IA32_VMX_BASIC: no TRUE control capability MSRs";

	if (rd(MSR_IA32_VMX_TRUE_PINBASED_CTLS, &pin) ||
	    rd(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, &proc) ||
	    rd(MSR_IA32_VMX_TRUE_EXIT_CTLS, &exit) ||
	    rd(MSR_IA32_VMX_TRUE_ENTRY_CTLS, &entry) ||
	    rd(MSR_IA32_VMX_PINBASED_CTLS, &dpin) ||
	    rd(MSR_IA32_VMX_PROCBASED_CTLS, &dproc) ||
	    rd(MSR_IA32_VMX_EXIT_CTLS, &dexit) ||
	    rd(MSR_IA32_VMX_ENTRY_CTLS, &dentry) ||
	    rd(MSR_IA32_VMX_MISC, &c->misc) ||
	    rd(MSR_IA32_VMX_CR0_FIXED0, &c->cr0_fixed0) ||
	    rd(MSR_IA32_VMX_CR0_FIXED1, &c->cr0_fixed1) ||
	    rd(MSR_IA32_VMX_CR4_FIXED0, &c->cr4_fixed0) ||
	    rd(MSR_IA32_VMX_CR4_FIXED1, &c->cr4_fixed1))
		return "cannot read the VMX capability MSRs";

	why = adjust_ctl("pin-based", pin, (u32)dpin, pin_req,
			 PIN_BASED_POSTED_INTR,
			 PIN_BASED_VIRTUAL_NMIS | PIN_BASED_VMX_PREEMPTION_TIMER,
			 &c->pin);
	if (why)
		return why;
	why = adjust_ctl("processor-based", proc, (u32)dproc, proc_req,
			 CPU_BASED_CR3_LOAD_EXITING |
			 CPU_BASED_CR3_STORE_EXITING |
			 CPU_BASED_INTR_WINDOW_EXITING |
			 CPU_BASED_NMI_WINDOW_EXITING |
			 CPU_BASED_RDTSC_EXITING | CPU_BASED_INVLPG_EXITING |
			 CPU_BASED_UNCOND_IO_EXITING |
			 CPU_BASED_MONITOR_TRAP_FLAG |
			 CPU_BASED_PAUSE_EXITING |
			 CPU_BASED_ACTIVATE_TERTIARY_CONTROLS,
			 CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING |
			 CPU_BASED_MOV_DR_EXITING | CPU_BASED_RDPMC_EXITING |
			 CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_TPR_SHADOW,
			 &c->proc);
	if (why)
		return why;
	/*
	 * With the TPR shadow, MOV CR8 reads and writes VTPR without an
	 * exit (SDM Vol. 3C 30.3) when the CR8 exits can be turned off;
	 * a TPR below the threshold exits instead, where an interrupt the
	 * old TPR held back becomes deliverable.  Else CR8 exits as before.
	 */
	if ((c->proc & CPU_BASED_TPR_SHADOW) &&
	    !((u32)proc & (CPU_BASED_CR8_LOAD_EXITING |
			   CPU_BASED_CR8_STORE_EXITING))) {
		c->proc &= ~(CPU_BASED_CR8_LOAD_EXITING |
			     CPU_BASED_CR8_STORE_EXITING);
		c->has_tpr_shadow = true;
	} else {
		c->proc &= ~CPU_BASED_TPR_SHADOW;
		c->has_tpr_shadow = false;
	}
	/*
	 * NMIs for the guest need virtual NMIs (the CPU tracks the guest's
	 * NMI blocking, from the injection to its IRET, SDM Vol. 3C 25.3)
	 * and NMI-window exiting, set while one waits for that IRET.
	 */
	c->has_vnmi = (c->pin & PIN_BASED_VIRTUAL_NMIS) &&
		      ((proc >> 32) & CPU_BASED_NMI_WINDOW_EXITING);
	/* MOV DR exiting goes off while the guest owns DR0-DR7 (vmx_run.c). */
	c->lazy_dr = (c->proc & CPU_BASED_MOV_DR_EXITING) &&
		     !((u32)proc & CPU_BASED_MOV_DR_EXITING);

	if (rd(MSR_IA32_VMX_PROCBASED_CTLS2, &proc2))
		return "cannot read IA32_VMX_PROCBASED_CTLS2";
	if (rd(MSR_IA32_VMX_EPT_VPID_CAP, &c->ept_vpid))
		return "cannot read IA32_VMX_EPT_VPID_CAP";
	if (!(c->ept_vpid & VMX_EPT_PAGE_WALK_4_BIT))
		return "EPT: 4-level page walk not supported";
	if (!(c->ept_vpid & VMX_EPTP_WB_BIT))
		return "EPT: write-back EPT paging structures not supported";
	if (!(c->ept_vpid & VMX_EPT_INVEPT_BIT) ||
	    !(c->ept_vpid & (VMX_EPT_EXTENT_CONTEXT_BIT |
			     VMX_EPT_EXTENT_GLOBAL_BIT)))
		return "EPT: INVEPT not supported";
	c->invept_single = c->ept_vpid & VMX_EPT_EXTENT_CONTEXT_BIT;

	/* VPID only with INVVPID (single or all context). */
	if ((c->ept_vpid >> 32) & VMX_VPID_INVVPID_BIT &&
	    (c->ept_vpid >> 32) & (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
				   VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT))
		opt2 |= SECONDARY_EXEC_ENABLE_VPID;
	c->invvpid_single = (c->ept_vpid >> 32) &
			    VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT;
	/*
	 * RDTSCP / INVPCID only when the host CPU has them (CPUID
	 * 0x80000001 EDX bit 27, leaf 7 EBX bit 10): with the control clear
	 * the instruction is a #UD in the guest, as on a CPU without it.
	 */
	cpuid(0x80000001, &a, &b, &cc, &d);
	if (d & BIT(27))
		opt2 |= SECONDARY_EXEC_ENABLE_RDTSCP;
	cpuid_count(7, 0, &a, &b, &cc, &d);
	if (b & BIT(10))
		opt2 |= SECONDARY_EXEC_ENABLE_INVPCID;
	/* WBINVD/WBNOINVD would flush the host's caches (vmx_exit.c). */
	opt2 |= SECONDARY_EXEC_WBINVD_EXITING;

	why = adjust_ctl("secondary processor-based", proc2, 0, proc2_req,
			 0, opt2, &c->proc2);
	if (why)
		return why;
	c->has_vpid = c->proc2 & SECONDARY_EXEC_ENABLE_VPID;
	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		c->host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	/*
	 * What the guest's CPUID hides cannot be enabled either: PKRU, MPX,
	 * and AMX (dynamic state the guest fpstate has no room for).
	 */
	c->guest_xcr0 = c->host_xcr0 & ~(XFEATURE_MASK_PKRU |
					 XFEATURE_MASK_BNDREGS |
					 XFEATURE_MASK_BNDCSR |
					 XFEATURE_MASK_XTILE);
	c->has_preempt_timer = c->pin & PIN_BASED_VMX_PREEMPTION_TIMER;
	c->has_tsc_offset = c->proc & CPU_BASED_USE_TSC_OFFSETTING;
	c->switch_tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP) ||
			    boot_cpu_has(X86_FEATURE_RDPID);

	/* No "acknowledge interrupt on exit": the host takes it on sti. */
	why = adjust_ctl("VM-exit", exit, (u32)dexit, exit_req,
			 VM_EXIT_ACK_INTR_ON_EXIT |
			 VM_EXIT_SAVE_VMX_PREEMPTION_TIMER |
			 VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL |
			 VM_EXIT_CLEAR_BNDCFGS | VM_EXIT_PT_CONCEAL_PIP |
			 VM_EXIT_CLEAR_IA32_RTIT_CTL,
			 0, &c->exit);
	if (why)
		return why;
	why = adjust_ctl("VM-entry", entry, (u32)dentry, entry_req,
			 VM_ENTRY_IA32E_MODE | VM_ENTRY_SMM |
			 VM_ENTRY_DEACT_DUAL_MONITOR |
			 VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL |
			 VM_ENTRY_LOAD_BNDCFGS | VM_ENTRY_PT_CONCEAL_PIP |
			 VM_ENTRY_LOAD_IA32_RTIT_CTL,
			 0, &c->entry);
	if (why)
		return why;
	if (!(entry >> 32 & VM_ENTRY_IA32E_MODE))
		return "VMX VM-entry control 'IA-32e mode guest' not supported";
	return NULL;
}

/* Checks that do not depend on the CPU we run on. */
static const char *check_cpu(int *err)
{
	u64 feat;

	*err = -ENODEV;
	if (!(cpuid_ecx(1) & BIT(5)))
		return "CPU does not support VMX";
	if (!boot_cpu_has(X86_FEATURE_VMX))
		return "VMX disabled by BIOS (IA32_FEATURE_CONTROL)";
	if (rdmsrq_safe(MSR_IA32_FEAT_CTL, &feat))
		return "cannot read IA32_FEATURE_CONTROL";
	if (!(feat & FEAT_CTL_LOCKED))
		return "IA32_FEATURE_CONTROL is not locked (firmware did not enable VMX)";
	if (!(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX))
		return "VMX disabled by BIOS (IA32_FEATURE_CONTROL: VMXON outside SMX off)";
	return NULL;
}

/* Host CR0/CR4 against the fixed bits, with CR4.VMXE counted as set. */
static bool host_crs_ok(void)
{
	struct axvmx_caps *c = &axvmx_caps;

	return cr_fixed_ok(read_cr0(), c->cr0_fixed0, c->cr0_fixed1) &&
	       cr_fixed_ok(__read_cr4() | X86_CR4_VMXE,
			   c->cr4_fixed0, c->cr4_fixed1);
}

/* Reads the capabilities once; they are the same on every CPU. */
static void read_caps_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	unsupported = check_cpu(&unsupported_errno);
	if (!unsupported) {
		unsupported = setup_caps();
		unsupported_errno = -EOPNOTSUPP;
	}
}

const char *axvcpu_arch_hardware_supported(int *errno_out)
{
	const char *why;

	why = check_cpu(errno_out);
	if (why)
		return why;
	read_caps_once();
	if (unsupported) {
		*errno_out = unsupported_errno;
		return unsupported;
	}
	if (!host_crs_ok()) {
		*errno_out = -EOPNOTSUPP;
		return "host CR0/CR4 do not satisfy IA32_VMX_CR0/CR4_FIXED0/1";
	}
	*errno_out = 0;
	return NULL;
}

long axvcpu_arch_check_extension(long cap)
{
	switch (cap) {
	case AXVCPU_CAP_ARCH:
		return AXVCPU_ARCH_X86_64;
	case AXVCPU_CAP_MAX_GPA_BITS:
		/* 4-level EPT: 48 bits, no more than the host has. */
		return min_t(long, boot_cpu_data.x86_phys_bits, 48);
	case AXVCPU_CAP_X86_WAIT_SIPI:
		return 1;
	default:
		return 0;
	}
}

/* ---- per-CPU enable ---- */

/*
 * "Enabling" a CPU only checks it and reads the host MSRs that guests
 * switch: VMX operation itself is entered per window (axvmx_window_open()).
 */
int axvcpu_arch_hardware_enable(void)
{
	struct axvmx_cpu *c = this_cpu_ptr(&axvmx_cpu);
	int cpu = smp_processor_id();
	const char *why;
	int err;

	/* The core has logged the reason already. */
	why = axvcpu_arch_hardware_supported(&err);
	if (why)
		return err;
	if (c->ready)
		return 0;
	if (!c->vmxon_region)
		return -ENOMEM;
	if (!this_cpu_has(X86_FEATURE_VMX)) {
		pr_err("cpu%d: VMX not available on this CPU\n", cpu);
		return -ENODEV;
	}
	/* Set once at boot by syscall_init() and setup_getcpu(). */
	rdmsrq(MSR_STAR, c->host_msrs.star);
	rdmsrq(MSR_LSTAR, c->host_msrs.lstar);
	rdmsrq(MSR_SYSCALL_MASK, c->host_msrs.sfmask);
	if (axvmx_caps.switch_tsc_aux)
		rdmsrq(MSR_TSC_AUX, c->host_msrs.tsc_aux);
	c->ready = true;
	return 0;
}

/* IRQs off (IPI, hotplug or reboot): no window is open on this CPU. */
void axvcpu_arch_hardware_disable(void)
{
	if (axvmx_holding())
		hold_release(this_cpu_ptr(&axvmx_cpu));
	this_cpu_write(axvmx_cpu.ready, false);
}

bool axvcpu_arch_hardware_is_enabled(void)
{
	return this_cpu_read(axvmx_cpu.ready);
}

/*
 * An emergency reboot or crash on a kernel that keeps one callback slot
 * for it (Linux 6.1-6.18): VMX blocks INIT, so a window of ours that did
 * its own VMXON is left with VMXOFF.  Later kernels VMXOFF every CPU whose
 * CR4.VMXE is set themselves, and so does kvm_intel's callback, which takes
 * the slot while kvm_intel is loaded.
 */
#ifdef AXVCPU_HAVE_EMERGENCY_VIRT_CB
static bool emergency_registered;
static DEFINE_MUTEX(emergency_lock);

static void axvmx_emergency_disable(void)
{
	if (!this_cpu_read(axvmx_cpu.in_own_window) ||
	    !(__read_cr4() & X86_CR4_VMXE))
		return;
	axvmx_vmxoff();
	axvmx_write_cr4(__read_cr4() & ~X86_CR4_VMXE);
	this_cpu_write(axvmx_cpu.in_own_window, false);
}

static bool kvm_intel_loaded(void)
{
	struct kobject *k;

	k = kset_find_obj(THIS_MODULE->mkobj.kobj.kset, "kvm_intel");
	if (!k)
		return false;
	kobject_put(k);
	return true;
}

static int axvmx_module_notify(struct notifier_block *nb, unsigned long action,
			       void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, "kvm_intel"))
		return NOTIFY_DONE;
	mutex_lock(&emergency_lock);
	if (action == MODULE_STATE_COMING && emergency_registered) {
		cpu_emergency_unregister_virt_callback(axvmx_emergency_disable);
		emergency_registered = false;
	} else if (action == MODULE_STATE_GOING && !emergency_registered) {
		cpu_emergency_register_virt_callback(axvmx_emergency_disable);
		emergency_registered = true;
	}
	mutex_unlock(&emergency_lock);
	return NOTIFY_DONE;
}

static struct notifier_block axvmx_module_nb = {
	.notifier_call = axvmx_module_notify,
};

static int emergency_init(void)
{
	int err = register_module_notifier(&axvmx_module_nb);

	if (err)
		return err;
	mutex_lock(&emergency_lock);
	if (!kvm_intel_loaded()) {
		cpu_emergency_register_virt_callback(axvmx_emergency_disable);
		emergency_registered = true;
	}
	mutex_unlock(&emergency_lock);
	return 0;
}

static void emergency_exit(void)
{
	unregister_module_notifier(&axvmx_module_nb);
	mutex_lock(&emergency_lock);
	if (emergency_registered)
		cpu_emergency_unregister_virt_callback(axvmx_emergency_disable);
	emergency_registered = false;
	mutex_unlock(&emergency_lock);
}
#else
static int emergency_init(void) { return 0; }
static void emergency_exit(void) { }
#endif

/* ---- module life ---- */

static void free_vmxon_regions(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		void *r = per_cpu(axvmx_cpu, cpu).vmxon_region;

		if (r)
			free_page((unsigned long)r);
		per_cpu(axvmx_cpu, cpu).vmxon_region = NULL;
	}
}

int axvcpu_arch_init(void)
{
	int cpu, err;

	read_caps_once();
	if (unsupported) {
		pr_info("VMX unavailable: %s\n", unsupported);
		return 0;	/* CREATE_VM will refuse, naming it */
	}

	for_each_possible_cpu(cpu) {
		struct page *p;

		p = alloc_pages_node(cpu_to_node(cpu),
				     GFP_KERNEL | __GFP_ZERO, 0);
		if (!p) {
			free_vmxon_regions();
			return -ENOMEM;
		}
		per_cpu(axvmx_cpu, cpu).vmxon_region = page_address(p);
		per_cpu(axvmx_cpu, cpu).vmxon_pa = __pa(page_address(p));
	}
	err = axvmx_spec_init();
	if (err) {
		free_vmxon_regions();
		return err;
	}
	err = emergency_init();
	if (err) {
		axvmx_spec_exit();
		free_vmxon_regions();
		return err;
	}
	hold_init();
	return 0;
}

void axvcpu_arch_exit(void)
{
	if (unsupported)
		return;
	emergency_exit();
	axvmx_spec_exit();
	free_vmxon_regions();
	ida_destroy(&vpid_ida);
}
