// SPDX-License-Identifier: GPL-2.0
/*
 * axvm devices: the port and MMIO ranges devices register, and which
 * device an address belongs to.  The exit is emulated under the device
 * lock by the vcpu's thread (cpu.c).
 */
#include <errno.h>

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

static struct io_claim range__claim(struct io_range *tab, unsigned int n,
				    uint64_t addr)
{
	struct io_range *r = range__find(tab, n, addr);

	if (!r)
		return (struct io_claim){ NULL, 0, NULL };
	return (struct io_claim){ r->fn, addr - r->base, r->priv };
}

struct io_claim ioport__find(uint16_t port)
{
	return range__claim(pio, npio, port);
}

struct io_claim mmio__find(uint64_t addr)
{
	return range__claim(mmio, nmmio, addr);
}
