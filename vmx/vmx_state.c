// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX state layer: the VMCS inside a VMX window, its host-state
 * fields, and the guest-state accessors every exit handler uses.
 *
 * Nothing here enters the guest or decides about an exit; the exit
 * handlers (vmx_exit.c and its helpers) and the run loop (vmx_run.c) are
 * built on it, never the other way round.
 *
 *  - The VMCS is current only inside a VMX window (vmx_percpu.c): IRQs
 *    off, VMPTRLD, the work, VMCLEAR.  It is active nowhere in between, so
 *    any CPU can load it next and nothing is lost when VMX operation goes
 *    away between windows.
 *  - Host-state fields are written only when their value changes: the
 *    VMCS region keeps them across VMCLEAR and VMPTRLD (SDM 25.11.3), so
 *    the module's copy of each tells whether a VMWRITE is needed.
 *  - Exit fields are read from the VMCS once per exit, when a handler
 *    first asks (axvmx_exit_qual() and friends in vmx.h).
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/smp.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>

#include "vmx.h"
#include "trace/axvcpu.h"

/* Host fields that depend on the CPU (written when the VMCS comes here). */
static void set_host_state_cpu(struct axvmx_vcpu *v, int cpu)
{
	struct desc_ptr idt;
	u64 msr;

	vmcs_write(HOST_CR0, read_cr0() & ~X86_CR0_TS);
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_write(HOST_GDTR_BASE, (unsigned long)get_current_gdt_ro());
	store_idt(&idt);
	vmcs_write(HOST_IDTR_BASE, idt.address);
	rdmsrq(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write(HOST_IA32_SYSENTER_CS, msr);
	rdmsrq(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_ESP,
		   (unsigned long)(cpu_entry_stack(cpu) + 1));
	vmcs_write(HOST_GS_BASE, cpu_kernelmode_gs_base(cpu));
	rdmsrq(MSR_IA32_CR_PAT, msr);
	vmcs_write(HOST_IA32_PAT, msr);
	rdmsrq(MSR_EFER, msr);
	vmcs_write(HOST_IA32_EFER, msr);
	vmcs_write(HOST_RIP, (unsigned long)axvmx_vmexit);
	v->host_cr3 = 0;
	v->host_cr4 = 0;
	v->host_fs_base = ~0UL;
	v->host_fs_sel = ~0U;
	v->host_gs_sel = ~0U;
	v->host_rsp = 0;
	v->host_fields_ok = false;
}

/*
 * The first window on @cpu since another CPU: the host fields that name
 * the CPU, and the vcpu's cached translations here dropped.  Out of line:
 * the INVVPID/INVEPT descriptors would give every window a stack canary.
 */
static noinline void new_cpu(struct axvmx_vcpu *v, int cpu)
{
	set_host_state_cpu(v, cpu);
	trace_axvcpu_flush(v->vcpu->vm, v->vcpu->id, AXVCPU_TRACE_FLUSH_CPU);
	if (v->vpid &&
	    axvmx_invvpid(axvmx_caps.invvpid_single ?
			  VMX_VPID_EXTENT_SINGLE_CONTEXT :
			  VMX_VPID_EXTENT_ALL_CONTEXT, v->vpid))
		axvmx_insn_error("INVVPID", v->vpid);
	if (axvmx_caps.invept_single ?
	    axvmx_invept(VMX_EPT_EXTENT_CONTEXT,
			 to_vmx_vm(v->vcpu->vm)->eptp) :
	    axvmx_invept(VMX_EPT_EXTENT_GLOBAL, 0))
		axvmx_insn_error("INVEPT", to_vmx_vm(v->vcpu->vm)->eptp);
	v->last_cpu = cpu;
}

/**
 * axvmx_vmcs_get - open a VMX window and make @v's VMCS current in it.
 * @v: the vcpu.
 * @w: the window, for axvmx_vmcs_put().
 *
 * IRQs off until axvmx_vmcs_put().  The VMCS was VMCLEARed at the end of
 * the last window, so this window's first entry is a VMLAUNCH.  On a CPU
 * other than the last one, the host fields that name the CPU are written
 * again and the vcpu's cached translations there are dropped: they may be
 * older than what the guest flushed elsewhere (SDM 29.4.3).
 *
 * Return: 0, or -EIO when no VMX operation can be had here or VMPTRLD
 * failed (nothing is left open then).
 */
int axvmx_vmcs_get(struct axvmx_vcpu *v, struct axvmx_window *w)
{
	int cpu = smp_processor_id();

	if (axvmx_window_open(w))
		return -EIO;
	/* Held across windows (vmx_hold): still current, launch state kept. */
	if (axvmx_holding() && w->held && axvmx_hold_current(v))
		goto loaded;
	/* A new VMCS region is initialised by VMCLEAR before first use. */
	if ((!v->vmcs_cleared && axvmx_vmclear(&v->vmcs_pa)) ||
	    axvmx_vmptrld(&v->vmcs_pa)) {
		axvmx_insn_error("VMPTRLD", v->vmcs_pa);
		axvmx_window_close(w);
		return -EIO;
	}
	v->vmcs_cleared = true;
	v->launched = false;
	if (axvmx_holding() && w->held)
		axvmx_hold_loaded(v, cpu);
loaded:
	if (unlikely(v->last_cpu != cpu))
		new_cpu(v, cpu);
	return 0;
}

/**
 * axvmx_vmcs_put - VMCLEAR @v's VMCS and close the window.
 * @v: the vcpu.
 * @w: the window axvmx_vmcs_get() opened.
 *
 * VMCLEAR writes the VMCS back to memory (SDM 25.11.3): from here the
 * VMCS region holds the whole state, whatever becomes of VMX on this CPU.
 */
void axvmx_vmcs_put(struct axvmx_vcpu *v, struct axvmx_window *w)
{
	axvmx_vmcs_fail_report();
	if (axvmx_holding() && w->held)
		return;		/* stays current: axvmx_hold_forget() clears it */
	if (axvmx_vmclear(&v->vmcs_pa))
		axvmx_insn_error("VMCLEAR", v->vmcs_pa);
	v->launched = false;
	axvmx_window_close(w);
}

/**
 * axvmx_with_vmcs - run @fn with @v's VMCS current, in a VMX window.
 * @v: the vcpu; after SETUP (else -EBADFD).
 * @fn: called with IRQs off; it must not sleep.
 * @arg: passed to @fn.
 *
 * Return: @fn's result, or -EIO when no VMX operation could be had.
 */
int axvmx_with_vmcs(struct axvmx_vcpu *v,
		    int (*fn)(struct axvmx_vcpu *v, void *arg), void *arg)
{
	struct axvmx_window w;
	unsigned long flags;
	int r;

	if (!v->vmcs_ready)
		return -EBADFD;
	preempt_disable();
	axvmx_hold_forget(v, false);
	local_irq_save(flags);
	r = axvmx_vmcs_get(v, &w);
	if (!r) {
		r = fn(v, arg);
		axvmx_vmcs_put(v, &w);
	}
	local_irq_restore(flags);
	preempt_enable();
	return r;
}

/**
 * axvmx_set_host_state_window - host fields that may differ per window.
 * @v: the vcpu, VMCS current, IRQs off.
 *
 * CR3 (per mm, and PCID) and CR4 (the VMXE this window may have set) are
 * read from the registers; FS base and the FS/GS selectors are the RUN
 * thread's, taken at vcpu load (axvcpu_arch_vcpu_load()).  Each is written
 * only when it differs from what the VMCS holds.
 */
void axvmx_set_host_state_window(struct axvmx_vcpu *v)
{
	unsigned long cr3 = __read_cr3();
	unsigned long cr4 = __read_cr4();
	u16 fs_sel, gs_sel;

	if (cr3 != v->host_cr3) {
		vmcs_write(HOST_CR3, cr3);
		v->host_cr3 = cr3;
	}
	if (cr4 != v->host_cr4) {
		vmcs_write(HOST_CR4, cr4);
		v->host_cr4 = cr4;
	}
	/* The RUN thread's values do not change between vcpu load and put. */
	if (v->host_fields_ok)
		return;
	v->host_fields_ok = true;
	/* Selectors with RPL/TI bits are not allowed there: reloaded at put. */
	fs_sel = (v->host.fs & 7) ? 0 : v->host.fs;
	gs_sel = (v->host.gs & 7) ? 0 : v->host.gs;
	if (v->host.fs_base != v->host_fs_base) {
		vmcs_write(HOST_FS_BASE, v->host.fs_base);
		v->host_fs_base = v->host.fs_base;
	}
	if (fs_sel != v->host_fs_sel) {
		vmcs_write(HOST_FS_SELECTOR, fs_sel);
		v->host_fs_sel = fs_sel;
	}
	if (gs_sel != v->host_gs_sel) {
		vmcs_write(HOST_GS_SELECTOR, gs_sel);
		v->host_gs_sel = gs_sel;
	}
}

/* ---- guest state ---- */

/**
 * axvmx_check_cr0 - is @cr0 a CR0 value a guest may have?
 * @cr0: the guest-visible value.
 *
 * Under unrestricted guest PE and PG may be clear; NE, NW and CD are
 * shadowed, so only the bits the CPU cannot set at all are refused.
 *
 * Return: 0 or -EINVAL.
 */
int axvmx_check_cr0(u64 cr0)
{
	u64 allowed = axvmx_caps.cr0_fixed1 | X86_CR0_NW | X86_CR0_CD;

	if (cr0 >> 32 || (cr0 & ~allowed))
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return -EINVAL;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return -EINVAL;
	return 0;
}

/*
 * The CR4 bits a guest may set: the architectural ones whose state the
 * VMCS switches or that only change how the guest's own instructions
 * behave, as an allowlist, so that a bit a newer CPU defines stays refused
 * until someone decides it is safe (VMXE, SMXE, LA57, PKE, CET, PKS,
 * LAM_SUP, FRED, Key Locker, UINTR and everything unnamed are not here).
 */
#define AXVMX_CR4_GUEST	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | \
			 X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | \
			 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | \
			 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | \
			 X86_CR4_UMIP | X86_CR4_FSGSBASE | X86_CR4_PCIDE | \
			 X86_CR4_OSXSAVE | X86_CR4_SMEP | X86_CR4_SMAP)

/**
 * axvmx_cr4_refused - the CR4 bits a guest may never set.
 *
 * Return: every bit outside the allowlist above; OSXSAVE too when the
 * host has no XSAVE enabled.
 */
u64 axvmx_cr4_refused(void)
{
	u64 refused = ~(u64)AXVMX_CR4_GUEST;

	if (!axvmx_caps.host_xcr0)
		refused |= X86_CR4_OSXSAVE;
	return refused;
}

/**
 * axvmx_check_cr4 - is @cr4 a CR4 value a guest may have?
 * @cr4: the guest-visible value.
 *
 * Return: 0, or -EINVAL for bits the CPU does not allow in VMX operation
 * and bits outside the allowlist (axvmx_cr4_refused()).
 */
int axvmx_check_cr4(u64 cr4)
{
	if (cr4 & ~axvmx_caps.cr4_fixed1 || cr4 & axvmx_cr4_refused())
		return -EINVAL;
	return 0;
}

/* Loads the PAE PDPTEs the VM entry will use (EPT + PAE paging). */
int axvmx_load_pdptrs(struct axvmx_vcpu *v, u64 cr3)
{
	u64 gpa = cr3 & 0xffffffe0ULL, pdpte[4];
	int i;

	if (axvcpu_read_guest(v->vcpu->vm, gpa, pdpte, sizeof(pdpte)))
		return -EFAULT;
	/* Present entries with reserved bits set: #GP, and nothing loaded. */
	for (i = 0; i < 4; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & (0x1e6ULL |
		     ~GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 0))))
			return -EINVAL;
	for (i = 0; i < 4; i++)
		vmcs_write(GUEST_PDPTR0 + 2 * i, pdpte[i]);
	return 0;
}


/**
 * axvmx_queue_db - a #DB for the guest at the next entry.
 * @v: the vcpu, VMCS current.
 * @payload: the DR6 bits it reports (B0-B3, BD, BS; RTM active low), as
 *	in a #DB exit qualification.
 *
 * DR6 is updated as the CPU does when it delivers a #DB (SDM Vol. 3A
 * 18.2.3): B0-B3 of an earlier #DB are replaced, BD/BS/BT stay, so the
 * guest's DR6 (every #DB exits: never the CPU's) is right for its handler.
 * A #DB for general detect clears DR7.GD (SDM Vol. 3A 18.2.4), which lets
 * the handler use the debug registers.
 */
void axvmx_queue_db(struct axvmx_vcpu *v, u64 payload)
{
	/* The guest's DR6 and DR7 are the CPU's and the VMCS's: take them. */
	if (v->dr_lazy)
		axvmx_dr_sync(v);
	v->dr6 &= ~(u64)DR_TRAP_BITS;
	v->dr6 |= AXVMX_DR6_ACTIVE_LOW;
	v->dr6 |= payload;
	v->dr6 ^= payload & AXVMX_DR6_ACTIVE_LOW;
	v->dr6 &= ~BIT_ULL(12);
	if ((payload & AXVMX_DR6_BD) && (v->dr7 & AXVMX_DR7_GD))
		axvmx_set_dr7(v, v->dr7 & ~AXVMX_DR7_GD);
	axvmx_queue_exception(v, X86_TRAP_DB, 0);
}

/*
 * The single-step trap of an instruction the module completed (SDM Vol.
 * 3A 18.3.1.4): a #DB with DR6.BS after it, as the CPU raises after every
 * instruction it executes with RFLAGS.TF set.  Debug exceptions the CPU
 * had pending for the instruction (the step of a MOV SS whose shadow it
 * was in, a data breakpoint) are one #DB with it, not a second one: they
 * come out of the pending-debug-exceptions field, which would otherwise
 * raise them again after the entry.
 */
static noinline void single_step(struct axvmx_vcpu *v)
{
	u64 pend = vmcs_read(GUEST_PENDING_DBG_EXCEPTIONS);

	if (pend)
		vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	axvmx_queue_db(v, AXVMX_DR6_BS | (pend & DR_TRAP_BITS));
}

/**
 * axvmx_skip_insn - the module completed the instruction of the exit.
 * @v: the vcpu, VMCS current.
 * @len: its length in bytes.
 *
 * What the CPU does at the end of an instruction: RIP moves past it, the
 * STI / MOV SS shadow it was in ends (it covered that instruction only),
 * RFLAGS.RF is cleared (SDM Vol. 3A 18.3.1.1: the CPU clears it after
 * every instruction but IRET and the task switches), and with RFLAGS.TF
 * the single-step #DB follows.
 */
void axvmx_skip_insn(struct axvmx_vcpu *v, u32 len)
{
	u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	u64 rflags = vmcs_read(GUEST_RFLAGS);

	vmcs_write(GUEST_RIP, axvmx_exit_rip(v) + len);
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr &
			   ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	if (unlikely(rflags & (X86_EFLAGS_TF | X86_EFLAGS_RF))) {
		vmcs_write(GUEST_RFLAGS, rflags & ~X86_EFLAGS_RF);
		if (rflags & X86_EFLAGS_TF)
			single_step(v);
	}
}

/**
 * axvmx_msr_refused - the VMM has no such MSR (run->sysreg.fault): the
 *	RDMSR/WRMSR faults instead, #GP(0) at the instruction (SDM Vol. 2B,
 *	RDMSR "Protected Mode Exceptions").
 * @v: the vcpu, VMCS current, before the events of the entry.
 *
 * The exit had completed it (axvmx_advance_rip()); RIP and RFLAGS go back
 * to what they were, and the #GP takes the event slot, which also drops
 * the single-step #DB a TF would have queued.
 */
void axvmx_msr_refused(struct axvmx_vcpu *v)
{
	v->msr_fault = false;
	vmcs_write(GUEST_RIP, v->msr_rip);
	vmcs_write(GUEST_RFLAGS, v->msr_rflags);
	axvmx_queue_exception(v, X86_TRAP_GP, 0);
}

/**
 * axvmx_dr_sync - take the debug registers back from a guest that had them.
 * @v: the vcpu, VMCS current, IRQs off, with @v->dr_lazy.
 *
 * DR0-DR3 and DR6 come out of the CPU, DR7 out of the VMCS (the exit
 * saved it), and MOV DR exits again: the module's copies are the guest's
 * from here, as the ioctls, the #DB reflection and the next window expect.
 * DR6 goes back to its reset value, where the host's #DB handler expects
 * it (the guest's bits would read as host breakpoint hits).
 */
void axvmx_dr_sync(struct axvmx_vcpu *v)
{
	unsigned long dr;

	get_debugreg(dr, 0);
	v->db[0] = dr;
	get_debugreg(dr, 1);
	v->db[1] = dr;
	get_debugreg(dr, 2);
	v->db[2] = dr;
	get_debugreg(dr, 3);
	v->db[3] = dr;
	get_debugreg(dr, 6);
	v->dr6 = dr;
	if (dr != DR6_RESERVED)
		set_debugreg(DR6_RESERVED, 6);
	axvmx_set_dr7(v, vmcs_read(GUEST_DR7));
	vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_MOV_DR_EXITING);
	v->dr_lazy = false;
}

/* Needs the VMCS loaded when @idx is RSP. */
u64 axvmx_get_reg(struct axvmx_vcpu *v, unsigned int idx)
{
	if (idx == AXVMX_RSP)
		return vmcs_read(GUEST_RSP);
	return v->regs[idx];
}

void axvmx_set_reg(struct axvmx_vcpu *v, unsigned int idx, u64 val)
{
	if (idx == AXVMX_RSP)
		vmcs_write(GUEST_RSP, val);
	else
		v->regs[idx] = val;
}

/*
 * CR0 under VMX: the guest sees @val through the read shadow; the real
 * CR0 keeps the VMX fixed bits (PE/PG may be clear under unrestricted
 * guest) and never has NW/CD.  PG is host-owned too, so a guest turning
 * paging on exits, and with EFER.LME set the exit handler activates long
 * mode (EFER.LMA and the "IA-32e mode guest" VM-entry control), as the
 * CPU itself does when CR0.PG is set with EFER.LME.
 */
void axvmx_set_cr0(struct axvmx_vcpu *v, u64 val)
{
	u64 must0 = axvmx_caps.cr0_fixed1 & ~(X86_CR0_NW | X86_CR0_CD);
	u64 must1 = axvmx_caps.cr0_fixed0 & ~(X86_CR0_PG | X86_CR0_PE);

	vmcs_write(GUEST_CR0, (val & must0) | must1);
	vmcs_write(CR0_READ_SHADOW, val);
	vmcs_write(CR0_GUEST_HOST_MASK, must1 | ~must0 | X86_CR0_PG);
}

/*
 * CR4, with VMXE hidden from the guest (VMX operation needs it in the
 * real CR4; the read shadow shows the guest its own value).  The bits a guest may not
 * set (axvmx_cr4_refused()) are host-owned too, so setting one exits and
 * becomes a #GP.  OSXSAVE is host-owned as well (as in KVM): the guest's
 * XCR0 is loaded for its entries only while it is set, and CPUID leaf 1
 * reports it, so the run loop keeps a copy instead of reading GUEST_CR4
 * before every entry.  PCIDE is host-owned (as in KVM): a VM entry checks
 * it against the guest's mode (SDM Vol. 3C 27.3.1.1), so its MOV CR4
 * checks (guest_write_cr4()) must run; an emulator that skips them in
 * real mode let a guest fail its own next entry.
 */
void axvmx_set_cr4(struct axvmx_vcpu *v, u64 val)
{
	vmcs_write(GUEST_CR4, ((val | X86_CR4_VMXE) & axvmx_caps.cr4_fixed1) |
		   axvmx_caps.cr4_fixed0);
	vmcs_write(CR4_READ_SHADOW, val);
	vmcs_write(CR4_GUEST_HOST_MASK, axvmx_caps.cr4_fixed0 |
		   ~axvmx_caps.cr4_fixed1 | axvmx_cr4_refused() |
		   X86_CR4_OSXSAVE | X86_CR4_PCIDE);
	if (v->osxsave != !!(val & X86_CR4_OSXSAVE))
		v->xcr0_dirty = true;
	v->osxsave = val & X86_CR4_OSXSAVE;
}

u64 axvmx_get_cr0(void)
{
	u64 mask = vmcs_read(CR0_GUEST_HOST_MASK);

	return (vmcs_read(GUEST_CR0) & ~mask) |
	       (vmcs_read(CR0_READ_SHADOW) & mask);
}

u64 axvmx_get_cr4(void)
{
	u64 mask = vmcs_read(CR4_GUEST_HOST_MASK);

	return (vmcs_read(GUEST_CR4) & ~mask) |
	       (vmcs_read(CR4_READ_SHADOW) & mask);
}

/*
 * DR7 as the guest wrote it; the CPU gets it without GD (general detect is
 * emulated in the MOV DR exit, which takes priority over it).
 */
void axvmx_set_dr7(struct axvmx_vcpu *v, u64 dr7)
{
	v->dr7 = dr7 | AXVMX_DR7_FIXED_1;
	vmcs_write(GUEST_DR7, v->dr7 & ~AXVMX_DR7_GD);
}

/*
 * EFER.LMA decides "IA-32e mode guest" (VM-entry checks need them equal).
 * The module keeps a copy: whether the guest can use SYSCALL (LMA and SCE)
 * decides which MSRs the run loop switches, outside any window.
 */
void axvmx_set_efer(struct axvmx_vcpu *v, u64 efer)
{
	vmcs_write(GUEST_IA32_EFER, efer);
	if (efer & EFER_LMA)
		vmcs_set_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
	else
		vmcs_clear_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
	if (efer != v->efer) {
		v->efer = efer;
		v->uret_dirty = true;
	}
}

bool axvmx_exception_has_error_code(u8 vector)
{
	switch (vector) {
	case X86_TRAP_DF: case X86_TRAP_TS: case X86_TRAP_NP: case X86_TRAP_SS:
	case X86_TRAP_GP: case X86_TRAP_PF: case X86_TRAP_AC:
		return true;
	}
	return false;
}

/* The fault-class exceptions (SDM Vol. 3A table 6-1). */
static bool is_fault(u8 vector)
{
	switch (vector) {
	case X86_TRAP_DE: case X86_TRAP_BR: case X86_TRAP_UD: case X86_TRAP_NM:
	case X86_TRAP_TS: case X86_TRAP_NP: case X86_TRAP_SS: case X86_TRAP_GP:
	case X86_TRAP_PF: case X86_TRAP_MF: case X86_TRAP_AC: case X86_TRAP_XF:
	case X86_TRAP_VE: case X86_TRAP_CP:
		return true;
	}
	return false;
}

/**
 * axvmx_queue_exception - deliver a hardware exception at the next entry.
 * @v: the vcpu, VMCS loaded.
 * @vector: the exception vector.
 * @err: its error code, used when the vector has one in protected mode.
 */
void axvmx_queue_exception(struct axvmx_vcpu *v, u8 vector, u32 err)
{
	u32 info = vector | INTR_INFO_VALID_MASK;

	/*
	 * A fault pushes RFLAGS with RF set, so that the IRET back to the
	 * faulting instruction does not raise its instruction breakpoint
	 * again (SDM Vol. 3A 18.3.1.1).  The CPU does that itself for the
	 * faults it raises; an injected event pushes the guest-state RFLAGS
	 * as it is (SDM Vol. 3C 27.6.1.1), so RF goes there first, as KVM
	 * does for fault-class exceptions.  #DB is left alone (a trap, or
	 * the instruction-breakpoint fault that must not set it).
	 */
	if (is_fault(vector))
		vmcs_set_bits(GUEST_RFLAGS, X86_EFLAGS_RF);

	info |= vector == X86_TRAP_NMI ? INTR_TYPE_NMI_INTR :
				       INTR_TYPE_HARD_EXCEPTION;
	/* Real mode (unrestricted guest) pushes no error code. */
	if (axvmx_exception_has_error_code(vector) &&
	    (vmcs_read(GUEST_CR0) & X86_CR0_PE))
		info |= INTR_INFO_DELIVER_CODE_MASK;
	v->reinject = info;
	v->reinject_err = err;
	v->reinject_len = 0;
}
