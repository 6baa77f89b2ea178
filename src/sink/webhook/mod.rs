//! The `webhook` sink: each alert event POSTed as its DESIGN.md section 7 JSON, optionally with
//! a Slack-style `text` line so a Slack or Mattermost incoming webhook can show it as is.
//!
//! The URL is a [`crate::sink::Secret`] (a Slack webhook URL is a credential): errors show only
//! its `scheme://host:port`.

mod client;
pub mod config;
pub mod encode;

pub use client::WebhookSink;
pub use config::WebhookConfig;
