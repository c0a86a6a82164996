// SPDX-License-Identifier: GPL-2.0
/*
 * vm_reuse (aarch64) - a new VM never runs what an older VM left behind
 * at the same IPA: VM A runs guest_hcall_slot1 at 0x40000000 and is
 * destroyed, then VM B runs guest_hcall_loop at the same IPA on the same
 * thread; every RUN of B must exit HYPERCALL HCALL_LOOP_NR (a stale
 * stage-2 translation or stale instructions would run A's "ldr x0, [x9]"
 * and exit MMIO_READ).  Repeated, with and without a pinned CPU, and with
 * B's memory overlapping A's freed pages.
 *
 * B's code goes in with libc memcpy(), as every test's: on an SVE host
 * that is one predicated st1b.  QEMU 7.2's TCG handles such a store (and
 * DC ZVA) to a page holding translated code as a write of its first byte
 * only, so A's translations of the rest of the page survive the reuse:
 * the emulator bug this test caught (the rig runs with sve=off).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

#define SLOT1_NR	0x51071ULL
#define RUNS_A		3
#define RUNS_B		5

static unsigned long long last_a_pfn;
static int reused;	/* rounds where B's code page was A's */

static unsigned long long pfn_of(const void *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), ((uintptr_t)p / getpagesize()) * 8) != 8)
		e = 0;
	close(fd);
	return e & ((1ULL << 55) - 1);
}

/* VM A: guest_hcall_slot1 with a second slot holding SLOT1_NR. */
static void run_vm_a(void)
{
	struct test_vm t;
	__u64 *slot1;
	int i;

	TEST_VM_WITH(&t, guest_hcall_slot1);
	slot1 = axvm_mem_alloc(GUEST_MEM_SIZE);
	TEST_ASSERT(slot1, "mmap slot 1");
	*slot1 = SLOT1_NR;
	vm_set_region(&t.vm, 1, 0, SLOT1_GPA, GUEST_MEM_SIZE, slot1);
	for (i = 0; i < RUNS_A; i++)
		run_expect_hcall(&t.vcpu, SLOT1_NR);
	last_a_pfn = pfn_of(t.mem);
	test_vm_destroy(&t);
	axvm_mem_free(slot1, GUEST_MEM_SIZE);
}

/* VM B: guest_hcall_loop at the same IPA; every RUN is its hypercall. */
static void run_vm_b(int round)
{
	struct test_vm t;
	int i;

	TEST_VM_WITH(&t, guest_hcall_loop);
	if (last_a_pfn && pfn_of(t.mem) == last_a_pfn)
		reused++;
	for (i = 0; i < RUNS_B; i++) {
		vcpu_run(&t.vcpu);
		TEST_ASSERT(t.vcpu.run->exit_reason == AXVCPU_EXIT_HYPERCALL &&
			    t.vcpu.run->hypercall.nr == HCALL_LOOP_NR,
			    "round %d, RUN %d of VM B: exit %u (%s) nr %#llx pc %#llx: VM A's code ran",
			    round, i + 1, t.vcpu.run->exit_reason,
			    axvm_exit_name(t.vcpu.run->exit_reason),
			    (unsigned long long)t.vcpu.run->hypercall.nr,
			    (unsigned long long)t.vcpu.run->hw_rip);
	}
	test_vm_destroy(&t);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity");
}

TEST(new_vm_same_ipa)
{
	int i;

	for (i = 0; i < 10; i++) {
		run_vm_a();
		run_vm_b(i);
	}
}

TEST(new_vm_same_ipa_pinned)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int i;

	for (i = 0; i < 10; i++) {
		pin(i % n);
		run_vm_a();
		run_vm_b(i);
	}
}

TEST_HARNESS_MAIN
