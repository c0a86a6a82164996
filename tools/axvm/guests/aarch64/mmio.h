/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device register accessors of the bundled arm64 guests.
 *
 * A hypervisor can emulate a trapped device access only from what the
 * Data Abort syndrome says about it, and the syndrome is valid
 * (ESR_EL2.ISV = 1) only for a load or store of one general-purpose
 * register without writeback (Arm ARM, DDI 0487, ESR_EL2, "ISS encoding
 * for an exception from a Data Abort", ISV).  A pre- or post-indexed
 * form, a pair or a SIMD&FP register traps with ISV = 0, and the access
 * cannot be emulated (axvcpu reports a nested page fault, KVM refuses it
 * the same way).  A C access through a volatile pointer leaves the
 * addressing mode to the compiler; gcc 14 folds the next register's
 * offset into the store (str w1, [x9], #24).  So every device access is
 * one ldr/str with the address alone in a register, as Linux's
 * __raw_readl()/__raw_writel() do.  The "memory" clobber keeps the
 * compiler from moving RAM accesses across a device access.
 */
#ifndef AXVM_GUEST_MMIO_H
#define AXVM_GUEST_MMIO_H

#include <stdint.h>

static inline uint32_t mmio_read32(unsigned long addr)
{
	uint32_t val;

	asm volatile("ldr %w0, [%1]" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline void mmio_write32(unsigned long addr, uint32_t val)
{
	asm volatile("str %w0, [%1]" : : "r"(val), "r"(addr) : "memory");
}

#endif /* AXVM_GUEST_MMIO_H */
