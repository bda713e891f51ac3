//! dm-verity, userspace half: the superblock `veritysetup format` writes at the start of the
//! hash partition (SPECS §4.1), the hash-tree geometry (§4.2, §4.3), the trusted root hash from
//! `roothash=`, systemd's option words (§4.5) and the kernel `verity` target parameters (§4.4).
//!
//! The kernel never reads the superblock; we parse it and pass its values in the table. It lives
//! on the ESP, so it is hostile: every field is validated, every size is bounded against the
//! partitions it describes, and the table is written only from validated values. Tampering cannot
//! make unverified data readable (the kernel checks every block up to the trusted root digest),
//! but unchecked values could still map past a partition or truncate the device.

use crate::devno::DevNo;
use crate::format::block::{div_ceil, BlockReader, ReadError};
use crate::format::le;
use crate::text::{hex_digit, variant_index, HexBytes, Line, Show, Text};

/// Size of the superblock (§4.1).
pub const SUPERBLOCK_LEN: usize = 512;
/// `signature`, offset 0 (§4.1).
const MAGIC: &[u8; 8] = b"verity\0\0";
// Field offsets (§4.1).
const OFF_VERSION: usize = 8;
const OFF_HASH_TYPE: usize = 12;
const OFF_UUID: usize = 16;
const OFF_ALGORITHM: usize = 32;
const ALGORITHM_LEN: usize = 32;
const OFF_DATA_BLOCK_SIZE: usize = 64;
const OFF_HASH_BLOCK_SIZE: usize = 68;
const OFF_DATA_BLOCKS: usize = 72;
const OFF_SALT_SIZE: usize = 80;
const OFF_SALT: usize = 88;
/// Largest salt the superblock can hold (§4.1).
pub const MAX_SALT: usize = 256;
/// Largest digest we support (sha512).
pub const MAX_DIGEST: usize = 64;
/// cryptsetup `VERITY_BLOCK_SIZE_OK`: a power of two in 512 ..= 512 KiB (§4.1).
const MIN_BLOCK: u32 = 512;
const MAX_BLOCK: u32 = 512 * 1024;
/// The kernel requires data_block_size <= PAGE_SIZE (§4.4); 4096 is the smallest page size of
/// our targets, so larger data blocks could not activate everywhere.
pub const MAX_DATA_BLOCK: u32 = 4096;
/// Kernel `DM_VERITY_MAX_LEVELS` (cryptsetup `VERITY_MAX_LEVELS`).
const MAX_LEVELS: u32 = 63;

/// Why verity setup was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum VerityError {
    /// Reading the superblock failed.
    Read(ReadError),
    /// No `verity\0\0` signature.
    BadMagic,
    /// Superblock version is not 1.
    BadVersion,
    /// Hash type (table `<version>`) is not 0 or 1.
    BadHashType,
    /// Algorithm field is not a NUL-padded `sha256`/`sha512`.
    UnknownAlgorithm,
    /// A block size is not a power of two in 512 ..= 512 KiB, or too small for two digests.
    BadBlockSize,
    /// Data block size above the page size.
    DataBlockTooBig,
    /// `data_blocks` is 0.
    ZeroDataBlocks,
    /// `salt_size` above 256.
    SaltTooLong,
    /// The data blocks extend beyond the data partition.
    DataTooBig,
    /// The hash tree does not fit in the hash partition.
    HashTreeTooBig,
    /// The root hash length is not the algorithm's digest length.
    RootHashLength,
    /// `roothash=` is not 32..=128 (even) hex digits.
    RootHashHex,
    /// More than one corruption mode, or more than one error mode.
    ConflictingOptions,
    /// The table does not fit in [`TABLE_MAX`] bytes.
    TableTooLong,
    /// A block size is smaller than the device's logical block size (kernel refuses it).
    BlockSizeBelowDevice,
}

/// The messages of [`VerityError`], one per variant in declaration order (`text::push_nth`).
const MESSAGES: Text = msg!(concat!(
    "verity superblock: \0", // Read: the read error follows
    "no verity superblock (bad magic)\0",
    "unsupported verity superblock version\0",
    "unsupported verity hash type\0",
    "unsupported verity hash algorithm\0",
    "bad verity block size\0",
    "verity data block size above 4096\0",
    "verity superblock has no data blocks\0",
    "verity salt longer than 256 bytes\0",
    "verity data blocks extend beyond the data partition\0",
    "verity hash tree does not fit in the hash partition\0",
    "root hash length does not match the verity algorithm\0",
    "root hash is not 32 to 128 hex digits\0",
    "conflicting verity corruption/error options\0",
    "verity table too long\0",
    "verity block size below the device's logical block size",
));

impl Show for VerityError {
    fn show(&self, out: &mut Line) {
        out.push_nth(MESSAGES, variant_index(self));
        if let VerityError::Read(e) = self {
            e.show(out)
        }
    }
}

impl From<ReadError> for VerityError {
    fn from(e: ReadError) -> Self {
        VerityError::Read(e)
    }
}

/// Hash algorithms we accept (kernel crypto names). Others are refused rather than passed on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HashAlg {
    Sha256,
    Sha512,
}

impl HashAlg {
    /// The kernel crypto API name, as in the superblock and the table.
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes (both are powers of two, so no padding in the tree, §4.3).
    pub fn digest_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha512 => 64,
        }
    }

    /// The 32-byte `algorithm` field: a known name, NUL-terminated, only NULs after it.
    fn from_field(field: &[u8]) -> Option<HashAlg> {
        let n = field.iter().position(|&b| b == 0)?;
        let (name, rest) = field.split_at_checked(n)?;
        if rest.iter().any(|&b| b != 0) {
            return None;
        }
        [HashAlg::Sha256, HashAlg::Sha512].into_iter().find(|a| a.name().as_bytes() == name)
    }
}

/// A validated verity superblock (§4.1). Padding bytes are ignored, as cryptsetup does. The
/// salt is borrowed from the 512 bytes read (a copy of its 256-byte field, moved with the
/// superblock, cost code: docs/size.md).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct VeritySuperblock<'a> {
    /// 0 = Chrome OS format, 1 = normal; the table's `<version>`.
    pub hash_type: u32,
    /// Raw bytes in text order (`uuid_parse`), not mixed-endian.
    pub uuid: [u8; 16],
    pub algorithm: HashAlg,
    pub data_block_size: u32,
    pub hash_block_size: u32,
    /// Number of data blocks covered (> 0).
    pub data_blocks: u64,
    /// The used salt bytes (`salt_size` of them, at most 256).
    pub salt: &'a [u8],
}

impl VeritySuperblock<'_> {
    /// The value checks of cryptsetup `VERITY_read_sb` plus the kernel's page-size limit.
    fn validate(&self) -> Result<(), VerityError> {
        if self.hash_type > 1 {
            return Err(VerityError::BadHashType);
        }
        if !block_size_ok(self.data_block_size) || !block_size_ok(self.hash_block_size) {
            return Err(VerityError::BadBlockSize);
        }
        if self.hash_block_size as usize / self.algorithm.digest_len() < 2 {
            return Err(VerityError::BadBlockSize); // kernel: hash_block_size >= 2 * digest
        }
        if self.data_block_size > MAX_DATA_BLOCK {
            return Err(VerityError::DataBlockTooBig);
        }
        if self.data_blocks == 0 {
            return Err(VerityError::ZeroDataBlocks);
        }
        if self.salt.len() > MAX_SALT {
            return Err(VerityError::SaltTooLong);
        }
        Ok(())
    }
}

fn block_size_ok(x: u32) -> bool {
    x.is_power_of_two() && (MIN_BLOCK..=MAX_BLOCK).contains(&x)
}

/// Parse and validate the 512-byte superblock (§4.1).
pub fn parse_superblock(buf: &[u8; SUPERBLOCK_LEN]) -> Result<VeritySuperblock<'_>, VerityError> {
    if &buf[..8] != MAGIC {
        return Err(VerityError::BadMagic);
    }
    if le::u32(buf, OFF_VERSION) != 1 {
        return Err(VerityError::BadVersion);
    }
    let hash_type = le::u32(buf, OFF_HASH_TYPE);
    if hash_type > 1 {
        return Err(VerityError::BadHashType);
    }
    let algorithm =
        HashAlg::from_field(&buf[OFF_ALGORITHM..OFF_ALGORITHM + ALGORITHM_LEN]).ok_or(VerityError::UnknownAlgorithm)?;
    // A salt_size above 256 keeps 257 bytes, which `validate` refuses (SaltTooLong, in its
    // order of checks); 88 + 257 bytes lie within the block.
    let salt_size = (le::u16(buf, OFF_SALT_SIZE) as usize).min(MAX_SALT + 1);
    let salt = buf.get(OFF_SALT..OFF_SALT + salt_size).unwrap_or_default();
    let sb = VeritySuperblock {
        hash_type,
        uuid: le::bytes(buf, OFF_UUID),
        algorithm,
        data_block_size: le::u32(buf, OFF_DATA_BLOCK_SIZE),
        hash_block_size: le::u32(buf, OFF_HASH_BLOCK_SIZE),
        data_blocks: le::u64(buf, OFF_DATA_BLOCKS),
        salt,
    };
    sb.validate()?;
    Ok(sb)
}

/// Read the superblock at byte 0 of the hash partition into `buf` and parse it.
pub fn read_superblock<'b, R: BlockReader>(
    dev: &mut R,
    buf: &'b mut [u8; SUPERBLOCK_LEN],
) -> Result<VeritySuperblock<'b>, VerityError> {
    dev.read_at(0, buf)?;
    parse_superblock(buf)
}

/// First hash-tree block, in hash blocks, for a superblock at byte `sb_offset` (§4.2,
/// cryptsetup `VERITY_hash_offset_block`): `ceil((sb_offset + 512) / hash_block_size)`.
/// Is 1 for a superblock at byte 0.
pub fn hash_start_block(sb_offset: u64, hash_block_size: u32) -> u64 {
    let hbs = hash_block_size.max(1) as u64;
    div_ceil(sb_offset.saturating_add(SUPERBLOCK_LEN as u64), hbs)
}

/// Number of hash blocks in the tree over `data_blocks` (§4.3), as the kernel (`verity_ctr`)
/// and cryptsetup (`hash_levels`) compute it: `2^bits` digests per hash block, levels until one
/// block covers everything (0 levels for a single data block), each level
/// `ceil(data_blocks / 2^(bits * (level + 1)))` blocks. `None` if the geometry is impossible.
pub fn hash_tree_blocks(alg: HashAlg, hash_block_size: u32, data_blocks: u64) -> Option<u64> {
    let per_block = hash_block_size as usize / alg.digest_len().next_power_of_two();
    if per_block < 2 {
        return None;
    }
    let bits = per_block.ilog2();
    let last = data_blocks.checked_sub(1)?;
    let mut levels = 0u32;
    // Bounded: bits >= 1, so at most 64 rounds.
    while bits * levels < 64 && last >> (bits * levels) != 0 {
        levels += 1;
    }
    if levels > MAX_LEVELS {
        return None;
    }
    let mut total = 0u64;
    for level in 0..levels {
        let shift = bits.checked_mul(level + 1).filter(|&s| s < 64)?; // cryptsetup: EINVAL
        total = total.checked_add(div_ceil(data_blocks, 1u64 << shift))?;
    }
    Some(total)
}

/// A root hash from `roothash=` (the trusted value; §4.5).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RootHash {
    pub bytes: [u8; MAX_DIGEST],
    /// Bytes used (16..=64).
    pub len: u8,
}

impl RootHash {
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len as usize).unwrap_or(&self.bytes)
    }
}

/// Parse `roothash=` hex: an even number of 32..=128 digits, either case.
pub fn parse_root_hash(hex: &[u8]) -> Result<RootHash, VerityError> {
    if !hex.len().is_multiple_of(2) || !(32..=2 * MAX_DIGEST).contains(&hex.len()) {
        return Err(VerityError::RootHashHex);
    }
    let mut bytes = [0u8; MAX_DIGEST];
    for (dst, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        let hi = hex_digit(pair[0]).ok_or(VerityError::RootHashHex)?;
        let lo = hex_digit(pair[1]).ok_or(VerityError::RootHashHex)?;
        *dst = hi << 4 | lo;
    }
    Ok(RootHash { bytes, len: (hex.len() / 2) as u8 })
}

/// Optional kernel verity features (§4.4), as bit flags.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct VerityOptions(pub u8);

impl VerityOptions {
    pub const NONE: Self = Self(0);
    pub const IGNORE_CORRUPTION: Self = Self(1 << 0);
    pub const RESTART_ON_CORRUPTION: Self = Self(1 << 1);
    pub const PANIC_ON_CORRUPTION: Self = Self(1 << 2);
    pub const RESTART_ON_ERROR: Self = Self(1 << 3);
    pub const PANIC_ON_ERROR: Self = Self(1 << 4);
    pub const IGNORE_ZERO_BLOCKS: Self = Self(1 << 5);
    pub const CHECK_AT_MOST_ONCE: Self = Self(1 << 6);

    const CORRUPTION_MODES: u8 = 0b111;
    const ERROR_MODES: u8 = 0b11000;

    pub fn contains(self, o: Self) -> bool {
        self.0 & o.0 == o.0
    }

    pub fn union(self, o: Self) -> Self {
        Self(self.0 | o.0)
    }

    /// The kernel takes one corruption mode and one error mode (`verity_parse_verity_mode`:
    /// "Conflicting error handling parameters").
    pub fn check(self) -> Result<(), VerityError> {
        // Bit 7 has no option word: a value with it set is not one we made.
        if (self.0 & Self::CORRUPTION_MODES).count_ones() > 1
            || (self.0 & Self::ERROR_MODES).count_ones() > 1
            || self.0 & 0x80 != 0
        {
            return Err(VerityError::ConflictingOptions);
        }
        Ok(())
    }
}

/// Kernel feature words, in cryptsetup's table order. The systemd option word is the
/// same with `-` for `_` (one string for both: docs/size.md).
const OPTION_WORDS: [(VerityOptions, &str); 7] = [
    (VerityOptions::IGNORE_CORRUPTION, "ignore_corruption"),
    (VerityOptions::RESTART_ON_CORRUPTION, "restart_on_corruption"),
    (VerityOptions::PANIC_ON_CORRUPTION, "panic_on_corruption"),
    (VerityOptions::RESTART_ON_ERROR, "restart_on_error"),
    (VerityOptions::PANIC_ON_ERROR, "panic_on_error"),
    (VerityOptions::IGNORE_ZERO_BLOCKS, "ignore_zero_blocks"),
    (VerityOptions::CHECK_AT_MOST_ONCE, "check_at_most_once"),
];

/// Whether `word` is the systemd spelling of the kernel word `kernel`.
fn systemd_word(kernel: &str, word: &[u8]) -> bool {
    kernel.len() == word.len() && kernel.bytes().zip(word).all(|(k, &w)| if k == b'_' { w == b'-' } else { k == w })
}

/// veritytab/fstab words systemd skips silently; they mean nothing here either.
const SILENT_WORDS: [&str; 5] = ["noauto", "auto", "nofail", "fail", "_netdev"];

/// Parse `systemd.verity_root_options=` (§4.5). Words that map to kernel features are applied;
/// empty and fstab-only words are skipped; every other word is handed to `unsupported` so the
/// caller can warn: format descriptions (`superblock=`, `format=`, `hash=`, `data-block-size=`,
/// `hash-offset=`, `salt=`, `uuid=`, ...; the superblock is the only source), FEC (`fec-*`),
/// `root-hash-signature=` and unknown words (systemd warns and ignores those too).
pub fn parse_options(s: &[u8], unsupported: &mut dyn FnMut(&[u8])) -> Result<VerityOptions, VerityError> {
    let mut opts = VerityOptions::NONE;
    for word in s.split(|&b| b == b',') {
        if word.is_empty() || SILENT_WORDS.iter().any(|w| w.as_bytes() == word) {
            continue;
        }
        match OPTION_WORDS.iter().find(|(_, name)| systemd_word(name, word)) {
            Some(&(flag, _)) => opts = opts.union(flag),
            None => unsupported(word),
        }
    }
    opts.check()?;
    Ok(opts)
}

/// Longest target parameter string we build; the worst case (sha512, 256-byte salt, every
/// option, 10-digit device numbers) is about 950 bytes. The table is written into a
/// `Line::with_max(TABLE_MAX)`.
pub const TABLE_MAX: usize = crate::text::TEXT_MAX;

/// A space, then the decimal number.
fn word_u64(out: &mut Line, v: u64) {
    out.push_byte(b' ');
    out.push_u64(v);
}

/// A space, then `major:minor`.
fn word_dev(out: &mut Line, dev: DevNo) {
    out.push_byte(b' ');
    dev.show(out);
}

/// A space, then lowercase hex.
fn word_hex(out: &mut Line, bytes: &[u8]) {
    out.push_byte(b' ');
    HexBytes(bytes).show(out);
}

/// Validated parameters for one verity target (§4.4). The salt and the root hash are
/// borrowed from the superblock and the caller (copying them cost code, docs/size.md).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct VerityParams<'a> {
    /// Table `<version>` = superblock hash_type (0 or 1).
    pub version: u32,
    pub data_block_size: u32,
    pub hash_block_size: u32,
    pub data_blocks: u64,
    /// In hash blocks from the start of the hash partition (§4.2).
    pub hash_start_block: u64,
    pub alg: HashAlg,
    /// The used salt bytes (may be empty).
    pub salt: &'a [u8],
    /// The trusted root hash: exactly the algorithm's digest length.
    pub root_hash: &'a [u8],
    /// The description of the `user` key holding the root hash's PKCS#7 signature
    /// (`root_hash_sig_key_desc`, SPECS §3.2): no spaces. `None` from [`VerityParams::new`].
    pub sig_key_desc: Option<&'a [u8]>,
}

impl<'a> VerityParams<'a> {
    /// Check the superblock against the partitions it describes (superblock at byte 0 of the
    /// hash partition) and the trusted root hash, which must have the algorithm's length.
    pub fn new(
        sb: &VeritySuperblock<'a>,
        data_part_len: u64,
        hash_part_len: u64,
        root_hash: &'a [u8],
    ) -> Result<Self, VerityError> {
        sb.validate()?;
        let digest = sb.algorithm.digest_len();
        if root_hash.len() != digest {
            return Err(VerityError::RootHashLength);
        }
        let data_bytes = sb.data_blocks.checked_mul(sb.data_block_size as u64);
        if data_bytes.is_none_or(|n| n > data_part_len) {
            return Err(VerityError::DataTooBig);
        }
        let hash_start = hash_start_block(0, sb.hash_block_size);
        let tree_end = hash_tree_blocks(sb.algorithm, sb.hash_block_size, sb.data_blocks)
            .and_then(|t| t.checked_add(hash_start))
            .and_then(|b| b.checked_mul(sb.hash_block_size as u64));
        if tree_end.is_none_or(|n| n > hash_part_len) {
            return Err(VerityError::HashTreeTooBig);
        }
        Ok(VerityParams {
            version: sb.hash_type,
            data_block_size: sb.data_block_size,
            hash_block_size: sb.hash_block_size,
            data_blocks: sb.data_blocks,
            hash_start_block: hash_start,
            alg: sb.algorithm,
            salt: sb.salt,
            root_hash,
            sig_key_desc: None,
        })
    }

    /// Target length in 512-byte sectors: `data_blocks × data_block_size / 512`.
    pub fn data_sectors(&self) -> u64 {
        self.data_blocks.saturating_mul((self.data_block_size / 512) as u64)
    }

    /// The kernel refuses block sizes below the device's logical block size (§4.4; a 512-byte
    /// verity image on a 4Kn disk).
    pub fn check_device_block_size(&self, data_lbs: u32, hash_lbs: u32) -> Result<(), VerityError> {
        if self.data_block_size < data_lbs || self.hash_block_size < hash_lbs {
            return Err(VerityError::BlockSizeBelowDevice);
        }
        Ok(())
    }

    /// Write the target parameters (§4.4), without the `<start> <len> verity` prefix:
    /// `<version> <maj:min> <maj:min> <dbs> <hbs> <data_blocks> <hash_start> <alg> <root> <salt|->
    /// [<n> <options>]`, hex in lowercase.
    pub fn write_table(
        &self,
        data_dev: DevNo,
        hash_dev: DevNo,
        opts: VerityOptions,
        out: &mut Line,
    ) -> Result<(), VerityError> {
        opts.check()?;
        out.clear();
        out.push_u64(self.version as u64);
        word_dev(out, data_dev);
        word_dev(out, hash_dev);
        word_u64(out, self.data_block_size as u64);
        word_u64(out, self.hash_block_size as u64);
        word_u64(out, self.data_blocks);
        word_u64(out, self.hash_start_block);
        out.push_byte(b' ');
        out.push_str(self.alg.name());
        word_hex(out, self.root_hash);
        if self.salt.is_empty() {
            out.push_str(" -");
        } else {
            word_hex(out, self.salt);
        }
        let n = opts.0.count_ones() + 2 * self.sig_key_desc.is_some() as u32;
        if n > 0 {
            word_u64(out, n as u64);
            for (flag, word) in OPTION_WORDS {
                if opts.contains(flag) {
                    out.push_byte(b' ');
                    out.push_str(word);
                }
            }
            if let Some(desc) = self.sig_key_desc {
                out.push_str(" root_hash_sig_key_desc ");
                out.push_bytes(desc);
            }
        }
        if out.is_cut() {
            return Err(VerityError::TableTooLong);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "fd068a7ed2dc90ee6cee6e4c1385c6c89b2fd08ee8ae2cfd28be2123a588291d";

    /// The superblock `veritysetup format --data-block-size 4096 --hash-block-size 1024
    /// --salt 0011aabb --uuid 12345678-1234-5678-9abc-def012345678` wrote for 1 MiB of data.
    fn sb_bytes() -> [u8; 512] {
        let mut b = [0u8; 512];
        b[..8].copy_from_slice(b"verity\0\0");
        b[8] = 1;
        b[12] = 1;
        b[16..32].copy_from_slice(&[
            0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78,
        ]);
        b[32..38].copy_from_slice(b"sha256");
        b[64..68].copy_from_slice(&4096u32.to_le_bytes());
        b[68..72].copy_from_slice(&1024u32.to_le_bytes());
        b[72..80].copy_from_slice(&256u64.to_le_bytes());
        b[80] = 4;
        b[88..92].copy_from_slice(&[0x00, 0x11, 0xaa, 0xbb]);
        b
    }

    fn with(f: impl FnOnce(&mut [u8; 512])) -> Result<VeritySuperblock<'static>, VerityError> {
        let b = Box::leak(Box::new(sb_bytes()));
        f(b);
        parse_superblock(b)
    }

    fn root() -> RootHash {
        parse_root_hash(ROOT.as_bytes()).unwrap()
    }

    #[test]
    fn parses_real_layout() {
        let sb = with(|_| {}).unwrap();
        assert_eq!(sb.hash_type, 1);
        assert_eq!(sb.uuid[..4], [0x12, 0x34, 0x56, 0x78]);
        assert_eq!(sb.algorithm, HashAlg::Sha256);
        assert_eq!((sb.data_block_size, sb.hash_block_size, sb.data_blocks), (4096, 1024, 256));
        assert_eq!(sb.salt, &[0x00, 0x11, 0xaa, 0xbb]);
        // padding and salt bytes past salt_size are ignored and not carried along
        let sb2 = with(|b| {
            b[82] = 0xff;
            b[92] = 0x55;
            b[511] = 0xff;
        })
        .unwrap();
        assert_eq!(sb2, sb);
    }

    #[test]
    fn rejects_each_bad_field() {
        use VerityError::*;
        assert_eq!(with(|b| b[6] = b'x'), Err(BadMagic));
        assert_eq!(with(|b| b[8] = 2), Err(BadVersion));
        assert_eq!(with(|b| b[8] = 0), Err(BadVersion));
        assert_eq!(with(|b| b[15] = 1), Err(BadHashType));
        assert_eq!(with(|b| b[12] = 2), Err(BadHashType));
        assert!(with(|b| b[12] = 0).is_ok()); // Chrome OS format
        assert_eq!(with(|b| b[32..38].copy_from_slice(b"md5\0\0\0")), Err(UnknownAlgorithm));
        assert_eq!(with(|b| b[32..38].copy_from_slice(b"SHA256")), Err(UnknownAlgorithm));
        assert_eq!(with(|b| b[40] = b'x'), Err(UnknownAlgorithm)); // junk after the NUL
        assert_eq!(with(|b| b[32..64].fill(b'a')), Err(UnknownAlgorithm)); // no NUL
        assert_eq!(with(|b| b[32] = 0), Err(UnknownAlgorithm)); // empty name, junk after
        assert_eq!(with(|b| b[32..38].copy_from_slice(b"sha512")).map(|s| s.algorithm), Ok(HashAlg::Sha512));
        for bad in [0u32, 256, 1000, 3072, 1 << 20, u32::MAX] {
            assert_eq!(with(|b| b[68..72].copy_from_slice(&bad.to_le_bytes())), Err(BadBlockSize));
            assert_eq!(with(|b| b[64..68].copy_from_slice(&bad.to_le_bytes())), Err(BadBlockSize));
        }
        assert!(with(|b| b[68..72].copy_from_slice(&(512u32 * 1024).to_le_bytes())).is_ok());
        assert_eq!(with(|b| b[64..68].copy_from_slice(&8192u32.to_le_bytes())), Err(DataBlockTooBig));
        assert_eq!(with(|b| b[72..80].fill(0)), Err(ZeroDataBlocks));
        assert_eq!(with(|b| b[80..82].copy_from_slice(&257u16.to_le_bytes())), Err(SaltTooLong));
        let full = with(|b| b[80..82].copy_from_slice(&256u16.to_le_bytes())).unwrap();
        assert_eq!(full.salt.len(), 256);
        assert_eq!(with(|b| b[80] = 0).unwrap().salt, &[] as &[u8]);
    }

    #[test]
    fn read_superblock_reports_short_device() {
        let b = sb_bytes();
        let mut r = crate::format::block::SliceReader(&b[..511]);
        assert_eq!(read_superblock(&mut r, &mut [0; 512]), Err(VerityError::Read(ReadError::OutOfRange)));
        assert!(read_superblock(&mut crate::format::block::SliceReader(&b), &mut [0; 512]).is_ok());
    }

    #[test]
    fn tree_geometry_matches_veritysetup() {
        // (alg, hbs, data_blocks, "Hash blocks" veritysetup 2.6.1 printed)
        assert_eq!(hash_tree_blocks(HashAlg::Sha256, 1024, 256), Some(9));
        assert_eq!(hash_tree_blocks(HashAlg::Sha256, 4096, 1), Some(0));
        assert_eq!(hash_tree_blocks(HashAlg::Sha256, 4096, 2), Some(1));
        assert_eq!(hash_tree_blocks(HashAlg::Sha512, 512, 2048), Some(293));
        assert_eq!(hash_tree_blocks(HashAlg::Sha256, 4096, 128), Some(1));
        assert_eq!(hash_tree_blocks(HashAlg::Sha256, 4096, 129), Some(3));
        assert_eq!(hash_tree_blocks(HashAlg::Sha256, 4096, 0), None);
        // huge counts do not overflow or loop
        assert!(hash_tree_blocks(HashAlg::Sha512, 512, u64::MAX).is_none());
        assert!(hash_tree_blocks(HashAlg::Sha256, 512 * 1024, u64::MAX).is_none()); // top shift 70
        assert_eq!(hash_tree_blocks(HashAlg::Sha256, 512 * 1024, 1 << 56), Some((1 << 42) + (1 << 28) + (1 << 14) + 1));
        assert_eq!(hash_start_block(0, 512), 1);
        assert_eq!(hash_start_block(0, 4096), 1);
        assert_eq!(hash_start_block(4096, 4096), 2);
        assert_eq!(hash_start_block(0, 0), 512);
    }

    #[test]
    fn params_bound_sizes() {
        use VerityError::*;
        let sb = with(|_| {}).unwrap();
        let r = root();
        let p = VerityParams::new(&sb, 1 << 20, 10240, r.as_bytes()).unwrap();
        assert_eq!(p.hash_start_block, 1);
        assert_eq!(p.data_sectors(), 2048);
        assert_eq!(VerityParams::new(&sb, (1 << 20) - 1, 10240, r.as_bytes()), Err(DataTooBig));
        assert_eq!(VerityParams::new(&sb, 1 << 20, 10239, r.as_bytes()), Err(HashTreeTooBig));
        assert_eq!(VerityParams::new(&sb, 1 << 20, 10240, &r.as_bytes()[..31]), Err(RootHashLength));
        assert_eq!(VerityParams::new(&sb, 1 << 20, 10240, &[0; 64]), Err(RootHashLength));
        let mut huge = sb;
        huge.data_blocks = u64::MAX;
        assert_eq!(VerityParams::new(&huge, u64::MAX, u64::MAX, r.as_bytes()), Err(DataTooBig));
        huge.data_blocks = u64::MAX / 4096;
        assert_eq!(VerityParams::new(&huge, u64::MAX, u64::MAX, r.as_bytes()).map(|_| ()), Ok(()));
        assert_eq!(VerityParams::new(&huge, u64::MAX, 1 << 40, r.as_bytes()), Err(HashTreeTooBig));
        // fields are public: new() re-validates a hand-built superblock
        let mut bad = sb;
        bad.salt = &[0; 300];
        assert_eq!(VerityParams::new(&bad, 1 << 20, 10240, r.as_bytes()), Err(SaltTooLong));
        bad = sb;
        bad.hash_block_size = 100;
        assert_eq!(VerityParams::new(&bad, 1 << 20, 10240, r.as_bytes()), Err(BadBlockSize));
        assert_eq!(p.check_device_block_size(4096, 512), Ok(()));
        assert_eq!(p.check_device_block_size(512, 4096), Err(BlockSizeBelowDevice));
    }

    #[test]
    fn table_is_exact() {
        let sb = with(|_| {}).unwrap();
        let r = root();
        let p = VerityParams::new(&sb, 1 << 20, 10240, r.as_bytes()).unwrap();
        let mut t = Line::with_max(TABLE_MAX);
        p.write_table(DevNo::new(7, 0), DevNo::new(259, 1048575), VerityOptions::NONE, &mut t).unwrap();
        let want = ["1 7:0 259:1048575 4096 1024 256 1 sha256 ", ROOT, " 0011aabb"].concat();
        assert_eq!(t.as_str(), want);
        let opts = VerityOptions::CHECK_AT_MOST_ONCE.union(VerityOptions::RESTART_ON_CORRUPTION);
        p.write_table(DevNo::new(0, 0), DevNo::new(4294967295, 4294967295), opts, &mut t).unwrap();
        let want = [
            "1 0:0 4294967295:4294967295 4096 1024 256 1 sha256 ",
            ROOT,
            " 0011aabb 2 restart_on_corruption check_at_most_once",
        ]
        .concat();
        assert_eq!(t.as_str(), want);
        // no salt, Chrome OS format
        let mut s0 = sb;
        s0.salt = &[];
        s0.hash_type = 0;
        let p0 = VerityParams::new(&s0, 1 << 20, 10240, r.as_bytes()).unwrap();
        p0.write_table(DevNo::new(8, 1), DevNo::new(8, 2), VerityOptions::NONE, &mut t).unwrap();
        assert_eq!(t.as_str(), ["0 8:1 8:2 4096 1024 256 1 sha256 ", ROOT, " -"].concat());
        let bad = VerityOptions::IGNORE_CORRUPTION.union(VerityOptions::PANIC_ON_CORRUPTION);
        assert_eq!(
            p.write_table(DevNo::new(8, 1), DevNo::new(8, 2), bad, &mut t),
            Err(VerityError::ConflictingOptions)
        );
        // A signature key: two more option words, counted, after the others.
        let signed = VerityParams { sig_key_desc: Some(b"ddiboot:sig"), ..p0 };
        signed.write_table(DevNo::new(8, 1), DevNo::new(8, 2), VerityOptions::NONE, &mut t).unwrap();
        assert_eq!(
            t.as_str(),
            ["0 8:1 8:2 4096 1024 256 1 sha256 ", ROOT, " - 2 root_hash_sig_key_desc ddiboot:sig"].concat()
        );
        signed.write_table(DevNo::new(8, 1), DevNo::new(8, 2), VerityOptions::IGNORE_ZERO_BLOCKS, &mut t).unwrap();
        assert!(t.as_str().ends_with(" - 3 ignore_zero_blocks root_hash_sig_key_desc ddiboot:sig"));
    }

    #[test]
    fn worst_case_table_fits() {
        let mut b = sb_bytes();
        b[32..38].copy_from_slice(b"sha512");
        b[80..82].copy_from_slice(&256u16.to_le_bytes());
        b[88..344].fill(0xab);
        b[72..80].copy_from_slice(&(u64::MAX / 4096).to_le_bytes());
        let sb = parse_superblock(&b).unwrap();
        let p = VerityParams::new(&sb, u64::MAX, u64::MAX, &[0xcd; 64]).unwrap();
        let all = VerityOptions(0b111_0001); // one corruption mode, one error mode, the rest
        let mut t = Line::with_max(TABLE_MAX);
        p.write_table(DevNo::new(u32::MAX, u32::MAX), DevNo::new(u32::MAX, u32::MAX), all, &mut t).unwrap();
        assert!(t.as_str().ends_with(" 4 ignore_corruption panic_on_error ignore_zero_blocks check_at_most_once"));
        assert!(t.as_bytes().len() < TABLE_MAX);
        assert_eq!(t.as_str().split(' ').count(), 10 + 5);
        let signed = VerityParams { sig_key_desc: Some(crate::format::verity_sig::KEY_DESC.to_bytes()), ..p };
        signed.write_table(DevNo::new(u32::MAX, u32::MAX), DevNo::new(u32::MAX, u32::MAX), all, &mut t).unwrap();
        assert!(t.as_bytes().len() < TABLE_MAX);
        assert_eq!(t.as_str().split(' ').count(), 10 + 7);
    }

    #[test]
    fn table_overflow_is_an_error() {
        let sb = with(|_| {}).unwrap();
        let r = root();
        let p = VerityParams::new(&sb, 1 << 20, 1 << 20, r.as_bytes()).unwrap();
        let mut t = Line::with_max(100);
        let e = p.write_table(DevNo::new(8, 1), DevNo::new(8, 2), VerityOptions::NONE, &mut t);
        assert_eq!(e, Err(VerityError::TableTooLong));
        let mut t = Line::with_max(TABLE_MAX);
        assert_eq!(p.write_table(DevNo::new(8, 1), DevNo::new(8, 2), VerityOptions::NONE, &mut t), Ok(()));
        assert!(t.len() > 100);
    }

    #[test]
    fn root_hash_hex() {
        let r = root();
        assert_eq!(r.len, 32);
        assert_eq!(r.as_bytes()[..3], [0xfd, 0x06, 0x8a]);
        let upper = ROOT.to_ascii_uppercase();
        assert_eq!(parse_root_hash(upper.as_bytes()), Ok(r));
        assert_eq!(parse_root_hash(&[b'a'; 128]).unwrap().as_bytes(), &[0xaa; 64]);
        for bad in [&b""[..], &[b'a'; 31], &[b'a'; 30], &[b'a'; 33], &[b'a'; 130], b"0g0000000000000000000000000000000"]
        {
            assert_eq!(parse_root_hash(bad), Err(VerityError::RootHashHex));
        }
        assert_eq!(parse_root_hash(&[b' '; 32]), Err(VerityError::RootHashHex));
        assert_eq!(parse_root_hash(b"0g000000000000000000000000000000"), Err(VerityError::RootHashHex));
    }

    #[test]
    fn options_parse() {
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let o = parse_options(
            b"ignore-zero-blocks,,superblock=true,format=1,nofail,panic-on-corruption,\
              hash=sha256,fec-device=/dev/x,root-hash-signature=base64:AA==,bogus,check-at-most-once,panic-on-corruption,\
              ignore_corruption,check-at-most-onc",
            &mut |w| seen.push(w.to_vec()),
        )
        .unwrap();
        assert_eq!(
            o,
            VerityOptions::IGNORE_ZERO_BLOCKS
                .union(VerityOptions::PANIC_ON_CORRUPTION)
                .union(VerityOptions::CHECK_AT_MOST_ONCE)
        );
        let seen: Vec<&[u8]> = seen.iter().map(|v| &v[..]).collect();
        assert_eq!(
            seen,
            [
                &b"superblock=true"[..],
                b"format=1",
                b"hash=sha256",
                b"fec-device=/dev/x",
                b"root-hash-signature=base64:AA==",
                b"bogus",
                b"ignore_corruption",
                b"check-at-most-onc"
            ]
        );
        let mut none = |_: &[u8]| panic!("nothing unsupported");
        assert_eq!(parse_options(b"", &mut none), Ok(VerityOptions::NONE));
        assert_eq!(
            parse_options(b"restart-on-error,ignore-corruption", &mut none),
            Ok(VerityOptions::RESTART_ON_ERROR.union(VerityOptions::IGNORE_CORRUPTION))
        );
        for bad in [
            &b"ignore-corruption,restart-on-corruption"[..],
            b"ignore-corruption,panic-on-corruption",
            b"restart-on-corruption,panic-on-corruption",
            b"restart-on-error,panic-on-error",
        ] {
            assert_eq!(parse_options(bad, &mut none), Err(VerityError::ConflictingOptions));
        }
    }

    #[test]
    fn messages() {
        assert_eq!(
            Line::of(&VerityError::HashTreeTooBig).as_str(),
            "verity hash tree does not fit in the hash partition"
        );
        assert_eq!(Line::of(&VerityError::Read(ReadError::Short)).as_str(), "verity superblock: short read");
        // One message per variant (`text::push_nth`): the first and the last line up.
        assert_eq!(MESSAGES.count(), 16);
        assert_eq!(Line::of(&VerityError::BadMagic).as_str(), "no verity superblock (bad magic)");
        assert_eq!(
            Line::of(&VerityError::BlockSizeBelowDevice).as_str(),
            "verity block size below the device's logical block size"
        );
        assert_eq!(HashAlg::Sha512.name(), "sha512");
        assert_eq!(HashAlg::Sha512.digest_len(), 64);
    }

    #[test]
    fn unknown_option_bits_are_refused() {
        assert_eq!(VerityOptions(0x80).check(), Err(VerityError::ConflictingOptions));
        assert_eq!(VerityOptions::CHECK_AT_MOST_ONCE.check(), Ok(()));
    }
}
