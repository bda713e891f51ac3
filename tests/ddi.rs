//! DDI partition selection against images made at test time by the real tools:
//! (a) by hand with mkfs.erofs + `veritysetup format` + sgdisk, (b) with systemd-repart 252
//! (ext4 + verity + signature).

use ddiboot::format::block::SliceReader;
use ddiboot::format::ddi::{select, Arch, DdiError, DdiKind, DdiSelection, DpsType, DPS_TYPES, NATIVE_ARCH};
use ddiboot::format::gpt::{read_gpt, Gpt, Partition};
use ddiboot::format::guid::{types, Guid};
use ddiboot::text::{Line, Show};
use std::path::Path;

mod common;
use common::{run, TempDir};

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(v: &dyn Show) -> String {
    Line::of(v).as_str().to_string()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// 16 bytes as GUID text (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).
fn uuid_text(b: &[u8]) -> String {
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn parse(img: &[u8]) -> Gpt {
    read_gpt(&mut SliceReader(img), None).unwrap()
}

fn contents<'a>(img: &'a [u8], p: &Partition) -> &'a [u8] {
    let start = p.byte_offset(512) as usize;
    &img[start..start + p.byte_len(512) as usize]
}

/// An erofs image of a one-file tree and its verity hash device.
struct VerityFs {
    data: Vec<u8>,
    hash: Vec<u8>,
    root_hash: Vec<u8>,
}

fn make_verity_fs(dir: &Path, name: &str) -> VerityFs {
    let tree = dir.join(format!("{name}-tree"));
    std::fs::create_dir_all(tree.join("etc")).unwrap();
    std::fs::write(tree.join("etc/os-release"), format!("ID={name}\n")).unwrap();
    let (data, hash) = (dir.join(format!("{name}.erofs")), dir.join(format!("{name}.verity")));
    run("mkfs.erofs", &[path_str(&data), path_str(&tree)]);
    let out = run("veritysetup", &["format", path_str(&data), path_str(&hash)]);
    let line = out.lines().find(|l| l.starts_with("Root hash:")).expect("no Root hash in veritysetup output");
    let root_hash = unhex(line["Root hash:".len()..].trim());
    assert_eq!(root_hash.len(), 32);
    VerityFs { data: std::fs::read(data).unwrap(), hash: std::fs::read(hash).unwrap(), root_hash }
}

/// One partition for `build_ddi`: type GUID, UUID, label, contents.
type Part<'a> = (Guid, String, &'a str, &'a [u8]);

/// A DDI with `parts` laid out from 1 MiB, each in whole MiBs; returns the image and the
/// start sector of each partition.
fn build_ddi(dir: &Path, name: &str, parts: &[Part]) -> (Vec<u8>, Vec<u64>) {
    const MIB: u64 = 1 << 20;
    let mut starts = Vec::new();
    let mut end = MIB;
    for p in parts {
        starts.push(end / 512);
        end += (p.3.len() as u64).div_ceil(MIB).max(1) * MIB;
    }
    let path = dir.join(format!("{name}.raw"));
    std::fs::File::create(&path).unwrap().set_len(end + MIB).unwrap();
    let mut args = vec!["-o".to_string()];
    for (i, ((type_guid, uuid, label, data), start)) in parts.iter().zip(&starts).enumerate() {
        let n = i + 1;
        let last = start + (data.len() as u64).div_ceil(MIB).max(1) * MIB / 512 - 1;
        args.extend([
            "-n".into(),
            format!("{n}:{start}:{last}"),
            "-t".into(),
            format!("{n}:{}", text(type_guid)),
            "-u".into(),
            format!("{n}:{uuid}"),
            "-c".into(),
            format!("{n}:{label}"),
        ]);
    }
    args.push(path_str(&path).into());
    run("sgdisk", &args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut img = std::fs::read(&path).unwrap();
    for (p, start) in parts.iter().zip(&starts) {
        let at = *start as usize * 512;
        img[at..at + p.3.len()].copy_from_slice(p.3);
    }
    (img, starts)
}

/// Root data + verity partitions of `arch` named by the root-hash convention (SPECS §2.1).
fn root_pair<'a>(arch: Arch, fs: &'a VerityFs) -> [Part<'a>; 2] {
    let (data_type, verity_type, _) = arch.root_types();
    let h = &fs.root_hash;
    [
        (data_type, uuid_text(&h[..16]), "root", &fs.data),
        (verity_type, uuid_text(&h[h.len() - 16..]), "root-verity", &fs.hash),
    ]
}

fn numbers(s: &DdiSelection) -> (u32, Option<u32>, Option<u32>) {
    (s.data.number, s.verity.map(|p| p.number), s.verity_sig.map(|p| p.number))
}

#[test]
fn hand_made_erofs_verity_ddis() {
    let dir = TempDir::new("ddi-hand");
    let x86 = make_verity_fs(&dir.0, "x86");
    let arm = make_verity_fs(&dir.0, "arm");

    // Single-arch DDI.
    let (img, starts) = build_ddi(&dir.0, "x86", &root_pair(Arch::X86_64, &x86));
    let gpt = parse(&img);
    let s = select(&gpt, Arch::X86_64, Some(&x86.root_hash)).unwrap();
    assert_eq!((s.kind, s.arch, numbers(&s)), (DdiKind::Root, Arch::X86_64, (1, Some(2), None)));
    let verity = s.verity.unwrap();
    assert_eq!(text(&s.data.uuid), uuid_text(&x86.root_hash[..16]));
    assert_eq!(text(&verity.uuid), uuid_text(&x86.root_hash[16..]));
    assert_eq!((s.data.first_lba, verity.first_lba), (starts[0], starts[1]));
    assert!(contents(&img, &s.data).starts_with(&x86.data));
    assert!(contents(&img, &verity).starts_with(&x86.hash));
    assert_eq!(numbers(&select(&gpt, Arch::X86_64, None).unwrap()), (1, Some(2), None));

    let mut wrong = x86.root_hash.clone();
    wrong[3] ^= 1;
    let e = select(&gpt, Arch::X86_64, Some(&wrong)).unwrap_err();
    assert!(matches!(e, DdiError::NoMatchingData { arch: Arch::X86_64, .. }), "{e:?}");
    let mut wrong = x86.root_hash.clone();
    wrong[31] ^= 1;
    let e = select(&gpt, Arch::X86_64, Some(&wrong)).unwrap_err();
    assert_eq!(text(&e), "no root-x86-64-verity partition matching the root hash");

    // Multi-arch DDI: x86-64 pair (1, 2) and arm64 pair (3, 4).
    let mut parts = root_pair(Arch::X86_64, &x86).to_vec();
    parts.extend(root_pair(Arch::Arm64, &arm));
    let (img, _) = build_ddi(&dir.0, "multi", &parts);
    let gpt = parse(&img);
    assert_eq!(numbers(&select(&gpt, Arch::X86_64, Some(&x86.root_hash)).unwrap()), (1, Some(2), None));
    let s = select(&gpt, Arch::Arm64, Some(&arm.root_hash)).unwrap();
    assert_eq!((s.arch, numbers(&s)), (Arch::Arm64, (3, Some(4), None)));
    assert!(contents(&img, &s.data).starts_with(&arm.data));
    let native = select(&gpt, NATIVE_ARCH, None).unwrap();
    assert_eq!(native.arch, NATIVE_ARCH);
    assert_eq!(native.data.type_guid, NATIVE_ARCH.root_types().0);
    let e = select(&gpt, Arch::X86_64, Some(&arm.root_hash)).unwrap_err();
    assert!(matches!(e, DdiError::NoMatchingData { .. }), "{e:?}");

    // arm64 only: the error names what is there.
    let (img, _) = build_ddi(&dir.0, "arm", &root_pair(Arch::Arm64, &arm));
    let gpt = parse(&img);
    let e = select(&gpt, Arch::X86_64, Some(&arm.root_hash)).unwrap_err();
    assert!(matches!(e, DdiError::WrongArch { arch: Arch::X86_64, .. }), "{e:?}");
    assert_eq!(text(&e), "no root or usr partition for x86-64 (found: root-arm64, root-arm64-verity)");
    assert_eq!(numbers(&select(&gpt, Arch::Arm64, None).unwrap()), (1, Some(2), None));
}

/// Values of `"key":` in compact JSON, in order (strings unquoted, `null` kept).
fn json_values(json: &str, key: &str) -> Vec<String> {
    let pat = format!("\"{key}\":");
    json.match_indices(&pat)
        .map(|(i, _)| {
            let rest = &json[i + pat.len()..];
            rest[..rest.find([',', '}']).unwrap()].trim_matches('"').to_string()
        })
        .collect()
}

#[test]
fn systemd_repart_ext4_verity_signed_ddi() {
    let dir = TempDir::new("ddi-repart");
    let d = &dir.0;
    let (defs, root) = (d.join("defs"), d.join("root"));
    std::fs::create_dir_all(&defs).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=ddiboot-test\n").unwrap();
    let conf = |file: &str, body: &str| std::fs::write(defs.join(file), format!("[Partition]\n{body}")).unwrap();
    conf("10-root.conf", "Type=root-x86-64\nFormat=ext4\nCopyFiles=/\nVerity=data\nVerityMatchKey=root\n");
    conf("20-verity.conf", "Type=root-x86-64-verity\nVerity=hash\nVerityMatchKey=root\n");
    conf("30-sig.conf", "Type=root-x86-64-verity-sig\nVerity=signature\nVerityMatchKey=root\n");
    let (key, cert) = (d.join("key.pem"), d.join("cert.pem"));
    #[rustfmt::skip]
    run("openssl", &["req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=ddiboot test",
        "-keyout", path_str(&key), "-out", path_str(&cert)]);
    let image = d.join("repart.raw");
    #[rustfmt::skip]
    let json = run("systemd-repart", &[
        "--empty=create", "--size=auto", "--dry-run=no", "--json=short",
        "--seed=2b2ff79a-35bb-4e2a-9a2f-7f3c3a2a1f00",
        &format!("--definitions={}", path_str(&defs)), &format!("--root={}", path_str(&root)),
        &format!("--private-key={}", path_str(&key)), &format!("--certificate={}", path_str(&cert)),
        path_str(&image),
    ]);
    let roothash_hex = json_values(&json, "roothash").into_iter().find(|v| v != "null").expect("no roothash in JSON");
    let root_hash = unhex(&roothash_hex);
    let offsets: Vec<u64> = json_values(&json, "offset").iter().map(|v| v.parse().unwrap()).collect();
    let sizes: Vec<u64> = json_values(&json, "raw_size").iter().map(|v| v.parse().unwrap()).collect();
    let uuids = json_values(&json, "uuid");

    let img = std::fs::read(&image).unwrap();
    let gpt = parse(&img);
    let s = select(&gpt, Arch::X86_64, Some(&root_hash)).unwrap();
    assert_eq!((s.kind, numbers(&s)), (DdiKind::Root, (1, Some(2), Some(3))));
    let parts = [s.data, s.verity.unwrap(), s.verity_sig.unwrap()];
    for (i, p) in parts.iter().enumerate() {
        assert_eq!((p.byte_offset(512), p.byte_len(512)), (offsets[i], sizes[i]), "partition {}", p.number);
        assert_eq!(text(&p.uuid), uuids[i]);
    }
    assert_eq!(text(&parts[0].uuid), uuid_text(&root_hash[..16]));
    assert_eq!(text(&parts[1].uuid), uuid_text(&root_hash[16..]));
    assert!(parts[1].attrs.read_only(), "repart sets the read-only flag on verity partitions");
    assert_eq!(contents(&img, &parts[0])[1080..1082], [0x53, 0xef], "ext4 magic");
    let sig = String::from_utf8_lossy(contents(&img, &parts[2]));
    assert!(sig.contains(&format!("\"rootHash\":\"{roothash_hex}\"")), "signature JSON: {sig}");
    assert!(parts[0].name_eq(b"root-x86-64"));

    // Without the hash the single set is chosen too; a wrong hash matches nothing.
    assert_eq!(numbers(&select(&gpt, Arch::X86_64, None).unwrap()), (1, Some(2), Some(3)));
    let mut wrong = root_hash.clone();
    wrong[0] ^= 0x80;
    let e = select(&gpt, Arch::X86_64, Some(&wrong)).unwrap_err();
    assert_eq!(
        text(&e),
        "no root or usr partition matching the root hash for x86-64 \
         (found: root-x86-64, root-x86-64-verity, root-x86-64-verity-sig)"
    );
    let e = select(&gpt, Arch::Arm64, None).unwrap_err();
    assert!(matches!(e, DdiError::WrongArch { arch: Arch::Arm64, .. }), "{e:?}");
}

/// Every DPS constant and name agrees with `systemd-id128 show` (systemd's own table).
#[test]
fn dps_types_match_systemd_id128() {
    let out = run("systemd-id128", &["show", "--uuid"]);
    let lookup = |name: &str| -> Guid {
        let line = out.lines().find(|l| l.split_whitespace().next() == Some(name));
        let uuid = line.unwrap_or_else(|| panic!("{name} not known to systemd-id128")).split_whitespace().nth(1);
        Guid::parse(uuid.unwrap().as_bytes()).unwrap()
    };
    for i in 0..DPS_TYPES {
        let t = DpsType::from_index(i);
        assert_eq!(lookup(&text(&t)), t.guid(), "{}", text(&t));
    }
    assert_eq!(lookup("esp"), types::ESP);
    assert_eq!(lookup("xbootldr"), types::XBOOTLDR);
    assert_eq!(lookup("linux-generic"), types::LINUX_GENERIC);
}
