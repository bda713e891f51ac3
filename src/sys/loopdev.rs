//! Loop devices (linux/loop.h): a file made into a read-only block device.

use super::fs::{open, Fd, O_RDONLY};
use super::{check, CPath, Errno, SysResult};
use linux_raw_sys::loop_device as ld;
use sc::syscall;

/// Attach `backing` (open for reading) to a free loop device, read-only, detached
/// automatically when its last user closes it. Returns the open loop device; `path` is
/// its path (`/dev/loopN`).
pub fn attach_read_only(backing: &Fd, path: &mut CPath) -> SysResult<Fd> {
    let ctl = open(c"/dev/loop-control", O_RDONLY)?;
    // A free device can be taken by someone else between GET_FREE and CONFIGURE (EBUSY):
    // try a few times.
    let mut last = Errno::EBUSY;
    for _ in 0..8 {
        // `ioctl(ctl, LOOP_CTL_GET_FREE)` returns the index as the result.
        // SAFETY: no memory is passed.
        let n = check(unsafe { syscall!(IOCTL, ctl.raw(), ld::LOOP_CTL_GET_FREE, 0) })? as u32;
        let mut num = crate::text::Line::new();
        num.push_u64(n as u64);
        if !path.set(&[b"/dev/loop", num.as_bytes()]) {
            return Err(Errno::ENAMETOOLONG);
        }
        let dev = open(path.as_cstr(), O_RDONLY)?;
        // SAFETY: an all-zero loop_config is valid (and what the kernel expects for unused fields).
        let mut cfg: ld::loop_config = unsafe { core::mem::zeroed() };
        cfg.fd = backing.raw() as u32;
        cfg.info.lo_flags = ld::LO_FLAGS_READ_ONLY as u32 | ld::LO_FLAGS_AUTOCLEAR as u32;
        // SAFETY: LOOP_CONFIGURE reads one `struct loop_config` from `cfg`.
        match check(unsafe { syscall!(IOCTL, dev.raw(), ld::LOOP_CONFIGURE, &cfg as *const ld::loop_config) }) {
            Ok(_) => return Ok(dev),
            Err(Errno::EBUSY) => last = Errno::EBUSY,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}
