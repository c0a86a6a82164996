// SPDX-License-Identifier: GPL-2.0
/*
 * x86_debug - debug registers around the guest (issue 3, item 10): a VM
 * exit sets DR7 to 0x400 and clears IA32_DEBUGCTL, so the host's hardware
 * breakpoints (a perf breakpoint on a variable of this process) must be
 * put back after every exit; and the guest's own DR0-DR3/DR7 are loaded
 * while it runs, so a data and an instruction breakpoint fire into the
 * #DB handler of its IDT, which reports DR6 and the faulting RIP through
 * VMCALL.
 */
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

#define HCALL_DB	UCALL_NR_OF(UCALL_EXC_SYNC)

GUEST_CODE(g_bp);
extern const unsigned char g_bp_target[], g_bp_after_store[], g_bp_handler[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    ".global g_bp_start, g_bp_end, g_bp_target, g_bp_after_store, g_bp_handler\n"
    "g_bp_start:\n"
    "	mov $0x8000, %eax\n"
    "	mov %rax, %dr0\n"		/* DR0: data at 0x8000 */
    "	lea g_bp_target(%rip), %rax\n"
    "	mov %rax, %dr1\n"		/* DR1: instruction at g_bp_target */
    /* L0 | L1, DR0: write, 4 bytes; DR1: execute, 1 byte. */
    "	mov $0xd0005, %eax\n"
    "	mov %rax, %dr7\n"
    "	movl $0x1234, 0x8000\n"	/* data breakpoint: #DB after it */
    "g_bp_after_store:\n"
    "	nop\n"
    "g_bp_target:\n"
    "	nop\n"				/* instruction breakpoint: #DB before */
    "	movl $0x5678, 0x8004\n"	/* not watched */
    "	xor %eax, %eax\n"
    "	mov %rax, %dr7\n"
    "	movl $0x4321, 0x8000\n"	/* disabled: no #DB */
    "	hlt\n"
    /* #DB: VMCALL(0xdb, DR6, RIP of the frame), clear DR6, resume (RF). */
    "g_bp_handler:\n"
    "	push %rax\n"
    "	push %rdi\n"
    "	push %rsi\n"
    "	mov %dr6, %rdi\n"
    "	mov 24(%rsp), %rsi\n"
    "	mov $" __stringify(HCALL_DB) ", %eax\n"
    "	vmcall\n"
    "	mov $0xffff0ff0, %eax\n"
    "	mov %rax, %dr6\n"
    "	pop %rsi\n"
    "	pop %rdi\n"
    "	pop %rax\n"
    "	orl $0x10000, 16(%rsp)\n"	/* RFLAGS.RF: the fault is not repeated */
    "	iretq\n"
    "g_bp_end:\n"
    ".popsection\n");

static volatile int watched;

/* A perf write breakpoint on @watched in this thread; -1 if none. */
static int open_watchpoint(void)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_BREAKPOINT;
	attr.size = sizeof(attr);
	attr.bp_type = HW_BREAKPOINT_W;
	attr.bp_addr = (unsigned long)&watched;
	attr.bp_len = HW_BREAKPOINT_LEN_4;
	attr.sample_period = 1;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static long long wp_count(int fd)
{
	long long n = -1;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return -1;
	return n;
}

/*
 * Every RUN is followed by a write to @watched in the same thread, with no
 * context switch in between that would reinstall the breakpoint: each
 * write must be counted.
 */
TEST(host_watchpoint_survives_run)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	long long n0, n1;
	int fd, i, runs = 300;

	fd = open_watchpoint();
	if (fd < 0)
		SKIP(return, "perf_event_open(PERF_TYPE_BREAKPOINT): %s",
		     strerror(errno));
	n0 = wp_count(fd);
	watched = 1;
	n1 = wp_count(fd);
	if (n1 != n0 + 1) {
		close(fd);
		SKIP(return, "the CPU does not report data breakpoints (count %lld -> %lld)",
		     n0, n1);
	}
	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	for (i = 0; i < runs; i++) {
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
		watched = i;
	}
	n0 = wp_count(fd);
	TEST_ASSERT(n0 == n1 + runs,
		    "watchpoint hits %lld of %d writes after RUNs (host DR7 not restored)",
		    n0 - n1, runs);
	test_vm_free(vm);
	close(fd);
}

TEST(guest_hw_breakpoints_fire)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_bp);
	run = vcpu->run;
	x86_enter_long_mode(vm, GUEST_ENTRY);
	x86_idt64_set(vm, 1, GUEST_SYM_GPA(g_bp, g_bp_handler));

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_HYPERCALL,
		    "exit %s: the guest's data breakpoint did not fire",
		    axvm_exit_name(run->exit_reason));
	TEST_ASSERT_EQ(run->hypercall.nr, HCALL_DB);
	TEST_ASSERT_EQ(run->hypercall.args[0] & 0xf, 1);	/* B0 */
	TEST_ASSERT_EQ(run->hypercall.args[0] >> 32, 0);
	TEST_ASSERT_EQ(run->hypercall.args[1],
		       GUEST_SYM_GPA(g_bp, g_bp_after_store));
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000), 0x1234);

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_HYPERCALL,
		    "exit %s: the guest's instruction breakpoint did not fire",
		    axvm_exit_name(run->exit_reason));
	TEST_ASSERT_EQ(run->hypercall.nr, HCALL_DB);
	TEST_ASSERT_EQ(run->hypercall.args[0] & 0xf, 2);	/* B1, B0 cleared */
	TEST_ASSERT_EQ(run->hypercall.args[1], GUEST_SYM_GPA(g_bp, g_bp_target));

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8004), 0x5678);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000), 0x4321);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
