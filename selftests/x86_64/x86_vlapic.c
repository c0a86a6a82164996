// SPDX-License-Identifier: GPL-2.0
/*
 * x86_vlapic - the emulated local APIC (issue 3, item 6): xAPIC registers
 * through the page at 0xfee00000, the timer firing into the guest's IVT in
 * one-shot, periodic and TSC-deadline mode with EOI clearing the ISR,
 * x2APIC through IA32_APIC_BASE and the 0x800 MSRs (self IPI, ICR ->
 * SEND_IPI, INIT + SIPI -> one CPU_UP, #GP on read-only registers), and
 * an INIT/SIPI start of a second vcpu that then takes an IPI from the
 * first through its own APIC.
 *
 * The guests run in real mode with FS based at the APIC page (set through
 * AXVCPU_SET_X86_SREGS), so "mov %fs:0x20, %eax" reads the APIC ID.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

#define APIC_GPA	0xfee00000ULL
#define AP_ENTRY	0x3000

GUEST_CODE(g_xapic);
GUEST_CODE(g_oneshot);
GUEST_CODE(g_periodic);
GUEST_CODE(g_deadline);
GUEST_CODE(g_x2apic);
GUEST_CODE(g_bsp);
GUEST_CODE(g_ap);
GUEST_CODE(g_hltwait);
GUEST_CODE(g_wsbsp);
GUEST_CODE(g_wsap1);
GUEST_CODE(g_wsap2);
GUEST_CODE(g_wsap5);
extern const unsigned char g_isr[], g_x2isr[], g_gp[], g_ap_isr[];
extern const unsigned char g_hltwait_isr[], g_hltwait_last[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_xapic_start, g_xapic_end\n"
    "g_xapic_start:\n"
    "	mov %fs:0x20, %eax\n"		/* ID */
    "	mov %eax, 0x8000\n"
    "	mov %fs:0x30, %eax\n"		/* version */
    "	mov %eax, 0x8004\n"
    "	movl $0x1ff, %fs:0xf0\n"	/* SVR: enabled */
    "	movl $0x20, %fs:0x80\n"		/* TPR */
    "	mov %fs:0x80, %eax\n"
    "	mov %eax, 0x8008\n"
    "	mov %fs:0xa0, %eax\n"		/* PPR */
    "	mov %eax, 0x800c\n"
    "	movl $0x03000000, %fs:0xd0\n"	/* LDR */
    "	mov %fs:0xd0, %eax\n"
    "	mov %eax, 0x8010\n"
    "	mov %fs:0xe0, %eax\n"		/* DFR */
    "	mov %eax, 0x8014\n"
    "	movzbl %fs:0x30, %eax\n"	/* byte read */
    "	mov %eax, 0x8018\n"
    "	mov %fs:0xf0, %eax\n"
    "	mov %eax, 0x801c\n"
    "	mov %fs:0x320, %eax\n"		/* LVT timer: masked at reset */
    "	mov %eax, 0x8020\n"
    "	hlt\n"
    "g_xapic_end:\n"

    /* One-shot, 2 ms at divide-by-1, vector 0x40. */
    ".global g_oneshot_start, g_oneshot_end, g_isr\n"
    "g_oneshot_start:\n"
    "	movl $0x1ff, %fs:0xf0\n"
    "	movl $0xb, %fs:0x3e0\n"
    "	movl $0x40, %fs:0x320\n"
    "	movl $2000000, %fs:0x380\n"
    "	mov %fs:0x380, %eax\n"
    "	mov %eax, 0x8008\n"
    "	sti\n"
    "1:	cmpw $0, 0x8100\n"
    "	je 1b\n"
    "	cli\n"
    "	mov %fs:0x390, %eax\n"		/* current count: 0 */
    "	mov %eax, 0x8000\n"
    "	mov %fs:0x120, %eax\n"		/* ISR[0x40..0x5f]: clear */
    "	mov %eax, 0x8004\n"
    "	hlt\n"
    "g_isr:\n"
    "	incw 0x8100\n"
    "	movl $0, %fs:0xb0\n"		/* EOI */
    "	iret\n"
    "g_oneshot_end:\n"

    /* Periodic, 1 ms: five ticks, then masked. */
    ".global g_periodic_start, g_periodic_end\n"
    "g_periodic_start:\n"
    "	movl $0x1ff, %fs:0xf0\n"
    "	movl $0xb, %fs:0x3e0\n"
    "	movl $0x20040, %fs:0x320\n"
    "	movl $1000000, %fs:0x380\n"
    "	sti\n"
    "1:	cmpw $5, 0x8100\n"
    "	jb 1b\n"
    "	movl $0x30040, %fs:0x320\n"	/* masked, still periodic */
    "	hlt\n"
    "g_periodic_end:\n"

    /* TSC deadline: now + 4M cycles. */
    ".global g_deadline_start, g_deadline_end\n"
    "g_deadline_start:\n"
    "	movl $0x1ff, %fs:0xf0\n"
    "	movl $0x40040, %fs:0x320\n"
    "	rdtsc\n"
    "	add $4000000, %eax\n"
    "	adc $0, %edx\n"
    "	mov $0x6e0, %ecx\n"
    "	wrmsr\n"
    "	rdmsr\n"
    "	mov %eax, 0x8000\n"		/* armed: non-zero */
    "	sti\n"
    "1:	cmpw $0, 0x8100\n"
    "	je 1b\n"
    "	cli\n"
    "	mov $0x6e0, %ecx\n"
    "	rdmsr\n"
    "	mov %eax, 0x8004\n"		/* fired: 0 */
    "	hlt\n"
    "g_deadline_end:\n"

    ".global g_x2apic_start, g_x2apic_end, g_x2isr, g_gp\n"
    "g_x2apic_start:\n"
    "	mov $0x1b, %ecx\n"
    "	rdmsr\n"
    "	or $0xc00, %eax\n"		/* EN | EXTD */
    "	wrmsr\n"
    "	rdmsr\n"
    "	mov %eax, 0x8000\n"
    "	mov $0x802, %ecx\n"		/* ID */
    "	rdmsr\n"
    "	mov %eax, 0x8004\n"
    "	mov $0x80d, %ecx\n"		/* LDR */
    "	rdmsr\n"
    "	mov %eax, 0x8008\n"
    "	mov $0x80f, %ecx\n"		/* SVR */
    "	mov $0x1ff, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	sti\n"
    "	mov $0x83f, %ecx\n"		/* SELF IPI 0x41 */
    "	mov $0x41, %eax\n"
    "	wrmsr\n"
    "1:	cmpw $0, 0x8100\n"
    "	je 1b\n"
    "	cli\n"
    "	mov $0x830, %ecx\n"		/* fixed 0x42 -> APIC 1 */
    "	mov $0x42, %eax\n"
    "	mov $1, %edx\n"
    "	wrmsr\n"
    "	mov $0x4500, %eax\n"		/* INIT -> 1 */
    "	wrmsr\n"
    "	mov $0x4609, %eax\n"		/* SIPI 9 -> 1: CPU_UP */
    "	wrmsr\n"
    "	mov $0x4609, %eax\n"		/* second SIPI: nothing */
    "	wrmsr\n"
    "	mov $0xc0043, %eax\n"		/* all but self, 0x43 */
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	mov $0x802, %ecx\n"		/* write the ID: #GP */
    "	wrmsr\n"
    "	mov $0x831, %ecx\n"		/* ICR2 in x2APIC mode: #GP */
    "	rdmsr\n"
    "	mov $0x1b, %ecx\n"		/* x2APIC -> xAPIC: #GP */
    "	mov $0xfee00800, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	hlt\n"
    "g_x2isr:\n"
    "	incw 0x8100\n"
    "	pushl %eax\n"
    "	pushl %ecx\n"
    "	pushl %edx\n"
    "	mov $0x80b, %ecx\n"		/* EOI */
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	popl %edx\n"
    "	popl %ecx\n"
    "	popl %eax\n"
    "	iret\n"
    "g_gp:\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	addw $2, 2(%bp)\n"
    "	incw 0x8102\n"
    "	pop %bp\n"
    "	iret\n"
    "g_x2apic_end:\n"

    /* BSP: INIT, SIPI, SIPI to APIC 1, then a fixed IPI 0x44 to it. */
    ".global g_bsp_start, g_bsp_end\n"
    "g_bsp_start:\n"
    "	movl $0x1ff, %fs:0xf0\n"
    "	movl $0x01000000, %fs:0x310\n"
    "	movl $0x4500, %fs:0x300\n"
    "	movl $0x4603, %fs:0x300\n"
    "	movl $0x4603, %fs:0x300\n"
    "	movl $0x4044, %fs:0x300\n"
    "	hlt\n"
    "g_bsp_end:\n"

    /* AP, at AP_ENTRY: enable the APIC, say so, wait for 0x44. */
    ".global g_ap_start, g_ap_end, g_ap_isr\n"
    "g_ap_start:\n"
    "	movl $0x1ff, %fs:0xf0\n"
    "	mov %fs:0x20, %eax\n"
    "	mov %eax, 0x8204\n"
    "	movw $1, 0x8200\n"
    "	sti\n"
    "1:	cmpw $0, 0x8202\n"
    "	je 1b\n"
    "	hlt\n"
    "g_ap_isr:\n"
    "	incw 0x8202\n"
    "	movl $0, %fs:0xb0\n"
    "	iret\n"
    "g_ap_end:\n"

    /*
     * One-shot, 50 ms, then STI; HLT: the HLT ends only with the timer
     * interrupt, which the ISR counts at 0x8100; the count right after
     * the HLT goes to 0x8000.
     */
    ".global g_hltwait_start, g_hltwait_end, g_hltwait_isr, g_hltwait_last\n"
    "g_hltwait_start:\n"
    "	movl $0x1ff, %fs:0xf0\n"
    "	movl $0xb, %fs:0x3e0\n"
    "	movl $0x40, %fs:0x320\n"
    "	movl $50000000, %fs:0x380\n"
    "	sti\n"
    "	hlt\n"
    "	cli\n"
    "	mov 0x8100, %ax\n"
    "	mov %ax, 0x8000\n"
    "	hlt\n"
    "g_hltwait_last:\n"
    "g_hltwait_isr:\n"
    "	incw 0x8100\n"
    "	movl $0, %fs:0xb0\n"
    "	iret\n"
    "g_hltwait_end:\n"

    /*
     * BSP for an AP set up to wait for SIPI: INIT, SIPI 4, SIPI 5 (must be
     * ignored), wait for the AP's mark at 0x8200; HLT.  Then INIT to the
     * running AP and SIPI 6, wait for its mark at 0x8202; HLT.  Then INIT
     * alone; HLT.
     */
    ".global g_wsbsp_start, g_wsbsp_end\n"
    "g_wsbsp_start:\n"
    "	movl $0x1ff, %fs:0xf0\n"
    "	movl $0x01000000, %fs:0x310\n"
    "	movl $0x4500, %fs:0x300\n"
    "	movl $0x4604, %fs:0x300\n"
    "	movl $0x4605, %fs:0x300\n"
    "1:	cmpw $0, 0x8200\n"
    "	je 1b\n"
    "	hlt\n"
    "	movl $0x4500, %fs:0x300\n"
    "	movl $0x4606, %fs:0x300\n"
    "2:	cmpw $0, 0x8202\n"
    "	je 2b\n"
    "	hlt\n"
    "	movl $0x4500, %fs:0x300\n"
    "	hlt\n"
    "g_wsbsp_end:\n"

    /* The AP at 0x4000, 0x6000 and (never) 0x5000: CS, EDX, a mark. */
    ".global g_wsap1_start, g_wsap1_end\n"
    "g_wsap1_start:\n"
    "	mov %cs, %ax\n"
    "	mov %ax, 0x8204\n"
    "	mov %edx, 0x8208\n"
    "	movw $1, 0x8200\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "g_wsap1_end:\n"
    ".global g_wsap2_start, g_wsap2_end\n"
    "g_wsap2_start:\n"
    "	mov %cs, %ax\n"
    "	mov %ax, 0x8206\n"
    "	movw $2, 0x8202\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "g_wsap2_end:\n"
    ".global g_wsap5_start, g_wsap5_end\n"
    "g_wsap5_start:\n"
    "	movw $5, 0x8200\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "g_wsap5_end:\n"
    ".code64\n"
    ".popsection\n");

static __u32 rd32(struct test_vm *t, __u64 gpa)
{
	return *(volatile __u32 *)guest_ptr(t, gpa);
}

static void ivt_set(struct test_vm *t, int vec, const unsigned char *start,
		    const unsigned char *sym, __u16 base)
{
	__u16 *e = guest_ptr(t, 4 * vec);

	e[0] = base + (sym - start);
	e[1] = 0;
}

/* Real mode with FS.base at the APIC page. */
static void fs_at_apic(struct axvm_vcpu *v)
{
	struct axvcpu_x86_sregs s;

	TEST_ASSERT_SYSCALL_OK(ioctl(v->fd, AXVCPU_GET_X86_SREGS, &s));
	s.fs.base = APIC_GPA;
	TEST_ASSERT_SYSCALL_OK(ioctl(v->fd, AXVCPU_SET_X86_SREGS, &s));
}

TEST(xapic_registers)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_xapic);
	fs_at_apic(vcpu);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(rd32(vm, 0x8000), 0);			/* ID of vcpu 0 */
	TEST_ASSERT_EQ(rd32(vm, 0x8004) & 0xff, 0x14);
	TEST_ASSERT_EQ((rd32(vm, 0x8004) >> 16) & 0xff, 5);	/* 6 LVTs */
	TEST_ASSERT_EQ(rd32(vm, 0x8008), 0x20);
	TEST_ASSERT_EQ(rd32(vm, 0x800c), 0x20);			/* PPR = TPR */
	TEST_ASSERT_EQ(rd32(vm, 0x8010), 0x03000000);
	TEST_ASSERT_EQ(rd32(vm, 0x8014), 0xffffffff);
	TEST_ASSERT_EQ(rd32(vm, 0x8018), 0x14);
	TEST_ASSERT_EQ(rd32(vm, 0x801c), 0x1ff);
	TEST_ASSERT_EQ(rd32(vm, 0x8020), 0x10000);
	/* Handled inside: no MMIO exit reached the VMM. */
	TEST_ASSERT_EQ(vcpu->run->stats.exits[AXVCPU_EXIT_MMIO_READ], 0);
	TEST_ASSERT_EQ(vcpu->run->stats.exits[AXVCPU_EXIT_MMIO_WRITE], 0);
	TEST_ASSERT(vcpu->run->stats.builtin[AXVCPU_BUILTIN_APIC] >= 12,
		    "APIC builtins %llu", (unsigned long long)
		    vcpu->run->stats.builtin[AXVCPU_BUILTIN_APIC]);
	test_vm_free(vm);
}

static void run_to_halt(struct test_vm *t)
{
	alarm(60);
	vcpu_run(&t->vcpu);
	alarm(0);
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HALT);
}

TEST(timer_oneshot)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_oneshot);
	ivt_set(vm, 0x40, g_oneshot_start, g_isr, GUEST_ENTRY);
	fs_at_apic(vcpu);
	run_to_halt(vm);
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8100), 1);
	TEST_ASSERT_EQ(rd32(vm, 0x8008), 2000000);	/* TMICT */
	TEST_ASSERT_EQ(rd32(vm, 0x8000), 0);		/* TMCCT */
	TEST_ASSERT_EQ(rd32(vm, 0x8004), 0);		/* ISR after EOI */
	test_vm_free(vm);
}

/*
 * HLT with the APIC timer armed exits HALT to the VMM; the VMM's next RUN
 * finds the guest still halted and the timer's vector ends the HLT, as
 * on hardware (never a HLT that returns without the interrupt).
 */
TEST(hlt_with_armed_timer_gets_the_interrupt)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int halts = 0;

	vm = vm_create_with_one_vcpu(&vcpu, g_hltwait);
	run = vcpu->run;
	ivt_set(vm, 0x40, g_hltwait_start, g_hltwait_isr, GUEST_ENTRY);
	fs_at_apic(vcpu);
	alarm(60);
	for (;;) {
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
		halts++;
		if (x86_get_rip(vcpu) == GUEST_ENTRY +
		    (g_hltwait_last - g_hltwait_start))
			break;
		TEST_ASSERT(halts < 2, "HALT %d at the first HLT", halts);
	}
	alarm(0);
	TH_LOG("%d HALT exits, APIC built-ins %llu", halts,
	       (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_APIC]);
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8100), 1);
	TEST_ASSERT(rd32(vm, 0x8000) == 1,
		    "the HLT returned with %u timer interrupts taken",
		    rd32(vm, 0x8000) & 0xffff);
	test_vm_free(vm);
}

TEST(timer_periodic)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_periodic);
	/* The ISR is in the one-shot block: a copy at 0x4000. */
	memcpy(guest_ptr(vm, 0x4000), g_isr, g_oneshot_end - g_isr);
	ivt_set(vm, 0x40, g_isr, g_isr, 0x4000);
	fs_at_apic(vcpu);
	run_to_halt(vm);
	TEST_ASSERT(*(volatile __u16 *)guest_ptr(vm, 0x8100) >= 5,
		    "%u ticks", *(volatile __u16 *)guest_ptr(vm, 0x8100));
	test_vm_free(vm);
}

TEST(timer_tsc_deadline)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_deadline);
	memcpy(guest_ptr(vm, 0x4000), g_isr, g_oneshot_end - g_isr);
	ivt_set(vm, 0x40, g_isr, g_isr, 0x4000);
	fs_at_apic(vcpu);
	run_to_halt(vm);
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8100), 1);
	TEST_ASSERT(rd32(vm, 0x8000) != 0, "deadline read back as 0");
	TEST_ASSERT_EQ(rd32(vm, 0x8004), 0);
	test_vm_free(vm);
}

TEST(x2apic_msrs_and_icr)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_x2apic);
	run = vcpu->run;
	ivt_set(vm, 0x41, g_x2apic_start, g_x2isr, GUEST_ENTRY);
	ivt_set(vm, 13, g_x2apic_start, g_gp, GUEST_ENTRY);
	alarm(60);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SEND_IPI);
	TEST_ASSERT_EQ(rd32(vm, 0x8000), 0xfee00d00);	/* EN|EXTD|BSP */
	TEST_ASSERT_EQ(rd32(vm, 0x8004), 0);		/* x2APIC ID */
	TEST_ASSERT_EQ(rd32(vm, 0x8008), 1);		/* LDR of id 0 */
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8100), 1);
	TEST_ASSERT_EQ(run->send_ipi.target_cpu, 1);
	TEST_ASSERT_EQ(run->send_ipi.vector, 0x42);
	TEST_ASSERT_EQ(run->send_ipi.send_to_all, 0);
	TEST_ASSERT_EQ(run->send_ipi.send_to_self, 0);
	TEST_ASSERT_EQ(run->send_ipi.target_cpu_aux & 0xfff00, 0);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_CPU_UP);
	TEST_ASSERT_EQ(run->cpu_up.target_cpu, 1);
	TEST_ASSERT_EQ(run->cpu_up.entry, 0x9000);

	/* The second SIPI is dropped: next is the all-but-self IPI. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SEND_IPI);
	TEST_ASSERT_EQ(run->send_ipi.send_to_all, 1);
	TEST_ASSERT_EQ(run->send_ipi.send_to_self, 0);
	TEST_ASSERT_EQ(run->send_ipi.vector, 0x43);

	vcpu_run(vcpu);
	alarm(0);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8102), 3);
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_SYSREG_READ], 0);
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_SYSREG_WRITE], 0);
	test_vm_free(vm);
}

struct ap_arg {
	struct test_vm *t;
	struct axvm_vcpu *ap;
	__u64 entry;
	__u32 exit;
};

static void *ap_thread(void *p)
{
	struct ap_arg *a = p;

	vcpu_setup(a->ap, a->entry);
	vcpu_bind(a->ap);
	fs_at_apic(a->ap);
	vcpu_run(a->ap);
	a->exit = a->ap->run->exit_reason;
	return NULL;
}

TEST(init_sipi_and_ipi_between_vcpus)
{
	struct axvm_vcpu ap;
	struct ap_arg arg;
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	pthread_t th;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, g_bsp);
	run = vcpu->run;
	memcpy(guest_ptr(vm, AP_ENTRY), g_ap_start, GUEST_CODE_LEN(g_ap));
	ivt_set(vm, 0x44, g_ap_start, g_ap_isr, AP_ENTRY);
	vcpu_create(&vm->vm, &ap, 1);
	fs_at_apic(vcpu);
	alarm(60);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_CPU_UP);
	TEST_ASSERT_EQ(run->cpu_up.target_cpu, 1);
	TEST_ASSERT_EQ(run->cpu_up.entry, AP_ENTRY);
	arg = (struct ap_arg){ vm, &ap, run->cpu_up.entry, 0 };
	TEST_ASSERT_EQ(pthread_create(&th, NULL, ap_thread, &arg), 0);

	/* The AP's APIC on first: a fixed IPI to a disabled APIC is lost. */
	for (i = 0; i < 20000 && !*(volatile __u16 *)guest_ptr(vm, 0x8200); i++)
		usleep(1000);
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8200), 1);
	/* The module delivers the IPI to vcpu 1 of the VM itself: no exit. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_SEND_IPI], 0);
	TEST_ASSERT_EQ(pthread_join(th, NULL), 0);
	alarm(0);
	TEST_ASSERT_EQ(arg.exit, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8202), 1);
	TEST_ASSERT_EQ(rd32(vm, 0x8204), 1 << 24);	/* the AP's APIC ID */
	axvm_vcpu_close(&ap);
	test_vm_free(vm);
}

struct ws_ap {
	struct test_vm *t;
	struct axvm_vcpu *ap;
	__u32 exit1, exit2, exit3;
	int r3, loops2;
	volatile int go2, go3;
	struct axvcpu_x86_sregs s3;
};

static void *ws_ap_thread(void *p)
{
	struct ws_ap *a = p;
	int i;

	vcpu_bind(a->ap);
	/* Waits for INIT and SIPI inside the RUN; the SIPI starts it. */
	vcpu_run(a->ap);
	a->exit1 = a->ap->run->exit_reason;
	while (!a->go2)
		usleep(1000);
	/* HLT exits until the INIT (then the SIPI) of the BSP arrive. */
	for (i = 0; i < 20000; i++) {
		vcpu_run(a->ap);
		if (*(volatile __u16 *)guest_ptr(a->t, 0x8202))
			break;
		usleep(1000);
	}
	a->loops2 = i;
	a->exit2 = a->ap->run->exit_reason;
	while (!a->go3)
		usleep(1000);
	/* INIT alone: the RUN waits for a SIPI until the signal. */
	a->r3 = __vcpu_run(a->ap) ? errno : 0;
	a->exit3 = a->ap->run->exit_reason;
	TEST_ASSERT_SYSCALL_OK(ioctl(a->ap->fd, AXVCPU_GET_X86_SREGS, &a->s3));
	return NULL;
}

static void ws_nop(int sig)
{
}

/*
 * AXVCPU_SETUP_X86_WAIT_SIPI: the module itself delivers INIT and SIPI
 * from the BSP to the AP (SDM Vol. 3A 9.4.4): the AP's RUN sleeps in
 * wait-for-SIPI, the first SIPI starts it in real mode at vector << 12
 * with the reset EDX, the second SIPI of INIT-SIPI-SIPI changes nothing,
 * an INIT to the running AP puts it back in wait-for-SIPI, and a signal
 * ends a waiting RUN with INTR.  No CPU_UP or SEND_IPI exit reaches the
 * VMM.  (Without the flag, init_sipi_and_ipi_between_vcpus: CPU_UP.)
 */
TEST(wait_sipi_ap_is_started_by_the_module)
{
	struct sigaction sa = { .sa_handler = ws_nop };
	struct axvcpu_vcpu_setup cfg = { .flags = AXVCPU_SETUP_X86_WAIT_SIPI };
	struct axvcpu_run *run;
	struct axvm_vcpu ap;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	struct ws_ap a;
	pthread_t th;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, g_wsbsp);
	TEST_ASSERT_EQ(axvm_check_extension(vm->sys_fd, AXVCPU_CAP_X86_WAIT_SIPI), 1);
	run = vcpu->run;
	fs_at_apic(vcpu);
	memcpy(guest_ptr(vm, 0x4000), g_wsap1_start, GUEST_CODE_LEN(g_wsap1));
	memcpy(guest_ptr(vm, 0x5000), g_wsap5_start, GUEST_CODE_LEN(g_wsap5));
	memcpy(guest_ptr(vm, 0x6000), g_wsap2_start, GUEST_CODE_LEN(g_wsap2));
	vcpu_create(&vm->vm, &ap, 1);
	/* The entry is not used: the SIPI says where. */
	TEST_ASSERT_EQ(axvm_vcpu_setup(&ap, 0x5000, &cfg), 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	a = (struct ws_ap){ .t = vm, .ap = &ap };
	alarm(120);
	TEST_ASSERT_EQ(pthread_create(&th, NULL, ws_ap_thread, &a), 0);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8200), 1);
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8204), 0x400);
	/* EDX after INIT: family 6 in bits 11:8 (SDM Vol. 3A 10.1.4). */
	TEST_ASSERT_EQ((rd32(vm, 0x8208) >> 8) & 0xf, 6);

	a.go2 = 1;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8202), 2);
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8206), 0x600);
	/* The first start's mark: the SIPI to 0x5000 never ran. */
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8200), 1);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	a.go3 = 1;
	for (i = 0; i < 500 && vcpu_get_state(&ap) != AXVCPU_STATE_RUNNING; i++)
		usleep(10000);
	usleep(200000);
	/* Still in its RUN: INIT without SIPI starts nothing. */
	vcpu_assert_state(&ap, AXVCPU_STATE_RUNNING);
	pthread_kill(th, SIGUSR1);
	TEST_ASSERT_EQ(pthread_join(th, NULL), 0);
	alarm(0);
	TEST_ASSERT_EQ(a.exit1, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(a.exit2, AXVCPU_EXIT_HALT);
	TEST_ASSERT(a.loops2 < 20000, "the AP never took the second INIT+SIPI");
	TEST_ASSERT_EQ(a.r3, EINTR);
	TEST_ASSERT_EQ(a.exit3, AXVCPU_EXIT_INTR);
	/* INIT's reset state: CS F000, base FFFF0000 (SDM Vol. 3A Table 10-1). */
	TEST_ASSERT_EQ(a.s3.cs.selector, 0xf000);
	TEST_ASSERT_EQ(a.s3.cs.base, 0xffff0000);
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_CPU_UP], 0);
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_SEND_IPI], 0);
	TEST_ASSERT_EQ(ap.run->stats.exits[AXVCPU_EXIT_CPU_UP], 0);
	axvm_vcpu_close(&ap);
	test_vm_free(vm);
}

/*
 * Only WAIT_SIPI and HALT_IN_KERNEL exist: the next bit is -EINVAL, the
 * vcpu unchanged.
 */
TEST(wait_sipi_unknown_setup_flag_is_einval)
{
	struct axvcpu_vcpu_setup cfg = { .flags = AXVCPU_SETUP_HALT_IN_KERNEL << 1 };
	struct axvm_vcpu ap;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_wsbsp);
	vcpu_create(&vm->vm, &ap, 1);
	TEST_ASSERT_EQ(axvm_vcpu_setup(&ap, 0x4000, &cfg), -EINVAL);
	vcpu_assert_state(&ap, AXVCPU_STATE_CREATED);
	axvm_vcpu_close(&ap);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
