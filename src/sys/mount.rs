//! mount(2), umount2(2).

use super::{check, SysResult};
use core::ffi::CStr;
use linux_raw_sys::general as g;
use sc::syscall;

pub const MS_RDONLY: u32 = g::MS_RDONLY;
pub const MS_NOSUID: u32 = g::MS_NOSUID;
pub const MS_NODEV: u32 = g::MS_NODEV;
pub const MS_NOEXEC: u32 = g::MS_NOEXEC;
pub const MS_MOVE: u32 = g::MS_MOVE;
pub const MS_REC: u32 = g::MS_REC;
pub const MS_PRIVATE: u32 = g::MS_PRIVATE;
pub const MNT_DETACH: u32 = g::MNT_DETACH;

/// `int mount(const char *source, const char *target, const char *filesystemtype,
///            unsigned long mountflags, const void *data);`
// Out of line: one copy of the pointer juggling for its six callers (docs/size.md).
#[inline(never)]
pub fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: u32,
    data: Option<&CStr>,
) -> SysResult<()> {
    let ptr = |s: Option<&CStr>| s.map_or(core::ptr::null(), |s| s.as_ptr());
    // SAFETY: every pointer is NULL or a NUL-terminated string that outlives the call.
    check(unsafe { syscall!(MOUNT, ptr(source), target.as_ptr(), ptr(fstype), flags as usize, ptr(data)) }).map(drop)
}

/// `int umount2(const char *target, int flags);`
pub fn umount2(target: &CStr, flags: u32) -> SysResult<()> {
    // SAFETY: `target` is NUL-terminated and outlives the call.
    check(unsafe { syscall!(UMOUNT2, target.as_ptr(), flags) }).map(drop)
}
