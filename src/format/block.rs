//! The one interface the format code reads through: "read these bytes at this byte
//! offset". Implemented by an open block device or file (`sys::fs::Device`: the disks,
//! the in-memory DDI's loop device, the mapped root), by byte slices (`SliceReader`: host
//! tests and fuzzers) and by `ExtentReader` (a file seen through its extents on the disk).

use crate::errno::Errno;
use crate::text::{variant_index, Line, Show};

/// Why a read failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReadError {
    /// The range lies (partly) outside the source.
    OutOfRange,
    /// The source ended before the range did (short read at EOF).
    Short,
    /// The kernel refused the read.
    Errno(Errno),
}

impl Show for ReadError {
    fn show(&self, out: &mut Line) {
        // One message per variant, in declaration order (`text::push_nth`).
        out.push_nth(msg!("read outside the device\0short read\0read failed: "), variant_index(self));
        if let ReadError::Errno(e) = self {
            e.show(out)
        }
    }
}

/// `a / b` rounded up, and 0 for `b == 0`: `u64::div_ceil` without its divide-by-zero
/// panic (a panic site costs a call, a location record and its file name; the callers
/// only divide by validated, non-zero sizes).
pub fn div_ceil(a: u64, b: u64) -> u64 {
    match core::num::NonZeroU64::new(b) {
        Some(b) => a / b + (a % b != 0) as u64,
        None => 0,
    }
}

/// A source of bytes addressed by byte offset.
pub trait BlockReader {
    /// Fill all of `buf` from byte offset `offset`, or fail.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError>;
    /// Size of the source in bytes.
    fn size(&self) -> u64;
}

impl<R: BlockReader + ?Sized> BlockReader for &mut R {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        (**self).read_at(offset, buf)
    }
    fn size(&self) -> u64 {
        (**self).size()
    }
}

/// A memory image (host tests and fuzzers; the in-memory DDI is read through its loop device).
pub struct SliceReader<'a>(pub &'a [u8]);

impl BlockReader for SliceReader<'_> {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let end = offset.checked_add(buf.len() as u64).ok_or(ReadError::OutOfRange)?;
        if end > self.0.len() as u64 {
            return Err(ReadError::OutOfRange);
        }
        buf.copy_from_slice(&self.0[offset as usize..end as usize]);
        Ok(())
    }
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
}

/// A contiguous run of a file on the underlying device, in bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Extent {
    /// Byte offset on the device.
    pub offset: u64,
    /// Length in bytes (> 0).
    pub len: u64,
}

/// The most extents one file may have. A DDI copied onto a healthy ESP has a handful;
/// each becomes one dm-linear target, so this also bounds the dm table size.
pub const MAX_EXTENTS: usize = 64;

/// A file's extents in file order.
pub type Extents = heapless::Vec<Extent, MAX_EXTENTS>;

/// Reads a file through its extents on a device, as if it were a device itself.
pub struct ExtentReader<'a, R: BlockReader> {
    pub dev: R,
    pub extents: &'a [Extent],
    size: u64,
}

impl<'a, R: BlockReader> ExtentReader<'a, R> {
    pub fn new(dev: R, extents: &'a [Extent]) -> Self {
        let size = extents.iter().map(|e| e.len).fold(0u64, |a, b| a.saturating_add(b));
        ExtentReader { dev, extents, size }
    }
}

impl<R: BlockReader> BlockReader for ExtentReader<'_, R> {
    fn read_at(&mut self, mut offset: u64, mut buf: &mut [u8]) -> Result<(), ReadError> {
        let end = offset.checked_add(buf.len() as u64).ok_or(ReadError::OutOfRange)?;
        if end > self.size {
            return Err(ReadError::OutOfRange);
        }
        let mut base = 0u64; // file offset where the current extent starts
        for e in self.extents {
            if buf.is_empty() {
                break;
            }
            let ext_end = base + e.len;
            if offset < ext_end {
                let within = offset - base;
                let n = core::cmp::min(e.len - within, buf.len() as u64) as usize;
                let (now, rest) = buf.split_at_mut(n);
                self.dev.read_at(e.offset + within, now)?;
                buf = rest;
                offset += n as u64;
            }
            base = ext_end;
        }
        Ok(())
    }
    fn size(&self) -> u64 {
        self.size
    }
}

/// The part of a file's extents that covers file bytes `[offset, offset + len)`, as
/// extents on the device. `None` if the range is not inside the file or needs more than
/// `MAX_EXTENTS` pieces.
pub fn sub_extents(all: &[Extent], offset: u64, len: u64) -> Option<Extents> {
    let mut out = Extents::new();
    sub_extents_into(all, offset, len, &mut out).then_some(out)
}

/// [`sub_extents`] into `out`, which is emptied first: `false` where that gives `None`.
/// The product's form: an `Extents` (1 KiB) returned in an `Option` costs a copy or two at
/// every call (docs/size.md).
pub fn sub_extents_into(all: &[Extent], offset: u64, len: u64, out: &mut Extents) -> bool {
    out.clear();
    let Some(end) = offset.checked_add(len) else { return false };
    let mut base = 0u64;
    for e in all {
        let Some(ext_end) = base.checked_add(e.len) else { return false };
        let from = offset.max(base);
        let to = end.min(ext_end);
        if from < to {
            let Some(start) = e.offset.checked_add(from - base) else { return false };
            if out.push(Extent { offset: start, len: to - from }).is_err() {
                return false;
            }
        }
        base = ext_end;
    }
    // `base` is now the file's size: an empty range past it is outside the file too.
    end <= base && out.iter().map(|e| e.len).sum::<u64>() == len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extent_reader_maps_and_bounds() {
        let disk: [u8; 16] = core::array::from_fn(|i| i as u8);
        let ext = [Extent { offset: 10, len: 3 }, Extent { offset: 2, len: 4 }];
        let mut r = ExtentReader::new(SliceReader(&disk), &ext);
        assert_eq!(r.size(), 7);
        let mut b = [0u8; 7];
        r.read_at(0, &mut b).unwrap();
        assert_eq!(b, [10, 11, 12, 2, 3, 4, 5]);
        let mut b = [0u8; 3];
        r.read_at(2, &mut b).unwrap();
        assert_eq!(b, [12, 2, 3]);
        assert_eq!(r.read_at(5, &mut b), Err(ReadError::OutOfRange));
        assert_eq!(r.read_at(u64::MAX, &mut b), Err(ReadError::OutOfRange));
    }

    #[test]
    fn sub_extents_cut_and_map() {
        let ext =
            [Extent { offset: 1000, len: 100 }, Extent { offset: 5000, len: 50 }, Extent { offset: 200, len: 10 }];
        let s = sub_extents(&ext, 90, 65).unwrap();
        assert_eq!(
            s.as_slice(),
            &[Extent { offset: 1090, len: 10 }, Extent { offset: 5000, len: 50 }, Extent { offset: 200, len: 5 }]
        );
        assert_eq!(sub_extents(&ext, 0, 100).unwrap().as_slice(), &[Extent { offset: 1000, len: 100 }]);
        assert!(sub_extents(&ext, 150, 11).is_none());
        assert!(sub_extents(&ext, u64::MAX, 2).is_none());
        // Empty ranges: inside the file (its end included) they are no extents.
        assert!(sub_extents(&ext, 160, 0).unwrap().is_empty());
        assert!(sub_extents(&ext, 0, 0).unwrap().is_empty());
        assert!(sub_extents(&ext, 161, 0).is_none());
    }
}
