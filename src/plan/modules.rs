//! The module list of the initrd ([`crate::initramfs::MODULE_ORDER`]): which lines name
//! a module file that ddiboot may load. The list comes from the initramfs, which the
//! signed UKI carries, but a name must still never reach outside the module directory.

use crate::text::{has_byte, Text};

/// Why a line of the list is not a module file name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BadName {
    /// A `/`: a path, not a file in the module directory.
    Slash,
    /// A leading `.`: `.`, `..` or a hidden file.
    LeadingDot,
    /// A NUL byte, which would end the path early.
    Nul,
}

impl BadName {
    pub fn reason(self) -> Text {
        match self {
            BadName::Slash => msg!("contains '/'"),
            BadName::LeadingDot => msg!("starts with '.'"),
            BadName::Nul => msg!("contains a NUL byte"),
        }
    }
}

/// The module file names in `list`: one a line, surrounding whitespace and blank lines
/// ignored, each checked by [`check_name`].
pub fn names(list: &[u8]) -> impl Iterator<Item = Result<&[u8], (BadName, &[u8])>> {
    list.split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty())
        .map(|n| check_name(n).map(|()| n).map_err(|e| (e, n)))
}

/// A plain file name: no `/`, no NUL, not starting with `.`.
pub fn check_name(name: &[u8]) -> Result<(), BadName> {
    if name.first() == Some(&b'.') {
        Err(BadName::LeadingDot)
    } else if has_byte(name, b'/') {
        Err(BadName::Slash)
    } else if has_byte(name, 0) {
        Err(BadName::Nul)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_a_list() {
        let list = b"dm-mod.ko\n\n  dm-verity.ko \r\nerofs.ko.xz\n";
        let got: Vec<_> = names(list).collect();
        assert_eq!(got, [Ok(&b"dm-mod.ko"[..]), Ok(b"dm-verity.ko"), Ok(b"erofs.ko.xz")]);
        assert_eq!(names(b"").count(), 0);
        assert_eq!(names(b"\n \n").count(), 0);
    }

    #[test]
    fn bad_names_are_refused() {
        assert_eq!(check_name(b"../etc/passwd"), Err(BadName::LeadingDot));
        assert_eq!(check_name(b".hidden.ko"), Err(BadName::LeadingDot));
        assert_eq!(check_name(b".."), Err(BadName::LeadingDot));
        assert_eq!(check_name(b"kernel/drivers/md/dm-mod.ko"), Err(BadName::Slash));
        assert_eq!(check_name(b"/dm-mod.ko"), Err(BadName::Slash));
        assert_eq!(check_name(b"a\0b.ko"), Err(BadName::Nul));
        assert_eq!(check_name(b"dm-mod.ko"), Ok(()));
        assert_eq!(check_name(b"x.ko..zst"), Ok(())); // dots inside are fine
        let got: Vec<_> = names(b"ok.ko\nsub/x.ko\n").collect();
        assert_eq!(got, [Ok(&b"ok.ko"[..]), Err((BadName::Slash, &b"sub/x.ko"[..]))]);
        assert_eq!(BadName::Slash.reason().unpack(), "contains '/'");
    }
}
