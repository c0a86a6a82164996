// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-physical memory slots, mapped on demand.
 *
 * A slot is a range of the VMM's memory that backs a range of guest-physical
 * addresses.  Registering one maps nothing and pins nothing: the first
 * guest access to a page exits (EPT violation, stage-2 translation fault),
 * and axvcpu_fault_in() looks the page up in the VMM's address space as
 * any user access would (get_user_pages, without FOLL_LONGTERM) and maps
 * it.  The page's reference is dropped right after: what keeps the guest
 * from touching a page the kernel has freed or moved is the VM's MMU
 * notifier on the VMM's mm, whose invalidate callback unmaps the range
 * and flushes every CPU's translations before the kernel goes on (KVM's
 * model).  So guest memory can be swapped, migrated, compacted and backed
 * by THP like any other memory of the VMM, and nothing is charged to
 * RLIMIT_MEMLOCK.
 *
 * Ordering: a fault reads vm->mmu_seq before it looks the slot and the
 * page up, and maps it only if, under vm->mmu_lock, no invalidation is in
 * progress and the sequence is unchanged; every invalidation and slot
 * deletion bumps it under the same lock.  A fault that lost the race maps nothing and the
 * guest retries the access.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "axvcpu_arch.h"
#include "axvcpu_internal.h"
#include "trace/axvcpu.h"

/* ---- slot lookup ---- */

/* Either lock held: the slot covering @gpa, or NULL. */
static const struct axvcpu_memslot *find_slot(struct axvcpu_vm *vm, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++) {
		const struct axvcpu_memslot *s = &vm->slots[i];

		if (s->size && gpa >= s->gpa && gpa - s->gpa < s->size)
			return s;
	}
	return NULL;
}


/*
 * vm->mmu_lock held, mmu_seq unchanged since the slot was looked up (so it
 * is still there): the dirty log of the slot covering @gpa, or NULL.
 */
static unsigned long *slot_log(struct axvcpu_vm *vm, u64 gpa,
			       unsigned long *bit)
{
	const struct axvcpu_memslot *s = find_slot(vm, gpa);

	if (!s || !s->dirty_bitmap)
		return NULL;
	*bit = (gpa - s->gpa) >> PAGE_SHIFT;
	return s->dirty_bitmap;
}

/* Does the 2^@order-page block around @gpa fit @s, and the VMM's side? */
static bool slot_fits(const struct axvcpu_memslot *s, u64 gpa,
		      unsigned int order)
{
	u64 bytes = PAGE_SIZE << order, block = gpa & ~(bytes - 1);

	return block >= s->gpa && block + bytes <= s->gpa + s->size &&
	       !((s->uaddr - s->gpa) & (bytes - 1));
}

/*
 * The largest leaf @s allows at @gpa: AXVCPU_GIANT_ORDER or
 * AXVCPU_BLOCK_ORDER when that block around @gpa lies inside the slot and
 * guest and VMM addresses agree modulo its size, else 0.  Always 0 in a
 * logged slot: write protection is per 4K page.  Whether the VMM's memory
 * there is one page that large is giant_page()'s and block_pages()'s
 * question.
 */
static unsigned int slot_order(const struct axvcpu_memslot *s, u64 gpa)
{
	if (s->dirty_bitmap)
		return 0;
	if (slot_fits(s, gpa, AXVCPU_GIANT_ORDER))
		return AXVCPU_GIANT_ORDER;
	if (slot_fits(s, gpa, AXVCPU_BLOCK_ORDER))
		return AXVCPU_BLOCK_ORDER;
	return 0;
}

/*
 * The VMM's address and the flags of the slot covering @gpa, and with
 * @order the largest leaf it allows there, in one look at the slots.
 */
static bool gpa_to_hva(struct axvcpu_vm *vm, u64 gpa, unsigned long *hva,
		       u32 *flags, unsigned int *order)
{
	const struct axvcpu_memslot *s;
	unsigned long irq;
	bool found = false;

	spin_lock_irqsave(&vm->slots_lock, irq);
	s = find_slot(vm, gpa);
	if (s) {
		*hva = s->uaddr + (gpa - s->gpa);
		*flags = s->flags;
		if (order)
			*order = slot_order(s, gpa);
		found = true;
	}
	spin_unlock_irqrestore(&vm->slots_lock, irq);
	return found;
}

/**
 * axvcpu_gpa_slot_flags - is @gpa guest RAM, and how?
 * @vm: the VM.
 * @gpa: the guest-physical address.
 *
 * Usable from any context.
 *
 * Return: the AXVCPU_MEM_* flags of the slot covering @gpa, or -ENOENT.
 */
int axvcpu_gpa_slot_flags(struct axvcpu_vm *vm, u64 gpa)
{
	unsigned long hva;
	u32 flags;

	return gpa_to_hva(vm, gpa, &hva, &flags, NULL) ? flags : -ENOENT;
}

/* ---- faults ---- */

#define BLOCK_BYTES	(PAGE_SIZE << AXVCPU_BLOCK_ORDER)
#define GIANT_BYTES	(PAGE_SIZE << AXVCPU_GIANT_ORDER)

/* @page's index in its folio, if that is large enough for 2^@order. */
static bool folio_spans(struct page *page, unsigned int order,
			unsigned long in)
{
	struct folio *folio = page_folio(page);

	return folio_nr_pages(folio) >= (1UL << order) &&
	       (folio_page_idx(folio, page) & ((1UL << order) - 1)) == in;
}

/*
 * Is the VMM's 1 GiB around @hva one 1 GiB hugetlbfs page (@page the page
 * at @hva in it)?  hugetlbfs maps its pages whole, at addresses aligned to
 * their size, so the VMA says it; 2^18 user PTEs are not walked.  A later
 * change is an invalidation inside the block, which the fault's mmu_seq
 * check sees.
 *
 * Return: the block's first page (no reference of its own: @page's keeps
 * the folio), or NULL.
 */
static struct page *giant_page(struct axvcpu_vm *vm, unsigned long hva,
			       struct page *page)
{
#ifdef CONFIG_HUGETLB_PAGE
	unsigned long in = (hva & (GIANT_BYTES - 1)) >> PAGE_SHIFT;
	struct vm_area_struct *vma;
	bool ok;

	if (!folio_spans(page, AXVCPU_GIANT_ORDER, in))
		return NULL;
	mmap_read_lock(vm->mm);
	vma = vma_lookup(vm->mm, hva);
	ok = vma && is_vm_hugetlb_page(vma) &&
	     huge_page_size(hstate_vma(vma)) == GIANT_BYTES;
	mmap_read_unlock(vm->mm);
	return ok ? pfn_to_page(page_to_pfn(page) - in) : NULL;
#else
	return NULL;
#endif
}

/*
 * Is the VMM's 2 MiB around @hva (@page the page at @hva in it) one
 * physically contiguous run of one folio, a THP or a hugetlbfs page?
 * Only a large enough folio can be, and then the user page tables say:
 * get_user_pages_fast_only() returns the 512 pages mapped there now,
 * without faulting (a PMD-mapped folio costs it one step), and they must
 * be the folio's pages in order.  No lock keeps that true afterwards: a
 * change to any of those user PTEs is an invalidation of a range inside
 * the block, which the fault's mmu_seq check sees before the leaf is
 * made, and which clears the whole leaf after.
 *
 * Return: the block's first page (no reference of its own: @page's keeps
 * the folio), or NULL.
 */
static struct page *block_pages(unsigned long hva, struct page *page,
				unsigned int gup_flags)
{
	const int n = 1 << AXVCPU_BLOCK_ORDER;
	unsigned long in = (hva & (BLOCK_BYTES - 1)) >> PAGE_SHIFT;
	struct page **pages, *first = NULL;
	int got, i;

	if (!folio_spans(page, AXVCPU_BLOCK_ORDER, in))
		return NULL;
	pages = kmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	got = get_user_pages_fast_only(hva & ~(BLOCK_BYTES - 1), n, gup_flags,
				       pages);
	for (i = 0; i < got; i++)
		if (page_to_pfn(pages[i]) != page_to_pfn(page) - in + i)
			break;
	if (i == n) {
		first = pages[0];
		folio_put_refs(page_folio(page), n);
	} else {
		for (i = 0; i < got; i++)
			put_page(pages[i]);
	}
	kfree(pages);
	return first;
}

static int pt_cache_fill(struct axvcpu_pt_cache *c)
{
	while (c->nr < AXVCPU_PT_CACHE) {
		void *p = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		c->pages[c->nr++] = p;
	}
	return 0;
}

static void pt_cache_free(struct axvcpu_pt_cache *c)
{
	while (c->nr)
		free_page((unsigned long)c->pages[--c->nr]);
}

/**
 * axvcpu_fault_in - map the guest RAM page at @gpa into the nested tables.
 * @vm: the VM.
 * @gpa: the guest-physical address the guest accessed.
 * @write: the access was a write.
 *
 * Process context, in the VMM's mm (RUN's thread); may sleep.  A page of a
 * writable slot is looked up for writing whatever the access (breaking
 * copy-on-write once, as a write would) and mapped writable; a read-only
 * slot's page is mapped read-only.
 *
 * Return: 0 when the page is mapped or an invalidation raced with the
 * lookup (either way the guest runs the access again); -ENOENT outside
 * every slot; -EACCES for a write to a read-only slot; -EFAULT when the
 * VMM's memory behind the slot is not there (unmapped, PROT_NONE, a
 * mapping get_user_pages() refuses, a hardware-poisoned page); -EINTR
 * when a fatal signal stopped the lookup; -ENOMEM.
 */
int axvcpu_fault_in(struct axvcpu_vm *vm, u64 gpa, bool write)
{
	struct axvcpu_pt_cache cache = { };
	struct page *page, *block, *giant;
	bool writable, map_w = false;
	unsigned int gup, order, mapped = 0;
	unsigned long seq, hva;
	u32 flags;
	long got;
	int r;

	if (current->mm != vm->mm)
		return -EFAULT;
again:
	seq = READ_ONCE(vm->mmu_seq);
	/*
	 * mmu_seq before the slot and the page (the ordering at the top): a
	 * slot deleted after this lookup bumps it, and the stale address is
	 * then never mapped.
	 */
	smp_rmb();
	if (!gpa_to_hva(vm, gpa, &hva, &flags, &order)) {
		pt_cache_free(&cache);
		return -ENOENT;
	}
	writable = !(flags & AXVCPU_MEM_READONLY);
	if (write && !writable) {
		pt_cache_free(&cache);
		return -EACCES;
	}
	gup = writable ? FOLL_WRITE : 0;
	got = get_user_pages_unlocked(hva & PAGE_MASK, 1, &page, gup);
	if (got != 1) {
		pt_cache_free(&cache);
		if (got == -EINTR || fatal_signal_pending(current))
			return -EINTR;
		return got == -ENOMEM ? -ENOMEM : -EFAULT;
	}
	/* The largest leaf both the slot and the VMM's memory allow. */
	giant = order == AXVCPU_GIANT_ORDER ? giant_page(vm, hva, page) : NULL;
	if (giant)	/* one hugetlbfs page: its 2 MiB parts are too */
		block = pfn_to_page(page_to_pfn(giant) +
				    ((hva & (GIANT_BYTES - 1) &
				      ~(BLOCK_BYTES - 1)) >> PAGE_SHIFT));
	else
		block = order ? block_pages(hva, page, gup) : NULL;

	spin_lock(&vm->mmu_lock);
	if (vm->mmu_invalidating || vm->mmu_seq != seq || vm->mmu_released) {
		r = -EBUSY;
	} else {
		/*
		 * A logged slot's page is mapped writable only by a write,
		 * which is then in the log: the first write after
		 * AXVCPU_GET_DIRTY_LOG write-protected it faults again.
		 */
		unsigned long bit, *log = slot_log(vm, gpa, &bit);

		map_w = writable && (!log || write);
		r = -ENOSPC;
		if (giant) {
			mapped = AXVCPU_GIANT_ORDER;
			r = axvcpu_arch_map_page(vm, gpa & ~(u64)(GIANT_BYTES - 1),
						 giant, AXVCPU_GIANT_ORDER,
						 map_w, &cache);
		}
		if (block && (r == -ENOSPC || r == -EOPNOTSUPP)) {
			mapped = AXVCPU_BLOCK_ORDER;
			r = axvcpu_arch_map_page(vm, gpa & ~(u64)(BLOCK_BYTES - 1),
						 block, AXVCPU_BLOCK_ORDER,
						 map_w, &cache);
		}
		if (r == -ENOSPC || r == -EOPNOTSUPP) {
			mapped = 0;
			r = axvcpu_arch_map_page(vm, gpa & PAGE_MASK, page, 0,
						 map_w, &cache);
		}
		if (!r && log && write)
			set_bit(bit, log);
	}
	spin_unlock(&vm->mmu_lock);

	/*
	 * Mapped writable: the page is dirty from now on, as a user PTE
	 * with the dirty bit would make it (written back, it is cleaned
	 * through the rmap, which invalidates our entry first).  A
	 * read-only mapping (a logged slot's read) leaves it clean.
	 */
	if (!r && map_w)
		set_page_dirty_lock(page);
	put_page(page);
	if (r == -EAGAIN) {	/* a table is missing: allocate, retry */
		r = pt_cache_fill(&cache);
		if (!r)
			goto again;
	}
	pt_cache_free(&cache);
	if (r == -EBUSY)	/* raced with an invalidation: the guest retries */
		r = 0;
	else if (!r)
		atomic64_inc(&vm->stat.mem_faults);
	trace_axvcpu_mem_fault(vm, gpa, write, mapped, r);
	return r;
}

/*
 * Without vm->mmu_lock, after entries were removed: no CPU translates
 * through them when this returns.
 */
static void flush_all(struct axvcpu_vm *vm)
{
	trace_axvcpu_flush(vm, -1, AXVCPU_TRACE_FLUSH_VM);
	atomic64_inc(&vm->stat.flushes);
	axvcpu_arch_flush(vm);
}

/* ---- the MMU notifier ---- */

/*
 * vm->mmu_lock held: unmap what the slots map of the VMM's [start, end).
 * Slots change only with both locks held, so this lock alone keeps them.
 */
static bool unmap_hva_range(struct axvcpu_vm *vm, unsigned long start,
			    unsigned long end)
{
	bool flush = false;
	unsigned int i;

	for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++) {
		const struct axvcpu_memslot *s = &vm->slots[i];
		u64 lo, hi;

		if (!s->size)
			continue;
		lo = max_t(u64, ALIGN_DOWN(start, PAGE_SIZE), s->uaddr);
		hi = min_t(u64, ALIGN(end, PAGE_SIZE), s->uaddr + s->size);
		if (lo >= hi)
			continue;
		flush |= axvcpu_arch_unmap_range(vm, s->gpa + (lo - s->uaddr),
						 hi - lo);
	}
	return flush;
}

static int mn_invalidate_range_start(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	struct axvcpu_vm *vm = container_of(mn, struct axvcpu_vm,
					    mmu_notifier);
	bool flush;

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidating++;
	vm->mmu_seq++;
	flush = unmap_hva_range(vm, range->start, range->end);
	spin_unlock(&vm->mmu_lock);
	/* The kernel changes or frees the pages once this returns. */
	if (flush)
		flush_all(vm);
	return 0;
}

static void mn_invalidate_range_end(struct mmu_notifier *mn,
				    const struct mmu_notifier_range *range)
{
	struct axvcpu_vm *vm = container_of(mn, struct axvcpu_vm,
					    mmu_notifier);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	vm->mmu_invalidating--;
	spin_unlock(&vm->mmu_lock);
}

/* The mm is going away (the VMM exits): no page of it may stay mapped. */
static void mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct axvcpu_vm *vm = container_of(mn, struct axvcpu_vm,
					    mmu_notifier);
	bool flush;

	spin_lock(&vm->mmu_lock);
	vm->mmu_released = true;
	vm->mmu_seq++;
	flush = unmap_hva_range(vm, 0, ULONG_MAX & PAGE_MASK);
	spin_unlock(&vm->mmu_lock);
	if (flush)
		flush_all(vm);
}

static const struct mmu_notifier_ops axvcpu_mmu_notifier_ops = {
	.invalidate_range_start	= mn_invalidate_range_start,
	.invalidate_range_end	= mn_invalidate_range_end,
	.release		= mn_release,
};

/**
 * axvcpu_vm_mmu_init - watch the creating process's mm for @vm.
 * @vm: a new VM; vm->mm is current->mm.
 *
 * Return: 0, or the error of mmu_notifier_register() (-ENOMEM, -EINTR).
 */
int axvcpu_vm_mmu_init(struct axvcpu_vm *vm)
{
	spin_lock_init(&vm->mmu_lock);
	vm->mmu_notifier.ops = &axvcpu_mmu_notifier_ops;
	return mmu_notifier_register(&vm->mmu_notifier, vm->mm);
}

/**
 * axvcpu_vm_mmu_exit - stop watching; every mapping is gone after it.
 * @vm: the VM, with no vcpu left.
 */
void axvcpu_vm_mmu_exit(struct axvcpu_vm *vm)
{
	/* Runs ->release if the mm is still alive, and waits for callbacks. */
	mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
}

/*
 * The VMM's memory behind a new slot is mapped now, readable, and writable
 * unless the slot is read-only: a mistake is an error at registration, not
 * an exit later.  O(VMAs), not O(pages).  It is a check, not a guarantee:
 * the VMM may change its mappings afterwards, and each fault then sees
 * what is there (get_user_pages() rules, with the MMU notifier watching).
 */
static int check_vmas(const struct axvcpu_memory_region *m)
{
	struct mm_struct *mm = current->mm;
	u64 addr = m->userspace_addr, end = addr + m->memory_size;
	vm_flags_t need = VM_READ;
	int r = 0;

	if (!(m->flags & AXVCPU_MEM_READONLY))
		need |= VM_WRITE;
	mmap_read_lock(mm);
	while (addr < end) {
		struct vm_area_struct *vma = find_vma(mm, addr);

		if (!vma || vma->vm_start > addr ||
		    (vma->vm_flags & need) != need ||
		    (vma->vm_flags & (VM_IO | VM_PFNMAP))) {
			r = -EFAULT;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return r;
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static int check_region(const struct axvcpu_memory_region *m)
{
	long bits;

	if (m->flags & ~(AXVCPU_MEM_READONLY | AXVCPU_MEM_LOG_DIRTY))
		return -EINVAL;
	/* The guest cannot write a read-only slot: nothing to log. */
	if ((m->flags & AXVCPU_MEM_READONLY) &&
	    (m->flags & AXVCPU_MEM_LOG_DIRTY))
		return -EINVAL;
	if (m->slot >= AXVCPU_MAX_MEMSLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(m->guest_phys_addr) || !PAGE_ALIGNED(m->memory_size) ||
	    !PAGE_ALIGNED(m->userspace_addr))
		return -EINVAL;
	if (!m->memory_size)
		return 0;
	if (m->guest_phys_addr + m->memory_size < m->guest_phys_addr ||
	    m->userspace_addr + m->memory_size < m->userspace_addr)
		return -EINVAL;
	bits = axvcpu_arch_check_extension(AXVCPU_CAP_MAX_GPA_BITS);
	if (bits > 0 && bits < 64 &&
	    m->guest_phys_addr + m->memory_size > BIT_ULL(bits))
		return -ERANGE;
	return 0;
}

/* Called with vm->lock held: the slot is empty and overlaps no other. */
static int check_free(struct axvcpu_vm *vm,
		      const struct axvcpu_memory_region *m)
{
	unsigned int i;

	if (vm->slots[m->slot].size)
		return -EBUSY;
	for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++) {
		if (vm->slots[i].size &&
		    ranges_overlap(m->guest_phys_addr, m->memory_size,
				   vm->slots[i].gpa, vm->slots[i].size)) {
			pr_info_ratelimited("slot %u [%#llx, %#llx) overlaps slot %u\n",
					    m->slot, m->guest_phys_addr,
					    m->guest_phys_addr + m->memory_size, i);
			return -EEXIST;
		}
	}
	return 0;
}

static int delete_slot(struct axvcpu_vm *vm, struct axvcpu_memslot *slot)
{
	unsigned long *log = slot->dirty_bitmap;
	bool flush;

	if (!slot->size)
		return -ENOENT;

	/* Unpublish and unmap in one step: no fault can map it again. */
	spin_lock(&vm->mmu_lock);
	flush = axvcpu_arch_unmap_range(vm, slot->gpa, slot->size);
	spin_lock_irq(&vm->slots_lock);
	memset(slot, 0, sizeof(*slot));
	spin_unlock_irq(&vm->slots_lock);
	vm->mmu_seq++;
	spin_unlock(&vm->mmu_lock);
	if (flush)
		flush_all(vm);
	kvfree(log);
	return 0;
}

/**
 * axvcpu_vm_set_memory_region - AXVCPU_SET_MEMORY_REGION.
 * @vm: the VM.
 * @m: the region, copied from userspace.
 *
 * Creating a slot checks it and publishes it, in time independent of its
 * size; its pages are mapped when the guest first touches them.  Deleting
 * one returns after no CPU can translate through it any more.
 *
 * Return: 0, or -EINVAL (flags, slot, alignment, wrap-around), -ERANGE
 * (beyond the guest-physical address size), -ENOENT (delete of an empty
 * slot), -EBUSY (slot in use), -EEXIST (overlap), -EFAULT (some of the
 * VMM's range is not mapped, not readable, not writable for a writable
 * slot, or I/O memory).
 */
int axvcpu_vm_set_memory_region(struct axvcpu_vm *vm,
				const struct axvcpu_memory_region *m)
{
	struct axvcpu_memslot new = {};
	int r;

	r = check_region(m);
	if (r)
		return r;

	mutex_lock(&vm->lock);
	if (!m->memory_size) {
		r = delete_slot(vm, &vm->slots[m->slot]);
		goto out;
	}
	/* In the order the ABI lists the errors: the slots, then the memory. */
	r = check_free(vm, m);
	if (!r)
		r = check_vmas(m);
	if (r)
		goto out;
	new.gpa = m->guest_phys_addr;
	new.size = m->memory_size;
	new.uaddr = m->userspace_addr;
	new.flags = m->flags;
	new.npages = m->memory_size >> PAGE_SHIFT;
	if (m->flags & AXVCPU_MEM_LOG_DIRTY) {
		/* The size is the VMM's: too big is -ENOMEM, not a WARN. */
		new.dirty_bitmap = kvcalloc(BITS_TO_LONGS(new.npages),
					    sizeof(long),
					    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!new.dirty_bitmap) {
			r = -ENOMEM;
			goto out;
		}
	}
	spin_lock(&vm->mmu_lock);
	spin_lock_irq(&vm->slots_lock);
	vm->slots[m->slot] = new;
	spin_unlock_irq(&vm->slots_lock);
	spin_unlock(&vm->mmu_lock);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/**
 * axvcpu_vm_free_slots - forget every slot of a VM that is going away.
 * @vm: the VM; its MMU notifier is unregistered, its tables destroyed.
 */
void axvcpu_vm_free_slots(struct axvcpu_vm *vm)
{
	unsigned int i;

	for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++)
		kvfree(vm->slots[i].dirty_bitmap);
	memset(vm->slots, 0, sizeof(vm->slots));
}

/**
 * axvcpu_vm_get_dirty_log - AXVCPU_GET_DIRTY_LOG.
 * @vm: the VM.
 * @d: the argument, copied from userspace.
 *
 * The log is taken and cleared, and the pages it names write-protected
 * again, under mmu_lock (faults set bits under the same lock; one section
 * per 32K pages), and the TLBs flushed before the call returns: a write is in this call's
 * bitmap or in a later one's, never lost, since every write after the
 * flush faults and logs again (KVM's KVM_GET_DIRTY_LOG protocol).
 *
 * Return: 0, or -EINVAL (slot number, @pad), -ENOENT (empty slot, or one
 * without AXVCPU_MEM_LOG_DIRTY), -ENOMEM, -EFAULT (@bitmap).
 */
int axvcpu_vm_get_dirty_log(struct axvcpu_vm *vm,
			    const struct axvcpu_dirty_log *d)
{
	unsigned long *buf, c, i, n, *log;
	struct axvcpu_memslot *s;
	bool flush = false;
	int r = 0;

	if (d->slot >= AXVCPU_MAX_MEMSLOTS || d->pad)
		return -EINVAL;
	mutex_lock(&vm->lock);
	s = &vm->slots[d->slot];
	log = s->dirty_bitmap;
	if (!s->size || !log) {
		r = -ENOENT;
		goto out;
	}
	n = BITS_TO_LONGS(s->npages);
	buf = kvmalloc_array(n, sizeof(long), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	/*
	 * In chunks of 32K pages, with a reschedule point between them: a
	 * huge slot must not hold a spinlock (and the CPU) for seconds.  Each
	 * chunk is atomic against faults, which is all the protocol needs.
	 */
	for (c = 0; c < n; c += 512) {
		if (c)
			cond_resched();
		spin_lock(&vm->mmu_lock);
		for (i = c; i < min(n, c + 512); i++) {
			unsigned long bits = log[i], b;

			log[i] = 0;	/* every writer holds mmu_lock too */
			buf[i] = bits;
			for_each_set_bit(b, &bits, BITS_PER_LONG)
				flush |= axvcpu_arch_wrprotect_page(vm, s->gpa +
					((u64)(i * BITS_PER_LONG + b) << PAGE_SHIFT));
		}
		spin_unlock(&vm->mmu_lock);
	}
	/* No CPU may still write through a translation made before. */
	if (flush)
		flush_all(vm);
	if (copy_to_user(u64_to_user_ptr(d->bitmap), buf, n * sizeof(long))) {
		/* Not delivered: back into the log for the next call. */
		spin_lock(&vm->mmu_lock);
		for (i = 0; i < n; i++)
			log[i] |= buf[i];
		spin_unlock(&vm->mmu_lock);
		r = -EFAULT;
	}
	kvfree(buf);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * Through the VMM's own mapping of the slot: the user page tables of the
 * RUN thread, which are current.  From atomic context (an exit handled
 * with IRQs off) a page that is not present fails instead of faulting.
 */
static int guest_copy(struct axvcpu_vm *vm, u64 gpa, void *buf, size_t len,
		      bool write)
{
	if (current->mm != vm->mm)
		return -EFAULT;
	while (len) {
		size_t n = min_t(size_t, len, PAGE_SIZE - offset_in_page(gpa));
		unsigned long hva;
		void __user *u;
		long left;
		u32 flags;

		if (!gpa_to_hva(vm, gpa, &hva, &flags, NULL) ||
		    (write && (flags & AXVCPU_MEM_READONLY)))
			return -EFAULT;
		u = (void __user *)hva;
		if (write)
			left = copy_to_user_nofault(u, buf, n);
		else
			left = copy_from_user_nofault(buf, u, n);
		if (left && preemptible())
			left = write ? copy_to_user(u, buf, n) :
				       copy_from_user(buf, u, n);
		if (left)
			return -EFAULT;
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * axvcpu_read_guest - copy from guest-physical memory.
 * @vm: the VM.
 * @gpa: source guest-physical address.
 * @buf: destination.
 * @len: bytes.
 *
 * Return: 0, or -EFAULT when part of the range is not in a slot.
 */
int axvcpu_read_guest(struct axvcpu_vm *vm, u64 gpa, void *buf, size_t len)
{
	return guest_copy(vm, gpa, buf, len, false);
}

/**
 * axvcpu_write_guest - copy into guest-physical memory.
 * @vm: the VM.
 * @gpa: destination guest-physical address.
 * @buf: source.
 * @len: bytes.
 *
 * Return: 0, or -EFAULT when part of the range is not in a writable slot.
 */
int axvcpu_write_guest(struct axvcpu_vm *vm, u64 gpa, const void *buf,
		       size_t len)
{
	return guest_copy(vm, gpa, (void *)buf, len, true);
}
