// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_coexist (aarch64) - KVM (built into the arm64 kernel, /dev/kvm at
 * EL2) keeps working next to axvcpu in the same booted kernel:
 *  - a KVM guest runs (1,000 MMIO exits with the right data, and 1,000
 *    HVCs handled inside KVM) before and after axvcpu guests ran on the
 *    same CPU;
 *  - a KVM vcpu and an axvcpu vcpu, both with their code at IPA
 *    0x40000000 but different code, run alternately on one CPU, 300
 *    rounds on each CPU: each sees only its own guest's exits (no stale
 *    stage-2/TLB entries cross between KVM's VMIDs and ours).
 */
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

#define KVM_IPA		0x40000000ULL

static const __u32 kvm_code[] = {
	/* mmio loop @0: w1 counts */
	0xd2a12002,	/* movz x2, #0x900, lsl #16 */
	0xb9000041,	/* str w1, [x2] */
	0x11000421,	/* add w1, w1, #1 */
	0x17fffffe,	/* b -8 (to str) */
	/* hvc loop @0x10: x5 = count */
	0xd2b8c000,	/* movz x0, #0xc600, lsl #16 (unknown SMCCC fn id) */
	0xd4000002,	/* hvc #0 */
	0xf10004a5,	/* subs x5, x5, #1 */
	0x54ffffa1,	/* b.ne -12 (to movz x0) */
	0xd2a12002,	/* movz x2, #0x900, lsl #16 */
	0xb9000041,	/* str w1, [x2] -> MMIO exit when done */
	0x17ffffff,	/* b . - 4 (back to str) */
};

struct kvm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	void *mem;
};

static __u64 core_reg(size_t off)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (off / sizeof(__u32));
}

static void kvm_set_reg(struct kvm *k, __u64 id, __u64 val)
{
	struct kvm_one_reg r = { .id = id, .addr = (__u64)&val };
	int ret = ioctl(k->vcpu, KVM_SET_ONE_REG, &r);

	TEST_ASSERT(ret == 0, "KVM_SET_ONE_REG %#llx: ret %d errno %d (%s)",
		    (unsigned long long)id, ret, errno, errno_name(errno));
}

static void kvm_setup(struct kvm *k, __u64 pc, __u64 x5)
{
	struct kvm_userspace_memory_region reg = { 0 };
	struct kvm_vcpu_init init;
	int sz, r;

	k->kvm = open("/dev/kvm", O_RDWR);
	TEST_ASSERT(k->kvm >= 0, "open /dev/kvm: errno %d (%s)", errno, errno_name(errno));
	k->vm = ioctl(k->kvm, KVM_CREATE_VM, 0);
	TEST_ASSERT(k->vm >= 0, "KVM_CREATE_VM: ret %d errno %d (%s)", k->vm, errno, errno_name(errno));
	k->mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(k->mem != MAP_FAILED, "mmap");
	memcpy(k->mem, kvm_code, sizeof(kvm_code));
	reg.slot = 0;
	reg.guest_phys_addr = KVM_IPA;
	reg.memory_size = 0x10000;
	reg.userspace_addr = (__u64)k->mem;
	r = ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &reg);
	TEST_ASSERT(r == 0, "KVM_SET_USER_MEMORY_REGION: ret %d errno %d (%s)", r, errno, errno_name(errno));
	k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
	TEST_ASSERT(k->vcpu >= 0, "KVM_CREATE_VCPU: ret %d errno %d (%s)", k->vcpu, errno, errno_name(errno));
	r = ioctl(k->vm, KVM_ARM_PREFERRED_TARGET, &init);
	TEST_ASSERT(r == 0, "KVM_ARM_PREFERRED_TARGET: ret %d errno %d (%s)", r, errno, errno_name(errno));
	r = ioctl(k->vcpu, KVM_ARM_VCPU_INIT, &init);
	TEST_ASSERT(r == 0, "KVM_ARM_VCPU_INIT: ret %d errno %d (%s)", r, errno, errno_name(errno));
	sz = ioctl(k->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT(sz > 0, "KVM_GET_VCPU_MMAP_SIZE: %d", sz);
	k->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu, 0);
	TEST_ASSERT(k->run != MAP_FAILED, "mmap kvm_run");
	kvm_set_reg(k, core_reg(offsetof(struct kvm_regs, regs.pc)), pc);
	kvm_set_reg(k, core_reg(offsetof(struct kvm_regs, regs.regs[5])), x5);
	kvm_set_reg(k, core_reg(offsetof(struct kvm_regs, regs.regs[1])), 0);
}

static void kvm_close(struct kvm *k)
{
	close(k->vcpu);
	close(k->vm);
	close(k->kvm);
	munmap(k->mem, 0x10000);
}

/* One KVM_RUN that must be the MMIO write of @val. */
static void kvm_expect_mmio(struct kvm *k, __u32 val, const char *when)
{
	int r = ioctl(k->vcpu, KVM_RUN, 0);
	__u32 data;

	TEST_ASSERT(r == 0, "%s: KVM_RUN ret %d errno %d (%s)", when, r, errno, errno_name(errno));
	TEST_ASSERT(k->run->exit_reason == KVM_EXIT_MMIO,
		    "%s: KVM exit_reason %u, expected KVM_EXIT_MMIO (%u)", when,
		    k->run->exit_reason, KVM_EXIT_MMIO);
	memcpy(&data, k->run->mmio.data, 4);
	TEST_ASSERT(k->run->mmio.phys_addr == 0x09000000 && k->run->mmio.len == 4 &&
		    k->run->mmio.is_write && data == val,
		    "%s: KVM MMIO addr %#llx len %u write %u data %#x, expected 0x9000000 4 1 %#x",
		    when, (unsigned long long)k->run->mmio.phys_addr, k->run->mmio.len,
		    k->run->mmio.is_write, data, val);
}

static void kvm_guest_works(const char *when)
{
	struct kvm k;
	__u32 i;

	kvm_setup(&k, KVM_IPA, 0);
	for (i = 0; i < 1000; i++)
		kvm_expect_mmio(&k, i, when);
	kvm_close(&k);
	/* 1,000 HVCs inside KVM, then one MMIO exit. */
	kvm_setup(&k, KVM_IPA + 0x10, 1000);
	kvm_expect_mmio(&k, 0, when);
	kvm_close(&k);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
}

static void axvcpu_guest_runs(int n)
{
	struct test_vm t;
	int i;

	TEST_VM_WITH(&t, guest_hcall_loop);
	for (i = 0; i < n; i++)
		run_expect_hcall_to(&t.vcpu, HCALL_LOOP_NR, 10);
	test_vm_destroy(&t);
}

TEST(kvm_before_and_after_axvcpu)
{
	int cpu;

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm: errno %d (%s)", errno, errno_name(errno));
	for (cpu = 0; cpu < 2 && cpu < sysconf(_SC_NPROCESSORS_ONLN); cpu++) {
		pin(cpu);
		kvm_guest_works("KVM before axvcpu");
		axvcpu_guest_runs(2000);
		kvm_guest_works("KVM after axvcpu");
	}
}

TEST(kvm_and_axvcpu_alternate_on_one_cpu)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	struct kvm k;
	int cpu, i;
	char when[64];

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm: errno %d (%s)", errno, errno_name(errno));
	for (cpu = 0; cpu < 2 && cpu < sysconf(_SC_NPROCESSORS_ONLN); cpu++) {
		pin(cpu);
		kvm_setup(&k, KVM_IPA, 0);
		vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
		for (i = 0; i < 300; i++) {
			snprintf(when, sizeof(when), "CPU %d round %d", cpu, i);
			kvm_expect_mmio(&k, i, when);
			run_expect_hcall_to(vcpu, HCALL_LOOP_NR, 10);
		}
		test_vm_free(vm);
		kvm_close(&k);
	}
}

TEST_HARNESS_MAIN
