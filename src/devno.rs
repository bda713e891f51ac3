//! A device number, as the kernel's tables and sysfs spell it: `major:minor`.

use crate::text::{Line, Show};

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
}
