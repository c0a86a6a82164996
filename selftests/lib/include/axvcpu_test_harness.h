/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one-VM-one-vcpu kselftest fixture (KVM's kvm_test_harness.h): the
 * fixture's set-up makes the VM with vm_create_with_one_vcpu() and no
 * code, each test loads its guest code block and gets the VM and its
 * vcpu 0 (Ready) as arguments, and the tear-down frees the VM, also after
 * an ASSERT_* of the test failed.
 *
 *	AXVCPU_ONE_VCPU_TEST_SUITE(global);
 *
 *	AXVCPU_ONE_VCPU_TEST(global, halt_exit, guest_hlt)
 *	{
 *		vcpu_run(vcpu);
 *		vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
 *	}
 *
 * The body has _metadata (ASSERT_*, EXPECT_*, SKIP work), @vm (struct
 * test_vm *) and @vcpu (struct axvm_vcpu *).  A suite named global gives
 * the tests the TAP names TEST() gives ("global.halt_exit"): a file moves
 * its TEST()s onto the fixture without renaming them.  Tests of one suite
 * run in the order they are written; put a file's tests in one suite, or
 * the harness runs the TEST()s first.
 */
#ifndef SELFTEST_AXVCPU_TEST_HARNESS_H
#define SELFTEST_AXVCPU_TEST_HARNESS_H

#include "kselftest_harness.h"
#include "axvcpu_util.h"

#define AXVCPU_ONE_VCPU_TEST_SUITE(name)				\
	FIXTURE(name) {							\
		struct test_vm *vm;					\
		struct axvm_vcpu *vcpu;					\
	};								\
									\
	FIXTURE_SETUP(name)						\
	{								\
		self->vm = __vm_create_with_one_vcpu(&self->vcpu,	\
						     NULL, 0);		\
	}								\
									\
	FIXTURE_TEARDOWN(name)						\
	{								\
		test_vm_free(self->vm);					\
	}

#define AXVCPU_ONE_VCPU_TEST(suite, test, guest)			\
	static void __##suite##_##test(struct __test_metadata *_metadata, \
				       struct test_vm *vm,		\
				       struct axvm_vcpu *vcpu);		\
									\
	TEST_F(suite, test)						\
	{								\
		vm_load_code(self->vm, guest##_start,			\
			     GUEST_CODE_LEN(guest));			\
		__##suite##_##test(_metadata, self->vm, self->vcpu);	\
	}								\
									\
	static void __##suite##_##test(struct __test_metadata *_metadata, \
				       struct test_vm *vm,		\
				       struct axvm_vcpu *vcpu)

#endif /* SELFTEST_AXVCPU_TEST_HARNESS_H */
