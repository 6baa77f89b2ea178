//! Alert events as Alertmanager's `postableAlerts` (pure: the clock is a parameter).

use crate::alert::{format_time, AlertEvent, AlertKind, Lifecycle, SamplePath, Severity};
use crate::update::{PathHop, Timestamp};
use chrono::TimeDelta;
use serde::Serialize;
use std::collections::BTreeMap;

/// At most this many prefixes of a `mass-withdrawal` are listed in its `prefixes` annotation.
pub const MAX_LISTED_PREFIXES: usize = 10;

/// One alert as `POST /api/v2/alerts` takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostableAlert {
    /// Identity and routing keys.
    pub labels: BTreeMap<&'static str, String>,
    /// Information for people.
    pub annotations: BTreeMap<&'static str, String>,
    /// When the alert opened.
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    /// When Alertmanager ends it: a little ahead while open, now when resolved.
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    /// Link back to bgpwatch, when configured.
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
}

/// What every encoded alert shares.
#[derive(Debug, Clone, Copy)]
pub struct Encoding<'a> {
    /// How far ahead of now an open alert's `endsAt` is put.
    pub expire_after: TimeDelta,
    /// The `generatorURL`, if any.
    pub generator_url: Option<&'a str>,
}

impl Encoding<'_> {
    /// The body that delivers `event` at `now`: the alert, active (`open`, `update`) or ended
    /// (`resolved`). An `update` also ends the alert's copies under the other severities and
    /// the kind it escalated from: kind and severity are labels, so a change makes a new
    /// Alertmanager alert, and the old one must not linger until it expires.
    pub fn event(&self, event: &AlertEvent, now: Timestamp) -> Vec<PostableAlert> {
        let mut body = vec![self.alert(event, now)];
        if event.event == Lifecycle::Update {
            let kinds = std::iter::once(event.kind).chain(event.kind.escalated_from());
            for kind in kinds {
                for severity in [Severity::Critical, Severity::Warning, Severity::Info] {
                    if (kind, severity) != (event.kind, event.severity) {
                        let mut stale = self.ended(event, now);
                        stale.labels.insert("alertname", alertname(kind));
                        stale.labels.insert("kind", kind.to_string());
                        stale.labels.insert("severity", severity.to_string());
                        body.push(stale);
                    }
                }
            }
        }
        body
    }

    /// The every-minute re-post of the open alerts: each active again until `now` +
    /// `expire_after`.
    pub fn repost(&self, open: &[AlertEvent], now: Timestamp) -> Vec<PostableAlert> {
        open.iter().map(|event| self.alert(event, now)).collect()
    }

    fn alert(&self, event: &AlertEvent, now: Timestamp) -> PostableAlert {
        match event.event {
            Lifecycle::Open | Lifecycle::Update => {
                self.postable(event, (now + self.expire_after).max(event.opened_at))
            }
            Lifecycle::Resolved => self.ended(event, now),
        }
    }

    /// Ended at the resolution time (the event's time for an `update`), but never in the future (it must end now) nor before it
    /// started (Alertmanager refuses that).
    fn ended(&self, event: &AlertEvent, now: Timestamp) -> PostableAlert {
        let resolved = event.resolved_at.unwrap_or(event.time);
        self.postable(event, resolved.min(now).max(event.opened_at))
    }

    fn postable(&self, event: &AlertEvent, ends_at: Timestamp) -> PostableAlert {
        PostableAlert {
            labels: labels(event),
            annotations: annotations(event),
            starts_at: format_time(&event.opened_at),
            ends_at: format_time(&ends_at),
            generator_url: self.generator_url.map(str::to_string),
        }
    }
}

/// `Bgpwatch` + the kind in CamelCase: `BgpwatchOriginHijack`.
pub fn alertname(kind: AlertKind) -> String {
    let mut name = String::from("Bgpwatch");
    for word in kind.as_str().split('-') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

/// `alertname`, `kind`, `severity`, `prefix`, `origin`, `group`, `alert_id`, `incident` (route
/// alerts of one offender; `group_by: [incident]` gives one notification per incident) and,
/// for feed alerts, `source`; absent values are left out (Alertmanager treats empty labels as absent).
pub fn labels(event: &AlertEvent) -> BTreeMap<&'static str, String> {
    let mut labels = BTreeMap::new();
    labels.insert("alertname", alertname(event.kind));
    labels.insert("alert_id", event.id.clone());
    labels.insert("kind", event.kind.to_string());
    labels.insert("severity", event.severity.to_string());
    let optional = [
        ("prefix", event.prefix.map(|p| p.to_string())),
        ("origin", event.origin.map(|asn| asn.to_string())),
        ("group", event.group.clone()),
        ("source", event.source.clone()),
        ("incident", event.incident.clone()),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            labels.insert(name, value);
        }
    }
    labels
}

/// The summary and the evidence, as text.
pub fn annotations(event: &AlertEvent) -> BTreeMap<&'static str, String> {
    let asns = |list: &[u32]| {
        list.iter()
            .map(|asn| format!("AS{asn}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut notes = BTreeMap::new();
    notes.insert("summary", event.summary.clone());
    notes.insert("rule", event.evidence.rule.clone());
    notes.insert("rpki", event.evidence.rpki.to_string());
    notes.insert("peers", event.peers.to_string());
    notes.insert("first_seen", format_time(&event.first_seen));
    let optional = [
        ("description", event.description.clone()),
        (
            "watched_prefix",
            event.watched_prefix.map(|p| p.to_string()),
        ),
        ("offender", event.offender.map(|asn| format!("AS{asn}"))),
        (
            "expected_origins",
            Some(asns(&event.expected_origins)).filter(|s| !s.is_empty()),
        ),
        (
            "sample_path",
            event.evidence.sample_paths.first().map(path_text),
        ),
        ("visibility", event.visibility.map(|v| format!("{v:.2}"))),
        ("baseline", event.baseline.map(|b| b.to_string())),
        ("incident", event.incident.clone()),
        ("prefixes", event.prefixes.as_deref().map(prefix_list)),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            notes.insert(name, value);
        }
    }
    notes
}

/// `3356 {64496,64497}`: an AS_SET in braces.
fn path_text(path: &SamplePath) -> String {
    path.0
        .iter()
        .map(|hop| match hop {
            PathHop::Asn(asn) => asn.to_string(),
            PathHop::Set(set) => {
                let members: Vec<String> = set.iter().map(u32::to_string).collect();
                format!("{{{}}}", members.join(","))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn prefix_list(prefixes: &[ipnet::IpNet]) -> String {
    let listed: Vec<String> = prefixes
        .iter()
        .take(MAX_LISTED_PREFIXES)
        .map(|p| p.to_string())
        .collect();
    if prefixes.len() > MAX_LISTED_PREFIXES {
        format!("{} ... ({} in all)", listed.join(" "), prefixes.len())
    } else {
        listed.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::testing::{sample_event, sample_resolved};
    use chrono::{TimeZone, Utc};
    use serde_json::{json, Value};

    const ENCODING: Encoding<'static> = Encoding {
        expire_after: TimeDelta::seconds(300),
        generator_url: Some("http://bgpwatch.example:9324/api/v1/alerts"),
    };

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 1, 1, 7, 19, 0).unwrap()
    }

    fn golden_open() -> Value {
        json!([{
            "labels": {
                "alertname": "BgpwatchOriginHijack",
                "alert_id": "3f2a9c0d1e4b5a68",
                "kind": "origin-hijack",
                "severity": "critical",
                "prefix": "198.51.100.0/24",
                "origin": "64666",
                "group": "pk-gov"
            },
            "annotations": {
                "summary": "198.51.100.0/24 announced by AS64666 instead of AS64500, seen by 9 vantage points",
                "description": "Government network",
                "rule": "origin not in [64500]",
                "rpki": "invalid",
                "peers": "9",
                "first_seen": "2026-01-01T07:18:30Z",
                "watched_prefix": "198.51.100.0/24",
                "offender": "AS64666",
                "expected_origins": "AS64500",
                "sample_path": "3356 64666"
            },
            "startsAt": "2026-01-01T07:18:42Z",
            "endsAt": "2026-01-01T07:24:00Z",
            "generatorURL": "http://bgpwatch.example:9324/api/v1/alerts"
        }])
    }

    #[test]
    fn open_alert_matches_golden_body_and_ends_expire_after_from_now() {
        let body = serde_json::to_value(ENCODING.event(&sample_event(), now())).unwrap();
        assert_eq!(body, golden_open());
    }

    #[test]
    fn resolved_alert_ends_at_its_resolution_time() {
        let later = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        let body = ENCODING.event(&sample_resolved(), later);
        assert_eq!(body.len(), 1);
        assert_eq!(body[0].ends_at, "2026-01-01T08:00:00Z");
        assert_eq!(
            body[0].labels,
            labels(&sample_event()),
            "same labels: same alert"
        );
    }

    #[test]
    fn resolution_stamped_in_the_future_ends_now() {
        let before = Utc.with_ymd_and_hms(2026, 1, 1, 7, 50, 0).unwrap();
        assert_eq!(
            ENCODING.event(&sample_resolved(), before)[0].ends_at,
            "2026-01-01T07:50:00Z"
        );
    }

    #[test]
    fn update_with_new_severity_ends_the_other_severities_at_the_update() {
        let mut event = sample_event();
        event.event = Lifecycle::Update;
        event.severity = Severity::Warning;
        let body = ENCODING.event(&event, now());
        let severities: Vec<(&str, &str)> = body
            .iter()
            .map(|a| (a.labels["severity"].as_str(), a.ends_at.as_str()))
            .collect();
        assert_eq!(
            severities,
            [
                ("warning", "2026-01-01T07:24:00Z"),
                ("critical", "2026-01-01T07:18:42Z"),
                ("info", "2026-01-01T07:18:42Z"),
            ]
        );
    }

    #[test]
    fn escalation_to_withdrawal_ends_the_visibility_loss_alert_at_the_update() {
        let mut event = sample_event();
        event.event = Lifecycle::Update;
        event.kind = AlertKind::Withdrawal;
        event.severity = Severity::Critical;
        let body = ENCODING.event(&event, now());
        let copies: Vec<(&str, &str, &str, &str)> = body
            .iter()
            .map(|a| {
                let l = &a.labels;
                (
                    l["alertname"].as_str(),
                    l["kind"].as_str(),
                    l["severity"].as_str(),
                    a.ends_at.as_str(),
                )
            })
            .collect();
        let ended = "2026-01-01T07:18:42Z";
        assert_eq!(
            copies,
            [
                (
                    "BgpwatchWithdrawal",
                    "withdrawal",
                    "critical",
                    "2026-01-01T07:24:00Z"
                ),
                ("BgpwatchWithdrawal", "withdrawal", "warning", ended),
                ("BgpwatchWithdrawal", "withdrawal", "info", ended),
                (
                    "BgpwatchVisibilityLoss",
                    "visibility-loss",
                    "critical",
                    ended
                ),
                (
                    "BgpwatchVisibilityLoss",
                    "visibility-loss",
                    "warning",
                    ended
                ),
                ("BgpwatchVisibilityLoss", "visibility-loss", "info", ended),
            ]
        );
    }

    #[test]
    fn repost_makes_every_open_alert_active_again() {
        let later = Utc.with_ymd_and_hms(2026, 1, 1, 7, 30, 0).unwrap();
        let body = ENCODING.repost(&[sample_event(), sample_event()], later);
        assert_eq!(body.len(), 2);
        assert!(body.iter().all(|a| a.ends_at == "2026-01-01T07:35:00Z"));
    }

    #[test]
    fn feed_alert_has_source_label_and_no_prefix() {
        let mut event = sample_event();
        event.kind = AlertKind::FeedStalled;
        event.prefix = None;
        event.watched_prefix = None;
        event.origin = None;
        event.group = None;
        event.source = Some("ris-live".into());
        let labels = labels(&event);
        assert_eq!(labels["alertname"], "BgpwatchFeedStalled");
        assert_eq!(labels["source"], "ris-live");
        assert!(!labels.contains_key("prefix") && !labels.contains_key("group"));
    }

    #[test]
    fn as_set_paths_and_long_prefix_lists_are_readable() {
        let path = SamplePath(vec![
            PathHop::Asn(3356),
            PathHop::Set(vec![64496, 64497].into()),
        ]);
        assert_eq!(path_text(&path), "3356 {64496,64497}");
        let prefixes: Vec<ipnet::IpNet> = (0..12)
            .map(|i| format!("10.{i}.0.0/16").parse().unwrap())
            .collect();
        assert!(prefix_list(&prefixes).ends_with("10.9.0.0/16 ... (12 in all)"));
    }
}
