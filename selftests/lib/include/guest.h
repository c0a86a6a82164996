/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest layout and guest code shared by the tests.  Guest code is assembly
 * in the test binary between NAME_start and NAME_end labels; the host copies
 * those bytes into guest memory at GUEST_ENTRY.  The labels must be .global:
 * arm64 code reaches extern arrays through the GOT, and the linker gives
 * local labels of one section a single GOT entry (start == end).
 *
 * x86_64: AXVCPU_SETUP's start is real mode, CS base 0, unrestricted
 * guest: code at 0x1000 in a slot at gpa 0, data addressed with DS = 0.
 * arm64: EL1h, MMU off, code at the start of a slot at IPA 0x40000000.
 */
#ifndef SELFTEST_GUEST_H
#define SELFTEST_GUEST_H

#include <stddef.h>

#if defined(__x86_64__)
#define GUEST_MEM_GPA		0x0
#define GUEST_ENTRY		0x1000
#define GPR_RET			0	/* rax */
#define GPR_SCRATCH		3	/* rbx */
#define GPR_MAX			15
#elif defined(__aarch64__)
#define GUEST_MEM_GPA		0x40000000
#define GUEST_ENTRY		0x40000000
#define GPR_RET			0	/* x0 */
#define GPR_SCRATCH		19	/* x19 */
#define GPR_MAX			31	/* xzr */
#else
#error "unsupported architecture"
#endif

#define GUEST_MEM_SIZE		0x10000
#define GUEST_DATA_OFF		0x8000	/* data page, offset in the slot */
#define GUEST_DATA_GPA		(GUEST_MEM_GPA + GUEST_DATA_OFF)

/* A second slot right above the test slot, for guest_hcall_slot1. */
#define SLOT1_GPA		(GUEST_MEM_GPA + GUEST_MEM_SIZE)

/* Hypercall numbers the lib guests use (none is a PSCI function id). */
#define HCALL_LOOP_NR		0x4c4f4f	/* guest_hcall_loop */
#define HCALL_STORE_NR		0x53544f	/* guest_store_page */

#define GUEST_CODE(name)						\
	extern const unsigned char name##_start[], name##_end[]
#define GUEST_CODE_LEN(name)	((size_t)(name##_end - name##_start))

/* Loops forever without exiting (x86: jmp .; arm64: b .). */
GUEST_CODE(guest_spin);
/* Loops forever making hypercall HCALL_LOOP_NR; every RUN exits HYPERCALL. */
GUEST_CODE(guest_hcall_loop);
/*
 * Loops forever: loads nr from SLOT1_GPA (x86: 32 bits, arm64: 64 bits) and
 * makes a hypercall with it.
 */
GUEST_CODE(guest_hcall_slot1);
/*
 * Loops forever: hypercall HCALL_STORE_NR, then a store to page (the
 * hypercall's return value) of slot 1 at SLOT1_GPA; x86 reaches 224 pages.
 */
GUEST_CODE(guest_store_page);
/* Counts in GPR_SCRATCH from 1 and ucall(SYNC, count) each time. */
GUEST_CODE(guest_ucall_counter);

#endif /* SELFTEST_GUEST_H */
