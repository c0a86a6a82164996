/* SPDX-License-Identifier: GPL-2.0 */
/*
 * axvm_loader - pure parsing of guest images, no I/O and no ioctls, so
 * that the host unit tests (tools/axvm/tests/) can run it anywhere.
 *
 *  - x86: Multiboot (v1) images, ELF (program headers) or a.out-kludge,
 *    and the Multiboot information block the loader hands to them;
 *  - arm64: the Linux arm64 Image header.
 *
 * Every parser returns 0 or a negative errno and, on error, writes one
 * line naming what is wrong into @err (errlen bytes).
 */
#ifndef AXVM_LOADER_H
#define AXVM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define AXVM_MAX_SEGMENTS	16

/**
 * struct axvm_segment - one piece of an image to copy into guest RAM.
 * @paddr: guest-physical destination.
 * @offset: offset of the bytes in the image file.
 * @filesz: bytes copied from the file.
 * @memsz: bytes occupied in guest memory; memsz - filesz are zeroed (.bss).
 */
struct axvm_segment {
	uint64_t paddr;
	uint64_t offset;
	uint64_t filesz;
	uint64_t memsz;
};

/* Multiboot v1 (Multiboot Specification 0.6.96). */
#define MB_HEADER_MAGIC		0x1BADB002U
#define MB_BOOTLOADER_MAGIC	0x2BADB002U
#define MB_SEARCH		8192	/* header within the first 8 KiB */
#define MB_FLAG_PAGE_ALIGN	(1U << 0)	/* modules page aligned */
#define MB_FLAG_MEMORY_INFO	(1U << 1)	/* mem_* and mmap wanted */
#define MB_FLAG_VIDEO_MODE	(1U << 2)	/* video mode (ignored here) */
#define MB_FLAG_AOUT_KLUDGE	(1U << 16)	/* the address fields are valid */

#define MBI_FLAG_MEM		(1U << 0)
#define MBI_FLAG_CMDLINE	(1U << 2)
#define MBI_FLAG_MODS		(1U << 3)
#define MBI_FLAG_MMAP		(1U << 6)
#define MBI_FLAG_LOADER_NAME	(1U << 9)

/* Linux x86 boot protocol (Documentation/arch/x86/boot.rst). */
#define X86_SETUP_MAGIC		0x53726448U	/* "HdrS" at 0x202 */
#define X86_SETUP_HDR		0x1f1		/* setup header in the file */
#define X86_SETUP_MIN_VERSION	0x020a		/* 2.10: init_size, pref_address */
#define X86_BZ_LOAD		0x100000ULL	/* protected-mode code, 32-bit entry */
#define X86_PVH_NOTE		18		/* XEN_ELFNOTE_PHYS32_ENTRY */

/**
 * struct axvm_x86_image - what axvm_x86_image_parse() found.
 * @multiboot: 1 for a Multiboot image, 0 for a flat real-mode binary.
 * @pvh: 1 for an ELF kernel with a PVH entry note (a Linux vmlinux): entered
 *	in 32-bit protected mode, paging off, EBX = struct hvm_start_info.
 * @bzimage: 1 for a Linux bzImage: its protected-mode code at 1 MiB,
 *	entered through the 32-bit boot protocol (ESI = boot_params).
 * @setup_size: bzImage: bytes of the real-mode part (boot sector + setup).
 * @setup_version: bzImage: boot protocol version.
 * @hdr_end: bzImage: end offset of the setup header in the file.
 * @initrd_max: bzImage: highest address an initrd may end at.
 * @cmdline_max: bzImage: longest command line (without the NUL).
 * @entry: guest-physical entry point.
 * @mb_flags: flags word of the Multiboot header.
 * @nseg: number of @seg entries.
 * @seg: what to copy where, sorted by address, never overlapping.
 * @end: first byte above the highest segment.
 */
struct axvm_x86_image {
	int multiboot;
	int pvh;
	int bzimage;
	uint32_t setup_size;
	uint16_t setup_version;
	uint32_t hdr_end;
	uint64_t initrd_max;
	uint32_t cmdline_max;
	uint64_t entry;
	uint32_t mb_flags;
	unsigned int nseg;
	struct axvm_segment seg[AXVM_MAX_SEGMENTS];
	uint64_t end;
};

/**
 * axvm_x86_image_parse - classify and lay out an x86 guest image.
 * @buf: the image file.
 * @len: its size.
 * @flat_entry: load address and entry of a flat binary.
 * @ram_size: guest RAM (from physical 0); every segment must fit.
 * @img: the result.
 * @err: message buffer.
 * @errlen: its size.
 *
 * A Linux bzImage (setup header magic "HdrS", protocol 2.10 or later, a
 * kernel that can be loaded high) has its protected-mode part laid out at
 * 1 MiB with room for its init_size.  An ELF file must carry a Multiboot
 * header or a PVH entry note (else -ENOEXEC): it is laid out by its
 * program headers (PT_LOAD, physical addresses), unless a Multiboot
 * header asks for the a.out kludge.  A file that is not ELF but has a
 * Multiboot header with the a.out kludge is laid out by its address
 * fields.  Anything else is a flat binary copied to @flat_entry.
 *
 * Return: 0, -ENOEXEC (malformed or unbootable), -EFBIG (does not fit in
 * RAM), -EINVAL (overlapping segments).
 */
int axvm_x86_image_parse(const void *buf, size_t len, uint64_t flat_entry,
			 uint64_t ram_size, struct axvm_x86_image *img,
			 char *err, size_t errlen);

/**
 * struct axvm_mb_params - what goes into a Multiboot information block.
 * @ram_size: guest RAM from physical 0.
 * @cmdline: kernel command line, or NULL.
 * @mod_start: guest-physical start of the module (the initrd).
 * @mod_end: its end (exclusive); @mod_end == @mod_start: no module.
 * @mod_string: the module's string, or NULL.
 * @loader_name: boot loader name, or NULL.
 */
struct axvm_mb_params {
	uint64_t ram_size;
	const char *cmdline;
	uint32_t mod_start, mod_end;
	const char *mod_string;
	const char *loader_name;
};

/* Layout of the fixed part of the information block (the spec's offsets). */
struct axvm_mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	uint8_t framebuffer[22];
} __attribute__((packed));

struct axvm_mb_mmap_entry {
	uint32_t size;		/* of the rest: 20 */
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;		/* 1 available, 2 reserved */
} __attribute__((packed));

struct axvm_mb_module {
	uint32_t mod_start, mod_end;
	uint32_t string;
	uint32_t reserved;
} __attribute__((packed));

/**
 * axvm_mb_info_build - write a Multiboot information block.
 * @buf: where the block goes (host view of guest memory at @gpa).
 * @size: bytes available at @buf.
 * @gpa: guest-physical address of @buf (every pointer in the block is one).
 * @p: the contents.
 *
 * Writes the fixed block at @buf, then the memory map, the module list and
 * the strings behind it.  Memory map: [0, 639 KiB) available, the EBDA and
 * the legacy hole [639 KiB, 1 MiB) reserved, [1 MiB, ram_size) available.
 *
 * Return: bytes used, or 0 when @size is too small.
 */
size_t axvm_mb_info_build(void *buf, size_t size, uint32_t gpa,
			  const struct axvm_mb_params *p);

/* The Linux arm64 Image header (Documentation/arch/arm64/booting.rst). */
#define ARM64_IMAGE_MAGIC	0x644d5241U	/* "ARM\x64" */
#define ARM64_IMAGE_HDR_SIZE	64
#define ARM64_FLAT_OFFSET	0x80000ULL

/**
 * struct axvm_arm64_image - what axvm_arm64_image_parse() found.
 * @is_image: 1 for a Linux Image, 0 for a flat binary.
 * @text_offset: load offset from a 2 MiB aligned RAM base.
 * @image_size: bytes the image occupies from there (with its .bss).
 * @flags: the header's flags (bit 0: big endian).
 */
struct axvm_arm64_image {
	int is_image;
	uint64_t text_offset;
	uint64_t image_size;
	uint64_t flags;
};

/**
 * axvm_arm64_image_parse - parse an arm64 kernel: Image header or flat.
 * @buf: the file.
 * @len: its size.
 * @img: the result.
 * @err: message buffer.
 * @errlen: its size.
 *
 * A file with the Image magic is an Image: text_offset and image_size from
 * the header (a zero image_size, pre-3.17 kernels, means text_offset
 * 0x80000 and the file size).  A file larger than its image_size, a big
 * endian Image, or an EFI (PE/COFF) Image whose sections run past the end
 * of the file are refused.  Anything else is a flat binary loaded at
 * RAM + 0x80000.
 *
 * Return: 0, or -ENOEXEC.
 */
int axvm_arm64_image_parse(const void *buf, size_t len,
			   struct axvm_arm64_image *img, char *err,
			   size_t errlen);

#endif /* AXVM_LOADER_H */
