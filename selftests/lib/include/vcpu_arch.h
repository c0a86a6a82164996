/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-arch hooks of the selftest library: one set of names, declared
 * here, implemented once per arch in lib/x86_64/processor.c and
 * lib/aarch64/processor.c (the Makefile builds the one of ARCH).  Library
 * and tests call these names and never test __x86_64__/__aarch64__ for
 * what a hook covers.  An arch's own helpers (GDT and page tables on
 * x86_64, vector tables and GIC set-up on arm64) are in that arch's
 * "processor.h".
 */
#ifndef SELFTEST_VCPU_ARCH_H
#define SELFTEST_VCPU_ARCH_H

#include <linux/types.h>
#include "libaxvm.h"

/**
 * vcpu_arch_create_cfg() - fill the arch part of a vcpu's create argument
 * @cfg: AXVCPU_CREATE_VCPU's argument, zeroed by the caller.
 * @id: the vcpu id.
 *
 * arm64: MPIDR_EL1 affinity = @id (PSCI CPU_ON and the GIC address vcpus
 * by MPIDR).  x86_64: nothing (the APIC id is the vcpu id).
 */
void vcpu_arch_create_cfg(struct axvcpu_vcpu_create *cfg, __u32 id);

/**
 * vcpu_arch_get_pc() - the guest's program counter (x86_64 RIP, arm64 PC)
 * @vcpu: a vcpu that is not in RUN.
 */
__u64 vcpu_arch_get_pc(struct axvm_vcpu *vcpu);

/**
 * vcpu_arch_set_pc() - set the guest's program counter
 * @vcpu: a vcpu that is not in RUN.
 * @pc: the new RIP / PC.
 */
void vcpu_arch_set_pc(struct axvm_vcpu *vcpu, __u64 pc);

/**
 * vcpu_arch_skip_insn() - step the guest over the instruction that exited
 * @vcpu: a vcpu that is not in RUN, after an exit the module did not
 *	complete (an NPF, an MMIO the test does not answer).
 * @len: the instruction's length in bytes; 0 means the arch's fixed
 *	length (arm64: 4, A64 instructions; x86_64 has none, 0 fails).
 */
void vcpu_arch_skip_insn(struct axvm_vcpu *vcpu, unsigned int len);

#endif /* SELFTEST_VCPU_ARCH_H */
