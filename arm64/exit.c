// SPDX-License-Identifier: GPL-2.0
/*
 * axvcpu arm64 backend: what a guest exit means.
 *
 * Decodes ESR_EL2 (its exception class, EC, and syndrome, ISS) after a
 * synchronous exit into an AXVCPU_EXIT_* for the VMM or handles it here:
 * PSCI calls that need no VMM, ID-register reads (HCR_EL2.TID3), WFE,
 * ICC_SGI1R_EL1 reads.  What no handler takes (unknown classes, SErrors,
 * FIQs) exits with AXVCPU_EXIT_INTERNAL_ERROR and the raw syndrome:
 * nothing is fatal to the host.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/psci.h>
#include <uapi/linux/psci.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <asm/cputype.h>
#include <asm/cpufeature.h>
#include <asm/ptrace.h>

#include "axvcpu_arch.h"
#include "arm64.h"

/*
 * A trapped MSR/MRS (EC 0x18): ESR_EL2.ISS holds Op0, Op2, Op1, CRn (bits
 * 21:10), Rt (9:5), CRm (4:1) and the direction (0).  With Rt and the
 * direction masked off, it names the register: the AXVCPU_EXIT_SYSREG_*
 * address.
 */
#define SYSREG_ADDR_MASK	((0xfffULL << 10) | (0xfULL << 1))
#define SYSREG_ICC_SGI1R_EL1	0x3a3016ULL

/* hypercall.ret until the VMM answers: minus errno 38, as the ABI says */
#define HYPERCALL_UNANSWERED	(-38LL)

static inline void skip_insn(struct axv_arm_vcpu *av)
{
	av->ctx.pc += (av->esr & ESR_ELx_IL) ? 4 : 2;
}

static inline u64 gpr(struct axv_arm_vcpu *av, u32 n)
{
	return n >= 31 ? 0 : av->ctx.x[n];
}

static inline void set_gpr(struct axv_arm_vcpu *av, u32 n, u64 val)
{
	if (n < 31)
		av->ctx.x[n] = val;
}

static int exit_to_vmm(struct axvcpu_vcpu *vcpu, u32 reason)
{
	axvcpu_vcpu_set_exit(vcpu, reason);	/* the core counts it */
	return AXVCPU_RUN_EXIT;
}

static int builtin(struct axvcpu_vcpu *vcpu, u32 which)
{
	axvcpu_count_builtin(vcpu, which);
	return AXVCPU_RUN_CONTINUE;
}

static int internal_error(struct axvcpu_vcpu *vcpu, u32 suberror, u64 data)
{
	struct axvcpu_run *run = vcpu->run;

	run->internal.suberror = suberror;
	run->internal.ndata = 1;
	run->internal.data[0] = data;
	return exit_to_vmm(vcpu, AXVCPU_EXIT_INTERNAL_ERROR);
}

/* ---- exceptions injected into the guest's EL1 ---- */

/*
 * Take an exception to the guest's EL1 as the CPU would: ELR/SPSR/ESR of
 * EL1 get the interrupted context, PC the guest vector, PSTATE EL1h with
 * everything masked.  Works on the saved context: the guest is out and
 * its EL1 context not loaded (axv_arm_put()).
 */
static void inject_exception(struct axv_arm_vcpu *av, u64 esr, u64 type)
{
	u64 mode = av->ctx.pstate & PSR_MODE_MASK;
	u64 base;

	if (mode == PSR_MODE_EL1t)
		base = 0x000;
	else if (mode == PSR_MODE_EL1h)
		base = 0x200;
	else
		base = 0x400;	/* from EL0, AArch64 */
	av->sys.elr = av->ctx.pc;
	av->sys.spsr = av->ctx.pstate;
	av->sys.esr = esr;
	av->ctx.pc = av->sys.vbar + base + type;
	av->ctx.pstate = PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT |
			 PSR_F_BIT;
}

/**
 * axv_arm_inject_undef - make the guest take an UNDEF at its next entry.
 * @av: the vcpu, out of the guest.
 */
void axv_arm_inject_undef(struct axv_arm_vcpu *av)
{
	inject_exception(av, ESR_ELx_IL, 0x000);
}

/**
 * axv_arm_inject_abort - a synchronous external abort at the next entry.
 * @av: the vcpu, out of the guest.
 * @iabt: an instruction abort (else a data abort).
 * @addr: the faulting address, for FAR_EL1.
 * @wnr: the access was a write (ESR WnR), for a data abort.
 */
void axv_arm_inject_abort(struct axv_arm_vcpu *av, bool iabt, u64 addr,
			  bool wnr)
{
	bool from_el0 = (av->ctx.pstate & PSR_MODE_MASK) == PSR_MODE_EL0t;
	u64 ec;

	if (iabt)
		ec = from_el0 ? ESR_ELx_EC_IABT_LOW : ESR_ELx_EC_IABT_CUR;
	else
		ec = from_el0 ? ESR_ELx_EC_DABT_LOW : ESR_ELx_EC_DABT_CUR;
	av->sys.far = addr;
	inject_exception(av, (ec << ESR_ELx_EC_SHIFT) | ESR_ELx_IL |
			 (wnr ? ESR_ELx_WNR : 0) | ESR_ELx_FSC_EXTABT, 0x000);
}

/**
 * axv_arm_inject_serror - make a virtual SError pending for the guest.
 * @av: the vcpu, out of the guest.
 * @esr: its syndrome (ISS), used when the CPU has RAS.
 *
 * HCR_EL2.VSE makes it pending until the guest unmasks
 * PSTATE.A; with RAS, VSESR_EL2 gives its syndrome (loaded by switch.c).
 * The CPU clears VSE when it is taken (switch.c reads HCR_EL2 back).
 */
void axv_arm_inject_serror(struct axv_arm_vcpu *av, u64 esr)
{
	av->vsesr = esr & ESR_ELx_ISS_MASK;
	av->hcr |= HCR_VSE;
}

/* ---- PSCI ---- */

static bool is_psci(u32 fn)
{
	return (fn >= PSCI_0_2_FN_BASE && fn <= PSCI_0_2_FN(0x1f)) ||
	       (fn >= PSCI_0_2_FN64_BASE && fn <= PSCI_0_2_FN64(0x1f));
}

static struct axvcpu_vcpu *vcpu_by_mpidr(struct axvcpu_vm *vm, u64 mpidr)
{
	int i;

	for (i = 0; i < AXVCPU_MAX_VCPUS; i++) {
		struct axvcpu_vcpu *v = vm->vcpus[i];

		if (v && v->arch && ((to_arm(v)->sys.vmpidr ^ mpidr) &
				     MPIDR_HWID_BITMASK) == 0)
			return v;
	}
	return NULL;
}

static long psci_affinity_info(struct axvcpu_vcpu *vcpu, u64 mpidr, u64 level)
{
	struct axvcpu_vm *vm = vcpu->vm;
	struct axvcpu_vcpu *target;
	long ret;

	if (level)
		return PSCI_RET_INVALID_PARAMS;
	mutex_lock(&vm->lock);
	target = vcpu_by_mpidr(vm, mpidr);
	if (!target)
		ret = PSCI_RET_INVALID_PARAMS;
	else
		ret = READ_ONCE(to_arm(target)->powered_on) ?
		      PSCI_0_2_AFFINITY_LEVEL_ON : PSCI_0_2_AFFINITY_LEVEL_OFF;
	mutex_unlock(&vm->lock);
	return ret;
}

/*
 * A PSCI call (through HVC or a trapped SMC).  Return: an AXVCPU_RUN_*
 * value, AXV_ARM_RUN_SLEEP when it needs a sleeping lock and @atomic,
 * with nothing changed yet, or -ENOENT when the function is not handled
 * here (the caller decides: hypercall exit for HVC, NOT_SUPPORTED for
 * SMC).  VERSION, FEATURES and MIGRATE_INFO_TYPE are usually answered by
 * the world switch already (switch.c, fast_exit()).
 */
static int handle_psci(struct axvcpu_vcpu *vcpu, u32 fn, bool atomic)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	struct axvcpu_run *run = vcpu->run;
	u64 *x = av->ctx.x;

	if (axv_arm_psci_query(fn, x))
		return builtin(vcpu, AXVCPU_BUILTIN_PSCI);
	switch (fn) {
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
		if (atomic)	/* vm->lock is a mutex */
			return AXV_ARM_RUN_SLEEP;
		if (fn == PSCI_0_2_FN_AFFINITY_INFO)
			x[0] = psci_affinity_info(vcpu, (u32)x[1], (u32)x[2]);
		else
			x[0] = psci_affinity_info(vcpu, x[1], x[2]);
		break;
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
		run->cpu_up.target_cpu = x[1];
		run->cpu_up.entry = x[2];
		run->cpu_up.arg = x[3];
		if (fn == PSCI_0_2_FN_CPU_ON) {
			run->cpu_up.target_cpu &= 0xffffffff;
			run->cpu_up.entry &= 0xffffffff;
			run->cpu_up.arg &= 0xffffffff;
		}
		/* The VMM may answer otherwise with SET_RETURN_VALUE. */
		x[0] = PSCI_RET_SUCCESS;
		return exit_to_vmm(vcpu, AXVCPU_EXIT_CPU_UP);
	case PSCI_0_2_FN_CPU_OFF:
		WRITE_ONCE(av->powered_on, false);
		run->cpu_down.state = x[1];
		return exit_to_vmm(vcpu, AXVCPU_EXIT_CPU_DOWN);
	case PSCI_0_2_FN_SYSTEM_OFF:
		run->system_down.type = AXVCPU_SYSTEM_DOWN_OFF;
		return exit_to_vmm(vcpu, AXVCPU_EXIT_SYSTEM_DOWN);
	case PSCI_0_2_FN_SYSTEM_RESET:
		run->system_down.type = AXVCPU_SYSTEM_DOWN_RESET;
		return exit_to_vmm(vcpu, AXVCPU_EXIT_SYSTEM_DOWN);
	default:
		return -ENOENT;
	}
	return builtin(vcpu, AXVCPU_BUILTIN_PSCI);
}

static int hypercall_exit(struct axvcpu_vcpu *vcpu)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	struct axvcpu_run *run = vcpu->run;
	int i;

	run->hypercall.nr = av->ctx.x[0];
	for (i = 0; i < AXVCPU_HYPERCALL_ARGS; i++)
		run->hypercall.args[i] = av->ctx.x[i + 1];
	run->hypercall.ret = HYPERCALL_UNANSWERED;
	return exit_to_vmm(vcpu, AXVCPU_EXIT_HYPERCALL);
}

static int handle_hvc(struct axvcpu_vcpu *vcpu, bool atomic)
{
	u32 fn = (u32)to_arm(vcpu)->ctx.x[0];
	int ret;

	/* ELR_EL2 already points past the HVC. */
	if (is_psci(fn)) {
		ret = handle_psci(vcpu, fn, atomic);
		if (ret != -ENOENT)
			return ret;
	}
	return hypercall_exit(vcpu);
}

/* A trapped SMC is never forwarded to the real firmware. */
static int handle_smc(struct axvcpu_vcpu *vcpu, bool atomic)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	u32 fn = (u32)av->ctx.x[0];
	int ret;

	if (is_psci(fn)) {
		ret = handle_psci(vcpu, fn, atomic);
		if (ret == AXV_ARM_RUN_SLEEP)
			return ret;
		skip_insn(av);	/* a trapped SMC leaves ELR_EL2 on the SMC */
		if (ret != -ENOENT)
			return ret;
	} else {
		skip_insn(av);
	}
	av->ctx.x[0] = (u64)(s64)PSCI_RET_NOT_SUPPORTED;
	return builtin(vcpu, AXVCPU_BUILTIN_PSCI);
}

/* ---- system registers ---- */

static u64 field_set(u64 val, unsigned int shift, u64 field)
{
	return (val & ~(0xfULL << shift)) | (field << shift);
}

/*
 * The ID registers a guest sees (HCR_EL2.TID3): the system-wide
 * sanitised values, minus what this backend does not virtualise (SVE,
 * SME, pointer authentication, MTE, AMU, PMU, SPE, trace, RAS, nested
 * virtualisation, AArch32).  Unknown or AArch32 ID registers read as zero.
 */
static u64 id_reg_value(u32 crm, u32 op2)
{
	u64 v;

	switch ((crm << 3) | op2) {
	case (4 << 3) | 0:
		v = read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1);
		v = field_set(v, 0, 1);		/* EL0: AArch64 only */
		v = field_set(v, 4, 1);		/* EL1: AArch64 only */
		v = field_set(v, 8, 0);		/* EL2 */
		v = field_set(v, 12, 0);	/* EL3 */
		v = field_set(v, 28, 0);	/* RAS */
		v = field_set(v, 32, 0);	/* SVE */
		v = field_set(v, 36, 0);	/* SEL2 */
		v = field_set(v, 40, 0);	/* MPAM */
		v = field_set(v, 44, 0);	/* AMU */
		return v;
	case (4 << 3) | 1:
		v = read_sanitised_ftr_reg(SYS_ID_AA64PFR1_EL1);
		v = field_set(v, 8, 0);		/* MTE */
		v = field_set(v, 12, 0);	/* RAS_frac */
		v = field_set(v, 16, 0);	/* MPAM_frac */
		v = field_set(v, 24, 0);	/* SME */
		v = field_set(v, 28, 0);	/* RNDR_trap */
		v = field_set(v, 36, 0);	/* NMI */
		v = field_set(v, 44, 0);	/* GCS: HCRX_EL2.GCSEn is 0 */
		return v;
	case (5 << 3) | 0:
		v = read_sanitised_ftr_reg(SYS_ID_AA64DFR0_EL1);
		v = field_set(v, 4, 0);		/* TraceVer */
		v = field_set(v, 8, 0);		/* PMUVer */
		v = field_set(v, 32, 0);	/* PMSVer */
		v = field_set(v, 40, 0);	/* TraceFilt */
		v = field_set(v, 44, 0);	/* TraceBuffer */
		v = field_set(v, 48, 0);	/* MTPMU */
		v = field_set(v, 52, 0);	/* BRBE */
		return v;
	case (6 << 3) | 0:
		return read_sanitised_ftr_reg(SYS_ID_AA64ISAR0_EL1);
	case (6 << 3) | 1:
		v = read_sanitised_ftr_reg(SYS_ID_AA64ISAR1_EL1);
		v = field_set(v, 4, 0);		/* APA */
		v = field_set(v, 8, 0);		/* API */
		v = field_set(v, 24, 0);	/* GPA */
		v = field_set(v, 28, 0);	/* GPI */
		v = field_set(v, 60, 0);	/* LS64: HCRX_EL2.EnALS... 0 */
		return v;
	case (6 << 3) | 2:
		v = read_sanitised_ftr_reg(SYS_ID_AA64ISAR2_EL1);
		v = field_set(v, 0, 0);		/* WFxT */
		v = field_set(v, 8, 0);		/* GPA3 */
		v = field_set(v, 12, 0);	/* APA3 */
		v = field_set(v, 16, 0);	/* MOPS: HCRX_EL2.MSCEn is 0 */
		return v;
	case (7 << 3) | 0:
		v = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
		/* The guest's physical space is our IPA space. */
		v = field_set(v, 0, min_t(u32, axv_arm_caps.pa_range, 5));
		v = field_set(v, 56, 0);	/* FGT */
		v = field_set(v, 60, 0);	/* ECV */
		return v;
	case (7 << 3) | 1:
		v = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
		v = field_set(v, 4, 0);		/* VMIDBits */
		v = field_set(v, 8, 0);		/* VH */
		v = field_set(v, 16, 0);	/* LO */
		v = field_set(v, 32, 0);	/* TWED */
		v = field_set(v, 40, 0);	/* HCX */
		return v;
	case (7 << 3) | 2:
		v = read_sanitised_ftr_reg(SYS_ID_AA64MMFR2_EL1);
		v = field_set(v, 0, 0);		/* CnP: VMID 0 is shared */
		v = field_set(v, 24, 0);	/* NV */
		return v;
	default:
		return 0;
	}
}

static int send_ipi_exit(struct axvcpu_vcpu *vcpu, u64 val)
{
	struct axvcpu_run *run = vcpu->run;

	run->send_ipi.vector = (val >> 24) & 0xf;
	run->send_ipi.send_to_self = 0;
	if (val & BIT_ULL(40)) {		/* IRM: all but self */
		run->send_ipi.send_to_all = 1;
		run->send_ipi.target_cpu = 0;
		run->send_ipi.target_cpu_aux = 0;
	} else {
		/*
		 * ICC_SGI1R_EL1's Aff3 (bits 55:48), Aff2 (39:32) and Aff1
		 * (23:16) as an MPIDR-like Aff3.Aff2.Aff1 in bits 31:8; the
		 * low byte is the first Aff0 of the target list (the range
		 * selector RS, bits 47:44, times 16).
		 */
		run->send_ipi.send_to_all = 0;
		run->send_ipi.target_cpu = (((val >> 48) & 0xff) << 24) |
					   (((val >> 32) & 0xff) << 16) |
					   (((val >> 16) & 0xff) << 8) |
					   (((val >> 44) & 0xf) * 16);
		run->send_ipi.target_cpu_aux = val & 0xffff;
	}
	return exit_to_vmm(vcpu, AXVCPU_EXIT_SEND_IPI);
}

static int handle_sysreg(struct axvcpu_vcpu *vcpu)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	struct axvcpu_run *run = vcpu->run;
	u64 iss = av->esr & ESR_ELx_ISS_MASK;
	u32 op0 = (iss >> 20) & 3, op2 = (iss >> 17) & 7;
	u32 op1 = (iss >> 14) & 7, crn = (iss >> 10) & 0xf;
	u32 rt = (iss >> 5) & 0x1f, crm = (iss >> 1) & 0xf;
	bool read = iss & 1;
	u64 addr = iss & SYSREG_ADDR_MASK;

	skip_insn(av);

	/* DC ISW/CSW/CISW (HCR_EL2.TSW): nothing to do with FWB or TCG. */
	if (op0 == 1 && op1 == 0 && crn == 7 && op2 == 2 &&
	    (crm == 6 || crm == 10 || crm == 14))
		return builtin(vcpu, AXVCPU_BUILTIN_MSR);

	/*
	 * REVIDR_EL1 and AIDR_EL1 (HCR_EL2.TID1, in the guest HCR of Linux
	 * 6.14 and later): the host CPU's values, as KVM gives them.  They
	 * went to the VMM before, which may not know them (axvm: UNDEF, and
	 * a Linux guest dies reading REVIDR_EL1 at boot).
	 */
	if (read && op0 == 3 && crn == 0 && crm == 0 &&
	    ((op1 == 0 && op2 == 6) || (op1 == 1 && op2 == 7))) {
		set_gpr(av, rt, op1 ? read_sysreg_s(SYS_AIDR_EL1) :
				      read_sysreg_s(SYS_REVIDR_EL1));
		return builtin(vcpu, AXVCPU_BUILTIN_MSR);
	}

	/* ID registers (HCR_EL2.TID3). */
	if (read && op0 == 3 && op1 == 0 && crn == 0 && crm >= 1 && crm <= 7) {
		set_gpr(av, rt, id_reg_value(crm, op2));
		return builtin(vcpu, AXVCPU_BUILTIN_MSR);
	}

	/* Debug registers (MDCR_EL2.TDA, TDOSA, TDRA). */
	if (op0 == 2) {
		u64 val = read ? 0 : gpr(av, rt);
		int r = axv_arm_debug_sysreg(av, op0, op1, crn, crm, op2, read,
					     &val);

		if (r < 0) {
			/* UNDEF at the MRS/MSR itself, as for SVE below. */
			av->ctx.pc -= 4;
			preempt_disable();
			axv_arm_put(av);
			preempt_enable();
			axv_arm_inject_undef(av);
			return builtin(vcpu, AXVCPU_BUILTIN_EXCEPTION);
		}
		if (r) {
			if (read)
				set_gpr(av, rt, val);
			return builtin(vcpu, AXVCPU_BUILTIN_MSR);
		}
	}

	if (addr == SYSREG_ICC_SGI1R_EL1) {
		if (read) {	/* write-only register: RAZ */
			set_gpr(av, rt, 0);
			return builtin(vcpu, AXVCPU_BUILTIN_SGI_READ);
		}
		return send_ipi_exit(vcpu, gpr(av, rt));
	}

	run->sysreg.addr = addr;
	run->sysreg.reg = rt;
	av->rd.reg = rt;
	run->sysreg.is_write = !read;
	run->sysreg.fault = 0;
	if (read) {
		run->sysreg.value = 0;
		return exit_to_vmm(vcpu, AXVCPU_EXIT_SYSREG_READ);
	}
	run->sysreg.value = gpr(av, rt);
	return exit_to_vmm(vcpu, AXVCPU_EXIT_SYSREG_WRITE);
}

/* ---- aborts ---- */

static u64 fault_ipa(struct axv_arm_vcpu *av)
{
	u64 ipa = (av->hpfar & HPFAR_MASK) << 8;

	if (!(av->esr & BIT(10)))	/* FnV: FAR valid */
		ipa |= av->far & 0xfff;
	return ipa;
}

static int npf_exit(struct axvcpu_vcpu *vcpu, u64 gpa, u64 access)
{
	vcpu->run->npf.gpa = gpa;
	vcpu->run->npf.access = access;
	return exit_to_vmm(vcpu, AXVCPU_EXIT_NESTED_PAGE_FAULT);
}

static int mmio_exit(struct axvcpu_vcpu *vcpu, u64 gpa)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	struct axvcpu_run *run = vcpu->run;
	u64 esr = av->esr;
	u32 width = 1U << ((esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
	u32 srt = (esr & ESR_ELx_SRT_MASK) >> ESR_ELx_SRT_SHIFT;
	bool write = esr & ESR_ELx_WNR;

	run->mmio.addr = gpa;
	run->mmio.width = width;
	run->mmio.reg = srt;
	run->mmio.reg_width = (esr & ESR_ELx_SF) ? 8 : 4;
	run->mmio.is_write = write;
	run->mmio.sign_ext = !!(esr & ESR_ELx_SSE);
	av->rd.reg = srt;
	av->rd.width = width;
	av->rd.reg_width = run->mmio.reg_width;
	av->rd.sign_ext = run->mmio.sign_ext;
	av->rd.write = write;
	av->mmio_pc = av->ctx.pc;
	av->mmio_exit = true;
	skip_insn(av);
	if (write) {
		u64 data = gpr(av, srt);

		if (width < 8)
			data &= (1ULL << (width * 8)) - 1;
		/* A device notification the VMM waits for on an eventfd. */
		if (axvcpu_ioeventfd_write(vcpu->vm, gpa, width, data, false)) {
			av->mmio_exit = false;
			return builtin(vcpu, AXVCPU_BUILTIN_IOEVENTFD);
		}
		run->mmio.data = data;
		return exit_to_vmm(vcpu, AXVCPU_EXIT_MMIO_WRITE);
	}
	run->mmio.data = 0;
	return exit_to_vmm(vcpu, AXVCPU_EXIT_MMIO_READ);
}

/*
 * Guest RAM that stage 2 does not map (yet, or any more: the MMU notifier
 * unmapped it): map it where the lookup may sleep, and let the guest run
 * the access again.
 */
static int fault_in(struct axvcpu_vcpu *vcpu, u64 gpa, u64 access,
		    bool atomic)
{
	int r;

	if (atomic)
		return AXV_ARM_RUN_SLEEP;
	r = axvcpu_fault_in(vcpu->vm, gpa, access == AXVCPU_ACCESS_WRITE);
	switch (r) {
	case 0:
		return builtin(vcpu, AXVCPU_BUILTIN_MEMORY_FAULT);
	case -ENOENT:	/* the slot went meanwhile: the next exit says what */
	case -EACCES:
	case -EINTR:	/* a fatal signal: the core's loop returns for it */
		return AXVCPU_RUN_CONTINUE;
	case -EFAULT:
		return npf_exit(vcpu, gpa, access);
	default:
		return r;
	}
}

/*
 * DFSC/IFSC values of a synchronous external abort or parity/ECC error:
 * on the access itself (0b010000, 0b011000) or on a table walk at level
 * -1..3 (0b010011-0b010111, 0b011011-0b011111); Arm ARM D19.2, ISS
 * encoding for an exception from a Data Abort.
 */
static bool is_sea(u64 esr)
{
	u64 fsc = esr & 0x3f;

	return fsc == ESR_ELx_FSC_EXTABT || fsc == 0x18 ||
	       (fsc >= 0x13 && fsc <= 0x17) || (fsc >= 0x1b && fsc <= 0x1f);
}

/*
 * The memory system failed a guest access: an uncorrected error in the
 * page (or its table) behind it.  A host with firmware-first RAS learns
 * of it through APEI (GHES), which a module cannot reach: apei_claim_sea()
 * is not exported.  So when the guest's access was to a page we map, that
 * page goes to the kernel's memory-failure handling as GHES would send
 * it: it is unmapped from the VMM (SIGBUS on its next touch) and, through
 * the MMU notifier, from stage 2.  The VMM learns of the abort and
 * decides for the guest (AXVCPU_ARM64_INJECT_EXCEPTION of an abort, as a
 * CPU would take it, or stop).  Never in the guest's name on the host.
 */
static int handle_sea(struct axvcpu_vcpu *vcpu)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	struct axvcpu_run *run = vcpu->run;
	unsigned long pfn;
	bool queued = false;

	if (av->sea_ipa != ~0ULL &&
	    axv_arm_s2_pfn(vcpu->vm, av->sea_ipa, &pfn) && pfn_valid(pfn)) {
		memory_failure_queue(pfn, 0);
		queued = true;
	}
	pr_warn_ratelimited("guest external abort: ESR %#llx FAR %#llx IPA %#llx%s\n",
			    av->esr, av->far, av->sea_ipa,
			    queued ? ", page to memory-failure handling" : "");
	run->internal.suberror = AXVCPU_INTERNAL_SEA;
	run->internal.ndata = 4;
	run->internal.data[0] = av->esr;
	run->internal.data[1] = av->far;
	run->internal.data[2] = av->sea_ipa;
	run->internal.data[3] = queued;
	return exit_to_vmm(vcpu, AXVCPU_EXIT_INTERNAL_ERROR);
}

static int handle_abort(struct axvcpu_vcpu *vcpu, bool iabt, bool atomic)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	u64 esr = av->esr, fsc_type = esr & ESR_ELx_FSC_TYPE;
	u64 gpa = fault_ipa(av);
	u64 access = iabt ? AXVCPU_ACCESS_EXECUTE :
		     (esr & ESR_ELx_WNR) ? AXVCPU_ACCESS_WRITE :
		     AXVCPU_ACCESS_READ;
	bool write = access == AXVCPU_ACCESS_WRITE;
	int slot;

	if (is_sea(esr))
		return handle_sea(vcpu);
	/* Stage-2 faults we can name: address size, translation, AF, perm. */
	if (fsc_type != 0 && fsc_type != ESR_ELx_FSC_FAULT &&
	    fsc_type != ESR_ELx_FSC_ACCESS && fsc_type != ESR_ELx_FSC_PERM)
		return internal_error(vcpu, AXVCPU_INTERNAL_UNKNOWN_ESR, esr);

	/*
	 * A translation or access-flag fault in guest RAM, by a load, a
	 * store, an instruction fetch or the guest's own table walk (S1PTW):
	 * map the page.  A permission fault on a write to a writable slot is
	 * a page its dirty log write-protected; on a read-only slot it is
	 * the guest's error.
	 */
	slot = axvcpu_gpa_slot_flags(vcpu->vm, gpa);
	if ((fsc_type != ESR_ELx_FSC_PERM || write) &&
	    axvcpu_slot_allows(slot, write))
		return fault_in(vcpu, gpa, access, atomic);
	if (iabt || fsc_type == ESR_ELx_FSC_PERM || (esr & ESR_ELx_S1PTW) ||
	    slot >= 0)
		return npf_exit(vcpu, gpa, access);
	/* Cache maintenance by VA on an MMIO address: nothing to do. */
	if (esr & ESR_ELx_CM) {
		skip_insn(av);
		return AXVCPU_RUN_CONTINUE;
	}
	if (!(esr & ESR_ELx_ISV))
		return npf_exit(vcpu, gpa, access);
	return mmio_exit(vcpu, gpa);
}

/* ---- WFx ---- */

/* ESR_ELx ISS of a trapped WF* instruction, TI[1]: WFIT/WFET (FEAT_WFxT). */
#define WFX_ISS_WFXT	BIT(1)

static bool wfi_wake(struct axvcpu_vcpu *vcpu)
{
	return axv_arm_vgic_wfi_wake(to_arm(vcpu));
}

/*
 * WFI: an exit to the VMM, or with AXVCPU_SETUP_HALT_IN_KERNEL a sleep
 * here until the guest has an interrupt to take or its timer fires.  A
 * WFI may complete at any time (Arm ARM, "Wait For Interrupt"), so a
 * WFIT, whose timeout this sleep does not know, completes at once, and so
 * does a WFI that a pending interrupt or a fired timer would end.
 */
static int handle_wfx(struct axvcpu_vcpu *vcpu, bool atomic)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	bool sleep;
	u64 ns;

	if (av->esr & ESR_ELx_WFx_ISS_WFE) {	/* WFE, WFET */
		skip_insn(av);
		return builtin(vcpu, AXVCPU_BUILTIN_WFE);
	}
	if (!vcpu->halt_in_kernel) {
		skip_insn(av);
		return exit_to_vmm(vcpu, AXVCPU_EXIT_HALT);
	}
	axv_arm_vgic_wfi_prepare(av);
	ns = axv_arm_timer_wake_ns(av);
	sleep = ns && !(av->esr & WFX_ISS_WFXT) && !axv_arm_vgic_wfi_wake(av);
	if (sleep && atomic)
		return AXV_ARM_RUN_SLEEP;	/* nothing done yet */
	skip_insn(av);
	if (sleep)
		axvcpu_vcpu_block(vcpu, &vcpu->wq, wfi_wake, ns);
	return builtin(vcpu, AXVCPU_BUILTIN_HALT);
}

static int handle_sync(struct axvcpu_vcpu *vcpu, bool atomic)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);

	switch (ESR_ELx_EC(av->esr)) {
	case ESR_ELx_EC_HVC64:
		return handle_hvc(vcpu, atomic);
	case ESR_ELx_EC_SMC64:
		return handle_smc(vcpu, atomic);
	case ESR_ELx_EC_DABT_LOW:
		return handle_abort(vcpu, false, atomic);
	case ESR_ELx_EC_IABT_LOW:
		return handle_abort(vcpu, true, atomic);
	case ESR_ELx_EC_SYS64:
		return handle_sysreg(vcpu);
	case ESR_ELx_EC_WFx:
		return handle_wfx(vcpu, atomic);
	case ESR_ELx_EC_FP_ASIMD:
		/* vcpu.c's run loop hands the FP registers over; enter again. */
		return builtin(vcpu, AXVCPU_BUILTIN_EXCEPTION);
	case ESR_ELx_EC_SVE:
	case ESR_ELx_EC_SME:
	case ESR_ELx_EC_PAC:
		/*
		 * Hidden in the ID registers: the guest gets an UNDEF.  That
		 * writes its EL1 exception registers: put them in memory
		 * first (the run loop loads them again).
		 */
		preempt_disable();
		axv_arm_put(av);
		preempt_enable();
		axv_arm_inject_undef(av);
		return builtin(vcpu, AXVCPU_BUILTIN_EXCEPTION);
	default:
		return internal_error(vcpu, AXVCPU_INTERNAL_UNKNOWN_ESR,
				      av->esr);
	}
}

/**
 * axv_arm_handle_exit - act on one guest exit.
 * @vcpu: the vcpu; its general registers are saved, the host's EL2 state
 *	is back, its EL1 context may still be loaded (switch.c).
 * @code: the AXV_ARM_EXIT_* code of the exit.
 * @atomic: called with preemption disabled (vcpu.c's run loop).
 *
 * Return: AXVCPU_RUN_EXIT with vcpu->run filled, AXVCPU_RUN_CONTINUE, or
 * AXV_ARM_RUN_SLEEP (only if @atomic: nothing done, call again without).
 */
int axv_arm_handle_exit(struct axvcpu_vcpu *vcpu, u64 code, bool atomic)
{
	struct axv_arm_vcpu *av = to_arm(vcpu);
	struct axvcpu_run *run = vcpu->run;

	run->hw_reason = av->esr;
	run->hw_qualification = av->far;
	run->hw_extra = av->hpfar;
	run->hw_rip = av->ctx.pc;

	switch (code) {
	case AXV_ARM_EXIT_SYNC:
		return handle_sync(vcpu, atomic);
	case AXV_ARM_EXIT_IRQ:
		/* The host took it when DAIF was restored. */
		return builtin(vcpu, AXVCPU_BUILTIN_EXT_INTR);
	case AXV_ARM_EXIT_FIQ:
		return internal_error(vcpu, AXVCPU_INTERNAL_FIQ, av->esr);
	case AXV_ARM_EXIT_SERROR:
		return internal_error(vcpu, AXVCPU_INTERNAL_SERROR, av->esr);
	default:
		return internal_error(vcpu, AXVCPU_INTERNAL_UNKNOWN_EXIT, code);
	}
}
