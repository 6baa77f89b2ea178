//! Alerts about bgpwatch's own eyes: a feed that went silent or disconnected (`feed-stalled`)
//! and updates dropped under overload (`updates-dropped`). Same event shape as routing alerts,
//! with `source` set and no prefix.

use super::event::{AlertEvent, Evidence, Lifecycle};
use super::{AlertKind, Severity};
use crate::update::Timestamp;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
struct OpenFeedAlert {
    id: String,
    first_seen: Timestamp,
    opened_at: Timestamp,
    detail: String,
    count: u64,
}

/// Open feed alerts, keyed by (kind, source name).
#[derive(Debug, Default)]
pub struct FeedAlerts {
    open: BTreeMap<(AlertKind, String), OpenFeedAlert>,
}

impl FeedAlerts {
    /// `source` has been silent or disconnected since `since`: opens `feed-stalled` once.
    pub fn stalled(
        &mut self,
        source: &str,
        since: Timestamp,
        detail: String,
        now: Timestamp,
        out: &mut Vec<AlertEvent>,
    ) {
        self.open_once(AlertKind::FeedStalled, source, since, detail, now, out);
    }

    /// `source` delivers data again: resolves its `feed-stalled`.
    pub fn recovered(&mut self, source: &str, now: Timestamp, out: &mut Vec<AlertEvent>) {
        self.resolve(AlertKind::FeedStalled, source, now, out);
    }

    /// `count` updates from `source` were dropped: opens `updates-dropped`, or counts into it.
    pub fn dropped(&mut self, source: &str, count: u64, now: Timestamp, out: &mut Vec<AlertEvent>) {
        let key = (AlertKind::UpdatesDropped, source.to_string());
        if let Some(open) = self.open.get_mut(&key) {
            open.count += count;
            return;
        }
        let detail = format!("detection could not keep up; {count} updates dropped");
        self.open_once(AlertKind::UpdatesDropped, source, now, detail, now, out);
        if let Some(open) = self.open.get_mut(&key) {
            open.count = count;
        }
    }

    /// No drops from `source` any more: resolves its `updates-dropped`.
    pub fn drops_ended(&mut self, source: &str, now: Timestamp, out: &mut Vec<AlertEvent>) {
        self.resolve(AlertKind::UpdatesDropped, source, now, out);
    }

    /// Takes back a feed alert that was open when the service stopped; the feed's state after
    /// the restart resolves it (or keeps it open) under the same id. `false` for other kinds.
    pub fn restore(&mut self, event: &AlertEvent) -> bool {
        let (AlertKind::FeedStalled | AlertKind::UpdatesDropped, Some(source)) =
            (event.kind, event.source.as_ref())
        else {
            return false;
        };
        self.open.insert(
            (event.kind, source.clone()),
            OpenFeedAlert {
                id: event.id.clone(),
                first_seen: event.first_seen,
                opened_at: event.opened_at,
                detail: event.evidence.rule.clone(),
                count: 0,
            },
        );
        true
    }

    /// Whether that alert is open.
    pub fn is_open(&self, kind: AlertKind, source: &str) -> bool {
        self.open.contains_key(&(kind, source.to_string()))
    }

    fn open_once(
        &mut self,
        kind: AlertKind,
        source: &str,
        since: Timestamp,
        detail: String,
        now: Timestamp,
        out: &mut Vec<AlertEvent>,
    ) {
        let key = (kind, source.to_string());
        if self.open.contains_key(&key) {
            return;
        }
        let mut hash = Sha256::new();
        hash.update(format!("{kind}|{source}|{}", since.timestamp_micros()).as_bytes());
        let id = hash.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let alert = OpenFeedAlert {
            id,
            first_seen: since,
            opened_at: now,
            detail,
            count: 0,
        };
        out.push(event(kind, source, &alert, Lifecycle::Open, now));
        self.open.insert(key, alert);
    }

    fn resolve(
        &mut self,
        kind: AlertKind,
        source: &str,
        now: Timestamp,
        out: &mut Vec<AlertEvent>,
    ) {
        if let Some(alert) = self.open.remove(&(kind, source.to_string())) {
            out.push(event(kind, source, &alert, Lifecycle::Resolved, now));
        }
    }
}

fn event(
    kind: AlertKind,
    source: &str,
    alert: &OpenFeedAlert,
    lifecycle: Lifecycle,
    now: Timestamp,
) -> AlertEvent {
    let resolved = lifecycle == Lifecycle::Resolved;
    let summary = match (kind, resolved) {
        (AlertKind::FeedStalled, false) => format!("feed {source} stalled: {}", alert.detail),
        (AlertKind::FeedStalled, true) => format!("resolved: feed {source} delivers data again"),
        (_, false) => format!("feed {source}: {}", alert.detail),
        (_, true) => format!(
            "resolved: feed {source} no longer drops updates ({} dropped in all)",
            alert.count
        ),
    };
    AlertEvent {
        event: lifecycle,
        id: alert.id.clone(),
        kind,
        severity: Severity::Critical,
        prefix: None,
        watched_prefix: None,
        source: Some(source.to_string()),
        origin: None,
        origins: Vec::new(),
        expected_origins: Vec::new(),
        offender: None,
        peers: 0,
        peak_peers: 0,
        group: None,
        description: None,
        first_seen: alert.first_seen,
        opened_at: alert.opened_at,
        resolved_at: resolved.then_some(now),
        withdrawn_at: None,
        time: now,
        summary,
        evidence: Evidence {
            sample_paths: Vec::new(),
            vantage_points: Vec::new(),
            rpki: "not-checked",
            rule: alert.detail.clone(),
            min_peers: 0,
            resolve_after_seconds: 0,
        },
        visibility: None,
        baseline: None,
        prefixes: None,
        incident: None,
    }
}
