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

/// A NUL-terminated path built in a fixed buffer (no heap).
pub struct CPath {
    buf: [u8; 256],
    len: usize,
}

impl CPath {
    /// Join `parts` into one NUL-terminated string; `None` if it would not fit or a
    /// part contains a NUL byte.
    pub fn join(parts: &[&[u8]]) -> Option<CPath> {
        let mut p = CPath { buf: [0; 256], len: 0 };
        for part in parts {
            for &b in *part {
                // Keep the last byte for the NUL.
                match p.buf.get_mut(p.len).filter(|_| b != 0 && p.len < 255) {
                    Some(slot) => *slot = b,
                    None => return None,
                }
                p.len += 1;
            }
        }
        Some(p)
    }

    pub fn as_cstr(&self) -> &core::ffi::CStr {
        // The buffer is zeroed beyond `len` and `join` rejected interior NULs.
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
    }
}
