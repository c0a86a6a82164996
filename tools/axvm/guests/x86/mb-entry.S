/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of the bundled Multiboot guest: axvm (or any Multiboot loader)
 * enters _start in flat 32-bit protected mode with EAX = 0x2BADB002 and
 * EBX = the Multiboot information.
 */
#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

	.section .multiboot, "a"
	.align	4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.text
	.globl	_start
_start:
	cli
	movl	$stack_top, %esp
	pushl	%ebx
	pushl	%eax
	call	mb_main
1:	hlt
	jmp	1b

	.bss
	.align	16
	.skip	8192
stack_top:

	.section .note.GNU-stack, "", @progbits
