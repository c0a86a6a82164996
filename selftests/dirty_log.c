// SPDX-License-Identifier: GPL-2.0
/*
 * dirty_log - AXVCPU_MEM_LOG_DIRTY and AXVCPU_GET_DIRTY_LOG: the guest
 * writes a known set of pages of slot 1, one per RUN (guest_store_page);
 * the log returns exactly those, a second call none, and a page written
 * again is reported again.  Bad arguments are refused and lose nothing.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

#define PAGE		4096
#define NPAGES		128
#define NWORDS		((NPAGES + 63) / 64)

struct logged {
	struct test_vm t;
	unsigned char *mem;
};

static void logged_vm(struct logged *l, __u32 flags)
{
	l->mem = axvm_mem_alloc(NPAGES * PAGE);
	TEST_ASSERT(l->mem, "mmap");
	TEST_VM_WITH(&l->t, guest_store_page);
	vm_set_region(&l->t.vm, 1, flags, SLOT1_GPA, NPAGES * PAGE, l->mem);
	/* The first RUN stops at the first hypercall, before any store. */
	vcpu_run(&l->t.vcpu);
	vcpu_assert_exit(&l->t.vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(l->t.vcpu.run->hypercall.nr & 0xffffffff,
		       HCALL_STORE_NR);
}

/* The guest stores to @page and stops at its next hypercall. */
static void guest_store(struct logged *l, unsigned int page)
{
	l->t.vcpu.run->hypercall.ret = page;
	vcpu_run(&l->t.vcpu);
	vcpu_assert_exit(&l->t.vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(l->t.vcpu.run->hypercall.nr & 0xffffffff,
		       HCALL_STORE_NR);
	/* The store reached the VMM's memory. */
	TEST_ASSERT(*(volatile __u32 *)(l->mem + page * PAGE + 8) != 0,
		    "page %u: no store seen", page);
}

static int get_log(struct logged *l, __u32 slot, __u64 *bitmap)
{
	struct axvcpu_dirty_log d = {
		.slot = slot,
		.bitmap = (__u64)(unsigned long)bitmap,
	};

	return ioctl(l->t.vm.fd, AXVCPU_GET_DIRTY_LOG, &d) ? -errno : 0;
}

static void assert_log(struct logged *l, const unsigned int *pages, int n)
{
	__u64 want[NWORDS] = { 0 }, got[NWORDS];
	int i;

	memset(got, 0xff, sizeof(got));
	TEST_ASSERT_EQ(get_log(l, 1, got), 0);
	for (i = 0; i < n; i++)
		want[pages[i] / 64] |= 1ULL << (pages[i] % 64);
	for (i = 0; i < NWORDS; i++)
		TEST_ASSERT(got[i] == want[i],
			    "word %d: log %#llx, guest wrote %#llx", i,
			    (unsigned long long)got[i],
			    (unsigned long long)want[i]);
}

static void logged_destroy(struct logged *l)
{
	test_vm_destroy(&l->t);
	axvm_mem_free(l->mem, NPAGES * PAGE);
}

TEST(exactly_the_written_pages)
{
	static const unsigned int pages[] = { 3, 10, 11, 63, 64, 127 };
	static const unsigned int again[] = { 10 };
	struct logged l;
	unsigned int i;

	logged_vm(&l, AXVCPU_MEM_LOG_DIRTY);
	/* Nothing written yet. */
	assert_log(&l, NULL, 0);
	for (i = 0; i < ARRAY_SIZE(pages); i++)
		guest_store(&l, pages[i]);
	assert_log(&l, pages, ARRAY_SIZE(pages));
	/* Cleared by the call. */
	assert_log(&l, NULL, 0);
	/* Write-protected again: the next write is logged. */
	guest_store(&l, 10);
	guest_store(&l, 10);
	assert_log(&l, again, 1);
	assert_log(&l, NULL, 0);
	logged_destroy(&l);
}

TEST(host_writes_are_not_guest_writes)
{
	static const unsigned int pages[] = { 5 };
	struct logged l;

	logged_vm(&l, AXVCPU_MEM_LOG_DIRTY);
	/* The VMM's own writes go through its page tables, not the guest's. */
	memset(l.mem, 0x11, NPAGES * PAGE);
	guest_store(&l, 5);
	assert_log(&l, pages, 1);
	logged_destroy(&l);
}

TEST(bad_arguments)
{
	__u64 bitmap[NWORDS];
	struct logged l;
	struct axvcpu_dirty_log d = { .slot = 1 };
	static const unsigned int pages[] = { 7 };

	logged_vm(&l, AXVCPU_MEM_LOG_DIRTY);
	guest_store(&l, 7);
	/* A slot that does not log, an empty slot, a slot out of range. */
	TEST_ASSERT_EQ(get_log(&l, 0, bitmap), -ENOENT);
	TEST_ASSERT_EQ(get_log(&l, 2, bitmap), -ENOENT);
	TEST_ASSERT_EQ(get_log(&l, AXVCPU_MAX_MEMSLOTS, bitmap), -EINVAL);
	d.pad = 1;
	d.bitmap = (__u64)(unsigned long)bitmap;
	TEST_ASSERT_SYSCALL_ERR(ioctl(l.t.vm.fd, AXVCPU_GET_DIRTY_LOG, &d),
				EINVAL);
	TEST_ASSERT_SYSCALL_ERR(ioctl(l.t.vm.fd, AXVCPU_GET_DIRTY_LOG, NULL),
				EFAULT);
	/* An unwritable bitmap: -EFAULT, and the log is kept for later. */
	TEST_ASSERT_EQ(get_log(&l, 1, (__u64 *)8), -EFAULT);
	assert_log(&l, pages, 1);
	/* Read-only slots cannot log. */
	TEST_ASSERT_EQ(axvm_set_memory_region(&l.t.vm, 3,
					      AXVCPU_MEM_READONLY |
					      AXVCPU_MEM_LOG_DIRTY,
					      SLOT1_GPA + NPAGES * PAGE, PAGE,
					      l.mem), -EINVAL);
	logged_destroy(&l);
}

TEST_HARNESS_MAIN
