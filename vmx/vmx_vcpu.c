// SPDX-License-Identifier: GPL-2.0
/*
 * VMX vcpu: VMCS life cycle, guest entry, registers, event queue.
 *
 * The seeds' VmxVcpu (X86-11..39) on a Linux host.  What the host adds:
 *  - the VMCS follows the thread: a RUN (or a register ioctl) on another
 *    CPU clears it where it was loaded and loads it here (VMCLEAR must run
 *    on the CPU that holds the VMCS, hence the IPI);
 *  - one entry runs with preemption and IRQs off; external interrupts are
 *    not acknowledged on exit, so the host takes them at local_irq_enable();
 *  - host state that a VM exit does not restore (GDT/IDT limits, TSS limit,
 *    LDT, data segments, KERNEL_GS_BASE, CR2) is put back by hand;
 *  - the guest's FPU/XSAVE registers are swapped with the kernel FPU API.
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
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/idtentry.h>
#include <asm/mmu_context.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
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

/* ---- loading the VMCS on this CPU ---- */

static void __vcpu_clear(void *arg)
{
	struct axvmx_vcpu *v = arg;
	unsigned long flags;

	local_irq_save(flags);
	if (READ_ONCE(v->cpu) == smp_processor_id()) {
		axvmx_vmclear(v->vmcs_pa);
		axvmx_loaded_del(v);
		v->launched = false;
		WRITE_ONCE(v->cpu, -1);
	}
	local_irq_restore(flags);
}

/**
 * axvmx_vcpu_clear - VMCLEAR @v's VMCS wherever it is loaded.
 * @v: the vcpu; IRQs on (the CPU holding the VMCS may need an IPI).
 */
void axvmx_vcpu_clear(struct axvmx_vcpu *v)
{
	int cpu = READ_ONCE(v->cpu);

	if (cpu < 0)
		return;
	/* An offline CPU has cleared it in its teardown already. */
	smp_call_function_single(cpu, __vcpu_clear, v, 1);
}

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
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write(HOST_IA32_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_ESP,
		   (unsigned long)(cpu_entry_stack(cpu) + 1));
	vmcs_write(HOST_GS_BASE, cpu_kernelmode_gs_base(cpu));
	rdmsrl(MSR_IA32_CR_PAT, msr);
	vmcs_write(HOST_IA32_PAT, msr);
	rdmsrl(MSR_EFER, msr);
	vmcs_write(HOST_IA32_EFER, msr);
	vmcs_write(HOST_RIP, (unsigned long)axvmx_vmexit);
	v->host_cr3 = 0;
	v->host_cr4 = 0;
	v->host_fs_base = ~0UL;
}

/**
 * axvmx_vcpu_load - make @v's VMCS current on this CPU.
 * @v: the vcpu.
 *
 * Preemption disabled, IRQs on.  When the VMCS is active on another CPU it
 * is VMCLEARed there first (its launch state is then "clear", so the next
 * entry is a VMLAUNCH).
 *
 * Return: 0, or -EIO if VMX is off here or VMPTRLD failed.
 */
int axvmx_vcpu_load(struct axvmx_vcpu *v)
{
	int cpu = smp_processor_id();

	if (!axvmx_cpu_is_on())
		return -EIO;
	if (READ_ONCE(v->cpu) != cpu) {
		axvmx_vcpu_clear(v);
		local_irq_disable();
		if (axvmx_vmptrld(v->vmcs_pa)) {
			local_irq_enable();
			return -EIO;
		}
		WRITE_ONCE(v->cpu, cpu);
		axvmx_loaded_add(v);
		axvmx_set_current_vmcs(v);
		local_irq_enable();
		set_host_state_cpu(v, cpu);
		/* Translations another user of this VPID/EPTP left here. */
		if (v->vpid)
			axvmx_invvpid(axvmx_caps.invvpid_single ?
				      VMX_VPID_EXTENT_SINGLE_CONTEXT :
				      VMX_VPID_EXTENT_ALL_CONTEXT, v->vpid);
		if (axvmx_caps.invept_single)
			axvmx_invept(VMX_EPT_EXTENT_CONTEXT,
				     to_vmx_vm(v->vcpu->vm)->eptp);
		else
			axvmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	} else if (axvmx_current_vmcs() != v) {
		if (axvmx_vmptrld(v->vmcs_pa))
			return -EIO;
		axvmx_set_current_vmcs(v);
	}
	return 0;
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
	v->cpu = -1;
	INIT_LIST_HEAD(&v->loaded_link);
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

	if (!fpu_alloc_guest_fpstate(&v->gfpu))
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
	axvlapic_destroy(&v->apic);
	axvmx_vcpu_clear(v);
	kfree(v->cpuid);
	fpu_free_guest_fpstate(&v->gfpu);
	axvmx_free_vpid(v->vpid);
	free_page((unsigned long)v->msr_bitmap);
	free_pages((unsigned long)v->io_bitmap, 1);
	free_page((unsigned long)v->vmcs);
	kfree(v);
	vcpu->arch = NULL;
}

/*
 * X86-23: VMCLEAR, load on this CPU, write guest state and controls, and
 * VMCLEAR again, so that the vcpu is "Free" (loaded nowhere) afterwards.
 */
int axvcpu_arch_vcpu_setup(struct axvcpu_vcpu *vcpu,
			   const struct axvcpu_vcpu_setup *cfg)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	int i, r;

	for (i = 0; i < ARRAY_SIZE(cfg->pad); i++)
		if (cfg->pad[i])
			return -EINVAL;

	preempt_disable();
	if (!axvmx_cpu_is_on()) {
		preempt_enable();
		return -EIO;
	}
	if (axvmx_vmclear(v->vmcs_pa)) {
		preempt_enable();
		return -EIO;
	}
	v->entry = cfg->entry;
	r = axvmx_vcpu_load(v);
	if (!r) {
		setup_controls(v);
		setup_guest_state(v);
		v->vmcs_ready = true;
	}
	preempt_enable();
	axvmx_vcpu_clear(v);
	return r;
}

int axvcpu_arch_vcpu_bind(struct axvcpu_vcpu *vcpu)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	int r;

	preempt_disable();
	r = axvmx_vcpu_load(v);
	preempt_enable();
	return r;
}

int axvcpu_arch_vcpu_unbind(struct axvcpu_vcpu *vcpu)
{
	axvmx_vcpu_clear(to_vmx(vcpu));
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

/* Host state that may change between entries (per task, per mm). */
static void set_host_state_entry(struct axvmx_vcpu *v, u16 fs_sel, u16 gs_sel)
{
	unsigned long cr3 = __get_current_cr3_fast();
	unsigned long cr4 = cr4_read_shadow();
	unsigned long fs_base;

	if (cr3 != v->host_cr3) {
		vmcs_write(HOST_CR3, cr3);
		v->host_cr3 = cr3;
	}
	if (cr4 != v->host_cr4) {
		vmcs_write(HOST_CR4, cr4);
		v->host_cr4 = cr4;
	}
	rdmsrl(MSR_FS_BASE, fs_base);
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

/*
 * IRQs off, just before the entry: the guest's DR0-DR3 go into the CPU
 * when its DR7 enables a breakpoint (the entry loads DR7 itself).  The
 * host's DR7 is turned off first so that none of its breakpoints fires on
 * a guest address in between.
 */
static void load_guest_debugregs(struct axvmx_vcpu *v)
{
	if (!(v->dr7 & AXVMX_DR7_BP_ENABLES))
		return;
	if (hw_breakpoint_active())
		set_debugreg(0, 7);
	set_debugreg(v->db[0], 0);
	set_debugreg(v->db[1], 1);
	set_debugreg(v->db[2], 2);
	set_debugreg(v->db[3], 3);
}

/*
 * IRQs off, right after the exit, which set DR7 to 0x400 and cleared
 * IA32_DEBUGCTL: the host's hardware breakpoints (ptrace, perf) and
 * DEBUGCTL (LBR, BTF) come back, as KVM does.
 */
static void restore_host_debug(u64 host_debugctl)
{
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	if (host_debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, host_debugctl);
}

/* One guest entry and its exit, with the guest FPU state loaded. */
static int run_once(struct axvmx_vcpu *v)
{
	u16 ds_sel, es_sel, fs_sel, gs_sel, ldt_sel;
	struct desc_ptr idt;
	u64 host_kgs, host_debugctl;
	bool switch_xcr0;
	int cpu, fail, r;

	preempt_disable();
	r = axvmx_vcpu_load(v);
	if (r)
		goto out;
	cpu = smp_processor_id();

	savesegment(ds, ds_sel);
	savesegment(es, es_sel);
	savesegment(fs, fs_sel);
	savesegment(gs, gs_sel);
	ldt_sel = read_ldt();
	store_idt(&idt);
	set_host_state_entry(v, fs_sel, gs_sel);

	local_irq_disable();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	inject_events(v);
	if (axvmx_caps.has_preempt_timer)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, timer_value());

	/* SYSCALL, RDTSCP and SWAPGS use these without exiting. */
	axvmx_msrs_load_guest(v);
	/* A guest SWAPGS changes the live KERNEL_GS_BASE (the host's). */
	rdmsrl(MSR_KERNEL_GS_BASE, host_kgs);
	if (v->guest_kgs != host_kgs)
		wrmsrl(MSR_KERNEL_GS_BASE, v->guest_kgs);
	/* CR2 is not in the VMCS: the guest's lives in the real register. */
	if (native_read_cr2() != v->cr2)
		native_write_cr2(v->cr2);
	/* The guest's XCR0 only while it runs: host XSAVEs need the host's. */
	switch_xcr0 = axvmx_caps.host_xcr0 &&
		      (vmcs_read(GUEST_CR4) & X86_CR4_OSXSAVE) &&
		      v->xcr0 != axvmx_caps.host_xcr0;
	if (switch_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, v->xcr0);
	rdmsrl(MSR_IA32_DEBUGCTLMSR, host_debugctl);
	load_guest_debugregs(v);

	guest_timing_enter_irqoff();
	guest_state_enter_irqoff();
	fail = axvmx_vmenter(v->regs, v->launched);
	guest_state_exit_irqoff();

	restore_host_debug(host_debugctl);
	v->cr2 = native_read_cr2();
	if (switch_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, axvmx_caps.host_xcr0);
	/*
	 * The exit set the GDT and IDT limits to 0xffff and the TR limit to
	 * 0x67; Linux relies on the real limits (the TSS I/O bitmap, the
	 * fixmap GDT), so put them back before anything else runs.
	 */
	load_fixmap_gdt(cpu);
	load_idt(&idt);
	invalidate_tss_limit();
	rdmsrl(MSR_KERNEL_GS_BASE, v->guest_kgs);
	if (v->guest_kgs != host_kgs)
		wrmsrl(MSR_KERNEL_GS_BASE, host_kgs);
	axvmx_msrs_load_host(v);

	if (!fail) {
		v->exit_reason = vmcs_read(VM_EXIT_REASON);
		v->exit_intr_info = vmcs_read(VM_EXIT_INTR_INFO);
		/* The NMI that caused the exit belongs to the host. */
		if ((u16)v->exit_reason == EXIT_REASON_EXCEPTION_NMI &&
		    (v->exit_intr_info & INTR_INFO_INTR_TYPE_MASK) ==
		    INTR_TYPE_NMI_INTR)
			axvmx_do_event_irqoff((unsigned long)asm_exc_nmi_noist);
	}
	guest_timing_exit_irqoff();
	local_irq_enable();

	if (ldt_sel)
		load_ldt_sel(ldt_sel);
	if (ds_sel)
		loadsegment(ds, ds_sel);
	if (es_sel)
		loadsegment(es, es_sel);
	if (fs_sel & 7)
		loadsegment(fs, fs_sel);
	if (gs_sel & 7)
		load_gs_index(gs_sel);

	r = fail ? axvmx_handle_vmfail(v) : axvmx_handle_exit(v);
out:
	preempt_enable();
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
 * look (signal, immediate_exit, need_resched).  The guest's FPU/XSAVE
 * registers are loaded once for all those entries: the handlers in between
 * never use the FPU, and a preemption or a kernel_fpu_begin() there saves
 * them into the guest's fpstate (fpu_swap_kvm_fpstate() made it current's),
 * as with KVM.  They are put back before the core returns to userspace or
 * handles a signal.
 */
int axvcpu_arch_vcpu_run(struct axvcpu_vcpu *vcpu)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	int r;

	if (!v->vmcs_ready)
		return -EIO;
	fpu_swap_kvm_fpstate(&v->gfpu, true);
	for (;;) {
		if (v->halted) {
			halt_wait(v);
			r = AXVCPU_RUN_CONTINUE;
			if (v->halted)
				break;
		}
		r = run_once(v);
		if (r != AXVCPU_RUN_CONTINUE || need_resched() ||
		    signal_pending(current) ||
		    READ_ONCE(vcpu->run->immediate_exit))
			break;
		/* The core counts the entry it asked for; these are extra. */
		vcpu->run->stats.entries++;
	}
	fpu_swap_kvm_fpstate(&v->gfpu, false);
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
 * axvmx_with_vmcs - run @fn with @v's VMCS current on this CPU.
 * @v: the vcpu; after SETUP (else -EBADFD).
 * @fn: called with preemption off.
 * @arg: passed to @fn.
 *
 * Return: @fn's result, or the error of loading the VMCS.
 */
int axvmx_with_vmcs(struct axvmx_vcpu *v,
		     int (*fn)(struct axvmx_vcpu *v, void *arg), void *arg)
{
	int r;

	if (!v->vmcs_ready)
		return -EBADFD;
	preempt_disable();
	r = axvmx_vcpu_load(v);
	if (!r)
		r = fn(v, arg);
	preempt_enable();
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
