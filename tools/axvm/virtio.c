// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport (virtio 1.2, 4.2.2 "MMIO Device Register
 * Layout", version 2 only) and split virtqueues (2.7).
 *
 * A QueueNotify write is handled under the device lock (vm->io_lock):
 * every available chain is taken, handed to the device type, and put in
 * the used ring; then the device interrupts, unless the driver asked for
 * no interrupt (VIRTQ_AVAIL_F_NO_INTERRUPT: VIRTIO_F_EVENT_IDX is not
 * offered).  With the fast path (virtio_dev__ioeventfd) the module takes
 * the write itself and signals an eventfd per queue (AXVCPU_IOEVENTFD):
 * the vcpu goes on at once and a thread of the device's does the work;
 * otherwise the write exits to axvm and the vcpu thread does it.
 * Everything the guest wrote into its rings is checked before use: an
 * address outside RAM, a chain longer than the queue or a loop makes the
 * device "need reset" (2.1.2) and a message, never a crash of axvm.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio.h"

#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL	0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL	0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_AVAIL_LOW	0x090
#define VIRTIO_MMIO_QUEUE_AVAIL_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_USED_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_USED_HIGH	0x0a4
#define VIRTIO_MMIO_SHM_LEN_LOW		0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH	0x0b4
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

#define VIRTIO_MMIO_MAGIC		0x74726976	/* "virt" */
#define AXVM_VIRTIO_VENDOR		0x4d565841	/* "AXVM" */

/* Device status bits (2.1). */
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64

/* InterruptStatus bits (4.2.2). */
#define VIRTIO_ISR_USED			1
#define VIRTIO_ISR_CONFIG		2

#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

size_t virtio_iov_len(const struct iovec *iov, unsigned int n)
{
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

/* Copy @len bytes between @buf and the buffers, from byte @skip of them on. */
static size_t iov__copy(const struct iovec *iov, unsigned int n, size_t skip,
			uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0, k;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		uint8_t *p;

		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		p = (uint8_t *)iov[i].iov_base + skip;
		k = iov[i].iov_len - skip;
		if (k > len - done)
			k = len - done;
		if (to_iov)
			memcpy(p, buf + done, k);
		else
			memcpy(buf + done, p, k);
		done += k;
		skip = 0;
	}
	return done;
}

size_t virtio_iov_read(const struct iovec *iov, unsigned int n, size_t skip,
		       void *dst, size_t len)
{
	return iov__copy(iov, n, skip, dst, len, false);
}

size_t virtio_iov_write(const struct iovec *iov, unsigned int n, size_t skip,
			const void *src, size_t len)
{
	return iov__copy(iov, n, skip, (uint8_t *)src, len, true);
}

static void virtio__broken(struct virtio_dev *d, const char *why)
{
	if (!d->broken)
		pr_err("virtio-%s: %s: the device needs a reset", d->ops->name, why);
	d->broken = true;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	d->isr |= VIRTIO_ISR_CONFIG;
	d->raise(d);
}

static void virtio__reset(struct virtio_dev *d)
{
	d->status = 0;
	d->driver_features = 0;
	d->dev_sel = d->drv_sel = d->queue_sel = 0;
	d->isr = 0;
	d->broken = false;
	memset(d->q, 0, sizeof(d->q));
	if (d->ops->reset)
		d->ops->reset(d);
}

/* The ring areas of a queue the driver made ready, in RAM. */
static bool queue__valid(struct virtio_dev *d, struct virtio_queue *q)
{
	struct axvm *vm = d->vm;

	/* Sizes and alignments of 2.7 (the ring accesses are atomic). */
	return q->num && !(q->num & (q->num - 1)) && q->num <= VIRTIO_QUEUE_MAX &&
	       !(q->desc & 15) && !(q->avail & 1) && !(q->used & 3) &&
	       vm__gpa_to_hva(vm, q->desc, 16ULL * q->num) &&
	       vm__gpa_to_hva(vm, q->avail, 6 + 2ULL * q->num) &&
	       vm__gpa_to_hva(vm, q->used, 6 + 8ULL * q->num);
}

/* Walk the chain at @head into @c; false for a malformed one. */
static bool chain__get(struct virtio_dev *d, struct virtio_queue *q,
		       uint16_t head, struct virtio_chain *c)
{
	struct virtq_desc *desc = vm__gpa_to_hva(d->vm, q->desc, 16ULL * q->num);
	unsigned int i = head, n;
	struct virtq_desc e;
	void *p;

	c->nin = c->nout = 0;
	c->head = head;
	for (n = 0; ; n++) {
		/* A chain never has more descriptors than the queue (2.7.5). */
		if (i >= q->num || n >= q->num)
			return false;
		memcpy(&e, &desc[i], sizeof(e));
		if (e.flags & VIRTQ_DESC_F_INDIRECT)
			return false;		/* not offered */
		p = vm__gpa_to_hva(d->vm, e.addr, e.len);
		if (!p && e.len)
			return false;
		if (e.flags & VIRTQ_DESC_F_WRITE) {
			c->out[c->nout++] = (struct iovec){ p, e.len };
		} else {
			/* Device-readable ones come first (2.7.4.2). */
			if (c->nout)
				return false;
			c->in[c->nin++] = (struct iovec){ p, e.len };
		}
		if (!(e.flags & VIRTQ_DESC_F_NEXT))
			return true;
		i = e.next;
	}
}

/* The next available chain of a ready queue: 1, 0 for none, -1 broken. */
static int queue__pop(struct virtio_dev *d, unsigned int qi,
		      struct virtio_chain *c)
{
	struct virtio_queue *q = &d->q[qi];
	uint16_t *avail, avail_idx;

	if (d->broken || qi >= d->ops->nqueues || !q->ready)
		return 0;
	if (!queue__valid(d, q)) {
		virtio__broken(d, "queue outside guest RAM");
		return -1;
	}
	avail = vm__gpa_to_hva(d->vm, q->avail, 6 + 2ULL * q->num);
	/* The ring entries after the index that shows them (2.7.13). */
	avail_idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
	if (avail_idx == q->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
		virtio__broken(d, "available index beyond the queue size");
		return -1;
	}
	if (!chain__get(d, q, avail[2 + q->last_avail % q->num], c)) {
		virtio__broken(d, "malformed descriptor chain");
		return -1;
	}
	q->last_avail++;
	return 1;
}

/* Give chain @head back with @len bytes written into it. */
static void queue__push(struct virtio_dev *d, unsigned int qi, uint16_t head,
			uint32_t len)
{
	struct virtio_queue *q = &d->q[qi];
	struct virtq_used_elem *used = vm__gpa_to_hva(d->vm, q->used + 4, 8ULL * q->num);
	uint16_t *used_idx = vm__gpa_to_hva(d->vm, q->used + 2, 2);

	used[q->used_idx % q->num] = (struct virtq_used_elem){ head, len };
	q->used_idx++;
	/* The entry before the index that publishes it (2.7.8). */
	__atomic_store_n(used_idx, q->used_idx, __ATOMIC_RELEASE);
}

/* Chains were returned to queue @qi: interrupt unless the driver said not to. */
static void queue__interrupt(struct virtio_dev *d, unsigned int qi)
{
	struct virtio_queue *q = &d->q[qi];
	uint16_t *flags = vm__gpa_to_hva(d->vm, q->avail, 2);

	/* The used index before the flags that say whether to interrupt. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(flags, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT)) {
		d->isr |= VIRTIO_ISR_USED;
		d->raise(d);
	}
}

static void queue__notify(struct virtio_dev *d, unsigned int qi)
{
	struct virtio_chain c;
	bool any = false;

	/* A receive queue's buffers wait for data (virtio_queue_fill). */
	if (qi < d->ops->nqueues && (d->ops->rx_queues & (1U << qi))) {
		if (d->ops->rx_notify)
			d->ops->rx_notify(d, qi);
		return;
	}
	while (queue__pop(d, qi, &c) > 0) {
		queue__push(d, qi, c.head, d->ops->request(d, qi, &c));
		any = true;
	}
	if (any)
		queue__interrupt(d, qi);
}

size_t virtio_queue_fill(struct virtio_dev *d, unsigned int qi,
			 const uint8_t *buf, size_t len)
{
	struct virtio_chain c;
	size_t done = 0, k;

	while (done < len && queue__pop(d, qi, &c) > 0) {
		k = virtio_iov_write(c.out, c.nout, 0, buf + done, len - done);
		queue__push(d, qi, c.head, k);
		done += k;
		if (!k)
			break;		/* a chain with no room: the driver's bug */
	}
	if (done)
		queue__interrupt(d, qi);
	return done;
}

int virtio_queue_put(struct virtio_dev *d, unsigned int qi,
		     const struct iovec *src, unsigned int n)
{
	size_t len = virtio_iov_len(src, n), done = 0;
	struct virtio_chain c;
	unsigned int i;

	if (queue__pop(d, qi, &c) <= 0)
		return -1;
	/* All of it or nothing: a truncated packet is no packet. */
	if (len <= virtio_iov_len(c.out, c.nout))
		for (i = 0; i < n; i++)
			done += virtio_iov_write(c.out, c.nout, done,
						 src[i].iov_base, src[i].iov_len);
	queue__push(d, qi, c.head, done);
	queue__interrupt(d, qi);
	return done;
}

/* What the device offers: its type's features, its own, VERSION_1. */
static uint64_t dev__features(struct virtio_dev *d)
{
	return d->ops->features | d->features | (1ULL << VIRTIO_F_VERSION_1);
}

static uint32_t reg__read(struct virtio_dev *d, uint64_t off)
{
	uint64_t feat = dev__features(d);
	bool has_q = d->queue_sel < d->ops->nqueues;
	struct virtio_queue *q = has_q ? &d->q[d->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return AXVM_VIRTIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return d->dev_sel < 2 ? (uint32_t)(feat >> (32 * d->dev_sel)) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return has_q ? VIRTIO_QUEUE_MAX : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return has_q && q->ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return d->isr;
	case VIRTIO_MMIO_STATUS:
		return d->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		return ~0U;			/* no shared memory region */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return 0;			/* the configuration never changes */
	default:
		return 0;
	}
}

static void queue__set_addr(struct virtio_queue *q, uint64_t *a, bool high,
			    uint32_t v)
{
	/* Only while the queue is not ready (4.2.2). */
	if (q->ready)
		return;
	if (high)
		*a = (*a & 0xffffffffULL) | ((uint64_t)v << 32);
	else
		*a = (*a & ~0xffffffffULL) | v;
}

static void status__write(struct virtio_dev *d, uint32_t v)
{
	uint64_t offered = dev__features(d);

	if (!v) {
		virtio__reset(d);
		return;
	}
	/*
	 * FEATURES_OK only for a subset of the offered features with
	 * VERSION_1: a legacy driver is told no by the bit staying clear
	 * (3.1.1).
	 */
	if ((v & VIRTIO_STATUS_FEATURES_OK) &&
	    !(d->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((d->driver_features & ~offered) ||
	     !(d->driver_features & (1ULL << VIRTIO_F_VERSION_1))))
		v &= ~VIRTIO_STATUS_FEATURES_OK;
	d->status = v | (d->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void reg__write(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	bool has_q = d->queue_sel < d->ops->nqueues;
	struct virtio_queue *q = has_q ? &d->q[d->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->dev_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->drv_sel < 2 && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
			d->driver_features &= ~(0xffffffffULL << (32 * d->drv_sel));
			d->driver_features |= (uint64_t)v << (32 * d->drv_sel);
		}
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->drv_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		/* An index beyond the queues selects none (QueueNumMax 0). */
		d->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (has_q && !q->ready)
			q->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!has_q)
			break;
		if (v && !queue__valid(d, q)) {
			virtio__broken(d, "queue set up outside guest RAM or with a bad size");
			break;
		}
		q->ready = v & 1;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		d->notify_exit++;
		queue__notify(d, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		d->isr &= ~v;
		break;
	case VIRTIO_MMIO_STATUS:
		status__write(d, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (has_q)
			queue__set_addr(q, &q->desc, off & 4, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (has_q)
			queue__set_addr(q, &q->avail, off & 4, v);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (has_q)
			queue__set_addr(q, &q->used, off & 4, v);
		break;
	default:
		break;				/* read-only or reserved */
	}
}

void virtio_mmio__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		     unsigned int width, bool is_write, void *priv)
{
	struct virtio_dev *d = priv;

	if (off >= VIRTIO_MMIO_CONFIG) {
		/* The configuration space is read-only for every type here. */
		if (!is_write)
			*data = d->ops->config_read(d, off - VIRTIO_MMIO_CONFIG, width);
		return;
	}
	/* The registers are 32 bits wide and aligned (4.2.2.2). */
	if (width != 4 || (off & 3)) {
		if (!is_write)
			*data = 0;
		return;
	}
	if (is_write)
		reg__write(d, off, (uint32_t)*data);
	else
		*data = reg__read(d, off);
}

/* The devices made, for --stats. */
#define VIRTIO_MAX_DEVS	8

static struct virtio_dev *virtio_devs[VIRTIO_MAX_DEVS];
static unsigned int virtio_ndevs;

struct virtio_dev *virtio_dev__new(struct axvm *vm, const struct virtio_ops *ops)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));

	if (!d) {
		pr_err("virtio-%s: out of memory", ops->name);
		return NULL;
	}
	d->vm = vm;
	d->ops = ops;
	if (virtio_ndevs < VIRTIO_MAX_DEVS)
		virtio_devs[virtio_ndevs++] = d;
	return d;
}

void virtio__print_stats(void)
{
	uint64_t by_irqfd, by_ioctl;
	unsigned int i;

	for (i = 0; i < virtio_ndevs; i++) {
		struct virtio_dev *d = virtio_devs[i];

		arch__irq_counts(d->irq, &by_irqfd, &by_ioctl);
		fprintf(stderr, "axvm: virtio-%s: notifications %llu by ioeventfd, %llu by exit; interrupts %llu by irqfd, %llu by ioctl\n",
			d->ops->name, (unsigned long long)d->notify_ioeventfd,
			(unsigned long long)d->notify_exit,
			(unsigned long long)by_irqfd, (unsigned long long)by_ioctl);
	}
}

struct virtio_notify {
	struct virtio_dev *d;
	struct pollfd pfd[VIRTIO_MAX_QUEUES];
};

static void *virtio__notify_thread(void *arg)
{
	struct virtio_notify *n = arg;
	struct virtio_dev *d = n->d;
	unsigned int q;
	uint64_t cnt;

	for (;;) {
		if (poll(n->pfd, d->ops->nqueues, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("virtio-%s: poll: %s", d->ops->name, strerror(errno));
			return NULL;
		}
		for (q = 0; q < d->ops->nqueues; q++) {
			if (!(n->pfd[q].revents & POLLIN) ||
			    read(n->pfd[q].fd, &cnt, sizeof(cnt)) != sizeof(cnt))
				continue;
			io__lock(d->vm);
			/* Writes that came while this thread was busy add up. */
			d->notify_ioeventfd += cnt;
			queue__notify(d, q);
			io__unlock(d->vm);
		}
	}
}

void virtio_dev__irqfd(struct virtio_dev *d,
		       int (*assign)(struct axvm *vm, unsigned int irq, int fd))
{
	int fd = eventfd(0, EFD_CLOEXEC), r;

	r = fd < 0 ? -errno : assign(d->vm, d->irq, fd);
	if (r < 0) {
		pr_info("virtio-%s: no irqfd (%s): its interrupts by ioctl",
			d->ops->name, strerror(-r));
		if (fd >= 0)
			close(fd);
	}
}

int virtio_dev__ioeventfd(struct virtio_dev *d, uint64_t base)
{
	struct virtio_notify *n = calloc(1, sizeof(*n));
	unsigned int q;
	pthread_t t;
	int r = 0;

	if (!n)
		return -ENOMEM;
	n->d = d;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		n->pfd[q].fd = -1;
	for (q = 0; q < d->ops->nqueues; q++) {
		n->pfd[q].fd = eventfd(0, EFD_CLOEXEC);
		n->pfd[q].events = POLLIN;
		if (n->pfd[q].fd < 0) {
			r = -errno;
			goto fail;
		}
		/* Linux's virtio_mmio writes the queue's index, 32 bits wide. */
		r = axvm_vm_ioeventfd(&d->vm->vm, base + VIRTIO_MMIO_QUEUE_NOTIFY,
				      4, n->pfd[q].fd, AXVCPU_IOEVENTFD_DATAMATCH, q);
		if (r < 0) {
			pr_info("virtio-%s: no ioeventfd (%s): its notifications exit to axvm",
				d->ops->name, strerror(-r));
			r = 0;
			goto fail;
		}
	}
	r = pthread_create(&t, NULL, virtio__notify_thread, n);
	if (!r) {
		pthread_detach(t);
		d->ioeventfd = true;
		return 0;
	}
	pr_err("virtio-%s: cannot start its thread: %s", d->ops->name, strerror(r));
	r = -r;
fail:
	/*
	 * Undo what was assigned: the module would otherwise go on taking
	 * those writes for an eventfd nobody reads.
	 */
	while (q--) {
		axvm_vm_ioeventfd(&d->vm->vm, base + VIRTIO_MMIO_QUEUE_NOTIFY, 4,
				  n->pfd[q].fd, AXVCPU_IOEVENTFD_DATAMATCH |
				  AXVCPU_IOEVENTFD_DEASSIGN, q);
	}
	for (q = 0; q < d->ops->nqueues; q++)
		if (n->pfd[q].fd >= 0)
			close(n->pfd[q].fd);
	free(n);
	return r;
}

/*
 * Transports without a device: where the board puts virtio-mmio (and the
 * DTB says so), a guest probes every transport; one with DeviceID 0 has
 * no device behind it and is skipped (4.2.2: "Device ID ... zero (0x0) is
 * used to define a system memory map with placeholder devices at static,
 * well known addresses").  Everything else reads as zero; writes are
 * ignored.  @off may be in any transport of a window of them.
 */
void virtio_mmio_empty__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			   unsigned int width, bool is_write, void *priv)
{
	if (is_write)
		return;
	switch (off % VIRTIO_MMIO_SIZE) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		*data = VIRTIO_MMIO_MAGIC;
		break;
	case VIRTIO_MMIO_VERSION:
		*data = 2;		/* virtio 1.x ("modern") layout */
		break;
	case VIRTIO_MMIO_VENDOR_ID:
		*data = AXVM_VIRTIO_VENDOR;
		break;
	default:
		*data = 0;
	}
}
