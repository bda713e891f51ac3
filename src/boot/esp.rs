//! Steps 4–5 (finding the disk, finding the DDI): wait for disks, find the ESP that
//! holds the DDI, and turn the DDI file into extents on the disk.
//!
//! No udev: a uevent socket is opened first, then `/sys/class/block` is scanned; each
//! whole disk not read before ([`crate::plan::disk`] decides which entries are) has its
//! GPT read (by ddiboot, from the whole-disk node: partition nodes are not needed, and
//! the kernel may not have made them) and each ESP (then XBOOTLDR) on it is searched
//! for the DDI path or pattern ([`crate::plan::candidates`]). The search ends on the
//! loader's ESP (`LoaderDevicePartUUID`), or on the first ESP holding the DDI when no
//! loader ESP is known; another ESP holding it is the fallback once the loader's turned
//! out not to hold it, or when the wait ends. Between scans ddiboot sleeps in ppoll
//! until the kernel reports a device change, so a slow disk costs no CPU.

use super::error::{Cause, Context, Error, Step};
use crate::devno::DevNo;
use crate::format::fat::FatVolume;
use crate::format::gpt::{read_gpt_into, Backup, Gpt};
use crate::format::guid::{types, Guid};
use crate::plan::candidates::{self, Candidates, Note, MAX_CANDIDATES};
use crate::plan::disk::{self, Backing};
use crate::plan::search::{Search, Take};
use crate::sys::fs::{self, Device, O_DIRECTORY, O_RDONLY};
use crate::sys::process::{boottime_ns, sleep_ms};
use crate::sys::uevent::UeventSocket;
use crate::sys::{mount, CPath};
use crate::text::{self, Line, Untrusted};

/// The DDI file(s) found on an ESP: the disk they are on and their extents there.
pub struct ImageLocation {
    pub disk: Device,
    pub disk_name: Name,
    /// What dm-linear maps: the ESP's partition device, or the whole disk when the
    /// kernel made no partition device (a damaged primary GPT). Mapping the partition
    /// leaves the disk's other partitions free for the booted system to mount (a whole
    /// disk held by dm cannot be partly claimed).
    pub backing: Backing,
    /// One file for a plain `ddiboot.image=` path; the best matching versions, in boot
    /// order, for a pattern.
    pub candidates: Candidates,
}

/// A block device name from sysfs (`vda`, `nvme0n1`).
pub type Name = heapless::Vec<u8, 32>;

/// Read `LoaderDevicePartUUID` (the ESP the loader or UKI was started from).
// Out of line (docs/size.md): inlined into `boot::boot` it costs more code.
#[inline(never)]
pub fn loader_partition_uuid() -> Option<Guid> {
    // efivarfs is only there on EFI boots; mount it if the kernel has it (it may be a
    // module, loaded from /modules like the others).
    if fs::open(c"/sys/firmware/efi", O_RDONLY | O_DIRECTORY).is_err() {
        debug!("not booted through EFI: no LoaderDevicePartUUID");
        return None;
    }
    let dir = c"/sys/firmware/efi/efivars";
    let _ = mount::mount(
        Some(c"efivarfs"),
        dir,
        Some(c"efivarfs"),
        mount::MS_NOSUID | mount::MS_NOEXEC | mount::MS_NODEV,
        None,
    );
    let mut buf = [0u8; 128];
    let path = c"/sys/firmware/efi/efivars/LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";
    // 4 attribute bytes, then 36 UTF-16LE characters and a NUL (efivarfs cannot seek).
    let data = match fs::read_file(path, &mut buf) {
        Ok(d) => d,
        Err(e) => {
            info!("no LoaderDevicePartUUID (", e, "): taking the first ESP that holds the DDI");
            return None;
        }
    };
    let mut text = [0u8; 36];
    for (i, t) in text.iter_mut().enumerate() {
        let lo = *data.get(4 + 2 * i)?;
        let hi = *data.get(5 + 2 * i)?;
        if hi != 0 {
            return None;
        }
        *t = lo;
    }
    match Guid::parse(&text) {
        Some(uuid) => {
            info!("booted from the ESP with PARTUUID ", uuid, " (LoaderDevicePartUUID)");
            Some(uuid)
        }
        None => {
            warn!("ignoring malformed LoaderDevicePartUUID ", Untrusted(&text));
            None
        }
    }
}

/// Finds the ESP holding `image`, waiting up to `timeout_s` for disks to appear.
pub struct EspLocator<'a> {
    image: &'a [u8],
    loader: Option<Guid>,
    /// Whole disks whose GPT was read (beyond 128, the others are read again on every
    /// pass: slower, still correct).
    seen: heapless::Vec<Name, 128>,
    /// The whole disks scanned, comma-separated, for the timeout message.
    summary: Line,
    state: Search<ImageLocation>,
}

impl<'a> EspLocator<'a> {
    pub fn new(image: &'a [u8], loader: Option<Guid>) -> Self {
        EspLocator { image, loader, seen: heapless::Vec::new(), summary: Line::new(), state: Search::Looking }
    }

    // Out of line (docs/size.md): inlined into `boot::boot` it costs more code.
    #[inline(never)]
    pub fn find(mut self, timeout_s: u32) -> Result<ImageLocation, Error> {
        let events = UeventSocket::open();
        if let Err(e) = &events {
            warn!("no uevent socket (", *e, "); polling for disks");
        }
        let deadline = boottime_ns().saturating_add(timeout_s as u64 * 1_000_000_000);
        loop {
            self.scan()?;
            if self.state.is_final() {
                break;
            }
            let now = boottime_ns();
            if now >= deadline {
                break;
            }
            let left_ms = (deadline - now) / 1_000_000;
            match &events {
                // Rescan at least every second: a uevent can be missed if the socket
                // buffer overflowed, and some devices change without one.
                Ok(sock) => {
                    let _ = sock.wait(left_ms.min(1000));
                }
                Err(_) => sleep_ms(left_ms.min(50)),
            }
        }
        if let Search::Fallback(f) = &self.state {
            warn!("the loader's ESP (LoaderDevicePartUUID) did not appear; using the DDI on ", Untrusted(&f.disk_name));
        }
        match self.state {
            Search::Found(f) | Search::Fallback(f) => Ok(f),
            Search::Looking | Search::LoaderEspLacksImage => {
                let seen: &[u8] = if self.summary.is_empty() { b"none" } else { self.summary.as_bytes() };
                error!("waited ", timeout_s, " s (ddiboot.timeout=); disks seen: ", Untrusted(seen));
                Err(Error::new(Step::FindDisk, msg!("no ESP holds"), self.image, Cause::Msg(msg!("timed out"))))
            }
        }
    }

    /// One pass over /sys/class/block: every whole disk not read before has its GPT
    /// read, in listing order, until the search is decided. Disks are read while the
    /// directory is listed, so no number of entries listed before a disk can hide it.
    fn scan(&mut self) -> Result<(), Error> {
        let path = c"/sys/class/block";
        let dir = fs::open(path, O_RDONLY | O_DIRECTORY).ctx(Step::FindDisk, msg!("listing"), path.to_bytes())?;
        let mut result = Ok(());
        fs::for_each_entry(&dir, &mut |e| {
            let name = e.name;
            if self.seen.iter().any(|s| s.as_slice() == name) || !disk::read_as_disk(name, || is_partition(name)) {
                return true;
            }
            // Always fits: sysfs block device names are at most 31 bytes (DISK_NAME_LEN).
            let Ok(n) = Name::from_slice(name) else { return true };
            result = self.try_disk(&n);
            result.is_ok() && !self.state.is_final()
        })
        .ctx(Step::FindDisk, msg!("listing"), path.to_bytes())?;
        result
    }

    /// Look for the image on one disk: every ESP (then XBOOTLDR partition) on it, until
    /// the search is decided. Problems with this disk are logged and skipped.
    fn try_disk(&mut self, name: &Name) -> Result<(), Error> {
        // Always fits: a `Name` has at most 32 bytes.
        let mut path = CPath::new();
        if !path.set(&[b"/dev/", name]) {
            return Ok(());
        }
        // A disk can be listed in sysfs a moment before it can be opened (ENXIO), and an
        // empty drive has size 0: such disks are not marked as seen, so the next pass
        // (woken by their "add" or "change" uevent) tries them again.
        let mut disk = match Device::open_path(&path) {
            Ok(d) if d.size > 0 => d,
            Ok(_) => return Ok(()),
            Err(e) => {
                debug!("cannot open ", Untrusted(path.as_bytes()), " yet: ", e);
                return Ok(());
            }
        };
        let _ = self.seen.push(name.clone());
        self.summary.push_list_item(name);
        let bs = disk.block_size;
        let mut gpt = Gpt::new();
        if let Err(e) = read_gpt_into(&mut disk, Some(bs), Backup::Check, &mut gpt) {
            info!(Untrusted(name), ": no usable GPT: ", e);
            return Ok(());
        }
        if gpt.used_backup {
            warn!(Untrusted(name), ": primary GPT header is damaged; using the backup");
        } else if let Some(e) = gpt.backup_error {
            // An image written to a larger disk leaves its backup before the end, too.
            warn!(Untrusted(name), ": backup GPT: ", e, "; using the primary (sgdisk -e repairs it)");
        }
        let mut any = false;
        // ESPs first, then XBOOTLDR partitions, in table order.
        static TYPES: [Guid; 2] = [types::ESP, types::XBOOTLDR];
        for &ty in &TYPES {
            for part in gpt.find(ty).filter(|p| !p.attrs.no_block_io()) {
                any = true;
                let mut candidates = Candidates::new();
                let found = FatVolume::open(&mut disk, part.byte_offset(bs), part.byte_len(bs)).and_then(|mut vol| {
                    candidates::collect(&mut vol, self.image, &mut candidates, &mut |n| match n {
                        Note::LeftOut(e) => {
                            warn!("more than ", MAX_CANDIDATES, " versions of the DDI; leaving out ", e)
                        }
                        Note::Unreadable(path, e) => warn!("skipping ", Untrusted(path), ": ", e),
                        Note::ChainPastSize(path) => warn!(
                            Untrusted(path),
                            ": its cluster chain goes on past its size; using the clusters the size covers"
                        ),
                    })
                });
                if let Err(e) = found {
                    info!(Untrusted(name), " partition ", part.number, ": ", Untrusted(self.image), ": ", e);
                    self.state.lacks_image(self.loader, part.uuid);
                    if self.state.is_final() {
                        return Ok(());
                    }
                    continue;
                }
                for c in &candidates {
                    info!(
                        "found ",
                        Untrusted(&c.path),
                        " on ",
                        Untrusted(name),
                        " partition ",
                        part.number,
                        " (",
                        part.uuid,
                        "), ",
                        c.extents.len(),
                        " extent(s)"
                    );
                }
                let take = self.state.take(self.loader, part.uuid);
                if take == Take::Leave {
                    continue;
                }
                let backing = backing(name, part.number, part.byte_offset(bs), disk.devno);
                if take == Take::Final {
                    // The search is over: this handle goes with the location.
                    let disk_name = name.clone();
                    self.state.record(take, ImageLocation { disk, disk_name, backing, candidates });
                    return Ok(());
                }
                // A fallback gets its own handle of the disk: this one reads on, for the
                // loader's ESP may come later on this disk.
                match Device::open_path(&path) {
                    Ok(d) => {
                        self.state.record(take, ImageLocation { disk: d, disk_name: name.clone(), backing, candidates })
                    }
                    Err(e) => info!("cannot open ", Untrusted(path.as_bytes()), " again: ", e),
                }
                if self.state.is_final() {
                    return Ok(());
                }
            }
        }
        if !any {
            info!(Untrusted(name), ": no ESP or XBOOTLDR partition");
        }
        Ok(())
    }
}

/// What dm-linear maps for the ESP `number` of `disk` starting at `start` bytes: its
/// partition device, or the whole disk (`disk_dev`) when the kernel made none.
fn backing(disk: &[u8], number: u32, start: u64, disk_dev: DevNo) -> Backing {
    match partition_dev(disk, number, start) {
        Some(dev) => Backing { dev, start },
        None => {
            info!(Untrusted(disk), ": no partition device for partition ", number, "; mapping the whole disk");
            Backing { dev: disk_dev, start: 0 }
        }
    }
}

/// The kernel's device for partition `number` of `disk` (sysfs `<disk><n>/dev`, or
/// `<disk>p<n>` when the disk name ends in a digit, as block/partitions/core.c names
/// them), if it exists and starts at `start` bytes, as our own GPT parse says.
fn partition_dev(disk: &[u8], number: u32, start: u64) -> Option<DevNo> {
    let mut part = Line::new();
    if disk.last().is_some_and(u8::is_ascii_digit) {
        part.push_byte(b'p');
    }
    part.push_u64(number as u64);
    let mut buf = [0u8; 32];
    let start_sectors = sysfs_attr(disk, part.as_bytes(), b"start", &mut buf).and_then(text::parse_u64)?;
    if start_sectors.checked_mul(512) != Some(start) {
        return None;
    }
    sysfs_attr(disk, part.as_bytes(), b"dev", &mut buf).and_then(DevNo::parse)
}

/// `/sys/class/block/<disk><part>/<attr>`, without its newline.
fn sysfs_attr<'b>(disk: &[u8], part: &[u8], attr: &[u8], buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    let mut path = CPath::new();
    path.set(&[b"/sys/class/block/", disk, part, b"/", attr]).then_some(())?;
    let text = fs::read_file(path.as_cstr(), buf).ok()?;
    Some(text.strip_suffix(b"\n").unwrap_or(text))
}

/// Partitions have a `partition` attribute in sysfs; whole disks do not.
fn is_partition(name: &[u8]) -> bool {
    let mut p = CPath::new();
    !p.set(&[b"/sys/class/block/", name, b"/partition"]) || fs::open(p.as_cstr(), O_RDONLY).is_ok()
}
