//! The one place that speaks to the kernel.
//!
//! Every syscall goes through `sc::syscall!` in this module tree; results are decoded by
//! [`check`] (the raw return value is `-errno` in `-4095..=-1`); wrappers return
//! `Result<T, Errno>` and the caller adds what it was doing (see `boot::Error`).
//! One file per family, each wrapper documented with its man(2) prototype.

pub mod dm;
pub mod fs;
pub mod keyctl;
pub mod loopdev;
pub mod module;
pub mod mount;
pub mod process;
pub mod uevent;

pub use crate::errno::Errno;

pub type SysResult<T> = Result<T, Errno>;

/// Decode a raw syscall return value: `-4095..=-1` is `-errno`, anything else a result.
#[inline]
pub fn check(ret: usize) -> SysResult<usize> {
    if ret > (-4096isize) as usize {
        Err(Errno(ret.wrapping_neg() as u16))
    } else {
        Ok(ret)
    }
}

/// A NUL-terminated path built in a fixed buffer (no heap). Filled in place by
/// [`CPath::set`]: a `CPath` returned by value (in an `Option`) was copied, 264 bytes, at
/// each of ~20 places (docs/size.md).
pub struct CPath {
    /// The path, then a NUL at `len` (no NUL before it).
    buf: [u8; 256],
    len: usize,
}

impl Default for CPath {
    fn default() -> Self {
        CPath::new()
    }
}

impl CPath {
    /// The empty path.
    #[inline(never)]
    pub const fn new() -> CPath {
        CPath { buf: [0; 256], len: 0 }
    }

    /// Make this the path `parts` joined; `false` (and the path empty) if it would not fit
    /// or a part contains a NUL byte.
    pub fn set(&mut self, parts: &[&[u8]]) -> bool {
        self.len = 0;
        for part in parts {
            for &b in *part {
                // Keep the last byte for the NUL.
                match self.buf.get_mut(self.len).filter(|_| b != 0 && self.len < 255) {
                    Some(slot) => *slot = b,
                    None => {
                        self.len = 0;
                        self.buf[0] = 0;
                        return false;
                    }
                }
                self.len += 1;
            }
        }
        if let Some(end) = self.buf.get_mut(self.len) {
            *end = 0;
        }
        true
    }

    /// `parts` joined (see [`CPath::set`]).
    pub fn join(parts: &[&[u8]]) -> Option<CPath> {
        let mut p = CPath::new();
        p.set(parts).then_some(p)
    }

    pub fn as_cstr(&self) -> &core::ffi::CStr {
        // `set` ended the path with a NUL and rejected interior NULs.
        core::ffi::CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_decoding() {
        assert_eq!(check(0), Ok(0));
        assert_eq!(check(4096), Ok(4096));
        assert_eq!(check((-2isize) as usize), Err(Errno::ENOENT));
        assert_eq!(check((-4095isize) as usize), Err(Errno(4095)));
        assert_eq!(check((-4096isize) as usize), Ok((-4096isize) as usize));
    }

    #[test]
    fn cpath() {
        let p = CPath::join(&[b"/dev/", b"vda"]).unwrap();
        assert_eq!(p.as_cstr().to_bytes(), b"/dev/vda");
        assert!(CPath::join(&[b"a\0b"]).is_none());
        assert!(CPath::join(&[&[b'x'; 300]]).is_none());
        // Filled in place again: a shorter path after a longer one, and after a refusal.
        let mut p = CPath::new();
        assert!(p.set(&[b"/sys/class/block/", b"nvme0n1"]));
        assert!(p.set(&[b"/dev/", b"sda"]));
        assert_eq!((p.as_cstr().to_bytes(), p.as_bytes()), (&b"/dev/sda"[..], &b"/dev/sda"[..]));
        assert!(!p.set(&[b"/dev/", b"s\0da"]));
        assert_eq!((p.as_cstr().to_bytes(), p.as_bytes()), (&b""[..], &b""[..]));
        assert!(p.set(&[&[b'y'; 255]]) && !p.set(&[&[b'y'; 256]]));
        assert!(p.set(&[b"/", &[b'z'; 254]]));
        assert_eq!(p.as_cstr().to_bytes().len(), 255);
    }
}
