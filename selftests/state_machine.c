// SPDX-License-Identifier: GPL-2.0
/*
 * state_machine - the vcpu life cycle (enum axvcpu_state): every legal
 * transition, every illegal one (-EBADFD, then the vcpu reads Invalid and
 * stays there), and argument errors that must not change the state.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"

enum op { OP_SETUP, OP_BIND, OP_UNBIND, OP_RUN };

static const char *const op_names[] = { "SETUP", "BIND", "UNBIND", "RUN" };

/* The raw ioctl for @op. */
static long do_op(struct axvm_vcpu *v, enum op op)
{
	struct axvcpu_vcpu_setup s = { .entry = GUEST_ENTRY };

	switch (op) {
	case OP_SETUP:
		return __vcpu_setup(v, &s);
	case OP_BIND:
		return __vcpu_bind(v);
	case OP_UNBIND:
		return __vcpu_unbind(v);
	case OP_RUN:
		return __vcpu_run(v);
	}
	return -1;
}

/* Bring a fresh vcpu (Created) to @state along the legal path. */
static void reach_state(struct axvm_vcpu *v, __u32 state)
{
	switch (state) {
	case AXVCPU_STATE_CREATED:
		break;
	case AXVCPU_STATE_FREE:
		vcpu_setup(v, GUEST_ENTRY);
		break;
	case AXVCPU_STATE_READY:
		vcpu_setup(v, GUEST_ENTRY);
		vcpu_bind(v);
		break;
	case AXVCPU_STATE_INVALID:
		/* BIND on Created is illegal. */
		TEST_ASSERT_SYSCALL_ERR(__vcpu_bind(v), EBADFD);
		break;
	default:
		TEST_FAIL("no path to state %u", state);
	}
	vcpu_assert_state(v, state);
}

TEST(legal_cycle)
{
	struct test_vm t;
	int i;

	TEST_VM_WITH(&t, guest_hcall_loop);
	/* test_vm_create went Created -> SETUP -> Free -> BIND -> Ready. */
	for (i = 0; i < 3; i++) {
		vcpu_run(&t.vcpu);
		vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
		vcpu_assert_state(&t.vcpu, AXVCPU_STATE_READY);
		vcpu_run(&t.vcpu);
		vcpu_assert_state(&t.vcpu, AXVCPU_STATE_READY);
		vcpu_unbind(&t.vcpu);
		vcpu_assert_state(&t.vcpu, AXVCPU_STATE_FREE);
		vcpu_bind(&t.vcpu);
		vcpu_assert_state(&t.vcpu, AXVCPU_STATE_READY);
	}
	/* The guest carries on where it was after UNBIND/BIND. */
	vcpu_run(&t.vcpu);
	vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(t.vcpu.run->hypercall.nr, HCALL_LOOP_NR);
	vcpu_unbind(&t.vcpu);
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_FREE);
	test_vm_destroy(&t);
}

TEST(setup_bad_pointer_no_state_change)
{
	struct test_vm t;
	void *bad;

	test_vm_create_created(&t, NULL, 0);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SETUP, NULL), EFAULT);
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_CREATED);
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SETUP, bad), EFAULT);
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_CREATED);
	/* Still usable. */
	vcpu_setup(&t.vcpu, GUEST_ENTRY);
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_FREE);
	test_vm_destroy(&t);
}

TEST(setup_flags_no_state_change)
{
	struct axvcpu_vcpu_setup s = { .entry = GUEST_ENTRY };
	struct test_vm t;

	test_vm_create_created(&t, NULL, 0);
	/*
	 * Bit 0 is AXVCPU_SETUP_X86_WAIT_SIPI on x86, bit 1
	 * AXVCPU_SETUP_HALT_IN_KERNEL; bit 2 is no flag.
	 */
	s.flags = 4;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SETUP, &s), EINVAL);
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_CREATED);
	s.flags = 0x80000000;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SETUP, &s), EINVAL);
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_CREATED);
	s.flags = 0;
	s.reserved = 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SETUP, &s), EINVAL);
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_CREATED);
	s.reserved = 0;
	TEST_ASSERT_SYSCALL_OK(ioctl(t.vcpu.fd, AXVCPU_SETUP, &s));
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_FREE);
	/* The same bad flags on a Free vcpu: still -EINVAL before the state check. */
	s.flags = 4;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SETUP, &s), EINVAL);
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_FREE);
	test_vm_destroy(&t);
}

TEST(get_state_never_changes_state)
{
	struct test_vm t;
	int i;

	test_vm_create_created(&t, NULL, 0);
	for (i = 0; i < 10; i++)
		vcpu_assert_state(&t.vcpu, AXVCPU_STATE_CREATED);
	test_vm_destroy(&t);
}

#ifdef __aarch64__
/* The arch refuses interrupt passthrough: arch setup error -> Invalid. */
TEST(setup_arch_error_invalid)
{
	struct axvcpu_vcpu_setup s = { .entry = GUEST_ENTRY };
	struct test_vm t;

	test_vm_create_created(&t, NULL, 0);
	s.arm64.passthrough_interrupt = 1;
	TEST_ASSERT_SYSCALL_ERR(ioctl(t.vcpu.fd, AXVCPU_SETUP, &s), EOPNOTSUPP);
	vcpu_assert_state(&t.vcpu, AXVCPU_STATE_INVALID);
	test_vm_destroy(&t);
}
#endif

/*
 * Every illegal (state, op) pair: -EBADFD, then Invalid; and Invalid is
 * terminal: every life-cycle op fails with -EBADFD again.
 */
FIXTURE(illegal)
{
	struct test_vm t;
};

FIXTURE_VARIANT(illegal)
{
	__u32 state;
	enum op op;
};

#define ILLEGAL(s, o)							\
	FIXTURE_VARIANT_ADD(illegal, s##_##o) {				\
		.state = AXVCPU_STATE_##s, .op = OP_##o,		\
	}
ILLEGAL(CREATED, BIND);
ILLEGAL(CREATED, UNBIND);
ILLEGAL(CREATED, RUN);
ILLEGAL(FREE, SETUP);
ILLEGAL(FREE, UNBIND);
ILLEGAL(FREE, RUN);
ILLEGAL(READY, SETUP);
ILLEGAL(READY, BIND);
ILLEGAL(INVALID, SETUP);
ILLEGAL(INVALID, BIND);
ILLEGAL(INVALID, UNBIND);
ILLEGAL(INVALID, RUN);

FIXTURE_SETUP(illegal)
{
	test_vm_create_created(&self->t, guest_hcall_loop_start,
			       GUEST_CODE_LEN(guest_hcall_loop));
	reach_state(&self->t.vcpu, variant->state);
}

FIXTURE_TEARDOWN(illegal)
{
	test_vm_destroy(&self->t);
}

TEST_F(illegal, ebadfd_then_invalid)
{
	long r;
	int e, op;

	errno = 0;
	r = do_op(&self->t.vcpu, variant->op);
	e = errno;
	TEST_ASSERT(r == -1 && e == EBADFD,
		    "%s in state %s: ret %ld errno %d (%s), expected EBADFD",
		    op_names[variant->op], axvm_state_name(variant->state), r,
		    e, errno_name(e));
	vcpu_assert_state(&self->t.vcpu, AXVCPU_STATE_INVALID);
	for (op = OP_SETUP; op <= OP_RUN; op++) {
		errno = 0;
		r = do_op(&self->t.vcpu, op);
		e = errno;
		TEST_ASSERT(r == -1 && e == EBADFD,
			    "%s on Invalid: ret %ld errno %d (%s)",
			    op_names[op], r, e, errno_name(e));
		vcpu_assert_state(&self->t.vcpu, AXVCPU_STATE_INVALID);
	}
}

TEST_HARNESS_MAIN
