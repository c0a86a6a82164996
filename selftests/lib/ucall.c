// SPDX-License-Identifier: GPL-2.0
#include "ucall.h"

int get_ucall(struct axvm_vcpu *vcpu, struct ucall *uc)
{
	struct axvcpu_run *run = vcpu->run;
	int i;

	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != AXVCPU_EXIT_HYPERCALL ||
	    run->hypercall.nr < UCALL_NR_OF(UCALL_SYNC) ||
	    run->hypercall.nr > UCALL_NR_OF(UCALL_TYPE_MAX))
		return UCALL_NONE;
	uc->type = run->hypercall.nr - UCALL_NR_BASE;
	for (i = 0; i < 6; i++)
		uc->args[i] = run->hypercall.args[i];
	run->hypercall.ret = 0;
	return uc->type;
}
