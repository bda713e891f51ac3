//! Host tools for ddiboot (std, never shipped): the binary formats the scripts in
//! `scripts/` write are written here, by tested code.
//!
//! - [`cpio`]: the newc archive of an initramfs, as `scripts/mkinitrd` makes it.
//! - [`layout`]: what ddiboot reads from that archive, from [`ddiboot::initramfs`].

pub mod cpio;
pub mod layout;
