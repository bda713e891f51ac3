//! Pure decisions of the boot, kept out of the PID-1 steps so that they are tested on
//! the host: the configuration read from the (trusted) kernel command line, and what
//! the steps do with what the format code found.
#![forbid(unsafe_code)]

pub mod cmdline;
pub mod trust;
