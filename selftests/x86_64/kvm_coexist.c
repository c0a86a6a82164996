// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_coexist (x86_64) - axvcpu and the kernel's own KVM in one booted
 * kernel.  Needs KVM in the guest (the rigs' --with-kvm: /kvm/load.sh),
 * else every test is skipped.  Both want VMX; kvm_intel 6.1 turns it on
 * at KVM_CREATE_VM:
 *  - while an axvcpu VM holds VMX, kvm_intel refuses to load;
 *  - after axvcpu guests ran, KVM loads and a KVM guest runs;
 *  - while a KVM VM exists, AXVCPU_CREATE_VM fails with -EBUSY and the
 *    kernel log gets exactly one axvcpu line naming kvm_intel; once the
 *    KVM VM is closed, axvcpu VMs work again, and KVM still does.
 *    KVM is unloaded at the end (what this test loaded).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

static void __attribute__((unused)) pin(int cpu)
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

static void ax_guest_runs(int n)
{
	struct test_vm t;
	int i;

	TEST_VM_WITH(&t, guest_hcall_loop);
	for (i = 0; i < n; i++)
		ax_step(&t);
	test_vm_destroy(&t);
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

/* finit_module(): one attempt (busybox insmod retries with init_module). */
static long load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -1;
	r = syscall(__NR_finit_module, fd, "", 0);
	close(fd);
	return r;
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
		if (load_module(kvm_mods[i][1])) {
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

/* Issue 2: kvm_intel stays out while axvcpu holds VMX. */
TEST(kvm_intel_refused_while_axvcpu_vm)
{
	struct test_vm t;
	int kfd;

	NEED_KVM_X86();
	if (mod_loaded("kvm_intel"))
		SKIP(return, "kvm_intel is loaded already");
	TEST_VM_WITH(&t, guest_hcall_loop);
	ax_step(&t);
	kfd = kmsg_open_at_end();
	TEST_ASSERT(!load_kvm(), "kvm_intel loaded while an axvcpu VM holds VMX");
	TEST_ASSERT(!mod_loaded("kvm_intel"), "kvm_intel is in /sys/module");
	TEST_ASSERT_EQ(load_err, EBUSY);
	EXPECT_EQ(1, kmsg_count(kfd, "axvcpu", "kvm_intel refused"));
	close(kfd);
	ax_step(&t);	/* still running */
	test_vm_destroy(&t);
}

/* Issue 4: after axvcpu guests ran, KVM loads and runs a guest. */
TEST(kvm_guest_after_axvcpu)
{
	struct kvm_guest g;
	int i;

	NEED_KVM_X86();
	ax_guest_runs(3);
	TEST_ASSERT(load_kvm(), "loading irqbypass, kvm, kvm_intel from /kvm failed");
	kvm_guest_create(&g);
	for (i = 0; i < 5; i++)
		kvm_guest_step(&g);
	kvm_guest_destroy(&g);
}

/*
 * Issue 2: a KVM VM holds VMX: -EBUSY and one log line naming kvm_intel;
 * then axvcpu works again, and KVM still does.  Unloads KVM at the end.
 */
TEST(ebusy_while_kvm_vm)
{
	struct kvm_guest g;
	struct axvm_vm vm;
	int sys, kfd, i, r;

	NEED_KVM_X86();
	TEST_ASSERT(load_kvm(), "loading irqbypass, kvm, kvm_intel from /kvm failed");
	kvm_guest_create(&g);		/* kvm_intel 6.1: VMXON now */
	kvm_guest_step(&g);
	sys = open_dev();
	kfd = kmsg_open_at_end();
	r = axvm_vm_create(&vm, sys);
	EXPECT_EQ(-EBUSY, r) {
		if (r == 0)
			axvm_vm_close(&vm);
	}
	usleep(100000);		/* let every CPU's message land */
	EXPECT_EQ(1, kmsg_count(kfd, "axvcpu", "kvm_intel"));
	close(kfd);
	kvm_guest_step(&g);		/* KVM unharmed */
	kvm_guest_destroy(&g);		/* VMXOFF: the last KVM VM is gone */

	ax_guest_runs(3);
	kvm_guest_create(&g);		/* and KVM again, after us */
	for (i = 0; i < 3; i++)
		kvm_guest_step(&g);
	kvm_guest_destroy(&g);
	close(sys);

	TEST_ASSERT(system("rmmod kvm_intel kvm irqbypass 2>&1 | sed 's/^/# /'") != -1 &&
		    !mod_loaded("kvm_intel"), "rmmod kvm_intel kvm irqbypass");
	ax_guest_runs(3);
}


TEST_HARNESS_MAIN
