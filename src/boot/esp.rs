//! Steps 3–4: wait for disks, find the ESP that holds the DDI, and turn the DDI file
//! into extents on the disk.
//!
//! No udev: a uevent socket is opened first, then `/sys/class/block` is scanned; each
//! whole disk not seen before has its GPT read (by ddiboot, from the whole-disk node:
//! partition nodes are not needed, and the kernel may not have made them) and each ESP
//! (then XBOOTLDR) on it is searched for the DDI path. Between scans ddiboot sleeps in
//! ppoll until the kernel reports a device change, so a slow disk costs no CPU.

use super::error::{Cause, Context, Error, Step};
use crate::format::block::Extents;
use crate::format::fat::{DirEntry, FatError, FatVolume};
use crate::format::gpt::{read_gpt_into, Gpt};
use crate::format::guid::{types, Guid};
use crate::format::version;
use crate::sys::dm::DevNo;
use crate::sys::fs::{self, Device, O_DIRECTORY, O_RDONLY};
use crate::sys::process::{boottime_ns, sleep_ms};
use crate::sys::uevent::UeventSocket;
use crate::sys::{mount, CPath};
use crate::text::{Line, Untrusted};

/// The DDI file(s) found on an ESP: the disk they are on and their extents there.
pub struct ImageLocation {
    pub disk: Device,
    pub disk_name: Name,
    /// What dm-linear maps: the ESP's partition device and its start on the disk in
    /// bytes, or the whole disk and 0 when the kernel made no partition device (a damaged
    /// primary GPT). Mapping the partition leaves the disk's other partitions free for
    /// the booted system to mount (a whole disk held by dm cannot be partly claimed).
    pub backing: (DevNo, u64),
    /// One file for a plain `ddiboot.image=` path; the matching versions for a pattern.
    pub candidates: heapless::Vec<Candidate, MAX_CANDIDATES>,
}

/// One DDI file: its path on the ESP and its extents on the disk.
pub struct Candidate {
    pub path: heapless::Vec<u8, 160>,
    pub extents: Extents,
}

/// Versions of a DDI considered at most.
pub const MAX_CANDIDATES: usize = 6;

impl ImageLocation {
    /// The candidates in boot order: newest version first, those without boot tries
    /// left (`+0-N`) last (Boot Loader Specification, "Boot counting").
    pub fn boot_order(&self, image: &[u8]) -> heapless::Vec<usize, MAX_CANDIDATES> {
        boot_order(&self.candidates, image)
    }
}

/// [`ImageLocation::boot_order`] over the candidates alone.
fn boot_order(candidates: &[Candidate], image: &[u8]) -> heapless::Vec<usize, MAX_CANDIDATES> {
    let pat = Pattern::of(image);
    fn ver<'c>(pat: Option<Pattern>, c: &'c Candidate) -> Option<version::Versioned<'c>> {
        pat.and_then(|p| p.matches(file_name(&c.path)))
    }
    let mut order = heapless::Vec::new();
    let _ = order.resize(candidates.len(), 0);
    // Each candidate goes where the count of those before it says (ties keep the
    // directory order); at most MAX_CANDIDATES², no sorting code, no panicking index.
    for (i, c) in candidates.iter().enumerate() {
        let v = ver(pat, c);
        let rank = candidates
            .iter()
            .enumerate()
            .filter(|&(j, d)| {
                let o = match (ver(pat, d), v) {
                    (Some(a), Some(b)) => version::boot_order(&a, &b),
                    _ => core::cmp::Ordering::Equal,
                };
                o.then(j.cmp(&i)).is_lt()
            })
            .count();
        if let Some(slot) = order.get_mut(rank) {
            *slot = i;
        }
    }
    order
}

/// The last path component.
fn file_name(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&c| c == b'/') {
        Some(i) => path.get(i + 1..).unwrap_or(path),
        None => path,
    }
}

/// `ddiboot.image=` with a `*` in its last component: `DIR/PREFIX*SUFFIX`.
#[derive(Clone, Copy)]
struct Pattern<'a> {
    dir: &'a [u8],
    prefix: &'a [u8],
    suffix: &'a [u8],
}

impl<'a> Pattern<'a> {
    fn of(image: &'a [u8]) -> Option<Pattern<'a>> {
        let name = file_name(image);
        let star = name.iter().position(|&c| c == b'*')?;
        let dir = image.get(..image.len() - name.len()).unwrap_or(b"/");
        Some(Pattern { dir, prefix: name.get(..star)?, suffix: name.get(star + 1..)? })
    }

    fn matches<'n>(&self, name: &'n [u8]) -> Option<version::Versioned<'n>> {
        version::match_pattern(self.prefix, self.suffix, name)
    }
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
                    warn!(
                        "the loader's ESP (LoaderDevicePartUUID) did not appear; using the DDI on ",
                        Untrusted(&f.disk_name)
                    );
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
        let dir = fs::open(c"/sys/class/block", O_RDONLY | O_DIRECTORY).ctx(
            Step::FindDisk,
            "listing",
            b"/sys/class/block",
        )?;
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
            self.try_disk(name)?;
        }
        Ok(())
    }

    /// Look for the image on one disk. Problems with this disk are logged and skipped.
    fn try_disk(&mut self, name: &Name) -> Result<(), Error> {
        // Always fits: a `Name` has at most 32 bytes.
        let Some(path) = CPath::join(&[b"/dev/", name]) else { return Ok(()) };
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
        if let Err(e) = read_gpt_into(&mut disk, Some(bs), &mut gpt) {
            info!(Untrusted(name), ": no usable GPT: ", e);
            return Ok(());
        }
        if gpt.used_backup {
            warn!(Untrusted(name), ": primary GPT header is damaged; using the backup");
        }
        let mut any = false;
        // ESPs first, then XBOOTLDR partitions, in table order.
        static TYPES: [Guid; 2] = [types::ESP, types::XBOOTLDR];
        for &ty in &TYPES {
            for part in gpt.find(ty).filter(|p| !p.attrs.no_block_io()) {
                any = true;
                let is_loaders = self.loader == Some(part.uuid);
                self.loader_seen |= is_loaders;
                let mut candidates = heapless::Vec::new();
                let found = FatVolume::open(&mut disk, part.byte_offset(bs), part.byte_len(bs))
                    .and_then(|mut vol| collect(&mut vol, self.image, &mut candidates));
                if let Err(e) = found {
                    info!(Untrusted(name), " partition ", part.number, ": ", Untrusted(self.image), ": ", e);
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
                self.decided = self.loader.is_none() || is_loaders;
                if self.decided || self.found.is_none() {
                    let start = part.byte_offset(bs);
                    let backing = match partition_dev(name, part.number, start) {
                        Some(dev) => (dev, start),
                        None => {
                            info!(
                                Untrusted(name),
                                ": no partition device for partition ", part.number, "; mapping the whole disk"
                            );
                            (disk.devno, 0)
                        }
                    };
                    self.found = Some(ImageLocation { disk, disk_name: name.clone(), backing, candidates });
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
    // `start` is a number, `dev` is `MAJOR:MINOR`: (number before the colon, last number).
    let mut attr = |a: &[u8]| -> Option<(u64, u64)> {
        let path = CPath::join(&[b"/sys/class/block/", disk, part.as_bytes(), b"/", a])?;
        let (mut hi, mut n) = (0u64, 0u64);
        for &c in fs::read_file(path.as_cstr(), &mut buf).ok()? {
            match c {
                b'0'..=b'9' => n = n.wrapping_mul(10).wrapping_add((c - b'0') as u64),
                b':' => (hi, n) = (n, 0),
                _ => break,
            }
        }
        Some((hi, n))
    };
    if attr(b"start")?.1.checked_mul(512) != Some(start) {
        return None;
    }
    let (major, minor) = attr(b"dev")?;
    Some(DevNo::new(major as u32, minor as u32))
}

/// The DDI file, or for a pattern every matching version (the first MAX_CANDIDATES in
/// directory order), with their extents. No match is `NotFound`.
fn collect(
    vol: &mut FatVolume<&mut Device>,
    image: &[u8],
    out: &mut heapless::Vec<Candidate, MAX_CANDIDATES>,
) -> Result<(), FatError> {
    let mut entries: heapless::Vec<DirEntry, MAX_CANDIDATES> = heapless::Vec::new();
    let Some(pat) = Pattern::of(image) else {
        let entry = vol.lookup(image)?;
        return add(vol, out, image, &[], &entry);
    };
    vol.list_dir(pat.dir, &mut |e| {
        let mut ascii = [0u8; 128];
        let name = e.name();
        if e.is_dir() || name.len() > ascii.len() || name.iter().any(|&u| !(0x20..0x7f).contains(&u)) {
            return true;
        }
        for (a, &u) in ascii.iter_mut().zip(name) {
            *a = u as u8;
        }
        let ascii = ascii.get(..name.len()).unwrap_or(&[]);
        if pat.matches(ascii).is_none() {
            return true;
        }
        if entries.push(*e).is_err() {
            warn!("more than ", MAX_CANDIDATES, " versions of the DDI; ignoring ", e);
        }
        true
    })?;
    if entries.is_empty() {
        return Err(FatError::NotFound);
    }
    for e in &entries {
        add(vol, out, pat.dir, e.name(), e)?;
    }
    Ok(())
}

/// Add the file `e` as the candidate `dir` + `name` (ASCII, checked by the caller).
fn add(
    vol: &mut FatVolume<&mut Device>,
    out: &mut heapless::Vec<Candidate, MAX_CANDIDATES>,
    dir: &[u8],
    name: &[u16],
    e: &DirEntry,
) -> Result<(), FatError> {
    // Filled in place: a `Candidate` is ~1.2 KiB.
    if out.push(Candidate { path: heapless::Vec::new(), extents: Extents::new() }).is_err() {
        return Ok(());
    }
    let Some(c) = out.last_mut() else { return Ok(()) };
    for &b in dir {
        let _ = c.path.push(b);
    }
    for &u in name {
        let _ = c.path.push(u as u8);
    }
    vol.extents_into(e, &mut c.extents)
}

/// Whole disks have no `partition` attribute in sysfs.
fn is_whole_disk(name: &[u8]) -> bool {
    match CPath::join(&[b"/sys/class/block/", name, b"/partition"]) {
        Some(p) => fs::open(p.as_cstr(), O_RDONLY).is_err(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_order_newest_first_bad_last_ties_in_directory_order() {
        let names = [
            "/EFI/Linux/os_1.raw",
            "/EFI/Linux/os_3+0-3.raw",
            "/EFI/Linux/os_2.raw",
            "/EFI/Linux/os_10+1-2.raw",
            "/EFI/Linux/os_02.raw",
        ];
        let cands: Vec<Candidate> = names
            .iter()
            .map(|n| Candidate { path: heapless::Vec::from_slice(n.as_bytes()).unwrap(), extents: Extents::new() })
            .collect();
        assert_eq!(boot_order(&cands, b"/EFI/Linux/os_*.raw").as_slice(), [3, 2, 4, 0, 1]);
        assert_eq!(boot_order(&cands[..1], b"/EFI/Linux/os_1.raw").as_slice(), [0]);
    }
}
