#!/usr/bin/env python3
"""Writes the uncompressed form of an initramfs image as the kernel reads it.

usage: uncpio.py IN OUT

An initramfs is a sequence of newc archives, each either plain or compressed
(dracut writes an uncompressed early archive for CPU microcode, then the
compressed main one). Plain archives are copied up to and including their
TRAILER!!! entry (zero padding between archives is dropped); a compressed
member is decompressed with the matching tool and the result is scanned the
same way. Used by scripts/bench to measure every initrd in the same form.
"""
import subprocess
import sys

MAGICS = {
    b"\x1f\x8b": ["gzip", "-dc"],
    b"\x28\xb5\x2f\xfd": ["zstd", "-dcq"],
    b"\xfd7zXZ\x00": ["xz", "-dc"],
    b"\x02\x21\x4c\x18": ["lz4", "-dc"],
    b"BZh": ["bzip2", "-dc"],
}


def newc_end(data, off):
    """Offset just past the TRAILER!!! entry of the newc archive at off."""
    while True:
        if data[off:off + 6] not in (b"070701", b"070702"):
            raise SystemExit(f"bad newc header at {off}")
        fields = [int(data[off + 6 + 8 * i: off + 14 + 8 * i], 16) for i in range(13)]
        filesize, namesize = fields[6], fields[11]
        name = data[off + 110: off + 110 + namesize - 1]
        off = (off + 110 + namesize + 3) & ~3
        off = (off + filesize + 3) & ~3
        if name == b"TRAILER!!!":
            return off


def unpack(data, out):
    off = 0
    while off < len(data):
        if data[off] == 0:
            off += 1
            continue
        if data[off:off + 6] in (b"070701", b"070702"):
            end = newc_end(data, off)
            out.append(data[off:end])
            off = end
            continue
        for magic, cmd in MAGICS.items():
            if data.startswith(magic, off):
                # The decompressor stops at the end of its stream or reads to the end.
                res = subprocess.run(cmd, input=data[off:], capture_output=True)
                if not res.stdout:
                    raise SystemExit(f"{cmd[0]} failed: {res.stderr.decode(errors='replace')[:200]}")
                unpack(res.stdout, out)
                return
        raise SystemExit(f"unknown data at offset {off}: {data[off:off + 8].hex()}")


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    parts = []
    unpack(data, parts)
    with open(sys.argv[2], "wb") as f:
        for p in parts:
            f.write(p)


if __name__ == "__main__":
    main()
