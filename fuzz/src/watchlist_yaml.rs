//! A watchlist file (`prefixes/*.yaml`) loaded and validated ([`Watchlist::from_texts`]); a
//! list that loads must find each of its own prefixes.

use bgpwatch::watchlist::{Relevance, Watchlist};
use std::path::Path;

/// Loads `data` as one watchlist file.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // read_to_string refuses it before the loader sees it
    };
    let Ok(list) = Watchlist::from_texts([(Path::new("fuzz.yaml"), text)]) else {
        return;
    };
    for entry in list.entries() {
        // The most specific entry decides: for its own prefix, that is the entry itself.
        match list.relevance(&entry.prefix) {
            Relevance::Inside(found) => assert_eq!(found.prefix, entry.prefix),
            other => panic!("{} not found in its own watchlist: {other:?}", entry.prefix),
        }
        if let Some(group) = &entry.group {
            assert!(list.group(group).is_some(), "group {group} vanished");
        }
    }
}
