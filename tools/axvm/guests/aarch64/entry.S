/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of the bundled arm64 guest: a flat binary at 0x40080000, entered
 * at EL1h with the MMU off; vcpu 0 with x0 = DTB, the others (PSCI CPU_ON)
 * at secondary_entry with x0 = the context id.
 */
	.section .text.entry, "ax"
	.globl	_start
_start:
	adr	x1, stack0_top
	mov	sp, x1
	bl	main_bsp
1:	wfi
	b	1b

	.globl	secondary_entry
secondary_entry:
	adr	x1, stack1_top
	mov	sp, x1
	bl	main_secondary
2:	wfi
	b	2b

	.bss
	.balign	16
	.skip	8192
stack0_top:
	.skip	8192
stack1_top:

	.section .note.GNU-stack, "", @progbits
