//! The boot sequence, as PID 1. `main` reads top to bottom like the list in README.md;
//! every step returns an [`Error`] naming the step, what it was working on and why it
//! failed, and any failure (panics included) ends in the `ddiboot.on_failure=` policy.
//! PID 1 never returns and never exits.
//!
//! The steps live in their own files, in boot order: [`mounts`] (1), the command line
//! (2, [`crate::plan::cmdline`]), [`modules`] (3), [`esp`] (4–5: disks, ESP, the DDI's
//! extents), [`memory`] (the in-memory DDI instead), [`mapper`] (6–7: dm-linear,
//! dm-verity), [`switchroot`] (8–9: mount, switch_root). They import only downwards
//! ([`error`], [`log`], `sys`, `plan`, `format`), never from this file.

#[macro_use]
pub mod log;
pub mod error;
pub mod esp;
pub mod mapper;
pub mod memory;
pub mod modules;
pub mod mounts;
pub mod policy;
pub mod switchroot;

use crate::format::verity::{self, RootHash, VerityOptions};
use crate::plan::cmdline::{Config, VerityMode, Warning, DEFAULT_IMAGE, DEFAULT_TIMEOUT_S};
use crate::plan::disk::{self, Backing};
use crate::plan::mapping::Verification;
use crate::sys::fs;
use crate::sys::process;
use crate::sys::CPath;
use crate::text::{Line, Show, Text, Untrusted};
use error::{Cause, Context, Error, Step};
use esp::EspLocator;
use mapper::ImageSource;
pub use policy::{fail, panicked};

pub use crate::sys::process::Args;

/// Read /proc/cmdline into `buf` (COMMAND_LINE_SIZE is 2048 on x86 and arm64).
fn read_cmdline(buf: &mut [u8]) -> Result<&[u8], Error> {
    fs::read_file(c"/proc/cmdline", buf).ctx(Step::CommandLine, msg!("reading"), b"/proc/cmdline")
}

/// PID 1's entry point, called by `_start`.
pub fn main(args: Args) -> ! {
    let t0 = process::boottime_ns();
    let early = mounts::early_mounts();
    log::init();
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
    policy::set(cfg.on_failure, cfg.failure_delay_s);
    log::set_debug(cfg.debug);
    info!(
        "ddiboot ",
        env!("CARGO_PKG_VERSION"),
        " running as PID ",
        process::getpid(),
        ", image ",
        Untrusted(cfg.image),
        ", timeout ",
        cfg.timeout_s,
        "s"
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
    let t = step_done(msg!("modules"), t);
    if cfg.image != b"memory" && boot_from_esp(cfg, root_hash, opts, t)? {
        return Ok(());
    }
    // Boot the DDI shipped in the initramfs (network boot, no ESP).
    let (mut dev, extents) = memory::attach()?;
    let backing = Backing { dev: dev.devno, start: 0 };
    boot_image(ImageSource { dev: &mut dev, extents: &extents, backing }, cfg, root_hash, opts, t)
}

/// Boot a DDI from the ESP: `Ok(true)` once one is mounted, `Ok(false)` to fall back to
/// the in-memory DDI (there is one, and nothing on the ESP booted).
// Out of line (docs/size.md): inlined into `boot::boot` it costs more code.
#[inline(never)]
fn boot_from_esp(cfg: &Config, root_hash: Option<&RootHash>, opts: VerityOptions, t: u64) -> Result<bool, Error> {
    let loader = esp::loader_partition_uuid();
    let defaults = cfg.image == DEFAULT_IMAGE && cfg.timeout_s == DEFAULT_TIMEOUT_S;
    let wait_s = disk::disk_wait_s(cfg.timeout_s, defaults, memory::present());
    if wait_s < cfg.timeout_s {
        info!("the initramfs carries a DDI: waiting ", wait_s, " s for an ESP holding one");
    }
    let mut loc = match EspLocator::new(cfg.image, loader).find(wait_s) {
        Ok(l) => l,
        Err(e) => return fall_back(e, msg!("no ESP holds the DDI; falling back to the in-memory DDI")),
    };
    let t = step_done(msg!("finding the ESP and the DDI"), t);
    if loc.candidates.len() > 1 {
        let mut list = Line::new();
        for c in &loc.candidates {
            list.push_list_item(&c.path);
        }
        info!("candidates: ", Untrusted(list.as_bytes()));
    }
    let mut rejected = Line::new();
    // The step the last candidate failed in ends the boot (the list names every one).
    let mut last = Error { step: Step::MapImage };
    for c in &loc.candidates {
        info!("booting ", Untrusted(&c.path));
        let src = ImageSource { dev: &mut loc.disk, extents: &c.extents, backing: loc.backing };
        match boot_image(src, cfg, root_hash, opts, t) {
            Ok(()) => return Ok(true),
            Err(e) => {
                warn!("rejected ", Untrusted(&c.path), ": failed while ", e.step);
                rejected.push_list_item(&c.path);
                rejected.push_text(msg!(" ("));
                e.step.show(&mut rejected);
                rejected.push_byte(b')');
                last = e;
            }
        }
    }
    if !memory::present() {
        error!("no DDI could be booted; rejected: ", Untrusted(rejected.as_bytes()));
    }
    fall_back(last, msg!("every DDI on the ESP was rejected; falling back to the in-memory DDI"))
}

/// After `e`: `Ok(false)` (and `why` logged) when the initramfs carries a DDI.
fn fall_back(e: Error, why: Text) -> Result<bool, Error> {
    if !memory::present() {
        return Err(e);
    }
    info!(why);
    Ok(false)
}

/// Map, verify and mount one DDI at /sysroot; on failure nothing of it stays mapped.
fn boot_image(
    src: ImageSource,
    cfg: &Config,
    root_hash: Option<&RootHash>,
    opts: VerityOptions,
    t: u64,
) -> Result<(), Error> {
    let mut path = CPath::new();
    let result = mapper::map_image(src, root_hash, cfg.verity, opts, &mut path).and_then(|root| {
        let t = step_done(msg!("mapping and verity"), t);
        let path = Untrusted(root.path.as_bytes());
        match root.verification {
            Verification::Full => info!("root ", path, " (", root.fstype.name(), ") verified by dm-verity"),
            Verification::Weakened => {
                warn!("ROOT IS NOT FULLY VERIFIED (ignore-corruption or check-at-most-once): ", path)
            }
            Verification::Off => warn!("ROOT IS NOT VERIFIED (ddiboot.verity=off): ", path, " is mounted as is"),
        }
        switchroot::mount_root(&root, cfg.overlay)?;
        step_done(msg!("mounting the root"), t);
        Ok(())
        // `root.held` closes here, after the mount and before any `unmap` below.
    });
    if result.is_err() {
        mapper::unmap();
    }
    result
}

/// The trusted root hash from `roothash=`, if any (ignored with the explicit opt-out
/// `ddiboot.verity=off`). Without one, only signed DDIs boot (`plan::trust`).
fn trusted_root_hash(cfg: &Config) -> Result<Option<RootHash>, Error> {
    match cfg.roothash {
        Some(hex) if cfg.verity != VerityMode::Off => verity::parse_root_hash(hex)
            .map(Some)
            .map_err(|e| Error::new(Step::CommandLine, msg!("roothash="), b"", Cause::Verity(e))),
        _ => Ok(None),
    }
}

fn verity_options(cfg: &Config) -> Result<VerityOptions, Error> {
    let Some(words) = cfg.verity_options else { return Ok(VerityOptions::NONE) };
    verity::parse_options(words, &mut |w| warn!("ignoring unsupported verity option ", Untrusted(w)))
        .map_err(|e| Error::new(Step::CommandLine, msg!("systemd.verity_root_options="), b"", Cause::Verity(e)))
}

/// Log a step's duration at debug level; returns the new start time.
fn step_done(what: Text, since: u64) -> u64 {
    let now = process::boottime_ns();
    debug!("step: ", what, " took ", (now - since) / 1000, " us");
    now
}
