//! GPT reader against images made by `sgdisk` (GPT fdisk 1.0.9) at test time.
//! (sgdisk cannot lay out 4096-byte-sector image files; those are covered by the in-memory
//! writer in `src/gpt.rs`.)

use ddiboot::format::block::SliceReader;
use ddiboot::format::gpt::{read_gpt, Gpt, GptError, TableError};
use ddiboot::format::guid::{types, Guid};
use ddiboot::text::Line;
use std::path::{Path, PathBuf};

mod common;
use common::{run, TempDir};

fn text(v: &dyn ddiboot::text::Show) -> String {
    Line::of(v).as_str().to_string()
}

fn parse(img: &[u8]) -> Result<Gpt, GptError> {
    read_gpt(&mut SliceReader(img), None)
}

const DISK_GUID: &str = "0e2c3bcd-1111-4222-8333-444455556666";
const ESP_UUID: &str = "11223344-5566-7788-99aa-bbccddeeff00";
const ROOT_UUID: &str = "c9655c39-c598-e397-6b57-1fd40c740484";

/// An 8 MiB image with a 256-slot table and entries 1, 2, 5 (3 and 4 unused).
fn make_image(dir: &Path) -> PathBuf {
    let path = dir.join("disk.img");
    std::fs::File::create(&path).unwrap().set_len(8 << 20).unwrap();
    let p = path.to_str().unwrap();
    #[rustfmt::skip]
    run("sgdisk", &[
        "-o", "-U", DISK_GUID, "-S", "256",
        "-n", "1:2048:+1M", "-t", "1:ef00", "-c", "1:ESP", "-u", &format!("1:{ESP_UUID}"),
        "-n", "2:0:+2M", "-t", "2:4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "-c", "2:root_1.0",
        "-u", &format!("2:{}", ROOT_UUID.to_uppercase()), "-A", "2:set:60",
        "-n", "5:0:0", "-t", "5:8300", "-A", "5:set:63", "-A", "5:set:2", "-A", "5:set:59",
        p,
    ]);
    path
}

/// The fields of `sgdisk -i N` for comparison.
struct Info {
    type_guid: String,
    uuid: String,
    first: u64,
    last: u64,
    attrs: u64,
    name: String,
}

fn sgdisk_info(path: &Path, n: u32) -> Info {
    let out = run("sgdisk", &["-i", &n.to_string(), path.to_str().unwrap()]);
    let field = |key: &str| {
        let line = out.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("{key} missing in {out}"));
        line[key.len()..].trim().to_string()
    };
    let first_word = |key: &str| field(key).split(' ').next().unwrap().to_lowercase();
    Info {
        type_guid: first_word("Partition GUID code:"),
        uuid: first_word("Partition unique GUID:"),
        first: first_word("First sector:").parse().unwrap(),
        last: first_word("Last sector:").parse().unwrap(),
        attrs: u64::from_str_radix(&field("Attribute flags:"), 16).unwrap(),
        name: field("Partition name:").trim_matches('\'').to_string(),
    }
}

fn check_expected(g: &Gpt) {
    assert_eq!(g.block_size, 512);
    assert_eq!(text(&g.disk_guid), DISK_GUID);
    assert_eq!((g.first_usable, g.last_usable), (66, 16384 - 66)); // 256 entries = 64 LBAs
    let numbers: Vec<u32> = g.partitions.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 2, 5]);
    let [esp, root, linux] = [&g.partitions[0], &g.partitions[1], &g.partitions[2]];

    assert_eq!((esp.type_guid, text(&esp.uuid)), (types::ESP, ESP_UUID.to_string()));
    assert_eq!((esp.first_lba, esp.last_lba, esp.attrs.0), (2048, 4095, 0));
    assert!(esp.name_eq(b"ESP"));
    assert_eq!((esp.byte_offset(512), esp.byte_len(512)), (1 << 20, 1 << 20));

    assert_eq!((root.type_guid, text(&root.uuid)), (types::ROOT_X86_64, ROOT_UUID.to_string()));
    assert_eq!((root.first_lba, root.last_lba), (4096, 8191));
    assert!(root.attrs.read_only() && !root.attrs.no_auto());
    assert_eq!(text(&root.label()), "root_1.0");

    assert_eq!(linux.type_guid, types::LINUX_GENERIC);
    assert_eq!((linux.first_lba, linux.last_lba), (8192, 16384 - 66));
    assert!(linux.attrs.no_auto() && linux.attrs.legacy_bios_bootable() && linux.attrs.growfs());
    assert!(!linux.attrs.read_only() && linux.label().0.is_empty());
    assert_eq!(g.find(types::ESP).count(), 1);
}

#[test]
fn parses_sgdisk_image_like_sgdisk() {
    let dir = TempDir::new("gpt-parse");
    let path = make_image(&dir.0);
    let img = std::fs::read(&path).unwrap();
    let g = parse(&img).unwrap();
    check_expected(&g);
    assert!(g.pmbr_ok && !g.used_backup && g.primary_error.is_none() && g.backup_error.is_none());
    assert_eq!(read_gpt(&mut SliceReader(&img), Some(512)).unwrap().partitions, g.partitions);

    for p in &g.partitions {
        let info = sgdisk_info(&path, p.number);
        assert_eq!(text(&p.type_guid), info.type_guid);
        assert_eq!(text(&p.uuid), info.uuid);
        assert_eq!((p.first_lba, p.last_lba, p.attrs.0), (info.first, info.last, info.attrs));
        assert!(p.name_eq(info.name.as_bytes()));
    }
}

#[test]
fn damaged_headers_use_the_backup_or_fail() {
    let dir = TempDir::new("gpt-damage");
    let img = std::fs::read(make_image(&dir.0)).unwrap();
    let last = img.len() - 512;

    let mut bad = img.clone();
    bad[512 + 16] ^= 0x01; // primary header CRC
    let g = parse(&bad).unwrap();
    check_expected(&g);
    assert!(g.used_backup);
    assert_eq!(g.primary_error, Some(TableError::HeaderCrc));

    let mut bad = img.clone();
    bad[last + 16] ^= 0x01; // backup header CRC only
    let g = parse(&bad).unwrap();
    check_expected(&g);
    assert_eq!((g.used_backup, g.backup_error), (false, Some(TableError::HeaderCrc)));

    // The backup's entry array damaged (sgdisk keeps it just before the backup header):
    // the primary is used, the damage is reported for a warning.
    let mut bad = img.clone();
    bad[last - 64 * 512 + 56] ^= 0x01; // first backup entry's name
    let g = parse(&bad).unwrap();
    check_expected(&g);
    assert_eq!((g.used_backup, g.backup_error), (false, Some(TableError::EntriesCrc)));
    assert_eq!(text(&TableError::EntriesCrc), "partition entry array crc mismatch");

    let mut bad = img.clone();
    bad[512 + 16] ^= 0x01;
    bad[last + 16] ^= 0x01;
    let e = read_gpt(&mut SliceReader(&bad), Some(512)).err().unwrap();
    assert_eq!(e, GptError::BothHeadersBad { primary: TableError::HeaderCrc, backup: TableError::HeaderCrc });
    assert_eq!(text(&e), "no valid gpt: primary: gpt header crc mismatch; backup: gpt header crc mismatch");

    // No protective MBR: informative only.
    let mut bad = img.clone();
    bad[..512].fill(0);
    let g = parse(&bad).unwrap();
    check_expected(&g);
    assert!(!g.pmbr_ok);
}

#[test]
fn truncated_images_fail_without_panicking() {
    let dir = TempDir::new("gpt-trunc");
    let img = std::fs::read(make_image(&dir.0)).unwrap();
    for len in [0, 1, 511, 512, 1000, 1024, 4096, 8192, 33 * 1024, 1 << 20, (8 << 20) - 66 * 512] {
        assert!(parse(&img[..len]).is_err(), "len {len}");
        assert!(read_gpt(&mut SliceReader(&img[..len]), Some(512)).is_err(), "len {len}");
    }
    let e = parse(&img[..4 << 20]).err().unwrap();
    assert_eq!(e, GptError::BothHeadersBad { primary: TableError::UsableRange, backup: TableError::NoSignature });
    // Only the backup header lost: the primary still covers every partition.
    let g = parse(&img[..img.len() - 512]).unwrap();
    assert_eq!((g.partitions.len(), g.backup_error), (3, Some(TableError::NoSignature)));
}

#[test]
fn hybrid_mbr_is_accepted() {
    let dir = TempDir::new("gpt-hybrid");
    let path = make_image(&dir.0);
    // Partition 1 (the ESP, MBR type 0xEF) in the first MBR slot, the 0xEE record after it.
    run("sgdisk", &["-h", "1:EE", path.to_str().unwrap()]);
    let img = std::fs::read(&path).unwrap();
    assert_eq!((img[446 + 4], img[462 + 4]), (0xef, 0xee), "unexpected hybrid MBR from sgdisk");
    let g = parse(&img).unwrap();
    check_expected(&g);
    assert!(g.pmbr_ok);
    assert_eq!(Guid::parse(ESP_UUID.as_bytes()), Some(g.partitions[0].uuid));
}
