//! The boot sequence, as PID 1. `main` reads top to bottom like the list in README.md;
//! every step returns an [`Error`] naming the step, what it was working on and why it
//! failed, and any failure (panics included) ends in the `ddiboot.on_failure=` policy.
//! PID 1 never returns and never exits.

use crate::cmdline::{Config, FailurePolicy, VerityMode, Warning};
use crate::esp::{self, EspLocator};
use crate::mapper::{self, ImageSource};
use crate::verity::{self, RootHash, VerityOptions};
use crate::{memory, modules, switchroot};
use crate::errno::Errno;
use crate::log::Level;
use crate::sys::fs;
use crate::sys::mount::{self, MS_NODEV, MS_NOEXEC, MS_NOSUID};
use crate::sys::process::{self, RebootCmd};
use crate::text::{Line, Show, Untrusted};
use core::ffi::CStr;
use core::sync::atomic::{AtomicU8, AtomicU32, Ordering::Relaxed};

pub use crate::sys::process::Args;

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
        // In `Step` order.
        static NAMES: [&str; 9] = [
            "early mounts",
            "command line",
            "loading modules",
            "finding the disk",
            "finding the DDI",
            "mapping the DDI",
            "setting up dm-verity",
            "mounting the root",
            "switching root",
        ];
        out.push_str(NAMES.get(*self as usize).copied().unwrap_or(""))
    }
}

/// Why a step failed.
#[derive(Clone, Copy, Debug)]
pub enum Cause {
    /// A syscall failed.
    Sys(Errno),
    /// A plain explanation (no errno involved).
    Msg(&'static str),
    Read(crate::block::ReadError),
    Gpt(crate::gpt::GptError),
    Fat(crate::fat::FatError),
    Ddi(crate::ddi::DdiError),
    Verity(crate::verity::VerityError),
}

/// A failed boot step. The full story ("<step>: <what> <object>: <cause>") is logged
/// when the error is made, where the path or device name is at hand; the value itself
/// is only the step, one byte, so that `Result`s are cheap to pass up (moving a cause
/// along with it cost several hundred bytes of copies: docs/size.md).
#[derive(Clone, Copy, Debug)]
pub struct Error {
    pub step: Step,
}

impl Error {
    /// Log the failure and return it.
    #[inline(never)]
    pub fn new(step: Step, what: &'static str, object: &[u8], cause: Cause) -> Error {
        let mut l = crate::log::start(Level::Err);
        step.show(&mut l);
        l.push_str(": ");
        l.push_str(what);
        if !object.is_empty() {
            l.push_byte(b' ');
            l.push_untrusted(object);
        }
        l.push_str(": ");
        cause.show(&mut l);
        crate::log::emit(&mut l);
        Error { step }
    }

    pub fn sys(step: Step, what: &'static str, object: &[u8], errno: Errno) -> Error {
        Error::new(step, what, object, Cause::Sys(errno))
    }
}

impl Show for Cause {
    fn show(&self, out: &mut Line) {
        match self {
            Cause::Sys(e) => e.show(out),
            Cause::Msg(m) => out.push_str(m),
            Cause::Read(e) => e.show(out),
            Cause::Gpt(e) => e.show(out),
            Cause::Fat(e) => e.show(out),
            Cause::Ddi(e) => e.show(out),
            Cause::Verity(e) => e.show(out),
        }
    }
}

/// Adds the step and object to a syscall error.
pub trait Context<T> {
    fn ctx(self, step: Step, what: &'static str, object: &[u8]) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, Errno> {
    fn ctx(self, step: Step, what: &'static str, object: &[u8]) -> Result<T, Error> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(Error::sys(step, what, object, e)),
        }
    }
}

// The failure policy is kept in statics so that the panic handler can apply it too.
static POLICY: AtomicU8 = AtomicU8::new(FailurePolicy::Reboot as u8);
static DELAY_S: AtomicU32 = AtomicU32::new(crate::cmdline::DEFAULT_FAILURE_DELAY_S);

/// Read /proc/cmdline into `buf` (COMMAND_LINE_SIZE is 2048 on x86 and arm64).
fn read_cmdline(buf: &mut [u8]) -> Result<&[u8], Error> {
    fs::read_file(c"/proc/cmdline", buf).ctx(Step::CommandLine, "reading", b"/proc/cmdline")
}

/// Create `dir` (mode 0755; an existing one is fine).
pub fn mkdir(step: Step, dir: &CStr) -> Result<(), Error> {
    fs::mkdir(dir, 0o755).ctx(step, "creating", dir.to_bytes())
}

/// Mount devtmpfs, proc and sysfs (already mounted is fine).
fn early_mounts() -> Result<(), Error> {
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
    let shown = match line.split_last() {
        Some((b'\n', head)) => head,
        _ => line,
    };
    debug!("command line: ", Untrusted(shown));
    let e = boot(&cfg, &args, t0);
    fail(&e)
}

/// Steps 2–8. Returns only when the boot failed.
fn boot(cfg: &Config, args: &Args, t0: u64) -> Error {
    match prepare_root(cfg) {
        Ok(()) => {
            info!("stage one done in ", (process::boottime_ns() - t0) / 1_000_000, " ms; switching root");
            switchroot::switch_root(cfg.init, args)
        }
        Err(e) => e,
    }
}

/// Everything up to a mounted /sysroot.
fn prepare_root(cfg: &Config) -> Result<(), Error> {
    let root_hash = trusted_root_hash(cfg)?;
    let root_hash = root_hash.as_ref();
    let opts = verity_options(cfg)?;
    let t = process::boottime_ns();
    modules::load_all()?;
    let t = step_done("modules", t);
    if cfg.image != b"memory" && boot_from_esp(cfg, root_hash, opts, t)? {
        return Ok(());
    }
    // Boot the DDI shipped in the initramfs (network boot, no ESP).
    let (mut dev, extents) = memory::attach()?;
    let backing = (dev.devno, 0);
    boot_image(ImageSource { dev: &mut dev, extents: &extents, backing }, cfg, root_hash, opts, t)
}

/// Boot a DDI from the ESP: `Ok(true)` once one is mounted, `Ok(false)` to fall back to
/// the in-memory DDI (there is one, and nothing on the ESP booted).
// Out of line (docs/size.md): inlined into `boot::boot` it costs more code.
#[inline(never)]
fn boot_from_esp(cfg: &Config, root_hash: Option<&RootHash>, opts: VerityOptions, t: u64) -> Result<bool, Error> {
    let loader = esp::loader_partition_uuid();
    let mut loc = match EspLocator::new(cfg.image, loader).find(cfg.timeout_s) {
        Ok(l) => l,
        Err(e) => return fall_back(e, "no ESP holds the DDI; falling back to the in-memory DDI"),
    };
    let t = step_done("finding the ESP and the DDI", t);
    let order = loc.boot_order(cfg.image);
    if order.len() > 1 {
        let mut list = Line::new();
        for &i in &order {
            if let Some(c) = loc.candidates.get(i) {
                list_push(&mut list, &c.path);
            }
        }
        info!("candidates: ", Untrusted(list.as_bytes()));
    }
    let mut rejected = Line::new();
    for &i in &order {
        let Some(c) = loc.candidates.get(i) else { continue };
        info!("booting ", Untrusted(&c.path));
        let src = ImageSource { dev: &mut loc.disk, extents: &c.extents, backing: loc.backing };
        match boot_image(src, cfg, root_hash, opts, t) {
            Ok(()) => return Ok(true),
            Err(e) => {
                warn!("rejected ", Untrusted(&c.path), ": failed while ", e.step);
                list_push(&mut rejected, &c.path);
                rejected.push_str(" (");
                e.step.show(&mut rejected);
                rejected.push_byte(b')');
            }
        }
    }
    if !memory::present() {
        error!("no DDI could be booted; rejected: ", Untrusted(rejected.as_bytes()));
    }
    fall_back(Error { step: Step::MapImage }, "every DDI on the ESP was rejected; falling back to the in-memory DDI")
}

/// After `e`: `Ok(false)` (and `why` logged) when the initramfs carries a DDI.
fn fall_back(e: Error, why: &str) -> Result<bool, Error> {
    if !memory::present() {
        return Err(e);
    }
    info!(why);
    Ok(false)
}

/// Append `item` (untrusted) to a comma-separated list.
pub fn list_push(list: &mut Line, item: &[u8]) {
    if !list.is_empty() {
        list.push_str(", ");
    }
    list.push_untrusted(item);
}

/// Map, verify and mount one DDI at /sysroot; on failure nothing of it stays mapped.
fn boot_image(
    src: ImageSource,
    cfg: &Config,
    root_hash: Option<&RootHash>,
    opts: VerityOptions,
    t: u64,
) -> Result<(), Error> {
    let result = mapper::map_image(src, root_hash, opts).and_then(|root| {
        let t = step_done("mapping and verity", t);
        if root.verified {
            info!("root ", Untrusted(root.path.as_bytes()), " (", root.fstype.name(), ") verified by dm-verity");
        } else {
            warn!("ROOT IS NOT VERIFIED (ddiboot.verity=off): ", Untrusted(root.path.as_bytes()), " is mounted as is");
        }
        switchroot::mount_root(&root, cfg.overlay)?;
        step_done("mounting the root", t);
        Ok(())
    });
    if result.is_err() {
        mapper::unmap();
    }
    result
}

/// The trusted root hash from `roothash=`. Without one ddiboot refuses to boot, unless
/// the user opted out explicitly with `ddiboot.verity=off`.
fn trusted_root_hash(cfg: &Config) -> Result<Option<RootHash>, Error> {
    match (cfg.roothash, cfg.verity) {
        (Some(hex), VerityMode::Required) => verity::parse_root_hash(hex)
            .map(Some)
            .map_err(|e| Error::new(Step::CommandLine, "roothash=", b"", Cause::Verity(e))),
        (None, VerityMode::Required) => Err(Error::new(
            Step::CommandLine,
            "no roothash= on the command line",
            b"",
            Cause::Msg("refusing to boot an unverified root (ddiboot.verity=off allows it)"),
        )),
        (_, VerityMode::Off) => Ok(None),
    }
}

fn verity_options(cfg: &Config) -> Result<VerityOptions, Error> {
    let Some(words) = cfg.verity_options else { return Ok(VerityOptions::NONE) };
    verity::parse_options(words, &mut |w| warn!("ignoring unsupported verity option ", Untrusted(w)))
        .map_err(|e| Error::new(Step::CommandLine, "systemd.verity_root_options=", b"", Cause::Verity(e)))
}

/// Log a step's duration at debug level; returns the new start time.
fn step_done(what: &str, since: u64) -> u64 {
    let now = process::boottime_ns();
    debug!("step: ", what, " took ", (now - since) / 1000, " us");
    now
}

/// Apply the failure policy after `e` (already logged where it happened). Never returns.
pub fn fail(e: &Error) -> ! {
    error!("boot failed while ", e.step);
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
