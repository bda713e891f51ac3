//! The kernel command line: split as the kernel splits it, typed into [`Config`].
//!
//! Splitting follows `next_arg()` in Linux `lib/cmdline.c`: words are separated by
//! whitespace outside double quotes; quotes may wrap a whole word or the value after
//! `=` and are removed; there are no escapes. `--` ends the kernel's part (the rest is
//! for init). The last occurrence of a key wins.

use crate::text::{self, Text};

/// One `key[=value]` word.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Param<'a> {
    pub key: &'a [u8],
    pub value: Option<&'a [u8]>,
}

/// Iterator over the parameters of a command line.
pub struct Params<'a> {
    rest: &'a [u8],
}

pub fn params(line: &[u8]) -> Params<'_> {
    Params { rest: line }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl<'a> Iterator for Params<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        let mut s = self.rest;
        while let [first, tail @ ..] = s {
            if !is_space(*first) {
                break;
            }
            s = tail;
        }
        let (quoted, s) = match s.split_first() {
            None => {
                self.rest = s;
                return None;
            }
            Some((b'"', tail)) => (true, tail),
            Some(_) => (false, s),
        };
        let mut in_quote = quoted;
        let mut equals = None;
        let mut i = 0;
        for &b in s {
            if is_space(b) && !in_quote {
                break;
            }
            if equals.is_none() && b == b'=' {
                equals = Some(i);
            }
            if b == b'"' {
                in_quote = !in_quote;
            }
            i += 1;
        }
        // `split_at_checked`, not indexing: no panic path (docs/size.md).
        let (word, rest) = s.split_at_checked(i).unwrap_or((s, &[]));
        self.rest = rest;
        // A closing quote at the end of the word is dropped (both forms).
        let strip_end = |w: &'a [u8]| match w.split_last() {
            Some((b'"', head)) => head,
            _ => w,
        };
        let word_end = if quoted { strip_end(word) } else { word };
        Some(match equals {
            None => Param { key: word_end, value: None },
            Some(e) => {
                let key = word.get(..e).unwrap_or(word);
                let mut value = word_end.get(e + 1..).unwrap_or(&[]);
                if let Some((b'"', v)) = value.split_first() {
                    value = if quoted { v } else { strip_end(v) };
                }
                Param { key, value: Some(value) }
            }
        })
    }
}

/// What happens when ddiboot cannot boot (`ddiboot.on_failure=`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FailurePolicy {
    Reboot,
    PowerOff,
    /// Stay up so the console can be read.
    Halt,
}

/// Whether the root must be verified (`ddiboot.verity=`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum VerityMode {
    /// Verify by `roothash=`, or by the DDI's signature when there is none (the default).
    Required,
    /// Explicit opt-out: boot an unverified root, with a loud warning.
    Off,
    /// Only a DDI whose signature the kernel verified, even with `roothash=`.
    Signed,
}

/// What goes on top of the read-only root (`ddiboot.overlay=`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Overlay {
    None,
    Tmpfs,
}

pub const DEFAULT_IMAGE: &[u8] = b"/EFI/Linux/rootfs.raw";
pub const DEFAULT_TIMEOUT_S: u32 = 30;
pub const DEFAULT_FAILURE_DELAY_S: u32 = 5;
/// `ddiboot.timeout=` above this (1 day) is capped, with a warning: a typo must not
/// leave a machine waiting for years.
pub const MAX_TIMEOUT_S: u32 = 86_400;
/// `ddiboot.failure_delay=` above this (1 hour) is capped, with a warning.
pub const MAX_FAILURE_DELAY_S: u32 = 3_600;

/// Everything ddiboot takes from the command line. Slices borrow the line.
#[derive(Clone, Copy, Debug)]
pub struct Config<'a> {
    /// `roothash=`: the trusted dm-verity root hash, hex (checked when used).
    pub roothash: Option<&'a [u8]>,
    /// `init=`: stage-2 init to exec (default: /sbin/init, then the usual fallbacks).
    pub init: Option<&'a [u8]>,
    /// `ddiboot.image=`: path of the DDI on the ESP; a `*` in the file name matches
    /// versions (`/EFI/Linux/rootfs_*.raw`); `memory` means the in-memory DDI only.
    pub image: &'a [u8],
    /// `ddiboot.timeout=`: seconds to wait for the disk holding the DDI.
    pub timeout_s: u32,
    /// `ddiboot.on_failure=`.
    pub on_failure: FailurePolicy,
    /// `ddiboot.failure_delay=`: seconds to show the error before the policy applies.
    pub failure_delay_s: u32,
    /// `ddiboot.debug`: verbose messages and step timings.
    pub debug: bool,
    /// `ddiboot.verity=`.
    pub verity: VerityMode,
    /// `ddiboot.overlay=`.
    pub overlay: Overlay,
    /// `systemd.verity_root_options=` (parsed by `verity`).
    pub verity_options: Option<&'a [u8]>,
}

impl Default for Config<'_> {
    fn default() -> Self {
        Config {
            roothash: None,
            init: None,
            image: DEFAULT_IMAGE,
            timeout_s: DEFAULT_TIMEOUT_S,
            on_failure: FailurePolicy::Reboot,
            failure_delay_s: DEFAULT_FAILURE_DELAY_S,
            debug: false,
            verity: VerityMode::Required,
            overlay: Overlay::None,
            verity_options: None,
        }
    }
}

/// A command-line word ddiboot could not use; reported as a warning, never fatal.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Warning<'a> {
    pub key: &'a [u8],
    pub problem: Text,
}

/// A number of seconds: ASCII digits only (a number too long for a `u64` is `u64::MAX`,
/// which every cap below covers).
fn seconds(v: &[u8]) -> Option<u64> {
    (!v.is_empty() && v.iter().all(u8::is_ascii_digit)).then(|| text::parse_u64(v).unwrap_or(u64::MAX))
}

/// The position of `v` in `words` (exact match). Words are compared as slices, not
/// with byte-string patterns: a `match` on `b"..."` compiles to one compare per byte,
/// which cost about 2 KiB here; and one non-generic copy serves every table
/// (docs/size.md).
#[inline(never)]
fn lookup(v: Option<&[u8]>, words: &[&[u8]]) -> Option<usize> {
    let v = v?;
    words.iter().position(|k| *k == v)
}

fn parse_bool(v: Option<&[u8]>) -> Option<bool> {
    // The first four are true.
    const WORDS: [&[u8]; 8] = [b"1", b"yes", b"true", b"on", b"0", b"no", b"false", b"off"];
    if v.is_none() {
        return Some(true);
    }
    lookup(v, &WORDS).map(|i| i < 4)
}

/// The keys ddiboot reads, in the order of `Config::parse`'s `match`.
const KEYS: [&[u8]; 10] = [
    b"roothash",
    b"init",
    b"systemd.verity_root_options",
    b"ddiboot.image",
    b"ddiboot.timeout",
    b"ddiboot.failure_delay",
    b"ddiboot.on_failure",
    b"ddiboot.debug",
    b"ddiboot.verity",
    b"ddiboot.overlay",
];

impl<'a> Config<'a> {
    /// Type the command line. Unknown `ddiboot.*` keys and bad values are passed to
    /// `warn` and otherwise ignored (the default stays).
    pub fn parse(line: &'a [u8], warn: &mut dyn FnMut(Warning<'a>)) -> Config<'a> {
        let mut c = Config::default();
        for p in params(line) {
            if p.key == b"--" {
                break;
            }
            let v = p.value;
            let problem = match lookup(Some(p.key), &KEYS) {
                Some(0) => {
                    c.roothash = v.filter(|v| !v.is_empty());
                    None
                }
                Some(1) => {
                    c.init = v.filter(|v| !v.is_empty());
                    None
                }
                Some(2) => {
                    c.verity_options = v;
                    None
                }
                Some(3) => match v {
                    Some(path) if path.first() == Some(&b'/') || path == b"memory" => {
                        c.image = path;
                        None
                    }
                    _ => Some(msg!("must be an absolute path on the ESP, or memory")),
                },
                Some(i @ (4 | 5)) => {
                    let (slot, max, capped) = if i == 4 {
                        (&mut c.timeout_s, MAX_TIMEOUT_S, msg!("too long: capped at 86400 s (1 day)"))
                    } else {
                        (&mut c.failure_delay_s, MAX_FAILURE_DELAY_S, msg!("too long: capped at 3600 s (1 hour)"))
                    };
                    match v.and_then(seconds) {
                        Some(t) => {
                            *slot = t.min(max as u64) as u32;
                            (t > max as u64).then_some(capped)
                        }
                        None => Some(msg!("must be a number of seconds")),
                    }
                }
                Some(6) => {
                    const POLICIES: [FailurePolicy; 3] =
                        [FailurePolicy::Reboot, FailurePolicy::PowerOff, FailurePolicy::Halt];
                    match lookup(v, &[b"reboot", b"poweroff", b"halt"]).and_then(|i| POLICIES.get(i).copied()) {
                        Some(f) => {
                            c.on_failure = f;
                            None
                        }
                        None => Some(msg!("must be reboot, poweroff or halt")),
                    }
                }
                Some(7) => match parse_bool(v) {
                    Some(d) => {
                        c.debug = d;
                        None
                    }
                    None => Some(msg!("must be a boolean")),
                },
                Some(8) => match lookup(v, &[b"off", b"on", b"required", b"signed"]) {
                    Some(i) => {
                        c.verity = [VerityMode::Off, VerityMode::Required, VerityMode::Required, VerityMode::Signed]
                            .get(i)
                            .copied()
                            .unwrap_or(VerityMode::Required);
                        None
                    }
                    None => Some(msg!("must be off, required or signed")),
                },
                Some(_) => match lookup(v, &[b"tmpfs", b"none"]) {
                    Some(i) => {
                        c.overlay = if i == 0 { Overlay::Tmpfs } else { Overlay::None };
                        None
                    }
                    None => Some(msg!("must be tmpfs or none")),
                },
                None if p.key.starts_with(b"ddiboot.") => Some(msg!("unknown ddiboot option")),
                None => None,
            };
            if let Some(problem) = problem {
                warn(Warning { key: p.key, problem });
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<(String, Option<String>)> {
        params(line.as_bytes())
            .map(|p| {
                (String::from_utf8(p.key.to_vec()).unwrap(), p.value.map(|v| String::from_utf8(v.to_vec()).unwrap()))
            })
            .collect()
    }

    fn kv(k: &str, v: Option<&str>) -> (String, Option<String>) {
        (k.to_string(), v.map(str::to_string))
    }

    #[test]
    fn splits_like_the_kernel() {
        assert_eq!(
            split("  console=ttyS0  quiet a=b=c\n"),
            vec![kv("console", Some("ttyS0")), kv("quiet", None), kv("a", Some("b=c"))]
        );
        assert_eq!(split(r#"foo="bar baz" x"#), vec![kv("foo", Some("bar baz")), kv("x", None)]);
        assert_eq!(split(r#""foo=bar baz" y"#), vec![kv("foo", Some("bar baz")), kv("y", None)]);
        assert_eq!(split(r#""quoted flag""#), vec![kv("quoted flag", None)]);
        assert_eq!(split("k= e"), vec![kv("k", Some("")), kv("e", None)]);
        assert_eq!(split(""), vec![]);
        assert_eq!(split("   \t "), vec![]);
        // An unterminated quote runs to the end of the line, as in the kernel.
        assert_eq!(split(r#"a="b c"#), vec![kv("a", Some("b c"))]);
        assert_eq!(split(r#"""#), vec![kv("", None)]);
        assert_eq!(split("="), vec![kv("", Some(""))]);
    }

    #[test]
    fn typed_config_last_wins_and_warns() {
        let line = b"roothash=aa roothash=bb init=/bin/sh ddiboot.debug ddiboot.timeout=7 \
            ddiboot.on_failure=halt ddiboot.overlay=tmpfs ddiboot.verity=off ddiboot.bogus=1 \
            ddiboot.timeout=x ddiboot.image=/EFI/x.raw systemd.verity_root_options=check-at-most-once \
            ddiboot.failure_delay=0 -- ddiboot.image=/ignored";
        let mut warnings = Vec::new();
        let c = Config::parse(line, &mut |w| warnings.push((w.key, w.problem.unpack())));
        assert_eq!(c.roothash, Some(&b"bb"[..]));
        assert_eq!(c.init, Some(&b"/bin/sh"[..]));
        assert!(c.debug);
        assert_eq!(c.timeout_s, 7);
        assert_eq!(c.on_failure, FailurePolicy::Halt);
        assert_eq!(c.overlay, Overlay::Tmpfs);
        assert_eq!(c.verity, VerityMode::Off);
        assert_eq!(c.image, b"/EFI/x.raw");
        assert_eq!(c.failure_delay_s, 0);
        assert_eq!(c.verity_options, Some(&b"check-at-most-once"[..]));
        assert_eq!(
            warnings,
            vec![
                (&b"ddiboot.bogus"[..], "unknown ddiboot option".to_string()),
                (&b"ddiboot.timeout"[..], "must be a number of seconds".to_string()),
            ]
        );
    }

    #[test]
    fn waits_are_capped_with_a_warning() {
        let mut warnings = Vec::new();
        let c = Config::parse(b"ddiboot.timeout=86400 ddiboot.failure_delay=3600", &mut |w| {
            warnings.push((w.key, w.problem.unpack()))
        });
        assert_eq!((c.timeout_s, c.failure_delay_s), (86_400, 3_600));
        assert!(warnings.is_empty());
        let c = Config::parse(
            b"ddiboot.timeout=86401 ddiboot.failure_delay=999999999999999999999999 ddiboot.timeout=-1",
            &mut |w| warnings.push((w.key, w.problem.unpack())),
        );
        assert_eq!((c.timeout_s, c.failure_delay_s), (MAX_TIMEOUT_S, MAX_FAILURE_DELAY_S));
        assert_eq!(
            warnings,
            vec![
                (&b"ddiboot.timeout"[..], "too long: capped at 86400 s (1 day)".to_string()),
                (&b"ddiboot.failure_delay"[..], "too long: capped at 3600 s (1 hour)".to_string()),
                (&b"ddiboot.timeout"[..], "must be a number of seconds".to_string()),
            ]
        );
        for bad in ["", "1s", " 1", "+1", "0x10"] {
            let line = format!("ddiboot.timeout={bad}");
            let mut n = 0;
            let c = Config::parse(line.as_bytes(), &mut |_| n += 1);
            assert_eq!((c.timeout_s, n), (DEFAULT_TIMEOUT_S, 1), "{bad:?}");
        }
        let c = Config::parse(b"ddiboot.timeout=0 ddiboot.failure_delay=0007", &mut |_| panic!());
        assert_eq!((c.timeout_s, c.failure_delay_s), (0, 7));
    }

    #[test]
    fn defaults() {
        let c = Config::parse(b"console=ttyS0 ddiboot.image=relative", &mut |_| {});
        assert_eq!(c.image, DEFAULT_IMAGE);
        assert_eq!(c.timeout_s, DEFAULT_TIMEOUT_S);
        assert_eq!(c.on_failure, FailurePolicy::Reboot);
        assert_eq!(c.verity, VerityMode::Required);
        assert_eq!(c.overlay, Overlay::None);
        let mode = |v: &str| Config::parse(format!("ddiboot.verity={v}").as_bytes(), &mut |_| {}).verity;
        assert_eq!(
            [mode("signed"), mode("on"), mode("required"), mode("off")],
            [VerityMode::Signed, VerityMode::Required, VerityMode::Required, VerityMode::Off]
        );
        let mut warned = Vec::new();
        let c = Config::parse(b"ddiboot.verity=signed ddiboot.verity=maybe", &mut |w| warned.push(w.problem.unpack()));
        assert_eq!((c.verity, warned), (VerityMode::Signed, vec!["must be off, required or signed".to_string()]));
        assert!(!c.debug && c.roothash.is_none() && c.init.is_none());
    }
}
