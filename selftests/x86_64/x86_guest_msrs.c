// SPDX-License-Identifier: GPL-2.0
/*
 * x86_guest_msrs - guest MSRs kept in the module (issue 3, items 7, 10):
 * STAR/LSTAR/CSTAR/SFMASK/KERNEL_GS_BASE/TSC_AUX hold the guest's values
 * while the host keeps its own (host syscalls and RDTSCP still work after
 * thousands of exits); TSC writes move TSC_ADJUST; MISC_ENABLE, APIC_BASE
 * and SPEC_CTRL are answered inside; SPEC_CTRL/PRED_CMD values the guest
 * may not write give it #GP; unknown MSRs still exit to the VMM.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

GUEST_CODE(g_msrs);
extern const unsigned char g_msrs_gp[];
GUEST_CODE(g_sysc);

#define SYSC_LOOPS	500
#define SYSC_KGS	0x55550000

/*
 * 64-bit guest with EFER.SCE: LSTAR -> its handler, STAR's CS = 0x08,
 * SFMASK, KERNEL_GS_BASE, TSC_AUX (when [0x8200] says the host has it).
 * Every loop: 50 CPUIDs (exits handled in the module), then SYSCALL into
 * the handler, which SWAPGSes and reads GS_BASE
 * (the RDMSR exits: the VMCS has what SWAPGS brought in), RDTSCP's
 * TSC_AUX, counts mismatches at 0x8320 / 0x8324, then a ucall.
 */
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    ".global g_sysc_start, g_sysc_end\n"
    "g_sysc_start:\n"
    "	lea sysc_handler(%rip), %rax\n"
    "	mov %rax, %rdx\n"
    "	shr $32, %rdx\n"
    "	mov $0xc0000082, %ecx\n"
    "	wrmsr\n"
    "	xor %eax, %eax\n"
    "	mov $0x00080008, %edx\n"		/* STAR: SYSCALL CS 0x08 */
    "	mov $0xc0000081, %ecx\n"
    "	wrmsr\n"
    "	mov $0x4700, %eax\n"			/* SFMASK: TF DF IF NT */
    "	xor %edx, %edx\n"
    "	mov $0xc0000084, %ecx\n"
    "	wrmsr\n"
    "	mov $" __stringify(SYSC_KGS) ", %eax\n"
    "	xor %edx, %edx\n"
    "	mov $0xc0000102, %ecx\n"
    "	wrmsr\n"
    "	cmpb $0, 0x8200\n"
    "	je 1f\n"
    "	mov $0x77, %eax\n"
    "	xor %edx, %edx\n"
    "	mov $0xc0000103, %ecx\n"
    "	wrmsr\n"
    "1:	mov $" __stringify(SYSC_LOOPS) ", %r12d\n"
    /* 50 in-kernel exits first: time in RUN for the scheduler to preempt. */
    "2:	mov $50, %r13d\n"
    "5:	xor %eax, %eax\n"
    "	cpuid\n"
    "	dec %r13d\n"
    "	jnz 5b\n"
    "	syscall\n"
    GUEST_UCALL_ASM(UCALL_SYNC, "%r12d")
    "	dec %r12d\n"
    "	jnz 2b\n"
    "	hlt\n"
    "sysc_handler:\n"
    "	incl 0x8300\n"
    "	mov %rcx, 0x8308\n"
    "	swapgs\n"
    "	mov $0xc0000101, %ecx\n"
    "	rdmsr\n"
    "	swapgs\n"
    "	cmp $" __stringify(SYSC_KGS) ", %eax\n"
    "	je 3f\n"
    "	incl 0x8320\n"
    "3:	cmpb $0, 0x8200\n"
    "	je 4f\n"
    "	rdtscp\n"
    "	cmp $0x77, %ecx\n"
    "	je 4f\n"
    "	incl 0x8324\n"
    "4:	mov 0x8308, %rcx\n"
    "	jmp *%rcx\n"
    "g_sysc_end:\n"
    ".popsection\n");

/* wrmsr(msr, hi:lo), then rdmsr(msr) into [addr], [addr + 4]. */
#define WR_RD(msr, lo, hi, addr)					\
	"	mov $" #msr ", %ecx\n"					\
	"	mov $" #lo ", %eax\n"					\
	"	mov $" #hi ", %edx\n"					\
	"	wrmsr\n"						\
	"	xor %eax, %eax\n"					\
	"	xor %edx, %edx\n"					\
	"	rdmsr\n"						\
	"	mov %eax, " #addr "\n"					\
	"	mov %edx, " #addr "+4\n"
#define RD(msr, addr)							\
	"	mov $" #msr ", %ecx\n"					\
	"	rdmsr\n"						\
	"	mov %eax, " #addr "\n"					\
	"	mov %edx, " #addr "+4\n"

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_msrs_start, g_msrs_end, g_msrs_gp\n"
    "g_msrs_start:\n"
    WR_RD(0xc0000081, 0x00000000, 0x00230010, 0x8000)	/* STAR */
    WR_RD(0xc0000082, 0x81000000, 0xffffffff, 0x8008)	/* LSTAR */
    WR_RD(0xc0000083, 0x81000040, 0xffffffff, 0x8010)	/* CSTAR */
    WR_RD(0xc0000084, 0x00047700, 0x00000000, 0x8018)	/* SFMASK */
    WR_RD(0xc0000102, 0x00001000, 0xffff8880, 0x8020)	/* KGS */
    WR_RD(0x48, 0, 0, 0x8028)				/* SPEC_CTRL 0 */
    RD(0x1a0, 0x8030)					/* MISC_ENABLE */
    RD(0x1b, 0x8038)					/* APIC_BASE */
    /* TSC := 0x100_0000_0000; read TSC and TSC_ADJUST back. */
    "	mov $0x10, %ecx\n"
    "	xor %eax, %eax\n"
    "	mov $0x100, %edx\n"
    "	wrmsr\n"
    RD(0x10, 0x8040)
    RD(0x3b, 0x8048)
    "	rdtsc\n"
    "	mov %eax, 0x8050\n"
    "	mov %edx, 0x8054\n"
    /* Faults, counted by the #GP handler at 0x8100. */
    "	mov $0x48, %ecx\n"			/* SPEC_CTRL.IBRS */
    "	mov $1, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	mov $0x49, %ecx\n"			/* RDMSR of PRED_CMD */
    "	rdmsr\n"
    "	mov $0xc0000082, %ecx\n"		/* non-canonical LSTAR */
    "	xor %eax, %eax\n"
    "	mov $0x00800000, %edx\n"
    "	wrmsr\n"
    /* TSC_AUX last: the VMM says whether the host has it. */
    "	mov $0xc0000103, %ecx\n"
    "	mov $0x77, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	xor %eax, %eax\n"
    "	rdmsr\n"
    "	mov %eax, 0x8058\n"
    /* Exits with the guest's values live: 2000 ucalls. */
    "	mov $2000, %ebx\n"
    "1:\n"
    GUEST_UCALL_ASM(UCALL_SYNC, "%ebx")
    "	dec %ebx\n"
    "	jnz 1b\n"
    RD(0xc0000082, 0x8060)				/* LSTAR again */
    RD(0xc0000102, 0x8068)				/* KGS again */
    "	mov $0x1234, %ecx\n"			/* not kept: to the VMM */
    "	rdmsr\n"
    "	hlt\n"
    /* #GP: count it and skip the 2-byte RDMSR/WRMSR. */
    "g_msrs_gp:\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	addw $2, 2(%bp)\n"
    "	incw 0x8100\n"
    "	pop %bp\n"
    "	iret\n"
    "g_msrs_end:\n"
    ".code64\n"
    ".popsection\n");

static __u64 rd64(struct test_vm *t, __u64 gpa)
{
	return *(volatile __u64 *)guest_ptr(t, gpa);
}

static bool host_has_rdtscp(void)
{
	unsigned int a, b, c, d;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		     : "a"(0x80000001), "c"(0));
	return d & (1U << 27);
}

/* The host's TSC_AUX through RDTSCP: Linux keeps (node << 12) | cpu. */
static unsigned int host_tsc_aux(void)
{
	unsigned int lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

TEST(guest_msrs_switched)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	struct ucall uc;
	cpu_set_t set;
	__u16 *ivt;
	int n = 0;
	bool aux = host_has_rdtscp();

	/* Pinned: RDTSCP must name this CPU before and after. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));

	vm = vm_create_with_one_vcpu(&vcpu, g_msrs);
	run = vcpu->run;
	ivt = guest_ptr(vm, 13 * 4);
	ivt[0] = GUEST_ENTRY + (g_msrs_gp - g_msrs_start);
	ivt[1] = 0;

	for (;;) {
		vcpu_run(vcpu);
		if (get_ucall(vcpu, &uc) != UCALL_SYNC)
			break;
		n++;
		/* The host's own MSRs are back at every exit. */
		TEST_ASSERT_EQ(syscall(SYS_getpid), getpid());
		if (aux)
			TEST_ASSERT_EQ(host_tsc_aux() & 0xfff, 0);
	}
	TEST_ASSERT_EQ(n, 2000);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSREG_READ);
	TEST_ASSERT_EQ(run->sysreg.addr, 0x1234);

	TEST_ASSERT_EQ(rd64(vm, 0x8000), 0x0023001000000000ULL);
	TEST_ASSERT_EQ(rd64(vm, 0x8008), 0xffffffff81000000ULL);
	TEST_ASSERT_EQ(rd64(vm, 0x8010), 0xffffffff81000040ULL);
	TEST_ASSERT_EQ(rd64(vm, 0x8018), 0x47700);
	TEST_ASSERT_EQ(rd64(vm, 0x8020), 0xffff888000001000ULL);
	TEST_ASSERT_EQ(rd64(vm, 0x8028), 0);
	/* MISC_ENABLE: BTS and PEBS unavailable. */
	TEST_ASSERT_EQ(rd64(vm, 0x8030) & 0x1800, 0x1800);
	/* APIC_BASE of vcpu 0: 0xfee00000, enabled, BSP. */
	TEST_ASSERT_EQ(rd64(vm, 0x8038), 0xfee00900ULL);
	/* TSC written: read back just after, and TSC_ADJUST moved too. */
	TEST_ASSERT(rd64(vm, 0x8040) >= 0x10000000000ULL &&
		    rd64(vm, 0x8040) < 0x10000000000ULL + (1ULL << 36),
		    "guest TSC %#llx after writing 0x10000000000",
		    (unsigned long long)rd64(vm, 0x8040));
	TEST_ASSERT(rd64(vm, 0x8050) >= rd64(vm, 0x8040),
		    "RDTSC %#llx below the RDMSR before it %#llx",
		    (unsigned long long)rd64(vm, 0x8050),
		    (unsigned long long)rd64(vm, 0x8040));
	TEST_ASSERT(rd64(vm, 0x8048) != 0, "TSC_ADJUST did not move");
	/* The values survived 2000 exits. */
	TEST_ASSERT_EQ(rd64(vm, 0x8060), 0xffffffff81000000ULL);
	TEST_ASSERT_EQ(rd64(vm, 0x8068), 0xffff888000001000ULL);
	/* IBRS, RDMSR of PRED_CMD, non-canonical LSTAR: three #GPs. */
	if (aux) {
		TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8100), 3);
		TEST_ASSERT_EQ(*(__u32 *)guest_ptr(vm, 0x8058), 0x77);
	} else {
		TEST_ASSERT_EQ(*(volatile __u16 *)guest_ptr(vm, 0x8100), 5);
	}
	TEST_ASSERT(run->stats.builtin[AXVCPU_BUILTIN_MSR] >= 20,
		    "builtin MSR count %llu",
		    (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_MSR]);
	test_vm_free(vm);
}

static volatile int spin_stop;

/* A competitor on the vcpu's CPU: the scheduler takes RUN off it. */
static void *spin(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!spin_stop)
		;
	return NULL;
}

/*
 * The guest's SYSCALL MSRs, KERNEL_GS_BASE and TSC_AUX are in the CPU for
 * the guest's own SYSCALL, SWAPGS and RDTSCP, across in-kernel exits,
 * exits to userspace and preemption of RUN, while the host's SYSCALL,
 * GS base and getcpu keep working between RUNs.
 */
TEST(guest_syscall_swapgs_rdtscp_use_guest_msrs)
{
	struct rusage ru0, ru1;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	struct ucall uc;
	pthread_t thr;
	cpu_set_t set;
	unsigned int aux;
	int n = 0;
	bool has_aux = host_has_rdtscp();

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
	vm = vm_create_with_one_vcpu(&vcpu, g_sysc);
	x86_enter_long_mode(vm, GUEST_ENTRY);
	*(volatile __u8 *)guest_ptr(vm, 0x8200) = has_aux;
	spin_stop = 0;
	TEST_ASSERT_EQ(pthread_create(&thr, NULL, spin, NULL), 0);
	getrusage(RUSAGE_THREAD, &ru0);
	for (;;) {
		vcpu_run(vcpu);
		if (get_ucall(vcpu, &uc) != UCALL_SYNC)
			break;
		n++;
		TEST_ASSERT_EQ(syscall(SYS_getpid), getpid());
		if (has_aux) {
			asm volatile("rdtscp" : "=c"(aux) : : "rax", "rdx");
			TEST_ASSERT_EQ(aux & 0xfff, 0);
		}
	}
	getrusage(RUSAGE_THREAD, &ru1);
	spin_stop = 1;
	pthread_join(thr, NULL);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(n, SYSC_LOOPS);
	TEST_ASSERT_EQ(*(volatile __u32 *)guest_ptr(vm, 0x8300), SYSC_LOOPS);
	TEST_ASSERT_EQ(*(volatile __u32 *)guest_ptr(vm, 0x8320), 0);
	TEST_ASSERT_EQ(*(volatile __u32 *)guest_ptr(vm, 0x8324), 0);
	TH_LOG("%ld involuntary context switches of the RUN thread",
	       ru1.ru_nivcsw - ru0.ru_nivcsw);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
