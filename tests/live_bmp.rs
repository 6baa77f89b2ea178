//! `bgpwatch run` as a BMP station for real routers: Debian's gobgpd (the reference BMP sender)
//! peered over loopback, routes injected with the gobgp CLI. FRR's `bgpd -M bmp` (a quirky
//! sender) is in `live_bmp_frr.rs`, hostile BMP clients beside a good router in
//! `live_bmp_hostile.rs`, the lab they share in `support/bmp_lab.rs`.
//!
//! Each test runs its BGP speakers on its own 127.0.N.x addresses (N = 1 gobgpd pair, 2 session
//! reset, 3 FRR, 4 hostile clients), picks free ports for BGP, the gobgp API and the station, and
//! kills every daemon it started (guards with `Drop`), so the tests run in parallel.
//! Loopback pitfalls (LAB.md section 1.1): every speaker rewrites the next hop of what it exports
//! to 192.0.2.x (gobgpd and FRR reject 127/8 next hops); gobgpd needs `local-address-list`;
//! `--pprof-disable` keeps parallel gobgpds off the shared default pprof port.

#[path = "support/bmp_lab.rs"]
mod bmp_lab;
#[path = "support/gobgpd.rs"]
mod gobgpd;
#[path = "support/monitor.rs"]
mod monitor;
mod support;

use bmp_lab::*;
use gobgpd::wait_until;
use monitor::{free_port, Monitor};
use std::time::{Duration, Instant};

#[test]
fn gobgpd_hijack_alerts_like_replay_and_resolves_when_withdrawn() {
    if !gobgp_installed() {
        return;
    }
    let started = Instant::now();
    let bmp = free_port();
    let m = Monitor::start_with("live_bmp_gobgpd", RESOLVE_FAST, &bmp_source(bmp));
    let (a, b) = gobgpd_pair(&m.dir, 1, bmp);
    wait_for_pair(&m, &a, &b);
    let established = started.elapsed();

    let injected = Instant::now();
    for router in [&a, &b] {
        router.announce(WATCHED, &[HIJACKER]);
    }
    wait_until(
        "an origin-hijack alert",
        PROPAGATE,
        || !events_for(&m, "open", "origin-hijack", WATCHED).is_empty(),
        || pair_logs(&m, &a, &b),
    );
    let detected = injected.elapsed();
    let live = events_for(&m, "open", "origin-hijack", WATCHED).remove(0);
    assert_eq!(live["origin"], HIJACKER, "{live}");
    assert_eq!(live["offender"], HIJACKER, "{live}");
    assert_eq!(live["peers"], 2, "one vantage point per router: {live}");

    // A reports B (and B reports A) as a monitored peer, with the path as received over eBGP.
    // The same announcements as RIS Live lines, through replay, give the same alert.
    let router = "bmp 127.0.0.1";
    let lines = [
        ris_line(router, &b.address, b.asn, &[b.asn, HIJACKER], 1.7e9),
        ris_line(router, &a.address, a.asn, &[a.asn, HIJACKER], 1.7e9 + 1.0),
    ];
    let file = m.dir.join("twin.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let replayed = support::events(&support::replay(&[
        "--watchlist",
        "fixtures/scenarios/watchlist.yaml",
        file.to_str().unwrap(),
    ]));
    assert_eq!(replayed.len(), 1, "{replayed:?}");
    let twin = &replayed[0];
    let fields = [
        "event",
        "kind",
        "severity",
        "prefix",
        "watched_prefix",
        "origin",
        "origins",
        "offender",
        "expected_origins",
        "peers",
        "group",
        "description",
    ];
    for field in fields {
        assert_eq!(
            live[field], twin[field],
            "field {field}\nlive: {live}\nreplay: {twin}"
        );
    }
    for evidence in ["sample_paths", "vantage_points"] {
        assert_eq!(
            as_set(&live["evidence"][evidence]),
            as_set(&twin["evidence"][evidence]),
            "evidence.{evidence}"
        );
    }

    // Withdrawn on both: resolved 2 s later, and nothing else was ever raised.
    let withdrawn = Instant::now();
    for router in [&a, &b] {
        router.withdraw(WATCHED);
    }
    wait_until(
        "the hijack to resolve",
        PROPAGATE,
        || !events_for(&m, "resolved", "origin-hijack", WATCHED).is_empty(),
        || pair_logs(&m, &a, &b),
    );
    let resolved_after = withdrawn.elapsed();
    let events = m.events();
    assert_eq!(events.len(), 2, "one open, one resolved: {events:?}");
    let resolved = &events[1];
    assert_eq!(resolved["event"], "resolved");
    assert_eq!(resolved["id"], live["id"]);
    assert_eq!(resolved["peers"], 0, "{resolved}");
    assert_eq!(resolved["evidence"]["resolve_after_seconds"], 2);
    assert!(
        resolved_after >= Duration::from_secs(2),
        "resolved {resolved_after:?} after the withdrawal"
    );
    assert!(metric(&m, ANNOUNCEMENTS) >= 2.0 && metric(&m, WITHDRAWALS) >= 2.0);
    eprintln!(
        "gobgpd pair: established + Peer Up after {established:?}, hijack alert {detected:?} \
         after injection, resolved {resolved_after:?} after withdrawal, {:?} in all",
        started.elapsed()
    );
    drop((a, b));
    assert_eq!(m.terminate(), Some(0), "clean exit on SIGTERM");
}

// ---------------------------------------------------------------------------------------------
// 2. A session reset (a router restarts) raises nothing

#[test]
fn a_session_reset_raises_no_alert() {
    if !gobgp_installed() {
        return;
    }
    let started = Instant::now();
    let bmp = free_port();
    let m = Monitor::start("live_bmp_reset", &bmp_source(bmp));
    let (a, mut b) = gobgpd_pair(&m.dir, 2, bmp);
    wait_for_pair(&m, &a, &b);
    for router in [&a, &b] {
        router.announce(WATCHED, &[LEGITIMATE]);
        router.announce(CARRIER, &[LEGITIMATE]);
    }
    wait_until(
        "the legitimate routes at both vantage points",
        PROPAGATE,
        || metric(&m, ANNOUNCEMENTS) >= 4.0,
        || pair_logs(&m, &a, &b),
    );
    let peer_events = metric(&m, PEER_EVENTS);
    let announcements = metric(&m, ANNOUNCEMENTS);

    // B shuts down (Cease to A, its BMP session closes) and comes back with an empty RIB; its
    // routes are originated again once the session is back.
    let reset = Instant::now();
    b.restart();
    wait_until(
        "the A-B session to come back",
        ESTABLISH,
        || a.established_with(&b.address) && b.established_with(&a.address),
        || pair_logs(&m, &a, &b),
    );
    let back = reset.elapsed();
    b.announce(WATCHED, &[LEGITIMATE]);
    b.announce(CARRIER, &[LEGITIMATE]);
    // Peer Down and Peer Up from A's BMP; B's closed BMP session takes its peer down, its new one
    // brings it up: four peer events. Four announcements: both prefixes at both vantage points.
    wait_until(
        "Peer Down/Peer Up and the routes again",
        PROPAGATE,
        || {
            metric(&m, PEER_EVENTS) >= peer_events + 4.0
                && metric(&m, ANNOUNCEMENTS) >= announcements + 4.0
        },
        || pair_logs(&m, &a, &b),
    );
    // Metrics are counted as a batch enters detection, alerts leave with that same batch; one
    // more detection tick (1 s) settles anything pending.
    let settled = Instant::now();
    wait_until(
        "a detection tick with both vantage points up",
        PROPAGATE,
        || settled.elapsed() > Duration::from_millis(1500) && metric(&m, VANTAGE_POINTS_UP) == 2.0,
        || pair_logs(&m, &a, &b),
    );
    let events = m.events();
    assert!(events.is_empty(), "a session reset raised {events:?}");
    let after_reset = metric(&m, PEER_EVENTS);

    // Both vantage points are tracked again: a real hijack now is seen by both.
    for router in [&a, &b] {
        router.announce(WATCHED, &[HIJACKER]);
    }
    wait_until(
        "a hijack after the reset",
        PROPAGATE,
        || !events_for(&m, "open", "origin-hijack", WATCHED).is_empty(),
        || pair_logs(&m, &a, &b),
    );
    let live = events_for(&m, "open", "origin-hijack", WATCHED).remove(0);
    assert_eq!(live["peers"], 2, "{live}");
    assert_eq!(m.events().len(), 1, "{:?}", m.events());
    eprintln!(
        "session reset: peer events {peer_events} -> {after_reset}, session back {back:?} \
         after the restart, {:?} in all",
        started.elapsed()
    );
    drop((a, b));
    assert_eq!(m.terminate(), Some(0), "clean exit on SIGTERM");
}

// ---------------------------------------------------------------------------------------------
// 3. FRR as a second, quirky sender
