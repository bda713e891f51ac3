//! Pure decisions of the boot, kept out of the PID-1 steps so that they are tested on
//! the host: the configuration read from the (trusted) kernel command line ([`cmdline`]),
//! the module names to load ([`modules`]), and what the mapper builds from what the
//! format code found ([`mapping`]), and how a DDI is trusted ([`trust`]: `roothash=` or its
//! signature).
#![forbid(unsafe_code)]

pub mod candidates;
pub mod cmdline;
pub mod disk;
pub mod mapping;
pub mod modules;
pub mod search;
pub mod trust;
