// SPDX-License-Identifier: GPL-2.0
/*
 * x86_events - event injection and guest exceptions (issue 3, items 7, 8):
 * INJECT_INTERRUPT external interrupts delivered to the guest's own IVT /
 * IDT handler, in FIFO order, held back while IF=0 and delivered through
 * the interrupt window after STI; injected while the vcpu spins in another
 * thread; exceptions injected with an error code (protected and long mode)
 * and without one in real mode; a guest #UD handled by the guest's own
 * handler (real and long mode); the argument checks of INJECT_INTERRUPT.
 */
#include <pthread.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

GUEST_CODE(g_irq_rm);
GUEST_CODE(g_exc_lm);
GUEST_CODE(g_exc_pm);
GUEST_CODE(g_ud_rm);
extern const unsigned char g_irq_rm_h30[], g_irq_rm_h31[], g_irq_rm_h0d[];
extern const unsigned char g_irq_rm_loop[], g_irq_rm_loop_end[];
extern const unsigned char g_exc_lm_gp[], g_exc_lm_ud[], g_exc_lm_irq[];
extern const unsigned char g_exc_lm_loop[], g_exc_lm_loop_end[];
extern const unsigned char g_exc_pm_gp[], g_exc_pm_loop[], g_exc_pm_loop_end[];
extern const unsigned char g_ud_rm_h[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    /* Waits (IF=0 first, then STI) until 0x8100 reaches the count in BX. */
    ".global g_irq_rm_start, g_irq_rm_end, g_irq_rm_h30, g_irq_rm_h31\n"
    ".global g_irq_rm_h0d, g_irq_rm_loop, g_irq_rm_loop_end\n"
    "g_irq_rm_start:\n"
    "	mov $0x8100, %si\n"
    "	mov $100, %cx\n"
    "1:	loop 1b\n"			/* IF=0: nothing delivered here */
    "	mov (%si), %ax\n"
    "	mov %ax, 0x8110\n"
    "	sti\n"
    "g_irq_rm_loop:\n"
    "	cmp (%si), %bx\n"
    "	ja g_irq_rm_loop\n"
    "g_irq_rm_loop_end:\n"
    "	hlt\n"
    "g_irq_rm_h30:\n"
    "	push %ax\n"
    "	mov $0x30, %al\n"
    "	jmp 9f\n"
    "g_irq_rm_h31:\n"
    "	push %ax\n"
    "	mov $0x31, %al\n"
    "	jmp 9f\n"
    "g_irq_rm_h0d:\n"			/* #GP: no error code in real mode */
    "	push %ax\n"
    "	mov $0x0d, %al\n"
    "9:	push %bx\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	mov 6(%bp), %bx\n"		/* the interrupted IP */
    "	mov %bx, 0x8120\n"
    "	mov 0x8100, %bx\n"
    "	mov %al, 0x8200(%bx)\n"
    "	incw 0x8100\n"
    "	pop %bp\n"
    "	pop %bx\n"
    "	pop %ax\n"
    "	iret\n"
    "g_irq_rm_end:\n"

    ".global g_ud_rm_start, g_ud_rm_end, g_ud_rm_h\n"
    "g_ud_rm_start:\n"
    "	ud2\n"
    "	movw $0x600d, 0x8104\n"
    "	hlt\n"
    "g_ud_rm_h:\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	mov 2(%bp), %ax\n"
    "	mov %ax, 0x8120\n"
    "	addw $2, 2(%bp)\n"
    "	pop %bp\n"
    "	incw 0x8100\n"
    "	iret\n"
    "g_ud_rm_end:\n"

    /*
     * Long mode: ud2 first (the guest's #UD handler skips it), then wait
     * with IF=1 until 0x8100 reaches RBX.  Handlers log the vector at
     * 0x8200 + n, the error code at 0x8108 and the RIP at 0x8110.
     */
    ".code64\n"
    ".global g_exc_lm_start, g_exc_lm_end, g_exc_lm_gp, g_exc_lm_ud\n"
    ".global g_exc_lm_irq, g_exc_lm_loop, g_exc_lm_loop_end\n"
    "g_exc_lm_start:\n"
    "	ud2\n"
    "	sti\n"
    "g_exc_lm_loop:\n"
    "	cmp 0x8100, %rbx\n"
    "	ja g_exc_lm_loop\n"
    "g_exc_lm_loop_end:\n"
    "	hlt\n"
    "g_exc_lm_gp:\n"
    "	push %rax\n"
    "	mov 8(%rsp), %rax\n"
    "	mov %rax, 0x8108\n"
    "	mov 16(%rsp), %rax\n"
    "	mov %rax, 0x8110\n"
    "	mov $0x0d, %al\n"
    "	call 9f\n"
    "	pop %rax\n"
    "	add $8, %rsp\n"			/* the error code */
    "	iretq\n"
    "g_exc_lm_ud:\n"
    "	push %rax\n"
    "	mov 8(%rsp), %rax\n"
    "	mov %rax, 0x8118\n"
    "	addq $2, 8(%rsp)\n"
    "	mov $0x06, %al\n"
    "	call 9f\n"
    "	pop %rax\n"
    "	iretq\n"
    "g_exc_lm_irq:\n"
    "	push %rax\n"
    "	mov 8(%rsp), %rax\n"
    "	mov %rax, 0x8110\n"
    "	mov $0x40, %al\n"
    "	call 9f\n"
    "	pop %rax\n"
    "	iretq\n"
    "9:	push %rcx\n"
    "	mov 0x8100, %rcx\n"
    "	mov %al, 0x8200(%rcx)\n"
    "	incq 0x8100\n"
    "	pop %rcx\n"
    "	ret\n"
    "g_exc_lm_end:\n"

    ".code32\n"
    ".global g_exc_pm_start, g_exc_pm_end, g_exc_pm_gp\n"
    ".global g_exc_pm_loop, g_exc_pm_loop_end\n"
    "g_exc_pm_start:\n"
    "g_exc_pm_loop:\n"
    "	cmpl $0, 0x8100\n"
    "	je g_exc_pm_loop\n"
    "g_exc_pm_loop_end:\n"
    "	hlt\n"
    "g_exc_pm_gp:\n"
    "	push %eax\n"
    "	mov 4(%esp), %eax\n"
    "	mov %eax, 0x8108\n"
    "	mov 8(%esp), %eax\n"
    "	mov %eax, 0x8110\n"
    "	mov 12(%esp), %eax\n"
    "	mov %eax, 0x8114\n"		/* CS */
    "	incl 0x8100\n"
    "	pop %eax\n"
    "	add $4, %esp\n"
    "	iret\n"
    "g_exc_pm_end:\n"
    ".code64\n"
    ".popsection\n");

static void inject(struct axvm_vcpu *v, __u32 vector, __u32 flags, __u32 err)
{
	struct axvcpu_interrupt irq = { .vector = vector, .flags = flags,
					.error_code = err };

	TEST_ASSERT_SYSCALL_OK(ioctl(v->fd, AXVCPU_INJECT_INTERRUPT, &irq));
}

static __u8 guest_rd8(struct test_vm *t, __u64 gpa)
{
	return *(volatile __u8 *)guest_ptr(t, gpa);
}

/* Two IRQs queued before RUN with IF=0: held, then in order after STI. */
TEST(irq_real_mode_ivt_after_sti)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u16 ip;

	vm = vm_create_with_one_vcpu(&vcpu, g_irq_rm);
	run = vcpu->run;
	x86_ivt_set(vm, 0x30, GUEST_SYM_GPA(g_irq_rm, g_irq_rm_h30));
	x86_ivt_set(vm, 0x31, GUEST_SYM_GPA(g_irq_rm, g_irq_rm_h31));
	vcpu_set_gpr(vcpu, 4, X86_STACK_TOP);
	vcpu_set_gpr(vcpu, 3, 2);		/* BX: wait for 2 */
	inject(vcpu, 0x31, 0, 0);
	inject(vcpu, 0x30, 0, 0);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8110) & 0xffff, 0);	/* none with IF=0 */
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8100) & 0xffff, 2);
	TEST_ASSERT_EQ(guest_rd8(vm, 0x8200), 0x31);
	TEST_ASSERT_EQ(guest_rd8(vm, 0x8201), 0x30);
	ip = guest_rd32(vm, 0x8120) & 0xffff;
	TEST_ASSERT(ip >= GUEST_SYM_GPA(g_irq_rm, g_irq_rm_loop) &&
		    ip <= GUEST_SYM_GPA(g_irq_rm, g_irq_rm_loop_end),
		    "interrupted IP %#x outside the STI loop", ip);
	TEST_ASSERT(run->stats.builtin[AXVCPU_BUILTIN_INTR_WINDOW] >= 1,
		    "builtin INTR_WINDOW %llu",
		    (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_INTR_WINDOW]);
	test_vm_free(vm);
}

/* Real mode: an exception injected with ERROR_CODE pushes none. */
TEST(exception_real_mode_no_error_code)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u16 ip;

	vm = vm_create_with_one_vcpu(&vcpu, g_irq_rm);
	x86_ivt_set(vm, 13, GUEST_SYM_GPA(g_irq_rm, g_irq_rm_h0d));
	vcpu_set_gpr(vcpu, 4, X86_STACK_TOP);
	vcpu_set_gpr(vcpu, 3, 1);
	inject(vcpu, 13, AXVCPU_IRQ_EXCEPTION | AXVCPU_IRQ_ERROR_CODE, 0x1234);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd8(vm, 0x8200), 0x0d);
	/* Exceptions ignore IF: taken at the first instruction. */
	ip = guest_rd32(vm, 0x8120) & 0xffff;
	TEST_ASSERT_EQ(ip, GUEST_ENTRY);
	test_vm_free(vm);
}

TEST(guest_ud_real_mode)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_ud_rm);
	x86_ivt_set(vm, 6, GUEST_SYM_GPA(g_ud_rm, g_ud_rm_h));
	vcpu_set_gpr(vcpu, 4, X86_STACK_TOP);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8100) & 0xffff, 1);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8120) & 0xffff, GUEST_ENTRY);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8104) & 0xffff, 0x600d);
	test_vm_free(vm);
}

static void lm_setup(struct test_vm *t, __u64 wait_for)
{
	TEST_VM_WITH(t, g_exc_lm);
	x86_enter_long_mode(t, GUEST_ENTRY);
	x86_idt64_set(t, 13, GUEST_SYM_GPA(g_exc_lm, g_exc_lm_gp));
	x86_idt64_set(t, 6, GUEST_SYM_GPA(g_exc_lm, g_exc_lm_ud));
	x86_idt64_set(t, 0x40, GUEST_SYM_GPA(g_exc_lm, g_exc_lm_irq));
	vcpu_set_gpr(&t->vcpu, 3, wait_for);
}

/* The guest's ud2 reaches its own IDT handler, which skips it. */
TEST(guest_ud_long_mode)
{
	struct test_vm t;

	lm_setup(&t, 1);
	vcpu_run(&t.vcpu);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd64(&t, 0x8100), 1);
	TEST_ASSERT_EQ(guest_rd8(&t, 0x8200), 6);
	TEST_ASSERT_EQ(guest_rd64(&t, 0x8118), GUEST_ENTRY);
	test_vm_destroy(&t);
}

TEST(exception_with_error_code_long_mode)
{
	struct test_vm t;
	__u64 rip;

	lm_setup(&t, 2);
	inject(&t.vcpu, 13, AXVCPU_IRQ_EXCEPTION | AXVCPU_IRQ_ERROR_CODE, 0x1234);
	vcpu_run(&t.vcpu);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd64(&t, 0x8100), 2);
	/* #GP at entry, then the guest's own #UD. */
	TEST_ASSERT_EQ(guest_rd8(&t, 0x8200), 0x0d);
	TEST_ASSERT_EQ(guest_rd8(&t, 0x8201), 6);
	TEST_ASSERT_EQ(guest_rd64(&t, 0x8108), 0x1234);
	rip = guest_rd64(&t, 0x8110);
	TEST_ASSERT_EQ(rip, GUEST_ENTRY);
	test_vm_destroy(&t);
}

TEST(exception_with_error_code_protected_mode)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_exc_pm);
	x86_enter_prot_mode(vm, GUEST_ENTRY);
	x86_idt32_set(vm, 13, GUEST_SYM_GPA(g_exc_pm, g_exc_pm_gp));
	inject(vcpu, 13, AXVCPU_IRQ_EXCEPTION | AXVCPU_IRQ_ERROR_CODE, 0xabcd);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8100), 1);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8108), 0xabcd);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8110), GUEST_ENTRY);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8114) & 0xffff, SEL_CODE32);
	test_vm_free(vm);
}

struct kick_arg {
	struct axvm_vcpu *v;
	int delay_ms;
};

static void *inject_later(void *p)
{
	struct kick_arg *k = p;

	usleep(k->delay_ms * 1000);
	inject(k->v, 0x40, 0, 0);
	return NULL;
}

/* An IRQ injected from another thread while the guest spins with IF=1. */
TEST(irq_long_mode_while_running)
{
	struct kick_arg k;
	struct test_vm t;
	pthread_t th;
	__u64 rip;

	lm_setup(&t, 2);	/* #UD, then the IRQ */
	k.v = &t.vcpu;
	k.delay_ms = 200;
	pthread_create(&th, NULL, inject_later, &k);
	vcpu_run(&t.vcpu);
	pthread_join(th, NULL);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd64(&t, 0x8100), 2);
	TEST_ASSERT_EQ(guest_rd8(&t, 0x8201), 0x40);
	rip = guest_rd64(&t, 0x8110);
	TEST_ASSERT(rip >= GUEST_SYM_GPA(g_exc_lm, g_exc_lm_loop) &&
		    rip <= GUEST_SYM_GPA(g_exc_lm, g_exc_lm_loop_end),
		    "interrupted RIP %#llx outside the wait loop",
		    (unsigned long long)rip);
	test_vm_destroy(&t);
}

/*
 * The delivery of an injected IRQ faults on the guest's stack (no slot
 * there yet): NESTED_PAGE_FAULT; once the VMM adds the memory, the next
 * RUN delivers the same interrupt again (IDT-vectoring information), once.
 */
TEST(irq_redelivered_after_npf_on_stack)
{
	struct axvcpu_x86_regs r;
	struct axvcpu_run *run;
	struct test_vm t;
	void *stack;

	lm_setup(&t, 1);
	run = t.vcpu.run;
	/* ud2 first (on the good stack), then move RSP to 0x21000. */
	vcpu_run(&t.vcpu);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd64(&t, 0x8100), 1);
	x86_get_regs(&t.vcpu, &r);
	r.rip = GUEST_SYM_GPA(g_exc_lm, g_exc_lm_loop);
	r.rsp = 0x21000;
	r.rbx = 2;
	r.rflags = 0x202;
	x86_set_regs(&t.vcpu, &r);
	inject(&t.vcpu, 0x40, 0, 0);
	vcpu_run(&t.vcpu);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_NESTED_PAGE_FAULT);
	TEST_ASSERT(run->npf.gpa >= 0x20000 && run->npf.gpa < 0x21000,
		    "npf.gpa %#llx, expected in the stack page 0x20000",
		    (unsigned long long)run->npf.gpa);
	TEST_ASSERT(run->npf.access & AXVCPU_ACCESS_WRITE, "npf.access %#llx",
		    (unsigned long long)run->npf.access);
	TEST_ASSERT(run->hw_reason == 48, "hw_reason %#llx",
		    (unsigned long long)run->hw_reason);
	TEST_ASSERT_EQ(guest_rd64(&t, 0x8100), 1);	/* not delivered yet */
	stack = axvm_mem_alloc(0x1000);
	TEST_ASSERT(stack, "mmap");
	vm_set_region(&t.vm, 1, 0, 0x20000, 0x1000, stack);
	vcpu_run(&t.vcpu);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd64(&t, 0x8100), 2);
	TEST_ASSERT_EQ(guest_rd8(&t, 0x8201), 0x40);
	/* The frame is on the new page: RIP, CS, RFLAGS, RSP, SS. */
	TEST_ASSERT_EQ(*(__u64 *)((char *)stack + 0x1000 - 40),
		       GUEST_SYM_GPA(g_exc_lm, g_exc_lm_loop));
	test_vm_destroy(&t);
	axvm_mem_free(stack, 0x1000);
}

TEST(inject_argument_checks)
{
	struct axvcpu_interrupt irq;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int i, r = 0;

	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	memset(&irq, 0, sizeof(irq));
	irq.vector = 256;
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
	irq.vector = 0x40;
	irq.flags = AXVCPU_IRQ_EXCEPTION;	/* not an exception vector */
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
	irq.vector = 6;
	irq.flags = AXVCPU_IRQ_EXCEPTION | AXVCPU_IRQ_ERROR_CODE; /* #UD has none */
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
	irq.vector = 0x40;
	irq.flags = 1U << 7;
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
	irq.flags = 0;
	irq.pad = 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_INJECT_INTERRUPT, &irq), EINVAL);
	irq.pad = 0;
	for (i = 0; i < 1000; i++) {
		errno = 0;
		r = ioctl(vcpu->fd, AXVCPU_INJECT_INTERRUPT, &irq);
		if (r)
			break;
	}
	TEST_ASSERT(r == -1 && errno == ENOSPC,
		    "after %d queued: ret %d errno %d (%s), expected ENOSPC",
		    i, r, errno, errno_name(errno));
	TEST_ASSERT(i >= 1, "queue holds nothing");
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
