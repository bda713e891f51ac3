//! A FAT volume built by hand in memory for the unit tests: exact control over every
//! BPB field, FAT entry and directory entry (the volumes made by mkfs.vfat and mtools
//! are in tests/fat.rs and tests/fat_large.rs).

use super::dir::{checksum, LFN_UNITS};
use super::*;
use crate::format::block::{Extent, Extents, SliceReader};

pub(super) const BPS: usize = 512;

/// A hand-made volume in memory: 512-byte sectors, one sector per cluster, two FATs.
/// FAT12 gets 3000 clusters so its FAT (9 sectors) spans a 4 KiB page boundary; FAT32's
/// 65600 clusters make a FAT (257 KiB) that spans many FAT windows.
pub(super) struct Img {
    pub(super) buf: Vec<u8>,
    pub(super) ty: FatType,
    pub(super) rsvd: usize,
    pub(super) fat_sz: usize,
    pub(super) root_secs: usize,
}

impl Img {
    pub(super) fn new(ty: FatType) -> Img {
        let (rsvd, root_ent, count, bits) = match ty {
            FatType::Fat12 => (1, 64, 3000, 12),
            FatType::Fat16 => (1, 64, 4200, 16),
            FatType::Fat32 => (32, 0, 65600, 32),
        };
        let fat_sz = ((count + 2) * bits as usize).div_ceil(8 * BPS);
        let root_secs = root_ent * 32 / BPS;
        let tot = rsvd + 2 * fat_sz + root_secs + count;
        let mut img = Img { buf: vec![0; tot * BPS], ty, rsvd, fat_sz, root_secs };
        img.put(0, &[0xEB, 0x3C, 0x90]);
        img.put(3, b"MSWIN4.1");
        img.put(11, &512u16.to_le_bytes());
        img.buf[13] = 1;
        img.put(14, &(rsvd as u16).to_le_bytes());
        img.buf[16] = 2;
        img.put(17, &(root_ent as u16).to_le_bytes());
        if tot < 0x10000 {
            img.put(19, &(tot as u16).to_le_bytes());
        } else {
            img.put(32, &(tot as u32).to_le_bytes());
        }
        img.buf[21] = 0xF8;
        if ty == FatType::Fat32 {
            img.put(36, &(fat_sz as u32).to_le_bytes());
            img.put(44, &2u32.to_le_bytes());
        } else {
            img.put(22, &(fat_sz as u16).to_le_bytes());
        }
        img.put(510, &[0x55, 0xAA]);
        let eoc = img.eoc();
        img.set_fat(0, eoc & !7);
        img.set_fat(1, eoc);
        if ty == FatType::Fat32 {
            img.chain(&[2, 3, 4]); // root directory: 48 entries, like the FAT12/16 roots
        }
        img
    }

    pub(super) fn put(&mut self, at: usize, v: &[u8]) {
        self.buf[at..at + v.len()].copy_from_slice(v);
    }

    pub(super) fn eoc(&self) -> u32 {
        match self.ty {
            FatType::Fat12 => 0xFFF,
            FatType::Fat16 => 0xFFFF,
            FatType::Fat32 => 0x0FFF_FFFF,
        }
    }

    /// Writes FAT entry `c` in every FAT copy.
    pub(super) fn set_fat(&mut self, c: u32, v: u32) {
        self.set_fat_in(0, c, v);
        self.set_fat_in(1, c, v);
    }

    pub(super) fn set_fat_in(&mut self, fat: usize, c: u32, v: u32) {
        let base = (self.rsvd + fat * self.fat_sz) * BPS;
        let c = c as usize;
        match self.ty {
            FatType::Fat12 => {
                let at = base + c + c / 2;
                let old = u16::from_le_bytes([self.buf[at], self.buf[at + 1]]);
                let new =
                    if c & 1 == 1 { (old & 0x000F) | ((v as u16) << 4) } else { (old & 0xF000) | (v as u16 & 0x0FFF) };
                self.put(at, &new.to_le_bytes());
            }
            FatType::Fat16 => self.put(base + 2 * c, &(v as u16).to_le_bytes()),
            FatType::Fat32 => self.put(base + 4 * c, &v.to_le_bytes()),
        }
    }

    pub(super) fn cluster_at(&self, c: u32) -> usize {
        (self.rsvd + 2 * self.fat_sz + self.root_secs + c as usize - 2) * BPS
    }

    /// Byte range of directory `dir` (0: the root); only its first cluster.
    pub(super) fn dir_at(&self, dir: u32) -> (usize, usize) {
        match (dir, self.ty) {
            (0, FatType::Fat32) => (self.cluster_at(2), 3 * BPS),
            (0, _) => ((self.rsvd + 2 * self.fat_sz) * BPS, self.root_secs * BPS),
            _ => (self.cluster_at(dir), BPS),
        }
    }

    /// Appends a raw entry to directory `dir`.
    pub(super) fn push(&mut self, dir: u32, e: [u8; 32]) {
        let (at, len) = self.dir_at(dir);
        let slot = (at..at + len).step_by(32).find(|&s| self.buf[s] == 0).expect("dir full");
        self.put(slot, &e);
    }

    /// Marks every free slot of cluster `c` deleted, so a scan does not stop there.
    pub(super) fn deleted_fill(&mut self, c: u32) {
        let at = self.cluster_at(c);
        for s in (at..at + BPS).step_by(32) {
            if self.buf[s] == 0 {
                self.buf[s] = 0xE5;
            }
        }
    }

    pub(super) fn chain(&mut self, clusters: &[u32]) {
        for w in clusters.windows(2) {
            self.set_fat(w[0], w[1]);
        }
        if let Some(&last) = clusters.last() {
            self.set_fat(last, self.eoc());
        }
    }

    /// A file: optional LFN run, short entry, data in `clusters`, chain in the FAT.
    pub(super) fn file(&mut self, dir: u32, long: Option<&str>, short: &[u8; 11], data: &[u8], clusters: &[u32]) {
        if let Some(l) = long {
            for e in lfn_run(l, short) {
                self.push(dir, e);
            }
        }
        let first = clusters.first().copied().unwrap_or(0);
        self.push(dir, short_entry(short, 0x20, first, data.len() as u32));
        for (chunk, &c) in data.chunks(BPS).zip(clusters) {
            let at = self.cluster_at(c);
            self.put(at, chunk);
        }
        self.chain(clusters);
    }

    pub(super) fn mkdir(&mut self, dir: u32, short: &[u8; 11], cluster: u32) {
        self.push(dir, short_entry(short, ATTR_DIRECTORY, cluster, 0));
        self.set_fat(cluster, self.eoc());
        self.push(cluster, short_entry(b".          ", ATTR_DIRECTORY, cluster, 0));
        self.push(cluster, short_entry(b"..         ", ATTR_DIRECTORY, dir, 0));
    }

    pub(super) fn vol(&self) -> FatVolume<SliceReader<'_>> {
        FatVolume::open(SliceReader(&self.buf), 0, self.buf.len() as u64).unwrap()
    }

    pub(super) fn open(&self) -> Result<FatType, FatError> {
        FatVolume::open(SliceReader(&self.buf), 0, self.buf.len() as u64).map(|v| v.fat_type())
    }
}

pub(super) fn short_entry(name: &[u8; 11], attr: u8, cluster: u32, size: u32) -> [u8; 32] {
    let mut e = [0u8; 32];
    e[..11].copy_from_slice(name);
    e[11] = attr;
    e[20..22].copy_from_slice(&((cluster >> 16) as u16).to_le_bytes());
    e[26..28].copy_from_slice(&(cluster as u16).to_le_bytes());
    e[28..32].copy_from_slice(&size.to_le_bytes());
    e
}

/// The LFN entries for `long`, in stored order (§7.5).
pub(super) fn lfn_run(long: &str, short: &[u8; 11]) -> Vec<[u8; 32]> {
    let units: Vec<u16> = long.encode_utf16().collect();
    let n = units.len().div_ceil(13);
    (1..=n)
        .rev()
        .map(|seq| {
            let mut e = [0u8; 32];
            e[0] = seq as u8 | if seq == n { 0x40 } else { 0 };
            e[11] = 0x0F;
            e[13] = checksum(short);
            for (k, &o) in LFN_UNITS.iter().enumerate() {
                let i = (seq - 1) * 13 + k;
                let u = match i.cmp(&units.len()) {
                    core::cmp::Ordering::Less => units[i],
                    core::cmp::Ordering::Equal => 0,
                    core::cmp::Ordering::Greater => 0xFFFF,
                };
                e[o..o + 2].copy_from_slice(&u.to_le_bytes());
            }
            e
        })
        .collect()
}

pub(super) fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

pub(super) fn names<R: BlockReader>(v: &mut FatVolume<R>, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    v.list_dir(path.as_bytes(), &mut |e| {
        out.push(String::from_utf16_lossy(e.name()));
        true
    })
    .unwrap();
    out
}

pub(super) fn read_back(disk: &[u8], ext: &[Extent]) -> Vec<u8> {
    ext.iter().flat_map(|e| disk[e.offset as usize..(e.offset + e.len) as usize].to_vec()).collect()
}

pub(super) fn extents_of(img: &Img, path: &str) -> Result<Extents, FatError> {
    chain_of(img, path).map(|(x, _)| x)
}

pub(super) fn chain_of(img: &Img, path: &str) -> Result<(Extents, ChainEnd), FatError> {
    let mut v = img.vol();
    let e = v.lookup(path.as_bytes())?;
    let mut out = Extents::new();
    let end = v.extents_into(&e, &mut out)?;
    Ok((out, end))
}

pub(super) const ALL: [FatType; 3] = [FatType::Fat12, FatType::Fat16, FatType::Fat32];
