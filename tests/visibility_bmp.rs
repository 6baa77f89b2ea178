//! BMP peer-down captures (pmacct 204: Cisco, 205: 6WIND/FRR) through visibility detection:
//! peers that go down take their routes out of both the numerator and the baseline, so a
//! session reset raises no visibility alert.
//!
//! Limits of this data: each capture spans 15 s and the downed peers return within seconds, so a
//! 2 min condition cannot elapse inside it; the test shortens `visibility_for` to 1 s and
//! appends a clock tick 10 min later so anything pending is judged. The semantics of real
//! vanishing routes are tested on RIS data in tests/visibility.rs.

#[path = "support/pcap.rs"]
mod pcap;
mod support;

use std::path::PathBuf;

fn bmp_stream(file: &str, dir: &std::path::Path) -> Option<PathBuf> {
    let path = support::data_file(file)?;
    let bytes = std::fs::read(&path).unwrap();
    let stream = pcap::tcp_streams(&bytes)
        .unwrap()
        .into_iter()
        .find(|s| s.payload.first() == Some(&3))
        .expect("a BMP stream");
    let out = dir.join("router.bmp");
    std::fs::write(&out, &stream.payload).unwrap();
    Some(out)
}

/// Every prefix the stream announces, as a watchlist (origin from its route).
fn watchlist_from_replay(stream: &std::path::Path, dir: &std::path::Path) -> PathBuf {
    // Pass 1: learn the prefixes and origins with a watchlist that squat-watches everything.
    let all = dir.join("all.yaml");
    std::fs::write(
        &all,
        "prefixes:\n  0.0.0.0/0: { origins: [] }\n  ::/0: { origins: [] }\n",
    )
    .unwrap();
    let output = support::replay(&[
        "--watchlist",
        all.to_str().unwrap(),
        "--min-peers",
        "1",
        stream.to_str().unwrap(),
    ]);
    let mut entries = std::collections::BTreeMap::new();
    for e in support::events(&output) {
        if let (Some(prefix), Some(origin)) = (e["prefix"].as_str(), e["origin"].as_u64()) {
            if prefix != "0.0.0.0/0" && prefix != "::/0" {
                entries.insert(prefix.to_string(), origin);
            }
        }
    }
    assert!(
        entries.len() > 10,
        "the capture announces prefixes: {entries:?}"
    );
    let mut yaml = String::from("groups:\n  lab: { severity: critical }\nprefixes:\n");
    for (prefix, origin) in entries {
        yaml += &format!("  {prefix}: {{ origins: [{origin}], group: lab }}\n");
    }
    let path = dir.join("watchlist.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn check(name: &str, file: &str) {
    let dir = support::scratch(name);
    let Some(stream) = bmp_stream(file, &dir) else {
        return;
    };
    let watchlist = watchlist_from_replay(&stream, &dir);
    let tick = dir.join("later.jsonl");
    std::fs::write(&tick, r#"{"timestamp":1672535400,"peer":"192.0.2.99","peer_asn":"64999","host":"rrc00","type":"UPDATE","path":[64999,12654],"announcements":[{"next_hop":"192.0.2.99","prefixes":["84.205.64.0/24"]}]}"#).unwrap();
    let config = dir.join("bgpwatch.toml");
    std::fs::write(&config, format!("watchlist = \"{}\"\n[detect]\nmin_baseline = 1\nvisibility_for = \"1s\"\nwarmup = \"0s\"\n", watchlist.display())).unwrap();
    let summary = dir.join("summary.json");
    let output = support::replay(&[
        "--config",
        config.to_str().unwrap(),
        "--summary-json",
        summary.to_str().unwrap(),
        stream.to_str().unwrap(),
        tick.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let s = support::summary(&summary);
    assert!(
        s["peer_events"].as_u64().unwrap() > 0,
        "the capture has peer down/up: {s}"
    );
    let visibility: Vec<_> = support::events(&output)
        .into_iter()
        .filter(|e| {
            matches!(
                e["kind"].as_str(),
                Some("visibility-loss" | "withdrawal" | "mass-withdrawal")
            )
        })
        .collect();
    assert!(
        visibility.is_empty(),
        "a session reset is no outage: {visibility:?}"
    );
}

#[test]
fn a_cisco_peer_session_reset_raises_no_visibility_alert() {
    check(
        "visibility_bmp_204",
        "bmp/pmacct-204-BMP-CISCO-peer_down.pcap",
    );
}

#[test]
fn an_frr_peer_session_reset_raises_no_visibility_alert() {
    check(
        "visibility_bmp_205",
        "bmp/pmacct-205-BMP-6wind-FRR-peer_down.pcap",
    );
}
