//! Read-only FAT12/16/32 (SPECS.md §7): find a file on the ESP by path and turn it into
//! extents on the disk, so the DDI can be mapped with dm-linear without mounting vfat.
//!
//! Everything here is hostile input: the boot sector is validated field by field (§7.2),
//! every cluster number is range-checked, every chain walk is bounded (step caps plus
//! Brent's cycle detection), directories are capped at [`MAX_DIR_ENTRIES`] entries, and
//! nothing allocates: one FAT window and one directory chunk are the only buffers.

use crate::format::block::{div_ceil, BlockReader, Extent, Extents, ReadError};
use crate::format::le;
use crate::text::{Line, Show};

// BPB field offsets (§7.1), in spec order.
const BPB_BYTS_PER_SEC: usize = 11;
const BPB_SEC_PER_CLUS: usize = 13;
const BPB_RSVD_SEC_CNT: usize = 14;
const BPB_NUM_FATS: usize = 16;
const BPB_ROOT_ENT_CNT: usize = 17;
const BPB_TOT_SEC16: usize = 19;
const BPB_FAT_SZ16: usize = 22;
const BPB_TOT_SEC32: usize = 32;
const BPB_FAT_SZ32: usize = 36;
const BPB_EXT_FLAGS: usize = 40;
const BPB_FS_VER: usize = 42;
const BPB_ROOT_CLUS: usize = 44;
const BS_SIGNATURE: usize = 510;

/// DIR_Attr: volume label (§7.4).
pub const ATTR_VOLUME_ID: u8 = 0x08;
/// DIR_Attr: directory (§7.4).
pub const ATTR_DIRECTORY: u8 = 0x10;
/// Long-name entries have this in the low 6 attribute bits (§7.5).
const ATTR_LONG_NAME: u8 = 0x0F;
/// DIR_NTRes bits: base name / extension shown in lower case (§7.4).
const NT_LOWER_BASE: u8 = 0x08;
const NT_LOWER_EXT: u8 = 0x10;

/// A directory with more entries than this (2 MiB of entries) is refused; the FAT spec's
/// own limit is 65536 entries per directory.
pub const MAX_DIR_ENTRIES: u32 = 65536;

/// The FAT is read through one window of this many bytes (1024 FAT32 entries), so a long
/// chain costs one read per window, not one per cluster.
const FAT_WINDOW: usize = 4096;
/// Directories are read in chunks of this size (every sector and cluster is a multiple).
const DIR_CHUNK: usize = 512;
/// Longest long name in UTF-16 units, and the most LFN entries in a run (§7.5).
const NAME_MAX: usize = 255;
const LFN_MAX_ENTRIES: u8 = 20;
/// Byte offsets of the 13 UTF-16 units in an LFN entry (LDIR_Name1/2/3, §7.5).
const LFN_UNITS: [usize; 13] = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/// The FAT variant, decided by the cluster count alone (§7.2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FatType {
    Fat12,
    Fat16,
    Fat32,
}

impl Show for FatType {
    fn show(&self, out: &mut Line) {
        out.push_str(match self {
            FatType::Fat12 => "FAT12",
            FatType::Fat16 => "FAT16",
            FatType::Fat32 => "FAT32",
        })
    }
}

/// Why a FAT volume, path or file could not be used.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FatError {
    Read(ReadError),
    /// Sector 0 does not end in `55 AA`.
    NoSignature,
    /// BPB_BytsPerSec not 512/1024/2048/4096.
    BadSectorSize,
    /// BPB_SecPerClus not a power of two.
    BadClusterSize,
    /// BPB_RsvdSecCnt is 0.
    NoReservedSectors,
    /// BPB_NumFATs is 0.
    NoFats,
    /// FirstDataSector >= TotSec.
    DataBeyondEnd,
    /// FATSz16/RootEntCnt say FAT32 (or not) but the cluster count disagrees.
    TypeMismatch,
    /// The FAT cannot hold an entry for every cluster.
    FatTooSmall,
    /// TotSec * BytsPerSec exceeds the partition.
    VolumeTooLarge,
    /// BPB_FSVer is not 0.0.
    Fat32Version,
    /// BPB_RootClus outside 2..=CountofClusters+1.
    BadRootCluster,
    /// BPB_ExtFlags names a FAT that does not exist.
    BadActiveFat,
    /// A path component does not exist.
    NotFound,
    /// A path component before the last is a file.
    NotADirectory,
    /// Extents were asked for a directory.
    IsADirectory,
    /// A directory has more than [`MAX_DIR_ENTRIES`] entries.
    DirTooLarge,
    /// A cluster number outside 2..=CountofClusters+1.
    ClusterOutOfRange,
    /// A free (0) entry inside a chain.
    ChainFree,
    /// A reserved (1) entry inside a chain.
    ChainReserved,
    /// A bad-cluster mark inside a chain.
    ChainBad,
    /// The chain ends before the file size is covered.
    ChainTooShort,
    /// The chain loops back on itself.
    ChainCycle,
    /// The file has more than `MAX_EXTENTS` runs.
    TooFragmented,
}

impl From<ReadError> for FatError {
    fn from(e: ReadError) -> Self {
        FatError::Read(e)
    }
}

impl Show for FatError {
    fn show(&self, out: &mut Line) {
        use FatError::*;
        out.push_str(match self {
            Read(e) => return e.show(out),
            NoSignature => "no 55aa boot sector signature",
            BadSectorSize => "bad bytes per sector",
            BadClusterSize => "sectors per cluster not a power of two",
            NoReservedSectors => "no reserved sectors",
            NoFats => "no FATs",
            DataBeyondEnd => "data region starts past the end of the volume",
            TypeMismatch => "FAT32 layout does not match the cluster count",
            FatTooSmall => "FAT too small for the cluster count",
            VolumeTooLarge => "volume larger than its partition",
            Fat32Version => "unsupported FAT32 version",
            BadRootCluster => "root cluster out of range",
            BadActiveFat => "active FAT out of range",
            NotFound => "no such file or directory",
            NotADirectory => "not a directory",
            IsADirectory => "is a directory",
            DirTooLarge => "directory too large",
            ClusterOutOfRange => "cluster number out of range",
            ChainFree => "free cluster in chain",
            ChainReserved => "reserved cluster in chain",
            ChainBad => "bad cluster in chain",
            ChainTooShort => "cluster chain shorter than the file",
            ChainCycle => "cluster chain loops",
            TooFragmented => "file has too many extents",
        })
    }
}

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
    fn root() -> Self {
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

/// An open FAT volume: the byte range `[part_offset, part_offset + part_len)` of `dev`.
pub struct FatVolume<R: BlockReader> {
    dev: R,
    /// Device byte offset of the volume (sector 0).
    base: u64,
    fat_type: FatType,
    cluster_bytes: u32,
    cluster_count: u32,
    /// Volume byte offset and length of the active FAT.
    fat_start: u64,
    fat_len: u64,
    /// FAT12/16 fixed root directory: volume byte offset and length.
    root_start: u64,
    root_len: u64,
    /// Volume byte offset of cluster 2.
    data_start: u64,
    /// FAT32 root directory cluster (0 on FAT12/16).
    root_cluster: u32,
    /// FAT window: `win_len` bytes of the FAT from FAT byte `win_start`.
    win: [u8; FAT_WINDOW],
    win_start: u64,
    win_len: usize,
}

/// How a file's cluster chain ends after the clusters its size needs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChainEnd {
    /// With the end-of-chain mark, as it should.
    AtSize,
    /// It links on to more clusters (an interrupted truncate, a careless tool): they are
    /// not part of the file; worth a warning.
    PastSize,
}

/// The entries of `W` bytes (decoded by `value`) at the start of `entries` that hold
/// `next`, `next + 1`, ..., up to `last`: returns the first value not found.
fn count_run<const W: usize>(entries: &[u8], mut next: u32, last: u32, value: impl Fn(&[u8; W]) -> u32) -> u32 {
    let all = entries.as_chunks::<W>().0;
    let n = core::cmp::min(all.len(), last.wrapping_sub(next).wrapping_add(1) as usize);
    for e in all.get(..n).unwrap_or(all) {
        if value(e) != next {
            break;
        }
        next += 1;
    }
    next
}

/// What a FAT entry says about the cluster after this one (§7.3).
enum Link {
    Next(u32),
    End,
}

/// Brent's cycle detection over a chain: `saved` is a cluster seen earlier; meeting it
/// again proves a loop. Costs no extra FAT reads.
struct Brent {
    saved: u32,
    power: u32,
    lam: u32,
}

impl Brent {
    fn new(first: u32) -> Self {
        Brent { saved: first, power: 1, lam: 0 }
    }

    fn step(&mut self, next: u32) -> Result<(), FatError> {
        if next == self.saved {
            return Err(FatError::ChainCycle);
        }
        self.lam += 1;
        if self.lam == self.power {
            self.saved = next;
            self.power = self.power.saturating_mul(2);
            self.lam = 0;
        }
        Ok(())
    }
}

impl<R: BlockReader> FatVolume<R> {
    /// Reads and validates the boot sector (§7.1, §7.2).
    // Out of line (docs/size.md): inlined into `boot::boot` it costs more code.
    #[inline(never)]
    pub fn open(mut dev: R, part_offset: u64, part_len: u64) -> Result<Self, FatError> {
        use FatError::*;
        let mut b = [0u8; 512];
        dev.read_at(part_offset, &mut b)?;
        if b[BS_SIGNATURE] != 0x55 || b[BS_SIGNATURE + 1] != 0xAA {
            return Err(NoSignature);
        }
        let bps = le::u16(&b, BPB_BYTS_PER_SEC) as u64;
        if !matches!(bps, 512 | 1024 | 2048 | 4096) {
            return Err(BadSectorSize);
        }
        let spc = b[BPB_SEC_PER_CLUS] as u64;
        if !spc.is_power_of_two() {
            return Err(BadClusterSize);
        }
        let rsvd = le::u16(&b, BPB_RSVD_SEC_CNT) as u64;
        if rsvd == 0 {
            return Err(NoReservedSectors);
        }
        let nfats = b[BPB_NUM_FATS] as u64;
        if nfats == 0 {
            return Err(NoFats);
        }
        let root_ent = le::u16(&b, BPB_ROOT_ENT_CNT) as u64;
        let fat_sz16 = le::u16(&b, BPB_FAT_SZ16) as u64;
        let fat_sz = if fat_sz16 != 0 { fat_sz16 } else { le::u32(&b, BPB_FAT_SZ32) as u64 };
        let tot16 = le::u16(&b, BPB_TOT_SEC16) as u64;
        let tot = if tot16 != 0 { tot16 } else { le::u32(&b, BPB_TOT_SEC32) as u64 };

        // All of these fit u64 easily: sectors < 2^32, sector size <= 2^12.
        let root_secs = div_ceil(root_ent * 32, bps);
        let root_sec = rsvd + nfats * fat_sz;
        let first_data = root_sec + root_secs;
        if first_data >= tot {
            return Err(DataBeyondEnd);
        }
        let count = (tot - first_data) >> spc.trailing_zeros(); // spc is a power of two
        let (fat_type, bits) = if count < 4085 {
            (FatType::Fat12, 12)
        } else if count < 65525 {
            (FatType::Fat16, 16)
        } else {
            (FatType::Fat32, 32)
        };
        let fat32 = fat_type == FatType::Fat32;
        if (fat_sz16 == 0) != fat32 || (fat32 && root_ent != 0) {
            return Err(TypeMismatch);
        }
        if fat_sz * bps * 8 / bits < count + 2 {
            return Err(FatTooSmall);
        }
        if tot * bps > part_len || part_offset.checked_add(part_len).is_none() {
            return Err(VolumeTooLarge);
        }
        let mut active = 0;
        let mut root_cluster = 0;
        if fat32 {
            if le::u16(&b, BPB_FS_VER) != 0 {
                return Err(Fat32Version);
            }
            root_cluster = le::u32(&b, BPB_ROOT_CLUS);
            if root_cluster < 2 || root_cluster as u64 > count + 1 {
                return Err(BadRootCluster);
            }
            let flags = le::u16(&b, BPB_EXT_FLAGS) as u64;
            if flags & 0x80 != 0 {
                active = flags & 0x0F;
                if active >= nfats {
                    return Err(BadActiveFat);
                }
            }
        }
        Ok(FatVolume {
            dev,
            base: part_offset,
            fat_type,
            cluster_bytes: (spc * bps) as u32,
            cluster_count: count as u32,
            fat_start: (rsvd + active * fat_sz) * bps,
            fat_len: fat_sz * bps,
            root_start: root_sec * bps,
            root_len: root_secs * bps,
            data_start: first_data * bps,
            root_cluster,
            win: [0; FAT_WINDOW],
            win_start: 0,
            win_len: 0,
        })
    }

    pub fn fat_type(&self) -> FatType {
        self.fat_type
    }

    pub fn cluster_bytes(&self) -> u32 {
        self.cluster_bytes
    }

    pub fn cluster_count(&self) -> u32 {
        self.cluster_count
    }

    /// Gives the device back.
    pub fn into_inner(self) -> R {
        self.dev
    }

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

    /// The file's data as device byte ranges in file order, merged where clusters are
    /// contiguous; the lengths add up to exactly `entry.size` (§7.3 chain rules). How the
    /// chain ends after the clusters the size needs is dropped: see
    /// [`extents_into`](Self::extents_into).
    pub fn extents(&mut self, entry: &DirEntry) -> Result<Extents, FatError> {
        let mut out = Extents::new();
        self.extents_into(entry, &mut out)?;
        Ok(out)
    }

    /// [`extents`](Self::extents) into the caller's `out` (cleared first; a 1 KiB value
    /// is cheaper to fill in place than to return, docs/size.md), and how the chain ends.
    ///
    /// The size is authoritative: the first ceil(size / cluster) clusters of the chain are
    /// the file, every link up to and out of the last of them must be valid (§7.3), and a
    /// chain that goes on after them is [`ChainEnd::PastSize`], not an error (Linux reads
    /// by size, dosfsck truncates such chains; the caller should warn).
    ///
    /// Contiguous runs are followed in a tight loop over the FAT window ([`run_after`]);
    /// the walk takes at most ceil(size / cluster) clusters, so it always ends, and a
    /// loop among the clusters it takes is caught by Brent's method on the jumps.
    ///
    /// [`run_after`]: Self::run_after
    pub fn extents_into(&mut self, entry: &DirEntry, out: &mut Extents) -> Result<ChainEnd, FatError> {
        use FatError::*;
        out.clear();
        if entry.is_dir() {
            return Err(IsADirectory);
        }
        let cb = self.cluster_bytes as u64;
        let size = entry.size as u64;
        let want = div_ceil(size, cb); // clusters the file takes
        let mut c = entry.first_cluster;
        match (want, c) {
            (0, 0) => return Ok(ChainEnd::AtSize),
            (0, _) => return Ok(ChainEnd::PastSize),
            (_, 0) => return Err(ChainTooShort),
            _ => {}
        }
        let mut brent = Brent::new(c);
        let mut have = 0u64; // clusters taken; < want at the top of the loop
        let end = loop {
            // Cluster `c` and the contiguous run after it, up to the size.
            let off = self.cluster_offset(c)?;
            let run = self.run_after(c, want - have - 1)?;
            let len = (1 + run as u64) * cb;
            match out.last_mut() {
                Some(e) if e.offset + e.len == off => e.len += len,
                _ => out.push(Extent { offset: off, len }).map_err(|_| TooFragmented)?,
            }
            have += 1 + run as u64;
            c += run; // the last cluster taken (run_after stays within the cluster count)
            let link = self.link(c)?;
            if have == want {
                break match link {
                    Link::End => ChainEnd::AtSize,
                    Link::Next(_) => ChainEnd::PastSize,
                };
            }
            match link {
                Link::End => return Err(ChainTooShort),
                Link::Next(n) => {
                    brent.step(n)?;
                    c = n;
                }
            }
        };
        // The last cluster is only partly used: want*cb - size < cb <= its extent's length.
        if let Some(e) = out.last_mut() {
            e.len -= want * cb - size;
        }
        Ok(end)
    }

    /// How many clusters after `c` follow it in order (each FAT entry links to the next
    /// cluster number), at most `limit` and never past the last cluster. Whole entries
    /// are compared in the window, a few instructions each (FAT16/32; FAT12 volumes are
    /// small and take one link at a time). The numbers only grow: no loop is possible.
    fn run_after(&mut self, c: u32, limit: u64) -> Result<u32, FatError> {
        let width = match self.fat_type {
            FatType::Fat12 => return Ok(0),
            FatType::Fat16 => 2,
            FatType::Fat32 => 4,
        };
        // Entry `k` holds `k + 1` in a run; the last link may name cluster count + 1.
        let last = core::cmp::min(c as u64 + limit, self.cluster_count as u64 + 1) as u32;
        let mut next = c + 1; // what entry `next - 1` must hold
        while next <= last {
            let at = (next - 1) as u64 * width;
            self.load(at)?;
            let from = (at - self.win_start) as usize;
            let Some(entries) = self.win.get(from..self.win_len) else { break };
            let found = if width == 4 {
                count_run(entries, next, last, |e: &[u8; 4]| u32::from_le_bytes(*e) & 0x0FFF_FFFF)
            } else {
                count_run(entries, next, last, |e: &[u8; 2]| u16::from_le_bytes(*e) as u32)
            };
            // Stopped inside the window: a jump, the end, or the limit.
            let stopped = found < next + (entries.len() / width as usize) as u32;
            next = found;
            if stopped {
                break;
            }
        }
        Ok(next - 1 - c)
    }

    /// Device byte offset of cluster `c`, which must be a valid data cluster (§7.2).
    fn cluster_offset(&self, c: u32) -> Result<u64, FatError> {
        if c < 2 || c as u64 > self.cluster_count as u64 + 1 {
            return Err(FatError::ClusterOutOfRange);
        }
        // Within the volume (checked in `open`), so no overflow.
        Ok(self.base + self.data_start + (c as u64 - 2) * self.cluster_bytes as u64)
    }

    /// Makes the window hold FAT byte `at` (the aligned [`FAT_WINDOW`] around it).
    fn load(&mut self, at: u64) -> Result<(), FatError> {
        if at.wrapping_sub(self.win_start) < self.win_len as u64 {
            return Ok(());
        }
        if at >= self.fat_len {
            return Err(FatError::ClusterOutOfRange);
        }
        let start = at - at % FAT_WINDOW as u64;
        let len = core::cmp::min(FAT_WINDOW as u64, self.fat_len - start) as usize;
        self.win_len = 0;
        let buf = self.win.get_mut(..len).ok_or(FatError::ClusterOutOfRange)?;
        self.dev.read_at(self.base + self.fat_start + start, buf)?;
        self.win_start = start;
        self.win_len = len;
        Ok(())
    }

    /// One byte of the active FAT, through the window.
    fn fat_byte(&mut self, at: u64) -> Result<u8, FatError> {
        self.load(at)?;
        let i = at.wrapping_sub(self.win_start) as usize;
        self.win.get(i).copied().ok_or(FatError::ClusterOutOfRange)
    }

    /// The FAT entry of cluster `c`, classified (§7.3).
    fn link(&mut self, c: u32) -> Result<Link, FatError> {
        let n = c as u64;
        let (at, width, bad) = match self.fat_type {
            FatType::Fat12 => (n + n / 2, 2, 0xFF7),
            FatType::Fat16 => (n * 2, 2, 0xFFF7),
            FatType::Fat32 => (n * 4, 4, 0x0FFF_FFF7),
        };
        let mut v = 0u32;
        // Usually the whole entry is in the window: one slice, no per-byte calls. An
        // entry that straddles the window (FAT12) goes byte by byte.
        let rel = at.wrapping_sub(self.win_start);
        let inside = rel.checked_add(width).filter(|&end| end <= self.win_len as u64);
        match inside.and_then(|end| self.win.get(rel as usize..end as usize)) {
            Some(bytes) => {
                for (i, &b) in bytes.iter().enumerate() {
                    v |= (b as u32) << (8 * i);
                }
            }
            _ => {
                for i in 0..width {
                    v |= (self.fat_byte(at + i)? as u32) << (8 * i);
                }
            }
        }
        v = match self.fat_type {
            FatType::Fat12 if c & 1 == 1 => v >> 4,
            FatType::Fat12 => v & 0xFFF,
            FatType::Fat16 => v,
            FatType::Fat32 => v & 0x0FFF_FFFF,
        };
        match v {
            0 => Err(FatError::ChainFree),
            1 => Err(FatError::ChainReserved),
            _ if v > bad => Ok(Link::End),
            _ if v == bad => Err(FatError::ChainBad),
            _ if v as u64 > self.cluster_count as u64 + 1 => Err(FatError::ClusterOutOfRange),
            _ => Ok(Link::Next(v)),
        }
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
fn checksum(short: &[u8; 11]) -> u8 {
    short.iter().fold(0u8, |s, &b| (((s & 1) << 7) | (s >> 1)).wrapping_add(b))
}

/// `NAME    EXT` as `NAME.EXT`, lower-cased per the DIR_NTRes bits (§7.4, §7.6).
fn render_short(short: &[u8; 11], nt: u8, out: &mut [u16; NAME_MAX]) -> u8 {
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

/// Short-name match: upper-case the query, split at the last `.`, pad 8+3 (§7.6).
fn short_matches(short: &[u8; 11], q: &[u8]) -> bool {
    let (base, ext) = match q.iter().rposition(|&b| b == b'.') {
        Some(i) => (q.get(..i).unwrap_or(q), q.get(i + 1..).unwrap_or(&[])),
        None => (q, &[][..]),
    };
    if base.is_empty() || base.len() > 8 || ext.len() > 3 {
        return false;
    }
    let mut want = [b' '; 11];
    let (want_base, want_ext) = want.split_at_mut(8);
    want_base.iter_mut().zip(base).for_each(|(w, &b)| *w = b);
    want_ext.iter_mut().zip(ext).for_each(|(w, &b)| *w = b);
    want.eq_ignore_ascii_case(short)
}

/// Long-name match: the UTF-8 query as UTF-16, ASCII letters folded (§7.6).
fn long_matches(name: &[u16], q: &[u8]) -> bool {
    let fold = |u: u16| if (0x61..=0x7a).contains(&u) { u - 0x20 } else { u };
    let mut rest = name;
    let mut i = 0;
    while let Some(rest_q) = q.get(i..).filter(|r| !r.is_empty()) {
        let Some((c, n)) = utf8_next(rest_q) else { return false };
        i += n;
        let mut buf = [0u16; 2];
        for &u in c.encode_utf16(&mut buf).iter() {
            match rest.split_first() {
                Some((&v, r)) if fold(v) == fold(u) => rest = r,
                _ => return false,
            }
        }
    }
    rest.is_empty()
}

/// The first UTF-8 character of `s` and its length; None if malformed or overlong.
fn utf8_next(s: &[u8]) -> Option<(char, usize)> {
    let b0 = *s.first()? as u32;
    let (n, mut cp, min) = match b0 {
        0x00..=0x7F => return Some((b0 as u8 as char, 1)),
        0xC0..=0xDF => (2, b0 & 0x1F, 0x80),
        0xE0..=0xEF => (3, b0 & 0x0F, 0x800),
        0xF0..=0xF7 => (4, b0 & 0x07, 0x1_0000),
        _ => return None,
    };
    for k in 1..n {
        let b = *s.get(k)? as u32;
        if b & 0xC0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    if cp < min {
        return None;
    }
    Some((char::from_u32(cp)?, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::block::SliceReader;

    const BPS: usize = 512;

    /// A hand-made volume in memory: 512-byte sectors, one sector per cluster, two FATs.
    /// FAT12 gets 3000 clusters so its FAT (9 sectors) spans the 4 KiB window boundary.
    struct Img {
        buf: Vec<u8>,
        ty: FatType,
        rsvd: usize,
        fat_sz: usize,
        root_secs: usize,
    }

    impl Img {
        fn new(ty: FatType) -> Img {
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

        fn put(&mut self, at: usize, v: &[u8]) {
            self.buf[at..at + v.len()].copy_from_slice(v);
        }

        fn eoc(&self) -> u32 {
            match self.ty {
                FatType::Fat12 => 0xFFF,
                FatType::Fat16 => 0xFFFF,
                FatType::Fat32 => 0x0FFF_FFFF,
            }
        }

        /// Writes FAT entry `c` in every FAT copy.
        fn set_fat(&mut self, c: u32, v: u32) {
            self.set_fat_in(0, c, v);
            self.set_fat_in(1, c, v);
        }

        fn set_fat_in(&mut self, fat: usize, c: u32, v: u32) {
            let base = (self.rsvd + fat * self.fat_sz) * BPS;
            let c = c as usize;
            match self.ty {
                FatType::Fat12 => {
                    let at = base + c + c / 2;
                    let old = u16::from_le_bytes([self.buf[at], self.buf[at + 1]]);
                    let new = if c & 1 == 1 {
                        (old & 0x000F) | ((v as u16) << 4)
                    } else {
                        (old & 0xF000) | (v as u16 & 0x0FFF)
                    };
                    self.put(at, &new.to_le_bytes());
                }
                FatType::Fat16 => self.put(base + 2 * c, &(v as u16).to_le_bytes()),
                FatType::Fat32 => self.put(base + 4 * c, &v.to_le_bytes()),
            }
        }

        fn cluster_at(&self, c: u32) -> usize {
            (self.rsvd + 2 * self.fat_sz + self.root_secs + c as usize - 2) * BPS
        }

        /// Byte range of directory `dir` (0: the root); only its first cluster.
        fn dir_at(&self, dir: u32) -> (usize, usize) {
            match (dir, self.ty) {
                (0, FatType::Fat32) => (self.cluster_at(2), 3 * BPS),
                (0, _) => ((self.rsvd + 2 * self.fat_sz) * BPS, self.root_secs * BPS),
                _ => (self.cluster_at(dir), BPS),
            }
        }

        /// Appends a raw entry to directory `dir`.
        fn push(&mut self, dir: u32, e: [u8; 32]) {
            let (at, len) = self.dir_at(dir);
            let slot = (at..at + len).step_by(32).find(|&s| self.buf[s] == 0).expect("dir full");
            self.put(slot, &e);
        }

        /// Marks every free slot of cluster `c` deleted, so a scan does not stop there.
        fn deleted_fill(&mut self, c: u32) {
            let at = self.cluster_at(c);
            for s in (at..at + BPS).step_by(32) {
                if self.buf[s] == 0 {
                    self.buf[s] = 0xE5;
                }
            }
        }

        fn chain(&mut self, clusters: &[u32]) {
            for w in clusters.windows(2) {
                self.set_fat(w[0], w[1]);
            }
            if let Some(&last) = clusters.last() {
                self.set_fat(last, self.eoc());
            }
        }

        /// A file: optional LFN run, short entry, data in `clusters`, chain in the FAT.
        fn file(&mut self, dir: u32, long: Option<&str>, short: &[u8; 11], data: &[u8], clusters: &[u32]) {
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

        fn mkdir(&mut self, dir: u32, short: &[u8; 11], cluster: u32) {
            self.push(dir, short_entry(short, ATTR_DIRECTORY, cluster, 0));
            self.set_fat(cluster, self.eoc());
            self.push(cluster, short_entry(b".          ", ATTR_DIRECTORY, cluster, 0));
            self.push(cluster, short_entry(b"..         ", ATTR_DIRECTORY, dir, 0));
        }

        fn vol(&self) -> FatVolume<SliceReader<'_>> {
            FatVolume::open(SliceReader(&self.buf), 0, self.buf.len() as u64).unwrap()
        }

        fn open(&self) -> Result<FatType, FatError> {
            FatVolume::open(SliceReader(&self.buf), 0, self.buf.len() as u64).map(|v| v.fat_type())
        }
    }

    fn short_entry(name: &[u8; 11], attr: u8, cluster: u32, size: u32) -> [u8; 32] {
        let mut e = [0u8; 32];
        e[..11].copy_from_slice(name);
        e[11] = attr;
        e[20..22].copy_from_slice(&((cluster >> 16) as u16).to_le_bytes());
        e[26..28].copy_from_slice(&(cluster as u16).to_le_bytes());
        e[28..32].copy_from_slice(&size.to_le_bytes());
        e
    }

    /// The LFN entries for `long`, in stored order (§7.5).
    fn lfn_run(long: &str, short: &[u8; 11]) -> Vec<[u8; 32]> {
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

    fn data(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
    }

    fn names<R: BlockReader>(v: &mut FatVolume<R>, path: &str) -> Vec<String> {
        let mut out = Vec::new();
        v.list_dir(path.as_bytes(), &mut |e| {
            out.push(String::from_utf16_lossy(e.name()));
            true
        })
        .unwrap();
        out
    }

    fn read_back(disk: &[u8], ext: &[Extent]) -> Vec<u8> {
        ext.iter().flat_map(|e| disk[e.offset as usize..(e.offset + e.len) as usize].to_vec()).collect()
    }

    fn extents_of(img: &Img, path: &str) -> Result<Extents, FatError> {
        chain_of(img, path).map(|(x, _)| x)
    }

    fn chain_of(img: &Img, path: &str) -> Result<(Extents, ChainEnd), FatError> {
        let mut v = img.vol();
        let e = v.lookup(path.as_bytes())?;
        let mut out = Extents::new();
        let end = v.extents_into(&e, &mut out)?;
        Ok((out, end))
    }

    const ALL: [FatType; 3] = [FatType::Fat12, FatType::Fat16, FatType::Fat32];

    #[test]
    fn types_and_geometry() {
        for ty in ALL {
            let img = Img::new(ty);
            let v = img.vol();
            assert_eq!(v.fat_type(), ty);
            assert_eq!(v.cluster_bytes(), 512);
            let count = match ty {
                FatType::Fat12 => 3000,
                FatType::Fat16 => 4200,
                FatType::Fat32 => 65600,
            };
            assert_eq!(v.cluster_count(), count);
        }
    }

    #[test]
    fn files_read_back_at_a_partition_offset() {
        for ty in ALL {
            let mut img = Img::new(ty);
            let a = data(1300, 1);
            let b = data(512, 2);
            img.mkdir(0, b"EFI        ", 5);
            img.mkdir(5, b"LINUX      ", 6);
            img.file(6, Some("rootfs.raw"), b"ROOTFS  RAW", &a, &[10, 11, 20]);
            img.file(6, None, b"EXACT   BIN", &b, &[30]);
            img.file(6, None, b"EMPTY      ", &[], &[]);
            // The volume 4 KiB into a "disk" with junk around it.
            let mut disk = vec![0xA5u8; 4096];
            disk.extend_from_slice(&img.buf);
            disk.extend_from_slice(&[0x5A; 4096]);
            let mut v = FatVolume::open(SliceReader(&disk), 4096, img.buf.len() as u64).unwrap();
            let e = v.lookup(b"/EFI/Linux/rootfs.raw").unwrap();
            assert_eq!(e.size, 1300);
            assert_eq!(e.first_cluster, 10);
            let ext = v.extents(&e).unwrap();
            assert_eq!(ext.len(), 2, "{ty:?}: clusters 10,11 merge, 20 apart");
            assert_eq!(ext[0].offset, 4096 + img.cluster_at(10) as u64);
            assert_eq!(ext[0].len, 1024);
            assert_eq!(ext[1].len, 1300 - 1024);
            assert_eq!(read_back(&disk, &ext), a);
            let e = v.lookup(b"efi//LINUX///exact.bin").unwrap();
            assert_eq!(read_back(&disk, &v.extents(&e).unwrap()), b);
            let e = v.lookup(b"EFI/LINUX/EMPTY").unwrap();
            assert!(v.extents(&e).unwrap().is_empty());
            assert_eq!(names(&mut v, "/EFI/Linux"), ["rootfs.raw", "EXACT.BIN", "EMPTY"]);
            assert_eq!(names(&mut v, "/"), ["EFI"]);
            assert_eq!(names(&mut v, ""), ["EFI"]);
        }
    }

    #[test]
    fn lookup_errors_and_odd_paths() {
        let mut img = Img::new(FatType::Fat16);
        img.mkdir(0, b"EFI        ", 5);
        img.file(5, None, b"A       BIN", &data(10, 0), &[7]);
        let mut v = img.vol();
        assert!(v.lookup(b"").unwrap().is_dir());
        assert!(v.lookup(b"///").unwrap().is_dir());
        assert_eq!(v.lookup(b"/EFI/nope").unwrap_err(), FatError::NotFound);
        assert_eq!(v.lookup(b"/EFI/a.bin/x").unwrap_err(), FatError::NotADirectory);
        assert_eq!(v.lookup(b"/EFI/.").unwrap_err(), FatError::NotFound);
        assert_eq!(v.lookup(b"/EFI/..").unwrap_err(), FatError::NotFound);
        assert_eq!(v.lookup(b"/EFI/a.bin.").unwrap_err(), FatError::NotFound);
        assert_eq!(v.list_dir(b"/EFI/a.bin", &mut |_| true), Err(FatError::NotADirectory));
        let d = v.lookup(b"/efi").unwrap();
        assert_eq!(v.extents(&d).unwrap_err(), FatError::IsADirectory);
        // The callback can stop the listing.
        let mut n = 0;
        v.list_dir(b"/", &mut |_| {
            n += 1;
            false
        })
        .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn bpb_fields_each_have_their_error() {
        use FatError::*;
        let cases: &[(FatType, usize, &[u8], FatError)] = &[
            (FatType::Fat16, 510, &[0x55, 0x00], NoSignature),
            (FatType::Fat16, 11, &300u16.to_le_bytes(), BadSectorSize),
            (FatType::Fat16, 11, &256u16.to_le_bytes(), BadSectorSize),
            (FatType::Fat16, 13, &[3], BadClusterSize),
            (FatType::Fat16, 13, &[0], BadClusterSize),
            (FatType::Fat16, 14, &[0, 0], NoReservedSectors),
            (FatType::Fat16, 16, &[0], NoFats),
            (FatType::Fat16, 19, &[39, 0], DataBeyondEnd),
            (FatType::Fat16, 19, &[0, 0], DataBeyondEnd),
            (FatType::Fat16, 22, &[0, 0], TypeMismatch),
            (FatType::Fat16, 22, &[1, 0], FatTooSmall),
            (FatType::Fat12, 22, &[1, 0], FatTooSmall),
            (FatType::Fat32, 22, &[1, 0], TypeMismatch),
            (FatType::Fat32, 17, &[16, 0], TypeMismatch),
            (FatType::Fat32, 36, &[1, 0, 0, 0], FatTooSmall),
            (FatType::Fat32, 42, &[0, 1], Fat32Version),
            (FatType::Fat32, 44, &[0, 0, 0, 0], BadRootCluster),
            (FatType::Fat32, 44, &[1, 0, 0, 0], BadRootCluster),
            (FatType::Fat32, 44, &(65602u32).to_le_bytes(), BadRootCluster),
            (FatType::Fat32, 40, &[0x82, 0], BadActiveFat),
        ];
        for &(ty, at, bytes, err) in cases {
            let mut img = Img::new(ty);
            img.put(at, bytes);
            assert_eq!(img.open(), Err(err), "{ty:?} @{at} {bytes:?}");
        }
        // The last valid root cluster and an active FAT that exists are fine.
        let mut img = Img::new(FatType::Fat32);
        img.put(44, &65601u32.to_le_bytes());
        assert_eq!(img.open(), Ok(FatType::Fat32));
        // The volume must fit its partition, and the partition the u64 range.
        let img = Img::new(FatType::Fat12);
        let len = img.buf.len() as u64;
        let r = FatVolume::open(SliceReader(&img.buf), 0, len - 1);
        assert_eq!(r.err(), Some(VolumeTooLarge));
        let mut disk = vec![0u8; 512];
        disk.extend_from_slice(&img.buf);
        let r = FatVolume::open(SliceReader(&disk), 512, u64::MAX);
        assert_eq!(r.err(), Some(VolumeTooLarge));
        assert!(FatVolume::open(SliceReader(&disk), 512, u64::MAX - 512).is_ok());
        // A device too short for the boot sector is a read error.
        let r = FatVolume::open(SliceReader(&img.buf[..100]), 0, len);
        assert_eq!(r.err(), Some(Read(ReadError::OutOfRange)));
        let r = FatVolume::open(SliceReader(&img.buf), u64::MAX - 10, 5);
        assert_eq!(r.err(), Some(Read(ReadError::OutOfRange)));
    }

    #[test]
    fn fat32_active_fat_from_ext_flags() {
        let mut img = Img::new(FatType::Fat32);
        img.file(0, None, b"F       BIN", &data(1024, 3), &[10, 11]);
        img.set_fat_in(0, 10, 0); // FAT #0 says free, FAT #1 is right
        assert_eq!(extents_of(&img, "f.bin").unwrap_err(), FatError::ChainFree);
        img.put(40, &[0x81, 0]);
        assert_eq!(extents_of(&img, "f.bin").unwrap().len(), 1);
        img.put(40, &[0x01, 0]); // bit 7 clear: mirrored, FAT #0 used
        assert_eq!(extents_of(&img, "f.bin").unwrap_err(), FatError::ChainFree);
    }

    #[test]
    fn chain_cycles() {
        for ty in ALL {
            // A loop right after the last cluster the size needs: the file is intact.
            let mut img = Img::new(ty);
            img.file(0, None, b"LOOP    BIN", &data(1536, 0), &[10, 11, 20]);
            img.set_fat(20, 10);
            let (x, end) = chain_of(&img, "loop.bin").unwrap();
            assert_eq!((x.len(), end), (2, ChainEnd::PastSize), "{ty:?}");
            // A short loop inside a big file is caught long before the step cap.
            img.put(img.dir_at(0).0 + 28, &(1u32 << 20).to_le_bytes());
            img.set_fat(20, 11);
            assert_eq!(extents_of(&img, "loop.bin").unwrap_err(), FatError::ChainCycle, "{ty:?}");
            // Self-loop.
            img.set_fat(10, 10);
            assert_eq!(extents_of(&img, "loop.bin").unwrap_err(), FatError::ChainCycle, "{ty:?}");
        }
        // A directory whose chain loops.
        let mut img = Img::new(FatType::Fat16);
        img.mkdir(0, b"D          ", 40);
        img.set_fat(40, 41);
        img.set_fat(41, 40);
        img.deleted_fill(40);
        img.put(img.cluster_at(41), &short_entry(b"X          ", 0, 0, 0));
        img.deleted_fill(41);
        let mut v = img.vol();
        assert_eq!(v.lookup(b"/d/nothere").unwrap_err(), FatError::ChainCycle);
        assert_eq!(v.lookup(b"/d/x").unwrap().size, 0); // found before the loop shows
    }

    #[test]
    fn chain_links_out_of_range_free_reserved_bad() {
        for ty in ALL {
            let mut img = Img::new(ty);
            img.file(0, None, b"F       BIN", &data(1536, 0), &[10, 11, 12]);
            let count = img.vol().cluster_count();
            let bad = img.eoc() - 8;
            for (v, err) in [
                (count + 2, FatError::ClusterOutOfRange),
                (bad - 1, FatError::ClusterOutOfRange),
                (0, FatError::ChainFree),
                (1, FatError::ChainReserved),
                (bad, FatError::ChainBad),
            ] {
                img.set_fat(11, v);
                assert_eq!(extents_of(&img, "f.bin").unwrap_err(), err, "{ty:?} {v:#x}");
            }
            img.set_fat(11, 12);
            assert_eq!(extents_of(&img, "f.bin").unwrap().len(), 1);
            img.set_fat(12, count + 1); // after the last cluster: a valid link, one too many
            assert_eq!(chain_of(&img, "f.bin").unwrap().1, ChainEnd::PastSize);
            img.set_fat(12, count + 2); // after the last cluster: an invalid link
            assert_eq!(extents_of(&img, "f.bin").unwrap_err(), FatError::ClusterOutOfRange);
            img.set_fat(12, 0); // after the last cluster: free instead of end of chain
            assert_eq!(extents_of(&img, "f.bin").unwrap_err(), FatError::ChainFree);
            // First cluster out of range.
            let de = img.dir_at(0).0;
            img.put(de + 26, &1u16.to_le_bytes());
            assert_eq!(extents_of(&img, "f.bin").unwrap_err(), FatError::ClusterOutOfRange);
        }
        // On FAT32 the top 4 bits of an entry are ignored.
        let mut img = Img::new(FatType::Fat32);
        img.file(0, None, b"F       BIN", &data(1024, 0), &[10, 11]);
        img.set_fat(10, 0xF000_000B);
        assert_eq!(extents_of(&img, "f.bin").unwrap().len(), 1);
    }

    #[test]
    fn chain_too_short_or_long() {
        let mut img = Img::new(FatType::Fat16);
        img.file(0, None, b"SHORT      ", &data(1536, 0), &[10, 11]);
        img.put(img.dir_at(0).0 + 28, &1536u32.to_le_bytes());
        img.file(0, None, b"LONG       ", &data(512, 0), &[20]);
        img.chain(&[20, 21, 22]);
        img.file(0, None, b"ZEROCL     ", &[], &[]);
        img.put(img.dir_at(0).0 + 64 + 28, &5u32.to_le_bytes()); // size 5, cluster 0
        img.file(0, None, b"ZEROSZ     ", &[], &[]);
        img.put(img.dir_at(0).0 + 96 + 26, &30u16.to_le_bytes()); // size 0, cluster 30
        assert_eq!(extents_of(&img, "short").unwrap_err(), FatError::ChainTooShort);
        let (x, end) = chain_of(&img, "long").unwrap();
        assert_eq!(x.as_slice(), &[Extent { offset: img.cluster_at(20) as u64, len: 512 }]);
        assert_eq!(end, ChainEnd::PastSize);
        assert_eq!(extents_of(&img, "zerocl").unwrap_err(), FatError::ChainTooShort);
        assert_eq!(chain_of(&img, "zerosz").unwrap(), (Extents::new(), ChainEnd::PastSize));
        // The link out of the last cluster the size needs must be valid too.
        img.set_fat(20, 0);
        assert_eq!(extents_of(&img, "long").unwrap_err(), FatError::ChainFree);
    }

    #[test]
    fn runs_across_windows_up_to_the_last_cluster() {
        for ty in ALL {
            let mut img = Img::new(ty);
            let count = img.vol().cluster_count();
            // Runs across the 4 KiB window edges (FAT32 entry 1024, FAT16 2048, FAT12
            // 2730), a jump back, and a run ending at the last cluster, count + 1.
            let mut chain: Vec<u32> = (1000..1100).chain(2000..2100).chain(2700..2800).collect();
            chain.extend(50..60);
            chain.extend(count - 40..=count + 1);
            let d = data(chain.len() * 512 - 100, 3);
            img.file(0, None, b"RUNS    BIN", &d, &chain);
            let (x, end) = chain_of(&img, "runs.bin").unwrap();
            assert_eq!(end, ChainEnd::AtSize);
            let starts: Vec<u64> = x.iter().map(|e| e.offset).collect();
            let want: Vec<u64> = [1000, 2000, 2700, 50, count - 40].iter().map(|&c| img.cluster_at(c) as u64).collect();
            assert_eq!(starts, want, "{ty:?}");
            assert_eq!(read_back(&img.buf, &x), d);
            // The same chain one cluster longer than the size: the last link is a jump.
            img.set_fat(count + 1, 7);
            img.set_fat(7, img.eoc());
            assert_eq!(chain_of(&img, "runs.bin").unwrap().1, ChainEnd::PastSize);
            // A size that ends inside a run: the run is cut there.
            img.put(img.dir_at(0).0 + 28, &(150u32 * 512).to_le_bytes());
            let (x, end) = chain_of(&img, "runs.bin").unwrap();
            assert_eq!(end, ChainEnd::PastSize);
            assert_eq!(x.iter().map(|e| e.len).collect::<Vec<_>>(), [100 * 512, 50 * 512]);
        }
    }

    #[test]
    fn fat12_entries_straddling_sector_and_window() {
        let mut img = Img::new(FatType::Fat12);
        // 340 even @510..511, 341 odd @511..512 (crosses sector 0/1 of the FAT),
        // 2730 even @4095..4096 (crosses the 4 KiB window), 2731 odd @4096..4097.
        let chain = [340, 100, 341, 2730, 7, 2731, 342, 2999, 3001];
        let d = data(chain.len() * 512 - 17, 9);
        img.file(0, Some("straddle.bin"), b"STRADDLEBIN", &d, &chain);
        let mut v = img.vol();
        let e = v.lookup(b"straddle.bin").unwrap();
        let ext = v.extents(&e).unwrap();
        let starts: Vec<u64> = ext.iter().map(|x| x.offset).collect();
        let want: Vec<u64> = chain.iter().map(|&c| img.cluster_at(c) as u64).collect();
        assert_eq!(starts, want);
        assert_eq!(read_back(&img.buf, &ext), d);
        // The raw FAT bytes really straddle: byte 511 holds the top nibble of 340's entry
        // (-> 100) and the low nibble of 341's (-> 2730), byte 512 the rest of 341's.
        let fat = BPS;
        assert_eq!(img.buf[fat + 511], 0xA0); // 2730 = 0xAAA: low nibble 0xA; 100 >> 8 = 0
        assert_eq!(img.buf[fat + 512], (2730 >> 4) as u8);
    }

    #[test]
    fn too_fragmented() {
        let mut img = Img::new(FatType::Fat16);
        let runs: Vec<u32> = (0..65).map(|i| 10 + 2 * i).collect();
        img.file(0, None, b"FRAG65     ", &data(65 * 512, 0), &runs);
        img.file(0, None, b"FRAG64     ", &data(64 * 512, 0), &runs[..64].iter().map(|c| c + 1000).collect::<Vec<_>>());
        assert_eq!(extents_of(&img, "frag65").unwrap_err(), FatError::TooFragmented);
        assert_eq!(extents_of(&img, "frag64").unwrap().len(), 64);
    }

    #[test]
    fn lfn_checksum_mismatch_and_orphans_fall_back_to_short_names() {
        let mut img = Img::new(FatType::Fat32);
        // Good run over several entries, non-ASCII included.
        img.file(0, Some("A long name with ünïcode and more than 26 units.txt"), b"ALONGN~1TXT", &[], &[]);
        // Checksum mismatch: the run was made for another short name.
        for e in lfn_run("mismatch-name.bin", b"OTHER   BIN") {
            img.push(0, e);
        }
        img.file(0, None, b"MISMAT~1BIN", &[], &[]);
        // Orphan: run without its first (0x40) entry.
        for e in lfn_run("orphaned-long-name.bin", b"ORPHAN~1BIN").into_iter().skip(1) {
            img.push(0, e);
        }
        img.file(0, None, b"ORPHAN~1BIN", &[], &[]);
        // Run interrupted by a deleted entry.
        let run = lfn_run("interrupted-name.bin", b"INTERR~1BIN");
        img.push(0, run[0]);
        img.push(0, short_entry(b"\xE5ELETED TXT", 0x20, 0, 0));
        img.push(0, run[1]);
        img.file(0, None, b"INTERR~1BIN", &[], &[]);
        // Wrong ordinal order.
        let run = lfn_run("swapped-entries.bin", b"SWAPPE~1BIN");
        img.push(0, run[1]);
        img.push(0, run[0]);
        img.file(0, None, b"SWAPPE~1BIN", &[], &[]);
        // LFN run then a volume label: neither is listed, the next file keeps its short name.
        for e in lfn_run("label", b"MYLABEL    ") {
            img.push(0, e);
        }
        img.push(0, short_entry(b"MYLABEL    ", ATTR_VOLUME_ID, 0, 0));
        img.file(0, None, b"PLAIN   TXT", &[], &[]);
        // Deleted file with an LFN run: skipped.
        let run = lfn_run("gone.txt", b"GONE    TXT");
        img.push(0, run[0]);
        img.push(0, short_entry(b"\xE5ONE    TXT", 0x20, 0, 0));
        // 0x05 stands for 0xE5; NT case bits lower-case base and extension.
        img.file(0, None, b"\x05KANJI  TXT", &[], &[]);
        let mut lower = short_entry(b"A       BIN", 0x20, 0, 0);
        lower[12] = NT_LOWER_BASE | NT_LOWER_EXT;
        img.push(0, lower);
        let mut mixed = short_entry(b"README  TXT", 0x20, 0, 0);
        mixed[12] = NT_LOWER_EXT;
        img.push(0, mixed);
        // The end marker: nothing after it is listed.
        let (root, _) = img.dir_at(0);
        let end = (root..).step_by(32).find(|&s| img.buf[s] == 0).unwrap();
        img.put(end + 32, &short_entry(b"AFTEREND   ", 0x20, 0, 0));

        let mut v = img.vol();
        let got = names(&mut v, "/");
        assert_eq!(
            got,
            [
                "A long name with ünïcode and more than 26 units.txt",
                "MISMAT~1.BIN",
                "ORPHAN~1.BIN",
                "INTERR~1.BIN",
                "SWAPPE~1.BIN",
                "PLAIN.TXT",
                "\u{E5}KANJI.TXT",
                "a.bin",
                "README.txt",
            ]
        );
        let e = v.lookup("/A LONG NAME WITH ünïcode AND more than 26 units.TXT".as_bytes()).unwrap();
        assert_eq!(&e.short, b"ALONGN~1TXT");
        assert_eq!(Line::of(&e).as_str(), "A long name with ?n?code and more than 26 units.txt");
        assert!(e.name_matches(b"alongn~1.txt"));
        assert!(!e.name_matches("A long name with ÜNÏcode and more than 26 units.txt".as_bytes()));
        assert!(!e.name_matches(b"A long name with \xc3"));
        assert_eq!(v.lookup(b"/\xE5KANJI.TXT").unwrap().short[0], 0xE5);
        assert!(v.lookup(b"mismatch-name.bin").is_err());
        assert!(v.lookup(b"gone.txt").is_err());
        assert!(v.lookup(b"afterend").is_err());
        assert!(v.lookup(b"mylabel").is_err());
    }

    #[test]
    fn lfn_edge_cases() {
        // Exactly 13 units: no terminator, no padding.
        let mut img = Img::new(FatType::Fat12);
        img.file(0, Some("thirteen.char"), b"THIRTE~1CHA", &[], &[]);
        // Overlong run: ordinal 21 is refused.
        let mut run = lfn_run("x", b"BIGORD  BIN");
        run[0][0] = 0x40 | 21;
        img.push(0, run[0]);
        img.file(0, None, b"BIGORD  BIN", &[], &[]);
        // Ordinal 0 in a start entry is refused.
        run[0][0] = 0x40;
        img.push(0, run[0]);
        img.file(0, None, b"ZEROORD BIN", &[], &[]);
        // Empty long name (terminator first) is refused.
        let mut run = lfn_run("y", b"EMPTYLFNBIN");
        run[0][1] = 0;
        img.push(0, run[0]);
        img.file(0, None, b"EMPTYLFNBIN", &[], &[]);
        // 20 entries of 13 units with no terminator would be 260 > 255 units: refused.
        let long: String = core::iter::repeat_n('z', 260).collect();
        for e in lfn_run(&long, b"TOOLONG BIN") {
            img.push(0, e);
        }
        img.file(0, None, b"TOOLONG BIN", &[], &[]);
        // 255 units is the maximum and fine.
        let max: String = core::iter::repeat_n('m', 255).collect();
        for e in lfn_run(&max, b"MAXLEN  BIN") {
            img.push(0, e);
        }
        img.file(0, None, b"MAXLEN  BIN", &[], &[]);
        let mut v = img.vol();
        let got = names(&mut v, "/");
        assert_eq!(got[..5], ["thirteen.char", "BIGORD.BIN", "ZEROORD.BIN", "EMPTYLFN.BIN", "TOOLONG.BIN"]);
        assert_eq!(got[5], max);
        assert!(v.lookup(max.as_bytes()).is_ok());
    }

    #[test]
    fn huge_directory_is_refused() {
        let mut img = Img::new(FatType::Fat16);
        img.mkdir(0, b"BIG        ", 10);
        let clusters: Vec<u32> = (10..10 + 4097).collect();
        img.chain(&clusters);
        for &c in &clusters {
            img.deleted_fill(c);
        }
        let mut v = img.vol();
        assert_eq!(v.lookup(b"/big/x").unwrap_err(), FatError::DirTooLarge);
        // One cluster fewer is within the limit.
        img.set_fat(4105, img.eoc());
        let mut v = img.vol();
        assert_eq!(v.lookup(b"/big/x").unwrap_err(), FatError::NotFound);
    }

    #[test]
    fn errors_show_specific_messages() {
        assert_eq!(Line::of(&FatError::ChainCycle).as_str(), "cluster chain loops");
        assert_eq!(Line::of(&FatError::Read(ReadError::Short)).as_str(), "short read");
        assert_eq!(Line::of(&FatError::TypeMismatch).as_str(), "FAT32 layout does not match the cluster count");
        assert_eq!(Line::of(&FatType::Fat16).as_str(), "FAT16");
    }

    #[test]
    fn name_matching_rules() {
        let mut e = DirEntry::root();
        e.short = *b"ROOTFS  RAW";
        e.name_len = render_short(&e.short, 0, &mut e.name);
        for q in ["rootfs.raw", "ROOTFS.RAW", "RootFS.Raw"] {
            assert!(e.name_matches(q.as_bytes()), "{q}");
        }
        for q in ["rootfs", "rootfs.ra", "rootfs.raw.", ".raw", "rootfs.rawx", "", "rootfs raw"] {
            assert!(!e.name_matches(q.as_bytes()), "{q}");
        }
        assert_eq!(utf8_next(b"\xC0\x80"), None); // overlong NUL
        assert_eq!(utf8_next(b"\xED\xA0\x80"), None); // surrogate
        assert_eq!(utf8_next("𝄞".as_bytes()), Some(('𝄞', 4)));
        assert!(long_matches(&"a𝄞".encode_utf16().collect::<Vec<_>>(), "A𝄞".as_bytes()));
        assert_eq!(checksum(b"ROOTFS  RAW"), {
            let mut s = 0u8;
            for b in b"ROOTFS  RAW" {
                s = (if s & 1 != 0 { 0x80u8 } else { 0 }).wrapping_add(s >> 1).wrapping_add(*b);
            }
            s
        });
    }

    /// Deterministic random corruption of the metadata: never a panic, always bounded.
    #[test]
    fn random_corruption_never_panics() {
        for ty in ALL {
            let mut img = Img::new(ty);
            img.mkdir(0, b"EFI        ", 5);
            img.file(5, Some("rootfs.raw"), b"ROOTFS  RAW", &data(3000, 1), &[10, 11, 12, 20, 21, 22]);
            img.file(0, Some("x.bin"), b"X       BIN", &data(700, 1), &[30, 31]);
            let meta = img.cluster_at(32);
            let mut seed = 0x2545_F491_4F6C_DD1Du64;
            let mut rnd = move || {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            };
            for _ in 0..3000 {
                let mut saved = Vec::new();
                for _ in 0..1 + rnd() % 4 {
                    let r = rnd() as usize;
                    // Half the hits in the boot sector, the rest anywhere in the metadata.
                    let at = if r & 1 == 0 { (r >> 1) % 64 } else { (r >> 1) % meta };
                    saved.push((at, img.buf[at]));
                    img.buf[at] = (rnd() >> 8) as u8;
                }
                let len = img.buf.len() as u64;
                if let Ok(mut v) = FatVolume::open(SliceReader(&img.buf), 0, len) {
                    for p in [&b"/EFI/rootfs.raw"[..], b"x.bin", b"/"] {
                        if let Ok(e) = v.lookup(p) {
                            let _ = v.extents(&e);
                        }
                        let _ = v.list_dir(p, &mut |_| true);
                    }
                }
                for &(at, b) in saved.iter().rev() {
                    img.buf[at] = b;
                }
            }
        }
    }
}
