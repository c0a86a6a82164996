/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host-side FP/SIMD helpers of the aarch64 FP tests (fpsimd.c, fp_lazy.c):
 * a syscall made with chosen v0-v31/FPCR/FPSR that are read back after it,
 * register-set patterns and a yielding thread that checks its own set.
 * Include after kselftest_harness.h.
 */
#ifndef _AXVCPU_SELFTEST_FP_HOST_H
#define _AXVCPU_SELFTEST_FP_HOST_H

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <linux/types.h>

#define Y_FPCR		0x00400000ULL	/* RM = towards plus infinity */
#define Y_FPSR		0x00000004ULL	/* OFC */

/* Register i of a set: two 64-bit halves built from a tag. */
#define LO(tag, i)	(0x6a6a6a6a00000000ULL | ((__u64)(tag) << 16) | ((i) << 8) | 0x11)
#define HI(tag, i)	(0x5b5b5b5b00000000ULL | ((__u64)(tag) << 16) | ((i) << 8) | 0x22)

/*
 * long fp_syscall(long nr, long a0, const __u64 in[64], __u64 out[66],
 *		   __u64 fpcr, __u64 fpsr, long times)
 * Loads v0-v31 from @in, FPCR and FPSR, makes syscall @nr(@a0, 0x..., 0)
 * @times times (stops at a negative return), stores v0-v31, FPCR and FPSR
 * to @out, restores the caller's FPCR/FPSR and d8-d15.  For RUN: nr =
 * ioctl, a0 = fd, a1 = AXVCPU_RUN.
 */
long fp_syscall(long nr, long a0, long a1, const __u64 *in, __u64 *out,
		__u64 fpcr, __u64 fpsr, long times);
asm(".text\n"
    ".global fp_syscall\n"
    ".type fp_syscall, %function\n"
    "fp_syscall:\n"
    "	stp d8, d9, [sp, #-64]!\n"
    "	stp d10, d11, [sp, #16]\n"
    "	stp d12, d13, [sp, #32]\n"
    "	stp d14, d15, [sp, #48]\n"
    "	mrs x9, fpcr\n"
    "	mrs x10, fpsr\n"
    "	msr fpcr, x5\n"
    "	msr fpsr, x6\n"
    "	mov x11, x3\n"
    "	ld1 {v0.16b-v3.16b}, [x11], #64\n"
    "	ld1 {v4.16b-v7.16b}, [x11], #64\n"
    "	ld1 {v8.16b-v11.16b}, [x11], #64\n"
    "	ld1 {v12.16b-v15.16b}, [x11], #64\n"
    "	ld1 {v16.16b-v19.16b}, [x11], #64\n"
    "	ld1 {v20.16b-v23.16b}, [x11], #64\n"
    "	ld1 {v24.16b-v27.16b}, [x11], #64\n"
    "	ld1 {v28.16b-v31.16b}, [x11], #64\n"
    "	mov x12, x4\n"
    "	mov x13, x7\n"
    "	mov x14, x0\n"
    "	mov x15, x1\n"
    "	mov x16, x2\n"
    "1:	mov x8, x14\n"
    "	mov x0, x15\n"
    "	mov x1, x16\n"
    "	mov x2, #0\n"
    "	svc #0\n"
    "	tbnz x0, #63, 2f\n"
    "	subs x13, x13, #1\n"
    "	b.gt 1b\n"
    "2:	st1 {v0.16b-v3.16b}, [x12], #64\n"
    "	st1 {v4.16b-v7.16b}, [x12], #64\n"
    "	st1 {v8.16b-v11.16b}, [x12], #64\n"
    "	st1 {v12.16b-v15.16b}, [x12], #64\n"
    "	st1 {v16.16b-v19.16b}, [x12], #64\n"
    "	st1 {v20.16b-v23.16b}, [x12], #64\n"
    "	st1 {v24.16b-v27.16b}, [x12], #64\n"
    "	st1 {v28.16b-v31.16b}, [x12], #64\n"
    "	mrs x3, fpcr\n"
    "	mrs x4, fpsr\n"
    "	stp x3, x4, [x12]\n"
    "	msr fpcr, x9\n"
    "	msr fpsr, x10\n"
    "	ldp d10, d11, [sp, #16]\n"
    "	ldp d12, d13, [sp, #32]\n"
    "	ldp d14, d15, [sp, #48]\n"
    "	ldp d8, d9, [sp], #64\n"
    "	ret\n"
    ".size fp_syscall, . - fp_syscall\n");

static void fill(__u64 *set, unsigned int tag)
{
	int i;

	for (i = 0; i < 32; i++) {
		set[2 * i] = LO(tag, (__u64)i);
		set[2 * i + 1] = HI(tag, (__u64)i);
	}
}

/* The first difference, as text; "" if the sets are equal. */
static const char *diff(const __u64 *got, const __u64 *want, __u64 fpcr,
			__u64 fpsr, char *buf, size_t len)
{
	int i;

	buf[0] = 0;
	for (i = 0; i < 64; i++)
		if (got[i] != want[i]) {
			snprintf(buf, len, "v%d.d[%d] = %#llx, expected %#llx", i / 2,
				 i % 2, (unsigned long long)got[i],
				 (unsigned long long)want[i]);
			return buf;
		}
	if (got[64] != fpcr)
		snprintf(buf, len, "FPCR = %#llx, expected %#llx",
			 (unsigned long long)got[64], (unsigned long long)fpcr);
	else if ((got[65] & 0xf800009f) != fpsr)
		snprintf(buf, len, "FPSR = %#llx, expected %#llx",
			 (unsigned long long)got[65], (unsigned long long)fpsr);
	return buf;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
}

/*
 * A second thread on CPU 0 with its own FP registers (tag @tag) that
 * yields @yields times per round and checks them after each round.
 */
struct yielder {
	volatile int stop;
	unsigned int tag;
	long yields;
	long rounds;
	char bad[256];
};

static void *yield_thread(void *p)
{
	struct yielder *y = p;
	__u64 in[64], out[66];
	char buf[160];

	pin(0);
	fill(in, y->tag);
	while (!y->stop) {
		fp_syscall(124 /* sched_yield */, 0, 0, in, out, Y_FPCR, Y_FPSR,
			   y->yields);
		y->rounds++;
		if (*diff(out, in, Y_FPCR, Y_FPSR, buf, sizeof(buf)) && !y->bad[0])
			snprintf(y->bad, sizeof(y->bad), "round %ld: %s", y->rounds, buf);
	}
	return NULL;
}

#endif /* _AXVCPU_SELFTEST_FP_HOST_H */
