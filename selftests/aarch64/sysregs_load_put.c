// SPDX-License-Identifier: GPL-2.0
/*
 * sysregs_load_put (aarch64) - the guest's EL1 context, which the module
 * keeps in the CPU from vcpu load to vcpu put, is right wherever it is:
 *  - two VMs whose guests hold different values in the same EL1/EL0
 *    registers run on threads pinned to one CPU, with a third thread
 *    there that yields in a loop: each guest checks its registers after
 *    every in-module exit (PSCI_VERSION, an ID-register read) of 20,000
 *    rounds, across preemptions (vcpu put at sched_out, load at
 *    sched_in); the host threads check their own TPIDR_EL0 after every
 *    exit to the VMM;
 *  - between RUNs, GET_SYSREG returns what the guest wrote, and what
 *    SET_SYSREG writes is what the guest reads next.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

#define NR_ROUNDS	20000
#define HCALL_SRP	UCALL_NR_OF(UCALL_SYNC)
#define HCALL_SET	UCALL_NR_OF(UCALL_TEST(1))

/* The registers the guests use, in data-page order: "mrs/msr name". */
#define NR_REGS		11
static const char *const reg_names[NR_REGS] = {
	"TPIDR_EL1", "CONTEXTIDR_EL1", "TPIDR_EL0", "TPIDRRO_EL0", "MAIR_EL1",
	"VBAR_EL1", "TTBR0_EL1", "FAR_EL1", "PAR_EL1", "CNTV_CVAL_EL0",
	"CNTKCTL_EL1",
};

static const __u64 reg_ids[NR_REGS] = {
	SYSREG_ID(3, 0, 13, 0, 4), SYSREG_ID(3, 0, 13, 0, 1),
	SYSREG_ID(3, 3, 13, 0, 2), SYSREG_ID(3, 3, 13, 0, 3),
	SYSREG_ID(3, 0, 10, 2, 0), SYSREG_ID(3, 0, 12, 0, 0),
	SYSREG_ID(3, 0, 2, 0, 0), SYSREG_ID(3, 0, 6, 0, 0),
	SYSREG_ID(3, 0, 7, 4, 0), SYSREG_ID(3, 3, 14, 3, 2),
	SYSREG_ID(3, 0, 14, 1, 0),
};

/* Values a guest may hold in them (VBAR 2 KiB aligned, PAR F = 0...). */
static void reg_values(__u64 *v, unsigned int tag)
{
	__u64 t = tag;

	v[0] = 0x1100000000000011ULL | (t << 32);
	v[1] = 0x00002200ULL | (t << 16);
	v[2] = 0x3300000000000033ULL | (t << 32);
	v[3] = 0x4400000000000044ULL | (t << 32);
	v[4] = 0x04ff440c0400ULL | (t << 56);
	v[5] = 0x40004000ULL + (t << 12);
	v[6] = 0x0001000040010000ULL | (t << 48);
	v[7] = 0x7700000000000770ULL | (t << 32);
	v[8] = 0x0000000012345800ULL | (t << 24);
	v[9] = 0x0fff000000000000ULL | (t << 32);
	v[10] = (tag & 1) ? 0x3 : 0x1;	/* EL0PCTEN | EL0VCTEN */
}

#define REGS_IRP "tpidr_el1, contextidr_el1, tpidr_el0, tpidrro_el0, mair_el1, vbar_el1, ttbr0_el1, far_el1, par_el1, cntv_cval_el0, cntkctl_el1"

GUEST_CODE(guest_srp);
GUEST_CODE(guest_set);

/*
 * guest_srp: loads the registers from the data page (x9), then NR_ROUNDS
 * times: PSCI_VERSION, an ID-register read, and every register compared
 * with the data page (x21: mismatches, x23: index of the last one + 1);
 * every 256 rounds a hypercall exit; at the end GH_REPORT x1 = x21, x2 = x23.
 */
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_srp_start, guest_srp_end\n"
    "guest_srp_start:\n"
    MOV64("x9", "0x40008000")
    "	mov x10, x9\n"
    "	.irp r, " REGS_IRP "\n"
    "	ldr x1, [x10], #8\n"
    "	msr \\r, x1\n"
    "	.endr\n"
    "	isb\n"
    MOV64("x20", __stringify(NR_ROUNDS))
    "	mov x21, #0\n"
    "	mov x23, #0\n"
    "1:	movz x0, #0\n"
    "	movk x0, #0x8400, lsl #16\n"		/* PSCI_VERSION */
    "	hvc #0\n"
    "	mrs x1, id_aa64mmfr0_el1\n"		/* in-module exit */
    "	mov x10, x9\n"
    "	mov x11, #0\n"
    "	.irp r, " REGS_IRP "\n"
    "	add x11, x11, #1\n"
    "	ldr x1, [x10], #8\n"
    "	mrs x2, \\r\n"
    "	cmp x1, x2\n"
    "	b.eq 3f\n"
    "	add x21, x21, #1\n"
    "	mov x23, x11\n"
    "3:\n"
    "	.endr\n"
    "	tst x20, #255\n"
    "	b.ne 2f\n"
    "	movz x0, #(" __stringify(HCALL_SRP) " & 0xffff)\n"
    "	movk x0, #(" __stringify(HCALL_SRP) " >> 16), lsl #16\n"
    "	mov x1, x21\n"
    "	mov x2, x23\n"
    "	hvc #0\n"
    "2:	subs x20, x20, #1\n"
    "	b.ne 1b\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x21\n"
    "	mov x2, x23\n"
    "	hvc #0\n"
    "	b .\n"
    "guest_srp_end:\n"
    ".popsection\n");

/*
 * guest_set: forever: loads the registers from the data page, HCALL_SET;
 * stores the registers into the data page + 0x100, HCALL_SET.
 */
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_set_start, guest_set_end\n"
    "guest_set_start:\n"
    MOV64("x9", "0x40008000")
    "1:	mov x10, x9\n"
    "	.irp r, " REGS_IRP "\n"
    "	ldr x1, [x10], #8\n"
    "	msr \\r, x1\n"
    "	.endr\n"
    "	isb\n"
    "	movz x0, #(" __stringify(HCALL_SET) " & 0xffff)\n"
    "	movk x0, #(" __stringify(HCALL_SET) " >> 16), lsl #16\n"
    "	hvc #0\n"
    "	add x10, x9, #0x100\n"
    "	.irp r, " REGS_IRP "\n"
    "	mrs x1, \\r\n"
    "	str x1, [x10], #8\n"
    "	.endr\n"
    "	movz x0, #(" __stringify(HCALL_SET) " & 0xffff)\n"
    "	movk x0, #(" __stringify(HCALL_SET) " >> 16), lsl #16\n"
    "	hvc #0\n"
    "	b 1b\n"
    "guest_set_end:\n"
    ".popsection\n");

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
}

static __u64 rd_tpidr(void)
{
	__u64 v;

	asm volatile("mrs %0, tpidr_el0" : "=r"(v));
	return v;
}

struct runner {
	struct test_vm t;
	unsigned int tag;
	__u64 errors, last_bad, vmm_exits;
	long nivcsw;
	char bad[256];
};

static void *run_guest(void *p)
{
	struct runner *g = p;
	struct axvcpu_run *run = g->t.vcpu.run;
	__u64 tp = rd_tpidr();
	struct rusage ru;
	int r;

	pin(0);
	for (;;) {
		r = _vcpu_run(&g->t.vcpu);
		if (r) {
			snprintf(g->bad, sizeof(g->bad), "RUN: %d (%s)", r, errno_name(-r));
			break;
		}
		if (rd_tpidr() != tp && !g->bad[0])
			snprintf(g->bad, sizeof(g->bad), "host TPIDR_EL0 %#llx, was %#llx",
				 (unsigned long long)rd_tpidr(), (unsigned long long)tp);
		if (run->exit_reason != AXVCPU_EXIT_HYPERCALL) {
			snprintf(g->bad, sizeof(g->bad), "exit %u", run->exit_reason);
			break;
		}
		g->errors = run->hypercall.args[0];
		g->last_bad = run->hypercall.args[1];
		if (run->hypercall.nr == GH_REPORT)
			break;
		g->vmm_exits++;
	}
	getrusage(RUSAGE_THREAD, &ru);
	g->nivcsw = ru.ru_nivcsw;
	return NULL;
}

static volatile int stop_yield;

static void *yield_thread(void *p)
{
	unsigned long n = 0;

	pin(0);
	while (!stop_yield) {
		sched_yield();
		if (!(++n & 63))	/* and some plain CPU time */
			for (volatile int i = 0; i < 20000; i++)
				;
	}
	return NULL;
}

TEST(two_guests_preempted_on_one_cpu_keep_el1_context)
{
	struct runner g[2];
	pthread_t th[2], yt;
	int i, k;

	memset(g, 0, sizeof(g));
	stop_yield = 0;
	for (i = 0; i < 2; i++) {
		g[i].tag = 0x5a + i;
		TEST_VM_WITH(&g[i].t, guest_srp);
		reg_values(guest_ptr(&g[i].t, GUEST_DATA_GPA), g[i].tag);
	}
	TEST_ASSERT(!pthread_create(&yt, NULL, yield_thread, NULL), "pthread_create");
	for (i = 0; i < 2; i++)
		TEST_ASSERT(!pthread_create(&th[i], NULL, run_guest, &g[i]),
			    "pthread_create");
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	stop_yield = 1;
	pthread_join(yt, NULL);

	for (i = 0; i < 2; i++) {
		printf("# guest %d: %llu VMM exits, %ld involuntary context switches\n",
		       i, (unsigned long long)g[i].vmm_exits, g[i].nivcsw);
		TEST_ASSERT(!g[i].bad[0], "guest %d: %s", i, g[i].bad);
		k = g[i].last_bad ? (int)g[i].last_bad - 1 : 0;
		TEST_ASSERT(g[i].errors == 0,
			    "guest %d: %llu register mismatches, the last in %s",
			    i, (unsigned long long)g[i].errors, reg_names[k]);
		TEST_ASSERT(g[i].vmm_exits == NR_ROUNDS / 256, "guest %d: %llu VMM exits",
			    i, (unsigned long long)g[i].vmm_exits);
	}
	TEST_ASSERT(g[0].nivcsw + g[1].nivcsw > 0,
		    "no RUN thread was preempted: the test tested nothing");
	for (i = 0; i < 2; i++)
		test_vm_destroy(&g[i].t);
}

static __u64 get_sysreg(struct test_vm *t, __u64 id)
{
	struct axvcpu_arm64_sysreg reg = { .id = id };
	int r = ioctl(t->vcpu.fd, AXVCPU_ARM64_GET_SYSREG, &reg);

	TEST_ASSERT(r == 0, "GET_SYSREG %#llx: %d errno %d (%s)",
		    (unsigned long long)id, r, errno, errno_name(errno));
	return reg.value;
}

static void set_sysreg(struct test_vm *t, __u64 id, __u64 value)
{
	struct axvcpu_arm64_sysreg reg = { .id = id, .value = value };
	int r = ioctl(t->vcpu.fd, AXVCPU_ARM64_SET_SYSREG, &reg);

	TEST_ASSERT(r == 0, "SET_SYSREG %#llx: %d errno %d (%s)",
		    (unsigned long long)id, r, errno, errno_name(errno));
}

TEST(get_set_sysreg_between_runs)
{
	__u64 want[NR_REGS], *data, *back;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int round, i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_set);
	data = guest_ptr(vm, GUEST_DATA_GPA);
	back = guest_ptr(vm, GUEST_DATA_GPA + 0x100);
	for (round = 0; round < 8; round++) {
		/* The guest writes its values; GET_SYSREG sees them. */
		reg_values(data, 0x10 + round);
		run_expect_hcall_to(vcpu, HCALL_SET, 10);
		for (i = 0; i < NR_REGS; i++)
			TEST_ASSERT(get_sysreg(vm, reg_ids[i]) == data[i],
				    "round %d: GET_SYSREG %s = %#llx, the guest wrote %#llx",
				    round, reg_names[i],
				    (unsigned long long)get_sysreg(vm, reg_ids[i]),
				    (unsigned long long)data[i]);
		/* SET_SYSREG writes others; the guest reads them. */
		reg_values(want, 0x80 + round);
		for (i = 0; i < NR_REGS; i++)
			set_sysreg(vm, reg_ids[i], want[i]);
		run_expect_hcall_to(vcpu, HCALL_SET, 10);
		for (i = 0; i < NR_REGS; i++)
			TEST_ASSERT(back[i] == want[i],
				    "round %d: the guest read %s = %#llx after SET_SYSREG %#llx",
				    round, reg_names[i], (unsigned long long)back[i],
				    (unsigned long long)want[i]);
	}
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
