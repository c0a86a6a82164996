// SPDX-License-Identifier: GPL-2.0
/*
 * x86_64 guests shared by the tests: real mode (.code16), copied to
 * GUEST_ENTRY.  In .code16 the assembler adds the operand-size prefix to
 * every 32-bit register operand.
 */
#include "guest.h"
#include "ucall.h"

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"

    ".global guest_spin_start, guest_spin_end\n"
    "guest_spin_start:\n"
    "1:	jmp 1b\n"
    "guest_spin_end:\n"

    ".global guest_hcall_loop_start, guest_hcall_loop_end\n"
    "guest_hcall_loop_start:\n"
    "1:	mov $" __stringify(HCALL_LOOP_NR) ", %eax\n"
    "	vmcall\n"
    "	jmp 1b\n"
    "guest_hcall_loop_end:\n"

    ".global guest_ucall_counter_start, guest_ucall_counter_end\n"
    "guest_ucall_counter_start:\n"
    "	xor %ebx, %ebx\n"
    "1:	inc %ebx\n"
    GUEST_UCALL_ASM(UCALL_SYNC, "%ebx")
    "	jmp 1b\n"
    "guest_ucall_counter_end:\n"

    ".global guest_hcall_slot1_start, guest_hcall_slot1_end\n"
    "guest_hcall_slot1_start:\n"
    "	mov $(" __stringify(SLOT1_GPA) " >> 4), %ax\n"
    "	mov %ax, %ds\n"
    "1:	mov 0x0, %eax\n"
    "	vmcall\n"
    "	jmp 1b\n"
    "guest_hcall_slot1_end:\n"

    ".global guest_store_page_start, guest_store_page_end\n"
    "guest_store_page_start:\n"
    "1:	mov $" __stringify(HCALL_STORE_NR) ", %eax\n"
    "	vmcall\n"
    /* DS = the page's paragraph: SLOT1_GPA / 16 + page * 256 */
    "	shl $8, %eax\n"
    "	add $(" __stringify(SLOT1_GPA) " >> 4), %eax\n"
    "	mov %ax, %ds\n"
    "	movl $0xd1d1d1d1, 0x8\n"
    "	jmp 1b\n"
    "guest_store_page_end:\n"

    ".code64\n"
    ".popsection\n");
