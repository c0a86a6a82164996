// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_coexist (x86_64) - axvcpu and the kernel's own KVM in one booted
 * kernel.  Needs KVM in the guest (the rigs' --with-kvm: /kvm/load.sh),
 * else every test is skipped.  axvcpu enters VMX operation only inside
 * its IRQs-off windows, borrowing KVM's when KVM has VMX on (6.1: while a
 * KVM VM exists; 6.12+: from kvm_intel's load), so:
 *  - KVM and axvcpu guests alternate on one CPU, KVM loaded before and
 *    after (while it runs) the axvcpu VM, each seeing only its own
 *    guest's results;
 *  - kvm_intel loads, runs a guest and unloads while an axvcpu vcpu runs
 *    on another CPU, which keeps running correctly throughout.
 * Every test puts the modules back as it found them (its teardown), so
 * one failure cannot leave kvm_intel loaded for the tests after it.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

#define KVM_MEM_SIZE	0x10000UL
#define PIO_PORT	0x3f8		/* x86 KVM guest */

GUEST_CODE(g_kvm);

#define KVM_MEM_GPA	0x0UL
#define KVM_CODE_OFF	0x1000UL
/* OUT AL to PIO_PORT forever, AL counting up from 0. */
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_kvm_start, g_kvm_end\n"
    "g_kvm_start:\n"
    "	mov $" __stringify(PIO_PORT) ", %dx\n"
    "	xor %eax, %eax\n"
    "1:	out %al, (%dx)\n"
    "	inc %eax\n"
    "	jmp 1b\n"
    "g_kvm_end:\n"
    ".code64\n"
    ".popsection\n");

struct kvm_guest {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	int run_size;
	void *mem;
	__u32 next;	/* the value the next exit carries */
};

static bool have_path(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	TEST_ASSERT(sched_setaffinity(0, sizeof(s), &s) == 0, "pin to cpu%d", cpu);
}

static void kvm_guest_create(struct kvm_guest *g)
{
	struct kvm_userspace_memory_region reg = { 0 };

	memset(g, 0, sizeof(*g));
	g->kvm = TEST_ASSERT_SYSCALL_OK(open("/dev/kvm", O_RDWR | O_CLOEXEC));
	g->vm = TEST_ASSERT_SYSCALL_OK(ioctl(g->kvm, KVM_CREATE_VM, 0));
	g->mem = mmap(NULL, KVM_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(g->mem != MAP_FAILED, "mmap");
	memcpy((char *)g->mem + KVM_CODE_OFF, g_kvm_start, GUEST_CODE_LEN(g_kvm));
	reg.guest_phys_addr = KVM_MEM_GPA;
	reg.memory_size = KVM_MEM_SIZE;
	reg.userspace_addr = (unsigned long)g->mem;
	TEST_ASSERT_SYSCALL_OK(ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &reg));
	g->vcpu = TEST_ASSERT_SYSCALL_OK(ioctl(g->vm, KVM_CREATE_VCPU, 0));
	g->run_size = TEST_ASSERT_SYSCALL_OK(ioctl(g->kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu, 0);
	TEST_ASSERT(g->run != MAP_FAILED, "mmap kvm_run");
	{
		struct kvm_sregs sregs;
		struct kvm_regs regs = { .rip = KVM_MEM_GPA + KVM_CODE_OFF, .rflags = 2 };

		TEST_ASSERT_SYSCALL_OK(ioctl(g->vcpu, KVM_GET_SREGS, &sregs));
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		TEST_ASSERT_SYSCALL_OK(ioctl(g->vcpu, KVM_SET_SREGS, &sregs));
		TEST_ASSERT_SYSCALL_OK(ioctl(g->vcpu, KVM_SET_REGS, &regs));
	}
}

/* One KVM_RUN: the next I/O exit, carrying the next value. */
static void kvm_guest_step(struct kvm_guest *g)
{
	struct kvm_run *run = g->run;
	int r;

	do {
		r = ioctl(g->vcpu, KVM_RUN, 0);
	} while (r < 0 && errno == EINTR);
	TEST_ASSERT(r == 0, "KVM_RUN");
	TEST_ASSERT(run->exit_reason == KVM_EXIT_IO && run->io.port == PIO_PORT &&
		    run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1 &&
		    *((__u8 *)run + run->io.data_offset) == (__u8)g->next,
		    "KVM exit %u port %#x dir %u size %u data %#x, expected OUT %#x = %#x",
		    run->exit_reason, run->io.port, run->io.direction, run->io.size,
		    *((__u8 *)run + run->io.data_offset), PIO_PORT, (__u8)g->next);
	g->next++;
}

static void kvm_guest_destroy(struct kvm_guest *g)
{
	munmap(g->run, g->run_size);
	close(g->vcpu);
	close(g->vm);
	close(g->kvm);
	munmap(g->mem, KVM_MEM_SIZE);
}

/* One axvcpu RUN of guest_hcall_loop: a HYPERCALL exit. */
static void ax_step(struct test_vm *t)
{
	int r;

	do {
		r = _vcpu_run(&t->vcpu);
	} while (r == -EINTR);
	TEST_ASSERT(r == 0, "AXVCPU_RUN: %d (%s)", r, errno_name(-r));
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(t->vcpu.run->hypercall.nr, HCALL_LOOP_NR);
}

static const char *const kvm_mods[][2] = {
	{ "irqbypass", "/kvm/irqbypass.ko" },
	{ "kvm", "/kvm/kvm.ko" },
	{ "kvm_intel", "/kvm/kvm-intel.ko" },
};

static bool mod_loaded(const char *name)
{
	char p[64];

	snprintf(p, sizeof(p), "/sys/module/%s", name);
	return have_path(p);
}

static int load_err;	/* errno of the failed finit_module() */

/* Loads what of irqbypass, kvm, kvm_intel is missing; true if all are in. */
static bool load_kvm(void)
{
	size_t i;

	load_err = 0;
	for (i = 0; i < ARRAY_SIZE(kvm_mods); i++) {
		if (mod_loaded(kvm_mods[i][0]))
			continue;
		if (module_load(kvm_mods[i][1], "")) {
			load_err = errno;
			printf("# finit_module %s: %s\n", kvm_mods[i][1], strerror(errno));
			break;
		}
	}
	return mod_loaded("kvm_intel") && have_path("/dev/kvm");
}

#define NEED_KVM_X86() do {						\
	if (!have_path("/kvm/load.sh"))					\
		SKIP(return, "no KVM in this machine (/kvm/load.sh: boot with --with-kvm)"); \
} while (0)

/* A file on /dev/kmsg, at its end: only later records are read. */
static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	TEST_ASSERT(fd >= 0, "open /dev/kmsg");
	TEST_ASSERT(lseek(fd, 0, SEEK_END) >= 0, "lseek /dev/kmsg");
	return fd;
}

/* Counts the new records with both strings; prints every new record. */
static int kmsg_count(int fd, const char *a, const char *b)
{
	char rec[2048];
	int n = 0;
	ssize_t r;

	while ((r = read(fd, rec, sizeof(rec) - 1)) > 0) {
		char *msg = strchr(rec, ';');

		rec[r] = 0;
		msg = msg ? msg + 1 : rec;
		printf("# kmsg: %s", msg);
		if (strstr(msg, a) && strstr(msg, b))
			n++;
	}
	return n;
}

static void unload_kvm(void)
{
	if (system("rmmod kvm_intel kvm irqbypass 2>&1 | sed 's/^/# /'") == -1)
		printf("# system(rmmod) failed\n");
}

static bool kvm_was_loaded;

/*
 * The modules as the test found them.  Also at exit(): a failed
 * TEST_ASSERT exits the test's process without its teardown.
 */
static void restore_kvm(void)
{
	if (have_path("/kvm/load.sh") && !kvm_was_loaded &&
	    mod_loaded("kvm_intel"))
		unload_kvm();
}

FIXTURE(kvm) {
	bool had_kvm;	/* kvm_intel was loaded before the test */
};

FIXTURE_SETUP(kvm)
{
	self->had_kvm = kvm_was_loaded = mod_loaded("kvm_intel");
	atexit(restore_kvm);
}

FIXTURE_TEARDOWN(kvm)
{
	restore_kvm();
}

/* axvcpu log lines about VMX since @kfd was opened (there should be none). */
static int axvcpu_vmx_lines(int kfd)
{
	int n = kmsg_count(kfd, "axvcpu", "VMX");

	close(kfd);
	return n;
}

/*
 * One CPU, KVM loaded (and its VM created) before the axvcpu VM: 200
 * alternating runs, each guest's results its own; then a second axvcpu VM
 * created while the KVM VM still exists.
 */
TEST_F(kvm, alternate_on_one_cpu_kvm_first)
{
	struct test_vm t, t2;
	struct kvm_guest g;
	int kfd, i;

	NEED_KVM_X86();

	pin(0);
	TEST_ASSERT(load_kvm(), "loading irqbypass, kvm, kvm_intel from /kvm failed");
	kfd = kmsg_open_at_end();
	kvm_guest_create(&g);		/* kvm_intel 6.1: VMXON now */
	kvm_guest_step(&g);
	TEST_VM_WITH(&t, guest_hcall_loop);
	for (i = 0; i < 200; i++) {
		ax_step(&t);
		kvm_guest_step(&g);
	}
	TEST_VM_WITH(&t2, guest_hcall_loop);
	for (i = 0; i < 20; i++) {
		ax_step(&t2);
		kvm_guest_step(&g);
		ax_step(&t);
	}
	test_vm_destroy(&t2);
	kvm_guest_destroy(&g);		/* 6.1: the last KVM VM: VMXOFF */
	ax_step(&t);			/* ours again, on our own VMXON */
	test_vm_destroy(&t);
	EXPECT_EQ(0, axvcpu_vmx_lines(kfd));
}

/*
 * One CPU, the axvcpu VM first and mid-run when kvm_intel loads; 200
 * alternating runs; then KVM unloaded under the axvcpu VM.
 */
TEST_F(kvm, alternate_on_one_cpu_axvcpu_first)
{
	struct kvm_guest g;
	struct test_vm t;
	int kfd, i;

	NEED_KVM_X86();

	if (self->had_kvm)
		SKIP(return, "kvm_intel is loaded already");
	pin(0);
	kfd = kmsg_open_at_end();
	TEST_VM_WITH(&t, guest_hcall_loop);
	ax_step(&t);
	TEST_ASSERT(load_kvm(), "kvm_intel refused while an axvcpu VM runs: %s",
		    strerror(load_err));
	kvm_guest_create(&g);
	for (i = 0; i < 200; i++) {
		kvm_guest_step(&g);
		ax_step(&t);
	}
	kvm_guest_destroy(&g);
	unload_kvm();
	TEST_ASSERT(!mod_loaded("kvm_intel"), "rmmod kvm_intel");
	for (i = 0; i < 20; i++)
		ax_step(&t);
	test_vm_destroy(&t);
	EXPECT_EQ(0, axvcpu_vmx_lines(kfd));
}

struct ax_runner {
	struct test_vm *t;
	volatile bool stop;
	volatile long steps;
	int err;		/* first failure: -errno or exit reason + 1000 */
};

/* CPU 1: RUN the hypercall loop until told to stop, counting exits. */
static void *ax_runner_thread(void *arg)
{
	struct ax_runner *a = arg;
	cpu_set_t s;
	int r;

	CPU_ZERO(&s);
	CPU_SET(1, &s);
	sched_setaffinity(0, sizeof(s), &s);
	while (!a->stop) {
		r = _vcpu_run(&a->t->vcpu);
		if (r == -EINTR)
			continue;
		if (r) {
			a->err = r;
			break;
		}
		if (a->t->vcpu.run->exit_reason != AXVCPU_EXIT_HYPERCALL ||
		    a->t->vcpu.run->hypercall.nr != HCALL_LOOP_NR) {
			a->err = 1000 + a->t->vcpu.run->exit_reason;
			break;
		}
		a->steps++;
	}
	return NULL;
}

/* Waits until the runner made progress beyond @since (10 s at most). */
static long runner_progress(struct ax_runner *a, long since)
{
	int i;

	for (i = 0; i < 1000 && a->steps <= since + 10 && !a->err; i++)
		usleep(10000);
	return a->steps;
}

/*
 * VMX operation comes and goes under a running vcpu: kvm_intel loads
 * (6.12+: VMXON on every CPU at once), runs a guest (6.1: VMXON then),
 * and unloads (VMXOFF everywhere), twice, while an axvcpu vcpu runs on
 * CPU 1.  That vcpu never sees an error and keeps making progress.
 */
TEST_F(kvm, kvm_comes_and_goes_while_axvcpu_runs)
{
	struct ax_runner a = { 0 };
	struct kvm_guest g;
	struct test_vm t;
	pthread_t th;
	long n;
	int kfd, round, i;

	NEED_KVM_X86();

	if (self->had_kvm)
		SKIP(return, "kvm_intel is loaded already");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	pin(0);
	kfd = kmsg_open_at_end();
	TEST_VM_WITH(&t, guest_hcall_loop);
	a.t = &t;
	TEST_ASSERT(!pthread_create(&th, NULL, ax_runner_thread, &a), "pthread_create");
	n = runner_progress(&a, 0);
	for (round = 0; round < 2 && !a.err; round++) {
		TEST_ASSERT(load_kvm(), "loading KVM (round %d)", round);
		n = runner_progress(&a, n);
		kvm_guest_create(&g);
		for (i = 0; i < 20; i++)
			kvm_guest_step(&g);
		n = runner_progress(&a, n);
		kvm_guest_destroy(&g);
		unload_kvm();
		TEST_ASSERT(!mod_loaded("kvm_intel"), "rmmod kvm_intel (round %d)", round);
		n = runner_progress(&a, n);
	}
	a.stop = true;
	pthread_join(th, NULL);
	TEST_ASSERT(!a.err, "the axvcpu vcpu failed: %d", a.err);
	TEST_ASSERT(a.steps > 50, "the axvcpu vcpu made %ld steps only", a.steps);
	printf("# axvcpu vcpu: %ld hypercall exits while KVM came and went\n", a.steps);
	test_vm_destroy(&t);
	EXPECT_EQ(0, axvcpu_vmx_lines(kfd));
}

TEST_HARNESS_MAIN
