// SPDX-License-Identifier: GPL-2.0
#include "ucall.h"

int get_ucall(struct axvm_vcpu *vcpu, struct ucall *uc)
{
	struct axvcpu_run *run = vcpu->run;
	int i;

	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != AXVCPU_EXIT_HYPERCALL ||
	    run->hypercall.nr != UCALL_NR)
		return UCALL_NONE;
	uc->type = run->hypercall.args[0];
	for (i = 0; i < 4; i++)
		uc->args[i] = run->hypercall.args[i + 1];
	run->hypercall.ret = 0;
	return uc->type;
}
