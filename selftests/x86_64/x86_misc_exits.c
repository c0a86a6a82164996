// SPDX-License-Identifier: GPL-2.0
/*
 * x86_misc_exits - issue 3, item 4 leftovers: the ACPI power-off (OUT
 * 0x604 of the word 0x2000 -> SYSTEM_DOWN, any other value an IO_WRITE),
 * MOV to/from DR0-DR7 emulated (no INTERNAL_ERROR; DR7 seen by SREGS),
 * RDPMC -> #GP in the guest; and the guest FPU state: the host's SSE
 * registers are intact after every RUN and the guest's survive many exits.
 */
#include <unistd.h>
#include <sys/syscall.h>

#include "axvcpu_test_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"

GUEST_CODE(g_604);
GUEST_CODE(g_dr);
extern const unsigned char g_dr_gp[];
GUEST_CODE(g_fpu);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_604_start, g_604_end\n"
    "g_604_start:\n"
    "	mov $0x604, %dx\n"
    "	mov $0x1234, %ax\n"
    "	out %ax, %dx\n"
    "	mov $0x2000, %ax\n"		/* 0x2000, but as a byte: no */
    "	out %al, %dx\n"
    "	mov $0xffff2000, %eax\n"	/* AX = 0x2000 */
    "	out %ax, %dx\n"
    "	hlt\n"
    "g_604_end:\n"

    ".global g_dr_start, g_dr_end, g_dr_gp\n"
    "g_dr_start:\n"
    "	mov $0x11223344, %eax\n"
    "	mov %eax, %dr0\n"
    "	mov $0x55667788, %eax\n"
    "	mov %eax, %dr3\n"
    "	mov %dr0, %ebx\n"
    "	mov %ebx, 0x8000\n"
    "	mov %dr3, %ebx\n"
    "	mov %ebx, 0x8004\n"
    "	mov $0x3, %eax\n"		/* L0, G0 */
    "	mov %eax, %dr7\n"
    "	mov %dr7, %ecx\n"
    "	mov %ecx, 0x8008\n"
    "	mov %dr6, %ecx\n"
    "	mov %ecx, 0x800c\n"
    "	xor %ecx, %ecx\n"
    "	rdpmc\n"
    "	movw $0x600d, 0x8010\n"
    "	hlt\n"
    "g_dr_gp:\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	addw $2, 2(%bp)\n"
    "	incw 0x8100\n"
    "	pop %bp\n"
    "	iret\n"
    "g_dr_end:\n"

    /* xmm7 := [0x8000]; 200 exits; [0x8010] := xmm7. */
    ".global g_fpu_start, g_fpu_end\n"
    "g_fpu_start:\n"
    "	movdqu 0x8000, %xmm7\n"
    "	mov $200, %ebx\n"
    "1:\n"
    GUEST_UCALL_ASM(UCALL_SYNC, "%ebx")
    "	mov %ebx, %ebp\n"
    "	xor %eax, %eax\n"
    "	cpuid\n"			/* and a built-in exit */
    "	mov %ebp, %ebx\n"
    "	dec %ebx\n"
    "	jnz 1b\n"
    "	movdqu %xmm7, 0x8010\n"
    "	hlt\n"
    "g_fpu_end:\n"
    ".code64\n"
    ".popsection\n");

AXVCPU_ONE_VCPU_TEST_SUITE(global);

AXVCPU_ONE_VCPU_TEST(global, port_604_power_off, g_604)
{
	struct axvcpu_run *run;

	run = vcpu->run;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_IO_WRITE);
	TEST_ASSERT_EQ(run->io.port, 0x604);
	TEST_ASSERT_EQ(run->io.data, 0x1234);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_IO_WRITE);
	TEST_ASSERT_EQ(run->io.width, 1);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSTEM_DOWN);
	TEST_ASSERT_EQ(run->system_down.type, AXVCPU_SYSTEM_DOWN_OFF);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
}

AXVCPU_ONE_VCPU_TEST(global, mov_dr_and_rdpmc, g_dr)
{
	struct axvcpu_x86_sregs s;
	__u16 *ivt;

	ivt = guest_ptr(vm, 13 * 4);
	ivt[0] = GUEST_ENTRY + (g_dr_gp - g_dr_start);
	ivt[1] = 0;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(*(__u32 *)guest_ptr(vm, 0x8000), 0x11223344);
	TEST_ASSERT_EQ(*(__u32 *)guest_ptr(vm, 0x8004), 0x55667788);
	TEST_ASSERT_EQ(*(__u32 *)guest_ptr(vm, 0x8008), 0x403);
	TEST_ASSERT_EQ(*(__u32 *)guest_ptr(vm, 0x800c), 0xffff0ff0);
	TEST_ASSERT_EQ(*(__u16 *)guest_ptr(vm, 0x8100), 1);	/* RDPMC */
	TEST_ASSERT_EQ(*(__u16 *)guest_ptr(vm, 0x8010), 0x600d);
	TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_GET_X86_SREGS, &s));
	TEST_ASSERT_EQ(s.dr7, 0x403);
	TEST_ASSERT_EQ(vcpu->run->stats.exits[AXVCPU_EXIT_INTERNAL_ERROR], 0);
}

/* RUN with the host's xmm7 set to @in; xmm7 after it into @out. */
static long run_keep_xmm7(int fd, const __u64 *in, __u64 *out)
{
	long ret;

	asm volatile("movdqu (%[in]), %%xmm7\n\t"
		     "syscall\n\t"
		     "movdqu %%xmm7, (%[out])"
		     : "=a"(ret)
		     : "a"(SYS_ioctl), "D"(fd), "S"(AXVCPU_RUN), "d"(0),
		       [in] "r"(in), [out] "r"(out)
		     : "rcx", "r11", "memory", "xmm7");
	return ret;
}

AXVCPU_ONE_VCPU_TEST(global, fpu_state_switched, g_fpu)
{
	static const __u64 host[2] = { 0x0123456789abcdefULL,
				       0xfedcba9876543210ULL };
	static const __u64 guest[2] = { 0x1111222233334444ULL,
					0x5555666677778888ULL };
	struct axvcpu_x86_sregs s;
	__u64 out[2];
	int n = 0;
	long r;

	TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_GET_X86_SREGS, &s));
	s.cr4 |= 1 << 9;		/* OSFXSR */
	s.cr0 &= ~(1ULL << 2);		/* EM */
	TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s));
	memcpy(guest_ptr(vm, 0x8000), guest, sizeof(guest));
	for (;;) {
		r = run_keep_xmm7(vcpu->fd, host, out);
		TEST_ASSERT_EQ(r, 0);
		TEST_ASSERT(out[0] == host[0] && out[1] == host[1],
			    "host xmm7 %#llx:%#llx after RUN %d",
			    (unsigned long long)out[1],
			    (unsigned long long)out[0], n);
		if (vcpu->run->exit_reason != AXVCPU_EXIT_HYPERCALL)
			break;
		n++;
	}
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(n, 200);
	TEST_ASSERT(!memcmp(guest_ptr(vm, 0x8010), guest, sizeof(guest)),
		    "guest xmm7 lost across exits");
}

TEST_HARNESS_MAIN
