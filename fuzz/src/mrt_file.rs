//! Bytes as a file given to `bgpwatch replay`: gzip/bzip2 undone, the format sniffed (MRT
//! mostly, from the seeds), then read by the replay reader ([`bgpwatch::source::read_bytes`],
//! the same path as `read_file` after opening), then through detection.

use crate::collect::Collected;
use bgpwatch::source::read_bytes;
use std::path::Path;

/// Replays `data` as the file `rrc00.updates.fuzz`.
pub fn run(data: &[u8]) {
    let mut out = Collected::default();
    let path = Path::new("rrc00.updates.fuzz");
    let errors = read_bytes(
        path,
        data.to_vec(),
        None,
        &mut |item| out.items.push(item),
        &mut out.stats,
    );
    out.errors = errors;
    out.check_error_count();
    crate::detection::detect(&out.items);
}
