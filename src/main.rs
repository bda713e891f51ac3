//! ddiboot's entry: `_start` and the panic handler (the `mem*` functions a binary
//! without libc must provide are in mem.rs). Everything else lives in the library
//! (`ddiboot::boot`).
//!
//! On the product targets (`*-linux-musl`) this is a `no_std`, `no_main` static binary
//! with no C runtime at all. Built for any other target (e.g. the host, for
//! `cargo test`), it is a stub that explains itself.
#![cfg_attr(target_env = "musl", no_std, no_main)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

#[cfg(not(target_env = "musl"))]
fn main() {
    eprintln!("ddiboot runs only as PID 1 from an initrd; build it with --target <arch>-unknown-linux-musl");
    std::process::exit(2);
}

#[cfg(target_env = "musl")]
mod mem;

#[cfg(target_env = "musl")]
mod rt {
    use core::ffi::c_char;

    // The kernel starts us with the stack pointer at `argc`, followed by the argv
    // pointers, a NULL, the envp pointers and a NULL (System V / AAPCS64 process entry).
    // The stub aligns the stack to 16 bytes as both ABIs require at a call, clears the
    // frame pointer (and, on arm64, the link register) so backtraces end here, and calls
    // `start` with the original stack pointer.
    #[cfg(target_arch = "x86_64")]
    core::arch::global_asm!(
        ".section .text.start,\"ax\",@progbits",
        ".globl _start",
        "_start:",
        "    xor ebp, ebp",
        "    mov rdi, rsp",
        "    and rsp, -16",
        "    call {entry}",
        "    ud2",
        entry = sym start,
    );

    #[cfg(target_arch = "aarch64")]
    core::arch::global_asm!(
        ".section .text.start,\"ax\",@progbits",
        ".globl _start",
        "_start:",
        "    mov x29, xzr",
        "    mov x30, xzr",
        "    mov x0, sp",
        "    and x1, x0, #-16",
        "    mov sp, x1",
        "    bl {entry}",
        "    brk #1",
        entry = sym start,
    );

    /// # Safety
    /// Called once, by `_start`, with the process's initial stack pointer.
    unsafe extern "C" fn start(sp: *const usize) -> ! {
        // SAFETY: the kernel laid out argc, argv[argc + 1] and envp[..NULL] at `sp`.
        let (argc, argv, envp) = unsafe {
            let argc = *sp;
            let argv = sp.add(1) as *const *const c_char;
            (argc, argv, argv.add(argc + 1))
        };
        // SAFETY: as above; the initial stack is never freed or written by ddiboot.
        ddiboot::boot::main(unsafe { ddiboot::boot::Args::new(argc, argv, envp) })
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo) -> ! {
        let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
        ddiboot::boot::panicked(file, line)
    }

    /// compiler-builtins' outlined atomics (aarch64) read this flag to choose LSE
    /// instructions or the LL/SC sequences every ARMv8.0 core (Cortex-A53/A72 boards)
    /// has. compiler-rt's own definition comes with a constructor (~900 bytes, with its
    /// `getauxval` call) that sets it from the CPU's features, but nothing here runs
    /// constructors (no libc): the flag stayed 0 anyway. Defining it here keeps that
    /// code out of the binary. ddiboot's few atomics are not hot.
    #[cfg(target_arch = "aarch64")]
    #[no_mangle]
    pub static __aarch64_have_lse_atomics: u8 = 0;
}
