// SPDX-License-Identifier: GPL-2.0
/*
 * fp_lazy (aarch64) - the lazy FP/SIMD switch keeps every context intact:
 * the guest makes exits before it touches FP (so its first FP use traps
 * after several host runs), then fills v0-v30, FPCR and FPSR with its
 * values and, 2,000 times: an in-module PSCI_VERSION (answered in the
 * world switch), an ID-register read (an in-module exit on the full path),
 * one FP/SIMD update of its counter in v31, and every 8th time a
 * hypercall exit to the VMM.  Around every RUN the host thread holds its
 * own v0-v31, FPCR and FPSR (set and checked in assembly around the ioctl
 * syscall); a second host thread on the same CPU holds a third set across
 * sched_yield()s.  Checked: all three sets at the end, the guest's counter,
 * and that the guest FP registers stayed in the CPU across the in-module
 * exits (fewer FP traps than loop rounds).
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "../lib/aarch64/arm64_guest.h"

#define NR_ROUNDS	2000
#define NR_PRE		4		/* hypercall exits before any FP use */
#define HCALL_FPL	0x46504c01
#define G_FPCR		0x00800000ULL	/* RM = round towards minus infinity */
#define G_FPSR		0x08000010ULL	/* QC, IXC */
#define H_FPCR		0x01c00000ULL	/* FZ, RM = towards zero */
#define H_FPSR		0x00000001ULL	/* IOC */
#define Y_FPCR		0x00400000ULL	/* RM = towards plus infinity */
#define Y_FPSR		0x00000004ULL	/* OFC */

#define LO(tag, i)	(0x6a6a6a6a00000000ULL | ((__u64)(tag) << 16) | ((i) << 8) | 0x11)
#define HI(tag, i)	(0x5b5b5b5b00000000ULL | ((__u64)(tag) << 16) | ((i) << 8) | 0x22)
#define G_TAG		0xa
#define H_TAG		0x5
#define Y_TAG		0x3

GUEST_CODE(guest_fpl);

#define REGS_0_30 "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30"

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_fpl_start, guest_fpl_end\n"
    "guest_fpl_start:\n"
    "	mov x20, #" __stringify(NR_PRE) "\n"
    "0:	movz x0, #(" __stringify(HCALL_FPL) " & 0xffff)\n"
    "	movk x0, #(" __stringify(HCALL_FPL) " >> 16), lsl #16\n"
    "	mov x1, #0\n"
    "	hvc #0\n"
    "	subs x20, x20, #1\n"
    "	b.ne 0b\n"
    GUEST_FP_ENABLE
    MOV64("x1", __stringify(G_FPCR))
    "	msr fpcr, x1\n"
    MOV64("x1", __stringify(G_FPSR))
    "	msr fpsr, x1\n"
    "	.irp i, " REGS_0_30 "\n"
    MOV64("x1", "0x6a6a6a6a00000000 | (" __stringify(G_TAG) " << 16) | (\\i << 8) | 0x11")
    MOV64("x2", "0x5b5b5b5b00000000 | (" __stringify(G_TAG) " << 16) | (\\i << 8) | 0x22")
    "	mov v\\i\\().d[0], x1\n"
    "	mov v\\i\\().d[1], x2\n"
    "	.endr\n"
    "	movi v31.2d, #0\n"
    MOV64("x20", __stringify(NR_ROUNDS))
    "	mov x21, #0\n"				/* wrong PSCI answers */
    "	mov x22, #0\n"				/* round */
    "1:	movz x0, #0\n"
    "	movk x0, #0x8400, lsl #16\n"		/* PSCI_VERSION */
    "	hvc #0\n"
    "	cmp x0, #0x10000\n"
    "	cinc x21, x21, ne\n"
    "	mrs x1, id_aa64isar0_el1\n"		/* HCR_EL2.TID3: in-module */
    "	mov x2, v31.d[0]\n"			/* FP use: traps if not live */
    "	add x2, x2, #1\n"
    "	mov v31.d[0], x2\n"
    "	add x22, x22, #1\n"
    "	tst x22, #7\n"
    "	b.ne 2f\n"
    "	movz x0, #(" __stringify(HCALL_FPL) " & 0xffff)\n"
    "	movk x0, #(" __stringify(HCALL_FPL) " >> 16), lsl #16\n"
    "	mov x1, x22\n"
    "	hvc #0\n"
    "2:	subs x20, x20, #1\n"
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
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x21\n"
    "	hvc #0\n"
    "	b .\n"
    "guest_fpl_end:\n"
    ".popsection\n");

/*
 * long fpl_syscall(long nr, long a0, long a1, const __u64 in[64],
 *		    __u64 out[66], __u64 fpcr, __u64 fpsr, long times)
 * Loads v0-v31 from @in, FPCR and FPSR, makes syscall @nr(@a0, @a1, 0)
 * @times times (stops at a negative return), stores v0-v31, FPCR and FPSR
 * to @out, restores the caller's FPCR/FPSR and d8-d15: no compiled code
 * runs between the loads and the stores.
 */
long fpl_syscall(long nr, long a0, long a1, const __u64 *in, __u64 *out,
		 __u64 fpcr, __u64 fpsr, long times);
asm(".text\n"
    ".global fpl_syscall\n"
    ".type fpl_syscall, %function\n"
    "fpl_syscall:\n"
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
    ".size fpl_syscall, . - fpl_syscall\n");

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
		fpl_syscall(124 /* sched_yield */, 0, 0, in, out, Y_FPCR, Y_FPSR, 20);
		y->rounds++;
		if (*diff(out, in, Y_FPCR, Y_FPSR, buf, sizeof(buf)) && !y->bad[0])
			snprintf(y->bad, sizeof(y->bad), "round %ld: %s", y->rounds, buf);
	}
	return NULL;
}

TEST(fp_live_across_inkernel_exits_and_lazy_after_host)
{
	__u64 host[64], guest[64], out[66];
	struct yielder y = { 0 };
	struct axvcpu_run *run;
	struct test_vm t;
	__u64 traps, msr, psci;
	pthread_t th;
	char buf[160];
	long i, r, nr_vmm = NR_PRE + NR_ROUNDS / 8;

	pin(0);
	fill(host, H_TAG);
	fill(guest, G_TAG);
	guest[62] = NR_ROUNDS;		/* v31: the guest's counter */
	guest[63] = 0;
	TEST_VM_WITH(&t, guest_fpl);
	run = t.vcpu.run;
	TEST_ASSERT(!pthread_create(&th, NULL, yield_thread, &y), "pthread_create");

	for (i = 0; i < nr_vmm; i++) {
		r = fpl_syscall(29 /* ioctl */, t.vcpu.fd, AXVCPU_RUN, host, out,
				H_FPCR, H_FPSR, 1);
		TEST_ASSERT(r == 0, "RUN %ld: %ld (%s)", i, r, errno_name(-r));
		TEST_ASSERT(!*diff(out, host, H_FPCR, H_FPSR, buf, sizeof(buf)),
			    "host thread after RUN %ld (exit %u): %s", i,
			    run->exit_reason, buf);
		vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
		TEST_ASSERT(run->hypercall.nr == HCALL_FPL,
			    "exit %ld: hypercall %#llx", i,
			    (unsigned long long)run->hypercall.nr);
		if (i == NR_PRE - 1)
			TEST_ASSERT(run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION] == 0,
				    "FP traps before the guest used FP: %llu",
				    (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION]);
	}
	run_expect_hcall_to(&t.vcpu, GH_REPORT, 10);
	y.stop = 1;
	pthread_join(th, NULL);
	TEST_ASSERT(run->hypercall.args[0] == 0, "%llu wrong PSCI_VERSION answers",
		    (unsigned long long)run->hypercall.args[0]);
	TEST_ASSERT(!*diff(guest_ptr(&t, GUEST_DATA_GPA), guest, G_FPCR, G_FPSR,
			   buf, sizeof(buf)),
		    "guest after %d rounds: %s", NR_ROUNDS, buf);
	TEST_ASSERT(!y.bad[0], "second host thread on the same CPU: %s", y.bad);

	traps = run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION];
	msr = run->stats.builtin[AXVCPU_BUILTIN_MSR];
	psci = run->stats.builtin[AXVCPU_BUILTIN_PSCI];
	printf("# FP traps %llu, ID-register exits %llu, PSCI %llu, yielder rounds %ld\n",
	       (unsigned long long)traps, (unsigned long long)msr,
	       (unsigned long long)psci, y.rounds);
	TEST_ASSERT(msr >= NR_ROUNDS && psci >= NR_ROUNDS,
		    "in-module exits: MSR %llu PSCI %llu, %d each expected",
		    (unsigned long long)msr, (unsigned long long)psci, NR_ROUNDS);
	/* At least one trap per RUN that used FP; far fewer than rounds. */
	TEST_ASSERT(traps >= 1 && traps < NR_ROUNDS / 2,
		    "%llu FP traps for %d rounds with 2 in-module exits each",
		    (unsigned long long)traps, NR_ROUNDS);
	test_vm_destroy(&t);
}

TEST_HARNESS_MAIN
