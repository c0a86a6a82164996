// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of axvm's virtio-mmio transport and split virtqueues
 * (virtio.c) with the virtio-blk (over a temporary file), virtio-console
 * and virtio-net (over its UDP backend on 127.0.0.1) device types: a driver written here programs the registers and the
 * rings in a fake guest RAM, as Linux's virtio_mmio does, and checks what
 * the device returns -- including the malformed rings that must make the
 * device "need reset" and nothing else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "term.h"
#include "virtio.h"
#include "tap.h"

/* ---- the parts of axvm virtio.c uses, stubbed ---- */

#define RAM_BASE	0x40000000ULL
#define RAM_SIZE	(1ULL << 20)

static uint8_t *ram;
static char last_msg[256];
static int raised;
static char term[256];
static size_t term_len;

void *vm__gpa_to_hva(struct axvm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa < RAM_BASE || len > RAM_SIZE || gpa - RAM_BASE > RAM_SIZE - len)
		return NULL;
	return ram + (gpa - RAM_BASE);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
}

/* The device lock: virtio-net's receive thread runs beside the driver. */
static pthread_mutex_t io_lock = PTHREAD_MUTEX_INITIALIZER;

void io__lock(struct axvm *vm)
{
	pthread_mutex_lock(&io_lock);
}

void io__unlock(struct axvm *vm)
{
	pthread_mutex_unlock(&io_lock);
}

void term__putc(struct term_line *line, char c)
{
	if (term_len < sizeof(term) - 1)
		term[term_len++] = c;
}

int axvm_vm_ioeventfd(struct axvm_vm *vm, __u64 addr, __u32 len, int fd,
		      __u32 flags, __u64 datamatch)
{
	return -ENOTTY;
}

void arch__irq_counts(uint32_t irq, uint64_t *by_irqfd, uint64_t *by_ioctl)
{
	*by_irqfd = *by_ioctl = 0;
}

static void raise_count(struct virtio_dev *d)
{
	raised++;
}

/* ---- a driver ---- */

#define REG_DEVICE_ID		0x008
#define REG_DRV_FEATURES	0x020
#define REG_DRV_FEATURES_SEL	0x024
#define REG_QUEUE_SEL		0x030
#define REG_QUEUE_NUM_MAX	0x034
#define REG_QUEUE_NUM		0x038
#define REG_QUEUE_READY		0x044
#define REG_QUEUE_NOTIFY	0x050
#define REG_STATUS		0x070
#define REG_DESC		0x080
#define REG_AVAIL		0x090
#define REG_USED		0x0a0

#define ST_DRIVER_OK_ETC	(1 | 2 | 4)
#define ST_FEATURES_OK		8
#define ST_NEEDS_RESET		64

#define QSIZE			8
/* Each queue's areas: desc at +0, avail at +0x1000, used at +0x2000. */
#define QAREA(q)		(RAM_BASE + 0x10000 * ((q) + 1))
#define BUF			(RAM_BASE + 0x80000)

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static struct virtio_dev *dev;

/* Register accesses under the device lock, as axvm's vcpu threads make them. */
static void wr(uint64_t off, uint32_t v)
{
	uint64_t d = v;

	io__lock(NULL);
	virtio_mmio__io(NULL, off, &d, 4, true, dev);
	io__unlock(NULL);
}

static uint32_t rd(uint64_t off)
{
	uint64_t d = 0;

	io__lock(NULL);
	virtio_mmio__io(NULL, off, &d, 4, false, dev);
	io__unlock(NULL);
	return d;
}

static void *at(uint64_t gpa)
{
	return ram + (gpa - RAM_BASE);
}

/* Reset, negotiate VERSION_1 only; true if FEATURES_OK stuck. */
static bool negotiate(bool version_1)
{
	wr(REG_STATUS, 0);
	wr(REG_STATUS, 1 | 2);
	wr(REG_DRV_FEATURES_SEL, 1);
	wr(REG_DRV_FEATURES, version_1 ? 1 : 0);
	wr(REG_STATUS, 1 | 2 | ST_FEATURES_OK);
	return rd(REG_STATUS) & ST_FEATURES_OK;
}

static void queue_setup(unsigned int q)
{
	uint64_t a = QAREA(q);

	memset(at(a), 0, 0x3000);
	wr(REG_QUEUE_SEL, q);
	wr(REG_QUEUE_NUM, QSIZE);
	wr(REG_DESC, (uint32_t)a);
	wr(REG_DESC + 4, a >> 32);
	wr(REG_AVAIL, (uint32_t)(a + 0x1000));
	wr(REG_AVAIL + 4, (a + 0x1000) >> 32);
	wr(REG_USED, (uint32_t)(a + 0x2000));
	wr(REG_USED + 4, (a + 0x2000) >> 32);
	wr(REG_QUEUE_READY, 1);
}

static struct desc *descs(unsigned int q)
{
	return at(QAREA(q));
}

static uint16_t *avail(unsigned int q)
{
	return at(QAREA(q) + 0x1000);
}

static uint16_t used_idx(unsigned int q)
{
	return __atomic_load_n(&((uint16_t *)at(QAREA(q) + 0x2000))[1], __ATOMIC_ACQUIRE);
}

static uint32_t used_len(unsigned int q, unsigned int i)
{
	return ((uint32_t *)at(QAREA(q) + 0x2004))[2 * (i % QSIZE) + 1];
}

/* Make chain @head available in queue @q and notify. */
static void post(unsigned int q, uint16_t head)
{
	uint16_t *a = avail(q);

	a[2 + a[1] % QSIZE] = head;
	__atomic_store_n(&a[1], a[1] + 1, __ATOMIC_RELEASE);
	wr(REG_QUEUE_NOTIFY, q);
}

/* A virtio-blk request: header, @len data bytes at BUF, status byte. */
static uint8_t blk_req(uint32_t type, uint64_t sector, uint32_t len, bool dev_writes)
{
	struct desc *d = descs(0);
	uint8_t *status = at(BUF + 0x10000);
	struct { uint32_t type, reserved; uint64_t sector; } *h = at(BUF - 0x100);

	h->type = type;
	h->reserved = 0;
	h->sector = sector;
	d[0] = (struct desc){ BUF - 0x100, 16, 1, 1 };
	d[1] = (struct desc){ BUF, len, 1 | (dev_writes ? 2 : 0), 2 };
	d[2] = (struct desc){ BUF + 0x10000, 1, 2, 0 };
	*status = 0xff;
	post(0, 0);
	return *status;
}

static void test_blk(void)
{
	char path[] = "/tmp/test_virtio.XXXXXX";
	int fd = mkstemp(path);
	char sect[512], back[512];
	uint16_t before;
	struct desc *d;

	memset(sect, 'A', sizeof(sect));
	memcpy(sect, "SECTOR-ONE", 10);
	ok(fd >= 0 && ftruncate(fd, 8 * 512) == 0 &&
	   pwrite(fd, sect, 512, 512) == 512, "a 4 KiB image");
	dev = virtio_blk__create(NULL, path);
	ok(dev != NULL, "virtio_blk__create on a regular file");
	if (!dev)
		return;
	dev->raise = raise_count;
	ok(rd(0) == 0x74726976 && rd(4) == 2 && rd(REG_DEVICE_ID) == 2,
	   "magic, version 2, DeviceID 2 (block)");
	ok(!negotiate(false), "a driver without VERSION_1 does not get FEATURES_OK");
	ok(negotiate(true), "VERSION_1 alone: FEATURES_OK");
	wr(REG_QUEUE_SEL, 0);
	ok(rd(REG_QUEUE_NUM_MAX) == 256, "queue 0: QueueNumMax 256");
	wr(REG_QUEUE_SEL, 1);
	ok(rd(REG_QUEUE_NUM_MAX) == 0, "queue 1 does not exist: QueueNumMax 0");
	queue_setup(0);
	wr(REG_STATUS, ST_DRIVER_OK_ETC | ST_FEATURES_OK);

	raised = 0;
	ok(blk_req(0, 1, 512, true) == 0 && !memcmp(at(BUF), sect, 512) &&
	   used_idx(0) == 1 && used_len(0, 0) == 513 && raised == 1,
	   "IN of sector 1: its bytes, status OK, used length 513, one interrupt");
	ok(dev->notify_exit == 1 && dev->notify_ioeventfd == 0,
	   "--stats: that QueueNotify write counts as a notification by exit");
	memset(at(BUF), 'W', 512);
	ok(blk_req(1, 3, 512, false) == 0 && pread(fd, back, 512, 3 * 512) == 512 &&
	   back[0] == 'W' && back[511] == 'W', "OUT to sector 3 lands in the file");
	ok(blk_req(4, 0, 0, false) == 0, "FLUSH: status OK");
	memset(at(BUF), 0, 20);
	ok(blk_req(8, 0, 20, true) == 0 && !strcmp(at(BUF), "axvm-virtio-blk"),
	   "GET_ID: the serial");
	ok(blk_req(0, 8, 512, true) == 1, "IN beyond the disk: IOERR");
	ok(blk_req(0, 7, 1024, true) == 1, "IN across the end of the disk: IOERR");
	ok(blk_req(99, 0, 512, true) == 2, "an unknown type: UNSUPP");

	/* No interrupt when the driver says so. */
	raised = 0;
	avail(0)[0] = 1;
	blk_req(0, 1, 512, true);
	ok(raised == 0, "VIRTQ_AVAIL_F_NO_INTERRUPT: no interrupt");
	avail(0)[0] = 0;

	/* A descriptor loop: the device needs a reset, and does nothing more. */
	d = descs(0);
	before = used_idx(0);
	d[0] = (struct desc){ BUF, 16, 1, 0 };
	last_msg[0] = 0;
	post(0, 0);
	ok((rd(REG_STATUS) & ST_NEEDS_RESET) && used_idx(0) == before &&
	   strstr(last_msg, "malformed"), "a descriptor loop: DEVICE_NEEDS_RESET, nothing used");
	ok(blk_req(0, 1, 512, true) == 0xff && used_idx(0) == before,
	   "a broken device takes no more requests");
	ok(negotiate(true) && !(rd(REG_STATUS) & ST_NEEDS_RESET),
	   "a reset clears DEVICE_NEEDS_RESET");
	queue_setup(0);
	wr(REG_STATUS, ST_DRIVER_OK_ETC | ST_FEATURES_OK);
	ok(blk_req(0, 1, 512, true) == 0 && !memcmp(at(BUF), sect, 512),
	   "after the reset the device works again");

	/* A buffer outside guest RAM. */
	d[0] = (struct desc){ RAM_BASE + RAM_SIZE - 8, 16, 0, 0 };
	post(0, 0);
	ok(rd(REG_STATUS) & ST_NEEDS_RESET, "a buffer beyond guest RAM: DEVICE_NEEDS_RESET");
	negotiate(true);

	/* An indirect descriptor (not offered). */
	queue_setup(0);
	d[0] = (struct desc){ BUF, 16, 4, 0 };
	post(0, 0);
	ok(rd(REG_STATUS) & ST_NEEDS_RESET, "an indirect descriptor: DEVICE_NEEDS_RESET");
	negotiate(true);

	/* A queue set up outside guest RAM, and a size that is no power of 2. */
	wr(REG_QUEUE_SEL, 0);
	wr(REG_QUEUE_NUM, QSIZE);
	wr(REG_DESC, 0x1000);
	wr(REG_DESC + 4, 0);
	wr(REG_QUEUE_READY, 1);
	ok((rd(REG_STATUS) & ST_NEEDS_RESET) && !rd(REG_QUEUE_READY),
	   "QueueReady with the rings outside RAM: refused, DEVICE_NEEDS_RESET");
	negotiate(true);
	queue_setup(0);
	ok(rd(REG_QUEUE_READY), "a good queue is ready");
	negotiate(true);
	wr(REG_QUEUE_SEL, 0);
	wr(REG_QUEUE_NUM, 6);
	wr(REG_DESC, (uint32_t)QAREA(0));
	wr(REG_AVAIL, (uint32_t)(QAREA(0) + 0x1000));
	wr(REG_USED, (uint32_t)(QAREA(0) + 0x2000));
	wr(REG_QUEUE_READY, 1);
	ok(!rd(REG_QUEUE_READY), "a queue of 6 entries is refused");
	close(fd);
	unlink(path);
	free(dev->priv);
	free(dev);
}

static void test_console(void)
{
	struct desc *d;

	dev = virtio_console__create(NULL);
	ok(dev && rd(REG_DEVICE_ID) == 3, "virtio console: DeviceID 3");
	if (!dev)
		return;
	dev->raise = raise_count;
	negotiate(true);
	queue_setup(0);
	queue_setup(1);
	wr(REG_STATUS, ST_DRIVER_OK_ETC | ST_FEATURES_OK);
	raised = 0;
	ok(virtio_console__input(dev, (const uint8_t *)"typed", 5) == 0 && raised == 0,
	   "input with no receive buffer waits (0 taken)");
	d = descs(0);
	d[0] = (struct desc){ BUF, 3, 2, 0 };
	post(0, 0);
	ok(used_idx(0) == 0, "a receive buffer is kept until data comes");
	ok(virtio_console__input(dev, (const uint8_t *)"typed", 5) == 3 &&
	   !memcmp(at(BUF), "typ", 3) && used_idx(0) == 1 && used_len(0, 0) == 3 &&
	   raised == 1, "input fills it: 3 of 5 bytes, one interrupt");
	d = descs(1);
	memcpy(at(BUF + 0x100), "out\n", 4);
	d[0] = (struct desc){ BUF + 0x100, 4, 0, 0 };
	post(1, 0);
	ok(term_len == 4 && !memcmp(term, "out\n", 4) && used_idx(1) == 1,
	   "transmit goes to the terminal");
	free(dev);
}

/*
 * Wait up to 2 s for queue @q's used index to reach @want; read under the
 * device lock, so what the receive thread did before is seen after.
 */
static bool used_wait(unsigned int q, uint16_t want)
{
	bool got = false;
	int i;

	for (i = 0; i < 200 && !got; i++) {
		io__lock(NULL);
		got = used_idx(q) == want;
		io__unlock(NULL);
		if (!got)
			usleep(10000);
	}
	return got;
}

/* A UDP socket on 127.0.0.1 and the port it got. */
static int udp_socket(unsigned int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

#define NET_HDR		12	/* struct virtio_net_hdr_v1 */

static void test_net(void)
{
	static const char frame[] = "an Ethernet frame from the guest";
	unsigned int peer_port, dev_port, i;
	int peer = udp_socket(&peer_port), tmp = udp_socket(&dev_port);
	struct sockaddr_in to = { .sin_family = AF_INET };
	char spec[64], got[256];
	uint8_t mac[6], *rx;
	struct pollfd p;
	struct desc *d;
	ssize_t r;

	ok(!virtio_net__create(NULL, "tap=") && strstr(last_msg, "no interface name"),
	   "--net tap=: an error naming what is missing (%s)", last_msg);
	ok(!virtio_net__create(NULL, "udp=1:2") && strstr(last_msg, "not LPORT:ADDR:PORT"),
	   "--net udp=1:2: malformed");
	ok(!virtio_net__create(NULL, "udp=1:127.0.0.1:2,mac=01:02:03:04:05:06") &&
	   strstr(last_msg, "not a unicast MAC"), "a multicast mac= is refused");
	ok(!virtio_net__create(NULL, "vde=x") && strstr(last_msg, "neither tap=NAME"),
	   "an unknown backend is refused");
	/* The device's port: one that was free a moment ago. */
	close(tmp);
	snprintf(spec, sizeof(spec), "udp=%u:127.0.0.1:%u,mac=52:54:00:aa:bb:cc",
		 dev_port, peer_port);
	dev = peer >= 0 && tmp >= 0 ? virtio_net__create(NULL, spec) : NULL;
	ok(dev && rd(REG_DEVICE_ID) == 1, "virtio-net over UDP: DeviceID 1 (%s)",
	   dev ? spec : last_msg);
	if (!dev)
		return;
	dev->raise = raise_count;
	ok(rd(0x010) & (1U << 5), "VIRTIO_NET_F_MAC offered");
	for (i = 0; i < 6; i++) {
		uint64_t v = 0;

		virtio_mmio__io(NULL, 0x100 + i, &v, 1, false, dev);
		mac[i] = v;
	}
	ok(!memcmp(mac, "\x52\x54\x00\xaa\xbb\xcc", 6), "config: mac= as given");
	negotiate(true);
	queue_setup(0);
	queue_setup(1);
	wr(REG_STATUS, ST_DRIVER_OK_ETC | ST_FEATURES_OK);
	ok(virtio_net__start(dev) == 0, "receive thread started");

	/* Transmit: header and frame in one buffer, the frame alone goes out. */
	d = descs(1);
	memset(at(BUF), 0, NET_HDR);
	memcpy(at(BUF + NET_HDR), frame, sizeof(frame));
	d[0] = (struct desc){ BUF, NET_HDR + sizeof(frame), 0, 0 };
	post(1, 0);
	p = (struct pollfd){ .fd = peer, .events = POLLIN };
	r = poll(&p, 1, 2000) == 1 ? recv(peer, got, sizeof(got), 0) : -1;
	ok(r == sizeof(frame) && !memcmp(got, frame, r) && used_idx(1) == 1,
	   "transmit: one datagram, the frame without its header");
	/* A chain shorter than the header sends nothing. */
	d[0] = (struct desc){ BUF, 6, 0, 0 };
	post(1, 0);
	ok(used_idx(1) == 2 && poll(&p, 1, 200) == 0, "a chain shorter than the header: nothing sent");

	/* Receive: the frame waits for a buffer, then fills exactly one. */
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(dev_port);
	raised = 0;
	ok(sendto(peer, "first frame", 11, 0, (struct sockaddr *)&to, sizeof(to)) == 11 &&
	   sendto(peer, "second", 6, 0, (struct sockaddr *)&to, sizeof(to)) == 6,
	   "the peer sends two frames");
	usleep(100000);
	ok(used_idx(0) == 0 && raised == 0, "no receive buffer: the frame waits");
	d = descs(0);
	rx = at(BUF + 0x1000);
	memset(rx, 0xee, 0x1000);
	d[0] = (struct desc){ BUF + 0x1000, 1526, 2, 0 };
	post(0, 0);
	ok(used_wait(0, 1) && used_len(0, 0) == NET_HDR + 11 && rx[10] == 1 && rx[11] == 0 &&
	   !rx[0] && !memcmp(rx + NET_HDR, "first frame", 11) && rx[NET_HDR + 11] == 0xee &&
	   raised == 1, "a buffer given: header (num_buffers 1) and frame in it, one interrupt");
	/* A buffer too small for the next frame goes back empty. */
	d[1] = (struct desc){ BUF + 0x2000, NET_HDR + 3, 2, 0 };
	post(0, 1);
	ok(used_wait(0, 2) && used_len(0, 1) == 0, "a buffer too small: back empty, the frame dropped");
	d[0] = (struct desc){ BUF + 0x1000, 1526, 2, 0 };
	post(0, 0);
	ok(sendto(peer, "third", 5, 0, (struct sockaddr *)&to, sizeof(to)) == 5 &&
	   used_wait(0, 3) && used_len(0, 2) == NET_HDR + 5 && !memcmp(rx + NET_HDR, "third", 5),
	   "the next frame into the next buffer");
	close(peer);
	/* The device and its thread live on until the test exits. */
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	if (!ram)
		return 1;
	test_blk();
	test_console();
	test_net();
	free(ram);
	return tap_done("test_virtio");
}
