//! Text without `core::fmt`: the one fixed buffer every log line, device path and kernel
//! table is built in, a `Show` trait, and the decimal and hex digit helpers.
//!
//! `core::fmt` costs several KiB of code in a binary this small (measured: see
//! docs/size.md); ddiboot's messages are only strings, integers, hex and error names,
//! so this small writer is all it needs. Message texts are stored packed
//! ([`crate::packed`]) and unpacked as they are written.

use crate::packed;
pub use crate::packed::Text;

/// Whether `s` holds the byte `b`. A plain loop: core's `contains` on bytes is a ~200-byte
/// word-at-a-time search, more code than the short names and tables checked here need
/// (docs/size.md).
#[allow(clippy::manual_contains)]
pub fn has_byte(s: &[u8], b: u8) -> bool {
    s.iter().any(|&c| c == b)
}

/// Maximum bytes in one log line (the kernel's own record limit is ~1 KiB).
pub const LINE_MAX: usize = 480;

/// Maximum bytes any [`Line`] can hold ([`Line::with_max`]): the longest text built is a
/// dm-verity table (about 950 bytes at worst, `verity::TABLE_MAX`).
pub const TEXT_MAX: usize = 1024;

/// A fixed-size text buffer, [`LINE_MAX`] bytes unless made with [`Line::with_max`].
/// Overlong text is cut and marked with `...`; [`Line::is_cut`] tells.
/// (A `heapless::Vec`: its pushes are checked and its `as_slice` needs no bounds check,
/// so no panic path and little code; docs/size.md.)
pub struct Line {
    buf: heapless::Vec<u8, TEXT_MAX>,
    /// The length limit (<= TEXT_MAX), `...` included.
    max: u16,
    cut: bool,
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

impl Line {
    // Out of line: the three field stores at each of ~15 call sites cost more than a call.
    #[inline(never)]
    pub const fn new() -> Self {
        Line::with_max(LINE_MAX)
    }

    /// A buffer holding at most `max` bytes (at most [`TEXT_MAX`]).
    pub const fn with_max(max: usize) -> Self {
        let max = if max < TEXT_MAX { max } else { TEXT_MAX };
        Line { buf: heapless::Vec::new(), max: max as u16, cut: false }
    }

    /// A line holding just `v` shown (handy in tests).
    pub fn of(v: &dyn Show) -> Self {
        let mut l = Line::new();
        v.show(&mut l);
        l
    }

    pub fn push_byte(&mut self, b: u8) {
        if self.buf.len() + 3 < self.max as usize {
            let _ = self.buf.push(b);
        } else if !self.cut {
            self.cut = true;
            let _ = self.buf.extend_from_slice(b"...");
        }
    }

    pub fn push_bytes(&mut self, s: &[u8]) {
        for &b in s {
            self.push_byte(b);
        }
    }

    pub fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    /// Decimal (most significant digit first, by recursion: at most 20 levels).
    pub fn push_u64(&mut self, v: u64) {
        if v >= 10 {
            self.push_u64(v / 10);
        }
        self.push_byte(b'0' + (v % 10) as u8);
    }

    pub fn push_i64(&mut self, v: i64) {
        if v < 0 {
            self.push_byte(b'-');
        }
        self.push_u64(v.unsigned_abs());
    }

    /// Lower-case hex, at least `width` digits, no prefix.
    pub fn push_hex(&mut self, v: u64, width: usize) {
        let mut started = false;
        for i in (0..16).rev() {
            let d = ((v >> (i * 4)) & 0xf) as u8;
            if d != 0 || started || i < width {
                started = true;
                self.push_byte(HEX[d as usize]);
            }
        }
    }

    /// Message `n` (0-based) of `list`, messages separated by NUL bytes. One string and
    /// one index per error enum instead of a `&str` and a branch per variant
    /// (docs/size.md). The text is unpacked as it goes: a byte >= 0x80 is dictionary entry
    /// `b - 0x80` (`packed::word`, plain ASCII). Stops at message `n`'s NUL.
    #[inline(never)]
    pub fn push_nth(&mut self, list: Text, n: usize) {
        let mut n = n;
        for b in list.bytes() {
            if b == 0 {
                if n == 0 {
                    return;
                }
                n -= 1;
            } else if n == 0 {
                if b < 0x80 {
                    self.push_byte(b);
                } else {
                    self.push_nth(packed::word((b - 0x80) as usize), 0);
                }
            }
        }
    }

    /// A message text ([`msg!`](crate::msg)), unpacked.
    pub fn push_text(&mut self, t: Text) {
        self.push_nth(t, 0);
    }

    /// Untrusted bytes (names read from the ESP): printable ASCII kept, the rest as `?`.
    pub fn push_untrusted(&mut self, s: &[u8]) {
        for &b in s {
            self.push_byte(if (0x20..0x7f).contains(&b) { b } else { b'?' });
        }
    }

    /// Append `item` (untrusted) to a comma-separated list.
    pub fn push_list_item(&mut self, item: &[u8]) {
        if !self.is_empty() {
            self.push_str(", ");
        }
        self.push_untrusted(item);
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever pushed by the helpers above except via push_bytes of
        // trusted text; fall back to an empty string if that was not UTF-8.
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Whether text was cut because it did not fit.
    pub fn is_cut(&self) -> bool {
        self.cut
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.cut = false;
    }
}

pub const HEX: &[u8; 16] = b"0123456789abcdef";

/// The value of one hex digit, either case.
pub const fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A decimal number of 1 to 19 ASCII digits (so it cannot overflow a `u64`), nothing else:
/// no sign, no space.
#[inline(never)]
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + d as u64;
    }
    Some(n)
}

/// The position of `v`'s variant in its enum's declaration (0-based), without a `match`:
/// a `match` giving each variant its number compiles to a jump table (LLVM's switch to
/// lookup table conversion does not run under LTO), this to arithmetic on the tag.
/// `Discriminant` hashes as the variant's discriminant, which for an enum without
/// explicit discriminants is its position (host tests check every message).
pub fn variant_index<T>(v: &T) -> usize {
    struct Take(usize);
    impl core::hash::Hasher for Take {
        fn finish(&self) -> u64 {
            self.0 as u64
        }
        fn write(&mut self, _: &[u8]) {}
        fn write_isize(&mut self, i: isize) {
            self.0 = i as usize;
        }
    }
    let mut h = Take(0);
    core::hash::Hash::hash(&core::mem::discriminant(v), &mut h);
    h.0
}

impl Show for Text {
    fn show(&self, out: &mut Line) {
        out.push_text(*self)
    }
}

/// Something that can be written into a log line.
pub trait Show {
    fn show(&self, out: &mut Line);
}

impl Show for str {
    fn show(&self, out: &mut Line) {
        out.push_str(self)
    }
}
impl<T: Show + ?Sized> Show for &T {
    fn show(&self, out: &mut Line) {
        (**self).show(out)
    }
}
macro_rules! show_unsigned {
    ($($t:ty),*) => {$(impl Show for $t { fn show(&self, out: &mut Line) { out.push_u64(*self as u64) } })*};
}
macro_rules! show_signed {
    ($($t:ty),*) => {$(impl Show for $t { fn show(&self, out: &mut Line) { out.push_i64(*self as i64) } })*};
}
show_unsigned!(u8, u16, u32, u64, usize);
show_signed!(i32, i64);

impl Show for bool {
    fn show(&self, out: &mut Line) {
        out.push_str(if *self { "yes" } else { "no" })
    }
}

/// `0x`-prefixed hex.
pub struct Hex(pub u64);
impl Show for Hex {
    fn show(&self, out: &mut Line) {
        out.push_str("0x");
        out.push_hex(self.0, 1);
    }
}

/// Bytes from an untrusted source (sanitised).
pub struct Untrusted<'a>(pub &'a [u8]);
impl Show for Untrusted<'_> {
    fn show(&self, out: &mut Line) {
        out.push_untrusted(self.0)
    }
}

/// Bytes as lower-case hex digits, no separators (root hashes, salts).
pub struct HexBytes<'a>(pub &'a [u8]);
impl Show for HexBytes<'_> {
    fn show(&self, out: &mut Line) {
        for b in self.0 {
            out.push_byte(HEX[(b >> 4) as usize]);
            out.push_byte(HEX[(b & 15) as usize]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_hex() {
        let mut l = Line::new();
        l.push_u64(0);
        l.push_byte(b' ');
        l.push_u64(18446744073709551615);
        l.push_byte(b' ');
        l.push_i64(-42);
        l.push_byte(b' ');
        Hex(0xdead).show(&mut l);
        l.push_byte(b' ');
        l.push_hex(0x5, 4);
        l.push_byte(b' ');
        HexBytes(&[0xab, 0x01]).show(&mut l);
        assert_eq!(l.as_str(), "0 18446744073709551615 -42 0xdead 0005 ab01");
    }

    #[test]
    fn digits_parse() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"007"), Some(7));
        assert_eq!(parse_u64(b"9999999999999999999"), Some(9_999_999_999_999_999_999));
        for bad in [&b""[..], b"10000000000000000000", b"00000000000000000001", b"1 ", b"-1", b"+1", b"1a", b"\n"] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
        let all: Vec<Option<u8>> = b"09afAFgG/:".iter().map(|&c| hex_digit(c)).collect();
        assert_eq!(all, [Some(0), Some(9), Some(10), Some(15), Some(10), Some(15), None, None, None, None]);
    }

    #[test]
    fn variants_and_message_lists() {
        #[allow(dead_code)]
        enum E {
            A(u16),
            B,
            C { x: u32, y: u8 },
            D,
        }
        // Niche-packed or tagged, the index is the declaration order.
        assert_eq!(
            [E::A(7), E::B, E::C { x: 1, y: 2 }, E::D].iter().map(variant_index).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert_eq!([Some(3u8), None].iter().map(variant_index).collect::<Vec<_>>(), [1, 0]);
        let nth = |n| {
            let mut l = Line::new();
            l.push_nth(crate::msg!("zero\0one\0\0three"), n);
            l.as_str().to_string()
        };
        assert_eq!([nth(0), nth(1), nth(2), nth(3), nth(4)], ["zero", "one", "", "three", ""]);
    }

    #[test]
    fn longer_buffers_and_the_cut_flag() {
        let mut l = Line::with_max(TEXT_MAX);
        for _ in 0..TEXT_MAX - 3 {
            l.push_byte(b'x');
        }
        assert!(!l.is_cut());
        assert_eq!(l.len(), TEXT_MAX - 3);
        l.push_byte(b'y');
        assert!(l.is_cut());
        assert_eq!(l.len(), TEXT_MAX);
        l.clear();
        assert!(!l.is_cut() && l.is_empty());
        assert_eq!(Line::with_max(usize::MAX).max as usize, TEXT_MAX);
    }

    #[test]
    fn untrusted_is_sanitised_and_long_lines_cut() {
        assert_eq!(Line::of(&Untrusted(b"a\x1b[2Jb\xff")).as_str(), "a?[2Jb?");
        let mut l = Line::new();
        for _ in 0..LINE_MAX * 2 {
            l.push_byte(b'x');
        }
        assert_eq!(l.len(), LINE_MAX);
        assert!(l.is_cut());
        assert!(l.as_str().ends_with("xxx..."));
    }
}
