// SPDX-License-Identifier: GPL-2.0
/*
 * guest_debug (aarch64) - a guest's own self-hosted debug works, and the
 * host's keeps working (Arm ARM D2 "AArch64 Self-hosted Debug").
 *
 * One guest, its exceptions through its own VBAR_EL1 (reported by hvc):
 *  1. DBGBVR0/DBGWVR0/MDSCR_EL1 read back what it wrote, OSLSR_EL1 says
 *     the OS lock is implemented and clear, and no access reaches the VMM;
 *  2. a hardware breakpoint on an EL1 instruction fires (EC 0x31, ELR at
 *     it);
 *  3. a watchpoint on a data address fires on a store (EC 0x35, FAR);
 *  4. software step of EL1 stops after one instruction (EC 0x33);
 *  5. with its OS lock set, the same breakpoint does not fire;
 *  6. a breakpoint register the CPU does not have is UNDEFINED.
 * Around it, a perf hardware breakpoint of the host on a function of this
 * test counts each call before and after the guest ran (the guest's
 * breakpoint 0 and the host's share the CPU's registers).
 */
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

#define G_BVR		0x0000000040001230ULL
#define G_WVR		0x0000000040002340ULL
#define MDSCR_TDCC	(1 << 12)
#define MDSCR_KDE	(1 << 13)
#define MDSCR_MDE	(1 << 15)
#define MDSCR_SS	(1 << 0)
/* DBGBCR: BAS 0xf, PMC 0b11 (EL1 and EL0), E */
#define BCR_EL1		((0xf << 5) | (3 << 1) | 1)
/* DBGWCR: BAS 0xff, LSC 0b11 (loads and stores), PAC 0b11, E */
#define WCR_EL1		((0xff << 5) | (3 << 3) | (3 << 1) | 1)
/* EL1h, A/I/F masked, D clear, SS set */
#define SPSR_STEP	(0x1c5 | (1 << 21))

#define DBGBVR(n)	"S2_0_C0_C" #n "_4"

GUEST_CODE(guest_dbg);
extern const unsigned char dbg_bp[], dbg_wp[], dbg_ss[], dbg_bp2[],
	dbg_undef[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global guest_dbg_start, guest_dbg_end, dbg_bp, dbg_wp, dbg_ss\n"
    ".global dbg_bp2, dbg_undef\n"
    "guest_dbg_start:\n"
    GUEST_SET_VBAR(dbg_vectors)
    /* 1 */
    MOV64("x1", __stringify(G_BVR))
    "	msr dbgbvr0_el1, x1\n"
    MOV64("x1", __stringify(G_WVR))
    "	msr dbgwvr0_el1, x1\n"
    "	mov x1, #" __stringify(MDSCR_TDCC) "\n"
    "	msr mdscr_el1, x1\n"
    "	isb\n"
    "	mrs x2, dbgbvr0_el1\n"
    "	mrs x3, dbgwvr0_el1\n"
    "	mrs x4, mdscr_el1\n"
    "	mrs x5, oslsr_el1\n"
    "	mov x1, #1\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"
    /* 2: breakpoint at dbg_bp */
    "	msr oslar_el1, xzr\n"
    "	adr x1, dbg_bp\n"
    "	msr dbgbvr0_el1, x1\n"
    "	mov x1, #" __stringify(BCR_EL1) "\n"
    "	msr dbgbcr0_el1, x1\n"
    "	mov x1, #" __stringify(MDSCR_MDE | MDSCR_KDE) "\n"
    "	msr mdscr_el1, x1\n"
    "	isb\n"
    "	msr daifclr, #8\n"
    "	isb\n"
    "dbg_bp:\n"
    "	nop\n"
    "	msr daifset, #8\n"
    "	msr dbgbcr0_el1, xzr\n"
    "	isb\n"
    /* 3: watchpoint on GUEST_DATA_GPA */
    MOV64("x6", __stringify(GUEST_DATA_GPA))
    "	msr dbgwvr0_el1, x6\n"
    "	mov x1, #" __stringify(WCR_EL1) "\n"
    "	msr dbgwcr0_el1, x1\n"
    "	isb\n"
    "	msr daifclr, #8\n"
    "	isb\n"
    "dbg_wp:\n"
    "	str x1, [x6]\n"
    "	msr daifset, #8\n"
    "	msr dbgwcr0_el1, xzr\n"
    "	isb\n"
    /* 4: software step of one instruction at dbg_ss */
    "	mov x1, #" __stringify(MDSCR_MDE | MDSCR_KDE | MDSCR_SS) "\n"
    "	msr mdscr_el1, x1\n"
    MOV64("x1", __stringify(SPSR_STEP))
    "	msr spsr_el1, x1\n"
    "	adr x1, dbg_ss\n"
    "	msr elr_el1, x1\n"
    "	isb\n"
    "	eret\n"
    "dbg_ss:\n"
    "	nop\n"
    "	nop\n"			/* the handler's ELR + 4 skips this one */
    "	msr daifset, #8\n"
    "	mov x1, #" __stringify(MDSCR_MDE | MDSCR_KDE) "\n"
    "	msr mdscr_el1, x1\n"
    /* 5: OS lock set: no breakpoint */
    "	mov x1, #1\n"
    "	msr oslar_el1, x1\n"
    "	adr x1, dbg_bp2\n"
    "	msr dbgbvr0_el1, x1\n"
    "	mov x1, #" __stringify(BCR_EL1) "\n"
    "	msr dbgbcr0_el1, x1\n"
    "	isb\n"
    "	msr daifclr, #8\n"
    "	isb\n"
    "dbg_bp2:\n"
    "	nop\n"
    "	msr daifset, #8\n"
    "	mrs x2, oslsr_el1\n"
    "	msr dbgbcr0_el1, xzr\n"
    "	msr oslar_el1, xzr\n"
    "	msr mdscr_el1, xzr\n"
    "	mov x1, #5\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"
    /* 6: breakpoint 15 (QEMU and most cores have 6) */
    "dbg_undef:\n"
    "	msr " DBGBVR(15) ", xzr\n"
    MOV64("x0", __stringify(GH_DONE))
    "	hvc #0\n"
    "	b .\n"
    /*
     * GUEST_VECTORS, but the synchronous handler also clears MDSCR_EL1.SS:
     * returning with it set would step again at once (the active-pending
     * state, Arm ARM D2.12 "Software Step exceptions").
     */
    "	.balign 2048\n"
    "dbg_vectors:\n"
    VEC_OTHER(0x000) VEC_OTHER(0x080) VEC_OTHER(0x100) VEC_OTHER(0x180)
    "	.balign 0x80\n"
    "	mov x5, #0x200\n"
    "	movz x0, #(" __stringify(GH_SYNC) " & 0xffff)\n"
    "	movk x0, #(" __stringify(GH_SYNC) " >> 16), lsl #16\n"
    "	mrs x1, esr_el1\n"
    "	mrs x2, far_el1\n"
    "	mrs x3, elr_el1\n"
    "	mrs x4, spsr_el1\n"
    "	hvc #0\n"
    "	mrs x3, mdscr_el1\n"
    "	bic x3, x3, #1\n"
    "	msr mdscr_el1, x3\n"
    "	mrs x3, elr_el1\n"
    "	add x3, x3, #4\n"
    "	msr elr_el1, x3\n"
    "	eret\n"
    VEC_OTHER(0x280) VEC_OTHER(0x300) VEC_OTHER(0x380)
    VEC_OTHER(0x400) VEC_OTHER(0x480) VEC_OTHER(0x500) VEC_OTHER(0x580)
    VEC_OTHER(0x600) VEC_OTHER(0x680) VEC_OTHER(0x700) VEC_OTHER(0x780)
    "guest_dbg_end:\n"
    ".popsection\n");

#define PC(l)	GUEST_ADDR(guest_dbg_start, l)

struct sync_exc {
	__u64 esr, far, elr;
};

static int nr_brps(void)
{
	__u64 dfr0;

	/* The host's ID_AA64DFR0_EL1, as Linux emulates MRS for EL0. */
	asm volatile("mrs %0, id_aa64dfr0_el1" : "=r"(dfr0));
	return ((dfr0 >> 12) & 0xf) + 1;
}

static __attribute__((noinline)) int host_probe(int x)
{
	asm volatile("" : "+r"(x));
	return x + 1;
}

/* A perf breakpoint on host_probe() of this thread; -1 if none. */
static int host_bp(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.bp_type = HW_BREAKPOINT_X;
	a.bp_addr = (unsigned long)host_probe;
	a.bp_len = sizeof(long);
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
}

static __u64 bp_count(int fd)
{
	__u64 n = 0;

	TEST_ASSERT(read(fd, &n, sizeof(n)) == sizeof(n), "perf read");
	return n;
}

TEST(guest_breakpoints_watchpoints_step_and_os_lock)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	struct axvcpu_run *run;
	struct sync_exc exc[8];
	__u64 report1[6] = { 0 }, report5[6] = { 0 }, n0 = 0, n1;
	int nexc = 0, bp = host_bp(), i;
	bool done = false;

	if (bp < 0)
		ksft_print_msg("no perf hardware breakpoint for the host side: %s\n",
			       strerror(errno));
	else
		n0 = bp_count(bp);
	for (i = 0; i < 3; i++)
		host_probe(i);
	if (bp >= 0) {
		n1 = bp_count(bp);
		ASSERT_EQ(n0 + 3, n1);
		n0 = n1;
	}

	vm = vm_create_with_one_vcpu(&vcpu, guest_dbg);
	run = vcpu->run;
	while (!done) {
		vcpu_run(vcpu);
		/* Every debug register access is answered in the module. */
		vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
		switch (run->hypercall.nr) {
		case GH_SYNC:
			ASSERT_LT(nexc, 8);
			ASSERT_EQ(0x200, run->hypercall.args[4]);
			exc[nexc].esr = run->hypercall.args[0];
			exc[nexc].far = run->hypercall.args[1];
			exc[nexc].elr = run->hypercall.args[2];
			nexc++;
			break;
		case GH_REPORT:
			memcpy(run->hypercall.args[0] == 1 ? report1 : report5,
			       run->hypercall.args, sizeof(report1));
			break;
		case GH_DONE:
			done = true;
			break;
		default:
			TEST_FAIL("hypercall %#llx",
				  (unsigned long long)run->hypercall.nr);
		}
		if (bp >= 0) {	/* the host's breakpoint between runs */
			host_probe(nexc);
			n1 = bp_count(bp);
			ASSERT_EQ(n0 + 1, n1);
			n0 = n1;
		}
	}
	test_vm_free(vm);

	/* 1: registers */
	EXPECT_EQ(G_BVR, report1[1]);
	EXPECT_EQ(G_WVR, report1[2]);
	EXPECT_EQ(MDSCR_TDCC, report1[3]);
	EXPECT_EQ(0x8, report1[4]);	/* OSLM 0b10, OSLK 0 */
	for (i = 0; i < nexc; i++)
		ksft_print_msg("guest exception %d: ESR %#llx FAR %#llx ELR %#llx\n",
			       i, (unsigned long long)exc[i].esr,
			       (unsigned long long)exc[i].far,
			       (unsigned long long)exc[i].elr);
	ASSERT_EQ(nr_brps() < 16 ? 4 : 3, nexc);
	/* 2: breakpoint */
	EXPECT_EQ(0x31, exc[0].esr >> 26);
	EXPECT_EQ(PC(dbg_bp), exc[0].elr);
	/* 3: watchpoint, on the store, FAR the address */
	EXPECT_EQ(0x35, exc[1].esr >> 26);
	EXPECT_EQ(PC(dbg_wp), exc[1].elr);
	EXPECT_EQ(GUEST_DATA_GPA, exc[1].far);
	/* 4: one instruction stepped */
	EXPECT_EQ(0x33, exc[2].esr >> 26);
	EXPECT_EQ(PC(dbg_ss) + 4, exc[2].elr);
	/* 5: nothing fired under the OS lock, which OSLSR showed */
	EXPECT_EQ(0xa, report5[1]);	/* OSLM 0b10, OSLK 1 */
	/* 6: no such breakpoint: UNDEF (EC 0) at the MSR */
	if (nr_brps() < 16) {
		EXPECT_EQ(0, exc[3].esr >> 26);
		EXPECT_EQ(PC(dbg_undef), exc[3].elr);
	}

	for (i = 0; i < 3; i++)
		host_probe(i);
	if (bp >= 0) {
		EXPECT_EQ(n0 + 3, bp_count(bp));
		close(bp);
	}
}

TEST_HARNESS_MAIN
