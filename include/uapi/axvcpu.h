/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * axvcpu - hardware virtual CPUs for a userspace VMM.
 *
 * The ABI between the axvcpu module and userspace.  It is the Linux form of
 * the ArceOS vCPU layer (the Rust crates axvcpu, x86_vcpu and arm_vcpu): the
 * same objects, the same vCPU life cycle and the same exit reasons.  See
 * Documentation/axvcpu.rst for every ioctl, field and errno.
 *
 * Three kinds of file descriptor:
 *  - the system fd, from open("/dev/axvcpu");
 *  - a VM fd, from AXVCPU_CREATE_VM on the system fd;
 *  - a vcpu fd, from AXVCPU_CREATE_VCPU on a VM fd.  mmap() of a vcpu fd at
 *    offset 0 gives its struct axvcpu_run.
 */
#ifndef _UAPI_AXVCPU_H
#define _UAPI_AXVCPU_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define AXVCPU_API_VERSION	1

/* 0xA8 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define AXVCPUIO		0xA8

/* Limits, also reported by AXVCPU_CHECK_EXTENSION. */
#define AXVCPU_MAX_VCPUS	64
#define AXVCPU_MAX_MEMSLOTS	32

/**
 * enum axvcpu_state - life-cycle state of a vcpu (AXVCPU_GET_STATE).
 * @AXVCPU_STATE_INVALID: a wrong-state call or a failed arch step happened;
 *	terminal, every life-cycle ioctl now fails with -EBADFD.
 * @AXVCPU_STATE_CREATED: after AXVCPU_CREATE_VCPU.
 * @AXVCPU_STATE_FREE: after AXVCPU_SETUP or AXVCPU_UNBIND.
 * @AXVCPU_STATE_READY: after AXVCPU_BIND, and after each AXVCPU_RUN.
 * @AXVCPU_STATE_RUNNING: while AXVCPU_RUN is inside the module.
 * @AXVCPU_STATE_BLOCKED: reserved: no ioctl enters it (a halted guest's
 *	vcpu stays RUNNING inside RUN, or READY between RUNs).
 *
 * The values are ABI (AXVCPU_GET_STATE returns them) and never change.
 */
enum axvcpu_state {
	AXVCPU_STATE_INVALID = 0,
	AXVCPU_STATE_CREATED = 1,
	AXVCPU_STATE_FREE = 2,
	AXVCPU_STATE_READY = 3,
	AXVCPU_STATE_RUNNING = 4,
	AXVCPU_STATE_BLOCKED = 5,
};

/* Capabilities for AXVCPU_CHECK_EXTENSION; 0 means "not supported". */
#define AXVCPU_CAP_NR_VCPUS		1	/* max vcpus per VM */
#define AXVCPU_CAP_NR_MEMSLOTS		2	/* memory slots per VM */
#define AXVCPU_CAP_READONLY_MEM		3	/* AXVCPU_MEM_READONLY works */
#define AXVCPU_CAP_ARCH			4	/* AXVCPU_ARCH_* of this host */
#define AXVCPU_CAP_IMMEDIATE_EXIT	5	/* axvcpu_run.immediate_exit */
#define AXVCPU_CAP_MAX_GPA_BITS		6	/* guest-physical address bits */
#define AXVCPU_CAP_RUN_SIZE		7	/* bytes to mmap from a vcpu fd */
#define AXVCPU_CAP_X86_WAIT_SIPI	8	/* AXVCPU_SETUP_X86_WAIT_SIPI works */
#define AXVCPU_CAP_HALT_IN_KERNEL	9	/* AXVCPU_SETUP_HALT_IN_KERNEL works */
#define AXVCPU_CAP_STATS_FD		10	/* AXVCPU_GET_STATS_FD works */

#define AXVCPU_ARCH_X86_64	1
#define AXVCPU_ARCH_ARM64	2

/*
 * Sizes of the ABI's arrays.  Each is part of the layout: a new module
 * keeps them, and uses reserved space rather than growing a struct.  The
 * explicit padding fields (pad, pad0, reserved) are sized by the alignment
 * of what follows them, or to round a struct up, and must be zero.
 */
#define AXVCPU_ARCH_CFG_WORDS	8	/* arch union of create/setup configs */
#define AXVCPU_IRQ_STATE_WORDS	16	/* 1024 interrupts, a bit each */
#define AXVCPU_ARM64_NR_X	31	/* X0..X30 */
#define AXVCPU_HYPERCALL_ARGS	6	/* hypercall.args[] */
#define AXVCPU_INTERNAL_DATA	8	/* internal.data[] */
#define AXVCPU_RUN_EXIT_SIZE	256	/* bytes of axvcpu_run's exit union */
#define AXVCPU_RUN_STATS_EXITS	24	/* stats.exits[]: AXVCPU_EXIT_NR and room */

/**
 * struct axvcpu_memory_region - one guest-physical memory slot.
 * @slot: slot number, below AXVCPU_MAX_MEMSLOTS.
 * @flags: AXVCPU_MEM_* flags.
 * @guest_phys_addr: guest-physical base, page aligned.
 * @memory_size: bytes, page aligned; 0 deletes the slot.
 * @userspace_addr: page-aligned address of the backing memory in the
 *	calling process.  Nothing is pinned: the guest sees what the VMM has
 *	mapped there at the time of each access (Documentation/axvcpu.rst).
 */
struct axvcpu_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

#define AXVCPU_MEM_READONLY	(1U << 0)
#define AXVCPU_MEM_LOG_DIRTY	(1U << 1)	/* AXVCPU_GET_DIRTY_LOG works */

/**
 * struct axvcpu_dirty_log - AXVCPU_GET_DIRTY_LOG argument.
 * @slot: a slot created with AXVCPU_MEM_LOG_DIRTY.
 * @pad: reserved, must be 0.
 * @bitmap: user address of (npages + 63) / 64 __u64 words; bit i of word
 *	j is page 64 * j + i of the slot, set when the guest wrote the page
 *	since the slot was created or since the last AXVCPU_GET_DIRTY_LOG.
 */
struct axvcpu_dirty_log {
	__u32 slot;
	__u32 pad;
	__u64 bitmap;
};

/**
 * struct axvcpu_vcpu_create - AXVCPU_CREATE_VCPU argument.
 * @vcpu_id: index of the vcpu in its VM, below AXVCPU_MAX_VCPUS.
 * @flags: must be 0.
 * @arm64: the arm64 create parameters.
 * @arm64.mpidr: value for VMPIDR_EL2 (the guest's MPIDR_EL1).
 * @arm64.dtb_addr: guest-physical address put into x0 at setup.
 * @pad: reserved, must be 0.
 *
 * x86 has no create parameters (its vcpus get their APIC ID from
 * @vcpu_id): the union must be zero there.
 */
struct axvcpu_vcpu_create {
	__u32 vcpu_id;
	__u32 flags;
	union {
		struct {
			__u64 mpidr;
			__u64 dtb_addr;
		} arm64;
		__u64 pad[AXVCPU_ARCH_CFG_WORDS];
	};
};

/**
 * struct axvcpu_vcpu_setup - AXVCPU_SETUP argument.
 * @entry: guest-physical entry point (x86: RIP in real mode with CS base 0;
 *	arm64: PC at EL1h with the MMU off).
 * @flags: 0, or on x86 AXVCPU_SETUP_X86_WAIT_SIPI: the vcpu starts in
 *	wait-for-SIPI.  Its RUN sleeps (a signal ends it with
 *	AXVCPU_EXIT_INTR) until another vcpu of the VM sends it INIT then
 *	SIPI through its local APIC; it then starts in real mode at
 *	CS = vector << 8, IP = 0, and @entry is not used.  INIT and SIPI
 *	for such a vcpu never reach the VMM as AXVCPU_EXIT_CPU_UP, and a
 *	later INIT puts it back in wait-for-SIPI (SDM Vol. 3A 9.4.4).
 *	AXVCPU_SETUP_HALT_IN_KERNEL (AXVCPU_CAP_HALT_IN_KERNEL), both arches:
 *	a WFI, or an x86 HLT with RFLAGS.IF set, does not exit to the VMM
 *	as AXVCPU_EXIT_HALT: RUN sleeps in the module until an interrupt
 *	for the vcpu is pending (AXVCPU_INJECT_INTERRUPT, an irqfd, the
 *	vcpu's own timer, an IPI of another vcpu) and then enters the guest
 *	again; each such wait counts in stats.builtin[AXVCPU_BUILTIN_HALT].
 *	A signal or immediate_exit ends RUN with AXVCPU_EXIT_INTR as
 *	always; the guest stays halted and the next RUN waits on.  An x86
 *	HLT with IF clear still exits (only an NMI or INIT ends it, and the
 *	VMM decides whether one can come).
 * @arm64: the arm64 setup parameters.
 * @arm64.passthrough_interrupt: refused with -EOPNOTSUPP: a Linux host cannot
 *	hand its interrupt controller to a guest.
 * @reserved: must be 0.
 * @arm64.passthrough_timer: give the guest direct EL1 physical timer access.
 * @pad: reserved, must be 0.
 */
struct axvcpu_vcpu_setup {
	__u64 entry;
	__u32 flags;
	__u32 reserved;
	union {
		struct {
			__u8 passthrough_interrupt;
			__u8 passthrough_timer;
			__u8 pad[6];
		} arm64;
		__u64 pad[AXVCPU_ARCH_CFG_WORDS];
	};
};

#define AXVCPU_SETUP_X86_WAIT_SIPI	(1U << 0)
#define AXVCPU_SETUP_HALT_IN_KERNEL	(1U << 1)

/**
 * struct axvcpu_gpr - AXVCPU_SET_GPR / AXVCPU_GET_GPR argument.
 * @index: register number.  x86: the number of the instruction
 *	encoding's register fields (ModR/M reg with REX.R), which VM-exit
 *	qualifications use too: 0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp, 5 rbp,
 *	6 rsi, 7 rdi, 8..15 r8..r15.  arm64:
 *	0..30 x0..x30; 31 is XZR (writes ignored, reads 0).
 * @pad: must be 0.
 * @value: the value.
 */
struct axvcpu_gpr {
	__u32 index;
	__u32 pad;
	__u64 value;
};

/**
 * struct axvcpu_interrupt - AXVCPU_INJECT_INTERRUPT argument.
 * @vector: x86: vector 0..255; arm64: GIC INTID (SGI, PPI or SPI).
 * @flags: AXVCPU_IRQ_* flags (x86: AXVCPU_IRQ_NMI for an NMI).
 * @error_code: x86 exception error code, used with AXVCPU_IRQ_ERROR_CODE.
 * @pad: must be 0.
 *
 * Safe to call from any thread while the vcpu runs: the interrupt is
 * queued and the vcpu is kicked.
 */
struct axvcpu_interrupt {
	__u32 vector;
	__u32 flags;
	__u32 error_code;
	__u32 pad;
};

/**
 * struct axvcpu_irq_state - AXVCPU_GET_IRQ_STATE result.
 * @pending: bit n (of word n / 64) set: interrupt n is pending for the vcpu.
 * @active: bit n set: interrupt n is active (acknowledged by the guest, not
 *	yet deactivated).
 *
 * arm64: INTIDs 0..1019, as the module holds them: queued by
 * AXVCPU_INJECT_INTERRUPT or in a list register (pending, active, or both),
 * what a VMM's GICD/GICR I[SC]PENDR and I[SC]ACTIVER registers show.
 * x86: vectors 0..255 of the local APIC: IRR (and vectors injected but not
 * merged into it yet) as pending, ISR as active.
 * A snapshot: the guest may change it the next moment.
 */
struct axvcpu_irq_state {
	__u64 pending[AXVCPU_IRQ_STATE_WORDS];
	__u64 active[AXVCPU_IRQ_STATE_WORDS];
};

/**
 * struct axvcpu_ioeventfd - AXVCPU_IOEVENTFD argument.
 * @addr: guest-physical MMIO address, or with AXVCPU_IOEVENTFD_PIO an x86
 *	I/O port.
 * @datamatch: with AXVCPU_IOEVENTFD_DATAMATCH, only a write of this value
 *	(of @len bytes) matches.
 * @len: the access width that matches: 1, 2, 4 or 8 (ports: up to 4);
 *	0 any (not with DATAMATCH).
 * @fd: the eventfd to signal.
 * @flags: AXVCPU_IOEVENTFD_*.
 * @pad: must be 0.
 *
 * A guest write that matches signals @fd and completes in the module: the
 * VMM sees no exit for it.  Reads are not matched.
 */
struct axvcpu_ioeventfd {
	__u64 addr;
	__u64 datamatch;
	__u32 len;
	__s32 fd;
	__u32 flags;
	__u32 pad;
};

#define AXVCPU_IOEVENTFD_DATAMATCH	(1U << 0)
#define AXVCPU_IOEVENTFD_PIO		(1U << 1)
#define AXVCPU_IOEVENTFD_DEASSIGN	(1U << 2)

/**
 * struct axvcpu_irqfd - AXVCPU_IRQFD argument.
 * @fd: the eventfd.
 * @vcpu_id: the vcpu to interrupt.
 * @vector: the interrupt, as in struct axvcpu_interrupt (arm64: the
 *	INTID; x86: the vector).
 * @irq_flags: AXVCPU_IRQ_* flags, as in struct axvcpu_interrupt.
 * @error_code: x86: the error code pushed with AXVCPU_IRQ_ERROR_CODE.
 * @flags: AXVCPU_IRQFD_DEASSIGN to remove the one with this @fd,
 *	@vcpu_id and @vector.
 * @pad: must be 0.
 *
 * Each signal on @fd injects the interrupt into the vcpu (and kicks it),
 * with no VMM thread in between.
 */
struct axvcpu_irqfd {
	__s32 fd;
	__u32 vcpu_id;
	__u32 vector;
	__u32 irq_flags;
	__u32 error_code;
	__u32 flags;
	__u64 pad[2];
};

#define AXVCPU_IRQFD_DEASSIGN		(1U << 0)

#define AXVCPU_IRQ_EXCEPTION	(1U << 0)	/* x86: a hardware exception */
#define AXVCPU_IRQ_ERROR_CODE	(1U << 1)	/* x86: push error_code */
/*
 * x86: a non-maskable interrupt, alone, with vector 2.  Held while the
 * guest handles an earlier NMI (until its IRET: one more waits, others
 * are lost) or is in a MOV SS / STI shadow; IF does not hold it.
 */
#define AXVCPU_IRQ_NMI		(1U << 2)

/*
 * Exit reasons (struct axvcpu_run.exit_reason): what the guest did that
 * the VMM handles, plus the two a Linux host needs (INTR: a signal or
 * immediate_exit; INTERNAL_ERROR: an exit the module cannot handle).
 */
#define AXVCPU_EXIT_NOTHING		0
#define AXVCPU_EXIT_HYPERCALL		1
#define AXVCPU_EXIT_MMIO_READ		2
#define AXVCPU_EXIT_MMIO_WRITE		3
#define AXVCPU_EXIT_SYSREG_READ		4
#define AXVCPU_EXIT_SYSREG_WRITE	5
#define AXVCPU_EXIT_IO_READ		6
#define AXVCPU_EXIT_IO_WRITE		7
#define AXVCPU_EXIT_EXTERNAL_INTERRUPT	8
#define AXVCPU_EXIT_NESTED_PAGE_FAULT	9
#define AXVCPU_EXIT_HALT		10
#define AXVCPU_EXIT_CPU_UP		11
#define AXVCPU_EXIT_CPU_DOWN		12
#define AXVCPU_EXIT_SYSTEM_DOWN		13
#define AXVCPU_EXIT_SEND_IPI		14
#define AXVCPU_EXIT_FAIL_ENTRY		15
#define AXVCPU_EXIT_INTR		16
#define AXVCPU_EXIT_INTERNAL_ERROR	17
#define AXVCPU_EXIT_NR			18

/*
 * { reason, "NAME" } for every exit reason, as one braced initializer:
 * a table of names (the stats fd's, in lower case; a VMM's messages), so
 * that every user names an exit the same way.
 */
#define AXVCPU_EXIT_NAMES {						\
	{ AXVCPU_EXIT_NOTHING, "NOTHING" },				\
	{ AXVCPU_EXIT_HYPERCALL, "HYPERCALL" },				\
	{ AXVCPU_EXIT_MMIO_READ, "MMIO_READ" },				\
	{ AXVCPU_EXIT_MMIO_WRITE, "MMIO_WRITE" },			\
	{ AXVCPU_EXIT_SYSREG_READ, "SYSREG_READ" },			\
	{ AXVCPU_EXIT_SYSREG_WRITE, "SYSREG_WRITE" },			\
	{ AXVCPU_EXIT_IO_READ, "IO_READ" },				\
	{ AXVCPU_EXIT_IO_WRITE, "IO_WRITE" },				\
	{ AXVCPU_EXIT_EXTERNAL_INTERRUPT, "EXTERNAL_INTERRUPT" },	\
	{ AXVCPU_EXIT_NESTED_PAGE_FAULT, "NESTED_PAGE_FAULT" },		\
	{ AXVCPU_EXIT_HALT, "HALT" },					\
	{ AXVCPU_EXIT_CPU_UP, "CPU_UP" },				\
	{ AXVCPU_EXIT_CPU_DOWN, "CPU_DOWN" },				\
	{ AXVCPU_EXIT_SYSTEM_DOWN, "SYSTEM_DOWN" },			\
	{ AXVCPU_EXIT_SEND_IPI, "SEND_IPI" },				\
	{ AXVCPU_EXIT_FAIL_ENTRY, "FAIL_ENTRY" },			\
	{ AXVCPU_EXIT_INTR, "INTR" },					\
	{ AXVCPU_EXIT_INTERNAL_ERROR, "INTERNAL_ERROR" },		\
}

/*
 * What hypercall.ret holds until the VMM answers: -ENOSYS (38), "no such
 * hypercall", as a plain number so that both arches and userspace agree.
 */
#define AXVCPU_HYPERCALL_UNANSWERED	(-38)

/* Sub-codes of AXVCPU_EXIT_INTERNAL_ERROR. */
#define AXVCPU_INTERNAL_UNKNOWN_EXIT	1	/* data[0] = raw exit reason */
#define AXVCPU_INTERNAL_INVALID_STATE	2	/* guest state invalid */
#define AXVCPU_INTERNAL_UNHANDLED_IO	3	/* string/REP I/O */
#define AXVCPU_INTERNAL_EMULATION	4	/* cannot emulate */
#define AXVCPU_INTERNAL_UNKNOWN_ESR	5	/* data[0] = ESR_EL2 */
#define AXVCPU_INTERNAL_SERROR		6	/* data[0] = ESR_EL2 */
#define AXVCPU_INTERNAL_FIQ		7
/* x86: no VMX operation could be entered on data[0] = this CPU (rebooting) */
#define AXVCPU_INTERNAL_VMX_UNAVAILABLE	8
/*
 * x86: a machine check interrupted the VM entry (exit reason 41); the
 * host's machine-check handler has run.  data[0] = the raw exit reason.
 */
#define AXVCPU_INTERNAL_MACHINE_CHECK	9
/*
 * arm64: a synchronous external abort (a memory error) on a guest load,
 * store, fetch or table walk.  data[0] = ESR_EL2, data[1] = FAR_EL2 (the
 * guest VA; not valid when ESR.FnV is set), data[2] = the IPA, or ~0 when
 * unknown, data[3] = 1 when the host page behind it went to the kernel's
 * memory-failure handling.  The guest state is intact.
 */
#define AXVCPU_INTERNAL_SEA		10

/*
 * Access flags of a nested page fault: the access that faulted (x86: bits
 * 2:0 of the EPT-violation exit qualification; arm64: ESR_EL2.WnR of a
 * data abort, or an instruction abort).
 */
#define AXVCPU_ACCESS_READ	(1U << 0)
#define AXVCPU_ACCESS_WRITE	(1U << 1)
#define AXVCPU_ACCESS_EXECUTE	(1U << 2)

/* System-down types. */
#define AXVCPU_SYSTEM_DOWN_OFF		0
#define AXVCPU_SYSTEM_DOWN_RESET	1
#define AXVCPU_SYSTEM_DOWN_CRASH	2	/* x86 triple fault */

/* Built-in exits counted in axvcpu_run.stats.builtin[]. */
#define AXVCPU_BUILTIN_EXT_INTR		0
#define AXVCPU_BUILTIN_CPUID		1
#define AXVCPU_BUILTIN_XSETBV		2
#define AXVCPU_BUILTIN_CR_ACCESS	3
#define AXVCPU_BUILTIN_INTR_WINDOW	4
#define AXVCPU_BUILTIN_PREEMPT_TIMER	5
#define AXVCPU_BUILTIN_PSCI		6
#define AXVCPU_BUILTIN_SGI_READ		7
#define AXVCPU_BUILTIN_WFE		8
#define AXVCPU_BUILTIN_MSR		9
#define AXVCPU_BUILTIN_APIC		10
#define AXVCPU_BUILTIN_EXCEPTION	11
#define AXVCPU_BUILTIN_HOST_NMI		12	/* x86: a host NMI, re-raised */
#define AXVCPU_BUILTIN_MEMORY_FAULT	13	/* guest RAM mapped on demand */
#define AXVCPU_BUILTIN_WBINVD		14	/* x86: WBINVD/WBNOINVD, a no-op */
#define AXVCPU_BUILTIN_MACHINE_CHECK	15	/* x86: a host #MC, handled */
#define AXVCPU_BUILTIN_IOEVENTFD	16	/* a write an ioeventfd took */
/* Not an exit: an interrupt an irqfd's signal injected into this vcpu. */
#define AXVCPU_BUILTIN_IRQFD		17
#define AXVCPU_BUILTIN_HALT		18	/* AXVCPU_SETUP_HALT_IN_KERNEL */
#define AXVCPU_BUILTIN_NR		19

/*
 * { kind, "name" } for every AXVCPU_BUILTIN_* kind, as for
 * AXVCPU_EXIT_NAMES; the stats fd calls them "builtin_<name>".
 */
#define AXVCPU_BUILTIN_NAMES {						\
	{ AXVCPU_BUILTIN_EXT_INTR, "ext_intr" },			\
	{ AXVCPU_BUILTIN_CPUID, "cpuid" },				\
	{ AXVCPU_BUILTIN_XSETBV, "xsetbv" },				\
	{ AXVCPU_BUILTIN_CR_ACCESS, "cr_access" },			\
	{ AXVCPU_BUILTIN_INTR_WINDOW, "intr_window" },			\
	{ AXVCPU_BUILTIN_PREEMPT_TIMER, "preempt_timer" },		\
	{ AXVCPU_BUILTIN_PSCI, "psci" },				\
	{ AXVCPU_BUILTIN_SGI_READ, "sgi_read" },			\
	{ AXVCPU_BUILTIN_WFE, "wfe" },					\
	{ AXVCPU_BUILTIN_MSR, "msr" },					\
	{ AXVCPU_BUILTIN_APIC, "apic" },				\
	{ AXVCPU_BUILTIN_EXCEPTION, "exception" },			\
	{ AXVCPU_BUILTIN_HOST_NMI, "host_nmi" },			\
	{ AXVCPU_BUILTIN_MEMORY_FAULT, "memory_fault" },		\
	{ AXVCPU_BUILTIN_WBINVD, "wbinvd" },				\
	{ AXVCPU_BUILTIN_MACHINE_CHECK, "machine_check" },		\
	{ AXVCPU_BUILTIN_IOEVENTFD, "ioeventfd" },			\
	{ AXVCPU_BUILTIN_IRQFD, "irqfd" },				\
	{ AXVCPU_BUILTIN_HALT, "halt" },				\
}

/**
 * struct axvcpu_run_stats - exit counters of one vcpu, updated by the module.
 * @entries: guest entries.
 * @exits: exits to userspace, by AXVCPU_EXIT_* reason.
 * @builtin: exits handled inside the module, by AXVCPU_BUILTIN_*.
 */
struct axvcpu_run_stats {
	__u64 entries;
	__u64 exits[AXVCPU_RUN_STATS_EXITS];
	__u64 builtin[AXVCPU_BUILTIN_NR];
};

/**
 * struct axvcpu_run - shared between the module and the VMM (mmap of a
 * vcpu fd, AXVCPU_RUN_SIZE bytes).
 * @immediate_exit: VMM -> module.  Non-zero: the next AXVCPU_RUN completes
 *	the previous exit and returns -EINTR with AXVCPU_EXIT_INTR without
 *	entering the guest.
 * @pad0: reserved.
 * @exit_reason: module -> VMM, an AXVCPU_EXIT_* value.
 * @hw_reason: raw hardware reason of the exit (VMX basic exit reason with
 *	its flag bits / ESR_EL2).
 * @hw_qualification: VMX exit qualification / FAR_EL2.
 * @hw_extra: VM-instruction error / HPFAR_EL2.
 * @hw_rip: guest RIP / PC at the exit.
 * @reserved: reserved.
 * @hypercall: AXVCPU_EXIT_HYPERCALL.  @hypercall.nr is RAX / x0,
 *	@hypercall.args are RDI, RSI, RDX, RCX, R8, R9 / x1..x6, and
 *	@hypercall.ret (preset to -ENOSYS) goes to RAX / x0 on the next RUN.
 * @mmio: AXVCPU_EXIT_MMIO_READ / _WRITE.  @mmio.addr, @mmio.width (bytes),
 *	@mmio.reg (destination or source GPR), @mmio.reg_width (bytes),
 *	@mmio.sign_ext, @mmio.data (write: the value; read: the VMM puts the
 *	value here, applied with width, sign extension and reg_width).
 * @sysreg: AXVCPU_EXIT_SYSREG_READ / _WRITE.  @sysreg.addr is the MSR index
 *	(x86) or the ESR ISS encoding (arm64), @sysreg.reg the GPR, @sysreg.value
 *	the written value or the VMM's answer to a read.  @sysreg.fault (VMM ->
 *	module, preset to 0): non-zero makes the access fault at its
 *	instruction as on a CPU without that register, #GP(0) (x86) or UNDEF
 *	(arm64), instead of completing it; the next RUN delivers it.
 * @io: AXVCPU_EXIT_IO_READ / _WRITE.  @io.port, @io.width (1, 2 or 4),
 *	@io.data (write: the value; read: the VMM's answer).
 * @npf: AXVCPU_EXIT_NESTED_PAGE_FAULT.  @npf.gpa and @npf.access
 *	(AXVCPU_ACCESS_* flags).
 * @cpu_up: AXVCPU_EXIT_CPU_UP.  @cpu_up.target_cpu (MPIDR affinity / APIC
 *	ID), @cpu_up.entry, @cpu_up.arg (arm64 context id).
 * @cpu_down: AXVCPU_EXIT_CPU_DOWN.  @cpu_down.state.
 * @system_down: AXVCPU_EXIT_SYSTEM_DOWN.  @system_down.type
 *	(AXVCPU_SYSTEM_DOWN_*).
 * @send_ipi: AXVCPU_EXIT_SEND_IPI: an IPI the module does not deliver
 *	itself.  @send_ipi.target_cpu and @send_ipi.target_cpu_aux name the
 *	destination, @send_ipi.send_to_all and @send_ipi.send_to_self the
 *	shorthand, @send_ipi.vector the vector or INTID (each arch's encoding
 *	is in Documentation/axvcpu.rst).
 * @fail_entry: AXVCPU_EXIT_FAIL_ENTRY.  @fail_entry.reason is the hardware
 *	entry-failure reason, @fail_entry.qualification its qualification.
 * @internal: AXVCPU_EXIT_INTERNAL_ERROR.  @internal.suberror is an
 *	AXVCPU_INTERNAL_* code, @internal.data[@internal.ndata] raw values.
 * @external_interrupt: AXVCPU_EXIT_EXTERNAL_INTERRUPT.
 * @padding: keeps the union at 256 bytes.
 * @stats: exit counters.
 */
struct axvcpu_run {
	__u8 immediate_exit;
	__u8 pad0[3];
	__u32 exit_reason;
	__u64 hw_reason;
	__u64 hw_qualification;
	__u64 hw_extra;
	__u64 hw_rip;
	__u64 reserved[3];
	union {
		struct {
			__u64 nr;
			__u64 args[AXVCPU_HYPERCALL_ARGS];
			__s64 ret;
		} hypercall;
		struct {
			__u64 addr;
			__u32 width;
			__u32 reg;
			__u32 reg_width;
			__u8 is_write;
			__u8 sign_ext;
			__u8 pad[2];
			__u64 data;
		} mmio;
		struct {
			__u64 addr;
			__u32 reg;
			__u8 is_write;
			__u8 fault;
			__u8 pad[2];
			__u64 value;
		} sysreg;
		struct {
			__u16 port;
			__u8 width;
			__u8 is_write;
			__u32 pad;
			__u64 data;
		} io;
		struct {
			__u64 gpa;
			__u64 access;
		} npf;
		struct {
			__u64 target_cpu;
			__u64 entry;
			__u64 arg;
		} cpu_up;
		struct {
			__u64 state;
		} cpu_down;
		struct {
			__u64 type;
		} system_down;
		struct {
			__u64 target_cpu;
			__u64 target_cpu_aux;
			__u8 send_to_all;
			__u8 send_to_self;
			__u8 pad[6];
			__u64 vector;
		} send_ipi;
		struct {
			__u64 reason;
			__u64 qualification;
		} fail_entry;
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[AXVCPU_INTERNAL_DATA];
		} internal;
		struct {
			__u64 vector;
		} external_interrupt;
		__u8 padding[AXVCPU_RUN_EXIT_SIZE];
	};
	struct axvcpu_run_stats stats;
};

#define AXVCPU_RUN_SIZE		4096

/*
 * Binary statistics (AXVCPU_GET_STATS_FD): a read-only fd whose bytes are
 * a struct axvcpu_stats_header, an id string, the descriptors and the
 * values, at the offsets the header gives (KVM's binary stats layout).
 * The header, id and descriptors never change for one fd; the values are
 * read live at each read() / pread().
 */
#define AXVCPU_STATS_NAME_SIZE		48	/* bytes of the id and each name */

/* struct axvcpu_stats_desc.flags: the type (bits 0-3) and unit (4-7). */
#define AXVCPU_STATS_TYPE_CUMULATIVE	(0x0 << 0)	/* only grows */
#define AXVCPU_STATS_TYPE_INSTANT	(0x1 << 0)	/* a current value */
#define AXVCPU_STATS_TYPE_MASK		(0xf << 0)
#define AXVCPU_STATS_UNIT_NONE		(0x0 << 4)	/* a count */
#define AXVCPU_STATS_UNIT_SECONDS	(0x1 << 4)	/* x 10^exponent s */
#define AXVCPU_STATS_UNIT_MASK		(0xf << 4)

/**
 * struct axvcpu_stats_header - the start of a stats fd.
 * @flags: 0.
 * @name_size: AXVCPU_STATS_NAME_SIZE: bytes of the id string and of each
 *	descriptor's name (NUL terminated, NUL padded).
 * @num_desc: descriptors, and values, in the fd.
 * @id_offset: where the id string is: "axvcpu-vm-<vm>" for a VM,
 *	"axvcpu-vm-<vm>-vcpu-<id>" for a vcpu.
 * @desc_offset: where the first descriptor is; each takes
 *	sizeof(struct axvcpu_stats_desc) + @name_size bytes.
 * @data_offset: where the values are, a __u64 each.
 */
struct axvcpu_stats_header {
	__u32 flags;
	__u32 name_size;
	__u32 num_desc;
	__u32 id_offset;
	__u32 desc_offset;
	__u32 data_offset;
};

/**
 * struct axvcpu_stats_desc - one statistic of a stats fd.
 * @flags: an AXVCPU_STATS_TYPE_* ORed with an AXVCPU_STATS_UNIT_*.
 * @exponent: the value is value * 10^@exponent of the unit (-9 with
 *	AXVCPU_STATS_UNIT_SECONDS: nanoseconds).
 * @size: number of __u64 values (1).
 * @offset: of its first value, in bytes from the header's data_offset.
 * @reserved: 0.
 * @name: its name, @name_size bytes ("entries", "exit_mmio_read",
 *	"builtin_cpuid", ...: Documentation/tracing.rst lists them).
 */
struct axvcpu_stats_desc {
	__u32 flags;
	__s16 exponent;
	__u16 size;
	__u32 offset;
	__u32 reserved;
	char name[];
};

/* System fd. */
#define AXVCPU_GET_API_VERSION	_IO(AXVCPUIO, 0x00)
#define AXVCPU_CHECK_EXTENSION	_IO(AXVCPUIO, 0x01)
#define AXVCPU_CREATE_VM	_IO(AXVCPUIO, 0x02)

/* VM fd. */
#define AXVCPU_SET_MEMORY_REGION _IOW(AXVCPUIO, 0x10, struct axvcpu_memory_region)
#define AXVCPU_CREATE_VCPU	_IOW(AXVCPUIO, 0x11, struct axvcpu_vcpu_create)
#define AXVCPU_GET_DIRTY_LOG	_IOW(AXVCPUIO, 0x12, struct axvcpu_dirty_log)
#define AXVCPU_IOEVENTFD	_IOW(AXVCPUIO, 0x13, struct axvcpu_ioeventfd)
#define AXVCPU_IRQFD		_IOW(AXVCPUIO, 0x14, struct axvcpu_irqfd)

/* VM fd and vcpu fd: a new read-only stats fd (O_CLOEXEC), or an errno. */
#define AXVCPU_GET_STATS_FD	_IO(AXVCPUIO, 0x15)

/* vcpu fd: the life cycle (enum axvcpu_state). */
#define AXVCPU_SETUP		_IOW(AXVCPUIO, 0x20, struct axvcpu_vcpu_setup)
#define AXVCPU_BIND		_IO(AXVCPUIO, 0x21)
#define AXVCPU_UNBIND		_IO(AXVCPUIO, 0x22)
#define AXVCPU_RUN		_IO(AXVCPUIO, 0x23)
#define AXVCPU_GET_STATE	_IOR(AXVCPUIO, 0x24, __u32)

/* vcpu fd: registers and events. */
#define AXVCPU_SET_GPR		_IOW(AXVCPUIO, 0x30, struct axvcpu_gpr)
#define AXVCPU_GET_GPR		_IOWR(AXVCPUIO, 0x31, struct axvcpu_gpr)
#define AXVCPU_SET_RETURN_VALUE	_IOW(AXVCPUIO, 0x32, __u64)
#define AXVCPU_INJECT_INTERRUPT	_IOW(AXVCPUIO, 0x33, struct axvcpu_interrupt)
#define AXVCPU_GET_IRQ_STATE	_IOR(AXVCPUIO, 0x34, struct axvcpu_irq_state)

/* ======================================================== x86-64 ===== */
/*
 * The x86-64 part of the ABI: the register files, and the ioctls that
 * only an x86 host has (other arches: -ENOTTY).
 */

/**
 * struct axvcpu_x86_regs - x86-64 general registers (AXVCPU_GET/SET_REGS).
 * @rax: RAX.
 * @rbx: RBX.
 * @rcx: RCX.
 * @rdx: RDX.
 * @rsi: RSI.
 * @rdi: RDI.
 * @rsp: RSP.
 * @rbp: RBP.
 * @r8: R8.
 * @r9: R9.
 * @r10: R10.
 * @r11: R11.
 * @r12: R12.
 * @r13: R13.
 * @r14: R14.
 * @r15: R15.
 * @rip: RIP.
 * @rflags: RFLAGS.
 */
struct axvcpu_x86_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/**
 * struct axvcpu_x86_segment - one x86 segment register.
 * @base: base address.
 * @limit: limit in bytes (the expanded form).
 * @selector: selector.
 * @ar: VMX access-rights format (type, S, DPL, P, AVL, L, D/B, G;
 *	bit 16 = unusable).
 * @pad: must be 0.
 * @pad2: must be 0.
 */
struct axvcpu_x86_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u16 pad;
	__u32 ar;
	__u32 pad2;
};

/**
 * struct axvcpu_x86_dtable - GDTR or IDTR.
 * @base: base address.
 * @limit: limit.
 * @pad: must be 0.
 */
struct axvcpu_x86_dtable {
	__u64 base;
	__u16 limit;
	__u16 pad[3];
};

/**
 * struct axvcpu_x86_sregs - x86 system registers (AXVCPU_GET/SET_SREGS).
 * @cs: CS.
 * @ds: DS.
 * @es: ES.
 * @fs: FS.
 * @gs: GS.
 * @ss: SS.
 * @tr: TR.
 * @ldt: LDTR.
 * @gdt: GDTR.
 * @idt: IDTR.
 * @cr0: CR0.
 * @cr2: CR2.
 * @cr3: CR3.
 * @cr4: CR4.
 * @cr8: CR8 (the TPR's bits 7:4).
 * @efer: IA32_EFER.
 * @dr7: DR7.
 * @reserved: must be 0.
 */
struct axvcpu_x86_sregs {
	struct axvcpu_x86_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct axvcpu_x86_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 dr7;
	__u64 reserved[8];
};

/* vcpu fd: the register files. */
#define AXVCPU_GET_X86_REGS	_IOR(AXVCPUIO, 0x40, struct axvcpu_x86_regs)
#define AXVCPU_SET_X86_REGS	_IOW(AXVCPUIO, 0x41, struct axvcpu_x86_regs)
#define AXVCPU_GET_X86_SREGS	_IOR(AXVCPUIO, 0x42, struct axvcpu_x86_sregs)
#define AXVCPU_SET_X86_SREGS	_IOW(AXVCPUIO, 0x43, struct axvcpu_x86_sregs)

/*
 * x86 only (other arches: -ENOTTY).  See Documentation/axvcpu.rst, "x86".
 *
 * AXVCPU_X86_SET_IO_INTERCEPT and AXVCPU_X86_SET_MSR_INTERCEPT change the
 * vcpu's I/O and MSR bitmaps: every port and every MSR exits by default;
 * these let the VMM give the guest the real port or MSR (CAP_SYS_RAWIO
 * needed), or take it back.  MSRs the host depends on or that the module
 * emulates are refused with -EPERM.  AXVCPU_X86_SET_CPUID replaces the
 * vcpu's table of CPUID leaves that override the module's answers.
 *
 * AXVCPU_X86_SET_USER_HYPERCALL takes a pointer to a __u32: 1 lets VMCALL
 * at guest CPL > 0 exit as AXVCPU_EXIT_HYPERCALL like VMCALL at CPL 0;
 * 0 (the default) makes it a #UD in the guest.  Any other value: -EINVAL.
 */
/**
 * struct axvcpu_x86_io_intercept - AXVCPU_X86_SET_IO_INTERCEPT argument.
 * @first_port: first port of the range, below 0x10000.
 * @nr_ports: number of ports, at least 1; @first_port + @nr_ports must not
 *	go past 0x10000.
 * @intercept: 1: IN/OUT on these ports exit (IO_READ/IO_WRITE); 0: they
 *	reach the host's real ports.
 * @pad: must be 0.
 */
struct axvcpu_x86_io_intercept {
	__u32 first_port;
	__u32 nr_ports;
	__u32 intercept;
	__u32 pad;
};

/**
 * struct axvcpu_x86_msr_intercept - AXVCPU_X86_SET_MSR_INTERCEPT argument.
 * @first_msr: first MSR of the range: in 0x0-0x1fff or
 *	0xc0000000-0xc0001fff (the MSRs a VMX MSR bitmap covers).
 * @nr_msrs: number of MSRs, at least 1; the range stays in one of the two
 *	windows above.
 * @flags: which accesses change: AXVCPU_X86_MSR_READ, AXVCPU_X86_MSR_WRITE
 *	or both; nothing else.
 * @intercept: 1: those accesses exit (SYSREG_READ/SYSREG_WRITE, or the
 *	module's own emulation); 0: they reach the real MSR.
 */
struct axvcpu_x86_msr_intercept {
	__u32 first_msr;
	__u32 nr_msrs;
	__u32 flags;
	__u32 intercept;
};

#define AXVCPU_X86_MSR_READ	(1U << 0)
#define AXVCPU_X86_MSR_WRITE	(1U << 1)

/**
 * struct axvcpu_x86_cpuid_entry - one CPUID leaf the guest sees.
 * @function: the leaf (EAX at CPUID).
 * @index: the subleaf (ECX at CPUID), with AXVCPU_X86_CPUID_INDEXED.
 * @flags: AXVCPU_X86_CPUID_INDEXED: the entry is for @index only; without
 *	it the entry answers every subleaf of @function.
 * @eax: EAX the guest gets.
 * @ebx: EBX the guest gets.
 * @ecx: ECX the guest gets.
 * @edx: EDX the guest gets.
 * @pad: must be 0.
 */
struct axvcpu_x86_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 pad;
};

#define AXVCPU_X86_CPUID_INDEXED	(1U << 0)
#define AXVCPU_X86_CPUID_MAX_ENTRIES	256

/**
 * struct axvcpu_x86_cpuid - AXVCPU_X86_SET_CPUID argument.
 * @nent: number of entries, at most AXVCPU_X86_CPUID_MAX_ENTRIES (more:
 *	-E2BIG); 0 removes every override.
 * @pad: must be 0.
 * @entries: the entries; one (function, index) pair at most once.
 */
struct axvcpu_x86_cpuid {
	__u32 nent;
	__u32 pad;
	struct axvcpu_x86_cpuid_entry entries[];
};

#define AXVCPU_X86_SET_IO_INTERCEPT	_IOW(AXVCPUIO, 0x50, struct axvcpu_x86_io_intercept)
#define AXVCPU_X86_SET_MSR_INTERCEPT	_IOW(AXVCPUIO, 0x51, struct axvcpu_x86_msr_intercept)
#define AXVCPU_X86_SET_CPUID		_IOW(AXVCPUIO, 0x52, struct axvcpu_x86_cpuid)
#define AXVCPU_X86_SET_USER_HYPERCALL	_IOW(AXVCPUIO, 0x53, __u32)

/* ========================================================= arm64 ===== */
/*
 * The arm64 part of the ABI: the register file, and the ioctls that only
 * an arm64 host has (other arches: -ENOTTY).
 */

/**
 * struct axvcpu_arm64_regs - arm64 general registers (AXVCPU_GET/SET_REGS).
 * @x: x0..x30.
 * @sp_el1: the guest's SP_EL1.
 * @pc: the guest's PC (ELR_EL2 while it is out).
 * @pstate: the guest's PSTATE (SPSR_EL2 while it is out).
 * @sp_el0: the guest's SP_EL0.
 */
struct axvcpu_arm64_regs {
	__u64 x[AXVCPU_ARM64_NR_X];
	__u64 sp_el1;
	__u64 pc;
	__u64 pstate;
	__u64 sp_el0;
};

/* vcpu fd: the register file. */
#define AXVCPU_GET_ARM64_REGS	_IOR(AXVCPUIO, 0x48, struct axvcpu_arm64_regs)
#define AXVCPU_SET_ARM64_REGS	_IOW(AXVCPUIO, 0x49, struct axvcpu_arm64_regs)

/*
 * arm64 only (other arches: -ENOTTY).
 *
 * AXVCPU_ARM64_INJECT_EXCEPTION makes the guest take an exception at its
 * EL1 on the next RUN: an SError (virtual, pending until the guest
 * unmasks PSTATE.A; @esr is its ISS when the CPU has RAS), or a
 * synchronous external abort on @addr (data or instruction), or an UNDEF.
 * After an MMIO exit the abort is reported on the access itself and the
 * MMIO completion is dropped.  Bad type or pad != 0: -EINVAL.
 *
 * AXVCPU_ARM64_GET_SYSREG / AXVCPU_ARM64_SET_SYSREG read and write one
 * guest system register (EL1/EL0 context, timers, FPSR/FPCR) by its
 * sysreg-exit encoding (op0 << 20 | op2 << 17 | op1 << 14 | CRn << 10 |
 * CRm << 1); unknown register: -ENOENT.
 */
/**
 * struct axvcpu_arm64_exception - AXVCPU_ARM64_INJECT_EXCEPTION argument.
 * @type: AXVCPU_ARM64_EXC_*.
 * @pad: must be 0.
 * @esr: SError syndrome (ISS) for AXVCPU_ARM64_EXC_SERROR.
 * @addr: faulting address (the guest's FAR_EL1) for the aborts.
 */
struct axvcpu_arm64_exception {
	__u32 type;
	__u32 pad;
	__u64 esr;
	__u64 addr;
};

#define AXVCPU_ARM64_EXC_SERROR	1
#define AXVCPU_ARM64_EXC_DABT	2
#define AXVCPU_ARM64_EXC_IABT	3
#define AXVCPU_ARM64_EXC_UNDEF	4

/**
 * struct axvcpu_arm64_sysreg - AXVCPU_ARM64_GET/SET_SYSREG argument.
 * @id: the register, in the sysreg-exit encoding.
 * @value: its value.
 */
struct axvcpu_arm64_sysreg {
	__u64 id;
	__u64 value;
};

#define AXVCPU_ARM64_INJECT_EXCEPTION	_IOW(AXVCPUIO, 0x4a, struct axvcpu_arm64_exception)
#define AXVCPU_ARM64_GET_SYSREG		_IOWR(AXVCPUIO, 0x4b, struct axvcpu_arm64_sysreg)
#define AXVCPU_ARM64_SET_SYSREG		_IOW(AXVCPUIO, 0x4c, struct axvcpu_arm64_sysreg)

#endif /* _UAPI_AXVCPU_H */
