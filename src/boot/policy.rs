//! What happens when the boot fails: `ddiboot.on_failure=` (reboot, poweroff or halt)
//! after `ddiboot.failure_delay=`. Kept in statics so that the panic handler applies it
//! too. PID 1 never exits.

use super::error::Error;
use super::log::Level;
use crate::plan::cmdline::FailurePolicy;
use crate::sys::process::{self, RebootCmd};
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering::Relaxed};

// The failure policy is kept in statics so that the panic handler can apply it too.
static POLICY: AtomicU8 = AtomicU8::new(FailurePolicy::Reboot as u8);
static DELAY_S: AtomicU32 = AtomicU32::new(crate::plan::cmdline::DEFAULT_FAILURE_DELAY_S);

/// Remember the policy from the command line.
pub fn set(policy: FailurePolicy, delay_s: u32) {
    POLICY.store(policy as u8, Relaxed);
    DELAY_S.store(delay_s, Relaxed);
}

/// Apply the failure policy after `e` (already logged where it happened). Never returns.
pub fn fail(e: &Error) -> ! {
    error!("boot failed while ", e.step);
    apply_policy()
}

/// The panic handler's way out (see main.rs).
pub fn panicked(file: &str, line: u32) -> ! {
    error!("internal error (panic) at ", file, ":", line);
    apply_policy()
}

fn apply_policy() -> ! {
    let policy = match POLICY.load(Relaxed) {
        x if x == FailurePolicy::PowerOff as u8 => FailurePolicy::PowerOff,
        x if x == FailurePolicy::Halt as u8 => FailurePolicy::Halt,
        _ => FailurePolicy::Reboot,
    };
    let delay = DELAY_S.load(Relaxed);
    let (cmd, word) = match policy {
        FailurePolicy::Reboot => (RebootCmd::Restart, msg!("rebooting")),
        FailurePolicy::PowerOff => (RebootCmd::PowerOff, msg!("powering off")),
        FailurePolicy::Halt => {
            crate::log!(Level::Err, "halted (ddiboot.on_failure=halt); the console stays up");
            process::pause_forever()
        }
    };
    error!(word, " in ", delay, " s (ddiboot.on_failure=)");
    process::sleep_ms(delay as u64 * 1000);
    process::sync();
    let e = process::reboot(cmd);
    error!("reboot(2) failed: ", e, "; halting");
    process::pause_forever()
}
