//! `[[sinks]] type = "webhook"`.

use crate::alert::{AlertEvent, Severity};
use crate::config::Seconds;
use crate::sink::{routing, Secret};
use serde::Deserialize;

/// Whole-request timeout, seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

/// POSTs every alert event as JSON.
///
/// ```toml
/// [[sinks]]
/// type = "webhook"
/// url = "https://hooks.slack.com/services/T000/B000/XXXX"
/// text = true
/// # bearer_token = "..."
/// # timeout = "10s"
/// # groups = ["pk-gov"]
/// # min_severity = "warning"
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST. Secret (Slack and most chat webhooks carry their token in the URL):
    /// never logged; errors show only scheme, host and port.
    pub url: Secret,
    /// Name in the outbox, metrics and logs. Default the sink's type; required (and unique)
    /// when two sinks of one type are configured.
    pub name: Option<String>,
    /// Sent as `Authorization: Bearer <token>`. Secret. Needs https unless the URL is
    /// loopback. Default: no `Authorization` header.
    pub bearer_token: Option<Secret>,
    /// Add a Slack-style `text` field with the alert on one line. Default `false`.
    #[serde(default)]
    pub text: bool,
    /// Time for one request to be answered (seconds, or `"10s"`). Default 10 s.
    pub timeout: Option<Seconds>,
    /// Send only alerts of these watchlist groups. Default: every group, and feed alerts.
    pub groups: Option<Vec<String>>,
    /// Send only alerts at least this severe (`info`, `warning`, `critical`). Default: all.
    pub min_severity: Option<Severity>,
}

impl WebhookConfig {
    /// A config posting to `url` with every default.
    pub fn new(url: Secret) -> Self {
        WebhookConfig {
            url,
            name: None,
            bearer_token: None,
            text: false,
            timeout: None,
            groups: None,
            min_severity: None,
        }
    }

    /// True when this sink takes `event` (see [`routing::accepts`]).
    pub fn accepts(&self, event: &AlertEvent) -> bool {
        routing::accepts(self.groups.as_deref(), self.min_severity, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_parses_and_debug_hides_url_and_token() {
        let config: WebhookConfig = toml::from_str(
            r#"
            url = "https://hooks.slack.example/services/T0/B0/S3CRETPATH"
            bearer_token = "B3ARER"
            text = true
            timeout = 3
            groups = ["pk-gov"]
            min_severity = "critical"
            "#,
        )
        .unwrap();
        assert!(config.text);
        assert_eq!(config.timeout, Some(Seconds(3)));
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("S3CRETPATH") && !shown.contains("B3ARER"),
            "{shown}"
        );
    }

    #[test]
    fn text_is_off_by_default() {
        let config: WebhookConfig = toml::from_str(r#"url = "http://127.0.0.1:9/hook""#).unwrap();
        assert_eq!(
            config,
            WebhookConfig::new(Secret::from("http://127.0.0.1:9/hook"))
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<WebhookConfig>("url = \"http://x\"\nheaders = {}").unwrap_err();
        assert!(err.to_string().contains("unknown field `headers`"), "{err}");
    }
}
