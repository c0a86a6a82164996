/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry and vector table of the arm64 abort guest (abort.c): a flat binary
 * at 0x40080000, entered at EL1h with the MMU off.  Every vector records
 * its offset, ESR_EL1, FAR_EL1 and ELR_EL1 in exc_info and returns past
 * the faulting instruction.
 */
	.section .text.entry, "ax"
	.globl	_start
_start:
	adr	x1, stack_top
	mov	sp, x1
	adr	x1, vectors
	msr	vbar_el1, x1
	isb
	bl	main_bsp
1:	wfi
	b	1b

.macro	ventry off
	.balign	0x80
	stp	x0, x1, [sp, #-16]!
	mov	x0, #\off
	b	vec_common
.endm

	.balign	2048
vectors:
	ventry	0x000
	ventry	0x080
	ventry	0x100
	ventry	0x180
	ventry	0x200
	ventry	0x280
	ventry	0x300
	ventry	0x380
	ventry	0x400
	ventry	0x480
	ventry	0x500
	ventry	0x580
	ventry	0x600
	ventry	0x680
	ventry	0x700
	ventry	0x780

/* exc_info: offset, esr, far, elr, count */
vec_common:
	adr	x1, exc_info
	str	x0, [x1, #0]
	mrs	x0, esr_el1
	str	x0, [x1, #8]
	mrs	x0, far_el1
	str	x0, [x1, #16]
	mrs	x0, elr_el1
	str	x0, [x1, #24]
	add	x0, x0, #4
	msr	elr_el1, x0
	ldr	x0, [x1, #32]
	add	x0, x0, #1
	str	x0, [x1, #32]
	ldp	x0, x1, [sp], #16
	eret

	.data
	.balign	8
	.globl	exc_info
exc_info:
	.quad	0, 0, 0, 0, 0

	.bss
	.balign	16
	.skip	8192
stack_top:

	.section .note.GNU-stack, "", @progbits
