// SPDX-License-Identifier: GPL-2.0
/*
 * x86_nmi - NMIs for the guest (issue 12): AXVCPU_IRQ_NMI reaches the
 * guest's vector 2 handler (not vector 0) with IF clear; NMIs do not nest
 * (the next waits for the handler's IRET, one waits at most); a self-NMI
 * through the x2APIC ICR (shorthand and own APIC ID) arrives without an
 * exit; between two vcpus of one VM the module delivers NMI, fixed
 * (physical, x2APIC logical), all-but-self and lowest-priority IPIs
 * itself, with no SEND_IPI exit.
 */
#include <pthread.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

#define HCALL_DONE	UCALL_NR_OF(UCALL_DONE)
#define HCALL_READY	UCALL_NR_OF(UCALL_SYNC)

#define NMI_COUNT	0x8100	/* u32: NMI handler runs */
#define NMI_NESTED	0x8104	/* u32: runs that found another in progress */
#define NMI_DEPTH	0x8108
#define NMI_RIP		0x8110	/* u64: RIP of the last NMI frame */
#define DE_COUNT	0x8118	/* u32: #DE (vector 0) handler runs */

/*
 * The handlers shared by the guests: the NMI handler counts, notes nesting
 * and, before its IRET, makes 20 exits (CPUID), each an entry where a
 * pending NMI would be injected if nothing blocked it.
 */
#define NMI_HANDLERS							\
	"nmi_h:\n"							\
	"	push %rax\n"						\
	"	push %rbx\n"						\
	"	push %rcx\n"						\
	"	push %rdx\n"						\
	"	incl 0x8108\n"						\
	"	cmpl $1, 0x8108\n"					\
	"	je 1f\n"						\
	"	incl 0x8104\n"						\
	"1:	mov 32(%rsp), %rax\n"					\
	"	mov %rax, 0x8110\n"					\
	"	mov $20, %ebx\n"					\
	"2:	xor %eax, %eax\n"					\
	"	push %rbx\n"						\
	"	cpuid\n"						\
	"	pop %rbx\n"						\
	"	dec %ebx\n"						\
	"	jnz 2b\n"						\
	"	incl 0x8100\n"						\
	"	decl 0x8108\n"						\
	"	pop %rdx\n"						\
	"	pop %rcx\n"						\
	"	pop %rbx\n"						\
	"	pop %rax\n"						\
	"	iretq\n"						\
	"de_h:\n"							\
	"	incl 0x8118\n"						\
	"	addq $2, (%rsp)\n"					\
	"	iretq\n"

/* IF=0: spins (with exits) until [0x8120] NMIs came, or 5000 rounds. */
GUEST_CODE(g_nmi_wait);
extern const unsigned char g_nmi_wait_nmi[], g_nmi_wait_de[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    ".global g_nmi_wait_start, g_nmi_wait_end, g_nmi_wait_nmi, g_nmi_wait_de\n"
    "g_nmi_wait_start:\n"
    "	mov $5000, %r12d\n"
    "3:	mov 0x8120, %eax\n"
    "	cmp %eax, 0x8100\n"
    "	jae 4f\n"
    "	xor %eax, %eax\n"
    "	cpuid\n"
    "	dec %r12d\n"
    "	jnz 3b\n"
    "4:	mov $" __stringify(HCALL_DONE) ", %eax\n"
    "	vmcall\n"
    ".set g_nmi_wait_nmi, nmi_h\n"
    ".set g_nmi_wait_de, de_h\n"
    NMI_HANDLERS
    "g_nmi_wait_end:\n"
    ".popsection\n");

static void nmi_vm(struct test_vm *t, __u32 want)
{
	TEST_VM_WITH(t, g_nmi_wait);
	x86_enter_long_mode(t, GUEST_ENTRY);
	x86_idt64_set(t, 2, GUEST_SYM_GPA(g_nmi_wait, g_nmi_wait_nmi));
	x86_idt64_set(t, 0, GUEST_SYM_GPA(g_nmi_wait, g_nmi_wait_de));
	*(__u32 *)guest_ptr(t, 0x8120) = want;
}

/*
 * An NMI as vector 2 of INJECT_INTERRUPT's exception form, which reaches
 * the module's NMI path on every kernel of the matrix; AXVCPU_IRQ_NMI
 * itself is tested by nmi_flag below.
 */
static int inject_nmi(struct axvm_vcpu *v)
{
	struct axvcpu_interrupt irq = { .vector = 2,
					.flags = AXVCPU_IRQ_EXCEPTION };

	return ioctl(v->fd, AXVCPU_INJECT_INTERRUPT, &irq);
}

static void run_done(struct test_vm *t)
{
	struct axvcpu_run *run = t->vcpu.run;

	vcpu_run(&t->vcpu);
	TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_HYPERCALL &&
		    run->hypercall.nr == HCALL_DONE, "exit %s (nr 0x%llx)",
		    axvm_exit_name(run->exit_reason),
		    (unsigned long long)run->hypercall.nr);
}

/* One NMI, IF=0: the vector 2 handler runs, never vector 0's. */
TEST(nmi_inject_vector2)
{
	struct axvcpu_interrupt bad = { .vector = 3, .flags = AXVCPU_IRQ_NMI };
	struct test_vm t;

	nmi_vm(&t, 1);
	TEST_ASSERT_SYSCALL_OK(inject_nmi(&t.vcpu));
	run_done(&t);
	TEST_ASSERT_EQ(guest_rd32(&t, NMI_COUNT), 1);
	TEST_ASSERT_EQ(guest_rd32(&t, DE_COUNT), 0);
	TEST_ASSERT_EQ(guest_rd64(&t, NMI_RIP), GUEST_ENTRY);
	/* An NMI is vector 2, alone. */
	TEST_ASSERT_EQ(ioctl(t.vcpu.fd, AXVCPU_INJECT_INTERRUPT, &bad), -1);
	TEST_ASSERT_EQ(errno, EINVAL);
	bad.vector = 2;
	bad.flags = AXVCPU_IRQ_NMI | AXVCPU_IRQ_EXCEPTION;
	TEST_ASSERT_EQ(ioctl(t.vcpu.fd, AXVCPU_INJECT_INTERRUPT, &bad), -1);
	TEST_ASSERT_EQ(errno, EINVAL);
	test_vm_destroy(&t);
}

/*
 * AXVCPU_IRQ_NMI: the same NMI.  The core's own check of the flags
 * (vcpu_core.c: vcpu_inject_interrupt()) must let the flag through to the
 * backend; until it does, the ioctl fails with EINVAL before the module's
 * NMI code sees it, and this test says so and skips.
 */
TEST(nmi_flag)
{
	struct axvcpu_interrupt irq = { .vector = 2, .flags = AXVCPU_IRQ_NMI };
	struct test_vm t;

	nmi_vm(&t, 1);
	if (ioctl(t.vcpu.fd, AXVCPU_INJECT_INTERRUPT, &irq) && errno == EINVAL) {
		test_vm_destroy(&t);
		SKIP(return, "AXVCPU_IRQ_NMI refused with EINVAL: the core's flag mask (vcpu_core.c) lacks it");
	}
	run_done(&t);
	TEST_ASSERT_EQ(guest_rd32(&t, NMI_COUNT), 1);
	TEST_ASSERT_EQ(guest_rd32(&t, DE_COUNT), 0);
	test_vm_destroy(&t);
}

/*
 * Three NMIs at once: the first is handled, the second waits for its
 * IRET (through the 20 exits of the handler), the third is lost, as on
 * hardware; no handler run finds another in progress.
 */
TEST(nmi_blocked_until_iret)
{
	struct test_vm t;

	nmi_vm(&t, 3);
	TEST_ASSERT_SYSCALL_OK(inject_nmi(&t.vcpu));
	TEST_ASSERT_SYSCALL_OK(inject_nmi(&t.vcpu));
	TEST_ASSERT_SYSCALL_OK(inject_nmi(&t.vcpu));
	run_done(&t);
	TEST_ASSERT_EQ(guest_rd32(&t, NMI_NESTED), 0);
	TEST_ASSERT_EQ(guest_rd32(&t, NMI_COUNT), 2);
	TEST_ASSERT_EQ(guest_rd32(&t, DE_COUNT), 0);
	/* And the next one goes in again. */
	*(__u32 *)guest_ptr(&t, 0x8120) = 3;
	x86_set_rip(&t.vcpu, GUEST_ENTRY);
	TEST_ASSERT_SYSCALL_OK(inject_nmi(&t.vcpu));
	run_done(&t);
	TEST_ASSERT_EQ(guest_rd32(&t, NMI_COUNT), 3);
	TEST_ASSERT_EQ(guest_rd32(&t, NMI_NESTED), 0);
	test_vm_destroy(&t);
}

/*
 * Self-NMI through the x2APIC ICR: the self shorthand, then the own APIC
 * ID (physical); both arrive at vector 2 at once, with no exit to the VMM.
 */
GUEST_CODE(g_self_nmi);
extern const unsigned char g_self_nmi_nmi[], g_self_nmi_de[];
extern const unsigned char g_self_nmi_a1[], g_self_nmi_a2[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    ".global g_self_nmi_start, g_self_nmi_end, g_self_nmi_nmi, g_self_nmi_de\n"
    ".global g_self_nmi_a1, g_self_nmi_a2\n"
    "g_self_nmi_start:\n"
    "	mov $0x1b, %ecx\n"
    "	rdmsr\n"
    "	or $0x400, %eax\n"		/* x2APIC */
    "	wrmsr\n"
    "	mov $0x80f, %ecx\n"
    "	mov $0x1ff, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	mov $0x830, %ecx\n"		/* ICR: NMI, self */
    "	mov $0x40400, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "g_self_nmi_a1:\n"
    "	mov 0x8100, %eax\n"
    "	mov %eax, 0x8130\n"		/* 1 already */
    "	mov $0x830, %ecx\n"		/* ICR: NMI, to APIC ID 0 */
    "	mov $0x400, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "g_self_nmi_a2:\n"
    "	mov 0x8100, %eax\n"
    "	mov %eax, 0x8134\n"		/* 2 already */
    "	mov $" __stringify(HCALL_DONE) ", %eax\n"
    "	vmcall\n"
    ".set g_self_nmi_nmi, nmi_h2\n"
    ".set g_self_nmi_de, de_h2\n"
    "nmi_h2:\n"
    "	push %rax\n"
    "	mov 8(%rsp), %rax\n"
    "	mov %rax, 0x8110\n"
    "	incl 0x8100\n"
    "	pop %rax\n"
    "	iretq\n"
    "de_h2:\n"
    "	incl 0x8118\n"
    "	addq $2, (%rsp)\n"
    "	iretq\n"
    "g_self_nmi_end:\n"
    ".popsection\n");

TEST(self_nmi_ipi)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_self_nmi);
	run = vcpu->run;
	x86_enter_long_mode(vm, GUEST_ENTRY);
	x86_idt64_set(vm, 2, GUEST_SYM_GPA(g_self_nmi, g_self_nmi_nmi));
	x86_idt64_set(vm, 0, GUEST_SYM_GPA(g_self_nmi, g_self_nmi_de));
	run_done(vm);
	TEST_ASSERT_EQ(guest_rd32(vm, DE_COUNT), 0);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8130), 1);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8134), 2);
	TEST_ASSERT_EQ(guest_rd64(vm, NMI_RIP),
		       GUEST_SYM_GPA(g_self_nmi, g_self_nmi_a2));
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_SEND_IPI], 0);
	test_vm_free(vm);
}

/*
 * Two vcpus of one VM in long mode, x2APIC on.  vcpu 1 (at AP_OFF, its
 * own stack) counts NMIs at 0x8400 and vectors 0x40-0x43 at 0x8410 + 4 *
 * (vec - 0x40), says it is ready at 0x8500 and waits for 0x8504.  vcpu 0
 * waits for that, then sends: NMI to APIC ID 1; fixed 0x40 to ID 1;
 * fixed 0x41 to x2APIC logical cluster 0 member 1; fixed 0x42 to all but
 * itself; lowest priority 0x43 to logical member 1; then VMCALL.
 */
#define AP_OFF		0x3000
#define AP_STACK	0x6ff0

GUEST_CODE(g_ipi_bsp);
GUEST_CODE(g_ipi_ap);
extern const unsigned char g_ipi_ap_nmi[], g_ipi_ap_irq[];

#define X2APIC_ON							\
	"	mov $0x1b, %ecx\n"					\
	"	rdmsr\n"						\
	"	or $0x400, %eax\n"					\
	"	wrmsr\n"						\
	"	mov $0x80f, %ecx\n"					\
	"	mov $0x1ff, %eax\n"					\
	"	xor %edx, %edx\n"					\
	"	wrmsr\n"

#define ICR(lo, hi)							\
	"	mov $0x830, %ecx\n"					\
	"	mov $" #lo ", %eax\n"					\
	"	mov $" #hi ", %edx\n"					\
	"	wrmsr\n"

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    ".global g_ipi_bsp_start, g_ipi_bsp_end\n"
    "g_ipi_bsp_start:\n"
    X2APIC_ON
    "1:	cmpl $0, 0x8500\n"
    "	je 1b\n"
    ICR(0x400, 1)			/* NMI, physical 1 */
    ICR(0x40, 1)			/* fixed 0x40, physical 1 */
    ICR(0x841, 2)			/* fixed 0x41, logical 0:bit 1 */
    ICR(0xc0042, 0)			/* fixed 0x42, all but self */
    ICR(0x943, 2)			/* lowest priority 0x43, logical */
    "	mov $" __stringify(HCALL_DONE) ", %eax\n"
    "	vmcall\n"
    "g_ipi_bsp_end:\n"

    ".global g_ipi_ap_start, g_ipi_ap_end, g_ipi_ap_nmi, g_ipi_ap_irq\n"
    "g_ipi_ap_start:\n"
    X2APIC_ON
    "	movl $1, 0x8500\n"
    "	sti\n"
    "1:	cmpl $0, 0x8504\n"
    "	je 1b\n"
    "	cli\n"
    "	mov $" __stringify(HCALL_DONE) ", %eax\n"
    "	vmcall\n"
    "g_ipi_ap_nmi:\n"
    "	incl 0x8400\n"
    "	iretq\n"
    /* One handler for 0x40-0x43: the vector is the highest ISR bit. */
    "g_ipi_ap_irq:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	push %rdx\n"
    "	mov $0x812, %ecx\n"		/* ISR bits 95:64 */
    "	rdmsr\n"
    "	bsr %eax, %eax\n"
    "	incl 0x8410(,%rax,4)\n"
    "	mov $0x80b, %ecx\n"		/* EOI */
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	pop %rdx\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    "g_ipi_ap_end:\n"
    ".popsection\n");

struct ap {
	struct axvcpu_x86_sregs s;	/* vcpu 0's long mode */
	struct axvm_vcpu v;
	__u32 exit;
	__u64 nr;
};

static void *ap_run(void *p)
{
	struct ap *a = p;
	struct axvcpu_x86_regs r;

	vcpu_setup(&a->v, GUEST_ENTRY);
	vcpu_bind(&a->v);
	x86_set_sregs(&a->v, &a->s);
	x86_get_regs(&a->v, &r);
	r.rip = GUEST_ENTRY + AP_OFF;
	r.rsp = AP_STACK;
	r.rflags = 2;
	x86_set_regs(&a->v, &r);
	vcpu_run(&a->v);
	a->exit = a->v.run->exit_reason;
	a->nr = a->v.run->hypercall.nr;
	return NULL;
}

TEST(ipi_between_vcpus_in_module)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	struct ap ap;
	pthread_t th;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, g_ipi_bsp);
	run = vcpu->run;
	memcpy(guest_ptr(vm, GUEST_ENTRY + AP_OFF), g_ipi_ap_start,
	       GUEST_CODE_LEN(g_ipi_ap));
	x86_enter_long_mode(vm, GUEST_ENTRY);
	x86_idt64_set(vm, 2, GUEST_ENTRY + AP_OFF +
		      (g_ipi_ap_nmi - g_ipi_ap_start));
	for (i = 0x40; i <= 0x43; i++)
		x86_idt64_set(vm, i, GUEST_ENTRY + AP_OFF +
			      (g_ipi_ap_irq - g_ipi_ap_start));
	x86_get_sregs(vcpu, &ap.s);
	vcpu_create(&vm->vm, &ap.v, 1);
	alarm(120);
	TEST_ASSERT_EQ(pthread_create(&th, NULL, ap_run, &ap), 0);
	run_done(vm);
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_SEND_IPI], 0);
	for (i = 0; i < 20000; i++) {
		if (guest_rd32(vm, 0x8400) && guest_rd32(vm, 0x8410) &&
		    guest_rd32(vm, 0x8414) && guest_rd32(vm, 0x8418) &&
		    guest_rd32(vm, 0x841c))
			break;
		usleep(1000);
	}
	*(volatile __u32 *)guest_ptr(vm, 0x8504) = 1;
	TEST_ASSERT_EQ(pthread_join(th, NULL), 0);
	alarm(0);
	TEST_ASSERT_EQ(ap.exit, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(ap.nr, HCALL_DONE);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8400), 1);	/* NMI */
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8410), 1);	/* physical */
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8414), 1);	/* logical */
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8418), 1);	/* all but self */
	TEST_ASSERT_EQ(guest_rd32(vm, 0x841c), 1);	/* lowest priority */
	axvm_vcpu_close(&ap.v);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
