// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: what the machine offers, and per-CPU enable.
 *
 * Under VHE nothing has to be switched on per CPU: the kernel already
 * runs at EL2 and KVM may be using it too.  So "enable" takes nothing
 * permanently; it only checks this CPU and records that it may run our
 * guests.  The module's vectors go into VBAR_EL2 only inside the run
 * window (switch.c).
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/atomic.h>
#include <linux/sizes.h>
#include <asm/virt.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>
#include <asm/kvm_arm.h>
#include <linux/irqchip/arm-gic-v3.h>

#include "axvcpu_arch.h"
#include "arm64.h"

struct axv_arm_caps axv_arm_caps;
DEFINE_PER_CPU(struct axv_arm_percpu, axv_arm_percpu);
DEFINE_PER_CPU(u64, axv_arm_host_vbar);

static const u8 parange_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

static bool cpu_has_gicv3_sysregs(void)
{
	u64 pfr0 = read_sysreg_s(SYS_ID_AA64PFR0_EL1);

	/* GIC field: 1 = GICv3/v4 system-register CPU interface present. */
	if (!((pfr0 >> ID_AA64PFR0_EL1_GIC_SHIFT) & 0xf))
		return false;
	/* The host must be using it (not the GICv2 memory-mapped one). */
	return read_sysreg_s(SYS_ICC_SRE_EL2) & ICC_SRE_EL2_SRE;
}

const char *axvcpu_arch_hardware_supported(int *errno_out)
{
	*errno_out = -ENODEV;
	/* Stage 2 maps each pinned page with one 4 KiB descriptor. */
	if (PAGE_SIZE != SZ_4K)
		return "kernel page size is not 4 KiB";
	if (!is_kernel_in_hyp_mode())
		return "kernel not running at EL2 (booted in nVHE mode, or EL2 not available): VHE required";
	if (!has_vhe() || !(read_sysreg(hcr_el2) & HCR_E2H))
		return "kernel at EL2 without VHE (HCR_EL2.E2H=0)";
	if (!cpu_has_gicv3_sysregs())
		return "no GICv3 system-register CPU interface (list registers needed)";
	*errno_out = 0;
	return NULL;
}

/**
 * axv_arm_log_cpu - log the machine's facts once, from the first CPU
 *	that gets enabled.
 */
void axv_arm_log_cpu(void)
{
	u64 mmfr0 = read_sysreg_s(SYS_ID_AA64MMFR0_EL1);
	u64 mmfr1 = read_sysreg_s(SYS_ID_AA64MMFR1_EL1);
	u64 vtr = read_sysreg_s(SYS_ICH_VTR_EL2);

	static atomic_t logged = ATOMIC_INIT(0);

	if (atomic_xchg(&logged, 1))
		return;
	pr_info("arm64 VHE: PARange=%llu VMIDBits=%s list registers=%llu GICv3 sysregs=%d IPA=%u bits FWB=%d RAS=%d FGT=%u HCX=%d\n",
		mmfr0 & 0xf,
		((mmfr1 >> ID_AA64MMFR1_EL1_VMIDBits_SHIFT) & 0xf) == 2 ?
		"16" : "8",
		(vtr & 0xf) + 1, cpu_has_gicv3_sysregs(),
		axv_arm_caps.ipa_bits, axv_arm_caps.fwb, axv_arm_caps.ras,
		axv_arm_caps.fgt, axv_arm_caps.hcx);
}

int axvcpu_arch_hardware_enable(void)
{
	struct axv_arm_percpu *pc = this_cpu_ptr(&axv_arm_percpu);
	int err;

	if (axvcpu_arch_hardware_supported(&err)) {
		pr_err_ratelimited("CPU %d cannot run guests\n",
				   smp_processor_id());
		return err;
	}
	if (((read_sysreg_s(SYS_ICH_VTR_EL2) & 0xf) + 1) < axv_arm_caps.nr_lr) {
		pr_err("CPU %d has fewer GIC list registers than CPU 0\n",
		       smp_processor_id());
		return -ENODEV;
	}
	axv_arm_spectre_cpu_init();
	axv_arm_log_cpu();
	axv_arm_vgic_reset_cpu();
	pc->last_vcpu_uid = 0;
	pc->enabled = true;
	return 0;
}

void axvcpu_arch_hardware_disable(void)
{
	struct axv_arm_percpu *pc = this_cpu_ptr(&axv_arm_percpu);

	pc->enabled = false;
	pc->last_vcpu_uid = 0;
}

bool axvcpu_arch_hardware_is_enabled(void)
{
	return this_cpu_ptr(&axv_arm_percpu)->enabled;
}

long axvcpu_arch_check_extension(long cap)
{
	switch (cap) {
	case AXVCPU_CAP_ARCH:
		return AXVCPU_ARCH_ARM64;
	case AXVCPU_CAP_MAX_GPA_BITS:
		return axv_arm_caps.ipa_bits;
	default:
		return 0;
	}
}

/*
 * The IPA space: as large as the CPU's PARange allows, capped at 48 bits
 * (4 levels of 4K tables, no 52-bit descriptors).  The same VTCR_EL2 is
 * used on every CPU, so it comes from the sanitised (system-wide) value.
 */
static void axv_arm_probe(void)
{
	struct axv_arm_caps *c = &axv_arm_caps;
	u64 mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
	u32 ps, t0sz, sl0;

	c->pa_range = mmfr0 & 0xf;
	ps = min_t(u32, c->pa_range, 5);	/* 5 = 48 bits */
	c->ipa_bits = parange_bits[ps];
	t0sz = 64 - c->ipa_bits;
	if (c->ipa_bits > 39) {
		c->start_level = 0;
		sl0 = 2;
	} else {
		c->start_level = 1;
		sl0 = 1;
	}
	/* T0SZ, SL0, inner/outer WBWA inner-shareable walks, 4K, PS. */
	c->vtcr = VTCR_EL2_RES1 | t0sz | (sl0 << 6) | (1 << 8) | (1 << 10) |
		  (3 << 12) | ((u64)ps << 16);

	/* CTR_EL0.L1Ip == 0b11: PIPT, no line is tied to a VM's addresses. */
	c->icache_pipt = ((read_sanitised_ftr_reg(SYS_CTR_EL0) >> 14) & 3) == 3;
	c->fwb = cpus_have_final_cap(ARM64_HAS_STAGE2_FWB);
	c->ras = cpus_have_final_cap(ARM64_HAS_RAS_EXTN);
	c->spec_at = cpus_have_final_cap(ARM64_WORKAROUND_SPECULATIVE_AT);
	c->fgt = (mmfr0 >> 56) & 0xf;
	c->hcx = ((read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1) >> 40) & 0xf) != 0;
}

int axvcpu_arch_init(void)
{
	int err;
	u64 vtr;

	/* Refusal is reported when a VM is created; load anyway. */
	if (axvcpu_arch_hardware_supported(&err))
		return 0;
	axv_arm_probe();
	axv_arm_debug_init();
	err = axv_arm_vmid_init();
	if (err)
		return err;
	vtr = read_sysreg_s(SYS_ICH_VTR_EL2);
	axv_arm_caps.nr_lr = (vtr & 0xf) + 1;
	/* PREbits + 1 = 5, 6, 7 bits -> 1, 2, 4 active-priority registers */
	axv_arm_caps.nr_apr = 1 << clamp_t(int, ((vtr >> 26) & 7) + 1 - 5, 0, 2);
	return 0;
}

void axvcpu_arch_exit(void)
{
	axv_arm_vmid_exit();
}
