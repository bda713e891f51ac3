//! Message text stored packed: the words and fragments that ddiboot's messages share
//! ("the ", "partition", "verity ", ...) are kept once, in [`WORDS`], and each use of one in
//! a message is the single byte `0x80 + i`. Packing happens at compile time ([`msg!`](crate::msg),
//! const fns, no proc macro); [`Line::push_text`](crate::text::Line::push_text) writes the
//! text back out byte for byte, so the console and kmsg see exactly what was written in the
//! source (docs/size.md, seventh pass).
//!
//! Only [`msg!`](crate::msg) makes a [`Text`], from a string literal (or `concat!`) that must be ASCII
//! (a compile error otherwise): bytes read at run time (names from the ESP, the command
//! line) can never be taken for dictionary tokens. They keep going through
//! [`Line::push_untrusted`](crate::text::Line::push_untrusted), which shows any byte
//! >= 0x80 as `?`.
//!
//! A [`Text`] is one pointer, to packed bytes that end in [`END`]: a `&[u8]` would pass a
//! length too, one more instruction at each of the ~250 places a message is passed or
//! stored (-720 / -896 bytes measured, docs/size.md). Reading up to the end marker is the
//! one `unsafe` here ([`Bytes`]); it is sound because only [`Text::of`] makes a `Text`,
//! from a [`Packed`] array that [`Packing::packed`] ended with the marker, or from the
//! dictionary, which `join` ends the same way.
//!
//! The dictionary was chosen by measured saving: `cargo test --release --lib -- --ignored
//! --nocapture suggest_dictionary` reads every packed literal in `src/` and chooses words
//! and fragments one at a time by what they save (uses × (length - 1) - (length + 1)) after
//! the entries already chosen (`rank` has the details). Rerun it after adding many
//! messages; a new literal needs nothing (it is packed with whatever entries fit it).
//!
//! Decoding finds entry `i` through a table of where each entry starts, filled on first
//! use in `.bss` (walking the entries before it cost ~0.4 ms of QEMU guest time a boot;
//! the table as a constant would be 254 bytes more).

use core::sync::atomic::{AtomicBool, AtomicU16, Ordering::Relaxed};

/// The dictionary, entry `i` stands for byte `0x80 + i`. ASCII only, no NUL, no empty
/// entry, at most 127 entries, so that no token is [`END`] (checked at compile time and by
/// the tests). In the order `suggest_dictionary` chose them (most saving first). Order does
/// not matter for packing (the longest match wins) nor for decoding ([`word`]).
pub const WORDS: &[&str] = &[
    " the ",
    "partition",
    "verity",
    "ing",
    "ot ",
    "signature",
    "er",
    "unsupported ",
    "s ",
    "e ",
    "block",
    "no ",
    "DevicePartUUID",
    "root",
    "DDI",
    "or",
    "module",
    "clust",
    "on",
    "ddiboot",
    "ed",
    "th",
    "hash",
    ": ",
    "re",
    "an",
    "in",
    "t ",
    "ad",
    "device",
    "ou",
    "too ",
    "ENO",
    "data ",
    " size",
    " byte",
    " entry array ",
    "ESP ",
    "ch",
    "us",
    "al",
    "ign",
    "boot",
    "32 to 128 hex digits",
    "ar",
    "able",
    "; ",
    "JSON ",
    "ect",
    "en",
    "of",
    "at",
    " sup",
    "disk",
    "fail",
    "nel ",
    "st",
    " i",
    "a ",
    "de",
    "file",
    "d ",
    " (",
    "app",
    "back",
    "hold",
    "ROOT IS NOT ",
    ", ",
    "ext",
    "lo",
    "pti",
    "ts",
    "VERI",
    "prim",
    "it",
    "me",
    "y ",
    "FAT",
    "ash",
    "nt",
    " s",
    "crc mism",
    "ng",
    "di",
    "ol",
    "ov",
    " a",
    " to",
    " t",
    "CONFIG_",
    "com",
    "ct",
    "doe",
    "gic",
    "gp",
    " h",
    " l",
    "ec",
    "ge",
    "et",
    "fi",
    "ru",
    "up",
    "n ",
    " n",
    "is",
    " whil",
    "64",
    "EI",
    "FI",
    "GPT",
    "KEY",
    "Lo",
    "ne",
    "pow",
    "siz",
    "skipp",
    "ta",
    " o",
    "r ",
    "op",
    "4096",
    "EBAD",
    "ED",
    "EN",
    "ER",
    "OO",
];

/// Panics at compile time when `words` is not a valid dictionary.
const fn check_words(words: &[&str]) {
    assert!(words.len() < (END - 0x80) as usize + 1, "at most 127 dictionary entries");
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_bytes();
        assert!(!w.is_empty(), "empty dictionary entry");
        let mut j = 0;
        while j < w.len() {
            assert!(w[j] != 0 && w[j] < 0x80, "dictionary entries are ASCII without NUL");
            j += 1;
        }
        i += 1;
    }
}

const fn dict_len(words: &[&str]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < words.len() {
        n += words[i].len() + 1;
        i += 1;
    }
    n
}

/// The byte after the last of every packed text: a [`Text`] is a pointer, not a slice. Not
/// ASCII and not a token (the dictionary has fewer than 128 entries).
pub const END: u8 = 0xff;

/// Bytes of the dictionary as stored: each entry and its NUL, and [`END`].
pub const DICT_LEN: usize = dict_len(WORDS) + 1;

/// `words`, each followed by a NUL, then [`END`]; `N` is their length plus one.
const fn join<const N: usize>(words: &[&str]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_bytes();
        let mut j = 0;
        while j < w.len() {
            out[at] = w[j];
            at += 1;
            j += 1;
        }
        at += 1; // the NUL
        i += 1;
    }
    assert!(at + 1 == N);
    out[at] = END;
    out
}

/// The entries as one string, each followed by a NUL (shown by `Line::push_nth`).
static DICT_BYTES: [u8; DICT_LEN] = join::<DICT_LEN>(WORDS);

/// The dictionary as a [`Text`] (its entries hold no byte >= 0x80, so it decodes as itself).
#[cfg(test)]
const DICT: Text = Text(DICT_BYTES.as_ptr());

/// Where each dictionary entry starts in the stored dictionary, filled on first use: a
/// token is shown without walking the entries before it (that walk cost ~0.4 ms of QEMU
/// guest time a boot on x86_64, a few tokens in every line). Atomics only so that a
/// `static` may be filled at run time without `unsafe`: ddiboot runs one thread.
static STARTS: [AtomicU16; WORDS.len()] = [const { AtomicU16::new(0) }; WORDS.len()];
static STARTS_READY: AtomicBool = AtomicBool::new(false);

/// Dictionary entry `i` (the token `0x80 + i`), up to the NUL that ends it; the empty
/// text when there is no entry `i`.
pub fn word(i: usize) -> Text {
    if !STARTS_READY.load(Relaxed) {
        let mut at = 0;
        for slot in &STARTS {
            slot.store(at as u16, Relaxed);
            while DICT_BYTES.get(at).is_some_and(|&b| b != 0) {
                at += 1;
            }
            at += 1;
        }
        STARTS_READY.store(true, Relaxed);
    }
    let start = STARTS.get(i).map_or(DICT_LEN, |s| s.load(Relaxed) as usize);
    // At or before the closing `END` (the last byte): `Text`'s invariant.
    Text(DICT_BYTES.as_ptr().wrapping_add(start.min(DICT_LEN - 1)))
}

/// The entries grouped by first byte, longest first within a group, so that packing tries
/// only the few entries that can match and stops at the first that does (const evaluation
/// is slow: trying all 128 entries at every position of ~300 literals took ~12 s a build).
pub struct Index<'w> {
    words: &'w [&'w str],
    /// Entry numbers, by (first byte, length descending).
    order: [u8; 127],
    /// The group of first byte `c` is `order[start[c]..start[c + 1]]`.
    start: [u8; 129],
}

impl<'w> Index<'w> {
    /// The index of a valid dictionary (`check_words`).
    pub const fn new(words: &'w [&'w str]) -> Self {
        check_words(words);
        let mut order = [0u8; 127];
        let mut start = [0u8; 129];
        // Insertion sort of the entry numbers by (first byte, length descending).
        let mut i = 0;
        while i < words.len() {
            let w = words[i].as_bytes();
            let mut j = i;
            while j > 0 {
                let v = words[order[j - 1] as usize].as_bytes();
                if v[0] < w[0] || (v[0] == w[0] && v.len() >= w.len()) {
                    break;
                }
                order[j] = order[j - 1];
                j -= 1;
            }
            order[j] = i as u8;
            i += 1;
        }
        // start[c]: how many entries begin with a byte below c.
        let mut c = 0;
        let mut k = 0;
        while c < 128 {
            while k < words.len() && (words[order[k] as usize].as_bytes()[0] as usize) < c {
                k += 1;
            }
            start[c] = k as u8;
            c += 1;
        }
        start[128] = words.len() as u8;
        Index { words, order, start }
    }

    /// The longest entry that matches `s` at `at`: `(token, length)`, length 0 when none
    /// does (`s[at]` is ASCII).
    const fn longest_match(&self, s: &[u8], at: usize) -> (u8, usize) {
        let c = s[at] as usize;
        let mut k = self.start[c] as usize;
        while k < self.start[c + 1] as usize {
            let i = self.order[k] as usize;
            let w = self.words[i].as_bytes();
            if at + w.len() <= s.len() {
                let mut j = 1;
                while j < w.len() && s[at + j] == w[j] {
                    j += 1;
                }
                if j == w.len() {
                    return (0x80 + i as u8, w.len());
                }
            }
            k += 1;
        }
        (0, 0)
    }

    /// The length of `s` packed, and the packed bytes when `out` is long enough. Greedy:
    /// at each position the longest entry that matches, else the byte itself.
    pub const fn pack_into(&self, s: &str, out: &mut [u8]) -> usize {
        let s = s.as_bytes();
        let mut at = 0;
        let mut n = 0;
        while at < s.len() {
            assert!(s[at] < 0x80, "message text must be ASCII");
            let (token, len) = self.longest_match(s, at);
            let (b, len) = if len == 0 { (s[at], 1) } else { (token, len) };
            if n < out.len() {
                out[n] = b;
            }
            n += 1;
            at += len;
        }
        n
    }
}

/// [`WORDS`] indexed, once for all literals.
const INDEX: Index = Index::new(WORDS);

/// A literal of `L` bytes packed into its first `len` bytes (at most `L`): the one matching
/// pass; [`Packed`] keeps only those bytes, and [`END`].
pub struct Packing<const L: usize> {
    bytes: [u8; L],
    len: usize,
}

impl<const L: usize> Packing<L> {
    /// `s` (of `L` bytes) packed with [`WORDS`].
    pub const fn of(s: &str) -> Self {
        let mut bytes = [0u8; L];
        let len = INDEX.pack_into(s, &mut bytes);
        assert!(s.len() == L && len <= L);
        Packing { bytes, len }
    }

    /// The length of the stored form, [`END`] included (the `N` of [`Packing::packed`]).
    pub const fn stored_len(&self) -> usize {
        self.len + 1
    }

    /// The packed bytes and [`END`]; `N` is [`Packing::stored_len`].
    pub const fn packed<const N: usize>(&self) -> Packed<N> {
        assert!(N == self.len + 1);
        let mut out = [END; N];
        let mut i = 0;
        while i < self.len {
            out[i] = self.bytes[i];
            i += 1;
        }
        Packed(out)
    }
}

/// Packed text of `N - 1` bytes and [`END`]: made only by [`Packing::packed`], so a
/// [`Text`] made from it holds the packing of an ASCII literal, and its end marker.
pub struct Packed<const N: usize>([u8; N]);

/// A packed message text: made only by [`msg!`](crate::msg), shown by `Line::push_text` (or, for a list
/// of NUL-separated messages, by `Line::push_nth`). A pointer to the first of its packed
/// bytes, which end at the first [`END`].
#[derive(Clone, Copy, Debug)]
pub struct Text(*const u8);

// SAFETY: a `Text` only reads immutable `'static` bytes (a `Packed` constant or the
// dictionary), which any thread may read.
#[allow(unsafe_code)]
unsafe impl Sync for Text {}
// SAFETY: as for `Sync`.
#[allow(unsafe_code)]
unsafe impl Send for Text {}

impl Text {
    /// For [`msg!`](crate::msg) only.
    #[doc(hidden)]
    pub const fn of<const N: usize>(p: &'static Packed<N>) -> Text {
        Text(p.0.as_ptr())
    }

    /// The packed bytes, up to [`END`].
    pub fn bytes(self) -> Bytes {
        Bytes(self.0)
    }

    /// How many NUL-separated messages the text holds.
    #[cfg(test)]
    pub fn count(self) -> usize {
        self.bytes().filter(|&b| b == 0).count() + 1
    }

    /// The packed bytes, collected.
    #[cfg(test)]
    pub fn packed(self) -> Vec<u8> {
        self.bytes().collect()
    }

    /// The text unpacked (NULs kept).
    #[cfg(test)]
    pub fn unpack(self) -> String {
        let mut s = String::new();
        for b in self.bytes() {
            match b {
                0..0x80 => s.push(b as char),
                _ => s.push_str(WORDS[(b - 0x80) as usize]),
            }
        }
        s
    }
}

/// Texts are equal when their packed bytes are (the same literal packs the same way).
impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.bytes().eq(other.bytes())
    }
}
impl Eq for Text {}

/// The packed bytes of a [`Text`], up to its [`END`]. Invariant: the pointer is at or
/// before the `END` that closes the array it points into.
pub struct Bytes(*const u8);

impl Iterator for Bytes {
    type Item = u8;

    #[allow(unsafe_code)]
    fn next(&mut self) -> Option<u8> {
        // SAFETY: by the invariant, the pointer is inside a `'static` array (a `Packed` or
        // the dictionary) at or before its closing `END`: in bounds, initialised, immutable.
        let b = unsafe { *self.0 };
        if b == END {
            return None;
        }
        // SAFETY: `b` is not the closing `END`, which comes later in the same array, so the
        // next byte is in bounds as well; the invariant holds.
        self.0 = unsafe { self.0.add(1) };
        Some(b)
    }
}

/// `msg!("literal")`: the literal (or `concat!` of literals), packed at compile time, as a
/// [`Text`]. It must be ASCII.
#[macro_export]
macro_rules! msg {
    ($s:expr) => {{
        const __S: &str = $s;
        const __L: usize = __S.len();
        const __F: $crate::packed::Packing<__L> = $crate::packed::Packing::of(__S);
        const __N: usize = __F.stored_len();
        const __P: &$crate::packed::Packed<__N> = &__F.packed::<__N>();
        const __T: $crate::packed::Text = $crate::packed::Text::of(__P);
        __T
    }};
}

#[cfg(test)]
mod rank;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Line;

    /// `s` packed with `words` (as `msg!` packs with [`WORDS`]).
    fn pack_with(words: &[&str], s: &str) -> Vec<u8> {
        let index = Index::new(words);
        let mut out = vec![0; index.pack_into(s, &mut [])];
        assert_eq!(index.pack_into(s, &mut out), out.len());
        out
    }

    /// `packed` unpacked with `words`.
    fn unpack_with(words: &[&str], packed: &[u8]) -> String {
        packed
            .iter()
            .map(|&b| if b < 0x80 { (b as char).to_string() } else { words[b as usize - 0x80].to_string() })
            .collect()
    }

    #[test]
    fn the_dictionary_is_valid() {
        assert!(!WORDS.is_empty() && WORDS.len() <= 127);
        for w in WORDS {
            assert!(!w.is_empty(), "empty entry");
            assert!(w.bytes().all(|b| b != 0 && b < 0x80), "{w:?}: not ASCII without NUL");
        }
        let distinct: std::collections::HashSet<_> = WORDS.iter().collect();
        assert_eq!(distinct.len(), WORDS.len(), "an entry twice");
        // The stored form: each entry and a NUL, nothing else; no byte that would decode as
        // a token (so `push_nth` on it cannot recurse further).
        assert_eq!(DICT.packed().len() + 1, DICT_LEN);
        assert!(DICT.packed().iter().all(|&b| b < 0x80));
        assert_eq!(DICT_BYTES.last(), Some(&END));
        for (i, w) in WORDS.iter().enumerate() {
            assert_eq!(Line::of(&word(i)).as_str(), *w);
        }
        assert_eq!(Line::of(&word(WORDS.len())).as_str(), "");
        assert_eq!(DICT.unpack(), WORDS.iter().map(|w| format!("{w}\0")).collect::<String>());
        for (i, w) in WORDS.iter().enumerate() {
            let mut l = Line::new();
            l.push_nth(DICT, i);
            assert_eq!(l.as_str(), *w);
        }
    }

    #[test]
    fn packing_round_trips() {
        let words = ["part", "partition", "the ", "ion", "x"];
        let cases = [
            ("", vec![]),
            // No entry at all.
            ("abc", b"abc".to_vec()),
            // A literal that is itself an entry, and adjacent entries.
            ("partition", vec![0x81]),
            ("the the partition", vec![0x82, 0x82, 0x81]),
            // The longest entry wins ("partition", not "part" then "ition").
            ("partitions", vec![0x81, b's']),
            ("parts", vec![0x80, b's']),
            // An entry at the very start and the very end, and one cut short by the end.
            ("ion x", vec![0x83, b' ', 0x84]),
            ("the", b"the".to_vec()),
            ("parti", vec![0x80, b'i']),
            // NULs stay separators: no entry matches across one.
            ("par\0tition\0x", vec![b'p', b'a', b'r', 0, b't', b'i', b't', 0x83, 0, 0x84]),
        ];
        for (s, want) in cases {
            let got = pack_with(&words, s);
            assert_eq!(got, want, "{s:?}");
            assert_eq!(unpack_with(&words, &got), s);
        }
        // Every entry on its own, at each boundary with plain text and with every other entry.
        for a in WORDS {
            for s in [a.to_string(), format!("<{a}"), format!("{a}>"), format!("<{a}>")] {
                assert_eq!(unpack_with(WORDS, &pack_with(WORDS, &s)), s);
            }
            assert_eq!(pack_with(WORDS, a).len(), 1, "{a:?} is not one token");
            for b in WORDS {
                let s = format!("{a}{b}");
                assert_eq!(unpack_with(WORDS, &pack_with(WORDS, &s)), s);
            }
        }
    }

    #[test]
    fn msg_packs_at_compile_time_and_shows_the_text() {
        const T: Text = msg!("the partition table of the DDI");
        assert!(T.packed().len() < "the partition table of the DDI".len());
        assert_eq!(Line::of(&T).as_str(), "the partition table of the DDI");
        assert_eq!(Line::of(&msg!("")).as_str(), "");
        assert_eq!(Line::of(&msg!(concat!("a", "b"))).as_str(), "ab");
        let list = msg!("verity superblock: \0the partition\0x");
        assert_eq!(list.count(), 3);
        let nth = |n| {
            let mut l = Line::new();
            l.push_nth(list, n);
            l.as_str().to_string()
        };
        assert_eq!([nth(0), nth(1), nth(2), nth(3)], ["verity superblock: ", "the partition", "x", ""]);
    }

    #[test]
    fn every_packed_text_round_trips() {
        let texts = rank::packed_texts();
        assert!(texts.len() > 200, "{} texts found in src/", texts.len());
        for t in &texts {
            assert_eq!(unpack_with(WORDS, &pack_with(WORDS, t)), *t);
        }
    }

    /// Prints what the dictionary saves and a dictionary chosen from scratch (see `rank`).
    #[test]
    #[ignore]
    fn suggest_dictionary() {
        let texts = rank::packed_texts();
        let plain: usize = texts.iter().map(|t| t.len()).sum();
        println!("{} distinct texts, {plain} bytes plain", texts.len());
        println!("WORDS ({} entries): {} bytes packed, dictionary included", WORDS.len(), rank::total(&texts, WORDS));
        let chosen = rank::choose(&texts, 127);
        let refs: Vec<&str> = chosen.iter().map(|w| w.as_str()).collect();
        println!("chosen ({} entries): {} bytes packed, dictionary included", refs.len(), rank::total(&texts, &refs));
        for w in &chosen {
            println!("    {w:?},");
        }
    }
}
