// SPDX-License-Identifier: GPL-2.0
/*
 * axvm_loader - pure parsing of guest images.  See axvm_loader.h.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axvm_loader.h"

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static uint32_t get32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* ---- x86: Multiboot ---- */

/* Offset of a valid Multiboot header in the first 8 KiB, or -1. */
static long mb_find_header(const uint8_t *buf, size_t len)
{
	size_t off, lim = len < MB_SEARCH ? len : MB_SEARCH;

	for (off = 0; off + 12 <= lim; off += 4) {
		uint32_t magic = get32(buf + off);
		uint32_t flags = get32(buf + off + 4);
		uint32_t sum = get32(buf + off + 8);

		if (magic == MB_HEADER_MAGIC && magic + flags + sum == 0)
			return off;
	}
	return -1;
}

/* Has a header with the right magic but a wrong checksum? */
static int mb_bad_checksum(const uint8_t *buf, size_t len)
{
	size_t off, lim = len < MB_SEARCH ? len : MB_SEARCH;

	for (off = 0; off + 12 <= lim; off += 4)
		if (get32(buf + off) == MB_HEADER_MAGIC)
			return 1;
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct axvm_segment *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* Sort, then check for overlap and RAM size; fills img->end. */
static int check_segments(struct axvm_x86_image *img, uint64_t ram_size,
			  char *err, size_t errlen)
{
	unsigned int i;

	if (!img->nseg)
		return fail(err, errlen, -ENOEXEC, "no loadable segment");
	qsort(img->seg, img->nseg, sizeof(img->seg[0]), seg_cmp);
	img->end = 0;
	for (i = 0; i < img->nseg; i++) {
		const struct axvm_segment *s = &img->seg[i];
		uint64_t end = s->paddr + s->memsz;

		if (end < s->paddr)
			return fail(err, errlen, -ENOEXEC,
				    "segment at 0x%llx wraps around",
				    (unsigned long long)s->paddr);
		if (end > ram_size)
			return fail(err, errlen, -EFBIG,
				    "segment [0x%llx, 0x%llx) does not fit in %llu MiB of RAM",
				    (unsigned long long)s->paddr,
				    (unsigned long long)end,
				    (unsigned long long)(ram_size >> 20));
		if (i && s->paddr < img->seg[i - 1].paddr + img->seg[i - 1].memsz)
			return fail(err, errlen, -EINVAL,
				    "segments overlap at 0x%llx",
				    (unsigned long long)s->paddr);
		if (end > img->end)
			img->end = end;
	}
	return 0;
}

static int add_segment(struct axvm_x86_image *img, uint64_t paddr,
		       uint64_t offset, uint64_t filesz, uint64_t memsz,
		       size_t len, char *err, size_t errlen)
{
	struct axvm_segment *s;

	if (filesz > memsz)
		return fail(err, errlen, -ENOEXEC,
			    "segment at 0x%llx: file size above memory size",
			    (unsigned long long)paddr);
	if (offset > len || filesz > len - offset)
		return fail(err, errlen, -ENOEXEC,
			    "segment at 0x%llx runs past the end of the file (truncated?)",
			    (unsigned long long)paddr);
	if (!memsz)
		return 0;
	if (img->nseg == AXVM_MAX_SEGMENTS)
		return fail(err, errlen, -ENOEXEC, "more than %d segments",
			    AXVM_MAX_SEGMENTS);
	s = &img->seg[img->nseg++];
	s->paddr = paddr;
	s->offset = offset;
	s->filesz = filesz;
	s->memsz = memsz;
	return 0;
}

/*
 * The PVH entry: an ELF note named "Xen" of type XEN_ELFNOTE_PHYS32_ENTRY
 * whose descriptor is the 32-bit physical entry point (Xen's
 * include/public/elfnote.h; Linux's arch/x86/platform/pvh/head.S).
 */
static void find_pvh_note(const uint8_t *n, uint64_t len,
			  struct axvm_x86_image *img)
{
	uint64_t o = 0;

	while (o + 12 <= len) {
		uint32_t namesz = get32(n + o), descsz = get32(n + o + 4);
		uint32_t type = get32(n + o + 8);
		uint64_t name = o + 12, desc = name + ((namesz + 3ULL) & ~3ULL);

		if (desc > len || descsz > len - desc)
			return;
		if (type == X86_PVH_NOTE && namesz == 4 &&
		    !memcmp(n + name, "Xen", 4) && (descsz == 4 || descsz == 8)) {
			img->pvh = 1;
			img->entry = get32(n + desc);
			return;
		}
		o = desc + ((descsz + 3ULL) & ~3ULL);
	}
}

/*
 * A bzImage: the setup header (boot.rst, "The real-mode kernel header")
 * says how big the real-mode part is and how much memory the kernel needs
 * from where it is loaded while it decompresses itself (init_size).
 */
static int parse_bzimage(const uint8_t *b, size_t len,
			 struct axvm_x86_image *img, char *err, size_t errlen)
{
	uint32_t sects = b[0x1f1] ? b[0x1f1] : 4, init_size, pm;

	img->setup_version = b[0x206] | b[0x207] << 8;
	if (img->setup_version < X86_SETUP_MIN_VERSION)
		return fail(err, errlen, -ENOEXEC,
			    "bzImage: boot protocol %u.%02u, axvm needs 2.10 or later",
			    img->setup_version >> 8, img->setup_version & 0xff);
	if (!(b[0x211] & 1))
		return fail(err, errlen, -ENOEXEC,
			    "bzImage: not a high-loaded kernel (zImage)");
	img->setup_size = (sects + 1) * 512;
	img->hdr_end = 0x202 + b[0x201];
	if (img->setup_size >= len || img->hdr_end > img->setup_size)
		return fail(err, errlen, -ENOEXEC, "bzImage: truncated");
	pm = len - img->setup_size;
	init_size = get32(b + 0x260);
	img->initrd_max = get32(b + 0x22c);
	img->cmdline_max = get32(b + 0x238);
	img->bzimage = 1;
	img->entry = X86_BZ_LOAD;
	return add_segment(img, X86_BZ_LOAD, img->setup_size, pm,
			   init_size > pm ? init_size : pm, len, err, errlen);
}

static int parse_elf(const uint8_t *buf, size_t len, struct axvm_x86_image *img,
		     char *err, size_t errlen)
{
	int is64 = buf[EI_CLASS] == ELFCLASS64;
	uint64_t phoff, i;
	unsigned int phnum, phentsize, machine, type;
	int ret;

	if (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, -ENOEXEC, "ELF: bad class %u", buf[EI_CLASS]);
	if (buf[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, -ENOEXEC, "ELF: not little endian");
	if (len < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return fail(err, errlen, -ENOEXEC, "ELF: truncated header");
	if (is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		machine = eh.e_machine;
		type = eh.e_type;
		img->entry = eh.e_entry;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize != sizeof(Elf64_Phdr))
			return fail(err, errlen, -ENOEXEC, "ELF: bad program header size");
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		machine = eh.e_machine;
		type = eh.e_type;
		img->entry = eh.e_entry;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize != sizeof(Elf32_Phdr))
			return fail(err, errlen, -ENOEXEC, "ELF: bad program header size");
	}
	if (machine != EM_386 && machine != EM_X86_64)
		return fail(err, errlen, -ENOEXEC,
			    "ELF: machine %u is not x86", machine);
	if (type != ET_EXEC)
		return fail(err, errlen, -ENOEXEC, "ELF: not an executable (type %u)", type);
	if (!phnum || phoff > len || (uint64_t)phnum * phentsize > len - phoff)
		return fail(err, errlen, -ENOEXEC,
			    "ELF: program headers missing or past the end of the file");
	for (i = 0; i < phnum; i++) {
		const uint8_t *p = buf + phoff + i * phentsize;
		uint64_t paddr, off, filesz, memsz;

		uint32_t ptype;

		if (is64) {
			Elf64_Phdr ph;

			memcpy(&ph, p, sizeof(ph));
			ptype = ph.p_type;
			paddr = ph.p_paddr, off = ph.p_offset;
			filesz = ph.p_filesz, memsz = ph.p_memsz;
		} else {
			Elf32_Phdr ph;

			memcpy(&ph, p, sizeof(ph));
			ptype = ph.p_type;
			paddr = ph.p_paddr, off = ph.p_offset;
			filesz = ph.p_filesz, memsz = ph.p_memsz;
		}
		if (ptype == PT_NOTE && !img->multiboot && off <= len && filesz <= len - off)
			find_pvh_note(buf + off, filesz, img);
		if (ptype != PT_LOAD)
			continue;
		ret = add_segment(img, paddr, off, filesz, memsz, len, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* The a.out kludge: the header's own address fields say where things go. */
static int parse_aout_kludge(const uint8_t *buf, size_t len, long hdr,
			     struct axvm_x86_image *img, char *err, size_t errlen)
{
	uint32_t header_addr, load_addr, load_end, bss_end;
	uint64_t off, filesz, memsz;

	if ((size_t)hdr + 32 > len)
		return fail(err, errlen, -ENOEXEC, "Multiboot: header truncated");
	header_addr = get32(buf + hdr + 12);
	load_addr = get32(buf + hdr + 16);
	load_end = get32(buf + hdr + 20);
	bss_end = get32(buf + hdr + 24);
	img->entry = get32(buf + hdr + 28);
	if (load_addr > header_addr || header_addr - load_addr > (uint32_t)hdr)
		return fail(err, errlen, -ENOEXEC,
			    "Multiboot: load_addr 0x%x above header_addr 0x%x",
			    load_addr, header_addr);
	off = hdr - (header_addr - load_addr);
	filesz = load_end ? (uint64_t)load_end - load_addr : len - off;
	if (load_end && load_end < load_addr)
		return fail(err, errlen, -ENOEXEC, "Multiboot: load_end_addr below load_addr");
	memsz = bss_end ? (uint64_t)bss_end - load_addr : filesz;
	if (bss_end && bss_end < load_addr + filesz)
		return fail(err, errlen, -ENOEXEC, "Multiboot: bss_end_addr below load_end_addr");
	return add_segment(img, load_addr, off, filesz, memsz, len, err, errlen);
}

int axvm_x86_image_parse(const void *buf, size_t len, uint64_t flat_entry,
			 uint64_t ram_size, struct axvm_x86_image *img,
			 char *err, size_t errlen)
{
	const uint8_t *b = buf;
	int is_elf = len >= 4 && !memcmp(b, ELFMAG, SELFMAG);
	long hdr = mb_find_header(b, len);
	int ret;

	memset(img, 0, sizeof(*img));
	if (!len)
		return fail(err, errlen, -ENOEXEC, "empty file");
	if (len > 0x264 && get32(b + 0x202) == X86_SETUP_MAGIC) {
		ret = parse_bzimage(b, len, img, err, errlen);
		return ret ? ret : check_segments(img, ram_size, err, errlen);
	}
	if (hdr < 0 && mb_bad_checksum(b, len))
		return fail(err, errlen, -ENOEXEC,
			    "Multiboot header with a bad checksum");
	if (hdr >= 0) {
		img->multiboot = 1;
		img->mb_flags = get32(b + hdr + 4);
		if (img->mb_flags & 0xfff8)
			return fail(err, errlen, -ENOEXEC,
				    "Multiboot: unsupported required flags 0x%x",
				    img->mb_flags & 0xffff);
		if (img->mb_flags & MB_FLAG_AOUT_KLUDGE)
			ret = parse_aout_kludge(b, len, hdr, img, err, errlen);
		else if (is_elf)
			ret = parse_elf(b, len, img, err, errlen);
		else
			return fail(err, errlen, -ENOEXEC,
				    "Multiboot header without the a.out kludge in a non-ELF file");
		if (ret)
			return ret;
		if (img->entry > 0xffffffffULL)
			return fail(err, errlen, -ENOEXEC,
				    "Multiboot: entry 0x%llx above 4 GiB",
				    (unsigned long long)img->entry);
	} else if (is_elf) {
		ret = parse_elf(b, len, img, err, errlen);
		if (ret)
			return ret;
		if (!img->pvh)
			return fail(err, errlen, -ENOEXEC,
				    "ELF without a Multiboot header in its first 8 KiB or a PVH entry note: not bootable by axvm");
	} else {
		img->entry = flat_entry;
		ret = add_segment(img, flat_entry, 0, len, len, len, err, errlen);
		if (ret)
			return ret;
	}
	ret = check_segments(img, ram_size, err, errlen);
	if (ret)
		return ret;
	if (img->multiboot || img->pvh) {
		unsigned int i;

		for (i = 0; i < img->nseg; i++)
			if (img->entry >= img->seg[i].paddr &&
			    img->entry < img->seg[i].paddr + img->seg[i].memsz)
				return 0;
		return fail(err, errlen, -ENOEXEC,
			    "entry 0x%llx is outside every loaded segment",
			    (unsigned long long)img->entry);
	}
	return 0;
}

/* ---- x86: the Multiboot information block ---- */

#define EBDA_START	0x9fc00ULL	/* 639 KiB */
#define HIGH_START	0x100000ULL

static void put_mmap(struct axvm_mb_mmap_entry *e, uint64_t base,
		     uint64_t length, uint32_t type)
{
	e->size = sizeof(*e) - 4;
	e->base_addr = base;
	e->length = length;
	e->type = type;
}

/* Copy string @s to @buf at @*pos; its guest address, or 0 when full. */
static uint32_t put_str(uint8_t *buf, size_t size, size_t *pos, uint32_t gpa,
			const char *s)
{
	size_t n = strlen(s) + 1;
	uint32_t at = gpa + *pos;

	if (*pos + n > size)
		return 0;
	memcpy(buf + *pos, s, n);
	*pos += n;
	return at;
}

size_t axvm_mb_info_build(void *buf, size_t size, uint32_t gpa,
			  const struct axvm_mb_params *p)
{
	uint8_t *b = buf;
	struct axvm_mb_info mbi;
	struct axvm_mb_mmap_entry mm[3];
	struct axvm_mb_module mod;
	size_t pos = 0;
	int nmm = 0;
	uint64_t low = p->ram_size < EBDA_START ? p->ram_size : EBDA_START;

	memset(&mbi, 0, sizeof(mbi));
	pos = (sizeof(mbi) + 7) & ~7UL;
	if (pos > size)
		return 0;

	mbi.flags = MBI_FLAG_MEM | MBI_FLAG_MMAP;
	mbi.mem_lower = low >> 10;
	if (p->ram_size > HIGH_START) {
		uint64_t upper = (p->ram_size - HIGH_START) >> 10;

		mbi.mem_upper = upper > 0xffffffffULL ? 0xffffffff : upper;
	}

	put_mmap(&mm[nmm++], 0, low, 1);
	if (p->ram_size > EBDA_START)
		put_mmap(&mm[nmm++], EBDA_START, HIGH_START - EBDA_START, 2);
	if (p->ram_size > HIGH_START)
		put_mmap(&mm[nmm++], HIGH_START, p->ram_size - HIGH_START, 1);
	if (pos + sizeof(mm[0]) * nmm > size)
		return 0;
	memcpy(b + pos, mm, sizeof(mm[0]) * nmm);
	mbi.mmap_addr = gpa + pos;
	mbi.mmap_length = sizeof(mm[0]) * nmm;
	pos += sizeof(mm[0]) * nmm;

	if (p->mod_end > p->mod_start) {
		size_t modpos = pos;

		pos += sizeof(mod);
		if (pos > size)
			return 0;
		memset(&mod, 0, sizeof(mod));
		mod.mod_start = p->mod_start;
		mod.mod_end = p->mod_end;
		if (p->mod_string) {
			mod.string = put_str(b, size, &pos, gpa, p->mod_string);
			if (!mod.string)
				return 0;
		}
		memcpy(b + modpos, &mod, sizeof(mod));
		mbi.mods_count = 1;
		mbi.mods_addr = gpa + modpos;
	}
	/* MODS with mods_count 0 tells the kernel "no modules", explicitly. */
	mbi.flags |= MBI_FLAG_MODS;

	if (p->cmdline) {
		mbi.cmdline = put_str(b, size, &pos, gpa, p->cmdline);
		if (!mbi.cmdline)
			return 0;
		mbi.flags |= MBI_FLAG_CMDLINE;
	}
	if (p->loader_name) {
		mbi.boot_loader_name = put_str(b, size, &pos, gpa, p->loader_name);
		if (!mbi.boot_loader_name)
			return 0;
		mbi.flags |= MBI_FLAG_LOADER_NAME;
	}
	memcpy(b, &mbi, sizeof(mbi));
	return pos;
}

/* ---- arm64: the Image header ---- */

/* EFI-stub Images are PE/COFF too: their sections must be in the file. */
static int check_pe(const uint8_t *b, size_t len, char *err, size_t errlen)
{
	uint32_t pe = get32(b + 0x3c);
	unsigned int nsec, optsz, i;
	const uint8_t *sec;

	if (b[0] != 'M' || b[1] != 'Z' || pe < 64 || pe > len ||
	    len - pe < 24 || memcmp(b + pe, "PE\0\0", 4))
		return 0;	/* not an EFI Image: nothing more to check */
	nsec = b[pe + 6] | b[pe + 7] << 8;
	optsz = b[pe + 20] | b[pe + 21] << 8;
	sec = b + pe + 24 + optsz;
	if ((size_t)(sec - b) + (size_t)nsec * 40 > len)
		return fail(err, errlen, -ENOEXEC,
			    "Image truncated: PE section table past the end of the file");
	for (i = 0; i < nsec; i++) {
		uint32_t rawsz = get32(sec + i * 40 + 16);
		uint32_t rawptr = get32(sec + i * 40 + 20);

		if ((uint64_t)rawptr + rawsz > len)
			return fail(err, errlen, -ENOEXEC,
				    "Image truncated: section %.8s ends at %llu, the file at %zu",
				    (const char *)(sec + i * 40),
				    (unsigned long long)rawptr + rawsz, len);
	}
	return 0;
}

int axvm_arm64_image_parse(const void *buf, size_t len,
			   struct axvm_arm64_image *img, char *err,
			   size_t errlen)
{
	const uint8_t *b = buf;

	memset(img, 0, sizeof(*img));
	if (!len)
		return fail(err, errlen, -ENOEXEC, "empty file");
	if (len < ARM64_IMAGE_HDR_SIZE) {
		if (len >= 2 && b[0] == 'M' && b[1] == 'Z')
			return fail(err, errlen, -ENOEXEC,
				    "Image truncated: %zu bytes, shorter than its 64-byte header", len);
		img->text_offset = ARM64_FLAT_OFFSET;
		img->image_size = len;
		return 0;
	}
	if (get32(b + 0x38) != ARM64_IMAGE_MAGIC) {
		img->text_offset = ARM64_FLAT_OFFSET;
		img->image_size = len;
		return 0;
	}
	img->is_image = 1;
	img->text_offset = get64(b + 8);
	img->image_size = get64(b + 16);
	img->flags = get64(b + 24);
	if (!img->image_size) {
		img->text_offset = ARM64_FLAT_OFFSET;
		img->image_size = len;
	}
	if (img->flags & 1)
		return fail(err, errlen, -ENOEXEC, "big-endian Image: not supported");
	if (img->text_offset & 0xfff)
		return fail(err, errlen, -ENOEXEC,
			    "Image text_offset 0x%llx not page aligned",
			    (unsigned long long)img->text_offset);
	if (img->text_offset >= (1ULL << 30) || img->image_size >= (1ULL << 40))
		return fail(err, errlen, -ENOEXEC,
			    "Image header: implausible text_offset 0x%llx / image_size 0x%llx",
			    (unsigned long long)img->text_offset,
			    (unsigned long long)img->image_size);
	if (len > img->image_size)
		return fail(err, errlen, -ENOEXEC,
			    "Image file (%zu bytes) larger than its image_size (%llu): corrupt header",
			    len, (unsigned long long)img->image_size);
	return check_pe(b, len, err, errlen);
}
