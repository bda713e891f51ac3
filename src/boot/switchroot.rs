//! Steps 7–8: mount the verified root (optionally under a tmpfs overlay) and hand the
//! machine over to its init.
//!
//! switch_root follows util-linux and systemd: move /dev, /proc, /sys and /run into the
//! new root, move the new root onto `/`, chroot into it, delete what is left of the
//! initramfs (it cannot be unmounted; deleting frees its memory), exec init.

use super::error::{Cause, Context, Error, Step};
use super::mapper::MappedRoot;
use super::mounts::mkdir;
use crate::errno::Errno;
use crate::plan::cmdline::Overlay;
use crate::sys::fs::{self, Fd, AT_REMOVEDIR, O_DIRECTORY, O_NOFOLLOW, O_RDONLY};
use crate::sys::mount::{self, MNT_DETACH, MS_MOVE, MS_NODEV, MS_NOSUID, MS_RDONLY};
use crate::sys::process::{self, Args};
use crate::sys::CPath;
use crate::text::Untrusted;
use core::ffi::CStr;

const SYSROOT: &CStr = c"/sysroot";

/// Mount the root device at /sysroot (read-only), under a tmpfs overlay if asked.
pub fn mount_root(root: &MappedRoot, overlay: Overlay) -> Result<(), Error> {
    let fstype = fstype_cstr(root);
    let dev = root.path.as_cstr();
    mkdir(Step::MountRoot, SYSROOT)?;
    if overlay == Overlay::None {
        return mount::mount(Some(dev), SYSROOT, Some(fstype), MS_RDONLY, None).ctx(
            Step::MountRoot,
            msg!("mounting"),
            root.path.as_bytes(),
        );
    }
    // The lower (verified, read-only) root and the writable upper layer live on a
    // tmpfs at /run, which moves into the new root with everything under it.
    mkdir(Step::MountRoot, c"/run")?;
    mount::mount(Some(c"tmpfs"), c"/run", Some(c"tmpfs"), MS_NOSUID | MS_NODEV, Some(c"mode=0755")).ctx(
        Step::MountRoot,
        msg!("mounting tmpfs on"),
        b"/run",
    )?;
    let result = mount_overlay(dev, fstype, root);
    if result.is_err() {
        // Undo, so that the root device can be unmapped and the next candidate starts
        // clean: the lower mount holds the verity device busy.
        static UNDO: [&CStr; 2] = [LOWER, c"/run"];
        for &dir in &UNDO {
            match mount::umount2(dir, 0) {
                Ok(()) | Err(Errno::EINVAL) => {} // EINVAL: not mounted (the lower mount failed)
                Err(e) => warn!("cannot unmount ", Untrusted(dir.to_bytes()), ": ", e),
            }
        }
    }
    result
}

const LOWER: &CStr = c"/run/ddiboot/lower";

/// The overlay's directories on the /run tmpfs, the lower mount and the overlay.
fn mount_overlay(dev: &CStr, fstype: &CStr, root: &MappedRoot) -> Result<(), Error> {
    // Loops run over `static`s: an array literal is rebuilt on the stack, store by store.
    static DIRS: [&CStr; 4] = [c"/run/ddiboot", c"/run/ddiboot/lower", c"/run/ddiboot/upper", c"/run/ddiboot/work"];
    for &d in &DIRS {
        mkdir(Step::MountRoot, d)?;
    }
    mount::mount(Some(dev), LOWER, Some(fstype), MS_RDONLY, None).ctx(
        Step::MountRoot,
        msg!("mounting"),
        root.path.as_bytes(),
    )?;
    mount::mount(
        Some(c"overlay"),
        SYSROOT,
        Some(c"overlay"),
        0,
        Some(c"lowerdir=/run/ddiboot/lower,upperdir=/run/ddiboot/upper,workdir=/run/ddiboot/work"),
    )
    .ctx(Step::MountRoot, msg!("mounting overlayfs on"), SYSROOT.to_bytes())
}

fn fstype_cstr(root: &MappedRoot) -> &'static CStr {
    use crate::format::fsdetect::FsType;
    match root.fstype {
        FsType::Erofs => c"erofs",
        FsType::Squashfs => c"squashfs",
        FsType::Ext4 => c"ext4",
    }
}

/// Move the API filesystems into /sysroot, make it `/`, free the initramfs and exec
/// init. Returns only on failure.
// Out of line (docs/size.md): inlined into `boot::boot` it costs more code.
#[inline(never)]
pub fn switch_root(init: Option<&[u8]>, args: &Args) -> Error {
    match enter_new_root() {
        Ok(()) => exec_init(init, args),
        Err(e) => e,
    }
}

fn enter_new_root() -> Result<(), Error> {
    static MOVES: [(&CStr, &CStr); 4] = [
        (c"/dev", c"/sysroot/dev"),
        (c"/proc", c"/sysroot/proc"),
        (c"/sys", c"/sysroot/sys"),
        (c"/run", c"/sysroot/run"),
    ];
    for &(dir, target) in &MOVES {
        if fs::open(target, O_RDONLY | O_DIRECTORY).is_ok() {
            match mount::mount(Some(dir), target, None, MS_MOVE, None) {
                Ok(()) => continue,
                Err(Errno::EINVAL) => continue, // not a mount point (e.g. no /run): nothing to move
                Err(e) => warn!("cannot move ", Untrusted(dir.to_bytes()), " into the new root: ", e),
            }
        } else {
            warn!("the new root has no ", Untrusted(dir.to_bytes()), "; detaching it");
        }
        let _ = mount::umount2(dir, MNT_DETACH);
    }
    fs::chdir(SYSROOT).ctx(Step::SwitchRoot, msg!("entering"), SYSROOT.to_bytes())?;
    let old_root = fs::open(c"/", O_RDONLY | O_DIRECTORY).ctx(Step::SwitchRoot, msg!("opening"), b"/")?;
    mount::mount(Some(c"."), c"/", None, MS_MOVE, None).ctx(Step::SwitchRoot, msg!("moving /sysroot to"), b"/")?;
    fs::chroot(c".").ctx(Step::SwitchRoot, msg!("chroot into"), b"the new root")?;
    fs::chdir(c"/").ctx(Step::SwitchRoot, msg!("entering"), b"/")?;
    free_initramfs(&old_root);
    Ok(())
}

/// Delete the old initramfs contents through `root` (only if it really is a ramfs or
/// tmpfs, and never crossing into another filesystem).
fn free_initramfs(root: &Fd) {
    match fs::fstatfs_type(root) {
        Ok(fs::RAMFS_MAGIC) | Ok(fs::TMPFS_MAGIC) => {}
        _ => {
            warn!("old root is not an initramfs; not deleting it");
            return;
        }
    }
    let Ok(st) = fs::fstat(root) else { return };
    delete_tree(root, st.dev, 0);
}

fn delete_tree(dir: &Fd, dev: (u32, u32), depth: u32) {
    if depth > 16 {
        return;
    }
    // Names are collected first: deleting while getdents64 walks is unspecified.
    loop {
        let mut names: heapless::Vec<(heapless::Vec<u8, 64>, bool), 32> = heapless::Vec::new();
        let _ = fs::for_each_entry(dir, &mut |e| {
            if let Ok(n) = heapless::Vec::from_slice(e.name) {
                let _ = names.push((n, e.d_type == fs::DT_DIR));
            }
            !names.is_full()
        });
        if names.is_empty() {
            return;
        }
        let mut progress = false;
        let mut c = CPath::new();
        for (name, is_dir) in &names {
            if !c.set(&[name]) {
                continue;
            }
            if *is_dir {
                let Ok(sub) = fs::openat(dir, c.as_cstr(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { continue };
                match fs::fstat(&sub) {
                    Ok(st) if st.dev == dev => delete_tree(&sub, dev, depth + 1),
                    _ => continue, // a mount point: leave it alone
                }
                progress |= fs::unlinkat(dir, c.as_cstr(), AT_REMOVEDIR).is_ok();
            } else {
                progress |= fs::unlinkat(dir, c.as_cstr(), 0).is_ok();
            }
        }
        if !progress {
            return;
        }
        // Back to the directory's start (lseek 0) for the next batch: what was deleted is gone,
        // what could not be deleted comes again (and `progress` ends the loop).
        let _ = crate::sys::fs::rewind(dir);
    }
}

/// Exec `init=` or, without it, the usual candidates; returns the last failure.
fn exec_init(init: Option<&[u8]>, args: &Args) -> Error {
    const FALLBACKS: [&[u8]; 4] = [b"/sbin/init", b"/etc/init", b"/bin/init", b"/bin/sh"];
    let one = [init.unwrap_or(b"")];
    let candidates: &[&[u8]] = if init.is_some() { &one } else { &FALLBACKS };
    let mut p = CPath::new();
    for path in candidates {
        if !p.set(&[path]) {
            continue;
        }
        info!("starting ", Untrusted(path));
        // argv: the init path, then what the kernel passed to us after argv[0].
        let e = process::exec(p.as_cstr(), args);
        warn!("cannot execute ", Untrusted(path), ": ", e);
    }
    // Each path tried was logged above with its errno.
    Error::new(Step::SwitchRoot, msg!("executing init"), b"", Cause::Msg(msg!("no init could be started")))
}
