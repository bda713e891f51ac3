//! Read-only FAT12/16/32 (SPECS.md §7): find a file on the ESP by path and turn it into
//! extents on the disk, so the DDI can be mapped with dm-linear without mounting vfat.
//!
//! One file per on-disk structure, as rust-fatfs does: `boot_sector.rs` (the BPB, the
//! volume's geometry and FAT type), `table.rs` (FAT entries, the cluster chain walk, the
//! file's extents), `dir.rs` (directory entries and long names, path lookup), `name.rs`
//! (how a path component matches an entry); the unit tests build their volumes with
//! `test_image.rs`.
//!
//! Everything here is hostile input: the boot sector is validated field by field (§7.2),
//! every cluster number is range-checked, every chain walk is bounded (a file's by the
//! clusters its size needs, a directory's by [`MAX_DIR_ENTRIES`]) and loops are caught by
//! Brent's cycle detection, and nothing allocates: one FAT window and one directory chunk
//! are the only buffers.

use crate::format::block::{BlockReader, ReadError};
use crate::text::{variant_index, Line, Show, Text};

mod boot_sector;
mod dir;
mod name;
mod table;
#[cfg(test)]
mod test_image;
#[cfg(test)]
mod tests;

pub use boot_sector::FatType;
pub use dir::{DirEntry, ATTR_DIRECTORY, ATTR_VOLUME_ID, MAX_DIR_ENTRIES};
pub use table::ChainEnd;

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
        out.push_nth(MESSAGES, variant_index(self));
        if let Read(e) = self {
            e.show(out)
        }
    }
}

/// The messages of [`FatError`], one per variant in declaration order (`text::push_nth`).
const MESSAGES: Text = msg!(concat!(
    "\0", // Read: the read error follows
    "no 55aa boot sector signature\0",
    "bad bytes per sector\0",
    "sectors per cluster not a power of two\0",
    "no reserved sectors\0",
    "no FATs\0",
    "data region starts past the end of the volume\0",
    "FAT32 layout does not match the cluster count\0",
    "FAT too small for the cluster count\0",
    "volume larger than its partition\0",
    "unsupported FAT32 version\0",
    "root cluster out of range\0",
    "active FAT out of range\0",
    "no such file or directory\0",
    "not a directory\0",
    "is a directory\0",
    "directory too large\0",
    "cluster number out of range\0",
    "free cluster in chain\0",
    "reserved cluster in chain\0",
    "bad cluster in chain\0",
    "cluster chain shorter than the file\0",
    "cluster chain loops\0",
    "file has too many extents",
));

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
    win: [u8; table::FAT_WINDOW],
    win_start: u64,
    win_len: usize,
}

impl<R: BlockReader> FatVolume<R> {
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
}
