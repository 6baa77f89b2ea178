//! Sending to PagerDuty.

use super::config::{PagerDutyConfig, DEFAULT_SOURCE, DEFAULT_TIMEOUT_SECS, DEFAULT_URL};
use super::encode::Encoding;
use crate::alert::{AlertEvent, Severity};
use crate::sink::error::{DeliveryError, SinkConfigError};
use crate::sink::http_client::{show_path, HttpTarget};
use crate::sink::secret::Secret;
use crate::sink::{routing, validate};
use reqwest::Client;

const NAME: &str = "pagerduty";

/// A validated `pagerduty` sink.
#[derive(Debug, Clone)]
pub struct PagerDutySink {
    client: Client,
    target: HttpTarget,
    routing_key: Secret,
    source: String,
    client_url: Option<String>,
    groups: Option<Vec<String>>,
    min_severity: Option<Severity>,
}

impl PagerDutySink {
    /// Checks `config` and binds it to the shared HTTP client
    /// ([`crate::sink::http_client::build`]).
    pub fn new(config: PagerDutyConfig, client: Client) -> Result<Self, SinkConfigError> {
        let key = config.routing_key.expose();
        if key.trim().is_empty() || key.chars().any(char::is_whitespace) {
            return Err(SinkConfigError::new(
                NAME,
                "routing_key",
                "is empty or contains spaces; copy the Integration Key of the service's \
                 Events API v2 integration",
            ));
        }
        let url = validate::http_url(NAME, "url", config.url.as_deref().unwrap_or(DEFAULT_URL))?;
        validate::tls_unless_loopback(NAME, "url", &url, "the routing key")?;
        if let Some(link) = &config.client_url {
            validate::http_url(NAME, "client_url", link)?;
        }
        let source = config.source.unwrap_or_else(|| DEFAULT_SOURCE.to_string());
        if source.trim().is_empty() {
            return Err(SinkConfigError::new(
                NAME,
                "source",
                format!(
                    "is empty; name this bgpwatch, or leave the key out for `{DEFAULT_SOURCE}`"
                ),
            ));
        }
        validate::groups(NAME, config.groups.as_deref())?;
        Ok(PagerDutySink {
            client,
            target: HttpTarget {
                sink: NAME,
                endpoint: show_path(&url),
                url: Secret::new(url),
                timeout: validate::timeout(NAME, config.timeout, DEFAULT_TIMEOUT_SECS)?,
            },
            routing_key: config.routing_key,
            source,
            client_url: config.client_url,
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

    /// `open`/`update` trigger, `resolved` resolves, keyed by the alert id.
    pub async fn deliver(&self, event: &AlertEvent) -> Result<(), DeliveryError> {
        let body = self.encoding().event(event);
        self.target.post_json(&self.client, &body, None).await
    }

    /// Acknowledges the PagerDuty alert of bgpwatch alert `alert_id`.
    pub async fn acknowledge(&self, alert_id: &str) -> Result<(), DeliveryError> {
        let body = self.encoding().acknowledge(alert_id);
        self.target.post_json(&self.client, &body, None).await
    }

    fn encoding(&self) -> Encoding<'_> {
        Encoding {
            routing_key: self.routing_key.expose(),
            source: &self.source,
            client_url: self.client_url.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::http_client;

    fn sink(toml: &str) -> Result<PagerDutySink, SinkConfigError> {
        PagerDutySink::new(toml::from_str(toml).unwrap(), http_client::build().unwrap())
    }

    #[test]
    fn default_url_is_the_us_events_endpoint() {
        let sink = sink(r#"routing_key = "R0UTINGKEY""#).unwrap();
        assert_eq!(
            sink.target.endpoint,
            "https://events.pagerduty.com/v2/enqueue"
        );
        assert!(!format!("{sink:?}").contains("R0UTINGKEY"));
    }

    #[test]
    fn routing_key_never_goes_over_plain_http_to_a_remote_host() {
        let err =
            sink("routing_key = \"k\"\nurl = \"http://events.example/v2/enqueue\"").unwrap_err();
        assert_eq!(err.key, "url");
        assert!(sink("routing_key = \"k\"\nurl = \"http://127.0.0.1:8080/v2/enqueue\"").is_ok());
    }

    #[test]
    fn blank_routing_key_is_refused_without_echoing_it() {
        let err = sink(r#"routing_key = "  ""#).unwrap_err();
        assert_eq!(err.key, "routing_key");
    }
}
