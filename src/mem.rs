//! The `mem*` functions the compiler calls, which a binary without libc must provide
//! (only on the product targets: see main.rs).
//! They are written so that LLVM cannot recognise the loops and turn them back into
//! calls to themselves: x86_64 uses the string instructions, aarch64 volatile accesses. Sizes here are small (sectors,
//! ioctl buffers), so simplicity wins over speed.

/// # Safety
/// Standard `memcpy` contract: `n` bytes valid at both, not overlapping.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: same contract as memmove, which also handles this case.
    unsafe { memmove(dst, src, n) }
}

/// # Safety
/// Standard `memmove` contract: `n` bytes valid at both.
#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // Forward copy is safe: dst is before src or the ranges do not overlap.
        #[cfg(target_arch = "x86_64")]
        // SAFETY: rep movsb copies rcx bytes from rsi to rdi, within the caller's ranges.
        unsafe {
            core::arch::asm!("rep movsb", inout("rcx") n => _, inout("rdi") dst => _,
                inout("rsi") src => _, options(nostack, preserves_flags));
        }
        #[cfg(not(target_arch = "x86_64"))]
        for i in 0..n {
            // SAFETY: i < n, inside both ranges.
            unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    } else {
        for i in (0..n).rev() {
            // SAFETY: i < n, inside both ranges; backwards for overlap with dst > src.
            unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    }
    dst
}

/// # Safety
/// Standard `memset` contract: `n` bytes valid at `dst`.
#[no_mangle]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: rep stosb writes rcx bytes of al at rdi, within the caller's range.
    unsafe {
        core::arch::asm!("rep stosb", inout("rcx") n => _, inout("rdi") dst => _,
            in("al") c as u8, options(nostack, preserves_flags));
    }
    #[cfg(not(target_arch = "x86_64"))]
    for i in 0..n {
        // SAFETY: i < n, inside the caller's range.
        unsafe { dst.add(i).write_volatile(c as u8) };
    }
    dst
}

/// # Safety
/// Standard `memcmp` contract: `n` bytes readable at both.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: i < n, inside both ranges.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return x as i32 - y as i32;
        }
    }
    0
}

/// # Safety
/// Standard `bcmp` contract (memcmp that only reports equality).
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract.
    unsafe { memcmp(a, b, n) }
}
