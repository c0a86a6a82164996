/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axvm's terminal (term.c): what the guest's consoles write goes to
 * stdout a line at a time per writer, what is typed on stdin to one
 * console's input, and the --vga text screen is printed at the end.
 */
#ifndef AXVM_TERM_H
#define AXVM_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct axvm;

/**
 * struct term_line - what one writer (a UART, a virtio console) has put
 * out since its last newline; written out whole.
 * @buf: the characters.  @len: how many.  @listed: known to term__flush.
 */
struct term_line {
	char buf[512];
	size_t len;
	bool listed;
};

/* A character for the terminal from @line's writer; under the device lock. */
void term__putc(struct term_line *line, char c);
void term__flush(void);
/* Console input from stdin into a UART: @push takes what fits, under the device lock. */
int term__input(struct axvm *vm, size_t (*push)(void *priv, const uint8_t *buf,
						size_t len), void *priv);
void vga__dump(struct axvm *vm);

#endif /* AXVM_TERM_H */
