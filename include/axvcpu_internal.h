/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the generic core files (vcpu_core.c, vcpu_mem.c,
 * vcpu_percpu.c, vcpu_eventfd.c, vcpu_stats.c).  Backends do not include this.
 */
#ifndef _AXVCPU_INTERNAL_H
#define _AXVCPU_INTERNAL_H

#include "axvcpu_core.h"

/* vcpu_mem.c */
int axvcpu_vm_set_memory_region(struct axvcpu_vm *vm,
				const struct axvcpu_memory_region *m);
void axvcpu_vm_free_slots(struct axvcpu_vm *vm);

/*
 * The AXVCPU_IRQ_* flags the ABI defines; each backend refuses the ones it
 * has no use for (arm64: all of them).
 */
#define AXVCPU_IRQ_FLAGS	(AXVCPU_IRQ_EXCEPTION | AXVCPU_IRQ_ERROR_CODE | \
				 AXVCPU_IRQ_NMI)

/* vcpu_eventfd.c */
int axvcpu_vm_ioeventfd(struct axvcpu_vm *vm, const struct axvcpu_ioeventfd *a);
int axvcpu_vm_irqfd(struct axvcpu_vm *vm, const struct axvcpu_irqfd *a);
void axvcpu_vm_eventfds_free(struct axvcpu_vm *vm);
int axvcpu_vm_mmu_init(struct axvcpu_vm *vm);
int axvcpu_vm_get_dirty_log(struct axvcpu_vm *vm,
			    const struct axvcpu_dirty_log *d);
void axvcpu_vm_mmu_exit(struct axvcpu_vm *vm);

/* vcpu_stats.c */
int axvcpu_stats_fd(struct file *owner, struct axvcpu_vm *vm,
		    struct axvcpu_vcpu *vcpu);

/* vcpu_percpu.c */
int axvcpu_percpu_init(bool enable_now);
void axvcpu_percpu_exit(void);
int axvcpu_percpu_get(void);
void axvcpu_percpu_put(void);

#endif /* _AXVCPU_INTERNAL_H */
