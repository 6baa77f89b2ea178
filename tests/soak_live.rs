//! Soak: 10 million updates through the live path (`bgpwatch run` fed by the loopback RIS Live
//! server at a steady rate a debug build's detection keeps up with) with the child's RSS sampled
//! every second. Memory must be flat (the typical RSS of the last quarter of the run not above
//! that of the second quarter, after warm-up, by more than a small margin) and bounded, and
//! every update processed or counted as dropped.

#[path = "support/measured.rs"]
mod measured;
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

const SUBSCRIPTIONS: usize = 7;
/// Updates (announced or withdrawn prefixes) to send in all.
const UPDATES: usize = 10_000_000;
const PREFIXES_PER_FRAME: usize = 100;
/// Distinct frames, cycled: 64 vantage points, each announcing then withdrawing its prefixes.
const DISTINCT_FRAMES: usize = 1024;
const PEERS: usize = 64;
/// Updates per second sent. Unpaced, the server outran a debug build's detection (about
/// 90,000/s here) and half the updates were dropped (counted); the soak is of detection.
const RATE: usize = 75_000;
/// The run must finish within this time (about 135 s at [`RATE`]; generous for a busy CI).
const LIMIT: Duration = Duration::from_secs(300);
const SAMPLE_EVERY: Duration = Duration::from_secs(1);
/// Growth allowed from the second quarter's median RSS to the last quarter's, KiB: allocator
/// steps (one of 3 MiB was seen), not a leak; the medians lie 5 million updates apart, so a
/// leak of 2 bytes per update would pass it. Medians, because a busy machine briefly backs the
/// queue up (bounded by `[detect] queue`), and such a peak says nothing about a leak.
const FLAT_MARGIN_KIB: u64 = 8 * 1024;
/// Peak RSS allowed at any point.
const RSS_BOUND_KIB: u64 = 256 * 1024;
const SERIES: [&str; 2] = [
    "bgpwatch_updates_total{kind=\"announce\",source=\"ris-live\"}",
    "bgpwatch_updates_total{kind=\"withdraw\",source=\"ris-live\"}",
];
const DROPPED: &str = "bgpwatch_dropped_updates_total{source=\"ris-live\"}";

/// Frame `k`: peer `k % 64` announces (even rounds) or withdraws (odd rounds) 10 watched
/// prefixes with their expected origin and 90 unwatched /24s that change with `k`.
fn frame(k: usize) -> String {
    let peer_index = k % PEERS;
    let peer = format!("198.18.{}.{}", 10 + peer_index / 250, peer_index % 250 + 1);
    let peer_asn = 65_000 + peer_index as u32;
    // 100.64.0.0/20 to 100.64.112.0/20: inside the watched /16 (max_length 20), not in the
    // ignored 100.64.128.0/20.
    let mut prefixes: Vec<String> = (0..8).map(|j| format!("100.64.{}.0/20", 16 * j)).collect();
    prefixes.extend(["198.51.100.0/24".into(), "203.0.113.0/24".into()]);
    prefixes.extend((0..PREFIXES_PER_FRAME - 10).map(|j| format!("10.{}.{j}.0/24", k % 256)));
    let round = (k / PEERS) % 2;
    let data = if round == 0 {
        json!({"timestamp": 1.0e9, "peer": peer, "peer_asn": peer_asn.to_string(),
            "host": "rrc00.ripe.net", "type": "UPDATE", "path": [peer_asn, 64500],
            "announcements": [{"next_hop": peer, "prefixes": prefixes}]})
    } else {
        json!({"timestamp": 1.0e9, "peer": peer, "peer_asn": peer_asn.to_string(),
            "host": "rrc00.ripe.net", "type": "UPDATE", "withdrawals": prefixes})
    };
    json!({"type": "ris_message", "data": data}).to_string()
}

fn counted(m: &Monitor) -> (f64, f64) {
    let processed = SERIES.iter().map(|s| m.metric(s)).sum();
    (processed, m.metric(DROPPED))
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_million_live_updates_keep_memory_flat_and_none_is_lost_silently() {
    let frames: Vec<String> = (0..DISTINCT_FRAMES).map(frame).collect();
    let count = UPDATES / PREFIXES_PER_FRAME;
    let server = server::start(vec![vec![
        Action::AwaitSubscriptions(SUBSCRIPTIONS),
        Action::Cycle {
            lines: Arc::new(frames),
            count,
            // 256 frames of 100 updates per chunk.
            chunk_every: Some(Duration::from_secs_f64(
                (256 * PREFIXES_PER_FRAME) as f64 / RATE as f64,
            )),
        },
        Action::Idle,
    ]])
    .await;
    let source = format!(
        "[[sources]]\ntype = \"ris-live\"\nurl = \"{}\"\nstall_after = \"300s\"\n",
        server.url
    );
    let mut m = Monitor::start("soak_live", &source);
    let started = Instant::now();
    let mut samples: Vec<(f64, u64)> = Vec::new();
    loop {
        let rss = measured::rss_kib(m.pid());
        let (processed, dropped) = counted(&m);
        samples.push((processed + dropped, rss));
        if processed + dropped >= UPDATES as f64 {
            break;
        }
        assert!(m.alive(), "bgpwatch died:\n{}", m.log());
        assert!(
            started.elapsed() < LIMIT,
            "{processed} processed + {dropped} dropped of {UPDATES} after {LIMIT:?}"
        );
        std::thread::sleep(SAMPLE_EVERY);
    }
    let elapsed = started.elapsed();
    let (processed, dropped) = counted(&m);
    let peak = measured::peak_kib(m.pid());
    let line: Vec<String> = samples
        .iter()
        .map(|(n, rss)| format!("{:.1}M:{}", n / 1e6, rss / 1024))
        .collect();
    eprintln!("soak RSS samples (updates so far: MiB): {}", line.join(" "));
    let quarter = samples.len() / 4;
    let median = |part: &[(f64, u64)]| {
        let mut rss: Vec<u64> = part.iter().map(|s| s.1).collect();
        rss.sort();
        rss[rss.len() / 2]
    };
    let second_quarter = median(&samples[quarter..2 * quarter]);
    let last_quarter = median(&samples[3 * quarter..]);
    let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
    eprintln!(
        "soak: {processed} updates processed, {dropped} dropped (counted), in {:.1} s \
         ({:.0}/s); RSS first sample {} KiB, last {} KiB, max sample {max} KiB, median of the \
         second quarter {second_quarter} KiB, of the last quarter {last_quarter} KiB, VmHWM \
         {peak} KiB; {} samples",
        elapsed.as_secs_f64(),
        UPDATES as f64 / elapsed.as_secs_f64(),
        samples[0].1,
        samples[samples.len() - 1].1,
        samples.len()
    );
    assert_eq!(
        processed + dropped,
        UPDATES as f64,
        "sent = processed + dropped"
    );
    assert!(samples.len() >= 8, "too few samples to judge: {line:?}");
    assert!(
        last_quarter <= second_quarter + FLAT_MARGIN_KIB,
        "RSS grew: median {second_quarter} KiB in the second quarter, {last_quarter} KiB in the last"
    );
    assert!(peak < RSS_BOUND_KIB, "VmHWM {peak} KiB");
    assert_eq!(m.get("/healthz").map(|r| r.0), Some(200), "feed healthy");
}
