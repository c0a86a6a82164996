/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axvcpu arm64 backend: internal declarations.
 *
 * The backend runs EL1 guests from a VHE host (the kernel at EL2 with
 * HCR_EL2.E2H=1).  Files:
 *   main.c    per-CPU enable, capabilities, the facts every VM shares
 *   stage2.c  stage-2 page tables, VMIDs and TLB maintenance
 *   vcpu.c    vcpu life cycle, registers, completion, the run loop
 *   switch.c  vcpu load/put (EL1 context) and the world switch itself
 *   exit.c    ESR decoding: MMIO, sysreg, PSCI, WFx, aborts
 *   vgic.c    interrupt queue and GICv3 list registers
 *   timer.c   guest virtual timer
 *   entry.S   guest entry and the EL2 vectors used inside the run window
 */
#ifndef _AXVCPU_ARM64_H
#define _AXVCPU_ARM64_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/hrtimer.h>
#include <asm/ptrace.h>
#include <uapi/linux/psci.h>
#include <clocksource/arm_arch_timer.h>
#include "axvcpu_core.h"
#include "entry.h"
#include "debug.h"

#define AXV_ARM_MAX_LR		16
#define AXV_ARM_IRQ_QUEUE	64

/* Timer PPIs given to the guest (as KVM and the virt board do). */
#define AXV_ARM_VTIMER		0
#define AXV_ARM_PTIMER		1
#define AXV_ARM_VTIMER_INTID	27
#define AXV_ARM_PTIMER_INTID	30

/* Facts about the machine, read once at module load. */
struct axv_arm_caps {
	u32 pa_range;		/* ID_AA64MMFR0_EL1.PARange, sanitised */
	u32 ipa_bits;		/* guest-physical address bits offered */
	u32 nr_lr;		/* GICv3 list registers */
	u32 nr_apr;		/* active-priority registers per group */
	u64 vtcr;		/* VTCR_EL2 for every VM */
	u32 start_level;	/* stage-2 walk start level */
	bool fwb;		/* FEAT_S2FWB: stage 2 forces write-back */
	bool ras;		/* FEAT_RAS: esb/DISR, HCR.TEA/TERR */
	bool spec_at;		/* errata 1165522/1530923 */
	bool icache_pipt;	/* CTR_EL0.L1Ip: no I-cache flush on switch */
	bool hcx;		/* FEAT_HCX: HCRX_EL2 */
	u32 fgt;		/* ID_AA64MMFR0_EL1.FGT: 1 FEAT_FGT, 2 FGT2 */
	u32 vmid_bits;		/* own VMIDs 1..2^bits-1; 0: all share VMID 0 */
};

extern struct axv_arm_caps axv_arm_caps;

/* Per-CPU: written only on that CPU with preemption disabled. */
struct axv_arm_percpu {
	bool enabled;
	u64 last_vcpu_uid;	/* the VMID 0 vcpu whose TLB entries are here */
};

DECLARE_PER_CPU(struct axv_arm_percpu, axv_arm_percpu);
DECLARE_PER_CPU(u64, axv_arm_host_vbar);	/* read by entry.S */

/* Guest general registers; layout fixed by entry.h. */
struct axv_arm_ctx {
	u64 x[31];
	u64 sp_el0;
	u64 pc;			/* ELR_EL2 while the guest is out */
	u64 pstate;		/* SPSR_EL2 while the guest is out */
	u64 host_sp_el0;	/* 'current' of the host, kept by entry.S */
	u64 pad;
};

/*
 * Guest EL1/EL0 system registers: loaded into the CPU at vcpu load, saved
 * back at put (switch.c); while the vcpu is loaded the CPU's copy is the
 * real one, except cntv_ctl/cntp_ctl, which every full exit saves.
 */
struct axv_arm_sysregs {
	u64 sctlr, cpacr, ttbr0, ttbr1, tcr, esr, afsr0, afsr1, far;
	u64 mair, amair, vbar, contextidr, cntkctl, spsr, elr;
	u64 sp_el1, tpidr_el1, par_el1, csselr, tpidr_el0, tpidrro_el0;
	u64 vmpidr;
	u64 cntvoff, cntv_ctl, cntv_cval, cntp_ctl, cntp_cval;
};

/*
 * Host registers the vcpu replaces.  hcr, vbar and cptr come back on every
 * full exit, mdscr when it differs from the guest's, the breakpoints and
 * watchpoints when the guest uses its own; the rest at put.
 */
struct axv_arm_host {
	u64 hcr, vbar, cptr, mdcr, cnthctl, mdscr;
	u64 tpidr_el0, tpidrro_el0;
	u64 hcrx;		/* FEAT_HCX */
	u64 fgt[10];		/* FEAT_FGT/FGT2 trap registers, load order */
	struct axv_arm_host_debug dbg;
};

/* GICv3 virtual CPU interface of the vcpu. */
struct axv_arm_vgic {
	u64 lr[AXV_ARM_MAX_LR];
	u64 vmcr;
	u64 wfi_vmcr;		/* VMCR of a WFI the run sleeps on */
	u32 ap0r[4];
	u32 ap1r[4];
	u32 used_lrs;		/* LRs written at the last entry */
	u32 live_lrs;		/* lr[] entries with a state (pending/active) */
	/* INTIDs queued by axvcpu_arch_vcpu_inject_interrupt() */
	raw_spinlock_t lock;
	u32 nr_queued;
	u32 queue[AXV_ARM_IRQ_QUEUE];
};

struct axv_arm_vcpu {
	struct axv_arm_ctx ctx;		/* first: entry.S gets its address */
	struct axv_arm_sysregs sys;
	struct axv_arm_host host;
	struct axv_arm_vgic vgic;
	struct user_fpsimd_state fp;	/* guest V0-V31, FPSR, FPCR */
	struct user_fpsimd_state neon_buf; /* for kernel_neon_begin() */
	struct axvcpu_vcpu *vcpu;
	u64 uid;
	u64 esr, far, hpfar;		/* of the last exit */
	u64 sea_ipa;			/* IPA of a data/insn SEA, or ~0 */
	u64 mmio_pc;			/* PC of the last MMIO access */
	struct {			/* the last read exit, as decoded */
		u32 reg, width, reg_width;
		bool sign_ext, write;
	} rd;
	bool mmio_exit;			/* the last exit was MMIO */
	u64 hcr;			/* guest HCR_EL2 */
	u64 vsesr;			/* syndrome of an injected SError */
	u64 mdcr;			/* guest MDCR_EL2 */
	struct axv_arm_debug dbg;	/* its debug registers (debug.c) */
	bool passthrough_timer;
	bool loaded;			/* EL1 context is in this CPU (load/put) */
	u8 need_flush;			/* AXV_ARM_FLUSH_* at the next entry */
	bool fp_live;			/* guest FP is in the registers */
	u8 fp_eager;			/* run calls left that load FP eagerly */
	bool powered_on;		/* entered once and no CPU_OFF since */
	/* EL1 timers: [AXV_ARM_VTIMER] CNTV, [AXV_ARM_PTIMER] CNTP */
	bool timer_pending[2];		/* INTID raised, not yet EOIed */
	bool timer_masked[2];		/* IMASK forced on in the hardware */
	bool timer_parked[2];		/* CTL in the CPU is not the guest's */
	struct hrtimer hrtimer;		/* ends the run at the deadline */
	bool hrtimer_armed;		/* started since the last exit */
};

/* TLB maintenance a vcpu load asks of the next entry (switch.c). */
#define AXV_ARM_FLUSH_NONE	0
#define AXV_ARM_FLUSH_S1	1	/* another vcpu of the VM ran here */
#define AXV_ARM_FLUSH_S12	2	/* another VM on VMID 0 ran here */

struct axv_arm_vm {
	u64 *pgd;		/* stage-2 start-level table */
	u64 vttbr;
	u32 vmid;		/* 0: shared with every VM without one */
	u64 __percpu *last_vcpu; /* per CPU: the vcpu uid that ran last */
};

static inline struct axv_arm_vcpu *to_arm(struct axvcpu_vcpu *vcpu)
{
	return vcpu->arch;
}

/* An exit handler that must sleep: call it again after the FP region. */
#define AXV_ARM_RUN_SLEEP	2

#define AXV_ARM_PSCI_VERSION	0x10000	/* PSCI 1.0 */

/* PSCI_FEATURES: the functions exit.c implements. */
static __always_inline long axv_arm_psci_features(u32 fn)
{
	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
	case PSCI_1_0_FN_PSCI_FEATURES:
		return PSCI_RET_SUCCESS;
	default:
		return PSCI_RET_NOT_SUPPORTED;
	}
}

/*
 * The PSCI queries that need nothing but the function ID: answered in @x[0]
 * (the world switch's fast path and exit.c share them).  Return: answered.
 */
static __always_inline bool axv_arm_psci_query(u32 fn, u64 *x)
{
	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
		x[0] = AXV_ARM_PSCI_VERSION;
		return true;
	case PSCI_1_0_FN_PSCI_FEATURES:
		x[0] = axv_arm_psci_features((u32)x[1]);
		return true;
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		x[0] = PSCI_0_2_TOS_MP;	/* no trusted OS to migrate */
		return true;
	}
	return false;
}

/* main.c */
void axv_arm_log_cpu(void);

/* stage2.c */
int axv_arm_vmid_init(void);
void axv_arm_vmid_exit(void);
void axv_arm_s2_flush_vm(struct axv_arm_vm *avm);
bool axv_arm_s2_pfn(struct axvcpu_vm *vm, u64 ipa, unsigned long *pfn);

/* switch.c */
void axv_arm_load(struct axv_arm_vcpu *av, struct axv_arm_vm *avm);
void axv_arm_put(struct axv_arm_vcpu *av);
u64 axv_arm_world_switch(struct axv_arm_vcpu *av);

/* exit.c */
int axv_arm_handle_exit(struct axvcpu_vcpu *vcpu, u64 code, bool atomic);
void axv_arm_inject_undef(struct axv_arm_vcpu *av);
void axv_arm_inject_abort(struct axv_arm_vcpu *av, bool iabt, u64 addr,
			  bool wnr);
void axv_arm_inject_serror(struct axv_arm_vcpu *av, u64 esr);

/* vgic.c */
void axv_arm_vgic_reset_cpu(void);
int axv_arm_vgic_queue(struct axv_arm_vcpu *av, u32 intid);
void __axv_arm_vgic_flush(struct axv_arm_vcpu *av);
void axv_arm_vgic_load(struct axv_arm_vgic *g);
void axv_arm_vgic_put(struct axv_arm_vgic *g);
void axv_arm_vgic_restore(struct axv_arm_vcpu *av);
void axv_arm_vgic_save(struct axv_arm_vcpu *av);
bool axv_arm_vgic_intid_busy(struct axv_arm_vcpu *av, u32 intid);
void axv_arm_vgic_wfi_prepare(struct axv_arm_vcpu *av);
bool axv_arm_vgic_wfi_wake(struct axv_arm_vcpu *av);

/* timer.c */
void axv_arm_timer_init(struct axv_arm_vcpu *av);
void axv_arm_timer_destroy(struct axv_arm_vcpu *av);
void __axv_arm_timer_before_entry(struct axv_arm_vcpu *av);
void __axv_arm_timer_after_exit(struct axv_arm_vcpu *av);
u64 axv_arm_timer_wake_ns(struct axv_arm_vcpu *av);

/*
 * The per-entry calls of the run loop, inline for what they do on most
 * entries: nothing.
 */

/**
 * axv_arm_vgic_flush - move queued INTIDs into free list registers.
 * @av: the vcpu, about to enter; IRQs are masked.
 *
 * The queue is looked at without its lock: an INTID queued after this
 * read comes with a kick (axvcpu_vcpu_kick(): a full barrier after the
 * unlock, against the one RUN makes after publishing its task), and the
 * kick's IPI, pending while DAIF is masked, ends the entry at once; the
 * next entry finds the INTID.
 */
static __always_inline void axv_arm_vgic_flush(struct axv_arm_vcpu *av)
{
	if (READ_ONCE(av->vgic.nr_queued))
		__axv_arm_vgic_flush(av);
}

/* An EL1 timer enabled and unmasked, or its interrupt still in flight. */
static __always_inline bool axv_arm_timer_live(const struct axv_arm_vcpu *av,
					       int t, u64 ctl)
{
	return av->timer_pending[t] ||
	       (ctl & (ARCH_TIMER_CTRL_ENABLE | ARCH_TIMER_CTRL_IT_MASK)) ==
	       ARCH_TIMER_CTRL_ENABLE;
}

/**
 * axv_arm_timer_before_entry - raise fired timers, arm the next deadline.
 * @av: the vcpu.
 *
 * Preemption disabled, IRQs on, on the CPU that will run the guest.  With
 * no timer live there is nothing to raise and no deadline: no counter
 * read, no hrtimer.
 */
static __always_inline void axv_arm_timer_before_entry(struct axv_arm_vcpu *av)
{
	if (axv_arm_timer_live(av, AXV_ARM_VTIMER, av->sys.cntv_ctl) ||
	    (av->passthrough_timer &&
	     axv_arm_timer_live(av, AXV_ARM_PTIMER, av->sys.cntp_ctl))) {
		__axv_arm_timer_before_entry(av);
		return;
	}
	av->timer_masked[AXV_ARM_VTIMER] = false;
	av->timer_masked[AXV_ARM_PTIMER] = false;
}

/**
 * axv_arm_timer_after_exit - the run is over: drop the deadline, if any.
 * @av: the vcpu.
 */
static __always_inline void axv_arm_timer_after_exit(struct axv_arm_vcpu *av)
{
	if (av->hrtimer_armed)
		__axv_arm_timer_after_exit(av);
}

/* entry.S */
void __axv_arm_fpsimd_save(struct user_fpsimd_state *st);
void __axv_arm_fpsimd_restore(struct user_fpsimd_state *st);
u64 __axv_arm_enter(struct axv_arm_ctx *ctx);
void __axv_arm_dcache_clean_inval_poc(unsigned long start, unsigned long end);
extern char __axv_arm_vectors[], __axv_arm_vectors_loop[];
extern char __axv_arm_vectors_clrbhb[], __axv_arm_vectors_wa1[];
extern char __axv_arm_vectors_wa3[];

/* spectre.c: this CPU's guest-exit vectors, for VBAR_EL2 in the window. */
DECLARE_PER_CPU(unsigned long, axv_arm_guest_vectors);
/* spectre.c, read and counted by entry.S: the loop count, the runs. */
extern u32 axv_arm_bhb_k;
DECLARE_PER_CPU(u64, axv_arm_spec_runs);
void axv_arm_spectre_cpu_init(void);

#endif /* _AXVCPU_ARM64_H */
