/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axvm x86_64: machine layout and the guest-visible ports.
 */
#ifndef AXVM_X86_H
#define AXVM_X86_H

/* Flat binaries are loaded and entered here (axvisor's x86 entry). */
#define X86_FLAT_ENTRY		0x8000ULL

#define X86_COM1		0x3f8	/* 16550 UART */
#define X86_DEBUG_EXIT		0xf4	/* QEMU isa-debug-exit */
#define X86_SHUTDOWN		0x604	/* QEMU PM1a_CNT: 0x2000 = power off */
#define X86_SHUTDOWN_VALUE	0x2000
#define X86_FW_CFG		0x510	/* selector (16 bit); 0x511 data (8 bit) */

/*
 * axvm's CPU start port, for modules without the emulated local APIC (whose
 * INIT/SIPI become CPU_UP exits): a way for a guest to start another vcpu
 * without a hypercall.
 *   out 0xac0 (32 bit) <- APIC ID of the target
 *   out 0xac4 (32 bit) <- physical entry: starts the target in real mode,
 *                         CS:IP = 0:entry (entry >> 4:entry & 0xf above 64K)
 *   in  0xac4 (32 bit) -> result of the last start: 0, or a PSCI code
 *                         (-2 no such vcpu, -4 already on, -5 pending)
 *   in  0xac0 (32 bit) -> number of vcpus
 */
#define X86_CPU_START		0xac0
#define X86_CPU_START_TARGET	0
#define X86_CPU_START_ENTRY	4

int x86__devices_init(struct axvm *vm);
int x86__legacy_init(struct axvm *vm);

#endif /* AXVM_X86_H */
