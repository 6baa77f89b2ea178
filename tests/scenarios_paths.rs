//! Path scenarios (issue 4): `path-hijack` and `unexpected-origination`, replayed through the
//! real CLI from RIS Live JSON lines with `fixtures/scenarios/paths.yaml` (`route-leak`:
//! `scenarios_leaks.rs`). Each scenario asserts the semantics and compares the full output with
//! a golden file in `tests/golden/` (regenerate with `UPDATE_GOLDEN=1 cargo test --test
//! scenarios_paths`).

#[path = "support/paths.rs"]
mod paths;
#[path = "support/scenario.rs"]
mod scenario;
mod support;

use paths::*;
use scenario::{announce, kinds, pair, run, withdraw, Vp};
use serde_json::{json, Value};

#[test]
fn an_upstream_outside_the_asns_section_list_is_a_path_hijack_even_when_prepended() {
    let lines = vec![
        // The listed upstreams (asns: 64500 upstreams [64501, 64502]) raise nothing.
        announce(VP1, 0.0, CARRIER, json!([3356, PROVIDER1, NATIONAL])),
        announce(
            VP2,
            1.0,
            CARRIER,
            json!([1299, PROVIDER2, NATIONAL, NATIONAL]),
        ),
        // A fake adjacency: the hijacker puts the real origin after itself.
        announce(VP1, 10.0, CARRIER, json!([3356, HIJACKER, NATIONAL])),
        announce(
            VP2,
            11.0,
            CARRIER,
            json!([1299, HIJACKER, HIJACKER, NATIONAL]),
        ),
        announce(
            VP3,
            12.0,
            CARRIER,
            json!([174, HIJACKER, NATIONAL, NATIONAL, NATIONAL]),
        ),
    ];
    let events = run("path_hijack_upstream", &lines, &without_as_rel());
    assert_eq!(kinds(&events), [pair("open", "path-hijack")]);
    let open = &events[0];
    assert_eq!(open["prefix"], CARRIER);
    assert_eq!(open["watched_prefix"], CARRIER);
    assert_eq!(open["offender"], HIJACKER, "the unexpected upstream");
    assert_eq!(open["origin"], NATIONAL, "the route's own origin");
    assert_eq!(open["severity"], "warning");
    assert_eq!(open["peers"], 2);
    assert_eq!(
        open["summary"],
        "203.0.113.0/24 from expected origin AS64500 reached through AS64666, not an allowed upstream (AS64501, AS64502), seen by 2 vantage points"
    );
    let rule = open["evidence"]["rule"].as_str().unwrap();
    assert!(
        rule.contains("upstreams of AS64500 under asns: in fixtures/scenarios/paths.yaml"),
        "{rule}"
    );
}

#[test]
fn an_entry_upstream_list_overrides_the_asns_section_and_no_list_means_no_check() {
    let lines = vec![
        // Ministry: only AS64501, although the asns: section would also allow AS64502.
        announce(VP1, 0.0, MINISTRY, json!([3356, PROVIDER1, NATIONAL])),
        announce(VP2, 1.0, MINISTRY, json!([1299, PROVIDER2, NATIONAL])),
        announce(VP3, 2.0, MINISTRY, json!([174, PROVIDER2, NATIONAL])),
        // The origin as the vantage point's own peer: no AS before it, nothing to check.
        announce(
            Vp("rrc06", "198.18.0.6", NATIONAL),
            3.0,
            MINISTRY,
            json!([NATIONAL]),
        ),
        // University: no upstream list anywhere, any upstream passes.
        announce(VP1, 4.0, UNIVERSITY, json!([3356, HIJACKER, 64503])),
        announce(VP2, 5.0, UNIVERSITY, json!([1299, HIJACKER, 64503])),
    ];
    let events = run("path_hijack_entry_upstreams", &lines, &without_as_rel());
    assert_eq!(kinds(&events), [pair("open", "path-hijack")]);
    assert_eq!(events[0]["prefix"], MINISTRY);
    assert_eq!(events[0]["offender"], PROVIDER2);
    assert_eq!(
        events[0]["summary"],
        "2001:db8:100::/48 from expected origin AS64500 reached through AS64502, not an allowed upstream (AS64501), seen by 2 vantage points"
    );
}

#[test]
fn a_watched_as_originating_space_outside_the_watchlist_is_unexpected_origination() {
    let lines = vec![
        // 24 February 2008, re-enacted: PTCL originates YouTube's /24, PCCW carries it.
        announce(VP1, 0.0, YOUTUBE, json!([3356, PCCW, PTCL])),
        announce(VP2, 5.0, YOUTUBE, json!([1299, PCCW, PTCL])),
        announce(VP3, 6.0, YOUTUBE, json!([174, PCCW, PTCL])),
        // Its own watched block, and the national carrier's: nothing.
        announce(VP1, 7.0, "202.83.160.0/20", json!([3356, PCCW, PTCL])),
        announce(VP2, 7.0, "202.83.160.0/20", json!([1299, PCCW, PTCL])),
        announce(VP1, 8.0, CARRIER, json!([3356, PROVIDER1, NATIONAL])),
        announce(VP2, 8.0, CARRIER, json!([1299, PROVIDER2, NATIONAL])),
        // An aggregate covering watched space is not "outside the watchlist".
        announce(
            VP1,
            9.0,
            "203.0.112.0/22",
            json!([3356, PROVIDER1, NATIONAL]),
        ),
        announce(
            VP2,
            9.0,
            "203.0.112.0/22",
            json!([1299, PROVIDER1, NATIONAL]),
        ),
        withdraw(VP1, 100.0, YOUTUBE),
        withdraw(VP2, 101.0, YOUTUBE),
        withdraw(VP3, 102.0, YOUTUBE),
        tick(402.0),
    ];
    let events = run("unexpected_origination", &lines, &without_as_rel());
    assert_eq!(
        kinds(&events),
        [
            pair("open", "unexpected-origination"),
            pair("resolved", "unexpected-origination")
        ]
    );
    let open = &events[0];
    assert_eq!(open["prefix"], YOUTUBE);
    assert_eq!(
        open["watched_prefix"],
        Value::Null,
        "the prefix is not watched"
    );
    assert_eq!(open["offender"], PTCL, "the watched AS itself");
    assert_eq!(open["origin"], PTCL);
    assert_eq!(open["expected_origins"], json!([]));
    assert_eq!(open["severity"], "warning");
    assert_eq!(open["description"], "Pakistan Telecom (PTCL)");
    assert_eq!(
        open["summary"],
        "208.65.153.0/24 originated by watched AS17557 Pakistan Telecom (PTCL), outside the watchlist, seen by 2 vantage points"
    );
    assert_eq!(events[1]["id"], open["id"]);
    assert_eq!(events[1]["resolved_at"], "2026-01-01T07:06:42Z");
}
