#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""extract-vmlinux.py <bzImage> <out> - the ELF vmlinux inside a bzImage.

Written compact: program headers and segments only (no sections or
symbols), each PT_LOAD's trailing zeros moved from the file into its
memory size (.bss), PT_NOTEs kept inside their segments.

axvm boots an x86 vmlinux through its PVH entry (no decompression in the
guest: in Bochs the XZ decompressor alone costs ~4.5e9 emulated
instructions); this writes the kernel the bzImage carries, decompressed
on the host as mkpvh.py does for the rig's own boot.
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkpvh import vmlinux_of  # noqa: E402
import struct  # noqa: E402

PH = '<IIQQQQQQ'


def compact(elf):
    if elf[:4] != b'\x7fELF' or elf[4] != 2:
        sys.exit("extract-vmlinux: not an ELF64 vmlinux")
    phoff, = struct.unpack_from('<Q', elf, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', elf, 0x36)
    phs = [list(struct.unpack_from(PH, elf, phoff + i * phentsize)) for i in range(phnum)]
    out = bytearray(elf[:64])
    struct.pack_into('<Q', out, 0x20, 64)           # e_phoff
    struct.pack_into('<Q', out, 0x28, 0)            # e_shoff
    struct.pack_into('<HHHH', out, 0x36, phentsize, phnum, 0, 0)
    out += bytes(phentsize * phnum)
    moved = []                                       # (old off, old end, new off)
    for ph in phs:
        if ph[0] != 1:
            continue
        data = elf[ph[2]:ph[2] + ph[5]].rstrip(b'\0')
        new = (len(out) + 0xfff) & ~0xfff
        out += bytes(new - len(out)) + data
        moved.append((ph[2], ph[2] + ph[5], new))
        ph[2], ph[5] = new, len(data)
    for ph in phs:
        if ph[0] == 1:
            continue
        for old, end, new in moved:
            if old <= ph[2] and ph[2] + ph[5] <= end:
                ph[2] = new + ph[2] - old
                break
        else:
            ph[2], ph[5] = 0, 0
    for i, ph in enumerate(phs):
        struct.pack_into(PH, out, 64 + i * phentsize, *ph)
    return bytes(out)


if len(sys.argv) != 3:
    sys.exit(__doc__.strip().splitlines()[0])
elf = compact(vmlinux_of(open(sys.argv[1], 'rb').read()))
tmp = sys.argv[2] + '.tmp'
open(tmp, 'wb').write(elf)
os.replace(tmp, sys.argv[2])
