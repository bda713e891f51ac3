//! Shared by the fuzz targets: a zero-extended disk, GPT checksum re-sealing, the checks
//! every parsed GPT must pass, and rendering through the product's `Show` code.
#![allow(dead_code)]

use ddiboot::format::block::{BlockReader, ReadError};
use ddiboot::format::gpt::Gpt;
use ddiboot::text::{Line, Show, LINE_MAX};

/// The fuzz input at byte 0 of a device of `size` bytes; bytes past the input read as
/// zeros. Lets a seed that is the head of a large volume (a FAT32 ESP) stand for all of it.
pub struct Disk<'a> {
    data: &'a [u8],
    size: u64,
}

impl<'a> Disk<'a> {
    pub fn new(data: &'a [u8], size: u64) -> Self {
        Disk { data, size }
    }
}

impl BlockReader for Disk<'_> {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let end = offset.checked_add(buf.len() as u64).ok_or(ReadError::OutOfRange)?;
        if end > self.size {
            return Err(ReadError::OutOfRange);
        }
        buf.fill(0);
        if let Some(src) = usize::try_from(offset).ok().and_then(|o| self.data.get(o..)) {
            let n = src.len().min(buf.len());
            buf[..n].copy_from_slice(&src[..n]);
        }
        Ok(())
    }

    fn size(&self) -> u64 {
        self.size
    }
}

/// Renders `v` as the product would log it; the line must stay within its buffer.
pub fn show(v: &dyn Show) {
    let line = Line::of(v);
    assert!(line.len() <= LINE_MAX);
    let _ = line.as_str();
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Recomputes the entry-array and header CRCs of every `EFI PART` header at LBA 1 and at the
/// last LBA, for 512- and 4096-byte blocks, so that mutations past the checksums (usable
/// range, entry geometry, the entries themselves) reach the code behind the CRC checks.
pub fn reseal_gpt(img: &mut [u8]) {
    for bs in [512usize, 4096] {
        let blocks = img.len() / bs;
        if blocks < 2 {
            continue;
        }
        for lba in [1, blocks - 1] {
            reseal_copy(img, bs, lba * bs);
        }
    }
}

fn reseal_copy(img: &mut [u8], bs: usize, at: usize) {
    let Some(h) = img.get(at..at + bs) else {
        return;
    };
    if &h[..8] != b"EFI PART" {
        return;
    }
    let header_size = le32(h, 12) as usize;
    let array = le64(h, 72)
        .checked_mul(bs as u64)
        .zip((le32(h, 80) as u64).checked_mul(le32(h, 84) as u64))
        .filter(|&(_, len)| len <= 4 << 20)
        .and_then(|(start, len)| Some((usize::try_from(start).ok()?, len as usize)));
    if let Some(entries) = array.and_then(|(s, l)| img.get(s..s.checked_add(l)?)) {
        let crc = crc32fast::hash(entries);
        img[at + 88..at + 92].copy_from_slice(&crc.to_le_bytes());
    }
    if (92..=bs).contains(&header_size) {
        img[at + 16..at + 20].fill(0);
        let crc = crc32fast::hash(&img[at..at + header_size]);
        img[at + 16..at + 20].copy_from_slice(&crc.to_le_bytes());
    }
}

/// What `read_gpt` promises about a table it accepted, on a device of `dev_size` bytes
/// (gpt.rs: "callers can turn LBAs into byte ranges without further checks").
pub fn check_gpt(g: &Gpt, dev_size: u64) {
    let bs = g.block_size as u64;
    assert!(bs == 512 || bs == 4096, "block size {bs}");
    assert_eq!(g.used_backup, g.primary_error.is_some());
    if g.used_backup {
        assert!(g.backup_error.is_none());
    }
    let last_lba = (dev_size / bs).checked_sub(1).expect("table on a device under 1 block");
    assert!(2 <= g.first_usable && g.first_usable <= g.last_usable && g.last_usable < last_lba);
    assert!(g.partitions.len() <= ddiboot::format::gpt::MAX_PARTITIONS);
    for (i, p) in g.partitions.iter().enumerate() {
        assert!(!p.type_guid.is_zero());
        assert!(g.first_usable <= p.first_lba && p.first_lba <= p.last_lba);
        assert!(p.last_lba <= g.last_usable);
        let end = p.byte_offset(g.block_size).checked_add(p.byte_len(g.block_size));
        assert!(end.is_some_and(|e| e <= dev_size), "partition {} past the device", p.number);
        for q in &g.partitions[..i] {
            assert!(q.number < p.number);
            assert!(p.first_lba > q.last_lba || q.first_lba > p.last_lba, "overlap");
        }
        show(&p.label());
        show(&p.type_guid);
        show(&p.uuid);
        let _ = (p.name_eq(b"_empty"), p.name_starts_with(b"PRT#"));
    }
    show(&g.disk_guid);
    if let Some(e) = g.primary_error {
        show(&e);
    }
    if let Some(e) = g.backup_error {
        show(&e);
    }
}
