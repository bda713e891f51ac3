//! The in-memory DDI: for network boot, or machines without an ESP, the same DDI is
//! shipped inside the initramfs (a second cpio appended by the UKI, the loader or
//! PXE) at [`MEMORY_DDI`]. It is attached to a read-only loop device and then goes
//! through exactly the same DDI, verity and mount steps as a DDI on a disk.

use super::error::{Context, Error, Step};
use crate::format::block::{Extent, Extents};
pub use crate::initramfs::MEMORY_DDI;
use crate::sys::fs::{self, Device, O_RDONLY};
use crate::sys::{loopdev, CPath};
use crate::text::Untrusted;

/// Whether the initramfs carries a DDI.
pub fn present() -> bool {
    fs::open(MEMORY_DDI, O_RDONLY).is_ok()
}

/// The in-memory DDI as a block device, and its one extent (the whole device).
pub fn attach() -> Result<(Device, Extents), Error> {
    let name = MEMORY_DDI.to_bytes();
    let file = fs::open(MEMORY_DDI, O_RDONLY).ctx(Step::FindImage, msg!("opening"), name)?;
    let mut path = CPath::new();
    let lo =
        loopdev::attach_read_only(&file, &mut path).ctx(Step::MapImage, msg!("attaching a loop device to"), name)?;
    // The loop device stays attached while it is open, and dm holds it once mapped
    // (autoclear after).
    let dev = Device::of(lo).ctx(Step::MapImage, msg!("opening"), path.as_bytes())?;
    info!("using the in-memory DDI ", Untrusted(name), " on ", Untrusted(path.as_bytes()));
    let mut extents = Extents::new();
    let _ = extents.push(Extent { offset: 0, len: dev.size - dev.size % 512 });
    Ok((dev, extents))
}
