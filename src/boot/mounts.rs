//! Step 1: the API filesystems (devtmpfs, proc, sysfs), and the one way steps create
//! directories.

use super::error::{Context, Error, Step};
use crate::errno::Errno;
use crate::sys::fs;
use crate::sys::mount::{self, MS_NODEV, MS_NOEXEC, MS_NOSUID};
use core::ffi::CStr;

/// Create `dir` (mode 0755; an existing one is fine).
pub fn mkdir(step: Step, dir: &CStr) -> Result<(), Error> {
    fs::mkdir(dir, 0o755).ctx(step, msg!("creating"), dir.to_bytes())
}

/// Mount devtmpfs, proc and sysfs (already mounted is fine).
pub fn early_mounts() -> Result<(), Error> {
    const FL: u32 = MS_NOSUID | MS_NOEXEC | MS_NODEV;
    static MOUNTS: [(&CStr, &CStr, u32, Option<&CStr>); 3] = [
        (c"/dev", c"devtmpfs", MS_NOSUID, Some(c"mode=0755")),
        (c"/proc", c"proc", FL, None),
        (c"/sys", c"sysfs", FL, None),
    ];
    for &(dir, fstype, flags, data) in &MOUNTS {
        mkdir(Step::EarlyMounts, dir)?;
        match mount::mount(Some(fstype), dir, Some(fstype), flags, data) {
            Ok(()) | Err(Errno::EBUSY) => {}
            Err(e) => return Err(Error::sys(Step::EarlyMounts, msg!("mounting"), dir.to_bytes(), e)),
        }
    }
    Ok(())
}
