/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared part of the hostile-guest programs (selftests/<arch>/
 * hostile_guests.c), header only: the seed (--seed N or
 * AXVCPU_HOSTILE_SEED, printed as "# seed=N" before anything else), a
 * seeded PRNG, a RUN that can never block for more than a bound (an
 * interval timer whose SIGALRM handler also sets immediate_exit, so a
 * signal that lands just before the ioctl still ends the next RUN: the
 * KVM selftests' pattern), the documented-exit check, and the checks that
 * the host is intact: the kernel log read from /dev/kmsg since a recorded
 * sequence number, the module's reference count, the kmalloc slab totals
 * of two identical rounds, signal delivery, CLOCK_MONOTONIC and a timerfd.
 *
 * The arch file defines hostile_arch_run() (the raw RUN, with the host
 * register checks it can make around it), hostile_exit_ok() and
 * hostile_internal_ok() (the exits its arch may produce), then includes
 * this after kselftest_harness.h and axvcpu_util.h.
 */
#ifndef SELFTEST_HOSTILE_H
#define SELFTEST_HOSTILE_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "axvcpu_util.h"

#define HOSTILE_MAYBE_UNUSED	__attribute__((unused))

/* Set by hostile_main() before the harness forks the first test. */
static unsigned long long hostile_seed;

/* ---- PRNG: splitmix64 for seeding, xorshift64* for the stream ---- */

struct hrng {
	__u64 s;
};

static inline __u64 splitmix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A stream of its own per group, so that one group's draws do not move another's. */
static inline void hrng_init(struct hrng *r, const char *group)
{
	__u64 h = 1469598103934665603ULL;

	while (*group)
		h = (h ^ (unsigned char)*group++) * 1099511628211ULL;
	r->s = splitmix64(hostile_seed ^ h) | 1;
}

static inline __u64 hrng_next(struct hrng *r)
{
	__u64 x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n). */
static inline __u64 hrng_below(struct hrng *r, __u64 n)
{
	return n ? hrng_next(r) % n : 0;
}

/* ---- time ---- */

static inline __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A group's time budget in ms.  AXVCPU_HOSTILE_SCALE (a percentage,
 * default 100, on x86 35: Bochs' clock runs about 6 times slower than the
 * host's, and the program must stay within 90 s of make check's time)
 * scales every budget, so the same seed can run longer.
 */
static inline __u64 hostile_budget_ms(__u64 ms)
{
	const char *s = getenv("AXVCPU_HOSTILE_SCALE");
#ifdef __x86_64__
	unsigned long pct = s ? strtoul(s, NULL, 0) : 35;
#else
	unsigned long pct = s ? strtoul(s, NULL, 0) : 100;
#endif

	return ms * (pct ? pct : 100) / 100;
}

/*
 * AXVCPU_HOSTILE_TRACE=1 prints every trial's guest before it runs, 2 also
 * every exit: the last lines before a hang name the guest that caused it.
 */
static inline int hostile_trace(void)
{
	const char *s = getenv("AXVCPU_HOSTILE_TRACE");

	return s ? atoi(s) : 0;
}

/* AXVCPU_HOSTILE_ONLY=name[,name...]: run only those groups (to narrow a failure). */
static inline bool hostile_skip(const char *group)
{
	const char *s = getenv("AXVCPU_HOSTILE_ONLY");
	size_t n = strlen(group);

	while (s && *s) {
		if (!strncmp(s, group, n) && (s[n] == ',' || !s[n]))
			return false;
		s = strchr(s, ',');
		if (s)
			s++;
	}
	return getenv("AXVCPU_HOSTILE_ONLY") != NULL;
}

#define HOSTILE_GROUP(name)						\
	do {								\
		if (hostile_skip(name))					\
			SKIP(return, "not in AXVCPU_HOSTILE_ONLY");	\
	} while (0)

/* ---- bounded RUN ---- */

static struct axvcpu_run *volatile hostile_wd_run;
static volatile unsigned long hostile_wd_fired;
/* CLOCK_MONOTONIC ms of the last watchdog signal during a RUN; 0: none. */
static volatile __u64 hostile_wd_fired_ms;
static volatile pid_t hostile_wd_tid;

static void hostile_wd_handler(int sig)
{
	struct axvcpu_run *run = hostile_wd_run;

	(void)sig;
	hostile_wd_fired++;
	/* A RUN that starts after the signal was taken still returns at once. */
	if (run) {
		run->immediate_exit = 1;
		hostile_wd_fired_ms = now_ms();
	}
}

/* A RUN still in the kernel this long after its watchdog fired is a bug. */
#define HOSTILE_STUCK_MS	5000

static void hostile_print_file(const char *path, const char *prefix)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("%s(cannot read %s: %s)\n", prefix, path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		printf("%s%s", prefix, line);
	fclose(f);
}

/* The kernel log records after @since, printed as TAP comments. */
static void hostile_print_kmsg(__u64 since)
{
	static char rec[8192];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return;
	for (;;) {
		const char *comma, *msg;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		comma = strchr(rec, ',');
		if (!comma || strtoull(comma + 1, NULL, 10) <= since)
			continue;
		msg = strchr(rec, ';');
		printf("# | %s", msg ? msg + 1 : rec);
	}
	close(fd);
}

static inline __u64 kmsg_last_seq(void);

/*
 * What a RUN that ignores its watchdog is doing: its thread's state, wait
 * channel and kernel stack, every CPU's backtrace (SysRq-l), then whether
 * a second signal ends it.  Then the test ends with exit status 1 instead
 * of the harness's timeout, which would say nothing.
 */
static void hostile_report_stuck(pid_t tid, __u64 late)
{
	char path[64];
	__u64 seq = kmsg_last_seq(), t;
	int fd;

	printf("# hostile: RUN of thread %d still in the kernel %llu ms after its watchdog signal\n",
	       tid, (unsigned long long)late);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	hostile_print_file(path, "# stat: ");
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	hostile_print_file(path, "# wchan: ");
	printf("\n");
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
	hostile_print_file(path, "# stack: ");
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	hostile_print_file(path, "# status: ");
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "l", 1) != 1)
			printf("# cannot write /proc/sysrq-trigger\n");
		close(fd);
	}
	sleep(1);
	hostile_print_kmsg(seq);
	syscall(SYS_tgkill, getpid(), tid, SIGALRM);
	for (t = 0; t < 2000 && hostile_wd_fired_ms; t += 100)
		usleep(100 * 1000);
	printf("# hostile: a second SIGALRM %s the RUN\n",
	       hostile_wd_fired_ms ? "did not end" : "ended");
	fflush(stdout);
	_exit(1);
}

static void *hostile_monitor(void *arg)
{
	(void)arg;
	for (;;) {
		__u64 fired = hostile_wd_fired_ms, now;

		usleep(250 * 1000);
		now = now_ms();
		if (fired && fired == hostile_wd_fired_ms && now - fired > HOSTILE_STUCK_MS)
			hostile_report_stuck(hostile_wd_tid, now - fired);
	}
	return NULL;
}

static inline void hostile_wd_install(void)
{
	static bool monitor_started;
	struct sigaction sa;
	sigset_t all, old;
	pthread_t th;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hostile_wd_handler;	/* no SA_RESTART: RUN gets -EINTR */
	sigemptyset(&sa.sa_mask);
	TEST_ASSERT_SYSCALL_OK(sigaction(SIGALRM, &sa, NULL));
	if (monitor_started)
		return;
	/*
	 * The monitor blocks every signal, so the process-directed SIGALRM
	 * always goes to the thread in RUN.
	 */
	sigfillset(&all);
	TEST_ASSERT(pthread_sigmask(SIG_BLOCK, &all, &old) == 0, "pthread_sigmask");
	TEST_ASSERT(pthread_create(&th, NULL, hostile_monitor, NULL) == 0,
		    "pthread_create (the stuck-RUN monitor)");
	TEST_ASSERT(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0, "pthread_sigmask");
	monitor_started = true;
}

static inline void hostile_wd_arm(struct axvcpu_run *run, unsigned int ms)
{
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };

	hostile_wd_tid = syscall(SYS_gettid);
	hostile_wd_fired_ms = 0;
	hostile_wd_run = run;
	TEST_ASSERT_SYSCALL_OK(setitimer(ITIMER_REAL, &it, NULL));
}

static inline void hostile_wd_disarm(struct axvcpu_run *run)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	TEST_ASSERT_SYSCALL_OK(setitimer(ITIMER_REAL, &it, NULL));
	hostile_wd_run = NULL;
	hostile_wd_fired_ms = 0;
	/* The signal may have come after RUN returned: never leave it set. */
	run->immediate_exit = 0;
}

/* ---- a group: exit statistics and host checks ---- */

#define HOSTILE_NR_ERRS	8

struct hgroup {
	const char *name;
	struct hrng rng;
	__u64 kmsg_seq;		/* kernel log records after this one are new */
	char refcnt0[32];	/* the module's refcnt before the group's VMs */
	__u64 exits[AXVCPU_EXIT_NR + 1];
	__u64 runs, intr, internal_printed;
	__u64 trials;
	__u64 t0;
};

/* The sequence number of the newest /dev/kmsg record; 0 if none. */
static inline __u64 kmsg_last_seq(void)
{
	static char rec[8192];
	__u64 last = 0;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ssize_t n;

	TEST_ASSERT(fd >= 0, "open /dev/kmsg");
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten meanwhile */
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		last = strtoull(strchr(rec, ',') ? strchr(rec, ',') + 1 : "0", NULL, 10);
	}
	close(fd);
	return last;
}

/*
 * Kernel log records after @since that show the kernel in trouble.  Returns
 * their number; the first is copied to @first.
 */
static inline int kmsg_bad_since(__u64 since, char *first, size_t len)
{
	static const char *const bad[] = {
		"BUG:", "WARNING:", "Oops", "Call trace", "Internal error",
		"SError", "Unexpected", "UBSAN", "refcount_t",
		"sleeping function called", "soft lockup", "hard LOCKUP",
		"self-detected stall", "general protection fault",
		"Unable to handle", "kernel BUG", "list_add corruption",
		"list_del corruption",
	};
	static char rec[8192];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK), count = 0;
	ssize_t n;
	size_t i;

	TEST_ASSERT(fd >= 0, "open /dev/kmsg");
	for (;;) {
		const char *msg, *comma;
		__u64 seq;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		comma = strchr(rec, ',');
		seq = comma ? strtoull(comma + 1, NULL, 10) : 0;
		if (seq <= since)
			continue;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(msg, bad[i])) {
				if (!count && first) {
					snprintf(first, len, "%.*s", (int)len - 1, msg);
					first[strcspn(first, "\n")] = 0;
				}
				count++;
				break;
			}
	}
	close(fd);
	return count;
}

/* kmalloc-* slab bytes in use (active objects x object size); -1 without slabinfo. */
static inline long long slab_kmalloc_bytes(void)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], name[128];
	long long total = 0;
	unsigned long act, num, sz;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lu %lu %lu", name, &act, &num, &sz) == 4 &&
		    strstr(name, "kmalloc"))
			total += (long long)act * sz;
	fclose(f);
	return total;
}

/* Wait up to @ms for the module's refcnt to be @want again. */
static inline bool wait_refcnt(const char *want, int ms, char *last, size_t len)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int waited;

	for (waited = 0; ; waited += 10) {
		int r = read_sysfs(SYSFS_REFCNT, last, len);

		if (r == 0 && !strcmp(last, want))
			return true;
		if (r)
			snprintf(last, len, "<read error %d>", r);
		if (waited >= ms)
			return false;
		nanosleep(&ts, NULL);
	}
}

static volatile int hostile_sigusr1;

static void hostile_usr1(int sig)
{
	(void)sig;
	hostile_sigusr1++;
}

/*
 * What any host task needs still works: a signal is delivered, the
 * monotonic clock advances by what a sleep took, a timerfd fires.
 */
static inline void host_basics_check(const char *when)
{
	struct itimerspec its = { { 0, 0 }, { 0, 20 * 1000 * 1000 } };
	struct timespec a, b, ts = { 0, 5 * 1000 * 1000 };
	struct sigaction sa;
	struct pollfd p;
	__u64 ticks = 0;
	long ms;
	int fd, before;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hostile_usr1;
	sigemptyset(&sa.sa_mask);
	TEST_ASSERT_SYSCALL_OK(sigaction(SIGUSR1, &sa, NULL));
	before = hostile_sigusr1;
	TEST_ASSERT_SYSCALL_OK(raise(SIGUSR1));
	TEST_ASSERT(hostile_sigusr1 == before + 1, "%s: SIGUSR1 not delivered", when);

	clock_gettime(CLOCK_MONOTONIC, &a);
	nanosleep(&ts, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	TEST_ASSERT(ms >= 5 && ms < 5000, "%s: nanosleep(5 ms) took %ld ms on CLOCK_MONOTONIC",
		    when, ms);

	fd = TEST_ASSERT_SYSCALL_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	TEST_ASSERT_SYSCALL_OK(timerfd_settime(fd, 0, &its, NULL));
	p.fd = fd;
	p.events = POLLIN;
	TEST_ASSERT(poll(&p, 1, 5000) == 1, "%s: a 20 ms timerfd did not fire in 5 s", when);
	TEST_ASSERT(read(fd, &ticks, sizeof(ticks)) == sizeof(ticks) && ticks >= 1,
		    "%s: timerfd read %llu ticks", when, (unsigned long long)ticks);
	close(fd);
}

/* Print @n bytes of a trial's guest code when tracing. */
static inline void hostile_trace_code(struct hgroup *g, __u64 trial, int mode,
				      const void *code, size_t n)
{
	const unsigned char *c = code;
	size_t i;

	if (!hostile_trace())
		return;
	printf("# %s: trial %llu mode %d code", g->name, (unsigned long long)trial, mode);
	for (i = 0; i < n; i++)
		printf(" %02x", c[i]);
	printf("\n");
	fflush(stdout);
}

static inline void hgroup_begin(struct hgroup *g, const char *name)
{
	memset(g, 0, sizeof(*g));
	g->name = name;
	hrng_init(&g->rng, name);
	g->kmsg_seq = kmsg_last_seq();
	TEST_ASSERT(read_sysfs(SYSFS_REFCNT, g->refcnt0, sizeof(g->refcnt0)) == 0,
		    "read %s: is the module loaded?", SYSFS_REFCNT);
	g->t0 = now_ms();
	hostile_wd_install();
}

static bool hostile_exit_ok(__u32 reason);
static bool hostile_internal_ok(__u32 suberror);
static int hostile_arch_run(struct hgroup *g, struct axvm_vcpu *v);

/*
 * One RUN that returns within @ms (plus the exit latency): 0 with the exit
 * in v->run, or the watchdog's AXVCPU_EXIT_INTR (returned as 0 too, with
 * exit_reason INTR).  Any other RUN error fails the test: a guest must
 * not be able to make RUN fail.  The exit reason must be one the ABI
 * documents for this arch; INTERNAL_ERROR prints its suberror and data.
 */
static inline __u32 hrun(struct hgroup *g, struct axvm_vcpu *v, unsigned int ms)
{
	struct axvcpu_run *run = v->run;
	int r;

	hostile_wd_arm(run, ms);
	r = hostile_arch_run(g, v);
	hostile_wd_disarm(run);
	g->runs++;
	if (r == -EINTR) {
		TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_INTR,
			    "%s: RUN -EINTR with exit %u (%s)", g->name, run->exit_reason,
			    axvm_exit_name(run->exit_reason));
		g->intr++;
		g->exits[AXVCPU_EXIT_INTR]++;
		return AXVCPU_EXIT_INTR;
	}
	TEST_ASSERT(r == 0, "%s: RUN failed: %d (%s); state %d, exit %u (%s) hw_reason %#llx rip %#llx",
		    g->name, r, errno_name(-r), axvm_vcpu_get_state(v),
		    run->exit_reason, axvm_exit_name(run->exit_reason),
		    (unsigned long long)run->hw_reason, (unsigned long long)run->hw_rip);
	TEST_ASSERT(run->exit_reason < AXVCPU_EXIT_NR && hostile_exit_ok(run->exit_reason),
		    "%s: undocumented exit %u (%s) for this arch: hw_reason %#llx qual %#llx rip %#llx",
		    g->name, run->exit_reason, axvm_exit_name(run->exit_reason),
		    (unsigned long long)run->hw_reason,
		    (unsigned long long)run->hw_qualification,
		    (unsigned long long)run->hw_rip);
	g->exits[run->exit_reason]++;
	if (hostile_trace() > 1) {
		printf("# %s: exit %s hw_reason %#llx qual %#llx rip %#llx\n", g->name,
		       axvm_exit_name(run->exit_reason), (unsigned long long)run->hw_reason,
		       (unsigned long long)run->hw_qualification, (unsigned long long)run->hw_rip);
		fflush(stdout);
	}
	if (run->exit_reason == AXVCPU_EXIT_FAIL_ENTRY && g->internal_printed++ < HOSTILE_NR_ERRS)
		printf("# %s: FAIL_ENTRY reason %#llx qualification %#llx hw_reason %#llx extra %#llx rip %#llx\n",
		       g->name, (unsigned long long)run->fail_entry.reason,
		       (unsigned long long)run->fail_entry.qualification,
		       (unsigned long long)run->hw_reason, (unsigned long long)run->hw_extra,
		       (unsigned long long)run->hw_rip);
	if (run->exit_reason == AXVCPU_EXIT_INTERNAL_ERROR) {
		TEST_ASSERT(hostile_internal_ok(run->internal.suberror) &&
			    run->internal.ndata <= 8,
			    "%s: INTERNAL_ERROR with undocumented suberror %u (ndata %u) hw_reason %#llx rip %#llx",
			    g->name, run->internal.suberror, run->internal.ndata,
			    (unsigned long long)run->hw_reason,
			    (unsigned long long)run->hw_rip);
		if (g->internal_printed++ < HOSTILE_NR_ERRS)
			printf("# %s: INTERNAL_ERROR suberror %u ndata %u data0 %#llx data1 %#llx hw_reason %#llx rip %#llx\n",
			       g->name, run->internal.suberror, run->internal.ndata,
			       (unsigned long long)run->internal.data[0],
			       (unsigned long long)run->internal.data[1],
			       (unsigned long long)run->hw_reason,
			       (unsigned long long)run->hw_rip);
	}
	return run->exit_reason;
}

/*
 * After a round of the group, all its VMs closed: the module's refcnt is
 * back where it was.  Returns the kmalloc slab bytes then (-1: no slabinfo).
 */
static inline long long hgroup_round_end(struct hgroup *g)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	char last[32];

	TEST_ASSERT(wait_refcnt(g->refcnt0, 3000, last, sizeof(last)),
		    "%s: module refcnt %s, was %s before the group's VMs", g->name,
		    last, g->refcnt0);
	/* Let RCU-deferred frees land before slab is counted. */
	nanosleep(&ts, NULL);
	return slab_kmalloc_bytes();
}

/* Round 2 of the same group must not grow kmalloc slab by more than this. */
#define HOSTILE_SLAB_TOLERANCE	(256 * 1024LL)

static inline void hgroup_slab_compare(struct hgroup *g, long long s1, long long s2)
{
	if (s1 < 0 || s2 < 0) {
		printf("# %s: no /proc/slabinfo: slab not compared\n", g->name);
		return;
	}
	printf("# %s: kmalloc slab after round 1 %lld KiB, after round 2 %lld KiB\n",
	       g->name, s1 / 1024, s2 / 1024);
	TEST_ASSERT(s2 - s1 <= HOSTILE_SLAB_TOLERANCE,
		    "%s: kmalloc slab grew by %lld KiB in round 2 (same seed, same trials): leak?",
		    g->name, (s2 - s1) / 1024);
}

/* The end of a group: what it saw, then the host checks. */
static inline void hgroup_end(struct hgroup *g)
{
	char first[512] = "";
	int bad, i;

	printf("# %s: %llu trials, %llu RUNs (%llu interrupted) in %llu ms; exits:",
	       g->name, (unsigned long long)g->trials, (unsigned long long)g->runs,
	       (unsigned long long)g->intr, (unsigned long long)(now_ms() - g->t0));
	for (i = 0; i < AXVCPU_EXIT_NR; i++)
		if (g->exits[i])
			printf(" %s=%llu", axvm_exit_name(i), (unsigned long long)g->exits[i]);
	printf("\n");
	fflush(stdout);
	host_basics_check(g->name);
	bad = kmsg_bad_since(g->kmsg_seq, first, sizeof(first));
	TEST_ASSERT(bad == 0, "%s: kernel log: %d bad lines since the group began; first: %s",
		    g->name, bad, first);
}

/* ---- main: seed first, then the harness ---- */

static __u64 hostile_kmsg_start;

static inline int hostile_main(int argc, char **argv)
{
	const char *env = getenv("AXVCPU_HOSTILE_SEED");
	int i, j;

	hostile_seed = env ? strtoull(env, NULL, 0) : (__u64)time(NULL) ^ ((__u64)getpid() << 32);
	for (i = 1, j = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			hostile_seed = strtoull(argv[++i], NULL, 0);
			continue;
		}
		if (!strncmp(argv[i], "--seed=", 7)) {
			hostile_seed = strtoull(argv[i] + 7, NULL, 0);
			continue;
		}
		argv[j++] = argv[i];
	}
	argv[j] = NULL;
	printf("# seed=%llu\n", hostile_seed);
	printf("# rerun: --seed %llu (or AXVCPU_HOSTILE_SEED=%llu)\n", hostile_seed,
	       hostile_seed);
	fflush(stdout);
	hostile_kmsg_start = kmsg_last_seq();
	return test_harness_run(j, argv);
}

#endif /* SELFTEST_HOSTILE_H */
