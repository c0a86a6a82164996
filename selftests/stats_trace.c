// SPDX-License-Identifier: GPL-2.0
/*
 * stats_trace - AXVCPU_GET_STATS_FD and the axvcpu tracepoints: a real
 * guest makes hypercall exits; the vcpu's stats fd counts them from the
 * module's own counters (a VMM that scribbles over its run page changes
 * nothing there), the VM's counts its vcpus and guest-memory faults, a
 * stats fd outlives the fds it came from, and with the events enabled
 * through tracefs every exit shows up in the trace buffer.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

#define NEXITS	20

/* NEXITS hypercall exits, each answered. */
static void run_hypercalls(struct test_vm *t, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		vcpu_run(&t->vcpu);
		vcpu_assert_exit(&t->vcpu, AXVCPU_EXIT_HYPERCALL);
		TEST_ASSERT_EQ(t->vcpu.run->hypercall.nr, HCALL_LOOP_NR);
		t->vcpu.run->hypercall.ret = 0;
	}
}

static long long stat_of(int obj_fd, const char *name, char *id, size_t idlen)
{
	struct axvm_stats st;
	long long v;

	TEST_ASSERT_EQ(axvm_stats_open(obj_fd, &st), 0);
	TEST_ASSERT_EQ(axvm_stats_read(&st), 0);
	v = axvm_stats_get(&st, name);
	if (id)
		snprintf(id, idlen, "%s", st.id);
	axvm_stats_close(&st);
	return v;
}

TEST(vcpu_stats_count_exits)
{
	struct axvcpu_stats_header h;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	char id[64], want[64];
	unsigned int vm_no;
	int fd;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	run_hypercalls(vm, NEXITS);
	EXPECT_EQ(NEXITS, stat_of(vcpu->fd, "exit_hypercall", id, sizeof(id)));
	EXPECT_LE(NEXITS, stat_of(vcpu->fd, "entries", NULL, 0));
	EXPECT_EQ(0, stat_of(vcpu->fd, "exit_mmio_read", NULL, 0));
	EXPECT_EQ(-1, stat_of(vcpu->fd, "no_such_stat", NULL, 0));
	/* The run page has the same counts, as a mirror. */
	EXPECT_EQ(NEXITS, vcpu->run->stats.exits[AXVCPU_EXIT_HYPERCALL]);
	ASSERT_EQ(1, sscanf(id, "axvcpu-vm-%u-vcpu-0", &vm_no));
	snprintf(want, sizeof(want), "axvcpu-vm-%u-vcpu-0", vm_no);
	EXPECT_STREQ(want, id);

	/* The VMM may overwrite its run page: the module's counts stay. */
	memset(&vcpu->run->stats, 0xff, sizeof(vcpu->run->stats));
	EXPECT_EQ(NEXITS, stat_of(vcpu->fd, "exit_hypercall", NULL, 0));
	run_hypercalls(vm, 1);
	EXPECT_EQ(NEXITS + 1, stat_of(vcpu->fd, "exit_hypercall", NULL, 0));
	EXPECT_EQ(NEXITS + 1, vcpu->run->stats.exits[AXVCPU_EXIT_HYPERCALL]);

	/* The layout: header, id, descriptors, values; read-only. */
	fd = ioctl(vcpu->fd, AXVCPU_GET_STATS_FD, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(h), pread(fd, &h, sizeof(h), 0));
	EXPECT_EQ(0, h.flags);
	EXPECT_EQ(AXVCPU_STATS_NAME_SIZE, h.name_size);
	EXPECT_EQ(sizeof(h), h.id_offset);
	EXPECT_EQ(h.id_offset + h.name_size, h.desc_offset);
	EXPECT_EQ(h.desc_offset + h.num_desc *
		  (sizeof(struct axvcpu_stats_desc) + h.name_size), h.data_offset);
	EXPECT_LE(1 + AXVCPU_EXIT_NR - 1 + AXVCPU_BUILTIN_NR, h.num_desc);
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* _IO with an argument: refused. */
	EXPECT_EQ(-1, ioctl(vcpu->fd, AXVCPU_GET_STATS_FD, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->vm.fd, AXVCPU_GET_STATS_FD, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->sys_fd, AXVCPU_GET_STATS_FD, 0));
	EXPECT_EQ(ENOTTY, errno);
	test_vm_free(vm);
}

TEST(vm_stats_and_lifetime)
{
	struct axvm_stats vst, cst;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	char id[64];
	unsigned int vm_no;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	EXPECT_EQ(1, stat_of(vm->vm.fd, "vcpus", id, sizeof(id)));
	EXPECT_EQ(1, sscanf(id, "axvcpu-vm-%u", &vm_no));
	run_hypercalls(vm, 3);
	/* The guest's code page was mapped on its first fetch. */
	EXPECT_LE(1, stat_of(vm->vm.fd, "mem_faults", NULL, 0));
	EXPECT_EQ(0, stat_of(vm->vm.fd, "irqfds", NULL, 0));

	/* Stats fds keep their VM and vcpu: readable after both fds close. */
	ASSERT_EQ(0, axvm_stats_open(vm->vm.fd, &vst));
	ASSERT_EQ(0, axvm_stats_open(vcpu->fd, &cst));
	test_vm_free(vm);
	ASSERT_EQ(0, axvm_stats_read(&cst));
	EXPECT_EQ(3, axvm_stats_get(&cst, "exit_hypercall"));
	ASSERT_EQ(0, axvm_stats_read(&vst));
	EXPECT_LE(1, axvm_stats_get(&vst, "mem_faults"));
	axvm_stats_close(&cst);
	/* The vcpu is gone now: the VM counts none. */
	ASSERT_EQ(0, axvm_stats_read(&vst));
	EXPECT_EQ(0, axvm_stats_get(&vst, "vcpus"));
	axvm_stats_close(&vst);
}

/* ---- tracepoints through tracefs ---- */

static const char *tracefs(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char p[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(p, sizeof(p), "%s/trace", dirs[i]);
		if (!access(p, W_OK))
			return dirs[i];
	}
	if (!mount("tracefs", dirs[0], "tracefs", 0, NULL))
		return dirs[0];
	return NULL;
}

static void tf_write(const char *dir, const char *file, const char *val)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_WRONLY | O_TRUNC);
	TEST_ASSERT(fd >= 0, "open %s: %s", p, strerror(errno));
	TEST_ASSERT(write(fd, val, strlen(val)) == (ssize_t)strlen(val),
		    "write '%s' to %s: %s", val, p, strerror(errno));
	close(fd);
}

static char *tf_read(const char *dir, const char *file)
{
	size_t cap = 1 << 20, len = 0;
	char p[256], *buf = malloc(cap + 1);
	ssize_t n;
	int fd;

	TEST_ASSERT(buf, "malloc");
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open %s: %s", p, strerror(errno));
	while (len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

static const char *const events[] = {
	"axvcpu_entry", "axvcpu_exit", "axvcpu_userspace_exit",
	"axvcpu_mem_fault", "axvcpu_complete", "axvcpu_inject",
};

TEST(tracepoints_show_exits)
{
	char p[128], want[96], *tr;
	const char *dir = tracefs();
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	unsigned int i, vm_no;
	char id[64];

	if (!dir)
		SKIP(return, "no tracefs (CONFIG_TRACING off?)");
	snprintf(p, sizeof(p), "%s/events/axvcpu/axvcpu_exit/format", dir);
	ASSERT_EQ(0, access(p, R_OK)) {
		TH_LOG("%s: the module's events are not in tracefs", p);
	}
	tf_write(dir, "tracing_on", "0");
	tf_write(dir, "trace", "");
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(p, sizeof(p), "events/axvcpu/%s/enable", events[i]);
		tf_write(dir, p, "1");
	}
	tf_write(dir, "tracing_on", "1");

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	run_hypercalls(vm, 5);
	/* An injection is traced whether or not the guest takes it. */
	axvm_vcpu_inject(vcpu, 40, 0, 0);
	stat_of(vm->vm.fd, "vcpus", id, sizeof(id));
	test_vm_free(vm);

	tf_write(dir, "tracing_on", "0");
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(p, sizeof(p), "events/axvcpu/%s/enable", events[i]);
		tf_write(dir, p, "0");
	}
	tr = tf_read(dir, "trace");
	ASSERT_EQ(1, sscanf(id, "axvcpu-vm-%u", &vm_no));
	snprintf(want, sizeof(want), "axvcpu_userspace_exit: vm %u vcpu 0 HYPERCALL ret 0", vm_no);
	EXPECT_EQ(5, count(tr, want)) {
		TH_LOG("'%s' %d times in the trace, not 5", want, count(tr, want));
	}
	snprintf(want, sizeof(want), "axvcpu_exit: vm %u vcpu 0 reason", vm_no);
	EXPECT_LE(5, count(tr, want));
	snprintf(want, sizeof(want), "axvcpu_entry: vm %u vcpu 0", vm_no);
	EXPECT_LE(5, count(tr, want));
	/* RUNs 2..5 completed the hypercall before them. */
	snprintf(want, sizeof(want), "axvcpu_complete: vm %u vcpu 0 HYPERCALL ret 0", vm_no);
	EXPECT_EQ(4, count(tr, want));
	snprintf(want, sizeof(want), "axvcpu_mem_fault: vm %u gpa ", vm_no);
	EXPECT_LE(1, count(tr, want));
	snprintf(want, sizeof(want), "axvcpu_inject: vm %u vcpu 0 vector 40 from ioctl", vm_no);
	EXPECT_EQ(1, count(tr, want));
	if (!_metadata->passed)
		TH_LOG("trace:\n%.4000s", tr);
	free(tr);
}

/*
 * Every exit reason and built-in kind carries the uapi's name
 * (AXVCPU_EXIT_NAMES, AXVCPU_BUILTIN_NAMES, which libaxvm uses) in the
 * vcpu stats fd, and every exit reason in the tracepoints' format, which
 * lists the names out for perf and trace-cmd.
 */
TEST(names_match_uapi)
{
	const char *dir = tracefs();
	struct axvm_stats st;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	char want[96], *fmt;
	unsigned int r, k;

	vm = vm_create_with_one_vcpu(&vcpu, guest_hcall_loop);
	ASSERT_EQ(0, axvm_stats_open(vcpu->fd, &st));
	ASSERT_EQ(0, axvm_stats_read(&st));
	for (r = 1; r < AXVCPU_EXIT_NR; r++) {
		k = snprintf(want, sizeof(want), "exit_%s", axvm_exit_name(r));
		while (k-- > 5)
			want[k] = tolower((unsigned char)want[k]);
		EXPECT_EQ(0, axvm_stats_get(&st, want)) {
			TH_LOG("no stat '%s' for exit %u", want, r);
		}
	}
	for (r = 0; r < AXVCPU_BUILTIN_NR; r++) {
		snprintf(want, sizeof(want), "builtin_%s", axvm_builtin_name(r));
		EXPECT_EQ(0, axvm_stats_get(&st, want)) {
			TH_LOG("no stat '%s' for built-in kind %u", want, r);
		}
	}
	axvm_stats_close(&st);
	test_vm_free(vm);

	if (!dir)
		SKIP(return, "no tracefs (CONFIG_TRACING off?)");
	fmt = tf_read(dir, "events/axvcpu/axvcpu_userspace_exit/format");
	for (r = 0; r < AXVCPU_EXIT_NR; r++) {
		snprintf(want, sizeof(want), "{ %u, \"%s\" }", r,
			 axvm_exit_name(r));
		EXPECT_EQ(1, count(fmt, want)) {
			TH_LOG("'%s' not in the event's format:\n%s", want, fmt);
		}
	}
	free(fmt);
}

TEST_HARNESS_MAIN
