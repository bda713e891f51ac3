//! The verity signature partition: the input is the partition (`read_verity_sig` through a
//! `SliceReader`: size limit, NUL padding, JSON, hex, base64). An accepted partition must
//! give a non-empty signature no longer than the base64 it came from and a root hash whose hex
//! is in the input; `parse_verity_sig` on the text before the first NUL must agree; and the
//! result, written back as canonical JSON, must parse to the same values.
#![no_main]

mod common;

use common::show;
use ddiboot::format::block::SliceReader;
use ddiboot::format::verity_sig::{parse_verity_sig, read_verity_sig, SigError, MAX_JSON};
use libfuzzer_sys::fuzz_target;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in data.chunks(3) {
        let v = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            s.push(if i <= c.len() { A[(v >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let mut buf = [0u8; MAX_JSON];
    let got = read_verity_sig(&mut SliceReader(data), &mut buf).map(|s| (s.root_hash, s.signature.to_vec()));

    // The text before the first NUL, parsed directly, agrees when the rest is padding.
    let text_len = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    if text_len <= MAX_JSON && data[text_len..].iter().all(|&b| b == 0) {
        let mut text = data[..text_len].to_vec();
        let direct = parse_verity_sig(&mut text).map(|s| (s.root_hash, s.signature.to_vec()));
        assert_eq!(direct, got);
    }

    let (root_hash, sig) = match got {
        Ok(v) => v,
        Err(e) => {
            if let SigError::Syntax(at) = e {
                assert!((at as usize) < text_len, "syntax error past the text");
            }
            return show(&e);
        }
    };
    let rh = root_hash.as_bytes();
    assert!((16..=64).contains(&rh.len()));
    assert!(!sig.is_empty() && sig.len() <= text_len / 4 * 3);
    let rh_hex = hex(rh);
    let lower = data.to_ascii_lowercase();
    assert!(lower.windows(rh_hex.len()).any(|w| w == rh_hex.as_bytes()), "root hash not from the input");

    let mut canonical = format!(r#"{{"rootHash":"{rh_hex}","signature":"{}"}}"#, base64(&sig)).into_bytes();
    if canonical.len() <= MAX_JSON {
        let again = parse_verity_sig(&mut canonical).expect("canonical JSON refused");
        assert_eq!((again.root_hash, again.signature), (root_hash, &sig[..]));
    }
});
