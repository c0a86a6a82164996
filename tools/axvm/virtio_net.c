// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2, 5.1 "Network Device"): one receive and one
 * transmit queue, VIRTIO_NET_F_MAC and nothing else (no checksum or
 * segmentation offloads, no mergeable receive buffers, no control
 * queue), so every frame is a whole Ethernet frame of at most the MTU
 * behind the 12-byte struct virtio_net_hdr_v1 of VIRTIO_F_VERSION_1
 * (5.1.6), all its fields 0 but num_buffers, 1 on receive.
 *
 * Backends, one frame per read/write:
 *  - tap=NAME: a tap device through /dev/net/tun (IFF_TAP | IFF_NO_PI, no
 *    IFF_VNET_HDR: the frames carry no header of their own);
 *  - udp=LPORT:ADDR:PORT: a UDP socket bound to LPORT that sends each frame
 *    as one datagram to ADDR:PORT and takes every datagram it receives as
 *    a frame (QEMU's "-netdev dgram"): two axvm point at each other and
 *    their guests share a wire, no root needed.
 *
 * Transmit: the transmit queue's notification (the vcpu thread, or the
 * device's notify thread with the ioeventfd) writes each chain's frame
 * out; a frame the backend cannot take now is dropped, as a wire would.
 * Receive: a thread of the device's reads a frame and puts it into the
 * next receive buffer under the device lock; while the driver has given
 * no buffer, the frame waits (and the backend queues or drops the next
 * ones) until the driver notifies the receive queue.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "virtio.h"

#define VIRTIO_NET_F_MAC	5

#define NET_RXQ			0
#define NET_TXQ			1

/* struct virtio_net_hdr_v1 (5.1.6): what precedes every frame. */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

/* The largest frame either side passes: a 64 KiB datagram's payload. */
#define NET_FRAME_MAX		65536

/**
 * struct virtio_net - one network device and its backend.
 * @fd: the tap device or the UDP socket, non-blocking.
 * @udp: @fd is a UDP socket; @peer: where its frames go.
 * @wake: an eventfd the receive thread waits on: the driver gave buffers.
 * @mac: the MAC address in the configuration space.
 * @what: the option, for messages.
 * @pending: bytes of @rx waiting for a receive buffer; 0 for none.
 * @rx: the frame the receive thread holds.
 */
struct virtio_net {
	int fd;
	bool udp;
	struct sockaddr_in peer;
	int wake;
	uint8_t mac[6];
	char what[64];
	size_t pending;
	uint8_t rx[NET_FRAME_MAX];
};

static uint64_t net__config_read(struct virtio_dev *d, uint64_t off,
				 unsigned int width)
{
	struct virtio_net *n = d->priv;
	uint8_t cfg[8] = { 0 };
	uint64_t v = 0;

	/* mac[6] at 0; status (VIRTIO_NET_F_STATUS) is not offered: 0. */
	memcpy(cfg, n->mac, sizeof(n->mac));
	if (width <= 8 && off + width <= sizeof(cfg))
		memcpy(&v, cfg + off, width);
	return v;
}

/* Transmit: the readable buffers after the header are one frame. */
static uint32_t net__request(struct virtio_dev *d, unsigned int qi,
			     struct virtio_chain *c)
{
	struct virtio_net *n = d->priv;
	struct iovec frame[VIRTIO_MAX_IOV];
	size_t skip = sizeof(struct virtio_net_hdr_v1), len;
	struct msghdr msg = { 0 };
	unsigned int i, nf = 0;

	if (qi != NET_TXQ)
		return 0;
	for (i = 0; i < c->nin; i++) {
		if (skip >= c->in[i].iov_len) {
			skip -= c->in[i].iov_len;
			continue;
		}
		frame[nf].iov_base = (uint8_t *)c->in[i].iov_base + skip;
		frame[nf++].iov_len = c->in[i].iov_len - skip;
		skip = 0;
	}
	/* No header, or no frame after it, or larger than a datagram: dropped. */
	if (!nf)
		return 0;
	len = virtio_iov_len(frame, nf);
	if (!len || len > NET_FRAME_MAX)
		return 0;
	msg.msg_iov = frame;
	msg.msg_iovlen = nf;
	if (n->udp) {
		msg.msg_name = &n->peer;
		msg.msg_namelen = sizeof(n->peer);
	}
	/*
	 * Non-blocking: a full backend drops the frame (a tap device drops
	 * it itself), the guest's own protocols retry.
	 */
	while (n->udp ? sendmsg(n->fd, &msg, MSG_DONTWAIT) < 0 :
	       writev(n->fd, frame, nf) < 0) {
		if (errno != EINTR)
			break;
	}
	return 0;			/* nothing written into the chain */
}

/*
 * The held frame into the next receive buffer, under the device lock:
 * true when it is gone (delivered, or dropped for a buffer too small,
 * which the driver sees as a short frame and counts), false while the
 * driver has no buffer for it.
 */
static bool net__deliver(struct virtio_dev *d)
{
	struct virtio_net *n = d->priv;
	struct virtio_net_hdr_v1 hdr = { .num_buffers = 1 };
	struct iovec src[2] = {
		{ &hdr, sizeof(hdr) }, { n->rx, n->pending },
	};

	return virtio_queue_put(d, NET_RXQ, src, 2) >= 0;
}

/* The driver gave receive buffers (under the device lock). */
static void net__rx_notify(struct virtio_dev *d, unsigned int qi)
{
	struct virtio_net *n = d->priv;
	uint64_t one = 1;

	if (write(n->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_err("virtio-net: eventfd: %s", strerror(errno));
}

static void *net__rx_thread(void *arg)
{
	struct virtio_dev *d = arg;
	struct virtio_net *n = d->priv;
	uint64_t cnt;
	ssize_t r;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = n->fd, .events = n->pending ? 0 : POLLIN },
			{ .fd = n->wake, .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("virtio-net: poll: %s", strerror(errno));
			return NULL;
		}
		if ((p[1].revents & POLLIN) &&
		    read(n->wake, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN) {
			pr_err("virtio-net: eventfd: %s", strerror(errno));
			return NULL;
		}
		if (!n->pending && (p[0].revents & (POLLIN | POLLERR | POLLHUP))) {
			r = read(n->fd, n->rx, sizeof(n->rx));
			if (r < 0 && errno != EAGAIN && errno != EINTR &&
			    !(n->udp && errno == ECONNREFUSED)) {
				/* The tap went away: the guest's link is dead. */
				pr_err("virtio-net %s: read: %s: no more frames to the guest",
				       n->what, strerror(errno));
				return NULL;
			}
			if (r > 0)
				n->pending = r;
		}
		if (n->pending) {
			io__lock(d->vm);
			if (net__deliver(d))
				n->pending = 0;
			io__unlock(d->vm);
		}
	}
}

static const struct virtio_ops virtio_net_ops = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.features = 1ULL << VIRTIO_NET_F_MAC,
	.nqueues = 2,
	.rx_queues = 1U << NET_RXQ,
	.config_read = net__config_read,
	.request = net__request,
	.rx_notify = net__rx_notify,
};

static int net__open_tap(struct virtio_net *n, const char *name)
{
	struct ifreq ifr = { 0 };

	if (!*name) {
		pr_err("--net tap=: no interface name (e.g. --net tap=tap0)");
		return -1;
	}
	if (strlen(name) >= IFNAMSIZ) {
		pr_err("--net tap=%s: an interface name has at most %d characters",
		       name, IFNAMSIZ - 1);
		return -1;
	}
	n->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (n->fd < 0) {
		pr_err("--net tap=%s: /dev/net/tun: %s%s", name, strerror(errno),
		       errno == ENOENT ? " (no tun driver: modprobe tun)" : "");
		return -1;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(n->fd, TUNSETIFF, &ifr) < 0) {
		/* EINVAL: the name is taken by an interface that is no tap. */
		pr_err("--net tap=%s: TUNSETIFF: %s%s", name, strerror(errno),
		       errno == EINVAL ? " (an interface of that name that is not a tap?)" :
		       errno == EPERM ? " (needs CAP_NET_ADMIN or a tap owned by this user)" : "");
		close(n->fd);
		return -1;
	}
	return 0;
}

/* "LPORT:ADDR:PORT", ADDR an IPv4 address. */
static int net__open_udp(struct virtio_net *n, const char *spec)
{
	struct sockaddr_in self = { .sin_family = AF_INET };
	char addr[INET_ADDRSTRLEN];
	unsigned int lport, rport;
	int end = 0;

	if (sscanf(spec, "%u:%15[0-9.]:%u%n", &lport, addr, &rport, &end) != 3 ||
	    spec[end] || !lport || lport > 65535 || !rport || rport > 65535 ||
	    inet_pton(AF_INET, addr, &n->peer.sin_addr) != 1) {
		pr_err("--net udp=%s: not LPORT:ADDR:PORT (e.g. udp=5555:127.0.0.1:5556)",
		       spec);
		return -1;
	}
	n->udp = true;
	n->peer.sin_family = AF_INET;
	n->peer.sin_port = htons(rport);
	self.sin_port = htons(lport);
	self.sin_addr.s_addr = htonl(INADDR_ANY);
	n->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0 || bind(n->fd, (struct sockaddr *)&self, sizeof(self))) {
		pr_err("--net udp=%s: port %u: %s", spec, lport, strerror(errno));
		if (n->fd >= 0)
			close(n->fd);
		return -1;
	}
	return 0;
}

static int net__parse_mac(uint8_t mac[6], const char *s)
{
	unsigned int b[6], i;
	int end = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6 || s[end] || (b[0] & 1))
		return -1;		/* a multicast address is no station's */
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

struct virtio_dev *virtio_net__create(struct axvm *vm, const char *spec)
{
	/* QEMU's default, so guest tools know it as a VM's. */
	static const uint8_t mac_default[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct virtio_net *n = calloc(1, sizeof(*n));
	char *s = strdup(spec), *mac;
	struct virtio_dev *d = NULL;
	int r;

	if (!n || !s) {
		pr_err("--net: out of memory");
		goto out;
	}
	snprintf(n->what, sizeof(n->what), "%s", spec);
	memcpy(n->mac, mac_default, sizeof(n->mac));
	mac = strstr(s, ",mac=");
	if (mac) {
		*mac = '\0';
		mac += strlen(",mac=");
		if (net__parse_mac(n->mac, mac)) {
			pr_err("--net %s: mac=%s is not a unicast MAC address (e.g. 52:54:00:12:34:57)",
			       spec, mac);
			goto out;
		}
	}
	if (!strncmp(s, "tap=", 4)) {
		r = net__open_tap(n, s + 4);
	} else if (!strncmp(s, "udp=", 4)) {
		r = net__open_udp(n, s + 4);
	} else {
		pr_err("--net %s: neither tap=NAME nor udp=LPORT:ADDR:PORT", spec);
		goto out;
	}
	if (r)
		goto out;
	n->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->wake < 0) {
		pr_err("--net %s: eventfd: %s", spec, strerror(errno));
		close(n->fd);
		goto out;
	}
	d = virtio_dev__new(vm, &virtio_net_ops);
	if (!d) {
		close(n->wake);
		close(n->fd);
		goto out;
	}
	d->priv = n;
	n = NULL;
out:
	free(n);
	free(s);
	return d;
}

int virtio_net__start(struct virtio_dev *d)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, net__rx_thread, d);

	if (r) {
		pr_err("virtio-net: cannot start its receive thread: %s", strerror(r));
		return -1;
	}
	pthread_detach(t);
	return 0;
}
