// SPDX-License-Identifier: GPL-2.0
/*
 * EPT: the VM's guest-physical address space, filled on demand.
 *
 * Four levels of 4K tables, 4K leaves, written by axvcpu_fault_in()
 * (vcpu_mem.c) one page at a time and cleared by the MMU notifier and slot
 * deletion, always under vm->mmu_lock.  Leaves are write-back with "ignore
 * PAT" so a guest cannot make host RAM uncached.  Unlike the seeds (X86-71,
 * X86-Q9) every removal is followed by an INVEPT on every CPU, and the
 * capability MSR is checked at load.  Tables stay until the VM goes.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/smp.h>
#include <asm/io.h>

#include "vmx.h"

#define AXEPT_RWX	(AXEPT_R | AXEPT_W | AXEPT_X)

static u64 *ept_alloc_table(struct axvmx_vm *x)
{
	struct page *p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!p)
		return NULL;
	list_add(&p->lru, &x->tables);
	return page_address(p);
}

/*
 * vm->mmu_lock held: the leaf entry for @gpa, with the tables on the way
 * taken from @c; ERR_PTR(-EAGAIN) when @c ran out.  A new table is zeroed
 * before the store that links it, so the CPU's walk never sees garbage.
 */
static u64 *ept_walk_alloc(struct axvmx_vm *x, u64 gpa,
			   struct axvcpu_pt_cache *c)
{
	u64 *table = x->pml4;
	int level;

	for (level = 3; level > 0; level--) {
		u64 *e = &table[(gpa >> (12 + 9 * level)) & 511];

		if (!(READ_ONCE(*e) & AXEPT_RWX)) {
			void *next;

			if (!c->nr)
				return ERR_PTR(-EAGAIN);
			next = c->pages[--c->nr];
			list_add(&virt_to_page(next)->lru, &x->tables);
			WRITE_ONCE(*e, __pa(next) | AXEPT_RWX);
		}
		table = __va(READ_ONCE(*e) & AXEPT_PFN_MASK);
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
		if (!level) {
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
			 bool writable, struct axvcpu_pt_cache *cache)
{
	u64 prot = AXEPT_R | AXEPT_X | AXEPT_MT_WB | AXEPT_IPAT;
	u64 *e = ept_walk_alloc(vm->arch, gpa, cache);

	if (IS_ERR(e))
		return PTR_ERR(e);
	if (writable)
		prot |= AXEPT_W;
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

void axvcpu_arch_flush(struct axvcpu_vm *vm)
{
	axvmx_ept_flush_all(vm->arch);
}
