// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's x87/SSE/AVX registers.
 *
 * The vcpu keeps them in an XSAVE area of its own (an FXSAVE area on a
 * host without XSAVE) and loads them for one VMX window at a time, inside
 * kernel_fpu_begin()/kernel_fpu_end(): kernel_fpu_begin() has saved the
 * task's registers and marked them for reload on the way to userspace, so
 * the registers are free for the guest until the window ends.  Only user
 * state components are switched (standard-format XSAVE, never XSAVES):
 * supervisor state, PKRU and dynamic (AMX) state stay the host's, and the
 * guest's XCR0 can never enable them (CPUID leaf 0xD hides them).
 */
#define pr_fmt(fmt) "axvcpu: " fmt

#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>

#include "vmx.h"

/* Legacy-area offsets and reset values (SDM Vol. 1, 10.5.1 and 13.4). */
#define AXFPU_FCW		0
#define AXFPU_MXCSR		24
#define AXFPU_FCW_INIT		0x37f
#define AXFPU_MXCSR_INIT	0x1f80

static bool use_xsave(void)
{
	return axvmx_caps.host_xcr0 != 0;
}

/**
 * axvmx_fpu_init - allocate a guest register area in its reset state.
 * @f: the vcpu's area.
 *
 * Return: 0 or -ENOMEM.
 */
int axvmx_fpu_init(struct axvmx_fpu *f)
{
	unsigned int size = 512, a, b, c, d;
	u8 *area;

	/* ECX of leaf 0xD: the size for every feature XCR0 can enable. */
	if (use_xsave()) {
		cpuid_count(0xd, 0, &a, &b, &c, &d);
		size = max(c, 512U + 64U);
	}
	f->order = get_order(size);
	area = (u8 *)__get_free_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO,
				      f->order);
	if (!area)
		return -ENOMEM;
	/*
	 * XSTATE_BV = 0 puts every component in its initial state on XRSTOR;
	 * FCW and MXCSR are read from the legacy area regardless.
	 */
	*(u16 *)(area + AXFPU_FCW) = AXFPU_FCW_INIT;
	*(u32 *)(area + AXFPU_MXCSR) = AXFPU_MXCSR_INIT;
	f->area = area;
	return 0;
}

void axvmx_fpu_free(struct axvmx_fpu *f)
{
	if (f->area)
		free_pages((unsigned long)f->area, f->order);
	f->area = NULL;
}

/*
 * The components a window restores and saves: the guest's XCR0, and x87
 * and SSE always (a guest without CR4.OSXSAVE uses them all the same).
 */
static u64 window_mask(struct axvmx_vcpu *v)
{
	return v->xcr0 | XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
}

/**
 * axvmx_fpu_load_guest - put the guest's registers into the CPU.
 * @v: the vcpu; IRQs off, inside kernel_fpu_begin().
 *
 * Leaves XCR0 at the window mask; the entry code sets the guest's own
 * XCR0 when it differs.  A guest XSETBV ends the window, so the mask
 * always covers what the guest can reach.
 */
void axvmx_fpu_load_guest(struct axvmx_vcpu *v)
{
	u64 mask = window_mask(v);

	if (!use_xsave()) {
		asm volatile("fxrstorq %[a]" : : [a] "m"(*(u8 *)v->fpu.area));
		return;
	}
	v->window_xcr0 = mask;
	v->xcr0_dirty = true;
	if (mask != axvmx_caps.host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, mask);
	asm volatile("xrstor64 %[a]"
		     : : [a] "m"(*(u8 *)v->fpu.area), "a"((u32)mask),
		       "d"((u32)(mask >> 32))
		     : "memory");
	v->cur_xcr0 = mask;
}

/**
 * axvmx_fpu_save_guest - save the guest's registers, give the host's XCR0
 * back.
 * @v: the vcpu; IRQs off, after axvmx_fpu_load_guest().
 *
 * The host's register contents are not restored here: kernel_fpu_end()
 * and the return to userspace do that from the task's own save.
 */
void axvmx_fpu_save_guest(struct axvmx_vcpu *v)
{
	u64 mask = v->window_xcr0;

	if (!use_xsave()) {
		asm volatile("fxsaveq %[a]" : [a] "=m"(*(u8 *)v->fpu.area));
		return;
	}
	if (v->cur_xcr0 != mask)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, mask);
	asm volatile("xsave64 %[a]"
		     : [a] "+m"(*(u8 *)v->fpu.area)
		     : "a"((u32)mask), "d"((u32)(mask >> 32))
		     : "memory");
	if (mask != axvmx_caps.host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, axvmx_caps.host_xcr0);
	v->cur_xcr0 = axvmx_caps.host_xcr0;
}
