//! Waiting for devices: the kernel's uevent netlink socket.
//!
//! ddiboot does not parse uevents: any event means "something changed, rescan sysfs".
//! The socket is opened before the first sysfs scan, so no device can slip between the
//! scan and the wait.

use super::fs::Fd;
use super::{check, Errno, SysResult};
use linux_raw_sys::general as g;
use linux_raw_sys::net as n;
use linux_raw_sys::netlink as nl;
use sc::syscall;

pub struct UeventSocket(Fd);

impl UeventSocket {
    /// `socket(AF_NETLINK, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT)`
    /// bound to the kernel's multicast group 1.
    pub fn open() -> SysResult<UeventSocket> {
        let ty = n::SOCK_DGRAM | g::O_CLOEXEC | g::O_NONBLOCK;
        // SAFETY: no memory is passed.
        let fd = check(unsafe { syscall!(SOCKET, n::AF_NETLINK, ty, nl::NETLINK_KOBJECT_UEVENT) })?;
        // SAFETY: `socket` just returned this descriptor, which nothing else knows of.
        let fd = unsafe { Fd::from_raw(fd as i32) };
        // SAFETY: an all-zero sockaddr_nl is valid.
        let mut sa: nl::sockaddr_nl = unsafe { core::mem::zeroed() };
        sa.nl_family = n::AF_NETLINK as _;
        sa.nl_groups = 1;
        let len = core::mem::size_of::<nl::sockaddr_nl>();
        // SAFETY: `sa` is a valid sockaddr_nl of `len` bytes.
        check(unsafe { syscall!(BIND, fd.raw(), &sa as *const nl::sockaddr_nl, len) })?;
        Ok(UeventSocket(fd))
    }

    /// Wait up to `timeout_ms` for events; returns whether any arrived (all pending
    /// events are drained). `int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo, const sigset_t *sigmask);`
    pub fn wait(&self, timeout_ms: u64) -> SysResult<bool> {
        let mut pfd = g::pollfd { fd: self.0.raw(), events: g::POLLIN as i16, revents: 0 };
        let ts =
            g::__kernel_timespec { tv_sec: (timeout_ms / 1000) as _, tv_nsec: ((timeout_ms % 1000) * 1_000_000) as _ };
        // SAFETY: one valid pollfd and a valid timespec; no signal mask.
        let r = unsafe { syscall!(PPOLL, &mut pfd as *mut g::pollfd, 1, &ts as *const g::__kernel_timespec, 0, 8) };
        match check(r) {
            Ok(0) => return Ok(false),
            Ok(_) => {}
            Err(Errno::EINTR) => return Ok(false),
            Err(e) => return Err(e),
        }
        let mut buf = [0u8; 2048];
        loop {
            // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
            let r = unsafe { syscall!(RECVFROM, self.0.raw(), buf.as_mut_ptr(), buf.len(), 0, 0, 0) };
            match check(r) {
                Ok(_) => continue,
                // ENOBUFS: events were lost; the caller rescans sysfs anyway.
                Err(Errno::EAGAIN) | Err(Errno::ENOBUFS) => return Ok(true),
                Err(e) => return Err(e),
            }
        }
    }
}
