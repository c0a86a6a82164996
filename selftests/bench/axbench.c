// SPDX-License-Identifier: GPL-2.0
/*
 * axbench - axvcpu and KVM side by side, the same guest code, in the same
 * booted (emulated) machine.  run_bench.sh drives it:
 *
 *   axbench run SIDES REPS FILE
 *	SIDES is axvcpu, kvm or both.  "both" (arm64, where KVM and axvcpu
 *	coexist) interleaves the two: each of the REPS repetitions runs
 *	every metric on both sides, the side that goes first alternating,
 *	so that a change of load on the host hits both alike.  x86 (Bochs,
 *	one CPU, deterministic) runs one side per process: only one of
 *	kvm_intel and axvcpu is loaded at a time.  Appends one
 *	"<metric> <side> <rep> <value>" line per measurement to FILE.
 *   axbench trace SIDE N
 *	x86 only: the Bochs magic breakpoint (xchg %bx,%bx) just before and
 *	just after a window of N and then 2N exits of each traced loop; the
 *	bench rig (tools/testing/bench-bochs.sh) answers the first with
 *	"trace on" and the second with "trace off" and counts the
 *	instructions of each window.  Prints "# axbench: trace window SIDE
 *	METRIC EXITS" before each window, in order.  Without
 *	"magic_break: enabled=1" in the bochsrc the breaks are no-ops.
 *   axbench report FILE
 *	one line per metric:
 *	bench: <arch> <metric> axvcpu=<v> kvm=<v> ratio=<r> [spread=<min>..<max>]
 *	v is the median over the repetitions; with more than one repetition
 *	ratio is the median of the per-repetition ratios axvcpu/kvm (each
 *	from one interleaved pair) and spread their min..max; a "# bench:"
 *	line before it gives min/median/max of each side.  kvm=- ratio=-
 *	when KVM cannot do the same operation.
 *
 * Metrics.  Times in ns per operation, from CLOCK_MONOTONIC for the exit
 * loops (they never sleep) and CLOCK_THREAD_CPUTIME_ID for creation (it
 * sleeps: KVM x86 waits for its kvm-nx-lpage-recovery kthread).
 *   cpuid_in_kernel (x86), psci_version_in_kernel (arm64)
 *	the guest loops over CPUID(0) / HVC PSCI_VERSION, answered in the
 *	kernel; one RUN of a fresh VM over N iterations and one over 2N,
 *	value (t(2N) - t(N)) / N: the first RUN's VMLAUNCH, EPT/stage-2
 *	faults and the final userspace exit cancel out.  arm64 (TCG on a
 *	shared host): t(N) and t(2N) are each the fastest of 3 RUNs.  KVM arm64 gets
 *	KVM_ARM_VCPU_PSCI_0_2, so PSCI_VERSION is answered, not refused.
 *   *_fp
 *	the same loop with an FP instruction in each iteration: x87
 *	fld1/fstp (x86, real mode, CR0.EM=TS=0); fmov d0, x5 (arm64, after
 *	the guest sets CPACR_EL1.FPEN), so the guest's FP state is live
 *	across every exit.
 *   out_round_trip, vmcall_round_trip (x86), hvc_round_trip (arm64),
 *   mmio_write_round_trip
 *	a guest exit to userspace and back (RUN, exit, RUN), after 50 warm-up
 *	exits, N_EXITS of them: x86 their mean, arm64 the fastest of 5
 *	chunks of N_EXITS / 5 (host load only adds time).  VMCALL on KVM is KVM_HC_MAP_GPA_RANGE with
 *	KVM_CAP_EXIT_HYPERCALL.  HVC on KVM needs KVM_ARM_VM_SMCCC_FILTER
 *	with KVM_SMCCC_FILTER_FWD_TO_USER (Linux 6.4+); without it KVM has
 *	no HVC exit to userspace and reports kvm=- (no ratio).  A KVM
 *	arm64 hypercall's return value would need a KVM_SET_ONE_REG per
 *	exit; neither side writes one (the guest ignores x0).
 *   vm_create
 *	a VM with one vcpu ready to run, the same steps on both sides:
 *	CREATE_VM, CREATE_VCPU, mmap of the run structure, the entry state
 *	(axvcpu: SETUP, BIND; KVM x86: GET_SREGS, SET_SREGS, SET_REGS; KVM
 *	arm64: ARM_PREFERRED_TARGET, ARM_VCPU_INIT, SET_ONE_REG pc), with
 *	another VM alive; CPU time of the calling thread.  It includes what
 *	each does inside those ioctls (KVM: debugfs, its kthread's creation
 *	request) but not the wait for that kthread.
 *   vm_create_wall
 *	the same, wall-clock: includes sleeping and other threads' work.
 *   vcpu_create
 *	one more vcpu ready to run in a VM, the same steps; thread CPU time.
 *   first_touch_4k
 *	the guest's first store to each of N (then 2N) pages of a fresh slot
 *	of untouched anonymous memory, in one RUN: (t(2N) - t(N)) / N, the
 *	cost of mapping one 4 KiB page on the guest's access (the nested
 *	page fault, the host page lookup and allocation, the map), inside the
 *	kernel on both sides.  The slot's memory is MADV_NOHUGEPAGE: with
 *	THP both sides map 2 MiB per fault, which is another measure.
 *   first_touch_4k_64g_slot
 *	the same in a 64 GiB slot (MAP_NORESERVE, far more than the
 *	emulated machines have), of which the guest touches N and 2N pages.
 *   slot_register_1g
 *	register one 1 GiB slot of untouched anonymous memory
 *	(AXVCPU_SET_MEMORY_REGION against KVM_SET_USER_MEMORY_REGION),
 *	thread CPU time.  Both only record the slot; pages are mapped on
 *	guest access.  (MAP_NORESERVE: the emulated machines have 512 MiB.)
 *   slot_delete_1g
 *	delete that slot again, thread CPU time: both unmap and flush.
 *   slot_register_256m_prefaulted
 *	register 256 MiB that the VMM has written (populated, in THPs
 *	where the kernel gives them); 1 GiB does not fit in x86's 512 MiB.
 *   slot_register_64g
 *	register a 64 GiB slot of untouched MAP_NORESERVE memory.
 *   mem_vm_kB, mem_vcpu_kB
 *	MemFree drop per VM with one vcpu (32 VMs alive) and per further
 *	vcpu (32 in one VM, with 32 other VMs alive).  Per-CPU free lists hide single pages: under
 *	4 kB means "less than a page per object", no ratio is printed.
 *
 * The benchmark thread is pinned to CPU 0.  x86 (Bochs, one CPU, clock
 * sync=none, ips=100M): the clock is the emulated instruction count, 10 ns
 * per instruction, and runs are deterministic.  arm64 (QEMU TCG): wall
 * clock of an emulator on a shared host.
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
#define SLOT_SIZE	(1UL << 30)
#define PREFAULT_SIZE	(256UL << 20)	/* x86's emulated host has 512 MiB */
#define NVMS		32
#define NVCPUS		32
#define N_CREATE	8

#if defined(__x86_64__)
#define ARCH_NAME	"x86_64"
#define MEM_GPA		0x0UL
#define CODE_OFF	0x1000UL
#define SLOT_GPA	0x10000000UL
#define N_EXITS		2000
#define N_INKERNEL	2000
#define SAMPLES		1	/* deterministic: the mean of all N_EXITS */
#define IK_SAMPLES	1
#define GPR_COUNT	6	/* rsi */
#define TOUCH_GPA	0x10000UL	/* real mode: up to 1 MiB */
#define TOUCH_SIZE	0xf0000UL
#define N_TOUCH		100
#elif defined(__aarch64__)
#define ARCH_NAME	"arm64"
#define MEM_GPA		0x40000000UL
#define CODE_OFF	0x0UL
#define SLOT_GPA	0x80000000UL
#define N_EXITS		2000
#define N_INKERNEL	5000
#define SAMPLES		5	/* the fastest of 5 chunks of N_EXITS / 5 */
#define IK_SAMPLES	3	/* the fastest of 3 RUNs of N and of 2N */
#define GPR_COUNT	5	/* x5 */
#define HVC_FN		0x1234	/* not PSCI: a hypercall exit to userspace */
#define TOUCH_GPA	SLOT_GPA
#define TOUCH_SIZE	(16UL << 20)
#define N_TOUCH		1000
#else
#error "x86_64 or arm64 only"
#endif

#define G(name) extern const unsigned char name##_start[], name##_end[]
G(g_hcall);
G(g_mmio);
G(g_mmio_fp);
G(g_io);
G(g_io_fp);
G(g_loop);
G(g_loop_fp);
G(g_touch);

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
    ".global g_mmio_fp_start, g_mmio_fp_end\n"
    "g_mmio_fp_start:\n"
    "	fninit\n"
    "	mov $0x2000, %ax\n"
    "	mov %ax, %es\n"
    "1:	fld1\n"
    "	fstp %st(0)\n"
    "	movl %eax, %es:0x10\n"
    "	jmp 1b\n"
    "g_mmio_fp_end:\n"
    ".global g_io_start, g_io_end\n"
    "g_io_start:\n"
    "	mov $0x3f8, %dx\n"
    "1:	out %al, (%dx)\n"
    "	jmp 1b\n"
    "g_io_end:\n"
    ".global g_io_fp_start, g_io_fp_end\n"
    "g_io_fp_start:\n"
    "	fninit\n"
    "	mov $0x3f8, %dx\n"
    "1:	fld1\n"
    "	fstp %st(0)\n"
    "	out %al, (%dx)\n"
    "	jmp 1b\n"
    "g_io_fp_end:\n"
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
    /* The same with x87 registers in use across every exit. */
    ".global g_loop_fp_start, g_loop_fp_end\n"
    "g_loop_fp_start:\n"
    "	fninit\n"
    "1:	fld1\n"
    "	fstp %st(0)\n"
    "	xor %eax, %eax\n"
    "	cpuid\n"
    "	dec %esi\n"
    "	jnz 1b\n"
    "	mov $0x3f8, %dx\n"
    "2:	out %al, (%dx)\n"
    "	jmp 2b\n"
    "g_loop_fp_end:\n"
    /* ESI stores, each to the next page from 0x10000, then I/O exits. */
    ".global g_touch_start, g_touch_end\n"
    "g_touch_start:\n"
    "	mov $0x1000, %ax\n"
    "1:	mov %ax, %ds\n"
    "	movb $1, 0x0\n"
    "	add $0x100, %ax\n"
    "	dec %esi\n"
    "	jnz 1b\n"
    "	mov $0x3f8, %dx\n"
    "2:	out %al, (%dx)\n"
    "	jmp 2b\n"
    "g_touch_end:\n"
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
    /* CPACR_EL1.FPEN = 0b11, then an FP register write per exit. */
    ".global g_mmio_fp_start, g_mmio_fp_end\n"
    "g_mmio_fp_start:\n"
    "	mov x1, #(3 << 20)\n"
    "	msr cpacr_el1, x1\n"
    "	isb\n"
    "	movz x2, #0x0900, lsl #16\n"
    "1:	fmov d0, x1\n"
    "	str w1, [x2]\n"
    "	add w1, w1, #1\n"
    "	b 1b\n"
    "g_mmio_fp_end:\n"
    ".global g_io_start, g_io_end\n"
    "g_io_start:\n"
    "	b g_io_start\n"
    "g_io_end:\n"
    ".global g_io_fp_start, g_io_fp_end\n"
    "g_io_fp_start:\n"
    "	b g_io_fp_start\n"
    "g_io_fp_end:\n"
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
    ".global g_loop_fp_start, g_loop_fp_end\n"
    "g_loop_fp_start:\n"
    "	mov x1, #(3 << 20)\n"
    "	msr cpacr_el1, x1\n"
    "	isb\n"
    "1:	fmov d0, x5\n"
    "	movz x0, #0x8400, lsl #16\n"
    "	hvc #0\n"
    "	subs x5, x5, #1\n"
    "	b.ne 1b\n"
    "	movz x2, #0x0900, lsl #16\n"
    "2:	str w1, [x2]\n"
    "	b 2b\n"
    "g_loop_fp_end:\n"
    /* x5 stores, each to the next page of the slot at SLOT_GPA. */
    ".global g_touch_start, g_touch_end\n"
    "g_touch_start:\n"
    "	movz x2, #0x8000, lsl #16\n"
    "1:	str w1, [x2]\n"
    "	add x2, x2, #4096\n"
    "	subs x5, x5, #1\n"
    "	b.ne 1b\n"
    "	movz x2, #0x0900, lsl #16\n"
    "2:	str w1, [x2]\n"
    "	b 2b\n"
    "g_touch_end:\n"
    ".popsection\n");
#endif

/* KVM_ARM_VM_SMCCC_FILTER (Linux 6.4); older uapi headers lack it. */
#ifndef KVM_ARM_VM_SMCCC_CTRL
#define KVM_ARM_VM_SMCCC_CTRL		0
#define KVM_ARM_VM_SMCCC_FILTER		0
#define KVM_SMCCC_FILTER_FWD_TO_USER	2
struct kvm_smccc_filter {
	__u32 base;
	__u32 nr_functions;
	__u8 action;
	__u8 pad[15];
};
#endif

enum { E_OTHER, E_HCALL, E_MMIO, E_IO, E_INTR };
enum { AX, KVM, NSIDES };

static const char *exit_name[] = { "other", "hypercall", "mmio", "io", "intr" };
static const char *side_name[] = { "axvcpu", "kvm" };

static int sys_ax = -1, sys_kvm = -1, kvm_run_size;
static int kvm_hcall_exit;	/* KVM can exit to userspace on our hypercall */

/* One VM with up to NVCPUS vcpus (vcpu 0 runs). */
struct vmh {
	int kind;
	void *mem;
	size_t mem_size;
	struct axvm_vm vm;
	struct axvm_vcpu vcpu[NVCPUS];
	int kvm_vm, kvm_vcpu[NVCPUS];
	struct kvm_run *run[NVCPUS];
	int nvcpus;
};

static double clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static double cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* The Bochs magic breakpoint; a plain instruction elsewhere. */
static inline void magic_break(void)
{
#ifdef __x86_64__
	asm volatile("xchg %%bx, %%bx" ::: "memory");
#endif
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

static void kvm_smccc_forward(int vm_fd)
{
	struct kvm_smccc_filter f = {
		.base = HVC_FN, .nr_functions = 1,
		.action = KVM_SMCCC_FILTER_FWD_TO_USER,
	};
	struct kvm_device_attr a = {
		.group = KVM_ARM_VM_SMCCC_CTRL,
		.attr = KVM_ARM_VM_SMCCC_FILTER,
		.addr = (uint64_t)(unsigned long)&f,
	};

	if (ioctl(vm_fd, KVM_SET_DEVICE_ATTR, &a))
		DIE("KVM_SET_DEVICE_ATTR(KVM_ARM_VM_SMCCC_FILTER)");
}

static int kvm_has_smccc_filter(void)
{
	struct kvm_device_attr a = {
		.group = KVM_ARM_VM_SMCCC_CTRL,
		.attr = KVM_ARM_VM_SMCCC_FILTER,
	};
	int vm = ioctl(sys_kvm, KVM_CREATE_VM, 0), r;

	if (vm < 0)
		DIE("KVM_CREATE_VM");
	r = ioctl(vm, KVM_HAS_DEVICE_ATTR, &a) == 0;
	close(vm);
	return r;
}
#endif

/*
 * Adds vcpu @i, ready to run at the guest code.  The same steps on both
 * sides: create, mmap the run structure, set the entry state.
 */
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
			if (ioctl(fd, KVM_SET_REGS, &regs))
				DIE("KVM_SET_REGS");
		}
#else
		{
			struct kvm_vcpu_init init;

			if (ioctl(h->kvm_vm, KVM_ARM_PREFERRED_TARGET, &init))
				DIE("KVM_ARM_PREFERRED_TARGET");
			/* PSCI 0.2+: PSCI_VERSION answered, as axvcpu does */
			init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
			if (ioctl(fd, KVM_ARM_VCPU_INIT, &init))
				DIE("KVM_ARM_VCPU_INIT");
			kvm_set_reg(fd, core_reg(offsetof(struct kvm_regs, regs.pc)),
				    MEM_GPA + CODE_OFF);
		}
#endif
	}
	h->nvcpus = i + 1;
}

static void vm_create_only(struct vmh *h, int kind)
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
	}
}

/* A VM with one vcpu ready to run; no memory yet. */
static void vm_new(struct vmh *h, int kind)
{
	vm_create_only(h, kind);
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
		munmap(h->mem, h->mem_size);
	h->mem = NULL;
}

/* Registers [hva, hva + size) at @gpa as slot @slot. */
static void vm_slot(struct vmh *h, int slot, uint64_t gpa, void *hva, size_t size)
{
	if (h->kind == AX) {
		int r = axvm_set_memory_region(&h->vm, slot, 0, gpa, size, hva);

		if (r)
			DIE("AXVCPU_SET_MEMORY_REGION: %d", r);
	} else {
		struct kvm_userspace_memory_region reg = {
			.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
			.userspace_addr = (uint64_t)(unsigned long)hva,
		};

		if (ioctl(h->kvm_vm, KVM_SET_USER_MEMORY_REGION, &reg))
			DIE("KVM_SET_USER_MEMORY_REGION");
	}
}

/* A VM with 64 KiB of memory, @code at the entry, GPR_COUNT = @count. */
static void vm_guest(struct vmh *h, int kind, const unsigned char *start,
		     const unsigned char *end, uint64_t count, int hcall)
{
	vm_create_only(h, kind);
	if (kind == KVM && hcall && kvm_hcall_exit) {
#ifdef __x86_64__
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_EXIT_HYPERCALL,
			.args[0] = 1ULL << 12,	/* KVM_HC_MAP_GPA_RANGE */
		};

		if (ioctl(h->kvm_vm, KVM_ENABLE_CAP, &cap))
			DIE("KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL)");
#else
		kvm_smccc_forward(h->kvm_vm);
#endif
	}
	vcpu_add(h, 0);
	h->mem_size = MEM_SIZE;
	h->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h->mem == MAP_FAILED)
		DIE("mmap guest memory");
	memcpy((char *)h->mem + CODE_OFF, start, end - start);
	vm_slot(h, 0, MEM_GPA, h->mem, MEM_SIZE);
	if (kind == AX) {
		int r = axvm_vcpu_set_gpr(&h->vcpu[0], GPR_COUNT, count);

		if (r)
			DIE("AXVCPU_SET_GPR: %d", r);
	} else {
		int fd = h->kvm_vcpu[0];
#ifdef __x86_64__
		struct kvm_regs regs;

		if (ioctl(fd, KVM_GET_REGS, &regs))
			DIE("KVM_GET_REGS");
		regs.rsi = count;
		if (ioctl(fd, KVM_SET_REGS, &regs))
			DIE("KVM_SET_REGS");
#else
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
#ifdef __x86_64__
			run->hypercall.ret = 0;
#endif
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
		DIE("%s: exit %s, expected %s", side_name[h->kind],
		    exit_name[e], exit_name[want]);
}

/* ---- the exit loops ---- */

/* ns per exit-to-userspace round trip (-1: not on this side). */
static double round_trip(int kind, const unsigned char *s, const unsigned char *e,
			 int want, long n, int hcall, const char *trace)
{
	struct vmh h;
	double t, best;
	long i;
	int c;

	if (kind == KVM && hcall && !kvm_hcall_exit)
		return -1;
	vm_guest(&h, kind, s, e, 0, hcall);
	for (i = 0; i < 50; i++)
		expect_exit(&h, want);
	if (trace) {
		printf("# axbench: trace window %s %s %ld\n", side_name[kind], trace, n);
		magic_break();
	}
	if (trace || SAMPLES == 1) {
		t = now_ns();
		for (i = 0; i < n; i++)
			expect_exit(&h, want);
		t = now_ns() - t;
		if (trace)
			magic_break();
		vm_del(&h);
		return t / n;
	}
	/* the fastest of SAMPLES chunks: load on the host only adds time */
	best = 0;
	for (c = 0; c < SAMPLES; c++) {
		t = now_ns();
		for (i = 0; i < n / SAMPLES; i++)
			expect_exit(&h, want);
		t = now_ns() - t;
		if (!c || t < best)
			best = t;
	}
	vm_del(&h);
	return best / (n / SAMPLES);
}

/* The size of g_touch's slot: TOUCH_SIZE, or far more than the host has. */
static unsigned long touch_slot = TOUCH_SIZE;
#define BIG_SLOT	(64UL << 30)

/*
 * One RUN of a fresh VM whose guest loops @n times in the kernel; ns for
 * the RUN (-1 if the loop did not run in the kernel).
 */
static double in_kernel_once(int kind, const unsigned char *s, const unsigned char *e,
			     int final, long n, const char *trace)
{
	struct vmh h;
	double t;
	int ex, intr = 0;
	void *touch = NULL;

	vm_guest(&h, kind, s, e, n, 0);
	if (s == g_touch_start) {
		/*
		 * A fresh slot of untouched memory for the stores, in 4K
		 * pages: with THP, both sides would map 2 MiB per fault.
		 */
		touch = mmap(NULL, touch_slot, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (touch == MAP_FAILED)
			DIE("mmap touch slot");
		if (madvise(touch, touch_slot, MADV_NOHUGEPAGE))
			DIE("MADV_NOHUGEPAGE");
		vm_slot(&h, 1, TOUCH_GPA, touch, touch_slot);
	}
	if (trace) {
		printf("# axbench: trace window %s %s %ld\n", side_name[kind], trace, n);
		magic_break();
	}
	t = now_ns();
	while ((ex = vm_run(&h)) == E_INTR)
		intr++;
	t = now_ns() - t;
	if (trace)
		magic_break();
	if (ex != final)
		DIE("in-kernel loop: exit %s, expected %s", exit_name[ex], exit_name[final]);
	if (intr)
		printf("# axbench: %s: %d EINTR returns during the in-kernel loop\n",
		       side_name[kind], intr);
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
			if (touch)
				munmap(touch, touch_slot);
			return -1;
		}
	}
	vm_del(&h);
	if (touch)
		munmap(touch, touch_slot);
	return t;
}

/* ns per in-kernel exit: (t(2n) - t(n)) / n, after a warm-up VM. */
static double in_kernel(int kind, const unsigned char *s, const unsigned char *e,
			int final, long n)
{
	double t1 = 0, t2 = 0, t;
	int c;

	if (in_kernel_once(kind, s, e, final, 1, NULL) < 0)
		return -1;
	/* SAMPLES of each, the fastest: load on the host only adds time */
	for (c = 0; c < IK_SAMPLES; c++) {
		t = in_kernel_once(kind, s, e, final, n, NULL);
		if (t < 0)
			return -1;
		if (!c || t < t1)
			t1 = t;
		t = in_kernel_once(kind, s, e, final, 2 * n, NULL);
		if (t < 0)
			return -1;
		if (!c || t < t2)
			t2 = t;
	}
	return (t2 - t1) / n;
}

#ifdef __x86_64__
#define FINAL		E_IO
#define INK		"cpuid_in_kernel"
#else
#define FINAL		E_MMIO
#define INK		"psci_version_in_kernel"
#endif

static double m_ink(int kind)
{
	return in_kernel(kind, g_loop_start, g_loop_end, FINAL, N_INKERNEL);
}

static double m_ink_fp(int kind)
{
	return in_kernel(kind, g_loop_fp_start, g_loop_fp_end, FINAL, N_INKERNEL);
}

static double m_touch(int kind)
{
	return in_kernel(kind, g_touch_start, g_touch_end, FINAL, N_TOUCH);
}

static double m_touch_big(int kind)
{
	double t;

	touch_slot = BIG_SLOT;
	t = in_kernel(kind, g_touch_start, g_touch_end, FINAL, N_TOUCH);
	touch_slot = TOUCH_SIZE;
	return t;
}

static double m_hcall(int kind)
{
	return round_trip(kind, g_hcall_start, g_hcall_end, E_HCALL, N_EXITS, 1, NULL);
}

static double m_mmio(int kind)
{
	return round_trip(kind, g_mmio_start, g_mmio_end, E_MMIO, N_EXITS, 0, NULL);
}

static double m_mmio_fp(int kind)
{
	return round_trip(kind, g_mmio_fp_start, g_mmio_fp_end, E_MMIO, N_EXITS, 0, NULL);
}

#ifdef __x86_64__
static double m_io(int kind)
{
	return round_trip(kind, g_io_start, g_io_end, E_IO, N_EXITS, 0, NULL);
}

static double m_io_fp(int kind)
{
	return round_trip(kind, g_io_fp_start, g_io_fp_end, E_IO, N_EXITS, 0, NULL);
}
#endif

/* ---- creation ---- */

static struct vmh keep, vms[NVMS], big;

/* Thread CPU ns per VM ready to run (@wall: wall clock instead). */
static double vm_create(int kind, int wall)
{
	double t;
	int i;

	vm_new(&keep, kind);	/* virtualization on, caches warm */
	vm_new(&vms[0], kind);
	vm_del(&vms[0]);
	t = wall ? now_ns() : cpu_ns();
	for (i = 0; i < N_CREATE; i++)
		vm_new(&vms[i], kind);
	t = (wall ? now_ns() : cpu_ns()) - t;
	for (i = 0; i < N_CREATE; i++)
		vm_del(&vms[i]);
	vm_del(&keep);
	return t / N_CREATE;
}

static double m_vm_create(int kind)
{
	return vm_create(kind, 0);
}

static double m_vm_create_wall(int kind)
{
	return vm_create(kind, 1);
}

static double m_vcpu_create(int kind)
{
	double t;
	int i;

	vm_new(&big, kind);
	vcpu_add(&big, 1);
	t = cpu_ns();
	for (i = 2; i < NVCPUS; i++)
		vcpu_add(&big, i);
	t = cpu_ns() - t;
	vm_del(&big);
	return t / (NVCPUS - 2);
}

/*
 * Register (@del 0) or delete (@del 1) one slot of @size bytes of
 * anonymous memory, untouched or (@prefault) written first; thread CPU
 * time.
 */
static double slot_time(int kind, int del, unsigned long size, int prefault)
{
	struct vmh h;
	double t, t_set, t_del;
	void *p;

	vm_new(&h, kind);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		DIE("mmap %lu MiB", size >> 20);
	if (prefault)
		memset(p, 1, size);
	t = cpu_ns();
	vm_slot(&h, 1, SLOT_GPA, p, size);
	t_set = cpu_ns() - t;
	t = cpu_ns();
	vm_slot(&h, 1, SLOT_GPA, p, 0);
	t_del = cpu_ns() - t;
	vm_del(&h);
	munmap(p, size);
	return del ? t_del : t_set;
}

static double m_slot(int kind)
{
	return slot_time(kind, 0, SLOT_SIZE, 0);
}

static double m_slot_del(int kind)
{
	return slot_time(kind, 1, SLOT_SIZE, 0);
}

static double m_slot_prefaulted(int kind)
{
	return slot_time(kind, 0, PREFAULT_SIZE, 1);
}

static double m_slot_big(int kind)
{
	return slot_time(kind, 0, BIG_SLOT, 0);
}

static double m_mem_vm(int kind)
{
	long m0, m1;
	int i;

	vm_new(&keep, kind);
	vm_new(&vms[0], kind);
	vm_del(&vms[0]);
	m0 = memfree_kb();
	for (i = 0; i < NVMS; i++)
		vm_new(&vms[i], kind);
	m1 = memfree_kb();
	for (i = 0; i < NVMS; i++)
		vm_del(&vms[i]);
	vm_del(&keep);
	return (double)(m0 - m1) / NVMS;
}

static double m_mem_vcpu(int kind)
{
	long m0, m1;
	int i;

	/* other VMs alive, so that no freed vcpu objects are reused */
	for (i = 0; i < NVMS; i++)
		vm_new(&vms[i], kind);
	vm_new(&big, kind);
	m0 = memfree_kb();
	for (i = 1; i < NVCPUS; i++)
		vcpu_add(&big, i);
	m1 = memfree_kb();
	vm_del(&big);
	for (i = 0; i < NVMS; i++)
		vm_del(&vms[i]);
	return (double)(m0 - m1) / (NVCPUS - 1);
}

struct metric {
	const char *name;
	double (*fn)(int kind);
};

static const struct metric metrics[] = {
	{ INK, m_ink },
	{ INK "_fp", m_ink_fp },
#ifdef __x86_64__
	{ "out_round_trip", m_io },
	{ "out_round_trip_fp", m_io_fp },
	{ "vmcall_round_trip", m_hcall },
#else
	{ "hvc_round_trip", m_hcall },
#endif
	{ "mmio_write_round_trip", m_mmio },
	{ "mmio_write_round_trip_fp", m_mmio_fp },
	{ "vm_create", m_vm_create },
	{ "vm_create_wall", m_vm_create_wall },
	{ "vcpu_create", m_vcpu_create },
	{ "first_touch_4k", m_touch },
	{ "first_touch_4k_64g_slot", m_touch_big },
	{ "slot_register_1g", m_slot },
	{ "slot_delete_1g", m_slot_del },
	{ "slot_register_256m_prefaulted", m_slot_prefaulted },
	{ "slot_register_64g", m_slot_big },
	{ "mem_vm_kB", m_mem_vm },
	{ "mem_vcpu_kB", m_mem_vcpu },
};

#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

static void open_side(int kind)
{
	if (kind == AX) {
		sys_ax = axvm_open(NULL);
		if (sys_ax < 0)
			DIE("open /dev/axvcpu");
		return;
	}
	sys_kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (sys_kvm < 0)
		DIE("open /dev/kvm");
	kvm_run_size = ioctl(sys_kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm_run_size <= 0)
		DIE("KVM_GET_VCPU_MMAP_SIZE");
#ifdef __x86_64__
	kvm_hcall_exit = ioctl(sys_kvm, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HYPERCALL) > 0;
	if (!kvm_hcall_exit)
		printf("# axbench: kvm: no KVM_CAP_EXIT_HYPERCALL: no kvm vmcall_round_trip\n");
#else
	kvm_hcall_exit = kvm_has_smccc_filter();
	printf("# axbench: kvm: %s\n", kvm_hcall_exit ?
	       "KVM_ARM_VM_SMCCC_FILTER forwards HVC 0x1234 to userspace (KVM_EXIT_HYPERCALL)" :
	       "no KVM_ARM_VM_SMCCC_FILTER (before Linux 6.4): no HVC exit to userspace, no kvm hvc_round_trip");
#endif
}

static void out_value(FILE *out, const char *m, int kind, int rep, double v)
{
	if (v < 0)
		return;
	fprintf(out, "%s %s %d %.1f\n", m, side_name[kind], rep, v);
	fflush(out);
}

static int run(const char *sides, int reps, const char *path)
{
	int both = !strcmp(sides, "both"), kinds[NSIDES], nk = 0, rep, k;
	FILE *out;
	size_t m;

	if (both || !strcmp(sides, "axvcpu"))
		kinds[nk++] = AX;
	if (both || !strcmp(sides, "kvm"))
		kinds[nk++] = KVM;
	if (!nk || reps < 1)
		DIE("bad sides '%s' or repetitions %d", sides, reps);
	out = fopen(path, "a");
	if (!out)
		DIE("fopen %s", path);
	pin_cpu0();
	for (k = 0; k < nk; k++)
		open_side(kinds[k]);
	for (rep = 0; rep < reps; rep++) {
		for (m = 0; m < NMETRICS; m++) {
			for (k = 0; k < nk; k++) {
				/* AB, BA, AB, ...: neither side always first */
				int kind = kinds[(k + rep) % nk];

				out_value(out, metrics[m].name, kind, rep,
					  metrics[m].fn(kind));
			}
		}
		printf("# axbench: %s: repetition %d of %d done\n", sides, rep + 1, reps);
	}
	fclose(out);
	return 0;
}

static int trace(const char *side, long n)
{
#ifdef __x86_64__
	int kind = !strcmp(side, "kvm") ? KVM : AX;
	long w;

	pin_cpu0();
	open_side(kind);
	/* one untraced pass of each: caches and first-use costs */
	in_kernel_once(kind, g_loop_start, g_loop_end, E_IO, n, NULL);
	for (w = n; w <= 2 * n; w += n) {
		in_kernel_once(kind, g_loop_start, g_loop_end, E_IO, w, INK);
		in_kernel_once(kind, g_loop_fp_start, g_loop_fp_end, E_IO, w, INK "_fp");
		round_trip(kind, g_io_start, g_io_end, E_IO, w, 0, "out_round_trip");
		round_trip(kind, g_io_fp_start, g_io_fp_end, E_IO, w, 0, "out_round_trip_fp");
		round_trip(kind, g_hcall_start, g_hcall_end, E_HCALL, w, 1, "vmcall_round_trip");
		round_trip(kind, g_mmio_start, g_mmio_end, E_MMIO, w, 0, "mmio_write_round_trip");
	}
	printf("# axbench: trace %s done\n", side);
	return 0;
#else
	printf("# axbench: trace: x86_64 (Bochs) only\n");
	return 4;
#endif
}

/* ---- report ---- */

#define MAXREC	4096
#define MAXREP	64

struct rec {
	char metric[40];
	char side[8];
	int rep;
	double v;
};

static struct rec recs[MAXREC];
static int nrecs;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Values of @metric on @side, by repetition; returns how many. */
static int values(const char *metric, const char *side, double *v, int *rep)
{
	int i, n = 0;

	for (i = 0; i < nrecs && n < MAXREP; i++) {
		if (strcmp(recs[i].metric, metric) || strcmp(recs[i].side, side))
			continue;
		v[n] = recs[i].v;
		if (rep)
			rep[n] = recs[i].rep;
		n++;
	}
	return n;
}

static void fmt(char *buf, size_t len, const char *metric, double v)
{
	snprintf(buf, len, strstr(metric, "_kB") ? "%.1f" : "%.0f", v);
}

static void report_one(const char *metric)
{
	double a[MAXREP], k[MAXREP], s[MAXREP], r[MAXREP], am, km;
	int ar[MAXREP], kr[MAXREP], na, nk, nr = 0, i, j;
	int mem = strstr(metric, "_kB") != NULL;
	char av[32], kv[32] = "-", ratio[32] = "-", spread[64] = "";
	char lo[32], hi[32];

	na = values(metric, "axvcpu", a, ar);
	nk = values(metric, "kvm", k, kr);
	if (!na)
		return;
	/* per-repetition ratios, pairing the same repetition */
	for (i = 0; i < na; i++)
		for (j = 0; j < nk; j++)
			if (ar[i] == kr[j] && k[j] > 0)
				r[nr++] = a[i] / k[j];
	memcpy(s, a, sizeof(double) * na);
	am = median(s, na);
	fmt(av, sizeof(av), metric, am);
	if (na > 1) {
		char l2[32], h2[32];

		fmt(lo, sizeof(lo), metric, s[0]);
		fmt(hi, sizeof(hi), metric, s[na - 1]);
		memcpy(s, k, sizeof(double) * nk);
		if (nk) {
			km = median(s, nk);
			fmt(kv, sizeof(kv), metric, km);
			fmt(l2, sizeof(l2), metric, s[0]);
			fmt(h2, sizeof(h2), metric, s[nk - 1]);
		} else {
			strcpy(l2, "-");
			strcpy(h2, "-");
		}
		printf("# bench: %s %s min/median/max over %d repetitions: axvcpu %s/%s/%s kvm %s/%s/%s\n",
		       ARCH_NAME, metric, na, lo, av, hi, l2, kv, h2);
	} else if (nk) {
		km = median(k, nk);
		fmt(kv, sizeof(kv), metric, km);
	}
	/* under a page per object is not a measurement */
	if (mem && (am < 4 || (nk && median(k, nk) < 4)))
		nr = 0;
	if (nr) {
		double rm = median(r, nr);

		snprintf(ratio, sizeof(ratio), "%.2f", rm);
		if (nr > 1)
			snprintf(spread, sizeof(spread), " spread=%.2f..%.2f", r[0], r[nr - 1]);
	}
	printf("bench: %s %s axvcpu=%s kvm=%s ratio=%s%s\n", ARCH_NAME, metric, av, kv,
	       ratio, spread);
}

static int report(const char *path)
{
	char seen[64][40];
	int nseen = 0, i, j;
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("# axbench: no results in %s\n", path);
		return 1;
	}
	while (nrecs < MAXREC &&
	       fscanf(f, "%39s %7s %d %lf", recs[nrecs].metric, recs[nrecs].side,
		      &recs[nrecs].rep, &recs[nrecs].v) == 4)
		nrecs++;
	fclose(f);
	for (i = 0; i < nrecs; i++) {
		for (j = 0; j < nseen; j++)
			if (!strcmp(seen[j], recs[i].metric))
				break;
		if (j < nseen || nseen == 64)
			continue;
		strcpy(seen[nseen++], recs[i].metric);
		report_one(recs[i].metric);
	}
	return nrecs ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "run"))
		return run(argv[2], atoi(argv[3]), argv[4]);
	if (argc == 4 && !strcmp(argv[1], "trace"))
		return trace(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "report"))
		return report(argv[2]);
	fprintf(stderr, "usage: axbench run axvcpu|kvm|both REPS FILE | trace axvcpu|kvm N | report FILE\n");
	return 2;
}
