//! One RIS Live websocket text frame, decoded as the live client decodes it
//! ([`RisLiveDecoder::decode_line`]) into route updates and peer events, then through
//! detection ([`crate::detection`]).

use crate::collect::Collected;
use bgpwatch::source::ris_live::RisLiveDecoder;
use bgpwatch::update::{Change, SourceItem};
use std::path::Path;

/// Decodes `data` as one frame; a frame that is not UTF-8 cannot arrive (websocket text frames
/// are checked by the websocket library), so it is skipped.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut decoder = RisLiveDecoder::default();
    let mut out = Collected::default();
    let mut outcome = None;
    out.run(Path::new("ris-live"), |ctx| {
        outcome = Some(decoder.decode_line(text, ctx));
    });
    if let Some(Ok(false)) = outcome {
        assert!(
            out.items.is_empty(),
            "a skipped message emitted {:?}",
            out.items
        );
    }
    for item in &out.items {
        if let SourceItem::Update(update) = item {
            // Prefixes are stored truncated to their network address: the trie and the alert
            // keys rely on it.
            assert_eq!(update.prefix, update.prefix.trunc(), "untruncated prefix");
            if let Change::Announce(route) = &update.change {
                let _ = route.as_path.origins();
            }
        }
    }
    crate::detection::detect(&out.items);
}
