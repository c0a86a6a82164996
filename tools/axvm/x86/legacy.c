// SPDX-License-Identifier: GPL-2.0
/*
 * axvm x86_64 legacy PC devices that bare-metal images poll: the 8254 PIT
 * (0x40-0x43) counting in real time, port 0x61 (speaker gate, OUT2, the
 * refresh toggle), the 8042 keyboard controller (0x60, 0x64: no keys, its
 * reset line ends the run) and the VGA registers (0x3c0-0x3df: kept, and
 * a status register whose retrace bits toggle so that wait loops end) and
 * the CMOS real-time clock (0x70, 0x71) with the host's time, and the two
 * 8259A PICs, masked.
 *
 * None of them raises an interrupt: the PICs pass none.  Polling
 * guests (timing loops on the PIT counter, keyboard polling) run as on a
 * PC; the text screen itself is guest RAM at 0xb8000 (see --vga).
 */
#include <string.h>
#include <time.h>

#include "axvm.h"
#include "x86.h"

/* ---- 8254 PIT ---- */

#define PIT_HZ		1193182ULL

struct pit_chan {
	uint32_t reload;	/* 1..65536 */
	uint8_t mode, rw, bcd;
	uint64_t start_ns;	/* when the count was loaded */
	bool loaded;
	/* write: the low byte came (rw == 3) */
	bool wlow;
	uint8_t wbyte;
	/* read: next byte of a live lo/hi read is the high one */
	bool rhigh;
	/* latches */
	bool count_latched, status_latched;
	uint16_t latch;
	uint8_t latch_left;	/* bytes of @latch still to read: 1 or 2 */
	bool latch_high;	/* next latched byte is the high one */
	uint8_t status;
};

struct pit {
	struct pit_chan ch[3];
	uint8_t port61;		/* bits 0-3 as written */
	bool refresh;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t pit__ticks(const struct pit_chan *c)
{
	uint64_t ns = now_ns() - c->start_ns;

	return ns / 1000000000ULL * PIT_HZ + ns % 1000000000ULL * PIT_HZ / 1000000000ULL;
}

/* The counter now, and OUT. */
static uint16_t pit__count(const struct pit_chan *c, bool *out)
{
	uint64_t t, n = c->reload;
	uint16_t v;

	if (!c->loaded) {
		*out = false;
		return 0;
	}
	t = pit__ticks(c);
	switch (c->mode) {
	case 2:		/* rate generator: N..1, OUT low at 1 */
		v = n - t % n;
		*out = v != 1;
		break;
	case 3:		/* square wave: by 2 twice a period */
		t %= n;
		v = n - (2 * t) % n;
		*out = t < (n + 1) / 2;
		break;
	default:	/* 0, 1, 4, 5: down from N, wrapping; OUT after N */
		v = (n - t) & 0xffff;
		*out = c->mode == 0 || c->mode == 1 ? t >= n : t != n;
		break;
	}
	return v;
}

static void pit__latch_count(struct pit_chan *c)
{
	bool out;

	if (c->count_latched)
		return;
	c->latch = pit__count(c, &out);
	c->count_latched = true;
	c->latch_left = c->rw == 3 ? 2 : 1;
	c->latch_high = c->rw == 2;
}

static void pit__latch_status(struct pit_chan *c)
{
	bool out;

	if (c->status_latched)
		return;
	pit__count(c, &out);
	c->status = (out ? 0x80 : 0) | (c->loaded ? 0 : 0x40) | c->rw << 4 |
		    c->mode << 1 | c->bcd;
	c->status_latched = true;
}

static void pit__control(struct pit *p, uint8_t v)
{
	unsigned int sel = v >> 6, i;
	struct pit_chan *c;

	if (sel == 3) {		/* read-back: 0 bits select */
		for (i = 0; i < 3; i++) {
			if (!(v & (2 << i)))
				continue;
			if (!(v & 0x20))
				pit__latch_count(&p->ch[i]);
			if (!(v & 0x10))
				pit__latch_status(&p->ch[i]);
		}
		return;
	}
	c = &p->ch[sel];
	if (!(v & 0x30)) {	/* counter latch */
		pit__latch_count(c);
		return;
	}
	c->rw = (v >> 4) & 3;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* 6, 7 are 2, 3 */
	c->bcd = v & 1;
	c->loaded = false;
	c->wlow = false;
	c->rhigh = false;
	c->count_latched = false;
	c->status_latched = false;
}

static void pit__load(struct pit_chan *c, uint16_t v)
{
	c->reload = v ? v : 0x10000;
	c->start_ns = now_ns();
	c->loaded = true;
}

static void pit__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		    unsigned int width, bool is_write, void *priv)
{
	struct pit *p = priv;
	struct pit_chan *c = &p->ch[off < 3 ? off : 0];
	uint8_t v = *data;
	uint16_t cnt;
	bool out;

	if (off == 3) {
		if (is_write)
			pit__control(p, v);
		else
			*data = 0xff;	/* the control word cannot be read */
		return;
	}
	if (is_write) {
		switch (c->rw) {
		case 1: pit__load(c, v); break;
		case 2: pit__load(c, v << 8); break;
		case 3:
			if (!c->wlow) {
				c->wbyte = v;
				c->wlow = true;
				c->loaded = false;	/* null count until the high byte */
			} else {
				c->wlow = false;
				pit__load(c, c->wbyte | v << 8);
			}
			break;
		}
		return;
	}
	if (c->status_latched) {
		c->status_latched = false;
		*data = c->status;
		return;
	}
	if (c->count_latched) {
		*data = c->latch_high ? c->latch >> 8 : c->latch & 0xff;
		c->latch_high = !c->latch_high;
		if (--c->latch_left == 0)
			c->count_latched = false;
		return;
	}
	cnt = pit__count(c, &out);
	switch (c->rw) {
	case 1: *data = cnt & 0xff; break;
	case 2: *data = cnt >> 8; break;
	default:
		*data = c->rhigh ? cnt >> 8 : cnt & 0xff;
		c->rhigh = !c->rhigh;
	}
}

/* Port 0x61: bit 0 gate 2, bit 1 speaker data, bit 4 refresh, bit 5 OUT2. */
static void port61__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		       unsigned int width, bool is_write, void *priv)
{
	struct pit *p = priv;
	bool out2;

	if (is_write) {
		p->port61 = *data & 0x0f;
		return;
	}
	pit__count(&p->ch[2], &out2);
	p->refresh = !p->refresh;
	*data = p->port61 | (p->refresh ? 0x10 : 0) | (out2 ? 0x20 : 0);
}

/* ---- 8042 keyboard controller ---- */

#define KBC_OBF		0x01
#define KBC_SYS		0x04
#define KBC_CMD		0x08	/* the last write went to 0x64 */
#define KBC_UNLOCKED	0x10

struct kbc {
	uint8_t status, cmdbyte, out[4];
	unsigned int nout;
	uint8_t pending;	/* a 0x64 command waiting for its 0x60 byte */
};

static void kbc__push(struct kbc *k, uint8_t v)
{
	if (k->nout < sizeof(k->out))
		k->out[k->nout++] = v;
}

/* @off: 0 for port 0x60, 4 for port 0x64. */
static void kbc__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		    unsigned int width, bool is_write, void *priv)
{
	struct kbc *k = priv;
	uint8_t v = *data;

	if (!is_write) {
		if (off == 4) {
			*data = KBC_SYS | KBC_UNLOCKED | (k->status & KBC_CMD) |
				(k->nout ? KBC_OBF : 0);
		} else if (k->nout) {
			*data = k->out[0];
			memmove(k->out, k->out + 1, --k->nout);
		} else {
			*data = 0;
		}
		return;
	}
	if (off == 4) {
		k->status |= KBC_CMD;
		switch (v) {
		case 0x20: kbc__push(k, k->cmdbyte); break;	/* read command byte */
		case 0x60: case 0xd1: k->pending = v; break;	/* byte follows at 0x60 */
		case 0xaa: kbc__push(k, 0x55); break;		/* self test passed */
		case 0xab: kbc__push(k, 0x00); break;		/* interface test */
		case 0xfe:					/* pulse the reset line */
			vm__stop(cpu->vm, AXVM_EXIT_RESET, "vcpu %u: the guest reset the machine through the keyboard controller (axvm does not reboot: status 32)",
				 cpu->id);
			break;
		}
		return;
	}
	k->status &= ~KBC_CMD;
	if (k->pending == 0x60) {
		k->cmdbyte = v;
	} else if (k->pending == 0xd1) {
		if (!(v & 1))	/* output port: bit 0 low is the reset line */
			vm__stop(cpu->vm, AXVM_EXIT_RESET, "vcpu %u: the guest reset the machine through the keyboard controller (axvm does not reboot: status 32)",
				 cpu->id);
	} else {
		/* A keyboard command: acknowledged; a reset passes its test. */
		kbc__push(k, 0xfa);
		if (v == 0xff)
			kbc__push(k, 0xaa);
	}
	k->pending = 0;
}

static void kbc_data__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			 unsigned int width, bool is_write, void *priv)
{
	kbc__io(cpu, 0, data, width, is_write, priv);
}

static void kbc_cmd__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
			unsigned int width, bool is_write, void *priv)
{
	kbc__io(cpu, 4, data, width, is_write, priv);
}

/* ---- VGA registers ---- */

struct vga {
	uint8_t misc, seq_idx, seq[8], gc_idx, gc[16], crtc_idx, crtc[32];
	uint8_t attr_idx, attr[32], dac_widx, dac_ridx, dac_sub;
	bool attr_data;		/* the 0x3c0 flip-flop */
	bool retrace;
};

static void vga__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		    unsigned int width, bool is_write, void *priv)
{
	struct vga *g = priv;
	uint16_t port = 0x3c0 + off;
	uint8_t v = *data;

	if (width > 1 && is_write && (port == 0x3c4 || port == 0x3ce ||
				      port == 0x3d4)) {
		/* outw index, data */
		vga__io(cpu, off, data, 1, true, priv);
		v = *data >> 8;
		vga__io(cpu, off + 1, &(uint64_t){ v }, 1, true, priv);
		return;
	}
	if (is_write) {
		switch (port) {
		case 0x3c0:
			if (!g->attr_data)
				g->attr_idx = v & 0x3f;
			else
				g->attr[g->attr_idx & 0x1f] = v;
			g->attr_data = !g->attr_data;
			break;
		case 0x3c2: g->misc = v; break;
		case 0x3c4: g->seq_idx = v & 7; break;
		case 0x3c5: g->seq[g->seq_idx] = v; break;
		case 0x3c7: g->dac_ridx = v; g->dac_sub = 0; break;
		case 0x3c8: g->dac_widx = v; g->dac_sub = 0; break;
		case 0x3c9:		/* palette data: R, G, B; not kept */
			if (++g->dac_sub == 3) {
				g->dac_sub = 0;
				g->dac_widx++;
			}
			break;
		case 0x3ce: g->gc_idx = v & 15; break;
		case 0x3cf: g->gc[g->gc_idx] = v; break;
		case 0x3d4: g->crtc_idx = v & 31; break;
		case 0x3d5: g->crtc[g->crtc_idx] = v; break;
		}
		return;
	}
	switch (port) {
	case 0x3c0: v = g->attr_idx; break;
	case 0x3c1: v = g->attr[g->attr_idx & 0x1f]; break;
	case 0x3c4: v = g->seq_idx; break;
	case 0x3c5: v = g->seq[g->seq_idx]; break;
	case 0x3c7: v = 0; break;		/* DAC state */
	case 0x3c8: v = g->dac_widx; break;
	case 0x3c9: v = 0; break;
	case 0x3cc: v = g->misc; break;
	case 0x3ce: v = g->gc_idx; break;
	case 0x3cf: v = g->gc[g->gc_idx]; break;
	case 0x3d4: v = g->crtc_idx; break;
	case 0x3d5: v = g->crtc[g->crtc_idx]; break;
	case 0x3da:		/* input status 1: resets the 0x3c0 flip-flop */
		g->attr_data = false;
		g->retrace = !g->retrace;
		v = g->retrace ? 0x09 : 0x00;	/* vertical retrace, display off */
		break;
	default: v = 0xff;
	}
	*data = v;
}

/* ---- the two 8259A PICs (0x20, 0xa0), masked ---- */

/*
 * Kept so that a PC operating system finds them (Linux probes the mask
 * register by writing and reading it back, and only with a PIC does it
 * give ISA IRQs 0-15 their fixed I/O APIC pins): the initialization words
 * (ICW1-4) and the mask (OCW1) are taken, IRR and ISR read 0, and no
 * interrupt ever comes through them: every device of axvm interrupts
 * through the I/O APIC (8259A datasheet, "Programming the 8259A").
 */
struct pic8259 {
	uint8_t imr;
	uint8_t icw;		/* next initialization word: 2..4, 0 none */
	bool icw4;		/* ICW1 asked for ICW4 */
	bool single;		/* ICW1: no cascade, so no ICW3 */
};

static void pic__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		    unsigned int width, bool is_write, void *priv)
{
	struct pic8259 *p = priv;
	uint8_t v = *data;

	if (!is_write) {
		*data = off ? p->imr : 0;	/* IRR / ISR: nothing pending */
		return;
	}
	if (off == 0) {
		if (v & 0x10) {			/* ICW1 */
			p->imr = 0;
			p->icw = 2;
			p->icw4 = v & 0x01;
			p->single = v & 0x02;
		}
		return;				/* OCW2 (EOI) / OCW3 */
	}
	switch (p->icw) {
	case 2:
		p->icw = p->single ? (p->icw4 ? 4 : 0) : 3;
		break;
	case 3:
		p->icw = p->icw4 ? 4 : 0;
		break;
	case 4:
		p->icw = 0;
		break;
	default:
		p->imr = v;			/* OCW1 */
	}
}

/* ---- MC146818 CMOS clock (0x70 index, 0x71 data) ---- */

/*
 * The real-time clock reads the host's UTC time, in BCD with the 24-hour
 * clock (register B = 0x02), never "update in progress", its battery good
 * (register D bit 7); no alarm, no periodic interrupt.  The other 114
 * bytes of CMOS RAM are kept as written.
 */
struct cmos {
	uint8_t index;
	uint8_t ram[128];
};

static uint8_t bcd(int v)
{
	return (v / 10) << 4 | v % 10;
}

static uint8_t cmos__clock(const struct cmos *c, uint8_t reg)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x0a: return 0x26;		/* 32.768 kHz base, UIP clear */
	case 0x0b: return 0x02;		/* 24 hour, BCD, no interrupts */
	case 0x0c: return 0x00;
	case 0x0d: return 0x80;		/* valid RAM and time */
	case 0x32: return bcd(19 + tm.tm_year / 100);	/* century */
	}
	return c->ram[reg];
}

static void cmos__io(struct axvm_cpu *cpu, uint64_t off, uint64_t *data,
		     unsigned int width, bool is_write, void *priv)
{
	struct cmos *c = priv;
	uint8_t reg = c->index & 0x7f;

	if (off == 0) {		/* bit 7 masks NMIs: nothing to mask here */
		if (is_write)
			c->index = *data;
		else
			*data = 0xff;
		return;
	}
	if (!is_write)
		*data = cmos__clock(c, reg);
	else if (reg > 0x0d && reg != 0x32)
		c->ram[reg] = *data;
}

int x86__legacy_init(struct axvm *vm)
{
	static struct cmos cmos;
	static struct pic8259 pic[2] = { { .imr = 0xff }, { .imr = 0xff } };
	static struct pit pit;
	static struct kbc kbc;
	static struct vga vga = {
		.misc = 0x67,				/* colour, 28 MHz */
		.attr = { [0x10] = 0x0c },		/* text, blink */
		.crtc = { [0x0a] = 0x0d, [0x0b] = 0x0e },	/* cursor */
	};
	int r = 0;

	kbc.cmdbyte = 0x45;	/* translate, system flag, keyboard interrupt */
	r |= ioport__register(0x40, 4, "pit", pit__io, &pit);
	r |= ioport__register(0x61, 1, "port61", port61__io, &pit);
	r |= ioport__register(0x60, 1, "i8042", kbc_data__io, &kbc);
	r |= ioport__register(0x64, 1, "i8042", kbc_cmd__io, &kbc);
	r |= ioport__register(0x3c0, 0x20, "vga", vga__io, &vga);
	r |= ioport__register(0x70, 2, "cmos", cmos__io, &cmos);
	r |= ioport__register(0x20, 2, "pic1", pic__io, &pic[0]);
	r |= ioport__register(0xa0, 2, "pic2", pic__io, &pic[1]);
	return r;
}
