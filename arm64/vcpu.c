// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: vcpu life cycle, registers and the run entry.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/atomic.h>
#include <linux/interrupt.h>
#include <asm/daifflags.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <asm/ptrace.h>

#include "axvcpu_arch.h"
#include "arm64.h"
#include "arm64_compat.h"
#include "trace/axvcpu.h"

static_assert(offsetof(struct axv_arm_vcpu, ctx) == 0);
static_assert(offsetof(struct axv_arm_ctx, sp_el0) == AXV_CTX_SP_EL0);
static_assert(offsetof(struct axv_arm_ctx, pc) == AXV_CTX_PC);
static_assert(offsetof(struct axv_arm_ctx, pstate) == AXV_CTX_PSTATE);
static_assert(offsetof(struct axv_arm_ctx, host_sp_el0) ==
	      AXV_CTX_HOST_SP_EL0);
static_assert(sizeof(struct axv_arm_ctx) == AXV_CTX_SIZE);
static_assert(offsetof(struct user_fpsimd_state, fpsr) == AXV_FP_FPSR);
static_assert(offsetof(struct user_fpsimd_state, fpcr) == AXV_FP_FPCR);

/*
 * Guest PSTATE at reset: EL1h with D, A, I and F masked (0x3c5), as the
 * arm64 Linux boot protocol wants a kernel entered.
 */
#define GUEST_PSTATE_RESET \
	(PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)

/* PSTATE bits a VMM may set: flags, DAIF, PAN, UAO, DIT, SSBS, BTYPE. */
#define GUEST_PSTATE_MASK \
	(0xf0000000ULL | PSR_PAN_BIT | PSR_UAO_BIT | PSR_DIT_BIT | \
	 PSR_SSBS_BIT | PSR_BTYPE_MASK | PSR_D_BIT | PSR_A_BIT | \
	 PSR_I_BIT | PSR_F_BIT | PSR_MODE_MASK | PSR_MODE32_BIT)

static atomic64_t axv_arm_vcpu_uid = ATOMIC64_INIT(0);

static u64 guest_hcr(void)
{
	u64 hcr = HCR_GUEST_FLAGS | HCR_E2H;

	if (axv_arm_caps.ras)
		hcr |= HCR_TEA | HCR_TERR;
	if (axv_arm_caps.fwb)
		hcr |= HCR_FWB;
	return hcr;
}

/*
 * The guest may be in EL0t, EL1t or EL1h, AArch64.  Anything else in
 * SPSR_EL2 (EL2 in particular) would ERET guest code into the host.
 */
static bool pstate_ok(u64 pstate)
{
	u64 mode = pstate & (PSR_MODE_MASK | PSR_MODE32_BIT);

	return mode == PSR_MODE_EL0t || mode == PSR_MODE_EL1t ||
	       mode == PSR_MODE_EL1h;
}

/* MPIDR and x0; the two passthrough bytes (the rest of the unions is 0). */
const size_t axvcpu_arch_create_cfg_used =
	sizeof(((struct axvcpu_vcpu_create *)0)->arm64);
const size_t axvcpu_arch_setup_cfg_used =
	offsetof(struct axvcpu_vcpu_setup, arm64.pad) -
	offsetof(struct axvcpu_vcpu_setup, arm64);

int axvcpu_arch_vcpu_create(struct axvcpu_vcpu *vcpu,
			    const struct axvcpu_vcpu_create *cfg)
{
	struct axv_arm_vcpu *av;

	av = kzalloc(sizeof(*av), GFP_KERNEL_ACCOUNT);
	if (!av)
		return -ENOMEM;
	av->vcpu = vcpu;
	av->uid = atomic64_inc_return(&axv_arm_vcpu_uid);
	raw_spin_lock_init(&av->vgic.lock);
	axv_arm_timer_init(av);

	/*
	 * VMPIDR_EL2 is what the guest reads as MPIDR_EL1 (bit 31 is RES1
	 * there); x0 is the DTB address, as the arm64 boot protocol has it.
	 */
	av->sys.vmpidr = cfg->arm64.mpidr | BIT(31);
	av->ctx.x[0] = cfg->arm64.dtb_addr;
	av->ctx.pstate = GUEST_PSTATE_RESET;
	av->sys.sctlr = INIT_SCTLR_EL1_MMU_OFF;
	av->hcr = guest_hcr();
	/* KVM's guest MDCR_EL2: PMU, SPE, trace, debug all trapped. */
	av->mdcr = MDCR_EL2_TPM | MDCR_EL2_TPMCR | MDCR_EL2_TPMS |
		   MDCR_EL2_TTRF | MDCR_EL2_TDRA | MDCR_EL2_TDOSA | MDCR_EL2_TDA;
	axv_arm_debug_reset(&av->dbg);
	vcpu->arch = av;
	return 0;
}

void axvcpu_arch_vcpu_destroy(struct axvcpu_vcpu *vcpu)
{
	struct axv_arm_vcpu *av = vcpu->arch;

	if (!av)
		return;
	axv_arm_timer_destroy(av);
	vcpu->arch = NULL;
	kfree(av);
}

int axvcpu_arch_vcpu_setup(struct axvcpu_vcpu *vcpu,
			   const struct axvcpu_vcpu_setup *cfg)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);

	/* A Linux host keeps its interrupt controller. */
	if (cfg->arm64.passthrough_interrupt)
		return -EOPNOTSUPP;
	av->passthrough_timer = cfg->arm64.passthrough_timer;
	av->ctx.pc = cfg->entry;
	av->ctx.pstate = GUEST_PSTATE_RESET;
	av->sys.sctlr = INIT_SCTLR_EL1_MMU_OFF;
	return 0;
}

int axvcpu_arch_vcpu_bind(struct axvcpu_vcpu *vcpu)
{
	/* Nothing stays loaded between runs: see axvcpu_arch_vcpu_load(). */
	return 0;
}

int axvcpu_arch_vcpu_unbind(struct axvcpu_vcpu *vcpu)
{
	return 0;
}

/*
 * The guest's EL1 context lives in the CPU from here to
 * axvcpu_arch_vcpu_put() (switch.c); the ioctls that read or write guest
 * registers run outside RUN, when it is back in struct axv_arm_sysregs.
 */
void axvcpu_arch_vcpu_load(struct axvcpu_vcpu *vcpu, int cpu)
{
	axv_arm_load(to_arm(vcpu), vcpu->vm->arch);
}

void axvcpu_arch_vcpu_put(struct axvcpu_vcpu *vcpu)
{
	axv_arm_put(to_arm(vcpu));
}

/*
 * FP/SIMD, lazily at first.  The guest runs with FP trapped (CPTR_EL2.FPEN)
 * until it uses it; then the host task's registers are handed over with
 * kernel_neon_begin() (which saves them, once per RUN, and makes the
 * return to userspace reload them), the guest's are loaded and the guest
 * runs untrapped for as long as this call keeps entering it.  A guest
 * that used FP in one call gets its registers before the first entry of
 * the next FP_EAGER_CALLS calls too: the trap is a full exit and entry,
 * each with two HCR_EL2 writes, where the eager load costs only the
 * register copies the trap would have led to anyway (KVM x86 loads guest
 * FPU state eagerly for the same reason).  Every FP_EAGER_CALLS calls one
 * runs lazily again, so a guest that stopped using FP stops paying for
 * it.  The registers go back before the call returns: nothing the
 * kernel exports lets a module
 * leave its own FP state in the registers across a return to the core
 * (cond_resched()) or to userspace (KVM's fpsimd_bind_state_to_cpu() is
 * not exported), and on 6.1 the region is also a softirq-off one.  Inside
 * it no host code uses the registers: hardirqs never do kernel-mode NEON,
 * softirqs do not run on 6.1 and save and restore them on 6.12 and later
 * (TIF_KERNEL_FPSTATE), and preemption stays off.
 */
#define FP_EAGER_CALLS	64

static void fp_take(struct axv_arm_vcpu *av)
{
	axv_arm_neon_begin(&av->neon_buf);
	__axv_arm_fpsimd_restore(&av->fp);
	av->fp_live = true;
}

/* Before the first entry of a run call: the guest's FP if it is in use. */
static void fp_take_eagerly(struct axv_arm_vcpu *av)
{
	if (!av->fp_eager)
		return;
	if (--av->fp_eager)
		fp_take(av);
}

/* The guest trapped on FP/SIMD: its registers, for this and later calls. */
static void fp_take_on_trap(struct axv_arm_vcpu *av)
{
	if (!av->fp_live)
		fp_take(av);
	av->fp_eager = FP_EAGER_CALLS;
}

static void fp_give_back(struct axv_arm_vcpu *av)
{
	if (!av->fp_live)
		return;
	__axv_arm_fpsimd_save(&av->fp);
	axv_arm_neon_end(&av->neon_buf);
	av->fp_live = false;
}

/* The core's predicate, and softirqs waiting on a 6.1 FP region. */
static bool leave_needed(struct axvcpu_vcpu *vcpu, struct axv_arm_vcpu *av)
{
	return axvcpu_leave_guest_needed(vcpu) ||
	       (av->fp_live && local_softirq_pending());
}

/*
 * Enter the guest and handle what exits can be handled with preemption
 * off, until one needs the VMM, the core (a host interrupt: the core's
 * cond_resched() comes next) or a sleeping handler.  DAIF is masked only
 * around the world switch itself, so the host takes a pending IRQ as
 * soon as it returns.
 */
int axvcpu_arch_vcpu_run(struct axvcpu_vcpu *vcpu)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	struct axv_arm_vm *avm = vcpu->vm->arch;
	unsigned long daif;
	u64 code = AXV_ARM_EXIT_HANDLED;
	unsigned int entries;
	int ret;

	if (!pstate_ok(av->ctx.pstate)) {
		vcpu->run->internal.suberror = AXVCPU_INTERNAL_INVALID_STATE;
		vcpu->run->internal.ndata = 1;
		vcpu->run->internal.data[0] = av->ctx.pstate;
		axvcpu_vcpu_set_exit(vcpu, AXVCPU_EXIT_INTERNAL_ERROR);
		return AXVCPU_RUN_EXIT;
	}

	av->mmio_exit = false;
	preempt_disable();
	fp_take_eagerly(av);
	for (entries = 0;; entries++) {
		/* Loaded by the core; again after an exit handler's put. */
		if (unlikely(!av->loaded))
			axv_arm_load(av, avm);
		axv_arm_timer_before_entry(av);
		daif = local_daif_save();
		if (leave_needed(vcpu, av)) {
			local_daif_restore(daif);
			ret = AXVCPU_RUN_CONTINUE;
			break;
		}
		axv_arm_vgic_flush(av);
		WRITE_ONCE(av->powered_on, true);
		if (entries)	/* the core counts the first */
			vcpu->stat.counts.entries++;
		trace_axvcpu_entry(vcpu);
		code = axv_arm_world_switch(av);
		trace_axvcpu_exit(vcpu, av->esr, av->far, av->hpfar, av->ctx.pc);
		local_daif_restore(daif);
		axv_arm_timer_after_exit(av);

		if (code == AXV_ARM_EXIT_HANDLED)
			continue;
		if (code == AXV_ARM_EXIT_SYNC &&
		    ESR_ELx_EC(av->esr) == ESR_ELx_EC_FP_ASIMD) {
			fp_take_on_trap(av);
			axvcpu_count_builtin(vcpu, AXVCPU_BUILTIN_EXCEPTION);
			continue;
		}
		ret = axv_arm_handle_exit(vcpu, code, true);
		if (ret != AXVCPU_RUN_CONTINUE || code == AXV_ARM_EXIT_IRQ)
			break;
	}
	fp_give_back(av);
	preempt_enable();

	if (ret == AXV_ARM_RUN_SLEEP)
		ret = axv_arm_handle_exit(vcpu, code, false);
	return ret;
}

/* The VMM's data, shaped by the module's own decode of the access. */
static u64 mmio_read_value(const struct axv_arm_vcpu *av, u64 val)
{
	u32 bits = av->rd.width * 8;

	if (av->rd.width < 8) {
		val &= (1ULL << bits) - 1;
		if (av->rd.sign_ext && (val & (1ULL << (bits - 1))))
			val |= ~((1ULL << bits) - 1);
	}
	if (av->rd.reg_width == 4)
		val &= 0xffffffff;
	return val;
}

int axvcpu_arch_vcpu_complete(struct axvcpu_vcpu *vcpu, u32 reason)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	struct axvcpu_run *run = vcpu->run;

	switch (reason) {
	case AXVCPU_EXIT_MMIO_READ:
		if (av->rd.reg < 31)
			av->ctx.x[av->rd.reg] =
				mmio_read_value(av, READ_ONCE(run->mmio.data));
		return 0;
	case AXVCPU_EXIT_SYSREG_READ:
	case AXVCPU_EXIT_SYSREG_WRITE:
		/*
		 * The VMM has no such register: UNDEF at the MRS/MSR (the
		 * exit left the PC past it; A64 instructions are 4 bytes).
		 */
		if (READ_ONCE(run->sysreg.fault)) {
			av->ctx.pc -= 4;
			axv_arm_inject_undef(av);
			return 0;
		}
		if (reason == AXVCPU_EXIT_SYSREG_READ && av->rd.reg < 31)
			av->ctx.x[av->rd.reg] = READ_ONCE(run->sysreg.value);
		return 0;
	case AXVCPU_EXIT_HYPERCALL:
		av->ctx.x[0] = run->hypercall.ret;
		return 0;
	default:
		return 0;
	}
}

int axvcpu_arch_vcpu_set_gpr(struct axvcpu_vcpu *vcpu, u32 index, u64 val)
{
	if (index > 31)
		return -EINVAL;
	if (index < 31)
		to_arm(vcpu)->ctx.x[index] = val;
	return 0;
}

int axvcpu_arch_vcpu_get_gpr(struct axvcpu_vcpu *vcpu, u32 index, u64 *val)
{
	if (index > 31)
		return -EINVAL;
	*val = index < 31 ? to_arm(vcpu)->ctx.x[index] : 0;
	return 0;
}

void axvcpu_arch_vcpu_set_return_value(struct axvcpu_vcpu *vcpu, u64 val)
{
	to_arm(vcpu)->ctx.x[0] = val;
}

/*
 * SGIs 0-15, PPIs 16-31, SPIs 32-1019.  1020-1023 are special, and LPIs
 * need an ITS and LPI tables in the guest, which no VMM here emulates.
 */
static bool intid_ok(u32 intid)
{
	return intid < 1020;
}

int axvcpu_arch_vcpu_inject_interrupt(struct axvcpu_vcpu *vcpu,
				      const struct axvcpu_interrupt *irq)
{
	if (irq->flags || irq->error_code || irq->pad)
		return -EINVAL;
	if (!intid_ok(irq->vector))
		return -EINVAL;
	return axv_arm_vgic_queue(to_arm(vcpu), irq->vector);
}

static void regs_get(struct axv_arm_vcpu *av, struct axvcpu_arm64_regs *r)
{
	memcpy(r->x, av->ctx.x, sizeof(r->x));
	r->sp_el1 = av->sys.sp_el1;
	r->pc = av->ctx.pc;
	r->pstate = av->ctx.pstate;
	r->sp_el0 = av->ctx.sp_el0;
}

static int regs_set(struct axv_arm_vcpu *av, const struct axvcpu_arm64_regs *r)
{
	if (!pstate_ok(r->pstate) || (r->pstate & ~GUEST_PSTATE_MASK))
		return -EINVAL;
	memcpy(av->ctx.x, r->x, sizeof(r->x));
	av->sys.sp_el1 = r->sp_el1;
	av->ctx.pc = r->pc;
	av->ctx.pstate = r->pstate;
	av->ctx.sp_el0 = r->sp_el0;
	return 0;
}

static int inject_exception(struct axvcpu_vcpu *vcpu,
			    const struct axvcpu_arm64_exception *e)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);

	if (e->pad)
		return -EINVAL;
	switch (e->type) {
	case AXVCPU_ARM64_EXC_SERROR:
		axv_arm_inject_serror(av, e->esr);
		return 0;
	case AXVCPU_ARM64_EXC_DABT: {
		bool wnr = false;

		/* Report the abort on the access, not on the next insn. */
		if (av->mmio_exit) {
			av->ctx.pc = av->mmio_pc;
			av->mmio_exit = false;
			wnr = av->rd.write;
			axvcpu_vcpu_cancel_completion(vcpu);
		}
		axv_arm_inject_abort(av, false, e->addr, wnr);
		return 0;
	}
	case AXVCPU_ARM64_EXC_IABT:
		axv_arm_inject_abort(av, true, e->addr, false);
		return 0;
	case AXVCPU_ARM64_EXC_UNDEF:
		axv_arm_inject_undef(av);
		return 0;
	default:
		return -EINVAL;
	}
}

#define SR(op0, op1, crn, crm, op2) \
	(((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | \
	 ((crm) << 1))

/* The guest register behind a sysreg-exit encoding, or NULL. */
static u64 *sysreg_slot(struct axv_arm_vcpu *av, u64 id)
{
	struct axv_arm_sysregs *s = &av->sys;

	switch (id) {
	case SR(3, 0, 0, 0, 5):		return &s->vmpidr;
	case SR(3, 0, 1, 0, 0):		return &s->sctlr;
	case SR(3, 0, 1, 0, 2):		return &s->cpacr;
	case SR(3, 0, 2, 0, 0):		return &s->ttbr0;
	case SR(3, 0, 2, 0, 1):		return &s->ttbr1;
	case SR(3, 0, 2, 0, 2):		return &s->tcr;
	case SR(3, 0, 5, 1, 0):		return &s->afsr0;
	case SR(3, 0, 5, 1, 1):		return &s->afsr1;
	case SR(3, 0, 5, 2, 0):		return &s->esr;
	case SR(3, 0, 6, 0, 0):		return &s->far;
	case SR(3, 0, 7, 4, 0):		return &s->par_el1;
	case SR(3, 0, 10, 2, 0):	return &s->mair;
	case SR(3, 0, 10, 3, 0):	return &s->amair;
	case SR(3, 0, 12, 0, 0):	return &s->vbar;
	case SR(3, 0, 13, 0, 1):	return &s->contextidr;
	case SR(3, 0, 13, 0, 4):	return &s->tpidr_el1;
	case SR(3, 0, 14, 1, 0):	return &s->cntkctl;
	case SR(3, 2, 0, 0, 0):		return &s->csselr;
	case SR(3, 3, 13, 0, 2):	return &s->tpidr_el0;
	case SR(3, 3, 13, 0, 3):	return &s->tpidrro_el0;
	case SR(3, 3, 14, 2, 1):	return &s->cntp_ctl;
	case SR(3, 3, 14, 2, 2):	return &s->cntp_cval;
	case SR(3, 3, 14, 3, 1):	return &s->cntv_ctl;
	case SR(3, 3, 14, 3, 2):	return &s->cntv_cval;
	case SR(3, 4, 4, 0, 0):		return &s->spsr;
	case SR(3, 4, 4, 0, 1):		return &s->elr;
	case SR(3, 4, 4, 1, 0):		return &s->sp_el1;
	case SR(3, 4, 14, 0, 3):	return &s->cntvoff;
	default:			return NULL;
	}
}

static int sysreg_access(struct axv_arm_vcpu *av, struct axvcpu_arm64_sysreg *r,
			 bool set)
{
	u64 *slot;

	/* FPSR and FPCR live in the FP save area (32 bits each). */
	if (r->id == SR(3, 3, 4, 4, 0) || r->id == SR(3, 3, 4, 4, 1)) {
		u32 *p = r->id == SR(3, 3, 4, 4, 0) ? &av->fp.fpcr : &av->fp.fpsr;

		if (set)
			*p = r->value;
		else
			r->value = *p;
		return 0;
	}
	slot = sysreg_slot(av, r->id);
	if (!slot)
		return -ENOENT;
	if (set)
		*slot = r->id == SR(3, 0, 0, 0, 5) ? r->value | BIT(31) : r->value;
	else
		r->value = *slot;
	return 0;
}

static long get_arm64_regs(struct axvcpu_vcpu *vcpu, void *buf,
			   unsigned long arg)
{
	regs_get(to_arm(vcpu), buf);
	return 0;
}

static long set_arm64_regs(struct axvcpu_vcpu *vcpu, void *buf,
			   unsigned long arg)
{
	return regs_set(to_arm(vcpu), buf);
}

static long arm64_inject_exception(struct axvcpu_vcpu *vcpu, void *buf,
				   unsigned long arg)
{
	return inject_exception(vcpu, buf);
}

static long arm64_get_sysreg(struct axvcpu_vcpu *vcpu, void *buf,
			     unsigned long arg)
{
	return sysreg_access(to_arm(vcpu), buf, false);
}

static long arm64_set_sysreg(struct axvcpu_vcpu *vcpu, void *buf,
			     unsigned long arg)
{
	return sysreg_access(to_arm(vcpu), buf, true);
}

#define ANY	AXVCPU_IOCTL_ANY_STATE

/* Under vcpu->mutex, in any state (include/axvcpu_arch.h). */
const struct axvcpu_ioctl axvcpu_arch_vcpu_ioctls[] = {
	AXVCPU_VCPU_IOCTL(AXVCPU_GET_ARM64_REGS, 0, ANY, NULL, get_arm64_regs),
	AXVCPU_VCPU_IOCTL(AXVCPU_SET_ARM64_REGS, 0, ANY, NULL, set_arm64_regs),
	AXVCPU_VCPU_IOCTL(AXVCPU_ARM64_INJECT_EXCEPTION, 0, ANY, NULL,
			  arm64_inject_exception),
	AXVCPU_VCPU_IOCTL(AXVCPU_ARM64_GET_SYSREG, 0, ANY, NULL,
			  arm64_get_sysreg),
	AXVCPU_VCPU_IOCTL(AXVCPU_ARM64_SET_SYSREG, 0, ANY, NULL,
			  arm64_set_sysreg),
};
const unsigned int axvcpu_arch_nr_vcpu_ioctls = ARRAY_SIZE(axvcpu_arch_vcpu_ioctls);
