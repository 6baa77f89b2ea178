//! Alerts taken back after a restart (issue 5): the engine of a new process, given the open
//! alerts of the old one, neither re-opens them when their routes are seen again nor resolves
//! them without evidence; `min_peers` vantage points showing the prefix without the offence
//! (here: withdrawals) start the usual `resolve_after`, and the all-clear keeps the alert's id.

use bgpwatch::alert::{AlertEvent, BookSettings, Lifecycle};
use bgpwatch::engine::{Engine, EngineSettings};
use bgpwatch::update::{AsPath, Change, Route, RouteUpdate, SourceItem, Timestamp, VantagePoint};
use bgpwatch::watchlist::Watchlist;
use chrono::{TimeDelta, TimeZone, Utc};
use std::path::PathBuf;
use std::sync::Arc;

/// The national AS of the scenario watchlist (its `asns:` section).
const NATIONAL_AS: u32 = 64500;
/// Outside the watched space: AS64500 announcing it is an unexpected origination.
const FOREIGN_PREFIX: &str = "192.0.0.0/24";
const HIJACKED: &str = "198.51.100.0/24";
const RESOLVE_AFTER_SECS: i64 = 60;

fn engine() -> Engine {
    let watchlist = Watchlist::load(&[PathBuf::from("fixtures/scenarios/watchlist.yaml")]).unwrap();
    let settings = EngineSettings {
        book: BookSettings {
            min_peers: 2,
            resolve_after: TimeDelta::seconds(RESOLVE_AFTER_SECS),
        },
        ..EngineSettings::default()
    };
    Engine::new(Arc::new(watchlist), settings)
}

fn at(seconds: i64) -> Timestamp {
    Utc.timestamp_opt(1_767_225_600 + seconds, 0).unwrap()
}

fn vp(n: u8) -> VantagePoint {
    VantagePoint {
        collector: "rrc00".into(),
        peer_ip: format!("198.18.0.{n}").parse().unwrap(),
        peer_asn: 3356 + u32::from(n),
    }
}

fn announce(n: u8, prefix: &str, path: &[u32], t: i64) -> SourceItem {
    SourceItem::Update(RouteUpdate {
        time: at(t),
        vantage_point: vp(n),
        prefix: prefix.parse().unwrap(),
        change: Change::Announce(Route::with_path(AsPath::from_sequence(path))),
    })
}

fn withdraw(n: u8, prefix: &str, t: i64) -> SourceItem {
    SourceItem::Update(RouteUpdate {
        time: at(t),
        vantage_point: vp(n),
        prefix: prefix.parse().unwrap(),
        change: Change::Withdraw,
    })
}

fn run(engine: &mut Engine, items: &[SourceItem]) -> Vec<AlertEvent> {
    let mut out = Vec::new();
    for item in items {
        engine.handle(item, &mut out);
    }
    engine.flush(&mut out);
    out
}

/// The first life: a hijack and an unexpected origination open, each seen by two vantage points.
fn first_life() -> Vec<AlertEvent> {
    let mut old = engine();
    let opened = run(
        &mut old,
        &[
            announce(1, HIJACKED, &[3357, 64666], 0),
            announce(2, HIJACKED, &[3358, 64666], 0),
            announce(1, FOREIGN_PREFIX, &[3357, NATIONAL_AS], 0),
            announce(2, FOREIGN_PREFIX, &[3358, NATIONAL_AS], 0),
            SourceItem::Clock(at(1)),
        ],
    );
    let kinds: Vec<&str> = opened.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(kinds.contains(&"origin-hijack") && kinds.contains(&"unexpected-origination"));
    opened
}

fn restored(open: &[AlertEvent]) -> Engine {
    let mut new = engine();
    for event in open {
        assert!(new.restore(event), "{} not restored", event.kind);
    }
    new
}

#[test]
fn without_evidence_a_restored_alert_stays_open_however_long() {
    let open = first_life();
    let mut new = restored(&open);
    let events = run(&mut new, &[SourceItem::Clock(at(24 * 3600))]);
    assert!(events.is_empty(), "resolved blindly: {events:?}");
    assert_eq!(new.alerts_open(), 2);
}

#[test]
fn seen_again_it_continues_under_its_id_and_resolves_once_the_route_is_gone() {
    let open = first_life();
    let hijack = open
        .iter()
        .find(|e| e.kind.as_str() == "origin-hijack")
        .unwrap();
    let mut new = restored(&open);
    let again = run(
        &mut new,
        &[
            announce(1, HIJACKED, &[3357, 64666], 100),
            announce(2, HIJACKED, &[3358, 64666], 100),
            announce(3, HIJACKED, &[3359, 64666], 100),
        ],
    );
    assert!(again.is_empty(), "re-opened or re-notified: {again:?}");
    let ended = run(
        &mut new,
        &[
            withdraw(1, HIJACKED, 200),
            withdraw(2, HIJACKED, 200),
            withdraw(3, HIJACKED, 200),
            SourceItem::Clock(at(200 + RESOLVE_AFTER_SECS + 1)),
        ],
    );
    let resolved: Vec<(&str, Lifecycle)> = ended.iter().map(|e| (e.id.as_str(), e.event)).collect();
    assert_eq!(resolved, [(hijack.id.as_str(), Lifecycle::Resolved)]);
}

#[test]
fn min_peers_quiet_vantage_points_resolve_a_restored_alert_even_outside_the_watched_space() {
    let open = first_life();
    let foreign = open
        .iter()
        .find(|e| e.kind.as_str() == "unexpected-origination")
        .unwrap();
    let mut new = restored(&open);
    let one = run(
        &mut new,
        &[
            withdraw(1, FOREIGN_PREFIX, 100),
            SourceItem::Clock(at(100 + 10 * RESOLVE_AFTER_SECS)),
        ],
    );
    assert!(
        one.is_empty(),
        "one vantage point is below min_peers: {one:?}"
    );
    let two = run(
        &mut new,
        &[
            withdraw(2, FOREIGN_PREFIX, 1000),
            SourceItem::Clock(at(1000 + RESOLVE_AFTER_SECS - 1)),
        ],
    );
    assert!(two.is_empty(), "resolve_after still applies: {two:?}");
    let done = run(
        &mut new,
        &[SourceItem::Clock(at(1000 + RESOLVE_AFTER_SECS))],
    );
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(
        (done[0].id.as_str(), done[0].event),
        (foreign.id.as_str(), Lifecycle::Resolved)
    );
}
