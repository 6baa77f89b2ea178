//! Stored event JSON back into an [`AlertEvent`].
//!
//! `AlertEvent` only serializes (its JSON is the sink contract, DESIGN.md section 7); this file
//! mirrors the shape for reading so `alert/` keeps a single definition. A field added to
//! `AlertEvent` must be added here too: the struct literal in `into_event` does not compile
//! until it is, and the round-trip test in `alerts_tests.rs` checks the values.

use crate::alert::{AlertEvent, AlertKind, Evidence, Lifecycle, SamplePath, Severity};
use crate::update::{Asn, PathHop, Timestamp};
use ipnet::IpNet;
use serde::Deserialize;

/// Parses the JSON that [`AlertEvent`]'s `Serialize` wrote.
pub fn event_from_json(json: &str) -> Result<AlertEvent, String> {
    let raw: RawEvent = serde_json::from_str(json).map_err(|e| e.to_string())?;
    raw.into_event()
}

/// `Lifecycle` from its JSON name.
pub fn lifecycle_from_str(text: &str) -> Option<Lifecycle> {
    match text {
        "open" => Some(Lifecycle::Open),
        "update" => Some(Lifecycle::Update),
        "resolved" => Some(Lifecycle::Resolved),
        _ => None,
    }
}

/// The JSON name of a `Lifecycle`.
pub fn lifecycle_str(lifecycle: Lifecycle) -> &'static str {
    match lifecycle {
        Lifecycle::Open => "open",
        Lifecycle::Update => "update",
        Lifecycle::Resolved => "resolved",
    }
}

/// `Evidence::rpki` is a `&'static str`: the RFC 6811 states and `not-checked`.
fn rpki_state(text: &str) -> Option<&'static str> {
    ["valid", "invalid", "not-found", "not-checked"]
        .into_iter()
        .find(|known| *known == text)
}

#[derive(Deserialize)]
struct RawEvent {
    event: String,
    id: String,
    kind: AlertKind,
    severity: Severity,
    prefix: Option<IpNet>,
    watched_prefix: Option<IpNet>,
    #[serde(default)]
    source: Option<String>,
    origin: Option<Asn>,
    origins: Vec<Asn>,
    expected_origins: Vec<Asn>,
    offender: Option<Asn>,
    peers: usize,
    peak_peers: usize,
    group: Option<String>,
    description: Option<String>,
    first_seen: Timestamp,
    opened_at: Timestamp,
    resolved_at: Option<Timestamp>,
    withdrawn_at: Option<Timestamp>,
    time: Timestamp,
    summary: String,
    evidence: RawEvidence,
    #[serde(default)]
    visibility: Option<f64>,
    #[serde(default)]
    baseline: Option<usize>,
    #[serde(default)]
    prefixes: Option<Vec<IpNet>>,
    #[serde(default)]
    incident: Option<String>,
}

#[derive(Deserialize)]
struct RawEvidence {
    sample_paths: Vec<Vec<RawHop>>,
    vantage_points: Vec<String>,
    rpki: String,
    rule: String,
    min_peers: usize,
    resolve_after_seconds: u64,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawHop {
    Asn(Asn),
    Set(Vec<Asn>),
}

impl RawEvent {
    fn into_event(self) -> Result<AlertEvent, String> {
        let event = lifecycle_from_str(&self.event)
            .ok_or_else(|| format!("unknown event {:?}", self.event))?;
        let rpki = rpki_state(&self.evidence.rpki)
            .ok_or_else(|| format!("unknown RPKI state {:?}", self.evidence.rpki))?;
        let sample_paths = self
            .evidence
            .sample_paths
            .into_iter()
            .map(|path| {
                SamplePath(
                    path.into_iter()
                        .map(|hop| match hop {
                            RawHop::Asn(asn) => PathHop::Asn(asn),
                            RawHop::Set(set) => PathHop::Set(set.into_boxed_slice()),
                        })
                        .collect(),
                )
            })
            .collect();
        Ok(AlertEvent {
            event,
            id: self.id,
            kind: self.kind,
            severity: self.severity,
            prefix: self.prefix,
            watched_prefix: self.watched_prefix,
            source: self.source,
            origin: self.origin,
            origins: self.origins,
            expected_origins: self.expected_origins,
            offender: self.offender,
            peers: self.peers,
            peak_peers: self.peak_peers,
            group: self.group,
            description: self.description,
            first_seen: self.first_seen,
            opened_at: self.opened_at,
            resolved_at: self.resolved_at,
            withdrawn_at: self.withdrawn_at,
            time: self.time,
            summary: self.summary,
            evidence: Evidence {
                sample_paths,
                vantage_points: self.evidence.vantage_points,
                rpki,
                rule: self.evidence.rule,
                min_peers: self.evidence.min_peers,
                resolve_after_seconds: self.evidence.resolve_after_seconds,
            },
            visibility: self.visibility,
            baseline: self.baseline,
            prefixes: self.prefixes,
            incident: self.incident,
        })
    }
}
