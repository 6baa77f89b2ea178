//! Seeds for the `bmp_stream` target from real captures: every TCP stream of the given pcaps
//! that starts like BMP, cut at message boundaries into pieces of at most `MAX_SEED` bytes
//! (the first piece keeps the stream's start: Initiation, Peer Up). No dependencies, so
//! `run.sh` compiles it with plain `rustc`; the pcap reader is the tests' own.
//!
//! Usage: bmp_from_pcap OUT_DIR PCAP...

#[path = "../../tests/support/pcap.rs"]
mod pcap;

use std::path::Path;

/// Largest seed, bytes: small inputs fuzz faster.
const MAX_SEED: usize = 4096;
/// Seeds taken from one stream.
const MAX_SEEDS_PER_STREAM: usize = 24;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().expect("usage: bmp_from_pcap OUT_DIR PCAP...");
    let mut written = 0;
    for file in args {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let streams = pcap::tcp_streams(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let stem = Path::new(&file).file_stem().unwrap().to_string_lossy();
        for (n, stream) in streams.iter().enumerate() {
            for (i, seed) in pieces(&stream.payload).take(MAX_SEEDS_PER_STREAM).enumerate() {
                let name = format!("{out}/{stem}-s{n}-{i}.bmp");
                std::fs::write(&name, seed).unwrap_or_else(|e| panic!("{name}: {e}"));
                written += 1;
            }
        }
    }
    println!("{written}");
}

/// Runs of whole BMP messages of at most [`MAX_SEED`] bytes (a longer message alone).
fn pieces(stream: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        let mut end = 0;
        while let Some(len) = message_len(&rest[end..]) {
            if end > 0 && end + len > MAX_SEED {
                break;
            }
            end += len;
        }
        if end == 0 {
            return None;
        }
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

/// Length of the BMP v3 message at the start of `bytes`, when it is whole.
fn message_len(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < 6 || bytes[0] != 3 {
        return None;
    }
    let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
    (len >= 6 && len <= bytes.len()).then_some(len)
}
