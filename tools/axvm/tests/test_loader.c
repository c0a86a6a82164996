// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of tools/lib/axvm_loader.c: x86 flat/Multiboot images
 * (ELF and a.out kludge), the Multiboot information block, and the arm64
 * Image header.  Images are built in memory.  Prints TAP.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "axvm_loader.h"
#include "tap.h"

#define RAM	(64ULL << 20)

static uint8_t img[0x4000];
static char err[256];

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void mb_header(uint8_t *p, uint32_t flags)
{
	put32(p, MB_HEADER_MAGIC);
	put32(p + 4, flags);
	put32(p + 8, -(MB_HEADER_MAGIC + flags));
}

/*
 * A 32-bit ELF: header, @n program headers at 0x34, Multiboot header at
 * 0x1000 (in the first segment's bytes).
 */
static void elf32(int n, const Elf32_Phdr *ph, uint32_t entry)
{
	Elf32_Ehdr eh;

	memset(img, 0, sizeof(img));
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_386;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf32_Phdr);
	eh.e_phnum = n;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), ph, n * sizeof(*ph));
	mb_header(img + 0x1000, MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO);
}

static Elf32_Phdr load(uint32_t paddr, uint32_t off, uint32_t filesz, uint32_t memsz)
{
	Elf32_Phdr p = { .p_type = PT_LOAD, .p_offset = off, .p_vaddr = paddr,
			 .p_paddr = paddr, .p_filesz = filesz, .p_memsz = memsz };
	return p;
}

static void test_x86(void)
{
	struct axvm_x86_image im;
	Elf32_Phdr ph[3];
	int r;

	/* Flat binary. */
	memset(img, 0x90, 512);
	r = axvm_x86_image_parse(img, 512, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == 0 && !im.multiboot && im.entry == 0x8000 && im.nseg == 1 &&
	   im.seg[0].paddr == 0x8000 && im.seg[0].filesz == 512,
	   "flat binary: loaded and entered at 0x8000");
	r = axvm_x86_image_parse(img, 512, 0x8000, 0x8100, &im, err, sizeof(err));
	ok(r == -EFBIG, "flat binary larger than RAM: -EFBIG (%s)", err);

	/* A good Multiboot ELF: text+data and bss. */
	ph[0] = load(0x100000, 0x1000, 0x800, 0x800);
	ph[1] = load(0x101000, 0x1800, 0x100, 0x2000);
	elf32(2, ph, 0x10000c);
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == 0, "Multiboot ELF parses (%s)", r ? err : "");
	ok(im.multiboot && im.entry == 0x10000c, "entry from e_entry");
	ok(im.nseg == 2 && im.seg[1].paddr == 0x101000 && im.seg[1].filesz == 0x100 &&
	   im.seg[1].memsz == 0x2000, "bss: memsz beyond filesz kept for zeroing");
	ok(im.end == 0x103000, "image end 0x%llx", (unsigned long long)im.end);
	ok(im.mb_flags == (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO), "header flags");

	/* Overlapping segments. */
	ph[1] = load(0x100400, 0x1800, 0x100, 0x100);
	elf32(2, ph, 0x10000c);
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -EINVAL && strstr(err, "overlap"), "overlapping segments: -EINVAL (%s)", err);

	/* Segment past the end of the file. */
	ph[1] = load(0x101000, 0x1800, 0x1000, 0x1000);
	elf32(2, ph, 0x10000c);
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -ENOEXEC && strstr(err, "truncated"), "truncated segment: -ENOEXEC (%s)", err);

	/* filesz > memsz. */
	ph[1] = load(0x101000, 0x1800, 0x200, 0x100);
	elf32(2, ph, 0x10000c);
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -ENOEXEC, "file size above memory size: -ENOEXEC (%s)", err);

	/* Does not fit in RAM. */
	ph[0] = load(0x100000, 0x1000, 0x800, 0x800);
	ph[1] = load(0x4000000, 0x1800, 0x100, 0x100);
	elf32(2, ph, 0x10000c);
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -EFBIG, "segment above RAM: -EFBIG (%s)", err);

	/* Entry outside the image. */
	ph[1] = load(0x101000, 0x1800, 0x100, 0x100);
	elf32(2, ph, 0x200000);
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -ENOEXEC && strstr(err, "entry"), "entry outside the segments (%s)", err);

	/* ELF without a Multiboot header. */
	elf32(2, ph, 0x10000c);
	memset(img + 0x1000, 0, 12);
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -ENOEXEC && strstr(err, "Multiboot"), "ELF without Multiboot header refused (%s)", err);

	/* Bad checksum. */
	elf32(2, ph, 0x10000c);
	put32(img + 0x1008, 0x12345678);
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -ENOEXEC && strstr(err, "checksum"), "bad Multiboot checksum (%s)", err);

	/* Bad ELF: wrong machine, truncated header, phdrs past the end. */
	elf32(2, ph, 0x10000c);
	((Elf32_Ehdr *)img)->e_machine = EM_ARM;
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -ENOEXEC && strstr(err, "machine"), "ELF for another machine (%s)", err);
	elf32(2, ph, 0x10000c);
	r = axvm_x86_image_parse(img, 20, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -ENOEXEC, "truncated ELF header (%s)", err);
	elf32(2, ph, 0x10000c);
	((Elf32_Ehdr *)img)->e_phnum = 400;
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -ENOEXEC && strstr(err, "program headers"), "program headers past the end (%s)", err);

	/* Unsupported required flag. */
	elf32(2, ph, 0x10000c);
	mb_header(img + 0x1000, 0x10);
	r = axvm_x86_image_parse(img, 0x2000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == -ENOEXEC && strstr(err, "flags"), "unknown required header flag (%s)", err);

	/* a.out kludge in a raw binary: header at 0x40, loaded at 1 MiB. */
	memset(img, 0, sizeof(img));
	mb_header(img + 0x40, MB_FLAG_AOUT_KLUDGE);
	put32(img + 0x40 + 12, 0x100040);	/* header_addr */
	put32(img + 0x40 + 16, 0x100000);	/* load_addr */
	put32(img + 0x40 + 20, 0x100800);	/* load_end_addr */
	put32(img + 0x40 + 24, 0x102000);	/* bss_end_addr */
	put32(img + 0x40 + 28, 0x100060);	/* entry_addr */
	r = axvm_x86_image_parse(img, 0x1000, 0x8000, RAM, &im, err, sizeof(err));
	ok(r == 0 && im.multiboot && im.entry == 0x100060 && im.nseg == 1 &&
	   im.seg[0].offset == 0 && im.seg[0].filesz == 0x800 &&
	   im.seg[0].memsz == 0x2000, "a.out kludge (%s)", r ? err : "");
}

static void test_mbi(void)
{
	static uint8_t buf[4096];
	struct axvm_mb_params p = {
		.ram_size = 128 << 20, .cmdline = "console=ttyS0 quiet",
		.mod_start = 0x200000, .mod_end = 0x200100,
		.mod_string = "initrd", .loader_name = "axvm",
	};
	struct axvm_mb_info mbi;
	struct axvm_mb_mmap_entry mm[3];
	struct axvm_mb_module mod;
	size_t n = axvm_mb_info_build(buf, sizeof(buf), 0x1000, &p);

	memcpy(&mbi, buf, sizeof(mbi));
	ok(n > sizeof(mbi), "information block built (%zu bytes)", n);
	ok(mbi.flags == (MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS |
			 MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME), "flags 0x%x", mbi.flags);
	ok(mbi.mem_lower == 639 && mbi.mem_upper == (127 << 10),
	   "mem_lower %u mem_upper %u", mbi.mem_lower, mbi.mem_upper);
	ok(mbi.mmap_length == 3 * 24, "three memory map entries");
	memcpy(mm, buf + (mbi.mmap_addr - 0x1000), sizeof(mm));
	ok(mm[0].size == 20 && mm[0].base_addr == 0 && mm[0].length == 0x9fc00 &&
	   mm[0].type == 1, "mmap[0]: low memory available");
	ok(mm[1].base_addr == 0x9fc00 && mm[1].type == 2, "mmap[1]: legacy hole reserved");
	ok(mm[2].base_addr == 0x100000 && mm[2].length == (127ULL << 20) &&
	   mm[2].type == 1, "mmap[2]: high memory available");
	ok(!strcmp((char *)buf + (mbi.cmdline - 0x1000), "console=ttyS0 quiet"), "cmdline");
	ok(mbi.mods_count == 1, "one module");
	memcpy(&mod, buf + (mbi.mods_addr - 0x1000), sizeof(mod));
	ok(mod.mod_start == 0x200000 && mod.mod_end == 0x200100 &&
	   !strcmp((char *)buf + (mod.string - 0x1000), "initrd"), "module start/end/string");
	ok(!strcmp((char *)buf + (mbi.boot_loader_name - 0x1000), "axvm"), "loader name");
	ok(mbi.cmdline >= 0x1000 && mbi.mmap_addr >= 0x1000, "nothing in page 0");

	p.mod_start = p.mod_end = 0;
	p.cmdline = NULL;
	n = axvm_mb_info_build(buf, sizeof(buf), 0x1000, &p);
	memcpy(&mbi, buf, sizeof(mbi));
	ok(n && mbi.mods_count == 0 && !(mbi.flags & MBI_FLAG_CMDLINE),
	   "no module, no cmdline");
	ok(axvm_mb_info_build(buf, 100, 0x1000, &p) == 0, "too small a buffer: 0");
}

static void image_hdr(uint64_t text_offset, uint64_t size, uint64_t flags)
{
	memset(img, 0, sizeof(img));
	put64(img + 8, text_offset);
	put64(img + 16, size);
	put64(img + 24, flags);
	put32(img + 0x38, ARM64_IMAGE_MAGIC);
}

static void test_arm64(void)
{
	struct axvm_arm64_image im;
	int r;

	image_hdr(0x80000, 0x10000, 0xa);
	r = axvm_arm64_image_parse(img, 0x4000, &im, err, sizeof(err));
	ok(r == 0 && im.is_image && im.text_offset == 0x80000 &&
	   im.image_size == 0x10000, "Image header: text_offset, image_size");
	image_hdr(0, 0x10000, 0xa);
	r = axvm_arm64_image_parse(img, 0x4000, &im, err, sizeof(err));
	ok(r == 0 && im.text_offset == 0, "text_offset 0 (5.10+ kernels)");
	image_hdr(0x80000, 0, 0);
	r = axvm_arm64_image_parse(img, 0x4000, &im, err, sizeof(err));
	ok(r == 0 && im.text_offset == 0x80000 && im.image_size == 0x4000,
	   "image_size 0: old kernel, 0x80000 and the file size");
	image_hdr(0x80000, 0x10000, 1);
	r = axvm_arm64_image_parse(img, 0x4000, &im, err, sizeof(err));
	ok(r == -ENOEXEC, "big-endian Image refused (%s)", err);
	image_hdr(0x80000, 0x1000, 0);
	r = axvm_arm64_image_parse(img, 0x4000, &im, err, sizeof(err));
	ok(r == -ENOEXEC, "file larger than image_size refused (%s)", err);

	/* An EFI Image whose section runs past the end: truncated. */
	image_hdr(0, 0x100000, 0xa);
	img[0] = 'M';
	img[1] = 'Z';
	put32(img + 0x3c, 0x40);
	memcpy(img + 0x40, "PE\0\0", 4);
	img[0x40 + 6] = 1;		/* one section */
	img[0x40 + 20] = 0;		/* no optional header */
	memcpy(img + 0x40 + 24, ".text", 5);
	put32(img + 0x40 + 24 + 16, 0x8000);	/* SizeOfRawData */
	put32(img + 0x40 + 24 + 20, 0x1000);	/* PointerToRawData */
	r = axvm_arm64_image_parse(img, 0x4000, &im, err, sizeof(err));
	ok(r == -ENOEXEC && strstr(err, "truncated"), "truncated EFI Image (%s)", err);
	put32(img + 0x40 + 24 + 16, 0x2000);
	r = axvm_arm64_image_parse(img, 0x4000, &im, err, sizeof(err));
	ok(r == 0, "complete EFI Image accepted");
	r = axvm_arm64_image_parse(img, 40, &im, err, sizeof(err));
	ok(r == -ENOEXEC && strstr(err, "truncated"), "Image cut inside its header (%s)", err);

	memset(img, 0xaa, 300);
	r = axvm_arm64_image_parse(img, 300, &im, err, sizeof(err));
	ok(r == 0 && !im.is_image && im.text_offset == 0x80000 && im.image_size == 300,
	   "flat binary at RAM + 0x80000");
	r = axvm_arm64_image_parse(img, 0, &im, err, sizeof(err));
	ok(r == -ENOEXEC, "empty file refused");
}

int main(void)
{
	test_x86();
	test_mbi();
	test_arm64();
	return tap_done("axvm loader");
}
