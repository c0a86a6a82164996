// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX run loop: what is switched when, and the guest entries.
 *
 * Three scopes, each switching only what the hardware forces on it:
 *
 *  - vcpu load .. put (axvcpu_arch_vcpu_load()/put(): the start and end of
 *    RUN, and every time the scheduler takes RUN's thread off its CPU and
 *    back).  Host state that no kernel code between two entries uses: the
 *    guest's KERNEL_GS_BASE (only SWAPGS on the way to and from userspace
 *    reads it), the SYSCALL MSRs and TSC_AUX (vmx_msr.c), and the host's
 *    data segment selectors, LDT, GDT limit and TSS limit, which a VM exit
 *    clobbers (SDM 28.5.2) but only userspace or a context switch needs.
 *    The IDT limit the exit sets (0xffff) is left: in 64-bit mode every
 *    vector's gate lies inside it either way.
 *  - one VMX window (run_window(): IRQs off, the VMCS current).  The
 *    guest's FPU registers, the host's DEBUGCTL (read per window: perf
 *    may change it by IPI in between) and breakpoints, the host-state
 *    fields that changed.
 *  - one entry (run_entries()): CR2, the event to inject, and only when
 *    the guest enabled one its DR0-DR3.  An exit the module handles needs
 *    no WRMSR, RDMSR, LGDT/LIDT or CPUID of its own.
 *
 * The core owns the RUN loop (vcpu_core.c); axvcpu_arch_vcpu_run() is one
 * window, or one sleep of a halted guest.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/context_tracking.h>
#include <linux/kvm_host.h>
#include <linux/sched/signal.h>
#include <asm/apic.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/fsgsbase.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/sync_core.h>
#include <asm/tsc.h>

#include "vmx.h"
#include "trace/axvcpu.h"

static unsigned int timer_slice_us = 10000;
module_param(timer_slice_us, uint, 0644);
MODULE_PARM_DESC(timer_slice_us,
		 "x86: longest guest run between host checks (VMX preemption timer), in microseconds");

/* ---- vcpu load and put ---- */

static inline u16 read_ldt(void)
{
	u16 ldt;

	asm("sldt %0" : "=g"(ldt));
	return ldt;
}

static inline void load_ldt_sel(u16 sel)
{
	asm volatile("lldt %0" : : "rm"(sel));
}

void axvcpu_arch_vcpu_load(struct axvcpu_vcpu *vcpu, int cpu)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	struct axvmx_host_state *h = &v->host;

	if (v->loaded)
		return;
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	h->ldt = read_ldt();
	h->fs_base = x86_fsbase_read_cpu();
	/* A guest SWAPGS changes the live KERNEL_GS_BASE: it is the guest's. */
	h->kgs = axvmx_rdmsr(MSR_KERNEL_GS_BASE);
	if (v->guest_kgs != h->kgs)
		wrmsrq(MSR_KERNEL_GS_BASE, v->guest_kgs);
	v->kgs_live = true;
	axvmx_msrs_load_guest(v);
	v->exited = false;
	v->host_fields_ok = false;	/* selectors, FS base: written again */
	v->loaded = true;
}

void axvcpu_arch_vcpu_put(struct axvcpu_vcpu *vcpu)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	struct axvmx_host_state *h = &v->host;

	if (!v->loaded)
		return;
	if (v->uret_mask)
		axvmx_msrs_put_host(v);
	/* Only a 64-bit guest can SWAPGS; else WRMSR exits kept our copy. */
	if (v->efer & EFER_LMA)
		v->guest_kgs = axvmx_rdmsr(MSR_KERNEL_GS_BASE);
	if (v->guest_kgs != h->kgs)
		wrmsrq(MSR_KERNEL_GS_BASE, h->kgs);
	v->kgs_live = false;
	if (v->exited) {
		/*
		 * The exits loaded null DS/ES/LDT, the VMCS's FS/GS selectors,
		 * and GDT limit 0xffff, TR limit 0x67 (SDM 28.5.2).
		 */
		if (h->ldt)
			load_ldt_sel(h->ldt);
		if (h->gs & 7)
			load_gs_index(h->gs);
		if (h->fs & 7)
			loadsegment(fs, h->fs);
		if (h->ds)
			loadsegment(ds, h->ds);
		if (h->es)
			loadsegment(es, h->es);
		invalidate_tss_limit();
		load_fixmap_gdt(raw_smp_processor_id());
	}
	v->loaded = false;
}

/* ---- one window ---- */

/*
 * IRQs off, before an entry: the guest's DR0-DR3 go into the CPU when its
 * DR7 enables a breakpoint (the entry loads DR7 itself).  The host's DR7 is
 * turned off first so that none of its breakpoints fires on a guest
 * address in between, and its DR0-DR3 are kept for the end of the window.
 */
static void save_host_debugregs(struct axvmx_debug_save *d)
{
	if (hw_breakpoint_active() && !d->db_saved) {
		set_debugreg(0, 7);
		get_debugreg(d->db[0], 0);
		get_debugreg(d->db[1], 1);
		get_debugreg(d->db[2], 2);
		get_debugreg(d->db[3], 3);
		d->db_saved = true;
	}
}

static void load_guest_debugregs(struct axvmx_vcpu *v,
				 struct axvmx_debug_save *d)
{
	if (v->dr_lazy || !(v->dr7 & AXVMX_DR7_BP_ENABLES))
		return;
	save_host_debugregs(d);
	set_debugreg(v->db[0], 0);
	set_debugreg(v->db[1], 1);
	set_debugreg(v->db[2], 2);
	set_debugreg(v->db[3], 3);
}

/*
 * A MOV DR exited (handle_dr()): the guest gets its DR0-DR3 and DR6 in
 * the CPU and MOV DR no longer exits, so a guest debugger (or a kernel
 * switching breakpoints per task) pays one exit per window instead of one
 * per access (as KVM's KVM_DEBUGREG_WONT_EXIT).  Nothing of the host runs
 * on them until the window ends: every exit has set DR7 to 0x400 (SDM
 * 28.5.1), so none of its breakpoints is armed, and no host #DB reads DR6
 * before restore_host_debug().
 */
static void go_lazy_debugregs(struct axvmx_vcpu *v,
			      struct axvmx_debug_save *d)
{
	v->dr_want_lazy = false;
	save_host_debugregs(d);
	set_debugreg(v->db[0], 0);
	set_debugreg(v->db[1], 1);
	set_debugreg(v->db[2], 2);
	set_debugreg(v->db[3], 3);
	set_debugreg(v->dr6, 6);
	vmcs_clear_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_MOV_DR_EXITING);
	v->dr_lazy = true;
}

/*
 * IRQs off, at the end of the window.  Every exit set DR7 to 0x400 and
 * cleared IA32_DEBUGCTL (SDM 28.5.1): the host's hardware breakpoints
 * (ptrace, perf) and DEBUGCTL (LBR, BTF) come back, as the kernel's own
 * breakpoint code would put them (DR6 to its reset value, DR7 last).
 */
static void restore_host_debug(struct axvmx_vcpu *v,
			       struct axvmx_debug_save *d)
{
	if (v->dr_lazy)
		axvmx_dr_sync(v);
	v->dr_want_lazy = false;
	if (hw_breakpoint_active()) {
		if (d->db_saved) {
			set_debugreg(d->db[0], 0);
			set_debugreg(d->db[1], 1);
			set_debugreg(d->db[2], 2);
			set_debugreg(d->db[3], 3);
		}
		set_debugreg(DR6_RESERVED, 6);
		set_debugreg(__this_cpu_read(cpu_dr7), 7);
	}
	if (v->host.debugctl)
		wrmsrq(MSR_IA32_DEBUGCTLMSR, v->host.debugctl);
}

/*
 * An NMI that exits belongs to the host.  NMIs stay blocked after the exit
 * until the next IRET (SDM 27.2.2 and 28.2): an IRET to the next
 * instruction lifts that, then the NMI is raised again on this CPU as a
 * self-IPI and reaches the host's own handler through its IDT, on its IST
 * stack.  The kernel's own entry for this is not exported to modules.
 */
static void forward_nmi(void)
{
	iret_to_self();
	apic->send_IPI(smp_processor_id(), NMI_VECTOR);
}

/* Exits after which the window ends: the host has work first. */
static __always_inline bool exit_needs_host(struct axvmx_vcpu *v)
{
	switch ((u16)v->exit_reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_PREEMPTION_TIMER:
		return true;
	case EXIT_REASON_EXCEPTION_NMI:
		return (axvmx_exit_intr_info(v) & INTR_INFO_INTR_TYPE_MASK) ==
		       INTR_TYPE_NMI_INTR;
	}
	return false;
}

/*
 * The guest's XCR0 while it runs: its own once it has CR4.OSXSAVE.  Only
 * after the window's XRSTOR or a CR4.OSXSAVE change (xcr0_dirty); an
 * XSETBV ends the window.
 */
static void set_guest_xcr0(struct axvmx_vcpu *v)
{
	u64 want;

	v->xcr0_dirty = false;
	if (!axvmx_caps.host_xcr0 || v->xcr0 == v->window_xcr0)
		return;
	want = v->osxsave ? v->xcr0 : v->window_xcr0;
	if (want != v->cur_xcr0) {
		xsetbv(XCR_XFEATURE_ENABLED_MASK, want);
		v->cur_xcr0 = want;
	}
}

/*
 * The VMX-preemption timer's start value: the slice in TSC ticks, scaled
 * by IA32_VMX_MISC[4:0] (SDM 26.5.1).  Computed again only when the
 * module parameter changes; the VMCS keeps the field across windows (the
 * "save timer value" exit control is off, so each entry starts from it).
 */
static void set_timer(struct axvmx_vcpu *v)
{
	static unsigned int slice_us;
	static u32 value;
	unsigned int us = READ_ONCE(timer_slice_us);
	u64 t;

	if (!axvmx_caps.has_preempt_timer)
		return;
	if (us != READ_ONCE(slice_us) || !READ_ONCE(value)) {
		t = (u64)tsc_khz * us / 1000;
		t >>= axvmx_caps.misc & 0x1f;
		WRITE_ONCE(value, clamp_t(u64, t, 1, U32_MAX));
		WRITE_ONCE(slice_us, us);
	}
	if (v->timer_value != READ_ONCE(value)) {
		v->timer_value = READ_ONCE(value);
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, v->timer_value);
	}
}

/* What the VMM sees of the last exit, once per window. */
static void report_hw_exit(struct axvmx_vcpu *v)
{
	struct axvcpu_run *run = v->vcpu->run;

	run->hw_reason = v->exit_reason;
	run->hw_qualification = axvmx_exit_qual(v);
	run->hw_extra = 0;	/* the VM-instruction error is for VMfail only */
	run->hw_rip = axvmx_exit_rip(v);	/* at the exit, before any advance */
}

/*
 * guest_state_enter_irqoff() for the second and later entries of one
 * window: the same lockdep, tracing and context-tracking steps, without
 * the RCU note.  Guest mode is an RCU quiescent state, noted at the
 * window's first entry; from there to the next entry IRQs stay off, and a
 * CPU learns of a new grace period, or of a request for an urgent
 * quiescent state, only in its tick or RCU's softirq, neither of which
 * can run before the window ends.  A second note would find nothing to
 * report.  The window ends at the next host interrupt, timer slice or
 * AXVMX_WINDOW_ENTRIES entries.
 */
static __always_inline void guest_state_reenter_irqoff(void)
{
	instrumentation_begin();
	trace_hardirqs_on_prepare();
	lockdep_hardirqs_on_prepare();
	instrumentation_end();
	context_tracking_guest_enter();
	lockdep_hardirqs_on(CALLER_ADDR0);
}

/*
 * At most this many entries in one window.  A host interrupt that arrives
 * while the guest runs ends the window with an external-interrupt exit,
 * and the VMX-preemption timer ends a long stay in the guest; neither
 * bounds a guest that exits again at once after every entry: the timer
 * starts afresh at each entry, and an emulated CPU may let the guest's
 * next exception (a code breakpoint on its own #DB handler) win over the
 * host's pending interrupt, which the SDM ranks above it (Vol. 3A 6.9).
 * Without a bound the host would then never take its interrupts.
 */
#define AXVMX_WINDOW_ENTRIES	64

/*
 * The entries of one window, IRQs off, VMCS current: enter, handle the
 * exit here while it is one the module handles and nothing needs the host.
 */
static int run_entries(struct axvmx_vcpu *v, struct axvmx_debug_save *d)
{
	struct axvcpu_vcpu *vcpu = v->vcpu;
	bool host, again = false;
	unsigned int n = 0;
	int fail, r;

	for (;;) {
		axvmx_inject_events(v);
		if (unlikely(v->xcr0_dirty))
			set_guest_xcr0(v);
		/* A handler changed EFER or a SYSCALL MSR: load what it wants. */
		if (unlikely(v->uret_dirty))
			axvmx_msrs_load_guest(v);
		/* CR2 is not in the VMCS: the guest's lives in the register. */
		if (native_read_cr2() != v->cr2)
			native_write_cr2(v->cr2);
		if (unlikely(v->dr_want_lazy))
			go_lazy_debugregs(v, d);
		load_guest_debugregs(v, d);

		trace_axvcpu_entry(vcpu);
		guest_timing_enter_irqoff();
		if (likely(again)) {
			guest_state_reenter_irqoff();
		} else {
			guest_state_enter_irqoff();
			/* Host code ran since the last entry: L1TF. */
			axvmx_spec_entry();
		}
		again = true;
		fail = axvmx_vmenter(v->regs, v->launched, &v->host_rsp);
		guest_state_exit_irqoff();
		v->cr2 = native_read_cr2();
		guest_timing_exit_irqoff();

		v->exited = true;
		if (fail) {
			v->hw_valid = false;
			return axvmx_handle_vmfail(v);
		}
		v->exit_reason = vmcs_read(VM_EXIT_REASON);
		v->exit_cached = 0;
		v->hw_valid = true;
		if (trace_axvcpu_exit_enabled())
			trace_axvcpu_exit(vcpu, v->exit_reason,
					  axvmx_exit_qual(v),
					  axvmx_exit_intr_info(v),
					  axvmx_exit_rip(v));
		host = exit_needs_host(v);
		if (host && (u16)v->exit_reason == EXIT_REASON_EXCEPTION_NMI)
			forward_nmi();
		r = axvmx_handle_exit(v);
		if (r != AXVCPU_RUN_CONTINUE || host || v->end_window ||
		    v->halted || ++n >= AXVMX_WINDOW_ENTRIES ||
		    axvcpu_leave_guest_needed(vcpu))
			return r;
		/* The core counts the entry it asked for; these are extra. */
		vcpu->stat.counts.entries++;
	}
}

/* RUN found no VMX operation to be had on this CPU. */
static int vmx_unavailable(struct axvmx_vcpu *v)
{
	struct axvcpu_run *run = v->vcpu->run;

	run->internal.suberror = AXVCPU_INTERNAL_VMX_UNAVAILABLE;
	run->internal.ndata = 1;
	run->internal.data[0] = smp_processor_id();
	axvcpu_vcpu_set_exit(v->vcpu, AXVCPU_EXIT_INTERNAL_ERROR);
	return AXVCPU_RUN_EXIT;
}

/*
 * One VMX window: the guest runs until an exit for the VMM or for the
 * host.  kernel_fpu_begin() comes first (it may save the task's registers
 * and must see IRQs on); kernel_fpu_end() after IRQs are on again, when
 * the host has taken the interrupt that ended the window.
 */
static int run_window(struct axvmx_vcpu *v)
{
	int r;

	v->dbg.db_saved = false;
	/*
	 * No FNINIT/LDMXCSR for the host (mask 0): the guest's registers are
	 * loaded over them before any host FPU use.
	 */
	kernel_fpu_begin_mask(0);
	/* Preemption is off from here (kernel_fpu_begin()). */
	if (axvmx_holding() && READ_ONCE(v->held_cpu) >= 0 &&
	    v->held_cpu != smp_processor_id())
		axvmx_hold_forget(v, false);
	local_irq_disable();
	if (axvmx_vmcs_get(v, &v->win)) {
		local_irq_enable();
		kernel_fpu_end();
		return vmx_unavailable(v);
	}
	axvmx_set_host_state_window(v);
	/*
	 * Per window, IRQs off: perf may reprogram DEBUGCTL (LBR) by IPI
	 * between windows, and every exit clears it (SDM 28.5.1).
	 */
	v->host.debugctl = axvmx_rdmsr(MSR_IA32_DEBUGCTLMSR);
	set_timer(v);
	axvmx_spec_window(v);
	v->end_window = false;
	v->hw_valid = false;
	axvmx_fpu_load_guest(v);
	if (unlikely(v->msr_fault))
		axvmx_msr_refused(v);

	r = run_entries(v, &v->dbg);

	if (v->hw_valid)
		report_hw_exit(v);
	restore_host_debug(v, &v->dbg);
	axvmx_fpu_save_guest(v);
	axvmx_vmcs_put(v, &v->win);
	local_irq_enable();
	kernel_fpu_end();
	return r;
}

/*
 * Something ends the guest's HLT: an event to deliver, an INIT, or (after
 * a HALT exit, where the VMM decides what comes next) no timer left.
 */
static bool halt_done(struct axvmx_vcpu *v)
{
	return axvmx_events_pending(v) ||
	       test_bit(AXVLAPIC_MP_INIT, &v->apic.mp_events) ||
	       (!v->vcpu->halt_in_kernel && !axvlapic_timer_armed(&v->apic));
}

/*
 * INIT and SIPI from another vcpu (SDM Vol. 3A 9.4.4, 11.6.1): INIT resets
 * the vcpu into wait-for-SIPI, where nothing but INIT and SIPI is taken
 * (interrupts and NMIs are blocked there); a SIPI in that state starts it
 * in real mode at vector << 12; a SIPI anywhere else is ignored.
 *
 * Return: true when the vcpu may enter the guest; false to let the core
 * look at signals and call again (still waiting, or woken by an event).
 * Out of line, as halt_wait(): a wait-queue entry on the stack would give
 * axvcpu_arch_vcpu_run(), and so every RUN, a stack canary check.
 */
static noinline bool mp_step(struct axvmx_vcpu *v)
{
	struct axvlapic *a = &v->apic;

	if (test_bit(AXVLAPIC_MP_INIT, &a->mp_events)) {
		WRITE_ONCE(a->wait_sipi, true);
		/* In wait-for-SIPI before the bit goes: a SIPI sent next counts. */
		smp_mb__before_atomic();
		clear_bit(AXVLAPIC_MP_INIT, &a->mp_events);
		if (axvmx_init_reset(v))
			return true;	/* VMX unavailable: the window says so */
	}
	if (!a->wait_sipi) {
		clear_bit(AXVLAPIC_MP_SIPI, &a->mp_events);
		return true;
	}
	if (test_bit(AXVLAPIC_MP_SIPI, &a->mp_events)) {
		u8 vec;

		/* The vector after the bit: deliver_mp() wrote it before. */
		smp_rmb();
		vec = READ_ONCE(a->sipi_vector);
		WRITE_ONCE(a->wait_sipi, false);
		/* Vector read and state left before a next SIPI may write. */
		smp_mb__before_atomic();
		clear_bit(AXVLAPIC_MP_SIPI, &a->mp_events);
		/* A failure to load the VMCS is the window's to report. */
		axvmx_sipi_start(v, vec);
		return true;
	}
	/* A signal, or an INIT or SIPI to take: back to the core either way. */
	wait_event_interruptible(a->halt_wq, READ_ONCE(a->mp_events));
	return false;
}

/*
 * A guest in HLT with IF set (any vector above the PPR ends it), after a
 * HALT exit with its APIC timer armed or with AXVCPU_SETUP_HALT_IN_KERNEL:
 * sleep until halt_done().  A signal ends the wait; the guest then stays
 * halted for the next RUN.
 */
static bool halt_wake(struct axvcpu_vcpu *vcpu)
{
	return halt_done(to_vmx(vcpu));
}

static noinline void halt_wait(struct axvmx_vcpu *v)
{
	/* The APIC's timer, its IPIs and every injection wake halt_wq. */
	if (axvcpu_vcpu_block(v->vcpu, &v->apic.halt_wq, halt_wake, U64_MAX))
		v->halted = false;
}

/*
 * One round of the core's RUN loop: the sleep of a halted guest, or one
 * VMX window (run_window()).
 */
int axvcpu_arch_vcpu_run(struct axvcpu_vcpu *vcpu)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	int r;

	if (!v->vmcs_ready)
		return -EIO;
	if (unlikely(v->apic.wait_sipi || READ_ONCE(v->apic.mp_events)) &&
	    !mp_step(v))
		return AXVCPU_RUN_CONTINUE;
	/* An ICR write of the last window named other vcpus. */
	if (unlikely(v->apic.ipi_pending) &&
	    axvlapic_deliver_ipi(&v->apic) == AXVLAPIC_EXIT)
		return AXVCPU_RUN_EXIT;
	if (v->halted) {
		halt_wait(v);
		if (v->halted)
			return AXVCPU_RUN_CONTINUE;
	}
	r = run_window(v);
	if (unlikely(v->fault_pending) && r == AXVCPU_RUN_CONTINUE)
		r = axvmx_fault_in(v);
	return r;
}
