//! How a path component names a directory entry (SPECS.md §7.6): ASCII letters compare
//! case-insensitively against the long name or the 8.3 name; other characters must be
//! equal code units (no Unicode case folding, by policy).

/// Short-name match: upper-case the query, split at the last `.`, pad 8+3 (§7.6).
pub(super) fn short_matches(short: &[u8; 11], q: &[u8]) -> bool {
    let (base, ext) = match q.iter().rposition(|&b| b == b'.') {
        Some(i) => (q.get(..i).unwrap_or(q), q.get(i + 1..).unwrap_or(&[])),
        None => (q, &[][..]),
    };
    if base.is_empty() || base.len() > 8 || ext.len() > 3 {
        return false;
    }
    let mut want = [b' '; 11];
    let (want_base, want_ext) = want.split_at_mut(8);
    want_base.iter_mut().zip(base).for_each(|(w, &b)| *w = b);
    want_ext.iter_mut().zip(ext).for_each(|(w, &b)| *w = b);
    want.eq_ignore_ascii_case(short)
}

/// Long-name match: the UTF-8 query as UTF-16, ASCII letters folded (§7.6).
pub(super) fn long_matches(name: &[u16], q: &[u8]) -> bool {
    let fold = |u: u16| if (0x61..=0x7a).contains(&u) { u - 0x20 } else { u };
    let mut rest = name;
    let mut i = 0;
    while let Some(rest_q) = q.get(i..).filter(|r| !r.is_empty()) {
        let Some((c, n)) = utf8_next(rest_q) else { return false };
        i += n;
        let mut buf = [0u16; 2];
        for &u in c.encode_utf16(&mut buf).iter() {
            match rest.split_first() {
                Some((&v, r)) if fold(v) == fold(u) => rest = r,
                _ => return false,
            }
        }
    }
    rest.is_empty()
}

/// The first UTF-8 character of `s` and its length; None if malformed or overlong.
pub(super) fn utf8_next(s: &[u8]) -> Option<(char, usize)> {
    let b0 = *s.first()? as u32;
    let (n, mut cp, min) = match b0 {
        0x00..=0x7F => return Some((b0 as u8 as char, 1)),
        0xC0..=0xDF => (2, b0 & 0x1F, 0x80),
        0xE0..=0xEF => (3, b0 & 0x0F, 0x800),
        0xF0..=0xF7 => (4, b0 & 0x07, 0x1_0000),
        _ => return None,
    };
    for k in 1..n {
        let b = *s.get(k)? as u32;
        if b & 0xC0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    if cp < min {
        return None;
    }
    Some((char::from_u32(cp)?, n))
}
