// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: vcpu load/put and the world switch under VHE.
 *
 * The host kernel runs at EL2 with HCR_EL2.{E2H,TGE} = {1,1}; the guest
 * runs at EL1 with TGE = 0.  With E2H = 1 the host's own accesses to the
 * EL1 register names go to the EL2 registers (Arm ARM, DDI 0487,
 * "Virtualization Host Extensions": redirection of EL1 System register
 * accesses), so the EL1 registers proper, reached through the EL12/EL02
 * encodings, hold nothing of the host's: the guest's context can stay in
 * them from vcpu load to vcpu put, as KVM's kvm_vcpu_load_vhe() keeps it.
 * Only what host code between two entries can use is switched per entry:
 *
 *  at load (axv_arm_load), from the scheduler's or RUN's start:
 *    the guest EL1/EL12 registers, SP_EL1, TPIDR_EL1, PAR_EL1, CSSELR_EL1
 *    (not redirected, but unused by a VHE host), the user-visible
 *    TPIDR_EL0/TPIDRRO_EL0 (the host's only matter in host EL0, which
 *    cannot run before put), VMPIDR, CNTVOFF, CNTHCTL's EL1 bits, the
 *    timers' compare values, MDCR_EL2, the GIC's VMCR/APRs, stage 2
 *    (VTCR/VTTBR);
 *  per entry (axv_arm_world_switch), because the host uses them at EL2:
 *    HCR_EL2 (TGE), VBAR_EL2 (the host's vectors take its interrupts),
 *    CPTR_EL2 (the host's kernel-mode FP/SIMD at EL2), MDSCR_EL1 (the
 *    host's debug state, not redirected), the timers' CTL (an enabled
 *    guest timer would assert its PPI at the host); the list registers
 *    and ICH_HCR_EL2.En only for an entry with an interrupt in them;
 *  at put (axv_arm_put): the guest values saved, the host's user-visible
 *    and EL2 values back (not VMPIDR: see there).
 *
 * Everything here runs with preemption disabled; the world switch also
 * with DAIF masked, and it is noinstr or always-inline so that no probe or
 * tracer runs while guest state is live.
 */
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/arm-smccc.h>
#include <asm/sysreg.h>
#include <asm/kvm_arm.h>
#include <asm/barrier.h>
#include <asm/cputype.h>
#include <asm/tlbflush.h>
#include <clocksource/arm_arch_timer.h>

#include "axvcpu_arch.h"
#include "arm64.h"
#include "arm64_compat.h"
#include "trace/axvcpu.h"

#define CPTR_FPEN	(CPACR_EL1_FPEN_EL0EN | CPACR_EL1_FPEN_EL1EN)
#define CPTR_ZEN	(CPACR_EL1_ZEN_EL0EN | CPACR_EL1_ZEN_EL1EN)
#define CPTR_SMEN	(BIT(24) | BIT(25))

/* CNTHCTL_EL2 under E2H: EL1PCTEN is bit 10, EL1PCEN bit 11. */
#define CNTHCTL_E2H_EL1PCTEN	BIT(10)
#define CNTHCTL_E2H_EL1PCEN	BIT(11)

#define DISR_EL1_A		BIT(31)

/*
 * Write a register only when it differs: when the same vcpu comes back
 * to a CPU most of them already hold its values, a read is cheaper than
 * a write, and in an emulator each write of a translation or timer
 * register costs a TLB flush or a timer update.
 */
#define load_el12(val, reg)					\
	do {							\
		u64 __v = (val);				\
								\
		if (read_sysreg_s(reg) != __v)			\
			write_sysreg_s(__v, reg);		\
	} while (0)

#define load_reg(val, name)					\
	do {							\
		u64 __v = (val);				\
								\
		if (read_sysreg(name) != __v)			\
			write_sysreg(__v, name);		\
	} while (0)

static void load_guest_el1(struct axv_arm_vcpu *av)
{
	struct axv_arm_sysregs *s = &av->sys;
	u64 cnthctl;

	load_reg(read_cpuid_id(), vpidr_el2);
	load_reg(s->vmpidr, vmpidr_el2);
	load_el12(s->sctlr, SYS_SCTLR_EL12);
	load_el12(s->cpacr, SYS_CPACR_EL12);
	load_el12(s->ttbr0, SYS_TTBR0_EL12);
	load_el12(s->ttbr1, SYS_TTBR1_EL12);
	load_el12(s->tcr, SYS_TCR_EL12);
	load_el12(s->esr, SYS_ESR_EL12);
	load_el12(s->afsr0, SYS_AFSR0_EL12);
	load_el12(s->afsr1, SYS_AFSR1_EL12);
	load_el12(s->far, SYS_FAR_EL12);
	load_el12(s->mair, SYS_MAIR_EL12);
	load_el12(s->amair, SYS_AMAIR_EL12);
	load_el12(s->vbar, SYS_VBAR_EL12);
	load_el12(s->contextidr, SYS_CONTEXTIDR_EL12);
	load_el12(s->cntkctl, SYS_CNTKCTL_EL12);
	load_el12(s->spsr, SYS_SPSR_EL12);
	load_el12(s->elr, SYS_ELR_EL12);
	/* No EL12 alias, and no use in a VHE host: the guest's until put. */
	load_reg(s->sp_el1, sp_el1);
	load_reg(s->tpidr_el1, tpidr_el1);
	load_reg(s->par_el1, par_el1);
	load_reg(s->csselr, csselr_el1);
	load_reg(s->tpidr_el0, tpidr_el0);
	load_reg(s->tpidrro_el0, tpidrro_el0);

	/* Timers: the guest's view of the counters and its EL1 timers. */
	load_reg(s->cntvoff, cntvoff_el2);
	cnthctl = av->host.cnthctl | CNTHCTL_E2H_EL1PCTEN;
	if (av->passthrough_timer)
		cnthctl |= CNTHCTL_E2H_EL1PCEN;
	else
		cnthctl &= ~CNTHCTL_E2H_EL1PCEN;
	load_reg(cnthctl, cnthctl_el2);
	/* CTL is parked at 0 until the entry writes the guest's value. */
	load_el12(s->cntv_cval, SYS_CNTV_CVAL_EL02);
	load_el12(0, SYS_CNTV_CTL_EL02);
	av->timer_parked[AXV_ARM_VTIMER] = s->cntv_ctl != 0;
	if (av->passthrough_timer) {
		load_el12(s->cntp_cval, SYS_CNTP_CVAL_EL02);
		load_el12(0, SYS_CNTP_CTL_EL02);
		av->timer_parked[AXV_ARM_PTIMER] = s->cntp_ctl != 0;
	}
}

static void save_guest_el1(struct axv_arm_vcpu *av)
{
	struct axv_arm_sysregs *s = &av->sys;

	s->sctlr = read_sysreg_s(SYS_SCTLR_EL12);
	s->cpacr = read_sysreg_s(SYS_CPACR_EL12);
	s->ttbr0 = read_sysreg_s(SYS_TTBR0_EL12);
	s->ttbr1 = read_sysreg_s(SYS_TTBR1_EL12);
	s->tcr = read_sysreg_s(SYS_TCR_EL12);
	s->esr = read_sysreg_s(SYS_ESR_EL12);
	s->afsr0 = read_sysreg_s(SYS_AFSR0_EL12);
	s->afsr1 = read_sysreg_s(SYS_AFSR1_EL12);
	s->far = read_sysreg_s(SYS_FAR_EL12);
	s->mair = read_sysreg_s(SYS_MAIR_EL12);
	s->amair = read_sysreg_s(SYS_AMAIR_EL12);
	s->vbar = read_sysreg_s(SYS_VBAR_EL12);
	s->contextidr = read_sysreg_s(SYS_CONTEXTIDR_EL12);
	s->cntkctl = read_sysreg_s(SYS_CNTKCTL_EL12);
	s->spsr = read_sysreg_s(SYS_SPSR_EL12);
	s->elr = read_sysreg_s(SYS_ELR_EL12);
	s->sp_el1 = read_sysreg(sp_el1);
	s->tpidr_el1 = read_sysreg(tpidr_el1);
	s->par_el1 = read_sysreg(par_el1);
	s->csselr = read_sysreg(csselr_el1);
	s->tpidr_el0 = read_sysreg(tpidr_el0);
	s->tpidrro_el0 = read_sysreg(tpidrro_el0);
	/* CTL is saved by every exit; the guest may have moved CVAL since. */
	s->cntv_cval = read_sysreg_s(SYS_CNTV_CVAL_EL02);
	if (av->passthrough_timer)
		s->cntp_cval = read_sysreg_s(SYS_CNTP_CVAL_EL02);
}

/*
 * Extensions newer than this backend (Armv8.7 on) add EL0/EL1 registers
 * it neither switches nor offers (POR_EL0/EL1, PIR(E0)_EL1, TCR2_EL1,
 * SCTLR2_EL1, FPMR, the GCS registers, BRBE...).  Their ID fields read 0
 * for the guest (exit.c), and where the CPU has the controls they are
 * trapped for real, so a guest that ignores the ID registers reaches
 * none of them, nor another guest's or the VMM's values:
 *  - HCRX_EL2 = 0: every enable of FEAT_HCX off (TCR2En, SCTLR2En, EnFPM,
 *    GCSEn, MSCEn, EnALS...); the instructions and registers they gate
 *    trap or UNDEF at EL1/EL0.
 *  - the fine-grained trap registers = 0: their positive bits trap
 *    nothing beyond the coarse HCR_EL2/MDCR_EL2 traps, and their "n"
 *    bits (nPOR_EL1, nPIR_EL1, nTPIDR2_EL0, nGCS_EL1, nBRBDATA...), which
 *    trap when 0, trap every register of the newer features.
 * These act on EL0/EL1 only while HCR_EL2.TGE is clear (Arm ARM, DDI
 * 0487, D19 "HCRX_EL2", "HFGRTR_EL2"), so they are switched at load and
 * put like MDCR_EL2: the host's EL0 does not run in between.
 */
static unsigned int nr_fgt_regs(void)
{
	if (!axv_arm_caps.fgt)
		return 0;
	return axv_arm_caps.fgt >= 2 ? 10 : 5;	/* FGT2 adds five */
}

/*
 * The trap registers by index, in load order: mrs_s/msr_s take the
 * encoding as an immediate, so each one is its own instruction.
 */
static u64 fgt_read(unsigned int i)
{
	switch (i) {
	case 0:
		return read_sysreg_s(AXV_SYS_HFGRTR_EL2);
	case 1:
		return read_sysreg_s(AXV_SYS_HFGWTR_EL2);
	case 2:
		return read_sysreg_s(AXV_SYS_HFGITR_EL2);
	case 3:
		return read_sysreg_s(AXV_SYS_HDFGRTR_EL2);
	case 4:
		return read_sysreg_s(AXV_SYS_HDFGWTR_EL2);
	case 5:
		return read_sysreg_s(AXV_SYS_HFGRTR2_EL2);
	case 6:
		return read_sysreg_s(AXV_SYS_HFGWTR2_EL2);
	case 7:
		return read_sysreg_s(AXV_SYS_HFGITR2_EL2);
	case 8:
		return read_sysreg_s(AXV_SYS_HDFGRTR2_EL2);
	case 9:
		return read_sysreg_s(AXV_SYS_HDFGWTR2_EL2);
	}
	return 0;
}

static void fgt_write(unsigned int i, u64 v)
{
	switch (i) {
	case 0:
		write_sysreg_s(v, AXV_SYS_HFGRTR_EL2);
		break;
	case 1:
		write_sysreg_s(v, AXV_SYS_HFGWTR_EL2);
		break;
	case 2:
		write_sysreg_s(v, AXV_SYS_HFGITR_EL2);
		break;
	case 3:
		write_sysreg_s(v, AXV_SYS_HDFGRTR_EL2);
		break;
	case 4:
		write_sysreg_s(v, AXV_SYS_HDFGWTR_EL2);
		break;
	case 5:
		write_sysreg_s(v, AXV_SYS_HFGRTR2_EL2);
		break;
	case 6:
		write_sysreg_s(v, AXV_SYS_HFGWTR2_EL2);
		break;
	case 7:
		write_sysreg_s(v, AXV_SYS_HFGITR2_EL2);
		break;
	case 8:
		write_sysreg_s(v, AXV_SYS_HDFGRTR2_EL2);
		break;
	case 9:
		write_sysreg_s(v, AXV_SYS_HDFGWTR2_EL2);
		break;
	}
}

static void load_newer_traps(struct axv_arm_host *h)
{
	unsigned int i, n = nr_fgt_regs();

	if (axv_arm_caps.hcx) {
		h->hcrx = read_sysreg_s(AXV_SYS_HCRX_EL2);
		write_sysreg_s(0, AXV_SYS_HCRX_EL2);
	}
	for (i = 0; i < n; i++) {
		h->fgt[i] = fgt_read(i);
		fgt_write(i, 0);
	}
}

static void put_newer_traps(struct axv_arm_host *h)
{
	unsigned int i, n = nr_fgt_regs();

	if (axv_arm_caps.hcx)
		write_sysreg_s(h->hcrx, AXV_SYS_HCRX_EL2);
	for (i = 0; i < n; i++)
		fgt_write(i, h->fgt[i]);
}

/**
 * axv_arm_load - put the vcpu's EL1 context into this CPU.
 * @av: the vcpu, not loaded anywhere.
 * @avm: its VM.
 *
 * Preemption disabled.  The host values replaced here come back in
 * axv_arm_put(), which must run on this CPU before the host runs
 * anything at EL0 (the core calls it at the end of RUN and from the
 * scheduler's sched_out).
 */
void axv_arm_load(struct axv_arm_vcpu *av, struct axv_arm_vm *avm)
{
	struct axv_arm_percpu *pc = this_cpu_ptr(&axv_arm_percpu);
	struct axv_arm_host *h = &av->host;
	struct axv_arm_vgic *g = &av->vgic;

	if (av->loaded)
		return;
	/* Constant while the vcpu is loaded: read once, restored per exit. */
	h->hcr = read_sysreg(hcr_el2);
	h->vbar = read_sysreg(vbar_el2);
	__this_cpu_write(axv_arm_host_vbar, h->vbar);
	/* Replaced until put. */
	h->mdcr = read_sysreg(mdcr_el2);
	h->cnthctl = read_sysreg(cnthctl_el2);
	h->tpidr_el0 = read_sysreg(tpidr_el0);
	h->tpidrro_el0 = read_sysreg(tpidrro_el0);

	load_guest_el1(av);
	/*
	 * MDCR_EL2's traps act on EL0/EL1 only, and host EL0 does not run
	 * before put; the host's HPMN partition is kept.
	 */
	write_sysreg(av->mdcr | (h->mdcr & MDCR_EL2_HPMN_MASK), mdcr_el2);
	load_newer_traps(h);
	axv_arm_vgic_load(g);

	/*
	 * Stage 2 of the VM.  Errata 1165522/1530923 let the CPU speculate
	 * EL1&0 walks with whatever is loaded as soon as TGE is clear: stage
	 * 1 and 2 must be in place, and synchronised, before the first
	 * entry clears it (KVM's __load_stage2()).
	 */
	load_reg(axv_arm_caps.vtcr, vtcr_el2);
	load_reg(avm->vttbr, vttbr_el2);
	if (axv_arm_caps.spec_at)
		isb();

	/*
	 * TLB entries another vcpu left here under the same VMID go at the
	 * first entry, when TGE is clear and the TLBI targets the guest
	 * regime (stage2.c: the VMID schemes).  On VMID 0, which all VMs
	 * without a VMID of their own share, that is everything; within a VM
	 * only stage 1 differs between vcpus (KVM's last_vcpu_ran).
	 */
	if (!avm->vmid) {
		if (pc->last_vcpu_uid != av->uid) {
			av->need_flush = AXV_ARM_FLUSH_S12;
			pc->last_vcpu_uid = av->uid;
			trace_axvcpu_flush(av->vcpu->vm, av->vcpu->id,
					   AXVCPU_TRACE_FLUSH_CPU);
		}
	} else if (*this_cpu_ptr(avm->last_vcpu) != av->uid) {
		av->need_flush = AXV_ARM_FLUSH_S1;
		*this_cpu_ptr(avm->last_vcpu) = av->uid;
		trace_axvcpu_flush(av->vcpu->vm, av->vcpu->id,
				   AXVCPU_TRACE_FLUSH_CPU_S1);
	}
	av->loaded = true;
}

/**
 * axv_arm_put - save the vcpu's EL1 context, give the host its values.
 * @av: the vcpu, loaded on this CPU (else nothing is done).
 *
 * Preemption disabled, maybe IRQs off and the runqueue locked (sched_out):
 * register accesses only.
 *
 * VMPIDR_EL2 keeps the guest's value: it is only what EL1 reads of
 * MPIDR_EL1 return (Arm ARM, DDI 0487, VMPIDR_EL2), the host at EL2 and
 * in EL0 with HCR_EL2.TGE set never sees it, and KVM writes it at its own
 * vcpu load; the next load of this vcpu then finds it in place.
 * (VPIDR_EL2 is never changed: the guest sees the host's MIDR.)  CNTHCTL
 * comes back, as KVM on 6.1 sets its EL1 bits only once per CPU.
 *
 * No ISB: what is written here acts on host EL0 only, which is reached
 * through an exception return, a context synchronization event, and a
 * task switch's direct reads of TPIDR_EL0 see the value written here
 * without one (Arm ARM, "Synchronization requirements for AArch64 System
 * registers").
 */
void axv_arm_put(struct axv_arm_vcpu *av)
{
	struct axv_arm_host *h = &av->host;

	if (!av->loaded)
		return;
	save_guest_el1(av);
	axv_arm_vgic_put(&av->vgic);
	load_reg(h->tpidr_el0, tpidr_el0);
	load_reg(h->tpidrro_el0, tpidrro_el0);
	load_reg(h->cnthctl, cnthctl_el2);
	write_sysreg(h->mdcr, mdcr_el2);
	put_newer_traps(h);
	av->loaded = false;
}

/*
 * HPFAR_EL2 is UNKNOWN for a stage-2 permission fault that did not happen
 * on a stage-1 walk (a write to a read-only slot): translate FAR with the
 * guest's stage 1, still loaded with TGE clear, as KVM's
 * __translate_far_to_hpfar() does.  PAR_EL1 is the guest's: kept.
 */
static __always_inline void fix_hpfar(struct axv_arm_vcpu *av)
{
	u64 ec = ESR_ELx_EC(av->esr), fsc = av->esr & 0x3f, par, tmp;
	bool sea;

	av->sea_ipa = ~0ULL;
	if ((ec != ESR_ELx_EC_DABT_LOW && ec != ESR_ELx_EC_IABT_LOW) ||
	    (av->esr & ESR_ELx_S1PTW))
		return;
	/*
	 * A synchronous external abort or ECC error on the access itself
	 * (DFSC/IFSC 0b010000, 0b011000) leaves HPFAR_EL2 UNKNOWN; its IPA,
	 * for the memory-error report, comes from FAR_EL2 when ESR.FnV is
	 * clear (Arm ARM D19.2 "HPFAR_EL2", ISS encoding for a Data Abort).
	 */
	sea = (fsc == ESR_ELx_FSC_EXTABT || fsc == 0x18) &&
	      !(av->esr & BIT(10));
	if (!sea && (av->esr & ESR_ELx_FSC_TYPE) != ESR_ELx_FSC_PERM)
		return;
	par = read_sysreg_par();
	asm volatile("at s1e1r, %0" : : "r" (av->far));
	isb();
	tmp = read_sysreg_par();
	write_sysreg(par, par_el1);
	if (tmp & SYS_PAR_EL1_F)
		return;
	if (sea)
		av->sea_ipa = (tmp & GENMASK_ULL(51, 12)) | (av->far & 0xfff);
	else
		av->hpfar = (tmp & GENMASK_ULL(51, 12)) >> 8;
}

/*
 * The exits that need nothing of the host, answered with the guest's
 * context still loaded and TGE still clear, as KVM's fixup_guest_exit()
 * does: PSCI queries (VERSION, FEATURES, MIGRATE_INFO_TYPE) through HVC
 * or a trapped SMC, and the SMCCC calls an SMC gets NOT_SUPPORTED for
 * (exit.c's handle_smc()).  Anything else, or the same call with the host
 * waiting for the CPU, takes the full exit path.
 *
 * Return: true to re-enter the guest at once; else *code says what to do
 * (AXV_ARM_EXIT_HANDLED: answered, but the host wants the CPU first).
 */
static __always_inline bool fast_exit(struct axv_arm_vcpu *av, u64 *code)
{
	u64 esr = read_sysreg(esr_el2), *x = av->ctx.x;
	u32 fn = (u32)x[0];
	bool smc;

	av->esr = esr;
	switch (ESR_ELx_EC(esr)) {
	case ESR_ELx_EC_HVC64:
		smc = false;
		break;
	case ESR_ELx_EC_SMC64:
		smc = true;
		break;
	default:
		return false;
	}
	switch (fn) {
	case ARM_SMCCC_VERSION_FUNC_ID:
	case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
		/* Through HVC these go to the VMM (a HYPERCALL exit). */
		if (!smc)
			return false;
		x[0] = (u64)(s64)SMCCC_RET_NOT_SUPPORTED;
		break;
	default:
		if (!axv_arm_psci_query(fn, x))
			return false;
		break;
	}
	/* ELR_EL2 is past an HVC, but on a trapped SMC. */
	if (smc)
		av->ctx.pc += 4;
	axvcpu_count_builtin(av->vcpu, AXVCPU_BUILTIN_PSCI);
	if (!axvcpu_leave_guest_needed(av->vcpu)) {
		av->vcpu->stat.counts.entries++;
		return true;
	}
	*code = AXV_ARM_EXIT_HANDLED;
	return false;
}

/*
 * The guest's timers on entry.  A timer the last exit parked (switched
 * off, or its forced IMASK stripped) gets the guest's CTL back, with IMASK
 * forced while its interrupt is still in the list registers (timer.c).
 */
#define timer_enter(av, t, s_ctl, reg)					\
	do {								\
		if ((av)->timer_parked[t])				\
			write_sysreg_s((av)->timer_masked[t] ?		\
				       (s_ctl) | ARCH_TIMER_CTRL_IT_MASK : \
				       (s_ctl), reg);			\
	} while (0)

/*
 * On a full exit: keep the guest's CTL, and CVAL for the deadline, and
 * park an enabled timer at CTL = 0, so that no guest timer line is
 * asserted while the host runs with interrupts on (the PPI is KVM's or
 * nobody's).  A forced IMASK is ours, not the guest's: stripped (the
 * guest's own IMASK set meanwhile cannot be told from it).
 */
#define timer_exit(av, t, s_ctl, s_cval, ctl_reg, cval_reg)		\
	do {								\
		u64 __hw = read_sysreg_s(ctl_reg), __ctl = __hw;	\
									\
		if ((av)->timer_masked[t])				\
			__ctl &= ~ARCH_TIMER_CTRL_IT_MASK;		\
		(av)->timer_parked[t] = __hw != __ctl;			\
		if (__hw & ARCH_TIMER_CTRL_ENABLE) {			\
			(s_cval) = read_sysreg_s(cval_reg);		\
			write_sysreg_s(0, ctl_reg);			\
			(av)->timer_parked[t] = true;			\
		}							\
		(s_ctl) = __ctl;					\
	} while (0)

static __always_inline void timers_enter(struct axv_arm_vcpu *av)
{
	struct axv_arm_sysregs *s = &av->sys;

	timer_enter(av, AXV_ARM_VTIMER, s->cntv_ctl, SYS_CNTV_CTL_EL02);
	if (av->passthrough_timer)
		timer_enter(av, AXV_ARM_PTIMER, s->cntp_ctl, SYS_CNTP_CTL_EL02);
}

static __always_inline void timers_exit(struct axv_arm_vcpu *av)
{
	struct axv_arm_sysregs *s = &av->sys;

	timer_exit(av, AXV_ARM_VTIMER, s->cntv_ctl, s->cntv_cval,
		   SYS_CNTV_CTL_EL02, SYS_CNTV_CVAL_EL02);
	if (av->passthrough_timer)
		timer_exit(av, AXV_ARM_PTIMER, s->cntp_ctl, s->cntp_cval,
			   SYS_CNTP_CTL_EL02, SYS_CNTP_CVAL_EL02);
}

/**
 * axv_arm_world_switch - run the guest until an exit that needs the host.
 * @av: the vcpu, loaded on this CPU (axv_arm_load()).
 *
 * Called with DAIF masked and preemption disabled; the guest FP registers
 * are in the CPU when av->fp_live.
 *
 * Return: the AXV_ARM_EXIT_* code of the exit to handle.
 */
noinstr u64 axv_arm_world_switch(struct axv_arm_vcpu *av)
{
	struct axv_arm_host *h = &av->host;
	u64 cptr, code;

	/*
	 * MDSCR_EL1 is not redirected under E2H: it is the host's debug
	 * control at EL2 too, and the host may change it at any time (a
	 * breakpoint installed by IPI), so it is switched per window, and
	 * only when the guest's differs (a Linux guest and host both have
	 * just TDCC).  The guest's value is its own (debug.c: its MDE, KDE,
	 * SS and TDCC, the debug enables off while its OS lock is set), and
	 * so are the breakpoints and watchpoints once it enabled one
	 * (debug.h says why EL2 takes none of them here).
	 */
	h->mdscr = read_sysreg(mdscr_el1);
	if (h->mdscr != av->dbg.mdscr_run)
		write_sysreg(av->dbg.mdscr_run, mdscr_el1);
	if (av->dbg.in_use)
		axv_arm_debug_to_guest(&av->dbg, &h->dbg);
	timers_enter(av);
	axv_arm_vgic_restore(av);

	/*
	 * CPTR_EL2 (CPACR_EL1 under E2H) also decides whether the host's own
	 * FP/SIMD and SVE accesses at EL2 trap, and the host changes its EL0
	 * bits per task: read per entry, restored per exit.  The guest gets
	 * FP/SIMD only while its registers are live (lazy switch, vcpu.c);
	 * SVE and SME always trap, as do trace and AMU accesses.
	 */
	h->cptr = read_sysreg(cpacr_el1);
	cptr = h->cptr & ~(CPTR_FPEN | CPTR_ZEN | CPTR_SMEN);
	cptr |= CPACR_EL1_TTA | CPTR_EL2_TAM;
	if (av->fp_live)
		cptr |= CPTR_FPEN;
	write_sysreg(cptr, cpacr_el1);

	if ((av->hcr & HCR_VSE) && axv_arm_caps.ras)
		write_sysreg_s(av->vsesr, SYS_VSESR_EL2);
	write_sysreg(av->hcr, hcr_el2);

	if (unlikely(av->need_flush)) {
		/*
		 * A TLBI at EL2 targets the EL1&0 regime only once the clear
		 * TGE is in effect (Arm ARM, "TLB maintenance instructions"
		 * and HCR_EL2.TGE).  A PIPT I-cache holds no line that belongs
		 * to a VM's addresses: new guest pages are made coherent when
		 * they are mapped (s2_sync_page()), so only a VIPT one needs
		 * IC IALLU here.
		 */
		isb();
		if (av->need_flush == AXV_ARM_FLUSH_S12)
			__tlbi(vmalls12e1);
		else
			__tlbi(vmalle1);
		if (!axv_arm_caps.icache_pipt)
			asm volatile("ic iallu" ::: "memory");
		dsb(nsh);
		av->need_flush = AXV_ARM_FLUSH_NONE;
	}

	/*
	 * Our vectors take the guest's exits.  No ISB before the ERET: an
	 * exception return is a context synchronization event (Linux sets
	 * SCTLR_EL2.EOS; without FEAT_ExS it always is), so HCR_EL2, CPTR_EL2
	 * and VBAR_EL2 are in effect for the guest and for its next exit
	 * (Arm ARM, "Synchronization requirements for AArch64 System
	 * registers").  KVM's __kvm_vcpu_run_vhe() relies on the same.
	 * The table is this CPU's, hardened as the host asks (spectre.c).
	 */
	write_sysreg(__this_cpu_read(axv_arm_guest_vectors), vbar_el2);

	do {
		/*
		 * A physical IRQ, FIQ or SError already pending here (at EL2
		 * ISR_EL1 shows the physical ones, Arm ARM D19.2 "ISR_EL1")
		 * is the host's: entering would let the guest's exit take an
		 * SError that is not the guest's, and delay an interrupt.
		 * Leave as an IRQ exit; the host takes it when DAIF is
		 * restored (KVM's __guest_enter does the same).
		 */
		if (unlikely(read_sysreg(isr_el1))) {
			code = AXV_ARM_EXIT_IRQ;
			break;
		}
		code = __axv_arm_enter(&av->ctx);
	} while (code == AXV_ARM_EXIT_SYNC && fast_exit(av, &code));

	if (code != AXV_ARM_EXIT_SYNC)
		av->esr = read_sysreg(esr_el2);
	av->far = read_sysreg(far_el2);
	av->hpfar = read_sysreg(hpfar_el2);
	if (av->hcr & HCR_VSE)			/* VSE clears when taken */
		av->hcr = read_sysreg(hcr_el2);
	if (code == AXV_ARM_EXIT_SYNC)
		fix_hpfar(av);

	/*
	 * The host's HCR_EL2 first: TGE back before anything runs in the
	 * EL2&0 regime; under errata 1165522/1530923 with an ISB of its own.
	 */
	write_sysreg(h->hcr, hcr_el2);
	if (axv_arm_caps.spec_at)
		isb();
	write_sysreg(h->vbar, vbar_el2);
	write_sysreg(h->cptr, cpacr_el1);

	/*
	 * The vectors' ESB deferred a pending SError of the guest into
	 * DISR_EL1 instead of letting it reach the host: report it.
	 */
	if (axv_arm_caps.ras) {
		u64 disr = read_sysreg_s(SYS_DISR_EL1);

		if (disr & DISR_EL1_A) {
			write_sysreg_s(0, SYS_DISR_EL1);
			av->esr = disr;
			code = AXV_ARM_EXIT_SERROR;
		}
	}

	timers_exit(av);
	axv_arm_vgic_save(av);
	if (av->dbg.in_use)
		axv_arm_debug_to_host(&h->dbg);
	if (h->mdscr != av->dbg.mdscr_run)
		write_sysreg(h->mdscr, mdscr_el1);
	/*
	 * One ISB for all of the above: the host's vectors, traps and TGE
	 * are in effect before IRQs are unmasked (KVM: kvm_call_hyp()'s).
	 */
	isb();
	return code;
}
