//! A device number, as the kernel's tables and sysfs spell it: `major:minor`.

use crate::text::{self, Line, Show};

/// The major and minor number of a block device (dm-linear and dm-verity tables name
/// their backing devices this way; sysfs `dev` attributes print it).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DevNo {
    pub major: u32,
    pub minor: u32,
}

impl DevNo {
    pub const fn new(major: u32, minor: u32) -> DevNo {
        DevNo { major, minor }
    }

    /// `major:minor` as sysfs `dev` attributes spell it (one trailing newline allowed).
    pub fn parse(s: &[u8]) -> Option<DevNo> {
        let s = s.strip_suffix(b"\n").unwrap_or(s);
        let colon = s.iter().position(|&c| c == b':')?;
        let (major, minor) = s.split_at(colon);
        let number = |t: &[u8]| text::parse_u64(t).and_then(|n| u32::try_from(n).ok());
        Some(DevNo::new(number(major)?, number(minor.get(1..)?)?))
    }
}

impl Show for DevNo {
    /// `major:minor`.
    fn show(&self, out: &mut Line) {
        out.push_u64(self.major as u64);
        out.push_byte(b':');
        out.push_u64(self.minor as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_as_major_colon_minor() {
        assert_eq!(Line::of(&DevNo::new(259, 1_048_575)).as_bytes(), b"259:1048575");
        assert_eq!(Line::of(&DevNo::new(u32::MAX, 0)).as_bytes(), b"4294967295:0");
    }

    #[test]
    fn parses_sysfs_dev() {
        assert_eq!(DevNo::parse(b"259:3\n"), Some(DevNo::new(259, 3)));
        assert_eq!(DevNo::parse(b"4294967295:0"), Some(DevNo::new(u32::MAX, 0)));
        for bad in [&b""[..], b":", b"8:", b":1", b"8:1\n\n", b"8 :1", b"4294967296:0", b"8:1:2", b"8"] {
            assert_eq!(DevNo::parse(bad), None, "{bad:?}");
        }
    }
}
