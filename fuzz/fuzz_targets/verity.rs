//! dm-verity superblock and table: the first 512 bytes are the superblock (zero-padded if
//! the input is shorter); after them, little-endian: data partition length (u64), hash
//! partition length (u64), root hash length (u8, low 7 bits) and that many bytes, data and
//! hash device numbers (4 × u32), device logical block sizes (2 × u32), a raw option byte,
//! then `systemd.verity_root_options=` text to the end. Runs `parse_superblock`,
//! `VerityParams::new`, `write_table`, `parse_options` and the geometry helpers on raw
//! values; an accepted superblock must fit its partitions and yield a well-formed table.
#![no_main]

mod common;

use common::show;
use ddiboot::devno::DevNo;
use ddiboot::format::block::SliceReader;
use ddiboot::format::verity::{
    hash_start_block, hash_tree_blocks, parse_options, parse_superblock, read_superblock, HashAlg, VerityError,
    VerityOptions, VerityParams, SUPERBLOCK_LEN, TABLE_MAX,
};
use libfuzzer_sys::fuzz_target;

/// Reads fields from the input, zeros once it runs out.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }
    fn uint<const N: usize>(&mut self) -> u64 {
        let mut b = [0u8; 8];
        let src = self.take(N);
        b[..src.len()].copy_from_slice(src);
        u64::from_le_bytes(b)
    }
}

fn check_table(p: &VerityParams, opts: VerityOptions, devs: ((u32, u32), (u32, u32))) {
    let mut out = ddiboot::text::Line::with_max(ddiboot::format::verity::TABLE_MAX);
    match p.write_table(DevNo::new(devs.0 .0, devs.0 .1), DevNo::new(devs.1 .0, devs.1 .1), opts, &mut out) {
        Ok(()) => {
            let t = out.as_bytes();
            assert!(!t.is_empty() && t.len() <= TABLE_MAX);
            assert!(t.iter().all(|b| b.is_ascii_graphic() || *b == b' '), "non-ASCII table");
            assert_eq!(out.as_str().len(), t.len());
            assert!(t.starts_with(b"0 ") || t.starts_with(b"1 "));
            let words = t.split(|&b| b == b' ').count();
            let n = opts.0.count_ones() as usize;
            assert_eq!(words, if n == 0 { 10 } else { 11 + n }, "table word count");
            assert!(t.split(|&b| b == b' ').all(|w| !w.is_empty()), "empty table word");
        }
        Err(e) => {
            assert!(matches!(e, VerityError::ConflictingOptions | VerityError::TableTooLong));
            show(&e);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut sb = [0u8; SUPERBLOCK_LEN];
    let head = &data[..data.len().min(SUPERBLOCK_LEN)];
    sb[..head.len()].copy_from_slice(head);
    let mut c = Cursor(data.get(SUPERBLOCK_LEN..).unwrap_or(&[]));
    let data_len = c.uint::<8>();
    let hash_len = c.uint::<8>();
    let rh_len = (c.uint::<1>() & 0x7f) as usize;
    let root_hash = c.take(rh_len);
    let data_dev = (c.uint::<4>() as u32, c.uint::<4>() as u32);
    let hash_dev = (c.uint::<4>() as u32, c.uint::<4>() as u32);
    let (data_lbs, hash_lbs) = (c.uint::<4>() as u32, c.uint::<4>() as u32);
    let raw_opts = VerityOptions(c.uint::<1>() as u8 & 0x7f); // bit 7 is no option
    let words = c.0;

    // The geometry helpers on raw, unvalidated superblock values.
    let raw_hbs = u32::from_le_bytes(sb[68..72].try_into().unwrap());
    let raw_blocks = u64::from_le_bytes(sb[72..80].try_into().unwrap());
    let raw_salt = u16::from_le_bytes(sb[80..82].try_into().unwrap()) as usize;
    for alg in [HashAlg::Sha256, HashAlg::Sha512] {
        let _ = hash_tree_blocks(alg, raw_hbs, raw_blocks);
    }
    let _ = hash_start_block(data_len, raw_hbs);

    if data.len() >= SUPERBLOCK_LEN {
        let mut buf = [0; SUPERBLOCK_LEN];
        let via_reader = read_superblock(&mut SliceReader(data), &mut buf);
        assert_eq!(via_reader, parse_superblock(&sb));
    }
    let opts = parse_options(words, &mut |w| assert!(!w.is_empty() && !w.contains(&b',')));
    let sb = match parse_superblock(&sb) {
        Ok(sb) => sb,
        Err(e) => return show(&e),
    };
    assert!(sb.salt.len() == raw_salt && raw_salt <= 256);
    let p = match VerityParams::new(&sb, data_len, hash_len, root_hash) {
        Ok(p) => p,
        Err(e) => return show(&e),
    };
    assert_eq!(root_hash.len(), sb.algorithm.digest_len());
    assert_eq!(p.data_sectors() * 512, p.data_blocks * p.data_block_size as u64);
    assert!(p.data_sectors() * 512 <= data_len, "data past the data partition");
    let tree = hash_tree_blocks(p.alg, p.hash_block_size, p.data_blocks).expect("no tree");
    let tree_end = (tree + p.hash_start_block) * p.hash_block_size as u64;
    assert!(tree_end <= hash_len, "hash tree past the hash partition");
    let _ = p.check_device_block_size(data_lbs, hash_lbs);
    check_table(&p, raw_opts, (data_dev, hash_dev));
    match opts {
        Ok(o) => check_table(&p, o, (data_dev, hash_dev)),
        Err(e) => show(&e),
    }
});
