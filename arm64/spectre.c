// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: branch-predictor hardening of the guest exit.
 *
 * A guest can train the branch predictor (Spectre-v2, CVE-2017-5715) and
 * fill the branch history (Spectre-BHB, CVE-2022-23960) so that the host
 * mispredicts into gadgets of its choice after the exit.  KVM hardens its
 * guest-exit vectors on the cores that need it; the kernel's patching
 * callbacks for those vectors are not exported, so entry.S carries one
 * table per mitigation and this file picks one per CPU, following the
 * host's own decision:
 *
 * - affected or not: the kernel's ARM64_SPECTRE_V2 / ARM64_SPECTRE_BHB
 *   errata matches for this CPU (this_cpu_has_cap(), which evaluates the
 *   kernel's own MIDR lists, CSV2 and the firmware's answer);
 * - how, in the kernel's order: FEAT_ECBHB (the exception itself clears
 *   the history, nothing to do), FEAT_CLRBHB, the branchy loop with this
 *   core's k, the firmware's SMCCC_ARCH_WORKAROUND_3; Spectre-v2 through
 *   SMCCC_ARCH_WORKAROUND_1 where the firmware implements it, WA3 then
 *   covering both;
 * - "mitigations=off" turns both off, as it does for the host.
 *   "nospectre_v2" and "nospectre_bhb" are not visible to a module: with
 *   them the module still mitigates (the safe side).
 *
 * The parameter arm64_mitigations shows what each CPU does and how many
 * exits went through a mitigated table; writing "loop" or "clrbhb" forces
 * that sequence on every CPU (for tests; it only adds work), "auto" goes
 * back to the host's choice.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/arm-smccc.h>
#include <linux/cpu.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/cputype.h>
#include <asm/sysreg.h>

#include "arm64.h"

enum spec_state { UNAFFECTED, MITIGATED, HARDWARE, VULNERABLE, OFF };
static const char * const state_name[] = {
	[UNAFFECTED] = "unaffected", [MITIGATED] = "mitigated",
	[HARDWARE] = "hardware",
	[VULNERABLE] = "vulnerable", [OFF] = "off",
};
static const char * const table_name[AXV_SPEC_NR] = {
	[AXV_SPEC_NONE] = "none", [AXV_SPEC_LOOP] = "loop",
	[AXV_SPEC_CLRBHB] = "clrbhb", [AXV_SPEC_WA1] = "wa1",
	[AXV_SPEC_WA3] = "wa3",
};
static char * const tables[AXV_SPEC_NR] = {
	[AXV_SPEC_NONE] = __axv_arm_vectors,
	[AXV_SPEC_LOOP] = __axv_arm_vectors_loop,
	[AXV_SPEC_CLRBHB] = __axv_arm_vectors_clrbhb,
	[AXV_SPEC_WA1] = __axv_arm_vectors_wa1,
	[AXV_SPEC_WA3] = __axv_arm_vectors_wa3,
};

struct spec_cpu {
	u8 v2, bhb, table;
	bool selected;
};
static DEFINE_PER_CPU(struct spec_cpu, spec_cpu);
DEFINE_PER_CPU(unsigned long, axv_arm_guest_vectors);
DEFINE_PER_CPU(u64, axv_arm_spec_runs);		/* counted by entry.S */
/* Loop count of the LOOP table: the largest k of any CPU (entry.S). */
u32 axv_arm_bhb_k;

/* Forced table for tests: AXV_SPEC_NONE means "follow the host". */
static int force_table = AXV_SPEC_NONE;

/*
 * Branch-history depth k per core (Arm's Spectre-BHB whitepaper, the
 * same values as Linux 7.3's spectre_bhb_loop_affected()).  Part numbers
 * are spelled out because older kernels' cputype.h lack some names.
 */
static const struct { u8 imp; u16 part; u8 k; } bhb_k[] = {
	{ 0x41, 0xd4e, 132 }, { 0x41, 0xd4f, 132 },	/* X3, Neoverse V2 */
	{ 0x41, 0xd4d, 38 }, { 0x41, 0xd81, 38 },	/* A715, A720 */
	{ 0x41, 0xd89, 38 },				/* A720AE */
	{ 0x41, 0xd41, 32 }, { 0x41, 0xd42, 32 },	/* A78, A78AE */
	{ 0x41, 0xd4b, 32 }, { 0x41, 0xd44, 32 },	/* A78C, X1 */
	{ 0x41, 0xd4c, 32 }, { 0x41, 0xd47, 32 },	/* X1C, A710 */
	{ 0x41, 0xd48, 32 }, { 0x41, 0xd49, 32 },	/* X2, Neoverse N2 */
	{ 0x41, 0xd40, 32 }, { 0x48, 0xd01, 32 },	/* Neoverse V1, TSV110 */
	{ 0x41, 0xd0b, 24 }, { 0x41, 0xd0e, 24 },	/* A76, A76AE */
	{ 0x41, 0xd0d, 24 }, { 0x41, 0xd0c, 24 },	/* A77, Neoverse N1 */
	{ 0x51, 0x804, 24 }, { 0x48, 0xd02, 24 },	/* Kryo 4xx Gold, HIP09 */
	{ 0xc0, 0xac3, 11 },				/* AmpereOne */
	{ 0x41, 0xd08, 8 }, { 0x41, 0xd07, 8 },		/* A72, A57 */
};

static u8 this_cpu_bhb_k(void)
{
	u32 midr = read_cpuid_id();
	int i;

	for (i = 0; i < ARRAY_SIZE(bhb_k); i++)
		if (MIDR_IMPLEMENTOR(midr) == bhb_k[i].imp &&
		    MIDR_PARTNUM(midr) == bhb_k[i].part)
			return bhb_k[i].k;
	return 0;
}

/* Does the EL3 firmware implement workaround @fn for this CPU? */
static bool fw_workaround(u32 fn)
{
	struct arm_smccc_res res;

	/* Under VHE the kernel is at EL2: its firmware is reached by SMC. */
	if (arm_smccc_1_1_get_conduit() != SMCCC_CONDUIT_SMC)
		return false;
	arm_smccc_1_1_smc(ARM_SMCCC_ARCH_FEATURES_FUNC_ID, fn, &res);
	return (int)res.a0 == SMCCC_RET_SUCCESS;
}

/* With preemption disabled (this_cpu_has_cap() asks it). */
static void select_this_cpu(void *unused)
{
	struct spec_cpu *sc = this_cpu_ptr(&spec_cpu);
	u64 mmfr1 = read_sysreg_s(SYS_ID_AA64MMFR1_EL1);
	u64 isar2 = read_sysreg_s(SYS_ID_AA64ISAR2_EL1);
	u8 k = this_cpu_bhb_k();

	sc->table = AXV_SPEC_NONE;
	if (!this_cpu_has_cap(ARM64_SPECTRE_V2)) {
		sc->v2 = UNAFFECTED;
	} else if (cpu_mitigations_off()) {
		sc->v2 = OFF;
	} else if (fw_workaround(ARM_SMCCC_ARCH_WORKAROUND_1)) {
		sc->v2 = MITIGATED;
		sc->table = AXV_SPEC_WA1;
	} else {
		sc->v2 = VULNERABLE;
	}

	if (!this_cpu_has_cap(ARM64_SPECTRE_BHB)) {
		sc->bhb = UNAFFECTED;
	} else if (sc->v2 == VULNERABLE) {
		/* As the kernel: no point mitigating BHB alone. */
		sc->bhb = VULNERABLE;
	} else if (cpu_mitigations_off()) {
		sc->bhb = OFF;
	} else if ((mmfr1 >> 60) & 0xf) {	/* ID_AA64MMFR1_EL1.ECBHB */
		sc->bhb = HARDWARE;
	} else if ((isar2 >> 28) & 0xf) {	/* ID_AA64ISAR2_EL1.CLRBHB */
		sc->bhb = MITIGATED;
		if (sc->table == AXV_SPEC_NONE)
			sc->table = AXV_SPEC_CLRBHB;
	} else if (k) {
		/*
		 * A57/A72 that call WA1 need no loop on top (Linux: "the
		 * spectre-indirect vector ... is sufficient for BHB too").
		 */
		sc->bhb = MITIGATED;
		if (sc->table == AXV_SPEC_NONE)
			sc->table = AXV_SPEC_LOOP;
	} else if (fw_workaround(ARM_SMCCC_ARCH_WORKAROUND_3)) {
		sc->bhb = MITIGATED;
		sc->table = AXV_SPEC_WA3;
	} else {
		sc->bhb = VULNERABLE;
	}

	if (force_table != AXV_SPEC_NONE) {
		sc->table = force_table;
		k = max_t(u8, k, 8);
	}
	/* Only grows: a CPU may be in its run window with the old value. */
	if (k > READ_ONCE(axv_arm_bhb_k))
		WRITE_ONCE(axv_arm_bhb_k, k);
	sc->selected = true;
	__this_cpu_write(axv_arm_guest_vectors,
			 (unsigned long)tables[sc->table]);
}

/**
 * axv_arm_spectre_cpu_init - choose this CPU's guest-exit vectors.
 *
 * Called where a CPU is enabled for guests (preemption disabled), before
 * its first run window.
 */
void axv_arm_spectre_cpu_init(void)
{
	select_this_cpu(NULL);
}

static int mitigations_set(const char *val, const struct kernel_param *kp)
{
	int t;

	if (sysfs_streq(val, "auto"))
		t = AXV_SPEC_NONE;
	else if (sysfs_streq(val, "loop"))
		t = AXV_SPEC_LOOP;
	else if (sysfs_streq(val, "clrbhb"))
		t = AXV_SPEC_CLRBHB;
	else
		return -EINVAL;
	/*
	 * Every CPU re-selects in its IPI; none is inside a run window then
	 * (it runs with interrupts masked), so each window sees one table.
	 */
	cpus_read_lock();
	WRITE_ONCE(force_table, t);
	on_each_cpu(select_this_cpu, NULL, 1);
	cpus_read_unlock();
	return 0;
}

/* "cpuN: v2=... bhb=... vectors=..." per CPU, then k and the count. */
static int mitigations_get(char *buf, const struct kernel_param *kp)
{
	u64 runs = 0;
	int cpu, n = 0;

	for_each_possible_cpu(cpu) {
		struct spec_cpu *sc = per_cpu_ptr(&spec_cpu, cpu);

		runs += per_cpu(axv_arm_spec_runs, cpu);
		if (!sc->selected || n > PAGE_SIZE - 128)
			continue;
		n += scnprintf(buf + n, PAGE_SIZE - n,
			       "cpu%d: spectre_v2=%s spectre_bhb=%s vectors=%s\n",
			       cpu, state_name[sc->v2], state_name[sc->bhb],
			       table_name[sc->table]);
	}
	n += scnprintf(buf + n, PAGE_SIZE - n, "forced=%s bhb_k=%u runs=%llu\n",
		       force_table == AXV_SPEC_NONE ? "no" :
		       table_name[force_table], READ_ONCE(axv_arm_bhb_k), runs);
	return n;
}

static const struct kernel_param_ops mitigations_ops = {
	.set = mitigations_set,
	.get = mitigations_get,
};
module_param_cb(arm64_mitigations, &mitigations_ops, NULL, 0644);
MODULE_PARM_DESC(arm64_mitigations,
		 "guest-exit Spectre-v2/BHB hardening per CPU (write auto, loop or clrbhb)");
