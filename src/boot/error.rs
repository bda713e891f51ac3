//! The error every boot step returns: the step that failed (one byte), after the whole
//! story was logged where it happened.

use crate::errno::Errno;
use crate::format::{block, ddi, fat, gpt, verity, verity_sig};
use crate::plan::{mapping, trust};
use crate::text::{Line, Show, Text};

/// The boot steps, for error messages and timings.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Step {
    EarlyMounts,
    CommandLine,
    Modules,
    FindDisk,
    FindImage,
    MapImage,
    Verity,
    MountRoot,
    SwitchRoot,
}

impl Show for Step {
    fn show(&self, out: &mut Line) {
        // In `Step` order, one string (`text::push_nth`).
        out.push_nth(
            msg!(concat!(
                "early mounts\0",
                "command line\0",
                "loading modules\0",
                "finding the disk\0",
                "finding the DDI\0",
                "mapping the DDI\0",
                "setting up dm-verity\0",
                "mounting the root\0",
                "switching root",
            )),
            *self as usize,
        )
    }
}

/// Why a step failed.
#[derive(Clone, Copy, Debug)]
pub enum Cause {
    /// A syscall failed.
    Sys(Errno),
    /// A plain explanation (no errno involved).
    Msg(Text),
    Read(block::ReadError),
    Gpt(gpt::GptError),
    Fat(fat::FatError),
    Ddi(ddi::DdiError),
    Verity(verity::VerityError),
    Map(mapping::MapError),
    Sig(verity_sig::SigError),
    Trust(trust::TrustError),
    /// The kernel refused a signed verity table.
    Refused(Errno),
}

/// A failed boot step. The full story ("<step>: <what> <object>: <cause>") is logged
/// when the error is made, where the path or device name is at hand; the value itself
/// is only the step, one byte, so that `Result`s are cheap to pass up (moving a cause
/// along with it cost several hundred bytes of copies: docs/size.md).
#[derive(Clone, Copy, Debug)]
pub struct Error {
    pub step: Step,
}

impl Error {
    /// Log the failure and return it.
    #[inline(never)]
    pub fn new(step: Step, what: Text, object: &[u8], cause: Cause) -> Error {
        let mut l = super::log::start(super::log::Level::Err);
        step.show(&mut l);
        l.push_text(msg!(": "));
        l.push_text(what);
        if !object.is_empty() {
            l.push_byte(b' ');
            l.push_untrusted(object);
        }
        l.push_text(msg!(": "));
        cause.show(&mut l);
        super::log::emit(&mut l);
        Error { step }
    }

    pub fn sys(step: Step, what: Text, object: &[u8], errno: Errno) -> Error {
        Error::new(step, what, object, Cause::Sys(errno))
    }
}

impl Show for Cause {
    fn show(&self, out: &mut Line) {
        match self {
            Cause::Sys(e) => e.show(out),
            Cause::Msg(m) => out.push_text(*m),
            Cause::Read(e) => e.show(out),
            Cause::Gpt(e) => e.show(out),
            Cause::Fat(e) => e.show(out),
            Cause::Ddi(e) => e.show(out),
            Cause::Verity(e) => e.show(out),
            Cause::Map(e) => e.show(out),
            Cause::Sig(e) => e.show(out),
            Cause::Trust(e) => e.show(out),
            Cause::Refused(e) => trust::Refusal(*e).show(out),
        }
    }
}

/// Adds the step and object to a syscall error.
pub trait Context<T> {
    fn ctx(self, step: Step, what: Text, object: &[u8]) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, Errno> {
    fn ctx(self, step: Step, what: Text, object: &[u8]) -> Result<T, Error> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(Error::sys(step, what, object, e)),
        }
    }
}
