//! device-mapper through ioctls on `/dev/mapper/control` (linux/dm-ioctl.h).
//!
//! `struct dm_ioctl` is an in-out ("updater") buffer: a fixed 312-byte header followed by
//! a payload; for DM_TABLE_LOAD the payload is a list of `dm_target_spec` + params.
//! linux-raw-sys has the ioctl numbers but not the structs, so they are written here and
//! pinned by size/offset assertions (see ../shared/SPECS.md §5).

use super::fs::{open, Fd, O_RDWR};
use super::{check, Errno, SysResult};
use crate::text::has_byte;
use core::mem::{offset_of, size_of};
use linux_raw_sys::ioctl as io;
use sc::syscall;

/// `struct dm_ioctl` (include/uapi/linux/dm-ioctl.h).
#[repr(C)]
#[derive(Clone, Copy)]
struct DmIoctl {
    version: [u32; 3],
    data_size: u32,
    data_start: u32,
    target_count: u32,
    open_count: i32,
    flags: u32,
    event_nr: u32,
    padding: u32,
    dev: u64,
    name: [u8; 128],
    uuid: [u8; 129],
    data: [u8; 7],
}
const _: () = assert!(size_of::<DmIoctl>() == 312);
const _: () = assert!(offset_of!(DmIoctl, dev) == 40);
const _: () = assert!(offset_of!(DmIoctl, name) == 48);
const _: () = assert!(offset_of!(DmIoctl, uuid) == 176);
const _: () = assert!(offset_of!(DmIoctl, data) == 305);

impl DmIoctl {
    const ZERO: DmIoctl = DmIoctl {
        version: [0; 3],
        data_size: 0,
        data_start: 0,
        target_count: 0,
        open_count: 0,
        flags: 0,
        event_nr: 0,
        padding: 0,
        dev: 0,
        name: [0; 128],
        uuid: [0; 129],
        data: [0; 7],
    };
}

/// `struct dm_target_spec`: the layout reference for `Table::push`, which writes it
/// byte by byte (never built as a value).
#[allow(dead_code)]
#[repr(C)]
#[derive(Clone, Copy)]
struct DmTargetSpec {
    sector_start: u64,
    length: u64,
    status: i32,
    next: u32,
    target_type: [u8; 16],
}
const _: () = assert!(size_of::<DmTargetSpec>() == 40);
const _: () = assert!(offset_of!(DmTargetSpec, next) == 20);
const _: () = assert!(offset_of!(DmTargetSpec, target_type) == 24);

pub const DM_READONLY_FLAG: u32 = 1 << 0;
const HDR: usize = size_of::<DmIoctl>();
const SPEC: usize = size_of::<DmTargetSpec>();
/// Payload room: 64 linear targets (one per file extent) or one verity line.
const PAYLOAD: usize = 8192;

#[repr(C, align(8))]
struct DmBuf {
    hdr: DmIoctl,
    payload: [u8; PAYLOAD],
}

impl DmIoctl {
    /// Reset to a header for the device `name` (checked as the kernel's `check_name`
    /// does) with `uuid` (may be empty) and no payload. Filled in place: the header
    /// lives inside the 8 KiB `Table` buffer, and building it by value cost copies.
    fn reset(&mut self, name: &[u8], uuid: &[u8]) -> SysResult<()> {
        if name.is_empty() || name.len() >= 128 || name.iter().any(|&c| c == b'/' || c == 0) {
            return Err(Errno::EINVAL);
        }
        if uuid.len() >= 129 || has_byte(uuid, 0) {
            return Err(Errno::EINVAL);
        }
        *self = DmIoctl::ZERO;
        self.version = [4, 0, 0];
        self.data_size = HDR as u32;
        self.data_start = HDR as u32;
        self.name.iter_mut().zip(name).for_each(|(d, &s)| *d = s);
        self.uuid.iter_mut().zip(uuid).for_each(|(d, &s)| *d = s);
        Ok(())
    }
}

/// A device-mapper table being built: targets appended in order from sector 0.
pub struct Table {
    buf: DmBuf,
    used: usize,
    count: u32,
    next_sector: u64,
}

impl Table {
    pub fn new() -> Table {
        // The header is filled in by `DmControl::activate`.
        Table { buf: DmBuf { hdr: DmIoctl::ZERO, payload: [0; PAYLOAD] }, used: 0, count: 0, next_sector: 0 }
    }

    /// Append a target of `len` sectors (after the previous one) of type `kind`
    /// (`linear`, `verity`) with the given parameter string.
    pub fn push(&mut self, len: u64, kind: &[u8], params: &[u8]) -> SysResult<()> {
        let need = SPEC + params.len() + 1;
        let padded = (need + 7) & !7;
        let at = self.used;
        let p = self.buf.payload.get_mut(at..at + padded).ok_or(Errno::E2BIG)?;
        if kind.len() >= 16 || len == 0 || has_byte(params, 0) {
            return Err(Errno::E2BIG);
        }
        // Serialise the spec field by field (native endian, as the kernel reads it), then
        // the NUL-terminated params and zero padding. Constant ranges of a fixed array and
        // `zip`: no index that could panic (docs/size.md).
        const START: usize = offset_of!(DmTargetSpec, sector_start);
        const LENGTH: usize = offset_of!(DmTargetSpec, length);
        const NEXT: usize = offset_of!(DmTargetSpec, next);
        const TYPE: usize = offset_of!(DmTargetSpec, target_type);
        let mut spec = [0u8; SPEC];
        spec[START..START + 8].copy_from_slice(&self.next_sector.to_ne_bytes());
        spec[LENGTH..LENGTH + 8].copy_from_slice(&len.to_ne_bytes());
        // `status` stays 0.
        spec[NEXT..NEXT + 4].copy_from_slice(&(padded as u32).to_ne_bytes());
        spec[TYPE..].iter_mut().zip(kind).for_each(|(d, &s)| *d = s);
        let (head, tail) = p.split_at_mut_checked(SPEC).ok_or(Errno::E2BIG)?;
        head.copy_from_slice(&spec);
        tail.fill(0);
        tail.iter_mut().zip(params).for_each(|(d, &s)| *d = s);
        self.used += padded;
        self.count += 1;
        self.next_sector += len;
        Ok(())
    }

    /// Total length in sectors.
    pub fn sectors(&self) -> u64 {
        self.next_sector
    }
}

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}

/// An open `/dev/mapper/control`.
pub struct DmControl(Fd);

pub use crate::devno::DevNo;

impl DmControl {
    pub fn open() -> SysResult<DmControl> {
        open(c"/dev/mapper/control", O_RDWR).map(DmControl)
    }

    /// `ioctl(control, cmd, struct dm_ioctl *)` on a header without payload, updated in
    /// place.
    fn call(&self, cmd: u32, hdr: &mut DmIoctl) -> SysResult<()> {
        hdr.data_size = HDR as u32;
        // SAFETY: `hdr` is a live, 8-aligned dm_ioctl whose `data_size` is its own size,
        // so the kernel reads and writes only inside it.
        check(unsafe { syscall!(IOCTL, self.0.raw(), cmd, hdr as *mut DmIoctl) }).map(drop)
    }

    /// DM_DEV_REMOVE (cleanup after a failed activation).
    pub fn remove(&self, name: &[u8]) -> SysResult<()> {
        let mut hdr = DmIoctl::ZERO;
        hdr.reset(name, b"")?;
        self.call(io::DM_DEV_REMOVE, &mut hdr)
    }

    /// DM_DEV_CREATE a device `name` with `uuid`, DM_TABLE_LOAD `table` (read-only if
    /// asked) and resume it (DM_DEV_SUSPEND without DM_SUSPEND_FLAG), making the table
    /// live; removes the device again if a later step fails. All three calls use the
    /// table's own buffer: create and resume send only the header (`data_size` = 312),
    /// so the payload stays in place for the load.
    pub fn activate(&self, name: &[u8], uuid: &[u8], table: &mut Table, read_only: bool) -> SysResult<DevNo> {
        let buf = &mut table.buf;
        buf.hdr.reset(name, uuid)?;
        self.call(io::DM_DEV_CREATE, &mut buf.hdr)?;
        let d = buf.hdr.dev;
        // `huge_encode_dev`: 12 bits of major, 20 of minor, the minor's low byte first.
        let dev = DevNo::new(((d & 0xfff00) >> 8) as u32, ((d & 0xff) | ((d >> 12) & 0xfff00)) as u32);
        buf.hdr.reset(name, b"")?;
        buf.hdr.data_size = (HDR + table.used) as u32;
        buf.hdr.target_count = table.count;
        buf.hdr.flags = if read_only { DM_READONLY_FLAG } else { 0 };
        // SAFETY: `buf` is a live, 8-aligned dm_ioctl header followed by its payload;
        // `data_size` covers the header and the `used` payload bytes, all inside `buf`.
        let loaded = check(unsafe { syscall!(IOCTL, self.0.raw(), io::DM_TABLE_LOAD, buf as *mut DmBuf) });
        let resumed = loaded.and_then(|_| {
            buf.hdr.reset(name, b"")?;
            self.call(io::DM_DEV_SUSPEND, &mut buf.hdr)
        });
        match resumed {
            Ok(()) => Ok(dev),
            Err(e) => {
                let _ = self.remove(name);
                Err(e)
            }
        }
    }
}
