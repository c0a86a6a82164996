// SPDX-License-Identifier: GPL-2.0
/*
 * x86_vmx_hold - the vmx_hold module parameter: VMX operation and a
 * vcpu's VMCS kept between RUNs.  The module is reloaded with vmx_hold=1
 * (from $AXVCPU_KO), and reloaded without it at the end.  A real-mode
 * guest counts in EDI and exits with VMCALL after each step, so any state
 * lost between two RUNs shows as a count out of step:
 *  - the RUN thread moves between two CPUs after every RUN: the VMCS goes
 *    with it (VMCLEARed by IPI on the CPU that held it);
 *  - two VMs alternate on one CPU: each window VMCLEARs the other's VMCS;
 *  - a VM is destroyed from one CPU while its VMCS is held on another,
 *    and a VM made after it runs there;
 *  - the module unloads with VMX held (the CPUs leave VMX operation).
 * Skips on kernels without the parameter (7.x) and on one CPU.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

GUEST_CODE(g_count);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    ".global g_count_start, g_count_end\n"
    "g_count_start:\n"
    "1:	movl $0x686f6c64, %eax\n"
    "	incl %edi\n"
    "	vmcall\n"
    "	jmp 1b\n"
    "g_count_end:\n"
    ".code64\n"
    ".popsection\n");

#define HC_COUNT	0x686f6c64
#define HOLD_PARAM	"/sys/module/axvcpu/parameters/vmx_hold"
#define GPR_RDI		7	/* AXVCPU_SET_GPR index, the SDM order */

static long reload(const char *params)
{
	const char *ko = getenv("AXVCPU_KO");

	if (!ko)
		return -1;
	module_delete("axvcpu", 0);
	return module_load(ko, params);
}

/*
 * A failed assertion ends the test with its VMs still open: the module
 * cannot be reloaded then, and the tests after this one run with
 * vmx_hold=1 (which they pass too).  With nothing open, put it back.
 */
static void reload_default_atexit(void)
{
	char buf[16];

	if (read_sysfs(HOLD_PARAM, buf, sizeof(buf)) < 0 || strcmp(buf, "Y"))
		return;
	reload("");
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(sched_setaffinity(0, sizeof(set), &set) == 0,
		    "sched_setaffinity(cpu %d)", cpu);
	TEST_ASSERT_EQ(sched_getcpu(), cpu);
}

/* One RUN: the next count, from @t's guest. */
static void step(struct test_vm *t, __u64 want)
{
	struct axvcpu_run *run = run_expect_hcall(&t->vcpu, HC_COUNT);

	TEST_ASSERT(run->hypercall.args[0] == want,
		    "count %llu after a RUN, want %llu",
		    (unsigned long long)run->hypercall.args[0],
		    (unsigned long long)want);
}

static void count_vm(struct test_vm *t)
{
	test_vm_create(t, g_count_start, GUEST_CODE_LEN(g_count));
	vcpu_set_gpr(&t->vcpu, GPR_RDI, 0);
}

TEST(vmx_hold)
{
	struct test_vm a, b;
	char buf[16];
	__u64 i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU online");
	if (!getenv("AXVCPU_KO"))
		SKIP(return, "AXVCPU_KO not set");
	atexit(reload_default_atexit);
	TEST_ASSERT(reload("vmx_hold=1") == 0, "reload with vmx_hold=1");
	if (read_sysfs(HOLD_PARAM, buf, sizeof(buf)) < 0) {
		TEST_ASSERT(reload("") == 0, "reload");
		SKIP(return, "no vmx_hold on this kernel");
	}
	TEST_ASSERT(!strcmp(buf, "Y"), "vmx_hold reads '%s'", buf);

	/* The thread moves after every RUN. */
	pin(0);
	count_vm(&a);
	for (i = 1; i <= 40; i++) {
		pin(i & 1);
		step(&a, i);
	}

	/* Two VMs on one CPU, in turn. */
	pin(1);
	count_vm(&b);
	for (i = 1; i <= 20; i++) {
		step(&a, 40 + i);
		step(&b, i);
	}

	/* Held on CPU 1, destroyed from CPU 0; a new VM on CPU 1. */
	pin(0);
	test_vm_destroy(&a);
	pin(1);
	count_vm(&a);
	for (i = 1; i <= 5; i++)
		step(&a, i);
	step(&b, 21);
	test_vm_destroy(&a);
	test_vm_destroy(&b);

	/* Unloads with CPUs in held VMX operation, and works again after. */
	TEST_ASSERT(reload("") == 0, "reload without vmx_hold");
	pin(0);
	count_vm(&a);
	step(&a, 1);
	pin(1);
	step(&a, 2);
	test_vm_destroy(&a);
}

TEST_HARNESS_MAIN
