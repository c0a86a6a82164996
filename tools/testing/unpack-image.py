#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""unpack-image.py <vmlinuz> <Image> - the uncompressed arm64 Image that
QEMU's -kernel boots, from Debian's arm64 vmlinuz: already an Image (6.1),
gzip-compressed, or an EFI zboot image (MZ ... "zimg", gzip/zstd payload).
"""
import gzip, struct, subprocess, sys

ARM64_MAGIC = b'ARM\x64'


def unpack(b):
    if b[0x38:0x3c] == ARM64_MAGIC:
        return b
    if b[:2] == b'\x1f\x8b':
        return unpack(gzip.decompress(b))
    if b[:2] == b'MZ' and b[4:8] == b'zimg':
        off, size = struct.unpack_from('<II', b, 8)
        comp = b[24:32].rstrip(b'\0').decode()
        payload = b[off:off + size]
        if comp == 'gzip':
            return unpack(gzip.decompress(payload))
        if comp in ('zstd', 'zstd22'):
            return unpack(subprocess.run(['zstd', '-qdc'], input=payload, stdout=subprocess.PIPE,
                                         check=True).stdout)
        sys.exit(f"unpack-image: zboot payload compressed with {comp!r}, not handled")
    sys.exit("unpack-image: not an arm64 Image, gzip or EFI zboot image")


img = unpack(open(sys.argv[1], 'rb').read())
with open(sys.argv[2] + '.tmp', 'wb') as f:
    f.write(img)
import os
os.replace(sys.argv[2] + '.tmp', sys.argv[2])
