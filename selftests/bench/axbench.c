// SPDX-License-Identifier: GPL-2.0
/*
 * axbench - axvcpu and KVM side by side, in the same booted (emulated)
 * machine.  run_bench.sh runs it three times:
 *
 *   axbench axvcpu FILE    the axvcpu numbers (needs /dev/axvcpu)
 *   axbench kvm FILE       the same guests under KVM (needs /dev/kvm)
 *   axbench report AXFILE KVMFILE
 *                          one line per metric:
 *                          bench: <arch> <metric> axvcpu=<v> kvm=<v> ratio=<ax/kvm>
 *
 * FILE gets "metric value" lines.  Metrics (ns per operation unless the name
 * ends in _kB):
 *   hypercall     guest VMCALL/HVC exit to userspace and back (KVM x86:
 *                 KVM_HC_MAP_GPA_RANGE with KVM_CAP_EXIT_HYPERCALL, an I/O
 *                 exit where that is missing; KVM arm64 6.1 has no HVC exit
 *                 to userspace, so its number is the MMIO exit's)
 *   mmio          a store outside every memory slot: MMIO write exit
 *   pio           x86 only: OUT to a port: I/O exit
 *   cpuid_inkernel / psci_inkernel
 *                 the guest loops N times over CPUID (x86) or HVC
 *                 PSCI_VERSION (arm64), handled in the kernel; only the
 *                 final exit reaches userspace; time / N
 *   vm_create     VM + one vcpu ready to run (axvcpu: CREATE_VM, CREATE_VCPU,
 *                 mmap, SETUP, BIND; KVM: CREATE_VM, CREATE_VCPU, mmap,
 *                 arm64 VCPU_INIT), with another VM alive (virtualization on)
 *   vcpu_create   one more vcpu in a VM, ready to run
 *   mem_vm_kB     MemFree drop per VM with one vcpu (32 VMs alive)
 *   mem_vcpu_kB   MemFree drop per further vcpu (32 vcpus in one VM)
 *
 * The benchmark thread is pinned to CPU 0.  On x86 (Bochs, one CPU, clock
 * sync=none, ips=100M) the clock is the emulated instruction count: 10 ns
 * per instruction, deterministic.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "libaxvm.h"

#define DIE(...) do {							\
	fprintf(stdout, "# axbench: FAIL: " __VA_ARGS__);		\
	fprintf(stdout, " (errno %d %s)\n", errno, strerror(errno));	\
	exit(1);							\
} while (0)

#define MEM_SIZE	0x10000UL
#define NVMS		32
#define NVCPUS		32

#if defined(__x86_64__)
#define ARCH_NAME	"x86_64"
#define MEM_GPA		0x0UL
#define CODE_OFF	0x1000UL
#define N_EXITS		4000
#define N_INKERNEL	4000
#define GPR_COUNT	6	/* rsi */
#elif defined(__aarch64__)
#define ARCH_NAME	"arm64"
#define MEM_GPA		0x40000000UL
#define CODE_OFF	0x0UL
#define N_EXITS		5000
#define N_INKERNEL	20000
#define GPR_COUNT	5	/* x5 */
#endif

#define G(name) extern const unsigned char name##_start[], name##_end[]
G(g_hcall);
G(g_mmio);
G(g_io);
G(g_loop);

#if defined(__x86_64__)
asm(".pushsection .text.axbench_guest, \"ax\"\n"
    ".code16\n"
    /* KVM_HC_MAP_GPA_RANGE(gpa 0x1000, 1 page, 0): an exit on both. */
    ".global g_hcall_start, g_hcall_end\n"
    "g_hcall_start:\n"
    "1:	mov $12, %eax\n"
    "	mov $0x1000, %ebx\n"
    "	mov $1, %ecx\n"
    "	xor %edx, %edx\n"
    "	vmcall\n"
    "	jmp 1b\n"
    "g_hcall_end:\n"
    /* A store to gpa 0x20010, outside the 64 KiB slot. */
    ".global g_mmio_start, g_mmio_end\n"
    "g_mmio_start:\n"
    "	mov $0x2000, %ax\n"
    "	mov %ax, %es\n"
    "1:	movl %eax, %es:0x10\n"
    "	jmp 1b\n"
    "g_mmio_end:\n"
    ".global g_io_start, g_io_end\n"
    "g_io_start:\n"
    "	mov $0x3f8, %dx\n"
    "1:	out %al, (%dx)\n"
    "	jmp 1b\n"
    "g_io_end:\n"
    /* ESI times CPUID (in the kernel), then I/O exits. */
    ".global g_loop_start, g_loop_end\n"
    "g_loop_start:\n"
    "1:	xor %eax, %eax\n"
    "	cpuid\n"
    "	dec %esi\n"
    "	jnz 1b\n"
    "	mov $0x3f8, %dx\n"
    "2:	out %al, (%dx)\n"
    "	jmp 2b\n"
    "g_loop_end:\n"
    ".code64\n"
    ".popsection\n");
#else
asm(".pushsection .text.axbench_guest, \"ax\"\n"
    ".balign 4\n"
    ".global g_hcall_start, g_hcall_end\n"
    "g_hcall_start:\n"
    "1:	movz x0, #0x1234\n"
    "	hvc #0\n"
    "	b 1b\n"
    "g_hcall_end:\n"
    /* A store to IPA 0x09000000, outside the slot. */
    ".global g_mmio_start, g_mmio_end\n"
    "g_mmio_start:\n"
    "	movz x2, #0x0900, lsl #16\n"
    "1:	str w1, [x2]\n"
    "	add w1, w1, #1\n"
    "	b 1b\n"
    "g_mmio_end:\n"
    ".global g_io_start, g_io_end\n"
    "g_io_start:\n"
    "	b g_io_start\n"
    "g_io_end:\n"
    /* x5 times HVC PSCI_VERSION (in the kernel), then MMIO exits. */
    ".global g_loop_start, g_loop_end\n"
    "g_loop_start:\n"
    "1:	movz x0, #0x8400, lsl #16\n"
    "	hvc #0\n"
    "	subs x5, x5, #1\n"
    "	b.ne 1b\n"
    "	movz x2, #0x0900, lsl #16\n"
    "2:	str w1, [x2]\n"
    "	b 2b\n"
    "g_loop_end:\n"
    ".popsection\n");
#endif

enum { E_OTHER, E_HCALL, E_MMIO, E_IO, E_INTR };
enum { AX, KVM };

static const char *exit_name[] = { "other", "hypercall", "mmio", "io", "intr" };

static int sys_ax = -1, sys_kvm = -1, kvm_run_size;
static int kvm_hcall_exit __attribute__((unused));	/* KVM_CAP_EXIT_HYPERCALL enabled */

/* One VM with @nvcpus vcpus (vcpu 0 runs). */
struct vmh {
	int kind;
	void *mem;
	struct axvm_vm vm;
	struct axvm_vcpu vcpu[NVCPUS];
	int kvm_vm, kvm_vcpu[NVCPUS];
	struct kvm_run *run[NVCPUS];
	int nvcpus;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long memfree_kb(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		DIE("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void pin_cpu0(void)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(0, &s);
	if (sched_setaffinity(0, sizeof(s), &s))
		DIE("sched_setaffinity");
}

#ifdef __aarch64__
static uint64_t core_reg(size_t off)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
	       (off / sizeof(uint32_t));
}

static void kvm_set_reg(int fd, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(unsigned long)&val };

	if (ioctl(fd, KVM_SET_ONE_REG, &r))
		DIE("KVM_SET_ONE_REG %#llx", (unsigned long long)id);
}
#endif

/* Adds vcpu @i, ready to run. */
static void vcpu_add(struct vmh *h, int i)
{
	if (h->kind == AX) {
		struct axvcpu_vcpu_create cfg = { 0 };
		int r;

#ifdef __aarch64__
		cfg.arm64.mpidr = i;
#endif
		r = axvm_vcpu_create(&h->vm, &h->vcpu[i], i, &cfg);
		if (r)
			DIE("AXVCPU_CREATE_VCPU %d: %d", i, r);
		r = axvm_vcpu_setup(&h->vcpu[i], MEM_GPA + CODE_OFF, NULL);
		if (r)
			DIE("AXVCPU_SETUP: %d", r);
		r = axvm_vcpu_bind(&h->vcpu[i]);
		if (r)
			DIE("AXVCPU_BIND: %d", r);
	} else {
		int fd = ioctl(h->kvm_vm, KVM_CREATE_VCPU, i);
		void *p;

		if (fd < 0)
			DIE("KVM_CREATE_VCPU %d", i);
		p = mmap(NULL, kvm_run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			DIE("mmap kvm_run");
		h->kvm_vcpu[i] = fd;
		h->run[i] = p;
#ifdef __aarch64__
		{
			struct kvm_vcpu_init init;

			if (ioctl(h->kvm_vm, KVM_ARM_PREFERRED_TARGET, &init))
				DIE("KVM_ARM_PREFERRED_TARGET");
			if (ioctl(fd, KVM_ARM_VCPU_INIT, &init))
				DIE("KVM_ARM_VCPU_INIT");
		}
#endif
	}
	h->nvcpus = i + 1;
}

/* A VM with one vcpu ready to run; no memory yet. */
static void vm_new(struct vmh *h, int kind)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	if (kind == AX) {
		int r = axvm_vm_create(&h->vm, sys_ax);

		if (r)
			DIE("AXVCPU_CREATE_VM: %d", r);
	} else {
		h->kvm_vm = ioctl(sys_kvm, KVM_CREATE_VM, 0);
		if (h->kvm_vm < 0)
			DIE("KVM_CREATE_VM");
#ifdef __x86_64__
		if (kvm_hcall_exit) {
			struct kvm_enable_cap cap = {
				.cap = KVM_CAP_EXIT_HYPERCALL,
				.args[0] = 1ULL << 12,	/* KVM_HC_MAP_GPA_RANGE */
			};

			if (ioctl(h->kvm_vm, KVM_ENABLE_CAP, &cap))
				DIE("KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL)");
		}
#endif
	}
	vcpu_add(h, 0);
}

static void vm_del(struct vmh *h)
{
	int i;

	for (i = 0; i < h->nvcpus; i++) {
		if (h->kind == AX) {
			axvm_vcpu_close(&h->vcpu[i]);
		} else {
			munmap(h->run[i], kvm_run_size);
			close(h->kvm_vcpu[i]);
		}
	}
	if (h->kind == AX)
		axvm_vm_close(&h->vm);
	else
		close(h->kvm_vm);
	if (h->mem)
		munmap(h->mem, MEM_SIZE);
	h->mem = NULL;
}

/* A VM with 64 KiB of memory, @code at the entry, GPR_COUNT = @count. */
static void vm_guest(struct vmh *h, int kind, const unsigned char *start,
		     const unsigned char *end, uint64_t count)
{
	vm_new(h, kind);
	h->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h->mem == MAP_FAILED)
		DIE("mmap guest memory");
	memcpy((char *)h->mem + CODE_OFF, start, end - start);
	if (kind == AX) {
		int r = axvm_set_memory_region(&h->vm, 0, 0, MEM_GPA, MEM_SIZE, h->mem);

		if (r)
			DIE("AXVCPU_SET_MEMORY_REGION: %d", r);
		r = axvm_vcpu_set_gpr(&h->vcpu[0], GPR_COUNT, count);
		if (r)
			DIE("AXVCPU_SET_GPR: %d", r);
	} else {
		struct kvm_userspace_memory_region reg = {
			.slot = 0, .guest_phys_addr = MEM_GPA,
			.memory_size = MEM_SIZE,
			.userspace_addr = (uint64_t)(unsigned long)h->mem,
		};
		int fd = h->kvm_vcpu[0];

		if (ioctl(h->kvm_vm, KVM_SET_USER_MEMORY_REGION, &reg))
			DIE("KVM_SET_USER_MEMORY_REGION");
#ifdef __x86_64__
		{
			struct kvm_sregs sregs;
			struct kvm_regs regs = { 0 };

			if (ioctl(fd, KVM_GET_SREGS, &sregs))
				DIE("KVM_GET_SREGS");
			sregs.cs.base = 0;
			sregs.cs.selector = 0;
			if (ioctl(fd, KVM_SET_SREGS, &sregs))
				DIE("KVM_SET_SREGS");
			regs.rip = MEM_GPA + CODE_OFF;
			regs.rflags = 2;
			regs.rsi = count;
			if (ioctl(fd, KVM_SET_REGS, &regs))
				DIE("KVM_SET_REGS");
		}
#else
		kvm_set_reg(fd, core_reg(offsetof(struct kvm_regs, regs.pc)), MEM_GPA + CODE_OFF);
		kvm_set_reg(fd, core_reg(offsetof(struct kvm_regs, regs.regs[5])), count);
#endif
	}
}

static int vm_run(struct vmh *h)
{
	if (h->kind == AX) {
		int r = axvm_vcpu_run(&h->vcpu[0]);

		if (r == -EINTR)
			return E_INTR;
		if (r)
			DIE("AXVCPU_RUN: %d", r);
		switch (h->vcpu[0].run->exit_reason) {
		case AXVCPU_EXIT_HYPERCALL:
			h->vcpu[0].run->hypercall.ret = 0;
			return E_HCALL;
		case AXVCPU_EXIT_MMIO_WRITE:
			return E_MMIO;
		case AXVCPU_EXIT_IO_WRITE:
			return E_IO;
		}
		printf("# axbench: axvcpu exit %u (%s)\n", h->vcpu[0].run->exit_reason,
		       axvm_exit_name(h->vcpu[0].run->exit_reason));
		return E_OTHER;
	} else {
		struct kvm_run *run = h->run[0];

		if (ioctl(h->kvm_vcpu[0], KVM_RUN, 0)) {
			if (errno == EINTR)
				return E_INTR;
			DIE("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_HYPERCALL:
			run->hypercall.ret = 0;
			return E_HCALL;
		case KVM_EXIT_MMIO:
			return E_MMIO;
		case KVM_EXIT_IO:
			return E_IO;
		}
		printf("# axbench: KVM exit %u\n", run->exit_reason);
		return E_OTHER;
	}
}

static void expect_exit(struct vmh *h, int want)
{
	int e = vm_run(h);

	if (e != want)
		DIE("%s: exit %s, expected %s", h->kind == AX ? "axvcpu" : "kvm",
		    exit_name[e], exit_name[want]);
}

/* ns per exit-to-userspace round trip. */
static double bench_exits(int kind, const unsigned char *s, const unsigned char *e,
			  int want, long n)
{
	struct vmh h;
	double t;
	long i;

	vm_guest(&h, kind, s, e, 0);
	for (i = 0; i < 50; i++)
		expect_exit(&h, want);
	t = now_ns();
	for (i = 0; i < n; i++)
		expect_exit(&h, want);
	t = now_ns() - t;
	vm_del(&h);
	return t / n;
}

/* ns per in-kernel exit: the guest loops n times, one final user exit. */
static double bench_inkernel(int kind, int final, long n)
{
	struct vmh h;
	double t;
	int e, intr = 0;

	vm_guest(&h, kind, g_loop_start, g_loop_end, 1);
	expect_exit(&h, final);		/* warm: one loop, then the exit */
	vm_del(&h);
	vm_guest(&h, kind, g_loop_start, g_loop_end, n);
	t = now_ns();
	while ((e = vm_run(&h)) == E_INTR)
		intr++;
	t = now_ns() - t;
	if (e != final)
		DIE("in-kernel loop: exit %s, expected %s", exit_name[e], exit_name[final]);
	if (intr)
		printf("# axbench: %s: %d EINTR returns during the in-kernel loop\n",
		       kind == AX ? "axvcpu" : "kvm", intr);
	if (kind == AX) {
		__u64 v = 1;

		axvm_vcpu_get_gpr(&h.vcpu[0], GPR_COUNT, &v);
		if (v) {
			printf("# axbench: BUG: axvcpu: final exit %u (%s) at pc/rip %#llx with the loop counter at %llu of %ld: the in-kernel loop did not run (hw_reason %#llx qual %#llx)\n",
			       h.vcpu[0].run->exit_reason, axvm_exit_name(h.vcpu[0].run->exit_reason),
			       (unsigned long long)h.vcpu[0].run->hw_rip, (unsigned long long)v, n,
			       (unsigned long long)h.vcpu[0].run->hw_reason,
			       (unsigned long long)h.vcpu[0].run->hw_qualification);
			vm_del(&h);
			return -1;
		}
		printf("# axbench: axvcpu builtin exits counted: %llu (%s)\n",
#ifdef __x86_64__
		       (unsigned long long)h.vcpu[0].run->stats.builtin[AXVCPU_BUILTIN_CPUID], "CPUID"
#else
		       (unsigned long long)h.vcpu[0].run->stats.builtin[AXVCPU_BUILTIN_PSCI], "PSCI"
#endif
		       );
	}
	vm_del(&h);
	return t / n;
}

static void bench_create(int kind, FILE *out)
{
	static struct vmh vms[NVMS], keep, big;
	double t, tv;
	long m0, m1;
	int i;

	vm_new(&keep, kind);	/* virtualization on, caches warm */
	vm_new(&vms[0], kind);
	vm_del(&vms[0]);
	m0 = memfree_kb();
	t = now_ns();
	for (i = 0; i < NVMS; i++)
		vm_new(&vms[i], kind);
	t = now_ns() - t;
	m1 = memfree_kb();
	fprintf(out, "vm_create %.0f\n", t / NVMS);
	fprintf(out, "mem_vm_kB %.1f\n", (double)(m0 - m1) / NVMS);

	/* With the VMs alive: no freed vcpu objects to reuse. */
	vm_new(&big, kind);
	m0 = memfree_kb();
	tv = now_ns();
	for (i = 1; i <= NVCPUS - 1; i++)
		vcpu_add(&big, i);
	tv = now_ns() - tv;
	m1 = memfree_kb();
	vm_del(&big);
	for (i = 0; i < NVMS; i++)
		vm_del(&vms[i]);
	vm_del(&keep);
	fprintf(out, "vcpu_create %.0f\n", tv / (NVCPUS - 1));
	fprintf(out, "mem_vcpu_kB %.1f\n", (double)(m0 - m1) / (NVCPUS - 1));
}

static int run_side(int kind, const char *path)
{
	FILE *out = fopen(path, "w");
	const char *who = kind == AX ? "axvcpu" : "kvm";
	int hcall_exit = E_HCALL;
	double v;

	if (!out)
		DIE("fopen %s", path);
	pin_cpu0();
	if (kind == AX) {
		sys_ax = axvm_open(NULL);
		if (sys_ax < 0)
			DIE("open /dev/axvcpu");
	} else {
		sys_kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (sys_kvm < 0)
			DIE("open /dev/kvm");
		kvm_run_size = ioctl(sys_kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
		if (kvm_run_size <= 0)
			DIE("KVM_GET_VCPU_MMAP_SIZE");
#ifdef __x86_64__
		kvm_hcall_exit = ioctl(sys_kvm, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HYPERCALL) > 0;
		if (!kvm_hcall_exit) {
			printf("# axbench: kvm: no KVM_CAP_EXIT_HYPERCALL: 'hypercall' is an I/O exit\n");
			hcall_exit = E_IO;
		}
#else
		printf("# axbench: kvm: arm64 6.1 has no HVC exit to userspace: its 'hypercall' is an MMIO exit\n");
		hcall_exit = E_MMIO;
#endif
	}

	/* First: see the BUG line in bench_inkernel. */
#ifdef __x86_64__
	v = bench_inkernel(kind, E_IO, N_INKERNEL);
	if (v >= 0)
		fprintf(out, "cpuid_inkernel %.0f\n", v);
#else
	v = bench_inkernel(kind, E_MMIO, N_INKERNEL);
	if (v >= 0)
		fprintf(out, "psci_inkernel %.0f\n", v);
#endif
	if (hcall_exit == E_HCALL)
		v = bench_exits(kind, g_hcall_start, g_hcall_end, E_HCALL, N_EXITS);
	else if (hcall_exit == E_IO)
		v = bench_exits(kind, g_io_start, g_io_end, E_IO, N_EXITS);
	else
		v = bench_exits(kind, g_mmio_start, g_mmio_end, E_MMIO, N_EXITS);
	fprintf(out, "hypercall %.0f\n", v);
	fprintf(out, "mmio %.0f\n", bench_exits(kind, g_mmio_start, g_mmio_end, E_MMIO, N_EXITS));
#ifdef __x86_64__
	fprintf(out, "pio %.0f\n", bench_exits(kind, g_io_start, g_io_end, E_IO, N_EXITS));
#endif
	bench_create(kind, out);
	fclose(out);
	printf("# axbench: %s done\n", who);
	return 0;
}

struct metric {
	char name[32];
	double v;
};

static int load(const char *path, struct metric *m, int max)
{
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fscanf(f, "%31s %lf", m[n].name, &m[n].v) == 2)
		n++;
	fclose(f);
	return n;
}

static int report(const char *axf, const char *kvmf)
{
	struct metric a[32], k[32];
	int na = load(axf, a, 32), nk = load(kvmf, k, 32), i, j;

	if (!na) {
		printf("# axbench: no axvcpu results in %s\n", axf);
		return 1;
	}
	for (i = 0; i < na; i++) {
		const char *dec = strstr(a[i].name, "_kB") ? "%.1f" : "%.0f";
		char av[32], kv[32] = "n/a", ratio[32] = "n/a";

		snprintf(av, sizeof(av), dec, a[i].v);
		for (j = 0; j < nk; j++) {
			if (strcmp(a[i].name, k[j].name))
				continue;
			snprintf(kv, sizeof(kv), dec, k[j].v);
			if (k[j].v > 0)
				snprintf(ratio, sizeof(ratio), "%.2f", a[i].v / k[j].v);
		}
		printf("bench: %s %s axvcpu=%s kvm=%s ratio=%s\n", ARCH_NAME,
		       a[i].name, av, kv, ratio);
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "axvcpu"))
		return run_side(AX, argv[2]);
	if (argc == 3 && !strcmp(argv[1], "kvm"))
		return run_side(KVM, argv[2]);
	if (argc == 4 && !strcmp(argv[1], "report"))
		return report(argv[2], argv[3]);
	fprintf(stderr, "usage: axbench axvcpu FILE | kvm FILE | report AXFILE KVMFILE\n");
	return 2;
}
