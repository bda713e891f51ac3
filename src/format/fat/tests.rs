//! Unit tests of the FAT reader on hand-made volumes ([`super::test_image`]).

use super::dir::{checksum, render_short, NT_LOWER_BASE, NT_LOWER_EXT};
use super::name::{long_matches, utf8_next};
use super::test_image::*;
use super::*;
use crate::format::block::{BlockReader, Extent, Extents, ReadError, SliceReader};

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
        // Runs across FAT sector and 4 KiB edges (FAT32 entry 1024, FAT16 2048, FAT12
        // 2730), on FAT32 one across a FAT window edge (entry 16384, FAT byte 65536), a jump
        // back, and a run ending at the last cluster, count + 1.
        let mut chain: Vec<u32> = (1000..1100).chain(2000..2100).chain(2700..2800).collect();
        let mut firsts = vec![1000, 2000, 2700];
        if ty == FatType::Fat32 {
            chain.extend(16300..16500);
            firsts.push(16300);
        }
        chain.extend(50..60);
        chain.extend(count - 40..=count + 1);
        firsts.extend([50, count - 40]);
        let d = data(chain.len() * 512 - 100, 3);
        img.file(0, None, b"RUNS    BIN", &d, &chain);
        let (x, end) = chain_of(&img, "runs.bin").unwrap();
        assert_eq!(end, ChainEnd::AtSize);
        let starts: Vec<u64> = x.iter().map(|e| e.offset).collect();
        let want: Vec<u64> = firsts.iter().map(|&c| img.cluster_at(c) as u64).collect();
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

/// Random chains of runs and jumps (distinct clusters), each type: the extents are the
/// chain's clusters merged where consecutive, cut at a random size.
#[test]
fn random_chains_match_a_plain_walk() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for ty in ALL {
        for round in 0..40 {
            let mut img = Img::new(ty);
            let count = img.vol().cluster_count() as u64;
            // Blocks of 64 clusters from 100 on, taken in random order, a random run each.
            let mut blocks: Vec<u64> = (0..(count - 100) / 64).collect();
            let mut chain = Vec::new();
            for _ in 0..1 + rnd(40) {
                let b = blocks.swap_remove(rnd(blocks.len() as u64) as usize);
                let start = 100 + 64 * b + rnd(8);
                let len = 1 + rnd(if round % 2 == 0 { 56 } else { 3 });
                chain.extend((start..start + len).map(|c| c as u32));
            }
            let size = (chain.len() as u64 - 1) * 512 + 1 + rnd(512);
            img.file(0, None, b"R       BIN", &[], &chain);
            img.put(img.dir_at(0).0 + 28, &(size as u32).to_le_bytes());
            let mut want: Vec<Extent> = Vec::new();
            for &c in &chain {
                let off = img.cluster_at(c) as u64;
                match want.last_mut() {
                    Some(e) if e.offset + e.len == off => e.len += 512,
                    _ => want.push(Extent { offset: off, len: 512 }),
                }
            }
            if let Some(e) = want.last_mut() {
                e.len -= chain.len() as u64 * 512 - size;
            }
            match chain_of(&img, "r.bin") {
                Ok((x, end)) => {
                    assert_eq!(x.as_slice(), want.as_slice(), "{ty:?} round {round}");
                    assert_eq!(end, ChainEnd::AtSize);
                }
                Err(e) => {
                    assert_eq!(e, FatError::TooFragmented, "{ty:?} round {round}");
                    assert!(want.len() > crate::format::block::MAX_EXTENTS);
                }
            }
        }
    }
}

/// A FAT32 volume whose BPB claims more clusters than FAT32 can number (0x0FFFFFF8),
/// generated on the fly (its FAT alone is 1 GiB): a run of entries holding `k + 1` must
/// stop where the value is the bad-cluster mark, as a single link would.
#[test]
fn runs_stop_at_the_bad_cluster_mark() {
    struct Synthetic {
        boot: [u8; 512],
        dir: [u8; 32],
        fat_start: u64,
        fat_end: u64,
        data_start: u64,
        first: u32,
    }
    impl BlockReader for Synthetic {
        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
            for (i, b) in buf.iter_mut().enumerate() {
                let o = offset + i as u64;
                *b = if o < 512 {
                    self.boot[o as usize]
                } else if (self.fat_start..self.fat_end).contains(&o) {
                    let k = ((o - self.fat_start) / 4) as u32;
                    let v = match k {
                        0..=2 => 0x0FFF_FFFF,
                        _ if (self.first..self.first + 16).contains(&k) => k + 1,
                        _ => 0,
                    };
                    v.to_le_bytes()[((o - self.fat_start) % 4) as usize]
                } else if (self.data_start..self.data_start + 32).contains(&o) {
                    self.dir[(o - self.data_start) as usize]
                } else {
                    0
                };
            }
            Ok(())
        }
        fn size(&self) -> u64 {
            u64::MAX
        }
    }
    let count: u64 = 0x0FFF_FFF8;
    let rsvd = 32u64;
    let fat_sz = (count + 2) * 4 / 512 + 1;
    let tot = rsvd + fat_sz + count;
    let mut boot = [0u8; 512];
    boot[11..13].copy_from_slice(&512u16.to_le_bytes());
    boot[13] = 1;
    boot[14..16].copy_from_slice(&(rsvd as u16).to_le_bytes());
    boot[16] = 1;
    boot[32..36].copy_from_slice(&(tot as u32).to_le_bytes());
    boot[36..40].copy_from_slice(&(fat_sz as u32).to_le_bytes());
    boot[44..48].copy_from_slice(&2u32.to_le_bytes());
    boot[510] = 0x55;
    boot[511] = 0xAA;
    let first = 0x0FFF_FFF0;
    let dir = short_entry(b"TOP     BIN", 0x20, first, 16 * 512);
    let disk = Synthetic {
        boot,
        dir,
        fat_start: rsvd * 512,
        fat_end: (rsvd + fat_sz) * 512,
        data_start: (rsvd + fat_sz) * 512,
        first,
    };
    let mut v = FatVolume::open(disk, 0, tot * 512).unwrap();
    assert_eq!((v.fat_type(), v.cluster_count() as u64), (FatType::Fat32, count));
    let e = v.lookup(b"top.bin").unwrap();
    assert_eq!(e.first_cluster, first);
    // 0x0FFFFFF0 -> ... -> 0x0FFFFFF6, whose entry holds 0x0FFFFFF7: bad.
    assert_eq!(v.extents(&e), Err(FatError::ChainBad));
}

#[test]
fn fat12_entries_straddling_sector_and_window() {
    let mut img = Img::new(FatType::Fat12);
    // 340 even @510..511, 341 odd @511..512 (crosses sector 0/1 of the FAT),
    // 2730 even @4095..4096 (crosses a 4 KiB page), 2731 odd @4096..4097.
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
    // One message per variant (`text::push_nth`): the first and the last line up.
    assert_eq!(super::MESSAGES.count(), 24);
    assert_eq!(Line::of(&FatError::NoSignature).as_str(), "no 55aa boot sector signature");
    assert_eq!(Line::of(&FatError::TooFragmented).as_str(), "file has too many extents");
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
