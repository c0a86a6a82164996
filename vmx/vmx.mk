# SPDX-License-Identifier: GPL-2.0
# Objects of the Intel VMX backend (included by ../Kbuild).
axvcpu-$(CONFIG_X86_64) += vmx/vmx_percpu.o vmx/vmx_ept.o vmx/vmx_vcpu.o \
			   vmx/vmx_exit.o vmx/vmx_regs.o vmx/vmx_mmio.o \
			   vmx/vmx_entry.o vmx/vmx_msr.o \
			   vmx/vmx_cpuid.o vmx/vlapic.o
