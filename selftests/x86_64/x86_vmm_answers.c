// SPDX-License-Identifier: GPL-2.0
/*
 * x86_vmm_answers (x86_64) - what a VMM can answer besides a value:
 *  - run->sysreg.fault on an MSR exit: the RDMSR takes #GP(0) at itself,
 *    as on a CPU without the MSR (the real-mode guest's IVT handler sees
 *    the RDMSR's IP pushed, and the instruction after it never runs);
 *  - AXVCPU_GET_IRQ_STATE: a vector injected into a guest halted with
 *    IF=0 shows as pending, none as in service, asked while the vcpu is
 *    out and from any thread.
 */
#include <unistd.h>

#include "axvcpu_test_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

GUEST_CODE(g_msrgp);
GUEST_CODE(g_cli_hlt);
extern const unsigned char g_msrgp_rdmsr[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_msrgp_start, g_msrgp_end, g_msrgp_rdmsr\n"
    "g_msrgp_start:\n"
    "	movw $(2f - g_msrgp_start + 0x1000), 0x34\n"	/* IVT[13] = 0:2f */
    "	movw $0, 0x36\n"
    "	mov $0x7000, %sp\n"
    "	mov $0x1234, %ecx\n"
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "g_msrgp_rdmsr:\n"
    "	rdmsr\n"
    "	movl $0xbad, 0x8008\n"
    "	hlt\n"
    "2:	pop %ax\n"					/* the faulting IP */
    "	mov %ax, 0x8010\n"
    "	movl $0x600d, 0x8008\n"
    "	hlt\n"
    "g_msrgp_end:\n"

    ".global g_cli_hlt_start, g_cli_hlt_end\n"
    "g_cli_hlt_start:\n"
    "	cli\n"
    "	hlt\n"
    "	hlt\n"
    "g_cli_hlt_end:\n"
    ".code64\n"
    ".popsection\n");

AXVCPU_ONE_VCPU_TEST_SUITE(global);

AXVCPU_ONE_VCPU_TEST(global, msr_refused_by_the_vmm_is_gp_at_the_rdmsr, g_msrgp)
{
	struct axvcpu_run *run;

	run = vcpu->run;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSREG_READ);
	TEST_ASSERT_EQ(run->sysreg.addr, 0x1234);
	TEST_ASSERT_EQ(run->sysreg.fault, 0);
	run->sysreg.value = 0x5500000066ULL;
	run->sysreg.fault = 1;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8008), 0x600d);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8010) & 0xffff,
		       GUEST_ENTRY + (g_msrgp_rdmsr - g_msrgp_start));
	/* EDX kept (the handler's POP took EAX): the RDMSR did not complete. */
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, 2) & 0xffffffff, 0);
}

AXVCPU_ONE_VCPU_TEST(global, irq_state_shows_a_pending_vector, g_cli_hlt)
{
	struct axvcpu_irq_state st;
	int i;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	memset(&st, 0xa5, sizeof(st));
	TEST_ASSERT(ioctl(vcpu->fd, AXVCPU_GET_IRQ_STATE, &st) == 0,
		    "GET_IRQ_STATE: %s", strerror(errno));
	for (i = 0; i < 16; i++)
		TEST_ASSERT(!st.pending[i] && !st.active[i],
			    "word %d: pending %#llx active %#llx", i,
			    (unsigned long long)st.pending[i],
			    (unsigned long long)st.active[i]);
	i = axvm_vcpu_inject(vcpu, 0x41, 0, 0);
	TEST_ASSERT(i == 0, "INJECT_INTERRUPT 0x41: %d", i);
	TEST_ASSERT(ioctl(vcpu->fd, AXVCPU_GET_IRQ_STATE, &st) == 0,
		    "GET_IRQ_STATE: %s", strerror(errno));
	TEST_ASSERT((st.pending[1] >> 1) & 1, "vector 0x41 not pending: %#llx",
		    (unsigned long long)st.pending[1]);
	TEST_ASSERT(!st.active[1], "in service: %#llx",
		    (unsigned long long)st.active[1]);
}

TEST_HARNESS_MAIN
