//! GUIDs as stored on disk, the Discoverable Partitions type GUIDs and GPT attribute bits.
//!
//! On disk (UEFI, SPECS §1.4) a GUID is `{u32 Data1, u16 Data2, u16 Data3, u8 Data4[8]}` with
//! the first three fields little-endian: text `AABBCCDD-EEFF-GGHH-IIJJ-KKLLMMNNOOPP` is stored as
//! `DD CC BB AA FF EE HH GG II JJ KK LL MM NN OO PP`. [`Guid`] always holds the on-disk bytes;
//! "text order" means the bytes in the order the hex digits are written.

use crate::text::{hex_digit, Line, Show, HEX};

/// A GUID in on-disk (mixed-endian) byte order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Guid(pub [u8; 16]);

/// Which on-disk byte goes at each text position (and back: the permutation is its own
/// inverse).
const ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];

/// Swaps text order and on-disk order.
const fn swap(b: [u8; 16]) -> [u8; 16] {
    let mut out = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        out[i] = b[ORDER[i]];
        i += 1;
    }
    out
}

/// Text offsets of the four dashes in `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
const fn is_dash_position(i: usize) -> bool {
    matches!(i, 8 | 13 | 18 | 23)
}

impl Guid {
    pub const ZERO: Guid = Guid([0; 16]);

    /// From the EFI_GUID fields (`Data1`..`Data4`).
    pub const fn from_fields(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> Guid {
        let [a0, a1, a2, a3] = d1.to_le_bytes();
        let [b0, b1] = d2.to_le_bytes();
        let [c0, c1] = d3.to_le_bytes();
        let [e0, e1, e2, e3, e4, e5, e6, e7] = d4;
        Guid([a0, a1, a2, a3, b0, b1, c0, c1, e0, e1, e2, e3, e4, e5, e6, e7])
    }

    /// From 16 bytes in text order (e.g. the first 16 bytes of a root hash, SPECS §2.1).
    pub const fn from_text_order(b: [u8; 16]) -> Guid {
        Guid(swap(b))
    }

    /// The bytes in text order.
    pub const fn to_text_order(self) -> [u8; 16] {
        swap(self.0)
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }

    /// Parses exactly 36 characters of text form, either case (`LoaderDevicePartUUID` is
    /// upper-case in current systemd, lower-case in systemd ≤ 252, SPECS §9.1).
    pub const fn parse(text: &[u8]) -> Option<Guid> {
        if text.len() != 36 {
            return None;
        }
        let mut out = [0u8; 16];
        let mut digits = 0; // hex digits consumed, 0..=32
        let mut i = 0;
        while i < 36 {
            let c = text[i];
            if is_dash_position(i) {
                if c != b'-' {
                    return None;
                }
            } else {
                let Some(v) = hex_digit(c) else { return None };
                // Always true (32 digits in 36 characters); lets the compiler drop the
                // bounds check and its panic path.
                if digits >= 32 {
                    return None;
                }
                out[digits / 2] |= if digits % 2 == 0 { v << 4 } else { v };
                digits += 1;
            }
            i += 1;
        }
        Some(Guid::from_text_order(out))
    }

    /// A compile-time GUID constant from its text form.
    const fn of(text: &str) -> Guid {
        match Guid::parse(text.as_bytes()) {
            Some(g) => g,
            None => panic!("malformed GUID constant"),
        }
    }
}

/// Lower-case text form.
impl Show for Guid {
    fn show(&self, out: &mut Line) {
        for (i, b) in self.to_text_order().iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out.push_byte(b'-');
            }
            out.push_byte(HEX[(b >> 4) as usize]);
            out.push_byte(HEX[(b & 15) as usize]);
        }
    }
}

/// Partition type GUIDs (Discoverable Partitions Specification, SPECS §2; names as in
/// systemd's `sd-gpt.h`).
pub mod types {
    use super::Guid;

    pub const ESP: Guid = Guid::of("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
    pub const XBOOTLDR: Guid = Guid::of("bc13c2ff-59e6-4262-a352-b275fd6f7172");
    pub const LINUX_GENERIC: Guid = Guid::of("0fc63daf-8483-4772-8e79-3d69d8477de4");

    pub const ROOT_X86_64: Guid = Guid::of("4f68bce3-e8cd-4db1-96e7-fbcaf984b709");
    pub const ROOT_X86_64_VERITY: Guid = Guid::of("2c7357ed-ebd2-46d9-aec1-23d437ec2bf5");
    pub const ROOT_X86_64_VERITY_SIG: Guid = Guid::of("41092b05-9fc8-4523-994f-2def0408b176");
    pub const USR_X86_64: Guid = Guid::of("8484680c-9521-48c6-9c11-b0720656f69e");
    pub const USR_X86_64_VERITY: Guid = Guid::of("77ff5f63-e7b6-4633-acf4-1565b864c0e6");
    pub const USR_X86_64_VERITY_SIG: Guid = Guid::of("e7bb33fb-06cf-4e81-8273-e543b413e2e2");

    pub const ROOT_ARM64: Guid = Guid::of("b921b045-1df0-41c3-af44-4c6f280d3fae");
    pub const ROOT_ARM64_VERITY: Guid = Guid::of("df3300ce-d69f-4c92-978c-9bfb0f38d820");
    pub const ROOT_ARM64_VERITY_SIG: Guid = Guid::of("6db69de6-29f4-4758-a7a5-962190f00ce3");
    pub const USR_ARM64: Guid = Guid::of("b0e01050-ee5f-4390-949a-9101b17104e9");
    pub const USR_ARM64_VERITY: Guid = Guid::of("6e11a4e7-fbca-4ded-b9e9-e1a512bb664e");
    pub const USR_ARM64_VERITY_SIG: Guid = Guid::of("c23ce4ff-44bd-4b00-b2d4-b41b3419e02a");

    pub const ROOT_X86: Guid = Guid::of("44479540-f297-41b2-9af7-d131d5f0458a");
    pub const ROOT_X86_VERITY: Guid = Guid::of("d13c5d3b-b5d1-422a-b29f-9454fdc89d76");
    pub const ROOT_X86_VERITY_SIG: Guid = Guid::of("5996fc05-109c-48de-808b-23fa0830b676");
    pub const USR_X86: Guid = Guid::of("75250d76-8cc6-458e-bd66-bd47cc81a812");
    pub const USR_X86_VERITY: Guid = Guid::of("8f461b0d-14ee-4e81-9aa9-049b6fb97abd");
    pub const USR_X86_VERITY_SIG: Guid = Guid::of("974a71c0-de41-43c3-be5d-5c5ccd1ad2c0");

    pub const ROOT_ARM: Guid = Guid::of("69dad710-2ce4-4e3c-b16c-21a1d49abed3");
    pub const ROOT_ARM_VERITY: Guid = Guid::of("7386cdf2-203c-47a9-a498-f2ecce45a2d6");
    pub const ROOT_ARM_VERITY_SIG: Guid = Guid::of("42b0455f-eb11-491d-98d3-56145ba9d037");
    pub const USR_ARM: Guid = Guid::of("7d0359a3-02b3-4f0a-865c-654403e70625");
    pub const USR_ARM_VERITY: Guid = Guid::of("c215d751-7bcd-4649-be90-6627490a4c05");
    pub const USR_ARM_VERITY_SIG: Guid = Guid::of("d7ff812f-37d1-4902-a810-d76ba57b975a");

    pub const ROOT_RISCV64: Guid = Guid::of("72ec70a6-cf74-40e6-bd49-4bda08e8f224");
    pub const ROOT_RISCV64_VERITY: Guid = Guid::of("b6ed5582-440b-4209-b8da-5ff7c419ea3d");
    pub const ROOT_RISCV64_VERITY_SIG: Guid = Guid::of("efe0f087-ea8d-4469-821a-4c2a96a8386a");
    pub const USR_RISCV64: Guid = Guid::of("beaec34b-8442-439b-a40b-984381ed097d");
    pub const USR_RISCV64_VERITY: Guid = Guid::of("8f1056be-9b05-47c4-81d6-be53128e5b54");
    pub const USR_RISCV64_VERITY_SIG: Guid = Guid::of("d2f9000a-7a18-453f-b5cd-4d32f77a7b32");
}

/// GPT partition attribute bits (UEFI bits 0–2, SPECS §1.3; DPS bits 59/60/63, SPECS §2.3).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PartAttrs(pub u64);

impl PartAttrs {
    /// UEFI: required for the platform to function.
    pub const REQUIRED: u64 = 1 << 0;
    /// UEFI: no EFI_BLOCK_IO_PROTOCOL; systemd skips an ESP with this bit.
    pub const NO_BLOCK_IO: u64 = 1 << 1;
    /// UEFI: legacy BIOS bootable.
    pub const LEGACY_BIOS_BOOTABLE: u64 = 1 << 2;
    /// DPS: grow the file system to the partition size (`SD_GPT_FLAG_GROWFS`).
    pub const GROWFS: u64 = 1 << 59;
    /// DPS: mount read-only (`SD_GPT_FLAG_READ_ONLY`).
    pub const READ_ONLY: u64 = 1 << 60;
    /// DPS: do not use automatically (`SD_GPT_FLAG_NO_AUTO`).
    pub const NO_AUTO: u64 = 1 << 63;

    pub fn has(self, mask: u64) -> bool {
        self.0 & mask == mask
    }
    pub fn required(self) -> bool {
        self.has(Self::REQUIRED)
    }
    pub fn no_block_io(self) -> bool {
        self.has(Self::NO_BLOCK_IO)
    }
    pub fn legacy_bios_bootable(self) -> bool {
        self.has(Self::LEGACY_BIOS_BOOTABLE)
    }
    pub fn growfs(self) -> bool {
        self.has(Self::GROWFS)
    }
    pub fn read_only(self) -> bool {
        self.has(Self::READ_ONLY)
    }
    pub fn no_auto(self) -> bool {
        self.has(Self::NO_AUTO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_disk_bytes_match_specs_examples() {
        // SPECS §1.4 (verified against sgdisk images).
        assert_eq!(
            types::ESP.0,
            [0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b]
        );
        let partuuid = Guid::parse(b"11223344-5566-7788-99aa-bbccddeeff00").unwrap();
        assert_eq!(
            partuuid.0,
            [0x44, 0x33, 0x22, 0x11, 0x66, 0x55, 0x88, 0x77, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00]
        );
        let fields = Guid::from_fields(0x11223344, 0x5566, 0x7788, [0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0]);
        assert_eq!(fields, partuuid);
        // First 8 on-disk bytes column of the SPECS §2 table, a few rows.
        assert_eq!(types::ROOT_X86_64.0[..8], [0xe3, 0xbc, 0x68, 0x4f, 0xcd, 0xe8, 0xb1, 0x4d]);
        assert_eq!(types::USR_ARM64_VERITY_SIG.0[..8], [0xff, 0xe4, 0x3c, 0xc2, 0xbd, 0x44, 0x00, 0x4b]);
        assert_eq!(types::USR_RISCV64_VERITY_SIG.0[..8], [0x0a, 0x00, 0xf9, 0xd2, 0x18, 0x7a, 0x3f, 0x45]);
    }

    #[test]
    fn text_round_trip_and_case() {
        let text = "c9655c39-c598-e397-6b57-1fd40c740484";
        let g = Guid::parse(text.as_bytes()).unwrap();
        assert_eq!(Line::of(&g).as_str(), text);
        assert_eq!(Guid::parse(text.to_uppercase().as_bytes()), Some(g));
        assert_eq!(Line::of(&types::ESP).as_str(), "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
        // Root hash convention (SPECS §2.1): text order = first 16 hash bytes.
        let hash = [0xc9, 0x65, 0x5c, 0x39, 0xc5, 0x98, 0xe3, 0x97, 0x6b, 0x57, 0x1f, 0xd4, 0x0c, 0x74, 0x04, 0x84];
        assert_eq!(Guid::from_text_order(hash), g);
        assert_eq!(g.to_text_order(), hash);
        assert_eq!(g.0[..4], [0x39, 0x5c, 0x65, 0xc9]);
        assert!(Guid::ZERO.is_zero() && !g.is_zero());
    }

    #[test]
    fn parse_rejects_malformed_text() {
        for bad in [
            &b""[..],
            b"c12a7328-f81f-11d2-ba4b-00a0c93ec93",   // 35 chars
            b"c12a7328-f81f-11d2-ba4b-00a0c93ec93b0", // 37 chars
            b"c12a7328-f81f-11d2-ba4b-00a0c93ec93b\n",
            b"c12a7328f-81f-11d2-ba4b-00a0c93ec93b", // dash moved
            b"c12a7328-f81f-11d2-ba4b+00a0c93ec93b",
            b"g12a7328-f81f-11d2-ba4b-00a0c93ec93b",
            b"c12a7328-f81f-11d2-ba4b-00a0c93ec9\xff\xff",
            b"{12a7328-f81f-11d2-ba4b-00a0c93ec93}",
        ] {
            assert_eq!(Guid::parse(bad), None, "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn attribute_bits() {
        let a = PartAttrs(PartAttrs::NO_AUTO | PartAttrs::READ_ONLY | PartAttrs::NO_BLOCK_IO);
        assert!(a.no_auto() && a.read_only() && a.no_block_io());
        assert!(!a.growfs() && !a.required() && !a.legacy_bios_bootable());
        assert_eq!(PartAttrs::READ_ONLY, 0x1000_0000_0000_0000);
        assert_eq!(PartAttrs::NO_AUTO, 0x8000_0000_0000_0000);
        assert_eq!(PartAttrs::GROWFS, 0x0800_0000_0000_0000);
    }
}
