// SPDX-License-Identifier: GPL-2.0
/*
 * EPT: the VM's guest-physical address space, built from its memory slots.
 *
 * Four levels of 4K tables, 4K leaves pointing at the slot's pinned pages.
 * Leaves are write-back with "ignore PAT" so a guest cannot make host RAM
 * uncached.  Unlike the seeds (X86-71, X86-Q9) every change is followed by
 * an INVEPT on every CPU, and the capability MSR is checked at load.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/smp.h>
#include <asm/io.h>

#include "vmx.h"

static u64 *ept_alloc_table(struct axvmx_vm *x)
{
	struct page *p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!p)
		return NULL;
	list_add(&p->lru, &x->tables);
	return page_address(p);
}

/* Returns the leaf entry for @gpa, creating tables when @create. */
static u64 *ept_walk(struct axvmx_vm *x, u64 gpa, bool create)
{
	u64 *table = x->pml4;
	int level;

	for (level = 3; level > 0; level--) {
		u64 *e = &table[(gpa >> (12 + 9 * level)) & 511];

		if (!(*e & (AXEPT_R | AXEPT_W | AXEPT_X))) {
			u64 *next;

			if (!create)
				return NULL;
			next = ept_alloc_table(x);
			if (!next)
				return NULL;
			*e = __pa(next) | AXEPT_R | AXEPT_W | AXEPT_X;
		}
		table = __va(*e & AXEPT_PFN_MASK);
	}
	return &table[(gpa >> 12) & 511];
}

/*
 * IPI, IRQs off: INVEPT acts on this CPU only (SDM 29.4.3.1) and needs VMX
 * operation, so it gets a window of its own.  A CPU where a vcpu of @vm is
 * in the guest takes this IPI only after that window ended.
 */
static void ept_flush_one(void *arg)
{
	struct axvmx_vm *x = arg;
	struct axvmx_window w;

	if (axvmx_window_open(&w))
		return;
	if (axvmx_caps.invept_single ?
	    axvmx_invept(VMX_EPT_EXTENT_CONTEXT, x->eptp) :
	    axvmx_invept(VMX_EPT_EXTENT_GLOBAL, 0))
		axvmx_insn_error("INVEPT", x->eptp);
	axvmx_window_close(&w);
}

/**
 * axvmx_ept_flush_all - drop cached translations of @vm on every CPU.
 * @vm: the VM; called in process context.
 */
void axvmx_ept_flush_all(struct axvmx_vm *vm)
{
	on_each_cpu(ept_flush_one, vm, 1);
}

int axvcpu_arch_vm_init(struct axvcpu_vm *vm)
{
	struct axvmx_vm *x;

	x = kzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
	if (!x)
		return -ENOMEM;
	INIT_LIST_HEAD(&x->tables);
	x->pml4 = ept_alloc_table(x);
	if (!x->pml4) {
		kfree(x);
		return -ENOMEM;
	}
	x->eptp = __pa(x->pml4) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	vm->arch = x;
	return 0;
}

void axvcpu_arch_vm_destroy(struct axvcpu_vm *vm)
{
	struct axvmx_vm *x = vm->arch;
	struct page *p, *tmp;

	if (!x)
		return;
	/* Nothing may keep translations that point at pages we unpin. */
	axvmx_ept_flush_all(x);
	list_for_each_entry_safe(p, tmp, &x->tables, lru) {
		list_del(&p->lru);
		__free_page(p);
	}
	kfree(x);
	vm->arch = NULL;
}

static void ept_clear_range(struct axvmx_vm *x, u64 gpa, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		u64 *e = ept_walk(x, gpa + i * PAGE_SIZE, false);

		if (e)
			*e = 0;
	}
}

int axvcpu_arch_vm_map(struct axvcpu_vm *vm, const struct axvcpu_memslot *slot)
{
	struct axvmx_vm *x = vm->arch;
	u64 prot = AXEPT_R | AXEPT_X | AXEPT_MT_WB | AXEPT_IPAT;
	unsigned long i;

	if (!(slot->flags & AXVCPU_MEM_READONLY))
		prot |= AXEPT_W;
	for (i = 0; i < slot->npages; i++) {
		u64 *e = ept_walk(x, slot->gpa + i * PAGE_SIZE, true);

		if (!e) {
			ept_clear_range(x, slot->gpa, i);
			axvmx_ept_flush_all(x);
			return -ENOMEM;
		}
		*e = page_to_phys(slot->pages[i]) | prot;
	}
	axvmx_ept_flush_all(x);
	return 0;
}

void axvcpu_arch_vm_unmap(struct axvcpu_vm *vm,
			  const struct axvcpu_memslot *slot)
{
	struct axvmx_vm *x = vm->arch;

	ept_clear_range(x, slot->gpa, slot->npages);
	axvmx_ept_flush_all(x);
}
