# SPDX-License-Identifier: GPL-2.0
# Objects of the arm64 EL2 (VHE) backend (included by ../Kbuild).
axvcpu-$(CONFIG_ARM64) += arm64/main.o arm64/stage2.o arm64/vcpu.o \
	arm64/switch.o arm64/exit.o arm64/vgic.o arm64/timer.o arm64/entry.o
