// SPDX-License-Identifier: GPL-2.0
/*
 * Failures of the VMX instruction wrappers (vmx/vmx.h), reported in one
 * place.  Each one is a bug or a lost VMX operation, never guest input:
 * logged, ratelimited, with the field or operand and, where the CPU gives
 * one, the VM-instruction error (SDM 31.4).
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/printk.h>

#include "vmx.h"

void axvmx_vmwrite_error(unsigned long field, u64 value)
{
	pr_err_ratelimited("VMWRITE 0x%lx <- 0x%llx failed (error %llu)\n",
			   field, value, vmcs_read(VM_INSTRUCTION_ERROR));
}

void axvmx_vmread_error(unsigned long field)
{
	pr_err_ratelimited("VMREAD 0x%lx failed (no current VMCS, or no such field)\n",
			   field);
}

void axvmx_insn_error(const char *insn, u64 arg)
{
	pr_err_ratelimited("%s 0x%llx failed\n", insn, arg);
}
