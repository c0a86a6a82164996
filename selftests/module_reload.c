// SPDX-License-Identifier: GPL-2.0
/*
 * module_reload - the module cannot go while anything of it is open, and
 * unloads and reloads cleanly 20 times, each time with a working
 * /dev/axvcpu.  Runs last; leaves the module loaded.  The module file comes
 * from $AXVCPU_KO.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

#define RELOADS		20

static const char *ko_path(void)
{
	return getenv("AXVCPU_KO");
}

static bool module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/axvcpu", &st) == 0;
}

/* Whatever happens in a test, leave the module loaded for what follows. */
static void reload_atexit(void)
{
	if (!module_loaded() && ko_path())
		module_load(ko_path(), "");
}

static void assert_module_works(void)
{
	struct axvm_vm vm;
	char buf[64];
	int fd;

	fd = open_dev();
	TEST_ASSERT_EQ(axvm_api_version(fd), AXVCPU_API_VERSION);
	vm_create(&vm, fd);
	axvm_vm_close(&vm);
	close(fd);
	TEST_ASSERT(wait_refcnt_zero(5000, buf, sizeof(buf)), "refcnt '%s'", buf);
}

TEST(unload_refused_while_open)
{
	struct test_vm t;

	if (!ko_path())
		SKIP(return, "AXVCPU_KO not set");
	atexit(reload_atexit);
	TEST_VM_WITH(&t, guest_hcall_loop);
	TEST_ASSERT_SYSCALL_ERR(module_delete("axvcpu", O_NONBLOCK), EWOULDBLOCK);
	/* Only the VM fd. */
	axvm_vcpu_close(&t.vcpu);
	close(t.sys_fd);
	t.sys_fd = -1;
	TEST_ASSERT_SYSCALL_ERR(module_delete("axvcpu", O_NONBLOCK), EWOULDBLOCK);
	/* Only a vcpu's run page mapping. */
	axvm_vm_close(&t.vm);
	{
		struct test_vm u;

		TEST_VM_WITH(&u, guest_hcall_loop);
		close(u.vcpu.fd);
		u.vcpu.fd = -1;
		axvm_vm_close(&u.vm);
		close(u.sys_fd);
		u.sys_fd = -1;
		TEST_ASSERT_SYSCALL_ERR(module_delete("axvcpu", O_NONBLOCK),
					EWOULDBLOCK);
		test_vm_destroy(&u);
	}
	test_vm_destroy(&t);
	TEST_ASSERT(module_loaded(), "module went away");
	assert_module_works();
}

/*
 * enable_at_load=1: virtualization is on for every online CPU with no VM at
 * all, stays on after a VM comes and goes, and is off once the module is
 * gone.  The module is reloaded without the parameter at the end.
 */
TEST(enable_at_load)
{
	char want[64], got[64], buf[64];
	long r;

	if (!ko_path())
		SKIP(return, "AXVCPU_KO not set");
	atexit(reload_atexit);
	TEST_ASSERT(wait_refcnt_zero(5000, buf, sizeof(buf)), "refcnt '%s'", buf);
	TEST_ASSERT_EQ(module_delete("axvcpu", O_NONBLOCK), 0);

	errno = 0;
	r = module_load(ko_path(), "enable_at_load=1");
	TEST_ASSERT(r == 0, "finit_module(enable_at_load=1): ret %ld errno %d (%s)",
		    r, errno, errno_name(errno));
	online_cpus(want, sizeof(want));
	TEST_ASSERT(read_sysfs(SYSFS_ENABLED_CPUS, got, sizeof(got)) == 0,
		    "read %s", SYSFS_ENABLED_CPUS);
	TEST_ASSERT(!strcmp(got, want), "no VM: enabled_cpus '%s', online '%s'",
		    got, want);
	TEST_ASSERT(read_sysfs("/sys/module/axvcpu/parameters/enable_at_load",
			       buf, sizeof(buf)) == 0, "read enable_at_load");
	TEST_ASSERT(!strcmp(buf, "Y"), "enable_at_load reads '%s'", buf);

	assert_module_works();
	TEST_ASSERT(read_sysfs(SYSFS_ENABLED_CPUS, got, sizeof(got)) == 0,
		    "read %s", SYSFS_ENABLED_CPUS);
	TEST_ASSERT(!strcmp(got, want), "after a VM: enabled_cpus '%s', online '%s'",
		    got, want);

	TEST_ASSERT_EQ(module_delete("axvcpu", O_NONBLOCK), 0);
	TEST_ASSERT_EQ(module_load(ko_path(), ""), 0);
	TEST_ASSERT(read_sysfs(SYSFS_ENABLED_CPUS, got, sizeof(got)) == 0,
		    "read %s", SYSFS_ENABLED_CPUS);
	TEST_ASSERT(!strcmp(got, ""), "default load: enabled_cpus '%s'", got);
}

/* Each reload costs a module load in the emulator: allow minutes. */
FIXTURE(reload)
{
	int unused;
};

FIXTURE_SETUP(reload)
{
}

FIXTURE_TEARDOWN(reload)
{
}

TEST_F_TIMEOUT(reload, reload_20_times, 300)
{
	struct stat st;
	char buf[64];
	int i;

	if (!ko_path())
		SKIP(return, "AXVCPU_KO not set");
	TEST_ASSERT(stat(ko_path(), &st) == 0, "stat %s: %s", ko_path(),
		    strerror(errno));
	atexit(reload_atexit);
	TEST_ASSERT(wait_refcnt_zero(5000, buf, sizeof(buf)), "refcnt '%s'", buf);
	for (i = 0; i < RELOADS; i++) {
		long r;

		errno = 0;
		r = module_delete("axvcpu", O_NONBLOCK);
		TEST_ASSERT(r == 0, "reload %d: delete_module: ret %ld errno %d (%s)",
			    i, r, errno, errno_name(errno));
		TEST_ASSERT(!module_loaded(), "reload %d: /sys/module/axvcpu still there", i);
		TEST_ASSERT(stat(AXVM_DEV_PATH, &st) != 0 && errno == ENOENT,
			    "reload %d: %s still there after unload", i, AXVM_DEV_PATH);
		errno = 0;
		r = module_load(ko_path(), "");
		TEST_ASSERT(r == 0, "reload %d: finit_module(%s): ret %ld errno %d (%s)",
			    i, ko_path(), r, errno, errno_name(errno));
		TEST_ASSERT(stat(AXVM_DEV_PATH, &st) == 0 && S_ISCHR(st.st_mode),
			    "reload %d: no %s after load", i, AXVM_DEV_PATH);
		assert_module_works();
	}
	TEST_ASSERT(module_loaded(), "module not loaded at the end");
}

TEST_HARNESS_MAIN
