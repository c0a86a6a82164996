/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal header of the Intel VMX backend: VMX instruction wrappers, the
 * per-VM and per-vcpu state, and what the vmx/ files share.
 *
 * KVM's own vmx_ops.h/vmcs.h are not shipped in the kernel headers, so the
 * few VMX instruction wrappers we need live here.
 */
#ifndef _AXVCPU_VMX_H
#define _AXVCPU_VMX_H

#include <linux/types.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/version.h>
#include <asm/asm.h>
#include <asm/vmx.h>
#include <asm/trapnr.h>
#include <asm/msr-index.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include "axvcpu_arch.h"
#include "vlapic.h"
#include "vmx_compat.h"

/* IA32_VMX_BASIC fields (their names moved between 6.1 and 6.12). */
#define AXVMX_BASIC_REVISION(b)		((u32)(b) & 0x7fffffff)
#define AXVMX_BASIC_SIZE(b)		(((b) >> 32) & 0x1fff)
#define AXVMX_BASIC_32BIT_ONLY		BIT_ULL(48)
#define AXVMX_BASIC_MEMTYPE(b)		(((b) >> 50) & 0xf)
#define AXVMX_BASIC_INOUT		BIT_ULL(54)
#define AXVMX_BASIC_TRUE_CTLS		BIT_ULL(55)
#define AXVMX_MEMTYPE_WB		6

/* Secondary control renamed in 6.12; we never enable it, but keep it named. */
#define AXVMX_SECONDARY_XSAVES		BIT(20)

/* EPT entry bits (SDM 29.3.2). */
#define AXEPT_R			BIT_ULL(0)
#define AXEPT_W			BIT_ULL(1)
#define AXEPT_X			BIT_ULL(2)
#define AXEPT_MT_WB		(6ULL << 3)
#define AXEPT_IPAT		BIT_ULL(6)
#define AXEPT_PFN_MASK		GENMASK_ULL(51, 12)

/* Debug register bits (SDM 18.2). */
#define AXVMX_DR6_ACTIVE_LOW	0xffff0ff0ULL	/* reads 1 unless reported */
#define AXVMX_DR6_BD		BIT_ULL(13)
#define AXVMX_DR6_BS		BIT_ULL(14)
#define AXVMX_DR6_RTM		BIT_ULL(16)	/* active low */
#define AXVMX_DR7_FIXED_1	0x400ULL
#define AXVMX_DR7_BP_ENABLES	0xffULL		/* L0-G3 */
#define AXVMX_DR7_GD		BIT_ULL(13)

/*
 * The guest-register array, in the order of the registers' numbers in the
 * instruction encoding and the VM-exit qualifications (RAX 0, RCX 1...).
 */
enum axvmx_reg {
	AXVMX_RAX, AXVMX_RCX, AXVMX_RDX, AXVMX_RBX,
	AXVMX_RSP, AXVMX_RBP, AXVMX_RSI, AXVMX_RDI,
	AXVMX_R8, AXVMX_R9, AXVMX_R10, AXVMX_R11,
	AXVMX_R12, AXVMX_R13, AXVMX_R14, AXVMX_R15,
	AXVMX_NR_REGS,
};

/**
 * struct axvmx_caps - what the CPU offers and what we chose, read once.
 * @basic: IA32_VMX_BASIC.
 * @pin: pin-based controls we use.
 * @proc: primary processor-based controls we use.
 * @proc2: secondary processor-based controls we use.
 * @exit: VM-exit controls.
 * @entry: VM-entry controls (without IA32E_MODE_GUEST).
 * @cr0_fixed0: IA32_VMX_CR0_FIXED0.
 * @cr0_fixed1: IA32_VMX_CR0_FIXED1.
 * @cr4_fixed0: IA32_VMX_CR4_FIXED0.
 * @cr4_fixed1: IA32_VMX_CR4_FIXED1.
 * @ept_vpid: IA32_VMX_EPT_VPID_CAP.
 * @misc: IA32_VMX_MISC.
 * @has_vpid: VPID is used.
 * @has_preempt_timer: the VMX-preemption timer is armed on every entry.
 * @invept_single: INVEPT single-context is supported (else global).
 * @invvpid_single: INVVPID single-context is supported (else all-context).
 * @host_xcr0: the host's XCR0 (0 without OSXSAVE).
 * @guest_xcr0: the XCR0 bits a guest may set (XSETBV, CPUID leaf 0xD):
 *	the host's without what the guest's CPUID hides (PKRU, MPX, AMX).
 * @has_tsc_offset: "use TSC offsetting" is on (guest TSC writes work).
 * @switch_tsc_aux: the host uses IA32_TSC_AUX (RDTSCP/RDPID): switch it.
 * @has_tpr_shadow: "use TPR shadow" is on and CR8 accesses do not exit.
 * @lazy_dr: MOV-DR exiting may be turned off (the guest's debug registers
 *	then go into the CPU at its first access, vmx_run.c).
 * @has_vnmi: virtual NMIs and NMI-window exiting: NMIs for the guest.
 */
struct axvmx_caps {
	u64 basic;
	u32 pin, proc, proc2, exit, entry;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_vpid, misc;
	bool has_vpid, has_preempt_timer, invept_single, invvpid_single;
	u64 host_xcr0, guest_xcr0;
	bool has_tsc_offset, switch_tsc_aux;
	bool has_tpr_shadow, lazy_dr, has_vnmi;
};

extern struct axvmx_caps axvmx_caps;

/**
 * struct axvmx_vm - per-VM state: the EPT.
 * @pml4: the EPT root table.
 * @eptp: the EPT pointer written into each VMCS.
 * @tables: every EPT table page, for freeing.
 * @id: the VM's number, never reused (the IBPB between VMs, vmx_spec.c).
 */
struct axvmx_vm {
	u64 *pml4;
	u64 eptp;
	struct list_head tables;
	u64 id;
};

/**
 * struct axvmx_msr_entry - one entry of a VM-entry/VM-exit MSR-load list
 * (SDM 25.7.2 and 25.8.2).
 * @index: the MSR.
 * @reserved: 0.
 * @value: loaded into it.
 */
struct axvmx_msr_entry {
	u32 index;
	u32 reserved;
	u64 value;
};

/* A queued event for INJECT_INTERRUPT. */
struct axvmx_event {
	u8 vector;
	bool exception;
	bool has_error;
	u32 error_code;
};

#define AXVMX_EVENT_QUEUE	16

/**
 * struct axvmx_host_msrs - this CPU's values of the MSRs a guest switches.
 * @star: MSR_STAR.
 * @lstar: MSR_LSTAR.
 * @sfmask: MSR_SYSCALL_MASK.
 * @tsc_aux: MSR_TSC_AUX.
 *
 * Linux writes them once per CPU at boot; read when VMX goes on here.
 */
struct axvmx_host_msrs {
	u64 star, lstar, sfmask, tsc_aux;
};

/**
 * struct axvmx_guest_msrs - guest MSRs kept in the module (not in the VMCS).
 * @star: MSR_STAR, in the real MSR while the guest runs.
 * @lstar: MSR_LSTAR, in the real MSR while the guest runs.
 * @sfmask: MSR_SYSCALL_MASK, in the real MSR while the guest runs.
 * @tsc_aux: MSR_TSC_AUX, in the real MSR while the guest runs.
 * @cstar: MSR_CSTAR (no effect on Intel CPUs: only stored).
 * @tsc_offset: guest TSC - host TSC (the VMCS TSC offset).
 * @tsc_adjust: IA32_TSC_ADJUST.
 * @misc_enable: IA32_MISC_ENABLE.
 * @mcg_status: IA32_MCG_STATUS (no machine check is ever raised in it).
 * @mtrr_def_type: IA32_MTRR_DEF_TYPE.
 */
struct axvmx_guest_msrs {
	u64 star, lstar, sfmask, tsc_aux, cstar;
	u64 tsc_offset, tsc_adjust, misc_enable, mcg_status, mtrr_def_type;
};

/**
 * struct axvmx_fpu - the guest's FPU/SIMD registers while it is not running.
 * @area: XSAVE area (FXSAVE area without XSAVE), 64-byte aligned.
 * @order: page order of @area.
 */
struct axvmx_fpu {
	void *area;
	unsigned int order;
};

/**
 * struct axvmx_window - one stretch of VMX operation (vmx_percpu.c).
 * @own: VMXON was done for this window (VMX was off on this CPU); else
 *	VMX belongs to another user (kvm_intel, the core kernel) and
 *	@prev_vmcs is its current VMCS, put back at the end.
 * @prev_vmcs: VMPTRST at the start, or -1ULL.
 * @held: VMX operation on this CPU is the module's, held across windows
 *	(vmx_hold): the window ends with the VMCS still current.
 */
struct axvmx_window {
	bool own;
	bool held;
	u64 prev_vmcs;
};

/**
 * struct axvmx_debug_save - the host's debug state one window borrows.
 * @db: DR0-DR3 while the host has a hardware breakpoint active.
 * @db_saved: @db holds the host's.
 */
struct axvmx_debug_save {
	unsigned long db[4];
	bool db_saved;
};

/**
 * struct axvmx_host_state - host state kept from vcpu load to put.
 * @ds: DS selector.
 * @es: ES selector.
 * @fs: FS selector.
 * @gs: GS selector.
 * @ldt: LDTR selector.
 * @fs_base: FS base (the RUN thread's TLS base; HOST_FS_BASE).
 * @kgs: the host's IA32_KERNEL_GS_BASE (the RUN thread's user GS base).
 * @debugctl: IA32_DEBUGCTL (every exit clears it), read per window.
 */
struct axvmx_host_state {
	u16 ds, es, fs, gs, ldt;
	unsigned long fs_base;
	u64 kgs, debugctl;
};

/* Which exit fields were read from the VMCS since the last exit. */
#define AXVMX_EXIT_QUAL		BIT(0)
#define AXVMX_EXIT_INTR_INFO	BIT(1)
#define AXVMX_EXIT_RIP		BIT(2)

/**
 * struct axvmx_cpuid_hit - one remembered CPUID answer (vmx_cpuid.c).
 * @leaf: EAX of the question.
 * @sub: ECX of the question.
 * @a: EAX of the answer.
 * @b: EBX of the answer.
 * @c: ECX of the answer.
 * @d: EDX of the answer.
 * @valid: the entry holds an answer.
 */
struct axvmx_cpuid_hit {
	u32 leaf, sub;
	u32 a, b, c, d;
	bool valid;
};

#define AXVMX_CPUID_CACHE	4

/**
 * struct axvmx_mmio_insn - a decoded MMIO move.
 * @len: instruction bytes.
 * @width: memory access bytes.
 * @reg: GPR index.
 * @reg_width: bytes of the register operand.
 * @write: a store.
 * @sign_ext: MOVSX.
 * @has_imm: the stored value is @imm, not @reg.
 * @imm: the immediate.
 */
struct axvmx_mmio_insn {
	unsigned int len, width, reg, reg_width;
	bool write, sign_ext, has_imm;
	u64 imm;
};

/**
 * struct axvmx_vcpu - per-vcpu state.
 * @regs: guest GPRs by register number; [AXVMX_RSP] is unused (the VMCS
 *	holds RSP).  Offsets are used by vmx_entry.S.
 * @vcpu: the generic vcpu.
 * @vmcs: the VMCS region.
 * @vmcs_pa: its physical address.
 * @io_bitmap: I/O bitmaps A and B (two pages).
 * @msr_bitmap: the MSR bitmap page.
 * @last_cpu: the CPU of the last VMX window with this VMCS, or -1 (its
 *	host fields and the TLB flushes follow it).
 * @launched: VMLAUNCH done in the current window (the VMCS is VMCLEARed at
 *	the end of every window, so each window starts with VMLAUNCH).
 * @vpid: the VPID, 0 when VPID is not used.
 * @entry: guest entry point from SETUP.
 * @fpu: the guest's x87/SSE/AVX registers (vmx_fpu.c).
 * @host_cr3: HOST_CR3 last written.
 * @host_cr4: HOST_CR4 last written.
 * @host_fs_base: HOST_FS_BASE last written.
 * @host_fs_sel: HOST_FS_SELECTOR last written (~0: unknown).
 * @host_gs_sel: HOST_GS_SELECTOR likewise.
 * @host_rsp: HOST_RSP last written (vmx_entry.S compares and writes it).
 * @host: host state saved at vcpu load (vmx_run.c).
 * @host_fields_ok: the VMCS has @host's FS base and selectors (since the
 *	last vcpu load and the last move to another CPU).
 * @loaded: between axvcpu_arch_vcpu_load() and _put().
 * @exited: a VM exit happened since the load (host selectors, LDT and
 *	descriptor-table limits need restoring at put).
 * @uret_dirty: EFER or a SYSCALL MSR changed: axvmx_msrs_load_guest()
 *	again before the next entry.
 * @uret_mask: which of the switched MSRs hold the guest's value now.
 * @efer: the guest's IA32_EFER (the VMCS has it too).
 * @timer_value: VMX_PREEMPTION_TIMER_VALUE last written.
 * @hw_valid: the window's last entry ended in a VM exit whose raw fields
 *	go to run->hw_*.
 * @exit_cached: AXVMX_EXIT_* fields read since the last exit.
 * @exit_rip: GUEST_RIP at the exit (before a handler moved it), when
 *	AXVMX_EXIT_RIP is cached.
 * @lock: protects @events, @nr_events, @head.
 * @events: ring of queued events.
 * @head: index of the oldest event.
 * @nr_events: number of queued events.
 * @reinject: IDT-vectoring information to re-inject on the next entry.
 * @reinject_err: its error code.
 * @reinject_len: its instruction length.
 * @exit_reason: full exit reason of the last exit.
 * @exit_qual: exit qualification of the last exit.
 * @exit_intr_info: VM-exit interruption information.
 * @guest_kgs: the guest's IA32_KERNEL_GS_BASE.
 * @kgs_live: inside a window, where @guest_kgs is in the MSR itself.
 * @cr2: the guest's CR2 (not in the VMCS).
 * @vmcs_ready: SETUP has written the VMCS.
 * @vmcs_cleared: the VMCS region had its first VMCLEAR.
 * @xcr0: the guest's XCR0.
 * @window_xcr0: the components the current window loaded (vmx_fpu.c).
 * @cur_xcr0: XCR0 in the CPU now, inside a window.
 * @osxsave: the guest's CR4.OSXSAVE (host-owned: every change exits).
 * @fault_pending: an EPT violation in guest RAM waits for axvmx_fault_in().
 * @xcr0_dirty: XCR0 may have to change before the next entry (the window's
 *	XRSTOR left the window mask in it, or CR4.OSXSAVE changed).
 * @fault_gpa: its guest-physical address.
 * @fault_qual: its exit qualification.
 * @io_width: the access width of the last AXVCPU_EXIT_IO_READ.
 * @msr_rip: RIP of the last RDMSR/WRMSR that went to the VMM, before the
 *	exit completed it.
 * @msr_rflags: RFLAGS of that RDMSR/WRMSR, before the exit completed it.
 * @msr_fault: the VMM refused it (run->sysreg.fault): the next window
 *	takes it back and raises #GP (axvmx_msr_refused()).
 * @end_window: an exit handler changed something only a new window picks
 *	up (the guest's XCR0): leave the window after this exit.
 * @msrs: guest MSRs kept here.
 * @db: the guest's DR0-DR3 (MOV DR exits); in the CPU while the guest
 *	runs with a breakpoint enabled in @dr7.
 * @dr6: the guest's DR6 (every #DB exits: the CPU's DR6 is never the
 *	guest's).
 * @dr7: the guest's DR7 (the VMCS has it, without GD, which is emulated).
 * @cpuid: SET_CPUID's table, or NULL.
 * @nr_cpuid: entries in @cpuid.
 * @cpuid_cache: the last CPUID answers (vmx_cpuid.c).
 * @mmio: the MMIO read waiting for the VMM's answer.
 * @halted: the guest is in a HLT that only an interrupt ends (its APIC
 *	timer is armed); the next RUN waits for one before entering.
 * @apic: the emulated local APIC.
 * @msr_autoload: a page: [0] is the VM-entry MSR-load list, [1] the
 *	VM-exit one (host PEBS off while the guest runs, vmx_spec.c).
 * @msr_autoload_nr: their length in the VMCS now.
 * @user_hypercall: VMCALL at CPL > 0 exits too
 *	(AXVCPU_X86_SET_USER_HYPERCALL); else it is a #UD in the guest.
 * @vapic: the virtual-APIC page (with @has_tpr_shadow): its VTPR is the
 *	local APIC's TPR (@apic.tpr points there).
 * @tpr_threshold: TPR_THRESHOLD as last written.
 * @dr_lazy: MOV DR does not exit: DR0-DR3 and DR6 in the CPU are the
 *	guest's, and its DR7 is in the VMCS only (until axvmx_dr_sync()).
 * @dr_want_lazy: a MOV DR exit asked for that from the next entry.
 * @win: the VMX window RUN has open (run_window()); in the vcpu, not on
 *	the stack, so the hot path carries no stack canary for it.
 * @dbg: the host debug registers that window borrowed; likewise.
 * @held_cpu: the CPU where the VMCS is current between windows (vmx_hold),
 *	or -1.
 */
struct axvmx_vcpu {
	u64 regs[AXVMX_NR_REGS];
	struct axvcpu_vcpu *vcpu;
	void *vmcs;
	u64 vmcs_pa;
	void *io_bitmap;
	void *msr_bitmap;
	int last_cpu;
	u16 vpid;
	u8 io_width;
	u64 msr_rip, msr_rflags;
	bool msr_fault;
	u8 uret_mask;
	u64 entry;
	struct axvmx_fpu fpu;
	unsigned long host_cr3, host_cr4, host_fs_base;
	u32 host_fs_sel, host_gs_sel;
	unsigned long host_rsp;
	struct axvmx_host_state host;
	u64 efer;
	u64 exit_rip;
	spinlock_t lock;
	unsigned int head, nr_events;
	struct axvmx_event events[AXVMX_EVENT_QUEUE];
	u32 reinject, reinject_err, reinject_len;
	u32 exit_reason;
	u32 exit_intr_info;
	u32 timer_value;
	u64 exit_qual;
	u64 guest_kgs;
	u64 cr2;
	u64 xcr0, window_xcr0, cur_xcr0;
	struct axvmx_guest_msrs msrs;
	u64 db[4], dr6, dr7;
	struct axvcpu_x86_cpuid_entry *cpuid;
	u32 nr_cpuid;
	struct axvmx_cpuid_hit cpuid_cache[AXVMX_CPUID_CACHE];
	bool launched, kgs_live, vmcs_ready, vmcs_cleared;
	bool end_window, halted, loaded, exited;
	bool uret_dirty, hw_valid, host_fields_ok, osxsave, fault_pending;
	bool xcr0_dirty;
	u8 exit_cached;
	u64 fault_gpa, fault_qual;
	struct axvmx_mmio_insn mmio;
	struct axvlapic apic;
	struct axvmx_msr_entry *msr_autoload;
	u32 msr_autoload_nr;
	bool user_hypercall;
	void *vapic;
	u32 tpr_threshold;
	bool dr_lazy, dr_want_lazy;
	struct axvmx_window win;
	struct axvmx_debug_save dbg;
	int held_cpu;
};

static inline struct axvmx_vcpu *to_vmx(struct axvcpu_vcpu *vcpu)
{
	return vcpu->arch;
}

static inline struct axvmx_vm *to_vmx_vm(struct axvcpu_vm *vm)
{
	return vm->arch;
}

/* ---- VMX instructions ---- */

/*
 * A VMX instruction at local label 1 that faults (#UD once VMX is off in
 * an emergency, #GP) continues at the C label @label, like a VMfail.
 */
#define AXVMX_FAULT_TO(label)					\
	"jmp 3f\n\t"						\
	"2: jmp %l[" #label "]\n\t"				\
	"3:\n\t"						\
	_ASM_EXTABLE(1b, 2b)

/*
 * Returns 0, or -EIO on VMfail (CF or ZF set) or a fault.  The operand is
 * the 64-bit physical address in memory (SDM Vol. 3C 31.3): passed where
 * it is kept, not copied to the stack first.
 */
static inline int axvmx_vmxon(const u64 *pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 AXVMX_FAULT_TO(fail)
		 : : [pa] "m"(*pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static inline int axvmx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 AXVMX_FAULT_TO(fault)
		 : : : "cc", "memory" : fault);
	return 0;
fault:
	return -EIO;
}

static inline int axvmx_vmclear(const u64 *pa)
{
	asm goto("1: vmclear %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 AXVMX_FAULT_TO(fail)
		 : : [pa] "m"(*pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static inline int axvmx_vmptrld(const u64 *pa)
{
	asm goto("1: vmptrld %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 AXVMX_FAULT_TO(fail)
		 : : [pa] "m"(*pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

/* vmx_ops.c: a VMX instruction of the module failed (logged, ratelimited). */
/**
 * struct axvmx_vmcs_fail - the VMREAD/VMWRITE failures of this CPU not yet
 *	logged (axvmx_vmcs_fail_report()).
 * @field: the field of the last failure.
 * @value: the value of the last failed VMWRITE.
 * @reads: failed VMREADs since the last report.
 * @writes: failed VMWRITEs since the last report.
 */
struct axvmx_vmcs_fail {
	unsigned long field;
	u64 value;
	unsigned int reads, writes;
};
DECLARE_PER_CPU(struct axvmx_vmcs_fail, axvmx_vmcs_fail);
void __axvmx_vmcs_fail_report(void);

/*
 * Logs the failures recorded since the last call on this CPU; with the
 * VMCS still current (it reads the VM-instruction error).  IRQs off.
 */
static __always_inline void axvmx_vmcs_fail_report(void)
{
	if (unlikely(this_cpu_read(axvmx_vmcs_fail.reads) |
		     this_cpu_read(axvmx_vmcs_fail.writes)))
		__axvmx_vmcs_fail_report();
}
void axvmx_insn_error(const char *insn, u64 arg);

/* VMPTRST; -EIO when the CPU is not in VMX operation after all. */
static inline int axvmx_vmptrst(u64 *pa)
{
	asm goto("1: vmptrst %[pa]\n\t"
		 AXVMX_FAULT_TO(fault)
		 : [pa] "=m"(*pa) : : "cc", "memory" : fault);
	return 0;
fault:
	return -EIO;
}

/*
 * VMREAD and VMWRITE fail only on a bug (no current VMCS, a field the CPU
 * lacks).  A failure is recorded in this CPU's struct axvmx_vmcs_fail, a
 * failed read returns 0, and axvmx_vmcs_put() logs what was recorded
 * before the VMCS goes (every VMCS access lies between axvmx_vmcs_get()
 * and axvmx_vmcs_put(), IRQs off, so the record is the window's).  No
 * call on the failure path: a call there would make every caller keep
 * its live values in callee-saved registers, pushed and popped on each
 * exit's handlers whether or not anything fails.
 */
static __always_inline u64 vmcs_read(unsigned long field)
{
	u64 value;

	asm goto("vmread %[field], %[value]\n\t"
		 "jna %l[fail]"
		 : [value] "=r"(value) : [field] "r"(field) : "cc" : fail);
	return value;
fail:
	this_cpu_write(axvmx_vmcs_fail.field, field);
	this_cpu_inc(axvmx_vmcs_fail.reads);
	return 0;
}

static __always_inline void vmcs_write(unsigned long field, u64 value)
{
	asm goto("vmwrite %[value], %[field]\n\t"
		 "jna %l[fail]"
		 : : [field] "r"(field), [value] "rm"(value) : "cc" : fail);
	return;
fail:
	this_cpu_write(axvmx_vmcs_fail.field, field);
	this_cpu_write(axvmx_vmcs_fail.value, value);
	this_cpu_inc(axvmx_vmcs_fail.writes);
}

static inline void vmcs_set_bits(unsigned long field, u64 bits)
{
	vmcs_write(field, vmcs_read(field) | bits);
}

static inline void vmcs_clear_bits(unsigned long field, u64 bits)
{
	vmcs_write(field, vmcs_read(field) & ~bits);
}

static inline int axvmx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };

	asm goto("1: invept %[desc], %[type]\n\t"
		 "jna %l[fail]\n\t"
		 AXVMX_FAULT_TO(fail)
		 : : [desc] "m"(desc), [type] "r"(type) : "cc", "memory"
		 : fail);
	return 0;
fail:
	return -EIO;
}

static inline int axvmx_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gla; } desc = { vpid, 0 };

	asm goto("1: invvpid %[desc], %[type]\n\t"
		 "jna %l[fail]\n\t"
		 AXVMX_FAULT_TO(fail)
		 : : [desc] "m"(desc), [type] "r"(type) : "cc", "memory"
		 : fail);
	return 0;
fail:
	return -EIO;
}

/* ---- vmx_entry.S ---- */

/*
 * Enters the guest with the GPRs in @regs; returns 0 after a VM exit (the
 * guest GPRs are then in @regs), 1 after VMfailInvalid or VMfailValid.
 * HOST_RSP is written only when the stack pointer differs from *@host_rsp.
 */
int axvmx_vmenter(u64 *regs, bool resume, unsigned long *host_rsp);
/* HOST_RIP: the instruction after VMLAUNCH/VMRESUME as the host sees it. */
void axvmx_vmexit(void);

/* ---- vmx_percpu.c ---- */

int axvmx_window_open(struct axvmx_window *w);
bool axvmx_hold_current(struct axvmx_vcpu *v);
void axvmx_hold_loaded(struct axvmx_vcpu *v, int cpu);
void axvmx_hold_forget(struct axvmx_vcpu *v, bool all);
void axvmx_window_close(struct axvmx_window *w);
u16 axvmx_alloc_vpid(void);
struct axvmx_host_msrs *axvmx_host_msrs(void);
void axvmx_free_vpid(u16 vpid);

/*
 * vmx_hold is in use (module parameter, on a kernel that exports the CR4
 * helpers it needs): a jump label, so that the default mode's run path
 * pays a NOP, not a load and a test, for each of the mode's checks.
 */
#ifdef AXVCPU_HAVE_CR4_EXPORT
DECLARE_STATIC_KEY_FALSE(axvmx_hold_key);

static __always_inline bool axvmx_holding(void)
{
	return static_branch_unlikely(&axvmx_hold_key);
}
#else
static __always_inline bool axvmx_holding(void)
{
	return false;
}
#endif

/* ---- vmx_spec.c ---- */

int axvmx_spec_init(void);
void axvmx_spec_exit(void);
u64 axvmx_spec_new_vm_id(void);
void axvmx_spec_window(struct axvmx_vcpu *v);
void axvmx_spec_entry(void);
void axvmx_spec_ctrl_restore_host(void);

/* ---- vmx_ept.c ---- */

void axvmx_ept_flush_all(struct axvmx_vm *vm);

/* ---- vmx_fpu.c ---- */

int axvmx_fpu_init(struct axvmx_fpu *f);
void axvmx_fpu_free(struct axvmx_fpu *f);
void axvmx_fpu_load_guest(struct axvmx_vcpu *v);
void axvmx_fpu_save_guest(struct axvmx_vcpu *v);

/* ---- the state layer: vmx_state.c ---- */

int axvmx_vmcs_get(struct axvmx_vcpu *v, struct axvmx_window *w);
void axvmx_vmcs_put(struct axvmx_vcpu *v, struct axvmx_window *w);
int axvmx_with_vmcs(struct axvmx_vcpu *v,
		    int (*fn)(struct axvmx_vcpu *v, void *arg), void *arg);
void axvmx_set_host_state_window(struct axvmx_vcpu *v);
void axvmx_skip_insn(struct axvmx_vcpu *v, u32 len);
void axvmx_msr_refused(struct axvmx_vcpu *v);
void axvmx_queue_db(struct axvmx_vcpu *v, u64 payload);
void axvmx_dr_sync(struct axvmx_vcpu *v);
u64 axvmx_get_reg(struct axvmx_vcpu *v, unsigned int idx);
void axvmx_set_reg(struct axvmx_vcpu *v, unsigned int idx, u64 val);
void axvmx_set_cr0(struct axvmx_vcpu *v, u64 val);
void axvmx_set_cr4(struct axvmx_vcpu *v, u64 val);
u64 axvmx_get_cr0(void);
u64 axvmx_get_cr4(void);
void axvmx_set_efer(struct axvmx_vcpu *v, u64 efer);
void axvmx_set_dr7(struct axvmx_vcpu *v, u64 dr7);
bool axvmx_exception_has_error_code(u8 vector);
int axvmx_check_cr0(u64 cr0);
int axvmx_check_cr4(u64 cr4);
u64 axvmx_cr4_refused(void);
int axvmx_load_pdptrs(struct axvmx_vcpu *v, u64 cr3);
void axvmx_queue_exception(struct axvmx_vcpu *v, u8 vector, u32 err);

/* Exit fields, read from the VMCS at most once per exit. */
static inline u64 axvmx_exit_qual(struct axvmx_vcpu *v)
{
	if (!(v->exit_cached & AXVMX_EXIT_QUAL)) {
		v->exit_qual = vmcs_read(EXIT_QUALIFICATION);
		v->exit_cached |= AXVMX_EXIT_QUAL;
	}
	return v->exit_qual;
}

static inline u32 axvmx_exit_intr_info(struct axvmx_vcpu *v)
{
	if (!(v->exit_cached & AXVMX_EXIT_INTR_INFO)) {
		v->exit_intr_info = vmcs_read(VM_EXIT_INTR_INFO);
		v->exit_cached |= AXVMX_EXIT_INTR_INFO;
	}
	return v->exit_intr_info;
}

static inline u64 axvmx_exit_rip(struct axvmx_vcpu *v)
{
	if (!(v->exit_cached & AXVMX_EXIT_RIP)) {
		v->exit_rip = vmcs_read(GUEST_RIP);
		v->exit_cached |= AXVMX_EXIT_RIP;
	}
	return v->exit_rip;
}

/* The instruction of the exit is done (its length from the VMCS). */
static inline void axvmx_advance_rip(struct axvmx_vcpu *v)
{
	axvmx_skip_insn(v, vmcs_read(VM_EXIT_INSTRUCTION_LEN));
}

/* ---- vmx_vcpu.c ---- */

int axvmx_init_reset(struct axvmx_vcpu *v);
int axvmx_sipi_start(struct axvmx_vcpu *v, u8 vector);

/* ---- vmx_event.c ---- */

void __axvmx_inject_events(struct axvmx_vcpu *v);

/* Before each entry; a few loads when there is nothing to deliver. */
static __always_inline void axvmx_inject_events(struct axvmx_vcpu *v)
{
	if (unlikely(v->reinject || READ_ONCE(v->nr_events) ||
		     v->tpr_threshold || atomic_read(&v->apic.nmi_pending) ||
		     !axvlapic_irr_empty(&v->apic)))
		__axvmx_inject_events(v);
}
bool axvmx_events_pending(struct axvmx_vcpu *v);

/* Guest segment registers, in the order of struct axvcpu_x86_sregs. */
enum {
	AXVMX_SEG_CS, AXVMX_SEG_DS, AXVMX_SEG_ES, AXVMX_SEG_FS, AXVMX_SEG_GS,
	AXVMX_SEG_SS, AXVMX_SEG_TR, AXVMX_SEG_LDT, AXVMX_NR_SEGS
};
void axvmx_write_seg(int s, u16 sel, u64 base, u32 limit, u32 ar);

/* ---- vmx_mmio.c ---- */

int axvmx_mmio_exit(struct axvmx_vcpu *v, u64 gpa);
int axvmx_apic_mmio(struct axvmx_vcpu *v, u64 gpa);
int axvmx_complete_mmio(struct axvmx_vcpu *v);

/* ---- vmx_exit.c ---- */

int axvmx_handle_exit(struct axvmx_vcpu *v);
int axvmx_fault_in(struct axvmx_vcpu *v);
int axvmx_handle_vmfail(struct axvmx_vcpu *v);

/* ---- vmx_msr.c ---- */

/* Return values of axvmx_msr_read()/axvmx_msr_write(). */
#define AXVMX_MSR_VMM		0	/* not kept here: SYSREG exit */
#define AXVMX_MSR_DONE		1
#define AXVMX_MSR_GP		(-1)
#define AXVMX_MSR_EXIT		2	/* run->exit_reason filled (APIC) */

void axvmx_msrs_init(struct axvmx_vcpu *v);
int axvmx_msr_read(struct axvmx_vcpu *v, u32 msr, u64 *val);
int axvmx_msr_write(struct axvmx_vcpu *v, u32 msr, u64 val);
void __axvmx_msrs_load_guest(struct axvmx_vcpu *v);

/*
 * __axvmx_msrs_load_guest() (vmx_msr.c), its common case inline: with
 * none of the guest's values loaded, a guest that cannot SYSCALL (not
 * 64-bit with EFER.SCE, SDM Vol. 2B SYSCALL) and no TSC_AUX to switch,
 * there is nothing to load.
 */
static inline void axvmx_msrs_load_guest(struct axvmx_vcpu *v)
{
	if (!v->uret_mask && !axvmx_caps.switch_tsc_aux &&
	    (v->efer & (EFER_LMA | EFER_SCE)) != (EFER_LMA | EFER_SCE)) {
		v->uret_dirty = false;
		return;
	}
	__axvmx_msrs_load_guest(v);
}
void axvmx_msrs_put_host(struct axvmx_vcpu *v);
long axvmx_set_io_intercept(struct axvmx_vcpu *v,
			    const struct axvcpu_x86_io_intercept *io);
long axvmx_set_msr_intercept(struct axvmx_vcpu *v,
			     const struct axvcpu_x86_msr_intercept *mi);

/* ---- vmx_cpuid.c ---- */

void axvmx_cpuid_init(void);
int axvmx_handle_cpuid(struct axvmx_vcpu *v);
long axvmx_set_cpuid(struct axvmx_vcpu *v, const struct axvcpu_x86_cpuid *hdr,
		     struct axvcpu_x86_cpuid __user *uc);
u64 axvmx_xcr0_allowed(struct axvmx_vcpu *v);

#endif /* _AXVCPU_VMX_H */
