//! The FAT reader against volumes made by the real tools (SPECS.md §7): `mkfs.vfat` writes
//! FAT12/16/32 volumes 1 MiB into a sparse "disk" file, mtools fills them; the reader must
//! find every file, list every directory like `mdir -b`, and return extents whose bytes
//! are the original file, also for fragmented files and at the exact error on corruption.

use ddiboot::format::block::{BlockReader, Extent, ReadError, SliceReader};
use ddiboot::format::fat::{ChainEnd, FatError, FatType, FatVolume};
use std::fs::{self, File};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The volume starts 1 MiB into the disk (`mkfs.vfat --offset=2048`, mtools `@@1M`).
const PART: u64 = 1 << 20;

mod common;
use common::{noise, run, FileDisk, TempDir as Scratch};

/// A sparse disk file with a fresh FAT`bits` volume of `mib` MiB at [`PART`].
fn make_disk(s: &Scratch, bits: u32, mib: u64) -> PathBuf {
    let path = s.path("disk.img");
    File::create(&path).unwrap().set_len(PART + (mib << 20) + 65536).unwrap();
    let bits_s = bits.to_string();
    let blocks = (mib * 1024).to_string();
    let p = path.to_str().unwrap();
    let mut args = vec!["--offset=2048", "--invariant", "-F", &bits_s];
    if bits == 32 {
        args.extend(["-S", "512", "-s", "1"]); // enough clusters for FAT32 in 40 MiB
    }
    args.extend([p, &blocks]);
    run("mkfs.vfat", &args);
    path
}

/// The mtools image argument for the volume inside the disk.
fn img(disk: &Path) -> String {
    format!("{}@@1M", disk.display())
}

/// Copies `data` to `dest` (`::/...`) on the volume.
fn put(s: &Scratch, disk: &Path, dest: &str, data: &[u8]) {
    let src = s.path("src.bin");
    fs::write(&src, data).unwrap();
    run("mcopy", &["-o", "-i", &img(disk), src.to_str().unwrap(), dest]);
}

fn open_file(disk: &Path, mib: u64) -> FatVolume<FileDisk> {
    FatVolume::open(FileDisk(File::open(disk).unwrap()), PART, mib << 20).unwrap()
}

fn read_back(disk: &Path, ext: &[Extent]) -> Vec<u8> {
    let f = File::open(disk).unwrap();
    let mut out = Vec::new();
    for e in ext {
        let mut b = vec![0; e.len as usize];
        f.read_exact_at(&mut b, e.offset).unwrap();
        out.extend_from_slice(&b);
    }
    out
}

fn listing<R: BlockReader>(v: &mut FatVolume<R>, dir: &str) -> Vec<String> {
    let mut names = Vec::new();
    v.list_dir(dir.as_bytes(), &mut |e| {
        names.push(String::from_utf16_lossy(e.name()));
        true
    })
    .unwrap();
    names.sort();
    names
}

fn mdir_listing(disk: &Path, dir: &str) -> Vec<String> {
    let out = run("mdir", &["-b", "-i", &img(disk), &format!("::{dir}")]);
    let prefix = format!("::{}/", dir.trim_end_matches('/'));
    let mut names: Vec<String> =
        out.lines().map(|l| l.trim().strip_prefix(&prefix).unwrap().trim_end_matches('/').to_string()).collect();
    names.sort();
    names
}

#[test]
fn volumes_made_by_mkfs_and_mtools() {
    for (bits, mib, ty) in [(12, 4, FatType::Fat12), (16, 64, FatType::Fat16), (32, 40, FatType::Fat32)] {
        let s = Scratch::new(&format!("layout{bits}"));
        let disk = make_disk(&s, bits, mib);
        let i = img(&disk);
        run("mmd", &["-i", &i, "::/EFI", "::/EFI/Linux", "::/EFI/Sub", "::/EFI/Sub/Deeper"]);
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("/EFI/Linux/rootfs.raw", noise(300_001, 1)),
            ("/EFI/Linux/MixedCase_Long.Name.bin", noise(5000, 2)),
            ("/EFI/Linux/a-very-long-file-name-that-needs-several-lfn-entries_v2.raw", noise(70_000, 3)),
            ("/EFI/SHORT.TXT", noise(100, 4)),
            ("/EFI/lower.txt", noise(1, 5)),
            ("/EFI/empty.dat", Vec::new()),
            ("/EFI/Sub/Deeper/deep.bin", noise(4096, 6)),
            ("/README", noise(33, 7)),
        ];
        for (path, data) in &files {
            put(&s, &disk, &format!("::{path}"), data);
        }

        let mut v = open_file(&disk, mib);
        assert_eq!(v.fat_type(), ty, "mkfs.vfat -F {bits}");
        for (path, data) in &files {
            for p in [path.to_string(), path.to_uppercase(), path.to_lowercase()] {
                let e = v.lookup(p.as_bytes()).unwrap_or_else(|e| panic!("FAT{bits} {p}: {e:?}"));
                assert!(!e.is_dir());
                assert_eq!(e.size as usize, data.len(), "{p}");
                let ext = v.extents(&e).unwrap();
                assert_eq!(ext.iter().map(|x| x.len).sum::<u64>(), data.len() as u64);
                assert!(ext.iter().all(|x| x.offset >= PART && x.offset + x.len <= PART + (mib << 20)));
                assert_eq!(&read_back(&disk, &ext), data, "FAT{bits} {p}");
            }
        }
        // Short names of long-named files work too; names are what mtools wrote.
        assert_eq!(v.lookup(b"/efi/linux/mixedc~1.bin").unwrap().size, 5000);
        let e = v.lookup(b"/EFI/lower.txt").unwrap();
        assert_eq!(&e.short, b"LOWER   TXT");
        for dir in ["/", "/EFI", "/EFI/Linux", "/EFI/Sub", "/EFI/Sub/Deeper"] {
            assert_eq!(listing(&mut v, dir), mdir_listing(&disk, dir), "FAT{bits} {dir}");
        }
        assert!(v.lookup(b"//EFI//Sub/").unwrap().is_dir());
        assert_eq!(v.lookup(b"/EFI/Linux/nope.raw").unwrap_err(), FatError::NotFound);
        assert_eq!(v.lookup(b"/EFI/nope/rootfs.raw").unwrap_err(), FatError::NotFound);
        assert_eq!(v.lookup(b"/EFI/SHORT.TXT/x").unwrap_err(), FatError::NotADirectory);
        assert_eq!(v.lookup(b"/EFI/Linux/../Linux/rootfs.raw").unwrap_err(), FatError::NotFound);
    }
}

/// Fills the volume with 16-cluster files, deletes every other one, then writes `big`:
/// mtools fills the holes first, so the file comes out in several pieces.
fn fragmented(bits: u32, mib: u64) {
    let s = Scratch::new(&format!("frag{bits}"));
    let disk = make_disk(&s, bits, mib);
    let i = img(&disk);
    let cluster = open_file(&disk, mib).cluster_bytes() as usize;
    for n in 0..10 {
        put(&s, &disk, &format!("::/f{n}"), &noise(16 * cluster, 100 + n));
    }
    for n in (1..10).step_by(2) {
        run("mdel", &["-i", &i, &format!("::/f{n}")]);
    }
    if bits == 32 {
        // Forget FSI_Nxt_Free so allocation starts from the beginning (SPECS.md §13).
        let f = fs::OpenOptions::new().write(true).read(true).open(&disk).unwrap();
        let mut bs = [0u8; 512];
        f.read_exact_at(&mut bs, PART).unwrap();
        let fsinfo = PART + u16::from_le_bytes([bs[48], bs[49]]) as u64 * 512;
        let mut lead = [0u8; 4];
        f.read_exact_at(&mut lead, fsinfo).unwrap();
        assert_eq!(u32::from_le_bytes(lead), 0x4161_5252, "FSInfo lead signature");
        f.write_all_at(&[0xFF; 4], fsinfo + 492).unwrap();
    }
    let big = noise(60 * cluster + 123, 9);
    put(&s, &disk, "::/EFI-rootfs_1.2.raw", &big);
    let mut v = open_file(&disk, mib);
    let e = v.lookup(b"/efi-ROOTFS_1.2.RAW").unwrap();
    let ext = v.extents(&e).unwrap();
    assert!(ext.len() > 2, "FAT{bits}: expected a fragmented file, got {ext:?}");
    assert_eq!(read_back(&disk, &ext), big);
    // The remaining fillers are intact too.
    for n in (0..10).step_by(2) {
        let e = v.lookup(format!("/f{n}").as_bytes()).unwrap();
        let ext = v.extents(&e).unwrap();
        assert_eq!(ext.len(), 1);
        assert_eq!(read_back(&disk, &ext), noise(16 * cluster, 100 + n));
    }
}

#[test]
fn fragmented_file_fat32() {
    fragmented(32, 40);
}

#[test]
fn fragmented_file_fat16() {
    fragmented(16, 64);
}

/// FAT #0 geometry read straight from the boot sector, independent of the reader.
struct Geo {
    fat: usize,
    width: usize,
    eoc: u32,
}

impl Geo {
    fn of(disk: &[u8]) -> Geo {
        let b = &disk[PART as usize..];
        let bps = u16::from_le_bytes([b[11], b[12]]) as usize;
        let rsvd = u16::from_le_bytes([b[14], b[15]]) as usize;
        let fat32 = u16::from_le_bytes([b[22], b[23]]) == 0;
        Geo {
            fat: PART as usize + rsvd * bps,
            width: if fat32 { 4 } else { 2 },
            eoc: if fat32 { 0x0FFF_FFFF } else { 0xFFFF },
        }
    }

    fn get(&self, disk: &[u8], c: u32) -> u32 {
        let at = self.fat + self.width * c as usize;
        let mut v = [0u8; 4];
        v[..self.width].copy_from_slice(&disk[at..at + self.width]);
        u32::from_le_bytes(v) & 0x0FFF_FFFF
    }

    fn set(&self, disk: &mut [u8], c: u32, v: u32) {
        let at = self.fat + self.width * c as usize;
        disk[at..at + self.width].copy_from_slice(&v.to_le_bytes()[..self.width]);
    }

    fn chain(&self, disk: &[u8], first: u32) -> Vec<u32> {
        let mut out = vec![first];
        loop {
            let n = self.get(disk, *out.last().unwrap());
            if n >= self.eoc - 7 {
                return out;
            }
            out.push(n);
        }
    }
}

fn extents_in(disk: &[u8], mib: u64, path: &str) -> Result<usize, FatError> {
    let mut v = FatVolume::open(SliceReader(disk), PART, mib << 20)?;
    let e = v.lookup(path.as_bytes())?;
    v.extents(&e).map(|x| x.len())
}

fn corrupt(bits: u32, mib: u64) {
    let s = Scratch::new(&format!("corrupt{bits}"));
    let disk_path = make_disk(&s, bits, mib);
    run("mmd", &["-i", &img(&disk_path), "::/EFI"]);
    let cluster = open_file(&disk_path, mib).cluster_bytes() as usize;
    put(&s, &disk_path, "::/EFI/rootfs.raw", &noise(8 * cluster + 5, 11));
    let mut disk = fs::read(&disk_path).unwrap();
    let first = {
        let mut v = FatVolume::open(SliceReader(&disk), PART, mib << 20).unwrap();
        v.lookup(b"/EFI/rootfs.raw").unwrap().first_cluster
    };
    let g = Geo::of(&disk);
    let chain = g.chain(&disk, first);
    assert_eq!(chain.len(), 9);
    let last = chain[8];
    assert_eq!(extents_in(&disk, mib, "/EFI/rootfs.raw"), Ok(1));
    let bad = g.eoc - 8;
    for (at, v, err) in [
        (chain[4], chain[2], FatError::ChainCycle),
        (chain[1], bad - 1, FatError::ClusterOutOfRange),
        (chain[2], 0, FatError::ChainFree),
        (chain[2], 1, FatError::ChainReserved),
        (chain[3], bad, FatError::ChainBad),
        (chain[0], g.eoc, FatError::ChainTooShort),
        (last, bad, FatError::ChainBad),
    ] {
        let old = g.get(&disk, at);
        g.set(&mut disk, at, v);
        assert_eq!(extents_in(&disk, mib, "/EFI/rootfs.raw"), Err(err), "FAT{bits} {at} -> {v:#x}");
        g.set(&mut disk, at, old);
    }
    assert_eq!(extents_in(&disk, mib, "/EFI/rootfs.raw"), Ok(1));
    // A chain that goes on after the size (to more clusters, or back into the file) is
    // used up to the size, and reported.
    let whole = {
        let mut v = FatVolume::open(SliceReader(&disk), PART, mib << 20).unwrap();
        let e = v.lookup(b"/EFI/rootfs.raw").unwrap();
        v.extents(&e).unwrap()
    };
    for next in [first, last + 100] {
        let old = g.get(&disk, last);
        g.set(&mut disk, last, next);
        let mut v = FatVolume::open(SliceReader(&disk), PART, mib << 20).unwrap();
        let e = v.lookup(b"/EFI/rootfs.raw").unwrap();
        let mut out = Default::default();
        assert_eq!(v.extents_into(&e, &mut out), Ok(ChainEnd::PastSize), "FAT{bits} {last} -> {next}");
        assert_eq!(out, whole);
        g.set(&mut disk, last, old);
    }

    // Truncated disks: a read error, never a panic.
    let boot_end = PART as usize + 512;
    for len in [0, 511, PART as usize, boot_end - 1] {
        let r = FatVolume::open(SliceReader(&disk[..len]), PART, mib << 20);
        assert!(matches!(r.err(), Some(FatError::Read(_))), "FAT{bits} cut at {len}");
    }
    for len in [boot_end, g.fat + 100, g.fat + 4096 + 7] {
        assert!(
            matches!(extents_in(&disk[..len], mib, "/EFI/rootfs.raw"), Err(FatError::Read(_))),
            "FAT{bits} cut at {len}"
        );
    }
    for len in (boot_end..disk.len()).step_by(disk.len() / 97) {
        let _ = extents_in(&disk[..len], mib, "/EFI/rootfs.raw");
    }
    // The same through a truncated file: the short read is reported.
    fs::OpenOptions::new().write(true).open(&disk_path).unwrap().set_len(PART + 4096).unwrap();
    let mut v = open_file(&disk_path, mib);
    assert_eq!(v.lookup(b"/EFI/rootfs.raw").unwrap_err(), FatError::Read(ReadError::Short));
}

#[test]
fn corrupt_fat16_chains_and_truncation() {
    corrupt(16, 64);
}

#[test]
fn corrupt_fat32_chains_and_truncation() {
    corrupt(32, 40);
}
