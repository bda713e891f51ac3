//! Verity signature partitions made by the real tools: systemd-repart 252 (`Verity=signature`
//! with `--private-key`/`--certificate`) and `scripts/mkddi --sign`. The parser must read
//! them back exactly (root hash, DER signature that openssl verifies over the hex root hash),
//! the signature partition must pair the data and verity partitions by its `rootHash`, and
//! every kind of damage to a real partition must give its specific error.

use ddiboot::format::block::SliceReader;
use ddiboot::format::ddi::{select, verity_sig_partition, Arch};
use ddiboot::format::gpt::{read_gpt, Partition};
use ddiboot::format::verity_sig::{read_verity_sig, SigError, SigKey, MAX_JSON};
use ddiboot::text::Line;
use std::path::{Path, PathBuf};

mod common;
use common::{run, TempDir};

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn contents<'a>(img: &'a [u8], p: &Partition) -> &'a [u8] {
    let start = p.byte_offset(512) as usize;
    &img[start..start + p.byte_len(512) as usize]
}

/// A self-signed test certificate and key (what scripts/mktestkey makes).
fn keypair(dir: &Path) -> (PathBuf, PathBuf) {
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    #[rustfmt::skip]
    run("openssl", &["req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3650",
        "-subj", "/CN=ddiboot verity-sig test", "-addext", "keyUsage=digitalSignature",
        "-addext", "extendedKeyUsage=codeSigning", "-keyout", path_str(&key), "-out", path_str(&cert)]);
    (key, cert)
}

/// Parse a signature partition's bytes: (root hash hex, DER signature).
fn parse(part: &[u8]) -> Result<(String, Vec<u8>), SigError> {
    let mut buf = [0u8; MAX_JSON];
    read_verity_sig(&mut SliceReader(part), &mut buf).map(|s| (hex(s.root_hash.as_bytes()), s.signature.to_vec()))
}

/// openssl verifies `sig` (DER PKCS#7, detached) over the text `root_hex` with `cert` as the
/// trust anchor: the check the kernel makes against its keyring.
fn openssl_verifies(dir: &Path, sig: &[u8], root_hex: &str, cert: &Path) -> bool {
    let (s, c) = (dir.join("check.p7s"), dir.join("check.txt"));
    std::fs::write(&s, sig).unwrap();
    std::fs::write(&c, root_hex).unwrap();
    #[rustfmt::skip]
    let st = std::process::Command::new("openssl")
        .args(["smime", "-verify", "-binary", "-inform", "DER", "-in", path_str(&s), "-content", path_str(&c),
            "-CAfile", path_str(cert), "-purpose", "any", "-out", "/dev/null"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    st.success()
}

/// The signature systemd-repart would make: `openssl smime -sign -binary -noattr` (DER).
fn openssl_sign(dir: &Path, root_hex: &str, key: &Path, cert: &Path) -> Vec<u8> {
    let (c, s) = (dir.join("sign.txt"), dir.join("sign.p7s"));
    std::fs::write(&c, root_hex).unwrap();
    #[rustfmt::skip]
    run("openssl", &["smime", "-sign", "-binary", "-noattr", "-in", path_str(&c), "-signer", path_str(cert),
        "-inkey", path_str(key), "-outform", "DER", "-out", path_str(&s)]);
    std::fs::read(s).unwrap()
}

fn repart_signed(d: &Path, key: &Path, cert: &Path) -> (Vec<u8>, String) {
    let (defs, root) = (d.join("defs"), d.join("root"));
    std::fs::create_dir_all(&defs).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=ddiboot-verity-sig\n").unwrap();
    let conf = |file: &str, body: &str| std::fs::write(defs.join(file), format!("[Partition]\n{body}")).unwrap();
    conf("10-root.conf", "Type=root-x86-64\nFormat=ext4\nCopyFiles=/\nVerity=data\nVerityMatchKey=root\n");
    conf("20-verity.conf", "Type=root-x86-64-verity\nVerity=hash\nVerityMatchKey=root\n");
    conf("30-sig.conf", "Type=root-x86-64-verity-sig\nVerity=signature\nVerityMatchKey=root\n");
    let image = d.join("repart.raw");
    #[rustfmt::skip]
    let json = run("systemd-repart", &[
        "--empty=create", "--size=auto", "--dry-run=no", "--json=short",
        "--seed=7d4f3c1e-2b6a-4e8d-9c0f-5a1b2c3d4e5f",
        &format!("--definitions={}", path_str(&defs)), &format!("--root={}", path_str(&root)),
        &format!("--private-key={}", path_str(key)), &format!("--certificate={}", path_str(cert)),
        path_str(&image),
    ]);
    let at = json.find("\"roothash\":\"").expect("no roothash in systemd-repart's JSON") + 12;
    (std::fs::read(&image).unwrap(), json[at..at + 64].to_string())
}

#[test]
fn systemd_repart_signature_partition() {
    let dir = TempDir::new("verity-sig-repart");
    let (key, cert) = keypair(&dir.0);
    let (img, roothash) = repart_signed(&dir.0, &key, &cert);
    let gpt = read_gpt(&mut SliceReader(&img), None).unwrap();
    let sig_part = verity_sig_partition(&gpt, Arch::X86_64).unwrap().expect("no verity-sig partition");
    assert_eq!(sig_part.number, 3);
    let part = contents(&img, &sig_part);
    assert!(part.len() > MAX_JSON, "repart's partition ({} bytes) exercises the padding check", part.len());
    let (rh, sig) = parse(part).unwrap();
    assert_eq!(rh, roothash);
    // The decoded signature is a PKCS#7 openssl verifies over the hex text, and it is byte
    // for byte what `openssl smime -sign -binary -noattr` makes (so mkddi --sign matches).
    assert!(openssl_verifies(&dir.0, &sig, &rh, &cert));
    // Another root hash (its first digit changed) does not verify.
    let other = format!("{}{}", if rh.starts_with('0') { '1' } else { '0' }, &rh[1..]);
    assert!(!openssl_verifies(&dir.0, &sig, &other, &cert));
    assert_eq!(sig, openssl_sign(&dir.0, &rh, &key, &cert));

    // The signature's rootHash pairs the partitions, as roothash= would.
    let s = select(&gpt, Arch::X86_64, Some(&unhex(&rh))).unwrap();
    assert_eq!((s.data.number, s.verity.unwrap().number, s.verity_sig), (1, 2, Some(sig_part)));

    // Damage to the real partition: each gets its own error.
    let json_len = part.iter().position(|&b| b == 0).unwrap();
    let damaged = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut p = part.to_vec();
        f(&mut p);
        parse(&p).map(|_| ()).unwrap_err()
    };
    let find = |s: &str| part.windows(s.len()).position(|w| w == s.as_bytes()).unwrap();
    let (rh_at, sig_at) = (find("\"rootHash\":\""), find("\"signature\":\""));
    assert_eq!(damaged(&|p| p[json_len - 3] = b'!'), SigError::BadBase64);
    assert_eq!(damaged(&|p| p[json_len - 1] = 0), SigError::Truncated);
    assert_eq!(damaged(&|p| p[json_len + 100] = b' '), SigError::EmbeddedNul);
    assert_eq!(damaged(&|p| *p.last_mut().unwrap() = b'\n'), SigError::EmbeddedNul);
    assert_eq!(damaged(&|p| p[json_len] = b'x'), SigError::Syntax(json_len as u32));
    assert_eq!(damaged(&|p| p[json_len / 2] = 0), SigError::EmbeddedNul);
    assert_eq!(damaged(&|p| p[..json_len].fill(0)), SigError::Empty);
    assert_eq!(damaged(&|p| p[0] = b'['), SigError::NotObject);
    assert_eq!(damaged(&|p| p[0xc0] = 0xff), SigError::BadBase64);
    assert_eq!(damaged(&|p| p[1] = 0xff), SigError::Syntax(1));
    assert_eq!(damaged(&|p| p[rh_at + 2] = b'O'), SigError::Missing(SigKey::RootHash));
    assert_eq!(damaged(&|p| p[sig_at + 9] = b'E'), SigError::Missing(SigKey::Signature));
    assert_eq!(damaged(&|p| p[rh_at + 12] = b'x'), SigError::BadRootHash);
    assert_eq!(damaged(&|p| p[sig_at + 12] = b'1'), SigError::NotString(SigKey::Signature));
    assert_eq!(damaged(&|p| p[sig_at + 13] = b'"'), SigError::Syntax(sig_at as u32 + 14));
    let e = damaged(&|p| p[..json_len].fill(b' '));
    assert_eq!((e, Line::of(&e).as_str()), (SigError::Empty, "partition holds no JSON"));
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn mkddi_sign_matches_systemd_format() {
    let dir = TempDir::new("verity-sig-mkddi");
    let d = &dir.0;
    let (key, cert) = keypair(d);
    std::fs::create_dir_all(d.join("tree/etc")).unwrap();
    std::fs::write(d.join("tree/etc/os-release"), "ID=ddiboot-mkddi-sign\n").unwrap();
    let image = d.join("signed.raw");
    let mkddi = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mkddi");
    #[rustfmt::skip]
    run(mkddi, &["--root", path_str(&d.join("tree")), "--output", path_str(&image), "--arch", "both",
        "--sign", path_str(&key), "--cert", path_str(&cert)]);
    let img = std::fs::read(&image).unwrap();
    let gpt = read_gpt(&mut SliceReader(&img), None).unwrap();
    let cert_der = run("openssl", &["x509", "-in", path_str(&cert), "-noout", "-fingerprint", "-sha256"]);
    let fingerprint = cert_der.trim().rsplit('=').next().unwrap().replace(':', "").to_lowercase();
    for (arch, name, first) in [(Arch::X86_64, "x86_64", 1), (Arch::Arm64, "aarch64", 4)] {
        let roothash = std::fs::read_to_string(format!("{}.{name}.roothash", image.display())).unwrap();
        let sig_part = verity_sig_partition(&gpt, arch).unwrap().expect("no verity-sig partition");
        assert_eq!(sig_part.number, first + 2);
        assert!(sig_part.attrs.read_only());
        let part = contents(&img, &sig_part);
        assert_eq!(part.len() % 4096, 0, "NUL-padded to 4 KiB");
        // systemd-repart's layout: compact JSON in this key order.
        let text = String::from_utf8_lossy(&part[..part.iter().position(|&b| b == 0).unwrap()]).into_owned();
        let want =
            format!(r#"{{"rootHash":"{}","certificateFingerprint":"{fingerprint}","signature":""#, roothash.trim());
        assert!(text.starts_with(&want), "{text}");
        let (rh, sig) = parse(part).unwrap();
        assert_eq!(rh, roothash.trim());
        assert!(openssl_verifies(d, &sig, &rh, &cert));
        assert_eq!(sig, openssl_sign(d, &rh, &key, &cert));
        let s = select(&gpt, arch, Some(&unhex(&rh))).unwrap();
        assert_eq!((s.data.number, s.verity.unwrap().number, s.verity_sig), (first, first + 1, Some(sig_part)));
    }
    // Unsigned images have none; --sign without --cert is refused.
    let plain = d.join("plain.raw");
    run(mkddi, &["--root", path_str(&d.join("tree")), "--output", path_str(&plain)]);
    let img = std::fs::read(&plain).unwrap();
    let gpt = read_gpt(&mut SliceReader(&img), None).unwrap();
    assert_eq!(verity_sig_partition(&gpt, ddiboot::format::ddi::NATIVE_ARCH), Ok(None));
    let out = std::process::Command::new(mkddi)
        .args(["--root", path_str(&d.join("tree")), "--output", path_str(&plain), "--sign", path_str(&key)])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sign and --cert go together"));
}
