//! The writer's schedule for `store_crash.rs`: which alert events iteration `i` writes, each
//! event a pure function of (alert, lifecycle), so the parent can tell a whole row from a torn
//! one and knows the exact outbox the file must hold.

use bgpwatch::alert::{AlertEvent, AlertKind, Evidence, Lifecycle, Severity};
use bgpwatch::update::Timestamp;
use chrono::{TimeZone, Utc};

/// 2026-01-01T00:00:00Z plus `seconds`: data time of the generated alerts.
pub fn t(seconds: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
}

/// The events iteration `i` writes, in one transaction: alert `i` opens, alert `i - 3` gets an
/// update (every third alert), alert `i - 5` resolves (every second alert).
pub fn schedule(i: usize) -> Vec<(usize, Lifecycle)> {
    let mut ops = vec![(i, Lifecycle::Open)];
    if i >= 3 && (i - 3) % 3 == 0 {
        ops.push((i - 3, Lifecycle::Update));
    }
    if i >= 5 && (i - 5) % 2 == 0 {
        ops.push((i - 5, Lifecycle::Resolved));
    }
    ops
}

pub fn sinks(lifecycle: Lifecycle) -> &'static [&'static str] {
    match lifecycle {
        Lifecycle::Open | Lifecycle::Resolved => &["pagerduty", "webhook"],
        Lifecycle::Update => &["webhook"],
    }
}

pub fn alert_id(alert: usize) -> String {
    format!("alert-{alert:06}")
}

/// The one event `lifecycle` of alert `alert` can be: a pure function, so the parent can tell a
/// whole row from a torn one.
pub fn event(alert: usize, lifecycle: Lifecycle) -> AlertEvent {
    let prefix = format!("10.{}.{}.0/24", (alert / 256) % 256, alert % 256)
        .parse()
        .unwrap();
    let opened = alert as i64;
    let time = match lifecycle {
        Lifecycle::Open => opened,
        Lifecycle::Update => opened + 3,
        Lifecycle::Resolved => opened + 5,
    };
    let resolved = lifecycle == Lifecycle::Resolved;
    AlertEvent {
        event: lifecycle,
        id: alert_id(alert),
        kind: AlertKind::OriginHijack,
        severity: Severity::Critical,
        prefix: Some(prefix),
        watched_prefix: Some(prefix),
        source: None,
        origin: Some(64666),
        origins: vec![64666],
        expected_origins: vec![64500],
        offender: Some(64666),
        peers: if lifecycle == Lifecycle::Update {
            18
        } else {
            9
        },
        peak_peers: if lifecycle == Lifecycle::Open { 9 } else { 18 },
        group: Some("crash".to_string()),
        description: None,
        first_seen: t(opened),
        opened_at: t(opened),
        resolved_at: resolved.then(|| t(time)),
        withdrawn_at: resolved.then(|| t(time - 1)),
        time: t(time),
        summary: format!("{prefix} announced by AS64666 instead of AS64500 ({lifecycle:?})"),
        evidence: Evidence {
            sample_paths: Vec::new(),
            vantage_points: vec!["rrc00 192.0.2.1 AS3356".to_string()],
            rpki: "not-checked",
            rule: "origin not in origins".to_string(),
            min_peers: 3,
            resolve_after_seconds: 300,
        },
        visibility: None,
        baseline: None,
        prefixes: None,
        incident: None,
    }
}

/// Every outbox row iterations `0..n` create, in sequence order: (alert, event, sink).
pub fn expected_outbox(n: usize) -> Vec<(usize, Lifecycle, &'static str)> {
    (0..n)
        .flat_map(schedule)
        .flat_map(|(alert, lc)| sinks(lc).iter().map(move |s| (alert, lc, *s)))
        .collect()
}

/// The last event of `alert` after iterations `0..n`.
pub fn expected_last(alert: usize, n: usize) -> Lifecycle {
    // An alert's events come from iterations `alert`, `alert + 3` and `alert + 5`.
    (alert..n.min(alert + 6))
        .flat_map(schedule)
        .filter(|(a, _)| *a == alert)
        .map(|(_, lc)| lc)
        .next_back()
        .expect("the alert exists")
}

pub fn lifecycle_name(lc: Lifecycle) -> &'static str {
    match lc {
        Lifecycle::Open => "open",
        Lifecycle::Update => "update",
        Lifecycle::Resolved => "resolved",
    }
}
