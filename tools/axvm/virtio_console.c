// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio 1.2, 5.3 "Console Device") with one port and no
 * features (no VIRTIO_CONSOLE_F_SIZE, no MULTIPORT): Linux's hvc0.
 * Queue 1 (transmitq) goes to the terminal as the UARTs' output does;
 * queue 0 (receiveq) holds the driver's buffers until something is typed
 * (term__input calls virtio_console__input, under the device lock).
 */

#include "term.h"
#include "virtio.h"

#define CONSOLE_RXQ	0
#define CONSOLE_TXQ	1

static uint64_t console__config_read(struct virtio_dev *d, uint64_t off,
				     unsigned int width)
{
	return 0;	/* cols, rows, max_nr_ports: meaningless without features */
}

/* One console: its output as one writer of the terminal. */
static struct term_line console_line;

static uint32_t console__request(struct virtio_dev *d, unsigned int qi,
				 struct virtio_chain *c)
{
	unsigned int i;
	size_t k;

	if (qi != CONSOLE_TXQ)
		return 0;
	for (i = 0; i < c->nin; i++)
		for (k = 0; k < c->in[i].iov_len; k++)
			term__putc(&console_line, ((const char *)c->in[i].iov_base)[k]);
	return 0;
}

size_t virtio_console__input(void *priv, const uint8_t *buf, size_t len)
{
	return virtio_queue_fill(priv, CONSOLE_RXQ, buf, len);
}

static const struct virtio_ops virtio_console_ops = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nqueues = 2,
	.rx_queues = 1U << CONSOLE_RXQ,
	.config_read = console__config_read,
	.request = console__request,
};

struct virtio_dev *virtio_console__create(struct axvm *vm)
{
	return virtio_dev__new(vm, &virtio_console_ops);
}
