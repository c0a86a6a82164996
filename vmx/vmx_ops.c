// SPDX-License-Identifier: GPL-2.0
/*
 * Failures of the VMX instruction wrappers (vmx/vmx.h), reported in one
 * place.  Each one is a bug or a lost VMX operation, never guest input:
 * logged, ratelimited, with the field or operand and, where the CPU gives
 * one, the VM-instruction error (SDM 31.4).
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/printk.h>

#include "vmx.h"

DEFINE_PER_CPU(struct axvmx_vmcs_fail, axvmx_vmcs_fail);

void __axvmx_vmcs_fail_report(void)
{
	struct axvmx_vmcs_fail *f = this_cpu_ptr(&axvmx_vmcs_fail);
	unsigned int reads = f->reads, writes = f->writes;
	unsigned long field = f->field;
	u64 value = f->value;

	f->writes = 0;
	pr_err_ratelimited("%u VMREAD and %u VMWRITE failed, the last of field 0x%lx (write value 0x%llx, VM-instruction error %llu; no current VMCS, or no such field)\n",
			   reads, writes, field, value,
			   vmcs_read(VM_INSTRUCTION_ERROR));
	/* That read fails too when no VMCS is current: not news. */
	f->reads = 0;
}

void axvmx_insn_error(const char *insn, u64 arg)
{
	pr_err_ratelimited("%s 0x%llx failed\n", insn, arg);
}
