//! Files, directories, block devices.

use super::{check, CPath, Errno, SysResult};
use crate::devno::DevNo;
use crate::format::block::{BlockReader, ReadError};
use core::ffi::CStr;
use core::sync::atomic::{AtomicI32, Ordering::Relaxed};
use linux_raw_sys::general as g;
use sc::syscall;

/// An owned file descriptor, closed on drop.
pub struct Fd(i32);

const AT_FDCWD: i32 = g::AT_FDCWD;
pub const O_RDONLY: u32 = g::O_RDONLY;
pub const O_WRONLY: u32 = g::O_WRONLY;
pub const O_RDWR: u32 = g::O_RDWR;
pub const O_DIRECTORY: u32 = g::O_DIRECTORY;
pub const O_CLOEXEC: u32 = g::O_CLOEXEC;
pub const O_NOFOLLOW: u32 = g::O_NOFOLLOW;

impl Fd {
    /// The descriptor's number (for syscalls and structs that take one; still owned
    /// by `self`).
    pub fn raw(&self) -> i32 {
        self.0
    }

    /// Take ownership of a descriptor the kernel handed us (e.g. from `socket`).
    ///
    /// # Safety
    /// `fd` is an open descriptor that nothing else owns: it is closed when the `Fd`
    /// is dropped, and no one else may use or close it meanwhile.
    pub unsafe fn from_raw(fd: i32) -> Fd {
        Fd(fd)
    }

    /// Give up ownership: the descriptor stays open and its number is returned.
    fn into_raw(self) -> i32 {
        let fd = self.0;
        core::mem::forget(self);
        fd
    }
}

/// A descriptor kept in a `static` (the log's `/dev/kmsg`): owned by the slot and lent
/// to one user at a time, so that no use can overlap the close of a replacement.
/// (Relaxed is enough: the descriptor number is all that passes through the atomic,
/// and read-modify-writes of one atomic are totally ordered.)
pub struct FdSlot(AtomicI32);

impl FdSlot {
    pub const fn empty() -> FdSlot {
        FdSlot(AtomicI32::new(-1))
    }

    /// Put `fd` in the slot (`None`: leave it empty), closing the descriptor held before.
    pub fn replace(&self, fd: Option<Fd>) {
        let old = self.0.swap(fd.map_or(-1, Fd::into_raw), Relaxed);
        if old >= 0 {
            drop(Fd(old));
        }
    }

    /// `f` with the slot's descriptor; `None` when the slot is empty (or lent out).
    pub fn with<R>(&self, f: impl FnOnce(&Fd) -> R) -> Option<R> {
        let raw = self.0.swap(-1, Relaxed);
        if raw < 0 {
            return None;
        }
        let fd = Fd(raw);
        let r = f(&fd);
        // Back into the slot, unless it was given another descriptor meanwhile.
        if self.0.compare_exchange(-1, raw, Relaxed, Relaxed).is_ok() {
            core::mem::forget(fd);
        }
        Some(r)
    }
}

impl Drop for Fd {
    // Out of line: one copy instead of one per owner of an `Fd` (docs/size.md).
    #[inline(never)]
    fn drop(&mut self) {
        // int close(int fd);
        // SAFETY: closing a descriptor we own; no memory is passed.
        let _ = unsafe { syscall!(CLOSE, self.0) };
    }
}

/// `int openat(int dirfd, const char *pathname, int flags, mode_t mode);` with a
/// directory we hold open or `AT_FDCWD`.
fn open_in(dir: i32, path: &CStr, flags: u32) -> SysResult<Fd> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let r = unsafe { syscall!(OPENAT, dir, path.as_ptr(), flags | O_CLOEXEC, 0) };
    check(r).map(|fd| Fd(fd as i32))
}

/// `path` relative to the open directory `dir` (always `O_CLOEXEC`).
pub fn openat(dir: &Fd, path: &CStr, flags: u32) -> SysResult<Fd> {
    open_in(dir.0, path, flags)
}

/// `path` relative to the working directory (always `O_CLOEXEC`).
pub fn open(path: &CStr, flags: u32) -> SysResult<Fd> {
    open_in(AT_FDCWD, path, flags)
}

/// `ssize_t read(int fd, void *buf, size_t count);`
pub fn read(fd: &Fd, buf: &mut [u8]) -> SysResult<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    check(unsafe { syscall!(READ, fd.0, buf.as_mut_ptr(), buf.len()) })
}

/// `ssize_t pread64(int fd, void *buf, size_t count, off_t offset);`
pub fn pread(fd: &Fd, buf: &mut [u8], offset: u64) -> SysResult<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    check(unsafe { syscall!(PREAD64, fd.0, buf.as_mut_ptr(), buf.len(), offset) })
}

/// `ssize_t write(int fd, const void *buf, size_t count);` on a descriptor number
/// (`write` and `write_stderr` pick it).
fn write_to(fd: i32, buf: &[u8]) -> SysResult<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
    check(unsafe { syscall!(WRITE, fd, buf.as_ptr(), buf.len()) })
}

pub fn write(fd: &Fd, buf: &[u8]) -> SysResult<usize> {
    write_to(fd.0, buf)
}

/// Write to fd 2, the console the kernel opened for `/init` (like `std::io::stderr`).
pub fn write_stderr(buf: &[u8]) -> SysResult<usize> {
    write_to(2, buf)
}

/// Read a whole (small) file into `buf`; returns the bytes read. A file that does not
/// fit is an error, `EFBIG`, never cut short silently.
pub fn read_file<'a>(path: &CStr, buf: &'a mut [u8]) -> SysResult<&'a [u8]> {
    let fd = open(path, O_RDONLY)?;
    let mut n = 0;
    // `get` rather than indexing: the kernel never returns more than asked, but an index
    // that could fail would link the panic formatting code (docs/size.md).
    loop {
        let Some(rest) = buf.get_mut(n..).filter(|r| !r.is_empty()) else {
            // Full: one more byte tells whether the file goes on.
            return match read(&fd, &mut [0u8; 1]) {
                Ok(0) => Ok(buf.get(..n).unwrap_or(&[])),
                Ok(_) => Err(Errno::EFBIG),
                Err(e) => Err(e),
            };
        };
        match read(&fd, rest) {
            Ok(0) => return Ok(buf.get(..n).unwrap_or(&[])),
            Ok(k) => n += k,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// `int mkdirat(int dirfd, const char *pathname, mode_t mode);` — EEXIST is success.
pub fn mkdir(path: &CStr, mode: u32) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    match check(unsafe { syscall!(MKDIRAT, AT_FDCWD, path.as_ptr(), mode) }) {
        Ok(_) | Err(Errno::EEXIST) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `int unlinkat(int dirfd, const char *pathname, int flags);`
fn unlink_in(dir: i32, path: &CStr, flags: u32) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    check(unsafe { syscall!(UNLINKAT, dir, path.as_ptr(), flags) }).map(drop)
}

/// Remove `path` (relative to the open directory `dir`; a directory with `AT_REMOVEDIR`).
pub fn unlinkat(dir: &Fd, path: &CStr, flags: u32) -> SysResult<()> {
    unlink_in(dir.0, path, flags)
}

/// Remove the file `path` (relative to the working directory).
pub fn unlink(path: &CStr) -> SysResult<()> {
    unlink_in(AT_FDCWD, path, 0)
}

pub const AT_REMOVEDIR: u32 = g::AT_REMOVEDIR;

/// `int chdir(const char *path);`
pub fn chdir(path: &CStr) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    check(unsafe { syscall!(CHDIR, path.as_ptr()) }).map(drop)
}

/// `int chroot(const char *path);`
pub fn chroot(path: &CStr) -> SysResult<()> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    check(unsafe { syscall!(CHROOT, path.as_ptr()) }).map(drop)
}

/// What `statx` tells us about a file.
#[derive(Clone, Copy)]
pub struct FileStat {
    pub mode: u32,
    pub size: u64,
    /// Device holding the file (major, minor).
    pub dev: (u32, u32),
    /// For device nodes: the device itself (major, minor).
    pub rdev: DevNo,
}

pub const S_IFMT: u32 = 0o170000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFBLK: u32 = 0o060000;

/// `int statx(int dirfd, const char *pathname, int flags, unsigned int mask, struct statx *statxbuf);`
/// With an empty path this stats `dir` itself (`AT_EMPTY_PATH`). Symlinks are not followed.
fn statx(dir: i32, path: &CStr) -> SysResult<FileStat> {
    // SAFETY: an all-zero `statx` is a valid value of this plain C struct.
    let mut st: g::statx = unsafe { core::mem::zeroed() };
    let flags = g::AT_EMPTY_PATH | g::AT_SYMLINK_NOFOLLOW;
    // SAFETY: `path` is NUL-terminated; the kernel writes one `struct statx` into `st`.
    check(unsafe { syscall!(STATX, dir, path.as_ptr(), flags, g::STATX_BASIC_STATS, &mut st as *mut g::statx) })?;
    Ok(FileStat {
        mode: st.stx_mode as u32,
        size: st.stx_size,
        dev: (st.stx_dev_major, st.stx_dev_minor),
        rdev: DevNo::new(st.stx_rdev_major, st.stx_rdev_minor),
    })
}

pub fn fstat(fd: &Fd) -> SysResult<FileStat> {
    statx(fd.0, c"")
}

/// `int fstatfs(int fd, struct statfs *buf);` — only the filesystem magic.
pub fn fstatfs_type(fd: &Fd) -> SysResult<u64> {
    // SAFETY: an all-zero `statfs` is a valid value of this plain C struct.
    let mut st: g::statfs = unsafe { core::mem::zeroed() };
    // SAFETY: the kernel writes one `struct statfs` into `st`.
    check(unsafe { syscall!(FSTATFS, fd.0, &mut st as *mut g::statfs) })?;
    Ok(st.f_type as u64)
}

pub const RAMFS_MAGIC: u64 = g::RAMFS_MAGIC as u64;
pub const TMPFS_MAGIC: u64 = g::TMPFS_MAGIC as u64;

/// One entry of a directory listing.
pub struct DirEntry<'a> {
    pub name: &'a [u8],
    pub d_type: u8,
}

pub const DT_DIR: u8 = g::DT_DIR as u8;
pub const DT_REG: u8 = g::DT_REG as u8;
pub const DT_LNK: u8 = g::DT_LNK as u8;

/// Calls `f` for every entry of the open directory `dir` except `.` and `..`.
/// `ssize_t getdents64(int fd, void *dirp, size_t count);`
pub fn for_each_entry(dir: &Fd, f: &mut dyn FnMut(&DirEntry) -> bool) -> SysResult<()> {
    let mut buf = [0u8; 2048];
    loop {
        // SAFETY: the kernel writes at most `buf.len()` bytes of dirents into `buf`.
        let n = check(unsafe { syscall!(GETDENTS64, dir.0, buf.as_mut_ptr(), buf.len()) })?;
        if n == 0 {
            return Ok(());
        }
        // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        let mut rest = buf.get(..n).ok_or(Errno::EIO)?;
        while let Some(&[r0, r1, d_type]) = rest.get(16..19) {
            let reclen = u16::from_ne_bytes([r0, r1]) as usize;
            let raw = rest.get(19..reclen).filter(|_| reclen >= 20).ok_or(Errno::EIO)?;
            let name = raw.split(|&b| b == 0).next().unwrap_or(raw);
            rest = rest.get(reclen..).unwrap_or(&[]);
            if name == b"." || name == b".." {
                continue;
            }
            if !f(&DirEntry { name, d_type }) {
                return Ok(());
            }
        }
    }
}

/// Back to the first entry of a directory (`lseek(fd, 0, SEEK_SET)`).
pub fn rewind(fd: &Fd) -> SysResult<()> {
    // SAFETY: no memory is passed.
    check(unsafe { syscall!(LSEEK, fd.0, 0, 0) }).map(drop)
}

/// `ioctl(fd, BLKGETSIZE64, u64*)` / `ioctl(fd, BLKSSZGET, int*)`.
pub fn block_geometry(fd: &Fd) -> SysResult<(u64, u32)> {
    let mut size: u64 = 0;
    let mut lbs: i32 = 0;
    // SAFETY: BLKGETSIZE64 writes one u64 into `size`.
    check(unsafe { syscall!(IOCTL, fd.0, linux_raw_sys::ioctl::BLKGETSIZE64, &mut size as *mut u64) })?;
    // SAFETY: BLKSSZGET writes one int into `lbs`.
    check(unsafe { syscall!(IOCTL, fd.0, linux_raw_sys::ioctl::BLKSSZGET, &mut lbs as *mut i32) })?;
    Ok((size, lbs as u32))
}

/// A block device (or regular file) opened read-only, read with pread.
pub struct Device {
    pub fd: Fd,
    pub size: u64,
    /// Logical block size: 512 or 4096 for disks; 0 for regular files (probe).
    pub block_size: u32,
    /// (major, minor) of the device node; (0, 0) for a regular file.
    pub devno: DevNo,
}

impl Device {
    pub fn open(path: &CStr) -> SysResult<Device> {
        Device::of(open(path, O_RDONLY)?)
    }

    /// The device (or regular file) open as `fd`.
    pub fn of(fd: Fd) -> SysResult<Device> {
        let st = fstat(&fd)?;
        if st.mode & S_IFMT == S_IFBLK {
            let (size, block_size) = block_geometry(&fd)?;
            Ok(Device { fd, size, block_size, devno: st.rdev })
        } else {
            Ok(Device { fd, size: st.size, block_size: 0, devno: DevNo::new(0, 0) })
        }
    }

    pub fn open_path(path: &CPath) -> SysResult<Device> {
        Device::open(path.as_cstr())
    }

    /// Read only what is asked for, no readahead around it (`POSIX_FADV_RANDOM` on this
    /// open file). A kernel without fadvise (`CONFIG_ADVISE_SYSCALLS` off) reads ahead.
    pub fn no_readahead(&self) {
        const POSIX_FADV_RANDOM: usize = 1;
        // SAFETY: integer arguments only; the kernel reads no memory of ours.
        let _ = unsafe { syscall!(FADVISE64, self.fd.raw(), 0usize, 0usize, POSIX_FADV_RANDOM) };
    }
}

impl BlockReader for Device {
    fn read_at(&mut self, mut offset: u64, mut buf: &mut [u8]) -> Result<(), ReadError> {
        let end = offset.checked_add(buf.len() as u64).ok_or(ReadError::OutOfRange)?;
        if end > self.size {
            return Err(ReadError::OutOfRange);
        }
        while !buf.is_empty() {
            match pread(&self.fd, buf, offset) {
                Ok(0) => return Err(ReadError::Short),
                Ok(n) => {
                    buf = buf.get_mut(n..).ok_or(ReadError::Short)?;
                    offset += n as u64;
                }
                Err(Errno::EINTR) => {}
                Err(e) => return Err(ReadError::Errno(e)),
            }
        }
        Ok(())
    }

    fn size(&self) -> u64 {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, len: usize) -> (std::path::PathBuf, std::ffi::CString) {
        let p = std::env::temp_dir().join(format!("ddiboot-fs-test-{}-{name}", std::process::id()));
        std::fs::write(&p, vec![b'x'; len]).unwrap();
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        (p, c)
    }

    #[test]
    fn read_file_refuses_to_cut() {
        let mut buf = [0u8; 16];
        for (len, want) in [(0, Ok(0)), (15, Ok(15)), (16, Ok(16)), (17, Err(Errno::EFBIG)), (4096, Err(Errno::EFBIG))]
        {
            let (p, c) = temp_file(&format!("read{len}"), len);
            assert_eq!(read_file(&c, &mut buf).map(|b| b.len()), want, "file of {len} bytes");
            std::fs::remove_file(p).unwrap();
        }
        assert_eq!(read_file(c"/nonexistent/ddiboot", &mut buf).err(), Some(Errno::ENOENT));
    }

    #[test]
    fn fd_slot_owns_and_lends() {
        let (p, c) = temp_file("slot", 3);
        let slot = FdSlot::empty();
        assert_eq!(slot.with(|_| ()), None);
        slot.replace(Some(open(&c, O_RDONLY).unwrap()));
        assert!(slot.with(|fd| fd.raw()).unwrap() >= 0);
        // Lent out: a nested use finds the slot empty, and the fd comes back afterwards.
        assert_eq!(slot.with(|_| slot.with(|_| ())), Some(None));
        assert_eq!(slot.with(|fd| fstat(fd).map(|st| st.size)), Some(Ok(3)));
        // Replaced while lent out: the lent fd is closed after use, the new one stays.
        slot.with(|_| slot.replace(Some(open(&c, O_RDONLY).unwrap()))).unwrap();
        assert!(slot.with(|fd| fstat(fd).is_ok()).unwrap());
        slot.replace(None);
        assert_eq!(slot.with(|_| ()), None);
        std::fs::remove_file(p).unwrap();
    }
}
