//! Route-leak scenarios (issue 4), replayed through the real CLI from RIS Live JSON lines with
//! `fixtures/scenarios/paths.yaml` and the relationships of `fixtures/scenarios/as-rel.txt`
//! (or the built-in tier-1 list without one), and the as-rel file's own errors. Each scenario
//! asserts the semantics and compares the full output with a golden file in `tests/golden/`
//! (regenerate with `UPDATE_GOLDEN=1 cargo test --test scenarios_leaks`).

#[path = "support/paths.rs"]
mod paths;
#[path = "support/scenario.rs"]
mod scenario;
mod support;

use paths::*;
use scenario::{announce, kinds, pair, replay_lines, run, Vp};
use serde_json::json;

#[test]
fn a_customer_passing_a_providers_route_to_another_provider_is_a_route_leak() {
    let lines = vec![
        // AS64510 learned the carrier block from provider 1 and passed it to provider 2.
        announce(
            VP_P2A,
            0.0,
            CARRIER,
            json!([PROVIDER2, ACCESS, PROVIDER1, NATIONAL]),
        ),
        announce(
            VP_P2B,
            1.0,
            CARRIER,
            json!([PROVIDER2, ACCESS, PROVIDER1, NATIONAL]),
        ),
        // Prepended, behind an AS the file does not know (which accuses nobody).
        announce(
            VP_OTHER,
            2.0,
            CARRIER,
            json!([64520, PROVIDER2, ACCESS, ACCESS, ACCESS, PROVIDER1, NATIONAL, NATIONAL]),
        ),
        // Legitimate paths through the same ASes: a customer route going up and across, and
        // the carrier block straight from provider 1.
        announce(VP_P1, 3.0, CARRIER, json!([PROVIDER1, NATIONAL])),
        announce(VP_P1, 3.0, CUSTOMER, json!([PROVIDER1, ACCESS, 64511])),
        announce(VP_P2A, 4.0, CUSTOMER, json!([PROVIDER2, ACCESS, 64511])),
        announce(
            VP_P2B,
            4.0,
            CUSTOMER,
            json!([PROVIDER2, PROVIDER1, ACCESS, 64511]),
        ),
    ];
    let events = run("route_leak_provider_to_provider", &lines, &with_as_rel());
    assert_eq!(kinds(&events), [pair("open", "route-leak")]);
    let open = &events[0];
    assert_eq!(open["prefix"], CARRIER);
    assert_eq!(open["watched_prefix"], CARRIER);
    assert_eq!(open["offender"], ACCESS, "the leaker");
    assert_eq!(open["origin"], NATIONAL);
    assert_eq!(open["severity"], "critical");
    assert_eq!(
        open["summary"],
        "203.0.113.0/24 leaked by AS64510 (provider AS64501 -> AS64510 -> provider AS64502), seen by 2 vantage points"
    );
    let rule = open["evidence"]["rule"].as_str().unwrap();
    assert!(
        rule.contains("path segment [64502, 64510, 64501]"),
        "{rule}"
    );
    assert!(
        rule.contains("relationships from as-rel file fixtures/scenarios/as-rel.txt"),
        "{rule}"
    );
}

#[test]
fn a_network_passing_a_peers_route_to_another_peer_is_a_route_leak() {
    let peer_leak = json!([64506, 64505, PROVIDER2, NATIONAL]);
    let lines = vec![
        announce(
            Vp("rrc14", "198.18.1.5", 64506),
            0.0,
            CARRIER,
            peer_leak.clone(),
        ),
        announce(Vp("rrc15", "198.18.1.6", 64506), 1.0, CARRIER, peer_leak),
        // Provider 2 passing its customer's route to its peer is what peering is for.
        announce(
            Vp("rrc16", "198.18.1.7", 64505),
            2.0,
            CARRIER,
            json!([64505, PROVIDER2, NATIONAL]),
        ),
    ];
    let events = run("route_leak_peer_to_peer", &lines, &with_as_rel());
    assert_eq!(kinds(&events), [pair("open", "route-leak")]);
    assert_eq!(events[0]["offender"], 64505);
    assert_eq!(
        events[0]["summary"],
        "203.0.113.0/24 leaked by AS64505 (peer AS64502 -> AS64505 -> peer AS64506), seen by 2 vantage points"
    );
}

#[test]
fn without_an_as_rel_file_the_tier1_list_catches_a_network_between_two_tier1s() {
    let lines = vec![
        announce(VP1, 0.0, UNIVERSITY, json!([3356, ACCESS, 1299, 64503])),
        announce(VP2, 1.0, UNIVERSITY, json!([1299, ACCESS, 3356, 64503])),
        // Tier-1 to tier-1 directly, and a customer of a tier-1: fine.
        announce(VP3, 2.0, UNIVERSITY, json!([174, 3356, 64503])),
        announce(VP3, 3.0, CARRIER, json!([174, PROVIDER1, NATIONAL])),
    ];
    let events = run("route_leak_tier1_fallback", &lines, &without_as_rel());
    assert_eq!(kinds(&events), [pair("open", "route-leak")]);
    assert_eq!(events[0]["offender"], ACCESS);
    assert_eq!(
        events[0]["peers"], 2,
        "both directions are one leak by one AS"
    );
    assert_eq!(
        events[0]["summary"],
        "192.0.2.0/24 leaked by AS64510 (tier-1 AS1299 -> AS64510 -> tier-1 AS3356), seen by 2 vantage points"
    );
    let rule = events[0]["evidence"]["rule"].as_str().unwrap();
    assert!(
        rule.contains("built-in tier-1 list; no as-rel file configured"),
        "{rule}"
    );

    // The as-rel file does not relate the tier-1 networks: unknown relationships accuse nobody.
    let events = run("route_leak_tier1_with_as_rel_file", &lines, &with_as_rel());
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn as_set_hops_are_never_judged_but_a_leak_before_an_as_set_origin_is() {
    let lines = vec![
        // An aggregate with an AS_SET origin, leaked by AS64510 further up.
        announce(
            VP_P2A,
            0.0,
            CARRIER,
            json!([PROVIDER2, ACCESS, PROVIDER1, [NATIONAL]]),
        ),
        announce(
            VP_P2B,
            1.0,
            CARRIER,
            json!([PROVIDER2, ACCESS, PROVIDER1, [NATIONAL]]),
        ),
        // The would-be leaker hidden in an AS_SET: its neighbours are unknown, nobody is accused.
        announce(
            VP_P2A,
            2.0,
            MINISTRY,
            json!([PROVIDER2, [ACCESS], PROVIDER1, NATIONAL]),
        ),
        announce(
            VP_P2B,
            3.0,
            MINISTRY,
            json!([PROVIDER2, [ACCESS, HIJACKER], PROVIDER1, NATIONAL]),
        ),
    ];
    let events = run("route_leak_as_sets", &lines, &with_as_rel());
    assert_eq!(kinds(&events), [pair("open", "route-leak")]);
    assert_eq!(events[0]["prefix"], CARRIER);
    assert_eq!(events[0]["offender"], ACCESS);
    assert_eq!(events[0]["origins"], json!([NATIONAL]));
    assert_eq!(
        events[0]["evidence"]["sample_paths"],
        json!([[PROVIDER2, ACCESS, PROVIDER1, [NATIONAL]]])
    );
}

fn leak_lines() -> Vec<String> {
    let leak = json!([PROVIDER2, ACCESS, PROVIDER1, NATIONAL]);
    vec![
        announce(VP_P2A, 0.0, CARRIER, leak.clone()),
        announce(VP_P2B, 1.0, CARRIER, leak),
    ]
}

#[test]
fn malformed_as_rel_lines_are_reported_with_their_numbers_and_the_rest_still_judges() {
    let dir = support::scratch("as_rel_damaged");
    let file = dir.join("as-rel.txt");
    std::fs::write(
        &file,
        "# a damaged copy\n\
         64501|64510|-1\n\
         64502|64510\n\
         64502|64510|-1|bgp\n\
         AS64501|64500|-1\n\
         64501|64502|2\n\
         64510|64501|-1\n",
    )
    .unwrap();
    let args = ["--watchlist", WATCHLIST, "--as-rel", file.to_str().unwrap()];
    let output = replay_lines("as_rel_damaged_replay", &leak_lines(), &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "skipped lines leave relationships unknown, which never accuse: the alerts stand\n{stderr}"
    );
    let f = file.display();
    for expected in [
        format!("as-rel file {f} line 3: 2 `|`-separated fields"),
        format!("as-rel file {f} line 5: `AS64501` is not an AS number"),
        format!("as-rel file {f} line 6: relationship `2` is neither -1"),
        format!("as-rel file {f} line 7: contradicts line 2"),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing `{expected}` in\n{stderr}"
        );
    }
    assert_eq!(stderr.matches("line skipped").count(), 4, "{stderr}");
    let events = support::events(&output);
    assert_eq!(kinds(&events), [pair("open", "route-leak")]);
    assert_eq!(events[0]["offender"], ACCESS);
}

#[test]
fn an_as_rel_file_that_is_missing_or_holds_no_relationship_is_a_usage_error() {
    let dir = support::scratch("as_rel_unusable");
    let empty = dir.join("not-as-rel.txt");
    std::fs::write(&empty, "# nothing\n3356 1299 0\n").unwrap();
    let missing = dir.join("missing.txt");
    for (file, message) in [
        (&empty, "holds no relationship (1 malformed lines)"),
        (&missing, "cannot open"),
    ] {
        let args = ["--watchlist", WATCHLIST, "--as-rel", file.to_str().unwrap()];
        let output = replay_lines("as_rel_unusable_replay", &leak_lines(), &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(stderr.contains(&file.display().to_string()), "{stderr}");
        assert!(output.stdout.is_empty(), "no alert without a usable file");
    }
}

#[test]
fn the_config_as_rel_key_feeds_route_leak_detection_and_an_unusable_file_is_refused() {
    let dir = support::scratch("as_rel_config");
    let config = dir.join("bgpwatch.toml");
    std::fs::write(&config, format!("as_rel = \"{AS_REL}\"\n")).unwrap();
    let args = [
        "--watchlist",
        WATCHLIST,
        "--config",
        config.to_str().unwrap(),
    ];
    let output = replay_lines("as_rel_config_replay", &leak_lines(), &args);
    assert_eq!(output.status.code(), Some(0));
    let events = support::events(&output);
    assert_eq!(kinds(&events), [pair("open", "route-leak")]);
    assert!(events[0]["evidence"]["rule"]
        .as_str()
        .unwrap()
        .contains("as-rel file fixtures/scenarios/as-rel.txt"));

    std::fs::write(&config, "as_rel = \"no/such/as-rel.txt\"\n").unwrap();
    let output = support::bgpwatch()
        .args(["check-config", "--watchlist", WATCHLIST, "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`as_rel`") && stderr.contains("no/such/as-rel.txt"),
        "{stderr}"
    );
}
