//! The "new" (SVR4, `070701`) cpio format the kernel unpacks an initramfs from
//! (Documentation/driver-api/early-userspace/buffer-format.rst), written
//! reproducibly: entries sorted by name, inode numbers in that order, owner 0:0, one
//! mtime for all, the archive padded to 512 bytes as cpio(1) does.
//!
//! Each header is "070701" and 13 fields of 8 hex digits: ino, mode, uid, gid, nlink,
//! mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check. The
//! name follows (namesize counts its bytes and the NUL), padded to 4 bytes with the
//! 110-byte header; then the data, padded to 4. A file of 4 GiB or more does not fit
//! filesize and is refused.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::PathBuf;

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Dir,
    /// A regular file with the contents of a host file.
    File(PathBuf),
    /// A character device node.
    CharDev {
        major: u32,
        minor: u32,
    },
}

/// One archive entry: its name in the archive (relative, no leading `/`), its
/// permission bits and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub mode: u32,
    pub kind: Kind,
}

/// Why an archive could not be written.
#[derive(Debug)]
pub enum Error {
    /// A name the kernel would not unpack where meant.
    BadName { name: String, why: &'static str },
    /// Two entries with one name.
    Duplicate { name: String },
    /// An entry whose directory is not in the archive (the kernel creates none).
    NoParent { name: String, parent: String },
    /// Permission bits beyond 0o7777.
    BadMode { name: String, mode: u32 },
    /// A file of 4 GiB or more: newc's filesize field is 32 bits.
    TooBig { name: String, size: u64 },
    /// The mtime (SOURCE_DATE_EPOCH) is not a number of seconds that fits 32 bits.
    BadMtime { value: String },
    /// Reading a file or writing the archive failed.
    Io { what: String, err: io::Error },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadName { name, why } => write!(f, "entry name {name:?} {why}"),
            Error::Duplicate { name } => write!(f, "two entries named {name:?}"),
            Error::NoParent { name, parent } => {
                write!(f, "{name:?} has no directory entry {parent:?} before it")
            }
            Error::BadMode { name, mode } => write!(f, "{name:?}: mode {mode:o} is not 0..7777"),
            Error::TooBig { name, size } => {
                write!(f, "{name:?} is {size} bytes: a newc cpio holds files below 4 GiB (32-bit size field)")
            }
            Error::BadMtime { value } => {
                write!(f, "SOURCE_DATE_EPOCH={value:?} is not a number of seconds from 0 to 4294967295")
            }
            Error::Io { what, err } => write!(f, "{what}: {err}"),
        }
    }
}

impl std::error::Error for Error {}

/// The mtime of every entry: SOURCE_DATE_EPOCH if set (decimal seconds; newc has 32
/// bits), else 0.
pub fn mtime_from(source_date_epoch: Option<&str>) -> Result<u32, Error> {
    match source_date_epoch {
        None => Ok(0),
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse().map_err(|_| Error::BadMtime { value: v.into() })
        }
        Some(v) => Err(Error::BadMtime { value: v.into() }),
    }
}

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;

/// The header and padded name of one entry.
pub fn header(
    ino: u32,
    mode: u32,
    nlink: u32,
    mtime: u32,
    size: u64,
    rdev: (u32, u32),
    name: &str,
) -> Result<Vec<u8>, Error> {
    let filesize = u32::try_from(size).map_err(|_| Error::TooBig { name: name.into(), size })?;
    let namesize = name.len() + 1; // bytes, with the NUL
    let mut h = format!(
        "070701{ino:08X}{mode:08X}{:08X}{:08X}{nlink:08X}{mtime:08X}{filesize:08X}{:08X}{:08X}{:08X}{:08X}{namesize:08X}{:08X}",
        0, 0, 0, 0, rdev.0, rdev.1, 0
    )
    .into_bytes();
    h.extend_from_slice(name.as_bytes());
    h.push(0);
    h.resize(h.len().next_multiple_of(4), 0);
    Ok(h)
}

fn check_name(name: &str) -> Result<(), Error> {
    let bad = |why| Err(Error::BadName { name: name.into(), why });
    if name.is_empty() {
        return bad("is empty");
    }
    if name.starts_with('/') {
        return bad("starts with '/' (names are relative to the archive's root)");
    }
    if name.ends_with('/') || name.contains("//") {
        return bad("has an empty path component");
    }
    if name.split('/').any(|c| c == "." || c == "..") {
        return bad("has a '.' or '..' component");
    }
    if name.bytes().any(|b| b == 0 || b == b'\n') {
        return bad("contains a NUL or newline");
    }
    if name == "TRAILER!!!" {
        return bad("is the archive's end marker");
    }
    Ok(())
}

/// Checks the entries and sorts them by name (bytewise): names valid and unique, each
/// entry's parent directory present, modes within 0o7777.
pub fn prepare(entries: &mut [Entry]) -> Result<(), Error> {
    entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    for (i, e) in entries.iter().enumerate() {
        check_name(&e.name)?;
        if e.mode > 0o7777 {
            return Err(Error::BadMode { name: e.name.clone(), mode: e.mode });
        }
        if i > 0 && entries[i - 1].name == e.name {
            return Err(Error::Duplicate { name: e.name.clone() });
        }
        if let Some((parent, _)) = e.name.rsplit_once('/') {
            let found = entries
                .binary_search_by(|x| x.name.as_bytes().cmp(parent.as_bytes()))
                .is_ok_and(|j| entries[j].kind == Kind::Dir);
            if !found {
                return Err(Error::NoParent { name: e.name.clone(), parent: parent.into() });
            }
        }
    }
    Ok(())
}

/// Writes the archive of `entries` (see [`prepare`]) to `out`; returns its size.
pub fn write(out: &mut impl Write, entries: &mut [Entry], mtime: u32) -> Result<u64, Error> {
    prepare(entries)?;
    let mut w = Counted { out, n: 0 };
    let io = |what: &str| {
        let what = what.to_string();
        move |err| Error::Io { what, err }
    };
    for (i, e) in entries.iter().enumerate() {
        let ino = u32::try_from(i + 1).expect("fewer than 4 billion entries");
        match &e.kind {
            Kind::Dir => {
                let h = header(ino, S_IFDIR | e.mode, 2, mtime, 0, (0, 0), &e.name)?;
                w.write_all(&h).map_err(io("writing the archive"))?;
            }
            Kind::CharDev { major, minor } => {
                let h = header(ino, S_IFCHR | e.mode, 1, mtime, 0, (*major, *minor), &e.name)?;
                w.write_all(&h).map_err(io("writing the archive"))?;
            }
            Kind::File(path) => {
                let what = format!("reading {}", path.display());
                let f = std::fs::File::open(path).map_err(io(&what))?;
                let size = f.metadata().map_err(io(&what))?.len();
                let h = header(ino, S_IFREG | e.mode, 1, mtime, size, (0, 0), &e.name)?;
                w.write_all(&h).map_err(io("writing the archive"))?;
                let copied = io::copy(&mut f.take(size), &mut w).map_err(io(&what))?;
                if copied != size {
                    return Err(Error::Io {
                        what,
                        err: io::Error::other(format!("shrank from {size} to {copied} bytes")),
                    });
                }
                w.pad(4).map_err(io("writing the archive"))?;
            }
        }
    }
    let t = header(0, 0, 1, mtime, 0, (0, 0), "TRAILER!!!")?;
    w.write_all(&t).map_err(io("writing the archive"))?;
    w.pad(512).map_err(io("writing the archive"))?;
    w.flush().map_err(io("writing the archive"))?;
    Ok(w.n)
}

/// A writer that counts, for the padding.
struct Counted<'a, W: Write> {
    out: &'a mut W,
    n: u64,
}

impl<W: Write> Counted<'_, W> {
    fn pad(&mut self, to: u64) -> io::Result<()> {
        let fill = self.n.next_multiple_of(to) - self.n;
        let zeros = [0u8; 512];
        let len = usize::try_from(fill).expect("below 512");
        self.write_all(&zeros[..len])
    }
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Parses a manifest, one entry a line, fields separated by tabs:
/// `dir NAME MODE`, `file NAME MODE HOST-PATH`, `char NAME MODE MAJOR MINOR`
/// (MODE in octal). Empty lines are skipped.
pub fn parse_manifest(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let bad = |why: &str| format!("manifest line {}: {why}: {line:?}", i + 1);
        let mode = |s: &str| u32::from_str_radix(s, 8).map_err(|_| bad("MODE is not octal"));
        let num = |s: &str| s.parse::<u32>().map_err(|_| bad("not a device number"));
        let kind = match (f[0], f.len()) {
            ("dir", 3) => Kind::Dir,
            ("file", 4) => Kind::File(PathBuf::from(f[3])),
            ("char", 5) => Kind::CharDev { major: num(f[3])?, minor: num(f[4])? },
            _ => return Err(bad("want dir/file/char and its fields, tab-separated")),
        };
        entries.push(Entry { name: f[1].to_string(), mode: mode(f[2])?, kind });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: &[u8], i: usize) -> u32 {
        let s = std::str::from_utf8(&h[6 + 8 * i..14 + 8 * i]).unwrap();
        u32::from_str_radix(s, 16).unwrap()
    }

    #[test]
    fn header_fields_and_padding() {
        let h = header(7, S_IFREG | 0o644, 1, 1234, 5, (0, 0), "init").unwrap();
        assert_eq!(&h[..6], b"070701");
        assert_eq!(field(&h, 0), 7);
        assert_eq!(field(&h, 1), 0o100644);
        assert_eq!(field(&h, 4), 1);
        assert_eq!(field(&h, 5), 1234);
        assert_eq!(field(&h, 6), 5);
        assert_eq!(field(&h, 11), 5); // "init" + NUL
        assert_eq!(&h[110..115], b"init\0");
        assert_eq!(h.len() % 4, 0);
        assert_eq!(h.len(), 116);
    }

    #[test]
    fn name_size_counts_bytes_not_characters() {
        // "é" is two bytes in UTF-8: namesize 3 + NUL = 4... of bytes, not characters.
        let h = header(1, S_IFDIR | 0o755, 2, 0, 0, (0, 0), "dé").unwrap();
        assert_eq!(field(&h, 11), 4);
        assert_eq!(&h[110..114], "dé\0".as_bytes());
    }

    #[test]
    fn four_gib_is_refused() {
        assert!(header(1, S_IFREG, 1, 0, u64::from(u32::MAX), (0, 0), "big").is_ok());
        let e = header(1, S_IFREG, 1, 0, 1 << 32, (0, 0), "big").unwrap_err();
        assert!(matches!(e, Error::TooBig { size: 4294967296, .. }));
        assert!(e.to_string().contains("below 4 GiB"));
    }

    #[test]
    fn mtime_from_source_date_epoch() {
        assert_eq!(mtime_from(None).unwrap(), 0);
        assert_eq!(mtime_from(Some("1700000000")).unwrap(), 1_700_000_000);
        assert_eq!(mtime_from(Some("4294967295")).unwrap(), u32::MAX);
        for bad in ["", "-1", "1e9", "4294967296", " 5"] {
            assert!(mtime_from(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_checked() {
        for (name, why) in [
            ("", "empty"),
            ("/init", "starts with '/'"),
            ("a/../b", "'..'"),
            ("a//b", "empty path component"),
            ("a\nb", "newline"),
            ("TRAILER!!!", "end marker"),
        ] {
            let mut e = vec![Entry { name: name.into(), mode: 0o644, kind: Kind::Dir }];
            let err = prepare(&mut e).unwrap_err().to_string();
            assert!(err.contains(why), "{name:?}: {err}");
        }
    }

    #[test]
    fn parents_duplicates_and_modes() {
        let d = |n: &str| Entry { name: n.into(), mode: 0o755, kind: Kind::Dir };
        let mut e = vec![d("modules/x")];
        assert!(matches!(prepare(&mut e), Err(Error::NoParent { .. })));
        let mut e = vec![d("a"), d("a")];
        assert!(matches!(prepare(&mut e), Err(Error::Duplicate { .. })));
        let mut e = vec![Entry { name: "a".into(), mode: 0o10000, kind: Kind::Dir }];
        assert!(matches!(prepare(&mut e), Err(Error::BadMode { .. })));
        let mut e = vec![d("b/c"), d("b"), d("a")];
        prepare(&mut e).unwrap();
        let names: Vec<_> = e.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "b/c"]);
    }

    #[test]
    fn archive_layout() {
        let dir = std::env::temp_dir().join(format!("ddiboot-cpio-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("init");
        std::fs::write(&f, b"hello").unwrap();
        let mut entries = vec![
            Entry { name: "init".into(), mode: 0o755, kind: Kind::File(f.clone()) },
            Entry { name: "dev".into(), mode: 0o755, kind: Kind::Dir },
            Entry { name: "dev/console".into(), mode: 0o600, kind: Kind::CharDev { major: 5, minor: 1 } },
        ];
        let mut out = Vec::new();
        let n = write(&mut out, &mut entries, 42).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(n as usize, out.len());
        assert_eq!(out.len() % 512, 0);
        // dev (ino 1), dev/console (ino 2), init (ino 3, 5 bytes + 3 padding), trailer.
        let dev = &out[..];
        assert_eq!(&dev[110..114], b"dev\0");
        assert_eq!(field(dev, 0), 1);
        assert_eq!(field(dev, 1), S_IFDIR | 0o755);
        assert_eq!(field(dev, 5), 42);
        let con = &out[116..];
        assert_eq!(&con[110..122], b"dev/console\0");
        assert_eq!((field(con, 1), field(con, 9), field(con, 10)), (S_IFCHR | 0o600, 5, 1));
        let init = &con[124..];
        assert_eq!((field(init, 0), field(init, 6)), (3, 5));
        assert_eq!(&init[116..124], b"hello\0\0\0");
        let tr = &init[124..];
        assert_eq!(&tr[110..121], b"TRAILER!!!\0");
        assert_eq!(field(tr, 4), 1);
        assert!(tr[124..].iter().all(|&b| b == 0));
    }

    #[test]
    fn real_cpio_reads_it() {
        // cpio(1) (Debian package cpio, which scripts/test installs) lists the archive
        // as written.
        let dir = std::env::temp_dir().join(format!("ddiboot-cpio-real-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("data");
        std::fs::write(&f, vec![7u8; 1001]).unwrap();
        let mut entries = vec![
            Entry { name: "d".into(), mode: 0o755, kind: Kind::Dir },
            Entry { name: "d/f".into(), mode: 0o644, kind: Kind::File(f) },
        ];
        let mut out = Vec::new();
        write(&mut out, &mut entries, 0).unwrap();
        let mut child = std::process::Command::new("cpio")
            .args(["-it", "--quiet"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("cpio(1) runs (Debian package cpio)");
        child.stdin.take().unwrap().write_all(&out).unwrap();
        let listed = child.wait_with_output().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(listed.status.success());
        assert_eq!(String::from_utf8(listed.stdout).unwrap(), "d\nd/f\n");
    }

    #[test]
    fn manifest_lines() {
        let m = "dir\tdev\t755\nchar\tdev/console\t600\t5\t1\n\nfile\tinit\t755\t/tmp/x\n";
        let e = parse_manifest(m).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].kind, Kind::CharDev { major: 5, minor: 1 });
        assert_eq!(e[2], Entry { name: "init".into(), mode: 0o755, kind: Kind::File("/tmp/x".into()) });
        assert!(parse_manifest("file\tinit\t755\n").unwrap_err().contains("line 1"));
        assert!(parse_manifest("dir\tx\t9\n").unwrap_err().contains("octal"));
    }
}
