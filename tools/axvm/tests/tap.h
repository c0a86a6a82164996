/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP output for the axvm host unit tests. */
#ifndef AXVM_TAP_H
#define AXVM_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {						\
	int __c = !!(cond);						\
	tap_n++;							\
	if (!__c)							\
		tap_failed++;						\
	printf("%sok %d - ", __c ? "" : "not ", tap_n);			\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!__c)							\
		printf("#   failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
} while (0)

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

static inline int tap_done(const char *name)
{
	printf("1..%d\n", tap_n);
	printf("# %s: %d passed, %d failed\n", name, tap_n - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif /* AXVM_TAP_H */
