//! Large files on FAT32 volumes made by `mkfs.vfat` on sparse disk files: a 1 GiB file and
//! one of 4 GiB − 1 bytes (FAT32's largest), contiguous and in many runs, and chains that
//! go on past the file's size. Writing gigabytes through mtools would take minutes, so
//! mtools writes a one-cluster file and the test then links its chain and sets its size in
//! the volume's own FATs and directory entry, as an allocator would (every FAT copy), and
//! marks the first and last bytes of each run to check the extents against the disk.
//!
//! Instruction counts of the walk (host, release build, unstripped):
//! `CARGO_PROFILE_RELEASE_STRIP=false cargo test --release --test fat_large --no-run`, then
//! `valgrind --tool=callgrind --toggle-collect='fat_large::walk*' <test binary> --exact
//! one_gib_contiguous`; `FAT_WALK_REPEAT=N` walks each chain N more times.

use ddiboot::format::block::Extent;
use ddiboot::format::fat::{ChainEnd, FatError, FatType, FatVolume};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

mod common;
use common::{run, FileDisk, TempDir};

const PART: u64 = 1 << 20;
const CLUSTER: u64 = 4096;
/// 4.25 GiB: room for a 4 GiB file in 4 KiB clusters, and gaps between its runs.
const VOLUME: u64 = (17 << 30) / 4;
const BIG: &str = "BIG     RAW";

/// The volume's layout, read from its boot sector by hand (not by the code under test).
struct Layout {
    fat: u64,
    fat_len: u64,
    nfats: u64,
    data: u64,
    root_cluster: u32,
}

fn le(b: &[u8], at: usize, n: usize) -> u64 {
    (0..n).map(|i| (b[at + i] as u64) << (8 * i)).sum()
}

/// A sparse disk with a FAT32 volume of 4 KiB clusters at 1 MiB holding `/big.raw`
/// (one cluster, written by mcopy).
fn make(s: &TempDir) -> (PathBuf, Layout) {
    let path = s.path("disk.img");
    File::create(&path).unwrap().set_len(PART + VOLUME + 65536).unwrap();
    let p = path.to_str().unwrap();
    let blocks = (VOLUME / 1024).to_string();
    run("mkfs.vfat", &["--offset=2048", "--invariant", "-F", "32", "-S", "512", "-s", "8", p, &blocks]);
    let src = s.path("src.bin");
    std::fs::write(&src, [0x5Au8; 4096]).unwrap();
    run("mcopy", &["-i", &format!("{p}@@1M"), src.to_str().unwrap(), "::/big.raw"]);
    let f = File::open(&path).unwrap();
    let mut b = [0u8; 512];
    f.read_exact_at(&mut b, PART).unwrap();
    let bps = le(&b, 11, 2);
    let rsvd = le(&b, 14, 2);
    let nfats = b[16] as u64;
    let fat_sz = le(&b, 36, 4);
    assert_eq!(bps * b[13] as u64, CLUSTER);
    let l = Layout {
        fat: PART + rsvd * bps,
        fat_len: fat_sz * bps,
        nfats,
        data: PART + (rsvd + nfats * fat_sz) * bps,
        root_cluster: le(&b, 44, 4) as u32,
    };
    (path, l)
}

impl Layout {
    fn cluster_at(&self, c: u32) -> u64 {
        self.data + (c as u64 - 2) * CLUSTER
    }

    /// Byte offset of `BIG.RAW`'s directory entry (in the root's first cluster).
    fn entry_at(&self, f: &File) -> u64 {
        let mut b = vec![0u8; CLUSTER as usize];
        let at = self.cluster_at(self.root_cluster);
        f.read_exact_at(&mut b, at).unwrap();
        let i = b.chunks(32).position(|e| &e[..11] == BIG.as_bytes()).expect("BIG.RAW in the root");
        at + 32 * i as u64
    }
}

/// Gives `/big.raw` the chain `runs` (first cluster, length) in order, each link in every
/// FAT copy, then `tail` (end of chain, or more clusters), and `size` bytes; marks the
/// first and last byte of each run with its index. Returns the extents the chain implies.
fn set_file(disk: &Path, l: &Layout, runs: &[(u32, u32)], tail: &[u32], size: u32) -> Vec<Extent> {
    let f = OpenOptions::new().read(true).write(true).open(disk).unwrap();
    let mut fat = vec![0u8; l.fat_len as usize];
    f.read_exact_at(&mut fat, l.fat).unwrap();
    let mut chain: Vec<u32> = runs.iter().flat_map(|&(s, n)| s..s + n).collect();
    chain.extend_from_slice(tail);
    for (i, &c) in chain.iter().enumerate() {
        let next = chain.get(i + 1).copied().unwrap_or(0x0FFF_FFFF);
        fat[4 * c as usize..4 * c as usize + 4].copy_from_slice(&next.to_le_bytes());
    }
    for k in 0..l.nfats {
        f.write_all_at(&fat, l.fat + k * l.fat_len).unwrap();
    }
    let e = l.entry_at(&f);
    let first = runs[0].0;
    f.write_all_at(&((first >> 16) as u16).to_le_bytes(), e + 20).unwrap();
    f.write_all_at(&(first as u16).to_le_bytes(), e + 26).unwrap();
    f.write_all_at(&size.to_le_bytes(), e + 28).unwrap();
    let mut left = size as u64;
    let mut ext = Vec::new();
    for (i, &(s, n)) in runs.iter().enumerate() {
        let len = (n as u64 * CLUSTER).min(left);
        left -= len;
        let at = l.cluster_at(s);
        f.write_all_at(&[i as u8 + 1], at).unwrap();
        f.write_all_at(&[i as u8 + 0x81], at + len - 1).unwrap();
        ext.push(Extent { offset: at, len });
    }
    ext
}

/// Overwrites the FAT entry of cluster `c` (every copy).
fn set_link(disk: &Path, l: &Layout, c: u32, v: u32) {
    let f = OpenOptions::new().write(true).open(disk).unwrap();
    for k in 0..l.nfats {
        f.write_all_at(&v.to_le_bytes(), l.fat + k * l.fat_len + 4 * c as u64).unwrap();
    }
}

#[inline(never)]
fn walk(disk: &Path) -> (Result<(ddiboot::format::block::Extents, ChainEnd), FatError>, FatVolume<FileDisk>) {
    let mut v = FatVolume::open(FileDisk(File::open(disk).unwrap()), PART, VOLUME).unwrap();
    assert_eq!(v.fat_type(), FatType::Fat32);
    assert_eq!(v.cluster_bytes() as u64, CLUSTER);
    let e = v.lookup(b"/big.raw").unwrap();
    let repeat: u32 = std::env::var("FAT_WALK_REPEAT").ok().and_then(|r| r.parse().ok()).unwrap_or(0);
    let mut out = Default::default();
    for _ in 0..repeat {
        let _ = v.extents_into(&e, &mut out);
    }
    let r = v.extents_into(&e, &mut out).map(|end| (out, end));
    (r, v)
}

fn check_marks(disk: &Path, ext: &[Extent]) {
    let f = File::open(disk).unwrap();
    for (i, e) in ext.iter().enumerate() {
        let mut b = [0u8; 1];
        f.read_exact_at(&mut b, e.offset).unwrap();
        assert_eq!(b[0], i as u8 + 1);
        f.read_exact_at(&mut b, e.offset + e.len - 1).unwrap();
        assert_eq!(b[0], i as u8 + 0x81);
    }
}

#[test]
fn one_gib_contiguous() {
    let s = TempDir::new("fat1g");
    let (disk, l) = make(&s);
    let n = (1u64 << 30) / CLUSTER;
    let want = set_file(&disk, &l, &[(3, n as u32)], &[], 1 << 30);
    let (r, _) = walk(&disk);
    let (ext, end) = r.unwrap();
    assert_eq!(ext.as_slice(), want.as_slice());
    assert_eq!(end, ChainEnd::AtSize);
    check_marks(&disk, &ext);
}

#[test]
fn largest_file_four_gib_minus_one() {
    let s = TempDir::new("fat4g");
    let (disk, l) = make(&s);
    let size = u32::MAX; // 4 GiB - 1: 1048576 clusters, the last one short by a byte
    let n = (size as u64).div_ceil(CLUSTER) as u32;
    // Contiguous.
    let want = set_file(&disk, &l, &[(3, n)], &[], size);
    let (ext, end) = walk(&disk).0.unwrap();
    assert_eq!(ext.as_slice(), want.as_slice());
    assert_eq!(ext[0].len, size as u64);
    assert_eq!(end, ChainEnd::AtSize);
    check_marks(&disk, &ext);
    // 64 runs (the most a file may have) with one free cluster between them, the last
    // run first on the disk, and the runs' lengths uneven.
    let mut runs = Vec::new();
    let mut left = n;
    let mut at = 3 + 30_000;
    for i in 0..64u32 {
        let len = if i == 63 { left } else { 16_000 + 7 * i };
        runs.push((at, len));
        left -= len;
        at += len + 1;
    }
    let last = runs.len() - 1;
    runs[last].0 = 3;
    assert!(runs[last].1 < 30_000);
    let want = set_file(&disk, &l, &runs, &[], size);
    let (ext, end) = walk(&disk).0.unwrap();
    assert_eq!(ext.len(), 64);
    assert_eq!(ext.as_slice(), want.as_slice());
    assert_eq!(ext.iter().map(|e| e.len).sum::<u64>(), size as u64);
    assert_eq!(end, ChainEnd::AtSize);
    check_marks(&disk, &ext);
    // One run more is too fragmented.
    let mut more = runs.clone();
    more[0].1 -= 2;
    more.insert(1, (more[0].0 + more[0].1 + 1, 1));
    set_file(&disk, &l, &more, &[], size);
    assert_eq!(walk(&disk).0.unwrap_err(), FatError::TooFragmented);
}

#[test]
fn chain_longer_than_the_size_is_used_up_to_the_size() {
    let s = TempDir::new("fatlong");
    let (disk, l) = make(&s);
    // 100 MiB + 1 byte: 25601 clusters; the chain has 3 more (contiguous), then more
    // that loop back into the file: still only the first 25601 are used.
    let size = (100 << 20) + 1;
    let need = 25_601;
    let want = set_file(&disk, &l, &[(10, need)], &[10 + need, 11 + need, 12 + need], size);
    let (ext, end) = walk(&disk).0.unwrap();
    assert_eq!(ext.as_slice(), want.as_slice());
    assert_eq!(ext[0].len, size as u64);
    assert_eq!(end, ChainEnd::PastSize);
    check_marks(&disk, &ext);
    // Fragmented, then the chain jumps far away and back into the file (a loop after
    // the size is covered).
    let runs = [(10_000, 20_000), (40, need - 20_000)];
    let want = set_file(&disk, &l, &runs, &[900_000], size);
    set_link(&disk, &l, 900_000, 10_000);
    let (ext, end) = walk(&disk).0.unwrap();
    assert_eq!(ext.as_slice(), want.as_slice());
    assert_eq!(end, ChainEnd::PastSize);
    // A bad link inside the clusters the size needs is still an error.
    set_file(&disk, &l, &[(10, need)], &[], size);
    set_link(&disk, &l, 500, 0x0FFF_FFF7);
    assert_eq!(walk(&disk).0.unwrap_err(), FatError::ChainBad);
    set_link(&disk, &l, 500, 2_000_000);
    assert_eq!(walk(&disk).0.unwrap_err(), FatError::ClusterOutOfRange);
    set_link(&disk, &l, 500, 0);
    assert_eq!(walk(&disk).0.unwrap_err(), FatError::ChainFree);
    // So is a chain that ends early.
    set_file(&disk, &l, &[(10, need - 1)], &[], size);
    assert_eq!(walk(&disk).0.unwrap_err(), FatError::ChainTooShort);
}
