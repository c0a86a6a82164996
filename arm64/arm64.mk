# SPDX-License-Identifier: GPL-2.0
# Objects of the arm64 EL2 (VHE) backend (included by ../Kbuild).
axvcpu-$(CONFIG_ARM64) += arm64/main.o arm64/stage2.o arm64/vcpu.o \
	arm64/switch.o arm64/exit.o arm64/vgic.o arm64/timer.o arm64/entry.o \
	arm64/spectre.o arm64/debug.o

# arm64-only kernel differences, probed like ../Kbuild's axvcpu-have but in
# arch/arm64/include/asm/ (see arm64/arm64_compat.h).
ifdef CONFIG_ARM64
axvcpu-have-arm64 = $(shell grep -qs '$(1)' $(srctree)/arch/arm64/include/asm/$(2) && echo -DAXVCPU_HAVE_$(3))
ccflags-y += $(call axvcpu-have-arm64,void kernel_neon_begin.struct user_fpsimd_state,neon.h,NEON_STATE)
ccflags-y += $(call axvcpu-have-arm64,define ICH_HCR_EN,sysreg.h,ICH_HCR_EN)
endif
