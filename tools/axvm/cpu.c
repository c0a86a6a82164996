// SPDX-License-Identifier: GPL-2.0
/*
 * axvm vcpu threads: power on, the run loop (one switch over the exit
 * reasons), power off; an exit's device emulated under the device lock,
 * and the interrupts devices raise meanwhile.
 *
 * A vcpu thread is created by the first CPU_ON of its vcpu (vcpu 0: by
 * vm__run()).  It does AXVCPU_SETUP and AXVCPU_BIND itself, so that BIND
 * loads the vcpu on the CPU that runs it, then loops in AXVCPU_RUN.  On
 * CPU_DOWN (PSCI CPU_OFF) it parks until the next CPU_ON.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "axvm.h"

enum { CPU_STOP, CPU_PARK };

void cpu__kick(struct axvm_cpu *cpu)
{
	/*
	 * immediate_exit catches a kick that lands before the thread is in
	 * AXVCPU_RUN; the signal one that lands while it is inside.
	 */
	if (cpu->v.run)
		__atomic_store_n(&cpu->v.run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(cpu->thread, SIGUSR1);
}

/* Wake @cpu if its thread waits in cpu__halt(): an interrupt is queued. */
void cpu__wake(struct axvm_cpu *cpu)
{
	pthread_mutex_lock(&cpu->vm->lock);
	__atomic_fetch_add(&cpu->wakes, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&cpu->wake);
	pthread_mutex_unlock(&cpu->vm->lock);
}

/* Queue an interrupt for @cpu, from any thread, and wake it if halted here. */
int cpu__inject(struct axvm_cpu *cpu, uint32_t vector)
{
	int r = axvm_vcpu_inject(&cpu->v, vector, 0, 0);

	cpu__wake(cpu);
	return r;
}

static void cpu__trace(struct axvm_cpu *cpu, const char *note)
{
	struct axvcpu_run *run = cpu->v.run;
	char detail[160] = "";

	switch (run->exit_reason) {
	case AXVCPU_EXIT_IO_READ:
	case AXVCPU_EXIT_IO_WRITE:
		snprintf(detail, sizeof(detail), "port 0x%x width %u data 0x%llx",
			 run->io.port, run->io.width,
			 (unsigned long long)run->io.data);
		break;
	case AXVCPU_EXIT_MMIO_READ:
	case AXVCPU_EXIT_MMIO_WRITE:
		snprintf(detail, sizeof(detail), "addr 0x%llx width %u data 0x%llx",
			 (unsigned long long)run->mmio.addr, run->mmio.width,
			 (unsigned long long)run->mmio.data);
		break;
	case AXVCPU_EXIT_SYSREG_READ:
	case AXVCPU_EXIT_SYSREG_WRITE:
		snprintf(detail, sizeof(detail), "reg 0x%llx value 0x%llx",
			 (unsigned long long)run->sysreg.addr,
			 (unsigned long long)run->sysreg.value);
		break;
	case AXVCPU_EXIT_HYPERCALL:
		snprintf(detail, sizeof(detail), "nr 0x%llx args 0x%llx 0x%llx 0x%llx",
			 (unsigned long long)run->hypercall.nr,
			 (unsigned long long)run->hypercall.args[0],
			 (unsigned long long)run->hypercall.args[1],
			 (unsigned long long)run->hypercall.args[2]);
		break;
	case AXVCPU_EXIT_CPU_UP:
		snprintf(detail, sizeof(detail), "target 0x%llx entry 0x%llx arg 0x%llx",
			 (unsigned long long)run->cpu_up.target_cpu,
			 (unsigned long long)run->cpu_up.entry,
			 (unsigned long long)run->cpu_up.arg);
		break;
	case AXVCPU_EXIT_SYSTEM_DOWN:
		snprintf(detail, sizeof(detail), "type %llu",
			 (unsigned long long)run->system_down.type);
		break;
	case AXVCPU_EXIT_SEND_IPI:
		snprintf(detail, sizeof(detail), "target 0x%llx aux 0x%llx all %u self %u vector %llu",
			 (unsigned long long)run->send_ipi.target_cpu,
			 (unsigned long long)run->send_ipi.target_cpu_aux,
			 run->send_ipi.send_to_all, run->send_ipi.send_to_self,
			 (unsigned long long)run->send_ipi.vector);
		break;
	case AXVCPU_EXIT_NESTED_PAGE_FAULT:
		snprintf(detail, sizeof(detail), "gpa 0x%llx access 0x%llx",
			 (unsigned long long)run->npf.gpa,
			 (unsigned long long)run->npf.access);
		break;
	default:
		break;
	}
	fprintf(stderr, "axvm: vcpu %u: %-14s %s%s%s (pc 0x%llx)\n", cpu->id,
		axvm_exit_name(run->exit_reason), detail, note ? " " : "",
		note ? note : "", (unsigned long long)run->hw_rip);
}

/*
 * The device lock (vm->io_lock) serialises emulation: the devices are a
 * few registers each and no exit stays long in them.
 *
 * Interrupts a device raised while this thread emulated an access: they
 * are injected after io_lock is dropped, because cpu__inject() takes
 * vm->lock and vm__stop() takes io_lock under vm->lock.  One that went
 * through an irqfd is injected already; its vcpu is only woken then.  A
 * vm__stop() a device calls waits for the unlock too (io__defer_stop()).
 */
#define MAX_RAISED	8

struct raised_irq {
	struct axvm_cpu *cpu;
	uint32_t irq;
	bool wake_only;
};

static __thread struct {
	bool in_io;
	unsigned int n;
	struct raised_irq irq[MAX_RAISED];
	/* a vm__stop() a device asked for, done after io_lock is dropped */
	bool stop;
	int stop_status;
	char stop_msg[256];
} raised;

/*
 * vm__stop() from a device's handler (a power-off or reset register):
 * vm__stop() takes vm->lock and then io_lock, which this thread holds, so
 * the stop waits for io__unlock().  True when it was deferred so.
 */
bool io__defer_stop(int status, const char *msg)
{
	if (!raised.in_io)
		return false;
	if (!raised.stop) {
		raised.stop = true;
		raised.stop_status = status;
		snprintf(raised.stop_msg, sizeof(raised.stop_msg), "%s", msg);
	}
	return true;
}

/* --stats: interrupts raised, by INTID / vector, per path (any thread). */
#define IRQ_COUNTED	1024

static uint64_t irq_by_irqfd[IRQ_COUNTED], irq_by_ioctl[IRQ_COUNTED];

static void irq__count(uint64_t *tab, uint32_t irq)
{
	if (irq < IRQ_COUNTED)
		__atomic_fetch_add(&tab[irq], 1, __ATOMIC_RELAXED);
}

void io__irq_counts(uint32_t irq, uint64_t *by_irqfd, uint64_t *by_ioctl)
{
	*by_irqfd = irq < IRQ_COUNTED ? __atomic_load_n(&irq_by_irqfd[irq], __ATOMIC_RELAXED) : 0;
	*by_ioctl = irq < IRQ_COUNTED ? __atomic_load_n(&irq_by_ioctl[irq], __ATOMIC_RELAXED) : 0;
}

static void raised__add(struct axvm_cpu *target, uint32_t irq, bool wake_only)
{
	unsigned int i;

	for (i = 0; i < raised.n; i++)
		if (raised.irq[i].cpu == target && raised.irq[i].irq == irq &&
		    raised.irq[i].wake_only == wake_only)
			return;		/* one is as good as two: edge */
	if (raised.n < MAX_RAISED)
		raised.irq[raised.n++] = (struct raised_irq){ target, irq, wake_only };
}

void io__raise(struct axvm_cpu *target, uint32_t irq)
{
	irq__count(irq_by_ioctl, irq);
	if (!raised.in_io) {
		cpu__inject(target, irq);
		return;
	}
	raised__add(target, irq, false);
}

void io__raise_irqfd(struct axvm_cpu *target, uint32_t irq, int fd)
{
	uint64_t one = 1;

	/*
	 * The module injects in this write (vcpu_eventfd.c), so when it
	 * returns the interrupt is queued and the wake below cannot come
	 * before it.
	 */
	if (write(fd, &one, sizeof(one)) != sizeof(one)) {
		io__raise(target, irq);
		return;
	}
	irq__count(irq_by_irqfd, irq);
	if (!raised.in_io)
		cpu__wake(target);
	else
		raised__add(target, irq, true);
}

/* Take the device lock; what devices raise meanwhile waits for io__unlock(). */
void io__lock(struct axvm *vm)
{
	pthread_mutex_lock(&vm->io_lock);
	raised.in_io = true;
}

void io__unlock(struct axvm *vm)
{
	unsigned int i;

	raised.in_io = false;
	pthread_mutex_unlock(&vm->io_lock);
	for (i = 0; i < raised.n; i++) {
		if (raised.irq[i].wake_only)
			cpu__wake(raised.irq[i].cpu);
		else
			cpu__inject(raised.irq[i].cpu, raised.irq[i].irq);
	}
	raised.n = 0;
	if (raised.stop) {
		raised.stop = false;
		vm__stop(vm, raised.stop_status, raised.stop_msg[0] ? "%s" : NULL,
			 raised.stop_msg);
	}
}

static bool io__emulate(struct axvm_cpu *cpu, struct io_claim d,
			uint64_t *data, unsigned int width, bool is_write)
{
	if (!d.fn)
		return false;
	io__lock(cpu->vm);
	d.fn(cpu, d.off, data, width, is_write, d.priv);
	io__unlock(cpu->vm);
	return true;
}

/* Port I/O: false when no device claims @port (the caller answers ~0). */
bool ioport__emulate(struct axvm_cpu *cpu, uint16_t port, uint64_t *data,
		     unsigned int width, bool is_write)
{
	return io__emulate(cpu, ioport__find(port), data, width, is_write);
}

bool mmio__emulate(struct axvm_cpu *cpu, uint64_t addr, uint64_t *data,
		   unsigned int width, bool is_write)
{
	return io__emulate(cpu, mmio__find(addr), data, width, is_write);
}

static uint64_t width_mask(unsigned int width)
{
	return width >= 8 ? ~0ULL : (1ULL << (width * 8)) - 1;
}

/* Port I/O; a port no device claims reads as all ones, writes vanish. */
static void cpu__emulate_io(struct axvm_cpu *cpu, struct axvcpu_run *run)
{
	bool is_write = run->exit_reason == AXVCPU_EXIT_IO_WRITE;
	uint64_t data = is_write ? run->io.data & width_mask(run->io.width) : ~0ULL;
	bool found = ioport__emulate(cpu, run->io.port, &data, run->io.width,
				     is_write);

	if (!is_write)
		run->io.data = data & width_mask(run->io.width);
	if (!found)
		cpu->unclaimed_io++;
	if (cpu->vm->o.trace)
		cpu__trace(cpu, found ? NULL : "(no device)");
}

static void cpu__emulate_mmio(struct axvm_cpu *cpu, struct axvcpu_run *run)
{
	bool is_write = run->exit_reason == AXVCPU_EXIT_MMIO_WRITE;
	uint64_t data = is_write ? run->mmio.data : ~0ULL;
	bool found = mmio__emulate(cpu, run->mmio.addr, &data, run->mmio.width,
				   is_write);

	if (!found)
		cpu->unclaimed_mmio++;
	if (!found && !arch__mmio_unhandled(cpu, run->mmio.addr, is_write))
		return;	/* the VM stops */
	if (!is_write)
		run->mmio.data = data & width_mask(run->mmio.width);
	if (cpu->vm->o.trace)
		cpu__trace(cpu, found ? NULL : "(no device)");
}

/*
 * No device of axvm models a system register or MSR: the access faults
 * as on a CPU without that register (UNDEF / #GP), and the first one of
 * each vcpu says so on stderr (--trace: every one), --stats counts them.
 * Answering 0 instead hid guests polling registers that never change.
 */
static void cpu__sysreg_unmodelled(struct axvm_cpu *cpu, struct axvcpu_run *run)
{
	char name[40];

	run->sysreg.fault = 1;
	if (cpu->unmodelled++ && !cpu->vm->o.trace)
		return;
	arch__sysreg_name(run->sysreg.addr, name, sizeof(name));
	fprintf(stderr, "axvm: vcpu %u: %s of %s %s at pc 0x%llx: not modelled, the guest gets %s%s\n",
		cpu->id, run->exit_reason == AXVCPU_EXIT_SYSREG_READ ? "read" : "write",
		arch__sysreg_kind, name, (unsigned long long)run->hw_rip,
		arch__sysreg_fault,
		cpu->vm->o.trace ? "" : " (--trace shows every one)");
}

/*
 * HLT / WFI: wait here until an interrupt for us, a stop, or 10 ms.  An
 * interrupt queued while the vcpu was in RUN (a device thread's, on
 * another CPU) did not reach the guest before its WFI: its wake came
 * before this wait, so that wait is skipped (@wakes moved since the RUN).
 */
static void cpu__halt(struct axvm_cpu *cpu)
{
	struct axvm *vm = cpu->vm;
	struct timespec ts;

	if (arch__halt_forever(cpu)) {
		pthread_mutex_lock(&vm->lock);
		cpu->stuck = true;
		vm__check_alive(vm);
		while (cpu->stuck && !vm->stopping)
			pthread_cond_wait(&cpu->wake, &vm->lock);
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 10 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&vm->lock);
	if (!vm->stopping && cpu->wakes == cpu->wakes_at_run)
		pthread_cond_timedwait(&cpu->wake, &vm->lock, &ts);
	pthread_mutex_unlock(&vm->lock);
}

static int cpu__system_down(struct axvm_cpu *cpu, uint64_t type)
{
	switch (type) {
	case AXVCPU_SYSTEM_DOWN_OFF:
		vm__stop(cpu->vm, 0, NULL);
		break;
	case AXVCPU_SYSTEM_DOWN_RESET:
		vm__stop(cpu->vm, AXVM_EXIT_RESET, "vcpu %u: the guest asked for a reset (axvm does not reboot: status 32)",
			 cpu->id);
		break;
	case AXVCPU_SYSTEM_DOWN_CRASH:
		vm__stop(cpu->vm, AXVM_EXIT_ERROR,
			 "vcpu %u: triple fault at pc 0x%llx: the guest crashed",
			 cpu->id, (unsigned long long)cpu->v.run->hw_rip);
		break;
	default:
		vm__stop(cpu->vm, AXVM_EXIT_ERROR,
			 "vcpu %u: system down of unknown type %llu", cpu->id,
			 (unsigned long long)type);
	}
	return CPU_STOP;
}

static int cpu__run(struct axvm_cpu *cpu)
{
	struct axvm *vm = cpu->vm;
	struct axvcpu_run *run = cpu->v.run;
	char buf[128];
	int r, ret;

	for (;;) {
		if (vm->stopping)
			return CPU_STOP;
		/* What cpu__halt() compares with (a wake before it: delivered). */
		cpu->wakes_at_run = __atomic_load_n(&cpu->wakes, __ATOMIC_ACQUIRE);
		r = axvm_vcpu_run(&cpu->v);
		if (r == -EINTR) {
			if (vm->stopping)
				return CPU_STOP;
			run->immediate_exit = 0;
			continue;
		}
		if (r < 0) {
			vm__stop(vm, AXVM_EXIT_ERROR, "vcpu %u: AXVCPU_RUN: %s",
				 cpu->id, strerror(-r));
			return CPU_STOP;
		}

		switch (run->exit_reason) {
		case AXVCPU_EXIT_IO_READ:
		case AXVCPU_EXIT_IO_WRITE:
			cpu__emulate_io(cpu, run);
			continue;
		case AXVCPU_EXIT_MMIO_READ:
		case AXVCPU_EXIT_MMIO_WRITE:
			cpu__emulate_mmio(cpu, run);
			continue;
		case AXVCPU_EXIT_NOTHING:
		case AXVCPU_EXIT_INTR:
		case AXVCPU_EXIT_EXTERNAL_INTERRUPT:
			continue;
		default:
			break;
		}

		if (vm->o.trace)
			cpu__trace(cpu, NULL);
		switch (run->exit_reason) {
		case AXVCPU_EXIT_SYSREG_READ:
		case AXVCPU_EXIT_SYSREG_WRITE:
			cpu__sysreg_unmodelled(cpu, run);
			break;
		case AXVCPU_EXIT_HYPERCALL:
			arch__hypercall(cpu);
			break;
		case AXVCPU_EXIT_HALT:
			cpu__halt(cpu);
			break;
		case AXVCPU_EXIT_CPU_UP:
			if (run->cpu_up.target_cpu == ~0ULL) {
				/* x86 INIT/SIPI to all excluding self */
				unsigned int i;

				for (i = 0; i < vm->ncpus; i++)
					if (i != cpu->id)
						vm__cpu_on(vm, vm->cpus[i].arch_id,
							   run->cpu_up.entry,
							   run->cpu_up.arg);
				ret = PSCI_RET_SUCCESS;
			} else {
				ret = vm__cpu_on(vm, run->cpu_up.target_cpu & 0xff00ffffffULL,
						 run->cpu_up.entry, run->cpu_up.arg);
			}
			arch__cpu_on_answer(cpu, ret);
			break;
		case AXVCPU_EXIT_CPU_DOWN:
			return CPU_PARK;
		case AXVCPU_EXIT_SYSTEM_DOWN:
			return cpu__system_down(cpu, run->system_down.type);
		case AXVCPU_EXIT_SEND_IPI:
			arch__send_ipi(cpu);
			break;
		case AXVCPU_EXIT_NESTED_PAGE_FAULT:
			cpu->unclaimed_mmio++;
			if (!arch__mmio_unhandled(cpu, run->npf.gpa,
						  run->npf.access & AXVCPU_ACCESS_WRITE))
				return CPU_STOP;
			break;
		case AXVCPU_EXIT_FAIL_ENTRY:
			vm__stop(vm, AXVM_EXIT_ERROR,
				 "vcpu %u: VM entry failed: reason 0x%llx qualification 0x%llx",
				 cpu->id, (unsigned long long)run->fail_entry.reason,
				 (unsigned long long)run->fail_entry.qualification);
			return CPU_STOP;
		case AXVCPU_EXIT_INTERNAL_ERROR:
			vm__stop(vm, AXVM_EXIT_ERROR,
				 "vcpu %u: internal error %u (%s) at pc 0x%llx, hw reason 0x%llx",
				 cpu->id, run->internal.suberror,
				 arch__exit_detail(cpu, buf, sizeof(buf)),
				 (unsigned long long)run->hw_rip,
				 (unsigned long long)run->hw_reason);
			return CPU_STOP;
		default:
			vm__stop(vm, AXVM_EXIT_ERROR,
				 "vcpu %u: unexpected exit %u (%s)", cpu->id,
				 run->exit_reason, axvm_exit_name(run->exit_reason));
			return CPU_STOP;
		}
	}
}

/* SETUP + BIND on first start, then the arch's registers; power = ON. */
static int cpu__start(struct axvm_cpu *cpu)
{
	struct axvm *vm = cpu->vm;
	bool first = !cpu->setup_done;
	int r;

	if (first) {
		struct axvcpu_vcpu_setup cfg;

		memset(&cfg, 0, sizeof(cfg));
		arch__vcpu_setup_cfg(cpu, &cfg);
		if (vm->halt_in_kernel)
			cfg.flags |= AXVCPU_SETUP_HALT_IN_KERNEL;
		r = axvm_vcpu_setup(&cpu->v, cpu->entry, &cfg);
		if (r < 0) {
			vm__stop(vm, AXVM_EXIT_ERROR, "vcpu %u: AXVCPU_SETUP: %s",
				 cpu->id, strerror(-r));
			return r;
		}
		r = axvm_vcpu_bind(&cpu->v);
		if (r < 0) {
			vm__stop(vm, AXVM_EXIT_ERROR, "vcpu %u: AXVCPU_BIND: %s",
				 cpu->id, strerror(-r));
			return r;
		}
		cpu->setup_done = true;
	}
	r = arch__cpu_start(cpu, first);
	if (r < 0) {
		vm__stop(vm, AXVM_EXIT_ERROR, "vcpu %u: setting the boot registers: %s",
			 cpu->id, strerror(-r));
		return r;
	}
	pthread_mutex_lock(&vm->lock);
	cpu->power = CPU_ON;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

void *cpu__thread(void *arg)
{
	struct axvm_cpu *cpu = arg;
	struct axvm *vm = cpu->vm;

	for (;;) {
		if (cpu__start(cpu))
			break;
		if (cpu__run(cpu) != CPU_PARK)
			break;
		/* CPU_OFF: park until the next CPU_ON (or the end). */
		pthread_mutex_lock(&vm->lock);
		cpu->power = CPU_OFF;
		vm__check_alive(vm);
		while (cpu->power != CPU_ON_PENDING && !vm->stopping)
			pthread_cond_wait(&cpu->wake, &vm->lock);
		pthread_mutex_unlock(&vm->lock);
		if (vm->stopping)
			break;
	}
	return NULL;
}
