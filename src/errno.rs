//! Linux error numbers as a small value type, decoded in one place (`sys::check`) and
//! printed by name in every log line.

use crate::text::{Line, Show, Text};
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
        /// separated by NUL bytes (`text::push_nth`): ~2 bytes per errno instead of a
        /// 40-arm `match` (~400 bytes of code, docs/size.md).
        const NUMBERS: &[u8] = &[$(e::$name as u8),*];
        const NAMES: Text = msg!(concat!($(stringify!($name), "\0"),*));
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

/// The names, NUL-separated (for the dictionary's ranking, `packed::rank`).
#[cfg(test)]
pub(crate) fn names() -> Text {
    NAMES
}

/// Shown by its symbolic name (`ENOENT`), or as `errno N` for numbers ddiboot never
/// expects.
impl Show for Errno {
    fn show(&self, out: &mut Line) {
        match NUMBERS.iter().position(|&n| n as u16 == self.0) {
            Some(i) => out.push_nth(NAMES, i),
            None => {
                out.push_text(msg!("errno "));
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
        assert_eq!(Line::of(&Errno(2)).as_str(), "ENOENT");
        assert_eq!(Line::of(&Errno::ENAMETOOLONG).as_str(), "ENAMETOOLONG");
        assert_eq!(NAMES.packed().split(|&b| b == 0).count(), NUMBERS.len() + 1);
        assert_eq!(Line::of(&Errno(22)).as_str(), "EINVAL");
        assert_eq!(Line::of(&Errno(4000)).as_str(), "errno 4000");
    }
}
