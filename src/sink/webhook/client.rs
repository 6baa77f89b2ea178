//! Posting to a webhook.

use super::config::{WebhookConfig, DEFAULT_TIMEOUT_SECS};
use super::encode;
use crate::alert::{AlertEvent, Severity};
use crate::sink::error::{DeliveryError, SinkConfigError};
use crate::sink::http_client::{show_origin, HttpTarget};
use crate::sink::secret::Secret;
use crate::sink::{routing, validate};
use reqwest::Client;

const NAME: &str = "webhook";

/// A validated `webhook` sink.
#[derive(Debug, Clone)]
pub struct WebhookSink {
    client: Client,
    target: HttpTarget,
    bearer_token: Option<Secret>,
    text: bool,
    groups: Option<Vec<String>>,
    min_severity: Option<Severity>,
}

impl WebhookSink {
    /// Checks `config` and binds it to the shared HTTP client
    /// ([`crate::sink::http_client::build`]).
    pub fn new(config: WebhookConfig, client: Client) -> Result<Self, SinkConfigError> {
        let url = validate::http_url(NAME, "url", config.url.expose())?;
        if config.bearer_token.is_some() {
            validate::tls_unless_loopback(NAME, "url", &url, "the bearer token")?;
        }
        validate::groups(NAME, config.groups.as_deref())?;
        Ok(WebhookSink {
            client,
            target: HttpTarget {
                sink: NAME,
                endpoint: show_origin(&url),
                url: Secret::new(url),
                timeout: validate::timeout(NAME, config.timeout, DEFAULT_TIMEOUT_SECS)?,
            },
            bearer_token: config.bearer_token,
            text: config.text,
            groups: config.groups,
            min_severity: config.min_severity,
        })
    }

    /// The sink's kind, as a metrics label.
    pub fn name(&self) -> &'static str {
        NAME
    }

    /// True when this sink takes `event` (`groups`, `min_severity`).
    pub fn accepts(&self, event: &AlertEvent) -> bool {
        routing::accepts(self.groups.as_deref(), self.min_severity, event)
    }

    /// POSTs the event JSON (with `text` when configured).
    pub async fn deliver(&self, event: &AlertEvent) -> Result<(), DeliveryError> {
        let body = encode::body(event, self.text);
        self.target
            .post_json(&self.client, &body, self.bearer_token.as_ref())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::http_client;

    fn sink(toml: &str) -> Result<WebhookSink, SinkConfigError> {
        WebhookSink::new(toml::from_str(toml).unwrap(), http_client::build().unwrap())
    }

    #[test]
    fn endpoint_shown_in_errors_is_the_origin_only() {
        let sink = sink(r#"url = "https://hooks.slack.example/services/T0/B0/S3CRET""#).unwrap();
        assert_eq!(sink.target.endpoint, "https://hooks.slack.example");
        assert!(!format!("{sink:?}").contains("S3CRET"));
    }

    #[test]
    fn bearer_token_needs_https_to_a_remote_host() {
        let err = sink("url = \"http://hooks.example/x\"\nbearer_token = \"t\"").unwrap_err();
        assert_eq!(err.key, "url");
        assert!(
            sink("url = \"http://hooks.example/x\"").is_ok(),
            "no token, no objection"
        );
    }
}
