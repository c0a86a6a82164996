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
 * that the guest FP registers stayed in the CPU across the in-module
 * exits (fewer FP traps than loop rounds), and that once the guest has
 * used FP the next RUNs load its registers before entering it (far fewer
 * FP traps than RUNs: one lazy run call in 64).
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"
#include "fp_host.h"

#define NR_ROUNDS	2000
#define NR_PRE		4		/* hypercall exits before any FP use */
#define HCALL_FPL	UCALL_NR_OF(UCALL_SYNC)
#define G_FPCR		0x00800000ULL	/* RM = round towards minus infinity */
#define G_FPSR		0x08000010ULL	/* QC, IXC */
#define H_FPCR		0x01c00000ULL	/* FZ, RM = towards zero */
#define H_FPSR		0x00000001ULL	/* IOC */

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


TEST(fp_live_across_inkernel_exits_and_lazy_after_host)
{
	__u64 host[64], guest[64], out[66];
	struct yielder y = { .tag = Y_TAG, .yields = 20 };
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 traps, msr, psci;
	pthread_t th;
	char buf[160];
	long i, r, nr_vmm = NR_PRE + NR_ROUNDS / 8;

	pin(0);
	fill(host, H_TAG);
	fill(guest, G_TAG);
	guest[62] = NR_ROUNDS;		/* v31: the guest's counter */
	guest[63] = 0;
	vm = vm_create_with_one_vcpu(&vcpu, guest_fpl);
	run = vcpu->run;
	TEST_ASSERT(!pthread_create(&th, NULL, yield_thread, &y), "pthread_create");

	for (i = 0; i < nr_vmm; i++) {
		r = fp_syscall(29 /* ioctl */, vcpu->fd, AXVCPU_RUN, host, out,
				H_FPCR, H_FPSR, 1);
		TEST_ASSERT(r == 0, "RUN %ld: %ld (%s)", i, r, errno_name(-r));
		TEST_ASSERT(!*diff(out, host, H_FPCR, H_FPSR, buf, sizeof(buf)),
			    "host thread after RUN %ld (exit %u): %s", i,
			    run->exit_reason, buf);
		vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
		TEST_ASSERT(run->hypercall.nr == HCALL_FPL,
			    "exit %ld: hypercall %#llx", i,
			    (unsigned long long)run->hypercall.nr);
		if (i == NR_PRE - 1)
			TEST_ASSERT(run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION] == 0,
				    "FP traps before the guest used FP: %llu",
				    (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION]);
	}
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	y.stop = 1;
	pthread_join(th, NULL);
	TEST_ASSERT(run->hypercall.args[0] == 0, "%llu wrong PSCI_VERSION answers",
		    (unsigned long long)run->hypercall.args[0]);
	TEST_ASSERT(!*diff(guest_ptr(vm, GUEST_DATA_GPA), guest, G_FPCR, G_FPSR,
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
	/* The first use traps; later RUNs mostly load FP before entry. */
	TEST_ASSERT(traps >= 1 && traps < NR_ROUNDS / 2,
		    "%llu FP traps for %d rounds with 2 in-module exits each",
		    (unsigned long long)traps, NR_ROUNDS);
	TEST_ASSERT(traps <= nr_vmm / 8,
		    "%llu FP traps for %ld RUNs of an FP-using guest",
		    (unsigned long long)traps, nr_vmm);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
