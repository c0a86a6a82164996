// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (virtio 1.2, 5.4 "Entropy Device"): one request queue whose
 * device-writable buffers are filled from the host's getrandom(2); no
 * features, no configuration space.
 */
#include <errno.h>
#include <sys/random.h>

#include "virtio.h"

static uint64_t rng__config_read(struct virtio_dev *d, uint64_t off,
				 unsigned int width)
{
	return 0;
}

static uint32_t rng__request(struct virtio_dev *d, unsigned int qi,
			     struct virtio_chain *c)
{
	uint32_t done = 0;
	unsigned int i;

	for (i = 0; i < c->nout; i++) {
		uint8_t *p = c->out[i].iov_base;
		size_t left = c->out[i].iov_len;

		while (left) {
			ssize_t r = getrandom(p, left, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return done;	/* what was filled so far */
			p += r;
			left -= r;
			done += r;
		}
	}
	return done;
}

static const struct virtio_ops virtio_rng_ops = {
	.name = "rng",
	.device_id = VIRTIO_ID_RNG,
	.nqueues = 1,
	.config_read = rng__config_read,
	.request = rng__request,
};

struct virtio_dev *virtio_rng__create(struct axvm *vm)
{
	return virtio_dev__new(vm, &virtio_rng_ops);
}
