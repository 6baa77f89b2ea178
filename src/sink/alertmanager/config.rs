//! `[[sinks]] type = "alertmanager"`.

use crate::alert::{AlertEvent, Severity};
use crate::config::Seconds;
use crate::sink::routing;
use serde::Deserialize;

/// Whole-request timeout, seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;
/// How often open alerts are re-posted, seconds (Prometheus re-sends every minute too).
pub const DEFAULT_REPOST_INTERVAL_SECS: u64 = 60;
/// How long a posted alert stays active without a re-post, seconds: five re-post intervals, so a
/// few failed re-posts do not end it, while a stopped bgpwatch does not leave it firing forever.
pub const DEFAULT_EXPIRE_AFTER_SECS: u64 = 300;
/// The API path appended to `url`.
pub const ALERTS_PATH: &str = "api/v2/alerts";

/// Posts alerts to an Alertmanager.
///
/// ```toml
/// [[sinks]]
/// type = "alertmanager"
/// url = "http://127.0.0.1:9093"
/// # timeout = "10s"
/// # repost_interval = "60s"
/// # expire_after = "5m"
/// # generator_url = "http://bgpwatch.example:9324/api/v1/alerts"
/// # groups = ["pk-gov"]
/// # min_severity = "warning"
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerConfig {
    /// Base URL of the Alertmanager (as in Prometheus' `alertmanagers` targets, with any path
    /// prefix it is served under); alerts are posted to `{url}/api/v2/alerts`.
    pub url: String,
    /// Name in the outbox, metrics and logs. Default the sink's type; required (and unique)
    /// when two sinks of one type are configured.
    pub name: Option<String>,
    /// Time for one request to be answered (seconds, or `"10s"`). Default 10 s.
    pub timeout: Option<Seconds>,
    /// How often bgpwatch re-posts its open alerts. Default 60 s.
    pub repost_interval: Option<Seconds>,
    /// How long Alertmanager keeps an alert active when no re-post arrives (each post sets
    /// `endsAt` this far ahead). At least twice `repost_interval`. Default 5 minutes.
    pub expire_after: Option<Seconds>,
    /// A link put in every alert's `generatorURL` (Alertmanager's "Source" link), for example
    /// bgpwatch's `/api/v1/alerts`. Default: none.
    pub generator_url: Option<String>,
    /// Send only alerts of these watchlist groups. Default: every group, and feed alerts.
    pub groups: Option<Vec<String>>,
    /// Send only alerts at least this severe (`info`, `warning`, `critical`). Default: all.
    pub min_severity: Option<Severity>,
}

impl AlertmanagerConfig {
    /// A config posting to `url` with every default.
    pub fn new(url: impl Into<String>) -> Self {
        AlertmanagerConfig {
            url: url.into(),
            name: None,
            timeout: None,
            repost_interval: None,
            expire_after: None,
            generator_url: None,
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
    fn minimal_config_is_just_the_url() {
        let config: AlertmanagerConfig =
            toml::from_str(r#"url = "http://127.0.0.1:9093""#).unwrap();
        assert_eq!(config, AlertmanagerConfig::new("http://127.0.0.1:9093"));
    }

    #[test]
    fn every_key_parses() {
        let config: AlertmanagerConfig = toml::from_str(
            r#"
            url = "http://am:9093/alertmanager"
            timeout = "5s"
            repost_interval = 30
            expire_after = "2m"
            generator_url = "http://bgpwatch:9324/api/v1/alerts"
            groups = ["pk-gov"]
            min_severity = "warning"
            "#,
        )
        .unwrap();
        assert_eq!(config.timeout, Some(Seconds(5)));
        assert_eq!(config.repost_interval, Some(Seconds(30)));
        assert_eq!(config.expire_after, Some(Seconds(120)));
        assert_eq!(config.min_severity, Some(Severity::Warning));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err =
            toml::from_str::<AlertmanagerConfig>("url = \"http://am\"\nresend = 1").unwrap_err();
        assert!(err.to_string().contains("unknown field `resend`"), "{err}");
    }

    /// The lead's `SinkConfig` is an internally tagged enum with `deny_unknown_fields`; the
    /// sink structs must work as its newtype variants.
    #[test]
    fn works_as_a_variant_of_a_type_tagged_enum() {
        #[derive(Debug, Deserialize)]
        #[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
        enum Tagged {
            Alertmanager(AlertmanagerConfig),
        }
        let Tagged::Alertmanager(config) = toml::from_str(
            "type = \"alertmanager\"\nurl = \"http://am:9093\"\ntimeout = \"5s\"\n\
             min_severity = \"critical\"\ngroups = [\"pk-gov\"]",
        )
        .unwrap();
        assert_eq!(config.url, "http://am:9093");
        assert_eq!(config.timeout, Some(Seconds(5)));
        assert_eq!(config.min_severity, Some(Severity::Critical));
        assert!(toml::from_str::<Tagged>("type = \"alertmanager\"\nurl = \"x\"\nbad = 1").is_err());
    }
}
