//! Which DDI files on an ESP are tried, in which order, and where their bytes are.
//!
//! `ddiboot.image=` is a path, or a pattern with one `*` in its last component
//! (`DIR/PREFIX*SUFFIX`) that matches versions of the DDI. For a pattern, the directory is
//! listed and the best [`MAX_CANDIDATES`] matches are kept *while listing*, in boot order
//! (newest version first, those without boot tries left last: Boot Loader Specification,
//! "Boot counting"; ties in directory order), so a newest version written last is never
//! dropped. Each kept file's extents are then read from the FAT; a version whose extents
//! cannot be read (a broken chain, too many extents) is skipped and reported, and the
//! others stay candidates.

use crate::format::block::{BlockReader, Extents};
use crate::format::fat::{ChainEnd, DirEntry, FatError, FatVolume};
use crate::format::version::{self, Versioned};
use core::cmp::Ordering;

/// Versions of a DDI considered at most.
pub const MAX_CANDIDATES: usize = 6;

/// One DDI file: its path on the ESP and its extents on the disk.
pub struct Candidate {
    pub path: heapless::Vec<u8, 160>,
    pub extents: Extents,
}

/// The candidates of one ESP, in boot order.
pub type Candidates = heapless::Vec<Candidate, MAX_CANDIDATES>;

/// What [`collect`] reports besides the candidates (the caller logs it).
pub enum Note<'a> {
    /// More versions match than [`MAX_CANDIDATES`]: this one, which boots after all the
    /// kept ones, is left out.
    LeftOut(&'a DirEntry),
    /// This version's extents cannot be read: it is skipped, the others stay.
    Unreadable(&'a [u8], FatError),
    /// This file's cluster chain goes on past its size: the clusters that hold the size
    /// are used (as Linux reads the file; dosfsck would cut the chain), dm-verity judges
    /// the content.
    ChainPastSize(&'a [u8]),
}

/// The last path component.
pub fn file_name(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&c| c == b'/') {
        Some(i) => path.get(i + 1..).unwrap_or(path),
        None => path,
    }
}

/// `ddiboot.image=` with a `*` in its last component: `DIR/PREFIX*SUFFIX`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Pattern<'a> {
    /// The directory, with its trailing `/`.
    pub dir: &'a [u8],
    pub prefix: &'a [u8],
    pub suffix: &'a [u8],
}

impl<'a> Pattern<'a> {
    /// The pattern in `image`, or `None` for a plain path.
    pub fn of(image: &'a [u8]) -> Option<Pattern<'a>> {
        let name = file_name(image);
        let star = name.iter().position(|&c| c == b'*')?;
        let dir = image.get(..image.len() - name.len()).unwrap_or(b"/");
        Some(Pattern { dir, prefix: name.get(..star)?, suffix: name.get(star + 1..)? })
    }

    /// The version in `name` (ASCII), if it matches.
    pub fn matches<'n>(&self, name: &'n [u8]) -> Option<Versioned<'n>> {
        version::match_pattern(self.prefix, self.suffix, name)
    }

    /// The version in a directory entry's name: files with printable ASCII names only.
    fn version_of<'b>(&self, e: &DirEntry, buf: &'b mut [u8; 128]) -> Option<Versioned<'b>> {
        let name = e.name();
        let ascii = buf.get_mut(..name.len()).filter(|_| !e.is_dir())?;
        for (a, &u) in ascii.iter_mut().zip(name) {
            if !(0x20..0x7f).contains(&u) {
                return None;
            }
            *a = u as u8;
        }
        self.matches(ascii)
    }
}

/// The DDI file `image`, or for a pattern the best [`MAX_CANDIDATES`] matching versions
/// in boot order, with their extents, into `out` (emptied first). No match, or no match
/// whose extents can be read, is an error (`NotFound`, or the last extent error).
// Out of line: inlined into the ESP step it costs 304 / 64 bytes more (x86_64 / aarch64,
// docs/size.md).
#[inline(never)]
pub fn collect<R: BlockReader>(
    vol: &mut FatVolume<R>,
    image: &[u8],
    out: &mut Candidates,
    note: &mut dyn FnMut(Note),
) -> Result<(), FatError> {
    out.clear();
    let Some(pat) = Pattern::of(image) else {
        let entry = vol.lookup(image)?;
        return add(vol, out, image, &[], &entry, note);
    };
    let mut kept: heapless::Vec<DirEntry, MAX_CANDIDATES> = heapless::Vec::new();
    vol.list_dir(pat.dir, &mut |e| {
        let mut name = [0; 128];
        let Some(v) = pat.version_of(e, &mut name) else { return true };
        // Insert in boot order (after the equal ones: ties keep the directory order),
        // shifting the later ones down; what falls off the end is left out.
        let boots_before = |k: &DirEntry| {
            let mut kname = [0; 128];
            pat.version_of(k, &mut kname).is_some_and(|kv| version::boot_order(&v, &kv) == Ordering::Less)
        };
        let at = kept.iter().position(boots_before).unwrap_or(kept.len());
        let mut carry = *e;
        for slot in kept.iter_mut().skip(at) {
            core::mem::swap(slot, &mut carry);
        }
        if let Err(left) = kept.push(carry) {
            note(Note::LeftOut(&left));
        }
        true
    })?;
    let mut last = FatError::NotFound;
    for e in &kept {
        if let Err(err) = add(vol, out, pat.dir, e.name(), e, note) {
            if let Some(c) = out.pop() {
                note(Note::Unreadable(&c.path, err));
            }
            last = err;
        }
    }
    if out.is_empty() {
        return Err(last);
    }
    Ok(())
}

/// Add the file `e` as the candidate `dir` + `name` (ASCII, checked by the caller).
fn add<R: BlockReader>(
    vol: &mut FatVolume<R>,
    out: &mut Candidates,
    dir: &[u8],
    name: &[u16],
    e: &DirEntry,
    note: &mut dyn FnMut(Note),
) -> Result<(), FatError> {
    // Filled in place: a `Candidate` is ~1.2 KiB.
    if out.push(Candidate { path: heapless::Vec::new(), extents: Extents::new() }).is_err() {
        return Ok(());
    }
    let Some(c) = out.last_mut() else { return Ok(()) };
    for &b in dir {
        let _ = c.path.push(b);
    }
    for &u in name {
        let _ = c.path.push(u as u8);
    }
    if vol.extents_into(e, &mut c.extents)? == ChainEnd::PastSize {
        note(Note::ChainPastSize(&c.path));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_file_names() {
        assert_eq!(file_name(b"/EFI/Linux/os_*.raw"), b"os_*.raw");
        assert_eq!(file_name(b"os.raw"), b"os.raw");
        assert_eq!(file_name(b"/EFI/"), b"");
        assert_eq!(
            Pattern::of(b"/EFI/Linux/os_*.raw"),
            Some(Pattern { dir: b"/EFI/Linux/", prefix: b"os_", suffix: b".raw" })
        );
        assert_eq!(Pattern::of(b"/os*"), Some(Pattern { dir: b"/", prefix: b"os", suffix: b"" }));
        assert_eq!(Pattern::of(b"/EFI/Linux/rootfs.raw"), None);
        // A `*` in a directory is not a pattern (the file name has none).
        assert_eq!(Pattern::of(b"/EFI/*/rootfs.raw"), None);
        let p = Pattern::of(b"/EFI/Linux/os_*.raw").unwrap();
        assert_eq!(p.matches(b"OS_2.RAW").map(|v| v.version), Some(&b"2"[..]));
        assert!(p.matches(b"os_.raw").is_none());
        assert!(p.matches(b"other_2.raw").is_none());
    }
}
