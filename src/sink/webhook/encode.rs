//! Alert events as webhook bodies (pure).

use crate::alert::{AlertEvent, Lifecycle};
use serde::Serialize;

/// The alert event JSON, with `text` appended when configured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookBody<'a> {
    /// Every field of the event, at the top level.
    #[serde(flatten)]
    pub event: &'a AlertEvent,
    /// One line for chat (Slack `mrkdwn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The body for `event`, with a Slack-style `text` when `with_text`.
pub fn body(event: &AlertEvent, with_text: bool) -> WebhookBody<'_> {
    WebhookBody {
        event,
        text: with_text.then(|| slack_text(event)),
    }
}

/// `*OPEN* critical origin-hijack 198.51.100.0/24 (pk-gov): <summary> [alert <id>]`, with
/// Slack's control characters (`&`, `<`, `>`) escaped.
pub fn slack_text(event: &AlertEvent) -> String {
    let status = match event.event {
        Lifecycle::Open => "OPEN",
        Lifecycle::Update => "UPDATE",
        Lifecycle::Resolved => "RESOLVED",
    };
    let subject = match (&event.prefix, &event.source) {
        (Some(prefix), _) => prefix.to_string(),
        (None, Some(source)) => source.clone(),
        (None, None) => "-".to_string(),
    };
    let group = event
        .group
        .as_deref()
        .map(|g| format!(" ({g})"))
        .unwrap_or_default();
    let line = format!(
        "*{status}* {} {} {subject}{group}: {} [alert {}]",
        event.severity, event.kind, event.summary, event.id
    );
    escape(&line)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::testing::{sample_event, sample_resolved};
    use serde_json::Value;

    #[test]
    fn body_is_the_event_json_plus_text() {
        let event = sample_event();
        let body = serde_json::to_value(body(&event, true)).unwrap();
        let mut golden = serde_json::to_value(&event).unwrap();
        golden["text"] = Value::from(
            "*OPEN* critical origin-hijack 198.51.100.0/24 (pk-gov): 198.51.100.0/24 announced by \
             AS64666 instead of AS64500, seen by 9 vantage points [alert 3f2a9c0d1e4b5a68]",
        );
        assert_eq!(body, golden);
    }

    #[test]
    fn without_text_the_body_is_exactly_the_event_json() {
        let event = sample_event();
        let text = serde_json::to_string(&body(&event, false)).unwrap();
        assert_eq!(
            text,
            serde_json::to_string(&event).unwrap(),
            "same fields, same order"
        );
    }

    #[test]
    fn resolved_text_says_resolved() {
        assert!(slack_text(&sample_resolved()).starts_with("*RESOLVED* critical origin-hijack"));
    }

    #[test]
    fn slack_control_characters_are_escaped() {
        let mut event = sample_event();
        event.summary = "a <b> & c".into();
        assert!(slack_text(&event).contains("a &lt;b&gt; &amp; c"));
    }
}
