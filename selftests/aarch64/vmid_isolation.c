// SPDX-License-Identifier: GPL-2.0
/*
 * vmid_isolation (aarch64) - VMs that take turns on one CPU each see only
 * their own stage 2: three VMs map the same guest-physical addresses
 * (code and data) to different host memory; each guest, run in turn on
 * CPU 0, reports a tag from its code (an immediate the host patched in),
 * a tag from its data page and a counter it increments in that page.  A
 * VM whose TLB entries another VM could hit (a shared VMID without a
 * flush, or a VMID reused too early) would report the other's tags or
 * counter.  Every 50 rounds the third VM is destroyed and made again with
 * new memory and tags: its VMID (or VMID 0) is reused at the same
 * addresses.
 *
 * QEMU TCG has no VMID-tagged TLB: it drops its EL1&0 TLB whenever VTTBR_EL2
 * changes, so in the rig a missing flush goes unseen (checked: the test
 * passes with the VMID 0 flush taken out).  It is a test for hardware; in
 * the rig it checks the VMID bookkeeping (allocation, reuse, same GPAs).
 */
#include <sched.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

#define NR_VMS		3
#define NR_ROUNDS	600
#define HCALL_VMID	UCALL_NR_OF(UCALL_SYNC)

GUEST_CODE(guest_vmid);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_vmid_start, guest_vmid_end\n"
    "guest_vmid_start:\n"
    "	movz x3, #0\n"				/* patched: the code tag */
    MOV64("x9", "0x40008000")
    "1:	ldr x1, [x9]\n"				/* the data tag */
    "	ldr x2, [x9, #8]\n"
    "	add x2, x2, #1\n"
    "	str x2, [x9, #8]\n"
    "	movz x0, #(" __stringify(HCALL_VMID) " & 0xffff)\n"
    "	movk x0, #(" __stringify(HCALL_VMID) " >> 16), lsl #16\n"
    "	hvc #0\n"
    "	b 1b\n"
    "guest_vmid_end:\n"
    ".popsection\n");

struct vm_slot {
	struct test_vm t;
	__u16 code_tag;
	__u64 data_tag;
	__u64 runs;
};

static void vm_make(struct vm_slot *v, unsigned int gen, unsigned int i)
{
	__u32 *insn;

	TEST_VM_WITH(&v->t, guest_vmid);
	v->code_tag = (__u16)(0x1000 + gen * 16 + i);
	v->data_tag = 0xd47a000000000000ULL | ((__u64)gen << 16) | i;
	v->runs = 0;
	insn = guest_ptr(&v->t, GUEST_ENTRY);
	*insn = 0xd2800003 | ((__u32)v->code_tag << 5);	/* movz x3, #tag */
	__builtin___clear_cache((char *)insn, (char *)(insn + 1));
	*(__u64 *)guest_ptr(&v->t, GUEST_DATA_GPA) = v->data_tag;
	*(__u64 *)guest_ptr(&v->t, GUEST_DATA_GPA + 8) = 0;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
}

TEST(vms_alternating_on_one_cpu_see_own_stage2)
{
	struct vm_slot vms[NR_VMS];
	unsigned int i, round, gen = 0;

	pin(0);
	for (i = 0; i < NR_VMS; i++)
		vm_make(&vms[i], gen, i);

	for (round = 0; round < NR_ROUNDS; round++) {
		if (round && !(round % 50)) {
			test_vm_destroy(&vms[NR_VMS - 1].t);
			vm_make(&vms[NR_VMS - 1], ++gen, NR_VMS - 1);
		}
		for (i = 0; i < NR_VMS; i++) {
			struct vm_slot *v = &vms[i];
			struct axvcpu_run *run;

			run = run_expect_hcall_to(&v->t.vcpu, HCALL_VMID, 10);
			v->runs++;
			TEST_ASSERT(run->hypercall.args[2] == v->code_tag &&
				    run->hypercall.args[0] == v->data_tag &&
				    run->hypercall.args[1] == v->runs,
				    "round %u, VM %u: code tag %#llx data tag %#llx count %llu, expected %#x %#llx %llu",
				    round, i,
				    (unsigned long long)run->hypercall.args[2],
				    (unsigned long long)run->hypercall.args[0],
				    (unsigned long long)run->hypercall.args[1],
				    v->code_tag, (unsigned long long)v->data_tag,
				    (unsigned long long)v->runs);
		}
	}
	for (i = 0; i < NR_VMS; i++) {
		TEST_ASSERT_EQ(*(__u64 *)guest_ptr(&vms[i].t, GUEST_DATA_GPA + 8),
			       vms[i].runs);
		test_vm_destroy(&vms[i].t);
	}
}

TEST_HARNESS_MAIN
