// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: a guest access outside every memory slot (or a write to a
 * read-only slot) is decoded into an MMIO_READ/MMIO_WRITE exit.
 *
 * VMX does not give the instruction bytes, so they are fetched from guest
 * memory through the guest's own page tables.  The decoder knows the moves
 * device drivers use: MOV r/m<->reg (88, 89, 8A, 8B), MOV r/m, imm (C6, C7),
 * MOV with a memory offset (A0-A3), MOVZX/MOVSX (0F B6/B7/BE/BF).  Anything
 * else stays a NESTED_PAGE_FAULT exit with the GPA and access flags.
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>

#include "vmx.h"

#define PTE_P		BIT_ULL(0)
#define PTE_PS		BIT_ULL(7)
#define PTE_ADDR	GENMASK_ULL(51, 12)

/* Guest linear -> guest physical through the guest's paging. */
static int gva_to_gpa(struct axvmx_vcpu *v, u64 la, u64 *gpa)
{
	struct axvcpu_vm *vm = v->vcpu->vm;
	u64 cr0 = axvmx_get_cr0(), cr4 = axvmx_get_cr4();
	u64 efer = vmcs_read(GUEST_IA32_EFER), e, table;
	int level, shift;

	if (!(cr0 & X86_CR0_PG)) {
		*gpa = la & 0xffffffffULL;
		return 0;
	}
	if (!(cr4 & X86_CR4_PAE)) {		/* 2-level, 32-bit entries */
		u32 e32;

		table = vmcs_read(GUEST_CR3) & 0xfffff000ULL;
		if (axvcpu_read_guest(vm, table + ((la >> 22) & 1023) * 4,
				      &e32, 4) || !(e32 & PTE_P))
			return -EFAULT;
		if ((e32 & PTE_PS) && (cr4 & X86_CR4_PSE)) {
			*gpa = (e32 & 0xffc00000ULL) | (la & 0x3fffff);
			return 0;
		}
		table = e32 & 0xfffff000ULL;
		if (axvcpu_read_guest(vm, table + ((la >> 12) & 1023) * 4,
				      &e32, 4) || !(e32 & PTE_P))
			return -EFAULT;
		*gpa = (e32 & 0xfffff000ULL) | (la & 0xfff);
		return 0;
	}
	if (efer & EFER_LMA) {
		table = vmcs_read(GUEST_CR3) & PTE_ADDR;
		level = 4;
	} else {
		e = vmcs_read(GUEST_PDPTR0 + 2 * ((la >> 30) & 3));
		if (!(e & PTE_P))
			return -EFAULT;
		table = e & PTE_ADDR;
		level = 2;
	}
	for (; level > 0; level--) {
		shift = 12 + 9 * (level - 1);
		if (axvcpu_read_guest(vm, table + ((la >> shift) & 511) * 8,
				      &e, 8) || !(e & PTE_P))
			return -EFAULT;
		if (level > 1 && level < 4 && (e & PTE_PS)) {
			*gpa = (e & PTE_ADDR & ~GENMASK_ULL(shift - 1, 0)) |
			       (la & GENMASK_ULL(shift - 1, 0));
			return 0;
		}
		table = e & PTE_ADDR;
	}
	*gpa = table | (la & 0xfff);
	return 0;
}

/* Fetches the faulting instruction (up to 15 bytes, maybe two pages). */
static int fetch(struct axvmx_vcpu *v, u8 *buf, unsigned int len)
{
	u64 la = vmcs_read(GUEST_CS_BASE) + axvmx_exit_rip(v);
	unsigned int done = 0;

	while (done < len) {
		unsigned int n = min_t(unsigned int, len - done,
				       PAGE_SIZE - ((la + done) & ~PAGE_MASK));
		u64 gpa;

		if (gva_to_gpa(v, la + done, &gpa) ||
		    axvcpu_read_guest(v->vcpu->vm, gpa, buf + done, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}

/* Length of ModRM + SIB + displacement starting at @p (16- or 32/64-bit). */
static int modrm_len(const u8 *p, bool addr16)
{
	u8 modrm = p[0], mod = modrm >> 6, rm = modrm & 7;
	int n = 1;

	if (addr16) {
		if (mod == 0 && rm == 6)
			return n + 2;
		return n + (mod == 1 ? 1 : mod == 2 ? 2 : 0);
	}
	if (mod != 3 && rm == 4) {		/* SIB */
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
		n++;
	}
	if (mod == 0 && rm == 5)		/* disp32 / RIP-relative */
		return n + 4;
	return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

static int decode(struct axvmx_vcpu *v, const u8 *b, struct axvmx_mmio_insn *in)
{
	bool long64 = (vmcs_read(GUEST_IA32_EFER) & EFER_LMA) &&
		      (vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK);
	bool def32 = long64 || (vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_DB_MASK);
	bool opsize = false, adsize = false;
	unsigned int i = 0, op, osz, rex = 0, n;
	u8 modrm;

	for (;; i++) {
		if (i >= 14)
			return -EINVAL;
		switch (b[i]) {
		case 0x66:
			opsize = true;
			continue;
		case 0x67:
			adsize = true;
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
			continue;
		}
		break;
	}
	if (long64 && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	osz = (rex & 8) ? 8 : (def32 ^ opsize) ? 4 : 2;
	op = b[i++];
	memset(in, 0, sizeof(*in));
	if (op == 0x0f) {
		op = 0x0f00 | b[i++];
		if (op != 0x0fb6 && op != 0x0fb7 && op != 0x0fbe && op != 0x0fbf)
			return -EINVAL;
	}

	switch (op) {
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:	/* MOV AL/eAX <-> moffs */
		in->reg = AXVMX_RAX;
		in->width = (op & 1) ? osz : 1;
		in->reg_width = in->width;
		in->write = op & 2;
		in->len = i + (long64 ? (adsize ? 4 : 8) :
			       (def32 ^ adsize) ? 4 : 2);
		return in->len <= 15 ? 0 : -EINVAL;
	}

	modrm = b[i];
	if ((modrm >> 6) == 3)
		return -EINVAL;		/* register operand: no memory access */
	in->reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	n = modrm_len(b + i, !long64 && !(def32 ^ adsize));
	i += n;

	switch (op) {
	case 0x88: case 0x8a:
		in->width = 1;
		in->write = op == 0x88;
		break;
	case 0x89: case 0x8b:
		in->width = osz;
		in->write = op == 0x89;
		break;
	case 0xc6:
		in->width = 1;
		in->write = true;
		in->has_imm = true;
		in->imm = b[i];
		i += 1;
		break;
	case 0xc7:
		in->width = osz;
		in->write = true;
		in->has_imm = true;
		if (osz == 2) {
			in->imm = *(u16 *)(b + i);
			i += 2;
		} else {
			in->imm = (u64)(s64)*(s32 *)(b + i);
			i += 4;
		}
		break;
	case 0x0fb6: case 0x0fb7: case 0x0fbe: case 0x0fbf:
		in->width = (op & 1) ? 2 : 1;
		in->sign_ext = op & 8;
		in->reg_width = osz;
		break;
	default:
		return -EINVAL;
	}
	if ((op & 0xff) == 0xc6 || (op & 0xff) == 0xc7) {
		if ((modrm >> 3) & 7)
			return -EINVAL;		/* only /0 is MOV */
		in->reg = 0;
	}
	if (!in->reg_width)
		in->reg_width = in->width;
	/* AH, CH, DH, BH cannot be named by a register index. */
	if (in->width == 1 && in->reg_width == 1 && !rex && !in->has_imm &&
	    in->reg >= 4 && in->reg < 8)
		return -EINVAL;
	in->len = i;
	return in->len <= 15 ? 0 : -EINVAL;
}

/* Fetches and decodes the instruction at the guest's RIP. */
static int fetch_decode(struct axvmx_vcpu *v, struct axvmx_mmio_insn *in)
{
	u64 la = vmcs_read(GUEST_CS_BASE) + axvmx_exit_rip(v);
	unsigned int to_end = PAGE_SIZE - (la & ~PAGE_MASK);
	/*
	 * 15 bytes at most are fetched, but with 13 prefixes, REX and two
	 * opcode bytes the decoder reads up to b[26] (ModRM, SIB,
	 * displacement, immediate) before it rejects the length: the zeroed
	 * tail keeps those reads inside the buffer.
	 */
	u8 b[32] = { };

	/*
	 * The exit gives no instruction length for EPT violations: fetch 15
	 * bytes, or up to the end of the page if the next one is not there.
	 */
	if (fetch(v, b, 15) && (to_end >= 15 || fetch(v, b, to_end)))
		return -EINVAL;
	return decode(v, b, in);
}

/* The value a decoded read puts into its register (width, sign, reg). */
static void set_read_reg(struct axvmx_vcpu *v, const struct axvmx_mmio_insn *in,
			 u64 val)
{
	unsigned int w = in->width;
	u64 old;

	if (w < 8)
		val &= GENMASK_ULL(w * 8 - 1, 0);
	if (in->sign_ext && w < 8)
		val = (u64)sign_extend64(val, w * 8 - 1);
	old = axvmx_get_reg(v, in->reg);
	switch (in->reg_width) {
	case 1:
		val = (old & ~0xffULL) | (val & 0xff);
		break;
	case 2:
		val = (old & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		val = (u32)val;		/* 32-bit destinations zero-extend */
		break;
	}
	axvmx_set_reg(v, in->reg, val);
}

/**
 * axvmx_mmio_exit - turn an EPT violation at @gpa into an MMIO exit.
 * @v: the vcpu, VMCS current.
 * @gpa: the guest-physical address.
 *
 * The decoded read is kept in @v->mmio: the completion takes the register,
 * width and sign extension from there, never from the run page.
 *
 * Return: AXVCPU_RUN_EXIT with run->mmio filled and RIP advanced,
 * AXVCPU_RUN_CONTINUE for a write an ioeventfd took (done, RIP advanced),
 * or -EINVAL when the instruction is not one we decode (the caller then
 * reports a NESTED_PAGE_FAULT).
 */
int axvmx_mmio_exit(struct axvmx_vcpu *v, u64 gpa)
{
	struct axvcpu_run *run = v->vcpu->run;
	struct axvmx_mmio_insn in;

	if (fetch_decode(v, &in))
		return -EINVAL;

	run->mmio.addr = gpa;
	run->mmio.width = in.width;
	run->mmio.reg = in.reg;
	run->mmio.reg_width = in.reg_width;
	run->mmio.is_write = in.write;
	run->mmio.sign_ext = in.sign_ext;
	memset(run->mmio.pad, 0, sizeof(run->mmio.pad));
	if (in.write) {
		u64 val = in.has_imm ? in.imm : axvmx_get_reg(v, in.reg);

		run->mmio.data = in.width == 8 ? val :
				 val & GENMASK_ULL(in.width * 8 - 1, 0);
		/* A device notification the VMM waits for on an eventfd. */
		if (axvcpu_ioeventfd_write(v->vcpu->vm, gpa, in.width,
					   run->mmio.data, false)) {
			axvmx_skip_insn(v, in.len);
			axvcpu_count_builtin(v->vcpu, AXVCPU_BUILTIN_IOEVENTFD);
			return AXVCPU_RUN_CONTINUE;
		}
	} else {
		run->mmio.data = 0;
		v->mmio = in;
	}
	axvmx_skip_insn(v, in.len);
	axvcpu_vcpu_set_exit(v->vcpu, in.write ? AXVCPU_EXIT_MMIO_WRITE :
						 AXVCPU_EXIT_MMIO_READ);
	return AXVCPU_RUN_EXIT;
}

/**
 * axvmx_apic_mmio - a guest access to the xAPIC page, handled here.
 * @v: the vcpu, VMCS current.
 * @gpa: the address in the page.
 *
 * Return: AXVCPU_RUN_CONTINUE, AXVCPU_RUN_EXIT (an IPI or CPU_UP exit),
 * or -EINVAL when the instruction is not one we decode.
 */
int axvmx_apic_mmio(struct axvmx_vcpu *v, u64 gpa)
{
	struct axvmx_mmio_insn in;
	u32 off = gpa & ~PAGE_MASK;
	int r = AXVLAPIC_DONE;

	if (fetch_decode(v, &in))
		return -EINVAL;
	if (in.write)
		r = axvlapic_mmio_write(&v->apic, off, in.width, in.has_imm ?
					in.imm : axvmx_get_reg(v, in.reg));
	else
		set_read_reg(v, &in, axvlapic_mmio_read(&v->apic, off,
							in.width));
	axvmx_skip_insn(v, in.len);
	if (r == AXVLAPIC_EXIT)
		return AXVCPU_RUN_EXIT;
	/* An IPI for other vcpus: delivered after this window. */
	if (r == AXVLAPIC_LATER)
		v->end_window = true;
	axvcpu_count_builtin(v->vcpu, AXVCPU_BUILTIN_APIC);
	return AXVCPU_RUN_CONTINUE;
}

static int do_complete(struct axvmx_vcpu *v, void *arg)
{
	set_read_reg(v, &v->mmio, *(u64 *)arg);
	return 0;
}

/**
 * axvmx_complete_mmio - write the VMM's answer to an MMIO read back.
 * @v: the vcpu.
 *
 * Return: 0, -EINVAL without a decoded read, or an error of loading the
 * VMCS (RSP destinations).
 */
int axvmx_complete_mmio(struct axvmx_vcpu *v)
{
	u64 data = READ_ONCE(v->vcpu->run->mmio.data);

	if (!v->mmio.width)
		return -EINVAL;
	if (v->mmio.reg != AXVMX_RSP) {
		do_complete(v, &data);
		return 0;
	}
	return axvmx_with_vmcs(v, do_complete, &data);
}
