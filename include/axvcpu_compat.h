/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels axvcpu builds for (Debian's 6.1 and
 * 6.12).  Kbuild probes the headers and defines AXVCPU_HAVE_* for what the
 * target kernel has, so no version numbers are compared here.
 */
#ifndef _AXVCPU_COMPAT_H
#define _AXVCPU_COMPAT_H

#include <linux/mm.h>

/* 6.3 made vm_area_struct.vm_flags read-only behind vm_flags_set(). */
static inline void axvcpu_vm_flags_set(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
#ifdef AXVCPU_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

#endif /* _AXVCPU_COMPAT_H */
