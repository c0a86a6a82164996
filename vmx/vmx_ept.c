// SPDX-License-Identifier: GPL-2.0
/*
 * EPT: the VM's guest-physical address space, filled on demand.
 *
 * Four levels of 4K tables, 4K leaves, or 2 MiB (PDE) and 1 GiB (PDPTE)
 * ones where the VMM's memory is a THP or hugetlbfs page of that size and
 * the CPU has them (IA32_VMX_EPT_VPID_CAP bits 16, 17), written by
 * axvcpu_fault_in() (vcpu_mem.c) one at a time and cleared by the MMU
 * notifier and slot deletion, always under vm->mmu_lock.  Leaves are
 * write-back with "ignore PAT" so a guest cannot make host RAM uncached.
 * Every removal is followed by an INVEPT on every CPU: a CPU may cache
 * EPT translations (and combined ones) across VM exits and entries until
 * INVEPT (SDM Vol. 3C, "Invalidation of Cached Information"), and the
 * capability MSR is checked at load.  Tables stay until the VM goes.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <asm/io.h>

#include "vmx.h"

#define AXEPT_RWX	(AXEPT_R | AXEPT_W | AXEPT_X)
#define AXEPT_LEAF	BIT_ULL(7)	/* a leaf in a PDE or PDPTE (SDM 29.3.2) */

static u64 *ept_alloc_table(struct axvmx_vm *x)
{
	struct page *p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!p)
		return NULL;
	list_add(&p->lru, &x->tables);
	return page_address(p);
}

/*
 * vm->mmu_lock held: the entry for @gpa at @stop (0: the 4K leaf, 1: the
 * PDE, 2: the PDPTE), with the tables on the way taken from @c;
 * ERR_PTR(-EAGAIN) when @c ran out, ERR_PTR(-EEXIST) when a larger leaf
 * above covers @gpa.  A new
 * table is zeroed before the store that links it, so the CPU's walk never
 * sees garbage.
 */
static u64 *ept_walk_alloc(struct axvmx_vm *x, u64 gpa, int stop,
			   struct axvcpu_pt_cache *c)
{
	u64 *table = x->pml4;
	int level;

	for (level = 3; level > stop; level--) {
		u64 *e = &table[(gpa >> (12 + 9 * level)) & 511];

		if (!(READ_ONCE(*e) & AXEPT_RWX)) {
			void *next;

			if (!c->nr)
				return ERR_PTR(-EAGAIN);
			next = c->pages[--c->nr];
			list_add(&virt_to_page(next)->lru, &x->tables);
			WRITE_ONCE(*e, __pa(next) | AXEPT_RWX);
		} else if (READ_ONCE(*e) & AXEPT_LEAF) {
			return ERR_PTR(-EEXIST);
		}
		table = __va(READ_ONCE(*e) & AXEPT_PFN_MASK);
	}
	return &table[(gpa >> (12 + 9 * stop)) & 511];
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
	x->id = axvmx_spec_new_vm_id();
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
	/*
	 * One table per 2 MiB of guest RAM the guest touched: a large VM
	 * has hundreds of thousands, and the last fd may close in a task
	 * that should not hold its CPU that long.
	 */
	list_for_each_entry_safe(p, tmp, &x->tables, lru) {
		list_del(&p->lru);
		__free_page(p);
		cond_resched();
	}
	kfree(x);
	vm->arch = NULL;
}

/*
 * Clears the leaves of [start, end) below @table (of @level, covering
 * from @base), skipping empty subtrees.  Returns whether any was present.
 */
static bool ept_clear(u64 *table, int level, u64 base, u64 start, u64 end)
{
	unsigned int shift = 12 + 9 * level, i;
	bool any = false;

	for (i = (start - base) >> shift; i < 512; i++) {
		u64 lo = base + ((u64)i << shift), e = READ_ONCE(table[i]);

		if (lo >= end)
			break;
		if (!(e & AXEPT_RWX))
			continue;
		/* A leaf of any size: whole, even if partly in the range. */
		if (!level || (e & AXEPT_LEAF)) {
			WRITE_ONCE(table[i], 0);
			any = true;
			continue;
		}
		any |= ept_clear(__va(e & AXEPT_PFN_MASK), level - 1, lo,
				 max(start, lo),
				 min(end, lo + (1ULL << shift)));
	}
	return any;
}

int axvcpu_arch_map_page(struct axvcpu_vm *vm, u64 gpa, struct page *page,
			 unsigned int order, bool writable,
			 struct axvcpu_pt_cache *cache)
{
	u64 prot = AXEPT_R | AXEPT_X | AXEPT_MT_WB | AXEPT_IPAT;
	/* 0: a 4K PTE, 1: a 2 MiB PDE, 2: a 1 GiB PDPTE (SDM 29.3.2) */
	int level = order / 9;
	u64 *e;

	if (order % 9 || level > 2 ||
	    (level == 1 && !(axvmx_caps.ept_vpid & VMX_EPT_2MB_PAGE_BIT)) ||
	    (level == 2 && !(axvmx_caps.ept_vpid & VMX_EPT_1GB_PAGE_BIT)))
		return -EOPNOTSUPP;
	e = ept_walk_alloc(vm->arch, gpa, level, cache);
	if (IS_ERR(e))
		return PTR_ERR(e) == -EEXIST ? 0 : PTR_ERR(e);
	/* Smaller leaves under this entry already: no leaf over them. */
	if (level && (READ_ONCE(*e) & AXEPT_RWX) &&
	    !(READ_ONCE(*e) & AXEPT_LEAF))
		return -ENOSPC;
	if (writable)
		prot |= AXEPT_W;
	if (level)
		prot |= AXEPT_LEAF;
	/*
	 * Not present before (or the same page): the CPU caches nothing from
	 * a not-present EPT entry (SDM Vol. 3C, "Information That May Be
	 * Cached"), so no translation is stale and nothing is flushed.
	 */
	WRITE_ONCE(*e, page_to_phys(page) | prot);
	return 0;
}

bool axvcpu_arch_unmap_range(struct axvcpu_vm *vm, u64 gpa, u64 size)
{
	struct axvmx_vm *x = vm->arch;

	return ept_clear(x->pml4, 3, 0, gpa, gpa + size);
}

/* A walk that allocates nothing: the leaf for @gpa, or NULL. */
static u64 *ept_leaf(struct axvmx_vm *x, u64 gpa)
{
	u64 *table = x->pml4;
	int level;

	for (level = 3; level > 0; level--) {
		u64 e = READ_ONCE(table[(gpa >> (12 + 9 * level)) & 511]);

		if (!(e & AXEPT_RWX) || (e & AXEPT_LEAF))
			return NULL;
		table = __va(e & AXEPT_PFN_MASK);
	}
	return &table[(gpa >> 12) & 511];
}

bool axvcpu_arch_wrprotect_page(struct axvcpu_vm *vm, u64 gpa)
{
	u64 *e = ept_leaf(vm->arch, gpa), old;

	if (!e)
		return false;
	old = READ_ONCE(*e);
	if (!(old & AXEPT_W))
		return false;
	WRITE_ONCE(*e, old & ~AXEPT_W);
	return true;
}

void axvcpu_arch_flush(struct axvcpu_vm *vm)
{
	axvmx_ept_flush_all(vm->arch);
}
