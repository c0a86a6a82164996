// SPDX-License-Identifier: GPL-2.0
/*
 * lib_names - libaxvm's exit-reason, builtin and state decoders: every defined value
 * has its own name, unknown values decode as UNKNOWN, never NULL.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "libaxvm.h"

TEST(exit_names_distinct)
{
	__u32 i, j;

	for (i = 0; i < AXVCPU_EXIT_NR; i++) {
		const char *n = axvm_exit_name(i);

		ASSERT_NE(NULL, n);
		ASSERT_NE(0, strcmp(n, "UNKNOWN"));
		for (j = 0; j < i; j++)
			ASSERT_NE(0, strcmp(n, axvm_exit_name(j)));
	}
	ASSERT_EQ(0, strcmp("HYPERCALL", axvm_exit_name(AXVCPU_EXIT_HYPERCALL)));
	ASSERT_EQ(0, strcmp("INTR", axvm_exit_name(AXVCPU_EXIT_INTR)));
	ASSERT_EQ(0, strcmp("UNKNOWN", axvm_exit_name(AXVCPU_EXIT_NR)));
	ASSERT_EQ(0, strcmp("UNKNOWN", axvm_exit_name(~0U)));
}

TEST(builtin_names_distinct)
{
	__u32 i, j;

	for (i = 0; i < AXVCPU_BUILTIN_NR; i++) {
		const char *n = axvm_builtin_name(i);

		ASSERT_NE(NULL, n);
		ASSERT_NE(0, strcmp(n, "UNKNOWN"));
		for (j = 0; j < i; j++)
			ASSERT_NE(0, strcmp(n, axvm_builtin_name(j)));
	}
	ASSERT_EQ(0, strcmp("memory_fault",
			    axvm_builtin_name(AXVCPU_BUILTIN_MEMORY_FAULT)));
	ASSERT_EQ(0, strcmp("UNKNOWN", axvm_builtin_name(AXVCPU_BUILTIN_NR)));
}

TEST(state_names)
{
	ASSERT_EQ(0, strcmp("Invalid", axvm_state_name(AXVCPU_STATE_INVALID)));
	ASSERT_EQ(0, strcmp("Created", axvm_state_name(AXVCPU_STATE_CREATED)));
	ASSERT_EQ(0, strcmp("Free", axvm_state_name(AXVCPU_STATE_FREE)));
	ASSERT_EQ(0, strcmp("Ready", axvm_state_name(AXVCPU_STATE_READY)));
	ASSERT_EQ(0, strcmp("Running", axvm_state_name(AXVCPU_STATE_RUNNING)));
	ASSERT_EQ(0, strcmp("Blocked", axvm_state_name(AXVCPU_STATE_BLOCKED)));
	ASSERT_EQ(0, strcmp("UNKNOWN", axvm_state_name(6)));
}

TEST_HARNESS_MAIN
