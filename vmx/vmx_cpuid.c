// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID (an unconditional VM exit, SDM Vol. 3C "Instructions That Cause VM
 * Exits Unconditionally") and AXVCPU_X86_SET_CPUID.
 *
 * The guest gets the host's answer with what the module does not give it
 * hidden (VMX, MONITOR, PMU, SGX, PT, PKU, CET, LA57, the speculation-
 * control MSRs...), what it emulates shown (x2APIC, TSC deadline, the
 * hypervisor bit, APIC IDs = vcpu id), and hypervisor leaves at
 * 0x40000000.
 * A leaf in the VMM's SET_CPUID table replaces all of that, except the
 * bits that follow guest state as on hardware: OSXSAVE (CR4), APIC
 * (IA32_APIC_BASE.EN), and what IA32_MISC_ENABLE's LIMIT_CPUID and
 * XD_DISABLE take away.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/bsearch.h>
#include <linux/gcd.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "vmx.h"

#define CPUID1_ECX_OSXSAVE	BIT(27)
#define CPUID_D1_EAX_XSAVEC	BIT(1)
#define CPUID1_EDX_APIC		BIT(9)
#define CPUID_80000001_EDX_NX	BIT(20)

/*
 * ---- the host's answers, read once ----
 *
 * CPUID always exits (SDM 26.1.2), and executing it in the handler would
 * cost a host CPUID per guest CPUID (thousands of cycles when the host is
 * itself a guest).  The host's leaves are the same on every CPU but for
 * the APIC IDs, which the guest gets its own of anyway, so they are read
 * once, at the first vcpu: every basic and extended leaf, the subleaves
 * of the leaves that have them (up to 64 of leaf 0xD, 16 of the others).
 * A leaf or subleaf beyond those is asked of the CPU.
 */
struct host_leaf {
	u32 a, b, c, d;
};

#define HOST_LEAVES_MAX		640
#define HOST_RANGE_LEAVES	0x40	/* per range: 0x0.., 0x80000000.. */

static struct host_leaf host_leaves[HOST_LEAVES_MAX];
static unsigned int nr_host_leaves;
/* Per range and leaf: index of subleaf 0 in host_leaves, and how many. */
static u16 leaf_first[2][HOST_RANGE_LEAVES];
static u8 leaf_subs[2][HOST_RANGE_LEAVES];
static bool host_leaves_ready;
static DEFINE_MUTEX(host_leaves_lock);

static unsigned int nr_subleaves(u32 leaf)
{
	switch (leaf) {
	case 0xd:
		return 64;
	case 0x4: case 0x7: case 0xb: case 0xf: case 0x10: case 0x12:
	case 0x14: case 0x17: case 0x18: case 0x1b: case 0x1d: case 0x1e:
	case 0x1f: case 0x20: case 0x23: case 0x24:
		return 16;
	}
	return 1;
}

static void read_leaves(u32 first)
{
	u32 max = cpuid_eax(first), leaf, sub, n;
	int r = first >> 31;

	if (max < first || max - first >= HOST_RANGE_LEAVES)
		max = first;
	for (leaf = first; leaf <= max; leaf++) {
		n = nr_subleaves(leaf);
		if (nr_host_leaves + n > HOST_LEAVES_MAX)
			return;
		leaf_first[r][leaf - first] = nr_host_leaves;
		for (sub = 0; sub < n; sub++) {
			struct host_leaf *h = &host_leaves[nr_host_leaves++];

			cpuid_count(leaf, sub, &h->a, &h->b, &h->c, &h->d);
		}
		leaf_subs[r][leaf - first] = n;
	}
}

/**
 * axvmx_cpuid_init - read the host's CPUID leaves (once, at the first vcpu).
 *
 * Sleeps.
 */
void axvmx_cpuid_init(void)
{
	/* Pairs with the release below: the table is complete when seen. */
	if (smp_load_acquire(&host_leaves_ready))
		return;
	mutex_lock(&host_leaves_lock);
	if (!host_leaves_ready) {
		read_leaves(0);
		read_leaves(0x80000000);
		/* The table before the flag that publishes it. */
		smp_store_release(&host_leaves_ready, true);
	}
	mutex_unlock(&host_leaves_lock);
}

/* The host's answer to (@leaf, @sub): two array lookups, or the CPU's. */
static void host_cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	u32 off = leaf & 0x7fffffff, r = leaf >> 31, n;
	const struct host_leaf *h;

	/* Pairs with axvmx_cpuid_init()'s release. */
	n = smp_load_acquire(&host_leaves_ready) && off < HOST_RANGE_LEAVES ?
	    leaf_subs[r][off] : 0;
	if (!n || (n > 1 && sub >= n)) {
		cpuid_count(leaf, sub, a, b, c, d);
		return;
	}
	h = &host_leaves[leaf_first[r][off] + (n > 1 ? sub : 0)];
	*a = h->a;
	*b = h->b;
	*c = h->c;
	*d = h->d;
}

/*
 * Bytes of an XSAVE area holding the states in @xcr0: the standard format
 * (CPUID.0xD.0:EBX) or the compacted one (CPUID.0xD.1:EBX), from the
 * CPU's per-state sizes, offsets and alignment.
 */
static u32 xstate_size(u64 xcr0, bool compacted)
{
	u32 size = 512 + 64, a, b, c, d;
	int i;

	for (i = 2; i < 63; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		host_cpuid(0xd, i, &a, &b, &c, &d);
		if (!compacted) {
			size = max(size, a + b);
			continue;
		}
		if (c & BIT(1))		/* 64-byte aligned */
			size = ALIGN(size, 64);
		size += a;
	}
	return size;
}

static const struct axvcpu_x86_cpuid_entry *find_entry(struct axvmx_vcpu *v,
						       u32 leaf, u32 sub);

/**
 * axvmx_xcr0_allowed - the XCR0 bits XSETBV accepts from this guest.
 * @v: the vcpu.
 *
 * What CPUID.0xD.0:EDX:EAX tells it: the module's mask, narrowed by the
 * VMM's own leaf 0xD.0 when SET_CPUID has one.
 */
u64 axvmx_xcr0_allowed(struct axvmx_vcpu *v)
{
	const struct axvcpu_x86_cpuid_entry *e = find_entry(v, 0xd, 0);
	u64 allowed = axvmx_caps.guest_xcr0;

	if (e)
		allowed &= e->eax | ((u64)e->edx << 32);
	return allowed;
}

/*
 * Leaf 0x15, TSC/crystal ratio (SDM Vol. 2A, CPUID): the guest's TSC is the
 * host's (offset only), and the emulated local APIC timer counts at 1 GHz
 * (vlapic.c), so the "core crystal clock" is 1 GHz and the ratio is
 * tsc_khz / 10^6, reduced.  With these a guest knows both frequencies
 * without calibrating against a PIT or HPET (Linux: native_calibrate_tsc()
 * takes lapic_timer_period from ECX).  Linux multiplies crystal kHz by the
 * numerator in 32 bits, so the numerator stays below 2^32 / 10^6: the
 * ratio is rounded to 1 MHz when the exact one does not fit.
 */
static void tsc_leaf(u32 *a, u32 *b, u32 *c, u32 *d)
{
	u32 num = tsc_khz, den = 1000000, g;

	*a = *b = *c = *d = 0;
	if (!tsc_khz)
		return;
	g = gcd(num, den);
	num /= g;
	den /= g;
	if (num > U32_MAX / 1000000) {
		num = DIV_ROUND_CLOSEST(tsc_khz, 1000);
		den = 1000;
	}
	*a = den;
	*b = num;
	*c = 1000000000;
}

static void builtin_leaf(struct axvmx_vcpu *v, u32 leaf, u32 sub, u32 *a,
			 u32 *b, u32 *c, u32 *d)
{
	/* The host's hypervisor leaves (if any) are never the guest's. */
	if (leaf >= 0x40000000 && leaf <= 0x4fffffff)
		*a = *b = *c = *d = 0;
	else
		host_cpuid(leaf, sub, a, b, c, d);
	switch (leaf) {
	case 1:
		*c &= ~(BIT(5) |	/* VMX: no nesting */
			BIT(3) |	/* MONITOR: MWAIT is a NOP here */
			BIT(15) |	/* PDCM: no PERF_CAPABILITIES */
			BIT(2) |	/* DTES64, DS-CPL: no debug store */
			BIT(4) |
			BIT(7) |	/* EST: no IA32_PERF_CTL */
			BIT(8) |	/* TM2 */
			BIT(14));	/* xTPR update control */
		/*
		 * DS, ACPI (thermal control MSRs), TM, PBE: hardware whose
		 * MSRs (IA32_DS_AREA, IA32_THERM_*) are not the guest's.
		 */
		*d &= ~(BIT(21) | BIT(22) | BIT(29) | BIT(31));
		*c |= BIT(31) |		/* hypervisor present */
		      BIT(21) |		/* x2APIC: emulated */
		      BIT(24);		/* TSC deadline: emulated */
		if (!axvmx_caps.host_xcr0)
			*c &= ~(BIT(26) | BIT(28));	/* XSAVE, AVX */
		*b = (*b & 0x00ffffff) | (v->vcpu->id << 24);
		break;
	case 7:
		if (sub == 0) {
			*b &= ~(BIT(2) |	/* SGX */
				BIT(14) |	/* MPX */
				BIT(25));	/* Intel PT */
			if (!(axvmx_caps.proc2 & SECONDARY_EXEC_ENABLE_INVPCID))
				*b &= ~BIT(10);
			*c &= ~(BIT(3) | BIT(4) |	/* PKU, OSPKE */
				BIT(5) |		/* WAITPKG */
				BIT(7) |		/* CET shadow stacks */
				BIT(16));		/* LA57 */
			/* SPEC_CTRL, ARCH_CAPABILITIES, CET IBT, AMX. */
			*d &= ~(BIT(20) | BIT(22) | BIT(24) | BIT(25) |
				BIT(26) | BIT(27) | BIT(29) | BIT(31));
		} else {
			*a = *b = *c = *d = 0;
		}
		break;
	case 6:
		/*
		 * Thermal and power management: only ARAT (the emulated APIC
		 * timer runs in every C-state); no HWP, no ENERGY_PERF_BIAS.
		 */
		*a = BIT(2);
		*b = *c = *d = 0;
		break;
	case 0xa:		/* no PMU */
		*a = *b = *c = *d = 0;
		break;
	case 0xb:
	case 0x1f:
		*d = v->vcpu->id;	/* x2APIC ID */
		break;
	case 0xd:
		/*
		 * What XSETBV accepts (leaf 0xD sub-leaf 0: the XCR0 bits
		 * that may be set), sized for the guest's XCR0.
		 */
		if (!axvmx_caps.guest_xcr0) {
			*a = *b = *c = *d = 0;
		} else if (sub == 0) {
			*a = (u32)axvmx_caps.guest_xcr0;
			*d = axvmx_caps.guest_xcr0 >> 32;
			/* EBX follows the guest's XCR0: set by the caller. */
			*c = xstate_size(axvmx_caps.guest_xcr0, false);
		} else if (sub == 1) {
			*a &= ~(BIT(3) | BIT(4));	/* XSAVES, XFD: off */
			*b = 0;
			*c = *d = 0;			/* no IA32_XSS state */
		} else if (sub < 63 &&
			   (axvmx_caps.guest_xcr0 & BIT_ULL(sub))) {
			*d = 0;
		} else {
			*a = *b = *c = *d = 0;
		}
		break;
	case 0x15:
		tsc_leaf(a, b, c, d);
		break;
	case 0x16:
		/* Base frequency in MHz: the TSC's, as leaf 0x15 says. */
		if (tsc_khz >= 1000)
			*a = tsc_khz / 1000;
		else if (!*a)
			*a = 3000;
		break;
	case 0x40000000:
		*a = 0x40000001;
		/*
		 * The vendor signature of the ArceOS hypervisor, whose
		 * guests look for it: "RVMRVMRVMRVM".
		 */
		memcpy(b, "RVMR", 4);
		memcpy(c, "VMRV", 4);
		memcpy(d, "MRVM", 4);
		break;
	case 0x80000001:
		if (!(axvmx_caps.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP))
			*d &= ~BIT(27);
		break;
	default:
		if (leaf >= 0x40000001 && leaf <= 0x4fffffff)
			*a = *b = *c = *d = 0;
		break;
	}
}

static int cmp_entry(const void *x, const void *y)
{
	const struct axvcpu_x86_cpuid_entry *e = x, *f = y;

	if (e->function != f->function)
		return e->function < f->function ? -1 : 1;
	if (e->index != f->index)
		return e->index < f->index ? -1 : 1;
	return 0;
}

/*
 * The VMM's entry for (@leaf, @sub): the table is sorted by SET_CPUID, and
 * an entry without AXVCPU_X86_CPUID_INDEXED (index 0) covers every
 * subleaf of its function.
 */
static const struct axvcpu_x86_cpuid_entry *find_entry(struct axvmx_vcpu *v,
						       u32 leaf, u32 sub)
{
	struct axvcpu_x86_cpuid_entry key = { .function = leaf, .index = sub };
	const struct axvcpu_x86_cpuid_entry *e;

	if (!v->nr_cpuid)
		return NULL;
	e = bsearch(&key, v->cpuid, v->nr_cpuid, sizeof(*e), cmp_entry);
	if (e && (e->flags & AXVCPU_X86_CPUID_INDEXED))
		return e;
	key.index = 0;
	e = bsearch(&key, v->cpuid, v->nr_cpuid, sizeof(*e), cmp_entry);
	if (e && !(e->flags & AXVCPU_X86_CPUID_INDEXED))
		return e;
	return NULL;
}

/*
 * The last answers, direct-mapped by leaf and subleaf: a guest asks the
 * same few leaves again and again.  Leaves 1 and 0xD follow CR4 and XCR0
 * and are never kept; SET_CPUID empties it.
 */
static struct axvmx_cpuid_hit *cache_slot(struct axvmx_vcpu *v, u32 leaf,
					  u32 sub)
{
	return &v->cpuid_cache[(leaf ^ (leaf >> 27) ^ sub) %
			       AXVMX_CPUID_CACHE];
}

/* The answer goes into the guest's registers; the CPUID is done. */
static __always_inline int cpuid_answer(struct axvmx_vcpu *v, u32 a, u32 b,
					u32 c, u32 d)
{
	v->regs[AXVMX_RAX] = a;
	v->regs[AXVMX_RBX] = b;
	v->regs[AXVMX_RCX] = c;
	v->regs[AXVMX_RDX] = d;
	axvmx_advance_rip(v);
	axvcpu_count_builtin(v->vcpu, AXVCPU_BUILTIN_CPUID);
	return AXVCPU_RUN_CONTINUE;
}

/* Not in the cache: the VMM's table or the built-in leaves. */
static noinline int cpuid_miss(struct axvmx_vcpu *v, u32 leaf, u32 sub,
			       struct axvmx_cpuid_hit *h)
{
	const struct axvcpu_x86_cpuid_entry *e;
	u32 a, b, c, d;

	/*
	 * MISC_ENABLE.LIMIT_CPUID: the highest basic leaf is 2, and a leaf
	 * above it answers as the highest one does (SDM Vol. 2A CPUID).
	 */
	if ((v->msrs.misc_enable & MSR_IA32_MISC_ENABLE_LIMIT_CPUID) &&
	    leaf > 2 && leaf < 0x40000000)
		leaf = 2;
	e = find_entry(v, leaf, sub);
	if (e) {
		a = e->eax;
		b = e->ebx;
		c = e->ecx;
		d = e->edx;
	} else {
		builtin_leaf(v, leaf, sub, &a, &b, &c, &d);
	}
	if (leaf == 1) {
		c &= ~CPUID1_ECX_OSXSAVE;
		if (v->osxsave)
			c |= CPUID1_ECX_OSXSAVE;
		/* The APIC bit follows IA32_APIC_BASE.EN (SDM Vol. 3A 11.4.3). */
		d &= ~CPUID1_EDX_APIC;
		if (v->apic.base_msr & MSR_IA32_APICBASE_ENABLE)
			d |= CPUID1_EDX_APIC;
	} else if (leaf == 0xd) {
		/* The XSAVE sizes follow the guest's XCR0, as on hardware. */
		if (sub == 0 && axvmx_caps.guest_xcr0)
			b = xstate_size(v->xcr0, false);
		if (sub == 1 && axvmx_caps.guest_xcr0)
			b = (a & CPUID_D1_EAX_XSAVEC) ?
			    xstate_size(v->xcr0, true) : 0;
	} else {
		if (leaf == 0 &&
		    (v->msrs.misc_enable & MSR_IA32_MISC_ENABLE_LIMIT_CPUID))
			a = min(a, 2U);
		/* XD_DISABLE hides NX (SDM Vol. 4 table 2-2). */
		if (leaf == 0x80000001 &&
		    (v->msrs.misc_enable & MSR_IA32_MISC_ENABLE_XD_DISABLE))
			d &= ~CPUID_80000001_EDX_NX;
		*h = (struct axvmx_cpuid_hit){ leaf, sub, a, b, c, d, true };
	}
	return cpuid_answer(v, a, b, c, d);
}

/*
 * A hit needs no stack frame of its own: the miss path, with its locals
 * passed by address, is a separate function.
 */
int axvmx_handle_cpuid(struct axvmx_vcpu *v)
{
	u32 leaf = v->regs[AXVMX_RAX], sub = v->regs[AXVMX_RCX];
	struct axvmx_cpuid_hit *h = cache_slot(v, leaf, sub);

	if (unlikely(!h->valid || h->leaf != leaf || h->sub != sub))
		return cpuid_miss(v, leaf, sub, h);
	return cpuid_answer(v, h->a, h->b, h->c, h->d);
}

/*
 * AXVCPU_X86_SET_CPUID: the whole table is replaced.  An entry without
 * AXVCPU_X86_CPUID_INDEXED covers every subleaf, so it may not share its
 * function with any other entry.
 */
long axvmx_set_cpuid(struct axvmx_vcpu *v, const struct axvcpu_x86_cpuid *hdrp,
		     struct axvcpu_x86_cpuid __user *uc)
{
	struct axvcpu_x86_cpuid_entry *tab = NULL;
	struct axvcpu_x86_cpuid hdr = *hdrp;
	u32 i, j;

	if (hdr.pad)
		return -EINVAL;
	if (hdr.nent > AXVCPU_X86_CPUID_MAX_ENTRIES)
		return -E2BIG;
	if (hdr.nent) {
		tab = memdup_user(uc->entries, hdr.nent * sizeof(*tab));
		if (IS_ERR(tab))
			return PTR_ERR(tab);
	}
	for (i = 0; i < hdr.nent; i++) {
		struct axvcpu_x86_cpuid_entry *e = &tab[i];

		if (e->pad || (e->flags & ~AXVCPU_X86_CPUID_INDEXED) ||
		    (!(e->flags & AXVCPU_X86_CPUID_INDEXED) && e->index))
			goto einval;
		for (j = 0; j < i; j++) {
			struct axvcpu_x86_cpuid_entry *f = &tab[j];

			if (f->function != e->function)
				continue;
			if (!(e->flags & f->flags & AXVCPU_X86_CPUID_INDEXED) ||
			    e->index == f->index)
				goto einval;
		}
	}
	if (hdr.nent)
		sort(tab, hdr.nent, sizeof(*tab), cmp_entry, NULL);
	kfree(v->cpuid);
	memset(v->cpuid_cache, 0, sizeof(v->cpuid_cache));
	v->cpuid = tab;
	v->nr_cpuid = hdr.nent;
	return 0;
einval:
	kfree(tab);
	return -EINVAL;
}
