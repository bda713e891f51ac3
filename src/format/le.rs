//! Little-endian fields of on-disk records: the GPT header and entries, the FAT boot sector
//! and directory entries, the verity superblock, filesystem superblocks.
//!
//! Two forms: [`u16()`]/[`u32()`]/[`u64()`]/[`bytes`] for fixed-size records read at constant
//! offsets, where the bounds check is resolved at compile time (no panic path, no code)
//! and the zero returned past the end is never reached; and `get_*` for buffers whose
//! length varies, where past the end is `None`.

/// The `N` bytes at `at`, or `None` where `b` ends first.
pub fn get<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

pub fn get_u16(b: &[u8], at: usize) -> Option<u16> {
    get(b, at).map(u16::from_le_bytes)
}

pub fn get_u32(b: &[u8], at: usize) -> Option<u32> {
    get(b, at).map(u32::from_le_bytes)
}

pub fn get_u64(b: &[u8], at: usize) -> Option<u64> {
    get(b, at).map(u64::from_le_bytes)
}

/// The `N` bytes at `at` (zeros past the end).
pub fn bytes<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    get(b, at).unwrap_or([0; N])
}

pub fn u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes(b, at))
}

pub fn u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes(b, at))
}

pub fn u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes(b, at))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_and_ends() {
        let b = [1u8, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(super::u16(&b, 0), 0x0201);
        assert_eq!(super::u32(&b, 1), 0x0504_0302);
        assert_eq!(super::u64(&b, 1), 0x0908_0706_0504_0302);
        assert_eq!(super::u64(&b, 2), 0);
        assert_eq!(super::get_u64(&b, 2), None);
        assert_eq!(super::get_u16(&b, 7), Some(0x0908));
        assert_eq!(super::get_u16(&b, 8), None);
        assert_eq!(super::get_u32(&b, usize::MAX), None);
        assert_eq!(super::bytes::<3>(&b, 6), [7, 8, 9]);
        assert_eq!(super::bytes::<3>(&b, 7), [0; 3]);
    }
}
