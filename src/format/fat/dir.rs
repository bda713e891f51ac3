//! Directories (SPECS.md §7.4, §7.5): 32-byte entries read in chunks, long-name runs
//! checked against their short entry, and the path lookup built on them.

use super::name::{long_matches, short_matches};
use super::table::{Brent, Link};
use super::{FatError, FatType, FatVolume};
use crate::format::block::BlockReader;
use crate::format::le;
use crate::text::{Line, Show};

/// DIR_Attr: volume label (§7.4).
pub const ATTR_VOLUME_ID: u8 = 0x08;
/// DIR_Attr: directory (§7.4).
pub const ATTR_DIRECTORY: u8 = 0x10;
/// Long-name entries have this in the low 6 attribute bits (§7.5).
pub(super) const ATTR_LONG_NAME: u8 = 0x0F;
/// DIR_NTRes bits: base name / extension shown in lower case (§7.4).
pub(super) const NT_LOWER_BASE: u8 = 0x08;
pub(super) const NT_LOWER_EXT: u8 = 0x10;

/// A directory with more entries than this (2 MiB of entries) is refused; the FAT spec's
/// own limit is 65536 entries per directory.
pub const MAX_DIR_ENTRIES: u32 = 65536;

/// Directories are read in chunks of this size (every sector and cluster is a multiple).
const DIR_CHUNK: usize = 512;
/// Longest long name in UTF-16 units, and the most LFN entries in a run (§7.5).
pub(super) const NAME_MAX: usize = 255;
const LFN_MAX_ENTRIES: u8 = 20;
/// Byte offsets of the 13 UTF-16 units in an LFN entry (LDIR_Name1/2/3, §7.5).
pub(super) const LFN_UNITS: [usize; 13] = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/// One directory entry, with its long name resolved.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DirEntry {
    /// The long name if a valid LFN run preceded the entry, else the 8.3 name rendered
    /// with the DIR_NTRes case bits (`a.bin`). Short-name bytes >= 0x80 are OEM code
    /// page values, kept as-is (not Unicode).
    pub name: [u16; NAME_MAX],
    pub name_len: u8,
    /// DIR_Name, 8+3 space padded, with a leading 0x05 turned back into 0xE5.
    pub short: [u8; 11],
    pub attr: u8,
    /// 0 for empty files and for the root directory.
    pub first_cluster: u32,
    pub size: u32,
}

impl DirEntry {
    /// The root directory (first cluster 0 stands for the root, as in `..` entries).
    pub(super) fn root() -> Self {
        DirEntry {
            name: [0; NAME_MAX],
            name_len: 0,
            short: [b' '; 11],
            attr: ATTR_DIRECTORY,
            first_cluster: 0,
            size: 0,
        }
    }

    pub fn name(&self) -> &[u16] {
        &self.name[..self.name_len as usize]
    }

    pub fn is_dir(&self) -> bool {
        self.attr & ATTR_DIRECTORY != 0
    }

    /// Does the path component `query` (UTF-8) name this entry? ASCII letters compare
    /// case-insensitively against the long name, or against the 8.3 name (§7.6); other
    /// characters must be equal code units (no Unicode case folding, by policy).
    pub fn name_matches(&self, query: &[u8]) -> bool {
        long_matches(self.name(), query) || short_matches(&self.short, query)
    }
}

impl Show for DirEntry {
    /// The name, non-ASCII shown as `?`.
    fn show(&self, out: &mut Line) {
        for &u in self.name() {
            out.push_byte(if (0x20..0x7f).contains(&u) { u as u8 } else { b'?' });
        }
    }
}

impl<R: BlockReader> FatVolume<R> {
    /// The entry at `path` (`/EFI/Linux/x.raw`; leading and repeated `/` ignored, names
    /// case-insensitive). An empty path is the root directory.
    pub fn lookup(&mut self, path: &[u8]) -> Result<DirEntry, FatError> {
        let mut cur = DirEntry::root();
        for comp in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            if !cur.is_dir() {
                return Err(FatError::NotADirectory);
            }
            let mut found = None;
            self.walk_dir(cur.first_cluster, &mut |e| {
                if e.name_matches(comp) {
                    found = Some(*e);
                }
                found.is_none()
            })?;
            cur = found.ok_or(FatError::NotFound)?;
        }
        Ok(cur)
    }

    /// Calls `f` for each entry of the directory at `path` until it returns false.
    /// Volume labels, deleted entries, `.` and `..` are skipped.
    pub fn list_dir(&mut self, path: &[u8], f: &mut dyn FnMut(&DirEntry) -> bool) -> Result<(), FatError> {
        let dir = self.lookup(path)?;
        if !dir.is_dir() {
            return Err(FatError::NotADirectory);
        }
        self.walk_dir(dir.first_cluster, f)
    }

    /// Walks the directory starting at `first` (0 = root), calling `f` per entry.
    fn walk_dir(&mut self, first: u32, f: &mut dyn FnMut(&DirEntry) -> bool) -> Result<(), FatError> {
        let mut scan = Scan::new(self.fat_type == FatType::Fat32);
        if first == 0 && self.fat_type != FatType::Fat32 {
            let mut off = 0;
            while off < self.root_len {
                let at = self.base + self.root_start + off;
                if !self.scan_chunk(at, &mut scan, f)? {
                    return Ok(());
                }
                off += DIR_CHUNK as u64;
            }
            return Ok(());
        }
        let mut c = if first == 0 { self.root_cluster } else { first };
        let mut brent = Brent::new(c);
        // Bounded by MAX_DIR_ENTRIES (scan.seen) and by Brent, which catches any loop.
        loop {
            let at = self.cluster_offset(c)?;
            let mut off = 0;
            while off < self.cluster_bytes as u64 {
                if !self.scan_chunk(at + off, &mut scan, f)? {
                    return Ok(());
                }
                off += DIR_CHUNK as u64;
            }
            match self.link(c)? {
                Link::End => return Ok(()),
                Link::Next(n) => {
                    brent.step(n)?;
                    c = n;
                }
            }
        }
    }

    /// Reads one directory chunk at device offset `at`; false once the directory ended or
    /// `f` asked to stop.
    fn scan_chunk(&mut self, at: u64, scan: &mut Scan, f: &mut dyn FnMut(&DirEntry) -> bool) -> Result<bool, FatError> {
        let mut buf = [0u8; DIR_CHUNK];
        self.dev.read_at(at, &mut buf)?;
        let (entries, _) = buf.as_chunks::<32>();
        for e in entries {
            if e[0] == 0x00 {
                return Ok(false); // this and all later entries are free (§7.4)
            }
            if scan.seen >= MAX_DIR_ENTRIES {
                return Err(FatError::DirTooLarge);
            }
            scan.seen += 1;
            if let Some(d) = scan.entry(e) {
                if !f(&d) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

/// State of a directory scan: the entry count and the pending LFN run (§7.5).
struct Scan {
    fat32: bool,
    seen: u32,
    units: [u16; LFN_MAX_ENTRIES as usize * 13],
    /// Entries in the pending run (0: none).
    total: u8,
    /// Ordinal expected next (0: the run is complete).
    next: u8,
    sum: u8,
}

impl Scan {
    fn new(fat32: bool) -> Self {
        Scan { fat32, seen: 0, units: [0; LFN_MAX_ENTRIES as usize * 13], total: 0, next: 0, sum: 0 }
    }

    /// Feeds one raw entry; returns the entry if it is a file or directory to report.
    fn entry(&mut self, e: &[u8; 32]) -> Option<DirEntry> {
        if e[0] == 0xE5 {
            self.total = 0; // deleted: drop any pending run
            return None;
        }
        let attr = e[11];
        if attr & 0x3F == ATTR_LONG_NAME {
            self.lfn(e);
            return None;
        }
        let mut raw = [0u8; 11];
        raw.copy_from_slice(&e[..11]);
        let mut d = DirEntry {
            name: [0; NAME_MAX],
            name_len: 0,
            short: raw,
            attr,
            first_cluster: le::u16(e, 26) as u32,
            size: le::u32(e, 28),
        };
        if self.fat32 {
            // DIR_FstClusHI only means something on FAT32 (§7.4).
            d.first_cluster |= (le::u16(e, 20) as u32) << 16;
        }
        let long = self.take(checksum(&raw));
        if attr & ATTR_VOLUME_ID != 0 || raw[0] == b'.' {
            return None;
        }
        if raw[0] == 0x05 {
            d.short[0] = 0xE5;
        }
        match long {
            Some(len) => {
                for (dst, &src) in d.name.iter_mut().zip(&self.units).take(len) {
                    *dst = src;
                }
                d.name_len = len as u8;
            }
            None => d.name_len = render_short(&d.short, e[12], &mut d.name),
        }
        Some(d)
    }

    /// One LFN entry: starts, continues or breaks the pending run.
    fn lfn(&mut self, e: &[u8; 32]) {
        let ord = e[0];
        let seq = ord & 0x3F;
        if ord & 0x40 != 0 {
            if seq == 0 || seq > LFN_MAX_ENTRIES {
                self.total = 0;
                return;
            }
            self.total = seq;
            self.next = seq;
            self.sum = e[13];
        } else if self.total == 0 || seq != self.next || seq == 0 || e[13] != self.sum {
            self.total = 0; // orphan or out of order: ignore the run (§7.5)
            return;
        }
        let base = (seq as usize - 1) * 13;
        let units = self.units.iter_mut().skip(base);
        for (u, &o) in units.zip(&LFN_UNITS) {
            *u = le::u16(e, o);
        }
        self.next = seq - 1;
    }

    /// Ends the pending run at a short entry with checksum `sum`: the long name's length
    /// if the run is complete, matches and is well-formed.
    fn take(&mut self, sum: u8) -> Option<usize> {
        let ok = self.total != 0 && self.next == 0 && self.sum == sum;
        let n = self.total as usize * 13;
        self.total = 0;
        if !ok {
            return None;
        }
        let units = self.units.get(..n)?;
        let len = units.iter().position(|&u| u == 0).unwrap_or(n);
        (len != 0 && len <= NAME_MAX).then_some(len)
    }
}

/// The LFN checksum of an 11-byte short name (§7.5).
pub(super) fn checksum(short: &[u8; 11]) -> u8 {
    short.iter().fold(0u8, |s, &b| (((s & 1) << 7) | (s >> 1)).wrapping_add(b))
}

/// `NAME    EXT` as `NAME.EXT`, lower-cased per the DIR_NTRes bits (§7.4, §7.6).
pub(super) fn render_short(short: &[u8; 11], nt: u8, out: &mut [u16; NAME_MAX]) -> u8 {
    let (base, ext) = short.split_at(8);
    fn trim(s: &[u8]) -> &[u8] {
        let n = s.iter().rev().take_while(|&&b| b == b' ').count();
        s.split_at_checked(s.len() - n).map_or(s, |(kept, _)| kept)
    }
    let mut len = 0;
    let mut put = |b: u8, lower: bool| {
        if let Some(slot) = out.get_mut(len) {
            *slot = if lower { b.to_ascii_lowercase() } else { b } as u16;
            len += 1;
        }
    };
    for &b in trim(base) {
        put(b, nt & NT_LOWER_BASE != 0);
    }
    let ext = trim(ext);
    if !ext.is_empty() {
        put(b'.', false);
    }
    for &b in ext {
        put(b, nt & NT_LOWER_EXT != 0);
    }
    len as u8
}
