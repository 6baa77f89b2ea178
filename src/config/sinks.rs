//! The `[[sinks]]` of the configuration: one enum, a variant per kind of output, and the
//! checks `check-config` runs on them.

use super::ConfigError;
use crate::sink::alertmanager::AlertmanagerConfig;
use crate::sink::pagerduty::PagerDutyConfig;
use crate::sink::syslog::SyslogConfig;
use crate::sink::webhook::WebhookConfig;
use crate::sink::{http_client, OutputFormat, PagingSink};
use serde::Deserialize;
use std::path::PathBuf;

/// One output, by `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SinkConfig {
    /// JSON lines to a file, or stdout when no path is given.
    Jsonl {
        /// File to append to.
        path: Option<PathBuf>,
        /// `jsonl` (default) or `text`.
        #[serde(default)]
        format: OutputFormat,
    },
    /// Prometheus Alertmanager (`POST /api/v2/alerts`), from the outbox.
    Alertmanager(AlertmanagerConfig),
    /// PagerDuty Events API v2, from the outbox.
    #[serde(rename = "pagerduty")]
    PagerDuty(PagerDutyConfig),
    /// The alert JSON to any URL, from the outbox.
    Webhook(WebhookConfig),
    /// RFC 5424 syslog over UDP or TCP, from the outbox.
    Syslog(SyslogConfig),
}

impl SinkConfig {
    /// The sink's name: configured, else its type. Paging sinks are known by it in the
    /// outbox, so it must stay the same across restarts.
    pub fn name(&self) -> &str {
        match self {
            SinkConfig::Jsonl { .. } => "jsonl",
            SinkConfig::Alertmanager(c) => c.name.as_deref().unwrap_or("alertmanager"),
            SinkConfig::PagerDuty(c) => c.name.as_deref().unwrap_or("pagerduty"),
            SinkConfig::Webhook(c) => c.name.as_deref().unwrap_or("webhook"),
            SinkConfig::Syslog(c) => c.name.as_deref().unwrap_or("syslog"),
        }
    }
}

/// The secret keys a sink's settings hold inline (all of its secrets live in the file).
pub(super) fn sink_secrets(sink: &SinkConfig) -> Vec<&'static str> {
    match sink {
        SinkConfig::PagerDuty(_) => vec!["routing_key"],
        SinkConfig::Webhook(c) if c.bearer_token.is_some() => vec!["webhook url", "bearer_token"],
        SinkConfig::Webhook(_) => vec!["webhook url"],
        SinkConfig::Jsonl { .. } | SinkConfig::Alertmanager(_) | SinkConfig::Syslog(_) => vec![],
    }
}

/// Sink names are unique (the outbox knows sinks by name) and every paging sink's settings
/// are checked by building it once, so `check-config` catches what `run` would refuse.
pub(super) fn check_sinks(
    sinks: &[SinkConfig],
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let mut names = std::collections::BTreeSet::new();
    let mut client = None;
    for (i, sink) in sinks.iter().enumerate() {
        if !names.insert(sink.name()) {
            return Err(invalid(
                &format!("sinks[{i}].name"),
                format!(
                    "`{}` names two sinks; give each sink of one type a distinct `name`",
                    sink.name()
                ),
            ));
        }
        if matches!(sink, SinkConfig::Jsonl { .. }) {
            continue;
        }
        if client.is_none() {
            client = Some(
                http_client::build().map_err(|e| invalid(&format!("sinks[{i}]"), e.to_string()))?,
            );
        }
        let client = client.clone().expect("built above");
        if let Err(e) = PagingSink::open(sink, client) {
            return Err(invalid(&format!("sinks[{i}].{}", e.key), e.problem));
        }
    }
    Ok(())
}
