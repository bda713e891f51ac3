//! Version ordering and DDI file name patterns (format/version.rs): the input is split at
//! NUL bytes into a pattern prefix, a suffix and file names. `compare` must be a total
//! order (antisymmetric, reflexive, transitive on every triple), `match_pattern` must
//! return a non-empty version taken from between prefix and suffix, and sorting the
//! matches by `boot_order` (std's sort checks the order is total) must put "bad"
//! candidates last, newest first otherwise.
#![no_main]

use core::cmp::Ordering;
use ddiboot::format::version::{boot_order, compare, match_pattern};
use libfuzzer_sys::fuzz_target;

fn is_subslice(inner: &[u8], outer: &[u8]) -> bool {
    let (i, o) = (inner.as_ptr() as usize, outer.as_ptr() as usize);
    i >= o && i + inner.len() <= o + outer.len()
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let prefix = parts.next().unwrap_or(&[]);
    let suffix = parts.next().unwrap_or(&[]);
    let names: Vec<&[u8]> = parts.take(8).collect();

    for a in &names {
        assert_eq!(compare(a, a), Ordering::Equal);
        for b in &names {
            let ab = compare(a, b);
            assert_eq!(ab, compare(b, a).reverse(), "antisymmetry");
            for c in &names {
                if ab != Ordering::Greater && compare(b, c) != Ordering::Greater {
                    assert_ne!(compare(a, c), Ordering::Greater, "transitivity");
                }
            }
        }
    }

    let mut matched = Vec::new();
    for name in &names {
        if let Some(v) = match_pattern(prefix, suffix, name) {
            assert!(!v.version.is_empty());
            assert!(is_subslice(v.version, name));
            assert!(name.len() > prefix.len() + suffix.len());
            assert!(name[..prefix.len()].eq_ignore_ascii_case(prefix));
            assert!(name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix));
            assert!(v.tries_done.is_none() || v.tries_left.is_some());
            matched.push(v);
        }
    }
    matched.sort_by(boot_order);
    for w in matched.windows(2) {
        assert!(w[0].is_bad() <= w[1].is_bad(), "bad candidates last");
        if w[0].is_bad() == w[1].is_bad() {
            assert_ne!(compare(w[0].version, w[1].version), Ordering::Less, "newest first");
        }
    }
});
