// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_fuzz - a seeded, time-bounded fuzzer over the whole axvcpu ABI.
 *
 *   ioctl_fuzz [--seed N] [--seconds S] [--trace]
 *   (or AXVCPU_FUZZ_SEED=N, AXVCPU_FUZZ_SECONDS=S, AXVCPU_FUZZ_TRACE=1;
 *   AXVCPU_FUZZ_ONLY=<phase> runs that TEST alone, to replay it)
 *
 * Every ioctl of include/uapi/axvcpu.h (both arches' numbers) on every kind
 * of fd, with random and boundary arguments, bad pointers, mutated _IOC
 * sizes and wrong fds; the vcpu life cycle walked against a model; guests
 * of random and exit-provoking code; several threads, fork() and fd games on
 * one VM; then a known guest, module refcount, slab growth, kernel log and
 * taint checks.  Each phase is one TEST and runs until its share of S
 * seconds (default 36, x86 12) is spent, not for a fixed count: Bochs is 50-100
 * times slower than the hardware.  The seed is printed first ("# seed=N");
 * with the same seed the single-threaded phases replay the same calls, and
 * --trace prints each call before it is made, so the last line on the
 * console names the call that took the kernel down.
 *
 * Every RUN is bounded: a kicker thread sends SIGUSR1 to a vcpu thread that
 * has been in RUN longer than its deadline (tens of ms), as a VMM's timer
 * would, and a pending signal ends RUN with -EINTR (Documentation/axvcpu.rst,
 * AXVCPU_RUN).  An alarm() in each phase turns a deadlock into a failed test.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

/* ------------------------------------------------------------ options */

static __u64 fz_seed;
/*
 * Bochs' clock (sync=none) runs about 6 times slower than the host's: 12 s
 * of its time are about 75 s of make check's, as 36 s are under QEMU.
 */
#ifdef __x86_64__
static double fz_seconds = 12.0;
#else
static double fz_seconds = 36.0;
#endif
static bool fz_trace;
/* Taken in main(), before the harness forks the TESTs. */
static __u64 kmsg_seq0;
static bool kmsg_seq0_ok;
static char refcnt0[32];
static unsigned long taint0;
static long gpa_bits;

/* Sentinels for "no expectation" and "a new fd". */
#define NO_EXPECT	0x7fffffff
#define FD_EXPECT	0x7ffffffe

/* The harness kills a TEST after 30 s (TEST_TIMEOUT_DEFAULT). */
#define PHASE_MAX_S	20.0
#define WATCHDOG_MARGIN	6

static double phase_budget(double frac)
{
	double s = fz_seconds * frac;

	if (s > PHASE_MAX_S)
		s = PHASE_MAX_S;
	return s < 0.5 ? 0.5 : s;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* --------------------------------------------------------------- PRNG */

/* splitmix64: one stream per (phase, thread), all from the seed. */
struct rng {
	__u64 s;
};

static __u64 rnd(struct rng *r)
{
	__u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 below(struct rng *r, __u64 n)
{
	return n ? rnd(r) % n : 0;
}

static bool one_in(struct rng *r, unsigned int n)
{
	return below(r, n) == 0;
}

static void rng_init(struct rng *r, unsigned int stream)
{
	r->s = fz_seed ^ ((__u64)(stream + 1) * 0xd1342543de82ef95ULL);
	rnd(r);
}

static const __u64 iv64[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0x1001, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffffffffffff000ULL,
	~0ULL - 1, ~0ULL,
};

static const __u32 iv32[] = {
	0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 255, 256,
	1019, 1020, 1023, 1024, 0xfff, 0xffff, 0x10000, 0x7fffffff,
	0x80000000, 0xfffffffe, 0xffffffff,
};

static __u64 rv64(struct rng *r)
{
	switch (below(r, 4)) {
	case 0:
		return iv64[below(r, ARRAY_SIZE(iv64))];
	case 1:
		return rnd(r);
	case 2:
		return below(r, 64);
	default:
		return rnd(r) >> below(r, 64);
	}
}

static __u32 rv32(struct rng *r)
{
	switch (below(r, 3)) {
	case 0:
		return iv32[below(r, ARRAY_SIZE(iv32))];
	case 1:
		return rnd(r);
	default:
		return below(r, 300);
	}
}

static void fill_rand(struct rng *r, void *p, size_t n)
{
	unsigned char *b = p;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		__u64 v = rnd(r);

		memcpy(b + i, &v, 8);
	}
	for (; i < n; i++)
		b[i] = rnd(r);
}

/* ------------------------------------------------------ the op log */

/*
 * The last calls of each thread, printed when a check fails or the
 * watchdog fires: with the seed, the sequence that led there.
 */
#define LOG_ENTRIES	24
#define LOG_LEN		200

struct oplog {
	const char *who;
	unsigned int next;
	char ent[LOG_ENTRIES][LOG_LEN];
};

static struct oplog *logs[8];
static atomic_int nlogs;
/* Set by the first failure: the other threads stop logging, so the dump ends. */
static atomic_bool failing;
static __thread struct oplog *mylog;
static const char *phase_name = "?";

static void log_attach(struct oplog *l, const char *who)
{
	int i = atomic_fetch_add(&nlogs, 1);

	memset(l, 0, sizeof(*l));
	l->who = who;
	mylog = l;
	if (i < (int)ARRAY_SIZE(logs))
		logs[i] = l;
}

static void oplog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void oplog(const char *fmt, ...)
{
	struct oplog *l = mylog;
	va_list ap;
	char *e;

	if (!l || atomic_load(&failing))
		return;
	e = l->ent[l->next++ % LOG_ENTRIES];
	va_start(ap, fmt);
	vsnprintf(e, LOG_LEN, fmt, ap);
	va_end(ap);
	if (fz_trace) {
		/* One write per line: threads do not interleave mid-line. */
		dprintf(1, "# [%s] %s\n", l->who, e);
	}
}

/* dprintf, not stdio: also called from the watchdog's signal handler. */
static void oplog_dump(void)
{
	int i, n = atomic_load(&nlogs);
	unsigned int k;

	dprintf(2, "# phase %s, seed=%llu (rerun: --seed %llu)\n", phase_name,
		(unsigned long long)fz_seed, (unsigned long long)fz_seed);
	for (i = 0; i < n && i < (int)ARRAY_SIZE(logs); i++) {
		struct oplog *l = logs[i];
		unsigned int next = l->next;
		unsigned int first = next > LOG_ENTRIES ? next - LOG_ENTRIES : 0;

		dprintf(2, "# last calls of thread %s (oldest first):\n", l->who);
		for (k = first; k < next; k++)
			dprintf(2, "#   %u: %s\n", k, l->ent[k % LOG_ENTRIES]);
	}
}

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * test_assert_fail() with the op logs after the message.  Only the first
 * failing thread reports; the others wait for its exit().
 */
static void fz_fail(const char *file, int line, const char *expr, int err,
		    const char *fmt, ...) __attribute__((noreturn, format(printf, 5, 6)));
static void fz_fail(const char *file, int line, const char *expr, int err,
		    const char *fmt, ...)
{
	va_list ap;

	if (pthread_mutex_trylock(&fail_lock))
		for (;;)
			pause();
	atomic_store(&failing, true);
	fflush(stdout);
	fprintf(stderr, "# ==== Test Assertion Failure ====\n#   %s:%d: %s\n#   errno=%d (%s)\n#   ",
		file, line, expr, err, errno_name(err));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	oplog_dump();
	exit(1);
}

#define FZ_ASSERT(cond, fmt, ...) do {					\
	int __e = errno;						\
	if (!(cond))							\
		fz_fail(__FILE__, __LINE__, #cond, __e, fmt, ##__VA_ARGS__); \
} while (0)

/* ----------------------------------------------------------- watchdog */

static void watchdog_handler(int sig)
{
	atomic_store(&failing, true);
	dprintf(2, "# ==== watchdog: phase %s is still running %d s after its deadline: a deadlock, or a RUN that no signal ends ====\n",
		phase_name, WATCHDOG_MARGIN);
	oplog_dump();
	_exit(3);
}

static void nop_handler(int sig)
{
}

/*
 * Per phase (each TEST is a process of its own): signals, watchdog.  False
 * when AXVCPU_FUZZ_ONLY names another phase (to replay one phase of a seed).
 */
static bool phase_start(const char *name, double budget)
{
	struct sigaction sa = { .sa_handler = nop_handler };
	const char *only = getenv("AXVCPU_FUZZ_ONLY");

	if (only && *only && strcmp(only, name))
		return false;
	phase_name = name;
	/* No SA_RESTART: the kick must end RUN with -EINTR. */
	sigemptyset(&sa.sa_mask);
	TEST_ASSERT_SYSCALL_OK(sigaction(SIGUSR1, &sa, NULL));
	sa.sa_handler = watchdog_handler;
	TEST_ASSERT_SYSCALL_OK(sigaction(SIGALRM, &sa, NULL));
	alarm((unsigned int)budget + WATCHDOG_MARGIN);
	printf("# %s: seed=%llu, %.1f s\n", name, (unsigned long long)fz_seed,
	       budget);
	fflush(stdout);
	return true;
}

/* ------------------------------------------------------------- kicker */

#define MAX_RUNNERS	4

struct runner {
	pthread_t th;
	/* 0: not in RUN */
	_Atomic __u64 deadline;
	/* sampled with GET_STATE while in RUN */
	atomic_int fd;
};

static struct runner runners[MAX_RUNNERS];
static atomic_bool kicker_stop;
static pthread_t kicker_th;
static atomic_uint states_seen;		/* bit per AXVCPU_STATE_* */
static atomic_ulong kicks;
static bool kicker_samples;

static void *kicker_fn(void *arg)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	int i;

	while (!atomic_load(&kicker_stop)) {
		__u64 t = now_ns();

		for (i = 0; i < MAX_RUNNERS; i++) {
			__u64 d = atomic_load(&runners[i].deadline);
			int fd = atomic_load(&runners[i].fd);
			__u32 st = ~0U;

			if (!d)
				continue;
			/* GET_STATE never waits: it sees Running mid-RUN. */
			if (kicker_samples && fd >= 0 &&
			    !ioctl(fd, AXVCPU_GET_STATE, &st) && st < 32)
				atomic_fetch_or(&states_seen, 1U << st);
			if (t > d) {
				pthread_kill(runners[i].th, SIGUSR1);
				atomic_fetch_add(&kicks, 1);
			}
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void kicker_start(bool sample_states)
{
	int i;

	for (i = 0; i < MAX_RUNNERS; i++) {
		atomic_store(&runners[i].deadline, 0);
		atomic_store(&runners[i].fd, -1);
	}
	kicker_samples = sample_states;
	atomic_store(&kicker_stop, false);
	TEST_ASSERT(!pthread_create(&kicker_th, NULL, kicker_fn, NULL),
		    "pthread_create kicker");
}

static void kicker_end(void)
{
	atomic_store(&kicker_stop, true);
	pthread_join(kicker_th, NULL);
}

/*
 * AXVCPU_RUN on @fd, ended by SIGUSR1 from the kicker once it has run for
 * @ms (and every 2 ms after, in case a kick lands before the ioctl).
 */
static long bounded_run(int slot, int fd, unsigned int ms)
{
	struct runner *rn = &runners[slot];
	long r;
	int e;

	rn->th = pthread_self();
	atomic_store(&rn->fd, fd);
	atomic_store(&rn->deadline, now_ns() + ms * 1000000ULL);
	errno = 0;
	r = ioctl(fd, AXVCPU_RUN, 0);
	e = errno;
	atomic_store(&rn->deadline, 0);
	atomic_store(&rn->fd, -1);
	errno = e;
	return r;
}

/* ------------------------------------------------------ guest snippets */

/*
 * Exit-provoking guest code, in the lib's layout (guest.h): copied to
 * GUEST_ENTRY, position independent.
 */
#if defined(__x86_64__)
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global fz_hlt_start, fz_hlt_end\n"
    "fz_hlt_start:\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "fz_hlt_end:\n"

    ".global fz_hcall_start, fz_hcall_end\n"
    "fz_hcall_start:\n"
    "1:	mov $0x46555a5a, %eax\n"
    "	mov $7, %edi\n"
    "	vmcall\n"
    "	jmp 1b\n"
    "fz_hcall_end:\n"

    ".global fz_pio_start, fz_pio_end\n"
    "fz_pio_start:\n"
    "1:	mov $0x1234, %dx\n"
    "	mov $0x5a, %al\n"
    "	outb %al, %dx\n"
    "	inw %dx, %ax\n"
    "	outl %eax, %dx\n"
    "	jmp 1b\n"
    "fz_pio_end:\n"

    /* DS = 0x2000: linear 0x20010 is above the 64 KiB slot at 0. */
    ".global fz_mmio_start, fz_mmio_end\n"
    "fz_mmio_start:\n"
    "1:	mov $0x2000, %ax\n"
    "	mov %ax, %ds\n"
    "	movl $0xa5a5a5a5, 0x10\n"
    "	movl 0x14, %ebx\n"
    "	jmp 1b\n"
    "fz_mmio_end:\n"

    /* IDTR limit 0: INT 3 -> #GP -> #DF -> shutdown (SDM 3A 6.15). */
    ".global fz_crash_start, fz_crash_end\n"
    "fz_crash_start:\n"
    "	mov $0x9000, %sp\n"
    "	xor %eax, %eax\n"
    "	push %eax\n"
    "	push %eax\n"
    "	mov %sp, %bx\n"
    "	lidt (%bx)\n"
    "	int $3\n"
    "1:	jmp 1b\n"
    "fz_crash_end:\n"

    /* ACPI S5 at QEMU q35's PM1a_CNT: OUT of 0x2000 to port 0x604. */
    ".global fz_off_start, fz_off_end\n"
    "fz_off_start:\n"
    "	mov $0x2000, %ax\n"
    "	mov $0x604, %dx\n"
    "	out %ax, %dx\n"
    "1:	jmp 1b\n"
    "fz_off_end:\n"

    ".global fz_msr_start, fz_msr_end\n"
    "fz_msr_start:\n"
    "1:	mov $0x4b564d99, %ecx\n"
    "	rdmsr\n"
    "	jmp 1b\n"
    "fz_msr_end:\n"

    ".global fz_rep_start, fz_rep_end\n"
    "fz_rep_start:\n"
    "	mov $0x80, %dx\n"
    "	mov $4, %cx\n"
    "	xor %si, %si\n"
    "	rep outsb\n"
    "1:	jmp 1b\n"
    "fz_rep_end:\n"

    /* Exits handled in the module only: never leaves RUN by itself. */
    ".global fz_builtin_start, fz_builtin_end\n"
    "fz_builtin_start:\n"
    "1:	xor %eax, %eax\n"
    "	cpuid\n"
    "	wbinvd\n"
    "	mov %cr0, %eax\n"
    "	mov %eax, %cr0\n"
    "	jmp 1b\n"
    "fz_builtin_end:\n"
    ".code64\n"
    ".popsection\n");
#elif defined(__aarch64__)
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global fz_hlt_start, fz_hlt_end\n"
    "fz_hlt_start:\n"
    "1:	wfi\n"
    "	b 1b\n"
    "fz_hlt_end:\n"

    ".global fz_hcall_start, fz_hcall_end\n"
    "fz_hcall_start:\n"
    "1:	movz x0, #0x5a5a\n"
    "	movk x0, #0x4655, lsl #16\n"
    "	mov x1, #7\n"
    "	hvc #0\n"
    "	b 1b\n"
    "fz_hcall_end:\n"

    /* IPA 0x10000010 is in no slot. */
    ".global fz_mmio_start, fz_mmio_end\n"
    "fz_mmio_start:\n"
    "1:	movz x1, #0x1000, lsl #16\n"
    "	movz x0, #0xa5a5\n"
    "	str w0, [x1, #16]\n"
    "	ldr w2, [x1, #20]\n"
    "	b 1b\n"
    "fz_mmio_end:\n"

    /* PSCI SYSTEM_OFF (0x84000008), DEN0022 5.10. */
    ".global fz_off_start, fz_off_end\n"
    "fz_off_start:\n"
    "	movz x0, #0x0008\n"
    "	movk x0, #0x8400, lsl #16\n"
    "	hvc #0\n"
    "1:	b 1b\n"
    "fz_off_end:\n"

    /* PSCI CPU_ON (0xc4000003): target 1, entry, context id 0x42. */
    ".global fz_cpuon_start, fz_cpuon_end\n"
    "fz_cpuon_start:\n"
    "	movz x0, #0x0003\n"
    "	movk x0, #0xc400, lsl #16\n"
    "	mov x1, #1\n"
    "	movz x2, #0x4000, lsl #16\n"
    "	mov x3, #0x42\n"
    "	hvc #0\n"
    "1:	b 1b\n"
    "fz_cpuon_end:\n"

    /* A non-PSCI SMC gets NOT_SUPPORTED in x0, then the HVC shows it. */
    ".global fz_smc_start, fz_smc_end\n"
    "fz_smc_start:\n"
    "1:	movz x0, #0x1234\n"
    "	smc #0\n"
    "	hvc #0\n"
    "	b 1b\n"
    "fz_smc_end:\n"

    /* ICC_SGI1R_EL1 = INTID 5 to target list bit 0 (GICv3 12.11.1.x). */
    ".global fz_sgi_start, fz_sgi_end\n"
    "fz_sgi_start:\n"
    "1:	movz x1, #0x0500, lsl #16\n"
    "	orr x1, x1, #1\n"
    "	msr S3_0_C12_C11_5, x1\n"
    "	b 1b\n"
    "fz_sgi_end:\n"

    /* WFE is handled in the module: never leaves RUN by itself. */
    ".global fz_builtin_start, fz_builtin_end\n"
    "fz_builtin_start:\n"
    "1:	wfe\n"
    "	b 1b\n"
    "fz_builtin_end:\n"

    /* Before random code: exceptions vector into the slot, at +0x8000. */
    ".global fz_prologue_start, fz_prologue_end\n"
    "fz_prologue_start:\n"
    "	movz x1, #0x4000, lsl #16\n"
    "	add x1, x1, #8, lsl #12\n"
    "	msr vbar_el1, x1\n"
    "	isb\n"
    "fz_prologue_end:\n"
    ".popsection\n");
GUEST_CODE(fz_cpuon);
GUEST_CODE(fz_smc);
GUEST_CODE(fz_sgi);
GUEST_CODE(fz_prologue);
#endif
GUEST_CODE(fz_hlt);
GUEST_CODE(fz_hcall);
GUEST_CODE(fz_mmio);
GUEST_CODE(fz_off);
GUEST_CODE(fz_builtin);
#ifdef __x86_64__
GUEST_CODE(fz_pio);
GUEST_CODE(fz_crash);
GUEST_CODE(fz_msr);
GUEST_CODE(fz_rep);
#endif

#define EXPECT_EINTR	0xffff	/* the snippet never exits: RUN ends -EINTR */

struct snippet {
	const char *name;
	const unsigned char *start, *end;
	__u32 exit;
	bool (*check)(const struct axvcpu_run *run);
};

static bool chk_hcall(const struct axvcpu_run *run)
{
	return run->hypercall.nr == 0x46555a5a && run->hypercall.args[0] == 7;
}

static bool chk_off(const struct axvcpu_run *run)
{
	return run->system_down.type == AXVCPU_SYSTEM_DOWN_OFF;
}

#ifdef __x86_64__
static bool chk_mmio(const struct axvcpu_run *run)
{
	return run->mmio.addr == 0x20010 && run->mmio.width == 4 &&
	       run->mmio.data == 0xa5a5a5a5;
}

static bool chk_pio(const struct axvcpu_run *run)
{
	return run->io.port == 0x1234 && run->io.width == 1 &&
	       (run->io.data & 0xff) == 0x5a;
}

static bool chk_crash(const struct axvcpu_run *run)
{
	return run->system_down.type == AXVCPU_SYSTEM_DOWN_CRASH;
}

static bool chk_msr(const struct axvcpu_run *run)
{
	return run->sysreg.addr == 0x4b564d99;
}

static bool chk_rep(const struct axvcpu_run *run)
{
	return run->internal.suberror == AXVCPU_INTERNAL_UNHANDLED_IO;
}
#else
static bool chk_mmio(const struct axvcpu_run *run)
{
	return run->mmio.addr == 0x10000010 && run->mmio.width == 4 &&
	       run->mmio.data == 0xa5a5;
}

static bool chk_cpuon(const struct axvcpu_run *run)
{
	return run->cpu_up.target_cpu == 1 &&
	       run->cpu_up.entry == 0x40000000 && run->cpu_up.arg == 0x42;
}

/* PSCI NOT_SUPPORTED is -1: as a 64- or as a 32-bit value. */
static bool chk_smc(const struct axvcpu_run *run)
{
	return run->hypercall.nr == ~0ULL || run->hypercall.nr == 0xffffffffULL;
}

static bool chk_sgi(const struct axvcpu_run *run)
{
	return run->send_ipi.vector == 5;
}
#endif

#define SNIP(n, e, c)	{ #n, fz_##n##_start, fz_##n##_end, e, c }
static const struct snippet snippets[] = {
	SNIP(hlt, AXVCPU_EXIT_HALT, NULL),
	SNIP(hcall, AXVCPU_EXIT_HYPERCALL, chk_hcall),
	SNIP(mmio, AXVCPU_EXIT_MMIO_WRITE, chk_mmio),
	SNIP(off, AXVCPU_EXIT_SYSTEM_DOWN, chk_off),
	SNIP(builtin, EXPECT_EINTR, NULL),
#ifdef __x86_64__
	SNIP(pio, AXVCPU_EXIT_IO_WRITE, chk_pio),
	SNIP(crash, AXVCPU_EXIT_SYSTEM_DOWN, chk_crash),
	SNIP(msr, AXVCPU_EXIT_SYSREG_READ, chk_msr),
	SNIP(rep, AXVCPU_EXIT_INTERNAL_ERROR, chk_rep),
#else
	SNIP(cpuon, AXVCPU_EXIT_CPU_UP, chk_cpuon),
	SNIP(smc, AXVCPU_EXIT_HYPERCALL, chk_smc),
	SNIP(sgi, AXVCPU_EXIT_SEND_IPI, chk_sgi),
#endif
};

/*
 * Random guest code: random bytes/words, with the instructions that exit
 * or are emulated mixed in more often than chance would.
 */
#ifdef __x86_64__
static void gen_code(struct rng *r, unsigned char *p, size_t len)
{
	static const unsigned char ops[][4] = {
		{ 1, 0xf4 },			/* hlt */
		{ 3, 0x0f, 0x01, 0xc1 },	/* vmcall */
		{ 1, 0xee }, { 1, 0xef }, { 1, 0xec }, { 1, 0xed },
		{ 2, 0x0f, 0x32 }, { 2, 0x0f, 0x30 },	/* rdmsr, wrmsr */
		{ 2, 0x0f, 0xa2 },		/* cpuid */
		{ 2, 0x0f, 0x09 },		/* wbinvd */
		{ 1, 0xfb }, { 1, 0xfa },	/* sti, cli */
		{ 1, 0xcc }, { 2, 0x0f, 0x0b },	/* int3, ud2 */
		{ 2, 0x0f, 0x22 }, { 2, 0x0f, 0x20 },	/* mov cr */
		{ 2, 0x0f, 0x23 }, { 2, 0x0f, 0x21 },	/* mov dr */
		{ 1, 0x6e }, { 2, 0xf3, 0x6c },	/* outsb, rep insb */
		{ 2, 0x0f, 0x31 }, { 2, 0x0f, 0x33 },	/* rdtsc, rdpmc */
		{ 2, 0x8e, 0xd8 },		/* mov %ax, %ds */
		{ 1, 0x66 }, { 1, 0x67 },	/* operand/address size */
	};
	size_t i = 0;

	while (i < len) {
		if (one_in(r, 3)) {
			const unsigned char *o = ops[below(r, ARRAY_SIZE(ops))];
			unsigned int k;

			for (k = 0; k < o[0] && i < len; k++)
				p[i++] = o[1 + k];
		} else {
			p[i++] = rnd(r);
		}
	}
}
#else
static void gen_code(struct rng *r, unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		__u32 w;

		switch (below(r, 12)) {
		case 0:
			w = 0xd503207f;			/* wfi */
			break;
		case 1:
			w = 0xd4000002 | (rv32(r) & 0xffff) << 5; /* hvc */
			break;
		case 2:
			w = 0xd4000003;			/* smc #0 */
			break;
		case 3:	/* mrs x?, <random sysreg> */
			w = 0xd5300000 | (rnd(r) & 0xfffff);
			break;
		case 4:	/* msr <random sysreg>, x? */
			w = 0xd5100000 | (rnd(r) & 0xfffff);
			break;
		case 5:	/* sys: dc/ic/tlbi/at */
			w = 0xd5080000 | (rnd(r) & 0x7ffff);
			break;
		case 6:	/* ldr/str x, [xn, #imm] */
			w = (one_in(r, 2) ? 0xf9400000 : 0xf9000000) |
			    (rnd(r) & 0x3fffff);
			break;
		case 7:	/* movz/movk x0..x3 */
			w = 0xd2800000 | (rnd(r) & 0x7fffe3) |
			    (one_in(r, 2) ? 0x20000000 : 0);
			break;
		default:
			w = rnd(r);
		}
		memcpy(p + i, &w, 4);
	}
}
#endif

/* ------------------------------------------------------------ ioctls */

enum fdk { K_SYS, K_VM, K_VCPU };
enum argk {
	A_INT, A_CAP, A_REGION, A_VCREATE, A_DLOG, A_SETUP, A_U32P, A_GPR,
	A_U64P, A_IRQ, A_X86REGS, A_X86SREGS, A_ARMREGS, A_ARMEXC,
	A_ARMSYSREG, A_IOINT, A_MSRINT, A_CPUID, A_U32VAL,
};
enum { ARCH_ANY, ARCH_X86, ARCH_ARM };
#ifdef __x86_64__
#define ARCH_HERE	ARCH_X86
#define IS_X86		1
#else
#define ARCH_HERE	ARCH_ARM
#define IS_X86		0
#endif
#define IS_ARM		(!IS_X86)

struct fz_ioctl {
	unsigned long cmd;
	const char *name;
	enum fdk kind;
	enum argk arg;
	int arch;
};

#define IOC(c, k, a, ar)	{ AXVCPU_##c, #c, k, a, ar }
static const struct fz_ioctl table[] = {
	IOC(GET_API_VERSION, K_SYS, A_INT, ARCH_ANY),
	IOC(CHECK_EXTENSION, K_SYS, A_CAP, ARCH_ANY),
	IOC(CREATE_VM, K_SYS, A_INT, ARCH_ANY),
	IOC(SET_MEMORY_REGION, K_VM, A_REGION, ARCH_ANY),
	IOC(CREATE_VCPU, K_VM, A_VCREATE, ARCH_ANY),
	IOC(GET_DIRTY_LOG, K_VM, A_DLOG, ARCH_ANY),
	IOC(GET_STATS_FD, K_VM, A_INT, ARCH_ANY),	/* and vcpu fds */
	IOC(SETUP, K_VCPU, A_SETUP, ARCH_ANY),
	IOC(BIND, K_VCPU, A_INT, ARCH_ANY),
	IOC(UNBIND, K_VCPU, A_INT, ARCH_ANY),
	IOC(RUN, K_VCPU, A_INT, ARCH_ANY),
	IOC(GET_STATE, K_VCPU, A_U32P, ARCH_ANY),
	IOC(SET_GPR, K_VCPU, A_GPR, ARCH_ANY),
	IOC(GET_GPR, K_VCPU, A_GPR, ARCH_ANY),
	IOC(SET_RETURN_VALUE, K_VCPU, A_U64P, ARCH_ANY),
	IOC(INJECT_INTERRUPT, K_VCPU, A_IRQ, ARCH_ANY),
	IOC(GET_X86_REGS, K_VCPU, A_X86REGS, ARCH_X86),
	IOC(SET_X86_REGS, K_VCPU, A_X86REGS, ARCH_X86),
	IOC(GET_X86_SREGS, K_VCPU, A_X86SREGS, ARCH_X86),
	IOC(SET_X86_SREGS, K_VCPU, A_X86SREGS, ARCH_X86),
	IOC(GET_ARM64_REGS, K_VCPU, A_ARMREGS, ARCH_ARM),
	IOC(SET_ARM64_REGS, K_VCPU, A_ARMREGS, ARCH_ARM),
	IOC(ARM64_INJECT_EXCEPTION, K_VCPU, A_ARMEXC, ARCH_ARM),
	IOC(ARM64_GET_SYSREG, K_VCPU, A_ARMSYSREG, ARCH_ARM),
	IOC(ARM64_SET_SYSREG, K_VCPU, A_ARMSYSREG, ARCH_ARM),
	IOC(X86_SET_IO_INTERCEPT, K_VCPU, A_IOINT, ARCH_X86),
	IOC(X86_SET_MSR_INTERCEPT, K_VCPU, A_MSRINT, ARCH_X86),
	IOC(X86_SET_CPUID, K_VCPU, A_CPUID, ARCH_X86),
	IOC(X86_SET_USER_HYPERCALL, K_VCPU, A_U32VAL, ARCH_X86),
};

static const struct fz_ioctl *find_cmd(unsigned long cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].cmd == cmd)
			return &table[i];
	return NULL;
}

#ifdef __x86_64__
#define fz_regs_t	struct axvcpu_x86_regs
#define FZ_GET_REGS	AXVCPU_GET_X86_REGS
#define FZ_SET_REGS	AXVCPU_SET_X86_REGS
#define KERNEL_ADDR	0xffffffff81000000UL
#else
#define fz_regs_t	struct axvcpu_arm64_regs
#define FZ_GET_REGS	AXVCPU_GET_ARM64_REGS
#define FZ_SET_REGS	AXVCPU_SET_ARM64_REGS
#define KERNEL_ADDR	0xffff800008000000UL
#endif

/* An address range no mapping of ours uses: below every mmap, above brk. */
#define HOLE_ADDR	0x100000000000UL
#define HOLE_LEN	(1UL << 30)

/*
 * Argument memory of one thread: @rw is ARENA_RW bytes followed by a
 * PROT_NONE guard page (a struct that straddles it is half readable), @ro
 * a read-only page, @none a PROT_NONE page, @dlog room for a dirty bitmap
 * of a 32 GiB slot.
 */
#define ARENA_RW	(4 * 4096)
#define DLOG_LEN	(1 << 20)

struct arena {
	unsigned char *rw, *ro, *none, *dlog;
};

static void arena_init(struct arena *a, struct rng *r)
{
	unsigned char *p = mmap(NULL, ARENA_RW + 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap arena");
	TEST_ASSERT_SYSCALL_OK(mprotect(p + ARENA_RW, 4096, PROT_NONE));
	a->rw = p;
	a->ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(a->ro != MAP_FAILED, "mmap ro");
	fill_rand(r, a->ro, 4096);
	TEST_ASSERT_SYSCALL_OK(mprotect(a->ro, 4096, PROT_READ));
	a->none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(a->none != MAP_FAILED, "mmap none");
	a->dlog = mmap(NULL, DLOG_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(a->dlog != MAP_FAILED, "mmap dlog");
}

/* -------------------------------------------------------------- pools */

/*
 * Host memory to back slots with, of every kind check_vmas() tells apart
 * (Documentation/axvcpu.rst, SET_MEMORY_REGION errors).
 */
enum pool_kind {
	P_RW, P_THP, P_MEMFD, P_HUGE, P_RO, P_FILE, P_NONE, P_RUNPAGE, P_HOLE,
	P_NR,
};

struct pool {
	unsigned char *base;
	size_t len;
	bool good_rw;	/* readable and writable: any slot */
	bool good_ro;	/* readable: a READONLY slot */
};

static struct pool pools[P_NR];

static void pools_init(void *runpage)
{
	unsigned char *p;
	size_t len;
	int fd;

	p = mmap(NULL, 256 << 10, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap pool");
	pools[P_RW] = (struct pool){ p, 256 << 10, true, true };

	/* 4 MiB, 2 MiB aligned, THP eligible. */
	p = mmap(NULL, 6 << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap thp pool");
	p = (unsigned char *)(((uintptr_t)p + (2 << 20) - 1) & ~((2UL << 20) - 1));
	madvise(p, 4 << 20, MADV_HUGEPAGE);
	pools[P_THP] = (struct pool){ p, 4 << 20, true, true };

	fd = memfd_create("fz", 0);
	TEST_ASSERT(fd >= 0, "memfd_create");
	TEST_ASSERT_SYSCALL_OK(ftruncate(fd, 1 << 20));
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap memfd");
	close(fd);
	pools[P_MEMFD] = (struct pool){ p, 1 << 20, true, true };

	/* Virtual only: slots far bigger than the guest kernel's RAM. */
	for (len = 16UL << 30; len >= 1UL << 30; len >>= 2) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED) {
			pools[P_HUGE] = (struct pool){ p, len, true, true };
			break;
		}
	}

	p = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap ro pool");
	TEST_ASSERT_SYSCALL_OK(mprotect(p, 64 << 10, PROT_READ));
	pools[P_RO] = (struct pool){ p, 64 << 10, false, true };

	fd = open("/proc/self/exe", O_RDONLY);
	TEST_ASSERT(fd >= 0, "open /proc/self/exe");
	p = mmap(NULL, 64 << 10, PROT_READ, MAP_PRIVATE, fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap exe");
	close(fd);
	pools[P_FILE] = (struct pool){ p, 64 << 10, false, true };

	p = mmap(NULL, 64 << 10, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap none pool");
	pools[P_NONE] = (struct pool){ p, 64 << 10, false, false };

	/* VM_IO: a run page is never guest memory. */
	pools[P_RUNPAGE] = (struct pool){ runpage, runpage ? 4096 : 0, false, false };
	pools[P_HOLE] = (struct pool){ (void *)HOLE_ADDR, HOLE_LEN, false, false };
}

/* 0: the range is fine for @flags; -EFAULT: it is not; 1: unknown. */
static int mapping_class(__u64 uaddr, __u64 size, __u32 flags)
{
	int i;

	for (i = 0; i < P_NR; i++) {
		const struct pool *p = &pools[i];
		__u64 b = (uintptr_t)p->base;

		if (!p->len || uaddr < b || uaddr >= b + p->len)
			continue;
		if (!p->good_rw && !p->good_ro)
			return -EFAULT;		/* the first page is bad */
		if (!p->good_rw && !(flags & AXVCPU_MEM_READONLY))
			return -EFAULT;
		if (uaddr + size <= b + p->len)
			return 0;
		return 1;
	}
	return 1;
}

static __u64 pick_uaddr(struct rng *r, __u64 size)
{
	const struct pool *p;
	__u64 off;

	switch (below(r, 12)) {
	case 0:
		return iv64[below(r, ARRAY_SIZE(iv64))] & ~0xfffULL;
	case 1:
		return KERNEL_ADDR;
	case 2:
		return (uintptr_t)pools[P_RW].base + 1 + below(r, 4095);
	default:
		break;
	}
	p = &pools[below(r, P_NR)];
	if (!p->len)
		p = &pools[P_RW];
	/* Mostly a range inside the pool, sometimes one running off it. */
	if (size < p->len && !one_in(r, 6))
		off = below(r, (p->len - size) / 4096 + 1) * 4096;
	else
		off = below(r, p->len / 4096) * 4096;
	return (uintptr_t)p->base + off;
}

static __u64 pick_size(struct rng *r)
{
	static const __u64 sizes[] = {
		0, 4096, 8192, 64 << 10, 1 << 20, 2 << 20, 4 << 20, 1ULL << 30,
		16ULL << 30, 1ULL << 40, 1ULL << 47, 0xfffffffffffff000ULL,
		4095, 4097,
	};

	if (one_in(r, 3))
		return below(r, 64) * 4096;
	return sizes[below(r, ARRAY_SIZE(sizes))];
}

static __u64 pick_gpa(struct rng *r, __u64 size)
{
	__u64 top = gpa_bits > 0 && gpa_bits < 64 ? 1ULL << gpa_bits : 0;

	switch (below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return GUEST_MEM_GPA;
	case 2:
		return SLOT1_GPA;
	case 3:
		return top - size;	/* ends right at the limit */
	case 4:
		return top - 4096 * below(r, 3);
	case 5:
		return 0xfee00000;	/* the x86 xAPIC page */
	case 6:
		return iv64[below(r, ARRAY_SIZE(iv64))];
	case 7:
		return (GUEST_MEM_GPA + below(r, 32) * 0x10000) | (one_in(r, 8) ? 0x800 : 0);
	default:
		return below(r, top ? top >> 12 : 1ULL << 36) << 12;
	}
}

/* -------------------------------------------------------- the world */

struct mslot {
	bool used;
	__u32 flags;
	__u64 gpa, size;
};

struct fz_vcpu {
	int fd;			/* -1: no such vcpu */
	struct axvcpu_run *run;
};

struct fz_vm {
	int fd;
	unsigned char *mem;	/* slot 0's backing, GUEST_MEM_SIZE */
	struct mslot slots[AXVCPU_MAX_MEMSLOTS];
	struct fz_vcpu vcpus[AXVCPU_MAX_VCPUS];
};

static int vcpu_new(struct fz_vm *vm, __u32 id)
{
	struct axvcpu_vcpu_create c = { .vcpu_id = id };
	struct fz_vcpu *v = &vm->vcpus[id];

#ifdef __aarch64__
	c.arm64.mpidr = id;
#endif
	v->fd = ioctl(vm->fd, AXVCPU_CREATE_VCPU, &c);
	if (v->fd < 0)
		return -errno;
	v->run = mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	TEST_ASSERT(v->run != MAP_FAILED, "mmap run of vcpu %u", id);
	return 0;
}

static void vcpu_del(struct fz_vm *vm, __u32 id)
{
	struct fz_vcpu *v = &vm->vcpus[id];

	if (v->fd < 0)
		return;
	munmap(v->run, AXVCPU_RUN_SIZE);
	close(v->fd);
	v->fd = -1;
	v->run = NULL;
}

static void vm_region(struct fz_vm *vm, __u32 slot, __u32 flags, __u64 gpa,
		      __u64 size, void *hva)
{
	struct axvcpu_memory_region m = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	TEST_ASSERT_SYSCALL_OK(ioctl(vm->fd, AXVCPU_SET_MEMORY_REGION, &m));
	vm->slots[slot] = (struct mslot){ size != 0, flags, gpa, size };
}

/* A VM with slot 0 holding @code at GUEST_ENTRY, random bytes elsewhere. */
static void vm_new(struct fz_vm *vm, int sys, struct rng *r,
		   const void *code, size_t len)
{
	int i;

	memset(vm, 0, sizeof(*vm));
	for (i = 0; i < AXVCPU_MAX_VCPUS; i++)
		vm->vcpus[i].fd = -1;
	vm->fd = TEST_ASSERT_SYSCALL_OK(ioctl(sys, AXVCPU_CREATE_VM, 0));
	vm->mem = axvm_mem_alloc(GUEST_MEM_SIZE);
	TEST_ASSERT(vm->mem, "guest memory");
	fill_rand(r, vm->mem, GUEST_MEM_SIZE);
	if (code)
		memcpy(vm->mem + (GUEST_ENTRY - GUEST_MEM_GPA), code, len);
	vm_region(vm, 0, 0, GUEST_MEM_GPA, GUEST_MEM_SIZE, vm->mem);
}

static void vm_del(struct fz_vm *vm)
{
	int i;

	for (i = 0; i < AXVCPU_MAX_VCPUS; i++)
		vcpu_del(vm, i);
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
	axvm_mem_free(vm->mem, GUEST_MEM_SIZE);
	vm->mem = NULL;
}

static int nr_vcpus(const struct fz_vm *vm)
{
	int i, n = 0;

	for (i = 0; i < AXVCPU_MAX_VCPUS; i++)
		n += vm->vcpus[i].fd >= 0;
	return n;
}

static int get_state(int fd)
{
	__u32 st;

	return ioctl(fd, AXVCPU_GET_STATE, &st) ? -errno : (int)st;
}

/* A kernel-internal code (ERESTARTSYS 512, ENOIOCTLCMD 515...) must not leak. */
static bool errno_ok(int e)
{
	return e > 0 && e < 512;
}

/* --------------------------------------------------------- arguments */

enum ptrc { PC_NONE, PC_GOOD, PC_RO, PC_BAD, PC_SHORT };

static const char *const ptrc_names[] = { "int", "good", "ro", "bad", "short" };

static __u64 known_sysregs[] = {
#define SR(op0, op1, crn, crm, op2) \
	(((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((crm) << 1))
	SR(3, 3, 13, 0, 3), SR(3, 3, 14, 2, 1), SR(3, 3, 14, 2, 2),
	SR(3, 3, 14, 3, 1), SR(3, 3, 14, 3, 2), SR(3, 4, 4, 0, 0),
	SR(3, 4, 4, 0, 1), SR(3, 4, 4, 1, 0), SR(3, 4, 14, 0, 3),
	SR(3, 3, 4, 4, 0), SR(3, 3, 4, 4, 1), SR(3, 0, 0, 0, 5),
	SR(3, 0, 12, 0, 0), SR(3, 0, 1, 0, 0),
};

/* Mutate a register file fetched from @fd: the module must check it all. */
static void gen_regs(struct rng *r, int fd, void *buf, unsigned long get,
		     size_t size)
{
	__u64 *w = buf;
	int n, i;

	if (one_in(r, 4) || ioctl(fd, get, buf))
		fill_rand(r, buf, size);
	n = 1 + below(r, 3);
	for (i = 0; i < n; i++)
		w[below(r, size / 8)] = rv64(r);
#ifdef __aarch64__
	if (get == AXVCPU_GET_ARM64_REGS && one_in(r, 2)) {
		struct axvcpu_arm64_regs *a = buf;

		/* Every mode value, and the PSTATE bits around it. */
		a->pstate = below(r, 32) | (one_in(r, 4) ? rnd(r) << 5 : 0);
	}
#endif
}

/*
 * Build the argument of @e in the arena: an integer for the _IO calls, else
 * a pointer (returned in *argp) to a struct with boundary values in its
 * fields and, now and then, non-zero reserved fields.
 */
static enum ptrc gen_arg(struct rng *r, const struct fz_ioctl *e, int fd,
			 struct arena *a, unsigned long *argp, bool passthrough)
{
	unsigned char *buf = a->rw + (one_in(r, 4) ? below(r, 64) : 0);
	size_t size = _IOC_SIZE(e->cmd);
	enum ptrc pc = PC_GOOD;

	if (e->arg == A_INT) {
		*argp = one_in(r, 3) ? rv64(r) : 0;
		return PC_NONE;
	}
	if (e->arg == A_CAP) {
		*argp = one_in(r, 4) ? rv64(r) : below(r, 10);
		return PC_NONE;
	}
	if (e->arg == A_CPUID)
		size = sizeof(struct axvcpu_x86_cpuid) +
		       AXVCPU_X86_CPUID_MAX_ENTRIES *
		       sizeof(struct axvcpu_x86_cpuid_entry);
	memset(buf, 0, size);

	switch (e->arg) {
	case A_REGION: {
		struct axvcpu_memory_region *m = (void *)buf;

		m->slot = one_in(r, 8) ? rv32(r) : below(r, 34);
		m->flags = one_in(r, 8) ? rv32(r) : below(r, 3);
		if (one_in(r, 16))
			m->flags = 3;
		m->memory_size = pick_size(r);
		m->guest_phys_addr = pick_gpa(r, m->memory_size);
		m->userspace_addr = pick_uaddr(r, m->memory_size);
		break;
	}
	case A_VCREATE: {
		struct axvcpu_vcpu_create *c = (void *)buf;

		c->vcpu_id = one_in(r, 4) ? rv32(r) : below(r, 12);
		c->flags = one_in(r, 8) ? rv32(r) : 0;
		if (IS_ARM || one_in(r, 6)) {
			c->arm64.mpidr = one_in(r, 2) ? c->vcpu_id : rv64(r);
			c->arm64.dtb_addr = one_in(r, 2) ? 0 : rv64(r);
		}
		if (one_in(r, 8))
			c->pad[2 + below(r, 6)] = rv64(r) | 1;
		break;
	}
	case A_DLOG: {
		struct axvcpu_dirty_log *d = (void *)buf;

		d->slot = one_in(r, 8) ? rv32(r) : below(r, 34);
		d->pad = one_in(r, 8) ? rv32(r) : 0;
		switch (below(r, 8)) {
		case 0:
			d->bitmap = 0;
			break;
		case 1:
			d->bitmap = (uintptr_t)a->none;
			break;
		case 2:
			d->bitmap = (uintptr_t)a->ro;
			break;
		case 3:
			d->bitmap = KERNEL_ADDR;
			break;
		default:
			d->bitmap = (uintptr_t)a->dlog + (one_in(r, 4) ? 3 : 0);
		}
		break;
	}
	case A_SETUP: {
		struct axvcpu_vcpu_setup *s = (void *)buf;

		s->entry = one_in(r, 2) ? GUEST_ENTRY : rv64(r);
		s->flags = one_in(r, 8) ? rv32(r) : 0;
		s->reserved = one_in(r, 8) ? rv32(r) : 0;
		if (IS_ARM) {
			s->arm64.passthrough_interrupt = one_in(r, 10);
			s->arm64.passthrough_timer = one_in(r, 4) ? rnd(r) : 0;
			if (one_in(r, 8))
				s->arm64.pad[below(r, 6)] = rnd(r) | 1;
		}
		if (one_in(r, 8))
			s->pad[below(r, 8)] = rv64(r) | 1;
		break;
	}
	case A_U32P:
	case A_U64P:
		fill_rand(r, buf, size);
		break;
	case A_GPR: {
		struct axvcpu_gpr *g = (void *)buf;

		g->index = one_in(r, 4) ? rv32(r) : below(r, GPR_MAX + 3);
		g->pad = one_in(r, 8) ? rv32(r) : 0;
		g->value = rv64(r);
		break;
	}
	case A_IRQ: {
		struct axvcpu_interrupt *q = (void *)buf;

		q->vector = one_in(r, 4) ? rv32(r) :
			    below(r, IS_X86 ? 260 : 1030);
		q->flags = one_in(r, 3) ? (one_in(r, 4) ? rv32(r) : below(r, 8)) : 0;
		q->error_code = one_in(r, 4) ? rv32(r) : 0;
		q->pad = one_in(r, 8) ? rv32(r) : 0;
		break;
	}
	case A_X86REGS:
	case A_X86SREGS:
	case A_ARMREGS:
		if (e->cmd == AXVCPU_SET_X86_REGS)
			gen_regs(r, fd, buf, AXVCPU_GET_X86_REGS, size);
		else if (e->cmd == AXVCPU_SET_X86_SREGS)
			gen_regs(r, fd, buf, AXVCPU_GET_X86_SREGS, size);
		else if (e->cmd == AXVCPU_SET_ARM64_REGS)
			gen_regs(r, fd, buf, AXVCPU_GET_ARM64_REGS, size);
		else
			fill_rand(r, buf, size);
		break;
	case A_ARMEXC: {
		struct axvcpu_arm64_exception *x = (void *)buf;

		x->type = one_in(r, 4) ? rv32(r) : below(r, 6);
		x->pad = one_in(r, 8) ? rv32(r) : 0;
		x->esr = rv64(r);
		x->addr = rv64(r);
		break;
	}
	case A_ARMSYSREG: {
		struct axvcpu_arm64_sysreg *s = (void *)buf;

		if (one_in(r, 2))
			s->id = known_sysregs[below(r, ARRAY_SIZE(known_sysregs))];
		else if (one_in(r, 2))
			s->id = SR(2 + below(r, 2), below(r, 8), below(r, 16),
				   below(r, 16), below(r, 8));
		else
			s->id = rv64(r);
		s->value = rv64(r);
		break;
	}
	case A_IOINT: {
		struct axvcpu_x86_io_intercept *io = (void *)buf;

		io->first_port = one_in(r, 3) ? rv32(r) : below(r, 0x10000);
		io->nr_ports = one_in(r, 3) ? rv32(r) : below(r, 0x100);
		/* Real ports only where nothing runs before they are taken back. */
		io->intercept = passthrough && one_in(r, 3) ? 0 :
				one_in(r, 6) ? rv32(r) | 2 : 1;
		io->pad = one_in(r, 8) ? rv32(r) : 0;
		break;
	}
	case A_MSRINT: {
		static const __u32 msrs[] = {
			0, 0x10, 0x1b, 0x3f8, 0x3fc, 0x60d, 0x630, 0x660,
			0x1fff, 0x2000, 0xc0000000, 0xc0000080, 0xc0001fff,
			0xc0002000,
		};
		struct axvcpu_x86_msr_intercept *mi = (void *)buf;

		mi->first_msr = one_in(r, 4) ? rv32(r) : msrs[below(r, ARRAY_SIZE(msrs))];
		mi->nr_msrs = one_in(r, 3) ? rv32(r) : below(r, 8);
		mi->flags = one_in(r, 6) ? rv32(r) : below(r, 4);
		mi->intercept = passthrough && one_in(r, 2) ? 0 :
				one_in(r, 6) ? rv32(r) : 1;
		break;
	}
	case A_CPUID: {
		static const __u32 leaves[] = {
			0, 1, 4, 7, 0xb, 0xd, 0x1f, 0x40000000, 0x80000000,
			0x80000001, 0x80000008,
		};
		struct axvcpu_x86_cpuid *c = (void *)buf;
		__u32 i, n;

		c->nent = one_in(r, 5) ? rv32(r) : below(r, 9);
		if (one_in(r, 10))
			c->nent = AXVCPU_X86_CPUID_MAX_ENTRIES + below(r, 2);
		c->pad = one_in(r, 10) ? rv32(r) : 0;
		n = c->nent < AXVCPU_X86_CPUID_MAX_ENTRIES ? c->nent :
		    AXVCPU_X86_CPUID_MAX_ENTRIES;
		for (i = 0; i < n; i++) {
			struct axvcpu_x86_cpuid_entry *en = &c->entries[i];

			en->function = one_in(r, 4) ? rv32(r) :
				       leaves[below(r, ARRAY_SIZE(leaves))];
			en->flags = one_in(r, 3) ? AXVCPU_X86_CPUID_INDEXED :
				    one_in(r, 10) ? rv32(r) : 0;
			en->index = en->flags ? below(r, 4) : 0;
			if (one_in(r, 10))
				en->index = rv32(r);
			en->eax = rnd(r);
			en->ebx = rnd(r);
			en->ecx = rnd(r);
			en->edx = rnd(r);
			en->pad = one_in(r, 16) ? 1 : 0;
			if (i && one_in(r, 8))	/* a duplicate leaf */
				*en = c->entries[below(r, i)];
		}
		break;
	}
	case A_U32VAL:
		*(__u32 *)buf = one_in(r, 2) ? below(r, 3) : rv32(r);
		break;
	default:
		break;
	}

	switch (below(r, 16)) {
	case 0: {
		static const unsigned long bad[] = {
			0, 1, KERNEL_ADDR, -4096UL, HOLE_ADDR, 0x1000,
		};

		*argp = one_in(r, 3) ? (uintptr_t)a->none : bad[below(r, ARRAY_SIZE(bad))];
		return PC_BAD;
	}
	case 1:
		if (size >= 2) {
			unsigned char *s = a->rw + ARENA_RW - size / 2;

			memmove(s, buf, size / 2);
			*argp = (uintptr_t)s;
			return PC_SHORT;
		}
		break;
	case 2:
		*argp = (uintptr_t)a->ro;
		return PC_RO;
	default:
		break;
	}
	*argp = (uintptr_t)buf;
	return pc;
}

/* Bits 29:16 of the number, the _IOC size (asm-generic/ioctl.h). */
static unsigned long mutate_cmd(struct rng *r, unsigned long cmd)
{
	unsigned long size = _IOC_SIZE(cmd);

	switch (below(r, 6)) {
	case 0:
		size = 0;
		break;
	case 1:
		size = size ? size - 1 : 1;
		break;
	case 2:
		size += 1 + below(r, 16);
		break;
	case 3:
		size = below(r, _IOC_SIZEMASK + 1);
		break;
	case 4:	/* direction bits */
		return _IOC(below(r, 4), _IOC_TYPE(cmd), _IOC_NR(cmd), size);
	default:
		return _IOC(_IOC_DIR(cmd), AXVCPUIO, below(r, 0x80), below(r, 0x200));
	}
	return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd),
		    size & _IOC_SIZEMASK);
}

/* ---------------------------------------------- models of the VM calls */

/*
 * SET_MEMORY_REGION as Documentation/axvcpu.rst orders its errors.  Returns
 * the expected result and, in *alt, another acceptable one (or NO_EXPECT).
 * Where the VMM's range is bad and the slot also conflicts, the code checks
 * the VMAs first (-EFAULT), the doc's table lists -EBUSY/-EEXIST first: both
 * are accepted; *conflict_too says the case arose.
 */
static int predict_region(const struct fz_vm *vm,
			  const struct axvcpu_memory_region *m, int *alt,
			  bool *conflict_too)
{
	__u64 gpa = m->guest_phys_addr, size = m->memory_size;
	__u64 ua = m->userspace_addr;
	int conflict = 0, map, i;

	*alt = NO_EXPECT;
	*conflict_too = false;
	if (m->flags & ~(AXVCPU_MEM_READONLY | AXVCPU_MEM_LOG_DIRTY))
		return -EINVAL;
	if ((m->flags & AXVCPU_MEM_READONLY) && (m->flags & AXVCPU_MEM_LOG_DIRTY))
		return -EINVAL;
	if (m->slot >= AXVCPU_MAX_MEMSLOTS)
		return -EINVAL;
	if ((gpa | size | ua) & 0xfff)
		return -EINVAL;
	if (!size)
		return vm->slots[m->slot].used ? 0 : -ENOENT;
	if (gpa + size < gpa || ua + size < ua)
		return -EINVAL;
	if (gpa_bits > 0 && gpa_bits < 64 && gpa + size > (1ULL << gpa_bits))
		return -ERANGE;
	if (vm->slots[m->slot].used) {
		conflict = -EBUSY;
	} else {
		for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++) {
			const struct mslot *s = &vm->slots[i];

			if (s->used && gpa < s->gpa + s->size && s->gpa < gpa + size)
				conflict = -EEXIST;
		}
	}
	map = mapping_class(ua, size, m->flags);
	if (!map) {
		if ((m->flags & AXVCPU_MEM_LOG_DIRTY) && size >= (1ULL << 30) && !conflict)
			*alt = -ENOMEM;
		return conflict;
	}
	*conflict_too = conflict && map == -EFAULT;
	*alt = conflict ? conflict : map == 1 ? 0 : NO_EXPECT;
	return -EFAULT;
}

static int predict_create(const struct fz_vm *vm,
			  const struct axvcpu_vcpu_create *c)
{
	size_t used = IS_ARM ? sizeof(c->arm64) : 0;
	const unsigned char *p = (const void *)c->pad;
	size_t i;

	if (c->flags || c->vcpu_id >= AXVCPU_MAX_VCPUS)
		return -EINVAL;
	for (i = used; i < sizeof(c->pad); i++)
		if (p[i])
			return -EINVAL;
	return vm->vcpus[c->vcpu_id].fd >= 0 ? -EEXIST : 0;
}

static int predict_dlog(const struct fz_vm *vm, const struct axvcpu_dirty_log *d,
			const struct arena *a)
{
	const struct mslot *s;

	if (d->slot >= AXVCPU_MAX_MEMSLOTS || d->pad)
		return -EINVAL;
	s = &vm->slots[d->slot];
	if (!s->used || !(s->flags & AXVCPU_MEM_LOG_DIRTY))
		return -ENOENT;
	if (d->bitmap < (uintptr_t)a->dlog ||
	    d->bitmap + (s->size / 4096 + 63) / 64 * 8 > (uintptr_t)a->dlog + DLOG_LEN)
		return -EFAULT;
	return 0;
}

/* ======================================================= phase 1 ===== */

/*
 * Random calls from the table on every fd, one thread.  What must hold:
 * every answer is success or a real errno; unknown numbers and the wrong
 * fd kinds are -ENOTTY, non-axvcpu fds never succeed; SET_MEMORY_REGION,
 * CREATE_VCPU and GET_DIRTY_LOG give what the documented checks predict;
 * a call that fails leaves the vcpu's state and registers as they were,
 * except a life-cycle call, which may only leave it Invalid.
 */

enum tgt { T_SYS, T_VM_A, T_VM_B, T_VCPU_A, T_VCPU_B, T_FOREIGN, T_BADFD };
static const char *const tgt_names[] = {
	"sys", "vmA", "vmB", "vcpuA", "vcpuB", "foreign", "badfd",
};

struct world {
	int sys;
	struct fz_vm a, b;
	int foreign[4];		/* regular file, pipe, eventfd, /dev/null */
	struct arena ar;
	struct rng r;
	unsigned long calls, ok, model_checked, cmd_mutated;
	unsigned long order[2];	/* bad VMAs + conflict: [0] doc's errno, [1] -EFAULT */
	unsigned long per_errno[140];
};

static void world_vm_a(struct world *w)
{
	vm_new(&w->a, w->sys, &w->r, guest_hcall_loop_start,
	       GUEST_CODE_LEN(guest_hcall_loop));
	TEST_ASSERT(!vcpu_new(&w->a, 0), "vcpu 0");
}

/* Restore full I/O and MSR interception after a passthrough call. */
static void reintercept(int fd)
{
#ifdef __x86_64__
	struct axvcpu_x86_io_intercept io = { 0, 0x10000, 1, 0 };
	struct axvcpu_x86_msr_intercept lo = { 0, 0x2000, 3, 1 };
	struct axvcpu_x86_msr_intercept hi = { 0xc0000000, 0x2000, 3, 1 };

	FZ_ASSERT(!ioctl(fd, AXVCPU_X86_SET_IO_INTERCEPT, &io) &&
		  !ioctl(fd, AXVCPU_X86_SET_MSR_INTERCEPT, &lo) &&
		  !ioctl(fd, AXVCPU_X86_SET_MSR_INTERCEPT, &hi),
		  "taking the ports and MSRs back failed");
#endif
}

/* Slots the model thinks are empty must be (-ENOENT to delete them). */
static void slot_audit(struct world *w)
{
	struct axvcpu_memory_region m = { 0 };
	__u32 i;

	for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++) {
		const struct mslot *s = &w->a.slots[i];
		long r;

		m.slot = i;
		if (s->used) {
			/*
			 * Adding a used slot again is -EBUSY, and changes
			 * nothing; over memory check_vmas() accepts, which it
			 * looks at first.
			 */
			if (s->size > pools[P_HUGE].len)
				continue;
			m.flags = s->flags;
			m.guest_phys_addr = s->gpa;
			m.memory_size = s->size;
			m.userspace_addr = (uintptr_t)pools[P_HUGE].base;
			errno = 0;
			r = ioctl(w->a.fd, AXVCPU_SET_MEMORY_REGION, &m);
			FZ_ASSERT(r == -1 && errno == EBUSY,
				  "audit: re-adding used slot %u [%#llx +%#llx): ret %ld %s",
				  i, (unsigned long long)s->gpa,
				  (unsigned long long)s->size, r, errno_name(errno));
			continue;
		}
		memset(&m, 0, sizeof(m));
		m.slot = i;
		errno = 0;
		r = ioctl(w->a.fd, AXVCPU_SET_MEMORY_REGION, &m);
		FZ_ASSERT(r == -1 && errno == ENOENT,
			  "audit: slot %u should be empty: delete gave ret %ld %s",
			  i, r, errno_name(errno));
	}
}

static void check_state_after(struct world *w, const char *name, unsigned long cmd,
			      long ret, int err, int st0, int st1)
{
	bool life = cmd == AXVCPU_SETUP || cmd == AXVCPU_BIND ||
		    cmd == AXVCPU_UNBIND || cmd == AXVCPU_RUN;

	FZ_ASSERT(st1 >= 0 && st1 <= AXVCPU_STATE_READY,
		  "%s: GET_STATE after it: %d (Running/Blocked/other with no RUN in flight)",
		  name, st1);
	if (ret >= 0) {
		if (cmd == AXVCPU_SETUP)
			FZ_ASSERT(st0 == AXVCPU_STATE_CREATED && st1 == AXVCPU_STATE_FREE,
				  "SETUP succeeded: %s -> %s", axvm_state_name(st0),
				  axvm_state_name(st1));
		else if (cmd == AXVCPU_BIND)
			FZ_ASSERT(st0 == AXVCPU_STATE_FREE && st1 == AXVCPU_STATE_READY,
				  "BIND succeeded: %s -> %s", axvm_state_name(st0),
				  axvm_state_name(st1));
		else if (cmd == AXVCPU_UNBIND)
			FZ_ASSERT(st0 == AXVCPU_STATE_READY && st1 == AXVCPU_STATE_FREE,
				  "UNBIND succeeded: %s -> %s", axvm_state_name(st0),
				  axvm_state_name(st1));
		else if (cmd == AXVCPU_RUN)
			FZ_ASSERT(st0 == AXVCPU_STATE_READY && st1 == AXVCPU_STATE_READY,
				  "RUN succeeded: %s -> %s", axvm_state_name(st0),
				  axvm_state_name(st1));
		else
			FZ_ASSERT(st0 == st1, "%s succeeded and changed the state %s -> %s",
				  name, axvm_state_name(st0), axvm_state_name(st1));
		return;
	}
	if (!life || err == EFAULT || err == ENOTTY || err == EBUSY ||
	    (cmd == AXVCPU_RUN && err == EINTR)) {
		FZ_ASSERT(st0 == st1, "%s failed (%s) and changed the state %s -> %s",
			  name, errno_name(err), axvm_state_name(st0),
			  axvm_state_name(st1));
		return;
	}
	if (err == EBADFD) {
		FZ_ASSERT(st1 == AXVCPU_STATE_INVALID,
			  "%s: EBADFD but the vcpu is %s, not Invalid", name,
			  axvm_state_name(st1));
		FZ_ASSERT(st0 != (cmd == AXVCPU_SETUP ? AXVCPU_STATE_CREATED :
				  cmd == AXVCPU_BIND ? AXVCPU_STATE_FREE :
				  AXVCPU_STATE_READY),
			  "%s: EBADFD in the state it is legal in (%s)", name,
			  axvm_state_name(st0));
		return;
	}
	/* An argument error (unchanged) or a failed arch step (Invalid). */
	FZ_ASSERT(st1 == st0 || st1 == AXVCPU_STATE_INVALID,
		  "%s failed (%s): state %s -> %s", name, errno_name(err),
		  axvm_state_name(st0), axvm_state_name(st1));
}

static void fuzz_one(struct world *w)
{
	struct rng *r = &w->r;
	const struct fz_ioctl *e = &table[below(r, ARRAY_SIZE(table))];
	unsigned long cmd = e->cmd, arg = 0;
	const struct fz_ioctl *known;
	struct fz_vm *vm = NULL, *vv = NULL;
	fz_regs_t regs0, regs1;
	bool have_regs = false;
	int fd = -1, st0 = -1, st1, err, vcpu_id = -1, dupfd = -1;
	int expect = NO_EXPECT, alt = NO_EXPECT;
	bool conflict_too = false, foreign_type = false;
	enum tgt t;
	enum ptrc pc;
	long ret;

	/* The fd: mostly the kind the call is for, else any. */
	t = e->kind == K_SYS ? T_SYS : e->kind == K_VM ? T_VM_A : T_VCPU_A;
	if (one_in(r, 5))
		t = below(r, T_BADFD + 1);
	if (t == T_VM_B && one_in(r, 2))
		t = T_VM_A;
	switch (t) {
	case T_SYS:
		fd = w->sys;
		break;
	case T_VM_A:
		vm = &w->a;
		fd = vm->fd;
		break;
	case T_VM_B:
		fd = w->b.fd;
		break;
	case T_VCPU_A:
	case T_VCPU_B: {
		struct fz_vm *v = t == T_VCPU_A ? &w->a : &w->b;
		int i, n = below(r, AXVCPU_MAX_VCPUS);

		vv = v;

		for (i = 0; i < AXVCPU_MAX_VCPUS; i++)
			if (v->vcpus[(n + i) % AXVCPU_MAX_VCPUS].fd >= 0)
				break;
		if (i == AXVCPU_MAX_VCPUS) {
			t = T_SYS;
			fd = w->sys;
			break;
		}
		vcpu_id = (n + i) % AXVCPU_MAX_VCPUS;
		fd = v->vcpus[vcpu_id].fd;
		/* The same file through another fd. */
		if (one_in(r, 10)) {
			dupfd = dup(fd);
			fd = dupfd;
		}
		break;
	}
	case T_FOREIGN:
		fd = w->foreign[below(r, ARRAY_SIZE(w->foreign))];
		break;
	case T_BADFD:
		fd = one_in(r, 2) ? -1 : 1000 + below(r, 1000);
		break;
	}

	if (one_in(r, 8)) {
		cmd = mutate_cmd(r, cmd);
		w->cmd_mutated++;
	}
	known = find_cmd(cmd);
	foreign_type = _IOC_TYPE(cmd) != AXVCPUIO;
	pc = gen_arg(r, known ? known : e, fd, &w->ar, &arg, true);

	if (vcpu_id >= 0) {
		st0 = get_state(fd);
		have_regs = !ioctl(fd, FZ_GET_REGS, &regs0);
	}

	/* What the documented checks make of it, where that is exact. */
	if (t == T_BADFD) {
		expect = -EBADF;
	} else if (t == T_FOREIGN) {
		if (!foreign_type)
			expect = -ENOTTY;
	} else if (!known) {
		if (!foreign_type)
			expect = -ENOTTY;
	} else if (cmd == AXVCPU_GET_STATS_FD) {
		/* The one call of both VM and vcpu fds. */
		expect = t == T_SYS ? -ENOTTY : arg ? -EINVAL : FD_EXPECT;
	} else if ((known->kind == K_SYS) != (t == T_SYS) ||
		   (known->kind == K_VM) != (t == T_VM_A || t == T_VM_B) ||
		   (known->arch != ARCH_ANY && known->arch != ARCH_HERE)) {
		expect = -ENOTTY;
	} else if (cmd == AXVCPU_GET_API_VERSION) {
		expect = arg ? -EINVAL : AXVCPU_API_VERSION;
	} else if (cmd == AXVCPU_CHECK_EXTENSION) {
		static const long caps[] = {
			0, AXVCPU_MAX_VCPUS, AXVCPU_MAX_MEMSLOTS, 1,
			IS_X86 ? AXVCPU_ARCH_X86_64 : AXVCPU_ARCH_ARM64,
			1, 0 /* gpa_bits */, 4096, IS_X86,
			1 /* HALT_IN_KERNEL */, 1 /* STATS_FD */,
		};

		expect = arg < ARRAY_SIZE(caps) ? caps[arg] : 0;
		if (arg == AXVCPU_CAP_MAX_GPA_BITS)
			expect = gpa_bits;
	} else if (cmd == AXVCPU_CREATE_VM && arg) {
		expect = -EINVAL;
	} else if (pc == PC_BAD || (pc == PC_SHORT && cmd != AXVCPU_X86_SET_CPUID)) {
		/*
		 * x86's register reads look at the VMCS before the pointer;
		 * SET_CPUID reads only nent entries of its half-readable buffer.
		 */
		if (cmd != AXVCPU_GET_X86_REGS && cmd != AXVCPU_GET_X86_SREGS)
			expect = -EFAULT;
	} else if (t == T_VM_A && (pc == PC_GOOD || pc == PC_RO)) {
		void *p = (void *)arg;

		if (cmd == AXVCPU_SET_MEMORY_REGION)
			expect = predict_region(vm, p, &alt, &conflict_too);
		else if (cmd == AXVCPU_CREATE_VCPU)
			expect = predict_create(vm, p);
		else if (cmd == AXVCPU_GET_DIRTY_LOG)
			expect = predict_dlog(vm, p, &w->ar);
	} else if (cmd == AXVCPU_RUN && arg) {
		expect = -EINVAL;
	} else if (cmd == AXVCPU_GET_STATE && pc == PC_RO) {
		expect = -EFAULT;
	}
	if (expect == 0 && (cmd == AXVCPU_CREATE_VCPU || cmd == AXVCPU_CREATE_VM))
		expect = FD_EXPECT;

	oplog("%s%s (%#lx) on %s fd %d, arg %#lx (%s)", known ? known->name : "?",
	      cmd != e->cmd ? " mutated" : "", cmd, tgt_names[t], fd, arg,
	      ptrc_names[pc]);
	if (fz_trace && pc != PC_NONE && pc != PC_BAD && _IOC_SIZE(cmd)) {
		const __u64 *q = (const void *)arg;

		if (pc != PC_SHORT)
			oplog("  cmd %#lx words %#llx %#llx %#llx %#llx", cmd,
			      (unsigned long long)q[0], (unsigned long long)q[1],
			      (unsigned long long)q[2], (unsigned long long)q[3]);
	}

	if (cmd == AXVCPU_RUN && fd >= 0 && !arg) {
		struct axvcpu_run *run = vcpu_id >= 0 ? vv->vcpus[vcpu_id].run : NULL;

		if (run)
			run->immediate_exit = one_in(r, 2);
		ret = bounded_run(0, fd, 5 + below(r, 30));
	} else {
		errno = 0;
		ret = ioctl(fd, cmd, arg);
	}
	err = ret < 0 ? errno : 0;
	w->calls++;
	if (ret >= 0)
		w->ok++;
	else if (err < (int)ARRAY_SIZE(w->per_errno))
		w->per_errno[err]++;
	oplog("  -> %ld %s", ret, ret < 0 ? errno_name(err) : "");

	FZ_ASSERT(ret >= 0 || errno_ok(err), "%s: ret %ld errno %d is no errno",
		  known ? known->name : "cmd", ret, err);
	if (t == T_FOREIGN && !foreign_type)
		FZ_ASSERT(ret < 0, "cmd %#lx succeeded on a non-axvcpu fd", cmd);

	if (expect != NO_EXPECT) {
		bool good;

		if (expect == FD_EXPECT)
			good = ret >= 0 || err == EMFILE || err == ENOMEM;
		else if (expect < 0)
			good = (ret == -1 && err == -expect) ||
			       (alt != NO_EXPECT &&
				(alt < 0 ? ret == -1 && err == -alt : ret == alt));
		else
			good = ret == expect ||
			       (alt != NO_EXPECT && ret == -1 && err == -alt);
		FZ_ASSERT(good, "%s (cmd %#lx) on %s fd, arg %s: got ret %ld %s, expected %d %s (or %#x)",
			  known ? known->name : "unknown", cmd,
			  tgt_names[t],
			  ptrc_names[pc], ret, ret < 0 ? errno_name(err) : "",
			  expect, expect < 0 ? errno_name(-expect) : "", alt);
		w->model_checked++;
		if (conflict_too && ret == -1)
			w->order[err == EFAULT]++;
	}

	/* Keep the model of VM A in step with what happened. */
	if (t == T_VM_A && ret >= 0 && cmd == AXVCPU_SET_MEMORY_REGION) {
		const struct axvcpu_memory_region *m = (const void *)arg;

		vm->slots[m->slot] = (struct mslot){
			m->memory_size != 0, m->flags, m->guest_phys_addr,
			m->memory_size };
	}
	if (ret >= 0 && cmd == AXVCPU_CREATE_VCPU && t == T_VM_A) {
		const struct axvcpu_vcpu_create *c = (const void *)arg;
		struct fz_vcpu *v = &vm->vcpus[c->vcpu_id];

		v->fd = ret;
		v->run = mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ | PROT_WRITE,
			      MAP_SHARED, ret, 0);
		FZ_ASSERT(v->run != MAP_FAILED, "mmap run of the new vcpu");
		/* A failed CREATE_VCPU leaves no vcpu behind (see the model). */
	} else if (ret >= 0 && (cmd == AXVCPU_CREATE_VCPU || cmd == AXVCPU_CREATE_VM ||
				cmd == AXVCPU_GET_STATS_FD)) {
		close(ret);
	}
	if (ret >= 0 && (cmd == AXVCPU_X86_SET_IO_INTERCEPT ||
			 cmd == AXVCPU_X86_SET_MSR_INTERCEPT))
		reintercept(fd);

	if (vcpu_id >= 0 && t != T_BADFD) {
		st1 = get_state(fd);
		check_state_after(w, known ? known->name : "unknown cmd",
				  known ? cmd : 0, ret, err, st0, st1);
		/* A failed call (but RUN, which enters the guest) keeps the registers. */
		if (have_regs && ret < 0 && cmd != AXVCPU_RUN &&
		    !(cmd == AXVCPU_SETUP && st1 != st0)) {
			FZ_ASSERT(!ioctl(fd, FZ_GET_REGS, &regs1),
				  "GET_REGS worked before %s, not after", e->name);
			FZ_ASSERT(!memcmp(&regs0, &regs1, sizeof(regs0)),
				  "%s failed (%s) and changed the registers",
				  known ? known->name : "unknown cmd", errno_name(err));
		}
		if (ret == 0 && cmd == AXVCPU_SET_GPR && pc == PC_GOOD) {
			struct axvcpu_gpr g = *(struct axvcpu_gpr *)arg;
			__u64 want = g.value;

			if (IS_ARM && g.index == 31)
				want = 0;
			g.value = ~want;
			FZ_ASSERT(!ioctl(fd, AXVCPU_GET_GPR, &g) && g.value == want,
				  "SET_GPR %u = %#llx reads back %#llx", g.index,
				  (unsigned long long)want, (unsigned long long)g.value);
		}
	}
	if (dupfd >= 0)
		close(dupfd);
}

TEST(ioctl_single)
{
	double budget = phase_budget(0.25);
	struct oplog log;
	struct world *w;
	__u64 end, n = 0;
	int i, fds[2];

	if (!phase_start("ioctl_single", budget))
		SKIP(return, "AXVCPU_FUZZ_ONLY=%s", getenv("AXVCPU_FUZZ_ONLY"));
	log_attach(&log, "main");
	w = calloc(1, sizeof(*w));
	TEST_ASSERT(w, "calloc");
	rng_init(&w->r, 1);
	arena_init(&w->ar, &w->r);
	w->sys = open_dev();
	world_vm_a(w);
	vm_new(&w->b, w->sys, &w->r, NULL, 0);
	TEST_ASSERT(!vcpu_new(&w->b, 3), "vcpu 3 of VM B");
	pools_init(w->a.vcpus[0].run);
	w->foreign[0] = open("/proc/self/exe", O_RDONLY);
	TEST_ASSERT_SYSCALL_OK(pipe(fds));
	w->foreign[1] = fds[0];
	w->foreign[2] = eventfd(0, 0);
	w->foreign[3] = open("/dev/null", O_RDWR);
	for (i = 0; i < 4; i++)
		TEST_ASSERT(w->foreign[i] >= 0, "foreign fd %d", i);
	kicker_start(false);

	end = now_ns() + budget * 1e9;
	while (now_ns() < end) {
		fuzz_one(w);
		n++;
		if (!(n % 97))
			slot_audit(w);
		/* Keep VM A small; now and then start it over. */
		if (nr_vcpus(&w->a) > 12)
			vcpu_del(&w->a, 1 + below(&w->r, AXVCPU_MAX_VCPUS - 1));
		if (!(n % 701) || !nr_vcpus(&w->a)) {
			oplog("new VM A");
			vm_del(&w->a);
			world_vm_a(w);
			pools[P_RUNPAGE].base = (void *)w->a.vcpus[0].run;
		}
	}
	kicker_end();
	slot_audit(w);
	printf("# ioctl_single: %lu calls, %lu succeeded, %lu checked against the model, %lu with mutated numbers, %lu kicks\n",
	       w->calls, w->ok, w->model_checked, w->cmd_mutated,
	       (unsigned long)atomic_load(&kicks));
	printf("# errnos:");
	for (i = 0; i < (int)ARRAY_SIZE(w->per_errno); i++)
		if (w->per_errno[i])
			printf(" %s=%lu", errno_name(i), w->per_errno[i]);
	printf("\n");
	if (w->order[0] + w->order[1])
		printf("# note: SET_MEMORY_REGION with unusable memory AND a used or overlapping slot: %lu x -EFAULT, %lu x -EBUSY/-EEXIST (Documentation/axvcpu.rst lists -EBUSY/-EEXIST first)\n",
		       w->order[1], w->order[0]);
	TEST_ASSERT(w->calls >= 50, "only %lu calls in %.1f s", w->calls, budget);
	TEST_ASSERT(w->model_checked > w->calls / 4, "only %lu of %lu calls had an exact expectation",
		    w->model_checked, w->calls);
	vm_del(&w->a);
	vm_del(&w->b);
	close(w->sys);
}

/* ======================================================= phase 2 ===== */

/*
 * The life cycle against its model (Documentation/axvcpu.rst, section 4):
 * a legal prefix, then random calls, some with bad arguments; after each,
 * the result and the state must be the model's.  Every state but Blocked
 * must be seen (Running through GET_STATE from the kicker thread).
 */
enum lop { L_SETUP, L_BIND, L_UNBIND, L_RUN, L_GPR, L_INJECT, L_STATE, L_NR };
static const char *const lop_names[] = {
	"SETUP", "BIND", "UNBIND", "RUN", "SET_GPR", "INJECT", "GET_STATE",
};

struct lstep {
	enum lop op;
	int badarg;		/* 0, or the errno the argument earns */
	bool passthrough_irq;	/* arm64: the arch step fails */
	bool spin;		/* RUN of a spinning guest: -EINTR */
};

static void lstep_gen(struct rng *r, struct lstep *s, __u32 state, bool legal)
{
	memset(s, 0, sizeof(*s));
	if (legal) {
		s->op = state == AXVCPU_STATE_CREATED ? L_SETUP :
			state == AXVCPU_STATE_FREE ? L_BIND :
			one_in(r, 4) ? L_UNBIND : L_RUN;
	} else {
		s->op = below(r, L_NR);
	}
	if (s->op == L_SETUP && !legal && one_in(r, 3))
		s->badarg = one_in(r, 2) ? EINVAL : EFAULT;
	if (s->op == L_RUN && !legal && one_in(r, 6))
		s->badarg = EINVAL;
	if (s->op == L_SETUP && !s->badarg && IS_ARM && !legal &&
	    one_in(r, 6))
		s->passthrough_irq = true;
	s->spin = one_in(r, 3);
}

/* Do @s on @fd; check against the model; return the model's new state. */
static __u32 lstep_do(struct rng *r, struct arena *a, int fd,
		      struct axvcpu_run *run, const struct lstep *s, __u32 st)
{
	struct axvcpu_vcpu_setup *setup = (void *)a->rw;
	int exp_err = 0, err;
	__u32 next = st;
	long ret;
	int got;

	switch (s->op) {
	case L_SETUP:
		memset(setup, 0, sizeof(*setup));
		/* guest_spin is at +0x100, guest_hcall_loop at the entry. */
		setup->entry = GUEST_ENTRY + (s->spin ? 0x100 : 0);
		if (s->badarg == EINVAL) {
			switch (below(r, 3)) {
			case 0: {
				unsigned int b;

				/*
				 * Bit 1 is AXVCPU_SETUP_HALT_IN_KERNEL; x86
				 * takes AXVCPU_SETUP_X86_WAIT_SIPI (bit 0).
				 */
				do
					b = below(r, 32);
				while (b == 1 || (IS_X86 && b == 0));
				setup->flags = 1U << b;
				break;
			}
			case 1:
				setup->reserved = rv32(r) | 1;
				break;
			default:
				setup->pad[7] = 1;
			}
		}
		setup->arm64.passthrough_interrupt = s->passthrough_irq;
		errno = 0;
		ret = ioctl(fd, AXVCPU_SETUP, s->badarg == EFAULT ?
			    (void *)(one_in(r, 2) ? NULL : a->none) : setup);
		if (s->badarg)
			exp_err = s->badarg;
		else if (st != AXVCPU_STATE_CREATED)
			exp_err = EBADFD;
		else if (s->passthrough_irq)
			exp_err = EOPNOTSUPP;
		if (!exp_err)
			next = AXVCPU_STATE_FREE;
		else if (!s->badarg)
			next = AXVCPU_STATE_INVALID;
		break;
	case L_BIND:
	case L_UNBIND: {
		__u32 from = s->op == L_BIND ? AXVCPU_STATE_FREE : AXVCPU_STATE_READY;

		/* _IO calls: the argument is not looked at. */
		errno = 0;
		ret = ioctl(fd, s->op == L_BIND ? AXVCPU_BIND : AXVCPU_UNBIND,
			    one_in(r, 4) ? rnd(r) : 0);
		if (st != from) {
			exp_err = EBADFD;
			next = AXVCPU_STATE_INVALID;
		} else {
			next = s->op == L_BIND ? AXVCPU_STATE_READY : AXVCPU_STATE_FREE;
		}
		break;
	}
	case L_RUN:
		run->immediate_exit = !s->spin && one_in(r, 4);
		if (s->badarg) {
			errno = 0;
			ret = ioctl(fd, AXVCPU_RUN, 1 + below(r, 100));
			exp_err = EINVAL;
		} else {
			ret = bounded_run(0, fd, 20 + below(r, 30));
			if (st != AXVCPU_STATE_READY) {
				exp_err = EBADFD;
				next = AXVCPU_STATE_INVALID;
			}
		}
		run->immediate_exit = 0;
		break;
	case L_GPR: {
		struct axvcpu_gpr g = { .index = below(r, GPR_MAX + 1), .value = rnd(r) };

		errno = 0;
		ret = ioctl(fd, AXVCPU_SET_GPR, &g);
		break;
	}
	case L_INJECT: {
		struct axvcpu_interrupt q = { .vector = 32 + below(r, 32) };

		errno = 0;
		ret = ioctl(fd, AXVCPU_INJECT_INTERRUPT, &q);
		break;
	}
	default:
		errno = 0;
		got = get_state(fd);
		ret = got < 0 ? -1 : 0;
		FZ_ASSERT(got == (int)st, "GET_STATE %d, model %s", got,
			  axvm_state_name(st));
		break;
	}
	err = ret < 0 ? errno : 0;
	oplog("%s%s%s in %s -> %ld %s", lop_names[s->op],
	      s->badarg ? " (bad arg)" : "", s->passthrough_irq ? " (passthrough_interrupt)" : "",
	      axvm_state_name(st), ret, ret < 0 ? errno_name(err) : "");

	if (s->op == L_RUN && !exp_err) {
		FZ_ASSERT(ret == 0 || err == EINTR, "RUN in Ready: ret %ld %s", ret,
			  errno_name(err));
		if (ret == 0)
			FZ_ASSERT(run->exit_reason == AXVCPU_EXIT_HYPERCALL,
				  "RUN exit %u (%s)", run->exit_reason,
				  axvm_exit_name(run->exit_reason));
		else
			FZ_ASSERT(run->exit_reason == AXVCPU_EXIT_INTR,
				  "RUN -EINTR with exit %u", run->exit_reason);
	} else if (s->op == L_GPR || s->op == L_INJECT) {
		/* No state check in these (x86 GPRs before SETUP: -EBADFD). */
		FZ_ASSERT(ret == 0 || err == ENOSPC || err == EBADFD,
			  "%s: ret %ld %s", lop_names[s->op], ret, errno_name(err));
	} else if (s->op != L_STATE) {
		FZ_ASSERT(exp_err ? ret == -1 && err == exp_err : ret == 0,
			  "%s in %s: got ret %ld %s, the model says %s", lop_names[s->op],
			  axvm_state_name(st), ret, errno_name(err),
			  exp_err ? errno_name(exp_err) : "success");
	}
	got = get_state(fd);
	FZ_ASSERT(got == (int)next, "after %s in %s: state %d (%s), the model says %s",
		  lop_names[s->op], axvm_state_name(st), got,
		  got >= 0 ? axvm_state_name(got) : errno_name(-got),
		  axvm_state_name(next));
	atomic_fetch_or(&states_seen, 1U << next);
	return next;
}

TEST(state_machine_walk)
{
	double budget = phase_budget(0.10);
	unsigned int seen, walks = 0, steps = 0;
	struct oplog log;
	struct arena ar;
	struct fz_vm vm;
	struct rng r;
	__u64 end;
	int sys;

	if (!phase_start("state_machine_walk", budget))
		SKIP(return, "AXVCPU_FUZZ_ONLY=%s", getenv("AXVCPU_FUZZ_ONLY"));
	log_attach(&log, "main");
	rng_init(&r, 2);
	arena_init(&ar, &r);
	sys = open_dev();
	vm_new(&vm, sys, &r, guest_hcall_loop_start, GUEST_CODE_LEN(guest_hcall_loop));
	memcpy(vm.mem + (GUEST_ENTRY - GUEST_MEM_GPA) + 0x100, guest_spin_start,
	       GUEST_CODE_LEN(guest_spin));
	atomic_store(&states_seen, 0);
	kicker_start(true);

	end = now_ns() + budget * 1e9;
	while (now_ns() < end) {
		__u32 id = walks % AXVCPU_MAX_VCPUS, st = AXVCPU_STATE_CREATED;
		int prefix = below(&r, 6), len = prefix + 1 + below(&r, 8), i;
		struct lstep s;

		TEST_ASSERT(!vcpu_new(&vm, id), "CREATE_VCPU %u", id);
		oplog("walk %u: vcpu %u, %d legal steps then %d random", walks,
		      id, prefix, len - prefix);
		FZ_ASSERT(get_state(vm.vcpus[id].fd) == AXVCPU_STATE_CREATED,
			  "a new vcpu is not Created");
		atomic_fetch_or(&states_seen, 1U << AXVCPU_STATE_CREATED);
		for (i = 0; i < len; i++) {
			lstep_gen(&r, &s, st, i < prefix);
			st = lstep_do(&r, &ar, vm.vcpus[id].fd, vm.vcpus[id].run, &s, st);
			steps++;
		}
		vcpu_del(&vm, id);
		walks++;
	}
	kicker_end();
	seen = atomic_load(&states_seen);
	printf("# state_machine_walk: %u walks, %u steps, states seen %#x\n",
	       walks, steps, seen);
	TEST_ASSERT(!(seen & (1U << AXVCPU_STATE_BLOCKED)), "a vcpu read Blocked");
	TEST_ASSERT(!(seen & ~0x3fU), "GET_STATE gave an unknown state: %#x", seen);
#define SEEN(s)	TEST_ASSERT(seen & (1U << AXVCPU_STATE_##s), "never reached " #s \
			    " in %u walks (seen %#x)", walks, seen)
	SEEN(CREATED);
	SEEN(FREE);
	SEEN(READY);
	SEEN(INVALID);
	SEEN(RUNNING);
#undef SEEN
	vm_del(&vm);
	close(sys);
}

/* ======================================================= phase 3 ===== */

/*
 * Guests of random code and of known exit-provoking snippets.  Each RUN
 * ends with a valid exit, or -EINTR from the kick, or (any other error)
 * the vcpu Invalid; a snippet's first exit is the one it provokes.
 */
struct exit_stats {
	unsigned long exits[AXVCPU_EXIT_NR + 1], eintr, errors, guests, runs;
};

/* @gprs: may write GPRs (a guest whose addresses live in them may not). */
static void answer_exit(struct rng *r, int fd, struct axvcpu_run *run, bool gprs)
{
	switch (run->exit_reason) {
	case AXVCPU_EXIT_HYPERCALL:
		run->hypercall.ret = rv64(r);
		break;
	case AXVCPU_EXIT_MMIO_READ:
		run->mmio.data = rv64(r);
		break;
	case AXVCPU_EXIT_IO_READ:
		run->io.data = rv64(r);
		break;
	case AXVCPU_EXIT_SYSREG_READ:
		run->sysreg.value = rv64(r);
		break;
	}
	/* A read answered through SET_GPR, or events for the next entry. */
	if (gprs && one_in(r, 8)) {
		struct axvcpu_gpr g = { .index = below(r, GPR_MAX + 1), .value = rv64(r) };

		ioctl(fd, AXVCPU_SET_GPR, &g);
	}
	if (one_in(r, 10)) {
		struct axvcpu_interrupt q = {
			.vector = IS_X86 ? below(r, 256) : below(r, 1020),
		};

		if (IS_X86 && q.vector < 32 && one_in(r, 2))
			q.flags = AXVCPU_IRQ_EXCEPTION;
		ioctl(fd, AXVCPU_INJECT_INTERRUPT, &q);
	}
#ifdef __aarch64__
	if (one_in(r, 12)) {
		struct axvcpu_arm64_exception x = {
			.type = 1 + below(r, 4), .esr = rnd(r), .addr = rv64(r),
		};

		FZ_ASSERT(!ioctl(fd, AXVCPU_ARM64_INJECT_EXCEPTION, &x) || errno == EBUSY,
			  "INJECT_EXCEPTION type %u: %s", x.type, errno_name(errno));
	}
#endif
}

static void run_guest(struct rng *r, struct fz_vm *vm, struct exit_stats *es)
{
	const struct snippet *sn = NULL;
	unsigned char *code = vm->mem + (GUEST_ENTRY - GUEST_MEM_GPA);
	struct axvcpu_run *run;
	int fd, k, nruns, tries;
	bool first = true;
	long ret;

	fill_rand(r, vm->mem, GUEST_MEM_SIZE);
	if (one_in(r, 3)) {
		sn = &snippets[below(r, ARRAY_SIZE(snippets))];
		memcpy(code, sn->start, sn->end - sn->start);
	} else {
		size_t off = 0;

#ifdef __aarch64__
		memcpy(code, fz_prologue_start, GUEST_CODE_LEN(fz_prologue));
		off = GUEST_CODE_LEN(fz_prologue);
		gen_code(r, vm->mem + 0x8000, 0x800);	/* the vectors */
#endif
		gen_code(r, code + off, 0x1000);
	}
	/* Now and then a second slot the guest may write, or may not. */
	if (vm->slots[1].used)
		vm_region(vm, 1, 0, SLOT1_GPA, 0, NULL);
	if (one_in(r, 3))
		vm_region(vm, 1, one_in(r, 2) ? AXVCPU_MEM_READONLY : AXVCPU_MEM_LOG_DIRTY,
			  SLOT1_GPA, 64 << 10, pools[P_RW].base);

	vcpu_del(vm, 0);
	TEST_ASSERT(!vcpu_new(vm, 0), "CREATE_VCPU");
	fd = vm->vcpus[0].fd;
	run = vm->vcpus[0].run;
	TEST_ASSERT_SYSCALL_OK(ioctl(fd, AXVCPU_SETUP,
		&(struct axvcpu_vcpu_setup){ .entry = GUEST_ENTRY }));
	TEST_ASSERT_SYSCALL_OK(ioctl(fd, AXVCPU_BIND, 0));
	oplog("guest %lu: %s", es->guests, sn ? sn->name : "random code");
	if (fz_trace && !sn) {
		char hex[3 * 48 + 1];
		int i;

		for (i = 0; i < 48; i++)
			sprintf(hex + 3 * i, "%02x ", code[i]);
		oplog("  code at %#x: %s...", GUEST_ENTRY, hex);
	}
	es->guests++;

	nruns = 1 + below(r, 16);
	for (k = 0; k < nruns; k++) {
		int st;

		run->immediate_exit = !first && one_in(r, 8);
		/* A snippet's first exit: long enough for the slowest emulator. */
		tries = first && sn && sn->exit != EXPECT_EINTR ? 3 : 1;
		for (;;) {
			ret = bounded_run(0, fd, first && sn ? 300 : 10 + below(r, 50));
			if (!(ret < 0 && errno == EINTR) || --tries <= 0)
				break;
		}
		es->runs++;
		st = get_state(fd);
		oplog("  RUN -> %ld %s exit %u (%s) hw %#llx rip %#llx", ret,
		      ret < 0 ? errno_name(errno) : "", run->exit_reason,
		      axvm_exit_name(run->exit_reason),
		      (unsigned long long)run->hw_reason,
		      (unsigned long long)run->hw_rip);
		if (ret < 0 && errno == EINTR) {
			es->eintr++;
			FZ_ASSERT(run->exit_reason == AXVCPU_EXIT_INTR && st == AXVCPU_STATE_READY,
				  "RUN -EINTR: exit %u, state %d", run->exit_reason, st);
		} else if (ret < 0) {
			es->errors++;
			FZ_ASSERT(errno_ok(errno) && st == AXVCPU_STATE_INVALID,
				  "RUN failed (%s) and left the vcpu %d, not Invalid",
				  errno_name(errno), st);
			printf("# note: guest %s: RUN failed with %s (vcpu Invalid)\n",
			       sn ? sn->name : "random", errno_name(errno));
			return;
		}
		if (ret == 0) {
			FZ_ASSERT(run->exit_reason > AXVCPU_EXIT_NOTHING &&
				  run->exit_reason < AXVCPU_EXIT_NR &&
				  run->exit_reason != AXVCPU_EXIT_INTR &&
				  st == AXVCPU_STATE_READY,
				  "RUN 0 with exit %u, state %d", run->exit_reason, st);
			es->exits[run->exit_reason]++;
			/*
			 * Only the guest's own instructions led here: a VM
			 * entry the module let fail is worth a look.
			 */
			if (run->exit_reason == AXVCPU_EXIT_FAIL_ENTRY &&
			    es->exits[AXVCPU_EXIT_FAIL_ENTRY] <= 2) {
				printf("# note: guest %lu (%s, seed %llu): FAIL_ENTRY reason %#llx qualification %#llx hw_reason %#llx hw_extra %#llx rip %#llx, after:\n",
				       es->guests - 1, sn ? sn->name : "random code",
				       (unsigned long long)fz_seed,
				       (unsigned long long)run->fail_entry.reason,
				       (unsigned long long)run->fail_entry.qualification,
				       (unsigned long long)run->hw_reason,
				       (unsigned long long)run->hw_extra,
				       (unsigned long long)run->hw_rip);
				fflush(stdout);
				oplog_dump();
			}
		}
		if (first && sn) {
			__u32 got = ret < 0 ? EXPECT_EINTR : run->exit_reason;

			FZ_ASSERT(got == sn->exit && (!sn->check || sn->check(run)),
				  "snippet %s: exit %u (%s), expected %u; hw_reason %#llx qual %#llx rip %#llx data %#llx %#llx",
				  sn->name, got, axvm_exit_name(got), sn->exit,
				  (unsigned long long)run->hw_reason,
				  (unsigned long long)run->hw_qualification,
				  (unsigned long long)run->hw_rip,
				  (unsigned long long)run->internal.data[0],
				  (unsigned long long)run->internal.data[1]);
		}
		first = false;
		answer_exit(r, fd, run, true);
	}
}

TEST(random_guests)
{
	double budget = phase_budget(0.17);
	struct exit_stats es = { 0 };
	struct oplog log;
	struct fz_vm vm, anchor;
	struct rng r;
	__u64 end;
	int sys, i;

	if (!phase_start("random_guests", budget))
		SKIP(return, "AXVCPU_FUZZ_ONLY=%s", getenv("AXVCPU_FUZZ_ONLY"));
	log_attach(&log, "main");
	rng_init(&r, 3);
	sys = open_dev();
	/* An idle VM keeps virtualization on between the guests' VMs. */
	vm_new(&anchor, sys, &r, NULL, 0);
	vm_new(&vm, sys, &r, NULL, 0);
	pools_init(NULL);
	kicker_start(false);
	end = now_ns() + budget * 1e9;
	while (now_ns() < end) {
		run_guest(&r, &vm, &es);
		if (one_in(&r, 8)) {
			vm_del(&vm);
			vm_new(&vm, sys, &r, NULL, 0);
		}
	}
	kicker_end();
	printf("# random_guests: %lu guests, %lu RUNs, %lu -EINTR, %lu failed RUNs; exits:",
	       es.guests, es.runs, es.eintr, es.errors);
	for (i = 1; i < AXVCPU_EXIT_NR; i++)
		if (es.exits[i])
			printf(" %s=%lu", axvm_exit_name(i), es.exits[i]);
	printf("\n");
	TEST_ASSERT(es.guests >= 1 && es.runs >= es.guests, "%lu guests, %lu RUNs", es.guests, es.runs);
	vm_del(&vm);
	vm_del(&anchor);
	close(sys);
}

/* ======================================================= phase 4 ===== */

/*
 * One VM, four threads: a runner (vcpu 0, guest_store_page into a logged
 * slot), a poker (INJECT, GET/SET_REGS, GPRs, mmap/munmap of the run page,
 * dup), a memory thread (add/delete/move slots, GET_DIRTY_LOG, the backing
 * memory unmapped and remapped under the guest) and a life thread (more
 * vcpus created, run and closed, fds dup'ed and closed, fork() of children
 * that try every call on the inherited fds).  Every answer must be one the
 * ABI allows for a busy object; the runner's vcpu must end Ready.
 */
struct conc {
	int sys, vm;
	unsigned char *mem0, *mem1;
	int vcpu0;
	struct axvcpu_run *run0;
	atomic_bool stop;
	atomic_ulong runs, run_exits, injects, busy, slot_ops, dlogs,
		     vcpus_made, forks, mmaps, dups;
	int sec_fd[16];
};

static void *conc_runner(void *arg)
{
	struct conc *c = arg;
	struct oplog log;
	struct rng r;

	log_attach(&log, "runner");
	rng_init(&r, 0x40);
	while (!atomic_load(&c->stop)) {
		long ret = bounded_run(0, c->vcpu0, 5 + below(&r, 40));
		int err = errno;

		atomic_fetch_add(&c->runs, 1);
		oplog("RUN -> %ld %s exit %u", ret, ret < 0 ? errno_name(err) : "",
		      c->run0->exit_reason);
		FZ_ASSERT(ret == 0 || err == EINTR || err == EBUSY,
			  "RUN of the runner: %s", errno_name(err));
		if (ret)
			continue;
		atomic_fetch_add(&c->run_exits, 1);
		FZ_ASSERT(c->run0->exit_reason > 0 && c->run0->exit_reason < AXVCPU_EXIT_NR &&
			  c->run0->exit_reason != AXVCPU_EXIT_INTR,
			  "exit %u", c->run0->exit_reason);
		if (c->run0->exit_reason == AXVCPU_EXIT_HYPERCALL &&
		    c->run0->hypercall.nr == HCALL_STORE_NR)
			c->run0->hypercall.ret = below(&r, 16);	/* a page of slot 1 */
		else
			answer_exit(&r, c->vcpu0, c->run0, false);
	}
	return NULL;
}

static void *conc_poker(void *arg)
{
	struct conc *c = arg;
	struct oplog log;
	struct rng r;

	log_attach(&log, "poker");
	rng_init(&r, 0x41);
	while (!atomic_load(&c->stop)) {
		unsigned int what = below(&r, 10);
		fz_regs_t regs;
		long ret = 0;
		int st;

		errno = 0;
		switch (what) {
		case 0:
		case 1:
		case 2: {
			struct axvcpu_interrupt q = {
				.vector = IS_X86 ? 32 + below(&r, 224) :
					  below(&r, 1020),
			};

			ret = ioctl(c->vcpu0, AXVCPU_INJECT_INTERRUPT, &q);
			FZ_ASSERT(!ret || errno == ENOSPC, "INJECT %u while running: %s",
				  q.vector, errno_name(errno));
			atomic_fetch_add(&c->injects, 1);
			break;
		}
		case 3:
			st = get_state(c->vcpu0);
			FZ_ASSERT(st == AXVCPU_STATE_READY || st == AXVCPU_STATE_RUNNING,
				  "the runner's vcpu reads %d", st);
			break;
		case 4:
			ret = ioctl(c->vcpu0, FZ_GET_REGS, &regs);
			if (!ret && one_in(&r, 2)) {
				/*
				 * The guest may have moved on since: a stale
				 * page number must still be one of slot 1.
				 */
#ifdef __x86_64__
				regs.rax = below(&r, 16);
#else
				regs.x[0] = below(&r, 16);
#endif
				ret = ioctl(c->vcpu0, FZ_SET_REGS, &regs);
			}
			break;
		case 5: {
			/*
			 * Not the registers guest_store_page computes its
			 * address from (x86 rax, arm64 x0, x9, x10): a store
			 * elsewhere could land on the other vcpus' code.
			 */
			struct axvcpu_gpr g = { .index = 1 + below(&r, 8), .value = rnd(&r) };

			ret = ioctl(c->vcpu0, AXVCPU_SET_GPR, &g);
			break;
		}
		case 6: {
			struct axvcpu_run *p = mmap(NULL, AXVCPU_RUN_SIZE,
						    PROT_READ | PROT_WRITE,
						    MAP_SHARED, c->vcpu0, 0);

			FZ_ASSERT(p != MAP_FAILED, "second mmap of the run page: %s",
				  errno_name(errno));
			FZ_ASSERT(p->exit_reason < AXVCPU_EXIT_NR, "exit_reason %u",
				  p->exit_reason);
			/* immediate_exit from another thread, as a VMM's UI would. */
			if (one_in(&r, 4)) {
				p->immediate_exit = 1;
				msleep(1);
				p->immediate_exit = 0;
			}
			munmap(p, AXVCPU_RUN_SIZE);
			atomic_fetch_add(&c->mmaps, 1);
			break;
		}
		case 7: {
			/* guest_store_page's page number: it must stay in slot 1. */
			__u64 v = below(&r, 16);

			ret = ioctl(c->vcpu0, AXVCPU_SET_RETURN_VALUE, &v);
			break;
		}
		case 8: {
#ifdef __x86_64__
			struct axvcpu_x86_sregs sr;

			ret = ioctl(c->vcpu0, AXVCPU_GET_X86_SREGS, &sr);
#else
			struct axvcpu_arm64_sysreg sr = { .id = SR(3, 3, 14, 3, 1) };

			ret = ioctl(c->vcpu0, AXVCPU_ARM64_GET_SYSREG, &sr);
#endif
			break;
		}
		default: {
			int d = dup(c->vcpu0);

			FZ_ASSERT(d >= 0, "dup");
			st = get_state(d);
			FZ_ASSERT(st == AXVCPU_STATE_READY || st == AXVCPU_STATE_RUNNING,
				  "the runner's vcpu reads %d through a dup", st);
			close(d);
			atomic_fetch_add(&c->dups, 1);
			break;
		}
		}
		if (ret < 0 && errno == EBUSY)
			atomic_fetch_add(&c->busy, 1);
		FZ_ASSERT(ret == 0 || errno == EBUSY || errno == ENOSPC,
			  "poker call %u on the runner's vcpu: %s", what, errno_name(errno));
		oplog("poke %u -> %ld %s", what, ret, ret < 0 ? errno_name(errno) : "");
	}
	return NULL;
}

/* Slots 2..7 belong to this thread alone: its model of them is exact. */
static void *conc_mem(void *arg)
{
	struct conc *c = arg;
	struct mslot sl[8] = { 0 };
	unsigned char *back[8];
	struct oplog log;
	struct arena ar;
	struct rng r;
	int i;

	log_attach(&log, "mem");
	rng_init(&r, 0x42);
	arena_init(&ar, &r);
	for (i = 2; i < 8; i++) {
		back[i] = mmap(NULL, 256 << 10, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		FZ_ASSERT(back[i] != MAP_FAILED, "mmap");
	}
	while (!atomic_load(&c->stop)) {
		struct axvcpu_memory_region m = { 0 };
		unsigned int what = below(&r, 10);
		int s = 2 + below(&r, 6);
		long ret;

		errno = 0;
		if (what < 5) {
			/* Add, delete or move (delete, then add elsewhere). */
			if (sl[s].used) {
				m.slot = s;
				ret = ioctl(c->vm, AXVCPU_SET_MEMORY_REGION, &m);
				FZ_ASSERT(!ret, "delete of slot %d: %s", s, errno_name(errno));
				sl[s].used = false;
				if (one_in(&r, 2))
					continue;
			}
			m.slot = s;
			m.flags = below(&r, 3);
			/* Its own 1 MiB window per slot: never overlapping. */
			m.guest_phys_addr = GUEST_MEM_GPA + 0x1000000 * s +
					    below(&r, 12) * 0x10000;
			m.memory_size = (1 + below(&r, 4)) * 0x10000;
			m.userspace_addr = (uintptr_t)back[s];
			ret = ioctl(c->vm, AXVCPU_SET_MEMORY_REGION, &m);
			FZ_ASSERT(!ret, "add of slot %d [%#llx +%#llx): %s", s,
				  (unsigned long long)m.guest_phys_addr,
				  (unsigned long long)m.memory_size, errno_name(errno));
			sl[s] = (struct mslot){ true, m.flags, m.guest_phys_addr,
						m.memory_size };
		} else if (what < 7) {
			struct axvcpu_dirty_log d = {
				.slot = one_in(&r, 2) ? 1 : below(&r, 8),
				.bitmap = (uintptr_t)ar.dlog,
			};

			ret = ioctl(c->vm, AXVCPU_GET_DIRTY_LOG, &d);
			FZ_ASSERT(!ret || errno == ENOENT, "GET_DIRTY_LOG %u: %s",
				  d.slot, errno_name(errno));
			if (d.slot >= 2)
				FZ_ASSERT((ret == 0) == (sl[d.slot].used &&
					  (sl[d.slot].flags & AXVCPU_MEM_LOG_DIRTY)),
					  "GET_DIRTY_LOG %u: %s, the model disagrees",
					  d.slot, errno_name(errno));
			atomic_fetch_add(&c->dlogs, 1);
		} else if (what == 7) {
			/* Slot 1 under the running guest: dropped, then back. */
			m.slot = 1;
			ret = ioctl(c->vm, AXVCPU_SET_MEMORY_REGION, &m);
			FZ_ASSERT(!ret, "delete of slot 1: %s", errno_name(errno));
			msleep(below(&r, 3));
			m.flags = AXVCPU_MEM_LOG_DIRTY;
			m.guest_phys_addr = SLOT1_GPA;
			m.memory_size = 64 << 10;
			m.userspace_addr = (uintptr_t)c->mem1;
			ret = ioctl(c->vm, AXVCPU_SET_MEMORY_REGION, &m);
			FZ_ASSERT(!ret, "re-add of slot 1: %s", errno_name(errno));
		} else if (what == 8) {
			/* The VMM's memory changes under the guest (MMU notifier). */
			switch (below(&r, 3)) {
			case 0:
				madvise(c->mem1, 64 << 10, MADV_DONTNEED);
				break;
			case 1:
				mprotect(c->mem1, 64 << 10, PROT_READ);
				msleep(1);
				mprotect(c->mem1, 64 << 10, PROT_READ | PROT_WRITE);
				break;
			default:
				s = 2 + below(&r, 6);
				FZ_ASSERT(mmap(back[s], 256 << 10, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					       -1, 0) == back[s], "remap");
			}
			ret = 0;
		} else {
			/* Bad ranges against a busy VM: refused, nothing changes. */
			m.slot = 2 + below(&r, 6);
			m.guest_phys_addr = one_in(&r, 2) ? GUEST_MEM_GPA : SLOT1_GPA;
			m.memory_size = 0x10000;
			m.userspace_addr = (uintptr_t)back[m.slot];
			ret = ioctl(c->vm, AXVCPU_SET_MEMORY_REGION, &m);
			FZ_ASSERT(ret == -1 && (errno == EEXIST || errno == EBUSY),
				  "overlap with slot 0/1 as slot %u: ret %ld %s", m.slot,
				  ret, errno_name(errno));
		}
		oplog("mem %u slot %d -> %ld %s", what, s, ret,
		      ret < 0 ? errno_name(errno) : "");
		atomic_fetch_add(&c->slot_ops, 1);
	}
	return NULL;
}

/*
 * The child of a fork(): another mm, so every VM and vcpu call on the
 * inherited fds is -EIO, mmap of a vcpu fd too; the system fd works (and
 * gives the child a VM of its own).  Only syscalls here: the parent has
 * other threads.
 */
static void conc_child(struct conc *c, __u64 seed)
{
	struct rng r = { seed };
	unsigned char buf[512];
	int i, bad = 0, fd, vm;

	for (i = 0; i < 24; i++) {
		const struct fz_ioctl *e = &table[below(&r, ARRAY_SIZE(table))];
		long ret;

		if (e->kind == K_SYS)
			continue;
		fd = one_in(&r, 2) ? c->vm : c->vcpu0;
		if (one_in(&r, 3) && c->sec_fd[i % 16] >= 0)
			fd = c->sec_fd[i % 16];
		fill_rand(&r, buf, sizeof(buf));
		errno = 0;
		ret = ioctl(fd, e->cmd, e->cmd == AXVCPU_RUN ? 0 : (unsigned long)buf);
		/* A sec_fd closed by the parent after the fork is still ours here. */
		if (!(ret == -1 && (errno == EIO || errno == EBADF))) {
			dprintf(2, "# child: %s on an inherited fd: ret %ld errno %d\n",
				e->name, ret, errno);
			bad = 1;
		}
	}
	if (mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ, MAP_SHARED, c->vcpu0, 0) != MAP_FAILED ||
	    errno != EIO) {
		dprintf(2, "# child: mmap of an inherited vcpu fd: errno %d\n", errno);
		bad = 1;
	}
	if (ioctl(c->sys, AXVCPU_GET_API_VERSION, 0) != AXVCPU_API_VERSION)
		bad = 1;
	vm = ioctl(c->sys, AXVCPU_CREATE_VM, 0);
	if (vm >= 0) {
		struct axvcpu_vcpu_create cr = { 0 };
		int v = ioctl(vm, AXVCPU_CREATE_VCPU, &cr);

		if (v >= 0) {
			struct axvcpu_vcpu_setup s = { .entry = GUEST_ENTRY };
			struct axvcpu_run *run = mmap(NULL, AXVCPU_RUN_SIZE,
						      PROT_READ | PROT_WRITE,
						      MAP_SHARED, v, 0);

			if (run != MAP_FAILED && !ioctl(v, AXVCPU_SETUP, &s) &&
			    !ioctl(v, AXVCPU_BIND, 0)) {
				run->immediate_exit = 1;
				if (ioctl(v, AXVCPU_RUN, 0) != -1 || errno != EINTR) {
					dprintf(2, "# child: RUN of its own vcpu: errno %d\n", errno);
					bad = 1;
				}
			} else {
				bad = 1;
			}
			/* Left open: exit closes it, mid-use as it were. */
		}
	}
	close(c->vm);	/* the parent's VM does not care */
	_exit(bad);
}

static void *conc_life(void *arg)
{
	struct conc *c = arg;
	struct axvcpu_run *runs[16] = { 0 };
	struct oplog log;
	struct rng r;
	int i;

	log_attach(&log, "life");
	rng_init(&r, 0x43);
	for (i = 0; i < 16; i++)
		c->sec_fd[i] = -1;
	while (!atomic_load(&c->stop)) {
		unsigned int what = below(&r, 10);
		int id = 1 + below(&r, 15), fd = c->sec_fd[id];
		long ret = 0;

		errno = 0;
		if (what < 3 && fd < 0) {
			struct axvcpu_vcpu_create cr = { .vcpu_id = id };

#ifdef __aarch64__
			cr.arm64.mpidr = id;
#endif
			fd = ioctl(c->vm, AXVCPU_CREATE_VCPU, &cr);
			FZ_ASSERT(fd >= 0, "CREATE_VCPU %d: %s", id, errno_name(errno));
			runs[id] = mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ | PROT_WRITE,
					MAP_SHARED, fd, 0);
			FZ_ASSERT(runs[id] != MAP_FAILED, "mmap run");
			c->sec_fd[id] = fd;
			atomic_fetch_add(&c->vcpus_made, 1);
		} else if (what < 3) {
			/* The id is taken. */
			struct axvcpu_vcpu_create cr = { .vcpu_id = id };

			ret = ioctl(c->vm, AXVCPU_CREATE_VCPU, &cr);
			FZ_ASSERT(ret == -1 && errno == EEXIST, "CREATE_VCPU of a taken id %d: %ld %s",
				  id, ret, errno_name(errno));
			ret = 0;
		} else if (what < 6 && fd >= 0) {
			/* Through its life cycle, whatever state it is in. */
			struct axvcpu_vcpu_setup s = { .entry = GUEST_ENTRY + 0x400 };
			int st = get_state(fd);

			if (st == AXVCPU_STATE_CREATED)
				ret = ioctl(fd, AXVCPU_SETUP, &s);
			else if (st == AXVCPU_STATE_FREE)
				ret = ioctl(fd, AXVCPU_BIND, 0);
			else if (st == AXVCPU_STATE_READY) {
				runs[id]->immediate_exit = one_in(&r, 3);
				ret = bounded_run(1, fd, 5 + below(&r, 20));
				FZ_ASSERT(ret == 0 || errno == EINTR, "RUN of vcpu %d: %s",
					  id, errno_name(errno));
				if (!ret)
					FZ_ASSERT(runs[id]->exit_reason == AXVCPU_EXIT_HYPERCALL &&
						  runs[id]->hypercall.nr == HCALL_LOOP_NR,
						  "vcpu %d: exit %u nr %#llx", id,
						  runs[id]->exit_reason,
						  (unsigned long long)runs[id]->hypercall.nr);
				ret = 0;
			}
			FZ_ASSERT(ret == 0, "vcpu %d from %d: %s", id, st, errno_name(errno));
		} else if (what == 6 && fd >= 0) {
			munmap(runs[id], AXVCPU_RUN_SIZE);
			close(fd);
			c->sec_fd[id] = -1;
		} else if (what == 7) {
			static __u64 bitmap[4];
			struct axvcpu_dirty_log dl = { .slot = 1, .bitmap = (uintptr_t)bitmap };
			bool vcpu = fd >= 0 && one_in(&r, 2);
			int d = dup(vcpu ? fd : c->vm);

			FZ_ASSERT(d >= 0, "dup");
			if (vcpu) {
				FZ_ASSERT(get_state(d) >= 0, "GET_STATE through a dup: %s",
					  errno_name(-get_state(d)));
			} else {
				/* The mem thread may have slot 1 out just now. */
				ret = ioctl(d, AXVCPU_GET_DIRTY_LOG, &dl);
				FZ_ASSERT(!ret || errno == ENOENT,
					  "GET_DIRTY_LOG through a dup: %s", errno_name(errno));
			}
			close(d);
			atomic_fetch_add(&c->dups, 1);
		} else if (what >= 8) {
			__u64 seed = rnd(&r);
			int status, waited;
			pid_t pid = fork();

			FZ_ASSERT(pid >= 0, "fork");
			if (!pid)
				conc_child(c, seed);
			for (waited = 0; waited < 5000; waited += 2) {
				ret = waitpid(pid, &status, WNOHANG);
				if (ret == pid)
					break;
				msleep(2);
			}
			if (ret != pid) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				FZ_ASSERT(0, "a forked child took over 5 s (status %#x)", status);
			}
			FZ_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
				  "forked child failed: status %#x (its message is above)", status);
			atomic_fetch_add(&c->forks, 1);
			ret = 0;
		}
		oplog("life %u vcpu %d -> %ld", what, id, ret);
	}
	for (i = 0; i < 16; i++)
		if (c->sec_fd[i] >= 0) {
			munmap(runs[i], AXVCPU_RUN_SIZE);
			close(c->sec_fd[i]);
		}
	return NULL;
}

TEST(concurrency)
{
	double budget = phase_budget(0.22);
	struct axvcpu_memory_region m = { 0 };
	pthread_t th[4];
	struct oplog log;
	struct conc *c;
	struct rng r;
	int st;

	if (!phase_start("concurrency", budget))
		SKIP(return, "AXVCPU_FUZZ_ONLY=%s", getenv("AXVCPU_FUZZ_ONLY"));
	log_attach(&log, "main");
	rng_init(&r, 4);
	c = calloc(1, sizeof(*c));
	TEST_ASSERT(c, "calloc");
	c->sys = open_dev();
	c->vm = TEST_ASSERT_SYSCALL_OK(ioctl(c->sys, AXVCPU_CREATE_VM, 0));
	c->mem0 = axvm_mem_alloc(GUEST_MEM_SIZE);
	c->mem1 = axvm_mem_alloc(64 << 10);
	TEST_ASSERT(c->mem0 && c->mem1, "guest memory");
	memcpy(c->mem0 + (GUEST_ENTRY - GUEST_MEM_GPA), guest_store_page_start,
	       GUEST_CODE_LEN(guest_store_page));
	memcpy(c->mem0 + (GUEST_ENTRY - GUEST_MEM_GPA) + 0x400, guest_hcall_loop_start,
	       GUEST_CODE_LEN(guest_hcall_loop));
	m = (struct axvcpu_memory_region){ 0, 0, GUEST_MEM_GPA, GUEST_MEM_SIZE,
					   (uintptr_t)c->mem0 };
	TEST_ASSERT_SYSCALL_OK(ioctl(c->vm, AXVCPU_SET_MEMORY_REGION, &m));
	m = (struct axvcpu_memory_region){ 1, AXVCPU_MEM_LOG_DIRTY, SLOT1_GPA,
					   64 << 10, (uintptr_t)c->mem1 };
	TEST_ASSERT_SYSCALL_OK(ioctl(c->vm, AXVCPU_SET_MEMORY_REGION, &m));
	c->vcpu0 = TEST_ASSERT_SYSCALL_OK(ioctl(c->vm, AXVCPU_CREATE_VCPU,
				&(struct axvcpu_vcpu_create){ 0 }));
	c->run0 = mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       c->vcpu0, 0);
	TEST_ASSERT(c->run0 != MAP_FAILED, "mmap run");
	TEST_ASSERT_SYSCALL_OK(ioctl(c->vcpu0, AXVCPU_SETUP,
		&(struct axvcpu_vcpu_setup){ .entry = GUEST_ENTRY }));
	TEST_ASSERT_SYSCALL_OK(ioctl(c->vcpu0, AXVCPU_BIND, 0));

	kicker_start(false);
	TEST_ASSERT(!pthread_create(&th[0], NULL, conc_runner, c), "runner");
	TEST_ASSERT(!pthread_create(&th[1], NULL, conc_poker, c), "poker");
	TEST_ASSERT(!pthread_create(&th[2], NULL, conc_mem, c), "mem");
	TEST_ASSERT(!pthread_create(&th[3], NULL, conc_life, c), "life");
	msleep(budget * 1000);
	atomic_store(&c->stop, true);
	for (st = 0; st < 4; st++)
		pthread_join(th[st], NULL);
	kicker_end();

	printf("# concurrency: %lu RUNs (%lu exits), %lu injects, %lu EBUSY, %lu slot ops, %lu dirty logs, %lu vcpus made, %lu forks, %lu run-page maps, %lu dups\n",
	       atomic_load(&c->runs), atomic_load(&c->run_exits),
	       atomic_load(&c->injects), atomic_load(&c->busy),
	       atomic_load(&c->slot_ops), atomic_load(&c->dlogs),
	       atomic_load(&c->vcpus_made), atomic_load(&c->forks),
	       atomic_load(&c->mmaps), atomic_load(&c->dups));
	st = get_state(c->vcpu0);
	TEST_ASSERT(st == AXVCPU_STATE_READY, "the runner's vcpu ends %d, not Ready", st);
	c->run0->immediate_exit = 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(c->vcpu0, AXVCPU_RUN, 0), EINTR);
	TEST_ASSERT(atomic_load(&c->run_exits) > 0, "the runner never saw an exit");
	TEST_ASSERT(atomic_load(&c->injects) > 0 && atomic_load(&c->slot_ops) > 0 &&
		    atomic_load(&c->forks) > 0 && atomic_load(&c->vcpus_made) > 0,
		    "a thread never got going");
	munmap(c->run0, AXVCPU_RUN_SIZE);
	close(c->vcpu0);
	close(c->vm);
	close(c->sys);
}

/* ======================================================= phase 5 ===== */

/* Sum of active objects times size of every kmalloc-* cache, in bytes. */
struct slabs {
	unsigned long long kmalloc_bytes, all_bytes;
	unsigned long memfree_kb;
};

static int read_slabs(struct slabs *s)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "r");

	memset(s, 0, sizeof(*s));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long active, num, objsize;
		char name[128];

		if (sscanf(line, "%127s %lu %lu %lu", name, &active, &num, &objsize) != 4)
			continue;
		s->all_bytes += (unsigned long long)active * objsize;
		if (strstr(name, "kmalloc"))
			s->kmalloc_bytes += (unsigned long long)active * objsize;
	}
	fclose(f);
	f = fopen("/proc/meminfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemFree: %lu", &s->memfree_kb) == 1)
				break;
		fclose(f);
	}
	return 0;
}

/*
 * One iteration of the leak workload: everything that allocates in the
 * module, good calls and refused ones, then every fd closed.
 */
static void leak_iteration(unsigned char *mem, unsigned char *mem1, unsigned char *bitmap)
{
	struct axvcpu_vcpu_create cr = { 0 };
	struct axvcpu_memory_region m;
	struct axvcpu_dirty_log d = { .slot = 1, .bitmap = (uintptr_t)bitmap };
	struct axvcpu_interrupt q = { .vector = 33 };
	struct axvcpu_run *run;
	int sys, vm, v0, v1, i;

	sys = open_dev();
	vm = TEST_ASSERT_SYSCALL_OK(ioctl(sys, AXVCPU_CREATE_VM, 0));
	m = (struct axvcpu_memory_region){ 0, 0, GUEST_MEM_GPA, GUEST_MEM_SIZE,
					   (uintptr_t)mem };
	TEST_ASSERT_SYSCALL_OK(ioctl(vm, AXVCPU_SET_MEMORY_REGION, &m));
	m = (struct axvcpu_memory_region){ 1, AXVCPU_MEM_LOG_DIRTY, SLOT1_GPA,
					   64 << 10, (uintptr_t)mem1 };
	TEST_ASSERT_SYSCALL_OK(ioctl(vm, AXVCPU_SET_MEMORY_REGION, &m));
	m.slot = 2;
	TEST_ASSERT_SYSCALL_ERR(ioctl(vm, AXVCPU_SET_MEMORY_REGION, &m), EEXIST);
#ifdef __aarch64__
	cr.arm64.mpidr = 0;
#endif
	v0 = TEST_ASSERT_SYSCALL_OK(ioctl(vm, AXVCPU_CREATE_VCPU, &cr));
	TEST_ASSERT_SYSCALL_ERR(ioctl(vm, AXVCPU_CREATE_VCPU, &cr), EEXIST);
	cr.vcpu_id = 1;
	v1 = TEST_ASSERT_SYSCALL_OK(ioctl(vm, AXVCPU_CREATE_VCPU, &cr));
	run = mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, v0, 0);
	TEST_ASSERT(run != MAP_FAILED, "mmap");
	TEST_ASSERT_SYSCALL_OK(ioctl(v0, AXVCPU_SETUP,
		&(struct axvcpu_vcpu_setup){ .entry = GUEST_ENTRY }));
	TEST_ASSERT_SYSCALL_OK(ioctl(v0, AXVCPU_BIND, 0));
	for (i = 0; i < 3; i++) {
		TEST_ASSERT_SYSCALL_OK(ioctl(v0, AXVCPU_RUN, 0));
		TEST_ASSERT_EQ(run->exit_reason, AXVCPU_EXIT_HYPERCALL);
		run->hypercall.ret = i;	/* guest_store_page: page i of slot 1 */
	}
	TEST_ASSERT_SYSCALL_OK(ioctl(vm, AXVCPU_GET_DIRTY_LOG, &d));
	TEST_ASSERT_SYSCALL_ERR(ioctl(v1, AXVCPU_BIND, 0), EBADFD);
	/* Events queued and never delivered: freed with the vcpu. */
	for (i = 0; i < 3; i++)
		ioctl(v0, AXVCPU_INJECT_INTERRUPT, &q);
#ifdef __x86_64__
	{
		static struct {
			struct axvcpu_x86_cpuid h;
			struct axvcpu_x86_cpuid_entry e[8];
		} cpuid;

		cpuid.h.nent = 8;
		for (i = 0; i < 8; i++)
			cpuid.e[i].function = 0x40000010 + i;
		TEST_ASSERT_SYSCALL_OK(ioctl(v0, AXVCPU_X86_SET_CPUID, &cpuid));
	}
#endif
	munmap(run, AXVCPU_RUN_SIZE);
	close(v1);
	close(vm);	/* the vcpu fd is the last: the VM goes with it */
	close(v0);
	close(sys);
}

static unsigned long leak_round(unsigned long n, double seconds,
				unsigned char *mem, unsigned char *mem1,
				unsigned char *bitmap)
{
	__u64 end = now_ns() + seconds * 1e9;
	unsigned long i;

	for (i = 0; n ? i < n : now_ns() < end; i++)
		leak_iteration(mem, mem1, bitmap);
	return i;
}

static bool kmsg_bad(const char *msg)
{
	static const char *const bad[] = {
		"BUG:", "WARNING:", "Oops", "Call trace", "Call Trace",
		"general protection", "UBSAN", "KASAN", "kernel BUG",
		"refcount_t", "list_add corruption", "list_del corruption",
		"sleeping function called", "Unable to handle kernel",
		"rcu_sched self-detected stall", "soft lockup", "hung_task",
		"blocked for more than",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (strstr(msg, bad[i]))
			return true;
	return false;
}

/* /dev/kmsg records "prio,seq,usec,flags;text": the next seq to be written. */
static int kmsg_scan(__u64 from, __u64 *next, unsigned int *nbad)
{
	char rec[8192];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	*nbad = 0;
	*next = from == ~0ULL ? 0 : from;
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		unsigned long long seq;
		char *text;

		if (n < 0 && errno == EPIPE)	/* overwritten records: skip */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (sscanf(rec, "%*u,%llu", &seq) != 1)
			continue;
		*next = seq + 1;
		if (seq < from)
			continue;
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		if (kmsg_bad(text)) {
			if (*nbad < 20)
				printf("# kmsg [%llu]: %s", seq, text);
			(*nbad)++;
		}
	}
	close(fd);
	return 0;
}

static unsigned long read_taint(void)
{
	char buf[32];

	if (read_sysfs("/proc/sys/kernel/tainted", buf, sizeof(buf)))
		return 0;
	return strtoul(buf, NULL, 10);
}

TEST(final_checks)
{
	double budget = phase_budget(0.26);
	unsigned char *mem, *mem1, *bitmap;
	struct slabs s0, s1, s2;
	long long g1, g2, tol;
	unsigned long n, new_taint;
	unsigned int nbad;
	struct test_vm t;
	struct oplog log;
	char buf[32];
	__u64 next, bits;
	bool ok;
	int i;

	if (!phase_start("final_checks", budget))
		SKIP(return, "AXVCPU_FUZZ_ONLY=%s", getenv("AXVCPU_FUZZ_ONLY"));
	log_attach(&log, "main");

	/* A fresh VM and known guests still do exactly what they should. */
	TEST_VM_WITH(&t, guest_hcall_loop);
	for (i = 0; i < 5; i++) {
		vcpu_run(&t.vcpu);
		vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
		TEST_ASSERT_EQ(t.vcpu.run->hypercall.nr, HCALL_LOOP_NR);
	}
	test_vm_destroy(&t);

	mem = axvm_mem_alloc(GUEST_MEM_SIZE);
	mem1 = axvm_mem_alloc(64 << 10);
	bitmap = axvm_mem_alloc(4096);
	TEST_ASSERT(mem && mem1 && bitmap, "memory");
	memcpy(mem + (GUEST_ENTRY - GUEST_MEM_GPA), guest_store_page_start,
	       GUEST_CODE_LEN(guest_store_page));
	/* guest_store_page wrote pages 0..2 of slot 1: the log says so. */
	{
		int sys = open_dev(), vm, v;
		struct axvcpu_memory_region m = { 0, 0, GUEST_MEM_GPA, GUEST_MEM_SIZE,
						  (uintptr_t)mem };
		struct axvcpu_dirty_log d = { .slot = 1, .bitmap = (uintptr_t)bitmap };
		struct axvcpu_run *run;

		vm = TEST_ASSERT_SYSCALL_OK(ioctl(sys, AXVCPU_CREATE_VM, 0));
		TEST_ASSERT_SYSCALL_OK(ioctl(vm, AXVCPU_SET_MEMORY_REGION, &m));
		m = (struct axvcpu_memory_region){ 1, AXVCPU_MEM_LOG_DIRTY, SLOT1_GPA,
						   64 << 10, (uintptr_t)mem1 };
		TEST_ASSERT_SYSCALL_OK(ioctl(vm, AXVCPU_SET_MEMORY_REGION, &m));
		v = TEST_ASSERT_SYSCALL_OK(ioctl(vm, AXVCPU_CREATE_VCPU,
					&(struct axvcpu_vcpu_create){ 0 }));
		run = mmap(NULL, AXVCPU_RUN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, v, 0);
		TEST_ASSERT(run != MAP_FAILED, "mmap");
		TEST_ASSERT_SYSCALL_OK(ioctl(v, AXVCPU_SETUP,
			&(struct axvcpu_vcpu_setup){ .entry = GUEST_ENTRY }));
		TEST_ASSERT_SYSCALL_OK(ioctl(v, AXVCPU_BIND, 0));
		for (i = 0; i < 4; i++) {
			TEST_ASSERT_SYSCALL_OK(ioctl(v, AXVCPU_RUN, 0));
			TEST_ASSERT_EQ(run->exit_reason, AXVCPU_EXIT_HYPERCALL);
			TEST_ASSERT_EQ(run->hypercall.nr, HCALL_STORE_NR);
			run->hypercall.ret = i * 5;	/* pages 0, 5, 10 */
		}
		TEST_ASSERT_SYSCALL_OK(ioctl(vm, AXVCPU_GET_DIRTY_LOG, &d));
		bits = *(__u64 *)bitmap;
		TEST_ASSERT(bits == ((1ULL << 0) | (1ULL << 5) | (1ULL << 10)),
			    "dirty log %#llx after stores to pages 0, 5, 10",
			    (unsigned long long)bits);
		munmap(run, AXVCPU_RUN_SIZE);
		close(v);
		close(vm);
		close(sys);
	}

	/*
	 * Slab growth: a warm-up round sized by time, then two rounds of the
	 * same count.  A leak grows both rounds by about the same amount; the
	 * kernel's own noise (per-CPU slabs, RCU) does not keep growing.
	 */
	n = leak_round(0, budget * 0.2, mem, mem1, bitmap);
	if (n < 8)
		n = 8;
	msleep(300);
	TEST_ASSERT(!read_slabs(&s0), "/proc/slabinfo: %s", strerror(errno));
	leak_round(n, 0, mem, mem1, bitmap);
	msleep(300);
	read_slabs(&s1);
	leak_round(n, 0, mem, mem1, bitmap);
	msleep(300);
	read_slabs(&s2);
	g1 = (long long)s1.kmalloc_bytes - (long long)s0.kmalloc_bytes;
	g2 = (long long)s2.kmalloc_bytes - (long long)s1.kmalloc_bytes;
	/* Above per-CPU slab noise; a leak of ~256 bytes an iteration shows. */
	tol = 96 * 1024 + (long long)n * 64;
	printf("# slab: %lu iterations a round; kmalloc-* active bytes %llu -> %llu -> %llu (%+lld, %+lld; tolerance %lld); all caches %+lld, %+lld; MemFree %lu -> %lu -> %lu kB\n",
	       n, s0.kmalloc_bytes, s1.kmalloc_bytes, s2.kmalloc_bytes, g1, g2, tol,
	       (long long)(s1.all_bytes - s0.all_bytes),
	       (long long)(s2.all_bytes - s1.all_bytes),
	       s0.memfree_kb, s1.memfree_kb, s2.memfree_kb);
	TEST_ASSERT(!(g1 > tol && g2 > tol),
		    "kmalloc caches grew %+lld then %+lld bytes over two rounds of %lu VM lifetimes: a leak of ~%lld bytes per VM",
		    g1, g2, n, (g1 + g2) / 2 / (long long)n);
	/*
	 * The meter itself: 48 live vcpus must show in it, or the check
	 * above could not see a leak of them (informational: SLUB counts
	 * per-CPU slabs as in use, and big objects skip the slab).
	 */
	{
		int sys = open_dev(), vm, fds[48];

		vm = TEST_ASSERT_SYSCALL_OK(ioctl(sys, AXVCPU_CREATE_VM, 0));
		read_slabs(&s1);
		for (i = 0; i < 48; i++) {
			struct axvcpu_vcpu_create cr = { .vcpu_id = i };

			fds[i] = TEST_ASSERT_SYSCALL_OK(ioctl(vm, AXVCPU_CREATE_VCPU, &cr));
		}
		read_slabs(&s2);
		printf("# slab meter: 48 vcpus = %+lld kmalloc bytes (%lld a vcpu), MemFree %+ld kB\n",
		       (long long)(s2.kmalloc_bytes - s1.kmalloc_bytes),
		       (long long)(s2.kmalloc_bytes - s1.kmalloc_bytes) / 48,
		       (long)s2.memfree_kb - (long)s1.memfree_kb);
		for (i = 0; i < 48; i++)
			close(fds[i]);
		close(vm);
		close(sys);
	}
	axvm_mem_free(mem, GUEST_MEM_SIZE);
	axvm_mem_free(mem1, 64 << 10);
	axvm_mem_free(bitmap, 4096);

	/* Every fd is closed and every child reaped: the refcount is back. */
	for (i = 0, ok = false; i < 500 && !ok; i++) {
		ok = !read_sysfs(SYSFS_REFCNT, buf, sizeof(buf)) && !strcmp(buf, refcnt0);
		if (!ok)
			msleep(10);
	}
	TEST_ASSERT(ok, "%s is %s, it was %s at the start", SYSFS_REFCNT, buf, refcnt0);

	/* Nothing went wrong in the kernel meanwhile. */
	if (kmsg_seq0_ok) {
		TEST_ASSERT(!kmsg_scan(kmsg_seq0, &next, &nbad), "/dev/kmsg: %s",
			    strerror(errno));
		printf("# kmsg: records %llu..%llu scanned, %u bad\n",
		       (unsigned long long)kmsg_seq0, (unsigned long long)next, nbad);
		TEST_ASSERT(!nbad, "%u kernel log records with BUG/WARNING/Oops... (above)", nbad);
	} else {
		printf("# kmsg: not readable at the start, not scanned\n");
	}
	/* Bits 12 (O) and 13 (E) come with loading an out-of-tree module. */
	new_taint = read_taint() & ~taint0 & ~((1UL << 12) | (1UL << 13));
	TEST_ASSERT(!new_taint, "the kernel got tainted: %#lx (was %#lx)", new_taint, taint0);
}

/* ------------------------------------------------------------- main */

/* TEST_HARNESS_MAIN, with our options taken out of argv first. */
static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	const char *env;
	unsigned int nbad;
	int i, j, fd;

	env = getenv("AXVCPU_FUZZ_SEED");
	fz_seed = env ? strtoull(env, NULL, 0) : (__u64)time(NULL) ^ ((__u64)getpid() << 32);
	env = getenv("AXVCPU_FUZZ_SECONDS");
	if (env)
		fz_seconds = strtod(env, NULL);
	env = getenv("AXVCPU_FUZZ_TRACE");
	fz_trace = env && *env && *env != '0';
	for (i = 1, j = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			fz_seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			fz_seconds = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--trace"))
			fz_trace = true;
		else
			argv[j++] = argv[i];
	}
	argc = j;
	argv[argc] = NULL;
	/* The harness _exit()s its children: nothing may wait in a buffer. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# seed=%llu seconds=%.1f\n", (unsigned long long)fz_seed, fz_seconds);
	fflush(stdout);

	if (read_sysfs(SYSFS_REFCNT, refcnt0, sizeof(refcnt0)))
		strcpy(refcnt0, "?");
	taint0 = read_taint();
	/* Only where the log now ends: nothing is reported. */
	kmsg_seq0_ok = !kmsg_scan(~0ULL, &kmsg_seq0, &nbad);
	fd = axvm_open(NULL);
	if (fd >= 0) {
		gpa_bits = ioctl(fd, AXVCPU_CHECK_EXTENSION, AXVCPU_CAP_MAX_GPA_BITS);
		close(fd);
	}
	return test_harness_run(argc, argv);
}
