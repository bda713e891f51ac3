//! The verity signature partition (`root-<arch>-verity-sig`, `usr-<arch>-verity-sig`; SPECS
//! §3.1): a JSON object `{"rootHash": HEX, "signature": BASE64, ...}`, NUL-padded, where the
//! signature is a DER PKCS#7 detached signature over the ASCII hex of `rootHash`. ddiboot
//! never checks the signature itself: it hands it to the kernel with the verity table, and
//! dm-verity verifies it against the kernel's trusted keyring (SPECS §3.2).
//!
//! The partition lives on the ESP, so it is hostile. It is read through one fixed buffer of
//! [`MAX_JSON`] bytes; the JSON is scanned without recursion (nesting bounded) by RFC 8259's
//! token grammar (strings, brackets, colons and commas where they belong, the values of other
//! keys included) and only what is used is kept: `rootHash`
//! (hex) and `signature` (base64, decoded in place into the same buffer). Like systemd
//! (`dissected_image_load_verity_sig_partition`): a partition above 4 MiB is refused, after
//! the first NUL only NULs may follow, other keys (`certificateFingerprint`, future ones) are
//! skipped. Stricter than systemd: a used key appearing twice, or written with escapes, is
//! refused rather than guessed at. Laxer: bytes above 0x7f inside strings are not checked to
//! be UTF-8 (only skipped values can hold them; the check cost 500 bytes, docs/size.md), and a
//! number or literal in a skipped value is any run of `[a-z0-9+-.E]` (`01`, `nul` pass; the
//! number grammar cost 500 bytes and cannot change where a string or key is); the byte after a
//! `\` in a skipped string is not checked to make a valid escape (270 bytes).

use crate::format::block::{BlockReader, ReadError};
use crate::format::verity::{parse_root_hash, RootHash};
use crate::text::{variant_index, Line, Show, Text};

/// systemd refuses larger signature partitions (EFBIG).
pub const MAX_PARTITION: u64 = 4 << 20;
/// The longest JSON ddiboot reads. A PKCS#7 signature with one RSA-4096 certificate is about
/// 3 KiB of JSON (systemd-repart with RSA-2048: 1.7 KiB); 8 KiB leaves room for a short
/// certificate chain.
pub const MAX_JSON: usize = 8192;
/// The description of the `user` key that carries the signature to dm-verity
/// (`root_hash_sig_key_desc`, SPECS §3.2).
pub const KEY_DESC: &core::ffi::CStr = c"ddiboot:root-hash-signature";
/// Nesting allowed, the outer object included.
const MAX_DEPTH: u8 = 16;

/// A key ddiboot uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SigKey {
    RootHash,
    Signature,
    /// Any other key (skipped).
    Other,
}

impl SigKey {
    pub fn name(self) -> &'static str {
        match self {
            SigKey::RootHash => "rootHash",
            SigKey::Signature => "signature",
            SigKey::Other => "",
        }
    }
}

/// Why a signature partition was refused. Shown without a prefix: the boot's message says
/// it was reading the signature partition.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SigError {
    Read(ReadError),
    /// The partition is larger than [`MAX_PARTITION`].
    PartitionTooBig,
    /// Only NULs (or nothing) in the partition.
    Empty,
    /// No NUL within the first [`MAX_JSON`] bytes of a larger partition.
    TooLong,
    /// Something other than NUL after the first NUL.
    EmbeddedNul,
    /// The text ends inside the object.
    Truncated,
    /// Not JSON at this byte offset.
    Syntax(u32),
    /// Arrays or objects nested deeper than `MAX_DEPTH` (the outer object included).
    TooDeep,
    /// The JSON is not an object.
    NotObject,
    Missing(SigKey),
    /// The value is not a string.
    NotString(SigKey),
    /// The key appears twice.
    Duplicate(SigKey),
    /// The string holds `\` escapes (never needed for hex or base64).
    Escaped(SigKey),
    /// `rootHash` is not 32..=128 (even) hex digits.
    BadRootHash,
    /// `signature` is empty or not base64 (standard alphabet, `=` padding).
    BadBase64,
}

/// The messages of [`SigError`], one per variant in declaration order (`text::push_nth`);
/// a variant with a value continues its message with it.
const MESSAGES: Text = msg!(concat!(
    "\0", // Read: the read error
    "partition larger than 4 MiB\0",
    "partition holds no JSON\0",
    "JSON longer than 8192 bytes\0",
    "data after the NUL padding\0",
    "JSON ends early (truncated)\0",
    "bad JSON at byte \0",
    "JSON nested too deeply\0",
    "JSON is not an object\0",
    "missing \0",
    "not a string: \0",
    "duplicate key \0",
    "escapes in \0",
    "rootHash is not 32 to 128 hex digits\0",
    "signature is not base64",
));

impl Show for SigError {
    fn show(&self, out: &mut Line) {
        out.push_nth(MESSAGES, variant_index(self));
        match *self {
            SigError::Read(e) => e.show(out),
            SigError::Syntax(at) => at.show(out),
            SigError::Missing(k) | SigError::NotString(k) | SigError::Duplicate(k) | SigError::Escaped(k) => {
                out.push_str(k.name())
            }
            _ => {}
        }
    }
}

impl From<ReadError> for SigError {
    fn from(e: ReadError) -> Self {
        SigError::Read(e)
    }
}

/// What the partition says: the root hash and the DER PKCS#7 signature over its hex.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct VeritySig<'a> {
    pub root_hash: RootHash,
    /// Borrowed from the caller's buffer.
    pub signature: &'a [u8],
}

/// Read and parse the signature partition `dev` (the partition alone: offset 0 is its start,
/// `size()` its length) through `buf`, which ends up holding the decoded signature.
#[inline(never)]
pub fn read_verity_sig<'b>(dev: &mut dyn BlockReader, buf: &'b mut [u8; MAX_JSON]) -> Result<VeritySig<'b>, SigError> {
    let size = dev.size();
    if size > MAX_PARTITION {
        return Err(SigError::PartitionTooBig);
    }
    let head_len = size.min(MAX_JSON as u64) as usize;
    dev.read_at(0, buf.get_mut(..head_len).unwrap_or_default())?;
    let head = buf.get(..head_len).unwrap_or_default();
    let nul = head.iter().position(|&b| b == 0);
    let len = nul.unwrap_or(head_len);
    if head.get(len..).unwrap_or_default().iter().any(|&b| b != 0) {
        return Err(SigError::EmbeddedNul);
    }
    if size > MAX_JSON as u64 {
        // The rest must be padding too: check it chunk by chunk (at most 4 MiB) with the
        // same buffer, then read the head again.
        let mut offset = MAX_JSON as u64;
        while offset < size {
            let chunk = buf.get_mut(..(size - offset).min(MAX_JSON as u64) as usize).unwrap_or_default();
            dev.read_at(offset, chunk)?;
            if chunk.iter().any(|&b| b != 0) {
                // Junk after the padding, or a JSON that runs past the first 8 KiB.
                return Err(if nul.is_some() { SigError::EmbeddedNul } else { SigError::TooLong });
            }
            offset += chunk.len() as u64;
        }
        dev.read_at(0, buf.get_mut(..len).unwrap_or_default())?;
    }
    parse_verity_sig(buf.get_mut(..len).unwrap_or_default())
}

/// Parse the JSON text `json` (without its NUL padding). The signature is decoded in place:
/// the result borrows `json`, whose text is gone afterwards.
#[inline(never)]
pub fn parse_verity_sig(json: &mut [u8]) -> Result<VeritySig<'_>, SigError> {
    let mut p = Parser { s: json, at: 0, found: [None, None] };
    p.ws();
    match p.peek() {
        0 => return Err(SigError::Empty),
        b'{' => {}
        _ => return Err(SigError::NotObject),
    }
    p.scan()?;
    let [Some(rh), Some(sig)] = p.found else {
        return Err(SigError::Missing(if p.found[0].is_none() { SigKey::RootHash } else { SigKey::Signature }));
    };
    let root_hash = parse_root_hash(json.get(rh.0..rh.1).unwrap_or_default()).map_err(|_| SigError::BadRootHash)?;
    let len = decode_base64_in_place(json, sig.0, sig.1).ok_or(SigError::BadBase64)?;
    Ok(VeritySig { root_hash, signature: json.get(..len).unwrap_or_default() })
}

/// A strict RFC 8259 scanner without recursion, for one object.
struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    /// Spans (between the quotes) of the `rootHash` and `signature` strings.
    found: [Option<(usize, usize)>; 2],
}

// The tokens that may come next (`Parser::scan`).
const VALUE: u8 = 1;
const KEY: u8 = 2;
const COLON: u8 = 4;
const COMMA: u8 = 8;
const CLOSE: u8 = 16;

impl Parser<'_> {
    /// The byte at the cursor, 0 at the end (the text holds no NUL).
    fn peek(&self) -> u8 {
        self.s.get(self.at).copied().unwrap_or(0)
    }

    /// A syntax error at the cursor (truncation at the end).
    fn syntax(&self) -> SigError {
        if self.at >= self.s.len() {
            SigError::Truncated
        } else {
            SigError::Syntax(self.at as u32)
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r') {
            self.at += 1;
        }
    }

    /// Scan the object at the cursor and what follows it (only whitespace). `open` has
    /// one bit per open container (1: object), `want` the set of tokens that may come
    /// next, `key` is the key ddiboot uses whose value comes next in the outer object.
    /// Values nest at most `MAX_DEPTH` deep (the outer object included).
    #[inline(never)]
    fn scan(&mut self) -> Result<(), SigError> {
        let (mut open, mut depth, mut want) = (0u32, 0u8, VALUE);
        let mut key = SigKey::Other;
        loop {
            self.ws();
            let c = self.peek();
            let start = self.at;
            if depth == 0 && want & COMMA != 0 {
                // The object is complete: only whitespace may follow.
                return if c == 0 { Ok(()) } else { Err(self.syntax()) };
            }
            if key != SigKey::Other && want & VALUE != 0 && c != b'"' && c != 0 {
                return Err(SigError::NotString(key));
            }
            want = match c {
                b'"' if want & (VALUE | KEY) != 0 => {
                    let escaped = self.string()?;
                    let span = Some((start + 1, self.at - 1));
                    if want & KEY != 0 {
                        if depth == 1 {
                            // Slice compares: a `match` on byte strings compiles to one
                            // compare per byte (docs/size.md).
                            let name = self.s.get(start + 1..self.at - 1).unwrap_or_default();
                            key = [SigKey::RootHash, SigKey::Signature]
                                .into_iter()
                                .find(|k| k.name().as_bytes() == name)
                                .unwrap_or(SigKey::Other);
                            if self.found.get(key as usize).is_some_and(|f| f.is_some()) {
                                return Err(SigError::Duplicate(key));
                            }
                        }
                        COLON
                    } else {
                        if let Some(slot) = self.found.get_mut(key as usize) {
                            if escaped {
                                return Err(SigError::Escaped(key));
                            }
                            *slot = span;
                            key = SigKey::Other;
                        }
                        COMMA | CLOSE
                    }
                }
                b'{' | b'[' if want & VALUE != 0 => {
                    if depth >= MAX_DEPTH {
                        return Err(SigError::TooDeep);
                    }
                    open = open << 1 | (c == b'{') as u32;
                    depth += 1;
                    self.at += 1;
                    CLOSE | if c == b'{' { KEY } else { VALUE }
                }
                b'}' | b']' if want & CLOSE != 0 && (open & 1 == 1) == (c == b'}') => {
                    open >>= 1;
                    depth -= 1;
                    self.at += 1;
                    COMMA | CLOSE
                }
                b',' if want & COMMA != 0 => {
                    self.at += 1;
                    if open & 1 == 1 {
                        KEY
                    } else {
                        VALUE
                    }
                }
                b':' if want & COLON != 0 => {
                    self.at += 1;
                    VALUE
                }
                b'-' | b'0'..=b'9' | b'a'..=b'z' if want & VALUE != 0 => {
                    while matches!(self.peek(), b'+' | b'-' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'E') {
                        self.at += 1;
                    }
                    COMMA | CLOSE
                }
                _ => return Err(self.syntax()),
            };
        }
    }

    /// A string; the cursor is on its opening quote. Whether it holds escapes.
    #[inline(never)]
    fn string(&mut self) -> Result<bool, SigError> {
        let mut escaped = false;
        loop {
            self.at += 1;
            match self.peek() {
                b'"' => {
                    self.at += 1;
                    return Ok(escaped);
                }
                b'\\' => {
                    // The escaped byte is skipped unchecked: only skipped values may hold
                    // escapes (the used ones are refused), and `\"` never ends the string.
                    escaped = true;
                    self.at += 1;
                }
                // Control characters must be escaped; 0 is also the end of the text.
                0..=0x1f => return Err(self.syntax()),
                // Bytes above 0x7f are taken as they are: only values ddiboot skips can
                // hold them (hex and base64 are ASCII), so UTF-8 is not checked.
                _ => {}
            }
        }
    }
}

/// The value of a base64 digit (RFC 4648 standard alphabet).
fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(v as u32)
}

/// Decode the base64 text in `buf[start..end]` into `buf[..]` (output never overtakes input:
/// 3 bytes out per 4 in), returning the decoded length. Strict: a multiple of 4 characters,
/// at most two `=`, only at the end, zero bits in the last digit's unused part, not empty.
#[inline(never)]
fn decode_base64_in_place(buf: &mut [u8], start: usize, end: usize) -> Option<usize> {
    let len = end.checked_sub(start)?;
    if len == 0 || len % 4 != 0 {
        return None;
    }
    let (mut acc, mut bits, mut pad, mut out) = (0u32, 0u32, 0u32, 0usize);
    for i in start..end {
        let c = *buf.get(i)?;
        if c == b'=' {
            pad += 1;
            continue;
        }
        if pad > 0 {
            return None;
        }
        acc = acc << 6 | sextet(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            *buf.get_mut(out)? = (acc >> bits) as u8;
            out += 1;
        }
    }
    // "xx==" leaves 4 bits, "xxx=" 2, and they must be zero.
    (bits == 2 * pad && acc & ((1 << bits) - 1) == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::block::SliceReader;

    const RH: &str = "27611428150975f1fc6c7c32f1133c5cc5644e7d86e1e777a64c0d29f5c55c24";

    fn parse(json: &str) -> Result<(Vec<u8>, Vec<u8>), SigError> {
        let mut b = json.as_bytes().to_vec();
        parse_verity_sig(&mut b).map(|s| (s.root_hash.as_bytes().to_vec(), s.signature.to_vec()))
    }

    fn msg(e: SigError) -> String {
        Line::of(&e).as_str().to_string()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn good(sig: &str) -> String {
        format!(r#"{{"rootHash":"{RH}","certificateFingerprint":"3f3c94","signature":"{sig}"}}"#)
    }

    #[test]
    fn parses_systemd_layout() {
        let (rh, sig) = parse(&good("AAECAwQF")).unwrap();
        assert_eq!(rh, unhex(RH));
        assert_eq!(sig, [0, 1, 2, 3, 4, 5]);
        // Whitespace anywhere JSON allows it, keys in any order, upper-case hex.
        let j = format!(" \n{{ \"signature\" : \"/w==\" ,\t\"rootHash\":\r\"{}\" }}\n ", RH.to_uppercase());
        assert_eq!(parse(&j).unwrap(), (unhex(RH), vec![0xff]));
    }

    #[test]
    fn base64_strictness() {
        let cases: &[(&str, Option<&[u8]>)] = &[
            ("TWFu", Some(b"Man")),
            ("TWE=", Some(b"Ma")),
            ("TQ==", Some(b"M")),
            ("+/+/", Some(&[0xfb, 0xff, 0xbf])),
            ("", None),
            ("TWF", None),
            ("TQ=", None),
            ("T===", None),
            ("TR==", None), // non-zero unused bits
            ("TWF=", None), // non-zero unused bits
            ("TWG=", None),
            ("TW=u", None),
            ("TW u", None),
            ("TWFu-_==", None),
            ("====", None),
        ];
        for (text, want) in cases {
            let got = parse(&good(text)).map(|r| r.1);
            match want {
                Some(w) => assert_eq!(got.as_deref(), Ok(*w), "{text}"),
                None => assert_eq!(got, Err(SigError::BadBase64), "{text}"),
            }
        }
        // A long one round-trips against the standard encoder's output.
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let b64 = std_base64(&data);
        assert_eq!(parse(&good(&b64)).unwrap().1, data);
    }

    /// A plain reference encoder for the test.
    fn std_base64(data: &[u8]) -> String {
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

    #[test]
    fn skips_unknown_values_of_every_kind() {
        let j = format!(
            r#"{{"a":{{"b":[1,-2.5e+3,0.0,1E9,true,false,null,"x\"y\\\u00e9",{{}},[]],"c":{{"d":"}}"}}}},
               "rootHash":"{RH}","n":-0,"z":[[[]]],"signature":"AA==","é":"ü"}}"#
        );
        assert_eq!(parse(&j).unwrap().1, [0]);
        // Numbers and literals in skipped values are not checked beyond their characters.
        // Nor are escapes in skipped strings (`\"` still does not end one).
        let lax = format!(r#"{{"a":[01,1.,nul,1e,-,"\x\u12g4\"}}"],"rootHash":"{RH}","signature":"AA=="}}"#);
        assert_eq!(parse(&lax).unwrap().1, [0]);
        // Nesting is bounded.
        let deep = format!(r#"{{"x":{}1{},"rootHash":"{RH}","signature":"AA=="}}"#, "[".repeat(15), "]".repeat(15));
        assert!(parse(&deep).is_ok());
        let deeper = format!(r#"{{"x":{}1{},"rootHash":"{RH}","signature":"AA=="}}"#, "[".repeat(16), "]".repeat(16));
        assert_eq!(parse(&deeper), Err(SigError::TooDeep));
        let bomb = format!(r#"{{"x":{}"#, "[".repeat(100_000));
        assert_eq!(parse(&bomb), Err(SigError::TooDeep));
    }

    #[test]
    fn every_garbage_case_has_its_error() {
        use SigError::*;
        let rh = format!(r#""rootHash":"{RH}""#);
        let cases: Vec<(String, SigError, &str)> = vec![
            ("".into(), Empty, "partition holds no JSON"),
            (" \n".into(), Empty, "partition holds no JSON"),
            ("[]".into(), NotObject, "JSON is not an object"),
            ("\"x\"".into(), NotObject, "JSON is not an object"),
            ("{}".into(), Missing(SigKey::RootHash), "missing rootHash"),
            (format!("{{{rh}}}"), Missing(SigKey::Signature), "missing signature"),
            (format!(r#"{{{rh},"signature":1}}"#), NotString(SigKey::Signature), "not a string: signature"),
            (r#"{"rootHash":["ab"]}"#.into(), NotString(SigKey::RootHash), "not a string: rootHash"),
            (format!(r#"{{{rh},{rh},"signature":"AA=="}}"#), Duplicate(SigKey::RootHash), "duplicate key rootHash"),
            (format!(r#"{{{rh},"signature":"A\/A="}}"#), Escaped(SigKey::Signature), "escapes in signature"),
            (r#"{"rootHash":"xyz","signature":"AA=="}"#.into(), BadRootHash, "rootHash is not 32 to 128 hex digits"),
            (r#"{"rootHash":"","signature":"AA=="}"#.into(), BadRootHash, ""),
            (format!(r#"{{"rootHash":"{}","signature":"AA=="}}"#, &RH[..30]), BadRootHash, ""),
            (format!(r#"{{"rootHash":"{RH}0","signature":"AA=="}}"#), BadRootHash, ""),
            (format!(r#"{{{rh},"signature":"A"}}"#), BadBase64, "signature is not base64"),
            // Truncated anywhere.
            (format!(r#"{{{rh},"signature":"AA=="#), Truncated, "JSON ends early (truncated)"),
            (format!(r#"{{{rh},"signature":"AA==""#), Truncated, ""),
            (format!(r#"{{{rh},"#), Truncated, ""),
            ("{".into(), Truncated, ""),
            (r#"{"a":tru"#.into(), Truncated, ""),
            (r#"{"a":-"#.into(), Truncated, ""),
            (r#"{"a":"\u00"#.into(), Truncated, ""),
            // Syntax, with the byte offset.
            (r#"{"a":1,}"#.into(), Syntax(7), "bad JSON at byte 7"),
            (r#"{"a" 1}"#.into(), Syntax(5), ""),
            (r#"{"a":+1}"#.into(), Syntax(5), ""),
            (r#"{"a":[1 2]}"#.into(), Syntax(8), ""),
            (r#"{"a":[1,]}"#.into(), Syntax(8), ""),
            (r#"{"a":[1,{"b" 2}]}"#.into(), Syntax(13), ""),
            (r#"{"a":[1,{"b":2,}]}"#.into(), Syntax(15), ""),
            (r#"{"a":[1,{"b":2]}"#.into(), Syntax(14), ""),
            (r#"{"a":[1:2]}"#.into(), Syntax(7), ""),
            (r#"{"a":{1:2}}"#.into(), Syntax(6), ""),
            (r#"{"a":]}"#.into(), Syntax(5), ""),
            (r#"{"a":t rue}"#.into(), Syntax(7), ""),
            (r#"{"a":'x'}"#.into(), Syntax(5), ""),
            ("{\"a\":\"tab\there\"}".into(), Syntax(9), ""),
            (r#"{a:1}"#.into(), Syntax(1), ""),
            (format!(r#"{{{rh},"signature":"AA=="}} x"#), Syntax(99), ""),
            (format!(r#"{{{rh},"signature":"AA=="}}{{}}"#), Syntax(98), ""),
        ];
        for (json, want, text) in cases {
            assert_eq!(parse(&json), Err(want), "{json}");
            if !text.is_empty() {
                assert_eq!(msg(want), text);
            }
        }
        // Bytes above 0x7f: fine inside skipped strings, an error elsewhere.
        let mut latin1 = good("AA==").into_bytes();
        latin1.insert(1, 0xe9);
        assert_eq!(parse_verity_sig(&mut latin1), Err(Syntax(1)));
        let mut latin1 = good("AA==").into_bytes();
        let at = latin1.windows(6).position(|w| w == b"3f3c94").unwrap();
        latin1.insert(at, 0xe9);
        assert!(parse_verity_sig(&mut latin1).is_ok());
    }

    /// The JSON padded with NULs to `size` bytes, read as a partition.
    fn read_padded(json: &[u8], size: usize) -> Result<Vec<u8>, SigError> {
        let mut part = json.to_vec();
        part.resize(size, 0);
        let mut buf = [0u8; MAX_JSON];
        read_verity_sig(&mut SliceReader(&part), &mut buf).map(|s| s.signature.to_vec())
    }

    #[test]
    fn partition_padding_and_limits() {
        let json = good("AAEC");
        for size in [json.len(), 4096, 16384, MAX_JSON, MAX_JSON + 1, 4 << 20] {
            assert_eq!(read_padded(json.as_bytes(), size), Ok(vec![0, 1, 2]), "{size}");
        }
        assert_eq!(read_padded(json.as_bytes(), (4 << 20) + 1), Err(SigError::PartitionTooBig));
        assert_eq!(read_padded(b"", 4096), Err(SigError::Empty));
        assert_eq!(read_padded(b"", 0), Err(SigError::Empty));
        // Junk after the padding: in the head, and far after it.
        let mut part = json.clone().into_bytes();
        part.resize(16384, 0);
        part[json.len() + 10] = b'x';
        let mut buf = [0u8; MAX_JSON];
        assert_eq!(read_verity_sig(&mut SliceReader(&part), &mut buf), Err(SigError::EmbeddedNul));
        part[json.len() + 10] = 0;
        part[16383] = 1;
        assert_eq!(read_verity_sig(&mut SliceReader(&part), &mut buf), Err(SigError::EmbeddedNul));
        assert_eq!(msg(SigError::EmbeddedNul), "data after the NUL padding");
        // A JSON that does not end within 8 KiB.
        let long = good(&"A".repeat(MAX_JSON));
        assert_eq!(read_padded(long.as_bytes(), 16384), Err(SigError::TooLong));
        assert_eq!(read_padded(long.as_bytes(), long.len()), Err(SigError::TooLong));
        assert_eq!(msg(SigError::TooLong), "JSON longer than 8192 bytes");
        // Exactly 8 KiB without padding is fine.
        let fill = MAX_JSON - good("").len();
        let exact = good(&"A".repeat(fill / 4 * 4));
        let exact = format!("{}{}", " ".repeat(MAX_JSON - exact.len()), exact);
        assert_eq!(exact.len(), MAX_JSON);
        assert_eq!(read_padded(exact.as_bytes(), MAX_JSON).map(|s| s.len()), Ok(fill / 4 * 3));
        assert_eq!(read_padded(exact.as_bytes(), 3 * MAX_JSON).map(|s| s.len()), Ok(fill / 4 * 3));
        // A read error is passed on.
        struct Broken;
        impl BlockReader for Broken {
            fn read_at(&mut self, _: u64, _: &mut [u8]) -> Result<(), ReadError> {
                Err(ReadError::Short)
            }
            fn size(&self) -> u64 {
                4096
            }
        }
        assert_eq!(read_verity_sig(&mut Broken, &mut buf), Err(SigError::Read(ReadError::Short)));
        assert_eq!(msg(SigError::Read(ReadError::Short)), "short read");
        // One message per variant (`text::push_nth`): the first and the last line up.
        assert_eq!(MESSAGES.count(), 15);
        assert_eq!(msg(SigError::PartitionTooBig), "partition larger than 4 MiB");
        assert_eq!(msg(SigError::BadBase64), "signature is not base64");
        assert_eq!(msg(SigError::Escaped(SigKey::Signature)), "escapes in signature");
    }
}
