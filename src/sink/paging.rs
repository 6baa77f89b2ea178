//! The paging sinks as one enum, for the caller that delivers from the outbox.

use super::alertmanager::AlertmanagerSink;
use super::error::{DeliveryError, SinkConfigError};
use super::pagerduty::PagerDutySink;
use super::syslog::SyslogSink;
use super::webhook::WebhookSink;
use crate::alert::AlertEvent;
use crate::config::SinkConfig;
use reqwest::Client;

/// Every sink that delivers over the network. Sink-specific calls
/// ([`AlertmanagerSink::repost`], [`PagerDutySink::acknowledge`]) are on the variants.
#[derive(Debug, Clone)]
pub enum PagingSink {
    /// Prometheus Alertmanager, API v2.
    Alertmanager(AlertmanagerSink),
    /// PagerDuty Events API v2.
    PagerDuty(PagerDutySink),
    /// The event JSON to any URL.
    Webhook(WebhookSink),
    /// RFC 5424 over UDP or TCP.
    Syslog(SyslogSink),
}

impl PagingSink {
    /// Builds the paging sink a `[[sinks]]` entry describes; `None` for `jsonl`, which
    /// writes directly rather than from the outbox.
    pub fn open(
        config: &SinkConfig,
        client: Client,
    ) -> Result<Option<PagingSink>, SinkConfigError> {
        Ok(Some(match config {
            SinkConfig::Jsonl { .. } => return Ok(None),
            SinkConfig::Alertmanager(c) => {
                PagingSink::Alertmanager(AlertmanagerSink::new(c.clone(), client)?)
            }
            SinkConfig::PagerDuty(c) => {
                PagingSink::PagerDuty(PagerDutySink::new(c.clone(), client)?)
            }
            SinkConfig::Webhook(c) => PagingSink::Webhook(WebhookSink::new(c.clone(), client)?),
            SinkConfig::Syslog(c) => PagingSink::Syslog(SyslogSink::new(c.clone())?),
        }))
    }

    /// The sink's kind, as a metrics label (`alertmanager`, `pagerduty`, `webhook`, `syslog`).
    pub fn name(&self) -> &'static str {
        match self {
            PagingSink::Alertmanager(s) => s.name(),
            PagingSink::PagerDuty(s) => s.name(),
            PagingSink::Webhook(s) => s.name(),
            PagingSink::Syslog(s) => s.name(),
        }
    }

    /// True when the sink's `groups` and `min_severity` let `event` through.
    pub fn accepts(&self, event: &AlertEvent) -> bool {
        match self {
            PagingSink::Alertmanager(s) => s.accepts(event),
            PagingSink::PagerDuty(s) => s.accepts(event),
            PagingSink::Webhook(s) => s.accepts(event),
            PagingSink::Syslog(s) => s.accepts(event),
        }
    }

    /// One attempt to deliver `event`; on error, [`DeliveryError::is_retryable`] says whether
    /// to try again.
    pub async fn deliver(&self, event: &AlertEvent) -> Result<(), DeliveryError> {
        match self {
            PagingSink::Alertmanager(s) => s.deliver(event).await,
            PagingSink::PagerDuty(s) => s.deliver(event).await,
            PagingSink::Webhook(s) => s.deliver(event).await,
            PagingSink::Syslog(s) => s.deliver(event).await,
        }
    }
}
