//! Kernel modules.

use super::{check, fs::Fd, SysResult};
use sc::syscall;

/// `int finit_module(int fd, const char *param_values, int flags);`
pub fn finit_module(fd: &Fd) -> SysResult<()> {
    // SAFETY: `fd` is open for reading; the parameter string is an empty C string.
    check(unsafe { syscall!(FINIT_MODULE, fd.raw(), c"".as_ptr(), 0) }).map(drop)
}
