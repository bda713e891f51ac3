//! FAT: the input is the start of a FAT volume on a 16 TiB device (the rest reads as
//! zeros, so a 256 KiB seed stands for a 33 MiB FAT32 ESP). `FatVolume::open`, then a
//! bounded walk of the tree with `list_dir`, `lookup` of every ASCII-named entry and of
//! some fixed paths, and `extents_into` of every file. Extents must add up to the file size,
//! lie on the device and be merged where contiguous, and a second walk of the same file
//! (with the FAT window the first left) must give the same answer.
#![no_main]

mod common;

use common::{show, Disk};
use ddiboot::format::block::Extents;
use ddiboot::format::fat::{ChainEnd, DirEntry, FatError, FatVolume};
use libfuzzer_sys::fuzz_target;

/// 2^32 sectors of 4096 bytes: no BPB can describe a larger volume.
const SPACE: u64 = 1 << 44;
/// Walk bounds: directories listed, entries taken per directory, depth.
const MAX_DIRS: usize = 16;
const MAX_ENTRIES: usize = 8;
const MAX_DEPTH: usize = 3;

const PATHS: [&[u8]; 8] = [
    b"",
    b"/",
    b"/EFI/Linux/rootfs.raw",
    b"//efi//LINUX/ROOTFS.RAW",
    b"/EFI/BOOT/BOOTX64.EFI",
    b"/hello.txt/x",
    b"/A Long File Name.data",
    b"/dir/sub/deep.bin",
];

/// `name` as a path component, if it is printable ASCII without `/`.
fn ascii(e: &DirEntry) -> Option<Vec<u8>> {
    let n = e.name();
    let ok = !n.is_empty() && n.iter().all(|&u| (0x20..0x7f).contains(&u) && u != b'/' as u16);
    ok.then(|| n.iter().map(|&u| u as u8).collect())
}

/// `extents_into` of `e`: the chain walk (contiguous runs in the FAT window, jumps one
/// link at a time), whose result must add up to the size whatever the chain does after it.
fn check_extents<R: ddiboot::format::block::BlockReader>(vol: &mut FatVolume<R>, e: &DirEntry) {
    let mut x = Extents::new();
    let result = vol.extents_into(e, &mut x);
    // The FAT window the walk leaves behind must not change the next walk's answer.
    let mut again = Extents::new();
    let second = vol.extents_into(e, &mut again);
    assert_eq!(result.map(|_| &x), second.map(|_| &again), "a second walk differs");
    assert_eq!(result.ok(), second.ok());
    match result {
        Ok(end) => {
            let _: ChainEnd = end;
            assert!(!e.is_dir());
            let total = x.iter().try_fold(0u64, |t, x| t.checked_add(x.len));
            assert_eq!(total, Some(e.size as u64), "extents do not add up to the size");
            for w in x.windows(2) {
                assert_ne!(w[0].offset + w[0].len, w[1].offset, "contiguous extents not merged");
            }
            for x in &x {
                assert!(x.len > 0);
                assert!(x.offset.checked_add(x.len).is_some_and(|end| end <= SPACE));
            }
        }
        Err(err) => {
            if e.is_dir() {
                assert_eq!(err, FatError::IsADirectory);
            }
            show(&err)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut disk = Disk::new(data, SPACE);
    let mut vol = match FatVolume::open(&mut disk, 0, SPACE) {
        Ok(v) => v,
        Err(e) => return show(&e),
    };
    show(&vol.fat_type());
    assert!(vol.cluster_bytes() >= 512);
    let _ = vol.cluster_count();
    for path in PATHS {
        match vol.lookup(path) {
            Ok(e) if !e.is_dir() => check_extents(&mut vol, &e),
            Ok(_) => {}
            Err(e) => show(&e),
        }
    }
    // Breadth-first over directory paths, bounded.
    let mut queue: Vec<Vec<u8>> = vec![Vec::new()];
    let mut listed = 0;
    while let Some(dir) = queue.pop() {
        if listed == MAX_DIRS {
            break;
        }
        listed += 1;
        let depth = dir.iter().filter(|&&b| b == b'/').count();
        let mut entries = Vec::new();
        if let Err(e) = vol.list_dir(&dir, &mut |e| {
            entries.push(*e);
            entries.len() < MAX_ENTRIES
        }) {
            show(&e);
        }
        for e in &entries {
            show(e);
            check_extents(&mut vol, e);
            let Some(name) = ascii(e) else { continue };
            let mut path = dir.clone();
            path.push(b'/');
            path.extend_from_slice(&name);
            let found = vol.lookup(&path);
            if depth == 0 {
                // An entry the root listing returned is found by its own name (maybe a
                // same-named earlier entry; names compare case-insensitively).
                let f = found.expect("listed entry not found by lookup");
                assert!(f.name_matches(&name));
            }
            if e.is_dir() && depth < MAX_DEPTH {
                queue.insert(0, path);
            }
        }
    }
});
