// SPDX-License-Identifier: GPL-2.0
/*
 * host_integrity (aarch64) - the host is unchanged after many exits:
 * a guest that sets its own TPIDR_EL0, TPIDRRO_EL0, TPIDR_EL1,
 * CONTEXTIDR_EL1 and SP_EL0 makes 100,000 in-module exits (PSCI_VERSION
 * hvc, each answer checked by the guest) and then 5,000 exits to the
 * VMM, on each CPU.  Checked on the host: the test thread's TPIDR_EL0 /
 * TPIDRRO_EL0 and a __thread variable after every VMM exit, its pointer-
 * authentication keys (the same PAC for the same pointer), that sleeping
 * still works, and that the kernel logged no WARNING/BUG/Oops.  Checked in
 * the guest: its registers survived the exits.
 */
#include <sched.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/klog.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

#define NR_INKERNEL	100000
#define NR_VMM		5000
#define HCALL_INTEG	UCALL_NR_OF(UCALL_SYNC)

#define G_TPIDR_EL0	0x1111000011110000ULL
#define G_TPIDRRO_EL0	0x2222000022220000ULL
#define G_TPIDR_EL1	0x3333000033330000ULL
#define G_CONTEXTIDR	0x44440000ULL
#define G_SP_EL0	0x40009000ULL

GUEST_CODE(guest_integ);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_integ_start, guest_integ_end\n"
    "guest_integ_start:\n"
    MOV64("x1", __stringify(G_TPIDR_EL0))
    "	msr tpidr_el0, x1\n"
    MOV64("x1", __stringify(G_TPIDRRO_EL0))
    "	msr tpidrro_el0, x1\n"
    MOV64("x1", __stringify(G_TPIDR_EL1))
    "	msr tpidr_el1, x1\n"
    MOV64("x1", __stringify(G_CONTEXTIDR))
    "	msr contextidr_el1, x1\n"
    MOV64("x1", __stringify(G_SP_EL0))
    "	msr sp_el0, x1\n"
    MOV64("x20", __stringify(NR_INKERNEL))
    "	mov x21, #0\n"				/* wrong answers */
    "1:	movz x0, #0\n"
    "	movk x0, #0x8400, lsl #16\n"		/* PSCI_VERSION */
    "	hvc #0\n"
    "	cmp x0, #0x10000\n"
    "	cinc x21, x21, ne\n"
    "	subs x20, x20, #1\n"
    "	b.ne 1b\n"
    MOV64("x20", __stringify(NR_VMM))
    "2:	movz x0, #(" __stringify(HCALL_INTEG) " & 0xffff)\n"
    "	movk x0, #(" __stringify(HCALL_INTEG) " >> 16), lsl #16\n"
    "	hvc #0\n"
    "	subs x20, x20, #1\n"
    "	b.ne 2b\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x21\n"
    "	mrs x2, tpidr_el0\n"
    "	mrs x3, tpidrro_el0\n"
    "	mrs x4, tpidr_el1\n"
    "	mrs x5, contextidr_el1\n"
    "	mrs x6, sp_el0\n"
    "	hvc #0\n"
    "	b .\n"
    "guest_integ_end:\n"
    ".popsection\n");

static __thread volatile __u64 tls_canary = 0x7e57c0de7e57c0deULL;

static __u64 rd_tpidr(void)
{
	__u64 v;

	asm volatile("mrs %0, tpidr_el0" : "=r"(v));
	return v;
}

static __u64 rd_tpidrro(void)
{
	__u64 v;

	asm volatile("mrs %0, tpidrro_el0" : "=r"(v));
	return v;
}

/* PACIA/PACGA of a fixed pointer: changes if the host's keys changed. */
static __u64 pac_ia(void)
{
	register __u64 x17 asm("x17") = 0x0000aaaabbbbccc0ULL;
	register __u64 x16 asm("x16") = 0x1234;

	asm volatile("hint #8" /* pacia1716 */ : "+r"(x17) : "r"(x16));
	return x17;
}

static __u64 pac_ga(void)
{
	__u64 v;

	asm volatile(".arch_extension pauth\n"
		     "pacga %0, %1, %2" : "=r"(v) : "r"(0x0000aaaabbbbccc0ULL), "r"(0x1234ULL));
	return v;
}

/* WARNING/BUG/Oops... lines in the kernel log so far. */
static int kernel_bad_lines(char *first, size_t len)
{
	static const char *const bad[] = { "WARNING:", "BUG:", "Oops", "Call trace:",
		"Unable to handle", "Internal error", "soft lockup", "rcu_sched self-detected" };
	static char buf[1 << 20];
	int n = klogctl(3 /* READ_ALL */, buf, sizeof(buf) - 1), count = 0;
	char *line, *save;
	size_t i;

	if (n < 0)
		return -1;
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(line, bad[i])) {
				if (!count && first)
					snprintf(first, len, "%s", line);
				count++;
				break;
			}
	return count;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
}

static void integrity_on(int cpu)
{
	unsigned long hwcap = getauxval(AT_HWCAP);
	bool paca = hwcap & (1UL << 30), pacg = hwcap & (1UL << 31);
	__u64 tp, tpro, ia = 0, ga = 0;
	struct timespec ts = { 0, 10 * 1000 * 1000 }, a, b;
	struct axvcpu_run *run;
	char first[256] = "";
	struct test_vm t;
	int bad0, bad1, i;
	long ms;

	pin(cpu);
	bad0 = kernel_bad_lines(NULL, 0);
	TEST_ASSERT(bad0 >= 0, "klogctl(READ_ALL): errno %d (%s)", errno, errno_name(errno));
	tp = rd_tpidr();
	tpro = rd_tpidrro();
	if (paca)
		ia = pac_ia();
	if (pacg)
		ga = pac_ga();
	tls_canary = 0x7e57c0de00000000ULL | cpu;

	TEST_VM_WITH(&t, guest_integ);
	run = t.vcpu.run;
	for (i = 0; i < NR_VMM; i++) {
		run_expect_hcall_to(&t.vcpu, HCALL_INTEG, 60);
		TEST_ASSERT(rd_tpidr() == tp && rd_tpidrro() == tpro &&
			    tls_canary == (0x7e57c0de00000000ULL | cpu),
			    "CPU %d exit %d: host TPIDR_EL0 %#llx (was %#llx) TPIDRRO_EL0 %#llx (was %#llx) TLS canary %#llx",
			    cpu, i, (unsigned long long)rd_tpidr(), (unsigned long long)tp,
			    (unsigned long long)rd_tpidrro(), (unsigned long long)tpro,
			    (unsigned long long)tls_canary);
	}
	TEST_ASSERT(sched_getcpu() == cpu, "on CPU %d, pinned to %d", sched_getcpu(), cpu);
	TEST_ASSERT(run->stats.builtin[AXVCPU_BUILTIN_PSCI] == NR_INKERNEL,
		    "builtin[PSCI] = %llu, expected %d",
		    (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_PSCI], NR_INKERNEL);
	run_expect_hcall_to(&t.vcpu, GH_REPORT, 10);
	TEST_ASSERT(run->hypercall.args[0] == 0,
		    "%llu of %d PSCI_VERSION answers wrong in the guest",
		    (unsigned long long)run->hypercall.args[0], NR_INKERNEL);
	TEST_ASSERT_EQ(run->hypercall.args[1], G_TPIDR_EL0);
	TEST_ASSERT_EQ(run->hypercall.args[2], G_TPIDRRO_EL0);
	TEST_ASSERT_EQ(run->hypercall.args[3], G_TPIDR_EL1);
	TEST_ASSERT_EQ(run->hypercall.args[4], G_CONTEXTIDR);
	TEST_ASSERT_EQ(run->hypercall.args[5], G_SP_EL0);
	TEST_ASSERT(run->stats.entries >= NR_INKERNEL + NR_VMM,
		    "stats.entries %llu", (unsigned long long)run->stats.entries);
	test_vm_destroy(&t);

	TEST_ASSERT_EQ(rd_tpidr(), tp);
	TEST_ASSERT_EQ(rd_tpidrro(), tpro);
	if (paca)
		TEST_ASSERT(pac_ia() == ia, "PACIA of the same pointer: %#llx, was %#llx: host APIA key changed",
			    (unsigned long long)pac_ia(), (unsigned long long)ia);
	if (pacg)
		TEST_ASSERT(pac_ga() == ga, "PACGA: %#llx, was %#llx: host APGA key changed",
			    (unsigned long long)pac_ga(), (unsigned long long)ga);
	clock_gettime(CLOCK_MONOTONIC, &a);
	nanosleep(&ts, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	TEST_ASSERT(ms >= 10 && ms < 2000, "nanosleep(10 ms) took %ld ms", ms);
	bad1 = kernel_bad_lines(first, sizeof(first));
	TEST_ASSERT(bad1 == bad0, "kernel log: %d new WARNING/BUG/Oops lines, first: %s",
		    bad1 - bad0, first);
	printf("# CPU %d: %d in-module + %d VMM exits; PAC checked: %s\n", cpu,
	       NR_INKERNEL, NR_VMM, paca && pacg ? "IA+GA" : paca ? "IA" : "no");
}

TEST(host_intact_after_100000_exits_cpu0)
{
	integrity_on(0);
}

TEST(host_intact_after_100000_exits_cpu1)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU");
	integrity_on(1);
}

TEST_HARNESS_MAIN
