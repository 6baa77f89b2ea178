//! RPKI in detection (issue 4): hijack evidence carries the RFC 6811 state, an RPKI-valid
//! "hijack" is lowered to warning (not hidden; configurable), `rpki-invalid` flags what no other
//! detector does, and a VRP file with a bad entry loads the rest. Through the real CLI with
//! `fixtures/scenarios/watchlist.yaml` and the ROAs of `fixtures/scenarios/vrps.json`.

#[path = "support/scenario.rs"]
mod scenario;
mod support;

use scenario::{announce, kinds, pair, replay_lines, run, Vp};
use serde_json::json;

const WATCHLIST: &str = "fixtures/scenarios/watchlist.yaml";
const VRPS: &str = "fixtures/scenarios/vrps.json";
const VP1: Vp = Vp("rrc00", "198.18.0.1", 3356);
const VP2: Vp = Vp("rrc01", "198.18.0.2", 1299);

fn twice(prefix: &str, origin: u32) -> Vec<String> {
    vec![
        announce(VP1, 0.0, prefix, json!([3356, origin])),
        announce(VP2, 1.0, prefix, json!([1299, origin])),
    ]
}

#[test]
fn a_hijack_carries_its_rpki_state_and_is_not_paged_twice() {
    let events = run(
        "rpki_invalid_hijack",
        &twice("198.51.100.0/24", 64666),
        &["--watchlist", WATCHLIST, "--vrps", VRPS],
    );
    assert_eq!(
        kinds(&events),
        [pair("open", "origin-hijack")],
        "no second rpki-invalid page for the same route"
    );
    assert_eq!(events[0]["evidence"]["rpki"], "invalid");
    assert_eq!(events[0]["severity"], "critical");
}

#[test]
fn without_vrps_the_state_is_not_checked() {
    let events = run(
        "rpki_not_checked",
        &twice("198.51.100.0/24", 64666),
        &["--watchlist", WATCHLIST],
    );
    assert_eq!(events[0]["evidence"]["rpki"], "not-checked");
}

#[test]
fn an_rpki_valid_squat_is_lowered_to_warning_not_hidden() {
    let events = run(
        "rpki_valid_squat",
        &twice("192.0.2.0/25", 64777),
        &["--watchlist", WATCHLIST, "--vrps", VRPS],
    );
    assert_eq!(kinds(&events), [pair("open", "squat")]);
    assert_eq!(events[0]["evidence"]["rpki"], "valid");
    assert_eq!(events[0]["severity"], "warning");
    assert!(
        events[0]["evidence"]["rule"]
            .as_str()
            .unwrap()
            .contains("RPKI-valid"),
        "{}",
        events[0]
    );
}

#[test]
fn the_downgrade_can_be_switched_off() {
    let dir = support::scratch("rpki_no_downgrade_config");
    let config = dir.join("bgpwatch.toml");
    std::fs::write(&config, format!("watchlist = \"{WATCHLIST}\"\nvrps = \"{VRPS}\"\n[detect]\nrpki_valid_downgrade = false\n")).unwrap();
    let output = replay_lines(
        "rpki_no_downgrade",
        &twice("192.0.2.0/25", 64777),
        &["--config", config.to_str().unwrap()],
    );
    let events = support::events(&output);
    assert_eq!(events[0]["severity"], "critical");
    assert_eq!(events[0]["evidence"]["rpki"], "valid");
}

#[test]
fn a_route_only_rpki_finds_wrong_is_rpki_invalid() {
    // The watchlist allows AS64501 up to /20; the ROA for AS64501 stops at /16.
    let events = run(
        "rpki_invalid_max_length",
        &twice("100.64.16.0/20", 64501),
        &["--watchlist", WATCHLIST, "--vrps", VRPS],
    );
    assert_eq!(kinds(&events), [pair("open", "rpki-invalid")]);
    let rule = events[0]["evidence"]["rule"].as_str().unwrap();
    assert!(rule.contains("max-length 16"), "{rule}");
    assert_eq!(events[0]["offender"], 64501);
    assert_eq!(events[0]["evidence"]["rpki"], "invalid");
    // A route the ROAs allow raises nothing.
    let quiet = run(
        "rpki_valid_quiet",
        &twice("100.64.0.0/16", 64501),
        &["--watchlist", WATCHLIST, "--vrps", VRPS],
    );
    assert!(quiet.is_empty(), "{quiet:?}");
}

#[test]
fn a_vrp_file_with_a_bad_entry_loads_the_rest_and_names_it() {
    let dir = support::scratch("rpki_bad_entry_file");
    let vrps = dir.join("vrps.json");
    std::fs::write(
        &vrps,
        r#"{"roas":[{"asn":"AS64500","prefix":"198.51.100.0/24","maxLength":24,"ta":"t"},
                    {"asn":"AS64500","prefix":"203.0.113.0/24","maxLength":20,"ta":"t"}]}"#,
    )
    .unwrap();
    let output = replay_lines(
        "rpki_bad_entry",
        &twice("198.51.100.0/24", 64666),
        &["--watchlist", WATCHLIST, "--vrps", vrps.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("roas[1]") && err.contains("maxLength 20"),
        "{err}"
    );
    assert_eq!(
        support::events(&output)[0]["evidence"]["rpki"],
        "invalid",
        "the good ROA loaded"
    );
}

#[test]
fn an_unusable_vrp_file_is_a_usage_error() {
    let dir = support::scratch("rpki_unusable_file");
    let vrps = dir.join("vrps.json");
    std::fs::write(&vrps, "<html>502 Bad Gateway</html>").unwrap();
    let output = replay_lines(
        "rpki_unusable",
        &twice("198.51.100.0/24", 64666),
        &["--watchlist", WATCHLIST, "--vrps", vrps.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("vrps.json"));
}
