// SPDX-License-Identifier: GPL-2.0
/*
 * The vcpu_arch.h hooks for x86_64 (VMX): the guest's RIP through
 * AXVCPU_GET/SET_X86_REGS; AXVCPU_SETUP starts the guest in real mode.
 */
#include "processor.h"

void vcpu_arch_create_cfg(struct axvcpu_vcpu_create *cfg, __u32 id)
{
	/* Nothing: the vcpu id is the local APIC id. */
}

__u64 vcpu_arch_get_pc(struct axvm_vcpu *vcpu)
{
	return x86_get_rip(vcpu);
}

void vcpu_arch_set_pc(struct axvm_vcpu *vcpu, __u64 pc)
{
	x86_set_rip(vcpu, pc);
}

void vcpu_arch_skip_insn(struct axvm_vcpu *vcpu, unsigned int len)
{
	/* Variable-length instructions: the test knows the length. */
	TEST_ASSERT(len, "x86_64: %s() needs the length", __func__);
	x86_set_rip(vcpu, x86_get_rip(vcpu) + len);
}
