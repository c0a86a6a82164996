/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio 1.x devices over the MMIO transport (virtio 1.2, 4.2 "Virtio Over
 * MMIO", 2.7 "Split Virtqueues"): the transport and its queues here
 * (virtio.c), each device type in a file of its own (virtio_blk.c,
 * virtio_rng.c, virtio_console.c, virtio_net.c).
 */
#ifndef AXVM_VIRTIO_H
#define AXVM_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "axvm.h"

/* One transport's register window (the DTB's reg size). */
#define VIRTIO_MMIO_SIZE	0x200

#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_RNG		4

#define VIRTIO_F_VERSION_1	32

/* Most queues of a device, most entries of a queue, most buffers of a chain. */
#define VIRTIO_MAX_QUEUES	2
#define VIRTIO_QUEUE_MAX	256
#define VIRTIO_MAX_IOV		(VIRTIO_QUEUE_MAX + 2)

struct virtio_dev;

/**
 * struct virtio_queue - one split virtqueue as the driver set it up.
 * @num: entries (a power of 2 up to %VIRTIO_QUEUE_MAX).
 * @ready: QueueReady.
 * @desc: @avail: @used: guest-physical addresses of the three areas.
 * @last_avail: the next available-ring entry the device takes.
 * @used_idx: the used ring's next index.
 */
struct virtio_queue {
	uint32_t num;
	bool ready;
	uint64_t desc, avail, used;
	uint16_t last_avail, used_idx;
};

/**
 * struct virtio_chain - the buffers of one request, in order.
 * @in: @nin: buffers the device reads (driver to device).
 * @out: @nout: buffers the device writes.
 * @head: the chain's first descriptor (the used ring's id).
 */
struct virtio_chain {
	struct iovec in[VIRTIO_MAX_IOV], out[VIRTIO_MAX_IOV];
	unsigned int nin, nout;
	uint16_t head;
};

/**
 * struct virtio_ops - one device type.
 * @name: for messages.
 * @device_id: DeviceID.
 * @features: device feature bits besides %VIRTIO_F_VERSION_1.
 * @nqueues: queues it has.
 * @config_read: read @width bytes at @off of its configuration space.
 * @request: one chain of queue @q: do it, return the bytes written into
 *	the chain's device-writable buffers.
 * @reset: the driver reset the device.
 * @rx_queues: a bit per receive queue: its buffers wait for data
 *	(virtio_queue_fill(), virtio_queue_put()) instead of going to @request.
 * @rx_notify: optional: the driver notified receive queue @q (it gave
 *	buffers); under the device lock.
 */
struct virtio_ops {
	const char *name;
	uint32_t device_id;
	uint64_t features;
	unsigned int nqueues;
	uint64_t (*config_read)(struct virtio_dev *d, uint64_t off,
				unsigned int width);
	uint32_t (*request)(struct virtio_dev *d, unsigned int q,
			    struct virtio_chain *c);
	void (*reset)(struct virtio_dev *d);
	uint32_t rx_queues;
	void (*rx_notify)(struct virtio_dev *d, unsigned int q);
};

/**
 * struct virtio_dev - one device on one virtio-mmio transport.
 * @vm: the VM.
 * @ops: its type.
 * @priv: the type's state.
 * @features: feature bits this device offers beyond its type's (a
 *	read-only disk's VIRTIO_BLK_F_RO).
 * @irq: the interrupt it raises (arm64: the SPI's INTID).
 * @raise: how it raises @irq.
 * @status: device status (4.2.2: Status).
 * @driver_features: what the driver accepted.
 * @dev_sel: @drv_sel: DeviceFeaturesSel, DriverFeaturesSel.
 * @queue_sel: QueueSel.
 * @isr: InterruptStatus.
 * @q: the queues.
 * @broken: the driver gave a malformed ring: nothing more is done until
 *	it resets the device.
 * @ioeventfd: its QueueNotify writes go to the module's ioeventfds.
 * @notify_ioeventfd: @notify_exit: --stats: queue notifications the
 *	device thread took from an ioeventfd, and QueueNotify writes that
 *	exited to axvm (under the device lock).
 */
struct virtio_dev {
	struct axvm *vm;
	const struct virtio_ops *ops;
	void *priv;
	uint64_t features;
	uint32_t irq;
	void (*raise)(struct virtio_dev *d);
	uint32_t status;
	uint64_t driver_features;
	uint32_t dev_sel, drv_sel, queue_sel;
	uint32_t isr;
	struct virtio_queue q[VIRTIO_MAX_QUEUES];
	bool broken;
	bool ioeventfd;
	uint64_t notify_ioeventfd, notify_exit;
};

/* A device of type @ops, reset; NULL with a message when out of memory. */
struct virtio_dev *virtio_dev__new(struct axvm *vm, const struct virtio_ops *ops);

/* The transport's registers: an axvm_io_fn over VIRTIO_MMIO_SIZE bytes. */
void virtio_mmio__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		     unsigned int width, bool is_write, void *priv);

/*
 * The fast path: the module takes QueueNotify writes of the transport at
 * @base and a thread of the device's handles them (AXVCPU_IOEVENTFD).
 * 0 also when the module has no ioeventfd (the writes then exit).
 */
int virtio_dev__ioeventfd(struct virtio_dev *d, uint64_t base);
/*
 * With the ioeventfd, the interrupt through an irqfd too: an eventfd the
 * arch's interrupt model (@assign: the GIC distributor, the I/O APIC)
 * writes when it delivers @d's interrupt, the module injecting from it
 * (AXVCPU_IRQFD).  Without one (a message says why), by ioctl.
 */
void virtio_dev__irqfd(struct virtio_dev *d,
		       int (*assign)(struct axvm *vm, unsigned int irq, int fd));

/*
 * --stats: per device, notifications by ioeventfd and by exit, and its
 * interrupts by irqfd and by ioctl (arch__irq_counts()).
 */
void virtio__print_stats(void);

/* A window of transports with no device behind them (DeviceID 0). */
void virtio_mmio_empty__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			   unsigned int width, bool is_write, void *priv);

/* Copy between a chain's buffers and a flat buffer, from byte @skip on. */
size_t virtio_iov_read(const struct iovec *iov, unsigned int n, size_t skip,
		       void *dst, size_t len);
size_t virtio_iov_write(const struct iovec *iov, unsigned int n, size_t skip,
			const void *src, size_t len);
size_t virtio_iov_len(const struct iovec *iov, unsigned int n);

/*
 * Data for the driver: into the buffers of receive queue @qi, as many
 * bytes of @buf as they hold; returns how many.  Under the device lock.
 */
size_t virtio_queue_fill(struct virtio_dev *d, unsigned int qi,
			 const uint8_t *buf, size_t len);

/*
 * One packet for the driver: the bytes of @src, in order, into the next
 * buffer chain of receive queue @qi, all or none.  The number of bytes
 * put; 0 when the chain was too small (it goes back empty); -1 when the
 * driver has no buffer there now.  Under the device lock.
 */
int virtio_queue_put(struct virtio_dev *d, unsigned int qi,
		     const struct iovec *src, unsigned int n);

/* virtio_blk.c: a raw disk image file; NULL with a message on failure. */
struct virtio_dev *virtio_blk__create(struct axvm *vm, const char *path);
/* virtio_rng.c: entropy from the host's getrandom(2). */
struct virtio_dev *virtio_rng__create(struct axvm *vm);
/* virtio_console.c: the terminal as one console port (hvc0). */
struct virtio_dev *virtio_console__create(struct axvm *vm);
size_t virtio_console__input(void *priv, const uint8_t *buf, size_t len);
/*
 * virtio_net.c: --net SPEC (tap=NAME or udp=LPORT:ADDR:PORT, then
 * optionally ,mac=MAC); NULL with a message on failure.  Its receive
 * thread starts with virtio_net__start(), once the device is wired.
 */
struct virtio_dev *virtio_net__create(struct axvm *vm, const char *spec);
int virtio_net__start(struct virtio_dev *d);

#endif /* AXVM_VIRTIO_H */
