// SPDX-License-Identifier: GPL-2.0
/*
 * x86_fidelity - what guests not written for axvm expect of the CPU
 * (issue 12): IA32_MISC_ENABLE takes back the value it gave and its
 * LIMIT_CPUID and XD_DISABLE bits act; the other MSRs an OS writes back
 * at boot (DEBUGCTL, BIOS_SIGN_ID, MCG_STATUS, ...) too; a fault injected after an
 * intercepted instruction pushes RFLAGS.RF = 1; a single step over an
 * instruction the module emulates raises #DB with DR6.BS, once, also in a
 * MOV SS shadow; CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN; CR8 and the
 * debug registers cost no exit per access.
 *
 * Most cases use one "command" guest in long mode: it runs the operation
 * the host wrote into its data page (RDMSR, WRMSR, CPUID, MOV to CR4) and
 * reports the result through VMCALL, with a #GP handler that records the
 * fault and the RFLAGS of its frame.
 */
#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

#define HCALL_CMD	UCALL_NR_OF(UCALL_TEST(1))
#define HCALL_DONE	UCALL_NR_OF(UCALL_DONE)
#define HCALL_COST	UCALL_NR_OF(UCALL_TEST(2))

/* The command block in the data page. */
#define CMD_OP		0x8000	/* u32: CMD_* */
#define CMD_ECX		0x8004
#define CMD_EAX		0x8008
#define CMD_EDX		0x800c
#define CMD_FAULT	0x8010	/* u64: vector + 1 of the fault, or 0 */
#define CMD_FRAME_FL	0x8018	/* u64: RFLAGS in the fault's frame */
#define CMD_SKIP	0x8020	/* u64: bytes of the faulting instruction */

enum { CMD_RDMSR, CMD_WRMSR, CMD_CPUID, CMD_CR4 };

#define RFLAGS_TF	(1ULL << 8)
#define RFLAGS_RF	(1ULL << 16)
#define DR6_BS		(1ULL << 14)

#define MSR_MISC_ENABLE	0x1a0
#define MSR_APIC_BASE	0x1b
#define MSR_EFER	0xc0000080

GUEST_CODE(g_cmd);
extern const unsigned char g_cmd_gp[], g_cmd_ud[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    ".global g_cmd_start, g_cmd_end, g_cmd_gp, g_cmd_ud\n"
    "g_cmd_start:\n"
    "1:	mov 0x8000, %edi\n"
    "	mov 0x8004, %ecx\n"
    "	mov 0x8008, %eax\n"
    "	mov 0x800c, %edx\n"
    "	xor %ebx, %ebx\n"
    "	movq $0, 0x8010\n"
    "	movq $2, 0x8020\n"
    "	cmp $1, %edi\n"
    "	je 3f\n"
    "	cmp $2, %edi\n"
    "	je 4f\n"
    "	cmp $3, %edi\n"
    "	je 5f\n"
    "	rdmsr\n"
    "	jmp 9f\n"
    "3:	wrmsr\n"
    "	jmp 9f\n"
    "4:	cpuid\n"
    "	jmp 9f\n"
    "5:	movq $3, 0x8020\n"
    "	shl $32, %rdx\n"
    "	or %rdx, %rax\n"
    "	mov %rax, %cr4\n"
    "9:	mov %eax, %edi\n"
    "	mov %ebx, %esi\n"
    "	mov 0x8010, %r8\n"
    "	mov 0x8018, %r9\n"
    "	mov $" __stringify(HCALL_CMD) ", %eax\n"
    "	vmcall\n"
    "	jmp 1b\n"
    /* #GP: error code, RIP, CS, RFLAGS: note the fault, skip the insn. */
    "g_cmd_gp:\n"
    "	movq $14, 0x8010\n"
    "	add $8, %rsp\n"
    "	push %rax\n"
    "	mov 24(%rsp), %rax\n"
    "	mov %rax, 0x8018\n"
    "	mov 0x8020, %rax\n"
    "	add %rax, 8(%rsp)\n"
    "	pop %rax\n"
    "	iretq\n"
    "g_cmd_ud:\n"
    "	movq $7, 0x8010\n"
    "	push %rax\n"
    "	mov 24(%rsp), %rax\n"
    "	mov %rax, 0x8018\n"
    "	mov 0x8020, %rax\n"
    "	add %rax, 8(%rsp)\n"
    "	pop %rax\n"
    "	iretq\n"
    "g_cmd_end:\n"
    ".popsection\n");

/* What one command gave. */
struct cmd_res {
	__u32 eax, ebx, ecx, edx;
	__u64 fault;		/* vector + 1, 0 = none */
	__u64 frame_flags;	/* RFLAGS pushed by the fault */
};

/*
 * Single step (TF) over instructions the module emulates, among ones the
 * CPU runs itself.  The #DB handler logs the frame's RIP and DR6 at
 * 0x8200 + 16 * n (n at 0x8100) and clears TF at ss_16.  ss_<i> is the
 * i-th stepped instruction: the #DB of instruction i points at ss_<i+1>
 * (ss_sti1, ss_sti2 and ss_hlt sit between ss_14 and ss_15).
 */
GUEST_CODE(g_ss);
extern const unsigned char g_ss_db[], ss_0[], ss_1[], ss_2[], ss_3[],
	ss_4[], ss_5[], ss_6[], ss_7[], ss_8[], ss_9[], ss_10[], ss_11[],
	ss_12[], ss_13[], ss_14[], ss_15[], ss_16[], ss_sti1[], ss_sti2[],
	ss_hlt[];

#define SS_LOG_N	0x8100
#define SS_LOG		0x8200

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    ".global g_ss_start, g_ss_end, g_ss_db, ss_0, ss_1, ss_2, ss_3, ss_4\n"
    ".global ss_5, ss_6, ss_7, ss_8, ss_9, ss_10, ss_11, ss_12, ss_13\n"
    ".global ss_14, ss_15, ss_16, ss_sti1, ss_sti2, ss_hlt\n"
    "g_ss_start:\n"
    "	xor %eax, %eax\n"
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	popfq\n"
    "ss_0:	nop\n"
    "ss_1:	cpuid\n"
    "ss_2:	mov $0x1a0, %ecx\n"
    "ss_3:	rdmsr\n"
    "ss_4:	wrmsr\n"
    "ss_5:	out %al, $0x80\n"		/* IO_WRITE to the VMM */
    "ss_6:	in $0x80, %al\n"		/* IO_READ */
    "ss_7:	vmcall\n"			/* HYPERCALL */
    "ss_8:	xor %eax, %eax\n"
    "ss_9:	mov %rax, %cr8\n"
    "ss_10:	mov %dr0, %rax\n"
    "ss_11:	mov %ss, %ax\n"
    "ss_12:	mov %ax, %ss\n"		/* shadow: no #DB here ... */
    "ss_13:	cpuid\n"			/* ... one after this */
    "ss_14:	sti\n"			/* STI's shadow delays no step */
    "ss_sti1: cpuid\n"
    "ss_sti2: cli\n"
    "ss_hlt:	hlt\n"			/* HALT */
    "ss_15:	nop\n"
    "ss_16:	mov $" __stringify(HCALL_DONE) ", %eax\n"
    "	vmcall\n"
    "g_ss_db:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	mov 0x8100, %rcx\n"
    "	shl $4, %rcx\n"
    "	mov 16(%rsp), %rax\n"
    "	mov %rax, 0x8200(%rcx)\n"
    "	mov %dr6, %rax\n"
    "	mov %rax, 0x8208(%rcx)\n"
    "	incq 0x8100\n"
    "	mov $0xffff0ff0, %eax\n"
    "	mov %rax, %dr6\n"
    "	lea ss_16(%rip), %rax\n"
    "	cmp %rax, 16(%rsp)\n"
    "	jne 1f\n"
    "	andq $~0x100, 32(%rsp)\n"
    "1:	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    "g_ss_end:\n"
    ".popsection\n");

/*
 * Costs, in TSC ticks (Bochs: instructions), of COST_N iterations each:
 * an empty loop, MOV to CR8, MOV from DR0 and to DR1, CPUID (always an
 * exit: the yardstick).  Then DR0-DR3 and DR6 get values that must
 * survive an exit to the VMM (VMCALL) and come back.
 */
#define COST_N		200
#define COST_LOG	0x8400	/* u64 ticks: empty, cr8, dr, cpuid */
#define DRV_LOG		0x8440	/* u64: DR0-DR3, DR6 read after the exit */

GUEST_CODE(g_cost);

#define COST_LOOP(body)							\
	"	rdtsc\n"						\
	"	shl $32, %rdx\n"					\
	"	or %rax, %rdx\n"					\
	"	mov %rdx, %r8\n"					\
	"	mov $" __stringify(COST_N) ", %r12d\n"			\
	"1:	" body "\n"						\
	"	dec %r12d\n"						\
	"	jnz 1b\n"						\
	"	rdtsc\n"						\
	"	shl $32, %rdx\n"					\
	"	or %rax, %rdx\n"					\
	"	sub %r8, %rdx\n"					\
	"	mov %rdx, (%rdi)\n"					\
	"	add $8, %rdi\n"

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    ".global g_cost_start, g_cost_end\n"
    "g_cost_start:\n"
    "	mov $" __stringify(COST_LOG) ", %edi\n"
    "	xor %ebx, %ebx\n"
    COST_LOOP("nop")
    COST_LOOP("mov %rbx, %cr8")
    COST_LOOP("mov %dr0, %rax; mov %rax, %dr1")
    "	mov %rdi, %r13\n"
    COST_LOOP("xor %eax, %eax; cpuid")
    "	mov $0x1000, %eax\n"
    "	mov %rax, %dr0\n"
    "	mov $0x2000, %eax\n"
    "	mov %rax, %dr1\n"
    "	mov $0x3000, %eax\n"
    "	mov %rax, %dr2\n"
    "	mov $0x4000, %eax\n"
    "	mov %rax, %dr3\n"
    "	mov $0xffff4ff1, %eax\n"	/* BS and B0 set */
    "	mov %rax, %dr6\n"
    "	mov $" __stringify(HCALL_COST) ", %eax\n"
    "	vmcall\n"
    "	mov %dr0, %rax\n"
    "	mov %rax, 0x8440\n"
    "	mov %dr1, %rax\n"
    "	mov %rax, 0x8448\n"
    "	mov %dr2, %rax\n"
    "	mov %rax, 0x8450\n"
    "	mov %dr3, %rax\n"
    "	mov %rax, 0x8458\n"
    "	mov %dr6, %rax\n"
    "	mov %rax, 0x8460\n"
    "	mov $" __stringify(HCALL_DONE) ", %eax\n"
    "	vmcall\n"
    "g_cost_end:\n"
    ".popsection\n");

/*
 * The TPR shadow: with x2APIC on and the TPR at 15 (MOV CR8, no exit),
 * vector 0x50 injected by the host waits in the IRR with IF=1; MOV CR8 of
 * 4 lets it through at once (the TPR-below-threshold exit), so its frame
 * points right after that MOV.  The x2APIC TPR register, the host's
 * GET_SREGS and MOV from CR8 all see the same TPR.
 */
#define TPR_VEC		0x50
#define HCALL_TPR	UCALL_NR_OF(UCALL_TEST(3))

GUEST_CODE(g_tpr);
extern const unsigned char g_tpr_h[], g_tpr_after[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    ".global g_tpr_start, g_tpr_end, g_tpr_h, g_tpr_after\n"
    "g_tpr_start:\n"
    "	mov $0x1b, %ecx\n"
    "	rdmsr\n"
    "	or $0x400, %eax\n"		/* x2APIC */
    "	wrmsr\n"
    "	mov $0x80f, %ecx\n"		/* SVR: enabled, spurious 0xff */
    "	mov $0x1ff, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	mov $15, %eax\n"
    "	mov %rax, %cr8\n"
    "	mov $0x808, %ecx\n"		/* x2APIC TPR */
    "	rdmsr\n"
    "	mov %eax, 0x8300\n"
    "	mov $" __stringify(HCALL_TPR) ", %eax\n"
    "	vmcall\n"			/* the host injects TPR_VEC */
    "	sti\n"
    "	mov $200, %ecx\n"
    "2:	loop 2b\n"
    "	mov 0x8100, %eax\n"
    "	mov %eax, 0x8304\n"		/* deliveries so far: 0 */
    "	mov $4, %eax\n"
    "	mov %rax, %cr8\n"
    "g_tpr_after:\n"
    "	nop\n"
    "	cli\n"
    "	mov %cr8, %rax\n"
    "	mov %eax, 0x8308\n"
    "	mov $0x808, %ecx\n"
    "	rdmsr\n"
    "	mov %eax, 0x830c\n"
    "	mov $" __stringify(HCALL_DONE) ", %eax\n"
    "	vmcall\n"
    "g_tpr_h:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	push %rdx\n"
    "	mov 24(%rsp), %rax\n"
    "	mov %rax, 0x8110\n"
    "	incl 0x8100\n"
    "	mov $0x80b, %ecx\n"		/* EOI */
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	pop %rdx\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    "g_tpr_end:\n"
    ".popsection\n");

static void cmd_vm(struct test_vm *t)
{
	TEST_VM_WITH(t, g_cmd);
	x86_enter_long_mode(t, GUEST_ENTRY);
	x86_idt64_set(t, 13, GUEST_SYM_GPA(g_cmd, g_cmd_gp));
	x86_idt64_set(t, 6, GUEST_SYM_GPA(g_cmd, g_cmd_ud));
}

static struct cmd_res cmd(struct test_vm *t, __u32 op, __u32 ecx, __u64 val)
{
	struct axvcpu_run *run = t->vcpu.run;
	struct cmd_res r;

	*(__u32 *)guest_ptr(t, CMD_OP) = op;
	*(__u32 *)guest_ptr(t, CMD_ECX) = ecx;
	*(__u32 *)guest_ptr(t, CMD_EAX) = val;
	*(__u32 *)guest_ptr(t, CMD_EDX) = val >> 32;
	vcpu_run(&t->vcpu);
	TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_HYPERCALL &&
		    run->hypercall.nr == HCALL_CMD,
		    "command %u: exit %s (nr 0x%llx)", op,
		    axvm_exit_name(run->exit_reason),
		    (unsigned long long)run->hypercall.nr);
	r.eax = run->hypercall.args[0];
	r.ebx = run->hypercall.args[1];
	r.edx = run->hypercall.args[2];
	r.ecx = run->hypercall.args[3];
	r.fault = run->hypercall.args[4];
	r.frame_flags = run->hypercall.args[5];
	return r;
}

static __u64 rdmsr_ok(struct test_vm *t, __u32 msr)
{
	struct cmd_res r = cmd(t, CMD_RDMSR, msr, 0);

	TEST_ASSERT(!r.fault, "RDMSR 0x%x faulted (vector %llu)", msr,
		    (unsigned long long)r.fault - 1);
	return r.eax | (__u64)r.edx << 32;
}

/* 0, or the vector + 1 of the fault. */
static __u64 wrmsr(struct test_vm *t, __u32 msr, __u64 val)
{
	return cmd(t, CMD_WRMSR, msr, val).fault;
}

/*
 * A guest that reads MISC_ENABLE and writes it back (Linux's
 * msr_clear_bit(), idt's and kvm-unit-tests' checks) must not fault, nor
 * when it sets or clears any architectural R/W bit; reserved bits fault.
 */
TEST(misc_enable_write_back)
{
	static const __u64 rw_bits[] = {
		1ULL << 0, 1ULL << 3, 1ULL << 16, 1ULL << 18, 1ULL << 22,
		1ULL << 23, 1ULL << 34, 1ULL << 38,
	};
	struct test_vm t;
	__u64 v, w;
	int i;

	cmd_vm(&t);
	v = rdmsr_ok(&t, MSR_MISC_ENABLE);
	TEST_ASSERT_EQ(wrmsr(&t, MSR_MISC_ENABLE, v), 0);
	TEST_ASSERT_EQ(rdmsr_ok(&t, MSR_MISC_ENABLE), v);
	for (i = 0; i < ARRAY_SIZE(rw_bits); i++) {
		TEST_ASSERT(wrmsr(&t, MSR_MISC_ENABLE, v | rw_bits[i]) == 0,
			    "setting MISC_ENABLE bit %d: #GP",
			    __builtin_ctzll(rw_bits[i]));
		w = rdmsr_ok(&t, MSR_MISC_ENABLE);
		TEST_ASSERT(w & rw_bits[i], "MISC_ENABLE bit %d not kept",
			    __builtin_ctzll(rw_bits[i]));
		/* The value read goes back in, whatever it holds. */
		TEST_ASSERT_EQ(wrmsr(&t, MSR_MISC_ENABLE, w), 0);
		TEST_ASSERT_EQ(wrmsr(&t, MSR_MISC_ENABLE, v & ~rw_bits[i]), 0);
		TEST_ASSERT_EQ(rdmsr_ok(&t, MSR_MISC_ENABLE) & rw_bits[i], 0);
	}
	/* BTS/PEBS unavailable are read-only: a write does not clear them. */
	TEST_ASSERT_EQ(v & (3ULL << 11), 3ULL << 11);
	TEST_ASSERT_EQ(wrmsr(&t, MSR_MISC_ENABLE, v & ~(3ULL << 11)), 0);
	TEST_ASSERT_EQ(rdmsr_ok(&t, MSR_MISC_ENABLE), v);
	/* Reserved bits fault, as on a CPU that does not define them. */
	TEST_ASSERT_EQ(wrmsr(&t, MSR_MISC_ENABLE, v | (1ULL << 63)), 14);
	TEST_ASSERT_EQ(wrmsr(&t, MSR_MISC_ENABLE, v | (1ULL << 40)), 14);
	TEST_ASSERT_EQ(rdmsr_ok(&t, MSR_MISC_ENABLE), v);
	test_vm_destroy(&t);
}

/*
 * The other MSRs a guest OS reads at boot and writes back (Linux: the
 * feature-control check, microcode revision, MCE init, DEBUGCTL for
 * block-step, CPUID faulting), answered in the module as a CPU without
 * the feature would, and CPUID.6 hiding the power MSRs it does not model.
 */
TEST(boot_msrs_written_back)
{
	static const __u32 back[] = {
		0x1d9,		/* DEBUGCTL */
		0x140,		/* MISC_FEATURES_ENABLES */
		0x8b,		/* BIOS_SIGN_ID */
		0x17a,		/* MCG_STATUS */
	};
	struct test_vm t;
	struct cmd_res r;
	__u64 v;
	int i;

	cmd_vm(&t);
	for (i = 0; i < ARRAY_SIZE(back); i++) {
		v = rdmsr_ok(&t, back[i]);
		TEST_ASSERT(wrmsr(&t, back[i], v) == 0, "MSR %#x: writing back %#llx: #GP",
			    back[i], (unsigned long long)v);
		TEST_ASSERT_EQ(rdmsr_ok(&t, back[i]), v);
	}
	/* Locked, VMX and SMX off: a write faults, as after firmware's lock. */
	TEST_ASSERT_EQ(rdmsr_ok(&t, 0x3a), 1);
	TEST_ASSERT_EQ(wrmsr(&t, 0x3a, 1), 14);
	TEST_ASSERT_EQ(wrmsr(&t, 0x3a, 5), 14);
	/* Microcode: 0 written before CPUID(1), then the revision is read. */
	TEST_ASSERT_EQ(wrmsr(&t, 0x8b, 0), 0);
	cmd(&t, CMD_CPUID, 0, 1);
	TEST_ASSERT_EQ(rdmsr_ok(&t, 0x8b), 1ULL << 32);
	/* DEBUGCTL: LBR and BTF taken and dropped; reserved bits fault. */
	TEST_ASSERT_EQ(rdmsr_ok(&t, 0x1d9), 0);
	TEST_ASSERT_EQ(wrmsr(&t, 0x1d9, 3), 0);
	TEST_ASSERT_EQ(rdmsr_ok(&t, 0x1d9), 0);
	TEST_ASSERT_EQ(wrmsr(&t, 0x1d9, 1ULL << 63), 14);
	/* No CPUID faulting to enable. */
	TEST_ASSERT_EQ(wrmsr(&t, 0x140, 1), 14);
	/* No machine-check banks: MC0_CTL is not there. */
	TEST_ASSERT_EQ(rdmsr_ok(&t, 0x179), 0);
	TEST_ASSERT_EQ(wrmsr(&t, 0x179, 0), 14);
	TEST_ASSERT_EQ(wrmsr(&t, 0x17a, 1), 0);
	TEST_ASSERT_EQ(rdmsr_ok(&t, 0x17a), 1);
	TEST_ASSERT_EQ(wrmsr(&t, 0x17a, 1ULL << 8), 14);
	TEST_ASSERT_EQ(wrmsr(&t, 0x17a, 0), 0);
	/* CPUID.6: ARAT only; so no ENERGY_PERF_BIAS (ECX bit 3), no HWP. */
	r = cmd(&t, CMD_CPUID, 0, 6);
	TEST_ASSERT_EQ(r.eax, 4);
	TEST_ASSERT_EQ(r.ecx, 0);
	test_vm_destroy(&t);
}

/* LIMIT_CPUID caps CPUID.0:EAX at 2; XD_DISABLE hides NX and refuses NXE. */
TEST(misc_enable_bits_act)
{
	struct test_vm t;
	struct cmd_res r;
	__u32 max, a, b, c, d;
	__u64 v, efer;

	cmd_vm(&t);
	v = rdmsr_ok(&t, MSR_MISC_ENABLE);
	max = cmd(&t, CMD_CPUID, 0, 0).eax;
	TEST_ASSERT(max > 2, "CPUID.0:EAX = %u", max);
	TEST_ASSERT_EQ(wrmsr(&t, MSR_MISC_ENABLE, v | (1ULL << 22)), 0);
	TEST_ASSERT_EQ(cmd(&t, CMD_CPUID, 0, 0).eax, 2);
	TEST_ASSERT_EQ(wrmsr(&t, MSR_MISC_ENABLE, v), 0);
	TEST_ASSERT_EQ(cmd(&t, CMD_CPUID, 0, 0).eax, max);

	host_cpuid(0x80000001, 0, &a, &b, &c, &d);
	efer = rdmsr_ok(&t, MSR_EFER);
	if (d & (1U << 20)) {
		TEST_ASSERT(cmd(&t, CMD_CPUID, 0, 0x80000001).edx & (1U << 20),
			    "NX hidden without XD_DISABLE");
		TEST_ASSERT_EQ(wrmsr(&t, MSR_EFER, efer | EFER_NXE), 0);
		TEST_ASSERT_EQ(wrmsr(&t, MSR_EFER, efer), 0);
	}
	TEST_ASSERT_EQ(wrmsr(&t, MSR_MISC_ENABLE, v | (1ULL << 34)), 0);
	r = cmd(&t, CMD_CPUID, 0, 0x80000001);
	TEST_ASSERT_EQ(r.edx & (1U << 20), 0);
	TEST_ASSERT_EQ(wrmsr(&t, MSR_EFER, efer | EFER_NXE), 14);
	TEST_ASSERT_EQ(wrmsr(&t, MSR_MISC_ENABLE, v), 0);
	if (d & (1U << 20))
		TEST_ASSERT(cmd(&t, CMD_CPUID, 0, 0x80000001).edx & (1U << 20),
			    "NX still hidden after XD_DISABLE is cleared");
	test_vm_destroy(&t);
}

/*
 * A fault the module injects for an instruction it intercepted pushes
 * RF = 1, as every fault the CPU raises does (SDM Vol. 3A 18.3.1.1):
 * WRMSR of a reserved MISC_ENABLE bit, RDMSR of a write-only MSR, MOV to
 * CR4 of a bit the guest may not set.
 */
TEST(fault_frame_has_rf)
{
	struct test_vm t;
	struct cmd_res r;
	__u64 v;

	cmd_vm(&t);
	v = rdmsr_ok(&t, MSR_MISC_ENABLE);
	r = cmd(&t, CMD_RDMSR, 0x49, 0);		/* PRED_CMD */
	TEST_ASSERT_EQ(r.fault, 14);
	TEST_ASSERT(r.frame_flags & RFLAGS_RF,
		    "#GP of RDMSR: RFLAGS 0x%llx in the frame, RF clear",
		    (unsigned long long)r.frame_flags);
	r = cmd(&t, CMD_WRMSR, MSR_MISC_ENABLE, v | (1ULL << 63));
	TEST_ASSERT_EQ(r.fault, 14);
	TEST_ASSERT(r.frame_flags & RFLAGS_RF,
		    "#GP of WRMSR: RFLAGS 0x%llx in the frame, RF clear",
		    (unsigned long long)r.frame_flags);
	/* CR4.VMXE (bit 13): never the guest's. */
	r = cmd(&t, CMD_CR4, 0, X86_CR4_PAE | X86_CR4_OSFXSR |
		X86_CR4_OSXMMEXCPT | X86_CR4_VMXE);
	TEST_ASSERT_EQ(r.fault, 14);
	TEST_ASSERT(r.frame_flags & RFLAGS_RF,
		    "#GP of MOV CR4: RFLAGS 0x%llx in the frame, RF clear",
		    (unsigned long long)r.frame_flags);
	/* And the guest goes on normally. */
	TEST_ASSERT_EQ(rdmsr_ok(&t, MSR_MISC_ENABLE), v);
	test_vm_destroy(&t);
}

/* CPUID.1:EDX.APIC (bit 9) follows IA32_APIC_BASE.EN. */
TEST(cpuid_apic_follows_apic_base)
{
	struct test_vm t;
	__u64 base;

	cmd_vm(&t);
	base = rdmsr_ok(&t, MSR_APIC_BASE);
	TEST_ASSERT(base & (1ULL << 11), "APIC_BASE 0x%llx",
		    (unsigned long long)base);
	TEST_ASSERT(cmd(&t, CMD_CPUID, 0, 1).edx & (1U << 9),
		    "CPUID.1:EDX.APIC clear with the APIC enabled");
	TEST_ASSERT_EQ(wrmsr(&t, MSR_APIC_BASE, base & ~(1ULL << 11)), 0);
	TEST_ASSERT_EQ(cmd(&t, CMD_CPUID, 0, 1).edx & (1U << 9), 0);
	TEST_ASSERT_EQ(wrmsr(&t, MSR_APIC_BASE, base), 0);
	TEST_ASSERT(cmd(&t, CMD_CPUID, 0, 1).edx & (1U << 9),
		    "CPUID.1:EDX.APIC clear after the APIC is enabled again");
	test_vm_destroy(&t);
}

/*
 * With RFLAGS.TF every instruction raises one single-step #DB after it,
 * with DR6.BS, whether the CPU ran it or the module emulated it (CPUID,
 * RDMSR, WRMSR, OUT, IN, VMCALL, MOV CR8, MOV DR, HLT); after MOV SS the
 * step comes after the next instruction, once (SDM Vol. 3A 6.8.3); STI's
 * shadow blocks interrupts only, so its step comes at once, and the
 * intercepted #DB taken in that shadow is reflected without a failed
 * entry (BS in the pending debug exceptions, Vol. 3C 26.3.1.5).
 */
TEST(single_step_emulated)
{
	static const struct {
		const unsigned char *rip;	/* where the #DB points */
		const char *after;		/* the instruction stepped */
	} want[] = {
		{ ss_1, "nop" }, { ss_2, "cpuid" }, { ss_3, "mov ecx" },
		{ ss_4, "rdmsr" }, { ss_5, "wrmsr" }, { ss_6, "out" },
		{ ss_7, "in" }, { ss_8, "vmcall" }, { ss_9, "xor" },
		{ ss_10, "mov cr8" }, { ss_11, "mov dr0" },
		{ ss_12, "mov ax, ss" }, { ss_14, "mov ss, ax + cpuid" },
		{ ss_sti1, "sti" }, { ss_sti2, "cpuid after sti" },
		{ ss_hlt, "cli" }, { ss_15, "hlt" }, { ss_16, "nop" },
	};
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 n, i, first = 0, rip, dr6;
	int runs;

	vm = vm_create_with_one_vcpu(&vcpu, g_ss);
	run = vcpu->run;
	x86_enter_long_mode(vm, GUEST_ENTRY);
	x86_idt64_set(vm, 1, GUEST_SYM_GPA(g_ss, g_ss_db));
	for (runs = 0; runs < 20; runs++) {
		vcpu_run(vcpu);
		if (run->exit_reason == AXVCPU_EXIT_HYPERCALL &&
		    run->hypercall.nr == HCALL_DONE)
			break;
		TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_IO_WRITE ||
			    run->exit_reason == AXVCPU_EXIT_IO_READ ||
			    run->exit_reason == AXVCPU_EXIT_HYPERCALL ||
			    run->exit_reason == AXVCPU_EXIT_HALT,
			    "exit %s at 0x%llx", axvm_exit_name(run->exit_reason),
			    (unsigned long long)run->hw_rip);
	}
	TEST_ASSERT(runs < 20, "the guest did not finish");
	n = guest_rd64(vm, SS_LOG_N);
	for (i = 0; i < n; i++)
		TH_LOG("#DB %llu: rip 0x%llx dr6 0x%llx", (unsigned long long)i,
		       (unsigned long long)guest_rd64(vm, SS_LOG + 16 * i),
		       (unsigned long long)guest_rd64(vm, SS_LOG + 16 * i + 8));
	/* A step after the POPF that set TF is the CPU's business: skip it. */
	if (n && guest_rd64(vm, SS_LOG) == GUEST_SYM_GPA(g_ss, ss_0))
		first = 1;
	for (i = 0; i < ARRAY_SIZE(want) && i + first < n; i++) {
		rip = guest_rd64(vm, SS_LOG + 16 * (i + first));
		dr6 = guest_rd64(vm, SS_LOG + 16 * (i + first) + 8);
		TEST_ASSERT(rip == GUEST_SYM_GPA(g_ss, want[i].rip),
			    "#DB %llu, after %s: rip 0x%llx, want 0x%llx",
			    (unsigned long long)i, want[i].after,
			    (unsigned long long)rip,
			    (unsigned long long)GUEST_SYM_GPA(g_ss, want[i].rip));
		TEST_ASSERT(dr6 & DR6_BS, "#DB after %s: DR6 0x%llx without BS",
			    want[i].after, (unsigned long long)dr6);
	}
	TEST_ASSERT(n - first == ARRAY_SIZE(want),
		    "%llu single-step #DBs, want %zu",
		    (unsigned long long)(n - first), ARRAY_SIZE(want));
	test_vm_free(vm);
}

/*
 * MOV CR8 and MOV DR cost no exit each (TPR shadow; MOV DR exiting off
 * after the first access): each costs well under a quarter of a CPUID,
 * which always exits.  The numbers are printed (Bochs: instruction
 * counts, not cycles).  The debug registers the guest wrote survive an
 * exit to the VMM.
 */
TEST(cr8_dr_cost)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 empty, cr8, dr, cpuid;

	vm = vm_create_with_one_vcpu(&vcpu, g_cost);
	run = vcpu->run;
	x86_enter_long_mode(vm, GUEST_ENTRY);
	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_HYPERCALL &&
		    run->hypercall.nr == HCALL_COST, "exit %s",
		    axvm_exit_name(run->exit_reason));
	empty = guest_rd64(vm, COST_LOG);
	cr8 = guest_rd64(vm, COST_LOG + 8) - empty;
	dr = guest_rd64(vm, COST_LOG + 16) - empty;
	cpuid = guest_rd64(vm, COST_LOG + 24) - empty;
	/* Two MOV DR per iteration: per access is half. */
	TH_LOG("guest TSC ticks per access: MOV CR8 %llu, MOV DR %llu, CPUID %llu (loop %llu)",
	       (unsigned long long)cr8 / COST_N,
	       (unsigned long long)dr / (2 * COST_N),
	       (unsigned long long)cpuid / COST_N,
	       (unsigned long long)empty / COST_N);
	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_HYPERCALL &&
		    run->hypercall.nr == HCALL_DONE, "exit %s",
		    axvm_exit_name(run->exit_reason));
	TEST_ASSERT_EQ(guest_rd64(vm, DRV_LOG), 0x1000);
	TEST_ASSERT_EQ(guest_rd64(vm, DRV_LOG + 8), 0x2000);
	TEST_ASSERT_EQ(guest_rd64(vm, DRV_LOG + 16), 0x3000);
	TEST_ASSERT_EQ(guest_rd64(vm, DRV_LOG + 24), 0x4000);
	TEST_ASSERT_EQ(guest_rd64(vm, DRV_LOG + 32) & 0xffffffff, 0xffff4ff1);
	TEST_ASSERT(cr8 * 4 < cpuid, "MOV CR8 costs %llu, CPUID %llu: it exits",
		    (unsigned long long)cr8, (unsigned long long)cpuid);
	TEST_ASSERT(dr * 2 < cpuid, "MOV DR costs %llu per 2, CPUID %llu: it exits",
		    (unsigned long long)dr, (unsigned long long)cpuid);
	test_vm_free(vm);
}

TEST(tpr_shadow_threshold)
{
	struct axvcpu_interrupt irq = { .vector = TPR_VEC };
	struct axvcpu_x86_sregs sr;
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_tpr);
	run = vcpu->run;
	x86_enter_long_mode(vm, GUEST_ENTRY);
	x86_idt64_set(vm, TPR_VEC, GUEST_SYM_GPA(g_tpr, g_tpr_h));
	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_HYPERCALL &&
		    run->hypercall.nr == HCALL_TPR, "exit %s",
		    axvm_exit_name(run->exit_reason));
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8300), 0xf0);	/* x2APIC TPR */
	x86_get_sregs(vcpu, &sr);
	TEST_ASSERT_EQ(sr.cr8, 15);
	TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_INJECT_INTERRUPT, &irq));
	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_HYPERCALL &&
		    run->hypercall.nr == HCALL_DONE, "exit %s",
		    axvm_exit_name(run->exit_reason));
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8304), 0);	/* held by the TPR */
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8100), 1);
	TEST_ASSERT_EQ(guest_rd64(vm, 0x8110), GUEST_SYM_GPA(g_tpr, g_tpr_after));
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8308), 4);	/* MOV from CR8 */
	TEST_ASSERT_EQ(guest_rd32(vm, 0x830c), 0x40);	/* x2APIC TPR */
	x86_get_sregs(vcpu, &sr);
	TEST_ASSERT_EQ(sr.cr8, 4);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
