//! Alert events for the store's unit tests.

use crate::alert::{AlertEvent, AlertKind, Evidence, Lifecycle, SamplePath, Severity};
use crate::update::{PathHop, Timestamp};
use chrono::{TimeZone, Utc};

/// 2026-01-01T07:18:30Z plus `seconds`.
pub fn t(seconds: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 7, 18, 30).unwrap() + chrono::Duration::seconds(seconds)
}

/// An origin hijack of `prefix` by AS64666, as the book would emit it at `t(at)`.
pub fn hijack(id: &str, prefix: &str, lifecycle: Lifecycle, at: i64) -> AlertEvent {
    let prefix = prefix.parse().unwrap();
    AlertEvent {
        event: lifecycle,
        id: id.to_string(),
        kind: AlertKind::OriginHijack,
        severity: Severity::Critical,
        prefix: Some(prefix),
        watched_prefix: Some(prefix),
        source: None,
        origin: Some(64666),
        origins: vec![64666],
        expected_origins: vec![64500],
        offender: Some(64666),
        peers: 9,
        peak_peers: 9,
        group: Some("pk-gov".to_string()),
        description: Some("ministry".to_string()),
        first_seen: t(0),
        opened_at: t(12),
        resolved_at: (lifecycle == Lifecycle::Resolved).then(|| t(at)),
        withdrawn_at: (lifecycle == Lifecycle::Resolved).then(|| t(at - 1)),
        time: t(at),
        summary: format!("{prefix} announced by AS64666 instead of AS64500"),
        evidence: Evidence {
            sample_paths: vec![SamplePath(vec![
                PathHop::Asn(3356),
                PathHop::Set(vec![64666, 64667].into_boxed_slice()),
            ])],
            vantage_points: vec!["rrc00 192.0.2.1 AS3356".to_string()],
            rpki: "invalid",
            rule: "origin not in origins".to_string(),
            min_peers: 3,
            resolve_after_seconds: 300,
        },
        visibility: Some(0.25),
        baseline: Some(12),
        prefixes: None,
        incident: None,
    }
}

/// A fresh, empty directory for one test's files (removed by [`Scratch`]'s drop).
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    /// `<tmp>/bgpwatch-store-<name>-<pid>`, emptied.
    pub fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("bgpwatch-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A path inside the directory.
    pub fn file(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
