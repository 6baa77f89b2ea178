//! The `pagerduty` sink: PagerDuty Events API v2 (`POST /v2/enqueue`).
//!
//! `dedup_key` is the alert id, so `open` triggers an incident, an `update` adds to it and
//! `resolved` resolves it; [`PagerDutySink::acknowledge`] acknowledges it (for acks taken in
//! bgpwatch's API). The routing key is a [`crate::sink::Secret`]: never logged.

mod client;
pub mod config;
pub mod encode;

pub use client::PagerDutySink;
pub use config::PagerDutyConfig;
