// SPDX-License-Identifier: GPL-2.0
/*
 * VM exits (basic exit reasons: SDM Vol. 3D, "VMX Basic Exit Reasons"):
 * the built-in handlers and the translation of everything else into a
 * struct axvcpu_run exit for the VMM.
 *
 * An exit this file cannot handle (an unknown reason, a failed VM entry)
 * becomes a defined exit with the raw hardware reason for the VMM, never
 * a host panic or a silent halt of the guest.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "vmx.h"

/* Bits of the exit qualification of an I/O instruction (SDM table 28-5). */
#define IO_SIZE_MASK	7
#define IO_IN		BIT(3)
#define IO_STRING	BIT(4)
#define IO_REP		BIT(5)

/* EPT violation qualification: an IRET lifted NMI blocking (SDM 28.2.1). */
#define EPT_QUAL_NMI_UNBLOCKED	BIT(12)

/* The core counts entries and exits to the VMM; we count built-ins. */
static int to_vmm(struct axvmx_vcpu *v, u32 reason)
{
	axvcpu_vcpu_set_exit(v->vcpu, reason);
	return AXVCPU_RUN_EXIT;
}

static int builtin(struct axvmx_vcpu *v, unsigned int what)
{
	axvcpu_count_builtin(v->vcpu, what);
	return AXVCPU_RUN_CONTINUE;
}

static int internal_error(struct axvmx_vcpu *v, u32 sub, u32 n, u64 d0,
			  u64 d1, u64 d2)
{
	struct axvcpu_run *run = v->vcpu->run;

	run->internal.suberror = sub;
	run->internal.ndata = n;
	run->internal.data[0] = d0;
	run->internal.data[1] = d1;
	run->internal.data[2] = d2;
	return to_vmm(v, AXVCPU_EXIT_INTERNAL_ERROR);
}

static int unknown_exit(struct axvmx_vcpu *v)
{
	return internal_error(v, AXVCPU_INTERNAL_UNKNOWN_EXIT, 3,
			      v->exit_reason, axvmx_exit_qual(v),
			      axvmx_exit_intr_info(v));
}

static bool guest_64bit(void)
{
	return (vmcs_read(GUEST_IA32_EFER) & EFER_LMA) &&
	       (vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK);
}

static int inject_gp(struct axvmx_vcpu *v)
{
	axvmx_queue_exception(v, X86_TRAP_GP, 0);
	return builtin(v, AXVCPU_BUILTIN_EXCEPTION);
}

/*
 * A fault in the guest's IRET exited after the IRET had lifted the
 * virtual-NMI blocking (bit 12 of the exit's interruption information or
 * qualification): the IRET runs again, so the blocking comes back until
 * it completes (SDM Vol. 3C 28.2.3), as KVM's vmx_recover_nmi_blocking().
 * The bit means nothing when the exit interrupted an event delivery.
 */
static void recover_nmi_blocking(struct axvmx_vcpu *v, bool unblocked)
{
	if (unblocked && axvmx_caps.has_vnmi && !v->reinject)
		vmcs_set_bits(GUEST_INTERRUPTIBILITY_INFO,
			      GUEST_INTR_STATE_NMI);
}

/* ---- I/O (SDM Vol. 3C, "Exit Qualification for I/O Instructions") ---- */

static noinline int handle_io(struct axvmx_vcpu *v)
{
	struct axvcpu_run *run = v->vcpu->run;
	u64 q = axvmx_exit_qual(v);
	u32 width = (q & IO_SIZE_MASK) + 1;

	if ((q & (IO_STRING | IO_REP)) || (width != 1 && width != 2 &&
					   width != 4))
		return internal_error(v, AXVCPU_INTERNAL_UNHANDLED_IO, 2,
				      q, axvmx_exit_rip(v), 0);
	axvmx_advance_rip(v);
	run->io.port = q >> 16;
	run->io.width = width;
	run->io.pad = 0;
	if (q & IO_IN) {
		v->io_width = width;
		run->io.is_write = 0;
		run->io.data = 0;
		return to_vmm(v, AXVCPU_EXIT_IO_READ);
	}
	/*
	 * ACPI S5 as QEMU's q35 machine lays it out: PM1a_CNT at port
	 * 0x604, SLP_EN (bit 13) with SLP_TYP 0.  Guests written for the
	 * ArceOS hypervisor power off this way.
	 */
	if ((q >> 16) == 0x604 && width == 2 &&
	    (u16)v->regs[AXVMX_RAX] == 0x2000) {
		run->system_down.type = AXVCPU_SYSTEM_DOWN_OFF;
		return to_vmm(v, AXVCPU_EXIT_SYSTEM_DOWN);
	}
	run->io.is_write = 1;
	run->io.data = v->regs[AXVMX_RAX] & GENMASK_ULL(width * 8 - 1, 0);
	/* A device notification the VMM waits for on an eventfd. */
	if (axvcpu_ioeventfd_write(v->vcpu->vm, q >> 16, width, run->io.data,
				   true))
		return builtin(v, AXVCPU_BUILTIN_IOEVENTFD);
	return to_vmm(v, AXVCPU_EXIT_IO_WRITE);
}

/* ---- VMCALL ---- */

static noinline int handle_vmcall(struct axvmx_vcpu *v)
{
	struct axvcpu_run *run = v->vcpu->run;

	/*
	 * VMCALL exits at every CPL (SDM Vol. 3C 26.1.2): the CPU leaves the
	 * privilege check to us.  A guest kernel's user programs reach the
	 * VMM only when it opted in (AXVCPU_X86_SET_USER_HYPERCALL); else
	 * the guest sees what a CPU without a hypervisor does, #UD (as KVM).
	 * The CPL is SS.DPL (SDM Vol. 3C 25.4.1).
	 */
	if (((vmcs_read(GUEST_SS_AR_BYTES) >> 5) & 3) && !v->user_hypercall) {
		axvmx_queue_exception(v, X86_TRAP_UD, 0);
		return builtin(v, AXVCPU_BUILTIN_EXCEPTION);
	}
	axvmx_advance_rip(v);
	run->hypercall.nr = v->regs[AXVMX_RAX];
	run->hypercall.args[0] = v->regs[AXVMX_RDI];
	run->hypercall.args[1] = v->regs[AXVMX_RSI];
	run->hypercall.args[2] = v->regs[AXVMX_RDX];
	run->hypercall.args[3] = v->regs[AXVMX_RCX];
	run->hypercall.args[4] = v->regs[AXVMX_R8];
	run->hypercall.args[5] = v->regs[AXVMX_R9];
	run->hypercall.ret = AXVCPU_HYPERCALL_UNANSWERED;
	return to_vmm(v, AXVCPU_EXIT_HYPERCALL);
}

/* ---- EPT violation ---- */

static void npf_access(struct axvcpu_run *run, u64 gpa, u64 q)
{
	run->npf.gpa = gpa;
	run->npf.access = 0;
	if (q & EPT_VIOLATION_ACC_READ)
		run->npf.access |= AXVCPU_ACCESS_READ;
	if (q & EPT_VIOLATION_ACC_WRITE)
		run->npf.access |= AXVCPU_ACCESS_WRITE;
	if (q & EPT_VIOLATION_ACC_INSTR)
		run->npf.access |= AXVCPU_ACCESS_EXECUTE;
}

static noinline int handle_ept_violation(struct axvmx_vcpu *v)
{
	struct axvcpu_vm *vm = v->vcpu->vm;
	u64 q = axvmx_exit_qual(v), gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	bool write = q & EPT_VIOLATION_ACC_WRITE;
	int r, slot = axvcpu_gpa_slot_flags(vm, gpa);

	recover_nmi_blocking(v, q & EPT_QUAL_NMI_UNBLOCKED);

	/*
	 * Guest RAM not mapped yet (or unmapped by the MMU notifier): map
	 * it after the window, where the lookup may sleep, and let the guest
	 * run the access again (axvmx_fault_in()).
	 */
	if (axvcpu_slot_allows(slot, write)) {
		v->fault_gpa = gpa;
		v->fault_qual = q;
		v->fault_pending = true;
		v->end_window = true;
		return AXVCPU_RUN_CONTINUE;
	}
	/*
	 * Outside every slot, or a write to a read-only slot: device memory.
	 * Not for instruction fetches, nor during an event delivery.
	 */
	if (!(q & EPT_VIOLATION_ACC_INSTR) && !v->reinject) {
		if (axvlapic_mmio_base(&v->apic) == (gpa & PAGE_MASK) &&
		    slot < 0) {
			r = axvmx_apic_mmio(v, gpa);
			if (r != -EINVAL)
				return r;
		}
		/* An MMIO exit, or a write an ioeventfd took (CONTINUE). */
		r = axvmx_mmio_exit(v, gpa);
		if (r != -EINVAL)
			return r;
	}
	npf_access(v->vcpu->run, gpa, q);
	return to_vmm(v, AXVCPU_EXIT_NESTED_PAGE_FAULT);
}

/**
 * axvmx_fault_in - map the guest RAM page an EPT violation asked for.
 * @v: the vcpu, after the window of the exit (may sleep).
 *
 * Return: AXVCPU_RUN_CONTINUE (the guest runs the access again), or
 * AXVCPU_RUN_EXIT with NESTED_PAGE_FAULT when the VMM's memory behind the
 * slot is not there, or -ENOMEM for RUN.
 */
int axvmx_fault_in(struct axvmx_vcpu *v)
{
	int r;

	v->fault_pending = false;
	r = axvcpu_fault_in(v->vcpu->vm, v->fault_gpa,
			    v->fault_qual & EPT_VIOLATION_ACC_WRITE);
	switch (r) {
	case 0:
		axvcpu_count_builtin(v->vcpu, AXVCPU_BUILTIN_MEMORY_FAULT);
		return AXVCPU_RUN_CONTINUE;
	case -ENOENT:	/* the slot went meanwhile: the next exit says what */
	case -EACCES:
	case -EINTR:	/* a fatal signal: the core's loop returns for it */
		return AXVCPU_RUN_CONTINUE;
	case -EFAULT:
		npf_access(v->vcpu->run, v->fault_gpa, v->fault_qual);
		return to_vmm(v, AXVCPU_EXIT_NESTED_PAGE_FAULT);
	default:
		return r;
	}
}

/* ---- control registers: MOV to/from CR, CLTS, LMSW (every form) ---- */

static bool pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LMA);
}

/* MOV to CR0 with the architectural checks; false means #GP. */
static bool guest_write_cr0(struct axvmx_vcpu *v, u64 val)
{
	u64 old = axvmx_get_cr0(), cr4 = axvmx_get_cr4();
	u64 efer = vmcs_read(GUEST_IA32_EFER);

	if (!guest_64bit())
		val = (u32)val;
	if (axvmx_check_cr0(val))
		return false;
	if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) && (efer & EFER_LME)) {
		/* Long-mode activation: CR0.PG set with EFER.LME. */
		if (!(cr4 & X86_CR4_PAE))
			return false;
		efer |= EFER_LMA;
	} else if (!(val & X86_CR0_PG) && (old & X86_CR0_PG) &&
		   (efer & EFER_LMA)) {
		/* Not from 64-bit code, nor with PCIDs on (SDM Vol. 2B, MOV CR). */
		if (guest_64bit() || (cr4 & X86_CR4_PCIDE))
			return false;
		efer &= ~EFER_LMA;
	}
	if (pae_paging(val, cr4, efer) && !pae_paging(old, cr4, efer) &&
	    axvmx_load_pdptrs(v, vmcs_read(GUEST_CR3)))
		return false;
	axvmx_set_cr0(v, val);
	axvmx_set_efer(v, efer);
	return true;
}

static bool guest_write_cr4(struct axvmx_vcpu *v, u64 val)
{
	u64 cr0 = axvmx_get_cr0(), efer = vmcs_read(GUEST_IA32_EFER);
	u64 old = axvmx_get_cr4();

	if (!guest_64bit())
		val = (u32)val;
	if (axvmx_check_cr4(val))
		return false;
	if ((efer & EFER_LMA) && !(val & X86_CR4_PAE))
		return false;
	/*
	 * PCIDE only in IA-32e mode and with CR3[11:0] = 0 (SDM Vol. 2B, MOV
	 * CR "Protected Mode Exceptions"); a VM entry with PCIDE outside it
	 * fails (SDM Vol. 3C 27.3.1.1), so an unchecked write stopped the vcpu.
	 */
	if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    (!(efer & EFER_LMA) || (vmcs_read(GUEST_CR3) & 0xfff)))
		return false;
	if (pae_paging(cr0, val, efer) &&
	    ((val ^ old) & (X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE)) &&
	    axvmx_load_pdptrs(v, vmcs_read(GUEST_CR3)))
		return false;
	axvmx_set_cr4(v, val);
	return true;
}

static noinline int handle_cr(struct axvmx_vcpu *v)
{
	u64 q = axvmx_exit_qual(v), val;
	unsigned int cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	bool ok = true;

	switch (type) {
	case 0:		/* MOV to CR */
		val = axvmx_get_reg(v, reg);
		if (cr == 0) {
			ok = guest_write_cr0(v, val);
		} else if (cr == 4) {
			ok = guest_write_cr4(v, val);
		} else if (cr == 8) {
			ok = !(val & ~0xfULL);
			if (ok)
				axvlapic_set_cr8(&v->apic, val);
		} else {
			return unknown_exit(v);
		}
		break;
	case 1:		/* MOV from CR: only CR8 exits */
		if (cr != 8)
			return unknown_exit(v);
		axvmx_set_reg(v, reg, axvlapic_get_cr8(&v->apic));
		break;
	case 2:		/* CLTS */
		ok = guest_write_cr0(v, axvmx_get_cr0() & ~X86_CR0_TS);
		break;
	default:	/* LMSW: sets PE, MP, EM, TS; cannot clear PE */
		val = axvmx_get_cr0();
		val = (val & ~0xeULL) | ((q >> 16) & 0xf);
		ok = guest_write_cr0(v, val);
		break;
	}
	if (!ok)
		return inject_gp(v);
	axvmx_advance_rip(v);
	return builtin(v, AXVCPU_BUILTIN_CR_ACCESS);
}

/* ---- XSETBV ---- */

/*
 * #GP for what the instruction refuses: ECX naming another XCR than XCR0,
 * CPL > 0, an XCR0 bit not supported, x87 clear, AVX without SSE, one of
 * BNDREGS/BNDCSR alone, AVX-512 state partly set or without AVX.
 */
static noinline int handle_xsetbv(struct axvmx_vcpu *v)
{
	u64 val = (u32)v->regs[AXVMX_RAX] |
		  (v->regs[AXVMX_RDX] << 32);
	u64 avx512 = XFEATURE_MASK_OPMASK | XFEATURE_MASK_ZMM_Hi256 |
		     XFEATURE_MASK_Hi16_ZMM;
	u32 index = v->regs[AXVMX_RCX];

	/* XSETBV needs CR4.OSXSAVE, which the guest has only with a host XCR0. */
	if (!v->osxsave) {
		axvmx_queue_exception(v, X86_TRAP_UD, 0);
		return builtin(v, AXVCPU_BUILTIN_EXCEPTION);
	}
	if (index != 0 || (vmcs_read(GUEST_SS_AR_BYTES) & 0x60) ||
	    (val & ~axvmx_xcr0_allowed(v)) || !(val & XFEATURE_MASK_FP) ||
	    ((val & XFEATURE_MASK_YMM) && !(val & XFEATURE_MASK_SSE)) ||
	    (!(val & XFEATURE_MASK_BNDREGS) != !(val & XFEATURE_MASK_BNDCSR)) ||
	    ((val & avx512) && ((val & avx512) != avx512 ||
				!(val & XFEATURE_MASK_YMM))))
		return inject_gp(v);
	v->xcr0 = val;
	/* The registers of newly enabled components load in a new window. */
	v->end_window = true;
	axvmx_advance_rip(v);
	return builtin(v, AXVCPU_BUILTIN_XSETBV);
}

/* ---- MSRs ---- */

/*
 * RDMSR/WRMSR the module does not handle go to the VMM; completing one
 * advances RIP and puts a read's result into EDX:EAX, as the instruction.
 */
static noinline int handle_msr(struct axvmx_vcpu *v, bool write)
{
	struct axvcpu_run *run = v->vcpu->run;
	u32 msr = v->regs[AXVMX_RCX];
	u64 val = (u32)v->regs[AXVMX_RAX] | (v->regs[AXVMX_RDX] << 32);
	int r;

	if (write)
		r = axvmx_msr_write(v, msr, val);
	else
		r = axvmx_msr_read(v, msr, &val);
	if (r == AXVMX_MSR_GP)
		return inject_gp(v);
	if (r == AXVMX_MSR_VMM) {
		/* The VMM may refuse it (sysreg.fault): how to take it back. */
		v->msr_rip = axvmx_exit_rip(v);
		v->msr_rflags = vmcs_read(GUEST_RFLAGS);
	}
	axvmx_advance_rip(v);
	if (r == AXVMX_MSR_EXIT)
		return AXVCPU_RUN_EXIT;
	if (r == AXVMX_MSR_DONE) {
		if (!write) {
			v->regs[AXVMX_RAX] = (u32)val;
			v->regs[AXVMX_RDX] = val >> 32;
		}
		return builtin(v, axvlapic_is_msr(msr) ? AXVCPU_BUILTIN_APIC :
				  AXVCPU_BUILTIN_MSR);
	}
	run->sysreg.addr = msr;
	run->sysreg.reg = AXVMX_RAX;
	run->sysreg.is_write = write;
	run->sysreg.fault = 0;
	run->sysreg.value = write ? val : 0;
	return to_vmm(v, write ? AXVCPU_EXIT_SYSREG_WRITE :
				 AXVCPU_EXIT_SYSREG_READ);
}

/*
 * ---- MOV DR: the first access of a window exits; DR0-3 reach the CPU at
 * the entry (load_guest_debugregs(), or all of them with DR6 once MOV DR
 * stops exiting), DR7 through the VMCS ----
 */

#define DR_QUAL_FROM	BIT(4)
#define DR6_FIXED_1	0xfffe0ff0ULL

static int queue_db(struct axvmx_vcpu *v, u64 payload)
{
	axvmx_queue_db(v, payload);
	return builtin(v, AXVCPU_BUILTIN_EXCEPTION);
}

static noinline int handle_dr(struct axvmx_vcpu *v)
{
	u64 q = axvmx_exit_qual(v), val;
	unsigned int dr = q & 7, reg = (q >> 8) & 15;

	if ((vmcs_read(GUEST_SS_AR_BYTES) >> 5) & 3)
		return inject_gp(v);
	/* General detect: the exit came first; the #DB is a fault. */
	if (v->dr7 & AXVMX_DR7_GD)
		return queue_db(v, AXVMX_DR6_BD);
	/*
	 * The guest uses its debug registers: they go into the CPU at the
	 * next entry, MOV DR stops exiting, and this MOV DR runs again there
	 * (as KVM's KVM_DEBUGREG_WONT_EXIT).  The CPU then does all of it,
	 * DR4/DR5 aliasing, CR4.DE and DR7.GD included; the window's end or
	 * a #DB takes them back (axvmx_dr_sync()).
	 */
	if (axvmx_caps.lazy_dr) {
		v->dr_want_lazy = true;
		return builtin(v, AXVCPU_BUILTIN_CR_ACCESS);
	}
	if (dr == 4 || dr == 5) {
		if (axvmx_get_cr4() & X86_CR4_DE) {
			axvmx_queue_exception(v, X86_TRAP_UD, 0);
			return builtin(v, AXVCPU_BUILTIN_EXCEPTION);
		}
		dr += 2;
	}
	if (q & DR_QUAL_FROM) {
		val = dr < 4 ? v->db[dr] : dr == 6 ? v->dr6 : v->dr7;
		if (!guest_64bit())
			val = (u32)val;
		axvmx_set_reg(v, reg, val);
	} else {
		val = axvmx_get_reg(v, reg);
		if (!guest_64bit())
			val = (u32)val;
		if (dr < 4)
			v->db[dr] = val;
		else if (val >> 32)
			return inject_gp(v);
		else if (dr == 6)
			v->dr6 = val | DR6_FIXED_1;
		else
			axvmx_set_dr7(v, val);
	}
	axvmx_advance_rip(v);
	return builtin(v, AXVCPU_BUILTIN_CR_ACCESS);
}

/* ---- exceptions, NMIs and machine checks ---- */

/*
 * A machine check that exits belongs to the host: the exit took it out of
 * the CPU's hands before any IDT saw it, so the host's handler is called
 * here, with IRQs still off, on a made-up frame that says "user mode, IF
 * set" as KVM's kvm_machine_check() does: the handler may then kill the
 * task behind the guest (its memory is the VMM's) rather than panic.
 */
static void host_machine_check(struct axvmx_vcpu *v)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
	/* Any signal or task work it left is for the RUN thread: go there. */
	v->end_window = true;
}

static noinline int handle_exception_nmi(struct axvmx_vcpu *v)
{
	u32 info = axvmx_exit_intr_info(v);
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	if ((info & INTR_INFO_INTR_TYPE_MASK) != INTR_TYPE_NMI_INTR &&
	    vector != X86_TRAP_DF)
		recover_nmi_blocking(v, info & INTR_INFO_UNBLOCK_NMI);

	/* Host NMI: already raised again for the host in the run loop. */
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return builtin(v, AXVCPU_BUILTIN_HOST_NMI);
	/*
	 * #MC is in the exception bitmap so that a host machine check never
	 * goes through the guest's IDT; the guest's instruction runs again.
	 */
	if (vector == X86_TRAP_MC) {
		host_machine_check(v);
		return builtin(v, AXVCPU_BUILTIN_MACHINE_CHECK);
	}
	if (vector == X86_TRAP_DB) {
		u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);

		/* Its DR6 and DR7 change below: the module's copies first. */
		if (v->dr_lazy)
			axvmx_dr_sync(v);

		/*
		 * ICEBP (INT1) exits on itself: step over it, as it traps.
		 * Its #DB is the one queued below, not a single step too.
		 */
		if ((info & INTR_INFO_INTR_TYPE_MASK) ==
		    INTR_TYPE_PRIV_SW_EXCEPTION)
			vmcs_write(GUEST_RIP, axvmx_exit_rip(v) +
				   vmcs_read(VM_EXIT_INSTRUCTION_LEN));
		/*
		 * A single step inside an STI / MOV SS shadow: the exit does
		 * not set the pending BS the entry checks expect (as KVM).
		 */
		else if ((vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_TF) &&
			 (intr & (GUEST_INTR_STATE_STI |
				  GUEST_INTR_STATE_MOV_SS)))
			vmcs_set_bits(GUEST_PENDING_DBG_EXCEPTIONS,
				      AXVMX_DR6_BS);
		return queue_db(v, axvmx_exit_qual(v) &
				(DR_TRAP_BITS | AXVMX_DR6_BD | AXVMX_DR6_BS |
				 AXVMX_DR6_RTM));
	}
	if (vector == X86_TRAP_AC) {
		/* Reflect it: the guest's own #AC handler runs. */
		axvmx_queue_exception(v, X86_TRAP_AC,
				      vmcs_read(VM_EXIT_INTR_ERROR_CODE));
		return builtin(v, AXVCPU_BUILTIN_EXCEPTION);
	}
	return unknown_exit(v);
}

/* An event the exit interrupted (IDT-vectoring info) is delivered again. */
static noinline void save_idt_vectoring(struct axvmx_vcpu *v, u32 info)
{
	u32 type = info & VECTORING_INFO_TYPE_MASK;

	v->reinject = info & ~INTR_INFO_RESVD_BITS_MASK;
	v->reinject_err = vmcs_read(IDT_VECTORING_ERROR_CODE);
	/*
	 * An NMI whose delivery the exit interrupted is injected again; its
	 * entry sets the virtual-NMI blocking again, and it must be clear
	 * for that (SDM Vol. 3C 27.2.1.5), as KVM clears it.
	 */
	if (type == INTR_TYPE_NMI_INTR)
		vmcs_clear_bits(GUEST_INTERRUPTIBILITY_INFO,
				GUEST_INTR_STATE_NMI);
	v->reinject_len = 0;
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		v->reinject_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
}

/* ---- HLT ---- */

static noinline int handle_hlt(struct axvmx_vcpu *v)
{
	axvmx_advance_rip(v);
	/* An APIC interrupt the guest can take now ends the HLT; an NMI too. */
	if ((vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	    axvlapic_pending_vector(&v->apic) >= 0)
		return builtin(v, AXVCPU_BUILTIN_APIC);
	if (atomic_read(&v->apic.nmi_pending) &&
	    !(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & GUEST_INTR_STATE_NMI))
		return builtin(v, AXVCPU_BUILTIN_APIC);
	/*
	 * With AXVCPU_SETUP_HALT_IN_KERNEL and IF set, the guest stays
	 * halted and the RUN sleeps here until an event wakes it (halt_wait()
	 * in vmx_run.c).  Otherwise the VMM sees the HALT; with the APIC
	 * timer armed an interrupt will come, so the guest stays halted and
	 * the next RUN sleeps until the timer's vector or an injected event,
	 * instead of the HLT returning without an interrupt.  A single-step
	 * #DB queued by the HLT itself ends it at once.
	 */
	if ((vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF) && !v->reinject) {
		if (v->vcpu->halt_in_kernel) {
			v->halted = true;
			return builtin(v, AXVCPU_BUILTIN_HALT);
		}
		if (axvlapic_timer_armed(&v->apic))
			v->halted = true;
	}
	return to_vmm(v, AXVCPU_EXIT_HALT);
}

/*
 * The entry failed late: invalid guest state, MSR loading, #MC (SDM 27.8).
 * Such an exit writes only the exit reason and qualification (SDM Vol.
 * 3C 27.8), so the event the entry was to inject is still in the VMCS:
 * it is dropped here, or an event that failed the entry checks would
 * fail every later RUN too.
 */
static noinline int failed_entry(struct axvmx_vcpu *v)
{
	struct axvcpu_run *run = v->vcpu->run;

	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	if ((u16)v->exit_reason == EXIT_REASON_MCE_DURING_VMENTRY) {
		/* The host's hardware failed, not the guest's state. */
		host_machine_check(v);
		axvcpu_count_builtin(v->vcpu, AXVCPU_BUILTIN_MACHINE_CHECK);
		return internal_error(v, AXVCPU_INTERNAL_MACHINE_CHECK, 1,
				      v->exit_reason, 0, 0);
	}
	run->fail_entry.reason = v->exit_reason;
	run->fail_entry.qualification = axvmx_exit_qual(v);
	return to_vmm(v, AXVCPU_EXIT_FAIL_ENTRY);
}

/*
 * Exits caused by the guest executing an instruction.  None of them can
 * happen while an event is being delivered (delivery through the IDT runs
 * no guest instruction), and the IDT-vectoring information field is valid
 * only for VM exits during event delivery (SDM Vol. 3C 28.2.4): for these
 * it is not read.  All basic reasons here are below 64.
 */
#define AXVMX_INSN_EXITS						\
	(BIT_ULL(EXIT_REASON_CPUID) | BIT_ULL(EXIT_REASON_HLT) |		\
	 BIT_ULL(EXIT_REASON_INVD) | BIT_ULL(EXIT_REASON_INVLPG) |	\
	 BIT_ULL(EXIT_REASON_RDPMC) | BIT_ULL(EXIT_REASON_RDTSC) |	\
	 BIT_ULL(EXIT_REASON_RDTSCP) | BIT_ULL(EXIT_REASON_VMCALL) |	\
	 BIT_ULL(EXIT_REASON_CR_ACCESS) | BIT_ULL(EXIT_REASON_DR_ACCESS) | \
	 BIT_ULL(EXIT_REASON_IO_INSTRUCTION) |				\
	 BIT_ULL(EXIT_REASON_MSR_READ) | BIT_ULL(EXIT_REASON_MSR_WRITE) | \
	 BIT_ULL(EXIT_REASON_MWAIT_INSTRUCTION) |			\
	 BIT_ULL(EXIT_REASON_MONITOR_INSTRUCTION) |			\
	 BIT_ULL(EXIT_REASON_PAUSE_INSTRUCTION) |			\
	 BIT_ULL(EXIT_REASON_WBINVD) | BIT_ULL(EXIT_REASON_XSETBV))

/**
 * axvmx_handle_exit - handle a VM exit, with the VMCS still current.
 * @v: the vcpu; IRQs off, in the window of the exit.
 *
 * Each handler decodes its exit, completes it (RIP, registers, an event
 * to inject) or fills vcpu->run for the VMM, and returns one of the two
 * values below; exit fields come through axvmx_exit_qual() and friends.
 * The handlers stay out of line, so this dispatch needs no stack frame of
 * its own and each exit pays only for its handler's.
 *
 * Return: AXVCPU_RUN_CONTINUE (handled here) or AXVCPU_RUN_EXIT (run
 * filled for the VMM).
 */
int axvmx_handle_exit(struct axvmx_vcpu *v)
{
	u32 reason = v->exit_reason, vect;

	if (unlikely(reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		return failed_entry(v);
	v->launched = true;
	if ((u16)reason >= 64 || !(AXVMX_INSN_EXITS & BIT_ULL((u16)reason))) {
		vect = vmcs_read(IDT_VECTORING_INFO_FIELD);
		if (unlikely(vect & VECTORING_INFO_VALID_MASK))
			save_idt_vectoring(v, vect);
	}

	switch ((u16)reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		return handle_exception_nmi(v);
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		/* Taken by the host at local_irq_enable() already. */
		return builtin(v, AXVCPU_BUILTIN_EXT_INTR);
	case EXIT_REASON_TRIPLE_FAULT:
		v->vcpu->run->system_down.type = AXVCPU_SYSTEM_DOWN_CRASH;
		return to_vmm(v, AXVCPU_EXIT_SYSTEM_DOWN);
	case EXIT_REASON_TPR_BELOW_THRESHOLD:
		/* A vector the TPR held back: delivered at the entry. */
		return builtin(v, AXVCPU_BUILTIN_APIC);
	case EXIT_REASON_NMI_WINDOW:
		/* The guest's IRET ended its NMI: the next one goes in. */
		vmcs_clear_bits(CPU_BASED_VM_EXEC_CONTROL,
				CPU_BASED_NMI_WINDOW_EXITING);
		return builtin(v, AXVCPU_BUILTIN_INTR_WINDOW);
	case EXIT_REASON_INTERRUPT_WINDOW:
		vmcs_clear_bits(CPU_BASED_VM_EXEC_CONTROL,
				CPU_BASED_INTR_WINDOW_EXITING);
		return builtin(v, AXVCPU_BUILTIN_INTR_WINDOW);
	case EXIT_REASON_CPUID:
		return axvmx_handle_cpuid(v);
	case EXIT_REASON_DR_ACCESS:
		return handle_dr(v);
	case EXIT_REASON_RDPMC:
		/* No PMU in the guest's CPUID: RDPMC faults. */
		return inject_gp(v);
	case EXIT_REASON_HLT:
		return handle_hlt(v);
	case EXIT_REASON_VMCALL:
		return handle_vmcall(v);
	case EXIT_REASON_CR_ACCESS:
		return handle_cr(v);
	case EXIT_REASON_IO_INSTRUCTION:
		return handle_io(v);
	case EXIT_REASON_MSR_READ:
		return handle_msr(v, false);
	case EXIT_REASON_MSR_WRITE:
		return handle_msr(v, true);
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION:
		/* MONITOR/MWAIT are hidden in CPUID; run them as NOPs. */
		axvmx_advance_rip(v);
		return AXVCPU_RUN_CONTINUE;
	case EXIT_REASON_EPT_VIOLATION:
		return handle_ept_violation(v);
	case EXIT_REASON_PREEMPTION_TIMER:
		return builtin(v, AXVCPU_BUILTIN_PREEMPT_TIMER);
	case EXIT_REASON_XSETBV:
		return handle_xsetbv(v);
	case EXIT_REASON_WBINVD:
		/*
		 * WBINVD and WBNOINVD (one exit reason, SDM Vol. 3C 26.1.3)
		 * write back and empty every cache of the host CPU, a
		 * host-wide stall that a guest could repeat at will.  Guest
		 * RAM is write-back through EPT with "ignore PAT" and no
		 * device DMAs into it without snooping, so no cache holds
		 * anything the guest needs written back: a no-op is exact.
		 */
		axvmx_advance_rip(v);
		return builtin(v, AXVCPU_BUILTIN_WBINVD);
	default:
		return unknown_exit(v);
	}
}

/**
 * axvmx_handle_vmfail - VMLAUNCH/VMRESUME did not even start the entry.
 * @v: the vcpu; VMCS current (VMfailValid) or not (VMfailInvalid).
 *
 * Return: AXVCPU_RUN_EXIT with FAIL_ENTRY and the VM-instruction error.
 */
int axvmx_handle_vmfail(struct axvmx_vcpu *v)
{
	struct axvcpu_run *run = v->vcpu->run;
	u64 err = vmcs_read(VM_INSTRUCTION_ERROR);

	/* As in failed_entry(): the event that failed the checks goes. */
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	run->hw_reason = 0;
	run->hw_qualification = 0;
	run->hw_extra = err;
	run->hw_rip = vmcs_read(GUEST_RIP);
	run->fail_entry.reason = err;
	run->fail_entry.qualification = 0;
	return to_vmm(v, AXVCPU_EXIT_FAIL_ENTRY);
}
