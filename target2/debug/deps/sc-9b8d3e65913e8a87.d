/work/wt/speed/target2/debug/deps/sc-9b8d3e65913e8a87.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/macros.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/platform/linux-x86_64/mod.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/platform/linux-x86_64/nr.rs

/work/wt/speed/target2/debug/deps/libsc-9b8d3e65913e8a87.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/macros.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/platform/linux-x86_64/mod.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/platform/linux-x86_64/nr.rs

/work/wt/speed/target2/debug/deps/libsc-9b8d3e65913e8a87.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/macros.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/platform/linux-x86_64/mod.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/platform/linux-x86_64/nr.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/macros.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/platform/linux-x86_64/mod.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/sc-0.2.7/src/platform/linux-x86_64/nr.rs:
