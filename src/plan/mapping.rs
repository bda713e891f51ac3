//! What the mapper step builds, decided without the kernel: the dm-linear targets over
//! the DDI file's extents, the dm uuid that tells stage 2 how its root was verified, and
//! whether the filesystem fits the (verified) device it is mounted from.

use crate::format::block::Extent;
use crate::format::verity::VerityOptions;
use crate::plan::disk::Backing;
use crate::text::{HexBytes, Line, Show};

/// Why a DDI partition cannot be mapped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MapError {
    /// An extent is not a whole number of the disk's logical blocks (dm-linear refuses it).
    Unaligned,
    /// An extent starts before the backing device (the ESP partition) does.
    OutsideBacking,
}

impl Show for MapError {
    fn show(&self, out: &mut Line) {
        // One message per variant, in declaration order (`text::push_nth`).
        out.push_nth(msg!("not aligned to the disk's logical block size\0extent outside the partition"), *self as usize)
    }
}

/// Every extent starts and ends on a logical block of the disk (`lbs`, at least 512).
pub fn check_aligned(extents: &[Extent], lbs: u32) -> Result<(), MapError> {
    let lbs = lbs.max(512) as u64;
    if extents.iter().any(|e| !e.offset.is_multiple_of(lbs) || !e.len.is_multiple_of(lbs)) {
        return Err(MapError::Unaligned);
    }
    Ok(())
}

/// One dm-linear target for the extent `e` (bytes on the disk) of the backing device:
/// writes `<maj:min> <start sector>` into `params` and returns the target's length in
/// 512-byte sectors.
pub fn linear_target(e: &Extent, backing: Backing, params: &mut Line) -> Result<u64, MapError> {
    let offset = e.offset.checked_sub(backing.start).ok_or(MapError::OutsideBacking)?;
    if !offset.is_multiple_of(512) || !e.len.is_multiple_of(512) || e.len == 0 {
        return Err(MapError::Unaligned);
    }
    params.clear();
    backing.dev.show(params);
    params.push_byte(b' ');
    params.push_u64(offset / 512);
    Ok(e.len / 512)
}

/// dm-verity's default `prefetch_cluster` (a module parameter, in bytes). Reading a hash
/// block, dm-verity also reads ahead the hash blocks around it: its block number, counted
/// from the start of the device holding the tree, rounded to a whole cluster of
/// `prefetch_cluster / data_block_size` blocks.
pub const VERITY_PREFETCH_CLUSTER: u64 = 256 << 10;

/// How one dm-linear device carries both partitions for dm-verity, which reads the data
/// blocks from the device's start and the hash tree from `hash_start` hash blocks in: the
/// data partition, then `gap` bytes of the `error` target (nothing reads them), then the
/// hash partition. The gap puts the tree's first block on a whole prefetch cluster: from
/// an unaligned start, dm-verity's first read-ahead also reads the data blocks before the
/// tree, as hash blocks (~0.8 ms of a boot on x86_64 in QEMU). One device, not one per
/// partition: each dm device costs the kernel a gendisk, its sysfs nodes and mempools
/// (2–8 ms of a boot).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct VerityLayout {
    /// Bytes between the data partition's end and the hash partition's start.
    pub gap: u64,
    /// The tree's first block, in hash blocks from the device's start.
    pub hash_start: u64,
}

/// The layout for a data partition of `data_len` bytes and a tree `tree_start` hash blocks
/// into its hash partition (after the verity superblock). `None` on overflow.
pub fn verity_layout(
    data_len: u64,
    tree_start: u64,
    hash_block_size: u32,
    data_block_size: u32,
) -> Option<VerityLayout> {
    let hbs = u64::from(hash_block_size.max(1));
    let unit = (VERITY_PREFETCH_CLUSTER / u64::from(data_block_size.max(1))).max(1).checked_mul(hbs)?;
    let tree = data_len.checked_add(tree_start.checked_mul(hbs)?)?;
    let gap = (unit - tree % unit) % unit;
    Some(VerityLayout { gap, hash_start: tree.checked_add(gap)? / hbs })
}

/// How the root that stage 2 gets was checked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verification {
    /// `ddiboot.verity=off`: the bytes from the ESP, as they are.
    Off,
    /// dm-verity with options that let unverified bytes through: `ignore_corruption`
    /// (a corrupted block is returned anyway) or `check_at_most_once` (a block is checked
    /// on its first read only, so the disk can change it afterwards).
    Weakened,
    /// dm-verity: every read is checked against the trusted root hash.
    Full,
}

impl Verification {
    /// Verified with `opts`.
    pub fn of(opts: VerityOptions) -> Verification {
        if opts.contains(VerityOptions::IGNORE_CORRUPTION) || opts.contains(VerityOptions::CHECK_AT_MOST_ONCE) {
            Verification::Weakened
        } else {
            Verification::Full
        }
    }
}

/// The kernel's limit for a dm uuid: `DM_UUID_LEN` (129) with its NUL.
pub const DM_UUID_MAX: usize = 128;

/// Hex digits of the root hash in the uuid: all of a sha256 hash (64), the first 96 of a
/// sha512 one (384 bits: as unambiguous as a full sha384), so that the longest uuid,
/// 19 + 96 characters, fits [`DM_UUID_MAX`].
pub const UUID_HASH_DIGITS: usize = 96;

/// The dm uuid of the verity device, what stage 2 reads in `/sys/block/dm-N/dm/uuid`
/// (docs/stage2-contract.md): `DDIBOOT-VERITY-<hash>` when fully verified,
/// `DDIBOOT-WEAKVERITY-<hash>` when weakened, `SIGNED` for `VERITY` in both when the
/// kernel verified the DDI's signature of the hash (`plan::trust`), `<hash>` being the
/// trusted root hash in lowercase hex, cut at [`UUID_HASH_DIGITS`].
pub fn root_uuid(root_hash: &[u8], how: Verification, signed: bool, out: &mut Line) {
    out.clear();
    out.push_str(if how == Verification::Full { "DDIBOOT-" } else { "DDIBOOT-WEAK" });
    out.push_str(if signed { "SIGNED-" } else { "VERITY-" });
    HexBytes(root_hash.get(..UUID_HASH_DIGITS / 2).unwrap_or(root_hash)).show(out);
}

/// The filesystem's own size (from its superblock; `None` when the fields are not
/// plausible, which the kernel's mount then refuses on its own) fits the device it is
/// mounted from. dm-verity's device is only as long as its `data_blocks`: a filesystem
/// that goes on past them would fail in stage 2, with EIO, at the first read there.
pub fn fs_fits(fs_size: Option<u64>, dev_size: u64) -> bool {
    fs_size.is_none_or(|s| s <= dev_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devno::DevNo;

    fn ext(offset: u64, len: u64) -> Extent {
        Extent { offset, len }
    }

    #[test]
    fn tree_starts_on_a_prefetch_cluster() {
        // mkddi's layout: 491 data blocks, superblock, tree; 4 KiB blocks, 64-block clusters.
        let l = verity_layout(491 * 4096, 1, 4096, 4096).unwrap();
        assert_eq!(l, VerityLayout { gap: 20 * 4096, hash_start: 512 });
        // Already aligned: no gap.
        assert_eq!(verity_layout(63 * 4096, 1, 4096, 4096), Some(VerityLayout { gap: 0, hash_start: 64 }));
        // One block past: nearly a whole cluster of gap.
        assert_eq!(verity_layout(64 * 4096, 1, 4096, 4096), Some(VerityLayout { gap: 63 * 4096, hash_start: 128 }));
        // 512-byte blocks: 512-block clusters; a data partition of 3 sectors.
        assert_eq!(verity_layout(1536, 1, 512, 512), Some(VerityLayout { gap: 508 * 512, hash_start: 512 }));
        // Data blocks of 4 KiB, hash blocks of 512 bytes: the cluster counts 64 hash blocks.
        assert_eq!(verity_layout(8192, 1, 512, 4096), Some(VerityLayout { gap: 47 * 512, hash_start: 64 }));
        assert_eq!(verity_layout(u64::MAX - 10, 1, 4096, 4096), None);
        assert_eq!(verity_layout(0, u64::MAX, 4096, 4096), None);
        // Every layout: the data end and the gap are whole sectors and hash blocks, the tree
        // starts on a cluster, the gap is less than one.
        for (hbs, dbs) in [(512u32, 512u32), (4096, 4096), (512, 4096), (4096, 512), (1024, 2048)] {
            let unit = (VERITY_PREFETCH_CLUSTER / dbs as u64) * hbs as u64;
            for blocks in 0..300u64 {
                let data = blocks * dbs as u64;
                let l = verity_layout(data, 1, hbs, dbs).unwrap();
                assert!(l.gap.is_multiple_of(512) && l.gap < unit);
                assert_eq!((data + l.gap) % hbs as u64, 0);
                assert_eq!(l.hash_start * hbs as u64 - data - l.gap, hbs as u64);
                assert!((l.hash_start * hbs as u64).is_multiple_of(unit));
            }
        }
    }

    #[test]
    fn alignment() {
        let ok = [ext(0, 4096), ext(1 << 20, 8192)];
        assert_eq!(check_aligned(&ok, 4096), Ok(()));
        assert_eq!(check_aligned(&ok, 512), Ok(()));
        assert_eq!(check_aligned(&[ext(512, 4096)], 4096), Err(MapError::Unaligned));
        assert_eq!(check_aligned(&[ext(4096, 4096 + 512)], 4096), Err(MapError::Unaligned));
        assert_eq!(check_aligned(&[ext(512, 512)], 512), Ok(()));
        // a block size the kernel never reports (0: a regular file) counts as 512
        assert_eq!(check_aligned(&[ext(512, 512)], 0), Ok(()));
        assert_eq!(check_aligned(&[ext(100, 512)], 0), Err(MapError::Unaligned));
        assert_eq!(check_aligned(&[], 4096), Ok(()));
    }

    #[test]
    fn linear_targets() {
        let mut p = Line::new();
        let dev = DevNo::new(259, 1);
        assert_eq!(linear_target(&ext(1 << 20, 8192), Backing { dev, start: 0 }, &mut p), Ok(16));
        assert_eq!(p.as_str(), "259:1 2048");
        // relative to the partition's start; the buffer is reused
        assert_eq!(linear_target(&ext((1 << 20) + 4096, 512), Backing { dev, start: 1 << 20 }, &mut p), Ok(1));
        assert_eq!(p.as_str(), "259:1 8");
        assert_eq!(linear_target(&ext(4096, 512), Backing { dev, start: 8192 }, &mut p), Err(MapError::OutsideBacking));
        assert_eq!(linear_target(&ext(4096 + 100, 512), Backing { dev, start: 0 }, &mut p), Err(MapError::Unaligned));
        assert_eq!(linear_target(&ext(4096, 100), Backing { dev, start: 0 }, &mut p), Err(MapError::Unaligned));
        assert_eq!(linear_target(&ext(4096, 0), Backing { dev, start: 0 }, &mut p), Err(MapError::Unaligned));
        assert_eq!(Line::of(&MapError::OutsideBacking).as_str(), "extent outside the partition");
        assert_eq!(Line::of(&MapError::Unaligned).as_str(), "not aligned to the disk's logical block size");
    }

    #[test]
    fn weakening_options() {
        use VerityOptions as O;
        assert_eq!(Verification::of(O::NONE), Verification::Full);
        for strong in [O::RESTART_ON_CORRUPTION, O::PANIC_ON_CORRUPTION, O::RESTART_ON_ERROR, O::IGNORE_ZERO_BLOCKS] {
            assert_eq!(Verification::of(strong), Verification::Full);
        }
        assert_eq!(Verification::of(O::IGNORE_CORRUPTION), Verification::Weakened);
        assert_eq!(Verification::of(O::CHECK_AT_MOST_ONCE.union(O::PANIC_ON_ERROR)), Verification::Weakened);
    }

    #[test]
    fn uuids_fit_and_say_how() {
        let sha256: Vec<u8> = (0..32).collect();
        let sha512: Vec<u8> = (0..64).map(|i| 0xff - i).collect();
        let mut u = Line::new();
        root_uuid(&sha256, Verification::Full, false, &mut u);
        assert_eq!(u.as_str(), "DDIBOOT-VERITY-000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        root_uuid(&sha512, Verification::Full, false, &mut u);
        let hex512: String = sha512.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(u.as_str(), format!("DDIBOOT-VERITY-{}", &hex512[..96]));
        assert!(u.len() <= DM_UUID_MAX);
        root_uuid(&sha512, Verification::Weakened, false, &mut u);
        assert_eq!(u.as_str(), format!("DDIBOOT-WEAKVERITY-{}", &hex512[..96]));
        assert_eq!(u.len(), 115);
        assert!(u.len() <= DM_UUID_MAX);
        // a weakened root never matches a check for the fully verified prefix
        assert!(!u.as_str().starts_with("DDIBOOT-VERITY-"));
        // A signature the kernel verified (issue 13): its own prefixes, same length.
        root_uuid(&sha256, Verification::Full, true, &mut u);
        assert_eq!(u.as_str(), "DDIBOOT-SIGNED-000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        root_uuid(&sha512, Verification::Weakened, true, &mut u);
        assert_eq!(u.as_str(), format!("DDIBOOT-WEAKSIGNED-{}", &hex512[..96]));
        assert!(u.len() <= DM_UUID_MAX);
    }

    #[test]
    fn filesystem_fits_its_device() {
        assert!(fs_fits(Some(4096), 4096));
        assert!(fs_fits(Some(4000), 4096)); // squashfs bytes_used is not padded
        assert!(fs_fits(None, 4096));
        assert!(!fs_fits(Some(8192), 4096));
        assert!(!fs_fits(Some(u64::MAX), u64::MAX - 1));
    }
}
