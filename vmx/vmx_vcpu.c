// SPDX-License-Identifier: GPL-2.0
/*
 * VMX vcpu: VMCS life cycle, guest entry, registers, event queue.
 *
 * The seeds' VmxVcpu (X86-11..39) on a Linux host.  What the host adds:
 *  - the VMCS is current only inside a VMX window (vmx_percpu.c): IRQs
 *    off, VMPTRLD, the work, VMCLEAR.  It is active nowhere in between,
 *    so any CPU can load it next and nothing is lost when VMX operation
 *    goes away between windows;
 *  - one window runs the guest until an exit that needs the host (an
 *    interrupt, the VMM, a reschedule); exits handled in the module are
 *    handled inside it, with the guest's registers still loaded.  External
 *    interrupts are not acknowledged on exit: the host takes them when the
 *    window ends;
 *  - host state that a VM exit does not restore (GDT/IDT limits, TSS limit,
 *    LDT, data segments, KERNEL_GS_BASE, CR2, debug registers) is put back
 *    by hand;
 *  - the guest's FPU/XSAVE registers are loaded per window (vmx_fpu.c).
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/kvm_host.h>
#include <linux/sched/signal.h>
#include <asm/apic.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/mmu_context.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/sync_core.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>

#include "vmx.h"

static unsigned int timer_slice_us = 10000;
module_param(timer_slice_us, uint, 0644);
MODULE_PARM_DESC(timer_slice_us,
		 "x86: longest guest run between host checks (VMX preemption timer), in microseconds");

#define AXVMX_GUEST_PAT	0x0007040600070406ULL	/* the reset value */

void axvmx_vmwrite_error(unsigned long field, u64 value)
{
	pr_err_ratelimited("VMWRITE 0x%lx <- 0x%llx failed (error %llu)\n",
			   field, value, vmcs_read(VM_INSTRUCTION_ERROR));
}

/* ---- the VMCS inside a VMX window ---- */

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
	/* A new VMCS region is initialised by VMCLEAR before first use. */
	if ((!v->vmcs_cleared && axvmx_vmclear(v->vmcs_pa)) ||
	    axvmx_vmptrld(v->vmcs_pa)) {
		axvmx_window_close(w);
		return -EIO;
	}
	v->vmcs_cleared = true;
	v->launched = false;
	if (v->last_cpu != cpu) {
		set_host_state_cpu(v, cpu);
		if (v->vpid)
			axvmx_invvpid(axvmx_caps.invvpid_single ?
				      VMX_VPID_EXTENT_SINGLE_CONTEXT :
				      VMX_VPID_EXTENT_ALL_CONTEXT, v->vpid);
		if (axvmx_caps.invept_single)
			axvmx_invept(VMX_EPT_EXTENT_CONTEXT,
				     to_vmx_vm(v->vcpu->vm)->eptp);
		else
			axvmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
		v->last_cpu = cpu;
	}
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
	axvmx_vmclear(v->vmcs_pa);
	v->launched = false;
	axvmx_window_close(w);
}

/* ---- guest state helpers ---- */

/*
 * The instruction is done: step over it, and end the STI / MOV SS shadow
 * it was in (it covered that instruction only).
 */
void axvmx_advance_rip(struct axvmx_vcpu *v)
{
	u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);

	vmcs_write(GUEST_RIP, vmcs_read(GUEST_RIP) +
		   vmcs_read(VM_EXIT_INSTRUCTION_LEN));
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr &
			   ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
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
 * CR0 as the seeds set it (X86-60): the guest sees @val through the read
 * shadow; the real CR0 keeps the VMX fixed bits (PE/PG may be clear under
 * unrestricted guest) and never has NW/CD.  PG is host-owned too, so a
 * guest turning paging on exits and long mode can be entered (X86-65).
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
 * CR4 (X86-62), with VMXE hidden from the guest.  The bits a guest may not
 * set (axvmx_cr4_refused()) are host-owned too, so setting one exits and
 * becomes a #GP.
 */
void axvmx_set_cr4(struct axvmx_vcpu *v, u64 val)
{
	vmcs_write(GUEST_CR4, ((val | X86_CR4_VMXE) & axvmx_caps.cr4_fixed1) |
		   axvmx_caps.cr4_fixed0);
	vmcs_write(CR4_READ_SHADOW, val);
	vmcs_write(CR4_GUEST_HOST_MASK, axvmx_caps.cr4_fixed0 |
		   ~axvmx_caps.cr4_fixed1 | axvmx_cr4_refused());
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

/* EFER.LMA decides "IA-32e mode guest" (VM-entry checks need them equal). */
void axvmx_set_efer(struct axvmx_vcpu *v, u64 efer)
{
	vmcs_write(GUEST_IA32_EFER, efer);
	if (efer & EFER_LMA)
		vmcs_set_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
	else
		vmcs_clear_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
}

/* The seeds' real-mode start (X86-30..39). */
static void setup_guest_state(struct axvmx_vcpu *v)
{
	int s;

	for (s = AXVMX_SEG_CS; s <= AXVMX_SEG_SS; s++)
		axvmx_write_seg(s, 0, 0, 0xffff, s == AXVMX_SEG_CS ? 0x9b : 0x93);
	axvmx_write_seg(AXVMX_SEG_LDT, 0, 0, 0xffff, 0x82);
	axvmx_write_seg(AXVMX_SEG_TR, 0, 0, 0xffff, 0x8b);
	vmcs_write(GUEST_GDTR_BASE, 0);
	vmcs_write(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0xffff);

	axvmx_set_cr0(v, X86_CR0_NW | X86_CR0_CD | X86_CR0_ET);
	axvmx_set_cr4(v, 0);
	vmcs_write(GUEST_CR3, 0);
	axvmx_set_dr7(v, AXVMX_DR7_FIXED_1);
	vmcs_write(GUEST_RSP, v->regs[AXVMX_RSP]);
	vmcs_write(GUEST_RIP, v->entry);
	vmcs_write(GUEST_RFLAGS, X86_EFLAGS_FIXED);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	v->halted = false;
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_IA32_PAT, AXVMX_GUEST_PAT);
	vmcs_write(VM_ENTRY_CONTROLS, axvmx_caps.entry);
	axvmx_set_efer(v, 0);
}

static void setup_controls(struct axvmx_vcpu *v)
{
	u32 proc2 = axvmx_caps.proc2;

	if (!v->vpid)
		proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, axvmx_caps.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, axvmx_caps.proc);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, proc2);
	vmcs_write(VM_EXIT_CONTROLS, axvmx_caps.exit);
	/*
	 * #AC is intercepted and reflected: a guest whose #AC handler faults
	 * with #AC again would otherwise loop inside the CPU and never let
	 * the host take an interrupt (CVE-2015-5307).  #DB likewise: a
	 * breakpoint on the guest's own #DB stack frame would loop the same
	 * way (CVE-2015-8104); and the exit tells DR6's new bits, so the
	 * CPU's DR6 is never the guest's.
	 */
	vmcs_write(EXCEPTION_BITMAP, BIT(X86_TRAP_AC) | BIT(X86_TRAP_DB));
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(IO_BITMAP_A, __pa(v->io_bitmap));
	vmcs_write(IO_BITMAP_B, __pa(v->io_bitmap) + PAGE_SIZE);
	vmcs_write(MSR_BITMAP, __pa(v->msr_bitmap));
	if (axvmx_caps.has_tsc_offset)
		vmcs_write(TSC_OFFSET, v->msrs.tsc_offset);
	vmcs_write(EPT_POINTER, to_vmx_vm(v->vcpu->vm)->eptp);
	if (v->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, v->vpid);
}

/* ---- life cycle ---- */

int axvcpu_arch_vcpu_create(struct axvcpu_vcpu *vcpu,
			    const struct axvcpu_vcpu_create *cfg)
{
	struct axvmx_vcpu *v;
	struct page *p;
	int i;

	/* x86 has no create config (the seeds' CreateConfig is ()). */
	for (i = 0; i < ARRAY_SIZE(cfg->pad); i++)
		if (cfg->pad[i])
			return -EINVAL;

	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	v->vcpu = vcpu;
	v->last_cpu = -1;
	spin_lock_init(&v->lock);

	p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!p)
		goto out_free;
	v->vmcs = page_address(p);
	v->vmcs_pa = page_to_phys(p);
	*(u32 *)v->vmcs = AXVMX_BASIC_REVISION(axvmx_caps.basic);

	/* Every port and every MSR exits by default (LNX-06, LNX-04). */
	p = alloc_pages(GFP_KERNEL_ACCOUNT, 1);
	if (!p)
		goto out_vmcs;
	v->io_bitmap = page_address(p);
	memset(v->io_bitmap, 0xff, 2 * PAGE_SIZE);
	p = alloc_page(GFP_KERNEL_ACCOUNT);
	if (!p)
		goto out_io;
	v->msr_bitmap = page_address(p);
	memset(v->msr_bitmap, 0xff, PAGE_SIZE);

	if (axvmx_fpu_init(&v->fpu))
		goto out_msr;
	v->vpid = axvmx_alloc_vpid();
	v->xcr0 = XFEATURE_MASK_FP;
	v->dr6 = AXVMX_DR6_ACTIVE_LOW;
	v->dr7 = AXVMX_DR7_FIXED_1;
	axvmx_msrs_init(v);
	axvlapic_init(&v->apic, vcpu);
	vcpu->arch = v;
	return 0;

out_msr:
	free_page((unsigned long)v->msr_bitmap);
out_io:
	free_pages((unsigned long)v->io_bitmap, 1);
out_vmcs:
	free_page((unsigned long)v->vmcs);
out_free:
	kfree(v);
	return -ENOMEM;
}

void axvcpu_arch_vcpu_destroy(struct axvcpu_vcpu *vcpu)
{
	struct axvmx_vcpu *v = vcpu->arch;

	if (!v)
		return;
	/* Its VMCS is active nowhere: every window ended with VMCLEAR. */
	axvlapic_destroy(&v->apic);
	kfree(v->cpuid);
	axvmx_fpu_free(&v->fpu);
	axvmx_free_vpid(v->vpid);
	free_page((unsigned long)v->msr_bitmap);
	free_pages((unsigned long)v->io_bitmap, 1);
	free_page((unsigned long)v->vmcs);
	kfree(v);
	vcpu->arch = NULL;
}

static int do_setup(struct axvmx_vcpu *v, void *arg)
{
	setup_controls(v);
	setup_guest_state(v);
	return 0;
}

/*
 * X86-23: the VMCS is written in one window and VMCLEARed at its end, so
 * the vcpu is "Free" (active on no CPU) afterwards.  The new region gets
 * its first VMCLEAR in that window, before VMPTRLD (SDM 25.11.3).
 */
int axvcpu_arch_vcpu_setup(struct axvcpu_vcpu *vcpu,
			   const struct axvcpu_vcpu_setup *cfg)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	int i, r;

	for (i = 0; i < ARRAY_SIZE(cfg->pad); i++)
		if (cfg->pad[i])
			return -EINVAL;
	v->entry = cfg->entry;
	v->vmcs_ready = true;
	r = axvmx_with_vmcs(v, do_setup, NULL);
	if (r)
		v->vmcs_ready = false;
	return r;
}

/*
 * Binding needs no VMX state on the CPU: each window loads the VMCS on the
 * CPU it runs on.  This CPU must be one the module may use, though.
 */
int axvcpu_arch_vcpu_bind(struct axvcpu_vcpu *vcpu)
{
	bool ready;

	preempt_disable();
	ready = axvcpu_arch_hardware_is_enabled();
	preempt_enable();
	return ready ? 0 : -EIO;
}

int axvcpu_arch_vcpu_unbind(struct axvcpu_vcpu *vcpu)
{
	return 0;
}

/* ---- entry ---- */

static bool guest_can_take_irq(void)
{
	return (vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) &
		 (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

static bool exception_has_error_code(u8 vector)
{
	switch (vector) {
	case X86_TRAP_DF: case X86_TRAP_TS: case X86_TRAP_NP: case X86_TRAP_SS:
	case X86_TRAP_GP: case X86_TRAP_PF: case X86_TRAP_AC:
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

	info |= vector == X86_TRAP_NMI ? INTR_TYPE_NMI_INTR :
				       INTR_TYPE_HARD_EXCEPTION;
	/* Real mode (unrestricted guest) pushes no error code. */
	if (exception_has_error_code(vector) &&
	    (vmcs_read(GUEST_CR0) & X86_CR0_PE))
		info |= INTR_INFO_DELIVER_CODE_MASK;
	v->reinject = info;
	v->reinject_err = err;
	v->reinject_len = 0;
}

/*
 * IRQs off: one event per entry (X86-127), else ask for the window.
 * Exceptions the VMM queued come first, then the local APIC's highest
 * vector above its PPR, then the VMM's external interrupts.
 */
static void inject_events(struct axvmx_vcpu *v)
{
	bool pending, can_irq = guest_can_take_irq();
	int apic_vec = axvlapic_pending_vector(&v->apic);

	spin_lock(&v->lock);
	if (!v->reinject && v->nr_events && v->events[v->head].exception) {
		struct axvmx_event *e = &v->events[v->head];

		axvmx_queue_exception(v, e->vector, e->error_code);
		v->head = (v->head + 1) % AXVMX_EVENT_QUEUE;
		v->nr_events--;
	} else if (!v->reinject && can_irq && apic_vec >= 0) {
		axvlapic_ack(&v->apic, apic_vec);
		v->reinject = apic_vec | INTR_TYPE_EXT_INTR |
			      INTR_INFO_VALID_MASK;
		v->reinject_len = 0;
		apic_vec = axvlapic_pending_vector(&v->apic);
	} else if (!v->reinject && can_irq && v->nr_events) {
		v->reinject = v->events[v->head].vector | INTR_TYPE_EXT_INTR |
			      INTR_INFO_VALID_MASK;
		v->reinject_len = 0;
		v->head = (v->head + 1) % AXVMX_EVENT_QUEUE;
		v->nr_events--;
	}
	pending = v->nr_events || apic_vec >= 0;
	spin_unlock(&v->lock);

	if (v->reinject) {
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, v->reinject);
		if (v->reinject & INTR_INFO_DELIVER_CODE_MASK)
			vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE,
				   v->reinject_err);
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN, v->reinject_len);
		v->reinject = 0;
	}
	if (pending)
		vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL,
			      CPU_BASED_INTR_WINDOW_EXITING);
}

static u32 timer_value(void)
{
	u64 t = (u64)tsc_khz * timer_slice_us / 1000;

	t >>= axvmx_caps.misc & 0x1f;
	return clamp_t(u64, t, 1, U32_MAX);
}

/*
 * Host state that may change between windows (per task, per mm, and CR4
 * with the VMXE this window may have set).  CR3 and CR4 are read from the
 * registers, IRQs off.
 */
static void set_host_state_entry(struct axvmx_vcpu *v, u16 fs_sel, u16 gs_sel)
{
	unsigned long cr3 = __read_cr3();
	unsigned long cr4 = __read_cr4();
	unsigned long fs_base;

	if (cr3 != v->host_cr3) {
		vmcs_write(HOST_CR3, cr3);
		v->host_cr3 = cr3;
	}
	if (cr4 != v->host_cr4) {
		vmcs_write(HOST_CR4, cr4);
		v->host_cr4 = cr4;
	}
	rdmsrq(MSR_FS_BASE, fs_base);
	if (fs_base != v->host_fs_base) {
		vmcs_write(HOST_FS_BASE, fs_base);
		v->host_fs_base = fs_base;
	}
	/* Selectors with RPL/TI bits are not allowed there: reload later. */
	vmcs_write(HOST_FS_SELECTOR, (fs_sel & 7) ? 0 : fs_sel);
	vmcs_write(HOST_GS_SELECTOR, (gs_sel & 7) ? 0 : gs_sel);
}

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

/**
 * struct axvmx_host_save - host state one window takes away and gives back.
 * @ds: DS selector.  @es, @fs, @gs, @ldt likewise.
 * @idt: the IDT (the exit leaves its limit at 0xffff).
 * @kgs: IA32_KERNEL_GS_BASE.
 * @debugctl: IA32_DEBUGCTL (the exit clears it).
 * @db: DR0-DR3 while the host has a hardware breakpoint active.
 * @db_saved: @db holds the host's.
 */
struct axvmx_host_save {
	u16 ds, es, fs, gs, ldt;
	struct desc_ptr idt;
	u64 kgs, debugctl;
	unsigned long db[4];
	bool db_saved;
};

/*
 * IRQs off, before an entry: the guest's DR0-DR3 go into the CPU when its
 * DR7 enables a breakpoint (the entry loads DR7 itself).  The host's DR7 is
 * turned off first so that none of its breakpoints fires on a guest
 * address in between, and its DR0-DR3 are kept for the end of the window.
 */
static void load_guest_debugregs(struct axvmx_vcpu *v,
				 struct axvmx_host_save *h)
{
	if (!(v->dr7 & AXVMX_DR7_BP_ENABLES))
		return;
	if (hw_breakpoint_active() && !h->db_saved) {
		set_debugreg(0, 7);
		get_debugreg(h->db[0], 0);
		get_debugreg(h->db[1], 1);
		get_debugreg(h->db[2], 2);
		get_debugreg(h->db[3], 3);
		h->db_saved = true;
	}
	set_debugreg(v->db[0], 0);
	set_debugreg(v->db[1], 1);
	set_debugreg(v->db[2], 2);
	set_debugreg(v->db[3], 3);
}

/*
 * IRQs off, at the end of the window.  Every exit set DR7 to 0x400 and
 * cleared IA32_DEBUGCTL (SDM 28.5.1): the host's hardware breakpoints
 * (ptrace, perf) and DEBUGCTL (LBR, BTF) come back, as the kernel's own
 * breakpoint code would put them (DR6 to its reset value, DR7 last).
 */
static void restore_host_debug(struct axvmx_host_save *h)
{
	if (hw_breakpoint_active()) {
		if (h->db_saved) {
			set_debugreg(h->db[0], 0);
			set_debugreg(h->db[1], 1);
			set_debugreg(h->db[2], 2);
			set_debugreg(h->db[3], 3);
		}
		set_debugreg(DR6_RESERVED, 6);
		set_debugreg(__this_cpu_read(cpu_dr7), 7);
	}
	if (h->debugctl)
		wrmsrq(MSR_IA32_DEBUGCTLMSR, h->debugctl);
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
static bool exit_needs_host(struct axvmx_vcpu *v)
{
	switch ((u16)v->exit_reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_PREEMPTION_TIMER:
		return true;
	case EXIT_REASON_EXCEPTION_NMI:
		return (v->exit_intr_info & INTR_INFO_INTR_TYPE_MASK) ==
		       INTR_TYPE_NMI_INTR;
	}
	return false;
}

/* The guest's XCR0 while it runs: its own once it has CR4.OSXSAVE. */
static void set_guest_xcr0(struct axvmx_vcpu *v)
{
	u64 want;

	if (!axvmx_caps.host_xcr0 || v->xcr0 == v->window_xcr0)
		return;
	want = (vmcs_read(GUEST_CR4) & X86_CR4_OSXSAVE) ? v->xcr0 :
							 v->window_xcr0;
	if (want != v->cur_xcr0) {
		xsetbv(XCR_XFEATURE_ENABLED_MASK, want);
		v->cur_xcr0 = want;
	}
}

/*
 * The entries of one window, IRQs off, VMCS current: enter, handle the
 * exit here while it is one the module handles and nothing needs the host.
 */
static int run_entries(struct axvmx_vcpu *v, struct axvmx_host_save *h)
{
	struct axvcpu_vcpu *vcpu = v->vcpu;
	int fail, r;

	for (;;) {
		inject_events(v);
		if (axvmx_caps.has_preempt_timer)
			vmcs_write(VMX_PREEMPTION_TIMER_VALUE, timer_value());
		set_guest_xcr0(v);
		/* SYSCALL, RDTSCP and SWAPGS use these without exiting. */
		axvmx_msrs_load_guest(v);
		/* CR2 is not in the VMCS: the guest's lives in the register. */
		if (native_read_cr2() != v->cr2)
			native_write_cr2(v->cr2);
		load_guest_debugregs(v, h);

		guest_timing_enter_irqoff();
		guest_state_enter_irqoff();
		fail = axvmx_vmenter(v->regs, v->launched);
		guest_state_exit_irqoff();
		/*
		 * TSC_AUX at once: the kernel's NMI and #MC entries find their
		 * per-CPU data with RDPID on CPUs that have it.
		 */
		axvmx_msrs_load_host(v);
		v->cr2 = native_read_cr2();
		guest_timing_exit_irqoff();

		if (fail)
			return axvmx_handle_vmfail(v);
		v->exit_reason = vmcs_read(VM_EXIT_REASON);
		v->exit_intr_info = vmcs_read(VM_EXIT_INTR_INFO);
		if (exit_needs_host(v) &&
		    (u16)v->exit_reason == EXIT_REASON_EXCEPTION_NMI)
			forward_nmi();
		r = axvmx_handle_exit(v);
		if (r != AXVCPU_RUN_CONTINUE || exit_needs_host(v) ||
		    v->end_window || v->halted || need_resched() ||
		    signal_pending(current) ||
		    READ_ONCE(vcpu->run->immediate_exit))
			return r;
		/* The core counts the entry it asked for; these are extra. */
		vcpu->run->stats.entries++;
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
	struct axvmx_host_save h = { };
	struct axvmx_window w;
	int cpu, r;

	kernel_fpu_begin();
	cpu = smp_processor_id();
	savesegment(ds, h.ds);
	savesegment(es, h.es);
	savesegment(fs, h.fs);
	savesegment(gs, h.gs);
	h.ldt = read_ldt();
	store_idt(&h.idt);

	local_irq_disable();
	if (axvmx_vmcs_get(v, &w)) {
		local_irq_enable();
		kernel_fpu_end();
		return vmx_unavailable(v);
	}
	set_host_state_entry(v, h.fs, h.gs);
	v->end_window = false;
	axvmx_fpu_load_guest(v);
	/* A guest SWAPGS changes the live KERNEL_GS_BASE (the host's). */
	rdmsrq(MSR_KERNEL_GS_BASE, h.kgs);
	if (v->guest_kgs != h.kgs)
		wrmsrq(MSR_KERNEL_GS_BASE, v->guest_kgs);
	v->kgs_live = true;
	rdmsrq(MSR_IA32_DEBUGCTLMSR, h.debugctl);

	r = run_entries(v, &h);

	restore_host_debug(&h);
	rdmsrq(MSR_KERNEL_GS_BASE, v->guest_kgs);
	v->kgs_live = false;
	if (v->guest_kgs != h.kgs)
		wrmsrq(MSR_KERNEL_GS_BASE, h.kgs);
	axvmx_fpu_save_guest(v);
	axvmx_vmcs_put(v, &w);
	/*
	 * The exits set the GDT and IDT limits to 0xffff and the TR limit to
	 * 0x67 (SDM 28.5.2); Linux relies on the real limits (the TSS I/O
	 * bitmap, the fixmap GDT), so put them back before IRQs are on.
	 */
	load_fixmap_gdt(cpu);
	load_idt(&h.idt);
	invalidate_tss_limit();
	local_irq_enable();
	kernel_fpu_end();

	if (h.ldt)
		load_ldt_sel(h.ldt);
	if (h.ds)
		loadsegment(ds, h.ds);
	if (h.es)
		loadsegment(es, h.es);
	if (h.fs & 7)
		loadsegment(fs, h.fs);
	if (h.gs & 7)
		load_gs_index(h.gs);
	return r;
}

/* Something ends the guest's HLT: an event to deliver, or no timer left. */
static bool halt_done(struct axvmx_vcpu *v)
{
	return READ_ONCE(v->nr_events) ||
	       axvlapic_pending_vector(&v->apic) >= 0 ||
	       !axvlapic_timer_armed(&v->apic);
}

/*
 * A RUN after a HALT exit whose guest waits for its APIC timer (IF set,
 * so any vector above the PPR ends the HLT): sleep until then.  A signal
 * ends the wait; the guest then stays halted for the next RUN.
 */
static void halt_wait(struct axvmx_vcpu *v)
{
	if (wait_event_interruptible(v->apic.halt_wq, halt_done(v)))
		return;
	v->halted = false;
}

/*
 * Enters the guest until an exit for the VMM, or until the core has to
 * look (signal, immediate_exit, need_resched).  Each round is one VMX
 * window (run_window()); the sleeps of a halted guest are between them.
 */
int axvcpu_arch_vcpu_run(struct axvcpu_vcpu *vcpu)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	int r;

	if (!v->vmcs_ready)
		return -EIO;
	for (;;) {
		if (v->halted) {
			halt_wait(v);
			r = AXVCPU_RUN_CONTINUE;
			if (v->halted)
				break;
		}
		r = run_window(v);
		if (r != AXVCPU_RUN_CONTINUE || need_resched() ||
		    signal_pending(current) ||
		    READ_ONCE(vcpu->run->immediate_exit))
			break;
		vcpu->run->stats.entries++;
	}
	return r;
}

/* ---- registers ---- */

int axvcpu_arch_vcpu_complete(struct axvcpu_vcpu *vcpu, u32 reason)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	struct axvcpu_run *run = vcpu->run;
	u64 *rax = &v->regs[AXVMX_RAX];

	switch (reason) {
	case AXVCPU_EXIT_IO_READ:
		/* The width is the module's own, never the run page's. */
		switch (v->io_width) {
		case 1:
			*rax = (*rax & ~0xffULL) | (u8)READ_ONCE(run->io.data);
			break;
		case 2:
			*rax = (*rax & ~0xffffULL) | (u16)READ_ONCE(run->io.data);
			break;
		default:
			*rax = (u32)READ_ONCE(run->io.data);
			break;
		}
		return 0;
	case AXVCPU_EXIT_HYPERCALL:
		*rax = run->hypercall.ret;
		return 0;
	case AXVCPU_EXIT_SYSREG_READ:
		*rax = (u32)run->sysreg.value;
		v->regs[AXVMX_RDX] = run->sysreg.value >> 32;
		return 0;
	case AXVCPU_EXIT_MMIO_READ:
		return axvmx_complete_mmio(v);
	default:
		return 0;
	}
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
	local_irq_save(flags);
	r = axvmx_vmcs_get(v, &w);
	if (!r) {
		r = fn(v, arg);
		axvmx_vmcs_put(v, &w);
	}
	local_irq_restore(flags);
	return r;
}

struct gpr_arg {
	u32 index;
	u64 val;
};

static int do_get_rsp(struct axvmx_vcpu *v, void *arg)
{
	((struct gpr_arg *)arg)->val = vmcs_read(GUEST_RSP);
	return 0;
}

static int do_set_rsp(struct axvmx_vcpu *v, void *arg)
{
	vmcs_write(GUEST_RSP, ((struct gpr_arg *)arg)->val);
	return 0;
}

int axvcpu_arch_vcpu_set_gpr(struct axvcpu_vcpu *vcpu, u32 index, u64 val)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	struct gpr_arg a = { index, val };

	if (index >= AXVMX_NR_REGS)
		return -EINVAL;
	if (index != AXVMX_RSP) {
		v->regs[index] = val;
		return 0;
	}
	/* Before SETUP, RSP waits in the array for the VMCS. */
	if (!v->vmcs_ready) {
		v->regs[AXVMX_RSP] = val;
		return 0;
	}
	return axvmx_with_vmcs(v, do_set_rsp, &a);
}

int axvcpu_arch_vcpu_get_gpr(struct axvcpu_vcpu *vcpu, u32 index, u64 *val)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	struct gpr_arg a = { index, 0 };
	int r;

	if (index >= AXVMX_NR_REGS)
		return -EINVAL;
	if (index != AXVMX_RSP || !v->vmcs_ready) {
		*val = v->regs[index];
		return 0;
	}
	r = axvmx_with_vmcs(v, do_get_rsp, &a);
	*val = a.val;
	return r;
}

void axvcpu_arch_vcpu_set_return_value(struct axvcpu_vcpu *vcpu, u64 val)
{
	to_vmx(vcpu)->regs[AXVMX_RAX] = val;
}

int axvcpu_arch_vcpu_inject_interrupt(struct axvcpu_vcpu *vcpu,
				      const struct axvcpu_interrupt *irq)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	bool exc = irq->flags & AXVCPU_IRQ_EXCEPTION;
	struct axvmx_event *e;
	unsigned long flags;

	if (irq->flags & ~(AXVCPU_IRQ_EXCEPTION | AXVCPU_IRQ_ERROR_CODE) ||
	    irq->pad || irq->vector > 255)
		return -EINVAL;
	/* Vectors 0-31 are exceptions (the seeds inject them as such). */
	if (irq->vector < 32)
		exc = true;
	if (exc && irq->vector >= 32)
		return -EINVAL;
	if ((irq->flags & AXVCPU_IRQ_ERROR_CODE) &&
	    !exception_has_error_code(irq->vector))
		return -EINVAL;

	/* An enabled local APIC takes fixed interrupts into its IRR. */
	if (!exc && axvlapic_accept_irq(&v->apic, irq->vector)) {
		wake_up_interruptible(&v->apic.halt_wq);
		return 0;
	}

	spin_lock_irqsave(&v->lock, flags);
	if (v->nr_events == AXVMX_EVENT_QUEUE) {
		spin_unlock_irqrestore(&v->lock, flags);
		return -ENOSPC;
	}
	e = &v->events[(v->head + v->nr_events) % AXVMX_EVENT_QUEUE];
	e->vector = irq->vector;
	e->exception = exc;
	e->has_error = irq->flags & AXVCPU_IRQ_ERROR_CODE;
	e->error_code = e->has_error ? irq->error_code : 0;
	v->nr_events++;
	spin_unlock_irqrestore(&v->lock, flags);
	wake_up_interruptible(&v->apic.halt_wq);
	return 0;
}
