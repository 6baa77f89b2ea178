//! Alert events as PagerDuty Events API v2 bodies (pure).

use crate::alert::{format_time, AlertEvent, Lifecycle, Severity};
use serde::Serialize;

/// PagerDuty truncates `payload.summary` beyond this many characters; we cut it ourselves.
pub const MAX_SUMMARY_CHARS: usize = 1024;
/// `client` of every event.
pub const CLIENT: &str = "bgpwatch";

/// One Events API v2 event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PagerDutyEvent<'a> {
    /// The integration key.
    pub routing_key: &'a str,
    /// `trigger`, `acknowledge` or `resolve`.
    pub event_action: EventAction,
    /// The alert id: every event of one alert lands on one PagerDuty alert.
    pub dedup_key: &'a str,
    /// What happened (triggers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Payload<'a>>,
    /// Who sent it.
    pub client: &'static str,
    /// Link back to bgpwatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_url: Option<&'a str>,
}

/// `event_action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventAction {
    /// Open (or add to) the alert.
    Trigger,
    /// Someone is on it.
    Acknowledge,
    /// All clear.
    Resolve,
}

/// `payload` of a trigger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payload<'a> {
    /// The alert's one-line summary (at most [`MAX_SUMMARY_CHARS`]).
    pub summary: String,
    /// The configured `source`.
    pub source: &'a str,
    /// `critical`, `warning` or `info` (bgpwatch has no `error`).
    pub severity: &'static str,
    /// When the event was emitted.
    pub timestamp: String,
    /// The prefix, or the feed of a feed alert.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// The watchlist group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<&'a str>,
    /// The alert kind.
    pub class: &'static str,
    /// The whole alert event (DESIGN.md section 7 JSON): origins, evidence, vantage points.
    pub custom_details: &'a AlertEvent,
}

/// What every event of one sink shares.
#[derive(Debug, Clone, Copy)]
pub struct Encoding<'a> {
    /// The integration key.
    pub routing_key: &'a str,
    /// `payload.source`.
    pub source: &'a str,
    /// `client_url`.
    pub client_url: Option<&'a str>,
}

impl<'a> Encoding<'a> {
    /// `open` and `update` trigger (with the payload), `resolved` resolves.
    pub fn event(&self, event: &'a AlertEvent) -> PagerDutyEvent<'a> {
        match event.event {
            Lifecycle::Open | Lifecycle::Update => PagerDutyEvent {
                payload: Some(self.payload(event)),
                ..self.bare(EventAction::Trigger, &event.id)
            },
            Lifecycle::Resolved => self.bare(EventAction::Resolve, &event.id),
        }
    }

    /// Acknowledges the alert `alert_id`.
    pub fn acknowledge(&self, alert_id: &'a str) -> PagerDutyEvent<'a> {
        self.bare(EventAction::Acknowledge, alert_id)
    }

    fn bare(&self, event_action: EventAction, dedup_key: &'a str) -> PagerDutyEvent<'a> {
        PagerDutyEvent {
            routing_key: self.routing_key,
            event_action,
            dedup_key,
            payload: None,
            client: CLIENT,
            client_url: self.client_url,
        }
    }

    fn payload(&self, event: &'a AlertEvent) -> Payload<'a> {
        Payload {
            summary: event.summary.chars().take(MAX_SUMMARY_CHARS).collect(),
            source: self.source,
            severity: severity(event.severity),
            timestamp: format_time(&event.time),
            component: event
                .prefix
                .map(|p| p.to_string())
                .or_else(|| event.source.clone()),
            group: event.group.as_deref(),
            class: event.kind.as_str(),
            custom_details: event,
        }
    }
}

/// PagerDuty's severities are `critical`, `error`, `warning`, `info`.
pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::testing::{sample_event, sample_resolved};
    use serde_json::{json, Value};

    const ENCODING: Encoding<'static> = Encoding {
        routing_key: "R0UTINGKEY",
        source: "bgpwatch",
        client_url: Some("http://bgpwatch.example:9324/api/v1/alerts"),
    };

    #[test]
    fn open_alert_triggers_with_golden_body() {
        let event = sample_event();
        let body = serde_json::to_value(ENCODING.event(&event)).unwrap();
        let golden = json!({
            "routing_key": "R0UTINGKEY",
            "event_action": "trigger",
            "dedup_key": "3f2a9c0d1e4b5a68",
            "payload": {
                "summary": "198.51.100.0/24 announced by AS64666 instead of AS64500, seen by 9 vantage points",
                "source": "bgpwatch",
                "severity": "critical",
                "timestamp": "2026-01-01T07:18:42Z",
                "component": "198.51.100.0/24",
                "group": "pk-gov",
                "class": "origin-hijack",
                "custom_details": serde_json::to_value(&event).unwrap()
            },
            "client": "bgpwatch",
            "client_url": "http://bgpwatch.example:9324/api/v1/alerts"
        });
        assert_eq!(body, golden);
        assert_eq!(
            body["payload"]["custom_details"]["expected_origins"],
            json!([64500])
        );
    }

    #[test]
    fn resolved_alert_resolves_by_dedup_key_without_payload() {
        let event = sample_resolved();
        let body = serde_json::to_value(ENCODING.event(&event)).unwrap();
        let golden = json!({
            "routing_key": "R0UTINGKEY",
            "event_action": "resolve",
            "dedup_key": "3f2a9c0d1e4b5a68",
            "client": "bgpwatch",
            "client_url": "http://bgpwatch.example:9324/api/v1/alerts"
        });
        assert_eq!(body, golden);
    }

    #[test]
    fn acknowledge_names_the_alert() {
        let body: Value = serde_json::to_value(ENCODING.acknowledge("3f2a9c0d1e4b5a68")).unwrap();
        assert_eq!(body["event_action"], "acknowledge");
        assert_eq!(body["dedup_key"], "3f2a9c0d1e4b5a68");
        assert!(body.get("payload").is_none());
    }

    #[test]
    fn update_triggers_again_on_the_same_dedup_key() {
        let mut event = sample_event();
        event.event = Lifecycle::Update;
        event.severity = Severity::Warning;
        let body = ENCODING.event(&event);
        assert_eq!(body.event_action, EventAction::Trigger);
        assert_eq!(body.dedup_key, "3f2a9c0d1e4b5a68");
        assert_eq!(body.payload.unwrap().severity, "warning");
    }

    #[test]
    fn long_summary_is_cut_to_the_pagerduty_limit() {
        let mut event = sample_event();
        event.summary = "é".repeat(2000);
        let payload = ENCODING.event(&event).payload.unwrap();
        assert_eq!(payload.summary.chars().count(), MAX_SUMMARY_CHARS);
    }
}
