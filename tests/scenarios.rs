//! Detection and lifecycle scenarios, replayed through the real CLI from RIS Live JSON lines the
//! test writes. Each scenario asserts the semantics and compares the full JSON output with a
//! golden file in `tests/golden/` (regenerate with `UPDATE_GOLDEN=1 cargo test --test scenarios`).

#[path = "support/scenario.rs"]
mod scenario;
mod support;

use scenario::{announce, kinds, pair, peer_down, Vp};
use serde_json::{json, Value};

const WATCHLIST: &str = "fixtures/scenarios/watchlist.yaml";
const HIJACKER: u32 = 64666;

const VP1: Vp = Vp("rrc00", "198.18.0.1", 3356);
const VP2: Vp = Vp("rrc01", "198.18.0.2", 1299);
const VP3: Vp = Vp("rrc03", "198.18.0.3", 174);
const VP4: Vp = Vp("rrc04", "2001:db8::4", 6939);
const VP5: Vp = Vp("rrc05", "198.18.0.5", 2914);

/// A withdrawal written as a bare `data` object (accepted as well as whole frames).
fn withdraw(vp: Vp, t: f64, prefix: &str) -> String {
    let frame: Value = serde_json::from_str(&scenario::withdraw(vp, t, prefix)).unwrap();
    frame["data"].to_string()
}

/// An unrelated announcement that only moves data time forward.
fn tick(t: f64) -> String {
    announce(VP5, t, "84.205.64.0/24", json!([2914, 12654]))
}

/// Replays `lines` with the scenario watchlist; checks the golden file; returns the events.
fn run(name: &str, lines: &[String], extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["--watchlist", WATCHLIST];
    args.extend_from_slice(extra);
    scenario::run(name, lines, &args)
}

#[test]
fn exact_prefix_from_wrong_origin_opens_grows_and_resolves_after_withdrawal() {
    let p = "198.51.100.0/24";
    let lines = vec![
        announce(VP1, 0.0, p, json!([3356, HIJACKER])),
        announce(VP2, 12.0, p, json!([1299, 3356, HIJACKER])),
        announce(VP3, 20.0, p, json!([174, HIJACKER])),
        announce(VP4, 30.0, p, json!([6939, HIJACKER])),
        withdraw(VP1, 60.0, p),
        withdraw(VP2, 61.0, p),
        withdraw(VP3, 62.0, p),
        withdraw(VP4, 70.0, p),
        tick(369.0),
        tick(370.0),
    ];
    let events = run("exact_hijack", &lines, &[]);
    assert_eq!(
        kinds(&events),
        [
            pair("open", "origin-hijack"),
            pair("update", "origin-hijack"),
            pair("resolved", "origin-hijack")
        ]
    );
    let (open, update, resolved) = (&events[0], &events[1], &events[2]);
    assert_eq!(open["prefix"], p);
    assert_eq!(open["watched_prefix"], p);
    assert_eq!(open["origin"], HIJACKER);
    assert_eq!(open["offender"], HIJACKER);
    assert_eq!(open["expected_origins"], json!([64500]));
    assert_eq!(open["severity"], "critical");
    assert_eq!(open["group"], "gov");
    assert_eq!(open["peers"], 2, "opens at min_peers = 2");
    assert_eq!(open["first_seen"], "2026-01-01T07:00:00Z");
    assert_eq!(open["opened_at"], "2026-01-01T07:00:12Z");
    assert_eq!(open["resolved_at"], Value::Null);
    assert_eq!(
        open["evidence"]["sample_paths"],
        json!([[3356, HIJACKER], [1299, 3356, HIJACKER]])
    );
    assert_eq!(
        open["summary"],
        "198.51.100.0/24 announced by AS64666 instead of AS64500, seen by 2 vantage points"
    );
    assert_eq!(update["peers"], 4, "update when the vantage points double");
    assert_eq!(update["id"], open["id"], "one alert, one id");
    assert_eq!(resolved["id"], open["id"]);
    assert_eq!(resolved["peers"], 0);
    assert_eq!(resolved["peak_peers"], 4);
    assert_eq!(resolved["withdrawn_at"], "2026-01-01T07:01:10Z");
    assert_eq!(
        resolved["resolved_at"], "2026-01-01T07:06:10Z",
        "5 min after the last withdrawal"
    );
}

#[test]
fn more_specific_from_wrong_origin_is_subprefix_hijack_and_from_expected_origin_beyond_max_length_is_new(
) {
    let lines = vec![
        announce(VP1, 0.0, "203.0.113.128/25", json!([3356, HIJACKER])),
        announce(VP2, 1.0, "203.0.113.128/25", json!([1299, HIJACKER])),
        announce(VP1, 2.0, "203.0.113.0/25", json!([3356, 64500])),
        announce(VP2, 3.0, "203.0.113.0/25", json!([1299, 64500])),
        announce(VP3, 4.0, "203.0.113.0/24", json!([174, 64500])),
    ];
    let events = run("subprefix_and_new_more_specific", &lines, &[]);
    assert_eq!(
        kinds(&events),
        [
            pair("open", "subprefix-hijack"),
            pair("open", "new-more-specific")
        ]
    );
    assert_eq!(events[0]["prefix"], "203.0.113.128/25");
    assert_eq!(events[0]["watched_prefix"], "203.0.113.0/24");
    assert_eq!(events[0]["offender"], HIJACKER);
    assert_eq!(events[0]["severity"], "critical");
    assert_eq!(events[1]["prefix"], "203.0.113.0/25");
    assert_eq!(events[1]["offender"], 64500);
    assert_eq!(events[1]["severity"], "warning");
}

#[test]
fn anything_announced_in_space_nobody_may_announce_is_squat() {
    let lines = vec![
        announce(VP1, 0.0, "192.0.2.0/25", json!([3356, 64777])),
        announce(VP2, 5.0, "192.0.2.0/25", json!([1299, 64777])),
        announce(VP3, 6.0, "192.0.2.0/24", json!([174, 64500])),
    ];
    let events = run("squat", &lines, &["--min-peers", "1"]);
    assert_eq!(
        kinds(&events),
        [
            pair("open", "squat"),
            pair("update", "squat"),
            pair("open", "squat")
        ],
        "with min_peers 1 the second vantage point doubles the count: an update"
    );
    assert_eq!(events[0]["offender"], 64777);
    assert_eq!(events[0]["peers"], 1);
    assert_eq!(events[0]["expected_origins"], json!([]));
    assert_eq!(events[1]["peers"], 2);
    assert_eq!(events[2]["prefix"], "192.0.2.0/24");
    assert_eq!(
        events[2]["offender"], 64500,
        "even the national carrier may not announce it"
    );
}

#[test]
fn as_set_origin_with_a_member_outside_the_expected_origins_is_a_hijack() {
    let p = "198.51.100.0/24";
    let lines = vec![
        announce(VP1, 0.0, p, json!([174, 64500, [64500]])),
        announce(VP2, 1.0, p, json!([1299, 64500, [64500]])),
        announce(VP3, 2.0, p, json!([174, 64500, [64500, HIJACKER]])),
        announce(VP4, 3.0, p, json!([6939, [HIJACKER, 64500]])),
    ];
    let events = run("as_set_origin", &lines, &[]);
    assert_eq!(kinds(&events), [pair("open", "origin-hijack")]);
    assert_eq!(events[0]["offender"], HIJACKER);
    assert_eq!(events[0]["origins"], json!([64500, HIJACKER]));
    assert_eq!(
        events[0]["evidence"]["sample_paths"][0],
        json!([174, 64500, [64500, HIJACKER]])
    );
}

#[test]
fn carve_outs_multi_origin_and_max_length_are_respected() {
    let lines = vec![
        // Inside the carve-out (ignore: true): someone else's space, never judged.
        announce(VP1, 0.0, "100.64.130.0/24", json!([3356, 65000])),
        announce(VP2, 0.0, "100.64.130.0/24", json!([1299, 65000])),
        // Either listed origin may announce the block and more-specifics up to /20.
        announce(VP1, 1.0, "100.64.0.0/16", json!([3356, 64501])),
        announce(VP2, 1.0, "100.64.0.0/16", json!([1299, 64500])),
        announce(VP1, 2.0, "100.64.16.0/20", json!([3356, 64501])),
        announce(VP2, 2.0, "100.64.16.0/20", json!([1299, 64501])),
        // Beyond max_length /20: new more-specific, a warning (the edu group caps at warning).
        announce(VP1, 3.0, "100.64.16.0/24", json!([3356, 64501])),
        announce(VP2, 3.0, "100.64.16.0/24", json!([1299, 64501])),
        // A hijack in the edu group pages as a warning too.
        announce(VP1, 4.0, "100.64.0.0/16", json!([3356, HIJACKER])),
        announce(VP3, 4.0, "100.64.0.0/16", json!([174, HIJACKER])),
    ];
    let events = run("carve_out_multi_origin_max_length", &lines, &[]);
    assert_eq!(
        kinds(&events),
        [
            pair("open", "new-more-specific"),
            pair("open", "origin-hijack")
        ]
    );
    assert_eq!(events[0]["prefix"], "100.64.16.0/24");
    assert_eq!(events[0]["severity"], "warning");
    assert_eq!(events[1]["severity"], "warning", "group edu caps severity");
    assert_eq!(events[1]["expected_origins"], json!([64500, 64501]));
}

#[test]
fn peers_going_down_end_a_hijack_and_it_resolves_five_minutes_later() {
    let p = "198.51.100.0/24";
    let lines = vec![
        announce(VP1, 0.0, p, json!([3356, HIJACKER])),
        announce(VP2, 1.0, p, json!([1299, HIJACKER])),
        peer_down(VP1, 100.0),
        peer_down(VP2, 110.0),
        tick(409.0),
        tick(411.0),
    ];
    let events = run("peer_down_ends_hijack", &lines, &[]);
    assert_eq!(
        kinds(&events),
        [
            pair("open", "origin-hijack"),
            pair("resolved", "origin-hijack")
        ]
    );
    assert_eq!(events[1]["withdrawn_at"], "2026-01-01T07:01:50Z");
    assert_eq!(events[1]["resolved_at"], "2026-01-01T07:06:50Z");
}

#[test]
fn a_replacement_route_is_an_implicit_withdrawal() {
    let p = "198.51.100.0/24";
    let lines = vec![
        announce(VP1, 0.0, p, json!([3356, HIJACKER])),
        announce(VP2, 1.0, p, json!([1299, HIJACKER])),
        announce(VP1, 30.0, p, json!([3356, 64500])),
        announce(VP2, 40.0, p, json!([1299, 64500])),
        tick(400.0),
    ];
    let events = run("implicit_withdrawal", &lines, &[]);
    assert_eq!(
        kinds(&events),
        [
            pair("open", "origin-hijack"),
            pair("resolved", "origin-hijack")
        ]
    );
    assert_eq!(events[1]["resolved_at"], "2026-01-01T07:05:40Z");
}

#[test]
fn a_route_that_comes_back_before_resolve_after_keeps_the_same_alert_open() {
    let p = "198.51.100.0/24";
    let lines = vec![
        announce(VP1, 0.0, p, json!([3356, HIJACKER])),
        announce(VP2, 1.0, p, json!([1299, HIJACKER])),
        withdraw(VP1, 10.0, p),
        withdraw(VP2, 10.0, p),
        announce(VP3, 200.0, p, json!([174, HIJACKER])),
        tick(600.0),
    ];
    let events = run("flapping_hijack_stays_open", &lines, &[]);
    assert_eq!(
        kinds(&events),
        [pair("open", "origin-hijack")],
        "no resolve, no second open"
    );
}

#[test]
fn one_vantage_point_is_below_min_peers_and_raises_nothing() {
    let p = "198.51.100.0/24";
    let lines = vec![
        announce(VP1, 0.0, p, json!([3356, HIJACKER])),
        announce(VP1, 10.0, p, json!([3356, 1299, HIJACKER])),
        tick(1000.0),
    ];
    let events = run("below_min_peers", &lines, &[]);
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn the_end_of_the_input_resolves_nothing() {
    let p = "198.51.100.0/24";
    let lines = vec![
        announce(VP1, 0.0, p, json!([3356, HIJACKER])),
        announce(VP2, 1.0, p, json!([1299, HIJACKER])),
        withdraw(VP1, 2.0, p),
        withdraw(VP2, 3.0, p),
    ];
    let events = run("end_of_input_resolves_nothing", &lines, &[]);
    assert_eq!(kinds(&events), [pair("open", "origin-hijack")]);
}

#[test]
fn a_later_episode_of_the_same_hijack_gets_a_new_id() {
    let p = "198.51.100.0/24";
    let lines = vec![
        announce(VP1, 0.0, p, json!([3356, HIJACKER])),
        announce(VP2, 1.0, p, json!([1299, HIJACKER])),
        withdraw(VP1, 2.0, p),
        withdraw(VP2, 3.0, p),
        announce(VP1, 1000.0, p, json!([3356, HIJACKER])),
        announce(VP2, 1001.0, p, json!([1299, HIJACKER])),
    ];
    let events = run("second_episode_new_id", &lines, &[]);
    assert_eq!(
        kinds(&events),
        [
            pair("open", "origin-hijack"),
            pair("resolved", "origin-hijack"),
            pair("open", "origin-hijack")
        ]
    );
    assert_ne!(events[0]["id"], events[2]["id"]);
}

#[test]
fn text_format_prints_one_readable_line_per_event() {
    let p = "198.51.100.0/24";
    let dir = support::scratch("text_format");
    let input = dir.join("in.jsonl");
    let lines = [
        announce(VP1, 0.0, p, json!([3356, HIJACKER])),
        announce(VP2, 1.0, p, json!([1299, HIJACKER])),
    ];
    std::fs::write(&input, lines.join("\n")).unwrap();
    let output = support::replay(&[
        "--watchlist",
        WATCHLIST,
        "--format",
        "text",
        input.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("2026-01-01T07:00:01Z OPEN     critical origin-hijack"),
        "{text}"
    );
    assert!(
        text.contains("198.51.100.0/24 announced by AS64666 instead of AS64500"),
        "{text}"
    );
}
