/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86_64 guest set-up helpers for the selftests (header only): a GDT, an
 * IDT, identity page tables and AXVCPU_SET_X86_SREGS starts in protected
 * and long mode, all in the 64 KiB test slot of struct test_vm.
 *
 * Layout of the test slot (guest-physical = offset):
 *   0x0000  real-mode IVT (256 x 4 bytes)
 *   0x1000  guest code (GUEST_ENTRY)
 *   0x7ff0  top of the stack
 *   0x8000  data page (GUEST_DATA_GPA)
 *   0x9000  GDT (0x08 code64, 0x10 data, 0x18 code32, 0x20 TSS (16 bytes))
 *   0x9800  TSS;  0x9f00  GDTR pseudo-descriptor (for LGDT)
 *   0xa000  IDT (long mode: 16-byte gates; protected mode: 8-byte gates)
 *   0xb000  PML4, 0xc000 PDPT, 0xd000 PD (2 MiB pages: 0..1 GiB identity)
 *   0xe000  PD2 (PDPT[1]: VA 1 GiB..), 0xf000 PT (4 KiB pages)
 *
 * Include as "processor.h" (the Makefile puts lib/<arch>/ on the include
 * path); the hooks both arches share are in vcpu_arch.h.
 */
#ifndef SELFTEST_X86_PROCESSOR_H
#define SELFTEST_X86_PROCESSOR_H

#include <sys/ioctl.h>

#include "axvcpu_util.h"

#define X86_STACK_TOP	0x7ff0ULL
#define X86_GDT_GPA	0x9000ULL
#define X86_TSS_GPA	0x9800ULL
#define X86_GDTR_GPA	0x9f00ULL
#define X86_IDT_GPA	0xa000ULL
#define X86_PML4_GPA	0xb000ULL
#define X86_PDPT_GPA	0xc000ULL
#define X86_PD_GPA	0xd000ULL
#define X86_PD2_GPA	0xe000ULL
#define X86_PT_GPA	0xf000ULL

#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define SEL_CODE32	0x18
#define SEL_TSS		0x20

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_MP	(1ULL << 1)
#define X86_CR0_EM	(1ULL << 2)
#define X86_CR0_TS	(1ULL << 3)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NE	(1ULL << 5)
#define X86_CR0_WP	(1ULL << 16)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define X86_CR4_OSFXSR	(1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define X86_CR4_VMXE	(1ULL << 13)
#define X86_CR4_OSXSAVE	(1ULL << 18)
#define EFER_SCE	(1ULL << 0)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define EFER_NXE	(1ULL << 11)

/* VMX access rights. */
#define AR_CODE64	0xa09b
#define AR_CODE32	0xc09b
#define AR_DATA		0xc093
#define AR_TSS_BUSY	0x008b
#define AR_LDT_UNUSABLE	0x10000
#define AR_L		(1U << 13)
#define AR_DB		(1U << 14)

/* The guest-physical address of label @sym in guest code block @name. */
#define GUEST_SYM_GPA(name, sym)					\
	(GUEST_ENTRY + (__u64)((const unsigned char *)(sym) - name##_start))

static inline void x86_get_sregs(struct axvm_vcpu *v, struct axvcpu_x86_sregs *s)
{
	TEST_ASSERT_SYSCALL_OK(ioctl(v->fd, AXVCPU_GET_X86_SREGS, s));
}

static inline void x86_set_sregs(struct axvm_vcpu *v, struct axvcpu_x86_sregs *s)
{
	TEST_ASSERT_SYSCALL_OK(ioctl(v->fd, AXVCPU_SET_X86_SREGS, s));
}

static inline void x86_get_regs(struct axvm_vcpu *v, struct axvcpu_x86_regs *r)
{
	TEST_ASSERT_SYSCALL_OK(ioctl(v->fd, AXVCPU_GET_X86_REGS, r));
}

static inline void x86_set_regs(struct axvm_vcpu *v, struct axvcpu_x86_regs *r)
{
	TEST_ASSERT_SYSCALL_OK(ioctl(v->fd, AXVCPU_SET_X86_REGS, r));
}

static inline __u64 x86_get_rip(struct axvm_vcpu *v)
{
	struct axvcpu_x86_regs r;

	x86_get_regs(v, &r);
	return r.rip;
}

static inline void x86_set_rip(struct axvm_vcpu *v, __u64 rip)
{
	struct axvcpu_x86_regs r;

	x86_get_regs(v, &r);
	r.rip = rip;
	x86_set_regs(v, &r);
}

static inline void *x86_gpa(struct test_vm *t, __u64 gpa)
{
	return guest_ptr(t, gpa);
}

/* Writes the GDT, the TSS, the GDTR pseudo-descriptor and the page tables. */
static inline void x86_build_tables(struct test_vm *t)
{
	__u64 *gdt = x86_gpa(t, X86_GDT_GPA);
	__u64 *pml4 = x86_gpa(t, X86_PML4_GPA);
	__u64 *pdpt = x86_gpa(t, X86_PDPT_GPA);
	__u64 *pd = x86_gpa(t, X86_PD_GPA);
	unsigned char *gdtr = x86_gpa(t, X86_GDTR_GPA);
	__u64 tss = X86_TSS_GPA;
	__u32 base;
	int i;

	memset(gdt, 0, 0x1000);
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL;		/* 0x08 code64 */
	gdt[2] = 0x00cf93000000ffffULL;		/* 0x10 data */
	gdt[3] = 0x00cf9b000000ffffULL;		/* 0x18 code32 */
	/* 0x20: available 64-bit TSS, limit 0x67 */
	gdt[4] = 0x67 | ((tss & 0xffffff) << 16) | (0x89ULL << 40) |
		 ((tss >> 24) & 0xff) << 56;
	gdt[5] = tss >> 32;
	/* GDTR: limit, base */
	*(__u16 *)gdtr = 6 * 8 - 1;
	base = X86_GDT_GPA;
	memcpy(gdtr + 2, &base, 4);

	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	pml4[0] = X86_PDPT_GPA | 3;
	pdpt[0] = X86_PD_GPA | 3;
	for (i = 0; i < 512; i++)
		pd[i] = ((__u64)i << 21) | 0x83;	/* P, RW, PS */
}

/*
 * Maps VA 1 GiB + (i << 12) to GPA (i << 12) with 4 KiB pages for the first
 * 16 pages of the slot (PDPT[1] -> PD2[0] -> PT): code can run at a virtual
 * address that differs from its physical one.
 */
static inline void x86_map_high_alias(struct test_vm *t)
{
	__u64 *pdpt = x86_gpa(t, X86_PDPT_GPA);
	__u64 *pd2 = x86_gpa(t, X86_PD2_GPA);
	__u64 *pt = x86_gpa(t, X86_PT_GPA);
	int i;

	memset(pd2, 0, 0x1000);
	memset(pt, 0, 0x1000);
	pdpt[1] = X86_PD2_GPA | 3;
	pd2[0] = X86_PT_GPA | 3;
	for (i = 0; i < 16; i++)
		pt[i] = ((__u64)i << 12) | 3;
}

static inline void x86_seg(struct axvcpu_x86_segment *s, __u16 sel, __u32 ar)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->ar = ar;
}

static inline void x86_sregs_common(struct axvcpu_x86_sregs *s)
{
	x86_seg(&s->ds, SEL_DATA, AR_DATA);
	x86_seg(&s->es, SEL_DATA, AR_DATA);
	x86_seg(&s->fs, SEL_DATA, AR_DATA);
	x86_seg(&s->gs, SEL_DATA, AR_DATA);
	x86_seg(&s->ss, SEL_DATA, AR_DATA);
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.selector = SEL_TSS;
	s->tr.base = X86_TSS_GPA;
	s->tr.limit = 0x67;
	s->tr.ar = AR_TSS_BUSY;
	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.ar = AR_LDT_UNUSABLE;
	memset(&s->gdt, 0, sizeof(s->gdt));
	s->gdt.base = X86_GDT_GPA;
	s->gdt.limit = 6 * 8 - 1;
	memset(&s->idt, 0, sizeof(s->idt));
	s->idt.base = X86_IDT_GPA;
	s->idt.limit = 0xfff;
}

static inline void x86_start_regs(struct axvm_vcpu *v, __u64 rip)
{
	struct axvcpu_x86_regs r;

	x86_get_regs(v, &r);
	r.rip = rip;
	r.rsp = X86_STACK_TOP;
	r.rflags = 2;
	x86_set_regs(v, &r);
}

/* 64-bit mode, paging with the identity map, IF=0, at @rip. */
static inline void x86_enter_long_mode(struct test_vm *t, __u64 rip)
{
	struct axvcpu_x86_sregs s;

	x86_build_tables(t);
	x86_get_sregs(&t->vcpu, &s);
	x86_sregs_common(&s);
	x86_seg(&s.cs, SEL_CODE64, AR_CODE64);
	s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		X86_CR0_WP | X86_CR0_PG;
	s.cr3 = X86_PML4_GPA;
	s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s.efer = EFER_LME | EFER_LMA | EFER_SCE;
	x86_set_sregs(&t->vcpu, &s);
	x86_start_regs(&t->vcpu, rip);
}

/* 32-bit protected mode, flat segments, no paging, IF=0, at @rip. */
static inline void x86_enter_prot_mode(struct test_vm *t, __u64 rip)
{
	struct axvcpu_x86_sregs s;
	__u64 *gdt;

	x86_build_tables(t);
	/* 32-bit busy TSS descriptor in the same slot. */
	gdt = x86_gpa(t, X86_GDT_GPA);
	(void)gdt;
	x86_get_sregs(&t->vcpu, &s);
	x86_sregs_common(&s);
	x86_seg(&s.cs, SEL_CODE32, AR_CODE32);
	s.idt.limit = 0x7ff;
	s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE;
	s.cr3 = 0;
	s.cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s.efer = 0;
	x86_set_sregs(&t->vcpu, &s);
	x86_start_regs(&t->vcpu, rip);
}

/* Long-mode interrupt gate: vector @vec -> @handler (CS 0x08, DPL 0). */
static inline void x86_idt64_set(struct test_vm *t, int vec, __u64 handler)
{
	__u64 *g = x86_gpa(t, X86_IDT_GPA + 16 * vec);

	g[0] = (handler & 0xffff) | ((__u64)SEL_CODE64 << 16) |
	       (0x8eULL << 40) | (((handler >> 16) & 0xffff) << 48);
	g[1] = handler >> 32;
}

/* Protected-mode 32-bit interrupt gate. */
static inline void x86_idt32_set(struct test_vm *t, int vec, __u32 handler)
{
	__u64 *g = x86_gpa(t, X86_IDT_GPA + 8 * vec);

	*g = (handler & 0xffff) | ((__u64)SEL_CODE32 << 16) |
	     (0x8eULL << 40) | ((__u64)(handler >> 16) << 48);
}

/* Real-mode IVT entry: vector @vec -> 0000:@ip. */
static inline void x86_ivt_set(struct test_vm *t, int vec, __u16 ip)
{
	__u16 *e = x86_gpa(t, 4 * vec);

	e[0] = ip;
	e[1] = 0;
}

static inline __u32 guest_rd32(struct test_vm *t, __u64 gpa)
{
	return *(volatile __u32 *)guest_ptr(t, gpa);
}

static inline __u64 guest_rd64(struct test_vm *t, __u64 gpa)
{
	return *(volatile __u64 *)guest_ptr(t, gpa);
}

static inline void host_cpuid(__u32 leaf, __u32 sub, __u32 *a, __u32 *b,
			      __u32 *c, __u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(leaf), "c"(sub));
}

#endif /* SELFTEST_X86_PROCESSOR_H */
