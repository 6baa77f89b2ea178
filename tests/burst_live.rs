//! A burst beyond detection's capacity on the live path: the RIS Live client cannot slow the
//! server down (RIS Live disconnects a slow client), so what does not fit the detection queue is
//! dropped, counted in `bgpwatch_dropped_updates_total{source}` and alerted as `updates-dropped`,
//! never silently: every update sent is either processed or counted as dropped.

#[path = "support/monitor.rs"]
mod monitor;
#[path = "support/ris_live_server.rs"]
mod server;
mod support;

use monitor::Monitor;
use serde_json::json;
use server::Action;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Covering blocks, beacons and peer state of fixtures/scenarios/watchlist.yaml.
const SUBSCRIPTIONS: usize = 7;
/// A detection queue of 1,000 updates (`[detect] queue`): smaller than one batch of 256 frames,
/// so a batch that arrives while another waits is dropped.
const SMALL_QUEUE: &str = "queue = 1000";
/// Frames in the burst, and prefixes each announces (all inside the watched 100.64.0.0/16, so
/// every one costs detection work while costing the reader one JSON parse per frame).
const FRAMES: usize = 20_000;
const PREFIXES_PER_FRAME: usize = 50;
const PROCESSED: &str = "bgpwatch_updates_total{kind=\"announce\",source=\"ris-live\"}";
const DROPPED: &str = "bgpwatch_dropped_updates_total{source=\"ris-live\"}";

/// Distinct frames: peer `i % 16` announces 50 /24s of 100.64.0.0/17 from AS64666 (a
/// subprefix hijack seen by many vantage points).
fn burst_frames() -> Vec<String> {
    (0..256)
        .map(|i| {
            let prefixes: Vec<String> = (0..PREFIXES_PER_FRAME)
                .map(|j| format!("100.64.{}.0/24", (i + j) % 128))
                .collect();
            let peer = format!("198.18.2.{}", i % 16 + 1);
            json!({"type": "ris_message", "data": {"timestamp": 1.0e9, "peer": peer,
                "peer_asn": "3356", "host": "rrc00.ripe.net", "type": "UPDATE",
                "path": [3356, 64666],
                "announcements": [{"next_hop": peer, "prefixes": prefixes}]}})
            .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_beyond_capacity_is_counted_and_alerted_never_silently_dropped() {
    let sent = (FRAMES * PREFIXES_PER_FRAME) as f64;
    let server = server::start(vec![vec![
        Action::AwaitSubscriptions(SUBSCRIPTIONS),
        Action::Cycle {
            lines: Arc::new(burst_frames()),
            count: FRAMES,
            chunk_every: None,
        },
        Action::Idle,
    ]])
    .await;
    let source = format!(
        "[[sources]]\ntype = \"ris-live\"\nurl = \"{}\"\nstall_after = \"120s\"\n",
        server.url
    );
    let m = Monitor::start_with("burst_live", SMALL_QUEUE, &source);
    let started = Instant::now();
    m.wait_for(
        "every update sent to be processed or counted as dropped",
        Duration::from_secs(120),
        |m| m.metric(PROCESSED) + m.metric(DROPPED) >= sent,
    );
    let (processed, dropped) = (m.metric(PROCESSED), m.metric(DROPPED));
    assert_eq!(processed + dropped, sent, "sent = processed + dropped");
    assert!(
        dropped > 0.0,
        "a 1,000-update queue took a {sent} update burst without a drop; the test proves nothing"
    );
    m.wait_for("the updates-dropped alert", Duration::from_secs(10), |m| {
        m.events()
            .iter()
            .any(|e| e["event"] == "open" && e["kind"] == "updates-dropped")
    });
    let alert = m
        .events()
        .into_iter()
        .find(|e| e["kind"] == "updates-dropped")
        .unwrap();
    assert_eq!(alert["source"], "ris-live");
    assert_eq!(alert["severity"], "critical");
    assert!(
        m.log()
            .contains("updates dropped: detection cannot keep up"),
        "the drop is logged too"
    );
    // Detection went on working through the burst.
    assert!(
        m.events().iter().any(|e| e["kind"] == "subprefix-hijack"),
        "{:?}",
        m.events()
    );
    eprintln!(
        "burst: {sent} updates sent in {FRAMES} frames, {processed} processed, {dropped} dropped \
         and counted, updates-dropped alert `{}` ({:?} until all were accounted for)",
        alert["summary"].as_str().unwrap_or_default(),
        started.elapsed()
    );
}
