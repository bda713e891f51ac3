//! The boot sequence, as PID 1. `main` reads top to bottom like the list in README.md;
//! every step returns an [`Error`] naming the step, what it was working on and why it
//! failed, and any failure (panics included) ends in the `ddiboot.on_failure=` policy.
//! PID 1 never returns and never exits.

use crate::cmdline::{Config, FailurePolicy, Warning};
use crate::errno::Errno;
use crate::log::Level;
use crate::sys::fs;
use crate::sys::mount::{self, MS_NODEV, MS_NOEXEC, MS_NOSUID};
use crate::sys::process::{self, RebootCmd};
use crate::text::{Line, Show, Untrusted};
use core::ffi::{c_char, CStr};
use core::sync::atomic::{AtomicU8, AtomicU32, Ordering::Relaxed};

/// What the kernel handed to `/init`.
pub struct Args {
    pub argc: usize,
    pub argv: *const *const c_char,
    pub envp: *const *const c_char,
}

/// The boot steps, for error messages and timings.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Step {
    EarlyMounts,
    CommandLine,
    Modules,
    FindDisk,
    FindImage,
    MapImage,
    Verity,
    MountRoot,
    SwitchRoot,
}

impl Show for Step {
    fn show(&self, out: &mut Line) {
        out.push_str(match self {
            Step::EarlyMounts => "early mounts",
            Step::CommandLine => "command line",
            Step::Modules => "loading modules",
            Step::FindDisk => "finding the disk",
            Step::FindImage => "finding the DDI",
            Step::MapImage => "mapping the DDI",
            Step::Verity => "setting up dm-verity",
            Step::MountRoot => "mounting the root",
            Step::SwitchRoot => "switching root",
        })
    }
}

/// Why a step failed.
#[derive(Clone, Copy, Debug)]
pub enum Cause {
    /// A syscall failed.
    Sys(Errno),
    /// A plain explanation (no errno involved).
    Msg(&'static str),
}

/// A failed boot step: "<step>: <what> <object>: <cause>".
pub struct Error {
    pub step: Step,
    pub what: &'static str,
    object: [u8; 128],
    object_len: usize,
    pub cause: Cause,
}

impl Error {
    pub fn new(step: Step, what: &'static str, object: &[u8], cause: Cause) -> Error {
        let mut e = Error { step, what, object: [0; 128], object_len: 0, cause };
        let n = object.len().min(e.object.len());
        e.object[..n].copy_from_slice(&object[..n]);
        e.object_len = n;
        e
    }

    pub fn sys(step: Step, what: &'static str, object: &[u8], errno: Errno) -> Error {
        Error::new(step, what, object, Cause::Sys(errno))
    }
}

impl Show for Error {
    fn show(&self, out: &mut Line) {
        self.step.show(out);
        out.push_str(": ");
        out.push_str(self.what);
        if self.object_len > 0 {
            out.push_byte(b' ');
            out.push_untrusted(&self.object[..self.object_len]);
        }
        out.push_str(": ");
        match self.cause {
            Cause::Sys(e) => e.show(out),
            Cause::Msg(m) => out.push_str(m),
        }
    }
}

/// Adds the step and object to a syscall error.
pub trait Context<T> {
    fn ctx(self, step: Step, what: &'static str, object: &[u8]) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, Errno> {
    fn ctx(self, step: Step, what: &'static str, object: &[u8]) -> Result<T, Error> {
        self.map_err(|e| Error::sys(step, what, object, e))
    }
}

// The failure policy is kept in statics so that the panic handler can apply it too.
static POLICY: AtomicU8 = AtomicU8::new(FailurePolicy::Reboot as u8);
static DELAY_S: AtomicU32 = AtomicU32::new(crate::cmdline::DEFAULT_FAILURE_DELAY_S);

/// Read /proc/cmdline into `buf` (COMMAND_LINE_SIZE is 2048 on x86 and arm64).
fn read_cmdline(buf: &mut [u8]) -> Result<&[u8], Error> {
    fs::read_file(c"/proc/cmdline", buf).ctx(Step::CommandLine, "reading", b"/proc/cmdline")
}

/// Mount devtmpfs, proc and sysfs (already mounted is fine).
fn early_mounts() -> Result<(), Error> {
    let fl = MS_NOSUID | MS_NOEXEC | MS_NODEV;
    let mounts: [(&CStr, &CStr, u32, Option<&CStr>); 3] = [
        (c"/dev", c"devtmpfs", MS_NOSUID, Some(c"mode=0755")),
        (c"/proc", c"proc", fl, None),
        (c"/sys", c"sysfs", fl, None),
    ];
    for (dir, fstype, flags, data) in mounts {
        fs::mkdir(dir, 0o755).ctx(Step::EarlyMounts, "creating", dir.to_bytes())?;
        match mount::mount(Some(fstype), dir, Some(fstype), flags, data) {
            Ok(()) | Err(Errno::EBUSY) => {}
            Err(e) => return Err(Error::sys(Step::EarlyMounts, "mounting", dir.to_bytes(), e)),
        }
    }
    Ok(())
}

/// PID 1's entry point, called by `_start`.
pub fn main(args: Args) -> ! {
    let t0 = process::boottime_ns();
    let early = early_mounts();
    crate::log::init();
    if let Err(e) = early {
        fail(&e);
    }
    // `main` never returns, so this buffer lives as long as PID 1 and the config can
    // borrow from it.
    let mut cmdline = [0u8; 4096];
    let line = match read_cmdline(&mut cmdline) {
        Ok(l) => l,
        Err(e) => fail(&e),
    };
    let cfg = Config::parse(line, &mut |w: Warning| {
        warn!("ignoring ", Untrusted(w.key), ": ", w.problem);
    });
    POLICY.store(cfg.on_failure as u8, Relaxed);
    DELAY_S.store(cfg.failure_delay_s, Relaxed);
    crate::log::set_debug(cfg.debug);
    info!(
        "ddiboot ", env!("CARGO_PKG_VERSION"), " running as PID ", process::getpid(),
        ", image ", Untrusted(cfg.image), ", timeout ", cfg.timeout_s, "s"
    );
    debug!("command line: ", Untrusted(line.strip_suffix(b"\n").unwrap_or(line)));
    let _ = (&args, t0);
    let e = Error::new(Step::FindDisk, "booting", b"", Cause::Msg("the DDI boot path is not built yet"));
    fail(&e)
}

/// Report `e` and apply the failure policy. Never returns.
pub fn fail(e: &Error) -> ! {
    error!("boot failed: ", e);
    apply_policy()
}

/// The panic handler's way out (see main.rs).
pub fn panicked(file: &str, line: u32) -> ! {
    error!("internal error (panic) at ", file, ":", line);
    apply_policy()
}

fn apply_policy() -> ! {
    let policy = match POLICY.load(Relaxed) {
        x if x == FailurePolicy::PowerOff as u8 => FailurePolicy::PowerOff,
        x if x == FailurePolicy::Halt as u8 => FailurePolicy::Halt,
        _ => FailurePolicy::Reboot,
    };
    let delay = DELAY_S.load(Relaxed);
    let (cmd, word) = match policy {
        FailurePolicy::Reboot => (RebootCmd::Restart, "rebooting"),
        FailurePolicy::PowerOff => (RebootCmd::PowerOff, "powering off"),
        FailurePolicy::Halt => {
            crate::log!(Level::Err, "halted (ddiboot.on_failure=halt); the console stays up");
            process::pause_forever()
        }
    };
    error!(word, " in ", delay, " s (ddiboot.on_failure=)");
    process::sleep_ms(delay as u64 * 1000);
    process::sync();
    let e = process::reboot(cmd);
    error!("reboot(2) failed: ", e, "; halting");
    process::pause_forever()
}
