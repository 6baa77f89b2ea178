//! Alert events as sinks receive them; the JSON shape is the contract of DESIGN.md section 7.

use super::{AlertKind, Severity};
use crate::update::{Asn, PathHop, Timestamp};
use chrono::SecondsFormat;
use ipnet::IpNet;
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    /// First notification: enough vantage points carry the offending route.
    Open,
    /// Severity changed, or the number of vantage points doubled since the last notification.
    Update,
    /// No vantage point has carried it for `resolve_after`.
    Resolved,
}

/// One notification about one alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvent {
    /// `open`, `update` or `resolved`.
    pub event: Lifecycle,
    /// Stable id of this alert episode (the same in open, update and resolved).
    pub id: String,
    /// What kind of anomaly.
    pub kind: AlertKind,
    /// How urgently it pages.
    pub severity: Severity,
    /// The prefix announced (none for feed alerts).
    pub prefix: Option<IpNet>,
    /// The watch entry it violates (none for feed alerts).
    pub watched_prefix: Option<IpNet>,
    /// The feed a feed alert is about (`ris-live`, `bmp`, ...); absent on routing alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The origin AS of the offending route (the offending member of an AS_SET).
    pub origin: Option<Asn>,
    /// Every origin AS of the offending route (more than one for an AS_SET).
    pub origins: Vec<Asn>,
    /// The ASes the watchlist allows to originate `watched_prefix`.
    pub expected_origins: Vec<Asn>,
    /// The AS at fault.
    pub offender: Option<Asn>,
    /// Vantage points carrying the offending route now.
    pub peers: usize,
    /// The most vantage points that carried it during this alert.
    pub peak_peers: usize,
    /// Paging group of the watch entry.
    pub group: Option<String>,
    /// Description of the watch entry.
    pub description: Option<String>,
    /// When the first vantage point carried it.
    #[serde(serialize_with = "rfc3339")]
    pub first_seen: Timestamp,
    /// When it crossed `min_peers` and opened.
    #[serde(serialize_with = "rfc3339")]
    pub opened_at: Timestamp,
    /// When it resolved (only on `resolved`).
    #[serde(serialize_with = "rfc3339_opt")]
    pub resolved_at: Option<Timestamp>,
    /// When the last vantage point stopped carrying it (only on `resolved`).
    #[serde(serialize_with = "rfc3339_opt")]
    pub withdrawn_at: Option<Timestamp>,
    /// When this event was emitted (data time in replay).
    #[serde(serialize_with = "rfc3339")]
    pub time: Timestamp,
    /// One line for a human.
    pub summary: String,
    /// Why it fired.
    pub evidence: Evidence,
    /// Visibility kinds: vantage points reaching the prefix ÷ its baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<f64>,
    /// Visibility kinds: vantage points in the baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<usize>,
    /// `mass-withdrawal`: the prefixes of the incident.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefixes: Option<Vec<IpNet>>,
    /// The `mass-withdrawal` incident this alert belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

/// Why an alert fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Up to five distinct AS paths of the offending route seen during this alert, leftmost hop
    /// first; an AS_SET is a nested list.
    pub sample_paths: Vec<SamplePath>,
    /// Up to ten vantage points that carried it during this alert (`collector peer_ip ASn`).
    pub vantage_points: Vec<String>,
    /// RPKI origin-validation state: `not-checked` until VRPs are configured.
    pub rpki: &'static str,
    /// The rule that matched, in words.
    pub rule: String,
    /// The `min_peers` threshold in force.
    pub min_peers: usize,
    /// The `resolve_after` delay in force, seconds.
    pub resolve_after_seconds: u64,
}

/// An AS path rendered as JSON: numbers, with an AS_SET as a nested list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplePath(pub Vec<PathHop>);

impl Serialize for SamplePath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for hop in &self.0 {
            match hop {
                PathHop::Asn(asn) => seq.serialize_element(asn)?,
                PathHop::Set(set) => seq.serialize_element(&**set)?,
            }
        }
        seq.end()
    }
}

/// Formats a time as RFC 3339 UTC with a `Z`, fractions only when present.
pub fn format_time(time: &Timestamp) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn rfc3339<S: Serializer>(time: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(time))
}

fn rfc3339_opt<S: Serializer>(time: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match time {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}
