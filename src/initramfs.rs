//! What the initramfs holds, as `scripts/mkinitrd` (through the host tools in `tools/`)
//! lays it out and ddiboot reads it: the one place both sides take these from.

/// The DDI shipped inside the initramfs (network boot, machines without an ESP):
/// `scripts/mkinitrd --ddi`, or a second cpio appended by the loader or PXE.
pub const MEMORY_DDI: &core::ffi::CStr = c"/ddiboot/rootfs.raw";

/// The kernel modules ddiboot loads, one file each.
pub const MODULE_DIR: &str = "/modules";

/// The modules to load, dependencies first: one file name (in [`MODULE_DIR`]) a line.
pub const MODULE_ORDER: &core::ffi::CStr = c"/modules/order";

/// The largest [`MODULE_ORDER`] ddiboot reads (its buffer): a longer list is refused at
/// boot, and `scripts/mkinitrd` refuses to write one.
pub const MODULE_ORDER_MAX: usize = 4096;
