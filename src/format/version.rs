//! Versioned DDI file names: the UAPI version format's ordering (the one systemd and
//! systemd-sysupdate use, `strverscmp_improved`) and the Boot Loader Specification's
//! boot counting suffix (`+LEFT[-DONE]`). See ../shared/SPECS.md §9.3–9.4.

use crate::text;
use core::cmp::Ordering;

fn valid(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'~' | b'-' | b'^' | b'.')
}

/// `s` without its first `n` bytes (empty if shorter): slicing that cannot panic.
fn tail(s: &[u8], n: usize) -> &[u8] {
    s.get(n..).unwrap_or(&[])
}

/// `s` without its leading zeros.
fn strip_zeros(s: &[u8]) -> &[u8] {
    tail(s, s.iter().take_while(|&&c| c == b'0').count())
}

/// Compare two version strings (UAPI.10 "Version Format Specification").
pub fn compare(mut a: &[u8], mut b: &[u8]) -> Ordering {
    if a.is_empty() || b.is_empty() {
        return a.len().cmp(&b.len());
    }
    // Each pass consumes at least one byte of a or b (or returns), so this ends.
    loop {
        while let [c, rest @ ..] = a {
            if valid(*c) {
                break;
            }
            a = rest;
        }
        while let [c, rest @ ..] = b {
            if valid(*c) {
                break;
            }
            b = rest;
        }
        // '~' sorts before everything, even the end of the string; then '-', '^', '.':
        // the side with the separator is older.
        for (k, &sep) in b"~-^.".iter().enumerate() {
            if k == 1 && (a.is_empty() || b.is_empty()) {
                return a.len().cmp(&b.len());
            }
            let (sa, sb) = (a.first() == Some(&sep), b.first() == Some(&sep));
            if sa || sb {
                if sa != sb {
                    return sb.cmp(&sa);
                }
                a = tail(a, 1);
                b = tail(b, 1);
            }
        }
        let digits = a.first().is_some_and(u8::is_ascii_digit) || b.first().is_some_and(u8::is_ascii_digit);
        let run = |s: &[u8]| {
            s.iter().take_while(|c| if digits { c.is_ascii_digit() } else { c.is_ascii_alphabetic() }).count()
        };
        let (la, lb) = (run(a), run(b));
        let (ra, rb) = (a.get(..la).unwrap_or(&[]), b.get(..lb).unwrap_or(&[]));
        let o = if digits {
            // A number is newer than no number; then by value (leading zeros ignored).
            let (na, nb) = (strip_zeros(ra), strip_zeros(rb));
            (la != 0).cmp(&(lb != 0)).then(na.len().cmp(&nb.len())).then(na.cmp(nb))
        } else {
            ra.cmp(rb)
        };
        if o != Ordering::Equal {
            return o;
        }
        // Neither a number nor letters nor a separator: a lone separator left after
        // another one (e.g. "1.-2"); step over one byte on each side.
        let step = if la == 0 && lb == 0 { 1 } else { 0 };
        a = tail(a, la + step);
        b = tail(b, lb + step);
    }
}

/// A file name matched against a `PREFIX*SUFFIX` pattern, e.g. `rootfs_*.raw`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Versioned<'a> {
    /// The part the `*` matched, without the boot counter.
    pub version: &'a [u8],
    /// Boot counting (`+LEFT[-DONE]` before the suffix): tries left, if counted.
    pub tries_left: Option<u32>,
    pub tries_done: Option<u32>,
}

impl Versioned<'_> {
    /// "bad" in Boot Loader Specification terms: counted, and no tries left.
    pub fn is_bad(&self) -> bool {
        self.tries_left == Some(0)
    }
}

fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// At most 9 digits (fits a `u32`).
fn number(s: &[u8]) -> Option<u32> {
    text::parse_u64(s).filter(|_| s.len() <= 9).map(|n| n as u32)
}

/// Match `name` against `PREFIX*SUFFIX` (FAT names: ASCII case-insensitive).
pub fn match_pattern<'a>(prefix: &[u8], suffix: &[u8], name: &'a [u8]) -> Option<Versioned<'a>> {
    if name.len() < prefix.len() + suffix.len() + 1 {
        return None;
    }
    let mid = name.get(prefix.len()..name.len() - suffix.len())?;
    if !eq_ignore_case(name.get(..prefix.len())?, prefix)
        || !eq_ignore_case(tail(name, name.len() - suffix.len()), suffix)
    {
        return None;
    }
    let mut v = Versioned { version: mid, tries_left: None, tries_done: None };
    if let Some(plus) = mid.iter().rposition(|&c| c == b'+') {
        let counter = tail(mid, plus + 1);
        let (left, done) = match counter.iter().position(|&c| c == b'-') {
            Some(dash) => (counter.get(..dash).unwrap_or(&[]), Some(tail(counter, dash + 1))),
            None => (counter, None),
        };
        if let Some(l) = number(left) {
            let d = match done {
                Some(d) => Some(number(d)?),
                None => None,
            };
            v = Versioned { version: mid.get(..plus).unwrap_or(&[]), tries_left: Some(l), tries_done: d };
        }
    }
    (!v.version.is_empty()).then_some(v)
}

/// Boot order: candidates that still have tries (or are not counted) first, newest
/// version first; "bad" ones (no tries left) last.
pub fn boot_order(a: &Versioned, b: &Versioned) -> Ordering {
    a.is_bad().cmp(&b.is_bad()).then_with(|| compare(b.version, a.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_examples_in_order() {
        let ordered = [
            "122.1",
            "123~rc1-1",
            "123",
            "123-a",
            "123-a.1",
            "123-1",
            "123-1.1",
            "123^post1",
            "123.a-1",
            "123.1-1",
            "123a-1",
            "124-1",
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(compare(a.as_bytes(), b.as_bytes()), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn more_rules() {
        use Ordering::*;
        let c = |a: &str, b: &str| compare(a.as_bytes(), b.as_bytes());
        assert_eq!(c("1_2_3", "1.3.3"), Greater);
        assert_eq!(c("", "0"), Less);
        assert_eq!(c("", "~"), Less); // empty strings sort first (systemd: strcmp_ptr)
        assert_eq!(c("~", "0"), Less);
        assert_eq!(c("0001", "1"), Equal);
        assert_eq!(c("1.10", "1.9"), Greater);
        assert_eq!(c("a", "B"), Greater); // ASCII: upper case before lower case
        assert_eq!(c("1.-2", "1.-2"), Equal);
        assert_eq!(c("2024.1", "2024.1"), Equal);
        assert_eq!(c("1+", "1"), Equal); // '+' is not a version character
    }

    #[test]
    fn patterns_and_boot_counting() {
        fn m(n: &str) -> Option<Versioned<'_>> {
            match_pattern(b"rootfs_", b".raw", n.as_bytes())
        }
        assert_eq!(m("rootfs_1.2.raw").unwrap().version, b"1.2");
        assert_eq!(m("ROOTFS_1.2.RAW").unwrap().version, b"1.2");
        assert!(m("rootfs_.raw").is_none());
        assert!(m("rootfs.raw").is_none());
        assert!(m("other_1.raw").is_none());
        let v = m("rootfs_3+0-3.raw").unwrap();
        assert_eq!((v.version, v.tries_left, v.tries_done), (&b"3"[..], Some(0), Some(3)));
        assert!(v.is_bad());
        let v = m("rootfs_3+2.raw").unwrap();
        assert_eq!((v.version, v.tries_left, v.tries_done), (&b"3"[..], Some(2), None));
        // Not a counter: kept in the version.
        assert_eq!(m("rootfs_3+x.raw").unwrap().version, b"3+x");
        assert!(m("rootfs_+1.raw").is_none());
    }

    #[test]
    fn boot_order_newest_first_bad_last() {
        let mut v = ["rootfs_1.raw", "rootfs_3+0-3.raw", "rootfs_2.raw", "rootfs_10+1-2.raw"]
            .map(|n| match_pattern(b"rootfs_", b".raw", n.as_bytes()).unwrap());
        v.sort_by(boot_order);
        let names: Vec<_> = v.iter().map(|c| std::str::from_utf8(c.version).unwrap()).collect();
        assert_eq!(names, ["10", "2", "1", "3"]);
    }
}
