// SPDX-License-Identifier: GPL-2.0
/*
 * The bundled Multiboot guest: prints what the loader handed over (magic,
 * memory, memory map, command line, modules) and what fw_cfg says, then
 * leaves: "exit=N" on the command line writes N to the debug-exit port
 * 0xf4 (axvm exits with (N << 1) | 1); otherwise it powers off through
 * port 0x604.  Runs under QEMU's -kernel as well.
 */
#include <stdint.h>

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};

struct mb_mod {
	uint32_t start, end, string, reserved;
};

struct mb_mmap {
	uint32_t size;
	uint64_t base, len;
	uint32_t type;
} __attribute__((packed));

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc(char c)
{
	if (c == '\n')
		putc('\r');
	while (!(inb(0x3fd) & 0x20))
		;
	outb(0x3f8, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void putu(uint32_t v, unsigned int base)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i)
		putc(buf[--i]);
}

static void putx64(uint64_t v)
{
	puts("0x");
	if (v >> 32) {
		putu(v >> 32, 16);
		for (int s = 28; s >= 0; s -= 4)
			putc("0123456789abcdef"[(v >> s) & 0xf]);
	} else {
		putu((uint32_t)v, 16);
	}
}

/* fw_cfg: select @key, read @n bytes. */
static void fw_cfg_read(uint16_t key, void *buf, int n)
{
	uint8_t *p = buf;

	outw(0x510, key);
	while (n--)
		*p++ = inb(0x511);
}

static const char *find(const char *s, const char *w)
{
	for (; *s; s++) {
		const char *a = s, *b = w;

		while (*b && *a == *b)
			a++, b++;
		if (!*b)
			return a;
	}
	return 0;
}

void mb_main(uint32_t magic, const struct mb_info *mbi)
{
	const char *cmdline = "";
	const char *e;
	char sig[5] = { 0 };
	uint16_t ncpus = 0;
	uint32_t i;

	puts("Hello from the axvm Multiboot guest (32-bit protected mode)\n");
	if (magic != 0x2BADB002) {
		puts("bad boot loader magic 0x");
		putu(magic, 16);
		puts("\n");
		outb(0xf4, 0x7f);
		return;
	}
	puts("multiboot: magic ok, info at ");
	putx64((uint32_t)mbi);
	puts(", flags 0x");
	putu(mbi->flags, 16);
	puts("\n");
	if (mbi->flags & 1) {
		puts("multiboot: mem_lower ");
		putu(mbi->mem_lower, 10);
		puts(" KiB, mem_upper ");
		putu(mbi->mem_upper, 10);
		puts(" KiB\n");
	}
	if (mbi->flags & (1 << 6)) {
		uint32_t a = mbi->mmap_addr;

		while (a < mbi->mmap_addr + mbi->mmap_length) {
			const struct mb_mmap *m = (const void *)a;

			puts("multiboot: mmap ");
			putx64(m->base);
			puts(" + ");
			putx64(m->len);
			puts(m->type == 1 ? " available\n" : " reserved\n");
			a += m->size + 4;
		}
	}
	if (mbi->flags & (1 << 2)) {
		cmdline = (const char *)mbi->cmdline;
		puts("multiboot: cmdline '");
		puts(cmdline);
		puts("'\n");
	}
	if (mbi->flags & (1 << 3)) {
		const struct mb_mod *m = (const void *)mbi->mods_addr;

		puts("multiboot: ");
		putu(mbi->mods_count, 10);
		puts(" module(s)\n");
		for (i = 0; i < mbi->mods_count; i++) {
			puts("multiboot: module ");
			putu(i, 10);
			puts(" at ");
			putx64(m[i].start);
			puts(", ");
			putu(m[i].end - m[i].start, 10);
			puts(" bytes, '");
			puts(m[i].string ? (const char *)m[i].string : "");
			puts("'\n");
		}
	}
	fw_cfg_read(0x0000, sig, 4);
	fw_cfg_read(0x0005, &ncpus, 2);
	puts("fw_cfg: signature '");
	puts(sig);
	puts("', ");
	putu(ncpus, 10);
	puts(" cpu(s)\n");

	e = find(cmdline, "exit=");
	if (e) {
		uint32_t n = 0;

		while (*e >= '0' && *e <= '9')
			n = n * 10 + (*e++ - '0');
		puts("Exiting through the debug-exit port with ");
		putu(n, 10);
		puts("\n");
		outb(0xf4, n);
	}
	puts("Powering off\n");
	outw(0x604, 0x2000);
}
