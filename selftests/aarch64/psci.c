// SPDX-License-Identifier: GPL-2.0
/*
 * psci (aarch64) - PSCI from the guest:
 *  - VERSION, FEATURES, AFFINITY_INFO answered in the module (no exit);
 *  - CPU_ON -> CPU_UP {target, entry, context id}; the VMM starts vcpu 1
 *    at that entry on another thread pinned to the other CPU, with x0 =
 *    the context id, and it runs (reads its MPIDR, reports);
 *    AFFINITY_INFO follows it OFF -> ON -> OFF;
 *  - CPU_OFF -> CPU_DOWN; SYSTEM_OFF / SYSTEM_RESET -> SYSTEM_DOWN type;
 *  - SMC: never reaches firmware: PSCI answered by the module (1.0, not
 *    QEMU's own), unknown SMCCC calls get NOT_SUPPORTED and the guest
 *    goes on, CPU_ON through SMC is a CPU_UP exit.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

GUEST_CODE(guest_psci0);
GUEST_CODE(guest_reset);
GUEST_CODE(guest_smc);
extern const unsigned char psci1_entry[], smc_target[];

#define CONTEXT_ID	0xc0ffee1234ULL

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_psci0_start, guest_psci0_end, psci1_entry\n"
    "guest_psci0_start:\n"
    MOV64("x0", __stringify(G_PSCI_VERSION))
    "	hvc #0\n"
    "	mov x19, x0\n"
    MOV64("x0", __stringify(G_PSCI_FEATURES))
    MOV64("x1", __stringify(G_PSCI_CPU_ON_64))
    "	hvc #0\n"
    "	mov x20, x0\n"
    MOV64("x0", __stringify(G_PSCI_FEATURES))
    MOV64("x1", "0x8400001f")			/* no such function */
    "	hvc #0\n"
    "	mov x21, x0\n"
    MOV64("x0", __stringify(G_PSCI_AFFINITY_INFO_64))
    "	mov x1, #1\n"				/* vcpu 1: never ran */
    "	mov x2, #0\n"
    "	hvc #0\n"
    "	mov x22, x0\n"
    MOV64("x0", __stringify(G_PSCI_AFFINITY_INFO_64))
    "	mov x1, #0\n"				/* itself */
    "	mov x2, #0\n"
    "	hvc #0\n"
    "	mov x23, x0\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x19\n"
    "	mov x2, x20\n"
    "	mov x3, x21\n"
    "	mov x4, x22\n"
    "	mov x5, x23\n"
    "	hvc #0\n"
    /* CPU_ON vcpu 1 */
    MOV64("x0", __stringify(G_PSCI_CPU_ON_64))
    "	mov x1, #1\n"
    "	adr x2, psci1_entry\n"
    MOV64("x3", __stringify(CONTEXT_ID))
    "	hvc #0\n"
    "	mov x24, x0\n"
    MOV64("x0", __stringify(G_PSCI_AFFINITY_INFO_64))
    "	mov x1, #1\n"
    "	mov x2, #0\n"
    "	hvc #0\n"
    "	mov x25, x0\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x24\n"
    "	mov x2, x25\n"
    "	hvc #0\n"
    MOV64("x0", __stringify(G_PSCI_AFFINITY_INFO_64))
    "	mov x1, #1\n"
    "	mov x2, #0\n"
    "	hvc #0\n"
    "	mov x26, x0\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x26\n"
    "	hvc #0\n"
    MOV64("x0", __stringify(G_PSCI_SYSTEM_OFF))
    "	hvc #0\n"
    "	b .\n"
    /* vcpu 1 */
    "psci1_entry:\n"
    "	mov x19, x0\n"
    "	mrs x20, mpidr_el1\n"
    "	mov x21, #0\n"
    "1:	add x21, x21, #1\n"			/* it really runs: count */
    "	cmp x21, #1000\n"
    "	b.ne 1b\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x19\n"
    "	mov x2, x20\n"
    "	mov x3, x21\n"
    "	hvc #0\n"
    MOV64("x0", __stringify(G_PSCI_CPU_OFF))
    "	hvc #0\n"
    "	b .\n"
    "guest_psci0_end:\n"

    ".balign 4\n"
    ".global guest_reset_start, guest_reset_end\n"
    "guest_reset_start:\n"
    MOV64("x0", __stringify(G_PSCI_SYSTEM_RESET))
    "	hvc #0\n"
    "	b .\n"
    "guest_reset_end:\n"

    ".balign 4\n"
    ".global guest_smc_start, guest_smc_end, smc_target\n"
    "guest_smc_start:\n"
    MOV64("x0", __stringify(G_PSCI_VERSION))
    "	smc #0\n"
    "	mov x19, x0\n"
    MOV64("x0", "0xc2000000")			/* SMCCC SiP call: not PSCI */
    "	mov x1, #1\n"
    "	smc #0\n"
    "	mov x20, x0\n"
    MOV64("x0", __stringify(G_PSCI_FEATURES))
    MOV64("x1", __stringify(G_PSCI_SYSTEM_OFF))
    "	smc #0\n"
    "	mov x21, x0\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x19\n"
    "	mov x2, x20\n"
    "	mov x3, x21\n"
    "	hvc #0\n"
    MOV64("x0", __stringify(G_PSCI_CPU_ON_64))
    "	mov x1, #1\n"			/* a real CPU 1 exists: firmware would say ALREADY_ON */
    "	adr x2, smc_target\n"
    "	mov x3, #7\n"
    "	smc #0\n"
    MOV64("x1", __stringify(GH_DONE))
    "	mov x2, x0\n"
    "	mov x0, x1\n"
    "	mov x1, x2\n"
    "	hvc #0\n"
    "smc_target:\n"
    "	b .\n"
    "guest_smc_end:\n"
    ".popsection\n");

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
}

struct vcpu1 {
	struct axvm_vcpu *v;
	__u64 entry, arg;
	int cpu;
	volatile int stage;	/* 1: reported, 2: go on to CPU_OFF, 3: down */
	struct axvcpu_run report;
};

static void *vcpu1_thread(void *p)
{
	struct vcpu1 *c = p;
	struct axvm_vcpu *v = c->v;

	pin(1);
	vcpu_setup(v, c->entry);
	vcpu_bind(v);
	vcpu_set_gpr(v, 0, c->arg);
	run_expect_hcall_to(v, GH_REPORT, 10);
	c->cpu = sched_getcpu();
	c->report = *v->run;
	__atomic_store_n(&c->stage, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&c->stage, __ATOMIC_SEQ_CST) != 2)
		usleep(1000);
	vcpu_run_timeout(v, 10);
	vcpu_assert_exit(v, AXVCPU_EXIT_CPU_DOWN);
	__atomic_store_n(&c->stage, 3, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST(psci_calls_cpu_on_second_vcpu)
{
	struct axvcpu_run *run;
	struct axvm_vcpu v1;
	struct vcpu1 c = { 0 };
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	pthread_t th;
	__u64 psci0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (ncpu < 2)
		SKIP(return, "needs 2 CPUs, %ld online", ncpu);
	pin(0);
	vm = vm_create_with_one_vcpu(&vcpu, guest_psci0);
	run = vcpu->run;
	vcpu_create(&vm->vm, &v1, 1);		/* MPIDR 1 */

	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 0x10000);	/* VERSION 1.0 */
	TEST_ASSERT_EQ(run->hypercall.args[1], 0);		/* FEATURES(CPU_ON) */
	TEST_ASSERT_EQ(run->hypercall.args[2], (__u64)-1);	/* NOT_SUPPORTED */
	TEST_ASSERT_EQ(run->hypercall.args[3], 1);		/* vcpu 1 OFF */
	TEST_ASSERT_EQ(run->hypercall.args[4], 0);		/* itself ON */
	psci0 = run->stats.builtin[AXVCPU_BUILTIN_PSCI];
	TEST_ASSERT(psci0 == 5, "builtin[PSCI] = %llu after 5 PSCI queries",
		    (unsigned long long)psci0);
	TEST_ASSERT(run->stats.exits[AXVCPU_EXIT_HYPERCALL] == 1,
		    "PSCI queries reached the VMM: %llu hypercall exits",
		    (unsigned long long)run->stats.exits[AXVCPU_EXIT_HYPERCALL]);

	vcpu_run_timeout(vcpu, 10);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_CPU_UP);
	TEST_ASSERT(run->cpu_up.target_cpu == 1 &&
		    run->cpu_up.entry == GUEST_ADDR(guest_psci0_start, psci1_entry) &&
		    run->cpu_up.arg == CONTEXT_ID,
		    "CPU_UP target %#llx entry %#llx arg %#llx, expected 1 %#llx %#llx",
		    (unsigned long long)run->cpu_up.target_cpu,
		    (unsigned long long)run->cpu_up.entry,
		    (unsigned long long)run->cpu_up.arg,
		    (unsigned long long)GUEST_ADDR(guest_psci0_start, psci1_entry),
		    CONTEXT_ID);
	TEST_ASSERT_EQ(run->hw_reason >> 26, 0x16);

	c.v = &v1;
	c.entry = run->cpu_up.entry;
	c.arg = run->cpu_up.arg;
	TEST_ASSERT(!pthread_create(&th, NULL, vcpu1_thread, &c), "pthread_create");
	while (__atomic_load_n(&c.stage, __ATOMIC_SEQ_CST) == 0)
		usleep(1000);
	TEST_ASSERT_EQ(c.report.hypercall.args[0], CONTEXT_ID);	/* x0 at entry */
	TEST_ASSERT((c.report.hypercall.args[1] & 0xffffff) == 1 &&
		    (c.report.hypercall.args[1] & (1ULL << 31)),
		    "vcpu 1 MPIDR_EL1 %#llx, expected Aff0 1 and bit 31",
		    (unsigned long long)c.report.hypercall.args[1]);
	TEST_ASSERT_EQ(c.report.hypercall.args[2], 1000);
	TEST_ASSERT(c.cpu == 1, "vcpu 1 thread on CPU %d", c.cpu);

	/* vcpu 0 goes on: CPU_ON returned SUCCESS, vcpu 1 is ON. */
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 0);
	TEST_ASSERT_EQ(run->hypercall.args[1], 0);

	__atomic_store_n(&c.stage, 2, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	TEST_ASSERT_EQ(c.stage, 3);
	/* CPU_OFF done: AFFINITY_INFO says OFF. */
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 1);

	vcpu_run_timeout(vcpu, 10);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSTEM_DOWN);
	TEST_ASSERT_EQ(run->system_down.type, AXVCPU_SYSTEM_DOWN_OFF);
	axvm_vcpu_close(&v1);
	test_vm_free(vm);
}

TEST(psci_system_reset)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_reset);
	vcpu_run_timeout(vcpu, 10);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSTEM_DOWN);
	TEST_ASSERT_EQ(vcpu->run->system_down.type, AXVCPU_SYSTEM_DOWN_RESET);
	test_vm_free(vm);
}

TEST(smc_never_reaches_firmware)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_smc);
	run = vcpu->run;
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	/* QEMU's firmware PSCI would say 1.1. */
	TEST_ASSERT_EQ(run->hypercall.args[0], 0x10000);
	TEST_ASSERT_EQ(run->hypercall.args[1], (__u64)-1);
	TEST_ASSERT_EQ(run->hypercall.args[2], 0);
	TEST_ASSERT(run->stats.builtin[AXVCPU_BUILTIN_PSCI] == 3,
		    "builtin[PSCI] = %llu after 3 SMCs",
		    (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_PSCI]);
	vcpu_run_timeout(vcpu, 10);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_CPU_UP);
	TEST_ASSERT_EQ(run->hw_reason >> 26, 0x17);	/* EC SMC64 */
	TEST_ASSERT_EQ(run->cpu_up.target_cpu, 1);
	TEST_ASSERT_EQ(run->cpu_up.entry, GUEST_ADDR(guest_smc_start, smc_target));
	TEST_ASSERT_EQ(run->cpu_up.arg, 7);
	/* The SMC is stepped over: the guest goes on with x0 = SUCCESS. */
	run_expect_hcall_to(vcpu, GH_DONE, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 0);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
