# SPDX-License-Identifier: GPL-2.0
# Objects of the Intel VMX backend (included by ../Kbuild).
# In layers, each using only those above it (tools/testing/check-layers.sh):
#   instruction failures: vmx_ops
#   host isolation steps: vmx_spec
#   VMX operation per CPU, EPT: vmx_percpu, vmx_ept; entry asm: vmx_entry
#   state (VMCS, accessors), FPU, APIC, events: vmx_state, vmx_fpu, vlapic,
#	vmx_event
#   exit handlers: vmx_exit, vmx_cpuid, vmx_msr, vmx_mmio
#   run loop: vmx_run; life cycle and ioctls: vmx_vcpu, vmx_regs
axvcpu-$(CONFIG_X86_64) += vmx/vmx_ops.o vmx/vmx_spec.o vmx/vmx_percpu.o vmx/vmx_ept.o vmx/vmx_entry.o \
			   vmx/vmx_state.o vmx/vmx_fpu.o vmx/vlapic.o \
			   vmx/vmx_event.o \
			   vmx/vmx_exit.o vmx/vmx_cpuid.o vmx/vmx_msr.o \
			   vmx/vmx_mmio.o \
			   vmx/vmx_run.o vmx/vmx_vcpu.o vmx/vmx_regs.o

# Kernel differences the VMX backend probes in the target's headers
# (vmx/vmx_compat.h has the ones a header macro answers).
axvmx-have = $(shell grep -qs '$(1)' $(srctree)/arch/x86/include/asm/$(2) && echo -DAXVCPU_HAVE_$(3))
ccflags-$(CONFIG_X86_64) += $(call axvmx-have,cpu_emergency_register_virt_callback,reboot.h,EMERGENCY_VIRT_CB)
ccflags-$(CONFIG_X86_64) += $(if $(wildcard $(srctree)/arch/x86/include/asm/cpuid/api.h),-DAXVCPU_HAVE_CPUID_API_H)
# cr4_update_irqsoff() exported to every module (not to KVM's namespace
# only, as from 6.19): the kernel's CR4 copy can then carry CR4.VMXE, which
# the vmx_hold mode needs (vmx/vmx_percpu.c).
ccflags-$(CONFIG_X86_64) += $(shell awk -F'\t' '$$2 == "cr4_update_irqsoff" && $$5 == "" { print "-DAXVCPU_HAVE_CR4_EXPORT" }' $(objtree)/Module.symvers 2>/dev/null)
