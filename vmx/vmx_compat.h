/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 differences between the kernels the VMX backend builds for (Debian's
 * 6.1, 6.12 and 7.x).  Each one is tested on the target's own headers (a
 * macro they define, a header they ship, or a Kbuild probe from vmx.mk),
 * never on a version number.
 */
#ifndef _AXVCPU_VMX_COMPAT_H
#define _AXVCPU_VMX_COMPAT_H

#include <asm/msr.h>

/* 6.16 renamed the 64-bit MSR accessors rdmsrl() & co. to rdmsrq(). */
#ifndef rdmsrq
#define rdmsrq(msr, val)	rdmsrl(msr, val)
#define wrmsrq(msr, val)	wrmsrl(msr, val)
#define rdmsrq_safe(msr, p)	rdmsrl_safe(msr, p)
#endif

/*
 * The MSR reads on the run path: the RDMSR itself (with the kernel's
 * read_msr tracepoint), not the paravirt call rdmsrq() makes in kernels
 * built for Xen PV too.  A Xen PV guest is never offered VMX, so this
 * module does not run there.  native_read_msr() is in all the kernels.
 */
#define axvmx_rdmsr(msr)	native_read_msr(msr)

/* cpuid() and cpuid_count() left <asm/processor.h> for their own header. */
#ifdef AXVCPU_HAVE_CPUID_API_H
#include <asm/cpuid/api.h>
#else
#include <asm/processor.h>
#endif

#endif /* _AXVCPU_VMX_COMPAT_H */
