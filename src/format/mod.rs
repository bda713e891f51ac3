//! Pure parsers of untrusted bytes. Everything here reads through
//! [`block::BlockReader`], validates every field before use (checked arithmetic,
//! bounded loops, fixed buffers) and reports a specific error; nothing here panics,
//! allocates or makes a syscall. Tested on the host (`cargo test`) and fuzzed (`fuzz/`).
#![forbid(unsafe_code)]

pub mod block;
pub mod crc32;
pub mod ddi;
pub mod fat;
pub mod fsdetect;
pub mod gpt;
pub mod guid;
pub mod le;
pub mod verity;
pub mod verity_sig;
pub mod version;
