//! Crash safety of the live service (issues 5 and 9): `bgpwatch run` is killed with `kill -9`
//! at random moments while hijacks open and end, and started again each time on the same state
//! database. Afterwards every hijack episode is one alert (one id) at the webhook, its `open`
//! arrived before its `resolved`, both arrived, and nothing is left open or undelivered.
//!
//! The feed is a timeline: on every connection the server sends, every 250 ms, what is true at
//! that moment (hijacked subprefixes announced by two vantage points; ended ones withdrawn), as
//! a live collector keeps reporting routes that flap. The kill times come from a seed printed
//! by the test; `BGPWATCH_CRASH_SEED=N` replays one.

#[path = "support/monitor.rs"]
mod monitor;
#[path = "support/observe.rs"]
mod observe;
mod sinks_common;
mod support;

use bgpwatch::store::Store;
use futures_util::{SinkExt, StreamExt};
use monitor::Monitor;
use serde_json::Value;
use sinks_common::{Answer, Receiver};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// (subprefix hijacked, offender, start s, end s) on the timeline.
const EPISODES: [(&str, u32, f64, f64); 4] = [
    ("198.51.100.0/25", 64601, 0.5, 6.5),
    ("198.51.100.128/25", 64602, 2.0, 8.0),
    ("203.0.113.0/25", 64603, 3.5, 9.5),
    ("203.0.113.128/25", 64604, 5.0, 11.0),
];
/// The timeline ends here; withdrawals keep coming until the test stops.
const TIMELINE_END: f64 = 11.0;
/// Kills during the timeline.
const KILLS: usize = 3;
/// Time after the timeline for the last resolutions (resolve_after 1 s) and deliveries.
const SETTLE: Duration = Duration::from_secs(30);

/// What is true at `t` seconds, as RIS Live frames from the two hijack vantage points.
fn frames_at(t: f64) -> Vec<String> {
    let mut frames = Vec::new();
    for &(prefix, offender, start, end) in &EPISODES {
        for &(peer, asn) in &observe::HIJACK_PEERS {
            if t >= start && t < end {
                frames.push(observe::announce(peer, &[asn, offender], &[prefix]));
            } else if t >= end {
                frames.push(observe::withdraw(peer, asn, &[prefix]));
            }
        }
    }
    frames
}

/// A RIS-Live-compatible server that plays the timeline from `epoch` to every client.
async fn timeline_server(epoch: Instant) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v1/ws/?client=test", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let (mut tx, mut rx) = ws.split();
                // Drain what the client sends (subscriptions, pings) in the background.
                tokio::spawn(async move { while let Some(Ok(_)) = rx.next().await {} });
                for line in observe::legit_announcements() {
                    if tx.send(Message::text(line)).await.is_err() {
                        return;
                    }
                }
                loop {
                    for line in frames_at(epoch.elapsed().as_secs_f64()) {
                        if tx.send(Message::text(line)).await.is_err() {
                            return;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            });
        }
    });
    url
}

/// A small deterministic generator (xorshift) for the kill times.
fn kill_times(seed: u64) -> Vec<f64> {
    let mut x = (seed ^ 0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..8 {
        next();
    }
    let mut times: Vec<f64> = (0..KILLS)
        .map(|_| 0.3 + (next() % 10_000) as f64 / 10_000.0 * (TIMELINE_END - 0.6))
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_random_moments_loses_no_alert_and_opens_none_twice() {
    let seed = std::env::var("BGPWATCH_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let kills = kill_times(seed);
    eprintln!("BGPWATCH_CRASH_SEED={seed}: kill -9 at {kills:.2?} s");

    let webhook = Receiver::start(|_, _| Answer::new(200, "ok")).await;
    let epoch = Instant::now();
    let url = timeline_server(epoch).await;
    let sinks = format!(
        "[[sinks]]\ntype = \"webhook\"\nurl = \"{}/hook\"\n",
        webhook.base
    );
    let mut monitor = Monitor::start_with(
        "crash_restart",
        "resolve_after = \"1s\"",
        &format!("{}\n{sinks}", observe::ris_source(&url)),
    );
    for at in &kills {
        let wait = Duration::from_secs_f64(*at).saturating_sub(epoch.elapsed());
        tokio::time::sleep(wait).await;
        let (dir, http) = monitor.kill9();
        monitor = Monitor::relaunch(dir, http);
    }

    // Every episode's alert reaches the webhook, open then resolved.
    let deadline = Instant::now() + Duration::from_secs_f64(TIMELINE_END) + SETTLE;
    let per_prefix = loop {
        let per_prefix = episodes_seen(&webhook);
        let done = EPISODES.iter().all(|(prefix, ..)| {
            per_prefix
                .get(*prefix)
                .is_some_and(|events| events.iter().any(|(_, e)| e == "resolved"))
        });
        if done || Instant::now() > deadline {
            break per_prefix;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut redelivered = 0;
    for (prefix, offender, ..) in EPISODES {
        let events = per_prefix.get(prefix).cloned().unwrap_or_default();
        let ids: BTreeSet<&str> = events.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            ids.len(),
            1,
            "seed {seed}: {prefix} (AS{offender}) must be exactly one alert: {events:?}\n{}",
            monitor.log()
        );
        let kinds: Vec<&str> = events.iter().map(|(_, e)| e.as_str()).collect();
        let first_resolved = kinds.iter().position(|e| *e == "resolved");
        let first_open = kinds.iter().position(|e| *e == "open");
        assert!(
            matches!((first_open, first_resolved), (Some(o), Some(r)) if o < r),
            "seed {seed}: {prefix}: open then resolved expected, got {kinds:?}"
        );
        let mut counts = BTreeMap::new();
        for kind in &kinds {
            *counts.entry(*kind).or_insert(0) += 1;
        }
        redelivered += counts.values().map(|n| n - 1).sum::<usize>();
    }
    // At least once: a kill between the receiver's answer and the delivered mark resends.
    assert!(
        redelivered <= KILLS,
        "seed {seed}: {redelivered} repeated notifications for {KILLS} kills"
    );
    eprintln!("seed {seed}: {redelivered} notifications repeated after {KILLS} kills");

    let (dir, _) = monitor.kill9();
    let store = Store::open(dir.join("state.db")).unwrap();
    let open: Vec<String> = store
        .open_alerts()
        .unwrap()
        .iter()
        .filter(|a| a.kind.is_route_kind())
        .map(|a| a.summary.clone())
        .collect();
    assert!(open.is_empty(), "seed {seed}: still open: {open:?}");
    assert_eq!(
        store.pending_count().unwrap(),
        0,
        "seed {seed}: undelivered"
    );
}

/// (alert id, event) per announced prefix, in arrival order, from the webhook's requests.
fn episodes_seen(webhook: &Receiver) -> BTreeMap<String, Vec<(String, String)>> {
    let mut seen: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for request in webhook.requests() {
        let body: Value = request.json();
        let (Some(prefix), Some(id), Some(event)) = (
            body["prefix"].as_str(),
            body["id"].as_str(),
            body["event"].as_str(),
        ) else {
            continue;
        };
        seen.entry(prefix.to_string())
            .or_default()
            .push((id.to_string(), event.to_string()));
    }
    seen
}
