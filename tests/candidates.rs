//! Which DDI files on an ESP become candidates, in which order (src/plan/candidates.rs),
//! on FAT volumes made by the real tools (`mkfs.vfat`, mtools): the best versions by boot
//! order whatever the directory order, and a version with a broken FAT chain skipped
//! while the others stay.

use ddiboot::format::fat::{FatError, FatVolume};
use ddiboot::plan::candidates::{collect, Candidates, Note, MAX_CANDIDATES};
use std::fs::{self, File};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

mod common;
use common::{noise, run, FileDisk, TempDir};

/// The volume starts 1 MiB into the disk (`mkfs.vfat --offset=2048`, mtools `@@1M`).
const PART: u64 = 1 << 20;
/// A FAT16 volume of this size.
const MIB: u64 = 16;

struct Esp {
    _dir: TempDir,
    disk: PathBuf,
}

impl Esp {
    /// A sparse disk file with an empty FAT16 volume at [`PART`] and `/EFI/Linux`.
    fn new() -> Esp {
        let dir = TempDir::new("candidates");
        let disk = dir.path("disk.img");
        File::create(&disk).unwrap().set_len(PART + (MIB << 20)).unwrap();
        let blocks = (MIB * 1024).to_string();
        run("mkfs.vfat", &["--offset=2048", "--invariant", "-F", "16", disk.to_str().unwrap(), &blocks]);
        let esp = Esp { _dir: dir, disk };
        run("mmd", &["-i", &esp.img(), "::/EFI", "::/EFI/Linux"]);
        esp
    }

    fn img(&self) -> String {
        format!("{}@@1M", self.disk.display())
    }

    /// Writes `data` as `path` (`/EFI/...`); files are listed in the order written.
    fn put(&self, path: &str, data: &[u8]) {
        let src = self._dir.path("src.bin");
        fs::write(&src, data).unwrap();
        run("mcopy", &["-o", "-i", &self.img(), src.to_str().unwrap(), &format!("::{path}")]);
    }

    /// The first and last cluster of `path`, a file written in one run (mshowfat `<a-b>`).
    fn run_of(&self, path: &str) -> (u64, u64) {
        let shown = run("mshowfat", &["-i", &self.img(), &format!("::{path}")]);
        let run = shown.split('<').nth(1).unwrap().split('>').next().unwrap();
        let mut ends = run.split('-').map(|n| n.trim().parse::<u64>().unwrap());
        let first = ends.next().unwrap();
        (first, ends.next().unwrap_or(first))
    }

    /// Sets the FAT16 entry of `cluster` to `value` in every FAT.
    fn set_entry(&self, cluster: u64, value: u16) {
        let f = fs::OpenOptions::new().read(true).write(true).open(&self.disk).unwrap();
        let mut bs = [0u8; 512];
        f.read_exact_at(&mut bs, PART).unwrap();
        let bps = u16::from_le_bytes([bs[11], bs[12]]) as u64;
        let reserved = u16::from_le_bytes([bs[14], bs[15]]) as u64;
        let fats = bs[16] as u64;
        let fat_sectors = u16::from_le_bytes([bs[22], bs[23]]) as u64;
        for i in 0..fats {
            f.write_all_at(&value.to_le_bytes(), PART + (reserved + i * fat_sectors) * bps + cluster * 2).unwrap();
        }
    }

    /// Breaks `path`'s cluster chain: its first cluster's FAT16 entry (in every FAT)
    /// becomes 0, "free", as an interrupted write or a careless tool leaves it.
    fn break_chain(&self, path: &str) {
        self.set_entry(self.run_of(path).0, 0);
    }

    /// Makes `path`'s chain go on one cluster past its size (the free cluster after its
    /// last one), as an interrupted truncate leaves it.
    fn extend_chain(&self, path: &str) {
        let (_, last) = self.run_of(path);
        self.set_entry(last, (last + 1) as u16);
        self.set_entry(last + 1, 0xffff);
    }

    /// The candidates for `image`, their paths, and the notes as text.
    fn collect(&self, image: &str) -> (Result<Candidates, FatError>, Vec<String>) {
        let dev = FileDisk(File::open(&self.disk).unwrap());
        let mut vol = FatVolume::open(dev, PART, MIB << 20).unwrap();
        let mut out = Candidates::new();
        let mut notes = Vec::new();
        let r = collect(&mut vol, image.as_bytes(), &mut out, &mut |n| {
            notes.push(match n {
                Note::LeftOut(e) => format!("left out {}", String::from_utf16_lossy(e.name())),
                Note::Unreadable(p, e) => format!("unreadable {} {e:?}", String::from_utf8_lossy(p)),
                Note::ChainPastSize(p) => format!("past size {}", String::from_utf8_lossy(p)),
            })
        });
        (r.map(|()| out), notes)
    }

    /// The bytes of a candidate's extents, read back from the disk file.
    fn read_back(&self, c: &ddiboot::plan::candidates::Candidate) -> Vec<u8> {
        let f = File::open(&self.disk).unwrap();
        let mut out = Vec::new();
        for e in c.extents.iter() {
            let mut b = vec![0; e.len as usize];
            f.read_exact_at(&mut b, e.offset).unwrap();
            out.extend_from_slice(&b);
        }
        out
    }
}

fn paths(c: &Candidates) -> Vec<String> {
    c.iter().map(|c| String::from_utf8_lossy(&c.path).into_owned()).collect()
}

/// File contents that differ per version (so extents read back prove which file).
fn data(version: u64) -> Vec<u8> {
    noise(5000 + version as usize * 700, version)
}

#[test]
fn a_plain_path_is_the_one_candidate() {
    let esp = Esp::new();
    esp.put("/EFI/Linux/rootfs.raw", &data(1));
    esp.put("/EFI/Linux/rootfs_2.raw", &data(2));
    let (r, notes) = esp.collect("/EFI/Linux/rootfs.raw");
    let c = r.unwrap();
    assert_eq!(paths(&c), ["/EFI/Linux/rootfs.raw"]);
    assert_eq!(esp.read_back(&c[0]), data(1));
    assert!(notes.is_empty());
    assert_eq!(esp.collect("/EFI/Linux/none.raw").0.err(), Some(FatError::NotFound));
}

#[test]
fn the_newest_versions_are_kept_whatever_the_directory_order() {
    let esp = Esp::new();
    // Written oldest first: the newest are last in the directory.
    for v in 1..=8 {
        esp.put(&format!("/EFI/Linux/rootfs_{v}.raw"), &data(v));
    }
    let (r, notes) = esp.collect("/EFI/Linux/rootfs_*.raw");
    let c = r.unwrap();
    assert_eq!(c.len(), MAX_CANDIDATES);
    assert_eq!(paths(&c), (3..=8).rev().map(|v| format!("/EFI/Linux/rootfs_{v}.raw")).collect::<Vec<_>>());
    for (c, v) in c.iter().zip((3..=8).rev()) {
        assert_eq!(esp.read_back(c), data(v), "version {v}");
    }
    assert_eq!(notes, ["left out rootfs_1.raw", "left out rootfs_2.raw"]);

    // Newest first in the directory: the same six.
    let esp = Esp::new();
    for v in (1..=8).rev() {
        esp.put(&format!("/EFI/Linux/rootfs_{v}.raw"), &data(v));
    }
    let (r, notes) = esp.collect("/EFI/Linux/rootfs_*.raw");
    assert_eq!(paths(&r.unwrap()), (3..=8).rev().map(|v| format!("/EFI/Linux/rootfs_{v}.raw")).collect::<Vec<_>>());
    assert_eq!(notes, ["left out rootfs_2.raw", "left out rootfs_1.raw"]);
}

#[test]
fn boot_order_newest_first_no_tries_left_last_ties_in_directory_order() {
    let esp = Esp::new();
    for (i, n) in ["os_1.raw", "os_3+0-3.raw", "os_2.raw", "os_10+1-2.raw", "os_02.raw"].iter().enumerate() {
        esp.put(&format!("/EFI/Linux/{n}"), &data(i as u64));
    }
    // Not candidates: another prefix, a directory that matches, a non-ASCII name.
    esp.put("/EFI/Linux/other_9.raw", &data(9));
    run("mmd", &["-i", &esp.img(), "::/EFI/Linux/os_99.raw"]);
    esp.put("/EFI/Linux/os_9\u{e9}.raw", &data(10));
    let (r, notes) = esp.collect("/EFI/Linux/os_*.raw");
    assert_eq!(
        paths(&r.unwrap()),
        [
            "/EFI/Linux/os_10+1-2.raw",
            "/EFI/Linux/os_2.raw",
            "/EFI/Linux/os_02.raw",
            "/EFI/Linux/os_1.raw",
            "/EFI/Linux/os_3+0-3.raw"
        ]
    );
    assert!(notes.is_empty());
    // Patterns in the root directory and case-insensitive matching.
    esp.put("/ROOTFS_4.RAW", &data(4));
    assert_eq!(paths(&esp.collect("/rootfs_*.raw").0.unwrap()), ["/ROOTFS_4.RAW"]);
    assert_eq!(esp.collect("/EFI/Linux/none_*.raw").0.err(), Some(FatError::NotFound));
    assert_eq!(esp.collect("/EFI/none/os_*.raw").0.err(), Some(FatError::NotFound));
}

#[test]
fn a_version_with_a_broken_chain_is_skipped_and_the_others_stay() {
    let esp = Esp::new();
    for v in 1..=4 {
        esp.put(&format!("/EFI/Linux/rootfs_{v}.raw"), &data(v));
    }
    esp.break_chain("/EFI/Linux/rootfs_4.raw");
    esp.break_chain("/EFI/Linux/rootfs_2.raw");
    let (r, notes) = esp.collect("/EFI/Linux/rootfs_*.raw");
    let c = r.unwrap();
    assert_eq!(paths(&c), ["/EFI/Linux/rootfs_3.raw", "/EFI/Linux/rootfs_1.raw"]);
    assert_eq!(esp.read_back(&c[0]), data(3));
    assert_eq!(esp.read_back(&c[1]), data(1));
    assert_eq!(notes, ["unreadable /EFI/Linux/rootfs_4.raw ChainFree", "unreadable /EFI/Linux/rootfs_2.raw ChainFree"]);
    // A plain path to a broken file is an error, as is a pattern whose every match is.
    assert_eq!(esp.collect("/EFI/Linux/rootfs_4.raw").0.err(), Some(FatError::ChainFree));
    esp.break_chain("/EFI/Linux/rootfs_3.raw");
    esp.break_chain("/EFI/Linux/rootfs_1.raw");
    let (r, notes) = esp.collect("/EFI/Linux/rootfs_*.raw");
    assert_eq!(r.err(), Some(FatError::ChainFree));
    assert_eq!(notes.len(), 4);
}

#[test]
fn the_path_is_kept_whole() {
    let esp = Esp::new();
    let long = format!("/EFI/Linux/{}_7.raw", "v".repeat(100));
    esp.put(&long, &data(7));
    let (r, _) = esp.collect(&format!("/EFI/Linux/{}_*.raw", "v".repeat(100)));
    assert_eq!(paths(&r.unwrap()), [long]);
}

#[test]
fn a_chain_longer_than_the_size_is_used_up_to_the_size() {
    let esp = Esp::new();
    esp.put("/EFI/Linux/rootfs_1.raw", &data(1));
    esp.put("/EFI/Linux/rootfs_2.raw", &data(2));
    esp.extend_chain("/EFI/Linux/rootfs_2.raw");
    let (r, notes) = esp.collect("/EFI/Linux/rootfs_*.raw");
    let c = r.unwrap();
    assert_eq!(paths(&c), ["/EFI/Linux/rootfs_2.raw", "/EFI/Linux/rootfs_1.raw"]);
    assert_eq!(notes, ["past size /EFI/Linux/rootfs_2.raw"]);
    // The extents cover the size, no more: the file reads back as written.
    assert_eq!(esp.read_back(&c[0]), data(2));
    let (r, notes) = esp.collect("/EFI/Linux/rootfs_2.raw");
    assert_eq!(paths(&r.unwrap()), ["/EFI/Linux/rootfs_2.raw"]);
    assert_eq!(notes, ["past size /EFI/Linux/rootfs_2.raw"]);
}
