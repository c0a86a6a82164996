// SPDX-License-Identifier: GPL-2.0
/*
 * axvm's terminal: the guest's console output on stdout, its console
 * input from stdin (raw mode, an input thread), and the --vga screen.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "axvm.h"
#include "term.h"

/*
 * The guest's console: stdout, a line at a time per writer (a UART, a
 * virtio console), so that the guest's lines interleave sensibly with
 * axvm's messages on stderr and with another device's lines.  A UART is
 * one byte stream whichever vcpu writes it (Linux finishes a line from
 * the UART's interrupt, on any CPU): a guest whose vcpus print at once
 * serializes its lines itself, as on hardware.  term__flush() writes out
 * what every writer has so far (a prompt; the end of the run).  Under
 * the device lock.
 */
#define TERM_WRITERS	8

static struct term_line *term_lines[TERM_WRITERS];
static unsigned int term_nlines;

static void term__write(struct term_line *l)
{
	size_t off = 0;

	while (off < l->len) {
		ssize_t r = write(STDOUT_FILENO, l->buf + off, l->len - off);

		if (r <= 0)
			break;
		off += r;
	}
	l->len = 0;
}

void term__flush(void)
{
	unsigned int i;

	for (i = 0; i < term_nlines; i++)
		if (term_lines[i]->len)
			term__write(term_lines[i]);
}

void term__putc(struct term_line *l, char c)
{
	if (!l->listed && term_nlines < TERM_WRITERS) {
		term_lines[term_nlines++] = l;
		l->listed = true;
	}
	l->buf[l->len++] = c;
	/* Not listed (too many writers): unbuffered rather than lost. */
	if (c == '\n' || l->len == sizeof(l->buf) || !l->listed)
		term__write(l);
}

/*
 * The guest's console input: stdin, read by a thread of its own and
 * handed to a UART's receive FIFO (@push, under the device lock; it takes
 * what fits).  A terminal is switched to character at a time without
 * echo (the guest echoes, as a serial line does); signals stay on, so
 * Ctrl-C still ends axvm.  While nothing is typed, output that does not
 * end in a newline yet (a shell prompt) is written out after 50 ms.
 */
struct term_input {
	struct axvm *vm;
	size_t (*push)(void *priv, const uint8_t *buf, size_t len);
	void *priv;
};

static struct termios term_saved;
static bool term_raw;

static void term__restore(void)
{
	if (term_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
}

static void *term__input_thread(void *arg)
{
	struct term_input *in = arg;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	uint8_t buf[64];
	size_t done, k;
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, 50) == 0) {
			io__lock(in->vm);
			term__flush();
			io__unlock(in->vm);
			continue;
		}
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return NULL;		/* end of input */
		for (done = 0; done < (size_t)n && !in->vm->stopping; done += k) {
			io__lock(in->vm);
			k = in->push(in->priv, buf + done, n - done);
			io__unlock(in->vm);
			if (!k)
				usleep(1000);	/* the FIFO is full: the guest reads on */
		}
	}
}

int term__input(struct axvm *vm, size_t (*push)(void *priv, const uint8_t *buf,
						size_t len), void *priv)
{
	static struct term_input in;
	struct termios t;
	pthread_t thread;

	in = (struct term_input){ vm, push, priv };
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &term_saved)) {
		t = term_saved;
		t.c_lflag &= ~(ICANON | ECHO);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		if (!tcsetattr(STDIN_FILENO, TCSANOW, &t)) {
			term_raw = true;
			atexit(term__restore);
		}
	}
	if (pthread_create(&thread, NULL, term__input_thread, &in)) {
		pr_err("cannot start the console input thread");
		return -1;
	}
	pthread_detach(thread);
	return 0;
}

/*
 * --vga: the 80x25 text screen at 0xb8000 (character, attribute pairs),
 * framed, on stdout.  Code page 437 beyond ASCII is drawn as close as
 * ASCII allows: box drawing as + - |, blocks and shades as #, the rest ?.
 */
#define VGA_TEXT_BASE	0xb8000ULL
#define VGA_COLS	80
#define VGA_ROWS	25

static char vga__ascii(uint8_t c)
{
	if (c >= 0x20 && c < 0x7f)
		return c;
	if (c == 0)
		return ' ';
	if (c == 0xb3 || c == 0xba)
		return '|';
	if (c == 0xc4 || c == 0xcd)
		return '-';
	if (c >= 0xb4 && c <= 0xda)
		return '+';
	if ((c >= 0xb0 && c <= 0xb2) || (c >= 0xdb && c <= 0xdf) || c == 0xfe)
		return '#';
	return '?';
}

void vga__dump(struct axvm *vm)
{
	const uint8_t *t = vm__gpa_to_hva(vm, VGA_TEXT_BASE,
					  VGA_COLS * VGA_ROWS * 2);
	char line[VGA_COLS + 3];
	int x, y;

	if (!t) {
		pr_err("--vga: 0x%llx is outside guest RAM",
		       (unsigned long long)VGA_TEXT_BASE);
		return;
	}
	memset(line, '-', sizeof(line));
	line[0] = line[VGA_COLS + 1] = '+';
	line[VGA_COLS + 2] = '\n';
	printf("VGA text screen (80x25 at 0xb8000):\n%.*s", VGA_COLS + 3, line);
	for (y = 0; y < VGA_ROWS; y++) {
		line[0] = line[VGA_COLS + 1] = '|';
		for (x = 0; x < VGA_COLS; x++)
			line[x + 1] = vga__ascii(t[(y * VGA_COLS + x) * 2]);
		printf("%.*s", VGA_COLS + 3, line);
	}
	memset(line, '-', sizeof(line));
	line[0] = line[VGA_COLS + 1] = '+';
	line[VGA_COLS + 2] = '\n';
	printf("%.*s", VGA_COLS + 3, line);
	fflush(stdout);
}
