/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axvm - the userspace VMM over /dev/axvcpu.
 *
 * One struct axvm per process (the VM), one struct axvm_cpu per vcpu, each
 * vcpu on its own thread.  Generic code (main.c, vm.c, cpu.c, mem.c,
 * devices.c, term.c; log.c under them all) talks to the architecture
 * through the arch__*() hooks below, which x86/ and aarch64/ implement;
 * devices register port or MMIO ranges.
 */
#ifndef AXVM_H
#define AXVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "libaxvm.h"
#include "log.h"

#define AXVM_DEFAULT_MEM	(128ULL << 20)

/* Exit status when axvm itself, or the guest, fails. */
#define AXVM_EXIT_ERROR		1
#define AXVM_EXIT_USAGE		2
/*
 * The guest asked for a reset: axvm does not reboot it, a wrapper that
 * wants a reboot starts axvm again (crosvm's status for a reset too).
 */
#define AXVM_EXIT_RESET		32
/* --timeout ran out (as timeout(1); debug-exit statuses are odd). */
#define AXVM_EXIT_TIMEOUT	124

/* PSCI return codes; the CPU_ON answers are shared by both arches. */
#define PSCI_RET_SUCCESS		0
#define PSCI_RET_NOT_SUPPORTED		(-1)
#define PSCI_RET_INVALID_PARAMS		(-2)
#define PSCI_RET_ALREADY_ON		(-4)
#define PSCI_RET_ON_PENDING		(-5)

struct axvm_opts {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *dev;
	const char *disk;	/* raw image for virtio-blk, or NULL */
	bool rng;		/* a virtio-rng device */
	bool no_ioeventfd;	/* virtio notifications exit to axvm */
	bool no_irqfd;		/* virtio interrupts by AXVCPU_INJECT_INTERRUPT */
	bool halt_exits;	/* WFI/HLT exit to axvm, not slept in the module */
	bool virtio_console;	/* --console virtio: input to hvc0 */
	const char *net;	/* --net backend for virtio-net, or NULL */
	uint64_t mem;
	unsigned int cpus;
	double timeout;		/* seconds; 0: none */
	bool stats;
	bool trace;
	bool vga;
	bool ptimer_trap;	/* arm64: CNTP_* trap instead of direct */
};

/* Power state of a vcpu, as PSCI AFFINITY_INFO reports it. */
enum cpu_power {
	CPU_OFF,	/* never started, or CPU_OFF / CPU_DOWN */
	CPU_ON_PENDING,	/* CPU_ON accepted, its thread not yet in the guest */
	CPU_ON,
};

struct axvm;

/**
 * struct axvm_cpu - one vcpu and its thread.
 * @vm: the VM.
 * @v: the library's vcpu (fd, run struct).
 * @id: vcpu index.
 * @arch_id: MPIDR affinity (arm64) or APIC ID (x86): what CPU_UP names.
 * @thread: its thread, once @started.
 * @started: the thread exists.
 * @setup_done: AXVCPU_SETUP and AXVCPU_BIND done.
 * @power: enum cpu_power, under vm->lock.
 * @stuck: halted with no way to wake (x86 HLT with IF=0), under vm->lock.
 * @wake: signalled on CPU_ON, on an interrupt for it, and on stop.
 * @wakes: interrupts queued for it (cpu__wake()), under vm->lock.
 * @wakes_at_run: @wakes when its thread last went into AXVCPU_RUN.
 * @entry: where the next start enters.
 * @arg: its argument (arm64 context id in x0).
 * @unmodelled: system register / MSR accesses no device modelled.
 * @unclaimed_io: @unclaimed_mmio: port / MMIO accesses no device claimed.
 */
struct axvm_cpu {
	struct axvm *vm;
	struct axvm_vcpu v;
	unsigned int id;
	uint64_t arch_id;
	pthread_t thread;
	bool started;
	bool setup_done;
	enum cpu_power power;
	bool stuck;
	pthread_cond_t wake;
	unsigned int wakes, wakes_at_run;
	uint64_t entry, arg;
	uint64_t unmodelled, unclaimed_io, unclaimed_mmio;
};

/**
 * struct axvm - the VM.
 * @o: the options.
 * @sys_fd: /dev/axvcpu.
 * @vm: the library's VM.
 * @ram: host view of guest RAM; @ram_base its guest-physical base,
 *	@ram_size its size.
 * @ncpus: number of vcpus; @cpus them.
 * @entry: where vcpu 0 starts.
 * @lock: protects power states, @stopping and @status.
 * @done: signalled when the VM stops.
 * @stopping: the VM is stopping (set once).
 * @status: exit status of axvm.
 * @io_lock: serialises device emulation.
 */
struct axvm {
	struct axvm_opts o;
	int sys_fd;
	struct axvm_vm vm;
	uint8_t *ram;
	uint64_t ram_base, ram_size;
	unsigned int ncpus;
	struct axvm_cpu *cpus;
	uint64_t entry;
	bool halt_in_kernel;	/* AXVCPU_SETUP_HALT_IN_KERNEL for every vcpu */
	pthread_mutex_t lock;
	pthread_cond_t done;
	volatile bool stopping;
	int status;
	pthread_mutex_t io_lock;
};

/* vm.c */
int vm__alloc_ram(struct axvm *vm);
int vm__init(struct axvm *vm);
int vm__create_cpus(struct axvm *vm);
void vm__stop(struct axvm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vm__run(struct axvm *vm);
void vm__exit(struct axvm *vm);
struct axvm_cpu *vm__cpu_by_arch_id(struct axvm *vm, uint64_t arch_id);
int vm__cpu_on(struct axvm *vm, uint64_t arch_id, uint64_t entry, uint64_t arg);
void vm__check_alive(struct axvm *vm);

/* mem.c */
void *vm__gpa_to_hva(struct axvm *vm, uint64_t gpa, uint64_t len);
int vm__load(struct axvm *vm, uint64_t gpa, const void *src, uint64_t len);

/* cpu.c */
void *cpu__thread(void *arg);
void cpu__kick(struct axvm_cpu *cpu);
void cpu__wake(struct axvm_cpu *cpu);
int cpu__inject(struct axvm_cpu *cpu, uint32_t vector);

/* devices.c */
typedef void (*axvm_io_fn)(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			    unsigned int width, bool is_write, void *priv);
int ioport__register(uint16_t base, uint16_t len, const char *name,
		     axvm_io_fn fn, void *priv);
int mmio__register(uint64_t base, uint64_t len, const char *name,
		   axvm_io_fn fn, void *priv);
/**
 * struct io_claim - the device whose range holds a port or an address.
 * @fn: its handler; NULL when no device claims it.
 * @off: the offset into the range.
 * @priv: the handler's argument.
 */
struct io_claim {
	axvm_io_fn fn;
	uint64_t off;
	void *priv;
};
struct io_claim ioport__find(uint16_t port);
struct io_claim mmio__find(uint64_t addr);

/* cpu.c: an exit's device access, under the device lock */
bool ioport__emulate(struct axvm_cpu *cpu, uint16_t port, uint64_t *data,
		     unsigned int width, bool is_write);
bool mmio__emulate(struct axvm_cpu *cpu, uint64_t addr, uint64_t *data,
		   unsigned int width, bool is_write);
/*
 * The device lock (vm->io_lock) for a thread of a device's own (a UART's
 * input); a device raises @irq at @target with io__raise(): at once, or
 * when the thread drops the device lock.
 */
void io__lock(struct axvm *vm);
void io__unlock(struct axvm *vm);
void io__raise(struct axvm_cpu *target, uint32_t irq);
/*
 * The same through an irqfd: @fd, an eventfd the module injects @irq into
 * @target for (AXVCPU_IRQFD), is written at once and @target woken when
 * the thread drops the device lock.  Falls back to io__raise() if the
 * write fails.
 */
void io__raise_irqfd(struct axvm_cpu *target, uint32_t irq, int fd);
/*
 * Under the device lock: keep vm__stop(@status, @msg) for io__unlock()
 * and return true; false when this thread does not hold it.
 */
bool io__defer_stop(int status, const char *msg);
/* How many times @irq was raised by irqfd and by ioctl, over all vcpus. */
void io__irq_counts(uint32_t irq, uint64_t *by_irqfd, uint64_t *by_ioctl);
/*
 * The same for a device's interrupt as the arch names it (virtio_dev.irq:
 * arm64 the SPI's INTID, x86 the I/O APIC pin, whose vector the guest
 * picks).
 */
void arch__irq_counts(uint32_t irq, uint64_t *by_irqfd, uint64_t *by_ioctl);

/* Architecture hooks: x86/ and aarch64/. */
extern const char *const arch__name;
/* "system register" / "MSR", and how hardware answers one it lacks. */
extern const char *const arch__sysreg_kind, *const arch__sysreg_fault;
void arch__sysreg_name(uint64_t addr, char *buf, size_t len);
extern const uint64_t arch__ram_base;
int arch__init(struct axvm *vm);
int arch__load(struct axvm *vm, const uint8_t *kernel, size_t klen,
	       const uint8_t *initrd, size_t ilen);
uint64_t arch__cpu_id(unsigned int idx);
void arch__vcpu_create_cfg(struct axvm *vm, unsigned int idx,
			   struct axvcpu_vcpu_create *cfg);
void arch__vcpu_setup_cfg(struct axvm_cpu *cpu, struct axvcpu_vcpu_setup *cfg);
int arch__cpu_start(struct axvm_cpu *cpu, bool first);
void arch__hypercall(struct axvm_cpu *cpu);
void arch__cpu_on_answer(struct axvm_cpu *cpu, int64_t ret);
bool arch__halt_forever(struct axvm_cpu *cpu);
bool arch__mmio_unhandled(struct axvm_cpu *cpu, uint64_t gpa, bool is_write);
void arch__send_ipi(struct axvm_cpu *cpu);
const char *arch__exit_detail(struct axvm_cpu *cpu, char *buf, size_t len);

#endif /* AXVM_H */
