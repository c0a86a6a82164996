/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of axvcpu: guest entries and exits, exits to the VMM and
 * their completion, interrupt injections, guest-memory faults, TLB
 * flushes of guest translations, ioeventfd signals and in-kernel halts.
 *
 * Enable them with "trace-cmd record -e axvcpu" or through tracefs
 * (events/axvcpu/enable); Documentation/tracing.rst describes each event.
 * vcpu_trace.c creates them; every other file includes this header alone.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM axvcpu

#if !defined(_AXVCPU_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _AXVCPU_TRACE_H

#include <linux/tracepoint.h>
#include "axvcpu_core.h"

/* What an axvcpu_flush event invalidated. */
#define AXVCPU_TRACE_FLUSH_VM		0	/* the VM's, on every CPU */
#define AXVCPU_TRACE_FLUSH_CPU		1	/* the VM's, on this CPU */
#define AXVCPU_TRACE_FLUSH_CPU_S1	2	/* guest stage 1 only, this CPU */

/* Where an injected interrupt came from. */
#define AXVCPU_TRACE_INJECT_IOCTL	0
#define AXVCPU_TRACE_INJECT_IRQFD	1

/*
 * axvcpu_entry - the vcpu enters the guest (VMLAUNCH/VMRESUME, ERET).
 * @vcpu: the vcpu.
 */
TRACE_EVENT(axvcpu_entry,
	TP_PROTO(struct axvcpu_vcpu *vcpu),
	TP_ARGS(vcpu),
	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
	),
	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
	),
	TP_printk("vm %u vcpu %u", __entry->vm, __entry->vcpu)
);

/*
 * axvcpu_exit - the guest exited to the module, before any handling.
 * @vcpu: the vcpu.
 * @reason: x86: the VMX exit reason (SDM Vol. 3C 28.2.1, with its flag
 *	bits); arm64: ESR_EL2.
 * @info: x86: the exit qualification; arm64: FAR_EL2.
 * @info2: x86: the VM-exit interruption information; arm64: HPFAR_EL2.
 * @pc: the guest RIP / PC at the exit.
 */
TRACE_EVENT(axvcpu_exit,
	TP_PROTO(struct axvcpu_vcpu *vcpu, u64 reason, u64 info, u64 info2,
		 u64 pc),
	TP_ARGS(vcpu, reason, info, info2, pc),
	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
		__field(u64, reason)
		__field(u64, info)
		__field(u64, info2)
		__field(u64, pc)
	),
	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->reason = reason;
		__entry->info = info;
		__entry->info2 = info2;
		__entry->pc = pc;
	),
	TP_printk("vm %u vcpu %u reason %#llx info %#llx %#llx pc %#llx",
		  __entry->vm, __entry->vcpu, __entry->reason, __entry->info,
		  __entry->info2, __entry->pc)
);

/*
 * An exit reason and a result: axvcpu_userspace_exit (AXVCPU_RUN returns
 * to the VMM; @ret is RUN's return value, -EINTR with INTR) and
 * axvcpu_complete (the next RUN writes the VMM's answer to that exit back
 * into the guest; @ret is 0 or the errno that made the vcpu Invalid).
 */
DECLARE_EVENT_CLASS(axvcpu_exit_result,
	TP_PROTO(struct axvcpu_vcpu *vcpu, u32 reason, int ret),
	TP_ARGS(vcpu, reason, ret),
	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
		__field(u32, reason)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->reason = reason;
		__entry->ret = ret;
	),
	/*
	 * The names of AXVCPU_EXIT_NAMES, written out: __print_symbolic()
	 * takes the pairs themselves, not a braced table, and perf and
	 * trace-cmd read them from the event's format file.
	 */
	TP_printk("vm %u vcpu %u %s ret %d", __entry->vm, __entry->vcpu,
		  __print_symbolic(__entry->reason,
			{ AXVCPU_EXIT_NOTHING,		"NOTHING" },
			{ AXVCPU_EXIT_HYPERCALL,	"HYPERCALL" },
			{ AXVCPU_EXIT_MMIO_READ,	"MMIO_READ" },
			{ AXVCPU_EXIT_MMIO_WRITE,	"MMIO_WRITE" },
			{ AXVCPU_EXIT_SYSREG_READ,	"SYSREG_READ" },
			{ AXVCPU_EXIT_SYSREG_WRITE,	"SYSREG_WRITE" },
			{ AXVCPU_EXIT_IO_READ,		"IO_READ" },
			{ AXVCPU_EXIT_IO_WRITE,		"IO_WRITE" },
			{ AXVCPU_EXIT_EXTERNAL_INTERRUPT, "EXTERNAL_INTERRUPT" },
			{ AXVCPU_EXIT_NESTED_PAGE_FAULT, "NESTED_PAGE_FAULT" },
			{ AXVCPU_EXIT_HALT,		"HALT" },
			{ AXVCPU_EXIT_CPU_UP,		"CPU_UP" },
			{ AXVCPU_EXIT_CPU_DOWN,		"CPU_DOWN" },
			{ AXVCPU_EXIT_SYSTEM_DOWN,	"SYSTEM_DOWN" },
			{ AXVCPU_EXIT_SEND_IPI,		"SEND_IPI" },
			{ AXVCPU_EXIT_FAIL_ENTRY,	"FAIL_ENTRY" },
			{ AXVCPU_EXIT_INTR,		"INTR" },
			{ AXVCPU_EXIT_INTERNAL_ERROR,	"INTERNAL_ERROR" }),
		  __entry->ret)
);

DEFINE_EVENT(axvcpu_exit_result, axvcpu_userspace_exit,
	TP_PROTO(struct axvcpu_vcpu *vcpu, u32 reason, int ret),
	TP_ARGS(vcpu, reason, ret)
);

DEFINE_EVENT(axvcpu_exit_result, axvcpu_complete,
	TP_PROTO(struct axvcpu_vcpu *vcpu, u32 reason, int ret),
	TP_ARGS(vcpu, reason, ret)
);

/*
 * axvcpu_inject - an interrupt is queued for a vcpu.
 * @vcpu: the vcpu.
 * @vector: the x86 vector or arm64 INTID.
 * @source: AXVCPU_TRACE_INJECT_IOCTL or _IRQFD.
 * @ret: 0, or why the backend refused it (negative errno).
 */
TRACE_EVENT(axvcpu_inject,
	TP_PROTO(struct axvcpu_vcpu *vcpu, u32 vector, u32 source, int ret),
	TP_ARGS(vcpu, vector, source, ret),
	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
		__field(u32, vector)
		__field(u32, source)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->vector = vector;
		__entry->source = source;
		__entry->ret = ret;
	),
	TP_printk("vm %u vcpu %u vector %u from %s ret %d", __entry->vm,
		  __entry->vcpu, __entry->vector,
		  __print_symbolic(__entry->source,
				   { AXVCPU_TRACE_INJECT_IOCTL, "ioctl" },
				   { AXVCPU_TRACE_INJECT_IRQFD, "irqfd" }),
		  __entry->ret)
);

/*
 * axvcpu_mem_fault - a guest access to RAM not mapped yet (an EPT
 *	violation / stage-2 translation or permission fault) mapped it.
 * @vm: the VM.
 * @gpa: the guest-physical address.
 * @write: the access was a write.
 * @order: the leaf mapped (0: 4 KiB, 9: 2 MiB, 18: 1 GiB).
 * @ret: 0 (mapped, or raced with an invalidation: the guest retries), or
 *	the negative errno that ends in an exit.
 */
TRACE_EVENT(axvcpu_mem_fault,
	TP_PROTO(struct axvcpu_vm *vm, u64 gpa, bool write,
		 unsigned int order, int ret),
	TP_ARGS(vm, gpa, write, order, ret),
	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u64, gpa)
		__field(bool, write)
		__field(unsigned int, order)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->vm = vm->id;
		__entry->gpa = gpa;
		__entry->write = write;
		__entry->order = order;
		__entry->ret = ret;
	),
	TP_printk("vm %u gpa %#llx %s order %u ret %d", __entry->vm,
		  __entry->gpa, __entry->write ? "write" : "read",
		  __entry->order, __entry->ret)
);

/*
 * axvcpu_flush - cached guest translations invalidated.
 * @vm: the VM.
 * @vcpu: the vcpu entering on this CPU, or -1 for a VM-wide flush.
 * @what: AXVCPU_TRACE_FLUSH_*.
 */
TRACE_EVENT(axvcpu_flush,
	TP_PROTO(struct axvcpu_vm *vm, int vcpu, u32 what),
	TP_ARGS(vm, vcpu, what),
	TP_STRUCT__entry(
		__field(u32, vm)
		__field(int, vcpu)
		__field(u32, what)
	),
	TP_fast_assign(
		__entry->vm = vm->id;
		__entry->vcpu = vcpu;
		__entry->what = what;
	),
	TP_printk("vm %u vcpu %d %s", __entry->vm, __entry->vcpu,
		  __print_symbolic(__entry->what,
				   { AXVCPU_TRACE_FLUSH_VM, "vm-all-cpus" },
				   { AXVCPU_TRACE_FLUSH_CPU, "vm-this-cpu" },
				   { AXVCPU_TRACE_FLUSH_CPU_S1, "stage1-this-cpu" }))
);

/*
 * axvcpu_ioeventfd - a guest write signalled an ioeventfd, no exit.
 * @vm: the VM.
 * @addr: the MMIO address or I/O port written.
 * @len: the access width in bytes.
 * @pio: @addr is an x86 I/O port.
 */
TRACE_EVENT(axvcpu_ioeventfd,
	TP_PROTO(struct axvcpu_vm *vm, u64 addr, u32 len, bool pio),
	TP_ARGS(vm, addr, len, pio),
	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u64, addr)
		__field(u32, len)
		__field(bool, pio)
	),
	TP_fast_assign(
		__entry->vm = vm->id;
		__entry->addr = addr;
		__entry->len = len;
		__entry->pio = pio;
	),
	TP_printk("vm %u %s %#llx len %u", __entry->vm,
		  __entry->pio ? "port" : "mmio", __entry->addr, __entry->len)
);

/*
 * axvcpu_halt - a halted vcpu slept in the module (AXVCPU_SETUP_HALT_IN_KERNEL).
 * @vcpu: the vcpu.
 * @ns: nanoseconds it slept.
 * @woken: an interrupt for it ended the wait (else the timeout or a
 *	return to userspace).
 */
TRACE_EVENT(axvcpu_halt,
	TP_PROTO(struct axvcpu_vcpu *vcpu, u64 ns, bool woken),
	TP_ARGS(vcpu, ns, woken),
	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
		__field(u64, ns)
		__field(bool, woken)
	),
	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->ns = ns;
		__entry->woken = woken;
	),
	TP_printk("vm %u vcpu %u %llu ns %s", __entry->vm, __entry->vcpu,
		  __entry->ns, __entry->woken ? "woken" : "not woken")
);

#endif /* _AXVCPU_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH trace
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE axvcpu
#include <trace/define_trace.h>
