// SPDX-License-Identifier: GPL-2.0
/*
 * axvm guest memory: guest-physical addresses to the host's view of guest
 * RAM (vm->ram, allocated by vm__alloc_ram()), and loading into it.
 */
#include <errno.h>
#include <string.h>

#include "axvm.h"

/* Host view of [gpa, gpa + len) in RAM, or NULL. */
void *vm__gpa_to_hva(struct axvm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa < vm->ram_base || gpa - vm->ram_base > vm->ram_size ||
	    len > vm->ram_size - (gpa - vm->ram_base))
		return NULL;
	return vm->ram + (gpa - vm->ram_base);
}

int vm__load(struct axvm *vm, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = vm__gpa_to_hva(vm, gpa, len);

	if (!dst) {
		pr_err("[0x%llx, 0x%llx) is outside guest RAM [0x%llx, 0x%llx): use a larger --mem",
		       (unsigned long long)gpa, (unsigned long long)(gpa + len),
		       (unsigned long long)vm->ram_base,
		       (unsigned long long)(vm->ram_base + vm->ram_size));
		return -EFBIG;
	}
	memcpy(dst, src, len);
	return 0;
}
