//! The alert event the sinks' unit tests encode (the DESIGN.md section 7 example).

use crate::alert::{AlertEvent, AlertKind, Evidence, Lifecycle, SamplePath, Severity};
use crate::update::PathHop;
use chrono::{TimeZone, Utc};

/// An `open` origin hijack: 198.51.100.0/24 announced by AS64666 instead of AS64500.
pub fn sample_event() -> AlertEvent {
    let at = |h, m, s| Utc.with_ymd_and_hms(2026, 1, 1, h, m, s).unwrap();
    AlertEvent {
        event: Lifecycle::Open,
        id: "3f2a9c0d1e4b5a68".into(),
        kind: AlertKind::OriginHijack,
        severity: Severity::Critical,
        prefix: Some("198.51.100.0/24".parse().unwrap()),
        watched_prefix: Some("198.51.100.0/24".parse().unwrap()),
        source: None,
        origin: Some(64666),
        origins: vec![64666],
        expected_origins: vec![64500],
        offender: Some(64666),
        peers: 9,
        peak_peers: 9,
        group: Some("pk-gov".into()),
        description: Some("Government network".into()),
        first_seen: at(7, 18, 30),
        opened_at: at(7, 18, 42),
        resolved_at: None,
        withdrawn_at: None,
        time: at(7, 18, 42),
        summary:
            "198.51.100.0/24 announced by AS64666 instead of AS64500, seen by 9 vantage points"
                .into(),
        evidence: Evidence {
            sample_paths: vec![SamplePath(vec![PathHop::Asn(3356), PathHop::Asn(64666)])],
            vantage_points: vec!["rrc00 192.0.2.1 AS3356".into()],
            rpki: "invalid",
            rule: "origin not in [64500]".into(),
            min_peers: 3,
            resolve_after_seconds: 900,
        },
        visibility: None,
        baseline: None,
        prefixes: None,
        incident: None,
    }
}

/// The same alert, resolved at 08:00:00.
pub fn sample_resolved() -> AlertEvent {
    let mut event = sample_event();
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
    event.event = Lifecycle::Resolved;
    event.peers = 0;
    event.resolved_at = Some(at);
    event.withdrawn_at = Some(Utc.with_ymd_and_hms(2026, 1, 1, 7, 45, 0).unwrap());
    event.time = at;
    event
}
