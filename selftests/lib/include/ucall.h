/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucall: how a guest reports to its test.  The guest makes a hypercall with
 * nr UCALL_NR and args {type, arg0, arg1}; get_ucall() recognises it on the
 * host and presets the hypercall's return value to 0.
 *
 * Guest side, as an assembly string for the guest code blocks:
 *   x86_64 (.code16): GUEST_UCALL_ASM(type, "arg0") with arg0 an operand
 *	such as "%ebx" or "$42"; clobbers eax, edi, esi.
 *   arm64: GUEST_UCALL_ASM(type, "x19"); clobbers x0..x2.
 */
#ifndef SELFTEST_UCALL_H
#define SELFTEST_UCALL_H

#include <linux/types.h>
#include "libaxvm.h"
#include "test_util.h"

#define UCALL_NR	0x5543414c	/* "UCAL" */

/* Plain numbers: the guest assembly strings use them as immediates. */
#define UCALL_NONE	0
#define UCALL_SYNC	1
#define UCALL_DONE	2
#define UCALL_ABORT	3

struct ucall {
	__u64 type;
	__u64 args[4];
};

#if defined(__x86_64__)
#define GUEST_UCALL_ASM(type, arg0)					\
	"mov $" __stringify(UCALL_NR) ", %eax\n\t"			\
	"mov $" __stringify(type) ", %edi\n\t"				\
	"mov " arg0 ", %esi\n\t"					\
	"vmcall\n\t"
#elif defined(__aarch64__)
#define GUEST_UCALL_ASM(type, arg0)					\
	"movz x0, #0x414c\n\t"						\
	"movk x0, #0x5543, lsl #16\n\t"					\
	"mov x1, #" __stringify(type) "\n\t"				\
	"mov x2, " arg0 "\n\t"						\
	"hvc #0\n\t"
#endif

/* The ucall type of the vcpu's last exit (UCALL_NONE if not a ucall). */
int get_ucall(struct axvm_vcpu *vcpu, struct ucall *uc);

#endif /* SELFTEST_UCALL_H */
