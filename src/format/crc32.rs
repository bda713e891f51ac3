//! CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) for the GPT header and entry-array
//! checksums (UEFI §5.3.2; the same value as zlib's `crc32()`).
//!
//! Why not the `crc32fast` crate: its slice-by-16 table (16 KiB) and SIMD paths cost
//! about 22 KiB in the binary, nearly the whole 24 KiB budget, to speed up checksums of
//! at most a few KiB per disk. This version goes a nibble at a time through a 64-byte
//! table computed at compile time (a byte-wide table is 1 KiB; docs/size.md): ~2 table
//! steps per byte, fast enough for the 16 KiB entry arrays it checks. `crc32fast` stays
//! as the reference in the tests.

/// CRC of each 4-bit value (the reflected polynomial, 4 shifts).
const TABLE: [u32; 16] = {
    let mut t = [0u32; 16];
    let mut i = 0;
    while i < 16 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 4 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// An incremental CRC-32.
#[derive(Clone, Copy)]
pub struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32 {
    pub const fn new() -> Self {
        Crc32(0xFFFF_FFFF)
    }

    pub fn update(&mut self, bytes: &[u8]) {
        let mut c = self.0;
        for &b in bytes {
            c ^= b as u32;
            c = TABLE[(c & 15) as usize] ^ (c >> 4);
            c = TABLE[(c & 15) as usize] ^ (c >> 4);
        }
        self.0 = c;
    }

    pub fn finalize(self) -> u32 {
        !self.0
    }
}

/// CRC-32 of `bytes` in one go.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = Crc32::new();
    c.update(bytes);
    c.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926); // the standard check value
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        assert_eq!(crc32(&data), crc32fast::hash(&data));
        let mut inc = Crc32::new();
        for chunk in data.chunks(4093) {
            inc.update(chunk);
        }
        assert_eq!(inc.finalize(), crc32fast::hash(&data));
    }
}
