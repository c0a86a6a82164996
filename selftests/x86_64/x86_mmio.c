// SPDX-License-Identifier: GPL-2.0
/*
 * x86_mmio - accesses outside every slot decoded into MMIO_READ/MMIO_WRITE
 * (issue 3, item 3): MOV r/m<->reg of 1, 2, 4 and 8 bytes, MOV imm -> m,
 * MOV with a memory offset (A0-A3), MOVZX/MOVSX with their sign extension
 * and destination width, 16-bit addressing in real mode, REX registers in
 * long mode, the instruction bytes fetched through the guest's own page
 * tables (code at a virtual address != its physical one), and the read
 * answer completed on the next RUN with the width, sign extension and
 * register width of the exit.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13,
       R14, R15 };

GUEST_CODE(g_mmio16);
GUEST_CODE(g_mmio64);
GUEST_CODE(g_mmio32);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_mmio16_start, g_mmio16_end\n"
    "g_mmio16_start:\n"
    "	mov $0x2000, %ax\n"
    "	mov %ax, %es\n"
    "	mov $0x11223344, %ebx\n"
    "	mov %bl, %es:0x10\n"
    "	movw $0xbeef, %es:0x12\n"
    "	movl $0xdeadbeef, %es:0x14\n"
    "	movb $0x5a, %es:0x18\n"
    "	mov $0x20, %di\n"
    "	mov $0xcafef00d, %ecx\n"
    "	mov %ecx, %es:0x8(%di)\n"
    "	mov $0x1357, %ax\n"
    "	mov %ax, %es:0x30\n"		/* A3: moffs */
    "	mov $0xffffffff, %edx\n"
    "	mov %es:0x40, %dl\n"
    "	mov %edx, 0x8000\n"
    "	mov $0xffffffff, %esi\n"
    "	mov %es:0x42, %si\n"
    "	mov %esi, 0x8004\n"
    "	mov %es:0x44, %ebp\n"
    "	mov %ebp, 0x8008\n"
    "	mov $0xffffffff, %ecx\n"
    "	movzbl %es:0x48, %ecx\n"
    "	mov %ecx, 0x800c\n"
    "	movsbl %es:0x49, %edi\n"
    "	mov %edi, 0x8010\n"
    "	movswl %es:0x4a, %ebx\n"
    "	mov %ebx, 0x8014\n"
    "	mov $0xffffffff, %esi\n"
    "	movzwl %es:0x4c, %esi\n"
    "	mov %esi, 0x8018\n"
    "	mov $0x12345678, %eax\n"
    "	movsbw %es:0x4e, %ax\n"
    "	mov %eax, 0x801c\n"
    "	mov $0x12345678, %eax\n"
    "	mov %es:0x50, %al\n"		/* A0: moffs */
    "	mov %eax, 0x8020\n"
    "	hlt\n"
    "g_mmio16_end:\n"

    ".code32\n"
    ".global g_mmio32_start, g_mmio32_end\n"
    "g_mmio32_start:\n"
    "	mov $0x100000, %ebx\n"
    "	mov $0x89abcdef, %ecx\n"
    "	mov %ecx, 4(%ebx)\n"
    "	movw $0x1234, 8(%ebx)\n"
    "	movsbl 0xc(%ebx), %edx\n"
    "	mov %edx, 0x8000\n"
    "	mov $0x11112222, %eax\n"
    "	mov 0x10(%ebx), %ax\n"
    "	mov %eax, 0x8004\n"
    "	hlt\n"
    "g_mmio32_end:\n"

    ".code64\n"
    ".global g_mmio64_start, g_mmio64_end\n"
    "g_mmio64_start:\n"
    "	mov $0x100000, %ebx\n"
    "	mov $0x0123456789abcdef, %r9\n"
    "	mov %r9, (%rbx)\n"
    "	movq $-2, 8(%rbx)\n"
    "	movl $-2, 0x10(%rbx)\n"
    "	mov %r9w, 0x14(%rbx)\n"
    "	mov %r9b, 0x16(%rbx)\n"
    "	movw $0x7fff, 0x18(%rbx)\n"
    "	mov $-1, %r12\n"
    "	mov 0x20(%rbx), %r12\n"
    "	mov %r12, 0x8000\n"
    "	mov $-1, %r13\n"
    "	mov 0x28(%rbx), %r13d\n"
    "	mov %r13, 0x8008\n"
    "	mov $-1, %r14\n"
    "	movsbq 0x30(%rbx), %r14\n"
    "	mov %r14, 0x8010\n"
    "	mov $-1, %r15\n"
    "	movzwq 0x32(%rbx), %r15\n"
    "	mov %r15, 0x8018\n"
    "	mov $-1, %rsi\n"
    "	mov 0x34(%rbx), %sil\n"
    "	mov %rsi, 0x8020\n"
    "	mov $-1, %rdi\n"
    "	movswl 0x36(%rbx), %edi\n"
    "	mov %rdi, 0x8028\n"
    "	mov $-1, %rax\n"
    "	movabs 0x100040, %eax\n"
    "	mov %rax, 0x8030\n"
    "	mov $-1, %r8\n"
    "	mov 0x38(%rbx), %r8w\n"
    "	mov %r8, 0x8038\n"
    "	mov $0x5555555555555555, %r10\n"
    "	movsbw 0x3a(%rbx), %r10w\n"
    "	mov %r10, 0x8040\n"
    "	hlt\n"
    "g_mmio64_end:\n"
    ".popsection\n");

struct mmio_step {
	int write;
	__u64 addr;
	__u32 width;
	int reg;		/* -1: not checked (immediate) */
	__u32 reg_width;	/* reads */
	int sign_ext;		/* reads */
	__u64 data;		/* write: expected; read: the answer */
};

static void run_steps(struct test_vm *t, const struct mmio_step *st, int n)
{
	struct axvcpu_run *run = t->vcpu.run;
	int i;

	for (i = 0; i < n; i++, st++) {
		vcpu_run(&t->vcpu);
		TEST_ASSERT(run->exit_reason == (st->write ? AXVCPU_EXIT_MMIO_WRITE :
						 AXVCPU_EXIT_MMIO_READ),
			    "step %d (addr %#llx): exit %s, expected %s (hw_rip %#llx npf.gpa %#llx)",
			    i, (unsigned long long)st->addr,
			    axvm_exit_name(run->exit_reason),
			    st->write ? "MMIO_WRITE" : "MMIO_READ",
			    (unsigned long long)run->hw_rip,
			    (unsigned long long)run->npf.gpa);
		TEST_ASSERT(run->mmio.addr == st->addr && run->mmio.width == st->width &&
			    run->mmio.is_write == st->write,
			    "step %d: addr %#llx width %u is_write %u, expected addr %#llx width %u",
			    i, (unsigned long long)run->mmio.addr, run->mmio.width,
			    run->mmio.is_write, (unsigned long long)st->addr, st->width);
		if (st->reg >= 0)
			TEST_ASSERT(run->mmio.reg == (__u32)st->reg,
				    "step %d: reg %u, expected %d", i,
				    run->mmio.reg, st->reg);
		if (st->write) {
			TEST_ASSERT(run->mmio.data == st->data,
				    "step %d: write data %#llx, expected %#llx", i,
				    (unsigned long long)run->mmio.data,
				    (unsigned long long)st->data);
		} else {
			TEST_ASSERT(run->mmio.reg_width == st->reg_width &&
				    run->mmio.sign_ext == st->sign_ext,
				    "step %d: reg_width %u sign_ext %u, expected %u %d",
				    i, run->mmio.reg_width, run->mmio.sign_ext,
				    st->reg_width, st->sign_ext);
			run->mmio.data = st->data;
		}
	}
	vcpu_run(&t->vcpu);
	vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HALT);
}

static const struct mmio_step steps16[] = {
	{ 1, 0x20010, 1, RBX, 0, 0, 0x44 },
	{ 1, 0x20012, 2, -1, 0, 0, 0xbeef },
	{ 1, 0x20014, 4, -1, 0, 0, 0xdeadbeef },
	{ 1, 0x20018, 1, -1, 0, 0, 0x5a },
	{ 1, 0x20028, 4, RCX, 0, 0, 0xcafef00d },
	{ 1, 0x20030, 2, RAX, 0, 0, 0x1357 },
	{ 0, 0x20040, 1, RDX, 1, 0, 0xab81 },	/* bits above width dropped */
	{ 0, 0x20042, 2, RSI, 2, 0, 0x8001 },
	{ 0, 0x20044, 4, RBP, 4, 0, 0x89abcdef },
	{ 0, 0x20048, 1, RCX, 4, 0, 0xf0 },
	{ 0, 0x20049, 1, RDI, 4, 1, 0x80 },
	{ 0, 0x2004a, 2, RBX, 4, 1, 0x8000 },
	{ 0, 0x2004c, 2, RSI, 4, 0, 0xfffe },
	{ 0, 0x2004e, 1, RAX, 2, 1, 0x90 },
	{ 0, 0x20050, 1, RAX, 1, 0, 0x1ab },
};

TEST(mmio_real_mode_all_forms)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_mmio16);
	run_steps(vm, steps16, ARRAY_SIZE(steps16));
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000), 0xffffff81);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8004), 0xffff8001);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8008), 0x89abcdef);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x800c), 0xf0);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8010), 0xffffff80);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8014), 0xffff8000);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8018), 0x0000fffe);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x801c), 0x1234ff90);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8020), 0x123456ab);
	test_vm_free(vm);
}

static const struct mmio_step steps64[] = {
	{ 1, 0x100000, 8, R9, 0, 0, 0x0123456789abcdefULL },
	{ 1, 0x100008, 8, -1, 0, 0, 0xfffffffffffffffeULL },
	{ 1, 0x100010, 4, -1, 0, 0, 0xfffffffe },
	{ 1, 0x100014, 2, R9, 0, 0, 0xcdef },
	{ 1, 0x100016, 1, R9, 0, 0, 0xef },
	{ 1, 0x100018, 2, -1, 0, 0, 0x7fff },
	{ 0, 0x100020, 8, R12, 8, 0, 0x1122334455667788ULL },
	{ 0, 0x100028, 4, R13, 4, 0, 0x80000001 },
	{ 0, 0x100030, 1, R14, 8, 1, 0x80 },
	{ 0, 0x100032, 2, R15, 8, 0, 0x8000 },
	{ 0, 0x100034, 1, RSI, 1, 0, 0x42 },
	{ 0, 0x100036, 2, RDI, 4, 1, 0x8000 },
	{ 0, 0x100040, 4, RAX, 4, 0, 0xfedcba98 },
	{ 0, 0x100038, 2, R8, 2, 0, 0x1234 },
	{ 0, 0x10003a, 1, R10, 2, 1, 0xfe },
};

static void check64(struct test_vm *t)
{
	TEST_ASSERT_EQ(guest_rd64(t, 0x8000), 0x1122334455667788ULL);
	TEST_ASSERT_EQ(guest_rd64(t, 0x8008), 0x80000001ULL);
	TEST_ASSERT_EQ(guest_rd64(t, 0x8010), 0xffffffffffffff80ULL);
	TEST_ASSERT_EQ(guest_rd64(t, 0x8018), 0x8000ULL);
	TEST_ASSERT_EQ(guest_rd64(t, 0x8020), 0xffffffffffffff42ULL);
	TEST_ASSERT_EQ(guest_rd64(t, 0x8028), 0xffff8000ULL);
	TEST_ASSERT_EQ(guest_rd64(t, 0x8030), 0xfedcba98ULL);
	TEST_ASSERT_EQ(guest_rd64(t, 0x8038), 0xffffffffffff1234ULL);
	TEST_ASSERT_EQ(guest_rd64(t, 0x8040), 0x555555555555fffeULL);
}

TEST(mmio_long_mode_all_forms)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_mmio64);
	x86_enter_long_mode(vm, GUEST_ENTRY);
	run_steps(vm, steps64, ARRAY_SIZE(steps64));
	check64(vm);
	test_vm_free(vm);
}

/* The code runs at VA 1 GiB + 0x1000 (4 KiB pages to GPA 0x1000). */
TEST(mmio_fetch_through_guest_paging)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_mmio64);
	x86_enter_long_mode(vm, GUEST_ENTRY);
	x86_map_high_alias(vm);
	x86_set_rip(vcpu, 0x40000000ULL + GUEST_ENTRY);
	run_steps(vm, steps64, ARRAY_SIZE(steps64));
	check64(vm);
	test_vm_free(vm);
}

static const struct mmio_step steps32[] = {
	{ 1, 0x100004, 4, RCX, 0, 0, 0x89abcdef },
	{ 1, 0x100008, 2, -1, 0, 0, 0x1234 },
	{ 0, 0x10000c, 1, RDX, 4, 1, 0x80 },
	{ 0, 0x100010, 2, RAX, 2, 0, 0xbeef },
};

/*
 * 32-bit paging, code at VA 0x40001000: 4 MiB pages (CR4.PSE), or PAE with
 * the alias through 4 KiB pages.  The decoder walks the guest's tables.
 */
static void run_mmio32_paged(bool pae)
{
	struct axvcpu_x86_sregs s;
	struct test_vm t;

	TEST_VM_WITH(&t, g_mmio32);
	x86_enter_prot_mode(&t, GUEST_ENTRY);
	x86_get_sregs(&t.vcpu, &s);
	if (pae) {
		__u64 *pdpt = x86_gpa(&t, X86_PDPT_GPA);

		x86_map_high_alias(&t);
		pdpt[0] = X86_PD_GPA | 1;	/* PDPTEs: no RW bit */
		pdpt[1] = X86_PD2_GPA | 1;
		pdpt[2] = pdpt[3] = 0;
		s.cr3 = X86_PDPT_GPA;
		s.cr4 |= X86_CR4_PAE;
	} else {
		__u32 *pd = x86_gpa(&t, X86_PML4_GPA);

		memset(pd, 0, 0x1000);
		pd[0] = 0x83;			/* 0..4 MiB -> 0, PS */
		pd[0x100] = 0x83;		/* 1 GiB.. -> 0 */
		s.cr3 = X86_PML4_GPA;
		s.cr4 |= 1ULL << 4;		/* PSE */
	}
	s.cr0 |= X86_CR0_PG;
	x86_set_sregs(&t.vcpu, &s);
	x86_set_rip(&t.vcpu, 0x40000000ULL + GUEST_ENTRY);
	run_steps(&t, steps32, ARRAY_SIZE(steps32));
	TEST_ASSERT_EQ(guest_rd32(&t, 0x8000), 0xffffff80);
	TEST_ASSERT_EQ(guest_rd32(&t, 0x8004), 0x1111beef);
	test_vm_destroy(&t);
}

TEST(mmio_32bit_paging_pse)
{
	run_mmio32_paged(false);
}

TEST(mmio_32bit_pae_paging)
{
	run_mmio32_paged(true);
}

/*
 * Documentation/axvcpu.rst: "The register, width and sign extension are
 * the module's own copy of the decoded exit: changing them in the run
 * struct has no effect."  MOV %es:0x42, %si with exit_reason, reg, width
 * and sign_ext rewritten by the VMM: SI still gets the answer, nothing
 * else changes, and the vcpu stays usable.
 */
TEST(mmio_completion_ignores_run_struct_edits)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, g_mmio16);
	run = vcpu->run;
	for (i = 0; i < 7; i++) {	/* the writes, then the DL read */
		vcpu_run(vcpu);
		if (!run->mmio.is_write)
			run->mmio.data = 0x81;
	}
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_MMIO_READ);
	TEST_ASSERT_EQ(run->mmio.addr, 0x20042);
	TEST_ASSERT_EQ(run->mmio.reg, RSI);
	run->mmio.data = 0x8001;
	run->exit_reason = AXVCPU_EXIT_HYPERCALL;
	run->mmio.reg = RBP;
	run->mmio.width = 1;
	run->mmio.reg_width = 8;
	run->mmio.sign_ext = 1;
	vcpu_run(vcpu);	/* completes into SI, then reads EBP */
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_MMIO_READ);
	TEST_ASSERT_EQ(run->mmio.addr, 0x20044);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, RBP), 0);
	TEST_ASSERT_EQ(vcpu_get_gpr(vcpu, RSI), 0xffff8001);
	vcpu_assert_state(vcpu, AXVCPU_STATE_READY);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
