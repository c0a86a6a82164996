// SPDX-License-Identifier: GPL-2.0
/*
 * fpsimd (aarch64) - FP/SIMD isolation between guest and host:
 * the guest fills v0-v31, FPCR and FPSR with its values and makes 10,000
 * hypercall exits; around every RUN the host thread holds its own values
 * in v0-v31, FPCR and FPSR (set and checked in assembly around the ioctl
 * syscall); a second host thread on the same CPU holds a third set across
 * sched_yield()s meanwhile.  Every set must be unchanged at the end.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "../lib/aarch64/arm64_guest.h"

#define NR_EXITS	10000
#define HCALL_FP	0x46500001
#define G_FPCR		0x00800000ULL	/* RM = round towards minus infinity */
#define G_FPSR		0x08000010ULL	/* QC, IXC */
#define H_FPCR		0x01c00000ULL	/* FZ, RM = towards zero */
#define H_FPSR		0x00000001ULL	/* IOC */
#define Y_FPCR		0x00400000ULL	/* RM = towards plus infinity */
#define Y_FPSR		0x00000004ULL	/* OFC */

/* Register i of a set: two 64-bit halves built from a tag. */
#define LO(tag, i)	(0x6a6a6a6a00000000ULL | ((__u64)(tag) << 16) | ((i) << 8) | 0x11)
#define HI(tag, i)	(0x5b5b5b5b00000000ULL | ((__u64)(tag) << 16) | ((i) << 8) | 0x22)
#define G_TAG		0x9
#define H_TAG		0x4
#define Y_TAG		0x7

GUEST_CODE(guest_fp);

#define REGS_0_31 "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31"

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_fp_start, guest_fp_end\n"
    "guest_fp_start:\n"
    GUEST_FP_ENABLE
    MOV64("x1", __stringify(G_FPCR))
    "	msr fpcr, x1\n"
    MOV64("x1", __stringify(G_FPSR))
    "	msr fpsr, x1\n"
    "	.irp i, " REGS_0_31 "\n"
    MOV64("x1", "0x6a6a6a6a00000000 | (" __stringify(G_TAG) " << 16) | (\\i << 8) | 0x11")
    MOV64("x2", "0x5b5b5b5b00000000 | (" __stringify(G_TAG) " << 16) | (\\i << 8) | 0x22")
    "	mov v\\i\\().d[0], x1\n"
    "	mov v\\i\\().d[1], x2\n"
    "	.endr\n"
    MOV64("x20", __stringify(NR_EXITS))
    "1:	movz x0, #(" __stringify(HCALL_FP) " & 0xffff)\n"
    "	movk x0, #(" __stringify(HCALL_FP) " >> 16), lsl #16\n"
    "	hvc #0\n"
    "	subs x20, x20, #1\n"
    "	b.ne 1b\n"
    MOV64("x9", "0x40008000")
    "	st1 {v0.16b-v3.16b}, [x9], #64\n"
    "	st1 {v4.16b-v7.16b}, [x9], #64\n"
    "	st1 {v8.16b-v11.16b}, [x9], #64\n"
    "	st1 {v12.16b-v15.16b}, [x9], #64\n"
    "	st1 {v16.16b-v19.16b}, [x9], #64\n"
    "	st1 {v20.16b-v23.16b}, [x9], #64\n"
    "	st1 {v24.16b-v27.16b}, [x9], #64\n"
    "	st1 {v28.16b-v31.16b}, [x9], #64\n"
    "	mrs x1, fpcr\n"
    "	mrs x2, fpsr\n"
    "	stp x1, x2, [x9]\n"
    MOV64("x0", __stringify(GH_DONE))
    "	hvc #0\n"
    "	b .\n"
    "guest_fp_end:\n"
    ".popsection\n");

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

struct yielder {
	volatile int stop;
	long rounds;
	char bad[256];
};

static void *yield_thread(void *p)
{
	struct yielder *y = p;
	__u64 in[64], out[66];
	char buf[160];

	pin(0);
	fill(in, Y_TAG);
	while (!y->stop) {
		fp_syscall(124 /* sched_yield */, 0, 0, in, out, Y_FPCR, Y_FPSR, 50);
		y->rounds++;
		if (*diff(out, in, Y_FPCR, Y_FPSR, buf, sizeof(buf)) && !y->bad[0])
			snprintf(y->bad, sizeof(y->bad), "round %ld: %s", y->rounds, buf);
	}
	return NULL;
}

TEST(fp_simd_isolated_over_10000_exits)
{
	__u64 host[64], guest[64], out[66];
	struct yielder y = { 0 };
	struct axvcpu_run *run;
	struct test_vm t;
	pthread_t th;
	char buf[160];
	long i, r;

	pin(0);
	fill(host, H_TAG);
	fill(guest, G_TAG);
	TEST_VM_WITH(&t, guest_fp);
	run = t.vcpu.run;
	TEST_ASSERT(!pthread_create(&th, NULL, yield_thread, &y), "pthread_create");

	for (i = 0; i < NR_EXITS; i++) {
		r = fp_syscall(29 /* ioctl */, t.vcpu.fd, AXVCPU_RUN, host, out,
			       H_FPCR, H_FPSR, 1);
		TEST_ASSERT(r == 0, "RUN %ld: %ld (%s)", i, r, errno_name(-r));
		TEST_ASSERT(!*diff(out, host, H_FPCR, H_FPSR, buf, sizeof(buf)),
			    "host thread after RUN %ld (exit %u): %s", i,
			    run->exit_reason, buf);
		vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
		TEST_ASSERT(run->hypercall.nr == HCALL_FP,
			    "exit %ld: hypercall %#llx", i,
			    (unsigned long long)run->hypercall.nr);
	}
	run_expect_hcall_to(&t.vcpu, GH_DONE, 10);
	y.stop = 1;
	pthread_join(th, NULL);
	TEST_ASSERT(!*diff(guest_ptr(&t, GUEST_DATA_GPA), guest, G_FPCR, G_FPSR,
			   buf, sizeof(buf)),
		    "guest after %d exits: %s", NR_EXITS, buf);
	TEST_ASSERT(!y.bad[0], "second host thread on the same CPU: %s", y.bad);
	printf("# yielder rounds: %ld, builtin[EXCEPTION] %llu\n", y.rounds,
	       (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION]);
	test_vm_destroy(&t);
}

TEST_HARNESS_MAIN
