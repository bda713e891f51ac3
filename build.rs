//! Passes the linker script and the size-oriented linker flags, for the musl product
//! targets only (host builds for `cargo test` link normally).
fn main() {
    println!("cargo:rerun-if-changed=linker.ld");
    println!("cargo:rerun-if-changed=build.rs");
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if env != "musl" {
        return;
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    for arg in [
        format!("-T{dir}/linker.ld"),
        // Static, not PIE; no dynamic section, no build-id note, no .eh_frame_hdr.
        "-static".into(),
        "--no-pie".into(),
        "--build-id=none".into(),
        "--no-eh-frame-hdr".into(),
        // Drop unreferenced sections (every function is in its own section).
        "--gc-sections".into(),
        // 4 KiB pages on both x86_64 and the arm64 kernels we boot; keeps padding small.
        "-zmax-page-size=4096".into(),
        "-znorelro".into(),
        "-znoexecstack".into(),
        // Merge identical and tail-shared constants (string literals) across sections.
        "-O2".into(),
    ] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}
