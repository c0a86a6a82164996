#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mkpvh.py - raw Bochs boot disk that starts a bzImage's vmlinux via PVH.

  mkpvh.py <bzImage> <initramfs.cpio> "<cmdline>" <disk.img> --cache DIR

The bzImage's compressed vmlinux is decompressed here, on the host (in Bochs
the XZ decompressor alone costs ~4.5e9 emulated instructions), and its
PT_LOAD segments are laid out flat.  That flat image and the assembled loader
(pvhboot.S) are cached in DIR, keyed by the bzImage's size and mtime.  The
disk: sector 0 loader + region table, boot data (hvm_start_info v1), flat
kernel, initramfs, padded to whole 16x63 cylinders.  Prints the bochsrc
lines for the disk on stdout.
"""
import argparse, json, lzma, os, struct, subprocess, sys, zlib

BOOTDATA_PA = 0x00f00000
E820BUF = 0x5000
PVH_NOTE = 18           # XEN_ELFNOTE_PHYS32_ENTRY
HERE = os.path.dirname(os.path.abspath(__file__))


def zstd_d(b):
    # zstd has no module in Python 3.11; the payload ends with the kernel's
    # 4-byte size trailer, which zstd would take as a broken frame
    r = subprocess.run(['zstd', '-qdc'], input=b, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        raise ValueError('zstd failed')
    return r.stdout


UNPACK = ((b'\xfd7zXZ\x00', lambda b: lzma.LZMADecompressor().decompress(b)),
          (b'\x1f\x8b\x08', lambda b: zlib.decompressobj(31).decompress(b)),
          (b'\x28\xb5\x2f\xfd', lambda b: zstd_d(b[:-4])))


def vmlinux_of(bz):
    # The setup header says where the compressed vmlinux is (payload_offset,
    # payload_length, relative to the protected-mode code); fall back to a
    # search for the magic numbers.
    setup_sects = bz[0x1f1] or 4
    po, pl = struct.unpack_from('<II', bz, 0x248)
    start = (setup_sects + 1) * 512 + po
    payload = bz[start:start + pl]
    for magic, unpack in UNPACK:
        if payload.startswith(magic):
            try:
                out = unpack(payload)
                if out[:4] == b'\x7fELF':
                    return out
            except Exception as e:
                sys.exit(f"mkpvh: cannot decompress the bzImage payload: {e}")
    for magic, unpack in UNPACK[:2]:
        off = bz.find(magic)
        while off >= 0:
            try:
                out = unpack(bz[off:])
                if out[:4] == b'\x7fELF':
                    return out
            except Exception:
                pass
            off = bz.find(magic, off + 1)
    sys.exit(f"mkpvh: no xz/gzip/zstd-compressed ELF in the bzImage (payload magic {payload[:4].hex()})")


def flatten(elf):
    if elf[4] != 2:
        sys.exit("mkpvh: vmlinux is not ELF64")
    phoff, = struct.unpack_from('<Q', elf, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', elf, 0x36)
    loads, entry, mem_end = [], None, 0
    for i in range(phnum):
        typ, _, off, _, paddr, filesz, memsz, _ = struct.unpack_from('<IIQQQQQQ', elf, phoff + i * phentsize)
        if typ == 1:
            loads.append((paddr, elf[off:off + filesz]))
            mem_end = max(mem_end, paddr + memsz)
        elif typ == 4:
            n, o = elf[off:off + filesz], 0
            while o + 12 <= len(n):
                namesz, descsz, ntype = struct.unpack_from('<III', n, o)
                d = o + 12 + ((namesz + 3) & ~3)
                if n[o + 12:o + 12 + namesz].rstrip(b'\0') == b'Xen' and ntype == PVH_NOTE:
                    entry, = struct.unpack_from('<I', n, d)
                o = d + ((descsz + 3) & ~3)
    if entry is None:
        sys.exit("mkpvh: kernel has no PVH entry note (needs CONFIG_PVH=y)")
    base = min(p for p, _ in loads)
    img = bytearray(max(p + len(d) for p, d in loads) - base)
    for p, d in loads:
        img[p - base:p - base + len(d)] = d
    img = img.rstrip(b'\0')          # bss/brk: Bochs RAM starts zeroed
    img += b'\0' * (-len(img) % 4096)
    return bytes(img), {'base': base, 'entry': entry, 'mem_end': mem_end}


def cached_kernel(bzimage, cache):
    st = os.stat(bzimage)
    key = f"{st.st_size}-{int(st.st_mtime)}"
    meta_f, flat_f = os.path.join(cache, 'kernel.json'), os.path.join(cache, 'kernel.flat')
    try:
        meta = json.load(open(meta_f))
        if meta.get('key') == key and os.path.getsize(flat_f) == meta['size']:
            return open(flat_f, 'rb').read(), meta
    except (OSError, ValueError, KeyError):
        pass
    img, meta = flatten(vmlinux_of(open(bzimage, 'rb').read()))
    meta.update(key=key, size=len(img))
    open(flat_f + '.tmp', 'wb').write(img)
    os.replace(flat_f + '.tmp', flat_f)
    json.dump(meta, open(meta_f + '.tmp', 'w'))
    os.replace(meta_f + '.tmp', meta_f)
    return img, meta


def loader(cache):
    src = os.path.join(HERE, 'pvhboot.S')
    out = os.path.join(cache, 'pvhboot.bin')
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        subprocess.check_call(['gcc', '-m32', '-c', '-o', out + '.o', src])
        subprocess.check_call(['ld', '-m', 'elf_i386', '-Ttext', '0x7c00', '--oformat', 'binary',
                               '-o', out + '.tmp', out + '.o'])
        os.replace(out + '.tmp', out)
    bs = bytearray(open(out, 'rb').read())
    assert len(bs) == 512 and bs[510:] == b'\x55\xaa', "pvhboot.bin is not a boot sector"
    return bs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('bzimage'); ap.add_argument('initrd'); ap.add_argument('cmdline'); ap.add_argument('disk')
    ap.add_argument('--cache', required=True)
    a = ap.parse_args()
    os.makedirs(a.cache, exist_ok=True)
    img, meta = cached_kernel(a.bzimage, a.cache)
    bs = loader(a.cache)
    rd = open(a.initrd, 'rb').read()
    initrd_pa = (meta['mem_end'] + (3 << 20) - 1) & ~((2 << 20) - 1)
    assert BOOTDATA_PA + 0x1000 <= meta['base']

    bd = bytearray(0x1000)
    # struct hvm_start_info v1: magic version flags nr_modules modlist cmdline rsdp memmap entries
    struct.pack_into('<IIIIQQQQII', bd, 0, 0x336ec578, 1, 0, 1,
                     BOOTDATA_PA + 0x100, BOOTDATA_PA + 0x200, 0, E820BUF, 0, 0)
    struct.pack_into('<I', bd, 0x40, meta['entry'])
    struct.pack_into('<QQQQ', bd, 0x100, initrd_pa, len(rd), 0, 0)     # hvm_modlist_entry
    c = a.cmdline.encode() + b'\0'
    if len(c) > 0xe00:
        sys.exit("mkpvh: command line too long")
    bd[0x200:0x200 + len(c)] = c

    tmp = a.disk + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(b'\0' * 512)
        lba, regions = 1, []
        for data, dest in ((bytes(bd), BOOTDATA_PA), (img, meta['base']), (rd, initrd_pa)):
            pad = -len(data) % 512
            regions.append((lba, (len(data) + pad) // 512, dest))
            f.write(data); f.write(b'\0' * pad)
            lba += (len(data) + pad) // 512
        for i, r in enumerate(regions):
            struct.pack_into('<III', bs, 0x1c0 + 12 * i, *r)
        cyl = 16 * 63
        ncyl = (lba + cyl - 1) // cyl
        f.truncate(ncyl * cyl * 512)
        f.seek(0); f.write(bs)
    os.replace(tmp, a.disk)
    need = (initrd_pa + len(rd)) >> 20
    print("ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14")
    print(f"ata0-master: type=disk, path={os.path.abspath(a.disk)}, mode=flat, cylinders={ncyl}, heads=16, spt=63")
    print("boot: disk")
    print(f"# guest RAM needed: > {need} MiB; PVH entry 0x{meta['entry']:x}", file=sys.stderr)


if __name__ == '__main__':
    main()
