// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu_config (aarch64) - the arm64 create and setup parameters, and guest
 * system registers from the VMM:
 *  - create config: mpidr is what the guest reads from MPIDR_EL1, dtb_addr
 *    is in x0 at the guest's first instruction;
 *  - AXVCPU_ARM64_SET_SYSREG is what the guest reads, what the guest writes
 *    is what AXVCPU_ARM64_GET_SYSREG returns; unknown register -> -ENOENT;
 *  - setup config passthrough_timer: the guest programs the EL1 physical
 *    timer without a single trap, and takes its interrupt (INTID 30).
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

#define TEST_MPIDR	0x0000000100000203ULL	/* Aff2 0, Aff1 2, Aff0 3, Aff3 1 */
#define TEST_DTB	0x40200000ULL
#define MPIDR_AFF_MASK	0xff00ffffffULL
#define TPIDR_EL1_ID	SYSREG_ID(3, 0, 13, 0, 4)

GUEST_CODE(guest_cfg);
GUEST_CODE(guest_tpidr);
GUEST_CODE(guest_ptimer);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 16\n"
    ".global guest_cfg_start, guest_cfg_end\n"
    "guest_cfg_start:\n"
    "	mov x2, x0\n"				/* dtb_addr, before x0 is used */
    "	mrs x1, mpidr_el1\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"
    "1:	b 1b\n"
    "guest_cfg_end:\n"

    ".balign 16\n"
    ".global guest_tpidr_start, guest_tpidr_end\n"
    "guest_tpidr_start:\n"
    "	mrs x1, tpidr_el1\n"
    MOV64("x3", "0x5a5aa5a512344321")
    "	msr tpidr_el1, x3\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"
    "1:	b 1b\n"
    "guest_tpidr_end:\n"

    ".balign 2048\n"
    ".global guest_ptimer_start, guest_ptimer_end\n"
    "guest_ptimer_start:\n"
    GUEST_SET_VBAR(ptimer_vectors)
    GUEST_GIC_ENABLE
    "	mrs x1, cntfrq_el0\n"
    "	lsr x1, x1, #7\n"			/* about 8 ms */
    "	isb\n"
    "	mrs x2, cntpct_el0\n"
    "	add x2, x2, x1\n"
    "	msr cntp_cval_el0, x2\n"
    "	mov x0, #1\n"				/* ENABLE, not masked */
    "	msr cntp_ctl_el0, x0\n"
    "	isb\n"
    "	msr daifclr, #2\n"
    "1:	b 1b\n"
    GUEST_VECTORS(ptimer_vectors)
    "guest_ptimer_end:\n"
    ".popsection\n");

/* A VM with the guest code in slot 0 and vcpu 0 created with @cfg. */
static void vm_with_cfg(struct test_vm *t, const void *code, size_t len,
			const struct axvcpu_vcpu_create *cfg)
{
	int r;

	t->sys_fd = open_dev();
	vm_create(&t->vm, t->sys_fd);
	t->mem = axvm_mem_alloc(GUEST_MEM_SIZE);
	TEST_ASSERT(t->mem, "mmap guest memory");
	memcpy(t->mem + (GUEST_ENTRY - GUEST_MEM_GPA), code, len);
	vm_set_region(&t->vm, 0, 0, GUEST_MEM_GPA, GUEST_MEM_SIZE, t->mem);
	/* The vcpu fd and its run struct, mapped once. */
	r = axvm_vcpu_create(&t->vm, &t->vcpu, 0, cfg);
	TEST_ASSERT(r == 0, "CREATE_VCPU or mmap run: %d (%s)", r, errno_name(-r));
	TEST_ASSERT(t->vcpu.run, "no run struct");
}

static void setup_bind(struct test_vm *t, const struct axvcpu_vcpu_setup *cfg)
{
	int r = axvm_vcpu_setup(&t->vcpu, GUEST_ENTRY, cfg);

	TEST_ASSERT(r == 0, "SETUP: %d (%s)", r, errno_name(-r));
	vcpu_bind(&t->vcpu);
	vcpu_assert_state(&t->vcpu, AXVCPU_STATE_READY);
}

TEST(create_config_mpidr_and_dtb)
{
	struct axvcpu_vcpu_create cfg = { .vcpu_id = 0 };
	struct axvcpu_run *run;
	struct test_vm t;

	cfg.arm64.mpidr = TEST_MPIDR;
	cfg.arm64.dtb_addr = TEST_DTB;
	vm_with_cfg(&t, guest_cfg_start, GUEST_CODE_LEN(guest_cfg), &cfg);
	setup_bind(&t, NULL);

	run = run_expect_hcall_to(&t.vcpu, GH_REPORT, 10);
	TEST_ASSERT((run->hypercall.args[0] & MPIDR_AFF_MASK) == TEST_MPIDR,
		    "guest MPIDR_EL1 %#llx, create config mpidr %#llx",
		    (unsigned long long)run->hypercall.args[0], TEST_MPIDR);
	TEST_ASSERT(run->hypercall.args[1] == TEST_DTB,
		    "guest x0 at entry %#llx, create config dtb_addr %#llx",
		    (unsigned long long)run->hypercall.args[1], TEST_DTB);
	test_vm_destroy(&t);
}

TEST(sysreg_set_get_round_trip)
{
	struct axvcpu_arm64_sysreg reg = { .id = TPIDR_EL1_ID,
					   .value = 0x1122334455667788ULL };
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int r;

	vm = vm_create_with_one_vcpu(&vcpu, guest_tpidr);
	r = ioctl(vcpu->fd, AXVCPU_ARM64_SET_SYSREG, &reg);
	TEST_ASSERT(r == 0, "SET_SYSREG TPIDR_EL1: %d errno %d (%s)", r, errno,
		    errno_name(errno));

	run = run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT(run->hypercall.args[0] == 0x1122334455667788ULL,
		    "guest read TPIDR_EL1 %#llx after SET_SYSREG",
		    (unsigned long long)run->hypercall.args[0]);

	memset(&reg, 0, sizeof(reg));
	reg.id = TPIDR_EL1_ID;
	r = ioctl(vcpu->fd, AXVCPU_ARM64_GET_SYSREG, &reg);
	TEST_ASSERT(r == 0, "GET_SYSREG TPIDR_EL1: %d errno %d (%s)", r, errno,
		    errno_name(errno));
	TEST_ASSERT(reg.value == 0x5a5aa5a512344321ULL,
		    "GET_SYSREG TPIDR_EL1 %#llx, the guest wrote 0x5a5aa5a512344321",
		    (unsigned long long)reg.value);

	reg.id = SYSREG_ID(3, 7, 15, 15, 7);	/* IMPLEMENTATION DEFINED space */
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_ARM64_GET_SYSREG, &reg),
				ENOENT);
	TEST_ASSERT_SYSCALL_ERR(ioctl(vcpu->fd, AXVCPU_ARM64_SET_SYSREG, &reg),
				ENOENT);
	test_vm_free(vm);
}

TEST(passthrough_timer_fires_without_traps)
{
	struct axvcpu_vcpu_setup setup = { 0 };
	struct axvcpu_vcpu_create cfg = { .vcpu_id = 0 };
	struct axvcpu_run *run;
	struct test_vm t;

	setup.arm64.passthrough_timer = 1;
	vm_with_cfg(&t, guest_ptimer_start, GUEST_CODE_LEN(guest_ptimer), &cfg);
	setup_bind(&t, &setup);

	/* The first exit to the VMM is the interrupt: no CNTP_* trap before. */
	run = run_expect_hcall_to(&t.vcpu, GH_IRQ, 10);
	TEST_ASSERT(run->hypercall.args[0] == 30,
		    "guest acknowledged INTID %llu, expected the physical timer (30)",
		    (unsigned long long)run->hypercall.args[0]);
	TEST_ASSERT(run->stats.exits[AXVCPU_EXIT_SYSREG_READ] == 0 &&
		    run->stats.exits[AXVCPU_EXIT_SYSREG_WRITE] == 0,
		    "CNTP_* trapped to the VMM with passthrough_timer (%llu reads, %llu writes)",
		    (unsigned long long)run->stats.exits[AXVCPU_EXIT_SYSREG_READ],
		    (unsigned long long)run->stats.exits[AXVCPU_EXIT_SYSREG_WRITE]);
	test_vm_destroy(&t);
}

TEST_HARNESS_MAIN
