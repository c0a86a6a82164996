/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest entry and exit.
 *
 * Why a .S file: the VM exit "returns" to HOST_RIP with RSP = HOST_RSP, a
 * control transfer the compiler cannot see.  Written in C inline asm the
 * exit label is unreachable code to objtool and has no ORC data, so an NMI
 * right after the exit could not unwind.  Here the exit label is an inner
 * label of the same function, with the unwind state saved before
 * VMLAUNCH/VMRESUME and restored at the label (the shape of KVM's
 * vmenter.S).
 *
 * The guest registers live in an array in the order of their numbers in
 * the instruction encoding and the VM-exit qualifications: rax, rcx, rdx,
 * rbx, (rsp), rbp, rsi, rdi, r8..r15.  RSP is in the VMCS.
 */
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#define R(n)		((n) * 8)
#define HOST_RSP_FIELD	0x6c14

/*
 * The mitigations the kernel turned on for VM entry and exit, keyed on the
 * same CPU feature bits, but with the module's own code: the kernel's
 * selector and BHB loop are exported to KVM's modules only (Linux 6.19+).
 * The feature bits changed names over time; each name is a macro.
 */
#if defined(X86_FEATURE_CLEAR_CPU_BUF_VM)
#define AX_VERW_FEATURE		X86_FEATURE_CLEAR_CPU_BUF_VM
#else
#define AX_VERW_FEATURE		X86_FEATURE_CLEAR_CPU_BUF
#endif
#if defined(X86_FEATURE_CLEAR_BHB_VMEXIT)
#define AX_BHB_FEATURE		X86_FEATURE_CLEAR_BHB_VMEXIT
#elif defined(X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT)
#define AX_BHB_FEATURE		X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT
#endif

/*
 * MDS and its relatives: with the microcode's help, the memory-operand
 * form of VERW overwrites the CPU buffers the guest could sample (Intel's
 * MDS guidance).  Any writable data segment selector will do.
 */
.section .rodata, "a"
SYM_DATA_START(axvmx_verw_sel)
	.word __KERNEL_DS
SYM_DATA_END(axvmx_verw_sel)

.section .noinstr.text, "ax"

/*
 * int axvmx_vmenter(u64 *regs, bool resume, unsigned long *host_rsp)
 *
 * IRQs off, the vcpu's VMCS current.  Returns 0 after a VM exit with the
 * guest's GPRs stored in @regs, 1 when VMLAUNCH/VMRESUME (or the HOST_RSP
 * write) failed or faulted.
 */
SYM_FUNC_START(axvmx_vmenter)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	/* @regs stays on the stack: the exit path finds it at 0(%rsp). */
	push %rdi

	/*
	 * HOST_RSP = this stack pointer; the exit comes back right here.  It
	 * is the same for every entry of one RUN thread: written only when
	 * it differs from *@host_rsp (the VMCS keeps it across windows).
	 */
	cmp %rsp, (%rdx)
	je .Lhost_rsp_ok
	mov $HOST_RSP_FIELD, %eax
	vmwrite %rsp, %rax
	jna .Lvmfail
	mov %rsp, (%rdx)
.Lhost_rsp_ok:

	/* CF = @resume; nothing below touches CF before the jnc. */
	bt $0, %esi

	mov %rdi, %rax
	mov R(1)(%rax), %rcx
	mov R(2)(%rax), %rdx
	mov R(3)(%rax), %rbx
	mov R(5)(%rax), %rbp
	mov R(6)(%rax), %rsi
	mov R(7)(%rax), %rdi
	mov R(8)(%rax), %r8
	mov R(9)(%rax), %r9
	mov R(10)(%rax), %r10
	mov R(11)(%rax), %r11
	mov R(12)(%rax), %r12
	mov R(13)(%rax), %r13
	mov R(14)(%rax), %r14
	mov R(15)(%rax), %r15
	mov R(0)(%rax), %rax

	/*
	 * Clobbers ZF only.  The VERW stays out of the replacement: not
	 * every kernel's alternatives relocate a RIP-relative operand there.
	 */
	ALTERNATIVE "jmp .Lskip_verw", "", AX_VERW_FEATURE
	verw axvmx_verw_sel(%rip)
.Lskip_verw:

	jnc .Llaunch

	/*
	 * Both VMRESUME and VMLAUNCH either fall through on VMfail or "return"
	 * at axvmx_vmexit with the stack as it is now: save the unwind state
	 * here, restore it at the exit label.
	 */
	UNWIND_HINT_SAVE
.Lresume:
	vmresume
	jmp .Lvmfail

.Llaunch:
	vmlaunch
	jmp .Lvmfail

	/* A fault (VMX turned off under us in an emergency) counts as VMfail. */
	_ASM_EXTABLE(.Lresume, .Lvmfail)
	_ASM_EXTABLE(.Llaunch, .Lvmfail)

SYM_INNER_LABEL(axvmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR

	push %rax
	mov 8(%rsp), %rax		/* @regs */
	pop R(0)(%rax)
	mov %rcx, R(1)(%rax)
	mov %rdx, R(2)(%rax)
	mov %rbx, R(3)(%rax)
	mov %rbp, R(5)(%rax)
	mov %rsi, R(6)(%rax)
	mov %rdi, R(7)(%rax)
	mov %r8, R(8)(%rax)
	mov %r9, R(9)(%rax)
	mov %r10, R(10)(%rax)
	mov %r11, R(11)(%rax)
	mov %r12, R(12)(%rax)
	mov %r13, R(13)(%rax)
	mov %r14, R(14)(%rax)
	mov %r15, R(15)(%rax)

	xor %ebx, %ebx

.Lclear_regs:
	pop %rax			/* drop @regs */

	/* Leave no guest value in a register the host might speculate on. */
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %ebp, %ebp
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d

	/* The guest may have filled the RSB with its own targets. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	/*
	 * Legacy IBRS (the kernel writes SPEC_CTRL.IBRS on every entry to
	 * it): IBRS holds back predictions from a less privileged mode only
	 * when written after the switch, and the guest was less privileged.
	 * The write must come before the first unbalanced RET; the call and
	 * its RET are balanced, and the RSB was just filled.
	 */
	ALTERNATIVE "", "call axvmx_spec_ctrl_restore_host", X86_FEATURE_KERNEL_IBRS
#ifdef AX_BHB_FEATURE
	ALTERNATIVE "", "call axvmx_clear_bhb", AX_BHB_FEATURE
#endif

	mov %rbx, %rax
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET

.Lvmfail:
	mov $1, %ebx
	jmp .Lclear_regs
SYM_FUNC_END(axvmx_vmenter)

.section .text, "ax"

#ifdef AX_BHB_FEATURE
/*
 * void axvmx_clear_bhb(void)
 *
 * Overwrites the branch history a guest may have trained (Intel's
 * "Branch History Injection" guidance, the software sequence for parts
 * without BHI_DIS_S): five rounds of a call, five taken jumps and a
 * return, then an LFENCE so nothing runs ahead on the old history.  The
 * returns sit in the upper half of their cache line, as the kernel's own
 * copy of the sequence keeps them for Indirect Target Selection.
 */
SYM_FUNC_START(axvmx_clear_bhb)
	push %rbp
	mov %rsp, %rbp
	mov $5, %ecx
	ANNOTATE_INTRA_FUNCTION_CALL
	call .Lbhb_round
	jmp .Lbhb_done
	.align 64, 0xcc
	.skip 32 - (.Lbhb_ret1 - .Lbhb_round), 0xcc
.Lbhb_round:
	ANNOTATE_INTRA_FUNCTION_CALL
	call .Lbhb_jumps
.Lbhb_ret1:
	RET
	.align 64, 0xcc
	.skip 32 - 18, 0xcc
.Lbhb_jumps:
	mov $5, %eax
.Lbhb_jmp:
	jmp .Lbhb_next
	nop
.Lbhb_next:
	sub $1, %eax
	jnz .Lbhb_jmp
	sub $1, %ecx
	jnz .Lbhb_round
	RET
.Lbhb_done:
	lfence
	pop %rbp
	RET
SYM_FUNC_END(axvmx_clear_bhb)
STACK_FRAME_NON_STANDARD(axvmx_clear_bhb)
#endif
