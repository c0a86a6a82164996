/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucall: how a guest reports to its test, the one channel of every guest
 * whose test is not about hypercalls themselves.  A ucall is a hypercall
 * (x86_64 VMCALL, arm64 HVC #0) whose number says the report's type,
 * UCALL_NR_OF(type), with the report's values in the argument registers
 * (struct axvcpu_run.hypercall.args: RDI, RSI, RDX, RCX, R8, R9 / x1..x6).
 * get_ucall() recognises it on the host, returns the type and presets the
 * hypercall's return value to 0.  A test-private report (a command to the
 * VMM, a checkpoint) is a type of its own, UCALL_TEST(n).
 *
 * Guest side, as an assembly string for the guest code blocks:
 *   x86_64: GUEST_UCALL_ASM(type, "arg0") with arg0 an operand such as
 *	"%ebx" or "$42" (args[0], EDI); clobbers eax, edi.
 *   arm64: GUEST_UCALL_ASM(type, "x19") (args[0], x1); clobbers x0, x1.
 * Guest code with more values loads the number with
 * __stringify(UCALL_NR_OF(type)) and the values into the registers itself.
 */
#ifndef SELFTEST_UCALL_H
#define SELFTEST_UCALL_H

#include <linux/types.h>
#include "libaxvm.h"
#include "test_util.h"

/* Hypercall numbers UCALL_NR_BASE ("UC" << 16) + type are ucalls. */
#define UCALL_NR_BASE	0x55430000
#define UCALL_NR_OF(type)	(UCALL_NR_BASE + (type))

/* Plain numbers: the guest assembly strings use them as immediates. */
#define UCALL_NONE	0
#define UCALL_SYNC	1	/* a checkpoint: the test answers, the guest goes on */
#define UCALL_DONE	2	/* the guest's work is done */
#define UCALL_ABORT	3	/* the guest saw something wrong */
#define UCALL_REPORT	4	/* values the guest measured, for the test to check */
#define UCALL_EXC_SYNC	5	/* a synchronous exception taken by the guest */
#define UCALL_EXC_IRQ	6	/* an interrupt taken by the guest */
#define UCALL_EXC_SERROR 7	/* an SError taken by the guest */
#define UCALL_TEST(n)	(0x100 + (n))	/* a type of one test's own */
#define UCALL_TYPE_MAX	0x1ff

struct ucall {
	__u64 type;
	__u64 args[6];
};

#if defined(__x86_64__)
#define GUEST_UCALL_ASM(type, arg0)					\
	"mov $" __stringify(UCALL_NR_OF(type)) ", %eax\n\t"		\
	"mov " arg0 ", %edi\n\t"					\
	"vmcall\n\t"
#elif defined(__aarch64__)
#define GUEST_UCALL_ASM(type, arg0)					\
	"movz x0, #(" __stringify(UCALL_NR_OF(type)) " & 0xffff)\n\t"	\
	"movk x0, #(" __stringify(UCALL_NR_OF(type)) " >> 16), lsl #16\n\t" \
	"mov x1, " arg0 "\n\t"						\
	"hvc #0\n\t"
#endif

/* The ucall type of the vcpu's last exit (UCALL_NONE if not a ucall). */
int get_ucall(struct axvm_vcpu *vcpu, struct ucall *uc);

#endif /* SELFTEST_UCALL_H */
