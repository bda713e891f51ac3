//! Linux error numbers as a small value type, decoded in one place (`sys::check`) and
//! printed by name in every log line.

use crate::text::{Line, Show};
use linux_raw_sys::errno as e;

/// A Linux errno (the positive number; syscalls return it negated).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Errno(pub u16);

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(pub const $name: Errno = Errno(e::$name as u16);)*
        }

        /// The numbers (all below 256) and, in the same order, the names, one string
        /// separated by spaces: ~2 bytes per errno instead of a 40-arm `match` (~400
        /// bytes of code, docs/size.md).
        const NUMBERS: &[u8] = &[$(e::$name as u8),*];
        const NAMES: &str = concat!($(stringify!($name), " "),*);
        const _: () = {
            let mut i = 0;
            let n = [$(e::$name),*];
            while i < n.len() {
                assert!(n[i] < 256);
                i += 1;
            }
        };
    };
}

errnos!(
    EPERM,
    ENOENT,
    EINTR,
    EIO,
    ENXIO,
    E2BIG,
    ENOEXEC,
    EBADF,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    ENOTBLK,
    EBUSY,
    EEXIST,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOTTY,
    EFBIG,
    ENOSPC,
    EROFS,
    ERANGE,
    ENOSYS,
    ENOTEMPTY,
    ELOOP,
    ENODATA,
    ENOKEY,
    EKEYREJECTED,
    ETIMEDOUT,
    EOPNOTSUPP,
    ENOPKG,
    EBADMSG,
    EOVERFLOW,
    ENOBUFS,
    EADDRNOTAVAIL,
    EILSEQ,
    ENAMETOOLONG,
);

impl Errno {
    /// The symbolic name (`"ENOENT"`), or `None` for numbers ddiboot never expects.
    pub fn name(self) -> Option<&'static str> {
        let i = NUMBERS.iter().position(|&n| n as u16 == self.0)?;
        let mut words = NAMES.split_ascii_whitespace();
        words.nth(i)
    }
}

impl Show for Errno {
    fn show(&self, out: &mut Line) {
        match self.name() {
            Some(n) => out.push_str(n),
            None => {
                out.push_str("errno ");
                out.push_u64(self.0 as u64);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(Errno::ENOENT.0, 2);
        assert_eq!(Errno(2).name(), Some("ENOENT"));
        assert_eq!(Line::of(&Errno(22)).as_str(), "EINVAL");
        assert_eq!(Line::of(&Errno(4000)).as_str(), "errno 4000");
    }
}
