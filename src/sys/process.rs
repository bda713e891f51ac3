//! Process-wide calls: time, sleep, reboot, exec.

use super::{check, Errno};
use core::ffi::{c_char, CStr};
use linux_raw_sys::general as g;
use sc::syscall;

/// What the kernel handed to `/init` on its stack (see main.rs): the arguments and the
/// environment, passed on to init by [`exec`].
pub struct Args {
    argc: usize,
    argv: *const *const c_char,
    envp: *const *const c_char,
}

impl Args {
    /// # Safety
    /// `argv` points to `argc` pointers to NUL-terminated strings, `envp` to a
    /// NULL-terminated array of them, and all of it stays valid and unchanged for the
    /// life of the process (the kernel's initial stack, read by `_start`).
    pub unsafe fn new(argc: usize, argv: *const *const c_char, envp: *const *const c_char) -> Args {
        Args { argc, argv, envp }
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

/// Most arguments passed on to init after its path (the rest are dropped).
pub const MAX_EXEC_ARGS: usize = 30;

/// `int execve(const char *pathname, char *const argv[], char *const envp[]);` of `path`
/// with argv = `path`, then `args`' arguments after argv[0] (at most
/// [`MAX_EXEC_ARGS`]), and `args`' environment. Returns only on failure.
pub fn exec(path: &CStr, args: &Args) -> Errno {
    let mut argv: [*const c_char; MAX_EXEC_ARGS + 2] = [core::ptr::null(); MAX_EXEC_ARGS + 2];
    argv[0] = path.as_ptr();
    let extra = args.argc.saturating_sub(1).min(MAX_EXEC_ARGS);
    for (i, slot) in argv.iter_mut().skip(1).take(extra).enumerate() {
        // SAFETY: i + 1 <= extra < argc, and `args.argv` holds `argc` pointers
        // (`Args::new`'s contract); the pointer is copied, not what it points to.
        *slot = unsafe { *args.argv.add(i + 1) };
    }
    // SAFETY: `path` is NUL-terminated; `argv` is NULL-terminated (its last slot is never
    // written) and holds `path` and strings from the kernel's stack; `envp` is the
    // kernel's NULL-terminated array (`Args::new`); all of it outlives the call.
    let r = unsafe { syscall!(EXECVE, path.as_ptr(), argv.as_ptr(), args.envp) };
    check(r).err().unwrap_or(Errno::EINVAL)
}

/// Block forever without burning CPU (PID 1 must never exit).
pub fn pause_forever() -> ! {
    loop {
        sleep_ms(3_600_000);
    }
}
