//! CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) for the GPT header and entry-array
//! checksums (UEFI §5.3.2; the same value as zlib's `crc32()`).
//!
//! Why not the `crc32fast` crate: its slice-by-16 tables (16 KiB) and SIMD paths cost
//! about 22 KiB in the binary, nearly the whole 24 KiB budget. This version is
//! slice-by-4 with its 4 KiB of tables in `.bss`, computed on first use (about 2,800
//! instructions): no bytes in the file, and about 4 instructions per byte instead of the
//! 10 of a nibble-wide table (slice-by-8 was no faster here and 100 bytes larger). An
//! entry array is 16 KiB of mostly unused, all-zero entries: 64-byte blocks of zeros
//! are skipped over and their run (across the pieces the array is read in) taken in one
//! step, a multiplication by x^(8n) modulo the polynomial, from a table of x^(512 * 2^k). With the nibble table and no skipping, a disk's two arrays took ~1.3
//! ms of QEMU guest time (docs/size.md). `crc32fast` stays as the reference in the tests.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

const POLY: u32 = 0xEDB8_8320;

/// `TABLES[0][b]`: the CRC of byte `b`; `TABLES[k][b]`: of `b` followed by `k` zero bytes.
/// Atomics only so that a `static` may be filled at run time without `unsafe`: relaxed
/// loads and stores are plain ones, and ddiboot runs one thread.
static TABLES: [[AtomicU32; 256]; 4] = [const { [const { AtomicU32::new(0) }; 256] }; 4];
static READY: AtomicBool = AtomicBool::new(false);
/// `ZERO_STEPS[k]`: x^(512 * 2^k) modulo the polynomial, what `2^k` zero blocks of 64
/// bytes multiply the register by (filled with the tables).
static ZERO_STEPS: [AtomicU32; 16] = [const { AtomicU32::new(0) }; 16];

#[inline(never)]
fn fill_tables() {
    for (i, slot) in TABLES[0].iter().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
        }
        slot.store(c, Relaxed);
    }
    for i in 0..256 {
        let mut c = TABLES[0][i].load(Relaxed);
        for table in &TABLES[1..] {
            c = TABLES[0][(c & 0xff) as usize].load(Relaxed) ^ (c >> 8);
            table[i].store(c, Relaxed);
        }
    }
    let mut step = 1 << 23; // x^8: one zero byte
    for _ in 0..6 {
        step = mul(step, step);
    }
    for slot in &ZERO_STEPS {
        slot.store(step, Relaxed);
        step = mul(step, step);
    }
    READY.store(true, Relaxed);
}

fn t(k: usize, i: u32) -> u32 {
    TABLES[k & 3][(i & 0xff) as usize].load(Relaxed)
}

/// `a * b` modulo the CRC polynomial, both reflected (bit 31 is x^0).
fn mul(a: u32, mut b: u32) -> u32 {
    let mut p = 0;
    for i in (0..32).rev() {
        if a >> i & 1 != 0 {
            p ^= b;
        }
        b = if b & 1 != 0 { POLY ^ (b >> 1) } else { b >> 1 };
    }
    p
}

/// The register `c` fed with `blocks` zero blocks of 64 bytes: c * x^(512 * blocks), one
/// multiplication per bit set in `blocks` (the powers from `ZERO_STEPS`, then by squaring
/// for runs of 4 MiB and more).
fn after_zero_blocks(mut c: u32, mut blocks: u64) -> u32 {
    let mut step = 0;
    let mut k = 0;
    while blocks != 0 {
        step = ZERO_STEPS.get(k).map_or_else(|| mul(step, step), |s| s.load(Relaxed));
        if blocks & 1 != 0 {
            c = mul(c, step);
        }
        blocks >>= 1;
        k += 1;
    }
    c
}

/// An incremental CRC-32.
#[derive(Clone, Copy)]
pub struct Crc32 {
    c: u32,
    /// Zero blocks of 64 bytes seen and not yet taken into `c`: a run goes on across
    /// `update` calls (an entry array is read in pieces), and is taken in one step.
    zeros: u64,
}

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32 {
    pub const fn new() -> Self {
        Crc32 { c: 0xFFFF_FFFF, zeros: 0 }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        if !READY.load(Relaxed) {
            fill_tables();
        }
        // A GPT entry array is mostly unused, all-zero entries: runs of zero blocks are
        // taken in one step (`after_zero_blocks`) instead of byte by byte.
        let Crc32 { mut c, mut zeros } = *self;
        for block in bytes.chunks(64) {
            if block.len() == 64 && block.as_chunks::<8>().0.iter().fold(0, |a, w| a | u64::from_ne_bytes(*w)) == 0 {
                zeros += 1;
                continue;
            }
            c = after_zero_blocks(c, zeros);
            zeros = 0;
            let (words, tail) = block.as_chunks::<4>();
            for w in words {
                let x = u32::from_le_bytes(*w) ^ c;
                c = t(3, x) ^ t(2, x >> 8) ^ t(1, x >> 16) ^ t(0, x >> 24);
            }
            for &b in tail {
                c = t(0, c ^ b as u32) ^ (c >> 8);
            }
        }
        *self = Crc32 { c, zeros };
    }

    pub fn finalize(self) -> u32 {
        !after_zero_blocks(self.c, self.zeros)
    }
}

/// CRC-32 of `bytes` in one go.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = Crc32::new();
    c.update(bytes);
    c.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926); // the standard check value
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        assert_eq!(crc32(&data), crc32fast::hash(&data));
        let mut inc = Crc32::new();
        for chunk in data.chunks(4093) {
            inc.update(chunk);
        }
        assert_eq!(inc.finalize(), crc32fast::hash(&data));
    }

    #[test]
    fn zero_runs_match_the_reference() {
        // A GPT-like array: zero entries with a few used ones, at every alignment and
        // with runs of every length around the 64-byte blocks taken in one step.
        for lead in [0usize, 1, 3, 63, 64, 65, 127, 128, 200] {
            for run in [0usize, 1, 63, 64, 65, 128, 191, 4096, 16384 + 17] {
                let mut data = vec![0u8; lead + run + 70];
                for (i, b) in data[..lead].iter_mut().enumerate() {
                    *b = i as u8 ^ 0x5a;
                }
                data[lead + run] = 0xff;
                data[lead + run + 69] = 1;
                assert_eq!(crc32(&data), crc32fast::hash(&data), "lead {lead} run {run}");
                let mut inc = Crc32::new();
                for chunk in data.chunks(100) {
                    inc.update(chunk);
                }
                assert_eq!(inc.finalize(), crc32fast::hash(&data), "lead {lead} run {run} in pieces");
            }
        }
        assert_eq!(crc32(&[0; 16384]), crc32fast::hash(&[0; 16384]));
        assert_eq!(after_zero_blocks(0x1234_5678, 0), 0x1234_5678);
        // Runs past the table of powers (2^16 blocks, 4 MiB), where they are squared on.
        let mut big = vec![0u8; (1 << 22) + 64 * 5 + 1];
        big[0] = 7;
        assert_eq!(crc32(&big), crc32fast::hash(&big));
        // A run across calls, ending in the last call or left for `finalize`.
        let mut inc = Crc32::new();
        inc.update(&[1]);
        for _ in 0..300 {
            inc.update(&[0; 64]);
        }
        let mut whole = vec![1u8];
        whole.resize(1 + 300 * 64, 0);
        assert_eq!(inc.finalize(), crc32fast::hash(&whole));
        inc.update(&[2; 3]);
        whole.extend_from_slice(&[2; 3]);
        assert_eq!(inc.finalize(), crc32fast::hash(&whole));
    }
}
