// SPDX-License-Identifier: GPL-2.0
/*
 * x86_exits - the exits a VMM sees and their fields (issue 3, item 4):
 * HLT -> HALT with RIP advanced; string and REP I/O -> INTERNAL_ERROR
 * (UNHANDLED_IO), never HALT; RDMSR/WRMSR of an MSR the module does not
 * keep -> SYSREG_READ/SYSREG_WRITE with RIP advanced and the answer
 * completed into EDX:EAX; triple fault -> SYSTEM_DOWN (CRASH); an access
 * outside every slot -> MMIO or NESTED_PAGE_FAULT with the GPA and access
 * flags; a write to a read-only slot never reaches memory; an unknown exit
 * (INVD) -> INTERNAL_ERROR with the raw reason; a bad guest state ->
 * FAIL_ENTRY with the hardware reason.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9 };

GUEST_CODE(g_hlt);
GUEST_CODE(g_outsb);
GUEST_CODE(g_rep_outsw);
GUEST_CODE(g_insb);
GUEST_CODE(g_rep_insb);
GUEST_CODE(g_msr);
GUEST_CODE(g_triple);
GUEST_CODE(g_mmio_read);
GUEST_CODE(g_exec_outside);
GUEST_CODE(g_rmw_outside);
GUEST_CODE(g_ro_slot);
GUEST_CODE(g_invd);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_hlt_start, g_hlt_end\n"
    "g_hlt_start:\n"
    "	nop\n"
    "	hlt\n"
    "	movl $0x600d, 0x8000\n"
    "	hlt\n"
    "g_hlt_end:\n"

    ".global g_outsb_start, g_outsb_end\n"
    "g_outsb_start:\n"
    "	mov $0x3f8, %dx\n"
    "	mov $0x8000, %si\n"
    "	outsb\n"
    "	hlt\n"
    "g_outsb_end:\n"

    ".global g_rep_outsw_start, g_rep_outsw_end\n"
    "g_rep_outsw_start:\n"
    "	mov $0x3f8, %dx\n"
    "	mov $0x8000, %si\n"
    "	mov $3, %cx\n"
    "	rep outsw\n"
    "	hlt\n"
    "g_rep_outsw_end:\n"

    ".global g_insb_start, g_insb_end\n"
    "g_insb_start:\n"
    "	mov $0x60, %dx\n"
    "	mov $0x8000, %di\n"
    "	insb\n"
    "	hlt\n"
    "g_insb_end:\n"

    ".global g_rep_insb_start, g_rep_insb_end\n"
    "g_rep_insb_start:\n"
    "	mov $0x60, %dx\n"
    "	mov $0x8000, %di\n"
    "	mov $4, %cx\n"
    "	rep insb\n"
    "	hlt\n"
    "g_rep_insb_end:\n"

    /* RDMSR then WRMSR of MSR 0x1234 (not one the module keeps). */
    ".global g_msr_start, g_msr_end\n"
    "g_msr_start:\n"
    "	mov $0x1234, %ecx\n"
    "	mov $0xffffffff, %eax\n"
    "	mov $0xffffffff, %edx\n"
    "	rdmsr\n"
    "	mov %eax, 0x8000\n"
    "	mov %edx, 0x8004\n"
    "	mov $0xaabbccdd, %eax\n"
    "	mov $0x11223344, %edx\n"
    "	wrmsr\n"
    "	movl $0x600d, 0x8008\n"
    "	hlt\n"
    "g_msr_end:\n"

    /* IVT limit 0: the #UD cannot be delivered -> #DF -> triple fault. */
    ".global g_triple_start, g_triple_end\n"
    "g_triple_start:\n"
    "	lidt 0x8000\n"
    "	ud2\n"
    "	hlt\n"
    "g_triple_end:\n"

    /* Reads through ES = 0x2000 (gpa 0x20000, outside the slot). */
    ".global g_mmio_read_start, g_mmio_read_end\n"
    "g_mmio_read_start:\n"
    "	mov $0x2000, %ax\n"
    "	mov %ax, %es\n"
    "	mov $0x11223344, %ecx\n"
    "	mov %es:0x10, %cx\n"
    "	mov %ecx, 0x8000\n"
    "	hlt\n"
    "g_mmio_read_end:\n"

    /* Code fetch from gpa 0x20000. */
    ".global g_exec_outside_start, g_exec_outside_end\n"
    "g_exec_outside_start:\n"
    "	ljmp $0x2000, $0\n"
    "g_exec_outside_end:\n"

    /* A read-modify-write the decoder does not know: INC. */
    ".global g_rmw_outside_start, g_rmw_outside_end\n"
    "g_rmw_outside_start:\n"
    "	mov $0x2000, %ax\n"
    "	mov %ax, %es\n"
    "	incl %es:0x24\n"
    "	hlt\n"
    "g_rmw_outside_end:\n"

    /* Slot 1 at 0x10000 is read-only: read it, then try to write it. */
    ".global g_ro_slot_start, g_ro_slot_end\n"
    "g_ro_slot_start:\n"
    "	mov $0x1000, %ax\n"
    "	mov %ax, %es\n"
    "	mov %es:0x0, %ebx\n"
    "	mov %ebx, 0x8000\n"
    "	movl $0x12345678, %es:0x4\n"
    "	incl %es:0x8\n"
    "	movl $0x600d, 0x8004\n"
    "	hlt\n"
    "g_ro_slot_end:\n"

    ".global g_invd_start, g_invd_end\n"
    "g_invd_start:\n"
    "	invd\n"
    "	hlt\n"
    "g_invd_end:\n"
    ".code64\n"
    ".popsection\n");

TEST(hlt_exit_advances_rip)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 rip;

	vm = vm_create_with_one_vcpu(&vcpu, g_hlt);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(vcpu->run->hw_reason & 0xffff, 12);	/* HLT */
	TEST_ASSERT_EQ(vcpu->run->hw_rip, GUEST_ENTRY + 1);
	rip = x86_get_rip(vcpu);
	TEST_ASSERT_EQ(rip, GUEST_ENTRY + 2);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000), 0x600d);
	test_vm_free(vm);
}

static void expect_string_io(struct test_vm *t, int in, int rep, int size)
{
	struct axvcpu_run *run = t->vcpu.run;
	__u64 q;

	vcpu_run(&t->vcpu);
	TEST_ASSERT(run->exit_reason == AXVCPU_EXIT_INTERNAL_ERROR,
		    "string I/O (in %d rep %d): exit %s (%u), expected INTERNAL_ERROR",
		    in, rep, axvm_exit_name(run->exit_reason), run->exit_reason);
	TEST_ASSERT_EQ(run->internal.suberror, AXVCPU_INTERNAL_UNHANDLED_IO);
	TEST_ASSERT(run->internal.ndata >= 1, "ndata %u", run->internal.ndata);
	q = run->internal.data[0];
	/* The raw I/O exit qualification: string bit, REP bit, IN, size. */
	TEST_ASSERT(q & (1 << 4), "qualification %#llx: string bit clear",
		    (unsigned long long)q);
	TEST_ASSERT_EQ(!!(q & (1 << 5)), rep);
	TEST_ASSERT_EQ(!!(q & (1 << 3)), in);
	TEST_ASSERT_EQ((q & 7) + 1, size);
	TEST_ASSERT_EQ(run->hw_reason & 0xffff, 30);	/* I/O instruction */
	/* Nothing was transferred: the guest's memory is unchanged. */
	TEST_ASSERT_EQ(guest_rd32(t, 0x8000), 0xa5a5a5a5);
}

TEST(string_io_is_internal_error)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_outsb);
	*(__u32 *)guest_ptr(vm, 0x8000) = 0xa5a5a5a5;
	expect_string_io(vm, 0, 0, 1);
	test_vm_free(vm);

	vm = vm_create_with_one_vcpu(&vcpu, g_rep_outsw);
	*(__u32 *)guest_ptr(vm, 0x8000) = 0xa5a5a5a5;
	expect_string_io(vm, 0, 1, 2);
	test_vm_free(vm);

	vm = vm_create_with_one_vcpu(&vcpu, g_insb);
	*(__u32 *)guest_ptr(vm, 0x8000) = 0xa5a5a5a5;
	expect_string_io(vm, 1, 0, 1);
	test_vm_free(vm);

	vm = vm_create_with_one_vcpu(&vcpu, g_rep_insb);
	*(__u32 *)guest_ptr(vm, 0x8000) = 0xa5a5a5a5;
	expect_string_io(vm, 1, 1, 1);
	test_vm_free(vm);
}

TEST(msr_exits_to_vmm)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 rip;

	vm = vm_create_with_one_vcpu(&vcpu, g_msr);
	run = vcpu->run;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSREG_READ);
	TEST_ASSERT_EQ(run->sysreg.addr, 0x1234);
	TEST_ASSERT_EQ(run->sysreg.is_write, 0);
	TEST_ASSERT_EQ(run->hw_reason & 0xffff, 31);	/* RDMSR */
	/* RIP is past the RDMSR (0f 32) already. */
	rip = x86_get_rip(vcpu);
	TEST_ASSERT_EQ(rip, run->hw_rip + 2);
	run->sysreg.value = 0x8877665544332211ULL;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSREG_WRITE);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000), 0x44332211);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8004), 0x88776655);
	TEST_ASSERT_EQ(run->sysreg.addr, 0x1234);
	TEST_ASSERT_EQ(run->sysreg.is_write, 1);
	TEST_ASSERT_EQ(run->sysreg.value, 0x11223344aabbccddULL);
	TEST_ASSERT_EQ(run->hw_reason & 0xffff, 32);	/* WRMSR */
	rip = x86_get_rip(vcpu);
	TEST_ASSERT_EQ(rip, run->hw_rip + 2);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8008), 0x600d);
	test_vm_free(vm);
}

/*
 * RDMSR completion with immediate_exit: EDX:EAX written, nothing else.
 * (A SET_GPR after the exit would cancel it: the VMM answered itself.)
 */
TEST(rdmsr_completion_with_immediate_exit)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_msr);
	run = vcpu->run;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSREG_READ);
	run->sysreg.value = 0xfedcba9876543210ULL;
	run->immediate_exit = 1;
	TEST_ASSERT_SYSCALL_ERR(__vcpu_run(vcpu), EINTR);
	run->immediate_exit = 0;
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, RAX), 0x76543210);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, RDX), 0xfedcba98);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, RCX), 0x1234);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSREG_WRITE);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000), 0x76543210);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8004), 0xfedcba98);
	test_vm_free(vm);
}

TEST(triple_fault_is_system_down)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_triple);
	memset(guest_ptr(vm, 0x8000), 0, 8);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_SYSTEM_DOWN);
	TEST_ASSERT_EQ(vcpu->run->system_down.type, AXVCPU_SYSTEM_DOWN_CRASH);
	TEST_ASSERT_EQ(vcpu->run->hw_reason & 0xffff, 2);	/* triple fault */
	test_vm_free(vm);
}

TEST(read_outside_slots_is_mmio)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_mmio_read);
	run = vcpu->run;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_MMIO_READ);
	TEST_ASSERT_EQ(run->mmio.addr, 0x20010);
	TEST_ASSERT_EQ(run->mmio.width, 2);
	TEST_ASSERT_EQ(run->mmio.is_write, 0);
	TEST_ASSERT_EQ(run->mmio.reg, RCX);
	TEST_ASSERT_EQ(run->hw_reason & 0xffff, 48);	/* EPT violation */
	run->mmio.data = 0xbeef;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000), 0x1122beef);
	test_vm_free(vm);
}

TEST(fetch_outside_slots_is_npf)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_exec_outside);
	run = vcpu->run;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_NESTED_PAGE_FAULT);
	TEST_ASSERT_EQ(run->npf.gpa, 0x20000);
	TEST_ASSERT(run->npf.access & AXVCPU_ACCESS_EXECUTE,
		    "npf.access %#llx: EXECUTE not set",
		    (unsigned long long)run->npf.access);
	TEST_ASSERT(!(run->npf.access & AXVCPU_ACCESS_WRITE),
		    "npf.access %#llx: WRITE set for a fetch",
		    (unsigned long long)run->npf.access);
	TEST_ASSERT_EQ(run->hw_reason & 0xffff, 48);
	test_vm_free(vm);
}

TEST(undecodable_mmio_is_npf)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_rmw_outside);
	run = vcpu->run;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_NESTED_PAGE_FAULT);
	TEST_ASSERT_EQ(run->npf.gpa, 0x20024);
	TEST_ASSERT(run->npf.access & (AXVCPU_ACCESS_READ | AXVCPU_ACCESS_WRITE),
		    "npf.access %#llx: neither READ nor WRITE",
		    (unsigned long long)run->npf.access);
	TEST_ASSERT(!(run->npf.access & AXVCPU_ACCESS_EXECUTE),
		    "npf.access %#llx: EXECUTE set for a data access",
		    (unsigned long long)run->npf.access);
	/* Not emulated: RIP stays at the INC. */
	TEST_ASSERT_EQ(x86_get_rip(vcpu), GUEST_ENTRY + 5);
	test_vm_free(vm);
}

TEST(write_to_readonly_slot)
{
	struct axvcpu_run *run;
	unsigned char *ro;
	struct test_vm t;

	test_vm_create_created(&t, g_ro_slot_start, GUEST_CODE_LEN(g_ro_slot));
	ro = axvm_mem_alloc(0x1000);
	TEST_ASSERT(ro, "mmap");
	*(__u32 *)ro = 0xc0ffee11;
	*(__u32 *)(ro + 4) = 0x44444444;
	*(__u32 *)(ro + 8) = 0x88888888;
	vm_set_region(&t.vm, 1, AXVCPU_MEM_READONLY, SLOT1_GPA, 0x1000, ro);
	vcpu_setup(&t.vcpu, GUEST_ENTRY);
	vcpu_bind(&t.vcpu);
	run = t.vcpu.run;

	vcpu_run(&t.vcpu);
	/* Decodable write: an MMIO write (documented) or an NPF. */
	if (run->exit_reason == AXVCPU_EXIT_MMIO_WRITE) {
		TEST_ASSERT_EQ(run->mmio.addr, SLOT1_GPA + 4);
		TEST_ASSERT_EQ(run->mmio.width, 4);
		TEST_ASSERT_EQ(run->mmio.data, 0x12345678);
		vcpu_run(&t.vcpu);
	} else {
		vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_NESTED_PAGE_FAULT);
		TEST_FAIL("decodable write to a read-only slot gave an NPF");
	}
	/* INC is not decodable: an NPF with WRITE. */
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_NESTED_PAGE_FAULT);
	TEST_ASSERT_EQ(run->npf.gpa, SLOT1_GPA + 8);
	TEST_ASSERT(run->npf.access & AXVCPU_ACCESS_WRITE,
		    "npf.access %#llx: WRITE not set",
		    (unsigned long long)run->npf.access);
	TEST_ASSERT_EQ(guest_rd32(&t, 0x8000), 0xc0ffee11);
	TEST_ASSERT_EQ(*(volatile __u32 *)(ro + 4), 0x44444444);
	TEST_ASSERT_EQ(*(volatile __u32 *)(ro + 8), 0x88888888);
	test_vm_destroy(&t);
	axvm_mem_free(ro, 0x1000);
}

TEST(unknown_exit_is_internal_error)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_invd);
	run = vcpu->run;
	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason != AXVCPU_EXIT_HALT,
		    "INVD: exit HALT (the guest never reached its HLT)");
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_INTERNAL_ERROR);
	TEST_ASSERT_EQ(run->internal.suberror, AXVCPU_INTERNAL_UNKNOWN_EXIT);
	TEST_ASSERT(run->internal.ndata >= 1, "ndata %u", run->internal.ndata);
	TEST_ASSERT_EQ(run->internal.data[0] & 0xffff, 13);	/* INVD */
	TEST_ASSERT_EQ(run->hw_reason & 0xffff, 13);
	test_vm_free(vm);
}

/* TR unusable passes SET_SREGS' checks or not; the entry must then fail. */
TEST(bad_guest_state_fail_entry)
{
	struct axvcpu_x86_sregs s;
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	long r;

	vm = vm_create_with_one_vcpu(&vcpu, g_hlt);
	run = vcpu->run;
	x86_get_sregs(vcpu, &s);
	s.tr.ar = 0x10000;	/* unusable: never valid for TR (SDM 26.3.1.2) */
	errno = 0;
	r = ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s);
	if (r) {
		TEST_ASSERT(errno == EINVAL, "SET_SREGS: ret %ld errno %d (%s)",
			    r, errno, errno_name(errno));
		goto out;
	}
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_FAIL_ENTRY);
	/* Basic reason 33 (invalid guest state) with bit 31 (entry failure). */
	TEST_ASSERT_EQ(run->fail_entry.reason, 0x80000021);
	TEST_ASSERT_EQ(run->hw_reason, 0x80000021);
out:
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
