//! Damage made to real inputs at test time: truncation, bit flips, fields overwritten; and the
//! framing of MRT records so damage can be aimed at a record and the error expected there.
#![allow(dead_code)]

use super::support::Noise;

/// Bytes of an MRT common header (timestamp, type, subtype, length).
pub const MRT_HEADER: usize = 12;

/// (offset, whole length) of every MRT record; stops at the first record that does not fit.
pub fn mrt_records(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut records = Vec::new();
    let mut offset = 0;
    while offset + MRT_HEADER <= bytes.len() {
        let body = u32::from_be_bytes(bytes[offset + 8..offset + 12].try_into().unwrap()) as usize;
        let len = MRT_HEADER + body;
        if offset + len > bytes.len() {
            break;
        }
        records.push((offset, len));
        offset += len;
    }
    records
}

/// The MRT type and subtype of the record at `offset`.
pub fn mrt_type(bytes: &[u8], offset: usize) -> (u16, u16) {
    let field = |at: usize| u16::from_be_bytes([bytes[offset + at], bytes[offset + at + 1]]);
    (field(4), field(6))
}

/// `bytes` with `flips` single bits flipped at random positions from `from` on.
pub fn bit_flipped(bytes: &[u8], seed: u64, flips: usize, from: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut noise = Noise::new(seed);
    for _ in 0..flips {
        let at = from + noise.below(out.len() - from);
        out[at] ^= 1 << (noise.next() % 8);
    }
    out
}

/// `bytes` with a big-endian `u32` written at `at`.
pub fn with_u32(bytes: &[u8], at: usize, value: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at..at + 4].copy_from_slice(&value.to_be_bytes());
    out
}

/// `bytes` with a big-endian `u16` written at `at`.
pub fn with_u16(bytes: &[u8], at: usize, value: u16) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at..at + 2].copy_from_slice(&value.to_be_bytes());
    out
}

/// `bytes` with one byte written at `at`.
pub fn with_u8(bytes: &[u8], at: usize, value: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] = value;
    out
}

/// `count` frames spread evenly over `frames` (never the first `skip`), each with a cut point
/// strictly inside it: (frame start, cut offset).
pub fn cuts_inside(frames: &[(usize, usize)], count: usize, skip: usize) -> Vec<(usize, usize)> {
    let usable = &frames[skip..];
    (0..count)
        .map(|i| {
            let (start, len) = usable[(i * usable.len()) / count];
            // Inside the header for some, inside the body for the others.
            let inside = 1 + (i * 7919) % (len - 1);
            (start, start + inside)
        })
        .collect()
}
