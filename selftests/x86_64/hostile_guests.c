// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_guests (x86_64) - guests that do hostile things, seeded and
 * bounded; each must end in an exit the ABI documents for x86 while the
 * host stays intact.  The broad sweep beside x86_exits.c, x86_intercepts.c,
 * x86_misc_exits.c, x86_guest_msrs.c and x86_host*.c, which check precise
 * cases:
 *  - random bytes in real, protected and long mode with random registers,
 *    biased towards system opcodes;
 *  - IN/OUT over the port space in a guest loop, every exit checked (port,
 *    width, direction, the OUT data = the test's answer to the IN before
 *    it): the interesting ports at widths 1/2/4, then byte accesses over
 *    all 65536 ports in a seeded order (start, odd stride), cut at the
 *    group's deadline under a slow emulator (the count is printed);
 *  - RDMSR then WRMSR (the value read, or xored with a seeded mask) over
 *    0-0x1fff, 0xc0000000-0xc0001fff, 0x40000000-0x400000ff and random
 *    bases, a #GP handler counting the refused ones;
 *  - MOV to CR0/CR3/CR4/CR8 and DR0-DR7 with random values in real and long
 *    mode, a handler stepping over each faulting MOV;
 *  - exceptions during event delivery: a null IDT (triple fault), an IDT
 *    in unmapped memory then mapped with non-present gates, a stack in
 *    unmapped memory and in the read-only slot, injected events into a
 *    null IDT, a real-mode vector pointing outside every slot, #DB loops
 *    (a data breakpoint on the #DB frame, a code breakpoint on the #DB
 *    handler) that must still end at the watchdog;
 *  - wild accesses (MOV forms, read-modify-write, string, SSE, FXSAVE,
 *    CLFLUSH, far branches) to RAM, the read-only slot (never changes),
 *    MMIO, the local APIC page and unmapped memory; self-modifying code.
 * Every RUN is bounded by a SIGALRM watchdog that also sets immediate_exit,
 * and made with known XMM0-15 that must come back, the FS/GS bases and
 * TSC_AUX (RDTSCP) unchanged.  After each group: signals, CLOCK_MONOTONIC,
 * a timerfd, the kernel log since the group began, the module refcnt back
 * to its value and kmalloc slab not grown by a second identical round.
 *
 * --seed N or AXVCPU_HOSTILE_SEED=N repeats a run; AXVCPU_HOSTILE_SCALE=P
 * scales the time budgets to P percent.
 */
#include <asm/prctl.h>
#include <sched.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"
#include "hostile.h"

#define HC_DONE		0x484f5354ULL	/* "HOST": the guest finished */
#define HC_EXC		0x45584300ULL	/* an exception handler ran: | vector */
#define H_GPA		0x6000ULL	/* the handler blob */
#define CODE_GPA	GUEST_ENTRY
#define CODE_MAX	0x4000
#define RO_GPA		SLOT1_GPA	/* 0x10000: a read-only slot */
#define RO_SIZE		0x10000ULL
#define RO_BYTE		0xa5
#define HOLE_GPA	0x3ff00000ULL	/* no slot; inside long mode's 1 GiB identity map */
#define APIC_GPA	0xfee00000ULL

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

/* ---- guest code ---- */

GUEST_CODE(g_ports);
GUEST_CODE(g_msr);
GUEST_CODE(g_hx);
extern const unsigned char g_msr_gp[], h16_skip4[], h64_noerr[], h64_err[],
	h64_report[], h16_report[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    /* DX = first port, BX = stride, ECX = count, SI != 0: widths 1, 2 and 4. */
    ".global g_ports_start, g_ports_end\n"
    "g_ports_start:\n"
    "1:	test %si, %si\n"
    "	jnz 2f\n"
    "	in %dx, %al\n"
    "	out %al, %dx\n"
    "	jmp 3f\n"
    "2:	in %dx, %al\n"
    "	out %al, %dx\n"
    "	in %dx, %ax\n"
    "	out %ax, %dx\n"
    "	in %dx, %eax\n"
    "	out %eax, %dx\n"
    "3:	add %bx, %dx\n"
    "	dec %ecx\n"
    "	jnz 1b\n"
    "	mov $" __stringify(HC_DONE) ", %eax\n"
    "	vmcall\n"
    "	hlt\n"
    "g_ports_end:\n"

    /*
     * MSR base + ((ESI += EBP) & EDI), [0x8000] times: RDMSR, EDX:EAX ^=
     * [0x8008]:[0x8004], WRMSR.  #GP (IVT 13 -> g_msr_gp): [0x800c]++, skip
     * the two-byte RDMSR/WRMSR.
     */
    ".global g_msr_start, g_msr_end, g_msr_gp\n"
    "g_msr_start:\n"
    "1:	mov %esi, %ecx\n"
    "	and %edi, %ecx\n"
    "	add %ebx, %ecx\n"
    "	rdmsr\n"
    "	xor 0x8004, %eax\n"
    "	xor 0x8008, %edx\n"
    "	wrmsr\n"
    "	add %ebp, %esi\n"
    "	decl 0x8000\n"
    "	jnz 1b\n"
    "	mov $" __stringify(HC_DONE) ", %eax\n"
    "	mov 0x800c, %edi\n"
    "	vmcall\n"
    "	hlt\n"
    "g_msr_gp:\n"
    "	incl 0x800c\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	addw $2, 2(%bp)\n"
    "	pop %bp\n"
    "	iret\n"
    "g_msr_end:\n"

    /* Handlers, copied to H_GPA. */
    ".global g_hx_start, g_hx_end, h16_skip4, h16_report, h64_noerr, h64_err, h64_report\n"
    "g_hx_start:\n"
    "h16_skip4:\n"			/* real mode: step over a 4-byte MOV CR/DR */
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	addw $4, 2(%bp)\n"
    "	pop %bp\n"
    "	iret\n"
    "h16_report:\n"
    "	mov $" __stringify(HC_EXC) ", %eax\n"
    "	vmcall\n"
    "	hlt\n"
    "	jmp h16_report\n"
    ".code64\n"
    "h64_noerr:\n"			/* long mode: step over a 4-byte MOV */
    "	addq $4, (%rsp)\n"
    "	iretq\n"
    "h64_err:\n"
    "	add $8, %rsp\n"
    "	addq $4, (%rsp)\n"
    "	iretq\n"
    "h64_report:\n"
    "	mov $" __stringify(HC_EXC) ", %eax\n"
    "	vmcall\n"
    "	hlt\n"
    "	jmp h64_report\n"
    "g_hx_end:\n"
    ".popsection\n");

#define HX(sym)	(H_GPA + (__u64)((const unsigned char *)(sym) - g_hx_start))

/* ---- the host side of a RUN ---- */

/*
 * The raw RUN with XMM0-15 loaded from @in and stored to @out after it:
 * a syscall keeps a task's SSE state whatever the guest did with the FPU.
 */
static long xmm_ioctl(long fd, const __u64 *in, __u64 *out)
{
	long ret;

	asm volatile("movdqu 0x00(%[in]), %%xmm0\n\t"
		     "movdqu 0x10(%[in]), %%xmm1\n\t"
		     "movdqu 0x20(%[in]), %%xmm2\n\t"
		     "movdqu 0x30(%[in]), %%xmm3\n\t"
		     "movdqu 0x40(%[in]), %%xmm4\n\t"
		     "movdqu 0x50(%[in]), %%xmm5\n\t"
		     "movdqu 0x60(%[in]), %%xmm6\n\t"
		     "movdqu 0x70(%[in]), %%xmm7\n\t"
		     "movdqu 0x80(%[in]), %%xmm8\n\t"
		     "movdqu 0x90(%[in]), %%xmm9\n\t"
		     "movdqu 0xa0(%[in]), %%xmm10\n\t"
		     "movdqu 0xb0(%[in]), %%xmm11\n\t"
		     "movdqu 0xc0(%[in]), %%xmm12\n\t"
		     "movdqu 0xd0(%[in]), %%xmm13\n\t"
		     "movdqu 0xe0(%[in]), %%xmm14\n\t"
		     "movdqu 0xf0(%[in]), %%xmm15\n\t"
		     "syscall\n\t"
		     "movdqu %%xmm0, 0x00(%[out])\n\t"
		     "movdqu %%xmm1, 0x10(%[out])\n\t"
		     "movdqu %%xmm2, 0x20(%[out])\n\t"
		     "movdqu %%xmm3, 0x30(%[out])\n\t"
		     "movdqu %%xmm4, 0x40(%[out])\n\t"
		     "movdqu %%xmm5, 0x50(%[out])\n\t"
		     "movdqu %%xmm6, 0x60(%[out])\n\t"
		     "movdqu %%xmm7, 0x70(%[out])\n\t"
		     "movdqu %%xmm8, 0x80(%[out])\n\t"
		     "movdqu %%xmm9, 0x90(%[out])\n\t"
		     "movdqu %%xmm10, 0xa0(%[out])\n\t"
		     "movdqu %%xmm11, 0xb0(%[out])\n\t"
		     "movdqu %%xmm12, 0xc0(%[out])\n\t"
		     "movdqu %%xmm13, 0xd0(%[out])\n\t"
		     "movdqu %%xmm14, 0xe0(%[out])\n\t"
		     "movdqu %%xmm15, 0xf0(%[out])\n\t"
		     : "=a"(ret)
		     : "a"((long)SYS_ioctl), "D"(fd), "S"((long)AXVCPU_RUN), "d"(0L),
		       [in] "r"(in), [out] "r"(out)
		     : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		       "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
		       "xmm12", "xmm13", "xmm14", "xmm15");
	return ret;
}

static __u64 xmm_in[32], xmm_out[32];
static unsigned long host_fs, host_gs;
static __u32 host_mxcsr;
static bool host_rdtscp;
static __u32 host_tsc_aux;
static bool host_init_done;

static __u32 rd_tsc_aux(void)
{
	__u32 lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

static __u32 rd_mxcsr(void)
{
	__u32 v;

	asm volatile("stmxcsr %0" : "=m"(v));
	return v;
}

/* Pinned to CPU 0, so that TSC_AUX (the CPU number for RDTSCP) stays the same. */
static void host_init(void)
{
	cpu_set_t set;
	__u32 a, b, c, d;
	int i;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
	for (i = 0; i < 32; i++)
		xmm_in[i] = 0x5a5a000000000000ULL | (__u64)i << 32 | (0x1111 * i);
	TEST_ASSERT_SYSCALL_OK(syscall(SYS_arch_prctl, ARCH_GET_FS, &host_fs));
	TEST_ASSERT_SYSCALL_OK(syscall(SYS_arch_prctl, ARCH_GET_GS, &host_gs));
	host_mxcsr = rd_mxcsr();
	host_cpuid(0x80000001, 0, &a, &b, &c, &d);
	host_rdtscp = d & (1U << 27);
	if (host_rdtscp)
		host_tsc_aux = rd_tsc_aux();
	host_init_done = true;
}

static int hostile_arch_run(struct hgroup *g, struct axvm_vcpu *v)
{
	unsigned long fs = 0, gs = 0;
	long r;
	int i;

	if (!host_init_done)
		host_init();
	r = xmm_ioctl(v->fd, xmm_in, xmm_out);
	for (i = 0; i < 32; i++)
		TEST_ASSERT(xmm_out[i] == xmm_in[i],
			    "%s: host XMM%d[%d] = %#llx after RUN (exit %u), was %#llx",
			    g->name, i / 2, i % 2, (unsigned long long)xmm_out[i],
			    v->run->exit_reason, (unsigned long long)xmm_in[i]);
	TEST_ASSERT_SYSCALL_OK(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	TEST_ASSERT_SYSCALL_OK(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
	TEST_ASSERT(fs == host_fs && gs == host_gs,
		    "%s: host FS base %#lx (was %#lx) GS base %#lx (was %#lx) after RUN",
		    g->name, fs, host_fs, gs, host_gs);
	TEST_ASSERT(rd_mxcsr() == host_mxcsr, "%s: host MXCSR %#x, was %#x", g->name,
		    rd_mxcsr(), host_mxcsr);
	if (host_rdtscp)
		TEST_ASSERT(rd_tsc_aux() == host_tsc_aux,
			    "%s: host TSC_AUX %#x after RUN, was %#x (guest's leaked?)",
			    g->name, rd_tsc_aux(), host_tsc_aux);
	return r < 0 ? (int)r : 0;
}

static bool hostile_exit_ok(__u32 reason)
{
	switch (reason) {
	case AXVCPU_EXIT_HYPERCALL:
	case AXVCPU_EXIT_MMIO_READ:
	case AXVCPU_EXIT_MMIO_WRITE:
	case AXVCPU_EXIT_SYSREG_READ:
	case AXVCPU_EXIT_SYSREG_WRITE:
	case AXVCPU_EXIT_IO_READ:
	case AXVCPU_EXIT_IO_WRITE:
	case AXVCPU_EXIT_NESTED_PAGE_FAULT:
	case AXVCPU_EXIT_HALT:
	case AXVCPU_EXIT_CPU_UP:
	case AXVCPU_EXIT_SYSTEM_DOWN:
	case AXVCPU_EXIT_SEND_IPI:
	case AXVCPU_EXIT_FAIL_ENTRY:
	case AXVCPU_EXIT_INTERNAL_ERROR:
		return true;
	default:	/* no CPU_DOWN (arm64), NOTHING or EXTERNAL_INTERRUPT */
		return false;
	}
}

static bool hostile_internal_ok(__u32 suberror)
{
	return suberror == AXVCPU_INTERNAL_UNKNOWN_EXIT ||
	       suberror == AXVCPU_INTERNAL_INVALID_STATE ||
	       suberror == AXVCPU_INTERNAL_UNHANDLED_IO ||
	       suberror == AXVCPU_INTERNAL_EMULATION ||
	       suberror == AXVCPU_INTERNAL_VMX_UNAVAILABLE ||
	       suberror == AXVCPU_INTERNAL_MACHINE_CHECK;
}

/* ---- a VM: the 64 KiB test slot, a read-only slot above it ---- */

struct xvm {
	struct test_vm t;
	unsigned char *ro;
};

static void xvm_create(struct xvm *x)
{
	test_vm_create(&x->t, NULL, 0);
	memcpy(guest_ptr(&x->t, H_GPA), g_hx_start, GUEST_CODE_LEN(g_hx));
	x->ro = axvm_mem_alloc(RO_SIZE);
	TEST_ASSERT(x->ro, "read-only slot memory");
	memset(x->ro, RO_BYTE, RO_SIZE);
	vm_set_region(&x->t.vm, 1, AXVCPU_MEM_READONLY, RO_GPA, RO_SIZE, x->ro);
}

static void xvm_check_ro(struct xvm *x, const char *what)
{
	size_t i;

	for (i = 0; i < RO_SIZE; i++)
		TEST_ASSERT(x->ro[i] == RO_BYTE,
			    "%s: read-only slot byte %#zx is %#x: a guest store reached it",
			    what, i, x->ro[i]);
}

static void xvm_destroy(struct xvm *x)
{
	xvm_check_ro(x, "destroy");
	test_vm_destroy(&x->t);
	axvm_mem_free(x->ro, RO_SIZE);
}

/* Answer the exit; false when this guest is over. */
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
	case AXVCPU_EXIT_IO_READ:
		run->io.data = hrng_next(&g->rng);
		return true;
	case AXVCPU_EXIT_MMIO_WRITE:
	case AXVCPU_EXIT_SYSREG_WRITE:
	case AXVCPU_EXIT_IO_WRITE:
	case AXVCPU_EXIT_HALT:
	case AXVCPU_EXIT_SEND_IPI:
	case AXVCPU_EXIT_CPU_UP:
		return true;
	default:
		return false;
	}
}

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

enum { M_REAL, M_PROT, M_LONG };

static void enter_mode(struct xvm *x, int mode, __u64 rip)
{
	if (mode == M_PROT)
		x86_enter_prot_mode(&x->t, rip);
	else if (mode == M_LONG)
		x86_enter_long_mode(&x->t, rip);
	else
		x86_start_regs(&x->t.vcpu, rip);
}

/* ---- group 1: random bytes ---- */

static const unsigned char sys_ops[][3] = {
	{ 0x0f, 0x01, 0xc1 }, { 0x0f, 0x30, 0 }, { 0x0f, 0x32, 0 }, { 0x0f, 0x22, 0xc0 },
	{ 0x0f, 0x20, 0xc0 }, { 0x0f, 0x23, 0xf8 }, { 0x0f, 0x21, 0xc0 }, { 0x0f, 0xa2, 0 },
	{ 0x0f, 0x0b, 0 }, { 0xcd, 0x80, 0 }, { 0xcc, 0, 0 }, { 0xf4, 0, 0 },
	{ 0xe4, 0x60, 0 }, { 0xee, 0, 0 }, { 0xed, 0, 0 }, { 0x6c, 0, 0 },
	{ 0xf3, 0x6e, 0 }, { 0xcf, 0, 0 }, { 0xfb, 0, 0 }, { 0x0f, 0x01, 0x18 },
	{ 0x0f, 0x00, 0x18 }, { 0x8e, 0xd8, 0 }, { 0x0f, 0x01, 0xd0 }, { 0x0f, 0x01, 0xd1 },
	{ 0x0f, 0x09, 0 }, { 0x0f, 0x08, 0 }, { 0x0f, 0x06, 0 }, { 0x0f, 0x33, 0 },
	{ 0x0f, 0x31, 0 }, { 0x0f, 0x01, 0xf9 }, { 0xf1, 0, 0 }, { 0x0f, 0x34, 0 },
	{ 0x0f, 0x05, 0 }, { 0x0f, 0x07, 0 }, { 0x0f, 0xae, 0x38 }, { 0x0f, 0xc7, 0xf0 },
};

#define RAND_BYTES	96
#define RAND_EXITS	16
#define RAND_RUN_MS	150

static void random_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	__u64 t, deadline = now_ms() + budget;
	struct axvcpu_x86_regs r;
	struct xvm x;
	int i, e;

	for (t = 0; *trials ? t < *trials : now_ms() < deadline; t++) {
		int mode = hrng_below(&g->rng, 3);
		unsigned char *code;

		xvm_create(&x);
		enter_mode(&x, mode, CODE_GPA);
		code = guest_ptr(&x.t, CODE_GPA);
		for (i = 0; i < RAND_BYTES; ) {
			if (hrng_below(&g->rng, 4) == 0) {
				const unsigned char *op = sys_ops[hrng_below(&g->rng, ARRAY_SIZE(sys_ops))];
				int k;

				for (k = 0; k < 3 && i < RAND_BYTES && (k == 0 || op[k]); k++)
					code[i++] = op[k];
			} else {
				code[i++] = hrng_next(&g->rng);
			}
		}
		/* The rest of the page: a HLT sled, so a fall-through ends somewhere. */
		memset(code + RAND_BYTES, 0xf4, 64);
		hostile_trace_code(g, t, mode, code, RAND_BYTES);
		x86_get_regs(&x.t.vcpu, &r);
		r.rax = hrng_next(&g->rng);
		r.rbx = hrng_below(&g->rng, 2) ? hrng_below(&g->rng, 0x20000) : hrng_next(&g->rng);
		r.rcx = hrng_below(&g->rng, 2) ? hrng_below(&g->rng, 0x2000) : hrng_next(&g->rng);
		r.rdx = hrng_below(&g->rng, 2) ? hrng_below(&g->rng, 0x10000) : hrng_next(&g->rng);
		r.rsi = hrng_below(&g->rng, 0x20000);
		r.rdi = hrng_below(&g->rng, 0x20000);
		r.rbp = hrng_next(&g->rng);
		r.r8 = hrng_next(&g->rng);
		r.r9 = APIC_GPA + hrng_below(&g->rng, 0x1000);
		r.r10 = HOLE_GPA + hrng_below(&g->rng, 0x1000);
		r.rflags = hrng_below(&g->rng, 3) ? 2 : 0x202;
		x86_set_regs(&x.t.vcpu, &r);
		for (e = 0; e < RAND_EXITS; e++) {
			__u32 reason = hrun(g, &x.t.vcpu, RAND_RUN_MS);

			if (!answer(g, &x.t.vcpu, reason))
				break;
		}
		xvm_destroy(&x);
		g->trials++;
	}
	*trials = t;
}

TEST(random_bytes_real_prot_long)
{
	struct hgroup g;

	HOSTILE_GROUP("random_bytes");
	hgroup_begin(&g, "random_bytes");
	GROUP_TWICE(&g, random_round, hostile_budget_ms(3000));
	hgroup_end(&g);
}

/* ---- group 2: the port space ---- */

struct port_phase {
	__u32 first, count, stride, widths;
};

/*
 * Run g_ports over one phase; returns the ports done (all of @p->count
 * unless the deadline came first).  Every exit is checked against the
 * port the loop must be at.
 */
static __u32 ports_phase(struct hgroup *g, const struct port_phase *p, __u64 deadline)
{
	static const int wseq[] = { 1, 1, 2, 2, 4, 4 };
	struct axvcpu_x86_regs r;
	struct axvcpu_run *run;
	__u32 done = 0, step = 0;
	__u64 last_in = 0;
	struct test_vm t;

	TEST_VM_WITH(&t, g_ports);
	run = t.vcpu.run;
	x86_get_regs(&t.vcpu, &r);
	r.rdx = p->first;
	r.rbx = p->stride;
	r.rcx = p->count;
	r.rsi = p->widths;
	r.rsp = X86_STACK_TOP;
	x86_set_regs(&t.vcpu, &r);
	for (;;) {
		__u16 port = (p->first + done * p->stride) & 0xffff;
		int nsteps = p->widths ? 6 : 2, width = p->widths ? wseq[step] : 1;
		bool out = step & 1;
		__u32 reason;

		if (now_ms() > deadline)
			break;
		reason = hrun(g, &t.vcpu, 1000);
		if (reason == AXVCPU_EXIT_HYPERCALL && run->hypercall.nr == HC_DONE) {
			TEST_ASSERT(done == p->count, "ports: guest done after %u of %u ports",
				    done, p->count);
			break;
		}
		TEST_ASSERT(reason == (out ? AXVCPU_EXIT_IO_WRITE : AXVCPU_EXIT_IO_READ) &&
			    run->io.port == port && run->io.width == width &&
			    run->io.is_write == out,
			    "ports: exit %s port %#x width %u write %u; expected %s of port %#x width %d",
			    axvm_exit_name(reason), run->io.port, run->io.width, run->io.is_write,
			    out ? "OUT" : "IN", port, width);
		if (out) {
			__u64 mask = width == 4 ? 0xffffffffULL : (1ULL << (8 * width)) - 1;

			TEST_ASSERT((run->io.data & mask) == (last_in & mask),
				    "ports: OUT %#x width %d data %#llx, the IN before it read %#llx",
				    port, width, (unsigned long long)run->io.data,
				    (unsigned long long)(last_in & mask));
		} else {
			last_in = hrng_next(&g->rng);
			/* OUT of the word 0x2000 to 0x604 is the power-off: not here. */
			if (port == 0x604 && (last_in & 0xffff) == 0x2000)
				last_in ^= 1;
			run->io.data = last_in;
		}
		if (++step == nsteps) {
			step = 0;
			done++;
		}
	}
	test_vm_destroy(&t);
	return done;
}

static void ports_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	static const struct port_phase interesting[] = {
		{ 0x0, 0x100, 1, 1 }, { 0x3f8, 8, 1, 1 }, { 0xcf8, 8, 1, 1 },
		{ 0x600, 8, 1, 1 }, { 0xfff8, 8, 1, 1 },
	};
	__u64 deadline = now_ms() + budget;
	struct port_phase all;
	__u32 done, i;

	for (i = 0; i < ARRAY_SIZE(interesting); i++) {
		done = ports_phase(g, &interesting[i], deadline + budget);
		TEST_ASSERT(done == interesting[i].count, "ports %#x+%u: %u done",
			    interesting[i].first, interesting[i].count, done);
	}
	/* All 65536 ports, byte IN then OUT, from a seeded start with an odd stride. */
	all.first = hrng_below(&g->rng, 0x10000);
	all.stride = hrng_below(&g->rng, 0x8000) * 2 + 1;
	all.count = *trials ? *trials : 0x10000;	/* round 2: what round 1 did */
	all.widths = 0;
	done = ports_phase(g, &all, *trials ? ~0ULL : deadline);
	printf("# ports: interesting ports at widths 1/2/4, then %u of 65536 ports (start %#x stride %#x)%s\n",
	       done, all.first, all.stride,
	       done < 0x10000 ? ": cut at the deadline, a seeded subset" : "");
	g->trials += done;
	*trials = done ? done : 1;
}

TEST(io_port_space)
{
	struct hgroup g;

	HOSTILE_GROUP("io_ports");
	hgroup_begin(&g, "io_ports");
	GROUP_TWICE(&g, ports_round, hostile_budget_ms(7000));
	hgroup_end(&g);
}

/* ---- group 3: MSRs ---- */

struct msr_range {
	__u32 base, mask, count;
};

/* One range through g_msr; returns the MSRs done (the deadline may cut it). */
static __u32 msr_range(struct hgroup *g, const struct msr_range *m, __u64 deadline,
		       __u64 *exits, __u32 *gps)
{
	__u32 start = hrng_below(&g->rng, m->mask + 1), stride = hrng_below(&g->rng, 0x800) * 2 + 1;
	__u32 k = 0, count = m->count;
	struct axvcpu_x86_regs r;
	struct axvcpu_run *run;
	struct test_vm t;
	__u32 *data;

	TEST_VM_WITH(&t, g_msr);
	run = t.vcpu.run;
	x86_ivt_set(&t, 13, GUEST_SYM_GPA(g_msr, g_msr_gp));
	data = guest_ptr(&t, 0x8000);
	data[0] = count;
	if (hrng_below(&g->rng, 2)) {	/* write back what was read, or a random change */
		data[1] = hrng_next(&g->rng);
		data[2] = hrng_next(&g->rng);
	} else {
		data[1] = data[2] = 0;
	}
	data[3] = 0;
	x86_get_regs(&t.vcpu, &r);
	r.rsi = start;
	r.rbp = stride;
	r.rbx = m->base;
	r.rdi = m->mask;
	r.rsp = X86_STACK_TOP;
	x86_set_regs(&t.vcpu, &r);
	for (;;) {
		__u32 reason;

		if (now_ms() > deadline)
			break;
		reason = hrun(g, &t.vcpu, 1000);
		if (reason == AXVCPU_EXIT_HYPERCALL && run->hypercall.nr == HC_DONE) {
			*gps += run->hypercall.args[0];
			k = count;
			break;
		}
		if (reason == AXVCPU_EXIT_SYSREG_READ || reason == AXVCPU_EXIT_SYSREG_WRITE) {
			/* The MSR the loop is at, or one after it (module-handled ones do not exit). */
			while (k < count &&
			       run->sysreg.addr != m->base + ((start + k * stride) & m->mask))
				k++;
			TEST_ASSERT(k < count,
				    "msr: %s exit of MSR %#llx, not one of range %#x mask %#x from index %#x",
				    reason == AXVCPU_EXIT_SYSREG_READ ? "read" : "write",
				    (unsigned long long)run->sysreg.addr, m->base, m->mask, start);
			TEST_ASSERT(run->sysreg.is_write == (reason == AXVCPU_EXIT_SYSREG_WRITE),
				    "msr %#llx: is_write %u on exit %s",
				    (unsigned long long)run->sysreg.addr, run->sysreg.is_write,
				    axvm_exit_name(reason));
			(*exits)++;
		}
		if (!answer(g, &t.vcpu, reason)) {
			printf("# msr: range %#x: guest ended with %s at rip %#llx after %u MSRs\n",
			       m->base, axvm_exit_name(reason),
			       (unsigned long long)run->hw_rip, k);
			break;
		}
	}
	test_vm_destroy(&t);
	return k;
}

static void msr_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	struct msr_range ranges[] = {
		{ 0x0, 0x1fff, 0x2000 }, { 0xc0000000, 0x1fff, 0x2000 },
		{ 0x40000000, 0xff, 0x100 }, { 0, 0xff, 0x100 }, { 0, 0xff, 0x100 },
	};
	static __u32 msr_done[5];
	__u64 t0 = now_ms(), exits = 0;
	__u32 i, done, gps = 0;
	char line[512];
	int n = 0;

	ranges[3].base = hrng_next(&g->rng) & ~0xffULL;
	ranges[4].base = 0x80000000U | (hrng_next(&g->rng) & 0x7fffff00U);
	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		/* Each range gets its share of the budget; round 2 runs what round 1 did. */
		__u64 dl = *trials ? ~0ULL : t0 + budget * (i + 1) / ARRAY_SIZE(ranges);

		if (*trials)
			ranges[i].count = msr_done[i] ? msr_done[i] : 1;
		done = msr_range(g, &ranges[i], dl, &exits, &gps);
		msr_done[i] = done;
		n += snprintf(line + n, sizeof(line) - n, " %#x:%u/%u", ranges[i].base, done,
			      ranges[i].count);
		g->trials += done;
	}
	printf("# msr: done/range:%s; %llu SYSREG exits answered, %u #GP in the guest\n", line,
	       (unsigned long long)exits, gps);
	*trials = 1;
}

TEST(msr_ranges)
{
	struct hgroup g;

	HOSTILE_GROUP("msrs");
	hgroup_begin(&g, "msrs");
	GROUP_TWICE(&g, msr_round, hostile_budget_ms(6000));
	hgroup_end(&g);
}

/* ---- group 4: control and debug registers ---- */

#define CRDR_ITEMS	16

/* Code for @n random MOV to CR/DR, each 4 bytes, then HC_DONE; returns bytes. */
static size_t crdr_code(struct hgroup *g, unsigned char *c, int mode)
{
	static const __u64 cr0_bits[] = { 1, 2, 4, 8, 0x10, 0x20, 1 << 16, 1 << 18,
					  1 << 29, 1 << 30, 1ULL << 31 };
	size_t n = 0;
	int i;

	for (i = 0; i < CRDR_ITEMS; i++) {
		int kind = hrng_below(&g->rng, 6), reg;
		__u64 v = hrng_next(&g->rng);

		switch (kind) {
		case 0:		/* CR0: the mode's value with a bit or two flipped */
			reg = 0;
			v = (mode == M_LONG ? 0x80010033ULL : 0x10ULL) ^
			    cr0_bits[hrng_below(&g->rng, ARRAY_SIZE(cr0_bits))] ^
			    (hrng_below(&g->rng, 4) ? 0 : v);
			break;
		case 1:		/* CR3: the page tables with random low bits, or random */
			reg = 3;
			if (hrng_below(&g->rng, 2))
				v = X86_PML4_GPA | (v & 0xfff);
			break;
		case 2:		/* CR4 */
			reg = 4;
			v = (mode == M_LONG ? 0x620ULL : 0x600ULL) ^ (1ULL << hrng_below(&g->rng, 26)) ^
			    (hrng_below(&g->rng, 4) ? 0 : v);
			break;
		case 3:		/* CR8 (long mode only) */
			reg = 8;
			if (hrng_below(&g->rng, 2))
				v &= 15;
			break;
		default:	/* DR0-DR7 */
			reg = 16 + hrng_below(&g->rng, 8);
			if (reg == 16 + 7 && hrng_below(&g->rng, 2))
				v &= 0xffff00ffULL;
			break;
		}
		if (mode == M_REAL) {
			if (reg == 8)
				reg = 0;
			c[n++] = 0x66;			/* mov $imm32, %eax */
			c[n++] = 0xb8;
			memcpy(c + n, &v, 4);
			n += 4;
			c[n++] = 0x3e;			/* ds: pads the MOV to 4 bytes */
		} else {
			c[n++] = 0x48;			/* mov $imm64, %rax */
			c[n++] = 0xb8;
			memcpy(c + n, &v, 8);
			n += 8;
			c[n++] = reg == 8 ? 0x44 : 0x40;	/* REX(.R): CR8, else padding */
		}
		c[n++] = 0x0f;
		c[n++] = reg >= 16 ? 0x23 : 0x22;
		c[n++] = 0xc0 | ((reg >= 16 ? reg - 16 : reg) & 7) << 3;
	}
	/* mov $HC_DONE, %eax; vmcall; hlt */
	if (mode == M_REAL)
		c[n++] = 0x66;
	c[n++] = 0xb8;
	c[n++] = HC_DONE & 0xff;
	c[n++] = HC_DONE >> 8 & 0xff;
	c[n++] = HC_DONE >> 16 & 0xff;
	c[n++] = HC_DONE >> 24 & 0xff;
	c[n++] = 0x0f;
	c[n++] = 0x01;
	c[n++] = 0xc1;
	c[n++] = 0xf4;
	return n;
}

static void crdr_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	__u64 t, deadline = now_ms() + budget, done = 0;
	struct xvm x;
	int v, e;

	for (t = 0; *trials ? t < *trials : now_ms() < deadline; t++) {
		int mode = hrng_below(&g->rng, 2) ? M_LONG : M_REAL;
		size_t n;

		xvm_create(&x);
		enter_mode(&x, mode, CODE_GPA);
		for (v = 0; v < 32; v++) {
			bool err = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
				   v == 29 || v == 30;

			if (mode == M_LONG)
				x86_idt64_set(&x.t, v, HX(err ? h64_err : h64_noerr));
			else
				x86_ivt_set(&x.t, v, HX(h16_skip4));
		}
		n = crdr_code(g, guest_ptr(&x.t, CODE_GPA), mode);
		TEST_ASSERT(n < CODE_MAX, "crdr code %zu bytes", n);
		hostile_trace_code(g, t, mode, guest_ptr(&x.t, CODE_GPA), n);
		for (e = 0; e < 16; e++) {
			__u32 reason = hrun(g, &x.t.vcpu, 300);

			if (reason == AXVCPU_EXIT_HYPERCALL &&
			    x.t.vcpu.run->hypercall.nr == HC_DONE) {
				done++;
				break;
			}
			/*
			 * 300 ms without an exit: the guest loops (a #DB on its
			 * own breakpoint, say).  Its trial ends there: sixteen
			 * of them per guest would overrun the group's budget.
			 */
			if (reason == AXVCPU_EXIT_INTR ||
			    !answer(g, &x.t.vcpu, reason))
				break;
		}
		xvm_destroy(&x);
		g->trials++;
	}
	printf("# crdr: %llu of %llu guests reached the end of their %d MOVs\n",
	       (unsigned long long)done, (unsigned long long)t, CRDR_ITEMS);
	*trials = t;
}

TEST(control_debug_registers)
{
	struct hgroup g;

	HOSTILE_GROUP("cr_dr");
	hgroup_begin(&g, "cr_dr");
	GROUP_TWICE(&g, crdr_round, hostile_budget_ms(3000));
	hgroup_end(&g);
}

/* ---- group 5: exceptions during event delivery ---- */

static __u32 run_to_end(struct hgroup *g, struct xvm *x, int max)
{
	__u32 reason = AXVCPU_EXIT_INTR;
	int e;

	for (e = 0; e < max; e++) {
		reason = hrun(g, &x->t.vcpu, 500);
		if (reason == AXVCPU_EXIT_HYPERCALL)
			return reason;
		if (reason == AXVCPU_EXIT_HALT || !answer(g, &x->t.vcpu, reason))
			return reason;
	}
	return reason;
}

static void expect_crash(struct hgroup *g, struct xvm *x, __u32 reason, const char *what)
{
	TEST_ASSERT(reason == AXVCPU_EXIT_SYSTEM_DOWN &&
		    x->t.vcpu.run->system_down.type == AXVCPU_SYSTEM_DOWN_CRASH,
		    "%s: exit %s (type %llu) rip %#llx, expected SYSTEM_DOWN CRASH (triple fault)",
		    what, axvm_exit_name(reason),
		    (unsigned long long)x->t.vcpu.run->system_down.type,
		    (unsigned long long)x->t.vcpu.run->hw_rip);
}

/* Code at CODE_GPA: the bytes of one faulting instruction, then a HLT sled. */
static void put_insn(struct xvm *x, const unsigned char *b, size_t n)
{
	unsigned char *c = guest_ptr(&x->t, CODE_GPA);

	memset(c, 0xf4, 64);
	memcpy(c, b, n);
}

static void set_idt(struct xvm *x, __u64 base, __u16 limit)
{
	struct axvcpu_x86_sregs s;

	x86_get_sregs(&x->t.vcpu, &s);
	s.idt.base = base;
	s.idt.limit = limit;
	x86_set_sregs(&x->t.vcpu, &s);
}

static void set_rsp(struct xvm *x, __u64 rsp)
{
	struct axvcpu_x86_regs r;

	x86_get_regs(&x->t.vcpu, &r);
	r.rsp = rsp;
	x86_set_regs(&x->t.vcpu, &r);
}

/*
 * CVE-2015-8104's guest: #DB through IST1, a data breakpoint (DR0, write,
 * 8 bytes) on the RIP slot of the frame that delivery pushes there, then
 * ICEBP.  Every delivery of the #DB raises the next one without a guest
 * instruction in between.  The module intercepts #DB and reflects it; RUN
 * must still end at the watchdog (INTR) or with another documented exit,
 * never spin in the kernel.
 */
static void db_ist_loop_case(struct hgroup *g)
{
	static const unsigned char code[] = {
		0x48, 0xb8, 0xd8, 0x6f, 0, 0, 0, 0, 0, 0,	/* mov $0x6fd8, %rax */
		0x0f, 0x23, 0xc0,				/* mov %rax, %dr0 */
		0x48, 0xb8, 0x01, 0x00, 0x0d, 0, 0, 0, 0, 0,	/* mov $0xd0001, %rax */
		0x0f, 0x23, 0xf8,				/* mov %rax, %dr7 */
		0xf1,						/* icebp */
		0xf4,
	};
	__u64 *gate, *ist1;
	__u32 reason;
	struct xvm x;
	int i;

	xvm_create(&x);
	enter_mode(&x, M_LONG, CODE_GPA);
	for (i = 0; i < 32; i++)
		x86_idt64_set(&x.t, i, HX(h64_report));
	gate = guest_ptr(&x.t, X86_IDT_GPA + 16 * 1);
	gate[0] |= 1ULL << 32;				/* IST = 1 */
	ist1 = guest_ptr(&x.t, X86_TSS_GPA + 0x24);
	*ist1 = 0x7000;					/* frame at 0x6fd8..0x6fff */
	memcpy(guest_ptr(&x.t, CODE_GPA), code, sizeof(code));
	for (i = 0; i < 4; i++) {
		reason = hrun(g, &x.t.vcpu, 300);
		if (reason == AXVCPU_EXIT_INTR || !answer(g, &x.t.vcpu, reason))
			break;
	}
	printf("# events: #DB loop on its own IST frame: ended with %s at rip %#llx, %llu #DB reflected\n",
	       axvm_exit_name(reason), (unsigned long long)x.t.vcpu.run->hw_rip,
	       (unsigned long long)x.t.vcpu.run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION]);
	xvm_destroy(&x);
	g->trials++;
}

/*
 * A code breakpoint on the guest's own #DB handler: DR0 = the handler's
 * first byte, DR7.L0 with R/W0 = 00 (instruction), the #DB gate on IST1.
 * Every fetch there is a #DB fault (SDM Vol. 3B 18.3.1.1); its delivery
 * clears RF and restarts from the same IST frame (Vol. 3A 6.14.5), so the
 * loop goes on for ever in the same memory.  The module reflects each #DB
 * from inside its run loop; the RUN must end at the watchdog all the same,
 * and the host take its interrupts meanwhile (the random-bytes and CR/DR
 * groups found a RUN that did not, under Bochs).
 */
static void db_code_bp_loop_case(struct hgroup *g)
{
	unsigned char code[] = {
		0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,	/* mov $handler, %rax */
		0x0f, 0x23, 0xc0,			/* mov %rax, %dr0 */
		0x48, 0xc7, 0xc1, 0x01, 0x04, 0, 0,	/* mov $0x401, %rcx: L0, execute */
		0x0f, 0x23, 0xf9,			/* mov %rcx, %dr7 */
		0xff, 0xe0,				/* jmp *%rax */
	};
	__u64 h = HX(h64_report), *gate, *ist1, n = 0;
	__u32 reason;
	struct xvm x;
	int i;

	memcpy(&code[2], &h, sizeof(h));
	xvm_create(&x);
	enter_mode(&x, M_LONG, CODE_GPA);
	for (i = 0; i < 32; i++)
		x86_idt64_set(&x.t, i, h);
	gate = guest_ptr(&x.t, X86_IDT_GPA + 16 * 1);
	gate[0] |= 1ULL << 32;				/* IST = 1 */
	ist1 = guest_ptr(&x.t, X86_TSS_GPA + 0x24);
	*ist1 = 0x7000;
	put_insn(&x, code, sizeof(code));
	for (i = 0; i < 3; i++) {
		reason = hrun(g, &x.t.vcpu, 200);
		n = x.t.vcpu.run->stats.builtin[AXVCPU_BUILTIN_EXCEPTION];
		TEST_ASSERT(reason == AXVCPU_EXIT_INTR,
			    "#DB code-breakpoint loop: RUN %d ended with %s at rip %#llx, expected INTR (the watchdog)",
			    i, axvm_exit_name(reason),
			    (unsigned long long)x.t.vcpu.run->hw_rip);
	}
	TEST_ASSERT(n > 3, "#DB code-breakpoint loop: %llu #DB reflected, expected a loop of them",
		    (unsigned long long)n);
	printf("# events: #DB code-breakpoint loop on the #DB handler: 3 RUNs ended at the watchdog, %llu #DB reflected\n",
	       (unsigned long long)n);
	xvm_destroy(&x);
	g->trials++;
}

/*
 * MOV to CR4 with PCIDE outside IA-32e mode is #GP(0) (SDM Vol. 2, MOV -
 * Move to/from Control Registers; Vol. 3, 4.10.1): the guest's own #GP
 * handler runs; not a VM entry that fails on the CR4 the module let in.
 */
static void pcide_real_mode_case(struct hgroup *g)
{
	static const unsigned char code[] = {
		0x66, 0xb8, 0x00, 0x06, 0x02, 0x00,		/* mov $0x20600, %eax */
		0x3e, 0x0f, 0x22, 0xe0,				/* mov %eax, %cr4 */
		0x66, 0xb8, 0x54, 0x53, 0x4f, 0x48,		/* mov $HC_DONE, %eax */
		0x0f, 0x01, 0xc1, 0xf4,				/* vmcall; hlt */
	};
	struct axvcpu_run *run;
	__u32 reason;
	struct xvm x;
	int i;

	xvm_create(&x);
	run = x.t.vcpu.run;
	enter_mode(&x, M_REAL, CODE_GPA);
	for (i = 0; i < 32; i++)
		x86_ivt_set(&x.t, i, HX(h16_report));
	memcpy(guest_ptr(&x.t, CODE_GPA), code, sizeof(code));
	reason = hrun(g, &x.t.vcpu, 1000);
	TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL && run->hypercall.nr == HC_EXC,
		    "real mode, MOV CR4 = 0x20600 (PCIDE): exit %s nr %#llx reason %#llx rip %#llx; expected #GP in the guest (its handler's HC_EXC)",
		    axvm_exit_name(reason), (unsigned long long)run->hypercall.nr,
		    (unsigned long long)run->fail_entry.reason, (unsigned long long)run->hw_rip);
	xvm_destroy(&x);
	g->trials++;
}

static void events_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	static const unsigned char ud2[] = { 0x0f, 0x0b }, int80[] = { 0xcd, 0x80 },
		int3[] = { 0xcc }, div0[] = { 0x31, 0xc9, 0xf7, 0xf1 };	/* xor ecx; div ecx */
	static const struct { const unsigned char *b; size_t n; const char *name; } insns[] = {
		{ ud2, 2, "ud2" }, { int80, 2, "int $0x80" }, { int3, 1, "int3" },
		{ div0, 4, "div by 0" },
	};
	struct axvcpu_run *run;
	unsigned char *extra;
	struct xvm x;
	__u32 reason;
	int mode, i;

	(void)budget;
	for (mode = M_REAL; mode <= M_LONG; mode++)
		for (i = 0; i < (int)ARRAY_SIZE(insns); i++) {
			char what[96];

			/* A null IDT: nothing can be delivered -> #DF -> triple fault. */
			snprintf(what, sizeof(what), "mode %d, IDT limit 0, %s", mode, insns[i].name);
			xvm_create(&x);
			enter_mode(&x, mode, CODE_GPA);
			put_insn(&x, insns[i].b, insns[i].n);
			set_idt(&x, mode == M_REAL ? 0 : X86_IDT_GPA, 0);
			expect_crash(g, &x, run_to_end(g, &x, 4), what);
			xvm_destroy(&x);
			g->trials++;

			if (mode == M_REAL)
				continue;
			/* Non-present gates (the IDT is zeros). */
			snprintf(what, sizeof(what), "mode %d, non-present gates, %s", mode,
				 insns[i].name);
			xvm_create(&x);
			enter_mode(&x, mode, CODE_GPA);
			put_insn(&x, insns[i].b, insns[i].n);
			expect_crash(g, &x, run_to_end(g, &x, 4), what);
			xvm_destroy(&x);
			g->trials++;
		}

	/*
	 * The IDT in unmapped memory: the delivery's own read faults in EPT;
	 * once the VMM maps zeros there, the event is delivered again and
	 * finds a non-present gate: triple fault.
	 */
	for (mode = M_PROT; mode <= M_LONG; mode++) {
		xvm_create(&x);
		run = x.t.vcpu.run;
		enter_mode(&x, mode, CODE_GPA);
		put_insn(&x, ud2, 2);
		set_idt(&x, HOLE_GPA, 0xfff);
		reason = run_to_end(g, &x, 4);
		TEST_ASSERT((reason == AXVCPU_EXIT_NESTED_PAGE_FAULT &&
			     run->npf.gpa >= HOLE_GPA && run->npf.gpa < HOLE_GPA + 0x1000) ||
			    (reason == AXVCPU_EXIT_MMIO_READ && run->mmio.addr >= HOLE_GPA &&
			     run->mmio.addr < HOLE_GPA + 0x1000),
			    "mode %d, IDT at unmapped %#llx, ud2: exit %s gpa %#llx", mode,
			    (unsigned long long)HOLE_GPA, axvm_exit_name(reason),
			    (unsigned long long)run->npf.gpa);
		extra = axvm_mem_alloc(0x10000);
		vm_set_region(&x.t.vm, 2, 0, HOLE_GPA, 0x10000, extra);
		expect_crash(g, &x, run_to_end(g, &x, 4), "IDT mapped after the fault, zeros");
		xvm_destroy(&x);
		axvm_mem_free(extra, 0x10000);
		g->trials++;
	}

	/*
	 * Long mode, a good #UD gate, the stack in unmapped memory: the push
	 * of the frame faults; the VMM maps it and the handler runs (it
	 * reports HC_EXC).  Then the stack in the read-only slot: the frame
	 * can never be written.
	 */
	xvm_create(&x);
	run = x.t.vcpu.run;
	enter_mode(&x, M_LONG, CODE_GPA);
	for (i = 0; i < 32; i++)
		x86_idt64_set(&x.t, i, HX(h64_report));
	put_insn(&x, ud2, 2);
	set_rsp(&x, HOLE_GPA + 0x8000);
	reason = run_to_end(g, &x, 4);
	TEST_ASSERT(reason == AXVCPU_EXIT_NESTED_PAGE_FAULT || reason == AXVCPU_EXIT_MMIO_WRITE,
		    "stack unmapped, ud2: exit %s gpa %#llx", axvm_exit_name(reason),
		    (unsigned long long)run->npf.gpa);
	if (reason == AXVCPU_EXIT_NESTED_PAGE_FAULT) {
		extra = axvm_mem_alloc(0x10000);
		vm_set_region(&x.t.vm, 2, 0, HOLE_GPA, 0x10000, extra);
		reason = run_to_end(g, &x, 4);
		TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL && run->hypercall.nr == HC_EXC,
			    "stack mapped after the fault: exit %s nr %#llx, expected the #UD handler",
			    axvm_exit_name(reason), (unsigned long long)run->hypercall.nr);
		vm_set_region(&x.t.vm, 2, 0, HOLE_GPA, 0, extra);
		axvm_mem_free(extra, 0x10000);
	}
	xvm_destroy(&x);
	g->trials++;

	xvm_create(&x);
	run = x.t.vcpu.run;
	enter_mode(&x, M_LONG, CODE_GPA);
	for (i = 0; i < 32; i++)
		x86_idt64_set(&x.t, i, HX(h64_report));
	put_insn(&x, ud2, 2);
	set_rsp(&x, RO_GPA + 0x8000);
	reason = run_to_end(g, &x, 4);
	TEST_ASSERT(reason == AXVCPU_EXIT_NESTED_PAGE_FAULT || reason == AXVCPU_EXIT_MMIO_WRITE ||
		    reason == AXVCPU_EXIT_SYSTEM_DOWN,
		    "stack in the read-only slot, ud2: exit %s", axvm_exit_name(reason));
	xvm_destroy(&x);
	g->trials++;

	/* Events from the VMM into a null IDT: #PF with an error code, an interrupt. */
	for (i = 0; i < 2; i++) {
		xvm_create(&x);
		enter_mode(&x, M_LONG, CODE_GPA);
		memset(guest_ptr(&x.t, CODE_GPA), 0x90, 32);	/* nops, then a jmp back */
		*(unsigned char *)guest_ptr(&x.t, CODE_GPA + 32) = 0xeb;
		*(unsigned char *)guest_ptr(&x.t, CODE_GPA + 33) = (unsigned char)-34;
		set_idt(&x, X86_IDT_GPA, 0);
		if (i == 0) {
			TEST_ASSERT_RET(axvm_vcpu_inject(&x.t.vcpu, 14, AXVCPU_IRQ_EXCEPTION |
							 AXVCPU_IRQ_ERROR_CODE, 2), 0);
		} else {
			struct axvcpu_x86_regs r;

			x86_get_regs(&x.t.vcpu, &r);
			r.rflags = 0x202;
			x86_set_regs(&x.t.vcpu, &r);
			TEST_ASSERT_RET(axvm_vcpu_inject(&x.t.vcpu, 0x80, 0, 0), 0);
		}
		expect_crash(g, &x, run_to_end(g, &x, 4),
			     i ? "injected vector 0x80, null IDT" : "injected #PF, null IDT");
		xvm_destroy(&x);
		g->trials++;
	}

	/* Real mode: #UD's vector points outside every slot: the fetch faults. */
	xvm_create(&x);
	run = x.t.vcpu.run;
	enter_mode(&x, M_REAL, CODE_GPA);
	put_insn(&x, ud2, 2);
	*(__u16 *)guest_ptr(&x.t, 6 * 4) = 0x0000;	/* IP */
	*(__u16 *)guest_ptr(&x.t, 6 * 4 + 2) = 0x9000;	/* CS: gpa 0x90000 */
	reason = run_to_end(g, &x, 4);
	TEST_ASSERT(reason == AXVCPU_EXIT_NESTED_PAGE_FAULT && run->npf.gpa == 0x90000 &&
		    (run->npf.access & AXVCPU_ACCESS_EXECUTE),
		    "real-mode vector to 9000:0000: exit %s gpa %#llx access %#llx",
		    axvm_exit_name(reason), (unsigned long long)run->npf.gpa,
		    (unsigned long long)run->npf.access);
	xvm_destroy(&x);
	g->trials++;

	db_ist_loop_case(g);
	db_code_bp_loop_case(g);
	pcide_real_mode_case(g);
	*trials = 1;
}

TEST(exceptions_during_delivery)
{
	struct hgroup g;

	HOSTILE_GROUP("events");
	hgroup_begin(&g, "events");
	GROUP_TWICE(&g, events_round, 0);
	hgroup_end(&g);
}

/* ---- group 6: wild accesses and self-modifying code (long mode) ---- */

struct wild_op {
	const char *name;
	unsigned char b[6];
	int n;
};

/* Address in RBX (and RSI = RDI = RBX), data in RAX. */
static const struct wild_op wild_ops[] = {
	{ "mov r32,m", { 0x8b, 0x03 }, 2 }, { "mov m,r32", { 0x89, 0x03 }, 2 },
	{ "mov m,r64", { 0x48, 0x89, 0x03 }, 3 }, { "mov m,r16", { 0x66, 0x89, 0x03 }, 3 },
	{ "mov m,r8", { 0x88, 0x03 }, 2 }, { "mov m,imm8", { 0xc6, 0x03, 0x5a }, 3 },
	{ "movzx", { 0x0f, 0xb6, 0x03 }, 3 }, { "movsx", { 0x48, 0x0f, 0xbf, 0x03 }, 4 },
	{ "add m,r", { 0x01, 0x03 }, 2 }, { "xchg", { 0x87, 0x03 }, 2 },
	{ "lock cmpxchg", { 0xf0, 0x0f, 0xb1, 0x0b }, 4 }, { "movsb", { 0xa4 }, 1 },
	{ "rep stosb", { 0xf3, 0xaa }, 2 }, { "stosq", { 0x48, 0xab }, 2 },
	{ "push m", { 0xff, 0x33 }, 2 }, { "call *m", { 0xff, 0x13 }, 2 },
	{ "jmp *rbx", { 0xff, 0xe3 }, 2 }, { "movdqu x,m", { 0xf3, 0x0f, 0x6f, 0x03 }, 4 },
	{ "movdqu m,x", { 0xf3, 0x0f, 0x7f, 0x03 }, 4 }, { "fxsave", { 0x0f, 0xae, 0x03 }, 3 },
	{ "clflush", { 0x0f, 0xae, 0x3b }, 3 }, { "movnti", { 0x0f, 0xc3, 0x03 }, 3 },
	{ "inc m", { 0xff, 0x03 }, 2 }, { "bts m,r", { 0x0f, 0xab, 0x03 }, 3 },
	{ "cmp m,r", { 0x39, 0x03 }, 2 }, { "test m,imm", { 0xf7, 0x03, 1, 0, 0, 0 }, 6 },
};

static __u64 x86_wild_addr(struct hrng *r)
{
	switch (hrng_below(r, 9)) {
	case 0:
		return RO_GPA + hrng_below(r, RO_SIZE);
	case 1:
		return RO_GPA - hrng_below(r, 8);		/* RAM | RO edge */
	case 2:
		return RO_GPA + RO_SIZE - hrng_below(r, 8);	/* RO | hole edge */
	case 3:
		return APIC_GPA + hrng_below(r, 0x1000);
	case 4:
		return HOLE_GPA - 0x1000 + hrng_below(r, 0x2000);
	case 5:
		return 0x20000 + hrng_below(r, 0x100000);
	case 6:
		return hrng_next(r) & 0x3fffffffULL;
	case 7:
		return CODE_GPA + hrng_below(r, 64);		/* its own code */
	default:
		return 0x8000 + hrng_below(r, 0x800);
	}
}

static void wild_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	__u64 t = 0, deadline = now_ms() + budget;
	struct axvcpu_x86_regs r;
	struct axvcpu_run *run;
	struct xvm x;
	int e, i;

	while (*trials ? t < *trials : now_ms() < deadline) {
		int k;

		xvm_create(&x);
		run = x.t.vcpu.run;
		enter_mode(&x, M_LONG, CODE_GPA);
		for (i = 0; i < 32; i++)
			x86_idt64_set(&x.t, i, HX(h64_report));
		for (k = 0; k < 16 && (*trials ? t < *trials : now_ms() < deadline); k++, t++) {
			const struct wild_op *op = &wild_ops[hrng_below(&g->rng, ARRAY_SIZE(wild_ops))];
			__u64 addr = x86_wild_addr(&g->rng);
			unsigned char *c = guest_ptr(&x.t, CODE_GPA);
			int n = 0;

			memcpy(c, op->b, op->n);
			n = op->n;
			c[n++] = 0xb8;			/* mov $HC_DONE, %eax; vmcall; hlt */
			memcpy(c + n, &(__u32){ HC_DONE }, 4);
			n += 4;
			c[n++] = 0x0f;
			c[n++] = 0x01;
			c[n++] = 0xc1;
			c[n++] = 0xf4;
			x86_get_regs(&x.t.vcpu, &r);
			r.rip = CODE_GPA;
			r.rsp = X86_STACK_TOP;
			r.rbx = r.rsi = r.rdi = addr;
			r.rax = hrng_next(&g->rng);
			r.rcx = hrng_below(&g->rng, 64);
			r.rflags = 2;
			x86_set_regs(&x.t.vcpu, &r);
			for (e = 0; e < 8; e++) {
				__u32 reason = hrun(g, &x.t.vcpu, 300);

				if (reason == AXVCPU_EXIT_HYPERCALL)
					break;
				if (reason == AXVCPU_EXIT_MMIO_READ || reason == AXVCPU_EXIT_MMIO_WRITE)
					/*
					 * Outside every slot, or a write to the
					 * read-only one ("or an MMIO write where
					 * decodable"); never RAM, never a read
					 * of the read-only slot.
					 */
					TEST_ASSERT(run->mmio.addr >= RO_GPA + RO_SIZE ||
						    (reason == AXVCPU_EXIT_MMIO_WRITE &&
						     run->mmio.addr >= RO_GPA),
						    "wild %s at %#llx: MMIO %s at %#llx inside a slot",
						    op->name, (unsigned long long)addr,
						    axvm_exit_name(reason),
						    (unsigned long long)run->mmio.addr);
				if (!answer(g, &x.t.vcpu, reason))
					break;
			}
			xvm_check_ro(&x, op->name);
			/* Its own handlers may have been hit: put them back. */
			memcpy(guest_ptr(&x.t, H_GPA), g_hx_start, GUEST_CODE_LEN(g_hx));
			if (e == 8 || run->exit_reason == AXVCPU_EXIT_NESTED_PAGE_FAULT ||
			    run->exit_reason == AXVCPU_EXIT_SYSTEM_DOWN ||
			    run->exit_reason == AXVCPU_EXIT_FAIL_ENTRY ||
			    run->exit_reason == AXVCPU_EXIT_INTERNAL_ERROR)
				break;	/* a fresh guest for the next one */
		}
		xvm_destroy(&x);
		g->trials += k;
	}
	*trials = t;
}

/*
 * Self-modifying code: the guest stores "mov $imm32, %eax" (imm from the
 * VMM in EDX) over the instruction it runs next and reports EAX.
 */
GUEST_CODE(g_smc);
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_smc_start, g_smc_end\n"
    "g_smc_start:\n"
    "	mov $0x1000 + (9f - g_smc_start) + 2, %bx\n"	/* 66 b8 imm32 */

    "	mov %edx, (%bx)\n"
    "9:	mov $0xdeadbeef, %eax\n"
    "	mov %eax, %esi\n"
    "	mov $" __stringify(HC_DONE) ", %eax\n"
    "	vmcall\n"
    "	hlt\n"
    "g_smc_end:\n"
    ".code64\n"
    ".popsection\n");

static void smc_case(struct hgroup *g)
{
	struct test_vm t;
	int k;

	TEST_VM_WITH(&t, g_smc);
	for (k = 0; k < 32; k++) {
		__u32 val = hrng_next(&g->rng);
		__u32 reason;

		memcpy(guest_ptr(&t, GUEST_ENTRY), g_smc_start, GUEST_CODE_LEN(g_smc));
		x86_start_regs(&t.vcpu, GUEST_ENTRY);
		vcpu_set_gpr(&t.vcpu, RDX, val);
		reason = hrun(g, &t.vcpu, 1000);
		/* ESI is hypercall.args[1] (args are RDI, RSI, RDX, ...). */
		TEST_ASSERT(reason == AXVCPU_EXIT_HYPERCALL && t.vcpu.run->hypercall.args[1] == val,
			    "self-modifying code %d: exit %s, got %#llx, expected %#x", k,
			    axvm_exit_name(reason),
			    (unsigned long long)t.vcpu.run->hypercall.args[1], val);
	}
	test_vm_destroy(&t);
	g->trials++;
}

static void wild_smc_round(struct hgroup *g, __u64 *trials, __u64 budget)
{
	smc_case(g);
	wild_round(g, trials, budget);
}

TEST(wild_accesses_and_smc)
{
	struct hgroup g;

	HOSTILE_GROUP("wild_accesses");
	hgroup_begin(&g, "wild_accesses");
	GROUP_TWICE(&g, wild_smc_round, hostile_budget_ms(2500));
	hgroup_end(&g);
}

/* ---- the end: everything since the program began ---- */

TEST(host_intact_at_end)
{
	char first[512] = "", last[32];
	unsigned long fs = 0;
	int bad;

	host_basics_check("end");
	TEST_ASSERT(wait_refcnt("0", 3000, last, sizeof(last)),
		    "module refcnt %s at the end, expected 0", last);
	bad = kmsg_bad_since(hostile_kmsg_start, first, sizeof(first));
	TEST_ASSERT(bad == 0, "kernel log: %d bad lines since the program began; first: %s",
		    bad, first);
	TEST_ASSERT_SYSCALL_OK(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	TEST_ASSERT(fs != 0, "FS base 0");
}

int main(int argc, char **argv)
{
	return hostile_main(argc, argv);
}
