/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels axvcpu builds for (Debian's 6.1, 6.12
 * and 7.3).  Kbuild probes the headers and defines AXVCPU_HAVE_* for what
 * the target kernel has, so no version numbers are compared here.  What
 * only one backend needs lives in that backend's own compat header.
 */
#ifndef _AXVCPU_COMPAT_H
#define _AXVCPU_COMPAT_H

#include <linux/hrtimer.h>
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

/**
 * axvcpu_hrtimer_setup - initialise an hrtimer and set its callback.
 * @timer: the timer.
 * @fn: its callback.
 * @clock: the clock it runs on (CLOCK_MONOTONIC, ...).
 * @mode: the HRTIMER_MODE_* it is started with.
 *
 * hrtimer_setup() arrived in 6.13 and hrtimer_init() went in 6.15; before
 * the former the callback is a plain field set after hrtimer_init().
 */
static inline void axvcpu_hrtimer_setup(struct hrtimer *timer,
					enum hrtimer_restart (*fn)(struct hrtimer *),
					clockid_t clock, enum hrtimer_mode mode)
{
#ifdef AXVCPU_HAVE_HRTIMER_SETUP
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

/* 6.8 dropped eventfd_signal()'s count argument (always 1 by then). */
#ifdef AXVCPU_HAVE_EVENTFD_SIGNAL_1
#define axvcpu_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define axvcpu_eventfd_signal(ctx)	eventfd_signal((ctx), 1)
#endif

#endif /* _AXVCPU_COMPAT_H */
