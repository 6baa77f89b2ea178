//! `bgpwatch run` against a RIS-Live-compatible websocket server written here, streaming real
//! RIS Live lines: subscription content, alerts equal to replay's, reconnect, stall detection
//! and hostile servers.

#[path = "support/monitor.rs"]
mod monitor;
#[path = "support/ris_live_server.rs"]
mod server;
mod support;

use monitor::Monitor;
use serde_json::Value;
use server::Action;
use std::time::Duration;

/// Covering blocks of fixtures/scenarios/watchlist.yaml (100.64.128.0/20 lies inside 100.64.0.0/16).
const BLOCKS: [&str; 4] = [
    "100.64.0.0/16",
    "192.0.2.0/24",
    "198.51.100.0/24",
    "203.0.113.0/24",
];
/// Four blocks, two beacons, RIS_PEER_STATE.
const SUBSCRIPTIONS: usize = 7;

/// Real RIS Live lines (1,000 frames of 2019) with two vantage points hijacking a watched prefix.
fn real_lines_with_hijack() -> Option<Vec<String>> {
    let file = support::data_file("ris-live/morrowc-rislive.1k-msgs.jsonl")?;
    let mut lines: Vec<String> = std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines.insert(
        400,
        server::hijack_frame("198.18.0.1", 3356, 1_558_620_100.0),
    );
    lines.insert(
        700,
        server::hijack_frame("198.18.0.2", 1299, 1_558_620_101.0),
    );
    Some(lines)
}

fn ris_source(url: &str, stall_after: &str) -> String {
    format!("[[sources]]\ntype = \"ris-live\"\nurl = \"{url}\"\nstall_after = \"{stall_after}\"\n")
}

fn opened(m: &Monitor, kind: &str) -> Vec<Value> {
    m.events()
        .into_iter()
        .filter(|e| e["event"] == "open" && e["kind"] == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribes_to_the_covering_blocks_beacons_and_peer_state_and_alerts_like_replay() {
    let Some(lines) = real_lines_with_hijack() else {
        return;
    };
    let server = server::start(vec![vec![
        Action::AwaitSubscriptions(SUBSCRIPTIONS),
        Action::Send(lines.clone()),
        Action::Idle,
    ]])
    .await;
    let m = Monitor::start("live_ris_subscribe", &ris_source(&server.url, "60s"));
    m.wait_for("origin-hijack", Duration::from_secs(20), |m| {
        !opened(m, "origin-hijack").is_empty()
    });

    let received = server.record.lock().unwrap().received[0].clone();
    let subs: Vec<Value> = received
        .iter()
        .map(|t| serde_json::from_str::<Value>(t).unwrap())
        .filter(|v| v["type"] == "ris_subscribe")
        .collect();
    assert_eq!(subs.len(), SUBSCRIPTIONS, "{subs:?}");
    for block in BLOCKS {
        let sub = subs
            .iter()
            .find(|s| s["data"]["prefix"] == block)
            .unwrap_or_else(|| panic!("no subscription for {block}"));
        assert_eq!(sub["data"]["type"], "UPDATE");
        assert_eq!(sub["data"]["moreSpecific"], true);
        assert_eq!(sub["data"]["lessSpecific"], true);
    }
    for beacon in ["84.205.64.0/24", "2001:7fb:fe00::/48"] {
        assert!(
            subs.iter().any(|s| s["data"]["prefix"] == beacon),
            "beacon {beacon}"
        );
    }
    assert!(subs.iter().any(|s| s["data"]["type"] == "RIS_PEER_STATE"));

    // The same lines through replay give the same alert.
    let dir = support::scratch("live_ris_replay_twin");
    let file = dir.join("lines.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let replayed = support::events(&support::replay(&[
        "--watchlist",
        "fixtures/scenarios/watchlist.yaml",
        file.to_str().unwrap(),
    ]));
    let live = opened(&m, "origin-hijack");
    assert_eq!(replayed.len(), 1);
    for field in [
        "kind",
        "severity",
        "prefix",
        "watched_prefix",
        "origin",
        "offender",
        "expected_origins",
        "peers",
        "group",
    ] {
        assert_eq!(live[0][field], replayed[0][field], "field {field}");
    }
    let (status, body) = m.get("/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("bgpwatch_updates_total{kind=\"announce\",source=\"ris-live\"}"),
        "{body}"
    );
    assert!(
        body.contains("bgpwatch_alerts_total{kind=\"origin-hijack\",severity=\"critical\"} 1"),
        "{body}"
    );
    assert_eq!(m.terminate(), Some(0), "clean exit on SIGTERM");
}

#[tokio::test(flavor = "multi_thread")]
async fn reconnects_and_resubscribes_after_the_server_drops_the_connection() {
    let server = server::start(vec![
        vec![
            Action::AwaitSubscriptions(SUBSCRIPTIONS),
            Action::Send(vec![server::hijack_frame("198.18.0.1", 3356, 1.0e9)]),
            Action::Drop,
        ],
        vec![
            Action::AwaitSubscriptions(SUBSCRIPTIONS),
            Action::Send(vec![server::hijack_frame("198.18.0.2", 1299, 1.0e9 + 1.0)]),
            Action::Idle,
        ],
    ])
    .await;
    let m = Monitor::start("live_ris_reconnect", &ris_source(&server.url, "60s"));
    m.wait_for("a second connection", Duration::from_secs(20), |_| {
        server.record.lock().unwrap().connections >= 2
    });
    m.wait_for(
        "the hijack seen across both sessions",
        Duration::from_secs(20),
        |m| !opened(m, "origin-hijack").is_empty(),
    );
    let record = server.record.lock().unwrap();
    let resubscribed = record.received[1]
        .iter()
        .filter(|t| t.contains("ris_subscribe"))
        .count();
    assert_eq!(
        resubscribed, SUBSCRIPTIONS,
        "subscriptions sent again on the new session"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_feed_raises_feed_stalled_and_healthz_fails_until_data_flows_again() {
    let Some(lines) = real_lines_with_hijack() else {
        return;
    };
    // Two silent sessions (the client gives each up after stall_after), then data at once.
    let server = server::start(vec![
        vec![Action::AwaitSubscriptions(SUBSCRIPTIONS), Action::Idle],
        vec![Action::AwaitSubscriptions(SUBSCRIPTIONS), Action::Idle],
        vec![
            Action::Send(lines[..50].to_vec()),
            Action::Sleep(Duration::from_millis(500)),
            Action::Send(lines[50..100].to_vec()),
            Action::Idle,
        ],
    ])
    .await;
    let m = Monitor::start("live_ris_stall", &ris_source(&server.url, "2s"));
    m.wait_for("feed-stalled", Duration::from_secs(20), |m| {
        !opened(m, "feed-stalled").is_empty()
    });
    let stalled = &opened(&m, "feed-stalled")[0];
    assert_eq!(stalled["source"], "ris-live");
    assert_eq!(stalled["prefix"], Value::Null);
    m.wait_for("feed-stalled resolved", Duration::from_secs(20), |m| {
        m.events()
            .iter()
            .any(|e| e["kind"] == "feed-stalled" && e["event"] == "resolved")
    });
    m.wait_for("healthz 200", Duration::from_secs(10), |m| {
        m.get("/healthz").is_some_and(|(s, _)| s == 200)
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn healthz_is_503_while_the_server_refuses_connections() {
    let port = monitor::free_port();
    let m = Monitor::start(
        "live_ris_refused",
        &ris_source(&format!("ws://127.0.0.1:{port}/v1/ws/"), "2s"),
    );
    let (status, body) = m.get("/healthz").unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("cannot connect"), "{body}");
    m.wait_for(
        "feed-stalled on a refused feed",
        Duration::from_secs(20),
        |m| !opened(m, "feed-stalled").is_empty(),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_huge_frames_and_ris_error_do_not_stop_detection() {
    let garbage = vec![
        "this is not json".to_string(),
        r#"{"type":"ris_error","data":{"message":"Unknown subscription parameter"}}"#.to_string(),
        r#"{"type":"ris_message","data":{"type":"UPDATE","peer":"not-an-ip"}}"#.to_string(),
        "{\"deep\":".repeat(2000),
    ];
    let server = server::start(vec![
        vec![
            Action::AwaitSubscriptions(SUBSCRIPTIONS),
            Action::Send(garbage),
            Action::Send(vec![server::hijack_frame("198.18.0.1", 3356, 1.0e9)]),
            Action::SendHuge(4 << 20),
            Action::Idle,
        ],
        vec![
            Action::AwaitSubscriptions(SUBSCRIPTIONS),
            Action::Send(vec![server::hijack_frame("198.18.0.2", 1299, 1.0e9 + 1.0)]),
            Action::Idle,
        ],
    ])
    .await;
    let mut m = Monitor::start("live_ris_hostile", &ris_source(&server.url, "60s"));
    m.wait_for(
        "the hijack after the garbage",
        Duration::from_secs(20),
        |m| !opened(m, "origin-hijack").is_empty(),
    );
    assert!(m.alive());
    let log = m.log();
    assert!(log.contains("input rejected"), "{log}");
    assert!(
        log.contains("feed disconnected"),
        "the 4 MiB frame ends the session: {log}"
    );
    let (_, metrics) = m.get("/metrics").unwrap();
    assert!(
        metrics.contains("bgpwatch_input_errors_total{source=\"ris-live\"}"),
        "{metrics}"
    );
}
