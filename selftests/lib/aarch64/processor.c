// SPDX-License-Identifier: GPL-2.0
/*
 * The vcpu_arch.h hooks for arm64: the guest's PC through
 * AXVCPU_GET/SET_ARM64_REGS; AXVCPU_SETUP starts the guest at EL1h with
 * the MMU off.
 */
#include "processor.h"

void vcpu_arch_create_cfg(struct axvcpu_vcpu_create *cfg, __u32 id)
{
	/* MPIDR_EL1.Aff0 = id (Arm ARM D19.2, MPIDR_EL1). */
	cfg->arm64.mpidr = id;
}

__u64 vcpu_arch_get_pc(struct axvm_vcpu *vcpu)
{
	struct axvcpu_arm64_regs regs;

	vcpu_get_regs(vcpu, &regs);
	return regs.pc;
}

void vcpu_arch_set_pc(struct axvm_vcpu *vcpu, __u64 pc)
{
	struct axvcpu_arm64_regs regs;

	vcpu_get_regs(vcpu, &regs);
	regs.pc = pc;
	vcpu_set_regs(vcpu, &regs);
}

void vcpu_arch_skip_insn(struct axvm_vcpu *vcpu, unsigned int len)
{
	/* A64 instructions are 4 bytes (Arm ARM C1.1). */
	vcpu_arch_set_pc(vcpu, vcpu_arch_get_pc(vcpu) + (len ? len : 4));
}
