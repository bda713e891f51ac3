//! Kernel command line: `Config::parse` on the input, then what boot does with its values:
//! `parse_root_hash` on `roothash=` and `parse_options` on `systemd.verity_root_options=`.
//! Every slice the parser returns must be a piece of the input line.
#![no_main]

mod common;

use common::show;
use ddiboot::format::verity::{parse_options, parse_root_hash};
use ddiboot::plan::cmdline::{params, Config};
use libfuzzer_sys::fuzz_target;

fn inside(line: &[u8], s: &[u8]) -> bool {
    let (l, p) = (line.as_ptr() as usize, s.as_ptr() as usize);
    s.is_empty() || (p >= l && p + s.len() <= l + line.len())
}

fuzz_target!(|line: &[u8]| {
    let mut n = 0usize;
    for p in params(line) {
        n += 1;
        assert!(n <= line.len(), "more words than bytes");
        assert!(inside(line, p.key) && p.value.is_none_or(|v| inside(line, v)));
    }
    let mut warnings = 0usize;
    let c = Config::parse(line, &mut |w| {
        warnings += 1;
        assert!(inside(line, w.key));
        show(&w.problem);
    });
    assert!(warnings <= n);
    for s in [c.roothash, c.init, c.verity_options, Some(c.image)].into_iter().flatten() {
        assert!(s == ddiboot::plan::cmdline::DEFAULT_IMAGE || inside(line, s));
    }
    if let Some(h) = c.roothash {
        match parse_root_hash(h) {
            Ok(r) => assert_eq!(r.as_bytes().len() * 2, h.len()),
            Err(e) => show(&e),
        }
    }
    if let Some(o) = c.verity_options {
        if let Err(e) = parse_options(o, &mut |w| assert!(!w.is_empty())) {
            show(&e);
        }
    }
});
