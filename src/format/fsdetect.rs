//! Which filesystem a (verified) data partition holds (SPECS §8.1), from one read of its
//! first 2 KiB: [`detect`] gives the type, [`probe`] also the size its superblock claims,
//! for a check against the device it sits on.
//!
//! ext2 and ext3 are reported as [`FsType::Ext4`]: they share the magic, and the ext4 driver
//! mounts them (`CONFIG_EXT4_USE_FOR_EXT2`, set by the distributions); a kernel without that
//! option would refuse ext2 with "ext4" as the type, which then fails loudly at mount time.

use crate::format::block::{BlockReader, ReadError};
use crate::format::le;
use crate::text::Text;

/// Bytes read to probe: covers the squashfs superblock (byte 0) and the erofs and ext4
/// superblocks (byte 1024).
pub const PROBE_LEN: usize = 2048;

/// erofs: superblock at 1024, `magic` u32 at +0, `blkszbits` u8 at +12, `blocks` u32 at +36
/// (the low 32 bits; newer images keep high bits elsewhere, so the size may read small).
const EROFS_SB: usize = 1024;
const EROFS_MAGIC: u32 = 0xE0F5_E1E2;
const EROFS_BLKSZBITS: usize = EROFS_SB + 12;
const EROFS_BLOCKS: usize = EROFS_SB + 36;
/// squashfs 4.0: `s_magic` at 0 (`hsqs`), `s_major` u16 at 28, `bytes_used` u64 at 40.
const SQUASHFS_MAGIC: u32 = 0x7371_7368;
const SQUASHFS_MAJOR: usize = 28;
const SQUASHFS_BYTES_USED: usize = 40;
/// ext2/3/4: superblock at 1024; `s_blocks_count_lo` +4, `s_log_block_size` +24, `s_magic` u16
/// +56, `s_feature_incompat` +96 (bit 0x80 = 64bit), `s_blocks_count_hi` +336.
const EXT_SB: usize = 1024;
const EXT_BLOCKS_LO: usize = EXT_SB + 4;
const EXT_LOG_BLOCK_SIZE: usize = EXT_SB + 24;
const EXT_MAGIC_OFF: usize = EXT_SB + 56;
const EXT_MAGIC: u16 = 0xEF53;
const EXT_FEATURE_INCOMPAT: usize = EXT_SB + 96;
const EXT_INCOMPAT_64BIT: u32 = 0x80;
const EXT_BLOCKS_HI: usize = EXT_SB + 336;

/// A filesystem we can mount as the root.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FsType {
    Erofs,
    Squashfs,
    /// ext4, and ext2/ext3 (mounted by the ext4 driver).
    Ext4,
}

impl FsType {
    /// The name, as `mount(2)` knows the type (for messages: the mount takes its own
    /// `CStr`).
    pub fn name(self) -> Text {
        match self {
            FsType::Erofs => msg!("erofs"),
            FsType::Squashfs => msg!("squashfs"),
            FsType::Ext4 => msg!("ext4"),
        }
    }
}

/// What a probe found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Probe {
    pub fs: FsType,
    /// Bytes the superblock says the filesystem uses (`None` if the fields are implausible).
    pub size: Option<u64>,
}

/// The filesystem type from the first bytes of a device (up to [`PROBE_LEN`]; a shorter head
/// only finds the filesystems whose magic it covers). squashfs is checked first: its magic is at
/// byte 0, where erofs and ext4 keep no data, while its own data could happen to look like a
/// magic at byte 1024.
pub fn detect_head(head: &[u8]) -> Option<FsType> {
    if le::get_u32(head, 0) == Some(SQUASHFS_MAGIC) && le::get_u16(head, SQUASHFS_MAJOR) == Some(4) {
        Some(FsType::Squashfs)
    } else if le::get_u32(head, EROFS_SB) == Some(EROFS_MAGIC) {
        Some(FsType::Erofs)
    } else if le::get_u16(head, EXT_MAGIC_OFF) == Some(EXT_MAGIC) {
        Some(FsType::Ext4)
    } else {
        None
    }
}

/// The size in bytes the superblock of `fs` claims: erofs `blocks << blkszbits` (blkszbits 9..=16),
/// squashfs `bytes_used` (not padded), ext4 `blocks_count × (1024 << log_block_size)` (log ≤ 6,
/// high count bits with the 64bit feature). For sanity checks against the partition size only.
pub fn fs_size(head: &[u8], fs: FsType) -> Option<u64> {
    match fs {
        FsType::Erofs => {
            let bits = *head.get(EROFS_BLKSZBITS)?;
            if !(9..=16).contains(&bits) {
                return None;
            }
            Some((le::get_u32(head, EROFS_BLOCKS)? as u64) << bits)
        }
        FsType::Squashfs => le::get_u64(head, SQUASHFS_BYTES_USED),
        FsType::Ext4 => {
            let log = le::get_u32(head, EXT_LOG_BLOCK_SIZE)?;
            if log > 6 {
                return None;
            }
            let mut blocks = le::get_u32(head, EXT_BLOCKS_LO)? as u64;
            if le::get_u32(head, EXT_FEATURE_INCOMPAT)? & EXT_INCOMPAT_64BIT != 0 {
                blocks |= (le::get_u32(head, EXT_BLOCKS_HI)? as u64) << 32;
            }
            blocks.checked_mul(1024u64 << log)
        }
    }
}

/// Read the first [`PROBE_LEN`] bytes (fewer on a smaller device) and identify the filesystem.
pub fn probe<R: BlockReader>(dev: &mut R) -> Result<Option<Probe>, ReadError> {
    let mut buf = [0u8; PROBE_LEN];
    let n = core::cmp::min(dev.size(), PROBE_LEN as u64) as usize;
    let head = buf.get_mut(..n).unwrap_or(&mut []);
    dev.read_at(0, head)?;
    Ok(detect_head(head).map(|fs| Probe { fs, size: fs_size(head, fs) }))
}

/// Identify the filesystem on `dev` (one read).
pub fn detect<R: BlockReader>(dev: &mut R) -> Result<Option<FsType>, ReadError> {
    Ok(probe(dev)?.map(|p| p.fs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::block::SliceReader;

    fn put(b: &mut [u8], off: usize, v: &[u8]) {
        b[off..off + v.len()].copy_from_slice(v);
    }

    fn erofs() -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        put(&mut b, 1024, &[0xe2, 0xe1, 0xf5, 0xe0]);
        b[1036] = 12;
        put(&mut b, 1060, &3u32.to_le_bytes());
        b
    }

    fn squashfs() -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        put(&mut b, 0, b"hsqs");
        put(&mut b, 12, &131072u32.to_le_bytes());
        put(&mut b, 28, &4u16.to_le_bytes());
        put(&mut b, 40, &4000u64.to_le_bytes());
        b
    }

    fn ext4() -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        put(&mut b, 1028, &1024u32.to_le_bytes());
        put(&mut b, 1048, &2u32.to_le_bytes());
        put(&mut b, 1080, &[0x53, 0xef]);
        b
    }

    fn probed(b: &[u8]) -> Option<Probe> {
        probe(&mut SliceReader(b)).unwrap()
    }

    #[test]
    fn detects_each_and_sizes() {
        assert_eq!(probed(&erofs()), Some(Probe { fs: FsType::Erofs, size: Some(3 * 4096) }));
        assert_eq!(probed(&squashfs()), Some(Probe { fs: FsType::Squashfs, size: Some(4000) }));
        assert_eq!(probed(&ext4()), Some(Probe { fs: FsType::Ext4, size: Some(1024 * 4096) }));
        assert_eq!(detect(&mut SliceReader(&erofs())), Ok(Some(FsType::Erofs)));
        assert_eq!(probed(&[0u8; 4096]), None);
        assert_eq!(FsType::Erofs.name().unpack(), "erofs");
        assert_eq!(FsType::Squashfs.name().unpack(), "squashfs");
        assert_eq!(FsType::Ext4.name().unpack(), "ext4");
    }

    #[test]
    fn ext4_64bit_count_and_bad_log() {
        let mut b = ext4();
        put(&mut b, 1120, &0x80u32.to_le_bytes());
        put(&mut b, 1360, &1u32.to_le_bytes());
        assert_eq!(fs_size(&b, FsType::Ext4), Some(((1u64 << 32) + 1024) * 4096));
        put(&mut b, 1360, &u32::MAX.to_le_bytes());
        put(&mut b, 1048, &6u32.to_le_bytes());
        assert_eq!(fs_size(&b, FsType::Ext4), None); // overflows u64
        put(&mut b, 1048, &7u32.to_le_bytes());
        assert_eq!(probed(&b), Some(Probe { fs: FsType::Ext4, size: None }));
    }

    #[test]
    fn implausible_fields() {
        let mut b = erofs();
        b[1036] = 8;
        assert_eq!(fs_size(&b, FsType::Erofs), None);
        b[1036] = 17;
        assert_eq!(probed(&b), Some(Probe { fs: FsType::Erofs, size: None }));
        let mut s = squashfs();
        put(&mut s, 28, &3u16.to_le_bytes()); // squashfs 3.x: not mountable by the kernel
        assert_eq!(probed(&s), None);
    }

    #[test]
    fn small_devices_and_order() {
        // a device smaller than PROBE_LEN is probed as far as it goes
        assert_eq!(probed(&squashfs()[..100]).map(|p| p.fs), Some(FsType::Squashfs));
        assert_eq!(probed(&squashfs()[..29]), None); // magic but no s_major
        assert_eq!(probed(&erofs()[..1028]).map(|p| p.fs), Some(FsType::Erofs));
        assert_eq!(probed(&erofs()[..1028]).and_then(|p| p.size), None);
        assert_eq!(probed(&[]), None);
        assert_eq!(probed(&ext4()[..1082]).map(|p| p.fs), Some(FsType::Ext4));
        // squashfs wins over an ext magic that happens to sit in its data
        let mut s = squashfs();
        put(&mut s, 1080, &[0x53, 0xef]);
        assert_eq!(probed(&s).map(|p| p.fs), Some(FsType::Squashfs));
        // erofs before ext
        let mut e = erofs();
        put(&mut e, 1080, &[0x53, 0xef]);
        assert_eq!(probed(&e).map(|p| p.fs), Some(FsType::Erofs));
    }

    #[test]
    fn read_errors_pass_through() {
        struct Failing;
        impl BlockReader for Failing {
            fn read_at(&mut self, _: u64, _: &mut [u8]) -> Result<(), ReadError> {
                Err(ReadError::Short)
            }
            fn size(&self) -> u64 {
                1 << 20
            }
        }
        assert_eq!(detect(&mut Failing), Err(ReadError::Short));
    }
}
