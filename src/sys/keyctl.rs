//! Keys: add_key(2), keyctl(2) (linux/keyctl.h; SPECS §3.2).
//!
//! dm-verity takes a root hash signature only through a key: the table option
//! `root_hash_sig_key_desc DESC` names a key of type `user` that the kernel looks up with
//! request_key() in the keyrings of the task loading the table (thread, process, session)
//! and copies while the table is loaded. So the signature goes into the calling thread's
//! keyring just before the load and is unlinked right after it (what cryptsetup does).
//! The thread keyring is also dropped by execve(2), so nothing outlives ddiboot.

use super::{check, SysResult};
use core::ffi::CStr;
use sc::syscall;

/// `KEY_SPEC_THREAD_KEYRING`: the calling thread's keyring, created on first use.
const KEY_SPEC_THREAD_KEYRING: i32 = -1;
/// `KEYCTL_UNLINK`: `keyctl(KEYCTL_UNLINK, key_serial_t key, key_serial_t keyring)`.
const KEYCTL_UNLINK: usize = 9;

/// A `user` key linked into the calling thread's keyring, unlinked on drop.
pub struct ThreadKey(i32);

impl ThreadKey {
    /// `key_serial_t add_key(const char *type, const char *description, const void *payload,
    ///                       size_t plen, key_serial_t keyring);`
    ///
    /// Adds (or updates: same type and description) the `user` key `desc` with `payload`
    /// (at most 32767 bytes for this type, else EINVAL).
    pub fn add_user(desc: &CStr, payload: &[u8]) -> SysResult<ThreadKey> {
        // SAFETY: both strings are NUL-terminated, `payload` is valid for `payload.len()`
        // bytes; all outlive the call and the kernel only reads them.
        let r = unsafe {
            syscall!(
                ADD_KEY,
                c"user".as_ptr(),
                desc.as_ptr(),
                payload.as_ptr(),
                payload.len(),
                KEY_SPEC_THREAD_KEYRING as isize as usize
            )
        };
        check(r).map(|serial| ThreadKey(serial as i32))
    }

    /// The key's serial number (for log lines).
    pub fn serial(&self) -> i32 {
        self.0
    }
}

impl Drop for ThreadKey {
    fn drop(&mut self) {
        // long keyctl(KEYCTL_UNLINK, key_serial_t key, key_serial_t keyring);
        // SAFETY: integer arguments only; no memory is passed.
        let _ = unsafe {
            syscall!(KEYCTL, KEYCTL_UNLINK, self.0 as isize as usize, KEY_SPEC_THREAD_KEYRING as isize as usize)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno::Errno;

    /// `keyctl(KEYCTL_SEARCH, keyring, "user", desc, 0)`: the key's serial, as request_key()
    /// (and so dm-verity) would find it from this thread.
    fn search(desc: &CStr) -> SysResult<i32> {
        const KEYCTL_SEARCH: usize = 10;
        // SAFETY: NUL-terminated strings that outlive the call; the kernel only reads them.
        let r = unsafe {
            syscall!(
                KEYCTL,
                KEYCTL_SEARCH,
                KEY_SPEC_THREAD_KEYRING as isize as usize,
                c"user".as_ptr(),
                desc.as_ptr(),
                0
            )
        };
        check(r).map(|s| s as i32)
    }

    /// `keyctl(KEYCTL_READ, key, buf, len)`: the payload.
    fn read(serial: i32) -> Vec<u8> {
        const KEYCTL_READ: usize = 11;
        let mut buf = vec![0u8; 64];
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
        let r = unsafe { syscall!(KEYCTL, KEYCTL_READ, serial as isize as usize, buf.as_mut_ptr(), buf.len()) };
        buf.truncate(check(r).unwrap().min(64));
        buf
    }

    #[test]
    fn user_key_lives_until_dropped() {
        // Each test runs on its own thread, so it has its own thread keyring.
        let desc = c"ddiboot:keyctl-test";
        assert_eq!(search(desc), Err(Errno::ENOKEY));
        let key = ThreadKey::add_user(desc, b"\x30\x82signature").unwrap();
        assert!(key.serial() > 0);
        assert_eq!(search(desc), Ok(key.serial()));
        assert_eq!(read(key.serial()), b"\x30\x82signature");
        drop(key);
        assert_eq!(search(desc), Err(Errno::ENOKEY));

        // The kernel's limits come back as errors.
        assert_eq!(ThreadKey::add_user(c"ddiboot:big", &vec![0; 40000]).err(), Some(Errno::EINVAL));
        assert_eq!(ThreadKey::add_user(c"", b"x").err(), Some(Errno::EINVAL));
    }
}
