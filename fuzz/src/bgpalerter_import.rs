//! A BGPalerter `prefixes.yml` through `bgpwatch watchlist import`: what the importer accepts
//! it must turn into a watchlist that loads (the CLI calls anything else a bug).

use bgpwatch::watchlist::bgpalerter::import_bgpalerter;
use bgpwatch::watchlist::Watchlist;
use std::path::Path;

/// Imports `data`; an accepted import must load as a bgpwatch watchlist.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(imported) = import_bgpalerter(text, Path::new("prefixes.yml")) else {
        return;
    };
    let yaml = imported.document.to_yaml();
    if let Err(e) = Watchlist::from_texts([(Path::new("<imported>"), yaml.as_str())]) {
        panic!("the imported watchlist does not load: {e}\n{yaml}");
    }
}
