// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: stage-2 translation and VMIDs.
 *
 * 4K granule, start level and size from axv_arm_caps (up to 48-bit IPA),
 * one page per table, pages at level 3, and 2 MiB / 1 GiB blocks at
 * levels 2 / 1 where the VMM's memory is a THP or hugetlbfs page of that
 * size.
 *
 * VMIDs.  A VMID tags the TLB entries of a guest (stage 1 and 2) on every
 * CPU, for everything that runs at EL2, KVM included (Arm ARM, DDI 0487,
 * "VMID and ASID" in the VMSAv8-64 TLB chapter).  KVM's allocator
 * (arch/arm64/kvm/vmid.c) hands out every VMID but 0 to its VMs at any
 * time, with the full width of the CPU, and exports nothing to reserve one
 * or learn which are live; a VMID of ours that a KVM VM also had would
 * let one guest hit the other's translations.  So:
 *  - KVM initialised (the usual case): every VM of ours runs on VMID 0,
 *    which KVM never allocates.  A CPU flushes VMID 0 when a different
 *    vcpu is loaded on it than the last one (switch.c), once per load,
 *    not per entry.
 *  - KVM never initialised (kvm-arm.mode=none, or no KVM at EL2): each VM
 *    gets its own VMID, 1..2^VMIDBits-1, for its lifetime.  Freeing one
 *    needs no generation rollover: the VM's destruction first invalidates
 *    its VMID on every CPU (axv_arm_s2_flush_vm(), broadcast), so a reused
 *    VMID finds no entries.  When all are taken, further VMs share VMID 0
 *    as above.  A CPU switching between vcpus of one VM drops that VMID's
 *    stage-1 entries, as KVM's __kvm_flush_cpu_context() does.
 *    KVM is known to be off when it is built in (Debian: CONFIG_KVM=y, so
 *    it cannot come later) and its /dev/kvm minor is free at our load.
 * Every change of a VM's tables flushes its VMID on all CPUs (broadcast;
 * on VMID 0 that over-invalidates the other VMs, which is harmless).
 *
 * Table walks are inner-shareable write-back (VTCR_EL2.IRGN0/ORGN0/SH0),
 * so they are coherent with the kernel's writes through the linear map:
 * a dsb(ishst) before use is enough.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/bitmap.h>
#include <linux/spinlock.h>
#include <linux/miscdevice.h>
#include <linux/percpu.h>
#include <asm/cacheflush.h>
#include <asm/cpufeature.h>
#include <asm/daifflags.h>
#include <asm/kvm_arm.h>
#include <asm/memory.h>
#include <asm/sysreg.h>
#include <asm/tlbflush.h>

#include "axvcpu_arch.h"
#include "arm64.h"

#define S2_VALID	BIT(0)
#define S2_TABLE	(BIT(0) | BIT(1))
#define S2_PAGE		(BIT(0) | BIT(1))
#define S2_BLOCK	BIT(0)		/* levels 1-2: bit 1 clear */
#define S2_TYPE		(BIT(0) | BIT(1))
#define S2_MEMATTR(a)	((u64)(a) << 2)
#define S2_AP_R		BIT(6)
#define S2_AP_W		BIT(7)
#define S2_SH_INNER	(3UL << 8)
#define S2_AF		BIT(10)
#define S2_ADDR_MASK	GENMASK_ULL(47, 12)

static u64 s2_leaf_attrs(bool readonly)
{
	u64 attr = S2_PAGE | S2_SH_INNER | S2_AF | S2_AP_R;

	/*
	 * With FWB, MemAttr 0b0110 forces the guest's view to write-back
	 * even while its MMU is off, so no cache cleaning is needed.
	 */
	attr |= axv_arm_caps.fwb ? S2_MEMATTR(MT_S2_FWB_NORMAL) :
				   S2_MEMATTR(MT_S2_NORMAL);
	if (!readonly)
		attr |= S2_AP_W;
	return attr;
}

static inline unsigned int s2_index(u64 ipa, unsigned int level)
{
	return (ipa >> (12 + 9 * (3 - level))) & 0x1ff;
}

/* The level-3 entry for @ipa, or NULL when a table on the way is missing. */
static u64 *s2_walk(struct axv_arm_vm *avm, u64 ipa)
{
	u64 *table = avm->pgd;
	unsigned int level;

	for (level = axv_arm_caps.start_level; level < 3; level++) {
		u64 *entry = &table[s2_index(ipa, level)];
		u64 desc = READ_ONCE(*entry);

		if ((desc & S2_TYPE) != S2_TABLE)
			return NULL;
		table = phys_to_virt(desc & S2_ADDR_MASK);
	}
	return &table[s2_index(ipa, 3)];
}

/* Process context (the VM's last reference): may sleep. */
static void s2_free_table(u64 *table, unsigned int level)
{
	unsigned int i;

	if (level < 3) {
		for (i = 0; i < 512; i++) {
			u64 desc = table[i];

			/* Blocks are the VMM's memory, not tables. */
			if ((desc & S2_TYPE) == S2_TABLE)
				s2_free_table(phys_to_virt(desc & S2_ADDR_MASK),
					      level + 1);
		}
	}
	free_page((unsigned long)table);
	/* A VM that mapped 64 GiB has 32K tables: let others run. */
	if (level == 2)
		cond_resched();
}

/**
 * axv_arm_s2_flush_vm - invalidate the VM's VMID on every CPU.
 * @avm: the VM whose VTTBR is loaded for the TLBI.
 *
 * Invalidates the guest's stage-1 and stage-2 TLB entries on every CPU,
 * as KVM's __tlb_switch_to_guest()/__kvm_tlb_flush_vmid() do under VHE:
 * with {E2H,TGE} = {1,1} a TLBI acts on the host's EL2&0 regime, so the
 * VM's VTTBR is loaded and TGE cleared around the TLBI, with everything
 * masked.  Under the speculative-AT errata the EL1 walker is first kept
 * from allocating with whatever stage 1 happens to be loaded.
 */
void axv_arm_s2_flush_vm(struct axv_arm_vm *avm)
{
	unsigned long flags;
	u64 hcr, vttbr, vtcr, tcr = 0, sctlr = 0;

	flags = local_daif_save();
	if (axv_arm_caps.spec_at) {
		tcr = read_sysreg_s(SYS_TCR_EL12);
		write_sysreg_s(tcr | TCR_EPD1_MASK | TCR_EPD0_MASK,
			       SYS_TCR_EL12);
		sctlr = read_sysreg_s(SYS_SCTLR_EL12);
		write_sysreg_s(sctlr | SCTLR_ELx_M, SYS_SCTLR_EL12);
		isb();
	}
	vttbr = read_sysreg(vttbr_el2);
	vtcr = read_sysreg(vtcr_el2);
	write_sysreg(axv_arm_caps.vtcr, vtcr_el2);
	write_sysreg(avm->vttbr, vttbr_el2);
	isb();
	hcr = read_sysreg(hcr_el2);
	write_sysreg(hcr & ~HCR_TGE, hcr_el2);
	isb();

	dsb(ishst);
	__tlbi(vmalls12e1is);
	__tlbi_sync_s1ish_hyp();
	isb();

	write_sysreg(hcr, hcr_el2);
	isb();
	write_sysreg(vttbr, vttbr_el2);
	write_sysreg(vtcr, vtcr_el2);
	if (axv_arm_caps.spec_at) {
		write_sysreg_s(tcr, SYS_TCR_EL12);
		write_sysreg_s(sctlr, SYS_SCTLR_EL12);
	}
	isb();
	local_daif_restore(flags);
}

static DEFINE_SPINLOCK(vmid_lock);
static unsigned long *vmid_map;	/* own VMIDs in use; bit 0 is VMID 0 */

/* Is KVM's VMID allocator in use?  See the comment at the top. */
static bool kvm_may_use_vmids(void)
{
	struct miscdevice probe = {
		.minor = KVM_MINOR,
		.name = "axvcpu-kvm-probe",
	};

	if (!IS_BUILTIN(CONFIG_KVM))
		return true;	/* a KVM module could load after us */
	if (misc_register(&probe))
		return true;	/* /dev/kvm exists: KVM is initialised */
	misc_deregister(&probe);
	return false;
}

/**
 * axv_arm_vmid_init - choose the VMID scheme, at module load.
 *
 * Return: 0 or -ENOMEM.
 */
int axv_arm_vmid_init(void)
{
	u64 mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	u32 bits;

	axv_arm_caps.vmid_bits = 0;
	if (kvm_may_use_vmids()) {
		pr_info("KVM is initialised: all VMs share VMID 0\n");
		return 0;
	}
	bits = ((mmfr1 >> ID_AA64MMFR1_EL1_VMIDBits_SHIFT) & 0xf) == 2 ?
	       16 : 8;
	vmid_map = bitmap_zalloc(1U << bits, GFP_KERNEL);
	if (!vmid_map)
		return -ENOMEM;
	set_bit(0, vmid_map);
	axv_arm_caps.vmid_bits = bits;
	if (bits == 16)
		axv_arm_caps.vtcr |= VTCR_EL2_VS_16BIT;
	pr_info("KVM is not initialised: %u-bit VMIDs, one per VM\n", bits);
	return 0;
}

/**
 * axv_arm_vmid_exit - free the VMID map, at module unload.
 */
void axv_arm_vmid_exit(void)
{
	bitmap_free(vmid_map);
	vmid_map = NULL;
}

/* A free VMID, or 0 (shared) when there is none or KVM may use them. */
static u32 vmid_alloc(void)
{
	u32 nr, vmid = 0;

	if (!axv_arm_caps.vmid_bits)
		return 0;
	nr = 1U << axv_arm_caps.vmid_bits;
	spin_lock(&vmid_lock);
	vmid = find_first_zero_bit(vmid_map, nr);
	if (vmid < nr)
		set_bit(vmid, vmid_map);
	else
		vmid = 0;
	spin_unlock(&vmid_lock);
	return vmid;
}

/* After axv_arm_s2_flush_vm(): no CPU has an entry with @vmid left. */
static void vmid_free(u32 vmid)
{
	if (!vmid)
		return;
	spin_lock(&vmid_lock);
	clear_bit(vmid, vmid_map);
	spin_unlock(&vmid_lock);
}

int axvcpu_arch_vm_init(struct axvcpu_vm *vm)
{
	struct axv_arm_vm *avm;

	avm = kzalloc(sizeof(*avm), GFP_KERNEL_ACCOUNT);
	if (!avm)
		return -ENOMEM;
	avm->pgd = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	avm->last_vcpu = alloc_percpu_gfp(u64, GFP_KERNEL_ACCOUNT);
	if (!avm->pgd || !avm->last_vcpu) {
		free_percpu(avm->last_vcpu);
		free_page((unsigned long)avm->pgd);
		kfree(avm);
		return -ENOMEM;
	}
	/* CnP = 0: our entries stay private to each CPU. */
	avm->vmid = vmid_alloc();
	avm->vttbr = virt_to_phys(avm->pgd) | ((u64)avm->vmid << 48);
	vm->arch = avm;
	return 0;
}

void axvcpu_arch_vm_destroy(struct axvcpu_vm *vm)
{
	struct axv_arm_vm *avm = vm->arch;

	if (!avm)
		return;
	/* No vcpu is left; drop whatever TLB entries the VM still has. */
	axv_arm_s2_flush_vm(avm);
	vmid_free(avm->vmid);
	s2_free_table(avm->pgd, axv_arm_caps.start_level);
	free_percpu(avm->last_vcpu);
	kfree(avm);
	vm->arch = NULL;
}

/*
 * Without FWB a guest running with its MMU off reads memory uncached and
 * would miss what the VMM left in the caches: clean + invalidate each
 * page to the point of coherency before it is mapped.  The I-cache is
 * made coherent too, for code the VMM wrote.
 */
static void s2_sync_page(struct page *page)
{
	unsigned long va = (unsigned long)page_address(page);

	if (!axv_arm_caps.fwb)
		__axv_arm_dcache_clean_inval_poc(va, va + PAGE_SIZE);
	caches_clean_inval_pou(va, va + PAGE_SIZE);
}

/*
 * vm->mmu_lock held: the entry for @ipa at level @stop (3, or 2 or 1 for
 * a 2 MiB or 1 GiB block), with the tables on the way taken from @c;
 * ERR_PTR(-EAGAIN) when @c ran out, ERR_PTR(-EEXIST) when a block above
 * covers @ipa.
 */
static u64 *s2_walk_alloc(struct axv_arm_vm *avm, u64 ipa, unsigned int stop,
			  struct axvcpu_pt_cache *c)
{
	u64 *table = avm->pgd;
	unsigned int level;

	for (level = axv_arm_caps.start_level; level < stop; level++) {
		u64 *entry = &table[s2_index(ipa, level)];
		u64 desc = READ_ONCE(*entry);

		if (!(desc & S2_VALID)) {
			u64 *next;

			if (!c->nr)
				return ERR_PTR(-EAGAIN);
			next = c->pages[--c->nr];
			/* The zeroed table must be seen before the link. */
			dsb(ishst);
			WRITE_ONCE(*entry, virt_to_phys(next) | S2_TABLE);
			desc = READ_ONCE(*entry);
		} else if ((desc & S2_TYPE) != S2_TABLE) {
			return ERR_PTR(-EEXIST);
		}
		table = phys_to_virt(desc & S2_ADDR_MASK);
	}
	return &table[s2_index(ipa, stop)];
}

int axvcpu_arch_map_page(struct axvcpu_vm *vm, u64 gpa, struct page *page,
			 unsigned int order, bool writable,
			 struct axvcpu_pt_cache *cache)
{
	struct axv_arm_vm *avm = vm->arch;
	u64 pa_limit = 1ULL << min_t(u32, axv_arm_caps.ipa_bits, 48);
	/* 4K granule: a page at level 3, 2 MiB and 1 GiB blocks at 2 and 1 */
	unsigned int level = 3 - order / 9, i;
	phys_addr_t pa = page_to_phys(page);
	bool block = order;
	u64 *pte, desc;

	/*
	 * No block above level 1 with a 4K granule, and none above the
	 * start level of our tables (Arm ARM D8.2, "Translation table
	 * descriptor formats").
	 */
	if (order % 9 || order > 2 * 9 || level < axv_arm_caps.start_level)
		return -EOPNOTSUPP;
	/* A page beyond the output size cannot be described. */
	if (pa + (PAGE_SIZE << order) > pa_limit)
		return -EFAULT;
	pte = s2_walk_alloc(avm, gpa, level, cache);
	if (IS_ERR(pte))
		return PTR_ERR(pte) == -EEXIST ? 0 : PTR_ERR(pte);
	/* Smaller entries under it already: no block over them. */
	if (block && (READ_ONCE(*pte) & S2_TYPE) == S2_TABLE)
		return -ENOSPC;
	for (i = 0; i < (1U << order); i++)
		s2_sync_page(pfn_to_page(page_to_pfn(page) + i));
	desc = pa | s2_leaf_attrs(!writable);
	if (block)
		desc &= ~(u64)BIT(1);	/* a block, not a page */
	/*
	 * Invalid before (or the same page): the TLBs hold nothing from an
	 * invalid descriptor (Arm ARM, DDI 0487, "Translation table entry
	 * caching"), so the new entry needs only to be visible to the walker.
	 */
	WRITE_ONCE(*pte, desc);
	dsb(ishst);
	return 0;
}

/*
 * Clears the level-3 entries of [start, end) below @table (of @level,
 * covering from @base), skipping empty subtrees.
 */
static bool s2_clear(u64 *table, unsigned int level, u64 base, u64 start,
		     u64 end)
{
	unsigned int shift = 12 + 9 * (3 - level), i;
	bool any = false;

	for (i = (start - base) >> shift; i < 512; i++) {
		u64 lo = base + ((u64)i << shift), desc = READ_ONCE(table[i]);

		if (lo >= end)
			break;
		if (!(desc & S2_VALID))
			continue;
		/* A page or a block: whole, even if partly in the range. */
		if (level == 3 || (desc & S2_TYPE) != S2_TABLE) {
			WRITE_ONCE(table[i], 0);
			any = true;
			continue;
		}
		any |= s2_clear(phys_to_virt(desc & S2_ADDR_MASK), level + 1,
				lo, max(start, lo),
				min(end, lo + (1ULL << shift)));
	}
	return any;
}

bool axvcpu_arch_unmap_range(struct axvcpu_vm *vm, u64 gpa, u64 size)
{
	struct axv_arm_vm *avm = vm->arch;

	return s2_clear(avm->pgd, axv_arm_caps.start_level, 0, gpa,
			gpa + size);
}

bool axvcpu_arch_wrprotect_page(struct axvcpu_vm *vm, u64 gpa)
{
	u64 *pte = s2_walk(vm->arch, gpa), desc;

	if (!pte)
		return false;
	desc = READ_ONCE(*pte);
	if (!(desc & S2_VALID) || !(desc & S2_AP_W))
		return false;
	/*
	 * Only the permissions change: no break-before-make needed (Arm ARM,
	 * DDI 0487, "Using break-before-make when updating translation
	 * table entries"); the caller flushes.
	 */
	WRITE_ONCE(*pte, desc & ~S2_AP_W);
	return true;
}

/**
 * axv_arm_s2_pfn - the host page frame that stage 2 maps @ipa to.
 * @vm: the VM.
 * @ipa: a guest physical address.
 * @pfn: set to the frame when one is mapped.
 *
 * Takes vm->mmu_lock: the answer may be stale once it returns, which is
 * all a report of a memory error needs.
 *
 * Return: true if a page or a block maps @ipa.
 */
bool axv_arm_s2_pfn(struct axvcpu_vm *vm, u64 ipa, unsigned long *pfn)
{
	struct axv_arm_vm *avm = vm->arch;
	unsigned int level, shift;
	u64 *table, desc = 0;
	bool found = false;

	spin_lock(&vm->mmu_lock);
	table = avm->pgd;
	for (level = axv_arm_caps.start_level; level <= 3; level++) {
		desc = READ_ONCE(table[s2_index(ipa, level)]);
		if (!(desc & S2_VALID))
			break;
		if (level < 3 && (desc & S2_TYPE) == S2_TABLE) {
			table = phys_to_virt(desc & S2_ADDR_MASK);
			continue;
		}
		/* A block at level 1 or 2, or a page at level 3. */
		shift = 12 + 9 * (3 - level);
		*pfn = PHYS_PFN((desc & S2_ADDR_MASK & ~GENMASK_ULL(shift - 1, 0)) |
				(ipa & GENMASK_ULL(shift - 1, 0)));
		found = true;
		break;
	}
	spin_unlock(&vm->mmu_lock);
	return found;
}

/*
 * Break before the pages go back to the VMM: no CPU may still translate
 * to them once this returns (TLBI ... IS and DSB ISH wait for every CPU).
 */
void axvcpu_arch_flush(struct axvcpu_vm *vm)
{
	dsb(ishst);
	axv_arm_s2_flush_vm(vm->arch);
}
