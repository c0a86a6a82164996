// SPDX-License-Identifier: GPL-2.0
/*
 * x86_host - the host around the guest (issue 3, items 10-12): the VMX
 * preemption timer bounds a guest that spins in `jmp .`; a signal from
 * another thread ends RUN with -EINTR; the vcpu migrates between the two
 * CPUs (sched_setaffinity between RUNs) with its state intact, and two
 * vcpus alternate on one CPU; after 10,000 exits the host task's XMM0-15,
 * x87 stack and control word and MXCSR are unchanged while the guest
 * changes its own (and keeps them across its exits), and the host's MSRs
 * (through /dev/cpu/N/msr when the msr driver is there), TLS, GS base and
 * TSC_AUX are intact although the guest wrote its own EFER, PAT,
 * KERNEL_GS_BASE, SYSENTER_*, FS/GS base.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

#define PARAM_SLICE	"/sys/module/axvcpu/parameters/timer_slice_us"

GUEST_CODE(g_fpu);
GUEST_CODE(g_msrs);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code64\n"
    /*
     * Every iteration: XMM0-15 = counter, x87 = 0, 1, pi with FCW 0x37f,
     * MXCSR 0x9f80, then VMCALL; after it, check XMM15 and the FCW are
     * still the guest's (failures counted at 0x8004 and 0x8008).
     */
    ".global g_fpu_start, g_fpu_end\n"
    "g_fpu_start:\n"
    "	xor %ebx, %ebx\n"
    "1:	inc %ebx\n"
    "	movd %ebx, %xmm0\n"
    "	pshufd $0, %xmm0, %xmm0\n"
    "	movdqa %xmm0, %xmm1\n"
    "	movdqa %xmm0, %xmm2\n"
    "	movdqa %xmm0, %xmm3\n"
    "	movdqa %xmm0, %xmm4\n"
    "	movdqa %xmm0, %xmm5\n"
    "	movdqa %xmm0, %xmm6\n"
    "	movdqa %xmm0, %xmm7\n"
    "	movdqa %xmm0, %xmm8\n"
    "	movdqa %xmm0, %xmm9\n"
    "	movdqa %xmm0, %xmm10\n"
    "	movdqa %xmm0, %xmm11\n"
    "	movdqa %xmm0, %xmm12\n"
    "	movdqa %xmm0, %xmm13\n"
    "	movdqa %xmm0, %xmm14\n"
    "	movdqa %xmm0, %xmm15\n"
    "	fninit\n"
    "	fldz\n"
    "	fld1\n"
    "	fldpi\n"
    "	movl $0x9f80, 0x8010\n"
    "	ldmxcsr 0x8010\n"
    "	mov $" __stringify(HCALL_LOOP_NR) ", %eax\n"
    "	vmcall\n"
    "	movd %xmm15, %eax\n"
    "	cmp %ebx, %eax\n"
    "	je 2f\n"
    "	incl 0x8004\n"
    "2:	fnstcw 0x8014\n"
    "	cmpw $0x37f, 0x8014\n"
    "	je 3f\n"
    "	incl 0x8008\n"
    "3:	stmxcsr 0x8018\n"
    "	cmpl $0x9f80, 0x8018\n"
    "	je 4f\n"
    "	incl 0x800c\n"
    "4:	mov %ebx, 0x8000\n"
    "	jmp 1b\n"
    "g_fpu_end:\n"

    /* Writes the MSRs a guest OS writes, then loops on VMCALL. */
    ".global g_msrs_start, g_msrs_end\n"
    "g_msrs_start:\n"
    "	lea msr_tab(%rip), %rsi\n"
    "1:	mov (%rsi), %ecx\n"
    "	test %ecx, %ecx\n"
    "	jz 2f\n"
    "	mov 8(%rsi), %eax\n"
    "	mov 12(%rsi), %edx\n"
    "	wrmsr\n"
    "	add $16, %rsi\n"
    "	jmp 1b\n"
    "2:	swapgs\n"
    "3:	mov $" __stringify(HCALL_LOOP_NR) ", %eax\n"
    "	vmcall\n"
    "	jmp 3b\n"
    ".balign 16\n"
    "msr_tab:\n"
    "	.quad 0xc0000080, 0x901\n"		/* EFER: SCE|LME|LMA|NXE */
    "	.quad 0x277, 0x0606060606060606\n"	/* PAT: all WB */
    "	.quad 0xc0000100, 0x0000111111110000\n"	/* FS_BASE */
    "	.quad 0xc0000101, 0x0000222222220000\n"	/* GS_BASE */
    "	.quad 0xc0000102, 0x0000333333330000\n"	/* KERNEL_GS_BASE */
    "	.quad 0x174, 0x5\n"			/* SYSENTER_CS */
    "	.quad 0x175, 0x0000444444440000\n"	/* SYSENTER_ESP */
    "	.quad 0x176, 0x0000555555550000\n"	/* SYSENTER_EIP */
    "	.quad 0xc0000081, 0x0023001000000000\n"	/* STAR */
    "	.quad 0xc0000082, 0x0000666666660000\n"	/* LSTAR */
    "	.quad 0xc0000083, 0x0000777777770000\n"	/* CSTAR */
    "	.quad 0xc0000084, 0x47700\n"		/* SFMASK */
    "	.quad 0xc0000103, 0x99\n"		/* TSC_AUX */
    "	.quad 0, 0\n"
    "g_msrs_end:\n"
    ".popsection\n");

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
}

static void unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int ncpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static void on_sig(int sig)
{
}

struct kicker {
	pthread_t target;
	int delay_ms;
	struct timespec sent;
};

static void *kick_later(void *p)
{
	struct kicker *k = p;

	usleep(k->delay_ms * 1000);
	clock_gettime(CLOCK_MONOTONIC, &k->sent);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1e3 + (b.tv_nsec - a->tv_nsec) / 1e6;
}

/* Spin in `jmp .`, kicked after @delay_ms; returns the kick latency. */
static double spin_and_kick(struct test_vm *t, int delay_ms)
{
	struct sigaction sa = { .sa_handler = on_sig };
	struct kicker k = { .target = pthread_self(), .delay_ms = delay_ms };
	pthread_t th;
	double lat;

	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&th, NULL, kick_later, &k);
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(&t->vcpu), EINTR);
	lat = ms_since(&k.sent);
	pthread_join(th, NULL);
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_INTR);
	vcpu_assert_state(&t->vcpu, AXVCPU_STATE_READY);
	return lat;
}

TEST(preemption_timer_bounds_spin)
{
	char old[32] = "", buf[32];
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	bool have_param;
	__u64 before;
	double lat;

	have_param = read_sysfs(PARAM_SLICE, old, sizeof(old)) == 0;
	if (have_param)
		TEST_ASSERT(write_sysfs(PARAM_SLICE, "1000") == 0,
			    "write %s", PARAM_SLICE);
	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	run = vcpu->run;
	before = run->stats.builtin[AXVCPU_BUILTIN_PREEMPT_TIMER];
	lat = spin_and_kick(vm, 300);
	if (have_param) {
		write_sysfs(PARAM_SLICE, old);
		read_sysfs(PARAM_SLICE, buf, sizeof(buf));
		TEST_ASSERT(!strcmp(buf, old), "slice not restored: %s", buf);
	}
	TH_LOG("kick latency %.1f ms, preemption-timer exits %llu, host IRQ exits %llu",
	       lat, (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_PREEMPT_TIMER],
	       (unsigned long long)run->stats.builtin[AXVCPU_BUILTIN_EXT_INTR]);
	/* A 1 ms slice in a 300 ms spin: the timer fired. */
	if (have_param)
		TEST_ASSERT(run->stats.builtin[AXVCPU_BUILTIN_PREEMPT_TIMER] > before,
			    "no preemption-timer exit in a %d ms spin with a 1 ms slice",
			    300);
	TEST_ASSERT(lat < 1000, "kick took %.1f ms", lat);
	/* The guest is still spinning where it was: RIP at the jmp. */
	TEST_ASSERT_EQ(x86_get_rip(vcpu), GUEST_ENTRY);
	test_vm_free(vm);
}

/*
 * The kicking thread shares the spinning vcpu's only CPU: it runs only if
 * the run loop lets the scheduler preempt it between guest entries.
 */
TEST(kick_from_the_same_cpu)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	double lat;

	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	pin(0);
	lat = spin_and_kick(vm, 100);
	unpin();
	TH_LOG("kick latency %.1f ms", lat);
	TEST_ASSERT(lat < 1000, "kick took %.1f ms", lat);
	test_vm_free(vm);
}

/* The counter guest makes one ucall per RUN, on alternating CPUs. */
TEST(migrate_between_cpus)
{
	struct test_vm a, b;
	struct ucall uc;
	int i, cpu;

	if (ncpus() < 2)
		SKIP(return, "one CPU");
	TEST_VM_WITH(&a, guest_ucall_counter);
	TEST_VM_WITH(&b, guest_ucall_counter);
	for (i = 1; i <= 200; i++) {
		cpu = i & 1;
		pin(cpu);
		TEST_ASSERT_EQ(sched_getcpu(), cpu);
		vcpu_run(&a.vcpu);
		TEST_ASSERT_EQ(get_ucall(&a.vcpu, &uc), UCALL_SYNC);
		TEST_ASSERT_EQ(uc.args[0], i);
		/* Register access from this CPU too. */
		TEST_ASSERT_EQ(vcpu_get_gpr(&a.vcpu, 3), i);
		/* A second vcpu on the same CPU in between. */
		vcpu_run(&b.vcpu);
		TEST_ASSERT_EQ(get_ucall(&b.vcpu, &uc), UCALL_SYNC);
		TEST_ASSERT_EQ(uc.args[0], i);
		TEST_ASSERT_EQ(x86_get_rip(&a.vcpu), x86_get_rip(&b.vcpu));
	}
	unpin();
	test_vm_destroy(&b);
	test_vm_destroy(&a);
}

/*
 * Host side of the 10,000 exits, in assembly so that no compiled code
 * touches the vector registers: load XMM0-15, x87 (1.25, -3.5, FCW
 * 0x27f) and MXCSR from @in, call ioctl(fd, AXVCPU_RUN) @n times, store
 * them to @out.  Returns the first non-zero ioctl result, or 0.
 */
struct fpu_img {
	__u8 xmm[16][16];
	__u16 fcw;
	__u16 pad;
	__u32 mxcsr;
	double st0, st1;
	__u64 left;
};
_Static_assert(AXVCPU_RUN == 0xa823, "AXVCPU_RUN");
_Static_assert(offsetof(struct fpu_img, fcw) == 256, "fcw");
_Static_assert(offsetof(struct fpu_img, mxcsr) == 260, "mxcsr");
_Static_assert(offsetof(struct fpu_img, st0) == 264, "st0");
_Static_assert(offsetof(struct fpu_img, left) == 280, "left");

long host_run_loop(int fd, long n, const struct fpu_img *in, struct fpu_img *out);
asm(".text\n"
    ".global host_run_loop\n"
    "host_run_loop:\n"
    "	push %rbx\n"
    "	push %r12\n"
    "	push %r13\n"
    "	push %r14\n"
    "	push %r15\n"
    "	mov %edi, %r12d\n"
    "	mov %rsi, %r13\n"
    "	mov %rdx, %r14\n"
    "	mov %rcx, %r15\n"
    "	movdqu 0(%r14), %xmm0\n"
    "	movdqu 16(%r14), %xmm1\n"
    "	movdqu 32(%r14), %xmm2\n"
    "	movdqu 48(%r14), %xmm3\n"
    "	movdqu 64(%r14), %xmm4\n"
    "	movdqu 80(%r14), %xmm5\n"
    "	movdqu 96(%r14), %xmm6\n"
    "	movdqu 112(%r14), %xmm7\n"
    "	movdqu 128(%r14), %xmm8\n"
    "	movdqu 144(%r14), %xmm9\n"
    "	movdqu 160(%r14), %xmm10\n"
    "	movdqu 176(%r14), %xmm11\n"
    "	movdqu 192(%r14), %xmm12\n"
    "	movdqu 208(%r14), %xmm13\n"
    "	movdqu 224(%r14), %xmm14\n"
    "	movdqu 240(%r14), %xmm15\n"
    "	fninit\n"
    "	fldcw 256(%r14)\n"
    "	ldmxcsr 260(%r14)\n"
    "	fldl 272(%r14)\n"
    "	fldl 264(%r14)\n"		/* st0 = in->st0 */
    "1:	mov $16, %eax\n"		/* SYS_ioctl */
    "	mov %r12d, %edi\n"
    "	mov $0xa823, %esi\n"
    "	xor %edx, %edx\n"
    "	syscall\n"
    "	test %rax, %rax\n"
    "	jnz 2f\n"
    "	dec %r13\n"
    "	jnz 1b\n"
    "2:	mov %rax, %rbx\n"
    "	movdqu %xmm0, 0(%r15)\n"
    "	movdqu %xmm1, 16(%r15)\n"
    "	movdqu %xmm2, 32(%r15)\n"
    "	movdqu %xmm3, 48(%r15)\n"
    "	movdqu %xmm4, 64(%r15)\n"
    "	movdqu %xmm5, 80(%r15)\n"
    "	movdqu %xmm6, 96(%r15)\n"
    "	movdqu %xmm7, 112(%r15)\n"
    "	movdqu %xmm8, 128(%r15)\n"
    "	movdqu %xmm9, 144(%r15)\n"
    "	movdqu %xmm10, 160(%r15)\n"
    "	movdqu %xmm11, 176(%r15)\n"
    "	movdqu %xmm12, 192(%r15)\n"
    "	movdqu %xmm13, 208(%r15)\n"
    "	movdqu %xmm14, 224(%r15)\n"
    "	movdqu %xmm15, 240(%r15)\n"
    "	fnstcw 256(%r15)\n"
    "	stmxcsr 260(%r15)\n"
    "	fstpl 264(%r15)\n"
    "	fstpl 272(%r15)\n"
    "	fninit\n"
    "	mov $0x1f80, %eax\n"
    "	push %rax\n"
    "	ldmxcsr (%rsp)\n"
    "	pop %rax\n"
    "	mov %r13, 280(%r15)\n"
    "	mov %rbx, %rax\n"
    "	pop %r15\n"
    "	pop %r14\n"
    "	pop %r13\n"
    "	pop %r12\n"
    "	pop %rbx\n"
    "	ret\n");

static void fpu_loop_on(struct __test_metadata *_metadata, int cpu, long n)
{
	struct fpu_img in, out;
	struct axvcpu_run *run;
	struct test_vm t;
	long r;
	int i, j;

	TEST_VM_WITH(&t, g_fpu);
	x86_enter_long_mode(&t, GUEST_ENTRY);
	run = t.vcpu.run;
	memset(&in, 0, sizeof(in));
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			in.xmm[i][j] = 0x80 + i * 7 + j * 3 + cpu;
	in.fcw = 0x027f;
	in.mxcsr = 0x3f80;	/* round down, all masked */
	in.st0 = 1.25;
	in.st1 = -3.5;
	memset(&out, 0, sizeof(out));
	pin(cpu);
	r = host_run_loop(t.vcpu.fd, n, &in, &out);
	unpin();
	TEST_ASSERT(r == 0, "RUN %ld of %ld: ret %ld (%s)", n - (long)out.left + 1,
		    n, r, r < 0 ? errno_name(-r) : "");
	TEST_ASSERT_EQ(out.left, 0);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
	for (i = 0; i < 16; i++)
		TEST_ASSERT(!memcmp(in.xmm[i], out.xmm[i], 16),
			    "host XMM%d changed after %ld exits (byte 0 %#x, expected %#x)",
			    i, n, out.xmm[i][0], in.xmm[i][0]);
	TEST_ASSERT_EQ(out.fcw, in.fcw);
	TEST_ASSERT_EQ(out.mxcsr, in.mxcsr);
	TEST_ASSERT(out.st0 == in.st0 && out.st1 == in.st1,
		    "host x87 st0 %g st1 %g, expected %g %g", out.st0, out.st1,
		    in.st0, in.st1);
	/* The guest's own registers survived its exits. */
	TEST_ASSERT_EQ(guest_rd32(&t, 0x8004), 0);
	TEST_ASSERT_EQ(guest_rd32(&t, 0x8008), 0);
	TEST_ASSERT_EQ(guest_rd32(&t, 0x800c), 0);
	TEST_ASSERT_EQ(guest_rd32(&t, 0x8000), n - 1);
	TEST_ASSERT(run->stats.exits[AXVCPU_EXIT_HYPERCALL] >= (__u64)n,
		    "hypercall exits %llu",
		    (unsigned long long)run->stats.exits[AXVCPU_EXIT_HYPERCALL]);
	test_vm_destroy(&t);
}

TEST(host_fpu_intact_after_10000_exits)
{
	fpu_loop_on(_metadata, 0, 10000);
	if (ncpus() > 1)
		fpu_loop_on(_metadata, 1, 2000);
}

static const __u32 host_msrs[] = {
	0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
	0xc0000103, 0x277, 0x174, 0x175, 0x176, 0x1a0, 0x1d9,
};

/* -1 if there is no msr driver. */
static int read_msrs(int cpu, __u64 *val)
{
	char path[64];
	int fd, i;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	for (i = 0; i < (int)ARRAY_SIZE(host_msrs); i++)
		if (pread(fd, &val[i], 8, host_msrs[i]) != 8)
			val[i] = 0xbad0bad0bad0bad0ULL;
	close(fd);
	return 0;
}

static __thread volatile long tls_canary = 0x7e57;

static unsigned long rdgsbase_if_any(bool *ok)
{
	unsigned long v = 0;

	*ok = getauxval(AT_HWCAP2) & 2;	/* HWCAP2_FSGSBASE */
	if (*ok)
		asm volatile("rdgsbase %0" : "=r"(v));
	return v;
}

TEST(host_msrs_intact_after_guest_writes)
{
	__u64 before[2][ARRAY_SIZE(host_msrs)], after[2][ARRAY_SIZE(host_msrs)];
	unsigned long gs0, gs1;
	struct axvcpu_run *run;
	bool have_msr, gs_ok;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	unsigned int aux;
	int cpu, i, n, c;

	have_msr = read_msrs(0, before[0]) == 0;
	if (have_msr && ncpus() > 1)
		read_msrs(1, before[1]);
	gs0 = rdgsbase_if_any(&gs_ok);
	vm = vm_create_with_one_vcpu(&vcpu, g_msrs);
	x86_enter_long_mode(vm, GUEST_ENTRY);
	run = vcpu->run;
	n = ncpus() > 1 ? 2 : 1;
	for (c = 0; c < n; c++) {
		pin(c);
		for (i = 0; i < 5000; i++) {
			vcpu_run(vcpu);
			if (run->exit_reason == AXVCPU_EXIT_SYSREG_WRITE)
				continue;	/* the VMM ignores the write */
			vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
		}
		TEST_ASSERT_EQ(tls_canary, 0x7e57);
		cpu = sched_getcpu();
		TEST_ASSERT_EQ(cpu, c);
		asm volatile("rdtscp" : "=c"(aux) : : "rax", "rdx");
		TEST_ASSERT_EQ(aux & 0xfff, (unsigned int)c);	/* host TSC_AUX */
		gs1 = rdgsbase_if_any(&gs_ok);
		if (gs_ok)
			TEST_ASSERT_EQ(gs1, gs0);	/* KERNEL_GS_BASE restored */
	}
	unpin();
	test_vm_free(vm);
	if (!have_msr) {
		TH_LOG("no /dev/cpu/0/msr: host MSRs checked through TLS, GS base and TSC_AUX only");
		return;
	}
	for (c = 0; c < n; c++) {
		read_msrs(c, after[c]);
		for (i = 0; i < (int)ARRAY_SIZE(host_msrs); i++)
			TEST_ASSERT(before[c][i] == after[c][i],
				    "CPU %d host MSR %#x: %#llx before, %#llx after",
				    c, host_msrs[i], (unsigned long long)before[c][i],
				    (unsigned long long)after[c][i]);
	}
}

TEST_HARNESS_MAIN
