//! The boot sector: the BIOS Parameter Block (SPECS.md §7.1), validated field by field,
//! and the geometry and FAT type it implies (§7.2).

use super::{FatError, FatVolume};
use crate::format::block::{div_ceil, BlockReader};
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

impl<R: BlockReader> FatVolume<R> {
    /// Reads and validates the boot sector (§7.1, §7.2).
    // Out of line: inlined into its one caller in the boot it costs ~290 bytes more on
    // x86_64 (docs/size.md).
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
            win: [0; super::table::FAT_WINDOW],
            win_start: 0,
            win_len: 0,
        })
    }
}
