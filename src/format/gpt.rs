//! GUID Partition Table reader (SPECS §1): protective MBR, primary/backup header, entry array.
//!
//! Reads through any [`BlockReader`] with fixed buffers and no allocation. A "copy" is one
//! header plus the entry array it points to; the primary copy is used when it is valid,
//! otherwise the backup at the device's last LBA (SPECS §1.5). Every used entry is checked
//! against the usable range and against the other entries, so callers can turn LBAs into byte
//! ranges without further checks.

use crate::format::block::{div_ceil, BlockReader, ReadError};
use crate::format::guid::Guid;
pub use crate::format::guid::PartAttrs;
use crate::format::le;
use crate::text::{variant_index, Line, Show, Text};

/// The most used entries ddiboot keeps (the usual array has 128 slots).
pub const MAX_PARTITIONS: usize = 128;
/// Largest entry size accepted (spec: 128 × 2ⁿ).
const MAX_ENTRY_SIZE: u32 = 4096;
/// Largest entry array accepted (the usual one is 16 KiB).
const MAX_ARRAY_BYTES: u64 = 4 << 20;
/// Largest logical block size; also the size of the read buffers.
const MAX_BLOCK: usize = 4096;

// GPT header fields (SPECS §1.2).
const H_SIGNATURE: usize = 0;
const H_REVISION: usize = 8;
const H_HEADER_SIZE: usize = 12;
const H_HEADER_CRC: usize = 16;
const H_RESERVED: usize = 20;
const H_MY_LBA: usize = 24;
const H_FIRST_USABLE: usize = 40;
const H_LAST_USABLE: usize = 48;
const H_DISK_GUID: usize = 56;
const H_ENTRY_LBA: usize = 72;
const H_ENTRY_COUNT: usize = 80;
const H_ENTRY_SIZE: usize = 84;
const H_ENTRIES_CRC: usize = 88;
const HEADER_MIN: u32 = 92;
const SIGNATURE: &[u8; 8] = b"EFI PART";

// Partition entry fields (SPECS §1.3).
const E_TYPE: usize = 0;
const E_UUID: usize = 16;
const E_FIRST_LBA: usize = 32;
const E_LAST_LBA: usize = 40;
const E_ATTRS: usize = 48;
const E_NAME: usize = 56;
/// UTF-16 code units in a partition name.
pub const NAME_UNITS: usize = 36;

/// Why `read_gpt` found no usable table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GptError {
    /// A logical block size other than 512 or 4096.
    BadBlockSize,
    /// Probing found no `EFI PART` at byte 512 or 4096 nor in the last 512/4096 bytes.
    NoSignature,
    /// Neither the primary nor the backup copy is valid.
    BothHeadersBad { primary: TableError, backup: TableError },
}

/// Why one copy (header + entry array) was rejected (SPECS §1.5).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TableError {
    NoSignature,
    /// Major revision other than 1.
    Revision,
    /// HeaderSize outside [92, block size].
    HeaderSize,
    HeaderCrc,
    /// The reserved u32 at offset 20 is not zero.
    Reserved,
    /// MyLBA is not the LBA the header was read from.
    MyLba,
    /// Usable range empty, overlapping a header, or beyond the device.
    UsableRange,
    /// SizeOfPartitionEntry not 128 × 2ⁿ (≤ 4096).
    EntrySize,
    /// Entry array larger than 4 MiB.
    EntryCount,
    /// Entry array outside the device or overlapping a header or the usable range.
    EntriesLocation,
    EntriesCrc,
    /// Entry N (1-based) is empty-or-reversed or outside the usable range.
    PartitionRange(u32),
    /// Entries N and M overlap.
    PartitionOverlap(u32, u32),
    /// More than [`MAX_PARTITIONS`] used entries.
    TooManyPartitions,
    /// The backup is valid but disagrees with the primary (only in `Gpt::backup_error`).
    Mismatch,
    Read(ReadError),
}

/// The messages of [`TableError`], one per variant in declaration order
/// (`text::push_nth`); a variant with values continues its message after them.
const TABLE_MESSAGES: Text = msg!(concat!(
    "no gpt signature\0",
    "unsupported gpt revision\0",
    "bad gpt header size\0",
    "gpt header crc mismatch\0",
    "gpt header reserved field not zero\0",
    "gpt header records a different lba\0",
    "usable lba range invalid or outside the device\0",
    "bad partition entry size\0",
    "partition entry array too large\0",
    "partition entry array misplaced\0",
    "partition entry array crc mismatch\0",
    "partition \0",  // PartitionRange: N outside the usable range
    "partitions \0", // PartitionOverlap: N and M overlap
    "too many partitions\0",
    "differs from the primary\0",
    "", // Read: the read error
));

impl Show for TableError {
    fn show(&self, out: &mut Line) {
        use TableError::*;
        out.push_nth(TABLE_MESSAGES, variant_index(self));
        match *self {
            PartitionRange(n) => {
                n.show(out);
                out.push_text(msg!(" outside the usable range"));
            }
            PartitionOverlap(a, b) => {
                a.show(out);
                out.push_text(msg!(" and "));
                b.show(out);
                out.push_text(msg!(" overlap"));
            }
            Read(e) => e.show(out),
            _ => {}
        }
    }
}

impl Show for GptError {
    fn show(&self, out: &mut Line) {
        // One message per variant, in declaration order (`text::push_nth`).
        out.push_nth(
            msg!("unsupported logical block size\0no gpt signature\0no valid gpt: primary: "),
            variant_index(self),
        );
        if let GptError::BothHeadersBad { primary, backup } = self {
            primary.show(out);
            out.push_text(msg!("; backup: "));
            backup.show(out);
        }
    }
}

/// One used partition entry, validated against its table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Partition {
    /// 1-based index in the entry array (the Linux partition number).
    pub number: u32,
    pub type_guid: Guid,
    /// UniquePartitionGUID ("PARTUUID").
    pub uuid: Guid,
    /// First LBA.
    pub first_lba: u64,
    /// Last LBA, inclusive; `first_lba <= last_lba`.
    pub last_lba: u64,
    pub attrs: PartAttrs,
    /// UTF-16LE name, NUL-padded.
    pub name: [u16; NAME_UNITS],
}

impl Partition {
    /// Byte offset on the device.
    pub fn byte_offset(&self, block_size: u32) -> u64 {
        self.first_lba.saturating_mul(block_size as u64)
    }

    /// Length in bytes.
    pub fn byte_len(&self, block_size: u32) -> u64 {
        let blocks = self.last_lba.saturating_sub(self.first_lba).saturating_add(1);
        blocks.saturating_mul(block_size as u64)
    }

    /// The name up to its first NUL.
    pub fn label(&self) -> Label<'_> {
        let len = self.name.iter().position(|&u| u == 0).unwrap_or(NAME_UNITS);
        Label(self.name.get(..len).unwrap_or(&[]))
    }

    /// Whether the name is exactly `ascii`.
    pub fn name_eq(&self, ascii: &[u8]) -> bool {
        let l = self.label();
        l.0.len() == ascii.len() && l.starts_with(ascii)
    }

    /// Whether the name starts with `ascii`.
    pub fn name_starts_with(&self, ascii: &[u8]) -> bool {
        self.label().starts_with(ascii)
    }
}

/// A partition name (UTF-16 code units, no NUL); shown with non-ASCII as `?`.
#[derive(Clone, Copy)]
pub struct Label<'a>(pub &'a [u16]);

impl Label<'_> {
    pub fn starts_with(&self, ascii: &[u8]) -> bool {
        self.0.len() >= ascii.len() && self.0.iter().zip(ascii).all(|(&u, &a)| u == a as u16)
    }
}

impl Show for Label<'_> {
    fn show(&self, out: &mut Line) {
        for &u in self.0 {
            out.push_untrusted(&[if u < 0x80 { u as u8 } else { b'?' }]);
        }
    }
}

/// Used entries in array order.
pub type Partitions = heapless::Vec<Partition, MAX_PARTITIONS>;

/// A validated partition table.
pub struct Gpt {
    /// Logical block size the LBAs are in (512 or 4096).
    pub block_size: u32,
    pub disk_guid: Guid,
    pub first_usable: u64,
    pub last_usable: u64,
    /// LBA 0 holds a valid protective (or hybrid) MBR: `55 AA` and a 0xEE record starting at
    /// LBA 1. Only informative: a missing PMBR is not fatal.
    pub pmbr_ok: bool,
    /// The primary copy was invalid and the backup was used.
    pub used_backup: bool,
    /// Why the primary copy was rejected (set iff `used_backup`).
    pub primary_error: Option<TableError>,
    /// Why the backup copy is bad, when the primary was used (worth a warning only).
    pub backup_error: Option<TableError>,
    pub partitions: Partitions,
}

impl Gpt {
    /// Used partitions of one type, in array order.
    pub fn find(&self, type_guid: Guid) -> impl Iterator<Item = &Partition> {
        self.partitions.iter().filter(move |p| p.type_guid == type_guid)
    }
}

impl Gpt {
    /// An empty table, to be filled by [`read_gpt_into`].
    pub const fn new() -> Gpt {
        Gpt {
            block_size: 0,
            disk_guid: Guid::ZERO,
            first_usable: 0,
            last_usable: 0,
            pmbr_ok: false,
            used_backup: false,
            primary_error: None,
            backup_error: None,
            partitions: Partitions::new(),
        }
    }
}

impl Default for Gpt {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads and validates the GPT. `block_size`: the device's logical block size, or `None`
/// for a file (a DDI), where it is probed by looking for `EFI PART` (SPECS §1.6).
pub fn read_gpt(dev: &mut dyn BlockReader, block_size: Option<u32>) -> Result<Gpt, GptError> {
    let mut gpt = Gpt::new();
    read_gpt_into(dev, block_size, Backup::Check, &mut gpt)?;
    Ok(gpt)
}

/// Whether the backup copy is read when the primary one is good.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backup {
    /// Read and compare it, to report a damaged backup (`Gpt::backup_error`): a disk.
    Check,
    /// Only when the primary is damaged: a DDI, where nobody acts on a warning about it
    /// (two 16 KiB reads and checksums saved).
    IfNeeded,
}

/// [`read_gpt`] into a caller's `Gpt`, with the backup copy checked or not (17 KiB: returning it by value costs copies in a
/// binary this small). On error `gpt` holds no partitions.
pub fn read_gpt_into(
    dev: &mut dyn BlockReader,
    block_size: Option<u32>,
    backup: Backup,
    gpt: &mut Gpt,
) -> Result<(), GptError> {
    gpt.partitions.clear();
    let bs = match block_size {
        Some(bs @ (512 | 4096)) => bs,
        Some(_) => return Err(GptError::BadBlockSize),
        None => probe_block_size(dev).ok_or(GptError::NoSignature)?,
    };
    let last_lba = (dev.size() >> bs.trailing_zeros()).saturating_sub(1); // bs: 512 or 4096
    gpt.block_size = bs;
    gpt.pmbr_ok = pmbr_ok(dev);
    gpt.used_backup = false;
    gpt.primary_error = None;
    gpt.backup_error = None;
    let primary = read_copy(dev, bs, 1, last_lba, Some(&mut gpt.partitions));
    let header = match primary {
        Ok(h) => {
            // Check the backup only to warn about it; its entries must hash the same.
            if backup == Backup::Check {
                gpt.backup_error = match read_copy(dev, bs, last_lba, last_lba, None) {
                    Ok(b) if b.same_table(&h) => None,
                    Ok(_) => Some(TableError::Mismatch),
                    Err(e) => Some(e),
                };
            }
            h
        }
        Err(p) => {
            gpt.partitions.clear();
            gpt.used_backup = true;
            gpt.primary_error = Some(p);
            let backup = read_copy(dev, bs, last_lba, last_lba, Some(&mut gpt.partitions));
            match backup {
                Ok(h) => h,
                Err(b) => {
                    gpt.partitions.clear();
                    return Err(GptError::BothHeadersBad { primary: p, backup: b });
                }
            }
        }
    };
    gpt.disk_guid = header.disk_guid;
    gpt.first_usable = header.first_usable;
    gpt.last_usable = header.last_usable;
    Ok(())
}

/// UAPI.3: the sector size of a DDI is where `EFI PART` is, at byte 512 or 4096. The last
/// 512 / 4096 bytes (backup header) are tried too, for a DDI whose primary is damaged.
fn probe_block_size(dev: &mut dyn BlockReader) -> Option<u32> {
    let size = dev.size();
    let tail = |bs: u64| size.checked_sub(bs).filter(|_| size.is_multiple_of(bs));
    let mut sig = [0u8; 8];
    for (offset, bs) in [(Some(512), 512), (Some(4096), 4096), (tail(512), 512), (tail(4096), 4096)] {
        let found = offset.is_some_and(|o| dev.read_at(o, &mut sig).is_ok() && &sig == SIGNATURE);
        if found {
            return Some(bs);
        }
    }
    None
}

/// SPECS §1.1: `55 AA` and any record of type 0xEE starting at LBA 1 (hybrid MBRs pass).
fn pmbr_ok(dev: &mut dyn BlockReader) -> bool {
    let mut mbr = [0u8; 512];
    if dev.read_at(0, &mut mbr).is_err() || mbr[510..] != [0x55, 0xaa] {
        return false;
    }
    let (records, _) = mbr[446..510].as_chunks::<16>();
    records.iter().any(|r| r[4] == 0xee && le::u32(r, 8) == 1)
}

/// The header fields ddiboot uses, after validation.
struct Header {
    first_usable: u64,
    last_usable: u64,
    disk_guid: Guid,
    entry_lba: u64,
    entry_count: u32,
    entry_size: u32,
    entries_crc: u32,
}

impl Header {
    /// Whether two valid copies describe the same table (Linux `compare_gpts`, in part).
    fn same_table(&self, o: &Header) -> bool {
        (self.first_usable, self.last_usable, self.disk_guid) == (o.first_usable, o.last_usable, o.disk_guid)
            && (self.entry_count, self.entry_size, self.entries_crc) == (o.entry_count, o.entry_size, o.entries_crc)
    }

    fn array_bytes(&self) -> u64 {
        self.entry_count as u64 * self.entry_size as u64
    }
}

/// Reads and validates the copy whose header is at `lba`; with `out`, collects its used
/// entries (in any case the entry array's CRC is checked).
fn read_copy(
    dev: &mut dyn BlockReader,
    bs: u32,
    lba: u64,
    last_lba: u64,
    out: Option<&mut Partitions>,
) -> Result<Header, TableError> {
    let h = read_header(dev, bs, lba, last_lba)?;
    read_entries(dev, bs, &h, out)?;
    Ok(h)
}

fn read_header(dev: &mut dyn BlockReader, bs: u32, lba: u64, last_lba: u64) -> Result<Header, TableError> {
    use TableError::*;
    let mut buf = [0u8; MAX_BLOCK];
    let block = buf.get_mut(..bs as usize).ok_or(HeaderSize)?;
    let offset = lba.checked_mul(bs as u64).ok_or(Read(ReadError::OutOfRange))?;
    dev.read_at(offset, block).map_err(Read)?;
    // The fields are in the first 92 bytes: read them from a fixed-size array, so every
    // offset is checked at compile time (docs/size.md).
    let b: &[u8; 512] = block.first_chunk().ok_or(HeaderSize)?;

    if b[H_SIGNATURE..H_SIGNATURE + 8] != SIGNATURE[..] {
        return Err(NoSignature);
    }
    if le::u32(b, H_REVISION) >> 16 != 1 {
        return Err(Revision);
    }
    let header_size = le::u32(b, H_HEADER_SIZE);
    let covered = block.get(..header_size as usize).filter(|_| header_size >= HEADER_MIN).ok_or(HeaderSize)?;
    let mut crc = crate::format::crc32::Crc32::new();
    let (before, after) = covered.split_at_checked(H_HEADER_CRC).ok_or(HeaderSize)?;
    crc.update(before);
    crc.update(&[0; 4]);
    crc.update(after.get(4..).ok_or(HeaderSize)?);
    if crc.finalize() != le::u32(b, H_HEADER_CRC) {
        return Err(HeaderCrc);
    }
    if le::u32(b, H_RESERVED) != 0 {
        return Err(Reserved);
    }
    if le::u64(b, H_MY_LBA) != lba {
        return Err(MyLba);
    }
    let h = Header {
        first_usable: le::u64(b, H_FIRST_USABLE),
        last_usable: le::u64(b, H_LAST_USABLE),
        disk_guid: guid_at(b, H_DISK_GUID),
        entry_lba: le::u64(b, H_ENTRY_LBA),
        entry_count: le::u32(b, H_ENTRY_COUNT),
        entry_size: le::u32(b, H_ENTRY_SIZE),
        entries_crc: le::u32(b, H_ENTRIES_CRC),
    };
    // Usable blocks lie strictly between the primary header (LBA 1) and the backup (last).
    if !(2 <= h.first_usable && h.first_usable <= h.last_usable && h.last_usable < last_lba) {
        return Err(UsableRange);
    }
    if !(128..=MAX_ENTRY_SIZE).contains(&h.entry_size) || !h.entry_size.is_power_of_two() {
        return Err(EntrySize);
    }
    if h.array_bytes() > MAX_ARRAY_BYTES {
        return Err(EntryCount);
    }
    // The array may not touch LBA 0/1, this header, the backup header or the usable range.
    let end = h.entry_lba.saturating_add(div_ceil(h.array_bytes(), bs as u64)); // exclusive
    let clear_of_usable = end <= h.first_usable || h.entry_lba > h.last_usable;
    let clear_of_self = end <= lba || h.entry_lba > lba;
    if h.entry_lba < 2 || end > last_lba || !clear_of_usable || !clear_of_self {
        return Err(EntriesLocation);
    }
    Ok(h)
}

/// Streams the entry array through a 4 KiB buffer: CRC always, decoding with `out`.
/// A CRC mismatch is reported before any problem with the (then meaningless) entries.
fn read_entries(
    dev: &mut dyn BlockReader,
    bs: u32,
    h: &Header,
    mut out: Option<&mut Partitions>,
) -> Result<(), TableError> {
    let mut buf = [0u8; MAX_BLOCK];
    let mut crc = crate::format::crc32::Crc32::new();
    let mut problem = None;
    let mut number = 0u32;
    // Validated: the array lies inside the device, so these cannot overflow; entries never
    // straddle a chunk because the entry size is a power of two ≤ the chunk size.
    let start = h.entry_lba * bs as u64;
    let total = h.array_bytes();
    let mut done = 0u64;
    while done < total {
        let n = (total - done).min(MAX_BLOCK as u64) as usize;
        let chunk = buf.get_mut(..n).ok_or(TableError::EntrySize)?;
        dev.read_at(start + done, chunk).map_err(TableError::Read)?;
        crc.update(chunk);
        done += chunk.len() as u64;
        let Some(parts) = out.as_deref_mut() else {
            continue;
        };
        // Entries are at least 128 bytes (validated); the fields are in those.
        let step = (h.entry_size as usize).max(128);
        let mut at = 0;
        while let Some(entry) = chunk.get(at..).and_then(|e| e.first_chunk()) {
            number += 1;
            if let Err(e) = add_entry(parts, entry, number, h) {
                problem.get_or_insert(e);
            }
            at += step;
        }
    }
    if crc.finalize() != h.entries_crc {
        return Err(TableError::EntriesCrc);
    }
    problem.map_or(Ok(()), Err)
}

/// Decodes one entry; a used one must lie in the usable range and overlap no earlier one.
fn add_entry(parts: &mut Partitions, e: &[u8; 128], number: u32, h: &Header) -> Result<(), TableError> {
    let type_guid = guid_at(e, E_TYPE);
    if type_guid.is_zero() {
        return Ok(());
    }
    let mut name = [0u16; NAME_UNITS];
    let (units, _) = e[E_NAME..].as_chunks::<2>();
    for (u, &bytes) in name.iter_mut().zip(units) {
        *u = u16::from_le_bytes(bytes);
    }
    let p = Partition {
        number,
        type_guid,
        uuid: guid_at(e, E_UUID),
        first_lba: le::u64(e, E_FIRST_LBA),
        last_lba: le::u64(e, E_LAST_LBA),
        attrs: PartAttrs(le::u64(e, E_ATTRS)),
        name,
    };
    if !(h.first_usable <= p.first_lba && p.first_lba <= p.last_lba && p.last_lba <= h.last_usable) {
        return Err(TableError::PartitionRange(number));
    }
    if let Some(o) = parts.iter().find(|o| p.first_lba <= o.last_lba && o.first_lba <= p.last_lba) {
        return Err(TableError::PartitionOverlap(o.number, number));
    }
    parts.push(p).map_err(|_| TableError::TooManyPartitions)
}

fn guid_at(b: &[u8], at: usize) -> Guid {
    Guid(le::bytes(b, at))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::format::block::SliceReader;
    use crate::format::guid::types;

    /// One entry for the test writer.
    #[derive(Clone)]
    pub struct Ent {
        pub type_guid: Guid,
        pub uuid: Guid,
        pub first: u64,
        pub last: u64,
        pub attrs: u64,
        pub name: &'static str,
    }

    pub fn ent(type_guid: Guid, first: u64, last: u64, name: &'static str) -> Ent {
        let uuid = Guid([first as u8 ^ 0x5a; 16]);
        Ent { type_guid, uuid, first, last, attrs: 0, name }
    }

    /// A minimal GPT writer (both copies, PMBR, CRCs) for hand-made test images.
    pub fn write_gpt(bs: u32, blocks: u64, count: u32, entry_size: u32, ents: &[Ent]) -> Vec<u8> {
        let bsu = bs as usize;
        let mut img = vec![0u8; bsu * blocks as usize];
        img[446 + 4] = 0xee;
        img[446 + 8..446 + 12].copy_from_slice(&1u32.to_le_bytes());
        img[446 + 12..446 + 16].copy_from_slice(&((blocks - 1).min(0xffff_ffff) as u32).to_le_bytes());
        img[510..512].copy_from_slice(&[0x55, 0xaa]);

        let mut array = vec![0u8; (count * entry_size) as usize];
        for (i, e) in ents.iter().enumerate() {
            let a = &mut array[i * entry_size as usize..];
            a[0..16].copy_from_slice(&e.type_guid.0);
            a[16..32].copy_from_slice(&e.uuid.0);
            a[32..40].copy_from_slice(&e.first.to_le_bytes());
            a[40..48].copy_from_slice(&e.last.to_le_bytes());
            a[48..56].copy_from_slice(&e.attrs.to_le_bytes());
            for (j, u) in e.name.encode_utf16().enumerate() {
                a[56 + 2 * j..58 + 2 * j].copy_from_slice(&u.to_le_bytes());
            }
        }
        let array_blocks = array.len().div_ceil(bsu) as u64;
        let last = blocks - 1;
        let (first_usable, last_usable) = (2 + array_blocks, last - 1 - array_blocks);
        for (lba, alt, entry_lba) in [(1, last, 2), (last, 1, last - array_blocks)] {
            let at = entry_lba as usize * bsu;
            img[at..at + array.len()].copy_from_slice(&array);
            let h = &mut img[lba as usize * bsu..];
            h[0..8].copy_from_slice(b"EFI PART");
            h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
            h[12..16].copy_from_slice(&92u32.to_le_bytes());
            h[24..32].copy_from_slice(&lba.to_le_bytes());
            h[32..40].copy_from_slice(&alt.to_le_bytes());
            h[40..48].copy_from_slice(&first_usable.to_le_bytes());
            h[48..56].copy_from_slice(&last_usable.to_le_bytes());
            h[56..72].copy_from_slice(&[0xd1; 16]);
            h[72..80].copy_from_slice(&entry_lba.to_le_bytes());
            h[80..84].copy_from_slice(&count.to_le_bytes());
            h[84..88].copy_from_slice(&entry_size.to_le_bytes());
            h[88..92].copy_from_slice(&crate::format::crc32::crc32(&array).to_le_bytes());
            fix_crc(h);
        }
        img
    }

    /// Recomputes the header CRC of the header at the start of `h` (after a test edit).
    pub fn fix_crc(h: &mut [u8]) {
        let size = u32::from_le_bytes(h[12..16].try_into().unwrap()) as usize;
        h[16..20].fill(0);
        let crc = crate::format::crc32::crc32(&h[..size.clamp(92, 512)]);
        h[16..20].copy_from_slice(&crc.to_le_bytes());
    }

    fn parse(img: &[u8], bs: Option<u32>) -> Result<Gpt, GptError> {
        read_gpt(&mut SliceReader(img), bs)
    }

    fn sample() -> Vec<Ent> {
        let mut esp = ent(types::ESP, 40, 99, "ESP");
        esp.uuid = Guid::parse(b"11223344-5566-7788-99aa-bbccddeeff00").unwrap();
        let mut root = ent(types::ROOT_X86_64, 100, 149, "root_1.2");
        root.attrs = PartAttrs::READ_ONLY | PartAttrs::GROWFS;
        vec![esp, root, ent(types::ROOT_X86_64_VERITY, 150, 150, "")]
    }

    fn check_sample(g: &Gpt, bs: u32) {
        assert_eq!(g.block_size, bs);
        assert_eq!(g.disk_guid, Guid([0xd1; 16]));
        assert!(g.pmbr_ok);
        let p = &g.partitions;
        assert_eq!(p.len(), 3);
        assert_eq!((p[0].number, p[0].type_guid, p[0].first_lba, p[0].last_lba), (1, types::ESP, 40, 99));
        assert_eq!(Line::of(&p[0].uuid).as_str(), "11223344-5566-7788-99aa-bbccddeeff00");
        assert!(p[0].name_eq(b"ESP") && !p[0].name_eq(b"ES") && !p[0].name_eq(b"ESPx"));
        assert!(p[1].attrs.read_only() && p[1].attrs.growfs() && !p[1].attrs.no_auto());
        assert!(p[1].name_starts_with(b"root_") && Line::of(&p[1].label()).as_str() == "root_1.2");
        assert_eq!((p[2].first_lba, p[2].last_lba, p[2].label().0.len()), (150, 150, 0));
        assert_eq!(p[1].byte_offset(bs), 100 * bs as u64);
        assert_eq!(p[1].byte_len(bs), 50 * bs as u64);
        assert_eq!(g.find(types::ROOT_X86_64).map(|p| p.number).collect::<Vec<_>>(), [2]);
        assert_eq!(g.find(types::USR_X86_64).count(), 0);
    }

    #[test]
    fn reads_512_and_4096_with_probing() {
        let img = write_gpt(512, 200, 128, 128, &sample());
        for bs in [Some(512), None] {
            let g = parse(&img, bs).unwrap();
            check_sample(&g, 512);
            assert!(!g.used_backup && g.primary_error.is_none() && g.backup_error.is_none());
            assert_eq!((g.first_usable, g.last_usable), (34, 200 - 34));
        }
        // 4 entries of 256 bytes: 1 KiB array, one 4 KiB block.
        let img = write_gpt(4096, 200, 4, 256, &sample());
        for bs in [Some(4096), None] {
            let g = parse(&img, bs).unwrap();
            check_sample(&g, 4096);
            assert_eq!((g.first_usable, g.last_usable), (3, 197));
        }
        // Wrong block size given: no header where one is looked for.
        let nosig = TableError::NoSignature;
        assert_eq!(parse(&img, Some(512)).err(), Some(GptError::BothHeadersBad { primary: nosig, backup: nosig }));
        assert_eq!(parse(&img, Some(1024)).err(), Some(GptError::BadBlockSize));
        assert_eq!(parse(&[0; 8192], None).err(), Some(GptError::NoSignature));
    }

    /// Counts the reads in the last 34 blocks (the backup copy's).
    struct Tail<'a>(SliceReader<'a>, u32);

    impl BlockReader for Tail<'_> {
        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
            if offset + buf.len() as u64 > self.0.size() - 34 * 512 {
                self.1 += 1;
            }
            self.0.read_at(offset, buf)
        }
        fn size(&self) -> u64 {
            self.0.size()
        }
    }

    #[test]
    fn the_backup_is_read_only_when_asked_or_needed() {
        let mut img = write_gpt(512, 200, 128, 128, &sample());
        img[199 * 512 + 40] ^= 1; // backup header damaged
        let mut g = Gpt::new();
        let mut dev = Tail(SliceReader(&img), 0);
        read_gpt_into(&mut dev, None, Backup::IfNeeded, &mut g).unwrap();
        check_sample(&g, 512);
        assert_eq!((dev.1, g.backup_error), (0, None), "not read, not reported");
        read_gpt_into(&mut dev, None, Backup::Check, &mut g).unwrap();
        assert!(dev.1 > 0);
        assert_eq!(g.backup_error, Some(TableError::HeaderCrc));
        // A damaged primary: the backup is read either way.
        let mut img = write_gpt(512, 200, 128, 128, &sample());
        img[512 + 16] ^= 1;
        read_gpt_into(&mut SliceReader(&img), None, Backup::IfNeeded, &mut g).unwrap();
        check_sample(&g, 512);
        assert!(g.used_backup);
    }

    #[test]
    fn damaged_primary_uses_backup_and_vice_versa() {
        let good = write_gpt(512, 200, 128, 128, &sample());
        let last = 199 * 512;

        let mut img = good.clone();
        img[512 + 16] ^= 1; // header CRC
        let g = parse(&img, None).unwrap();
        check_sample(&g, 512);
        assert!(g.used_backup);
        assert_eq!(g.primary_error, Some(TableError::HeaderCrc));

        let mut img = good.clone();
        img[2 * 512 + 200] ^= 1; // primary entry array
        let g = parse(&img, Some(512)).unwrap();
        check_sample(&g, 512);
        assert_eq!(g.primary_error, Some(TableError::EntriesCrc));

        let mut img = good.clone();
        img[last + 40] ^= 1; // backup header
        let g = parse(&img, Some(512)).unwrap();
        check_sample(&g, 512);
        assert!(!g.used_backup);
        assert_eq!(g.backup_error, Some(TableError::HeaderCrc));

        let mut img = good.clone();
        img[last + 56] ^= 1; // backup disk GUID, CRC fixed: valid but different
        fix_crc(&mut img[last..]);
        assert_eq!(parse(&img, Some(512)).unwrap().backup_error, Some(TableError::Mismatch));

        let mut img = good.clone();
        img[512] = b'X'; // primary signature gone: probing finds the backup
        let g = parse(&img, None).unwrap();
        assert_eq!((g.block_size, g.primary_error), (512, Some(TableError::NoSignature)));

        let mut img = good.clone();
        img[512 + 16] ^= 1;
        img[167 * 512 + 7] ^= 1; // backup entry array (at last - 32)
        let err = GptError::BothHeadersBad { primary: TableError::HeaderCrc, backup: TableError::EntriesCrc };
        assert_eq!(parse(&img, Some(512)).err(), Some(err));
        assert_eq!(
            Line::of(&err).as_str(),
            "no valid gpt: primary: gpt header crc mismatch; backup: partition entry array crc mismatch"
        );
        // One message per variant (`text::push_nth`): the first and the last line up.
        assert_eq!(TABLE_MESSAGES.count(), 16);
        let shown = |e: TableError| Line::of(&e).as_str().to_string();
        assert_eq!(shown(TableError::NoSignature), "no gpt signature");
        assert_eq!(shown(TableError::Mismatch), "differs from the primary");
        assert_eq!(shown(TableError::PartitionRange(7)), "partition 7 outside the usable range");
        assert_eq!(shown(TableError::Read(ReadError::Errno(crate::errno::Errno::EIO))), "read failed: EIO");
        assert_eq!(Line::of(&GptError::BadBlockSize).as_str(), "unsupported logical block size");
    }

    #[test]
    fn truncated_devices_fail_cleanly() {
        let img = write_gpt(512, 200, 128, 128, &sample());
        for len in [0, 100, 511, 512, 700, 1024, 2048, 17 * 1024, 100 * 512, 167 * 512] {
            assert!(parse(&img[..len], None).is_err(), "len {len}");
            assert!(parse(&img[..len], Some(512)).is_err(), "len {len}");
        }
        // Only the backup lost: the primary still covers everything, with a warning.
        for len in [199 * 512, 199 * 512 + 100] {
            let g = parse(&img[..len], Some(512)).unwrap();
            assert_eq!(g.backup_error, Some(TableError::NoSignature));
            check_sample(&g, 512);
        }
        let e = parse(&img[..100 * 512], Some(512)).err().unwrap();
        assert_eq!(e, GptError::BothHeadersBad { primary: TableError::UsableRange, backup: TableError::NoSignature });
    }

    /// Edits the primary header, fixes its CRC and returns why the primary was rejected
    /// (the backup must then have been used).
    fn primary_error_after(edit: impl FnOnce(&mut [u8])) -> TableError {
        let mut img = write_gpt(512, 200, 128, 128, &sample());
        edit(&mut img[512..1024]);
        fix_crc(&mut img[512..1024]);
        let g = parse(&img, Some(512)).unwrap();
        check_sample(&g, 512);
        g.primary_error.unwrap()
    }

    fn put32(h: &mut [u8], at: usize, v: u32) {
        h[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn put64(h: &mut [u8], at: usize, v: u64) {
        h[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn hostile_header_values() {
        use TableError::*;
        type Edit = &'static dyn Fn(&mut [u8]);
        let cases: [(Edit, TableError); 17] = [
            (&|h| put32(h, H_REVISION, 0x0002_0000), Revision),
            (&|h| put32(h, H_HEADER_SIZE, 91), HeaderSize),
            (&|h| put32(h, H_HEADER_SIZE, 513), HeaderSize),
            (&|h| put32(h, H_HEADER_SIZE, u32::MAX), HeaderSize),
            (&|h| put32(h, H_RESERVED, 1), Reserved),
            (&|h| put64(h, H_MY_LBA, 2), MyLba),
            (&|h| put64(h, H_FIRST_USABLE, 1), UsableRange),
            (&|h| put64(h, H_LAST_USABLE, 199), UsableRange),
            (&|h| put64(h, H_LAST_USABLE, 20), UsableRange),
            (&|h| put32(h, H_ENTRY_SIZE, 0), EntrySize),
            (&|h| put32(h, H_ENTRY_SIZE, 384), EntrySize),
            (&|h| put32(h, H_ENTRY_SIZE, 8192), EntrySize),
            (&|h| put32(h, H_ENTRY_COUNT, u32::MAX), EntryCount),
            (&|h| put64(h, H_ENTRY_LBA, u64::MAX), EntriesLocation),
            (&|h| put64(h, H_ENTRY_LBA, 1), EntriesLocation),
            (&|h| put64(h, H_ENTRY_LBA, 180), EntriesLocation), // overlaps usable and the end
            (&|h| put32(h, H_ENTRY_COUNT, 4), EntriesCrc),
        ];
        for (edit, want) in cases {
            assert_eq!(primary_error_after(edit), want);
        }
        // Entry array inside the usable range.
        let mut img = write_gpt(512, 200, 128, 128, &[]);
        put64(&mut img[512..], H_ENTRY_LBA, 50);
        fix_crc(&mut img[512..]);
        assert_eq!(parse(&img, Some(512)).unwrap().primary_error, Some(EntriesLocation));
    }

    #[test]
    fn hostile_entries() {
        let both = |e| Err(GptError::BothHeadersBad { primary: e, backup: e });
        let check = |ents: &[Ent], want: Result<usize, GptError>| {
            let img = write_gpt(512, 200, 128, 128, ents);
            assert_eq!(parse(&img, Some(512)).map(|g| g.partitions.len()), want);
        };
        let l = types::LINUX_GENERIC;
        check(&[ent(l, 34, 166, "")], Ok(1));
        check(&[ent(l, 33, 40, "")], both(TableError::PartitionRange(1)));
        check(&[ent(l, 34, 40, ""), ent(l, 160, 167, "")], both(TableError::PartitionRange(2)));
        check(&[ent(l, 50, 40, "")], both(TableError::PartitionRange(1)));
        check(&[ent(l, 34, 40, ""), ent(l, 41, 50, ""), ent(l, 50, 60, "")], both(TableError::PartitionOverlap(2, 3)));
        check(&[ent(l, 34, 100, ""), ent(l, 50, 60, "")], both(TableError::PartitionOverlap(1, 2)));
        let e = TableError::PartitionOverlap(2, 3);
        assert_eq!(Line::of(&e).as_str(), "partitions 2 and 3 overlap");

        // More used entries than ddiboot keeps.
        let many: Vec<Ent> = (0..129).map(|i| ent(l, 100 + i, 100 + i, "")).collect();
        let img = write_gpt(512, 400, 256, 128, &many);
        let e = parse(&img, Some(512)).err().unwrap();
        assert_eq!(
            e,
            GptError::BothHeadersBad { primary: TableError::TooManyPartitions, backup: TableError::TooManyPartitions }
        );
        let img = write_gpt(512, 400, 256, 128, &many[..128]);
        assert_eq!(parse(&img, Some(512)).unwrap().partitions.len(), 128);
    }

    #[test]
    fn entry_numbers_skip_unused_slots_and_names_are_sanitised() {
        let mut ents = vec![ent(Guid::ZERO, 0, 0, ""), ent(types::ESP, 40, 50, "a\u{e9}\u{1}b")];
        ents[0].uuid = Guid::ZERO;
        let g = parse(&write_gpt(512, 200, 128, 128, &ents), None).unwrap();
        assert_eq!(g.partitions.len(), 1);
        assert_eq!(g.partitions[0].number, 2);
        assert_eq!(Line::of(&g.partitions[0].label()).as_str(), "a??b");
        // A full 36-unit name has no NUL.
        let name = "abcdefghijklmnopqrstuvwxyz0123456789";
        let g = parse(&write_gpt(512, 200, 128, 128, &[ent(types::ESP, 40, 50, name)]), None).unwrap();
        assert!(g.partitions[0].name_eq(name.as_bytes()));
    }

    #[test]
    fn protective_mbr_is_informative() {
        let good = write_gpt(512, 200, 128, 128, &sample());
        let mut img = good.clone();
        img[510] = 0;
        assert!(!parse(&img, None).unwrap().pmbr_ok);
        let mut img = good.clone();
        img[446 + 4] = 0x83; // no 0xEE record
        assert!(!parse(&img, None).unwrap().pmbr_ok);
        // Hybrid: a Linux record first, the 0xEE record second.
        let mut img = good.clone();
        img.copy_within(446..462, 462);
        img[446..462].copy_from_slice(&[0, 0, 0, 0, 0x83, 0, 0, 0, 40, 0, 0, 0, 10, 0, 0, 0]);
        assert!(parse(&img, None).unwrap().pmbr_ok);
    }

    /// Deterministic random corruption of headers and arrays: errors, never panics.
    #[test]
    fn random_corruption_never_panics() {
        let good = write_gpt(512, 200, 16, 128, &sample());
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let mut img = good.clone();
            for _ in 0..1 + next() % 4 {
                let r = next();
                let at = match r % 4 {
                    0 => 512 + (r >> 8) as usize % 92,
                    1 => 1024 + (r >> 8) as usize % 512,
                    2 => 199 * 512 + (r >> 8) as usize % 92,
                    _ => (r >> 8) as usize % img.len(),
                };
                img[at] = (r >> 40) as u8;
            }
            if next() % 2 == 0 {
                fix_crc(&mut img[512..1024]);
            }
            let _ = parse(&img, None);
            let _ = parse(&img, Some(512));
        }
    }
}
