// SPDX-License-Identifier: GPL-2.0
/*
 * axvm x86_64: loading and starting a guest, and the arch exit hooks.
 *
 * Guest RAM is contiguous from physical 0.  Two kinds of image:
 *  - a flat real-mode binary, copied to and entered at 0x8000 (the entry
 *    of axvisor's x86 guests; AXVCPU_SETUP starts real mode with CS = 0);
 *  - a Multiboot (v1) image (ELF or a.out kludge), loaded at its physical
 *    addresses and entered in flat 32-bit protected mode, paging off,
 *    EAX = 0x2BADB002, EBX = the Multiboot information block;
 *  - a Linux kernel, vmlinux with a PVH note or bzImage (linux.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "axvm.h"
#include "axvm_loader.h"
#include "x86.h"

const char *const arch__name = "x86_64";
const uint64_t arch__ram_base = 0;

/* Where things go in low memory (page 0 is left alone). */
#define MBI_ADDR	0x1000ULL	/* information block: 0x1000..0x7fff */
#define MBI_MAX		0x7000ULL

static struct {
	bool multiboot;
	bool is_linux;
	uint32_t mbi;
	struct x86_linux_entry lx;
} boot;

static uint64_t page_up(uint64_t x)
{
	return (x + 0xfff) & ~0xfffULL;
}

static int x86__load_multiboot(struct axvm *vm, const struct axvm_x86_image *img,
			       const uint8_t *initrd, size_t ilen)
{
	struct axvm_mb_params p = {
		.ram_size = vm->ram_size,
		.cmdline = vm->o.cmdline ? vm->o.cmdline : "",
		.loader_name = "axvm",
	};
	uint64_t mbi = MBI_ADDR, mod = page_up(img->end);
	size_t n;
	unsigned int i;

	/* The info block goes at 0x1000 unless the image is there. */
	for (i = 0; i < img->nseg; i++)
		if (img->seg[i].paddr < MBI_ADDR + MBI_MAX &&
		    img->seg[i].paddr + img->seg[i].memsz > MBI_ADDR)
			mbi = 0;
	if (!mbi) {
		mbi = page_up(img->end);
		mod = mbi + MBI_MAX;
	}
	if (initrd) {
		if (mod + ilen > vm->ram_size || mod + ilen > 0xffffffffULL) {
			pr_err("--initrd: %zu bytes at 0x%llx do not fit in %llu MiB of RAM: use a larger --mem",
			       ilen, (unsigned long long)mod,
			       (unsigned long long)vm->ram_size >> 20);
			return -EFBIG;
		}
		memcpy(vm->ram + mod, initrd, ilen);
		p.mod_start = mod;
		p.mod_end = mod + ilen;
		p.mod_string = vm->o.initrd;
	}
	if (mbi + MBI_MAX > vm->ram_size) {
		pr_err("no room for the Multiboot information in %llu MiB of RAM: use a larger --mem",
		       (unsigned long long)vm->ram_size >> 20);
		return -EFBIG;
	}
	n = axvm_mb_info_build(vm->ram + mbi, MBI_MAX, mbi, &p);
	if (!n) {
		pr_err("Multiboot information does not fit in %llu bytes (--cmdline too long?)",
		       (unsigned long long)MBI_MAX);
		return -E2BIG;
	}
	boot.mbi = mbi;
	return 0;
}

int arch__load(struct axvm *vm, const uint8_t *kernel, size_t klen,
	       const uint8_t *initrd, size_t ilen)
{
	struct axvm_x86_image img;
	char err[256];
	unsigned int i;
	int r;

	r = axvm_x86_image_parse(kernel, klen, X86_FLAT_ENTRY, vm->ram_size,
				 &img, err, sizeof(err));
	if (r) {
		pr_err("%s: %s%s", vm->o.kernel, err,
		       r == -EFBIG ? ": use a larger --mem" : "");
		return r;
	}
	for (i = 0; i < img.nseg; i++) {
		const struct axvm_segment *s = &img.seg[i];

		memcpy(vm->ram + s->paddr, kernel + s->offset, s->filesz);
		memset(vm->ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	}
	vm->entry = img.entry;
	boot.multiboot = img.multiboot;
	boot.is_linux = img.pvh || img.bzimage;
	if (boot.is_linux)
		return x86__linux_load(vm, &img, kernel, initrd, ilen, &boot.lx);
	if (img.multiboot)
		return x86__load_multiboot(vm, &img, initrd, ilen);
	if (initrd)
		pr_info("warning: --initrd is ignored for a flat binary (no Multiboot header)");
	return 0;
}

int arch__init(struct axvm *vm)
{
	int r = x86__devices_init(vm);

	if (r)
		pr_err("cannot register the x86 devices: %s", strerror(-r));
	return r;
}

uint64_t arch__cpu_id(unsigned int idx)
{
	return idx;	/* APIC ID */
}

void arch__vcpu_create_cfg(struct axvm *vm, unsigned int idx,
			   struct axvcpu_vcpu_create *cfg)
{
	/* x86 has no create parameters: the union stays zero. */
}

void arch__vcpu_setup_cfg(struct axvm_cpu *cpu, struct axvcpu_vcpu_setup *cfg)
{
	/* Nor setup parameters. */
}

const char *const arch__sysreg_kind = "MSR";
/* RDMSR/WRMSR of an MSR the CPU lacks (SDM Vol. 2B, RDMSR "Exceptions"). */
const char *const arch__sysreg_fault = "#GP(0)";

void arch__sysreg_name(uint64_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "0x%llx", (unsigned long long)addr);
}

static struct axvcpu_x86_segment seg32(uint16_t sel, uint32_t type)
{
	/* Flat 4 GiB, present, S=1, DPL 0, D/B=1, G=1. */
	return (struct axvcpu_x86_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel,
		.ar = type | 1 << 4 | 1 << 7 | 1 << 14 | 1 << 15,
	};
}

/*
 * Multiboot's machine state (spec 3.2): CS a flat 32-bit code segment,
 * the data segments flat, CR0.PE = 1, paging off, EFLAGS.IF = 0.  The
 * GDTR is undefined: the kernel loads its own before touching a selector.
 * Linux's 32-bit entries (boot.rst) want the same with CS = __BOOT_CS
 * (0x10), the data segments __BOOT_DS (0x18) and a GDT holding them, and
 * the boot data in EBX (PVH) or ESI (boot_params), EBP and EDI zero.
 * The CR0 fixed bits of VMX stay as AXVCPU_SETUP left them.
 */
static int x86__enter_protected_mode(struct axvm_cpu *cpu)
{
	uint16_t cs = boot.is_linux ? 0x10 : 0x08, ds = cs + 8;
	struct axvcpu_x86_sregs s;
	struct axvcpu_x86_regs r;
	int ret;

	ret = axvm_vcpu_ioctl(&cpu->v, AXVCPU_GET_X86_SREGS, &s);
	if (ret < 0)
		return ret;
	s.cs = seg32(cs, 0xb);		/* execute/read, accessed */
	s.ds = s.es = s.fs = s.gs = s.ss = seg32(ds, 0x3);
	if (boot.is_linux) {
		s.gdt.base = boot.lx.gdt;
		s.gdt.limit = boot.lx.gdt_limit;
	}
	s.tr.selector = boot.is_linux ? 0x20 : 0x18;
	s.tr.base = 0;
	s.tr.limit = 0x67;
	s.tr.ar = 0xb | 1 << 7;		/* busy 32-bit TSS, present */
	s.ldt.ar = 1 << 16;		/* unusable */
	s.cr0 |= 1;			/* PE */
	s.cr0 &= ~(1ULL << 31);		/* PG */
	s.cr4 &= ~(1ULL << 5);		/* PAE */
	s.efer = 0;
	ret = axvm_vcpu_ioctl(&cpu->v, AXVCPU_SET_X86_SREGS, &s);
	if (ret < 0)
		return ret;
	ret = axvm_vcpu_ioctl(&cpu->v, AXVCPU_GET_X86_REGS, &r);
	if (ret < 0)
		return ret;
	if (boot.is_linux) {
		r.rax = 0;
		r.rbx = boot.lx.ebx;
		r.rsi = boot.lx.esi;
		r.rbp = r.rdi = 0;
	} else {
		r.rax = MB_BOOTLOADER_MAGIC;
		r.rbx = boot.mbi;
	}
	r.rip = cpu->entry;
	r.rflags = 0x2;
	return axvm_vcpu_ioctl(&cpu->v, AXVCPU_SET_X86_REGS, &r);
}

/* Real mode at @entry: CS:IP = (entry >> 4):(entry & 0xf) above 64 KiB. */
static int x86__enter_real_mode(struct axvm_cpu *cpu)
{
	struct axvcpu_x86_sregs s;
	struct axvcpu_x86_regs r;
	uint16_t sel = cpu->entry > 0xffff ? cpu->entry >> 4 : 0;
	int ret;

	ret = axvm_vcpu_ioctl(&cpu->v, AXVCPU_GET_X86_SREGS, &s);
	if (ret < 0)
		return ret;
	s.cs.selector = sel;
	s.cs.base = (uint64_t)sel << 4;
	ret = axvm_vcpu_ioctl(&cpu->v, AXVCPU_SET_X86_SREGS, &s);
	if (ret < 0)
		return ret;
	ret = axvm_vcpu_ioctl(&cpu->v, AXVCPU_GET_X86_REGS, &r);
	if (ret < 0)
		return ret;
	r.rip = cpu->entry - ((uint64_t)sel << 4);
	r.rflags = 0x2;
	return axvm_vcpu_ioctl(&cpu->v, AXVCPU_SET_X86_REGS, &r);
}

int arch__cpu_start(struct axvm_cpu *cpu, bool first)
{
	if (cpu->id == 0 && (boot.multiboot || boot.is_linux))
		return x86__enter_protected_mode(cpu);
	/* AXVCPU_SETUP already starts real mode at entry with CS = 0. */
	if (first && cpu->entry <= 0xffff)
		return 0;
	return x86__enter_real_mode(cpu);
}

/* VMCALL: axvm knows no hypercall; -1 (NOT_SUPPORTED) in RAX. */
void arch__hypercall(struct axvm_cpu *cpu)
{
	cpu->v.run->hypercall.ret = -1;
}

/* INIT/SIPI: the sender expects no answer. */
void arch__cpu_on_answer(struct axvm_cpu *cpu, int64_t ret)
{
}

/* HLT with IF = 0: nothing (no NMI, no INIT from axvm) can wake it. */
bool arch__halt_forever(struct axvm_cpu *cpu)
{
	struct axvcpu_x86_regs r;

	if (axvm_vcpu_ioctl(&cpu->v, AXVCPU_GET_X86_REGS, &r) < 0)
		return false;
	return !(r.rflags & (1 << 9));
}

/* MMIO where no device lives: reads all ones, writes vanish. */
bool arch__mmio_unhandled(struct axvm_cpu *cpu, uint64_t gpa, bool is_write)
{
	if (cpu->v.run->exit_reason == AXVCPU_EXIT_NESTED_PAGE_FAULT) {
		vm__stop(cpu->vm, AXVM_EXIT_ERROR,
			 "vcpu %u: %s of 0x%llx at rip 0x%llx: no memory there and the access could not be decoded",
			 cpu->id, is_write ? "write" : "read",
			 (unsigned long long)gpa,
			 (unsigned long long)cpu->v.run->hw_rip);
		return false;
	}
	return true;
}

/*
 * An NMI for @cpu: vector 2 in INJECT_INTERRUPT's exception form, which
 * is the module's NMI (as AXVCPU_IRQ_NMI) and also what older modules
 * take; then the CPU is woken if parked.
 */
static void send_nmi(struct axvm_cpu *cpu)
{
	axvm_vcpu_inject(&cpu->v, 2, AXVCPU_IRQ_EXCEPTION, 0);
	pthread_mutex_lock(&cpu->vm->lock);
	pthread_cond_broadcast(&cpu->wake);
	pthread_mutex_unlock(&cpu->vm->lock);
}

/* Fixed and lowest priority: the vector; NMI: vector 2 as an NMI. */
static void ipi_to(struct axvm_cpu *t, uint32_t dm, uint32_t vec, bool in_io)
{
	if (in_io)
		io__raise(t, vec);
	else if (dm == 4)
		send_nmi(t);
	else
		cpu__inject(t, vec);
}

/**
 * x86__dest_one - the one vcpu an interrupt message goes to.
 * @vm: the VM.
 * @dest: destination field: an APIC ID, or with @logical a set of vcpus.
 * @logical: logical destination mode.  Logical destinations name vcpus by
 *	bit, as the flat model and x2APIC cluster 0 both do for APIC IDs 0-7
 *	/ 0-15 with Linux's LDRs.
 * @dm: delivery mode; lowest priority (1) takes the first vcpu named.
 *
 * Return: the vcpu, or NULL when the message names none or several.
 */
struct axvm_cpu *x86__dest_one(struct axvm *vm, uint32_t dest, bool logical,
			       uint32_t dm)
{
	uint32_t bits;

	if (!logical)
		return vm__cpu_by_arch_id(vm, dest);
	bits = dest & ((1U << (vm->ncpus < 16 ? vm->ncpus : 16)) - 1);
	if (!bits || (dm != 1 && (bits & (bits - 1))))
		return NULL;
	return &vm->cpus[__builtin_ctz(bits)];
}

/**
 * x86__deliver - an interrupt message from axvm (an IPI the module left
 * to it, an I/O APIC redirection entry).
 * @vm: the VM.
 * @dest: @logical: as for x86__dest_one().
 * @dm: delivery mode: 0 fixed, 1 lowest priority (the first vcpu named
 *	takes it), 4 NMI; SMI, INIT, SIPI and ExtINT are not modelled.
 * @vector: the vector.
 * @in_io: called by a device under the device lock: the interrupt goes
 *	through io__raise() (after the lock is dropped), and NMIs, which
 *	would take vm->lock here, are not delivered.
 */
void x86__deliver(struct axvm *vm, uint32_t dest, bool logical, uint32_t dm,
		  uint32_t vector, bool in_io)
{
	struct axvm_cpu *t;
	unsigned int i;

	if (dm != 0 && dm != 1 && !(dm == 4 && !in_io)) {
		fprintf(stderr, "axvm: interrupt with delivery mode %u ignored\n", dm);
		return;
	}
	t = x86__dest_one(vm, dest, logical, dm);
	if (t) {
		ipi_to(t, dm, vector, in_io);
		return;
	}
	/* A fixed or NMI message to several vcpus by logical destination. */
	for (i = 0; logical && i < vm->ncpus && i < 16; i++)
		if (dest & (1U << i))
			ipi_to(&vm->cpus[i], dm, vector, in_io);
}

/*
 * A SEND_IPI exit: an IPI none of the module's vcpus took (it delivers
 * those itself).  target_cpu_aux is ICR bits 31:0: delivery mode in
 * 10:8, logical destination in bit 11.  INIT and SIPI arrive as CPU_UP.
 */
void arch__send_ipi(struct axvm_cpu *cpu)
{
	struct axvcpu_run *run = cpu->v.run;
	struct axvm *vm = cpu->vm;
	uint32_t aux = run->send_ipi.target_cpu_aux;
	uint32_t vec = run->send_ipi.vector, dm = (aux >> 8) & 7;
	unsigned int i;

	if (run->send_ipi.send_to_all) {
		for (i = 0; i < vm->ncpus; i++)
			if (i != cpu->id || run->send_ipi.send_to_self)
				x86__deliver(vm, vm->cpus[i].arch_id, false, dm, vec, false);
	} else if (run->send_ipi.send_to_self) {
		x86__deliver(vm, cpu->arch_id, false, dm, vec, false);
	} else {
		x86__deliver(vm, run->send_ipi.target_cpu, aux & (1U << 11),
			     dm, vec, false);
	}
}

const char *arch__exit_detail(struct axvm_cpu *cpu, char *buf, size_t len)
{
	struct axvcpu_run *run = cpu->v.run;

	switch (run->internal.suberror) {
	case AXVCPU_INTERNAL_UNKNOWN_EXIT:
		snprintf(buf, len, "unknown VMX exit %llu",
			 (unsigned long long)run->internal.data[0]);
		break;
	case AXVCPU_INTERNAL_INVALID_STATE:
		snprintf(buf, len, "invalid guest state");
		break;
	case AXVCPU_INTERNAL_UNHANDLED_IO:
		snprintf(buf, len, "string or REP port I/O is not emulated");
		break;
	case AXVCPU_INTERNAL_EMULATION:
		snprintf(buf, len, "cannot emulate the instruction");
		break;
	default:
		snprintf(buf, len, "suberror %u", run->internal.suberror);
	}
	return buf;
}
