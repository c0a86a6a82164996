// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSRs (issue 3, items 7, 9, 10) and the I/O and MSR bitmaps.
 *
 * Every MSR access exits (the bitmap is all ones).  The MSRs a 64-bit OS
 * cannot run without are kept here; every other one goes to the VMM as a
 * SYSREG exit.  Of those kept here:
 *  - EFER, PAT, FS/GS base, SYSENTER_* live in the VMCS (switched by the
 *    CPU at entry and exit);
 *  - KERNEL_GS_BASE, STAR, LSTAR, SFMASK and TSC_AUX are live in the CPU
 *    while the guest runs (SWAPGS, SYSCALL and RDTSCP read them without an
 *    exit); they hold the guest's values from vcpu load to vcpu put
 *    (vmx_run.c, and below), since no host code in between reads them;
 *  - CSTAR, TSC, TSC_ADJUST, MISC_ENABLE, SPEC_CTRL, PRED_CMD, FLUSH_CMD,
 *    FEATURE_CONTROL, DEBUGCTL, MISC_FEATURES_ENABLES, BIOS_SIGN_ID,
 *    MCG_CAP and MCG_STATUS are emulated (the TSC through the VMCS TSC
 *    offset);
 *  - every one of them takes back the value a read gave: a guest that
 *    reads an MSR, changes one bit and writes it back gets no #GP for the
 *    bits it did not touch (Linux does so with MISC_ENABLE, EFER, PAT);
 *  - IA32_APIC_BASE, TSC_DEADLINE and 0x800-0x8ff are the local APIC's.
 *
 * SPEC_CTRL: the guest's CPUID has no IBRS/STIBP/SSBD, so the only value a
 * guest may write is 0; the host's value never leaves the real MSR.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/capability.h>
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "vmx.h"

/*
 * IA32_MISC_ENABLE (SDM Vol. 4, table 2-2, the architectural bits, and
 * turbo disable, which most Core CPUs have): BTS and PEBS unavailable
 * read as 1 and ignore writes, as "performance monitoring available" (no
 * PMU: 0) does; every architectural R/W bit is stored, and these act:
 *  - LIMIT_CPUID: CPUID.0:EAX reports at most 2 (vmx_cpuid.c);
 *  - XD_DISABLE: CPUID.80000001H:EDX.NX reads 0 and EFER.NXE cannot be
 *    set (SDM Vol. 3A 4.1.4);
 *  - ENABLE MONITOR FSM (bit 18): stored only.  MONITOR/MWAIT stay hidden
 *    in CPUID and run as NOPs whatever its value (as KVM's
 *    MISC_ENABLE_NO_MWAIT quirk).
 * Fast strings, thermal control, EIST, xTPR and turbo have nothing to
 * act on in a guest.  The other bits are reserved or model-specific, and
 * a CPU that does not define them faults: #GP.
 */
#define MISC_ENABLE_TCC			BIT_ULL(3)
#define MISC_ENABLE_TURBO_DISABLE	BIT_ULL(38)
#define MISC_ENABLE_RO	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
			 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)
#define MISC_ENABLE_IGNORED	(MISC_ENABLE_RO | MSR_IA32_MISC_ENABLE_EMON)
#define MISC_ENABLE_RW	(MSR_IA32_MISC_ENABLE_FAST_STRING | \
			 MISC_ENABLE_TCC | \
			 MSR_IA32_MISC_ENABLE_ENHANCED_SPEEDSTEP | \
			 MSR_IA32_MISC_ENABLE_MWAIT | \
			 MSR_IA32_MISC_ENABLE_LIMIT_CPUID | \
			 MSR_IA32_MISC_ENABLE_XTPR_DISABLE | \
			 MSR_IA32_MISC_ENABLE_XD_DISABLE | \
			 MISC_ENABLE_TURBO_DISABLE)
#define MISC_ENABLE_CPUID	(MSR_IA32_MISC_ENABLE_LIMIT_CPUID | \
				 MSR_IA32_MISC_ENABLE_XD_DISABLE)

/*
 * The MSRs a guest OS reads at boot and may write back (SDM Vol. 4,
 * table 2-2), answered as a CPU without the feature behind them would:
 *  - IA32_FEATURE_CONTROL: locked by the "firmware" with VMX and SMX off
 *    (CPUID hides VMX), so a write faults;
 *  - IA32_DEBUGCTL: 0; LBR and BTF writes are taken and dropped (no LBR
 *    stack is switched, and branch single-step needs BTF emulation around
 *    the instructions the module steps over), the other bits fault;
 *  - MISC_FEATURES_ENABLES: 0, and only 0 written (no CPUID faulting);
 *  - IA32_BIOS_SIGN_ID: a fixed microcode revision 1 (KVM's default),
 *    any write taken (the write before CPUID(1) clears the revision,
 *    which the CPUID loads again);
 *  - IA32_MCG_CAP: no banks, no MCG_CTL (CPUID keeps MCE/MCA, which Linux
 *    needs for CR4.MCE); IA32_MCG_STATUS stores RIPV, EIPV and MCIP;
 *    every MCi_* register then faults, reached by the VMM as no bank;
 *  - IA32_MTRRCAP: no variable ranges, no fixed ranges, no WC (CPUID keeps
 *    MTRR, which Linux needs for its PAT set-up); IA32_MTRR_DEF_TYPE is
 *    kept (a valid type, FE, E; SDM Vol. 3A, 12.11.2.1), and under EPT it
 *    changes nothing (the memory type comes from the EPT entries and PAT).
 * IA32_ENERGY_PERF_BIAS and the HWP registers are hidden with CPUID.6.
 */
#define UCODE_REV_GUEST		(1ULL << 32)
#define MCG_STATUS_RW		(BIT_ULL(0) | BIT_ULL(1) | BIT_ULL(2))
#define MTRR_DEF_TYPE_RW	(0xffULL | BIT_ULL(10) | BIT_ULL(11))

static bool is_canonical(u64 la)
{
	return ((s64)la << 16 >> 16) == (s64)la;
}

static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (8 * i);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

void axvmx_msrs_init(struct axvmx_vcpu *v)
{
	v->msrs.misc_enable = MSR_IA32_MISC_ENABLE_FAST_STRING |
			      MISC_ENABLE_RO;
}

static u64 guest_tsc(struct axvmx_vcpu *v)
{
	return rdtsc() + v->msrs.tsc_offset;
}

/* A TSC or TSC_ADJUST write moves both by the same delta (SDM 18.17.3). */
static void tsc_add(struct axvmx_vcpu *v, s64 delta)
{
	if (!axvmx_caps.has_tsc_offset)
		return;
	v->msrs.tsc_offset += delta;
	v->msrs.tsc_adjust += delta;
	v->apic.tsc_offset = v->msrs.tsc_offset;
	vmcs_write(TSC_OFFSET, v->msrs.tsc_offset);
}

/**
 * axvmx_msr_read - RDMSR of an intercepted MSR.
 * @v: the vcpu, VMCS current.
 * @msr: ECX.
 * @val: the value, when handled.
 *
 * Return: AXVMX_MSR_DONE, AXVMX_MSR_GP, or AXVMX_MSR_VMM (a SYSREG_READ exit).
 */
int axvmx_msr_read(struct axvmx_vcpu *v, u32 msr, u64 *val)
{
	struct axvmx_guest_msrs *m = &v->msrs;

	if (axvlapic_is_msr(msr))
		return axvlapic_msr_read(&v->apic, msr, val) ? AXVMX_MSR_GP :
							       AXVMX_MSR_DONE;
	switch (msr) {
	case MSR_EFER:
		*val = vmcs_read(GUEST_IA32_EFER);
		break;
	case MSR_IA32_CR_PAT:
		*val = vmcs_read(GUEST_IA32_PAT);
		break;
	case MSR_FS_BASE:
		*val = vmcs_read(GUEST_FS_BASE);
		break;
	case MSR_GS_BASE:
		*val = vmcs_read(GUEST_GS_BASE);
		break;
	case MSR_KERNEL_GS_BASE:
		/* In the CPU during a window: SWAPGS changes it unseen. */
		if (v->kgs_live)
			rdmsrq(MSR_KERNEL_GS_BASE, v->guest_kgs);
		*val = v->guest_kgs;
		break;
	case MSR_IA32_SYSENTER_CS:
		*val = vmcs_read(GUEST_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		*val = vmcs_read(GUEST_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		*val = vmcs_read(GUEST_SYSENTER_EIP);
		break;
	case MSR_STAR:
		*val = m->star;
		break;
	case MSR_LSTAR:
		*val = m->lstar;
		break;
	case MSR_CSTAR:
		*val = m->cstar;
		break;
	case MSR_SYSCALL_MASK:
		*val = m->sfmask;
		break;
	case MSR_TSC_AUX:
		if (!axvmx_caps.switch_tsc_aux)
			return AXVMX_MSR_GP;
		*val = m->tsc_aux;
		break;
	case MSR_IA32_TSC:
		*val = guest_tsc(v);
		break;
	case MSR_IA32_TSC_ADJUST:
		*val = m->tsc_adjust;
		break;
	case MSR_IA32_MISC_ENABLE:
		*val = m->misc_enable;
		break;
	case MSR_IA32_SPEC_CTRL:
		*val = 0;
		break;
	case MSR_IA32_PRED_CMD:
	case MSR_IA32_FLUSH_CMD:
		return AXVMX_MSR_GP;		/* write-only */
	case MSR_IA32_FEAT_CTL:
		*val = FEAT_CTL_LOCKED;
		break;
	case MSR_IA32_DEBUGCTLMSR:
		*val = vmcs_read(GUEST_IA32_DEBUGCTL);
		break;
	case MSR_MISC_FEATURES_ENABLES:
	case MSR_IA32_MCG_CAP:
		*val = 0;
		break;
	case MSR_IA32_UCODE_REV:
		*val = UCODE_REV_GUEST;
		break;
	case MSR_IA32_MCG_STATUS:
		*val = m->mcg_status;
		break;
	case MSR_MTRRcap:
		*val = 0;
		break;
	case MSR_MTRRdefType:
		*val = m->mtrr_def_type;
		break;
	default:
		return AXVMX_MSR_VMM;
	}
	return AXVMX_MSR_DONE;
}

/**
 * axvmx_msr_write - WRMSR of an intercepted MSR.
 * @v: the vcpu, VMCS current.
 * @msr: ECX.
 * @val: EDX:EAX.
 *
 * Return: AXVMX_MSR_DONE, AXVMX_MSR_GP, AXVMX_MSR_EXIT (the APIC filled an exit), or
 * AXVMX_MSR_VMM (a SYSREG_WRITE exit).
 */
int axvmx_msr_write(struct axvmx_vcpu *v, u32 msr, u64 val)
{
	struct axvmx_guest_msrs *m = &v->msrs;
	u64 efer;
	int r;

	if (axvlapic_is_msr(msr)) {
		r = axvlapic_msr_write(&v->apic, msr, val);
		/* An IPI for other vcpus: delivered after this window. */
		if (r == AXVLAPIC_LATER)
			v->end_window = true;
		return r == AXVLAPIC_GP ? AXVMX_MSR_GP :
		       r == AXVLAPIC_EXIT ? AXVMX_MSR_EXIT : AXVMX_MSR_DONE;
	}
	switch (msr) {
	case MSR_EFER:
		efer = vmcs_read(GUEST_IA32_EFER);
		if (val & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
			return AXVMX_MSR_GP;
		/* NX is not there while MISC_ENABLE.XD_DISABLE is set. */
		if ((val & EFER_NX) &&
		    (m->misc_enable & MSR_IA32_MISC_ENABLE_XD_DISABLE))
			return AXVMX_MSR_GP;
		/* LME cannot change while paging is on; LMA is read-only. */
		if ((axvmx_get_cr0() & X86_CR0_PG) &&
		    ((val ^ efer) & EFER_LME))
			return AXVMX_MSR_GP;
		val = (val & ~EFER_LMA) | (efer & EFER_LMA);
		axvmx_set_efer(v, val);
		break;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(val))
			return AXVMX_MSR_GP;
		vmcs_write(GUEST_IA32_PAT, val);
		break;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_LSTAR:
	case MSR_CSTAR:
		if (!is_canonical(val))
			return AXVMX_MSR_GP;
		if (msr == MSR_FS_BASE)
			vmcs_write(GUEST_FS_BASE, val);
		else if (msr == MSR_GS_BASE)
			vmcs_write(GUEST_GS_BASE, val);
		else if (msr == MSR_KERNEL_GS_BASE && v->kgs_live)
			wrmsrq(MSR_KERNEL_GS_BASE, val);
		else if (msr == MSR_KERNEL_GS_BASE)
			v->guest_kgs = val;
		else if (msr == MSR_IA32_SYSENTER_ESP)
			vmcs_write(GUEST_SYSENTER_ESP, val);
		else if (msr == MSR_IA32_SYSENTER_EIP)
			vmcs_write(GUEST_SYSENTER_EIP, val);
		else if (msr == MSR_LSTAR)
			m->lstar = val;
		else
			m->cstar = val;
		v->uret_dirty = v->loaded;
		break;
	case MSR_IA32_SYSENTER_CS:
		vmcs_write(GUEST_SYSENTER_CS, (u32)val);
		break;
	case MSR_STAR:
		m->star = val;
		v->uret_dirty = v->loaded;
		break;
	case MSR_SYSCALL_MASK:
		if (val >> 32)
			return AXVMX_MSR_GP;
		m->sfmask = val;
		v->uret_dirty = v->loaded;
		break;
	case MSR_TSC_AUX:
		if (!axvmx_caps.switch_tsc_aux || (val >> 32))
			return AXVMX_MSR_GP;
		m->tsc_aux = val;
		v->uret_dirty = v->loaded;
		break;
	case MSR_IA32_TSC:
		tsc_add(v, val - guest_tsc(v));
		break;
	case MSR_IA32_TSC_ADJUST:
		tsc_add(v, val - m->tsc_adjust);
		break;
	case MSR_IA32_MISC_ENABLE:
		if (val & ~(MISC_ENABLE_RW | MISC_ENABLE_IGNORED))
			return AXVMX_MSR_GP;
		/* CPUID leaves 0 and 0x80000001 change: forget the answers. */
		if ((val ^ m->misc_enable) & MISC_ENABLE_CPUID)
			memset(v->cpuid_cache, 0, sizeof(v->cpuid_cache));
		m->misc_enable = (val & MISC_ENABLE_RW) | MISC_ENABLE_RO;
		break;
	case MSR_IA32_SPEC_CTRL:
	case MSR_IA32_PRED_CMD:
		/* IBRS, STIBP, SSBD, IBPB are not in the guest's CPUID. */
		if (val)
			return AXVMX_MSR_GP;
		break;
	case MSR_IA32_FLUSH_CMD:
		if (val & ~L1D_FLUSH)
			return AXVMX_MSR_GP;
		if (val) {
			if (!boot_cpu_has(X86_FEATURE_FLUSH_L1D))
				return AXVMX_MSR_GP;
			wrmsrq(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		}
		break;
	case MSR_IA32_FEAT_CTL:		/* locked: SDM Vol. 4, table 2-2 */
	case MSR_IA32_MCG_CAP:		/* read-only */
	case MSR_MTRRcap:
		return AXVMX_MSR_GP;
	case MSR_MTRRdefType:
		/* Types UC, WC, WT, WP, WB (SDM Vol. 3A, table 12-8). */
		if ((val & ~MTRR_DEF_TYPE_RW) || (val & 0xff) == 2 ||
		    (val & 0xff) == 3 || (val & 0xff) > 6)
			return AXVMX_MSR_GP;
		m->mtrr_def_type = val;
		break;
	case MSR_IA32_DEBUGCTLMSR:
		/* LBR and BTF are dropped, as KVM does without LBR virtualization. */
		if (val & ~(DEBUGCTLMSR_LBR | DEBUGCTLMSR_BTF))
			return AXVMX_MSR_GP;
		break;
	case MSR_MISC_FEATURES_ENABLES:	/* no CPUID faulting (PLATFORM_INFO) */
		if (val)
			return AXVMX_MSR_GP;
		break;
	case MSR_IA32_UCODE_REV:
		/* Written 0 before CPUID(1); the read after gives the revision. */
		break;
	case MSR_IA32_MCG_STATUS:
		if (val & ~MCG_STATUS_RW)
			return AXVMX_MSR_GP;
		m->mcg_status = val;
		break;
	default:
		return AXVMX_MSR_VMM;
	}
	return AXVMX_MSR_DONE;
}

/*
 * ---- the guest's SYSCALL MSRs and TSC_AUX in the CPU, load to put ----
 *
 * No host code between two entries uses them: the kernel's SYSCALL entry
 * is reached from userspace only, and its NMI and #MC entries find their
 * per-CPU data with LSL, not RDPID, precisely so that a guest's TSC_AUX
 * may be loaded (arch/x86/entry/calling.h).  They are the guest's from
 * vcpu load (or the exit that changed them) to vcpu put, on the way back
 * to userspace or off the CPU.  The SYSCALL MSRs only matter to a guest
 * that can execute SYSCALL/SYSRET, in 64-bit mode with EFER.SCE (else
 * both #UD, SDM Vol. 2B SYSCALL): for any other guest they stay the
 * host's, as KVM does.
 */
enum { URET_STAR, URET_LSTAR, URET_SFMASK, URET_TSC_AUX, AXVMX_NR_URET };

static const u32 uret_msr[AXVMX_NR_URET] = {
	MSR_STAR, MSR_LSTAR, MSR_SYSCALL_MASK, MSR_TSC_AUX,
};

static u64 uret_host(const struct axvmx_host_msrs *h, int i)
{
	return i == URET_STAR ? h->star : i == URET_LSTAR ? h->lstar :
	       i == URET_SFMASK ? h->sfmask : h->tsc_aux;
}

static bool uret_guest(const struct axvmx_vcpu *v, int i, u64 *val)
{
	const struct axvmx_guest_msrs *m = &v->msrs;

	if (i == URET_TSC_AUX) {
		*val = m->tsc_aux;
		return axvmx_caps.switch_tsc_aux;
	}
	*val = i == URET_STAR ? m->star : i == URET_LSTAR ? m->lstar :
	       m->sfmask;
	return (v->efer & (EFER_LMA | EFER_SCE)) == (EFER_LMA | EFER_SCE);
}

/**
 * __axvmx_msrs_load_guest - put the guest's values into the CPU.
 * @v: the vcpu; preemption off (vcpu load) or IRQs off (in a window).
 *
 * Only the MSRs whose guest value differs from the host's are written.
 * Nothing is loaded on a CPU the module may not use (no host values were
 * read there, and no window will open either).
 */
void __axvmx_msrs_load_guest(struct axvmx_vcpu *v)
{
	const struct axvmx_host_msrs *h = axvmx_host_msrs();
	u64 val;
	int i;

	v->uret_dirty = false;
	/* The common case of a guest that cannot SYSCALL: nothing to do. */
	if (!v->uret_mask && !uret_guest(v, URET_STAR, &val) &&
	    (!axvmx_caps.switch_tsc_aux || v->msrs.tsc_aux == h->tsc_aux))
		return;
	if (!axvcpu_arch_hardware_is_enabled())
		return;
	for (i = 0; i < AXVMX_NR_URET; i++) {
		if (uret_guest(v, i, &val) && val != uret_host(h, i)) {
			wrmsrq(uret_msr[i], val);
			v->uret_mask |= BIT(i);
		} else if (v->uret_mask & BIT(i)) {
			wrmsrq(uret_msr[i], uret_host(h, i));
			v->uret_mask &= ~BIT(i);
		}
	}
}

/**
 * axvmx_msrs_put_host - the host's values back (vcpu put).
 * @v: the vcpu; preemption off, on the CPU of the load.
 */
void axvmx_msrs_put_host(struct axvmx_vcpu *v)
{
	const struct axvmx_host_msrs *h = axvmx_host_msrs();
	int i;

	for (i = 0; v->uret_mask && i < AXVMX_NR_URET; i++) {
		if (v->uret_mask & BIT(i))
			wrmsrq(uret_msr[i], uret_host(h, i));
	}
	v->uret_mask = 0;
}

/* ---- AXVCPU_X86_SET_IO_INTERCEPT / AXVCPU_X86_SET_MSR_INTERCEPT ---- */

/* Bit per port in bitmaps A and B, which are one after the other. */
long axvmx_set_io_intercept(struct axvmx_vcpu *v,
			    const struct axvcpu_x86_io_intercept *io)
{
	u32 p;

	if (io->pad || io->intercept > 1 || !io->nr_ports ||
	    io->first_port > 0xffff || io->nr_ports > 0x10000 - io->first_port)
		return -EINVAL;
	/* Real ports for the guest: what ioperm() would need. */
	if (!io->intercept && !capable(CAP_SYS_RAWIO))
		return -EPERM;
	for (p = io->first_port; p < io->first_port + io->nr_ports; p++) {
		if (io->intercept)
			__set_bit(p, v->io_bitmap);
		else
			__clear_bit(p, v->io_bitmap);
	}
	return 0;
}

struct msr_range {
	u32 first, last;
	u32 flags;	/* AXVCPU_X86_MSR_READ / _WRITE: what may pass */
};

/*
 * The MSRs a guest may be given, as an allowlist: every other MSR holds
 * host state that is not switched (syscall entry, per-CPU bases,
 * speculation and power controls, thermal and clock modulation, the PMU
 * with OFFCORE_RSP and PERF_METRICS, LBRs, APERF/MPERF, FRED, PASID,
 * tracing, VMX, machine check, firmware), or state the module emulates,
 * or an index a newer CPU may give a meaning nobody checked here.  What
 * is left are counters that only report: the C-state residency counters,
 * read-only (KVM lets a VMM pass the same through).
 */
static const struct msr_range guest_msrs[] = {
	{ 0x3f8, 0x3fa, AXVCPU_X86_MSR_READ },	/* PKG_C3/C6/C7_RESIDENCY */
	{ 0x3fc, 0x3fe, AXVCPU_X86_MSR_READ },	/* CORE_C3/C6/C7_RESIDENCY */
	{ 0x60d, 0x60d, AXVCPU_X86_MSR_READ },	/* PKG_C2_RESIDENCY */
	{ 0x630, 0x632, AXVCPU_X86_MSR_READ },	/* PKG_C8/C9/C10_RESIDENCY */
	{ 0x660, 0x660, AXVCPU_X86_MSR_READ },	/* CORE_C1_RES */
};

/* Is every MSR of [@first, @last] in the allowlist for @flags? */
static bool guest_may_have(u32 first, u32 last, u32 flags)
{
	u32 msr = first;
	int i;

	while (msr <= last) {
		for (i = 0; i < ARRAY_SIZE(guest_msrs); i++)
			if (msr >= guest_msrs[i].first &&
			    msr <= guest_msrs[i].last &&
			    (guest_msrs[i].flags & flags) == flags)
				break;
		if (i == ARRAY_SIZE(guest_msrs))
			return false;
		if (guest_msrs[i].last >= last)
			return true;
		msr = guest_msrs[i].last + 1;
	}
	return true;
}

/* Byte offsets of the four 1 KiB quarters of the MSR bitmap (SDM 25.6.9). */
#define MSR_BITMAP_READ_LO	0
#define MSR_BITMAP_READ_HI	1024
#define MSR_BITMAP_WRITE_LO	2048
#define MSR_BITMAP_WRITE_HI	3072

static void set_msr_bits(struct axvmx_vcpu *v, u32 base, u32 first, u32 n,
			 bool intercept)
{
	unsigned long *map = (unsigned long *)((u8 *)v->msr_bitmap + base);
	u32 i;

	for (i = first; i < first + n; i++) {
		if (intercept)
			__set_bit(i, map);
		else
			__clear_bit(i, map);
	}
}

long axvmx_set_msr_intercept(struct axvmx_vcpu *v,
			     const struct axvcpu_x86_msr_intercept *mip)
{
	struct axvcpu_x86_msr_intercept mi = *mip;
	u32 rd, wr, idx, last;

	if (!mi.flags || (mi.flags & ~(AXVCPU_X86_MSR_READ |
				       AXVCPU_X86_MSR_WRITE)) ||
	    mi.intercept > 1 || !mi.nr_msrs || mi.nr_msrs > 0x2000)
		return -EINVAL;
	if (mi.first_msr <= 0x1fff) {
		idx = mi.first_msr;
		rd = MSR_BITMAP_READ_LO;
		wr = MSR_BITMAP_WRITE_LO;
	} else if (mi.first_msr >= 0xc0000000 && mi.first_msr <= 0xc0001fff) {
		idx = mi.first_msr - 0xc0000000;
		rd = MSR_BITMAP_READ_HI;
		wr = MSR_BITMAP_WRITE_HI;
	} else {
		return -EINVAL;
	}
	if (mi.nr_msrs > 0x2000 - idx)
		return -EINVAL;
	last = mi.first_msr + mi.nr_msrs - 1;
	if (!mi.intercept) {
		if (!guest_may_have(mi.first_msr, last, mi.flags))
			return -EPERM;
		/* A real MSR for the guest: what /dev/cpu/N/msr would need. */
		if (!capable(CAP_SYS_RAWIO))
			return -EPERM;
	}
	if (mi.flags & AXVCPU_X86_MSR_READ)
		set_msr_bits(v, rd, idx, mi.nr_msrs, mi.intercept);
	if (mi.flags & AXVCPU_X86_MSR_WRITE)
		set_msr_bits(v, wr, idx, mi.nr_msrs, mi.intercept);
	return 0;
}
