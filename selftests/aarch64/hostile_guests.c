// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_guests (aarch64) - guests that do hostile things, seeded and
 * bounded; each must end in an exit the ABI documents for arm64 while the
 * host stays intact.  The broad sweep beside exits.c, exceptions.c and
 * sysregs_load_put.c, which check precise cases:
 *  - random 32-bit words at EL1h/EL1t/EL0t with random registers, biased
 *    towards the system and exception-generating encodings;
 *  - MRS and MSR over the whole op0 = 2/3 system-register encoding space
 *    (32768 encodings, each read, then written back or written with a
 *    random value), the test answering every SYSREG exit; a guest that a
 *    write killed (SCTLR_EL1.M, VBAR_EL1...) is replaced and the sweep goes
 *    on after the killing encoding;
 *  - wild accesses: loads, stores, pairs, exclusives, atomics, cache
 *    maintenance, SIMD and branches to RAM, a read-only slot, MMIO, holes,
 *    slot boundaries, addresses beyond the IPA size; the read-only slot
 *    must never change;
 *  - SMC (PSCI and random function ids and immediates), HVC with odd
 *    immediates, BRK, SVC and UDF at EL1, HLT, PAC instructions, a
 *    misaligned PC, VBAR_EL1 pointing at unmapped memory, the read-only
 *    slot or MMIO when an exception comes, self-modifying code.
 * Every RUN is bounded by a SIGALRM watchdog that also sets immediate_exit;
 * every RUN is made with known v0-v31/FPCR/FPSR that must come back (the
 * syscall ABI keeps them), TPIDR_EL0 and TPIDRRO_EL0 unchanged and
 * CNTVCT_EL0 not going back.  After each group: signals, CLOCK_MONOTONIC, a
 * timerfd, the kernel log since the group began, the module refcnt back to
 * its value and kmalloc slab not grown by a second identical round.
 * Not covered: BTI (needs stage-1 guarded pages: a guest page-table set-up
 * this program does not have).
 *
 * --seed N or AXVCPU_HOSTILE_SEED=N repeats a run; AXVCPU_HOSTILE_SCALE=P
 * scales the time budgets to P percent.
 */
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"
#include "fp_host.h"
#include "hostile.h"

/* Guest-physical layout. */
#define A_RAM_GPA	0x40000000ULL
#define A_RAM_SIZE	0x100000ULL		/* 1 MiB */
#define A_VEC_GPA	A_RAM_GPA		/* vectors, 2 KiB aligned */
#define A_CODE_GPA	(A_RAM_GPA + 0x1000)
#define A_CODE_MAX	(0xc0000 - 0x1000)
#define A_DATA_GPA	(A_RAM_GPA + 0xc0000)
#define A_RO_GPA	(A_RAM_GPA + A_RAM_SIZE)	/* right above RAM */
#define A_RO_SIZE	0x10000ULL
#define A_MMIO_GPA	0x09000000ULL		/* no slot there */
#define A_HOLE_GPA	0x50000000ULL		/* nothing either */
#define A_RO_BYTE	0xa5

#define HC_DONE		0x484f5354ULL		/* "HOST": the guest finished */
#define PSTATE_EL1H	0x3c5ULL

/* Encodings. */
#define I_NOP		0xd503201fU
#define I_ISB		0xd5033fdfU
#define I_DSB_ISH	0xd5033b9fU
#define I_B_SELF	0x14000000U
#define I_HVC(imm)	(0xd4000002U | ((__u32)(imm) & 0xffff) << 5)
#define I_SMC(imm)	(0xd4000003U | ((__u32)(imm) & 0xffff) << 5)
#define I_SVC(imm)	(0xd4000001U | ((__u32)(imm) & 0xffff) << 5)
#define I_BRK(imm)	(0xd4200000U | ((__u32)(imm) & 0xffff) << 5)
#define I_HLT(imm)	(0xd4400000U | ((__u32)(imm) & 0xffff) << 5)
#define I_UDF(imm)	((__u32)(imm) & 0xffff)
#define I_WFI		0xd503207fU
#define I_WFE		0xd503205fU
/* sys_enc: op0 << 14 | op1 << 11 | CRn << 7 | CRm << 3 | op2 (bits 20:5) */
#define SYS_ENC(op0, op1, crn, crm, op2) \
	((__u32)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))
#define I_MRS(enc, rt)	(0xd5200000U | (enc) << 5 | (rt))
#define I_MSR(enc, rt)	(0xd5000000U | (enc) << 5 | (rt))
#define ENC_VBAR	SYS_ENC(3, 0, 12, 0, 0)
#define ENC_CPACR	SYS_ENC(3, 0, 1, 0, 2)
#define ENC_ELR		SYS_ENC(3, 0, 4, 0, 1)

/* The sysreg-exit id of a sys_enc. */
static __u64 enc_to_id(__u32 e)
{
	return SYSREG_ID(e >> 14 & 3, e >> 11 & 7, e >> 7 & 15, e >> 3 & 15, e & 7);
}

static __u32 i_movz(int rd, __u16 imm, int hw)
{
	return 0xd2800000U | hw << 21 | (__u32)imm << 5 | rd;
}

static __u32 i_movk(int rd, __u16 imm, int hw)
{
	return 0xf2800000U | hw << 21 | (__u32)imm << 5 | rd;
}

/* ---- guest vectors (copied to A_VEC_GPA) ----
 *
 * x25 = 0: a synchronous exception is skipped silently (ELR_EL1 += 4) and
 * counted in x26.  x25 != 0: it is reported first with hvc #0, x0 =
 * GH_SYNC, x1 ESR_EL1, x2 FAR_EL1, x3 ELR_EL1, x4 SPSR_EL1, x5 the vector
 * offset.  IRQ, FIQ and SError: counted in x24, the virtual timer turned
 * off and DAIF masked again in SPSR_EL1 (a random write may have unmasked
 * them with the timer armed), reported as GH_IRQ when x25 != 0.  The
 * handlers use x24-x28 (and x0-x5 when reporting) and no memory.
 */
GUEST_CODE(hv_vec);

#define HV_VEC(off)							\
	"	.balign 0x80\n"						\
	"	mov x28, #" #off "\n"					\
	"	b hv_common\n"

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global hv_vec_start, hv_vec_end\n"
    "hv_vec_start:\n"
    HV_VEC(0x000) HV_VEC(0x080) HV_VEC(0x100) HV_VEC(0x180)
    HV_VEC(0x200) HV_VEC(0x280) HV_VEC(0x300) HV_VEC(0x380)
    HV_VEC(0x400) HV_VEC(0x480) HV_VEC(0x500) HV_VEC(0x580)
    HV_VEC(0x600) HV_VEC(0x680) HV_VEC(0x700) HV_VEC(0x780)
    "	.balign 0x80\n"
    "hv_common:\n"
    "	tst x28, #0x180\n"
    "	b.ne 2f\n"
    "	add x26, x26, #1\n"
    "	cbz x25, 1f\n"
    MOV64("x0", __stringify(GH_SYNC))
    "	mrs x1, esr_el1\n"
    "	mrs x2, far_el1\n"
    "	mrs x3, elr_el1\n"
    "	mrs x4, spsr_el1\n"
    "	mov x5, x28\n"
    "	hvc #0\n"
    "1:	mrs x27, elr_el1\n"
    "	add x27, x27, #4\n"
    "	msr elr_el1, x27\n"
    "	eret\n"
    "2:	add x24, x24, #1\n"
    "	msr cntv_ctl_el0, xzr\n"
    "	mrs x27, spsr_el1\n"
    "	orr x27, x27, #0x3c0\n"
    "	msr spsr_el1, x27\n"
    "	cbz x25, 3f\n"
    MOV64("x0", __stringify(GH_IRQ))
    "	mov x5, x28\n"
    "	hvc #0\n"
    "3:	eret\n"
    "hv_vec_end:\n"
    ".popsection\n");

/* ---- host side of a RUN: FP/SIMD, TPIDR*, CNTVCT ---- */

static __u64 rd_tpidr(void)
{
	__u64 v;

	asm volatile("mrs %0, tpidr_el0" : "=r"(v));
	return v;
}

static __u64 rd_tpidrro(void)
{
	__u64 v;

	asm volatile("mrs %0, tpidrro_el0" : "=r"(v));
	return v;
}

static __u64 rd_cntvct(void)
{
	__u64 v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

static __u64 fp_in[64], fp_out[66];
static __u64 host_tpidr, host_tpidrro, host_last_cnt;

/*
 * The raw RUN inside fp_syscall(): v0-v31, FPCR and FPSR hold a known set
 * across the ioctl and must come back (the kernel keeps a task's FP/SIMD
 * state across a syscall, a guest's use of the FP unit in between
 * included).  TPIDR_EL0/TPIDRRO_EL0 are the host thread's and must not
 * move; CNTVCT_EL0 never goes back.
 */
static int hostile_arch_run(struct hgroup *g, struct axvm_vcpu *v)
{
	__u64 c0, c1;
	char buf[160];
	long r;

	if (!host_tpidr) {
		fill(fp_in, 0x48);
		host_tpidr = rd_tpidr();
		host_tpidrro = rd_tpidrro();
	}
	c0 = rd_cntvct();
	TEST_ASSERT(c0 >= host_last_cnt, "%s: CNTVCT_EL0 went back: %#llx after %#llx",
		    g->name, (unsigned long long)c0, (unsigned long long)host_last_cnt);
	r = fp_syscall(__NR_ioctl, v->fd, AXVCPU_RUN, fp_in, fp_out, Y_FPCR, Y_FPSR, 1);
	c1 = rd_cntvct();
	TEST_ASSERT(!*diff(fp_out, fp_in, Y_FPCR, Y_FPSR, buf, sizeof(buf)),
		    "%s: host FP/SIMD changed across RUN (exit %u): %s", g->name,
		    v->run->exit_reason, buf);
	TEST_ASSERT(rd_tpidr() == host_tpidr && rd_tpidrro() == host_tpidrro,
		    "%s: host TPIDR_EL0 %#llx (was %#llx) TPIDRRO_EL0 %#llx (was %#llx) after RUN",
		    g->name, (unsigned long long)rd_tpidr(), (unsigned long long)host_tpidr,
		    (unsigned long long)rd_tpidrro(), (unsigned long long)host_tpidrro);
	TEST_ASSERT(c1 >= c0, "%s: CNTVCT_EL0 went back across RUN: %#llx -> %#llx",
		    g->name, (unsigned long long)c0, (unsigned long long)c1);
	host_last_cnt = c1;
	return (int)r;
}

static bool hostile_exit_ok(__u32 reason)
{
	switch (reason) {
	case AXVCPU_EXIT_HYPERCALL:
	case AXVCPU_EXIT_MMIO_READ:
	case AXVCPU_EXIT_MMIO_WRITE:
	case AXVCPU_EXIT_SYSREG_READ:
	case AXVCPU_EXIT_SYSREG_WRITE:
	case AXVCPU_EXIT_NESTED_PAGE_FAULT:
	case AXVCPU_EXIT_HALT:
	case AXVCPU_EXIT_CPU_UP:
	case AXVCPU_EXIT_CPU_DOWN:
	case AXVCPU_EXIT_SYSTEM_DOWN:
	case AXVCPU_EXIT_SEND_IPI:
	case AXVCPU_EXIT_INTERNAL_ERROR:
		return true;
	default:	/* no IO_*, FAIL_ENTRY (x86), NOTHING or EXTERNAL_INTERRUPT */
		return false;
	}
}

static bool hostile_internal_ok(__u32 suberror)
{
	return suberror == AXVCPU_INTERNAL_UNKNOWN_ESR ||
	       suberror == AXVCPU_INTERNAL_SERROR ||
	       suberror == AXVCPU_INTERNAL_FIQ ||
	       suberror == AXVCPU_INTERNAL_INVALID_STATE ||
	       suberror == AXVCPU_INTERNAL_UNKNOWN_EXIT;
}

/* ---- a VM: 1 MiB RAM with the vectors, a read-only slot above it ---- */

struct avm {
	int sys_fd;
	struct axvm_vm vm;
	struct axvm_vcpu vcpu;
	unsigned char *ram, *ro;
};

static void *gptr(struct avm *a, __u64 gpa)
{
	TEST_ASSERT(gpa >= A_RAM_GPA && gpa < A_RAM_GPA + A_RAM_SIZE,
		    "gpa %#llx not in RAM", (unsigned long long)gpa);
	return a->ram + (gpa - A_RAM_GPA);
}

static void set_sysreg(struct avm *a, __u64 id, __u64 val)
{
	struct axvcpu_arm64_sysreg s = { .id = id, .value = val };

	TEST_ASSERT_SYSCALL_OK(ioctl(a->vcpu.fd, AXVCPU_ARM64_SET_SYSREG, &s));
}

static __u64 get_sysreg(struct avm *a, __u64 id)
{
	struct axvcpu_arm64_sysreg s = { .id = id };

	TEST_ASSERT_SYSCALL_OK(ioctl(a->vcpu.fd, AXVCPU_ARM64_GET_SYSREG, &s));
	return s.value;
}

/* Copy @n words to A_CODE_GPA + @off and make them visible to instruction fetch. */
static void put_code(struct avm *a, __u64 off, const __u32 *w, size_t n)
{
	unsigned char *p = gptr(a, A_CODE_GPA + off);

	TEST_ASSERT(off + 4 * n <= A_CODE_MAX, "guest code too long: %zu words", n);
	memcpy(p, w, 4 * n);
	__builtin___clear_cache((char *)p, (char *)p + 4 * n);
}

/*
 * VBAR_EL1 = the vectors, FP/SIMD on at EL1 and EL0, x24-x26 = 0 and x25 =
 * @report, PC = A_CODE_GPA + @off, PSTATE = @pstate, the other registers
 * from @x (or 0).
 */
static void avm_start(struct avm *a, __u64 off, __u64 pstate, const __u64 *x,
		      __u64 sp, int report)
{
	struct axvcpu_arm64_regs r;

	memset(&r, 0, sizeof(r));
	if (x)
		memcpy(r.x, x, sizeof(r.x));
	r.x[24] = r.x[26] = 0;
	r.x[25] = report;
	r.pc = A_CODE_GPA + off;
	r.pstate = pstate;
	r.sp_el1 = sp;
	r.sp_el0 = sp;
	vcpu_set_regs(&a->vcpu, &r);
	set_sysreg(a, enc_to_id(ENC_VBAR), A_VEC_GPA);
	set_sysreg(a, enc_to_id(ENC_CPACR), 3ULL << 20);
}

static void avm_create(struct avm *a)
{
	memset(a, 0, sizeof(*a));
	a->sys_fd = open_dev();
	vm_create(&a->vm, a->sys_fd);
	a->ram = axvm_mem_alloc(A_RAM_SIZE);
	a->ro = axvm_mem_alloc(A_RO_SIZE);
	TEST_ASSERT(a->ram && a->ro, "guest memory");
	memset(a->ro, A_RO_BYTE, A_RO_SIZE);
	memcpy(a->ram, hv_vec_start, GUEST_CODE_LEN(hv_vec));
	__builtin___clear_cache((char *)a->ram, (char *)a->ram + GUEST_CODE_LEN(hv_vec));
	vm_set_region(&a->vm, 0, 0, A_RAM_GPA, A_RAM_SIZE, a->ram);
	vm_set_region(&a->vm, 1, AXVCPU_MEM_READONLY, A_RO_GPA, A_RO_SIZE, a->ro);
	vcpu_create(&a->vm, &a->vcpu, 0);
	vcpu_setup(&a->vcpu, A_CODE_GPA);
	vcpu_bind(&a->vcpu);
}

/* The read-only slot is what the test put there, whatever the guest did. */
static void avm_check_ro(struct avm *a, const char *what)
{
	size_t i;

	for (i = 0; i < A_RO_SIZE; i++)
		TEST_ASSERT(a->ro[i] == A_RO_BYTE,
			    "%s: read-only slot byte %#zx is %#x: a guest store reached it",
			    what, i, a->ro[i]);
}

static void avm_destroy(struct avm *a)
{
	avm_check_ro(a, "destroy");
	axvm_vcpu_close(&a->vcpu);
	axvm_vm_close(&a->vm);
	axvm_mem_free(a->ram, A_RAM_SIZE);
	axvm_mem_free(a->ro, A_RO_SIZE);
	close(a->sys_fd);
}

/* A register value a hostile guest might use: random, or an address of interest. */
static __u64 wild_value(struct hrng *r)
{
	switch (hrng_below(r, 10)) {
	case 0:
		return A_RAM_GPA + hrng_below(r, A_RAM_SIZE);
	case 1:
		return A_RO_GPA + hrng_below(r, A_RO_SIZE);
	case 2:
		return A_MMIO_GPA + hrng_below(r, 0x10000);
	case 3:
		return A_HOLE_GPA + hrng_below(r, 1 << 20);
	case 4:
		return A_RAM_GPA + A_RAM_SIZE - hrng_below(r, 16);	/* RAM | RO edge */
	case 5:
		return 1ULL << hrng_below(r, 64);
	case 6:
		return 0;
	default:
		return hrng_next(r);
	}
}

/*
 * Answer the exit that the guest is waiting on (read exits get seeded
 * values) and say whether the guest can go on: false for the exits after
 * which this guest is over (a fault the VMM does not fix, a crash, a
 * watchdog interrupt, a CPU or system down).
 */
static bool answer(struct hgroup *g, struct axvm_vcpu *v, __u32 reason)
{
	struct axvcpu_run *run = v->run;

	switch (reason) {
	case AXVCPU_EXIT_HYPERCALL:
		run->hypercall.ret = hrng_next(&g->rng);
		return true;
	case AXVCPU_EXIT_MMIO_READ:
		run->mmio.data = hrng_next(&g->rng);
		return true;
	case AXVCPU_EXIT_SYSREG_READ:
		run->sysreg.value = hrng_below(&g->rng, 2) ? 0 : hrng_next(&g->rng);
		return true;
	case AXVCPU_EXIT_MMIO_WRITE:
	case AXVCPU_EXIT_SYSREG_WRITE:
	case AXVCPU_EXIT_HALT:
	case AXVCPU_EXIT_SEND_IPI:
	case AXVCPU_EXIT_CPU_UP:
		return true;
	default:
		return false;
	}
}

/* ---- group 1: random words ---- */

static __u32 random_word(struct hrng *r)
{
	__u32 w = (__u32)hrng_next(r);

	switch (hrng_below(r, 20)) {
	case 0 ... 5:			/* system: MSR/MRS/SYS/hints/barriers/PSTATE */
		return 0xd5000000U | (w & 0x3fffff);
	case 6 ... 7:			/* exception generation: SVC/HVC/SMC/BRK/HLT/DCPS */
		return 0xd4000000U | (w & 0xffffff);
	case 8:				/* branches by register, ERET, RET* */
		return 0xd6000000U | (w & 0x1ffffff);
	case 9 ... 10:			/* loads and stores */
		return (w & 0x3fffffffU) | 0x38000000U;
	default:
		return w;
	}
}

#define RAND_WORDS	48
#define RAND_EXITS	24
#define RAND_RUN_MS	100

static void random_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	static const __u64 modes[] = { 0x3c5, 0x3c4, 0x3c0, 0x005, 0x004, 0x000 };
	__u64 t, deadline = now_ms() + budget;
	__u32 code[RAND_WORDS + 4];
	__u64 x[31];
	struct avm a;
	int i, e;

	for (t = 0; *trials ? t < *trials : now_ms() < deadline; t++) {
		avm_create(&a);
		for (i = 0; i < RAND_WORDS; i++)
			code[i] = random_word(&g->rng);
		code[i++] = i_movz(0, HC_DONE & 0xffff, 0);
		code[i++] = i_movk(0, HC_DONE >> 16, 1);
		code[i++] = I_HVC(0);
		code[i++] = I_B_SELF;
		put_code(&a, 0, code, i);
		hostile_trace_code(g, t, 0, code, 4 * i);
		for (i = 0; i < 31; i++)
			x[i] = wild_value(&g->rng);
		avm_start(&a, 0, modes[hrng_below(&g->rng, ARRAY_SIZE(modes))], x,
			  A_RAM_GPA + 0x80000 + (hrng_below(&g->rng, 0x1000) & ~15ULL),
			  hrng_below(&g->rng, 4) == 0);
		for (e = 0; e < RAND_EXITS; e++) {
			__u32 reason = hrun(g, &a.vcpu, RAND_RUN_MS);

			if (reason == AXVCPU_EXIT_HYPERCALL &&
			    a.vcpu.run->hypercall.nr == HC_DONE)
				break;
			if (!answer(g, &a.vcpu, reason))
				break;
		}
		avm_destroy(&a);
		g->trials++;
	}
	*trials = t;
}

/* Each group runs twice with the same seed and trial count: slab must not grow. */
#define GROUP_TWICE(g, fn, budget) do {					\
	__u64 __n = 0;							\
	long long __s1, __s2;						\
	struct hrng __r0 = (g)->rng;					\
									\
	fn((g), &__n, (budget));					\
	__s1 = hgroup_round_end(g);					\
	(g)->rng = __r0;						\
	fn((g), &__n, (budget));					\
	__s2 = hgroup_round_end(g);					\
	hgroup_slab_compare((g), __s1, __s2);				\
} while (0)

TEST(random_words_el1_el0)
{
	struct hgroup g;

	HOSTILE_GROUP("random_words");
	hgroup_begin(&g, "random_words");
	GROUP_TWICE(&g, random_round, hostile_budget_ms(3000));
	hgroup_end(&g);
}

/* ---- group 2: the system-register space ---- */

/*
 * Item i of the sweep: encoding i / 2 of op0 = 2/3 (op0 low bit, op1,
 * CRn, CRm, op2: 15 bits), MRS for even i, MSR for odd i.  The MRS reads
 * into x(i/2 % 16); the MSR writes either that value back or a random one
 * from x16-x23.  Every SWEEP_BLOCK items the guest stores the item index
 * at A_DATA_GPA, so that after a write that killed it the test knows the
 * block; it replays that block with a marker after each item to find the
 * killer, then goes on after it in a fresh guest.
 */
#define SWEEP_ENCS	32768
#define SWEEP_ITEMS	(2 * SWEEP_ENCS)
#define SWEEP_BLOCK	64
#define SWEEP_RUN_MS	300

static __u32 sweep_enc(unsigned int i)
{
	unsigned int e = i / 2;

	return (2 + (e >> 14)) << 14 | (e & 0x3fff);
}

/* 0: MSR writes back what MRS read, else x16 + n - 1. */
static unsigned char sweep_src[SWEEP_ENCS];
/* Item of each code word, -1 for the markers and the tail. */
static int sweep_item_of[SWEEP_ITEMS + 3 * SWEEP_ITEMS + 16];

static __u32 sweep_word(unsigned int i)
{
	__u32 enc = sweep_enc(i);
	int rt = (i / 2) % 16;

	if (!(i & 1))
		return I_MRS(enc, rt);
	return I_MSR(enc, sweep_src[i / 2] ? 15 + sweep_src[i / 2] : rt);
}

/* Code for items [from, to) with a marker every @blk items; returns the words. */
static size_t sweep_code(__u32 *code, unsigned int from, unsigned int to, unsigned int blk)
{
	size_t n = 0;
	unsigned int i;

	for (i = from; i < to; i++) {
		if ((i - from) % blk == 0) {
			sweep_item_of[n] = -1;
			code[n++] = i_movz(20, i & 0xffff, 0);
			sweep_item_of[n] = -1;
			code[n++] = 0xb90002b4;		/* str w20, [x21] */
		}
		sweep_item_of[n] = i;
		code[n++] = sweep_word(i);
	}
	sweep_item_of[n] = -1;
	code[n++] = i_movz(0, HC_DONE & 0xffff, 0);
	sweep_item_of[n] = -1;
	code[n++] = i_movk(0, HC_DONE >> 16, 1);
	sweep_item_of[n] = -1;
	code[n++] = I_HVC(0);
	sweep_item_of[n] = -1;
	code[n++] = I_B_SELF;
	return n;
}

struct sweep_stats {
	__u64 reads, writes, deaths, guests, undef;
};

/*
 * Run items [from, to) in a fresh guest.  Returns @to when it finished,
 * else the item whose block (of @blk) was running when the guest died.
 */
static unsigned int sweep_run(struct hgroup *g, struct sweep_stats *st, __u32 *code,
			      unsigned int from, unsigned int to, unsigned int blk)
{
	struct axvcpu_run *run;
	unsigned int last, prev = from;
	size_t n = sweep_code(code, from, to, blk);
	__u64 x[31];
	struct avm a;
	int i;

	avm_create(&a);
	put_code(&a, 0, code, n);
	for (i = 0; i < 31; i++)
		x[i] = hrng_next(&g->rng);
	x[21] = A_DATA_GPA;
	*(volatile __u32 *)gptr(&a, A_DATA_GPA) = from;
	avm_start(&a, 0, PSTATE_EL1H, x, A_RAM_GPA + 0x80000, 0);
	run = a.vcpu.run;
	st->guests++;
	for (;;) {
		__u32 reason = hrun(g, &a.vcpu, SWEEP_RUN_MS);
		__u64 pc = run->hw_rip, w = (pc - A_CODE_GPA) / 4;

		if (reason == AXVCPU_EXIT_HYPERCALL && run->hypercall.nr == HC_DONE) {
			st->undef += vcpu_get_gpr(&a.vcpu, 26);
			avm_destroy(&a);
			return to;
		}
		if (reason == AXVCPU_EXIT_SYSREG_READ || reason == AXVCPU_EXIT_SYSREG_WRITE) {
			int it;

			/* The trapped instruction is the item at that PC, field for field. */
			TEST_ASSERT(pc >= A_CODE_GPA && w < n && sweep_item_of[w] >= 0,
				    "sweep: SYSREG exit at pc %#llx, not a sweep item",
				    (unsigned long long)pc);
			it = sweep_item_of[w];
			TEST_ASSERT(run->sysreg.addr == enc_to_id(sweep_enc(it)) &&
				    run->sysreg.is_write == (it & 1) &&
				    run->sysreg.reg == (code[w] & 31),
				    "sweep: item %d (%s %#x) exited as %s addr %#llx reg %u",
				    it, it & 1 ? "MSR" : "MRS", code[w],
				    run->sysreg.is_write ? "write" : "read",
				    (unsigned long long)run->sysreg.addr, run->sysreg.reg);
			if (reason == AXVCPU_EXIT_SYSREG_READ)
				st->reads++;
			else
				st->writes++;
		}
		if (reason == AXVCPU_EXIT_INTR) {
			/* Slow is not dead: go on while the marker moves. */
			unsigned int m = *(volatile __u32 *)gptr(&a, A_DATA_GPA);

			if (m != prev) {
				prev = m;
				continue;
			}
		}
		if (!answer(g, &a.vcpu, reason))
			break;
	}
	/* Dead: the last marker names the block; either byte order (SCTLR_EL1.EE). */
	last = *(volatile __u32 *)gptr(&a, A_DATA_GPA);
	if (last >= SWEEP_ITEMS)
		last = __builtin_bswap32(last);
	TEST_ASSERT(last >= from && last < to,
		    "sweep: dead guest's marker %#x outside [%u, %u)", last, from, to);
	st->deaths++;
	if (st->deaths <= 12)
		printf("# sysreg_sweep: guest died (exit %s, pc %#llx) in the block of item %u (%s %#x)\n",
		       axvm_exit_name(run->exit_reason), (unsigned long long)run->hw_rip,
		       last, last & 1 ? "MSR" : "MRS", sweep_word(last));
	avm_destroy(&a);
	return last;
}

static void sweep_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	static __u32 code[ARRAY_SIZE(sweep_item_of)];
	struct sweep_stats st = { 0 };
	unsigned int i = 0, at;
	__u64 deadline = now_ms() + budget;

	for (at = 0; at < SWEEP_ENCS; at++)
		sweep_src[at] = hrng_below(&g->rng, 2) ? 0 : 1 + hrng_below(&g->rng, 8);
	while (i < SWEEP_ITEMS) {
		unsigned int end = i + 4096 < SWEEP_ITEMS ? i + 4096 : SWEEP_ITEMS;

		TEST_ASSERT(now_ms() < deadline + budget,
			    "sysreg sweep: over twice its budget at item %u", i);
		at = sweep_run(g, &st, code, i, end, SWEEP_BLOCK);
		if (at == end) {
			i = end;
			continue;
		}
		/* Find the killer: one marker per item from its block on. */
		at = sweep_run(g, &st, code, at, end, 1);
		i = at == end ? end : at + 1;
	}
	printf("# sysreg_sweep: %u items (%u encodings x MRS/MSR) in %llu guests, %llu SYSREG reads and %llu writes answered, %llu UNDEF in the guest, %llu guest deaths\n",
	       SWEEP_ITEMS, SWEEP_ENCS, (unsigned long long)st.guests,
	       (unsigned long long)st.reads, (unsigned long long)st.writes,
	       (unsigned long long)st.undef, (unsigned long long)st.deaths);
	g->trials += st.guests;
	*trials = 1;
}

TEST(sysreg_space_mrs_msr)
{
	struct hgroup g;

	HOSTILE_GROUP("sysreg_sweep");
	hgroup_begin(&g, "sysreg_sweep");
	GROUP_TWICE(&g, sweep_round, hostile_budget_ms(15000));
	hgroup_end(&g);
}

/* ---- group 3: wild accesses ---- */

struct wild_op {
	const char *name;
	__u32 insn;		/* base x1, data x2 (and x3) */
	int store;		/* 1 store, 0 load, -1 neither */
};

static const struct wild_op wild_ops[] = {
	{ "str x", 0xf9000022, 1 }, { "str w", 0xb9000022, 1 },
	{ "strh", 0x79000022, 1 }, { "strb", 0x39000022, 1 },
	{ "ldr x", 0xf9400022, 0 }, { "ldr w", 0xb9400022, 0 },
	{ "ldrh", 0x79400022, 0 }, { "ldrb", 0x39400022, 0 },
	{ "ldrsb x", 0x39800022, 0 }, { "ldrsw", 0xb9800022, 0 },
	{ "ldp", 0xa9400c22, 0 }, { "stp", 0xa9000c22, 1 },
	{ "str post", 0xf8008422, 1 }, { "ldr pre", 0xf8408c22, 0 },
	{ "ldxr", 0xc85f7c22, 0 }, { "stxr", 0xc8047c22, 1 },
	{ "ldar", 0xc8dffc22, 0 }, { "stlr", 0xc89ffc22, 1 },
	{ "ldadd", 0xf8220023, 1 }, { "swp", 0xf8228023, 1 },
	{ "cas", 0xc8a27c23, 1 },
	{ "dc zva", 0xd50b7421, 1 }, { "dc civac", 0xd50b7e21, -1 },
	{ "dc ivac", 0xd5087621, -1 }, { "ic ivau", 0xd50b7521, -1 },
	{ "prfm", 0xf9800020, -1 }, { "at s1e1r", 0xd5087801, -1 },
	{ "ld1 q", 0x4c407020, 0 }, { "st1 q", 0x4c007020, 1 },
	{ "ld1 4q", 0x4c402020, 0 },
	{ "br", 0xd61f0020, -1 }, { "blr", 0xd63f0020, -1 },
};

static __u64 wild_addr(struct hrng *r)
{
	__u64 a;

	switch (hrng_below(r, 12)) {
	case 0:
		a = A_RO_GPA + hrng_below(r, A_RO_SIZE);
		break;
	case 1:
		a = A_RO_GPA + A_RO_SIZE - hrng_below(r, 16);	/* RO | hole edge */
		break;
	case 2:
		a = A_RAM_GPA + A_RAM_SIZE - hrng_below(r, 16);	/* RAM | RO edge */
		break;
	case 3 ... 4:
		a = A_MMIO_GPA + hrng_below(r, 0x10000);
		break;
	case 5:
		a = A_HOLE_GPA + hrng_below(r, 1ULL << 24);
		break;
	case 6:
		a = 1ULL << (32 + hrng_below(r, 32));		/* beyond the IPA size */
		break;
	case 7:
		a = hrng_next(r);
		break;
	case 8:
		a = A_VEC_GPA + hrng_below(r, 0x800);	/* the guest's own vectors */
		break;
	case 9:
		a = A_CODE_GPA + hrng_below(r, 64);	/* its own code */
		break;
	default:
		a = A_RAM_GPA + 0x2000 + hrng_below(r, A_RAM_SIZE - 0x2000);
		break;
	}
	if (hrng_below(r, 3))
		a &= ~7ULL;	/* mostly aligned */
	return a;
}

#define WILD_PER_VM	24
#define WILD_RUN_MS	100

static void wild_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	__u64 t = 0, deadline = now_ms() + budget;
	struct axvcpu_run *run;
	__u32 code[8];
	__u64 x[31];
	struct avm a;
	int e;

	while (*trials ? t < *trials : now_ms() < deadline) {
		int k;

		avm_create(&a);
		run = a.vcpu.run;
		for (k = 0; k < WILD_PER_VM && (*trials ? t < *trials : now_ms() < deadline);
		     k++, t++) {
			const struct wild_op *op = &wild_ops[hrng_below(&g->rng, ARRAY_SIZE(wild_ops))];
			__u64 addr = wild_addr(&g->rng);

			code[0] = op->insn;
			code[1] = i_movz(0, HC_DONE & 0xffff, 0);
			code[2] = i_movk(0, HC_DONE >> 16, 1);
			code[3] = I_HVC(0);
			code[4] = I_B_SELF;
			put_code(&a, 0, code, 5);
			memset(x, 0, sizeof(x));
			x[1] = addr;
			x[2] = hrng_next(&g->rng);
			x[3] = hrng_next(&g->rng);
			avm_start(&a, 0, PSTATE_EL1H, x, A_RAM_GPA + 0x80000, 1);
			for (e = 0; e < 8; e++) {
				__u32 reason = hrun(g, &a.vcpu, WILD_RUN_MS);

				if (reason == AXVCPU_EXIT_HYPERCALL &&
				    run->hypercall.nr == HC_DONE)
					break;
				if (reason == AXVCPU_EXIT_MMIO_READ ||
				    reason == AXVCPU_EXIT_MMIO_WRITE) {
					/* Only where no slot is, never RAM or the RO slot's reads. */
					TEST_ASSERT(!(run->mmio.addr >= A_RAM_GPA &&
						      run->mmio.addr < A_RAM_GPA + A_RAM_SIZE) &&
						    !(reason == AXVCPU_EXIT_MMIO_READ &&
						      run->mmio.addr >= A_RO_GPA &&
						      run->mmio.addr < A_RO_GPA + A_RO_SIZE),
						    "wild %s at %#llx: MMIO %s exit at %#llx inside a slot",
						    op->name, (unsigned long long)addr,
						    reason == AXVCPU_EXIT_MMIO_READ ? "read" : "write",
						    (unsigned long long)run->mmio.addr);
					TEST_ASSERT(run->mmio.width == 1 || run->mmio.width == 2 ||
						    run->mmio.width == 4 || run->mmio.width == 8,
						    "wild %s: MMIO width %u", op->name, run->mmio.width);
				}
				if (reason == AXVCPU_EXIT_NESTED_PAGE_FAULT)
					TEST_ASSERT(run->npf.access &&
						    !(run->npf.access & ~7ULL),
						    "wild %s at %#llx: npf.access %#llx",
						    op->name, (unsigned long long)addr,
						    (unsigned long long)run->npf.access);
				if (!answer(g, &a.vcpu, reason))
					break;
			}
			avm_check_ro(&a, op->name);
			/* The vectors may have been hit by a store: put them back. */
			memcpy(a.ram, hv_vec_start, GUEST_CODE_LEN(hv_vec));
			__builtin___clear_cache((char *)a.ram, (char *)a.ram + 0x800);
		}
		avm_destroy(&a);
		g->trials += k;
	}
	*trials = t;
}

TEST(wild_accesses)
{
	struct hgroup g;

	HOSTILE_GROUP("wild_accesses");
	hgroup_begin(&g, "wild_accesses");
	GROUP_TWICE(&g, wild_round, hostile_budget_ms(2500));
	hgroup_end(&g);
}

/* ---- group 4: exceptions, SMC, HVC, broken vectors, SMC code ---- */

/*
 * Run a prepared guest until HC_DONE or a final exit, answering the rest.
 * Returns the final exit reason (HYPERCALL for HC_DONE).  The GH_SYNC
 * reports of the vectors are counted in @syncs with the first ESR in @esr.
 */
static __u32 run_case(struct hgroup *g, struct avm *a, int max_exits, int *syncs, __u64 *esr)
{
	struct axvcpu_run *run = a->vcpu.run;
	__u32 reason = AXVCPU_EXIT_INTR;
	int e;

	for (e = 0; e < max_exits; e++) {
		reason = hrun(g, &a->vcpu, 200);
		if (reason == AXVCPU_EXIT_HYPERCALL && run->hypercall.nr == HC_DONE)
			return reason;
		if (reason == AXVCPU_EXIT_HYPERCALL && run->hypercall.nr == GH_SYNC) {
			if (syncs && !(*syncs)++ && esr)
				*esr = run->hypercall.args[0];
			run->hypercall.ret = 0;
			continue;
		}
		if (!answer(g, &a->vcpu, reason))
			return reason;
	}
	return reason;
}

/* Code: mov64 of @x0 into x0, @insn, nop, HC_DONE hvc with x1 = x0. */
static size_t code_with(__u32 *c, __u64 x0, __u32 insn)
{
	size_t n = 0;

	c[n++] = i_movz(0, x0 & 0xffff, 0);
	c[n++] = i_movk(0, x0 >> 16 & 0xffff, 1);
	c[n++] = i_movk(0, x0 >> 32 & 0xffff, 2);
	c[n++] = i_movk(0, x0 >> 48 & 0xffff, 3);
	c[n++] = insn;
	c[n++] = I_NOP;			/* SVC's ELR is past it: skipped, harmless */
	c[n++] = 0xaa0003e1;		/* mov x1, x0 */
	c[n++] = i_movz(0, HC_DONE & 0xffff, 0);
	c[n++] = i_movk(0, HC_DONE >> 16, 1);
	c[n++] = I_HVC(0);
	c[n++] = I_B_SELF;
	return n;
}

/* One instruction at EL1 that the guest's own vectors must take, with EC @ec. */
static void expect_guest_exc(struct hgroup *g, const char *what, __u32 insn,
			     unsigned int ec, bool or_internal)
{
	__u32 c[16], reason;
	__u64 esr = 0;
	int syncs = 0;
	struct avm a;

	avm_create(&a);
	put_code(&a, 0, c, code_with(c, hrng_next(&g->rng), insn));
	avm_start(&a, 0, PSTATE_EL1H, NULL, A_RAM_GPA + 0x80000, 1);
	/*
	 * SCTLR_EL1.EnIA/EnIB/EnDA/EnDB: with a key disabled PACIA & co. are
	 * NOPs that never reach HCR_EL2.API's trap (Arm ARM, AddPACIA()).
	 */
	set_sysreg(&a, SYSREG_ID(3, 0, 1, 0, 0), get_sysreg(&a, SYSREG_ID(3, 0, 1, 0, 0)) |
		   1ULL << 31 | 1ULL << 30 | 1ULL << 27 | 1ULL << 13);
	reason = run_case(g, &a, 8, &syncs, &esr);
	if (or_internal && reason == AXVCPU_EXIT_INTERNAL_ERROR) {
		printf("# exceptions: %s (%#x): INTERNAL_ERROR suberror %u ESR %#llx\n", what,
		       insn, a.vcpu.run->internal.suberror,
		       (unsigned long long)a.vcpu.run->internal.data[0]);
	} else {
		TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL && syncs == 1 && (esr >> 26) == ec,
			    "%s (%#x): exit %s, %d guest exceptions, ESR_EL1 %#llx; expected one with EC %#x",
			    what, insn, axvm_exit_name(reason), syncs,
			    (unsigned long long)esr, ec);
	}
	avm_destroy(&a);
	g->trials++;
}

/* SMC @imm with function id @fn: PSCI is answered, anything else returns -1. */
static void smc_case(struct hgroup *g, __u64 fn, __u32 imm)
{
	struct axvcpu_run *run;
	__u32 c[16], reason;
	struct avm a;

	avm_create(&a);
	run = a.vcpu.run;
	put_code(&a, 0, c, code_with(c, fn, I_SMC(imm)));
	avm_start(&a, 0, PSTATE_EL1H, NULL, A_RAM_GPA + 0x80000, 1);
	reason = run_case(g, &a, 4, NULL, NULL);
	switch ((__u32)fn) {
	case G_PSCI_SYSTEM_OFF:
	case G_PSCI_SYSTEM_RESET:
		TEST_ASSERT(reason == AXVCPU_EXIT_SYSTEM_DOWN,
			    "smc #%#x fn %#llx: exit %s, expected SYSTEM_DOWN", imm,
			    (unsigned long long)fn, axvm_exit_name(reason));
		break;
	case G_PSCI_CPU_OFF:
		TEST_ASSERT(reason == AXVCPU_EXIT_CPU_DOWN,
			    "smc #%#x fn %#llx: exit %s, expected CPU_DOWN", imm,
			    (unsigned long long)fn, axvm_exit_name(reason));
		break;
	default:
		if (((__u32)fn & 0xbfffffe0U) == 0x84000000U)
			break;	/* another PSCI call: whatever PSCI says */
		TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL &&
			    run->hypercall.args[0] == (__u64)-1LL,
			    "smc #%#x fn %#llx: exit %s x0 %#llx, expected NOT_SUPPORTED (-1) in the guest",
			    imm, (unsigned long long)fn, axvm_exit_name(reason),
			    (unsigned long long)run->hypercall.args[0]);
	}
	avm_destroy(&a);
	g->trials++;
}

/*
 * VBAR_EL1 at @vbar, then UDF: the exception entry itself fetches from
 * there.  Unmapped or MMIO: a NESTED_PAGE_FAULT (execute) at the vector,
 * and after the VMM maps the vectors there the guest takes the UNDEF
 * through them.  The read-only slot (filled with UDF #0xa5a5): the entry
 * loops on its own UNDEF forever and only the watchdog ends RUN.
 */
static void vbar_case(struct hgroup *g, __u64 vbar)
{
	struct axvcpu_run *run;
	unsigned char *extra = NULL;
	__u32 c[16], reason;
	struct avm a;
	__u64 esr = 0;
	int syncs = 0;

	avm_create(&a);
	run = a.vcpu.run;
	put_code(&a, 0, c, code_with(c, 0, I_UDF(0x1234)));
	avm_start(&a, 0, PSTATE_EL1H, NULL, A_RAM_GPA + 0x80000, 1);
	set_sysreg(&a, enc_to_id(ENC_VBAR), vbar);
	reason = run_case(g, &a, 4, NULL, NULL);
	if (vbar >= A_RO_GPA && vbar < A_RO_GPA + A_RO_SIZE) {
		/* Runs the slot's bytes as code: any documented end will do. */
		printf("# exceptions: VBAR_EL1 in the read-only slot: %s at pc %#llx\n",
		       axvm_exit_name(reason), (unsigned long long)run->hw_rip);
		goto out;
	}
	TEST_ASSERT(reason == AXVCPU_EXIT_NESTED_PAGE_FAULT &&
		    run->npf.gpa == vbar + 0x200 && run->npf.access == AXVCPU_ACCESS_EXECUTE,
		    "VBAR_EL1 %#llx, UDF: exit %s gpa %#llx access %#llx; expected NESTED_PAGE_FAULT execute at %#llx",
		    (unsigned long long)vbar, axvm_exit_name(reason),
		    (unsigned long long)run->npf.gpa, (unsigned long long)run->npf.access,
		    (unsigned long long)vbar + 0x200);
	/* The VMM fixes it: the vectors appear there; the exception is taken again. */
	extra = axvm_mem_alloc(0x10000);
	memcpy(extra, hv_vec_start, GUEST_CODE_LEN(hv_vec));
	__builtin___clear_cache((char *)extra, (char *)extra + 0x800);
	vm_set_region(&a.vm, 2, 0, vbar & ~0xffffULL, 0x10000, extra);
	TEST_ASSERT((vbar & 0xffff) == 0, "vbar %#llx", (unsigned long long)vbar);
	reason = run_case(g, &a, 8, &syncs, &esr);
	TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL && syncs == 1 && (esr >> 26) == 0,
		    "VBAR_EL1 %#llx mapped after the fault: exit %s, %d exceptions ESR %#llx; expected the UNDEF (EC 0) once",
		    (unsigned long long)vbar, axvm_exit_name(reason), syncs,
		    (unsigned long long)esr);
out:
	avm_destroy(&a);
	if (extra)
		axvm_mem_free(extra, 0x10000);
	g->trials++;
}

/*
 * Self-modifying code: the guest writes "movz x1, #k" over its next
 * instruction slot, cleans and invalidates to the point of unification,
 * executes it and reports x1; 64 times with k from the VMM (x2).
 */
static void smc_code_case(struct hgroup *g)
{
	struct axvcpu_run *run;
	__u32 c[24];
	struct avm a;
	size_t n = 0;
	int k;

	c[n++] = 0x10000189;			/* 0: adr x9, #0x30 (word 12) */
	c[n++] = 0xb9000124;			/* 1: str w4, [x9] */
	c[n++] = 0xd50b7b29;			/* 2: dc cvau, x9 */
	c[n++] = I_DSB_ISH;			/* 3 */
	c[n++] = 0xd50b7529;			/* 4: ic ivau, x9 */
	c[n++] = I_DSB_ISH;			/* 5 */
	c[n++] = I_ISB;				/* 6 */
	while (n < 12)
		c[n++] = I_NOP;			/* 7-11 */
	c[n++] = i_movz(1, 0xdead, 0);		/* 12: the guest rewrites it */
	c[n++] = i_movz(0, HC_DONE & 0xffff, 0);
	c[n++] = i_movk(0, HC_DONE >> 16, 1);
	c[n++] = I_HVC(0);
	c[n++] = I_B_SELF;

	avm_create(&a);
	run = a.vcpu.run;
	for (k = 0; k < 64; k++) {
		__u16 val = hrng_next(&g->rng);
		__u64 x[31] = { 0 };
		__u32 reason;

		/* The old instruction back, then w4 = the new one for the guest to store. */
		put_code(&a, 0, c, n);
		x[4] = i_movz(1, val, 0);
		avm_start(&a, 0, PSTATE_EL1H, x, A_RAM_GPA + 0x80000, 1);
		reason = run_case(g, &a, 4, NULL, NULL);
		TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL &&
			    run->hypercall.args[0] == val,
			    "self-modifying code %d: exit %s x1 %#llx, expected %#x (the new instruction)",
			    k, axvm_exit_name(reason),
			    (unsigned long long)run->hypercall.args[0], val);
	}
	avm_destroy(&a);
	g->trials++;
}

/* WFI at EL1: a HALT exit, then the guest goes on past it. */
static void wfi_case(struct hgroup *g)
{
	__u32 c[16], reason;
	struct avm a;

	avm_create(&a);
	put_code(&a, 0, c, code_with(c, 0, I_WFI));
	avm_start(&a, 0, PSTATE_EL1H, NULL, A_RAM_GPA + 0x80000, 1);
	reason = hrun(g, &a.vcpu, 200);
	TEST_ASSERT(reason == AXVCPU_EXIT_HALT, "wfi: exit %s, expected HALT",
		    axvm_exit_name(reason));
	reason = run_case(g, &a, 4, NULL, NULL);
	TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL, "after wfi: exit %s, expected HC_DONE",
		    axvm_exit_name(reason));
	avm_destroy(&a);
	g->trials++;
}

static void exceptions_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	static const __u64 psci[] = {
		G_PSCI_VERSION, G_PSCI_FEATURES, G_PSCI_AFFINITY_INFO_64,
		G_PSCI_SYSTEM_OFF, G_PSCI_SYSTEM_RESET, G_PSCI_CPU_OFF,
		0x84000006, 0x8400001f, 0xc400001f, 0x80000000, 0x80008000,
		0x80003fff, 0x86000000, 0xc2000000, 0xffffffff, 0,
	};
	int i;

	(void)budget;
	for (i = 0; i < (int)ARRAY_SIZE(psci); i++)
		smc_case(g, psci[i], 0);
	for (i = 0; i < 8; i++) {
		smc_case(g, hrng_next(&g->rng), hrng_below(&g->rng, 0x10000));
		smc_case(g, 0x84000000 + hrng_below(&g->rng, 0x20) +
			 (hrng_below(&g->rng, 2) << 30), hrng_below(&g->rng, 0x10000));
	}
	/* The guest's own exceptions: EC UNKNOWN, SVC64, BRK64, PC alignment. */
	expect_guest_exc(g, "udf", I_UDF(hrng_below(&g->rng, 0x10000)), 0x00, false);
	expect_guest_exc(g, "hlt", I_HLT(hrng_below(&g->rng, 0x10000)), 0x00, false);
	expect_guest_exc(g, "svc at EL1", I_SVC(hrng_below(&g->rng, 0x10000)), 0x15, false);
	/* BRK is the guest's unless the module routes debug to itself (MDCR_EL2.TDE). */
	expect_guest_exc(g, "brk at EL1", I_BRK(hrng_below(&g->rng, 0x10000)), 0x3c, true);
	/* PAC is hidden: the non-hint forms are UNDEFINED (trapped or not). */
	expect_guest_exc(g, "pacia x1, x2", 0xdac10041, 0x00, false);
	expect_guest_exc(g, "autda x1, x2", 0xdac11841, 0x00, false);
	expect_guest_exc(g, "pacga x1, x2, x3", 0x9ac33041, 0x00, false);
	expect_guest_exc(g, "retaa", 0xd65f0bff, 0x00, false);
	/* Undefined and reserved encodings. */
	for (i = 0; i < 16; i++) {
		static const __u32 undef[] = {
			0x00000000, 0x0000ffff, 0xe7f000f0, 0xd4a00001,	/* DCPS1: EL2 absent for the guest */
			0xd4a00002, 0xd4a00003, 0xd503233f /* paciasp hint: nop */,
			0xd500401f /* msr pan */, 0xd6bf03e0 /* drps */,
		};
		__u32 w = undef[hrng_below(&g->rng, ARRAY_SIZE(undef))];
		__u32 c[16], reason;
		struct avm a;

		avm_create(&a);
		put_code(&a, 0, c, code_with(c, 0, w));
		avm_start(&a, 0, PSTATE_EL1H, NULL, A_RAM_GPA + 0x80000, 1);
		reason = run_case(g, &a, 8, NULL, NULL);
		TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL || reason == AXVCPU_EXIT_INTERNAL_ERROR,
			    "encoding %#x: exit %s", w, axvm_exit_name(reason));
		avm_destroy(&a);
		g->trials++;
	}
	/* HVC with odd immediates: a hypercall like any other, PC past it. */
	for (i = 0; i < 8; i++) {
		__u32 imm = i ? hrng_below(&g->rng, 0x10000) : 0xffff, c[16], reason;
		struct axvcpu_run *run;
		struct avm a;

		avm_create(&a);
		run = a.vcpu.run;
		put_code(&a, 0, c, code_with(c, 0x4f444400 + i, I_HVC(imm)));
		avm_start(&a, 0, PSTATE_EL1H, NULL, A_RAM_GPA + 0x80000, 1);
		reason = hrun(g, &a.vcpu, 200);
		TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL &&
			    run->hypercall.nr == 0x4f444400ULL + i &&
			    (run->hw_rip == A_CODE_GPA + 16 || run->hw_rip == A_CODE_GPA + 20),
			    "hvc #%#x: exit %s nr %#llx pc %#llx", imm, axvm_exit_name(reason),
			    (unsigned long long)run->hypercall.nr,
			    (unsigned long long)run->hw_rip);
		run->hypercall.ret = 0x1234;
		reason = run_case(g, &a, 4, NULL, NULL);
		TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL && run->hypercall.args[0] == 0x1234,
			    "hvc #%#x: answer %#llx in x0, expected 0x1234", imm,
			    (unsigned long long)run->hypercall.args[0]);
		avm_destroy(&a);
		g->trials++;
	}
	wfi_case(g);
	/* Exceptions whose entry cannot fetch its vector. */
	vbar_case(g, A_HOLE_GPA);
	vbar_case(g, A_MMIO_GPA);
	vbar_case(g, A_RO_GPA);
	/* Fetch from unmapped memory and from MMIO. */
	for (i = 0; i < 3; i++) {
		static const __u64 tgt[] = { A_HOLE_GPA + 0x1000, A_MMIO_GPA, 1ULL << 39 };
		struct axvcpu_run *run;
		__u32 c[16], reason;
		struct avm a;

		avm_create(&a);
		run = a.vcpu.run;
		put_code(&a, 0, c, code_with(c, tgt[i], 0xd61f0000 /* br x0 */));
		avm_start(&a, 0, PSTATE_EL1H, NULL, A_RAM_GPA + 0x80000, 1);
		reason = run_case(g, &a, 4, NULL, NULL);
		if (i < 2)
			TEST_ASSERT(reason == AXVCPU_EXIT_NESTED_PAGE_FAULT &&
				    run->npf.gpa == tgt[i] &&
				    run->npf.access == AXVCPU_ACCESS_EXECUTE,
				    "br to %#llx: exit %s gpa %#llx access %#llx",
				    (unsigned long long)tgt[i], axvm_exit_name(reason),
				    (unsigned long long)run->npf.gpa,
				    (unsigned long long)run->npf.access);
		avm_destroy(&a);
		g->trials++;
	}
	smc_code_case(g);
	*trials = 1;
}

TEST(exceptions_smc_hvc_vectors)
{
	struct hgroup g;

	HOSTILE_GROUP("exceptions");
	hgroup_begin(&g, "exceptions");
	GROUP_TWICE(&g, exceptions_round, 0);
	hgroup_end(&g);
}

/* ---- the end: everything since the program began ---- */

TEST(host_intact_at_end)
{
	char first[512] = "", last[32];
	int bad;

	host_basics_check("end");
	TEST_ASSERT(wait_refcnt("0", 3000, last, sizeof(last)),
		    "module refcnt %s at the end, expected 0", last);
	bad = kmsg_bad_since(hostile_kmsg_start, first, sizeof(first));
	TEST_ASSERT(bad == 0, "kernel log: %d bad lines since the program began; first: %s",
		    bad, first);
	TEST_ASSERT(rd_tpidr() != 0, "TPIDR_EL0 is 0");
}

int main(int argc, char **argv)
{
	(void)yield_thread;
	(void)pin;
	return hostile_main(argc, argv);
}
