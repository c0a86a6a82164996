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
#include "ucall.h"
#include "processor.h"
#include "fp_host.h"

#define NR_EXITS	10000
#define HCALL_FP	UCALL_NR_OF(UCALL_SYNC)
#define G_FPCR		0x00800000ULL	/* RM = round towards minus infinity */
#define G_FPSR		0x08000010ULL	/* QC, IXC */
#define H_FPCR		0x01c00000ULL	/* FZ, RM = towards zero */
#define H_FPSR		0x00000001ULL	/* IOC */

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


TEST(fp_simd_isolated_over_10000_exits)
{
	__u64 host[64], guest[64], out[66];
	struct yielder y = { .tag = Y_TAG, .yields = 50 };
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	pthread_t th;
	char buf[160];
	long i, r;

	pin(0);
	fill(host, H_TAG);
	fill(guest, G_TAG);
	vm = vm_create_with_one_vcpu(&vcpu, guest_fp);
	run = vcpu->run;
	TEST_ASSERT(!pthread_create(&th, NULL, yield_thread, &y), "pthread_create");

	for (i = 0; i < NR_EXITS; i++) {
		r = fp_syscall(29 /* ioctl */, vcpu->fd, AXVCPU_RUN, host, out,
			       H_FPCR, H_FPSR, 1);
		TEST_ASSERT(r == 0, "RUN %ld: %ld (%s)", i, r, errno_name(-r));
		TEST_ASSERT(!*diff(out, host, H_FPCR, H_FPSR, buf, sizeof(buf)),
			    "host thread after RUN %ld (exit %u): %s", i,
			    run->exit_reason, buf);
		vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
		TEST_ASSERT(run->hypercall.nr == HCALL_FP,
			    "exit %ld: hypercall %#llx", i,
			    (unsigned long long)run->hypercall.nr);
	}
	run_expect_hcall_to(vcpu, GH_DONE, 10);
	y.stop = 1;
	pthread_join(th, NULL);
	TEST_ASSERT(!*diff(guest_ptr(vm, GUEST_DATA_GPA), guest, G_FPCR, G_FPSR,
			   buf, sizeof(buf)),
		    "guest after %d exits: %s", NR_EXITS, buf);
	TEST_ASSERT(!y.bad[0], "second host thread on the same CPU: %s", y.bad);
	printf("# yielder rounds: %ld, builtin[EXCEPTION] %llu\n", y.rounds,
	       (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION]);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
