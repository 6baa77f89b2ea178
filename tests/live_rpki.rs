//! RPKI in the live service: alerts carry the RFC 6811 state of the VRP file in force, and a VRP
//! file replaced by an empty one keeps the last good set and raises `feed-stalled` for
//! `rpki-file` (the file is checked every 30 s, so this test takes about half a minute).

#[path = "support/monitor.rs"]
mod monitor;
#[path = "support/ris_live_server.rs"]
mod server;
mod support;

use monitor::Monitor;
use server::Action;
use std::time::Duration;

const ROAS: &str =
    r#"{"roas":[{"asn":"AS64500","prefix":"198.51.100.0/24","maxLength":24,"ta":"test"}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn alerts_carry_the_rpki_state_and_an_emptied_vrp_file_keeps_the_last_good_set() {
    let dir = support::scratch("live_rpki_vrps");
    let vrps = dir.join("vrps.json");
    std::fs::write(&vrps, ROAS).unwrap();
    let server = server::start(vec![vec![
        Action::Send(vec![
            server::hijack_frame("198.18.0.1", 3356, 1.0e9),
            server::hijack_frame("198.18.0.2", 1299, 1.0e9 + 1.0),
        ]),
        Action::Idle,
    ]])
    .await;
    let sources = format!(
        "[[sources]]\ntype = \"ris-live\"\nurl = \"{}\"\nstall_after = \"60s\"\n",
        server.url
    );
    let m = Monitor::start_full(
        "live_rpki",
        &format!("vrps = \"{}\"", vrps.display()),
        "",
        &sources,
    );
    m.wait_for("the hijack", Duration::from_secs(20), |m| {
        m.events().iter().any(|e| e["kind"] == "origin-hijack")
    });
    let hijack = m
        .events()
        .into_iter()
        .find(|e| e["kind"] == "origin-hijack")
        .unwrap();
    assert_eq!(hijack["evidence"]["rpki"], "invalid", "{hijack}");

    // A validator run that failed: the file now holds no ROA.
    std::fs::write(&vrps, r#"{"roas":[]}"#).unwrap();
    m.wait_for("feed-stalled for rpki-file", Duration::from_secs(45), |m| {
        m.events()
            .iter()
            .any(|e| e["kind"] == "feed-stalled" && e["source"] == "rpki-file")
    });
    let stalled = m
        .events()
        .into_iter()
        .find(|e| e["source"] == "rpki-file")
        .unwrap();
    assert!(
        stalled["summary"]
            .as_str()
            .unwrap()
            .contains("keeping the previous VRPs"),
        "{stalled}"
    );
}
