//! The `mem*` functions the compiler calls, which a binary without libc must provide
//! (only on the product targets: see main.rs).
//! They are written so that LLVM cannot recognise the loops and turn them back into
//! calls to themselves: x86_64 uses the string instructions, aarch64 volatile accesses.
//! Word by word where they can: a boot clears and moves tens of KiB (the dm table and
//! signature buffers, candidate lists), and byte by byte that cost aarch64 ~3.4 ms of
//! QEMU guest time a boot (docs/size.md).

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
        // SAFETY: rep movsq copies n/8 words, then rep movsb the n%8 bytes left, from rsi
        // to rdi: n bytes in all, within the caller's ranges, forwards (DF is clear).
        unsafe {
            core::arch::asm!("rep movsq", "mov ecx, {rest:e}", "rep movsb", rest = in(reg) n & 7,
                inout("rcx") n >> 3 => _, inout("rdi") dst => _,
                inout("rsi") src => _, options(nostack, preserves_flags));
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let mut i = 0;
            if (dst as usize | src as usize) & 7 == 0 {
                while i + 8 <= n {
                    // SAFETY: i + 8 <= n, inside both ranges; both 8-aligned.
                    unsafe { dst.add(i).cast::<u64>().write_volatile(src.add(i).cast::<u64>().read_volatile()) };
                    i += 8;
                }
            }
            while i < n {
                // SAFETY: i < n, inside both ranges.
                unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
                i += 1;
            }
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
    let word = (c as u8 as u64).wrapping_mul(0x0101_0101_0101_0101);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: rep stosq writes n/8 words of rax at rdi, then rep stosb the n%8 bytes left:
    // n bytes in all, within the caller's range (DF is clear).
    unsafe {
        core::arch::asm!("rep stosq", "mov ecx, {rest:e}", "rep stosb", rest = in(reg) n & 7,
            inout("rcx") n >> 3 => _, inout("rdi") dst => _,
            in("rax") word, options(nostack, preserves_flags));
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut i = 0;
        if dst as usize & 7 == 0 {
            while i + 8 <= n {
                // SAFETY: i + 8 <= n, inside the caller's range; 8-aligned.
                unsafe { dst.add(i).cast::<u64>().write_volatile(word) };
                i += 8;
            }
        }
        while i < n {
            // SAFETY: i < n, inside the caller's range.
            unsafe { dst.add(i).write_volatile(c as u8) };
            i += 1;
        }
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
