// SPDX-License-Identifier: GPL-2.0
/*
 * guest_memory - what the guest sees through its slots: host writes are
 * visible, a deleted slot is really gone (no stale nested TLB entry), two VMs
 * at the same guest-physical addresses on one CPU each see their own memory,
 * the VMM's munmap/mmap, MADV_DONTNEED, mprotect and memfd hole punches
 * reach the guest (nothing is pinned, the MMU notifier unmaps), a page
 * swapped out comes back with its data, a big slot is mapped only where
 * touched, hugetlbfs and THP backing map as 2 MiB leaves (split with the
 * THP), and two vcpus of one VM run at once on two threads.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

#define PAGE	4096

/* A test VM running guest_hcall_slot1 with a one-page slot 1 holding @val. */
static __u64 *vm_with_slot1(struct test_vm *t, __u64 val)
{
	__u64 *p = axvm_mem_alloc(PAGE);

	TEST_ASSERT(p, "mmap");
	*p = val;
	TEST_VM_WITH(t, guest_hcall_slot1);
	vm_set_region(&t->vm, 1, 0, SLOT1_GPA, PAGE, p);
	return p;
}

/* RUN once; the guest's hypercall nr is what it read from slot 1. */
static __u64 run_read_slot1(struct test_vm *t)
{
	vcpu_run(&t->vcpu);
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HYPERCALL);
#ifdef __x86_64__
	return t->vcpu.run->hypercall.nr & 0xffffffff;
#else
	return t->vcpu.run->hypercall.nr;
#endif
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(set), &set));
}

TEST(host_writes_visible_to_guest)
{
	struct test_vm t;
	__u64 *p = vm_with_slot1(&t, 0x1234);
	int i;

	TEST_ASSERT_EQ(run_read_slot1(&t), 0x1234);
	for (i = 0; i < 10; i++) {
		*(volatile __u64 *)p = 0x5000 + i;
		TEST_ASSERT_EQ(run_read_slot1(&t), 0x5000 + i);
	}
	test_vm_destroy(&t);
	axvm_mem_free(p, PAGE);
}

TEST(deleted_slot_is_gone)
{
	struct test_vm t;
	__u64 *p = vm_with_slot1(&t, 0x7777);
	__u32 reason;

	/* The guest has touched slot 1: its translation is cached now. */
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x7777);
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x7777);
	vm_set_region(&t.vm, 1, 0, 0, 0, NULL);
	/* The next load must fault out of the guest, not read the old page. */
	vcpu_run(&t.vcpu);
	reason = t.vcpu.run->exit_reason;
	TEST_ASSERT(reason == AXVCPU_EXIT_MMIO_READ ||
		    reason == AXVCPU_EXIT_NESTED_PAGE_FAULT,
		    "load from a deleted slot: exit %u (%s) nr %#llx, expected MMIO_READ or NESTED_PAGE_FAULT",
		    reason, axvm_exit_name(reason),
		    (unsigned long long)t.vcpu.run->hypercall.nr);
	if (reason == AXVCPU_EXIT_MMIO_READ)
		TEST_ASSERT_EQ(t.vcpu.run->mmio.addr, SLOT1_GPA);
	else
		TEST_ASSERT_EQ(t.vcpu.run->npf.gpa, SLOT1_GPA);
	test_vm_destroy(&t);
	axvm_mem_free(p, PAGE);
}

TEST(two_vms_one_cpu_isolated)
{
	struct test_vm a, b;
	__u64 *pa, *pb;
	int i;

	pin_to_cpu(0);
	pa = vm_with_slot1(&a, 0xaaaa);
	pb = vm_with_slot1(&b, 0xbbbb);
	/* Same guest-physical addresses, different pages, one CPU. */
	for (i = 0; i < 10; i++) {
		TEST_ASSERT(run_read_slot1(&a) == 0xaaaa + i,
			    "round %d: VM a reads %#llx", i,
			    (unsigned long long)a.vcpu.run->hypercall.nr);
		TEST_ASSERT(run_read_slot1(&b) == 0xbbbb + i,
			    "round %d: VM b reads %#llx", i,
			    (unsigned long long)b.vcpu.run->hypercall.nr);
		(*pa)++;
		(*pb)++;
	}
	test_vm_destroy(&a);
	test_vm_destroy(&b);
	axvm_mem_free(pa, PAGE);
	axvm_mem_free(pb, PAGE);
}

/* RUN once; the guest's access to slot 1 found no memory behind it. */
static void run_expect_npf_slot1(struct test_vm *t)
{
	vcpu_run(&t->vcpu);
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_NESTED_PAGE_FAULT);
	TEST_ASSERT_EQ(t->vcpu.run->npf.gpa, SLOT1_GPA);
	TEST_ASSERT(t->vcpu.run->npf.access & AXVCPU_ACCESS_READ,
		    "npf.access %#llx",
		    (unsigned long long)t->vcpu.run->npf.access);
}

TEST(munmap_and_mmap_behind_slot)
{
	struct test_vm t;
	__u64 *p = vm_with_slot1(&t, 0x4242), *q;

	TEST_ASSERT_EQ(run_read_slot1(&t), 0x4242);
	/* Nothing pins it: the page is gone, and the guest finds no memory. */
	TEST_ASSERT_SYSCALL_OK(munmap(p, PAGE));
	run_expect_npf_slot1(&t);
	/* New memory at the same address is what the guest sees now. */
	q = mmap(p, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	TEST_ASSERT(q == p, "mmap MAP_FIXED: %p", q);
	*q = 0x5151;
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x5151);
	test_vm_destroy(&t);
	axvm_mem_free(p, PAGE);
}

TEST(mremap_moves_a_page_in)
{
	struct test_vm t;
	__u64 *p = vm_with_slot1(&t, 0x2020), *q, *r;

	TEST_ASSERT_EQ(run_read_slot1(&t), 0x2020);
	q = axvm_mem_alloc(PAGE);
	TEST_ASSERT(q, "mmap");
	*q = 0x3030;
	/* Another page moves to the slot's address; the old one goes. */
	r = mremap(q, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p);
	TEST_ASSERT(r == p, "mremap: %p (%s)", r, strerror(errno));
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x3030);
	/* And away again: nothing is left behind the slot. */
	q = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(q != MAP_FAILED, "mmap");
	r = mremap(p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, q);
	TEST_ASSERT(r == q, "mremap: %p (%s)", r, strerror(errno));
	run_expect_npf_slot1(&t);
	TEST_ASSERT_EQ(*r, 0x3030);
	test_vm_destroy(&t);
	axvm_mem_free(r, PAGE);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

TEST(thp_collapse_keeps_guest_data)
{
	size_t len = 4UL << 20;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	unsigned char *m;
	__u64 *p;

	/* A 2 MiB-aligned 2 MiB range inside a 4 MiB mapping. */
	m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(m != MAP_FAILED, "mmap");
	p = (__u64 *)(((unsigned long)m + (2UL << 20) - 1) & ~((2UL << 20) - 1));
	TEST_ASSERT_SYSCALL_OK(madvise(p, 2UL << 20, MADV_NOHUGEPAGE));
	memset(p, 0, 2UL << 20);	/* 512 small pages */
	*p = 0x7417;
	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_slot1);
	vm_set_region(&vm->vm, 1, 0, SLOT1_GPA, 2UL << 20, p);
	TEST_ASSERT_EQ(run_read_slot1(vm), 0x7417);
	/* The small pages are copied into one huge page and freed. */
	TEST_ASSERT_SYSCALL_OK(madvise(p, 2UL << 20, MADV_HUGEPAGE));
	if (madvise(p, 2UL << 20, MADV_COLLAPSE)) {
		int e = errno;

		test_vm_free(vm);
		munmap(m, len);
		SKIP(return, "MADV_COLLAPSE: %s", strerror(e));
	}
	TEST_ASSERT_EQ(run_read_slot1(vm), 0x7417);
	/* The guest reads the huge page now, not a freed small one. */
	*(volatile __u64 *)p = 0x7418;
	TEST_ASSERT_EQ(run_read_slot1(vm), 0x7418);
	test_vm_free(vm);
	munmap(m, len);
}

TEST(madv_dontneed_drops_guest_page)
{
	struct test_vm t;
	__u64 *p = vm_with_slot1(&t, 0x1234);

	TEST_ASSERT_EQ(run_read_slot1(&t), 0x1234);
	/* The host's page is freed; a stale translation would still read it. */
	TEST_ASSERT_SYSCALL_OK(madvise(p, PAGE, MADV_DONTNEED));
	TEST_ASSERT_EQ(*(volatile __u64 *)p, 0);
	TEST_ASSERT_EQ(run_read_slot1(&t), 0);
	*(volatile __u64 *)p = 0x77;
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x77);
	test_vm_destroy(&t);
	axvm_mem_free(p, PAGE);
}

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), r = -1;

	if (fd >= 0) {
		r = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
		close(fd);
	}
	return r;
}

/*
 * Swap in RAM: zram0 (the rig packs zram.ko in /extra), made the only
 * swap device.  Return: NULL, or why not.
 */
static const char *zram_swap_on(void)
{
	if (system("/extra/load.sh >/dev/null 2>&1"))
		return "cannot load zram (/extra/load.sh)";
	write_str("/sys/block/zram0/reset", "1");
	/* built into every kernel of the matrix; the default may be a module */
	write_str("/sys/block/zram0/comp_algorithm", "lzo-rle");
	if (write_str("/sys/block/zram0/disksize", "16M"))
		return "cannot size /dev/zram0";
	if (system("mkswap /dev/zram0 >/dev/null 2>&1 && swapon /dev/zram0"))
		return "mkswap/swapon /dev/zram0 failed";
	return NULL;
}

static void zram_swap_off(void)
{
	if (system("swapoff /dev/zram0 2>/dev/null"))
		return;
	write_str("/sys/block/zram0/reset", "1");
}

/* The /proc/self/pagemap entry of @addr: bit 63 present, bit 62 swapped. */
static __u64 pagemap(void *addr)
{
	__u64 e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd >= 0) {
		if (pread(fd, &e, sizeof(e),
			  (unsigned long)addr / PAGE * sizeof(e)) != sizeof(e))
			e = 0;
		close(fd);
	}
	return e;
}

#define PM_PRESENT	(1ULL << 63)
#define PM_SWAPPED	(1ULL << 62)

/*
 * A guest page the VMM's kernel swaps out (MADV_PAGEOUT) is unmapped from
 * the guest first, and the guest's next access swaps it back in through
 * the VMM's page tables: same data, nothing pinned it in RAM.
 */
TEST(madv_pageout_then_swap_in)
{
	const char *why;
	struct test_vm t;
	__u64 *p;
	int i;

	why = zram_swap_on();
	if (why)
		SKIP(return, "no swap: %s", why);
	/* madvise() drains only this CPU's LRU batches */
	pin_to_cpu(0);
	p = vm_with_slot1(&t, 0x5a5a0001);
	for (i = 1; i < PAGE / 8; i++)
		p[i] = 0x5a5a0000ULL + i;
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x5a5a0001);
	for (i = 0; i < 10 && !(pagemap(p) & PM_SWAPPED); i++)
		TEST_ASSERT_SYSCALL_OK(madvise(p, PAGE, MADV_PAGEOUT));
	TEST_ASSERT(pagemap(p) & PM_SWAPPED,
		    "the guest's page was not swapped out (pagemap %#llx): does its mapping pin it?",
		    (unsigned long long)pagemap(p));
	/* The guest reads it first: its fault swaps it in. */
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x5a5a0001);
	TEST_ASSERT(pagemap(p) & PM_PRESENT,
		    "the guest read the value but the VMM's page is not present (pagemap %#llx)",
		    (unsigned long long)pagemap(p));
	for (i = 1; i < PAGE / 8; i++)
		TEST_ASSERT(p[i] == 0x5a5a0000ULL + i, "word %d after swap-in: %#llx",
			    i, (unsigned long long)p[i]);
	/* And it is the page the guest maps now. */
	*(volatile __u64 *)p = 0x5a5a0002;
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x5a5a0002);
	test_vm_destroy(&t);
	axvm_mem_free(p, PAGE);
	zram_swap_off();
}

TEST(mprotect_none_then_back)
{
	struct test_vm t;
	__u64 *p = vm_with_slot1(&t, 0x3131);

	TEST_ASSERT_EQ(run_read_slot1(&t), 0x3131);
	TEST_ASSERT_SYSCALL_OK(mprotect(p, PAGE, PROT_NONE));
	run_expect_npf_slot1(&t);
	TEST_ASSERT_SYSCALL_OK(mprotect(p, PAGE, PROT_READ | PROT_WRITE));
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x3131);
	test_vm_destroy(&t);
	axvm_mem_free(p, PAGE);
}

TEST(memfd_backing_and_hole_punch)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int fd = memfd_create("axvcpu-slot1", 0);
	__u64 *p;

	TEST_ASSERT(fd >= 0, "memfd_create: %s", strerror(errno));
	TEST_ASSERT_SYSCALL_OK(ftruncate(fd, PAGE));
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap memfd: %s", strerror(errno));
	*p = 0x6d66;
	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_slot1);
	vm_set_region(&vm->vm, 1, 0, SLOT1_GPA, PAGE, p);
	TEST_ASSERT_EQ(run_read_slot1(vm), 0x6d66);
	/* The file's page goes: the guest reads the hole's zeros. */
	TEST_ASSERT_SYSCALL_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, 0, PAGE));
	TEST_ASSERT_EQ(run_read_slot1(vm), 0);
	/* A write through another mapping of the file reaches the guest. */
	TEST_ASSERT_EQ(pwrite(fd, &(__u64){ 0x7e57 }, 8, 0), 8);
	TEST_ASSERT_EQ(run_read_slot1(vm), 0x7e57);
	test_vm_free(vm);
	munmap(p, PAGE);
	close(fd);
}

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	if (f)
		fclose(f);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

#define BIG_SLOT	(256UL << 20)

TEST(big_slot_maps_on_demand)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	long before, after_set, after_run;
	__u64 *big, faults;

	big = mmap(NULL, BIG_SLOT, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(big != MAP_FAILED, "mmap 256 MiB: %s", strerror(errno));
	/* 4K host pages: a THP would put 2 MiB behind the guest's one load. */
	madvise(big, BIG_SLOT, MADV_NOHUGEPAGE);
	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_slot1);
	before = rss_kb();
	/* Registering touches none of it: no pinning, no pre-faulting. */
	vm_set_region(&vm->vm, 1, 0, SLOT1_GPA, BIG_SLOT, big);
	after_set = rss_kb();
	TEST_ASSERT(before > 0 && after_set - before < 1024,
		    "RSS %ld kB -> %ld kB after registering 256 MiB",
		    before, after_set);
	/* The guest's first load maps one page, which the VMM sees. */
	faults = vcpu->run->stats.builtin[AXVCPU_BUILTIN_MEMORY_FAULT];
	TEST_ASSERT_EQ(run_read_slot1(vm), 0);
	TEST_ASSERT(vcpu->run->stats.builtin[AXVCPU_BUILTIN_MEMORY_FAULT] >
		    faults, "no memory fault counted for the first load");
	after_run = rss_kb();
	TEST_ASSERT(after_run - after_set < 1024,
		    "RSS %ld kB -> %ld kB after one guest load",
		    after_set, after_run);
	big[0] = 0xb16;
	TEST_ASSERT_EQ(run_read_slot1(vm), 0xb16);
	vm_set_region(&vm->vm, 1, 0, 0, 0, NULL);
	test_vm_free(vm);
	munmap(big, BIG_SLOT);
}

TEST(fork_leaves_guest_memory_with_parent)
{
	struct test_vm t;
	__u64 *p = vm_with_slot1(&t, 0x1111);
	int status;
	pid_t pid;

	TEST_ASSERT_EQ(run_read_slot1(&t), 0x1111);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		/* The child's copy is its own; the VM is not its to run. */
		*(volatile __u64 *)p = 0x2222;
		_exit(ioctl(t.vcpu.fd, AXVCPU_RUN, 0) == -1 && errno == EIO ?
		      0 : 1);
	}
	TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the child could RUN the parent's vcpu (status %#x)",
		    status);
	/* fork made the page copy-on-write: the guest still reads ours. */
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x1111);
	*(volatile __u64 *)p = 0x3333;
	TEST_ASSERT_EQ(run_read_slot1(&t), 0x3333);
	test_vm_destroy(&t);
	axvm_mem_free(p, PAGE);
}

#define HUGE_2M		(2UL << 20)

static long set_nr_hugepages(long n)
{
	long old = -1;
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &old) != 1)
		old = -1;
	rewind(f);
	fprintf(f, "%ld\n", n);
	fclose(f);
	return old;
}

/*
 * @huge (2 MiB, the guest's code copied in) becomes the test VM's slot 0;
 * the guest writes 200 of its pages.  Return: the memory faults that took.
 */
static __u64 store_200_pages(struct __test_metadata *_metadata,
			     struct test_vm *t, unsigned char *huge)
{
	__u64 faults;
	int i;

	faults = t->vcpu.run->stats.builtin[AXVCPU_BUILTIN_MEMORY_FAULT];
	/* to its first hypercall, or (run before) to one more store */
	t->vcpu.run->hypercall.ret = 0;
	vcpu_run(&t->vcpu);
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HYPERCALL);
	for (i = 0; i < 200; i++) {
		t->vcpu.run->hypercall.ret = i;
		vcpu_run(&t->vcpu);
		vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HYPERCALL);
	}
	for (i = 0; i < 200; i++)
		TEST_ASSERT(*(volatile __u32 *)(huge + (SLOT1_GPA - GUEST_MEM_GPA) +
						i * PAGE + 8) != 0,
			    "page %d: the guest's store is not in the VMM's page", i);
	return t->vcpu.run->stats.builtin[AXVCPU_BUILTIN_MEMORY_FAULT] - faults;
}

/* A test VM running guest_store_page from @huge, a 2 MiB slot 0. */
static void vm_on_huge(struct __test_metadata *_metadata, struct test_vm *t,
		       unsigned char *huge)
{
	TEST_VM_WITH(t, guest_store_page);
	vm_set_region(&t->vm, 0, 0, 0, 0, NULL);
	memcpy(huge, t->mem, GUEST_MEM_SIZE);
	vm_set_region(&t->vm, 0, 0, GUEST_MEM_GPA, HUGE_2M, huge);
}

TEST(hugetlb_slot_maps_2m_blocks)
{
	struct test_vm t;
	unsigned char *huge;
	__u64 faults;
	long old;

	old = set_nr_hugepages(4);
	huge = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (huge == MAP_FAILED) {
		if (old >= 0)
			set_nr_hugepages(old);
		SKIP(return, "no 2 MiB hugetlb page: %s", strerror(errno));
	}
	/* The test slot becomes one 2 MiB hugetlb page, code and all. */
	vm_on_huge(_metadata, &t, huge);
	/* 200 pages of it written, 1 MiB and more: one 2 MiB leaf maps all. */
	faults = store_200_pages(_metadata, &t, huge);
	TH_LOG("%llu memory faults for code + 200 pages", (unsigned long long)faults);
	TEST_ASSERT(faults == 1,
		    "%llu memory faults: 4K leaves, not one 2 MiB leaf",
		    (unsigned long long)faults);
	test_vm_destroy(&t);
	munmap(huge, HUGE_2M);
	if (old >= 0)
		set_nr_hugepages(old);
}

#define HUGE_1G		(1UL << 30)
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT	26
#endif

/*
 * A 1 GiB hugetlbfs page behind a 1 GiB slot is one leaf: the guest's
 * stores 4 MiB, 400 MiB and 1000 MiB in take no fault after the first
 * (2 MiB leaves would take one each).  x86's real-mode test guest reaches
 * only the first MiB, so there the count cannot tell 2 MiB from 1 GiB.
 * The rig reserves the page at boot (arm64: hugepagesz=1G hugepages=1).
 */
TEST(hugetlb_1g_slot_maps_one_leaf)
{
	static const unsigned long far[] = { 1000, 100000, 250000 };
	unsigned char *huge;
	__u64 faults, base;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	unsigned int i;

	huge = mmap(NULL, HUGE_1G, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
		    (30 << MAP_HUGE_SHIFT), -1, 0);
	if (huge == MAP_FAILED)
		SKIP(return, "no 1 GiB hugetlb page: %s", strerror(errno));
	vm = vm_create_with_one_vcpu(&vcpu, guest_store_page);
	vm_set_region(&vm->vm, 0, 0, 0, 0, NULL);
	memcpy(huge, vm->mem, GUEST_MEM_SIZE);
	vm_set_region(&vm->vm, 0, 0, GUEST_MEM_GPA, HUGE_1G, huge);
	faults = store_200_pages(_metadata, vm, huge);
	base = vcpu->run->stats.builtin[AXVCPU_BUILTIN_MEMORY_FAULT] - faults;
#ifdef __aarch64__
	for (i = 0; i < ARRAY_SIZE(far); i++) {
		unsigned char *pg = huge + (SLOT1_GPA - GUEST_MEM_GPA) +
				    far[i] * PAGE;

		vcpu->run->hypercall.ret = far[i];
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
		TEST_ASSERT(*(volatile __u32 *)(pg + 8) != 0,
			    "page %lu: the guest's store is not in the VMM's page",
			    far[i]);
	}
	faults = vcpu->run->stats.builtin[AXVCPU_BUILTIN_MEMORY_FAULT] - base;
#else
	(void)i;
	(void)far;
	(void)base;
#endif
	TH_LOG("%llu memory faults for code + 200 pages and 1 GiB around",
	       (unsigned long long)faults);
	TEST_ASSERT(faults == 1,
		    "%llu memory faults: smaller leaves, not one 1 GiB leaf",
		    (unsigned long long)faults);
	test_vm_free(vm);
	munmap(huge, HUGE_1G);
}

/* Does the first line of @path contain @what? */
static bool file_says(const char *path, const char *what)
{
	char line[256];
	FILE *f = fopen(path, "r");
	bool r = f && fgets(line, sizeof(line), f) && strstr(line, what);

	if (f)
		fclose(f);
	return r;
}

/* kB of THP backing the mapping at @addr (/proc/self/smaps), or -1. */
static long anon_huge_kb(void *addr)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	char line[256];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		/* "lo-hi perms ..." heads a mapping; "Name: value" follow */
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = a >= lo && a < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

/*
 * A THP behind a slot is one 2 MiB leaf; when the VMM's kernel splits it
 * (MADV_DONTNEED of one page of it), the leaf goes with it, and the guest
 * writes the new page there, not the freed one.
 */
TEST(thp_slot_maps_2m_leaf_and_splits)
{
	size_t len = 4UL << 20;
	unsigned char *m, *huge, *hole;
	struct test_vm t;
	bool thp_never;
	__u64 faults;

	/*
	 * Linux turns THP off at boot on machines under 512 MiB (x86's
	 * Bochs has 512 MiB less what the firmware keeps): on for this test.
	 */
	thp_never = file_says("/sys/kernel/mm/transparent_hugepage/enabled",
			      "[never]");
	if (thp_never)
		write_str("/sys/kernel/mm/transparent_hugepage/enabled", "madvise");
	m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(m != MAP_FAILED, "mmap");
	huge = (unsigned char *)(((unsigned long)m + HUGE_2M - 1) & ~(HUGE_2M - 1));
	TEST_ASSERT_SYSCALL_OK(madvise(huge, HUGE_2M, MADV_HUGEPAGE));
	huge[0] = 1;	/* the first touch faults in one THP, if any */
	if (anon_huge_kb(huge) < 2048) {
		long kb = anon_huge_kb(huge);

		munmap(m, len);
		if (thp_never)
			write_str("/sys/kernel/mm/transparent_hugepage/enabled", "never");
		SKIP(return, "no THP behind a MADV_HUGEPAGE range (AnonHugePages %ld kB)",
		     kb);
	}
	vm_on_huge(_metadata, &t, huge);
	TEST_ASSERT(anon_huge_kb(huge) >= 2048, "the THP is gone before the guest ran");
	faults = store_200_pages(_metadata, &t, huge);
	TH_LOG("THP: %llu memory faults for code + 200 pages", (unsigned long long)faults);
	TEST_ASSERT(faults == 1,
		    "%llu memory faults: 4K leaves, not one 2 MiB leaf",
		    (unsigned long long)faults);

	/* One page freed: the kernel splits the THP's mapping, then zaps. */
	hole = huge + (SLOT1_GPA - GUEST_MEM_GPA) + 100 * PAGE;
	TEST_ASSERT_SYSCALL_OK(madvise(hole, PAGE, MADV_DONTNEED));
	TEST_ASSERT_EQ(*(volatile __u32 *)(hole + 8), 0);
	faults = store_200_pages(_metadata, &t, huge);
	TH_LOG("split: %llu memory faults for code + 200 pages", (unsigned long long)faults);
	/* A stale 2 MiB leaf would take no fault and miss the new page. */
	TEST_ASSERT(faults >= 200,
		    "%llu memory faults after the split: a 2 MiB leaf outlived it",
		    (unsigned long long)faults);
	test_vm_destroy(&t);
	munmap(m, len);
	if (thp_never)
		write_str("/sys/kernel/mm/transparent_hugepage/enabled", "never");
}

static long memfree_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

struct churn {
	volatile __u64 *p;
	volatile int stop;
	__u64 value;		/* in the page already; only grows */
	long rounds;
};

/*
 * The VMM's other thread: the page behind slot 1 is freed and replaced
 * (MADV_DONTNEED), protected away and back, and unmapped and mapped
 * again, each time with a larger value in the new page.
 */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	void *p = (void *)c->p;

	while (!c->stop) {
		switch (c->rounds++ % 3) {
		case 0:
			madvise(p, PAGE, MADV_DONTNEED);
			break;
		case 1:
			mprotect(p, PAGE, PROT_NONE);
			mprotect(p, PAGE, PROT_READ | PROT_WRITE);
			break;
		case 2:
			munmap(p, PAGE);
			mmap(p, PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		}
		/* The page has the value before the reader may expect it. */
		*c->p = c->value + 1;
		__atomic_store_n(&c->value, c->value + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

#define CHURN_SECONDS	10

TEST(invalidations_while_guest_reads)
{
	struct churn c = { 0 };
	struct timespec t0, t;
	long free0, free1, runs = 0, npf = 0;
	__u64 seen, floor;
	struct test_vm tv;
	pthread_t th;
	__u64 *p;

	free0 = memfree_kb();
	p = vm_with_slot1(&tv, 1);
	c.p = p;
	c.value = 1;
	TEST_ASSERT(!pthread_create(&th, NULL, churn_thread, &c),
		    "pthread_create");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t = t0;
	for (; t.tv_sec - t0.tv_sec < CHURN_SECONDS;
	     clock_gettime(CLOCK_MONOTONIC, &t)) {
		/* Anything the guest reads now is at least this, or a hole. */
		floor = __atomic_load_n(&c.value, __ATOMIC_ACQUIRE);
		vcpu_run(&tv.vcpu);
		if (tv.vcpu.run->exit_reason == AXVCPU_EXIT_NESTED_PAGE_FAULT) {
			/* Caught the page unmapped or PROT_NONE. */
			TEST_ASSERT_EQ(tv.vcpu.run->npf.gpa, SLOT1_GPA);
			npf++;
			continue;
		}
		vcpu_assert_exit(&tv.vcpu, AXVCPU_EXIT_HYPERCALL);
#ifdef __x86_64__
		seen = tv.vcpu.run->hypercall.nr & 0xffffffff;
		floor &= 0xffffffff;
#else
		seen = tv.vcpu.run->hypercall.nr;
#endif
		/* A stale translation reads a freed page's old value. */
		TEST_ASSERT(seen == 0 || seen >= floor,
			    "run %ld: the guest read %llu, the VMM had %llu",
			    runs, (unsigned long long)seen,
			    (unsigned long long)floor);
		runs++;
	}
	c.stop = 1;
	pthread_join(th, NULL);
	TH_LOG("%ld reads, %ld NPF exits, %ld invalidation rounds",
	       runs, npf, c.rounds);
	TEST_ASSERT(runs > 0 && c.rounds > 0, "no reads or no invalidations");
	test_vm_destroy(&tv);
	axvm_mem_free(p, PAGE);
	/* No page of the churn stays referenced: thousands would show. */
	free1 = memfree_kb();
	TEST_ASSERT(free1 > free0 - 8192,
		    "MemFree %ld kB before, %ld kB after", free0, free1);
}

struct runner {
	struct axvm_vcpu *vcpu;
	int loops, done, cpu;
	int bad_exit;
	long err;
};

static void *runner_thread(void *arg)
{
	struct runner *r = arg;

	if (r->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(r->cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	for (r->done = 0; r->done < r->loops; r->done++) {
		r->err = axvm_vcpu_run(r->vcpu);
		if (r->err)
			break;
		if (r->vcpu->run->exit_reason != AXVCPU_EXIT_HYPERCALL ||
		    r->vcpu->run->hypercall.nr != HCALL_LOOP_NR) {
			r->bad_exit = r->vcpu->run->exit_reason;
			break;
		}
	}
	return NULL;
}

TEST(two_vcpus_two_threads)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	struct runner r[2] = { 0 };
	struct axvm_vcpu v1;
	pthread_t th[2];
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	vcpu_create(&vm->vm, &v1, 1);
	vcpu_setup(&v1, GUEST_ENTRY);
	vcpu_bind(&v1);
	r[0].vcpu = vcpu;
	r[1].vcpu = &v1;
	for (i = 0; i < 2; i++) {
		r[i].loops = 200;
		r[i].cpu = n >= 2 ? i : -1;
		TEST_ASSERT(!pthread_create(&th[i], NULL, runner_thread, &r[i]),
			    "pthread_create");
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		TEST_ASSERT(r[i].done == r[i].loops,
			    "vcpu %d: stopped after %d runs: ret %ld (%s), exit %d (%s)",
			    i, r[i].done, r[i].err, errno_name((int)-r[i].err),
			    r[i].bad_exit, axvm_exit_name(r[i].bad_exit));
	}
	vcpu_assert_state(vcpu, AXVCPU_STATE_READY);
	vcpu_assert_state(&v1, AXVCPU_STATE_READY);
	axvm_vcpu_close(&v1);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
