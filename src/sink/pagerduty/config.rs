//! `[[sinks]] type = "pagerduty"`.

use crate::alert::{AlertEvent, Severity};
use crate::config::Seconds;
use crate::sink::{routing, Secret};
use serde::Deserialize;

/// PagerDuty's Events API v2 endpoint (US service region).
pub const DEFAULT_URL: &str = "https://events.pagerduty.com/v2/enqueue";
/// Whole-request timeout, seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;
/// `payload.source` of every event: what PagerDuty shows as the affected system's location.
pub const DEFAULT_SOURCE: &str = "bgpwatch";

/// Pages through a PagerDuty service's Events API v2 integration.
///
/// ```toml
/// [[sinks]]
/// type = "pagerduty"
/// routing_key = "0123456789abcdef0123456789abcdef"
/// # url = "https://events.eu.pagerduty.com/v2/enqueue"
/// # source = "bgpwatch-lhr1"
/// # client_url = "http://bgpwatch.example:9324/api/v1/alerts"
/// # timeout = "10s"
/// # groups = ["pk-gov"]
/// # min_severity = "critical"
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDutyConfig {
    /// The integration key of the service's "Events API v2" integration. Secret: never logged.
    pub routing_key: Secret,
    /// Name in the outbox, metrics and logs. Default the sink's type; required (and unique)
    /// when two sinks of one type are configured.
    pub name: Option<String>,
    /// Events API endpoint. Default the US region, `https://events.pagerduty.com/v2/enqueue`;
    /// EU accounts use `https://events.eu.pagerduty.com/v2/enqueue`. Plain http only to
    /// loopback (tests), since the body carries the routing key.
    pub url: Option<String>,
    /// `payload.source`: which bgpwatch raised it (PagerDuty shows it as the affected system).
    /// Default `bgpwatch`.
    pub source: Option<String>,
    /// A link shown on the incident ("View in bgpwatch"). Default: none.
    pub client_url: Option<String>,
    /// Time for one request to be answered (seconds, or `"10s"`). Default 10 s.
    pub timeout: Option<Seconds>,
    /// Page only for alerts of these watchlist groups. Default: every group, and feed alerts.
    pub groups: Option<Vec<String>>,
    /// Page only for alerts at least this severe (`info`, `warning`, `critical`). Default: all.
    pub min_severity: Option<Severity>,
}

impl PagerDutyConfig {
    /// A config with this routing key and every default.
    pub fn new(routing_key: Secret) -> Self {
        PagerDutyConfig {
            routing_key,
            name: None,
            url: None,
            source: None,
            client_url: None,
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
    fn minimal_config_is_the_routing_key() {
        let config: PagerDutyConfig = toml::from_str(r#"routing_key = "R0UTINGKEY""#).unwrap();
        assert_eq!(config, PagerDutyConfig::new(Secret::from("R0UTINGKEY")));
    }

    #[test]
    fn debug_output_hides_the_routing_key() {
        let config: PagerDutyConfig =
            toml::from_str("routing_key = \"R0UTINGKEY\"\nmin_severity = \"critical\"").unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("R0UTINGKEY"), "{shown}");
        assert!(shown.contains("routing_key: ***"), "{shown}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<PagerDutyConfig>("routing_key = \"k\"\nservice_key = \"k\"")
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `service_key`"),
            "{err}"
        );
    }

    #[test]
    fn works_as_a_variant_of_a_type_tagged_enum() {
        #[derive(Debug, Deserialize)]
        #[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
        enum Tagged {
            #[serde(rename = "pagerduty")]
            PagerDuty(PagerDutyConfig),
        }
        let Tagged::PagerDuty(config) =
            toml::from_str("type = \"pagerduty\"\nrouting_key = \"k\"\ntimeout = 3").unwrap();
        assert_eq!(config.routing_key.expose(), "k");
        assert_eq!(config.timeout, Some(Seconds(3)));
    }
}
