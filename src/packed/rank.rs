//! How [`WORDS`](super::WORDS) is chosen (host only): every literal that ddiboot packs is
//! read from `src/`, and words and fragments are ranked by the bytes they would save.
//!
//! ```sh
//! cargo test --release --lib -- --ignored --nocapture suggest_dictionary
//! ```
//!
//! prints what the current dictionary saves, then a dictionary chosen from scratch, entry
//! by entry: at each round the fragment that saves the most bytes given the entries chosen
//! before it (its uses after packing with them × (length - 1), minus its own length + 1 for
//! the entry and its NUL). Candidates are the substrings of what is still unpacked; the best
//! few hundred by that estimate are packed for real (greedy longest match, as `msg!` packs)
//! to pick the round's winner.

use super::Index;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The macros whose string literal arguments are packed (`log!` and the level macros pack
/// a literal that is a whole argument; `msg!` packs everything in it, `concat!` pieces too).
const LOG_MACROS: [&str; 5] = ["log", "error", "warn", "info", "debug"];

/// Every distinct text ddiboot packs (identical literals are one constant in the binary),
/// split at its NULs (no entry can match across one).
pub fn packed_texts() -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        for lit in literals(&product_part(&src)) {
            for piece in lit.split('\0') {
                if !piece.is_empty() && seen.insert(piece.to_string()) {
                    out.push(piece.to_string());
                }
            }
        }
    }
    // Made by `stringify!`, not written as literals: the errno names.
    for name in crate::errno::names().unpack().split('\0') {
        if seen.insert(name.to_string()) {
            out.push(name.to_string());
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_str().unwrap();
        if p.is_dir() {
            rust_files(&p, out);
        } else if name.ends_with(".rs") && name != "tests.rs" && !name.starts_with("test_") && name != "rank.rs" {
            out.push(p);
        }
    }
}

/// The source without its `#[cfg(test)]` items: a `mod tests {` runs to the end of the file
/// (where ddiboot keeps them), a `mod x;` is one line, anything else one braced item.
fn product_part(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let line_end = after.find('\n').map_or(after.len(), |n| n + 1);
        let next = after[line_end..].trim_start();
        if next.starts_with("mod ") && next.find(';') < next.find('{') {
            let semi = line_end + after[line_end..].find(';').unwrap() + 1;
            rest = &after[semi..];
        } else if next.starts_with("mod ") {
            return out;
        } else {
            let open = after.find('{').unwrap();
            let mut depth = 0;
            let mut end = after.len();
            for (k, c) in after[open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + k + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    out
}

/// The packed string literals of `src`, unescaped.
fn literals(src: &str) -> Vec<String> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    // The open brackets: the macro each belongs to, if it is a `name!(`.
    let mut stack: Vec<Option<String>> = Vec::new();
    let mut i = 0;
    // The last significant byte before a literal (`(` or `,` when it starts an argument).
    let mut prev = b' ';
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            i += b[i..].iter().position(|&x| x == b'\n').unwrap_or(b.len() - i);
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += src[i..].find("*/").unwrap() + 2;
            continue;
        }
        if c == b'\'' {
            // A char literal ('x', '\n', '\'') or a lifetime ('a).
            if b.get(i + 1) == Some(&b'\\') {
                i += 2 + b[i + 2..].iter().position(|&x| x == b'\'').unwrap() + 1;
            } else if b.get(i + 2) == Some(&b'\'') {
                i += 3;
            } else {
                i += 1;
            }
            prev = b'x';
            continue;
        }
        let word_start = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        let raw = word_start && (c == b'r' || (c == b'b' && b.get(i + 1) == Some(&b'r')));
        if raw {
            let r = if c == b'r' { i + 1 } else { i + 2 };
            let hashes = b[r..].iter().take_while(|&&x| x == b'#').count();
            if b.get(r + hashes) == Some(&b'"') {
                let close = format!("\"{}", "#".repeat(hashes));
                let body = r + hashes + 1;
                i = body + src[body..].find(&close).unwrap() + close.len();
                prev = b'x';
                continue;
            }
        }
        let prefixed = word_start && (c == b'b' || c == b'c') && b.get(i + 1) == Some(&b'"');
        if c == b'"' || prefixed {
            let start = if prefixed { i + 2 } else { i + 1 };
            let (text, end) = unescape(&src[start..]);
            i = start + end;
            let after = src[i..].trim_start().as_bytes().first().copied().unwrap_or(b' ');
            let whole_arg = (prev == b'(' || prev == b',') && (after == b',' || after == b')');
            let packed = !prefixed && stack.iter().any(|m| m.as_deref() == Some("msg"))
                || (!prefixed
                    && whole_arg
                    && stack.last().is_some_and(|m| m.as_deref().is_some_and(|m| LOG_MACROS.contains(&m))));
            if packed {
                out.push(text);
            }
            prev = b'x';
            continue;
        }
        match c {
            b'(' | b'[' | b'{' => {
                let head = src[..i].trim_end();
                let name = head
                    .strip_suffix('!')
                    .map(|h| h.rsplit(|ch: char| !(ch.is_alphanumeric() || ch == '_')).next().unwrap().to_string());
                stack.push(name);
            }
            b')' | b']' | b'}' => {
                stack.pop();
            }
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            prev = c;
        }
        i += 1;
    }
    out
}

/// A string literal's text from just after its opening quote: (text, bytes up to and
/// including the closing quote).
fn unescape(s: &str) -> (String, usize) {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    loop {
        match b[i] {
            b'"' => return (out, i + 1),
            b'\\' => {
                i += 1;
                match b[i] {
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'0' => out.push('\0'),
                    b'x' => {
                        out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap() as char);
                        i += 2;
                    }
                    b'\n' => {
                        while b[i + 1].is_ascii_whitespace() {
                            i += 1;
                        }
                    }
                    c => out.push(c as char),
                }
                i += 1;
            }
            _ => {
                let ch = s[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
}

/// Bytes of `texts` packed with `words`, the dictionary included (each entry and its NUL).
pub fn total(texts: &[String], words: &[&str]) -> usize {
    let index = Index::new(words);
    texts.iter().map(|t| index.pack_into(t, &mut [])).sum::<usize>() + words.iter().map(|w| w.len() + 1).sum::<usize>()
}

/// The unpacked runs of `t` packed with `words` (what later entries can still take).
fn plain_runs(t: &str, words: &[&str]) -> Vec<String> {
    let index = Index::new(words);
    let s = t.as_bytes();
    let mut runs = vec![String::new()];
    let mut at = 0;
    while at < s.len() {
        let (_, len) = index.longest_match(s, at);
        if len == 0 {
            runs.last_mut().unwrap().push(s[at] as char);
            at += 1;
        } else {
            runs.push(String::new());
            at += len;
        }
    }
    runs
}

/// A dictionary of at most `max` entries chosen round by round (see the module's comment).
pub fn choose(texts: &[String], max: usize) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    while words.len() < max {
        let refs: Vec<&str> = words.iter().map(|w| w.as_str()).collect();
        // Estimate: non-overlapping uses in the unpacked runs.
        let mut uses: HashMap<&str, usize> = HashMap::new();
        let runs: Vec<String> = texts.iter().flat_map(|t| plain_runs(t, &refs)).collect();
        for r in &runs {
            for len in 2..=r.len().min(40) {
                let mut last_end: HashMap<&str, usize> = HashMap::new();
                for start in 0..=r.len() - len {
                    let sub = &r[start..start + len];
                    if last_end.get(sub).is_none_or(|&e| start >= e) {
                        last_end.insert(sub, start + len);
                        *uses.entry(sub).or_default() += 1;
                    }
                }
            }
        }
        let mut cands: Vec<(i64, &str)> = uses
            .iter()
            .map(|(s, &n)| (n as i64 * (s.len() as i64 - 1) - (s.len() as i64 + 1), *s))
            .filter(|&(g, _)| g > 0)
            .collect();
        cands.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        cands.truncate(300);
        // Exact: pack the texts holding the candidate with and without it.
        let mut best: Option<(i64, String)> = None;
        for &(_, cand) in &cands {
            let mut with = refs.clone();
            with.push(cand);
            let (before, after) = (Index::new(&refs), Index::new(&with));
            let gain: i64 = texts
                .iter()
                .filter(|t| t.contains(cand))
                .map(|t| before.pack_into(t, &mut []) as i64 - after.pack_into(t, &mut []) as i64)
                .sum::<i64>()
                - (cand.len() as i64 + 1);
            if best.as_ref().is_none_or(|(g, _)| gain > *g) {
                best = Some((gain, cand.to_string()));
            }
        }
        match best {
            Some((gain, w)) if gain > 0 => words.push(w),
            _ => break,
        }
    }
    words
}
