// SPDX-License-Identifier: GPL-2.0
/*
 * axvm's messages on stderr ("axvm: ..." and "axvm: error: ..."), and
 * reading a whole file (the guest image, the initrd).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"

static void pr_line(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_line("axvm: error: ", fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_line("axvm: ", fmt, ap);
	va_end(ap);
}

int axvm__read_file(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		pr_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		pr_err("%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	*len = st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < *len) {
		ssize_t r = read(fd, *buf + off, *len - off);

		if (r <= 0) {
			pr_err("%s: read: %s", path, r ? strerror(errno) : "short file");
			close(fd);
			free(*buf);
			return -EIO;
		}
		off += r;
	}
	close(fd);
	if (!*len) {
		pr_err("%s: empty file", path);
		free(*buf);
		return -ENOEXEC;
	}
	return 0;
}
