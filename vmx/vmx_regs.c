// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 register ioctls: AXVCPU_GET/SET_X86_REGS and _SREGS.
 *
 * They let a VMM start a guest in protected or long mode instead of the
 * real-mode start of AXVCPU_SETUP.  Values are checked against what a VM entry
 * accepts (fixed CR bits, EFER/CR0/CR4 consistency) so that a bad value is
 * -EINVAL here rather than a FAIL_ENTRY later.  The VMCS is made current
 * on this CPU, with preemption off, for every access.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "vmx.h"

static int get_regs(struct axvmx_vcpu *v, void *arg)
{
	struct axvcpu_x86_regs *r = arg;

	r->rax = v->regs[AXVMX_RAX];
	r->rbx = v->regs[AXVMX_RBX];
	r->rcx = v->regs[AXVMX_RCX];
	r->rdx = v->regs[AXVMX_RDX];
	r->rsi = v->regs[AXVMX_RSI];
	r->rdi = v->regs[AXVMX_RDI];
	r->rsp = vmcs_read(GUEST_RSP);
	r->rbp = v->regs[AXVMX_RBP];
	r->r8 = v->regs[AXVMX_R8];
	r->r9 = v->regs[AXVMX_R9];
	r->r10 = v->regs[AXVMX_R10];
	r->r11 = v->regs[AXVMX_R11];
	r->r12 = v->regs[AXVMX_R12];
	r->r13 = v->regs[AXVMX_R13];
	r->r14 = v->regs[AXVMX_R14];
	r->r15 = v->regs[AXVMX_R15];
	r->rip = vmcs_read(GUEST_RIP);
	r->rflags = vmcs_read(GUEST_RFLAGS);
	return 0;
}

/* RFLAGS bits that must be 0 (bit 1 is forced to 1). */
#define RFLAGS_RESERVED	(~0x3f7fd7ULL)

static int set_regs(struct axvmx_vcpu *v, void *arg)
{
	struct axvcpu_x86_regs *r = arg;

	if (r->rflags & RFLAGS_RESERVED)
		return -EINVAL;
	v->regs[AXVMX_RAX] = r->rax;
	v->regs[AXVMX_RBX] = r->rbx;
	v->regs[AXVMX_RCX] = r->rcx;
	v->regs[AXVMX_RDX] = r->rdx;
	v->regs[AXVMX_RSI] = r->rsi;
	v->regs[AXVMX_RDI] = r->rdi;
	v->regs[AXVMX_RBP] = r->rbp;
	v->regs[AXVMX_R8] = r->r8;
	v->regs[AXVMX_R9] = r->r9;
	v->regs[AXVMX_R10] = r->r10;
	v->regs[AXVMX_R11] = r->r11;
	v->regs[AXVMX_R12] = r->r12;
	v->regs[AXVMX_R13] = r->r13;
	v->regs[AXVMX_R14] = r->r14;
	v->regs[AXVMX_R15] = r->r15;
	vmcs_write(GUEST_RSP, r->rsp);
	vmcs_write(GUEST_RIP, r->rip);
	vmcs_write(GUEST_RFLAGS, r->rflags | X86_EFLAGS_FIXED);
	/* New registers: a guest waiting in HLT runs again. */
	v->halted = false;
	return 0;
}

struct seg_fields {
	u32 sel, base, limit, ar;
};

/* Indexed by AXVMX_SEG_*, the order of struct axvcpu_x86_sregs. */
static const struct seg_fields seg_fields[AXVMX_NR_SEGS] = {
	{ GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
	{ GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
	{ GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
	{ GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
	{ GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
	{ GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
	{ GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES },
	{ GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT,
	  GUEST_LDTR_AR_BYTES },
};

/**
 * axvmx_write_seg - load one guest segment register into the VMCS.
 * @s: AXVMX_SEG_*.
 * @sel: selector.
 * @base: base.
 * @limit: limit in bytes.
 * @ar: VMX access rights.
 */
void axvmx_write_seg(int s, u16 sel, u64 base, u32 limit, u32 ar)
{
	vmcs_write(seg_fields[s].sel, sel);
	vmcs_write(seg_fields[s].base, base);
	vmcs_write(seg_fields[s].limit, limit);
	vmcs_write(seg_fields[s].ar, ar);
}

/* In the order of struct axvcpu_x86_sregs. */
static struct axvcpu_x86_segment *sreg_seg(struct axvcpu_x86_sregs *s, int i)
{
	struct axvcpu_x86_segment *all[] = {
		&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt
	};

	return all[i];
}

static int get_sregs(struct axvmx_vcpu *v, void *arg)
{
	struct axvcpu_x86_sregs *s = arg;
	int i;

	for (i = 0; i < ARRAY_SIZE(seg_fields); i++) {
		struct axvcpu_x86_segment *seg = sreg_seg(s, i);

		seg->selector = vmcs_read(seg_fields[i].sel);
		seg->base = vmcs_read(seg_fields[i].base);
		seg->limit = vmcs_read(seg_fields[i].limit);
		seg->ar = vmcs_read(seg_fields[i].ar);
	}
	s->gdt.base = vmcs_read(GUEST_GDTR_BASE);
	s->gdt.limit = vmcs_read(GUEST_GDTR_LIMIT);
	s->idt.base = vmcs_read(GUEST_IDTR_BASE);
	s->idt.limit = vmcs_read(GUEST_IDTR_LIMIT);
	s->cr0 = axvmx_get_cr0();
	s->cr2 = v->cr2;
	s->cr3 = vmcs_read(GUEST_CR3);
	s->cr4 = axvmx_get_cr4();
	s->cr8 = axvlapic_get_cr8(&v->apic);
	s->efer = vmcs_read(GUEST_IA32_EFER);
	s->dr7 = v->dr7;
	return 0;
}

static int check_sregs(const struct axvcpu_x86_sregs *s)
{
	u64 efer_ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;
	bool lma = s->efer & EFER_LMA;
	int i;

	for (i = 0; i < ARRAY_SIZE(seg_fields); i++) {
		const struct axvcpu_x86_segment *seg =
			sreg_seg((struct axvcpu_x86_sregs *)s, i);

		if (seg->pad || seg->pad2)
			return -EINVAL;
	}
	if (s->gdt.pad[0] || s->gdt.pad[1] || s->gdt.pad[2] ||
	    s->idt.pad[0] || s->idt.pad[1] || s->idt.pad[2])
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(s->reserved); i++)
		if (s->reserved[i])
			return -EINVAL;
	if (axvmx_check_cr0(s->cr0) || axvmx_check_cr4(s->cr4))
		return -EINVAL;
	if (s->efer & ~efer_ok)
		return -EINVAL;
	/* Long mode: LMA iff LME with paging, and paging needs PAE. */
	if ((s->cr0 & X86_CR0_PG) && !!(s->efer & EFER_LME) != lma)
		return -EINVAL;
	if (lma && (!(s->cr0 & X86_CR0_PG) || !(s->cr4 & X86_CR4_PAE)))
		return -EINVAL;
	/* PCIDs exist in IA-32e mode only (SDM Vol. 3C 27.3.1.1). */
	if (!lma && (s->cr4 & X86_CR4_PCIDE))
		return -EINVAL;
	if (lma && (s->cs.ar & VMX_AR_L_MASK) && (s->cs.ar & VMX_AR_DB_MASK))
		return -EINVAL;
	if (s->cr3 >> boot_cpu_data.x86_phys_bits)
		return -EINVAL;
	if (s->cr8 > 15 || s->dr7 >> 32)
		return -EINVAL;
	return 0;
}

static int set_sregs(struct axvmx_vcpu *v, void *arg)
{
	struct axvcpu_x86_sregs *s = arg;
	int i, r;

	r = check_sregs(s);
	if (r)
		return r;
	/*
	 * PAE paging: the entry takes the PDPTEs from the VMCS.  Loaded
	 * first, so that bad PDPTEs leave the vcpu as it was.
	 */
	if ((s->cr0 & X86_CR0_PG) && (s->cr4 & X86_CR4_PAE) &&
	    !(s->efer & EFER_LMA) && axvmx_load_pdptrs(v, s->cr3))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(seg_fields); i++) {
		struct axvcpu_x86_segment *seg = sreg_seg(s, i);

		axvmx_write_seg(i, seg->selector, seg->base, seg->limit,
				seg->ar);
	}
	vmcs_write(GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write(GUEST_GDTR_LIMIT, s->gdt.limit);
	vmcs_write(GUEST_IDTR_BASE, s->idt.base);
	vmcs_write(GUEST_IDTR_LIMIT, s->idt.limit);
	axvmx_set_cr0(v, s->cr0);
	axvmx_set_cr4(v, s->cr4);
	vmcs_write(GUEST_CR3, s->cr3);
	axvmx_set_efer(v, s->efer);
	axvmx_set_dr7(v, s->dr7);
	v->cr2 = s->cr2;
	axvlapic_set_cr8(&v->apic, s->cr8);
	return 0;
}

/* AXVCPU_X86_SET_USER_HYPERCALL: read by the next VMCALL exit. */
static long set_user_hypercall(struct axvcpu_vcpu *vcpu, void *buf,
			       unsigned long arg)
{
	u32 on = *(const u32 *)buf;

	if (on > 1)
		return -EINVAL;
	WRITE_ONCE(to_vmx(vcpu)->user_hypercall, on);
	return 0;
}

static long get_x86_regs(struct axvcpu_vcpu *vcpu, void *buf,
			 unsigned long arg)
{
	return axvmx_with_vmcs(to_vmx(vcpu), get_regs, buf);
}

static long set_x86_regs(struct axvcpu_vcpu *vcpu, void *buf,
			 unsigned long arg)
{
	return axvmx_with_vmcs(to_vmx(vcpu), set_regs, buf);
}

static long get_x86_sregs(struct axvcpu_vcpu *vcpu, void *buf,
			  unsigned long arg)
{
	return axvmx_with_vmcs(to_vmx(vcpu), get_sregs, buf);
}

static long set_x86_sregs(struct axvcpu_vcpu *vcpu, void *buf,
			  unsigned long arg)
{
	return axvmx_with_vmcs(to_vmx(vcpu), set_sregs, buf);
}

static long set_io_intercept(struct axvcpu_vcpu *vcpu, void *buf,
			     unsigned long arg)
{
	return axvmx_set_io_intercept(to_vmx(vcpu), buf);
}

static long set_msr_intercept(struct axvcpu_vcpu *vcpu, void *buf,
			      unsigned long arg)
{
	return axvmx_set_msr_intercept(to_vmx(vcpu), buf);
}

/* The entries after the header are read from @arg, the user's pointer. */
static long set_cpuid(struct axvcpu_vcpu *vcpu, void *buf, unsigned long arg)
{
	return axvmx_set_cpuid(to_vmx(vcpu), buf, (void __user *)arg);
}

#define ANY	AXVCPU_IOCTL_ANY_STATE

/* Under vcpu->mutex, in any state (include/axvcpu_arch.h). */
const struct axvcpu_ioctl axvcpu_arch_vcpu_ioctls[] = {
	AXVCPU_VCPU_IOCTL(AXVCPU_GET_X86_REGS, 0, ANY, NULL, get_x86_regs),
	AXVCPU_VCPU_IOCTL(AXVCPU_SET_X86_REGS, 0, ANY, NULL, set_x86_regs),
	AXVCPU_VCPU_IOCTL(AXVCPU_GET_X86_SREGS, 0, ANY, NULL, get_x86_sregs),
	AXVCPU_VCPU_IOCTL(AXVCPU_SET_X86_SREGS, 0, ANY, NULL, set_x86_sregs),
	AXVCPU_VCPU_IOCTL(AXVCPU_X86_SET_IO_INTERCEPT, 0, ANY, NULL,
			  set_io_intercept),
	AXVCPU_VCPU_IOCTL(AXVCPU_X86_SET_MSR_INTERCEPT, 0, ANY, NULL,
			  set_msr_intercept),
	AXVCPU_VCPU_IOCTL(AXVCPU_X86_SET_CPUID, 0, ANY, NULL, set_cpuid),
	AXVCPU_VCPU_IOCTL(AXVCPU_X86_SET_USER_HYPERCALL, 0, ANY, NULL,
			  set_user_hypercall),
};
const unsigned int axvcpu_arch_nr_vcpu_ioctls = ARRAY_SIZE(axvcpu_arch_vcpu_ioctls);
