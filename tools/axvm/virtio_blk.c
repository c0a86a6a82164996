// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk over a raw disk image (virtio 1.2, 5.2 "Block Device"): one
 * request queue; IN, OUT, FLUSH and GET_ID; the capacity in 512-byte
 * sectors is the file's size rounded down.  Requests are done with
 * preadv/pwritev on the file at once; FLUSH is fdatasync(), so what the
 * guest flushed is on the host's disk before the guest hears so.  A file
 * that cannot be opened for writing gives a read-only device
 * (VIRTIO_BLK_F_RO).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio.h"

#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_FLUSH	9

#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8

#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_BLK_ID_BYTES	20
#define SECTOR_SIZE		512

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct virtio_blk {
	int fd;
	bool ro;
	uint64_t capacity;		/* sectors */
};

static uint64_t blk__config_read(struct virtio_dev *d, uint64_t off,
				 unsigned int width)
{
	struct virtio_blk *b = d->priv;
	uint8_t cfg[8];
	uint64_t v = 0;

	/* capacity (le64) at 0; the rest of struct virtio_blk_config is 0. */
	memcpy(cfg, &b->capacity, sizeof(cfg));
	if (width <= 8 && off + width <= sizeof(cfg))
		memcpy(&v, cfg + off, width);
	return v;
}

/* preadv/pwritev of the data buffers at @pos, all of them or an error. */
static int blk__rw(struct virtio_blk *b, const struct iovec *iov,
		   unsigned int n, uint64_t pos, bool write)
{
	size_t len = virtio_iov_len(iov, n);
	struct iovec v[VIRTIO_MAX_IOV], *p = v;
	ssize_t r;

	if (len % SECTOR_SIZE || pos / SECTOR_SIZE > b->capacity ||
	    len / SECTOR_SIZE > b->capacity - pos / SECTOR_SIZE)
		return -EINVAL;
	memcpy(v, iov, n * sizeof(*iov));
	while (len) {
		r = write ? pwritev(b->fd, p, n, pos) : preadv(b->fd, p, n, pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r ? -errno : -EIO;
		/* A short transfer: go on after what was done. */
		pos += r;
		len -= r;
		while (n && (size_t)r >= p->iov_len) {
			r -= p->iov_len;
			p++;
			n--;
		}
		if (n) {
			p->iov_base = (uint8_t *)p->iov_base + r;
			p->iov_len -= r;
		}
	}
	return 0;
}

static uint32_t blk__request(struct virtio_dev *d, unsigned int qi,
			     struct virtio_chain *c)
{
	struct virtio_blk *b = d->priv;
	struct virtio_blk_req_hdr h;
	struct iovec data[VIRTIO_MAX_IOV];
	uint8_t status = VIRTIO_BLK_S_OK;
	char id[VIRTIO_BLK_ID_BYTES] = "axvm-virtio-blk";
	size_t outlen = virtio_iov_len(c->out, c->nout), written = 0;
	unsigned int i, n = 0;
	size_t skip = sizeof(h);
	uint64_t pos;

	/* The header in the readable part, the status byte last (5.2.6). */
	if (virtio_iov_read(c->in, c->nin, 0, &h, sizeof(h)) != sizeof(h) ||
	    !outlen)
		return 0;
	pos = h.sector * SECTOR_SIZE;
	if (h.sector > UINT64_MAX / SECTOR_SIZE)
		pos = UINT64_MAX;
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		/* The writable buffers but the last byte (the status). */
		for (i = 0; i < c->nout && written < outlen - 1; i++) {
			data[n] = c->out[i];
			if (data[n].iov_len > outlen - 1 - written)
				data[n].iov_len = outlen - 1 - written;
			written += data[n].iov_len;
			if (data[n].iov_len)
				n++;
		}
		if (blk__rw(b, data, n, pos, false))
			status = VIRTIO_BLK_S_IOERR, written = 0;
		break;
	case VIRTIO_BLK_T_OUT:
		/* The readable buffers after the header. */
		for (i = 0; i < c->nin; i++) {
			if (skip >= c->in[i].iov_len) {
				skip -= c->in[i].iov_len;
				continue;
			}
			data[n].iov_base = (uint8_t *)c->in[i].iov_base + skip;
			data[n++].iov_len = c->in[i].iov_len - skip;
			skip = 0;
		}
		if (b->ro || blk__rw(b, data, n, pos, true))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!b->ro && fdatasync(b->fd))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		written = virtio_iov_write(c->out, c->nout, 0, id,
					   outlen - 1 < sizeof(id) ? outlen - 1 : sizeof(id));
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
	}
	virtio_iov_write(c->out, c->nout, outlen - 1, &status, 1);
	return written + 1;
}

static const struct virtio_ops virtio_blk_ops = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.features = 1ULL << VIRTIO_BLK_F_FLUSH,
	.nqueues = 1,
	.config_read = blk__config_read,
	.request = blk__request,
};

struct virtio_dev *virtio_blk__create(struct axvm *vm, const char *path)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	struct virtio_dev *d;
	struct stat st;

	if (!b) {
		pr_err("--disk: out of memory");
		return NULL;
	}
	b->fd = open(path, O_RDWR | O_CLOEXEC);
	if (b->fd < 0 && (errno == EACCES || errno == EROFS)) {
		b->fd = open(path, O_RDONLY | O_CLOEXEC);
		b->ro = true;
	}
	if (b->fd < 0) {
		pr_err("--disk %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(b->fd, &st) || !S_ISREG(st.st_mode) || st.st_size < SECTOR_SIZE) {
		pr_err("--disk %s: not a regular file of at least %d bytes",
		       path, SECTOR_SIZE);
		goto fail_close;
	}
	b->capacity = st.st_size / SECTOR_SIZE;
	d = virtio_dev__new(vm, &virtio_blk_ops);
	if (!d)
		goto fail_close;
	if (b->ro) {
		pr_info("--disk %s: read-only (no write permission)", path);
		d->features = 1ULL << VIRTIO_BLK_F_RO;
	}
	d->priv = b;
	return d;
fail_close:
	close(b->fd);
fail:
	free(b);
	return NULL;
}
