//! DDI partition selection: input = one length byte L (low 7 bits), L bytes of root hash,
//! then a disk image. The GPT is read from the image (as is and with re-sealed CRCs) and
//! `select` runs for every architecture without a hash and, if L > 0, with it. A selection
//! must be what `select` documents: the arch's own types, UUIDs from the hash, verity
//! whenever a hash or a signature partition is involved.
#![no_main]

mod common;

use common::{check_gpt, reseal_gpt, show};
use ddiboot::format::block::SliceReader;
use ddiboot::format::ddi::{root_hash_uuids, select, ARCHES};
use ddiboot::format::gpt::{read_gpt, Gpt};
use libfuzzer_sys::fuzz_target;

fn select_all(g: &Gpt, hash: Option<&[u8]>) {
    for arch in ARCHES {
        match select(g, arch, hash) {
            Ok(sel) => {
                assert_eq!(sel.arch, arch);
                let (data, verity, sig) = arch.types(sel.kind);
                assert_eq!(sel.data.type_guid, data);
                assert!(g.partitions.contains(&sel.data));
                if let Some(v) = sel.verity {
                    assert_eq!(v.type_guid, verity);
                    assert!(g.partitions.contains(&v));
                }
                if let Some(s) = sel.verity_sig {
                    assert_eq!(s.type_guid, sig);
                    assert!(sel.verity.is_some(), "signature without verity");
                }
                if let Some(h) = hash {
                    let (du, vu) = root_hash_uuids(h).expect("selected with a bad hash");
                    assert_eq!(sel.data.uuid, du);
                    assert_eq!(sel.verity.expect("hash but no verity").uuid, vu);
                }
                show(&sel.data.label());
            }
            Err(e) => show(&e),
        }
    }
}

fn run(disk: &[u8], hash: Option<&[u8]>) {
    if let Ok(g) = read_gpt(&mut SliceReader(disk), None) {
        check_gpt(&g, disk.len() as u64);
        select_all(&g, None);
        if hash.is_some() {
            select_all(&g, hash);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = (n & 0x7f) as usize;
    let (hash, disk) = match rest.split_at_checked(n) {
        Some((h, d)) if n > 0 => (Some(h), d),
        _ => (None, rest),
    };
    run(disk, hash);
    let mut sealed = disk.to_vec();
    reseal_gpt(&mut sealed);
    if sealed != disk {
        run(&sealed, hash);
    }
});
