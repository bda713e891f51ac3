#!/usr/bin/env python3
"""Writes or checks the GPT of a disk image with any logical sector size (scripts/mkdisk
uses it for 4096-byte "4Kn" images: sgdisk knows only 512-byte sectors on image files).

usage: gpt-image.py write|check IMG SECTOR-SIZE DISK-UUID [N:FIRST:LAST:TYPE:UUID:NAME]...

  write  protective MBR, primary and backup GPT (128 entries of 128 bytes) with
         CRC32s (UEFI 2.10 section 5.3), LBAs in SECTOR-SIZE units
  check  parse IMG back as a reader would and compare with the given layout: MBR,
         both headers (signature, CRC, LBAs), both entry arrays (CRC, equal), every
         partition (type, UUID, name, range inside the usable LBAs, no overlap) and a
         FAT boot sector with matching bytes per sector at the start of each partition
"""
import struct
import sys
import uuid
import zlib

if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0)
if len(sys.argv) < 5 or sys.argv[1] not in ("write", "check") or not sys.argv[3].isdigit():
    sys.exit(__doc__)
mode, img, ss, disk_uuid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
parts = []
for spec in sys.argv[5:]:
    n, first, last, ty, pu, name = spec.split(":", 5)
    parts.append((int(n), int(first), int(last), uuid.UUID(ty), uuid.UUID(pu), name))
NENT, ESZ = 128, 128
ent_lbas = NENT * ESZ // ss
with open(img, "rb") as f:
    f.seek(0, 2)
    size = f.tell()
if size % ss:
    sys.exit(f"{img}: size {size} is not a multiple of {ss}")
last_lba = size // ss - 1
first_usable, last_usable = 2 + ent_lbas, last_lba - 1 - ent_lbas

def entries():
    table = bytearray(NENT * ESZ)
    for n, first, last, ty, pu, name in parts:
        e = ty.bytes_le + pu.bytes_le + struct.pack("<QQQ", first, last, 0)
        e += name.encode("utf-16-le").ljust(72, b"\0")
        table[(n - 1) * ESZ:n * ESZ] = e
    return bytes(table)

def header(my, alt, ents_at, ents_crc):
    h = struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x10000, 92, 0, 0, my, alt,
                    first_usable, last_usable, uuid.UUID(disk_uuid).bytes_le, ents_at,
                    NENT, ESZ, ents_crc)
    h = h[:16] + struct.pack("<I", zlib.crc32(h)) + h[20:]
    return h.ljust(ss, b"\0")

if mode == "write":
    mbr = bytearray(512)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1,
                               min(last_lba, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    ents = entries()
    crc = zlib.crc32(ents)
    with open(img, "r+b") as f:
        f.write(mbr)
        f.seek(ss)
        f.write(header(1, last_lba, 2, crc))
        f.write(ents)
        f.seek((last_lba - ent_lbas) * ss)
        f.write(ents)
        f.write(header(last_lba, 1, last_lba - ent_lbas, crc))
    sys.exit(0)

def fail(msg):
    sys.exit(f"{img}: {msg}")

f = open(img, "rb")
def read(lba, n):
    f.seek(lba * ss)
    return f.read(n)
mbr = read(0, 512)
if mbr[510:512] != b"\x55\xaa" or mbr[450] != 0xEE:
    fail("no protective MBR")
copies = []
for lba, alt in ((1, last_lba), (last_lba, 1)):
    raw = read(lba, 92)
    (sig, rev, hsize, crc, _, my, other, fu, lu, dg, ents_at, nent, esz,
     ents_crc) = struct.unpack("<8sIIIIQQQQ16sQIII", raw)
    which = "primary" if lba == 1 else "backup"
    if sig != b"EFI PART" or hsize != 92:
        fail(f"{which} GPT header: bad signature or size")
    if zlib.crc32(raw[:16] + b"\0" * 4 + raw[20:]) != crc:
        fail(f"{which} GPT header: CRC mismatch")
    if (my, other) != (lba, alt):
        fail(f"{which} GPT header: MyLBA/AlternateLBA {my}/{other}, want {lba}/{alt}")
    if (fu, lu) != (first_usable, last_usable) or uuid.UUID(bytes_le=dg) != uuid.UUID(disk_uuid):
        fail(f"{which} GPT header: usable LBAs or disk GUID differ")
    if nent * esz > 1 << 20 or esz != ESZ:
        fail(f"{which} GPT header: odd entry array")
    ents = read(ents_at, nent * esz)
    if zlib.crc32(ents) != ents_crc:
        fail(f"{which} GPT entry array: CRC mismatch")
    copies.append(ents)
if copies[0] != copies[1]:
    fail("primary and backup entry arrays differ")
if copies[0] != entries():
    fail("the entry array is not the requested layout")
spans = []
for n, first, last, ty, pu, name in parts:
    if not first_usable <= first <= last <= last_usable:
        fail(f"partition {n} ({first}-{last}) is outside the usable LBAs")
    if any(a <= last and first <= b for a, b in spans):
        fail(f"partition {n} overlaps another")
    spans.append((first, last))
    bs = read(first, 512)
    if bs[510:512] != b"\x55\xaa" or struct.unpack("<H", bs[11:13])[0] != ss:
        fail(f"partition {n}: no FAT boot sector with {ss}-byte sectors at LBA {first}")
    print(f"{n:>3} {first:>10} {last:>10}  {(last - first + 1) * ss // 1024:>8} KiB  {ty}  {name}",
          file=sys.stderr)
print(f"GPT ok: {ss}-byte sectors, LBAs 0-{last_lba}, usable {first_usable}-{last_usable}",
      file=sys.stderr)
