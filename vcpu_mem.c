// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-physical memory slots.
 *
 * A slot is a range of the VMM's memory that backs a range of guest-physical
 * addresses.  Its pages are pinned (FOLL_LONGTERM) for as long as the slot
 * exists, and the backend maps exactly those pages into the nested page
 * tables, so a VMM that munmap()s the memory or exits can never make the
 * guest touch a freed page.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "axvcpu_arch.h"
#include "axvcpu_internal.h"

/* Pin at most this many pages per call, then give the scheduler a chance. */
#define PIN_BATCH	512

static void slot_unpin(struct axvcpu_vm *vm, struct axvcpu_memslot *slot,
		       unsigned long npinned)
{
	bool dirty = !(slot->flags & AXVCPU_MEM_READONLY);

	if (npinned)
		unpin_user_pages_dirty_lock(slot->pages, npinned, dirty);
	account_locked_vm(vm->mm, slot->npages, false);
	kvfree(slot->pages);
	slot->pages = NULL;
}

/*
 * Guest RAM must be anonymous, shmem/memfd or hugetlbfs memory.  A long-term
 * writable pin of a shared mapping of a regular file would let the guest
 * write page cache behind the file system's back (6.1 does not refuse it;
 * 6.5+ does).
 */
static int check_backing(const struct axvcpu_memslot *slot)
{
	struct mm_struct *mm = current->mm;
	u64 addr = slot->uaddr, end = slot->uaddr + slot->size;
	int r = 0;

	if (slot->flags & AXVCPU_MEM_READONLY)
		return 0;
	mmap_read_lock(mm);
	while (addr < end) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		unsigned long magic;

		if (!vma || vma->vm_start > addr) {
			r = -EFAULT;
			break;
		}
		if (vma->vm_file && (vma->vm_flags & VM_SHARED)) {
			magic = file_inode(vma->vm_file)->i_sb->s_magic;
			if (magic != TMPFS_MAGIC && magic != HUGETLBFS_MAGIC) {
				r = -EOPNOTSUPP;
				break;
			}
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return r;
}

static int slot_pin(struct axvcpu_vm *vm, struct axvcpu_memslot *slot)
{
	unsigned int gup = FOLL_LONGTERM;
	unsigned long done = 0;
	int r;

	if (!(slot->flags & AXVCPU_MEM_READONLY))
		gup |= FOLL_WRITE;

	/* Never more than the machine has (and no kvmalloc() WARN on size). */
	if (slot->npages > totalram_pages())
		return -E2BIG;
	r = check_backing(slot);
	if (r)
		return r;
	/* Pinned guest RAM counts against RLIMIT_MEMLOCK (CAP_IPC_LOCK aside). */
	r = account_locked_vm(vm->mm, slot->npages, true);
	if (r)
		return r;

	slot->pages = kvmalloc_array(slot->npages, sizeof(*slot->pages),
				     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!slot->pages) {
		account_locked_vm(vm->mm, slot->npages, false);
		return -ENOMEM;
	}

	while (done < slot->npages) {
		int nr = min_t(unsigned long, slot->npages - done, PIN_BATCH);

		r = pin_user_pages_fast(slot->uaddr + done * PAGE_SIZE, nr, gup,
					slot->pages + done);
		if (r <= 0) {
			slot_unpin(vm, slot, done);
			return r == -ENOMEM ? -ENOMEM : -EFAULT;
		}
		done += r;
		cond_resched();
	}
	return 0;
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static int check_region(const struct axvcpu_memory_region *m)
{
	long bits;

	if (m->flags & ~AXVCPU_MEM_READONLY)
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
	struct axvcpu_memslot old;

	if (!slot->size)
		return -ENOENT;

	/* Unpublish first, so no backend lookup can find it any more. */
	spin_lock_irq(&vm->slots_lock);
	old = *slot;
	memset(slot, 0, sizeof(*slot));
	spin_unlock_irq(&vm->slots_lock);

	axvcpu_arch_vm_unmap(vm, &old);
	slot_unpin(vm, &old, old.npages);
	return 0;
}

/**
 * axvcpu_vm_set_memory_region - AXVCPU_SET_MEMORY_REGION.
 * @vm: the VM.
 * @m: the region, copied from userspace.
 *
 * Return: 0, or -EINVAL (flags, slot, alignment, wrap-around), -ERANGE
 * (beyond the guest-physical address size), -ENOENT (delete of an empty
 * slot), -EBUSY (slot in use), -EEXIST (overlap), -E2BIG (more than the
 * machine's RAM), -EOPNOTSUPP (a writable slot on a shared mapping of a
 * regular file), -EFAULT (memory not there or not writable), -ENOMEM
 * (including RLIMIT_MEMLOCK).
 */
int axvcpu_vm_set_memory_region(struct axvcpu_vm *vm,
				const struct axvcpu_memory_region *m)
{
	struct axvcpu_memslot new = {};
	int r;

	r = check_region(m);
	if (r)
		return r;

	if (!m->memory_size) {
		mutex_lock(&vm->lock);
		r = delete_slot(vm, &vm->slots[m->slot]);
		mutex_unlock(&vm->lock);
		return r;
	}

	/*
	 * Check, pin without vm->lock (pinning gigabytes takes long, and
	 * vcpus must be able to come and go meanwhile), then check again
	 * under the lock before publishing: another caller may have taken
	 * the slot or the range in between.
	 */
	mutex_lock(&vm->lock);
	r = check_free(vm, m);
	mutex_unlock(&vm->lock);
	if (r)
		return r;

	new.gpa = m->guest_phys_addr;
	new.size = m->memory_size;
	new.uaddr = m->userspace_addr;
	new.flags = m->flags;
	new.npages = m->memory_size >> PAGE_SHIFT;
	r = slot_pin(vm, &new);
	if (r)
		return r;

	mutex_lock(&vm->lock);
	r = check_free(vm, m);
	if (!r) {
		r = axvcpu_arch_vm_map(vm, &new);
		if (r)		/* undo a partial map */
			axvcpu_arch_vm_unmap(vm, &new);
	}
	if (r) {
		mutex_unlock(&vm->lock);
		slot_unpin(vm, &new, new.npages);
		return r;
	}
	spin_lock_irq(&vm->slots_lock);
	vm->slots[m->slot] = new;
	spin_unlock_irq(&vm->slots_lock);
	mutex_unlock(&vm->lock);
	return 0;
}

/**
 * axvcpu_vm_free_slots - unpin every slot of a VM that is going away.
 * @vm: the VM; its nested page tables are already destroyed.
 */
void axvcpu_vm_free_slots(struct axvcpu_vm *vm)
{
	unsigned int i;

	for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++) {
		struct axvcpu_memslot *slot = &vm->slots[i];

		if (slot->size)
			slot_unpin(vm, slot, slot->npages);
		memset(slot, 0, sizeof(*slot));
	}
}

/**
 * axvcpu_gpa_to_page - the page backing a guest-physical address.
 * @vm: the VM.
 * @gpa: the guest-physical address.
 * @write: the caller wants to write (fails on a read-only slot).
 *
 * Usable from any context, interrupts included.  The caller owns a
 * reference to the page and drops it with put_page().
 *
 * Return: the page, or NULL when no (writable) slot covers @gpa.
 */
struct page *axvcpu_gpa_to_page(struct axvcpu_vm *vm, u64 gpa, bool write)
{
	struct page *page = NULL;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&vm->slots_lock, flags);
	for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++) {
		const struct axvcpu_memslot *s = &vm->slots[i];

		if (!s->size || gpa < s->gpa || gpa - s->gpa >= s->size)
			continue;
		if (write && (s->flags & AXVCPU_MEM_READONLY))
			break;
		page = s->pages[(gpa - s->gpa) >> PAGE_SHIFT];
		get_page(page);
		break;
	}
	spin_unlock_irqrestore(&vm->slots_lock, flags);
	return page;
}

static int guest_copy(struct axvcpu_vm *vm, u64 gpa, void *buf, size_t len,
		      bool write)
{
	while (len) {
		size_t off = offset_in_page(gpa);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		struct page *page = axvcpu_gpa_to_page(vm, gpa, write);
		void *va;

		if (!page)
			return -EFAULT;
		va = kmap_local_page(page);
		if (write)
			memcpy(va + off, buf, n);
		else
			memcpy(buf, va + off, n);
		kunmap_local(va);
		/* A writable slot's pages are marked dirty when unpinned. */
		put_page(page);
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
