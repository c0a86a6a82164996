// SPDX-License-Identifier: GPL-2.0
/*
 * abi_layout - the uapi structs have the same size and field offsets on every
 * architecture and compiler (they are the ABI), the run struct fits its page,
 * and the ioctl numbers are distinct and encode the right sizes.  Pure
 * userspace: runs on the build host (make unit) and inside each emulator.
 */
#include <stddef.h>
#include <linux/ioctl.h>

#include "kselftest_harness.h"
#include <axvcpu.h>

#define CHECK_SIZE(t, sz)	ASSERT_EQ((sz), sizeof(t))
#define CHECK_OFF(t, f, off)	ASSERT_EQ((off), offsetof(t, f))

TEST(memory_region_layout)
{
	CHECK_SIZE(struct axvcpu_memory_region, 32);
	CHECK_OFF(struct axvcpu_memory_region, slot, 0);
	CHECK_OFF(struct axvcpu_memory_region, flags, 4);
	CHECK_OFF(struct axvcpu_memory_region, guest_phys_addr, 8);
	CHECK_OFF(struct axvcpu_memory_region, memory_size, 16);
	CHECK_OFF(struct axvcpu_memory_region, userspace_addr, 24);
	CHECK_SIZE(struct axvcpu_dirty_log, 16);
	CHECK_OFF(struct axvcpu_dirty_log, slot, 0);
	CHECK_OFF(struct axvcpu_dirty_log, pad, 4);
	CHECK_OFF(struct axvcpu_dirty_log, bitmap, 8);
}

/* KVM's binary stats layout: struct kvm_stats_header / kvm_stats_desc. */
TEST(stats_layout)
{
	CHECK_SIZE(struct axvcpu_stats_header, 24);
	CHECK_OFF(struct axvcpu_stats_header, flags, 0);
	CHECK_OFF(struct axvcpu_stats_header, name_size, 4);
	CHECK_OFF(struct axvcpu_stats_header, num_desc, 8);
	CHECK_OFF(struct axvcpu_stats_header, id_offset, 12);
	CHECK_OFF(struct axvcpu_stats_header, desc_offset, 16);
	CHECK_OFF(struct axvcpu_stats_header, data_offset, 20);
	CHECK_SIZE(struct axvcpu_stats_desc, 16);
	CHECK_OFF(struct axvcpu_stats_desc, flags, 0);
	CHECK_OFF(struct axvcpu_stats_desc, exponent, 4);
	CHECK_OFF(struct axvcpu_stats_desc, size, 6);
	CHECK_OFF(struct axvcpu_stats_desc, offset, 8);
	CHECK_OFF(struct axvcpu_stats_desc, reserved, 12);
	CHECK_OFF(struct axvcpu_stats_desc, name, 16);
	/* Names and the values after them stay 8-byte aligned. */
	ASSERT_EQ(0, AXVCPU_STATS_NAME_SIZE % 8);
}

TEST(vcpu_config_layout)
{
	CHECK_SIZE(struct axvcpu_vcpu_create, 72);
	CHECK_OFF(struct axvcpu_vcpu_create, vcpu_id, 0);
	CHECK_OFF(struct axvcpu_vcpu_create, flags, 4);
	CHECK_OFF(struct axvcpu_vcpu_create, arm64.mpidr, 8);
	CHECK_OFF(struct axvcpu_vcpu_create, arm64.dtb_addr, 16);
	CHECK_OFF(struct axvcpu_vcpu_create, pad, 8);

	CHECK_SIZE(struct axvcpu_vcpu_setup, 80);
	CHECK_OFF(struct axvcpu_vcpu_setup, entry, 0);
	CHECK_OFF(struct axvcpu_vcpu_setup, flags, 8);
	CHECK_OFF(struct axvcpu_vcpu_setup, reserved, 12);
	CHECK_OFF(struct axvcpu_vcpu_setup, arm64.passthrough_interrupt, 16);
	CHECK_OFF(struct axvcpu_vcpu_setup, arm64.passthrough_timer, 17);
	CHECK_OFF(struct axvcpu_vcpu_setup, pad, 16);

	CHECK_SIZE(struct axvcpu_gpr, 16);
	CHECK_OFF(struct axvcpu_gpr, value, 8);
	CHECK_SIZE(struct axvcpu_interrupt, 16);
	CHECK_OFF(struct axvcpu_interrupt, error_code, 8);
}

TEST(register_file_layout)
{
	CHECK_SIZE(struct axvcpu_x86_regs, 18 * 8);
	CHECK_OFF(struct axvcpu_x86_regs, r8, 64);
	CHECK_OFF(struct axvcpu_x86_regs, rip, 128);
	CHECK_SIZE(struct axvcpu_x86_segment, 24);
	CHECK_OFF(struct axvcpu_x86_segment, selector, 12);
	CHECK_OFF(struct axvcpu_x86_segment, ar, 16);
	CHECK_SIZE(struct axvcpu_x86_dtable, 16);
	CHECK_SIZE(struct axvcpu_x86_sregs, 8 * 24 + 2 * 16 + 7 * 8 + 8 * 8);
	CHECK_OFF(struct axvcpu_x86_sregs, gdt, 8 * 24);
	CHECK_OFF(struct axvcpu_x86_sregs, cr0, 8 * 24 + 32);
	CHECK_OFF(struct axvcpu_x86_sregs, efer, 8 * 24 + 32 + 5 * 8);
	CHECK_SIZE(struct axvcpu_arm64_regs, 35 * 8);
	CHECK_OFF(struct axvcpu_arm64_regs, sp_el1, 31 * 8);
	CHECK_OFF(struct axvcpu_arm64_regs, pc, 32 * 8);
	CHECK_OFF(struct axvcpu_arm64_regs, sp_el0, 34 * 8);
}

TEST(run_struct_layout)
{
	ASSERT_LE(sizeof(struct axvcpu_run), AXVCPU_RUN_SIZE);
	CHECK_OFF(struct axvcpu_run, immediate_exit, 0);
	CHECK_OFF(struct axvcpu_run, exit_reason, 4);
	CHECK_OFF(struct axvcpu_run, hw_reason, 8);
	CHECK_OFF(struct axvcpu_run, hw_qualification, 16);
	CHECK_OFF(struct axvcpu_run, hw_extra, 24);
	CHECK_OFF(struct axvcpu_run, hw_rip, 32);
	/* The union at a fixed offset, 256 bytes, then the stats. */
	CHECK_OFF(struct axvcpu_run, hypercall, 64);
	CHECK_OFF(struct axvcpu_run, padding, 64);
	CHECK_OFF(struct axvcpu_run, stats, 64 + 256);
	CHECK_OFF(struct axvcpu_run, hypercall.nr, 64);
	CHECK_OFF(struct axvcpu_run, hypercall.args, 72);
	CHECK_OFF(struct axvcpu_run, hypercall.ret, 120);
	CHECK_OFF(struct axvcpu_run, mmio.addr, 64);
	CHECK_OFF(struct axvcpu_run, mmio.width, 72);
	CHECK_OFF(struct axvcpu_run, mmio.reg, 76);
	CHECK_OFF(struct axvcpu_run, mmio.reg_width, 80);
	CHECK_OFF(struct axvcpu_run, mmio.is_write, 84);
	CHECK_OFF(struct axvcpu_run, mmio.sign_ext, 85);
	CHECK_OFF(struct axvcpu_run, mmio.data, 88);
	CHECK_OFF(struct axvcpu_run, sysreg.is_write, 76);
	CHECK_OFF(struct axvcpu_run, sysreg.fault, 77);
	CHECK_OFF(struct axvcpu_run, sysreg.value, 80);
	CHECK_OFF(struct axvcpu_run, io.port, 64);
	CHECK_OFF(struct axvcpu_run, io.width, 66);
	CHECK_OFF(struct axvcpu_run, io.is_write, 67);
	CHECK_OFF(struct axvcpu_run, io.data, 72);
	CHECK_OFF(struct axvcpu_run, send_ipi.vector, 88);
	CHECK_OFF(struct axvcpu_run, internal.data, 72);
	CHECK_SIZE(struct axvcpu_run_stats, 8 + 24 * 8 + AXVCPU_BUILTIN_NR * 8);
	ASSERT_LE(AXVCPU_EXIT_NR, 24);
}

static const struct {
	const char *name;
	unsigned long nr;
	size_t size;
} ioctls[] = {
#define IOC(n, sz) { #n, n, sz }
	IOC(AXVCPU_GET_API_VERSION, 0),
	IOC(AXVCPU_CHECK_EXTENSION, 0),
	IOC(AXVCPU_CREATE_VM, 0),
	IOC(AXVCPU_SET_MEMORY_REGION, sizeof(struct axvcpu_memory_region)),
	IOC(AXVCPU_CREATE_VCPU, sizeof(struct axvcpu_vcpu_create)),
	IOC(AXVCPU_GET_DIRTY_LOG, sizeof(struct axvcpu_dirty_log)),
	IOC(AXVCPU_GET_STATS_FD, 0),
	IOC(AXVCPU_SETUP, sizeof(struct axvcpu_vcpu_setup)),
	IOC(AXVCPU_BIND, 0),
	IOC(AXVCPU_UNBIND, 0),
	IOC(AXVCPU_RUN, 0),
	IOC(AXVCPU_GET_STATE, 4),
	IOC(AXVCPU_SET_GPR, sizeof(struct axvcpu_gpr)),
	IOC(AXVCPU_GET_GPR, sizeof(struct axvcpu_gpr)),
	IOC(AXVCPU_SET_RETURN_VALUE, 8),
	IOC(AXVCPU_INJECT_INTERRUPT, sizeof(struct axvcpu_interrupt)),
	IOC(AXVCPU_GET_X86_REGS, sizeof(struct axvcpu_x86_regs)),
	IOC(AXVCPU_SET_X86_REGS, sizeof(struct axvcpu_x86_regs)),
	IOC(AXVCPU_GET_X86_SREGS, sizeof(struct axvcpu_x86_sregs)),
	IOC(AXVCPU_SET_X86_SREGS, sizeof(struct axvcpu_x86_sregs)),
	IOC(AXVCPU_GET_ARM64_REGS, sizeof(struct axvcpu_arm64_regs)),
	IOC(AXVCPU_SET_ARM64_REGS, sizeof(struct axvcpu_arm64_regs)),
#undef IOC
};

TEST(ioctl_numbers)
{
	size_t i, j;

	for (i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		ASSERT_EQ(AXVCPUIO, _IOC_TYPE(ioctls[i].nr));
		ASSERT_EQ(ioctls[i].size, _IOC_SIZE(ioctls[i].nr));
		for (j = 0; j < i; j++) {
			ASSERT_NE(ioctls[i].nr, ioctls[j].nr);
			/* Distinct command numbers, not just distinct sizes. */
			ASSERT_NE(_IOC_NR(ioctls[i].nr), _IOC_NR(ioctls[j].nr));
		}
	}
}

TEST_HARNESS_MAIN
