/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvhboot.S - one-sector BIOS loader: boots a Linux vmlinux through its
 * PVH entry point (x86/boot ABI used by QEMU/Firecracker: 32-bit flat
 * protected mode, paging off, EBX = &struct hvm_start_info).
 *
 * Bochs has no Linux loader, and letting the emulated CPU decompress the
 * bzImage costs ~40 s; mkpvh.py decompresses it on the host instead and
 * writes a raw disk: this sector, then regions listed in the table at 0x1c0
 * as {u32 lba, u32 sectors, u32 dest_phys} (0-terminated): the boot data
 * page (hvm_start_info, PVH entry at +0x40, modlist, cmdline), the flat
 * kernel image and the initramfs.  Each region is read with INT 13h/42h,
 * CHUNK sectors at a time, into a bounce buffer at 0x10000 and copied
 * above 1 MiB with INT 15h/87h.  The BIOS E820 map is stored at E820BUF in
 * hvm_memmap_table_entry layout (same 24-byte record).
 *
 * Build: gcc -m32 -c; ld -m elf_i386 -Ttext 0x7c00 --oformat binary.
 */
#define BOOTDATA	0x00f00000
#define E820BUF		0x5000
#define CHUNK		64

	.code16
	.text
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	sti
	movb	%dl, drive
	inb	$0x92, %al		/* fast A20 gate */
	orb	$2, %al
	andb	$0xfe, %al
	outb	%al, $0x92
	movw	$regions, %bx
next_region:
	movl	4(%bx), %eax
	testl	%eax, %eax
	jz	memmap
	movl	%eax, left
	movl	(%bx), %eax
	movl	%eax, dap_lba
	movl	8(%bx), %eax
	movl	%eax, dest
next_chunk:
	movl	left, %eax
	cmpl	$CHUNK, %eax
	jbe	1f
	movl	$CHUNK, %eax
1:	movw	%ax, dap_cnt
	pushw	%bx
	movw	$dap, %si
	movb	$0x42, %ah
	movb	drive, %dl
	int	$0x13
	jc	fail
	movl	dest, %eax		/* patch the INT 15h/87h destination */
	movw	%ax, dst_lo
	shrl	$16, %eax
	movb	%al, dst_mid
	movb	%ah, dst_hi
	movw	dap_cnt, %cx
	shlw	$8, %cx			/* words */
	movw	$gdt87, %si
	movb	$0x87, %ah
	int	$0x15
	jc	fail
	popw	%bx
	movzwl	dap_cnt, %eax
	addl	%eax, dap_lba
	subl	%eax, left
	shll	$9, %eax
	addl	%eax, dest
	cmpl	$0, left
	jne	next_chunk
	addw	$12, %bx
	jmp	next_region
fail:
	movb	$'!', %al		/* Bochs port 0xe9 debug output */
	outb	%al, $0xe9
	hlt
	jmp	fail

memmap:
	movw	$E820BUF, %di
	xorl	%ebx, %ebx
	xorw	%bp, %bp
2:	movl	$0xe820, %eax
	movl	$24, %ecx
	movl	$0x534d4150, %edx	/* 'SMAP' */
	movl	$0, %es:20(%di)
	int	$0x15
	jc	3f
	cmpl	$0x534d4150, %eax
	jne	3f
	addw	$24, %di
	incw	%bp
	testl	%ebx, %ebx
	jnz	2b
3:	cli
	lgdtl	gdt_desc
	movl	%cr0, %eax
	orb	$1, %al
	movl	%eax, %cr0
	ljmpl	$0x08, $pm32

	.code32
pm32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movzwl	%bp, %eax
	movl	$BOOTDATA, %ebx
	movl	%eax, 48(%ebx)		/* hvm_start_info.memmap_entries */
	movl	$0x7c00, %esp
	jmp	*0x40(%ebx)		/* PVH entry */

	.p2align 3
gdt:	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08 flat 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x10 flat data */
gdt_desc:
	.word	23
	.long	gdt
gdt87:	.quad	0, 0			/* INT 15h/87h descriptor table */
	.word	0xffff, 0x0000		/* source: 0x10000 */
	.byte	0x01, 0x93, 0x00, 0x00
	.word	0xffff
dst_lo:	.word	0
dst_mid: .byte	0
	.byte	0x93, 0x00
dst_hi:	.byte	0
	.quad	0, 0
dap:	.byte	16, 0			/* INT 13h/42h disk address packet */
dap_cnt: .word	0
	.word	0x0000, 0x1000		/* buffer 1000:0000 */
dap_lba: .long	0, 0
drive:	.byte	0
left:	.long	0
dest:	.long	0
	.org	0x1c0
regions:				/* filled in by mkpvh.py */
	.org	510
	.word	0xaa55
