// SPDX-License-Identifier: GPL-2.0
/*
 * axvm VM: the device, guest RAM, the vcpus and their power states, and how
 * a run ends.
 *
 * A run ends once, through vm__stop(): the first caller sets the exit
 * status and the message, every vcpu thread is kicked out of AXVCPU_RUN
 * (immediate_exit plus a signal, so a kick just before the ioctl is not
 * lost) and the main thread, waiting in vm__run(), wakes up.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "axvm.h"
#include "term.h"
#include "virtio.h"

static struct axvm *the_vm;	/* for the signal handler */

static int vm__open_device(struct axvm *vm)
{
	const char *dev = vm->o.dev ? vm->o.dev : AXVM_DEV_PATH;
	long arch, want = strcmp(arch__name, "x86_64") ? AXVCPU_ARCH_ARM64 :
				AXVCPU_ARCH_X86_64;
	int fd = axvm_open(dev);

	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO) {
		pr_err("%s: %s: the axvcpu module is not loaded (load the module: insmod axvcpu.ko)",
		       dev, strerror(-fd));
		return fd;
	}
	if (fd == -EACCES || fd == -EPERM) {
		pr_err("%s: %s (it is mode 0600: run axvm as root)", dev,
		       strerror(-fd));
		return fd;
	}
	if (fd < 0) {
		pr_err("cannot open %s: %s", dev, strerror(-fd));
		return fd;
	}
	vm->sys_fd = fd;
	if (axvm_api_version(fd) != AXVCPU_API_VERSION) {
		pr_err("%s: API version %d, axvm wants %d", dev,
		       axvm_api_version(fd), AXVCPU_API_VERSION);
		return -EINVAL;
	}
	arch = axvm_check_extension(fd, AXVCPU_CAP_ARCH);
	if (arch != want) {
		pr_err("%s: the module is for arch %ld, this axvm for %s", dev,
		       arch, arch__name);
		return -EINVAL;
	}
	if (vm->o.cpus > axvm_check_extension(fd, AXVCPU_CAP_NR_VCPUS)) {
		pr_err("--cpus %u: the module allows %ld", vm->o.cpus,
		       axvm_check_extension(fd, AXVCPU_CAP_NR_VCPUS));
		return -EINVAL;
	}
	/*
	 * A halted vcpu sleeps in the module, which every interrupt source
	 * wakes (irqfd, ioctl, timer, IPI); an older module exits to axvm,
	 * whose cpu__halt() waits.
	 */
	vm->halt_in_kernel = !vm->o.halt_exits &&
			     axvm_check_extension(fd, AXVCPU_CAP_HALT_IN_KERNEL) > 0;
	return 0;
}

int vm__create_cpus(struct axvm *vm)
{
	unsigned int i;
	int r;

	vm->ncpus = vm->o.cpus;
	vm->cpus = calloc(vm->ncpus, sizeof(*vm->cpus));
	if (!vm->cpus)
		return -ENOMEM;
	for (i = 0; i < vm->ncpus; i++)
		vm->cpus[i].v.fd = -1;
	for (i = 0; i < vm->ncpus; i++) {
		struct axvm_cpu *cpu = &vm->cpus[i];
		struct axvcpu_vcpu_create cfg;

		memset(&cfg, 0, sizeof(cfg));
		cpu->vm = vm;
		cpu->id = i;
		cpu->arch_id = arch__cpu_id(i);
		cpu->power = CPU_OFF;
		pthread_cond_init(&cpu->wake, NULL);
		arch__vcpu_create_cfg(vm, i, &cfg);
		/* The vcpu fd and its run struct, mapped once. */
		r = axvm_vcpu_create(&vm->vm, &cpu->v, i, &cfg);
		if (r < 0) {
			pr_err("AXVCPU_CREATE_VCPU %u or the mmap of its run struct: %s",
			       i, strerror(-r));
			return r;
		}
	}
	return 0;
}

/*
 * Guest RAM as QEMU and kvmtool map it: 2 MiB aligned and MADV_HUGEPAGE,
 * so that where the host has transparent huge pages (enabled "always" or
 * "madvise") each 2 MiB of guest RAM is one host page, which the module
 * maps as one 2 MiB EPT / stage-2 leaf: one fault per 2 MiB the guest
 * first touches instead of 512.  Private anonymous, zeroed; freed with
 * axvm_mem_free().
 */
#define RAM_ALIGN	(2ULL << 20)

static void *ram__alloc(uint64_t size)
{
	uint8_t *p = axvm_mem_alloc(size + RAM_ALIGN), *a;

	if (!p)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + RAM_ALIGN - 1) & ~(uintptr_t)(RAM_ALIGN - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + size, p + RAM_ALIGN - a);
	/* A host without THP says EINVAL: 4 KiB pages then, as before. */
	madvise(a, size, MADV_HUGEPAGE);
	return a;
}

/* Guest RAM, before anything else: the loader fills it before the VM exists. */
int vm__alloc_ram(struct axvm *vm)
{
	vm->sys_fd = -1;
	vm->vm.fd = -1;
	vm->ram_base = arch__ram_base;
	vm->ram_size = vm->o.mem;
	vm->ram = ram__alloc(vm->ram_size);
	if (!vm->ram) {
		pr_err("cannot allocate %llu MiB of guest RAM: %s",
		       (unsigned long long)vm->ram_size >> 20, strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

/* The device, the VM, its RAM slot, and the devices. */
int vm__init(struct axvm *vm)
{
	int r;

	the_vm = vm;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->io_lock, NULL);
	pthread_cond_init(&vm->done, NULL);
	r = vm__open_device(vm);
	if (r)
		return r;
	r = axvm_vm_create(&vm->vm, vm->sys_fd);
	if (r < 0) {
		if (r == -EBUSY)
			pr_err("AXVCPU_CREATE_VM: %s: another hypervisor holds the hardware (kvm_intel?); see dmesg",
			       strerror(-r));
		else
			pr_err("AXVCPU_CREATE_VM: %s (see dmesg)", strerror(-r));
		return r;
	}
	r = axvm_set_memory_region(&vm->vm, 0, 0, vm->ram_base, vm->ram_size,
				   vm->ram);
	if (r < 0) {
		pr_err("AXVCPU_SET_MEMORY_REGION [0x%llx, +%llu MiB): %s",
		       (unsigned long long)vm->ram_base,
		       (unsigned long long)vm->ram_size >> 20, strerror(-r));
		return r;
	}
	return arch__init(vm);
}

static void vm__kick_all(struct axvm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->ncpus; i++) {
		pthread_cond_broadcast(&vm->cpus[i].wake);
		if (vm->cpus[i].started)
			cpu__kick(&vm->cpus[i]);
	}
}

/* End the run with @status; the first call wins, its message is printed. */
void vm__stop(struct axvm *vm, int status, const char *fmt, ...)
{
	va_list ap;
	char msg[256] = "";

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	/* From a device's handler: after its io_lock is dropped (cpu.c). */
	if (io__defer_stop(status, msg))
		return;
	pthread_mutex_lock(&vm->lock);
	if (!vm->stopping) {
		vm->stopping = true;
		vm->status = status;
		if (msg[0]) {
			pthread_mutex_lock(&vm->io_lock);
			term__flush();
			pthread_mutex_unlock(&vm->io_lock);
			if (status && status != AXVM_EXIT_TIMEOUT &&
			    status != AXVM_EXIT_RESET)
				pr_err("%s", msg);
			else
				pr_info("%s", msg);
		}
		vm__kick_all(vm);
		pthread_cond_broadcast(&vm->done);
	}
	pthread_mutex_unlock(&vm->lock);
}

struct axvm_cpu *vm__cpu_by_arch_id(struct axvm *vm, uint64_t arch_id)
{
	unsigned int i;

	for (i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i].arch_id == arch_id)
			return &vm->cpus[i];
	return NULL;
}

/*
 * Power a vcpu on (PSCI CPU_ON, x86 INIT/SIPI, axvm's CPU start port).
 * Under vm->lock, so concurrent calls for one target give exactly one
 * SUCCESS; the others see ALREADY_ON.  A target whose thread has not yet
 * entered the guest is on already for its callers, as in KVM (which makes
 * the target runnable before CPU_ON returns) and in firmware that powers
 * the core before answering; PSCI's ON_PENDING is for implementations
 * whose CPU_ON returns before that (DEN0022 5.6), and guests written for
 * KVM take it as an error.
 */
int vm__cpu_on(struct axvm *vm, uint64_t arch_id, uint64_t entry, uint64_t arg)
{
	struct axvm_cpu *cpu = vm__cpu_by_arch_id(vm, arch_id);
	int ret = PSCI_RET_SUCCESS;

	if (!cpu)
		return PSCI_RET_INVALID_PARAMS;
	pthread_mutex_lock(&vm->lock);
	if (vm->stopping) {
		ret = PSCI_RET_INVALID_PARAMS;
	} else if (cpu->power == CPU_ON || cpu->power == CPU_ON_PENDING) {
		ret = PSCI_RET_ALREADY_ON;
	} else {
		cpu->power = CPU_ON_PENDING;
		cpu->stuck = false;
		cpu->entry = entry;
		cpu->arg = arg;
		if (!cpu->started) {
			int r = pthread_create(&cpu->thread, NULL, cpu__thread, cpu);

			if (r) {
				cpu->power = CPU_OFF;
				ret = PSCI_RET_INVALID_PARAMS;
				pr_err("cannot start vcpu %u's thread: %s",
				       cpu->id, strerror(r));
			} else {
				cpu->started = true;
			}
		} else {
			pthread_cond_broadcast(&cpu->wake);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

/*
 * Called under vm->lock after a vcpu went off or got stuck: with no vcpu
 * left that can run, nothing will ever happen again.
 */
void vm__check_alive(struct axvm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->ncpus; i++) {
		struct axvm_cpu *c = &vm->cpus[i];

		if (c->power != CPU_OFF && !c->stuck)
			return;
	}
	if (!vm->stopping) {
		pthread_mutex_unlock(&vm->lock);
		vm__stop(vm, AXVM_EXIT_ERROR,
			 "every vcpu is off or halted with interrupts disabled: the guest can never go on");
		pthread_mutex_lock(&vm->lock);
	}
}

static void vm__on_signal(int sig)
{
	/*
	 * SIGUSR1 only interrupts AXVCPU_RUN.  SIGINT/SIGTERM end the run;
	 * vm__stop() takes locks, so only flag it here and let a vcpu (or
	 * the main thread's timed wait) do the rest.
	 */
	static volatile sig_atomic_t got;

	if (sig == SIGUSR1 || !the_vm)
		return;
	if (!got) {
		got = sig;
		the_vm->status = 128 + sig;
		the_vm->stopping = true;
	}
}

static void vm__signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vm__on_signal;	/* no SA_RESTART: RUN must return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int vm__run(struct axvm *vm)
{
	struct timespec ts, start, now;
	int r;

	vm__signals();
	clock_gettime(CLOCK_MONOTONIC, &start);
	r = vm__cpu_on(vm, vm->cpus[0].arch_id, vm->entry, 0);
	if (r != PSCI_RET_SUCCESS)
		return AXVM_EXIT_ERROR;
	pthread_mutex_lock(&vm->lock);
	while (!vm->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (vm->o.timeout > 0 &&
		    (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >=
		    vm->o.timeout) {
			pthread_mutex_unlock(&vm->lock);
			vm__stop(vm, AXVM_EXIT_TIMEOUT,
				 "--timeout: stopped the guest after %g s",
				 vm->o.timeout);
			pthread_mutex_lock(&vm->lock);
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&vm->done, &vm->lock, &ts);
	}
	pthread_mutex_unlock(&vm->lock);
	/* A signal set stopping without the rest of vm__stop(). */
	if (vm->status > 128) {
		pr_err("interrupted by signal %d", vm->status - 128);
		pthread_mutex_lock(&vm->lock);
		vm__kick_all(vm);
		pthread_mutex_unlock(&vm->lock);
	}
	return vm->status;
}

/*
 * One statistic of a stats fd, in the lines --stats always printed:
 * "exit_X" as "exit X", "builtin_X" as "in-module X"; the rest by name.
 */
static void print_stat(const char *who, const struct axvcpu_stats_desc *d,
		       __u64 v)
{
	char up[AXVCPU_STATS_NAME_SIZE];
	unsigned int i;

	if (!strncmp(d->name, "exit_", 5)) {
		for (i = 0; d->name[5 + i] && i < sizeof(up) - 1; i++)
			up[i] = d->name[5 + i] >= 'a' && d->name[5 + i] <= 'z' ?
				d->name[5 + i] - 'a' + 'A' : d->name[5 + i];
		up[i] = 0;
		fprintf(stderr, "axvm: %s:   exit %-20s %llu\n", who, up,
			(unsigned long long)v);
	} else if (!strncmp(d->name, "builtin_", 8)) {
		fprintf(stderr, "axvm: %s:   in-module %-15s %llu\n", who,
			d->name + 8, (unsigned long long)v);
	} else if ((d->flags & AXVCPU_STATS_UNIT_MASK) == AXVCPU_STATS_UNIT_SECONDS &&
		   d->exponent == -9) {
		fprintf(stderr, "axvm: %s:   %-25s %.3f s\n", who, d->name,
			v / 1e9);
	} else {
		fprintf(stderr, "axvm: %s:   %-25s %llu\n", who, d->name,
			(unsigned long long)v);
	}
}

/* Every non-zero statistic of @obj_fd's stats fd, after "axvm: @who:". */
static bool print_stats_fd(int obj_fd, const char *who)
{
	struct axvm_stats st;
	unsigned int i;

	if (axvm_stats_open(obj_fd, &st))
		return false;
	if (axvm_stats_read(&st)) {
		axvm_stats_close(&st);
		return false;
	}
	for (i = 0; i < st.n; i++) {
		const struct axvcpu_stats_desc *d = axvm_stats_desc(&st, i);

		if (st.values[i] && strcmp(d->name, "entries"))
			print_stat(who, d, st.values[i]);
	}
	axvm_stats_close(&st);
	return true;
}

/* A module without stats fds: the run page's copy of the counters. */
static void print_run_stats(unsigned int i, const struct axvcpu_run *run)
{
	unsigned int r;

	for (r = 0; r < AXVCPU_EXIT_NR; r++)
		if (run->stats.exits[r])
			fprintf(stderr, "axvm: vcpu %u:   exit %-20s %llu\n",
				i, axvm_exit_name(r),
				(unsigned long long)run->stats.exits[r]);
	for (r = 0; r < AXVCPU_BUILTIN_NR; r++)
		if (run->stats.builtin[r])
			fprintf(stderr, "axvm: vcpu %u:   in-module %-15s %llu\n",
				i, axvm_builtin_name(r),
				(unsigned long long)run->stats.builtin[r]);
}

static void vm__print_stats(struct axvm *vm)
{
	char who[32];
	unsigned int i;

	for (i = 0; i < vm->ncpus; i++) {
		struct axvcpu_run *run = vm->cpus[i].v.run;

		if (!run || !vm->cpus[i].started)
			continue;
		fprintf(stderr, "axvm: vcpu %u: %llu guest entries\n", i,
			(unsigned long long)run->stats.entries);
		if (vm->cpus[i].unclaimed_io)
			fprintf(stderr, "axvm: vcpu %u:   ports without a device   %llu\n",
				i, (unsigned long long)vm->cpus[i].unclaimed_io);
		if (vm->cpus[i].unclaimed_mmio)
			fprintf(stderr, "axvm: vcpu %u:   MMIO without a device    %llu\n",
				i, (unsigned long long)vm->cpus[i].unclaimed_mmio);
		if (vm->cpus[i].unmodelled)
			fprintf(stderr, "axvm: vcpu %u:   %s not modelled     %llu (answered %s)\n",
				i, arch__sysreg_kind,
				(unsigned long long)vm->cpus[i].unmodelled,
				arch__sysreg_fault);
		snprintf(who, sizeof(who), "vcpu %u", i);
		if (!print_stats_fd(vm->cpus[i].v.fd, who))
			print_run_stats(i, run);
	}
	print_stats_fd(vm->vm.fd, "vm");
	virtio__print_stats();
}

/* Join the threads (they were kicked by vm__stop) and free everything. */
void vm__exit(struct axvm *vm)
{
	unsigned int i;

	for (i = 0; vm->cpus && i < vm->ncpus; i++)
		if (vm->cpus[i].started)
			pthread_join(vm->cpus[i].thread, NULL);
	term__flush();
	if (vm->o.vga && vm->ram)
		vga__dump(vm);
	if (vm->o.stats && vm->cpus)
		vm__print_stats(vm);
	for (i = 0; vm->cpus && i < vm->ncpus; i++)
		axvm_vcpu_close(&vm->cpus[i].v);
	axvm_vm_close(&vm->vm);
	axvm_mem_free(vm->ram, vm->ram_size);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	free(vm->cpus);
}
