//! `ExtentReader` and `sub_extents` (format/block.rs): the input describes up to 16
//! extents (offset and length on a 64 KiB device whose byte `i` is a hash of `i`) and then
//! byte ranges of the file to read. Every read must return exactly the bytes of the file
//! laid out by its extents (a reference built here), or fail iff the range is outside the
//! file; `sub_extents` of a range must cover the same bytes and add up to its length.
#![no_main]

use ddiboot::format::block::{sub_extents, BlockReader, Extent, ExtentReader, SliceReader};
use libfuzzer_sys::fuzz_target;

const DEV: usize = 1 << 16;

fn u16_at(d: &[u8], i: usize) -> u64 {
    d.get(i..i + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as u64)
}

fuzz_target!(|data: &[u8]| {
    let dev: Vec<u8> = (0..DEV).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3]).collect();
    let n = data.first().map_or(0, |&b| (b % 17) as usize);
    let mut extents = Vec::new();
    for k in 0..n {
        let off = u16_at(data, 1 + 4 * k);
        // Lengths 1..=4096, and extents that may run past the device (the reader must
        // report that, not panic).
        let len = u16_at(data, 3 + 4 * k) % 4096 + 1;
        extents.push(Extent { offset: off, len });
    }
    let mut file = Vec::new();
    for e in &extents {
        for i in e.offset..e.offset + e.len {
            file.push(dev.get(i as usize).copied());
        }
    }
    let size = file.len() as u64;
    let mut r = ExtentReader::new(SliceReader(&dev), &extents);
    assert_eq!(r.size(), size);
    let queries = data.get(1 + 4 * n..).unwrap_or(&[]);
    for q in queries.chunks(4).take(32) {
        let off = u16_at(q, 0) % (size + 64).max(1);
        let len = q.get(2..).map_or(0, |b| b.iter().fold(0u64, |a, &x| a << 8 | x as u64)) % 9000;
        let mut buf = vec![0u8; len as usize];
        let want: Option<Vec<u8>> =
            if off + len <= size { file[off as usize..(off + len) as usize].iter().copied().collect() } else { None };
        match (r.read_at(off, &mut buf), off + len <= size) {
            (Ok(()), true) => assert_eq!(Some(&buf), want.as_ref(), "bytes differ at {off}+{len}"),
            (Err(_), true) => assert!(want.is_none(), "in-file read failed only where the device ends"),
            (Ok(()), false) => panic!("read past the file succeeded"),
            (Err(_), false) => {}
        }
        match sub_extents(&extents, off, len) {
            Some(sub) => {
                assert!(off + len <= size);
                assert_eq!(sub.iter().map(|e| e.len).sum::<u64>(), len);
                assert!(sub.iter().all(|e| e.len > 0));
                let got: Vec<Option<u8>> = sub
                    .iter()
                    .flat_map(|e| (e.offset..e.offset + e.len).map(|i| dev.get(i as usize).copied()))
                    .collect();
                assert_eq!(got, file[off as usize..(off + len) as usize]);
            }
            None => assert!(off + len > size || extents.len() > 64, "sub_extents refused a range inside the file"),
        }
    }
    // Extreme offsets never panic.
    let mut b = [0u8; 3];
    assert!(r.read_at(u64::MAX - 1, &mut b).is_err());
    assert!(sub_extents(&extents, u64::MAX, 2).is_none());
});
