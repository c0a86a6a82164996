// SPDX-License-Identifier: GPL-2.0
/*
 * axvm devices: the port and MMIO ranges devices register, how an exit
 * finds its device, and the terminal the UARTs write to.
 *
 * Emulation is serialised by one lock (vm->io_lock): the devices here are
 * a few registers each and no exit stays long in them.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "axvm.h"

#define MAX_RANGES	32

struct io_range {
	uint64_t base, len;
	const char *name;
	axvm_io_fn fn;
	void *priv;
};

static struct io_range pio[MAX_RANGES], mmio[MAX_RANGES];
static unsigned int npio, nmmio;

static int range__add(struct io_range *tab, unsigned int *n, uint64_t base,
		      uint64_t len, const char *name, axvm_io_fn fn, void *priv)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (base < tab[i].base + tab[i].len && tab[i].base < base + len)
			return -EEXIST;
	if (*n == MAX_RANGES)
		return -ENOSPC;
	tab[*n] = (struct io_range){ base, len, name, fn, priv };
	(*n)++;
	return 0;
}

static struct io_range *range__find(struct io_range *tab, unsigned int n,
				    uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (addr >= tab[i].base && addr - tab[i].base < tab[i].len)
			return &tab[i];
	return NULL;
}

int ioport__register(uint16_t base, uint16_t len, const char *name,
		     axvm_io_fn fn, void *priv)
{
	return range__add(pio, &npio, base, len, name, fn, priv);
}

int mmio__register(uint64_t base, uint64_t len, const char *name,
		   axvm_io_fn fn, void *priv)
{
	return range__add(mmio, &nmmio, base, len, name, fn, priv);
}

/*
 * Interrupts a device raised while this thread emulated an access: they
 * are injected after io_lock is dropped, because cpu__inject() takes
 * vm->lock and vm__stop() takes io_lock under vm->lock.  One that went
 * through an irqfd is injected already; its vcpu is only woken then.  A
 * vm__stop() a device calls waits for the unlock too (io__defer_stop()).
 */
#define MAX_RAISED	8

struct raised_irq {
	struct axvm_cpu *cpu;
	uint32_t irq;
	bool wake_only;
};

static __thread struct {
	bool in_io;
	unsigned int n;
	struct raised_irq irq[MAX_RAISED];
	/* a vm__stop() a device asked for, done after io_lock is dropped */
	bool stop;
	int stop_status;
	char stop_msg[256];
} raised;

/*
 * vm__stop() from a device's handler (a power-off or reset register):
 * vm__stop() takes vm->lock and then io_lock, which this thread holds, so
 * the stop waits for io__unlock().  True when it was deferred so.
 */
bool io__defer_stop(int status, const char *msg)
{
	if (!raised.in_io)
		return false;
	if (!raised.stop) {
		raised.stop = true;
		raised.stop_status = status;
		snprintf(raised.stop_msg, sizeof(raised.stop_msg), "%s", msg);
	}
	return true;
}

/* --stats: interrupts raised, by INTID / vector, per path (any thread). */
#define IRQ_COUNTED	1024

static uint64_t irq_by_irqfd[IRQ_COUNTED], irq_by_ioctl[IRQ_COUNTED];

static void irq__count(uint64_t *tab, uint32_t irq)
{
	if (irq < IRQ_COUNTED)
		__atomic_fetch_add(&tab[irq], 1, __ATOMIC_RELAXED);
}

void io__irq_counts(uint32_t irq, uint64_t *by_irqfd, uint64_t *by_ioctl)
{
	*by_irqfd = irq < IRQ_COUNTED ? __atomic_load_n(&irq_by_irqfd[irq], __ATOMIC_RELAXED) : 0;
	*by_ioctl = irq < IRQ_COUNTED ? __atomic_load_n(&irq_by_ioctl[irq], __ATOMIC_RELAXED) : 0;
}

static void raised__add(struct axvm_cpu *target, uint32_t irq, bool wake_only)
{
	unsigned int i;

	for (i = 0; i < raised.n; i++)
		if (raised.irq[i].cpu == target && raised.irq[i].irq == irq &&
		    raised.irq[i].wake_only == wake_only)
			return;		/* one is as good as two: edge */
	if (raised.n < MAX_RAISED)
		raised.irq[raised.n++] = (struct raised_irq){ target, irq, wake_only };
}

void io__raise(struct axvm_cpu *target, uint32_t irq)
{
	irq__count(irq_by_ioctl, irq);
	if (!raised.in_io) {
		cpu__inject(target, irq);
		return;
	}
	raised__add(target, irq, false);
}

void io__raise_irqfd(struct axvm_cpu *target, uint32_t irq, int fd)
{
	uint64_t one = 1;

	/*
	 * The module injects in this write (vcpu_eventfd.c), so when it
	 * returns the interrupt is queued and the wake below cannot come
	 * before it.
	 */
	if (write(fd, &one, sizeof(one)) != sizeof(one)) {
		io__raise(target, irq);
		return;
	}
	irq__count(irq_by_irqfd, irq);
	if (!raised.in_io)
		cpu__wake(target);
	else
		raised__add(target, irq, true);
}

/* Take the device lock; what devices raise meanwhile waits for io__unlock(). */
void io__lock(struct axvm *vm)
{
	pthread_mutex_lock(&vm->io_lock);
	raised.in_io = true;
}

void io__unlock(struct axvm *vm)
{
	unsigned int i;

	raised.in_io = false;
	pthread_mutex_unlock(&vm->io_lock);
	for (i = 0; i < raised.n; i++) {
		if (raised.irq[i].wake_only)
			cpu__wake(raised.irq[i].cpu);
		else
			cpu__inject(raised.irq[i].cpu, raised.irq[i].irq);
	}
	raised.n = 0;
	if (raised.stop) {
		raised.stop = false;
		vm__stop(vm, raised.stop_status, raised.stop_msg[0] ? "%s" : NULL,
			 raised.stop_msg);
	}
}

static bool range__emulate(struct io_range *tab, unsigned int n,
			   struct axvm_cpu *cpu, uint64_t addr, uint64_t *data,
			   unsigned int width, bool is_write)
{
	struct io_range *r = range__find(tab, n, addr);

	if (!r)
		return false;
	io__lock(cpu->vm);
	r->fn(cpu, addr - r->base, data, width, is_write, r->priv);
	io__unlock(cpu->vm);
	return true;
}

/* Port I/O: false when no device claims @port (the caller answers ~0). */
bool ioport__emulate(struct axvm_cpu *cpu, uint16_t port, uint64_t *data,
		     unsigned int width, bool is_write)
{
	return range__emulate(pio, npio, cpu, port, data, width, is_write);
}

bool mmio__emulate(struct axvm_cpu *cpu, uint64_t addr, uint64_t *data,
		   unsigned int width, bool is_write)
{
	return range__emulate(mmio, nmmio, cpu, addr, data, width, is_write);
}

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
