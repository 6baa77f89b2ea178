//! The compiled watchlist cache seen from the CLI (src/watchlist/cache.rs): a second run reads
//! the copy and alerts exactly as the first; an edited watchlist is never answered from a stale
//! copy; `BGPWATCH_CACHE_DIR=off` writes nothing.

#[path = "support/scenario.rs"]
mod scenario;
mod support;

use scenario::{announce, Vp};
use serde_json::json;
use std::path::Path;
use std::process::Output;

const A: Vp = Vp("rrc00", "192.0.2.1", 3333);
const B: Vp = Vp("rrc01", "192.0.2.2", 174);

fn replay(cache: &str, watchlist: &Path, input: &Path) -> Output {
    let output = support::bgpwatch()
        .env("BGPWATCH_CACHE_DIR", cache)
        .args(["replay", "--no-progress", "--min-peers", "2", "--watchlist"])
        .arg(watchlist)
        .arg(input)
        .output()
        .expect("running bgpwatch");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn copies(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |listing| listing.count())
}

#[test]
fn a_cached_watchlist_alerts_like_a_parsed_one_and_an_edit_is_never_stale() {
    let dir = support::scratch("watchlist_cache");
    let watchlist = dir.join("w.yaml");
    let allowed = "prefixes:\n  203.0.113.0/24: { origins: [64500] }\n";
    std::fs::write(&watchlist, allowed).unwrap();
    let input = dir.join("in.jsonl");
    let lines = [
        announce(A, 0.0, "203.0.113.0/24", json!([3333, 64666])),
        announce(B, 1.0, "203.0.113.0/24", json!([174, 64666])),
    ];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let cache = dir.join("cache");
    let cache_arg = cache.to_str().unwrap();

    let parsed = replay("off", &watchlist, &input);
    assert_eq!(copies(&cache), 0, "off writes nothing");
    let events = support::events(&parsed);
    assert_eq!(events.len(), 1, "one hijack: {events:?}");
    assert_eq!(events[0]["kind"], "origin-hijack");

    let first = replay(cache_arg, &watchlist, &input);
    assert_eq!(copies(&cache), 1, "the first run leaves a copy");
    let second = replay(cache_arg, &watchlist, &input);
    assert_eq!(copies(&cache), 1, "the second run reads it");
    assert_eq!(support::events(&first), events);
    assert_eq!(support::events(&second), events);

    // AS64666 becomes an allowed origin: the copy of the old text must not answer.
    std::fs::write(&watchlist, allowed.replace("[64500]", "[64500, 64666]")).unwrap();
    let edited = replay(cache_arg, &watchlist, &input);
    assert!(support::events(&edited).is_empty(), "stale copy used");
    assert_eq!(copies(&cache), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
