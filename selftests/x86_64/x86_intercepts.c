// SPDX-License-Identifier: GPL-2.0
/*
 * x86_intercepts - AXVCPU_X86_SET_IO_INTERCEPT, AXVCPU_X86_SET_MSR_INTERCEPT
 * and AXVCPU_X86_SET_CPUID (issue 3, items 5 and 9): argument checks, the
 * host-critical MSRs refused, a port and an MSR passed to the guest and
 * taken back (reads and writes separately), CPUID leaves overridden and
 * restored.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "axvcpu_test_harness.h"
#include "axvcpu_util.h"

GUEST_CODE(g_ports);
GUEST_CODE(g_msr_pass);
extern const unsigned char g_msr_pass_gp[];
GUEST_CODE(g_cpuid_ovr);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_ports_start, g_ports_end\n"
    "g_ports_start:\n"
    "	mov $0x5a, %al\n"
    "	out %al, $0x80\n"
    "	out %al, $0x81\n"
    "	hlt\n"
    "g_ports_end:\n"

    /*
     * RDMSR then WRMSR of 0x3fc (CORE_C3_RESIDENCY, the kind of MSR the
     * pass-through allowlist has); a #GP is counted at 0x8100.
     */
    ".global g_msr_pass_start, g_msr_pass_end, g_msr_pass_gp\n"
    "g_msr_pass_start:\n"
    "	mov $0x3fc, %ecx\n"
    "	rdmsr\n"
    "	mov $0x3fc, %ecx\n"
    "	mov $0x55, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	hlt\n"
    "g_msr_pass_gp:\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	addw $2, 2(%bp)\n"
    "	incw 0x8100\n"
    "	pop %bp\n"
    "	iret\n"
    "g_msr_pass_end:\n"

    ".global g_cpuid_ovr_start, g_cpuid_ovr_end\n"
    "g_cpuid_ovr_start:\n"
    "	mov $0x40000000, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	mov %eax, 0x8000\n"
    "	mov %ebx, 0x8004\n"
    "	mov %ecx, 0x8008\n"
    "	mov %edx, 0x800c\n"
    "	mov $7, %eax\n"
    "	mov $1, %ecx\n"
    "	cpuid\n"
    "	mov %eax, 0x8010\n"
    "	mov $7, %eax\n"
    "	mov $2, %ecx\n"
    "	cpuid\n"
    "	mov %eax, 0x8014\n"
    "	mov $1, %eax\n"
    "	cpuid\n"
    "	mov %ecx, 0x8018\n"
    "	hlt\n"
    "g_cpuid_ovr_end:\n"
    ".code64\n"
    ".popsection\n");

static int set_io(struct test_vm *t, __u32 port, __u32 n, __u32 icpt,
		  __u32 pad)
{
	struct axvcpu_x86_io_intercept io = { port, n, icpt, pad };

	return ioctl(t->vcpu.fd, AXVCPU_X86_SET_IO_INTERCEPT, &io) ? -errno : 0;
}

static int set_msr(struct test_vm *t, __u32 msr, __u32 n, __u32 flags,
		   __u32 icpt)
{
	struct axvcpu_x86_msr_intercept mi = { msr, n, flags, icpt };

	return ioctl(t->vcpu.fd, AXVCPU_X86_SET_MSR_INTERCEPT, &mi) ?
	       -errno : 0;
}

static __u32 rd32(struct test_vm *t, __u64 gpa)
{
	return *(volatile __u32 *)guest_ptr(t, gpa);
}

AXVCPU_ONE_VCPU_TEST_SUITE(global);

AXVCPU_ONE_VCPU_TEST(global, io_intercept_args, g_ports)
{
	TEST_ASSERT_EQ(set_io(vm, 0, 0x10000, 1, 0), 0);	/* all 64K */
	TEST_ASSERT_EQ(set_io(vm, 0xffff, 1, 1, 0), 0);
	TEST_ASSERT_EQ(set_io(vm, 0xffff, 2, 1, 0), -EINVAL);
	TEST_ASSERT_EQ(set_io(vm, 0x10000, 1, 1, 0), -EINVAL);
	TEST_ASSERT_EQ(set_io(vm, 0, 0x10001, 1, 0), -EINVAL);
	TEST_ASSERT_EQ(set_io(vm, 0x80, 0, 1, 0), -EINVAL);
	TEST_ASSERT_EQ(set_io(vm, 0x80, 1, 2, 0), -EINVAL);
	TEST_ASSERT_EQ(set_io(vm, 0x80, 1, 1, 1), -EINVAL);
	TEST_ASSERT_EQ(ioctl(vcpu->fd, AXVCPU_X86_SET_IO_INTERCEPT, 8), -1);
	TEST_ASSERT_EQ(errno, EFAULT);
}

AXVCPU_ONE_VCPU_TEST(global, io_port_passed_and_taken_back, g_ports)
{
	struct axvcpu_run *run;

	run = vcpu->run;
	/* Port 0x80 (POST codes) goes to the real port: no exit. */
	TEST_ASSERT_EQ(set_io(vm, 0x80, 1, 0, 0), 0);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_IO_WRITE);
	TEST_ASSERT_EQ(run->io.port, 0x81);
	TEST_ASSERT_EQ(run->io.data, 0x5a);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_IO_WRITE], 1);

	/* Intercepted again: the same code exits at 0x80 first. */
	TEST_ASSERT_EQ(set_io(vm, 0x80, 1, 1, 0), 0);
	vcpu_set_gpr(vcpu, 0, 0);
	{
		struct axvcpu_x86_regs r;

		TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_GET_X86_REGS, &r));
		r.rip = GUEST_ENTRY;
		TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_SET_X86_REGS, &r));
	}
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_IO_WRITE);
	TEST_ASSERT_EQ(run->io.port, 0x80);
}

AXVCPU_ONE_VCPU_TEST(global, msr_intercept_args, g_msr_pass)
{
	static const __u32 host[] = {
		0xc0000080, 0xc0000081, 0xc0000082, 0xc0000084, 0xc0000100,
		0xc0000101, 0xc0000102, 0xc0000103, 0x48, 0x49, 0x10, 0x1b,
		0x174, 0x176, 0x277, 0x1d9, 0x3a, 0x480, 0x800, 0x830, 0x8ff,
		0x6e0, 0x1a0, 0x38f, 0xda0, 0x200,
	};
	int i;

	for (i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		TEST_ASSERT(set_msr(vm, host[i], 1, AXVCPU_X86_MSR_READ, 0) ==
			    -EPERM, "read of MSR %#x passed", host[i]);
		TEST_ASSERT(set_msr(vm, host[i], 1, AXVCPU_X86_MSR_WRITE, 0) ==
			    -EPERM, "write of MSR %#x passed", host[i]);
		/* Intercepting them is always allowed. */
		TEST_ASSERT_EQ(set_msr(vm, host[i], 1, 3, 1), 0);
	}
	/* A range that covers one of them is refused as a whole. */
	TEST_ASSERT_EQ(set_msr(vm, 0x0, 0x2000, 3, 0), -EPERM);
	TEST_ASSERT_EQ(set_msr(vm, 0x0, 0x2000, 3, 1), 0);
	TEST_ASSERT_EQ(set_msr(vm, 0xc0000000, 0x2000, 3, 1), 0);
	/* Outside the bitmap windows, crossing their end, bad fields. */
	TEST_ASSERT_EQ(set_msr(vm, 0x2000, 1, 3, 1), -EINVAL);
	TEST_ASSERT_EQ(set_msr(vm, 0x40000000, 1, 3, 1), -EINVAL);
	TEST_ASSERT_EQ(set_msr(vm, 0xc0002000, 1, 3, 1), -EINVAL);
	TEST_ASSERT_EQ(set_msr(vm, 0x1fff, 2, 3, 1), -EINVAL);
	TEST_ASSERT_EQ(set_msr(vm, 0x1357, 0, 3, 1), -EINVAL);
	TEST_ASSERT_EQ(set_msr(vm, 0x1357, 1, 0, 1), -EINVAL);
	TEST_ASSERT_EQ(set_msr(vm, 0x1357, 1, 4, 1), -EINVAL);
	TEST_ASSERT_EQ(set_msr(vm, 0x1357, 1, 3, 2), -EINVAL);
	TEST_ASSERT_EQ(ioctl(vcpu->fd, AXVCPU_X86_SET_MSR_INTERCEPT, 8), -1);
	TEST_ASSERT_EQ(errno, EFAULT);
}

AXVCPU_ONE_VCPU_TEST(global, msr_read_passed_write_still_exits, g_msr_pass)
{
	struct axvcpu_run *run;
	__u16 *ivt;

	run = vcpu->run;
	ivt = guest_ptr(vm, 13 * 4);
	ivt[0] = GUEST_ENTRY + (g_msr_pass_gp - g_msr_pass_start);
	ivt[1] = 0;
	/*
	 * Reads of 0x3fc go to the CPU: the guest gets the CPU's answer (a
	 * count, or #GP on an emulator without the MSR), never an exit.
	 * Writes still exit.
	 */
	TEST_ASSERT_EQ(set_msr(vm, 0x3fc, 1, AXVCPU_X86_MSR_READ, 0), 0);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSREG_WRITE);
	TEST_ASSERT_EQ(run->sysreg.addr, 0x3fc);
	TEST_ASSERT_EQ(run->sysreg.value, 0x55);
	TEST_ASSERT(*(volatile __u16 *)guest_ptr(vm, 0x8100) <= 1,
		    "%u #GPs", *(volatile __u16 *)guest_ptr(vm, 0x8100));
	TEST_ASSERT_EQ(run->stats.exits[AXVCPU_EXIT_SYSREG_READ], 0);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);

	/* Taken back: the read exits again. */
	TEST_ASSERT_EQ(set_msr(vm, 0x3fc, 1, AXVCPU_X86_MSR_READ, 1), 0);
	{
		struct axvcpu_x86_regs r;

		TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_GET_X86_REGS, &r));
		r.rip = GUEST_ENTRY;
		TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_SET_X86_REGS, &r));
	}
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSREG_READ);
	TEST_ASSERT_EQ(run->sysreg.addr, 0x3fc);
}

static struct axvcpu_x86_cpuid *cpuid_alloc(__u32 n)
{
	struct axvcpu_x86_cpuid *c;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	TEST_ASSERT(c, "calloc");
	c->nent = n;
	return c;
}

static int set_cpuid(struct test_vm *t, void *c)
{
	return ioctl(t->vcpu.fd, AXVCPU_X86_SET_CPUID, c) ? -errno : 0;
}

AXVCPU_ONE_VCPU_TEST(global, cpuid_table_args, g_cpuid_ovr)
{
	struct axvcpu_x86_cpuid *c = cpuid_alloc(AXVCPU_X86_CPUID_MAX_ENTRIES + 1);
	void *page;
	__u32 i;

	for (i = 0; i <= AXVCPU_X86_CPUID_MAX_ENTRIES; i++) {
		c->entries[i].function = 0x40000100 + i;
		c->entries[i].eax = i;
	}
	TEST_ASSERT_EQ(set_cpuid(vm, c), -E2BIG);
	c->nent = AXVCPU_X86_CPUID_MAX_ENTRIES;
	TEST_ASSERT_EQ(set_cpuid(vm, c), 0);
	c->nent = 2;
	c->pad = 1;
	TEST_ASSERT_EQ(set_cpuid(vm, c), -EINVAL);
	c->pad = 0;
	c->entries[1].pad = 1;
	TEST_ASSERT_EQ(set_cpuid(vm, c), -EINVAL);
	c->entries[1].pad = 0;
	c->entries[1].flags = 2;
	TEST_ASSERT_EQ(set_cpuid(vm, c), -EINVAL);
	/* An index without AXVCPU_X86_CPUID_INDEXED. */
	c->entries[1].flags = 0;
	c->entries[1].index = 1;
	TEST_ASSERT_EQ(set_cpuid(vm, c), -EINVAL);
	/* The same leaf twice; indexed twice with one index. */
	c->entries[1] = c->entries[0];
	TEST_ASSERT_EQ(set_cpuid(vm, c), -EINVAL);
	c->entries[0].flags = c->entries[1].flags = AXVCPU_X86_CPUID_INDEXED;
	TEST_ASSERT_EQ(set_cpuid(vm, c), -EINVAL);
	c->entries[1].index = 1;
	TEST_ASSERT_EQ(set_cpuid(vm, c), 0);
	/* Entries past the end of readable memory. */
	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(page != MAP_FAILED, "mmap");
	TEST_ASSERT_SYSCALL_OK(munmap((char *)page + 4096, 4096));
	c = (void *)((char *)page + 4096 - 8);
	c->nent = 1;
	c->pad = 0;
	TEST_ASSERT_EQ(set_cpuid(vm, c), -EFAULT);
	TEST_ASSERT_EQ(set_cpuid(vm, (void *)8), -EFAULT);
}

AXVCPU_ONE_VCPU_TEST(global, cpuid_override, g_cpuid_ovr)
{
	struct axvcpu_x86_cpuid *c = cpuid_alloc(2);
	char sig[13];

	c->entries[0].function = 0x40000000;
	c->entries[0].eax = 0x40000010;
	memcpy(&c->entries[0].ebx, "AXVC", 4);
	memcpy(&c->entries[0].ecx, "PUTE", 4);
	memcpy(&c->entries[0].edx, "ST!!", 4);
	c->entries[1].function = 7;
	c->entries[1].index = 1;
	c->entries[1].flags = AXVCPU_X86_CPUID_INDEXED;
	c->entries[1].eax = 0xabcd;
	TEST_ASSERT_EQ(set_cpuid(vm, c), 0);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(rd32(vm, 0x8000), 0x40000010);
	memcpy(sig, guest_ptr(vm, 0x8004), 12);
	sig[12] = 0;
	TEST_ASSERT(!strcmp(sig, "AXVCPUTEST!!"), "signature '%s'", sig);
	TEST_ASSERT_EQ(rd32(vm, 0x8010), 0xabcd);	/* 7.1 overridden */
	TEST_ASSERT_EQ(rd32(vm, 0x8014), 0);		/* 7.2 the module's */
	/* x2APIC and TSC deadline: emulated, so advertised. */
	TEST_ASSERT(rd32(vm, 0x8018) & (1U << 21), "x2APIC bit clear");
	TEST_ASSERT(rd32(vm, 0x8018) & (1U << 24), "TSC-deadline bit clear");

	/* nent = 0 drops the table: the module's own signature is back. */
	c->nent = 0;
	TEST_ASSERT_EQ(set_cpuid(vm, c), 0);
	{
		struct axvcpu_x86_regs r;

		TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_GET_X86_REGS, &r));
		r.rip = GUEST_ENTRY;
		TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_SET_X86_REGS, &r));
	}
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	memcpy(sig, guest_ptr(vm, 0x8004), 12);
	TEST_ASSERT(!strcmp(sig, "RVMRVMRVMRVM"), "signature '%s'", sig);
	free(c);
}

TEST_HARNESS_MAIN
