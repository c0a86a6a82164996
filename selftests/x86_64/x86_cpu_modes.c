// SPDX-License-Identifier: GPL-2.0
/*
 * x86_cpu_modes - the built-in exits as the guest sees them (issue 3,
 * items 2 and 5): CPUID values (hypervisor bit, VMX hidden, APIC ID, the
 * 0x40000000 leaves, OSXSAVE following the guest's CR4); XSETBV good and
 * bad (#GP delivered to the guest); CR0/CR4 writes, CLTS, LMSW and a
 * refused CR4 bit (#GP); real -> protected -> long mode switch by the
 * guest itself; SET_X86_SREGS starts in protected and long mode with the
 * GDT and page tables built by the test; SET_X86_SREGS validation.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

GUEST_CODE(g_cpuid);
GUEST_CODE(g_xsetbv);
GUEST_CODE(g_cr);
GUEST_CODE(g_modes);
GUEST_CODE(g_pm_start);
GUEST_CODE(g_lm_start);
GUEST_CODE(g_noxsave);
GUEST_CODE(g_xsave_size);
extern const unsigned char g_xsave_size_gp[];
extern const unsigned char g_xsetbv_gp[], g_cr_gp[];
extern const unsigned char g_noxsave_gp[], g_noxsave_ud[];

/* Real-mode #GP handler: count at 0x8100, skip @len bytes, IRET. */
#define RM_GP_HANDLER(len)						\
	"	incw 0x8100\n"						\
	"	push %bp\n"						\
	"	mov %sp, %bp\n"						\
	"	addw $" #len ", 2(%bp)\n"				\
	"	pop %bp\n"						\
	"	iret\n"

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_cpuid_start, g_cpuid_end\n"
    "g_cpuid_start:\n"
    "	xor %eax, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %eax, 0x8000\n"
    "	mov %ebx, 0x8004\n"
    "	mov %ecx, 0x8008\n"
    "	mov %edx, 0x800c\n"
    "	mov $1, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %eax, 0x8010\n"
    "	mov %ebx, 0x8014\n"
    "	mov %ecx, 0x8018\n"
    "	mov %edx, 0x801c\n"
    "	mov $0x40000000, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %eax, 0x8020\n"
    "	mov %ebx, 0x8024\n"
    "	mov %ecx, 0x8028\n"
    "	mov %edx, 0x802c\n"
    "	mov $0x40000001, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	or %ebx, %eax\n"
    "	or %ecx, %eax\n"
    "	or %edx, %eax\n"
    "	mov %eax, 0x8030\n"
    "	hlt\n"
    "g_cpuid_end:\n"

    ".global g_xsetbv_start, g_xsetbv_end, g_xsetbv_gp\n"
    "g_xsetbv_start:\n"
    "	mov $1, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %ecx, 0x8000\n"		/* OSXSAVE before */
    "	mov %cr4, %eax\n"
    "	or $0x40600, %eax\n"		/* OSXSAVE, OSFXSR, OSXMMEXCPT */
    "	mov %eax, %cr4\n"
    "	mov $1, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %ecx, 0x8004\n"		/* OSXSAVE after */
    "	xor %ecx, %ecx\n"
    "	xgetbv\n"
    "	mov %eax, 0x8008\n"		/* XCR0 at reset */
    "	mov %edx, 0x800c\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $3, %eax\n"
    "	xsetbv\n"			/* good: x87 | SSE */
    "	xor %ecx, %ecx\n"
    "	xgetbv\n"
    "	mov %eax, 0x8010\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $2, %eax\n"
    "	xsetbv\n"			/* bad: no x87 */
    "	mov $1, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $3, %eax\n"
    "	xsetbv\n"			/* bad: XCR index 1 */
    "	xor %ecx, %ecx\n"
    "	mov $0x80000000, %edx\n"
    "	mov $3, %eax\n"
    "	xsetbv\n"			/* bad: bit 63 */
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $5, %eax\n"
    "	xsetbv\n"			/* bad: AVX without SSE */
    "	xor %ecx, %ecx\n"
    "	xgetbv\n"
    "	mov %eax, 0x8014\n"		/* still 3 */
    "	hlt\n"
    "g_xsetbv_gp:\n"
    RM_GP_HANDLER(3)
    "g_xsetbv_end:\n"

    /*
     * CPUID.0xD.0 at XCR0 = x87 (0x8000: EAX EBX ECX EDX), at x87|SSE
     * (0x8010: EBX), then XSETBV of everything leaf 0xD offers (#GP
     * counted at 0x8100) and 0x8014: EBX, 0x8018: XCR0 after it.
     */
    ".global g_xsave_size_start, g_xsave_size_end, g_xsave_size_gp\n"
    "g_xsave_size_start:\n"
    "	mov %cr4, %eax\n"
    "	or $0x40600, %eax\n"
    "	mov %eax, %cr4\n"
    "	mov $0xd, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %eax, 0x8000\n"
    "	mov %ebx, 0x8004\n"
    "	mov %ecx, 0x8008\n"
    "	mov %edx, 0x800c\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $3, %eax\n"
    "	xsetbv\n"
    "	mov $0xd, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %ebx, 0x8010\n"
    "	xor %ecx, %ecx\n"
    "	mov 0x8000, %eax\n"
    "	mov 0x800c, %edx\n"
    "	xsetbv\n"
    "	mov $0xd, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %ebx, 0x8014\n"
    "	xor %ecx, %ecx\n"
    "	xgetbv\n"
    "	mov %eax, 0x8018\n"
    "	hlt\n"
    "g_xsave_size_gp:\n"
    RM_GP_HANDLER(3)
    "g_xsave_size_end:\n"

    /* A host without XSAVE: CR4.OSXSAVE refused (#GP), XSETBV #UD. */
    ".global g_noxsave_start, g_noxsave_end, g_noxsave_gp, g_noxsave_ud\n"
    "g_noxsave_start:\n"
    "	mov $1, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %ecx, 0x8000\n"
    "	mov %cr4, %eax\n"
    "	or $0x40000, %eax\n"
    "	mov %eax, %cr4\n"
    "	mov %cr4, %eax\n"
    "	mov %eax, 0x8004\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $1, %eax\n"
    "	xsetbv\n"
    "	hlt\n"
    "g_noxsave_gp:\n"
    RM_GP_HANDLER(3)
    "g_noxsave_ud:\n"
    "	incw 0x8102\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	addw $3, 2(%bp)\n"
    "	pop %bp\n"
    "	iret\n"
    "g_noxsave_end:\n"

    ".global g_cr_start, g_cr_end, g_cr_gp\n"
    "g_cr_start:\n"
    "	mov %cr0, %eax\n"
    "	mov %eax, 0x8000\n"
    "	or $0x8, %eax\n"		/* TS */
    "	mov %eax, %cr0\n"
    "	mov %cr0, %eax\n"
    "	mov %eax, 0x8004\n"
    "	clts\n"
    "	mov %cr0, %eax\n"
    "	mov %eax, 0x8008\n"
    "	mov $0xa, %ax\n"		/* MP | TS, PE stays 0 */
    "	lmsw %ax\n"
    "	mov %cr0, %eax\n"
    "	mov %eax, 0x800c\n"
    "	mov %cr4, %eax\n"
    "	or $0x600, %eax\n"		/* OSFXSR | OSXMMEXCPT */
    "	mov %eax, %cr4\n"
    "	mov %cr4, %eax\n"
    "	mov %eax, 0x8010\n"
    "	or $0x2000, %eax\n"		/* VMXE: refused, #GP */
    "	mov %eax, %cr4\n"
    "	mov %cr4, %eax\n"
    "	mov %eax, 0x8014\n"
    "	mov %cr0, %eax\n"
    "	or $0x80000000, %eax\n"		/* PG without PE: #GP */
    "	mov %eax, %cr0\n"
    "	mov %cr0, %eax\n"
    "	mov %eax, 0x8018\n"
    "	hlt\n"
    "g_cr_gp:\n"
    RM_GP_HANDLER(3)
    "g_cr_end:\n"

    /* Real -> protected (32-bit) -> long mode, by the guest. */
    ".global g_modes_start, g_modes_end\n"
    "g_modes_start:\n"
    "	lgdtl 0x9f00\n"
    "	mov %cr0, %eax\n"
    "	or $1, %eax\n"
    "	mov %eax, %cr0\n"
    "	ljmpl $0x18, $(1f - g_modes_start + 0x1000)\n"
    ".code32\n"
    "1:	mov $0x10, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %es\n"
    "	mov %ax, %ss\n"
    "	mov $0x7ff0, %esp\n"
    GUEST_UCALL_ASM(UCALL_SYNC, "$32")
    "	mov %cr4, %eax\n"
    "	or $0x20, %eax\n"		/* PAE */
    "	mov %eax, %cr4\n"
    "	mov $0xb000, %eax\n"
    "	mov %eax, %cr3\n"
    "	mov $0xc0000080, %ecx\n"
    "	rdmsr\n"
    "	or $0x100, %eax\n"		/* LME */
    "	wrmsr\n"
    "	mov %cr0, %eax\n"
    "	or $0x80000000, %eax\n"		/* PG: activates long mode */
    "	mov %eax, %cr0\n"
    "	ljmp $0x08, $(2f - g_modes_start + 0x1000)\n"
    ".code64\n"
    "2:	mov $" __stringify(UCALL_NR_OF(UCALL_SYNC)) ", %eax\n"
    "	mov $64, %esi\n"
    "	mov $0x8877665544332211, %rdx\n"
    "	vmcall\n"
    "	mov $0xc0000080, %ecx\n"
    "	rdmsr\n"
    "	mov %eax, 0x8000\n"
    "	mov $5, %eax\n"
    "	mov %rax, %cr8\n"
    "	mov %cr8, %rbx\n"
    "	mov %rbx, 0x8008\n"
    "	hlt\n"
    "g_modes_end:\n"

    ".code32\n"
    ".global g_pm_start_start, g_pm_start_end\n"
    "g_pm_start_start:\n"
    "	mov $0x12345678, %ebx\n"
    "	mov %ebx, 0x8000\n"
    "	mov %cs, %eax\n"
    "	mov %eax, 0x8004\n"
    "	push $0x77\n"
    "	pop %ecx\n"
    "	mov %ecx, 0x8008\n"
    GUEST_UCALL_ASM(UCALL_SYNC, "%esp")
    "	hlt\n"
    "g_pm_start_end:\n"

    ".code64\n"
    ".global g_lm_start_start, g_lm_start_end\n"
    "g_lm_start_start:\n"
    "	mov $0xfedcba9876543210, %rax\n"
    "	mov %rax, 0x8000\n"
    "	lea 0(%rip), %rbx\n"
    "	mov %rbx, 0x8008\n"
    "	push $0x77\n"
    "	pop %rcx\n"
    "	mov %rcx, 0x8010\n"
    "	mov %cs, %eax\n"
    "	mov %eax, 0x8018\n"
    "	mov $" __stringify(UCALL_NR_OF(UCALL_SYNC)) ", %eax\n"
    "	mov $0x1122334455667788, %rsi\n"
    "	mov $0xaabbccddeeff0011, %r9\n"
    "	vmcall\n"
    "	hlt\n"
    "g_lm_start_end:\n"
    ".popsection\n");

static void expect_ucall(struct test_vm *t, __u64 type, __u64 arg0)
{
	struct ucall uc;

	vcpu_run(&t->vcpu);
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(get_ucall(&t->vcpu, &uc), type);
	TEST_ASSERT_EQ(uc.args[0], arg0);
}

static void run_cpuid_guest(struct axvm_vcpu *v, struct test_vm *t,
			    __u32 vcpu_id)
{
	__u32 a, b, c, d;
	char sig[13];

	vcpu_run(v);
	vcpu_assert_exit(v, AXVCPU_EXIT_HALT);
	host_cpuid(0, 0, &a, &b, &c, &d);
	/* Vendor string as the host's. */
	TEST_ASSERT_EQ(guest_rd32(t, 0x8004), b);
	TEST_ASSERT_EQ(guest_rd32(t, 0x8008), c);
	TEST_ASSERT_EQ(guest_rd32(t, 0x800c), d);
	host_cpuid(1, 0, &a, &b, &c, &d);
	/* Leaf 1 EAX: family/model/stepping are the host's, untouched. */
	TEST_ASSERT_EQ(guest_rd32(t, 0x8010), a);
	/* Leaf 1 ECX: hypervisor bit 31 set, VMX bit 5 clear. */
	c = guest_rd32(t, 0x8018);
	TEST_ASSERT(c & (1U << 31), "CPUID.1:ECX %#x: hypervisor bit clear", c);
	TEST_ASSERT(!(c & (1U << 5)), "CPUID.1:ECX %#x: VMX visible", c);
	/* OSXSAVE follows the guest's CR4 (0 at reset), not the host's. */
	TEST_ASSERT(!(c & (1U << 27)), "CPUID.1:ECX %#x: OSXSAVE set with guest CR4.OSXSAVE=0", c);
	/* Initial APIC ID = vcpu id. */
	TEST_ASSERT_EQ(guest_rd32(t, 0x8014) >> 24, vcpu_id);
	TEST_ASSERT(guest_rd32(t, 0x8020) >= 0x40000001,
		    "CPUID.0x40000000:EAX %#x", guest_rd32(t, 0x8020));
	memcpy(sig, guest_ptr(t, 0x8024), 12);
	sig[12] = 0;
	TEST_ASSERT(!strcmp(sig, "RVMRVMRVMRVM"),
		    "hypervisor signature '%s', expected RVMRVMRVMRVM", sig);
	TEST_ASSERT_EQ(guest_rd32(t, 0x8030), 0);	/* leaf 0x40000001 */
	TEST_ASSERT_EQ(v->run->stats.builtin[AXVCPU_BUILTIN_CPUID], 4);
	TEST_ASSERT_EQ(v->run->stats.exits[AXVCPU_EXIT_HALT], 1);
}

TEST(cpuid_values)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_cpuid);
	run_cpuid_guest(vcpu, vm, 0);
	test_vm_free(vm);
}

/* The APIC ID in CPUID.1:EBX[31:24] is the vcpu id. */
TEST(cpuid_apic_id_of_vcpu5)
{
	struct axvm_vcpu v5;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_cpuid);
	vcpu_create(&vm->vm, &v5, 5);
	vcpu_setup(&v5, GUEST_ENTRY);
	vcpu_bind(&v5);
	run_cpuid_guest(&v5, vm, 5);
	axvm_vcpu_close(&v5);
	test_vm_free(vm);
}

static bool host_has_osxsave(void)
{
	__u32 a, b, c, d;

	host_cpuid(1, 0, &a, &b, &c, &d);
	return c & (1U << 27);
}

TEST(xsetbv_good_and_bad)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	if (!host_has_osxsave())
		SKIP(return, "host has no OSXSAVE");
	vm = vm_create_with_one_vcpu(&vcpu, g_xsetbv);
	run = vcpu->run;
	x86_ivt_set(vm, 13, GUEST_SYM_GPA(g_xsetbv, g_xsetbv_gp));
	vcpu_set_gpr(vcpu, 4, X86_STACK_TOP);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT(!(guest_rd32(vm, 0x8000) & (1U << 27)),
		    "CPUID.1:ECX %#x before CR4.OSXSAVE: OSXSAVE set",
		    guest_rd32(vm, 0x8000));
	TEST_ASSERT(guest_rd32(vm, 0x8004) & (1U << 27),
		    "CPUID.1:ECX %#x after CR4.OSXSAVE: OSXSAVE clear",
		    guest_rd32(vm, 0x8004));
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8008), 1);	/* XCR0 reset value */
	TEST_ASSERT_EQ(guest_rd32(vm, 0x800c), 0);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8010), 3);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8014), 3);
	/* Four bad XSETBVs, four #GPs in the guest's handler. */
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8100), 4);
	TEST_ASSERT_EQ(run->stats.builtin[AXVCPU_BUILTIN_XSETBV], 1);
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_HALT], 1);
	test_vm_free(vm);
}

/*
 * Leaf 0xD tells what XSETBV accepts, and its sizes follow the
 * guest's XCR0 (576 bytes for x87 and SSE), not the host's.
 */
TEST(cpuid_xsave_leaf_follows_guest_xcr0)
{
	__u32 a, b, c, d, offered;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	if (!host_has_osxsave())
		SKIP(return, "host has no OSXSAVE: XSAVE is hidden from guests (no_host_xsave_hidden_from_guest)");
	vm = vm_create_with_one_vcpu(&vcpu, g_xsave_size);
	x86_ivt_set(vm, 13, GUEST_SYM_GPA(g_xsave_size, g_xsave_size_gp));
	vcpu_set_gpr(vcpu, 4, X86_STACK_TOP);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	host_cpuid(0xd, 0, &a, &b, &c, &d);
	offered = guest_rd32(vm, 0x8000);
	TH_LOG("host leaf 0xD.0 %#x %#x %#x %#x; guest %#x %#x %#x %#x",
	       a, b, c, d, offered, guest_rd32(vm, 0x8004),
	       guest_rd32(vm, 0x8008), guest_rd32(vm, 0x800c));
	TEST_ASSERT_EQ(offered & 3, 3);
	TEST_ASSERT(!(offered & ~a), "guest offered %#x beyond the host's %#x",
		    offered, a);
	TEST_ASSERT(!(offered & (1U << 9)), "PKRU offered: %#x", offered);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8004), 576);	/* XCR0 = x87 */
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8010), 576);	/* x87 | SSE */
	/* Everything offered is accepted, and then the size is the maximum. */
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8100), 0);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8018), offered);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8014), guest_rd32(vm, 0x8008));
	test_vm_free(vm);
}

TEST(no_host_xsave_hidden_from_guest)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u32 c;

	if (host_has_osxsave())
		SKIP(return, "host has OSXSAVE (xsetbv_good_and_bad covers it)");
	vm = vm_create_with_one_vcpu(&vcpu, g_noxsave);
	x86_ivt_set(vm, 13, GUEST_SYM_GPA(g_noxsave, g_noxsave_gp));
	x86_ivt_set(vm, 6, GUEST_SYM_GPA(g_noxsave, g_noxsave_ud));
	vcpu_set_gpr(vcpu, 4, X86_STACK_TOP);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	c = guest_rd32(vm, 0x8000);
	TEST_ASSERT(!(c & (3U << 26)), "CPUID.1:ECX %#x: XSAVE/OSXSAVE visible", c);
	TEST_ASSERT(!(guest_rd32(vm, 0x8004) & (1U << 18)),
		    "CR4 %#x: OSXSAVE set", guest_rd32(vm, 0x8004));
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8100), 1);	/* #GP */
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8102), 1);	/* #UD */
	test_vm_free(vm);
}

TEST(cr_writes)
{
	struct axvcpu_x86_sregs s;
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u32 cr0;

	vm = vm_create_with_one_vcpu(&vcpu, g_cr);
	run = vcpu->run;
	x86_ivt_set(vm, 13, GUEST_SYM_GPA(g_cr, g_cr_gp));
	vcpu_set_gpr(vcpu, 4, X86_STACK_TOP);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	cr0 = guest_rd32(vm, 0x8000);
	TEST_ASSERT(!(cr0 & (X86_CR0_PE | X86_CR0_PG | X86_CR0_TS)),
		    "initial CR0 %#x", cr0);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8004), cr0 | X86_CR0_TS);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8008), cr0);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x800c), cr0 | X86_CR0_MP | X86_CR0_TS);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8010) & 0x600, 0x600);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8014), guest_rd32(vm, 0x8010));
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8018), guest_rd32(vm, 0x800c));
	TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8100), 2);
	/* The refused VMXE write is the module's #GP (VMXE is host-owned). */
	TEST_ASSERT(run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION] >= 1,
		    "builtin EXCEPTION %llu",
		    (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION]);
	x86_get_sregs(vcpu, &s);
	TEST_ASSERT_EQ(s.cr0 & 0xffffffff, guest_rd32(vm, 0x800c));
	TEST_ASSERT_EQ(s.cr4 & 0xffffffff, guest_rd32(vm, 0x8010));
	test_vm_free(vm);
}

TEST(real_to_protected_to_long_mode)
{
	struct axvcpu_x86_sregs s;
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_modes);
	run = vcpu->run;
	x86_build_tables(vm);
	vcpu_set_gpr(vcpu, 4, X86_STACK_TOP);

	expect_ucall(vm, UCALL_SYNC, 32);
	x86_get_sregs(vcpu, &s);
	TEST_ASSERT(s.cr0 & X86_CR0_PE, "cr0 %#llx", (unsigned long long)s.cr0);
	TEST_ASSERT_EQ(s.cs.selector, SEL_CODE32);
	TEST_ASSERT(s.cs.ar & AR_DB, "cs.ar %#x: not 32-bit", s.cs.ar);
	TEST_ASSERT(!(s.efer & EFER_LMA), "efer %#llx", (unsigned long long)s.efer);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(run->hypercall.args[1], 64);
	TEST_ASSERT_EQ(run->hypercall.args[2], 0x8877665544332211ULL);
	x86_get_sregs(vcpu, &s);
	TEST_ASSERT((s.efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
		    "efer %#llx: not in long mode", (unsigned long long)s.efer);
	TEST_ASSERT(s.cs.ar & AR_L, "cs.ar %#x: L clear", s.cs.ar);
	TEST_ASSERT_EQ(s.cs.selector, SEL_CODE64);
	TEST_ASSERT(s.cr0 & X86_CR0_PG, "cr0 %#llx", (unsigned long long)s.cr0);
	TEST_ASSERT_EQ(s.cr3, X86_PML4_GPA);

	run->hypercall.ret = 0;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000) & (EFER_LME | EFER_LMA),
		       EFER_LME | EFER_LMA);
	TEST_ASSERT_EQ(guest_rd64(vm, 0x8008), 5);	/* CR8 */
	x86_get_sregs(vcpu, &s);
	TEST_ASSERT_EQ(s.cr8, 5);
	/*
	 * CR0.PG with LME: handled inside.  MOV to and from CR8 too, or,
	 * with the TPR shadow, no exit at all.
	 */
	TEST_ASSERT(run->stats.builtin[AXVCPU_BUILTIN_CR_ACCESS] >= 1,
		    "builtin CR_ACCESS %llu",
		    (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_CR_ACCESS]);
	test_vm_free(vm);
}

TEST(sregs_start_protected_mode)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_pm_start);
	x86_enter_prot_mode(vm, GUEST_ENTRY);
	expect_ucall(vm, UCALL_SYNC, X86_STACK_TOP);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000), 0x12345678);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8004) & 0xffff, SEL_CODE32);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8008), 0x77);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	test_vm_free(vm);
}

TEST(sregs_start_long_mode)
{
	struct axvcpu_x86_sregs s;
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_lm_start);
	run = vcpu->run;
	x86_enter_long_mode(vm, GUEST_ENTRY);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(run->hypercall.nr, UCALL_NR_OF(UCALL_SYNC));
	TEST_ASSERT_EQ(run->hypercall.args[1], 0x1122334455667788ULL);
	TEST_ASSERT_EQ(run->hypercall.args[5], 0xaabbccddeeff0011ULL);
	TEST_ASSERT_EQ(guest_rd64(vm, 0x8000), 0xfedcba9876543210ULL);
	/* LEA 0(%rip) after a 10-byte MOV and an 8-byte MOV. */
	TEST_ASSERT_EQ(guest_rd64(vm, 0x8008), GUEST_ENTRY + 10 + 8 + 7);
	TEST_ASSERT_EQ(guest_rd64(vm, 0x8010), 0x77);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8018) & 0xffff, SEL_CODE64);
	x86_get_sregs(vcpu, &s);
	TEST_ASSERT(s.efer & EFER_LMA, "efer %#llx", (unsigned long long)s.efer);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	test_vm_free(vm);
}

TEST(set_sregs_validation)
{
	struct axvcpu_x86_sregs good, s;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_lm_start);
	x86_enter_long_mode(vm, GUEST_ENTRY);
	x86_get_sregs(vcpu, &good);

	s = good;
	s.cr0 &= ~X86_CR0_PG;		/* LMA without paging */
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s), EINVAL);
	s = good;
	s.cr4 &= ~X86_CR4_PAE;		/* long mode without PAE */
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s), EINVAL);
	s = good;
	s.cr4 |= X86_CR4_VMXE;		/* no nested VMX */
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s), EINVAL);
	s = good;
	s.efer |= 1ULL << 1;		/* reserved EFER bit */
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s), EINVAL);
	s = good;
	s.cs.ar |= AR_DB;		/* L and D both set */
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s), EINVAL);
	s = good;
	s.efer &= ~EFER_LME;		/* LMA without LME */
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s), EINVAL);
	s = good;
	s.reserved[0] = 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s), EINVAL);
	s = good;
	s.cr8 = 16;
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s), EINVAL);
	s = good;
	s.cr0 = X86_CR0_PG | X86_CR0_ET;	/* PG without PE */
	s.efer = 0;
	s.cr4 = 0;
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s), EINVAL);

	/* The rejected calls changed nothing: the guest still runs. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(vcpu->run->hypercall.args[1], 0x1122334455667788ULL);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
