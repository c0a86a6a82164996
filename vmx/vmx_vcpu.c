// SPDX-License-Identifier: GPL-2.0
/*
 * VMX vcpu life cycle: create, SETUP (the VMCS's first contents), BIND,
 * destroy, and the answers the VMM writes back (complete, GPRs).
 *
 * The run loop is in vmx_run.c, the VMCS and guest-state accessors in
 * vmx_state.c, the event queue in vmx_event.c, the exit handlers in
 * vmx_exit.c.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/fpu/xcr.h>
#include <asm/io.h>

#include "vmx.h"

#define AXVMX_GUEST_PAT	0x0007040600070406ULL	/* the reset value */

/*
 * The first guest state: real mode as after RESET or INIT (64K segment
 * limits, CR0 = NW | CD | ET, CR4 = 0; SDM Vol. 3A, "Processor State
 * After Reset"), but with CS base 0 and RIP = the VMM's entry point.
 * "Unrestricted guest" lets VMX enter it with CR0.PE and PG clear.
 */
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
	 * CPU's DR6 is never the guest's.  #MC: a host machine check while
	 * the guest runs is the host's to handle, never the guest IDT's.
	 */
	vmcs_write(EXCEPTION_BITMAP, BIT(X86_TRAP_AC) | BIT(X86_TRAP_DB) |
		   BIT(X86_TRAP_MC));
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	/* Used only while host PEBS is on (axvmx_spec_window()). */
	vmcs_write(VM_ENTRY_MSR_LOAD_ADDR, __pa(&v->msr_autoload[0]));
	vmcs_write(VM_EXIT_MSR_LOAD_ADDR, __pa(&v->msr_autoload[1]));
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	v->msr_autoload_nr = 0;
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(IO_BITMAP_A, __pa(v->io_bitmap));
	vmcs_write(IO_BITMAP_B, __pa(v->io_bitmap) + PAGE_SIZE);
	vmcs_write(MSR_BITMAP, __pa(v->msr_bitmap));
	if (axvmx_caps.has_tsc_offset)
		vmcs_write(TSC_OFFSET, v->msrs.tsc_offset);
	vmcs_write(EPT_POINTER, to_vmx_vm(v->vcpu->vm)->eptp);
	if (v->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, v->vpid);
	if (axvmx_caps.has_tpr_shadow) {
		vmcs_write(VIRTUAL_APIC_PAGE_ADDR, __pa(v->vapic));
		vmcs_write(TPR_THRESHOLD, 0);
		v->tpr_threshold = 0;
	}
	v->dr_lazy = false;
	v->dr_want_lazy = false;
}

static struct axvlapic *axvlapic_of(struct axvcpu_vcpu *vcpu)
{
	return &to_vmx(vcpu)->apic;
}

/* ---- life cycle ---- */

/* x86 has no create or setup parameters: the core wants them all zero. */
const size_t axvcpu_arch_create_cfg_used;
const size_t axvcpu_arch_setup_cfg_used;

int axvcpu_arch_vcpu_create(struct axvcpu_vcpu *vcpu,
			    const struct axvcpu_vcpu_create *cfg)
{
	struct axvmx_vcpu *v;
	struct page *p;

	axvmx_cpuid_init();
	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	v->vcpu = vcpu;
	v->last_cpu = -1;
	v->held_cpu = -1;
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
	p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!p)
		goto out_msr;
	v->msr_autoload = page_address(p);
	v->msr_autoload[0].index = MSR_IA32_PEBS_ENABLE;
	v->msr_autoload[1].index = MSR_IA32_PEBS_ENABLE;

	/* The virtual-APIC page: its VTPR is the APIC's TPR (vlapic.h). */
	if (axvmx_caps.has_tpr_shadow) {
		p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!p)
			goto out_autoload;
		v->vapic = page_address(p);
		v->apic.tpr = (u32 *)((u8 *)v->vapic + APIC_TASKPRI);
	}
	if (axvmx_fpu_init(&v->fpu))
		goto out_vapic;
	v->vpid = axvmx_alloc_vpid();
	v->xcr0 = XFEATURE_MASK_FP;
	v->dr6 = AXVMX_DR6_ACTIVE_LOW;
	v->dr7 = AXVMX_DR7_FIXED_1;
	axvmx_msrs_init(v);
	axvlapic_init(&v->apic, vcpu);
	v->apic.peer = axvlapic_of;
	vcpu->arch = v;
	return 0;

out_vapic:
	free_page((unsigned long)v->vapic);
out_autoload:
	free_page((unsigned long)v->msr_autoload);
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
	/*
	 * Its VMCS active nowhere: every window ended with VMCLEAR, except
	 * under vmx_hold, where the CPU that holds it clears it now.
	 */
	preempt_disable();
	axvmx_hold_forget(v, true);
	preempt_enable();
	axvlapic_destroy(&v->apic);
	kfree(v->cpuid);
	axvmx_fpu_free(&v->fpu);
	axvmx_free_vpid(v->vpid);
	free_page((unsigned long)v->vapic);
	free_page((unsigned long)v->msr_autoload);
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
 * INIT (SDM Vol. 3A 10.1, Table 10-1): the register state of a reset, in
 * real mode; x87/SSE state, XCR0 and the MSRs other than EFER are kept
 * (so PAT and SYSENTER_* are put back over setup_guest_state()'s), as KVM
 * does.  Events queued or being re-injected are dropped with the APIC's.
 */
static int do_init(struct axvmx_vcpu *v, void *arg)
{
	u64 pat = vmcs_read(GUEST_IA32_PAT);
	u64 cs = vmcs_read(GUEST_SYSENTER_CS);
	u64 esp = vmcs_read(GUEST_SYSENTER_ESP);
	u64 eip = vmcs_read(GUEST_SYSENTER_EIP);
	unsigned long flags;

	memset(v->regs, 0, sizeof(v->regs));
	v->regs[AXVMX_RDX] = 0x600;	/* family 6: the reset EDX */
	v->cr2 = 0;
	memset(v->db, 0, sizeof(v->db));
	v->dr6 = AXVMX_DR6_ACTIVE_LOW;
	setup_guest_state(v);
	vmcs_write(GUEST_RIP, 0xfff0);
	axvmx_write_seg(AXVMX_SEG_CS, 0xf000, 0xffff0000, 0xffff, 0x9b);
	vmcs_write(GUEST_IA32_PAT, pat);
	vmcs_write(GUEST_SYSENTER_CS, cs);
	vmcs_write(GUEST_SYSENTER_ESP, esp);
	vmcs_write(GUEST_SYSENTER_EIP, eip);
	spin_lock_irqsave(&v->lock, flags);
	v->nr_events = 0;
	v->reinject = 0;
	spin_unlock_irqrestore(&v->lock, flags);
	axvlapic_init_reset(&v->apic);
	return 0;
}

/**
 * axvmx_init_reset - an INIT reached the vcpu (it then waits for SIPI).
 * @v: the vcpu, in its RUN, outside a VMX window.
 *
 * Return: 0, or the error of loading the VMCS.
 */
int axvmx_init_reset(struct axvmx_vcpu *v)
{
	return axvmx_with_vmcs(v, do_init, NULL);
}

/* A SIPI in wait-for-SIPI: real mode at vector << 12 (SDM Vol. 3A 9.4.4.1). */
static int do_sipi(struct axvmx_vcpu *v, void *arg)
{
	u8 vec = *(u8 *)arg;

	axvmx_write_seg(AXVMX_SEG_CS, vec << 8, (u64)vec << 12, 0xffff, 0x9b);
	vmcs_write(GUEST_RIP, 0);
	return 0;
}

/**
 * axvmx_sipi_start - start a vcpu in wait-for-SIPI at a SIPI's vector.
 * @v: the vcpu, in its RUN, outside a VMX window.
 * @vector: the SIPI's vector.
 *
 * Return: 0, or the error of loading the VMCS.
 */
int axvmx_sipi_start(struct axvmx_vcpu *v, u8 vector)
{
	return axvmx_with_vmcs(v, do_sipi, &vector);
}

/*
 * The VMCS is written in one window and VMCLEARed at its end, so
 * the vcpu is "Free" (active on no CPU) afterwards.  The new region gets
 * its first VMCLEAR in that window, before VMPTRLD (SDM 25.11.3).
 */
int axvcpu_arch_vcpu_setup(struct axvcpu_vcpu *vcpu,
			   const struct axvcpu_vcpu_setup *cfg)
{
	struct axvmx_vcpu *v = to_vmx(vcpu);
	int r;

	v->entry = cfg->entry;
	v->vmcs_ready = true;
	r = axvmx_with_vmcs(v, do_setup, NULL);
	if (r) {
		v->vmcs_ready = false;
		return r;
	}
	if (cfg->flags & AXVCPU_SETUP_X86_WAIT_SIPI) {
		v->apic.sipi_capable = true;
		v->apic.wait_sipi = true;
	}
	return 0;
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
	case AXVCPU_EXIT_SYSREG_WRITE:
		/* Taken back with the VMCS loaded: axvmx_msr_refused(). */
		if (READ_ONCE(run->sysreg.fault)) {
			v->msr_fault = true;
			return 0;
		}
		if (reason == AXVCPU_EXIT_SYSREG_READ) {
			*rax = (u32)run->sysreg.value;
			v->regs[AXVMX_RDX] = run->sysreg.value >> 32;
		}
		return 0;
	case AXVCPU_EXIT_MMIO_READ:
		return axvmx_complete_mmio(v);
	default:
		return 0;
	}
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
