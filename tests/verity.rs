//! verity superblocks and tables against `veritysetup format` 2.6.x output, and filesystem
//! detection against images made by mkfs.erofs, mksquashfs and mkfs.ext4. All images are built
//! at test time in a temp dir; a missing tool fails the test.

use ddiboot::format::block::SliceReader;
use ddiboot::format::fsdetect::{self, FsType};
use ddiboot::format::verity::{
    self, hash_tree_blocks, parse_root_hash, parse_superblock, HashAlg, VerityError, VerityOptions, VerityParams,
};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{noise, run, TempDir};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn uuid_text(u: &[u8; 16]) -> String {
    let h = hex(u);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// `Key:   value` lines of veritysetup output.
fn fields(text: &str) -> HashMap<String, String> {
    text.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect()
}

/// A small directory tree for the filesystem tools.
fn make_tree(dir: &Path) {
    fs::create_dir_all(dir.join("etc")).unwrap();
    fs::write(dir.join("etc/os-release"), "ID=ddiboot-test\n").unwrap();
    fs::create_dir_all(dir.join("usr/bin")).unwrap();
    fs::write(dir.join("usr/bin/blob"), noise(100_000, 7)).unwrap();
    fs::write(dir.join("empty"), b"").unwrap();
}

struct Formatted {
    data: PathBuf,
    hash: PathBuf,
    root: String,
    dump: HashMap<String, String>,
}

fn format(t: &TempDir, name: &str, data: Vec<u8>, args: &[&str]) -> Formatted {
    let d = t.path(&format!("{name}.data"));
    let h = t.path(&format!("{name}.hash"));
    fs::write(&d, data).unwrap();
    let mut a = vec!["format"];
    a.extend_from_slice(args);
    a.extend_from_slice(&[s(&d), s(&h)]);
    let out = fields(&run("veritysetup", &a));
    let root = out.get("Root hash").expect("veritysetup printed no root hash").clone();
    let dump = fields(&run("veritysetup", &["dump", s(&h)]));
    Formatted { data: d, hash: h, root, dump }
}

/// Parse the superblock, compare every field with `veritysetup dump`, build the params and
/// check the exact table; returns the table string.
fn check(f: &Formatted, want_alg: HashAlg) -> String {
    let hash = fs::read(&f.hash).unwrap();
    let data_len = fs::metadata(&f.data).unwrap().len();
    let mut sb_buf = [0; 512];
    let sb = verity::read_superblock(&mut SliceReader(&hash), &mut sb_buf).unwrap();
    let d = &f.dump;
    assert_eq!(uuid_text(&sb.uuid), d["UUID"]);
    assert_eq!(sb.hash_type.to_string(), d["Hash type"]);
    assert_eq!(sb.data_blocks.to_string(), d["Data blocks"]);
    assert_eq!(sb.data_block_size.to_string(), d["Data block size"]);
    assert_eq!(sb.hash_block_size.to_string(), d["Hash block size"]);
    assert_eq!(sb.algorithm.name(), d["Hash algorithm"]);
    assert_eq!(sb.algorithm, want_alg);
    let salt = if sb.salt.is_empty() { "-".to_string() } else { hex(sb.salt) };
    assert_eq!(salt, d["Salt"]);
    // The tree geometry matches what veritysetup wrote, and the file is exactly sb + tree.
    let tree = hash_tree_blocks(sb.algorithm, sb.hash_block_size, sb.data_blocks).unwrap();
    assert_eq!(tree.to_string(), d["Hash blocks"]);
    assert_eq!((tree + 1) * sb.hash_block_size as u64, hash.len() as u64);
    assert!(d["Hash device size"].starts_with(&format!("{} ", hash.len())));

    let root = parse_root_hash(f.root.as_bytes()).unwrap();
    let p = VerityParams::new(&sb, data_len, hash.len() as u64, root.as_bytes()).unwrap();
    assert_eq!(p.hash_start_block, 1);
    assert_eq!(p.data_sectors() * 512, sb.data_blocks * sb.data_block_size as u64);
    let mut t = ddiboot::text::Line::with_max(verity::TABLE_MAX);
    p.write_table(ddiboot::devno::DevNo::new(7, 0), ddiboot::devno::DevNo::new(7, 1), VerityOptions::NONE, &mut t)
        .unwrap();
    let want = format!(
        "1 7:0 7:1 {} {} {} 1 {} {} {}",
        sb.data_block_size,
        sb.hash_block_size,
        sb.data_blocks,
        want_alg.name(),
        f.root.to_ascii_lowercase(),
        salt
    );
    assert_eq!(t.as_str(), want);
    want
}

#[test]
fn erofs_4096_4096_given_salt_and_uuid() {
    let t = TempDir::new("erofs");
    let tree = t.path("tree");
    make_tree(&tree);
    let img = t.path("root.erofs");
    run("mkfs.erofs", &["--quiet", "-T0", s(&img), s(&tree)]);
    let data = fs::read(&img).unwrap();
    let f = format(
        &t,
        "erofs",
        data,
        &[
            "--data-block-size=4096",
            "--hash-block-size=4096",
            "--salt=00112233445566778899aabbccddeeff",
            "--uuid=0b5c2a4e-1f3d-4a6b-8c9d-0e1f2a3b4c5d",
        ],
    );
    let table = check(&f, HashAlg::Sha256);
    assert!(table.ends_with(" 00112233445566778899aabbccddeeff"));
    assert_eq!(f.dump["UUID"], "0b5c2a4e-1f3d-4a6b-8c9d-0e1f2a3b4c5d");
    // The verified data is what fsdetect sees.
    let p = fsdetect::probe(&mut SliceReader(&fs::read(&f.data).unwrap())).unwrap().unwrap();
    assert_eq!(p.fs, FsType::Erofs);
    assert_eq!(p.size, Some(fs::metadata(&f.data).unwrap().len()));
}

#[test]
fn raw_512_512_random_salt_like_repart() {
    let t = TempDir::new("raw512");
    let f = format(&t, "raw", noise(300 * 512, 1), &["--data-block-size=512", "--hash-block-size=512"]);
    let table = check(&f, HashAlg::Sha256);
    assert!(table.contains(" 512 512 300 1 sha256 "));
    assert_eq!(f.dump["Salt"].len(), 64, "veritysetup's default salt is 32 random bytes");
}

#[test]
fn raw_4096_data_1024_hash() {
    let t = TempDir::new("raw4k1k");
    let f =
        format(&t, "raw", noise(1 << 20, 2), &["--data-block-size=4096", "--hash-block-size=1024", "--salt=0011aabb"]);
    let table = check(&f, HashAlg::Sha256);
    assert!(table.contains(" 4096 1024 256 1 sha256 "));
    assert!(table.ends_with(" 0011aabb"));
    assert_eq!(f.dump["Hash blocks"], "9");
}

#[test]
fn sha512_no_salt_and_single_block() {
    let t = TempDir::new("sha512");
    let f = format(&t, "big", noise(64 * 4096, 3), &["--hash=sha512", "--salt=-"]);
    assert!(check(&f, HashAlg::Sha512).ends_with(" -"));
    // One data block: no tree levels at all, the hash file is just the superblock block.
    let f = format(&t, "one", noise(4096, 4), &[]);
    check(&f, HashAlg::Sha256);
    assert_eq!(f.dump["Hash blocks"], "0");
}

#[test]
fn hostile_images_are_refused() {
    let t = TempDir::new("bad");
    let f = format(&t, "raw", noise(1 << 20, 5), &["--data-block-size=4096", "--hash-block-size=4096", "--salt=ab"]);
    let hash = fs::read(&f.hash).unwrap();
    let data_len = fs::metadata(&f.data).unwrap().len();
    let root = parse_root_hash(f.root.as_bytes()).unwrap();
    let sb = parse_superblock(hash[..512].try_into().unwrap()).unwrap();
    assert!(VerityParams::new(&sb, data_len, hash.len() as u64, root.as_bytes()).is_ok());

    // Truncated hash file: the tree no longer fits.
    let cut = &hash[..hash.len() - 4096];
    let mut sb_buf = [0; 512];
    let sb_cut = verity::read_superblock(&mut SliceReader(cut), &mut sb_buf).unwrap();
    assert_eq!(
        VerityParams::new(&sb_cut, data_len, cut.len() as u64, root.as_bytes()),
        Err(VerityError::HashTreeTooBig)
    );
    // A hash file cut inside the superblock cannot be read at all.
    assert!(matches!(
        verity::read_superblock(&mut SliceReader(&hash[..100]), &mut [0; 512]),
        Err(VerityError::Read(_))
    ));

    // Data partition smaller than the superblock's data blocks (truncated data, or a
    // superblock edited to claim more blocks).
    assert_eq!(
        VerityParams::new(&sb, data_len - 512, hash.len() as u64, root.as_bytes()),
        Err(VerityError::DataTooBig)
    );
    let mut more = hash.clone();
    more[72..80].copy_from_slice(&(sb.data_blocks + 1).to_le_bytes());
    let sb_more = parse_superblock(more[..512].try_into().unwrap()).unwrap();
    assert_eq!(VerityParams::new(&sb_more, data_len, more.len() as u64, root.as_bytes()), Err(VerityError::DataTooBig));

    // Flipped magic, version, algorithm.
    for (off, err) in [
        (0, VerityError::BadMagic),
        (8, VerityError::BadVersion),
        (33, VerityError::UnknownAlgorithm),
        (66, VerityError::BadBlockSize),
    ] {
        let mut bad = hash.clone();
        bad[off] ^= 0x01;
        assert_eq!(parse_superblock(bad[..512].try_into().unwrap()), Err(err), "byte {off}");
    }

    // Root hash of the wrong length for sha256 (a sha512-sized one, and one too short).
    let long = parse_root_hash(format!("{}{}", f.root, f.root).as_bytes()).unwrap();
    assert_eq!(VerityParams::new(&sb, data_len, hash.len() as u64, long.as_bytes()), Err(VerityError::RootHashLength));
    assert_eq!(
        VerityParams::new(&sb, data_len, hash.len() as u64, &root.as_bytes()[..20]),
        Err(VerityError::RootHashLength)
    );
}

#[test]
fn fsdetect_on_real_images() {
    let t = TempDir::new("fs");
    let tree = t.path("tree");
    make_tree(&tree);

    let erofs = t.path("a.erofs");
    run("mkfs.erofs", &["--quiet", s(&erofs), s(&tree)]);
    let b = fs::read(&erofs).unwrap();
    let p = fsdetect::probe(&mut SliceReader(&b)).unwrap().unwrap();
    assert_eq!((p.fs, p.size), (FsType::Erofs, Some(b.len() as u64)));

    let sq = t.path("a.squashfs");
    run("mksquashfs", &[s(&tree), s(&sq), "-noappend", "-quiet", "-no-progress"]);
    let b = fs::read(&sq).unwrap();
    let p = fsdetect::probe(&mut SliceReader(&b)).unwrap().unwrap();
    assert_eq!(p.fs, FsType::Squashfs);
    let used = p.size.unwrap();
    // bytes_used is exact; mksquashfs pads the file to 4 KiB.
    assert_eq!(used.div_ceil(4096) * 4096, b.len() as u64);
    let sq2 = t.path("b.squashfs");
    run("mksquashfs", &[s(&tree), s(&sq2), "-noappend", "-quiet", "-no-progress", "-nopad"]);
    let b = fs::read(&sq2).unwrap();
    let p = fsdetect::probe(&mut SliceReader(&b)).unwrap().unwrap();
    assert_eq!(p.size, Some(b.len() as u64));

    for (kind, bs, size) in [("ext4", "4096", "8M"), ("ext4", "1024", "3M"), ("ext2", "1024", "2M")] {
        let img = t.path(&format!("{kind}-{bs}.img"));
        run("mkfs.ext4", &["-q", "-F", "-t", kind, "-b", bs, "-d", s(&tree), s(&img), size]);
        let b = fs::read(&img).unwrap();
        let p = fsdetect::probe(&mut SliceReader(&b)).unwrap().unwrap();
        assert_eq!((p.fs, p.size), (FsType::Ext4, Some(b.len() as u64)), "{kind} {bs}");
        assert_eq!(ddiboot::text::Line::of(&p.fs.name()).as_str(), "ext4");
    }

    // Not a filesystem: random bytes.
    assert_eq!(fsdetect::detect(&mut SliceReader(&noise(8192, 9))).unwrap(), None);
}
