/work/wt/speed/target2/debug/deps/byteorder-05f9e8b1b04b35a7.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/byteorder-1.5.0/src/lib.rs

/work/wt/speed/target2/debug/deps/libbyteorder-05f9e8b1b04b35a7.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/byteorder-1.5.0/src/lib.rs

/work/wt/speed/target2/debug/deps/libbyteorder-05f9e8b1b04b35a7.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/byteorder-1.5.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/byteorder-1.5.0/src/lib.rs:
