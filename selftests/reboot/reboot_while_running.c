// SPDX-License-Identifier: GPL-2.0
/*
 * reboot_while_running - reboot the host while a vcpu is in the guest.
 *
 * Not part of run_all.sh: it ends the machine.  The rig boots a kernel for
 * it alone (tools/testing/check.sh), runs it, and reads the console after
 * it: the module's reboot notifier must have run ("axvcpu: rebooting"), the
 * kernel must reach "reboot: Restarting system", and nothing may oops or
 * WARN on the way.  On x86 the notifier runs while the vcpu thread is
 * between or inside its VMX windows; a VMX instruction after VMX went away
 * would #UD.
 *
 * Prints "AXVCPU-REBOOT-ARMED" once a vcpu runs on CPU 1 (and one on CPU 0
 * where there are two CPUs), then calls reboot(RB_AUTOBOOT) like
 * 'reboot -f': the reboot notifiers run, then the restart.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <termios.h>
#include <unistd.h>

#include "axvcpu_util.h"

GUEST_CODE(guest_spin);

static struct test_vm vms[2];

static void *spin(void *arg)
{
	long cpu = (long)arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	for (;;)
		__vcpu_run(&vms[cpu].vcpu);
	return NULL;
}

int main(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
	pthread_t th;
	long c;
	int i;

	for (c = 0; c < ncpu; c++) {
		TEST_VM_WITH(&vms[c], guest_spin);
		TEST_ASSERT(!pthread_create(&th, NULL, spin, (void *)c),
			    "pthread_create");
	}
	for (c = 0; c < ncpu; c++)
		for (i = 0; i < 500 &&
		     axvm_vcpu_get_state(&vms[c].vcpu) != AXVCPU_STATE_RUNNING; i++)
			usleep(10000);
	for (c = 0; c < ncpu; c++)
		TEST_ASSERT(axvm_vcpu_get_state(&vms[c].vcpu) == AXVCPU_STATE_RUNNING,
			    "vcpu %ld is not running", c);
	usleep(200000);
	printf("AXVCPU-REBOOT-ARMED %ld vcpus in the guest\n", ncpu);
	fflush(stdout);
	/* Out of the serial line before the kernel's reboot messages. */
	tcdrain(STDOUT_FILENO);
	sync();
	usleep(300000);
	reboot(RB_AUTOBOOT);
	perror("reboot");
	return 1;
}
