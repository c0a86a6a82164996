// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 guests shared by the tests: EL1h, MMU off, copied to GUEST_ENTRY.
 * Position independent: no literal pools, absolute addresses built with
 * movz/movk.
 */
#include "guest.h"
#include "ucall.h"

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"

    ".global guest_spin_start, guest_spin_end\n"
    "guest_spin_start:\n"
    "1:	b 1b\n"
    "guest_spin_end:\n"

    ".global guest_hcall_loop_start, guest_hcall_loop_end\n"
    "guest_hcall_loop_start:\n"
    "1:	movz x0, #(" __stringify(HCALL_LOOP_NR) " & 0xffff)\n"
    "	movk x0, #(" __stringify(HCALL_LOOP_NR) " >> 16), lsl #16\n"
    "	hvc #0\n"
    "	b 1b\n"
    "guest_hcall_loop_end:\n"

    ".global guest_ucall_counter_start, guest_ucall_counter_end\n"
    "guest_ucall_counter_start:\n"
    "	mov x19, #0\n"
    "1:	add x19, x19, #1\n"
    GUEST_UCALL_ASM(UCALL_SYNC, "x19")
    "	b 1b\n"
    "guest_ucall_counter_end:\n"

    ".global guest_hcall_slot1_start, guest_hcall_slot1_end\n"
    "guest_hcall_slot1_start:\n"
    "	movz x9, #((" __stringify(SLOT1_GPA) " >> 16) & 0xffff), lsl #16\n"
    "1:	ldr x0, [x9]\n"
    "	hvc #0\n"
    "	b 1b\n"
    "guest_hcall_slot1_end:\n"

    ".global guest_store_page_start, guest_store_page_end\n"
    "guest_store_page_start:\n"
    "	movz x9, #((" __stringify(SLOT1_GPA) " >> 16) & 0xffff), lsl #16\n"
    "1:	movz x0, #(" __stringify(HCALL_STORE_NR) " & 0xffff)\n"
    "	movk x0, #(" __stringify(HCALL_STORE_NR) " >> 16), lsl #16\n"
    "	hvc #0\n"
    "	add x10, x9, x0, lsl #12\n"
    "	str x9, [x10, #8]\n"
    "	b 1b\n"
    "guest_store_page_end:\n"

    ".popsection\n");
