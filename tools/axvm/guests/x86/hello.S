/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bundled x86_64 guest: a flat real-mode binary that axvm loads and
 * enters at 0x8000.  vcpu 0 sets up the 16550 (divisor latch: 115200 8N1),
 * prints a line, starts vcpu 1 with the local APIC's INIT and SIPI IPIs
 * (xAPIC at 0xfee00000, reached through an "unreal mode" FS), or through
 * axvm's CPU start port (x86.h) when the module emulates no local APIC
 * (its version register reads as all ones), waits for vcpu 1's line, and
 * powers off through port 0x604 (0x2000: ACPI S5 at QEMU q35's PM1a_CNT).
 */
	.code16
	.text
	.globl start
start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7000, %sp

	/* 16550: DLAB on, divisor 1 (115200), 8N1, FIFO on. */
	movw	$0x3fb, %dx
	movb	$0x80, %al
	outb	%al, %dx
	movw	$0x3f8, %dx
	movb	$1, %al
	outb	%al, %dx
	movw	$0x3f9, %dx
	xorb	%al, %al
	outb	%al, %dx
	movw	$0x3fb, %dx
	movb	$0x03, %al
	outb	%al, %dx
	movw	$0x3fa, %dx
	movb	$0x01, %al
	outb	%al, %dx

	movw	$msg_hello, %si
	call	puts

	/* How many vcpus?  (in 0xac0) */
	movw	$0xac0, %dx
	inl	%dx, %eax
	cmpl	$2, %eax
	jb	no_smp

	/*
	 * Unreal mode: FS with base 0 and a 4 GiB limit, for the xAPIC page.
	 * Protected mode for two instructions, interrupts are off.
	 */
	lgdtl	gdt_desc
	movl	%cr0, %eax
	orb	$1, %al
	movl	%eax, %cr0
	movw	$0x08, %bx
	movw	%bx, %fs
	andb	$0xfe, %al
	movl	%eax, %cr0
	xorw	%bx, %bx
	movw	%bx, %fs

	/* A local APIC?  Its version register (0xfee00030) is not ~0. */
	movl	$0xfee00030, %ebx
	addr32 movl	%fs:(%ebx), %eax
	cmpl	$0xffffffff, %eax
	je	start_port

	/* INIT, SIPI, SIPI to APIC ID 1: vcpu 1 starts at 0:ap_entry. */
	movw	$msg_sipi, %si
	call	puts
	movl	$0xfee00310, %ebx
	movl	$(1 << 24), %eax		/* ICR high: destination */
	addr32 movl	%eax, %fs:(%ebx)
	movl	$0xfee00300, %ebx
	movl	$0x00004500, %eax		/* INIT, level assert */
	addr32 movl	%eax, %fs:(%ebx)
	movl	$0xfee00310, %ebx
	movl	$(1 << 24), %eax
	addr32 movl	%eax, %fs:(%ebx)
	movl	$0xfee00300, %ebx
	movl	$(0x00004600 | ((0x8000 + ap_entry - start) >> 12)), %eax	/* STARTUP */
	addr32 movl	%eax, %fs:(%ebx)
	movl	$0xfee00310, %ebx
	movl	$(1 << 24), %eax
	addr32 movl	%eax, %fs:(%ebx)
	movl	$0xfee00300, %ebx
	movl	$(0x00004600 | ((0x8000 + ap_entry - start) >> 12)), %eax	/* the second SIPI */
	addr32 movl	%eax, %fs:(%ebx)
	jmp	wait_ap

start_port:
	/* Start vcpu (APIC ID) 1 at ap_entry through axvm's port. */
	movw	$msg_port, %si
	call	puts
	movw	$0xac0, %dx
	movl	$1, %eax
	outl	%eax, %dx
	movw	$0xac4, %dx
	movl	$ap_entry, %eax
	outl	%eax, %dx
	inl	%dx, %eax
	testl	%eax, %eax
	jnz	smp_failed

wait_ap:
	/* Wait (bounded) for vcpu 1 to check in. */
	movl	$0x10000000, %ecx
1:	cmpb	$1, ap_flag
	je	smp_ok
	pause
	decl	%ecx
	jnz	1b
	movw	$msg_timeout, %si
	call	puts
	jmp	poweroff
smp_ok:
	movw	$msg_smp_ok, %si
	call	puts
	jmp	poweroff
smp_failed:
	movw	$msg_smp_failed, %si
	call	puts
	jmp	poweroff
no_smp:
	movw	$msg_no_smp, %si
	call	puts

poweroff:
	movw	$msg_bye, %si
	call	puts
	movw	$0x604, %dx
	movw	$0x2000, %ax
	outw	%ax, %dx
	/* Not reached under axvm; debug-exit 1 (status 3) if it is. */
	movw	$0xf4, %dx
	movb	$1, %al
	outb	%al, %dx
2:	hlt
	jmp	2b

/* vcpu 1 starts here, in real mode with CS = 0 (SIPI: a page boundary). */
	.balign	4096
ap_entry:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x6000, %sp
	movw	$msg_ap, %si
	call	puts
	movb	$1, ap_flag
3:	hlt
	jmp	3b

/* puts: the NUL-terminated string at %si. */
puts:
	lodsb
	testb	%al, %al
	jz	9f
	call	putc
	jmp	puts
9:	ret

/* putc: %al, once the transmitter is empty (LSR bit 5). */
putc:
	pushw	%dx
	pushw	%ax
	movw	$0x3fd, %dx
1:	inb	%dx, %al
	testb	$0x20, %al
	jz	1b
	popw	%ax
	movw	$0x3f8, %dx
	outb	%al, %dx
	popw	%dx
	ret

msg_hello:	.asciz "Hello from the axvm x86_64 guest (vcpu 0, real mode)\r\n"
msg_ap:		.asciz "Hello from vcpu 1\r\n"
msg_smp_ok:	.asciz "vcpu 0: vcpu 1 is up: 2 vcpus\r\n"
msg_smp_failed:	.asciz "vcpu 0: starting vcpu 1 failed\r\n"
msg_timeout:	.asciz "vcpu 0: vcpu 1 did not check in\r\n"
msg_no_smp:	.asciz "vcpu 0: one vcpu only (--cpus 2 for SMP)\r\n"
msg_bye:	.asciz "Powering off\r\n"
msg_sipi:	.asciz "vcpu 0: starting vcpu 1 with INIT/SIPI (local APIC)\r\n"
msg_port:	.asciz "vcpu 0: no local APIC: starting vcpu 1 through axvm's CPU start port\r\n"
	.balign	8
gdt:		.quad	0
		.quad	0x00cf92000000ffff	/* 0x08: data, base 0, 4 GiB */
gdt_desc:	.word	gdt_desc - gdt - 1
		.long	gdt
ap_flag:	.byte 0
