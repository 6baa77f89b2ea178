//! Decoded items through detection, as replay and the live service run them: the engine (route
//! state, every detector, the alert book, visibility) with a watchlist that watches the whole
//! address space, `min_peers` 1, then a day later (everything due resolves). Every alert event
//! must encode as the JSON the sinks send.

use bgpwatch::alert::{AlertEvent, BookSettings};
use bgpwatch::engine::{Engine, EngineSettings};
use bgpwatch::update::SourceItem;
use bgpwatch::watchlist::Watchlist;
use std::path::Path;
use std::sync::Arc;

/// Everything is watched (the /0 entries), with the entry kinds that take other paths: a
/// squat watch, a carve-out, upstreams, `max_length`, and an `asns:` AS.
const WATCHLIST: &str = "\
groups:
  national: { severity: critical }
asns:
  64500: { description: watched, upstreams: [64501] }
prefixes:
  0.0.0.0/0:
    origins: [3356]
    group: national
  ::/0:
    origins: [6939]
    upstreams: [64501]
  192.0.2.0/24:
    origins: []
  198.51.100.0/24:
    origins: [64500, 64496]
    max_length: 25
  198.51.100.128/25:
    ignore: true
  2001:db8::/32:
    origins: [64500]
    ignore_more_specifics: true
";

thread_local! {
    static LIST: Arc<Watchlist> = Arc::new(
        Watchlist::from_texts([(Path::new("fuzz-watchlist.yaml"), WATCHLIST)])
            .expect("the fuzz watchlist loads"),
    );
}

/// Runs `items` through a fresh engine; panics if an alert event does not encode.
pub fn detect(items: &[SourceItem]) {
    let settings = EngineSettings {
        book: BookSettings {
            min_peers: 1,
            ..BookSettings::default()
        },
        ..EngineSettings::default()
    };
    let mut engine = Engine::new(LIST.with(Arc::clone), settings);
    let mut out: Vec<AlertEvent> = Vec::new();
    for item in items {
        engine.handle(item, &mut out);
    }
    engine.flush(&mut out);
    let later = engine
        .now()
        .and_then(|now| now.checked_add_signed(chrono::TimeDelta::days(1)));
    if let Some(later) = later {
        engine.handle(&SourceItem::Clock(later), &mut out);
        engine.flush(&mut out);
    }
    for event in &out {
        if let Err(e) = serde_json::to_string(event) {
            panic!("alert event does not encode: {e}: {event:?}");
        }
    }
}
