//! The File Allocation Table (SPECS.md §7.3): entries, the cluster chain walk, and a
//! file's extents on the disk.

use super::{DirEntry, FatError, FatType, FatVolume};
use crate::format::block::{div_ceil, BlockReader, Extent, Extents};

/// The FAT is read through one window of up to this many bytes (4096 FAT32 entries), so a
/// long chain costs one read per window, not one per cluster: a 1 GiB file in 4 KiB
/// clusters takes 64 reads, not the 256 of a 4 KiB window (each a syscall and a page-cache
/// walk in the kernel). Not larger: the window lives in `FatVolume`, which is zeroed and
/// moved by value (docs/benchmarks.md, "DDI size": 64 KiB cost the small DDI ~1 ms).
pub(super) const FAT_WINDOW: usize = 16384;

/// A single entry (`link`, the directory chains) and short runs read only this much, from
/// a multiple of it: copying a whole window for one entry costs more than it saves.
const SMALL_WINDOW: usize = 8192;

// `link` reads each entry from one window: the FAT12 table (4086 entries of 1.5 bytes)
// ends within the first window (which starts at 0), and no FAT16/32 entry straddles one.
const _: () = assert!(SMALL_WINDOW >= 8192 && SMALL_WINDOW.is_multiple_of(4) && FAT_WINDOW >= SMALL_WINDOW);

/// The FAT32 bad-cluster mark; entries above it end a chain (§7.3).
const BAD_FAT32: u32 = 0x0FFF_FFF7;

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

/// [`count_run`] for FAT32: eight entries per test (four 8-byte compares folded into one
/// branch: the hot loop of a large contiguous file), then two per compare, then one at a
/// time where the pairs stop.
fn count_run32(entries: &[u8], next: u32, last: u32) -> u32 {
    const MASK: u64 = 0x0FFF_FFFF_0FFF_FFFF;
    const STEP: u64 = 1 << 33 | 2; // one pair on: both halves + 2
    let n = core::cmp::min(entries.len() / 4, last.wrapping_sub(next).wrapping_add(1) as usize);
    let entries = entries.get(..4 * n).unwrap_or(entries);
    let mut pair = next as u64 | (next as u64 + 1) << 32; // both below 2^28
    for q in entries.as_chunks::<32>().0 {
        let [a, b, c, d] = q.as_chunks::<8>().0 else { break };
        let e = |p: &[u8; 8], k: u64| u64::from_le_bytes(*p) ^ (pair + k * STEP);
        if (e(a, 0) | e(b, 1) | e(c, 2) | e(d, 3)) & MASK != 0 {
            break;
        }
        pair += 4 * STEP;
    }
    let at = pair as u32; // the first entry not yet matched
    let entries = entries.get(4 * (at - next) as usize..).unwrap_or(&[]);
    for p in entries.as_chunks::<8>().0 {
        if u64::from_le_bytes(*p) & MASK != pair {
            break;
        }
        pair += STEP;
    }
    let from = pair as u32;
    let rest = entries.get(4 * (from - at) as usize..).unwrap_or(&[]);
    count_run(rest, from, last, |e: &[u8; 4]| u32::from_le_bytes(*e) & 0x0FFF_FFFF)
}

/// What a FAT entry says about the cluster after this one (§7.3).
pub(super) enum Link {
    Next(u32),
    End,
}

/// Brent's cycle detection over a chain: `saved` is a cluster seen earlier; meeting it
/// again proves a loop. Costs no extra FAT reads.
pub(super) struct Brent {
    saved: u32,
    power: u32,
    lam: u32,
}

impl Brent {
    pub(super) fn new(first: u32) -> Self {
        Brent { saved: first, power: 1, lam: 0 }
    }

    pub(super) fn step(&mut self, next: u32) -> Result<(), FatError> {
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
    /// Contiguous runs are followed in a tight loop over the FAT window (`run_after`);
    /// the walk takes at most ceil(size / cluster) clusters, so it always ends. A loop is
    /// caught by Brent's method on the jumps between runs once it comes round (a loop the
    /// size cuts short before that maps some clusters twice, as Linux would read them;
    /// dm-verity judges the content).
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
        // Entry `k` holds `k + 1` in a run; the last link may name cluster count + 1, and
        // never a value `link` reads as bad or end of chain (a BPB may claim more FAT32
        // clusters than 0x0FFFFFF5, the format's limit).
        let max = core::cmp::min(self.cluster_count as u64 + 1, BAD_FAT32 as u64 - 1);
        let last = core::cmp::min(c as u64 + limit, max) as u32;
        let mut next = c + 1; // what entry `next - 1` must hold
        while next <= last {
            let at = (next - 1) as u64 * width;
            let need = (last - next) as u64 * width; // entry bytes still to compare, less one
            self.load(at, if need < SMALL_WINDOW as u64 { SMALL_WINDOW } else { FAT_WINDOW })?;
            let from = (at - self.win_start) as usize;
            let Some(entries) = self.win.get(from..self.win_len) else { break };
            let found = if width == 4 {
                count_run32(entries, next, last)
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
    pub(super) fn cluster_offset(&self, c: u32) -> Result<u64, FatError> {
        if c < 2 || c as u64 > self.cluster_count as u64 + 1 {
            return Err(FatError::ClusterOutOfRange);
        }
        // Within the volume (checked in `open`), so no overflow.
        Ok(self.base + self.data_start + (c as u64 - 2) * self.cluster_bytes as u64)
    }

    /// Makes the window hold FAT byte `at`: `size` bytes (at most [`FAT_WINDOW`]) from `at`
    /// rounded down to a multiple of [`SMALL_WINDOW`], so a run read on from a single
    /// entry's window reads each FAT byte once.
    fn load(&mut self, at: u64, size: usize) -> Result<(), FatError> {
        if at.wrapping_sub(self.win_start) < self.win_len as u64 {
            return Ok(());
        }
        if at >= self.fat_len {
            return Err(FatError::ClusterOutOfRange);
        }
        let start = at - at % SMALL_WINDOW as u64;
        let len = core::cmp::min(size as u64, self.fat_len - start) as usize;
        self.win_len = 0;
        let buf = self.win.get_mut(..len).ok_or(FatError::ClusterOutOfRange)?;
        self.dev.read_at(self.base + self.fat_start + start, buf)?;
        self.win_start = start;
        self.win_len = len;
        Ok(())
    }

    /// The FAT entry of cluster `c`, classified (§7.3).
    pub(super) fn link(&mut self, c: u32) -> Result<Link, FatError> {
        let n = c as u64;
        let (at, width, bad) = match self.fat_type {
            FatType::Fat12 => (n + n / 2, 2, 0xFF7),
            FatType::Fat16 => (n * 2, 2, 0xFFF7),
            FatType::Fat32 => (n * 4, 4, BAD_FAT32),
        };
        // Windows start at a multiple of SMALL_WINDOW, so a FAT16/32 entry never straddles
        // one, nor a FAT12 one (the whole FAT12 table is under 6 KiB: its entries end
        // before the first window does).
        self.load(at, SMALL_WINDOW)?;
        let rel = (at - self.win_start) as usize;
        let bytes =
            self.win.get(rel..self.win_len).and_then(|w| w.get(..width as usize)).ok_or(FatError::ClusterOutOfRange)?;
        let mut v = 0u32;
        for (i, &b) in bytes.iter().enumerate() {
            v |= (b as u32) << (8 * i);
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
}
