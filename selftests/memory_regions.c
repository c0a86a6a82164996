// SPDX-License-Identifier: GPL-2.0
/*
 * memory_regions - AXVCPU_SET_MEMORY_REGION validation: alignment, flags,
 * slot limits, wrap-around, the GPA limit, overlap, slot reuse, delete, the
 * read-only flag and the userspace memory behind a slot.
 */
#include <sys/mman.h>
#include <unistd.h>

#include <pthread.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

#define PAGE		4096ULL
#define BASE_GPA	0x100000ULL	/* away from the test guests' slot */

FIXTURE(mr)
{
	int sys_fd;
	struct axvm_vm vm;
	unsigned char *mem;	/* 64 KiB, read-write */
	size_t size;
};

FIXTURE_SETUP(mr)
{
	self->sys_fd = open_dev();
	vm_create(&self->vm, self->sys_fd);
	self->size = 0x10000;
	self->mem = axvm_mem_alloc(self->size);
	TEST_ASSERT(self->mem, "mmap");
}

FIXTURE_TEARDOWN(mr)
{
	axvm_vm_close(&self->vm);
	close(self->sys_fd);
	axvm_mem_free(self->mem, self->size);
}

/* SET_MEMORY_REGION that must fail with @err. */
#define SET_ERR(slot, flags, gpa, size, hva, err)			\
	TEST_ASSERT_RET(axvm_set_memory_region(&self->vm, (slot), (flags), \
					       (gpa), (size), (hva)), -(err))
#define SET_OK(slot, flags, gpa, size, hva)				\
	TEST_ASSERT_RET(axvm_set_memory_region(&self->vm, (slot), (flags), \
					       (gpa), (size), (hva)), 0)

TEST_F(mr, alignment)
{
	SET_ERR(0, 0, BASE_GPA + 1, PAGE, self->mem, EINVAL);
	SET_ERR(0, 0, BASE_GPA + 0x800, PAGE, self->mem, EINVAL);
	SET_ERR(0, 0, BASE_GPA, PAGE + 1, self->mem, EINVAL);
	SET_ERR(0, 0, BASE_GPA, 0x800, self->mem, EINVAL);
	SET_ERR(0, 0, BASE_GPA, PAGE, self->mem + 1, EINVAL);
	SET_ERR(0, 0, BASE_GPA, PAGE, self->mem + 0x800, EINVAL);
	/* Nothing was added: the aligned version works. */
	SET_OK(0, 0, BASE_GPA, PAGE, self->mem);
}

TEST_F(mr, bad_flags)
{
	/* The first flag bit nobody defined, and a meaningless pair. */
	SET_ERR(0, 1U << 2, BASE_GPA, PAGE, self->mem, EINVAL);
	SET_ERR(0, AXVCPU_MEM_READONLY | AXVCPU_MEM_LOG_DIRTY, BASE_GPA, PAGE,
		self->mem, EINVAL);
	SET_ERR(0, 0x80000000, BASE_GPA, PAGE, self->mem, EINVAL);
	SET_ERR(0, ~0U, BASE_GPA, PAGE, self->mem, EINVAL);
	SET_OK(0, 0, BASE_GPA, PAGE, self->mem);
}

TEST_F(mr, slot_limit)
{
	SET_ERR(AXVCPU_MAX_MEMSLOTS, 0, BASE_GPA, PAGE, self->mem, EINVAL);
	SET_ERR(AXVCPU_MAX_MEMSLOTS + 1, 0, BASE_GPA, PAGE, self->mem, EINVAL);
	SET_ERR(~0U, 0, BASE_GPA, PAGE, self->mem, EINVAL);
	SET_OK(AXVCPU_MAX_MEMSLOTS - 1, 0, BASE_GPA, PAGE, self->mem);
}

TEST_F(mr, all_slots_usable)
{
	size_t size = AXVCPU_MAX_MEMSLOTS * PAGE;
	unsigned char *m = axvm_mem_alloc(size);
	__u32 i;

	TEST_ASSERT(m, "mmap");
	for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++)
		SET_OK(i, 0, BASE_GPA + i * 0x10000, PAGE, m + i * PAGE);
	/* Full: a 33rd region has no slot, and every slot is busy. */
	SET_ERR(AXVCPU_MAX_MEMSLOTS, 0, 0x8000000, PAGE, m, EINVAL);
	SET_ERR(7, 0, 0x8000000, PAGE, m, EBUSY);
	/* Delete them all; each delete works once. */
	for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++)
		SET_OK(i, 0, 0, 0, NULL);
	for (i = 0; i < AXVCPU_MAX_MEMSLOTS; i++)
		SET_ERR(i, 0, 0, 0, NULL, ENOENT);
	axvm_mem_free(m, size);
}

TEST_F(mr, overlap)
{
	SET_OK(0, 0, BASE_GPA, 4 * PAGE, self->mem);
	/* Same range, starting inside, ending inside, enclosing. */
	SET_ERR(1, 0, BASE_GPA, 4 * PAGE, self->mem + 4 * PAGE, EEXIST);
	SET_ERR(1, 0, BASE_GPA + 3 * PAGE, 2 * PAGE, self->mem + 4 * PAGE, EEXIST);
	SET_ERR(1, 0, BASE_GPA - PAGE, 2 * PAGE, self->mem + 4 * PAGE, EEXIST);
	SET_ERR(1, 0, BASE_GPA - PAGE, 8 * PAGE, self->mem + 4 * PAGE, EEXIST);
	SET_ERR(1, 0, BASE_GPA + PAGE, PAGE, self->mem + 4 * PAGE, EEXIST);
	/* Adjacent on both sides is fine. */
	SET_OK(1, 0, BASE_GPA + 4 * PAGE, PAGE, self->mem + 4 * PAGE);
	SET_OK(2, 0, BASE_GPA - PAGE, PAGE, self->mem + 5 * PAGE);
}

struct racer {
	struct axvm_vm *vm;
	pthread_barrier_t *go;
	__u32 slot;
	__u64 gpa;
	void *hva;
	int ret;
};

static void *race_one(void *p)
{
	struct racer *r = p;

	pthread_barrier_wait(r->go);
	r->ret = axvm_set_memory_region(r->vm, r->slot, 0, r->gpa, 8 * PAGE,
					r->hva);
	return NULL;
}

/*
 * Two threads add overlapping ranges at the same moment (the same slot, or
 * two slots): exactly one wins, the other gets -EBUSY or -EEXIST, 100 times.
 */
TEST_F(mr, concurrent_adds_one_winner)
{
	pthread_barrier_t go;
	struct racer r[2];
	pthread_t th[2];
	int round, i, wins;

	for (round = 0; round < 100; round++) {
		pthread_barrier_init(&go, NULL, 2);
		for (i = 0; i < 2; i++) {
			r[i] = (struct racer){ &self->vm, &go,
					       round & 1 ? i : 0,
					       BASE_GPA + i * 4 * PAGE,
					       self->mem + i * 4 * PAGE, 0 };
			TEST_ASSERT(pthread_create(&th[i], NULL, race_one, &r[i]) == 0,
				    "pthread_create");
		}
		for (i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		for (wins = 0, i = 0; i < 2; i++) {
			if (!r[i].ret) {
				wins++;
				continue;
			}
			TEST_ASSERT(r[i].ret == -EBUSY || r[i].ret == -EEXIST,
				    "round %d racer %d: %d (%s)", round, i,
				    r[i].ret, errno_name(-r[i].ret));
		}
		TEST_ASSERT(wins == 1, "round %d: %d winners (%d, %d)", round,
			    wins, r[0].ret, r[1].ret);
		for (i = 0; i < 2; i++)
			if (!r[i].ret)
				SET_OK(r[i].slot, 0, 0, 0, NULL);
	}
}

TEST_F(mr, slot_reuse_busy)
{
	SET_OK(3, 0, BASE_GPA, PAGE, self->mem);
	/* Same slot, anything: -EBUSY, even identical. */
	SET_ERR(3, 0, BASE_GPA + 0x10000, PAGE, self->mem + PAGE, EBUSY);
	SET_ERR(3, 0, BASE_GPA, PAGE, self->mem, EBUSY);
	/* Delete, then the slot takes a new range. */
	SET_OK(3, 0, 0, 0, NULL);
	SET_OK(3, 0, BASE_GPA + 0x10000, 2 * PAGE, self->mem + PAGE);
	/* The old range is free for another slot now. */
	SET_OK(4, 0, BASE_GPA, PAGE, self->mem);
}

TEST_F(mr, delete_empty)
{
	SET_ERR(0, 0, 0, 0, NULL, ENOENT);
	SET_ERR(AXVCPU_MAX_MEMSLOTS - 1, 0, BASE_GPA, 0, self->mem, ENOENT);
	SET_OK(0, 0, BASE_GPA, PAGE, self->mem);
	SET_OK(0, 0, 0, 0, NULL);
	SET_ERR(0, 0, 0, 0, NULL, ENOENT);
}

TEST_F(mr, wrap_around)
{
	/* gpa + size wraps. */
	SET_ERR(0, 0, 0xfffffffffffff000ULL, 2 * PAGE, self->mem, EINVAL);
	SET_ERR(0, 0, 0xffffffffffff0000ULL, 0x20000, self->mem, EINVAL);
	/* uaddr + size wraps. */
	SET_ERR(0, 0, BASE_GPA, 2 * PAGE, (void *)0xfffffffffffff000ULL, EINVAL);
}

TEST_F(mr, beyond_max_gpa_bits)
{
	long bits = axvm_check_extension(self->sys_fd, AXVCPU_CAP_MAX_GPA_BITS);
	__u64 top;

	TEST_ASSERT(bits >= 32 && bits < 64, "MAX_GPA_BITS = %ld", bits);
	top = 1ULL << bits;
	SET_ERR(0, 0, top, PAGE, self->mem, ERANGE);
	SET_ERR(0, 0, top - PAGE, 2 * PAGE, self->mem, ERANGE);
	SET_ERR(0, 0, 1ULL << 62, PAGE, self->mem, ERANGE);
	/* The last page below the limit is addressable. */
	SET_OK(0, 0, top - PAGE, PAGE, self->mem);
	SET_OK(0, 0, 0, 0, NULL);
}

TEST_F(mr, readonly_memory)
{
	unsigned char *ro = axvm_mem_alloc(2 * PAGE);

	TEST_ASSERT(ro, "mmap");
	memset(ro, 0xa5, 2 * PAGE);
	TEST_ASSERT_SYSCALL_OK(mprotect(ro, 2 * PAGE, PROT_READ));
	/* A writable slot needs writable memory. */
	SET_ERR(0, 0, BASE_GPA, 2 * PAGE, ro, EFAULT);
	/* A read-only slot takes it. */
	SET_OK(0, AXVCPU_MEM_READONLY, BASE_GPA, 2 * PAGE, ro);
	/* Read-only slots take writable memory too. */
	SET_OK(1, AXVCPU_MEM_READONLY, BASE_GPA + 0x10000, PAGE, self->mem);
	SET_OK(0, 0, 0, 0, NULL);
	SET_OK(1, 0, 0, 0, NULL);
	axvm_mem_free(ro, 2 * PAGE);
}

TEST_F(mr, unmapped_memory)
{
	unsigned char *m = axvm_mem_alloc(4 * PAGE);

	TEST_ASSERT(m, "mmap");
	munmap(m, 4 * PAGE);
	SET_ERR(0, 0, BASE_GPA, 4 * PAGE, m, EFAULT);
	SET_ERR(0, AXVCPU_MEM_READONLY, BASE_GPA, 4 * PAGE, m, EFAULT);
	/* Partly mapped. */
	m = axvm_mem_alloc(4 * PAGE);
	TEST_ASSERT(m, "mmap");
	munmap(m + 2 * PAGE, 2 * PAGE);
	SET_ERR(0, 0, BASE_GPA, 4 * PAGE, m, EFAULT);
	/* PROT_NONE. */
	TEST_ASSERT_SYSCALL_OK(mprotect(m, 2 * PAGE, PROT_NONE));
	SET_ERR(0, AXVCPU_MEM_READONLY, BASE_GPA, PAGE, m, EFAULT);
	/* Slot 0 is still free. */
	SET_ERR(0, 0, 0, 0, NULL, ENOENT);
	munmap(m, 2 * PAGE);
}

TEST_F(mr, munmap_after_set_is_safe)
{
	unsigned char *m = axvm_mem_alloc(4 * PAGE);

	TEST_ASSERT(m, "mmap");
	memset(m, 0x5a, 4 * PAGE);
	SET_OK(0, 0, BASE_GPA, 4 * PAGE, m);
	/* Unmapping the memory behind a slot is the VMM's right. */
	munmap(m, 4 * PAGE);
	SET_ERR(1, 0, BASE_GPA, PAGE, self->mem, EEXIST);
	SET_OK(0, 0, 0, 0, NULL);
	SET_OK(0, 0, BASE_GPA, PAGE, self->mem);
}

TEST_F(mr, bad_pointer)
{
	TEST_ASSERT_SYSCALL_ERR(ioctl(self->vm.fd, AXVCPU_SET_MEMORY_REGION, NULL), EFAULT);
	TEST_ASSERT_SYSCALL_ERR(ioctl(self->vm.fd, AXVCPU_SET_MEMORY_REGION,
				      (void *)0xfffffffffffff000ULL), EFAULT);
}

TEST_HARNESS_MAIN
