//! Process-wide calls: time, sleep, reboot, exec.

use super::{check, Errno};
use core::ffi::{c_char, CStr};
use linux_raw_sys::general as g;
use sc::syscall;

/// What the kernel handed to `/init` on its stack (see main.rs).
pub struct Args {
    pub argc: usize,
    pub argv: *const *const c_char,
    pub envp: *const *const c_char,
}

impl Args {
    /// `argv[i]`, or NULL past the end.
    pub fn arg(&self, i: usize) -> *const c_char {
        if i >= self.argc {
            return core::ptr::null();
        }
        // SAFETY: the kernel put `argc` valid pointers at `argv` (main.rs), and i < argc.
        unsafe { *self.argv.add(i) }
    }
}

/// Nanoseconds since boot (CLOCK_BOOTTIME: the clock printk timestamps follow).
/// `int clock_gettime(clockid_t clockid, struct timespec *tp);`
pub fn boottime_ns() -> u64 {
    let mut ts = g::__kernel_timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: the kernel writes one timespec into `ts`.
    let _ = unsafe { syscall!(CLOCK_GETTIME, g::CLOCK_BOOTTIME, &mut ts as *mut g::__kernel_timespec) };
    (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64)
}

/// Sleep for `ms` milliseconds.
/// `int clock_nanosleep(clockid_t clockid, int flags, const struct timespec *request, struct timespec *remain);`
pub fn sleep_ms(ms: u64) {
    let ts = g::__kernel_timespec { tv_sec: (ms / 1000) as _, tv_nsec: ((ms % 1000) * 1_000_000) as _ };
    // SAFETY: `ts` is a valid timespec; no remainder is requested.
    let _ = unsafe { syscall!(CLOCK_NANOSLEEP, g::CLOCK_MONOTONIC, 0, &ts as *const g::__kernel_timespec, 0) };
}

/// `pid_t getpid(void);`
pub fn getpid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { syscall!(GETPID) as u32 }
}

/// `void sync(void);`
pub fn sync() {
    // SAFETY: no arguments.
    unsafe {
        syscall!(SYNC);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RebootCmd {
    Restart,
    PowerOff,
    Halt,
}

/// `int reboot(int magic, int magic2, int cmd, void *arg);` — returns only on failure.
pub fn reboot(cmd: RebootCmd) -> Errno {
    let c = match cmd {
        RebootCmd::Restart => g::LINUX_REBOOT_CMD_RESTART,
        RebootCmd::PowerOff => g::LINUX_REBOOT_CMD_POWER_OFF,
        RebootCmd::Halt => g::LINUX_REBOOT_CMD_HALT,
    };
    // SAFETY: no memory is passed (arg is NULL).
    let r = unsafe { syscall!(REBOOT, g::LINUX_REBOOT_MAGIC1, g::LINUX_REBOOT_MAGIC2, c, 0) };
    check(r).err().unwrap_or(Errno::EINVAL)
}

/// `int execve(const char *pathname, char *const argv[], char *const envp[]);`
/// Returns only on failure. `argv`/`envp` are NULL-terminated pointer arrays.
pub fn execve(path: &CStr, argv: *const *const c_char, envp: *const *const c_char) -> Errno {
    // SAFETY: `path` is NUL-terminated; argv/envp are the NULL-terminated arrays the
    // kernel gave us at startup (see main.rs), or arrays built by the caller with the
    // same shape, and stay alive across the call.
    let r = unsafe { syscall!(EXECVE, path.as_ptr(), argv, envp) };
    check(r).err().unwrap_or(Errno::EINVAL)
}

/// Block forever without burning CPU (PID 1 must never exit).
pub fn pause_forever() -> ! {
    loop {
        sleep_ms(3_600_000);
    }
}
