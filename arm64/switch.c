// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: the world switch under VHE.
 *
 * The host kernel runs at EL2 with HCR_EL2.{E2H,TGE} = {1,1}; the guest
 * runs at EL1 with TGE = 0.  Everything here runs with DAIF masked and
 * preemption disabled, between local_daif_save() and local_daif_restore()
 * in vcpu.c, and is noinstr or always-inline so that no probe or tracer
 * runs while guest state is live.
 *
 * Order on entry (KVM's __kvm_vcpu_run_vhe() order):
 *  1. save the host registers this function changes;
 *  2. load the guest EL1 state through the EL12/EL02 encodings: with
 *     TGE = 1 the EL1&0 regime is unused, so this is invisible to the host;
 *  3. load stage 2 (VTCR/VTTBR) and ISB *before* TGE is cleared: errata
 *     1165522/1530923 let the CPU speculate EL1&0 walks as soon as TGE = 0;
 *  4. guest MDCR/CPTR traps, then the guest HCR_EL2 (TGE = 0), ISB;
 *  5. flush VMID 0 locally if another vcpu ran here last (stage2.c);
 *  6. our vectors in VBAR_EL2 (only for the duration of the run), ISB.
 * On exit the host HCR_EL2 comes back first (with an ISB, before anything
 * depends on the EL2&0 regime), then VBAR/CPTR/MDCR, then the rest.
 */
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <asm/sysreg.h>
#include <asm/kvm_arm.h>
#include <asm/barrier.h>
#include <asm/cputype.h>
#include <asm/tlbflush.h>
#include <clocksource/arm_arch_timer.h>

#include "axvcpu_arch.h"
#include "arm64.h"

#define CPTR_FPEN	(CPACR_EL1_FPEN_EL0EN | CPACR_EL1_FPEN_EL1EN)
#define CPTR_ZEN	(CPACR_EL1_ZEN_EL0EN | CPACR_EL1_ZEN_EL1EN)
#define CPTR_SMEN	(BIT(24) | BIT(25))

/* CNTHCTL_EL2 under E2H: EL1PCTEN is bit 10, EL1PCEN bit 11. */
#define CNTHCTL_E2H_EL1PCTEN	BIT(10)
#define CNTHCTL_E2H_EL1PCEN	BIT(11)

#define DISR_EL1_A		BIT(31)

static __always_inline void save_host(struct axv_arm_host *h)
{
	h->hcr = read_sysreg(hcr_el2);
	h->vbar = read_sysreg(vbar_el2);
	h->cptr = read_sysreg(cpacr_el1);	/* CPTR_EL2 under E2H */
	h->mdcr = read_sysreg(mdcr_el2);
	h->cnthctl = read_sysreg(cnthctl_el2);
	h->vttbr = read_sysreg(vttbr_el2);
	h->vtcr = read_sysreg(vtcr_el2);
	h->tpidr_el0 = read_sysreg(tpidr_el0);
	h->tpidrro_el0 = read_sysreg(tpidrro_el0);
	h->mdscr = read_sysreg(mdscr_el1);
	h->vpidr = read_sysreg(vpidr_el2);
	h->vmpidr = read_sysreg(vmpidr_el2);
}

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

static __always_inline void load_guest_el1(struct axv_arm_vcpu *av)
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
	/* No EL12 alias: shared with the host, which gets them back. */
	load_reg(s->sp_el1, sp_el1);
	load_reg(s->tpidr_el1, tpidr_el1);
	load_reg(s->par_el1, par_el1);
	load_reg(s->csselr, csselr_el1);
	load_reg(s->tpidr_el0, tpidr_el0);
	load_reg(s->tpidrro_el0, tpidrro_el0);
	load_reg(0, mdscr_el1);	/* no guest debug; MDCR.TDA traps it */

	/* Timers: the guest's view of the counters and its EL1 timers. */
	load_reg(s->cntvoff, cntvoff_el2);
	cnthctl = av->host.cnthctl | CNTHCTL_E2H_EL1PCTEN;
	if (av->passthrough_timer)
		cnthctl |= CNTHCTL_E2H_EL1PCEN;
	else
		cnthctl &= ~CNTHCTL_E2H_EL1PCEN;
	load_reg(cnthctl, cnthctl_el2);
	load_el12(s->cntv_cval, SYS_CNTV_CVAL_EL02);
	load_el12(av->timer_masked[AXV_ARM_VTIMER] ?
		  s->cntv_ctl | ARCH_TIMER_CTRL_IT_MASK : s->cntv_ctl,
		  SYS_CNTV_CTL_EL02);
	if (av->passthrough_timer) {
		load_el12(s->cntp_cval, SYS_CNTP_CVAL_EL02);
		load_el12(av->timer_masked[AXV_ARM_PTIMER] ?
			  s->cntp_ctl | ARCH_TIMER_CTRL_IT_MASK : s->cntp_ctl,
			  SYS_CNTP_CTL_EL02);
	}
}

static __always_inline void save_guest_el1(struct axv_arm_vcpu *av)
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

	/*
	 * Timers: keep the guest's values, then switch them off so that
	 * no guest timer line stays asserted while the host runs.
	 */
	s->cntv_ctl = read_sysreg_s(SYS_CNTV_CTL_EL02);
	if (av->timer_masked[AXV_ARM_VTIMER])	/* our mask, not the guest's */
		s->cntv_ctl &= ~ARCH_TIMER_CTRL_IT_MASK;
	s->cntv_cval = read_sysreg_s(SYS_CNTV_CVAL_EL02);
	if (s->cntv_ctl)
		write_sysreg_s(0, SYS_CNTV_CTL_EL02);
	if (av->passthrough_timer) {
		s->cntp_ctl = read_sysreg_s(SYS_CNTP_CTL_EL02);
		if (av->timer_masked[AXV_ARM_PTIMER])
			s->cntp_ctl &= ~ARCH_TIMER_CTRL_IT_MASK;
		s->cntp_cval = read_sysreg_s(SYS_CNTP_CVAL_EL02);
		if (s->cntp_ctl)
			write_sysreg_s(0, SYS_CNTP_CTL_EL02);
	}
}

static __always_inline void restore_host_late(struct axv_arm_host *h)
{
	load_reg(h->tpidr_el0, tpidr_el0);
	load_reg(h->tpidrro_el0, tpidrro_el0);
	load_reg(h->mdscr, mdscr_el1);
	load_reg(h->cnthctl, cnthctl_el2);
	load_reg(h->vpidr, vpidr_el2);
	load_reg(h->vmpidr, vmpidr_el2);
	write_sysreg(h->vttbr, vttbr_el2);
	write_sysreg(h->vtcr, vtcr_el2);
}

/**
 * axv_arm_world_switch - one guest run.
 * @av: the vcpu.
 * @avm: its VM (stage 2).
 *
 * Called with DAIF masked and preemption disabled; the guest FP registers
 * are loaded by the caller when av->fp_loaded.
 *
 * Return: the AXV_ARM_EXIT_* code of the vector that ended the run.
 */
/*
 * HPFAR_EL2 is UNKNOWN for a stage-2 permission fault that did not happen
 * on a stage-1 walk (a write to a read-only slot): translate FAR with the
 * guest's stage 1, still loaded with TGE clear, as KVM's
 * __translate_far_to_hpfar() does.  PAR_EL1 is the guest's: kept.
 */
static __always_inline void fix_hpfar(struct axv_arm_vcpu *av)
{
	u64 ec = ESR_ELx_EC(av->esr), par, tmp;

	if ((ec != ESR_ELx_EC_DABT_LOW && ec != ESR_ELx_EC_IABT_LOW) ||
	    (av->esr & ESR_ELx_FSC_TYPE) != ESR_ELx_FSC_PERM ||
	    (av->esr & ESR_ELx_S1PTW))
		return;
	par = read_sysreg_par();
	asm volatile("at s1e1r, %0" : : "r" (av->far));
	isb();
	tmp = read_sysreg_par();
	write_sysreg(par, par_el1);
	if (!(tmp & SYS_PAR_EL1_F))
		av->hpfar = (tmp & GENMASK_ULL(51, 12)) >> 8;
}

noinstr u64 axv_arm_world_switch(struct axv_arm_vcpu *av,
				 struct axv_arm_vm *avm)
{
	struct axv_arm_host *h = &av->host;
	struct axv_arm_percpu *pc = this_cpu_ptr(&axv_arm_percpu);
	u64 cptr, code;

	save_host(h);
	__this_cpu_write(axv_arm_host_vbar, h->vbar);

	load_guest_el1(av);
	axv_arm_vgic_restore(av);

	write_sysreg(axv_arm_caps.vtcr, vtcr_el2);
	write_sysreg(avm->vttbr, vttbr_el2);
	isb();

	write_sysreg(av->mdcr | (h->mdcr & MDCR_EL2_HPMN_MASK), mdcr_el2);
	cptr = h->cptr & ~(CPTR_FPEN | CPTR_ZEN | CPTR_SMEN);
	cptr |= CPACR_EL1_TTA | CPTR_EL2_TAM;
	if (av->fp_loaded)
		cptr |= CPTR_FPEN;
	write_sysreg(cptr, cpacr_el1);

	if ((av->hcr & HCR_VSE) && axv_arm_caps.ras)
		write_sysreg_s(av->vsesr, SYS_VSESR_EL2);
	write_sysreg(av->hcr, hcr_el2);
	isb();

	/*
	 * VMID 0 is shared by all our vcpus: drop what another one (or an
	 * older VM at the same address) left in this CPU's TLBs.  TGE is
	 * clear, so the TLBI targets the guest regime.
	 */
	if (pc->last_vcpu_uid != av->uid) {
		__tlbi(vmalls12e1);
		asm volatile("ic iallu" ::: "memory");
		dsb(nsh);
		isb();
		pc->last_vcpu_uid = av->uid;
	}

	write_sysreg(__axv_arm_vectors, vbar_el2);
	isb();

	code = __axv_arm_enter(&av->ctx);

	av->esr = read_sysreg(esr_el2);
	av->far = read_sysreg(far_el2);
	av->hpfar = read_sysreg(hpfar_el2);
	av->hcr = read_sysreg(hcr_el2);		/* VSE clears when taken */
	if (code == AXV_ARM_EXIT_SYNC)
		fix_hpfar(av);

	write_sysreg(h->hcr, hcr_el2);
	isb();
	write_sysreg(h->vbar, vbar_el2);
	write_sysreg(h->cptr, cpacr_el1);
	write_sysreg(h->mdcr, mdcr_el2);

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

	save_guest_el1(av);
	axv_arm_vgic_save(av);
	restore_host_late(h);
	isb();
	return code;
}
