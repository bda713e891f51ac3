//! device-mapper through ioctls on `/dev/mapper/control` (linux/dm-ioctl.h).
//!
//! `struct dm_ioctl` is an in-out ("updater") buffer: a fixed 312-byte header followed by
//! a payload; for DM_TABLE_LOAD the payload is a list of `dm_target_spec` + params.
//! linux-raw-sys has the ioctl numbers but not the structs, so they are written here and
//! pinned by size/offset assertions (see ../shared/SPECS.md §5).

use super::fs::{open, Fd, O_RDWR};
use super::{check, Errno, SysResult};
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

/// `struct dm_target_spec`.
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

impl DmBuf {
    fn blank() -> DmBuf {
        DmBuf {
            hdr: DmIoctl {
                version: [4, 0, 0],
                data_size: HDR as u32,
                data_start: HDR as u32,
                target_count: 0,
                open_count: 0,
                flags: 0,
                event_nr: 0,
                padding: 0,
                dev: 0,
                name: [0; 128],
                uuid: [0; 129],
                data: [0; 7],
            },
            payload: [0; PAYLOAD],
        }
    }

    /// A header for the device `name` (checked as the kernel's `check_name` does).
    fn new(name: &[u8]) -> Result<DmBuf, Errno> {
        let mut b = DmBuf::blank();
        if name.is_empty() || name.len() >= 128 || name.contains(&b'/') || name.contains(&0) {
            return Err(Errno::EINVAL);
        }
        b.hdr.name[..name.len()].copy_from_slice(name);
        Ok(b)
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
        // The header is filled in by `DmControl::load`.
        Table { buf: DmBuf::blank(), used: 0, count: 0, next_sector: 0 }
    }

    /// Append a target of `len` sectors (after the previous one) of type `kind`
    /// (`linear`, `verity`) with the given parameter string.
    pub fn push(&mut self, len: u64, kind: &[u8], params: &[u8]) -> SysResult<()> {
        let need = SPEC + params.len() + 1;
        let padded = (need + 7) & !7;
        if kind.len() >= 16 || len == 0 || self.used + padded > PAYLOAD || params.contains(&0) {
            return Err(Errno::E2BIG);
        }
        let mut spec = DmTargetSpec {
            sector_start: self.next_sector,
            length: len,
            status: 0,
            next: padded as u32,
            target_type: [0; 16],
        };
        spec.target_type[..kind.len()].copy_from_slice(kind);
        let at = self.used;
        // Serialise the spec field by field (native endian, as the kernel reads it).
        let p = &mut self.buf.payload[at..at + padded];
        p[..8].copy_from_slice(&spec.sector_start.to_ne_bytes());
        p[8..16].copy_from_slice(&spec.length.to_ne_bytes());
        p[16..20].copy_from_slice(&spec.status.to_ne_bytes());
        p[20..24].copy_from_slice(&spec.next.to_ne_bytes());
        p[24..40].copy_from_slice(&spec.target_type);
        p[SPEC..SPEC + params.len()].copy_from_slice(params);
        p[SPEC + params.len()..].fill(0);
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

/// (major, minor) of a mapped device, decoded from `huge_encode_dev`.
pub type DevNo = (u32, u32);

impl DmControl {
    pub fn open() -> SysResult<DmControl> {
        open(c"/dev/mapper/control", O_RDWR).map(DmControl)
    }

    /// `ioctl(control, cmd, struct dm_ioctl *)`, the buffer updated in place.
    fn call(&self, cmd: u32, buf: &mut DmBuf) -> SysResult<()> {
        // SAFETY: `buf` is a live, 8-aligned dm_ioctl header followed by `data_size - 312`
        // bytes of payload that the kernel may read and write.
        check(unsafe { syscall!(IOCTL, self.0.raw(), cmd, buf as *mut DmBuf) }).map(drop)
    }

    /// DM_DEV_CREATE: a new, empty, suspended device named `name` with `uuid`.
    pub fn create(&self, name: &[u8], uuid: &[u8]) -> SysResult<DevNo> {
        let mut b = DmBuf::new(name)?;
        if uuid.len() >= 129 || uuid.contains(&0) {
            return Err(Errno::EINVAL);
        }
        b.hdr.uuid[..uuid.len()].copy_from_slice(uuid);
        self.call(io::DM_DEV_CREATE, &mut b)?;
        let d = b.hdr.dev;
        Ok((((d & 0xfff00) >> 8) as u32, ((d & 0xff) | ((d >> 12) & 0xfff00)) as u32))
    }

    /// DM_TABLE_LOAD into the inactive slot.
    pub fn load(&self, name: &[u8], table: &mut Table, read_only: bool) -> SysResult<()> {
        let mut hdr = DmBuf::new(name)?.hdr;
        hdr.data_size = (HDR + table.used) as u32;
        hdr.target_count = table.count;
        hdr.flags = if read_only { DM_READONLY_FLAG } else { 0 };
        table.buf.hdr = hdr;
        self.call(io::DM_TABLE_LOAD, &mut table.buf)
    }

    /// DM_DEV_SUSPEND without DM_SUSPEND_FLAG: resume, making the loaded table live.
    pub fn resume(&self, name: &[u8]) -> SysResult<()> {
        let mut b = DmBuf::new(name)?;
        self.call(io::DM_DEV_SUSPEND, &mut b)
    }

    /// DM_DEV_REMOVE (cleanup after a failed activation).
    pub fn remove(&self, name: &[u8]) -> SysResult<()> {
        let mut b = DmBuf::new(name)?;
        self.call(io::DM_DEV_REMOVE, &mut b)
    }

    /// Create, load and resume in one go; removes the device again if a later step fails.
    pub fn activate(&self, name: &[u8], uuid: &[u8], table: &mut Table, read_only: bool) -> SysResult<DevNo> {
        let dev = self.create(name, uuid)?;
        match self.load(name, table, read_only).and_then(|_| self.resume(name)) {
            Ok(()) => Ok(dev),
            Err(e) => {
                let _ = self.remove(name);
                Err(e)
            }
        }
    }
}
