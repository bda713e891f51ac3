//! GPT: `read_gpt` on the input as a whole disk (the device size is the input length),
//! with the block size probed and given, then again with both copies' CRCs recomputed so
//! mutations get past the checksums. Every accepted table must pass `check_gpt`, and
//! `read_gpt_into` a table left over from another disk must give the same result.
#![no_main]

mod common;

use common::{check_gpt, reseal_gpt, show};
use ddiboot::format::block::SliceReader;
use ddiboot::format::gpt::{read_gpt, read_gpt_into, Backup, Gpt, PartAttrs, Partition, TableError};
use ddiboot::format::guid::Guid;
use libfuzzer_sys::fuzz_target;

/// A table full of stale values, as `read_gpt_into` may be handed.
fn stale() -> Gpt {
    let mut g = Gpt::new();
    g.block_size = 4096;
    g.disk_guid = Guid([0xAA; 16]);
    (g.first_usable, g.last_usable) = (7, 9);
    (g.pmbr_ok, g.used_backup) = (true, true);
    g.primary_error = Some(TableError::HeaderCrc);
    g.backup_error = Some(TableError::Mismatch);
    let p = Partition {
        number: 3,
        type_guid: Guid([0x55; 16]),
        uuid: Guid([0x66; 16]),
        first_lba: 7,
        last_lba: 9,
        attrs: PartAttrs(1 << 60),
        name: [0x41; 36],
    };
    let _ = g.partitions.push(p);
    g
}

fn same(a: &Gpt, b: &Gpt) -> bool {
    (a.block_size, a.disk_guid, a.first_usable, a.last_usable)
        == (b.block_size, b.disk_guid, b.first_usable, b.last_usable)
        && (a.pmbr_ok, a.used_backup, a.primary_error, a.backup_error)
            == (b.pmbr_ok, b.used_backup, b.primary_error, b.backup_error)
        && a.partitions == b.partitions
}

fn parse(img: &[u8], block_size: Option<u32>) {
    let mut dev = SliceReader(img);
    let fresh = read_gpt(&mut dev, block_size);
    let mut reused = stale();
    let into = read_gpt_into(&mut dev, block_size, Backup::Check, &mut reused);
    match fresh {
        Ok(g) => {
            check_gpt(&g, img.len() as u64);
            if let Some(bs) = block_size {
                assert_eq!(g.block_size, bs);
            }
            assert!(into.is_ok() && same(&g, &reused), "read_gpt_into differs");
        }
        Err(e) => {
            assert_eq!(into, Err(e));
            assert!(reused.partitions.is_empty(), "partitions left after an error");
            show(&e)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    parse(data, None);
    parse(data, Some(4096));
    parse(data, Some(1024)); // refused: not 512 or 4096
    let mut sealed = data.to_vec();
    reseal_gpt(&mut sealed);
    if sealed != data {
        parse(&sealed, None);
        parse(&sealed, Some(512));
    }
});
