//! Steps 3–4: wait for disks, find the ESP that holds the DDI, and turn the DDI file
//! into extents on the disk.
//!
//! No udev: a uevent socket is opened first, then `/sys/class/block` is scanned; each
//! whole disk not seen before has its GPT read (by ddiboot, from the whole-disk node:
//! partition nodes are not needed, and the kernel may not have made them) and each ESP
//! (then XBOOTLDR) on it is searched for the DDI path. Between scans ddiboot sleeps in
//! ppoll until the kernel reports a device change, so a slow disk costs no CPU.

use crate::block::Extents;
use crate::boot::{Cause, Context, Error, Step};
use crate::fat::FatVolume;
use crate::gpt::{read_gpt_into, Gpt, Partition};
use crate::guid::{types, Guid};
use crate::sys::fs::{self, Device, O_DIRECTORY, O_RDONLY};
use crate::sys::process::{boottime_ns, sleep_ms};
use crate::sys::uevent::UeventSocket;
use crate::sys::{mount, CPath};
use crate::text::{Line, Untrusted};

/// The DDI file found on an ESP: the disk it is on and its extents there.
pub struct ImageLocation {
    pub disk: Device,
    pub disk_name: Name,
    /// The partition (ESP or XBOOTLDR) holding the file.
    pub partition: Partition,
    /// The file's extents, in disk bytes.
    pub extents: Extents,
}

/// A block device name from sysfs (`vda`, `nvme0n1`).
pub type Name = heapless::Vec<u8, 32>;

/// Disks whose names start with these are never boot disks.
const IGNORED: [&[u8]; 6] = [b"loop", b"ram", b"dm-", b"zram", b"md", b"nbd"];

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
    let _ = mount::mount(Some(c"efivarfs"), dir, Some(c"efivarfs"), mount::MS_NOSUID | mount::MS_NOEXEC | mount::MS_NODEV, None);
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
    seen: heapless::Vec<Name, 32>,
    /// The whole disks scanned, comma-separated, for the timeout message.
    summary: Line,
    /// Where the image was found: on the loader's ESP (or anywhere, without a loader
    /// ESP), which ends the search, or else the first other ESP holding it, kept as the
    /// fallback. One slot, filled in place: moving these ~1.2 KiB values through
    /// `Option`s and `Result`s cost more code than the search itself (docs/size.md).
    found: Option<ImageLocation>,
    /// `found` is final (not a fallback).
    decided: bool,
    /// The loader's ESP was found (with or without the image).
    loader_seen: bool,
}

impl<'a> EspLocator<'a> {
    pub fn new(image: &'a [u8], loader: Option<Guid>) -> Self {
        EspLocator {
            image,
            loader,
            seen: heapless::Vec::new(),
            summary: Line::new(),
            found: None,
            decided: false,
            loader_seen: false,
        }
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
            // A fallback is good enough once the loader's ESP showed up without the image.
            if self.decided || (self.loader_seen && self.found.is_some()) {
                break;
            }
            let now = boottime_ns();
            if now >= deadline {
                if let Some(f) = &self.found {
                    warn!("the loader's ESP (LoaderDevicePartUUID) did not appear; using the DDI on ", Untrusted(&f.disk_name));
                }
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
        if let Some(f) = self.found {
            return Ok(f);
        }
        let seen: &[u8] = if self.summary.is_empty() { b"none" } else { self.summary.as_bytes() };
        error!("waited ", timeout_s, " s (ddiboot.timeout=); disks seen: ", Untrusted(seen));
        Err(Error::new(Step::FindDisk, "no ESP holds", self.image, Cause::Msg("timed out")))
    }

    /// One pass over /sys/class/block; stops early once `decided`.
    fn scan(&mut self) -> Result<(), Error> {
        let dir = fs::open(c"/sys/class/block", O_RDONLY | O_DIRECTORY).ctx(Step::FindDisk, "listing", b"/sys/class/block")?;
        let mut fresh: heapless::Vec<Name, 16> = heapless::Vec::new();
        fs::for_each_entry(&dir, &mut |e| {
            let name = e.name;
            if IGNORED.iter().any(|p| name.starts_with(p)) || self.seen.iter().any(|s| s.as_slice() == name) {
                return true;
            }
            let Ok(n) = Name::from_slice(name) else { return true };
            let _ = fresh.push(n);
            true
        })
        .ctx(Step::FindDisk, "listing", b"/sys/class/block")?;
        for name in &fresh {
            if self.decided || !is_whole_disk(name) {
                continue;
            }
            let _ = self.seen.push(name.clone());
            if !self.summary.is_empty() {
                self.summary.push_str(", ");
            }
            self.summary.push_untrusted(name);
            self.try_disk(name)?;
        }
        Ok(())
    }

    /// Look for the image on one disk. Problems with this disk are logged and skipped.
    fn try_disk(&mut self, name: &Name) -> Result<(), Error> {
        let path = CPath::join(&[b"/dev/", name]).ok_or_else(|| Error::new(Step::FindDisk, "name too long:", name, Cause::Msg("skipped")))?;
        let mut disk = match Device::open_path(&path) {
            Ok(d) => d,
            Err(e) => {
                info!("skipping ", Untrusted(path.as_bytes()), ": cannot open: ", e);
                return Ok(());
            }
        };
        if disk.size == 0 {
            return Ok(()); // empty drive (e.g. a CD-ROM without medium)
        }
        let bs = disk.block_size;
        let mut gpt = Gpt::new();
        if let Err(e) = read_gpt_into(&mut disk, Some(bs), &mut gpt) {
            info!(Untrusted(name), ": no usable GPT: ", e);
            return Ok(());
        }
        if gpt.used_backup {
            warn!(Untrusted(name), ": primary GPT header is damaged; using the backup");
        }
        let mut any = false;
        // ESPs first, then XBOOTLDR partitions, in table order.
        for ty in [types::ESP, types::XBOOTLDR] {
            for part in gpt.find(ty).filter(|p| !p.attrs.no_block_io()) {
                any = true;
                let is_loaders = self.loader == Some(part.uuid);
                self.loader_seen |= is_loaders;
                let mut extents = Extents::new();
                let found = FatVolume::open(&mut disk, part.byte_offset(bs), part.byte_len(bs)).and_then(|mut vol| {
                    let entry = vol.lookup(self.image)?;
                    vol.extents_into(&entry, &mut extents)
                });
                if let Err(e) = found {
                    info!(Untrusted(name), " partition ", part.number, ": ", Untrusted(self.image), ": ", e);
                    continue;
                }
                info!(
                    "found ", Untrusted(self.image), " on ", Untrusted(name), " partition ", part.number,
                    " (", part.uuid, "), ", extents.len(), " extent(s)"
                );
                self.decided = self.loader.is_none() || is_loaders;
                if self.decided || self.found.is_none() {
                    self.found = Some(ImageLocation { disk, disk_name: name.clone(), partition: *part, extents });
                }
                return Ok(());
            }
        }
        if !any {
            info!(Untrusted(name), ": no ESP or XBOOTLDR partition");
        }
        Ok(())
    }
}

/// Whole disks have no `partition` attribute in sysfs.
fn is_whole_disk(name: &[u8]) -> bool {
    match CPath::join(&[b"/sys/class/block/", name, b"/partition"]) {
        Some(p) => fs::open(p.as_cstr(), O_RDONLY).is_err(),
        None => false,
    }
}
