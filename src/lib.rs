//! ddiboot: a tiny stage-one initrd that boots a verified Discoverable Disk Image (DDI)
//! straight from the EFI System Partition.
//!
//! Layering (top to bottom):
//! - `boot`: the boot sequence, one step per line, as PID 1;
//! - `sys`: the only code that talks to the kernel (raw syscalls, ioctls);
//! - pure, host-tested format code that reads through [`block::BlockReader`]:
//!   `gpt`, `fat`, `ddi`, `verity`, `fsdetect`, `cmdline`.
//!
//! Everything read from the ESP is hostile until dm-verity vouches for it: the format
//! code never panics, never loops without a bound and never trusts a length.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod block;
pub mod cmdline;
pub mod crc32;
pub mod ddi;
pub mod errno;
pub mod fat;
pub mod fsdetect;
pub mod gpt;
pub mod guid;
pub mod text;
pub mod verity;
pub mod version;

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub mod sys;

#[cfg(target_os = "linux")]
#[macro_use]
pub mod log;

#[cfg(target_os = "linux")]
pub mod boot;
#[cfg(target_os = "linux")]
pub mod esp;
#[cfg(target_os = "linux")]
pub mod mapper;
#[cfg(target_os = "linux")]
pub mod memory;
#[cfg(target_os = "linux")]
pub mod modules;
#[cfg(target_os = "linux")]
pub mod switchroot;
