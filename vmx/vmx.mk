# SPDX-License-Identifier: GPL-2.0
# Objects of the Intel VMX backend (included by ../Kbuild).
axvcpu-$(CONFIG_X86_64) += vmx/vmx_stub.o
