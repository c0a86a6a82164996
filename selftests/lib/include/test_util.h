/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assertions for the axvcpu selftests, in the KVM selftests' manner: a
 * failed assertion prints where, the expression, the value it saw and errno,
 * as TAP comment lines, and ends the test (exit 1: the harness's "failed at
 * step").  Usable from library code, which has no _metadata.
 */
#ifndef SELFTEST_TEST_UTIL_H
#define SELFTEST_TEST_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef __stringify
#define __stringify_1(x...)	#x
#define __stringify(x...)	__stringify_1(x)
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

void test_assert_fail(const char *file, int line, const char *expr,
		      int err, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 5, 6)));

const char *errno_name(int err);

#define TEST_ASSERT(cond, fmt, ...) do {				\
	int __e = errno;						\
	if (!(cond))							\
		test_assert_fail(__FILE__, __LINE__, #cond, __e,	\
				 fmt, ##__VA_ARGS__);			\
} while (0)

#define TEST_FAIL(fmt, ...)						\
	test_assert_fail(__FILE__, __LINE__, "TEST_FAIL", errno,	\
			 fmt, ##__VA_ARGS__)

/* @a == @b as unsigned 64-bit values; prints both in hex. */
#define TEST_ASSERT_EQ(a, b) do {					\
	unsigned long long __a = (unsigned long long)(a);		\
	unsigned long long __b = (unsigned long long)(b);		\
	TEST_ASSERT(__a == __b, "%s is 0x%llx, expected %s = 0x%llx",	\
		    #a, __a, #b, __b);					\
} while (0)

/*
 * A raw syscall (ioctl, mmap...) that must fail with -1 and errno @err.
 * Prints the return value and errno it got otherwise.
 */
#define TEST_ASSERT_SYSCALL_ERR(call, err) do {				\
	long __r;							\
	int __e;							\
	errno = 0;							\
	__r = (long)(call);						\
	__e = errno;							\
	if (!(__r == -1 && __e == (err)))				\
		test_assert_fail(__FILE__, __LINE__, #call, __e,	\
			"expected -1 errno %s, got ret %ld errno %d (%s)", \
			errno_name(err), __r, __e, errno_name(__e));	\
} while (0)

/* A raw syscall that must succeed (return >= 0). */
#define TEST_ASSERT_SYSCALL_OK(call) ({					\
	long __r;							\
	int __e;							\
	errno = 0;							\
	__r = (long)(call);						\
	__e = errno;							\
	if (__r < 0)							\
		test_assert_fail(__FILE__, __LINE__, #call, __e,	\
			"expected success, got ret %ld errno %d (%s)",	\
			__r, __e, errno_name(__e));			\
	__r;								\
})

/* A libaxvm call (>= 0 or -errno) that must return exactly @expect. */
#define TEST_ASSERT_RET(call, expect) do {				\
	long __r = (long)(call);					\
	long __x = (long)(expect);					\
	if (__r != __x)							\
		test_assert_fail(__FILE__, __LINE__, #call, __r < 0 ? (int)-__r : 0, \
			"expected %ld (%s), got %ld (%s)", __x,		\
			__x < 0 ? errno_name((int)-__x) : "ok", __r,	\
			__r < 0 ? errno_name((int)-__r) : "ok");	\
} while (0)

#endif /* SELFTEST_TEST_UTIL_H */
