//! Bytes as a router's TCP stream to the BMP station: bgpwatch's BMP framing (common header
//! check, message length) and decoding ([`bgpwatch::source::bmp::read`], which uses the
//! station's `check_header` and `BmpSession`), then through detection.

use crate::collect::Collected;
use bgpwatch::source::bmp;
use bgpwatch::update::{FeedEvent, SourceItem};
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

/// Reads `data` as one router's BMP stream.
pub fn run(data: &[u8]) {
    let mut out = Collected::default();
    let stream = Box::new(Cursor::new(data.to_vec()));
    out.run(Path::new("fuzz.bmp"), |ctx| {
        bmp::read(stream, Arc::from("fuzz"), ctx)
    });
    out.check_error_count();
    crate::detection::detect(&out.items);
    // Every message is at least a 6-byte common header.
    assert!(out.stats.records <= data.len() as u64 / 6);
    for item in &out.items {
        if let SourceItem::Event(FeedEvent::PeerDown { vantage_point, .. }) = item {
            assert!(vantage_point.collector.starts_with("fuzz"));
        }
    }
}
