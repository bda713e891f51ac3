//! Logging to `/dev/kmsg` (shows in dmesg with timestamps, and on the console by
//! loglevel), falling back to the console on fd 2 until /dev/kmsg can be opened.
//!
//! The kernel rate-limits writes to /dev/kmsg *per open file* (10 lines per 5 s unless
//! `printk.devkmsg=on`); ddiboot reopens the file before each burst of 10 so that no
//! message is ever dropped, without changing the system-wide setting.

use crate::sys::fs::{self, FdSlot};
use crate::text::{Line, Text};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

static KMSG: FdSlot = FdSlot::empty();
static WRITES: AtomicU32 = AtomicU32::new(0);
static DEBUG: AtomicBool = AtomicBool::new(false);

/// Lines per open file stay below the kernel's burst of 10.
const BURST: u32 = 9;

pub fn set_debug(on: bool) {
    DEBUG.store(on, Relaxed);
}

pub fn debug_enabled() -> bool {
    DEBUG.load(Relaxed)
}

/// (Re)open /dev/kmsg; call once devtmpfs is mounted.
pub fn init() {
    reopen();
}

fn reopen() {
    KMSG.replace(fs::open(c"/dev/kmsg", fs::O_WRONLY).ok());
    WRITES.store(0, Relaxed);
}

/// Start a line with the syslog level prefix and our name.
pub fn start(level: Level) -> Line {
    start_with(level, msg!(""))
}

/// Write one finished line (from [`start`]) as one kmsg record. By reference: a
/// `Line` is ~500 bytes, and moving it at every call site cost a copy each.
pub fn emit(line: &mut Line) {
    line.push_byte(b'\n');
    if WRITES.fetch_add(1, Relaxed) >= BURST {
        reopen();
        WRITES.store(1, Relaxed);
    }
    if KMSG.with(|fd| fs::write(fd, line.as_bytes())).is_none_or(|r| r.is_err()) {
        // No kmsg (yet): the console, without the "<N>" prefix.
        let b = line.as_bytes();
        let _ = fs::write_stderr(b.get(3..).unwrap_or(b));
    }
}

/// [`start`], then `text` (most messages begin with a literal: one call less each).
/// The one copy of the prefix code: a `Line` is returned through a copy, so `start`
/// calling this costs no second one.
#[inline(never)]
pub fn start_with(level: Level, text: Text) -> Line {
    let mut l = Line::new();
    l.push_byte(b'<');
    l.push_byte(b'0' + level as u8);
    l.push_text(msg!(">ddiboot: "));
    l.push_text(text);
    l
}

/// `log!(Level::Info, "text ", value, ...)`: every argument implements `text::Show`; a
/// string literal argument is packed (`msg!`) and shown by `Line::push_text`.
#[macro_export]
macro_rules! log {
    // The arguments after the first, one at a time: a literal is packed, the rest shown.
    (@args $l:ident $(,)?) => {};
    (@args $l:ident, $x:literal $(, $($rest:tt)*)?) => {
        $l.push_text($crate::msg!($x));
        $crate::log!(@args $l $(, $($rest)*)?);
    };
    (@args $l:ident, $x:expr $(, $($rest:tt)*)?) => {
        $crate::text::Show::show(&$x, &mut $l);
        $crate::log!(@args $l $(, $($rest)*)?);
    };
    ($lvl:expr, $first:literal $(, $($rest:tt)*)?) => {{
        let mut __l = $crate::boot::log::start_with($lvl, $crate::msg!($first));
        $crate::log!(@args __l $(, $($rest)*)?);
        $crate::boot::log::emit(&mut __l);
    }};
    ($lvl:expr, $($rest:tt)+) => {{
        let mut __l = $crate::boot::log::start($lvl);
        $crate::log!(@args __l, $($rest)+);
        $crate::boot::log::emit(&mut __l);
    }};
}
// The level macros pass their arguments on as tokens, so that `log!` still sees a
// leading string literal as a literal.
#[macro_export]
macro_rules! error { ($($a:tt)+) => { $crate::log!($crate::boot::log::Level::Err, $($a)+) }; }
#[macro_export]
macro_rules! warn { ($($a:tt)+) => { $crate::log!($crate::boot::log::Level::Warning, $($a)+) }; }
#[macro_export]
macro_rules! info { ($($a:tt)+) => { $crate::log!($crate::boot::log::Level::Info, $($a)+) }; }
#[macro_export]
macro_rules! debug {
    ($($a:tt)+) => {
        if $crate::boot::log::debug_enabled() { $crate::log!($crate::boot::log::Level::Debug, $($a)+) }
    };
}
