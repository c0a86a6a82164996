/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axvm's messages and file helper (log.c): the bottom layer, used by
 * every other file and using none of them.
 */
#ifndef AXVM_LOG_H
#define AXVM_LOG_H

#include <stddef.h>
#include <stdint.h>

/* One line on stderr: "axvm: error: ..." / "axvm: ...". */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The whole regular, non-empty file @path into a malloc()ed *@buf of
 * *@len bytes; 0, or a negative errno after saying why (pr_err).
 */
int axvm__read_file(const char *path, uint8_t **buf, size_t *len);

#endif /* AXVM_LOG_H */
