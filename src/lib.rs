//! ddiboot: a tiny stage-one initrd that boots a verified Discoverable Disk Image (DDI)
//! straight from the EFI System Partition.
//!
//! The layers, each importing only from those below it:
//! - [`boot`]: what runs as PID 1: the boot sequence (`boot/mod.rs`, one step per line)
//!   and its steps, the log writer and the failure policy;
//! - [`sys`]: the only code that speaks to the kernel (raw syscalls, ioctls);
//! - [`plan`]: pure decisions of the boot (the configuration from the command line,
//!   which DDI files to try in which order, what to map), tested on the host;
//! - [`format`]: pure parsers of untrusted bytes (GPT, FAT, the DDI's partitions, the
//!   verity superblock, filesystem magics, version strings) that read through
//!   [`format::block::BlockReader`], tested on the host and fuzzed;
//! - shared helpers: [`text`] (the fixed line buffer every message is built in),
//!   [`errno`] (the kernel's error numbers), [`devno`] (`major:minor`), [`initramfs`] (the paths the host tools
//!   and ddiboot agree on).
//!
//! Everything read from the ESP is hostile until dm-verity vouches for it: the format
//! code never panics, never loops without a bound and never trusts a length.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

#[macro_use]
pub mod packed;
pub mod devno;
pub mod errno;
pub mod initramfs;
pub mod text;

pub mod format;
pub mod plan;

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub mod sys;

#[cfg(target_os = "linux")]
pub mod boot;
