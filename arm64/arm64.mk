# SPDX-License-Identifier: GPL-2.0
# Objects of the arm64 EL2 (VHE) backend (included by ../Kbuild).
axvcpu-$(CONFIG_ARM64) += arm64/arm64_stub.o
