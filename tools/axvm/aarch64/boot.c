// SPDX-License-Identifier: GPL-2.0
/*
 * axvm arm64: loading and starting a guest, PSCI, and the arch exit hooks.
 *
 * RAM starts at 0x40000000.  A Linux Image goes at RAM + text_offset, a
 * flat binary at RAM + 0x80000; the DTB (8-byte aligned, in its own 2 MiB
 * block) above the image, the initrd above the DTB.  Every vcpu enters at
 * EL1h with DAIF masked and the MMU off; vcpu 0 with x0 = DTB, x1..x3 = 0
 * (Documentation/arch/arm64/booting.rst), the others with x0 = the
 * context id of their PSCI CPU_ON.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "axvm.h"
#include "axvm_fdt.h"
#include "axvm_loader.h"
#include "arm64.h"

const char *const arch__name = "arm64";
const uint64_t arch__ram_base = ARM64_RAM_BASE;

#define PSTATE_EL1H_DAIF	0x3c5ULL	/* EL1h, D A I F masked */

static uint64_t dtb_addr;

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

int arch__load(struct axvm *vm, const uint8_t *kernel, size_t klen,
	       const uint8_t *initrd, size_t ilen)
{
	struct axvm_arm64_image img;
	struct axvm_fdt_params fp;
	uint64_t mpidr[AXVCPU_MAX_VCPUS];
	uint64_t load, end, ram_end = vm->ram_base + vm->ram_size;
	uint64_t initrd_addr = 0;
	char err[256];
	unsigned int i;
	int r;

	r = axvm_arm64_image_parse(kernel, klen, &img, err, sizeof(err));
	if (r) {
		pr_err("%s: %s", vm->o.kernel, err);
		return r;
	}
	load = vm->ram_base + img.text_offset;
	end = load + img.image_size;
	dtb_addr = align_up(end, SZ_2M);
	if (initrd)
		initrd_addr = dtb_addr + SZ_2M;
	if ((initrd ? initrd_addr + ilen : dtb_addr + ARM64_DTB_MAX) > ram_end) {
		pr_err("%s%s needs %llu MiB of RAM, --mem gives %llu MiB: use a larger --mem",
		       vm->o.kernel, initrd ? " with its initrd" : "",
		       (unsigned long long)(((initrd ? initrd_addr + ilen :
					      dtb_addr + ARM64_DTB_MAX) -
					     vm->ram_base + (1 << 20) - 1) >> 20),
		       (unsigned long long)vm->ram_size >> 20);
		return -EFBIG;
	}
	r = vm__load(vm, load, kernel, klen);
	if (r)
		return r;
	if (initrd) {
		r = vm__load(vm, initrd_addr, initrd, ilen);
		if (r)
			return r;
	}

	for (i = 0; i < vm->o.cpus; i++)
		mpidr[i] = arch__cpu_id(i);
	memset(&fp, 0, sizeof(fp));
	fp.ram_base = vm->ram_base;
	fp.ram_size = vm->ram_size;
	fp.ncpus = vm->o.cpus;
	fp.mpidr = mpidr;
	fp.bootargs = vm->o.cmdline;
	fp.initrd_start = initrd_addr;
	fp.initrd_end = initrd ? initrd_addr + ilen : initrd_addr;
	fp.uart_base = ARM64_PL011_BASE;
	fp.uart_irq = ARM64_PL011_IRQ;
	fp.gicd_base = ARM64_GICD_BASE;
	fp.gicr_base = ARM64_GICR_BASE;
	fp.virtio_base = ARM64_VIRTIO_BASE;
	fp.nr_virtio = ARM64_VIRTIO_NR;
	fp.virtio_irq = ARM64_VIRTIO_IRQ;
	r = axvm_fdt_build(vm__gpa_to_hva(vm, dtb_addr, ARM64_DTB_MAX),
			   ARM64_DTB_MAX, &fp);
	if (r < 0) {
		pr_err("building the device tree: libfdt error %d", r);
		return -EINVAL;
	}
	vm->entry = load;
	return 0;
}

int arch__init(struct axvm *vm)
{
	int r = arm64__devices_init(vm);

	if (r)
		pr_err("cannot register the arm64 devices");
	return r;
}

/* MPIDR affinity: Aff0 = vcpu index (what the DTB's cpu reg says). */
uint64_t arch__cpu_id(unsigned int idx)
{
	return idx;
}

void arch__vcpu_create_cfg(struct axvm *vm, unsigned int idx,
			   struct axvcpu_vcpu_create *cfg)
{
	cfg->arm64.mpidr = arch__cpu_id(idx);
	cfg->arm64.dtb_addr = dtb_addr;
}

/*
 * The EL1 physical timer is the guest's own by default: under VHE the
 * host's kernel runs on the EL2 timers, so CNTP_* and PPI 30 are free,
 * and the module switches them with the vcpu (as KVM's VHE "direct"
 * timers).  Trapped, every CNTP access is a SYSREG exit that axvm does
 * not model.
 */
void arch__vcpu_setup_cfg(struct axvm_cpu *cpu, struct axvcpu_vcpu_setup *cfg)
{
	cfg->arm64.passthrough_timer = !cpu->vm->o.ptimer_trap;
}

/*
 * Every start (vcpu 0 at boot, a CPU_ON, a CPU_ON after CPU_OFF) sets the
 * boot registers in full: after CPU_OFF the old ones are meaningless.
 */
int arch__cpu_start(struct axvm_cpu *cpu, bool first)
{
	struct axvcpu_arm64_regs r;
	int ret;

	ret = axvm_vcpu_ioctl(&cpu->v, AXVCPU_GET_ARM64_REGS, &r);
	if (ret < 0)
		return ret;
	memset(r.x, 0, sizeof(r.x));
	r.x[0] = cpu->id == 0 && first ? dtb_addr : cpu->arg;
	r.pc = cpu->entry;
	r.pstate = PSTATE_EL1H_DAIF;
	return axvm_vcpu_ioctl(&cpu->v, AXVCPU_SET_ARM64_REGS, &r);
}

/* x0 of the caller: the PSCI result of its CPU_ON. */
void arch__cpu_on_answer(struct axvm_cpu *cpu, int64_t ret)
{
	axvm_vcpu_set_return_value(&cpu->v, (uint64_t)ret);
}

static int64_t psci__affinity_info(struct axvm *vm, uint64_t mpidr,
				   uint64_t level)
{
	struct axvm_cpu *t = vm__cpu_by_arch_id(vm, mpidr & 0xff00ffffffULL);
	int64_t ret;

	if (level || !t)
		return PSCI_RET_INVALID_PARAMS;
	pthread_mutex_lock(&vm->lock);
	/* ON_PENDING reads as ON: vm__cpu_on() says why. */
	ret = t->power == CPU_OFF ? 1 : 0;
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

/*
 * An HVC the module passed on.  The module answers PSCI itself and makes
 * CPU_ON / CPU_OFF / SYSTEM_OFF / SYSTEM_RESET exits of their own; these
 * cases only matter with a backend that passes PSCI through as a
 * hypercall.  Anything else: NOT_SUPPORTED (-1) in x0.
 */
void arch__hypercall(struct axvm_cpu *cpu)
{
	struct axvcpu_run *run = cpu->v.run;
	struct axvm *vm = cpu->vm;
	uint64_t *a = (uint64_t *)run->hypercall.args;
	uint32_t fn = run->hypercall.nr;

	switch (fn) {
	case PSCI_VERSION:
		run->hypercall.ret = 0x10000;	/* 1.0 */
		break;
	case PSCI_CPU_ON:
	case PSCI_CPU_ON64:
		run->hypercall.ret = vm__cpu_on(vm, a[0] & 0xff00ffffffULL,
						a[1], a[2]);
		break;
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO64:
		run->hypercall.ret = psci__affinity_info(vm, a[0], a[1]);
		break;
	case PSCI_SYSTEM_OFF:
		vm__stop(vm, 0, NULL);
		break;
	case PSCI_SYSTEM_RESET:
		vm__stop(vm, AXVM_EXIT_RESET, "vcpu %u: the guest asked for a reset (axvm does not reboot: status 32)",
			 cpu->id);
		break;
	default:
		run->hypercall.ret = PSCI_RET_NOT_SUPPORTED;
	}
}

bool arch__halt_forever(struct axvm_cpu *cpu)
{
	return false;	/* WFI wakes on any interrupt, masked or not */
}

#define SYSREG_VBAR_EL1	(3 << 20 | 0 << 17 | 0 << 14 | 12 << 10 | 0 << 1)

const char *const arch__sysreg_kind = "system register";
/* An MRS/MSR of a register that is not implemented (Arm ARM D19.1). */
const char *const arch__sysreg_fault = "UNDEF";

/* The sysreg-exit encoding as the assembler's generic name S<op0>_<op1>_C<n>_C<m>_<op2>. */
void arch__sysreg_name(uint64_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "S%u_%u_C%u_C%u_%u",
		 (unsigned int)(addr >> 20) & 3, (unsigned int)(addr >> 14) & 7,
		 (unsigned int)(addr >> 10) & 15, (unsigned int)(addr >> 1) & 15,
		 (unsigned int)(addr >> 17) & 7);
}

/*
 * An access where no device lives: answered as real hardware does, with
 * a synchronous external abort (AXVCPU_ARM64_INJECT_EXCEPTION): a data
 * abort for loads and stores (after an MMIO exit the module reports it on
 * the access and drops the completion), an instruction abort for a fetch.
 * FAR_EL1 gets the guest-physical address (what the exit reports; the
 * same as the virtual one while the MMU is off).  A fetch abort inside
 * the guest's own vector table would loop forever: that stops the VM.
 */
bool arch__mmio_unhandled(struct axvm_cpu *cpu, uint64_t gpa, bool is_write)
{
	struct axvcpu_run *run = cpu->v.run;
	struct axvcpu_arm64_exception e;
	struct axvcpu_arm64_sysreg vbar = { .id = SYSREG_VBAR_EL1 };
	bool fetch = run->exit_reason == AXVCPU_EXIT_NESTED_PAGE_FAULT &&
		     (run->npf.access & AXVCPU_ACCESS_EXECUTE);
	int r;

	if (fetch &&
	    axvm_vcpu_ioctl(&cpu->v, AXVCPU_ARM64_GET_SYSREG, &vbar) >= 0 &&
	    run->hw_rip - vbar.value < 0x800) {
		vm__stop(cpu->vm, AXVM_EXIT_ERROR,
			 "vcpu %u: fetch from 0x%llx: the guest's vector table (VBAR_EL1 0x%llx) is where no memory is; its external abort can never be taken: stopping",
			 cpu->id, (unsigned long long)gpa,
			 (unsigned long long)vbar.value);
		return false;
	}
	memset(&e, 0, sizeof(e));
	e.type = fetch ? AXVCPU_ARM64_EXC_IABT : AXVCPU_ARM64_EXC_DABT;
	e.addr = gpa;
	r = axvm_vcpu_ioctl(&cpu->v, AXVCPU_ARM64_INJECT_EXCEPTION, &e);
	if (r < 0) {
		vm__stop(cpu->vm, AXVM_EXIT_ERROR,
			 "vcpu %u: %s of 0x%llx at pc 0x%llx: no device there, and injecting the external abort failed: %s",
			 cpu->id, fetch ? "fetch" : is_write ? "write" : "read",
			 (unsigned long long)gpa,
			 (unsigned long long)run->hw_rip, strerror(-r));
		return false;
	}
	return true;
}

/* ICC_SGI1R_EL1: target_cpu = Aff3.Aff2.Aff1 and the first Aff0 of the
 * 16-bit target list in target_cpu_aux. */
void arch__send_ipi(struct axvm_cpu *cpu)
{
	struct axvcpu_run *run = cpu->v.run;
	struct axvm *vm = cpu->vm;
	uint32_t intid = run->send_ipi.vector;
	uint64_t base = run->send_ipi.target_cpu;
	unsigned int i;

	if (run->send_ipi.send_to_all || run->send_ipi.send_to_self) {
		for (i = 0; i < vm->ncpus; i++)
			if (run->send_ipi.send_to_all ? i != cpu->id : i == cpu->id)
				cpu__inject(&vm->cpus[i], intid);
		return;
	}
	for (i = 0; i < 16; i++) {
		struct axvm_cpu *t;

		if (!(run->send_ipi.target_cpu_aux & (1U << i)))
			continue;
		t = vm__cpu_by_arch_id(vm, base + i);
		if (t)
			cpu__inject(t, intid);
	}
}

const char *arch__exit_detail(struct axvm_cpu *cpu, char *buf, size_t len)
{
	struct axvcpu_run *run = cpu->v.run;

	switch (run->internal.suberror) {
	case AXVCPU_INTERNAL_UNKNOWN_ESR:
		snprintf(buf, len, "unhandled ESR_EL2 0x%llx (EC 0x%llx)",
			 (unsigned long long)run->internal.data[0],
			 (unsigned long long)(run->internal.data[0] >> 26) & 0x3f);
		break;
	case AXVCPU_INTERNAL_SERROR:
		snprintf(buf, len, "SError, ESR_EL2 0x%llx",
			 (unsigned long long)run->internal.data[0]);
		break;
	case AXVCPU_INTERNAL_FIQ:
		snprintf(buf, len, "FIQ");
		break;
	default:
		snprintf(buf, len, "suberror %u", run->internal.suberror);
	}
	return buf;
}
