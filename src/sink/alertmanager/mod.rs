//! The `alertmanager` sink: alerts posted to Prometheus Alertmanager's API v2
//! (`POST {url}/api/v2/alerts`), so its routing, grouping, silences and receivers page people.
//!
//! Alertmanager ends an alert at its `endsAt`. Open alerts are posted with `endsAt` a little in
//! the future ([`AlertmanagerConfig::expire_after`]) and re-posted every
//! [`AlertmanagerConfig::repost_interval`] ([`AlertmanagerSink::repost`]), so they stay active
//! while bgpwatch runs and end on their own if it dies; `resolved` posts `endsAt` = now.
//!
//! Labels: `alertname`, `kind`, `severity`, `prefix`, `origin`, `group` (DESIGN.md section 8),
//! plus `alert_id` (the alert's identity: two alerts with the same six labels stay apart) and
//! `source` for feed alerts. Annotations carry the summary and evidence.

mod client;
pub mod config;
pub mod encode;

pub use client::AlertmanagerSink;
pub use config::AlertmanagerConfig;
