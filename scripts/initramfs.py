#!/usr/bin/env python3
"""Reads an initramfs the way the kernel does: a sequence of segments, each a plain
newc cpio archive ("070701"/"070702", e.g. the early microcode archive dracut and
initramfs-tools put first) or a compressed blob of cpio archives (gzip, bzip2, xz,
zstd, lz4 legacy format as "lz4 -l" writes it), with zero padding between them
(Documentation/driver-api/early-userspace/buffer-format.rst).

usage: initramfs.py split INITRD OUTDIR
           writes each cpio archive as OUTDIR/NNN.cpio, in order, and prints one
           line per segment: "OFFSET KIND IN-BYTES -> N archive(s)"
       initramfs.py uncompress INITRD OUT
           writes all archives, uncompressed, one after the other (zero padding
           dropped): the initrd in the form the kernel unpacks, for measuring

gzip, bzip2 and xz are decompressed here (Python reports where the stream ends);
zstd and lz4 by walking their frame structure to the stream's end, each piped
through the real tool (Debian packages zstd, lz4). Used by scripts/mkddi-from-initrd
and scripts/bench.
"""
import bz2
import lzma
import os
import subprocess
import sys
import zlib

NEWC = (b"070701", b"070702")


class Bad(Exception):
    """The data is not an initramfs the kernel would read."""


def cpio_end(buf, pos):
    """End offset (after the trailer, 4-aligned) of the newc archive at pos."""
    while True:
        h = buf[pos:pos + 110]
        if len(h) < 110 or h[:6] not in NEWC:
            raise Bad("bad cpio header at byte %d" % pos)
        try:
            fsize = int(h[54:62], 16)
            nsize = int(h[94:102], 16)
        except ValueError:
            raise Bad("bad cpio header fields at byte %d" % pos) from None
        name = buf[pos + 110:pos + 110 + nsize - 1]
        pos = (pos + 110 + nsize + 3) & ~3
        pos = (pos + fsize + 3) & ~3
        if pos > len(buf):
            raise Bad("cpio archive truncated (%r)" % name)
        if name == b"TRAILER!!!":
            return pos


def archives(buf):
    """The cpio archives of a decompressed (or plain) stream, as byte strings."""
    pos, found = 0, []
    while pos < len(buf):
        if buf[pos] == 0:
            pos += 1
            continue
        if buf[pos:pos + 6] not in NEWC:
            raise Bad("decompressed data is not a cpio archive at byte %d" % pos)
        end = cpio_end(buf, pos)
        found.append(buf[pos:end])
        pos = end
    return found


def zstd_end(buf, pos):
    """End of the zstd frame (or skippable frame) at pos (RFC 8878 3.1)."""
    magic = int.from_bytes(buf[pos:pos + 4], "little")
    if 0x184D2A50 <= magic <= 0x184D2A5F:
        return pos + 8 + int.from_bytes(buf[pos + 4:pos + 8], "little")
    fhd = buf[pos + 4]
    fcs_flag, single, dict_flag, checksum = fhd >> 6, (fhd >> 5) & 1, fhd & 3, (fhd >> 2) & 1
    p = pos + 5 + (0 if single else 1) + (0, 1, 2, 4)[dict_flag]
    p += (1 if single else 0, 2, 4, 8)[fcs_flag]
    while True:
        if p + 3 > len(buf):
            raise Bad("zstd frame truncated at byte %d" % pos)
        bh = int.from_bytes(buf[p:p + 3], "little")
        last, btype, bsize = bh & 1, (bh >> 1) & 3, bh >> 3
        p += 3 + (1 if btype == 1 else bsize)
        if last:
            return p + (4 if checksum else 0)


def lz4_legacy_end(buf, pos):
    """End of an lz4 legacy stream: 4-byte little-endian chunk sizes."""
    p = pos + 4
    while p + 4 <= len(buf):
        size = int.from_bytes(buf[p:p + 4], "little")
        if size == 0x184C2102:  # another legacy stream follows
            p += 4
            continue
        if size == 0 or p + 4 + size > len(buf):
            break
        p += 4 + size
    return p


def tool(cmd, blob):
    try:
        r = subprocess.run(cmd, input=blob, stdout=subprocess.PIPE, check=False)
    except FileNotFoundError:
        raise Bad("%s is not installed (Debian package %s)" % (cmd[0], cmd[0])) from None
    if r.returncode != 0:
        raise Bad("%s failed (exit %d)" % (cmd[0], r.returncode))
    return r.stdout


def python_stream(data, pos, decompressor, kind):
    """Decompresses the stream at pos; returns (output, end offset)."""
    out = decompressor.decompress(data[pos:])
    if not decompressor.eof:
        raise Bad("%s stream at byte %d is truncated" % (kind, pos))
    return out, len(data) - len(decompressor.unused_data)


def segments(data):
    """Yields (offset, kind, length, archives) for each segment of an initramfs."""
    pos = 0
    while pos < len(data):
        b = data[pos:pos + 6]
        if data[pos] == 0:
            pos += 1
            continue
        if b in NEWC:
            end = cpio_end(data, pos)
            kind, found = "cpio", archives(data[pos:end])
        elif b[:2] in (b"\x1f\x8b", b"\x1f\x9e"):
            out, end = python_stream(data, pos, zlib.decompressobj(wbits=31), "gzip")
            kind, found = "gzip", archives(out)
        elif b[:3] == b"BZh":
            out, end = python_stream(data, pos, bz2.BZ2Decompressor(), "bzip2")
            kind, found = "bzip2", archives(out)
        elif b == b"\xfd7zXZ\x00":
            out, end = python_stream(data, pos, lzma.LZMADecompressor(lzma.FORMAT_XZ), "xz")
            kind, found = "xz", archives(out)
        elif b[:4] == b"\x28\xb5\x2f\xfd":
            end = zstd_end(data, pos)
            # Frames may follow one another (zstd -T0 writes several).
            while end + 4 <= len(data) and data[end:end + 4] == b"\x28\xb5\x2f\xfd":
                end = zstd_end(data, end)
            kind, found = "zstd", archives(tool(["zstd", "-dcq"], data[pos:end]))
        elif b[:4] == b"\x02\x21\x4c\x18":
            end = lz4_legacy_end(data, pos)
            kind, found = "lz4", archives(tool(["lz4", "-dcq"], data[pos:end]))
        elif b[:4] == b"\x04\x22\x4d\x18":
            raise Bad("lz4 frame format at byte %d: the kernel reads only the legacy format (lz4 -l)" % pos)
        else:
            raise Bad("unknown data at byte %d (%s): not cpio, gzip, bzip2, zstd, xz or lz4"
                      % (pos, b.hex()))
        yield pos, kind, end - pos, found
        pos = end


def split(src, outdir):
    with open(src, "rb") as f:
        data = f.read()
    count = 0
    for pos, kind, length, found in segments(data):
        for a in found:
            with open(os.path.join(outdir, "%03d.cpio" % count), "wb") as f:
                f.write(a)
            count += 1
        print("%d %s %d -> %d archive(s)" % (pos, kind, length, len(found)))
    if count == 0:
        raise Bad("no cpio archive in %s" % src)


def uncompress(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    found = [a for _, _, _, arcs in segments(data) for a in arcs]
    if not found:
        raise Bad("no cpio archive in %s" % src)
    with open(dst, "wb") as f:
        for a in found:
            f.write(a)


def main(argv):
    if len(argv) == 2 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    if len(argv) != 4 or argv[1] not in ("split", "uncompress"):
        sys.exit(__doc__)
    try:
        (split if argv[1] == "split" else uncompress)(argv[2], argv[3])
    except Bad as e:
        sys.exit("initramfs.py: error: %s" % e)


if __name__ == "__main__":
    main(sys.argv)
