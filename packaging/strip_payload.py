#!/usr/bin/env python3
"""Writes the single file's launcher without its payload.

The image holds the payload unpacked once (in /opt/sky-native, which its
SKY_NATIVE_CACHE_DIR names), so its /usr/bin/sky-native need not carry a
second, compressed copy. The output is the launcher's ELF part followed by
a trailer naming the same build id and an empty payload (offset = the
ELF's size, size 0): the launcher then looks for that build's copy in its
cache roots and never unpacks (see packaged.cc).

usage: strip_payload.py SINGLE_FILE OUT
"""
import os
import struct
import sys

TRAILER_MAGIC = b'SKYNATIVE-PAYLD1'  # payload_trailer.h
TRAILER_SIZE = 96


def main():
    single_file, out = sys.argv[1:3]
    with open(single_file, 'rb') as f:
        data = f.read()
    trailer = data[-TRAILER_SIZE:]
    if len(data) < TRAILER_SIZE or not trailer.startswith(TRAILER_MAGIC):
        sys.exit(f'{single_file}: no payload trailer')
    offset, size = struct.unpack_from('<QQ', trailer, len(TRAILER_MAGIC))
    if offset + size != len(data) - TRAILER_SIZE:
        sys.exit(f'{single_file}: the payload does not end at the trailer')
    build_id = trailer[len(TRAILER_MAGIC) + 16:len(TRAILER_MAGIC) + 16 + 64]
    stripped = TRAILER_MAGIC + struct.pack('<QQ', offset, 0) + build_id
    with open(out, 'wb') as f:
        f.write(data[:offset])
        f.write(stripped.ljust(TRAILER_SIZE, b'\0'))
    os.chmod(out, 0o755)


if __name__ == '__main__':
    main()
