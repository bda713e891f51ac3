//! The kernel command line: split as the kernel splits it, typed into [`Config`].
//!
//! Splitting follows `next_arg()` in Linux `lib/cmdline.c`: words are separated by
//! whitespace outside double quotes; quotes may wrap a whole word or the value after
//! `=` and are removed; there are no escapes. `--` ends the kernel's part (the rest is
//! for init). The last occurrence of a key wins.

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
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        let quoted = s[0] == b'"';
        if quoted {
            s = &s[1..];
        }
        let mut in_quote = quoted;
        let mut equals = None;
        let mut i = 0;
        while i < s.len() {
            let b = s[i];
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
        let word = &s[..i];
        self.rest = &s[i..];
        // A closing quote at the end of the word is dropped (both forms).
        let strip_end = |w: &'a [u8]| match w.split_last() {
            Some((b'"', head)) => head,
            _ => w,
        };
        let word_end = if quoted { strip_end(word) } else { word };
        Some(match equals {
            None => Param { key: word_end, value: None },
            Some(e) => {
                let key = &word[..e];
                let mut value = &word_end[core::cmp::min(e + 1, word_end.len())..];
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
    /// Refuse to boot without `roothash=` (the default).
    Required,
    /// Explicit opt-out: boot an unverified root, with a loud warning.
    Off,
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

/// Everything ddiboot takes from the command line. Slices borrow the line.
#[derive(Clone, Copy, Debug)]
pub struct Config<'a> {
    /// `roothash=`: the trusted dm-verity root hash, hex (checked when used).
    pub roothash: Option<&'a [u8]>,
    /// `init=`: stage-2 init to exec (default: /sbin/init, then the usual fallbacks).
    pub init: Option<&'a [u8]>,
    /// `ddiboot.image=`: path of the DDI on the ESP.
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
    pub problem: &'static str,
}

fn parse_u32(v: &[u8]) -> Option<u32> {
    if v.is_empty() || v.len() > 9 {
        return None;
    }
    v.iter().try_fold(0u32, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + (b - b'0') as u32))
}

fn parse_bool(v: Option<&[u8]>) -> Option<bool> {
    match v {
        None | Some(b"1" | b"yes" | b"true" | b"on") => Some(true),
        Some(b"0" | b"no" | b"false" | b"off") => Some(false),
        _ => None,
    }
}

impl<'a> Config<'a> {
    /// Type the command line. Unknown `ddiboot.*` keys and bad values are passed to
    /// `warn` and otherwise ignored (the default stays).
    pub fn parse(line: &'a [u8], warn: &mut dyn FnMut(Warning<'a>)) -> Config<'a> {
        let mut c = Config::default();
        for p in params(line) {
            if p.key == b"--" {
                break;
            }
            let mut bad = |problem| warn(Warning { key: p.key, problem });
            let v = p.value;
            match p.key {
                b"roothash" => c.roothash = v.filter(|v| !v.is_empty()),
                b"init" => c.init = v.filter(|v| !v.is_empty()),
                b"systemd.verity_root_options" => c.verity_options = v,
                b"ddiboot.image" => match v {
                    Some(path) if path.first() == Some(&b'/') => c.image = path,
                    _ => bad("must be an absolute path on the ESP"),
                },
                b"ddiboot.timeout" => match v.and_then(parse_u32) {
                    Some(t) => c.timeout_s = t,
                    None => bad("must be a number of seconds"),
                },
                b"ddiboot.failure_delay" => match v.and_then(parse_u32) {
                    Some(t) => c.failure_delay_s = t,
                    None => bad("must be a number of seconds"),
                },
                b"ddiboot.on_failure" => match v {
                    Some(b"reboot") => c.on_failure = FailurePolicy::Reboot,
                    Some(b"poweroff") => c.on_failure = FailurePolicy::PowerOff,
                    Some(b"halt") => c.on_failure = FailurePolicy::Halt,
                    _ => bad("must be reboot, poweroff or halt"),
                },
                b"ddiboot.debug" => match parse_bool(v) {
                    Some(d) => c.debug = d,
                    None => bad("must be a boolean"),
                },
                b"ddiboot.verity" => match v {
                    Some(b"off") => c.verity = VerityMode::Off,
                    Some(b"on" | b"required") => c.verity = VerityMode::Required,
                    _ => bad("must be off or required"),
                },
                b"ddiboot.overlay" => match v {
                    Some(b"tmpfs") => c.overlay = Overlay::Tmpfs,
                    Some(b"none") => c.overlay = Overlay::None,
                    _ => bad("must be tmpfs or none"),
                },
                k if k.starts_with(b"ddiboot.") => bad("unknown ddiboot option"),
                _ => {}
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
                (
                    String::from_utf8(p.key.to_vec()).unwrap(),
                    p.value.map(|v| String::from_utf8(v.to_vec()).unwrap()),
                )
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
        let c = Config::parse(line, &mut |w| warnings.push(w));
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
                Warning { key: b"ddiboot.bogus", problem: "unknown ddiboot option" },
                Warning { key: b"ddiboot.timeout", problem: "must be a number of seconds" },
            ]
        );
    }

    #[test]
    fn defaults() {
        let c = Config::parse(b"console=ttyS0 ddiboot.image=relative", &mut |_| {});
        assert_eq!(c.image, DEFAULT_IMAGE);
        assert_eq!(c.timeout_s, DEFAULT_TIMEOUT_S);
        assert_eq!(c.on_failure, FailurePolicy::Reboot);
        assert_eq!(c.verity, VerityMode::Required);
        assert_eq!(c.overlay, Overlay::None);
        assert!(!c.debug && c.roothash.is_none() && c.init.is_none());
    }
}
