//! Helpers shared by the integration tests that build images with the real tools.
#![allow(dead_code)]

use ddiboot::errno::Errno;
use ddiboot::format::block::{BlockReader, ReadError};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A scratch directory (unique per process and call), removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ddiboot-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a tool and returns its stdout. A missing tool or a failure fails the test with
/// a clear message (the tests never skip: scripts/test installs the packages).
pub fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).env("MTOOLS_SKIP_CHECK", "1").output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{tool}` ({e}); install it (sgdisk: gdisk, mkfs.vfat: dosfstools, mcopy: mtools, \
             veritysetup: cryptsetup-bin, mkfs.erofs: erofs-utils, mksquashfs: squashfs-tools, mkfs.ext4: e2fsprogs)"
        )
    });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "`{tool} {}` failed ({}): {stdout}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Deterministic pseudo-random test data (xorshift64).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A disk image file as a block device.
pub struct FileDisk(pub File);

impl BlockReader for FileDisk {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        self.0.read_exact_at(buf, offset).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => ReadError::Short,
            _ => ReadError::Errno(Errno(e.raw_os_error().unwrap_or(5) as u16)),
        })
    }
    fn size(&self) -> u64 {
        self.0.metadata().unwrap().len()
    }
}
